//! `POST /api/search/metadata` and `POST /api/search/smart`: the request parsed and run by
//! `crate::sim::search`, and the page of results cut from its answer.

use axum::body::Bytes;
use axum::extract::State as AxumState;

use super::{App, Handled, ok};
use crate::sim::json;
use crate::sim::search::{self as engine, SearchKind};
use crate::sim::state::Caller;
use crate::sim::validate::parse_json_body;

pub(super) async fn search_metadata(app: AxumState<App>, caller: Caller, body: Bytes) -> Handled {
    search(app, caller, body, SearchKind::Metadata)
}

pub(super) async fn search_smart(app: AxumState<App>, caller: Caller, body: Bytes) -> Handled {
    search(app, caller, body, SearchKind::Smart)
}

fn search(
    AxumState(app): AxumState<App>,
    caller: Caller,
    body: Bytes,
    kind: SearchKind,
) -> Handled {
    caller.require("asset.read")?;
    let req = engine::parse(kind, &parse_json_body(&body)?)?;
    let mut st = app.lock();
    let all = engine::run(&mut st, caller.user, &req)?;
    let start = (req.page - 1).saturating_mul(req.size).min(all.len());
    let mut end = start.saturating_add(req.size).min(all.len());
    let short = kind == SearchKind::Smart && st.smart_shortfall > 0;
    if short {
        // 2.x with pgvector: nearest candidates of other users fill part of the page, which then
        // comes back short, and the search ends there.
        end = start + (end - start).saturating_sub(st.smart_shortfall);
    }
    let items = all[start..end]
        .iter()
        .map(|&i| json::asset_json(&st, i as usize, req.with_exif, req.with_people))
        .collect();
    let next = (end < all.len() && !short).then_some(req.page + 1);
    ok(json::search_response(items, next))
}
