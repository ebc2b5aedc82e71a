//! The client against a faulty simulator: retries give the fault-free result, what must not be retried
//! is not, a search that keeps failing fails whole, album adds converge, one account's failures stay
//! its own, and the API key never follows a redirect to another host.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use immich_smart_albums::album;
use immich_smart_albums::filter::{SearchFilter, run_search};
use immich_smart_albums::immich::{
    ApiError, Client, ClientOptions, RetryPolicy, SearchKind, ServerUrl,
};
use immich_smart_albums::secret::ApiKey;
use immich_smart_albums::sim::{FaultPlan, FaultRule, Simulator};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Retries with millisecond waits, so that the tests stay fast.
fn fast(max_attempts: u32) -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(30),
        retry: RetryPolicy {
            max_attempts,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
            max_total: Duration::from_secs(60),
        },
    }
}

async fn connect(server: &str, key: &str, options: &ClientOptions) -> Client {
    Client::connect(
        &ServerUrl::parse(server).unwrap(),
        ApiKey::new(key).unwrap(),
        options,
    )
    .await
    .unwrap_or_else(|e| panic!("connect to {server} failed: {e}"))
}

/// A client of `account` on the simulator's API (no discovery request). Connecting reads the server's
/// version; the request log starts after it, so the tests count only what they cause.
async fn client(sim: &Simulator, account: &str, options: &ClientOptions) -> Client {
    let key = sim.account(account).api_key;
    let client = connect(&format!("{}/api", sim.url()), &key, options).await;
    sim.clear_requests();
    client
}

/// A server that answers one `GET /api/server/version` on one connection, closes it, and is gone when
/// the returned thread has ended: what a client sees when its server stops after connecting.
fn answers_the_version_once() -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let body = r#"{"major":3,"minor":1,"patch":0}"#;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    });
    (port, server)
}

fn everything() -> SearchFilter {
    SearchFilter::from_value(SearchKind::Metadata, "all".into(), json!({})).unwrap()
}

async fn search_ids(client: &Client, filter: &SearchFilter) -> Result<BTreeSet<Uuid>, ApiError> {
    Ok(run_search(client, filter, None)
        .await?
        .into_keys()
        .collect())
}

fn plan(seed: u64, rules: Vec<FaultRule>) -> FaultPlan {
    FaultPlan {
        seed,
        rules,
        always_fail: Vec::new(),
    }
}

#[test]
fn searches_under_faults_return_the_fault_free_result() {
    let sim = common::sim_with(&["alice"], 2300);
    let smart = SearchFilter::from_value(
        SearchKind::Smart,
        "beach".into(),
        json!({"query": "beach", "resultLimit": 1500}),
    )
    .unwrap();
    let rt = runtime();
    let (clean, clean_smart) = rt.block_on(async {
        let c = client(&sim, "alice", &fast(8)).await;
        (
            search_ids(&c, &everything()).await.unwrap(),
            search_ids(&c, &smart).await.unwrap(),
        )
    });
    assert!(clean.len() > 2000 && clean_smart.len() == 1500);
    sim.clear_requests();

    sim.set_faults(plan(11, vec![FaultRule::uniform("*", 0.3)]));
    let (faulty, faulty_smart) = rt.block_on(async {
        let c = client(&sim, "alice", &fast(8)).await;
        (
            search_ids(&c, &everything()).await.unwrap(),
            search_ids(&c, &smart).await.unwrap(),
        )
    });
    assert_eq!(faulty, clean);
    assert_eq!(faulty_smart, clean_smart);

    let log = sim.requests();
    let faults: Vec<&str> = log.iter().filter_map(|r| r.fault.as_deref()).collect();
    assert!(faults.len() >= 2, "faults were injected: {faults:?}");
    // Every page was answered in the end, and the faulted ones were sent again.
    let answered = log
        .iter()
        .filter(|r| r.fault.is_none() && r.status == 200)
        .count();
    assert_eq!(answered, 3 + 2, "3 metadata pages and 2 smart pages");
    assert_eq!(log.len(), answered + faults.len(), "one retry per fault");
    assert!(log.iter().all(|r| r.path.starts_with("/api/search/")));
}

#[test]
fn every_kind_of_passing_trouble_is_retried() {
    let sim = common::sim_with(&["alice"], 5);
    sim.set_faults(plan(
        4,
        vec![FaultRule {
            retry_after_secs: 0,
            latency: Some((Duration::ZERO, Duration::from_millis(2))),
            ..FaultRule::uniform("*", 0.6)
        }],
    ));
    let emails = runtime().block_on(async {
        let c = client(&sim, "alice", &fast(20)).await;
        let mut emails = Vec::new();
        for _ in 0..40 {
            emails.push(c.me().await.unwrap().email);
        }
        emails
    });
    assert_eq!(emails, vec!["alice@example.com"; 40]);
    let log = sim.requests();
    for kind in [
        "status 502",
        "status 503",
        "status 504",
        "status 429",
        "reset",
        "truncate",
    ] {
        assert!(
            log.iter().any(|r| r.fault.as_deref() == Some(kind)),
            "{kind} was injected and retried"
        );
    }
    assert_eq!(log.iter().filter(|r| r.fault.is_none()).count(), 40);
}

