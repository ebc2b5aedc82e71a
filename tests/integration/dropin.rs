//! The Python-compatible command line, run as a binary against the simulator: previews, adds,
//! idempotence, every flag, and the error exits (with nothing changed on the server).

use std::collections::BTreeSet;

use crate::common::{self, Files, bin, bin_for, on_both_lines, repo, sim, stderr_of, stdout_of};
use immich_smart_albums::sim::{ImmichLine, Role};

/// Alice's assets that a metadata search for Helsinki finds (everything but locked ones).
fn helsinki_ids(sim: &immich_smart_albums::sim::Simulator, account: &str) -> BTreeSet<String> {
    sim.assets(account)
        .into_iter()
        .filter(|a| a.city == "Helsinki" && common::searchable(a))
        .map(|a| a.id)
        .collect()
}

fn links(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.split("/photos/").nth(1).map(str::to_string))
        .collect()
}

#[test]
fn preview_lists_every_match_sorted_and_changes_nothing() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let helsinki = files.write("helsinki.json", r#"{"city": "Helsinki"}"#);
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&helsinki)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let stdout = stdout_of(&output);
        let listed = links(&stdout);
        let expected = helsinki_ids(&sim, "alice");
        assert!(!expected.is_empty());
        assert_eq!(listed.iter().cloned().collect::<BTreeSet<_>>(), expected);
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(listed, sorted, "links are sorted");
        assert!(
            stdout.contains(&format!("{}/photos/", sim.url())),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("{} assets match", expected.len())),
            "{stdout}"
        );
        assert!(sim.changing_requests().is_empty());
    });
}

#[test]
fn the_summary_says_how_many_matches_are_archived_or_hidden_and_how_to_leave_them_out() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let helsinki = files.write("helsinki.json", r#"{"city": "Helsinki"}"#);
        let mut photos = sim
            .assets("alice")
            .into_iter()
            .filter(|a| a.city == "Helsinki" && a.visibility == "timeline");
        sim.set_visibility(&photos.next().unwrap().id, "archive");
        sim.set_visibility(&photos.next().unwrap().id, "hidden");
        let count = |visibility: &str| {
            sim.assets("alice")
                .iter()
                .filter(|a| a.city == "Helsinki" && a.visibility == visibility)
                .count()
        };
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&helsinki)
            .output()
            .unwrap();
        let stdout = stdout_of(&output);
        // Sent as written (compatibility): they are among the matches, and the summary says so.
        assert_eq!(links(&stdout).len(), helsinki_ids(&sim, "alice").len());
        if common::line() == ImmichLine::V2_5 {
            // 2.x searches the timeline unless asked: nothing archived or hidden to speak of.
            assert!(!stdout.contains("Of these"), "{stdout}");
            return;
        }
        assert!(
            stdout.contains(&format!(
                "Of these, {} are archived and {} hidden",
                count("archive"),
                count("hidden")
            )),
            "{stdout}"
        );
        assert!(
            stdout.contains(r#"Add "visibility": "timeline""#),
            "{stdout}"
        );
    });
}

#[test]
fn album_by_name_gets_the_result_once_and_a_second_run_adds_nothing() {
    on_both_lines(|| {
        let sim = sim();
        let album = sim.create_album("alice", "Helsinki", &[]);
        let files = Files::new();
        let helsinki = files.write("helsinki.json", r#"{"city": "Helsinki"}"#);
        let run = || {
            bin_for(&sim, "alice")
                .arg("--include-metadata-file")
                .arg(&helsinki)
                .args(["--album", "Helsinki"])
                .output()
                .unwrap()
        };
        let output = run();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let expected = helsinki_ids(&sim, "alice");
        assert_eq!(
            sim.album_assets(&album)
                .into_iter()
                .collect::<BTreeSet<_>>(),
            expected
        );
        let stdout = stdout_of(&output);
        assert!(stdout.contains("added"), "{stdout}");
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with("added")
                && l.trim_end().ends_with(&expected.len().to_string())),
            "{stdout}"
        );
        let adds = sim
            .changing_requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/assets"))
            .count();
        assert_eq!(adds, expected.len().div_ceil(1000));

        sim.clear_requests();
        let output = run();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert!(sim.changing_requests().is_empty(), "nothing left to add");
        let stdout = stdout_of(&output);
        assert!(
            stdout.lines().any(|l| l.contains("already in the album")
                && l.trim_end().ends_with(&expected.len().to_string())),
            "{stdout}"
        );
    });
}

