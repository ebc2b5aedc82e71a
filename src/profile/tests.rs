//! Unit tests of profiles: the file format and its errors, NAME_OR_PATH, key sources and their order,
//! key files, key commands, the keyring (through keyring-core's mock store) and writing profiles.

use std::path::{Path, PathBuf};

use super::keys::{delete_from_keyring, read_key_file, run_key_command, store_in_keyring};
use super::store::{write_key_file, write_profile};
use super::*;
use crate::error::InputError;
use crate::secret::ApiKey;

fn parse(text: &str) -> Result<Profile, InputError> {
    Profile::parse(text, Path::new("/etc/isa/profiles/family.yaml"))
}

const FAMILY: &str = "\
accounts:
  bob:
    server: https://photos.example.com
  alice:
    server: https://photos.example.com/api
    api_key_file: keys/alice.key
";

#[test]
fn a_profile_keeps_its_accounts_in_file_order() {
    let profile = parse(FAMILY).unwrap();
    assert_eq!(profile.name, "family");
    assert_eq!(profile.path, Path::new("/etc/isa/profiles/family.yaml"));
    let names: Vec<&str> = profile.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["bob", "alice"]);
    assert_eq!(
        profile.accounts[0].key_source,
        KeySource::Keyring {
            service: "immich-smart-albums".into(),
            user: "family/bob".into()
        }
    );
    // A relative key file is taken from the profile's directory.
    assert_eq!(
        profile.accounts[1].key_source,
        KeySource::File(PathBuf::from("/etc/isa/profiles/keys/alice.key"))
    );
    assert_eq!(profile.settings, ProfileSettings::default());
    let url = profile.accounts[1].server_url().unwrap();
    assert_eq!(url.api.unwrap().as_str(), "https://photos.example.com/api/");
}

#[test]
fn an_unknown_field_names_the_file_line_and_column() {
    let text = "accounts:\n  bob:\n    server: https://x.example\n    api_key_flie: /k\n";
    let error = parse(text).unwrap_err().0;
    assert!(error.contains("/etc/isa/profiles/family.yaml"), "{error}");
    assert!(error.contains("line 4, column 5"), "{error}");
    assert!(error.contains("api_key_flie"), "{error}");

    let error = parse("acounts: {}\n").unwrap_err().0;
    assert!(error.contains("line 1, column 1"), "{error}");
    assert!(error.contains("acounts"), "{error}");
}

#[test]
fn malformed_yaml_and_bad_values_are_input_errors() {
    let error = parse("accounts:\n  bob: [1, 2\n").unwrap_err().0;
    assert!(error.contains("family.yaml: line"), "{error}");
    let error = parse("accounts:\n  bob:\n    api_key_env: X\n")
        .unwrap_err()
        .0;
    assert!(error.contains("server"), "{error}");
    let error = parse("timeout: 0\naccounts: {}\n").unwrap_err().0;
    assert!(error.contains("timeout: 0"), "{error}");
    let error = parse("timeout: soon\naccounts: {}\n").unwrap_err().0;
    assert!(error.contains("line 1"), "{error}");
    let error = parse("accounts:\n  bob/x:\n    server: https://x.example\n")
        .unwrap_err()
        .0;
    assert!(error.contains("account name `bob/x`"), "{error}");
}

#[test]
fn a_bad_server_url_names_the_profile_and_account() {
    let profile = parse("accounts:\n  bob:\n    server: photos.example.com\n").unwrap();
    let error = profile.accounts[0].server_url().unwrap_err().0;
    assert!(
        error.contains("family.yaml: account bob: server:"),
        "{error}"
    );
    assert!(error.contains("no scheme"), "{error}");
}

#[test]
fn settings_are_optional_top_level_keys() {
    let profile =
        parse("timeout: 60\nconnect_timeout: 5\nmax_in_flight: 2\naccounts: {}\n").unwrap();
    assert_eq!(
        profile.settings,
        ProfileSettings {
            timeout: Some(60),
            connect_timeout: Some(5),
            max_in_flight: Some(2),
            ..ProfileSettings::default()
        }
    );
    assert!(profile.accounts.is_empty());
}

#[test]
fn name_or_path() {
    let base = Path::new("/jobs");
    assert_eq!(
        resolve_profile_path("family", base),
        config_dir().join("profiles").join("family.yaml")
    );
    assert_eq!(
        resolve_profile_path("family.yaml", base),
        Path::new("/jobs/family.yaml")
    );
    assert_eq!(
        resolve_profile_path("profiles/family", base),
        Path::new("/jobs/profiles/family")
    );
    assert_eq!(
        resolve_profile_path("./x.yaml", base),
        Path::new("/jobs/./x.yaml")
    );
    assert_eq!(
        resolve_profile_path("/etc/p.yaml", base),
        Path::new("/etc/p.yaml")
    );
    assert!(!is_path("family-2024"));
    assert!(is_path("a/b"));
}

