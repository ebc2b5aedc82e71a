//! The albums each job uses, as its `main` or `safe` album (the `albums` table), for `state show`.

use rusqlite::params;

use super::{AlbumKey, Store};
use crate::clock::now;

/// An album a job has used, as the record knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumNote {
    pub key: AlbumKey,
    pub job: String,
    pub name: String,
    /// `main` or `safe`.
    pub role: String,
    /// When a run last saw it, in seconds since the Unix epoch.
    pub seen: i64,
}

impl Store {
    /// Notes that `job` uses this album (as its `main` or `safe` album), for `state show`.
    pub fn note_album(
        &self,
        album: &AlbumKey,
        job: &str,
        name: &str,
        role: &str,
    ) -> anyhow::Result<()> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO albums (album_id, job, server, name, role, seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![album.album_id, job, album.server, name, role, now()],
            )
            .map(drop)
            .map_err(|e| self.error("note the album", e))
    }

    /// The albums the record knows for a job.
    pub fn albums_of(&self, job: &str) -> anyhow::Result<Vec<AlbumNote>> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<Vec<AlbumNote>> {
            let mut statement = conn.prepare(
                "SELECT server, album_id, name, role, seen FROM albums WHERE job = ?1
                 ORDER BY role, name, album_id",
            )?;
            let rows = statement.query_map(params![job], |row| {
                Ok(AlbumNote {
                    key: AlbumKey {
                        server: row.get(0)?,
                        album_id: row.get(1)?,
                    },
                    job: job.to_string(),
                    name: row.get(2)?,
                    role: row.get(3)?,
                    seen: row.get(4)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(|e| self.error("read the job's albums", e))
    }
}
