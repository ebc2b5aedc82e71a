//! The HTML preview report (`preview --format html --output FILE`): one self-contained file that shows,
//! per job and per account, the thumbnails of what a sync would add to the album and to the safe album,
//! what the safe album leaves out, which duplicates were dropped and which copy was kept, and the counts
//! of the text report. [`fetch`] gets the thumbnails with each account's own client (concurrently,
//! bounded by the account's server limiter) and keeps them as data URIs; [`render`] turns the reports
//! and those images into the page, a pure function. The page loads nothing: a Content-Security-Policy
//! allows only inline styles and `data:` images, and its only http(s) URLs are the links to the assets on
//! their servers. No key is in it: the clients keep theirs.

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;
use futures::StreamExt;

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
            "{failed} of {} thumbnails could not be fetched (e.g. {example}); the report shows their \
             links without a picture. Thumbnails need the `asset.view` permission",
            gallery.len()
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

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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

/// The page for `reports` of the job file `source`, with the thumbnails in `gallery`.
pub fn render(
    source: &str,
    reports: &[JobReport],
    gallery: &Gallery,
    per_section: usize,
) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CONTENT_SECURITY_POLICY}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n\
         <title>Preview of {source}</title>\n<style>{STYLE}</style></head>\n<body>\n\
         <h1>Preview of {source}</h1>\n\
         <p>Nothing was changed. Each picture links to the asset on its server; the first {per_section} \
         of each section are shown.</p>\n",
        source = escape(source),
    );
    for report in reports {
        job(&mut page, report, gallery, per_section);
    }
    page.push_str("</body></html>\n");
    page
}

fn job(page: &mut String, report: &JobReport, gallery: &Gallery, per_section: usize) {
    let _ = writeln!(
        page,
        "<section class=\"job\" data-job=\"{name}\">\n<h2>Job {name}</h2>",
        name = escape(&report.job)
    );
    let _ = writeln!(
        page,
        "<p>Album <b>{}</b>: {}</p>",
        escape(&report.album.name),
        escape(&album_state(&report.album))
    );
    if let Some(description) = &report.description {
        let _ = writeln!(
            page,
            "<p class=\"description\">Description: {}</p>",
            escape(description)
        );
    }
    if let Some(safe) = &report.safe {
        let _ = writeln!(
            page,
            "<p>Safe album <b>{}</b>: {}</p>",
            escape(&safe.name),
            escape(&album_state(safe))
        );
        if let Some(link) = &safe.shared_link {
            let _ = match &link.url {
                Some(url) => writeln!(
                    page,
                    "<p class=\"shared-link\">Link for relatives: <a href=\"{url}\">{url}</a> \
                     (expires {}; {})</p>",
                    escape(link.expires.as_deref().unwrap_or("never")),
                    escape(&link.action),
                    url = escape(url)
                ),
                None => writeln!(
                    page,
                    "<p class=\"shared-link\">Link for relatives: made by the next sync</p>"
                ),
            };
        }
    }
    page.push_str("<ul>");
    for (i, label) in report.include_conditions.iter().enumerate() {
        let _ = write!(
            page,
            "<li>include {}: <code>{}</code></li>",
            i + 1,
            escape(label)
        );
    }
    for (i, label) in report.exclude_conditions.iter().enumerate() {
        let _ = write!(
            page,
            "<li>exclude {}: <code>{}</code></li>",
            i + 1,
            escape(label)
        );
    }
    page.push_str("</ul>\n");
    counts(page, report);
    for remark in remarks(report) {
        let _ = writeln!(page, "<p class=\"remark\">{}</p>", escape(&remark));
    }
    for album in std::iter::once(&report.album).chain(&report.safe) {
        album_removals(page, album, gallery, per_section);
    }
    for account in &report.accounts {
        account_section(page, report, account, gallery, per_section);
    }
    page.push_str("</section>\n");
}

