//! Families across servers: alice and bob on server A, carol on server B, one album on A. Without
//! `across_servers: copy` the job is refused before any request; with it, carol's photos are copied to
//! alice on A (streamed, checked by checksum first, recorded) and added from there.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Output;

use crate::common::{bin, stderr_of, stdout_of};
use immich_smart_albums::sim::{SimAsset, SimConfig, Simulator};

/// The photos the job selects: timeline photos taken in the first half of 2023.
const WINDOW: (&str, &str) = ("2023-01-01", "2023-07-01");

struct TwoServers {
    dir: tempfile::TempDir,
    a: Simulator,
    b: Simulator,
}

impl TwoServers {
    fn new() -> TwoServers {
        let start = |seed, accounts: &[&str]| {
            Simulator::start(SimConfig {
                seed,
                accounts: accounts.iter().map(|a| a.to_string()).collect(),
                assets_per_account: 300,
                immich: common::line(),
                ..SimConfig::default()
            })
            .unwrap()
        };
        let (a, b) = (start(7, &["alice", "bob"]), start(8, &["carol"]));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
        std::fs::write(
            dir.path().join("profiles/family.yaml"),
            format!(
                "accounts:\n  alice:\n    server: {a}\n    api_key_env: KEY_ALICE\n  bob:\n    server: {a}\n    api_key_env: KEY_BOB\n  carol:\n    server: {b}\n    api_key_env: KEY_CAROL\n",
                a = a.url(),
                b = b.url()
            ),
        )
        .unwrap();
        TwoServers { dir, a, b }
    }

    fn job(&self, extra: &str) -> PathBuf {
        self.job_in(WINDOW, extra)
    }

    fn job_in(&self, window: (&str, &str), extra: &str) -> PathBuf {
        let path = self.dir.path().join("jobs.yaml");
        std::fs::write(
            &path,
            format!(
                "profile: family\njobs:\n  half:\n    include:\n      - metadata: {{takenAfter: \"{}T00:00:00.000Z\", takenBefore: \"{}T00:00:00.000Z\"}}\n    album: Family 2023\n{extra}",
                window.0, window.1
            ),
        )
        .unwrap();
        path
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// The environment every run of the binary gets: the config and state directories, the keys.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "IMMICH_SMART_ALBUMS_CONFIG_DIR",
                self.dir.path().display().to_string(),
            ),
            (
                "IMMICH_SMART_ALBUMS_STATE_DIR",
                self.dir.path().join("state").display().to_string(),
            ),
            ("KEY_ALICE", self.a.account("alice").api_key),
            ("KEY_BOB", self.a.account("bob").api_key),
            ("KEY_CAROL", self.b.account("carol").api_key),
        ]
    }

    fn command(&self) -> assert_cmd::Command {
        let mut command = bin();
        command.envs(self.env()).current_dir(self.dir.path());
        command
    }

    /// The binary as a plain process, to stop it with a signal.
    fn process(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_immich-smart-albums"));
        command
            .envs(self.env())
            .env_remove("IMMICH_SMART_ALBUMS_LOG")
            .current_dir(self.dir.path());
        command
    }

    /// How many copies of `file` alice's library holds.
    fn alice_copies_of(&self, file: &str) -> usize {
        self.a
            .assets("alice")
            .iter()
            .filter(|a| a.checksum == file)
            .count()
    }

    /// The files (checksums) the album on A holds.
    fn album_files(&self) -> BTreeSet<String> {
        self.files_of("Family 2023")
    }

    /// The files (checksums) an album on A holds.
    fn files_of(&self, album: &str) -> BTreeSet<String> {
        common::album_files(&self.a, album, &["alice", "bob"])
    }
}

fn selected(assets: Vec<SimAsset>) -> Vec<SimAsset> {
    assets
        .into_iter()
        .filter(|a| {
            a.visibility == "timeline"
                && a.taken.as_str() >= WINDOW.0
                && a.taken.as_str() < WINDOW.1
        })
        .collect()
}

fn checksums(assets: &[SimAsset]) -> BTreeSet<String> {
    assets.iter().map(|a| a.checksum.clone()).collect()
}

