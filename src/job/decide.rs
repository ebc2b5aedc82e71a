//! Deciding what changes in one album: pure, no I/O. Given what every account of the job selects for
//! the album (after the merge), what the album holds now and what the local record says the tool did,
//! [`decide`] settles the record against the album and says, per account, what to add, and for the
//! album what to remove, what to adopt, and what to leave alone. The rules:
//!
//! - **Settle the record first.** An add or removal the last run left unconfirmed (a crash, an
//!   interrupt) is settled by what the album holds: an asset the tool was adding that the album holds is
//!   the tool's; one it holds not was never added. An asset that any job of the album added and that the
//!   album no longer holds was taken out by a person: it becomes a tombstone, for every job of the album.
//!   Another job's unconfirmed intents are that job's to settle (it may be at work right now). Every
//!   correction is conditional: the store writes it only over the row as it was read.
//! - **Trust only a whole listing.** A listing that may have missed assets (it disagrees with the
//!   album's count, or the album changed while it was read) settles nothing, claims nothing, and
//!   removes nothing but what the safe album's exclusions flag. An asset a listing could not see (2.x
//!   leaves trashed and hidden ones out, see [`Held::blind`]) is neither settled nor added again.
//! - **Add** what is selected and not in the album (by id, or by checksum: the same file under another
//!   id is already there), except tombstones: what a person took out is not added again.
//! - **Remove** (with `prune`) only what the record says this job added, that the album still holds and
//!   that the job no longer selects (or may still hold: an account that left the job, whose assets a
//!   2.x listing hides when they are trashed or hidden). Never an asset a person added; nothing at
//!   all when the selection is incomplete (a failed search or account), and nothing when the
//!   removals would exceed the circuit breaker (`max_removals`, `max_removal_fraction`) unless the
//!   run confirms them. The safe album errs
//!   toward leaving out: what its exclusions flag (searches that succeeded in this run) leaves it past
//!   every one of these guards.
//! - **Adopt** (with `--adopt`): what the album holds and the job selects now, that no record claims,
//!   becomes the tool's (for albums an older version or the Python script filled); nothing while the
//!   listing or the selection is incomplete (a failed account's exclusions may flag it).
//! - Assets a person added that this album's exclusions flag are listed, and left in place.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

pub use crate::album::HeldAsset;
use crate::filter::Hit;
use crate::immich::Visibility;
use crate::state::{Change, Entry, EntryState};

/// What an album holds now: every member's assets, by id, with their checksums.
#[derive(Debug, Default)]
pub struct Held {
    pub assets: HashMap<Uuid, HeldAsset>,
    checksums: HashSet<Box<str>>,
    /// Why the listing may have missed assets the album holds, when it may have: nothing is then
    /// settled, claimed or removed (but what the safe album's exclusions flag).
    pub incomplete: Option<String>,
    /// Accounts whose trashed and hidden assets in the album the listing could not see (2.x, an
    /// account that could not be asked): their assets the listing lacks may still be in the album.
    pub blind: HashSet<String>,
}

impl Held {
    pub fn new(assets: HashMap<Uuid, HeldAsset>) -> Held {
        let checksums = assets.values().map(|a| a.checksum.clone()).collect();
        Held {
            assets,
            checksums,
            incomplete: None,
            blind: HashSet::new(),
        }
    }

    /// Whether the listing shows if the album holds this account's asset: it is whole, and it saw
    /// the account's trashed and hidden assets.
    fn sees(&self, account: &str) -> bool {
        self.incomplete.is_none() && !self.blind.contains(account)
    }

    /// The same asset, or the same file under another id.
    pub fn holds(&self, id: &Uuid, checksum: &str) -> bool {
        self.holding(id, checksum).is_some()
    }

    /// How the album holds an asset, if it does: the one way to decide "already in the album".
    pub fn holding(&self, id: &Uuid, checksum: &str) -> Option<HeldAs> {
        if self.assets.contains_key(id) {
            Some(HeldAs::SameAsset)
        } else if self.checksums.contains(checksum) {
            Some(HeldAs::SameFile)
        } else {
            None
        }
    }
}

/// How an album already holds an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldAs {
    /// This very asset.
    SameAsset,
    /// The same file (checksum) under another id, e.g. another account's copy.
    SameFile,
}

