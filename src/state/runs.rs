//! The runs of a scheduled sync (`sync --every`, `--schedule`; the `runs` table): the last 100.

use rusqlite::params;

use super::Store;

/// One run of a scheduled sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub jobfiles: String,
    pub started: i64,
    pub ended: i64,
    pub status: u8,
    pub added: usize,
    pub removed: usize,
}

impl Store {
    /// Records one run of a scheduled sync; only the last 100 are kept.
    pub fn note_run(
        &self,
        jobfiles: &str,
        started: i64,
        ended: i64,
        status: u8,
        added: usize,
        removed: usize,
    ) -> anyhow::Result<()> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO runs (jobfiles, started, ended, status, added, removed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                jobfiles,
                started,
                ended,
                status,
                added as i64,
                removed as i64
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

    /// The last `n` runs of scheduled syncs, newest first.
    pub fn last_runs(&self, n: usize) -> anyhow::Result<Vec<Run>> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<Vec<Run>> {
            let mut statement = conn.prepare(
                "SELECT jobfiles, started, ended, status, added, removed FROM runs
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
                })
            })?;
            rows.collect()
        };
        read().map_err(|e| self.error("read the runs", e))
    }
}
