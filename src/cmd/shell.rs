//! What a packaged install needs besides the binary: shell completion scripts (`completions SHELL`,
//! through clap_complete) and the man page (`man`, through clap_mangen), both generated from the same
//! clap definitions as `--help`, so they cannot drift from it. They are printed through `report`.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Status;
use crate::output;

/// The binary's name, as completions and the man page call it.
const NAME: &str = "immich-smart-albums";

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), NAME, &mut script);
    script
}

/// The man page, in roff.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    Ok(page)
}

/// `completions SHELL`.
pub fn completions(shell: Shell) -> anyhow::Result<Status> {
    output::generated(&mut output::stdout(), &completion_script(shell))?;
    Ok(Status::Ok)
}

/// `man`.
pub fn man() -> anyhow::Result<Status> {
    output::generated(&mut output::stdout(), &man_page()?)?;
    Ok(Status::Ok)
}
