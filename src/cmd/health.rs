//! `state health [JOBFILE...] [--max-age SPAN]`: whether the last run in the record ended well
//! (exit status 0) and recently, for a container's HEALTHCHECK or a monitoring script. It reads only
//! the record, never a job file, a profile or a server. Exit status 0 when healthy, 1 when not, also
//! when there is no record yet or it cannot be read: a health check has no "input error" but its
//! own flags.

use std::path::{Path, PathBuf};

use crate::cli::GlobalArgs;
use crate::error::{Status, input_error};
use crate::output::{self, state::Health, state::MaxAge};
use crate::state::{self, Run, Store};

use super::jobfile::resolve_job_path;
use super::schedule::parse_interval;

/// `state health`: one line per job file asked about (or for the last run of any); healthy lines on
/// stdout, unhealthy ones on stderr, where cron mails them.
pub fn health(
    jobfiles: &[String],
    max_age: Option<&str>,
    global: &GlobalArgs,
) -> anyhow::Result<Status> {
    let given = max_age
        .map(|text| {
            parse_interval(text).map(|d| d.as_secs()).ok_or_else(|| {
                input_error(format!(
                    "--max-age {text}: expected a whole number and a unit, such as 90s, 30m, 6h \
                     or 1d"
                ))
            })
        })
        .transpose()?;
    let db = state::path_in(global.state_dir.as_deref());
    let now = crate::clock::now();
    let runs = match Store::open_read_only(&db).and_then(|store| match store {
        Some(store) => store.last_runs(100),
        None => Ok(Vec::new()),
    }) {
        Ok(runs) => runs,
        Err(error) => {
            output::state::health(
                &mut std::io::stderr(),
                &Health::Unreadable(format!("{error:#}")),
            )?;
            return Ok(Status::Failure);
        }
    };
    let db_name = db.display().to_string();
    let verdicts: Vec<Health> = if jobfiles.is_empty() {
        vec![judge(last(runs.iter()), None, &db_name, now, given)]
    } else {
        jobfiles
            .iter()
            .map(|name| {
                let of_it = runs.iter().filter(|run| ran(run, name));
                judge(last(of_it), Some(name), &db_name, now, given)
            })
            .collect()
    };
    let mut status = Status::Ok;
    for verdict in &verdicts {
        if verdict.healthy() {
            output::state::health(&mut output::stdout(), verdict)?;
        } else {
            output::state::health(&mut std::io::stderr(), verdict)?;
            status = Status::Failure;
        }
    }
    Ok(status)
}

/// The run that ended last, the latest news (of runs newest first by their start: of two that
/// ended in the same second, the one that started last).
fn last<'a>(runs: impl Iterator<Item = &'a Run>) -> Option<&'a Run> {
    runs.min_by_key(|run| std::cmp::Reverse(run.ended))
}

/// How old the last run may be: `--max-age`, else twice the interval of the schedule that ran it,
/// else (a single sync, from cron or a timer) [`MaxAge::UNSCHEDULED`].
pub fn max_age(given: Option<u64>, run: &Run) -> MaxAge {
    match (given, run.interval) {
        (Some(secs), _) => MaxAge::Given(secs),
        (None, Some(interval)) if interval > 0 => MaxAge::TwiceTheSchedule(interval),
        (None, _) => MaxAge::Unscheduled,
    }
}

/// The verdict on the last run (of `jobfile`, when one was asked about) at `now`. A failed run is
/// unhealthy whatever its age; a good one while it is no older than its limit.
pub fn judge<'a>(
    last: Option<&'a Run>,
    jobfile: Option<&'a str>,
    db: &str,
    now: i64,
    given: Option<u64>,
) -> Health<'a> {
    let Some(run) = last else {
        return Health::NoRun {
            db: db.to_string(),
            jobfile,
        };
    };
    let age = u64::try_from(now.saturating_sub(run.ended)).unwrap_or(0);
    let max_age = max_age(given, run);
    if run.status != 0 {
        Health::Failed { run, age }
    } else if age > max_age.secs() {
        Health::TooOld { run, age, max_age }
    } else {
        Health::Good { run, age, max_age }
    }
}

