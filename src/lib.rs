//! immich-smart-albums: keeps Immich albums filled from searches and local filters.
//!
//! The data flows one way: command line ([`cli`]) → filters ([`filter`]) → per-account searches through
//! the client ([`immich`]) → the selection ([`job`]) → the album ([`album`]) → the report ([`report`]).
//! [`profile`] holds the named sets of accounts, their keys and the run settings. [`sim`] is an Immich
//! simulator for tests, the demo and benchmarks.

pub mod album;
pub mod bench;
pub mod cli;
pub mod demo;
pub mod dropin;
pub mod error;
pub mod filter;
pub mod immich;
pub mod job;
pub mod jobcmd;
pub mod logging;
pub mod profile;
pub mod report;
pub mod secret;
pub mod sim;

use cli::{Cli, Command};

/// Runs a parsed command line; returns the exit code of a run that finished.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        None => {
            let dropin = dropin::DropIn::from_args(&cli.dropin, &cli.global)?;
            dropin.run(&mut report::stdout()).await
        }
        Some(Command::Demo(args)) => demo::run(&args, &cli.global).await,
        Some(Command::Sim(args)) => demo::serve(&args).await,
        Some(Command::Profiles(args)) => profile::run(&args, &cli.global).await,
        Some(Command::Preview(args)) => jobcmd::preview(&args, &cli.global).await,
        Some(Command::Sync(args)) => jobcmd::sync(&args, &cli.global).await,
        Some(Command::Bench(args)) => bench::run(&args, &cli.global).await,
    }
}
