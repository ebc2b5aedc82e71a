//! The commands: each turns checked arguments into a run of the engine (filters, jobs, albums, the
//! record) and hands what it found to [`crate::report`]. The engine never calls back into these.
//!
//! - [`dropin`]: the Python-compatible command line (no subcommand);
//! - [`jobs`]: `preview`, `sync` and `state`: job files against their profile's accounts;
//! - [`demo`]: `demo` and `sim`, on the built-in simulator;
//! - [`bench`]: the `bench` command;
//! - [`shell`]: `completions` and `man`.
//!
//! `profiles …` lives with the profiles it manages, in [`crate::profile`].

pub mod bench;
pub mod demo;
pub mod dropin;
pub mod jobs;
pub mod schedule;
pub mod shell;
