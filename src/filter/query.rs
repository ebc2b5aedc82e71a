//! Running one search into a set of [`Hits`]. Pages are consumed as they arrive and each asset is cut
//! down to what the merge needs (id, owner, checksum, its rank in the search and, for the one search the
//! local filters read, whether it passes them); the asset JSON is dropped with its page.

use std::collections::HashMap;

use futures::TryStreamExt;
use serde_json::Value;
use uuid::Uuid;

use super::local::LocalFilters;
use super::search::SearchFilter;
use crate::immich::{ApiError, ApiErrorKind, Client, SearchKind, pages};

/// What is kept of one asset a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub id: Uuid,
    pub owner: Uuid,
    /// Base64 SHA-1 of the original file: identical files share it across accounts.
    pub checksum: Box<str>,
    /// Position in the search's result order (0 first).
    pub rank: u32,
    /// Whether the asset passes the local filters; `true` when the search was not the one they read.
    pub local_ok: bool,
    /// Whether a metadata search found it (its JSON then carries exif and people when asked for).
    pub from_metadata: bool,
}

/// The assets one search found, by id.
pub type Hits = HashMap<Uuid, Hit>;

/// Runs a search to its end (or its `resultLimit`). With `local`, every asset is checked against the
/// local filters while its JSON is at hand, and the search asks for the optional parts they read.
pub async fn run_search(
    client: &Client,
    filter: &SearchFilter,
    local: Option<&LocalFilters>,
) -> Result<Hits, ApiError> {
    let mut body = filter.body.clone();
    if let Some(local) = local {
        if local.needs_exif() {
            body.insert("withExif".into(), Value::Bool(true));
        }
        if local.needs_people() && filter.kind == SearchKind::Metadata {
            body.insert("withPeople".into(), Value::Bool(true));
        }
    }
    let endpoint = format!("POST /api/{}", filter.kind.path());
    let mut hits = Hits::new();
    let mut stream = std::pin::pin!(pages(client, filter.kind, body, filter.limit));
    let mut rank: u32 = 0;
    while let Some(items) = stream.try_next().await? {
        for item in items {
            let hit = hit_from(&item, rank, local, filter.kind == SearchKind::Metadata).map_err(
                |message| ApiError::new(endpoint.clone(), ApiErrorKind::Decode(message)),
            )?;
            rank += 1;
            // The same asset twice in one search keeps its first (best) rank.
            hits.entry(hit.id).or_insert(hit);
        }
    }
    tracing::debug!("{}: {} assets", filter.label(), hits.len());
    Ok(hits)
}

fn hit_from(
    item: &Value,
    rank: u32,
    local: Option<&LocalFilters>,
    from_metadata: bool,
) -> Result<Hit, String> {
    let field = |name: &str| {
        item.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("an asset without `{name}`"))
    };
    let uuid = |name: &str| {
        let text = field(name)?;
        Uuid::parse_str(text).map_err(|_| format!("asset {name} `{text}` is not a UUID"))
    };
    Ok(Hit {
        id: uuid("id")?,
        owner: uuid("ownerId")?,
        checksum: field("checksum")?.into(),
        rank,
        local_ok: local.is_none_or(|local| local.keep(item)),
        from_metadata,
    })
}
