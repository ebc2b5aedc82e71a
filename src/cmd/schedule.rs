//! `sync JOBFILE... --every 6h` and `--schedule "0 3 * * *"`: run, then wait for the next slot, until
//! stopped. Each run prints one line per job (as `--quiet`), reads its job files again (an invalid
//! edit is reported and that run skipped), and is recorded in the state database with its outcome. A
//! run that fails does not stop the schedule. Ctrl-C or SIGTERM between runs ends the process at once
//! with status 0; during a run, as for any sync (a clean stop, 130 or 143).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::cli::SyncArgs;
use crate::error::input_error;

/// Set while a scheduled sync waits for its next run: a signal then ends it with status 0.
static BETWEEN_RUNS: AtomicBool = AtomicBool::new(false);

/// Whether the process is a scheduled sync waiting between runs.
pub fn between_runs() -> bool {
    BETWEEN_RUNS.load(Ordering::SeqCst)
}

/// When the runs happen.
#[derive(Debug)]
pub enum When {
    Every(Duration),
    Cron(Box<croner::Cron>, String),
}

impl When {
    /// `--every` or `--schedule`, checked; `None` for a single sync. The flags meant for one run
    /// (`--adopt`, `--confirm-removals`) are refused beside them: on a schedule they would hold for
    /// every run for as long as the process lives.
    pub fn from_args(args: &SyncArgs) -> anyhow::Result<Option<When>> {
        let scheduled = match (&args.every, &args.schedule) {
            (Some(every), _) => Some(format!("--every {every}")),
            (None, Some(cron)) => Some(format!("--schedule \"{cron}\"")),
            (None, None) => None,
        };
        if let Some(scheduled) = &scheduled {
            let once = [
                (
                    args.adopt,
                    "--adopt",
                    "take over what a person adds within each interval",
                ),
                (
                    args.confirm_removals,
                    "--confirm-removals",
                    "switch the circuit breaker off for as long as the process runs",
                ),
            ];
            if let Some((_, flag, would)) = once.iter().find(|(set, _, _)| *set) {
                return Err(input_error(format!(
                    "{flag} is for one run, not with {scheduled}: on a schedule it would {would}. \
                     Run `immich-smart-albums sync {} {flag}` once by hand, and keep the schedule \
                     without it",
                    args.jobfiles.join(" ")
                )));
            }
        }
        if let Some(every) = &args.every {
            let interval = parse_interval(every).ok_or_else(|| {
                input_error(format!(
                    "--every {every}: expected a whole number and a unit, such as 90s, 30m, 6h or 1d"
                ))
            })?;
            return Ok(Some(When::Every(interval)));
        }
        if let Some(pattern) = &args.schedule {
            if pattern.split_whitespace().count() != 5 {
                return Err(input_error(format!(
                    "--schedule \"{pattern}\": expected 5 fields (minute hour day-of-month month \
                     day-of-week), such as \"0 3 * * *\" for every night at 3"
                )));
            }
            let cron: croner::Cron = pattern
                .parse()
                .map_err(|e| input_error(format!("--schedule \"{pattern}\": {e}")))?;
            return Ok(Some(When::Cron(Box::new(cron), pattern.clone())));
        }
        Ok(None)
    }

    /// How long to wait from now for the next run.
    pub fn wait(&self) -> anyhow::Result<Duration> {
        match self {
            When::Every(interval) => Ok(*interval),
            When::Cron(cron, pattern) => {
                let now = jiff::Zoned::now();
                let next = cron
                    .find_next_occurrence(&now, false)
                    .map_err(|e| anyhow::anyhow!("--schedule \"{pattern}\": no next time ({e})"))?;
                let span = now.duration_until(&next);
                Ok(Duration::try_from(span).unwrap_or(Duration::ZERO))
            }
        }
    }

    /// The time between two runs, recorded with each run for `state health`: `--every`'s interval;
    /// for `--schedule`, the longer of the wait for its next run and the time between its next two,
    /// so that an uneven schedule (weekdays only) is not overdue over the weekend.
    pub fn interval(&self) -> anyhow::Result<Duration> {
        match self {
            When::Every(interval) => Ok(*interval),
            When::Cron(cron, pattern) => {
                let now = jiff::Zoned::now();
                let no_next = |e| anyhow::anyhow!("--schedule \"{pattern}\": no next time ({e})");
                let next = cron.find_next_occurrence(&now, false).map_err(no_next)?;
                let after = cron.find_next_occurrence(&next, false).map_err(no_next)?;
                let longer = now.duration_until(&next).max(next.duration_until(&after));
                Ok(Duration::try_from(longer).unwrap_or(Duration::ZERO))
            }
        }
    }
}

/// `90s`, `30m`, `6h`, `1d`; `None` for zero, and where the seconds would overflow.
pub fn parse_interval(text: &str) -> Option<Duration> {
    crate::job::dates::interval(text).filter(|d| !d.is_zero())
}

/// Waits `wait` between two runs: an interrupt meanwhile ends the process with status 0 (see
/// [`between_runs`]).
pub async fn pause(wait: Duration) {
    BETWEEN_RUNS.store(true, Ordering::SeqCst);
    tokio::time::sleep(wait).await;
    BETWEEN_RUNS.store(false, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_a_number_and_a_unit() {
        assert_eq!(parse_interval("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_interval("30m"), Some(Duration::from_secs(30 * 60)));
        assert_eq!(parse_interval("6h"), Some(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_interval("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(
            parse_interval("400d"),
            Some(Duration::from_secs(400 * 86_400))
        );
        for bad in [
            "0m",
            "6",
            "h",
            "1.5h",
            "-1h",
            "+1h",
            "6 hours",
            "9999999999999999999d",
        ] {
            assert_eq!(parse_interval(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_cron_schedule_waits_for_its_next_slot() {
        let cron: croner::Cron = "* * * * *".parse().unwrap();
        let wait = When::Cron(Box::new(cron), "* * * * *".into())
            .wait()
            .unwrap();
        assert!(wait <= Duration::from_secs(60), "{wait:?}");
    }

    #[test]
    fn a_schedules_interval_is_its_longest_gap_ahead() {
        let when = |pattern: &str| When::Cron(Box::new(pattern.parse().unwrap()), pattern.into());
        assert_eq!(
            When::Every(Duration::from_secs(6 * 3600))
                .interval()
                .unwrap(),
            Duration::from_secs(6 * 3600)
        );
        assert_eq!(
            when("*/5 * * * *").interval().unwrap(),
            Duration::from_secs(300)
        );
        // Every night: a day, give or take a change of summer time.
        let nightly = when("0 3 * * *").interval().unwrap().as_secs();
        assert!((23 * 3600..=25 * 3600).contains(&nightly), "{nightly}");
        // Once a year: the wait for the next run, however long, or the year after it.
        let yearly = when("0 3 1 1 *").interval().unwrap().as_secs();
        assert!(yearly >= 365 * 86_400 - 3600, "{yearly}");
    }
}
