//! `preview` and `sync`: job files run against their profile's accounts. A job file is checked whole
//! (filters, profile, accounts, keys) before the first request; then its accounts are connected once
//! and its jobs run one after the other. One failing job file, or job, does not stop the others: every
//! job gets its report (a failed one a line in its place, its error on stderr), and the exit code is
//! the worst of them, 2 only when nothing was changed anywhere. `sync` holds a lock per job file, in
//! the state directory beside the record, so that overlapping runs do not race; the lock file names
//! its holder and where it runs, so that a run that finds it held can tell a sync at work (skip,
//! exit 0) from a stuck or vanished one (exit 1).
//! `preview --format html` also fetches the thumbnails of what it shows (see [`crate::html`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::join_all;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;

use crate::cli::{GlobalArgs, JobFormat, PreviewArgs, StateCommand, SyncArgs};
use crate::error::{Status, input_error};
use crate::immich::Client;
use crate::job::{Account, JobReport, Mode, RunOptions, Slot, run_job_with};
use crate::job::{AcrossServers, JobFile, JobSpec};
use crate::profile::{self, Profile, Settings};
use crate::report::{self, FailedJob};
use crate::state::{self, Store};

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
fn job_names() -> Vec<String> {
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
struct Loaded {
    file: JobFile,
    profile: Profile,
    settings: Settings,
}

fn load(name_or_path: &str, job: Option<&str>, global: &GlobalArgs) -> anyhow::Result<Loaded> {
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
fn check_servers(
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

/// Connects every account the selected jobs need, once each, concurrently. Keys are read first, so a
/// missing key is an input error before any request.
async fn connect(
    loaded: &Loaded,
    job: Option<&str>,
) -> anyhow::Result<HashMap<String, Result<Account, String>>> {
    let jobs = loaded.file.select(job)?;
    let mut needed: Vec<&profile::ProfileAccount> = Vec::new();
    for spec in &jobs {
        for account in &loaded.profile.accounts {
            let wanted = spec
                .accounts
                .as_ref()
                .is_none_or(|names| names.contains(&account.name));
            if wanted && !needed.iter().any(|a| a.name == account.name) {
                needed.push(account);
            }
        }
    }
    let mut prepared = Vec::new();
    for account in needed {
        let server = account.server_url()?;
        let key = account
            .read_api_key(loaded.settings.key_command_timeout)
            .await?;
        prepared.push((account.name.clone(), server, key));
    }
    let mut limiters: HashMap<String, Arc<Semaphore>> = HashMap::new();
    for (_, server, _) in &prepared {
        limiters
            .entry(server.site.to_string())
            .or_insert_with(|| crate::job::account::limiter(loaded.settings.max_in_flight));
    }
    let options = loaded.settings.client_options();
    let connected = join_all(prepared.into_iter().map(|(name, server, key)| {
        let limiter = limiters[&server.site.to_string()].clone();
        let options = options.clone();
        async move {
            let account = async {
                // The one place a job's client gets its server's in-flight limit.
                let client = Client::connect(&server, key, &options)
                    .await
                    .map_err(|e| e.to_string())?
                    .with_limiter(limiter);
                let user = client.me().await.map_err(|e| e.to_string())?;
                Ok(Account {
                    name: name.clone(),
                    client,
                    user,
                })
            }
            .await;
            (name, account)
        }
    }))
    .await;
    Ok(connected.into_iter().collect())
}

/// What one job of a run came to: its report, or the error that stopped it before it changed
/// anything (an input error such as an ambiguous album name, or its album owner failing).
enum Outcome {
    Done(Box<JobReport>),
    Failed(String, anyhow::Error),
}

/// Runs the selected jobs of one loaded job file, each to its end: one job's failure does not stop the
/// others, and every job has an outcome.
async fn run_file(
    loaded: &Loaded,
    job: Option<&str>,
    mode: Mode,
    options: RunOptions,
    store: &Store,
    progress: &ProgressBar,
) -> anyhow::Result<(Vec<Outcome>, Connected)> {
    progress.set_message(format!("{}: connecting", loaded.file.path.display()));
    let accounts = connect(loaded, job).await?;
    let mut outcomes = Vec::new();
    for spec in loaded.file.select(job)? {
        let names: Vec<String> = spec.accounts.clone().unwrap_or_else(|| {
            loaded
                .profile
                .accounts
                .iter()
                .map(|a| a.name.clone())
                .collect()
        });
        let slots: Vec<Slot> = names
            .iter()
            .map(|name| Slot {
                name: name.clone(),
                account: accounts
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| Err("not connected".to_string())),
            })
            .collect();
        let owner = spec.album_owner.clone().unwrap_or_else(|| names[0].clone());
        progress.set_message(format!(
            "job `{}`: searching {}",
            spec.name,
            names.join(", ")
        ));
        outcomes.push(
            match run_job_with(spec, &slots, &owner, mode, options, store).await {
                Ok(report) => Outcome::Done(Box::new(report)),
                Err(error) => Outcome::Failed(spec.name.clone(), error),
            },
        );
    }
    Ok((outcomes, accounts))
}

/// The outcomes of one job file, sorted out: the reports, the failed jobs, and the exit code they
/// give: the worst of the failed jobs' and 1 for a report that failed.
struct Sorted {
    reports: Vec<JobReport>,
    failed: Vec<report::FailedJob>,
    /// The outcomes in order: `Ok(i)` is `reports[i]`, `Err(i)` is `failed[i]`.
    order: Vec<Result<usize, usize>>,
    status: Status,
}

fn sort_outcomes(file: &Path, outcomes: Vec<Outcome>) -> Sorted {
    let mut sorted = Sorted {
        reports: Vec::new(),
        failed: Vec::new(),
        order: Vec::new(),
        status: Status::Ok,
    };
    for outcome in outcomes {
        match outcome {
            Outcome::Done(report) => {
                if report.failed() {
                    sorted.status = sorted.status.max(Status::Failure);
                }
                sorted.order.push(Ok(sorted.reports.len()));
                sorted.reports.push(*report);
            }
            Outcome::Failed(job, error) => {
                sorted.status = sorted.status.max(Status::of(&error));
                sorted.order.push(Err(sorted.failed.len()));
                sorted.failed.push(report::FailedJob {
                    job,
                    file: file.display().to_string(),
                    error: format!("{error:#}"),
                });
            }
        }
    }
    sorted
}

/// A failed job's error, on stderr.
fn eprint_failed(failed: &report::FailedJob) {
    let FailedJob { job, file, error } = failed;
    if error.starts_with(&format!("job `{job}`")) {
        eprintln!("error: {file}: {error}");
    } else {
        eprintln!("error: {file}: job `{job}`: {error}");
    }
}

/// Whether a job changed anything on a server: created an album, added or removed assets.
fn changed(report: &JobReport) -> bool {
    let albums = std::iter::once(&report.album).chain(&report.safe);
    let rows = report
        .accounts
        .iter()
        .flat_map(|a| std::iter::once(&a.album).chain(&a.safe));
    report.applied
        && (albums.clone().any(|a| a.created || a.removed > 0)
            || rows.into_iter().any(|r| r.added > 0))
}

/// The accounts of a job file, by name: connected, or why not.
type Connected = HashMap<String, Result<Account, String>>;

fn spinner(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("a valid template"),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// `preview JOBFILE`: what a sync would do, per account; changes nothing.
pub async fn preview(args: &PreviewArgs, global: &GlobalArgs) -> anyhow::Result<Status> {
    let loaded = load(&args.jobfile, args.job.as_deref(), global)?;
    let html = args.format == JobFormat::Html;
    let progress = spinner(false);
    let options = RunOptions {
        list: args.list,
        ids: html,
        ..RunOptions::default()
    };
    // A preview reads the record and never writes it (before the first sync there is none).
    let store = Store::open_read_only(&state::path_in(global.state_dir.as_deref()))?
        .unwrap_or_else(Store::memory);
    let result = run_file(
        &loaded,
        args.job.as_deref(),
        Mode::Preview,
        options,
        &store,
        &progress,
    )
    .await;
    let (outcomes, accounts) = match result {
        Ok(done) => done,
        Err(error) => {
            progress.finish_and_clear();
            return Err(error);
        }
    };
    progress.finish_and_clear();
    let sorted = sort_outcomes(&loaded.file.path, outcomes);
    let reports = &sorted.reports;
    let mut text = Vec::new();
    match args.format {
        JobFormat::Json => report::jobs_json_with_failures(&mut text, reports, &sorted.failed)?,
        JobFormat::Text => {
            for place in &sorted.order {
                match place {
                    Ok(i) => report::job(&mut text, &reports[*i], args.list)?,
                    Err(i) => report::job_failed(&mut text, &sorted.failed[*i])?,
                }
            }
        }
        JobFormat::Html => {
            let progress = spinner(false);
            progress.set_message("fetching thumbnails");
            let gallery = crate::html::fetch(reports, &accounts, args.thumbnails).await;
            let source = loaded.file.path.display().to_string();
            text = crate::html::render(&source, reports, &gallery, args.thumbnails).into_bytes();
            progress.finish_and_clear();
        }
    }
    match &args.output {
        Some(path) => {
            crate::files::write_whole(path, &text, crate::files::Access::Normal).map_err(
                |error| {
                    input_error(format!(
                        "--output {}: cannot write it: {error}",
                        path.display()
                    ))
                },
            )?;
            report::line(
                &mut report::stdout(),
                &format!("Wrote the preview to {}", path.display()),
            )?;
        }
        None => report::generated(&mut report::stdout(), &text)?,
    }
    sorted.failed.iter().for_each(eprint_failed);
    // A preview changes nothing, so a job's input error keeps its 2.
    Ok(sorted.status)
}

/// A lock held for as long as a job file syncs; released when dropped or when the process ends.
struct Lock {
    _file: File,
}

/// The lock file of a job file, in `dir` (the state directory, beside the record it protects, so
/// that every process sharing the record shares the lock: two containers that mount the same
/// `/state`, a cron job and a systemd unit with a private `/tmp`): named by a stable hash of the job
/// file's canonical path.
pub fn lock_path_in(dir: &Path, job_path: &Path) -> PathBuf {
    let canonical = job_path
        .canonicalize()
        .unwrap_or_else(|_| job_path.to_path_buf());
    let hash = state::stable_hash(canonical.as_os_str().as_encoded_bytes());
    dir.join(format!("sync-{hash:016x}.lock"))
}

/// Who holds a lock, as its holder wrote it into the lock file: its pid, when it took the lock, and
/// where its pid means something (host, boot and pid namespace, where the system tells them).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    pid: u32,
    /// Unix seconds.
    started: i64,
    /// Where the pid lives; `None` where it cannot be told.
    place: Option<String>,
}

impl Holder {
    fn parse(text: &str) -> Option<Holder> {
        let line = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name).map(str::trim))
        };
        let number = |name: &str| line(name)?.parse::<i64>().ok();
        Some(Holder {
            pid: u32::try_from(number("pid ")?).ok()?,
            started: number("started ")?,
            place: line("place ").map(str::to_string),
        })
    }

    fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        write!(out, "pid {}\nstarted {}\n", self.pid, self.started)?;
        if let Some(place) = &self.place {
            writeln!(out, "place {place}")?;
        }
        Ok(())
    }
}

