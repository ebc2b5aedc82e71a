//! Jobs across accounts, run through the job engine against the simulator: per-account person names,
//! checksum dedupe, album creation and sharing, editor and viewer rights, the safe album failing
//! closed, and idempotence.

use crate::common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use crate::common::on_both_lines;
use immich_smart_albums::job::JobFile;
use immich_smart_albums::job::account::people_index;
use immich_smart_albums::job::{JobReport, Mode, run_job};
use immich_smart_albums::sim::{ImmichLine, Role, SimAsset, Simulator};

fn run(
    sim: &Simulator,
    yaml: &str,
    mode: Mode,
    keys: &HashMap<&str, String>,
) -> anyhow::Result<JobReport> {
    let file = JobFile::parse(Path::new("jobs.yaml"), yaml)?;
    let job = &file.jobs[0];
    let names: Vec<&str> = job
        .accounts
        .as_ref()
        .map(|a| a.iter().map(String::as_str).collect())
        .unwrap_or_else(|| vec!["alice", "bob"]);
    let owner = job
        .album_owner
        .clone()
        .unwrap_or_else(|| names[0].to_string());
    common::runtime().block_on(async {
        let slots = common::slots(sim, &names, keys, &common::quick_retries(3)).await;
        run_job(job, &slots, &owner, mode, true).await
    })
}

/// Jobs take timeline assets only: not archived, hidden or locked ones.
fn visible(asset: &SimAsset) -> bool {
    asset.visibility == "timeline"
}

/// What a people job should put in the album: one copy per checksum, the first account's copy first.
fn expected(
    sim: &Simulator,
    accounts: &[&str],
    keep: impl Fn(&SimAsset) -> bool,
    drop_checksums: &HashSet<String>,
) -> BTreeSet<String> {
    let mut seen = HashSet::new();
    let mut ids = BTreeSet::new();
    for account in accounts {
        for asset in sim.assets(account) {
            if visible(&asset)
                && keep(&asset)
                && !drop_checksums.contains(&asset.checksum)
                && seen.insert(asset.checksum.clone())
            {
                ids.insert(asset.id.clone());
            }
        }
    }
    ids
}

fn album_ids(sim: &Simulator, name: &str) -> BTreeSet<String> {
    let albums = sim.album_by_name(name);
    assert_eq!(albums.len(), 1, "one album named {name}");
    sim.album_assets(&albums[0]).into_iter().collect()
}

const KIDS: &str = "
profile: family
jobs:
  kids:
    include:
      - any:
          - people: [Mia]
          - people: [Leo]
    album: Family kids
";

#[test]
fn a_people_job_fills_one_shared_album_with_one_copy_of_each_photo() {
    on_both_lines(|| {
        let sim = common::sim();
        let no_keys = HashMap::new();
        let preview = run(&sim, KIDS, Mode::Preview, &no_keys).unwrap();
        assert!(
            sim.changing_requests().is_empty(),
            "a preview changes nothing"
        );
        assert!(preview.album.id.is_none(), "the album does not exist yet");

        let report = run(&sim, KIDS, Mode::Sync, &no_keys).unwrap();
        assert!(!report.failed(), "{report:#?}");
        assert!(report.album.created);
        let kids = |a: &SimAsset| a.people.iter().any(|p| p == "Mia" || p == "Leo");
        let want = expected(&sim, &["alice", "bob"], kids, &HashSet::new());
        assert_eq!(album_ids(&sim, "Family kids"), want);
        let bob = &report.accounts[1];
        assert!(
            bob.duplicates > 0,
            "bob's copies of alice's files are dropped: {bob:#?}"
        );
        assert_eq!(
            report.accounts.iter().map(|a| a.album.added).sum::<usize>(),
            want.len()
        );
        // Alice created it and shared it with Bob as editor; each account added its own assets.
        let adds: Vec<_> = sim
            .changing_requests()
            .into_iter()
            .filter(|r| r.method == "PUT" && r.path.ends_with("/assets"))
            .collect();
        assert_eq!(
            adds.iter()
                .map(|r| r.account.clone().unwrap())
                .collect::<BTreeSet<_>>(),
            ["alice".to_string(), "bob".to_string()].into()
        );

        sim.clear_requests();
        let again = run(&sim, KIDS, Mode::Sync, &no_keys).unwrap();
        assert!(!again.failed());
        assert!(
            sim.changing_requests().is_empty(),
            "a second sync adds nothing"
        );
        assert!(again.accounts.iter().all(|a| a.album.to_add == 0));
    });
}