#[test]
fn the_same_seed_injects_the_same_faults() {
    let sim = common::sim_with(&["alice"], 2300);
    let rt = runtime();
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.clear_requests();
        sim.set_faults(plan(5, vec![FaultRule::uniform("*", 0.4)]));
        rt.block_on(async {
            let c = client(&sim, "alice", &fast(10)).await;
            search_ids(&c, &everything()).await.unwrap()
        });
        let log: Vec<(Option<String>, u16)> = sim
            .requests()
            .into_iter()
            .map(|r| (r.fault, r.status))
            .collect();
        runs.push(log);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].iter().any(|(fault, _)| fault.is_some()));
}

#[test]
fn what_a_repeat_cannot_fix_is_sent_once() {
    let sim = common::sim();
    let no_people = sim.add_api_key("alice", "no people", &["asset.read"]);
    let rt = runtime();
    let options = fast(5);
    let check = |name: &str, status: u16, error: ApiError| {
        assert_eq!(error.status(), Some(status), "{name}: {error}");
        assert_eq!(error.attempts, 1, "{name}: {error}");
        assert!(!error.to_string().contains("gave up"), "{name}: {error}");
        let log = sim.requests();
        assert_eq!(log.len(), 1, "{name}: exactly one request: {log:?}");
        assert_eq!(log[0].status, status, "{name}");
        sim.clear_requests();
    };

    let error = rt.block_on(async {
        let c = client(&sim, "alice", &options).await;
        c.album("not-a-uuid").await.unwrap_err()
    });
    check("400", 400, error);
    let error = rt.block_on(async {
        let c = connect(&format!("{}/api", sim.url()), "wrong", &options).await;
        sim.clear_requests();
        c.me().await.unwrap_err()
    });
    check("401", 401, error);
    let error = rt.block_on(async {
        let c = connect(&format!("{}/api", sim.url()), &no_people, &options).await;
        sim.clear_requests();
        c.people_page(1, 10).await.unwrap_err()
    });
    check("403", 403, error);
    let error = rt.block_on(async {
        let c = client(&sim, "alice", &options).await;
        c.call::<Value, ()>(Method::GET, "no/such/endpoint", &[], None)
            .await
            .unwrap_err()
    });
    check("404", 404, error);

    sim.set_faults(plan(
        1,
        vec![FaultRule {
            status_500: 1.0,
            ..FaultRule::new("GET /api/users/me")
        }],
    ));
    let error = rt.block_on(async {
        let c = client(&sim, "alice", &options).await;
        c.me().await.unwrap_err()
    });
    assert_eq!(sim.requests()[0].fault.as_deref(), Some("status 500"));
    check("500", 500, error);
}

#[test]
fn a_429_is_retried_after_the_servers_retry_after() {
    let sim = common::sim_with(&["alice"], 50);
    sim.set_faults(plan(
        2,
        vec![FaultRule {
            status_429: 0.6,
            retry_after_secs: 0,
            ..FaultRule::new("*")
        }],
    ));
    // A backoff of a minute: the retries can only be prompt if `Retry-After: 0` is what they wait.
    let options = ClientOptions {
        retry: RetryPolicy {
            max_attempts: 20,
            min_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60),
            max_total: Duration::from_secs(3600),
        },
        ..fast(20)
    };
    let rt = runtime();
    let me = rt.block_on(async {
        let c = client(&sim, "alice", &options).await;
        let calls = async {
            let mut emails = Vec::new();
            for _ in 0..5 {
                emails.push(c.me().await.unwrap().email);
            }
            emails
        };
        tokio::time::timeout(Duration::from_secs(30), calls)
            .await
            .expect("the retries waited Retry-After (0 s), not the one-minute backoff")
    });
    assert_eq!(me, vec!["alice@example.com"; 5]);
    let log = sim.requests();
    let throttled = log.iter().filter(|r| r.status == 429).count();
    assert!(throttled >= 1, "{log:?}");
    assert_eq!(log.len(), 5 + throttled);
    assert!(
        log.iter()
            .filter(|r| r.status == 429)
            .all(|r| r.fault.as_deref() == Some("status 429"))
    );
}

