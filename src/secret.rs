//! The API key type. An [`ApiKey`] is the only place a key lives in memory once it has been read; its
//! `Debug` and `Display` print `(redacted)`, so a key cannot reach a log line, an error message or a panic
//! by accident. The one way to read it is [`ApiKey::expose`], used when the request header is built.

use std::fmt;

/// An Immich API key that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key, trimming the surrounding white space that files and commands tend to add.
    /// Returns `None` for an empty key.
    pub fn new(key: impl Into<String>) -> Option<ApiKey> {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.is_empty() {
            None
        } else {
            Some(ApiKey(trimmed.to_string()))
        }
    }

    /// The key itself, for the `x-api-key` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = ApiKey::new("  s3cr3t-key\n").unwrap();
        assert_eq!(key.expose(), "s3cr3t-key");
        assert_eq!(format!("{key:?}"), "(redacted)");
        assert_eq!(format!("{key}"), "(redacted)");
        assert_eq!(format!("{:?}", Some(&key)), "Some((redacted))");
    }

    #[test]
    fn empty_keys_are_refused() {
        assert!(ApiKey::new("  \n").is_none());
    }
}
