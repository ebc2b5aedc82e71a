//! `preview JOBFILE`: what a sync would do, per account; changes nothing. `--format html` also
//! fetches the thumbnails of what it shows (see [`crate::output::html`]).

use crate::cli::{GlobalArgs, JobFormat, PreviewArgs};
use crate::error::{Status, input_error};
use crate::job::{Mode, RunOptions};
use crate::output;
use crate::state::{self, Store};

use super::jobfile::load;
use super::run::{eprint_failed, run_file, sort_outcomes, spinner};

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
        JobFormat::Json => {
            output::job::jobs_json_with_failures(&mut text, reports, &sorted.failed)?
        }
        JobFormat::Text => {
            for place in &sorted.order {
                match place {
                    Ok(i) => output::job::job(&mut text, &reports[*i], args.list)?,
                    Err(i) => output::job::job_failed(&mut text, &sorted.failed[*i])?,
                }
            }
        }
        JobFormat::Html => {
            let progress = spinner(false);
            progress.set_message("fetching thumbnails");
            let gallery = crate::output::html::fetch(reports, &accounts, args.thumbnails).await;
            let source = loaded.file.path.display().to_string();
            text = crate::output::html::render(&source, reports, &gallery, args.thumbnails)
                .into_bytes();
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
            output::line(
                &mut output::stdout(),
                &format!("Wrote the preview to {}", path.display()),
            )?;
        }
        None => output::generated(&mut output::stdout(), &text)?,
    }
    sorted.failed.iter().for_each(eprint_failed);
    // A preview changes nothing, so a job's input error keeps its 2.
    Ok(sorted.status)
}
