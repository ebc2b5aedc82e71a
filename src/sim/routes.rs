//! The HTTP layer: the axum router, the `gateway` middleware (API-key resolution, latency, the
//! `X-Correlation-ID` header, the request log, and carrying out the faults that `faults` decides),
//! and one small handler per Immich endpoint. Handlers check the permission first, then
//! validate, then lock the state, act, and build the response JSON.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequestParts, Path, Query, Request, State as AxumState};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use super::faults::{Fault, Faults};
use super::json::{self, ApiError, issue_bad_uuid, issue_invalid_enum, json_response};
use super::picture::{self, Size};
use super::rng::lower_alnum_from;
use super::search::{self, SearchKind};
use super::state::{Caller, State, Visibility, parse_uuid_v4};
use super::validate::{Fields, parse_json_body, path_uuid, query_bool, query_int};
use super::{ImmichLine, LoggedRequest, Role};

pub(super) type Handled = Result<Response, ApiError>;

/// What every handler and the middleware share.
#[derive(Clone)]
pub(super) struct App {
    state: Arc<Mutex<State>>,
    latency: Duration,
    requests: Arc<AtomicU64>,
    faults: Arc<Mutex<Faults>>,
}

impl App {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub fn router(state: Arc<Mutex<State>>, latency: Duration, faults: Arc<Mutex<Faults>>) -> Router {
    let app = App {
        state,
        latency,
        requests: Arc::new(AtomicU64::new(0)),
        faults,
    };
    Router::new()
        .route("/.well-known/immich", get(well_known))
        .route("/api/server/ping", get(ping))
        .route("/api/server/version", get(version))
        .route("/api/users/me", get(users_me))
        .route("/api/users", get(users))
        .route("/api/api-keys/me", get(api_key_me))
        .route("/api/search/metadata", post(search_metadata))
        .route("/api/search/smart", post(search_smart))
        .route("/api/albums", get(list_albums).post(create_album))
        .route(
            "/api/albums/{id}",
            get(get_album).delete(delete_album).patch(update_album),
        )
        .route("/api/albums/{id}/users", put(add_album_users))
        .route(
            "/api/albums/{id}/assets",
            put(add_album_assets).delete(remove_album_assets),
        )
        .route("/api/people", get(people))
        .route("/api/tags", get(super::tags::list))
        .route(
            "/api/shared-links",
            get(super::links::list).post(super::links::create),
        )
        .route(
            "/api/shared-links/{id}",
            axum::routing::patch(super::links::update).delete(super::links::delete),
        )
        .route(
            "/api/assets",
            put(update_assets).post(super::uploads::upload),
        )
        .route(
            "/api/assets/bulk-upload-check",
            post(super::uploads::bulk_upload_check),
        )
        .route("/api/assets/{id}", get(super::uploads::asset))
        .route("/api/assets/{id}/original", get(super::uploads::original))
        .route("/api/assets/{id}/thumbnail", get(thumbnail))
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        // Uploads stream through (see `uploads.rs`); other bodies are small.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(app.clone(), gateway))
        .with_state(app)
}

// ----- the seam: auth, latency, faults, correlation id, request log --------------------------

async fn gateway(AxumState(app): AxumState<App>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let caller = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .and_then(|key| app.lock().resolve_key(key));
    let account = caller
        .as_ref()
        .map(|c| app.lock().users[c.user].name.clone());
    let headers = logged_headers(req.headers());

    // An upload streams through untouched (a file is never held whole); other bodies are logged.
    let multipart = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"));
    let (parts, body) = req.into_parts();
    let (body, logged_body) = if multipart {
        (
            body,
            Some(Value::String("(multipart upload, not logged)".into())),
        )
    } else {
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let logged = (method != Method::GET && !bytes.is_empty()).then(|| {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        });
        (Body::from(bytes), logged)
    };
    let mut req = Request::from_parts(parts, body);
    if let Some(caller) = caller {
        req.extensions_mut().insert(caller);
    }

    app.lock().act_before(method.as_str(), &path);
    let (fault, added_latency) = app.faults.lock().unwrap_or_else(|e| e.into_inner()).decide(
        method.as_str(),
        &path,
        account.as_deref(),
    );
    let latency = app.latency + added_latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    // The handler's status, when it ran; then what the client gets.
    let (handled, mut resp) = match &fault {
        None => {
            let resp = next.run(req).await;
            (Some(resp.status()), resp)
        }
        Some(Fault::Status {
            status,
            after_handler,
            retry_after,
        }) => {
            let handled = if *after_handler {
                Some(next.run(req).await.status())
            } else {
                None
            };
            (handled, fault_answer(*status, *retry_after))
        }
        Some(Fault::AlwaysFail) => (None, fault_answer(503, None)),
        Some(Fault::Reset) => (None, reset_answer()),
        Some(Fault::Truncate) => {
            let resp = next.run(req).await;
            (Some(resp.status()), truncated(resp).await)
        }
        Some(Fault::Redirect(location)) => (None, redirect_answer(location)),
    };
    let n = app.requests.fetch_add(1, Ordering::Relaxed);
    let correlation_id = lower_alnum_from(n, 8);
    if fault.is_none() && resp.status().is_client_error() && app.lock().line == ImmichLine::V2_5 {
        resp = in_2x_error_shape(resp, &correlation_id).await;
    }
    if let Ok(id) = HeaderValue::from_str(&correlation_id) {
        resp.headers_mut().insert("x-correlation-id", id);
    }
    // A reset sends no status at all: logged as 0.
    let status = match fault {
        Some(Fault::Reset) => 0,
        _ => resp.status().as_u16(),
    };
    let changed = handled.is_some_and(|s| s.is_success())
        && (matches!(method, Method::POST | Method::PUT | Method::DELETE)
            && path.starts_with("/api/albums")
            || matches!(method, Method::PUT | Method::POST) && path == "/api/assets");
    tracing::debug!(%method, %path, status, fault = ?fault, "immich simulator request");
    app.lock().log_request(LoggedRequest {
        seq: 0,
        method: method.to_string(),
        path,
        query,
        account,
        status,
        changed,
        body: logged_body,
        fault: fault.as_ref().map(Fault::label),
        headers,
    });
    resp
}

/// An error as 2.x words it: `error`, `statusCode` and `correlationId` beside the message, and a
/// validation failure's issues as a list of messages (`{"message": ["size must not be greater than
/// 1000"], ...}`).
async fn in_2x_error_shape(resp: Response, correlation_id: &str) -> Response {
    let status = resp.status();
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if let Some(Value::Array(issues)) = fields.remove("errors") {
        let messages: Vec<Value> = issues
            .iter()
            .filter_map(|i| i.get("message").cloned())
            .collect();
        fields.insert("message".into(), Value::Array(messages));
    }
    fields.insert(
        "error".into(),
        json!(status.canonical_reason().unwrap_or("Error")),
    );
    fields.insert("statusCode".into(), json!(status.as_u16()));
    fields.insert("correlationId".into(), json!(correlation_id));
    let mut resp = json_response(status, &Value::Object(fields));
    for (name, value) in parts.headers.iter() {
        if name != "content-length" && name != "content-type" {
            resp.headers_mut().insert(name.clone(), value.clone());
        }
    }
    resp
}

/// The request headers for the log, with the API key's value replaced: the log may be printed.
fn logged_headers(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if name == "x-api-key" {
                "[redacted]".to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_string(), value)
        })
        .collect()
}

/// An injected error answer: a JSON error for Immich's own 500, the proxy's plain text otherwise.
fn fault_answer(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut resp = if status == StatusCode::INTERNAL_SERVER_ERROR {
        json_response(
            status,
            &json!({"message": "Internal server error", "statusCode": 500}),
        )
    } else {
        let text = status.canonical_reason().unwrap_or("Error");
        let mut resp = Response::new(Body::from(text));
        *resp.status_mut() = status;
        resp
    };
    if let Some(seconds) = retry_after {
        resp.headers_mut()
            .insert("retry-after", HeaderValue::from(seconds));
    }
    resp
}

/// An answer whose body fails before anything is written: hyper drops the connection without
/// sending the status line, as a proxy does when its upstream dies.
fn reset_answer() -> Response {
    let body = futures::stream::once(async {
        Err::<Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected reset",
        ))
    });
    Response::new(Body::from_stream(body))
}

/// The handler's answer with its full `Content-Length` but half of its body, then the connection
/// closed (after a short pause, so that the head and the first half do go out).
async fn truncated(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts.headers.insert(
        axum::http::header::CONTENT_LENGTH,
        HeaderValue::from(bytes.len()),
    );
    let half = bytes.slice(..bytes.len() / 2);
    let body = futures::stream::unfold(Some(half), |half| async move {
        match half {
            Some(half) => Some((Ok(half), None)),
            None => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                let error = std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "injected truncation",
                );
                Some((Err(error), None))
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(body))
}

fn redirect_answer(location: &str) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::TEMPORARY_REDIRECT;
    if let Ok(location) = HeaderValue::from_str(location) {
        resp.headers_mut().insert("location", location);
    }
    resp
}

