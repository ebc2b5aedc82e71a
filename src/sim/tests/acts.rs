//! The direct controls of `acts` (visibility, face tags, content words, albums by hand), seen by
//! searches and album listings over HTTP, and their panics on a mistake in a test.

use serde_json::json;

use crate::sim::tests::harness::*;
use crate::sim::{Role, SimAsset, SimConfig, Simulator};

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
