//! API keys of profile accounts: reading them from their [`KeySource`] (environment variable, key file,
//! command, OS keyring) and keeping them in the OS keyring. The keyring is reached through
//! `keyring-core` with the platform's store (Secret Service over D-Bus on Linux, the Keychain on macOS,
//! the Credential Manager on Windows), set up once as keyring-core's default store unless one is set
//! already (tests set the mock store). A key only ever lives in an [`ApiKey`]; no message here contains
//! one.
//!
//! Keys are read through [`ProfileAccount::read_api_key`]: a key file and the keyring block, so they
//! are read through [`off_runtime`], never on the runtime's threads; an `api_key_command` runs as a
//! tokio process, in a process group of its own on Unix, for at most its timeout
//! (`key_command_timeout`). At the timeout, or when the process is interrupted
//! ([`stop_key_commands`]), the whole group is killed: the shell and what it started (`pass`, `gpg`).

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::{KEYRING_SERVICE, KeySource, ProfileAccount, keyring_user};
use crate::error::input_error;
use crate::secret::ApiKey;

/// Whether the OS keyring can be used on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringStatus {
    Available,
    /// Why not, e.g. no D-Bus session or no Secret Service.
    Unavailable(String),
}

/// Sets up the platform's keyring store as keyring-core's default store, once; keeps a store that is
/// set already (the mock store in tests).
fn ensure_store() -> Result<(), String> {
    static PLATFORM: OnceLock<Result<(), String>> = OnceLock::new();
    if keyring_core::get_default_store().is_some() {
        return Ok(());
    }
    PLATFORM
        .get_or_init(|| {
            let store = platform_store().map_err(|error| error.to_string())?;
            if keyring_core::get_default_store().is_none() {
                keyring_core::set_default_store(store);
            }
            Ok(())
        })
        .clone()
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(dbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "this tool has no OS keyring support on this platform".to_string(),
    ))
}

fn entry(profile: &str, account: &str) -> Result<keyring_core::Entry, String> {
    ensure_store()?;
    keyring_core::Entry::new(KEYRING_SERVICE, &keyring_user(profile, account))
        .map_err(|error| error.to_string())
}

/// True when a keyring error means "no usable keyring here" rather than a problem with one entry.
fn is_unavailable(error: &keyring_core::Error) -> bool {
    matches!(
        error,
        keyring_core::Error::NoStorageAccess(_)
            | keyring_core::Error::PlatformFailure(_)
            | keyring_core::Error::NoDefaultStore
            | keyring_core::Error::NotSupportedByStore(_)
    )
}

/// Whether the keyring works: the store can be set up and an entry can be read (a missing entry is
/// fine). Reads the entry of `profile`/`account`, so it asks the keyring nothing new.
pub fn keyring_status_for(profile: &str, account: &str) -> KeyringStatus {
    match entry(profile, account) {
        Err(reason) => KeyringStatus::Unavailable(reason),
        Ok(entry) => match entry.get_password() {
            Ok(_) | Err(keyring_core::Error::NoEntry) => KeyringStatus::Available,
            Err(error) if is_unavailable(&error) => KeyringStatus::Unavailable(error.to_string()),
            Err(_) => KeyringStatus::Available,
        },
    }
}

/// Whether the keyring works on this host.
pub fn keyring_status() -> KeyringStatus {
    keyring_status_for("(probe)", "(probe)")
}

/// What to do on a host with no usable keyring: the file, env and command key sources.
pub fn no_keyring_help(reason: &str, profile_arg: &str, account: &str, server: &str) -> String {
    format!(
        "no usable OS keyring on this host ({reason}). That is normal on a headless host (cron, a \
         server, ssh without a desktop session): there is no D-Bus session, no Secret Service, or \
         its keyring is locked and nobody is there to unlock it. Keep the key another way:\n  \
         - in a file readable only by you (mode 0600; the profile records `api_key_file`):\n      \
         immich-smart-albums profiles add {profile_arg} {account} --server {server} --store \
         file:{key_file}\n  \
         - in an environment variable: give the account `api_key_env: IMMICH_KEY_{upper}` in the \
         profile file\n  \
         - from a command such as a password manager: give the account \
         `api_key_command: \"pass show immich/{account}\"` in the profile file\n\
         See docs/profiles.md for the details.",
        upper = account.to_ascii_uppercase().replace(['-', '.'], "_"),
        key_file = super::config_dir()
            .join("keys")
            .join(format!("{account}.key"))
            .display(),
    )
}

/// Stores a key in the OS keyring under `<profile>/<account>`.
pub fn store_in_keyring(profile: &str, account: &str, key: &ApiKey) -> Result<(), String> {
    let entry = entry(profile, account)?;
    entry
        .set_password(key.expose())
        .map_err(|error| error.to_string())
}

