//! Telling a family how an unattended sync went: a health ping for a monitor (Healthchecks, Uptime
//! Kuma's push monitors, Gatus), a webhook that receives the run's JSON summary, and a title and a
//! message for a phone, through ntfy or Gotify. Set under `notify:` in a profile, and per channel overridden at the top of a
//! job file:
//!
//! ```yaml
//! notify:
//!   ping: https://hc.example.org/ping/5f0c...        # or ping_env: VAR, ping_file: PATH
//!   webhook: {url_env: FAMILY_WEBHOOK, on: failure}  # url / url_env / url_file
//!   ntfy: {url: https://ntfy.example.org/family-albums, on: change}
//!   gotify: {url_env: GOTIFY_URL}                    # https://gotify.example.org/message?token=…
//! ```
//!
//! This module checks the settings ([`NotifyFile::check`]: a malformed URL is an input error at
//! start-up) and sends ([`started`], [`ended`]); what a message says is made by `output::notify`. A
//! URL is a secret (whoever has a ping URL can report for the family): it lives in a [`SecretUrl`],
//! which never prints itself. A notifier that fails never changes a run's exit status or its albums:
//! each request is tried three times within a few seconds, then the failure is logged.

mod send;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::InputError;

pub use send::{Ending, ended, started};

/// `notify:` as it is written in a profile or at the top of a job file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<TargetFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ntfy: Option<TargetFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gotify: Option<TargetFile>,
}

/// A webhook or an ntfy topic as written: one of `url`, `url_env`, `url_file`, and when to send.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<On>,
}

/// When a message goes out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum On {
    /// When the run ends with exit status 1 or 2.
    #[default]
    Failure,
    /// When the run added or removed something, or failed.
    Change,
    /// After every run.
    Always,
}

impl On {
    /// Whether a run that ended so is worth this message.
    pub fn wants(self, ending: &Ending) -> bool {
        match self {
            On::Failure => ending.status != 0,
            On::Change => ending.status != 0 || ending.changed,
            On::Always => true,
        }
    }
}

/// A URL that never prints itself: its `Debug` and `Display` name where it came from (`notify.ping
/// in profile family.yaml`), never the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl {
    url: String,
    from: String,
}

impl SecretUrl {
    /// The URL itself, for the request and nothing else.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// Where it came from, for messages.
    pub fn from(&self) -> &str {
        &self.from
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretUrl({})", self.from)
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.from)
    }
}

/// A checked webhook or ntfy topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: SecretUrl,
    pub on: On,
}

/// Where a run's signals go: checked, every URL read from its source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notify {
    pub ping: Option<SecretUrl>,
    pub webhook: Option<Target>,
    pub ntfy: Option<Target>,
    pub gotify: Option<Target>,
}

/// The placeholder a ping URL may carry for the exit status (`…/{status}`), as Healthchecks allows.
pub const STATUS_PLACEHOLDER: &str = "{status}";

