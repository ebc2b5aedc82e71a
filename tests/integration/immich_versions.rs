//! Which Immich: the version each account's server reports is read once, shown, and decides the API
//! shapes; a server older than 2.5 is refused with its version and the minimum, a newer one gets one
//! warning and runs; 2.x's short smart search is taken as what it is.

use crate::common;

use std::collections::BTreeSet;

use crate::common::{Setup, bin_for, on_both_lines, stderr_of, stdout_of};
use immich_smart_albums::sim::{ImmichLine, SimAsset, SimConfig, Simulator};

const JOB: &str = "\
profile: family
jobs:
  dogs:
    include:
      - smart: {query: dog, resultLimit: 20}
    album: Dogs
";

#[test]
fn preview_and_profiles_test_show_each_accounts_immich_version() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        setup.job("jobs.yaml", JOB);
        let version = common::line().to_string();
        let output = setup.run(&["preview", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
        assert!(
            stdout.contains(&format!(
                "accounts: alice (Immich {version}), bob (Immich {version})"
            )),
            "{stdout}"
        );
        let output = setup.run(&["preview", "jobs.yaml", "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["jobs"][0]["accounts"][1]["immich_version"], version);

        let output = setup.run(&["profiles", "test", "family"]);
        let stdout = common::stdout_if(&output, 0);
        assert_eq!(
            stdout
                .matches(&format!("reachable: yes, Immich {version}"))
                .count(),
            2,
            "{stdout}"
        );

        let output = bin_for(&setup.sim, "alice")
            .args(["--verbose", "--include-smart-union", "dog@5"])
            .output()
            .unwrap();
        assert!(
            stderr_of(&output).contains(&format!("runs Immich {version}")),
            "{}",
            stderr_of(&output)
        );
    });
}

#[test]
fn a_server_older_than_2_5_is_refused_with_its_version_and_the_minimum() {
    let setup = Setup::new(common::sim());
    setup.sim.report_version(2, 4, 1);
    setup.job("jobs.yaml", JOB);
    let output = setup.run(&["sync", "jobs.yaml"]);
    let text = format!("{}{}", stdout_of(&output), stderr_of(&output));
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Immich 2.4.1") && text.contains("Immich 2.5.0 and later"),
        "{text}"
    );
    assert!(setup.sim.changing_requests().is_empty(), "nothing changed");
    assert!(
        setup
            .sim
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/api/search")),
        "nothing searched"
    );

    let output = bin_for(&setup.sim, "alice")
        .args(["--include-smart-union", "dog"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr_of(&output).contains("Immich 2.4.1"));
}

#[test]
fn a_server_newer_than_known_gets_one_warning_and_runs() {
    let setup = Setup::new(common::sim());
    setup.sim.report_version(3, 2, 0);
    setup.job("jobs.yaml", JOB);
    let output = setup.run(&["sync", "jobs.yaml"]);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("runs Immich 3.2.0, newer than 3.1").count(),
        1,
        "one line for the server, not one per account: {stderr}"
    );
    let album = setup.sim.album_by_name("Dogs");
    let held = setup.sim.album_assets(&album[0]).len();
    assert!(
        (20..=40).contains(&held),
        "{held}: the best 20 of each account"
    );
}

/// The files (checksums) of the best `n` timeline photos for `word` (a job searches the timeline),
/// as the simulator's toy CLIP ranks them.
fn smart_top(assets: Vec<SimAsset>, word: &str, n: usize) -> Vec<String> {
    let mut all: Vec<SimAsset> = assets
        .into_iter()
        .filter(|a| a.visibility == "timeline")
        .collect();
    all.sort_by_key(|a| (!a.words.iter().any(|w| w == word), a.id.clone()));
    all.into_iter().take(n).map(|a| a.checksum).collect()
}

