//! The Immich HTTP client. [`Client::connect`] turns a server URL as a user writes it (`https://host`,
//! `https://host/` or `https://host/api`) into the API base, discovering it through
//! `/.well-known/immich` when given the bare site. Every call then goes through one send path,
//! [`Client::call`]: it adds `x-api-key`, applies the connect and request timeouts, logs the endpoint and
//! status (never a header), and turns every failure into an [`ApiError`] that names the endpoint.
//! Redirects are followed only within the same origin, so the key never travels to another host.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use url::Url;

use super::error::{ApiError, ApiErrorKind};
use super::types::{
    Album, AlbumUserAdd, ApiKeyInfo, BulkIdResult, PeoplePage, SearchAssets, SearchResponse,
    ServerVersion, User,
};
use crate::secret::ApiKey;

/// Timeouts for every request of a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
        }
    }
}

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

/// A connected client for one account: one server, one key.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// API base with a trailing slash, e.g. `https://host/api/`.
    api: Url,
    site: Url,
    key: ApiKey,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api", &self.api.as_str())
            .field("key", &self.key)
            .finish()
    }
}

/// Builds the shared HTTP client: timeouts, and redirects only within the first request's origin.
fn http_client(options: &ClientOptions) -> reqwest::Client {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().cloned();
        let same_origin = first.is_some_and(|first| {
            first.scheme() == attempt.url().scheme()
                && first.host_str() == attempt.url().host_str()
                && first.port_or_known_default() == attempt.url().port_or_known_default()
        });
        if attempt.previous().len() > 5 {
            attempt.error("more than 5 redirects")
        } else if same_origin {
            attempt.follow()
        } else {
            // Stop here: the 3xx becomes an error that names the other host; the key stays home.
            attempt.stop()
        }
    });
    reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .redirect(policy)
        .user_agent(concat!("immich-smart-albums/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client configuration is valid")
}

impl Client {
    /// Connects to a server: checks the URL, warns about clear-text keys, and finds the API base.
    pub async fn connect(
        server: &ServerUrl,
        key: ApiKey,
        options: &ClientOptions,
    ) -> Result<Client, ApiError> {
        if server.is_cleartext_to_remote_host() {
            tracing::warn!(
                "{} uses http:// to a host outside this network: the API key travels in clear text; \
                 use https://",
                server.site
            );
        }
        let http = http_client(options);
        let api = match &server.api {
            Some(api) => api.clone(),
            None => discover(&http, &server.site).await?,
        };
        Ok(Client {
            http,
            api,
            site: server.site.clone(),
            key,
        })
    }

    /// The web site of the server, for links.
    pub fn site(&self) -> &Url {
        &self.site
    }

    /// The link to an asset in the web app.
    pub fn photo_url(&self, asset_id: &str) -> String {
        format!(
            "{}/photos/{asset_id}",
            self.site.as_str().trim_end_matches('/')
        )
    }

