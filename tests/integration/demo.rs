//! `demo` runs end to end on the built-in simulator: the Python-compatible preview, add and idempotent
//! re-run, then a two-account job with a safe album: preview, sync, and a sync with nothing left.

use crate::common;

use crate::common::{bin, stderr_of, stdout_of};

#[test]
fn the_demo_previews_adds_and_then_has_nothing_left_to_add() {
    let output = bin().args(["demo", "--assets", "400"]).output().unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        stderr_of(&output)
    );
    let steps: Vec<&str> = stdout.split("\n== ").collect();
    assert_eq!(steps.len(), 7, "{stdout}");
    assert!(steps[1].contains("This was a preview"), "{}", steps[1]);
    let added = |text: &str| -> usize {
        text.lines()
            .filter(|l| l.trim_start().starts_with("added "))
            .filter_map(|l| l.split_whitespace().last()?.parse::<usize>().ok())
            .max()
            .unwrap_or_else(|| panic!("no `added` line in {text}"))
    };
    assert!(added(steps[2]) > 0, "{}", steps[2]);
    assert_eq!(added(steps[3]), 0, "{}", steps[3]);

    assert!(
        steps[4].contains("preview: nothing was changed"),
        "{}",
        steps[4]
    );
    assert!(steps[4].contains("dropped as duplicates"), "{}", steps[4]);
    assert!(steps[5].contains("created by alice"), "{}", steps[5]);
    assert!(added(steps[5]) > 0, "{}", steps[5]);
    let quiet: Vec<&str> = steps[6]
        .lines()
        .filter(|l| l.contains(": added "))
        .collect();
    assert_eq!(quiet.len(), 2, "{}", steps[6]);
    assert!(
        quiet
            .iter()
            .all(|l| l.contains("added 0 to") && l.contains("0 failed")),
        "{}",
        steps[6]
    );
}

#[test]
fn sim_serves_until_stopped_and_prints_each_accounts_key() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_immich-smart-albums"))
        .args([
            "sim",
            "--port",
            "0",
            "--assets",
            "50",
            "--seed",
            "9",
            "--accounts",
            "alice,bob,carol",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("Immich simulator on http://127.0.0.1:"),
        "{first}"
    );
    let url = first.split_whitespace().nth(3).unwrap().to_string();
    let mut keys = Vec::new();
    for _ in 0..3 {
        let line = lines.next().unwrap().unwrap();
        keys.push(line.split_whitespace().last().unwrap().to_string());
    }
    // The printed key works against the printed URL.
    let output = bin()
        .args([
            "--server",
            &url,
            "--key",
            &keys[2],
            "--include-metadata-file",
        ])
        .arg(common::repo("filters/all-photos.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    child.kill().unwrap();
    child.wait().unwrap();
}
