//! Everything the tool prints to stdout: previews, add results, demo headings, simulator keys. No other
//! module writes to stdout; warnings and traces go to stderr through `tracing` (see `logging.rs`).
//! Each function writes to any `io::Write`, so tests read exactly what a user sees.

use std::io::{self, Write};

use crate::album::AddOutcome;
use crate::immich::Visibility;
use crate::job::AccountResult;
use crate::job::report::{AccountReport, AlbumRow, AlbumSummary, JobReport, RemovalRow};
use crate::state::{AlbumNote, Counts};

/// Standard output, locked, for one report.
pub fn stdout() -> io::StdoutLock<'static> {
    io::stdout().lock()
}

/// What a drop-in run found, before anything is added.
pub struct Selected<'a> {
    pub result: &'a AccountResult,
    /// How many assets `--max-assets` kept, when it cut the result.
    pub limited_to: Option<usize>,
    /// Links to the selected assets.
    pub links: Vec<String>,
}

fn row(out: &mut impl Write, label: &str, count: usize) -> io::Result<()> {
    writeln!(out, "  {label:<52} {count:>7}")
}

fn counts(out: &mut impl Write, selected: &Selected<'_>) -> io::Result<()> {
    let result = selected.result;
    for search in &result.includes {
        row(out, &format!("include {}", search.label), search.count)?;
    }
    for search in &result.excludes {
        row(out, &format!("exclude {}", search.label), search.count)?;
    }
    row(out, "found by every include", result.matched)?;
    if !result.excludes.is_empty() {
        row(out, "left after excludes", result.after_excludes)?;
    }
    if result.after_local != result.after_excludes {
        row(out, "left after local filters", result.after_local)?;
    }
    if let Some(limit) = selected.limited_to {
        row(out, "kept by --max-assets", limit)?;
    }
    let count = |v: Visibility| result.assets.iter().filter(|h| h.visibility == v).count();
    let (archived, hidden) = (count(Visibility::Archive), count(Visibility::Hidden));
    if archived + hidden > 0 {
        writeln!(
            out,
            "  Of these, {archived} are archived and {hidden} hidden (the motion parts of live \
             photos, or hidden by hand): Immich's search returns them unless a filter sets \
             \"visibility\". Add \"visibility\": \"timeline\" to an include metadata filter to \
             leave them out."
        )?;
    }
    Ok(())
}

/// A preview: every selected asset as a link, sorted, then the counts.
pub fn preview(out: &mut impl Write, server: &str, selected: &Selected<'_>) -> io::Result<()> {
    let mut links = selected.links.clone();
    links.sort();
    for link in &links {
        writeln!(out, "{link}")?;
    }
    writeln!(out)?;
    writeln!(out, "Summary for {server}:")?;
    counts(out, selected)?;
    writeln!(
        out,
        "{} assets match. This was a preview: nothing was changed (give --album to add them).",
        links.len()
    )
}

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

/// An account on another server: what it copies to the album's server.
fn copy_line(
    out: &mut impl Write,
    account: &str,
    copy: &crate::job::report::CopyRow,
    applied: bool,
) -> io::Result<()> {
    let done = if applied {
        format!(", copied {}", copy.copied)
    } else {
        String::new()
    };
    writeln!(
        out,
        "  {account}: to copy from {} to {}: {} ({:.1} MB); already there: {}{done}",
        copy.from,
        copy.to,
        copy.to_copy,
        copy.bytes as f64 / 1e6,
        copy.held
    )?;
    if copy.in_trash > 0 {
        writeln!(
            out,
            "    {} of these files {} in {}'s trash on the album's server: neither copied nor added \
             until someone restores them in Immich or the trash is emptied",
            copy.in_trash,
            if copy.in_trash == 1 { "is" } else { "are" },
            copy.to
        )?;
    }
    if let Some(error) = &copy.error {
        writeln!(out, "    copies stopped: {error}")?;
    }
    Ok(())
}

/// A drop-in run whose flags hold no include search: nothing to select.
pub fn nothing_to_select(out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "No include search given: exclusions and local filters only narrow what an include \
         (--include-metadata-*, --include-smart-*, --include-person-names-*) finds, so nothing is \
         selected. Nothing was changed."
    )
}

