//! `preview` and `sync` end to end: the binary, a profile in a temporary config directory, a job file,
//! and the simulator. Reports, idempotence, the lock against overlapping runs, exit codes, and input
//! errors that send nothing.

use crate::common;

use std::time::Duration;

use crate::common::{Setup, on_both_lines, stderr_of, stdout_of};
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
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        setup.job("jobs.yaml", JOB);

        let output = setup.run(&["preview", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
        assert!(
            stdout.contains("Job `kids` (preview: nothing was changed)"),
            "{stdout}"
        );
        assert!(stdout.contains("Job `rome`"), "{stdout}");
        assert!(stdout.contains("dropped as duplicates"), "{stdout}");
        assert!(setup.sim.changing_requests().is_empty());

        let output = setup.run(&["sync", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
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
        let stdout = common::stdout_if(&output, 0);
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
    });
}

#[test]
fn preview_as_json_and_with_links() {
    on_both_lines(|| {
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
    });
}

#[test]
fn mistakes_exit_2_name_the_place_and_send_nothing() {
    on_both_lines(|| {
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
    });
}

#[test]
fn one_bad_job_file_does_not_stop_the_others() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        setup.job("bad.yaml", "profile: family\njobs: {}\n");
        setup.job("good.yaml", JOB);
        let output = setup.run(&["sync", "bad.yaml", "good.yaml", "--quiet"]);
        // 2 would say that nothing was changed; good.yaml changed things, so the mistake is a 1.
        assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
        assert!(stderr_of(&output).contains("bad.yaml"));
        assert_eq!(
            setup.sim.album_by_name("Family kids").len(),
            1,
            "good.yaml ran"
        );
    });
}

/// Three jobs; the middle one names an album that two albums are called. The others run and report,
/// the middle one's error is printed in its place, and the exit code says that things were changed.
const THREE_JOBS: &str = "
profile: family
jobs:
  rome:
    include:
      - metadata: {city: Rome}
    album: Rome
  shared:
    include:
      - people: [Mia]
    album: Shared
  paris:
    include:
      - metadata: {city: Paris}
    album: Paris
";

#[test]
fn a_job_that_fails_on_input_does_not_hide_or_stop_the_others() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let first = setup.sim.create_album("alice", "Shared", &[]);
        let second = setup.sim.create_album("alice", "Shared", &[]);
        setup.job("jobs.yaml", THREE_JOBS);

        // Preview: every job's report or error, exit 2 (nothing changed anywhere).
        let output = setup.run(&["preview", "jobs.yaml"]);
        let (stdout, stderr) = (stdout_of(&output), stderr_of(&output));
        assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
        assert!(setup.sim.changing_requests().is_empty());
        let rome = stdout.find("Job `rome`").expect(&stdout);
        let shared = stdout.find("Job `shared` failed").expect(&stdout);
        let paris = stdout.find("Job `paris`").expect(&stdout);
        assert!(rome < shared && shared < paris, "{stdout}");
        assert!(
            stderr.contains("job `shared`") && stderr.contains("2 albums are named `Shared`"),
            "{stderr}"
        );

        // Sync: the first and the last job fill their albums; the exit code is 1, not 2.
        let output = setup.run(&["sync", "jobs.yaml"]);
        let (stdout, stderr) = (stdout_of(&output), stderr_of(&output));
        assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
        for (album, city) in [("Rome", "Rome"), ("Paris", "Paris")] {
            let ids = setup.sim.album_by_name(album);
            assert_eq!(ids.len(), 1, "{album} was created");
            let assets: Vec<_> = ["alice", "bob"]
                .iter()
                .flat_map(|a| setup.sim.assets(a))
                .collect();
            let held: std::collections::BTreeSet<String> = setup
                .sim
                .album_assets(&ids[0])
                .iter()
                .map(|id| assets.iter().find(|a| &a.id == id).unwrap())
                .inspect(|a| assert_eq!(a.city, city))
                .map(|a| a.checksum.clone())
                .collect();
            let want: std::collections::BTreeSet<String> = assets
                .iter()
                .filter(|a| a.city == city && a.visibility == "timeline")
                .map(|a| a.checksum.clone())
                .collect();
            assert_eq!(held, want, "{album}: one copy of every file");
            assert!(
                stdout.contains(&format!("Job `{}` (sync)", city.to_lowercase())),
                "{stdout}"
            );
        }
        assert!(setup.sim.album_assets(&first).is_empty());
        assert!(setup.sim.album_assets(&second).is_empty());
        assert!(stdout.contains("Job `shared` failed"), "{stdout}");
        assert!(stderr.contains("2 albums are named `Shared`"), "{stderr}");

        // --quiet: a line per job, the failed one included; JSON: the failed job with its error.
        let output = setup.run(&["sync", "jobs.yaml", "--quiet"]);
        let stdout = stdout_of(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "nothing left to change: {stdout}"
        );
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{stdout}");
        assert!(lines[0].starts_with("rome: added 0"), "{stdout}");
        assert!(lines[1].starts_with("shared: failed"), "{stdout}");
        assert!(lines[2].starts_with("paris: added 0"), "{stdout}");
        let output = setup.run(&["preview", "jobs.yaml", "--format", "json"]);
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(document["jobs"].as_array().unwrap().len(), 2, "{document}");
        assert_eq!(document["failed_jobs"][0]["job"], "shared", "{document}");
        assert!(
            document["failed_jobs"][0]["error"]
                .as_str()
                .unwrap()
                .contains("2 albums are named `Shared`")
        );
    });
}

