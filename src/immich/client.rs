//! The Immich HTTP client. [`Client::connect`] turns a server URL as a user writes it (`https://host`,
//! `https://host/` or `https://host/api`) into the API base, discovering it through
//! `/.well-known/immich` when given the bare site. Every call then goes through one send path,
//! [`Client::call`] (or [`Client::call_with`], with the caller's decoder; [`Client::call_binary`] for
//! images): it waits for the server's in-flight limit when the client has one
//! ([`Client::with_limiter`]), adds `x-api-key`, applies the connect and request timeouts, retries what a
//! restarting proxy or server gets wrong (see [`super::retry`]), logs the endpoint and status (never a
//! header), and turns every failure into an [`ApiError`] that names the endpoint and the attempts made.
//! Redirects are followed only within the same origin, so the key never travels to another host.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use url::Url;

use super::error::{ApiError, ApiErrorKind};
use super::retry::{self, Class, Failure, RetryPolicy, Safety, class_of_status};
use super::types::{
    Album, AlbumUserAdd, ApiKeyInfo, AssetInfo, BulkIdResult, LinkSettings, PeoplePage,
    ServerVersion, SharedLink, Tag, UploadCheck, UploadChecks, Uploaded, User,
};
use crate::secret::ApiKey;

/// The `accept` header of JSON calls.
const JSON: &str = "application/json";

/// One request as every attempt of a call sends it.
#[derive(Clone, Copy)]
struct Request<'a> {
    method: &'a Method,
    url: &'a Url,
    /// `POST /api/search/metadata`, for logs and errors.
    endpoint: &'a str,
    query: &'a [(&'a str, String)],
    /// Encoded once, sent as it is by every attempt.
    body: Option<&'a [u8]>,
    accept: &'a str,
}

/// An answer that is not JSON: its bytes and content type.
#[derive(Debug, Clone)]
pub struct Binary {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// Timeouts and retries for every request of a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// For one request (one attempt), from sending to the end of the body.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
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
    retry: RetryPolicy,
    /// Bounds the requests in flight to the server; shared by every client of one server.
    limiter: Option<Arc<Semaphore>>,
    /// Read once, when connecting: which API shapes the server speaks.
    version: ServerVersion,
    /// The per-request limit; for a stream, how long it may stand still.
    timeout: Duration,
}

/// The whole-request limit of a stream: none to speak of (a week); [`Client::timeout`] bounds how
/// long it may stand still, watched by its caller.
const STREAM_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Requests sent and response bytes received by every client of this process, for the benchmark.
static REQUESTS_SENT: AtomicU64 = AtomicU64::new(0);
static BYTES_RECEIVED: AtomicU64 = AtomicU64::new(0);

/// Requests sent (attempts, retries included) and response body bytes received so far by every client
/// of this process.
pub fn traffic() -> (u64, u64) {
    (
        REQUESTS_SENT.load(Ordering::Relaxed),
        BYTES_RECEIVED.load(Ordering::Relaxed),
    )
}

