//! Step 7 of a run: the [`JobReport`], the document behind the text, JSON and HTML reports. It is
//! built in one place, [`build`], from the decisions and what the effects returned, by a pure
//! function: what a report says happened is what an effect said it did.
//!
//! With [`RunOptions::ids`] the report also carries the asset ids behind its counts (for the HTML
//! preview); they never reach the text or JSON reports.

use std::collections::BTreeMap;

use serde::Serialize;
use uuid::Uuid;

use super::combine::Decisions;
use super::decide::{AccountPart, AlbumDecision, Reason};
use super::effects::{Added, AlbumOutcome, Outcomes};
use super::file::JobSpec;
use super::model::{AccountRun, Mode, RunOptions, Slot};
use super::since::{ReadCounts, RunKind};
use crate::immich::Client;

pub use super::effects::{CopyRow, LinkRow};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedCopy {
    pub id: String,
    pub kept_account: String,
    pub kept_id: String,
}

/// What a job found and did: the document behind both the text and the JSON reports.
#[derive(Debug, Serialize)]
pub struct JobReport {
    pub job: String,
    /// Whether albums were changed (a sync) or not (a preview).
    pub applied: bool,
    pub include_conditions: Vec<String>,
    pub exclude_conditions: Vec<String>,
    /// The description the job gives the main album.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub album: AlbumSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe: Option<AlbumSummary>,
    pub accounts: Vec<AccountReport>,
    /// Whether the run read everything or what changed since the last complete run, and why.
    pub run: RunKind,
}

#[derive(Debug, Default, Serialize)]
pub struct AlbumSummary {
    pub name: String,
    /// `None` while the album does not exist yet (a preview of a job that will create it).
    pub id: Option<String>,
    /// The account that owns the album, or creates it.
    pub owner: String,
    /// Created by this run.
    pub created: bool,
    /// Why nothing was (or would be) added to it in this run, when it failed closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_closed: Option<String>,
    /// Whether the job removes from this album what it added and no longer selects.
    pub prune: bool,
    /// Assets in the album that the record says this job added.
    pub held_by_tool: usize,
    /// With prune: what the tool added that no longer belongs, each with why (removed by a sync unless
    /// `removals_blocked` says why not).
    pub to_remove: Vec<RemovalRow>,
    /// Without prune: how many assets the tool added are no longer selected (they stay).
    pub no_longer_selected: usize,
    /// Why nothing is (or would be) removed in this run, when prune is on and something is stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removals_blocked: Option<String>,
    /// Why this run settled, claimed and removed nothing (but what the safe album's exclusions flag):
    /// the album's listing may have missed assets (it changed while it was read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listing_incomplete: Option<String>,
    /// Removed by this run.
    pub removed: usize,
    /// Removals the server refused, by its reason.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub removal_refused: BTreeMap<String, usize>,
    /// A removal request or a write of the local record that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The safe album's shared link, when the job asks for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_link: Option<LinkRow>,
    /// What the job's `description`, `order` and `cover` changed (or, in a preview, would change).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub looks: Vec<String>,
    /// Added by a person, flagged by this album's exclusions, left in place.
    pub left_flagged: usize,
    /// With [`RunOptions::ids`]: those assets.
    #[serde(skip)]
    pub left_flagged_ids: Vec<String>,
    /// In the album and selected by the job, but not recorded as the tool's: `sync --adopt` takes them
    /// over.
    pub adoptable: usize,
    /// Taken over by this run (`sync --adopt`).
    pub adopted: usize,
    /// Accounts of the job this run shared the album with (in a preview: would share it with): an
    /// album the tool made that they are not members of, e.g. because they failed when it was made.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shared_with: Vec<String>,
    /// Accounts the tool had shared the album with and a person took out of it: not shared again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members_taken_out: Vec<String>,
}

