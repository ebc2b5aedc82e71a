//! Run settings and where they come from. [`merge_settings`] is the one place that decides a setting's
//! value, with a fixed precedence: a command-line flag beats an environment variable, which beats the
//! profile file, which beats the built-in default. Every value is checked here, and a bad one is an
//! [`InputError`] that names where it came from.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cli::GlobalArgs;
use crate::error::InputError;
use crate::immich::{ClientOptions, DEFAULT_MAX_ATTEMPTS, RetryPolicy};

/// Seconds a request may take, when nothing else says.
pub const DEFAULT_TIMEOUT: u64 = 120;
/// Seconds to wait for a connection, when nothing else says.
pub const DEFAULT_CONNECT_TIMEOUT: u64 = 10;
/// Requests in flight per server, when nothing else says.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 8;
/// Seconds an `api_key_command` may run, when nothing else says.
pub const DEFAULT_KEY_COMMAND_TIMEOUT: u64 = 30;
/// Seconds after which a sync that still holds its job file's lock is taken as stuck (6 hours), when
/// nothing else says.
pub const DEFAULT_STALE_LOCK_AFTER: u64 = 6 * 3600;

/// Environment variable for `timeout`.
pub const ENV_TIMEOUT: &str = "IMMICH_SMART_ALBUMS_TIMEOUT";
/// Environment variable for `connect_timeout`.
pub const ENV_CONNECT_TIMEOUT: &str = "IMMICH_SMART_ALBUMS_CONNECT_TIMEOUT";
/// Environment variable for `max_in_flight`.
pub const ENV_MAX_IN_FLIGHT: &str = "IMMICH_SMART_ALBUMS_MAX_IN_FLIGHT";
/// Environment variable for `key_command_timeout`.
pub const ENV_KEY_COMMAND_TIMEOUT: &str = "IMMICH_SMART_ALBUMS_KEY_COMMAND_TIMEOUT";
/// Environment variable for `attempts`.
pub const ENV_ATTEMPTS: &str = "IMMICH_SMART_ALBUMS_ATTEMPTS";
/// Environment variable for `stale_lock_after`.
pub const ENV_STALE_LOCK_AFTER: &str = "IMMICH_SMART_ALBUMS_STALE_LOCK_AFTER";
/// Environment variable for `full_every`.
pub const ENV_FULL_EVERY: &str = "IMMICH_SMART_ALBUMS_FULL_EVERY";
/// Environment variable for `recognition_margin`.
pub const ENV_RECOGNITION_MARGIN: &str = "IMMICH_SMART_ALBUMS_RECOGNITION_MARGIN";

/// The optional settings a profile file may carry as top-level keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
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
    /// How old the last full run may get before a sync reads everything again (`24h`); a job's
    /// own `full_every` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_every: Option<String>,
    /// How far before its watermark an incremental sync looks (`1h`): what the server stamps late,
    /// face recognition of new uploads above all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognition_margin: Option<String>,
}

/// The settings of a run, after [`merge_settings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_in_flight: usize,
    /// How long an `api_key_command` may run before it is stopped and the key counts as missing.
    pub key_command_timeout: Duration,
    /// How long `sync` lets another sync of the same job file hold its lock before it calls that sync
    /// stuck (exit 1) instead of skipping quietly.
    pub stale_lock_after: Duration,
    /// Requests sent for one call at most, the first included (1 = never retry); see
    /// docs/reliability.md for which failures are retried.
    pub attempts: u32,
    /// A sync reads everything when its last full run is this old (`job::since`).
    pub full_every: Duration,
    /// An incremental sync looks this far before its watermark.
    pub recognition_margin: Duration,
}

impl Settings {
    /// The client's timeouts.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            retry: RetryPolicy {
                max_attempts: self.attempts,
                ..RetryPolicy::default()
            },
        }
    }
}

