//! The commands: each turns checked arguments into a run of the engine (filters, jobs, albums, the
//! record) and hands what it found to [`crate::output`], which prints it. The engine never calls back
//! into these.
//!
//! - [`preview`], [`sync`] (with [`schedule`] and [`lock`]) and [`state`] (with [`health`]): job files against their
//!   profile's accounts, through [`jobfile`] (loading and checking a job file), [`connect`] (its
//!   accounts) and [`run`] (its jobs, each to its end);
//! - [`dropin`]: the Python-compatible command line (no subcommand);
//! - `demo`: `demo` and `sim`, on the built-in simulator; `bench`: the `bench` command, on the
//!   simulator too (both with the `sim` feature);
//! - [`shell`]: `completions` and `man`.
//!
//! - [`profiles`]: `profiles …`, over the profiles and keys of [`crate::profile`].

#[cfg(feature = "sim")]
pub mod bench;
pub mod connect;
#[cfg(feature = "sim")]
pub mod demo;
pub mod dropin;
pub mod health;
pub mod jobfile;
pub mod lock;
pub mod preview;
pub mod profiles;
pub mod run;
pub mod schedule;
pub mod shell;
pub mod state;
pub mod sync;
