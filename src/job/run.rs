//! Running one job across its accounts: resolve person names per account, run every account's
//! searches concurrently, merge and dedupe by checksum, compare with what the albums hold, and (for a
//! sync) create the album if needed and let each account add its own assets with its own key. One
//! failing account does not stop the others, but the safe album fails closed: if any account's safe
//! exclusions are unknown, nothing is added to it in this run. Nothing is ever removed from an album.
//! With [`RunOptions::ids`] the report also carries the asset ids behind its counts (for the HTML
//! preview); they never reach the text or JSON reports.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use futures::future::join_all;
use serde::Serialize;
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::account::{
    AccountPlan, Evaluated, PeopleIndex, PlanBuilder, evaluate_plan, people_index,
};
use super::file::JobSpec;
use super::merge::{AlbumPart, Held, MergeInput, Merged, against_album, merge};
use crate::album;
use crate::error::input_error;
use crate::immich::{Album, AlbumRole, AlbumUserAdd, Client, User};

/// A connected account.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub client: Client,
    pub user: User,
    /// Limits the requests in flight to this account's server (shared by accounts on one server).
    pub limiter: Arc<Semaphore>,
}

/// An account of the job: connected, or why it could not be.
#[derive(Debug)]
pub struct Slot {
    pub name: String,
    pub account: Result<Account, String>,
}

/// Whether a run only looks or also adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Preview,
    Sync,
}

/// What a report carries besides the counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Links to the assets to add (`--list`).
    pub list: bool,
    /// The ids of the assets to add, of those a safe album leaves out, and of the dropped duplicates
    /// with the copies kept instead.
    pub ids: bool,
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
}

#[derive(Debug, Default, Serialize)]
pub struct AccountReport {
    pub account: String,
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
}

/// One account's part of one album.
#[derive(Debug, Default, Serialize)]
pub struct AlbumRow {
    /// Removed by this album's own exclusions (the safe album's).
    pub excluded: usize,
    pub already: usize,
    pub to_add: usize,
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
    /// Whether anything went wrong: a failed account, a refused or failed add, a safe album that
    /// failed closed.
    pub fn failed(&self) -> bool {
        let row_failed = |row: &AlbumRow| row.error.is_some() || !row.refused.is_empty();
        self.safe.as_ref().is_some_and(|s| s.fail_closed.is_some())
            || self.accounts.iter().any(|a| {
                a.error.is_some() || row_failed(&a.album) || a.safe.as_ref().is_some_and(row_failed)
            })
    }
}

/// Runs one job. `owner` is the account that owns (or creates) the albums; it must be one of `slots`.
/// Input errors (an ambiguous album name, a person no account knows) come back as errors before
/// anything changes; so does a failure of the owner, without whom the album cannot be found.
pub async fn run_job(
    spec: &JobSpec,
    slots: &[Slot],
    owner: &str,
    mode: Mode,
    list: bool,
) -> anyhow::Result<JobReport> {
    let options = RunOptions { list, ids: false };
    run_job_with(spec, slots, owner, mode, options).await
}

