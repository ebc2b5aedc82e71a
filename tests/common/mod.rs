//! Shared helpers of the integration tests: a simulator with a small library, the binary with a clean
//! environment, filter files in a temporary directory, and the rule for tests that need a tool the
//! machine may lack ([`on_ci`], [`skip_unless_ci`]).

#![allow(dead_code)]

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use immich_smart_albums::sim::{ImmichLine, SimAsset, SimConfig, Simulator};

thread_local! {
    static LINE: Cell<ImmichLine> = const { Cell::new(ImmichLine::V3_1) };
}

/// Runs a test once per Immich release line the tool supports (3.1, then 2.5): every simulator the
/// test starts through [`sim`], [`sim_with`] or [`line`] answers as that line. A failure's output
/// names the line it happened on.
pub fn on_both_lines(test: impl Fn()) {
    for each in [ImmichLine::V3_1, ImmichLine::V2_5] {
        eprintln!("--- on Immich {each} (the simulator's {each} answers)");
        LINE.set(each);
        test();
    }
    LINE.set(ImmichLine::V3_1);
}

/// The release line the current test runs against (3.1 outside [`on_both_lines`]).
pub fn line() -> ImmichLine {
    LINE.get()
}

/// Whether a plain search (no `visibility`) finds an asset on the current line: 3.1 every visibility
/// but locked, 2.x the timeline only (measured on 2.5.6); never one in the trash.
pub fn searchable(asset: &SimAsset) -> bool {
    !asset.trashed
        && match line() {
            ImmichLine::V3_1 => asset.visibility != "locked",
            ImmichLine::V2_5 => asset.visibility == "timeline",
        }
}

/// Whether the tool's album listing shows an asset the album holds, on the current line: 3.1's
/// listing search shows every visibility but locked, trashed ones too; 2.x's `GET /albums/{id}`
/// only what is neither trashed nor hidden.
pub fn listed_in_album(asset: &SimAsset) -> bool {
    match line() {
        ImmichLine::V3_1 => asset.visibility != "locked",
        ImmichLine::V2_5 => {
            !asset.trashed && (asset.visibility == "timeline" || asset.visibility == "archive")
        }
    }
}

/// A two-account simulator with a small, seeded library.
pub fn sim() -> Simulator {
    sim_with(&["alice", "bob"], 300)
}

pub fn sim_with(accounts: &[&str], assets: usize) -> Simulator {
    Simulator::start(SimConfig {
        seed: 7,
        accounts: accounts.iter().map(|a| a.to_string()).collect(),
        assets_per_account: assets,
        immich: line(),
        ..SimConfig::default()
    })
    .expect("the simulator starts")
}

/// The binary, with no IMMICH_* variables from the developer's shell, and its record of what it did
/// in a temporary state directory of this test process (never the developer's own).
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_immich-smart-albums"));
    cmd.env_remove("IMMICH_API_KEY")
        .env_remove("IMMICH_SERVER_URL")
        .env_remove("IMMICH_SMART_ALBUMS_LOG")
        .env("IMMICH_SMART_ALBUMS_STATE_DIR", process_state_dir())
        .env("NO_COLOR", "1");
    cmd
}

/// A state directory shared by the tests of this process that do not set their own.
pub fn process_state_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary state directory"))
        .path()
}

/// The binary, pointed at the simulator with an account's key (from the environment, as a careful
/// user gives it: `--key` on the command line works too, with a warning).
pub fn bin_for(sim: &Simulator, account: &str) -> Command {
    let mut cmd = bin();
    cmd.arg("--server")
        .arg(sim.url())
        .env("IMMICH_API_KEY", sim.account(account).api_key);
    cmd
}

/// A temporary directory holding filter files.
pub struct Files {
    pub dir: tempfile::TempDir,
}

impl Files {
    pub fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The files (checksums) an album holds, found by its name: its assets looked up among `accounts`'
/// own. Comparing files, not ids, is what dedupe by checksum promises.
pub fn album_files(sim: &Simulator, album: &str, accounts: &[&str]) -> BTreeSet<String> {
    let ids = sim.album_by_name(album);
    assert_eq!(ids.len(), 1, "one album named {album}");
    let held: BTreeSet<String> = sim.album_assets(&ids[0]).into_iter().collect();
    accounts
        .iter()
        .flat_map(|a| sim.assets(a))
        .filter(|a| held.contains(&a.id))
        .map(|a| a.checksum)
        .collect()
}

/// The record's entries of an album (by its id), read from the database in a state directory.
pub fn recorded(
    state_dir: &std::path::Path,
    album_id: &str,
) -> Vec<immich_smart_albums::state::Entry> {
    let store = immich_smart_albums::state::Store::open(&state_dir.join("state.sqlite3")).unwrap();
    let key = immich_smart_albums::state::AlbumKey {
        server: "(any: albums are told apart by id)".into(),
        album_id: album_id.to_string(),
    };
    store.load(&key).unwrap()
}

/// The repository's own example directory.
pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The output's stdout, once its exit status is `code`; when it is not, the failure shows stdout and
/// stderr, and names the test's line.
#[track_caller]
pub fn stdout_if(output: &std::process::Output, code: i32) -> String {
    let stdout = stdout_of(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{stdout}{}",
        stderr_of(output)
    );
    stdout
}

pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A config directory with a profile `family` whose keys come from variables, and a job directory.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub sim: Simulator,
}

