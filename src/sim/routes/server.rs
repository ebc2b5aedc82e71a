//! The server and who is calling: `/.well-known/immich`, `GET /api/server/ping` and `version`,
//! `GET /api/users/me` and `/api/users`, and `GET /api/api-keys/me`.

use axum::extract::State as AxumState;
use serde_json::{Value, json};

use super::{App, Handled, ok};
use crate::immich::ImmichLine;
use crate::sim::json;
use crate::sim::state::Caller;

pub(super) async fn well_known(AxumState(app): AxumState<App>) -> Handled {
    let endpoint = app
        .lock()
        .api_endpoint
        .clone()
        .unwrap_or_else(|| "/api".to_string());
    ok(json!({ "api": { "endpoint": endpoint } }))
}

pub(super) async fn ping() -> Handled {
    ok(json!({ "res": "pong" }))
}

pub(super) async fn version(AxumState(app): AxumState<App>) -> Handled {
    let (line, reported) = {
        let st = app.lock();
        (st.line, st.reported_version)
    };
    let (major, minor, patch) = reported.unwrap_or(line.version());
    ok(match line {
        // 2.x has no `prerelease`.
        ImmichLine::V2_5 => json!({ "major": major, "minor": minor, "patch": patch }),
        ImmichLine::V3_1 => {
            json!({ "major": major, "minor": minor, "patch": patch, "prerelease": null })
        }
    })
}

pub(super) async fn users_me(AxumState(app): AxumState<App>, caller: Caller) -> Handled {
    caller.require("user.read")?;
    ok(json::user_me_json(&app.lock().users[caller.user]))
}

/// `GET /api/users`: every user of the server, as `UserResponseDto`.
pub(super) async fn users(AxumState(app): AxumState<App>, caller: Caller) -> Handled {
    caller.require("user.read")?;
    let users: Vec<Value> = app.lock().users.iter().map(json::user_json).collect();
    ok(Value::Array(users))
}

pub(super) async fn api_key_me(AxumState(app): AxumState<App>, caller: Caller) -> Handled {
    ok(json::api_key_json(&app.lock().keys[caller.key]))
}
