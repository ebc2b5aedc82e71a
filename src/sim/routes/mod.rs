//! The HTTP layer: the axum router, which maps each Immich endpoint to its handler, and what the
//! handlers share (the [`App`] state, the [`Caller`] extractor, small answers). The handlers live by
//! Immich resource: `server` (discovery, version, users, API keys), `search`, `albums`, `assets`
//! (bulk updates and thumbnails), `uploads` (one asset, originals, uploads), `people`, `tags` and
//! `links` (shared links). The `gateway` middleware is the seam every request passes. Handlers check
//! the permission first, then validate, then lock the state, act, and build the response JSON. This
//! is the layer above the model (`state`) and its rendering and checks (`json`, `validate`,
//! `search`): nothing below imports it. Every answer carries a `Date` header, to the second, as
//! Immich's do: hyper adds it.

mod albums;
mod assets;
mod gateway;
mod links;
mod people;
mod search;
mod server;
mod tags;
mod uploads;

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post, put};
use serde_json::Value;

use super::faults::Faults;
use super::json::{ApiError, json_response};
use super::state::{Caller, State};

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
        .route("/.well-known/immich", get(server::well_known))
        .route("/api/server/ping", get(server::ping))
        .route("/api/server/version", get(server::version))
        .route("/api/users/me", get(server::users_me))
        .route("/api/users", get(server::users))
        .route("/api/api-keys/me", get(server::api_key_me))
        .route("/api/search/metadata", post(search::search_metadata))
        .route("/api/search/smart", post(search::search_smart))
        .route(
            "/api/albums",
            get(albums::list_albums).post(albums::create_album),
        )
        .route(
            "/api/albums/{id}",
            get(albums::get_album)
                .delete(albums::delete_album)
                .patch(albums::update_album),
        )
        .route("/api/albums/{id}/users", put(albums::add_album_users))
        .route(
            "/api/albums/{id}/assets",
            put(albums::add_album_assets).delete(albums::remove_album_assets),
        )
        .route("/api/people", get(people::people))
        .route("/api/tags", get(tags::list))
        .route("/api/shared-links", get(links::list).post(links::create))
        .route(
            "/api/shared-links/{id}",
            axum::routing::patch(links::update).delete(links::delete),
        )
        .route(
            "/api/assets",
            put(assets::update_assets).post(uploads::upload),
        )
        .route(
            "/api/assets/bulk-upload-check",
            post(uploads::bulk_upload_check),
        )
        .route("/api/assets/{id}", get(uploads::asset))
        .route("/api/assets/{id}/original", get(uploads::original))
        .route("/api/assets/{id}/thumbnail", get(assets::thumbnail))
        .fallback(no_route)
        .method_not_allowed_fallback(no_route)
        // Uploads stream through (see `uploads`); other bodies are small.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            app.clone(),
            gateway::gateway,
        ))
        .with_state(app)
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

pub(super) fn ok(body: Value) -> Handled {
    Ok(json_response(StatusCode::OK, &body))
}

async fn no_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::no_route(method.as_str(), uri.path())
}

/// An empty 204 answer.
pub(super) fn no_content() -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}

#[cfg(test)]
mod tests;
