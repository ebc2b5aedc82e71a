//! Copies between servers (`across_servers: copy`). An album lives on its owner's server and holds only
//! that server's assets, so what an account on another server contributes is copied to the receiving
//! account (`copy_to`, default the album owner) and added to the album from there.
//!
//! Planning reads only: the record's earlier copies, then the receiving account's own files by checksum
//! (`POST /assets/bulk-upload-check`), then the details of what is left to copy, for its size. Making a
//! copy streams the original from its server into the upload to the other (`GET
//! /assets/{id}/original` into `POST /assets`), never holding a whole file; an upload answered
//! `duplicate` is the file already there. Each copy is recorded, so a photo is copied at most once.
//! Keys stay with their servers: each request goes through the client of the account it belongs to.
//!
//! [`copies`] is the run's effect: it plans every account's copies (a preview stops there) and makes
//! them within `max_copy_mb`.

use std::collections::{HashMap, HashSet};

use futures::future::join_all;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use uuid::Uuid;

use super::{Decisions, Effects};
use crate::immich::{ApiError, AssetInfo, Client};
use crate::job::decide::Pick;
use crate::job::file::AcrossServers;
use crate::job::model::Account;
use crate::state::Store;

/// How many copies run at once, per source account.
pub const COPY_CONCURRENCY: usize = 2;
/// Checksums asked about per bulk upload check.
const CHECK_BATCH: usize = 500;

/// One account's copies: what the receiving account holds already, and what is left to copy.
#[derive(Debug, Default)]
pub struct CopyPlan {
    /// The server the photos come from (its API base).
    pub from: String,
    /// Files the receiving account already holds (copied before, or there by checksum): their ids.
    pub held: HashMap<Box<str>, Uuid>,
    /// Files to copy: the source asset, its checksum and details.
    pub to_copy: Vec<(Uuid, Box<str>, AssetInfo)>,
    /// Their size together, from the server's `fileSizeInByte`.
    pub bytes: u64,
    /// Files the receiving account holds only in its trash: neither copied nor added.
    pub in_trash: usize,
}

/// Permissions a source account's key needs to give copies, and the receiving account's to take them.
pub const SOURCE_PERMISSIONS: &[&str] = &["asset.read", "asset.download"];
pub const RECEIVER_PERMISSIONS: &[&str] = &["asset.upload"];

/// Checks that an account's key holds `needed`, before any copy: the error names what is missing.
pub async fn check_permissions(
    account: &Account,
    needed: &[&str],
    role: &str,
) -> Result<(), String> {
    let info = account
        .client
        .api_key_info()
        .await
        .map_err(|e| e.to_string())?;
    let missing = info.missing(needed);
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{}'s API key lacks {} ({role}); nothing was copied. Edit the key in Immich under Account \
         Settings > API Keys",
        account.name,
        missing.join(", ")
    ))
}

/// Plans the copies of `picks` (one account's assets on another server) into `receiver`.
pub async fn plan(
    source: &Account,
    receiver: &Account,
    picks: &[&Pick],
    store: &Store,
) -> Result<CopyPlan, String> {
    let from = source.client.api_base().to_string();
    let target = receiver.client.api_base().to_string();
    let mut plan = CopyPlan {
        from: from.clone(),
        ..CopyPlan::default()
    };
    let mut unknown: Vec<&Pick> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for pick in picks {
        // The main and the safe album may both want a file: it is planned once.
        if !seen.insert(&pick.checksum) {
            continue;
        }
        match store
            .copy_of(&from, &pick.id, &target)
            .map_err(|e| format!("{e:#}"))?
        {
            Some(copy) => {
                plan.held.insert(pick.checksum.clone(), copy);
            }
            None => unknown.push(pick),
        }
    }
    let mut accepted: Vec<&Pick> = Vec::new();
    for batch in unknown.chunks(CHECK_BATCH) {
        let items: Vec<(String, String)> = batch
            .iter()
            .map(|p| (p.id.to_string(), p.checksum.to_string()))
            .collect();
        let answers = receiver
            .client
            .bulk_upload_check(&items)
            .await
            .map_err(|e| e.to_string())?;
        let by_id: HashMap<&str, &crate::immich::UploadCheck> =
            answers.iter().map(|a| (a.id.as_str(), a)).collect();
        for pick in batch {
            let answer = by_id.get(pick.id.to_string().as_str());
            if answer.is_some_and(|a| a.action == "reject" && a.is_trashed) {
                // Only in the trash: not there for an album, and an upload would answer with the
                // trashed one. It waits until a person restores it or the trash is emptied.
                plan.in_trash += 1;
                continue;
            }
            let held = answer
                .filter(|a| a.action == "reject")
                .and_then(|a| a.asset_id.as_deref());
            match held {
                Some(existing) => {
                    let id = Uuid::parse_str(existing).map_err(|_| {
                        format!("bulk-upload-check named `{existing}`, which is not an id")
                    })?;
                    plan.held.insert(pick.checksum.clone(), id);
                }
                _ => accepted.push(pick),
            }
        }
    }
    let details: Vec<(Uuid, Box<str>, AssetInfo)> =
        futures::stream::iter(accepted.into_iter().map(|pick| {
            let client = &source.client;
            async move {
                let info = client.asset_info(&pick.id.to_string()).await?;
                Ok::<_, ApiError>((pick.id, pick.checksum.clone(), info))
            }
        }))
        .buffer_unordered(8)
        .try_collect()
        .await
        .map_err(|e| e.to_string())?;
    plan.bytes = details.iter().filter_map(|(_, _, info)| info.size()).sum();
    plan.to_copy = details;
    plan.to_copy.sort_by_key(|(id, _, _)| *id);
    Ok(plan)
}