#[test]
fn album_by_uuid_and_an_exclusion_and_local_rules() {
    on_both_lines(|| {
        let sim = sim();
        let album = sim.create_album("alice", "Kids", &[]);
        let files = Files::new();
        let all = files.write("all.json", r#"{"type": "IMAGE"}"#);
        let no_canon = files.write(
            "canon.json",
            r#"[{"path": "$.exifInfo.make", "regex": "^canon$", "description": "Canon"}]"#,
        );
        let favorites = files.write("fav.json", r#"{"isFavorite": true}"#);
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&all)
            .arg("--exclude-metadata-file")
            .arg(&favorites)
            .arg("--exclude-local-filter-file")
            .arg(&no_canon)
            .args(["--album", &album])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let expected: BTreeSet<String> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| {
                a.kind == "IMAGE" && common::searchable(a) && !a.is_favorite && a.make != "Canon"
            })
            .map(|a| a.id)
            .collect();
        assert_eq!(
            sim.album_assets(&album)
                .into_iter()
                .collect::<BTreeSet<_>>(),
            expected
        );
    });
}

#[test]
fn includes_intersect_and_every_occurrence_of_a_flag_counts() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let helsinki = files.write("helsinki.json", r#"{"city": "Helsinki"}"#);
        let images = files.write("images.json", r#"{"type": "IMAGE"}"#);
        let favorites = files.write("fav.json", r#"{"isFavorite": true}"#);
        let canon = files.write("canon.json", r#"{"make": "Canon"}"#);
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&helsinki)
            .arg(&images)
            .arg("--exclude-metadata-file")
            .arg(&favorites)
            .arg("--exclude-metadata-file")
            .arg(&canon)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let expected: BTreeSet<String> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| {
                a.city == "Helsinki"
                    && a.kind == "IMAGE"
                    && common::searchable(a)
                    && !a.is_favorite
                    && a.make != "Canon"
            })
            .map(|a| a.id)
            .collect();
        assert_eq!(
            links(&stdout_of(&output))
                .into_iter()
                .collect::<BTreeSet<_>>(),
            expected
        );
    });
}

#[test]
fn an_include_search_with_no_results_empties_the_result() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let all = files.write("all.json", r#"{"type": "IMAGE"}"#);
        let nowhere = files.write("nowhere.json", r#"{"city": "Nowhere"}"#);
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&all)
            .arg(&nowhere)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert!(links(&stdout_of(&output)).is_empty());
        assert!(stdout_of(&output).contains("0 assets match"));
    });
}

#[test]
fn smart_search_stops_at_result_limit_with_the_fewest_pages() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let beach = files.write("beach.json", r#"{"query": "beach", "resultLimit": 25}"#);
        let output = bin_for(&sim, "alice")
            .arg("--include-smart-file")
            .arg(&beach)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert_eq!(links(&stdout_of(&output)).len(), 25);
        let smart: Vec<_> = sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/api/search/smart")
            .collect();
        assert_eq!(smart.len(), 1, "one page of 25");
        let body = smart[0].body.clone().unwrap();
        // 2.x (with pgvector) answered pages of 20 to 50 short: it is asked for 100, cut at 25.
        let size = match common::line() {
            ImmichLine::V3_1 => 25,
            ImmichLine::V2_5 => 100,
        };
        assert_eq!(body["size"], size);
        assert!(
            body.get("resultLimit").is_none(),
            "resultLimit is never sent"
        );
    });
}

#[test]
fn max_assets_keeps_the_first_ones() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let all = files.write("all.json", r#"{"type": "IMAGE"}"#);
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&all)
            .args(["--max-assets", "7"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        assert_eq!(links(&stdout_of(&output)).len(), 7);
        assert!(stdout_of(&output).contains("kept by --max-assets"));
    });
}

#[test]
fn server_and_key_come_from_the_environment_and_the_api_url_works_too() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let helsinki = files.write("helsinki.json", r#"{"city": "Helsinki"}"#);
        for server in [
            sim.url(),
            format!("{}/api", sim.url()),
            format!("{}/", sim.url()),
        ] {
            let output = bin()
                .env("IMMICH_SERVER_URL", &server)
                .env("IMMICH_API_KEY", sim.account("bob").api_key)
                .arg("--include-metadata-file")
                .arg(&helsinki)
                .output()
                .unwrap();
            assert_eq!(
                output.status.code(),
                Some(0),
                "{server}: {}",
                stderr_of(&output)
            );
            assert_eq!(
                links(&stdout_of(&output))
                    .into_iter()
                    .collect::<BTreeSet<_>>(),
                helsinki_ids(&sim, "bob")
            );
        }
        assert!(
            sim.requests()
                .iter()
                .any(|r| r.path == "/.well-known/immich")
        );
    });
}

