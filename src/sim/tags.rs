//! Tags, per user and hierarchical (`Holiday/2023` is the child `2023` of `Holiday`), as Immich 3.1
//! keeps them: `GET /api/tags` lists the caller's tags, and `tagIds` in a search keeps the assets that
//! carry every listed tag or one of its descendants. A generated library has no tags; tests tag assets
//! through [`super::Simulator::tag`].

use axum::extract::State as AxumState;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::json::json_response;
use super::routes::{App, Handled};
use super::state::{Caller, State, uuid_str};
use super::time;

/// One tag of one user.
#[derive(Debug, Clone)]
pub struct Tag {
    pub id: u128,
    /// The full path, `Parent/Child`.
    pub value: String,
    pub parent: Option<u128>,
    pub created_ms: i64,
}

/// The tag `value` of `user`, with its parents, made when missing; its id.
pub fn ensure(st: &mut State, user: usize, value: &str) -> u128 {
    let mut parent: Option<u128> = None;
    let mut path = String::new();
    for part in value.split('/') {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(part);
        let found = st.tags[user].iter().find(|t| t.value == path).map(|t| t.id);
        let id = match found {
            Some(id) => id,
            None => {
                let id = st.rng.uuid();
                st.tags[user].push(Tag {
                    id,
                    value: path.clone(),
                    parent,
                    created_ms: time::now_ms(),
                });
                id
            }
        };
        parent = Some(id);
    }
    parent.expect("a tag value has a part")
}

/// Whether the asset carries `tag` or one of its descendants.
pub fn carries(st: &State, asset: u128, tag: u128) -> bool {
    let Some(tags) = st.asset_tags.get(&asset) else {
        return false;
    };
    tags.iter().any(|&t| is_within(st, t, tag))
}

/// Whether `tag` is `ancestor` or lies below it.
fn is_within(st: &State, tag: u128, ancestor: u128) -> bool {
    let mut current = Some(tag);
    while let Some(id) = current {
        if id == ancestor {
            return true;
        }
        current = st
            .tags
            .iter()
            .flatten()
            .find(|t| t.id == id)
            .and_then(|t| t.parent);
    }
    false
}

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
