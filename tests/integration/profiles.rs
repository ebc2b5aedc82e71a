//! `immich-smart-albums profiles …` end to end: the binary with its config directory in a temporary
//! directory, against the simulator. Keys come from stdin, files, variables and commands; the OS
//! keyring is only used by the Secret Service test, which runs on CI (`CI` truthy; .ci/run gives it a
//! D-Bus session with a throw-away keyring) or when IMMICH_SMART_ALBUMS_SECRET_SERVICE_TEST is truthy,
//! and elsewhere says on the terminal that it was skipped.

use crate::common;

use std::path::PathBuf;
use std::process::Output;

use crate::common::{bin, on_both_lines, sim, stderr_of, stdout_of};
use assert_cmd::Command;
use immich_smart_albums::sim::Simulator;

/// A config directory of its own, and the binary pointed at it.
struct Config {
    dir: tempfile::TempDir,
}

impl Config {
    fn new() -> Config {
        Config {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn profile(&self, name: &str) -> PathBuf {
        self.path(&format!("profiles/{name}.yaml"))
    }

    fn bin(&self) -> Command {
        let mut cmd = bin();
        cmd.env("IMMICH_SMART_ALBUMS_CONFIG_DIR", self.dir.path())
            .env_remove("IMMICH_SMART_ALBUMS_TIMEOUT")
            .env_remove("IMMICH_SMART_ALBUMS_CONNECT_TIMEOUT")
            .env_remove("IMMICH_SMART_ALBUMS_MAX_IN_FLIGHT")
            .current_dir(self.dir.path());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.bin().args(args).output().unwrap()
    }

    /// `profiles add PROFILE ACCOUNT --server URL --api-key-stdin --store file:KEYFILE [extra]`.
    fn add_with_file(
        &self,
        sim: &Simulator,
        profile: &str,
        account: &str,
        key: &str,
        extra: &[&str],
    ) -> Output {
        let store = format!(
            "file:{}",
            self.path(&format!("keys/{account}.key")).display()
        );
        self.bin()
            .args(["profiles", "add", profile, account, "--server"])
            .arg(sim.url())
            .args(["--api-key-stdin", "--store", &store])
            .args(extra)
            .write_stdin(format!("{key}\n"))
            .output()
            .unwrap()
    }

    fn write_profile(&self, name: &str, text: &str) -> PathBuf {
        let path = self.profile(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn write_key(&self, name: &str, key: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        path
    }
}

fn all_output(output: &Output) -> String {
    format!("{}{}", stdout_of(output), stderr_of(output))
}

fn assert_no_key(output: &Output, keys: &[&str]) {
    let text = all_output(output);
    for key in keys {
        assert!(!text.contains(key), "a key leaked into the output:\n{text}");
    }
}

#[test]
fn add_checks_the_key_and_stores_it_in_a_file() {
    on_both_lines(|| {
        let sim = sim();
        let config = Config::new();
        let alice = sim.account("alice");
        let output = config.add_with_file(&sim, "family", "alice", &alice.api_key, &["--verbose"]);
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert!(stdout.contains(&alice.email), "{stdout}");
        assert!(
            stdout.contains("permissions: everything jobs need"),
            "{stdout}"
        );
        assert!(
            stdout.contains("Added account alice in profile family"),
            "{stdout}"
        );
        assert_no_key(&output, &[&alice.api_key]);

        let key_file = config.path("keys/alice.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            std::fs::read_to_string(&key_file).unwrap().trim(),
            alice.api_key
        );
        let yaml = std::fs::read_to_string(config.profile("family")).unwrap();
        assert!(yaml.contains("alice:"), "{yaml}");
        assert!(yaml.contains("api_key_file:"), "{yaml}");
        assert!(yaml.contains(&sim.url()), "{yaml}");
        assert!(!yaml.contains(&alice.api_key), "{yaml}");

        // A second account goes into the same file, after the first.
        let bob = sim.account("bob");
        let output = config.add_with_file(&sim, "family", "bob", &bob.api_key, &[]);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        let yaml = std::fs::read_to_string(config.profile("family")).unwrap();
        assert!(
            yaml.find("alice:").unwrap() < yaml.find("bob:").unwrap(),
            "{yaml}"
        );

        let output = config.run(&["profiles", "list"]);
        assert_eq!(output.status.code(), Some(0));
        assert!(
            stdout_of(&output).contains("family  2 accounts: alice, bob"),
            "{}",
            stdout_of(&output)
        );
    });
}

#[test]
fn a_restricted_key_is_refused_unless_forced() {
    on_both_lines(|| {
        let sim = sim();
        let config = Config::new();
        let restricted = sim.add_api_key("bob", "read only", &["asset.read", "user.read"]);
        let output = config.add_with_file(&sim, "family", "bob", &restricted, &[]);
        assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
        let stdout = stdout_of(&output);
        assert!(stdout.contains("missing permissions:"), "{stdout}");
        assert!(stdout.contains("album.create"), "{stdout}");
        assert!(stdout.contains(&sim.account("bob").email), "{stdout}");
        assert!(
            stderr_of(&output).contains("--force"),
            "{}",
            stderr_of(&output)
        );
        assert!(!config.profile("family").exists());
        assert!(!config.path("keys/bob.key").exists());
        assert_no_key(&output, &[&restricted]);

        let output = config.add_with_file(&sim, "family", "bob", &restricted, &["--force"]);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert!(config.profile("family").exists());

        // `profiles test` counts the missing permissions as a failure.
        let output = config.run(&["profiles", "test", "family"]);
        assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
        assert!(stdout_of(&output).contains("missing permissions: "));
        assert_no_key(&output, &[&restricted]);
    });
}

#[test]
fn a_key_the_server_refuses_is_not_stored() {
    on_both_lines(|| {
        let sim = sim();
        let config = Config::new();
        let output = config.add_with_file(&sim, "family", "bob", "not-a-valid-key-123", &["-v"]);
        assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
        assert!(stderr_of(&output).contains("401"), "{}", stderr_of(&output));
        assert!(!config.profile("family").exists());
        assert!(!config.path("keys/bob.key").exists());
        assert_no_key(&output, &["not-a-valid-key-123"]);

        let output = config
            .bin()
            .args(["profiles", "add", "family", "bob", "--server"])
            .arg(sim.url())
            .args(["--api-key-stdin", "--store", "file:keys/bob.key"])
            .write_stdin("  \n")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr_of(&output).contains("empty"),
            "{}",
            stderr_of(&output)
        );
    });
}

#[test]
fn show_and_test_read_keys_from_files_variables_and_commands() {
    on_both_lines(|| {
        let sim = sim_with_carol();
        let config = Config::new();
        let alice = sim.account("alice");
        let bob = sim.account("bob");
        let carol = sim.account("carol");
        let alice_file = config.write_key("alice.key", &alice.api_key);
        let carol_file = config.write_key("carol.key", &carol.api_key);
        config.write_profile(
            "family",
            &format!(
                "timeout: 30\naccounts:\n  alice:\n    server: {url}\n    api_key_file: {}\n  \
                 bob:\n    server: {url}/api\n    api_key_env: ISA_TEST_KEY_BOB\n  \
                 carol:\n    server: {url}\n    api_key_command: \"cat '{}'\"\n",
                alice_file.display(),
                carol_file.display(),
                url = sim.url()
            ),
        );
        let keys = [&*alice.api_key, &*bob.api_key, &*carol.api_key];

        let output = config
            .bin()
            .args(["profiles", "show", "family", "--verbose"])
            .env("ISA_TEST_KEY_BOB", &bob.api_key)
            .output()
            .unwrap();
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert_eq!(stdout.matches("key: found").count(), 3, "{stdout}");
        assert!(
            stdout.contains("environment variable ISA_TEST_KEY_BOB"),
            "{stdout}"
        );
        assert!(stdout.contains("settings: timeout: 30 s"), "{stdout}");
        assert_no_key(&output, &keys);

        let output = config
            .bin()
            .args(["profiles", "test", "family", "-v"])
            .env("ISA_TEST_KEY_BOB", &bob.api_key)
            .output()
            .unwrap();
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert!(stdout.contains("All 3 accounts passed."), "{stdout}");
        assert!(stdout.contains(&carol.email), "{stdout}");
        assert!(stdout.contains("reachable: yes, Immich "), "{stdout}");
        assert_no_key(&output, &keys);

        // Without the variable, bob's key is not found; show says how to fix it, test fails only bob.
        let output = config.run(&["profiles", "show", "family"]);
        let stdout = stdout_of(&output);
        assert!(stdout.contains("key: NOT FOUND"), "{stdout}");
        assert!(
            stdout.contains(&format!(
                "immich-smart-albums profiles add family bob --server {}/api",
                sim.url()
            )),
            "{stdout}"
        );
        let output = config.run(&["profiles", "test", "family"]);
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
        assert!(stdout.contains("account alice: ok"), "{stdout}");
        assert!(stdout.contains("account bob: FAILED"), "{stdout}");
        assert!(stdout.contains("account carol: ok"), "{stdout}");
        assert!(stdout.contains("1 of 3 accounts failed."), "{stdout}");
    });
}

fn sim_with_carol() -> Simulator {
    common::sim_with(&["alice", "bob", "carol"], 50)
}

#[test]
fn test_reports_every_account_when_one_key_is_bad() {
    on_both_lines(|| {
        let sim = sim();
        let config = Config::new();
        let alice = sim.account("alice");
        let bob = sim.account("bob");
        assert_eq!(
            config
                .add_with_file(&sim, "family", "alice", &alice.api_key, &[])
                .status
                .code(),
            Some(0)
        );
        assert_eq!(
            config
                .add_with_file(&sim, "family", "bob", &bob.api_key, &[])
                .status
                .code(),
            Some(0)
        );
        sim.revoke_api_key(&bob.api_key);
        let output = config.run(&["profiles", "test", "family", "--verbose"]);
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
        assert!(stdout.contains("account alice: ok"), "{stdout}");
        assert!(stdout.contains(&alice.email), "{stdout}");
        assert!(stdout.contains("account bob: FAILED"), "{stdout}");
        assert!(stdout.contains("401"), "{stdout}");
        assert_no_key(&output, &[&alice.api_key, &bob.api_key]);

        // A broken command key source is reported with the account and the command's stderr.
        let mut yaml = std::fs::read_to_string(config.profile("family")).unwrap();
        yaml.push_str("  carol:\n    server: http://127.0.0.1:9\n    api_key_command: \"echo vault locked >&2; exit 4\"\n");
        std::fs::write(config.profile("family"), yaml).unwrap();
        sim.clear_requests();
        let output = config.run(&["profiles", "test", "family"]);
        let stdout = stdout_of(&output);
        assert_eq!(output.status.code(), Some(1));
        assert!(stdout.contains("account carol: FAILED"), "{stdout}");
        assert!(stdout.contains("vault locked"), "{stdout}");
        assert!(stdout.contains("2 of 3 accounts failed."), "{stdout}");
    });
}

#[test]
fn remove_an_account_then_the_profile() {
    on_both_lines(|| {
        let sim = sim();
        let config = Config::new();
        for name in ["alice", "bob"] {
            let key = sim.account(name).api_key;
            assert_eq!(
                config
                    .add_with_file(&sim, "family", name, &key, &[])
                    .status
                    .code(),
                Some(0)
            );
        }
        let output = config.run(&["profiles", "remove", "family", "carol"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr_of(&output).contains("it has: alice, bob"),
            "{}",
            stderr_of(&output)
        );

        let output = config.run(&["profiles", "remove", "family", "bob"]);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        let stdout = stdout_of(&output);
        assert!(stdout.contains("Removed account bob"), "{stdout}");
        assert!(stdout.contains("left in place"), "{stdout}");
        let yaml = std::fs::read_to_string(config.profile("family")).unwrap();
        assert!(!yaml.contains("bob"), "{yaml}");
        assert!(yaml.contains("alice"), "{yaml}");

        let output = config.run(&["profiles", "remove", "family"]);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert!(!config.profile("family").exists());
        let output = config.run(&["profiles", "list"]);
        assert!(
            stdout_of(&output).contains("No profiles in"),
            "{}",
            stdout_of(&output)
        );
        let output = config.run(&["profiles", "show", "family"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr_of(&output).contains("profiles add family"),
            "{}",
            stderr_of(&output)
        );
    });
}

#[test]
fn profile_files_with_mistakes_are_input_errors() {
    on_both_lines(|| {
        let config = Config::new();
        let path = config.write_profile(
            "family",
            "accounts:\n  bob:\n    server: https://photos.example.com\n    api_key_fiel: /k\n",
        );
        let output = config.run(&["profiles", "show", "family"]);
        assert_eq!(output.status.code(), Some(2));
        let stderr = stderr_of(&output);
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
        assert!(stderr.contains("line 4, column 5"), "{stderr}");

        // A path is a path: relative to the current directory.
        let output = config.run(&["profiles", "show", "profiles/family.yaml"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr_of(&output).contains("api_key_fiel"));

        // A key file others can read is refused, naming the file and the fix.
        let key = config.path("open.key");
        std::fs::write(&key, "some-key").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
            config.write_profile(
                "open",
                &format!(
                    "accounts:\n  bob:\n    server: https://photos.example.com\n    api_key_file: {}\n",
                    key.display()
                ),
            );
            let output = config.run(&["profiles", "show", "open"]);
            let stdout = stdout_of(&output);
            assert!(stdout.contains("chmod 600"), "{stdout}");
            assert!(!stdout.contains("some-key"), "{stdout}");
        }
    });
}

#[test]
fn settings_come_from_flags_env_and_profile() {
    on_both_lines(|| {
        let config = Config::new();
        config.write_profile("family", "accounts: {}\n");
        let output = config
            .bin()
            .args(["profiles", "test", "family"])
            .env("IMMICH_SMART_ALBUMS_MAX_IN_FLIGHT", "lots")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr_of(&output).contains("IMMICH_SMART_ALBUMS_MAX_IN_FLIGHT"));
        // The flag wins over the bad variable.
        let output = config
            .bin()
            .args(["profiles", "test", "family", "--max-in-flight", "2"])
            .env("IMMICH_SMART_ALBUMS_MAX_IN_FLIGHT", "lots")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        // The drop-in command reads the variables too.
        let output = bin()
            .args(["--server", "http://127.0.0.1:9", "--key", "k"])
            .args(["--include-metadata-file", "x.json"])
            .env("IMMICH_SMART_ALBUMS_TIMEOUT", "0")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
    });
}

#[test]
fn every_profiles_help_has_an_example() {
    on_both_lines(|| {
        for sub in [
            &["profiles"][..],
            &["profiles", "add"],
            &["profiles", "list"],
            &["profiles", "show"],
            &["profiles", "test"],
            &["profiles", "remove"],
        ] {
            let output = bin().args(sub).arg("--help").output().unwrap();
            assert_eq!(output.status.code(), Some(0), "{sub:?}");
            let stdout = stdout_of(&output);
            assert!(stdout.contains("Example"), "{sub:?}: {stdout}");
            assert!(
                stdout.contains("immich-smart-albums profiles"),
                "{sub:?}: {stdout}"
            );
        }
    });
}

/// Against a real Secret Service: `profiles add` with the default keyring store, `show` finds the key,
/// `test` uses it, `remove` deletes it. Needs a D-Bus session with an unlocked Secret Service; `.ci/run`
/// provides one. It runs on CI, where a missing Secret Service fails it, and wherever
/// IMMICH_SMART_ALBUMS_SECRET_SERVICE_TEST is truthy; elsewhere it is skipped with a note on the
/// terminal (it writes to the keyring of whoever runs it).
#[test]
fn secret_service_round_trip() {
    on_both_lines(|| {
        let opted_in = common::truthy(
            std::env::var("IMMICH_SMART_ALBUMS_SECRET_SERVICE_TEST")
                .ok()
                .as_deref(),
        );
        if !opted_in && !common::on_ci() {
            common::skip_unless_ci(
                "secret_service_round_trip",
                "it needs a D-Bus session with an unlocked Secret Service; set \
                 IMMICH_SMART_ALBUMS_SECRET_SERVICE_TEST=1 in one to run it (.ci/run does)",
            );
            return;
        }
        let sim = sim();
        let config = Config::new();
        let alice = sim.account("alice");
        let profile = format!("ss-test-{}", std::process::id());
        // Without a Secret Service, the first step fails here, on CI as anywhere it was asked to run.
        let output = config
            .bin()
            .args(["profiles", "add", &profile, "alice", "--server"])
            .arg(sim.url())
            .arg("--api-key-stdin")
            .write_stdin(alice.api_key.clone())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert!(
            stdout_of(&output).contains(&format!(
                "the OS keyring (service immich-smart-albums, user {profile}/alice)"
            )),
            "{}",
            stdout_of(&output)
        );
        let yaml = std::fs::read_to_string(config.profile(&profile)).unwrap();
        assert!(
            !yaml.lines().any(|l| l.trim_start().starts_with("api_key")),
            "{yaml}"
        );
        assert!(!yaml.contains(&alice.api_key), "{yaml}");

        let output = config.run(&["profiles", "show", &profile, "-v"]);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert!(
            stdout_of(&output).contains("key: found"),
            "{}",
            stdout_of(&output)
        );
        assert_no_key(&output, &[&alice.api_key]);

        let output = config.run(&["profiles", "test", &profile]);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));

        let output = config.run(&["profiles", "remove", &profile]);
        assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
        assert!(
            stdout_of(&output).contains("Deleted the keyring entry"),
            "{}",
            stdout_of(&output)
        );

        // The entry is gone: the same profile written again finds no key.
        config.write_profile(
            &profile,
            &format!("accounts:\n  alice:\n    server: {}\n", sim.url()),
        );
        let output = config.run(&["profiles", "show", &profile]);
        let stdout = stdout_of(&output);
        assert!(stdout.contains("no API key in the OS keyring"), "{stdout}");
        assert!(
            stdout.contains(&format!("profiles add {profile} alice --server")),
            "{stdout}"
        );
    });
}

#[test]
fn ci_is_truthy_in_every_usual_spelling() {
    on_both_lines(|| {
        for yes in ["true", "TRUE", "True", "1", "yes", "YES", " true "] {
            assert!(common::truthy(Some(yes)), "{yes:?}");
        }
        for no in ["", "0", "false", "no", "off", "2"] {
            assert!(!common::truthy(Some(no)), "{no:?}");
        }
        assert!(!common::truthy(None));
    });
}

/// Ctrl-C at the key prompt of `profiles add` (on a terminal: `script` gives it one) ends the run with
/// 130, every time: never killed outright, never a "could not read the key" input error (2).
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_at_the_key_prompt_exits_130() {
    on_both_lines(|| {
        use std::io::{Read, Write};
        use std::sync::{Arc, Mutex};
        if std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_err()
        {
            common::skip_unless_ci(
                "ctrl_c_at_the_key_prompt_exits_130",
                "`script` (util-linux) is not installed",
            );
            return;
        }
        let sim = sim();
        let config = Config::new();
        let command = format!(
            "IMMICH_SMART_ALBUMS_CONFIG_DIR='{}' '{}' profiles add family alice --server {} --store file:alice.key",
            config.dir.path().display(),
            env!("CARGO_BIN_EXE_immich-smart-albums"),
            sim.url()
        );
        for _ in 0..3 {
            let mut child = std::process::Command::new("script")
                .args(["-q", "-e", "-c", &command, "/dev/null"])
                .current_dir(config.dir.path())
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let seen = Arc::new(Mutex::new(String::new()));
            let mut stdout = child.stdout.take().unwrap();
            let reader = {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 1024];
                    while let Ok(n) = stdout.read(&mut buffer) {
                        if n == 0 {
                            break;
                        }
                        seen.lock()
                            .unwrap()
                            .push_str(&String::from_utf8_lossy(&buffer[..n]));
                    }
                })
            };
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while !seen.lock().unwrap().contains("(input is hidden)") {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no prompt: {}",
                    seen.lock().unwrap()
                );
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"abc\x03").unwrap();
            stdin.flush().unwrap();
            let status = child.wait().unwrap();
            reader.join().unwrap();
            let seen = seen.lock().unwrap().clone();
            assert_eq!(status.code(), Some(130), "{seen}");
            assert!(seen.contains("interrupted by Ctrl-C"), "{seen}");
            assert!(!config.path("alice.key").exists(), "nothing was stored");
            drop(stdin);
        }
    });
}

#[test]
fn show_names_each_notify_channel_and_where_its_url_comes_from_never_the_url() {
    let config = Config::new();
    config.write_profile(
        "family",
        "notify:\n  ping: https://hc.example.org/ping/secret-uuid\n  ntfy: {url_env: FAMILY_NTFY, on: change}\naccounts:\n  alice:\n    server: http://127.0.0.1:9\n    api_key_env: NO_SUCH_KEY\n",
    );
    let output = config.run(&["profiles", "show", "family"]);
    let stdout = stdout_of(&output);
    assert!(stdout.contains("notify.ping"), "{stdout}");
    assert!(stdout.contains("written in the file"), "{stdout}");
    assert!(stdout.contains("from $FAMILY_NTFY, on change"), "{stdout}");
    assert!(!stdout.contains("secret-uuid"), "{stdout}");
    assert!(!stderr_of(&output).contains("secret-uuid"));
}