/// Whether a run ran the job file `name`: given to sync as it is here, or as another name of the
/// same file (`family-kids` and `jobs/family-kids.yaml` in the config directory, say).
fn ran(run: &Run, name: &str) -> bool {
    let same = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let wanted: PathBuf = same(&resolve_job_path(name));
    run.ran(name)
        || run
            .jobfiles
            .split(' ')
            .any(|given| same(&resolve_job_path(given)) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: u8, ended: i64, interval: Option<u64>) -> Run {
        Run {
            jobfiles: "family-kids.yaml rome.yaml".into(),
            started: ended - 60,
            ended,
            status,
            added: 2,
            removed: 1,
            interval,
        }
    }

    #[test]
    fn the_default_max_age_is_twice_the_schedule_else_26_hours() {
        assert_eq!(
            max_age(None, &run(0, 0, Some(6 * 3600))),
            MaxAge::TwiceTheSchedule(6 * 3600)
        );
        assert_eq!(max_age(None, &run(0, 0, Some(6 * 3600))).secs(), 12 * 3600);
        assert_eq!(max_age(None, &run(0, 0, None)), MaxAge::Unscheduled);
        assert_eq!(max_age(None, &run(0, 0, None)).secs(), 26 * 3600);
        assert_eq!(max_age(None, &run(0, 0, Some(0))).secs(), 26 * 3600);
        assert_eq!(max_age(Some(90), &run(0, 0, Some(3600))).secs(), 90);
        assert_eq!(
            max_age(None, &run(0, 0, Some(u64::MAX))).secs(),
            u64::MAX,
            "no overflow"
        );
    }

    #[test]
    fn a_run_is_judged_by_its_status_then_its_age() {
        let now = 1_000_000;
        fn judged(run: &Run, given: Option<u64>) -> Health<'_> {
            judge(Some(run), None, "db", 1_000_000, given)
        }
        let good = run(0, now - 3600, None);
        assert!(judged(&good, None).healthy());
        assert!(matches!(
            judged(&good, Some(60)),
            Health::TooOld { age: 3600, .. }
        ));
        let scheduled = run(0, now - 3 * 3600, Some(3600));
        assert!(matches!(judged(&scheduled, None), Health::TooOld { .. }));
        assert!(judged(&scheduled, Some(4 * 3600)).healthy());
        let failed = run(1, now - 10, Some(3600));
        assert!(matches!(
            judged(&failed, None),
            Health::Failed { age: 10, .. }
        ));
        // A clock set back since the run: no age below zero.
        assert!(judged(&run(0, now + 50, None), Some(1)).healthy());
        assert!(matches!(
            judge(None, Some("rome.yaml"), "db", now, None),
            Health::NoRun {
                jobfile: Some("rome.yaml"),
                ..
            }
        ));
    }

    #[test]
    fn the_last_run_is_the_one_that_ended_last() {
        let long = Run {
            started: 100,
            ..run(1, 500, None)
        };
        let short = Run {
            started: 200,
            ..run(0, 210, None)
        };
        let tied = Run {
            started: 150,
            ..run(0, 500, None)
        };
        assert_eq!(last([&short, &long].into_iter()), Some(&long));
        assert_eq!(last([&long, &tied].into_iter()), Some(&long));
        assert_eq!(last(std::iter::empty()), None);
    }

    #[test]
    fn a_run_counts_for_each_of_its_job_files() {
        let run = run(0, 0, None);
        assert!(ran(&run, "family-kids.yaml"));
        assert!(ran(&run, "rome.yaml"));
        assert!(!ran(&run, "rome"));
        assert!(!ran(&run, "kids.yaml"));
        let spaced = Run {
            jobfiles: "my jobs/kids.yaml".into(),
            ..run
        };
        assert!(ran(&spaced, "my jobs/kids.yaml"));
        assert!(!ran(&spaced, "my jobs"));
    }
}
