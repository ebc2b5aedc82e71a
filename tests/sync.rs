//! `preview` and `sync` end to end: the binary, a profile in a temporary config directory, a job file,
//! and the simulator. Reports, idempotence, the lock against overlapping runs, exit codes, and input
//! errors that send nothing.

mod common;

use std::time::Duration;

use common::{Setup, stderr_of, stdout_of};
use immich_smart_albums::sim::{SimConfig, Simulator};

const JOB: &str = "
profile: family
jobs:
  kids:
    include:
      - any:
          - people: [Mia]
          - people: [Leo]
    exclude:
      - metadata: {type: VIDEO}
    album: Family kids
    safe:
      album: Family kids (safe)
      exclude:
        - smart: {query: nsfw, resultLimit: 20}
  rome:
    include:
      - metadata: {city: Rome}
    album: Rome
";

#[test]
fn preview_changes_nothing_sync_adds_and_a_second_sync_adds_nothing() {
    let setup = Setup::new(common::sim());
    setup.job("jobs.yaml", JOB);

    let output = setup.run(&["preview", "jobs.yaml"]);
    let stdout = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        stderr_of(&output)
    );
    assert!(
        stdout.contains("Job `kids` (preview: nothing was changed)"),
        "{stdout}"
    );
    assert!(stdout.contains("Job `rome`"), "{stdout}");
    assert!(stdout.contains("dropped as duplicates"), "{stdout}");
    assert!(setup.sim.changing_requests().is_empty());

    let output = setup.run(&["sync", "jobs.yaml"]);
    let stdout = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        stderr_of(&output)
    );
    assert!(stdout.contains("created by alice"), "{stdout}");
    assert_eq!(setup.sim.album_by_name("Family kids").len(), 1);
    assert_eq!(setup.sim.album_by_name("Family kids (safe)").len(), 1);
    assert!(
        !setup
            .sim
            .album_assets(&setup.sim.album_by_name("Rome")[0])
            .is_empty()
    );

    setup.sim.clear_requests();
    let output = setup.run(&["sync", "jobs.yaml", "--quiet"]);
    let stdout = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        stderr_of(&output)
    );
    assert!(
        setup.sim.changing_requests().is_empty(),
        "nothing left to add"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one line per job: {stdout}");
    assert!(
        lines[0].starts_with("kids: added 0 to \"Family kids\", 0 to \"Family kids (safe)\""),
        "{stdout}"
    );
}

