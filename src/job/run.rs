//! Running one job across its accounts, as phases, each a function with a typed result:
//!
//! 1. [`resolve`]: person names → each account's own person ids;
//! 2. [`plan`]: each account's searches (include searches timeline-only unless the job takes archived
//!    assets);
//! 3. [`search`]: every account's searches and the albums' contents, concurrently;
//! 4. [`merge_accounts`]: exclusions by checksum, dedupe across accounts, the safe album's exclusions;
//! 5. decide ([`super::decide`], pure): per album, the record settled, what to add, what to remove and
//!    why, tombstones, adoption, the circuit breaker;
//! 6. [`apply`] (sync only): create the albums, each account adds its own assets with its own key, the
//!    owner removes what prune takes out, every step written to the local record before and after;
//! 7. the [`JobReport`].
//!
//! One failing account does not stop the others, but what depends on it fails closed: the safe album
//! takes no additions when any account's safe exclusions are unknown, and no album loses anything when
//! any search it depends on failed. Nothing is ever deleted from a library.
//! With [`RunOptions::ids`] the report also carries the asset ids behind its counts (for the HTML
//! preview); they never reach the text or JSON reports.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::future::join_all;
use serde::Serialize;
use uuid::Uuid;

use super::account::{
    AccountPlan, Evaluated, PeopleIndex, PlanBuilder, TagIndex, evaluate_plan, people_index,
    tag_index,
};
use super::copy;
use super::decide::{self, AlbumDecision, AlbumInput, Held, Pick, Policy, Reason};
use super::file::{AcrossServers, Cover, JobSpec, LinkSpec, Looks};
use super::merge::{MergeInput, Merged, merge};
use crate::album;
use crate::error::input_error;
use crate::filter::Hit;
use crate::immich::{Album, AlbumRole, AlbumUserAdd, Client, LinkSettings, User};
use crate::state::{AlbumKey, Change, Entry, EntryState, MemberState, Store};
use serde_json::Value;

/// A connected account. Its client carries the in-flight limit of its server (shared by the accounts
/// on one server), attached once where the account is connected.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub client: Client,
    pub user: User,
}

/// An account of the job: connected, or why it could not be.
#[derive(Debug)]
pub struct Slot {
    pub name: String,
    pub account: Result<Account, String>,
}

/// Whether a run only looks or also changes albums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Preview,
    Sync,
}

/// What a run may do and what its report carries besides the counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Links to the assets to add and to remove (`--list`).
    pub list: bool,
    /// The ids of the assets to add, of those a safe album leaves out, of those to remove, and of the
    /// dropped duplicates with the copies kept instead.
    pub ids: bool,
    /// Record what the albums hold and the job selects as the tool's own (`sync --adopt`).
    pub adopt: bool,
    /// Let removals past the circuit breaker through, this once (`sync --confirm-removals`).
    pub confirm_removals: bool,
}

/// A duplicate dropped from one account, and the copy another account (or the same one) adds instead.
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
}

#[derive(Debug, Serialize)]
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
}

/// A shared link of an album: its URL (never its password) and what this run did with it.
#[derive(Debug, Default, Serialize)]
pub struct LinkRow {
    /// `None` in a preview of a link not made yet.
    pub url: Option<String>,
    pub expires: Option<String>,
    /// `created`, `renewed`, `kept`, or in a preview `to create`, `to renew`.
    pub action: String,
}

impl LinkRow {
    /// A preview's row for a link a sync would make, to expire at `expiry`.
    fn to_create(expiry: i64) -> LinkRow {
        LinkRow {
            url: None,
            expires: Some(super::dates::iso(expiry)),
            action: "to create".into(),
        }
    }
}

