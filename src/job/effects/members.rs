//! Who an album the tool made is shared with. An album the tool makes is owned by the job's owner and
//! shared as editor with the job's other accounts on its server; one made while an account failed is
//! shared with it later; a member a person took out is never shared again. The record keeps which
//! albums the tool made and which members it added.

use super::{Effects, key_of};
use crate::album as albums;
use crate::immich::{Album, AlbumRole, AlbumUserAdd};
use crate::job::model::{Account, Slot};
use crate::state::{AlbumKey, MemberState, Store};

/// Who a run shared an album with (a preview: would share it with), and who a person took out.
#[derive(Debug, Default, Clone)]
pub struct Members {
    /// Accounts of the job this run shared the album with (or would).
    pub shared_with: Vec<String>,
    /// Accounts the tool had shared the album with and a person took out: not shared again.
    pub taken_out: Vec<String>,
    /// The first thing that went wrong (the record, or the request).
    pub error: Option<String>,
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
pub async fn create(fx: &Effects<'_>, name: &str) -> Result<(Album, bool), String> {
    let server = fx.owner.client.api_base();
    let _turn = match fx.store.album_lock_path(server, name) {
        Some(path) => Some(take_turn(&path).await?),
        None => None,
    };
    let found = albums::find(&fx.owner.client, name)
        .await
        .map_err(|error| format!("could not look for album `{name}` again: {error:#}"))?;
    if let Some(album) = found {
        return Ok((album, false));
    }
    // An intent first: when the answer is lost, the next run finds the album by its name and still
    // knows it as the tool's (and shares it with the job's accounts).
    let joining: Vec<&Account> = joinable(fx.owner, fx.slots).collect();
    let intended: Vec<(&str, &str)> = joining
        .iter()
        .map(|a| (a.user.id.as_str(), a.name.as_str()))
        .collect();
    fx.store
        .note_making(server, name, &fx.job.name, &intended)
        .map_err(|error| format!("{error:#}"))?;
    let members = editors(joining.into_iter());
    fx.owner
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

/// Records that the tool made the album, and the members it shared it with: those of the job that
/// are members now, and, for an album whose answer was lost (`claimed` by a later run, when a person
/// may have taken one of them out since), those it was made with.
pub fn note_created(fx: &Effects<'_>, album: &Album, claimed: bool) -> Result<(), String> {
    let key = key_of(fx, &album.id);
    let store = fx.store;
    let intended = if claimed {
        store.making_members(&key.server, &album.album_name)
    } else {
        Ok(Vec::new())
    };
    let noted = intended.and_then(|intended| {
        store.claim_made(&key, &album.album_name, &fx.job.name)?;
        let present = joinable(fx.owner, fx.slots)
            .filter(|a| album.role_of(&a.user.id).is_some())
            .map(|a| (a.user.id.clone(), a.name.clone()));
        let mut noted = std::collections::HashSet::new();
        for (user_id, account) in intended.into_iter().chain(present) {
            if noted.insert(user_id.clone()) {
                store.note_member(&key, &user_id, &account, MemberState::Added)?;
            }
        }
        Ok(())
    });
    noted.map_err(|error| format!("{error:#}"))
}

/// Who an album the tool made should be shared with, and who a person took out of it.
#[derive(Debug, Default)]
struct Plan<'a> {
    /// Connected accounts of the job that are not members and were never taken out.
    share: Vec<&'a Account>,
    /// Accounts the tool had shared the album with and a person took out: (account, newly seen).
    taken_out: Vec<(&'a Account, bool)>,
    /// Members the record does not know yet: an album made while the answer was lost, claimed by a
    /// run in which they had failed. Noted as members, so that a person who takes one out is heard.
    unrecorded: Vec<&'a Account>,
}

/// Decides the membership of an album the tool made (for an album a person made: nothing). Each
/// connected account of the job on the album's server that is not a member is shared the album as
/// editor, unless the record says the tool had shared it and a person took the account out.
fn plan<'a>(
    store: &Store,
    owner: &'a Account,
    slots: &'a [Slot],
    album: &Album,
    key: &AlbumKey,
) -> anyhow::Result<Plan<'a>> {
    let mut plan = Plan::default();
    if !store.made(key)? && !store.was_making(&key.server, &album.album_name)? {
        return Ok(plan);
    }
    let recorded = store.members(key)?;
    for account in joinable(owner, slots) {
        if album.role_of(&account.user.id).is_some() {
            if !recorded.contains_key(&account.user.id) {
                plan.unrecorded.push(account);
            }
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

/// What a sync would do to an album's members (a preview's word on it; nothing for an album that
/// does not exist yet).
pub fn preview(fx: &Effects<'_>, album: &Option<Album>, key: &Option<AlbumKey>) -> Members {
    let (Some(album), Some(key)) = (album, key) else {
        return Members::default();
    };
    match plan(fx.store, fx.owner, fx.slots, album, key) {
        Ok(plan) => Members {
            shared_with: plan.share.iter().map(|a| a.name.clone()).collect(),
            taken_out: plan.taken_out.iter().map(|(a, _)| a.name.clone()).collect(),
            error: None,
        },
        Err(error) => Members {
            error: Some(format!("{error:#}")),
            ..Members::default()
        },
    }
}

/// Shares an album the tool made with the job's accounts that are not members (a sync made while an
/// account failed is shared with it later), and notes who a person took out. The album as it is
/// afterwards.
pub async fn share(fx: &Effects<'_>, album: Album, key: &AlbumKey) -> (Album, Members) {
    let mut members = Members::default();
    let plan = match plan(fx.store, fx.owner, fx.slots, &album, key) {
        Ok(plan) => plan,
        Err(error) => {
            members.error = Some(format!("{error:#}"));
            return (album, members);
        }
    };
    for account in &plan.unrecorded {
        if let Err(error) =
            fx.store
                .note_member(key, &account.user.id, &account.name, MemberState::Added)
        {
            members.error.get_or_insert(format!("{error:#}"));
        }
    }
    for account in &plan.unrecorded {
        if let Err(error) =
            fx.store
                .note_member(key, &account.user.id, &account.name, MemberState::Added)
        {
            members.error.get_or_insert(format!("{error:#}"));
        }
    }
    for (account, newly) in &plan.taken_out {
        let name = account.name.clone();
        if *newly
            && let Err(error) =
                fx.store
                    .note_member(key, &account.user.id, &name, MemberState::Removed)
        {
            members.error.get_or_insert(format!("{error:#}"));
        }
        members.taken_out.push(name);
    }
    if plan.share.is_empty() {
        return (album, members);
    }
    let names: Vec<String> = plan.share.iter().map(|a| a.name.clone()).collect();
    match fx
        .owner
        .client
        .share_album(&album.id, &editors(plan.share.iter().copied()))
        .await
    {
        Ok(shared) => {
            for (account, name) in plan.share.iter().zip(&names) {
                if let Err(error) =
                    fx.store
                        .note_member(key, &account.user.id, name, MemberState::Added)
                {
                    members.error.get_or_insert(format!("{error:#}"));
                }
            }
            members.shared_with = names;
            (shared, members)
        }
        Err(error) => {
            members.error.get_or_insert(format!(
                "could not share album `{}` with {}: {error}",
                album.album_name,
                names.join(", ")
            ));
            (album, members)
        }
    }
}
