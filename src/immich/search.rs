//! Paged searches as streams. [`pages`] walks `POST /api/search/metadata` or `/api/search/smart` page by
//! page (`size` up to 1000, `nextPage` a string or null) and yields each page cut down by the caller's
//! `decode`: every asset reaches it as raw JSON borrowed from the response body, only what it returns is
//! kept, and the page's JSON is dropped as soon as the page is decoded. A limit stops the walk (smart
//! search has no relevance cut-off and would otherwise page through the whole library). A page that
//! fails ends the stream with the error: a failed search is never a short result.
//!
//! Pages are fetched ahead, in parallel: every page the walk expects to exist (an expected number of
//! matches such as an album's asset count, or, once the first page says that more follow, every page
//! up to the limit) is requested at once, and each page that answers with a `nextPage` lets the walk
//! request further ones. Each request waits for the
//! client's in-flight limit, so fetching ahead never exceeds it. The walk stops at the first page with
//! `nextPage: null`; requests for later pages that have not been sent yet are dropped unsent. An
//! open-ended search (no limit, no expected count) does not guess pages beyond the ones it knows exist,
//! so it never asks for a page past its end: the requests stay the minimum the API allows.

use futures::future::BoxFuture;
use futures::stream::{FuturesOrdered, Stream, StreamExt};
use reqwest::Method;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::client::{Client, DecodeFailure};
use super::error::ApiError;

/// The largest page the API serves.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Most page requests one walk queues at once (each still waits for the in-flight limit).
const MAX_AHEAD: usize = 32;

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

/// A search response with its assets left as raw JSON, borrowed from the body.
#[derive(Deserialize)]
struct RawResponse<'a> {
    #[serde(borrow)]
    assets: RawAssets<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAssets<'a> {
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
    /// The next page number as a string, or null on the last page.
    #[serde(default)]
    next_page: Option<String>,
}

/// One decoded page: what `decode` kept of each asset, and the next page's number.
pub type Decoded<T> = (Vec<T>, Option<u64>);

/// Decodes one search response body: `decode` applied to every asset, and the next page's number.
pub fn decode_page<T>(
    bytes: &[u8],
    decode: &(impl Fn(&RawValue) -> Result<T, String> + ?Sized),
) -> Result<Decoded<T>, DecodeFailure> {
    let page: RawResponse<'_> =
        serde_json::from_slice(bytes).map_err(|e| DecodeFailure::Malformed(e.to_string()))?;
    let items = page
        .assets
        .items
        .into_iter()
        .map(decode)
        .collect::<Result<Vec<T>, String>>()
        .map_err(DecodeFailure::Invalid)?;
    let next = match page.assets.next_page {
        None => None,
        Some(next) => Some(next.parse::<u64>().map_err(|_| {
            DecodeFailure::Invalid(format!("nextPage `{next}` is not a page number"))
        })?),
    };
    Ok((items, next))
}

type Decoder<'a, T> = dyn Fn(&RawValue) -> Result<T, String> + Send + Sync + 'a;

struct Walk<'a, T> {
    client: &'a Client,
    kind: SearchKind,
    body: Map<String, Value>,
    decode: std::sync::Arc<Decoder<'a, T>>,
    /// The next page to request.
    next_request: u64,
    /// Pages up to this one are known (or expected) to exist.
    known: u64,
    /// No page after this one is requested (the limit's last page).
    last: Option<u64>,
    in_flight: FuturesOrdered<BoxFuture<'a, Result<Decoded<T>, ApiError>>>,
    remaining: Option<usize>,
    done: bool,
}

impl<'a, T: Send + 'a> Walk<'a, T> {
    fn top_up(&mut self) {
        while !self.done
            && self.in_flight.len() < MAX_AHEAD
            && self.next_request <= self.known
            && self.last.is_none_or(|last| self.next_request <= last)
        {
            let mut body = self.body.clone();
            body.insert("page".into(), self.next_request.into());
            let (client, path, decode) = (self.client, self.kind.path(), self.decode.clone());
            self.in_flight.push_back(Box::pin(async move {
                client
                    .call_with(Method::POST, path, &[], Some(&body), |bytes| {
                        decode_page(bytes, &*decode)
                    })
                    .await
            }));
            self.next_request += 1;
        }
    }

    fn finish(&mut self) {
        self.done = true;
        // Requests still waiting for the in-flight limit are dropped unsent.
        self.in_flight = FuturesOrdered::new();
    }
}

/// The smallest page a smart search asks a 2.x server for (see [`pages`]).
pub const SMART_PAGE_2X: usize = 100;

/// Streams the pages of one search, each asset cut down by `decode`. `body` is sent as it is, plus
/// `page` and `size`; `limit` caps the number of assets yielded in all; `expected`, when known (an
/// album's asset count), lets the walk request all the pages it expects at once.
pub fn pages<'a, T: Send + 'a>(
    client: &'a Client,
    kind: SearchKind,
    mut body: Map<String, Value>,
    limit: Option<usize>,
    expected: Option<usize>,
    decode: impl Fn(&RawValue) -> Result<T, String> + Send + Sync + 'a,
) -> impl Stream<Item = Result<Vec<T>, ApiError>> + 'a {
    // The page size stays the same on every page, since `page` counts in pages of `size`. A 2.x
    // smart search is asked for pages of at least 100 and cut at its limit: with pgvector, 2.5.6 gave
    // 18 of 20 to 50 asked (its index hands over a fixed number of nearest candidates before it
    // filters them by owner), and full pages from 99 up (measured, NOTES.md).
    let least = match kind {
        SearchKind::Smart if client.version().is_2x() => SMART_PAGE_2X,
        _ => 1,
    };
    let size = limit.map_or(MAX_PAGE_SIZE, |l| l.clamp(least, MAX_PAGE_SIZE));
    body.insert("size".into(), size.into());
    let pages_for = |n: usize| n.div_ceil(size).max(1) as u64;
    let last = limit.map(pages_for);
    // With a limit, the first page is asked for alone: only when it says that more follow are the
    // rest of the limit's pages expected (a search may have fewer matches than its limit).
    let known = expected.map_or(1, pages_for);
    let walk = Walk {
        client,
        kind,
        body,
        decode: std::sync::Arc::new(decode),
        next_request: 1,
        known,
        last,
        in_flight: FuturesOrdered::new(),
        remaining: limit,
        done: limit == Some(0),
    };
    futures::stream::try_unfold(walk, |mut walk| async move {
        walk.top_up();
        let Some(result) = walk.in_flight.next().await else {
            return Ok(None);
        };
        let (mut items, next) = match result {
            Ok(page) => page,
            Err(error) => {
                walk.finish();
                return Err(error);
            }
        };
        match next {
            Some(next) => walk.known = walk.known.max(next).max(walk.last.unwrap_or(0)),
            None => walk.finish(),
        }
        if let Some(remaining) = walk.remaining.as_mut() {
            items.truncate(*remaining);
            *remaining -= items.len();
            if *remaining == 0 {
                walk.finish();
            }
        }
        if items.is_empty() {
            walk.finish();
        }
        Ok(Some((items, walk)))
    })
}
