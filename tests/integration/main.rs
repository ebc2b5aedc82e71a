//! The integration tests, one module per concern, in one test binary: each binary costs seconds to
//! compile and link, and twenty of them made a clean `cargo test` twice as slow as the build. Run one
//! concern with `cargo test --test integration jobs::`. `tests/copy_memory.rs` stays a binary of its
//! own because it measures its own process's memory.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod bench;
mod cli;
mod client;
mod conformance;
mod demo;
mod dropin;
mod dropin_current;
mod examples;
mod faults;
mod health;
mod html;
mod immich_versions;
mod incremental;
mod jobs;
mod life;
mod limits;
mod months;
mod notify;
mod profiles;
mod prune;
mod reliability;
mod secrets;
mod servers;
mod sync;