#[test]
fn the_first_configured_key_source_wins() {
    let cases = [
        (
            "api_key_command: c\n    api_key_file: /f\n    api_key_env: E",
            KeySource::Env("E".into()),
        ),
        (
            "api_key_command: c\n    api_key_file: /f",
            KeySource::File("/f".into()),
        ),
        ("api_key_command: c", KeySource::Command("c".into())),
        (
            "{}",
            KeySource::Keyring {
                service: KEYRING_SERVICE.into(),
                user: "family/bob".into(),
            },
        ),
    ];
    for (fields, expected) in cases {
        let text = if fields == "{}" {
            "accounts:\n  bob:\n    server: https://x.example\n".to_string()
        } else {
            format!("accounts:\n  bob:\n    server: https://x.example\n    {fields}\n")
        };
        let profile = parse(&text).unwrap();
        assert_eq!(profile.accounts[0].key_source, expected, "{text}");
    }
}

const KEY_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn account(source: KeySource) -> ProfileAccount {
    ProfileAccount {
        name: "bob".into(),
        server: "https://photos.example.com".into(),
        key_source: source,
        profile: "family".into(),
        profile_path: config_dir().join("profiles/family.yaml"),
    }
}

#[tokio::test]
async fn env_source_reads_the_variable() {
    let path = std::env::var("PATH").unwrap();
    let key = account(KeySource::Env("PATH".into()))
        .read_api_key(KEY_COMMAND_TIMEOUT)
        .await
        .unwrap();
    assert_eq!(key.expose(), path.trim());
    let error = account(KeySource::Env("ISA_TEST_SURELY_UNSET_VAR".into()))
        .read_api_key(KEY_COMMAND_TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(
        crate::error::Status::of(&error),
        crate::error::Status::Input
    );
    let text = error.to_string();
    assert!(text.contains("ISA_TEST_SURELY_UNSET_VAR"), "{text}");
    assert!(
        text.contains(
            "immich-smart-albums profiles add family bob --server https://photos.example.com"
        ),
        "{text}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_key_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bob.key");
    std::fs::write(&path, "s3cret-file-key\n").unwrap();
    for (mode, ok) in [
        (0o644, false),
        (0o640, false),
        (0o604, false),
        (0o600, true),
        (0o400, true),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let result = read_key_file(&path);
        match result {
            Ok(key) => {
                assert!(ok, "mode {mode:o} was accepted");
                assert_eq!(key.expose(), "s3cret-file-key");
            }
            Err(error) => {
                assert!(!ok, "mode {mode:o} was refused: {error}");
                assert!(error.contains("chmod 600"), "{error}");
                assert!(!error.contains("s3cret"), "{error}");
            }
        }
    }
    let error = account(KeySource::File(dir.path().join("missing.key")))
        .read_api_key(KEY_COMMAND_TIMEOUT)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing.key"), "{error}");
    assert!(error.contains("--store file:PATH"), "{error}");
}

#[cfg(unix)]
#[test]
fn written_key_files_are_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/bob.key");
    write_key_file(&path, &ApiKey::new("k1").unwrap()).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // An existing, too open file is tightened before the key is written.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    write_key_file(&path, &ApiKey::new("k2").unwrap()).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(read_key_file(&path).unwrap().expose(), "k2");
}

#[tokio::test]
async fn a_key_command_gives_its_trimmed_stdout() {
    assert_eq!(
        run_key_command("printf '  cmd-key \\n'", KEY_COMMAND_TIMEOUT)
            .await
            .unwrap()
            .expose(),
        "cmd-key"
    );
    let error = account(KeySource::Command("echo no such entry >&2; exit 3".into()))
        .read_api_key(KEY_COMMAND_TIMEOUT)
        .await
        .unwrap_err();
    assert_eq!(
        crate::error::Status::of(&error),
        crate::error::Status::Input
    );
    let text = error.to_string();
    assert!(text.contains("account bob"), "{text}");
    assert!(text.contains("no such entry"), "{text}");
    assert!(text.contains("exit status: 3"), "{text}");
    let error = run_key_command("true", KEY_COMMAND_TIMEOUT)
        .await
        .unwrap_err();
    assert!(error.contains("printed nothing"), "{error}");
}

#[tokio::test]
async fn a_key_command_that_hangs_is_stopped_at_its_timeout() {
    let limit = std::time::Duration::from_millis(300);
    for command in [
        "sleep 5; echo key",
        "echo key; sleep 5",
        "echo key; sleep 5 &",
    ] {
        let started = std::time::Instant::now();
        let error = run_key_command(command, limit).await.unwrap_err();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{command}: took {:?}",
            started.elapsed()
        );
        assert!(error.contains("did not finish within 0.3 s"), "{error}");
        assert!(error.contains("key_command_timeout"), "{error}");
    }
    // The account's error is an input error that names the account and the setting.
    let error = account(KeySource::Command("sleep 5; echo key".into()))
        .read_api_key(limit)
        .await
        .unwrap_err();
    assert_eq!(
        crate::error::Status::of(&error),
        crate::error::Status::Input
    );
    assert!(error.to_string().contains("account bob"), "{error}");
}