#[test]
fn input_errors_exit_2_and_send_nothing() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let ok = files.write("ok.json", r#"{"city": "Rome"}"#);
        let smart_no_limit = files.write("smart.json", r#"{"query": "beach"}"#);
        let bad_json = files.write("bad.json", "{\"city\": \"Rome\",\n \"x\" 1}");
        let bad_regex = files.write(
            "re.json",
            r#"[{"path": "$.a", "regex": "ok"}, {"path": "$.b", "regex": "(x"}]"#,
        );
        let bad_path = files.write("jp.json", r#"[{"path": "$$..[", "regex": "x"}]"#);
        let missing = files.dir.path().join("missing.json");
        let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
            (
                vec!["--include-smart-file".into(), smart_no_limit.into()],
                "resultLimit",
            ),
            (
                vec!["--include-metadata-file".into(), bad_json.into()],
                "line 2 column",
            ),
            (
                vec![
                    "--include-metadata-file".into(),
                    ok.clone().into(),
                    "--include-local-filter-file".into(),
                    bad_regex.into(),
                ],
                "re.json rule 2",
            ),
            (
                vec![
                    "--include-metadata-file".into(),
                    ok.clone().into(),
                    "--exclude-local-filter-file".into(),
                    bad_path.into(),
                ],
                "jp.json rule 1",
            ),
            (
                vec!["--include-metadata-file".into(), missing.into()],
                "missing.json: cannot read",
            ),
            (
                vec![
                    "--include-local-filter-file".into(),
                    repo("filters/iphone15pro.json").into(),
                ],
                "need at least one include search",
            ),
            (
                vec![
                    "--exclude-smart-file".into(),
                    repo("filters/nsfw.json").into(),
                ],
                "need at least one include search",
            ),
            (
                vec![
                    "--include-metadata-file".into(),
                    ok.clone().into(),
                    "--max-assets".into(),
                    "0".into(),
                ],
                "--max-assets",
            ),
        ];
        for (args, expected) in cases {
            let output = bin_for(&sim, "alice").args(&args).output().unwrap();
            let stderr = stderr_of(&output);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(expected),
                "{args:?}: expected `{expected}` in {stderr}"
            );
        }
        assert!(
            sim.requests().is_empty(),
            "no request at all: {:?}",
            sim.requests()
        );

        let output = bin()
            .args([
                "--server",
                "photos.example.com",
                "--key",
                "k",
                "--include-metadata-file",
            ])
            .arg(&ok)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr_of(&output).contains("--server: `photos.example.com` is not a URL"));
        let output = bin()
            .args(["--server", &sim.url(), "--include-metadata-file"])
            .arg(&ok)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr_of(&output).contains("no API key"));
    });
}

#[test]
fn album_mistakes_exit_2_and_change_nothing() {
    on_both_lines(|| {
        let sim = sim();
        let first = sim.create_album("alice", "Twice", &[]);
        let second = sim.create_album("alice", "Twice", &[]);
        let files = Files::new();
        let ok = files.write("ok.json", r#"{"city": "Rome"}"#);
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&ok)
            .args(["--album", "Twice"])
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&first) && stderr.contains(&second),
            "{stderr}"
        );

        for album in ["No such album", "00000000-0000-4000-8000-000000000000"] {
            let output = bin_for(&sim, "alice")
                .arg("--include-metadata-file")
                .arg(&ok)
                .args(["--album", album])
                .output()
                .unwrap();
            let stderr = stderr_of(&output);
            assert_eq!(output.status.code(), Some(2), "{stderr}");
            assert!(stderr.contains(album), "{stderr}");
        }
        assert!(sim.changing_requests().is_empty());
    });
}

#[test]
fn server_refusals_exit_1_with_plain_words() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let ok = files.write("ok.json", r#"{"city": "Rome"}"#);
        let output = bin()
            .args([
                "--server",
                &sim.url(),
                "--key",
                "not-a-key",
                "--include-metadata-file",
            ])
            .arg(&ok)
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("401") && stderr.contains("did not accept the API key"),
            "{stderr}"
        );

        let read_only = sim.add_api_key("alice", "read only", &["asset.read"]);
        sim.create_album("alice", "Rome", &[]);
        let output = bin()
            .args([
                "--server",
                &sim.url(),
                "--key",
                &read_only,
                "--include-metadata-file",
            ])
            .arg(&ok)
            .args(["--album", "Rome"])
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("lacks the permission `album.read`"),
            "{stderr}"
        );
        assert!(sim.changing_requests().is_empty());
    });
}

