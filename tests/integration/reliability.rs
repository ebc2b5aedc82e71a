//! Reliability end to end: a chaos run of a two-account job with a safe album under injected faults
//! (the safe album never takes a flagged photo, no file goes in twice, nothing is removed, and once the
//! faults stop one more run converges), an account whose server is down, SIGTERM in the middle of a
//! sync, and SIGTERM or Ctrl-C while a key command runs.

use crate::common;

use crate::common::on_both_lines;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use immich_smart_albums::filter::{SearchFilter, run_search};
use immich_smart_albums::immich::{ClientOptions, SearchKind};
use immich_smart_albums::job::JobFile;
use immich_smart_albums::job::{Mode, RunOptions, run_job_with};
use immich_smart_albums::sim::{FaultPlan, FaultRule, SimConfig, Simulator};
use immich_smart_albums::state::Store;
use serde_json::json;

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
    album: Kids
    safe:
      album: Kids (safe)
      exclude:
        - smart: {query: nsfw, resultLimit: 15}
";

/// One sync with the record of the runs before it, as cron keeps it: the album the tool made is
/// shared with bob by a later run when the run that made it could not.
fn sync(sim: &Simulator, options: &ClientOptions, store: &Store) -> anyhow::Result<bool> {
    let file = JobFile::parse(Path::new("jobs.yaml"), JOB)?;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let slots = common::slots(sim, &["alice", "bob"], &HashMap::new(), options).await;
        let options = RunOptions::default();
        let report =
            run_job_with(&file.jobs[0], &slots, "alice", Mode::Sync, options, store).await?;
        Ok(report.failed())
    })
}

fn contents(sim: &Simulator, name: &str) -> BTreeSet<String> {
    match sim.album_by_name(name).as_slice() {
        [] => BTreeSet::new(),
        [id] => sim.album_assets(id).into_iter().collect(),
        more => panic!("{} albums named {name}", more.len()),
    }
}

/// Checksums the safe exclusion finds in any account, without faults.
fn flagged(sim: &Simulator) -> HashSet<String> {
    let filter = SearchFilter::from_value(
        SearchKind::Smart,
        "nsfw".into(),
        json!({"query": "nsfw", "resultLimit": 15}),
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut found = HashSet::new();
        for slot in common::slots(
            sim,
            &["alice", "bob"],
            &HashMap::new(),
            &common::quick_retries(1),
        )
        .await
        {
            let client = slot.account.unwrap().client;
            for hit in run_search(&client, &filter, None)
                .await
                .unwrap()
                .into_values()
            {
                found.insert(hit.checksum.to_string());
            }
        }
        found
    })
}

fn sim(seed: u64) -> Simulator {
    Simulator::start(SimConfig {
        seed,
        assets_per_account: 250,
        immich: common::line(),
        ..SimConfig::default()
    })
    .unwrap()
}

#[test]
fn chaos_runs_keep_the_invariants_and_converge_once_the_faults_stop() {
    on_both_lines(|| {
        let mut all_failed_runs = 0;
        for seed in 1..=8u64 {
            let sim = sim(seed);
            let flagged = flagged(&sim);
            let checksum: HashMap<String, String> = ["alice", "bob"]
                .iter()
                .flat_map(|a| sim.assets(a))
                .map(|a| (a.id, a.checksum))
                .collect();
            // The photos each album should end with, from a fault-free twin of the same library. Which
            // account's copy of a shared file goes in may differ (whoever succeeded first adds it), so the
            // albums are compared by file.
            let files = |ids: BTreeSet<String>| -> BTreeSet<String> {
                ids.iter().map(|id| checksum[id].clone()).collect()
            };
            let twin = self::sim(seed);
            assert!(!sync(&twin, &common::quick_retries(5), &Store::memory()).unwrap());
            let (want_main, want_safe) = (
                files(contents(&twin, "Kids")),
                files(contents(&twin, "Kids (safe)")),
            );
            assert!(!want_safe.is_empty() && want_safe.len() < want_main.len());

            sim.set_faults(FaultPlan {
                seed,
                rules: vec![FaultRule {
                    after_handler: 0.5,
                    ..FaultRule::uniform("*", 0.2)
                }],
                always_fail: Vec::new(),
            });
            let (mut main, mut safe) = (BTreeSet::new(), BTreeSet::new());
            let store = Store::memory();
            let mut failed_runs = 0;
            for _ in 0..3 {
                // Two attempts per call: under a 20% fault rate some runs fail part-way, as they would.
                match sync(&sim, &common::quick_retries(2), &store) {
                    Ok(false) => {}
                    Ok(true) | Err(_) => failed_runs += 1,
                }
                let (now_main, now_safe) = (contents(&sim, "Kids"), contents(&sim, "Kids (safe)"));
                assert!(
                    main.is_subset(&now_main) && safe.is_subset(&now_safe),
                    "seed {seed}: nothing is removed"
                );
                for album in [&now_main, &now_safe] {
                    let files: HashSet<&String> = album.iter().map(|id| &checksum[id]).collect();
                    assert_eq!(
                        files.len(),
                        album.len(),
                        "seed {seed}: a file went in twice"
                    );
                }
                for id in &now_safe {
                    assert!(
                        !flagged.contains(&checksum[id]),
                        "seed {seed}: a flagged photo reached the safe album"
                    );
                }
                (main, safe) = (now_main, now_safe);
            }
            assert!(
                sim.requests().iter().any(|r| r.fault.is_some()),
                "seed {seed}: faults were injected"
            );

            sim.clear_faults();
            assert!(
                !sync(&sim, &common::quick_retries(5), &store).unwrap(),
                "seed {seed}: the run after the faults succeeds"
            );
            assert_eq!(
                files(contents(&sim, "Kids")),
                want_main,
                "seed {seed} (failed runs: {failed_runs})"
            );
            assert_eq!(
                files(contents(&sim, "Kids (safe)")),
                want_safe,
                "seed {seed}"
            );
            let removals = sim
                .requests()
                .iter()
                .filter(|r| r.method == "DELETE")
                .count();
            assert_eq!(removals, 0);
            all_failed_runs += failed_runs;
        }
        assert!(
            all_failed_runs > 0,
            "the fault rate made some runs fail, so failing closed was exercised"
        );
    });
}