#[test]
fn an_account_that_fails_gives_exit_1_and_the_others_finish() {
    on_both_lines(|| {
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
    });
}

#[test]
fn an_overlapping_sync_of_the_same_job_file_says_so_and_exits_0() {
    on_both_lines(|| {
        let sim = Simulator::start(SimConfig {
            seed: 7,
            assets_per_account: 300,
            latency: Duration::from_millis(150),
            immich: common::line(),
            ..SimConfig::default()
        })
        .unwrap();
        let setup = Setup::new(sim);
        let path = setup.job("jobs.yaml", JOB);
        let mut first = setup.process();
        first
            .args(["sync", "--quiet"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut first = first.spawn().unwrap();
        // Wait until the first run is talking to the server, so it holds the lock.
        while setup.sim.requests().is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The same file under another spelling, relative to another working directory, from a
        // process with another temporary directory (a systemd unit with PrivateTmp, a second
        // container): one lock, beside the record.
        std::fs::create_dir_all(setup.dir.path().join("sub")).unwrap();
        let private_tmp = tempfile::tempdir().unwrap();
        let output = setup
            .bin()
            .env("TMPDIR", private_tmp.path())
            .args(["sync", "sub/../jobs.yaml"])
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("another sync of this job file is running")
                && stderr.contains(&format!("(pid {}, started ", first.id())),
            "{stderr}"
        );
        assert_eq!(first.wait().unwrap().code(), Some(0));
    });
}

/// A sync whose job file's lock is held: by a sync at work (skip, exit 0, name it), by one that has
/// held it too long or whose process is gone (exit 1, name it, change nothing).
#[test]
fn a_held_lock_names_its_holder_and_a_stuck_one_is_an_error() {
    on_both_lines(|| {
        use std::io::Write;
        let setup = Setup::new(common::sim());
        let job = setup.job("jobs.yaml", JOB);
        // The lock lives in the state directory, beside the record.
        std::fs::create_dir_all(setup.state_dir()).unwrap();
        let lock = immich_smart_albums::cmd::lock::lock_path_in(&setup.state_dir(), &job);
        let mut file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .unwrap();
        file.try_lock().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let me = std::process::id();
        // Where a pid means something: this host, its boot, this pid namespace (read here by hand).
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .map(|t| t.trim().to_string())
                .unwrap_or_default()
        };
        let here = format!(
            "{} {} {}",
            read("/proc/sys/kernel/hostname"),
            read("/proc/sys/kernel/random/boot_id"),
            std::fs::read_link("/proc/self/ns/pid")
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        let mut hold_at = |pid: u32, started: u64, place: &str| {
            file.set_len(0).unwrap();
            use std::io::Seek;
            file.rewind().unwrap();
            write!(file, "pid {pid}\nstarted {started}\nplace {place}\n").unwrap();
        };
        let sync = || setup.bin().args(["sync", "jobs.yaml"]).output().unwrap();
        let mut hold = |pid: u32, started: u64| hold_at(pid, started, &here);

        // A sync at work, started a minute ago: skipped.
        hold(me, now - 60);
        let output = sync();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("another sync of this job file is running")
                && stderr.contains(&format!("pid {me}, started ")),
            "{stderr}"
        );

        // The same, seven hours on: longer than a sync should take (6 h by default).
        hold(me, now - 7 * 3600);
        let output = sync();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("(pid {me}) has held its lock since"))
                && stderr.contains("for 7 h")
                && stderr.contains("stale_lock_after"),
            "{stderr}"
        );
        // ... and the limit is a setting.
        hold(me, now - 60);
        let output = setup
            .bin()
            .env("IMMICH_SMART_ALBUMS_STALE_LOCK_AFTER", "30")
            .args(["sync", "jobs.yaml"])
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("for 1 min"), "{stderr}");

        // A holder whose process is gone (a pid above any pid_max).
        #[cfg(target_os = "linux")]
        {
            hold(99_999_999, now - 60);
            let output = sync();
            let stderr = stderr_of(&output);
            assert_eq!(output.status.code(), Some(1), "{stderr}");
            assert!(
                stderr.contains("pid 99999999") && stderr.contains("no process 99999999 runs here"),
                "{stderr}"
            );
        }
        // A holder in another container or on another host (the same state directory mounted
        // there): its pid means nothing here, so it is a sync at work until it is too old.
        let mut hold = |pid: u32, started: u64| hold_at(pid, started, "nas 0000-boot pid:[1]");
        hold(99_999_999, now - 60);
        let output = sync();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains("another sync of this job file is running (pid 99999999 on nas"),
            "{stderr}"
        );
        hold(99_999_999, now - 7 * 3600);
        let output = sync();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("(pid 99999999 on nas) has held its lock")
                && stderr.contains("for 7 h"),
            "{stderr}"
        );
        assert!(setup.sim.changing_requests().is_empty());

        // Released: the next sync runs and adds.
        drop(file);
        let output = sync();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert_eq!(setup.sim.album_by_name("Rome").len(), 1);
        let text = std::fs::read_to_string(&lock).unwrap();
        assert!(
            text.starts_with("pid "),
            "the last sync wrote its pid: {text}"
        );
    });
}