/// The account a drop-in key belongs to, shown when no filter flag is given.
pub fn account_info(
    out: &mut impl Write,
    server: &str,
    info: &crate::cmd::dropin::info::AccountInfo,
) -> io::Result<()> {
    let user = &info.user;
    writeln!(
        out,
        "Key of {} <{}> (user {}) on {server}",
        user.name, user.email, user.id
    )?;
    writeln!(out)?;
    writeln!(out, "Albums ({}):", info.albums.len())?;
    for album in &info.albums {
        let owner = album.owner().map_or("", |o| o.name.as_str());
        writeln!(
            out,
            "  {:<36}  {:>7} assets  {:<40}  owner {owner}",
            album.id, album.asset_count, album.album_name
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Users ({}):", info.users.len())?;
    for u in &info.users {
        writeln!(out, "  {:<36}  {:<30}  {}", u.id, u.name, u.email)?;
    }
    writeln!(out)?;
    writeln!(out, "People with a name ({}):", info.people.len())?;
    for person in &info.people {
        let hidden = if person.is_hidden { "  (hidden)" } else { "" };
        writeln!(out, "  {:<36}  {}{hidden}", person.id, person.name)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Nothing was searched or changed: give a filter flag to preview, and --album to add (see \
         --help)."
    )
}

/// The album an add went to.
pub struct AlbumTarget<'a> {
    pub name: &'a str,
    pub id: &'a str,
}

/// What an add did: the counts of the selection, then already there, added and refused (with why).
pub fn added(
    out: &mut impl Write,
    server: &str,
    album: &AlbumTarget<'_>,
    selected: &Selected<'_>,
    already_by_id: usize,
    already_by_checksum: usize,
    outcome: &AddOutcome,
) -> io::Result<()> {
    writeln!(out, "Album \"{}\" ({}) on {server}:", album.name, album.id)?;
    counts(out, selected)?;
    row(
        out,
        "already in the album",
        already_by_id + outcome.already.len(),
    )?;
    if already_by_checksum > 0 {
        row(
            out,
            "same file already in the album (skipped)",
            already_by_checksum,
        )?;
    }
    // A `duplicate` answer to a resent request is, in all likelihood, the lost answer's own add.
    row(
        out,
        "added",
        outcome.added.len() + outcome.already_after_resend.len(),
    )?;
    for (reason, ids) in &outcome.refused {
        row(
            out,
            &format!("refused: {reason} ({})", explain_refusal(reason)),
            ids.len(),
        )?;
    }
    match (&outcome.failed, outcome.refused_count()) {
        (Some(_), _) => writeln!(out, "Stopped: a request failed (see the error below)."),
        (None, 0) => writeln!(out, "Done."),
        (None, n) => writeln!(out, "Done, but {n} assets were refused."),
    }
}

fn explain_refusal(reason: &str) -> &'static str {
    match reason {
        "no_permission" => "the account neither owns them nor is their partner",
        "not_found" => "no such asset",
        "validation" => "the server rejected the ids",
        _ => "see the server log",
    }
}

/// A heading between the steps of the demo.
pub fn heading(out: &mut impl Write, text: &str) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "== {text}")?;
    writeln!(out)
}