/// Where this process's pid means something: the host, its boot and the pid namespace (Linux); two
/// processes whose places are equal can judge each other by pid. `None` where it cannot be told.
fn this_place() -> Option<String> {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    let host = read("/proc/sys/kernel/hostname")?;
    let boot = read("/proc/sys/kernel/random/boot_id")?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{host} {boot} {}", namespace.display()))
}

/// Whether the holder's process runs: `None` where that cannot be told (no `/proc`, or the holder
/// is on another host or in another pid namespace, where its pid means another process).
fn holder_alive(holder: &Holder) -> Option<bool> {
    if holder.place.is_none() || holder.place != this_place() {
        return None;
    }
    let proc = Path::new("/proc");
    proc.join("self")
        .exists()
        .then(|| proc.join(holder.pid.to_string()).exists())
}

/// `7 h 5 min`, `12 min`, `40 s`.
pub fn span(secs: u64) -> String {
    match (secs / 3600, secs / 60 % 60) {
        (0, 0) => format!("{secs} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Takes the job file's lock (in the state directory `dir`) and writes this process's pid, start
/// time and place into it. `None` when another sync holds it and is, as far as can be told, a sync
/// still at work: skip this run. A holder that is gone, or that has held the lock for longer than
/// `stale_after`, is an error (exit 1), so that a stuck sync does not make every later run skip
/// quietly forever. A holder on another host or in another pid namespace (another container) cannot
/// be judged by its pid: only its age tells.
async fn lock(
    dir: &Path,
    job_path: &Path,
    stale_after: std::time::Duration,
) -> anyhow::Result<Option<Lock>> {
    let path = lock_path_in(dir, job_path);
    let mut file = File::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| {
            input_error(format!(
                "the lock file {}: cannot open it: {e}; set {} to a writable directory",
                path.display(),
                state::STATE_DIR_ENV
            ))
        })?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            Holder {
                pid: std::process::id(),
                started: crate::clock::now(),
                place: this_place(),
            }
            .write(&mut file)?;
            Ok(Some(Lock { _file: file }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let read = || {
                std::fs::read_to_string(&path)
                    .ok()
                    .as_deref()
                    .and_then(Holder::parse)
            };
            let suspect = |holder: &Holder| {
                holder_alive(holder) == Some(false)
                    || crate::clock::now() - holder.started > stale_after.as_secs() as i64
            };
            let mut holder = read();
            if holder.as_ref().is_some_and(suspect) {
                // A sync that has just taken the lock writes its own pid a moment later; until then
                // the file names the one before it.
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                holder = read();
            }
            let job = job_path.display();
            let Some(holder) = holder else {
                eprintln!("{job}: another sync of this job file is running; skipping it this time");
                return Ok(None);
            };
            let Holder { pid, started, .. } = holder;
            let since = crate::job::dates::utc(started);
            let age = u64::try_from(crate::clock::now() - started).unwrap_or(0);
            if holder_alive(&holder) == Some(false) {
                anyhow::bail!(
                    "{job}: the lock of this job file ({}) names the sync that took it (pid {pid}, \
                     started {since}), but no process {pid} runs here: another process keeps the \
                     lock file open (`fuser {}` names it). Nothing was synced; stop that process",
                    path.display(),
                    path.display()
                );
            }
            let elsewhere = match (&holder.place, this_place()) {
                (Some(there), Some(here)) if *there != here => {
                    format!(" on {}", there.split(' ').next().unwrap_or("another host"))
                }
                _ => String::new(),
            };
            if age > stale_after.as_secs() {
                anyhow::bail!(
                    "{job}: another sync of this job file (pid {pid}{elsewhere}) has held its lock \
                     since {since}, for {}, longer than a sync should take ({}, \
                     `stale_lock_after`); it may hang, e.g. on a key command or a server that never \
                     answers. Nothing was synced; check it with `ps -p {pid}` and stop it with \
                     `kill {pid}`{}",
                    span(age),
                    span(stale_after.as_secs()),
                    if elsewhere.is_empty() {
                        String::new()
                    } else {
                        format!(" where it runs{elsewhere}")
                    }
                );
            }
            eprintln!(
                "{job}: another sync of this job file is running (pid {pid}{elsewhere}, started \
                 {since}); skipping it this time"
            );
            Ok(None)
        }
        Err(std::fs::TryLockError::Error(error)) => {
            Err(anyhow::anyhow!("the lock file {}: {error}", path.display()))
        }
    }
}

/// `sync JOBFILE...`: applies every job, for cron; with `--every` or `--schedule`, again and again.
pub async fn sync(args: &SyncArgs, global: &GlobalArgs) -> anyhow::Result<Status> {
    if let Some(when) = super::schedule::When::from_args(args)? {
        return super::schedule::run(args, global, &when).await;
    }
    sync_once(args, global).await.map(|(status, _, _)| status)
}

/// Checks that every job file of a sync loads (its profile, filters and keys' sources): the input
/// error a scheduled sync stops on at start-up.
pub fn check_files(args: &SyncArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    for name in &args.jobfiles {
        load(name, args.job.as_deref(), global)?;
    }
    Ok(())
}

/// One sync of every job file: its status, and what it added and removed in all.
pub async fn sync_once(
    args: &SyncArgs,
    global: &GlobalArgs,
) -> anyhow::Result<(Status, usize, usize)> {
    if args.format == JobFormat::Html {
        return Err(input_error(format!(
            "--format html is for preview: run `immich-smart-albums preview {} --format html \
             --output report.html` first, then sync",
            args.jobfiles[0]
        )));
    }
    let mut worst = Status::Ok;
    let mut changed_any = false;
    let mut all_reports = Vec::new();
    let mut all_failed = Vec::new();
    for name in &args.jobfiles {
        let path = resolve_job_path(name);
        let mut synced = Synced {
            reports: &mut all_reports,
            failed: &mut all_failed,
            changed: false,
        };
        let status = match sync_one(name, &path, args, global, &mut synced).await {
            Ok(status) => status,
            Err(error) => {
                crate::error::print(&error);
                Status::of(&error)
            }
        };
        changed_any |= synced.changed;
        worst = worst.max(status);
    }
    if args.format == JobFormat::Json {
        report::jobs_json_with_failures(&mut report::stdout(), &all_reports, &all_failed)?;
    }
    // 2 says that nothing was changed on a server: a mistake beside changes made is a 1.
    if worst == Status::Input && changed_any {
        worst = Status::Failure;
    }
    let added = all_reports.iter().map(JobReport::added).sum();
    let removed = all_reports.iter().map(JobReport::removed).sum();
    Ok((worst, added, removed))
}

/// What the job files of one `sync` gathered so far.
struct Synced<'a> {
    reports: &'a mut Vec<JobReport>,
    failed: &'a mut Vec<report::FailedJob>,
    /// Whether this job file changed anything on a server.
    changed: bool,
}

async fn sync_one(
    name: &str,
    path: &Path,
    args: &SyncArgs,
    global: &GlobalArgs,
    synced: &mut Synced<'_>,
) -> anyhow::Result<Status> {
    let loaded = load(name, args.job.as_deref(), global)?;
    // An unwritable state directory, or a damaged record, stops the sync here, before anything
    // changes on a server; the lock lives beside the record.
    let db = state::path_in(global.state_dir.as_deref());
    let dir = state::prepare_dir(&db)?;
    let Some(_lock) = lock(&dir, path, loaded.settings.stale_lock_after).await? else {
        return Ok(Status::Ok);
    };
    let store = Store::open(&db)?;
    let progress = spinner(args.quiet);
    let options = RunOptions {
        adopt: args.adopt,
        confirm_removals: args.confirm_removals,
        ..RunOptions::default()
    };
    let result = run_file(
        &loaded,
        args.job.as_deref(),
        Mode::Sync,
        options,
        &store,
        &progress,
    )
    .await;
    progress.finish_and_clear();
    let (outcomes, _) = result?;
    let sorted = sort_outcomes(&loaded.file.path, outcomes);
    synced.changed = sorted.reports.iter().any(changed);
    let mut out = report::stdout();
    for place in &sorted.order {
        let r = match place {
            Ok(i) => &sorted.reports[*i],
            Err(i) => {
                let failed = &sorted.failed[*i];
                match (args.format, args.quiet) {
                    (JobFormat::Json | JobFormat::Html, _) => {}
                    (JobFormat::Text, true) => report::job_failed_line(&mut out, failed)?,
                    (JobFormat::Text, false) => report::job_failed(&mut out, failed)?,
                }
                out.flush()?;
                eprint_failed(failed);
                continue;
            }
        };
        match (args.format, args.quiet) {
            (JobFormat::Json | JobFormat::Html, _) => {}
            (JobFormat::Text, true) => report::job_line(&mut out, r)?,
            (JobFormat::Text, false) => report::job(&mut out, r, false)?,
        }
        // `--quiet` shows only the summary line: what went wrong goes to stderr, where cron mails it.
        if args.quiet && r.failed() {
            for remark in report::remarks(r) {
                eprintln!("error: job `{}`: {remark}", r.job);
            }
        }
    }
    synced.reports.extend(sorted.reports);
    synced.failed.extend(sorted.failed);
    Ok(sorted.status)
}

/// `state show` and `state forget`: the local record of a job file's albums. Needs no server and no
/// key: the record names each album by server and id, and notes which job uses it.
pub fn state(command: &StateCommand, global: &GlobalArgs) -> anyhow::Result<Status> {
    let (jobfile, job) = match command {
        StateCommand::Show { jobfile, job } => (jobfile, job.as_deref()),
        StateCommand::Forget { jobfile, job } => (jobfile, Some(job.as_str())),
    };
    let path = resolve_job_path(jobfile);
    let file = JobFile::load(&path)?;
    let jobs = file.select(job)?;
    let db = state::path_in(global.state_dir.as_deref());
    let mut out = report::stdout();
    let Some(store) = Store::open_read_only(&db)? else {
        report::line(
            &mut out,
            &format!(
                "No record yet at {}: no sync has run with this state directory.",
                db.display()
            ),
        )?;
        return Ok(Status::Ok);
    };
    match command {
        StateCommand::Show { .. } => {
            let mut albums = Vec::new();
            for spec in &jobs {
                for note in store.albums_of(&spec.name)? {
                    let counts = store.counts(&note.key, &spec.name)?;
                    albums.push(report::RecordedAlbum { note, counts });
                }
            }
            let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
            let copies = names
                .iter()
                .map(|job| store.copies_of(job))
                .collect::<anyhow::Result<Vec<usize>>>()?;
            let links = names
                .iter()
                .map(|job| store.links_of(job))
                .collect::<anyhow::Result<Vec<_>>>()?;
            report::state_show(
                &mut out,
                &db.display().to_string(),
                &names,
                &copies,
                &links,
                &albums,
            )?;
            report::last_runs(&mut out, &store.last_runs(5)?)?;
        }
        StateCommand::Forget { job, .. } => {
            drop(store);
            let store = Store::open(&db)?;
            let mut forgotten = Vec::new();
            for note in store.albums_of(job)? {
                let n = store.forget_tombstones(&note.key)?;
                forgotten.push((note, n));
            }
            report::state_forgotten(&mut out, &db.display().to_string(), job, &forgotten)?;
        }
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_name_is_a_stable_hash() {
        // FNV-1a's published test vectors: the name must not change between Rust releases.
        assert_eq!(state::stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(state::stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(state::stable_hash(b"foobar"), 0x8594_4171_f739_67e8);
        let path = lock_path_in(Path::new("/state"), Path::new("/no/such/jobs.yaml"));
        assert_eq!(
            path,
            Path::new("/state").join(format!(
                "sync-{:016x}.lock",
                state::stable_hash(b"/no/such/jobs.yaml")
            ))
        );
    }

    #[test]
    fn the_holder_of_a_lock_is_read_back() {
        let holder = Holder {
            pid: 42,
            started: 1_700_000_000,
            place: Some("box 1234-abcd pid:[4026531836]".into()),
        };
        let mut text = Vec::new();
        holder.write(&mut text).unwrap();
        assert_eq!(
            Holder::parse(std::str::from_utf8(&text).unwrap()),
            Some(holder.clone())
        );
        // Written by an older version: no place, so it cannot be judged by its pid.
        let old = Holder::parse("pid 42\nstarted 1700000000\n").unwrap();
        assert_eq!(old.place, None);
        assert_eq!(holder_alive(&old), None);
        // Another host or namespace: likewise.
        assert_eq!(holder_alive(&holder), None);
        #[cfg(target_os = "linux")]
        {
            let here = Holder {
                pid: std::process::id(),
                place: this_place(),
                ..holder.clone()
            };
            let place = here.place.clone().unwrap();
            assert!(
                place.contains("pid:[") && place.split(' ').count() >= 3,
                "host, boot and pid namespace: {place}"
            );
            assert_eq!(holder_alive(&here), Some(true));
            let gone = Holder {
                pid: 99_999_999,
                ..here
            };
            assert_eq!(holder_alive(&gone), Some(false));
        }
        assert_eq!(Holder::parse(""), None);
        assert_eq!(Holder::parse("pid x\nstarted 1\n"), None);
        assert_eq!(crate::job::dates::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(span(25_500), "7 h 5 min");
        assert_eq!(span(40), "40 s");
    }
}