/// Deletes the keyring entry of `<profile>/<account>`; `Ok(false)` when there was none.
pub fn delete_from_keyring(profile: &str, account: &str) -> Result<bool, String> {
    let entry = entry(profile, account)?;
    match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring_core::Error::NoEntry) => Ok(false),
        Err(error) => Err(error.to_string()),
    }
}

/// Runs blocking work (a key read, the key prompt, a keyring call) on tokio's blocking threads, so that
/// the runtime stays free to notice an interrupt. A panic in `work` is resumed here.
pub async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // Cancelled: the runtime is shutting down, the run is being stopped.
        Err(_) => std::future::pending().await,
    }
}

impl ProfileAccount {
    /// Reads the account's API key from its key source; an `api_key_command` may run for
    /// `key_command_timeout`. No key found (an unset variable, a missing file, a failing or hanging
    /// command, no keyring entry) is an [`InputError`] that names the profile, the account and the
    /// source, and says how to fix it. A key command runs on the runtime (tokio's process: nothing
    /// waits for it on a thread); a key file and the keyring block, so they are read through
    /// [`off_runtime`].
    ///
    /// [`InputError`]: crate::error::InputError
    pub async fn read_api_key(&self, key_command_timeout: Duration) -> anyhow::Result<ApiKey> {
        let at = format!(
            "profile {}: account {}",
            self.profile_path.display(),
            self.name
        );
        match &self.key_source {
            KeySource::Env(var) => std::env::var(var)
                .ok()
                .and_then(ApiKey::new)
                .ok_or_else(|| {
                    input_error(format!(
                        "{at}: no API key: the environment variable {var} (api_key_env) is not set \
                         or empty; set it, or store a key with `{}`",
                        self.add_command("")
                    ))
                }),
            KeySource::File(path) => {
                let path = path.clone();
                off_runtime(move || read_key_file(&path))
                    .await
                    .map_err(|problem| {
                        input_error(format!(
                            "{at}: no API key: {problem}; store a key with `{}`",
                            self.add_command(" --store file:PATH")
                        ))
                    })
            }
            KeySource::Command(command) => run_key_command(command, key_command_timeout)
                .await
                .map_err(|problem| input_error(format!("{at}: no API key: {problem}"))),
            KeySource::Keyring { service, user } => {
                let (account, service, user) = (self.clone(), service.clone(), user.clone());
                off_runtime(move || account.keyring_key(&at, &service, &user)).await
            }
        }
    }

    /// The key in the OS keyring; blocks (D-Bus, the Keychain). `at` names the profile and account.
    fn keyring_key(&self, at: &str, service: &str, user: &str) -> anyhow::Result<ApiKey> {
        let fix = format!("store a key with `{}`", self.add_command(""));
        let entry = entry(&self.profile, &self.name).map_err(|reason| {
            input_error(format!(
                "{at}: no API key: {}",
                no_keyring_help(&reason, &self.profile_arg(), &self.name, self.server.trim())
            ))
        })?;
        match entry.get_password() {
            Ok(password) => ApiKey::new(password).ok_or_else(|| {
                input_error(format!(
                    "{at}: the OS keyring entry (service {service}, user {user}) is empty; {fix}"
                ))
            }),
            Err(keyring_core::Error::NoEntry) => Err(input_error(format!(
                "{at}: no API key in the OS keyring (service {service}, user {user}); {fix}"
            ))),
            Err(error) if is_unavailable(&error) => Err(input_error(format!(
                "{at}: no API key: {}",
                no_keyring_help(
                    &error.to_string(),
                    &self.profile_arg(),
                    &self.name,
                    self.server.trim()
                )
            ))),
            Err(error) => Err(anyhow::anyhow!(
                "{at}: reading the OS keyring (service {service}, user {user}): {error}"
            )),
        }
    }
}

