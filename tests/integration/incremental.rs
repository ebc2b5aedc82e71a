//! Incremental syncs (docs/jobs.md, "What a sync reads"): a sync after a complete one reads what
//! changed since, on both lines. Every check reads the albums from the simulator, the requests and
//! their sizes from its log, and the watermarks from the record, never from the tool's report.

use std::collections::BTreeSet;

use crate::common::{self, Setup, on_both_lines, stdout_if};
use immich_smart_albums::sim::{LoggedRequest, SimAsset, Simulator};
use immich_smart_albums::state::{EntryState, SearchMark, Store};

/// Both accounts' photos of Mia, pruned, and a safe album without the favourites.
const KIDS: &str = "
profile: family
jobs:
  kids:
    include: [{people: [Mia]}]
    album: Kids
    prune: true
    max_removal_fraction: 1
    safe:
      album: Kids (safe)
      prune: true
      exclude: [{metadata: {isFavorite: true}}]
";

/// The same without the safe album.
const MAIN_ONLY: &str = "
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

/// What the job selects: the timeline photos of Mia in both accounts, one copy per file.
fn selected(sim: &Simulator) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    ["alice", "bob"]
        .iter()
        .flat_map(|a| sim.assets(a))
        .filter(|a| a.visibility == "timeline" && !a.trashed && shows("Mia", a))
        .filter(|a| seen.insert(a.checksum.clone()))
        .map(|a| a.id)
        .collect()
}

fn album(sim: &Simulator, name: &str) -> BTreeSet<String> {
    let ids = sim.album_by_name(name);
    assert_eq!(ids.len(), 1, "one album named {name}");
    sim.album_assets(&ids[0]).into_iter().collect()
}

/// The files of an album (an asset and its other account's copy are one file).
fn files(sim: &Simulator, ids: &BTreeSet<String>) -> BTreeSet<String> {
    ["alice", "bob"]
        .iter()
        .flat_map(|a| sim.assets(a))
        .filter(|a| ids.contains(&a.id))
        .map(|a| a.checksum)
        .collect()
}

/// Bytes the simulator sent, over the requests it logged.
fn bytes(requests: &[LoggedRequest]) -> u64 {
    requests.iter().filter_map(|r| r.response_bytes).sum()
}

/// A search the change step sends: everything updated since the watermark, trashed too.
fn is_change_search(r: &LoggedRequest) -> bool {
    r.body
        .as_ref()
        .is_some_and(|b| b.get("updatedAfter").is_some() && b.get("personIds").is_none())
}

fn asks(r: &LoggedRequest, key: &str) -> bool {
    r.body.as_ref().is_some_and(|b| b.get(key).is_some())
}

/// A setup with the job file written and synced once (a full run).
fn synced(text: &str) -> (Setup, String) {
    let setup = Setup::new(common::sim());
    let job = setup.job("jobs.yaml", text).to_str().unwrap().to_string();
    stdout_if(&setup.run(&["sync", &job]), 0);
    (setup, job)
}

/// [`synced`], with a profile without margin ([`without_margin`]).
fn synced_without_margin(text: &str) -> (Setup, String) {
    let setup = Setup::new(common::sim());
    without_margin(&setup);
    let job = setup.job("jobs.yaml", text).to_str().unwrap().to_string();
    stdout_if(&setup.run(&["sync", &job]), 0);
    (setup, job)
}

/// One of alice's timeline photos that shows Mia, or that does not.
fn alices(sim: &Simulator, of_mia: bool) -> SimAsset {
    sim.assets("alice")
        .into_iter()
        .find(|a| a.visibility == "timeline" && !a.trashed && shows("Mia", a) == of_mia)
        .expect("alice has one")
}