/// A key command that started a process of its own (a `sleep` in the background, as `pass` starts
/// `gpg`) and times out is killed with that process: its whole process group goes, not just `sh`.
#[cfg(unix)]
#[tokio::test]
async fn a_key_command_that_times_out_leaves_nothing_running() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("sleep.pid");
    let command = format!("sleep 30 & echo $! > '{}'; wait", pid_file.display());
    let started = std::time::Instant::now();
    let error = run_key_command(&command, std::time::Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(error.contains("did not finish within 0.5 s"), "{error}");
    assert!(error.contains("key_command_timeout"), "{error}");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The grandchild is gone (or a zombie waiting for init to reap it) soon after.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while runs(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "the key command's background sleep {pid} still runs"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Whether process `pid` runs: on Linux, it has a `/proc` entry that is not a zombie; elsewhere,
/// kill(pid, 0) finds it.
#[cfg(unix)]
fn runs(pid: i32) -> bool {
    if cfg!(target_os = "linux") {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit(") ").next().unwrap_or("").chars().next();
        !matches!(state, None | Some('Z') | Some('X'))
    } else {
        // SAFETY: signal 0 only checks that the process exists.
        unsafe { libc::kill(pid, 0) == 0 }
    }
}

#[tokio::test]
async fn the_keyring_through_the_mock_store() {
    keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap());
    let bob = account(KeySource::Keyring {
        service: KEYRING_SERVICE.into(),
        user: "family/bob".into(),
    });
    let error = bob.read_api_key(KEY_COMMAND_TIMEOUT).await.unwrap_err();
    assert_eq!(
        crate::error::Status::of(&error),
        crate::error::Status::Input
    );
    let text = error.to_string();
    assert!(text.contains("user family/bob"), "{text}");
    assert!(
        text.contains(
            "immich-smart-albums profiles add family bob --server https://photos.example.com"
        ),
        "{text}"
    );
    assert_eq!(keyring_status(), KeyringStatus::Available);

    store_in_keyring("family", "bob", &ApiKey::new("ring-key").unwrap()).unwrap();
    assert_eq!(
        bob.read_api_key(KEY_COMMAND_TIMEOUT)
            .await
            .unwrap()
            .expose(),
        "ring-key"
    );
    assert!(delete_from_keyring("family", "bob").unwrap());
    assert!(!delete_from_keyring("family", "bob").unwrap());
    assert!(bob.read_api_key(KEY_COMMAND_TIMEOUT).await.is_err());
}

#[test]
fn a_written_profile_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/profiles/family.yaml");
    let mut file = parse_file(FAMILY, &path).unwrap();
    file.timeout = Some(30);
    file.accounts.insert(
        "carol".into(),
        AccountFile {
            server: "http://127.0.0.1:2283".into(),
            api_key_command: Some("pass show \"immich/carol\"".into()),
            ..AccountFile::default()
        },
    );
    write_profile(&path, &file).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(parse_file(&text, &path).unwrap(), file, "{text}");
    let profile = Profile::load(path.to_str().unwrap(), Path::new("/")).unwrap();
    let names: Vec<&str> = profile.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["bob", "alice", "carol"]);
}

#[test]
fn a_missing_profile_says_how_to_create_it() {
    let error = Profile::load("surely-not-there-profile", Path::new("/")).unwrap_err();
    assert_eq!(
        crate::error::Status::of(&error),
        crate::error::Status::Input
    );
    let text = error.to_string();
    assert!(
        text.contains("surely-not-there-profile.yaml: no such file"),
        "{text}"
    );
    assert!(
        text.contains("profiles add surely-not-there-profile"),
        "{text}"
    );
}

#[test]
fn the_example_profiles_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let profile = Profile::load(path.to_str().unwrap(), Path::new("/")).unwrap();
        assert!(!profile.accounts.is_empty(), "{}", path.display());
        for account in &profile.accounts {
            account.server_url().unwrap();
        }
        seen += 1;
    }
    assert!(seen >= 2);
    let headless =
        Profile::load(dir.join("headless.yaml").to_str().unwrap(), Path::new("/")).unwrap();
    let sources: Vec<&KeySource> = headless.accounts.iter().map(|a| &a.key_source).collect();
    assert!(matches!(sources[0], KeySource::File(_)));
    assert!(matches!(sources[1], KeySource::Env(_)));
    assert!(matches!(sources[2], KeySource::Command(_)));
    assert_eq!(headless.settings.max_in_flight, Some(4));
}
