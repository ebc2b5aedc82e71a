//! Albums: finding one by UUID or exact name, listing what it holds, adding to it and removing from it.
//! Both go in batches of at most 1000 ids and read every per-id answer, since an HTTP 200 does not mean
//! that every id was added or removed. Removing takes an asset out of an album, never out of a library.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::input_error;
use crate::immich::{
    Album, ApiError, BulkIdResult, Client, DecodeFailure, SearchKind, Visibility, pages,
};

/// One asset as the album listing read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldAsset {
    pub checksum: Box<str>,
    /// The user who owns it (nil when the listing did not say).
    pub owner: Uuid,
    pub visibility: Visibility,
    /// In the trash (still in the album, hidden from it).
    pub trashed: bool,
}

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
    find_among(client, spec, None).await
}

/// Looks up several albums at once: on 2.x, which answers every album whatever name it is asked for,
/// the albums are listed once for all the names (measured on 2.5.6: the list is most of what an
/// unchanged incremental sync reads); on 3.x each name is asked for (the server filters).
pub async fn find_several(client: &Client, specs: &[&str]) -> anyhow::Result<Vec<Option<Album>>> {
    let names = specs.iter().filter(|s| Uuid::parse_str(s).is_err()).count();
    let listed = if client.version().is_2x() && names > 1 {
        Some(client.albums(None).await?)
    } else {
        None
    };
    let mut found = Vec::with_capacity(specs.len());
    for spec in specs {
        found.push(find_among(client, spec, listed.as_deref()).await?);
    }
    Ok(found)
}

/// [`find`], by name among `listed` when given (every album the account sees).
async fn find_among(
    client: &Client,
    spec: &str,
    listed: Option<&[Album]>,
) -> anyhow::Result<Option<Album>> {
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
    let mut albums = match listed {
        Some(listed) => listed
            .iter()
            .filter(|a| a.album_name == spec)
            .cloned()
            .collect(),
        None => client.albums(Some(spec)).await?,
    };
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

/// An album asset as the contents listing reads it: id, checksum and where it shows, the rest skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed<'a> {
    #[serde(borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    checksum: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    owner_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    visibility: Option<std::borrow::Cow<'a, str>>,
    is_archived: Option<bool>,
    is_trashed: Option<bool>,
}

/// Reads one listed asset.
fn decode_listed(raw: &RawValue) -> Result<(Uuid, HeldAsset), String> {
    let listed: Listed<'_> = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
    let id = listed.id.ok_or("an album asset without `id`")?;
    let id = Uuid::parse_str(&id).map_err(|_| format!("album asset id `{id}` is not a UUID"))?;
    let checksum = listed
        .checksum
        .ok_or_else(|| format!("album asset {id} without `checksum`"))?;
    Ok((
        id,
        HeldAsset {
            checksum: checksum.into(),
            owner: listed
                .owner_id
                .and_then(|o| Uuid::parse_str(&o).ok())
                .unwrap_or_default(),
            visibility: Visibility::from_fields(listed.visibility.as_deref(), listed.is_archived),
            trashed: listed.is_trashed.unwrap_or(false),
        },
    ))
}

/// The metadata search that lists an album's contents on 3.x, trashed assets included (the
/// benchmark counts its pages too).
pub fn contents_query(album_id: &str) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("albumIds".into(), json!([album_id]));
    body.insert("withDeleted".into(), json!(true));
    body
}

/// 3.x: the album's assets, every member's, trashed ones too, whose `updatedAt` is at or after
/// `updated_after` (an ISO time): what changed in an album whose count and `updatedAt` did not move.
pub async fn changed_in(
    client: &Client,
    album_id: &str,
    updated_after: &str,
) -> Result<HashMap<Uuid, HeldAsset>, ApiError> {
    let mut body = contents_query(album_id);
    body.insert("updatedAfter".into(), json!(updated_after));
    let mut found = HashMap::new();
    search_into(client, body, &mut found).await?;
    Ok(found)
}

