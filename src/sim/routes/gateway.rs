//! The seam every request passes before and after its handler: API-key resolution, latency, the
//! person's acts a test planned (`Simulator::before`), carrying out the faults that `faults`
//! decides (a proxy's error answers, resets, truncated bodies, redirects), the `X-Correlation-ID`
//! header, 2.x's error shape, and the request log.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

use super::App;
use crate::immich::ImmichLine;
use crate::sim::faults::Fault;
use crate::sim::json::json_response;
use crate::sim::rng::lower_alnum_from;
use crate::sim::types::LoggedRequest;

pub(super) async fn gateway(AxumState(app): AxumState<App>, req: Request, next: Next) -> Response {
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
    let response_bytes = axum::body::HttpBody::size_hint(resp.body()).exact();
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
        response_bytes,
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
