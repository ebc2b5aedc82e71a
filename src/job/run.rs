//! Running one job across its accounts: the pipeline, read top to bottom in [`run_job_with`].
//!
//! ```text
//!  job spec + connected accounts (Slot)
//!     │ 1. plan::resolve    person names and tags → each account's own ids
//!     │ 2. plan::plan       each account's searches
//!     │ 3. search           the albums, the record of each; every search and listing, concurrently
//!     │ 4. merge::merge_job exclusions by checksum, dedupe across accounts, the safe exclusions
//!     │ 5. decide           per album, pure: settle the record, add, remove, tombstones, the breaker
//!     │ 6. effects          copies; a sync's creates, adds, removals; looks; the shared link
//!     ▼ 7. report::build    the JobReport, from the decisions and the effects' outcomes
//! ```
//!
//! Each account carries its own results through the steps ([`AccountRun`]). One failing account
//! does not stop the others, but what depends on it fails closed: the safe album takes no additions
//! when any account's safe exclusions are unknown, and no album loses anything when any search it
//! depends on failed. Nothing is ever deleted from a library.

use std::collections::HashSet;

use uuid::Uuid;

use super::decide::{self, AlbumInput, Policy};
use super::effects::{self, Decisions, Effects};
use super::file::{AcrossServers, JobSpec};
use super::merge::{MergedJob, merge_job};
use super::model::{AccountRun, Mode, RunOptions, Slot};
use super::plan;
use super::report::{self, JobReport};
use super::search::{self, Holdings, Records};
use crate::filter::Hit;
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

    let albums = search::find_albums(spec, owner_account).await?;
    let records = Records::load(store, owner_account, &albums)?;
    let holdings = search::search(&mut accounts, owner_account, &albums, &records).await?;
    let merged = merge_job(spec, &mut accounts);
    let decisions = decide_albums(spec, &accounts, &merged, &holdings, &records, options);

    let fx = Effects {
        job: spec,
        slots: &slots,
        owner: owner_account,
        store,
        adopt: options.adopt,
    };
    let outcomes = effects::run(&fx, mode, albums, &records, &decisions).await;
    Ok(report::build(
        spec,
        owner,
        &owner_account.client,
        mode,
        options,
        &accounts,
        &decisions,
        outcomes,
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

/// Step 5: decides each album against the local record ([`decide::decide`], pure). The safe album
/// also leaves out what its own exclusions flag, and fails closed when any of them is unknown.
fn decide_albums(
    spec: &JobSpec,
    accounts: &[AccountRun<'_>],
    merged: &MergedJob,
    holdings: &Holdings,
    records: &Records,
    options: RunOptions,
) -> Decisions {
    let account_failed = accounts.iter().find_map(|account| {
        let error = account.failed.as_ref()?;
        Some(format!("account `{}` failed ({error})", account.name()))
    });
    let now = crate::clock::now();
    let policy = Policy {
        prune: spec.prune,
        max_removals: spec.max_removals,
        max_removal_fraction: spec.max_removal_fraction,
        confirm_removals: options.confirm_removals,
        adopt: options.adopt,
        include_archived: spec.include_archived,
        exclusions_first: false,
    };
    let chosen: Vec<(&str, Option<&[Hit]>)> = accounts
        .iter()
        .map(|a| (a.name(), a.share.as_ref().map(|s| &s.chosen[..])))
        .collect();
    let main = decide::decide(&AlbumInput {
        job: &spec.name,
        accounts: chosen.clone(),
        own_excluded: None,
        flagged: &merged.excluded,
        held: &holdings.main,
        record: &records.main.entries,
        incomplete: account_failed.clone(),
        policy,
        now,
    });
    let safe_flagged: HashSet<Box<str>> = merged
        .excluded
        .union(&merged.safe_excluded)
        .cloned()
        .collect();
    let safe = spec.safe.as_ref().map(|safe| {
        decide::decide(&AlbumInput {
            job: &spec.name,
            accounts: chosen,
            own_excluded: Some(&merged.safe_excluded),
            flagged: &safe_flagged,
            held: &holdings.safe,
            record: &records.safe.entries,
            incomplete: merged.safe_fail.clone().or(account_failed),
            policy: Policy {
                prune: safe.prune,
                exclusions_first: true,
                ..policy
            },
            now,
        })
    });
    Decisions {
        main,
        safe,
        safe_fail: merged.safe_fail.clone(),
    }
}
