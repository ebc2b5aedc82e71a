//! The JSON the simulator speaks: error bodies (401/403/400 validation/404) as `ApiError`, the
//! Immich response DTOs (users, API keys, people, assets, albums, search results) built on demand
//! from the compact state, and the response helper that sets Immich's `Content-Type`. An asset's
//! `updatedAt` is `State::updated_ms`; an album's `lastModifiedAssetTimestamp` is the newest of
//! those among the assets it counts, worked out each time the album is rendered.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::catalogue::{CAMERAS, PLACES};
use super::rng::{derived_uuid, hash_id};
use super::state::{Album, ApiKey, State, User, Visibility, b64, uploaded_ms, uuid_str};
use super::time;
use crate::immich::ImmichLine;

/// The UUID pattern Immich's validator reports.
const UUID_PATTERN: &str =
    "/^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$/";

/// A JSON response with Immich's content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// An error answer: a status and its JSON body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    /// 400 `{"message": …}`, e.g. "Not found or no album.read access".
    pub fn bad_request(message: &str) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "message": message }),
        }
    }

    /// 401 for a key that does not exist or was deleted.
    pub fn unauthorized() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            body: json!({ "message": "Invalid API key" }),
        }
    }

    /// 401 for a request with no credentials at all.
    pub fn authentication_required() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            body: json!({ "message": "Authentication required" }),
        }
    }

    /// 401 for what needs a PIN-unlocked session (the locked folder): an API key never has it.
    pub fn elevated_permission_required() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            body: json!({ "message": "Elevated permission is required" }),
        }
    }

    pub fn missing_permission(permission: &str) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            body: json!({ "message": format!("Missing required permission: {permission}") }),
        }
    }

    /// 400 "Validation failed" with zod-style issues.
    pub fn validation(issues: Vec<Value>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: json!({ "message": "Validation failed", "errors": issues }),
        }
    }

    /// Immich 3.1's answer for an unknown route (the message alone, as its other errors).
    pub fn no_route(method: &str, path: &str) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            body: json!({ "message": format!("Cannot {method} {path}") }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body)
    }
}

// ----- validation issues (zod 4 shapes, as Immich 3.1 reports them) ---------------------------

pub fn issue_bad_uuid(path: Value) -> Value {
    json!({
        "origin": "string",
        "code": "invalid_format",
        "format": "uuid",
        "pattern": UUID_PATTERN,
        "path": path,
        "message": "Invalid UUID",
    })
}

pub fn issue_too_big(path: Value, maximum: i64) -> Value {
    json!({
        "origin": "number",
        "code": "too_big",
        "maximum": maximum,
        "inclusive": true,
        "path": path,
        "message": format!("Too big: expected number to be <={maximum}"),
    })
}

pub fn issue_too_small(path: Value, minimum: i64) -> Value {
    json!({
        "origin": "number",
        "code": "too_small",
        "minimum": minimum,
        "inclusive": true,
        "path": path,
        "message": format!("Too small: expected number to be >={minimum}"),
    })
}

pub fn issue_invalid_type(path: Value, expected: &str, received: Option<&Value>) -> Value {
    let received = match received {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    };
    json!({
        "expected": expected,
        "code": "invalid_type",
        "path": path,
        "message": format!("Invalid input: expected {expected}, received {received}"),
    })
}

/// A boolean query parameter that is neither `true` nor `false` (zod's `stringbool`, as Immich
/// configures it: case-sensitive).
pub fn issue_bad_stringbool(path: Value) -> Value {
    json!({
        "code": "invalid_value",
        "expected": "stringbool",
        "values": ["true", "false"],
        "path": path,
        "message": "Invalid option: expected one of \"true\"|\"false\"",
    })
}

pub fn issue_invalid_enum(path: Value, values: &[&str]) -> Value {
    let options: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    json!({
        "code": "invalid_value",
        "values": values,
        "path": path,
        "message": format!("Invalid option: expected one of {}", options.join("|")),
    })
}

