//! Metadata and smart search: parsing and validating the request body the way Immich 3.1 does
//! (zod-style 400s, unknown keys ignored), matching the compact asset records against the filters,
//! ordering (by taken time, or by the toy word-overlap "CLIP" score with no cut-off), and caching
//! the full ordered match list per caller and filter so paging through a big library is cheap.
//! The date filters are inclusive and to the millisecond; `updatedAfter`/`updatedBefore` read an
//! asset's `updatedAt` (`State::updated_ms`), so they find what changed since a time.

use std::sync::Arc;

use base64::Engine;
use serde_json::Value;

use super::catalogue::{CAMERAS, PLACES, word_bit};
use super::json::ApiError;
use super::state::{State, Visibility, file_name, tags, uploaded_ms};
use super::validate::{Fields, Text};
use crate::immich::ImmichLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    Metadata,
    Smart,
}

/// An inclusive range of times in milliseconds (`…After` ≤ t ≤ `…Before`), each end optional.
#[derive(Debug, Default, Clone, Copy)]
struct Range {
    after: Option<i64>,
    before: Option<i64>,
}

impl Range {
    fn read(f: &mut Fields<'_>, field: &str) -> Range {
        // Immich's schema order: `…Before` then `…After`, so the issues come out in that order.
        let before = f.date_ms(&format!("{field}Before"));
        let after = f.date_ms(&format!("{field}After"));
        Range { after, before }
    }

    fn is_set(&self) -> bool {
        self.after.is_some() || self.before.is_some()
    }

    fn contains(&self, ms: i64) -> bool {
        self.after.is_none_or(|t| ms >= t) && self.before.is_none_or(|t| ms <= t)
    }
}

#[derive(Debug, Default)]
struct Filter {
    /// `createdAfter`/`createdBefore`: when the asset was uploaded.
    created: Range,
    /// `updatedAfter`/`updatedBefore`: when the asset last changed (`State::updated_ms`).
    updated: Range,
    /// `trashedAfter`/`trashedBefore`: only trashed assets, trashed within the range.
    trashed: Range,
    /// `withDeleted`: trashed assets too.
    with_deleted: bool,
    /// `takenAfter`/`takenBefore`.
    taken: Range,
    person_ids: Vec<u128>,
    /// Every one must be on the asset (or one of its descendants).
    tag_ids: Vec<u128>,
    city: Text,
    state: Text,
    country: Text,
    make: Text,
    model: Text,
    lens_model: Text,
    /// Lowercased substring of the original file name.
    file_name: Option<String>,
    kind: Option<String>,
    is_favorite: Option<bool>,
    visibility: Option<Visibility>,
    album_ids: Vec<u128>,
    checksum: Option<Vec<u8>>,
    id: Option<u128>,
    ascending: bool,
    /// Smart search: the query, trimmed (Immich trims it); `None` when absent or empty.
    query: Option<String>,
    /// Smart search: rank by this asset's content instead of a query.
    query_asset: Option<u128>,
}

/// A validated search request.
#[derive(Debug)]
pub struct SearchRequest {
    pub kind: SearchKind,
    pub page: usize,
    pub size: usize,
    pub with_exif: bool,
    pub with_people: bool,
    filter: Filter,
    cache_key: String,
}