/// Waits for the clock (the simulator's too: it runs on this machine) to enter the next whole
/// second: a run started after it has a watermark (whole seconds) later than anything done before.
fn next_second() {
    let second = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let now = second();
    while second() == now {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The profile with no margin: the watermark alone bounds what a run reads.
fn without_margin(setup: &Setup) {
    let path = setup.dir.path().join("profiles/family.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("recognition_margin: 0s\n{text}")).unwrap();
}

fn marks(setup: &Setup) -> Vec<Option<SearchMark>> {
    let store = Store::open(&setup.state_dir().join("state.sqlite3")).unwrap();
    ["alice", "bob"]
        .iter()
        .map(|a| {
            let user = setup.sim.account(a).user_id;
            store.search_mark("kids", &user).unwrap()
        })
        .collect()
}

#[test]
fn an_unchanged_sync_asks_what_changed_and_reads_a_few_kilobytes() {
    on_both_lines(|| {
        let setup = Setup::new(common::sim());
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", MAIN_ONLY);
        let job = job.to_str().unwrap();
        sim.clear_requests();
        let first = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(
            first.contains("read: everything (a full run: no earlier complete run to start from)"),
            "{first}"
        );
        let full = sim.requests();

        sim.clear_requests();
        let second = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(second.contains("read: what changed since"), "{second}");
        let unchanged = sim.requests();
        // Nothing changed: neither a person search nor an album listing is sent, only the change
        // search (one per visibility on 2.x).
        assert!(
            !unchanged.iter().any(|r| asks(r, "personIds")),
            "{unchanged:#?}"
        );
        assert!(!unchanged.iter().any(|r| asks(r, "albumIds")));
        let changes = unchanged.iter().filter(|r| is_change_search(r)).count();
        let per_account = match common::line() {
            immich_smart_albums::sim::ImmichLine::V3_1 => 1,
            immich_smart_albums::sim::ImmichLine::V2_5 => 3,
        };
        assert_eq!(changes, 2 * per_account);
        let (full, unchanged) = (bytes(&full), bytes(&unchanged));
        assert!(
            unchanged * 20 <= full,
            "an unchanged run read {unchanged} bytes, a full one {full}"
        );
        assert_eq!(album(sim, "Kids").len(), files(sim, &selected(sim)).len());
    });
}

#[test]
fn new_archived_and_trashed_photos_and_peoples_edits_reach_the_albums_on_the_next_incremental_run()
{
    on_both_lines(|| {
        let (setup, job) = synced_without_margin(KIDS);
        let (sim, job) = (&setup.sim, job.as_str());
        let kids = sim.album_by_name("Kids").remove(0);
        let alices: Vec<SimAsset> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| a.visibility == "timeline" && shows("Mia", a))
            .collect();
        let (archived, trashed, taken_out, favourite) =
            (&alices[0], &alices[1], &alices[2], &alices[3]);
        sim.set_visibility(&archived.id, "archive");
        sim.set_trashed(&trashed.id, true);
        sim.remove_from_album(&kids, std::slice::from_ref(&taken_out.id));
        sim.set_favorite(&favourite.id, true);
        let uploaded = sim.upload_photo("bob", &["Mia"]);
        let someone = sim
            .assets("alice")
            .into_iter()
            .find(|a| a.visibility == "timeline" && !shows("Mia", a))
            .unwrap();
        sim.add_to_album(&kids, std::slice::from_ref(&someone.id));

        sim.clear_requests();
        let out = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(out.contains("read: what changed since"), "{out}");
        // The person searches are narrowed to what changed, never asked whole.
        let people: Vec<LoggedRequest> = sim
            .requests()
            .into_iter()
            .filter(|r| asks(r, "personIds"))
            .collect();
        assert!(!people.is_empty());
        assert!(
            people.iter().all(|r| asks(r, "updatedAfter")),
            "{people:#?}"
        );
        let held = album(sim, "Kids");
        assert!(held.contains(&uploaded), "the new photo is added");
        assert!(!held.contains(&archived.id), "the archived one leaves");
        assert!(!held.contains(&trashed.id), "the trashed one leaves");
        assert!(
            !held.contains(&taken_out.id),
            "what a person took out stays out"
        );
        assert!(held.contains(&someone.id), "what a person put in stays");
        let safe = album(sim, "Kids (safe)");
        assert!(
            !safe.contains(&favourite.id),
            "the favourite leaves the safe album"
        );
        assert!(safe.contains(&uploaded));
        // The albums are what a full run makes of them: a full run changes nothing.
        let before = (album(sim, "Kids"), album(sim, "Kids (safe)"));
        sim.clear_requests();
        let full = stdout_if(&setup.run(&["sync", job, "--full"]), 0);
        assert!(
            full.contains("(a full run: asked for with --full)"),
            "{full}"
        );
        assert!(!sim.requests().iter().any(|r| r.changed), "{full}");
        assert_eq!(before, (album(sim, "Kids"), album(sim, "Kids (safe)")));
    });
}

#[test]
fn a_face_change_waits_for_the_next_full_run() {
    on_both_lines(|| {
        let (setup, job) = synced(MAIN_ONLY);
        let (sim, job) = (&setup.sim, job.as_str());
        let photo = alices(sim, true);
        sim.untag(&photo.id, "Mia");
        stdout_if(&setup.run(&["sync", job]), 0);
        assert!(
            album(sim, "Kids").contains(&photo.id),
            "a face change moves no update time: an incremental run does not see it"
        );
        // A job that reads everything in every run sees it at once.
        let every_run = setup.job("every.yaml", &format!("{MAIN_ONLY}    full_every: 0s\n"));
        let out = stdout_if(&setup.run(&["sync", every_run.to_str().unwrap()]), 0);
        assert!(
            out.contains("(a full run: the last full run is older than full_every)"),
            "{out}"
        );
        assert!(!album(sim, "Kids").contains(&photo.id));
    });
}

#[test]
fn a_failed_accounts_watermark_does_not_move_and_a_preview_moves_none() {
    on_both_lines(|| {
        let (setup, job) = synced_without_margin(MAIN_ONLY);
        let (sim, job) = (&setup.sim, job.as_str());
        let after_first = marks(&setup);
        assert!(after_first.iter().all(Option::is_some), "{after_first:?}");
        // Bob uploads, then his key is refused for a run: that run fails part-way.
        let uploaded = sim.upload_photo("bob", &["Mia"]);
        let failed = setup
            .bin()
            .env("TEST_KEY_BOB", "revoked")
            .args(["sync", job])
            .output()
            .unwrap();
        stdout_if(&failed, 1);
        let after_failed = marks(&setup);
        assert_eq!(
            after_failed[1], after_first[1],
            "bob's watermark did not move"
        );
        assert!(after_failed[0].unwrap().since_ms >= after_first[0].unwrap().since_ms);
        let preview = stdout_if(&setup.run(&["preview", job]), 0);
        assert!(
            preview.contains("(a full run: a preview reads everything)"),
            "{preview}"
        );
        assert_eq!(marks(&setup), after_failed, "a preview notes nothing");
        // The next good run starts where the last complete one ended, and sees the upload.
        let out = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(out.contains("read: what changed since"), "{out}");
        assert!(album(sim, "Kids").contains(&uploaded));
        let moved = marks(&setup);
        for (before, after) in after_first.iter().zip(&moved) {
            let (before, after) = (before.unwrap(), after.unwrap());
            assert!(after.since_ms >= before.since_ms);
            assert_eq!(
                after.full_at, before.full_at,
                "an incremental run is not a full one"
            );
        }
    });
}

#[test]
fn a_photo_deleted_for_good_unseen_is_not_added_and_the_next_run_reads_everything() {
    on_both_lines(|| {
        let (setup, job) = synced(MAIN_ONLY);
        let (sim, job) = (&setup.sim, job.as_str());
        let kids = sim.album_by_name("Kids").remove(0);
        // A person takes a photo out of the album, then it is trashed and deleted for good before
        // any sync saw it trashed: the searches' record still holds it.
        let photo = alices(sim, true);
        sim.remove_from_album(&kids, std::slice::from_ref(&photo.id));
        stdout_if(&setup.run(&["sync", job]), 0);
        sim.set_trashed(&photo.id, true);
        sim.delete_for_good(&photo.id);
        // The safe album comes: it takes what the job selects, the record's photo too.
        let with_safe = setup.job("jobs.yaml", KIDS);
        let out = stdout_if(&setup.run(&["sync", with_safe.to_str().unwrap()]), 0);
        assert!(
            out.contains("1 photo deleted from alice's library since the searches found it"),
            "{out}"
        );
        assert!(!album(sim, "Kids (safe)").contains(&photo.id));
        let next = stdout_if(&setup.run(&["sync", with_safe.to_str().unwrap()]), 0);
        assert!(
            next.contains("(a full run: no earlier complete run to start from)"),
            "{next}"
        );
        let favourites: BTreeSet<String> = ["alice", "bob"]
            .iter()
            .flat_map(|a| sim.assets(a))
            .filter(|a| a.is_favorite && !a.trashed)
            .map(|a| a.checksum)
            .collect();
        let expected: BTreeSet<String> = files(sim, &selected(sim))
            .difference(&favourites)
            .cloned()
            .collect();
        assert_eq!(files(sim, &album(sim, "Kids (safe)")), expected);
    });
}

#[test]
fn a_photo_changed_in_an_album_is_read_again_not_the_whole_album_on_3x() {
    on_both_lines(|| {
        // No margin: the runs after a change take their searches from the record.
        let setup = Setup::new(common::sim());
        without_margin(&setup);
        let job = setup
            .job("jobs.yaml", MAIN_ONLY)
            .to_str()
            .unwrap()
            .to_string();
        stdout_if(&setup.run(&["sync", &job]), 0);
        let (sim, job) = (&setup.sim, job.as_str());
        // The first incremental run keeps the view the made album's adds left.
        stdout_if(&setup.run(&["sync", job]), 0);
        let kids = sim.album_by_name("Kids").remove(0);
        let photo = sim
            .assets("alice")
            .into_iter()
            .find(|a| sim.album_assets(&kids).contains(&a.id))
            .unwrap();
        // A favourite moves the photo's update time and the album's lastModifiedAssetTimestamp, and
        // nothing the album counts.
        sim.set_favorite(&photo.id, true);
        sim.clear_requests();
        let out = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(out.contains("read: what changed since"), "{out}");
        let requests = sim.requests();
        let album_searches: Vec<&LoggedRequest> =
            requests.iter().filter(|r| asks(r, "albumIds")).collect();
        let album_reads = requests
            .iter()
            .filter(|r| r.method == "GET" && r.path == format!("/api/albums/{kids}"))
            .count();
        match common::line() {
            immich_smart_albums::sim::ImmichLine::V3_1 => {
                assert_eq!(album_searches.len(), 1, "{album_searches:#?}");
                assert!(
                    asks(album_searches[0], "updatedAfter"),
                    "{album_searches:#?}"
                );
                assert_eq!(album_reads, 0);
            }
            // 2.x answers an album search with the caller's own assets only: the album is listed.
            immich_smart_albums::sim::ImmichLine::V2_5 => assert!(album_reads >= 1),
        }
        assert_eq!(album(sim, "Kids").len(), files(sim, &selected(sim)).len());
        // And the view stays true: a person's removal after it is seen and not undone.
        sim.remove_from_album(&kids, std::slice::from_ref(&photo.id));
        stdout_if(&setup.run(&["sync", job]), 0);
        assert!(!album(sim, "Kids").contains(&photo.id));
        // An archived photo in the album: the view learns it is archived (the reason says so), and
        // it leaves; nor does a later run, from the record, bring it back.
        let archived = sim
            .assets("alice")
            .into_iter()
            .find(|a| sim.album_assets(&kids).contains(&a.id))
            .unwrap();
        sim.set_visibility(&archived.id, "archive");
        let out = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(out.contains("1 removed (1 archived)"), "{out}");
        // The next runs' watermarks lie past the archiving: their change searches no longer find
        // it, and what the record kept of the person search must already be without the photo.
        next_second();
        for _ in 0..2 {
            stdout_if(&setup.run(&["sync", job]), 0);
            assert!(!album(sim, "Kids").contains(&archived.id));
        }
    });
}

#[test]
fn a_change_of_the_local_rules_is_read_whole_and_a_narrowed_result_is_kept_for_the_next_run() {
    on_both_lines(|| {
        let with_rule = |regex: &str| {
            format!(
                "{MAIN_ONLY}    max_removals: 100000\n    local:\n      include:\n        - [{{path: \"$.exifInfo.model\", regex: \"{regex}\"}}]\n"
            )
        };
        let setup = Setup::new(common::sim());
        without_margin(&setup);
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", &with_rule("."));
        let job = job.to_str().unwrap();
        stdout_if(&setup.run(&["sync", job]), 0);
        let every = album(sim, "Kids");
        assert_eq!(every.len(), files(sim, &selected(sim)).len());
        // A rule that keeps nothing: the searches it reads are asked whole, not taken from the record.
        setup.job("jobs.yaml", &with_rule("^no such camera$"));
        let out = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(out.contains("read: what changed since"), "{out}");
        assert!(album(sim, "Kids").is_empty(), "{out}");
    });
}

#[test]
fn a_smart_include_is_asked_whole_when_anything_changed() {
    on_both_lines(|| {
        const SMART: &str = "
profile: family
jobs:
  kids:
    accounts: [alice]
    include: [{smart: {query: beach sunset lake, resultLimit: 3}}]
    album: Kids
    prune: true
    max_removal_fraction: 1
";
        let query = ["beach", "sunset", "lake"];
        // The simulator's smart search by hand: alice's timeline ranked by the query words shown,
        // then by id; the first three.
        let top = |sim: &Simulator| -> BTreeSet<String> {
            let mut ranked: Vec<SimAsset> = sim
                .assets("alice")
                .into_iter()
                .filter(|a| a.visibility == "timeline" && !a.trashed)
                .collect();
            let score = |a: &SimAsset| {
                a.words
                    .iter()
                    .filter(|w| query.contains(&w.as_str()))
                    .count()
            };
            ranked.sort_by(|a, b| score(b).cmp(&score(a)).then(a.id.cmp(&b.id)));
            ranked.into_iter().take(3).map(|a| a.id).collect()
        };
        let (setup, job) = synced(SMART);
        let (sim, job) = (&setup.sim, job.as_str());
        assert_eq!(album(sim, "Kids"), top(sim));
        // A photo outside the top three now shows all three words, and was favourited (its update
        // time moved): it ranks first, and the third leaves the top three.
        let newcomer = sim
            .assets("alice")
            .into_iter()
            .find(|a| a.visibility == "timeline" && !a.trashed && !top(sim).contains(&a.id))
            .unwrap();
        sim.add_words(&newcomer.id, &query);
        sim.set_favorite(&newcomer.id, true);
        let out = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(out.contains("read: what changed since"), "{out}");
        assert!(top(sim).contains(&newcomer.id));
        assert_eq!(album(sim, "Kids"), top(sim), "{out}");
    });
}

/// Life seed 43 on 3.1: a full run in which bob failed added a photo alice's face tag had just made
/// selected; the next incremental run started from alice's older record, and pruned it again.
#[test]
fn what_a_full_run_added_while_another_account_failed_is_not_pruned_by_the_next_run() {
    on_both_lines(|| {
        let (setup, job) = synced(MAIN_ONLY);
        let (sim, job) = (&setup.sim, job.as_str());
        let photo = alices(sim, false);
        sim.tag_face(&photo.id, "Mia");
        let full = setup
            .bin()
            .env("TEST_KEY_BOB", "revoked")
            .args(["sync", job, "--full"])
            .output()
            .unwrap();
        stdout_if(&full, 1);
        assert!(
            album(sim, "Kids").contains(&photo.id),
            "the full run saw the face"
        );
        let out = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(out.contains("read: what changed since"), "{out}");
        assert!(
            album(sim, "Kids").contains(&photo.id),
            "the job selects it: it stays"
        );
    });
}

/// A person takes one photo out of the album while another, trashed, is restored: the album's count
/// and `updatedAt` stay, only its `lastModifiedAssetTimestamp` moves. The photo restored goes back
/// into the album's count, so the count proves nothing about the one taken out: the album is listed,
/// and the removal is seen (a tombstone), not taken for still there.
#[test]
fn a_removal_hidden_by_a_restore_in_the_same_album_is_still_seen() {
    on_both_lines(|| {
        let (setup, _) = synced_without_margin(MAIN_ONLY);
        let sim = &setup.sim;
        let kids = sim.album_by_name("Kids").remove(0);
        let held: Vec<SimAsset> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| sim.album_assets(&kids).contains(&a.id))
            .collect();
        let (restored, taken_out) = (&held[0], &held[1]);
        // Without prune's removal in between: the trashed photo is the tool's, and stays.
        let kept = setup.job(
            "kept.yaml",
            &MAIN_ONLY.replace("prune: true", "prune: false"),
        );
        let kept = kept.to_str().unwrap();
        stdout_if(&setup.run(&["sync", kept]), 0);
        sim.set_trashed(&restored.id, true);
        stdout_if(&setup.run(&["sync", kept]), 0);
        sim.remove_from_album(&kids, std::slice::from_ref(&taken_out.id));
        sim.set_trashed(&restored.id, false);
        stdout_if(&setup.run(&["sync", kept]), 0);
        let state = common::recorded(&setup.state_dir(), &kids)
            .into_iter()
            .find(|e| e.asset.to_string() == taken_out.id)
            .map(|e| e.state);
        assert_eq!(state, Some(EntryState::Tombstone));
        assert!(!album(sim, "Kids").contains(&taken_out.id));
    });
}

/// 2.x leaves trashed photos out of an album's answer, and the tool asks each account for its own;
/// an account no longer in the job cannot be asked. Such a listing is not kept as the album's view:
/// the next run, taking it for whole, would think the photo taken out by a person.
#[test]
fn a_2x_listing_that_could_not_see_an_accounts_trashed_photos_is_not_kept() {
    on_both_lines(|| {
        if common::line() != immich_smart_albums::sim::ImmichLine::V2_5 {
            return;
        }
        let kept = MAIN_ONLY.replace("prune: true", "prune: false");
        let setup = Setup::new(common::sim());
        without_margin(&setup);
        let sim = &setup.sim;
        let job = setup.job("jobs.yaml", &kept).to_str().unwrap().to_string();
        stdout_if(&setup.run(&["sync", &job]), 0);
        let kids = sim.album_by_name("Kids").remove(0);
        let bobs = sim
            .assets("bob")
            .into_iter()
            .find(|a| sim.album_assets(&kids).contains(&a.id))
            .unwrap();
        sim.set_trashed(&bobs.id, true);
        // Bob leaves the job: his trashed photo is out of the album's answer, and he is not asked.
        let alice_only = kept.replace(
            "    album: Kids\n",
            "    accounts: [alice]\n    album: Kids\n",
        );
        setup.job("jobs.yaml", &alice_only);
        for _ in 0..2 {
            let output = setup.run(&["sync", &job]);
            assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
            let state = common::recorded(&setup.state_dir(), &kids)
                .into_iter()
                .find(|e| e.asset.to_string() == bobs.id)
                .map(|e| e.state);
            assert_eq!(
                state,
                Some(EntryState::Added),
                "not taken for a person's removal"
            );
        }
    });
}

/// A metadata search with a `resultLimit` is a ranking too (newest taken first): when one of its
/// photos leaves, the next one comes in, which a narrowed search could not tell.
#[test]
fn a_limited_metadata_search_is_asked_whole_when_anything_changed() {
    on_both_lines(|| {
        const NEWEST: &str = "
profile: family
jobs:
  kids:
    accounts: [alice]
    include: [{metadata: {resultLimit: 3}}]
    album: Kids
    prune: true
    max_removal_fraction: 1
";
        // The simulator's order by hand: alice's timeline, newest taken first, then by id.
        let newest = |sim: &Simulator| -> Vec<String> {
            let mut ranked: Vec<SimAsset> = sim
                .assets("alice")
                .into_iter()
                .filter(|a| a.visibility == "timeline" && !a.trashed)
                .collect();
            ranked.sort_by(|a, b| b.taken.cmp(&a.taken).then(b.id.cmp(&a.id)));
            ranked.into_iter().take(3).map(|a| a.id).collect()
        };
        let (setup, job) = synced(NEWEST);
        let (sim, job) = (&setup.sim, job.as_str());
        let before: BTreeSet<String> = newest(sim).into_iter().collect();
        assert_eq!(album(sim, "Kids"), before);
        sim.set_visibility(&newest(sim)[0], "archive");
        let out = stdout_if(&setup.run(&["sync", job]), 0);
        assert!(out.contains("read: what changed since"), "{out}");
        let after: BTreeSet<String> = newest(sim).into_iter().collect();
        assert_eq!(album(sim, "Kids"), after, "{out}");
    });
}