/// An asset that leaves (or would leave) an album, and why.
#[derive(Debug, Clone, Serialize)]
pub struct RemovalRow {
    pub id: String,
    /// The account the record says it came from.
    pub account: String,
    pub reason: Reason,
    /// Its page in Immich.
    pub link: String,
    /// Leaves past the guards that hold other removals back (the safe album's exclusions flag it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct AccountReport {
    pub account: String,
    /// The Immich version of the account's server, when it was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immich_version: Option<String>,
    /// Why this account did not take part, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Found by each include condition, in order.
    pub found: Vec<usize>,
    /// Found by each exclude condition, in order.
    pub excluded_found: Vec<usize>,
    /// Found by every include condition.
    pub matched: usize,
    pub after_excludes: usize,
    pub after_local: usize,
    /// Dropped because another account (or another copy) contributes the same file.
    pub duplicates: usize,
    /// With [`RunOptions::ids`]: the duplicates dropped, each with the copy kept.
    #[serde(skip)]
    pub dropped: Vec<DroppedCopy>,
    pub album: AlbumRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe: Option<AlbumRow>,
    /// An account on another server than the album's (`across_servers: copy`): its copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy: Option<CopyRow>,
    /// An incremental run: how its searches were read (from the record, narrowed, whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<ReadCounts>,
}

/// One account's part of one album.
#[derive(Debug, Default, Serialize)]
pub struct AlbumRow {
    /// Removed by this album's own exclusions (the safe album's).
    pub excluded: usize,
    pub already: usize,
    pub to_add: usize,
    /// Added by the tool once, taken out by a person: not added again.
    pub not_readded: usize,
    pub added: usize,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub refused: BTreeMap<String, usize>,
    /// Not added: deleted from their library since a search found them.
    #[serde(skip_serializing_if = "is_zero")]
    pub vanished: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Links to the assets to add (with `--list`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// With [`RunOptions::ids`]: the assets to add, in rank order.
    #[serde(skip)]
    pub to_add_ids: Vec<String>,
    /// With [`RunOptions::ids`]: the assets this album's own exclusions removed.
    #[serde(skip)]
    pub excluded_ids: Vec<String>,
}

impl JobReport {
    /// Whether anything went wrong: a failed account, a refused or failed add or removal, a safe
    /// album that failed closed, and (in a sync) removals stopped by the circuit breaker. A preview
    /// that shows what the breaker would stop has not failed.
    pub fn failed(&self) -> bool {
        let row_failed = |row: &AlbumRow| row.error.is_some() || !row.refused.is_empty();
        let album_failed = |album: &AlbumSummary| {
            album.fail_closed.is_some()
                || (self.applied && album.removals_blocked.is_some())
                || album.error.is_some()
                || !album.removal_refused.is_empty()
        };
        let album_failed = |album: &AlbumSummary| {
            album_failed(album)
                || (self.applied
                    && (!album.members_taken_out.is_empty() || album.listing_incomplete.is_some()))
        };
        album_failed(&self.album)
            || self.safe.as_ref().is_some_and(album_failed)
            || self.accounts.iter().any(|a| {
                a.error.is_some()
                    || row_failed(&a.album)
                    || a.safe.as_ref().is_some_and(row_failed)
                    || a.copy.as_ref().is_some_and(|c| c.error.is_some())
            })
    }

    /// What this run added to both albums, in every account.
    pub fn added(&self) -> usize {
        self.accounts
            .iter()
            .map(|a| a.album.added + a.safe.as_ref().map_or(0, |s| s.added))
            .sum()
    }

