//! Promises that hold for months: the sequences of people's edits, outages, moves and schedules that
//! broke them on real servers (Immich 3.1.0 and 2.5.6), each played against the simulator on both
//! lines. Every check reads the albums, their members and the links from the simulator, and the
//! record from its database, never from the tool's report.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Duration;

use crate::common::{self, Setup, on_both_lines, stderr_of, stdout_if, stdout_of};
use immich_smart_albums::sim::{
    FaultPlan, FaultRule, ImmichLine, PersonAct, Role, SimAsset, Simulator,
};
use immich_smart_albums::state::EntryState;

/// Both accounts' photos of Mia in one album, pruned.
const KIDS: &str = "
profile: family
jobs:
  kids:
    include: [{people: [Mia]}]
    album: Kids
    prune: true
    max_removal_fraction: 1
";

fn shows(person: &str, asset: &SimAsset) -> bool {
    asset.people.iter().any(|p| p == person)
}

/// The timeline photos of `person` in `accounts`, one copy of each file (the first account's, as the
/// tool dedupes by checksum): what a job selects.
fn photos_of(sim: &Simulator, accounts: &[&str], person: &str) -> Vec<SimAsset> {
    let mut seen = std::collections::HashSet::new();
    accounts
        .iter()
        .flat_map(|a| sim.assets(a))
        .filter(|a| a.visibility == "timeline" && !a.trashed && shows(person, a))
        .filter(|a| seen.insert(a.checksum.clone()))
        .collect()
}

fn ids(assets: &[SimAsset]) -> BTreeSet<String> {
    assets.iter().map(|a| a.id.clone()).collect()
}

fn album_id(sim: &Simulator, name: &str) -> String {
    let ids = sim.album_by_name(name);
    assert_eq!(ids.len(), 1, "one album named {name}");
    ids[0].clone()
}

fn album(sim: &Simulator, name: &str) -> BTreeSet<String> {
    sim.album_assets(&album_id(sim, name)).into_iter().collect()
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

/// The record of an album, read from the database: asset id → (job, state).
fn record(setup: &Setup, album: &str) -> HashMap<String, (String, EntryState)> {
    common::recorded(&setup.state_dir(), &album_id(&setup.sim, album))
        .into_iter()
        .map(|e| (e.asset.to_string(), (e.job, e.state)))
        .collect()
}

fn in_state(record: &HashMap<String, (String, EntryState)>, state: EntryState) -> BTreeSet<String> {
    record
        .iter()
        .filter(|(_, (_, s))| *s == state)
        .map(|(id, _)| id.clone())
        .collect()
}

/// A simulator with the KIDS job synced once: the setup, the job file's path and the album's id.
fn kids_synced() -> (Setup, String, String) {
    let setup = Setup::new(common::sim());
    let job = setup.job("jobs.yaml", KIDS).display().to_string();
    stdout_if(&sync(&setup, &[&job]), 0);
    let kids = album_id(&setup.sim, "Kids");
    (setup, job, kids)
}

fn sync(setup: &Setup, args: &[&str]) -> std::process::Output {
    let mut all = vec!["sync"];
    all.extend_from_slice(args);
    setup.run(&all)
}

/// On 2.x a search answers only the caller's own assets, even for an album: the second sync of a
/// two-account job once took all of bob's photos for "removed by someone" (tombstones), and prune
/// could never take them out.
#[test]
fn the_second_sync_of_a_two_account_album_keeps_the_record_true_and_prunes_every_account() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", KIDS);
        let job = job.to_str().unwrap();
        let expected = ids(&photos_of(sim, &["alice", "bob"], "Mia"));
        stdout_if(&sync(&setup, &[job]), 0);
        assert_same(&album(sim, "Kids"), &expected, "the first sync");

        let second = stdout_if(&sync(&setup, &[job]), 0);
        assert!(!second.contains("removed by someone"), "{second}");
        let recorded = record(&setup, "Kids");
        assert_same(
            &in_state(&recorded, EntryState::Added),
            &expected,
            "every photo the tool added is recorded as added, bob's too",
        );
        assert!(in_state(&recorded, EntryState::Tombstone).is_empty());

        // Two of bob's photos stop showing Mia: prune takes them out.
        let bobs = photos_of(sim, &["bob"], "Mia");
        for photo in &bobs[..2] {
            sim.untag(&photo.id, "Mia");
        }
        // A face change moves no update time: a full run sees it.
        stdout_if(&sync(&setup, &[job, "--full"]), 0);
        let now = ids(&photos_of(sim, &["alice", "bob"], "Mia"));
        assert_same(&album(sim, "Kids"), &now, "bob's untagged photos left");
        let recorded = record(&setup, "Kids");
        for photo in &bobs[..2] {
            assert_eq!(recorded[&photo.id].1, EntryState::Removed);
        }
    });
}