#[test]
fn a_file_the_album_holds_under_another_accounts_id_is_not_added_again() {
    on_both_lines(|| {
        let sim = common::sim();
        // Bob added his copy of a shared file by hand.
        let alice_checksums: HashMap<String, String> = sim
            .assets("alice")
            .into_iter()
            .map(|a| (a.checksum, a.id))
            .collect();
        let bobs_copy = sim
            .assets("bob")
            .into_iter()
            .find(|a| {
                visible(a)
                    && alice_checksums.contains_key(&a.checksum)
                    && a.people.iter().any(|p| p == "Mia" || p == "Leo")
            })
            .expect("the generator shares some files with people in them");
        let album = sim.create_album("alice", "Family kids", &[("bob", Role::Editor)]);
        sim.add_to_album(&album, std::slice::from_ref(&bobs_copy.id));
        let report = run(&sim, KIDS, Mode::Sync, &HashMap::new()).unwrap();
        assert!(!report.failed(), "{report:#?}");
        let contents = album_ids(&sim, "Family kids");
        assert!(contents.contains(&bobs_copy.id));
        assert!(
            !contents.contains(&alice_checksums[&bobs_copy.checksum]),
            "alice's copy was not added"
        );
        let checksums: HashMap<String, String> = ["alice", "bob"]
            .iter()
            .flat_map(|a| sim.assets(a))
            .map(|a| (a.id, a.checksum))
            .collect();
        let distinct: HashSet<&String> = contents.iter().map(|id| &checksums[id]).collect();
        assert_eq!(
            distinct.len(),
            contents.len(),
            "no two assets with one checksum"
        );
    });
}

const SAFE: &str = "
profile: family
jobs:
  kids:
    include:
      - people: [Mia]
    exclude:
      - metadata: {type: VIDEO}
    album: Mia
    safe:
      album: Mia (for grandparents)
      exclude:
        - smart: {query: nsfw swimsuit, resultLimit: 40}
";

#[test]
fn the_safe_album_is_the_result_minus_every_accounts_safe_exclusions() {
    on_both_lines(|| {
        let sim = common::sim();
        let report = run(&sim, SAFE, Mode::Sync, &HashMap::new()).unwrap();
        assert!(!report.failed(), "{report:#?}");
        let videos: HashSet<String> = ["alice", "bob"]
            .iter()
            .flat_map(|a| sim.assets(a))
            .filter(|a| a.kind == "VIDEO")
            .map(|a| a.checksum)
            .collect();
        let mia = |a: &SimAsset| a.people.iter().any(|p| p == "Mia");
        let main = album_ids(&sim, "Mia");
        assert_eq!(main, expected(&sim, &["alice", "bob"], mia, &videos));
        let safe = album_ids(&sim, "Mia (for grandparents)");
        assert!(
            !safe.is_empty() && safe.len() < main.len(),
            "{} of {}",
            safe.len(),
            main.len()
        );
        assert!(safe.is_subset(&main));
        // Nothing in the safe album has a checksum that any account's safe search found.
        let all: HashMap<String, SimAsset> = ["alice", "bob"]
            .iter()
            .flat_map(|a| sim.assets(a))
            .map(|a| (a.id.clone(), a))
            .collect();
        // The simulator's smart search, done by hand: each account's assets ranked by how many query
        // words they show, then by id; the first 40 are flagged, in every account. An exclusion sees
        // every visibility but locked: in one search on 3.1, in one search per visibility on 2.x.
        let query = ["nsfw", "swimsuit"];
        let searches: &[&[&str]] = match common::line() {
            ImmichLine::V3_1 => &[&["timeline", "archive", "hidden"]],
            ImmichLine::V2_5 => &[&["timeline"], &["archive"], &["hidden"]],
        };
        let mut flagged_sums: HashSet<String> = HashSet::new();
        for (account, visibilities) in ["alice", "bob"]
            .iter()
            .flat_map(|a| searches.iter().map(move |v| (a, v)))
        {
            let mut ranked: Vec<SimAsset> = sim
                .assets(account)
                .into_iter()
                .filter(|a| visibilities.contains(&a.visibility.as_str()))
                .collect();
            let score = |a: &SimAsset| {
                a.words
                    .iter()
                    .filter(|w| query.contains(&w.as_str()))
                    .count()
            };
            ranked.sort_by(|a, b| score(b).cmp(&score(a)).then(a.id.cmp(&b.id)));
            flagged_sums.extend(ranked.into_iter().take(40).map(|a| a.checksum));
        }
        let want_safe: BTreeSet<String> = main
            .iter()
            .filter(|id| !flagged_sums.contains(&all[*id].checksum))
            .cloned()
            .collect();
        assert_eq!(
            safe, want_safe,
            "the main album minus every account's flagged files"
        );
        // Beside it, the report agrees.
        let flagged = report
            .accounts
            .iter()
            .map(|a| a.safe.as_ref().unwrap().excluded)
            .sum::<usize>();
        assert_eq!(safe.len() + flagged, main.len(), "{report:#?}");
        // What each account's rows say it added is what each album holds of its photos, and each
        // names the version its server gave.
        let (major, minor, patch) = common::line().version();
        for account in &report.accounts {
            assert_eq!(
                account.immich_version.as_deref(),
                Some(format!("{major}.{minor}.{patch}").as_str())
            );
            let owned: HashSet<String> = sim
                .assets(&account.account)
                .into_iter()
                .map(|a| a.id)
                .collect();
            let held =
                |album: &BTreeSet<String>| album.iter().filter(|id| owned.contains(*id)).count();
            assert_eq!(account.album.added, held(&main), "{}", account.account);
            assert_eq!(
                account.safe.as_ref().unwrap().added,
                held(&safe),
                "{}",
                account.account
            );
        }
        // A preview afterwards names the albums it found, as the server knows them.
        let preview = run(&sim, SAFE, Mode::Preview, &HashMap::new()).unwrap();
        assert_eq!(
            preview.album.id.as_deref(),
            Some(sim.album_by_name("Mia")[0].as_str())
        );
        assert_eq!(
            preview.safe.as_ref().unwrap().id.as_deref(),
            Some(sim.album_by_name("Mia (for grandparents)")[0].as_str())
        );
        let flagged_words = safe
            .iter()
            .filter(|id| all[*id].words.iter().any(|w| w == "nsfw"))
            .count();
        assert_eq!(flagged_words, 0, "no nsfw photo reaches the safe album");
    });
}

