//! Albums: `GET` and `POST /api/albums`, `GET`, `PATCH` and `DELETE /api/albums/{id}`, sharing
//! (`PUT /api/albums/{id}/users`), and adding and removing assets (`PUT` and `DELETE
//! /api/albums/{id}/assets`), each as the caller's role in the album allows, in the answer shapes
//! of the line the simulator answers as.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{App, Handled, no_content, ok};
use crate::immich::ImmichLine;
use crate::sim::json::{self, ApiError, issue_bad_uuid, issue_invalid_enum, json_response};
use crate::sim::state::{Album, Caller, State, parse_uuid_v4, uuid_str};
use crate::sim::time;
use crate::sim::types::Role;
use crate::sim::validate::{Fields, parse_json_body, path_uuid, query_bool};

pub(super) async fn list_albums(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Handled {
    caller.require("album.read")?;
    let st = app.lock();
    // 2.x knows only `shared` and `assetId`, and ignores the rest silently. Without `shared` it
    // lists the caller's own albums only, none it is a member of; `shared=true` lists the shared
    // ones, its own and others'; `shared=false` its own that are not shared (measured on 2.5.6).
    let (is_owned, is_shared, name) = match st.line {
        ImmichLine::V2_5 => match query_bool(&query, "shared")? {
            None => (Some(true), None, None),
            Some(true) => (None, Some(true), None),
            Some(false) => (Some(true), Some(false), None),
        },
        ImmichLine::V3_1 => (
            query_bool(&query, "isOwned")?,
            query_bool(&query, "isShared")?,
            query.get("name"),
        ),
    };
    // Newest first, as Immich lists them (the later of two created in the same millisecond first).
    let mut newest_first: Vec<&Album> = st.albums.iter().rev().collect();
    newest_first.sort_by_key(|a| std::cmp::Reverse(a.created_ms));
    let albums = newest_first
        .into_iter()
        .filter(|a| a.role_of(caller.user).is_some())
        .filter(|a| name.is_none_or(|n| &a.name == n))
        .filter(|a| is_owned.is_none_or(|owned| (a.owner == caller.user) == owned))
        .filter(|a| is_shared.is_none_or(|shared| a.members.is_empty() != shared))
        .map(|a| json::album_json(&st, a, caller.user, false))
        .collect();
    ok(Value::Array(albums))
}

/// The album at `raw_id` if the caller may do `action` on it (else Immich's 400).
fn album_for(
    st: &State,
    caller: &Caller,
    raw_id: &str,
    action: &str,
    allowed: impl Fn(Option<Role>) -> bool,
) -> Result<usize, ApiError> {
    let id = path_uuid(raw_id)?;
    st.album_by_id(id)
        .filter(|&a| allowed(st.albums[a].role_of(caller.user)))
        .ok_or_else(|| ApiError::bad_request(&format!("Not found or no {action} access")))
}

fn any_role(role: Option<Role>) -> bool {
    role.is_some()
}

fn owner_or_editor(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Owner | Role::Editor))
}