/// A generated document as it is: a completion script, the man page, an HTML report without --output.
pub fn generated(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

/// A line of explanation, for the demo and the simulator.
pub fn line(out: &mut impl Write, text: &str) -> io::Result<()> {
    writeln!(out, "{text}")
}

/// The per-account table of one job: a row per step, a column per account, and totals.
pub fn job(out: &mut impl Write, report: &JobReport, list: bool) -> io::Result<()> {
    let mode = if report.applied {
        "sync"
    } else {
        "preview: nothing was changed"
    };
    writeln!(out, "Job `{}` ({mode})", report.job)?;
    writeln!(
        out,
        "  album \"{}\": {}",
        report.album.name,
        album_state(&report.album, report.applied)
    )?;
    if let Some(safe) = &report.safe {
        writeln!(
            out,
            "  safe album \"{}\": {}",
            safe.name,
            album_state(safe, report.applied)
        )?;
    }
    for (i, label) in report.include_conditions.iter().enumerate() {
        writeln!(out, "  include {}: {label}", i + 1)?;
    }
    for (i, label) in report.exclude_conditions.iter().enumerate() {
        writeln!(out, "  exclude {}: {label}", i + 1)?;
    }
    let servers: Vec<String> = report
        .accounts
        .iter()
        .map(|a| match &a.immich_version {
            Some(version) => format!("{} (Immich {version})", a.account),
            None => format!("{} (not reached)", a.account),
        })
        .collect();
    writeln!(out, "  accounts: {}", servers.join(", "))?;
    writeln!(out)?;

    let accounts = &report.accounts;
    let width = accounts
        .iter()
        .map(|a| a.account.len())
        .max()
        .unwrap_or(0)
        .max(7);
    let label_width = 40;
    write!(out, "  {:<label_width$}", "")?;
    for account in accounts {
        write!(out, " {:>width$}", account.account)?;
    }
    writeln!(out, " {:>width$}", "total")?;
    let line = |out: &mut dyn Write,
                label: &str,
                value: &dyn Fn(&AccountReport) -> Option<usize>|
     -> io::Result<()> {
        write!(out, "  {label:<label_width$}")?;
        let mut total = 0;
        for account in accounts {
            if account.error.is_some() {
                write!(out, " {:>width$}", "failed")?;
                continue;
            }
            match value(account) {
                Some(n) => {
                    total += n;
                    write!(out, " {n:>width$}")?;
                }
                None => write!(out, " {:>width$}", "-")?,
            }
        }
        writeln!(out, " {total:>width$}")
    };
    for i in 0..report.include_conditions.len() {
        line(out, &format!("found by include {}", i + 1), &|a| {
            a.found.get(i).copied()
        })?;
    }
    line(out, "found by every include", &|a| Some(a.matched))?;
    if !report.exclude_conditions.is_empty() {
        line(out, "left after excludes", &|a| Some(a.after_excludes))?;
    }
    line(out, "left after local filters", &|a| Some(a.after_local))?;
    line(out, "dropped as duplicates", &|a| Some(a.duplicates))?;
    writeln!(out, "  album \"{}\"", report.album.name)?;
    line(out, "  already in the album", &|a| Some(a.album.already))?;
    line(out, "  to add", &|a| Some(a.album.to_add))?;
    if accounts.iter().any(|a| a.album.not_readded > 0) {
        line(out, "  removed by someone, not added again", &|a| {
            Some(a.album.not_readded)
        })?;
    }
    if report.applied {
        line(out, "  added", &|a| Some(a.album.added))?;
    }
    if let Some(safe) = &report.safe {
        writeln!(out, "  safe album \"{}\"", safe.name)?;
        let safe_row = |a: &AccountReport, f: fn(&AlbumRow) -> usize| a.safe.as_ref().map(f);
        line(out, "  removed by safe exclusions", &|a| {
            safe_row(a, |r| r.excluded)
        })?;
        line(out, "  already in the album", &|a| {
            safe_row(a, |r| r.already)
        })?;
        line(out, "  to add", &|a| safe_row(a, |r| r.to_add))?;
        if accounts
            .iter()
            .any(|a| a.safe.as_ref().is_some_and(|r| r.not_readded > 0))
        {
            line(out, "  removed by someone, not added again", &|a| {
                safe_row(a, |r| r.not_readded)
            })?;
        }
        if report.applied {
            line(out, "  added", &|a| safe_row(a, |r| r.added))?;
        }
    }
    writeln!(out)?;
    for account in accounts {
        if let Some(copy) = &account.copy {
            copy_line(out, &account.account, copy, report.applied)?;
        }
    }
    for album in std::iter::once(&report.album).chain(&report.safe) {
        album_changes(out, album, report.applied)?;
    }

    let remarks = remarks(report);
    if !remarks.is_empty() {
        for remark in remarks {
            writeln!(out, "  ! {remark}")?;
        }
    }
    if list {
        for account in accounts {
            for (album, row) in album_rows(report, account) {
                if row.links.is_empty() {
                    continue;
                }
                writeln!(out)?;
                writeln!(out, "  {} to add to \"{album}\":", account.account)?;
                for link in &row.links {
                    writeln!(out, "    {link}")?;
                }
            }
        }
        for album in std::iter::once(&report.album).chain(&report.safe) {
            if album.to_remove.is_empty() {
                continue;
            }
            writeln!(out)?;
            writeln!(out, "  to remove from \"{}\":", album.name)?;
            for removal in &album.to_remove {
                writeln!(
                    out,
                    "    {} ({}, from {})",
                    removal.link,
                    removal.reason.describe(),
                    removal.account
                )?;
            }
        }
    }
    writeln!(out)
}

/// What went wrong in a job, or deserves a look, one line each: the `!` lines of its report, and what
/// `sync --quiet` sends to stderr for a job that failed.
pub fn remarks(report: &JobReport) -> Vec<String> {
    let mut remarks: Vec<String> = Vec::new();
    for account in &report.accounts {
        let name = &account.account;
        if let Some(error) = &account.error {
            remarks.push(format!("{name} failed: {error}"));
        }
        remarks.extend(account.notes.iter().map(|n| format!("{name} {n}")));
        for (album, row) in album_rows(report, account) {
            if let Some(error) = &row.error {
                remarks.push(format!("{name}, album \"{album}\": {error}"));
            }
            for (reason, count) in &row.refused {
                remarks.push(format!(
                    "{name}, album \"{album}\": {count} refused ({reason}: {})",
                    explain_refusal(reason)
                ));
            }
        }
    }
    if let Some(reason) = report.safe.as_ref().and_then(|s| s.fail_closed.as_ref()) {
        remarks.push(format!(
            "safe album failed closed: {reason}; nothing {} added to it in this run",
            if report.applied { "was" } else { "would be" }
        ));
    }
    for album in std::iter::once(&report.album).chain(&report.safe) {
        if let Some(why) = &album.listing_incomplete {
            remarks.push(format!("album \"{}\": {why}", album.name));
        }
        if let Some(why) = &album.removals_blocked
            && album.listing_incomplete.as_ref() != Some(why)
        {
            remarks.push(format!("album \"{}\": {why}", album.name));
        }
        for account in &album.members_taken_out {
            remarks.push(format!(
                "album \"{}\": a person took {account} out of it after the tool had shared it, so \
                 the tool does not share it with {account} again; share it in Immich, or take \
                 {account} out of the job's accounts",
                album.name
            ));
        }
        if let Some(error) = &album.error {
            remarks.push(format!("album \"{}\": {error}", album.name));
        }
        for (reason, count) in &album.removal_refused {
            remarks.push(format!(
                "album \"{}\": {count} removals refused ({reason})",
                album.name
            ));
        }
    }
    remarks
}

/// What a job does to an album besides adding: removals with their reasons, what stays and why,
/// adoption. Nothing when there is nothing to say.
fn album_changes(out: &mut impl Write, album: &AlbumSummary, applied: bool) -> io::Result<()> {
    let name = &album.name;
    if !album.looks.is_empty() {
        let verb = if applied { "set" } else { "to set" };
        writeln!(
            out,
            "  album \"{name}\": {verb}: {}",
            album.looks.join(", ")
        )?;
    }
    if let Some(link) = &album.shared_link {
        writeln!(
            out,
            "  album \"{name}\": shared link {} (expires {}; {})",
            link.url.as_deref().unwrap_or("(made by the next sync)"),
            link.expires.as_deref().unwrap_or("never"),
            link.action
        )?;
    }
    if !album.shared_with.is_empty() {
        writeln!(
            out,
            "  album \"{name}\": {} {} as editor (made by the tool, not a member)",
            if applied {
                "shared with"
            } else {
                "to share with"
            },
            album.shared_with.join(", ")
        )?;
    }
    if !album.to_remove.is_empty() {
        let blocked = album.removals_blocked.is_some();
        let (leaving, staying): (Vec<&RemovalRow>, Vec<&RemovalRow>) =
            album.to_remove.iter().partition(|r| !blocked || r.forced);
        let reasons = |rows: &[&RemovalRow]| -> String {
            let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
            for removal in rows {
                *reasons.entry(removal.reason.describe()).or_default() += 1;
            }
            let reasons: Vec<String> = reasons
                .iter()
                .map(|(reason, n)| format!("{n} {reason}"))
                .collect();
            reasons.join(", ")
        };
        if !leaving.is_empty() {
            writeln!(
                out,
                "  album \"{name}\": {} {} ({}); the tool added them and the job no longer selects them{}",
                if applied {
                    album.removed
                } else {
                    leaving.len()
                },
                if applied { "removed" } else { "to remove" },
                reasons(&leaving),
                if blocked {
                    "; its exclusions flag them, so they leave although other removals wait"
                } else {
                    ""
                }
            )?;
        }
        if !staying.is_empty() {
            writeln!(
                out,
                "  album \"{name}\": {} would be removed, but stay (see below) ({}); the tool added them and the job no longer selects them",
                staying.len(),
                reasons(&staying)
            )?;
        }
    }
    if album.no_longer_selected > 0 {
        writeln!(
            out,
            "  album \"{name}\": {} added by the tool are no longer selected and stay (prune is off)",
            album.no_longer_selected
        )?;
    }
    if album.left_flagged > 0 {
        writeln!(
            out,
            "  album \"{name}\": {} flagged by its exclusions, added by hand, left in place",
            album.left_flagged
        )?;
    }
    if album.adopted > 0 {
        writeln!(
            out,
            "  album \"{name}\": adopted {}: from now on they count as added by the tool",
            album.adopted
        )?;
    } else if album.adoptable > 0 {
        writeln!(
            out,
            "  album \"{name}\": {} in the album and selected, not recorded as the tool's (sync --adopt \
             takes them over, so that prune may remove them later)",
            album.adoptable
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
            "Forgot {n} tombstone{} in album \"{}\" of job `{job}` ({} on {}), whichever job of \
             the album had added them.",
            if *n == 1 { "" } else { "s" },
            note.name,
            note.key.album_id,
            note.key.server
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

/// An account's rows with the names of their albums: the main album, then the safe one if any.
fn album_rows<'a>(
    report: &'a JobReport,
    account: &'a AccountReport,
) -> impl Iterator<Item = (&'a str, &'a AlbumRow)> {
    let safe = report.safe.as_ref().zip(account.safe.as_ref());
    std::iter::once((report.album.name.as_str(), &account.album))
        .chain(safe.map(|(summary, row)| (summary.name.as_str(), row)))
}

fn album_state(album: &AlbumSummary, applied: bool) -> String {
    match (&album.id, album.created, applied) {
        (Some(id), true, _) => format!("created by {} ({id})", album.owner),
        (Some(id), false, _) => format!("exists ({id}), owned or found through {}", album.owner),
        (None, _, false) => format!("does not exist yet; a sync creates it as {}", album.owner),
        (None, _, true) => "was not created".to_string(),
    }
}

/// One line for a job, for `sync --quiet`: what was added, and whether anything failed.
pub fn job_line(out: &mut impl Write, report: &JobReport) -> io::Result<()> {
    let added = |row: fn(&AccountReport) -> Option<&AlbumRow>| -> usize {
        report
            .accounts
            .iter()
            .filter_map(row)
            .map(|r| r.added)
            .sum()
    };
    let failed = report.accounts.iter().filter(|a| a.error.is_some()).count();
    let removed = |album: &AlbumSummary| -> String {
        match (album.removed, &album.removals_blocked) {
            (n, Some(_)) => format!(", removed {n} of {} (stopped)", album.to_remove.len()),
            (0, None) => String::new(),
            (n, None) => format!(", removed {n}"),
        }
    };
    let mut text = format!(
        "{}: added {} to \"{}\"{}",
        report.job,
        added(|a| Some(&a.album)),
        report.album.name,
        removed(&report.album)
    );
    if let Some(safe) = &report.safe {
        text.push_str(&format!(
            ", {} to \"{}\"{}",
            added(|a| a.safe.as_ref()),
            safe.name,
            removed(safe)
        ));
        if safe.fail_closed.is_some() {
            text.push_str(" (failed closed)");
        }
    }
    text.push_str(&format!(
        "; {} account{}, {failed} failed{}",
        report.accounts.len(),
        if report.accounts.len() == 1 { "" } else { "s" },
        if report.failed() { "; see errors" } else { "" }
    ));
    writeln!(out, "{text}")
}

/// The reports of a run as one JSON document (`--format json`), described in docs/jobs.md.
pub fn jobs_json(out: &mut impl Write, reports: &[JobReport]) -> io::Result<()> {
    let document = serde_json::json!({ "version": 1, "jobs": reports });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// What `profiles add` found out about a key before storing it.
pub struct KeyCheck<'a> {
    pub account: &'a str,
    pub server: &'a str,
    pub version: String,
    /// `Name <email>` of the key's user.
    pub user: String,
    pub key_name: &'a str,
    pub missing: &'a [&'a str],
}

/// The user a key belongs to and the permissions it lacks (never the key).
pub fn key_check(out: &mut impl Write, check: &KeyCheck<'_>) -> io::Result<()> {
    writeln!(
        out,
        "Account {} on {} (Immich {}): the key \"{}\" belongs to {}",
        check.account, check.server, check.version, check.key_name, check.user
    )?;
    if check.missing.is_empty() {
        writeln!(out, "  permissions: everything jobs need")
    } else {
        writeln!(
            out,
            "  missing permissions: {} (jobs that need them will fail)",
            check.missing.join(", ")
        )
    }
}

/// `profiles add` is done: where the key went and which file holds the account.
pub fn account_added(
    out: &mut impl Write,
    account: &str,
    profile: &str,
    profile_path: &str,
    key_place: &str,
    replaced: bool,
) -> io::Result<()> {
    writeln!(out, "Stored the key in {key_place}.")?;
    let verb = if replaced { "Updated" } else { "Added" };
    writeln!(
        out,
        "{verb} account {account} in profile {profile} ({profile_path})."
    )
}

/// One line of `profiles list`: a profile and its accounts, or why its file could not be read.
pub struct ProfileListing {
    pub name: String,
    pub accounts: Result<Vec<String>, String>,
}

/// `profiles list`.
pub fn profile_list(
    out: &mut impl Write,
    dir: &str,
    profiles: &[ProfileListing],
) -> io::Result<()> {
    if profiles.is_empty() {
        writeln!(out, "No profiles in {dir}.")?;
        return writeln!(
            out,
            "Add one with: immich-smart-albums profiles add NAME ACCOUNT --server URL"
        );
    }
    writeln!(out, "Profiles in {dir}:")?;
    let width = profiles.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for profile in profiles {
        match &profile.accounts {
            Ok(accounts) if accounts.is_empty() => {
                writeln!(out, "  {:<width$}  (no accounts)", profile.name)?
            }
            Ok(accounts) => writeln!(
                out,
                "  {:<width$}  {} account{}: {}",
                profile.name,
                accounts.len(),
                if accounts.len() == 1 { "" } else { "s" },
                accounts.join(", ")
            )?,
            Err(problem) => writeln!(out, "  {:<width$}  unreadable: {problem}", profile.name)?,
        }
    }
    Ok(())
}

/// One account in `profiles show`.
pub struct AccountShown {
    pub name: String,
    pub server: String,
    pub key_source: String,
    /// `Ok(())` when the key is found, else why not.
    pub key: Result<(), String>,
}

/// `profiles show`: the settings the profile sets, then each account, its key source and whether the
/// key is found (never the key).
pub fn profile_shown(
    out: &mut impl Write,
    name: &str,
    path: &str,
    settings: &[(&str, String)],
    accounts: &[AccountShown],
) -> io::Result<()> {
    writeln!(out, "Profile {name} ({path})")?;
    if settings.is_empty() {
        writeln!(
            out,
            "  settings: none (defaults, environment and flags apply)"
        )?;
    } else {
        let text: Vec<String> = settings.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        writeln!(out, "  settings: {}", text.join(", "))?;
    }
    if accounts.is_empty() {
        writeln!(out, "  no accounts")?;
    }
    for account in accounts {
        writeln!(out, "  account {}", account.name)?;
        writeln!(out, "    server: {}", account.server)?;
        writeln!(out, "    key source: {}", account.key_source)?;
        match &account.key {
            Ok(()) => writeln!(out, "    key: found")?,
            Err(why) => writeln!(out, "    key: NOT FOUND: {why}")?,
        }
    }
    Ok(())
}

/// The outcome of `profiles test` for one account.
pub struct AccountTested {
    pub name: String,
    pub server: String,
    /// Whether the server was asked at all (not when the key or URL was missing).
    pub contacted: bool,
    /// The server version, when it answered.
    pub version: Option<String>,
    /// `Name <email>` of the key's user, when the key was accepted.
    pub user: Option<String>,
    /// Needed permissions the key lacks, when they could be read.
    pub missing: Option<Vec<String>>,
    /// What failed, if anything.
    pub error: Option<String>,
}

impl AccountTested {
    /// Passed: the key was accepted and has every needed permission.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.missing.as_ref().is_some_and(Vec::is_empty)
    }
}

/// `profiles test`: a block per account, then how many failed.
pub fn profile_tested(
    out: &mut impl Write,
    name: &str,
    path: &str,
    accounts: &[AccountTested],
) -> io::Result<()> {
    writeln!(out, "Profile {name} ({path})")?;
    for account in accounts {
        let verdict = if account.passed() { "ok" } else { "FAILED" };
        writeln!(out, "  account {}: {verdict}", account.name)?;
        writeln!(out, "    server: {}", account.server)?;
        match (&account.version, account.contacted) {
            (Some(version), _) => writeln!(out, "    reachable: yes, Immich {version}")?,
            (None, true) => writeln!(out, "    reachable: no")?,
            (None, false) => writeln!(out, "    reachable: not tried")?,
        }
        if let Some(user) = &account.user {
            writeln!(out, "    user: {user}")?;
        }
        match account.missing.as_deref() {
            Some([]) => writeln!(out, "    permissions: everything jobs need")?,
            Some(missing) => writeln!(out, "    missing permissions: {}", missing.join(", "))?,
            None => {}
        }
        if let Some(error) = &account.error {
            writeln!(out, "    error: {error}")?;
        }
    }
    let failed = accounts.iter().filter(|a| !a.passed()).count();
    if failed == 0 {
        writeln!(out, "All {} accounts passed.", accounts.len())
    } else {
        writeln!(out, "{failed} of {} accounts failed.", accounts.len())
    }
}

/// `profiles remove`: what was removed, one line each.
pub fn removed(out: &mut impl Write, lines: &[String]) -> io::Result<()> {
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::SearchCount;

    #[test]
    fn a_preview_lists_sorted_links_then_counts() {
        let result = AccountResult {
            includes: vec![SearchCount {
                label: "metadata a.json".into(),
                count: 3,
            }],
            matched: 3,
            after_excludes: 3,
            after_local: 2,
            ..AccountResult::default()
        };
        let selected = Selected {
            result: &result,
            limited_to: None,
            links: vec!["https://x/photos/b".into(), "https://x/photos/a".into()],
        };
        let mut out = Vec::new();
        preview(&mut out, "https://x", &selected).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("https://x/photos/a\nhttps://x/photos/b\n"),
            "{text}"
        );
        assert!(text.contains("include metadata a.json"), "{text}");
        assert!(text.contains("left after local filters"), "{text}");
        assert!(text.contains("2 assets match"), "{text}");
    }
}