#[test]
fn a_job_across_servers_is_refused_before_any_request_naming_both_ways_out() {
    let setup = TwoServers::new();
    setup.job("");
    let output = setup.run(&["preview", "jobs.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    for needle in [
        &setup.a.url(),
        &setup.b.url(),
        "(alice, bob)",
        "(carol)",
        "accounts:",
        "across_servers: copy",
    ] {
        assert!(stderr.contains(needle), "`{needle}` in {stderr}");
    }
    assert!(setup.a.requests().is_empty() && setup.b.requests().is_empty());
}

#[test]
fn copies_fill_one_album_once_per_file_and_a_second_sync_copies_nothing() {
    common::on_both_lines(|| {
        let setup = TwoServers::new();
        setup.job(
            "    across_servers: copy\n    safe:\n      album: Family 2023 safe\n      exclude:\n        - metadata: {isFavorite: true}\n",
        );
        // One of carol's photos in the window is also alice's: it must go in once, as alice's.
        let carols = selected(setup.b.assets("carol"));
        let alices = selected(setup.a.assets("alice"));
        let shared = setup.b.give_file("carol", &alices[0]);
        assert!(!carols.is_empty() && !alices.is_empty());

        let output = setup.run(&["preview", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
        assert!(
            stdout.contains(&format!(
                "to copy from {}/api to alice: {}",
                setup.b.url(),
                carols.len()
            )),
            "{stdout}"
        );
        assert!(setup.a.changing_requests().is_empty() && setup.b.changing_requests().is_empty());

        let output = setup.run(&["sync", "jobs.yaml"]);
        common::stdout_if(&output, 0);
        let mut expected = checksums(&alices);
        expected.extend(checksums(&selected(setup.a.assets("bob"))));
        expected.extend(checksums(&carols));
        assert_eq!(setup.album_files(), expected);
        // The safe album: the same files but the favorites, copied once for both albums.
        let favorites: BTreeSet<String> = ["alice", "bob"]
            .iter()
            .flat_map(|a| setup.a.assets(a))
            .chain(setup.b.assets("carol"))
            .filter(|a| a.is_favorite)
            .map(|a| a.checksum)
            .collect();
        let safe: BTreeSet<String> = expected.difference(&favorites).cloned().collect();
        assert!(
            safe.len() < expected.len(),
            "the seed has favorites in the window"
        );
        assert_eq!(setup.files_of("Family 2023 safe"), safe);
        // Each of carol's files was uploaded once, to alice; the shared one not at all.
        let uploads: Vec<_> = setup
            .a
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/api/assets")
            .collect();
        assert_eq!(uploads.len(), carols.len());
        assert!(
            uploads
                .iter()
                .all(|r| r.account.as_deref() == Some("alice"))
        );
        let alice_files: Vec<String> = setup
            .a
            .assets("alice")
            .into_iter()
            .map(|a| a.checksum)
            .collect();
        for file in checksums(&carols) {
            assert_eq!(
                alice_files.iter().filter(|c| **c == file).count(),
                1,
                "one copy"
            );
        }
        // Alice's own copy of the shared file is the one taken: carol's is never even checked for
        // an upload (the album server's accounts come first in the merge).
        let asked_about_shared = setup.a.requests().into_iter().any(|r| {
            r.path == "/api/assets/bulk-upload-check"
                && r.body
                    .is_some_and(|body| body.to_string().contains(&shared))
        });
        assert!(
            !asked_about_shared,
            "carol's copy of alice's file was considered"
        );

        // Keys stay with their servers: A saw only alice's and bob's, B only carol's.
        for (sim, keys) in [
            (&setup.a, ["alice", "bob"].as_slice()),
            (&setup.b, ["carol"].as_slice()),
        ] {
            for request in sim.requests() {
                if request.header("x-api-key").is_some() {
                    let account = request.account.as_deref().unwrap_or("an unknown key");
                    assert!(keys.contains(&account), "{} got {account}'s key", sim.url());
                }
            }
        }
        assert!(
            setup.b.changing_requests().is_empty(),
            "nothing changes on B"
        );

        setup.a.clear_requests();
        let output = setup.run(&["sync", "jobs.yaml"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert!(
            setup.a.changing_requests().is_empty(),
            "{:?}",
            setup.a.changing_requests()
        );
        let output = setup.run(&["state", "show", "jobs.yaml"]);
        let stdout = stdout_of(&output);
        let line = stdout
            .lines()
            .find(|l| l.contains("files copied from other servers"))
            .unwrap_or_else(|| panic!("{stdout}"));
        assert!(
            line.trim_end().ends_with(&format!(" {}", carols.len())),
            "{line}"
        );
    });
}

#[test]
fn max_copy_mb_stops_the_copies_before_the_first_one() {
    let setup = TwoServers::new();
    setup.job("    across_servers: copy\n    max_copy_mb: 1\n");
    let output = setup.run(&["sync", "jobs.yaml"]);
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("would pass max_copy_mb (1)"), "{stdout}");
    assert!(
        setup
            .a
            .requests()
            .iter()
            .all(|r| !(r.method == "POST" && r.path == "/api/assets")),
        "nothing uploaded"
    );
    // A's own accounts still fill the album.
    let mut expected = checksums(&selected(setup.a.assets("alice")));
    expected.extend(checksums(&selected(setup.a.assets("bob"))));
    assert_eq!(setup.album_files(), expected);
}

#[test]
fn copy_to_must_be_on_the_albums_server() {
    let setup = TwoServers::new();
    setup.job("    across_servers: copy\n    copy_to: carol\n");
    let output = setup.run(&["preview", "jobs.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("copy_to `carol` is on"),
        "{}",
        stderr_of(&output)
    );
    assert!(setup.a.requests().is_empty() && setup.b.requests().is_empty());
}

#[test]
fn prune_takes_a_copy_out_of_the_album_and_leaves_it_in_the_library() {
    let setup = TwoServers::new();
    let extra = "    across_servers: copy\n    prune: true\n    max_removal_fraction: 1\n";
    setup.job(extra);
    let output = setup.run(&["sync", "jobs.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let before = setup.album_files();
    // The job narrows: carol's photos of June no longer belong.
    let narrower = ("2023-01-01", "2023-06-01");
    setup.job_in(narrower, extra);
    let output = setup.run(&["sync", "jobs.yaml"]);
    common::stdout_if(&output, 0);
    let june: Vec<SimAsset> = selected(setup.b.assets("carol"))
        .into_iter()
        .filter(|a| a.taken.as_str() >= narrower.1)
        .collect();
    assert!(!june.is_empty());
    let after = setup.album_files();
    for file in checksums(&june) {
        assert!(
            before.contains(&file) && !after.contains(&file),
            "left the album"
        );
        assert_eq!(setup.alice_copies_of(&file), 1, "still in alice's library");
    }
}

#[test]
fn a_receiver_without_upload_permission_is_reported_before_any_copy() {
    let setup = TwoServers::new();
    setup.job("    across_servers: copy\n");
    let mut allowed: Vec<&str> = immich_smart_albums::immich::NEEDED_PERMISSIONS.to_vec();
    allowed.push("asset.download");
    let no_upload = setup.a.add_api_key("alice", "no upload", &allowed);
    let output = setup
        .command()
        .env("KEY_ALICE", &no_upload)
        .args(["sync", "jobs.yaml"])
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("lacks asset.upload"), "{stdout}");
    assert!(
        setup
            .b
            .requests()
            .iter()
            .all(|r| !r.path.ends_with("/original")),
        "nothing was downloaded"
    );
    // `profiles test` says so too, for a profile whose accounts are on two servers.
    let output = setup
        .command()
        .env("KEY_ALICE", &no_upload)
        .args(["profiles", "test", "family"])
        .output()
        .unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("missing permissions: asset.upload"),
        "{stdout}"
    );
}

/// Stopped with SIGTERM while copies are in flight; the next two runs finish the job: every file in
/// the album, and each of carol's files in alice's library exactly once.
#[cfg(unix)]
#[test]
fn a_sigterm_mid_copy_leaves_no_duplicate_and_loses_nothing() {
    use immich_smart_albums::sim::{FaultPlan, FaultRule};
    use std::time::{Duration, Instant};

    let setup = TwoServers::new();
    setup.job("    across_servers: copy\n");
    let mut slow = FaultRule::new("POST /api/assets");
    slow.latency = Some((Duration::from_millis(500), Duration::from_millis(500)));
    setup.a.set_faults(FaultPlan {
        seed: 1,
        rules: vec![slow],
        always_fail: Vec::new(),
    });
    let child = setup
        .process()
        .args(["sync", "jobs.yaml"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first copy to be recorded: the others are then in flight or waiting.
    let db = setup.dir.path().join("state/state.sqlite3");
    let started = Instant::now();
    loop {
        let copied = immich_smart_albums::state::Store::open_read_only(&db)
            .ok()
            .flatten()
            .and_then(|store| store.copies_of("half").ok())
            .unwrap_or(0);
        if copied > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no copy was recorded"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = common::signal_and_wait(child, "-TERM");
    assert_eq!(output.status.code(), Some(143), "{}", stderr_of(&output));
    setup.a.clear_faults();
    for _ in 0..2 {
        let output = setup.run(&["sync", "jobs.yaml"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    }
    let carols = selected(setup.b.assets("carol"));
    let mut expected = checksums(&selected(setup.a.assets("alice")));
    expected.extend(checksums(&selected(setup.a.assets("bob"))));
    expected.extend(checksums(&carols));
    assert_eq!(setup.album_files(), expected, "nothing lost");
    for file in checksums(&carols) {
        assert_eq!(setup.alice_copies_of(&file), 1, "no duplicate upload");
    }
}

/// A redirect from B to A while copying is not followed with carol's key: A never sees it.
#[test]
fn a_redirect_to_the_other_server_carries_no_key_there() {
    let setup = TwoServers::new();
    setup.job("    across_servers: copy\n");
    setup.b.set_redirect(
        "GET /api/assets/*/original",
        format!("{}/api/server/version", setup.a.url()),
    );
    let output = setup.run(&["sync", "jobs.yaml"]);
    let stdout = stdout_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("not following it with the API key") || stdout.contains("redirect"),
        "{stdout}"
    );
    for request in setup.a.requests() {
        assert!(
            request.header("x-api-key").is_none() || request.account.is_some(),
            "A got a key it does not know: {request:?}"
        );
    }
}

/// The copies alice receives carry no faces, so her own search for Mia never finds them: what a new
/// album needs of carol's photos of Mia comes from the copies made before, through the record, or by
/// checksum when the record is gone (another machine, a lost state directory). Nothing is uploaded
/// or downloaded twice, and the new album holds every file.
#[test]
fn a_new_album_takes_the_copies_made_before_from_the_record_or_else_by_checksum() {
    common::on_both_lines(|| {
        let setup = TwoServers::new();
        let job = |album: &str| {
            std::fs::write(
                setup.dir.path().join("jobs.yaml"),
                format!(
                    "profile: family\njobs:\n  mia:\n    include:\n      - people: [Mia]\n      - metadata: {{takenAfter: \"{}T00:00:00.000Z\", takenBefore: \"{}T00:00:00.000Z\"}}\n    album: {album}\n    across_servers: copy\n",
                    WINDOW.0, WINDOW.1
                ),
            )
            .unwrap();
        };
        let mia = |assets: Vec<SimAsset>| -> BTreeSet<String> {
            let shown: Vec<SimAsset> = selected(assets)
                .into_iter()
                .filter(|a| a.people.iter().any(|p| p == "Mia"))
                .collect();
            checksums(&shown)
        };
        let carols = mia(setup.b.assets("carol"));
        let mut expected = mia(setup.a.assets("alice"));
        expected.extend(mia(setup.a.assets("bob")));
        assert!(!carols.is_empty() && carols.is_disjoint(&expected));
        expected.extend(carols.iter().cloned());

        job("Mia");
        let output = setup.run(&["sync", "jobs.yaml"]);
        common::stdout_if(&output, 0);
        assert_eq!(setup.files_of("Mia"), expected);
        let library = setup.a.assets("alice").len();

        for (album, record_kept) in [("Mia again", true), ("Mia once more", false)] {
            job(album);
            if !record_kept {
                std::fs::remove_dir_all(setup.dir.path().join("state")).unwrap();
            }
            setup.a.clear_requests();
            setup.b.clear_requests();
            let output = setup.run(&["sync", "jobs.yaml"]);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{album}: {}{}",
                stdout_of(&output),
                stderr_of(&output)
            );
            assert_eq!(setup.files_of(album), expected, "{album}");
            assert_eq!(
                setup.a.assets("alice").len(),
                library,
                "{album}: no new copy"
            );
            let a = setup.a.requests();
            let uploads = a
                .iter()
                .filter(|r| r.method == "POST" && r.path == "/api/assets")
                .count();
            assert_eq!(uploads, 0, "{album}: nothing uploaded again");
            assert!(
                setup
                    .b
                    .requests()
                    .iter()
                    .all(|r| !r.path.ends_with("/original")),
                "{album}: nothing downloaded again"
            );
            let checked = a
                .iter()
                .filter(|r| r.path == "/api/assets/bulk-upload-check")
                .count();
            if record_kept {
                assert_eq!(
                    checked, 0,
                    "{album}: the record answers for the copies it made"
                );
            } else {
                assert!(
                    checked > 0,
                    "{album}: without the record, asked by checksum"
                );
            }
        }
    });
}

/// A copy is one stream from server to server: it may take longer than `--timeout` as a whole (a
/// large original on a slow link), and stops only when nothing moves for that long. A file the
/// receiving account holds only in its trash is neither taken as there nor copied.
#[test]
fn copies_outlast_the_request_timeout_stop_when_nothing_moves_and_skip_the_trash() {
    common::on_both_lines(|| {
        let setup = TwoServers::new();
        // One of carol's photos, 2 MB, and a window that selects it alone.
        let carols = selected(setup.b.assets("carol"));
        let photo = &carols[0];
        let day = &photo.taken[..10];
        let next = next_day(day);
        setup.b.set_original_size(&photo.id, 2_000_000);
        setup.job_in(
            (day, &next),
            "    accounts: [alice, carol]\n    across_servers: copy\n",
        );

        // 31 chunks of 64 KiB, 60 ms apart: about 2 s in all, never 1 s still.
        setup
            .b
            .pace_originals(Some(std::time::Duration::from_millis(60)));
        let output = setup.run(&["sync", "jobs.yaml", "--timeout", "1"]);
        common::stdout_if(&output, 0);
        assert!(
            setup.album_files().contains(&photo.checksum),
            "copied in about 2 s with --timeout 1"
        );
        assert_eq!(setup.alice_copies_of(&photo.checksum), 1);

        // Another day's photo, whose download stands still for 2 s: stopped, said, nothing added.
        let other = carols
            .iter()
            .find(|a| !a.taken.starts_with(day))
            .expect("carol has photos of other days");
        let other_day = &other.taken[..10];
        setup.job_in(
            (other_day, &next_day(other_day)),
            "    accounts: [alice, carol]\n    across_servers: copy\n",
        );
        setup
            .b
            .pace_originals(Some(std::time::Duration::from_secs(2)));
        let output = setup.run(&["sync", "jobs.yaml", "--timeout", "1"]);
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains("nothing moved for 1 s"), "{stdout}");
        assert!(!setup.album_files().contains(&other.checksum));
        setup.b.pace_originals(None);

        // Alice has the file only in her trash: the sync neither counts it as there nor copies it.
        let trashed = setup.a.give_file("alice", other);
        setup.a.set_trashed(&trashed, true);
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stdout = common::stdout_if(&output, 0);
        assert!(stdout.contains("in alice's trash"), "{stdout}");
        assert!(!setup.album_files().contains(&other.checksum));
        assert_eq!(setup.alice_copies_of(&other.checksum), 1, "no second copy");
    });
}

/// The day after a `YYYY-MM-DD`.
fn next_day(day: &str) -> String {
    let date: jiff::civil::Date = day.parse().unwrap();
    date.tomorrow().unwrap().to_string()
}
