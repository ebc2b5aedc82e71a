//! The in-flight limit has one owner: it is attached to each client where its account is connected,
//! so every request (searches, album work, thumbnails) waits for it once, and a limit of 1 cannot
//! deadlock a request that waits for a permit its own caller holds.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::{Setup, stderr_of};

const JOB: &str = "
profile: family
jobs:
  kids:
    include: [{people: [Mia]}]
    album: Mia
    safe:
      album: Mia (safe)
      exclude:
        - smart: {query: nsfw, resultLimit: 20}
";

#[test]
fn a_limit_of_one_request_in_flight_finishes_a_preview_with_thumbnails_and_a_sync() {
    let setup = Setup::new(common::sim());
    let job = setup.job("kids.yaml", JOB);
    let page = setup.dir.path().join("report.html");
    let run = |args: &[&str]| {
        let mut child = setup
            .process()
            .args(args)
            .arg(&job)
            .args(["--max-in-flight", "1"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                break child.wait_with_output().unwrap();
            }
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!(
                    "`{}` did not finish with one request in flight",
                    args.join(" ")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let output = run(&[
        "preview",
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("data:image/webp;base64,"),
        "thumbnails were fetched"
    );
    let output = run(&["sync"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(!setup.sim.album_by_name("Mia").is_empty());
}
