//! The runs of `sync` (the `runs` table): every run, a single one (cron, a timer, by hand) and each
//! run of a schedule (`sync --every`, `--schedule`); the last 100. `state show` lists them and
//! `state health` judges the last one.

use rusqlite::params;

use super::Store;

/// One run of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The job files as they were given to `sync`, joined by a space.
    pub jobfiles: String,
    pub started: i64,
    pub ended: i64,
    /// Its exit status.
    pub status: u8,
    pub added: usize,
    pub removed: usize,
    /// The seconds between two runs of its schedule; `None` for a single sync.
    pub interval: Option<u64>,
}

impl Run {
    /// Whether it ran the job file `name`, as `sync` was given it: one of its job files, also one
    /// whose path holds a space.
    pub fn ran(&self, name: &str) -> bool {
        format!(" {} ", self.jobfiles).contains(&format!(" {name} "))
    }
}

impl Store {
    /// Records one run of a sync; only the last 100 are kept.
    pub fn note_run(&self, run: &Run) -> anyhow::Result<()> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO runs (jobfiles, started, ended, status, added, removed, interval_secs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                run.jobfiles,
                run.started,
                run.ended,
                run.status,
                run.added as i64,
                run.removed as i64,
                run.interval
                    .map(|secs| i64::try_from(secs).unwrap_or(i64::MAX)),
            ],
        )
        .and_then(|_| {
            conn.execute(
                "DELETE FROM runs WHERE rowid NOT IN
                 (SELECT rowid FROM runs ORDER BY started DESC, rowid DESC LIMIT 100)",
                [],
            )
        })
        .map(drop)
        .map_err(|e| self.error("record a run", e))
    }

    /// The last `n` runs, newest first.
    pub fn last_runs(&self, n: usize) -> anyhow::Result<Vec<Run>> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<Vec<Run>> {
            let mut statement = conn.prepare(
                "SELECT jobfiles, started, ended, status, added, removed, interval_secs FROM runs
                 ORDER BY started DESC, rowid DESC LIMIT ?1",
            )?;
            let rows = statement.query_map(params![n as i64], |row| {
                Ok(Run {
                    jobfiles: row.get(0)?,
                    started: row.get(1)?,
                    ended: row.get(2)?,
                    status: row.get(3)?,
                    added: row.get::<_, i64>(4)? as usize,
                    removed: row.get::<_, i64>(5)? as usize,
                    interval: row
                        .get::<_, Option<i64>>(6)?
                        .map(|secs| u64::try_from(secs).unwrap_or(0)),
                })
            })?;
            rows.collect()
        };
        read().map_err(|e| self.error("read the runs", e))
    }
}