/// On 2.x the album's listing through a search left out bob's copy of a shared file that bob had put
/// in by hand, and alice's copy was added beside it.
#[test]
fn a_file_a_person_put_in_under_another_accounts_copy_is_not_added_twice() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", KIDS);
        let album = sim.create_album("alice", "Kids", &[("bob", Role::Editor)]);
        let alices = &photos_of(sim, &["alice"], "Mia")[0];
        let bobs_copy = sim.give_file("bob", alices);
        sim.add_to_album(&album, std::slice::from_ref(&bobs_copy));
        stdout_if(&sync(&setup, &[job.to_str().unwrap()]), 0);
        let held = album_of_files(sim, &album);
        assert_eq!(held.get(&alices.checksum), Some(&1), "one copy of the file");
        assert!(sim.album_assets(&album).contains(&bobs_copy));
    });
}

/// How many copies of each file (checksum) an album holds.
fn album_of_files(sim: &Simulator, album: &str) -> HashMap<String, usize> {
    let held: BTreeSet<String> = sim.album_assets(album).into_iter().collect();
    let mut files = HashMap::new();
    for asset in ["alice", "bob"].iter().flat_map(|a| sim.assets(a)) {
        if held.contains(&asset.id) {
            *files.entry(asset.checksum).or_insert(0) += 1;
        }
    }
    files
}

/// On 2.x a search without `visibility` answers the timeline only: an archived photo the tool added
/// became a tombstone and was never pruned, also after `--adopt`; and an exclusion missed an archived
/// copy of a file.
#[test]
fn archived_photos_leave_a_pruned_album_and_archived_copies_still_exclude() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", KIDS);
        let job = job.to_str().unwrap();
        stdout_if(&sync(&setup, &[job]), 0);
        let (alices, bobs) = (
            photos_of(sim, &["alice"], "Mia"),
            photos_of(sim, &["bob"], "Mia"),
        );
        sim.set_visibility(&alices[0].id, "archive");
        sim.set_visibility(&bobs[0].id, "archive");
        let out = stdout_if(&sync(&setup, &[job]), 0);
        assert!(out.contains("2 archived"), "{out}");
        let held = album(sim, "Kids");
        assert!(!held.contains(&alices[0].id) && !held.contains(&bobs[0].id));
        let recorded = record(&setup, "Kids");
        assert_eq!(recorded[&bobs[0].id].1, EntryState::Removed);

        // An album someone filled by hand, adopted, then a photo in it archived.
        let by_hand = sim.create_album("alice", "Filled by hand", &[("bob", Role::Editor)]);
        let selected = ids(&photos_of(sim, &["alice", "bob"], "Mia"));
        sim.add_to_album(&by_hand, &selected.iter().cloned().collect::<Vec<_>>());
        let adopted = KIDS.replace("album: Kids", "album: Filled by hand");
        let adopted = setup.job("adopted.yaml", &adopted);
        let adopted = adopted.to_str().unwrap();
        stdout_if(&sync(&setup, &[adopted, "--adopt"]), 0);
        sim.set_visibility(&bobs[1].id, "archive");
        stdout_if(&sync(&setup, &[adopted]), 0);
        assert!(!sim.album_assets(&by_hand).contains(&bobs[1].id));

        // Bob's archived copy of one of alice's photos, flagged by an exclusion: alice's copy stays
        // out, on both lines.
        let flagged = &alices[2];
        let copy = sim.give_file("bob", flagged);
        sim.set_visibility(&copy, "archive");
        // Words no other photo shows all of: the copy ranks first.
        let words = ["nsfw", "snow", "dog", "cake", "car", "sunset"];
        sim.add_words(&copy, &words);
        let excluding = KIDS.replace("album: Kids", "album: Clean").replace(
            "prune: true",
            &format!(
                "exclude: [{{smart: {{query: {}, resultLimit: 1}}}}]\n    prune: true",
                words.join(" ")
            ),
        );
        let excluding = setup.job("excluding.yaml", &excluding);
        stdout_if(&sync(&setup, &[excluding.to_str().unwrap()]), 0);
        assert!(!album(sim, "Clean").contains(&flagged.id));
    });
}

