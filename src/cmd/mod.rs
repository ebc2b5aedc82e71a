//! The commands: each turns checked arguments into a run of the engine (filters, jobs, albums, the
//! record) and hands what it found to [`crate::report`]. The engine never calls back into these.
//!
//! - [`dropin`]: the Python-compatible command line (no subcommand);
//! - [`jobs`]: `preview`, `sync` and `state`: job files against their profile's accounts;
//! - `demo`: `demo` and `sim`, on the built-in simulator (with the `sim` feature);
//! - `bench`: the `bench` command, on the simulator too (with the `sim` feature);
//! - [`shell`]: `completions` and `man`.
//!
//! `profiles …` lives with the profiles it manages, in [`crate::profile`].

#[cfg(feature = "sim")]
pub mod bench;
#[cfg(feature = "sim")]
pub mod demo;
pub mod dropin;
pub mod jobs;
pub mod schedule;
pub mod shell;
