//! The server and the key: which Immich the server runs (and whether this tool supports it), its
//! users, the key's user and what the key may do.

use super::Client;
use crate::immich::error::{ApiError, ApiErrorKind};
use crate::immich::types::{ApiKeyInfo, ServerVersion, User};

impl Client {
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
}

/// Refuses a server older than the oldest supported line, and warns once per server about one newer
/// than the newest line this tool knows.
pub(super) fn check_version(client: &Client) -> Result<(), ApiError> {
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