/// An album made while the answer was lost, bob among its members, and a person who takes bob out
/// before any sync claims it: the claiming sync notes bob as a member the tool made it with, so he
/// is not shared it again (the life simulation's seed 6053 on 3.1: the claim noted only the members
/// it saw, and took bob for one never shared).
#[test]
fn a_member_taken_out_of_an_album_whose_making_answer_was_lost_is_not_shared_it_again() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", KIDS);
        let job = job.to_str().unwrap();
        // The album is made, its answer lost.
        sim.set_faults(FaultPlan {
            seed: 1,
            rules: vec![FaultRule {
                status_502: 1.0,
                after_handler: 1.0,
                ..FaultRule::new("POST /api/albums")
            }],
            always_fail: Vec::new(),
        });
        let first = sync(&setup, &[job]);
        assert_eq!(first.status.code(), Some(1), "{}", stderr_of(&first));
        sim.clear_faults();
        let kids = album_id(sim, "Kids");
        assert_eq!(
            sim.album_members(&kids),
            [("bob".to_string(), Role::Editor)],
            "made with bob"
        );
        // A person takes bob out before the next sync.
        sim.remove_album_member(&kids, "bob");
        for _ in 0..2 {
            let output = sync(&setup, &[job]);
            assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
            assert!(
                stdout_of(&output).contains("a person took bob out of it"),
                "{}",
                stdout_of(&output)
            );
            assert!(
                sim.album_members(&kids).is_empty(),
                "bob was shared it again"
            );
        }
        assert_eq!(album_id(sim, "Kids"), kids, "the album was not made twice");
    });
}

/// The first sync ran while bob's key failed: the album the tool made was shared only with the
/// accounts that connected, and every later sync said "bob is not a member" forever. Now each run
/// shares the albums the tool made with the job's accounts, but never again with one a person took
/// out.
#[test]
fn an_album_made_while_an_account_failed_is_shared_with_it_later_but_not_after_a_person_took_it_out()
 {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", KIDS);
        let job = job.to_str().unwrap();
        let first = setup
            .bin()
            .env("TEST_KEY_BOB", "not-bobs-key")
            .args(["sync", job])
            .output()
            .unwrap();
        assert_eq!(first.status.code(), Some(1), "{}", stderr_of(&first));
        let out = stdout_of(&first);
        assert!(
            out.contains("bob failed") && !out.contains("bob knows no person"),
            "a failed account's people are not known, not missing: {out}"
        );
        assert!(
            !out.contains("no longer found"),
            "nor are its photos no longer found: {out}"
        );
        let kids = album_id(sim, "Kids");
        assert!(sim.album_members(&kids).is_empty(), "bob was down");

        let preview = stdout_if(&setup.run(&["preview", job]), 0);
        assert!(preview.contains("to share with bob as editor"), "{preview}");
        let out = stdout_if(&sync(&setup, &[job]), 0);
        assert!(out.contains("shared with bob as editor"), "{out}");
        assert_eq!(
            sim.album_members(&kids),
            [("bob".to_string(), Role::Editor)]
        );
        assert_same(
            &album(sim, "Kids"),
            &ids(&photos_of(sim, &["alice", "bob"], "Mia")),
            "bob's photos joined",
        );

        // One of bob's photos leaves the album (archived) and comes back to the job's selection after
        // a person took bob out: it waits, and the tool says why.
        let waiting = photos_of(sim, &["bob"], "Mia")[0].clone();
        sim.set_visibility(&waiting.id, "archive");
        stdout_if(&sync(&setup, &[job]), 0);
        // A person takes bob out: the tool does not share it again, and says so (exit 1).
        sim.remove_album_member(&kids, "bob");
        sim.set_visibility(&waiting.id, "timeline");
        for _ in 0..2 {
            let output = sync(&setup, &[job]);
            let out = stdout_of(&output);
            assert_eq!(output.status.code(), Some(1), "{out}");
            assert!(out.contains("took bob out of it"), "{out}");
            assert!(
                out.contains("bob was taken out of album `Kids` by a person")
                    && out.contains("1 photo waits"),
                "{out}"
            );
            assert!(sim.album_members(&kids).is_empty(), "not shared again");
            assert!(!sim.album_assets(&kids).contains(&waiting.id));
        }
        // For cron: `--quiet` prints one line, and what is wrong on stderr.
        let output = sync(&setup, &[job, "--quiet"]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("took bob out of it"), "{stderr}");
    });
}

/// Two jobs fill one album. Job b added a photo; a person took it out; job a, which selects it too,
/// added it back (only tombstones counted, and b's row was another job's).
#[test]
fn a_photo_a_person_took_out_is_not_added_back_by_another_job_of_the_album() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let both = "
profile: family
jobs:
  a:
    accounts: [alice]
    include: [{people: [Mia]}]
    album: Family
  b:
    accounts: [alice]
    include: [{people: [Leo]}]
    album: Family
