//! The one error type of the Immich client. Every failed call becomes an [`ApiError`] that names the
//! endpoint (`POST /api/search/metadata`), and carries what the server said: the HTTP status, Immich's
//! message (a string, or a list on older servers) and the correlation id to look up in the server log.
//! 401 and 403 get a plain-words explanation; 403 names the missing permission when the server says it,
//! and a 401 for the locked folder is told apart from a bad key.
//! A URL whose scheme is not the one the server speaks (`https://` to plain HTTP, or the reverse) says
//! which URL to use.
//! A call that was retried says so: how many attempts were made and for how long, then what the last
//! attempt got. Request headers (and so the API key) are never part of an error.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// A failed call to the Immich API.
#[derive(Debug)]
pub struct ApiError {
    /// Method and path, e.g. `PUT /api/albums/{id}/assets`.
    pub endpoint: String,
    /// What the last attempt got.
    pub kind: ApiErrorKind,
    /// Requests sent for this call (1 when it was not retried).
    pub attempts: u32,
    /// From the first request to the give-up, when the call was retried.
    pub elapsed: Duration,
}

#[derive(Debug)]
pub enum ApiErrorKind {
    /// The server answered with an error status.
    Status {
        status: u16,
        message: String,
        correlation_id: Option<String>,
    },
    /// The request did not get an answer: connection refused, DNS, TLS, timeout.
    Transport { message: String, timeout: bool },
    /// The server answered 2xx, but the body was not what the API promises.
    Decode(String),
    /// No request could be sent: this host lacks what the client needs (CA certificates for https).
    Setup(String),
    /// The URL's scheme is not the one the server speaks: `https://` to a port that answers plain
    /// HTTP, or `http://` to one that speaks TLS. A repeat gets the same; the other scheme is the fix.
    WrongScheme {
        /// The server as the request named it, e.g. `https://photos.example.com:2283`.
        server: String,
        /// The same server with the scheme it speaks, e.g. `http://photos.example.com:2283`.
        instead: String,
        /// What gave it away, e.g. `received corrupt message of type InvalidContentType`.
        detail: String,
    },
}