impl NotifyFile {
    /// Checks the settings: each URL read from where it is written to be (`url`, the environment,
    /// or a file relative to `dir`), an `http` or `https` URL with a host. `origin` names the file
    /// (`profile family.yaml`, `job file kids.yaml`) in errors and in each URL's name.
    pub fn check(
        &self,
        origin: &str,
        dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Notify, InputError> {
        let ping = read_url(
            origin,
            dir,
            env,
            "notify.ping",
            [
                ("ping", self.ping.clone().map(Source::Inline)),
                ("ping_env", self.ping_env.clone().map(Source::Env)),
                ("ping_file", self.ping_file.clone().map(Source::File)),
            ],
        )?;
        let target =
            |name: &str, file: &Option<TargetFile>| -> Result<Option<Target>, InputError> {
                let Some(file) = file else {
                    return Ok(None);
                };
                let what = format!("notify.{name}");
                let url = read_url(
                    origin,
                    dir,
                    env,
                    &what,
                    [
                        ("url", file.url.clone().map(Source::Inline)),
                        ("url_env", file.url_env.clone().map(Source::Env)),
                        ("url_file", file.url_file.clone().map(Source::File)),
                    ],
                )?
                .ok_or_else(|| {
                    InputError::new(format!(
                        "{origin}: `{what}` needs one of `url`, `url_env` or `url_file`"
                    ))
                })?;
                if url.expose().contains(STATUS_PLACEHOLDER) {
                    return Err(InputError::new(format!(
                        "{origin}: `{what}`: `{STATUS_PLACEHOLDER}` is for the ping URL only"
                    )));
                }
                Ok(Some(Target {
                    url,
                    on: file.on.unwrap_or_default(),
                }))
            };
        Ok(Notify {
            ping,
            webhook: target("webhook", &self.webhook)?,
            ntfy: target("ntfy", &self.ntfy)?,
            gotify: target("gotify", &self.gotify)?,
        })
    }
}

impl NotifyFile {
    /// Each channel that is set, and where its URL comes from (never the URL): for `profiles show`.
    pub fn channels(&self) -> Vec<(&'static str, String)> {
        let inline = "written in the file".to_string();
        let source = |url: &Option<String>, env: &Option<String>, file: &Option<PathBuf>| match (
            url, env, file,
        ) {
            (Some(_), _, _) => Some(inline.clone()),
            (None, Some(var), _) => Some(format!("from ${var}")),
            (None, None, Some(path)) => Some(format!("from the file {}", path.display())),
            (None, None, None) => None,
        };
        let mut channels = Vec::new();
        if let Some(from) = source(&self.ping, &self.ping_env, &self.ping_file) {
            channels.push(("notify.ping", from));
        }
        for (name, target) in [
            ("notify.webhook", &self.webhook),
            ("notify.ntfy", &self.ntfy),
            ("notify.gotify", &self.gotify),
        ] {
            if let Some(target) = target {
                let from = source(&target.url, &target.url_env, &target.url_file)
                    .unwrap_or_else(|| "no URL".to_string());
                let on = match target.on.unwrap_or_default() {
                    On::Failure => "on failure",
                    On::Change => "on change",
                    On::Always => "always",
                };
                channels.push((name, format!("{from}, {on}")));
            }
        }
        channels
    }
}

impl Notify {
    /// These settings (a job file's) in the place of `base` (the profile's), channel by channel.
    pub fn over(self, base: Notify) -> Notify {
        Notify {
            ping: self.ping.or(base.ping),
            webhook: self.webhook.or(base.webhook),
            ntfy: self.ntfy.or(base.ntfy),
            gotify: self.gotify.or(base.gotify),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ping.is_none()
            && self.webhook.is_none()
            && self.ntfy.is_none()
            && self.gotify.is_none()
    }
}

/// Where a URL is written to be.
enum Source {
    Inline(String),
    Env(String),
    File(PathBuf),
}

/// Reads the one URL of `sources` that is set (none: `None`; two: an error) and checks it.
fn read_url<const N: usize>(
    origin: &str,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    what: &str,
    sources: [(&str, Option<Source>); N],
) -> Result<Option<SecretUrl>, InputError> {
    let set: Vec<(&str, Source)> = sources
        .into_iter()
        .filter_map(|(key, source)| source.map(|s| (key, s)))
        .collect();
    let fail = |message: String| InputError::new(format!("{origin}: `{what}`: {message}"));
    let (key, source) = match set.len() {
        0 => return Ok(None),
        1 => set.into_iter().next().expect("one"),
        _ => {
            let keys: Vec<&str> = set.iter().map(|(k, _)| *k).collect();
            return Err(fail(format!(
                "{} are all set; expected one of them",
                keys.join(" and ")
            )));
        }
    };
    let (url, from) = match source {
        Source::Inline(url) => (url, format!("{what} in {origin}")),
        Source::Env(var) => {
            let url = env(&var).ok_or_else(|| {
                fail(format!(
                    "`{key}: {var}`, but the environment variable {var} is not set"
                ))
            })?;
            (url, format!("{what} from ${var}"))
        }
        Source::File(path) => {
            let path = if path.is_absolute() {
                path
            } else {
                dir.join(path)
            };
            let url = std::fs::read_to_string(&path).map_err(|error| {
                fail(format!("`{key}`: cannot read {}: {error}", path.display()))
            })?;
            (url, format!("{what} from {}", path.display()))
        }
    };
    let url = url.trim().to_string();
    check_url(&url).map_err(|expected| fail(format!("from `{key}`: {expected}")))?;
    Ok(Some(SecretUrl { url, from }))
}

/// Whether a URL can be sent to: `http` or `https`, with a host (its `{status}` taken as a number).
/// The error says what was expected, never the URL.
fn check_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(&url.replace(STATUS_PLACEHOLDER, "0")).map_err(|error| {
        format!("not a URL ({error}); expected e.g. https://hc.example.org/ping/…")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "a `{}:` URL; expected http:// or https://",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("a URL without a host; expected e.g. https://hc.example.org/ping/…".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