";
        let job = setup.job("jobs.yaml", both);
        let job = job.to_str().unwrap();
        let shared = photos_of(sim, &["alice"], "Mia")
            .into_iter()
            .find(|a| shows("Leo", a))
            .expect("a photo of Mia and Leo");
        stdout_if(&sync(&setup, &[job, "--job", "b"]), 0);
        let family = album_id(sim, "Family");
        assert!(sim.album_assets(&family).contains(&shared.id));
        sim.remove_from_album(&family, std::slice::from_ref(&shared.id));

        let out = stdout_if(&sync(&setup, &[job, "--job", "a"]), 0);
        assert!(!sim.album_assets(&family).contains(&shared.id), "{out}");
        assert!(out.contains("removed by someone, not added again"), "{out}");
        stdout_if(&sync(&setup, &[job]), 0);
        assert!(!sim.album_assets(&family).contains(&shared.id));

        // `state show` counts it for every job of the album; `state forget` of either job brings it
        // back: a tombstone is the album's.
        let shown = stdout_if(&setup.run(&["state", "show", job]), 0);
        let tombstones = shown
            .lines()
            .filter(|l| l.contains("removed by someone, not added again"))
            .map(|l| l.trim_end().rsplit(' ').next().unwrap().to_string())
            .collect::<Vec<_>>();
        assert_eq!(tombstones, ["1", "1"], "{shown}");
        stdout_if(&setup.run(&["state", "forget", job, "--job", "a"]), 0);
        stdout_if(&sync(&setup, &[job, "--job", "a"]), 0);
        assert!(sim.album_assets(&family).contains(&shared.id));
    });
}

/// `--confirm-removals` and `--adopt` are for one run: on a schedule they held for as long as the
/// process lived.
#[test]
fn one_run_flags_are_refused_on_a_schedule_before_anything_happens() {
    let setup = Setup::new(common::sim());
    let job = setup.job("jobs.yaml", KIDS);
    let job = job.to_str().unwrap();
    for args in [
        vec!["sync", job, "--every", "1h", "--confirm-removals"],
        vec!["sync", job, "--schedule", "0 3 * * *", "--adopt"],
    ] {
        let output = setup.run(&args);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("is for one run") && stderr.contains("by hand"),
            "{stderr}"
        );
    }
    assert!(setup.sim.requests().is_empty(), "not one request");
}

/// The record was keyed by the server's URL: reached as `localhost` instead of `127.0.0.1`, a photo
/// a person took out came back, and nothing the tool added could be pruned.
#[test]
fn a_server_reached_under_a_new_url_keeps_its_tombstones_and_prune() {
    on_both_lines(|| {
        let (setup, job, kids) = kids_synced();
        let (sim, job) = (&setup.sim, job.as_str());
        let photos = photos_of(sim, &["alice", "bob"], "Mia");
        let (taken_out, untagged) = (&photos[0], &photos[1]);
        sim.remove_from_album(&kids, std::slice::from_ref(&taken_out.id));

        let profile = setup.dir.path().join("profiles/family.yaml");
        let text = std::fs::read_to_string(&profile).unwrap();
        let moved = text.replace("127.0.0.1", "localhost");
        assert_ne!(text, moved);
        std::fs::write(&profile, moved).unwrap();
        sim.untag(&untagged.id, "Mia");
        stdout_if(&sync(&setup, &[job, "--full"]), 0);
        let held = album(sim, "Kids");
        assert!(!held.contains(&taken_out.id), "not added again");
        assert!(!held.contains(&untagged.id), "pruned under the new URL");
    });
}

/// The safe album kept what a new exclusion flagged whenever the breaker tripped or any account had
/// failed. Leaving a flagged photo in is the harmful direction: what a succeeded exclusion flags
/// leaves past both.
#[test]
fn the_safe_album_lets_what_its_exclusions_flag_go_past_the_breaker_and_failed_accounts() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let yaml = "
profile: family
jobs:
  kids:
    include: [{people: [Mia]}]
    album: Kids
    max_removals: 1
    safe:
      album: Kids (safe)
      exclude: [{smart: {query: nsfw, resultLimit: 30}}]
