//! The seam: API-key errors, the request log, injected faults on the wire, latency.

use std::time::Duration;

use serde_json::json;

use crate::sim::tests::harness::*;
use crate::sim::{Role, SimConfig, Simulator};

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