/// An `api_key_command` that hangs is stopped at its timeout: the sync ends with an input error naming
/// it, soon, and releases the lock, so the next run is not skipped.
#[test]
fn a_hanging_key_command_times_out_and_releases_the_lock() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        std::fs::write(
            setup.dir.path().join("profiles/family.yaml"),
            format!(
                "key_command_timeout: 1\naccounts:\n  alice:\n    server: {}\n    api_key_command: \"sleep 5; echo key\"\n",
                setup.sim.url()
            ),
        )
        .unwrap();
        setup.job("jobs.yaml", "profile: family\njobs:\n  rome:\n    include: [{metadata: {city: Rome}}]\n    album: Rome\n");
        for _ in 0..2 {
            let started = std::time::Instant::now();
            let output = setup.run(&["sync", "jobs.yaml"]);
            let stderr = stderr_of(&output);
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "{:?}",
                started.elapsed()
            );
            assert_eq!(output.status.code(), Some(2), "{stderr}");
            assert!(
                stderr.contains("account alice")
                    && stderr.contains("did not finish within 1 s")
                    && !stderr.contains("another sync"),
                "{stderr}"
            );
        }
        assert!(setup.sim.requests().is_empty());
    });
}

/// `people_any` and `taken_within`: photos of Mia or Leo from the last three years, against the
/// simulator's own records; any-of is one search per person and account.
#[test]
fn people_any_and_a_rolling_window_select_what_the_simulator_holds() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        setup.job(
            "jobs.yaml",
            "profile: family\njobs:\n  recent:\n    include:\n      - people_any: [Mia, Leo]\n      - taken_within: 3y\n    album: Recent kids\n",
        );
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
        // The window as the tool resolved it, shown in the report.
        let after = stdout
            .split("taken within 3y (after ")
            .nth(1)
            .and_then(|rest| rest.get(..24))
            .unwrap_or_else(|| panic!("{stdout}"))
            .to_string();
        let expected: std::collections::BTreeSet<String> = ["alice", "bob"]
            .iter()
            .flat_map(|a| setup.sim.assets(a))
            .filter(|a| {
                a.visibility == "timeline"
                    && a.taken > after
                    && a.people.iter().any(|p| p == "Mia" || p == "Leo")
            })
            .map(|a| a.checksum)
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(
            common::album_files(&setup.sim, "Recent kids", &["alice", "bob"]),
            expected
        );
        let person_searches = setup
            .sim
            .requests()
            .iter()
            .filter(|r| {
                r.body
                    .as_ref()
                    .and_then(|b| b.get("personIds"))
                    .and_then(|p| p.as_array())
                    .is_some_and(|ids| ids.len() == 1)
            })
            .count();
        assert_eq!(person_searches, 4, "one search per person and account");
    });
}

