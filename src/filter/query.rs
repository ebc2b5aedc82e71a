//! Running one search into a set of [`Hits`]. Pages are consumed as they arrive and each asset is cut
//! down to what the merge needs (id, owner, checksum, its rank in the search and, for the one search the
//! local filters read, whether it passes them); the asset JSON is dropped with its page.

use std::borrow::Cow;
use std::collections::HashMap;

use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::local::LocalFilters;
use super::search::SearchFilter;
use crate::immich::{ApiError, Client, SearchKind, Visibility, pages};

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
    /// Timeline, archive, hidden or locked.
    pub visibility: Visibility,
}

/// The assets one search found, by id.
pub type Hits = HashMap<Uuid, Hit>;

/// The fields of an asset the merge needs, read from its raw JSON (everything else is skipped).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Slim<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    owner_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    checksum: Option<Cow<'a, str>>,
    #[serde(borrow)]
    visibility: Option<Cow<'a, str>>,
    is_archived: Option<bool>,
}

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
    let from_metadata = filter.kind == SearchKind::Metadata;
    let decode = move |raw: &RawValue| hit_from(raw, local, from_metadata);
    let mut hits = Hits::new();
    let mut stream = std::pin::pin!(pages(client, filter.kind, body, filter.limit, None, decode));
    let mut rank: u32 = 0;
    while let Some(items) = stream.try_next().await? {
        hits.reserve(items.len());
        for mut hit in items {
            hit.rank = rank;
            rank += 1;
            // The same asset twice in one search keeps its first (best) rank.
            hits.entry(hit.id).or_insert(hit);
        }
    }
    tracing::debug!("{}: {} assets", filter.label(), hits.len());
    Ok(hits)
}

/// Decodes one search response body the way [`run_search`] does, local filters included, and says
/// how many assets it held (for the benchmark's decoding rate).
pub fn decode_search_page(bytes: &[u8], local: Option<&LocalFilters>) -> Result<usize, String> {
    crate::immich::decode_page(bytes, &|raw: &RawValue| hit_from(raw, local, true))
        .map(|(items, _)| items.len())
        .map_err(|failure| format!("{failure:?}"))
}

/// Cuts one asset down to a [`Hit`] (its rank is set by the caller).
fn hit_from(
    raw: &RawValue,
    local: Option<&LocalFilters>,
    from_metadata: bool,
) -> Result<Hit, String> {
    let slim: Slim<'_> = serde_json::from_str(raw.get())
        .map_err(|e| format!("an asset that is not an object: {e}"))?;
    Ok(Hit {
        id: uuid_field("id", slim.id)?,
        owner: uuid_field("ownerId", slim.owner_id)?,
        checksum: required("checksum", slim.checksum)?.into(),
        rank: 0,
        local_ok: local.is_none_or(|local| local.keep_raw(raw)),
        from_metadata,
        visibility: Visibility::from_fields(slim.visibility.as_deref(), slim.is_archived),
    })
}

fn required<'a>(name: &str, value: Option<Cow<'a, str>>) -> Result<Cow<'a, str>, String> {
    value.ok_or_else(|| format!("an asset without `{name}`"))
}

fn uuid_field(name: &str, value: Option<Cow<'_, str>>) -> Result<Uuid, String> {
    let text = required(name, value)?;
    Uuid::parse_str(&text).map_err(|_| format!("asset {name} `{text}` is not a UUID"))
}