/// How a job treats one of its albums.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Remove what the tool added and the job no longer selects.
    pub prune: bool,
    /// The circuit breaker: more removals than this in one run remove nothing...
    pub max_removals: usize,
    /// ... and so do removals of more than this fraction of the album.
    pub max_removal_fraction: f64,
    /// Let removals past the breaker through, this once.
    pub confirm_removals: bool,
    /// Take over what the album holds and the job selects, where no record claims it.
    pub adopt: bool,
    /// Archived assets belong in the album (else they leave it, with prune).
    pub include_archived: bool,
    /// What this album's exclusions flag leaves it past every guard (the safe album: leaving a
    /// flagged photo in is the harmful direction).
    pub exclusions_first: bool,
}

/// The defaults of the circuit breaker.
pub const MAX_REMOVALS: usize = 50;
pub const MAX_REMOVAL_FRACTION: f64 = 0.2;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            prune: false,
            max_removals: MAX_REMOVALS,
            max_removal_fraction: MAX_REMOVAL_FRACTION,
            confirm_removals: false,
            adopt: false,
            include_archived: false,
            exclusions_first: false,
        }
    }
}

/// Why an asset the tool added no longer belongs in the album.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// An exclusion of the job (or of the safe album) now finds it.
    Excluded,
    Trashed,
    Archived,
    Hidden,
    /// The account it came from is no longer one of the job's accounts.
    AccountLeft,
    /// The include conditions no longer find it.
    NoLongerFound,
    /// An earlier run was removing it and did not hear back; the album's answer could not show it.
    Unfinished,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Excluded => "excluded",
            Reason::Trashed => "in the trash",
            Reason::Archived => "archived",
            Reason::Hidden => "hidden",
            Reason::AccountLeft => "its account left the job",
            Reason::NoLongerFound => "no longer found",
            Reason::Unfinished => "an earlier run's removal, finished",
        }
    }
}

/// An asset the tool added that no longer belongs in the album.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub id: Uuid,
    pub checksum: Box<str>,
    /// The account the record says it came from.
    pub account: String,
    pub reason: Reason,
    /// Leaves past every guard: the safe album's exclusions flag it (with prune).
    pub forced: bool,
    /// What the record notes when the removal's answer says the album no longer held it:
    /// `Removed` for what the listing showed or an earlier run was removing (its answer lost), a
    /// tombstone for what the tool had added and the listing could not show (an account that left
    /// the job, on 2.x, where the album hides that account's trashed and hidden assets): then a
    /// person took it out; nothing (the row is forgotten) for an add an earlier run began whose
    /// answer was lost: it never landed.
    pub if_absent: Option<EntryState>,
}

/// Why nothing is removed from an album in this run.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocked {
    /// A search the decision depends on failed: removing would act on a partial picture.
    Incomplete(String),
    /// The album's listing may have missed assets.
    Listing(String),
    /// More removals than the circuit breaker allows.
    Breaker {
        removals: usize,
        held: usize,
        max_removals: usize,
        max_removal_fraction: f64,
    },
}

impl Blocked {
    /// Why the removals wait, in words; `others` when some removals go anyway (the safe album's
    /// exclusions), so that the words do not say that nothing is removed.
    pub fn describe(&self, others: bool) -> String {
        let nothing = if others { "nothing else" } else { "nothing" };
        match self {
            Blocked::Incomplete(why) => format!("{nothing} is removed while {why}"),
            Blocked::Listing(why) => format!(
                "{why}, so in this run {nothing} is removed from it, and nothing is taken for the \
                 tool's or noted as taken out by a person; the next run catches up"
            ),
            Blocked::Breaker {
                removals,
                held,
                max_removals,
                max_removal_fraction,
            } => format!(
                "{removals} of its {held} assets would be removed, more than the limit \
                 (max_removals {max_removals}, max_removal_fraction {max_removal_fraction}); {} \
                 was removed. Check the preview, then run `sync --confirm-removals` once to let \
                 them through, or raise the limits in the job",
                if others { "none of them" } else { "nothing" }
            ),
        }
    }
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe(false))
    }
}

/// An asset chosen for the album, with its checksum (for the record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub id: Uuid,
    pub checksum: Box<str>,
}

/// One account's part of the album.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountPart {
    /// Left out by this album's own exclusions (the safe album's).
    pub excluded: Vec<Uuid>,
    /// Already in the album: the same asset, or the same file under another id.
    pub already: usize,
    pub to_add: Vec<Pick>,
    /// Taken out of the album by a person after the tool added them: not added again.
    pub not_readded: Vec<Uuid>,
}

