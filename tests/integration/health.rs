//! `state health`: exit 0 when the last run in the record ended well and recently, 1 when not (no
//! record, a failed run, one too old, a record that cannot be read), with one line that says which
//! run and why; and a single `sync` (from cron) records its run, so the check works there too. Old
//! runs are written into the record, never waited for.

use crate::common;

use crate::common::{Setup, stderr_of, stdout_of};
use immich_smart_albums::state::{Run, Store};

const ROME: &str =
    "profile: family\njobs:\n  rome:\n    include: [{metadata: {city: Rome}}]\n    album: Rome\n";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn runs(setup: &Setup) -> Vec<Run> {
    Store::open_read_only(&setup.state_dir().join("state.sqlite3"))
        .unwrap()
        .map(|store| store.last_runs(100).unwrap())
        .unwrap_or_default()
}

/// A run ended `ago` seconds before now (after it, when negative), written straight into the record.
fn note(setup: &Setup, jobfiles: &str, ago: i64, status: u8, interval: Option<u64>) {
    let store = Store::open(&setup.state_dir().join("state.sqlite3")).unwrap();
    store
        .note_run(&Run {
            jobfiles: jobfiles.into(),
            started: now() - ago - 30,
            ended: now() - ago,
            status,
            added: 4,
            removed: 1,
            interval,
        })
        .unwrap();
}

#[test]
fn a_cron_sync_records_its_run_and_prints_nothing_more() {
    let setup = Setup::new(common::sim());
    setup.job("jobs.yaml", ROME);
    let output = setup.run(&["sync", "jobs.yaml", "--quiet"]);
    let stdout = common::stdout_if(&output, 0);
    assert!(stdout.starts_with("rome: added "), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert_eq!(stderr_of(&output), "", "a good sync says nothing on stderr");
    let added = setup
        .sim
        .album_assets(&setup.sim.album_by_name("Rome")[0])
        .len();
    let recorded = runs(&setup);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let run = &recorded[0];
    assert_eq!(
        (run.jobfiles.as_str(), run.status, run.added, run.removed),
        ("jobs.yaml", 0, added, 0)
    );
    assert_eq!(run.interval, None, "a single sync has no schedule");
    assert!(run.started <= run.ended && run.ended <= now());

    let output = setup.run(&["state", "health"]);
    let stdout = common::stdout_if(&output, 0);
    assert!(
        stdout.starts_with("healthy: the last run (jobs.yaml) ended ")
            && stdout.contains("with exit status 0")
            && stdout.contains("unhealthy once 26 h old"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert_eq!(stderr_of(&output), "");
    common::stdout_if(&setup.run(&["state", "health", "jobs.yaml"]), 0);

    // Only the runs of the job files asked about count.
    let output = setup.run(&["state", "health", "jobs.yaml", "other.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout_of(&output).starts_with("healthy: "));
    assert!(
        stderr_of(&output).starts_with("unhealthy: no run of other.yaml recorded yet in "),
        "{}",
        stderr_of(&output)
    );

    // The runs show in `state show`.
    let output = setup.run(&["state", "show", "jobs.yaml"]);
    let stdout = common::stdout_if(&output, 0);
    assert!(stdout.contains("Last runs:\n"), "{stdout}");
    assert!(
        stdout.contains(&format!(" ok: {added} added, 0 removed (jobs.yaml)")),
        "{stdout}"
    );
}

#[test]
fn a_failed_run_is_unhealthy_and_says_its_status_when_and_which_job_files() {
    let setup = Setup::new(common::sim());
    setup.job("jobs.yaml", ROME);
    let output = setup
        .bin()
        .env("TEST_KEY_ALICE", "not-alices-key")
        .args(["sync", "jobs.yaml", "--quiet"])
        .output()
        .unwrap();
    let code = output.status.code().unwrap();
    assert_ne!(code, 0, "{}", stderr_of(&output));
    assert_eq!(runs(&setup)[0].status as i32, code);

    let output = setup.run(&["state", "health"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
    assert_eq!(stdout_of(&output), "");
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with(&format!(
            "unhealthy: the last run (jobs.yaml) failed with exit status {code} ("
        )),
        "{stderr}"
    );
    let ended = immich_smart_albums::job::dates::utc(runs(&setup)[0].ended);
    assert!(stderr.contains(&ended), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // A good run after it makes it healthy again; with a job file asked about, its own last run
    // counts, not a later one of another file. (Each ends a second or two after the one before,
    // whatever second the clock is at.)
    note(&setup, "jobs.yaml", -1, 0, None);
    common::stdout_if(&setup.run(&["state", "health"]), 0);
    note(&setup, "other.yaml", -2, 1, None);
    assert_eq!(setup.run(&["state", "health"]).status.code(), Some(1));
    common::stdout_if(&setup.run(&["state", "health", "jobs.yaml"]), 0);
}

#[test]
fn a_run_that_ended_too_long_ago_is_unhealthy() {
    let setup = Setup::new(common::sim());
    // A scheduled run of every minute, ended ten minutes ago: twice the interval has passed.
    note(&setup, "jobs.yaml", 600, 0, Some(60));
    let output = setup.run(&["state", "health"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("unhealthy: the last run (jobs.yaml) ended 10 min ago (")
            && stderr.contains("longer ago than 2 min (twice its schedule's 1 min)"),
        "{stderr}"
    );
    // `--max-age` overrides the schedule's.
    let output = setup.run(&["state", "health", "--max-age", "1h"]);
    let stdout = common::stdout_if(&output, 0);
    assert!(
        stdout.contains("unhealthy once 1 h old (--max-age)"),
        "{stdout}"
    );

    // A single sync's run ten seconds ago is within the default 26 h, not within one second.
    note(&setup, "jobs.yaml", 10, 0, None);
    common::stdout_if(&setup.run(&["state", "health"]), 0);
    let output = setup.run(&["state", "health", "--max-age", "1s"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("longer ago than 1 s (--max-age)"),
        "{}",
        stderr_of(&output)
    );
    // A day and a half ago, for a single sync: late.
    note(&setup, "cron.yaml", 36 * 3600, 0, None);
    let output = setup.run(&["state", "health", "cron.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("ended 36 h ago"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn no_record_or_an_unreadable_one_is_unhealthy_not_a_mistake() {
    let setup = Setup::new(common::sim());
    let output = setup.run(&["state", "health"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output), "");
    assert!(
        stderr_of(&output).starts_with("unhealthy: no run recorded yet in "),
        "{}",
        stderr_of(&output)
    );
    assert!(!setup.state_dir().exists(), "a health check writes nothing");

    std::fs::create_dir_all(setup.state_dir()).unwrap();
    std::fs::write(
        setup.state_dir().join("state.sqlite3"),
        "not a database, not even close to one; long enough to be read as a header",
    )
    .unwrap();
    let output = setup.run(&["state", "health"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).starts_with("unhealthy: cannot read the record: the state database "),
        "{}",
        stderr_of(&output)
    );

    // A mistake in its own flag is one, as for any command.
    let output = setup.run(&["state", "health", "--max-age", "soon"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--max-age soon"));
}
