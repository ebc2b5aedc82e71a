//! The local record of what the tool did to albums: a small SQLite database (bundled SQLite, through
//! rusqlite) in the state directory. Per server and album it keeps which assets the tool added (by which
//! job and account, when), which it removed, and tombstones: assets the tool added that a person later
//! took out of the album, which are never added again. Prune removes only what this record says the
//! tool added, so an asset a person put in an album is never taken out.
//!
//! Crash safety: every add or removal is written here as an intent (`adding`, `removing`) before the
//! request is sent, and confirmed from the server's per-id answers after it. An intent left behind by a
//! crash, Ctrl-C or SIGTERM is settled at the next run against what the album then holds (see
//! [`crate::job::decide`]), so the record never loses an asset the tool added and never claims one a
//! person added.
//!
//! This module only stores and loads; what the entries mean is decided in `job::decide`. The schema is
//! versioned (`PRAGMA user_version`) and migrated forward on open. The database runs in WAL mode with a
//! busy timeout, so two syncs of different job files that share an album both finish, one after the
//! other, with a consistent record.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use uuid::Uuid;

use crate::error::input_error;

/// Overrides where the state database lives (a directory).
pub const STATE_DIR_ENV: &str = "IMMICH_SMART_ALBUMS_STATE_DIR";
/// The database's file name inside the state directory.
pub const FILE_NAME: &str = "state.sqlite3";

