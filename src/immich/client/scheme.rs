//! A server spoken to in the wrong scheme: `https://` to a port that answers plain HTTP, or `http://`
//! to one that speaks TLS. Neither goes away on a retry; the error says which URL to use instead.

use url::Url;

use crate::immich::error::{ApiError, ApiErrorKind};

/// The error for a server that speaks the other scheme, when the causes of a failed request show it:
/// `https://` to a port that answers plain HTTP (rustls reads the HTTP answer as a TLS record whose
/// content type is not one: `InvalidContentType`), or `http://` to a port that speaks TLS (its first
/// bytes, a TLS record such as an alert, are not an HTTP status line: hyper's `invalid HTTP version
/// parsed`). Neither goes away on a retry, and the other scheme is the fix.
pub(super) fn wrong_scheme(endpoint: &str, url: &Url, error: &reqwest::Error) -> Option<ApiError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        let found = match url.scheme() {
            "https" => tls_read_plain_http(cause),
            "http" => cause.to_string().contains(HYPER_NOT_HTTP),
            _ => false,
        };
        if found {
            return Some(wrong_scheme_error(endpoint, url, cause.to_string()));
        }
        source = cause.source();
    }
    None
}

/// The error of the first request to a server, which is where a scheme that is not the server's
/// shows: the URL to use instead becomes the site as the user gave it, with the other scheme. And when
/// every connection to an `http://` server closed without an answer (what a restarting proxy does, so
/// it was retried, and also what some TLS ports do with plain HTTP), the error says that possibility
/// and its fix.
pub(super) fn at_first_contact(site: &Url, mut error: ApiError) -> ApiError {
    match &mut error.kind {
        ApiErrorKind::WrongScheme {
            server, instead, ..
        } => (*server, *instead) = with_other_scheme(site),
        ApiErrorKind::Transport { message, .. }
            if site.scheme() == "http" && message.contains(HYPER_CLOSED) =>
        {
            let (server, instead) = with_other_scheme(site);
            message.push_str(&format!(
                "; if {server} speaks https (TLS), use {instead} as the server URL"
            ));
        }
        _ => {}
    }
    error
}

/// hyper's words for a connection closed before the answer's status line came.
const HYPER_CLOSED: &str = "connection closed before message completed";

/// hyper's words for an answer whose first bytes are not `HTTP/1.x` (hyper is reqwest's, not a
/// dependency of ours, so its error is known by its text).
const HYPER_NOT_HTTP: &str = "invalid HTTP version parsed";

/// Whether a cause is rustls reading something that is not TLS: a record whose content type is none
/// of TLS's, as the first byte of `HTTP/1.1 400` is. The TLS stream hands rustls's error up inside an
/// `io::Error` (itself inside another on the way), whose own `source()` skips it, so each one is
/// looked into.
fn tls_read_plain_http(cause: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = cause;
    while let Some(inner) = cause
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        cause = inner;
    }
    matches!(
        cause.downcast_ref::<rustls::Error>(),
        Some(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType
        ))
    )
}

/// What a TLS port in front of a web server answers a plain HTTP request with: nginx's 400 page, Go's
/// (Caddy, Traefik) and Apache's.
const PLAIN_HTTP_TO_TLS: [&str; 3] = [
    "plain HTTP request was sent to HTTPS port",
    "Client sent an HTTP request to an HTTPS server",
    "speaking plain HTTP to an SSL-enabled server port",
];

/// The error for an `http://` request that a TLS port answered with its 400 for plain HTTP.
pub(super) fn plain_http_refused(
    endpoint: &str,
    url: &Url,
    status: reqwest::StatusCode,
    body: &[u8],
) -> Option<ApiError> {
    if url.scheme() != "http" || status != reqwest::StatusCode::BAD_REQUEST {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let said = PLAIN_HTTP_TO_TLS
        .iter()
        .find(|words| text.contains(*words))?;
    Some(wrong_scheme_error(
        endpoint,
        url,
        format!("it answered 400: {said}"),
    ))
}

/// The error for a server that speaks the other scheme, with what gave it away: the server named by
/// the request's origin ([`at_first_contact`] names the site as given instead).
pub(super) fn wrong_scheme_error(endpoint: &str, url: &Url, detail: String) -> ApiError {
    let mut origin = url.clone();
    origin.set_path("");
    origin.set_query(None);
    let (server, instead) = with_other_scheme(&origin);
    ApiError::new(
        endpoint,
        ApiErrorKind::WrongScheme {
            server,
            instead,
            detail,
        },
    )
}

/// A server URL as given, and with the other scheme and the same port: `https://host` (port 443)
/// becomes `http://host:443`, which is where that server is. Without a trailing slash.
pub(super) fn with_other_scheme(url: &Url) -> (String, String) {
    let other = if url.scheme() == "https" {
        "http"
    } else {
        "https"
    };
    let port = url.port_or_known_default();
    let mut instead = url.clone();
    // Both are special schemes: changing one into the other, and the port, cannot fail.
    let _ = instead.set_scheme(other);
    let _ = instead.set_port(port);
    (
        url.as_str().trim_end_matches('/').to_string(),
        instead.as_str().trim_end_matches('/').to_string(),
    )
}
