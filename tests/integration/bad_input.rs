//! The bad-input catalogue: one test per mistake a user can make. Each asserts the message (the file,
//! the place, what was expected), the exit code, and that the simulator saw no request that changes
//! anything.

use crate::common;

use crate::common::{Files, Setup, bin, bin_for, on_both_lines, sim, stderr_of};

/// Runs `sync` on a job file and checks exit code, message and that nothing changed.
fn sync_fails(job: &str, code: i32, expected: &[&str]) {
    let setup = Setup::new(sim());
    setup.job("jobs.yaml", job);
    let output = setup.run(&["sync", "jobs.yaml"]);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    for text in expected {
        assert!(stderr.contains(text), "expected `{text}` in: {stderr}");
    }
    assert!(
        setup.sim.changing_requests().is_empty(),
        "{:?}",
        setup.sim.changing_requests()
    );
}

fn job_with(include: &str) -> String {
    format!("profile: family\njobs:\n  k:\n    include: [{include}]\n    album: A\n")
}

#[test]
fn malformed_json_filter_names_line_and_column() {
    on_both_lines(|| {
        let setup = Setup::new(sim());
        setup.job(
            "bad.json",
            "{\n  \"city\": \"Rome\",\n  \"country\" \"Italy\"\n}",
        );
        setup.job("jobs.yaml", &job_with("{metadata: bad.json}"));
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("bad.json: not valid JSON") && stderr.contains("line 3 column"),
            "{stderr}"
        );
        assert!(setup.sim.requests().is_empty());
    });
}

#[test]
fn yaml_job_with_an_unknown_field() {
    on_both_lines(|| {
        sync_fails(
            "profile: family\njobs:\n  k:\n    include: [{people: [Mia]}]\n    album: A\n    safe_album: B\n",
            2,
            &[
                "jobs.yaml",
                "line 6 column 5",
                "unknown field `safe_album`",
                "expected one of",
            ],
        );
    });
}

#[test]
fn yaml_profile_with_an_unknown_field() {
    on_both_lines(|| {
        let setup = Setup::new(sim());
        let profile = setup.dir.path().join("profiles/family.yaml");
        let text = std::fs::read_to_string(&profile).unwrap().replace(
            "    api_key_env: TEST_KEY_BOB",
            "    api_key_evn: TEST_KEY_BOB",
        );
        std::fs::write(&profile, text).unwrap();
        setup.job("jobs.yaml", &job_with("{people: [Mia]}"));
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("family.yaml")
                && stderr.contains("api_key_evn")
                && stderr.contains("line 7"),
            "{stderr}"
        );
        assert!(setup.sim.requests().is_empty());
    });
}

#[test]
fn a_bad_regex_names_the_rule() {
    on_both_lines(|| {
        sync_fails(
            "profile: family\njobs:\n  k:\n    include: [{people: [Mia]}]\n    local:\n      include: [[{path: $.exifInfo.make, regex: Apple}, {path: $.exifInfo.model, regex: 'iPhone (15'}]]\n    album: A\n",
            2,
            &["rule 2", "`iPhone (15` is not a valid regex"],
        );
    });
}

#[test]
fn a_bad_jsonpath_names_the_rule() {
    on_both_lines(|| {
        let files = Files::new();
        let rules = files.write("rules.json", r#"[{"path": "$.exifInfo[", "regex": "x"}]"#);
        let output = bin_for(&sim(), "alice")
            .args([
                "--include-metadata-file",
                common::repo("filters/all-photos.json").to_str().unwrap(),
            ])
            .arg("--include-local-filter-file")
            .arg(&rules)
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("rules.json rule 1: `$.exifInfo[` is not a valid JSONPath"),
            "{stderr}"
        );
    });
}

#[test]
fn a_missing_filter_file() {
    on_both_lines(|| {
        sync_fails(
            &job_with("{metadata: summer-2031.json}"),
            2,
            &["summer-2031.json: cannot read"],
        );
    });
}

#[test]
fn an_unknown_profile() {
    on_both_lines(|| {
        sync_fails(
            "profile: grandparents\njobs:\n  k:\n    include: [{people: [Mia]}]\n    album: A\n",
            2,
            &["grandparents", "profiles add"],
        );
    });
}

#[test]
fn a_profile_without_accounts() {
    on_both_lines(|| {
        for text in ["", "accounts: {}\n", "timeout: 30\n"] {
            let setup = Setup::new(sim());
            let profile = setup.dir.path().join("profiles/family.yaml");
            std::fs::write(&profile, text).unwrap();
            setup.job("jobs.yaml", &job_with("{people: [Mia]}"));
            for command in ["preview", "sync"] {
                let output = setup.run(&[command, "jobs.yaml"]);
                let stderr = stderr_of(&output);
                assert_eq!(
                    output.status.code(),
                    Some(2),
                    "{command} {text:?}: {stderr}"
                );
                assert!(
                    stderr.contains(&profile.display().to_string())
                        && stderr.contains("no accounts"),
                    "{command} {text:?}: {stderr}"
                );
                assert!(!stderr.contains("panicked"), "{stderr}");
            }
            assert!(setup.sim.requests().is_empty());
        }
    });
}

