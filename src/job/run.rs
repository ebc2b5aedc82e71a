//! Running one job across its accounts: the pipeline, read top to bottom in [`run_job_with`].
//!
//! ```text
//!  job spec + connected accounts (Slot)
//!     │ 1. plan::resolve           person names and tags → each account's own ids
//!     │ 2. plan::plan              each account's searches
//!     │    plan::reading           a full run, or an incremental one: where each account starts
//!     │ 3. search::search          the albums and their record; every search and listing, at once
//!     │                            (an incremental run: what changed, and albums whose fingerprint moved)
//!     │ 4. combine::merge_job      exclusions by checksum, dedupe across accounts, safe exclusions
//!     │ 5. combine::decide_albums  per album, pure: settle, add, remove, tombstones, the breaker
//!     │ 6. effects::run            copies; a sync's creates, adds, removals; looks; the link
//!     │    remember::*             a sync's searches and album views, for the next incremental run
//!     ▼ 7. report::build           the JobReport, from the decisions and the effects' outcomes
//! ```
//!
//! Each account carries its own results through the steps ([`AccountRun`]). One failing account
//! does not stop the others, but what depends on it fails closed: the safe album takes no additions
//! when any account's safe exclusions are unknown, and no album loses anything when any search it
//! depends on failed. Nothing is ever deleted from a library.

use uuid::Uuid;

use super::combine::{decide_albums, merge_job};
use super::effects::{self, Effects};
use super::file::{AcrossServers, JobSpec};
use super::model::{AccountRun, Mode, RunOptions, Slot};
use super::plan;
use super::remember::{self, AlbumSide};
use super::report::{self, JobReport};
use super::search::{self, Records, ViewReading};
use crate::state::Store;

/// Runs one job with an empty record in memory (nothing is removable; the report's extras off but the
/// links). For callers that keep no record: the benchmark, the examples' previews.
pub async fn run_job(
    spec: &JobSpec,
    slots: &[Slot],
    owner: &str,
    mode: Mode,
    list: bool,
) -> anyhow::Result<JobReport> {
    let options = RunOptions {
        list,
        ..RunOptions::default()
    };
    run_job_with(spec, slots, owner, mode, options, &Store::memory()).await
}

/// Runs one job. `owner` is the account that owns (or creates) the albums; it must be one of `slots`.
/// Input errors (an ambiguous album name, a person no account knows) come back as errors before
/// anything changes; so does a failure of the owner, without whom the album cannot be found.
pub async fn run_job_with(
    spec: &JobSpec,
    slots: &[Slot],
    owner: &str,
    mode: Mode,
    options: RunOptions,
    store: &Store,
) -> anyhow::Result<JobReport> {
    let slots = in_job_order(spec, slots, owner);
    let mut accounts: Vec<AccountRun<'_>> = slots.iter().map(AccountRun::new).collect();
    let owner_index = accounts
        .iter()
        .position(|a| a.name() == owner)
        .expect("the caller checks that the owner is an account of the job");
    let owner_failed = |accounts: &[AccountRun<'_>]| {
        let error = accounts[owner_index].failed.as_ref()?;
        Some(anyhow::anyhow!(
            "job `{}`: the album owner `{owner}` failed: {error}",
            spec.name
        ))
    };
    if let Some(error) = owner_failed(&accounts) {
        return Err(error);
    }
    plan::resolve(spec, &mut accounts).await?;
    if let Some(error) = owner_failed(&accounts) {
        return Err(error);
    }
    let owner_account = accounts[owner_index]
        .live()
        .expect("the owner is connected");
    plan::plan(spec, &mut accounts);
    let kind = plan::reading(&spec.name, &mut accounts, mode, options, store)?;

    let albums = search::find_albums(spec, owner_account).await?;
    let records = Records::load(store, owner_account, &albums)?;
    let reading = ViewReading {
        kind,
        margin: options.reading.margin,
        // The album list just answered: its `Date` is the time of the fingerprints it gave.
        read_at: owner_account.client.server_date_ms().unwrap_or(0),
    };
    let holdings = search::search(
        &mut accounts,
        owner_account,
        &albums,
        &records,
        store,
        reading,
    )
    .await?;
    let merged = merge_job(spec, &mut accounts);
    let decisions = decide_albums(spec, &accounts, &merged, &holdings, &records, options);

    let fx = Effects {
        job: spec,
        slots: &slots,
        owner: owner_account,
        store,
        adopt: options.adopt,
    };
    let outcomes = effects::run(&fx, mode, albums.clone(), &records, &decisions).await;
    if mode == Mode::Sync {
        let looks_changed = matches!(&outcomes.looks, Some(Ok(said)) if !said.is_empty());
        let main = AlbumSide {
            album: albums.main.as_ref(),
            key: records.main.key.as_ref(),
            held: &holdings.main,
            from: &holdings.main_from,
            outcome: Some(&outcomes.main),
            looks_changed,
            read_at: reading.read_at,
        };
        let safe = AlbumSide {
            album: albums.safe.as_ref(),
            key: records.safe.key.as_ref(),
            held: &holdings.safe,
            from: &holdings.safe_from,
            outcome: outcomes.safe.as_ref(),
            looks_changed: false,
            read_at: reading.read_at,
        };
        remember::album(store, owner_account, main, &accounts).await;
        remember::album(store, owner_account, safe, &accounts).await;
        let vanished = outcomes.main.contents.vanished
            + outcomes.safe.as_ref().map_or(0, |o| o.contents.vanished);
        if let Err(error) = remember::searches(&spec.name, &accounts, kind, vanished, store) {
            tracing::warn!("the next run reads everything: {error:#}");
        }
    }
    Ok(report::build(
        spec,
        owner,
        &owner_account.client,
        mode,
        options,
        &accounts,
        &decisions,
        outcomes,
        kind,
    ))
}

/// The job's accounts as the pipeline takes them: one whose user id is not a UUID fails (copies are
/// told apart by it); with `across_servers: copy` the album server's accounts come first (in job
/// order), since the merge keeps the first account's copy of a checksum.
fn in_job_order(spec: &JobSpec, slots: &[Slot], owner: &str) -> Vec<Slot> {
    let mut checked: Vec<Slot> = slots
        .iter()
        .map(|slot| Slot {
            name: slot.name.clone(),
            account: slot.account.clone().and_then(|account| {
                Uuid::parse_str(&account.user.id).map_err(|_| {
                    format!(
                        "the server gave this account's user the id `{}`, which is not a UUID",
                        account.user.id
                    )
                })?;
                Ok(account)
            }),
        })
        .collect();
    if spec.across_servers == AcrossServers::Copy {
        let album_server = checked
            .iter()
            .find(|s| s.name == owner)
            .and_then(|s| s.account.as_ref().ok())
            .map(|a| a.client.api_base().to_string());
        checked.sort_by_key(|s| {
            s.account
                .as_ref()
                .ok()
                .map(|a| a.client.api_base().to_string())
                != album_server
        });
    }
    checked
}
