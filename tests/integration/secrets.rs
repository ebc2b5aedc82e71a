//! API keys never appear in any output: every command, with `--verbose`, on success and on failure,
//! is run and its stdout and stderr searched for the keys it used.

use crate::common::{Files, Setup, bin, sim, stderr_of, stdout_of};

fn assert_no_key(what: &str, output: &std::process::Output, keys: &[String]) {
    let all = format!("{}{}", stdout_of(output), stderr_of(output));
    for key in keys {
        assert!(!all.contains(key.as_str()), "{what} printed a key:\n{all}");
    }
}

#[test]
fn no_command_prints_a_key_even_with_verbose() {
    let setup = Setup::new(sim());
    let keys = vec![
        setup.sim.account("alice").api_key,
        setup.sim.account("bob").api_key,
    ];
    setup.job(
        "jobs.yaml",
        "profile: family\njobs:\n  kids:\n    include: [{people: [Mia]}]\n    album: Kids\n    safe:\n      album: Kids (safe)\n      exclude: [{smart: {query: nsfw, resultLimit: 10}}]\n",
    );
    let runs: &[&[&str]] = &[
        &["preview", "jobs.yaml", "--verbose", "--list"],
        &["preview", "jobs.yaml", "--verbose", "--format", "json"],
        &["sync", "jobs.yaml", "--verbose"],
        &["sync", "jobs.yaml", "--verbose", "--quiet"],
        &["profiles", "list", "--verbose"],
        &["profiles", "show", "family", "--verbose"],
        &["profiles", "test", "family", "--verbose"],
    ];
    for args in runs {
        let output = setup.run(args);
        assert!(
            stderr_of(&output).contains("debug:") || args[0] == "profiles",
            "{args:?} is verbose"
        );
        assert_no_key(&format!("{args:?}"), &output, &keys);
    }

    // profiles add, reading the key from stdin and storing it in a file.
    let key_file = setup.dir.path().join("carol.key");
    let output = setup
        .bin()
        .args([
            "profiles",
            "add",
            "family",
            "carol",
            "--verbose",
            "--api-key-stdin",
            "--server",
        ])
        .arg(setup.sim.url())
        .arg("--store")
        .arg(format!("file:{}", key_file.display()))
        .write_stdin(format!("{}\n", keys[0]))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_no_key("profiles add", &output, &keys);

    // Failures: a refused key, and a server that redirects elsewhere.
    let output = setup
        .bin()
        .env("TEST_KEY_BOB", "not-the-key-but-secret")
        .args(["sync", "jobs.yaml", "--verbose"])
        .output()
        .unwrap();
    assert_no_key(
        "sync with a refused key",
        &output,
        &["not-the-key-but-secret".to_string()],
    );

    // The Python-compatible command, previewing and adding, with the key in a flag and in the env.
    let files = Files::new();
    let rome = files.write("rome.json", r#"{"city": "Rome"}"#);
    setup.sim.create_album("alice", "Rome", &[]);
    for album in [None, Some("Rome"), Some("No such album")] {
        let mut cmd = bin();
        cmd.args([
            "--verbose",
            "--server",
            &setup.sim.url(),
            "--include-metadata-file",
        ])
        .arg(&rome)
        .env("IMMICH_API_KEY", &keys[0]);
        if let Some(album) = album {
            cmd.args(["--album", album]);
        }
        let output = cmd.output().unwrap();
        assert_no_key(&format!("drop-in {album:?}"), &output, &keys);
    }
    let help = bin()
        .env("IMMICH_API_KEY", &keys[0])
        .arg("--help")
        .output()
        .unwrap();
    assert_no_key("--help", &help, &keys);
}
