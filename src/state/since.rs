//! What an incremental sync starts from (the `search_marks`, `search_results` and `album_views`
//! tables): per job and account, the server time its last complete run saw the library at and each
//! search's result then; per album, its fingerprint when it was last read whole and what it held.
//! The blobs are opaque here (`job::since` encodes them). Only a cache: a row that is missing or
//! cannot be read costs a full read, never a promise.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::{AlbumKey, Store};

/// An album as a run last read it whole: its fingerprint then, the server's time of that reading
/// (ms), and what it held (opaque here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumView {
    pub fingerprint: String,
    pub since_ms: i64,
    pub held: Vec<u8>,
}

/// Where a job's account stands: its searches saw the library as it was at `since_ms` (the server's
/// clock), and its last full run ended at `full_at` (the tool's clock, seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchMark {
    pub since_ms: i64,
    pub full_at: i64,
}

impl Store {
    /// The mark of a job's account, if a complete run left one.
    pub fn search_mark(&self, job: &str, user_id: &str) -> anyhow::Result<Option<SearchMark>> {
        self.conn()
            .query_row(
                "SELECT since_ms, full_at FROM search_marks WHERE job = ?1 AND user_id = ?2",
                params![job, user_id],
                |row| {
                    Ok(SearchMark {
                        since_ms: row.get(0)?,
                        full_at: row.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.error("read the searches' marks", e))
    }

    /// The searches' results a job's account kept, by search.
    pub fn search_results(
        &self,
        job: &str,
        user_id: &str,
    ) -> anyhow::Result<HashMap<String, Vec<u8>>> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<HashMap<String, Vec<u8>>> {
            let mut statement = conn.prepare(
                "SELECT search, hits FROM search_results WHERE job = ?1 AND user_id = ?2",
            )?;
            let rows =
                statement.query_map(params![job, user_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        };
        read().map_err(|e| self.error("read the searches' results", e))
    }

    /// Notes, in one transaction, where a job's account stands after a complete run: its mark, the
    /// results that changed (`changed`), and which others stay as they were (`kept`); every other
    /// result of the account is dropped (a search the job no longer makes).
    pub fn note_searches(
        &self,
        job: &str,
        user_id: &str,
        mark: SearchMark,
        kept: &[&str],
        changed: &[(String, Vec<u8>)],
    ) -> anyhow::Result<()> {
        let mut conn = self.conn();
        let mut write = || -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO search_marks (job, user_id, since_ms, full_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![job, user_id, mark.since_ms, mark.full_at],
            )?;
            let stored: Vec<String> = {
                let mut statement = tx
                    .prepare("SELECT search FROM search_results WHERE job = ?1 AND user_id = ?2")?;
                let rows = statement.query_map(params![job, user_id], |row| row.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for search in stored {
                let stays = kept.contains(&search.as_str());
                let replaced = changed.iter().any(|(key, _)| *key == search);
                if !stays || replaced {
                    tx.execute(
                        "DELETE FROM search_results WHERE job = ?1 AND user_id = ?2 AND search = ?3",
                        params![job, user_id, search],
                    )?;
                }
            }
            for (search, hits) in changed {
                tx.execute(
                    "INSERT INTO search_results (job, user_id, search, hits) VALUES (?1, ?2, ?3, ?4)",
                    params![job, user_id, search, hits],
                )?;
            }
            tx.commit()
        };
        write().map_err(|e| self.error("record the searches' results", e))
    }

    /// Forgets what a job's runs kept of their searches: its next run is a full one.
    pub fn forget_searches(&self, job: &str) -> anyhow::Result<()> {
        let mut conn = self.conn();
        let mut write = || -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM search_marks WHERE job = ?1", params![job])?;
            tx.execute("DELETE FROM search_results WHERE job = ?1", params![job])?;
            tx.commit()
        };
        write().map_err(|e| self.error("forget the searches' results", e))
    }

    /// An album as it was last read whole: its fingerprint then, the server time of that reading,
    /// and what it held.
    pub fn album_view(&self, album: &AlbumKey) -> anyhow::Result<Option<AlbumView>> {
        self.conn()
            .query_row(
                "SELECT fingerprint, since_ms, held FROM album_views WHERE album_id = ?1",
                params![album.album_id],
                |row| {
                    Ok(AlbumView {
                        fingerprint: row.get(0)?,
                        since_ms: row.get(1)?,
                        held: row.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.error("read an album's last listing", e))
    }

    /// Notes what an album holds while it has this fingerprint.
    pub fn note_album_view(&self, album: &AlbumKey, view: &AlbumView) -> anyhow::Result<()> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO album_views (album_id, fingerprint, since_ms, held)
                 VALUES (?1, ?2, ?3, ?4)",
                params![album.album_id, view.fingerprint, view.since_ms, view.held],
            )
            .map(drop)
            .map_err(|e| self.error("record an album's listing", e))
    }

    /// Forgets an album's last listing: the next run reads it whole.
    pub fn forget_album_view(&self, album: &AlbumKey) -> anyhow::Result<()> {
        self.conn()
            .execute(
                "DELETE FROM album_views WHERE album_id = ?1",
                params![album.album_id],
            )
            .map(drop)
            .map_err(|e| self.error("forget an album's listing", e))
    }
}
