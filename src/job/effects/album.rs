//! A sync's changes to one album: create it when it does not exist, settle and note it in the record,
//! adopt, let every account add its own part with its own key (an account on another server through
//! the receiving account's copies), and let the owner remove what the decision takes out (from the
//! album, never from the library). Every add and removal is an intent in the record before its
//! request and is confirmed from the per-id answers after it.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::future::join_all;
use uuid::Uuid;

use super::copies::Copying;
use super::members::{self, Members};
use super::{Effects, key_of};
use crate::album::{self as albums, AddOutcome};
use crate::immich::{Album, AlbumRole};
use crate::job::decide::{self, AccountPart, AlbumDecision, Pick, Stale};
use crate::job::model::{Account, Slot};
use crate::state::{AlbumKey, Change, Entry, EntryState};

/// What one account's add did.
#[derive(Debug)]
pub enum Added {
    /// Nothing to add, nothing sent (or the account is not connected).
    Nothing,
    /// It could not add: why.
    Failed(String),
    /// The server's per-id answers.
    Done(Box<AddOutcome>),
}

/// What a run did (a sync) or would do (a preview) to one album, beyond its decision.
#[derive(Debug, Default)]
pub struct AlbumOutcome {
    /// The album's id after the run: found, or made by a sync; `None` while it does not exist.
    pub id: Option<String>,
    /// Made by this run.
    pub created: bool,
    /// Taken over by this run (`sync --adopt`).
    pub adopted: usize,
    pub members: Members,
    /// Why no account could add (the album could not be made): said on every account with a part.
    pub create_failed: Option<String>,
    /// Per account in job order, when the accounts' adds ran.
    pub adds: Option<Vec<Added>>,
    pub removed: usize,
    /// Removals the server refused, by its reason.
    pub removal_refused: BTreeMap<String, usize>,
    /// The first thing that went wrong with the album itself (the record, sharing, a removal).
    pub error: Option<String>,
    /// What the adds and removals did to its contents, as their answers tell it.
    pub contents: ContentChanges,
}

/// What a sync did to an album's contents, as the per-id answers tell it: what keeps the album's
/// view in the record true without listing it again (`job::since`).
#[derive(Debug, Default)]
pub struct ContentChanges {
    /// Put in by this run: id and checksum.
    pub added: Vec<(Uuid, Box<str>)>,
    /// Taken out by this run.
    pub removed: Vec<Uuid>,
    /// An answer left the contents uncertain (a failed request, one another process raced), or showed
    /// that the album held what this run did not know of (`duplicate` to an add sent once,
    /// `not_found` to a removal sent once).
    pub unsure: bool,
    /// Assets an add found gone from their owner's library: the searches' record is out of date
    /// (a photo deleted for good without an update the run could see).
    pub vanished: usize,
}

impl AlbumOutcome {
    /// A preview's outcome: the album as found, and who a sync would share it with.
    pub fn preview(id: Option<String>, members: Members) -> AlbumOutcome {
        let error = members.error.clone();
        AlbumOutcome {
            id,
            members,
            error,
            ..AlbumOutcome::default()
        }
    }

    fn fail(&mut self, error: String) {
        self.error.get_or_insert(error);
    }
}

