//! The HTML preview report (`preview --format html --output FILE`): one self-contained file that shows,
//! per job and per account, the thumbnails of what a sync would add to the album and to the safe album,
//! what the safe album leaves out, which duplicates were dropped and which copy was kept, and the counts
//! of the text report. [`fetch`] gets the thumbnails with each account's own client (concurrently,
//! bounded by the account's server limiter) and keeps them as data URIs; [`render`] turns the reports
//! and those images into the page, a pure function. The page loads nothing: a Content-Security-Policy
//! allows only inline styles and `data:` images, and its only http(s) URLs are the links to the assets on
//! their servers. No key is in it: the clients keep theirs.
//!
//! The page is written with maud's `html!`, which escapes every interpolated value, in text and in
//! attributes alike: nothing a server, a job file or a person named can become markup. The only
//! unescaped text is this module's own fixed literals, through `raw_static`.

use std::collections::HashMap;

use base64::Engine as _;
use futures::StreamExt;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::job::Account;
use crate::job::report::{AccountReport, AlbumRow, AlbumSummary, JobReport};

/// The policy the page declares for itself.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// Thumbnails shown per section by default; the rest are counted as "and N more".
pub const DEFAULT_PER_SECTION: usize = 60;

/// Thumbnail requests in flight at once, over all accounts (each server's limiter applies too).
const CONCURRENT_THUMBNAILS: usize = 8;

/// An asset as the page shows it: its link, and its thumbnail or why there is none.
#[derive(Debug, Clone)]
pub struct Shown {
    pub link: String,
    pub image: Result<String, String>,
}

/// The assets of a report, by (account, asset id).
pub type Gallery = HashMap<(String, String), Shown>;

/// Every (account, asset id) the page shows: the first `per_section` of each section.
fn wanted(reports: &[JobReport], per_section: usize) -> Vec<(String, String)> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    let mut add = |account: &str, id: &str| {
        let key = (account.to_string(), id.to_string());
        if !wanted.contains(&key) {
            wanted.push(key);
        }
    };
    for report in reports {
        for account in &report.accounts {
            let name = &account.account;
            let rows = [Some(&account.album), account.safe.as_ref()];
            for row in rows.into_iter().flatten() {
                for id in row.to_add_ids.iter().take(per_section) {
                    add(name, id);
                }
                for id in row.excluded_ids.iter().take(per_section) {
                    add(name, id);
                }
            }
            for dropped in account.dropped.iter().take(per_section) {
                add(name, &dropped.id);
                add(&dropped.kept_account, &dropped.kept_id);
            }
        }
        // What leaves an album, and what stays flagged, is shown through the album's owner.
        for album in std::iter::once(&report.album).chain(&report.safe) {
            for removal in album.to_remove.iter().take(per_section) {
                add(&album.owner, &removal.id);
            }
            for id in album.left_flagged_ids.iter().take(per_section) {
                add(&album.owner, id);
            }
        }
    }
    wanted
}

/// Fetches the thumbnails the page shows, with the account that sees each asset. A thumbnail that
/// fails is shown as its reason; it does not fail the report.
pub async fn fetch(
    reports: &[JobReport],
    accounts: &HashMap<String, Result<Account, String>>,
    per_section: usize,
) -> Gallery {
    let fetches = wanted(reports, per_section)
        .into_iter()
        .map(|(name, id)| async move {
            let shown = match accounts.get(&name) {
                Some(Ok(account)) => {
                    // The client's own in-flight limit bounds these too.
                    let image = account.client.thumbnail(&id).await;
                    Shown {
                        link: account.client.photo_url(&id),
                        image: image.map_err(|e| e.to_string()).and_then(|binary| {
                            data_uri(binary.content_type.as_deref(), &binary.bytes)
                        }),
                    }
                }
                _ => Shown {
                    link: String::new(),
                    image: Err(format!("account {name} is not connected")),
                },
            };
            ((name, id), shown)
        });
    let gallery: Gallery = futures::stream::iter(fetches)
        .buffer_unordered(CONCURRENT_THUMBNAILS)
        .collect()
        .await;
    let failed = gallery.values().filter(|s| s.image.is_err()).count();
    if failed > 0 {
        let example = gallery
            .values()
            .find_map(|s| s.image.as_ref().err())
            .cloned()
            .unwrap_or_default();
        tracing::warn!(
            "{failed} of {} could not be fetched (e.g. {example}); the report shows their links \
             without a picture. Thumbnails need the `asset.view` permission",
            super::count(gallery.len(), "thumbnail")
        );
    }
    gallery
}

