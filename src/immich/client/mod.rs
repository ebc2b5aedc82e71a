//! The Immich HTTP client: the [`Client`] type, how it is built ([`Client::connect`], [`ClientOptions`],
//! [`Client::with_limiter`]) and the one send path every request takes. [`Client::call`] (or
//! [`Client::call_with`], with the caller's decoder; [`Client::call_binary`] for images) waits for the
//! server's in-flight limit when the client has one, adds `x-api-key`, applies the connect and request
//! timeouts, retries what a restarting proxy or server gets wrong, only where a repeat is safe
//! ([`safety_of`], [`super::retry`]), logs the endpoint and status (never a header), and turns every
//! failure into an [`ApiError`] that names the endpoint and the attempts made. Bodies that stream (an
//! original, an upload) go once through [`Client::once`]. Redirects are followed only within the same
//! origin, so the key never travels to another host.
//!
//! The endpoints are further `impl Client` blocks, one file per Immich resource: `albums`, `assets`,
//! `links` (shared links), `people`, `tags` and `server` (version, users, the key). `server_url` reads
//! the URL a user gives and finds the API base from it.

mod albums;
mod assets;
mod links;
mod people;
mod scheme;
mod server;
mod server_url;
mod tags;
#[cfg(test)]
mod tests;

pub use server_url::ServerUrl;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use super::error::{ApiError, ApiErrorKind};
use super::retry::{self, Class, Failure, RetryPolicy, Safety, class_of_status};
use super::types::ServerVersion;
use crate::secret::ApiKey;
use scheme::{at_first_contact, plain_http_refused, wrong_scheme};
use server::check_version;
use server_url::discover;

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
    /// The server's clock: the latest `Date` header its answers carried (ms since the epoch, whole
    /// seconds, rounded down by the server), 0 before the first. Shared by the clones of a client.
    server_date: Arc<AtomicI64>,
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
            None => discover(&http, &server.site, &options.retry)
                .await
                .map_err(|error| at_first_contact(&server.site, error))?,
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
            server_date: Arc::new(AtomicI64::new(0)),
        };
        client.version = client
            .server_version()
            .await
            .map_err(|error| at_first_contact(&client.site, error))?;
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

    /// The server's own time, as the `Date` header of the latest answer this client (or a clone)
    /// received told it: whole seconds, rounded down, so never later than the moment that answer was
    /// made. `None` before any answer carried one. An incremental sync takes its watermark from it
    /// (see `job::since`): only the server's clock orders the server's `updatedAt` stamps.
    pub fn server_date_ms(&self) -> Option<i64> {
        let ms = self.server_date.load(Ordering::Relaxed);
        (ms != 0).then_some(ms)
    }

    /// The web site of the server, for links.
    pub fn site(&self) -> &Url {
        &self.site
    }

    /// The API base URL without its trailing slash, e.g. `https://host/api`: names the server in the
    /// local record.
    pub fn api_base(&self) -> &str {
        self.api.as_str().trim_end_matches('/')
    }

    /// The link to an asset in the web app.
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
            .map_err(|error| transport_failure(endpoint, url, &error))?;
        let status = response.status();
        let header = |name: &str| header_of(&response, name);
        let correlation_id = header("x-correlation-id");
        let location = header("location");
        let content_type = header("content-type");
        let retry_after = retry::parse_retry_after(header("retry-after").as_deref());
        if let Some(ms) = header("date").as_deref().and_then(http_date_ms) {
            self.server_date.fetch_max(ms, Ordering::Relaxed);
        }
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
        if let Some(error) = plain_http_refused(endpoint, url, status, &bytes) {
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
/// An HTTP `Date` (`Sun, 06 Dec 2026 08:51:26 GMT`) in ms since the epoch; `None` for anything else.
pub fn http_date_ms(text: &str) -> Option<i64> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text.trim())
        .ok()
        .map(|t| t.as_millisecond())
}

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

/// A transport failure, classed: the URL's scheme not being the server's ([`Class::Final`], with the
/// fix: see [`wrong_scheme`]), no connection made ([`Class::Unsent`]), a builder or redirect-policy
/// error ([`Class::Final`]), or anything after the request left ([`Class::Transient`]).
fn transport_failure(endpoint: &str, url: &Url, error: &reqwest::Error) -> Failure {
    if let Some(error) = wrong_scheme(endpoint, url, error) {
        return Failure::new(error, Class::Final);
    }
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
