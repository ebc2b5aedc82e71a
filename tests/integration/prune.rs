//! Albums that stay true over time, against the simulator's own state: what a job selects
//! (timeline-only, `include_archived`), prune with its reasons and its circuit breaker, people's
//! edits (a hand-removed asset is not added again, a hand-added one is never removed), adoption, the
//! record surviving a SIGTERM in the middle of adds and of removals, and a state directory that
//! cannot be written. Every check reads the albums from the simulator, not the tool's report.

use crate::common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use crate::common::{Setup, on_both_lines, stderr_of, stdout_of};
use immich_smart_albums::job::JobFile;
use immich_smart_albums::job::since::Reading;
use immich_smart_albums::job::{JobReport, Mode, RunOptions, run_job_with};
use immich_smart_albums::sim::{FaultPlan, FaultRule, SimAsset, SimConfig, Simulator};
use immich_smart_albums::state::{AlbumKey, EntryState, Store};

/// Runs the first job of `yaml` with its accounts (alice and bob unless it names them; alice owns the
/// albums), keeping the record in `store`.
fn run(
    sim: &Simulator,
    yaml: &str,
    mode: Mode,
    options: RunOptions,
    store: &Store,
) -> anyhow::Result<JobReport> {
    let file = JobFile::parse(Path::new("jobs.yaml"), yaml)?;
    let job = &file.jobs[0];
    let names: Vec<&str> = job.accounts.as_ref().map_or_else(
        || vec!["alice", "bob"],
        |a| a.iter().map(String::as_str).collect(),
    );
    common::runtime().block_on(async {
        let slots = common::slots(sim, &names, &HashMap::new(), &common::quick_retries(2)).await;
        run_job_with(job, &slots, "alice", mode, options, store).await
    })
}

fn sync(sim: &Simulator, yaml: &str, store: &Store) -> JobReport {
    run(sim, yaml, Mode::Sync, RunOptions::default(), store).expect("the sync runs")
}

/// A sync that reads everything: what a face change (which moves no update time) needs.
fn sync_full(sim: &Simulator, yaml: &str, store: &Store) -> JobReport {
    let options = RunOptions {
        reading: Reading {
            full: true,
            ..Reading::default()
        },
        ..RunOptions::default()
    };
    run(sim, yaml, Mode::Sync, options, store).expect("the sync runs")
}

/// Two sets of ids are the same; a failure shows only the difference.
#[track_caller]
fn assert_same(actual: &BTreeSet<String>, expected: &BTreeSet<String>, what: &str) {
    let missing: Vec<&String> = expected.difference(actual).collect();
    let extra: Vec<&String> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, extra {extra:?}"
    );
}

fn album(sim: &Simulator, name: &str) -> BTreeSet<String> {
    let ids = sim.album_by_name(name);
    assert_eq!(ids.len(), 1, "one album named {name}");
    sim.album_assets(&ids[0]).into_iter().collect()
}

fn album_id(sim: &Simulator, name: &str) -> String {
    sim.album_by_name(name).pop().expect("the album exists")
}

/// Alice's timeline assets that show Mia.
fn mia(sim: &Simulator) -> Vec<SimAsset> {
    sim.assets("alice")
        .into_iter()
        .filter(|a| a.visibility == "timeline" && a.people.iter().any(|p| p == "Mia"))
        .collect()
}

fn setup() -> Setup {
    Setup::new(common::sim())
}

/// A job whose only account is alice, so what the album should hold is easy to say: her timeline
/// photos of Mia.
const PRUNED: &str = "
profile: family
jobs:
  kids:
    accounts: [alice]
    include: [{people: [Mia]}]
    album: Mia
    prune: true
    max_removal_fraction: 1
";

const KEPT: &str = "
profile: family
jobs:
  kids:
    accounts: [alice]
    include: [{people: [Mia]}]
    album: Mia kept
";

fn ids(assets: &[SimAsset]) -> BTreeSet<String> {
    assets.iter().map(|a| a.id.clone()).collect()
}