/// A `data:` URI for an image; anything that is not an image is refused.
fn data_uri(content_type: Option<&str>, bytes: &[u8]) -> Result<String, String> {
    let content_type = content_type
        .and_then(|c| c.split(';').next())
        .map(str::trim)
        .unwrap_or("");
    let safe = [
        "image/webp",
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/avif",
    ];
    if !safe.contains(&content_type) {
        return Err(format!("the server sent `{content_type}`, not an image"));
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:{content_type};base64,{encoded}"))
}

const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:2px solid #888}h3{margin:1.2em 0 .3em}
h4{margin:.8em 0 .3em;font-size:1em}
.job>p,.job>ul{margin:.2em 0}
table.counts{border-collapse:collapse;margin:.6em 0}
table.counts td,table.counts th{border:1px solid #ccc;padding:2px 8px;text-align:right}
table.counts td:first-child,table.counts th:first-child{text-align:left}
table.counts tr.album td{font-weight:bold;background:#eee;text-align:left}
.account{border-left:4px solid #6a8caf;padding-left:1em;margin:1em 0}
.grid{display:flex;flex-wrap:wrap;gap:6px}
figure{margin:0;width:76px;text-align:center;font-size:10px;color:#555}
figure img,figure .missing{width:72px;height:72px;object-fit:cover;border-radius:4px;display:block;
 margin:auto;background:#ddd}
figure .missing{font-size:9px;overflow:hidden}
figure.dup{width:170px}figure.dup .pair{display:flex;gap:4px;align-items:center;justify-content:center}
.excluded img{outline:3px solid #c33;outline-offset:-3px}
.removal{border:2px dashed #c33;border-radius:6px;padding:0 8px;margin:8px 0;background:#fff6f6}
.removed img{opacity:.55;outline:3px dashed #c33;outline-offset:-3px}
.more{color:#555;font-style:italic}
.none{color:#777}
.remark{color:#a30}
";

/// Markup written as it is, unescaped: only for fixed text of this module (the style sheet, an
/// entity), never for anything a server, a job file or a person wrote. Everything else reaches the
/// page through maud's `(…)` splices, which escape it. The test `raw_markup_only_from_literals` keeps
/// this the only place that makes unescaped markup.
fn raw_static(markup: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(markup)
}

/// The page for `reports` of the job file `source`, with the thumbnails in `gallery`.
pub fn render(
    source: &str,
    reports: &[JobReport],
    gallery: &Gallery,
    per_section: usize,
) -> String {
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                meta charset="utf-8"; "\n"
                meta http-equiv="Content-Security-Policy" content=(CONTENT_SECURITY_POLICY); "\n"
                meta name="referrer" content="no-referrer"; "\n"
                meta name="viewport" content="width=device-width"; "\n"
                title { "Preview of " (source) } "\n"
                style { (raw_static(STYLE)) }
            } "\n"
            body {
                "\n"
                h1 { "Preview of " (source) } "\n"
                p {
                    "Nothing was changed. Each picture links to the asset on its server; the first "
                    (per_section) " of each section are shown."
                } "\n"
                @for report in reports {
                    (job(report, gallery, per_section))
                }
            }
        } "\n"
    };
    page.into_string()
}

fn job(report: &JobReport, gallery: &Gallery, per_section: usize) -> Markup {
    html! {
        section class="job" data-job=(report.job) {
            "\n"
            h2 { "Job " (report.job) } "\n"
            p { "Album " b { (report.album.name) } ": " (album_state(&report.album)) } "\n"
            @if let Some(description) = &report.description {
                p class="description" { "Description: " (description) } "\n"
            }
            @if let Some(safe) = &report.safe {
                p { "Safe album " b { (safe.name) } ": " (album_state(safe)) } "\n"
                @if let Some(link) = &safe.shared_link {
                    p class="shared-link" {
                        "Link for relatives: "
                        @if let Some(url) = &link.url {
                            a href=(url) { (url) }
                            " (expires " (link.expires.as_deref().unwrap_or("never")) "; "
                            (link.action) ")"
                        } @else {
                            "made by the next sync"
                        }
                    } "\n"
                }
            }
            ul {
                @for (i, label) in report.include_conditions.iter().enumerate() {
                    li { "include " (i + 1) ": " code { (label) } }
                }
                @for (i, label) in report.exclude_conditions.iter().enumerate() {
                    li { "exclude " (i + 1) ": " code { (label) } }
                }
            } "\n"
            (counts(report))
            @for remark in remarks(report) {
                p class="remark" { (remark) } "\n"
            }
            @for album in std::iter::once(&report.album).chain(&report.safe) {
                (album_removals(album, gallery, per_section))
            }
            @for account in &report.accounts {
                (account_section(report, account, gallery, per_section))
            }
        } "\n"
    }
}

/// What would leave an album, set apart from what would be added: each picture with its reason; and
/// what its exclusions flag that a person added, which stays.
fn album_removals(album: &AlbumSummary, gallery: &Gallery, per_section: usize) -> Markup {
    if album.to_remove.is_empty() && album.left_flagged == 0 {
        return html! {};
    }
    let removals = (!album.to_remove.is_empty()).then(|| {
        let figures: Vec<Markup> = album
            .to_remove
            .iter()
            .map(|r| {
                html! {
                    figure class="removed" {
                        (thumb(gallery, &album.owner, &r.id))
                        figcaption { (r.reason.describe()) }
                    }
                }
            })
            .collect();
        let title = match &album.removals_blocked {
            Some(_) => format!(
                "Would be removed from \"{}\", but stay in this run (see above)",
                album.name
            ),
            None => format!(
                "To remove from \"{}\": the tool added them, the job no longer selects them (never \
                 deleted from the library)",
                album.name
            ),
        };
        section(
            "to-remove",
            &title,
            album.to_remove.len(),
            figures,
            per_section,
        )
    });
    let flagged = (album.left_flagged > 0).then(|| {
        let figures: Vec<Markup> = album
            .left_flagged_ids
            .iter()
            .map(|id| figure(gallery, &album.owner, id, "excluded"))
            .collect();
        section(
            "left-flagged",
            &format!(
                "In \"{}\", flagged by its exclusions, added by hand: left in place",
                album.name
            ),
            album.left_flagged,
            figures,
            per_section,
        )
    });
    html! {
        div class="removal" {
            "\n"
            @if let Some(removals) = removals { (removals) }
            @if let Some(flagged) = flagged { (flagged) }
        } "\n"
    }
}

fn album_state(album: &AlbumSummary) -> String {
    match &album.id {
        Some(id) => format!("exists ({id}), found through {}", album.owner),
        None => format!("does not exist yet; a sync creates it as {}", album.owner),
    }
}

/// A cell of the counts table: an account's number for a step.
enum Cell {
    /// The account failed: it has no numbers.
    Failed,
    /// The step does not apply to the account (no safe album row).
    None,
    Count(usize),
}

/// The table of the text report: a row per step, a column per account, and the total.
fn counts(report: &JobReport) -> Markup {
    let accounts = &report.accounts;
    let line = |label: &str, value: &dyn Fn(&AccountReport) -> Option<usize>| {
        let cells: Vec<Cell> = accounts
            .iter()
            .map(|account| match value(account) {
                _ if account.error.is_some() => Cell::Failed,
                Some(n) => Cell::Count(n),
                None => Cell::None,
            })
            .collect();
        let total: usize = cells
            .iter()
            .map(|cell| match cell {
                Cell::Count(n) => *n,
                Cell::Failed | Cell::None => 0,
            })
            .sum();
        html! {
            tr {
                td { (label) }
                @for cell in &cells {
                    @match cell {
                        Cell::Failed => td { "failed" },
                        Cell::None => td { "-" },
                        Cell::Count(n) => td { (n) },
                    }
                }
                td { (total) }
            } "\n"
        }
    };
    let heading = |text: String| {
        html! {
            tr class="album" { td colspan=(accounts.len() + 2) { (text) } } "\n"
        }
    };
    let mut rows = Vec::new();
    for i in 0..report.include_conditions.len() {
        rows.push(line(&format!("found by include {}", i + 1), &|a| {
            a.found.get(i).copied()
        }));
    }
    rows.push(line("found by every include", &|a| Some(a.matched)));
    if !report.exclude_conditions.is_empty() {
        rows.push(line("left after excludes", &|a| Some(a.after_excludes)));
    }
    rows.push(line("left after local filters", &|a| Some(a.after_local)));
    rows.push(line("dropped as duplicates", &|a| Some(a.duplicates)));
    rows.push(heading(format!("album \"{}\"", report.album.name)));
    rows.push(line("already in the album", &|a| Some(a.album.already)));
    rows.push(line("to add", &|a| Some(a.album.to_add)));
    rows.push(line("removed by someone, not added again", &|a| {
        Some(a.album.not_readded)
    }));
    if let Some(safe) = &report.safe {
        rows.push(heading(format!("safe album \"{}\"", safe.name)));
        let safe_row = |a: &AccountReport, f: fn(&AlbumRow) -> usize| a.safe.as_ref().map(f);
        rows.push(line("removed by safe exclusions", &|a| {
            safe_row(a, |r| r.excluded)
        }));
        rows.push(line("already in the album", &|a| {
            safe_row(a, |r| r.already)
        }));
        rows.push(line("to add", &|a| safe_row(a, |r| r.to_add)));
        rows.push(line("removed by someone, not added again", &|a| {
            safe_row(a, |r| r.not_readded)
        }));
    }
    html! {
        table class="counts" {
            tr {
                th {}
                @for account in accounts { th { (account.account) } }
                th { "total" }
            } "\n"
            @for row in &rows { (row) }
        } "\n"
    }
}

fn remarks(report: &JobReport) -> Vec<String> {
    let mut remarks = Vec::new();
    for account in &report.accounts {
        if let Some(error) = &account.error {
            remarks.push(format!("{} failed: {error}", account.account));
        }
        remarks.extend(
            account
                .notes
                .iter()
                .map(|n| format!("{} {n}", account.account)),
        );
    }
    if let Some(reason) = report.safe.as_ref().and_then(|s| s.fail_closed.as_ref()) {
        remarks.push(format!(
            "safe album failed closed: {reason}; nothing would be added to it in this run"
        ));
    }
    for album in std::iter::once(&report.album).chain(&report.safe) {
        let name = &album.name;
        if let Some(why) = &album.removals_blocked {
            remarks.push(format!("album \"{name}\": {why}"));
        }
        if album.no_longer_selected > 0 {
            remarks.push(format!(
                "album \"{name}\": {} added by the tool {} (prune is off)",
                album.no_longer_selected,
                super::job::no_longer_selected_stay(album.no_longer_selected)
            ));
        }
        if album.adoptable > 0 {
            remarks.push(format!(
                "album \"{name}\": {} in the album and selected, not recorded as the tool's (sync \
                 --adopt takes them over)",
                album.adoptable
            ));
        }
    }
    remarks
}

fn account_section(
    report: &JobReport,
    account: &AccountReport,
    gallery: &Gallery,
    per_section: usize,
) -> Markup {
    let name = &account.account;
    // Why it failed is said once, among the job's remarks above.
    if account.error.is_some() {
        return html! {
            section class="account" data-account=(name) {
                "\n"
                h3 { (name) } "\n"
                p class="remark" { "This account failed (why is above): nothing of it is shown." } "\n"
            } "\n"
        };
    }
    let figures = |ids: &[String], class: &str| -> Vec<Markup> {
        ids.iter()
            .map(|id| figure(gallery, name, id, class))
            .collect()
    };
    let duplicates: Vec<Markup> = account
        .dropped
        .iter()
        .map(|d| {
            html! {
                figure class="dup" {
                    div class="pair" {
                        (thumb(gallery, name, &d.id))
                        span { (raw_static("&rarr;")) }
                        (thumb(gallery, &d.kept_account, &d.kept_id))
                    }
                    figcaption { "dropped; kept " (d.kept_account) (raw_static("&#39;")) "s copy" }
                }
            }
        })
        .collect();
    html! {
        section class="account" data-account=(name) {
            "\n"
            h3 { (name) } "\n"
            (section(
                "main-to-add",
                &format!("To add to \"{}\"", report.album.name),
                account.album.to_add,
                figures(&account.album.to_add_ids, ""),
                per_section,
            ))
            @if let (Some(summary), Some(safe)) = (&report.safe, &account.safe) {
                (section(
                    "safe-to-add",
                    &format!("To add to the safe album \"{}\"", summary.name),
                    safe.to_add,
                    figures(&safe.to_add_ids, ""),
                    per_section,
                ))
                (section(
                    "safe-left-out",
                    &format!("Left out of \"{}\" by its exclusions (check these)", summary.name),
                    safe.excluded,
                    figures(&safe.excluded_ids, "excluded"),
                    per_section,
                ))
            }
            (section(
                "duplicates",
                "Duplicates dropped (left) and the copy kept instead (right)",
                account.duplicates,
                duplicates,
                per_section,
            ))
        } "\n"
    }
}

/// One gallery: a heading with the count, up to `per_section` pictures, and "and N more".
fn section(
    kind: &str,
    title: &str,
    count: usize,
    figures: Vec<Markup>,
    per_section: usize,
) -> Markup {
    let shown = figures.len().min(per_section);
    html! {
        section class="gallery" data-section=(kind) data-count=(count) {
            "\n"
            h4 { (title) " (" (count) ")" } "\n"
            @if count == 0 {
                p class="none" { "None." } "\n"
            } @else {
                div class="grid" {
                    @for figure in figures.iter().take(per_section) { (figure) }
                } "\n"
                @if count > shown {
                    p class="more" { "and " (count - shown) " more" } "\n"
                }
            }
        } "\n"
    }
}

/// A linked thumbnail with a short id under it.
fn figure(gallery: &Gallery, account: &str, id: &str, class: &str) -> Markup {
    html! {
        figure class=(class) {
            (thumb(gallery, account, id))
            figcaption { (id.get(..8).unwrap_or(id)) }
        }
    }
}

/// The picture of an asset, linked to the asset on its server.
fn thumb(gallery: &Gallery, account: &str, id: &str) -> Markup {
    let Some(shown) = gallery.get(&(account.to_string(), id.to_string())) else {
        return html! { span class="missing" title=(id) { "not fetched" } };
    };
    let picture = match &shown.image {
        Ok(uri) => {
            let label = format!("{account}: {id}");
            html! { img src=(uri) alt=(label) title=(label); }
        }
        Err(reason) => html! { span class="missing" title=(reason) { "no thumbnail" } },
    };
    if shown.link.is_empty() {
        picture
    } else {
        html! {
            a href=(shown.link) target="_blank" rel="noopener noreferrer" { (picture) }
        }
    }
}

#[cfg(test)]
mod tests;
