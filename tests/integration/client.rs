//! The Immich client and album operations against the simulator: discovery, paging, per-id add results,
//! batching, the errors for refused keys, and a URL whose scheme is not the server's.

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

/// A loopback TCP port that counts the connections it accepts: each is relayed to `forward` both ways
/// (a real server behind it), or answered with fixed bytes and closed.
struct Port {
    port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

enum Answer {
    Forward(std::net::SocketAddr),
    Bytes(&'static [u8]),
}

impl Port {
    fn start(answer: Answer) -> Port {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (count, stopped) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let mut stream = stream.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                match answer {
                    Answer::Forward(to) => {
                        let mut server = std::net::TcpStream::connect(to).unwrap();
                        let (mut from_server, mut to_client) =
                            (server.try_clone().unwrap(), stream.try_clone().unwrap());
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut from_server, &mut to_client);
                            let _ = to_client.shutdown(std::net::Shutdown::Both);
                        });
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut stream, &mut server);
                            let _ = server.shutdown(std::net::Shutdown::Write);
                        });
                    }
                    Answer::Bytes(bytes) => {
                        let mut request = [0u8; 4096];
                        let _ = stream.read(&mut request);
                        let _ = stream.write_all(bytes);
                    }
                }
            }
        });
        Port {
            port,
            accepted,
            stop,
            thread,
        }
    }

    /// Stops accepting; the connections it accepted.
    fn stop(self) -> usize {
        use std::sync::atomic::Ordering;
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then ends without counting this one.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        self.thread.join().unwrap();
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Five attempts a call, with waits of milliseconds: a failure that were retried would show in the
/// count of connections.
fn five_quick_attempts() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 5,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_total: Duration::from_secs(30),
        },
    }
}

async fn connect_error(server: &str) -> immich_smart_albums::immich::ApiError {
    Client::connect(
        &ServerUrl::parse(server).unwrap(),
        ApiKey::new("k").unwrap(),
        &five_quick_attempts(),
    )
    .await
    .unwrap_err()
}

/// `https://` given for a port that speaks plain HTTP (the simulator, through a port that counts the
/// connections): one connection, no retry, and the error names the server and `http://`.
#[test]
fn https_to_a_plain_http_port_fails_at_once_and_says_to_use_http() {
    let sim = common::sim_with(&["alice"], 5);
    let address = sim.url().trim_start_matches("http://").parse().unwrap();
    for path in ["", "/api"] {
        let port = Port::start(Answer::Forward(address));
        let server = format!("https://127.0.0.1:{}", port.port);
        let error = runtime().block_on(connect_error(&format!("{server}{path}")));
        assert_eq!(port.stop(), 1, "one connection, not retried: {error}");
        let text = error.to_string();
        let instead = format!("http://127.0.0.1:{}", server.rsplit(':').next().unwrap());
        assert_eq!(error.attempts, 1, "{text}");
        assert_eq!(error.wrong_scheme(), Some(instead.as_str()), "{text}");
        assert!(
            text.contains(&format!("{server} answers plain HTTP, not https (TLS)")),
            "{text}"
        );
        assert!(
            text.contains(&format!("use {instead} as the server URL")),
            "{text}"
        );
        assert!(
            text.contains("InvalidContentType"),
            "what gave it away: {text}"
        );
    }
}

/// `http://` given for a port that speaks TLS: one that answers a plain HTTP request with a TLS alert
/// record, and one behind nginx, which answers with its 400 page. One connection each, no retry, and
/// the error names the server and `https://`.
#[test]
fn http_to_a_tls_port_fails_at_once_and_says_to_use_https() {
    // A TLS alert record: fatal (2), protocol_version (70).
    const ALERT: &[u8] = b"\x15\x03\x03\x00\x02\x02\x46";
    const NGINX: &[u8] = b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\
        Content-Type: text/html\r\nContent-Length: 146\r\nConnection: close\r\n\r\n\
        <html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\
        <body><center><h1>400 Bad Request</h1></center></body></html>\r\n";
    for (answer, path, detail) in [
        (ALERT, "", "invalid HTTP version parsed"),
        (ALERT, "/api", "invalid HTTP version parsed"),
        (
            NGINX,
            "/api",
            "answered 400: plain HTTP request was sent to HTTPS port",
        ),
    ] {
        let port = Port::start(Answer::Bytes(answer));
        let server = format!("http://127.0.0.1:{}", port.port);
        let error = runtime().block_on(connect_error(&format!("{server}{path}")));
        assert_eq!(port.stop(), 1, "one connection, not retried: {error}");
        let text = error.to_string();
        let instead = format!("https://127.0.0.1:{}", server.rsplit(':').next().unwrap());
        assert_eq!(error.attempts, 1, "{text}");
        assert_eq!(error.wrong_scheme(), Some(instead.as_str()), "{text}");
        assert!(
            text.contains(&format!("{server} speaks https (TLS), not plain HTTP")),
            "{text}"
        );
        assert!(
            text.contains(&format!("use {instead} as the server URL")),
            "{text}"
        );
        assert!(text.contains(detail), "what gave it away: {text}");
    }
}

/// `http://` given for a port that closes every connection without a word: what a restarting proxy
/// does too, so it is retried, and what some TLS ports do with plain HTTP, so the error says that fix.
#[test]
fn http_to_a_port_that_closes_at_once_is_retried_and_the_error_mentions_https() {
    let port = Port::start(Answer::Bytes(b""));
    let server = format!("http://127.0.0.1:{}", port.port);
    let error = runtime().block_on(connect_error(&format!("{server}/api")));
    assert_eq!(port.stop(), 5, "retried as passing trouble: {error}");
    let text = error.to_string();
    assert_eq!(error.wrong_scheme(), None, "{text}");
    assert!(
        text.contains(&format!(
            "if {server} speaks https (TLS), use https://127.0.0.1:{} as the server URL",
            server.rsplit(':').next().unwrap()
        )),
        "{text}"
    );
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