/// Every page of a metadata search of album assets, into `found`.
async fn search_into(
    client: &Client,
    body: Map<String, Value>,
    found: &mut HashMap<Uuid, HeldAsset>,
) -> Result<(), ApiError> {
    let mut stream = std::pin::pin!(pages(
        client,
        SearchKind::Metadata,
        body,
        None,
        None,
        decode_listed
    ));
    while let Some(items) = stream.try_next().await? {
        found.extend(items);
    }
    Ok(())
}

/// What an album holds, as one listing read it.
#[derive(Debug, Default)]
pub struct Listing {
    pub assets: HashMap<Uuid, HeldAsset>,
    /// Why the listing may have missed assets the album holds: it disagrees with the album's own
    /// count, or the album changed while it was read. `None` when it is whole.
    pub incomplete: Option<String>,
    /// Whether trashed and hidden assets are in `assets`: on 3.x the listing shows them; 2.x's
    /// `GET /albums/{id}` leaves them out (see [`trashed_or_hidden`]).
    pub shows_trashed_and_hidden: bool,
}

/// Whether Immich counts an asset in an album's `assetCount` (and 2.x embeds it in the album): not
/// in the trash, on the timeline or archived (Immich's `withDefaultVisibility`).
pub fn counted(asset: &HeldAsset) -> bool {
    !asset.trashed && asset.visibility.may_enter_album()
}

/// How many times an album that changed while it was read is read again before its listing is taken
/// as incomplete (another sync adding to it at the same moment, a person at work in Immich).
const LISTING_READS: usize = 3;

/// Everything an album holds, by id, with checksums and visibility, and whether the listing can be
/// trusted whole. 3.x: every member's assets through the album's metadata search (trashed ones
/// included), paged; the album is read again afterwards, and a listing that disagrees with the
/// album's count, or an album that changed while it was read, is read again (up to
/// [`LISTING_READS`] times in all) and then taken as incomplete. 2.x: `GET /albums/{id}`, whose
/// embedded assets are every member's (a 2.x search answers only the caller's own, even for an
/// album), without the trashed and hidden ones.
pub async fn contents(client: &Client, album: &Album) -> Result<Listing, ApiError> {
    if client.version().is_2x() {
        // Immich counts the album in a query of its own beside the one that embeds its assets: an
        // album that changes in between answers two sizes, and is read again.
        let mut read = 1;
        loop {
            let listing = embedded(client, &album.id).await?;
            if listing.incomplete.is_none() || read == LISTING_READS {
                return Ok(listing);
            }
            read += 1;
        }
    }
    let mut before = album.clone();
    let mut read = 0;
    loop {
        read += 1;
        let mut assets = HashMap::with_capacity(before.asset_count as usize);
        let mut stream = std::pin::pin!(pages(
            client,
            SearchKind::Metadata,
            contents_query(&album.id),
            None,
            Some(before.asset_count as usize),
            decode_listed
        ));
        while let Some(items) = stream.try_next().await? {
            assets.extend(items);
        }
        let after = client.album(&album.id).await?;
        let listed = assets.values().filter(|a| counted(a)).count() as u64;
        let incomplete = if after.asset_count != before.asset_count {
            Some(format!(
                "the album changed while it was read ({} assets before, {} after)",
                before.asset_count, after.asset_count
            ))
        } else if after.updated_at != before.updated_at {
            Some("the album changed while it was read (assets were added and taken out)".into())
        } else if listed != after.asset_count {
            Some(format!(
                "its listing shows {listed} assets, but the album counts {}",
                after.asset_count
            ))
        } else {
            None
        };
        if incomplete.is_none() || read == LISTING_READS {
            if let Some(why) = &incomplete {
                tracing::debug!("album {}: read {read} times: {why}", album.id);
            }
            return Ok(Listing {
                assets,
                incomplete,
                shows_trashed_and_hidden: true,
            });
        }
        before = after;
    }
}

