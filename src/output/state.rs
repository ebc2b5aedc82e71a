//! What `state show`, `state forget` and `state health` print: the record's albums with their
//! counts, the last runs, what was forgotten, and how the last run went.

use std::io::{self, Write};

use super::row;

use crate::job::dates::utc;
use crate::state::{AlbumNote, Counts, Run};

/// The last runs of `sync`, single or scheduled (`sync --every`, `--schedule`), newest first.
pub fn last_runs(out: &mut impl Write, runs: &[Run]) -> io::Result<()> {
    if runs.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Last runs:")?;
    for run in runs {
        let outcome = match run.status {
            0 => "ok".to_string(),
            code => format!("failed (exit status {code})"),
        };
        writeln!(
            out,
            "  {} ({} s) {outcome}: {} added, {} removed ({})",
            crate::job::dates::iso(run.started),
            run.ended - run.started,
            run.added,
            run.removed,
            run.jobfiles
        )?;
    }
    Ok(())
}

/// An album of the record, with its counts, for `state show`.
pub struct RecordedAlbum {
    pub note: AlbumNote,
    pub counts: Counts,
}

/// `state show`: where the record is, and per album what the tool did.
pub fn state_show(
    out: &mut impl Write,
    db: &str,
    jobs: &[&str],
    copies: &[usize],
    links: &[Vec<(String, Option<String>)>],
    albums: &[RecordedAlbum],
) -> io::Result<()> {
    writeln!(out, "Record: {db}")?;
    for ((job, copies), links) in jobs.iter().zip(copies).zip(links) {
        writeln!(out)?;
        writeln!(out, "Job `{job}`")?;
        if *copies > 0 {
            row(out, "files copied from other servers", *copies)?;
        }
        for (url, expires) in links {
            writeln!(
                out,
                "  shared link {url} (expires {})",
                expires.as_deref().unwrap_or("never")
            )?;
        }
        let mine: Vec<&RecordedAlbum> = albums.iter().filter(|a| a.note.job == *job).collect();
        if mine.is_empty() {
            writeln!(out, "  no album recorded yet (no sync has run this job)")?;
        }
        for album in mine {
            let note = &album.note;
            writeln!(
                out,
                "  {} album \"{}\" ({} on {})",
                note.role, note.name, note.key.album_id, note.key.server
            )?;
            let counts = &album.counts;
            row(out, "  added by the tool, in the album", counts.added)?;
            row(out, "  removed by the tool", counts.removed)?;
            row(
                out,
                "  removed by someone, not added again",
                counts.tombstones,
            )?;
            if counts.pending > 0 {
                row(
                    out,
                    "  unconfirmed (the next sync settles them)",
                    counts.pending,
                )?;
            }
        }
    }
    Ok(())
}

/// `state forget`: what was dropped.
pub fn state_forgotten(
    out: &mut impl Write,
    db: &str,
    job: &str,
    albums: &[(AlbumNote, usize)],
) -> io::Result<()> {
    if albums.is_empty() {
        return writeln!(
            out,
            "{db}: job `{job}` has no album in the record; nothing to forget."
        );
    }
    for (note, n) in albums {
        writeln!(
            out,
            "Forgot {} in album \"{}\" of job `{job}` ({} on {}), whichever job of the album had \
             added {}.",
            super::count(*n, "tombstone"),
            note.name,
            note.key.album_id,
            note.key.server,
            if *n == 1 { "it" } else { "them" }
        )?;
    }
    let total: usize = albums.iter().map(|(_, n)| n).sum();
    if total > 0 {
        writeln!(
            out,
            "A person had taken these out of the album; the next sync adds them again where the job \
             still selects them."
        )?;
    }
    Ok(())
}

/// How old the last run may be, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxAge {
    /// `--max-age`, in seconds.
    Given(u64),
    /// Twice the interval of the schedule that ran it, in seconds.
    TwiceTheSchedule(u64),
    /// A single sync's run (cron, a timer): a day and two hours, so a daily run may be late.
    Unscheduled,
}

impl MaxAge {
    /// For a single sync's run, in seconds.
    pub const UNSCHEDULED: u64 = 26 * 3600;

    pub fn secs(self) -> u64 {
        match self {
            MaxAge::Given(secs) => secs,
            MaxAge::TwiceTheSchedule(interval) => interval.saturating_mul(2),
            MaxAge::Unscheduled => MaxAge::UNSCHEDULED,
        }
    }

    fn why(self) -> String {
        match self {
            MaxAge::Given(_) => "--max-age".to_string(),
            MaxAge::TwiceTheSchedule(interval) => {
                format!("twice its schedule's {}", span(interval))
            }
            MaxAge::Unscheduled => "a day and 2 h, for a run of cron or a timer".to_string(),
        }
    }
}

