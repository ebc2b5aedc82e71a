//! Step 6 of a run: what it does to the world, once everything is decided. Each effect takes the
//! decisions and returns a typed outcome; none of them touches the report, which is built from the
//! decisions and these outcomes afterwards ([`super::report::build`]).
//!
//! - [`copies`]: copies of the accounts on other servers than the album's (`across_servers: copy`);
//! - [`album`]: a sync's changes to one album: create it, settle the record, adopt, add, remove;
//! - [`members`]: who an album the tool made is shared with;
//! - [`looks`] and [`link`]: the main album's description, order and cover; the safe album's link.
//!
//! A preview runs the same effects that only read (copies are planned, not made; membership, looks
//! and link say what a sync would do); a sync runs them all. Every add and removal is written to the
//! record as an intent before its request and confirmed from the per-id answers after it.

pub mod album;
pub mod copies;
pub mod link;
pub mod looks;
pub mod members;

use super::combine::Decisions;
use super::file::JobSpec;
use super::model::{Account, Mode, Slot};
use super::search::{Albums, Records};
use crate::state::{AlbumKey, Store};

pub use album::{Added, AlbumOutcome, ContentChanges};
pub use copies::CopyRow;
pub use link::LinkRow;

/// What every effect of one run shares.
pub struct Effects<'a> {
    pub job: &'a JobSpec,
    /// The job's accounts, in job order (every per-account vector of an outcome follows it).
    pub slots: &'a [Slot],
    pub owner: &'a Account,
    pub store: &'a Store,
    pub adopt: bool,
}

/// What a run did (or, in a preview, would do) beyond its decisions.
pub struct Outcomes {
    /// Per account, in job order: its copies, when it is on another server than the album's.
    pub copies: Vec<Option<CopyRow>>,
    pub main: AlbumOutcome,
    /// With a safe album.
    pub safe: Option<AlbumOutcome>,
    /// The main album's looks: what changed (or would), when the job sets any and the album exists.
    pub looks: Option<Result<Vec<String>, String>>,
    /// The safe album's shared link, when the job asks for one (none in a sync that could not make
    /// the album).
    pub link: Option<Result<LinkRow, String>>,
}

/// Runs the effects of `mode`, in order: copies, then (a sync) each album's changes or (a preview)
/// who it would be shared with, then, once the albums' contents are settled, the looks and the link.
pub async fn run(
    fx: &Effects<'_>,
    mode: Mode,
    albums: Albums,
    records: &Records,
    decisions: &Decisions,
) -> Outcomes {
    let write = mode == Mode::Sync;
    let (copies, copying) =
        copies::copies(fx, decisions.main.accounts.len(), decisions, write).await;
    let spec = fx.job;
    let (main, safe) = if write {
        let main = album::apply(
            fx,
            &copying,
            albums.main,
            &spec.album,
            "main",
            &decisions.main,
            true,
        )
        .await;
        let safe = match (&spec.safe, &decisions.safe) {
            (Some(safe), Some(decision)) => {
                let adds_open = decisions.safe_fail.is_none();
                Some(
                    album::apply(
                        fx,
                        &copying,
                        albums.safe,
                        &safe.album,
                        "safe",
                        decision,
                        adds_open,
                    )
                    .await,
                )
            }
            _ => None,
        };
        (main, safe)
    } else {
        let preview = |album: &Option<crate::immich::Album>, key: &Option<AlbumKey>| {
            AlbumOutcome::preview(
                album.as_ref().map(|a| a.id.clone()),
                members::preview(fx, album, key),
            )
        };
        let main = preview(&albums.main, &records.main.key);
        let safe = spec
            .safe
            .as_ref()
            .map(|_| preview(&albums.safe, &records.safe.key));
        (main, safe)
    };

    let looks = match &main.id {
        Some(id) if !spec.looks.is_empty() => {
            Some(looks::looks(&fx.owner.client, id, &spec.looks, write).await)
        }
        _ => None,
    };
    let link = match (
        spec.safe.as_ref().and_then(|s| s.shared_link.as_ref()),
        &safe,
    ) {
        (Some(link), Some(outcome)) => {
            link::shared_link(fx, outcome.id.as_deref(), link, write).await
        }
        _ => None,
    };
    Outcomes {
        copies,
        main,
        safe,
        looks,
        link,
    }
}

/// The record's key of an album on the owner's server.
fn key_of(fx: &Effects<'_>, album_id: &str) -> AlbumKey {
    AlbumKey {
        server: fx.owner.client.api_base().to_string(),
        album_id: album_id.to_string(),
    }
}
