//! Incremental syncs: a scheduled sync reads only what changed since the last complete run, so what it
//! costs the server grows with what changed, not with the library.
//!
//! **What a run remembers** (the record's `search_marks`, `search_results`, `album_views`): per job
//! and account, each search's result and the server time its searches saw the library at (the
//! watermark, from the `Date` of the server's last answer before them: only the server's clock orders
//! its `updatedAt` stamps); per album, its fingerprint and what it held.
//!
//! **What an incremental run reads**, per account: first every asset whose `updatedAt` moved since
//! the watermark less the margin (one search on 3.x; one per visibility on 2.x; trashed ones too).
//! When that finds nothing, every search is taken from the record. Otherwise a metadata search is
//! asked again with `updatedAfter`, and its result is the remembered one without the changed assets,
//! plus what the narrowed search finds now. A smart search (a ranking, bounded by its `resultLimit`)
//! is asked whole again. Some searches are always asked whole: in a job with a safe album, every
//! exclusion that rests on faces or on a smart search (the safe album fails closed: a photo they flag
//! never waits for a full run), and searches by album (membership moves no `updatedAt`) or by an
//! update time of their own. An album is listed only when its
//! fingerprint moved (`updatedAt`, `assetCount`, `lastModifiedAssetTimestamp`, see
//! [`Album::fingerprint`]); otherwise what the record kept of it is what it holds.
//!
//! **What only a full run sees**: changes that move no asset's `updatedAt` (measured on 3.1.0 and
//! 2.5.6): a face given to another person, people merged, a face recognised later than the margin
//! after its photo last changed; partner sharing turned on or off; an asset deleted for good without
//! passing through the trash (or within one run of it). A full run reads everything, as a sync
//! without a record does: at least every `full_every` (default 24 hours), on `sync --full`, on the
//! first run of a job, and always in a preview. Each account has its own watermark: one that failed,
//! or whose searches did not all answer, keeps it (`super::remember`).
//!
//! The margin (`recognition_margin`, default one hour) covers what a server stamps late: face
//! recognition of a new upload moves nothing (measured: the test servers' ML assigned the person 1.5 s
//! after the upload's last stamp; a busy server's queue takes minutes), a transaction that commits
//! after its stamp, and the `Date` header's whole seconds.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::TryStreamExt;
use futures::future::join_all;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::account::{AccountPlan, Evaluated, combine_plan, run_leaf};
use super::dates::iso_ms;
use crate::album::{HeldAsset, counted};
use crate::filter::{Hit, Hits};
use crate::immich::{Album, ApiError, Client, SearchKind, Visibility, pages};
use crate::state::{AlbumKey, AlbumView, SearchMark, Store};

/// How often a job reads everything, when neither it nor its profile says.
pub const FULL_EVERY: Duration = Duration::from_secs(24 * 3600);
/// How far before the watermark an incremental run looks, when the profile does not say.
pub const MARGIN: Duration = Duration::from_secs(3600);

/// How a sync reads: the settings of incremental runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Read everything in this run (`sync --full`).
    pub full: bool,
    /// Read everything when the last full run is this old.
    pub full_every: Duration,
    /// Look this far before the watermark.
    pub margin: Duration,
}

impl Default for Reading {
    fn default() -> Self {
        Reading {
            full: false,
            full_every: FULL_EVERY,
            margin: MARGIN,
        }
    }
}

/// Which kind of run this is, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunKind {
    /// Everything read, as a sync without a record does.
    Full { why: FullWhy },
    /// What changed since `since` (ms, the server's clock, the margin taken off; the earliest of
    /// the accounts'), read; the next full run is due at `full_due` (seconds, the tool's clock).
    Incremental { since: i64, full_due: i64 },
}

/// Why a run reads everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FullWhy {
    /// A preview always does.
    Preview,
    /// `sync --full`.
    Asked,
    /// `sync --adopt`: what it takes over must be what the job selects now, faces included.
    Adopt,
    /// No complete run of the job has left a watermark for one of its accounts.
    First,
    /// The last full run is `full_every` old.
    Due,
}

impl FullWhy {
    pub fn describe(self) -> &'static str {
        match self {
            FullWhy::Preview => "a preview reads everything",
            FullWhy::Asked => "asked for with --full",
            FullWhy::Adopt => "--adopt takes over only what a full read selects",
            FullWhy::First => "no earlier complete run to start from",
            FullWhy::Due => "the last full run is older than full_every",
        }
    }
}