#[test]
fn an_account_whose_server_is_down_fails_alone() {
    on_both_lines(|| {
        let sim = common::sim();
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        drop(listener);
        std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
        std::fs::write(
            dir.path().join("profiles/family.yaml"),
            format!("accounts:\n  alice:\n    server: {}\n    api_key_env: K_ALICE\n  bob:\n    server: {dead}/api\n    api_key_env: K_BOB\n", sim.url()),
        )
        .unwrap();
        // Two servers (the dead one is another port): the job copies across them, so bob's server
        // being down fails bob alone.
        std::fs::write(dir.path().join("jobs.yaml"), "profile: family\njobs:\n  rome:\n    include: [{metadata: {city: Rome}}]\n    album: Rome\n    across_servers: copy\n").unwrap();
        let output = common::bin()
            .env("IMMICH_SMART_ALBUMS_CONFIG_DIR", dir.path())
            .env("K_ALICE", sim.account("alice").api_key)
            .env("K_BOB", "bobs-key")
            .env("IMMICH_SMART_ALBUMS_ATTEMPTS", "2")
            .args(["sync", "--connect-timeout", "2"])
            .arg(dir.path().join("jobs.yaml"))
            .output()
            .unwrap();
        let stdout = common::stdout_if(&output, 1);
        assert!(
            stdout.contains("bob failed") && stdout.contains("could not reach the server"),
            "{stdout}"
        );
        assert!(!contents(&sim, "Rome").is_empty(), "alice finished");
    });
}

