//! Profiles: named sets of Immich accounts, one YAML file each (`<config dir>/profiles/<name>.yaml`).
//! This module owns the file format, where profiles live ([`config_dir`], [`resolve_profile_path`]),
//! loading a profile into [`Profile`] and the run settings ([`merge_settings`]). Keys are never in the
//! profile file itself: each account names a [`KeySource`] ([`keys`] reads and stores keys), [`store`]
//! writes profile and key files; `cmd/profiles.rs` runs `immich-smart-albums profiles …`.

pub mod keys;
mod settings;
pub mod store;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::immich::ServerUrl;
use crate::notify::NotifyFile;

pub use keys::{KeyringStatus, keyring_status, off_runtime, stop_key_commands};
pub use settings::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEY_COMMAND_TIMEOUT, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_STALE_LOCK_AFTER, DEFAULT_TIMEOUT, ENV_CONNECT_TIMEOUT, ENV_KEY_COMMAND_TIMEOUT,
    ENV_MAX_IN_FLIGHT, ENV_STALE_LOCK_AFTER, ENV_TIMEOUT, ProfileSettings, Settings,
    merge_settings, process_env,
};

/// The keyring service of every entry this tool stores.
pub const KEYRING_SERVICE: &str = "immich-smart-albums";

/// The keyring user of an account: `<profile>/<account>`.
pub fn keyring_user(profile: &str, account: &str) -> String {
    format!("{profile}/{account}")
}

/// Environment variable that overrides the config directory.
pub const CONFIG_DIR_ENV: &str = "IMMICH_SMART_ALBUMS_CONFIG_DIR";

/// The config directory: `$IMMICH_SMART_ALBUMS_CONFIG_DIR` if set, else the platform's config
/// directory joined with `immich-smart-albums` (`~/.config/immich-smart-albums` on Linux).
pub fn config_dir() -> PathBuf {
    match std::env::var_os(CONFIG_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::config_dir()
            .unwrap_or_else(|| PathBuf::from(".config"))
            .join("immich-smart-albums"),
    }
}

/// The directory that holds named profiles: `<config dir>/profiles`.
pub fn profiles_dir() -> PathBuf {
    config_dir().join("profiles")
}

/// True when `--profile` names a file rather than a profile: it contains `/` or ends in `.yaml`.
pub fn is_path(name_or_path: &str) -> bool {
    name_or_path.contains('/') || name_or_path.ends_with(".yaml")
}

/// The file a `--profile NAME_OR_PATH` value means: a value containing `/` or ending in `.yaml` is a
/// path, taken relative to `base` (a job file's directory, or the current directory); anything else is
/// the name of a profile in `<config dir>/profiles/` (file `<name>.yaml`).
pub fn resolve_profile_path(name_or_path: &str, base: &Path) -> PathBuf {
    if is_path(name_or_path) {
        let path = Path::new(name_or_path);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            base.join(path)
        }
    } else {
        profiles_dir().join(format!("{name_or_path}.yaml"))
    }
}

/// Checks a profile or account name: letters, digits, `.`, `_` and `-`, as it becomes part of a file
/// name and of a keyring entry.
pub fn check_name(what: &str, name: &str) -> Result<(), InputError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(InputError::new(format!(
            "{what} name `{name}`: expected letters, digits, `.`, `_` or `-` (e.g. family, bob)"
        )))
    }
}

/// A profile file as it is written: the optional settings, then the accounts in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_command_timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_lock_after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_every: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognition_margin: Option<String>,
    /// Where a sync's health pings and notifications go (checked when a sync starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyFile>,
    #[serde(default)]
    pub accounts: IndexMap<String, AccountFile>,
}

impl ProfileFile {
    /// The settings the file sets.
    pub(crate) fn settings(&self) -> ProfileSettings {
        ProfileSettings {
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            max_in_flight: self.max_in_flight,
            key_command_timeout: self.key_command_timeout,
            stale_lock_after: self.stale_lock_after,
            attempts: self.attempts,
            full_every: self.full_every.clone(),
            recognition_margin: self.recognition_margin.clone(),
        }
    }
}

/// One account as it is written in the profile file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountFile {
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_command: Option<String>,
}