#[test]
fn an_unknown_account() {
    on_both_lines(|| {
        sync_fails(
            "profile: family\njobs:\n  k:\n    accounts: [alice, carol]\n    include: [{people: [Mia]}]\n    album: A\n",
            2,
            &["account `carol`", "its accounts are: alice, bob"],
        );
    });
}

#[test]
fn an_unknown_job() {
    on_both_lines(|| {
        let setup = Setup::new(sim());
        setup.job("jobs.yaml", &job_with("{people: [Mia]}"));
        let output = setup.run(&["sync", "jobs.yaml", "--job", "kidz"]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("no job named `kidz`; the jobs are: k"),
            "{stderr}"
        );
        assert!(setup.sim.requests().is_empty());
    });
}

#[test]
fn an_unknown_person() {
    on_both_lines(|| {
        sync_fails(
            &job_with("{people: [Mia, Zoe]}"),
            2,
            // The accounts that were asked, so a person knows where to look.
            &["no account of the job (alice, bob) knows a person named `Zoe`"],
        );
    });
}

#[test]
fn an_unparsable_server_url() {
    on_both_lines(|| {
        let setup = Setup::new(sim());
        std::fs::write(
            setup.dir.path().join("profiles/family.yaml"),
            "accounts:\n  alice:\n    server: photos.example.com\n    api_key_env: TEST_KEY_ALICE\n",
        )
        .unwrap();
        setup.job("jobs.yaml", &job_with("{people: [Mia]}"));
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("alice")
                && stderr.contains("no scheme (expected e.g. https://photos.example.com)"),
            "{stderr}"
        );
        let output = bin()
            .args([
                "--server",
                "https//x",
                "--key",
                "k",
                "--include-smart-file",
                "filters/beach.json",
            ])
            .current_dir(common::repo("."))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
    });
}

#[test]
fn a_key_the_server_refuses() {
    on_both_lines(|| {
        let setup = Setup::new(sim());
        setup.job("jobs.yaml", &job_with("{people: [Mia]}"));
        let output = setup
            .bin()
            .env("TEST_KEY_ALICE", "wrong-key")
            .args(["sync", "jobs.yaml"])
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        // The album owner's key is refused: the job cannot even find its album. A server's answer, exit 1.
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("401") && stderr.contains("did not accept the API key"),
            "{stderr}"
        );
        assert!(setup.sim.changing_requests().is_empty());
    });
}

#[test]
fn a_key_without_a_needed_permission_names_it() {
    on_both_lines(|| {
        let sim = sim();
        let key = sim.add_api_key("alice", "read only", &["asset.read", "user.read"]);
        let setup = Setup::new(sim);
        setup.job("jobs.yaml", &job_with("{people: [Mia]}"));
        let output = setup
            .bin()
            .env("TEST_KEY_ALICE", &key)
            .args(["sync", "jobs.yaml"])
            .output()
            .unwrap();
        let all = format!("{}{}", common::stdout_of(&output), stderr_of(&output));
        assert_eq!(output.status.code(), Some(1), "{all}");
        assert!(all.contains("lacks the permission `person.read`"), "{all}");
        assert!(setup.sim.changing_requests().is_empty());
    });
}

#[test]
fn an_album_name_matching_two_albums_lists_both() {
    on_both_lines(|| {
        let sim = sim();
        let first = sim.create_album("alice", "A", &[]);
        let second = sim.create_album("alice", "A", &[]);
        let setup = Setup::new(sim);
        setup.job("jobs.yaml", &job_with("{people: [Mia]}"));
        let output = setup.run(&["sync", "jobs.yaml"]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("2 albums are named `A`")
                && stderr.contains(&first)
                && stderr.contains(&second),
            "{stderr}"
        );
        assert!(setup.sim.changing_requests().is_empty());
    });
}

#[test]
fn an_album_uuid_that_does_not_exist() {
    on_both_lines(|| {
        sync_fails(
            "profile: family\njobs:\n  k:\n    include: [{people: [Mia]}]\n    album: 6f1b4c1e-8b1a-4b7e-9d3e-2a6c0c5b9f10\n",
            2,
            &["album `6f1b4c1e-8b1a-4b7e-9d3e-2a6c0c5b9f10` does not exist"],
        );
    });
}

#[test]
fn a_smart_filter_without_result_limit() {
    on_both_lines(|| {
        sync_fails(
            &job_with("{smart: {query: beach}}"),
            2,
            &["needs `resultLimit`", "no cut-off"],
        );
    });
}

#[test]
fn an_empty_include_list() {
    on_both_lines(|| {
        sync_fails(
            "profile: family\njobs:\n  k:\n    include: []\n    album: A\n",
            2,
            &["job `k`: `include` is empty"],
        );
    });
}