#[test]
fn a_smart_search_that_ends_short_on_2_5_adds_what_came_back() {
    let sim = Simulator::start(SimConfig {
        seed: 7,
        accounts: vec!["alice".into(), "bob".into()],
        assets_per_account: 300,
        immich: ImmichLine::V2_5,
        ..SimConfig::default()
    })
    .unwrap();
    // The tool asks 2.x for pages of 100 (pages of 20 to 50 came back short on 2.5.6); a larger
    // index may stop short of that too: here 85 short, 15 of the 20 the job asks for.
    sim.cut_smart_results(85);
    let setup = Setup::new(sim);
    setup.job("jobs.yaml", JOB);
    let output = setup.run(&["sync", "jobs.yaml"]);
    common::stdout_if(&output, 0);
    // Each account's search came back with 15; a photo both accounts hold goes in once, so compare
    // by file.
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for account in ["alice", "bob"] {
        expected.extend(smart_top(setup.sim.assets(account), "dog", 15));
    }
    assert_eq!(
        common::album_files(&setup.sim, "Dogs", &["alice", "bob"]),
        expected
    );
}

/// The body of a recorded 2.5.6 answer.
fn sample_2_5(name: &str) -> serde_json::Value {
    let path = common::repo(&format!("tests/fixtures/immich-samples-2.5.6/{name}"));
    let sample: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    sample["body"].clone()
}

fn keys(value: &serde_json::Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The simulator's 2.5 answers have the fields of the real 2.5.6 ones, where the tool reads them.
#[test]
fn the_simulators_2_5_answers_have_the_recorded_shapes() {
    use immich_smart_albums::immich::{Client, ClientOptions, ServerUrl};
    use immich_smart_albums::secret::ApiKey;
    use reqwest::Method;
    use serde_json::{Value, json};

    let sim = Simulator::start(SimConfig {
        immich: ImmichLine::V2_5,
        ..SimConfig::default()
    })
    .unwrap();
    let bob = sim.account("bob").user_id;
    let photo = sim.assets("alice")[0].id.clone();
    common::runtime().block_on(async {
        let server = ServerUrl::parse(&sim.url()).unwrap();
        let key = ApiKey::new(sim.account("alice").api_key).unwrap();
        let alice = Client::connect(&server, key, &ClientOptions::default())
            .await
            .unwrap();
        let call = |method: Method, path: String, body: Option<Value>| {
            let alice = &alice;
            async move {
                alice
                    .call::<Value, Value>(method, &path, &[], body.as_ref())
                    .await
            }
        };
        let created = call(
            Method::POST,
            "albums".into(),
            Some(json!({"albumName": "x", "albumUsers": [{"userId": bob, "role": "editor"}]})),
        )
        .await
        .unwrap();
        let recorded = sample_2_5("album-create.json");
        assert_eq!(keys(&created), keys(&recorded));
        assert_eq!(
            created["albumUsers"].as_array().unwrap().len(),
            1,
            "bob only"
        );
        assert_eq!(keys(&created["owner"]), keys(&recorded["owner"]));
        let id = created["id"].as_str().unwrap().to_string();

        call(
            Method::PUT,
            format!("albums/{id}/assets"),
            Some(json!({"ids": [photo]})),
        )
        .await
        .unwrap();
        let with = call(Method::GET, format!("albums/{id}"), None)
            .await
            .unwrap();
        assert_eq!(keys(&with), keys(&sample_2_5("album-get-with-assets.json")));
        assert_eq!(with["assets"].as_array().unwrap().len(), 1);
        let album = alice.album(&id).await.unwrap();
        assert_eq!(album.owner().unwrap().name, "Alice");
        assert_eq!(
            album.role_of(&sim.account("alice").user_id),
            Some(immich_smart_albums::immich::AlbumRole::Owner)
        );

        let again = call(
            Method::PUT,
            format!("albums/{id}/users"),
            Some(json!({"albumUsers": [{"userId": bob, "role": "viewer"}]})),
        )
        .await
        .unwrap_err();
        assert_eq!(again.status(), Some(400));
        assert_eq!(again.server_message(), Some("User already added"));

        let listed = call(Method::GET, "albums?name=nothing-like-it".into(), None)
            .await
            .unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1, "2.x ignores `name`");
    });
    // Only the client's own album read asked for the assets to be left out.
    let album_reads: Vec<Option<String>> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/albums/"))
        .map(|r| r.query)
        .collect();
    assert_eq!(
        album_reads.last().unwrap().as_deref(),
        Some("withoutAssets=true")
    );
    assert_eq!(
        keys(&sample_2_5("server-version.json")),
        keys(&json_of(&sim, "/api/server/version"))
    );
}

fn json_of(sim: &Simulator, path: &str) -> serde_json::Value {
    common::runtime().block_on(async {
        reqwest::get(format!("{}{path}", sim.url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}
