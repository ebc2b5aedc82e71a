//! Time stamps as Immich 3.1.0 and 2.5.6 keep them (measured): which changes move an asset's
//! `updatedAt` (and so what an `updatedAfter` search finds), which do not, and how an album's
//! `lastModifiedAssetTimestamp` and `updatedAt` follow its assets.

use serde_json::{Value, json};

use crate::sim::tests::harness::*;
use crate::sim::time::{iso_ms, now_ms, parse_iso_datetime_ms};

/// Milliseconds of an ISO time the simulator wrote.
fn ms(v: &Value) -> i64 {
    parse_iso_datetime_ms(v.as_str().expect("a time")).expect("an ISO time")
}

/// The asset's `updatedAt` as `GET /api/assets/{id}` answers it, in ms.
async fn updated_at(h: &Harness, id: &str) -> i64 {
    let (status, asset) = h
        .call("alice", "GET", &format!("/api/assets/{id}"), json!(null))
        .await;
    assert_eq!(status, 200, "{asset}");
    ms(&asset["updatedAt"])
}

/// Alice's assets (trashed ones too) whose `updatedAt` is at or after `t`.
async fn changed_since(h: &Harness, t: i64) -> Vec<String> {
    found(
        h,
        "alice",
        json!({"updatedAfter": iso_ms(t), "withDeleted": true}),
    )
    .await
}

/// `PUT /api/assets` as alice (204, no body); its status.
async fn update_assets(h: &Harness, body: Value) -> u16 {
    let key = h.sim.account("alice").api_key;
    let resp = h.raw(Some(&key), "PUT", "/api/assets", Some(body)).await;
    resp.status().as_u16()
}

/// Two of alice's assets on the timeline.
fn two_on_the_timeline(h: &Harness) -> (String, String) {
    let timeline: Vec<String> = h
        .visible("alice")
        .into_iter()
        .filter(|a| a.visibility == "timeline")
        .map(|a| a.id)
        .collect();
    (timeline[0].clone(), timeline[1].clone())
}