/// Applies one album's decision (`adds_open` false: the album failed closed and takes no additions;
/// it is not even created, so nothing shows it half-filled).
pub async fn apply(
    fx: &Effects<'_>,
    copying: &Copying,
    existing: Option<Album>,
    name: &str,
    role: &str,
    decision: &AlbumDecision,
    adds_open: bool,
) -> AlbumOutcome {
    let mut outcome = AlbumOutcome {
        id: existing.as_ref().map(|a| a.id.clone()),
        ..AlbumOutcome::default()
    };
    let album = match existing {
        Some(album) => album,
        None if !adds_open => return outcome,
        None => match members::create(fx, name).await {
            Ok((album, made)) => {
                outcome.created = made;
                outcome.id = Some(album.id.clone());
                if made && let Err(error) = members::note_created(fx, &album, false) {
                    outcome.fail(error);
                }
                album
            }
            Err(message) => {
                outcome.create_failed = Some(message);
                return outcome;
            }
        },
    };
    let key = key_of(fx, &album.id);
    let mut changes = decision.settle.clone();
    if fx.adopt {
        changes.extend(decision.adoptable.iter().cloned().map(Change::Claim));
    }
    let noted = fx
        .store
        .note_album(&key, &fx.job.name, &album.album_name, role)
        .and_then(|()| fx.store.write(&key, &changes));
    if let Err(error) = noted {
        // Without a record, nothing may change: an add could not be told from a person's later.
        outcome.error = Some(format!("{error:#}"));
        return outcome;
    }
    if fx.adopt {
        outcome.adopted = decision.adoptable.len();
    }
    // An album this job was making when the answer was lost: the tool's, shared with whom it was
    // made for.
    match fx.store.was_making(&key.server, &album.album_name) {
        Ok(true) => {
            if let Err(error) = members::note_created(fx, &album, true) {
                outcome.fail(error);
            }
        }
        Ok(false) => {}
        Err(error) => outcome.fail(format!("{error:#}")),
    }
    let (album, members) = members::share(fx, album, &key).await;
    if let Some(error) = &members.error {
        outcome.fail(error.clone());
    }
    outcome.members = members;

    if adds_open {
        let taken_out = &outcome.members.taken_out;
        let adds = fx
            .slots
            .iter()
            .zip(&decision.accounts)
            .enumerate()
            .map(|(i, (slot, part))| {
                let (album, key) = (&album, &key);
                async move {
                    let (Ok(account), Some(part)) = (&slot.account, part) else {
                        return (Added::Nothing, ContentChanges::default());
                    };
                    let added = match copying.receiver {
                        Some(receiver)
                            if account.client.api_base() != fx.owner.client.api_base() =>
                        {
                            // On another server: its copies, added by the receiving account.
                            let receiver = &fx.slots[receiver];
                            let (Ok(receiving), Some(ids)) = (&receiver.account, &copying.ids[i])
                            else {
                                return (Added::Nothing, ContentChanges::default());
                            };
                            let copies = AccountPart {
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
                                ..AccountPart::default()
                            };
                            add_part(fx, album, key, receiver, receiving, &copies, taken_out).await
                        }
                        _ => add_part(fx, album, key, slot, account, part, taken_out).await,
                    };
                    match added {
                        Ok(Some((done, changes))) => (Added::Done(Box::new(done)), changes),
                        Ok(None) => (Added::Nothing, ContentChanges::default()),
                        Err(message) => (Added::Failed(message), ContentChanges::default()),
                    }
                }
            });
        let (adds, changes): (Vec<Added>, Vec<ContentChanges>) =
            join_all(adds).await.into_iter().unzip();
        for changes in changes {
            outcome.contents.added.extend(changes.added);
            outcome.contents.unsure |= changes.unsure;
            outcome.contents.vanished += changes.vanished;
        }
        outcome.adds = Some(adds);
    }

    let removals = decision.removals();
    if !removals.is_empty() {
        remove_stale(fx, &album, &key, &removals, &mut outcome).await;
    }
    outcome
}

