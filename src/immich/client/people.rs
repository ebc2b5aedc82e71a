//! People (`/api/people`), read page by page for the names filters give.

use super::Client;
use crate::immich::error::ApiError;
use crate::immich::types::PeoplePage;

impl Client {
    pub async fn people_page(&self, page: u32, size: u32) -> Result<PeoplePage, ApiError> {
        let query = [
            ("page", page.to_string()),
            ("size", size.to_string()),
            ("withHidden", "true".to_string()),
        ];
        self.get("people", &query).await
    }
}
