//! The Python script's current command line (`../shared/seed/python-head-cli.md`), run as a binary
//! against the simulator: every example command line of the description's table, with the selected
//! assets compared to the simulator's own records, and each of the script's bugs B1–B12 shown not
//! copied.

use std::collections::BTreeSet;
use std::process::Output;

use crate::common::{self, Files, bin, bin_for, on_both_lines, sim, stderr_of, stdout_of};
use immich_smart_albums::sim::{Role, SimAsset, Simulator};

/// The simulator with alice's people renamed to the names of the description's examples.
fn family() -> Simulator {
    let sim = sim();
    for (old, new) in [
        ("Mia", "Jane Doe"),
        ("Leo", "John Smith"),
        ("Anna", "Peter Pan"),
        ("Alice", "Mary Poppins"),
        ("Bob", "Wendy Darling"),
    ] {
        sim.rename_person("alice", old, new);
    }
    sim
}

fn run(sim: &Simulator, args: &[&str]) -> Output {
    bin_for(sim, "alice").args(args).output().unwrap()
}

/// The assets a preview lists.
fn listed(output: &Output) -> BTreeSet<String> {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout_of(output),
        stderr_of(output)
    );
    stdout_of(output)
        .lines()
        .filter_map(|l| l.split("/photos/").nth(1).map(str::to_string))
        .collect()
}

/// Alice's assets that searches can find (all but locked ones), from the simulator's own records.
fn library(sim: &Simulator) -> Vec<SimAsset> {
    sim.assets("alice")
        .into_iter()
        .filter(common::searchable)
        .collect()
}

fn ids<'a>(assets: impl IntoIterator<Item = &'a SimAsset>) -> BTreeSet<String> {
    assets.into_iter().map(|a| a.id.clone()).collect()
}

fn shows(a: &SimAsset, person: &str) -> bool {
    a.people.iter().any(|p| p == person)
}

/// The best `n` of a smart search for `words`, ranked as the simulator's toy CLIP does: more shared
/// content words first, then by id.
fn smart_top(sim: &Simulator, words: &[&str], n: usize) -> BTreeSet<String> {
    let mut all = library(sim);
    all.sort_by_key(|a| {
        let score = a
            .words
            .iter()
            .filter(|w| words.contains(&w.as_str()))
            .count();
        (std::cmp::Reverse(score), a.id.clone())
    });
    ids(all.iter().take(n))
}

fn person_searches(sim: &Simulator) -> Vec<Vec<String>> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path == "/api/search/metadata")
        .filter_map(|r| r.body?.get("personIds").cloned())
        .map(|ids| serde_json::from_value(ids).unwrap())
        .collect()
}

// ----- the description's table -----------------------------------------------------------------