#[test]
fn a_page_that_always_fails_fails_the_whole_search() {
    let sim = common::sim_with(&["alice"], 2300);
    // The first page is answered, the second never.
    sim.set_faults(plan(
        3,
        vec![FaultRule {
            status_502: 1.0,
            pass_first: 1,
            ..FaultRule::new("POST /api/search/metadata")
        }],
    ));
    let error = runtime().block_on(async {
        let c = client(&sim, "alice", &fast(4)).await;
        search_ids(&c, &everything()).await.unwrap_err()
    });
    let text = error.to_string();
    assert!(
        text.starts_with("POST /api/search/metadata: gave up after 4 attempts in "),
        "{text}"
    );
    assert!(text.contains(" s: answered 502: Bad Gateway"), "{text}");
    assert_eq!(error.attempts, 4);
    assert_eq!(error.status(), Some(502));
    let pages: Vec<u64> = sim
        .requests()
        .iter()
        .map(|r| r.body.as_ref().unwrap()["page"].as_u64().unwrap())
        .collect();
    assert_eq!(pages, [1, 2, 2, 2, 2]);
}

fn all_ids(sim: &Simulator, account: &str) -> Vec<Uuid> {
    sim.assets(account)
        .iter()
        .map(|a| Uuid::parse_str(&a.id).unwrap())
        .collect()
}

fn sorted_strings(ids: &[Uuid]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids
}

#[test]
fn album_adds_under_faults_add_exactly_the_ids_and_count_every_one() {
    let sim = common::sim_with(&["alice"], 2500);
    let album_id = sim.create_album("alice", "Flaky", &[]);
    let ids = all_ids(&sim, "alice");
    sim.set_faults(plan(
        21,
        vec![FaultRule {
            status_502: 0.15,
            status_503: 0.1,
            status_504: 0.05,
            reset: 0.05,
            truncate: 0.05,
            after_handler: 0.5,
            ..FaultRule::new("PUT /api/albums/*/assets")
        }],
    ));
    let outcome = runtime().block_on(async {
        let c = client(&sim, "alice", &fast(10)).await;
        album::add(&c, &album_id, &ids).await
    });
    assert!(outcome.failed.is_none(), "{:?}", outcome.failed);
    assert_eq!(outcome.refused_count(), 0);
    assert_eq!(
        outcome.added.len() + outcome.already_after_resend.len(),
        ids.len()
    );
    assert_eq!(sim.album_assets(&album_id), sorted_strings(&ids));

    let log = sim.requests();
    let applied_but_failed = log
        .iter()
        .filter(|r| r.changed && r.fault.is_some())
        .count();
    assert!(
        applied_but_failed >= 1,
        "some adds were applied and answered with an error: {:?}",
        log.iter().map(|r| &r.fault).collect::<Vec<_>>()
    );
    // What a lost answer added comes back as `duplicate` on the retry, told apart from a
    // `duplicate` to a request sent once (the album held it before: a person's).
    assert!(!outcome.already_after_resend.is_empty());
    assert!(outcome.already.is_empty(), "{:?}", outcome.already);
    assert_eq!(log.iter().filter(|r| r.fault.is_none()).count(), 3);
}

#[test]
fn album_adds_converge_over_reruns_even_with_500s() {
    let sim = common::sim_with(&["alice"], 1200);
    let album_id = sim.create_album("alice", "Cron", &[]);
    let ids = all_ids(&sim, "alice");
    sim.set_faults(plan(
        9,
        vec![FaultRule {
            status_500: 0.2,
            after_handler: 0.5,
            ..FaultRule::uniform("PUT /api/albums/*/assets", 0.3)
        }],
    ));
    let rt = runtime();
    let mut runs = 0;
    let last = loop {
        runs += 1;
        assert!(runs <= 30, "the adds did not converge");
        let outcome = rt.block_on(async {
            let c = client(&sim, "alice", &fast(5)).await;
            album::add(&c, &album_id, &ids).await
        });
        match &outcome.failed {
            None => break outcome,
            Some(error) if error.status() == Some(500) => assert_eq!(error.attempts, 1),
            Some(error) => assert_eq!(error.attempts, 5, "{error}"),
        }
    };
    assert_eq!(last.added.len() + last.already.len(), ids.len());
    assert_eq!(sim.album_assets(&album_id), sorted_strings(&ids));
}

