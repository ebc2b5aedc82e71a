//! What the tool did to each album's assets (the `album_assets` table): the entries, the changes a run
//! writes (intents before their requests, confirmations and corrections after), the counts `state show`
//! prints, and forgetting tombstones.

use rusqlite::{Connection, params};
use uuid::Uuid;

use super::{AlbumKey, Store};

/// Where an asset stands with the tool in one album.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryState {
    /// The tool is adding it (the request may or may not have landed).
    Adding,
    /// The tool added it, and the album held it when last seen.
    Added,
    /// The tool is removing it.
    Removing,
    /// The tool removed it (it may be added again if it matches again).
    Removed,
    /// The tool added it and a person took it out: never added again.
    Tombstone,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Adding => "adding",
            EntryState::Added => "added",
            EntryState::Removing => "removing",
            EntryState::Removed => "removed",
            EntryState::Tombstone => "tombstone",
        }
    }

    fn parse(text: &str) -> Option<EntryState> {
        Some(match text {
            "adding" => EntryState::Adding,
            "added" => EntryState::Added,
            "removing" => EntryState::Removing,
            "removed" => EntryState::Removed,
            "tombstone" => EntryState::Tombstone,
            _ => return None,
        })
    }
}

/// What the record says about one asset of one album.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub asset: Uuid,
    pub checksum: Box<str>,
    /// The job that added (or removed) it.
    pub job: String,
    /// The account whose asset it is.
    pub account: String,
    pub state: EntryState,
    /// When the state was last set, in seconds since the Unix epoch.
    pub at: i64,
}

/// A change to the record of one album.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Set an asset's entry (replacing any): the confirmations of the run's own adds and removals.
    Put(Entry),
    /// An intent, written before its request: over no row, a removed one or this job's own, never
    /// over another job's (another process may have added the asset since this run listed the
    /// album, or be adding it now). An add's intent never replaces an `added` row or a tombstone,
    /// not even this job's: another process of the job added it since this run listed the album
    /// (and its `duplicate` answer must not forget the row), or a person took it out.
    Intend(Entry),
    /// A correction from what the album held when it was listed: written only over the row as it
    /// was read (its job, state and time), so a row another process changed since is left to it.
    Settle {
        entry: Entry,
        was: (EntryState, i64),
    },
    /// Forget an asset (the tool has nothing to do with it), only while its row is this entry (its
    /// job, state and time): another process's row is left to it.
    Forget(Entry),
    /// Take an asset for the tool's (adoption), only where no row claims it.
    Claim(Entry),
}

/// The counts `state show` prints for one album.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Added by the tool and in the album when last seen.
    pub added: usize,
    /// Removed by the tool.
    pub removed: usize,
    /// Taken out by a person: not added again (by any job of the album, whichever added it).
    pub tombstones: usize,
    /// Intents a run left unconfirmed (settled by the next run).
    pub pending: usize,
}

impl Store {
    /// Every entry of one album, whichever job made it.
    pub fn load(&self, album: &AlbumKey) -> anyhow::Result<Vec<Entry>> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<Vec<Entry>> {
            let mut statement = conn.prepare_cached(
                "SELECT asset_id, checksum, job, account, state, at FROM album_assets
                 WHERE album_id = ?1 ORDER BY asset_id",
            )?;
            let rows = statement.query_map(params![album.album_id], |row| {
                let asset: String = row.get(0)?;
                let state: String = row.get(4)?;
                Ok((
                    asset,
                    row.get::<_, String>(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    state,
                    row.get(5)?,
                ))
            })?;
            let mut entries = Vec::new();
            for row in rows {
                let (asset, checksum, job, account, state, at) = row?;
                // The schema checks both; a row that still fails is skipped, never guessed.
                let (Ok(asset), Some(state)) = (Uuid::parse_str(&asset), EntryState::parse(&state))
                else {
                    tracing::warn!(
                        "state database: skipped an unreadable entry ({asset}, {state})"
                    );
                    continue;
                };
                entries.push(Entry {
                    asset,
                    checksum: checksum.into(),
                    job,
                    account,
                    state,
                    at,
                });
            }
            Ok(entries)
        };
        read().map_err(|e| self.error("read the album's record", e))
    }

