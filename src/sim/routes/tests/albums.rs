//! Albums: adding assets, creating, sharing, listing, errors and deleting.

use std::time::Duration;

use serde_json::{Value, json};

use crate::sim::Role;
use crate::sim::tests::harness::*;

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