/// Reads a key file, refusing it (like ssh) when group or others can read it.
pub fn read_key_file(path: &Path) -> Result<ApiKey, String> {
    let mut file = std::fs::File::open(path)
        .map_err(|error| format!("key file {} (api_key_file): {error}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(|error| format!("key file {}: {error}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o044 != 0 {
            return Err(format!(
                "key file {} can be read by group or others (mode {:04o}); refusing it, like ssh \
                 does with a private key: run `chmod 600 {}`",
                path.display(),
                mode & 0o7777,
                path.display()
            ));
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|error| format!("key file {}: {error}", path.display()))?;
    ApiKey::new(text).ok_or_else(|| format!("key file {} is empty", path.display()))
}

/// The process groups of the key commands running now (each led by its `sh`, so its id is the
/// shell's pid), for [`stop_key_commands`].
static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Kills the `api_key_command`s still running, with everything they started: the process is being
/// interrupted, and they would outlive it. (On Unix; elsewhere the command is killed when the
/// interrupted run drops the future that reads its output.)
pub fn stop_key_commands() {
    let running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    for &group in running.iter() {
        kill_group(group);
    }
}

/// Sends SIGKILL to every process in the group `group`: the key command's shell and whatever it
/// started (`pass`, `gpg`, a `sleep` in the background).
#[cfg(unix)]
fn kill_group(group: u32) {
    if let Ok(group) = libc::pid_t::try_from(group) {
        // SAFETY: kill(2) takes plain integers and only sends a signal; a negative pid names the
        // process group. The group is still ours: its leader, the shell, is not reaped before the
        // group is taken out of RUNNING (see `Group`), so its id cannot have been reused.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

/// No process groups to kill here: the child is killed on its own (`kill_on_drop`, `Child::kill`).
#[cfg(not(unix))]
fn kill_group(_group: u32) {}

/// A running key command's process group, in [`RUNNING`] while it runs. Dropped before
/// [`Group::finished`] (at the timeout, or with the future that reads the key when an interrupt
/// drops it), it kills the whole group.
struct Group {
    id: Option<u32>,
    finished: bool,
}

impl Group {
    fn start(child: &tokio::process::Child) -> Group {
        let id = child.id();
        if let Some(id) = id {
            RUNNING.lock().unwrap_or_else(|e| e.into_inner()).push(id);
        }
        Group {
            id,
            finished: false,
        }
    }

    /// The command ended on its own and closed its output: what it left in the background (a
    /// daemon such as gpg-agent) is left alone, as it always was.
    fn finished(mut self) {
        self.finished = true;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let Some(id) = self.id else {
            return;
        };
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        if !self.finished {
            kill_group(id);
        }
        running.retain(|&group| group != id);
    }
}

/// Reads a pipe to its end, without a thread: the bytes, or what was read before it failed.
async fn read_all(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes).await;
    }
    bytes
}

/// Runs `sh -c COMMAND` and takes its trimmed stdout as the key. A command that has not finished (and
/// closed its output) within `timeout` is killed with everything it started (it runs in a process
/// group of its own), and that is an error: it may be waiting for a password prompt nobody answers,
/// and would otherwise hold the sync lock forever.
pub async fn run_key_command(command: &str, timeout: Duration) -> Result<ApiKey, String> {
    let mut shell = tokio::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Where there are no process groups, the shell is killed when the future reading it is
        // dropped; on Unix the group is (`Group`), and this is the same signal to the shell.
        .kill_on_drop(true);
    #[cfg(unix)]
    shell.process_group(0);
    let mut child = shell
        .spawn()
        .map_err(|error| format!("api_key_command `{command}` did not start: {error}"))?;
    // Declared after `child`, so dropped first: the group is killed while the shell is unreaped.
    let group = Group::start(&child);
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    // What it started in the background may still hold its output open: the output must end too.
    let run = async { tokio::join!(child.wait(), read_all(stdout), read_all(stderr)) };
    let (status, stdout, stderr) = match tokio::time::timeout(timeout, run).await {
        Ok((status, stdout, stderr)) => {
            group.finished();
            let status = status.map_err(|error| format!("api_key_command `{command}`: {error}"))?;
            (status, stdout, stderr)
        }
        Err(_elapsed) => {
            drop(group);
            let _ = child.kill().await;
            return Err(format!(
                "api_key_command `{command}` did not finish within {} s, so it was stopped (is it \
                 waiting for a password or a locked store?). Make it answer without a prompt, or \
                 give it longer with `key_command_timeout: SECONDS` in the profile or \
                 IMMICH_SMART_ALBUMS_KEY_COMMAND_TIMEOUT",
                timeout.as_secs_f64()
            ));
        }
    };
    let stderr = String::from_utf8_lossy(&stderr);
    let stderr: String = stderr.trim().chars().take(500).collect();
    let said = if stderr.is_empty() {
        "no output on stderr".to_string()
    } else {
        format!("stderr: {stderr}")
    };
    if !status.success() {
        return Err(format!(
            "api_key_command `{command}` failed ({status}; {said})"
        ));
    }
    let stdout = String::from_utf8(stdout)
        .map_err(|_| format!("api_key_command `{command}` printed something that is not text"))?;
    ApiKey::new(stdout)
        .ok_or_else(|| format!("api_key_command `{command}` printed nothing ({said})"))
}