/// How long a write waits for another process that holds the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Each migration takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: what the tool did to each album, and the albums each job uses.
    "CREATE TABLE album_assets (
        server   TEXT NOT NULL,
        album_id TEXT NOT NULL,
        asset_id TEXT NOT NULL,
        checksum TEXT NOT NULL,
        job      TEXT NOT NULL,
        account  TEXT NOT NULL,
        state    TEXT NOT NULL CHECK (state IN ('adding', 'added', 'removing', 'removed', 'tombstone')),
        at       INTEGER NOT NULL,
        PRIMARY KEY (server, album_id, asset_id)
    ) WITHOUT ROWID;
    CREATE TABLE albums (
        server   TEXT NOT NULL,
        album_id TEXT NOT NULL,
        job      TEXT NOT NULL,
        name     TEXT NOT NULL,
        role     TEXT NOT NULL,
        seen     INTEGER NOT NULL,
        PRIMARY KEY (server, album_id, job)
    ) WITHOUT ROWID;",
    // 2: copies between servers (`across_servers: copy`): each source asset is copied at most once.
    "CREATE TABLE copies (
        source_server TEXT NOT NULL,
        source_asset  TEXT NOT NULL,
        checksum      TEXT NOT NULL,
        target_server TEXT NOT NULL,
        copy_id       TEXT NOT NULL,
        job           TEXT NOT NULL,
        at            INTEGER NOT NULL,
        PRIMARY KEY (source_server, source_asset, target_server)
    ) WITHOUT ROWID;",
    // 3: the safe album's shared link, per album and job.
    "CREATE TABLE shared_links (
        server   TEXT NOT NULL,
        album_id TEXT NOT NULL,
        job      TEXT NOT NULL,
        link_id  TEXT NOT NULL,
        url      TEXT NOT NULL,
        expires  TEXT,
        at       INTEGER NOT NULL,
        PRIMARY KEY (server, album_id, job)
    ) WITHOUT ROWID;",
    // 4: the runs of a scheduled sync (`sync --every`, `--schedule`).
    "CREATE TABLE runs (
        jobfiles TEXT NOT NULL,
        started  INTEGER NOT NULL,
        ended    INTEGER NOT NULL,
        status   INTEGER NOT NULL,
        added    INTEGER NOT NULL,
        removed  INTEGER NOT NULL
    );",
    // 5: albums are told apart by their id (a UUID) alone, so a server reached under a new URL keeps
    // its record; the URL stays as a note. Rows an album got under two URLs merge, the latest
    // winning. Also: the albums the tool made, and the members it added to them.
    "CREATE TABLE album_assets_5 (
        album_id TEXT NOT NULL,
        asset_id TEXT NOT NULL,
        server   TEXT NOT NULL,
        checksum TEXT NOT NULL,
        job      TEXT NOT NULL,
        account  TEXT NOT NULL,
        state    TEXT NOT NULL CHECK (state IN ('adding', 'added', 'removing', 'removed', 'tombstone')),
        at       INTEGER NOT NULL,
        PRIMARY KEY (album_id, asset_id)
    ) WITHOUT ROWID;
    INSERT OR REPLACE INTO album_assets_5
        SELECT album_id, asset_id, server, checksum, job, account, state, at FROM album_assets
        ORDER BY at, server;
    DROP TABLE album_assets;
    ALTER TABLE album_assets_5 RENAME TO album_assets;
    CREATE TABLE albums_5 (
        album_id TEXT NOT NULL,
        job      TEXT NOT NULL,
        server   TEXT NOT NULL,
        name     TEXT NOT NULL,
        role     TEXT NOT NULL,
        seen     INTEGER NOT NULL,
        PRIMARY KEY (album_id, job)
    ) WITHOUT ROWID;
    INSERT OR REPLACE INTO albums_5
        SELECT album_id, job, server, name, role, seen FROM albums ORDER BY seen, server;
    DROP TABLE albums;
    ALTER TABLE albums_5 RENAME TO albums;
    CREATE TABLE shared_links_5 (
        album_id TEXT NOT NULL,
        job      TEXT NOT NULL,
        server   TEXT NOT NULL,
        link_id  TEXT NOT NULL,
        url      TEXT NOT NULL,
        expires  TEXT,
        at       INTEGER NOT NULL,
        PRIMARY KEY (album_id, job)
    ) WITHOUT ROWID;
    INSERT OR REPLACE INTO shared_links_5
        SELECT album_id, job, server, link_id, url, expires, at FROM shared_links ORDER BY at, server;
    DROP TABLE shared_links;
    ALTER TABLE shared_links_5 RENAME TO shared_links;
    CREATE TABLE made_albums (
        album_id TEXT PRIMARY KEY NOT NULL,
        server   TEXT NOT NULL,
        job      TEXT NOT NULL,
        at       INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE album_intents (
        server   TEXT NOT NULL,
        name     TEXT NOT NULL,
        job      TEXT NOT NULL,
        at       INTEGER NOT NULL,
        PRIMARY KEY (server, name)
    ) WITHOUT ROWID;
    CREATE TABLE album_members (
        album_id TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        account  TEXT NOT NULL,
        state    TEXT NOT NULL CHECK (state IN ('added', 'removed')),
        at       INTEGER NOT NULL,
        PRIMARY KEY (album_id, user_id)
    ) WITHOUT ROWID;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Where the state database lives: `state.sqlite3` in `dir` (`--state-dir`, or
/// `$IMMICH_SMART_ALBUMS_STATE_DIR` through it), else in the platform's state directory
/// (`~/.local/state/immich-smart-albums/` on Linux), else in its local data directory.
pub fn path_in(dir: Option<&Path>) -> PathBuf {
    let dir = match dir {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .unwrap_or_else(|| PathBuf::from("."))
            .join("immich-smart-albums"),
    };
    dir.join(FILE_NAME)
}

/// FNV-1a (64 bits): a hash that stays the same across Rust releases and platforms, so that every
/// version of the tool names a lock file alike.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Makes the state directory of the database at `db` (mode 0700 on Unix), or tightens an existing
/// one that group or others may enter: the record holds the safe album's shared-link URL, which
/// opens the album to anyone who has it. Only a directory that holds nothing but the record is
/// tightened (a state directory given as `/tmp` or a home directory is left as it is, with a
/// warning: the record's own files are private either way), and one this user may not change gets a
/// warning with the command that fixes it. Returns the directory. A directory that cannot be made
/// is an input error that says how to fix it.
pub fn prepare_dir(db: &Path) -> anyhow::Result<PathBuf> {
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let fail = |what: String| {
        input_error(format!(
            "the state directory {}: {what}; set {STATE_DIR_ENV} to a writable directory (the \
             state database and the sync locks live there)",
            dir.display()
        ))
    };
    if dir.exists() && !dir.is_dir() {
        return Err(fail("it is not a directory".into()));
    }
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&dir)
            .map_err(|e| fail(format!("cannot create it: {e}")))?;
    }
    if holds_only_the_record(&dir) {
        // One that is not this user's (a volume owned by root, open to all) cannot be changed here:
        // said, as the record's own files are private either way.
        if let Err(error) = make_private(&dir, true) {
            tracing::warn!("{error:#}");
        }
    } else {
        warn_if_open(&dir);
    }
    Ok(dir)
}

