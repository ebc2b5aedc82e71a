//! Metadata and smart search: paging, filters, validation, album scope, ranking.

use serde_json::{Value, json};

use crate::sim::tests::harness::*;
use crate::sim::{Role, SimAsset};

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
