//! Originals and uploads, for copies between servers: `GET /api/assets/{id}` (one asset, as the
//! copy reads it), `GET /api/assets/{id}/original` streams an asset's original file, `POST
//! /api/assets/bulk-upload-check` says which checksums a user already holds, and `POST /api/assets`
//! (multipart) takes a file, computes its checksum from the bytes as they arrive and answers
//! `duplicate` for a file the user already has, as Immich 3.1 does. An upload's `updatedAt` is the
//! moment it arrived (Immich stamps it once more, about 0.3 s later, when it has read the file's
//! metadata; the simulator stamps it once). How an original is made and an upload's checksum taken
//! is in `crate::sim::originals`.

use axum::body::{Body, Bytes};
use axum::extract::{Multipart, Path, State as AxumState};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use serde_json::{Value, json};

use super::{App, Handled};
use crate::immich::ImmichLine;
use crate::sim::json::{self, ApiError, json_response};
use crate::sim::originals::{Checksummer, original_chunks};
use crate::sim::state::{
    AssetRec, Caller, FLAG_FAVORITE, FLAG_VIDEO, NO_CAMERA, NO_PLACE, State, Visibility, uuid_str,
};
use crate::sim::time;
use crate::sim::validate::{Fields, parse_json_body, path_uuid};

/// The asset at `raw_id` if the caller may read it, else Immich's 400 for `action`.
fn readable(st: &State, caller: &Caller, raw_id: &str, action: &str) -> Result<usize, ApiError> {
    let id = path_uuid(raw_id)?;
    st.asset_by_id(id)
        .filter(|&i| st.can_read_asset(caller.user, i))
        .ok_or_else(|| ApiError::bad_request(&format!("Not found or no {action} access")))
}

/// `GET /api/assets/{id}`: one asset with its exif.
pub async fn asset(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Handled {
    caller.require("asset.read")?;
    let st = app.lock();
    let i = readable(&st, &caller, &id, "asset.read")?;
    let mut answer = json::asset_json(&st, i, true, false);
    // This answer alone also names the owner, the tags and the stack (and on 2.x the faces not yet
    // given a person), measured on 3.1.0 and 2.5.6.
    let owner = st.assets[i].owner as usize;
    answer["owner"] = json::user_json(&st.users[owner]);
    answer["tags"] = json!(super::tags::of_asset(&st, st.assets[i].id));
    answer["stack"] = Value::Null;
    if st.line == ImmichLine::V2_5 {
        answer["unassignedFaces"] = json!([]);
    }
    Ok(json_response(StatusCode::OK, &answer))
}

/// `GET /api/assets/{id}/original`: the file, streamed.
pub async fn original(
    AxumState(app): AxumState<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Handled {
    caller.require("asset.download")?;
    let (checksum, size, name) = {
        let st = app.lock();
        let i = readable(&st, &caller, &id, "asset.download")?;
        (
            st.assets[i].checksum,
            st.original_size(i),
            st.original_file_name(i),
        )
    };
    let pace = app.lock().original_pace;
    let chunks = original_chunks(checksum, size).then(move |chunk| async move {
        if let Some(pause) = pace {
            tokio::time::sleep(pause).await;
        }
        chunk
    });
    let mut resp = Response::new(Body::from_stream(chunks));
    let headers = resp.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert("content-length", HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert("content-disposition", value);
    }
    Ok(resp)
}

/// `POST /api/assets/bulk-upload-check {"assets": [{"id", "checksum"}]}`: per item, `accept`, or
/// `reject` with `duplicate` and the asset the user already has.
pub async fn bulk_upload_check(
    AxumState(app): AxumState<App>,
    caller: Caller,
    body: Bytes,
) -> Handled {
    caller.require("asset.upload")?;
    let body = parse_json_body(&body)?;
    let mut f = Fields::new(&body)?;
    let items = f.value("assets").and_then(Value::as_array).cloned();
    if items.is_none() {
        f.wrong_type("assets", "array");
    }
    f.finish()?;
    let st = app.lock();
    let results: Vec<Value> = items
        .unwrap_or_default()
        .iter()
        .map(|item| {
            let id = item.get("id").and_then(Value::as_str).unwrap_or_default();
            let checksum = item
                .get("checksum")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match decode_checksum(checksum).and_then(|c| st.asset_with_checksum(caller.user, &c)) {
                Some(existing) => json!({
                    "id": id,
                    "action": "reject",
                    "reason": "duplicate",
                    "assetId": uuid_str(st.assets[existing].id),
                    "isTrashed": st.is_trashed(existing),
                }),
                None => json!({ "id": id, "action": "accept" }),
            }
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "results": results }),
    ))
}