/// 2.x's album with its embedded assets: the listing and the count come in one answer.
async fn embedded(client: &Client, album_id: &str) -> Result<Listing, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Embedded<'a> {
        #[serde(borrow, default)]
        assets: Vec<&'a RawValue>,
        #[serde(default)]
        asset_count: u64,
    }
    let (assets, count) = client
        .call_with(
            reqwest::Method::GET,
            &format!("albums/{album_id}"),
            &[],
            None::<&()>,
            |bytes| {
                let album: Embedded<'_> = serde_json::from_slice(bytes)
                    .map_err(|e| DecodeFailure::Malformed(e.to_string()))?;
                let assets = album
                    .assets
                    .iter()
                    .map(|raw| decode_listed(raw))
                    .collect::<Result<HashMap<_, _>, _>>()
                    .map_err(DecodeFailure::Invalid)?;
                Ok((assets, album.asset_count))
            },
        )
        .await?;
    let listed = assets.values().filter(|a| counted(a)).count() as u64;
    let incomplete =
        (listed != count).then(|| format!("the album embeds {listed} assets, but counts {count}"));
    Ok(Listing {
        assets,
        incomplete,
        shows_trashed_and_hidden: false,
    })
}

/// Which of an album's assets it holds now, as one read finds them (no count check): to settle adds
/// whose answer was lost while the run is still at it.
pub async fn ids_held(client: &Client, album_id: &str) -> Result<HashSet<Uuid>, ApiError> {
    if client.version().is_2x() {
        return Ok(embedded(client, album_id)
            .await?
            .assets
            .into_keys()
            .collect());
    }
    let mut ids = HashSet::new();
    let mut stream = std::pin::pin!(pages(
        client,
        SearchKind::Metadata,
        contents_query(album_id),
        None,
        None,
        decode_listed
    ));
    while let Some(items) = stream.try_next().await? {
        ids.extend(items.into_iter().map(|(id, _)| id));
    }
    Ok(ids)
}

/// 2.x: the caller's own assets in an album that `GET /albums/{id}` leaves out: those in the trash
/// (on the timeline or archived) and the hidden ones. A 2.x search takes one visibility at a time
/// and answers only the caller's own assets.
pub async fn trashed_or_hidden(
    client: &Client,
    album_id: &str,
) -> Result<HashMap<Uuid, HeldAsset>, ApiError> {
    let query = |visibility: &str, trashed_only: bool| {
        let mut body = Map::new();
        body.insert("albumIds".into(), json!([album_id]));
        body.insert("visibility".into(), json!(visibility));
        if trashed_only {
            body.insert("trashedAfter".into(), json!("1970-01-01T00:00:00.000Z"));
        } else {
            body.insert("withDeleted".into(), json!(true));
        }
        body
    };
    let bodies = [
        query("timeline", true),
        query("archive", true),
        query("hidden", false),
    ];
    let mut found = HashMap::new();
    for body in bodies {
        search_into(client, body, &mut found).await?;
    }
    Ok(found)
}

/// What an add did, id by id. Ids of batches not sent (after a failed request) are in none of the lists.
#[derive(Debug, Default)]
pub struct AddOutcome {
    pub added: Vec<Uuid>,
    /// Answered `duplicate` to a request sent once: already in the album before this add (a
    /// person's, when the album did not hold it at the listing).
    pub already: Vec<Uuid>,
    /// Answered `duplicate` to a request sent more than once: most likely an earlier attempt's own
    /// add, whose answer was lost.
    pub already_after_resend: Vec<Uuid>,
    /// Refused, by the server's reason (`no_permission`, `not_found`, …).
    pub refused: BTreeMap<String, Vec<Uuid>>,
    /// Refused because the asset is gone from its owner's library (deleted since a search found it,
    /// see [`AddOutcome::sort_out_vanished`]): nothing to add, and not the album's fault.
    pub vanished: Vec<Uuid>,
    /// The request that failed, if one did; the batches before it were added.
    pub failed: Option<ApiError>,
}

