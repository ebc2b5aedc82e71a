//! The shared links the tool made for a job's safe album (the `shared_links` table): their ids, URLs and
//! expiry, never their passwords.

use rusqlite::{OptionalExtension, params};

use super::{AlbumKey, Store};
use crate::clock::now;

impl Store {
    /// The shared link the tool made for an album of a job: its id.
    pub fn link_of(&self, album: &AlbumKey, job: &str) -> anyhow::Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT link_id FROM shared_links WHERE album_id = ?1 AND job = ?2",
                params![album.album_id, job],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.error("read the shared links", e))
    }

    /// Records the shared link of an album of a job (its URL and expiry, never its password).
    pub fn note_link(
        &self,
        album: &AlbumKey,
        job: &str,
        link_id: &str,
        url: &str,
        expires: Option<&str>,
    ) -> anyhow::Result<()> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO shared_links (album_id, job, server, link_id, url, expires, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![album.album_id, job, album.server, link_id, url, expires, now()],
            )
            .map(drop)
            .map_err(|e| self.error("record a shared link", e))
    }

    /// A job's shared links: (URL, expiry).
    pub fn links_of(&self, job: &str) -> anyhow::Result<Vec<(String, Option<String>)>> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<Vec<(String, Option<String>)>> {
            let mut statement =
                conn.prepare("SELECT url, expires FROM shared_links WHERE job = ?1 ORDER BY url")?;
            let rows = statement.query_map(params![job], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        };
        read().map_err(|e| self.error("read the shared links", e))
    }
}