#[test]
fn jobs_take_timeline_assets_only_unless_they_include_archived_ones() {
    on_both_lines(|| {
        let sim = common::sim();
        let store = Store::memory();
        let photos = mia(&sim);
        let (archived, hidden) = (&photos[0], &photos[1]);
        sim.set_visibility(&archived.id, "archive");
        sim.set_visibility(&hidden.id, "hidden");
        sync(&sim, PRUNED, &store);
        let held = album(&sim, "Mia");
        assert_same(
            &held,
            &ids(&mia(&sim)),
            "exactly the timeline photos of Mia",
        );
        assert!(!held.contains(&archived.id) && !held.contains(&hidden.id));

        let with_archived = PRUNED
            .replace("album: Mia", "album: Mia all")
            .replace("prune: true", "include_archived: true");
        sync(&sim, &with_archived, &store);
        let held = album(&sim, "Mia all");
        assert!(held.contains(&archived.id), "archived assets are taken");
        assert!(!held.contains(&hidden.id), "hidden ones never");
        let timeline_and_archive: BTreeSet<String> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| {
                (a.visibility == "timeline" || a.visibility == "archive")
                    && a.people.iter().any(|p| p == "Mia")
            })
            .map(|a| a.id)
            .collect();
        assert_same(&held, &timeline_and_archive, "timeline and archive");
    });
}

#[test]
fn what_stops_matching_leaves_a_pruned_album_and_stays_in_an_unpruned_one() {
    on_both_lines(|| {
        let sim = common::sim();
        let store = Store::memory();
        sync(&sim, PRUNED, &store);
        sync(&sim, KEPT, &store);
        let photos = mia(&sim);
        let (untagged, archived) = (&photos[0], &photos[1]);
        assert!(album(&sim, "Mia").contains(&untagged.id));
        sim.untag(&untagged.id, "Mia");
        sim.set_visibility(&archived.id, "archive");

        // The preview says what would leave, and why.
        let preview = run(&sim, PRUNED, Mode::Preview, RunOptions::default(), &store).unwrap();
        let reasons: Vec<(String, String)> = preview
            .album
            .to_remove
            .iter()
            .map(|r| (r.id.clone(), format!("{:?}", r.reason)))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons.contains(&(untagged.id.clone(), "NoLongerFound".into())));
        assert!(reasons.contains(&(archived.id.clone(), "Archived".into())));
        assert!(
            album(&sim, "Mia").contains(&untagged.id),
            "a preview changes nothing"
        );

        let report = sync_full(&sim, PRUNED, &store);
        assert!(!report.failed(), "{report:#?}");
        assert_same(&album(&sim, "Mia"), &ids(&mia(&sim)), "pruned");
        let kept = album(&sim, "Mia kept");
        assert!(kept.contains(&untagged.id) && kept.contains(&archived.id));
        // Removed from the album, never from the library.
        let library: BTreeSet<String> = sim.assets("alice").into_iter().map(|a| a.id).collect();
        assert!(library.contains(&untagged.id) && library.contains(&archived.id));
        // Nothing more to do.
        let again = sync(&sim, PRUNED, &store);
        assert_eq!(again.removed(), 0);
        assert_same(&album(&sim, "Mia"), &ids(&mia(&sim)), "pruned, again");
    });
}

const SAFE: &str = "
profile: family
jobs:
  kids:
    include: [{people: [Mia]}]
    album: Mia
    safe:
      album: Mia (safe)
      exclude:
        - smart: {query: nsfw swimsuit party museum bike, resultLimit: 10}
";

const FLAG: [&str; 5] = ["nsfw", "swimsuit", "party", "museum", "bike"];

#[test]
fn a_newly_flagged_asset_leaves_the_safe_album_and_stays_in_the_main_one() {
    on_both_lines(|| {
        let sim = common::sim();
        let store = Store::memory();
        sync(&sim, SAFE, &store);
        let safe = album(&sim, "Mia (safe)");
        let photo = mia(&sim)
            .into_iter()
            .find(|a| safe.contains(&a.id))
            .expect("the safe album holds photos of Mia");
        sim.add_words(&photo.id, &FLAG);
        let report = sync(&sim, SAFE, &store);
        assert!(!report.failed(), "{report:#?}");
        assert!(!album(&sim, "Mia (safe)").contains(&photo.id));
        assert!(
            album(&sim, "Mia").contains(&photo.id),
            "the main album does not prune"
        );
    });
}