/// A job that stopped before it changed anything (an album name that matches two albums, a person no
/// account knows, its album owner failing), in the place of its report. Its error goes to stderr.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailedJob {
    pub job: String,
    /// The job file it belongs to.
    pub file: String,
    pub error: String,
}

/// A failed job in the per-account reports: one line where its table would be.
pub fn job_failed(out: &mut impl Write, failed: &FailedJob) -> io::Result<()> {
    writeln!(
        out,
        "Job `{}` failed: nothing was changed for it (the error is on stderr)",
        failed.job
    )?;
    writeln!(out)
}

/// A failed job for `sync --quiet`: its one line, like [`job_line`]'s.
pub fn job_failed_line(out: &mut impl Write, failed: &FailedJob) -> io::Result<()> {
    writeln!(out, "{}: failed, nothing changed; see errors", failed.job)
}

/// The reports of a run and the jobs that failed, as one JSON document: [`jobs_json`]'s, with
/// `failed_jobs` (each job, its file and its error) when there are any.
pub fn jobs_json_with_failures(
    out: &mut impl Write,
    reports: &[JobReport],
    failed: &[FailedJob],
) -> io::Result<()> {
    if failed.is_empty() {
        return jobs_json(out, reports);
    }
    let document = serde_json::json!({ "version": 1, "jobs": reports, "failed_jobs": failed });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
