//! The reports of `preview` and `sync`: each job in full (text), a line per job (`--quiet`), and
//! JSON; jobs that stopped before they changed anything; the remarks a person should act on.

use std::io::{self, Write};

use super::{count, explain_refusal};

use crate::job::report::{AccountReport, AlbumRow, AlbumSummary, JobReport, RemovalRow};
use crate::job::since::RunKind;

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
    writeln!(out, "  read: {}", reading(&report.run))?;
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
            if row.vanished > 0 {
                remarks.push(format!(
                    "{name}, album \"{album}\": {} deleted from {name}'s library since the \
                     searches found {}, so not added; the next run reads everything",
                    count(row.vanished, "photo"),
                    if row.vanished == 1 { "it" } else { "them" }
                ));
            }
        }
    }
    if let Some(reason) = report.safe.as_ref().and_then(|s| s.fail_closed.as_ref()) {
        remarks.push(format!(
            "safe album failed closed: {reason}; nothing {} added to it in this run. It fills at \
             the first run that knows every account's safe exclusions: fix the account above, or \
             run `immich-smart-albums sync` again when a search failed",
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
        for (reason, n) in &album.removal_refused {
            remarks.push(format!(
                "album \"{}\": {} refused ({reason})",
                album.name,
                count(*n, "removal")
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
                "  album \"{name}\": {} would be removed, but {} (see below) ({}); the tool added them and the job no longer selects them",
                staying.len(),
                if staying.len() == 1 { "stays" } else { "stay" },
                reasons(&staying)
            )?;
        }
    }
    if album.no_longer_selected > 0 {
        writeln!(
            out,
            "  album \"{name}\": {} added by the tool {} (prune is off)",
            album.no_longer_selected,
            no_longer_selected_stay(album.no_longer_selected)
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

/// What becomes of assets the tool added that the job no longer selects, without prune: the verbs of
/// one or of several.
pub(super) fn no_longer_selected_stay(n: usize) -> &'static str {
    if n == 1 {
        "is no longer selected and stays"
    } else {
        "are no longer selected and stay"
    }
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
        "; {}, {failed} failed; {} run{}",
        count(report.accounts.len(), "account"),
        match report.run {
            RunKind::Full { .. } => "full",
            RunKind::Incremental { .. } => "incremental",
        },
        if report.failed() { "; see errors" } else { "" }
    ));
    writeln!(out, "{text}")
}

/// What a run read, in words: everything and why, or what changed since when.
pub fn reading(run: &RunKind) -> String {
    match run {
        RunKind::Full { why } => format!("everything (a full run: {})", why.describe()),
        RunKind::Incremental { since, full_due } => format!(
            "what changed since {} (an incremental run; the next full run is due by {}, or run \
             `sync --full`)",
            local_time(since / 1000),
            local_time(*full_due)
        ),
    }
}

/// A time of the tool's or the server's clock (seconds) in the local time zone.
fn local_time(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        })
        .unwrap_or_else(|_| secs.to_string())
}

/// The reports of a run as one JSON document (`--format json`), described in docs/jobs.md.
pub fn jobs_json(out: &mut impl Write, reports: &[JobReport]) -> io::Result<()> {
    let document = serde_json::json!({ "version": 1, "jobs": reports });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::job::report::RemovalRow;
    use crate::job::since::FullWhy;

    fn album(name: &str) -> AlbumSummary {
        AlbumSummary {
            name: name.into(),
            id: Some("a1".into()),
            owner: "alice".into(),
            prune: true,
            held_by_tool: 3,
            ..AlbumSummary::default()
        }
    }

    fn report(accounts: &[&str]) -> JobReport {
        JobReport {
            job: "kids".into(),
            applied: true,
            include_conditions: vec!["people Mia".into()],
            exclude_conditions: Vec::new(),
            description: None,
            album: album("Kids"),
            safe: None,
            accounts: accounts
                .iter()
                .map(|name| AccountReport {
                    account: name.to_string(),
                    ..AccountReport::default()
                })
                .collect(),
            run: RunKind::Full {
                why: FullWhy::First,
            },
        }
    }

    fn text(write: impl Fn(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_quiet_line_counts_one_account_and_several() {
        let one = text(|out| job_line(out, &report(&["alice"])));
        assert!(one.ends_with("; 1 account, 0 failed; full run\n"), "{one}");
        let mut two = report(&["alice", "bob"]);
        two.run = RunKind::Incremental {
            since: 0,
            full_due: 0,
        };
        let two = text(|out| job_line(out, &two));
        assert!(
            two.ends_with("; 2 accounts, 0 failed; incremental run\n"),
            "{two}"
        );
    }

    #[test]
    fn counts_of_one_read_right_in_the_report() {
        let removal = |id: &str| RemovalRow {
            id: id.into(),
            account: "alice".into(),
            reason: crate::job::decide::Reason::Trashed,
            link: String::new(),
            forced: false,
        };
        for (n, refused, stay, stale) in [
            (
                1,
                "1 removal refused (no_permission)",
                "1 would be removed, but stays (see below)",
                "1 added by the tool is no longer selected and stays (prune is off)",
            ),
            (
                2,
                "2 removals refused (no_permission)",
                "2 would be removed, but stay (see below)",
                "2 added by the tool are no longer selected and stay (prune is off)",
            ),
        ] {
            let mut r = report(&["alice"]);
            r.album.removal_refused = BTreeMap::from([("no_permission".to_string(), n)]);
            r.album.to_remove = (0..n).map(|i| removal(&i.to_string())).collect();
            r.album.removals_blocked = Some("the breaker stopped them".into());
            let mut stale_album = album("Rome");
            stale_album.prune = false;
            stale_album.no_longer_selected = n;
            r.safe = Some(stale_album);
            let report = text(|out| job(out, &r, false));
            for expected in [refused, stay, stale] {
                assert!(report.contains(expected), "{expected}:\n{report}");
            }
        }
    }
}