/// What an account on another server contributes through copies.
#[derive(Debug, Default, Serialize)]
pub struct CopyRow {
    /// The server the photos come from.
    pub from: String,
    /// The account on the album's server that receives the copies.
    pub to: String,
    /// Files the receiving account holds already (copied before, or the same file).
    pub held: usize,
    pub to_copy: usize,
    pub bytes: u64,
    pub copied: usize,
    /// Files the receiving account holds only in its trash: neither copied nor added until a person
    /// restores them or the trash is emptied.
    #[serde(skip_serializing_if = "is_zero")]
    pub in_trash: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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
    // Copies are told apart by their user's id: one that is not a UUID fails its account.
    let checked: Vec<Slot> = slots
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
    let mut checked = checked;
    if spec.across_servers == AcrossServers::Copy {
        // The album server's own copy of a file is preferred: its accounts come first (in job order),
        // and the merge keeps the first account's copy of a checksum.
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
    let slots = &checked[..];
    let owner_index = slots
        .iter()
        .position(|s| s.name == owner)
        .expect("the caller checks that the owner is an account of the job");
    let owner_failed = |error: &str| {
        anyhow::anyhow!(
            "job `{}`: the album owner `{owner}` failed: {error}",
            spec.name
        )
    };
    let owner_account = slots[owner_index]
        .account
        .as_ref()
        .map_err(|e| owner_failed(e))?;
    let mut errors: Vec<Option<String>> = slots
        .iter()
        .map(|s| s.account.as_ref().err().cloned())
        .collect();

    let indexes = resolve(spec, slots, &mut errors).await?;
    let tags = resolve_tags(spec, slots, &mut errors).await?;
    if let Some(error) = &errors[owner_index] {
        return Err(owner_failed(error));
    }
    let plans = plan(spec, slots, &indexes, &tags);
    let albums = find_albums(spec, &owner_account.client).await?;

    // The record of each album: what the tool did to it, whichever job did it.
    let server = owner_account.client.api_base().to_string();
    let key_of = |album: &Option<Album>| {
        album.as_ref().map(|a| AlbumKey {
            server: server.clone(),
            album_id: a.id.clone(),
        })
    };
    let (main_key, safe_key) = (key_of(&albums.main), key_of(&albums.safe));
    let load = |key: &Option<AlbumKey>| -> anyhow::Result<Vec<Entry>> {
        key.as_ref().map_or(Ok(Vec::new()), |k| store.load(k))
    };
    let (main_record, safe_record) = (load(&main_key)?, load(&safe_key)?);
    let records = Records {
        main: &main_record,
        safe: &safe_record,
    };
    let searched = search(slots, &plans, &errors, owner_account, &albums, records).await?;
    for (i, error) in searched.errors.iter().enumerate() {
        if let Some(error) = error {
            errors[i] = Some(error.clone());
        }
    }
    let merged = merge_accounts(spec, slots, &searched.evaluated, &errors);

    // Decide, per album, against the local record.
    let account_failed = errors.iter().zip(slots).find_map(|(error, slot)| {
        error
            .as_ref()
            .map(|e| format!("account `{}` failed ({e})", slot.name))
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
    let chosen: Vec<(&str, Option<&[Hit]>)> = slots
        .iter()
        .zip(&merged.shares)
        .map(|(slot, share)| (slot.name.as_str(), share.as_ref().map(|s| &s.chosen[..])))
        .collect();
    let main_decision = decide::decide(&AlbumInput {
        job: &spec.name,
        accounts: chosen.clone(),
        own_excluded: None,
        flagged: &merged.excluded,
        held: &searched.held_main,
        record: &main_record,
        incomplete: account_failed.clone(),
        policy,
        now,
    });
    let safe_flagged: HashSet<Box<str>> = merged
        .excluded
        .union(&merged.safe_excluded)
        .cloned()
        .collect();
    let safe_decision = spec.safe.as_ref().map(|safe| {
        decide::decide(&AlbumInput {
            job: &spec.name,
            accounts: chosen.clone(),
            own_excluded: Some(&merged.safe_excluded),
            flagged: &safe_flagged,
            held: &searched.held_safe,
            record: &safe_record,
            incomplete: merged.safe_fail.clone().or(account_failed.clone()),
            policy: Policy {
                prune: safe.prune,
                exclusions_first: true,
                ..policy
            },
            now,
        })
    });

    // The report, as decided; a sync then fills in what happened.
    let owner_client = &owner_account.client;
    let mut report = JobReport {
        job: spec.name.clone(),
        applied: mode == Mode::Sync,
        include_conditions: spec.include.iter().map(|c| c.label()).collect(),
        exclude_conditions: spec.exclude.iter().map(|c| c.label()).collect(),
        description: spec.looks.description.clone(),
        album: summary(
            &spec.album,
            &albums.main,
            owner,
            spec.prune,
            &main_decision,
            owner_client,
            options,
        ),
        safe: spec
            .safe
            .as_ref()
            .zip(safe_decision.as_ref())
            .map(|(safe, decision)| {
                let mut summary = summary(
                    &safe.album,
                    &albums.safe,
                    owner,
                    safe.prune,
                    decision,
                    owner_client,
                    options,
                );
                summary.fail_closed = merged.safe_fail.clone();
                summary
            }),
        accounts: account_reports(
            slots,
            &errors,
            &plans,
            &searched.evaluated,
            &merged,
            options,
        ),
    };
    for (i, account) in report.accounts.iter_mut().enumerate() {
        if let Some(part) = &main_decision.accounts[i] {
            account.album = row(part, &slots[i], options);
        }
        if let Some(part) = safe_decision.as_ref().and_then(|d| d.accounts[i].as_ref()) {
            account.safe = Some(row(part, &slots[i], options));
        }
    }

    // A preview says who a sync would share the albums the tool made with.
    if mode == Mode::Preview {
        for (album, key, summary) in [
            (&albums.main, &main_key, Some(&mut report.album)),
            (&albums.safe, &safe_key, report.safe.as_mut()),
        ] {
            if let (Some(album), Some(key), Some(summary)) = (album, key, summary) {
                match membership(store, owner_account, slots, album, key) {
                    Ok(plan) => {
                        summary.shared_with = plan.share.iter().map(|a| a.name.clone()).collect();
                        summary.members_taken_out =
                            plan.taken_out.iter().map(|(a, _)| a.name.clone()).collect();
                    }
                    Err(error) => {
                        summary.error.get_or_insert(format!("{error:#}"));
                    }
                }
            }
        }
    }

    // Accounts on another server contribute through copies to the receiving account.
    let copying = copies(
        spec,
        slots,
        owner_account,
        &main_decision,
        safe_decision.as_ref(),
        store,
        mode,
        &mut report,
    )
    .await;

    if mode == Mode::Sync {
        let ctx = Apply {
            job: &spec.name,
            slots,
            owner: owner_account,
            store,
            adopt: options.adopt,
            copying: &copying,
        };
        apply(
            &ctx,
            albums.main,
            &spec.album,
            "main",
            &main_decision,
            true,
            &mut report.album,
            &mut report.accounts,
            |r| &mut r.album,
        )
        .await;
        if let (Some(safe), Some(decision)) = (&spec.safe, &safe_decision) {
            let summary = report
                .safe
                .as_mut()
                .expect("a safe summary with a safe album");
            let adds_open = merged.safe_fail.is_none();
            apply(
                &ctx,
                albums.safe,
                &safe.album,
                "safe",
                decision,
                adds_open,
                summary,
                &mut report.accounts,
                |r| r.safe.get_or_insert_with(AlbumRow::default),
            )
            .await;
        }
    }

    // Once the albums' contents are settled: the main album's looks and the safe album's shared
    // link, set by a sync and said by a preview. A summary's id is the album found, or made by the
    // sync.
    let write = mode == Mode::Sync;
    if !spec.looks.is_empty()
        && let Some(id) = report.album.id.clone()
    {
        looks(
            &owner_account.client,
            &id,
            &spec.looks,
            write,
            &mut report.album,
        )
        .await;
    }
    if let Some(link) = spec
        .safe
        .as_ref()
        .and_then(|safe| safe.shared_link.as_ref())
        && let Some(summary) = report.safe.as_mut()
    {
        match summary.id.clone() {
            Some(album_id) => {
                let key = AlbumKey {
                    server: owner_account.client.api_base().to_string(),
                    album_id,
                };
                shared_link(
                    &owner_account.client,
                    &key,
                    &spec.name,
                    link,
                    write,
                    store,
                    summary,
                )
                .await;
            }
            None if !write => {
                let expiry = link.expires.after(crate::clock::now());
                summary.shared_link = Some(LinkRow::to_create(expiry));
            }
            None => {}
        }
    }
    Ok(report)
}

// ----- 1. resolve ------------------------------------------------------------------------------

/// Reads each account's people (when the job names any) into a name index. An account whose people
/// cannot be read fails (`errors`); a name that no account knows is an input error.
async fn resolve(
    spec: &JobSpec,
    slots: &[Slot],
    errors: &mut [Option<String>],
) -> anyhow::Result<Vec<PeopleIndex>> {
    let (indexes, unknown) = read_indexes(slots, errors, &spec.people(), |client| {
        Box::pin(people_index(client))
    })
    .await;
    if !unknown.is_empty() {
        return Err(input_error(format!(
            "job `{}`: no account of the job ({}) knows a person named {}; check the names under \
             People in Immich",
            spec.name,
            names_of(slots),
            unknown.join(", ")
        )));
    }
    Ok(indexes)
}

/// Reads each account's tags (when the job names any) into a value index, as [`resolve`] does for
/// people: a tag no account has is an input error.
async fn resolve_tags(
    spec: &JobSpec,
    slots: &[Slot],
    errors: &mut [Option<String>],
) -> anyhow::Result<Vec<TagIndex>> {
    let (indexes, unknown) = read_indexes(slots, errors, &spec.tags(), |client| {
        Box::pin(tag_index(client))
    })
    .await;
    if !unknown.is_empty() {
        return Err(input_error(format!(
            "job `{}`: no account of the job ({}) has a tag {}; check the tags in Immich (a child \
             tag is written Parent/Child)",
            spec.name,
            names_of(slots),
            unknown.join(", ")
        )));
    }
    Ok(indexes)
}

fn names_of(slots: &[Slot]) -> String {
    slots
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A name index of every account that has not failed, read concurrently when `wanted` names
/// anything; an account whose index cannot be read fails (`errors`). Also the wanted names that no
/// account knows (lower-cased lookups), once every account answered: only then can "nobody knows it"
/// be told from "not asked".
async fn read_indexes<V: Clone>(
    slots: &[Slot],
    errors: &mut [Option<String>],
    wanted: &[String],
    read: impl for<'c> Fn(
        &'c Client,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<HashMap<String, V>, crate::immich::ApiError>>
                + 'c,
        >,
    >,
) -> (Vec<HashMap<String, V>>, Vec<String>) {
    let mut indexes: Vec<HashMap<String, V>> = vec![HashMap::new(); slots.len()];
    if wanted.is_empty() {
        return (indexes, Vec::new());
    }
    let read = &read;
    let fetched = join_all(slots.iter().enumerate().map(|(i, slot)| {
        let failed = errors[i].is_some();
        async move {
            match &slot.account {
                Ok(account) if !failed => Some(read(&account.client).await),
                _ => None,
            }
        }
    }))
    .await;
    for (i, result) in fetched.into_iter().enumerate() {
        match result {
            Some(Ok(index)) => indexes[i] = index,
            Some(Err(error)) => errors[i] = Some(error.to_string()),
            None => {}
        }
    }
    let mut unknown = Vec::new();
    if errors.iter().all(Option::is_none) {
        unknown = wanted
            .iter()
            .filter(|n| {
                indexes
                    .iter()
                    .all(|index| !index.contains_key(&n.to_lowercase()))
            })
            .map(|n| format!("`{n}`"))
            .collect();
    }
    (indexes, unknown)
}

// ----- 2. plan ---------------------------------------------------------------------------------

/// Each account's searches: the job's conditions with its own person ids, and as many searches per
/// condition as its server needs to see the visibilities the condition looks at.
fn plan(
    spec: &JobSpec,
    slots: &[Slot],
    indexes: &[PeopleIndex],
    tags: &[TagIndex],
) -> Vec<AccountPlan> {
    slots
        .iter()
        .zip(indexes)
        .zip(tags)
        .map(|((slot, index), tags)| {
            let two_x = slot
                .account
                .as_ref()
                .is_ok_and(|a| a.client.version().is_2x());
            let mut builder = PlanBuilder::new(index, spec.local.clone())
                .with_tags(tags)
                .timeline_only(!spec.include_archived)
                .one_visibility_per_search(two_x);
            spec.include.iter().for_each(|c| builder.include(c));
            spec.exclude.iter().for_each(|c| builder.exclude(c));
            if let Some(safe) = &spec.safe {
                safe.exclude.iter().for_each(|c| builder.safe_exclude(c));
            }
            builder.build()
        })
        .collect()
}

// ----- 3. search -------------------------------------------------------------------------------

/// The job's albums, as their owner sees them; `None` for one that does not exist yet.
struct Albums {
    main: Option<Album>,
    safe: Option<Album>,
}

/// Finds the albums through their owner; a mistake in their names stops the job before any search.
async fn find_albums(spec: &JobSpec, owner: &Client) -> anyhow::Result<Albums> {
    Ok(Albums {
        main: album::find(owner, &spec.album).await?,
        safe: match &spec.safe {
            Some(safe) => album::find(owner, &safe.album).await?,
            None => None,
        },
    })
}

/// The record's entries of the job's albums.
#[derive(Clone, Copy)]
struct Records<'a> {
    main: &'a [Entry],
    safe: &'a [Entry],
}

/// What the searches found, and what the albums hold.
struct Searched {
    /// Per account; `None` for an account that failed (before or during its searches).
    evaluated: Vec<Option<Evaluated>>,
    /// Per account: why its searches failed.
    errors: Vec<Option<String>>,
    held_main: Held,
    held_safe: Held,
}

/// Runs every account's searches and lists the albums, all concurrently. A failed listing fails the
/// job (the decisions rest on it); a failed search fails its account.
async fn search(
    slots: &[Slot],
    plans: &[AccountPlan],
    errors: &[Option<String>],
    owner: &Account,
    albums: &Albums,
    records: Records<'_>,
) -> anyhow::Result<Searched> {
    let contents = |album: &Option<Album>, record: &[Entry]| {
        let album = album.clone();
        let record = record.to_vec();
        async move {
            match album {
                Some(album) => {
                    let listing = album::contents(&owner.client, &album).await?;
                    Ok::<_, crate::immich::ApiError>(
                        held(listing, &record, slots, errors, owner, &album.id).await,
                    )
                }
                None => Ok(Held::default()),
            }
        }
    };
    let searches = join_all(slots.iter().zip(plans).zip(errors).map(
        |((slot, plan), error)| async move {
            match (&slot.account, error) {
                (Ok(account), None) => Some(evaluate_plan(&account.client, plan).await),
                _ => None,
            }
        },
    ));
    let (searched, held_main, held_safe) = tokio::join!(
        searches,
        contents(&albums.main, records.main),
        contents(&albums.safe, records.safe)
    );
    let mut failures = vec![None; slots.len()];
    let evaluated = searched
        .into_iter()
        .enumerate()
        .map(|(i, result)| match result {
            Some(Ok(evaluated)) => Some(evaluated),
            Some(Err(error)) => {
                failures[i] = Some(error.to_string());
                None
            }
            None => None,
        })
        .collect();
    Ok(Searched {
        evaluated,
        errors: failures,
        held_main: held_main?,
        held_safe: held_safe?,
    })
}

/// What an album holds, from its listing. A 2.x listing leaves out the album's trashed and hidden
/// assets; where the record names assets it lacks, each account they came from (connected, on the
/// album's server) is asked for its own trashed and hidden ones (a 2.x search answers only the
/// caller's). An account that cannot be asked is blind: its missing assets are neither settled nor
/// added again.
async fn held(
    listing: album::Listing,
    record: &[Entry],
    slots: &[Slot],
    errors: &[Option<String>],
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
            let account = slots
                .iter()
                .zip(errors)
                .find(|(s, error)| s.name == name && error.is_none())
                .and_then(|(s, _)| s.account.as_ref().ok())
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

// ----- 4. merge --------------------------------------------------------------------------------

/// The accounts merged into one selection.
struct MergedJob {
    /// Per account, its share (the copies it contributes); `None` for a failed account.
    shares: Vec<Option<Merged>>,
    /// Checksums every account's job exclusions found.
    excluded: HashSet<Box<str>>,
    /// Checksums every account's safe exclusions found.
    safe_excluded: HashSet<Box<str>>,
    /// Why the safe album fails closed: an account, or a safe exclusion, failed.
    safe_fail: Option<String>,
}

fn merge_accounts(
    spec: &JobSpec,
    slots: &[Slot],
    evaluated: &[Option<Evaluated>],
    errors: &[Option<String>],
) -> MergedJob {
    let excluded: HashSet<Box<str>> = evaluated
        .iter()
        .flatten()
        .flat_map(|e| e.excluded.iter().cloned())
        .collect();
    let inputs: Vec<Option<MergeInput<'_>>> = slots
        .iter()
        .zip(evaluated)
        .map(|(slot, evaluated)| match (&slot.account, evaluated) {
            (Ok(account), Some(evaluated)) => {
                Uuid::parse_str(&account.user.id)
                    .ok()
                    .map(|user| MergeInput {
                        user,
                        matched: evaluated.matched.values().collect(),
                    })
            }
            _ => None,
        })
        .collect();
    let shares = merge(&inputs, &excluded);

    // The safe album fails closed: every account's safe exclusions must be known.
    let mut safe_fail: Option<String> = None;
    let mut safe_excluded: HashSet<Box<str>> = HashSet::new();
    if spec.safe.is_some() {
        for (i, slot) in slots.iter().enumerate() {
            if let Some(error) = &errors[i] {
                safe_fail.get_or_insert(format!(
                    "account `{}` failed, so its safe exclusions are unknown ({error})",
                    slot.name
                ));
                continue;
            }
            match evaluated[i].as_ref().and_then(|e| e.safe_excluded.as_ref()) {
                Some(Ok(found)) => safe_excluded.extend(found.iter().cloned()),
                Some(Err(error)) => {
                    safe_fail.get_or_insert(format!(
                        "a safe exclusion search of `{}` failed ({error})",
                        slot.name
                    ));
                }
                None => {}
            }
        }
    }
    MergedJob {
        shares,
        excluded,
        safe_excluded,
        safe_fail,
    }
}

// ----- 7. report -------------------------------------------------------------------------------

/// Each account's search and merge counts (the album rows are filled from the decisions).
fn account_reports(
    slots: &[Slot],
    errors: &[Option<String>],
    plans: &[AccountPlan],
    evaluated: &[Option<Evaluated>],
    merged: &MergedJob,
    options: RunOptions,
) -> Vec<AccountReport> {
    slots
        .iter()
        .enumerate()
        .map(|(i, slot)| {
            let mut report = AccountReport {
                account: slot.name.clone(),
                immich_version: slot
                    .account
                    .as_ref()
                    .ok()
                    .map(|a| a.client.version().to_string()),
                error: errors[i].clone(),
                // What a failed account's plan says of its people or tags is not known: its index
                // was never read.
                notes: if errors[i].is_none() {
                    plans[i].notes.clone()
                } else {
                    Vec::new()
                },
                ..AccountReport::default()
            };
            if let (Some(share), Some(found)) = (&merged.shares[i], &evaluated[i]) {
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
                            kept_account: slots[d.kept_account].name.clone(),
                            kept_id: d.kept_id.to_string(),
                        })
                        .collect();
                }
            }
            report
        })
        .collect()
}

fn summary(
    name: &str,
    album: &Option<Album>,
    owner: &str,
    prune: bool,
    decision: &AlbumDecision,
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
        id: album.as_ref().map(|a| a.id.clone()),
        owner: owner.to_string(),
        created: false,
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
        removed: 0,
        removal_refused: BTreeMap::new(),
        error: None,
        looks: Vec::new(),
        shared_link: None,
        left_flagged: decision.left_flagged.len(),
        left_flagged_ids: if options.ids {
            decision.left_flagged.iter().map(Uuid::to_string).collect()
        } else {
            Vec::new()
        },
        adoptable: decision.adoptable.len(),
        adopted: 0,
        shared_with: Vec::new(),
        members_taken_out: Vec::new(),
    }
}

