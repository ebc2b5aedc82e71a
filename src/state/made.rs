//! The albums the tool made (the `made_albums` table), the ones it is making (`album_intents`: noted
//! before the request, so a lost answer still leaves the album the tool's), and the members it shared
//! them with (`album_members`).

use std::collections::HashMap;

use rusqlite::params;

use super::{AlbumKey, Store};
use crate::clock::now;

/// Where a member of an album the tool made stands with the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// The tool shared the album with the member.
    Added,
    /// The tool had shared it and a person took the member out: not shared again.
    Removed,
}

impl Store {
    /// Records that the tool made this album (for `job`): it then shares it with the job's accounts
    /// that are not members yet.
    pub fn note_made(&self, album: &AlbumKey, job: &str) -> anyhow::Result<()> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO made_albums (album_id, server, job, at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![album.album_id, album.server, job, now()],
            )
            .map(drop)
            .map_err(|e| self.error("note a made album", e))
    }

    /// Notes, before its request, that a job makes an album of this name on this server: an answer
    /// lost on the way still leaves the album known as the tool's (see [`Store::claim_made`]).
    pub fn note_making(
        &self,
        server: &str,
        name: &str,
        job: &str,
        members: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        let fail = |e| self.error("note an album being made", e);
        let conn = self.conn();
        conn.execute(
            "INSERT OR REPLACE INTO album_intents (server, name, job, at) VALUES (?1, ?2, ?3, ?4)",
            params![server, name, job, now()],
        )
        .map_err(fail)?;
        conn.execute(
            "DELETE FROM album_intent_members WHERE server = ?1 AND name = ?2",
            params![server, name],
        )
        .map_err(fail)?;
        for (user_id, account) in members {
            conn.execute(
                "INSERT INTO album_intent_members (server, name, user_id, account)
                 VALUES (?1, ?2, ?3, ?4)",
                params![server, name, user_id, account],
            )
            .map_err(fail)?;
        }
        Ok(())
    }

    /// The members (user id, account) an album of this name was being made with: none when no
    /// intent names them (made by a version before the record kept them).
    pub fn making_members(
        &self,
        server: &str,
        name: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let fail = |e| self.error("read the members of an album being made", e);
        let conn = self.conn();
        let mut statement = conn
            .prepare(
                "SELECT user_id, account FROM album_intent_members
                 WHERE server = ?1 AND name = ?2 ORDER BY account",
            )
            .map_err(fail)?;
        let rows = statement
            .query_map(params![server, name], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    /// Whether a job was making an album of this name on this server when its answer was lost.
    pub fn was_making(&self, server: &str, name: &str) -> anyhow::Result<bool> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM album_intents WHERE server = ?1 AND name = ?2",
                params![server, name],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.error("read the albums being made", e))
    }

    /// The album a job was making (found by its name), or made: recorded as the tool's, the intent
    /// gone.
    pub fn claim_made(&self, album: &AlbumKey, name: &str, job: &str) -> anyhow::Result<()> {
        self.note_made(album, job)?;
        let conn = self.conn();
        for table in ["album_intents", "album_intent_members"] {
            conn.execute(
                &format!("DELETE FROM {table} WHERE server = ?1 AND name = ?2"),
                params![album.server, name],
            )
            .map_err(|e| self.error("settle an album being made", e))?;
        }
        Ok(())
    }

    /// Whether the tool made this album.
    pub fn made(&self, album: &AlbumKey) -> anyhow::Result<bool> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM made_albums WHERE album_id = ?1",
                params![album.album_id],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.error("read the made albums", e))
    }

    /// The members the tool added to an album, by user id: added, or since taken out by a person.
    pub fn members(&self, album: &AlbumKey) -> anyhow::Result<HashMap<String, MemberState>> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<HashMap<String, MemberState>> {
            let mut statement =
                conn.prepare("SELECT user_id, state FROM album_members WHERE album_id = ?1")?;
            let rows = statement.query_map(params![album.album_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut members = HashMap::new();
            for row in rows {
                let (user, state) = row?;
                let state = match state.as_str() {
                    "removed" => MemberState::Removed,
                    _ => MemberState::Added,
                };
                members.insert(user, state);
            }
            Ok(members)
        };
        read().map_err(|e| self.error("read the album's members", e))
    }

    /// Records where a member the tool added stands.
    pub fn note_member(
        &self,
        album: &AlbumKey,
        user_id: &str,
        account: &str,
        state: MemberState,
    ) -> anyhow::Result<()> {
        let state = match state {
            MemberState::Added => "added",
            MemberState::Removed => "removed",
        };
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO album_members (album_id, user_id, account, state, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![album.album_id, user_id, account, state, now()],
            )
            .map(drop)
            .map_err(|e| self.error("note an album member", e))
    }
}