/// Decides the kind of a run. Pure. `marks` are the live accounts' marks (`None`: none yet).
pub fn kind(
    preview: bool,
    adopt: bool,
    reading: Reading,
    marks: &[Option<SearchMark>],
    now: i64,
) -> RunKind {
    if preview {
        return RunKind::Full {
            why: FullWhy::Preview,
        };
    }
    if adopt {
        return RunKind::Full {
            why: FullWhy::Adopt,
        };
    }
    if reading.full {
        return RunKind::Full {
            why: FullWhy::Asked,
        };
    }
    let Some(marks) = marks.iter().copied().collect::<Option<Vec<SearchMark>>>() else {
        return RunKind::Full {
            why: FullWhy::First,
        };
    };
    let every = reading.full_every.as_secs() as i64;
    let (Some(since), Some(last_full)) = (
        marks.iter().map(|m| m.since_ms).min(),
        marks.iter().map(|m| m.full_at).min(),
    ) else {
        return RunKind::Full {
            why: FullWhy::First,
        };
    };
    if now.saturating_sub(last_full) >= every {
        return RunKind::Full { why: FullWhy::Due };
    }
    RunKind::Incremental {
        since: since - reading.margin.as_millis() as i64,
        full_due: last_full + every,
    }
}

/// One account's reading of this run: where it starts from, and what it leaves for the next.
#[derive(Debug, Default)]
pub struct AccountReading {
    /// Its searches' `updatedAfter` (ms, the server's clock): `None` reads everything.
    pub since: Option<i64>,
    /// When its last full run ended (the tool's clock), kept by an incremental run.
    pub full_at: Option<i64>,
    /// What the record kept of its searches, by search.
    pub cached: HashMap<String, Vec<u8>>,
    /// What this run leaves for the next, once its searches all answered.
    pub leaves: Option<Leaves>,
}

/// What an account's complete searches leave for the next run.
#[derive(Debug, Default)]
pub struct Leaves {
    /// The server's time before its searches: the next watermark.
    pub watermark: i64,
    /// Searches whose remembered result stays.
    pub kept: Vec<String>,
    /// Searches whose result is new.
    pub changed: Vec<(String, Vec<u8>)>,
    /// How many searches were taken from the record, narrowed, and asked whole.
    pub counts: ReadCounts,
}

/// How an account's searches were read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReadCounts {
    pub remembered: usize,
    pub narrowed: usize,
    pub whole: usize,
    /// Assets the change search found.
    pub changed_assets: usize,
}

/// How one search of an account is read in this run.
enum Way {
    /// Its remembered result, as it is.
    Remembered(Hits),
    /// Asked whole.
    Whole,
    /// Its remembered result without the changed assets, plus the search asked with this body.
    Narrowed(Hits, Map<String, Value>),
}

/// A search's identity in the record: what it asks, and the local rules that judge its hits.
fn leaf_key(plan: &AccountPlan, i: usize) -> String {
    let filter = &plan.leaves[i];
    let local = if plan.reads_local[i] && !plan.local.is_empty() {
        format!(" local {:?}", plan.local)
    } else {
        String::new()
    };
    format!(
        "{:?} {:?} {}{local}",
        filter.kind,
        filter.limit,
        Value::Object(filter.body.clone())
    )
}

/// Whether a search must be asked whole in every run: what it finds can change without any asset's
/// `updatedAt` moving (by album), or it asks for update times of its own.
fn always_whole(body: &Map<String, Value>) -> bool {
    body.keys().any(|k| {
        matches!(
            k.as_str(),
            "albumIds" | "updatedAfter" | "updatedBefore" | "trashedAfter" | "trashedBefore"
        )
    })
}

/// The ids of every asset of the account (and what it sees of partners) whose `updatedAt` is at or
/// after `since`, trashed ones too: one search on 3.x (which searches every visibility but locked
/// when none is given); on 2.x, which searches one visibility at a time, one per visibility.
pub async fn changes(client: &Client, since: i64) -> Result<HashSet<Uuid>, ApiError> {
    let body = |visibility: Option<&str>| {
        let mut body = Map::new();
        body.insert("updatedAfter".into(), json!(iso_ms(since)));
        body.insert("withDeleted".into(), json!(true));
        if let Some(visibility) = visibility {
            body.insert("visibility".into(), json!(visibility));
        }
        body
    };
    let bodies: Vec<Map<String, Value>> = if client.version().is_2x() {
        ["timeline", "archive", "hidden"]
            .into_iter()
            .map(|v| body(Some(v)))
            .collect()
    } else {
        vec![body(None)]
    };
    let mut ids = HashSet::new();
    for body in bodies {
        let mut stream =
            std::pin::pin!(pages(client, SearchKind::Metadata, body, None, None, id_of));
        while let Some(items) = stream.try_next().await? {
            ids.extend(items);
        }
    }
    Ok(ids)
}

