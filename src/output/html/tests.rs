//! Unit tests of the HTML preview: escaping (a hostile name in every field the page shows comes out
//! as text), data URIs, a gallery's "and N more", and unescaped markup only from fixed literals.

use super::*;
use crate::job::decide::Reason;
use crate::job::report::{DroppedCopy, LinkRow, RemovalRow};
use crate::job::since::{FullWhy, RunKind};

#[test]
fn text_is_escaped() {
    let text = r#"<a href="x">'&'</a>"#;
    let escaped = "&lt;a href=&quot;x&quot;&gt;'&amp;'&lt;/a&gt;";
    assert_eq!(
        html! { p title=(text) { (text) } }.into_string(),
        format!("<p title=\"{escaped}\">{escaped}</p>")
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
    let figures: Vec<Markup> = (0..5).map(|i| html! { figure { (i) } }).collect();
    let page = section("main-to-add", "To add", 7, figures, 3).into_string();
    assert_eq!(page.matches("<figure>").count(), 3);
    assert!(page.contains("and 4 more"), "{page}");
    let empty = section("duplicates", "Duplicates", 0, Vec::new(), 3).into_string();
    assert!(empty.contains("None."));
}

/// Every field of a report that the page shows in full, by the name [`page`] gives it. (The ids of
/// assets whose thumbnail failed are shown by their first 8 bytes only.)
const FIELDS: [&str; 26] = [
    "source",
    "job",
    "include",
    "exclude",
    "description",
    "album",
    "album-id",
    "owner",
    "blocked",
    "removal",
    "flagged",
    "safe",
    "safe-owner",
    "fail-closed",
    "url",
    "expires",
    "action",
    "account",
    "note",
    "to-add",
    "excluded",
    "dropped",
    "kept-account",
    "failed-account",
    "error",
    "thumb-error",
];

/// The page of a report with a safe album, a shared link, a removal, a flagged asset, a duplicate,
/// a note, a failed account, and thumbnails that loaded, failed or were not fetched, where the field
/// called `name` holds `value(name)`.
fn page(value: &dyn Fn(&str) -> String) -> String {
    let summary = |name: &str, owner: &str| AlbumSummary {
        name: value(name),
        id: None,
        owner: value(owner),
        created: false,
        fail_closed: None,
        prune: false,
        held_by_tool: 0,
        to_remove: Vec::new(),
        no_longer_selected: 0,
        removals_blocked: None,
        listing_incomplete: None,
        removed: 0,
        removal_refused: Default::default(),
        error: None,
        shared_link: None,
        looks: Vec::new(),
        left_flagged: 0,
        left_flagged_ids: Vec::new(),
        adoptable: 0,
        adopted: 0,
        shared_with: Vec::new(),
        members_taken_out: Vec::new(),
    };
    let album = AlbumSummary {
        id: Some(value("album-id")),
        prune: true,
        held_by_tool: 1,
        to_remove: vec![RemovalRow {
            id: value("removal"),
            account: value("owner"),
            reason: Reason::Trashed,
            link: String::new(),
            forced: false,
        }],
        removals_blocked: Some(value("blocked")),
        left_flagged: 1,
        left_flagged_ids: vec![value("flagged")],
        ..summary("album", "owner")
    };
    let safe = AlbumSummary {
        fail_closed: Some(value("fail-closed")),
        shared_link: Some(LinkRow {
            url: Some(value("url")),
            expires: Some(value("expires")),
            action: value("action"),
        }),
        ..summary("safe", "safe-owner")
    };
    let account = value("account");
    let ok = AccountReport {
        account: account.clone(),
        notes: vec![value("note")],
        found: vec![2],
        excluded_found: vec![0],
        matched: 2,
        after_excludes: 2,
        after_local: 2,
        duplicates: 1,
        dropped: vec![DroppedCopy {
            id: value("dropped"),
            kept_account: value("kept-account"),
            kept_id: value("kept-id"),
        }],
        album: AlbumRow {
            to_add: 2,
            to_add_ids: vec![value("to-add"), value("to-add-missing")],
            ..AlbumRow::default()
        },
        safe: Some(AlbumRow {
            to_add: 1,
            to_add_ids: vec![value("safe-add")],
            excluded: 1,
            excluded_ids: vec![value("excluded")],
            ..AlbumRow::default()
        }),
        ..AccountReport::default()
    };
    let failed = AccountReport {
        account: value("failed-account"),
        error: Some(value("error")),
        ..AccountReport::default()
    };
    let report = JobReport {
        job: value("job"),
        applied: false,
        include_conditions: vec![value("include")],
        exclude_conditions: vec![value("exclude")],
        description: Some(value("description")),
        album,
        safe: Some(safe),
        accounts: vec![ok, failed],
        run: RunKind::Full {
            why: FullWhy::Preview,
        },
    };
    let gallery: Gallery = [
        (
            (account.clone(), value("to-add")),
            Shown {
                link: value("link"),
                image: Ok(value("uri")),
            },
        ),
        (
            (account, value("safe-add")),
            Shown {
                link: String::new(),
                image: Err(value("thumb-error")),
            },
        ),
    ]
    .into_iter()
    .collect();
    render(&value("source"), &[report], &gallery, 10)
}

/// A hostile album, person or asset name in every field the page shows comes out as text: the page
/// has the same markup as with harmless names, and each value is there, escaped.
#[test]
fn hostile_names_come_out_escaped() {
    let hostile = |field: &str| format!("<script>alert({field})</script>\" onerror=\"{field}");
    let escaped = |field: &str| {
        format!("&lt;script&gt;alert({field})&lt;/script&gt;&quot; onerror=&quot;{field}")
    };
    let page_hostile = page(&hostile);
    let page_harmless = page(&|field: &str| field.to_string());
    for field in FIELDS {
        assert!(
            page_hostile.contains(&escaped(field)),
            "{field} is not on the page, escaped: {page_hostile}"
        );
    }
    for field in ["link", "uri", "kept-id", "to-add-missing"] {
        assert!(page_hostile.contains(&escaped(field)), "{field}");
    }
    assert!(!page_hostile.contains("<script"), "{page_hostile}");
    assert!(!page_hostile.contains("onerror=\""), "{page_hostile}");
    // No value added a tag or an attribute, or closed one.
    for markup in ['<', '>', '"'] {
        assert_eq!(
            page_hostile.matches(markup).count(),
            page_harmless.matches(markup).count(),
            "{markup}"
        );
    }
}

/// The page's only unescaped markup is fixed text of the module: `PreEscaped` is made in one place,
/// `raw_static`, which is given string literals and the style sheet.
#[test]
fn raw_markup_only_from_literals() {
    let source = include_str!("../html.rs");
    assert_eq!(source.matches(concat!("PreEscaped", "(")).count(), 1);
    let call = "raw_static(";
    for (at, _) in source.match_indices(call) {
        let argument = &source[at + call.len()..];
        assert!(
            argument.starts_with('"')
                || argument.starts_with("STYLE)")
                || argument.starts_with("markup: &'static str)"),
            "raw_static is given {}",
            &argument[..argument.find(')').unwrap_or(argument.len())]
        );
    }
}
