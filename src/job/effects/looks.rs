//! The main album's looks: its description, order and cover, brought to what the job says.

use crate::immich::Client;
use crate::job::file::{Cover, Looks};

/// Brings an album's description, order and cover to what the job says (with `write`; else only
/// says what would change): what changes, in words. A cover the album does not hold is an error, and
/// nothing is changed.
pub async fn looks(
    client: &Client,
    id: &str,
    looks: &Looks,
    write: bool,
) -> Result<Vec<String>, String> {
    let current = client.album(id).await.map_err(|e| e.to_string())?;
    let mut changes = serde_json::Map::new();
    let mut said = Vec::new();
    if let Some(description) = &looks.description
        && current.description != *description
    {
        changes.insert("description".into(), description.clone().into());
        said.push("description".to_string());
    }
    if let Some(newest_first) = looks.newest_first {
        let want = if newest_first { "desc" } else { "asc" };
        if current.order.as_deref() != Some(want) {
            changes.insert("order".into(), want.into());
            said.push(format!(
                "order: {} first",
                if newest_first { "newest" } else { "oldest" }
            ));
        }
    }
    if let Some(cover) = &looks.cover {
        let (order, only) = match cover {
            Cover::Newest => ("desc", None),
            Cover::Oldest => ("asc", None),
            Cover::Asset(asset) => ("desc", Some(asset.to_string())),
        };
        let mut query = serde_json::json!({ "albumIds": [id], "order": order, "size": 1 });
        if let Some(asset) = &only {
            query["id"] = asset.clone().into();
        }
        let found: serde_json::Value = client
            .call(reqwest::Method::POST, "search/metadata", &[], Some(&query))
            .await
            .map_err(|e| e.to_string())?;
        let first = found["assets"]["items"][0]["id"]
            .as_str()
            .map(str::to_string);
        match (first, &only) {
            (None, Some(asset)) => {
                return Err(format!(
                    "cover {asset} is not in the album; give an asset it holds, or newest or \
                     oldest (nothing was changed)"
                ));
            }
            (Some(cover), _) if current.album_thumbnail_asset_id.as_deref() != Some(&cover) => {
                changes.insert("albumThumbnailAssetId".into(), cover.into());
                said.push("cover".to_string());
            }
            _ => {}
        }
    }
    if write && !changes.is_empty() {
        client
            .update_album(id, &serde_json::Value::Object(changes))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(said)
}
