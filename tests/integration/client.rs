//! The Immich client and album operations against the simulator: discovery, paging, per-id add results,
//! batching, and the errors for refused keys.

use crate::common;

use std::time::Duration;

use crate::common::on_both_lines;
use immich_smart_albums::album;
use immich_smart_albums::filter::{SearchFilter, run_search};
use immich_smart_albums::immich::{Client, ClientOptions, RetryPolicy, SearchKind, ServerUrl};
use immich_smart_albums::secret::ApiKey;
use immich_smart_albums::sim::Simulator;
use serde_json::json;
use uuid::Uuid;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn client(sim: &Simulator, server: &str, key: &str) -> Client {
    Client::connect(
        &ServerUrl::parse(server).unwrap(),
        ApiKey::new(key).unwrap(),
        &ClientOptions::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("connect to {} failed: {e}", sim.url()))
}

#[test]
fn discovers_the_api_from_the_bare_site() {
    on_both_lines(|| {
        let sim = common::sim();
        runtime().block_on(async {
            let key = sim.account("alice").api_key;
            let bare = client(&sim, &sim.url(), &key).await;
            assert_eq!(bare.me().await.unwrap().email, "alice@example.com");
            let line = common::line().to_string();
            assert_eq!(bare.server_version().await.unwrap().to_string(), line);
            assert_eq!(
                bare.version().to_string(),
                line,
                "read once, when connecting"
            );
            let direct = client(&sim, &format!("{}/api", sim.url()), &key).await;
            assert_eq!(direct.api_key_info().await.unwrap().permissions, ["all"]);
            assert_eq!(bare.photo_url("x"), format!("{}/photos/x", sim.url()));
        });
        let discovery = sim
            .requests()
            .iter()
            .filter(|r| r.path == "/.well-known/immich")
            .count();
        assert_eq!(discovery, 1, "only the bare URL needs discovery");
    });
}

#[test]
fn a_metadata_search_walks_every_page_of_1000() {
    on_both_lines(|| {
        let sim = common::sim_with(&["alice"], 2300);
        let expected = sim
            .assets("alice")
            .iter()
            .filter(|a| common::searchable(a))
            .count();
        let hits = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            let filter =
                SearchFilter::from_value(SearchKind::Metadata, "all".into(), json!({})).unwrap();
            run_search(&c, &filter, None).await.unwrap()
        });
        assert_eq!(hits.len(), expected);
        let pages: Vec<_> = sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/api/search/metadata")
            .collect();
        assert_eq!(pages.len(), expected.div_ceil(1000));
        for (i, page) in pages.iter().enumerate() {
            let body = page.body.as_ref().unwrap();
            assert_eq!(body["page"], i + 1);
            assert_eq!(body["size"], 1000);
        }
    });
}

#[test]
fn adds_read_every_per_id_answer() {
    on_both_lines(|| {
        let sim = common::sim();
        let album_id = sim.create_album("alice", "Mixed", &[]);
        let alice: Vec<Uuid> = sim
            .assets("alice")
            .iter()
            .take(3)
            .map(|a| Uuid::parse_str(&a.id).unwrap())
            .collect();
        let bobs = Uuid::parse_str(&sim.assets("bob")[0].id).unwrap();
        let nowhere = Uuid::parse_str("00000000-0000-4000-8000-000000000000").unwrap();
        sim.add_to_album(&album_id, &[alice[0].to_string()]);
        let outcome = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            album::add(
                &c,
                &album_id,
                &[alice[0], alice[1], alice[2], bobs, nowhere],
            )
            .await
        });
        assert!(outcome.failed.is_none());
        assert_eq!(outcome.added.len(), 2);
        assert_eq!(outcome.already.len(), 1);
        assert_eq!(outcome.refused["no_permission"], vec![bobs, nowhere]);
        assert_eq!(
            outcome.refused_count(),
            2,
            "bob's asset and an id no one has"
        );
    });
}