/// Tags by name: values resolved per account, every listed tag required, a parent tag covering its
/// children, exclusions by tag, a tag one account lacks noted there, and an unknown tag an error.
#[test]
fn tags_by_name_select_and_exclude_what_carries_them() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let timeline = |account: &str| -> Vec<immich_smart_albums::sim::SimAsset> {
            sim.assets(account)
                .into_iter()
                .filter(|a| a.visibility == "timeline")
                .collect()
        };
        let (alice, bob) = (timeline("alice"), timeline("bob"));
        // alice: 0..6 in Holiday/2023, 3..9 Family, 4 Private; bob: 0..4 in Holiday/2023 only.
        for a in &alice[0..6] {
            sim.tag(&a.id, "Holiday/2023");
        }
        for a in &alice[3..9] {
            sim.tag(&a.id, "Family");
        }
        sim.tag(&alice[4].id, "Private");
        for a in &bob[0..4] {
            sim.tag(&a.id, "Holiday/2023");
        }
        setup.job(
            "jobs.yaml",
            "profile: family\njobs:\n  both:\n    include:\n      - tags: [Holiday/2023, Family]\n    album: Both\n  holiday:\n    include:\n      - tags: [holiday]\n    exclude:\n      - tags: [Private]\n    album: Holiday\n",
        );
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
        assert!(
            stdout.contains("has no tag `Family`"),
            "a note for bob: {stdout}"
        );
        let held = |album: &str| -> std::collections::BTreeSet<String> {
            sim.album_assets(&sim.album_by_name(album)[0])
                .into_iter()
                .collect()
        };
        let ids =
            |assets: &[immich_smart_albums::sim::SimAsset]| -> std::collections::BTreeSet<String> {
                assets.iter().map(|a| a.id.clone()).collect()
            };
        assert_eq!(held("Both"), ids(&alice[3..6]), "Holiday/2023 and Family");
        // Holiday covers Holiday/2023, in any case; Private is left out. bob's copies of alice's
        // files (the same checksum) are dropped as duplicates, so compare by file.
        let mut expected: std::collections::BTreeSet<String> = alice[0..6]
            .iter()
            .chain(&bob[0..4])
            .map(|a| a.checksum.clone())
            .collect();
        expected.remove(&alice[4].checksum);
        let got = common::album_files(sim, "Holiday", &["alice", "bob"]);
        assert_eq!(got, expected);

        setup.job(
            "jobs.yaml",
            "profile: family\njobs:\n  none:\n    include:\n      - tags: [Nowhere]\n    album: None\n",
        );
        sim.clear_requests();
        let output = setup.run(&["preview", "jobs.yaml"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr_of(&output).contains("no account of the job (alice, bob) has a tag `Nowhere`"),
            "{}",
            stderr_of(&output)
        );
        assert!(
            sim.requests()
                .iter()
                .all(|r| !r.path.starts_with("/api/search"))
        );
    });
}

