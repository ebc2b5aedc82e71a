//! Assets as their owner changes and views them: `PUT /api/assets` (favourite, visibility) and
//! `GET /api/assets/{id}/thumbnail`. A bulk update that sets a favourite or a visibility moves the
//! `updatedAt` of every asset it names.
//! One asset, originals and uploads are in `uploads`.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State as AxumState};
use axum::http::HeaderValue;
use axum::response::Response;
use serde_json::json;

use super::{App, Handled, no_content};
use crate::sim::json::{ApiError, issue_invalid_enum};
use crate::sim::picture::{self, Size};
use crate::sim::state::{Caller, Visibility};
use crate::sim::validate::{Fields, parse_json_body, path_uuid};

/// `PUT /api/assets` (`AssetBulkUpdateDto`): `ids` plus the fields to change; `isFavorite` and
/// `visibility` are carried out, the other fields of the DTO are accepted and ignored. Every id must
/// be one of the caller's own assets, and (as with any API key, which never has the elevated
/// permission of a PIN-unlocked session) not a locked one; else the whole call is Immich's 400.
/// Moving assets to `locked` takes them out of every album, as `AssetService.updateAll` does.
/// Answers 204 with no body.
pub(super) async fn update_assets(
    AxumState(app): AxumState<App>,
    caller: Caller,
    body: Bytes,
) -> Handled {
    caller.require("asset.update")?;
    let body = parse_json_body(&body)?;
    let mut f = Fields::new(&body)?;
    if f.value("ids").is_none() {
        f.wrong_type("ids", "array");
    }
    let ids = f.uuid_list("ids");
    let is_favorite = f.boolean("isFavorite");
    let visibility = f
        .one_of("visibility", &Visibility::NAMES)
        .and_then(|v| Visibility::parse(&v));
    f.finish()?;
    let mut st = app.lock();
    let assets: Option<Vec<usize>> = ids
        .iter()
        .map(|&id| {
            st.asset_by_id(id).filter(|&i| {
                st.assets[i].owner as usize == caller.user
                    && st.assets[i].visibility != Visibility::Locked
            })
        })
        .collect();
    let Some(assets) = assets else {
        return Err(ApiError::bad_request("Not found or no asset.update access"));
    };
    for asset in assets {
        if let Some(favorite) = is_favorite {
            st.set_favorite(asset, favorite);
        }
        if let Some(visibility) = visibility {
            st.set_visibility(asset, visibility);
        }
    }
    Ok(no_content())
}

/// `GET /api/assets/{id}/thumbnail?size=thumbnail|preview|fullsize|original`: a small picture
/// drawn from the asset's checksum, WebP by default and for `thumbnail`, JPEG for the other sizes (as
/// Immich 3.1 sends them). Seen by its owner, the owner's partners and the members of an album that
/// holds it.
pub(super) async fn thumbnail(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Handled {
    caller.require("asset.view")?;
    let id = path_uuid(&id)?;
    let size = match query.get("size") {
        None => Size::Thumbnail,
        Some(size) => Size::parse(size).ok_or_else(|| {
            ApiError::validation(vec![issue_invalid_enum(json!(["size"]), &Size::NAMES)])
        })?,
    };
    let st = app.lock();
    let visible = st.asset_by_id(id).filter(|&i| {
        st.can_use_asset(caller.user, i)
            || st
                .albums
                .iter()
                .any(|a| a.role_of(caller.user).is_some() && a.assets.contains(&id))
    });
    let Some(asset) = visible else {
        return Err(ApiError::bad_request("Not found or no asset.view access"));
    };
    let (content_type, bytes) = picture::thumbnail(&st.assets[asset].checksum, size);
    let mut resp = Response::new(Body::from(bytes));
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    resp.headers_mut().insert(
        "cache-control",
        HeaderValue::from_static("private, max-age=86400, no-transform"),
    );
    Ok(resp)
}