#[test]
fn a_failed_batch_stops_the_adds_and_removals_that_follow() {
    on_both_lines(|| {
        use immich_smart_albums::sim::{FaultPlan, FaultRule};
        let sim = common::sim_with(&["alice"], 2100);
        let album_id = sim.create_album("alice", "Everything", &[]);
        let ids: Vec<Uuid> = sim
            .assets("alice")
            .iter()
            .map(|a| Uuid::parse_str(&a.id).unwrap())
            .collect();
        // The second batch is answered 500 (not retried): the third must not be sent.
        let mut second_fails = FaultRule::new("* /api/albums/*/assets");
        second_fails.status_500 = 1.0;
        second_fails.pass_first = 1;
        sim.set_faults(FaultPlan {
            seed: 1,
            rules: vec![second_fails],
            always_fail: Vec::new(),
        });
        let (added, removed) = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            let added = album::add(&c, &album_id, &ids).await;
            (added, album::remove(&c, &album_id, &ids).await)
        });
        assert!(added.failed.is_some());
        assert_eq!(added.added.len(), 1000, "the first batch went in");
        let album: std::collections::HashSet<String> =
            sim.album_assets(&album_id).into_iter().collect();
        assert_eq!(album.len(), 1000, "what the simulator holds");
        assert!(removed.failed.is_some());
        assert!(removed.removed.is_empty());
        let sent = |method: &str| {
            sim.requests()
                .iter()
                .filter(|r| r.method == method && r.path.ends_with("/assets"))
                .count()
        };
        assert_eq!(sent("PUT"), 2, "no batch after the failed one");
        assert_eq!(
            sent("DELETE"),
            1,
            "the first removal batch failed: nothing after it"
        );
    });
}

#[test]
fn removals_read_every_per_id_answer_and_never_touch_the_library() {
    on_both_lines(|| {
        let sim = common::sim();
        let album_id = sim.create_album(
            "alice",
            "Some",
            &[("bob", immich_smart_albums::sim::Role::Editor)],
        );
        let alice: Vec<String> = sim
            .assets("alice")
            .iter()
            .take(3)
            .map(|a| a.id.clone())
            .collect();
        let bobs = sim.assets("bob")[0].id.clone();
        sim.add_to_album(
            &album_id,
            &[alice[0].clone(), alice[1].clone(), bobs.clone()],
        );
        let uuid = |s: &str| Uuid::parse_str(s).unwrap();
        // Bob, an editor, may take out his own asset only; alice[2] is not in the album.
        let outcome = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("bob").api_key).await;
            album::remove(
                &c,
                &album_id,
                &[uuid(&bobs), uuid(&alice[0]), uuid(&alice[2])],
            )
            .await
        });
        assert_eq!(outcome.removed, [uuid(&bobs)]);
        assert_eq!(outcome.gone, [uuid(&alice[2])]);
        assert_eq!(outcome.refused["no_permission"], [uuid(&alice[0])]);
        let held: std::collections::BTreeSet<String> =
            sim.album_assets(&album_id).into_iter().collect();
        assert_eq!(held, [alice[0].clone(), alice[1].clone()].into());
        assert!(
            sim.assets("bob").iter().any(|a| a.id == bobs),
            "still in bob's library"
        );
    });
}

#[test]
fn adds_go_in_batches_of_1000() {
    on_both_lines(|| {
        let sim = common::sim_with(&["alice"], 2100);
        let album_id = sim.create_album("alice", "Everything", &[]);
        let ids: Vec<Uuid> = sim
            .assets("alice")
            .iter()
            .map(|a| Uuid::parse_str(&a.id).unwrap())
            .collect();
        let outcome = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            album::add(&c, &album_id, &ids).await
        });
        assert_eq!(outcome.added.len(), ids.len());
        let adds: Vec<_> = sim
            .changing_requests()
            .into_iter()
            .filter(|r| r.method == "PUT")
            .collect();
        assert_eq!(adds.len(), 3);
        assert!(
            adds.iter()
                .all(|r| r.body.as_ref().unwrap()["ids"].as_array().unwrap().len() <= 1000)
        );
        let contents = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            let album = c.album(&album_id).await.unwrap();
            album::contents(&c, &album).await.unwrap()
        });
        // Like Immich, the listing leaves out locked assets (3.1), and 2.x's album also the hidden.
        let visible = sim
            .assets("alice")
            .iter()
            .filter(|a| common::listed_in_album(a))
            .count();
        assert_eq!(contents.assets.len(), visible);
        assert_eq!(contents.incomplete, None);
    });
}

