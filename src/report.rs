//! Everything the tool prints to stdout: previews, add results, demo headings, simulator keys. No other
//! module writes to stdout; warnings and traces go to stderr through `tracing` (see `logging.rs`).
//! Each function writes to any `io::Write`, so tests read exactly what a user sees.

use std::io::{self, Write};

use crate::album::AddOutcome;
use crate::job::AccountResult;

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
    row(out, "already in the album", already_by_id + outcome.already)?;
    if already_by_checksum > 0 {
        row(
            out,
            "same file already in the album (skipped)",
            already_by_checksum,
        )?;
    }
    row(out, "added", outcome.added)?;
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

/// A line of explanation, for the demo and the simulator.
pub fn line(out: &mut impl Write, text: &str) -> io::Result<()> {
    writeln!(out, "{text}")
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