/// What `state health` found: for the last run of any job file, or of one it was asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health<'a> {
    /// The last run ended with exit status 0, no longer ago than its limit.
    Good {
        run: &'a Run,
        age: u64,
        max_age: MaxAge,
    },
    /// The last run failed.
    Failed { run: &'a Run, age: u64 },
    /// The last run ended too long ago.
    TooOld {
        run: &'a Run,
        age: u64,
        max_age: MaxAge,
    },
    /// The record (at `db`) holds no run, or none of `jobfile`.
    NoRun {
        db: String,
        jobfile: Option<&'a str>,
    },
    /// The record cannot be read.
    Unreadable(String),
}

impl Health<'_> {
    pub fn healthy(&self) -> bool {
        matches!(self, Health::Good { .. })
    }
}

/// `state health`: one line, `healthy: …` or `unhealthy: …`, that says which run and why.
pub fn health(out: &mut impl Write, health: &Health) -> io::Result<()> {
    let which = |run: &Run| format!("the last run ({})", run.jobfiles);
    let ended = |run: &Run, age: u64| format!("{} ago ({})", span(age), utc(run.ended));
    match health {
        Health::Good { run, age, max_age } => writeln!(
            out,
            "healthy: {} ended {} with exit status 0, {} added, {} removed; unhealthy once {} \
             old ({})",
            which(run),
            ended(run, *age),
            run.added,
            run.removed,
            span(max_age.secs()),
            max_age.why()
        ),
        Health::Failed { run, age } => writeln!(
            out,
            "unhealthy: {} failed with exit status {} ({}), {}; the sync's output says why",
            which(run),
            run.status,
            meaning(run.status),
            ended(run, *age)
        ),
        Health::TooOld { run, age, max_age } => writeln!(
            out,
            "unhealthy: {} ended {}, longer ago than {} ({}): no run has ended since",
            which(run),
            ended(run, *age),
            span(max_age.secs()),
            max_age.why()
        ),
        Health::NoRun { db, jobfile: None } => writeln!(
            out,
            "unhealthy: no run recorded yet in {db} (every sync records its run when it ends)"
        ),
        Health::NoRun {
            db,
            jobfile: Some(jobfile),
        } => writeln!(
            out,
            "unhealthy: no run of {jobfile} recorded yet in {db} (a run counts for its job files \
             as sync was given them)"
        ),
        Health::Unreadable(error) => writeln!(out, "unhealthy: cannot read the record: {error}"),
    }
}

/// What a sync's exit status says (docs/cron.md).
fn meaning(status: u8) -> &'static str {
    match status {
        1 => "something failed on a server",
        2 => "a mistake in a job file, profile or flag",
        130 | 143 => "it was stopped",
        _ => "see docs/cron.md",
    }
}

/// A time span for a person: `40 s`, `5 min`, `7 h 5 min`, `26 h`, `3 d 2 h`.
fn span(secs: u64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match (secs / 3600, minutes) {
        (0, 0) => format!("{secs} s"),
        (0, m) => format!("{m} min"),
        (h, 0) if h < 48 => format!("{h} h"),
        (h, m) if h < 48 => format!("{h} h {m} min"),
        _ if hours == 0 => format!("{days} d"),
        _ => format!("{days} d {hours} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_a_person_would_say_them() {
        assert_eq!(span(40), "40 s");
        assert_eq!(span(300), "5 min");
        assert_eq!(span(25_500), "7 h 5 min");
        assert_eq!(span(26 * 3600), "26 h");
        assert_eq!(span(2 * 86_400), "2 d");
        assert_eq!(span(3 * 86_400 + 2 * 3600 + 59), "3 d 2 h");
    }

    #[test]
    fn a_health_line_names_the_run_its_status_and_its_age() {
        let run = Run {
            jobfiles: "jobs.yaml".into(),
            started: 1_777_600_000,
            ended: 1_777_600_042,
            status: 1,
            added: 3,
            removed: 0,
            interval: Some(3600),
        };
        let line = |health: Health| {
            let mut out = Vec::new();
            super::health(&mut out, &health).unwrap();
            String::from_utf8(out).unwrap()
        };
        let failed = line(Health::Failed {
            run: &run,
            age: 300,
        });
        assert_eq!(
            failed,
            "unhealthy: the last run (jobs.yaml) failed with exit status 1 (something failed on a \
             server), 5 min ago (2026-05-01 01:47:22 UTC); the sync's output says why\n"
        );
        let old = line(Health::TooOld {
            run: &run,
            age: 3 * 3600,
            max_age: MaxAge::TwiceTheSchedule(3600),
        });
        assert!(
            old.contains("ended 3 h ago")
                && old.contains("longer ago than 2 h (twice its schedule's 1 h)"),
            "{old}"
        );
    }
}