/// Validate a search body. Unknown keys are ignored, as Immich 3 does.
pub fn parse(kind: SearchKind, body: &Value) -> Result<SearchRequest, ApiError> {
    let mut f = Fields::new(body)?;
    let metadata = kind == SearchKind::Metadata;
    let default_size = if metadata { 250 } else { 100 };
    let page = f.int("page", 1, 9_007_199_254_740_991).unwrap_or(1) as usize;
    let size = f.int("size", 1, 1000).unwrap_or(default_size) as usize;
    let with_exif = f.boolean("withExif").unwrap_or(false);
    let with_people = metadata && f.boolean("withPeople").unwrap_or(false);

    let mut filter = Filter {
        created: Range::read(&mut f, "created"),
        updated: Range::read(&mut f, "updated"),
        trashed: Range::read(&mut f, "trashed"),
        taken: Range::read(&mut f, "taken"),
        person_ids: f.uuid_list("personIds"),
        tag_ids: f.uuid_list("tagIds"),
        city: f.text("city"),
        state: f.text("state"),
        country: f.text("country"),
        make: f.text("make"),
        model: f.text("model"),
        lens_model: f.text("lensModel"),
        kind: f.one_of("type", &["IMAGE", "VIDEO", "AUDIO", "OTHER"]),
        is_favorite: f.boolean("isFavorite"),
        visibility: f
            .one_of("visibility", &Visibility::NAMES)
            .and_then(|v| Visibility::parse(&v)),
        album_ids: f.uuid_list("albumIds"),
        with_deleted: f.boolean("withDeleted").unwrap_or(false),
        ..Filter::default()
    };
    if metadata {
        filter.ascending = f.one_of("order", &["asc", "desc"]).as_deref() == Some("asc");
        filter.file_name = f.string("originalFileName").map(|s| s.to_lowercase());
        filter.checksum = f.string("checksum").map(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .unwrap_or_default()
        });
        filter.id = f.uuid("id");
    } else {
        // Both optional: a request with neither passes validation and is refused by the search
        // itself (see `run`).
        filter.query = f
            .string("query")
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty());
        filter.query_asset = f.uuid("queryAssetId");
    }
    f.finish()?;

    let mut key_body = f.body.clone();
    for transient in ["page", "size", "withExif", "withPeople"] {
        key_body.remove(transient);
    }
    Ok(SearchRequest {
        kind,
        page,
        size,
        with_exif,
        with_people,
        filter,
        cache_key: format!("{kind:?}|{}", Value::Object(key_body)),
    })
}

/// The content words of a free-text query, as a bitmask (unknown words are ignored).
fn query_mask(query: &str) -> u32 {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| word_bit(&w.to_lowercase()))
        .fold(0, |mask, bit| mask | bit)
}

/// The whole ordered result (asset indexes) for `caller`, from the cache when possible. Refuses as
/// Immich's search service does: locked assets need the elevated permission of a PIN-unlocked session,
/// which an API key never has (401); a smart search needs a query or a query asset (400); every
/// listed album must be readable (400).
pub fn run(st: &mut State, caller: usize, req: &SearchRequest) -> Result<Arc<Vec<u32>>, ApiError> {
    if req.filter.visibility == Some(Visibility::Locked) {
        return Err(ApiError::elevated_permission_required());
    }
    let query_words = match req.kind {
        SearchKind::Metadata => 0,
        SearchKind::Smart => query_words(st, caller, &req.filter)?,
    };
    // 2.x does not check the albums: a search only ever sees the caller's own assets, and an album
    // the caller may not read, or that does not exist, finds nothing (200; measured on 2.5.6).
    for album_id in req
        .filter
        .album_ids
        .iter()
        .filter(|_| st.line == ImmichLine::V3_1)
    {
        let readable = st
            .album_by_id(*album_id)
            .is_some_and(|a| st.albums[a].role_of(caller).is_some());
        if !readable {
            return Err(ApiError::bad_request("Not found or no album.read access"));
        }
    }
    let key = format!("{caller}|{}", req.cache_key);
    if let Some(hit) = st.search_cache.get(&key) {
        return Ok(hit.clone());
    }
    let result = Arc::new(compute(st, caller, req, query_words));
    if st.search_cache.len() >= 256 {
        st.search_cache.clear();
    }
    st.search_cache.insert(key, result.clone());
    Ok(result)
}

/// What a smart search ranks by: the known words of its query, or the content of its query asset
/// (which the caller must be able to see, as for `GET /api/assets/{id}`).
fn query_words(st: &State, caller: usize, f: &Filter) -> Result<u32, ApiError> {
    if let Some(query) = &f.query {
        return Ok(query_mask(query));
    }
    let Some(id) = f.query_asset else {
        return Err(ApiError::bad_request(
            "Either `query` or `queryAssetId` must be set",
        ));
    };
    st.asset_by_id(id)
        .filter(|&i| st.can_read_asset(caller, i))
        .map(|i| st.assets[i].words)
        .ok_or_else(|| ApiError::bad_request("Not found or no asset.read access"))
}

