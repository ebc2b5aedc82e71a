//! Step 3 of a run: find the job's albums, read the record of each, then run every account's searches
//! and list the albums, all concurrently. A failed listing fails the job (the decisions rest on it); a
//! failed search fails its account and is never taken for an empty result.

use std::collections::HashSet;

use futures::future::join_all;

use super::decide::Held;
use super::file::JobSpec;
use super::model::{Account, AccountRun};
use super::since::{self, HeldFrom, RunKind};
use crate::album;
use crate::immich::{Album, ApiError};
use crate::state::{AlbumKey, Entry, EntryState, Store};

/// The job's albums, as their owner sees them; `None` for one that does not exist yet.
#[derive(Clone)]
pub struct Albums {
    pub main: Option<Album>,
    pub safe: Option<Album>,
}

/// Finds the albums through their owner; a mistake in their names stops the job before any search.
pub async fn find_albums(spec: &JobSpec, owner: &Account) -> anyhow::Result<Albums> {
    let mut specs = vec![spec.album.as_str()];
    specs.extend(spec.safe.as_ref().map(|s| s.album.as_str()));
    let mut found = album::find_several(&owner.client, &specs)
        .await?
        .into_iter();
    Ok(Albums {
        main: found.next().flatten(),
        safe: found.next().flatten(),
    })
}

/// One album of the job: where the record keeps it (`None` while it does not exist) and the record's
/// entries of it, whichever job wrote them.
pub struct Recorded {
    pub key: Option<AlbumKey>,
    pub entries: Vec<Entry>,
}

/// The record of both albums.
pub struct Records {
    pub main: Recorded,
    pub safe: Recorded,
}

impl Records {
    pub fn load(store: &Store, owner: &Account, albums: &Albums) -> anyhow::Result<Records> {
        let load = |album: &Option<Album>| -> anyhow::Result<Recorded> {
            let key = album.as_ref().map(|a| AlbumKey {
                server: owner.client.api_base().to_string(),
                album_id: a.id.clone(),
            });
            let entries = match &key {
                Some(key) => store.load(key)?,
                None => Vec::new(),
            };
            Ok(Recorded { key, entries })
        };
        Ok(Records {
            main: load(&albums.main)?,
            safe: load(&albums.safe)?,
        })
    }
}

/// What the albums hold now, and where that came from.
pub struct Holdings {
    pub main: Held,
    pub safe: Held,
    pub main_from: HeldFrom,
    pub safe_from: HeldFrom,
}

/// Runs every live account's searches (a failed one fails its account; an incremental run reads
/// what changed, see [`since`]) and lists both albums (an incremental run only those whose
/// fingerprint moved).
pub async fn search(
    accounts: &mut [AccountRun<'_>],
    owner: &Account,
    albums: &Albums,
    records: &Records,
    store: &Store,
    reading: ViewReading,
) -> anyhow::Result<Holdings> {
    let searches = join_all(accounts.iter().map(|account| {
        let (live, plan, reading) = (account.live(), &account.plan, &account.reading);
        async move {
            match live {
                Some(live) => Some(since::evaluate(&live.client, plan, reading).await),
                None => None,
            }
        }
    }));
    let view: &[AccountRun<'_>] = accounts;
    let (searched, main, safe) = tokio::join!(
        searches,
        contents(view, owner, &albums.main, &records.main, store, reading),
        contents(view, owner, &albums.safe, &records.safe, store, reading)
    );
    let ((main, main_from), (safe, safe_from)) = (main?, safe?);
    let holdings = Holdings {
        main,
        safe,
        main_from,
        safe_from,
    };
    for (account, result) in accounts.iter_mut().zip(searched) {
        match result {
            Some(Ok((found, leaves))) => {
                account.found = Some(found);
                account.reading.leaves = leaves;
            }
            Some(Err(error)) => account.fail_request(&error),
            None => {}
        }
    }
    Ok(holdings)
}

/// How an incremental run may use the record's views of the albums: the margin, and the server time
/// the albums' fingerprints were read at.
#[derive(Debug, Clone, Copy)]
pub struct ViewReading {
    pub kind: RunKind,
    pub margin: std::time::Duration,
    pub read_at: i64,
}

/// What an album holds (nothing for one that does not exist yet): the record's view of it where an
/// incremental run can trust it ([`since::held_from_view`]), else its listing.
async fn contents(
    accounts: &[AccountRun<'_>],
    owner: &Account,
    album: &Option<Album>,
    recorded: &Recorded,
    store: &Store,
    reading: ViewReading,
) -> Result<(Held, HeldFrom), ApiError> {
    let Some(album) = album else {
        return Ok((Held::default(), HeldFrom::Nothing));
    };
    if let Some(view) = since::stored_view(store, recorded.key.as_ref(), reading.kind) {
        let client = &owner.client;
        if let Some((held, from)) =
            since::held_from_view(client, album, view, reading.margin, reading.read_at).await?
        {
            return Ok((Held::new(held), from));
        }
    }
    let listing = album::contents(&owner.client, album).await?;
    let held = held(listing, &recorded.entries, accounts, owner, &album.id).await;
    Ok((
        held,
        HeldFrom::Listing(album.fingerprint(), reading.read_at),
    ))
}

/// What an album holds, from its listing. A 2.x listing leaves out the album's trashed and hidden
/// assets; where the record names assets it lacks, each account they came from (connected, on the
/// album's server) is asked for its own trashed and hidden ones (a 2.x search answers only the
/// caller's). An account that cannot be asked is blind: its missing assets are neither settled nor
/// added again.
async fn held(
    listing: album::Listing,
    record: &[Entry],
    accounts: &[AccountRun<'_>],
    owner: &Account,
    album_id: &str,
) -> Held {
    let album::Listing {
        mut assets,
        incomplete,
        shows_trashed_and_hidden,
    } = listing;
    let mut blind = HashSet::new();
    let mut failed = None;
    if !shows_trashed_and_hidden {
        let mut missing: Vec<&str> = record
            .iter()
            .filter(|e| {
                matches!(
                    e.state,
                    EntryState::Added | EntryState::Adding | EntryState::Removing
                ) && !assets.contains_key(&e.asset)
            })
            .map(|e| e.account.as_str())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let asked = join_all(missing.into_iter().map(|name| async move {
            let account = accounts
                .iter()
                .find(|a| a.name() == name)
                .and_then(AccountRun::live)
                .filter(|a| a.client.api_base() == owner.client.api_base());
            let found = match account {
                Some(account) => Some(album::trashed_or_hidden(&account.client, album_id).await),
                None => None,
            };
            (name, found)
        }))
        .await;
        for (name, found) in asked {
            match found {
                Some(Ok(found)) => assets.extend(found),
                // A search that failed is never an empty result: the listing may miss its assets.
                Some(Err(error)) => {
                    blind.insert(name.to_string());
                    failed.get_or_insert(format!(
                        "{name} could not be asked for its trashed and hidden assets in the album \
                         ({error})"
                    ));
                }
                // Not in the job, not connected, or on another server: nothing to ask.
                None => {
                    blind.insert(name.to_string());
                }
            }
        }
    }
    let mut held = Held::new(assets);
    held.incomplete = incomplete.or(failed);
    held.blind = blind;
    held
}
