//! After a sync's effects: what the next run starts from ([`super::since`]). Per account whose
//! searches all answered, the watermark and the searches' results; per album, what it holds and the
//! fingerprint it has with that. A failed account's watermark does not move; an album whose contents
//! this run cannot vouch for is forgotten, and the next run lists it.

use std::collections::HashMap;

use uuid::Uuid;

use super::decide::{Held, HeldAsset};
use super::effects::{AlbumOutcome, ContentChanges};
use super::model::{Account, AccountRun};
use super::since::{HeldFrom, RunKind, encode_held};
use crate::album::counted;
use crate::immich::{Album, Visibility};
use crate::state::{AlbumKey, AlbumView, SearchMark, Store};

/// Per live account whose searches all answered, notes where the next run starts; a failed account's
/// watermark stays where it was. Every account that answered is noted, also in a run where another
/// failed: what this run added and removed rests on what its searches found, and a later run must
/// not start from older knowledge than that (a face a full run saw, which an incremental run cannot).
/// When an add found assets gone from a library (`vanished`: deleted for good, unseen by the
/// searches' record), the job's record of its searches is dropped: the next run reads everything.
pub fn searches(
    job: &str,
    accounts: &[AccountRun<'_>],
    kind: RunKind,
    vanished: usize,
    store: &Store,
) -> anyhow::Result<()> {
    if vanished > 0 {
        tracing::info!(
            "{vanished} photos were deleted since the searches' record: the next run reads everything"
        );
        return store.forget_searches(job);
    }
    let now = crate::clock::now();
    for account in accounts {
        let (Some(live), Some(leaves)) = (account.live(), &account.reading.leaves) else {
            continue;
        };
        let full_at = match kind {
            RunKind::Full { .. } => now,
            RunKind::Incremental { .. } => account.reading.full_at.unwrap_or(now),
        };
        let kept: Vec<&str> = leaves.kept.iter().map(String::as_str).collect();
        store.note_searches(
            job,
            &live.user.id,
            SearchMark {
                since_ms: leaves.watermark,
                full_at,
            },
            &kept,
            &leaves.changed,
        )?;
    }
    Ok(())
}

/// One album of the job as this run left it.
pub struct AlbumSide<'a> {
    /// As found before the run (`None`: it did not exist).
    pub album: Option<&'a Album>,
    pub key: Option<&'a AlbumKey>,
    pub held: &'a Held,
    pub from: &'a HeldFrom,
    /// What a sync did to it.
    pub outcome: Option<&'a AlbumOutcome>,
    /// Whether its looks (description, order, cover) changed, which moves its `updatedAt`.
    pub looks_changed: bool,
    /// The server time this run read the album's fingerprint at (before its changes).
    pub read_at: i64,
}

/// Keeps an album's view true for the next run: a listing that was whole is noted with the
/// fingerprint the album had before it; an album this run changed is read again (without its
/// assets) and noted with its new fingerprint when its count agrees with what the answers say it
/// holds now; anything less sure forgets the view (the next run lists the album).
pub async fn album(
    store: &Store,
    owner: &Account,
    side: AlbumSide<'_>,
    accounts: &[AccountRun<'_>],
) {
    // An album this run made has no key in the record yet: its id is the outcome's.
    let made = side
        .outcome
        .filter(|o| o.created)
        .and_then(|o| o.id.clone());
    let key = match (side.key, &made) {
        (Some(key), _) => key.clone(),
        (None, Some(id)) => AlbumKey {
            server: owner.client.api_base().to_string(),
            album_id: id.clone(),
        },
        (None, None) => return,
    };
    if let Err(error) = keep_view(store, owner, &key, &side, made.is_some(), accounts).await {
        tracing::debug!("album {}: its view is not kept: {error:#}", key.album_id);
        let _ = store.forget_album_view(&key);
    }
}

async fn keep_view(
    store: &Store,
    owner: &Account,
    key: &AlbumKey,
    side: &AlbumSide<'_>,
    made: bool,
    accounts: &[AccountRun<'_>],
) -> anyhow::Result<()> {
    let held = side.held;
    let sure = held.incomplete.is_none() && held.blind.is_empty();
    let changes: Option<&ContentChanges> = side.outcome.map(|o| &o.contents);
    // An album that existed is known from its listing or its view; one made now holds what this
    // run added to it.
    let known = made || !matches!(side.from, HeldFrom::Nothing);
    if !sure || changes.is_some_and(|c| c.unsure) || !known {
        store.forget_album_view(key)?;
        return Ok(());
    }
    let touched = changes.is_some_and(|c| !c.added.is_empty() || !c.removed.is_empty());
    if !touched && !side.looks_changed {
        if let HeldFrom::Listing(fingerprint, since_ms) = side.from {
            let view = AlbumView {
                fingerprint: fingerprint.clone(),
                since_ms: *since_ms,
                held: encode_held(&held.assets),
            };
            store.note_album_view(key, &view)?;
        }
        return Ok(());
    }
    let mut now_held = held.assets.clone();
    if let Some(changes) = changes {
        let picked: HashMap<Uuid, (Visibility, Uuid)> = accounts
            .iter()
            .filter_map(|a| a.share.as_ref())
            .flat_map(|s| s.chosen.iter().map(|h| (h.id, (h.visibility, h.owner))))
            .collect();
        for (id, checksum) in &changes.added {
            // A copy made on the album's server is not among the picks: on the timeline, and its
            // owner unknown here (the next listing says).
            let (visibility, owner) = picked.get(id).copied().unwrap_or_default();
            now_held.insert(
                *id,
                HeldAsset {
                    checksum: checksum.clone(),
                    owner,
                    visibility,
                    trashed: false,
                },
            );
        }
        for id in &changes.removed {
            now_held.remove(id);
        }
    }
    let after = owner.client.album(&key.album_id).await?;
    let counted_now = now_held.values().filter(|a| counted(a)).count() as u64;
    if after.asset_count == counted_now {
        let view = AlbumView {
            fingerprint: after.fingerprint(),
            // What others changed in its assets while this run was at it is after this time: an
            // incremental run that finds them changed looks from here.
            since_ms: side.read_at,
            held: encode_held(&now_held),
        };
        store.note_album_view(key, &view)?;
    } else {
        tracing::debug!(
            "album {}: counts {} after this run, its answers say {counted_now}: listed next run",
            key.album_id,
            after.asset_count
        );
        store.forget_album_view(key)?;
    }
    Ok(())
}
