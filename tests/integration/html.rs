//! `preview --format html`: the binary writes one self-contained page against the simulator, with a
//! profile whose keys are in files. The page is checked as text (sections, counts, "and N more", no key,
//! nothing loaded from outside), then opened in headless Chromium, which must show every image with no
//! request leaving the file. Without Chromium (or Chrome) the browser part is skipped with a note that
//! `cargo test` shows, except on CI (`CI` truthy), where .ci/run installs it and its absence fails the
//! test.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use crate::common::{bin, on_both_lines, sim, stderr_of, stdout_of};
use immich_smart_albums::sim::Simulator;

const JOB: &str = "
profile: family
jobs:
  kids:
    include:
      - people: [Mia]
    exclude:
      - metadata: {type: VIDEO}
    album: Mia
    description: Every photo of Mia
    safe:
      album: Mia (for grandparents)
      exclude:
        - smart: {query: nsfw swimsuit, resultLimit: 40}
      shared_link: {expires: 90d}
";

/// A config directory with the profile `family` (alice and bob, keys in 0600 files) and the job file.
fn setup(sim: &Simulator, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("profiles")).unwrap();
    let mut profile = String::from("accounts:\n");
    for account in ["alice", "bob"] {
        let key = dir.join(format!("{account}.key"));
        std::fs::write(&key, sim.account(account).api_key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        profile.push_str(&format!(
            "  {account}:\n    server: {}\n    api_key_file: {}\n",
            sim.url(),
            key.display()
        ));
    }
    std::fs::write(dir.join("profiles/family.yaml"), profile).unwrap();
    let job = dir.join("kids.yaml");
    std::fs::write(&job, JOB).unwrap();
    job
}

/// Every `attr="…"` value in the page.
fn attributes<'a>(page: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    page.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &page[i + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

/// The browsers the check can drive, by the names distributions give them.
const BROWSERS: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

fn chromium() -> Option<PathBuf> {
    find_browser(&std::env::var_os("PATH")?)
}