/// Whether a directory holds nothing but the record's files: the database, its journals, the sync
/// locks.
fn holds_only_the_record(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        name.starts_with(FILE_NAME)
            || ((name.starts_with("sync-") || name.starts_with("album-"))
                && name.ends_with(".lock"))
    })
}

/// A shared directory the record lives in: said, not changed.
fn warn_if_open(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(dir)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "the state directory {} holds more than the record and others may list it (mode \
                 {:o}); the record's files are private (0600), but a directory of its own keeps even \
                 their names to you: set {STATE_DIR_ENV} to one",
                dir.display(),
                meta.permissions().mode() & 0o7777
            );
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Takes group and others' access away from a file or directory of the record (Unix; elsewhere
/// the platform's per-user directories keep it private). One that cannot be changed is an input
/// error naming the command that fixes it.
fn make_private(path: &Path, dir: bool) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| input_error(format!("{}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            let private = if dir { 0o700 } else { 0o600 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(private)).map_err(
                |e| {
                    input_error(format!(
                        "{} may be read by other users of this host (mode {:o}), and it holds the \
                         record, with the safe album's shared-link URL; it cannot be changed \
                         ({e}). Run `chmod {private:o} {}` as its owner",
                        path.display(),
                        mode & 0o777,
                        path.display()
                    ))
                },
            )?;
            tracing::debug!(
                "{}: took group and others' access away (mode {:o} to {private:o})",
                path.display(),
                mode & 0o777
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, dir);
    Ok(())
}

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

/// One album: the record's unit. Albums are told apart by their id (a UUID, unique across
/// servers); the server is a note, updated by every write, so a server reached under a new URL keeps
/// its album's record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlbumKey {
    /// The server's API base URL as the last run reached it, e.g. `https://photos.example.com/api`.
    pub server: String,
    pub album_id: String,
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