/// One account adds its part with its own key: intents first, then the request, then each per-id
/// answer confirmed (added, or already there after a retry: the tool's; refused: not). Ids of a batch
/// that was never answered stay intents, settled by the next run.
async fn add_part(
    fx: &Effects<'_>,
    album: &Album,
    key: &AlbumKey,
    slot: &Slot,
    account: &Account,
    part: &AccountPart,
    taken_out: &[String],
) -> Result<Option<(AddOutcome, ContentChanges)>, String> {
    if part.to_add.is_empty() {
        return Ok(None);
    }
    may_add(album, slot, account, part, taken_out)?;
    let now = crate::clock::now();
    let entry = |id: Uuid, checksum: &str, state: EntryState| Entry {
        asset: id,
        checksum: checksum.into(),
        job: fx.job.name.clone(),
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
    let skipped: HashSet<Uuid> = fx
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
    let mut outcome = albums::add(&account.client, &album.id, &ids).await;
    outcome.sort_out_vanished(&account.client).await;
    let checksums: HashMap<&Uuid, &str> =
        part.to_add.iter().map(|p| (&p.id, &*p.checksum)).collect();
    let checksum_of = |id: &Uuid| -> &str { checksums.get(id).copied().unwrap_or("") };
    let mut changes = ContentChanges {
        added: outcome
            .added
            .iter()
            .chain(&outcome.already_after_resend)
            .map(|id| (*id, checksum_of(id).into()))
            .collect(),
        removed: Vec::new(),
        unsure: !skipped.is_empty() || !outcome.already.is_empty() || outcome.failed.is_some(),
        vanished: outcome.vanished.len(),
    };
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
            .chain(&outcome.vanished)
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
            .chain(&outcome.vanished)
            .collect();
        let open: Vec<&Pick> = part
            .to_add
            .iter()
            .filter(|p| !answered.contains(&p.id))
            .collect();
        if !open.is_empty() {
            match albums::ids_held(&fx.owner.client, &album.id).await {
                Ok(held) => confirmed.extend(open.into_iter().map(|p| {
                    if held.contains(&p.id) {
                        changes.added.push((p.id, p.checksum.clone()));
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
    if let Err(error) = fx.store.write(key, &confirmed) {
        // The intents stay; the next run settles them against the album.
        tracing::warn!("{error:#}");
    }
    Ok(Some((outcome, changes)))
}

/// Whether an account may add to the album: an owner or editor may; a member a person took out, a
/// viewer, or an account that is not a member may not, and the error says what a person can do.
fn may_add(
    album: &Album,
    slot: &Slot,
    account: &Account,
    part: &AccountPart,
    taken_out: &[String],
) -> Result<(), String> {
    match album.role_of(&account.user.id) {
        Some(AlbumRole::Owner | AlbumRole::Editor) => Ok(()),
        None if taken_out.contains(&slot.name) => Err(format!(
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
        )),
        role => {
            let what = match role {
                Some(AlbumRole::Viewer) => "only a viewer of",
                _ => "not a member of",
            };
            let owner = album.owner().map_or("its owner", |u| u.name.as_str());
            Err(format!(
                "{} is {what} album `{}`, so it cannot add; ask {owner} to share it with {} as \
                 editor",
                slot.name, album.album_name, account.user.email
            ))
        }
    }
}

/// The owner removes what the decision takes out (from the album, never from the library): intents
/// first, then the requests, then each per-id answer confirmed.
async fn remove_stale(
    fx: &Effects<'_>,
    album: &Album,
    key: &AlbumKey,
    removals: &[Stale],
    outcome: &mut AlbumOutcome,
) {
    let now = crate::clock::now();
    let entry = |stale: &Stale, state: EntryState| Entry {
        asset: stale.id,
        checksum: stale.checksum.clone(),
        job: fx.job.name.clone(),
        account: stale.account.clone(),
        state,
        at: now,
    };
    let intents: Vec<Change> = removals
        .iter()
        .map(|s| Change::Intend(entry(s, EntryState::Removing)))
        .collect();
    // An intent the record did not take (the row changed hands since this run read it): not sent.
    let skipped: HashSet<Uuid> = match fx.store.write(key, &intents) {
        Ok(skipped) => skipped.into_iter().collect(),
        Err(error) => {
            outcome.error = Some(format!("nothing removed: {error:#}"));
            return;
        }
    };
    let ids: Vec<Uuid> = removals
        .iter()
        .map(|s| s.id)
        .filter(|id| !skipped.contains(id))
        .collect();
    outcome.contents.unsure |= !skipped.is_empty();
    if ids.is_empty() {
        return;
    }
    let answer = albums::remove(&fx.owner.client, &album.id, &ids).await;
    outcome.contents.unsure |= !answer.gone.is_empty() || answer.failed.is_some();
    outcome
        .contents
        .removed
        .extend(answer.removed.iter().chain(&answer.gone_after_resend));
    let stale: HashMap<&Uuid, &Stale> = removals.iter().map(|s| (&s.id, s)).collect();
    let by_id = |id: &Uuid| stale.get(id).copied();
    let mut confirmed: Vec<Change> = Vec::new();
    // A `not_found` to a resent removal is most likely the first sending's work.
    for id in answer.removed.iter().chain(&answer.gone_after_resend) {
        if let Some(stale) = by_id(id) {
            confirmed.push(Change::Put(entry(stale, EntryState::Removed)));
        }
    }
    // Not in the album before this removal: one the listing showed left it just now (a person, or
    // another run); one the listing could not show, a person took out.
    for id in &answer.gone {
        if let Some(stale) = by_id(id) {
            confirmed.push(match stale.if_absent {
                Some(state) => Change::Put(entry(stale, state)),
                // An add that never landed: the intent written just now is forgotten.
                None => Change::Forget(entry(stale, EntryState::Removing)),
            });
        }
    }
    for id in answer.refused.values().flatten() {
        if let Some(stale) = by_id(id) {
            confirmed.push(Change::Put(entry(stale, EntryState::Added)));
        }
    }
    // A request that failed may have landed, its answer lost. Looked at now, the album tells, where
    // its answer can show the asset (2.x leaves trashed and hidden ones out): the next run could not
    // tell a removal that never landed from a person who put the photo back since.
    let mut verified = 0;
    if answer.failed.is_some() {
        let answered: HashSet<&Uuid> = answer
            .removed
            .iter()
            .chain(&answer.gone)
            .chain(&answer.gone_after_resend)
            .chain(answer.refused.values().flatten())
            .collect();
        let two_x = fx.owner.client.version().is_2x();
        let shown = |s: &Stale| {
            !two_x
                || (s.if_absent == Some(EntryState::Removed)
                    && !matches!(
                        s.reason,
                        decide::Reason::Trashed
                            | decide::Reason::Hidden
                            | decide::Reason::Unfinished
                    ))
        };
        let open: Vec<&Stale> = removals
            .iter()
            .filter(|s| ids.contains(&s.id) && !answered.contains(&s.id) && shown(s))
            .collect();
        if !open.is_empty() {
            match albums::ids_held(&fx.owner.client, &album.id).await {
                Ok(held) => {
                    for stale in open {
                        let landed = !held.contains(&stale.id);
                        verified += usize::from(landed);
                        if landed {
                            outcome.contents.removed.push(stale.id);
                        }
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
    if let Err(error) = fx.store.write(key, &confirmed) {
        tracing::warn!("{error:#}");
    }
    outcome.removed = answer.removed.len() + answer.gone_after_resend.len() + verified;
    outcome.removal_refused = answer
        .refused
        .iter()
        .map(|(reason, ids)| (reason.clone(), ids.len()))
        .collect();
    if let Some(error) = answer.failed {
        outcome.error = Some(format!("removing from `{}`: {error}", album.album_name));
    }
}