impl Setup {
    pub fn new(sim: Simulator) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let profile = format!(
            "accounts:\n  alice:\n    server: {url}\n    api_key_env: TEST_KEY_ALICE\n  bob:\n    server: {url}/api\n    api_key_env: TEST_KEY_BOB\n",
            url = sim.url()
        );
        std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
        std::fs::write(dir.path().join("profiles/family.yaml"), profile).unwrap();
        Setup { dir, sim }
    }

    pub fn job(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn bin(&self) -> Command {
        let mut cmd = bin();
        cmd.env("IMMICH_SMART_ALBUMS_CONFIG_DIR", self.dir.path())
            .env("IMMICH_SMART_ALBUMS_STATE_DIR", self.state_dir())
            .env("TEST_KEY_ALICE", self.sim.account("alice").api_key)
            .env("TEST_KEY_BOB", self.sim.account("bob").api_key)
            .current_dir(self.dir.path());
        cmd
    }

    /// The binary as a plain process, with this setup's environment, for a test that must start it
    /// and act while it runs (a signal, an overlapping run).
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_immich-smart-albums"));
        cmd.env_remove("IMMICH_API_KEY")
            .env_remove("IMMICH_SERVER_URL")
            .env("IMMICH_SMART_ALBUMS_CONFIG_DIR", self.dir.path())
            .env("IMMICH_SMART_ALBUMS_STATE_DIR", self.state_dir())
            .env("TEST_KEY_ALICE", self.sim.account("alice").api_key)
            .env("TEST_KEY_BOB", self.sim.account("bob").api_key)
            .env("NO_COLOR", "1");
        cmd
    }

    /// This setup's own record of what the tool did.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.bin().args(args).output().unwrap()
    }
}

/// Sends a real signal (`-TERM`, `-INT`) to a running binary and waits for it to end.
pub fn signal_and_wait(child: std::process::Child, signal: &str) -> Output {
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {signal} {}", child.id());
    child.wait_with_output().expect("the binary ends")
}

/// A runtime for the tests that drive the library's engine.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Client options whose retries wait milliseconds, so that failures a test injects do not wait out
/// real backoff.
pub fn quick_retries(max_attempts: u32) -> immich_smart_albums::immich::ClientOptions {
    use std::time::Duration;
    immich_smart_albums::immich::ClientOptions {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(20),
        retry: immich_smart_albums::immich::RetryPolicy {
            max_attempts,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_total: Duration::from_secs(10),
        },
    }
}

/// The job engine's view of simulator accounts: each connected with its key (or the one in `keys`),
/// or the reason it could not be, sharing one in-flight limit.
pub async fn slots(
    sim: &Simulator,
    names: &[&str],
    keys: &std::collections::HashMap<&str, String>,
    options: &immich_smart_albums::immich::ClientOptions,
) -> Vec<immich_smart_albums::job::Slot> {
    slots_at(sim, &sim.url(), names, keys, options).await
}

/// [`slots`], with the server at `url` (the simulator's under another name, as after a move).
pub async fn slots_at(
    sim: &Simulator,
    url: &str,
    names: &[&str],
    keys: &std::collections::HashMap<&str, String>,
    options: &immich_smart_albums::immich::ClientOptions,
) -> Vec<immich_smart_albums::job::Slot> {
    use immich_smart_albums::immich::{Client, ServerUrl};
    use immich_smart_albums::job::{Account, Slot};
    use immich_smart_albums::secret::ApiKey;
    let limiter = immich_smart_albums::job::account::limiter(8);
    let mut slots = Vec::new();
    for name in names {
        let key = keys
            .get(name)
            .cloned()
            .unwrap_or_else(|| sim.account(name).api_key);
        let account = async {
            let server = ServerUrl::parse(url).unwrap();
            let client = Client::connect(&server, ApiKey::new(key).unwrap(), options)
                .await
                .map_err(|e| e.to_string())?
                .with_limiter(limiter.clone());
            let user = client.me().await.map_err(|e| e.to_string())?;
            Ok(Account {
                name: name.to_string(),
                client,
                user,
            })
        }
        .await;
        slots.push(Slot {
            name: name.to_string(),
            account,
        });
    }
    slots
}

/// Whether a variable's value is "true" as CI systems spell it: `true`, `1` or `yes`, in any case.
pub fn truthy(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        v == "1" || v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("yes")
    })
}

/// Whether the tests run on CI (`CI` truthy). There, a test that needs a tool (a browser, a Secret
/// Service) runs, and fails when the tool is missing: .ci/run installs it.
pub fn on_ci() -> bool {
    truthy(std::env::var("CI").ok().as_deref())
}

/// For a test that cannot run here: on CI, fails with `why`; elsewhere, says on the terminal that it
/// was skipped and returns, so that the caller returns too. The note bypasses the test harness's
/// capture (which hides what a passing test prints), so `cargo test` shows it.
pub fn skip_unless_ci(test: &str, why: &str) {
    if on_ci() {
        panic!(
            "{test}: {why}; on CI (CI is set) this test must run: .ci/run installs what it needs"
        );
    }
    note(&format!("skipped {test}: {why}"));
}

/// Says `text` on the terminal as a `note:` line, past the test harness's capture (which hides what
/// a passing test prints), so that `cargo test` shows it.
pub fn note(text: &str) {
    let note = format!("note: {text}\n");
    // A file of our own on the process's stderr is not captured; io::stderr() may be.
    let shown = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/stderr")
        .and_then(|mut tty| std::io::Write::write_all(&mut tty, note.as_bytes()));
    if shown.is_err() {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
    }
}
