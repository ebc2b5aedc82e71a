//! The server URL as a user writes it (`https://host`, `https://host/`, `https://host/api`), checked,
//! and the API base found from a bare site through `/.well-known/immich`.

use serde_json::Value;
use url::Url;

use super::transport_failure;
use crate::immich::error::{ApiError, ApiErrorKind};
use crate::immich::retry::{self, Class, Failure, RetryPolicy, Safety, class_of_status};

/// A server URL as the user gave it, checked: the site, and the API base if the URL named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// The web site, used for links to photos (`{site}/photos/{id}`).
    pub site: Url,
    /// The API base, when the user gave it (`…/api`); otherwise it is discovered.
    pub api: Option<Url>,
}

impl ServerUrl {
    /// Parses `https://host`, `https://host/`, `https://host/api` or `https://host/prefix/api`.
    /// The error says what was expected, for the caller to prefix with where the value came from.
    pub fn parse(text: &str) -> Result<ServerUrl, String> {
        let trimmed = text.trim().trim_end_matches('/');
        if trimmed.is_empty() {
            return Err(
                "the server URL is empty (expected e.g. https://photos.example.com)".into(),
            );
        }
        let url = Url::parse(trimmed).map_err(|error| {
            if !trimmed.contains("://") {
                format!(
                    "`{trimmed}` is not a URL: it has no scheme (expected e.g. https://{trimmed})"
                )
            } else {
                format!(
                    "`{trimmed}` is not a URL: {error} (expected e.g. https://photos.example.com)"
                )
            }
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(format!(
                "`{trimmed}` is not an http(s) URL (expected e.g. https://photos.example.com)"
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!(
                "`{trimmed}` has no host (expected e.g. https://photos.example.com)"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "`{trimmed}` has a query or fragment; give the server's address only"
            ));
        }
        let path = url.path().trim_end_matches('/').to_string();
        if let Some(site_path) = path.strip_suffix("/api") {
            let mut site = url.clone();
            site.set_path(site_path);
            Ok(ServerUrl {
                site: without_trailing_slash(site),
                api: Some(with_trailing_slash(url)),
            })
        } else {
            Ok(ServerUrl {
                site: without_trailing_slash(url),
                api: None,
            })
        }
    }

    /// True when the key would travel in clear text to a host that is not on this machine or this
    /// network.
    pub fn is_cleartext_to_remote_host(&self) -> bool {
        if self.site.scheme() != "http" {
            return false;
        }
        match self.site.host() {
            Some(url::Host::Ipv4(ip)) => {
                !(ip.is_loopback() || ip.is_private() || ip.is_link_local())
            }
            Some(url::Host::Ipv6(ip)) => {
                !(ip.is_loopback() || ip.is_unique_local() || ip.is_unicast_link_local())
            }
            Some(url::Host::Domain(name)) => {
                let name = name.to_ascii_lowercase();
                !(name == "localhost"
                    || name.ends_with(".localhost")
                    || name.ends_with(".local")
                    || name.ends_with(".lan")
                    || name.ends_with(".home.arpa")
                    || !name.contains('.'))
            }
            None => false,
        }
    }
}

fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

fn without_trailing_slash(mut url: Url) -> Url {
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    url
}

/// Finds the API base of a bare site through `/.well-known/immich`, falling back to `{site}/api` when
/// the server (or a proxy in front of it) does not answer that path. Retried like a GET.
pub(super) async fn discover(
    http: &reqwest::Client,
    site: &Url,
    policy: &RetryPolicy,
) -> Result<Url, ApiError> {
    let site_dir = with_trailing_slash(site.clone());
    let url = site_dir
        .join(".well-known/immich")
        .expect("a valid relative URL");
    let endpoint = format!("GET {}", url.path());
    let fallback = site_dir.join("api/").expect("a valid relative URL");
    let document = retry::run(policy, &endpoint, Safety::Idempotent, || async {
        let response = http
            .get(url.clone())
            .send()
            .await
            .map_err(|error| transport_failure(&endpoint, &url, &error))?;
        let status = response.status().as_u16();
        if class_of_status(status) == Class::Transient {
            let error = ApiError::from_status(endpoint.clone(), status, b"", None);
            return Err(Failure::new(error, Class::Transient));
        }
        if !response.status().is_success() {
            tracing::debug!("{endpoint} -> {status}; using {fallback}");
            return Ok(None);
        }
        Ok::<_, Failure>(response.json::<Value>().await.ok())
    })
    .await?;
    let Some(named) = document
        .as_ref()
        .and_then(|d| d.pointer("/api/endpoint"))
        .and_then(Value::as_str)
    else {
        return Ok(fallback);
    };
    let api = with_trailing_slash(
        site_dir
            .join(named.trim_start_matches('/'))
            .unwrap_or(fallback),
    );
    // The key goes only where it was given: an API on another scheme, host or port is not followed.
    if api.origin() != site.origin() {
        return Err(ApiError::new(
            endpoint,
            ApiErrorKind::Setup(format!(
                "the server names its API at {api}, which is not on {} (the server given); the key \
                 is not sent there. If that is where the API lives, give its URL itself (--server \
                 {api} or `server:` in the profile)",
                site.origin().ascii_serialization()
            )),
        ));
    }
    Ok(api)
}