#[test]
fn refused_keys_and_unreachable_servers_name_the_endpoint() {
    on_both_lines(|| {
        let sim = common::sim();
        let no_people = sim.add_api_key("alice", "no people", &["asset.read"]);
        let (denied, bad_key) = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &no_people).await;
            let denied = c.people_page(1, 10).await.unwrap_err();
            let c = client(&sim, &sim.url(), "wrong").await;
            (denied, c.me().await.unwrap_err())
        });
        assert_eq!(denied.missing_permission(), Some("person.read"));
        assert!(
            denied
                .to_string()
                .starts_with("GET /api/people answered 403"),
            "{denied}"
        );
        assert_eq!(bad_key.status(), Some(401));

        // A port nothing listens on.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let error = runtime().block_on(async {
            let options = ClientOptions {
                connect_timeout: Duration::from_secs(2),
                timeout: Duration::from_secs(5),
                retry: RetryPolicy::never(),
            };
            let server = ServerUrl::parse(&format!("http://127.0.0.1:{port}/api")).unwrap();
            // Connecting reads the server's version: the first request that can fail.
            Client::connect(&server, ApiKey::new("k").unwrap(), &options)
                .await
                .unwrap_err()
        });
        let text = error.to_string();
        assert!(
            text.starts_with("GET /api/server/version: could not reach the server"),
            "{text}"
        );
    });
}

#[test]
fn a_locked_folder_search_is_not_reported_as_a_bad_key() {
    on_both_lines(|| {
        let sim = common::sim_with(&["alice"], 20);
        let error = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            let filter = SearchFilter::from_value(
                SearchKind::Metadata,
                "locked.json".into(),
                json!({"visibility": "locked"}),
            )
            .unwrap();
            run_search(&c, &filter, None).await.unwrap_err()
        });
        assert_eq!(error.status(), Some(401));
        let text = error.to_string();
        assert!(
            text.starts_with(
                "POST /api/search/metadata answered 401: Elevated permission is required"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "locked-folder assets cannot be searched with an API key; remove `visibility: locked` \
                 from the filter"
            ),
            "{text}"
        );
        assert!(!text.contains("did not accept the API key"), "{text}");
        let searches = sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/api/search/metadata")
            .count();
        assert_eq!(searches, 1, "a 401 is not retried");
    });
}

#[test]
fn albums_are_created_and_shared_as_editor_or_viewer() {
    on_both_lines(|| {
        use immich_smart_albums::immich::{AlbumRole, AlbumUserAdd};
        let sim = common::sim_with(&["alice", "bob", "carol"], 50);
        let (album, shared) = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            let bob = AlbumUserAdd {
                user_id: sim.account("bob").user_id,
                role: AlbumRole::Editor,
            };
            let album = c.create_album("Shared", &[bob]).await.unwrap();
            let carol = AlbumUserAdd {
                user_id: sim.account("carol").user_id,
                role: AlbumRole::Viewer,
            };
            let shared = c.share_album(&album.id, &[carol]).await.unwrap();
            (album, shared)
        });
        assert_eq!(album.owner().unwrap().id, sim.account("alice").user_id);
        assert_eq!(
            album.role_of(&sim.account("bob").user_id),
            Some(AlbumRole::Editor)
        );
        assert_eq!(
            shared.role_of(&sim.account("carol").user_id),
            Some(AlbumRole::Viewer)
        );
        assert_eq!(sim.album_by_name("Shared"), vec![album.id]);
    });
}

