//! immich-smart-albums: keeps Immich albums filled from searches and local filters.
//!
//! The data flows one way: command line ([`cli`]) → a command ([`cmd`]) → filters ([`filter`]) →
//! per-account searches through the client ([`immich`]) → a job's pipeline ([`job`]: plan, search,
//! merge, decide, effects on the album ([`album`]) and the record ([`state`])) → the report, printed by
//! [`output`]. [`profile`] holds the named sets of accounts, their keys and the run settings. `sim` is
//! an Immich simulator for tests, the demo and benchmarks, built with the `sim` feature (on by
//! default). `ARCHITECTURE.md` is the map; `architecture.rs` keeps the imports pointing down.

pub mod album;
#[cfg(test)]
mod architecture;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod error;
pub mod files;
pub mod filter;
pub mod immich;
pub mod job;
pub mod logging;
pub mod notify;
pub mod output;
pub mod profile;
pub mod secret;
#[cfg(feature = "sim")]
pub mod sim;
pub mod state;

use cli::{Cli, Command};
#[cfg(feature = "sim")]
use cmd::{bench, demo};
use cmd::{dropin, preview, profiles, shell, state as record, sync};
use error::Status;

/// Runs a parsed command line; returns the status of a run that finished. Ctrl-C or SIGTERM stops a
/// run cleanly: requests in flight are dropped, key commands still running are killed, the sync lock
/// is released, and the next run completes the work (adding is idempotent). Nothing local is
/// half-written: every file written (profiles, key files, reports) is replaced whole (see [`files`]).
///
/// The signals are listened to before the command starts, and checked first whenever the run wakes,
/// so an interrupt always ends in 130 or 143, also while a blocking step (the key prompt, a key
/// command, the keyring) waits on its own thread.
pub async fn run(cli: Cli) -> anyhow::Result<Status> {
    #[cfg(feature = "sim")]
    if let Some(Command::Sim(args)) = &cli.command {
        // Ctrl-C is how the simulator is meant to stop.
        return demo::serve(args).await;
    }
    let signals = Signals::listen();
    let stopped = |name: &str, status: Status| {
        profile::stop_key_commands();
        if cmd::schedule::between_runs() {
            eprintln!("stopped by {name} between runs");
            return Ok(Status::Ok);
        }
        eprintln!(
            "interrupted by {name}: stopped cleanly; what was added stays, and the next run \
             completes the work"
        );
        Ok(status)
    };
    tokio::select! {
        biased;
        (name, status) = signals.wait() => stopped(name, status),
        result = dispatch(cli) => match result.as_ref().err().and_then(error::interrupted) {
            Some(interrupt) => stopped(interrupt.signal, interrupt.status),
            None => result,
        },
    }
}

/// Ctrl-C and (on Unix) SIGTERM, listened to from the moment this is made: from then on, neither
/// ends the process by the default action.
struct Signals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn listen() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let unix = signal(SignalKind::interrupt())
                .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)));
            Signals { unix: unix.ok() }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    /// Waits for the first signal: its name and the status it ends the run with.
    async fn wait(self) -> (&'static str, Status) {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = self.unix {
            return tokio::select! {
                biased;
                _ = terminate.recv() => ("SIGTERM", Status::Terminated),
                _ = interrupt.recv() => ("Ctrl-C", Status::Interrupted),
            };
        }
        let _ = tokio::signal::ctrl_c().await;
        ("Ctrl-C", Status::Interrupted)
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        None => {
            let dropin = dropin::DropIn::from_args(&cli.dropin, &cli.global)?;
            dropin.preview_or_add(&mut output::stdout()).await
        }
        #[cfg(feature = "sim")]
        Some(Command::Demo(args)) => demo::demo(&args, &cli.global).await,
        #[cfg(feature = "sim")]
        Some(Command::Sim(args)) => demo::serve(&args).await,
        Some(Command::Profiles(args)) => profiles::profiles(&args, &cli.global).await,
        Some(Command::Preview(args)) => preview::preview(&args, &cli.global).await,
        Some(Command::Sync(args)) => sync::sync(&args, &cli.global).await,
        Some(Command::State(args)) => record::state(&args.command, &cli.global),
        Some(Command::Completions(args)) => shell::completions(args.shell),
        Some(Command::Man) => shell::man(),
        #[cfg(feature = "sim")]
        Some(Command::Bench(args)) => bench::bench(&args, &cli.global).await,
    }
}
