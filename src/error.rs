//! How a run ends. Every command returns a [`Status`]; several outcomes (job files, jobs) combine into
//! their worst, `max`, because the statuses are ordered from best to worst. Everything the user got
//! wrong (a flag, a filter file, an album name) is an [`InputError`] and ends with [`Status::Input`]
//! (2), before anything changed on the server; an [`Interrupted`] run with 130 or 143; everything else
//! (the server refused, timed out or broke) with [`Status::Failure`] (1). [`Status::of`] is the one
//! place that turns an error into a status, and [`print`] the one way an error is shown.

use std::fmt;

/// How a run ended, from best to worst: the worst of several outcomes is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Success: a preview, or everything added (or already there) and removed: 0.
    Ok,
    /// A server-side failure: a search, a page, an add or a removal failed, or was refused: 1.
    Failure,
    /// A usage or input error; nothing was changed on the server: 2.
    Input,
    /// Stopped by Ctrl-C (128 + SIGINT): 130.
    Interrupted,
    /// Stopped by SIGTERM (128 + SIGTERM): 143.
    Terminated,
}

impl Status {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Failure => 1,
            Status::Input => 2,
            Status::Interrupted => 130,
            Status::Terminated => 143,
        }
    }

    /// The status an error ends a run with.
    pub fn of(error: &anyhow::Error) -> Status {
        if let Some(interrupted) = interrupted(error) {
            interrupted.status
        } else if error.chain().any(|cause| cause.is::<InputError>()) {
            Status::Input
        } else {
            Status::Failure
        }
    }
}

/// Shows an error on stderr, with its causes: the one way errors reach the user.
pub fn print(error: &anyhow::Error) {
    eprintln!("error: {error:#}");
}

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
    pub status: Status,
}

impl Interrupted {
    pub fn ctrl_c() -> Interrupted {
        Interrupted {
            signal: "Ctrl-C",
            status: Status::Interrupted,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_status_wins_and_errors_map_to_theirs() {
        assert_eq!(Status::Ok.max(Status::Failure), Status::Failure);
        assert_eq!(Status::Input.max(Status::Failure), Status::Input);
        assert_eq!(Status::Terminated.max(Status::Input), Status::Terminated);
        let codes: Vec<u8> = [
            Status::Ok,
            Status::Failure,
            Status::Input,
            Status::Interrupted,
            Status::Terminated,
        ]
        .iter()
        .map(|s| s.code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 130, 143]);
        assert_eq!(
            Status::of(&input_error("x").context("while y")),
            Status::Input
        );
        assert_eq!(Status::of(&anyhow::anyhow!("server down")), Status::Failure);
        assert_eq!(
            Status::of(&anyhow::Error::new(Interrupted::ctrl_c())),
            Status::Interrupted
        );
    }
}
