//! `GET /api/people`: the caller's people, a page at a time.

use std::collections::HashMap;

use axum::extract::{Query, State as AxumState};
use serde_json::{Value, json};

use super::{App, Handled, ok};
use crate::sim::json;
use crate::sim::state::Caller;
use crate::sim::validate::{query_bool, query_int};

pub(super) async fn people(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Handled {
    caller.require("person.read")?;
    let page = query_int(&query, "page", 1, (1, 9_007_199_254_740_991))? as usize;
    let size = query_int(&query, "size", 500, (1, 1000))? as usize;
    query_bool(&query, "withHidden")?;
    let st = app.lock();
    let size = st.people_page_cap.map_or(size, |cap| size.min(cap));
    let total = st.people[caller.user].len();
    let start = (page - 1).saturating_mul(size).min(total);
    let end = start.saturating_add(size).min(total);
    let people: Vec<Value> = (start..end)
        .map(|i| json::person_json(&st, caller.user, i, false))
        .collect();
    ok(json!({
        "people": people,
        "hasNextPage": end < total,
        "total": total,
        "hidden": 0,
    }))
}