/// What happens to one album.
#[derive(Debug, Default, PartialEq)]
pub struct AlbumDecision {
    /// Per account of the job, in job order; `None` for a failed account.
    pub accounts: Vec<Option<AccountPart>>,
    /// Corrections of the record from what the album holds now: settled intents, new tombstones.
    pub settle: Vec<Change>,
    /// What the tool added that no longer belongs, whether or not this run removes it.
    pub stale: Vec<Stale>,
    /// Whether this run removes the stale assets: prune is on and nothing blocks it (the forced
    /// ones leave either way).
    pub remove: bool,
    /// Why the stale assets (but the forced ones) stay, when prune is on.
    pub blocked: Option<Blocked>,
    /// What the album holds and the job selects that no record claims: taken over with `adopt`.
    pub adoptable: Vec<Entry>,
    /// Assets a person added that the album's exclusions flag: left in place.
    pub left_flagged: Vec<Uuid>,
    /// How many assets in the album the record says this job added (after adopting).
    pub tool_held: usize,
    /// Why nothing was settled, claimed or removed (but what the safe album's exclusions flag), when
    /// the album's listing may have missed assets.
    pub listing: Option<Blocked>,
}

impl AlbumDecision {
    /// The assets this run removes.
    pub fn removals(&self) -> Vec<Stale> {
        self.stale
            .iter()
            .filter(|s| self.remove || s.forced)
            .cloned()
            .collect()
    }
}

/// Everything [`decide`] looks at for one album.
#[derive(Debug)]
pub struct AlbumInput<'a> {
    pub job: &'a str,
    /// The job's accounts in job order, each with the copies it contributes (after the merge), or
    /// `None` when the account failed.
    pub accounts: Vec<(&'a str, Option<&'a [Hit]>)>,
    /// What this album's own exclusions found (the safe album's): left out per account.
    pub own_excluded: Option<&'a HashSet<Box<str>>>,
    /// Every checksum excluded from this album: the job's exclusions and the album's own.
    pub flagged: &'a HashSet<Box<str>>,
    pub held: &'a Held,
    /// The record's entries for this album, every job's.
    pub record: &'a [Entry],
    /// The job's accounts by user id: an asset taken over (`--adopt`) is recorded under its owner's
    /// account, the one that can be asked about it.
    pub owners: &'a HashMap<Uuid, &'a str>,
    /// Why the selection is incomplete (a failed search or account), if it is.
    pub incomplete: Option<String>,
    pub policy: Policy,
    /// Now, for the entries written.
    pub now: i64,
}