";
        let job = setup.job("jobs.yaml", yaml);
        let job = job.to_str().unwrap();
        stdout_if(&sync(&setup, &[job]), 0);
        let safe = album_id(sim, "Kids (safe)");
        let held: BTreeSet<String> = sim.album_assets(&safe).into_iter().collect();
        let newly_flagged: Vec<SimAsset> = photos_of(sim, &["alice", "bob"], "Mia")
            .into_iter()
            .filter(|a| held.contains(&a.id))
            .take(4)
            .collect();
        for photo in &newly_flagged {
            sim.add_words(&photo.id, &["nsfw", "swimsuit"]);
        }
        let out = stdout_if(&sync(&setup, &[job]), 0);
        assert!(out.contains("4 removed (4 excluded)"), "{out}");
        let held: BTreeSet<String> = sim.album_assets(&safe).into_iter().collect();
        assert!(newly_flagged.iter().all(|a| !held.contains(&a.id)));

        // Bob's key fails; alice's exclusion still flags one of her photos: it leaves the safe album.
        let alices: Vec<SimAsset> = photos_of(sim, &["alice"], "Mia")
            .into_iter()
            .filter(|a| held.contains(&a.id))
            .collect();
        sim.add_words(&alices[0].id, &["nsfw", "swimsuit"]);
        let output = setup
            .bin()
            .env("TEST_KEY_BOB", "not-bobs-key")
            .args(["sync", job])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
        assert!(!sim.album_assets(&safe).contains(&alices[0].id));
    });
}

/// Offset pages can shift while they are read: a person adds photos while the tool reads the album.
/// On 3.x the album then changed between its listing and its count; read three times over without
/// coming to rest, the listing is not trusted: nothing is taken for a person's removal, claimed or
/// pruned in that run (and the report says why); the next run catches up. 2.x answers the album and
/// its count in one response.
#[test]
fn a_listing_read_while_a_person_changes_the_album_settles_nothing_that_run() {
    on_both_lines(|| {
        let (setup, job, kids) = kids_synced();
        let (sim, job) = (&setup.sim, job.as_str());
        let photos = photos_of(sim, &["alice", "bob"], "Mia");
        let (taken_out, untagged) = (&photos[0], &photos[1]);
        sim.remove_from_album(&kids, std::slice::from_ref(&taken_out.id));
        sim.untag(&untagged.id, "Mia");
        // A person adds a photo every time the tool reads the album again: on 3.x that is after each
        // listing (the tool reads the album twice more before it gives up); on 2.x before the one
        // answer that holds both the album and its assets.
        let someone_elses: Vec<SimAsset> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| {
                a.visibility == "timeline"
                    && !shows("Mia", a)
                    && !sim.album_assets(&kids).contains(&a.id)
            })
            .take(match common::line() {
                ImmichLine::V3_1 => 3,
                ImmichLine::V2_5 => 1,
            })
            .collect();
        for photo in &someone_elses {
            sim.before(
                "GET /api/albums/*",
                PersonAct::AddToAlbum {
                    album: kids.clone(),
                    assets: vec![photo.id.clone()],
                },
            );
        }
        let output = sync(&setup, &[job, "--full"]);
        let out = stdout_of(&output);
        let recorded = record(&setup, "Kids");
        match common::line() {
            ImmichLine::V3_1 => {
                assert_eq!(output.status.code(), Some(1), "{out}");
                assert!(out.contains("the album changed while it was read"), "{out}");
                assert_eq!(
                    recorded[&taken_out.id].1,
                    EntryState::Added,
                    "no tombstone yet"
                );
                assert!(
                    sim.album_assets(&kids).contains(&untagged.id),
                    "nothing pruned"
                );
                assert!(
                    !sim.album_assets(&kids).contains(&taken_out.id),
                    "nor re-added"
                );
            }
            ImmichLine::V2_5 => {
                assert_eq!(output.status.code(), Some(0), "{out}");
            }
        }
        // The next run catches up.
        stdout_if(&sync(&setup, &[job, "--full"]), 0);
        let recorded = record(&setup, "Kids");
        assert_eq!(recorded[&taken_out.id].1, EntryState::Tombstone);
        assert!(!sim.album_assets(&kids).contains(&untagged.id));
        for photo in &someone_elses {
            assert!(sim.album_assets(&kids).contains(&photo.id));
            assert!(!recorded.contains_key(&photo.id), "the person's");
        }
    });
}

/// A person puts a photo into the album between the tool's listing and its add: the add answers
/// `duplicate` to a request sent once. The photo is the person's, and prune never takes it out.
#[test]
fn a_photo_a_person_added_during_the_tools_add_stays_theirs() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", KIDS);
        let job = job.to_str().unwrap();
        let kids = sim.create_album("alice", "Kids", &[("bob", Role::Editor)]);
        let theirs = photos_of(sim, &["alice"], "Mia")[0].clone();
        sim.before(
            "PUT /api/albums/*/assets",
            PersonAct::AddToAlbum {
                album: kids.clone(),
                assets: vec![theirs.id.clone()],
            },
        );
        stdout_if(&sync(&setup, &[job]), 0);
        assert!(sim.album_assets(&kids).contains(&theirs.id));
        assert!(!record(&setup, "Kids").contains_key(&theirs.id));
        sim.untag(&theirs.id, "Mia");
        stdout_if(&sync(&setup, &[job, "--full"]), 0);
        assert!(
            sim.album_assets(&kids).contains(&theirs.id),
            "a person's photo is never pruned"
        );
    });
}