    /// The one send path: every API call goes through here.
    pub async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let url = self
            .api
            .join(path.trim_start_matches('/'))
            .expect("API paths are valid relative URLs");
        let endpoint = format!("{method} {}", url.path());
        let mut request = self
            .http
            .request(method, url)
            .header("x-api-key", self.key.expose())
            .header("accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|error| transport(&endpoint, &error))?;
        let status = response.status();
        let correlation_id = response
            .headers()
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response
            .bytes()
            .await
            .map_err(|error| transport(&endpoint, &error))?;
        tracing::debug!(
            "{endpoint} -> {} ({} bytes, {} ms)",
            status.as_u16(),
            bytes.len(),
            started.elapsed().as_millis()
        );
        if status.is_redirection() {
            return Err(ApiError {
                endpoint,
                kind: ApiErrorKind::Status {
                    status: status.as_u16(),
                    message: format!(
                        "redirected to {}, another host; not following it with the API key \
                         (give the final server URL instead)",
                        location.as_deref().unwrap_or("(no location)")
                    ),
                    correlation_id,
                },
            });
        }
        if !status.is_success() {
            return Err(ApiError::from_status(
                endpoint,
                status.as_u16(),
                &bytes,
                correlation_id,
            ));
        }
        serde_json::from_slice(&bytes).map_err(|error| ApiError {
            endpoint,
            kind: ApiErrorKind::Decode(error.to_string()),
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        self.call::<T, ()>(Method::GET, path, query, None).await
    }

    pub async fn server_version(&self) -> Result<ServerVersion, ApiError> {
        self.get("server/version", &[]).await
    }

    pub async fn me(&self) -> Result<User, ApiError> {
        self.get("users/me", &[]).await
    }

    pub async fn api_key_info(&self) -> Result<ApiKeyInfo, ApiError> {
        self.get("api-keys/me", &[]).await
    }

    /// One page of a metadata or smart search.
    pub async fn search_page(
        &self,
        path: &str,
        body: &Map<String, Value>,
    ) -> Result<SearchAssets, ApiError> {
        let response: SearchResponse = self.call(Method::POST, path, &[], Some(body)).await?;
        Ok(response.assets)
    }

    /// Albums the key's user owns or is a member of; with `name`, only those of exactly that name.
    pub async fn albums(&self, name: Option<&str>) -> Result<Vec<Album>, ApiError> {
        let query: Vec<(&str, String)> =
            name.map(|n| ("name", n.to_string())).into_iter().collect();
        let albums: Vec<Album> = self.get("albums", &query).await?;
        // Older servers ignore `name`: filter here too, so the answer means the same everywhere.
        Ok(match name {
            Some(name) => albums
                .into_iter()
                .filter(|a| a.album_name == name)
                .collect(),
            None => albums,
        })
    }

    pub async fn album(&self, id: &str) -> Result<Album, ApiError> {
        self.get(&format!("albums/{id}"), &[]).await
    }

    pub async fn create_album(
        &self,
        name: &str,
        members: &[AlbumUserAdd],
    ) -> Result<Album, ApiError> {
        let mut body = json!({ "albumName": name });
        if !members.is_empty() {
            body["albumUsers"] = serde_json::to_value(members).expect("members serialize");
        }
        self.call(Method::POST, "albums", &[], Some(&body)).await
    }

    pub async fn share_album(&self, id: &str, members: &[AlbumUserAdd]) -> Result<Album, ApiError> {
        let body = json!({ "albumUsers": members });
        self.call(Method::PUT, &format!("albums/{id}/users"), &[], Some(&body))
            .await
    }

    /// Adds assets; the server answers per id, and a 200 does not mean every id was added.
    pub async fn add_album_assets(
        &self,
        id: &str,
        asset_ids: &[String],
    ) -> Result<Vec<BulkIdResult>, ApiError> {
        let body = json!({ "ids": asset_ids });
        self.call(
            Method::PUT,
            &format!("albums/{id}/assets"),
            &[],
            Some(&body),
        )
        .await
    }

    pub async fn people_page(&self, page: u32, size: u32) -> Result<PeoplePage, ApiError> {
        let query = [
            ("page", page.to_string()),
            ("size", size.to_string()),
            ("withHidden", "true".to_string()),
        ];
        self.get("people", &query).await
    }
}

/// Finds the API base of a bare site through `/.well-known/immich`, falling back to `{site}/api` when
/// the server (or a proxy in front of it) does not answer that path.
async fn discover(http: &reqwest::Client, site: &Url) -> Result<Url, ApiError> {
    let site_dir = with_trailing_slash(site.clone());
    let url = site_dir
        .join(".well-known/immich")
        .expect("a valid relative URL");
    let endpoint = format!("GET {}", url.path());
    let fallback = site_dir.join("api/").expect("a valid relative URL");
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|error| transport(&endpoint, &error))?;
    if !response.status().is_success() {
        tracing::debug!(
            "{endpoint} -> {}; using {fallback}",
            response.status().as_u16()
        );
        return Ok(fallback);
    }
    let document: Value = match response.json().await {
        Ok(document) => document,
        Err(_) => return Ok(fallback),
    };
    match document.pointer("/api/endpoint").and_then(Value::as_str) {
        Some(endpoint) => Ok(with_trailing_slash(
            site_dir
                .join(endpoint.trim_start_matches('/'))
                .unwrap_or(fallback),
        )),
        None => Ok(fallback),
    }
}

/// Describes a transport failure with its causes, without the URL (the endpoint says where).
fn transport(endpoint: &str, error: &reqwest::Error) -> ApiError {
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    let headline = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "connection failed".to_string()
    } else if error.is_body() || error.is_decode() {
        "the answer was cut off".to_string()
    } else {
        "request failed".to_string()
    };
    let message = if parts.is_empty() {
        headline
    } else {
        format!("{headline}: {}", parts.join(": "))
    };
    ApiError {
        endpoint: endpoint.to_string(),
        kind: ApiErrorKind::Transport {
            message,
            timeout: error.is_timeout(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_in_every_accepted_form() {
        let bare = ServerUrl::parse("https://photos.example.com").unwrap();
        assert_eq!(bare.site.as_str(), "https://photos.example.com/");
        assert_eq!(bare.api, None);
        assert_eq!(
            ServerUrl::parse("https://photos.example.com/").unwrap(),
            bare
        );
        let api = ServerUrl::parse("https://photos.example.com/api").unwrap();
        assert_eq!(api.site.as_str(), "https://photos.example.com/");
        assert_eq!(api.api.unwrap().as_str(), "https://photos.example.com/api/");
        let prefixed = ServerUrl::parse("https://example.com/immich/api/").unwrap();
        assert_eq!(prefixed.site.as_str(), "https://example.com/immich");
        assert_eq!(
            prefixed.api.unwrap().as_str(),
            "https://example.com/immich/api/"
        );
    }

    #[test]
    fn bad_server_urls_say_what_was_expected() {
        for (text, expected) in [
            ("photos.example.com", "no scheme"),
            ("ftp://photos.example.com", "not an http(s) URL"),
            ("https://", "not a URL"),
            ("", "empty"),
            ("https://x.com/?a=1", "query"),
        ] {
            let error = ServerUrl::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn clear_text_is_flagged_only_for_remote_hosts() {
        for (url, flagged) in [
            ("http://127.0.0.1:2283", false),
            ("http://192.168.1.10:2283", false),
            ("http://immich.local", false),
            ("http://nas", false),
            ("http://[::1]:2283", false),
            ("https://photos.example.com", false),
            ("http://photos.example.com", true),
            ("http://8.8.8.8", true),
        ] {
            assert_eq!(
                ServerUrl::parse(url).unwrap().is_cleartext_to_remote_host(),
                flagged,
                "{url}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let server = ServerUrl::parse("http://127.0.0.1:1/api").unwrap();
        let client = Client {
            http: http_client(&ClientOptions::default()),
            api: server.api.unwrap(),
            site: server.site,
            key: ApiKey::new("very-secret").unwrap(),
        };
        let text = format!("{client:?}");
        assert!(!text.contains("very-secret"), "{text}");
    }
}