#[test]
fn an_album_is_found_by_uuid_or_exact_name_and_a_near_miss_names_the_similar_ones() {
    on_both_lines(|| {
        use immich_smart_albums::error::Status;
        let sim = common::sim();
        let kids = sim.create_album("alice", "Family kids", &[]);
        sim.create_album("alice", "Holidays", &[]);
        let (by_id, by_name, shorter, longer) = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            (
                album::resolve(&c, &kids).await.unwrap(),
                album::resolve(&c, "Family kids").await.unwrap(),
                album::resolve(&c, "family kid").await.unwrap_err(),
                album::resolve(&c, "Family kids 2023").await.unwrap_err(),
            )
        });
        assert_eq!(
            (by_id.id.as_str(), by_name.id.as_str()),
            (kids.as_str(), kids.as_str())
        );
        // A name inside an album's name, and an album's name inside the name given.
        for error in [shorter, longer] {
            let text = format!("{error:#}");
            assert!(text.contains("(similar names: `Family kids`)"), "{text}");
            assert!(!text.contains("Holidays"), "{text}");
            assert_eq!(Status::of(&error), Status::Input);
        }
    });
}

#[test]
fn an_album_lookup_the_server_fails_is_not_taken_for_a_missing_album() {
    on_both_lines(|| {
        use immich_smart_albums::error::Status;
        let sim = common::sim();
        let kids = sim.create_album("alice", "Kids", &[]);
        let missing = "6f1b4c1e-8b1a-4b7e-9d3e-2a6c0c5b9f10";
        let lookup = |id: &str| {
            runtime().block_on(async {
                let server = ServerUrl::parse(&sim.url()).unwrap();
                let key = ApiKey::new(sim.account("alice").api_key).unwrap();
                let c = Client::connect(&server, key, &common::quick_retries(2))
                    .await
                    .unwrap();
                album::find(&c, id).await
            })
        };
        let error = lookup(missing).unwrap_err();
        assert!(format!("{error:#}").contains("does not exist"), "{error:#}");
        assert_eq!(Status::of(&error), Status::Input);

        sim.fail_always("alice", "GET /api/albums/*");
        let error = lookup(&kids).unwrap_err();
        let text = format!("{error:#}");
        assert!(!text.contains("does not exist"), "{text}");
        assert!(text.contains("503"), "{text}");
        assert_eq!(Status::of(&error), Status::Failure);
    });
}

#[test]
fn a_search_asks_for_people_only_when_a_metadata_search_feeds_local_rules_that_read_them() {
    on_both_lines(|| {
        use immich_smart_albums::filter::LocalFilters;
        use immich_smart_albums::filter::RuleList;
        let sim = common::sim_with(&["alice"], 60);
        let rules = |value: serde_json::Value| {
            LocalFilters::every_and_any(
                RuleList::from_value("rules".into(), value).unwrap().rules,
                Vec::new(),
            )
        };
        let people = rules(json!([{"path": "$.people[*].name", "regex": "^Mia$"}]));
        let exif = rules(json!([{"path": "$.exifInfo.model", "regex": "."}]));
        let metadata =
            SearchFilter::from_value(SearchKind::Metadata, "all".into(), json!({})).unwrap();
        let smart = SearchFilter::from_value(
            SearchKind::Smart,
            "beach".into(),
            json!({"query": "beach", "resultLimit": 5}),
        )
        .unwrap();
        let hits = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            let hits = run_search(&c, &metadata, Some(&people)).await.unwrap();
            run_search(&c, &metadata, Some(&exif)).await.unwrap();
            run_search(&c, &smart, Some(&people)).await.unwrap();
            hits
        });
        let asked: Vec<(String, bool)> = sim
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/api/search/"))
            .map(|r| {
                let body = r.body.unwrap();
                (r.path, body.get("withPeople") == Some(&json!(true)))
            })
            .collect();
        assert_eq!(
            asked,
            [
                ("/api/search/metadata".to_string(), true),
                ("/api/search/metadata".to_string(), false),
                ("/api/search/smart".to_string(), false),
            ]
        );
        // With the people in the answer, the rule keeps exactly the assets that show Mia.
        let mia: std::collections::HashSet<String> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| common::searchable(a) && a.people.iter().any(|p| p == "Mia"))
            .map(|a| a.id)
            .collect();
        assert!(!mia.is_empty());
        let kept: std::collections::HashSet<String> = hits
            .values()
            .filter(|h| h.local_ok)
            .map(|h| h.id.to_string())
            .collect();
        assert_eq!(kept, mia);
    });
}