pub(super) async fn get_album(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Handled {
    caller.require("album.read")?;
    let mut st = app.lock();
    let album = album_for(&st, &caller, &id, "album.read", any_role)?;
    let miscount = st.line == ImmichLine::V2_5
        && query_bool(&query, "withoutAssets")? != Some(true)
        && st.miscounted_albums > 0;
    if miscount {
        st.miscounted_albums -= 1;
    }
    let st = st;
    // Immich counts contributors only on shared albums.
    let shared = !st.albums[album].members.is_empty();
    let mut body = json::album_json(&st, &st.albums[album], caller.user, shared);
    // 2.x sends every asset of the album unless told not to.
    if st.line == ImmichLine::V2_5 {
        let assets: Vec<Value> = if query_bool(&query, "withoutAssets")? == Some(true) {
            Vec::new()
        } else {
            st.albums[album]
                .assets
                .iter()
                .filter_map(|id| st.asset_by_id(*id))
                // As `assetCount` counts them: what is neither trashed nor hidden (nor locked).
                .filter(|&i| st.album_counts(i))
                .map(|i| json::asset_json(&st, i, true, false))
                .collect()
        };
        body["assets"] = Value::Array(assets);
        if miscount && let Some(count) = body["assetCount"].as_u64() {
            body["assetCount"] = (count + 1).into();
        }
    }
    ok(body)
}

/// `PATCH /api/albums/{id}` (`UpdateAlbumDto`): name, description, order, cover; the owner, and on
/// 3.x an editor too (measured on 3.1.0: 200 for an editor; 2.5.6: 400). A cover the album does
/// not hold is Immich's 400 "Invalid album thumbnail". The answer has no
/// `lastModifiedAssetTimestamp` (measured on both lines).
pub(super) async fn update_album(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Handled {
    caller.require("album.update")?;
    let body = parse_json_body(&body)?;
    let mut f = Fields::new(&body)?;
    let name = f.string("albumName");
    let description = f.string("description");
    let thumbnail = f.uuid("albumThumbnailAssetId");
    let order = f.one_of("order", &["asc", "desc"]);
    f.boolean("isActivityEnabled");
    f.finish()?;
    let mut st = app.lock();
    let editors_may = st.line == ImmichLine::V3_1;
    let album = album_for(&st, &caller, &id, "album.update", |r| {
        r == Some(Role::Owner) || (editors_may && r == Some(Role::Editor))
    })?;
    if let Some(cover) = thumbnail
        && !st.albums[album].assets.contains(&cover)
    {
        return Err(ApiError::bad_request("Invalid album thumbnail"));
    }
    let a = &mut st.albums[album];
    if let Some(name) = name {
        a.name = name;
    }
    if let Some(description) = description {
        a.description = description;
    }
    if let Some(cover) = thumbnail {
        a.thumbnail = Some(cover);
    }
    if let Some(order) = order {
        a.order = if order == "asc" { "asc" } else { "desc" };
    }
    a.updated_ms = time::now_ms();
    let mut body = json::album_json(&st, &st.albums[album], caller.user, false);
    if let Some(fields) = body.as_object_mut() {
        fields.remove("lastModifiedAssetTimestamp");
    }
    ok(body)
}

/// `DELETE /api/albums/{id}`: only the owner may (else Immich's 400); answers 204 with no body.
pub(super) async fn delete_album(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Handled {
    caller.require("album.delete")?;
    let mut st = app.lock();
    let album = album_for(&st, &caller, &id, "album.delete", |r| {
        r == Some(Role::Owner)
    })?;
    st.delete_album(album);
    Ok(no_content())
}

/// Read `albumUsers: [{userId, role}]` (role defaults to editor); a user id that does not exist is a
/// 400 with `unknown_user` as its message.
fn album_users(
    f: &mut Fields<'_>,
    st: &State,
    unknown_user: &str,
) -> Result<Vec<(usize, Role)>, ApiError> {
    let Some(value) = f.value("albumUsers") else {
        return Ok(Vec::new());
    };
    let Some(items) = value.as_array() else {
        f.wrong_type("albumUsers", "array");
        f.finish()?;
        return Ok(Vec::new());
    };
    let mut parsed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let user_id = item.get("userId").and_then(Value::as_str);
        let Some(user_id) = user_id.and_then(parse_uuid_v4) else {
            f.issue(issue_bad_uuid(json!(["albumUsers", i, "userId"])));
            continue;
        };
        let role = match item.get("role").and_then(Value::as_str) {
            None => Role::Editor,
            Some("editor") => Role::Editor,
            Some("viewer") => Role::Viewer,
            Some(_) => {
                let path = json!(["albumUsers", i, "role"]);
                f.issue(issue_invalid_enum(path, &["editor", "owner", "viewer"]));
                continue;
            }
        };
        parsed.push((user_id, role));
    }
    f.finish()?;
    parsed
        .into_iter()
        .map(|(id, role)| {
            st.user_by_id(id)
                .map(|u| (u, role))
                .ok_or_else(|| ApiError::bad_request(unknown_user))
        })
        .collect()
}

pub(super) async fn create_album(
    AxumState(app): AxumState<App>,
    caller: Caller,
    body: Bytes,
) -> Handled {
    caller.require("album.create")?;
    let body = parse_json_body(&body)?;
    let mut f = Fields::new(&body)?;
    let name = f.string("albumName");
    if name.is_none() && f.value("albumName").is_none() {
        f.wrong_type("albumName", "string");
    }
    let description = f.string("description").unwrap_or_default();
    let asset_ids = f.uuid_list("assetIds");
    f.finish()?;
    let mut st = app.lock();
    let members = album_users(&mut f, &st, "User not found")?;
    if members.iter().any(|(u, _)| *u == caller.user) {
        return Err(ApiError::bad_request("Cannot share album with owner"));
    }
    let id = st.create_album(
        caller.user,
        &name.unwrap_or_default(),
        &description,
        &members,
    );
    let album = st.album_by_id(id).expect("just created");
    let allowed: Vec<u128> = asset_ids
        .into_iter()
        .filter(|id| {
            st.asset_by_id(*id)
                .is_some_and(|i| st.can_use_asset(caller.user, i))
        })
        .collect();
    st.insert_album_assets(album, &allowed);
    let body = json::album_json(&st, &st.albums[album], caller.user, false);
    Ok(json_response(StatusCode::CREATED, &body))
}

pub(super) async fn add_album_users(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Handled {
    caller.require("albumUser.create")?;
    let body = parse_json_body(&body)?;
    let mut f = Fields::new(&body)?;
    if f.value("albumUsers")
        .is_none_or(|v| v.as_array().is_some_and(|a| a.is_empty()))
    {
        f.issue(json!({
            "origin": "array",
            "code": "too_small",
            "minimum": 1,
            "inclusive": true,
            "path": ["albumUsers"],
            "message": "Too small: expected array to have >=1 items",
        }));
    }
    f.finish()?;
    let mut st = app.lock();
    let album = album_for(&st, &caller, &id, "albumUser.create", |r| {
        r == Some(Role::Owner)
    })?;
    // 2.x words an unknown user as album creation does (measured on 2.5.6).
    let unknown_user = match st.line {
        ImmichLine::V3_1 => "Invalid user",
        ImmichLine::V2_5 => "User not found",
    };
    let members = album_users(&mut f, &st, unknown_user)?;
    // Immich 3.1 answers 200 for the owner and for users already in the album, and leaves them as
    // they are: adding again does not change a role. 2.x refuses the whole request.
    if st.line == ImmichLine::V2_5 {
        let owner = st.albums[album].owner;
        if members
            .iter()
            .any(|(u, _)| *u == owner || st.albums[album].role_of(*u).is_some())
        {
            return Err(ApiError::bad_request("User already added"));
        }
    }
    for (user, role) in members {
        if st.albums[album].role_of(user).is_none() {
            st.add_album_member(album, user, role);
        }
    }
    let mut body = json::album_json(&st, &st.albums[album], caller.user, false);
    if let Some(fields) = body.as_object_mut() {
        // This answer of Immich's leaves the field out.
        fields.remove("lastModifiedAssetTimestamp");
    }
    ok(body)
}

/// Read the `{"ids": [...]}` body of the album asset endpoints.
fn asset_ids(body: &Bytes) -> Result<Vec<u128>, ApiError> {
    let body = parse_json_body(body)?;
    let mut f = Fields::new(&body)?;
    if f.value("ids").is_none() {
        f.wrong_type("ids", "array");
    }
    let ids = f.uuid_list("ids");
    f.finish()?;
    Ok(ids)
}

fn bulk_result(id: u128, error: Option<&str>) -> Value {
    let id = uuid_str(id);
    match error {
        None => json!({ "id": id, "success": true }),
        Some(error) => json!({ "id": id, "success": false, "error": error }),
    }
}

pub(super) async fn add_album_assets(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Handled {
    caller.require("albumAsset.create")?;
    let album_id = path_uuid(&id)?;
    let ids = asset_ids(&body)?;
    let mut st = app.lock();
    // Immich looks the album up before it checks access.
    if st.album_by_id(album_id).is_none() {
        return Err(ApiError::bad_request("Album not found"));
    }
    let album = album_for(&st, &caller, &id, "albumAsset.create", owner_or_editor)?;
    let mut seen = HashSet::new();
    let mut added = Vec::new();
    let results: Vec<Value> = ids
        .iter()
        .map(|&id| {
            let error = if st.albums[album].assets.contains(&id) || !seen.insert(id) {
                Some("duplicate")
            } else if st
                .asset_by_id(id)
                .is_some_and(|i| st.can_use_asset(caller.user, i))
            {
                added.push(id);
                None
            } else {
                Some("no_permission")
            };
            bulk_result(id, error)
        })
        .collect();
    st.insert_album_assets(album, &added);
    ok(Value::Array(results))
}

pub(super) async fn remove_album_assets(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Handled {
    caller.require("albumAsset.delete")?;
    path_uuid(&id)?;
    let ids = asset_ids(&body)?;
    let mut st = app.lock();
    let album = album_for(&st, &caller, &id, "albumAsset.delete", owner_or_editor)?;
    let is_owner = st.albums[album].owner == caller.user;
    let mut removed = Vec::new();
    let results: Vec<Value> = ids
        .iter()
        .map(|&id| {
            let own_asset = st
                .asset_by_id(id)
                .is_some_and(|i| st.assets[i].owner as usize == caller.user);
            let error = if !st.albums[album].assets.contains(&id) || removed.contains(&id) {
                Some("not_found")
            } else if !is_owner && !own_asset {
                Some("no_permission")
            } else {
                removed.push(id);
                None
            };
            bulk_result(id, error)
        })
        .collect();
    st.remove_album_assets(album, &removed);
    ok(Value::Array(results))
}