/// What would leave an album, set apart from what would be added: each picture with its reason; and
/// what its exclusions flag that a person added, which stays.
fn album_removals(page: &mut String, album: &AlbumSummary, gallery: &Gallery, per_section: usize) {
    if album.to_remove.is_empty() && album.left_flagged == 0 {
        return;
    }
    page.push_str("<div class=\"removal\">\n");
    if !album.to_remove.is_empty() {
        let figures: Vec<String> = album
            .to_remove
            .iter()
            .map(|r| {
                format!(
                    "<figure class=\"removed\">{}<figcaption>{}</figcaption></figure>",
                    thumb(gallery, &album.owner, &r.id),
                    escape(r.reason.describe())
                )
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
            page,
            "to-remove",
            &title,
            album.to_remove.len(),
            figures,
            per_section,
        );
    }
    if album.left_flagged > 0 {
        let figures: Vec<String> = album
            .left_flagged_ids
            .iter()
            .map(|id| figure(gallery, &album.owner, id, "excluded"))
            .collect();
        section(
            page,
            "left-flagged",
            &format!(
                "In \"{}\", flagged by its exclusions, added by hand: left in place",
                album.name
            ),
            album.left_flagged,
            figures,
            per_section,
        );
    }
    page.push_str("</div>\n");
}

fn album_state(album: &AlbumSummary) -> String {
    match &album.id {
        Some(id) => format!("exists ({id}), found through {}", album.owner),
        None => format!("does not exist yet; a sync creates it as {}", album.owner),
    }
}

/// The table of the text report: a row per step, a column per account, and the total.
fn counts(page: &mut String, report: &JobReport) {
    let accounts = &report.accounts;
    page.push_str("<table class=\"counts\"><tr><th></th>");
    for account in accounts {
        let _ = write!(page, "<th>{}</th>", escape(&account.account));
    }
    page.push_str("<th>total</th></tr>\n");
    let line = |page: &mut String, label: &str, value: &dyn Fn(&AccountReport) -> Option<usize>| {
        let _ = write!(page, "<tr><td>{}</td>", escape(label));
        let mut total = 0;
        for account in accounts {
            if account.error.is_some() {
                page.push_str("<td>failed</td>");
                continue;
            }
            match value(account) {
                Some(n) => {
                    total += n;
                    let _ = write!(page, "<td>{n}</td>");
                }
                None => page.push_str("<td>-</td>"),
            }
        }
        let _ = writeln!(page, "<td>{total}</td></tr>");
    };
    let heading = |page: &mut String, text: String| {
        let _ = writeln!(
            page,
            "<tr class=\"album\"><td colspan=\"{}\">{}</td></tr>",
            accounts.len() + 2,
            escape(&text)
        );
    };
    for i in 0..report.include_conditions.len() {
        line(page, &format!("found by include {}", i + 1), &|a| {
            a.found.get(i).copied()
        });
    }
    line(page, "found by every include", &|a| Some(a.matched));
    if !report.exclude_conditions.is_empty() {
        line(page, "left after excludes", &|a| Some(a.after_excludes));
    }
    line(page, "left after local filters", &|a| Some(a.after_local));
    line(page, "dropped as duplicates", &|a| Some(a.duplicates));
    heading(page, format!("album \"{}\"", report.album.name));
    line(page, "already in the album", &|a| Some(a.album.already));
    line(page, "to add", &|a| Some(a.album.to_add));
    line(page, "removed by someone, not added again", &|a| {
        Some(a.album.not_readded)
    });
    if let Some(safe) = &report.safe {
        heading(page, format!("safe album \"{}\"", safe.name));
        let safe_row = |a: &AccountReport, f: fn(&AlbumRow) -> usize| a.safe.as_ref().map(f);
        line(page, "removed by safe exclusions", &|a| {
            safe_row(a, |r| r.excluded)
        });
        line(page, "already in the album", &|a| {
            safe_row(a, |r| r.already)
        });
        line(page, "to add", &|a| safe_row(a, |r| r.to_add));
        line(page, "removed by someone, not added again", &|a| {
            safe_row(a, |r| r.not_readded)
        });
    }
    page.push_str("</table>\n");
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
                "album \"{name}\": {} added by the tool are no longer selected and stay (prune is off)",
                album.no_longer_selected
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
    page: &mut String,
    report: &JobReport,
    account: &AccountReport,
    gallery: &Gallery,
    per_section: usize,
) {
    let name = &account.account;
    let _ = writeln!(
        page,
        "<section class=\"account\" data-account=\"{n}\">\n<h3>{n}</h3>",
        n = escape(name)
    );
    if let Some(error) = &account.error {
        let _ = writeln!(
            page,
            "<p class=\"remark\">This account failed: {}</p>\n</section>",
            escape(error)
        );
        return;
    }
    let figures = |ids: &[String], class: &str| -> Vec<String> {
        ids.iter()
            .map(|id| figure(gallery, name, id, class))
            .collect()
    };
    section(
        page,
        "main-to-add",
        &format!("To add to \"{}\"", report.album.name),
        account.album.to_add,
        figures(&account.album.to_add_ids, ""),
        per_section,
    );
    if let (Some(summary), Some(safe)) = (&report.safe, &account.safe) {
        section(
            page,
            "safe-to-add",
            &format!("To add to the safe album \"{}\"", summary.name),
            safe.to_add,
            figures(&safe.to_add_ids, ""),
            per_section,
        );
        section(
            page,
            "safe-left-out",
            &format!(
                "Left out of \"{}\" by its exclusions (check these)",
                summary.name
            ),
            safe.excluded,
            figures(&safe.excluded_ids, "excluded"),
            per_section,
        );
    }
    let duplicates: Vec<String> = account
        .dropped
        .iter()
        .map(|d| {
            format!(
                "<figure class=\"dup\"><div class=\"pair\">{}<span>&rarr;</span>{}</div>\
                 <figcaption>dropped; kept {}&#39;s copy</figcaption></figure>",
                thumb(gallery, name, &d.id),
                thumb(gallery, &d.kept_account, &d.kept_id),
                escape(&d.kept_account)
            )
        })
        .collect();
    section(
        page,
        "duplicates",
        "Duplicates dropped (left) and the copy kept instead (right)",
        account.duplicates,
        duplicates,
        per_section,
    );
    page.push_str("</section>\n");
}

/// One gallery: a heading with the count, up to `per_section` pictures, and "and N more".
fn section(
    page: &mut String,
    kind: &str,
    title: &str,
    count: usize,
    figures: Vec<String>,
    per_section: usize,
) {
    let _ = writeln!(
        page,
        "<section class=\"gallery\" data-section=\"{kind}\" data-count=\"{count}\">\n\
         <h4>{} ({count})</h4>",
        escape(title)
    );
    if count == 0 {
        page.push_str("<p class=\"none\">None.</p>\n");
    } else {
        page.push_str("<div class=\"grid\">");
        for figure in figures.iter().take(per_section) {
            page.push_str(figure);
        }
        page.push_str("</div>\n");
        let shown = figures.len().min(per_section);
        if count > shown {
            let _ = writeln!(page, "<p class=\"more\">and {} more</p>", count - shown);
        }
    }
    page.push_str("</section>\n");
}

/// A linked thumbnail with a short id under it.
fn figure(gallery: &Gallery, account: &str, id: &str, class: &str) -> String {
    format!(
        "<figure class=\"{class}\">{}<figcaption>{}</figcaption></figure>",
        thumb(gallery, account, id),
        escape(id.get(..8).unwrap_or(id))
    )
}

/// The picture of an asset, linked to the asset on its server.
fn thumb(gallery: &Gallery, account: &str, id: &str) -> String {
    let Some(shown) = gallery.get(&(account.to_string(), id.to_string())) else {
        return format!(
            "<span class=\"missing\" title=\"{}\">not fetched</span>",
            escape(id)
        );
    };
    let picture = match &shown.image {
        Ok(uri) => format!(
            "<img src=\"{}\" alt=\"{account}: {id}\" title=\"{account}: {id}\">",
            escape(uri),
            account = escape(account),
            id = escape(id)
        ),
        Err(reason) => format!(
            "<span class=\"missing\" title=\"{}\">no thumbnail</span>",
            escape(reason)
        ),
    };
    if shown.link.is_empty() {
        picture
    } else {
        format!(
            "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{picture}</a>",
            escape(&shown.link)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn only_images_become_data_uris() {
        assert_eq!(
            data_uri(Some("image/png"), b"ab").unwrap(),
            "data:image/png;base64,YWI="
        );
        assert!(data_uri(Some("image/webp; charset=x"), b"ab").is_ok());
        assert!(data_uri(Some("text/html"), b"<script>").is_err());
        assert!(data_uri(Some("image/svg+xml"), b"<svg/>").is_err());
        assert!(data_uri(None, b"ab").is_err());
    }

    #[test]
    fn a_long_section_ends_with_and_n_more() {
        let mut page = String::new();
        let figures: Vec<String> = (0..5).map(|i| format!("<figure>{i}</figure>")).collect();
        section(&mut page, "main-to-add", "To add", 7, figures, 3);
        assert_eq!(page.matches("<figure>").count(), 3);
        assert!(page.contains("and 4 more"), "{page}");
        let mut empty = String::new();
        section(&mut empty, "duplicates", "Duplicates", 0, Vec::new(), 3);
        assert!(empty.contains("None."));
    }
}