impl ApiError {
    /// An error of a call that made one attempt.
    pub fn new(endpoint: impl Into<String>, kind: ApiErrorKind) -> ApiError {
        ApiError {
            endpoint: endpoint.into(),
            kind,
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ApiErrorKind::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's message, for callers that react to a specific one.
    pub fn server_message(&self) -> Option<&str> {
        match &self.kind {
            ApiErrorKind::Status { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The server URL to use instead, when the server speaks the other scheme (http or https).
    pub fn wrong_scheme(&self) -> Option<&str> {
        match &self.kind {
            ApiErrorKind::WrongScheme { instead, .. } => Some(instead),
            _ => None,
        }
    }

    /// The permission a 403 names, e.g. `album.create`.
    pub fn missing_permission(&self) -> Option<&str> {
        match &self.kind {
            ApiErrorKind::Status {
                status: 403,
                message,
                ..
            } => missing_permission(message),
            _ => None,
        }
    }

    pub(crate) fn from_status(
        endpoint: String,
        status: u16,
        body: &[u8],
        correlation_id: Option<String>,
    ) -> ApiError {
        ApiError::new(
            endpoint,
            ApiErrorKind::Status {
                status,
                message: message_from_body(body),
                correlation_id,
            },
        )
    }
}

/// A 401 that is not about the key: Immich 3 answers `Elevated permission is required` for the locked
/// folder (e.g. a search with `visibility: locked`), which needs a PIN-unlocked session that an API
/// key never has.
fn needs_elevated_permission(message: &str) -> bool {
    message.contains("Elevated permission")
}

/// The permission named in a 403's message.
fn missing_permission(message: &str) -> Option<&str> {
    message
        .split_once("Missing required permission:")
        .map(|(_, permission)| permission.trim())
}

/// Reads Immich's error body: `{"message": "..."}`, `{"message": ["...", "..."]}` (older servers), or a
/// validation failure with `errors: [{path, message}]`. Anything else is shown as text, shortened.
fn message_from_body(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return if text.is_empty() {
            "(no message)".to_string()
        } else {
            text.chars().take(300).collect()
        };
    };
    let mut message = match value.get("message") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map_or_else(|| item.to_string(), str::to_string)
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => value.to_string(),
    };
    if let Some(Value::Array(errors)) = value.get("errors") {
        let details: Vec<String> = errors
            .iter()
            .map(|error| {
                let path = error
                    .get("path")
                    .and_then(Value::as_array)
                    .map(|parts| {
                        parts
                            .iter()
                            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .unwrap_or_default();
                let text = error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("invalid");
                if path.is_empty() {
                    text.to_string()
                } else {
                    format!("{path}: {text}")
                }
            })
            .collect();
        if !details.is_empty() {
            message = format!("{message} ({})", details.join("; "));
        }
    }
    message
}

impl fmt::Display for ApiError {
    /// One attempt: `GET /api/people answered 403: …` or `GET /api/users/me: could not reach the
    /// server (…)`. Several: `POST /api/search/metadata: gave up after 5 attempts in 3.2 s: answered
    /// 502: Bad Gateway`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.attempts > 1 {
            write!(
                f,
                "{}: gave up after {} attempts in {:.1} s: ",
                self.endpoint,
                self.attempts,
                self.elapsed.as_secs_f64()
            )?;
        } else if matches!(self.kind, ApiErrorKind::Status { .. }) {
            write!(f, "{} ", self.endpoint)?;
        } else {
            write!(f, "{}: ", self.endpoint)?;
        }
        write!(f, "{}", self.kind)
    }
}

impl fmt::Display for ApiErrorKind {
    /// What went wrong, without the endpoint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiErrorKind::Status {
                status,
                message,
                correlation_id,
            } => {
                write!(f, "answered {status}: {message}")?;
                match status {
                    401 if needs_elevated_permission(message) => write!(
                        f,
                        " (locked-folder assets cannot be searched with an API key; remove \
                         `visibility: locked` from the filter)"
                    )?,
                    401 => write!(
                        f,
                        " (the server did not accept the API key: it is wrong, expired or was \
                         deleted; create a new one in Immich under Account Settings > API Keys)"
                    )?,
                    403 => match missing_permission(message) {
                        Some(permission) => write!(
                            f,
                            " (the API key lacks the permission `{permission}`; edit the key in \
                             Immich under Account Settings > API Keys and grant it)"
                        )?,
                        None => write!(f, " (the API key is not allowed to do this)")?,
                    },
                    _ => {}
                }
                if let Some(id) = correlation_id {
                    write!(f, " [correlation id {id}]")?;
                }
                Ok(())
            }
            ApiErrorKind::Transport { message, timeout } => {
                if *timeout {
                    write!(f, "no answer in time ({message})")
                } else {
                    write!(f, "could not reach the server ({message})")
                }
            }
            ApiErrorKind::Decode(message) => write!(
                f,
                "the server's answer is not what Immich 3 sends ({message})"
            ),
            ApiErrorKind::Setup(message) => f.write_str(message),
            ApiErrorKind::WrongScheme {
                server,
                instead,
                detail,
            } => {
                if instead.starts_with("http://") {
                    write!(
                        f,
                        "{server} answers plain HTTP, not https (TLS) ({detail}); use {instead} as \
                         the server URL"
                    )
                } else {
                    write!(
                        f,
                        "{server} speaks https (TLS), not plain HTTP ({detail}); use {instead} as \
                         the server URL"
                    )
                }
            }
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_body(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/immich-samples/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let sample: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        serde_json::to_vec(&sample["body"]).unwrap()
    }

    #[test]
    fn reads_the_recorded_error_bodies() {
        let e = ApiError::from_status(
            "POST /api/albums".into(),
            403,
            &sample_body("error-403-missing-permission.json"),
            Some("yy0s34o7".into()),
        );
        assert_eq!(e.missing_permission(), Some("album.create"));
        let text = e.to_string();
        assert!(text.contains("POST /api/albums answered 403"), "{text}");
        assert!(
            text.contains("lacks the permission `album.create`"),
            "{text}"
        );
        assert!(text.contains("yy0s34o7"), "{text}");

        let e = ApiError::from_status(
            "GET /api/users/me".into(),
            401,
            &sample_body("error-401-bad-key.json"),
            None,
        );
        assert!(e.to_string().contains("Invalid API key"));
        assert!(e.to_string().contains("did not accept the API key"));

        let e = ApiError::from_status(
            "POST /api/search/metadata".into(),
            400,
            &sample_body("error-400-validation.json"),
            None,
        );
        assert!(
            e.to_string()
                .contains("Validation failed (size: Too big: expected number to be <=1000)"),
            "{e}"
        );
    }

    #[test]
    fn a_locked_folder_401_is_not_a_bad_key() {
        let e = ApiError::from_status(
            "POST /api/search/metadata".into(),
            401,
            br#"{"message":"Elevated permission is required"}"#,
            None,
        );
        let text = e.to_string();
        assert!(
            text.contains("answered 401: Elevated permission is required"),
            "{text}"
        );
        assert!(
            text.contains(
                "locked-folder assets cannot be searched with an API key; remove \
                 `visibility: locked` from the filter"
            ),
            "{text}"
        );
        assert!(!text.contains("did not accept the API key"), "{text}");
        assert!(!text.contains("expired"), "{text}");
    }

    #[test]
    fn older_servers_send_message_lists() {
        let body = br#"{"message":["a must be a string","b is bad"],"error":"Bad Request","statusCode":400}"#;
        let e = ApiError::from_status("POST /x".into(), 400, body, None);
        assert_eq!(e.server_message(), Some("a must be a string; b is bad"));
        let e = ApiError::from_status("POST /x".into(), 502, b"<html>Bad Gateway</html>", None);
        assert_eq!(e.server_message(), Some("<html>Bad Gateway</html>"));
    }

    #[test]
    fn a_retried_call_says_how_often_and_how_long() {
        let mut e = ApiError::from_status(
            "POST /api/search/metadata".into(),
            502,
            b"Bad Gateway",
            None,
        );
        assert_eq!(
            e.to_string(),
            "POST /api/search/metadata answered 502: Bad Gateway"
        );
        e.attempts = 5;
        e.elapsed = Duration::from_millis(3240);
        assert_eq!(
            e.to_string(),
            "POST /api/search/metadata: gave up after 5 attempts in 3.2 s: answered 502: Bad Gateway"
        );
        let mut e = ApiError::new(
            "GET /api/users/me",
            ApiErrorKind::Transport {
                message: "connection failed".into(),
                timeout: false,
            },
        );
        assert_eq!(
            e.to_string(),
            "GET /api/users/me: could not reach the server (connection failed)"
        );
        e.attempts = 2;
        assert!(
            e.to_string().starts_with(
                "GET /api/users/me: gave up after 2 attempts in 0.0 s: could not reach"
            ),
            "{e}"
        );
    }
}