#[test]
fn the_safe_album_fails_closed_when_a_safe_exclusion_fails() {
    on_both_lines(|| {
        let sim = common::sim();
        // A safe exclusion the server rejects (400) for every account.
        let yaml = SAFE.replace(
            "smart: {query: nsfw swimsuit, resultLimit: 40}",
            "metadata: {personIds: [not-a-uuid]}",
        );
        let report = run(&sim, &yaml, Mode::Sync, &HashMap::new()).unwrap();
        assert!(report.failed());
        let reason = report.safe.as_ref().unwrap().fail_closed.clone().unwrap();
        assert!(reason.contains("safe exclusion search"), "{reason}");
        assert!(
            !album_ids(&sim, "Mia").is_empty(),
            "the main album still fills"
        );
        assert!(
            sim.album_by_name("Mia (for grandparents)").is_empty(),
            "the safe album is not even created"
        );
    });
}

#[test]
fn a_failed_account_fails_alone_but_closes_the_safe_album() {
    on_both_lines(|| {
        let sim = common::sim();
        let keys: HashMap<&str, String> = [("bob", "revoked-key".to_string())].into();
        let report = run(&sim, SAFE, Mode::Sync, &keys).unwrap();
        assert!(report.failed());
        let bob = &report.accounts[1];
        assert!(bob.error.as_ref().unwrap().contains("401"), "{bob:#?}");
        let mia = |a: &SimAsset| a.people.iter().any(|p| p == "Mia");
        let videos: HashSet<String> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| a.kind == "VIDEO")
            .map(|a| a.checksum)
            .collect();
        assert_eq!(
            album_ids(&sim, "Mia"),
            expected(&sim, &["alice"], mia, &videos)
        );
        assert!(
            report
                .safe
                .as_ref()
                .unwrap()
                .fail_closed
                .as_ref()
                .unwrap()
                .contains("bob")
        );
        assert!(sim.album_by_name("Mia (for grandparents)").is_empty());
    });
}