/// The album's looks: description, order and cover set as the job says and kept; a cover the album
/// does not hold is an error that changes nothing; a job that names no description leaves a
/// person's alone.
#[test]
fn description_order_and_cover_are_set_and_kept() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        setup.job(
            "jobs.yaml",
            "profile: family\njobs:\n  rome:\n    include: [{metadata: {city: Rome}}]\n    album: Rome\n    description: Rome, filled by immich-smart-albums\n    order: oldest\n    cover: oldest\n",
        );
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
        assert!(
            stdout.contains("set: description, order: oldest first, cover"),
            "{stdout}"
        );
        let album = sim.album_by_name("Rome")[0].clone();
        let held: std::collections::BTreeSet<String> =
            sim.album_assets(&album).into_iter().collect();
        // Immich made the first photo added the cover; the job wants the oldest.
        let oldest = ["alice", "bob"]
            .iter()
            .flat_map(|a| sim.assets(a))
            .filter(|a| held.contains(&a.id))
            .min_by_key(|a| a.taken.clone())
            .unwrap();
        let (description, order, cover) = sim.album_looks(&album);
        assert_eq!(description, "Rome, filled by immich-smart-albums");
        assert_eq!(order, "asc");
        assert_eq!(cover.as_deref(), Some(oldest.id.as_str()));

        // A second sync changes nothing; a cover the album does not hold changes nothing either.
        sim.clear_requests();
        let output = setup.run(&["sync", "jobs.yaml"]);
        assert_eq!(output.status.code(), Some(0));
        assert!(
            sim.changing_requests().is_empty(),
            "{:?}",
            sim.changing_requests()
        );
        let stranger = sim
            .assets("alice")
            .into_iter()
            .find(|a| !held.contains(&a.id))
            .unwrap();
        setup.job(
            "jobs.yaml",
            &format!(
                "profile: family\njobs:\n  rome:\n    include: [{{metadata: {{city: Rome}}}}]\n    album: Rome\n    cover: {}\n",
                stranger.id
            ),
        );
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains("is not in the album"), "{stdout}");
        assert_eq!(
            sim.album_looks(&album).2.as_deref(),
            Some(oldest.id.as_str())
        );
        // Without `description`, a person's own stays.
        assert_eq!(
            sim.album_looks(&album).0,
            "Rome, filled by immich-smart-albums"
        );
    });
}

/// The safe album's shared link: made once by a sync (never by a preview), kept, renewed when less than
/// a third of its span is left, made again after a person deleted it; its password never printed;
/// a password variable that is not set is an error before any request.
#[test]
fn the_safe_albums_shared_link_is_made_once_kept_and_renewed() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = |expires: &str| {
            setup.job(
                "jobs.yaml",
                &format!(
                    "profile: family\njobs:\n  rome:\n    include: [{{metadata: {{city: Rome}}}}]\n    album: Rome\n    safe:\n      album: Rome (for relatives)\n      exclude: [{{metadata: {{isFavorite: true}}}}]\n      shared_link: {{expires: {expires}, password_env: LINK_PASSWORD}}\n"
                ),
            );
        };
        job("90d");
        let password = "correct horse battery staple";
        let run = |args: &[&str]| {
            setup
                .bin()
                .env("LINK_PASSWORD", password)
                .args(args)
                .output()
                .unwrap()
        };
        let in_90_days =
            immich_smart_albums::job::dates::iso(immich_smart_albums::clock::now() + 90 * 86_400);
        let output = run(&["preview", "jobs.yaml"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let stdout = stdout_of(&output);
        assert!(stdout.contains("made by the next sync"), "{stdout}");
        assert!(
            stdout.contains(&format!("(expires {}", &in_90_days[..13]))
                && stdout.contains("; to create)"),
            "the link a sync would make, and when it would expire: {stdout}"
        );
        assert!(
            sim.album_by_name("Rome (for relatives)").is_empty(),
            "a preview makes no album, and so no link"
        );

        let output = run(&["sync", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
        let safe = sim.album_by_name("Rome (for relatives)")[0].clone();
        let links = sim.shared_links(&safe);
        assert_eq!(links.len(), 1);
        let (first_id, key, expires, has_password) = links[0].clone();
        assert!(has_password);
        assert!(
            stdout.contains(&format!("{}/share/{key}", sim.url())),
            "{stdout}"
        );
        assert_eq!(&expires.unwrap()[..13], &in_90_days[..13]);

        let output = run(&["sync", "jobs.yaml"]);
        assert!(
            stdout_of(&output).contains("; kept)"),
            "{}",
            stdout_of(&output)
        );
        assert_eq!(sim.shared_links(&safe).len(), 1, "made once");

        // A longer span leaves less than a third of it: renewed, the same link.
        job("1y");
        let output = run(&["sync", "jobs.yaml"]);
        assert!(
            stdout_of(&output).contains("; renewed)"),
            "{}",
            stdout_of(&output)
        );
        let links = sim.shared_links(&safe);
        assert_eq!(links[0].0, first_id);
        assert!(links[0].2.as_deref().unwrap() > in_90_days.as_str());

        // Deleted by a person while the job still asks for one: made again.
        sim.delete_shared_link(&first_id);
        let output = run(&["sync", "jobs.yaml"]);
        assert!(
            stdout_of(&output).contains("; created)"),
            "{}",
            stdout_of(&output)
        );
        let links = sim.shared_links(&safe);
        assert_eq!(links.len(), 1);
        assert_ne!(links[0].0, first_id);
        let output = run(&["state", "show", "jobs.yaml"]);
        assert!(
            stdout_of(&output).contains(&format!("shared link {}/share/{}", sim.url(), links[0].1)),
            "{}",
            stdout_of(&output)
        );
        assert!(!stdout_of(&output).contains(password) && !stderr_of(&output).contains(password));

        // The variable not set: an input error before any request.
        sim.clear_requests();
        let output = setup.run(&["sync", "jobs.yaml"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr_of(&output).contains("LINK_PASSWORD is not set"),
            "{}",
            stderr_of(&output)
        );
        assert!(sim.requests().is_empty());
    });
}

#[test]
fn what_an_account_selected_and_the_album_held_is_counted_as_already_there() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        setup.job("jobs.yaml", JOB);
        // From the simulator: alice's timeline photos of Mia or Leo that are not videos (the first
        // account keeps every one of its own). A person put half of them in the album beforehand.
        let selected: Vec<String> = setup
            .sim
            .assets("alice")
            .into_iter()
            .filter(|a| {
                a.visibility == "timeline"
                    && a.kind != "VIDEO"
                    && a.people.iter().any(|p| p == "Mia" || p == "Leo")
            })
            .map(|a| a.id)
            .collect();
        assert!(selected.len() >= 2);
        let by_hand = &selected[..selected.len() / 2];
        let album = setup.sim.create_album(
            "alice",
            "Family kids",
            &[("bob", immich_smart_albums::sim::Role::Editor)],
        );
        setup.sim.add_to_album(&album, by_hand);

        let alice_row = |command: &str| {
            let output = setup.run(&[command, "jobs.yaml", "--job", "kids", "--format", "json"]);
            assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
            let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            let alice = doc["jobs"][0]["accounts"][0].clone();
            assert_eq!(alice["account"], "alice");
            alice["album"].clone()
        };
        let synced = alice_row("sync");
        let held: std::collections::HashSet<String> =
            setup.sim.album_assets(&album).into_iter().collect();
        assert!(selected.iter().all(|id| held.contains(id)));
        assert_eq!(synced["already"], by_hand.len());
        assert_eq!(synced["added"], selected.len() - by_hand.len());
        let preview = alice_row("preview");
        assert_eq!(preview["already"], selected.len());
        assert_eq!(preview["to_add"], 0);
    });
}