/// An asset's id, the rest skipped.
fn id_of(raw: &RawValue) -> Result<Uuid, String> {
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        id: std::borrow::Cow<'a, str>,
    }
    let item: Id<'_> = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    Uuid::parse_str(&item.id).map_err(|_| format!("asset id `{}` is not a UUID", item.id))
}

/// Runs an account's searches the way its reading says (everything, or what changed), combines them
/// ([`combine_plan`]), and notes in `reading.leaves` what the next run starts from when every
/// search answered.
pub async fn evaluate(
    client: &Client,
    plan: &AccountPlan,
    reading: &AccountReading,
) -> Result<(Evaluated, Option<Leaves>), ApiError> {
    let watermark = client.server_date_ms();
    let changed = match reading.since {
        Some(since) => Some(changes(client, since).await?),
        None => None,
    };
    // With a safe album, every exclusion that rests on faces or on a smart search is asked whole:
    // what it flags can change without an update time moving, and the safe album fails closed.
    let mut guards = HashSet::new();
    if let Some(safe) = &plan.safe_exclude {
        let mut leaves = Vec::new();
        safe.iter()
            .chain(&plan.exclude)
            .for_each(|n| n.leaves(&mut leaves));
        guards.extend(leaves.into_iter().filter(|&i| {
            let filter = &plan.leaves[i];
            filter.kind == SearchKind::Smart || filter.body.contains_key("personIds")
        }));
    }
    let keys: Vec<String> = (0..plan.leaves.len()).map(|i| leaf_key(plan, i)).collect();
    let ways: Vec<Way> = plan
        .leaves
        .iter()
        .enumerate()
        .map(|(i, filter)| {
            let (Some(changed), Some(since)) = (&changed, reading.since) else {
                return Way::Whole;
            };
            // A ranking (a smart search, a limit) cannot be narrowed: whole when anything changed.
            let ranking = filter.kind == SearchKind::Smart || filter.limit.is_some();
            if guards.contains(&i) || always_whole(&filter.body) || (ranking && !changed.is_empty())
            {
                return Way::Whole;
            }
            let Some(hits) = reading.cached.get(&keys[i]).and_then(|b| decode_hits(b)) else {
                return Way::Whole;
            };
            if changed.is_empty() {
                return Way::Remembered(hits);
            }
            let mut body = filter.body.clone();
            body.insert("updatedAfter".into(), json!(iso_ms(since)));
            Way::Narrowed(hits, body)
        })
        .collect();
    let mut counts = ReadCounts {
        changed_assets: changed.as_ref().map_or(0, HashSet::len),
        ..ReadCounts::default()
    };
    let answers = join_all(ways.into_iter().enumerate().map(|(i, way)| {
        let changed = &changed;
        async move {
            match way {
                Way::Remembered(hits) => (i, Read::Remembered, Ok(hits)),
                Way::Whole => (i, Read::Whole, run_leaf(client, plan, i, None).await),
                Way::Narrowed(mut hits, body) => {
                    let found = run_leaf(client, plan, i, Some(body)).await;
                    let result = found.map(|found| {
                        let changed = changed.as_ref().expect("narrowed only with changes");
                        let before = hits.len();
                        hits.retain(|id, _| !changed.contains(id));
                        let same = hits.len() == before && found.is_empty();
                        let next = hits.values().map(|h| h.rank).max().map_or(0, |r| r + 1);
                        for (id, mut hit) in found {
                            hit.rank += next;
                            hits.insert(id, hit);
                        }
                        (hits, same)
                    });
                    match result {
                        Ok((hits, true)) => (i, Read::Remembered, Ok(hits)),
                        Ok((hits, false)) => (i, Read::Narrowed, Ok(hits)),
                        Err(error) => (i, Read::Narrowed, Err(error)),
                    }
                }
            }
        }
    }))
    .await;
    let mut results: Vec<Option<Result<Hits, ApiError>>> =
        (0..plan.leaves.len()).map(|_| None).collect();
    let mut leaves = Leaves::default();
    let mut whole = true;
    for (i, read, result) in answers {
        match (&result, read) {
            (Err(_), _) => whole = false,
            (Ok(_), Read::Remembered) => {
                counts.remembered += 1;
                leaves.kept.push(keys[i].clone());
            }
            (Ok(hits), read) => {
                if read == Read::Narrowed {
                    counts.narrowed += 1;
                } else {
                    counts.whole += 1;
                }
                leaves.changed.push((keys[i].clone(), encode_hits(hits)));
            }
        }
        results[i] = Some(result);
    }
    let evaluated = combine_plan(plan, results)?;
    leaves.counts = counts;
    let leaves = match watermark {
        Some(watermark) if whole => Some(Leaves {
            watermark,
            ..leaves
        }),
        // No `Date` from the server, or a search that failed: the next run reads everything.
        _ => None,
    };
    Ok((evaluated, leaves))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Remembered,
    Narrowed,
    Whole,
}