    /// What this run removed from both albums.
    pub fn removed(&self) -> usize {
        self.album.removed + self.safe.as_ref().map_or(0, |s| s.removed)
    }
}

/// Builds the report of a run from its accounts, its decisions and what its effects did.
#[allow(clippy::too_many_arguments)]
pub fn build(
    spec: &JobSpec,
    owner: &str,
    owner_client: &Client,
    mode: Mode,
    options: RunOptions,
    accounts: &[AccountRun<'_>],
    decisions: &Decisions,
    outcomes: Outcomes,
    run: RunKind,
) -> JobReport {
    let Outcomes {
        copies,
        main,
        safe,
        looks,
        link,
    } = outcomes;
    let summary_of = |name: &str, prune: bool, decision: &AlbumDecision, outcome: &AlbumOutcome| {
        summary(name, owner, prune, decision, outcome, owner_client, options)
    };
    let mut album = summary_of(&spec.album, spec.prune, &decisions.main, &main);
    match looks {
        Some(Ok(said)) => album.looks = said,
        Some(Err(error)) => {
            album.error.get_or_insert(error);
        }
        None => {}
    }
    let safe_summary = spec
        .safe
        .as_ref()
        .zip(decisions.safe.as_ref())
        .zip(safe.as_ref())
        .map(|((spec, decision), outcome)| {
            let mut summary = summary_of(&spec.album, spec.prune, decision, outcome);
            summary.fail_closed = decisions.safe_fail.clone();
            match link {
                Some(Ok(row)) => summary.shared_link = Some(row),
                Some(Err(error)) => {
                    summary.error.get_or_insert(format!("shared link: {error}"));
                }
                None => {}
            }
            summary
        });
    let rows = accounts
        .iter()
        .zip(copies)
        .enumerate()
        .map(|(i, (account, copy))| {
            let mut report = account_report(account, accounts, options);
            if let Some(part) = &decisions.main.accounts[i] {
                report.album = row(part, account.slot, options);
            }
            if let Some(part) = decisions.safe.as_ref().and_then(|d| d.accounts[i].as_ref()) {
                report.safe = Some(row(part, account.slot, options));
            }
            report.copy = copy;
            applied(&mut report.album, &decisions.main.accounts[i], &main, i);
            if let (Some(decision), Some(outcome)) = (&decisions.safe, &safe)
                && (outcome.adds.is_some() || outcome.create_failed.is_some())
            {
                let part = &decision.accounts[i];
                if outcome.adds.is_some() || part.is_some() {
                    let row = report.safe.get_or_insert_with(AlbumRow::default);
                    applied(row, part, outcome, i);
                }
            }
            report
        })
        .collect();
    JobReport {
        job: spec.name.clone(),
        applied: mode == Mode::Sync,
        include_conditions: spec.include.iter().map(|c| c.label()).collect(),
        exclude_conditions: spec.exclude.iter().map(|c| c.label()).collect(),
        description: spec.looks.description.clone(),
        album,
        safe: safe_summary,
        accounts: rows,
        run,
    }
}

/// One account's search and merge counts (the album rows are filled from the decisions).
fn account_report(
    account: &AccountRun<'_>,
    accounts: &[AccountRun<'_>],
    options: RunOptions,
) -> AccountReport {
    let mut report = AccountReport {
        account: account.name().to_string(),
        immich_version: account.client().map(|c| c.version().to_string()),
        error: account.failed.clone(),
        // What a failed account's plan says of its people or tags is not known: its index was never
        // read.
        notes: if account.failed.is_none() {
            account.plan.notes.clone()
        } else {
            Vec::new()
        },
        ..AccountReport::default()
    };
    if account.reading.since.is_some() {
        report.read = account.reading.leaves.as_ref().map(|l| l.counts);
    }
    if let (Some(share), Some(found)) = (&account.share, &account.found) {
        report.found = found.include_counts.clone();
        report.excluded_found = found.exclude_counts.clone();
        report.matched = found.matched.len();
        report.after_excludes = share.after_excludes;
        report.after_local = share.after_local;
        report.duplicates = share.duplicates;
        if options.ids {
            report.dropped = share
                .dropped
                .iter()
                .map(|d| DroppedCopy {
                    id: d.id.to_string(),
                    kept_account: accounts[d.kept_account].name().to_string(),
                    kept_id: d.kept_id.to_string(),
                })
                .collect();
        }
    }
    report
}

/// One album as decided, and as a sync left it (a preview: as it would).
fn summary(
    name: &str,
    owner: &str,
    prune: bool,
    decision: &AlbumDecision,
    outcome: &AlbumOutcome,
    owner_client: &Client,
    options: RunOptions,
) -> AlbumSummary {
    let to_remove = if prune {
        decision
            .stale
            .iter()
            .map(|s| RemovalRow {
                id: s.id.to_string(),
                account: s.account.clone(),
                reason: s.reason,
                link: owner_client.photo_url(&s.id.to_string()),
                forced: s.forced,
            })
            .collect()
    } else {
        Vec::new()
    };
    AlbumSummary {
        name: name.to_string(),
        id: outcome.id.clone(),
        owner: owner.to_string(),
        created: outcome.created,
        fail_closed: None,
        prune,
        held_by_tool: decision.tool_held,
        to_remove,
        no_longer_selected: if prune { 0 } else { decision.stale.len() },
        removals_blocked: decision
            .blocked
            .as_ref()
            .map(|b| b.describe(decision.stale.iter().any(|s| s.forced))),
        listing_incomplete: decision.listing.as_ref().map(ToString::to_string),
        removed: outcome.removed,
        removal_refused: outcome.removal_refused.clone(),
        error: outcome.error.clone(),
        looks: Vec::new(),
        shared_link: None,
        left_flagged: decision.left_flagged.len(),
        left_flagged_ids: if options.ids {
            decision.left_flagged.iter().map(Uuid::to_string).collect()
        } else {
            Vec::new()
        },
        adoptable: decision.adoptable.len(),
        adopted: outcome.adopted,
        shared_with: outcome.members.shared_with.clone(),
        members_taken_out: outcome.members.taken_out.clone(),
    }
}

/// One account's part of one album, as decided.
fn row(part: &AccountPart, slot: &Slot, options: RunOptions) -> AlbumRow {
    let ids = |ids: &mut dyn Iterator<Item = &Uuid>| -> Vec<String> {
        if options.ids {
            ids.map(Uuid::to_string).collect()
        } else {
            Vec::new()
        }
    };
    let links = match (&slot.account, options.list) {
        (Ok(account), true) => {
            let mut links: Vec<String> = part
                .to_add
                .iter()
                .map(|pick| account.client.photo_url(&pick.id.to_string()))
                .collect();
            links.sort();
            links
        }
        _ => Vec::new(),
    };
    AlbumRow {
        excluded: part.excluded.len(),
        already: part.already,
        to_add: part.to_add.len(),
        not_readded: part.not_readded.len(),
        links,
        to_add_ids: ids(&mut part.to_add.iter().map(|p| &p.id)),
        excluded_ids: ids(&mut part.excluded.iter()),
        ..AlbumRow::default()
    }
}

/// What a sync's adds did to account `i`'s row of an album.
fn applied(row: &mut AlbumRow, part: &Option<AccountPart>, outcome: &AlbumOutcome, i: usize) {
    if let Some(message) = &outcome.create_failed
        && part.is_some()
    {
        row.error = Some(message.clone());
    }
    match outcome.adds.as_ref().map(|adds| &adds[i]) {
        None | Some(Added::Nothing) => {}
        Some(Added::Failed(message)) => row.error = Some(message.clone()),
        Some(Added::Done(done)) => {
            row.added = done.added.len() + done.already_after_resend.len();
            row.already += done.already.len();
            row.refused = done
                .refused
                .iter()
                .map(|(reason, ids)| (reason.clone(), ids.len()))
                .collect();
            row.vanished = done.vanished.len();
            row.error = done.failed.as_ref().map(|e| e.to_string());
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> AlbumSummary {
        AlbumSummary {
            name: "Kids".into(),
            id: Some("a1".into()),
            owner: "alice".into(),
            prune: true,
            held_by_tool: 3,
            ..AlbumSummary::default()
        }
    }

    /// A sync of a job with a safe album and two accounts, each with a safe row, where all went well.
    fn clean() -> JobReport {
        let account = |name: &str| AccountReport {
            account: name.into(),
            safe: Some(AlbumRow::default()),
            ..AccountReport::default()
        };
        JobReport {
            job: "kids".into(),
            applied: true,
            include_conditions: vec!["people Mia".into()],
            exclude_conditions: Vec::new(),
            description: None,
            album: summary(),
            safe: Some(summary()),
            accounts: vec![account("alice"), account("bob")],
            run: RunKind::Full {
                why: crate::job::since::FullWhy::First,
            },
        }
    }

    #[test]
    fn a_run_failed_when_any_one_thing_went_wrong_and_only_then() {
        assert!(!clean().failed());
        let refused = || BTreeMap::from([("no_permission".to_string(), 1)]);
        type Spoil = fn(&mut JobReport, &BTreeMap<String, usize>);
        let cases: &[(&str, Spoil)] = &[
            ("main album failed closed", |r, _| {
                r.album.fail_closed = Some("x".into())
            }),
            ("main album's removals stopped by the breaker", |r, _| {
                r.album.removals_blocked = Some("x".into())
            }),
            ("main album's removal failed", |r, _| {
                r.album.error = Some("x".into())
            }),
            ("main album's removal refused", |r, refused| {
                r.album.removal_refused = refused.clone()
            }),
            ("safe album failed closed", |r, _| {
                r.safe.as_mut().unwrap().fail_closed = Some("x".into())
            }),
            ("safe album's removals stopped by the breaker", |r, _| {
                r.safe.as_mut().unwrap().removals_blocked = Some("x".into())
            }),
            ("safe album's removal failed", |r, _| {
                r.safe.as_mut().unwrap().error = Some("x".into())
            }),
            ("safe album's removal refused", |r, refused| {
                r.safe.as_mut().unwrap().removal_refused = refused.clone()
            }),
            ("main album's listing may have missed assets", |r, _| {
                r.album.listing_incomplete = Some("x".into())
            }),
            ("safe album's listing may have missed assets", |r, _| {
                r.safe.as_mut().unwrap().listing_incomplete = Some("x".into())
            }),
            ("a person took an account out of the main album", |r, _| {
                r.album.members_taken_out = vec!["bob".into()]
            }),
            ("a person took an account out of the safe album", |r, _| {
                r.safe.as_mut().unwrap().members_taken_out = vec!["bob".into()]
            }),
            ("second account failed", |r, _| {
                r.accounts[1].error = Some("x".into())
            }),
            ("second account's add failed", |r, _| {
                r.accounts[1].album.error = Some("x".into())
            }),
            ("second account's add refused", |r, refused| {
                r.accounts[1].album.refused = refused.clone()
            }),
            ("second account's safe add failed", |r, _| {
                r.accounts[1].safe.as_mut().unwrap().error = Some("x".into())
            }),
            ("second account's safe add refused", |r, refused| {
                r.accounts[1].safe.as_mut().unwrap().refused = refused.clone()
            }),
        ];
        for (what, change) in cases {
            let mut report = clean();
            change(&mut report, &refused());
            assert!(report.failed(), "{what}");
        }
    }

    #[test]
    fn a_preview_of_what_the_breaker_would_stop_has_not_failed() {
        for blocked_in_safe in [false, true] {
            let mut report = clean();
            report.applied = false;
            let album = match blocked_in_safe {
                false => &mut report.album,
                true => report.safe.as_mut().unwrap(),
            };
            album.removals_blocked = Some("more than 50 removals".into());
            album.listing_incomplete = Some("the album changed while it was read".into());
            album.members_taken_out = vec!["bob".into()];
            assert!(
                !report.failed(),
                "blocked in the safe album: {blocked_in_safe}"
            );
        }
    }

    #[test]
    fn what_a_run_removed_counts_both_albums() {
        let mut report = clean();
        report.album.removed = 2;
        report.safe.as_mut().unwrap().removed = 3;
        assert_eq!(report.removed(), 5);
        report.safe = None;
        assert_eq!(report.removed(), 2);
    }
}
