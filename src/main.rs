//! The binary: parse the command line, set up logging, run, and turn the outcome into an exit code.
//! Every error reaches this one place.

use std::process::ExitCode;

use immich_smart_albums::cli::Cli;
use immich_smart_albums::error::{self, Status};
use immich_smart_albums::{logging, run};

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    logging::init(cli.global.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let status = match runtime.block_on(run(cli)) {
        Ok(status) => status,
        Err(error) => {
            error::print(&error);
            Status::of(&error)
        }
    };
    // After an interrupt, a blocking step may still wait on its thread (the key prompt reading the
    // terminal): give it a moment to put the terminal back, but do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    ExitCode::from(status.code())
}
