//! Errors that decide the exit code. Everything the user got wrong (a flag, a filter file, an album
//! name) is an [`InputError`] and exits with 2, before anything changed on the server; an [`Interrupted`]
//! run exits with 130 or 143; everything else (the server refused, timed out or broke) exits with 1.
//! `main` is the one place that turns an error into an exit code, through [`exit_code`].

use std::fmt;

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code for a server-side failure: a search, a page or an add that failed.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for a usage or input error; nothing was changed on the server.
pub const EXIT_INPUT: i32 = 2;

/// A mistake in what the user gave us: its message names the file, the field or flag, and what was
/// expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl InputError {
    pub fn new(message: impl Into<String>) -> InputError {
        InputError(message.into())
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Shorthand for returning an [`InputError`] as an `anyhow::Error`.
pub fn input_error(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(InputError::new(message))
}

/// The run was stopped by a signal, noticed by a step that was waiting for it (the key prompt reads
/// Ctrl-C itself and passes it on as SIGINT). Never an input error: it ends with 130 or 143.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    /// `Ctrl-C` or `SIGTERM`.
    pub signal: &'static str,
    pub code: i32,
}

impl Interrupted {
    pub fn ctrl_c() -> Interrupted {
        Interrupted {
            signal: "Ctrl-C",
            code: crate::EXIT_INTERRUPTED,
        }
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interrupted by {}", self.signal)
    }
}

impl std::error::Error for Interrupted {}

/// The interrupt behind an error, if it is one.
pub fn interrupted(error: &anyhow::Error) -> Option<Interrupted> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Interrupted>())
        .copied()
}

/// The exit code an error ends the program with.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    if let Some(interrupted) = interrupted(error) {
        interrupted.code
    } else if error.chain().any(|cause| cause.is::<InputError>()) {
        EXIT_INPUT
    } else {
        EXIT_FAILURE
    }
}
