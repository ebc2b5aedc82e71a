//! `GET /api/tags`: the caller's tags (`TagResponseDto`), and the same shape for the tags an asset
//! carries, as `GET /api/assets/{id}` lists them. The tags themselves are kept in `state::tags`.

use axum::extract::State as AxumState;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{App, Handled};
use crate::sim::json::json_response;
use crate::sim::state::tags::Tag;
use crate::sim::state::{Caller, State, uuid_str};
use crate::sim::time;

/// `GET /api/tags`: the caller's tags (`TagResponseDto`).
pub async fn list(AxumState(app): AxumState<App>, caller: Caller) -> Handled {
    caller.require("tag.read")?;
    let st = app.lock();
    let tags: Vec<Value> = st.tags[caller.user].iter().map(tag_json).collect();
    Ok(json_response(StatusCode::OK, &Value::Array(tags)))
}

fn tag_json(t: &Tag) -> Value {
    let mut tag = json!({
        "id": uuid_str(t.id),
        "name": t.value.rsplit('/').next().unwrap_or(&t.value),
        "value": t.value,
        "createdAt": time::iso_ms(t.created_ms),
        "updatedAt": time::iso_ms(t.created_ms),
    });
    if let Some(parent) = t.parent {
        tag["parentId"] = json!(uuid_str(parent));
    }
    tag
}

/// The tags an asset carries, as `GET /api/assets/{id}` lists them.
pub fn of_asset(st: &State, asset: u128) -> Vec<Value> {
    let carried = st.asset_tags.get(&asset).cloned().unwrap_or_default();
    carried
        .iter()
        .filter_map(|id| st.tags.iter().flatten().find(|t| t.id == *id))
        .map(tag_json)
        .collect()
}