/// Why a 2xx body could not be used.
#[derive(Debug)]
pub enum DecodeFailure {
    /// Not the API's JSON at all: most often a body cut off by a proxy, so the call is retried.
    Malformed(String),
    /// Well-formed JSON that does not say what it must (an asset without an id): not retried.
    Invalid(String),
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
/// With `system_roots`, TLS certificates are checked against the system's CA certificates, which are
/// loaded here (building fails on a host that has none); without, the client has no CA certificate
/// at all and serves plain http only.
fn http_client(
    options: &ClientOptions,
    system_roots: bool,
) -> Result<reqwest::Client, reqwest::Error> {
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
    install_tls_provider();
    let builder = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .redirect(policy)
        .user_agent(concat!("immich-smart-albums/", env!("CARGO_PKG_VERSION")));
    let builder = if system_roots {
        builder
    } else {
        builder.tls_certs_only(Vec::<reqwest::Certificate>::new())
    };
    builder.build()
}

/// Makes ring the process's TLS crypto provider, once (reqwest is built without one of its own, see
/// Cargo.toml). Every HTTP client of the program, the simulator's test clients included, is built
/// after this.
pub fn install_tls_provider() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Err only when another provider is already installed: that one is used, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The error for an https:// server on a host without CA certificates (a slim container without the
/// ca-certificates package): what is missing and how to provide it.
fn no_ca_certificates(url: &Url, cause: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(
        format!("connecting to {url}"),
        ApiErrorKind::Setup(format!(
            "no CA certificates on this host, so the server's TLS certificate cannot be checked \
             ({cause}); install the ca-certificates package, or point SSL_CERT_FILE at a PEM file of \
             CA certificates"
        )),
    )
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
        // CA certificates are needed for https only: a plain-http server is reached without them.
        let plain_http = server.site.scheme() == "http"
            && server.api.as_ref().is_none_or(|api| api.scheme() == "http");
        let (http, system_roots) = match http_client(options, true) {
            Ok(http) => (http, true),
            Err(error) if plain_http => {
                tracing::debug!("no TLS set-up ({error}); {} is plain http", server.site);
                let http = http_client(options, false)
                    .map_err(|error| no_ca_certificates(&server.site, &error))?;
                (http, false)
            }
            Err(error) => return Err(no_ca_certificates(&server.site, &source_of(&error))),
        };
        let api = match &server.api {
            Some(api) => api.clone(),
            None => discover(&http, &server.site, &options.retry).await?,
        };
        if !system_roots && api.scheme() != "http" {
            return Err(no_ca_certificates(
                &api,
                &"the server names an https:// API",
            ));
        }
        let mut client = Client {
            http,
            api,
            site: server.site.clone(),
            key,
            retry: options.retry.clone(),
            limiter: None,
            version: ServerVersion::NEWEST,
            timeout: options.timeout,
        };
        client.version = client.server_version().await?;
        check_version(&client)?;
        Ok(client)
    }

    /// The server's version, read when connecting.
    pub fn version(&self) -> ServerVersion {
        self.version
    }

    /// The per-request limit (`--timeout`). A stream ([`Client::open_original`], [`Client::upload`])
    /// is not held to it as a whole: its caller stops it when it stands still this long.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// This client with every request bounded by `limiter`: a request waits for a permit, holds it
    /// while it is in flight (not while it waits for a retry) and gives it back once its body is read.
    /// Share one limiter between the clients of one server.
    pub fn with_limiter(mut self, limiter: Arc<Semaphore>) -> Client {
        self.limiter = Some(limiter);
        self
    }

    /// The web site of the server, for links.
    pub fn site(&self) -> &Url {
        &self.site
    }

    /// The link to an asset in the web app.
    /// The API base URL without its trailing slash, e.g. `https://host/api`: names the server in the
    /// local record.
    pub fn api_base(&self) -> &str {
        self.api.as_str().trim_end_matches('/')
    }

    pub fn photo_url(&self, asset_id: &str) -> String {
        format!(
            "{}/photos/{asset_id}",
            self.site.as_str().trim_end_matches('/')
        )
    }