/// A user id that is not a UUID (a server that answers oddly) fails that account with a message that
/// says so; it never becomes the all-zero UUID. The other account fills the album alone.
#[test]
fn an_account_whose_user_id_is_not_a_uuid_fails_alone() {
    on_both_lines(|| {
        let sim = common::sim();
        let file = JobFile::parse(Path::new("jobs.yaml"), KIDS).unwrap();
        let report = common::runtime()
            .block_on(async {
                let mut slots = common::slots(
                    &sim,
                    &["alice", "bob"],
                    &HashMap::new(),
                    &common::quick_retries(3),
                )
                .await;
                slots[1].account.as_mut().unwrap().user.id = "user-bob".to_string();
                run_job(&file.jobs[0], &slots, "alice", Mode::Sync, false).await
            })
            .unwrap();
        let bob = &report.accounts[1];
        assert!(
            bob.error
                .as_ref()
                .is_some_and(|e| e.contains("`user-bob`, which is not a UUID")),
            "{bob:#?}"
        );
        let kids = |a: &SimAsset| a.people.iter().any(|p| p == "Mia" || p == "Leo");
        assert_eq!(
            album_ids(&sim, "Family kids"),
            expected(&sim, &["alice"], kids, &HashSet::new())
        );
    });
}

#[test]
fn a_viewer_is_reported_and_the_editor_still_adds() {
    on_both_lines(|| {
        let sim = common::sim();
        sim.create_album("alice", "Family kids", &[("bob", Role::Viewer)]);
        let report = run(&sim, KIDS, Mode::Sync, &HashMap::new()).unwrap();
        assert!(report.failed());
        let bob = &report.accounts[1];
        assert!(
            bob.album.error.as_ref().unwrap().contains("only a viewer"),
            "{bob:#?}"
        );
        assert!(report.accounts[0].album.added > 0);
        let bob_ids: BTreeSet<String> = sim.assets("bob").into_iter().map(|a| a.id).collect();
        assert!(album_ids(&sim, "Family kids").is_disjoint(&bob_ids));

        // An album a person made without bob: the tool does not change its members, and says who
        // must share it with whom.
        sim.create_album("alice", "Alice's own", &[]);
        let own = KIDS.replace("album: Family kids", "album: Alice's own");
        let report = run(&sim, &own, Mode::Sync, &HashMap::new()).unwrap();
        let error = report.accounts[1].album.error.clone().unwrap_or_default();
        assert!(
            error.contains("not a member of album `Alice's own`")
                && error.contains("ask Alice to share it with bob@")
                && !error.contains("taken out"),
            "{error}"
        );
        assert!(
            sim.album_members(&sim.album_by_name("Alice's own")[0])
                .is_empty()
        );
    });
}

#[test]
fn a_person_no_account_knows_is_an_input_error() {
    on_both_lines(|| {
        let sim = common::sim();
        let yaml = KIDS.replace("people: [Leo]", "people: [Zoe]");
        let error = run(&sim, &yaml, Mode::Sync, &HashMap::new()).unwrap_err();
        assert_eq!(
            immich_smart_albums::error::Status::of(&error),
            immich_smart_albums::error::Status::Input
        );
        assert!(error.to_string().contains("`Zoe`"), "{error}");
        assert!(sim.changing_requests().is_empty());
    });
}

#[test]
fn three_accounts_resolve_their_own_person_ids() {
    on_both_lines(|| {
        let sim = common::sim_with(&["alice", "bob", "carol"], 200);
        let yaml = KIDS.replace(
            "    album: Family kids",
            "    accounts: [alice, bob, carol]\n    album: Family kids\n    album_owner: carol",
        );
        let report = run(&sim, &yaml, Mode::Sync, &HashMap::new()).unwrap();
        assert!(!report.failed(), "{report:#?}");
        let people_queries: HashSet<String> = sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/api/search/metadata")
            .filter_map(|r| {
                r.body.and_then(|b| {
                    b.get("personIds")
                        .map(|p| format!("{}:{p}", r.account.unwrap()))
                })
            })
            .collect();
        for account in ["alice", "bob", "carol"] {
            let mia = sim.person_id(account, "Mia").unwrap();
            assert!(
                people_queries.contains(&format!("{account}:[\"{mia}\"]")),
                "{people_queries:?}"
            );
        }
        let kids = |a: &SimAsset| a.people.iter().any(|p| p == "Mia" || p == "Leo");
        assert_eq!(
            album_ids(&sim, "Family kids"),
            expected(&sim, &["alice", "bob", "carol"], kids, &HashSet::new())
        );
    });
}

