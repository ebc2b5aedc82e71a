//! `demo` runs end to end on the built-in simulator: preview, add, and a second run with nothing left.

mod common;

use common::{bin, stderr_of, stdout_of};

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
    assert_eq!(steps.len(), 4, "{stdout}");
    assert!(steps[1].contains("This was a preview"), "{}", steps[1]);
    let added = |text: &str| -> usize {
        text.lines()
            .find(|l| l.trim_start().starts_with("added "))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no `added` line in {text}"))
    };
    assert!(added(steps[2]) > 0, "{}", steps[2]);
    assert_eq!(added(steps[3]), 0, "{}", steps[3]);
}