/// What making the copies came to: the ids on the album's server by checksum, and the first error.
#[derive(Debug, Default)]
pub struct Made {
    pub ids: HashMap<Box<str>, Uuid>,
    pub copied: usize,
    pub error: Option<String>,
}

/// Makes a plan's copies, [`COPY_CONCURRENCY`] at a time, recording each. A failed copy is tried once
/// more (an upload that did land answers `duplicate` the second time); one that fails again stops
/// this account's copies.
pub async fn make(
    plan: &CopyPlan,
    source: &Account,
    receiver: &Account,
    store: &Store,
    job: &str,
) -> Made {
    let target = receiver.client.api_base().to_string();
    let mut made = Made {
        ids: plan.held.clone(),
        ..Made::default()
    };
    let results: Vec<Result<(Box<str>, Uuid), String>> =
        futures::stream::iter(plan.to_copy.iter().map(|(id, checksum, info)| {
            let target = &target;
            async move {
                let mut last = String::new();
                for _ in 0..2 {
                    match copy_one(&source.client, &receiver.client, info).await {
                        Ok(copy) => {
                            store
                                .note_copy(&plan.from, id, checksum, target, &copy, job)
                                .map_err(|e| format!("{e:#}"))?;
                            return Ok((checksum.clone(), copy));
                        }
                        Err(error) => last = error.to_string(),
                    }
                }
                Err(format!(
                    "could not copy {} ({id}) from {}: {last}",
                    info.original_file_name, plan.from
                ))
            }
        }))
        .buffer_unordered(COPY_CONCURRENCY)
        .collect()
        .await;
    for result in results {
        match result {
            Ok((checksum, copy)) => {
                made.ids.insert(checksum, copy);
                made.copied += 1;
            }
            Err(error) => {
                made.error.get_or_insert(error);
            }
        }
    }
    made
}