// ----- albums -------------------------------------------------------------------------------

/// Where an album's holdings came from in this run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HeldFrom {
    /// The album does not exist (yet).
    #[default]
    Nothing,
    /// Read in this run (listed whole, or its view brought up to date), true as of the fingerprint
    /// the album had before the reading, which the server's clock read at this time (ms).
    Listing(String, i64),
    /// The record's view, whose fingerprint the album still has.
    View,
}

/// What the record kept of an album, where this run may use it (an incremental run).
pub fn stored_view(store: &Store, key: Option<&AlbumKey>, kind: RunKind) -> Option<AlbumView> {
    if !matches!(kind, RunKind::Incremental { .. }) {
        return None;
    }
    store.album_view(key?).ok()?
}

/// What an album holds, from the record's view of it, where that can be trusted: its fingerprint has
/// not moved; or (3.x) only its `lastModifiedAssetTimestamp` has, and the album's assets that changed
/// since the view (one search) change nothing the album counts. The view's trashed and hidden assets,
/// which the fingerprint does not count, are asked for again (3.x; on 2.x the album is listed). And
/// what it holds must add up to the album's count. `None`: list the album. `read_at` is the server
/// time the album's fingerprint was read at.
pub async fn held_from_view(
    client: &Client,
    album: &Album,
    view: AlbumView,
    margin: Duration,
    read_at: i64,
) -> Result<Option<(HashMap<Uuid, HeldAsset>, HeldFrom)>, ApiError> {
    let Some(mut held) = decode_held(&view.held) else {
        return Ok(None);
    };
    let two_x = client.version().is_2x();
    let mut refreshed = false;
    match stand(&view.fingerprint, album) {
        Stand::Same => {}
        Stand::AssetsChanged if !two_x => {
            let since = iso_ms(view.since_ms - margin.as_millis() as i64);
            for (id, now) in crate::album::changed_in(client, &album.id, &since).await? {
                match held.get(&id) {
                    Some(before) if counted(before) == counted(&now) => {
                        held.insert(id, now);
                    }
                    // New to the view, or in or out of the album's count: its count proves nothing.
                    _ => return Ok(None),
                }
            }
            refreshed = true;
        }
        _ => return Ok(None),
    }
    if held.values().any(|a| !counted(a)) {
        if two_x {
            return Ok(None);
        }
        held.retain(|_, a| counted(a));
        held.extend(crate::album::trashed_or_hidden(client, &album.id).await?);
        refreshed = true;
    }
    if held.values().filter(|a| counted(a)).count() as u64 != album.asset_count {
        return Ok(None);
    }
    let from = if refreshed {
        HeldFrom::Listing(album.fingerprint(), read_at)
    } else {
        HeldFrom::View
    };
    Ok(Some((held, from)))
}

/// How an album stands against the fingerprint of its view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stand {
    /// Nothing moved.
    Same,
    /// Only `lastModifiedAssetTimestamp` moved: assets in it changed (archived, favourited…), none
    /// was added (that moves `updatedAt`) and the count is the same.
    AssetsChanged,
    /// Added to, taken from, or otherwise changed.
    Moved,
}

fn stand(stored: &str, album: &Album) -> Stand {
    let now = album.fingerprint();
    if stored == now {
        return Stand::Same;
    }
    let parts = |f: &str| f.split(' ').map(str::to_string).collect::<Vec<_>>();
    let (before, after) = (parts(stored), parts(&now));
    if before.len() == 3 && after.len() == 3 && before[..2] == after[..2] {
        Stand::AssetsChanged
    } else {
        Stand::Moved
    }
}