fn row(part: &decide::AccountPart, slot: &Slot, options: RunOptions) -> AlbumRow {
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

// ----- 6. apply --------------------------------------------------------------------------------

/// What every album's apply step shares.
struct Apply<'a> {
    job: &'a str,
    slots: &'a [Slot],
    owner: &'a Account,
    store: &'a Store,
    adopt: bool,
    copying: &'a Copying,
}

/// Per account of the job: `None` when it is on the album's server (it adds its own assets), else its
/// copies' ids on the album's server by checksum, added by the receiving account.
#[derive(Default)]
struct Copying {
    receiver: Option<usize>,
    ids: Vec<Option<HashMap<Box<str>, Uuid>>>,
}

/// Plans (and in a sync, makes) the copies of the accounts on other servers than the album's, within
/// `max_copy_mb`; fills in their report rows.
#[allow(clippy::too_many_arguments)]
async fn copies(
    spec: &JobSpec,
    slots: &[Slot],
    owner: &Account,
    main: &AlbumDecision,
    safe: Option<&AlbumDecision>,
    store: &Store,
    mode: Mode,
    report: &mut JobReport,
) -> Copying {
    let mut copying = Copying {
        receiver: None,
        ids: slots.iter().map(|_| None).collect(),
    };
    if spec.across_servers != AcrossServers::Copy {
        return copying;
    }
    let album_server = owner.client.api_base();
    let receiver_name = spec.copy_to.as_deref().unwrap_or(&owner.name);
    let Some(receiver_index) = slots.iter().position(|s| s.name == receiver_name) else {
        return copying;
    };
    copying.receiver = Some(receiver_index);
    let receiver = slots[receiver_index].account.as_ref().ok();
    let foreign: Vec<usize> = (0..slots.len())
        .filter(|&i| {
            slots[i]
                .account
                .as_ref()
                .is_ok_and(|a| a.client.api_base() != album_server)
        })
        .collect();
    let picks_of = |i: usize| -> Vec<&Pick> {
        let mut picks: Vec<&Pick> = Vec::new();
        for decision in std::iter::once(main).chain(safe) {
            if let Some(part) = &decision.accounts[i] {
                picks.extend(part.to_add.iter());
            }
        }
        picks
    };
    let receiver_ready = match receiver {
        None => Err(format!("the receiving account `{receiver_name}` failed")),
        Some(receiver) if foreign.is_empty() => Ok(receiver),
        Some(receiver) => copy::check_permissions(
            receiver,
            copy::RECEIVER_PERMISSIONS,
            "needed to receive copies",
        )
        .await
        .map(|()| receiver),
    };
    let plans = join_all(foreign.iter().map(|&i| {
        let picks = picks_of(i);
        let receiver_ready = &receiver_ready;
        async move {
            let source = slots[i].account.as_ref().expect("connected");
            let receiver = receiver_ready.as_ref().map_err(Clone::clone)?;
            copy::check_permissions(source, copy::SOURCE_PERMISSIONS, "needed to give copies")
                .await?;
            copy::plan(source, receiver, &picks, store).await
        }
    }))
    .await;
    let mut planned: Vec<(usize, copy::CopyPlan)> = Vec::new();
    for (&i, plan) in foreign.iter().zip(plans) {
        let source = slots[i].account.as_ref().expect("connected");
        let row = report.accounts[i].copy.insert(CopyRow {
            from: source.client.api_base().to_string(),
            to: receiver_name.to_string(),
            ..CopyRow::default()
        });
        match plan {
            Ok(plan) => {
                row.held = plan.held.len();
                row.to_copy = plan.to_copy.len();
                row.bytes = plan.bytes;
                row.in_trash = plan.in_trash;
                planned.push((i, plan));
            }
            Err(error) => row.error = Some(error),
        }
    }
    let total: u64 = planned.iter().map(|(_, p)| p.bytes).sum();
    let budget = spec.max_copy_mb.saturating_mul(1_000_000);
    if total > budget {
        let message = format!(
            "copying {:.1} MB would pass max_copy_mb ({}); nothing was copied. Raise max_copy_mb for \
             one run, or narrow the job",
            total as f64 / 1e6,
            spec.max_copy_mb
        );
        for (i, _) in &planned {
            if let Some(row) = &mut report.accounts[*i].copy {
                row.error = Some(message.clone());
            }
        }
        return copying;
    }
    for (i, plan) in planned {
        if mode == Mode::Preview {
            continue;
        }
        let (Some(receiver), Ok(source)) = (receiver, &slots[i].account) else {
            continue;
        };
        let made = copy::make(&plan, source, receiver, store, &spec.name).await;
        if let Some(row) = &mut report.accounts[i].copy {
            row.copied = made.copied;
            row.error = made.error;
        }
        copying.ids[i] = Some(made.ids);
    }
    copying
}