/// Handlers that need a caller take this extractor; a missing or invalid key answers 401.
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        Err(if parts.headers.contains_key("x-api-key") {
            ApiError::unauthorized()
        } else {
            ApiError::authentication_required()
        })
    }
}

impl Caller {
    pub(super) fn require(&self, permission: &str) -> Result<(), ApiError> {
        if self.has(permission) {
            Ok(())
        } else {
            Err(ApiError::missing_permission(permission))
        }
    }
}

fn ok(body: Value) -> Handled {
    Ok(json_response(StatusCode::OK, &body))
}

async fn no_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::no_route(method.as_str(), uri.path())
}

// ----- server and identity -------------------------------------------------------------------

async fn well_known(AxumState(app): AxumState<App>) -> Handled {
    let endpoint = app
        .lock()
        .api_endpoint
        .clone()
        .unwrap_or_else(|| "/api".to_string());
    ok(json!({ "api": { "endpoint": endpoint } }))
}

async fn ping() -> Handled {
    ok(json!({ "res": "pong" }))
}

async fn version(AxumState(app): AxumState<App>) -> Handled {
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

async fn users_me(AxumState(app): AxumState<App>, caller: Caller) -> Handled {
    caller.require("user.read")?;
    ok(json::user_me_json(&app.lock().users[caller.user]))
}

/// `GET /api/users`: every user of the server, as `UserResponseDto`.
async fn users(AxumState(app): AxumState<App>, caller: Caller) -> Handled {
    caller.require("user.read")?;
    let users: Vec<Value> = app.lock().users.iter().map(json::user_json).collect();
    ok(Value::Array(users))
}

async fn api_key_me(AxumState(app): AxumState<App>, caller: Caller) -> Handled {
    ok(json::api_key_json(&app.lock().keys[caller.key]))
}

// ----- search --------------------------------------------------------------------------------

async fn search_metadata(app: AxumState<App>, caller: Caller, body: Bytes) -> Handled {
    search(app, caller, body, SearchKind::Metadata)
}

async fn search_smart(app: AxumState<App>, caller: Caller, body: Bytes) -> Handled {
    search(app, caller, body, SearchKind::Smart)
}

fn search(
    AxumState(app): AxumState<App>,
    caller: Caller,
    body: Bytes,
    kind: SearchKind,
) -> Handled {
    caller.require("asset.read")?;
    let req = search::parse(kind, &parse_json_body(&body)?)?;
    let mut st = app.lock();
    let all = search::run(&mut st, caller.user, &req)?;
    let start = (req.page - 1).saturating_mul(req.size).min(all.len());
    let mut end = start.saturating_add(req.size).min(all.len());
    let short = kind == SearchKind::Smart && st.smart_shortfall > 0;
    if short {
        // 2.x with pgvector: nearest candidates of other users fill part of the page, which then
        // comes back short, and the search ends there.
        end = start + (end - start).saturating_sub(st.smart_shortfall);
    }
    let items = all[start..end]
        .iter()
        .map(|&i| json::asset_json(&st, i as usize, req.with_exif, req.with_people))
        .collect();
    let next = (end < all.len() && !short).then_some(req.page + 1);
    ok(json::search_response(items, next))
}

// ----- albums --------------------------------------------------------------------------------

async fn list_albums(
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
    let mut newest_first: Vec<&super::state::Album> = st.albums.iter().rev().collect();
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

async fn get_album(
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
async fn update_album(
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
    a.updated_ms = super::time::now_ms();
    let mut body = json::album_json(&st, &st.albums[album], caller.user, false);
    if let Some(fields) = body.as_object_mut() {
        fields.remove("lastModifiedAssetTimestamp");
    }
    ok(body)
}

/// `DELETE /api/albums/{id}`: only the owner may (else Immich's 400); answers 204 with no body.
async fn delete_album(
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

/// An empty 204 answer.
fn no_content() -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
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

async fn create_album(AxumState(app): AxumState<App>, caller: Caller, body: Bytes) -> Handled {
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

async fn add_album_users(
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
    let id = super::state::uuid_str(id);
    match error {
        None => json!({ "id": id, "success": true }),
        Some(error) => json!({ "id": id, "success": false, "error": error }),
    }
}

async fn add_album_assets(
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

async fn remove_album_assets(
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

// ----- assets --------------------------------------------------------------------------------

/// `PUT /api/assets` (`AssetBulkUpdateDto`): `ids` plus the fields to change; `isFavorite` and
/// `visibility` are carried out, the other fields of the DTO are accepted and ignored. Every id must
/// be one of the caller's own assets, and (as with any API key, which never has the elevated
/// permission of a PIN-unlocked session) not a locked one; else the whole call is Immich's 400.
/// Moving assets to `locked` takes them out of every album, as `AssetService.updateAll` does.
/// Answers 204 with no body.
async fn update_assets(AxumState(app): AxumState<App>, caller: Caller, body: Bytes) -> Handled {
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

// ----- thumbnails ---------------------------------------------------------------------------

/// `GET /api/assets/{id}/thumbnail?size=thumbnail|preview|fullsize|original`: a small picture
/// drawn from the asset's checksum, WebP by default and for `thumbnail`, JPEG for the other sizes (as
/// Immich 3.1 sends them). Seen by its owner, the owner's partners and the members of an album that
/// holds it.
async fn thumbnail(
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

// ----- people --------------------------------------------------------------------------------

async fn people(
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

#[cfg(test)]
mod tests {
    use super::super::{SimAsset, SimConfig, Simulator};
    use super::*;

    const NO_ASSET: &str = "00000000-0000-4000-8000-000000000000";

    /// A started simulator plus an HTTP client.
    struct Harness {
        sim: Simulator,
        http: reqwest::Client,
    }

    impl Harness {
        fn new(accounts: &[&str], assets: usize) -> Harness {
            let sim = Simulator::start(SimConfig {
                accounts: accounts.iter().map(|a| a.to_string()).collect(),
                assets_per_account: assets,
                ..SimConfig::default()
            })
            .expect("simulator starts");
            Harness {
                sim,
                http: {
                    crate::immich::install_tls_provider();
                    reqwest::Client::new()
                },
            }
        }

        async fn raw(
            &self,
            key: Option<&str>,
            method: &str,
            path: &str,
            body: Option<Value>,
        ) -> reqwest::Response {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let mut req = self
                .http
                .request(method, format!("{}{path}", self.sim.url()));
            if let Some(key) = key {
                req = req.header("x-api-key", key);
            }
            if let Some(body) = body {
                req = req.json(&body);
            }
            req.send().await.expect("request sent")
        }

        async fn call_key(
            &self,
            key: Option<&str>,
            method: &str,
            path: &str,
            body: Option<Value>,
        ) -> (u16, Value) {
            let resp = self.raw(key, method, path, body).await;
            let status = resp.status().as_u16();
            (status, resp.json().await.expect("json body"))
        }

        async fn call(&self, account: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
            let key = self.sim.account(account).api_key;
            let body = (method != "GET").then_some(body);
            self.call_key(Some(&key), method, path, body).await
        }

        async fn search(&self, account: &str, body: Value) -> Value {
            let (status, resp) = self
                .call(account, "POST", "/api/search/metadata", body)
                .await;
            assert_eq!(status, 200, "{resp}");
            resp
        }

        /// Page through a search, returning every item id.
        async fn search_all(&self, account: &str, path: &str, mut body: Value) -> Vec<String> {
            let mut ids = Vec::new();
            let mut page = 1;
            loop {
                body["page"] = json!(page);
                let (status, resp) = self.call(account, "POST", path, body.clone()).await;
                assert_eq!(status, 200, "{resp}");
                for item in resp["assets"]["items"].as_array().unwrap() {
                    ids.push(item["id"].as_str().unwrap().to_string());
                }
                match &resp["assets"]["nextPage"] {
                    Value::Null => return ids,
                    Value::String(next) => {
                        page += 1;
                        assert_eq!(next, &page.to_string());
                    }
                    other => panic!("nextPage must be a string or null, got {other}"),
                }
            }
        }

        /// The account's own assets that a default search returns (not locked).
        fn visible(&self, account: &str) -> Vec<SimAsset> {
            let mut assets: Vec<SimAsset> = self
                .sim
                .assets(account)
                .into_iter()
                .filter(|a| a.visibility != "locked")
                .collect();
            assets.sort_by(|a, b| a.id.cmp(&b.id));
            assets
        }
    }

    fn sorted(mut ids: Vec<String>) -> Vec<String> {
        ids.sort();
        ids
    }

    fn ids_of(assets: &[SimAsset]) -> Vec<String> {
        sorted(assets.iter().map(|a| a.id.clone()).collect())
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    fn key_list(list: &str) -> Vec<String> {
        let mut k: Vec<String> = list.split_whitespace().map(str::to_string).collect();
        k.sort();
        k
    }

    #[tokio::test]
    async fn discovery_identity_headers_and_unknown_routes() {
        let h = Harness::new(&["alice", "bob"], 20);
        let resp = h.raw(None, "GET", "/.well-known/immich", None).await;
        assert_eq!(
            resp.headers()["content-type"],
            "application/json; charset=utf-8"
        );
        let cid = resp.headers()["x-correlation-id"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(cid.len(), 8);
        assert!(
            cid.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_eq!(
            resp.json::<Value>().await.unwrap(),
            json!({"api": {"endpoint": "/api"}})
        );
        assert_eq!(
            h.call_key(None, "GET", "/api/server/ping", None).await,
            (200, json!({"res": "pong"}))
        );
        assert_eq!(
            h.call_key(None, "GET", "/api/server/version", None).await,
            (
                200,
                json!({"major": 3, "minor": 1, "patch": 0, "prerelease": null})
            )
        );

        let alice = h.sim.account("alice");
        let (status, me) = h.call("alice", "GET", "/api/users/me", json!(null)).await;
        assert_eq!(status, 200);
        assert_eq!(me["id"], json!(alice.user_id));
        assert_eq!(me["email"], "alice@example.com");
        assert_eq!(me["name"], "Alice");
        assert_eq!(
            keys(&me),
            key_list(
                "id email name profileImagePath avatarColor profileChangedAt storageLabel \
                 shouldChangePassword isAdmin createdAt deletedAt updatedAt oauthId \
                 quotaSizeInBytes quotaUsageInBytes status license"
            )
        );
        let (_, key) = h
            .call("alice", "GET", "/api/api-keys/me", json!(null))
            .await;
        assert_eq!(key["permissions"], json!(["all"]));
        assert_eq!(key["name"], "alice-key");
        assert_eq!(
            keys(&key),
            key_list("id name createdAt updatedAt permissions")
        );
        let restricted = h.sim.add_api_key("alice", "read-only", &["asset.read"]);
        let (_, key) = h
            .call_key(Some(&restricted), "GET", "/api/api-keys/me", None)
            .await;
        assert_eq!(key["permissions"], json!(["asset.read"]));
        assert_eq!(key["name"], "read-only");

        assert_eq!(
            h.call("alice", "GET", "/api/xyz", json!(null)).await,
            (404, json!({"message": "Cannot GET /api/xyz"}))
        );
        assert_eq!(
            h.call_key(None, "DELETE", "/api/nope", None).await,
            (404, json!({"message": "Cannot DELETE /api/nope"}))
        );
        let (status, body) = h
            .call("alice", "GET", "/api/search/metadata", json!(null))
            .await;
        assert_eq!(
            (status, &body["message"]),
            (404, &json!("Cannot GET /api/search/metadata"))
        );
    }

    #[tokio::test]
    async fn auth_errors_have_immich_bodies() {
        let h = Harness::new(&["alice", "bob"], 20);
        let invalid = json!({"message": "Invalid API key"});
        assert_eq!(
            h.call_key(None, "GET", "/api/users/me", None).await,
            (401, json!({"message": "Authentication required"})),
            "no key at all"
        );
        assert_eq!(
            h.call_key(Some(""), "GET", "/api/users/me", None).await,
            (401, invalid.clone()),
            "an empty key is a bad key"
        );
        assert_eq!(
            h.call_key(
                Some("nope"),
                "POST",
                "/api/search/metadata",
                Some(json!({}))
            )
            .await,
            (401, invalid.clone())
        );
        let key = h.sim.add_api_key("bob", "read", &["asset.read"]);
        let (status, _) = h
            .call_key(Some(&key), "POST", "/api/search/metadata", Some(json!({})))
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            h.call_key(
                Some(&key),
                "POST",
                "/api/albums",
                Some(json!({"albumName": "x"}))
            )
            .await,
            (
                403,
                json!({"message": "Missing required permission: album.create"})
            )
        );
        for (method, path, perm) in [
            ("GET", "/api/albums", "album.read"),
            ("GET", "/api/people", "person.read"),
            ("GET", "/api/users/me", "user.read"),
        ] {
            let (status, body) = h.call_key(Some(&key), method, path, None).await;
            assert_eq!(status, 403);
            assert_eq!(
                body["message"],
                format!("Missing required permission: {perm}")
            );
        }
        h.sim.revoke_api_key(&key);
        assert_eq!(
            h.call_key(Some(&key), "GET", "/api/api-keys/me", None)
                .await,
            (401, invalid)
        );
    }

    #[tokio::test]
    async fn metadata_search_pages_with_string_next_page() {
        let h = Harness::new(&["alice", "bob"], 230);
        let expected = h.visible("alice");
        let walked = h
            .search_all("alice", "/api/search/metadata", json!({"size": 50}))
            .await;
        assert_eq!(
            walked.len(),
            expected.len(),
            "no duplicates, nothing missing"
        );
        assert_eq!(sorted(walked.clone()), ids_of(&expected));

        let one = h.search("alice", json!({"size": 1000})).await;
        let assets = &one["assets"];
        assert_eq!(assets["count"], json!(expected.len()));
        assert_eq!(assets["total"], json!(expected.len()));
        assert_eq!(assets["nextPage"], Value::Null);
        assert_eq!(
            one["albums"],
            json!({"total": 0, "count": 0, "items": [], "facets": []})
        );
        let items = assets["items"].as_array().unwrap();
        let taken: Vec<&str> = items
            .iter()
            .map(|i| i["fileCreatedAt"].as_str().unwrap())
            .collect();
        assert!(taken.windows(2).all(|w| w[0] >= w[1]), "newest first");
        assert_eq!(
            keys(&items[0]),
            key_list(
                "id createdAt ownerId libraryId type originalPath originalFileName \
                 originalMimeType thumbhash fileCreatedAt fileModifiedAt localDateTime updatedAt \
                 isFavorite isArchived isTrashed visibility duration livePhotoVideoId people \
                 checksum isOffline hasMetadata duplicateId resized width height isEdited"
            )
        );
        let asc = h.search("alice", json!({"size": 3, "order": "asc"})).await;
        let first = asc["assets"]["items"][0]["fileCreatedAt"].as_str().unwrap();
        assert_eq!(first, *taken.last().unwrap());
        assert_eq!(asc["assets"]["count"], 3);
        assert_eq!(asc["assets"]["nextPage"], "2");

        let default = h.search("alice", json!({})).await;
        assert_eq!(default["assets"]["count"], 250.min(expected.len()));

        let (status, body) = h
            .call(
                "alice",
                "POST",
                "/api/search/metadata",
                json!({"size": 1001}),
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({"message": "Validation failed", "errors": [{
                "origin": "number", "code": "too_big", "maximum": 1000, "inclusive": true,
                "path": ["size"], "message": "Too big: expected number to be <=1000"}]})
        );
        let (status, body) = h
            .call(
                "alice",
                "POST",
                "/api/search/metadata",
                json!({"size": 0, "page": 0}),
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"].as_array().unwrap().len(), 2);

        let (status, body) = h
            .call(
                "alice",
                "POST",
                "/api/search/metadata",
                json!({"city": "Nowhere", "size": 10, "page": 1, "noSuchFilter": true}),
            )
            .await;
        assert_eq!(status, 200, "unknown fields are ignored");
        assert_eq!(
            body["assets"],
            json!({"total": 0, "count": 0, "items": [], "facets": [], "nextPage": null})
        );
    }

    #[tokio::test]
    async fn person_ids_are_anded_and_per_account() {
        let h = Harness::new(&["alice", "bob"], 300);
        let mia = h.sim.person_id("alice", "Mia").unwrap();
        let leo = h.sim.person_id("alice", "Leo").unwrap();
        assert_ne!(Some(mia.clone()), h.sim.person_id("bob", "Mia"));
        let shows = |a: &SimAsset, n: &str| a.people.iter().any(|p| p == n);
        let both: Vec<SimAsset> = h
            .visible("alice")
            .into_iter()
            .filter(|a| shows(a, "Mia") && shows(a, "Leo"))
            .collect();
        assert!(!both.is_empty());
        let body = json!({"personIds": [mia, leo], "size": 1000, "withPeople": true});
        let resp = h.search("alice", body).await;
        let items = resp["assets"]["items"].as_array().unwrap();
        let got = sorted(
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect(),
        );
        assert_eq!(got, ids_of(&both));
        for item in items {
            let names: Vec<&str> = item["people"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert!(names.contains(&"Mia") && names.contains(&"Leo"));
            let person = &item["people"][0];
            assert_eq!(
                keys(person),
                key_list("id name birthDate thumbnailPath isHidden isFavorite updatedAt")
            );
        }
        let without = h
            .search("alice", json!({"personIds": [mia], "size": 5}))
            .await;
        assert_eq!(without["assets"]["items"][0]["people"], json!([]));

        let bob_mia = h.sim.person_id("bob", "Mia").unwrap();
        let resp = h.search("alice", json!({"personIds": [bob_mia]})).await;
        assert_eq!(
            resp["assets"]["total"], 0,
            "bob's person id never matches alice's assets"
        );

        let (status, body) = h
            .call(
                "alice",
                "POST",
                "/api/search/metadata",
                json!({"personIds": ["mia"]}),
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["message"], "Validation failed");
        let issue = &body["errors"][0];
        assert_eq!(issue["code"], "invalid_format");
        assert_eq!(issue["format"], "uuid");
        assert_eq!(issue["message"], "Invalid UUID");
        assert_eq!(issue["path"], json!(["personIds", 0]));
    }

    #[tokio::test]
    async fn taken_range_visibility_and_exif() {
        let h = Harness::new(&["alice"], 300);
        let in_2020: Vec<SimAsset> = h
            .visible("alice")
            .into_iter()
            .filter(|a| a.taken.starts_with("2020"))
            .collect();
        let body = json!({
            "takenAfter": "2020-01-01T00:00:00.000Z",
            "takenBefore": "2020-12-31T23:59:59.999Z",
            "withExif": true,
            "size": 1000,
        });
        let resp = h.search("alice", body).await;
        let items = resp["assets"]["items"].as_array().unwrap();
        let got = sorted(
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect(),
        );
        assert_eq!(got, ids_of(&in_2020));
        for item in items {
            let exif = &item["exifInfo"];
            assert!(
                exif["dateTimeOriginal"]
                    .as_str()
                    .unwrap()
                    .starts_with("2020")
            );
            assert!(exif.get("city").is_some() && exif.get("lensModel").is_some());
        }
        let plain = h.search("alice", json!({"size": 1})).await;
        assert!(plain["assets"]["items"][0].get("exifInfo").is_none());

        let all = h.sim.assets("alice");
        let count = |v: &str| all.iter().filter(|a| a.visibility == v).count();
        for vis in ["archive", "hidden", "timeline"] {
            let resp = h
                .search("alice", json!({"visibility": vis, "size": 1000}))
                .await;
            assert_eq!(resp["assets"]["total"], json!(count(vis)), "{vis}");
        }
        // The locked folder needs a PIN-unlocked session; an API key never has one.
        assert!(count("locked") > 0);
        let elevated = json!({"message": "Elevated permission is required"});
        for path in ["/api/search/metadata", "/api/search/smart"] {
            let body = json!({"visibility": "locked", "query": "dog"});
            assert_eq!(
                h.call("alice", "POST", path, body).await,
                (401, elevated.clone()),
                "{path}"
            );
        }
        let rome = all
            .iter()
            .filter(|a| a.city == "Rome" && a.visibility != "locked")
            .count();
        let resp = h
            .search("alice", json!({"city": "Rome", "size": 1000}))
            .await;
        assert_eq!(resp["assets"]["total"], json!(rome));
        let (status, body) = h
            .call(
                "alice",
                "POST",
                "/api/search/metadata",
                json!({"takenAfter": "soon"}),
            )
            .await;
        assert_eq!(
            (status, &body["errors"][0]["path"]),
            (400, &json!(["takenAfter"]))
        );
    }

    #[tokio::test]
    async fn date_filters_must_be_full_utc_datetimes() {
        let h = Harness::new(&["alice"], 50);
        for path in ["/api/search/metadata", "/api/search/smart"] {
            for field in [
                "takenAfter",
                "takenBefore",
                "createdAfter",
                "createdBefore",
                "updatedAfter",
                "updatedBefore",
                "trashedAfter",
                "trashedBefore",
            ] {
                for bad in [
                    "2023-06-01",
                    "2023-06-01T00:00:00",
                    "2023-06-01T00:00:00+02:00",
                ] {
                    let body = json!({ field: bad, "query": "dog" });
                    let (status, answer) = h.call("alice", "POST", path, body).await;
                    assert_eq!(status, 400, "{path} {field} {bad}");
                    assert_eq!(answer["message"], "Validation failed");
                    let issues = answer["errors"].as_array().unwrap();
                    assert_eq!(issues.len(), 1, "{answer}");
                    let issue = &issues[0];
                    assert_eq!(issue["path"], json!([field]));
                    assert_eq!(issue["code"], "invalid_format");
                    assert_eq!(issue["format"], "datetime");
                    assert_eq!(
                        issue["message"],
                        "Invalid input: expected ISO 8601 datetime string, received string"
                    );
                    assert_eq!(
                        keys(issue),
                        key_list("origin code format pattern path message")
                    );
                    assert!(issue["pattern"].as_str().unwrap().starts_with("/^"));
                }
            }
        }
        let (status, answer) = h
            .call(
                "alice",
                "POST",
                "/api/search/metadata",
                json!({"takenBefore": 2023, "takenAfter": null}),
            )
            .await;
        assert_eq!(status, 400);
        let messages: Vec<&str> = answer["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["message"].as_str().unwrap())
            .collect();
        assert_eq!(
            messages,
            [
                "Invalid input: expected ISO 8601 datetime string, received number",
                "Invalid input: expected ISO 8601 datetime string, received object",
            ]
        );

        // Full datetimes work, with or without seconds and fractions.
        let all = h.visible("alice");
        let in_2021 = all.iter().filter(|a| a.taken.starts_with("2021")).count();
        for (after, before) in [
            ("2021-01-01T00:00:00.000Z", "2021-12-31T23:59:59.999Z"),
            ("2021-01-01T00:00Z", "2021-12-31T23:59:59.999999Z"),
        ] {
            let resp = h
                .search(
                    "alice",
                    json!({"takenAfter": after, "takenBefore": before, "size": 1000}),
                )
                .await;
            assert_eq!(resp["assets"]["total"], json!(in_2021), "{after}");
        }
        let total = |body: Value| {
            let h = &h;
            async move { h.search("alice", body).await["assets"]["total"].clone() }
        };
        let everything = json!(all.len());
        let future = "2099-01-01T00:00:00.000Z";
        let past = "2000-01-01T00:00:00.000Z";
        assert_eq!(
            total(json!({"createdAfter": past, "size": 1000})).await,
            everything
        );
        assert_eq!(total(json!({"createdAfter": future})).await, 0);
        assert_eq!(
            total(json!({"updatedBefore": future, "size": 1000})).await,
            everything
        );
        assert_eq!(total(json!({"updatedBefore": past})).await, 0);
        assert_eq!(
            total(json!({"trashedAfter": past})).await,
            0,
            "nothing is in the trash"
        );
    }

    #[tokio::test]
    async fn checksum_file_name_and_null_camera_filters() {
        let h = Harness::new(&["alice", "bob"], 400);
        let bob = h.sim.assets("bob");
        let alice = h.sim.assets("alice");
        let copy = bob
            .iter()
            .find(|b| b.visibility == "timeline" && alice.iter().any(|a| a.checksum == b.checksum))
            .expect("bob has a copy of an alice asset");
        let resp = h.search("bob", json!({"checksum": copy.checksum})).await;
        assert_eq!(resp["assets"]["items"][0]["id"], json!(copy.id));
        assert_eq!(resp["assets"]["items"][0]["checksum"], json!(copy.checksum));

        let shots = h
            .search(
                "alice",
                json!({"make": null, "withExif": true, "size": 1000}),
            )
            .await;
        let items = shots["assets"]["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for item in items {
            assert!(
                item["originalFileName"]
                    .as_str()
                    .unwrap()
                    .starts_with("Screenshot_")
            );
            assert_eq!(item["exifInfo"]["make"], Value::Null);
            assert_eq!(item["originalMimeType"], "image/png");
        }
        let by_name = h
            .search(
                "alice",
                json!({"originalFileName": "screenshot_", "size": 1000}),
            )
            .await;
        assert_eq!(by_name["assets"]["total"], shots["assets"]["total"]);
    }

    #[tokio::test]
    async fn album_scope_needs_membership_and_spans_owners() {
        let h = Harness::new(&["alice", "bob", "carol"], 50);
        let album = h
            .sim
            .create_album("alice", "Family", &[("bob", Role::Editor)]);
        let mut members: Vec<String> = h.sim.assets("alice")[..3]
            .iter()
            .map(|a| a.id.clone())
            .collect();
        members.extend(h.sim.assets("bob")[..2].iter().map(|a| a.id.clone()));
        h.sim.add_to_album(&album, &members);
        let locked_free: Vec<String> = members
            .iter()
            .filter(|id| {
                ["alice", "bob"].iter().any(|acc| {
                    h.sim
                        .assets(acc)
                        .iter()
                        .any(|a| &a.id == *id && a.visibility != "locked")
                })
            })
            .cloned()
            .collect();

        for who in ["alice", "bob"] {
            let ids = h
                .search_all(
                    who,
                    "/api/search/metadata",
                    json!({"albumIds": [album], "size": 2}),
                )
                .await;
            assert_eq!(sorted(ids), sorted(locked_free.clone()), "{who}");
        }
        let (status, body) = h
            .call(
                "carol",
                "POST",
                "/api/search/metadata",
                json!({"albumIds": [album]}),
            )
            .await;
        assert_eq!(
            (status, body),
            (400, json!({"message": "Not found or no album.read access"}))
        );
        let (status, body) = h
            .call(
                "alice",
                "POST",
                "/api/search/metadata",
                json!({"albumIds": [NO_ASSET]}),
            )
            .await;
        assert_eq!(
            (status, body),
            (400, json!({"message": "Not found or no album.read access"}))
        );

        // GET /api/albums/{id} and the list.
        let (status, got) = h
            .call("bob", "GET", &format!("/api/albums/{album}"), json!(null))
            .await;
        assert_eq!(status, 200);
        assert_eq!(got["albumName"], "Family");
        assert_eq!(got["assetCount"], 5);
        assert_eq!(got["albumUsers"][0]["role"], "owner");
        assert_eq!(got["albumUsers"][1]["role"], "editor");
        assert_eq!(got["shared"], true);
        let counts = got["contributorCounts"].as_array().unwrap();
        assert_eq!(counts.len(), 2);
        assert_eq!(counts[0]["assetCount"], 3);
        let (_, list) = h
            .call("bob", "GET", "/api/albums?name=Family", json!(null))
            .await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert!(list[0].get("contributorCounts").is_none());
        let (_, list) = h
            .call("bob", "GET", "/api/albums?name=Other", json!(null))
            .await;
        assert_eq!(list, json!([]));
        let (_, list) = h
            .call("bob", "GET", "/api/albums?isOwned=true", json!(null))
            .await;
        assert_eq!(list, json!([]));
        let (_, list) = h.call("carol", "GET", "/api/albums", json!(null)).await;
        assert_eq!(list, json!([]));
        let (status, body) = h
            .call("carol", "GET", &format!("/api/albums/{album}"), json!(null))
            .await;
        assert_eq!(
            (status, &body["message"]),
            (400, &json!("Not found or no album.read access"))
        );
        let (status, body) = h
            .call("alice", "GET", "/api/albums/not-a-uuid", json!(null))
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"][0]["path"], json!(["id"]));
        assert_eq!(body["errors"][0]["message"], "Invalid UUID");
    }

    #[tokio::test]
    async fn smart_search_ranks_by_word_overlap_without_cut_off() {
        let h = Harness::new(&["alice"], 250);
        let visible = h.visible("alice");
        let ids = h
            .search_all(
                "alice",
                "/api/search/smart",
                json!({"query": "Dog on a BEACH", "size": 100}),
            )
            .await;
        assert_eq!(ids.len(), visible.len(), "no relevance cut-off");
        let score = |id: &String| {
            let a = visible.iter().find(|a| &a.id == id).unwrap();
            a.words
                .iter()
                .filter(|w| *w == "dog" || *w == "beach")
                .count()
        };
        let scores: Vec<usize> = ids.iter().map(score).collect();
        assert!(scores[0] >= 1);
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ordered by score");
        for pair in ids.windows(2) {
            if score(&pair[0]) == score(&pair[1]) {
                assert!(pair[0] < pair[1], "ties by id");
            }
        }
        let (status, resp) = h
            .call(
                "alice",
                "POST",
                "/api/search/smart",
                json!({"query": "nsfw", "size": 3}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(resp["assets"]["count"], 3);
        assert_eq!(resp["assets"]["nextPage"], "2");
        assert!(resp["assets"]["items"][0].get("exifInfo").is_none());
        let (_, resp) = h
            .call(
                "alice",
                "POST",
                "/api/search/smart",
                json!({"query": "cat", "size": 1, "withExif": true}),
            )
            .await;
        assert!(resp["assets"]["items"][0]["exifInfo"].is_object());

        let either = json!({"message": "Either `query` or `queryAssetId` must be set"});
        for body in [
            json!({"size": 10}),
            json!({"query": ""}),
            json!({"query": "   "}),
            json!({"query": null}),
        ] {
            let (status, answer) = h
                .call("alice", "POST", "/api/search/smart", body.clone())
                .await;
            assert_eq!((status, &answer), (400, &either), "{body}");
        }
        let (status, body) = h
            .call("alice", "POST", "/api/search/smart", json!({"query": 5}))
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"][0]["path"], json!(["query"]));

        // A query asset ranks by its content: the asset itself comes first.
        let like = visible.iter().find(|a| a.words.len() >= 2).unwrap();
        let (status, resp) = h
            .call(
                "alice",
                "POST",
                "/api/search/smart",
                json!({"queryAssetId": like.id, "size": 1}),
            )
            .await;
        assert_eq!(status, 200, "{resp}");
        let first = resp["assets"]["items"][0]["id"].as_str().unwrap();
        let first = visible.iter().find(|a| a.id == first).unwrap();
        assert!(
            like.words.iter().all(|w| first.words.contains(w)),
            "{first:?}"
        );
        let (status, body) = h
            .call(
                "alice",
                "POST",
                "/api/search/smart",
                json!({"queryAssetId": NO_ASSET}),
            )
            .await;
        assert_eq!(
            (status, body),
            (400, json!({"message": "Not found or no asset.read access"}))
        );
        let (status, _) = h
            .call(
                "alice",
                "POST",
                "/api/search/smart",
                json!({"query": "x", "size": 1001}),
            )
            .await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn adding_assets_answers_per_id() {
        let h = Harness::new(&["alice", "bob", "carol"], 30);
        let album = h.sim.create_album(
            "alice",
            "Shared",
            &[("bob", Role::Editor), ("carol", Role::Viewer)],
        );
        let path = format!("/api/albums/{album}/assets");
        let alice = h.sim.assets("alice");
        let bob = h.sim.assets("bob");
        let (status, body) = h
            .call("alice", "PUT", &path, json!({"ids": [alice[0].id]}))
            .await;
        assert_eq!(
            (status, body),
            (200, json!([{"id": alice[0].id, "success": true}]))
        );
        let ids = json!([alice[0].id, bob[0].id, NO_ASSET, alice[1].id]);
        let (status, body) = h.call("alice", "PUT", &path, json!({ "ids": ids })).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!([
                {"id": alice[0].id, "success": false, "error": "duplicate"},
                {"id": bob[0].id, "success": false, "error": "no_permission"},
                {"id": NO_ASSET, "success": false, "error": "no_permission"},
                {"id": alice[1].id, "success": true},
            ])
        );
        let (_, body) = h
            .call("bob", "PUT", &path, json!({"ids": [bob[0].id]}))
            .await;
        assert_eq!(
            body,
            json!([{"id": bob[0].id, "success": true}]),
            "editors add their own"
        );
        let (status, body) = h
            .call(
                "carol",
                "PUT",
                &path,
                json!({"ids": [h.sim.assets("carol")[0].id]}),
            )
            .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"message": "Not found or no albumAsset.create access"})
            )
        );
        h.sim.set_partner("alice", "bob");
        let (_, body) = h
            .call("alice", "PUT", &path, json!({"ids": [bob[1].id]}))
            .await;
        assert_eq!(body[0]["success"], true, "a partner's asset may be added");
        assert_eq!(
            h.sim.album_assets(&album),
            sorted(vec![
                alice[0].id.clone(),
                alice[1].id.clone(),
                bob[0].id.clone(),
                bob[1].id.clone()
            ])
        );
        let (status, body) = h.call("alice", "PUT", &path, json!({"ids": ["x"]})).await;
        assert_eq!(
            (status, &body["errors"][0]["path"]),
            (400, &json!(["ids", 0]))
        );

        let (_, body) = h
            .call(
                "alice",
                "DELETE",
                &path,
                json!({"ids": [alice[0].id, alice[5].id]}),
            )
            .await;
        assert_eq!(
            body,
            json!([
                {"id": alice[0].id, "success": true},
                {"id": alice[5].id, "success": false, "error": "not_found"},
            ])
        );
    }

    #[tokio::test]
    async fn creating_and_sharing_albums() {
        let h = Harness::new(&["alice", "bob", "carol"], 10);
        let bob = h.sim.account("bob");
        let carol = h.sim.account("carol");
        let asset = h.sim.assets("alice")[0].id.clone();
        let foreign = h.sim.assets("carol")[0].id.clone();
        let body = json!({
            "albumName": "Trip", "description": "d",
            "albumUsers": [{"userId": bob.user_id, "role": "editor"}],
            "assetIds": [asset, foreign],
        });
        let (status, album) = h.call("alice", "POST", "/api/albums", body).await;
        assert_eq!(status, 201, "{album}");
        assert_eq!(album["albumName"], "Trip");
        assert_eq!(
            album["assetCount"], 1,
            "only the caller's own assets are added"
        );
        assert_eq!(album["albumThumbnailAssetId"], json!(asset));
        let id = album["id"].as_str().unwrap().to_string();
        assert_eq!(h.sim.album_by_name("Trip"), vec![id.clone()]);
        let share = json!({"albumUsers": [{"userId": carol.user_id, "role": "viewer"}]});
        let users = format!("/api/albums/{id}/users");
        let (status, body) = h.call("bob", "PUT", &users, share.clone()).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"message": "Not found or no albumUser.create access"})
            )
        );
        let (status, album) = h.call("alice", "PUT", &users, share).await;
        assert_eq!(status, 200);
        let roles: Vec<&str> = album["albumUsers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["owner", "editor", "viewer"]);
        let (status, _) = h.call("alice", "POST", "/api/albums", json!({})).await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn sharing_again_changes_nothing_and_unknown_users_are_invalid() {
        let h = Harness::new(&["alice", "bob", "carol"], 10);
        let (alice, bob, carol) = (
            h.sim.account("alice"),
            h.sim.account("bob"),
            h.sim.account("carol"),
        );
        let album = h
            .sim
            .create_album("alice", "Trip", &[("bob", Role::Viewer)]);
        h.sim
            .add_to_album(&album, &[h.sim.assets("alice")[0].id.clone()]);
        let users = format!("/api/albums/{album}/users");
        let roles = |album: &Value| -> Vec<(String, String)> {
            album["albumUsers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| {
                    let name = u["user"]["name"].as_str().unwrap().to_string();
                    (name, u["role"].as_str().unwrap().to_string())
                })
                .collect()
        };
        let pair = |n: &str, r: &str| (n.to_string(), r.to_string());

        // Bob again (as editor) and the owner herself: 200, and nobody's role changes.
        let again = json!({"albumUsers": [
            {"userId": bob.user_id, "role": "editor"},
            {"userId": alice.user_id, "role": "editor"},
        ]});
        let (status, body) = h.call("alice", "PUT", &users, again).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            roles(&body),
            [pair("Alice", "owner"), pair("Bob", "viewer")]
        );
        assert!(body.get("lastModifiedAssetTimestamp").is_none(), "{body}");
        assert!(body.get("assetCount").is_some());

        // A known user among them is still added.
        let more = json!({"albumUsers": [
            {"userId": bob.user_id, "role": "editor"},
            {"userId": carol.user_id, "role": "editor"},
        ]});
        let (status, body) = h.call("alice", "PUT", &users, more).await;
        assert_eq!(status, 200);
        assert_eq!(
            roles(&body),
            [
                pair("Alice", "owner"),
                pair("Bob", "viewer"),
                pair("Carol", "editor")
            ]
        );

        // An id that is no user: 400, and nothing changes.
        let unknown = json!({"albumUsers": [
            {"userId": NO_ASSET, "role": "viewer"},
        ]});
        assert_eq!(
            h.call("alice", "PUT", &users, unknown).await,
            (400, json!({"message": "Invalid user"}))
        );
        let (_, got) = h
            .call("alice", "GET", &format!("/api/albums/{album}"), json!(null))
            .await;
        assert_eq!(roles(&got).len(), 3);
        assert!(
            got.get("lastModifiedAssetTimestamp").is_some(),
            "GET keeps it"
        );
    }

    #[tokio::test]
    async fn albums_are_listed_newest_first() {
        let h = Harness::new(&["alice", "bob"], 5);
        let first = h.sim.create_album("alice", "First", &[]);
        std::thread::sleep(Duration::from_millis(5));
        let (_, second) = h
            .call(
                "alice",
                "POST",
                "/api/albums",
                json!({"albumName": "Second"}),
            )
            .await;
        std::thread::sleep(Duration::from_millis(5));
        let third = h
            .sim
            .create_album("bob", "Third", &[("alice", Role::Viewer)]);
        let (_, list) = h.call("alice", "GET", "/api/albums", json!(null)).await;
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                third.as_str(),
                second["id"].as_str().unwrap(),
                first.as_str()
            ]
        );
        let created: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["createdAt"].as_str().unwrap())
            .collect();
        assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    }

    #[tokio::test]
    async fn album_errors_contributors_and_deleting() {
        let h = Harness::new(&["alice", "bob"], 10);
        let asset = h.sim.assets("alice")[0].id.clone();
        let (status, body) = h
            .call(
                "alice",
                "PUT",
                &format!("/api/albums/{NO_ASSET}/assets"),
                json!({"ids": [asset]}),
            )
            .await;
        assert_eq!((status, body), (400, json!({"message": "Album not found"})));
        let (status, body) = h
            .call(
                "alice",
                "PUT",
                &format!("/api/albums/{NO_ASSET}/assets"),
                json!({"ids": ["x"]}),
            )
            .await;
        assert_eq!(
            (status, &body["errors"][0]["path"]),
            (400, &json!(["ids", 0]))
        );

        // contributorCounts only on shared albums.
        let private = h.sim.create_album("alice", "Private", &[]);
        let shared = h
            .sim
            .create_album("alice", "Shared", &[("bob", Role::Editor)]);
        h.sim.add_to_album(&private, std::slice::from_ref(&asset));
        h.sim.add_to_album(&shared, std::slice::from_ref(&asset));
        let (_, got) = h
            .call(
                "alice",
                "GET",
                &format!("/api/albums/{private}"),
                json!(null),
            )
            .await;
        assert_eq!(got["shared"], false);
        assert!(got.get("contributorCounts").is_none(), "{got}");
        let (_, got) = h
            .call(
                "alice",
                "GET",
                &format!("/api/albums/{shared}"),
                json!(null),
            )
            .await;
        assert_eq!(
            got["contributorCounts"],
            json!([{"userId": h.sim.account("alice").user_id, "assetCount": 1}])
        );

        // DELETE: the owner only, 204 with no body; then the album is gone.
        let key = h.sim.account("bob").api_key;
        let (status, body) = h
            .call_key(Some(&key), "DELETE", &format!("/api/albums/{shared}"), None)
            .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"message": "Not found or no album.delete access"})
            )
        );
        let reader = h.sim.add_api_key("alice", "reader", &["album.read"]);
        let (status, _) = h
            .call_key(
                Some(&reader),
                "DELETE",
                &format!("/api/albums/{shared}"),
                None,
            )
            .await;
        assert_eq!(status, 403);
        let key = h.sim.account("alice").api_key;
        let resp = h
            .raw(Some(&key), "DELETE", &format!("/api/albums/{shared}"), None)
            .await;
        assert_eq!(resp.status(), 204);
        assert!(resp.bytes().await.unwrap().is_empty());
        assert!(h.sim.album_by_name("Shared").is_empty());
        let (status, _) = h
            .call(
                "bob",
                "POST",
                "/api/search/metadata",
                json!({"albumIds": [shared]}),
            )
            .await;
        assert_eq!(status, 400, "a deleted album cannot be searched");
        let (_, list) = h.call("bob", "GET", "/api/albums", json!(null)).await;
        assert_eq!(list, json!([]));
        let (status, body) = h
            .call_key(Some(&key), "DELETE", &format!("/api/albums/{shared}"), None)
            .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"message": "Not found or no album.delete access"})
            )
        );
        assert!(
            h.sim
                .changing_requests()
                .iter()
                .any(|r| r.method == "DELETE" && r.status == 204),
            "a deletion is a change"
        );
    }

    #[tokio::test]
    async fn thumbnails_are_webp_or_jpeg_images() {
        let h = Harness::new(&["alice"], 3);
        let key = h.sim.account("alice").api_key;
        let id = h.sim.assets("alice")[0].id.clone();
        let base = format!("/api/assets/{id}/thumbnail");
        for (query, kind) in [
            ("", "image/webp"),
            ("?size=thumbnail", "image/webp"),
            ("?size=preview", "image/jpeg"),
            ("?size=fullsize", "image/jpeg"),
            ("?size=original", "image/jpeg"),
        ] {
            let resp = h
                .raw(Some(&key), "GET", &format!("{base}{query}"), None)
                .await;
            assert_eq!(resp.status(), 200, "{query}");
            assert_eq!(resp.headers()["content-type"], kind, "{query}");
            let bytes = resp.bytes().await.unwrap();
            if kind == "image/webp" {
                assert!(bytes.starts_with(b"RIFF") && &bytes[8..16] == b"WEBPVP8L");
            } else {
                assert!(bytes.starts_with(&[0xff, 0xd8]) && bytes.ends_with(&[0xff, 0xd9]));
            }
        }
        let (status, body) = h
            .call_key(Some(&key), "GET", &format!("{base}?size=huge"), None)
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            body["errors"][0]["values"],
            json!(["fullsize", "original", "preview", "thumbnail"])
        );
    }

    #[tokio::test]
    async fn a_bad_boolean_query_value_lists_the_accepted_ones() {
        let h = Harness::new(&["alice"], 3);
        let (status, body) = h
            .call("alice", "GET", "/api/people?withHidden=maybe", json!(null))
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({"message": "Validation failed", "errors": [{
                "code": "invalid_value", "expected": "stringbool", "values": ["true", "false"],
                "path": ["withHidden"],
                "message": "Invalid option: expected one of \"true\"|\"false\""}]})
        );
        let (status, _) = h
            .call("alice", "GET", "/api/albums?isShared=True", json!(null))
            .await;
        assert_eq!(status, 400, "case-sensitive");
    }

    #[tokio::test]
    async fn request_log_records_changes() {
        let h = Harness::new(&["alice", "bob"], 10);
        let album = h.sim.create_album("alice", "A", &[("bob", Role::Viewer)]);
        assert!(h.sim.requests().is_empty(), "direct calls are not logged");
        let asset = h.sim.assets("alice")[0].id.clone();
        h.search("alice", json!({"size": 5})).await;
        h.call("alice", "GET", "/api/people?size=2", json!(null))
            .await;
        h.call("alice", "POST", "/api/albums", json!({"albumName": "B"}))
            .await;
        let path = format!("/api/albums/{album}/assets");
        h.call("alice", "PUT", &path, json!({"ids": [asset]})).await;
        h.call("bob", "PUT", &path, json!({"ids": [asset]})).await;
        h.call_key(None, "GET", "/api/albums", None).await;

        let log = h.sim.requests();
        assert_eq!(log.len(), 6);
        assert_eq!(
            log.iter().map(|r| r.seq).collect::<Vec<_>>(),
            (1..=6).collect::<Vec<_>>()
        );
        assert_eq!(log[0].path, "/api/search/metadata");
        assert_eq!(log[0].body, Some(json!({"size": 5})));
        assert_eq!(log[0].account.as_deref(), Some("alice"));
        assert_eq!(log[1].query.as_deref(), Some("size=2"));
        assert_eq!(log[1].body, None);
        assert_eq!(log[4].status, 400);
        assert_eq!(log[5].status, 401);
        assert_eq!(log[5].account, None);
        let changing: Vec<(String, String)> = h
            .sim
            .changing_requests()
            .into_iter()
            .map(|r| (r.method, r.path))
            .collect();
        assert_eq!(
            changing,
            [
                ("POST".to_string(), "/api/albums".to_string()),
                ("PUT".to_string(), path)
            ]
        );
        h.sim.clear_requests();
        assert!(h.sim.requests().is_empty());
    }

    #[tokio::test]
    async fn people_pages() {
        let h = Harness::new(&["alice", "bob"], 10);
        let (status, page1) = h
            .call(
                "alice",
                "GET",
                "/api/people?page=1&size=3&withHidden=true",
                json!(null),
            )
            .await;
        assert_eq!(status, 200);
        let names: Vec<&str> = page1["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Mia", "Leo", "Anna"]);
        assert_eq!(page1["hasNextPage"], true);
        assert_eq!(page1["total"], 5);
        assert_eq!(page1["hidden"], 0);
        assert_eq!(
            page1["people"][0]["id"],
            json!(h.sim.person_id("alice", "Mia").unwrap())
        );
        let (_, page2) = h
            .call("alice", "GET", "/api/people?page=2&size=3", json!(null))
            .await;
        let names: Vec<&str> = page2["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Alice", "Bob"]);
        assert_eq!(page2["hasNextPage"], false);
        let (_, all) = h.call("bob", "GET", "/api/people", json!(null)).await;
        assert_eq!(
            all["people"][0]["id"],
            json!(h.sim.person_id("bob", "Mia").unwrap())
        );
        assert_ne!(all["people"][0]["id"], page1["people"][0]["id"]);
        let (status, _) = h
            .call("bob", "GET", "/api/people?size=1001", json!(null))
            .await;
        assert_eq!(status, 400);
    }

    #[tokio::test]
    async fn injected_faults_reach_the_wire_as_a_proxy_sends_them() {
        use crate::sim::{FaultPlan, FaultRule};
        let h = Harness::new(&["alice"], 10);
        let key = h.sim.account("alice").api_key;
        let only = |rule: FaultRule| FaultPlan {
            seed: 1,
            rules: vec![rule],
            always_fail: Vec::new(),
        };
        h.sim.set_faults(only(FaultRule {
            reset: 1.0,
            ..FaultRule::new("GET /api/users/me")
        }));
        let reset = h
            .http
            .get(format!("{}/api/users/me", h.sim.url()))
            .header("x-api-key", &key)
            .send()
            .await;
        assert!(reset.is_err(), "no status line: {reset:?}");

        h.sim.set_faults(only(FaultRule {
            truncate: 1.0,
            ..FaultRule::new("GET /api/users/me")
        }));
        let cut = h.raw(Some(&key), "GET", "/api/users/me", None).await;
        assert_eq!(cut.status(), 200);
        assert!(cut.bytes().await.is_err(), "the body is cut off");

        h.sim.set_faults(only(FaultRule {
            status_429: 1.0,
            retry_after_secs: 7,
            ..FaultRule::new("GET /api/users/me")
        }));
        let throttled = h.raw(Some(&key), "GET", "/api/users/me", None).await;
        assert_eq!(throttled.status(), 429);
        assert_eq!(throttled.headers()["retry-after"], "7");
        h.sim.clear_faults();
        assert_eq!(
            h.raw(Some(&key), "GET", "/api/users/me", None)
                .await
                .status(),
            200
        );

        let log: Vec<(u16, Option<String>)> = h
            .sim
            .requests()
            .into_iter()
            .map(|r| (r.status, r.fault))
            .collect();
        assert_eq!(
            log,
            [
                (0, Some("reset".to_string())),
                (200, Some("truncate".to_string())),
                (429, Some("status 429".to_string())),
                (200, None),
            ]
        );
        assert_eq!(
            h.sim.requests()[0].header("x-api-key"),
            Some("[redacted]"),
            "the key is logged by name only"
        );
    }

    /// Ids of a metadata search's items (one page of up to 1000).
    async fn found(h: &Harness, account: &str, mut body: Value) -> Vec<String> {
        body["size"] = json!(1000);
        let resp = h.search(account, body).await;
        resp["assets"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// The `assetCount` of the album as `GET /api/albums` lists it.
    async fn listed_count(h: &Harness, account: &str, album: &str) -> u64 {
        let (status, list) = h.call(account, "GET", "/api/albums", json!(null)).await;
        assert_eq!(status, 200);
        let entry = list
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == album)
            .expect("album listed");
        entry["assetCount"].as_u64().unwrap()
    }

    #[tokio::test]
    async fn set_visibility_is_seen_by_search_and_locked_leaves_albums() {
        let h = Harness::new(&["alice", "bob"], 40);
        let timeline: Vec<SimAsset> = h
            .sim
            .assets("alice")
            .into_iter()
            .filter(|a| a.visibility == "timeline")
            .collect();
        let (asset, other) = (timeline[0].id.clone(), timeline[1].id.clone());
        let album = h
            .sim
            .create_album("alice", "Trip", &[("bob", Role::Viewer)]);
        h.sim.add_to_album(&album, &[asset.clone(), other.clone()]);
        // Warm the search cache: the changes below must not be hidden by it.
        assert!(
            found(&h, "alice", json!({"visibility": "timeline"}))
                .await
                .contains(&asset)
        );

        h.sim.set_visibility(&asset, "archive");
        assert!(
            found(&h, "alice", json!({"visibility": "archive"}))
                .await
                .contains(&asset)
        );
        assert!(
            !found(&h, "alice", json!({"visibility": "timeline"}))
                .await
                .contains(&asset)
        );
        h.sim.set_visibility(&asset, "hidden");
        assert!(
            found(&h, "alice", json!({})).await.contains(&asset),
            "hidden is searched"
        );
        assert!(
            found(&h, "alice", json!({"visibility": "hidden"}))
                .await
                .contains(&asset)
        );
        assert_eq!(
            listed_count(&h, "bob", &album).await,
            1,
            "an album does not count what is hidden (Immich's `withDefaultVisibility`)"
        );

        h.sim.set_visibility(&asset, "locked");
        assert!(!found(&h, "alice", json!({})).await.contains(&asset));
        assert_eq!(
            found(&h, "bob", json!({"albumIds": [album]})).await,
            vec![other.clone()],
            "a locked asset leaves every album"
        );
        assert_eq!(listed_count(&h, "alice", &album).await, 1);
        assert_eq!(h.sim.album_assets(&album), vec![other]);
        h.sim.set_visibility(&asset, "timeline");
        assert!(found(&h, "alice", json!({})).await.contains(&asset));
        assert_eq!(
            listed_count(&h, "alice", &album).await,
            1,
            "and does not come back"
        );
        assert!(
            h.sim.requests().iter().all(|r| !r.changed),
            "not logged as changes"
        );
    }

    #[test]
    #[should_panic(expected = "unknown visibility")]
    fn set_visibility_panics_on_an_unknown_value() {
        let sim = Simulator::start(SimConfig {
            assets_per_account: 2,
            ..SimConfig::default()
        })
        .unwrap();
        sim.set_visibility(&sim.assets("alice")[0].id, "deleted");
    }

    #[test]
    #[should_panic(expected = "unknown asset")]
    fn set_visibility_panics_on_an_unknown_asset() {
        let sim = Simulator::start(SimConfig {
            assets_per_account: 2,
            ..SimConfig::default()
        })
        .unwrap();
        sim.set_visibility(NO_ASSET, "archive");
    }

    #[tokio::test]
    async fn untag_removes_the_person_from_searches() {
        let h = Harness::new(&["alice", "bob"], 60);
        let mia = h.sim.person_id("alice", "Mia").unwrap();
        let tagged: Vec<SimAsset> = h
            .visible("alice")
            .into_iter()
            .filter(|a| a.people.iter().any(|p| p == "Mia"))
            .collect();
        assert!(tagged.len() >= 2);
        let by_mia = json!({"personIds": [mia]});
        assert_eq!(
            sorted(found(&h, "alice", by_mia.clone()).await),
            ids_of(&tagged)
        );

        h.sim.untag(&tagged[0].id, "Mia");
        assert_eq!(
            sorted(found(&h, "alice", by_mia.clone()).await),
            ids_of(&tagged[1..])
        );
        let resp = h
            .search("alice", json!({"id": tagged[0].id, "withPeople": true}))
            .await;
        let names: Vec<&str> = resp["assets"]["items"][0]["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(!names.contains(&"Mia"), "{names:?}");
        assert!(
            !h.sim.assets("alice")[..]
                .iter()
                .any(|a| a.id == tagged[0].id && a.people.iter().any(|p| p == "Mia"))
        );
        // Untagging someone the asset does not show changes nothing.
        h.sim.untag(&tagged[0].id, "Mia");
        assert_eq!(found(&h, "alice", by_mia).await.len(), tagged.len() - 1);
    }

    #[test]
    #[should_panic(expected = "no person")]
    fn untag_panics_on_an_unknown_person() {
        let sim = Simulator::start(SimConfig {
            assets_per_account: 2,
            ..SimConfig::default()
        })
        .unwrap();
        sim.untag(&sim.assets("alice")[0].id, "Nobody");
    }

    #[tokio::test]
    async fn add_words_makes_smart_search_rank_the_asset_as_a_match() {
        let h = Harness::new(&["alice"], 80);
        let visible = h.visible("alice");
        let has = |a: &SimAsset| a.words.iter().any(|w| w == "nsfw");
        let matches = visible.iter().filter(|a| has(a)).count();
        let target = visible.iter().find(|a| !has(a)).unwrap().id.clone();
        let query = json!({"query": "nsfw", "size": 1000});
        let ranked = h
            .search_all("alice", "/api/search/smart", query.clone())
            .await;
        assert!(!ranked[..matches].contains(&target));

        h.sim.add_words(&target, &["nsfw", "beach"]);
        let ranked = h.search_all("alice", "/api/search/smart", query).await;
        assert!(
            ranked[..matches + 1].contains(&target),
            "ranked among the {} matches",
            matches + 1
        );
        let asset = h.sim.assets("alice").into_iter().find(|a| a.id == target);
        let words = asset.unwrap().words;
        assert!(words.contains(&"nsfw".to_string()) && words.contains(&"beach".to_string()));
    }

    #[test]
    #[should_panic(expected = "unknown content word")]
    fn add_words_panics_on_an_unknown_word() {
        let sim = Simulator::start(SimConfig {
            assets_per_account: 2,
            ..SimConfig::default()
        })
        .unwrap();
        sim.add_words(&sim.assets("alice")[0].id, &["dog", "unicorn"]);
    }

    #[tokio::test]
    async fn remove_from_album_by_hand() {
        let h = Harness::new(&["alice", "bob"], 20);
        let album = h.sim.create_album("alice", "A", &[("bob", Role::Editor)]);
        let ids: Vec<String> = h
            .visible("alice")
            .iter()
            .take(3)
            .map(|a| a.id.clone())
            .collect();
        h.sim.add_to_album(&album, &ids);
        let scope = json!({"albumIds": [album]});
        assert_eq!(
            sorted(found(&h, "bob", scope.clone()).await),
            sorted(ids.clone())
        );
        assert_eq!(listed_count(&h, "bob", &album).await, 3);

        h.sim
            .remove_from_album(&album, &[ids[0].clone(), NO_ASSET.to_string()]);
        assert_eq!(
            sorted(found(&h, "bob", scope).await),
            sorted(ids[1..].to_vec())
        );
        assert_eq!(listed_count(&h, "bob", &album).await, 2);
        assert!(
            h.sim.requests().iter().all(|r| !r.changed),
            "not logged as changes"
        );
    }

    #[tokio::test]
    async fn bulk_asset_update_over_http() {
        let h = Harness::new(&["alice", "bob"], 40);
        let key = h.sim.account("alice").api_key;
        let mine: Vec<SimAsset> = h
            .visible("alice")
            .into_iter()
            .filter(|a| a.visibility == "timeline" && !a.is_favorite)
            .collect();
        let (a, b) = (mine[0].id.clone(), mine[1].id.clone());
        let album = h.sim.create_album("alice", "A", &[("bob", Role::Viewer)]);
        h.sim.add_to_album(&album, &[a.clone(), b.clone()]);
        assert!(
            found(&h, "alice", json!({"isFavorite": true}))
                .await
                .iter()
                .all(|i| i != &a)
        );

        let update = |body: Value| {
            let key = key.clone();
            let h = &h;
            async move { h.raw(Some(&key), "PUT", "/api/assets", Some(body)).await }
        };
        let resp =
            update(json!({"ids": [a, b], "visibility": "archive", "isFavorite": true})).await;
        assert_eq!(resp.status(), 204);
        assert!(resp.bytes().await.unwrap().is_empty(), "no body");
        let archived = found(&h, "alice", json!({"visibility": "archive"})).await;
        assert!(archived.contains(&a) && archived.contains(&b));
        let favorites = found(&h, "alice", json!({"isFavorite": true})).await;
        assert!(favorites.contains(&a) && favorites.contains(&b));
        assert_eq!(
            listed_count(&h, "bob", &album).await,
            2,
            "archived stays in albums"
        );

        let resp = update(json!({"ids": [a], "visibility": "locked"})).await;
        assert_eq!(resp.status(), 204);
        assert_eq!(
            found(&h, "bob", json!({"albumIds": [album]})).await,
            vec![b.clone()]
        );
        assert_eq!(listed_count(&h, "alice", &album).await, 1);
        assert!(!found(&h, "alice", json!({})).await.contains(&a));

        // Only the caller's own assets, and (with an API key) never a locked one.
        let not_allowed = json!({"message": "Not found or no asset.update access"});
        let bobs = h.sim.assets("bob")[0].id.clone();
        for ids in [json!([b, bobs]), json!([NO_ASSET]), json!([a])] {
            let resp = update(json!({"ids": ids, "isFavorite": false})).await;
            assert_eq!(resp.status(), 400, "{ids}");
            assert_eq!(resp.json::<Value>().await.unwrap(), not_allowed);
        }
        assert!(
            found(&h, "alice", json!({"isFavorite": true}))
                .await
                .contains(&b),
            "nothing changed"
        );
        let resp = update(json!({"ids": ["x"], "visibility": "gone"})).await;
        assert_eq!(resp.status(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["errors"][0]["path"], json!(["ids", 0]));
        assert_eq!(body["errors"][1]["path"], json!(["visibility"]));
        let (status, body) = h
            .call_key(
                Some(&key),
                "PUT",
                "/api/assets",
                Some(json!({"isFavorite": true})),
            )
            .await;
        assert_eq!((status, &body["errors"][0]["path"]), (400, &json!(["ids"])));
        let reader = h.sim.add_api_key("alice", "reader", &["asset.read"]);
        let (status, body) = h
            .call_key(
                Some(&reader),
                "PUT",
                "/api/assets",
                Some(json!({"ids": [b]})),
            )
            .await;
        assert_eq!(
            (status, body),
            (
                403,
                json!({"message": "Missing required permission: asset.update"})
            )
        );

        let changing: Vec<(String, String, u16)> = h
            .sim
            .changing_requests()
            .into_iter()
            .map(|r| (r.method, r.path, r.status))
            .collect();
        let put = || ("PUT".to_string(), "/api/assets".to_string(), 204);
        assert_eq!(
            changing,
            [put(), put()],
            "successful updates count as changes"
        );
    }

    #[tokio::test]
    async fn latency_is_applied() {
        let sim = Simulator::start(SimConfig {
            latency: Duration::from_millis(120),
            assets_per_account: 5,
            ..SimConfig::default()
        })
        .unwrap();
        let started = std::time::Instant::now();
        crate::immich::install_tls_provider();
        let resp = reqwest::get(format!("{}/api/server/ping", sim.url()))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(started.elapsed() >= Duration::from_millis(120));
    }
}