/// `sync --every`: runs happen again and again, each recorded; a failed run does not stop the next;
/// an edited job file is read again; SIGTERM between runs ends it with 0. No timed assertion: each
/// step waits for what the record or the simulator shows.
#[cfg(unix)]
#[test]
fn a_scheduled_sync_runs_again_and_survives_a_failed_run() {
    use immich_smart_albums::state::Store;
    let setup = Setup::new(common::sim());
    let sim = &setup.sim;
    let job = |album: &str| {
        setup.job(
            "jobs.yaml",
            &format!(
                "profile: family\njobs:\n  rome:\n    include: [{{metadata: {{city: Rome}}}}]\n    album: {album}\n"
            ),
        );
    };
    job("Rome");
    // The first runs fail: alice's key, read from a file at each run, is wrong at first.
    let key_file = setup.dir.path().join("alice.key");
    let write_key = |key: &str| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&key_file, key).unwrap();
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    write_key("not-alices-key");
    std::fs::write(
        setup.dir.path().join("profiles/family.yaml"),
        format!(
            "accounts:\n  alice:\n    server: {}\n    api_key_file: {}\n",
            sim.url(),
            key_file.display()
        ),
    )
    .unwrap();
    let mut child = setup
        .process()
        .arg("sync")
        .arg(setup.dir.path().join("jobs.yaml"))
        .args(["--every", "1s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let db = setup.state_dir().join("state.sqlite3");
    let runs = || {
        Store::open_read_only(&db)
            .ok()
            .flatten()
            .and_then(|s| s.last_runs(100).ok())
            .unwrap_or_default()
    };
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let started = std::time::Instant::now();
        while !done() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "waited too long for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for("a failed run", &|| runs().iter().any(|r| r.status != 0));
    write_key(&sim.account("alice").api_key);
    wait_for("a run that succeeded", &|| {
        runs().iter().any(|r| r.status == 0)
    });
    assert!(
        !sim.album_by_name("Rome").is_empty(),
        "the schedule went on"
    );
    // An edit is read at the next run.
    job("Rome again");
    wait_for("the edited job's album", &|| {
        !sim.album_by_name("Rome again").is_empty()
    });
    // Right after a run is recorded, the schedule waits a second: SIGTERM then ends it with 0.
    let seen = runs().len();
    wait_for("one more run", &|| runs().len() > seen);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("stopped by SIGTERM between runs"),
        "{stderr}"
    );
    // What the runs recorded as added is what the two albums hold: each was filled once.
    let held: usize = ["Rome", "Rome again"]
        .iter()
        .map(|name| sim.album_assets(&sim.album_by_name(name)[0]).len())
        .sum();
    let recorded: usize = runs().iter().map(|r| r.added).sum();
    assert!(held > 0);
    assert_eq!(recorded, held, "{:?}", runs());
    // Each run prints the `--quiet` line of its job, and nothing more.
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(stdout.contains("rome: added "), "{stdout}");
    assert!(
        stdout.lines().all(|line| line.starts_with("rome: ")),
        "{stdout}"
    );
    let output = setup.run(&["state", "show", "jobs.yaml"]);
    assert!(
        stdout_of(&output).contains("Last runs:"),
        "{}",
        stdout_of(&output)
    );
    assert!(stdout_of(&output).contains("failed (exit status"));
    // Each run notes its schedule's interval, which `state health`, a process of its own, reads.
    assert!(runs().iter().all(|r| r.interval == Some(1)), "{:?}", runs());
    let output = setup.run(&["state", "health", "jobs.yaml", "--max-age", "1h"]);
    let stdout = common::stdout_if(&output, 0);
    assert!(stdout.starts_with("healthy: the last run ("), "{stdout}");
}

