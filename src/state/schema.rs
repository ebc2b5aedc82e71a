//! The record's schema, versioned (`PRAGMA user_version`): the migrations that take it forward, one
//! version at a time, and applying them on open. A migration, once released, is never changed: it runs
//! on existing users' databases; a change to the schema is a new one at the end.

use rusqlite::Connection;

/// Each migration takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // 6: every sync records its run, a single one (cron, a timer, by hand) too; a scheduled run
    // notes its schedule's interval in seconds (NULL for a single sync), which `state health`, a
    // process of its own, reads to know how old the last run may be.
    "ALTER TABLE runs ADD COLUMN interval_secs INTEGER;",
    // 7: the members an album is being made with, beside its intent. When the answer to the creation
    // is lost, the run that later finds and claims the album notes them as the tool's members, also
    // one a person took out in between (who is then not shared the album again).
    "CREATE TABLE album_intent_members (
        server   TEXT NOT NULL,
        name     TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        account  TEXT NOT NULL,
        PRIMARY KEY (server, name, user_id)
    ) WITHOUT ROWID;",
    // 8: what an incremental sync starts from. Per job and account (by user id): the server time the
    // last complete run's searches saw the library at, when the last full run ended, and each
    // search's result; per album: its fingerprint when it was last read whole, the server time of that
    // reading, and what it held then.
    // Only a cache: dropping these tables costs one full run, never a promise.
    "CREATE TABLE search_marks (
        job      TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        since_ms INTEGER NOT NULL,
        full_at  INTEGER NOT NULL,
        PRIMARY KEY (job, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE search_results (
        job      TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        search   TEXT NOT NULL,
        hits     BLOB NOT NULL,
        PRIMARY KEY (job, user_id, search)
    );
    CREATE TABLE album_views (
        album_id    TEXT PRIMARY KEY NOT NULL,
        fingerprint TEXT NOT NULL,
        since_ms    INTEGER NOT NULL,
        held        BLOB NOT NULL
    );",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// The version the database is at (`PRAGMA user_version`; 0 for a new one).
pub(super) fn schema_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
        .map(|v| v.max(0) as usize)
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction that holds the write lock while it reads
/// the version, so two processes opening a new database at once migrate it once.
pub(super) fn migrate(conn: &Connection) -> anyhow::Result<()> {
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