/// A checksum as bulk-upload-check takes it: base64 or hex of the 20 bytes.
fn decode_checksum(text: &str) -> Option<[u8; 20]> {
    use base64::Engine;
    if text.len() == 40 {
        let mut out = [0u8; 20];
        for (i, pair) in text.as_bytes().chunks(2).enumerate() {
            out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        return Some(out);
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?
        .try_into()
        .ok()
}

/// `POST /api/assets` (multipart): `assetData`, `fileCreatedAt` and `fileModifiedAt` are required
/// (and on 2.x `deviceAssetId` and `deviceId`). 201 `created`, or 200 `duplicate` with the id the
/// user already has.
pub async fn upload(
    AxumState(app): AxumState<App>,
    caller: Caller,
    mut form: Multipart,
) -> Handled {
    caller.require("asset.upload")?;
    let mut sum: Option<([u8; 20], u64)> = None;
    let mut text = std::collections::HashMap::new();
    while let Some(mut field) = form.next_field().await.map_err(|e| {
        ApiError::bad_request(&format!(
            "Malformed multipart body: {e}: {:?}",
            std::error::Error::source(&e)
        ))
    })? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "assetData" {
            if let Some(file_name) = field.file_name() {
                text.entry("filename".to_string())
                    .or_insert_with(|| file_name.to_string());
            }
            let mut hasher = Checksummer::default();
            while let Some(chunk) = field.chunk().await.map_err(|e| {
                ApiError::bad_request(&format!(
                    "Malformed multipart body: {e}: {:?}",
                    std::error::Error::source(&e)
                ))
            })? {
                hasher.update(&chunk);
            }
            sum = Some(hasher.finish());
        } else {
            let value = field.text().await.map_err(|e| {
                ApiError::bad_request(&format!(
                    "Malformed multipart body: {e}: {:?}",
                    std::error::Error::source(&e)
                ))
            })?;
            text.insert(name, value);
        }
    }
    let line = app.lock().line;
    let mut missing: Vec<String> = Vec::new();
    let mut required = vec!["fileCreatedAt", "fileModifiedAt"];
    if line == ImmichLine::V2_5 {
        required.extend(["deviceAssetId", "deviceId"]);
    }
    for field in required {
        if text.get(field).is_none_or(|v| v.is_empty()) {
            missing.push(format!("{field} should not be empty"));
        }
    }
    if sum.is_none() {
        missing.push("assetData should not be empty".into());
    }
    let taken_ms = text
        .get("fileCreatedAt")
        .and_then(|t| time::parse_iso_datetime_ms(t));
    if text.contains_key("fileCreatedAt") && taken_ms.is_none() {
        missing.push("fileCreatedAt must be a valid ISO 8601 date string".into());
    }
    let (Some((checksum, size)), Some(taken_ms), true) = (sum, taken_ms, missing.is_empty()) else {
        return Err(ApiError::validation(
            missing
                .into_iter()
                .map(|m| json!({ "message": m, "path": [] }))
                .collect(),
        ));
    };
    let mut st = app.lock();
    if let Some(existing) = st.asset_with_checksum(caller.user, &checksum) {
        let id = uuid_str(st.assets[existing].id);
        return Ok(json_response(
            StatusCode::OK,
            &json!({ "id": id, "status": "duplicate" }),
        ));
    }
    let file_name = text
        .get("filename")
        .cloned()
        .unwrap_or_else(|| "upload".into());
    let video = [".mp4", ".mov", ".m4v", ".webm"]
        .iter()
        .any(|ext| file_name.to_lowercase().ends_with(ext));
    let id = st.rng.uuid();
    let favorite = text.get("isFavorite").is_some_and(|v| v == "true");
    let rec = AssetRec {
        id,
        checksum,
        taken: taken_ms.div_euclid(1000),
        words: 0,
        people: 0,
        file_no: 0,
        owner: caller.user as u16,
        camera: NO_CAMERA,
        place: NO_PLACE,
        flags: if video { FLAG_VIDEO } else { 0 } | if favorite { FLAG_FAVORITE } else { 0 },
        visibility: Visibility::Timeline,
    };
    st.add_uploaded(caller.user, rec, file_name, size);
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "id": uuid_str(id), "status": "created" }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::state::b64;

    #[test]
    fn checksums_are_read_in_base64_or_hex() {
        let bytes = [0xabu8; 20];
        assert_eq!(decode_checksum(&b64(&bytes)), Some(bytes));
        assert_eq!(decode_checksum(&"ab".repeat(20)), Some(bytes));
        assert_eq!(decode_checksum("nope"), None);
    }
}
