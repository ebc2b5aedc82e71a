//! Album shared links, in Immich 3.1's shapes: `POST /api/shared-links` (type `ALBUM`), `GET
//! /api/shared-links` (the caller's, optionally of one album), `PATCH` and `DELETE
//! /api/shared-links/{id}`. A link's password is answered as it was set, as Immich answers it
//! (`mapSharedLink`); `PATCH` with `"password": null` takes it away.

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;

use super::{App, Handled, no_content};
use crate::immich::ImmichLine;
use crate::sim::json::{self, ApiError, json_response};
use crate::sim::rng::lower_alnum_from;
use crate::sim::state::links::SharedLink;
use crate::sim::state::{Caller, State, uuid_str};
use crate::sim::time;
use crate::sim::validate::{Fields, parse_json_body, path_uuid};

/// A link as Immich answers it; `with_album` for the listing (the answers to a creation or a change
/// have no `album`, measured on 3.1.0 and 2.5.6).
fn link_json(st: &State, link: &SharedLink, with_album: bool) -> Value {
    let album = st
        .album_by_id(link.album)
        .map(|a| json::album_json(st, &st.albums[a], link.user, false));
    let mut answer = json!({
        "id": uuid_str(link.id),
        "key": link.key,
        "type": "ALBUM",
        "userId": uuid_str(st.users[link.user].id),
        "album": album,
        "assets": [],
        "createdAt": time::iso_ms(link.created_ms),
        "expiresAt": link.expires_ms.map(time::iso_ms),
        "allowDownload": link.allow_download,
        "allowUpload": link.allow_upload,
        "showMetadata": link.show_metadata,
        "description": null,
        "password": link.password,
        "slug": link.slug,
    });
    if !with_album && let Some(fields) = answer.as_object_mut() {
        fields.remove("album");
    }
    answer
}

/// `POST /api/shared-links`: an album link of an album the caller owns or edits.
pub async fn create(AxumState(app): AxumState<App>, caller: Caller, body: Bytes) -> Handled {
    caller.require("sharedLink.create")?;
    let body = parse_json_body(&body)?;
    let mut f = Fields::new(&body)?;
    let kind = f.one_of("type", &["ALBUM", "INDIVIDUAL"]);
    let album = f.uuid("albumId");
    let expires = f.string("expiresAt");
    let password = f.string("password");
    let show_metadata = f.boolean("showMetadata").unwrap_or(true);
    // As Immich creates it: a link that hides metadata never allows downloads (an original carries
    // its metadata); a change later may set either alone.
    let allow_download = !matches!(f.boolean("showMetadata"), Some(false))
        && f.boolean("allowDownload").unwrap_or(true);
    let allow_upload = f.boolean("allowUpload").unwrap_or(true);
    let slug = f.string("slug").filter(|s| !s.is_empty());
    f.finish()?;
    if kind.as_deref() != Some("ALBUM") {
        return Err(ApiError::bad_request("Only album links are simulated"));
    }
    let expires_ms = match expires {
        None => None,
        Some(text) => Some(
            time::parse_iso_datetime_ms(&text)
                .ok_or_else(|| ApiError::bad_request("expiresAt must be a date"))?,
        ),
    };
    let mut st = app.lock();
    let Some(album_id) = album else {
        return Err(ApiError::bad_request("Invalid albumId"));
    };
    let allowed = st
        .album_by_id(album_id)
        .is_some_and(|a| st.albums[a].role_of(caller.user).is_some());
    if !allowed {
        return Err(ApiError::bad_request("Not found or no album.share access"));
    }
    let id = st.rng.uuid();
    let key = lower_alnum_from(id as u64, 40);
    let link = SharedLink {
        id,
        key,
        user: caller.user,
        album: album_id,
        expires_ms,
        password,
        allow_download,
        show_metadata,
        allow_upload,
        slug,
        created_ms: time::now_ms(),
    };
    let answer = link_json(&st, &link, false);
    st.links.push(link);
    Ok(json_response(StatusCode::CREATED, &answer))
}

/// `GET /api/shared-links[?albumId=…]`: the caller's links.
pub async fn list(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Handled {
    caller.require("sharedLink.read")?;
    let album = match query.get("albumId") {
        Some(id) => Some(path_uuid(id)?),
        None => None,
    };
    let st = app.lock();
    let links: Vec<Value> = st
        .links
        .iter()
        .filter(|l| l.user == caller.user && album.is_none_or(|a| a == l.album))
        .map(|l| link_json(&st, l, true))
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(links)))
}

fn own_link(st: &State, caller: &Caller, raw_id: &str) -> Result<usize, ApiError> {
    let id = path_uuid(raw_id)?;
    st.links
        .iter()
        .position(|l| l.id == id && l.user == caller.user)
        .ok_or_else(|| ApiError::bad_request("Shared link not found"))
}

/// `PATCH /api/shared-links/{id}`: a new expiry (or none), password or download permission.
pub async fn update(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Handled {
    caller.require("sharedLink.update")?;
    let body = parse_json_body(&body)?;
    let mut f = Fields::new(&body)?;
    let line = app.lock().line;
    let expires = f.value("expiresAt").cloned();
    let allow_download = f.boolean("allowDownload");
    let show_metadata = f.boolean("showMetadata");
    let allow_upload = f.boolean("allowUpload");
    // `slug: dto.slug || null`: a PATCH without it takes a custom URL away (measured).
    let slug = f.string("slug").filter(|s| !s.is_empty());
    // Absent: unchanged; null: none; a string: that one.
    let password = match f.body.get("password").cloned() {
        Some(Value::Null) => Some(None),
        // 2.x takes an empty password for none; 3.1 keeps it as it is (measured).
        Some(_) => f
            .string("password")
            .map(|p| (!p.is_empty() || line == ImmichLine::V3_1).then_some(p)),
        None => None,
    };
    f.finish()?;
    let mut st = app.lock();
    let i = own_link(&st, &caller, &id)?;
    match expires {
        Some(Value::Null) => st.links[i].expires_ms = None,
        Some(Value::String(text)) => {
            st.links[i].expires_ms = Some(
                time::parse_iso_datetime_ms(&text)
                    .ok_or_else(|| ApiError::bad_request("expiresAt must be a date"))?,
            );
        }
        _ => {}
    }
    if let Some(allow) = allow_download {
        st.links[i].allow_download = allow;
    }
    if let Some(show) = show_metadata {
        st.links[i].show_metadata = show;
    }
    if let Some(allow) = allow_upload {
        st.links[i].allow_upload = allow;
    }
    st.links[i].slug = slug;
    if let Some(password) = password {
        st.links[i].password = password;
    }
    let answer = link_json(&st, &st.links[i], false);
    Ok(json_response(StatusCode::OK, &answer))
}

/// `DELETE /api/shared-links/{id}`.
pub async fn delete(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Handled {
    caller.require("sharedLink.delete")?;
    let mut st = app.lock();
    let i = own_link(&st, &caller, &id)?;
    st.links.remove(i);
    Ok(no_content())
}