/// Zod's `z.iso.datetime()` regex (no offset, no local time, any precision), as Immich reports it
/// for a date filter.
const DATETIME_PATTERN: &str = concat!(
    r"/^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29",
    r"|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)",
    r"|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z))$/",
);

/// A date filter (`takenAfter` …) that is a string but not an ISO 8601 datetime. Immich's
/// `isoDatetimeToDate` replaces zod's message with its own.
pub fn issue_bad_datetime(path: Value) -> Value {
    json!({
        "origin": "string",
        "code": "invalid_format",
        "format": "datetime",
        "pattern": DATETIME_PATTERN,
        "path": path,
        "message": "Invalid input: expected ISO 8601 datetime string, received string",
    })
}

/// A date filter that is not a string at all: zod's type issue with Immich's message, which names
/// JavaScript's `typeof` of the value (so `null` is an "object").
pub fn issue_datetime_not_string(path: Value, received: &Value) -> Value {
    let typeof_ = match received {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Null | Value::Array(_) | Value::Object(_) => "object",
    };
    json!({
        "expected": "string",
        "code": "invalid_type",
        "path": path,
        "message": format!("Invalid input: expected ISO 8601 datetime string, received {typeof_}"),
    })
}

// ----- DTOs -------------------------------------------------------------------------------------

/// `UserResponseDto` (as nested in albums).
pub fn user_json(u: &User) -> Value {
    json!({
        "id": uuid_str(u.id),
        "email": u.email,
        "name": u.display,
        "profileImagePath": "",
        "avatarColor": u.avatar,
        "profileChangedAt": time::iso_micros_offset(u.created_ms),
    })
}

/// `UserAdminResponseDto` as `GET /api/users/me` answers it.
pub fn user_me_json(u: &User) -> Value {
    json!({
        "id": uuid_str(u.id),
        "email": u.email,
        "name": u.display,
        "profileImagePath": "",
        "avatarColor": u.avatar,
        "profileChangedAt": time::iso_ms(u.created_ms),
        "storageLabel": null,
        "shouldChangePassword": false,
        "isAdmin": false,
        "createdAt": time::iso_ms(u.created_ms),
        "deletedAt": null,
        "updatedAt": time::iso_ms(u.created_ms),
        "oauthId": "",
        "quotaSizeInBytes": null,
        "quotaUsageInBytes": 0,
        "status": "active",
        "license": null,
    })
}

pub fn api_key_json(k: &ApiKey) -> Value {
    json!({
        "id": uuid_str(k.id),
        "name": k.name,
        "createdAt": time::iso_ms(k.created_ms),
        "updatedAt": time::iso_ms(k.created_ms),
        "permissions": k.permissions,
    })
}

/// `PersonResponseDto` for person slot `i` of `user`. `nested` = inside an asset (Immich then
/// prints `updatedAt` with microseconds and an offset).
pub fn person_json(st: &State, user: usize, i: usize, nested: bool) -> Value {
    let id = uuid_str(st.people[user][i]);
    let user_id = uuid_str(st.users[user].id);
    let updated = st.users[user].created_ms + 60_000 + i as i64 * 13;
    json!({
        "id": id,
        "name": st.person_name(user, i),
        "birthDate": null,
        "thumbnailPath": format!("/data/thumbs/{user_id}/{}/{}/{id}.jpeg", &id[0..2], &id[2..4]),
        "isHidden": false,
        "isFavorite": false,
        "updatedAt": if nested { time::iso_micros_offset(updated) } else { time::iso_ms(updated) },
    })
}