impl AddOutcome {
    /// Asks the adding account about each refused asset: one its own server no longer knows was
    /// deleted since a search found it (for an incremental sync, perhaps since the last full run),
    /// and moves from `refused` to `vanished`. A question that fails leaves the refusal as it is.
    pub async fn sort_out_vanished(&mut self, client: &Client) {
        let refused: Vec<Uuid> = self.refused.values().flatten().copied().collect();
        // Asked at once: the client's in-flight limit bounds them.
        let answers = futures::future::join_all(refused.iter().map(|id| async move {
            let answer = client.asset_info(&id.to_string()).await;
            matches!(answer, Err(error) if matches!(error.status(), Some(400 | 404)))
        }))
        .await;
        let gone: HashSet<Uuid> = refused
            .into_iter()
            .zip(answers)
            .filter_map(|(id, gone)| gone.then_some(id))
            .collect();
        for ids in self.refused.values_mut() {
            ids.retain(|id| !gone.contains(id));
        }
        self.refused.retain(|_, ids| !ids.is_empty());
        self.vanished.extend(gone);
        self.vanished.sort_unstable();
    }

    pub fn refused_count(&self) -> usize {
        self.refused.values().map(Vec::len).sum()
    }
}

/// Adds assets in batches, reading each per-id answer. Stops at the first failed request.
pub async fn add(client: &Client, album_id: &str, ids: &[Uuid]) -> AddOutcome {
    let answers = in_batches(ids, "duplicate", |batch| async move {
        client.add_album_assets(album_id, &batch).await
    })
    .await;
    AddOutcome {
        added: answers.done,
        already: answers.benign,
        already_after_resend: answers.benign_resent,
        refused: answers.refused,
        vanished: Vec::new(),
        failed: answers.failed,
    }
}

/// What a removal did, id by id. Ids of batches not sent (after a failed request) are in none of the
/// lists.
#[derive(Debug, Default)]
pub struct RemoveOutcome {
    pub removed: Vec<Uuid>,
    /// Answered `not_found` to a request sent once: the album no longer held it.
    pub gone: Vec<Uuid>,
    /// Answered `not_found` to a request sent more than once: gone, perhaps by the first sending.
    pub gone_after_resend: Vec<Uuid>,
    /// Refused, by the server's reason.
    pub refused: BTreeMap<String, Vec<Uuid>>,
    /// The request that failed, if one did; the batches before it were removed.
    pub failed: Option<ApiError>,
}

/// Removes assets from an album (not from the library) in batches, reading each per-id answer. Stops
/// at the first failed request.
pub async fn remove(client: &Client, album_id: &str, ids: &[Uuid]) -> RemoveOutcome {
    let answers = in_batches(ids, "not_found", |batch| async move {
        client.remove_album_assets(album_id, &batch).await
    })
    .await;
    RemoveOutcome {
        removed: answers.done,
        gone: answers.benign,
        gone_after_resend: answers.benign_resent,
        refused: answers.refused,
        failed: answers.failed,
    }
}

/// The per-id answers of [`in_batches`], sorted.
#[derive(Default)]
struct Answers {
    /// Answered success.
    done: Vec<Uuid>,
    /// Answered with the error that means "nothing to do" (`duplicate` for an add, `not_found` for a
    /// removal), to a request sent once.
    benign: Vec<Uuid>,
    /// The same, to a request sent more than once.
    benign_resent: Vec<Uuid>,
    /// Refused, by the server's reason.
    refused: BTreeMap<String, Vec<Uuid>>,
    /// The request that failed, if one did; no batch after it was sent.
    failed: Option<ApiError>,
}

