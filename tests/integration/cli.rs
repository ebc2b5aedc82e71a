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
