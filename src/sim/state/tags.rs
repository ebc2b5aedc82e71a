//! Tags, per user and hierarchical (`Holiday/2023` is the child `2023` of `Holiday`), as Immich 3.1
//! keeps them: a tag and its parents made on demand, and whether an asset carries a tag or one of its
//! descendants (what `tagIds` in a search keeps). A generated library has no tags; tests tag assets
//! through `Simulator::tag`. `GET /api/tags` and the tags' JSON are in `routes::tags`.

use super::State;
use crate::sim::time;

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
