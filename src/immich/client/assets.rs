//! Assets: one asset's details, its thumbnail, its original as a stream, and uploads with the check
//! that comes before them (`/api/assets`).

use reqwest::Method;
use serde_json::json;

use super::{Binary, Client, JSON, transport};
use crate::immich::error::{ApiError, ApiErrorKind};
use crate::immich::types::{AssetInfo, UploadCheck, UploadChecks, Uploaded};

impl Client {
    /// One asset's details (`GET /api/assets/{id}`): what a copy needs to upload it again.
    pub async fn asset_info(&self, id: &str) -> Result<AssetInfo, ApiError> {
        self.get(&format!("assets/{id}"), &[]).await
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
}