/// Applies one album's decision: creates the album when it does not exist (owned by the owner,
/// shared as editor with every other connected account), settles and notes it in the record, adopts,
/// lets every account add its own part (unless `adds_open` is false: the album failed closed), and
/// removes what the decision removes. Every add and removal is written to the record as an intent
/// before its request and confirmed from the per-id answers after it.
#[allow(clippy::too_many_arguments)]
async fn apply(
    ctx: &Apply<'_>,
    existing: Option<Album>,
    name: &str,
    role: &str,
    decision: &AlbumDecision,
    adds_open: bool,
    summary: &mut AlbumSummary,
    reports: &mut [AccountReport],
    row_of: impl Fn(&mut AccountReport) -> &mut AlbumRow,
) {
    let parts: Vec<Option<&decide::AccountPart>> =
        decision.accounts.iter().map(Option::as_ref).collect();
    let album = match existing {
        Some(album) => album,
        // Failed closed: not even created, so nothing shows it half-filled.
        None if !adds_open => return,
        None => match create(ctx, name).await {
            Ok((album, made)) => {
                summary.created = made;
                summary.id = Some(album.id.clone());
                if made {
                    note_created(ctx, &album, summary);
                }
                album
            }
            Err(message) => {
                for (report, part) in reports.iter_mut().zip(&parts) {
                    if part.is_some() {
                        row_of(report).error = Some(message.clone());
                    }
                }
                return;
            }
        },
    };
    let key = AlbumKey {
        server: ctx.owner.client.api_base().to_string(),
        album_id: album.id.clone(),
    };
    let mut changes = decision.settle.clone();
    if ctx.adopt {
        changes.extend(decision.adoptable.iter().cloned().map(Change::Claim));
    }
    let noted = ctx
        .store
        .note_album(&key, ctx.job, &album.album_name, role)
        .and_then(|()| ctx.store.write(&key, &changes));
    if let Err(error) = noted {
        // Without a record, nothing may change: an add could not be told from a person's later.
        summary.error = Some(format!("{error:#}"));
        return;
    }
    if ctx.adopt {
        summary.adopted = decision.adoptable.len();
    }
    // An album this job was making when the answer was lost: the tool's, shared with whom it was
    // made for.
    match ctx.store.was_making(&key.server, &album.album_name) {
        Ok(true) => note_created(ctx, &album, summary),
        Ok(false) => {}
        Err(error) => {
            summary.error.get_or_insert(format!("{error:#}"));
        }
    }
    let album = share(ctx, album, &key, summary).await;
    let taken_out = &summary.members_taken_out;

    if adds_open {
        let adds = ctx
            .slots
            .iter()
            .zip(&parts)
            .enumerate()
            .map(|(i, (slot, part))| {
                let (album, key) = (&album, &key);
                async move {
                    let (Ok(account), Some(part)) = (&slot.account, part) else {
                        return None;
                    };
                    if let Some(receiver) = ctx.copying.receiver
                        && slot_is_foreign(ctx, account)
                    {
                        // On another server: its copies, added by the receiving account.
                        let receiver = &ctx.slots[receiver];
                        let (Ok(receiving), Some(ids)) = (&receiver.account, &ctx.copying.ids[i])
                        else {
                            return None;
                        };
                        let copies = decide::AccountPart {
                            to_add: part
                                .to_add
                                .iter()
                                .filter_map(|p| {
                                    ids.get(&p.checksum).map(|id| Pick {
                                        id: *id,
                                        checksum: p.checksum.clone(),
                                    })
                                })
                                .collect(),
                            ..decide::AccountPart::default()
                        };
                        return Some(
                            add_part(ctx, album, key, receiver, receiving, &copies, taken_out)
                                .await,
                        );
                    }
                    Some(add_part(ctx, album, key, slot, account, part, taken_out).await)
                }
            });
        let outcomes = join_all(adds).await;
        for (report, outcome) in reports.iter_mut().zip(outcomes) {
            let row = row_of(report);
            match outcome {
                None => {}
                Some(Err(message)) => row.error = Some(message),
                Some(Ok(None)) => {}
                Some(Ok(Some(outcome))) => {
                    row.added = outcome.added.len() + outcome.already_after_resend.len();
                    row.already += outcome.already.len();
                    row.refused = outcome
                        .refused
                        .iter()
                        .map(|(reason, ids)| (reason.clone(), ids.len()))
                        .collect();
                    row.error = outcome.failed.map(|e| e.to_string());
                }
            }
        }
    }

    let removals = decision.removals();
    if !removals.is_empty() {
        remove_stale(ctx, &album, &key, &removals, summary).await;
    }
}

