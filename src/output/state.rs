//! What `state show` and `state forget` print: the record's albums with their counts, the last runs,
//! and what was forgotten.

use std::io::{self, Write};

use super::row;

use crate::state::{AlbumNote, Counts};

/// The last runs of scheduled syncs (`sync --every`, `--schedule`), newest first.
pub fn last_runs(out: &mut impl Write, runs: &[crate::state::Run]) -> io::Result<()> {
    if runs.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Last scheduled runs:")?;
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