/// Where a member of an album the tool made stands with the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// The tool shared the album with the member.
    Added,
    /// The tool had shared it and a person took the member out: not shared again.
    Removed,
}

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

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The open record.
pub struct Store {
    conn: Mutex<Connection>,
    /// `None` for a record that lives only in memory.
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating it and its directory when missing) the database for reading and writing, and
    /// checks that it can be written: an unwritable or corrupt database is an input error here, before
    /// anything changes on a server.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        let fail = |what: String| {
            input_error(format!(
                "the state database {}: {what}; set {STATE_DIR_ENV} to a writable directory, or \
                 move the file away if it is damaged (the record starts again empty)",
                path.display()
            ))
        };
        prepare_dir(path)?;
        let conn = Connection::open(path).map_err(|e| fail(format!("cannot open it: {e}")))?;
        // Before the journal files exist: SQLite gives them the database file's mode.
        make_private(path, false)?;
        for journal in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(journal);
            let journal = PathBuf::from(name);
            if journal.exists() {
                make_private(&journal, false)?;
            }
        }
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| fail(e.to_string()))?;
        let mode =
            wal_mode(&conn).map_err(|e| fail(format!("not a usable SQLite database: {e}")))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::debug!("state database journal mode: {mode}");
        }
        migrate(&conn).map_err(|e| fail(e.to_string()))?;
        // A write lock proves the file can be written before a run relies on it.
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
            .map_err(|e| fail(format!("cannot write it: {e}")))?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: Some(path.to_path_buf()),
        })
    }

    /// Opens an existing database for reading only (a preview changes nothing, not even the record);
    /// `None` when there is none yet.
    pub fn open_read_only(path: &Path) -> anyhow::Result<Option<Store>> {
        if !path.exists() {
            return Ok(None);
        }
        let fail = |what: String| {
            input_error(format!(
                "the state database {}: {what}; move the file away if it is damaged (the record \
                 starts again empty)",
                path.display()
            ))
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| fail(format!("cannot open it: {e}")))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| fail(e.to_string()))?;
        let version = schema_version(&conn)
            .map_err(|e| fail(format!("not a usable SQLite database: {e}")))?;
        if version > SCHEMA_VERSION {
            return Err(fail(format!(
                "it was written by a newer version of immich-smart-albums (schema {version}, this \
                 one knows {SCHEMA_VERSION})"
            )));
        }
        if version < SCHEMA_VERSION {
            // Older or empty: what this version reads is not there yet; a sync migrates it.
            return Ok(Some(Store::memory()));
        }
        Ok(Some(Store {
            conn: Mutex::new(conn),
            path: Some(path.to_path_buf()),
        }))
    }

    /// An empty record in memory: for previews before the first sync, the demo and tests.
    pub fn memory() -> Store {
        let conn = Connection::open_in_memory().expect("SQLite opens an in-memory database");
        migrate(&conn).expect("the schema applies to an empty database");
        Store {
            conn: Mutex::new(conn),
            path: None,
        }
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn error(&self, what: &str, error: rusqlite::Error) -> anyhow::Error {
        let place = self
            .path
            .as_ref()
            .map_or_else(|| "in memory".to_string(), |p| p.display().to_string());
        anyhow::anyhow!("the state database {place}: cannot {what}: {error}")
    }

    /// The lock file that two processes sharing this record take before one of them makes an album
    /// called `name` on `server` (`None` for a record in memory, which no other process shares).
    pub fn album_lock_path(&self, server: &str, name: &str) -> Option<PathBuf> {
        let dir = self.path.as_ref()?.parent()?;
        let hash = stable_hash(format!("{server}\n{name}").as_bytes());
        Some(dir.join(format!("album-{hash:016x}.lock")))
    }

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
    pub fn note_making(&self, server: &str, name: &str, job: &str) -> anyhow::Result<()> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO album_intents (server, name, job, at) VALUES (?1, ?2, ?3, ?4)",
                params![server, name, job, now()],
            )
            .map(drop)
            .map_err(|e| self.error("note an album being made", e))
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
        self.conn()
            .execute(
                "DELETE FROM album_intents WHERE server = ?1 AND name = ?2",
                params![album.server, name],
            )
            .map(drop)
            .map_err(|e| self.error("settle an album being made", e))
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

