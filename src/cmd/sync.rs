//! `sync JOBFILE...`: every job of every job file applied, for cron; with `--every` or `--schedule`,
//! again and again ([`super::schedule`] says when). One failing job file, or job, does not stop the
//! others: every job gets its report (a failed one a line in its place, its error on stderr), and the
//! exit code is the worst of them, 2 only when nothing was changed anywhere.

use std::io::Write;
use std::path::Path;

use crate::cli::{GlobalArgs, JobFormat, SyncArgs};
use crate::error::{Status, input_error};
use crate::job::since::Reading;
use crate::job::{JobReport, Mode, RunOptions};
use crate::notify;
use crate::output;
use crate::state::{self, Run, Store};

use super::jobfile::{Loaded, check_files, load, resolve_job_path};
use super::lock::{lock, span};
use super::run::{changed, eprint_failed, run_file, sort_outcomes, spinner};
use super::schedule::{When, pause};

/// `sync JOBFILE...`: applies every job, for cron; with `--every` or `--schedule`, again and again.
/// Each run is recorded, so that `state health` can tell a cron host's runs too.
pub async fn sync(args: &SyncArgs, global: &GlobalArgs) -> anyhow::Result<Status> {
    if let Some(when) = When::from_args(args)? {
        return again_and_again(args, global, &when).await;
    }
    let started = crate::clock::now();
    let result = sync_once(args, global).await;
    let (status, added, removed) = match &result {
        Ok(outcome) => *outcome,
        Err(error) => (Status::of(error), 0, 0),
    };
    // A stopped run says so itself; it is no run to judge.
    if !matches!(status, Status::Interrupted | Status::Terminated) {
        let run = run_of(args, started, (status, added, removed), None);
        if let Err(error) = note_run(global, &run) {
            // A sync that could not open the record has said so already, and failed.
            if status == Status::Ok {
                tracing::warn!("the run was not recorded: {error:#}");
            } else {
                tracing::debug!("the run was not recorded: {error:#}");
            }
        }
    }
    result.map(|(status, _, _)| status)
}

/// A run of the job files of `args` that started at `started` and ends now, with its status and
/// what it added and removed; `interval`: the schedule's, in seconds (`None` for a single sync).
fn run_of(
    args: &SyncArgs,
    started: i64,
    (status, added, removed): (Status, usize, usize),
    interval: Option<u64>,
) -> Run {
    Run {
        jobfiles: args.jobfiles.join(" "),
        started,
        ended: crate::clock::now(),
        status: status.code(),
        added,
        removed,
        interval,
    }
}

/// Records a run in the record of the state directory.
fn note_run(global: &GlobalArgs, run: &Run) -> anyhow::Result<()> {
    Store::open(&state::path_in(global.state_dir.as_deref()))?.note_run(run)
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
        output::job::jobs_json_with_failures(&mut output::stdout(), &all_reports, &all_failed)?;
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
pub struct Synced<'a> {
    pub reports: &'a mut Vec<JobReport>,
    pub failed: &'a mut Vec<output::job::FailedJob>,
    /// Whether this job file changed anything on a server.
    pub changed: bool,
}

pub async fn sync_one(
    name: &str,
    path: &Path,
    args: &SyncArgs,
    global: &GlobalArgs,
    synced: &mut Synced<'_>,
) -> anyhow::Result<Status> {
    let loaded = load(name, args.job.as_deref(), global)?;
    let notify = loaded.notify()?;
    // An unwritable state directory, or a damaged record, stops the sync here, before anything
    // changes on a server; the lock lives beside the record.
    let db = state::path_in(global.state_dir.as_deref());
    let dir = state::prepare_dir(&db)?;
    let Some(_lock) = lock(&dir, path, loaded.settings.stale_lock_after).await? else {
        return Ok(Status::Ok);
    };
    let (reports, failed) = (synced.reports.len(), synced.failed.len());
    // The start ping goes out beside the run (a slow monitor does not hold it up), and has its
    // answer before the end's signal is sent.
    let (_, result) = tokio::join!(
        notify::started(&notify),
        sync_locked(&loaded, &db, args, synced)
    );
    if !notify.is_empty() {
        let ending = output::notify::ending(
            &loaded.file.path,
            &result,
            &synced.reports[reports..],
            &synced.failed[failed..],
            synced.changed,
        );
        notify::ended(&notify, &ending).await;
    }
    result
}

/// The sync of one loaded job file, under its lock: its jobs run, their reports printed.
async fn sync_locked(
    loaded: &Loaded,
    db: &Path,
    args: &SyncArgs,
    synced: &mut Synced<'_>,
) -> anyhow::Result<Status> {
    let store = Store::open(db)?;
    let progress = spinner(args.quiet);
    let options = RunOptions {
        adopt: args.adopt,
        confirm_removals: args.confirm_removals,
        reading: Reading {
            full: args.full,
            ..Reading::default()
        },
        ..RunOptions::default()
    };
    let result = run_file(
        loaded,
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
    let mut out = output::stdout();
    let mut said = std::collections::HashSet::new();
    for place in &sorted.order {
        let r = match place {
            Ok(i) => &sorted.reports[*i],
            Err(i) => {
                let failed = &sorted.failed[*i];
                match (args.format, args.quiet) {
                    (JobFormat::Json | JobFormat::Html, _) => {}
                    (JobFormat::Text, true) => output::job::job_failed_line(&mut out, failed)?,
                    (JobFormat::Text, false) => output::job::job_failed(&mut out, failed)?,
                }
                out.flush()?;
                eprint_failed(failed);
                continue;
            }
        };
        match (args.format, args.quiet) {
            (JobFormat::Json | JobFormat::Html, _) => {}
            (JobFormat::Text, true) => output::job::job_line(&mut out, r)?,
            (JobFormat::Text, false) => output::job::job(&mut out, r, false)?,
        }
        // `--quiet` shows only the summary line: what went wrong goes to stderr, where cron mails it.
        // An account that failed to connect fails every job of the file the same way: said once.
        if args.quiet && r.failed() {
            for remark in output::job::remarks(r) {
                if said.insert(remark.clone()) {
                    eprintln!("error: job `{}`: {remark}", r.job);
                }
            }
        }
    }
    synced.reports.extend(sorted.reports);
    synced.failed.extend(sorted.failed);
    Ok(sorted.status)
}

/// Runs the sync again and again. An input error in a job file at start-up stops it at once (exit 2).
async fn again_and_again(
    args: &SyncArgs,
    global: &GlobalArgs,
    when: &When,
) -> anyhow::Result<Status> {
    check_files(args, global)?;
    // Each run prints its jobs' one-line summaries (`--every` and `--schedule` are read only by
    // `When::from_args`).
    let once = SyncArgs {
        quiet: true,
        ..args.clone()
    };
    loop {
        let started = crate::clock::now();
        let (status, added, removed) = match sync_once(&once, global).await {
            Ok(outcome) => outcome,
            Err(error) => {
                if crate::error::interrupted(&error).is_some() {
                    return Err(error);
                }
                crate::error::print(&error);
                (Status::of(&error), 0, 0)
            }
        };
        let interval = Some(when.interval()?.as_secs());
        let run = run_of(args, started, (status, added, removed), interval);
        if let Err(error) = note_run(global, &run) {
            tracing::warn!("the run was not recorded: {error:#}");
        }
        let wait = when.wait()?;
        eprintln!(
            "run ended with exit status {}; next run in {}",
            status.code(),
            span(wait.as_secs())
        );
        pause(wait).await;
    }
}
