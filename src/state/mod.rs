//! The local record of what the tool did to albums: a small SQLite database (bundled SQLite, through
//! rusqlite) in the state directory. Per album it keeps which assets the tool added (by which job and
//! account, when), which it removed, and tombstones: assets the tool added that a person later took out
//! of the album, which are never added again. Prune removes only what this record says the tool added,
//! so an asset a person put in an album is never taken out.
//!
//! Intent before request: every add or removal is written here as an intent (`adding`, `removing`)
//! before the request is sent, and confirmed from the server's per-id answers after it. An intent left
//! behind by a crash, Ctrl-C or SIGTERM is settled at the next run against what the album then holds,
//! so the record never loses an asset the tool added and never claims one a person added.
//!
//! This module only stores and loads; what the entries mean is decided by the job that reads them.
//! Here: where the record lives (a private directory, private files), and opening it: the schema is
//! versioned and migrated forward on open (`schema.rs`), and the database runs in WAL mode with a busy
//! timeout, so two syncs of different job files that share an album both finish, one after the other,
//! with a consistent record. One file per table: `assets.rs` (what the tool did to each album's
//! assets), `albums.rs` (the albums each job uses), `made.rs` (the albums the tool made and the
//! members it added), `copies.rs` (copies between servers), `links.rs` (shared links), `runs.rs` (the
//! runs of every sync).

mod albums;
mod assets;
mod copies;
mod links;
mod made;
mod runs;
mod schema;
mod since;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::input_error;
use schema::{migrate, schema_version};

pub use albums::AlbumNote;
pub use assets::{Change, Counts, Entry, EntryState};
pub use made::MemberState;
pub use runs::Run;
pub use schema::SCHEMA_VERSION;
pub use since::{AlbumView, SearchMark};

/// Overrides where the state database lives (a directory).
pub const STATE_DIR_ENV: &str = "IMMICH_SMART_ALBUMS_STATE_DIR";
/// The database's file name inside the state directory.
pub const FILE_NAME: &str = "state.sqlite3";

/// How long a write waits for another process that holds the database.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

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

/// One album: the record's unit. Albums are told apart by their id (a UUID, unique across
/// servers); the server is a note, updated by every write, so a server reached under a new URL keeps
/// its album's record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlbumKey {
    /// The server's API base URL as the last run reached it, e.g. `https://photos.example.com/api`.
    pub server: String,
    pub album_id: String,
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