/// Streams one original from `from` into an upload to `to`: the id on `to`'s server. The copy may
/// take as long as the file needs; it stops when nothing moves (no bytes come, none are taken, no
/// answer arrives) for as long as the per-request `--timeout`.
async fn copy_one(from: &Client, to: &Client, info: &AssetInfo) -> Result<Uuid, ApiError> {
    let idle = from.timeout().max(to.timeout());
    let started = std::time::Instant::now();
    let moved = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let touch = {
        let moved = moved.clone();
        move || {
            moved.store(
                started.elapsed().as_millis() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
    };
    let copy = async {
        let response = from.open_original(&info.id).await?;
        touch();
        stream_into(response, to, info, touch.clone()).await
    };
    let watchdog = async {
        loop {
            let last =
                std::time::Duration::from_millis(moved.load(std::sync::atomic::Ordering::Relaxed));
            let still = started.elapsed().saturating_sub(last);
            if still >= idle {
                return ApiError::new(
                    format!("GET /api/assets/{}/original into POST /api/assets", info.id),
                    crate::immich::ApiErrorKind::Transport {
                        message: format!(
                            "nothing moved for {} s (the per-request timeout, --timeout)",
                            idle.as_secs()
                        ),
                        timeout: true,
                    },
                );
            }
            tokio::time::sleep(idle - still).await;
        }
    };
    tokio::select! {
        copied = copy => copied,
        stalled = watchdog => Err(stalled),
    }
}

/// The upload of one original as it streams in; `touch` is called whenever bytes move.
async fn stream_into(
    response: reqwest::Response,
    to: &Client,
    info: &AssetInfo,
    touch: impl Fn() + Send + Sync + 'static,
) -> Result<Uuid, ApiError> {
    let length = response.content_length().or(info.size());
    let body = reqwest::Body::wrap_stream(response.bytes_stream().inspect(move |_| touch()));
    let part = match length {
        Some(length) => reqwest::multipart::Part::stream_with_length(body, length),
        None => reqwest::multipart::Part::stream(body),
    }
    .file_name(info.original_file_name.clone())
    .mime_str("application/octet-stream")
    .expect("a valid MIME type");
    let mut form = reqwest::multipart::Form::new()
        .text("fileCreatedAt", info.file_created_at.clone())
        .text("fileModifiedAt", info.file_modified_at.clone())
        .text("filename", info.original_file_name.clone())
        .text("isFavorite", info.is_favorite.to_string());
    if to.version().is_2x() {
        // 2.x requires them; 3.x has no such fields.
        form = form
            .text("deviceAssetId", format!("immich-smart-albums-{}", info.id))
            .text("deviceId", "immich-smart-albums");
    }
    let uploaded = to.upload(form.part("assetData", part)).await?;
    Uuid::parse_str(&uploaded.id).map_err(|_| {
        ApiError::new(
            "POST /api/assets".to_string(),
            crate::immich::ApiErrorKind::Decode(format!(
                "the upload answered the id `{}`, which is not a UUID",
                uploaded.id
            )),
        )
    })
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

/// Per account of the job: `None` when it is on the album's server (it adds its own assets), else its
/// copies' ids on the album's server by checksum, added by the receiving account.
#[derive(Default)]
pub struct Copying {
    pub receiver: Option<usize>,
    pub ids: Vec<Option<HashMap<Box<str>, Uuid>>>,
}

/// Plans (and with `write`, makes) the copies of the accounts on other servers than the album's,
/// within `max_copy_mb`: each such account's row (in job order), and the copies' ids for the adds.
pub async fn copies(
    fx: &Effects<'_>,
    accounts: usize,
    decisions: &Decisions,
    write: bool,
) -> (Vec<Option<CopyRow>>, Copying) {
    let (spec, slots, owner, store) = (fx.job, fx.slots, fx.owner, fx.store);
    let mut rows: Vec<Option<CopyRow>> = (0..accounts).map(|_| None).collect();
    let mut copying = Copying {
        receiver: None,
        ids: (0..accounts).map(|_| None).collect(),
    };
    if spec.across_servers != AcrossServers::Copy {
        return (rows, copying);
    }
    let album_server = owner.client.api_base();
    let receiver_name = spec.copy_to.as_deref().unwrap_or(&owner.name);
    let Some(receiver_index) = slots.iter().position(|s| s.name == receiver_name) else {
        return (rows, copying);
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
        for decision in std::iter::once(&decisions.main).chain(&decisions.safe) {
            if let Some(part) = &decision.accounts[i] {
                picks.extend(part.to_add.iter());
            }
        }
        picks
    };
    let receiver_ready = match receiver {
        None => Err(format!("the receiving account `{receiver_name}` failed")),
        Some(receiver) if foreign.is_empty() => Ok(receiver),
        Some(receiver) => {
            check_permissions(receiver, RECEIVER_PERMISSIONS, "needed to receive copies")
                .await
                .map(|()| receiver)
        }
    };
    let plans = join_all(foreign.iter().map(|&i| {
        let picks = picks_of(i);
        let receiver_ready = &receiver_ready;
        async move {
            let source = slots[i].account.as_ref().expect("connected");
            let receiver = receiver_ready.as_ref().map_err(Clone::clone)?;
            check_permissions(source, SOURCE_PERMISSIONS, "needed to give copies").await?;
            plan(source, receiver, &picks, store).await
        }
    }))
    .await;
    let mut planned: Vec<(usize, CopyPlan)> = Vec::new();
    for (&i, plan) in foreign.iter().zip(plans) {
        let source = slots[i].account.as_ref().expect("connected");
        let row = rows[i].insert(CopyRow {
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
            if let Some(row) = &mut rows[*i] {
                row.error = Some(message.clone());
            }
        }
        return (rows, copying);
    }
    for (i, plan) in planned {
        if !write {
            continue;
        }
        let (Some(receiver), Ok(source)) = (receiver, &slots[i].account) else {
            continue;
        };
        let made = make(&plan, source, receiver, store, &spec.name).await;
        if let Some(row) = &mut rows[i] {
            row.copied = made.copied;
            row.error = made.error;
        }
        copying.ids[i] = Some(made.ids);
    }
    (rows, copying)
}