#[test]
fn a_schedule_with_a_bad_job_file_or_pattern_stops_at_once() {
    let setup = Setup::new(common::sim());
    setup.job(
        "jobs.yaml",
        "profile: family\njobs:\n  bad:\n    album: A\n    include: [{nope: 1}]\n",
    );
    let output = setup.run(&["sync", "jobs.yaml", "--every", "1h"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    setup.job("jobs.yaml", "profile: family\njobs:\n  rome:\n    include: [{metadata: {city: Rome}}]\n    album: Rome\n");
    for args in [
        &["--schedule", "0 3 * *"][..],
        &["--every", "6x"],
        &["--schedule", "61 * * * *"],
    ] {
        let output = setup
            .bin()
            .args(["sync", "jobs.yaml"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr_of(&output)
        );
    }
    assert!(setup.sim.requests().is_empty());
}

/// The lines of a text report or of stderr that say `needle`.
fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

/// Nothing is said about what a failed account knows or holds: its people, its photos, its removals.
#[track_caller]
fn nothing_follows_about(text: &str, account: &str) {
    for follow_on in [
        format!("{account} knows no person"),
        format!("{account} has no tag"),
        "no longer found".to_string(),
        "to remove (".to_string(),
        " removed (".to_string(),
        "would be removed".to_string(),
    ] {
        assert!(
            lines_with(text, &follow_on).is_empty(),
            "{follow_on}:\n{text}"
        );
    }
}

/// An account whose key the server refuses is said once in each job's report and once on `--quiet`'s
/// stderr, with its server and the next step, and nothing follows about its people or photos (a first
/// sync recorded bob's photos in the albums: they are not "no longer found").
#[test]
fn an_account_whose_key_is_refused_is_said_once_with_its_server_and_next_step() {
    let setup = Setup::new(common::sim());
    setup.job("jobs.yaml", JOB);
    common::stdout_if(&setup.run(&["sync", "jobs.yaml"]), 0);
    let server = setup.sim.url();
    let said = format!(
        "bob failed: connecting to {server}: GET /api/users/me answered 401: Invalid API key"
    );
    let next = "check bob's key with `immich-smart-albums profiles test family`";

    let output = setup
        .bin()
        .env("TEST_KEY_BOB", "revoked")
        .args(["sync", "jobs.yaml"])
        .output()
        .unwrap();
    let stdout = common::stdout_if(&output, 1);
    let failures = lines_with(&stdout, "Invalid API key");
    assert_eq!(failures.len(), 2, "once in each job's report:\n{stdout}");
    for line in failures {
        assert!(line.starts_with(&format!("  ! {said}")), "{line}");
        assert!(line.ends_with(next), "{line}");
    }
    assert!(
        stdout.contains(
            "  ! safe album failed closed: account `bob` failed, so its safe exclusions are \
             unknown; nothing was added to it in this run. It fills at the first run that knows \
             every account's safe exclusions: fix the account above, or run `immich-smart-albums \
             sync` again when a search failed\n"
        ),
        "the consequence, without the reason again:\n{stdout}"
    );
    nothing_follows_about(&stdout, "bob");

    let output = setup
        .bin()
        .env("TEST_KEY_BOB", "revoked")
        .args(["sync", "--quiet", "jobs.yaml"])
        .output()
        .unwrap();
    let stdout = common::stdout_if(&output, 1);
    assert!(
        stdout.contains("; 2 accounts, 1 failed; incremental run; see errors"),
        "{stdout}"
    );
    let stderr = stderr_of(&output);
    let failures = lines_with(&stderr, "bob failed");
    assert_eq!(failures.len(), 1, "once for both jobs:\n{stderr}");
    assert!(
        failures[0].starts_with(&format!("error: job `kids`: {said}")),
        "{stderr}"
    );
    assert!(failures[0].ends_with(next), "{stderr}");
    assert_eq!(lines_with(&stderr, "Invalid API key").len(), 1, "{stderr}");
    nothing_follows_about(&stderr, "bob");
}

/// An account whose server is down, or whose URL says https:// for a plain-HTTP port, is said once,
/// with its server and the next step, and nothing follows about its people or photos.
#[test]
fn an_account_whose_server_cannot_be_reached_is_said_once_with_its_server_and_next_step() {
    let setup = Setup::new(common::sim());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    let https = setup.sim.url().replace("http://", "https://");
    for (server, said, next) in [
        (
            down.clone(),
            // Retried: "gave up after 2 attempts in … s: could not reach the server".
            format!(
                "bob failed: connecting to {down}: GET /.well-known/immich: gave up after 2 attempts"
            ),
            "check that the server is up and reachable from here, and bob's `server:` in profile \
             elsewhere; `immich-smart-albums profiles test elsewhere` checks both"
                .to_string(),
        ),
        (
            https.clone(),
            format!(
                "bob failed: connecting to {https}: GET /.well-known/immich: {https} answers plain \
                 HTTP, not https (TLS)"
            ),
            format!(
                "use {} as the server URL; change bob's `server:` in profile elsewhere, then \
                 check it with `immich-smart-albums profiles test elsewhere`",
                setup.sim.url()
            ),
        ),
    ] {
        std::fs::write(
            setup.dir.path().join("profiles/elsewhere.yaml"),
            format!(
                "accounts:\n  alice:\n    server: {}\n    api_key_env: TEST_KEY_ALICE\n  bob:\n    \
                 server: {server}\n    api_key_env: TEST_KEY_BOB\n",
                setup.sim.url()
            ),
        )
        .unwrap();
        setup.job(
            "elsewhere.yaml",
            "profile: elsewhere\njobs:\n  kids:\n    include: [{people: [Mia]}]\n    album: Kids\n    \
             across_servers: copy\n    safe:\n      album: Kids (safe)\n      exclude: [{metadata: \
             {type: VIDEO}}]\n",
        );
        for quiet in [false, true] {
            let mut args = vec!["sync", "elsewhere.yaml", "--connect-timeout", "2"];
            if quiet {
                args.push("--quiet");
            }
            let output = setup
                .bin()
                .env("IMMICH_SMART_ALBUMS_ATTEMPTS", "2")
                .args(&args)
                .output()
                .unwrap();
            common::stdout_if(&output, 1);
            let text = if quiet {
                stderr_of(&output)
            } else {
                stdout_of(&output)
            };
            let failures = lines_with(&text, "bob failed");
            assert_eq!(failures.len(), 1, "{text}");
            assert!(failures[0].contains(&said), "{said}:\n{text}");
            assert!(
                failures[0].contains("could not reach the server")
                    || failures[0].contains("answers plain HTTP"),
                "{text}"
            );
            assert!(failures[0].ends_with(&next), "{next}:\n{text}");
            assert_eq!(lines_with(&text, &server).len(), 1, "{text}");
            nothing_follows_about(&text, "bob");
        }
    }
}
