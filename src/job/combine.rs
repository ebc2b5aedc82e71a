//! Steps 4 and 5 of a run: the accounts merged into one selection ([`merge_job`], over the pure
//! [`super::merge`]), then each album decided against the record ([`decide_albums`], over the pure
//! [`super::decide`]).

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::decide::{self, AlbumDecision, AlbumInput, Policy};
use super::file::JobSpec;
use super::merge::{MergeInput, merge};
use super::model::{AccountRun, RunOptions};
use super::search::{Holdings, Records};
use crate::filter::Hit;

/// The job's accounts merged: what the exclusions and the safe album's exclusions found.
pub struct MergedJob {
    /// Checksums every account's job exclusions found.
    pub excluded: HashSet<Box<str>>,
    /// Checksums every account's safe exclusions found.
    pub safe_excluded: HashSet<Box<str>>,
    /// Why the safe album fails closed: an account, or a safe exclusion, failed.
    pub safe_fail: Option<String>,
}

/// Step 4 of a run: merges the accounts that found something (each gets its
/// [`share`](AccountRun::share)), and gathers the exclusions. The safe album fails closed: every
/// account's safe exclusions must be known.
pub fn merge_job(spec: &JobSpec, accounts: &mut [AccountRun<'_>]) -> MergedJob {
    let excluded: HashSet<Box<str>> = accounts
        .iter()
        .filter_map(|a| a.found.as_ref())
        .flat_map(|e| e.excluded.iter().cloned())
        .collect();
    let inputs: Vec<Option<MergeInput<'_>>> = accounts
        .iter()
        .map(|account| match (&account.slot.account, &account.found) {
            (Ok(connected), Some(found)) => {
                Uuid::parse_str(&connected.user.id)
                    .ok()
                    .map(|user| MergeInput {
                        user,
                        matched: found.matched.values().collect(),
                    })
            }
            _ => None,
        })
        .collect();
    let shares = merge(&inputs, &excluded);
    for (account, share) in accounts.iter_mut().zip(shares) {
        account.share = share;
    }

    let mut safe_fail: Option<String> = None;
    let mut safe_excluded: HashSet<Box<str>> = HashSet::new();
    if spec.safe.is_some() {
        for account in accounts.iter() {
            if account.failed.is_some() {
                // Its failure is reported once, on its own line: not again here.
                safe_fail.get_or_insert(format!(
                    "account `{}` failed, so its safe exclusions are unknown",
                    account.name()
                ));
                continue;
            }
            match account
                .found
                .as_ref()
                .and_then(|e| e.safe_excluded.as_ref())
            {
                Some(Ok(found)) => safe_excluded.extend(found.iter().cloned()),
                Some(Err(error)) => {
                    let server = account
                        .client()
                        .map(|c| c.site().as_str().trim_end_matches('/').to_string())
                        .unwrap_or_default();
                    safe_fail.get_or_insert(format!(
                        "a safe exclusion search of `{}` at {server} failed ({error}); the next run \
                         tries again",
                        account.name()
                    ));
                }
                None => {}
            }
        }
    }
    MergedJob {
        excluded,
        safe_excluded,
        safe_fail,
    }
}

/// The decisions of both albums.
pub struct Decisions {
    pub main: AlbumDecision,
    pub safe: Option<AlbumDecision>,
    /// Why the safe album takes no additions (it failed closed).
    pub safe_fail: Option<String>,
}

/// Step 5: decides each album against the local record ([`decide::decide`], pure). The safe album
/// also leaves out what its own exclusions flag, and fails closed when any of them is unknown.
pub fn decide_albums(
    spec: &JobSpec,
    accounts: &[AccountRun<'_>],
    merged: &MergedJob,
    holdings: &Holdings,
    records: &Records,
    options: RunOptions,
) -> Decisions {
    // Its failure is reported once, on its own line: here only that it failed.
    let account_failed = accounts
        .iter()
        .find(|account| account.failed.is_some())
        .map(|account| format!("account `{}` failed", account.name()));
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
    let owners: HashMap<Uuid, &str> = accounts
        .iter()
        .filter_map(|a| {
            let account = a.slot.account.as_ref().ok()?;
            Some((Uuid::parse_str(&account.user.id).ok()?, a.name()))
        })
        .collect();
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
        owners: &owners,
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
            owners: &owners,
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
