//! What a sync's notifications say: the ping's body and the ntfy message are the `--quiet` summary
//! lines of the job file's jobs and one line per error (the same lines cron mails from stderr); the
//! title says in a few words how the run went; the webhook gets the `--format json` document.

use std::path::Path;

use super::job::{job_failed_line, job_line, jobs_json_with_failures, remarks};
use crate::error::Status;
use crate::job::JobReport;
use crate::notify::Ending;
use crate::output::job::FailedJob;

/// How one job file's sync ended: `result` is its status (or the error that stopped it), `reports`
/// and `failed` its jobs, `changed` whether it changed anything on a server.
pub fn ending(
    file: &Path,
    result: &anyhow::Result<Status>,
    reports: &[JobReport],
    failed: &[FailedJob],
    changed: bool,
) -> Ending {
    let mut status = match result {
        Ok(status) => *status,
        Err(error) => Status::of(error),
    };
    // As for the whole run: 2 says that nothing was changed on a server.
    if status == Status::Input && changed {
        status = Status::Failure;
    }
    let mut text = Vec::new();
    for report in reports {
        let _ = job_line(&mut text, report);
    }
    for job in failed {
        let _ = job_failed_line(&mut text, job);
    }
    let mut lines = String::from_utf8_lossy(&text).into_owned();
    for report in reports.iter().filter(|r| r.failed()) {
        for remark in remarks(report) {
            lines.push_str(&format!("error: job `{}`: {remark}\n", report.job));
        }
    }
    for job in failed {
        lines.push_str(&format!("error: job `{}`: {}\n", job.job, job.error));
    }
    if let Err(error) = result {
        lines.push_str(&format!("error: {}: {error:#}\n", file.display()));
    }
    let added: usize = reports.iter().map(JobReport::added).sum();
    let removed: usize = reports.iter().map(JobReport::removed).sum();
    let name = file.file_stem().map_or_else(
        || file.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let how = match status {
        Status::Ok if added + removed == 0 => "nothing to change".to_string(),
        Status::Ok => format!("added {added}, removed {removed}"),
        failed => format!("needs a look (exit status {})", failed.code()),
    };
    let mut json = Vec::new();
    let _ = jobs_json_with_failures(&mut json, reports, failed);
    Ending {
        status: i32::from(status.code()),
        changed,
        text: lines,
        title: format!("Albums {name}: {how}"),
        json,
    }
}
