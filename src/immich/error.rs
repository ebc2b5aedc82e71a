//! The one error type of the Immich client. Every failed call becomes an [`ApiError`] that names the
//! endpoint (`POST /api/search/metadata`), and carries what the server said: the HTTP status, Immich's
//! message (a string, or a list on older servers) and the correlation id to look up in the server log.
//! 401 and 403 get a plain-words explanation; 403 names the missing permission when the server says it.
//! Request headers (and so the API key) are never part of an error.

use std::fmt;

use serde_json::Value;

/// A failed call to the Immich API.
#[derive(Debug)]
pub struct ApiError {
    /// Method and path, e.g. `PUT /api/albums/{id}/assets`.
    pub endpoint: String,
    pub kind: ApiErrorKind,
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
}

impl ApiError {
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

    /// The permission a 403 names, e.g. `album.create`.
    pub fn missing_permission(&self) -> Option<&str> {
        match &self.kind {
            ApiErrorKind::Status {
                status: 403,
                message,
                ..
            } => message
                .split_once("Missing required permission:")
                .map(|(_, permission)| permission.trim()),
            _ => None,
        }
    }

    pub(crate) fn from_status(
        endpoint: String,
        status: u16,
        body: &[u8],
        correlation_id: Option<String>,
    ) -> ApiError {
        ApiError {
            endpoint,
            kind: ApiErrorKind::Status {
                status,
                message: message_from_body(body),
                correlation_id,
            },
        }
    }
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ApiErrorKind::Status {
                status,
                message,
                correlation_id,
            } => {
                write!(f, "{} answered {status}: {message}", self.endpoint)?;
                match status {
                    401 => write!(
                        f,
                        " (the server did not accept the API key: it is wrong, expired or was \
                         deleted; create a new one in Immich under Account Settings > API Keys)"
                    )?,
                    403 => match self.missing_permission() {
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
                    write!(f, "{}: no answer in time ({message})", self.endpoint)
                } else {
                    write!(
                        f,
                        "{}: could not reach the server ({message})",
                        self.endpoint
                    )
                }
            }
            ApiErrorKind::Decode(message) => write!(
                f,
                "{}: the server's answer is not what Immich 3 sends ({message})",
                self.endpoint
            ),
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
    fn older_servers_send_message_lists() {
        let body = br#"{"message":["a must be a string","b is bad"],"error":"Bad Request","statusCode":400}"#;
        let e = ApiError::from_status("POST /x".into(), 400, body, None);
        assert_eq!(e.server_message(), Some("a must be a string; b is bad"));
        let e = ApiError::from_status("POST /x".into(), 502, b"<html>Bad Gateway</html>", None);
        assert_eq!(e.server_message(), Some("<html>Bad Gateway</html>"));
    }
}