/// The first of [`BROWSERS`] in the directories of a PATH value.
fn find_browser(paths: &std::ffi::OsStr) -> Option<PathBuf> {
    BROWSERS.iter().find_map(|name| {
        std::env::split_paths(paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}

#[test]
fn the_browser_is_found_by_any_of_its_names() {
    on_both_lines(|| {
        let dir = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([empty.path(), dir.path()]).unwrap();
        assert_eq!(find_browser(&path), None);
        std::fs::write(dir.path().join("google-chrome-stable"), "").unwrap();
        assert_eq!(
            find_browser(&path),
            Some(dir.path().join("google-chrome-stable"))
        );
    });
}

/// Headless Chromium with a fresh profile and nothing in the background.
fn headless(chromium: &Path, profile: &Path) -> Process {
    let mut cmd = Process::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-extensions",
        "--disable-sync",
        "--virtual-time-budget=10000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
fn the_html_preview_is_self_contained_and_renders_in_a_browser() {
    on_both_lines(|| {
        let sim = sim();
        let dir = tempfile::tempdir().unwrap();
        let job = setup(&sim, dir.path());
        let report = dir.path().join("report.html");
        let output = bin()
            .env("IMMICH_SMART_ALBUMS_CONFIG_DIR", dir.path())
            .args(["preview"])
            .arg(&job)
            .args(["--format", "html", "--thumbnails", "8", "--output"])
            .arg(&report)
            .output()
            .unwrap();
        common::stdout_if(&output, 0);
        assert!(stdout_of(&output).contains("Wrote the preview to"));
        assert!(
            sim.changing_requests().is_empty(),
            "a preview changes nothing"
        );
        let page = std::fs::read_to_string(&report).unwrap();
        // The album's description and the link for relatives (made by the first sync).
        assert!(page.contains("Description: Every photo of Mia"), "{page}");
        assert!(page.contains("Link for relatives: made by the next sync"));

        // No key, and nothing that a browser would fetch.
        for account in ["alice", "bob"] {
            assert!(
                !page.contains(&sim.account(account).api_key),
                "a key leaked"
            );
        }
        assert!(
            page.contains(
                "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\""
            )
        );
        let sources = attributes(&page, "src");
        assert!(sources.len() > 10, "thumbnails are there");
        assert!(
            sources
                .iter()
                .all(|s| s.starts_with("data:image/webp;base64,")),
            "every image is embedded"
        );
        let links = attributes(&page, "href");
        let photos = format!("{}/photos/", sim.url());
        assert!(
            !links.is_empty() && links.iter().all(|l| l.starts_with(&photos)),
            "the only links are to assets"
        );
        let outside = page.matches("http://").count() + page.matches("https://").count();
        assert_eq!(outside, links.len(), "no other http(s) URL in the page");
        assert!(!page.contains("url("), "no CSS fetch");

        // Every section, per account, with the counts of the text report.
        for account in ["alice", "bob"] {
            assert!(page.contains(&format!("data-account=\"{account}\"")));
        }
        for section in ["main-to-add", "safe-to-add", "safe-left-out", "duplicates"] {
            assert_eq!(
                page.matches(&format!("data-section=\"{section}\"")).count(),
                2,
                "{section} for each account"
            );
        }
        for row in [
            "found by every include",
            "left after excludes",
            "dropped as duplicates",
            "removed by safe exclusions",
            "to add",
        ] {
            assert!(page.contains(row), "{row}");
        }
        assert!(page.contains("and "), "a capped section says how many more");
        assert!(page.contains(" more</p>"));
        assert!(
            page.contains("kept alice&#39;s copy"),
            "bob's duplicates name alice's copy"
        );

        // The browser.
        let Some(chromium) = chromium() else {
            common::skip_unless_ci(
                "the browser check of the_html_preview_is_self_contained_and_renders_in_a_browser",
                &format!(
                    "none of {} is on PATH (apt-get install chromium)",
                    BROWSERS.join(", ")
                ),
            );
            return;
        };
        // A copy with a script that records what loaded; the policy keeps img-src data: only.
        let probe = page
            .replace(
                "style-src 'unsafe-inline'\"",
                "style-src 'unsafe-inline'; script-src 'unsafe-inline'\"",
            )
            .replace(
                "</body>",
                "<script>window.addEventListener('load', () => {
                   const images = [...document.images];
                   const result = {
                     images: images.length,
                     broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).length,
                     requests: performance.getEntriesByType('resource').length,
                     sections: document.querySelectorAll('section.gallery').length,
                   };
                   const pre = document.createElement('pre');
                   pre.id = 'probe';
                   pre.textContent = JSON.stringify(result);
                   document.body.appendChild(pre);
                 });</script></body>",
            );
        let probe_path = dir.path().join("probe.html");
        std::fs::write(&probe_path, probe).unwrap();
        let dom = headless(&chromium, &dir.path().join("chromium-1"))
            .arg("--dump-dom")
            .arg(format!("file://{}", probe_path.display()))
            .output()
            .unwrap();
        let dom_text = stdout_of(&dom);
        let start = dom_text
            .find("<pre id=\"probe\">")
            .unwrap_or_else(|| panic!("the probe ran: {}", stderr_of(&dom)))
            + "<pre id=\"probe\">".len();
        let end = start + dom_text[start..].find("</pre>").unwrap();
        let result: serde_json::Value = serde_json::from_str(&dom_text[start..end]).unwrap();
        assert_eq!(result["images"], sources.len(), "{result}");
        assert_eq!(result["broken"], 0, "every image loads: {result}");
        assert_eq!(result["requests"], 0, "nothing is fetched: {result}");
        assert_eq!(result["sections"], 8, "{result}");

        // The page as written: a screenshot, and no policy violation on the console.
        let screenshot = dir.path().join("report.png");
        let shot = headless(&chromium, &dir.path().join("chromium-2"))
            .args([
                "--window-size=1200,1600",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--screenshot={}", screenshot.display()))
            .arg(format!("file://{}", report.display()))
            .output()
            .unwrap();
        let log = stderr_of(&shot);
        assert!(
            !log.contains("Content Security Policy") && !log.contains("Refused to"),
            "{log}"
        );
        let png = std::fs::read(&screenshot).unwrap_or_else(|e| panic!("{e}: {log}"));
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
        if let Some(keep) = std::env::var_os("IMMICH_SMART_ALBUMS_KEEP_SCREENSHOT") {
            // For looking at it by hand: the screenshot, and the page beside it.
            let keep = PathBuf::from(keep);
            std::fs::copy(&screenshot, &keep).unwrap();
            std::fs::copy(&report, keep.with_extension("html")).unwrap();
        }
    });
}

#[test]
fn html_is_for_preview_and_sync_says_so() {
    on_both_lines(|| {
        let output = bin()
            .args(["sync", "kids.yaml", "--format", "html"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr_of(&output).contains("immich-smart-albums preview kids.yaml --format html"),
            "{}",
            stderr_of(&output)
        );
    });
}
