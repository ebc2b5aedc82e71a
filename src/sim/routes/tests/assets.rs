//! Thumbnails and the bulk asset update.

use serde_json::{Value, json};

use crate::sim::tests::harness::*;
use crate::sim::{Role, SimAsset};

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
    let resp = update(json!({"ids": [a, b], "visibility": "archive", "isFavorite": true})).await;
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
