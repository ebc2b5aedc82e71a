//! The finish of an installed tool: completion scripts for each shell and the man page generate and
//! mention every subcommand, and the `--help` of every command and subcommand carries an example.

use crate::common::{bin, stdout_of};
use clap::CommandFactory;
use immich_smart_albums::cli::Cli;

const SUBCOMMANDS: &[&str] = &[
    "demo",
    "sim",
    "profiles",
    "preview",
    "sync",
    "completions",
    "man",
];

#[test]
fn completion_scripts_generate_for_every_shell_and_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout_of(&output);
        assert!(script.contains("immich-smart-albums"), "{shell}");
        for subcommand in SUBCOMMANDS {
            assert!(script.contains(subcommand), "{shell}: {subcommand}");
        }
        assert!(script.contains("include-metadata-file"), "{shell}");
    }
}

#[test]
fn the_man_page_generates_and_names_the_subcommands() {
    let output = bin().arg("man").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let page = stdout_of(&output);
    assert!(page.starts_with(".ie") || page.contains(".TH"), "roff");
    assert!(page.contains(".TH immich-smart-albums"), "{page}");
    for subcommand in SUBCOMMANDS {
        assert!(
            page.contains(&format!("immich\\-smart\\-albums\\-{subcommand}(1)"))
                || page.contains(subcommand),
            "{subcommand}"
        );
    }
}

#[test]
fn every_command_has_an_example_in_its_help() {
    fn walk(command: &mut clap::Command, path: &str, missing: &mut Vec<String>) {
        let path = format!("{path} {}", command.get_name()).trim().to_string();
        let help = command.render_long_help().to_string();
        if !help.contains("Example") && command.get_name() != "help" {
            missing.push(path.clone());
        }
        for sub in command.get_subcommands_mut() {
            walk(sub, &path, missing);
        }
    }
    let mut missing = Vec::new();
    walk(&mut Cli::command(), "", &mut missing);
    assert!(missing.is_empty(), "no example in the help of: {missing:?}");
}

/// The options every command takes (`-v`, `--timeout`, `--state-dir`, …) stand under "Global options"
/// in the help of the tool and of every subcommand; the Python-compatible headings stay on the flags
/// that only the tool without a subcommand takes.
#[test]
fn the_global_options_have_their_own_heading_in_every_help() {
    /// The lines of a help text under a heading, up to the next heading.
    fn under(help: &str, heading: &str) -> String {
        let start = help
            .find(&format!("\n{heading}:\n"))
            .unwrap_or_else(|| panic!("no heading {heading}:\n{help}"));
        help[start + heading.len() + 3..]
            .lines()
            .take_while(|l| l.is_empty() || l.starts_with(' ') || !l.ends_with(':'))
            .collect::<Vec<_>>()
            .join("\n")
    }
    const GLOBAL: &[&str] = &[
        "-v, --verbose",
        "--timeout <SECONDS>",
        "--connect-timeout <SECONDS>",
        "--max-in-flight <N>",
        "--state-dir <DIR>",
    ];

    let output = bin().args(["sync", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = stdout_of(&output);
    let global = under(&help, "Global options");
    for option in GLOBAL {
        assert!(
            global.contains(option),
            "{option} under Global options:\n{help}"
        );
        assert_eq!(help.matches(option).count(), 1, "{option} once:\n{help}");
    }
    assert!(under(&help, "Options").contains("--quiet"), "{help}");
    assert!(!help.contains("Python-compatible"), "{help}");

    fn walk(command: &mut clap::Command, path: &str, wrong: &mut Vec<String>) {
        let path = format!("{path} {}", command.get_name());
        for help in [command.render_help(), command.render_long_help()] {
            let help = help.to_string();
            if help.contains("Python-compatible") || !help.contains("\nGlobal options:\n") {
                wrong.push(path.clone());
            }
        }
        for sub in command.get_subcommands_mut() {
            if sub.get_name() != "help" {
                walk(sub, &path, wrong);
            }
        }
    }
    let mut root = Cli::command();
    // As parsing does: global options reach the subcommands.
    root.build();
    let mut wrong = Vec::new();
    for sub in root.get_subcommands_mut() {
        if sub.get_name() != "help" {
            walk(sub, "immich-smart-albums", &mut wrong);
        }
    }
    assert!(wrong.is_empty(), "headings wrong in the help of: {wrong:?}");

    // Without a subcommand: the Python-compatible flags under their headings, then the global ones.
    let output = bin().arg("--help").output().unwrap();
    let help = stdout_of(&output);
    assert!(
        under(&help, "Python-compatible options (no subcommand)")
            .contains("--include-metadata-file")
    );
    let current = under(
        &help,
        "Python-compatible options, current version (no subcommand)",
    );
    assert!(current.contains("--include-person-names-union"), "{help}");
    assert!(!current.contains("--timeout"), "{help}");
    let global = under(&help, "Global options");
    for option in GLOBAL {
        assert!(
            global.contains(option),
            "{option} under Global options:\n{help}"
        );
    }
}