#[test]
fn a_union_of_people_is_added_to_the_album_of_that_name_one_search_per_person() {
    on_both_lines(|| {
        let sim = family();
        let album = sim.create_album("alice", "Friends", &[]);
        let output = run(
            &sim,
            &[
                "--include-person-names-union",
                "Jane Doe",
                "John Smith",
                "Peter Pan",
                "--album",
                "Friends",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let expected = ids(library(&sim).iter().filter(|a| {
            ["Jane Doe", "John Smith", "Peter Pan"]
                .iter()
                .any(|p| shows(a, p))
        }));
        assert!(!expected.is_empty());
        assert_eq!(
            sim.album_assets(&album)
                .into_iter()
                .collect::<BTreeSet<_>>(),
            expected
        );
        let mut searches = person_searches(&sim);
        searches.sort();
        let mut each: Vec<Vec<String>> = ["Jane Doe", "John Smith", "Peter Pan"]
            .iter()
            .map(|p| vec![sim.person_id("alice", p).unwrap()])
            .collect();
        each.sort();
        assert_eq!(searches, each, "one search per person (personIds is AND)");
    });
}

#[test]
fn a_single_person_goes_to_an_album_given_by_its_name() {
    on_both_lines(|| {
        let sim = family();
        let album = sim.create_album("alice", "Jane's Album", &[]);
        let output = run(
            &sim,
            &[
                "--include-person-names-union",
                "Jane Doe",
                "--album",
                "Jane's Album",
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let expected = ids(library(&sim).iter().filter(|a| shows(a, "Jane Doe")));
        let held: BTreeSet<String> = sim.album_assets(&album).into_iter().collect();
        assert_eq!(held, expected);
        // B9: one album of that name, so no warning about several.
        assert!(!stderr_of(&output).to_lowercase().contains("multiple"));
    });
}

#[test]
fn an_intersection_of_people_is_one_search_with_every_id() {
    on_both_lines(|| {
        let sim = family();
        let got = listed(&run(
            &sim,
            &[
                "--include-person-names-intersection",
                "Jane Doe",
                "John Smith",
            ],
        ));
        let expected = ids(library(&sim)
            .iter()
            .filter(|a| shows(a, "Jane Doe") && shows(a, "John Smith")));
        assert!(!expected.is_empty());
        assert_eq!(got, expected);
        let jane = sim.person_id("alice", "Jane Doe").unwrap();
        let john = sim.person_id("alice", "John Smith").unwrap();
        assert_eq!(person_searches(&sim), vec![vec![jane, john]]);
    });
}

/// B1: each `--exclude-person-names-intersection` is its own group, as the README's "Friends (No
/// Exes)" means it (the script concatenates them into one group of four).
#[test]
fn each_exclude_intersection_flag_removes_its_own_pair() {
    on_both_lines(|| {
        let sim = family();
        let got = listed(&run(
            &sim,
            &[
                "--include-person-names-union",
                "Jane Doe",
                "John Smith",
                "Peter Pan",
                "--exclude-person-names-intersection",
                "John Smith",
                "Mary Poppins",
                "--exclude-person-names-intersection",
                "Peter Pan",
                "Wendy Darling",
            ],
        ));
        let lib = library(&sim);
        let expected = ids(lib.iter().filter(|a| {
            ["Jane Doe", "John Smith", "Peter Pan"]
                .iter()
                .any(|p| shows(a, p))
                && !(shows(a, "John Smith") && shows(a, "Mary Poppins"))
                && !(shows(a, "Peter Pan") && shows(a, "Wendy Darling"))
        }));
        assert_eq!(got, expected);
        let john_with_mary = lib
            .iter()
            .filter(|a| shows(a, "John Smith") && shows(a, "Mary Poppins"))
            .count();
        assert!(john_with_mary > 0, "the seed has pairs to remove");
    });
}

#[test]
fn metadata_values_narrow_and_exclude_inline_and_from_files() {
    on_both_lines(|| {
        let sim = family();
        let files = Files::new();
        let after = r#"{"takenAfter": "2021-01-01T00:00:00.000Z"}"#;
        let year_2022 = r#"{"takenAfter": "2022-01-01T00:00:00.000Z", "takenBefore": "2022-12-31T23:59:59.999Z"}"#;
        let jane_after = listed(&run(
            &sim,
            &[
                "--include-person-names-union",
                "Jane Doe",
                "--include-metadata-union",
                after,
            ],
        ));
        let lib = library(&sim);
        let jane_since_2021 = |a: &&SimAsset| shows(a, "Jane Doe") && a.taken.as_str() > "2021";
        assert_eq!(jane_after, ids(lib.iter().filter(jane_since_2021)));

        let without_2022 = listed(&run(
            &sim,
            &[
                "--include-person-names-union",
                "Jane Doe",
                "--include-metadata-union",
                after,
                "--exclude-metadata-union",
                year_2022,
            ],
        ));
        let expected = ids(lib
            .iter()
            .filter(jane_since_2021)
            .filter(|a| !a.taken.starts_with("2022")));
        assert!(expected.len() < jane_after.len(), "2022 had some");
        assert_eq!(without_2022, expected);

        let summer = files.write(
            "summer-2023.json",
            r#"{"takenAfter": "2023-06-01T00:00:00.000Z", "takenBefore": "2023-08-31T23:59:59.999Z"}"#,
        );
        let no_apple = files.write(
            "localfilter-no-apple.json",
            r#"[{"path": "$.exifInfo.make", "regex": "^apple$", "description": "no Apple"}]"#,
        );
        let got = listed(&run(
            &sim,
            &[
                "--include-metadata-union",
                summer.to_str().unwrap(),
                "--exclude-local-filter-union",
                no_apple.to_str().unwrap(),
            ],
        ));
        let expected = ids(lib.iter().filter(|a| {
            a.taken.as_str() >= "2023-06-01" && a.taken.as_str() < "2023-09" && a.make != "Apple"
        }));
        assert!(!expected.is_empty());
        assert_eq!(got, expected);
    });
}

#[test]
fn smart_values_take_their_limit_from_at_n_json_or_the_default() {
    on_both_lines(|| {
        let sim = family();
        assert_eq!(
            listed(&run(&sim, &["--include-smart-union", "dog"])),
            smart_top(&sim, &["dog"], 200),
            "the default limit is 200"
        );
        assert_eq!(
            listed(&run(&sim, &["--include-smart-union", "dog@20"])),
            smart_top(&sim, &["dog"], 20)
        );
        assert_eq!(
            listed(&run(&sim, &["--include-smart-union", "cat @ 15"])),
            smart_top(&sim, &["cat"], 15)
        );
        assert_eq!(
            listed(&run(
                &sim,
                &[
                    "--include-smart-union",
                    r#"{"query":"car","resultLimit":25}"#
                ]
            )),
            smart_top(&sim, &["car"], 25)
        );
        let files = Files::new();
        let smart_dog = files.write("smart-dog.json", r#"{"query": "dog", "resultLimit": 30}"#);
        assert_eq!(
            listed(&run(
                &sim,
                &["--include-smart-intersection", smart_dog.to_str().unwrap()]
            )),
            smart_top(&sim, &["dog"], 30)
        );
    });
}

#[test]
fn smart_exclusions_and_intersections_combine_as_sets() {
    on_both_lines(|| {
        let sim = family();
        let minus = |a: BTreeSet<String>, b: BTreeSet<String>| -> BTreeSet<String> {
            a.difference(&b).cloned().collect()
        };
        // top-40 dog minus (top-40 cat ∪ top-40 beach), with the default limit set to 40
        let got = listed(&run(
            &sim,
            &[
                "--include-smart-union",
                "dog",
                "--exclude-smart-union",
                "cat",
                "beach",
                "--default-smart-result-limit=40",
            ],
        ));
        let expected = minus(
            minus(smart_top(&sim, &["dog"], 40), smart_top(&sim, &["cat"], 40)),
            smart_top(&sim, &["beach"], 40),
        );
        assert!(!expected.is_empty());
        assert_eq!(got, expected);

        let got = listed(&run(
            &sim,
            &[
                "--include-smart-union",
                "dog@60",
                "--exclude-smart-union",
                "cat@30",
            ],
        ));
        assert_eq!(
            got,
            minus(smart_top(&sim, &["dog"], 60), smart_top(&sim, &["cat"], 30))
        );

        let got = listed(&run(
            &sim,
            &["--include-smart-intersection", "dog@60", "cat@30"],
        ));
        let both: BTreeSet<String> = smart_top(&sim, &["dog"], 60)
            .intersection(&smart_top(&sim, &["cat"], 30))
            .cloned()
            .collect();
        assert_eq!(got, both);
    });
}

#[test]
fn max_assets_keeps_that_many_of_the_selection() {
    on_both_lines(|| {
        let sim = family();
        let got = listed(&run(
            &sim,
            &["--max-assets", "10", "--include-smart-union", "dog"],
        ));
        assert_eq!(got.len(), 10);
        assert!(got.is_subset(&smart_top(&sim, &["dog"], 200)));
        // Like argparse, a unique prefix is the flag (`--max`, `--include-smart-u`).
        let got = listed(&run(&sim, &["--max", "3", "--include-smart-u", "dog"]));
        assert_eq!(got.len(), 3);
    });
}

#[test]
fn local_filters_see_the_records_of_the_include_searches() {
    on_both_lines(|| {
        let sim = family();
        let files = Files::new();
        let q4 = files.write(
            "metadata-2023-Q4.json",
            r#"{"takenAfter": "2023-10-01T00:00:00.000Z", "takenBefore": "2023-12-31T23:59:59.999Z"}"#,
        );
        let iphone = files.write(
            "localfilter-iphone.json",
            r#"[{"path": "$.exifInfo.model", "regex": "iphone", "description": "iPhones"}]"#,
        );
        let got = listed(&run(
            &sim,
            &[
                "--include-metadata-union",
                q4.to_str().unwrap(),
                "--include-local-filter-union",
                iphone.to_str().unwrap(),
            ],
        ));
        let expected = ids(library(&sim).iter().filter(|a| {
            a.taken.as_str() >= "2023-10" && a.taken.as_str() < "2024" && a.model.contains("iPhone")
        }));
        assert!(!expected.is_empty());
        assert_eq!(got, expected);
    });
}

/// The README's cron line: a key, a person, an album, and NSFW exclusions from files a glob named.
#[test]
fn the_cron_line_with_a_key_an_album_and_exclusion_files_adds_the_right_photos() {
    on_both_lines(|| {
        let sim = sim();
        sim.rename_person("alice", "Leo", "Ron");
        let album = sim.create_album("alice", "family-public", &[("bob", Role::Editor)]);
        let files = Files::new();
        let nsfw1 = files.write(
            "smart-nsfw-1.json",
            r#"{"query": "beach", "resultLimit": 30}"#,
        );
        let nsfw2 = files.write(
            "smart-nsfw-2.json",
            r#"{"query": "party", "resultLimit": 30}"#,
        );
        let output = bin()
            .arg("--server")
            .arg(sim.url())
            .args(["--key", &sim.account("alice").api_key])
            .args([
                "--include-person-names-union",
                "Ron",
                "--album",
                "family-public",
            ])
            .arg("--exclude-smart-union")
            .args([&nsfw1, &nsfw2])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let flagged: BTreeSet<String> = smart_top(&sim, &["beach"], 30)
            .union(&smart_top(&sim, &["party"], 30))
            .cloned()
            .collect();
        let expected: BTreeSet<String> = ids(library(&sim).iter().filter(|a| shows(a, "Ron")))
            .difference(&flagged)
            .cloned()
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(
            sim.album_assets(&album)
                .into_iter()
                .collect::<BTreeSet<_>>(),
            expected
        );
    });
}

#[test]
fn a_non_hex_uuid_is_an_unknown_name_and_nothing_is_searched() {
    on_both_lines(|| {
        let sim = family();
        let output = run(
            &sim,
            &[
                "--include-person-names-union",
                "Jane Doe",
                "--exclude-person-names-intersection",
                "Jane Doe",
                "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
            ],
        );
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr_of(&output).contains("`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`"),
            "{}",
            stderr_of(&output)
        );
        assert!(
            !sim.requests()
                .iter()
                .any(|r| r.path.starts_with("/api/search")),
            "no search before the names are known"
        );
    });
}

#[test]
fn no_filter_flag_shows_the_account_its_albums_users_and_people() {
    on_both_lines(|| {
        let sim = family();
        sim.create_album("alice", "Holidays", &[("bob", Role::Editor)]);
        sim.create_album("bob", "Bob's", &[("alice", Role::Viewer)]);
        let output = run(&sim, &[]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let stdout = stdout_of(&output);
        assert!(stdout.contains("alice@example.com"), "{stdout}");
        for name in [
            "Holidays",
            "Bob's",
            "Jane Doe",
            "Wendy Darling",
            "bob@example.com",
        ] {
            assert_eq!(
                stdout.matches(name).count(),
                1,
                "{name} once (B9: albums are not listed twice)\n{stdout}"
            );
        }
        assert!(sim.changing_requests().is_empty());
    });
}

// ----- the script's bugs, not copied --------------------------------------------------------------

/// B2: both exclude flags of a kind remove what they find (the script removed only what both found).
#[test]
fn both_exclude_flags_of_a_kind_each_remove_b2() {
    on_both_lines(|| {
        let sim = family();
        let got = listed(&run(
            &sim,
            &[
                "--include-metadata-union",
                "{}",
                "--exclude-metadata-union",
                r#"{"isFavorite": true}"#,
                "--exclude-metadata-intersection",
                r#"{"city": "Helsinki"}"#,
                r#"{"make": "Apple"}"#,
            ],
        ));
        let expected = ids(library(&sim).iter().filter(|a| {
            let helsinki_apple = a.city == "Helsinki" && a.make == "Apple";
            !a.is_favorite && !helsinki_apple
        }));
        assert_eq!(got, expected);
    });
}

/// B3: `{}` as a metadata value is every asset; as a smart value it is refused.
#[test]
fn an_empty_metadata_object_is_every_asset_and_an_empty_smart_one_is_refused_b3() {
    on_both_lines(|| {
        let sim = family();
        assert_eq!(
            listed(&run(&sim, &["--include-metadata-union", "{}"])),
            ids(&library(&sim))
        );
        let output = run(&sim, &["--include-smart-union", "{}"]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
        assert!(
            sim.requests()
                .iter()
                .all(|r| !r.path.starts_with("/api/search/smart"))
        );
    });
}

/// B4: a value that is neither JSON nor an existing .json file is an error naming it, before any
/// request; B4b: a failed search fails the run and leaves the album as it was.
#[test]
fn bad_values_are_errors_and_a_failed_search_is_never_an_empty_one_b4() {
    on_both_lines(|| {
        let sim = family();
        let files = Files::new();
        let text = files.write("query.txt", r#"{"isFavorite": true}"#);
        let list = files.write("list.json", "[1, 2]");
        let object = r#"{"path": "$.exifInfo.make", "regex": "apple"}"#;
        for (flag, value) in [
            ("--include-metadata-union", "missing.json"),
            ("--include-metadata-union", text.to_str().unwrap()),
            ("--include-metadata-union", list.to_str().unwrap()),
            ("--include-metadata-union", "[1, 2]"),
            ("--exclude-local-filter-union", object),
            ("--exclude-local-filter-union", "missing.json"),
        ] {
            let output = run(&sim, &["--include-smart-union", "dog", flag, value]);
            assert_eq!(output.status.code(), Some(2), "{flag} {value}");
            let stderr = stderr_of(&output);
            assert!(stderr.contains(flag), "{stderr}");
        }
        assert!(sim.requests().is_empty(), "nothing was sent");

        let album = sim.create_album("alice", "Kept", &[]);
        sim.fail_always("alice", "/api/search/smart");
        // Two attempts, not five: what is tested is the failure, not the wait between retries.
        let output = bin_for(&sim, "alice")
            .env("IMMICH_SMART_ALBUMS_ATTEMPTS", "2")
            .args([
                "--include-person-names-union",
                "Jane Doe",
                "--exclude-smart-union",
                "beach",
                "--album",
                "Kept",
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
        assert!(sim.album_assets(&album).is_empty(), "nothing was added");
        let smart_searches = sim
            .requests()
            .iter()
            .filter(|r| r.path == "/api/search/smart")
            .count();
        assert_eq!(
            smart_searches, 2,
            "the attempts setting reaches the drop-in's client"
        );
    });
}

/// B5: exclusions alone select nothing (the script took what they found as the base).
#[test]
fn exclusions_alone_select_nothing_and_say_so_b5() {
    on_both_lines(|| {
        let sim = family();
        let output = run(
            &sim,
            &[
                "--exclude-person-names-intersection",
                "Jane Doe",
                "John Smith",
            ],
        );
        assert_eq!(output.status.code(), Some(0));
        assert!(
            stdout_of(&output).contains("No include search"),
            "{}",
            stdout_of(&output)
        );
        assert!(!stdout_of(&output).contains("/photos/"));
        assert!(
            sim.requests()
                .iter()
                .all(|r| !r.path.starts_with("/api/search"))
        );
    });
}

/// B6: the hidden person-id flags are more values of the matching names flag.
#[test]
fn person_id_flags_add_to_the_names_flag_b6() {
    on_both_lines(|| {
        let sim = family();
        let peter = sim.person_id("alice", "Peter Pan").unwrap();
        let alone = listed(&run(&sim, &["--include-person-ids-union", &peter]));
        assert_eq!(
            alone,
            ids(library(&sim).iter().filter(|a| shows(a, "Peter Pan")))
        );
        let both = listed(&run(
            &sim,
            &[
                "--include-person-names-union",
                "Jane Doe",
                "--include-person-ids-union",
                &peter,
            ],
        ));
        assert_eq!(
            both,
            ids(library(&sim)
                .iter()
                .filter(|a| shows(a, "Jane Doe") || shows(a, "Peter Pan")))
        );
        // A lowercase UUID given to the names flag is an id too.
        let as_name = listed(&run(&sim, &["--include-person-names-union", &peter]));
        assert_eq!(as_name, alone);
    });
}

/// B7, B8: limits of 0 or below are refused, never read as "no limit".
#[test]
fn zero_and_negative_limits_are_refused_b7_b8() {
    on_both_lines(|| {
        let sim = family();
        for args in [
            &["--include-smart-union", "dog", "--max-assets", "0"][..],
            &["--include-smart-union", "dog", "--max-assets", "-3"],
            &["--include-smart-union", "dog@0"],
            &[
                "--include-smart-union",
                r#"{"query": "dog", "resultLimit": 0}"#,
            ],
            &[
                "--include-smart-union",
                "dog",
                "--default-smart-result-limit",
                "0",
            ],
        ] {
            let output = run(&sim, args);
            assert_eq!(output.status.code(), Some(2), "{args:?}");
        }
        assert!(sim.requests().is_empty());
    });
}

/// B10: a failed add is a failed run.
#[test]
fn an_add_to_an_album_that_does_not_exist_fails_b10() {
    on_both_lines(|| {
        let sim = family();
        let output = run(
            &sim,
            &[
                "--include-person-names-union",
                "Jane Doe",
                "--album",
                "0b9d5c1e-1111-4222-8333-944455556666",
            ],
        );
        assert_ne!(output.status.code(), Some(0));
        assert!(sim.changing_requests().is_empty());
    });
}

/// B11: intersection filters count as filters, also when two share a description.
#[test]
fn intersection_filters_with_one_description_all_apply_b11() {
    on_both_lines(|| {
        let sim = family();
        let got = listed(&run(
            &sim,
            &[
                "--include-metadata-union",
                "{}",
                "--include-local-filter-intersection",
                r#"[{"path": "$.exifInfo.make", "regex": "apple", "description": "phone"},
                    {"path": "$.exifInfo.model", "regex": "15", "description": "phone"}]"#,
            ],
        ));
        let expected = ids(library(&sim)
            .iter()
            .filter(|a| a.make == "Apple" && a.model.contains("15")));
        assert!(!expected.is_empty());
        assert_eq!(got, expected);
        // PATH:REGEX, split at the first colon
        let got = listed(&run(
            &sim,
            &[
                "--include-metadata-union",
                "{}",
                "--include-local-filter-union",
                "$.exifInfo.model:^iPhone 8$",
                "$.exifInfo.make:google",
            ],
        ));
        let expected = ids(library(&sim)
            .iter()
            .filter(|a| a.model == "iPhone 8" || a.make == "Google"));
        assert_eq!(got, expected);
    });
}

/// B12: a name several people share means any of them, in intersections too.
#[test]
fn a_shared_name_means_any_of_its_people_also_in_an_intersection_b12() {
    on_both_lines(|| {
        let sim = family();
        sim.rename_person("alice", "John Smith", "Jane Doe");
        let output = run(
            &sim,
            &[
                "--include-person-names-intersection",
                "Jane Doe",
                "Peter Pan",
            ],
        );
        let got = listed(&output);
        let expected = ids(library(&sim)
            .iter()
            .filter(|a| shows(a, "Jane Doe") && shows(a, "Peter Pan")));
        assert!(!expected.is_empty());
        assert_eq!(got, expected);
        assert!(stderr_of(&output).contains("2 people are named `Jane Doe`"));
    });
}

// ----- credentials, names, generations ------------------------------------------------------------

#[test]
fn an_unknown_name_exits_2_naming_it_and_a_near_miss_in_case_is_suggested() {
    on_both_lines(|| {
        let sim = family();
        let output = run(
            &sim,
            &["--include-person-names-union", "jane doe", "Nobody"],
        );
        assert_eq!(output.status.code(), Some(2));
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("`jane doe` (did you mean `Jane Doe`?)"),
            "{stderr}"
        );
        assert!(stderr.contains("`Nobody`"), "{stderr}");
        assert!(
            sim.requests()
                .iter()
                .all(|r| !r.path.starts_with("/api/search"))
        );
    });
}

#[test]
fn the_early_and_current_flags_are_not_mixed_in_one_run() {
    on_both_lines(|| {
        let sim = family();
        let files = Files::new();
        let beach = files.write("beach.json", r#"{"query": "beach", "resultLimit": 5}"#);
        let output = run(
            &sim,
            &[
                "--include-smart-file",
                beach.to_str().unwrap(),
                "--include-person-names-union",
                "Jane Doe",
            ],
        );
        assert_eq!(output.status.code(), Some(2));
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("--include-smart-file")
                && stderr.contains("--include-person-names-union"),
            "{stderr}"
        );
        assert!(sim.requests().is_empty());
    });
}

#[test]
fn an_ambiguous_prefix_is_a_usage_error() {
    on_both_lines(|| {
        let sim = family();
        let output = run(&sim, &["--include-smart", "dog"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(sim.requests().is_empty());
    });
}

#[test]
fn dot_env_in_the_current_directory_gives_the_server_and_key_when_nothing_else_does() {
    on_both_lines(|| {
        let sim = family();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            format!(
                "# the Python script's .env\nexport IMMICH_SERVER_URL = \"{}\"\nIMMICH_API_KEY='{}'\nOTHER=1\n",
                sim.url(),
                sim.account("alice").api_key
            ),
        )
        .unwrap();
        let output = bin()
            .current_dir(dir.path())
            .args(["--include-person-names-union", "Jane Doe"])
            .output()
            .unwrap();
        assert_eq!(
            listed(&output),
            ids(library(&sim).iter().filter(|a| shows(a, "Jane Doe")))
        );
        // A variable that is set wins over the file: bob's key finds bob's photos.
        let output = bin()
            .current_dir(dir.path())
            .env("IMMICH_API_KEY", sim.account("bob").api_key)
            .args(["--include-metadata-union", "{}"])
            .output()
            .unwrap();
        let bobs: BTreeSet<String> = sim
            .assets("bob")
            .iter()
            .filter(|a| common::searchable(a))
            .map(|a| a.id.clone())
            .collect();
        assert_eq!(listed(&output), bobs);
    });
}

#[test]
fn missing_credentials_are_one_clear_line_not_silence() {
    on_both_lines(|| {
        let dir = tempfile::tempdir().unwrap();
        let output = bin()
            .current_dir(dir.path())
            .args(["--include-smart-union", "dog"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains("no server") && stderr.contains(".env"),
            "{stderr}"
        );
    });
}

/// A filter field Immich does not know makes the search wider than meant; the run warns, naming the
/// field and the one probably meant.
#[test]
fn an_unknown_filter_field_is_warned_about_naming_the_field_meant() {
    on_both_lines(|| {
        let sim = family();
        let output = run(
            &sim,
            &["--include-metadata-union", r#"{"isFavourite": true}"#],
        );
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains(
                "warning: --include-metadata-union {\"isFavourite\": true}: `isFavourite` is not a \
                 metadata search field"
            ) && stderr.contains("did you mean `isFavorite`?"),
            "{stderr}"
        );
        let output = run(
            &sim,
            &["--include-metadata-union", r#"{"isFavorite": true}"#],
        );
        let got = listed(&output);
        assert_eq!(got, ids(library(&sim).iter().filter(|a| a.is_favorite)));
        assert!(
            !stderr_of(&output).contains("warning"),
            "{}",
            stderr_of(&output)
        );
    });
}

/// Only the include searches ask for what the local rules read: an exclusion search removes by
/// checksum, so it asks for no exif and its answer stays as small as the filter written.
#[test]
fn exclusion_searches_ask_for_nothing_only_the_local_rules_read() {
    on_both_lines(|| {
        let sim = family();
        let got = listed(&run(
            &sim,
            &[
                "--include-metadata-union",
                "{}",
                "--exclude-metadata-union",
                r#"{"isFavorite": true}"#,
                "--include-local-filter-union",
                "$.exifInfo.make:apple",
            ],
        ));
        let expected = ids(library(&sim)
            .iter()
            .filter(|a| a.make == "Apple" && !a.is_favorite));
        assert!(!expected.is_empty());
        assert_eq!(got, expected);
        let bodies: Vec<serde_json::Value> = sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/api/search/metadata")
            .filter_map(|r| r.body)
            .collect();
        let (exclusions, includes): (Vec<_>, Vec<_>) =
            bodies.iter().partition(|b| b.get("isFavorite").is_some());
        assert!(!includes.is_empty() && !exclusions.is_empty(), "{bodies:?}");
        assert!(
            includes.iter().all(|b| b["withExif"] == true),
            "{includes:?}"
        );
        assert!(
            exclusions.iter().all(|b| b.get("withExif").is_none()),
            "{exclusions:?}"
        );
    });
}

/// A local rule on the people of a photo sees them: the search asks for them (`withPeople`), which
/// Immich's answers otherwise leave out.
#[test]
fn a_local_rule_on_people_sees_who_is_in_each_photo() {
    on_both_lines(|| {
        let sim = family();
        let got = listed(&run(
            &sim,
            &[
                "--include-metadata-union",
                "{}",
                "--include-local-filter-union",
                "$.people[*].name:^Jane Doe$",
            ],
        ));
        let expected = ids(library(&sim).iter().filter(|a| shows(a, "Jane Doe")));
        assert!(!expected.is_empty());
        assert_eq!(got, expected);
    });
}