/// Reads an environment variable by name.
pub type EnvReader<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Picks one setting: the flag, else the environment variable, else the profile, else the default.
/// Zero is refused everywhere (a zero timeout fails every request; zero in flight sends nothing).
fn pick<T>(
    flag: (&str, Option<T>),
    env: (&str, EnvReader<'_>),
    profile: (&str, Option<T>),
    default: T,
) -> Result<T, InputError>
where
    T: std::str::FromStr + PartialEq + From<u8> + Copy,
{
    let zero = T::from(0);
    // A setting without a flag passes ("", None).
    let (flag_name, flag_value) = flag;
    if let Some(value) = flag_value {
        if value == zero {
            return Err(InputError::new(format!(
                "{flag_name} 0: expected a whole number of at least 1"
            )));
        }
        return Ok(value);
    }
    let (var, read_env) = env;
    if let Some(text) = read_env(var) {
        let text = text.trim();
        if !text.is_empty() {
            return match text.parse::<T>() {
                Ok(value) if value != zero => Ok(value),
                _ => Err(InputError::new(format!(
                    "environment variable {var}=`{text}`: expected a whole number of at least 1"
                ))),
            };
        }
    }
    let (key, profile_value) = profile;
    if let Some(value) = profile_value {
        if value == zero {
            return Err(InputError::new(format!(
                "profile setting `{key}: 0`: expected a whole number of at least 1"
            )));
        }
        return Ok(value);
    }
    Ok(default)
}

/// Picks a span setting (`24h`, `30m`, `0s`): the environment variable, else the profile, else the
/// default.
fn pick_span(
    env: (&str, EnvReader<'_>),
    profile: (&str, Option<&str>),
    default: Duration,
) -> Result<Duration, InputError> {
    let expected = "expected a span such as 30m, 6h or 1d (0s for none)";
    let (var, read_env) = env;
    if let Some(text) = read_env(var).filter(|t| !t.trim().is_empty()) {
        return crate::job::dates::interval(&text).ok_or_else(|| {
            InputError::new(format!(
                "environment variable {var}=`{}`: {expected}",
                text.trim()
            ))
        });
    }
    let (key, value) = profile;
    match value {
        Some(text) => crate::job::dates::interval(text)
            .ok_or_else(|| InputError::new(format!("profile setting `{key}: {text}`: {expected}"))),
        None => Ok(default),
    }
}

/// Merges the settings: flags > environment > profile > defaults, each setting on its own.
/// `env` reads an environment variable (`|name| std::env::var(name).ok()` for the real one); an empty
/// variable counts as unset.
pub fn merge_settings(
    flags: &GlobalArgs,
    env: &dyn Fn(&str) -> Option<String>,
    profile: Option<&ProfileSettings>,
) -> Result<Settings, InputError> {
    let none = ProfileSettings::default();
    let profile = profile.unwrap_or(&none);
    let timeout = pick(
        ("--timeout", flags.timeout),
        (ENV_TIMEOUT, env),
        ("timeout", profile.timeout),
        DEFAULT_TIMEOUT,
    )?;
    let connect_timeout = pick(
        ("--connect-timeout", flags.connect_timeout),
        (ENV_CONNECT_TIMEOUT, env),
        ("connect_timeout", profile.connect_timeout),
        DEFAULT_CONNECT_TIMEOUT,
    )?;
    let max_in_flight = pick(
        ("--max-in-flight", flags.max_in_flight),
        (ENV_MAX_IN_FLIGHT, env),
        ("max_in_flight", profile.max_in_flight),
        DEFAULT_MAX_IN_FLIGHT,
    )?;
    let key_command_timeout = pick(
        ("", None),
        (ENV_KEY_COMMAND_TIMEOUT, env),
        ("key_command_timeout", profile.key_command_timeout),
        DEFAULT_KEY_COMMAND_TIMEOUT,
    )?;
    let stale_lock_after = pick(
        ("", None),
        (ENV_STALE_LOCK_AFTER, env),
        ("stale_lock_after", profile.stale_lock_after),
        DEFAULT_STALE_LOCK_AFTER,
    )?;
    let attempts = pick(
        ("", None),
        (ENV_ATTEMPTS, env),
        ("attempts", profile.attempts),
        DEFAULT_MAX_ATTEMPTS,
    )?;
    let full_every = pick_span(
        (ENV_FULL_EVERY, env),
        ("full_every", profile.full_every.as_deref()),
        crate::job::since::FULL_EVERY,
    )?;
    let recognition_margin = pick_span(
        (ENV_RECOGNITION_MARGIN, env),
        ("recognition_margin", profile.recognition_margin.as_deref()),
        crate::job::since::MARGIN,
    )?;
    Ok(Settings {
        full_every,
        recognition_margin,
        timeout: Duration::from_secs(timeout),
        connect_timeout: Duration::from_secs(connect_timeout),
        max_in_flight,
        key_command_timeout: Duration::from_secs(key_command_timeout),
        stale_lock_after: Duration::from_secs(stale_lock_after),
        attempts,
    })
}

/// The process environment, for [`merge_settings`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn flags(timeout: Option<u64>) -> GlobalArgs {
        GlobalArgs {
            verbose: false,
            timeout,
            connect_timeout: None,
            max_in_flight: None,
            state_dir: None,
        }
    }

    /// A row: the flag, the environment variable, the profile value, and the timeout that wins.
    type Row = (Option<u64>, Option<&'static str>, Option<u64>, u64);

    #[test]
    fn precedence_is_flag_then_env_then_profile_then_default() {
        let table: &[Row] = &[
            (None, None, None, DEFAULT_TIMEOUT),
            (None, None, Some(30), 30),
            (None, Some("40"), Some(30), 40),
            (Some(50), Some("40"), Some(30), 50),
            (Some(50), None, Some(30), 50),
            (Some(50), Some("40"), None, 50),
            (None, Some("40"), None, 40),
            (None, Some(""), Some(30), 30),
        ];
        for &(flag, env, profile, expected) in table {
            let vars: HashMap<&str, &str> = env.map(|v| (ENV_TIMEOUT, v)).into_iter().collect();
            let read = |name: &str| vars.get(name).map(|v| v.to_string());
            let profile = ProfileSettings {
                timeout: profile,
                ..ProfileSettings::default()
            };
            let settings = merge_settings(&flags(flag), &read, Some(&profile)).unwrap();
            assert_eq!(
                settings.timeout,
                Duration::from_secs(expected),
                "flag {flag:?}, env {env:?}, profile {:?}",
                profile.timeout
            );
        }
    }

    #[test]
    fn each_setting_is_merged_on_its_own() {
        let read = |name: &str| (name == ENV_CONNECT_TIMEOUT).then(|| "3".to_string());
        let profile = ProfileSettings {
            timeout: Some(60),
            connect_timeout: Some(20),
            max_in_flight: Some(2),
            key_command_timeout: Some(5),
            stale_lock_after: None,
            attempts: Some(3),
            full_every: Some("12h".into()),
            recognition_margin: None,
        };
        let settings = merge_settings(&flags(None), &read, Some(&profile)).unwrap();
        assert_eq!(
            settings,
            Settings {
                timeout: Duration::from_secs(60),
                connect_timeout: Duration::from_secs(3),
                max_in_flight: 2,
                key_command_timeout: Duration::from_secs(5),
                stale_lock_after: Duration::from_secs(DEFAULT_STALE_LOCK_AFTER),
                attempts: 3,
                full_every: Duration::from_secs(12 * 3600),
                recognition_margin: crate::job::since::MARGIN,
            }
        );
        assert_eq!(settings.client_options().retry.max_attempts, 3);
        let read = |name: &str| {
            let value = match name {
                ENV_STALE_LOCK_AFTER => "60",
                ENV_ATTEMPTS => "1",
                _ => return None,
            };
            Some(value.to_string())
        };
        let settings = merge_settings(&flags(None), &read, Some(&profile)).unwrap();
        assert_eq!(settings.stale_lock_after, Duration::from_secs(60));
        assert_eq!(settings.client_options().retry.max_attempts, 1);
        let defaults = merge_settings(&flags(None), &|_| None, None).unwrap();
        assert_eq!(defaults.max_in_flight, DEFAULT_MAX_IN_FLIGHT);
        // Spans: the environment beats the profile; an empty variable counts as unset; a bad one
        // is an error that names it.
        let spans = ProfileSettings {
            full_every: Some("12h".into()),
            recognition_margin: Some("0s".into()),
            ..ProfileSettings::default()
        };
        let env = |value: &'static str| {
            move |name: &str| (name == ENV_FULL_EVERY).then(|| value.to_string())
        };
        let merged = |value| merge_settings(&flags(None), &env(value), Some(&spans));
        assert_eq!(
            merged("7d").unwrap().full_every,
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(
            merged("").unwrap().full_every,
            Duration::from_secs(12 * 3600)
        );
        assert_eq!(merged("").unwrap().recognition_margin, Duration::ZERO);
        let error = merged("weekly").unwrap_err().to_string();
        assert!(error.contains(ENV_FULL_EVERY), "{error}");
        assert_eq!(defaults.full_every, crate::job::since::FULL_EVERY);
        assert_eq!(defaults.client_options().retry, RetryPolicy::default());
        assert_eq!(
            defaults.client_options().connect_timeout,
            Duration::from_secs(DEFAULT_CONNECT_TIMEOUT)
        );
    }

    #[test]
    fn bad_values_name_their_source() {
        let read = |name: &str| (name == ENV_MAX_IN_FLIGHT).then(|| "many".to_string());
        let error = merge_settings(&flags(None), &read, None).unwrap_err();
        assert!(error.0.contains(ENV_MAX_IN_FLIGHT), "{error}");
        assert!(error.0.contains("many"), "{error}");
        let error = merge_settings(&flags(Some(0)), &|_| None, None).unwrap_err();
        assert!(error.0.contains("--timeout"), "{error}");
        let profile = ProfileSettings {
            max_in_flight: Some(0),
            ..ProfileSettings::default()
        };
        let error = merge_settings(&flags(None), &|_| None, Some(&profile)).unwrap_err();
        assert!(error.0.contains("max_in_flight"), "{error}");
        let read = |name: &str| (name == ENV_KEY_COMMAND_TIMEOUT).then(|| "0".to_string());
        let error = merge_settings(&flags(None), &read, None).unwrap_err();
        assert!(error.0.contains(ENV_KEY_COMMAND_TIMEOUT), "{error}");
    }
}
