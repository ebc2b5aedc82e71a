//! Paged searches as streams. [`pages`] walks `POST /api/search/metadata` or `/api/search/smart` page by
//! page (`size` up to 1000, `nextPage` a string or null), yielding each page's asset bodies as
//! `serde_json::Value` so that callers can read any field and then drop the page. A limit stops the walk
//! (smart search has no relevance cut-off and would otherwise page through the whole library). A page
//! that fails ends the stream with the error: a failed search is never a short result.

use futures::Stream;
use serde_json::{Map, Value};

use super::client::Client;
use super::error::{ApiError, ApiErrorKind};

/// The largest page the API serves.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Which search endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchKind {
    Metadata,
    Smart,
}

impl SearchKind {
    pub fn path(self) -> &'static str {
        match self {
            SearchKind::Metadata => "search/metadata",
            SearchKind::Smart => "search/smart",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SearchKind::Metadata => "metadata",
            SearchKind::Smart => "smart",
        }
    }
}

struct Walk<'a> {
    client: &'a Client,
    kind: SearchKind,
    body: Map<String, Value>,
    next_page: Option<u64>,
    remaining: Option<usize>,
}

/// Streams the pages of one search. `body` is sent as it is, plus `page` and `size`; `limit` caps the
/// number of assets yielded in all.
pub fn pages(
    client: &Client,
    kind: SearchKind,
    mut body: Map<String, Value>,
    limit: Option<usize>,
) -> impl Stream<Item = Result<Vec<Value>, ApiError>> + '_ {
    // The page size stays the same on every page, since `page` counts in pages of `size`.
    let size = limit.map_or(MAX_PAGE_SIZE, |l| l.clamp(1, MAX_PAGE_SIZE));
    body.insert("size".into(), size.into());
    let walk = Walk {
        client,
        kind,
        body,
        next_page: if limit == Some(0) { None } else { Some(1) },
        remaining: limit,
    };
    futures::stream::try_unfold(walk, |mut walk| async move {
        let Some(page) = walk.next_page else {
            return Ok(None);
        };
        walk.body.insert("page".into(), page.into());
        let result = walk
            .client
            .search_page(walk.kind.path(), &walk.body)
            .await?;
        let mut items = result.items;
        walk.next_page = match result.next_page.as_deref() {
            None => None,
            Some(next) => Some(next.parse::<u64>().map_err(|_| {
                ApiError::new(
                    format!("POST /api/{}", walk.kind.path()),
                    ApiErrorKind::Decode(format!("nextPage `{next}` is not a page number")),
                )
            })?),
        };
        if let Some(remaining) = walk.remaining.as_mut() {
            items.truncate(*remaining);
            *remaining -= items.len();
            if *remaining == 0 {
                walk.next_page = None;
            }
        }
        if items.is_empty() {
            walk.next_page = None;
        }
        Ok(Some((items, walk)))
    })
}