#[test]
fn album_creation_is_not_repeated_once_the_server_may_have_it() {
    let sim = common::sim_with(&["alice"], 5);
    let rt = runtime();
    for (seed, rule, created) in [
        (
            1,
            FaultRule {
                status_502: 1.0,
                after_handler: 1.0,
                ..FaultRule::new("POST /api/albums")
            },
            1,
        ),
        (
            2,
            FaultRule {
                reset: 1.0,
                ..FaultRule::new("POST /api/albums")
            },
            0,
        ),
    ] {
        let name = format!("Once {seed}");
        sim.clear_requests();
        sim.set_faults(plan(seed, vec![rule]));
        let error = rt.block_on(async {
            let c = client(&sim, "alice", &fast(5)).await;
            c.create_album(&name, &[]).await.unwrap_err()
        });
        assert_eq!(error.attempts, 1, "{error}");
        assert!(error.to_string().starts_with("POST /api/albums"), "{error}");
        assert_eq!(sim.requests().len(), 1);
        assert_eq!(sim.album_by_name(&name).len(), created);
    }

    // The server is gone after connecting: nothing listens, the request surely never arrived, so
    // it is tried again.
    let (port, server) = answers_the_version_once();
    let error = rt.block_on(async {
        let c = connect(&format!("http://127.0.0.1:{port}/api"), "k", &fast(3)).await;
        server.join().unwrap();
        c.create_album("Nowhere", &[]).await.unwrap_err()
    });
    assert_eq!(error.attempts, 3, "{error}");
    assert!(
        error
            .to_string()
            .starts_with("POST /api/albums: gave up after 3 attempts in "),
        "{error}"
    );
    assert!(error.to_string().contains("could not reach the server"));
}

#[test]
fn always_failing_one_account_leaves_the_others_alone() {
    let sim = common::sim_with(&["alice", "bob"], 100);
    sim.fail_always("bob", "POST /api/search/*");
    let rt = runtime();
    let (alice, bob, bob_me) = rt.block_on(async {
        let alice = client(&sim, "alice", &fast(3)).await;
        let bob = client(&sim, "bob", &fast(3)).await;
        (
            search_ids(&alice, &everything()).await,
            search_ids(&bob, &everything()).await,
            bob.me().await,
        )
    });
    assert!(!alice.unwrap().is_empty());
    assert_eq!(bob_me.unwrap().email, "bob@example.com");
    let error = bob.unwrap_err();
    assert_eq!((error.status(), error.attempts), (Some(503), 3));
    assert!(
        error
            .to_string()
            .starts_with("POST /api/search/metadata: gave up after 3 attempts"),
        "{error}"
    );
    for request in sim.requests() {
        let failed = request.fault.as_deref() == Some("always fail");
        let bobs_search =
            request.account.as_deref() == Some("bob") && request.path.starts_with("/api/search/");
        assert_eq!(failed, bobs_search, "{request:?}");
        assert_eq!(request.status == 503, bobs_search);
    }
}

#[test]
fn the_key_never_follows_a_redirect_to_another_host() {
    let first = common::sim_with(&["alice"], 5);
    let second = common::sim_with(&["alice"], 5);
    let key = first.account("alice").api_key;
    let elsewhere = format!("{}/api/users/me", second.url());
    first.set_redirect("GET /api/users/me", elsewhere.clone());
    let rt = runtime();
    let error = rt.block_on(async {
        let c = client(&first, "alice", &fast(3)).await;
        c.me().await.unwrap_err()
    });
    assert_eq!((error.status(), error.attempts), (Some(307), 1));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "GET /api/users/me answered 307: redirected to {elsewhere}, another host"
        )),
        "{text}"
    );
    assert!(!text.contains(&key));
    assert_eq!(first.requests()[0].fault.as_deref(), Some("redirect"));
    assert!(
        second.requests().is_empty(),
        "the other host got nothing, so not the key"
    );

    // The second server does log keys it is sent, by name only.
    let c = rt.block_on(async {
        let c = client(&second, "alice", &fast(3)).await;
        c.me().await.unwrap();
        c
    });
    drop(c);
    let log = second.requests();
    assert_eq!(log[0].header("x-api-key"), Some("[redacted]"));
    assert!(!format!("{log:?}").contains(&second.account("alice").api_key));
}

#[test]
fn a_redirect_within_the_server_is_followed_with_the_key() {
    let sim = common::sim_with(&["alice"], 5);
    for endpoint in ["users/me", "server/version"] {
        sim.set_redirect(
            &format!("GET /old/api/{endpoint}"),
            format!("{}/api/{endpoint}", sim.url()),
        );
    }
    let me = runtime().block_on(async {
        let key = sim.account("alice").api_key;
        let c = connect(&format!("{}/old/api", sim.url()), &key, &fast(3)).await;
        c.me().await.unwrap()
    });
    assert_eq!(me.email, "alice@example.com");
    let log = sim.requests();
    let seen: Vec<(&str, u16, Option<&str>)> = log
        .iter()
        .map(|r| (r.path.as_str(), r.status, r.header("x-api-key")))
        .collect();
    assert_eq!(
        seen,
        [
            ("/old/api/server/version", 307, Some("[redacted]")),
            ("/api/server/version", 200, Some("[redacted]")),
            ("/old/api/users/me", 307, Some("[redacted]")),
            ("/api/users/me", 200, Some("[redacted]")),
        ]
    );
    assert_eq!(log[3].account.as_deref(), Some("alice"));
}
