//! Albums: finding one by UUID or exact name, listing what it holds, and adding to it. Adding goes in
//! batches of at most 1000 ids and reads every per-id answer, since an HTTP 200 does not mean that every
//! id was added. Nothing here removes anything from an album.

use std::collections::{BTreeMap, HashMap};

use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, json};
use uuid::Uuid;

use crate::error::input_error;
use crate::immich::{Album, ApiError, Client, SearchKind, pages};

/// Most ids sent in one add request.
pub const ADD_BATCH: usize = 1000;

/// Finds an album by UUID or exact name. A name that matches no album, or several, and a UUID that
/// does not exist, are input errors that say what was found.
pub async fn resolve(client: &Client, spec: &str) -> anyhow::Result<Album> {
    if let Some(album) = find(client, spec).await? {
        return Ok(album);
    }
    let all = client.albums(None).await?;
    let similar: Vec<String> = all
        .iter()
        .filter(|a| {
            let (a, b) = (a.album_name.to_lowercase(), spec.to_lowercase());
            a.contains(&b) || b.contains(&a)
        })
        .take(5)
        .map(|a| format!("`{}`", a.album_name))
        .collect();
    let hint = if similar.is_empty() {
        String::new()
    } else {
        format!(" (similar names: {})", similar.join(", "))
    };
    Err(input_error(format!(
        "no album named `{spec}` is visible to this account{hint}; the name must match exactly, or \
         give the album's UUID from its URL in Immich"
    )))
}

/// Looks an album up by UUID or exact name: `None` when no album has that name. A UUID that does not
/// exist and a name that several albums share are input errors.
pub async fn find(client: &Client, spec: &str) -> anyhow::Result<Option<Album>> {
    if Uuid::parse_str(spec).is_ok() {
        return match client.album(spec).await {
            Ok(album) => Ok(Some(album)),
            Err(error) if error.status() == Some(400) => Err(input_error(format!(
                "album `{spec}` does not exist, or this account may not read it (the server said: \
                 {})",
                error.server_message().unwrap_or("not found")
            ))),
            Err(error) => Err(error.into()),
        };
    }
    let mut albums = client.albums(Some(spec)).await?;
    match albums.len() {
        0 => Ok(None),
        1 => Ok(albums.pop()),
        _ => {
            let candidates: Vec<String> = albums
                .iter()
                .map(|a| {
                    let owner = a.owner().map_or("unknown owner", |u| u.name.as_str());
                    format!("  {} (owner {owner}, {} assets)", a.id, a.asset_count)
                })
                .collect();
            Err(input_error(format!(
                "{} albums are named `{spec}`; give the UUID of the one you mean:\n{}",
                albums.len(),
                candidates.join("\n")
            )))
        }
    }
}

/// An album asset as the contents listing reads it: id and checksum, the rest skipped.
#[derive(Deserialize)]
struct Held<'a> {
    #[serde(borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    checksum: Option<std::borrow::Cow<'a, str>>,
}

/// Everything the album holds (any member's assets), by id, with checksums. With the album's asset
/// count (`expected`), every page is requested at once.
pub async fn contents(
    client: &Client,
    album_id: &str,
    expected: Option<usize>,
) -> Result<HashMap<Uuid, Box<str>>, ApiError> {
    let mut body = Map::new();
    body.insert("albumIds".into(), json!([album_id]));
    let decode = |raw: &RawValue| -> Result<Option<(Uuid, Box<str>)>, String> {
        let held: Held<'_> = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
        let id = held.id.and_then(|id| Uuid::parse_str(&id).ok());
        Ok(id.map(|id| (id, Box::<str>::from(held.checksum.unwrap_or_default()))))
    };
    let mut held = HashMap::with_capacity(expected.unwrap_or(0));
    let mut stream = std::pin::pin!(pages(
        client,
        SearchKind::Metadata,
        body,
        None,
        expected,
        decode
    ));
    while let Some(items) = stream.try_next().await? {
        held.extend(items.into_iter().flatten());
    }
    Ok(held)
}

/// What an add did, id by id.
#[derive(Debug, Default)]
pub struct AddOutcome {
    pub added: usize,
    /// Answered `duplicate`: already in the album.
    pub already: usize,
    /// Refused, by the server's reason (`no_permission`, `not_found`, …).
    pub refused: BTreeMap<String, Vec<Uuid>>,
    /// The request that failed, if one did; the batches before it were added.
    pub failed: Option<ApiError>,
}

impl AddOutcome {
    pub fn refused_count(&self) -> usize {
        self.refused.values().map(Vec::len).sum()
    }
}

/// Adds assets in batches, reading each per-id answer. Stops at the first failed request.
pub async fn add(client: &Client, album_id: &str, ids: &[Uuid]) -> AddOutcome {
    let mut outcome = AddOutcome::default();
    for batch in ids.chunks(ADD_BATCH) {
        let batch: Vec<String> = batch.iter().map(Uuid::to_string).collect();
        match client.add_album_assets(album_id, &batch).await {
            Ok(results) => {
                for result in results {
                    match (result.success, result.error.as_deref()) {
                        (true, _) => outcome.added += 1,
                        (false, Some("duplicate")) => outcome.already += 1,
                        (false, reason) => {
                            let id = Uuid::parse_str(&result.id).unwrap_or_default();
                            outcome
                                .refused
                                .entry(reason.unwrap_or("unknown").to_string())
                                .or_default()
                                .push(id);
                        }
                    }
                }
            }
            Err(error) => {
                outcome.failed = Some(error);
                break;
            }
        }
    }
    outcome
}
