//! What the Python-compatible command line prints: a preview's links and counts, the add's result per
//! album, and who a key belongs to.

use std::io::{self, Write};

use super::{explain_refusal, row};

use crate::album::AddOutcome;
use crate::immich::{Album, Person, User, Visibility};
use crate::job::AccountResult;

/// What an account looks like, for [`account_info`].
#[derive(Debug)]
pub struct AccountInfo {
    pub user: User,
    /// Each album once, by name.
    pub albums: Vec<Album>,
    /// The server's users, by name.
    pub users: Vec<User>,
    /// People with a name, by name.
    pub people: Vec<Person>,
}

/// What a drop-in run found, before anything is added.
pub struct Selected<'a> {
    pub result: &'a AccountResult,
    /// How many assets `--max-assets` kept, when it cut the result.
    pub limited_to: Option<usize>,
    /// Links to the selected assets.
    pub links: Vec<String>,
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
            "  Of these, {archived} {} archived and {hidden} hidden (the motion parts of live \
             photos, or hidden by hand): Immich's search returns them unless a filter sets \
             \"visibility\". Add \"visibility\": \"timeline\" to an include metadata filter to \
             leave them out.",
            if archived == 1 { "is" } else { "are" }
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
        "{} {}. This was a preview: nothing was changed (give --album to add {}).",
        super::count(links.len(), "asset"),
        if links.len() == 1 { "matches" } else { "match" },
        if links.len() == 1 { "it" } else { "them" }
    )
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
pub fn account_info(out: &mut impl Write, server: &str, info: &AccountInfo) -> io::Result<()> {
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
            "  {:<36}  {:>7} {:<6}  {:<40}  owner {owner}",
            album.id,
            album.asset_count,
            if album.asset_count == 1 {
                "asset"
            } else {
                "assets"
            },
            album.album_name
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
        (None, n) => writeln!(
            out,
            "Done, but {} {} refused.",
            super::count(n, "asset"),
            if n == 1 { "was" } else { "were" }
        ),
    }
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

        let one = Selected {
            links: vec!["https://x/photos/a".into()],
            ..selected
        };
        let mut out = Vec::new();
        preview(&mut out, "https://x", &one).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "1 asset matches. This was a preview: nothing was changed (give --album to add it)."
            ),
            "{text}"
        );
    }
}