/// `AssetResponseDto` for asset `idx`.
pub fn asset_json(st: &State, idx: usize, with_exif: bool, with_people: bool) -> Value {
    let a = &st.assets[idx];
    let owner = a.owner as usize;
    let owner_id = uuid_str(st.users[owner].id);
    let file_name = st.original_file_name(idx);
    let ext = file_name.rsplit('.').next().unwrap_or("jpg");
    let disk = uuid_str(derived_uuid(a.id, 1));
    let mime = match ext.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "mp4" => "video/mp4",
        _ => "image/jpeg",
    };
    let (width, height) = if a.is_screenshot() {
        (1080, 2400)
    } else if a.is_video() {
        (1920, 1080)
    } else {
        (4032, 3024)
    };
    let taken_ms = a.taken * 1000;
    let uploaded_ms = uploaded_ms(idx);
    let mut thumbhash = [0u8; 20];
    for (i, chunk) in thumbhash.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&hash_id(a.id, 10 + i as u64).to_le_bytes()[..chunk.len()]);
    }
    let mut obj = json!({
        "id": uuid_str(a.id),
        "createdAt": time::iso_ms(uploaded_ms),
        "ownerId": owner_id,
        "libraryId": null,
        "type": a.kind(),
        "originalPath": format!("/data/upload/{owner_id}/{}/{}/{disk}.{ext}", &disk[0..2], &disk[2..4]),
        "originalFileName": file_name,
        "originalMimeType": mime,
        "thumbhash": b64(&thumbhash),
        "fileCreatedAt": time::iso_ms(taken_ms),
        "fileModifiedAt": time::iso_ms(taken_ms),
        "localDateTime": time::iso_ms(taken_ms + a.tz_offset_secs() * 1000),
        "updatedAt": time::iso_ms(st.updated_ms(idx)),
        "isFavorite": a.is_favorite(),
        "isArchived": a.visibility == Visibility::Archive,
        "isTrashed": st.is_trashed(idx),
        "visibility": a.visibility.as_str(),
        "duration": if a.is_video() {
            json!(format!("0:00:{:02}.000000", 3 + hash_id(a.id, 2) % 57))
        } else if st.line == ImmichLine::V2_5 {
            json!("0:00:00.00000")
        } else {
            Value::Null
        },
        "livePhotoVideoId": null,
        "people": [],
        "checksum": b64(&a.checksum),
        "isOffline": false,
        "hasMetadata": true,
        "duplicateId": null,
        "resized": true,
        "width": width,
        "height": height,
        "isEdited": false,
    });
    if st.line == ImmichLine::V2_5 {
        // Every 2.x asset answer names the device it came from (the tool never reads them).
        obj["deviceAssetId"] = json!(format!("{file_name}-{taken_ms}"));
        obj["deviceId"] = json!("WEB");
    }
    if with_people {
        obj["people"] = (0..32)
            .filter(|i| a.people & (1 << i) != 0)
            .map(|i| {
                let mut person = person_json(st, owner, i, true);
                if st.line == ImmichLine::V2_5 {
                    // 2.x lists the person's faces on the asset (measured on 2.5.6; 3.1.0 does not).
                    person["faces"] = json!([{
                        "id": uuid_str(derived_uuid(a.id, 100 + i as u64)),
                        "imageWidth": width,
                        "imageHeight": height,
                        "boundingBoxX1": 100 + 40 * i,
                        "boundingBoxY1": 100,
                        "boundingBoxX2": 300 + 40 * i,
                        "boundingBoxY2": 300,
                        "sourceType": "machine-learning",
                    }]);
                }
                person
            })
            .collect();
    }
    if with_exif {
        let camera = CAMERAS.get(a.camera as usize);
        let place = PLACES.get(a.place as usize);
        let tz = place.map(|p| match p.tz_hours {
            0 => "UTC".to_string(),
            h => format!("UTC{h:+}"),
        });
        obj["exifInfo"] = json!({
            "make": camera.map(|c| c.make),
            "model": camera.map(|c| c.model),
            "exifImageWidth": width,
            "exifImageHeight": height,
            "fileSizeInByte": st.original_size(idx),
            "orientation": null,
            "dateTimeOriginal": time::iso_offset(a.taken),
            "modifyDate": time::iso_offset(a.taken),
            "timeZone": tz,
            "lensModel": camera.map(|c| c.lens),
            "fNumber": null,
            "focalLength": null,
            "iso": null,
            "exposureTime": null,
            "latitude": place.map(|p| p.lat),
            "longitude": place.map(|p| p.lon),
            "city": place.map(|p| p.city),
            "state": place.map(|p| p.state),
            "country": place.map(|p| p.country),
            "description": "",
            "projectionType": null,
            "rating": null,
        });
    }
    obj
}