/// Sends ids in batches of [`ADD_BATCH`] and sorts every per-id answer; stops at the first failed
/// request. An answer for an id that was not asked about is skipped with a warning, never guessed.
async fn in_batches<F, Fut>(ids: &[Uuid], benign: &str, send: F) -> Answers
where
    F: Fn(Vec<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<BulkIdResult>, bool), ApiError>>,
{
    let mut answers = Answers::default();
    for batch in ids.chunks(ADD_BATCH) {
        let asked: std::collections::HashSet<&Uuid> = batch.iter().collect();
        let batch: Vec<String> = batch.iter().map(Uuid::to_string).collect();
        match send(batch).await {
            Ok((results, resent)) => {
                for result in &results {
                    match Uuid::parse_str(&result.id) {
                        Ok(id) if asked.contains(&id) => {
                            match (result.success, result.error.as_deref()) {
                                (true, _) => answers.done.push(id),
                                (false, Some(error)) if error == benign && resent => {
                                    answers.benign_resent.push(id)
                                }
                                (false, Some(error)) if error == benign => answers.benign.push(id),
                                (false, reason) => answers
                                    .refused
                                    .entry(reason.unwrap_or("unknown").to_string())
                                    .or_default()
                                    .push(id),
                            }
                        }
                        _ => tracing::warn!(
                            "the server answered for an id it was not asked about (`{}`); skipped",
                            result.id
                        ),
                    }
                }
            }
            Err(error) => {
                answers.failed = Some(error);
                break;
            }
        }
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: &str, success: bool, error: Option<&str>) -> BulkIdResult {
        BulkIdResult {
            id: id.to_string(),
            success,
            error: error.map(str::to_string),
        }
    }

    fn sorted(ids: &[Uuid], answer_with: Vec<BulkIdResult>) -> Answers {
        let (ids, expected) = (ids.to_vec(), ids.to_vec());
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(in_batches(&expected, "duplicate", move |batch| {
                let (ids, answer_with) = (ids.clone(), answer_with.clone());
                async move {
                    let asked: Vec<String> = ids.iter().map(Uuid::to_string).collect();
                    assert_eq!(batch, asked);
                    Ok((answer_with, false))
                }
            }))
    }

    #[test]
    fn each_answer_is_sorted_by_what_it_says() {
        let ids: Vec<Uuid> = (1..=4).map(Uuid::from_u128).collect();
        let answers = sorted(
            &ids,
            vec![
                answer(&ids[0].to_string(), true, None),
                answer(&ids[1].to_string(), false, Some("duplicate")),
                answer(&ids[2].to_string(), false, Some("no_permission")),
                answer(&ids[3].to_string(), false, None),
            ],
        );
        assert_eq!(answers.done, [ids[0]]);
        assert_eq!(answers.benign, [ids[1]]);
        assert_eq!(
            answers.refused,
            BTreeMap::from([
                ("no_permission".to_string(), vec![ids[2]]),
                ("unknown".to_string(), vec![ids[3]]),
            ])
        );
        assert!(answers.failed.is_none());
    }

    /// The record is written from these answers: an answer for an asset the tool did not send would
    /// make it claim (and later prune) an asset a person put in the album.
    #[test]
    fn an_answer_for_an_id_not_asked_about_is_never_taken() {
        let asked = Uuid::from_u128(1);
        let stray = Uuid::from_u128(2).to_string();
        let answers = sorted(
            &[asked],
            vec![
                answer(&stray, true, None),
                answer(&stray, false, Some("duplicate")),
                answer(&stray, false, Some("no_permission")),
                answer("not-a-uuid", true, None),
                answer(&asked.to_string(), true, None),
            ],
        );
        assert_eq!(answers.done, [asked]);
        assert!(answers.benign.is_empty(), "{:?}", answers.benign);
        assert!(answers.refused.is_empty(), "{:?}", answers.refused);
    }
}
