//! Discovery, version, the caller's user and API key, unknown routes, the `Date` header.

use serde_json::{Value, json};

use crate::sim::tests::harness::*;

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

/// Every answer carries a `Date` header (hyper's, to the second, as Immich's): a client can take
/// the server's time from it, e.g. for the next `updatedAfter`.
#[tokio::test]
async fn every_answer_carries_a_date_header() {
    let h = Harness::new(&["alice"], 5);
    let key = h.sim.account("alice").api_key;
    for (key, method, path) in [
        (None, "GET", "/api/server/ping"),
        (Some(key.as_str()), "GET", "/api/users/me"),
        (None, "GET", "/api/users/me"),
        (Some(key.as_str()), "GET", "/api/nowhere"),
        (Some(key.as_str()), "PUT", "/api/assets"),
    ] {
        let before = crate::sim::time::now_ms() / 1000;
        let resp = h.raw(key, method, path, None).await;
        let after = crate::sim::time::now_ms() / 1000;
        let date = resp.headers()["date"].to_str().unwrap().to_string();
        assert!(date.ends_with(" GMT"), "{path}: {date}");
        let at = jiff::fmt::rfc2822::parse(&date)
            .unwrap_or_else(|e| panic!("{path}: {date}: {e}"))
            .timestamp()
            .as_second();
        assert!((before..=after).contains(&at), "{path}: {date}");
    }
}