/// Keeps the album's shared link (with `write`; else only says what a sync would do): the one the
/// record names while it exists, renewed when less than a third of its span is left; else a new one.
async fn shared_link(
    client: &Client,
    album: &AlbumKey,
    job: &str,
    spec: &LinkSpec,
    write: bool,
    store: &Store,
    summary: &mut AlbumSummary,
) {
    let result: Result<LinkRow, String> = async {
        let now = crate::clock::now();
        let expiry = spec.expires.after(now);
        let span = expiry - now;
        let new_expiry = super::dates::iso(expiry);
        let recorded = store.link_of(album, job).map_err(|e| format!("{e:#}"))?;
        let links = client
            .shared_links(&album.album_id)
            .await
            .map_err(|e| e.to_string())?;
        let row_of = |link: &crate::immich::SharedLink, action: &str| LinkRow {
            url: Some(format!(
                "{}/share/{}",
                client.site().as_str().trim_end_matches('/'),
                link.key
            )),
            expires: link.expires_at.clone(),
            action: action.into(),
        };
        let current = recorded.and_then(|id| links.into_iter().find(|l| l.id == id));
        let settings = LinkSettings {
            password: spec.password.as_ref(),
            allow_download: spec.allow_download,
            show_metadata: spec.show_metadata,
        };
        // The link as it stands after this run (none in a preview of one not made yet).
        let (row, link) = match current {
            Some(link) => {
                let left = link
                    .expires_at
                    .as_deref()
                    .and_then(super::dates::parse_iso)
                    .map(|at| at - now);
                let renew = left.is_some_and(|left| left * 3 < span);
                let (changes, said) = link_changes(&link, &settings, renew.then_some(&new_expiry));
                // `renewed` / `to renew` alone; else what changes, e.g. `updated (renew, hide metadata)`.
                let action = |done: &str, to_do: &str| match (write, &said[..]) {
                    (true, [only]) if only == "renew" => "renewed".to_string(),
                    (false, [only]) if only == "renew" => "to renew".to_string(),
                    (true, _) => format!("{done} ({})", said.join(", ")),
                    (false, _) => format!("{to_do} ({})", said.join(", ")),
                };
                match (changes.is_empty(), write) {
                    (true, _) => (row_of(&link, "kept"), Some(link)),
                    (false, true) => {
                        let changed = client
                            .update_shared_link(&link.id, &Value::Object(changes))
                            .await
                            .map_err(|e| e.to_string())?;
                        (row_of(&changed, &action("updated", "")), Some(changed))
                    }
                    (false, false) => (row_of(&link, &action("", "to update")), Some(link)),
                }
            }
            None if write => {
                let link = client
                    .create_shared_link(&album.album_id, &new_expiry, &settings)
                    .await
                    .map_err(|e| e.to_string())?;
                (row_of(&link, "created"), Some(link))
            }
            None => (LinkRow::to_create(expiry), None),
        };
        if write && let (Some(link), Some(url)) = (&link, &row.url) {
            store
                .note_link(album, job, &link.id, url, row.expires.as_deref())
                .map_err(|e| format!("{e:#}"))?;
        }
        Ok(row)
    }
    .await;
    match result {
        Ok(row) => summary.shared_link = Some(row),
        Err(error) => {
            summary.error.get_or_insert(format!("shared link: {error}"));
        }
    }
}