/// `attempts` from the environment beats the profile's, and each is the number of requests the
/// server sees for a call that keeps failing.
#[test]
fn the_attempts_setting_is_how_many_requests_a_failing_call_sends() {
    on_both_lines(|| {
        let sim = common::sim();
        sim.fail_always("alice", "/api/search/metadata");
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
        std::fs::write(
            dir.path().join("profiles/family.yaml"),
            format!(
                "attempts: 1\naccounts:\n  alice:\n    server: {}\n    api_key_env: K_ALICE\n",
                sim.url()
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("jobs.yaml"),
            "profile: family\njobs:\n  rome:\n    include: [{metadata: {city: Rome}}]\n    album: Rome\n",
        )
        .unwrap();
        let searches_with = |attempts: Option<&str>| {
            sim.clear_requests();
            let mut command = common::bin();
            command
                .env("IMMICH_SMART_ALBUMS_CONFIG_DIR", dir.path())
                .env("K_ALICE", sim.account("alice").api_key);
            if let Some(attempts) = attempts {
                command.env("IMMICH_SMART_ALBUMS_ATTEMPTS", attempts);
            }
            let output = command
                .arg("preview")
                .arg(dir.path().join("jobs.yaml"))
                .output()
                .unwrap();
            assert_eq!(
                output.status.code(),
                Some(1),
                "{}",
                common::stderr_of(&output)
            );
            sim.requests()
                .iter()
                .filter(|r| r.path == "/api/search/metadata")
                .count()
        };
        assert_eq!(searches_with(None), 1, "the profile's attempts: 1");
        assert_eq!(searches_with(Some("3")), 3, "the environment's");
    });
}

#[cfg(unix)]
#[test]
fn sigterm_in_the_middle_of_a_sync_stops_cleanly_and_the_next_run_completes() {
    on_both_lines(|| {
        let sim = Simulator::start(SimConfig {
            seed: 3,
            assets_per_account: 300,
            latency: Duration::from_millis(120),
            immich: common::line(),
            ..SimConfig::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
        std::fs::write(
            dir.path().join("profiles/family.yaml"),
            format!("accounts:\n  alice:\n    server: {url}\n    api_key_env: K_ALICE\n  bob:\n    server: {url}\n    api_key_env: K_BOB\n", url = sim.url()),
        )
        .unwrap();
        let job = dir.path().join("jobs.yaml");
        std::fs::write(&job, JOB).unwrap();
        let command = || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_immich-smart-albums"));
            cmd.env("IMMICH_SMART_ALBUMS_CONFIG_DIR", dir.path())
                .env("IMMICH_SMART_ALBUMS_STATE_DIR", dir.path().join("state"))
                .env("K_ALICE", sim.account("alice").api_key)
                .env("K_BOB", sim.account("bob").api_key)
                .arg("sync")
                .arg(&job);
            cmd
        };
        let child = command()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until it has started changing things: the album exists.
        while sim.changing_requests().is_empty() {
            std::thread::sleep(Duration::from_millis(10));
        }
        let output = common::signal_and_wait(child, "-TERM");
        let stderr = common::stderr_of(&output);
        assert_eq!(output.status.code(), Some(143), "{stderr}");
        assert!(
            stderr.contains("interrupted by SIGTERM: stopped cleanly"),
            "{stderr}"
        );

        // The lock was released and the next run completes the work; the one after has nothing to do.
        let output = command().output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            common::stderr_of(&output)
        );
        assert!(!common::stderr_of(&output).contains("another sync"));
        let output = command().arg("--quiet").output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        assert!(
            common::stdout_of(&output)
                .starts_with("kids: added 0 to \"Kids\", 0 to \"Kids (safe)\""),
            "{}",
            common::stdout_of(&output)
        );
    });
}

/// SIGTERM (143) or SIGINT (130) while an `api_key_command` runs: the interrupt ends the run at once,
/// with its own exit code (not 2 for a missing key), and the key command is stopped with it.
#[cfg(target_os = "linux")]
#[test]
fn an_interrupt_during_a_slow_key_command_ends_with_its_own_exit_code() {
    on_both_lines(|| {
        let sim = common::sim();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
        let started = dir.path().join("started");
        std::fs::write(
            dir.path().join("profiles/family.yaml"),
            format!(
                "accounts:\n  alice:\n    server: {}\n    api_key_command: \"echo $$ > '{}'; sleep 5; echo key\"\n",
                sim.url(),
                started.display()
            ),
        )
        .unwrap();
        let job = dir.path().join("jobs.yaml");
        std::fs::write(
            &job,
            "profile: family\njobs:\n  rome:\n    include: [{metadata: {city: Rome}}]\n    album: Rome\n",
        )
        .unwrap();
        for (signal, code, name) in [("-TERM", 143, "SIGTERM"), ("-INT", 130, "Ctrl-C")] {
            let _ = std::fs::remove_file(&started);
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_immich-smart-albums"))
                .env("IMMICH_SMART_ALBUMS_CONFIG_DIR", dir.path())
                .env("IMMICH_SMART_ALBUMS_STATE_DIR", dir.path().join("state"))
                .args(["sync"])
                .arg(&job)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            // Wait until the key command runs (it writes its shell's pid).
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            let shell = loop {
                let text = std::fs::read_to_string(&started).unwrap_or_default();
                if let Ok(pid) = text.trim().parse::<u32>() {
                    break pid;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the key command never ran"
                );
                std::thread::sleep(Duration::from_millis(10));
            };
            let interrupted = std::time::Instant::now();
            let output = common::signal_and_wait(child, signal);
            let stderr = common::stderr_of(&output);
            assert_eq!(output.status.code(), Some(code), "{name}: {stderr}");
            assert!(
                interrupted.elapsed() < Duration::from_secs(3),
                "{name}: took {:?}, as long as the key command",
                interrupted.elapsed()
            );
            assert!(
                stderr.contains(&format!("interrupted by {name}: stopped cleanly")),
                "{stderr}"
            );
            // The key command's shell was stopped with the run (gone, or a zombie waiting for init).
            // Its group's kill is delivered as the run ends: on a busy machine the kernel may show
            // it a moment later, so its state is read until it shows, for at most a few seconds.
            let state_of = || {
                let stat =
                    std::fs::read_to_string(format!("/proc/{shell}/stat")).unwrap_or_default();
                stat.rsplit(") ").next().unwrap_or("").chars().next()
            };
            let stopped = |state: Option<char>| matches!(state, None | Some('Z') | Some('X'));
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !stopped(state_of()) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let state = state_of();
            assert!(
                stopped(state),
                "{name}: the key command's shell {shell} still runs ({state:?})"
            );
        }
        assert!(sim.requests().is_empty());
    });
}
