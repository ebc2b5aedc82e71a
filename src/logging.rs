//! Diagnostics on stderr through `tracing`: warnings always (`warning: …`), and with `--verbose` every
//! step and request (endpoint, status, size, time; never a header, so never a key). The environment
//! variable `IMMICH_SMART_ALBUMS_LOG` takes a `tracing` filter for finer control.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// `warning: message`, with no timestamps or targets: this is a command-line tool, not a service.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(writer, "{level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Installs the stderr logger once; later calls (tests, the demo) are no-ops.
pub fn init(verbose: bool) {
    let filter = EnvFilter::try_from_env("IMMICH_SMART_ALBUMS_LOG").unwrap_or_else(|_| {
        EnvFilter::new(if verbose {
            "warn,immich_smart_albums=debug"
        } else {
            "warn"
        })
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(Plain)
        .try_init();
}