/// What a link needs to follow the job: the `PATCH` fields that differ (a new expiry when it is due;
/// a password the job gives, changes or takes away; download and metadata), and what they are in
/// words (never the password itself).
fn link_changes(
    link: &crate::immich::SharedLink,
    settings: &LinkSettings<'_>,
    new_expiry: Option<&String>,
) -> (serde_json::Map<String, Value>, Vec<String>) {
    let mut changes = serde_json::Map::new();
    let mut said = Vec::new();
    if let Some(expiry) = new_expiry {
        changes.insert("expiresAt".into(), expiry.clone().into());
        said.push("renew".to_string());
    }
    let (want, have) = (
        settings.password.map(|p| p.expose()),
        link.password.as_ref().map(|p| p.expose()),
    );
    if want != have {
        changes.insert("password".into(), want.map_or(Value::Null, Value::from));
        said.push(
            match (want, have) {
                (Some(_), None) => "set its password",
                (Some(_), Some(_)) => "change its password",
                (None, _) => "take its password away",
            }
            .to_string(),
        );
    }
    // The link's switches: downloads and metadata as the job says; uploads never (Immich's default
    // for a new link lets anyone with the URL upload into the album).
    let switches = [
        (
            "allowDownload",
            settings.allow_download,
            link.allow_download,
            "downloads",
        ),
        (
            "showMetadata",
            settings.show_metadata,
            link.show_metadata,
            "metadata",
        ),
        ("allowUpload", false, link.allow_upload, "uploads"),
    ];
    for (field, want, have, what) in switches {
        if want != have {
            changes.insert(field.into(), want.into());
            let verb = match (want, what) {
                (true, "metadata") => "show",
                (false, "metadata") => "hide",
                (true, _) => "allow",
                (false, _) => "stop",
            };
            said.push(format!("{verb} {what}"));
        }
    }
    // Immich's `PATCH` takes a custom URL away unless it is sent again (measured on 3.1.0 and
    // 2.5.6): a person's slug is kept.
    if !changes.is_empty()
        && let Some(slug) = &link.slug
    {
        changes.insert("slug".into(), slug.clone().into());
    }
    (changes, said)
}

/// Brings an album's description, order and cover to what the job says (with `write`; else only
/// says what would change). A cover the album does not hold is an error, and nothing is changed.
async fn looks(client: &Client, id: &str, looks: &Looks, write: bool, summary: &mut AlbumSummary) {
    let result: Result<Vec<String>, String> = async {
        let current = client.album(id).await.map_err(|e| e.to_string())?;
        let mut changes = serde_json::Map::new();
        let mut said = Vec::new();
        if let Some(description) = &looks.description
            && current.description != *description
        {
            changes.insert("description".into(), description.clone().into());
            said.push("description".to_string());
        }
        if let Some(newest_first) = looks.newest_first {
            let want = if newest_first { "desc" } else { "asc" };
            if current.order.as_deref() != Some(want) {
                changes.insert("order".into(), want.into());
                said.push(format!(
                    "order: {} first",
                    if newest_first { "newest" } else { "oldest" }
                ));
            }
        }
        if let Some(cover) = &looks.cover {
            let (order, only) = match cover {
                Cover::Newest => ("desc", None),
                Cover::Oldest => ("asc", None),
                Cover::Asset(asset) => ("desc", Some(asset.to_string())),
            };
            let mut query = serde_json::json!({ "albumIds": [id], "order": order, "size": 1 });
            if let Some(asset) = &only {
                query["id"] = asset.clone().into();
            }
            let found: serde_json::Value = client
                .call(reqwest::Method::POST, "search/metadata", &[], Some(&query))
                .await
                .map_err(|e| e.to_string())?;
            let first = found["assets"]["items"][0]["id"]
                .as_str()
                .map(str::to_string);
            match (first, &only) {
                (None, Some(asset)) => {
                    return Err(format!(
                        "cover {asset} is not in the album; give an asset it holds, or newest or \
                         oldest (nothing was changed)"
                    ));
                }
                (Some(cover), _) if current.album_thumbnail_asset_id.as_deref() != Some(&cover) => {
                    changes.insert("albumThumbnailAssetId".into(), cover.into());
                    said.push("cover".to_string());
                }
                _ => {}
            }
        }
        if write && !changes.is_empty() {
            client
                .update_album(id, &serde_json::Value::Object(changes))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(said)
    }
    .await;
    match result {
        Ok(said) => summary.looks = said,
        Err(error) => {
            summary.error.get_or_insert(error);
        }
    }
}

/// Whether an account is on another server than the album's.
fn slot_is_foreign(ctx: &Apply<'_>, account: &Account) -> bool {
    account.client.api_base() != ctx.owner.client.api_base()
}

/// The job's connected accounts that may be members of its albums: on the album's server (users of
/// another server are not users here, `across_servers: copy`), not the owner.
fn joinable<'a>(owner: &'a Account, slots: &'a [Slot]) -> impl Iterator<Item = &'a Account> {
    slots
        .iter()
        .filter_map(|s| s.account.as_ref().ok())
        .filter(move |a| a.user.id != owner.user.id)
        .filter(move |a| a.client.api_base() == owner.client.api_base())
}

fn editors<'a>(accounts: impl Iterator<Item = &'a Account>) -> Vec<AlbumUserAdd> {
    accounts
        .map(|a| AlbumUserAdd {
            user_id: a.user.id.clone(),
            role: AlbumRole::Editor,
        })
        .collect()
}

/// Creates an album owned by the job's owner and shared as editor with every other connected account;
/// also whether this run made it. Two syncs that share the record (two job files filling one album,
/// started together) may both have found it missing: they take turns through a lock beside the
/// record, and the second takes the album the first made instead of making another of that name.
async fn create(ctx: &Apply<'_>, name: &str) -> Result<(Album, bool), String> {
    let server = ctx.owner.client.api_base();
    let _turn = match ctx.store.album_lock_path(server, name) {
        Some(path) => Some(take_turn(&path).await?),
        None => None,
    };
    let found = album::find(&ctx.owner.client, name)
        .await
        .map_err(|error| format!("could not look for album `{name}` again: {error:#}"))?;
    if let Some(album) = found {
        return Ok((album, false));
    }
    // An intent first: when the answer is lost, the next run finds the album by its name and still
    // knows it as the tool's (and shares it with the job's accounts).
    ctx.store
        .note_making(server, name, ctx.job)
        .map_err(|error| format!("{error:#}"))?;
    let members = editors(joinable(ctx.owner, ctx.slots));
    ctx.owner
        .client
        .create_album(name, &members)
        .await
        .map(|album| (album, true))
        .map_err(|error| format!("could not create album `{name}`: {error}"))
}

/// Waits for an exclusive lock on `path` (a minute at most): released when the file is dropped.
async fn take_turn(path: &std::path::Path) -> Result<std::fs::File, String> {
    let fail = |e: &dyn std::fmt::Display| format!("the lock file {}: {e}", path.display());
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| fail(&e))?;
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock)
                if started.elapsed() < std::time::Duration::from_secs(60) =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(fail(&"another sync has held it for a minute"));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(fail(&e)),
        }
    }
}

/// Records that the tool made the album, and the members it shared it with.
fn note_created(ctx: &Apply<'_>, album: &Album, summary: &mut AlbumSummary) {
    let key = AlbumKey {
        server: ctx.owner.client.api_base().to_string(),
        album_id: album.id.clone(),
    };
    let noted = ctx
        .store
        .claim_made(&key, &album.album_name, ctx.job)
        .and_then(|()| {
            joinable(ctx.owner, ctx.slots)
                .filter(|a| album.role_of(&a.user.id).is_some())
                .try_for_each(|a| {
                    ctx.store
                        .note_member(&key, &a.user.id, &a.name.clone(), MemberState::Added)
                })
        });
    if let Err(error) = noted {
        summary.error.get_or_insert(format!("{error:#}"));
    }
}

/// Who an album the tool made should be shared with, and who a person took out of it.
#[derive(Debug, Default)]
struct Membership<'a> {
    /// Connected accounts of the job that are not members and were never taken out.
    share: Vec<&'a Account>,
    /// Accounts the tool had shared the album with and a person took out: (account, newly seen).
    taken_out: Vec<(&'a Account, bool)>,
}

