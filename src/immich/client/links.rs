//! Shared links of albums: listing, creating and changing them (`/api/shared-links`).

use reqwest::Method;
use serde_json::{Value, json};

use super::Client;
use crate::immich::error::ApiError;
use crate::immich::types::{LinkSettings, SharedLink};

impl Client {
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
}