#[test]
fn a_smart_search_ranks_its_hits_in_the_servers_order_and_says_it_was_not_metadata() {
    on_both_lines(|| {
        use immich_smart_albums::sim::SimAsset;
        let sim = common::sim_with(&["alice"], 200);
        let (smart, metadata) = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            let smart = SearchFilter::from_value(
                SearchKind::Smart,
                "s".into(),
                json!({"query": "nsfw swimsuit", "resultLimit": 12}),
            )
            .unwrap();
            let metadata =
                SearchFilter::from_value(SearchKind::Metadata, "m".into(), json!({})).unwrap();
            (
                run_search(&c, &smart, None).await.unwrap(),
                run_search(&c, &metadata, None).await.unwrap(),
            )
        });
        // The simulator's smart search, done by hand: assets (not locked) by how many query words they
        // show, then by id.
        let query = ["nsfw", "swimsuit"];
        let score = |a: &SimAsset| {
            a.words
                .iter()
                .filter(|w| query.contains(&w.as_str()))
                .count()
        };
        let mut ranked: Vec<SimAsset> = sim
            .assets("alice")
            .into_iter()
            .filter(common::searchable)
            .collect();
        ranked.sort_by(|a, b| score(b).cmp(&score(a)).then(a.id.cmp(&b.id)));
        let expected: Vec<String> = ranked.into_iter().take(12).map(|a| a.id).collect();
        let mut by_rank: Vec<(u32, String)> =
            smart.values().map(|h| (h.rank, h.id.to_string())).collect();
        by_rank.sort();
        let want: Vec<(u32, String)> = (0u32..).zip(expected).collect();
        assert_eq!(by_rank, want);
        assert!(smart.values().all(|h| !h.from_metadata));
        assert!(!metadata.is_empty() && metadata.values().all(|h| h.from_metadata));
    });
}

/// A 2.x smart search asks for pages of at least 100 and cuts them at its limit: 2.5.6 with pgvector
/// answered 18 to every size from 20 to 50 and full pages from 99 up. 3.x is asked for the limit.
#[test]
fn a_smart_search_asks_2x_for_pages_of_100_and_keeps_its_limit() {
    on_both_lines(|| {
        let sim = common::sim_with(&["alice"], 400);
        let hits = runtime().block_on(async {
            let c = client(&sim, &sim.url(), &sim.account("alice").api_key).await;
            let filter = SearchFilter::from_value(
                SearchKind::Smart,
                "nsfw".into(),
                json!({"query": "nsfw", "resultLimit": 30}),
            )
            .unwrap();
            run_search(&c, &filter, None).await.unwrap()
        });
        assert_eq!(hits.len(), 30);
        let sizes: Vec<u64> = sim
            .requests()
            .iter()
            .filter(|r| r.path == "/api/search/smart")
            .map(|r| r.body.as_ref().unwrap()["size"].as_u64().unwrap())
            .collect();
        let size = match common::line() {
            immich_smart_albums::sim::ImmichLine::V2_5 => 100,
            immich_smart_albums::sim::ImmichLine::V3_1 => 30,
        };
        assert_eq!(sizes, [size]);
    });
}
