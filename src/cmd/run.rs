//! Running the jobs of one loaded job file, each to its end: one job's failure does not stop the
//! others, and every job has an outcome; the outcomes sorted into reports, failed jobs and an exit
//! status.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::Status;
use crate::job::since::Reading;
use crate::job::{JobReport, Mode, RunOptions, Slot, run_job_with};
use crate::output;
use crate::output::job::FailedJob;
use crate::state::Store;

use super::connect::{Connected, connect};
use super::jobfile::Loaded;

/// What one job of a run came to: its report, or the error that stopped it before it changed
/// anything (an input error such as an ambiguous album name, or its album owner failing).
pub enum Outcome {
    Done(Box<JobReport>),
    Failed(String, anyhow::Error),
}

/// Runs the selected jobs of one loaded job file, each to its end: one job's failure does not stop the
/// others, and every job has an outcome.
pub async fn run_file(
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
        let settings = &loaded.settings;
        let options = RunOptions {
            reading: Reading {
                full_every: spec.full_every.unwrap_or(settings.full_every),
                margin: settings.recognition_margin,
                ..options.reading
            },
            ..options
        };
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
pub struct Sorted {
    pub reports: Vec<JobReport>,
    pub failed: Vec<output::job::FailedJob>,
    /// The outcomes in order: `Ok(i)` is `reports[i]`, `Err(i)` is `failed[i]`.
    pub order: Vec<Result<usize, usize>>,
    pub status: Status,
}

pub fn sort_outcomes(file: &Path, outcomes: Vec<Outcome>) -> Sorted {
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
                sorted.failed.push(output::job::FailedJob {
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
pub fn eprint_failed(failed: &output::job::FailedJob) {
    let FailedJob { job, file, error } = failed;
    if error.starts_with(&format!("job `{job}`")) {
        eprintln!("error: {file}: {error}");
    } else {
        eprintln!("error: {file}: job `{job}`: {error}");
    }
}

/// Whether a job changed anything on a server: created an album, added or removed assets.
pub fn changed(report: &JobReport) -> bool {
    let albums = std::iter::once(&report.album).chain(&report.safe);
    let rows = report
        .accounts
        .iter()
        .flat_map(|a| std::iter::once(&a.album).chain(&a.safe));
    report.applied
        && (albums.clone().any(|a| a.created || a.removed > 0)
            || rows.into_iter().any(|r| r.added > 0))
}

pub fn spinner(quiet: bool) -> ProgressBar {
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