    /// Applies changes to one album's record, all or nothing. A [`Change::Settle`] or
    /// [`Change::Forget`] whose row changed since it was read, a [`Change::Claim`] of a row that
    /// exists, and a [`Change::Intend`] over a row it may not replace, are skipped: their assets are
    /// the answer (an intent that was skipped means its request must not be sent).
    pub fn write(&self, album: &AlbumKey, changes: &[Change]) -> anyhow::Result<Vec<Uuid>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn();
        let write = |conn: &mut Connection| -> rusqlite::Result<Vec<Uuid>> {
            let mut skipped = Vec::new();
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut put = tx.prepare_cached(
                    "INSERT OR REPLACE INTO album_assets
                     (album_id, asset_id, server, checksum, job, account, state, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                let mut intend = tx.prepare_cached(
                    "INSERT INTO album_assets
                     (album_id, asset_id, server, checksum, job, account, state, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (album_id, asset_id) DO UPDATE SET
                         server = excluded.server, checksum = excluded.checksum,
                         job = excluded.job, account = excluded.account,
                         state = excluded.state, at = excluded.at
                     WHERE album_assets.state = 'removed'
                         OR (album_assets.job = excluded.job
                             AND NOT (excluded.state = 'adding'
                                      AND album_assets.state IN ('added', 'tombstone')))",
                )?;
                let mut claim = tx.prepare_cached(
                    "INSERT OR IGNORE INTO album_assets
                     (album_id, asset_id, server, checksum, job, account, state, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                let mut settle = tx.prepare_cached(
                    "UPDATE album_assets SET server = ?3, account = ?5, state = ?6, at = ?7
                     WHERE album_id = ?1 AND asset_id = ?2 AND job = ?4 AND state = ?8 AND at = ?9",
                )?;
                let mut forget = tx.prepare_cached(
                    "DELETE FROM album_assets
                     WHERE album_id = ?1 AND asset_id = ?2 AND job = ?3 AND state = ?4 AND at = ?5",
                )?;
                for change in changes {
                    match change {
                        Change::Put(entry) | Change::Intend(entry) | Change::Claim(entry) => {
                            let statement = match change {
                                Change::Put(_) => &mut put,
                                Change::Intend(_) => &mut intend,
                                _ => &mut claim,
                            };
                            let changed = statement.execute(params![
                                album.album_id,
                                entry.asset.to_string(),
                                album.server,
                                &*entry.checksum,
                                entry.job,
                                entry.account,
                                entry.state.as_str(),
                                entry.at,
                            ])?;
                            if changed == 0 {
                                skipped.push(entry.asset);
                            }
                        }
                        Change::Settle { entry, was } => {
                            let changed = settle.execute(params![
                                album.album_id,
                                entry.asset.to_string(),
                                album.server,
                                entry.job,
                                entry.account,
                                entry.state.as_str(),
                                entry.at,
                                was.0.as_str(),
                                was.1,
                            ])?;
                            if changed == 0 {
                                skipped.push(entry.asset);
                            }
                        }
                        Change::Forget(entry) => {
                            let changed = forget.execute(params![
                                album.album_id,
                                entry.asset.to_string(),
                                entry.job,
                                entry.state.as_str(),
                                entry.at
                            ])?;
                            if changed == 0 {
                                skipped.push(entry.asset);
                            }
                        }
                    }
                }
            }
            tx.commit()?;
            Ok(skipped)
        };
        write(&mut conn).map_err(|e| self.error("write the album's record", e))
    }

    /// How many entries of each kind a job has in an album.
    pub fn counts(&self, album: &AlbumKey, job: &str) -> anyhow::Result<Counts> {
        let conn = self.conn();
        let read = || -> rusqlite::Result<Counts> {
            let mut statement = conn.prepare(
                "SELECT state, COUNT(*) FROM album_assets
                 WHERE album_id = ?1 AND (job = ?2 OR state = 'tombstone') GROUP BY state",
            )?;
            let mut counts = Counts::default();
            let rows = statement.query_map(params![album.album_id, job], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (state, n) = row?;
                let n = n as usize;
                match EntryState::parse(&state) {
                    Some(EntryState::Added) => counts.added += n,
                    Some(EntryState::Removed) => counts.removed += n,
                    Some(EntryState::Tombstone) => counts.tombstones += n,
                    Some(EntryState::Adding | EntryState::Removing) => counts.pending += n,
                    None => {}
                }
            }
            Ok(counts)
        };
        read().map_err(|e| self.error("count the album's record", e))
    }

    /// Drops the tombstones of an album, whichever job wrote them (a person's removal counts for
    /// every job of the album): those assets may be added again. Returns how many.
    pub fn forget_tombstones(&self, album: &AlbumKey) -> anyhow::Result<usize> {
        self.conn()
            .execute(
                "DELETE FROM album_assets WHERE album_id = ?1 AND state = 'tombstone'",
                params![album.album_id],
            )
            .map_err(|e| self.error("forget the tombstones", e))
    }
}