/// Decides the membership of an album the tool made (for an album a person made: nothing). Each
/// connected account of the job on the album's server that is not a member is shared the album as
/// editor, unless the record says the tool had shared it and a person took the account out.
fn membership<'a>(
    store: &Store,
    owner: &'a Account,
    slots: &'a [Slot],
    album: &Album,
    key: &AlbumKey,
) -> anyhow::Result<Membership<'a>> {
    let mut plan = Membership::default();
    if !store.made(key)? && !store.was_making(&key.server, &album.album_name)? {
        return Ok(plan);
    }
    let recorded = store.members(key)?;
    for account in joinable(owner, slots) {
        if album.role_of(&account.user.id).is_some() {
            continue;
        }
        match recorded.get(&account.user.id) {
            None => plan.share.push(account),
            Some(MemberState::Added) => plan.taken_out.push((account, true)),
            Some(MemberState::Removed) => plan.taken_out.push((account, false)),
        }
    }
    Ok(plan)
}

/// Shares an album the tool made with the job's accounts that are not members (a sync made while an
/// account failed is shared with it later), and notes who a person took out. The album as it is
/// afterwards.
async fn share(ctx: &Apply<'_>, album: Album, key: &AlbumKey, summary: &mut AlbumSummary) -> Album {
    let plan = match membership(ctx.store, ctx.owner, ctx.slots, &album, key) {
        Ok(plan) => plan,
        Err(error) => {
            summary.error.get_or_insert(format!("{error:#}"));
            return album;
        }
    };
    for (account, newly) in &plan.taken_out {
        let name = account.name.clone();
        if *newly
            && let Err(error) =
                ctx.store
                    .note_member(key, &account.user.id, &name, MemberState::Removed)
        {
            summary.error.get_or_insert(format!("{error:#}"));
        }
        summary.members_taken_out.push(name);
    }
    if plan.share.is_empty() {
        return album;
    }
    let names: Vec<String> = plan.share.iter().map(|a| a.name.clone()).collect();
    match ctx
        .owner
        .client
        .share_album(&album.id, &editors(plan.share.iter().copied()))
        .await
    {
        Ok(shared) => {
            for (account, name) in plan.share.iter().zip(&names) {
                if let Err(error) =
                    ctx.store
                        .note_member(key, &account.user.id, name, MemberState::Added)
                {
                    summary.error.get_or_insert(format!("{error:#}"));
                }
            }
            summary.shared_with = names;
            shared
        }
        Err(error) => {
            summary.error.get_or_insert(format!(
                "could not share album `{}` with {}: {error}",
                album.album_name,
                names.join(", ")
            ));
            album
        }
    }
}

/// One account adds its part with its own key: intents first, then the request, then each per-id
/// answer confirmed (added, or already there after a retry: the tool's; refused: not). Ids of a batch
/// that was never answered stay intents, settled by the next run.
async fn add_part(
    ctx: &Apply<'_>,
    album: &Album,
    key: &AlbumKey,
    slot: &Slot,
    account: &Account,
    part: &decide::AccountPart,
    taken_out: &[String],
) -> Result<Option<album::AddOutcome>, String> {
    if part.to_add.is_empty() {
        return Ok(None);
    }
    match album.role_of(&account.user.id) {
        Some(AlbumRole::Owner | AlbumRole::Editor) => {}
        None if taken_out.contains(&slot.name) => {
            return Err(format!(
                "{} was taken out of album `{}` by a person after the tool had shared it, so the \
                 tool does not share it again and {}; share the album with {} as editor in \
                 Immich, or take {} out of the job's accounts",
                slot.name,
                album.album_name,
                match part.to_add.len() {
                    1 => "1 photo waits".to_string(),
                    n => format!("{n} photos wait"),
                },
                account.user.email,
                slot.name
            ));
        }
        role => {
            let what = match role {
                Some(AlbumRole::Viewer) => "only a viewer of",
                _ => "not a member of",
            };
            let owner = album.owner().map_or("its owner", |u| u.name.as_str());
            return Err(format!(
                "{} is {what} album `{}`, so it cannot add; ask {owner} to share it with {} as \
                 editor",
                slot.name, album.album_name, account.user.email
            ));
        }
    }
    let now = crate::clock::now();
    let entry = |id: Uuid, checksum: &str, state: EntryState| Entry {
        asset: id,
        checksum: checksum.into(),
        job: ctx.job.to_string(),
        account: slot.name.clone(),
        state,
        at: now,
    };
    let intents: Vec<Change> = part
        .to_add
        .iter()
        .map(|p| Change::Intend(entry(p.id, &p.checksum, EntryState::Adding)))
        .collect();
    // An intent the record did not take (the row is another job's, the job's own `added` row that
    // another process of it wrote since this run listed the album, or a tombstone): not sent.
    let skipped: HashSet<Uuid> = ctx
        .store
        .write(key, &intents)
        .map_err(|e| format!("nothing added: {e:#}"))?
        .into_iter()
        .collect();
    let ids: Vec<Uuid> = part
        .to_add
        .iter()
        .map(|p| p.id)
        .filter(|id| !skipped.contains(id))
        .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let outcome = album::add(&account.client, &album.id, &ids).await;
    let checksums: std::collections::HashMap<&Uuid, &str> =
        part.to_add.iter().map(|p| (&p.id, &*p.checksum)).collect();
    let checksum_of = |id: &Uuid| -> &str { checksums.get(id).copied().unwrap_or("") };
    // `duplicate` to a request the client sent more than once is, in all likelihood, its own add
    // whose first answer was lost: the tool's. To a request sent once, it was there before the add:
    // a person put it in between this run's listing and its add, and it stays theirs.
    let mut confirmed: Vec<Change> = outcome
        .added
        .iter()
        .chain(&outcome.already_after_resend)
        .map(|id| Change::Put(entry(*id, checksum_of(id), EntryState::Added)))
        .collect();
    // Refused, or a person's: the intent is forgotten, unless another process's row replaced it.
    confirmed.extend(
        outcome
            .refused
            .values()
            .flatten()
            .chain(&outcome.already)
            .map(|id| Change::Forget(entry(*id, checksum_of(id), EntryState::Adding))),
    );
    // A request that failed may have landed, its answer lost. Looked at now, while the run is at it,
    // the album tells: the next run could not tell such an add from a person's removal since.
    if outcome.failed.is_some() {
        let answered: HashSet<&Uuid> = outcome
            .added
            .iter()
            .chain(&outcome.already)
            .chain(&outcome.already_after_resend)
            .chain(outcome.refused.values().flatten())
            .collect();
        let open: Vec<&Pick> = part
            .to_add
            .iter()
            .filter(|p| !answered.contains(&p.id))
            .collect();
        if !open.is_empty() {
            match album::ids_held(&ctx.owner.client, &album.id).await {
                Ok(held) => confirmed.extend(open.into_iter().map(|p| {
                    if held.contains(&p.id) {
                        Change::Put(entry(p.id, &p.checksum, EntryState::Added))
                    } else {
                        Change::Forget(entry(p.id, &p.checksum, EntryState::Adding))
                    }
                })),
                // The intents stay; the next run settles them against the album.
                Err(error) => tracing::debug!("the adds of a failed request stay open: {error}"),
            }
        }
    }
    if let Err(error) = ctx.store.write(key, &confirmed) {
        // The intents stay; the next run settles them against the album.
        tracing::warn!("{error:#}");
    }
    Ok(Some(outcome))
}

