//! Everything the tool prints to stdout, one module per command: [`job`] (the reports of `preview`
//! and `sync`), [`state`] (`state show`, `state forget`), [`profiles`] (`profiles ...`), [`dropin`]
//! (the Python-compatible command line), what a sync's notifications say ([`notify`]), and the HTML
//! preview page ([`html`]). No other module writes
//! to stdout; warnings and traces go to stderr through `tracing` (see `logging.rs`). Each function
//! writes to any `io::Write`, so tests read exactly what a user sees. Output imports the data it
//! prints (reports, the record's rows) and nothing above it.

pub mod dropin;
pub mod html;
pub mod job;
pub mod notify;
pub mod profiles;
pub mod state;

use std::io::{self, Write};

/// Standard output, locked, for one report.
pub fn stdout() -> io::StdoutLock<'static> {
    io::stdout().lock()
}

/// A heading between the steps of the demo.
pub fn heading(out: &mut impl Write, text: &str) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "== {text}")?;
    writeln!(out)
}

/// A generated document as it is: a completion script, the man page, an HTML report without --output.
pub fn generated(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

/// A line of explanation, for the demo and the simulator.
pub fn line(out: &mut impl Write, text: &str) -> io::Result<()> {
    writeln!(out, "{text}")
}

/// A count and its noun, which takes an `s` unless the count is one: `1 account`, `2 accounts`,
/// `0 accounts`. Every count written before a noun in the output goes through here.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// One count on its own line, its label padded.
pub(crate) fn row(out: &mut impl Write, label: &str, count: usize) -> io::Result<()> {
    writeln!(out, "  {label:<52} {count:>7}")
}

pub(crate) fn explain_refusal(reason: &str) -> &'static str {
    match reason {
        "no_permission" => "the account neither owns them nor is their partner",
        "not_found" => "no such asset",
        "validation" => "the server rejected the ids",
        _ => "see the server log",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_count_of_one_takes_the_singular() {
        assert_eq!(super::count(0, "account"), "0 accounts");
        assert_eq!(super::count(1, "account"), "1 account");
        assert_eq!(super::count(2, "account"), "2 accounts");
        assert_eq!(super::count(1000, "asset"), "1000 assets");
    }
}
