//! Albums: listing and reading them, creating and changing them, sharing them with users, and adding
//! and removing their assets (`/api/albums`).

use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::Method;
use serde_json::{Value, json};

use super::{Client, DecodeFailure, JSON};
use crate::immich::error::ApiError;
use crate::immich::types::{Album, AlbumUserAdd, BulkIdResult};

impl Client {
    /// Albums the key's user owns or is a member of; with `name`, only those of exactly that name.
    /// 2.x lists only the user's own albums unless asked for `shared=true`, which lists the shared
    /// ones, its own and others' (measured on 2.5.6): both are asked for, each album kept once.
    pub async fn albums(&self, name: Option<&str>) -> Result<Vec<Album>, ApiError> {
        let query: Vec<(&str, String)> =
            name.map(|n| ("name", n.to_string())).into_iter().collect();
        let mut albums: Vec<Album> = self.get("albums", &query).await?;
        if self.version.is_2x() {
            let shared: Vec<Album> = self
                .get("albums", &[("shared", "true".to_string())])
                .await?;
            let own: std::collections::HashSet<String> =
                albums.iter().map(|a| a.id.clone()).collect();
            albums.extend(shared.into_iter().filter(|a| !own.contains(&a.id)));
        }
        // Older servers ignore `name`: filter here too, so the answer means the same everywhere.
        Ok(match name {
            Some(name) => albums
                .into_iter()
                .filter(|a| a.album_name == name)
                .collect(),
            None => albums,
        })
    }

    /// An album without its assets (2.x would send every asset of the album otherwise).
    pub async fn album(&self, id: &str) -> Result<Album, ApiError> {
        let query = if self.version.is_2x() {
            vec![("withoutAssets", "true".to_string())]
        } else {
            Vec::new()
        };
        self.get(&format!("albums/{id}"), &query).await
    }

    pub async fn create_album(
        &self,
        name: &str,
        members: &[AlbumUserAdd],
    ) -> Result<Album, ApiError> {
        let mut body = json!({ "albumName": name });
        if !members.is_empty() {
            body["albumUsers"] = serde_json::to_value(members).expect("members serialize");
        }
        self.call(Method::POST, "albums", &[], Some(&body)).await
    }

    /// Changes an album's name, description, order or cover (`PATCH /api/albums/{id}`).
    pub async fn update_album(&self, id: &str, changes: &Value) -> Result<Album, ApiError> {
        self.call(Method::PATCH, &format!("albums/{id}"), &[], Some(changes))
            .await
    }

    pub async fn share_album(&self, id: &str, members: &[AlbumUserAdd]) -> Result<Album, ApiError> {
        let body = json!({ "albumUsers": members });
        self.call(Method::PUT, &format!("albums/{id}/users"), &[], Some(&body))
            .await
    }

    /// Adds assets; the server answers per id, and a 200 does not mean every id was added. Also
    /// whether the request was sent more than once: a `duplicate` answer may then be an earlier
    /// attempt's own add, whose answer was lost.
    pub async fn add_album_assets(
        &self,
        id: &str,
        asset_ids: &[String],
    ) -> Result<(Vec<BulkIdResult>, bool), ApiError> {
        self.album_assets(Method::PUT, id, asset_ids).await
    }

    /// Removes assets from an album (never from the library); the server answers per id. Also says
    /// whether the request was sent more than once (a `not_found` to a resend may be its own work).
    pub async fn remove_album_assets(
        &self,
        id: &str,
        asset_ids: &[String],
    ) -> Result<(Vec<BulkIdResult>, bool), ApiError> {
        self.album_assets(Method::DELETE, id, asset_ids).await
    }

    /// `PUT` or `DELETE /albums/{id}/assets`: the per-id answers, and whether it was sent twice.
    async fn album_assets(
        &self,
        method: Method,
        id: &str,
        asset_ids: &[String],
    ) -> Result<(Vec<BulkIdResult>, bool), ApiError> {
        let body = json!({ "ids": asset_ids });
        let sent = AtomicU32::new(0);
        let answer = self
            .send(
                method,
                &format!("albums/{id}/assets"),
                &[],
                Some(&body),
                JSON,
                |bytes, _| {
                    serde_json::from_slice(bytes)
                        .map_err(|e| DecodeFailure::Malformed(e.to_string()))
                },
                &sent,
            )
            .await?;
        Ok((answer, sent.load(Ordering::Relaxed) > 1))
    }
}