fn compute(st: &State, caller: usize, req: &SearchRequest, query_words: u32) -> Vec<u32> {
    let f = &req.filter;
    let mut hits: Vec<u32> = Vec::new();
    let mut consider = |idx: usize| {
        if matches(st, f, idx) {
            hits.push(idx as u32);
        }
    };
    // Whose assets a search sees: the caller's, and partners' timeline assets.
    let in_scope = |idx: usize| {
        let owner = st.assets[idx].owner as usize;
        owner == caller
            || (st.is_partner(caller, owner) && st.assets[idx].visibility == Visibility::Timeline)
    };
    if let Some((first, rest)) = f.album_ids.split_first() {
        // Immich: the asset must be in every listed album. 3.1: any member's; 2.x searches only the
        // caller's own (and partners') assets even then (measured on 2.5.6: an album of 1253 answers
        // its owner 654).
        // An album that does not exist (2.x does not check) holds nothing.
        let none = Default::default();
        let album = |id: &u128| st.album_by_id(*id).map_or(&none, |a| &st.albums[a].assets);
        for id in album(first) {
            let in_all = rest.iter().all(|other| album(other).contains(id));
            if let (true, Some(idx)) = (in_all, st.asset_by_id(*id))
                && (st.line == ImmichLine::V3_1 || in_scope(idx))
            {
                consider(idx);
            }
        }
    } else {
        for owner in 0..st.users.len() {
            let partner = owner != caller && st.is_partner(caller, owner);
            if owner != caller && !partner {
                continue;
            }
            for idx in st.assets_of(owner) {
                if in_scope(idx) {
                    consider(idx);
                }
            }
        }
    }

    let assets = &st.assets;
    match req.kind {
        SearchKind::Metadata => {
            hits.sort_unstable_by_key(|&i| (assets[i as usize].taken, assets[i as usize].id));
            if !f.ascending {
                hits.reverse();
            }
        }
        SearchKind::Smart => {
            let score = |i: u32| (assets[i as usize].words & query_words).count_ones();
            hits.sort_unstable_by_key(|&i| (std::cmp::Reverse(score(i)), assets[i as usize].id));
        }
    }
    hits
}

fn matches(st: &State, f: &Filter, idx: usize) -> bool {
    let a = &st.assets[idx];
    let taken_ms = a.taken * 1000;
    let created_ms = uploaded_ms(idx);
    let camera = CAMERAS.get(a.camera as usize);
    let place = PLACES.get(a.place as usize);
    let shows = |person: &u128| {
        st.person_index
            .get(person)
            .is_some_and(|&(user, slot)| user == a.owner as usize && a.people & (1 << slot) != 0)
    };
    let trashed = st.trashed.get(&a.id);
    let trash_ok = match trashed {
        _ if f.trashed.is_set() => trashed.is_some_and(|&ms| f.trashed.contains(ms)),
        Some(_) => f.with_deleted,
        None => true,
    };
    f.taken.contains(taken_ms)
        && f.created.contains(created_ms)
        && (!f.updated.is_set() || f.updated.contains(st.updated_ms(idx)))
        && trash_ok
        && f.person_ids.iter().all(shows)
        && f.tag_ids.iter().all(|&tag| tags::carries(st, a.id, tag))
        && f.city.accepts(place.map(|p| p.city))
        && f.state.accepts(place.map(|p| p.state))
        && f.country.accepts(place.map(|p| p.country))
        && f.make.accepts(camera.map(|c| c.make))
        && f.model.accepts(camera.map(|c| c.model))
        && f.lens_model.accepts(camera.map(|c| c.lens))
        && f.kind.as_deref().is_none_or(|k| k == a.kind())
        && f.is_favorite.is_none_or(|fav| fav == a.is_favorite())
        && match (f.visibility, st.line) {
            (Some(v), _) => a.visibility == v,
            // 3.1: every visibility but locked; 2.x: the timeline only (measured on 2.5.6).
            (None, ImmichLine::V3_1) => a.visibility != Visibility::Locked,
            (None, ImmichLine::V2_5) => a.visibility == Visibility::Timeline,
        }
        && f.checksum.as_deref().is_none_or(|c| c == a.checksum)
        && f.id.is_none_or(|id| id == a.id)
        && f.file_name.as_deref().is_none_or(|needle| {
            // An upload keeps the name it came with (measured: a search finds it by that name).
            st.uploaded_names
                .get(&a.id)
                .cloned()
                .unwrap_or_else(|| file_name(a))
                .to_lowercase()
                .contains(needle)
        })
}