/// The safe album's link followed the job only once: a password added later, or downloads turned
/// off, never reached it; and every link showed the photos' metadata (places) to anyone with the URL.
#[test]
fn the_shared_link_follows_the_job_and_hides_metadata_unless_asked() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let base = "
profile: family
jobs:
  kids:
    accounts: [alice]
    include: [{people: [Mia]}]
    album: Kids
    safe:
      album: Kids (relatives)
      exclude: [{smart: {query: nsfw, resultLimit: 10}}]
      shared_link:
        expires: 90d
";
        let write = |extra: &str| setup.job("jobs.yaml", &format!("{base}{extra}"));
        let job = write("");
        let job = job.to_str().unwrap();
        let run = |password: Option<&str>| {
            let mut cmd = setup.bin();
            if let Some(password) = password {
                cmd.env("LINK_PASSWORD", password);
            }
            let output = cmd.args(["sync", job]).output().unwrap();
            let text = format!("{}{}", stdout_of(&output), stderr_of(&output));
            if let Some(password) = password {
                assert!(!text.contains(password), "the password is never printed");
            }
            assert_eq!(output.status.code(), Some(0), "{text}");
            text
        };
        run(None);
        let safe = album_id(sim, "Kids (relatives)");
        let links = sim.shared_links(&safe);
        assert_eq!(links.len(), 1);
        let link = links[0].0.clone();
        assert_eq!(
            sim.shared_link_settings(&link),
            (None, false, false, false),
            "no metadata, so no downloads; no uploads"
        );

        // A person gives the link a nicer URL; Immich's PATCH would take it away unless sent again.
        sim.set_link_slug(&link, "for-grandma");
        write("        password_env: LINK_PASSWORD\n");
        let out = run(Some("open sesame"));
        assert_eq!(sim.link_slug(&link).as_deref(), Some("for-grandma"));
        assert!(out.contains("set its password"), "{out}");
        assert_eq!(
            sim.shared_link_settings(&link),
            (Some("open sesame".into()), false, false, false)
        );
        run(Some("open sesame"));
        assert_eq!(sim.shared_links(&safe).len(), 1, "the same link, kept");

        // Metadata shown: downloads follow, unless the job says otherwise; the password goes.
        write("        show_metadata: true\n");
        let out = run(None);
        assert!(
            out.contains("take its password away")
                && out.contains("allow downloads")
                && out.contains("show metadata"),
            "{out}"
        );
        assert_eq!(sim.shared_link_settings(&link), (None, true, true, false));

        // Downloads of originals that carry the metadata the link hides: refused, nothing changed.
        write("        allow_download: true\n");
        let output = setup.bin().args(["sync", job]).output().unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("show_metadata: true"), "{stderr}");
        assert_eq!(sim.shared_link_settings(&link), (None, true, true, false));
        assert!(
            !std::fs::read(setup.state_dir().join("state.sqlite3"))
                .unwrap()
                .windows(11)
                .any(|w| w == b"open sesame")
        );
    });
}

/// The record holds the safe album's link URL: its directory is the owner's alone, as is the
/// database, and an existing one that others may read is tightened.
#[cfg(unix)]
#[test]
fn the_record_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let setup = Setup::new(common::sim());
    let job = setup.job("jobs.yaml", KIDS);
    std::fs::create_dir_all(setup.state_dir()).unwrap();
    std::fs::set_permissions(setup.state_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    stdout_if(&sync(&setup, &[job.to_str().unwrap()]), 0);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&setup.state_dir()), 0o700);
    for file in ["state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm"] {
        let path = setup.state_dir().join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }

    // A state directory that holds more than the record (a home directory, say) is not changed:
    // the record's files are private, and a warning says how to give it a directory of its own.
    let shared = setup.dir.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(shared.join("notes.txt"), "mine").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = setup
        .bin()
        .env("IMMICH_SMART_ALBUMS_STATE_DIR", &shared)
        .args(["sync", job.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("holds more than the record"), "{stderr}");
    assert_eq!(mode(&shared), 0o755);
    assert_eq!(mode(&shared.join("state.sqlite3")), 0o600);
}