// ----- the record's blobs ---------------------------------------------------------------------

const HIT_VERSION: u8 = 1;
const HELD_VERSION: u8 = 2;

fn visibility_byte(v: Visibility) -> u8 {
    match v {
        Visibility::Timeline => 0,
        Visibility::Archive => 1,
        Visibility::Hidden => 2,
        Visibility::Locked => 3,
    }
}

fn visibility_of(b: u8) -> Option<Visibility> {
    Some(match b {
        0 => Visibility::Timeline,
        1 => Visibility::Archive,
        2 => Visibility::Hidden,
        3 => Visibility::Locked,
        _ => return None,
    })
}

/// A search's hits as the record keeps them: a version byte, then per hit its id, owner, rank,
/// flags, visibility and checksum (length first).
pub fn encode_hits(hits: &Hits) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + hits.len() * 72);
    out.push(HIT_VERSION);
    let mut sorted: Vec<&Hit> = hits.values().collect();
    sorted.sort_by_key(|h| (h.rank, h.id));
    for hit in sorted {
        out.extend_from_slice(hit.id.as_bytes());
        out.extend_from_slice(hit.owner.as_bytes());
        out.extend_from_slice(&hit.rank.to_le_bytes());
        out.push(u8::from(hit.local_ok) | (u8::from(hit.from_metadata) << 1));
        out.push(visibility_byte(hit.visibility));
        push_text(&mut out, &hit.checksum);
    }
    out
}

/// The hits [`encode_hits`] wrote; `None` for anything else (the search is then asked whole).
pub fn decode_hits(bytes: &[u8]) -> Option<Hits> {
    let (&version, mut rest) = bytes.split_first()?;
    if version != HIT_VERSION {
        return None;
    }
    let mut hits = Hits::new();
    while !rest.is_empty() {
        let id = Uuid::from_slice(rest.get(..16)?).ok()?;
        let owner = Uuid::from_slice(rest.get(16..32)?).ok()?;
        let rank = u32::from_le_bytes(rest.get(32..36)?.try_into().ok()?);
        let flags = *rest.get(36)?;
        let visibility = visibility_of(*rest.get(37)?)?;
        let (checksum, next) = take_text(rest.get(38..)?)?;
        rest = next;
        hits.insert(
            id,
            Hit {
                id,
                owner,
                checksum: checksum.into(),
                rank,
                local_ok: flags & 1 != 0,
                from_metadata: flags & 2 != 0,
                visibility,
            },
        );
    }
    Some(hits)
}

/// What an album holds, as the record keeps it.
pub fn encode_held(held: &HashMap<Uuid, HeldAsset>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + held.len() * 48);
    out.push(HELD_VERSION);
    let mut ids: Vec<&Uuid> = held.keys().collect();
    ids.sort_unstable();
    for id in ids {
        let asset = &held[id];
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(asset.owner.as_bytes());
        out.push(visibility_byte(asset.visibility) | (u8::from(asset.trashed) << 4));
        push_text(&mut out, &asset.checksum);
    }
    out
}

/// What [`encode_held`] wrote; `None` for anything else (the album is then listed).
pub fn decode_held(bytes: &[u8]) -> Option<HashMap<Uuid, HeldAsset>> {
    let (&version, mut rest) = bytes.split_first()?;
    if version != HELD_VERSION {
        return None;
    }
    let mut held = HashMap::new();
    while !rest.is_empty() {
        let id = Uuid::from_slice(rest.get(..16)?).ok()?;
        let owner = Uuid::from_slice(rest.get(16..32)?).ok()?;
        let flags = *rest.get(32)?;
        let (checksum, next) = take_text(rest.get(33..)?)?;
        rest = next;
        held.insert(
            id,
            HeldAsset {
                checksum: checksum.into(),
                owner,
                visibility: visibility_of(flags & 0x0f)?,
                trashed: flags & 0x10 != 0,
            },
        );
    }
    Some(held)
}

fn push_text(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&bytes[..usize::from(len)]);
}

fn take_text(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let len = usize::from(u16::from_le_bytes(bytes.get(..2)?.try_into().ok()?));
    let text = std::str::from_utf8(bytes.get(2..2 + len)?).ok()?;
    Some((text, &bytes[2 + len..]))
}

#[cfg(test)]
mod tests;