/// `AlbumResponseDto`. `caller` decides the order of `albumUsers` (owner first, then the caller);
/// `with_contributors` adds `contributorCounts` (as `GET /api/albums/{id}` does).
pub fn album_json(st: &State, album: &Album, caller: usize, with_contributors: bool) -> Value {
    // 3.x lists the owner among the users; 2.x names it in `ownerId` and `owner` instead.
    let two_x = st.line == ImmichLine::V2_5;
    let mut users = if two_x {
        Vec::new()
    } else {
        vec![json!({ "user": user_json(&st.users[album.owner]), "role": "owner" })]
    };
    let mut members: Vec<_> = album.members.iter().collect();
    members.sort_by_key(|(u, _)| (*u != caller, st.users[*u].display.clone()));
    users.extend(
        members
            .iter()
            .map(|(u, role)| json!({ "user": user_json(&st.users[*u]), "role": role.as_str() })),
    );

    let existing: Vec<usize> = album
        .assets
        .iter()
        .filter_map(|id| st.asset_by_id(*id))
        .collect();
    // What the album counts (`assetCount`): neither trashed nor hidden (`withDefaultVisibility`).
    let counted: Vec<usize> = existing
        .iter()
        .copied()
        .filter(|&i| st.album_counts(i))
        .collect();
    let local_days: Vec<i64> = existing
        .iter()
        .map(|&i| {
            let a = &st.assets[i];
            (a.taken + a.tz_offset_secs()).div_euclid(86_400) * 86_400_000
        })
        .collect();

    let mut obj = json!({
        "albumName": album.name,
        "description": album.description,
        "albumThumbnailAssetId": album.thumbnail.map(uuid_str),
        "createdAt": time::iso_ms(album.created_ms),
        "updatedAt": time::iso_ms(album.updated_ms),
        "id": uuid_str(album.id),
        "albumUsers": users,
        "shared": !album.members.is_empty(),
        "hasSharedLink": false,
        "assetCount": counted.len(),
        "isActivityEnabled": true,
        "order": album.order,
    });
    if two_x {
        obj["ownerId"] = json!(uuid_str(st.users[album.owner].id));
        obj["owner"] = user_json(&st.users[album.owner]);
        // Empty in lists and answers to changes; `GET /albums/{id}` fills it.
        obj["assets"] = json!([]);
    }
    if let (Some(start), Some(end)) = (local_days.iter().min(), local_days.iter().max()) {
        obj["startDate"] = json!(time::iso_ms(*start));
        obj["endDate"] = json!(time::iso_ms(*end));
    }
    // The newest `updatedAt` of what it counts, so it goes back when that asset leaves or is
    // trashed (measured on 3.1.0 and 2.5.6); none when it counts nothing.
    if let Some(ms) = counted.iter().map(|&i| st.updated_ms(i)).max() {
        obj["lastModifiedAssetTimestamp"] = json!(time::iso_ms(ms));
    }
    if with_contributors {
        let mut contributors: Vec<Value> = Vec::new();
        for user in std::iter::once(album.owner).chain(album.members.iter().map(|(u, _)| *u)) {
            let count = existing
                .iter()
                .filter(|&&i| st.assets[i].owner as usize == user)
                .count();
            if count > 0 {
                contributors
                    .push(json!({ "userId": uuid_str(st.users[user].id), "assetCount": count }));
            }
        }
        obj["contributorCounts"] = Value::Array(contributors);
    }
    obj
}

/// `SearchResponseDto` with the given asset items.
pub fn search_response(items: Vec<Value>, next_page: Option<usize>) -> Value {
    json!({
        "albums": { "total": 0, "count": 0, "items": [], "facets": [] },
        "assets": {
            "total": items.len(),
            "count": items.len(),
            "items": items,
            "facets": [],
            "nextPage": next_page.map(|p| p.to_string()),
        },
    })
}
