//! The record, table by table: round trips, the conditional writes two processes rely on, migrations
//! (a newer schema refused, an old one carried forward), privacy, two writers, a damaged or unwritable
//! file, and a preview that never writes.

use std::collections::HashMap;

use uuid::Uuid;

use super::schema::MIGRATIONS;
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
    let set =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
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

#[test]
fn an_album_being_made_keeps_its_members_until_it_is_claimed() {
    let store = Store::memory();
    let server = key().server;
    assert!(!store.was_making(&server, "Kids").unwrap());
    store
        .note_making(
            &server,
            "Kids",
            "kids",
            &[("u-bob", "bob"), ("u-carol", "carol")],
        )
        .unwrap();
    // Made again (the first answer was lost and the album never landed): the latest members.
    store
        .note_making(&server, "Kids", "kids", &[("u-bob", "bob")])
        .unwrap();
    assert!(store.was_making(&server, "Kids").unwrap());
    assert_eq!(
        store.making_members(&server, "Kids").unwrap(),
        [("u-bob".to_string(), "bob".to_string())]
    );
    assert!(store.making_members(&server, "Other").unwrap().is_empty());
    store.claim_made(&key(), "Kids", "kids").unwrap();
    assert!(store.made(&key()).unwrap());
    assert!(!store.was_making(&server, "Kids").unwrap());
    assert!(store.making_members(&server, "Kids").unwrap().is_empty());
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

/// A record of schema 5 keeps its runs; they read as single syncs (no interval), and a run noted
/// after the migration keeps its schedule's interval.
#[test]
fn runs_of_schema_5_move_forward_and_new_ones_note_their_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let conn = Connection::open(&path).unwrap();
        for (i, sql) in MIGRATIONS[..5].iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
        }
        conn.execute_batch("INSERT INTO runs VALUES ('jobs.yaml', 100, 160, 1, 2, 3);")
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(schema_version(&store.conn()).unwrap(), SCHEMA_VERSION);
    let old = Run {
        jobfiles: "jobs.yaml".into(),
        started: 100,
        ended: 160,
        status: 1,
        added: 2,
        removed: 3,
        interval: None,
    };
    assert_eq!(store.last_runs(5).unwrap(), std::slice::from_ref(&old));
    let scheduled = Run {
        jobfiles: "jobs.yaml rome.yaml".into(),
        started: 200,
        ended: 230,
        status: 0,
        added: 0,
        removed: 0,
        interval: Some(6 * 3600),
    };
    store.note_run(&scheduled).unwrap();
    assert_eq!(store.last_runs(5).unwrap(), [scheduled, old]);
}

#[test]
fn a_jobs_searches_are_kept_per_account_and_replaced_whole() {
    let store = Store::memory();
    assert_eq!(store.search_mark("kids", "u1").unwrap(), None);
    let mark = SearchMark {
        since_ms: 1000,
        full_at: 5,
    };
    let blob = |b: u8| vec![1, b];
    store
        .note_searches(
            "kids",
            "u1",
            mark,
            &[],
            &[("mia".into(), blob(1)), ("leo".into(), blob(2))],
        )
        .unwrap();
    store
        .note_searches("kids", "u2", mark, &[], &[("mia".into(), blob(9))])
        .unwrap();
    assert_eq!(store.search_mark("kids", "u1").unwrap(), Some(mark));
    // The next run keeps one search as it was, replaces none, and no longer makes the other.
    let later = SearchMark {
        since_ms: 2000,
        full_at: 5,
    };
    store
        .note_searches("kids", "u1", later, &["mia"], &[("tags".into(), blob(3))])
        .unwrap();
    let results = store.search_results("kids", "u1").unwrap();
    assert_eq!(
        results,
        HashMap::from([("mia".to_string(), blob(1)), ("tags".to_string(), blob(3))])
    );
    assert_eq!(store.search_mark("kids", "u1").unwrap(), Some(later));
    // A result that changed is replaced, not doubled.
    store
        .note_searches("kids", "u1", later, &["tags"], &[("mia".into(), blob(4))])
        .unwrap();
    assert_eq!(store.search_results("kids", "u1").unwrap()["mia"], blob(4));
    assert_eq!(store.search_results("kids", "u2").unwrap().len(), 1);
    store.forget_searches("kids").unwrap();
    assert_eq!(store.search_mark("kids", "u1").unwrap(), None);
    assert!(store.search_results("kids", "u2").unwrap().is_empty());
}

#[test]
fn an_albums_view_is_kept_with_its_fingerprint_until_forgotten() {
    let store = Store::memory();
    let view = |fingerprint: &str, since_ms: i64, held: Vec<u8>| AlbumView {
        fingerprint: fingerprint.into(),
        since_ms,
        held,
    };
    assert_eq!(store.album_view(&key()).unwrap(), None);
    store
        .note_album_view(&key(), &view("f1", 1, vec![1, 2]))
        .unwrap();
    store
        .note_album_view(&key(), &view("f2", 2, vec![1, 3]))
        .unwrap();
    assert_eq!(
        store.album_view(&key()).unwrap(),
        Some(view("f2", 2, vec![1, 3]))
    );
    store.forget_album_view(&key()).unwrap();
    assert_eq!(store.album_view(&key()).unwrap(), None);
}