#[test]
fn a_viewer_cannot_add_and_is_told_why() {
    on_both_lines(|| {
        let sim = sim();
        sim.create_album("bob", "Bob's", &[("alice", Role::Viewer)]);
        let files = Files::new();
        let ok = files.write("ok.json", r#"{"city": "Rome"}"#);
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&ok)
            .args(["--album", "Bob's"])
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("PUT /api/albums/"), "{stderr}");
        assert!(stderr.contains("albumAsset.create"), "{stderr}");
    });
}

#[test]
fn the_key_never_appears_in_any_output() {
    on_both_lines(|| {
        let sim = sim();
        let key = sim.account("alice").api_key;
        sim.create_album("alice", "Rome", &[]);
        let files = Files::new();
        let ok = files.write("ok.json", r#"{"city": "Rome"}"#);
        let smart = files.write("s.json", r#"{"query": "beach", "resultLimit": 10}"#);
        for args in [
            vec!["--verbose".to_string()],
            vec![
                "--verbose".to_string(),
                "--album".to_string(),
                "Rome".to_string(),
            ],
            vec![
                "--verbose".to_string(),
                "--album".to_string(),
                "Nope".to_string(),
            ],
            vec![
                "--verbose".to_string(),
                "--include-smart-file".to_string(),
                smart.display().to_string(),
            ],
        ] {
            let output = bin_for(&sim, "alice")
                .arg("--include-metadata-file")
                .arg(&ok)
                .args(&args)
                .output()
                .unwrap();
            let all = format!("{}{}", stdout_of(&output), stderr_of(&output));
            assert!(all.contains("debug:"), "verbose output is on: {all}");
            assert!(!all.contains(&key), "{args:?} printed the key");
        }
        let help = bin()
            .env("IMMICH_API_KEY", &key)
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            !stdout_of(&help).contains(&key),
            "--help shows the key from the environment"
        );
    });
}

#[test]
fn a_local_rule_with_a_recursive_path_gets_the_exif_it_reads() {
    on_both_lines(|| {
        let sim = sim();
        let files = Files::new();
        let everything = files.write("all.json", "{}");
        let rule = files.write(
            "iphone.json",
            r#"[{"path": "$..model", "regex": "^iPhone 15 Pro$"}]"#,
        );
        let output = bin_for(&sim, "alice")
            .arg("--include-metadata-file")
            .arg(&everything)
            .arg("--include-local-filter-file")
            .arg(&rule)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let expected: BTreeSet<String> = sim
            .assets("alice")
            .into_iter()
            .filter(|a| a.model == "iPhone 15 Pro" && common::searchable(a))
            .map(|a| a.id)
            .collect();
        assert!(!expected.is_empty());
        let listed: BTreeSet<String> = links(&stdout_of(&output)).into_iter().collect();
        assert_eq!(listed, expected);
        let search = sim
            .requests()
            .into_iter()
            .find(|r| r.path == "/api/search/metadata")
            .unwrap();
        assert_eq!(
            search.body.unwrap()["withExif"],
            true,
            "the search asked for exif"
        );
    });
}

/// A host without CA certificates (a slim container without ca-certificates; here: the variables
/// that point the system's CA lookup at nothing) still reaches a plain-http server, and an https://
/// one is an error that says what is missing, not a panic.
#[cfg(target_os = "linux")]
#[test]
fn without_ca_certificates_http_works_and_https_says_what_is_missing() {
    on_both_lines(|| {
        let sim = sim();
        let album = sim.create_album("alice", "Helsinki", &[]);
        let files = Files::new();
        let helsinki = files.write("helsinki.json", r#"{"city": "Helsinki"}"#);
        let output = bin_for(&sim, "alice")
            .env("SSL_CERT_FILE", "/nonexistent/ca.pem")
            .env("SSL_CERT_DIR", "/nonexistent")
            .arg("--include-metadata-file")
            .arg(&helsinki)
            .args(["--album", "Helsinki"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
        let held: BTreeSet<String> = sim.album_assets(&album).into_iter().collect();
        assert_eq!(held, helsinki_ids(&sim, "alice"));

        let output = bin()
            .env("SSL_CERT_FILE", "/nonexistent/ca.pem")
            .env("SSL_CERT_DIR", "/nonexistent")
            .args(["--server", "https://127.0.0.1:9", "--key", "k"])
            .arg("--include-metadata-file")
            .arg(&helsinki)
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("no CA certificates on this host")
                && stderr.contains("install the ca-certificates package"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    });
}