#[test]
fn preview_as_json_and_with_links() {
    let setup = Setup::new(common::sim());
    setup.job("jobs.yaml", JOB);
    let output = setup.run(&[
        "preview",
        "jobs.yaml",
        "--job",
        "kids",
        "--format",
        "json",
        "--list",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let jobs = doc["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "--job picks one");
    let alice = &jobs[0]["accounts"][0];
    assert_eq!(alice["account"], "alice");
    let to_add = alice["album"]["to_add"].as_u64().unwrap();
    // What alice adds, from the simulator: her timeline photos of Mia or Leo that are not videos
    // (the first account adds every one of its own).
    let expected: std::collections::BTreeSet<String> = setup
        .sim
        .assets("alice")
        .into_iter()
        .filter(|a| {
            a.visibility == "timeline"
                && a.kind != "VIDEO"
                && a.people.iter().any(|p| p == "Mia" || p == "Leo")
        })
        .map(|a| format!("{}/photos/{}", setup.sim.url(), a.id))
        .collect();
    let links: std::collections::BTreeSet<String> = alice["album"]["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(links, expected);
    assert_eq!(to_add, expected.len() as u64);
    assert!(jobs[0]["safe"]["name"] == "Family kids (safe)");
}

#[test]
fn mistakes_exit_2_name_the_place_and_send_nothing() {
    let setup = Setup::new(common::sim());
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown-account.yaml",
            "profile: family\njobs:\n  k:\n    accounts: [alice, dave]\n    include: [{people: [Mia]}]\n    album: A\n",
            "account `dave`",
        ),
        (
            "unknown-profile.yaml",
            "profile: nobody\njobs:\n  k:\n    include: [{people: [Mia]}]\n    album: A\n",
            "nobody",
        ),
        (
            "unknown-field.yaml",
            "profile: family\njobs:\n  k:\n    include: [{people: [Mia]}]\n    album: A\n    albums: B\n",
            "line 6",
        ),
        (
            "owner.yaml",
            "profile: family\njobs:\n  k:\n    accounts: [bob]\n    include: [{people: [Mia]}]\n    album: A\n    album_owner: alice\n",
            "album_owner `alice`",
        ),
        (
            "no-limit.yaml",
            "profile: family\njobs:\n  k:\n    include: [{smart: {query: beach}}]\n    album: A\n",
            "resultLimit",
        ),
        (
            "empty.yaml",
            "profile: family\njobs:\n  k:\n    include: []\n    album: A\n",
            "`include` is empty",
        ),
    ];
    for (name, text, expected) in cases {
        setup.job(name, text);
        for command in ["preview", "sync"] {
            let output = setup.run(&[command, name]);
            let stderr = stderr_of(&output);
            assert_eq!(output.status.code(), Some(2), "{command} {name}: {stderr}");
            assert!(
                stderr.contains(expected),
                "{command} {name}: expected `{expected}` in {stderr}"
            );
        }
    }
    setup.job("jobs.yaml", JOB);
    let output = setup.run(&["preview", "jobs.yaml", "--job", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("the jobs are: kids, rome"),
        "{}",
        stderr_of(&output)
    );
    let output = setup
        .bin()
        .env_remove("TEST_KEY_BOB")
        .args(["sync", "jobs.yaml"])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("TEST_KEY_BOB"), "{stderr}");
    assert!(
        setup.sim.requests().is_empty(),
        "no request at all: {:?}",
        setup.sim.requests()
    );

    // A person no account knows is found out from the server, before anything changes.
    setup.job(
        "zoe.yaml",
        "profile: family\njobs:\n  k:\n    include: [{people: [Zoe]}]\n    album: A\n",
    );
    let output = setup.run(&["sync", "zoe.yaml"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(setup.sim.changing_requests().is_empty());
}

#[test]
fn one_bad_job_file_does_not_stop_the_others() {
    let setup = Setup::new(common::sim());
    setup.job("bad.yaml", "profile: family\njobs: {}\n");
    setup.job("good.yaml", JOB);
    let output = setup.run(&["sync", "bad.yaml", "good.yaml", "--quiet"]);
    assert_eq!(output.status.code(), Some(2), "the worst exit code wins");
    assert!(stderr_of(&output).contains("bad.yaml"));
    assert_eq!(
        setup.sim.album_by_name("Family kids").len(),
        1,
        "good.yaml ran"
    );
}

#[test]
fn an_account_that_fails_gives_exit_1_and_the_others_finish() {
    let setup = Setup::new(common::sim());
    setup.job("jobs.yaml", JOB);
    let output = setup
        .bin()
        .env("TEST_KEY_BOB", "revoked")
        .args(["sync", "jobs.yaml", "--job", "rome"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
    assert!(
        stdout_of(&output).contains("bob failed"),
        "{}",
        stdout_of(&output)
    );
    let rome = setup.sim.album_by_name("Rome");
    assert!(
        !setup.sim.album_assets(&rome[0]).is_empty(),
        "alice still added"
    );
}

#[test]
fn an_overlapping_sync_of_the_same_job_file_says_so_and_exits_0() {
    let sim = Simulator::start(SimConfig {
        seed: 7,
        assets_per_account: 300,
        latency: Duration::from_millis(150),
        ..SimConfig::default()
    })
    .unwrap();
    let setup = Setup::new(sim);
    let path = setup.job("jobs.yaml", JOB);
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_immich-smart-albums"));
    first
        .env("IMMICH_SMART_ALBUMS_CONFIG_DIR", setup.dir.path())
        .env("IMMICH_SMART_ALBUMS_STATE_DIR", setup.state_dir())
        .env("TEST_KEY_ALICE", setup.sim.account("alice").api_key)
        .env("TEST_KEY_BOB", setup.sim.account("bob").api_key)
        .args(["sync", "--quiet"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut first = first.spawn().unwrap();
    // Wait until the first run is talking to the server, so it holds the lock.
    while setup.sim.requests().is_empty() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = setup.run(&["sync", path.to_str().unwrap()]);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("another sync of this job file is running"),
        "{stderr}"
    );
    assert_eq!(first.wait().unwrap().code(), Some(0));
}