/// A loaded profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The file stem: `family` for `profiles/family.yaml`.
    pub name: String,
    pub path: PathBuf,
    /// In file order.
    pub accounts: Vec<ProfileAccount>,
    pub settings: ProfileSettings,
    /// `notify:` as written; checked by a sync ([`NotifyFile::check`]), which reads its URLs.
    pub notify: Option<NotifyFile>,
}

/// One account of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileAccount {
    pub name: String,
    /// The server URL as written in the file; checked by [`ProfileAccount::server_url`].
    pub server: String,
    pub key_source: KeySource,
    /// The name of the profile the account belongs to, for messages and the keyring entry.
    pub profile: String,
    /// The profile file, for messages.
    pub profile_path: PathBuf,
}

/// Where an account's API key comes from; the first one configured wins, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `api_key_env: VAR`: the environment variable.
    Env(String),
    /// `api_key_file: PATH`: the file, refused when group or others can read it.
    File(PathBuf),
    /// `api_key_command: "…"`: the trimmed stdout of `sh -c "…"`.
    Command(String),
    /// Nothing configured: the OS keyring entry (`immich-smart-albums`, `<profile>/<account>`).
    Keyring { service: String, user: String },
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env(var) => write!(f, "environment variable {var}"),
            KeySource::File(path) => write!(f, "file {}", path.display()),
            KeySource::Command(command) => write!(f, "command `{command}`"),
            KeySource::Keyring { service, user } => {
                write!(f, "OS keyring (service {service}, user {user})")
            }
        }
    }
}

impl Profile {
    /// Loads a profile given by name or path (see [`resolve_profile_path`]). A missing or malformed
    /// file is an [`InputError`] naming the file (and the line and column of the mistake).
    pub fn load(name_or_path: &str, base: &Path) -> anyhow::Result<Profile> {
        if !is_path(name_or_path) {
            check_name("profile", name_or_path)?;
        }
        let path = resolve_profile_path(name_or_path, base);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let hint = if is_path(name_or_path) {
                    format!(
                        "; create it with `immich-smart-albums profiles add {name_or_path} ACCOUNT \
                         --server URL`, or fix the path (relative paths start at the job file's \
                         directory)"
                    )
                } else {
                    format!(
                        "; create it with `immich-smart-albums profiles add {name_or_path} ACCOUNT \
                         --server URL` (`immich-smart-albums profiles list` shows the profiles there are)"
                    )
                };
                return Err(InputError::new(format!(
                    "profile {}: no such file{hint}",
                    path.display()
                ))
                .into());
            }
            Err(error) => {
                return Err(InputError::new(format!("profile {}: {error}", path.display())).into());
            }
        };
        Ok(Profile::parse(&text, &path)?)
    }

    /// Parses a profile file's text; `path` names the file in errors and gives the profile its name.
    pub fn parse(text: &str, path: &Path) -> Result<Profile, InputError> {
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = parse_file(text, path)?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let settings = file.settings();
        let notify = file.notify.clone();
        for (key, zero) in [
            ("timeout", file.timeout == Some(0)),
            ("connect_timeout", file.connect_timeout == Some(0)),
            ("max_in_flight", file.max_in_flight == Some(0)),
            ("key_command_timeout", file.key_command_timeout == Some(0)),
            ("stale_lock_after", file.stale_lock_after == Some(0)),
            ("attempts", file.attempts == Some(0)),
        ] {
            if zero {
                return Err(InputError::new(format!(
                    "profile {}: `{key}: 0`: expected a whole number of at least 1",
                    path.display()
                )));
            }
        }
        let accounts = file
            .accounts
            .into_iter()
            .map(|(account, entry)| {
                check_name("account", &account).map_err(|error| {
                    InputError::new(format!("profile {}: {error}", path.display()))
                })?;
                let key_source = key_source(&name, &account, &entry, dir, path)?;
                Ok(ProfileAccount {
                    name: account,
                    server: entry.server,
                    key_source,
                    profile: name.clone(),
                    profile_path: path.to_path_buf(),
                })
            })
            .collect::<Result<Vec<_>, InputError>>()?;
        Ok(Profile {
            name,
            path: path.to_path_buf(),
            accounts,
            settings,
            notify,
        })
    }

    /// The account of that name.
    pub fn account(&self, name: &str) -> Option<&ProfileAccount> {
        self.accounts.iter().find(|a| a.name == name)
    }
}