enum Change {
    /// `PUT /api/assets` with this body besides `ids`.
    Http(Value),
    Visibility(&'static str),
    Favorite(bool),
    Trash(bool),
    Tag(&'static str),
}

#[tokio::test]
async fn updated_after_finds_what_was_archived_favourited_trashed_restored_or_tagged() {
    let h = Harness::new(&["alice", "bob"], 20);
    let (x, other) = two_on_the_timeline(&h);
    let steps = [
        ("archive", Change::Http(json!({"visibility": "archive"}))),
        ("unarchive", Change::Http(json!({"visibility": "timeline"}))),
        ("hide", Change::Visibility("hidden")),
        ("back to the timeline", Change::Visibility("timeline")),
        ("favourite", Change::Http(json!({"isFavorite": true}))),
        ("unfavourite", Change::Favorite(false)),
        ("trash", Change::Trash(true)),
        ("restore", Change::Trash(false)),
        ("tag", Change::Tag("Trip/2024")),
    ];
    for (what, change) in steps {
        // Warm the search cache: the change must not be hidden by it.
        changed_since(&h, 0).await;
        let before = now_ms();
        match change {
            Change::Http(mut body) => {
                body["ids"] = json!([x]);
                assert_eq!(update_assets(&h, body).await, 204, "{what}");
            }
            Change::Visibility(v) => h.sim.set_visibility(&x, v),
            Change::Favorite(f) => h.sim.set_favorite(&x, f),
            Change::Trash(t) => h.sim.set_trashed(&x, t),
            Change::Tag(value) => h.sim.tag(&x, value),
        }
        let after = now_ms();
        let stamp = updated_at(&h, &x).await;
        assert!(
            (before..=after).contains(&stamp),
            "{what}: {before} <= {stamp} <= {after}"
        );
        let since_before = changed_since(&h, before).await;
        assert_eq!(
            since_before,
            std::slice::from_ref(&x),
            "{what}: only it changed"
        );
        assert!(!changed_since(&h, after + 1).await.contains(&x), "{what}");
        // Inclusive at both ends, to the millisecond.
        let exactly = json!({
            "updatedAfter": iso_ms(stamp),
            "updatedBefore": iso_ms(stamp),
            "withDeleted": true,
        });
        assert!(found(&h, "alice", exactly).await.contains(&x), "{what}");
        assert!(!changed_since(&h, stamp + 1).await.contains(&x), "{what}");
    }
    assert!(updated_at(&h, &other).await < updated_at(&h, &x).await);

    // An upload is stamped when it arrives.
    let before = now_ms();
    let new = h.sim.upload_photo("alice", &["Mia"]);
    let after = now_ms();
    let stamp = updated_at(&h, &new).await;
    assert!(
        (before..=after).contains(&stamp),
        "{before} {stamp} {after}"
    );
    assert_eq!(changed_since(&h, before).await, [new]);
}

#[tokio::test]
async fn faces_people_and_albums_leave_updated_at_alone() {
    let h = Harness::new(&["alice", "bob"], 30);
    let with_mia = h
        .visible("alice")
        .into_iter()
        .find(|a| a.visibility == "timeline" && a.people.iter().any(|p| p == "Mia"))
        .expect("an asset showing Mia")
        .id;
    let stamp = updated_at(&h, &with_mia).await;
    changed_since(&h, 0).await;
    let before = now_ms();

    h.sim.untag(&with_mia, "Mia");
    h.sim.tag_face(&with_mia, "Leo");
    h.sim.tag_face(&with_mia, "Mia");
    h.sim.rename_person("alice", "Mia", "Mia-renamed");
    // Restoring what is not in the trash changes nothing.
    h.sim.set_trashed(&with_mia, false);

    let album = h.sim.create_album("alice", "By hand", &[]);
    h.sim.add_to_album(&album, std::slice::from_ref(&with_mia));
    h.sim
        .remove_from_album(&album, std::slice::from_ref(&with_mia));
    let path = format!("/api/albums/{album}/assets");
    let ids = json!({"ids": [with_mia]});
    let (status, _) = h.call("alice", "PUT", &path, ids.clone()).await;
    assert_eq!(status, 200);
    let (status, _) = h.call("alice", "DELETE", &path, ids).await;
    assert_eq!(status, 200);

    assert_eq!(updated_at(&h, &with_mia).await, stamp);
    assert_eq!(changed_since(&h, before).await, Vec::<String>::new());
}

/// The album as `GET /api/albums/{id}` answers it.
async fn album(h: &Harness, id: &str) -> Value {
    let (status, album) = h
        .call("alice", "GET", &format!("/api/albums/{id}"), json!(null))
        .await;
    assert_eq!(status, 200, "{album}");
    album
}

#[tokio::test]
async fn album_last_modified_is_the_newest_updated_at_it_counts() {
    let h = Harness::new(&["alice", "bob"], 20);
    let timeline: Vec<String> = h
        .visible("alice")
        .into_iter()
        .filter(|a| a.visibility == "timeline")
        .map(|a| a.id)
        .collect();
    let (x, y, z) = (
        timeline[0].clone(),
        timeline[1].clone(),
        timeline[2].clone(),
    );
    let (status, created) = h
        .call(
            "alice",
            "POST",
            "/api/albums",
            json!({"albumName": "Stamps", "assetIds": [x, y, z]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["albumThumbnailAssetId"], json!(x));
    let last = |a: &Value| ms(&a["lastModifiedAssetTimestamp"]);
    let mut initial = 0;
    for asset in [&x, &y, &z] {
        initial = initial.max(updated_at(&h, asset).await);
    }
    assert_eq!(last(&album(&h, &id).await), initial);

    // An asset in it is archived: the album's timestamp moves forward to the asset's.
    let archive = json!({"ids": [x], "visibility": "archive"});
    assert_eq!(update_assets(&h, archive).await, 204);
    let got = album(&h, &id).await;
    assert_eq!(last(&got), updated_at(&h, &x).await);
    assert_eq!(got["assetCount"], 3, "an archived asset still counts");
    let listed = h.call("alice", "GET", "/api/albums", json!(null)).await.1;
    assert_eq!(
        listed[0]["lastModifiedAssetTimestamp"],
        got["lastModifiedAssetTimestamp"]
    );

    std::thread::sleep(std::time::Duration::from_millis(2));
    h.sim.set_favorite(&y, true);
    let got = album(&h, &id).await;
    assert_eq!(last(&got), updated_at(&h, &y).await);
    assert!(last(&got) > updated_at(&h, &x).await);

    // The newest leaves: back to the one before; not the cover, so `updatedAt` stays.
    let updated = got["updatedAt"].clone();
    let (status, _) = h
        .call(
            "alice",
            "DELETE",
            &format!("/api/albums/{id}/assets"),
            json!({"ids": [y]}),
        )
        .await;
    assert_eq!(status, 200);
    let got = album(&h, &id).await;
    assert_eq!(last(&got), updated_at(&h, &x).await);
    assert_eq!(got["updatedAt"], updated);

    // The newest, which is the cover, goes to the trash: back to z's, another cover, and the
    // album's `updatedAt` moves.
    let before = now_ms();
    h.sim.set_trashed(&x, true);
    let got = album(&h, &id).await;
    assert_eq!(last(&got), updated_at(&h, &z).await);
    assert_eq!(got["albumThumbnailAssetId"], json!(z));
    assert!(ms(&got["updatedAt"]) >= before);
    assert_eq!(got["assetCount"], 1);

    // Restored: its new stamp; the cover stays.
    h.sim.set_trashed(&x, false);
    let got = album(&h, &id).await;
    assert_eq!(last(&got), updated_at(&h, &x).await);
    assert!(last(&got) >= before);
    assert_eq!(got["albumThumbnailAssetId"], json!(z));

    // Nothing counted: no timestamp at all.
    h.sim.set_visibility(&z, "hidden");
    h.sim.set_trashed(&x, true);
    let got = album(&h, &id).await;
    assert_eq!(got["assetCount"], 0);
    assert!(got.get("lastModifiedAssetTimestamp").is_none(), "{got}");
}