/// Switches the database to WAL mode. SQLite answers "database is locked" at once, without waiting
/// for the busy timeout, when another process holds the write lock at that moment (two syncs that
/// start together, one migrating a new database): tried again until the busy timeout.
fn wal_mode(conn: &Connection) -> rusqlite::Result<String> {
    let started = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

fn schema_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
        .map(|v| v.max(0) as usize)
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction that holds the write lock while it reads
/// the version, so two processes opening a new database at once migrate it once.
fn migrate(conn: &Connection) -> anyhow::Result<()> {
    let newer = |version: usize| {
        anyhow::anyhow!(
            "it was written by a newer version of immich-smart-albums (schema {version}, this one \
             knows {SCHEMA_VERSION})"
        )
    };
    let version =
        schema_version(conn).map_err(|e| anyhow::anyhow!("not a usable SQLite database: {e}"))?;
    if version > SCHEMA_VERSION {
        return Err(newer(version));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let apply = || -> rusqlite::Result<Result<(), usize>> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let result = (|| {
            let version = schema_version(conn)?;
            if version > SCHEMA_VERSION {
                return Ok(Err(version));
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
                conn.execute_batch(sql)?;
                conn.pragma_update(None, "user_version", (i + 1) as i64)?;
            }
            Ok(Ok(()))
        })();
        match result {
            Ok(outcome) => conn.execute_batch("COMMIT").map(|()| outcome),
            Err(error) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(error)
            }
        }
    };
    match apply() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(version)) => Err(newer(version)),
        Err(e) => Err(anyhow::anyhow!(
            "cannot bring the schema to version {SCHEMA_VERSION}: {e}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AlbumKey {
        AlbumKey {
            server: "http://127.0.0.1:1/api".into(),
            album_id: "a1".into(),
        }
    }

    fn entry(id: u128, state: EntryState) -> Entry {
        Entry {
            asset: Uuid::from_u128(id),
            checksum: format!("c{id}").into(),
            job: "kids".into(),
            account: "alice".into(),
            state,
            at: 1,
        }
    }

    #[test]
    fn entries_round_trip_and_changes_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/state.sqlite3");
        let store = Store::open(&path).unwrap();
        store
            .write(
                &key(),
                &[
                    Change::Put(entry(1, EntryState::Adding)),
                    Change::Put(entry(2, EntryState::Added)),
                    Change::Put(entry(1, EntryState::Added)),
                    Change::Put(entry(3, EntryState::Tombstone)),
                    Change::Forget(entry(2, EntryState::Added)),
                    // Not the row as it is: left alone.
                    Change::Forget(entry(1, EntryState::Adding)),
                ],
            )
            .unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        let entries = store.load(&key()).unwrap();
        assert_eq!(
            entries,
            [entry(1, EntryState::Added), entry(3, EntryState::Tombstone)]
        );
        let other = AlbumKey {
            album_id: "a2".into(),
            ..key()
        };
        assert!(store.load(&other).unwrap().is_empty());
        assert_eq!(
            store.counts(&key(), "kids").unwrap(),
            Counts {
                added: 1,
                tombstones: 1,
                ..Counts::default()
            }
        );
        let other = AlbumKey {
            album_id: "a3".into(),
            ..key()
        };
        assert_eq!(store.forget_tombstones(&other).unwrap(), 0);
        assert_eq!(store.forget_tombstones(&key()).unwrap(), 1);
        assert_eq!(store.load(&key()).unwrap(), [entry(1, EntryState::Added)]);
    }

    /// Two processes on one album: a row another job wrote since this run read the record is left
    /// to it; a run's intent goes only over no row, a removed one or its own job's.
    #[test]
    fn conditional_changes_leave_another_processs_rows_alone() {
        let store = Store::memory();
        let other = |n: u128, state: EntryState| Entry {
            job: "other".into(),
            ..entry(n, state)
        };
        store
            .write(
                &key(),
                &[
                    Change::Put(other(1, EntryState::Added)),
                    Change::Put(other(2, EntryState::Removed)),
                    Change::Put(entry(3, EntryState::Removed)),
                    Change::Put(other(4, EntryState::Adding)),
                    Change::Put(entry(5, EntryState::Added)),
                    Change::Put(entry(8, EntryState::Added)),
                    Change::Put(entry(9, EntryState::Tombstone)),
                    Change::Put(entry(10, EntryState::Added)),
                ],
            )
            .unwrap();
        let intend = |n| Change::Intend(entry(n, EntryState::Adding));
        // This job's own add intent never replaces its own `added` row (another process of the job
        // added it since this run listed the album: its `duplicate` answer would then forget the
        // row) nor a tombstone; a removal intent does replace its own `added` row.
        let skipped = store
            .write(
                &key(),
                &[
                    intend(1),
                    intend(2),
                    intend(3),
                    intend(4),
                    intend(6),
                    intend(8),
                    intend(9),
                    Change::Intend(entry(10, EntryState::Removing)),
                ],
            )
            .unwrap();
        // What was not taken is said, so that its request is not sent.
        let skipped: Vec<u128> = skipped.iter().map(|id| id.as_u128()).collect();
        assert_eq!(skipped, [1, 4, 8, 9]);
        // A settle of a row as it no longer is, and one as it is.
        let stale_read = Change::Settle {
            entry: Entry {
                at: 9,
                ..entry(5, EntryState::Tombstone)
            },
            was: (EntryState::Added, 0),
        };
        let fresh_read = Change::Settle {
            entry: Entry {
                at: 9,
                ..other(1, EntryState::Tombstone)
            },
            was: (EntryState::Added, 1),
        };
        // Adoption over a row that exists, and over none.
        let claims = [
            Change::Claim(entry(4, EntryState::Added)),
            Change::Claim(entry(7, EntryState::Added)),
        ];
        let skipped = store.write(&key(), &[stale_read, fresh_read]).unwrap();
        assert_eq!(skipped, [Uuid::from_u128(5)], "the stale read is skipped");
        let skipped = store.write(&key(), &claims).unwrap();
        assert_eq!(
            skipped,
            [Uuid::from_u128(4)],
            "a claim of a row that exists is skipped"
        );
        let states: Vec<(u128, String, EntryState)> = store
            .load(&key())
            .unwrap()
            .into_iter()
            .map(|e| (e.asset.as_u128(), e.job, e.state))
            .collect();
        let row = |n, job: &str, state| (n, job.to_string(), state);
        assert_eq!(
            states,
            [
                row(1, "other", EntryState::Tombstone),
                row(2, "kids", EntryState::Adding),
                row(3, "kids", EntryState::Adding),
                row(4, "other", EntryState::Adding),
                row(5, "kids", EntryState::Added),
                row(6, "kids", EntryState::Adding),
                row(7, "kids", EntryState::Added),
                row(8, "kids", EntryState::Added),
                row(9, "kids", EntryState::Tombstone),
                row(10, "kids", EntryState::Removing),
            ]
        );
    }

    #[test]
    fn the_database_lives_in_the_state_directory_given_else_the_platforms() {
        assert_eq!(
            path_in(Some(Path::new("/srv/isa"))),
            Path::new("/srv/isa/state.sqlite3")
        );
        let default = path_in(None);
        assert!(
            default.ends_with("immich-smart-albums/state.sqlite3"),
            "{}",
            default.display()
        );
        assert_eq!(
            path_in(Some(Path::new(""))),
            default,
            "an empty value is no value"
        );
    }

    #[test]
    fn albums_are_noted_per_job() {
        let store = Store::memory();
        store.note_album(&key(), "kids", "Kids", "main").unwrap();
        store
            .note_album(&key(), "kids", "Kids renamed", "main")
            .unwrap();
        store.note_album(&key(), "pets", "Pets", "main").unwrap();
        let notes = store.albums_of("kids").unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].name, "Kids renamed");
        assert!(store.albums_of("nobody").unwrap().is_empty());
    }

    #[test]
    fn a_corrupt_or_unwritable_database_is_an_input_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite3");
        std::fs::write(
            &path,
            "this is not a database, just text that is long enough",
        )
        .unwrap();
        let error = Store::open(&path).unwrap_err();
        let text = format!("{error:#}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("not a usable SQLite database"), "{text}");
        assert_eq!(
            crate::error::Status::of(&error),
            crate::error::Status::Input
        );

        // A directory where the file should be.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join(FILE_NAME)).unwrap();
        let error = Store::open(&blocked.join(FILE_NAME)).unwrap_err();
        assert!(format!("{error:#}").contains(STATE_DIR_ENV), "{error:#}");
    }

    #[test]
    fn a_newer_schema_is_refused_and_an_old_one_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let error = format!("{:#}", Store::open(&path).unwrap_err());
        assert!(error.contains("newer version"), "{error}");
        let error = format!("{:#}", Store::open_read_only(&path).unwrap_err());
        assert!(error.contains("newer version"), "{error}");

        let fresh = dir.path().join("fresh.sqlite3");
        assert!(Store::open_read_only(&fresh).unwrap().is_none());
        Store::open(&fresh).unwrap();
        let conn = Connection::open(&fresh).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    /// A record of schema 4 (keyed by server URL and album) is carried forward: an album the record
    /// knew under two URLs (the server moved) keeps one row per asset, the latest, and its notes.
    #[test]
    fn a_record_keyed_by_url_moves_forward_to_one_keyed_by_album() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        {
            let conn = Connection::open(&path).unwrap();
            for (i, sql) in MIGRATIONS[..4].iter().enumerate() {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", (i + 1) as i64)
                    .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO album_assets VALUES
                   ('http://127.0.0.1:2283/api', 'a1', 'x1', 'c1', 'kids', 'alice', 'tombstone', 10),
                   ('http://localhost:2283/api', 'a1', 'x1', 'c1', 'kids', 'alice', 'added', 20),
                   ('http://127.0.0.1:2283/api', 'a1', 'x2', 'c2', 'kids', 'alice', 'added', 30),
                   ('http://localhost:2283/api', 'a1', 'x2', 'c2', 'kids', 'bob', 'tombstone', 25);
                 INSERT INTO albums VALUES
                   ('http://127.0.0.1:2283/api', 'a1', 'kids', 'Kids', 'main', 10),
                   ('http://localhost:2283/api', 'a1', 'kids', 'Kids', 'main', 20);
                 INSERT INTO shared_links VALUES
                   ('http://127.0.0.1:2283/api', 'a1', 'kids', 'l1', 'http://127.0.0.1:2283/share/k', NULL, 5);",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let any_server = AlbumKey {
            server: "https://photos.example.org/api".into(),
            album_id: "a1".into(),
        };
        // The asset ids are not UUIDs: read the rows as they are.
        let rows: Vec<(String, String, String, String)> = store
            .conn()
            .prepare("SELECT asset_id, account, state, server FROM album_assets ORDER BY asset_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let row = |a: &str, who: &str, state: &str, server: &str| {
            (a.into(), who.into(), state.into(), server.into())
        };
        assert_eq!(
            rows,
            [
                row("x1", "alice", "added", "http://localhost:2283/api"),
                row("x2", "alice", "added", "http://127.0.0.1:2283/api"),
            ]
        );
        let notes = store.albums_of("kids").unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].key.server, "http://localhost:2283/api");
        assert_eq!(
            store.link_of(&any_server, "kids").unwrap().as_deref(),
            Some("l1")
        );
        assert!(!store.made(&any_server).unwrap());
        assert!(store.members(&any_server).unwrap().is_empty());
        assert_eq!(
            schema_version(&store.conn()).unwrap(),
            SCHEMA_VERSION,
            "migrated to the newest schema"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_record_is_made_private_and_a_shared_directory_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let set = |p: &Path, m: u32| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        let root = tempfile::tempdir().unwrap();

        // Made: 0700, the database 0600.
        let made = root.path().join("new/state");
        Store::open(&made.join(FILE_NAME)).unwrap();
        assert_eq!(mode(&made), 0o700);
        assert_eq!(mode(&made.join(FILE_NAME)), 0o600);

        // An existing record of an earlier version, open to all: tightened, files and all.
        let old = root.path().join("old");
        std::fs::create_dir_all(&old).unwrap();
        drop(Store::open(&old.join(FILE_NAME)).unwrap());
        std::fs::write(old.join("sync-0123456789abcdef.lock"), "").unwrap();
        set(&old, 0o755);
        set(&old.join(FILE_NAME), 0o644);
        let store = Store::open(&old.join(FILE_NAME)).unwrap();
        store
            .write(&key(), &[Change::Put(entry(1, EntryState::Added))])
            .unwrap();
        assert_eq!(mode(&old), 0o700);
        assert_eq!(mode(&old.join(FILE_NAME)), 0o600);
        let wal = old.join(format!("{FILE_NAME}-wal"));
        assert!(wal.exists());
        assert_eq!(mode(&wal), 0o600, "the journal takes the database's mode");

        // Already private: as it is. A directory with more in it: left alone.
        set(&old, 0o700);
        prepare_dir(&old.join(FILE_NAME)).unwrap();
        assert_eq!(mode(&old), 0o700);
        let shared = root.path().join("shared");
        std::fs::create_dir_all(&shared).unwrap();
        std::fs::write(shared.join("notes.txt"), "x").unwrap();
        set(&shared, 0o1777);
        Store::open(&shared.join(FILE_NAME)).unwrap();
        assert_eq!(mode(&shared), 0o1777);
        assert_eq!(mode(&shared.join(FILE_NAME)), 0o600);
        assert!(!holds_only_the_record(&shared));
        assert!(holds_only_the_record(&old));
        // Only the record's own names: not any lock, nor anything named `sync-`.
        for other in ["sync-notes.txt", "backup.lock"] {
            let dir = root.path().join(other.replace('.', "-"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(other), "").unwrap();
            assert!(!holds_only_the_record(&dir), "{other}");
        }
    }

    #[test]
    fn made_albums_and_their_members_are_kept_per_album() {
        let store = Store::memory();
        assert!(!store.made(&key()).unwrap());
        store.note_made(&key(), "kids").unwrap();
        store.note_made(&key(), "other").unwrap();
        assert!(store.made(&key()).unwrap());
        let moved = AlbumKey {
            server: "http://elsewhere/api".into(),
            ..key()
        };
        assert!(store.made(&moved).unwrap(), "by album, whatever the URL");
        store
            .note_member(&key(), "u-bob", "bob", MemberState::Added)
            .unwrap();
        store
            .note_member(&key(), "u-carol", "carol", MemberState::Added)
            .unwrap();
        store
            .note_member(&key(), "u-carol", "carol", MemberState::Removed)
            .unwrap();
        let members = store.members(&moved).unwrap();
        assert_eq!(
            members,
            HashMap::from([
                ("u-bob".to_string(), MemberState::Added),
                ("u-carol".to_string(), MemberState::Removed),
            ])
        );
        let other = AlbumKey {
            album_id: "a9".into(),
            ..key()
        };
        assert!(!store.made(&other).unwrap());
        assert!(store.members(&other).unwrap().is_empty());
    }

    /// A sync that opens the record while another process holds its write lock (two syncs that
    /// start together, one of them migrating a new database) waits for it: SQLite answers the switch
    /// to WAL "database is locked" at once, without its busy timeout.
    #[test]
    fn opening_the_record_waits_for_another_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .unwrap();
        let opener = {
            let path = path.clone();
            std::thread::spawn(move || Store::open(&path).map(drop))
        };
        std::thread::sleep(Duration::from_millis(300));
        other.execute_batch("COMMIT").unwrap();
        opener
            .join()
            .unwrap()
            .expect("opened once the other writer let go");
    }

    #[test]
    fn two_connections_write_one_after_the_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let (a, b) = (Store::open(&path).unwrap(), Store::open(&path).unwrap());
        let threads: Vec<_> = [(a, 0u128), (b, 1000u128)]
            .into_iter()
            .map(|(store, base)| {
                std::thread::spawn(move || {
                    for i in 0..50 {
                        store
                            .write(&key(), &[Change::Put(entry(base + i, EntryState::Added))])
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.load(&key()).unwrap().len(), 100);
    }

    #[test]
    fn every_state_reads_back_as_it_was_written() {
        let store = Store::memory();
        let entries: Vec<Entry> = [
            EntryState::Adding,
            EntryState::Added,
            EntryState::Removing,
            EntryState::Removed,
            EntryState::Tombstone,
        ]
        .into_iter()
        .zip(1u128..)
        .map(|(state, id)| entry(id, state))
        .collect();
        let puts: Vec<Change> = entries.iter().cloned().map(Change::Put).collect();
        store.write(&key(), &puts).unwrap();
        assert_eq!(store.load(&key()).unwrap(), entries);
        // The raw rows, read past the code under test.
        let states: Vec<String> = store
            .conn()
            .prepare("SELECT state FROM album_assets ORDER BY asset_id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            states,
            ["adding", "added", "removing", "removed", "tombstone"]
        );
        assert_eq!(
            store.counts(&key(), "kids").unwrap(),
            Counts {
                added: 1,
                removed: 1,
                tombstones: 1,
                pending: 2,
            }
        );
    }

    #[test]
    fn a_preview_reads_the_current_record_and_never_writes_or_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let store = Store::open(&path).unwrap();
        store
            .write(&key(), &[Change::Put(entry(1, EntryState::Added))])
            .unwrap();
        drop(store);
        let read = Store::open_read_only(&path)
            .unwrap()
            .expect("the record exists");
        assert_eq!(read.load(&key()).unwrap(), [entry(1, EntryState::Added)]);
        assert!(
            read.write(&key(), &[Change::Put(entry(2, EntryState::Added))])
                .is_err(),
            "a read-only record takes no writes"
        );
        drop(read);
        assert_eq!(
            Store::open(&path).unwrap().load(&key()).unwrap(),
            [entry(1, EntryState::Added)]
        );

        // A record of an older schema (here: none yet) reads as empty and is left for a sync to migrate.
        let old = dir.path().join("old.sqlite3");
        Connection::open(&old)
            .unwrap()
            .execute_batch("CREATE TABLE unrelated (x INTEGER)")
            .unwrap();
        let read = Store::open_read_only(&old)
            .unwrap()
            .expect("the file exists");
        assert!(read.load(&key()).unwrap().is_empty());
        drop(read);
        assert_eq!(schema_version(&Connection::open(&old).unwrap()).unwrap(), 0);
    }
}
