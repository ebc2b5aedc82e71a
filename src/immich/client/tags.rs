//! Tags (`/api/tags`), read for the names filters give.

use super::Client;
use crate::immich::error::ApiError;
use crate::immich::types::Tag;

impl Client {
    /// The key's user's tags (`GET /api/tags`).
    pub async fn tags(&self) -> Result<Vec<Tag>, ApiError> {
        self.get("tags", &[]).await
    }
}
