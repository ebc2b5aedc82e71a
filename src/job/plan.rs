//! Steps 1 and 2 of a run: resolve each account's person names and tags to its own ids (the same
//! child is a different person in each account), then plan each account's searches.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use futures::future::join_all;

use super::account::{PlanBuilder, people_index, tag_index};
use super::file::JobSpec;
use super::model::{AccountRun, Mode, RunOptions};
use super::since::{self, AccountReading, RunKind};
use crate::error::input_error;
use crate::immich::{ApiError, Client};
use crate::state::Store;

/// Step 1: reads each account's people and tags (when the job names any) into name indexes. An
/// account whose index cannot be read fails; a name or tag that no account knows is an input error.
pub async fn resolve(spec: &JobSpec, accounts: &mut [AccountRun<'_>]) -> anyhow::Result<()> {
    let unknown = read_indexes(accounts, &spec.people(), |client| {
        Box::pin(people_index(client))
    })
    .await;
    if !unknown.is_empty() {
        return Err(input_error(format!(
            "job `{}`: no account of the job ({}) knows a person named {}; check the names under \
             People in Immich",
            spec.name,
            names_of(accounts),
            unknown.join(", ")
        )));
    }
    let unknown = read_indexes(accounts, &spec.tags(), |client| Box::pin(tag_index(client))).await;
    if !unknown.is_empty() {
        return Err(input_error(format!(
            "job `{}`: no account of the job ({}) has a tag {}; check the tags in Immich (a child \
             tag is written Parent/Child)",
            spec.name,
            names_of(accounts),
            unknown.join(", ")
        )));
    }
    Ok(())
}

fn names_of(accounts: &[AccountRun<'_>]) -> String {
    accounts
        .iter()
        .map(AccountRun::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where an index lands in an account's run.
trait Index: Sized {
    fn store(self, account: &mut AccountRun<'_>);
    fn knows(account: &AccountRun<'_>, key: &str) -> bool;
}

impl Index for HashMap<String, Vec<String>> {
    fn store(self, account: &mut AccountRun<'_>) {
        account.people = self;
    }
    fn knows(account: &AccountRun<'_>, key: &str) -> bool {
        account.people.contains_key(key)
    }
}

impl Index for HashMap<String, String> {
    fn store(self, account: &mut AccountRun<'_>) {
        account.tags = self;
    }
    fn knows(account: &AccountRun<'_>, key: &str) -> bool {
        account.tags.contains_key(key)
    }
}

type Read<'c, I> = Pin<Box<dyn Future<Output = Result<I, ApiError>> + 'c>>;

/// Reads an index of every account that has not failed, concurrently, when `wanted` names anything;
/// an account whose index cannot be read fails. Returns the wanted names that no account knows
/// (lower-cased lookups), once every account answered: only then can "nobody knows it" be told from
/// "not asked".
async fn read_indexes<I: Index>(
    accounts: &mut [AccountRun<'_>],
    wanted: &[String],
    read: impl for<'c> Fn(&'c Client) -> Read<'c, I>,
) -> Vec<String> {
    if wanted.is_empty() {
        return Vec::new();
    }
    let read = &read;
    let fetched = join_all(accounts.iter().map(|account| {
        let live = account.live();
        async move {
            match live {
                Some(live) => Some(read(&live.client).await),
                None => None,
            }
        }
    }))
    .await;
    for (account, result) in accounts.iter_mut().zip(fetched) {
        match result {
            Some(Ok(index)) => index.store(account),
            Some(Err(error)) => account.fail_request(&error),
            None => {}
        }
    }
    if accounts.iter().any(|a| a.failed.is_some()) {
        return Vec::new();
    }
    wanted
        .iter()
        .filter(|n| accounts.iter().all(|a| !I::knows(a, &n.to_lowercase())))
        .map(|n| format!("`{n}`"))
        .collect()
}

/// Step 2: each account's searches: the job's conditions with its own person ids, and as many
/// searches per condition as its server needs to see the visibilities the condition looks at
/// (include searches timeline-only unless the job takes archived assets).
pub fn plan(spec: &JobSpec, accounts: &mut [AccountRun<'_>]) {
    for account in accounts {
        let two_x = account.client().is_some_and(|c| c.version().is_2x());
        let mut builder = PlanBuilder::new(&account.people, spec.local.clone())
            .with_tags(&account.tags)
            .timeline_only(!spec.include_archived)
            .one_visibility_per_search(two_x);
        spec.include.iter().for_each(|c| builder.include(c));
        spec.exclude.iter().for_each(|c| builder.exclude(c));
        if let Some(safe) = &spec.safe {
            safe.exclude.iter().for_each(|c| builder.safe_exclude(c));
        }
        account.plan = builder.build();
    }
}

/// Decides whether the run reads everything or what changed since the last complete run
/// ([`since::kind`]), and gives each live account where its searches start from. A record that
/// cannot be read stops the job (the run could not remember either).
pub fn reading(
    job: &str,
    accounts: &mut [AccountRun<'_>],
    mode: Mode,
    options: RunOptions,
    store: &Store,
) -> anyhow::Result<RunKind> {
    let mut marks = Vec::new();
    for account in accounts.iter() {
        if let Some(live) = account.live() {
            marks.push(store.search_mark(job, &live.user.id)?);
        }
    }
    let preview = mode == Mode::Preview;
    let now = crate::clock::now();
    let kind = since::kind(preview, options.adopt, options.reading, &marks, now);
    if let RunKind::Incremental { .. } = kind {
        let margin = options.reading.margin.as_millis() as i64;
        let mut marks = marks.into_iter();
        for account in accounts.iter_mut() {
            let Some(live) = account.live() else {
                continue;
            };
            let mark = marks
                .next()
                .flatten()
                .expect("an incremental run has every live account's mark");
            account.reading = AccountReading {
                since: Some(mark.since_ms - margin),
                full_at: Some(mark.full_at),
                cached: store.search_results(job, &live.user.id)?,
                leaves: None,
            };
        }
    }
    Ok(kind)
}
