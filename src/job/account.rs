//! One selection, evaluated for one account with that account's key. All of the account's searches run
//! concurrently (bounded); then include searches are intersected, exclude searches subtracted (by id and
//! by checksum, so an exclusion removes a photo, not one copy of it), and the local rules applied. An
//! include search with no results makes the result empty; a failed search fails the whole evaluation.

use std::collections::HashSet;

use futures::{StreamExt, TryStreamExt};

use crate::filter::{Hit, Hits, LocalFilters, SearchFilter, run_search};
use crate::immich::{ApiError, Client, SearchKind};

/// What to select: searches that must all match, searches that remove, and local rules.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub include: Vec<SearchFilter>,
    pub exclude: Vec<SearchFilter>,
    pub local: LocalFilters,
}

impl Selection {
    /// The include search whose asset JSON the local filters read, and whose order ranks the result:
    /// the first metadata include (it can carry exif and people), else the first include.
    pub fn primary(&self) -> Option<usize> {
        self.include
            .iter()
            .position(|f| f.kind == SearchKind::Metadata)
            .or(if self.include.is_empty() {
                None
            } else {
                Some(0)
            })
    }

    /// Every warning of every filter, in order.
    pub fn warnings(&self) -> Vec<String> {
        self.include
            .iter()
            .chain(&self.exclude)
            .flat_map(|f| f.warnings.iter().cloned())
            .collect()
    }
}

/// How many assets one search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCount {
    pub label: String,
    pub count: usize,
}

/// The outcome of a selection for one account, with the counts of each step.
#[derive(Debug, Clone, Default)]
pub struct AccountResult {
    pub includes: Vec<SearchCount>,
    pub excludes: Vec<SearchCount>,
    /// Found by every include search.
    pub matched: usize,
    /// Left after the exclude searches.
    pub after_excludes: usize,
    /// Left after the local rules: the length of `assets`.
    pub after_local: usize,
    /// The selected assets, in the primary search's order.
    pub assets: Vec<Hit>,
    /// Checksums of everything the exclude searches found, for excluding other copies of those files.
    pub excluded_checksums: HashSet<Box<str>>,
}

/// Runs a selection's searches for one account and combines them.
pub async fn evaluate(
    client: &Client,
    selection: &Selection,
    concurrency: usize,
) -> Result<AccountResult, ApiError> {
    let Some(primary) = selection.primary() else {
        return Ok(AccountResult::default());
    };
    let searches = selection
        .include
        .iter()
        .enumerate()
        .map(|(i, filter)| (filter, i == primary))
        .chain(selection.exclude.iter().map(|filter| (filter, false)));
    let local = &selection.local;
    let mut results: Vec<Hits> = futures::stream::iter(searches)
        .map(|(filter, reads_local)| {
            run_search(
                client,
                filter,
                (reads_local && !local.is_empty()).then_some(local),
            )
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    let exclude_hits = results.split_off(selection.include.len());
    let include_hits = results;

    let count = |filters: &[SearchFilter], hits: &[Hits]| -> Vec<SearchCount> {
        filters
            .iter()
            .zip(hits)
            .map(|(f, h)| SearchCount {
                label: f.label(),
                count: h.len(),
            })
            .collect()
    };
    let mut result = AccountResult {
        includes: count(&selection.include, &include_hits),
        excludes: count(&selection.exclude, &exclude_hits),
        ..AccountResult::default()
    };
    result.excluded_checksums = exclude_hits
        .iter()
        .flat_map(|hits| hits.values().map(|hit| hit.checksum.clone()))
        .collect();

    let mut matched: Vec<Hit> = include_hits[primary]
        .values()
        .filter(|hit| include_hits.iter().all(|hits| hits.contains_key(&hit.id)))
        .cloned()
        .collect();
    result.matched = matched.len();
    matched.retain(|hit| {
        !exclude_hits.iter().any(|hits| hits.contains_key(&hit.id))
            && !result.excluded_checksums.contains(&hit.checksum)
    });
    result.after_excludes = matched.len();
    matched.retain(|hit| hit.local_ok);
    matched.sort_by_key(|hit| hit.rank);
    result.after_local = matched.len();
    result.assets = matched;
    Ok(result)
}