    /// The one send path: every API call goes through here. A call is retried by the client's
    /// [`RetryPolicy`] on failures a repeat may fix; `POST /api/albums` only when the request never
    /// reached the server (see [`safety_of`]).
    pub async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        self.call_with(method, path, query, body, |bytes| {
            serde_json::from_slice(bytes).map_err(|e| DecodeFailure::Malformed(e.to_string()))
        })
        .await
    }

    /// The send path for an answer that is not JSON (an image): the same limit, key, timeouts,
    /// retries and logging as [`Client::call`], with the body and its content type as they came.
    pub async fn call_binary(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        accept: &str,
    ) -> Result<Binary, ApiError> {
        self.send(
            method,
            path,
            query,
            None::<&()>,
            accept,
            |bytes, content_type| {
                Ok(Binary {
                    bytes: bytes.to_vec(),
                    content_type: content_type.map(str::to_string),
                })
            },
            &AtomicU32::new(0),
        )
        .await
    }

    /// [`Client::call`] with the caller's decoder, which reads the body while it is at hand (a search
    /// page is cut down to what is kept of each asset, and the page's JSON is dropped right after).
    pub async fn call_with<T, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        decode: impl Fn(&[u8]) -> Result<T, DecodeFailure>,
    ) -> Result<T, ApiError> {
        let sent = AtomicU32::new(0);
        self.send(
            method,
            path,
            query,
            body,
            JSON,
            |bytes, _| decode(bytes),
            &sent,
        )
        .await
    }

    /// What every call comes down to: encode the body once, then attempt (and retry) the request,
    /// counting the requests sent in `sent`.
    #[allow(clippy::too_many_arguments)]
    async fn send<T, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        accept: &str,
        decode: impl Fn(&[u8], Option<&str>) -> Result<T, DecodeFailure>,
        sent: &AtomicU32,
    ) -> Result<T, ApiError> {
        let path = path.trim_start_matches('/');
        let url = self
            .api
            .join(path)
            .expect("API paths are valid relative URLs");
        let endpoint = format!("{method} {}", url.path());
        // Encoded once, sent as it is by every attempt.
        let body = match body.map(serde_json::to_vec).transpose() {
            Ok(body) => body,
            Err(error) => {
                return Err(ApiError::new(
                    endpoint,
                    ApiErrorKind::Transport {
                        message: format!("the request body could not be encoded: {error}"),
                        timeout: false,
                    },
                ));
            }
        };
        let safety = safety_of(&method, path);
        let request = Request {
            method: &method,
            url: &url,
            endpoint: &endpoint,
            query,
            body: body.as_deref(),
            accept,
        };
        retry::run(&self.retry, &endpoint, safety, || {
            sent.fetch_add(1, Ordering::Relaxed);
            self.attempt(&request, &decode)
        })
        .await
    }

    /// One request of a call, its failure classed for [`retry::run`].
    async fn attempt<T>(
        &self,
        request: &Request<'_>,
        decode: &impl Fn(&[u8], Option<&str>) -> Result<T, DecodeFailure>,
    ) -> Result<T, Failure> {
        let Request {
            method,
            url,
            endpoint,
            query,
            body,
            accept,
        } = *request;
        let permit = self.start_request().await;
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header("x-api-key", self.key.expose())
            .header("accept", accept);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_vec());
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|error| transport_failure(endpoint, &error))?;
        let status = response.status();
        let header = |name: &str| header_of(&response, name);
        let correlation_id = header("x-correlation-id");
        let location = header("location");
        let content_type = header("content-type");
        let retry_after = retry::parse_retry_after(header("retry-after").as_deref());
        let bytes = response.bytes().await.map_err(|error| {
            // The status line came, the body did not: a cut-off answer.
            Failure::new(transport(endpoint, &error), Class::Transient)
        })?;
        drop(permit);
        BYTES_RECEIVED.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        tracing::debug!(
            "{endpoint} -> {} ({} bytes, {} ms)",
            status.as_u16(),
            bytes.len(),
            started.elapsed().as_millis()
        );
        if status.is_redirection() {
            let error = redirected(endpoint, status, location, correlation_id);
            return Err(Failure::new(error, Class::Final));
        }
        if !status.is_success() {
            let error = ApiError::from_status(
                endpoint.to_string(),
                status.as_u16(),
                &bytes,
                correlation_id,
            );
            return Err(Failure {
                error,
                class: class_of_status(status.as_u16()),
                retry_after: (status.as_u16() == 429).then_some(retry_after).flatten(),
            });
        }
        decode(&bytes, content_type.as_deref()).map_err(|failure| match failure {
            // A 2xx with a body that is not the API's JSON: most often one cut off by a proxy.
            DecodeFailure::Malformed(message) => Failure::new(
                ApiError::new(endpoint, ApiErrorKind::Decode(message)),
                Class::Transient,
            ),
            DecodeFailure::Invalid(message) => Failure::new(
                ApiError::new(endpoint, ApiErrorKind::Decode(message)),
                Class::Final,
            ),
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

    /// The users of the server (`GET /api/users`).
    pub async fn users(&self) -> Result<Vec<User>, ApiError> {
        self.get("users", &[]).await
    }

    pub async fn api_key_info(&self) -> Result<ApiKeyInfo, ApiError> {
        self.get("api-keys/me", &[]).await
    }

    /// Albums the key's user owns or is a member of; with `name`, only those of exactly that name.
    /// 2.x lists only the user's own albums unless asked for `shared=true`, which lists the shared
    /// ones, its own and others' (measured on 2.5.6): both are asked for, each album kept once.
    pub async fn albums(&self, name: Option<&str>) -> Result<Vec<Album>, ApiError> {
        let query: Vec<(&str, String)> =
            name.map(|n| ("name", n.to_string())).into_iter().collect();
        let mut albums: Vec<Album> = self.get("albums", &query).await?;
        if self.version.is_2x() {
            let shared: Vec<Album> = self
                .get("albums", &[("shared", "true".to_string())])
                .await?;
            let own: std::collections::HashSet<String> =
                albums.iter().map(|a| a.id.clone()).collect();
            albums.extend(shared.into_iter().filter(|a| !own.contains(&a.id)));
        }
        // Older servers ignore `name`: filter here too, so the answer means the same everywhere.
        Ok(match name {
            Some(name) => albums
                .into_iter()
                .filter(|a| a.album_name == name)
                .collect(),
            None => albums,
        })
    }

    /// An album without its assets (2.x would send every asset of the album otherwise).
    pub async fn album(&self, id: &str) -> Result<Album, ApiError> {
        let query = if self.version.is_2x() {
            vec![("withoutAssets", "true".to_string())]
        } else {
            Vec::new()
        };
        self.get(&format!("albums/{id}"), &query).await
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

    /// Changes an album's name, description, order or cover (`PATCH /api/albums/{id}`).
    pub async fn update_album(&self, id: &str, changes: &Value) -> Result<Album, ApiError> {
        self.call(Method::PATCH, &format!("albums/{id}"), &[], Some(changes))
            .await
    }

    pub async fn share_album(&self, id: &str, members: &[AlbumUserAdd]) -> Result<Album, ApiError> {
        let body = json!({ "albumUsers": members });
        self.call(Method::PUT, &format!("albums/{id}/users"), &[], Some(&body))
            .await
    }

    /// Adds assets; the server answers per id, and a 200 does not mean every id was added. Also
    /// whether the request was sent more than once: a `duplicate` answer may then be an earlier
    /// attempt's own add, whose answer was lost.
    pub async fn add_album_assets(
        &self,
        id: &str,
        asset_ids: &[String],
    ) -> Result<(Vec<BulkIdResult>, bool), ApiError> {
        self.album_assets(Method::PUT, id, asset_ids).await
    }

    /// Removes assets from an album (never from the library); the server answers per id. Also says
    /// whether the request was sent more than once (a `not_found` to a resend may be its own work).
    pub async fn remove_album_assets(
        &self,
        id: &str,
        asset_ids: &[String],
    ) -> Result<(Vec<BulkIdResult>, bool), ApiError> {
        self.album_assets(Method::DELETE, id, asset_ids).await
    }

    /// `PUT` or `DELETE /albums/{id}/assets`: the per-id answers, and whether it was sent twice.
    async fn album_assets(
        &self,
        method: Method,
        id: &str,
        asset_ids: &[String],
    ) -> Result<(Vec<BulkIdResult>, bool), ApiError> {
        let body = json!({ "ids": asset_ids });
        let sent = AtomicU32::new(0);
        let answer = self
            .send(
                method,
                &format!("albums/{id}/assets"),
                &[],
                Some(&body),
                JSON,
                |bytes, _| {
                    serde_json::from_slice(bytes)
                        .map_err(|e| DecodeFailure::Malformed(e.to_string()))
                },
                &sent,
            )
            .await?;
        Ok((answer, sent.load(Ordering::Relaxed) > 1))
    }

    /// An asset's small thumbnail (`size=thumbnail`), as the server encodes it (WebP or JPEG on Immich).
    pub async fn thumbnail(&self, asset_id: &str) -> Result<Binary, ApiError> {
        self.call_binary(
            Method::GET,
            &format!("assets/{asset_id}/thumbnail"),
            &[("size", "thumbnail".to_string())],
            "image/*",
        )
        .await
    }

    /// The key's user's shared links of one album (`GET /api/shared-links?albumId=`).
    pub async fn shared_links(&self, album_id: &str) -> Result<Vec<SharedLink>, ApiError> {
        self.get("shared-links", &[("albumId", album_id.to_string())])
            .await
    }

    /// Creates an album shared link (`POST /api/shared-links`, type `ALBUM`).
    pub async fn create_shared_link(
        &self,
        album_id: &str,
        expires_at: &str,
        settings: &LinkSettings<'_>,
    ) -> Result<SharedLink, ApiError> {
        let mut body = json!({
            "type": "ALBUM",
            "albumId": album_id,
            "expiresAt": expires_at,
            "allowDownload": settings.allow_download,
            "showMetadata": settings.show_metadata,
            // Immich's default lets anyone with the URL upload into the album.
            "allowUpload": false,
        });
        if let Some(password) = settings.password {
            body["password"] = password.expose().into();
        }
        self.call(Method::POST, "shared-links", &[], Some(&body))
            .await
    }

    /// Changes a shared link (`PATCH /api/shared-links/{id}`): `changes` holds the fields that
    /// change (`expiresAt`, `password` (null takes it away), `allowDownload`, `showMetadata`).
    pub async fn update_shared_link(
        &self,
        id: &str,
        changes: &Value,
    ) -> Result<SharedLink, ApiError> {
        self.call(
            Method::PATCH,
            &format!("shared-links/{id}"),
            &[],
            Some(changes),
        )
        .await
    }

    /// The key's user's tags (`GET /api/tags`).
    pub async fn tags(&self) -> Result<Vec<Tag>, ApiError> {
        self.get("tags", &[]).await
    }

    /// One asset's details (`GET /api/assets/{id}`): what a copy needs to upload it again.
    pub async fn asset_info(&self, id: &str) -> Result<AssetInfo, ApiError> {
        self.get(&format!("assets/{id}"), &[]).await
    }

    /// Which of these checksums the key's user already holds (`POST /api/assets/bulk-upload-check`);
    /// `items` are (a client-side id, the base64 checksum).
    pub async fn bulk_upload_check(
        &self,
        items: &[(String, String)],
    ) -> Result<Vec<UploadCheck>, ApiError> {
        let assets: Vec<serde_json::Value> = items
            .iter()
            .map(|(id, checksum)| json!({ "id": id, "checksum": checksum }))
            .collect();
        let answer: UploadChecks = self
            .call(
                Method::POST,
                "assets/bulk-upload-check",
                &[],
                Some(&json!({ "assets": assets })),
            )
            .await?;
        Ok(answer.results)
    }

    /// Opens an asset's original file for reading as a stream (`GET /api/assets/{id}/original`). One
    /// attempt: a copy that fails is tried again as a whole.
    pub async fn open_original(&self, id: &str) -> Result<reqwest::Response, ApiError> {
        self.once(Method::GET, &format!("assets/{id}/original"), |r| {
            r.header("accept", "application/octet-stream")
        })
        .await
    }

    /// Uploads a file (`POST /api/assets`, multipart). One attempt: the form's file is a stream that
    /// cannot be sent twice; an upload repeated after a lost answer comes back `duplicate`.
    pub async fn upload(&self, form: reqwest::multipart::Form) -> Result<Uploaded, ApiError> {
        let endpoint = format!("POST {}", self.api.join("assets").expect("valid").path());
        let response = self
            .once(Method::POST, "assets", |r| {
                r.header("accept", JSON).multipart(form)
            })
            .await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|error| transport(&endpoint, &error))?;
        serde_json::from_slice(&bytes).map_err(|error| {
            ApiError::new(
                endpoint,
                ApiErrorKind::Decode(format!("not an upload answer: {error}")),
            )
        })
    }

    /// Waits for the in-flight limit and counts the request: the permit is held until the answer's
    /// body is read (or, for a stream, until its headers came).
    async fn start_request(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permit = match &self.limiter {
            Some(limiter) => Some(
                limiter
                    .acquire()
                    .await
                    .expect("the limiter is never closed"),
            ),
            None => None,
        };
        REQUESTS_SENT.fetch_add(1, Ordering::Relaxed);
        permit
    }

    /// One request, sent once with the key and the in-flight limit, for bodies that stream: a
    /// non-success answer becomes the error that names the endpoint, as in [`Client::call`].
    async fn once(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ApiError> {
        let url = self
            .api
            .join(path)
            .expect("API paths are valid relative URLs");
        let endpoint = format!("{method} {}", url.path());
        let permit = self.start_request().await;
        // A stream may take longer than `timeout` as a whole (a large original on a slow link): its
        // caller stops it when it stands still instead.
        let request = self
            .http
            .request(method, url)
            .timeout(STREAM_TIMEOUT)
            .header("x-api-key", self.key.expose());
        let response = build(request)
            .send()
            .await
            .map_err(|error| transport(&endpoint, &error))?;
        drop(permit);
        let status = response.status();
        tracing::debug!("{endpoint} -> {}", status.as_u16());
        if status.is_success() {
            return Ok(response);
        }
        let header = |name: &str| header_of(&response, name);
        let correlation_id = header("x-correlation-id");
        if status.is_redirection() {
            return Err(redirected(
                &endpoint,
                status,
                header("location"),
                correlation_id,
            ));
        }
        let bytes = response.bytes().await.unwrap_or_default();
        Err(ApiError::from_status(
            endpoint,
            status.as_u16(),
            &bytes,
            correlation_id,
        ))
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

/// How safe a call is to repeat. Every call of this client may be sent twice with the effect of once
/// (reads, searches, album adds: a second add of an id answers `duplicate`), except creating an album:
/// when the server took `POST /api/albums` and the answer was lost (a 502 from the proxy, a reset, a
/// timeout), a repeat would create a second album of the same name, and the next run would then stop
/// at the ambiguous name. It is retried only when no connection was made.
fn safety_of(method: &Method, path: &str) -> Safety {
    // A repeat would make a second album, or a second link.
    if *method == Method::POST && matches!(path.trim_end_matches('/'), "albums" | "shared-links") {
        Safety::OnlyIfUnsent
    } else {
        Safety::Idempotent
    }
}

/// Refuses a server older than the oldest supported line, and warns once per server about one newer
/// than the newest line this tool knows.
fn check_version(client: &Client) -> Result<(), ApiError> {
    let version = client.version;
    tracing::debug!("{} runs Immich {version}", client.api_base());
    if version < ServerVersion::OLDEST {
        return Err(ApiError::new(
            format!("connecting to {}", client.site),
            ApiErrorKind::Setup(format!(
                "the server runs Immich {version}; this tool supports Immich {} and later \
                 (docs/compatibility.md): update Immich, or use the Python script for this server",
                ServerVersion::OLDEST
            )),
        ));
    }
    if version.is_newer_than_known() {
        static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
        let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        let base = client.api_base().to_string();
        if !warned.contains(&base) {
            tracing::warn!(
                "{} runs Immich {version}, newer than {}.{}, the newest line this tool was checked \
                 against; running anyway (preview first if the server changed a lot)",
                client.site,
                ServerVersion::NEWEST.major,
                ServerVersion::NEWEST.minor
            );
            warned.push(base);
        }
    }
    Ok(())
}

/// Finds the API base of a bare site through `/.well-known/immich`, falling back to `{site}/api` when
/// the server (or a proxy in front of it) does not answer that path. Retried like a GET.
async fn discover(
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
            .map_err(|error| transport_failure(&endpoint, &error))?;
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

/// An error with its causes, `a: b: c`.
fn source_of(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// A response header as text, when it is there and readable.
fn header_of(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A redirect the client did not follow (to another host): an error that says why.
fn redirected(
    endpoint: &str,
    status: reqwest::StatusCode,
    location: Option<String>,
    correlation_id: Option<String>,
) -> ApiError {
    ApiError::new(
        endpoint,
        ApiErrorKind::Status {
            status: status.as_u16(),
            message: format!(
                "redirected to {}, another host; not following it with the API key (give the \
                 final server URL instead)",
                location.as_deref().unwrap_or("(no location)")
            ),
            correlation_id,
        },
    )
}

/// A transport failure, classed: no connection made ([`Class::Unsent`]), a builder or redirect-policy
/// error ([`Class::Final`]), or anything after the request left ([`Class::Transient`]).
fn transport_failure(endpoint: &str, error: &reqwest::Error) -> Failure {
    let class = if error.is_connect() {
        Class::Unsent
    } else if error.is_builder() || error.is_redirect() {
        Class::Final
    } else {
        Class::Transient
    };
    Failure::new(transport(endpoint, error), class)
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
    ApiError::new(
        endpoint,
        ApiErrorKind::Transport {
            message,
            timeout: error.is_timeout(),
        },
    )
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
    fn only_album_creation_is_unsafe_to_repeat() {
        assert_eq!(safety_of(&Method::POST, "albums"), Safety::OnlyIfUnsent);
        for (method, path) in [
            (Method::POST, "search/metadata"),
            (Method::POST, "search/smart"),
            (Method::PUT, "albums/x/assets"),
            (Method::GET, "albums"),
            (Method::GET, "users/me"),
        ] {
            assert_eq!(
                safety_of(&method, path),
                Safety::Idempotent,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_key() {
        let server = ServerUrl::parse("http://127.0.0.1:1/api").unwrap();
        let client = Client {
            http: http_client(&ClientOptions::default(), false).unwrap(),
            timeout: ClientOptions::default().timeout,
            api: server.api.unwrap(),
            site: server.site,
            key: ApiKey::new("very-secret").unwrap(),
            retry: RetryPolicy::default(),
            limiter: None,
            version: ServerVersion::NEWEST,
        };
        let text = format!("{client:?}");
        assert!(!text.contains("very-secret"), "{text}");
    }
}
