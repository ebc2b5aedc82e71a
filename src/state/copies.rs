//! Copies between servers (`across_servers: copy`, the `copies` table): each source asset is copied to
//! a target server at most once.

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::Store;
use crate::clock::now;

impl Store {
    /// The copy of a source asset on `target_server`, when the tool made (or found) one before.
    pub fn copy_of(
        &self,
        source_server: &str,
        source_asset: &Uuid,
        target_server: &str,
    ) -> anyhow::Result<Option<Uuid>> {
        let conn = self.conn();
        let found: rusqlite::Result<Option<String>> = conn
            .query_row(
                "SELECT copy_id FROM copies
                 WHERE source_server = ?1 AND source_asset = ?2 AND target_server = ?3",
                params![source_server, source_asset.to_string(), target_server],
                |row| row.get(0),
            )
            .optional();
        let found = found.map_err(|e| self.error("read the copies", e))?;
        Ok(found.and_then(|id| Uuid::parse_str(&id).ok()))
    }

    /// Records that `copy_id` on `target_server` is the copy of a source asset.
    pub fn note_copy(
        &self,
        source_server: &str,
        source_asset: &Uuid,
        checksum: &str,
        target_server: &str,
        copy_id: &Uuid,
        job: &str,
    ) -> anyhow::Result<()> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO copies
                 (source_server, source_asset, checksum, target_server, copy_id, job, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    source_server,
                    source_asset.to_string(),
                    checksum,
                    target_server,
                    copy_id.to_string(),
                    job,
                    now()
                ],
            )
            .map(drop)
            .map_err(|e| self.error("record a copy", e))
    }

    /// How many copies the record holds for a job.
    pub fn copies_of(&self, job: &str) -> anyhow::Result<usize> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM copies WHERE job = ?1",
                params![job],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.error("count the copies", e))
    }
}