/// A server whose `/.well-known/immich` names an API on another host: the key is not sent there.
#[test]
fn a_well_known_document_naming_another_host_is_not_followed_with_the_key() {
    let sim = common::sim();
    sim.set_api_endpoint("http://192.0.2.1:2283/api");
    let output = common::bin()
        .args(["--server", &sim.url()])
        .env("IMMICH_API_KEY", sim.account("alice").api_key)
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("http://192.0.2.1:2283/api") && stderr.contains("not sent there"),
        "{stderr}"
    );
    assert!(
        sim.requests().iter().all(|r| r.account.is_none()),
        "no request carried the key"
    );

    // `--key` on the command line works, and warns that the process list shows it.
    let sim = common::sim();
    let output = common::bin()
        .args(["--server", &sim.url(), "--key"])
        .arg(sim.account("alice").api_key)
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("--key on the command line") && stderr.contains("IMMICH_API_KEY"),
        "{stderr}"
    );
}

/// The help says what the tool does now: jobs prune; nothing is deleted from a library.
#[test]
fn the_help_says_what_the_tool_removes() {
    let help = stdout_of(&common::bin().arg("--help").output().unwrap());
    assert!(
        !help.contains("never removes anything from an album"),
        "{help}"
    );
    assert!(help.contains("never what a person put there"), "{help}");
    let sync = stdout_of(&common::bin().args(["sync", "--help"]).output().unwrap());
    assert!(sync.contains("prune"), "{sync}");
    assert!(sync.contains("not with --every or --schedule"), "{sync}");
}

/// Two job files fill one album that does not exist yet, and cron starts them at the same minute: both
/// found it missing, and each made one (two albums of one name, and every later sync an input error).
/// They now take turns to make it, and the second fills the album the first made.
#[test]
fn two_syncs_that_both_find_an_album_missing_make_it_once() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = |name: &str, person: &str| {
            format!(
                "profile: family\njobs:\n  {name}:\n    accounts: [alice]\n    include: [{{people: [{person}]}}]\n    album: Together\n"
            )
        };
        let a = setup.job("a.yaml", &job("kids-a", "Mia"));
        let b = setup.job("b.yaml", &job("kids-b", "Leo"));
        // Making an album takes a second: both syncs are past their lookup before either has made it.
        let mut slow = FaultRule::new("POST /api/albums");
        slow.latency = Some((Duration::from_secs(1), Duration::from_secs(1)));
        sim.set_faults(FaultPlan {
            seed: 1,
            rules: vec![slow],
            always_fail: Vec::new(),
        });
        let spawn = |path: &Path| setup.process().args(["sync", "--quiet"]).arg(path).output();
        let (first, second) = std::thread::scope(|scope| {
            let first = scope.spawn(|| spawn(&a).unwrap());
            let second = scope.spawn(|| spawn(&b).unwrap());
            (first.join().unwrap(), second.join().unwrap())
        });
        assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
        assert_eq!(second.status.code(), Some(0), "{}", stderr_of(&second));
        assert_eq!(sim.album_by_name("Together").len(), 1, "one album");
        let mut expected = ids(&photos_of(sim, &["alice"], "Mia"));
        expected.extend(ids(&photos_of(sim, &["alice"], "Leo")));
        assert_same(&album(sim, "Together"), &expected, "both jobs' photos");
        let creates = sim
            .changing_requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/api/albums")
            .count();
        assert_eq!(creates, 1);
    });
}

/// A photo the tool added that a person moved to the trash or hid is still in the album (Immich keeps
/// it there), but leaves the job's selection: prune takes it out, as the tool's, not a person's
/// removal. 3.x lists the album with trashed and hidden assets; 2.x's album leaves them out, and each
/// account is asked for its own. Restored, it comes back.
#[test]
fn trashed_and_hidden_photos_the_tool_added_leave_a_pruned_album_on_both_lines() {
    on_both_lines(|| {
        let (setup, job, _) = kids_synced();
        let (sim, job) = (&setup.sim, job.as_str());
        let (alices, bobs) = (
            photos_of(sim, &["alice"], "Mia"),
            photos_of(sim, &["bob"], "Mia"),
        );
        let (trashed, hidden) = (&bobs[0], &alices[0]);
        sim.set_trashed(&trashed.id, true);
        sim.set_visibility(&hidden.id, "hidden");
        let out = stdout_if(&sync(&setup, &[job]), 0);
        assert!(
            out.contains("1 in the trash") && out.contains("1 hidden"),
            "{out}"
        );
        assert!(!out.contains("removed by someone"), "{out}");
        let held = album(sim, "Kids");
        assert!(!held.contains(&trashed.id) && !held.contains(&hidden.id));
        let recorded = record(&setup, "Kids");
        assert_eq!(recorded[&trashed.id].1, EntryState::Removed);
        assert_eq!(recorded[&hidden.id].1, EntryState::Removed);

        sim.set_trashed(&trashed.id, false);
        sim.set_visibility(&hidden.id, "timeline");
        stdout_if(&sync(&setup, &[job]), 0);
        let held = album(sim, "Kids");
        assert!(
            held.contains(&trashed.id) && held.contains(&hidden.id),
            "back"
        );
        assert_same(
            &held,
            &ids(&photos_of(sim, &["alice", "bob"], "Mia")),
            "the job's photos",
        );
    });
}