/// The owner removes what the decision takes out (from the album, never from the library): intents
/// first, then the requests, then each per-id answer confirmed.
async fn remove_stale(
    ctx: &Apply<'_>,
    album: &Album,
    key: &AlbumKey,
    removals: &[decide::Stale],
    summary: &mut AlbumSummary,
) {
    let now = crate::clock::now();
    let entry = |stale: &decide::Stale, state: EntryState| Entry {
        asset: stale.id,
        checksum: stale.checksum.clone(),
        job: ctx.job.to_string(),
        account: stale.account.clone(),
        state,
        at: now,
    };
    let intents: Vec<Change> = removals
        .iter()
        .map(|s| Change::Intend(entry(s, EntryState::Removing)))
        .collect();
    // An intent the record did not take (the row changed hands since this run read it): not sent.
    let skipped: HashSet<Uuid> = match ctx.store.write(key, &intents) {
        Ok(skipped) => skipped.into_iter().collect(),
        Err(error) => {
            summary.error = Some(format!("nothing removed: {error:#}"));
            return;
        }
    };
    let ids: Vec<Uuid> = removals
        .iter()
        .map(|s| s.id)
        .filter(|id| !skipped.contains(id))
        .collect();
    if ids.is_empty() {
        return;
    }
    let outcome = album::remove(&ctx.owner.client, &album.id, &ids).await;
    let stale: std::collections::HashMap<&Uuid, &decide::Stale> =
        removals.iter().map(|s| (&s.id, s)).collect();
    let by_id = |id: &Uuid| stale.get(id).copied();
    let mut confirmed: Vec<Change> = Vec::new();
    // A `not_found` to a resent removal is most likely the first sending's work.
    for id in outcome.removed.iter().chain(&outcome.gone_after_resend) {
        if let Some(stale) = by_id(id) {
            confirmed.push(Change::Put(entry(stale, EntryState::Removed)));
        }
    }
    // Not in the album before this removal: one the listing showed left it just now (a person, or
    // another run); one the listing could not show, a person took out.
    for id in &outcome.gone {
        if let Some(stale) = by_id(id) {
            confirmed.push(match stale.if_absent {
                Some(state) => Change::Put(entry(stale, state)),
                // An add that never landed: the intent written just now is forgotten.
                None => Change::Forget(entry(stale, EntryState::Removing)),
            });
        }
    }
    for id in outcome.refused.values().flatten() {
        if let Some(stale) = by_id(id) {
            confirmed.push(Change::Put(entry(stale, EntryState::Added)));
        }
    }
    // A request that failed may have landed, its answer lost. Looked at now, the album tells, where
    // its answer can show the asset (2.x leaves trashed and hidden ones out): the next run could not
    // tell a removal that never landed from a person who put the photo back since.
    let mut verified = 0;
    if outcome.failed.is_some() {
        let answered: HashSet<&Uuid> = outcome
            .removed
            .iter()
            .chain(&outcome.gone)
            .chain(&outcome.gone_after_resend)
            .chain(outcome.refused.values().flatten())
            .collect();
        let two_x = ctx.owner.client.version().is_2x();
        let shown = |s: &decide::Stale| {
            !two_x
                || (s.if_absent == Some(EntryState::Removed)
                    && !matches!(
                        s.reason,
                        decide::Reason::Trashed
                            | decide::Reason::Hidden
                            | decide::Reason::Unfinished
                    ))
        };
        let open: Vec<&decide::Stale> = removals
            .iter()
            .filter(|s| ids.contains(&s.id) && !answered.contains(&s.id) && shown(s))
            .collect();
        if !open.is_empty() {
            match album::ids_held(&ctx.owner.client, &album.id).await {
                Ok(held) => {
                    for stale in open {
                        let landed = !held.contains(&stale.id);
                        verified += usize::from(landed);
                        let state = if landed {
                            EntryState::Removed
                        } else {
                            EntryState::Added
                        };
                        confirmed.push(Change::Put(entry(stale, state)));
                    }
                }
                // The intents stay; the next run settles them against the album.
                Err(error) => {
                    tracing::debug!("the removals of a failed request stay open: {error}")
                }
            }
        }
    }
    if let Err(error) = ctx.store.write(key, &confirmed) {
        tracing::warn!("{error:#}");
    }
    summary.removed = outcome.removed.len() + outcome.gone_after_resend.len() + verified;
    summary.removal_refused = outcome
        .refused
        .iter()
        .map(|(reason, ids)| (reason.clone(), ids.len()))
        .collect();
    if let Some(error) = outcome.failed {
        summary.error = Some(format!("removing from `{}`: {error}", album.album_name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> AlbumSummary {
        AlbumSummary {
            name: "Kids".into(),
            id: Some("a1".into()),
            owner: "alice".into(),
            created: false,
            fail_closed: None,
            prune: true,
            held_by_tool: 3,
            to_remove: Vec::new(),
            no_longer_selected: 0,
            removals_blocked: None,
            listing_incomplete: None,
            removed: 0,
            removal_refused: BTreeMap::new(),
            error: None,
            looks: Vec::new(),
            shared_link: None,
            left_flagged: 0,
            left_flagged_ids: Vec::new(),
            adoptable: 0,
            adopted: 0,
            shared_with: Vec::new(),
            members_taken_out: Vec::new(),
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
    fn a_link_is_changed_where_it_differs_from_the_job_and_nowhere_else() {
        let secret = crate::secret::ApiKey::new("pw").unwrap();
        let other = crate::secret::ApiKey::new("old").unwrap();
        let link = |password: Option<&crate::secret::ApiKey>, download, metadata, upload| {
            crate::immich::SharedLink {
                id: "l".into(),
                key: "k".into(),
                expires_at: None,
                password: password.cloned(),
                allow_download: download,
                show_metadata: metadata,
                allow_upload: upload,
                slug: None,
            }
        };
        let job = LinkSettings {
            password: Some(&secret),
            allow_download: false,
            show_metadata: false,
        };
        let (changes, said) = link_changes(&link(Some(&secret), false, false, false), &job, None);
        assert!(changes.is_empty() && said.is_empty(), "{said:?}");
        let expiry = "2030-01-01T00:00:00.000Z".to_string();
        let (changes, said) = link_changes(
            &link(Some(&secret), false, false, false),
            &job,
            Some(&expiry),
        );
        assert_eq!(
            Value::Object(changes),
            serde_json::json!({"expiresAt": expiry})
        );
        assert_eq!(said, ["renew"]);
        let (changes, said) = link_changes(&link(Some(&other), true, true, true), &job, None);
        assert_eq!(
            Value::Object(changes),
            serde_json::json!({"password": "pw", "allowDownload": false, "showMetadata": false,
                               "allowUpload": false})
        );
        assert_eq!(
            said,
            [
                "change its password",
                "stop downloads",
                "hide metadata",
                "stop uploads"
            ]
        );
        let open = LinkSettings {
            password: None,
            allow_download: true,
            show_metadata: true,
        };
        let (changes, said) = link_changes(&link(Some(&other), false, false, false), &open, None);
        assert_eq!(
            Value::Object(changes),
            serde_json::json!({"password": null, "allowDownload": true, "showMetadata": true})
        );
        assert_eq!(
            said,
            ["take its password away", "allow downloads", "show metadata"]
        );
        let (_, said) = link_changes(&link(None, true, true, false), &job, None);
        assert_eq!(said[0], "set its password");
        assert!(
            !format!("{said:?}").contains("pw\""),
            "never the password itself"
        );
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