#[test]
fn a_flagged_asset_added_by_hand_is_left_in_place_and_listed() {
    on_both_lines(|| {
        let sim = common::sim();
        let store = Store::memory();
        sync(&sim, SAFE, &store);
        // A photo nobody's job selects, flagged, put into the safe album by a person.
        let stranger = sim
            .assets("alice")
            .into_iter()
            .find(|a| a.visibility == "timeline" && !a.people.iter().any(|p| p == "Mia"))
            .unwrap();
        sim.add_words(&stranger.id, &FLAG);
        sim.add_to_album(
            &album_id(&sim, "Mia (safe)"),
            std::slice::from_ref(&stranger.id),
        );
        let report = sync(&sim, SAFE, &store);
        assert!(album(&sim, "Mia (safe)").contains(&stranger.id));
        assert_eq!(report.safe.as_ref().unwrap().left_flagged, 1);
    });
}

#[test]
fn a_hand_removed_asset_is_not_added_again_and_a_hand_added_one_survives_prune() {
    on_both_lines(|| {
        let setup = setup();
        let sim = &setup.sim;
        let path = setup.job("kids.yaml", PRUNED);
        let path = path.to_str().unwrap();
        let output = setup.run(&["sync", path]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let (gone, stranger) = (
            mia(sim).remove(0),
            sim.assets("alice")
                .into_iter()
                .find(|a| a.visibility == "timeline" && !a.people.iter().any(|p| p == "Mia"))
                .unwrap(),
        );
        let id = album_id(sim, "Mia");
        sim.remove_from_album(&id, std::slice::from_ref(&gone.id));
        sim.add_to_album(&id, std::slice::from_ref(&stranger.id));

        let output = setup.run(&["preview", path]);
        let text = stdout_of(&output);
        assert!(
            text.contains("removed by someone, not added again"),
            "{text}"
        );
        let output = setup.run(&["sync", path, "--quiet"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let held = album(sim, "Mia");
        assert!(!held.contains(&gone.id), "a person's removal is respected");
        assert!(
            held.contains(&stranger.id),
            "a person's addition is never pruned"
        );

        // The record says so, and forgetting the tombstone lets the photo back in.
        let output = setup.run(&["state", "show", path]);
        let text = stdout_of(&output);
        assert!(text.contains("state.sqlite3"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.contains("removed by someone, not added again")
                    && l.trim_end().ends_with(" 1")),
            "{text}"
        );
        let output = setup.run(&["state", "forget", path, "--job", "kids"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert!(
            stdout_of(&output).contains("Forgot 1 tombstone"),
            "{}",
            stdout_of(&output)
        );
        setup.run(&["sync", path, "--quiet"]);
        assert!(album(sim, "Mia").contains(&gone.id));
    });
}

#[test]
fn the_breaker_stops_a_mass_removal_and_confirm_removals_lets_it_through() {
    on_both_lines(|| {
        let setup = setup();
        let sim = &setup.sim;
        let path = setup.job("kids.yaml", &PRUNED.replace("max_removal_fraction: 1", ""));
        let path = path.to_str().unwrap();
        setup.run(&["sync", path]);
        let before = album(sim, "Mia");
        let photos = mia(sim);
        let archived: Vec<&SimAsset> = photos.iter().take(photos.len() / 2).collect();
        assert!(archived.len() * 5 > before.len(), "more than a fifth");
        for photo in &archived {
            sim.set_visibility(&photo.id, "archive");
        }
        // The preview shows what the breaker would stop, and has not failed.
        let output = setup.run(&["preview", path]);
        common::stdout_if(&output, 0);
        assert!(
            stdout_of(&output).contains("--confirm-removals"),
            "{}",
            stdout_of(&output)
        );
        let output = setup.run(&["sync", path]);
        let text = format!("{}{}", stdout_of(&output), stderr_of(&output));
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(text.contains("--confirm-removals"), "{text}");
        assert_same(&album(sim, "Mia"), &before, "nothing was removed");

        let output = setup.run(&["sync", path, "--confirm-removals", "--quiet"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert!(
            stdout_of(&output).contains(&format!("removed {}", archived.len())),
            "{}",
            stdout_of(&output)
        );
        assert_same(
            &album(sim, "Mia"),
            &ids(&mia(sim)),
            "after the confirmed removals",
        );
    });
}

#[test]
fn a_failed_search_in_one_account_removes_nothing() {
    on_both_lines(|| {
        let sim = common::sim();
        let store = Store::memory();
        let both = PRUNED.replace("    accounts: [alice]\n", "");
        sync(&sim, &both, &store);
        let photo = mia(&sim).remove(0);
        sim.untag(&photo.id, "Mia");
        // Bob's people search fails every time: his part of the picture is unknown.
        sim.fail_always("bob", "POST /api/search/metadata");
        let report = sync_full(&sim, &both, &store);
        assert!(report.failed());
        assert!(album(&sim, "Mia").contains(&photo.id), "nothing is removed");
        assert!(report.album.removals_blocked.is_some(), "{report:#?}");
        sim.clear_faults();
        sync_full(&sim, &both, &store);
        assert!(!album(&sim, "Mia").contains(&photo.id));
    });
}

#[test]
fn adopt_takes_over_an_album_the_python_script_filled() {
    on_both_lines(|| {
        let setup = setup();
        let sim = &setup.sim;
        // The Python script filled the album: every photo of Mia, by hand as far as the record knows.
        let album_id = sim.create_album("alice", "Mia", &[]);
        let photos = mia(sim);
        sim.add_to_album(
            &album_id,
            &photos.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        );
        let path = setup.job("kids.yaml", PRUNED);
        let path = path.to_str().unwrap();
        sim.untag(&photos[0].id, "Mia");
        let output = setup.run(&["preview", path]);
        assert!(
            stdout_of(&output).contains(&format!("{} in the album and selected", photos.len() - 1)),
            "{}",
            stdout_of(&output)
        );
        let output = setup.run(&["sync", path]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert!(
            album(sim, "Mia").contains(&photos[0].id),
            "not the tool's: never removed"
        );

        let output = setup.run(&["sync", path, "--adopt"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert!(
            stdout_of(&output).contains("adopted"),
            "{}",
            stdout_of(&output)
        );
        sim.untag(&photos[1].id, "Mia");
        setup.run(&["sync", path, "--full"]);
        let held = album(sim, "Mia");
        assert!(
            !held.contains(&photos[1].id),
            "adopted, then no longer selected: removed"
        );
        assert!(
            held.contains(&photos[0].id),
            "not selected when adopted: still not the tool's"
        );
    });
}

#[test]
fn an_unwritable_or_damaged_state_database_stops_the_sync_before_any_change() {
    on_both_lines(|| {
        let setup = setup();
        let path = setup.job("kids.yaml", PRUNED);
        // A file where the state directory should be.
        let blocker = setup.dir.path().join("not-a-dir");
        std::fs::write(&blocker, "x").unwrap();
        let output = setup
            .bin()
            .env("IMMICH_SMART_ALBUMS_STATE_DIR", &blocker)
            .args(["sync", path.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("state database"), "{stderr}");
        assert!(stderr.contains("not-a-dir"), "{stderr}");
        assert!(setup.sim.requests().is_empty(), "not one request was sent");

        let damaged = setup.dir.path().join("damaged");
        std::fs::create_dir_all(&damaged).unwrap();
        std::fs::write(
            damaged.join("state.sqlite3"),
            "not a database, only some text",
        )
        .unwrap();
        let output = setup
            .bin()
            .env("IMMICH_SMART_ALBUMS_STATE_DIR", &damaged)
            .args(["sync", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
        assert!(stderr_of(&output).contains("not a usable SQLite database"));
        assert!(setup.sim.changing_requests().is_empty());
    });
}

/// The record of an album as the last run left it.
fn record(state_dir: &Path, sim: &Simulator, album: &str) -> Vec<(String, EntryState)> {
    common::recorded(state_dir, &album_id(sim, album))
        .into_iter()
        .map(|e| (e.asset.to_string(), e.state))
        .collect()
}

/// Starts a sync with slow album changes, waits until the record holds an intent of `state`, and
/// stops the sync with a real SIGTERM while its request is in flight.
#[cfg(unix)]
fn sigterm_while(setup: &Setup, job: &Path, state: EntryState, album_name: &str) {
    let sim = &setup.sim;
    let mut slow = FaultRule::new("* /api/albums/*/assets");
    slow.latency = Some((Duration::from_secs(3), Duration::from_secs(3)));
    sim.set_faults(FaultPlan {
        seed: 1,
        rules: vec![slow],
        always_fail: Vec::new(),
    });
    let child = setup
        .process()
        .args(["sync", job.to_str().unwrap(), "--full"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let db = setup.state_dir().join("state.sqlite3");
        let pending = db.exists()
            && !sim.album_by_name(album_name).is_empty()
            && record(&setup.state_dir(), sim, album_name)
                .iter()
                .any(|(_, s)| *s == state);
        if pending {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {state:?} intent appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = common::signal_and_wait(child, "-TERM");
    assert_eq!(output.status.code(), Some(143), "{}", stderr_of(&output));
    sim.clear_faults();
}

#[cfg(unix)]
#[test]
fn a_sigterm_during_adds_and_during_removals_leaves_a_record_the_next_runs_settle() {
    on_both_lines(|| {
        let sim = Simulator::start(SimConfig {
            seed: 11,
            accounts: vec!["alice".into(), "bob".into()],
            assets_per_account: 300,
            immich: common::line(),
            ..SimConfig::default()
        })
        .unwrap();
        let setup = Setup::new(sim);
        let sim = &setup.sim;
        let job = setup.job("kids.yaml", PRUNED);
        // A person's own photo in the album: nothing may ever take it out.
        let stranger = sim
            .assets("alice")
            .into_iter()
            .find(|a| a.visibility == "timeline" && !a.people.iter().any(|p| p == "Mia"))
            .unwrap();
        let album = sim.create_album("alice", "Mia", &[]);
        sim.add_to_album(&album, std::slice::from_ref(&stranger.id));

        // Stopped in the middle of adding.
        sigterm_while(&setup, &job, EntryState::Adding, "Mia");
        for _ in 0..2 {
            let output = setup.run(&["sync", job.to_str().unwrap(), "--quiet"]);
            assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        }
        let mut expected = ids(&mia(sim));
        expected.insert(stranger.id.clone());
        assert_same(&self::album(sim, "Mia"), &expected, "nothing lost");
        let entries = record(&setup.state_dir(), sim, "Mia");
        assert!(
            entries.iter().all(|(_, s)| *s == EntryState::Added),
            "{entries:?}"
        );
        assert_eq!(
            entries.len(),
            mia(sim).len(),
            "every photo the tool added is known as its own"
        );

        // Stopped in the middle of removing.
        let photos = mia(sim);
        for photo in photos.iter().take(3) {
            sim.untag(&photo.id, "Mia");
        }
        sigterm_while(&setup, &job, EntryState::Removing, "Mia");
        for _ in 0..2 {
            let output = setup.run(&["sync", job.to_str().unwrap(), "--quiet", "--full"]);
            assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        }
        let mut expected = ids(&mia(sim));
        expected.insert(stranger.id.clone());
        assert_same(
            &self::album(sim, "Mia"),
            &expected,
            "nothing removed wrongly, nothing left over",
        );
        let entries: HashMap<String, EntryState> =
            record(&setup.state_dir(), sim, "Mia").into_iter().collect();
        for photo in photos.iter().take(3) {
            assert_eq!(entries.get(&photo.id), Some(&EntryState::Removed));
        }
        assert!(
            !entries.contains_key(&stranger.id),
            "a person's photo is never the tool's"
        );
    });
}

#[test]
fn the_previews_show_what_would_leave_and_why_in_text_json_and_html() {
    on_both_lines(|| {
        let setup = setup();
        let sim = &setup.sim;
        let path = setup.job("kids.yaml", PRUNED);
        let path = path.to_str().unwrap();
        setup.run(&["sync", path]);
        let photos = mia(sim);
        sim.untag(&photos[0].id, "Mia");
        sim.set_visibility(&photos[1].id, "archive");

        let output = setup.run(&["preview", path, "--list"]);
        let text = stdout_of(&output);
        assert!(
            text.contains("album \"Mia\": 2 to remove (1 archived, 1 no longer found)"),
            "{text}"
        );
        for photo in &photos[..2] {
            assert!(text.contains(&format!("/photos/{} (", photo.id)), "{text}");
        }

        let output = setup.run(&["preview", path, "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let to_remove = json["jobs"][0]["album"]["to_remove"].as_array().unwrap();
        let mut reasons: Vec<(String, String)> = to_remove
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        reasons.sort();
        let mut expected = vec![
            (photos[0].id.clone(), "no_longer_found".to_string()),
            (photos[1].id.clone(), "archived".to_string()),
        ];
        expected.sort();
        assert_eq!(reasons, expected);

        let page_path = setup.dir.path().join("report.html");
        let output = setup
            .bin()
            .args(["preview", path, "--format", "html", "--output"])
            .arg(&page_path)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let page = std::fs::read_to_string(&page_path).unwrap();
        let removal = &page[page
            .find("<div class=\"removal\">")
            .expect("a removal block")..];
        let removal = &removal[..removal.find("</div>\n").unwrap()];
        assert!(
            removal.contains("data-section=\"to-remove\" data-count=\"2\""),
            "{removal}"
        );
        for photo in &photos[..2] {
            assert!(
                removal.contains(&format!("alt=\"alice: {}\"", photo.id)),
                "the thumbnail of {} is in the removal block",
                photo.id
            );
        }
        assert!(removal.contains("archived") && removal.contains("no longer found"));
        assert!(
            sim.album_assets(&album_id(sim, "Mia"))
                .contains(&photos[0].id),
            "a preview changes nothing"
        );
    });
}

#[test]
fn two_job_files_sharing_an_album_sync_at_once_and_never_prune_each_others_photos() {
    on_both_lines(|| {
        let setup = setup();
        let sim = &setup.sim;
        sim.create_album("alice", "Shared", &[]);
        let job = |name: &str, person: &str| {
            format!(
                "profile: family\njobs:\n  {name}:\n    accounts: [alice]\n    include: [{{people: [{person}]}}]\n    album: Shared\n    prune: true\n    max_removal_fraction: 1\n"
            )
        };
        let a = setup.job("a.yaml", &job("kids-a", "Mia"));
        let b = setup.job("b.yaml", &job("kids-b", "Leo"));
        let spawn = |path: &Path| setup.process().args(["sync", "--quiet"]).arg(path).output();
        let (first, second) = std::thread::scope(|scope| {
            let first = scope.spawn(|| spawn(&a).unwrap());
            let second = scope.spawn(|| spawn(&b).unwrap());
            (first.join().unwrap(), second.join().unwrap())
        });
        assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
        assert_eq!(second.status.code(), Some(0), "{}", stderr_of(&second));
        let shows = |person: &str, a: &SimAsset| {
            a.visibility == "timeline" && a.people.iter().any(|p| p == person)
        };
        let alice = sim.assets("alice");
        let expected: BTreeSet<String> = alice
            .iter()
            .filter(|a| shows("Mia", a) || shows("Leo", a))
            .map(|a| a.id.clone())
            .collect();
        assert_same(&album(sim, "Shared"), &expected, "both jobs' photos");

        // The record holds every one of them as one job's or the other's, and each job's only photos
        // are its own.
        let store = Store::open(&setup.state_dir().join("state.sqlite3")).unwrap();
        let key = AlbumKey {
            server: format!("{}/api", sim.url()),
            album_id: album_id(sim, "Shared"),
        };
        let entries: HashMap<String, (String, EntryState)> = store
            .load(&key)
            .unwrap()
            .into_iter()
            .map(|e| (e.asset.to_string(), (e.job, e.state)))
            .collect();
        drop(store);
        for asset in alice.iter().filter(|a| expected.contains(&a.id)) {
            let (job, state) = entries.get(&asset.id).expect("recorded");
            assert_eq!(*state, EntryState::Added);
            if !shows("Leo", asset) {
                assert_eq!(job, "kids-a");
            }
            if !shows("Mia", asset) {
                assert_eq!(job, "kids-b");
            }
        }

        // Each prunes only its own: running both again removes nothing.
        for path in [&a, &b] {
            let output = spawn(path).unwrap();
            assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
            assert!(
                !stdout_of(&output).contains("removed"),
                "{}",
                stdout_of(&output)
            );
        }
        assert_same(
            &album(sim, "Shared"),
            &expected,
            "nothing pruned across jobs",
        );
    });
}