/// An account leaves the job: prune takes out what the tool added from it, also what 2.x leaves out
/// of the album's answer (a photo in that account's trash), which nobody can ask that account about
/// any more. The removal's answer tells the tool's removal from a person's (found by the life
/// simulation, seed 46 on 2.5).
#[test]
fn what_an_account_that_left_added_leaves_a_pruned_album_even_from_its_trash() {
    on_both_lines(|| {
        let (setup, _, kids) = kids_synced();
        let sim = &setup.sim;
        let bobs = photos_of(sim, &["bob"], "Mia");
        let (trashed, taken_out) = (&bobs[0], &bobs[1]);
        sim.set_trashed(&trashed.id, true);
        sim.remove_from_album(&kids, std::slice::from_ref(&taken_out.id));
        let alice_only = KIDS.replace(
            "    include:",
            "    accounts: [alice]\n    max_removals: 1000\n    include:",
        );
        let job = setup.job("alice.yaml", &alice_only);
        stdout_if(&sync(&setup, &[job.to_str().unwrap()]), 0);
        // The simulator's album, trash included: none of bob's photos is left in it.
        let held = album(sim, "Kids");
        assert!(
            bobs.iter().all(|b| !held.contains(&b.id)),
            "bob's photos left the album"
        );
        let recorded = record(&setup, "Kids");
        assert_eq!(recorded[&trashed.id].1, EntryState::Removed);
        assert_eq!(recorded[&taken_out.id].1, EntryState::Tombstone);

        // Bob restores his photo and comes back: the job adds it again, but not the one a person
        // took out.
        sim.set_trashed(&trashed.id, false);
        let job = setup.job("jobs.yaml", KIDS);
        stdout_if(&sync(&setup, &[job.to_str().unwrap()]), 0);
        let held = album(sim, "Kids");
        assert!(held.contains(&trashed.id) && !held.contains(&taken_out.id));
    });
}

/// 2.5.6 answers an album and its count from two queries: an add between them makes the answer
/// disagree with itself. The tool reads such an album again, up to three times, before it takes the
/// listing as incomplete; an album at rest is read once.
#[test]
fn a_2x_album_that_answers_two_sizes_is_read_again_and_then_distrusted() {
    let sim = immich_smart_albums::sim::Simulator::start(immich_smart_albums::sim::SimConfig {
        seed: 7,
        accounts: vec!["alice".into(), "bob".into()],
        assets_per_account: 300,
        immich: ImmichLine::V2_5,
        ..Default::default()
    })
    .unwrap();
    let setup = Setup::new(sim);
    let sim = &setup.sim;
    let job = setup.job("jobs.yaml", KIDS).display().to_string();
    stdout_if(&sync(&setup, &[&job]), 0);
    let kids = album_id(sim, "Kids");
    let reads = |sim: &Simulator| {
        sim.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path == format!("/api/albums/{kids}"))
            .filter(|r| r.query.as_deref() != Some("withoutAssets=true"))
            .count()
    };
    let untagged = &photos_of(sim, &["alice"], "Mia")[0];
    sim.untag(&untagged.id, "Mia");

    // At rest: one read, and no account is asked for its trashed or hidden assets in the album (the
    // album holds all the record has).
    sim.clear_requests();
    let preview = stdout_if(&setup.run(&["preview", &job]), 0);
    assert!(preview.contains("1 to remove"), "{preview}");
    assert_eq!(reads(sim), 1);
    let album_searches = sim
        .requests()
        .iter()
        .filter(|r| r.body.as_ref().is_some_and(|b| b.get("albumIds").is_some()))
        .count();
    assert_eq!(album_searches, 0);

    // One answer of two sizes: read again, then trusted, and the sync prunes.
    sim.miscount_albums(1);
    sim.clear_requests();
    stdout_if(&sync(&setup, &[&job, "--full"]), 0);
    assert_eq!(reads(sim), 2);
    assert!(!album(sim, "Kids").contains(&untagged.id));

    // Every answer of two sizes: three reads, then nothing is settled or removed (exit 1).
    let second = &photos_of(sim, &["alice"], "Mia")[0];
    sim.untag(&second.id, "Mia");
    sim.miscount_albums(100);
    sim.clear_requests();
    let output = sync(&setup, &[&job, "--full"]);
    let out = stdout_of(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("but counts"), "{out}");
    assert_eq!(reads(sim), 3);
    assert!(album(sim, "Kids").contains(&second.id), "nothing removed");
}