/// Reads the YAML into the file structure; errors carry the file, line and column.
pub(crate) fn parse_file(text: &str, path: &Path) -> Result<ProfileFile, InputError> {
    if text.trim().is_empty() {
        return Ok(ProfileFile::default());
    }
    serde_saphyr::from_str::<ProfileFile>(text).map_err(|error| {
        let message = error.without_snippet().to_string();
        let mut message = message
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        // The message may end with its own position; ours comes first.
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        if ["invalid u64", "invalid usize", "invalid u32"]
            .iter()
            .any(|prefix| message.starts_with(prefix))
        {
            message = format!("{message}: expected a whole number (e.g. `timeout: 60`)");
        } else if !message.contains("expected") {
            message.push_str(
                " (expected `accounts:` mapping account names to `server:` and optionally one of \
                 `api_key_env`, `api_key_file`, `api_key_command`, and the optional settings \
                 `timeout`, `connect_timeout`, `max_in_flight`, `key_command_timeout`, \
                 `stale_lock_after`, `attempts`)",
            );
        }
        match error.location() {
            Some(at) => InputError::new(format!(
                "profile {}: line {}, column {}: {message}",
                path.display(),
                at.line(),
                at.column()
            )),
            None => InputError::new(format!("profile {}: {message}", path.display())),
        }
    })
}

/// The key source an account's entry configures: env, file, command, else the keyring. When more than
/// one is given, the first wins and the others get a warning.
fn key_source(
    profile: &str,
    account: &str,
    entry: &AccountFile,
    dir: &Path,
    path: &Path,
) -> Result<KeySource, InputError> {
    let mut configured = Vec::new();
    if let Some(var) = &entry.api_key_env {
        if var.trim().is_empty() {
            return Err(InputError::new(format!(
                "profile {}: account {account}: `api_key_env` is empty: expected the name of an \
                 environment variable",
                path.display()
            )));
        }
        configured.push(("api_key_env", KeySource::Env(var.trim().to_string())));
    }
    if let Some(file) = &entry.api_key_file {
        if file.as_os_str().is_empty() {
            return Err(InputError::new(format!(
                "profile {}: account {account}: `api_key_file` is empty: expected a file path",
                path.display()
            )));
        }
        configured.push(("api_key_file", KeySource::File(dir.join(file))));
    }
    if let Some(command) = &entry.api_key_command {
        if command.trim().is_empty() {
            return Err(InputError::new(format!(
                "profile {}: account {account}: `api_key_command` is empty: expected a shell command \
                 that prints the key",
                path.display()
            )));
        }
        configured.push(("api_key_command", KeySource::Command(command.clone())));
    }
    if configured.len() > 1 {
        let ignored: Vec<&str> = configured[1..].iter().map(|(key, _)| *key).collect();
        tracing::warn!(
            "profile {}: account {account} has several key sources; using `{}`, ignoring {}",
            path.display(),
            configured[0].0,
            ignored.join(", ")
        );
    }
    Ok(match configured.into_iter().next() {
        Some((_, source)) => source,
        None => KeySource::Keyring {
            service: KEYRING_SERVICE.to_string(),
            user: keyring_user(profile, account),
        },
    })
}

impl ProfileAccount {
    /// The checked server URL; the error names the profile file and the account.
    pub fn server_url(&self) -> Result<ServerUrl, InputError> {
        ServerUrl::parse(&self.server).map_err(|message| {
            InputError::new(format!(
                "profile {}: account {}: server: {message}",
                self.profile_path.display(),
                self.name
            ))
        })
    }

    /// How commands name this account's profile: its name when it lives in the config directory,
    /// else its path.
    pub fn profile_arg(&self) -> String {
        if resolve_profile_path(&self.profile, Path::new("")) == self.profile_path {
            self.profile.clone()
        } else {
            self.profile_path.display().to_string()
        }
    }

    /// The command that stores a key for this account, for error messages; `extra` is appended
    /// (e.g. ` --store file:PATH`).
    pub fn add_command(&self, extra: &str) -> String {
        let server = if self.server.trim().is_empty() {
            "URL"
        } else {
            self.server.trim()
        };
        let profile = self.profile_arg();
        format!(
            "immich-smart-albums profiles add {profile} {} --server {server}{extra}",
            self.name
        )
    }
}

#[cfg(test)]
mod tests;