#[test]
fn the_text_report_has_a_column_per_account_and_totals() {
    on_both_lines(|| {
        let sim = common::sim();
        let preview = run(&sim, SAFE, Mode::Preview, &HashMap::new()).unwrap();
        let mut out = Vec::new();
        immich_smart_albums::output::job::job(&mut out, &preview, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        eprintln!("{text}");
        let header = text.lines().find(|l| l.contains("total")).unwrap();
        assert!(header.contains("bob") && header.contains("total"), "{text}");
        for row in [
            "found by include 1",
            "left after excludes",
            "dropped as duplicates",
            "removed by safe exclusions",
            "to add",
        ] {
            assert!(text.contains(row), "{row} missing in\n{text}");
        }
        assert!(text.contains("preview: nothing was changed"));
        assert!(text.contains("/photos/"), "--list adds the links");
        assert!(
            text.contains(r#"exclude 1: metadata {"type":"VIDEO"}"#),
            "{text}"
        );
        let mut json = Vec::new();
        immich_smart_albums::output::job::jobs_json(&mut json, std::slice::from_ref(&preview))
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["jobs"][0]["accounts"][1]["account"], "bob");
        assert!(doc["jobs"][0]["accounts"][0]["safe"]["to_add"].is_u64());
    });
}

#[test]
fn the_safe_album_fails_closed_when_one_accounts_smart_search_keeps_failing() {
    on_both_lines(|| {
        let sim = common::sim();
        // Every smart search of bob's fails (503), retries included: his safe exclusions are unknown.
        sim.fail_always("bob", "POST /api/search/smart");
        let report = run(&sim, SAFE, Mode::Sync, &HashMap::new()).unwrap();
        assert!(report.failed());
        let reason = report.safe.as_ref().unwrap().fail_closed.clone().unwrap();
        assert!(
            reason.contains("`bob`") && reason.contains("503"),
            "{reason}"
        );
        assert!(
            reason.contains(&format!("`bob` at {} failed", sim.url()))
                && reason.ends_with("; the next run tries again"),
            "the server and the next step: {reason}"
        );
        assert!(
            report.accounts[1].error.is_none(),
            "bob's main searches worked"
        );
        assert!(
            report.accounts[1].album.added > 0,
            "bob still adds to the main album"
        );
        assert!(sim.album_by_name("Mia (for grandparents)").is_empty());
    });
}

#[test]
fn every_include_condition_narrows_the_result_the_third_too() {
    on_both_lines(|| {
        let sim = common::sim();
        let yaml = "
    profile: family
    jobs:
      kids:
        include:
          - people: [Mia]
          - metadata: {type: IMAGE}
          - metadata: {isFavorite: true}
        album: Mia favourites
    ";
        let report = run(&sim, yaml, Mode::Sync, &HashMap::new()).unwrap();
        assert!(!report.failed(), "{report:#?}");
        let keep = |a: &SimAsset| {
            a.people.iter().any(|p| p == "Mia") && a.kind == "IMAGE" && a.is_favorite
        };
        let want = expected(&sim, &["alice", "bob"], keep, &HashSet::new());
        assert!(!want.is_empty());
        assert_eq!(album_ids(&sim, "Mia favourites"), want);
    });
}

#[test]
fn a_person_only_one_account_knows_is_searched_there_and_noted_elsewhere() {
    on_both_lines(|| {
        let sim = common::sim();
        sim.rename_person("bob", "Anna", "Zoe");
        let yaml = "
    profile: family
    jobs:
      zoe:
        include: [{people: [Zoe]}]
        album: Zoe
    ";
        let report = run(&sim, yaml, Mode::Sync, &HashMap::new()).unwrap();
        assert!(!report.failed(), "{report:#?}");
        let zoe = |a: &SimAsset| a.people.iter().any(|p| p == "Zoe");
        let want = expected(&sim, &["bob"], zoe, &HashSet::new());
        assert!(!want.is_empty());
        assert_eq!(
            album_ids(&sim, "Zoe"),
            want,
            "bob's photos of Zoe, and only those"
        );
        assert!(
            report.accounts[0].notes.iter().any(|n| n.contains("`Zoe`")),
            "{:#?}",
            report.accounts[0]
        );
        // A name nobody knows is still an input error.
        let error = run(
            &sim,
            &yaml.replace("Zoe]", "Nobody]"),
            Mode::Sync,
            &HashMap::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("no account of the job"), "{error}");
    });
}

#[test]
fn one_accounts_safe_exclusion_keeps_every_copy_of_the_file_out_of_the_safe_album() {
    on_both_lines(|| {
        let sim = common::sim();
        // A file both have, with Mia in it; bob comes first, so bob's copy is the one added.
        let alice = sim.assets("alice");
        let (bobs, alices) = sim
            .assets("bob")
            .into_iter()
            .find_map(|b| {
                let a = alice.iter().find(|a| {
                    a.checksum == b.checksum
                        && a.visibility == "timeline"
                        && b.visibility == "timeline"
                })?;
                let mia = |x: &SimAsset| x.people.iter().any(|p| p == "Mia");
                (mia(&b) && mia(a)).then(|| (b.clone(), a.clone()))
            })
            .expect("the generator shares files with Mia in them");
        // Only alice's copy is flagged: only alice's own search finds it.
        sim.add_words(&alices.id, &["nsfw", "swimsuit", "party", "museum", "bike"]);
        let yaml = "
    profile: family
    jobs:
      kids:
        accounts: [bob, alice]
        include: [{people: [Mia]}]
        album: Mia
        safe:
          album: Mia (safe)
          exclude:
            - smart: {query: nsfw swimsuit party museum bike, resultLimit: 5}
    ";
        let report = run(&sim, yaml, Mode::Sync, &HashMap::new()).unwrap();
        assert!(!report.failed(), "{report:#?}");
        assert!(
            album_ids(&sim, "Mia").contains(&bobs.id),
            "the main album has bob's copy"
        );
        let safe = album_ids(&sim, "Mia (safe)");
        assert!(!safe.is_empty());
        assert!(
            !safe.contains(&bobs.id),
            "bob's copy of a file alice's exclusion flags stays out"
        );
        assert!(!safe.contains(&alices.id));
    });
}

#[test]
fn a_failed_account_adds_nothing_to_an_existing_safe_album() {
    on_both_lines(|| {
        let sim = common::sim();
        let safe = sim.create_album("alice", "Mia (for grandparents)", &[("bob", Role::Editor)]);
        let keys: HashMap<&str, String> = [("bob", "revoked-key".to_string())].into();
        let report = run(&sim, SAFE, Mode::Sync, &keys).unwrap();
        assert!(report.failed());
        assert!(
            !album_ids(&sim, "Mia").is_empty(),
            "the main album still fills"
        );
        assert!(
            sim.album_assets(&safe).is_empty(),
            "the safe album stays closed"
        );
    });
}

#[test]
fn a_failed_exclusion_search_fails_its_account_and_is_never_taken_as_nothing_to_exclude() {
    on_both_lines(|| {
        let sim = common::sim();
        let yaml = "
    profile: family
    jobs:
      kids:
        include: [{people: [Mia]}]
        exclude: [{smart: {query: nsfw, resultLimit: 50}}]
        album: Mia
    ";
        sim.fail_always("bob", "POST /api/search/smart");
        let report = run(&sim, yaml, Mode::Sync, &HashMap::new()).unwrap();
        assert!(report.failed());
        assert!(
            report.accounts[1].error.is_some(),
            "{:#?}",
            report.accounts[1]
        );
        let error = report.accounts[1].error.clone().unwrap();
        assert!(
            error.starts_with(&format!("at {}: POST /api/search/smart", sim.url()))
                && error.ends_with("; the next run tries again"),
            "the server and the next step: {error}"
        );
        let bobs: HashSet<String> = sim.assets("bob").into_iter().map(|a| a.id).collect();
        let held = album_ids(&sim, "Mia");
        assert!(!held.is_empty(), "alice still adds");
        assert!(
            held.iter().all(|id| !bobs.contains(id)),
            "bob adds nothing unexcluded"
        );
    });
}

/// People are read page by page until the server says there is no next page: a server may answer
/// fewer people than the page size asked, and a person on the last page counts like one on the first.
#[test]
fn every_page_of_people_is_read_to_the_last() {
    on_both_lines(|| {
        let sim = common::sim();
        sim.cap_people_pages(2);
        let index = common::runtime().block_on(async {
            let slots =
                common::slots(&sim, &["alice"], &HashMap::new(), &common::quick_retries(1)).await;
            let client = &slots[0].account.as_ref().expect("alice connects").client;
            tokio::time::timeout(Duration::from_secs(60), people_index(client))
                .await
                .expect("the pages come to an end")
                .expect("the people are read")
        });
        // The simulator's people of alice: the three of every library and one per account.
        let names = ["Mia", "Leo", "Anna", "Alice", "Bob"];
        for name in names {
            let id = sim
                .person_id("alice", name)
                .expect("the simulator knows them");
            assert_eq!(index.get(&name.to_lowercase()), Some(&vec![id]), "{name}");
        }
        assert_eq!(index.len(), names.len(), "{index:?}");
        let pages: Vec<Option<String>> = sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/api/people")
            .map(|r| r.query)
            .collect();
        assert_eq!(pages.len(), 3, "five people, two a page: {pages:?}");
    });
}
