//! Loading a job file for `preview`, `sync` and `state`: found by name or path, checked whole
//! (filters, profile, accounts, keys' sources, servers) before the first request.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cli::{GlobalArgs, SyncArgs};
use crate::error::{InputError, input_error};
use crate::job::{AcrossServers, JobFile, JobSpec};
use crate::notify::{Notify, NotifyFile};
use crate::profile::{self, Profile, Settings};

/// A job file's NAME_OR_PATH: a value with `/` or ending in `.yaml`/`.yml` is a path, anything else a
/// name in `<config dir>/jobs/`.
pub fn resolve_job_path(name_or_path: &str) -> PathBuf {
    if name_or_path.contains('/')
        || name_or_path.contains(std::path::MAIN_SEPARATOR)
        || name_or_path.ends_with(".yaml")
        || name_or_path.ends_with(".yml")
    {
        PathBuf::from(name_or_path)
    } else {
        profile::config_dir()
            .join("jobs")
            .join(format!("{name_or_path}.yaml"))
    }
}

/// The names of the job files in `<config dir>/jobs/`, or `(none)`.
pub fn job_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(profile::config_dir().join("jobs"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".yaml").map(str::to_string)
        })
        .collect();
    names.sort();
    if names.is_empty() {
        names.push("(none)".to_string());
    }
    names
}

/// A job file with everything it needs, checked.
pub struct Loaded {
    pub file: JobFile,
    pub profile: Profile,
    pub settings: Settings,
}

impl Loaded {
    /// Where a sync of this job file sends its pings and notifications: the job file's channels in
    /// the place of the profile's, each URL read now (a malformed one is an input error).
    pub fn notify(&self) -> Result<Notify, InputError> {
        let env = |var: &str| std::env::var(var).ok();
        let check = |file: &Option<NotifyFile>, origin: String, path: &Path| match file {
            Some(file) => file.check(&origin, path.parent().unwrap_or(Path::new(".")), &env),
            None => Ok(Notify::default()),
        };
        let profile = check(
            &self.profile.notify,
            format!("profile {}", self.profile.path.display()),
            &self.profile.path,
        )?;
        let file = check(
            &self.file.notify,
            format!("job file {}", self.file.path.display()),
            &self.file.path,
        )?;
        Ok(file.over(profile))
    }
}

pub fn load(name_or_path: &str, job: Option<&str>, global: &GlobalArgs) -> anyhow::Result<Loaded> {
    let path = resolve_job_path(name_or_path);
    if !path.exists() && path.as_path() != Path::new(name_or_path) {
        return Err(input_error(format!(
            "no job file named `{name_or_path}`: {} does not exist; the job files there are: {}. \
             Give a path (e.g. filters/family-kids.yaml) or put the file there; see docs/jobs.md",
            path.display(),
            job_names().join(", ")
        )));
    }
    let file = JobFile::load(&path)?;
    file.select(job)?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let profile = Profile::load(&file.profile, &base)?;
    if profile.accounts.is_empty() {
        return Err(input_error(format!(
            "{}: profile `{}` ({}) has no accounts, so there is nothing to run its jobs in; add one \
             with `immich-smart-albums profiles add {} ACCOUNT --server URL`",
            path.display(),
            profile.name,
            profile.path.display(),
            file.profile
        )));
    }
    let settings = profile::merge_settings(
        global,
        &|name| std::env::var(name).ok(),
        Some(&profile.settings),
    )?;
    for spec in &file.jobs {
        for warning in spec.warnings() {
            tracing::warn!("{warning}");
        }
        let known: Vec<&str> = profile.accounts.iter().map(|a| a.name.as_str()).collect();
        let names = spec
            .accounts
            .clone()
            .unwrap_or_else(|| known.iter().map(|s| s.to_string()).collect());
        for name in names.iter().chain(&spec.album_owner) {
            if !known.contains(&name.as_str()) {
                return Err(input_error(format!(
                    "{}: job `{}` names account `{name}`, which profile `{}` ({}) does not have; its \
                     accounts are: {}",
                    path.display(),
                    spec.name,
                    profile.name,
                    profile.path.display(),
                    known.join(", ")
                )));
            }
        }
        if let Some(owner) = &spec.album_owner
            && !names.contains(owner)
        {
            return Err(input_error(format!(
                "{}: job `{}`: album_owner `{owner}` is not one of the job's accounts ({})",
                path.display(),
                spec.name,
                names.join(", ")
            )));
        }
        check_servers(&path, spec, &profile, &names)?;
    }
    Ok(Loaded {
        file,
        profile,
        settings,
    })
}

/// A job's accounts on more than one server: an input error unless the job copies, and then the
/// receiving account must be on the album's server. Decided from the profile, before any request.
pub fn check_servers(
    path: &Path,
    spec: &JobSpec,
    profile: &Profile,
    names: &[String],
) -> anyhow::Result<()> {
    let mut servers: Vec<(String, Vec<&str>)> = Vec::new();
    let mut server_of: HashMap<&str, String> = HashMap::new();
    for account in profile.accounts.iter().filter(|a| names.contains(&a.name)) {
        let site = account
            .server_url()?
            .site
            .as_str()
            .trim_end_matches('/')
            .to_string();
        server_of.insert(account.name.as_str(), site.clone());
        match servers.iter_mut().find(|(s, _)| *s == site) {
            Some((_, accounts)) => accounts.push(&account.name),
            None => servers.push((site, vec![&account.name])),
        }
    }
    if servers.len() < 2 {
        return Ok(());
    }
    let owner = spec.album_owner.as_deref().unwrap_or(&names[0]);
    let listing = servers
        .iter()
        .map(|(site, accounts)| format!("{site} ({})", accounts.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    if spec.across_servers != AcrossServers::Copy {
        return Err(input_error(format!(
            "{}: job `{}`: its accounts are on {} servers: {listing}. An album lives on one server \
             and holds only that server's photos. Either list only one server's accounts under \
             `accounts:`, or add `across_servers: copy` to copy the other servers' photos to the \
             album's server (see \"Accounts on several servers\" in docs/jobs.md)",
            path.display(),
            spec.name,
            servers.len()
        )));
    }
    let receiver = spec.copy_to.as_deref().unwrap_or(owner);
    if !names.iter().any(|n| n == receiver) {
        return Err(input_error(format!(
            "{}: job `{}`: copy_to `{receiver}` is not one of the job's accounts ({})",
            path.display(),
            spec.name,
            names.join(", ")
        )));
    }
    if server_of[receiver] != server_of[owner] {
        return Err(input_error(format!(
            "{}: job `{}`: copy_to `{receiver}` is on {}, but the album lives on {}, the server of \
             its owner `{owner}`; copies must go to an account on the album's server",
            path.display(),
            spec.name,
            server_of[receiver],
            server_of[owner]
        )));
    }
    Ok(())
}

/// Checks that every job file of a sync loads (its profile, filters and keys' sources): the input
/// error a scheduled sync stops on at start-up.
pub fn check_files(args: &SyncArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    for name in &args.jobfiles {
        load(name, args.job.as_deref(), global)?.notify()?;
    }
    Ok(())
}