/// Decides what happens to one album. Pure: the caller applies it.
pub fn decide(input: &AlbumInput<'_>) -> AlbumDecision {
    let held = input.held;
    let mut decision = AlbumDecision {
        listing: held.incomplete.clone().map(Blocked::Listing),
        ..AlbumDecision::default()
    };

    // Settle the record against what the album holds. Conclusions from presence need a whole
    // listing; conclusions from absence need one that could see the account's asset too.
    let mut entries: HashMap<Uuid, Entry> = HashMap::with_capacity(input.record.len());
    // Added by a job, not in the album as far as this listing shows: not added again.
    let mut gone: Vec<Entry> = Vec::new();
    // This job's removals an earlier run began (their answers lost), of assets this listing could
    // not show: sent again, since they may still be in the album.
    let mut removing: Vec<Entry> = Vec::new();
    for entry in input.record {
        let own = entry.job == input.job;
        let in_album = held.assets.contains_key(&entry.asset);
        let next = match (entry.state, in_album) {
            // Another job's intent is that job's to settle: it may be at work right now.
            (EntryState::Adding | EntryState::Removing, _) if !own => None,
            (EntryState::Adding | EntryState::Removing, true) => Some(Some(EntryState::Added)),
            (EntryState::Adding, false) => Some(None),
            (EntryState::Removing, false) => Some(Some(EntryState::Removed)),
            // Any job's: a person took it out of the album.
            (EntryState::Added, false) => Some(Some(EntryState::Tombstone)),
            _ => None,
        };
        let trusted = if in_album {
            held.incomplete.is_none()
        } else {
            held.sees(&entry.account)
        };
        match next {
            Some(next) if trusted => {
                let was = (entry.state, entry.at);
                match next {
                    None => decision.settle.push(Change::Forget(entry.clone())),
                    Some(state) => {
                        let settled = Entry {
                            state,
                            at: input.now,
                            ..entry.clone()
                        };
                        decision.settle.push(Change::Settle {
                            entry: settled.clone(),
                            was,
                        });
                        entries.insert(entry.asset, settled);
                    }
                }
            }
            _ => {
                // Not in this listing, and not settled: added by a job (any job's add counts), or
                // this job's own unconfirmed add. Taken for still in the album: neither added again
                // nor counted as taken out by a person. Another job's intent is
                // that job's; adding the asset beside it is harmless (one of the two answers
                // `duplicate`).
                let unsettled_add = entry.state == EntryState::Adding && own;
                if !in_album && (entry.state == EntryState::Added || unsettled_add) {
                    gone.push(entry.clone());
                }
                if !in_album && own && entry.state == EntryState::Removing {
                    removing.push(entry.clone());
                }
                entries.insert(entry.asset, entry.clone());
            }
        }
    }
    let tombstones: Vec<&Entry> = entries
        .values()
        .filter(|e| e.state == EntryState::Tombstone)
        .collect();
    let tombstone_ids: HashSet<Uuid> = tombstones.iter().map(|e| e.asset).collect();
    let tombstone_sums: HashSet<&str> = tombstones.iter().map(|e| &*e.checksum).collect();
    // Recorded as in the album, and a listing that may have missed them does not say otherwise.
    let unseen_ids: HashSet<Uuid> = gone.iter().map(|e| e.asset).collect();
    let unseen_sums: HashSet<&str> = gone.iter().map(|e| &*e.checksum).collect();

    // What each account contributes.
    let mut wanted_ids: HashSet<Uuid> = HashSet::new();
    let mut wanted_sums: HashMap<&str, &str> = HashMap::new();
    for (name, chosen) in &input.accounts {
        let Some(chosen) = chosen else {
            decision.accounts.push(None);
            continue;
        };
        let mut part = AccountPart::default();
        for hit in chosen.iter() {
            if input
                .own_excluded
                .is_some_and(|e| e.contains(&hit.checksum))
            {
                part.excluded.push(hit.id);
                continue;
            }
            wanted_ids.insert(hit.id);
            wanted_sums.entry(&hit.checksum).or_insert(name);
            if held.holds(&hit.id, &hit.checksum)
                || unseen_ids.contains(&hit.id)
                || unseen_sums.contains(&*hit.checksum)
            {
                part.already += 1;
            } else if tombstone_ids.contains(&hit.id) || tombstone_sums.contains(&*hit.checksum) {
                part.not_readded.push(hit.id);
            } else {
                part.to_add.push(Pick {
                    id: hit.id,
                    checksum: hit.checksum.clone(),
                });
            }
        }
        decision.accounts.push(Some(part));
    }

    // What the album holds, asset by asset.
    let job_accounts: HashSet<&str> = input.accounts.iter().map(|(name, _)| *name).collect();
    let failed: HashSet<&str> = input
        .accounts
        .iter()
        .filter(|(_, chosen)| chosen.is_none())
        .map(|(name, _)| *name)
        .collect();
    let mut held_ids: Vec<&Uuid> = held.assets.keys().collect();
    held_ids.sort();
    for id in held_ids {
        let asset = &held.assets[id];
        let wanted = wanted_ids.contains(id) || wanted_sums.contains_key(&*asset.checksum);
        match entries.get(id) {
            Some(entry) if entry.job == input.job && entry.state == EntryState::Added => {
                decision.tool_held += 1;
                let reason = reason(input, entry, asset, &job_accounts);
                // A failed account's selection is unknown: its asset is not "no longer found".
                let unknown = reason == Reason::NoLongerFound && failed.contains(&*entry.account);
                if !wanted && !unknown {
                    decision.stale.push(Stale {
                        id: *id,
                        checksum: asset.checksum.clone(),
                        account: entry.account.clone(),
                        reason,
                        forced: false,
                        if_absent: Some(EntryState::Removed),
                    });
                }
            }
            // Another job's, or a person's who put back what the tool had removed: not ours.
            Some(_) => {}
            // Only a whole listing shows that nothing claims it, and only a whole selection that
            // the job selects it: an account or an exclusion that failed may flag it.
            None if wanted && held.incomplete.is_none() && input.incomplete.is_none() => {
                decision.adoptable.push(Entry {
                    asset: *id,
                    checksum: asset.checksum.clone(),
                    job: input.job.to_string(),
                    // Its owner's account, where the job has it (a person may have put in another
                    // account's copy of a file the job selects); else the account that selects it.
                    account: input
                        .owners
                        .get(&asset.owner)
                        .or_else(|| wanted_sums.get(&*asset.checksum))
                        .map_or_else(String::new, |a| a.to_string()),
                    state: EntryState::Added,
                    at: input.now,
                })
            }
            None => {}
        }
        let claimed = entries.get(id).is_some_and(|e| {
            matches!(
                e.state,
                EntryState::Added | EntryState::Adding | EntryState::Removing
            )
        });
        if !claimed && input.flagged.contains(&asset.checksum) {
            decision.left_flagged.push(*id);
        }
    }
    if input.policy.adopt {
        decision.tool_held += decision.adoptable.len();
    }
    // What a whole listing could not show (2.x hides an account's trashed and hidden assets, and
    // the account could not be asked) may still be in the album. What this job added from an
    // account that left it no longer belongs there: removing it is how to know, and an answer that
    // it was not there means a person took it out. A removal an earlier run began is finished.
    if held.incomplete.is_none() {
        for entry in &gone {
            let if_absent = match entry.state {
                EntryState::Added => Some(EntryState::Tombstone),
                // This job's add whose answer was lost: if it is not there, it never landed.
                EntryState::Adding => None,
                _ => continue,
            };
            // A file the job still selects (another account's copy) stays, as it does where the
            // listing shows the asset.
            let selected =
                wanted_ids.contains(&entry.asset) || wanted_sums.contains_key(&*entry.checksum);
            if entry.job == input.job && !job_accounts.contains(entry.account.as_str()) && !selected
            {
                decision.stale.push(Stale {
                    id: entry.asset,
                    checksum: entry.checksum.clone(),
                    account: entry.account.clone(),
                    reason: Reason::AccountLeft,
                    forced: false,
                    if_absent,
                });
            }
        }
        for entry in &removing {
            decision.stale.push(Stale {
                id: entry.asset,
                checksum: entry.checksum.clone(),
                account: entry.account.clone(),
                reason: Reason::Unfinished,
                forced: false,
                if_absent: Some(EntryState::Removed),
            });
        }
    }

    // Whether the stale assets leave in this run: what the safe album's exclusions flag leaves past
    // every guard; the rest when nothing blocks it.
    if input.policy.prune && !decision.stale.is_empty() {
        for stale in &mut decision.stale {
            stale.forced = input.policy.exclusions_first && stale.reason == Reason::Excluded;
        }
        let removals = decision.stale.iter().filter(|s| !s.forced).count();
        // What the album holds: what the listing showed, and what it could not show but the tool
        // is removing (2.x hides an account's trashed and hidden assets).
        let unseen = decision
            .stale
            .iter()
            .filter(|s| !held.assets.contains_key(&s.id))
            .count();
        let in_album = held.assets.len() + unseen;
        decision.blocked = if removals == 0 {
            None
        } else if let Some(why) = &held.incomplete {
            Some(Blocked::Listing(why.clone()))
        } else if let Some(why) = &input.incomplete {
            Some(Blocked::Incomplete(why.clone()))
        } else if !input.policy.confirm_removals
            && (removals > input.policy.max_removals
                || removals as f64 > input.policy.max_removal_fraction * in_album as f64)
        {
            Some(Blocked::Breaker {
                removals,
                held: in_album,
                max_removals: input.policy.max_removals,
                max_removal_fraction: input.policy.max_removal_fraction,
            })
        } else {
            None
        };
        decision.remove = decision.blocked.is_none();
    }
    decision
}

fn reason(
    input: &AlbumInput<'_>,
    entry: &Entry,
    asset: &HeldAsset,
    job_accounts: &HashSet<&str>,
) -> Reason {
    if input.flagged.contains(&asset.checksum) {
        Reason::Excluded
    } else if asset.trashed {
        Reason::Trashed
    } else if asset.visibility == Visibility::Archive && !input.policy.include_archived {
        Reason::Archived
    } else if !asset.visibility.may_enter_album() {
        Reason::Hidden
    } else if !job_accounts.contains(entry.account.as_str()) {
        Reason::AccountLeft
    } else {
        Reason::NoLongerFound
    }
}

#[cfg(test)]
mod tests;