/// [`run_job`], with the report's extra detail chosen by `options`.
pub async fn run_job_with(
    spec: &JobSpec,
    slots: &[Slot],
    owner: &str,
    mode: Mode,
    options: RunOptions,
) -> anyhow::Result<JobReport> {
    // Every request of the job, album work included, waits for its server's in-flight limit.
    let limited: Vec<Slot> = slots
        .iter()
        .map(|slot| Slot {
            name: slot.name.clone(),
            account: slot.account.clone().map(|account| Account {
                client: account.client.with_limiter(account.limiter.clone()),
                ..account
            }),
        })
        .collect();
    let slots = &limited[..];
    let owner_slot = slots
        .iter()
        .find(|s| s.name == owner)
        .expect("the caller checks that the owner is an account of the job");
    let owner_account = owner_slot.account.as_ref().map_err(|error| {
        anyhow::anyhow!(
            "job `{}`: the album owner `{owner}` failed: {error}",
            spec.name
        )
    })?;
    let mut errors: Vec<Option<String>> = slots
        .iter()
        .map(|s| s.account.as_ref().err().cloned())
        .collect();

    // Person names, per account.
    let names = spec.people();
    let mut indexes: Vec<PeopleIndex> = vec![PeopleIndex::new(); slots.len()];
    if !names.is_empty() {
        let fetched = join_all(slots.iter().map(|slot| async move {
            match &slot.account {
                Ok(account) => Some(people_index(&account.client).await),
                Err(_) => None,
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
        if errors.iter().all(Option::is_none) {
            let unknown: Vec<String> = names
                .iter()
                .filter(|n| {
                    indexes
                        .iter()
                        .all(|index| !index.contains_key(&n.to_lowercase()))
                })
                .map(|n| format!("`{n}`"))
                .collect();
            if !unknown.is_empty() {
                return Err(input_error(format!(
                    "job `{}`: no account of the job ({}) knows a person named {}; check the names \
                     under People in Immich",
                    spec.name,
                    slots
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    unknown.join(", ")
                )));
            }
        }
    }

    if let Some(error) = slots
        .iter()
        .position(|s| s.name == owner)
        .and_then(|i| errors[i].as_ref())
    {
        anyhow::bail!(
            "job `{}`: the album owner `{owner}` failed: {error}",
            spec.name
        );
    }

    let plans: Vec<AccountPlan> = indexes
        .iter()
        .map(|index| {
            let mut builder = PlanBuilder::new(index, spec.local.clone());
            spec.include.iter().for_each(|c| builder.include(c));
            spec.exclude.iter().for_each(|c| builder.exclude(c));
            if let Some(safe) = &spec.safe {
                safe.exclude.iter().for_each(|c| builder.safe_exclude(c));
            }
            builder.build()
        })
        .collect();

    // The albums, through their owner; a mistake in their names stops the job before any search.
    let owner_client = &owner_account.client;
    let main_album = album::find(owner_client, &spec.album).await?;
    let safe_album = match &spec.safe {
        Some(safe) => album::find(owner_client, &safe.album).await?,
        None => None,
    };

    // Every account's searches and the albums' contents, concurrently.
    let contents = |album: &Option<Album>| {
        let album = album.clone();
        async move {
            match album {
                Some(album) => {
                    let expected = Some(album.asset_count as usize);
                    album::contents(owner_client, &album.id, expected)
                        .await
                        .map(Held::from_contents)
                }
                None => Ok(Held::default()),
            }
        }
    };
    let searches = join_all(slots.iter().zip(&plans).zip(&errors).map(
        |((slot, plan), error)| async move {
            match (&slot.account, error) {
                (Ok(account), None) => Some(evaluate_plan(&account.client, plan).await),
                _ => None,
            }
        },
    ));
    let (searched, held_main, held_safe) =
        tokio::join!(searches, contents(&main_album), contents(&safe_album));
    let (held_main, held_safe) = (held_main?, held_safe?);
    let evaluated: Vec<Option<Evaluated>> = searched
        .into_iter()
        .enumerate()
        .map(|(i, result)| match result {
            Some(Ok(evaluated)) => Some(evaluated),
            Some(Err(error)) => {
                errors[i] = Some(error.to_string());
                None
            }
            None => None,
        })
        .collect();

    // Merge and dedupe.
    let excluded: HashSet<Box<str>> = evaluated
        .iter()
        .flatten()
        .flat_map(|e| e.excluded.iter().cloned())
        .collect();
    let inputs: Vec<Option<MergeInput<'_>>> = slots
        .iter()
        .zip(&evaluated)
        .map(|(slot, evaluated)| match (&slot.account, evaluated) {
            (Ok(account), Some(evaluated)) => Some(MergeInput {
                user: Uuid::parse_str(&account.user.id).unwrap_or_default(),
                matched: evaluated.matched.values().collect(),
            }),
            _ => None,
        })
        .collect();
    let merged = merge(&inputs, &excluded);

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

    let mut reports: Vec<AccountReport> = Vec::with_capacity(slots.len());
    let mut parts: Vec<Option<(AlbumPart, Option<AlbumPart>)>> = Vec::with_capacity(slots.len());
    for (i, slot) in slots.iter().enumerate() {
        let mut report = AccountReport {
            account: slot.name.clone(),
            error: errors[i].clone(),
            notes: plans[i].notes.clone(),
            ..AccountReport::default()
        };
        let part = match (&merged[i], &evaluated[i]) {
            (Some(share), Some(found)) => {
                fill_counts(&mut report, share, found);
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
                let main = against_album(&share.chosen, &held_main, None);
                let safe = spec
                    .safe
                    .as_ref()
                    .map(|_| against_album(&share.chosen, &held_safe, Some(&safe_excluded)));
                report.album = row(&main, slot, options);
                report.safe = safe.as_ref().map(|s| row(s, slot, options));
                Some((main, safe))
            }
            _ => None,
        };
        reports.push(report);
        parts.push(part);
    }

    let mut summary = AlbumSummary {
        name: spec.album.clone(),
        id: main_album.as_ref().map(|a| a.id.clone()),
        owner: owner.to_string(),
        created: false,
        fail_closed: None,
    };
    let mut safe_summary = spec.safe.as_ref().map(|safe| AlbumSummary {
        name: safe.album.clone(),
        id: safe_album.as_ref().map(|a| a.id.clone()),
        owner: owner.to_string(),
        created: false,
        fail_closed: safe_fail.clone(),
    });

    if mode == Mode::Sync {
        let main_parts: Vec<Option<&AlbumPart>> = parts
            .iter()
            .map(|p| p.as_ref().map(|(main, _)| main))
            .collect();
        apply(
            slots,
            owner_account,
            main_album,
            &spec.album,
            &mut summary,
            &main_parts,
            &mut reports,
            |r| &mut r.album,
        )
        .await;
        if let Some(safe_summary) = safe_summary.as_mut()
            && safe_fail.is_none()
        {
            let safe_parts: Vec<Option<&AlbumPart>> = parts
                .iter()
                .map(|p| p.as_ref().and_then(|(_, safe)| safe.as_ref()))
                .collect();
            let name = safe_summary.name.clone();
            apply(
                slots,
                owner_account,
                safe_album,
                &name,
                safe_summary,
                &safe_parts,
                &mut reports,
                |r| {
                    r.safe
                        .as_mut()
                        .expect("a safe row for every merged account")
                },
            )
            .await;
        }
    }

    Ok(JobReport {
        job: spec.name.clone(),
        applied: mode == Mode::Sync,
        include_conditions: spec.include.iter().map(|c| c.label()).collect(),
        exclude_conditions: spec.exclude.iter().map(|c| c.label()).collect(),
        album: summary,
        safe: safe_summary,
        accounts: reports,
    })
}

fn fill_counts(report: &mut AccountReport, share: &Merged, found: &Evaluated) {
    report.found = found.include_counts.clone();
    report.excluded_found = found.exclude_counts.clone();
    report.matched = found.matched.len();
    report.after_excludes = share.after_excludes;
    report.after_local = share.after_local;
    report.duplicates = share.duplicates;
}

fn row(part: &AlbumPart, slot: &Slot, options: RunOptions) -> AlbumRow {
    let ids = |ids: &[Uuid]| -> Vec<String> {
        if options.ids {
            ids.iter().map(Uuid::to_string).collect()
        } else {
            Vec::new()
        }
    };
    let links = match (&slot.account, options.list) {
        (Ok(account), true) => {
            let mut links: Vec<String> = part
                .to_add
                .iter()
                .map(|id| account.client.photo_url(&id.to_string()))
                .collect();
            links.sort();
            links
        }
        _ => Vec::new(),
    };
    AlbumRow {
        excluded: part.excluded,
        already: part.already,
        to_add: part.to_add.len(),
        links,
        to_add_ids: ids(&part.to_add),
        excluded_ids: ids(&part.excluded_ids),
        ..AlbumRow::default()
    }
}

/// Adds every account's part to one album, creating it first (owned by `owner`, shared as editor with
/// every other connected account of the job) when it does not exist.
#[allow(clippy::too_many_arguments)]
async fn apply(
    slots: &[Slot],
    owner: &Account,
    existing: Option<Album>,
    name: &str,
    summary: &mut AlbumSummary,
    parts: &[Option<&AlbumPart>],
    reports: &mut [AccountReport],
    row_of: impl Fn(&mut AccountReport) -> &mut AlbumRow,
) {
    let album = match existing {
        Some(album) => album,
        None => {
            let members: Vec<AlbumUserAdd> = slots
                .iter()
                .filter_map(|s| s.account.as_ref().ok())
                .filter(|a| a.user.id != owner.user.id)
                .map(|a| AlbumUserAdd {
                    user_id: a.user.id.clone(),
                    role: AlbumRole::Editor,
                })
                .collect();
            match owner.client.create_album(name, &members).await {
                Ok(album) => {
                    summary.created = true;
                    summary.id = Some(album.id.clone());
                    album
                }
                Err(error) => {
                    let message = format!("could not create album `{name}`: {error}");
                    for (report, part) in reports.iter_mut().zip(parts) {
                        if part.is_some() {
                            row_of(report).error = Some(message.clone());
                        }
                    }
                    return;
                }
            }
        }
    };

    let adds = slots.iter().zip(parts).map(|(slot, part)| {
        let album = &album;
        async move {
            let (Ok(account), Some(part)) = (&slot.account, part) else {
                return None;
            };
            if part.to_add.is_empty() {
                return Some(Ok(None));
            }
            match album.role_of(&account.user.id) {
                Some(AlbumRole::Owner | AlbumRole::Editor) => {}
                role => {
                    let what = match role {
                        Some(AlbumRole::Viewer) => "only a viewer of",
                        _ => "not a member of",
                    };
                    let owner = album.owner().map_or("its owner", |u| u.name.as_str());
                    return Some(Err(format!(
                        "{} is {what} album `{}`, so it cannot add; ask {owner} to share it with \
                         {} as editor",
                        slot.name, album.album_name, account.user.email
                    )));
                }
            }
            Some(Ok(Some(
                album::add(&account.client, &album.id, &part.to_add).await,
            )))
        }
    });
    let outcomes = join_all(adds).await;
    for (report, outcome) in reports.iter_mut().zip(outcomes) {
        let row = row_of(report);
        match outcome {
            None | Some(Ok(None)) => {}
            Some(Err(message)) => row.error = Some(message),
            Some(Ok(Some(outcome))) => {
                row.added = outcome.added;
                row.already += outcome.already;
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
