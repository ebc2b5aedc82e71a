//! The command line, as clap sees it: raw values only. Checking them and turning them into ready objects
//! happens in the module of each command (`dropin.rs` for the Python-compatible flags).
//!
//! Run with no subcommand, the tool takes the Python `immich-smart-albums.py` flags and behaves like that
//! script, so existing cron lines keep working.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod dropin;

pub use dropin::{CurrentArgs, CurrentFlags, DropInArgs, Occurrences};

/// The examples after the flags, all but the demo's (which needs the simulator: the `sim` feature).
macro_rules! examples_without_the_simulator {
    () => {
        "  # Preview (nothing changes): photos of Jane or John taken since 2021, without dogs
  export IMMICH_SERVER_URL=https://photos.example.com IMMICH_API_KEY=...
  immich-smart-albums --include-person-names-union \"Jane Doe\" \"John Smith\" \\
      --include-metadata-union '{\"takenAfter\": \"2021-01-01T00:00:00.000Z\"}' \\
      --exclude-smart-union \"dog@300\"

  # The same, added to an existing album given by exact name or UUID
  immich-smart-albums --include-person-names-union \"Jane Doe\" \"John Smith\" --album \"Family\"

  # The Python script's early flags work too (not mixed with the current ones in one run)
  immich-smart-albums --include-metadata-file filters/summer-2023.json \\
      --exclude-smart-file filters/nsfw*.json --album \"Summer 2023\"

  # No filter at all: who the key belongs to, and its albums and people
  immich-smart-albums"
    };
}

#[cfg(feature = "sim")]
const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  # Try it without a server: runs example filters against a built-in simulator\n",
    "  immich-smart-albums demo\n\n",
    examples_without_the_simulator!()
);

#[cfg(not(feature = "sim"))]
const EXAMPLES: &str = concat!("Examples:\n", examples_without_the_simulator!());

#[derive(Debug, Parser)]
#[command(
    name = "immich-smart-albums",
    version,
    about = "Keeps Immich albums filled from searches and local filters",
    long_about = "Keeps Immich albums filled from metadata searches, smart (CLIP) searches and local \
                  JSONPath/regex filters. Without a subcommand it takes the flags of the Python \
                  immich-smart-albums script, early or current: without --album it previews, with \
                  --album it adds. \
                  It never deletes a photo from a library. The drop-in command only adds; jobs \
                  (`sync`) also take out of an album what the tool added and the job no longer \
                  selects, where the job asks for it (`prune`), and never what a person put there.",
    after_help = EXAMPLES,
    // The drop-in flags and the subcommands exclude each other, but the global options may come
    // before a subcommand (`-v sync …`): checked in `Cli::try_parse_args`, since clap's
    // `args_conflicts_with_subcommands` refuses the global options there too.
    // Like Python's argparse: a unique prefix of a long flag is the flag (`--max-a 3`).
    infer_long_args = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub dropin: DropInArgs,

    #[command(flatten)]
    pub global: GlobalArgs,
}

impl Cli {
    /// Parses a command line. Each occurrence of a current flag is kept apart
    /// (`--exclude-person-names-intersection A B --exclude-person-names-intersection C D` is two groups).
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let mut command = Cli::command();
        let matches = command.try_get_matches_from_mut(args)?;
        if let Some((name, _)) = matches.subcommand() {
            let dropin = command.get_arguments().find(|arg| {
                !arg.is_global_set()
                    && matches.value_source(arg.get_id().as_str())
                        == Some(clap::parser::ValueSource::CommandLine)
            });
            if let Some(arg) = dropin {
                let flag = arg
                    .get_long()
                    .map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
                return Err(command.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "the subcommand '{name}' cannot be used with '{flag}' (a flag of the \
                         Python-compatible command, which takes no subcommand)"
                    ),
                ));
            }
        }
        let mut cli = Cli::from_arg_matches(&matches)?;
        cli.dropin.current = CurrentFlags::from_matches(&matches);
        cli.dropin.key_on_command_line =
            matches.value_source("key") == Some(clap::parser::ValueSource::CommandLine);
        Ok(cli)
    }

    /// [`Cli::try_parse_args`] on the process's arguments; a usage error exits as clap does (2).
    pub fn parse_args() -> Cli {
        Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|error| error.exit())
    }
}

/// The `--help` heading of the options every command takes.
const GLOBAL_OPTIONS: &str = "Global options";

/// Options every command takes, under their own heading in every `--help`: without it they would
/// take the heading of the Python-compatible flags flattened before them.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = GLOBAL_OPTIONS)]
pub struct GlobalArgs {
    /// Explain each step and request on stderr (never the API key)
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,

    /// Seconds a request may take before it counts as failed [default: 120; env
    /// IMMICH_SMART_ALBUMS_TIMEOUT; profile `timeout`]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub timeout: Option<u64>,

    /// Seconds to wait for a connection to the server [default: 10; env
    /// IMMICH_SMART_ALBUMS_CONNECT_TIMEOUT; profile `connect_timeout`]
    #[arg(long, global = true, value_name = "SECONDS")]
    pub connect_timeout: Option<u64>,

    /// Requests in flight at once per server [default: 8; env IMMICH_SMART_ALBUMS_MAX_IN_FLIGHT;
    /// profile `max_in_flight`]
    #[arg(long, global = true, value_name = "N")]
    pub max_in_flight: Option<usize>,

    /// Where the record of what the tool added and removed lives (state.sqlite3 in this directory)
    /// [default: ~/.local/state/immich-smart-albums on Linux]
    #[arg(
        long,
        global = true,
        env = crate::state::STATE_DIR_ENV,
        value_name = "DIR"
    )]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the example filters against a built-in simulated Immich server (no network needed)
    #[cfg(feature = "sim")]
    #[command(after_help = "Example:\n  immich-smart-albums demo --assets 2000")]
    Demo(DemoArgs),

    /// Run the Immich simulator standalone on 127.0.0.1, for trying the tool without a server
    #[cfg(feature = "sim")]
    #[command(
        after_help = "Example:\n  immich-smart-albums sim --port 2283 --assets 5000 --accounts alice,bob,carol"
    )]
    Sim(SimArgs),

    /// Manage profiles: named sets of Immich accounts, with their keys kept out of the profile file
    #[command(after_help = PROFILES_EXAMPLES)]
    Profiles(ProfilesArgs),

    /// Show per account what a job file would add, changing nothing
    #[command(after_help = "Examples:\n  \
        immich-smart-albums preview filters/family-kids.yaml\n  \
        immich-smart-albums preview family-kids --job kids --list\n  \
        immich-smart-albums preview filters/family-kids.yaml --format json\n  \
        immich-smart-albums preview filters/family-kids.yaml --format html --output report.html\n\n\
        JOBFILE is a path (it contains / or ends in .yaml), or a name in <config dir>/jobs/. \
        See docs/jobs.md.")]
    Preview(PreviewArgs),

    /// Run job files: add what their albums lack, in every account, and prune what the tool added
    /// and the job no longer selects (for cron)
    #[command(after_help = "Examples:\n  \
        immich-smart-albums sync filters/family-kids.yaml\n  \
        # crontab: every night at 3, one line per job, mail only on errors\n  \
        0 3 * * * immich-smart-albums sync family-kids --quiet\n\n\
        Exit codes: 0 done, 1 something failed on a server, 2 a mistake in a file or flag. \
        See docs/jobs.md.")]
    Sync(SyncArgs),

    /// Show or correct the local record of what the tool added to and removed from albums
    #[command(after_help = "Examples:\n  \
        immich-smart-albums state show filters/family-kids.yaml\n  \
        immich-smart-albums state forget filters/family-kids.yaml --job kids\n\n\
        The record lives in $IMMICH_SMART_ALBUMS_STATE_DIR/state.sqlite3, by default \
        ~/.local/state/immich-smart-albums/state.sqlite3 on Linux. See docs/jobs.md.")]
    State(StateArgs),

    /// Measure a realistic family job against the built-in simulator: time, requests, bytes, CPU, memory
    #[cfg(feature = "sim")]
    #[command(after_help = "Examples:\n  \
        immich-smart-albums bench                                  # 3 accounts x 100,000 assets, 5 ms\n  \
        immich-smart-albums bench --accounts 1 --assets 1000000\n  \
        immich-smart-albums bench --assets 10000 --latency-ms 20 --max-in-flight 4\n\n\
        See docs/performance.md.")]
    Bench(BenchArgs),

    /// Print a shell completion script
    #[command(after_help = "Examples:\n  \
        immich-smart-albums completions bash > ~/.local/share/bash-completion/completions/immich-smart-albums\n  \
        immich-smart-albums completions zsh > ~/.zfunc/_immich-smart-albums\n  \
        immich-smart-albums completions fish > ~/.config/fish/completions/immich-smart-albums.fish\n  \
        immich-smart-albums completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),

    /// Print the man page (roff)
    #[command(after_help = "Example:\n  \
        immich-smart-albums man > immich-smart-albums.1 && man ./immich-smart-albums.1")]
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub command: StateCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum StateCommand {
    /// Per album of a job file: where the record is, and what the tool added, removed and must not
    /// add again
    #[command(after_help = "Example:\n  immich-smart-albums state show family-kids --job kids")]
    Show {
        /// The job file: a path, or a name in <config dir>/jobs/
        #[arg(value_name = "JOBFILE")]
        jobfile: String,
        /// Only this job of the file
        #[arg(long, value_name = "NAME")]
        job: Option<String>,
    },
    /// Drop a job's tombstones: assets a person took out of its albums may be added again
    #[command(after_help = "Example:\n  immich-smart-albums state forget family-kids --job kids")]
    Forget {
        /// The job file: a path, or a name in <config dir>/jobs/
        #[arg(value_name = "JOBFILE")]
        jobfile: String,
        /// The job whose tombstones to drop
        #[arg(long, value_name = "NAME", required = true)]
        job: String,
    },
    /// Whether the last sync ended well and recently: exit 0 if so, 1 if not, with one line that
    /// says which run and why (for a container's HEALTHCHECK, or a monitoring script)
    #[command(after_help = "Examples:\n  \
        immich-smart-albums state health\n  \
        immich-smart-albums state health family-kids --max-age 2d\n\n\
        Healthy: the last run ended with exit status 0, no longer ago than SPAN. It reads only the \
        record; a run that is still going counts from the end of the one before. See docs/cron.md.")]
    Health {
        /// Only the runs of these job files, as sync was given them; each must be healthy
        /// (default: the last run of any)
        #[arg(value_name = "JOBFILE")]
        jobfiles: Vec<String>,
        /// How long ago the last run may have ended (90s, 30m, 6h, 1d); by default twice the
        /// interval of the schedule that ran it (`sync --every`, `--schedule`), else 26h
        #[arg(long, value_name = "SPAN")]
        max_age: Option<String>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// How job reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JobFormat {
    /// A table per job, a column per account
    Text,
    /// One JSON document (see docs/jobs.md)
    Json,
    /// One self-contained HTML page with thumbnails (`preview` only; see docs/jobs.md)
    Html,
}

#[derive(Debug, Clone, Args)]
pub struct PreviewArgs {
    /// The job file: a path, or a name in <config dir>/jobs/
    #[arg(value_name = "JOBFILE")]
    pub jobfile: String,

    /// Only this job of the file
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = JobFormat::Text)]
    pub format: JobFormat,

    /// Also list the links of the assets that would be added
    #[arg(long)]
    pub list: bool,

    /// Write the report to this file instead of stdout (needed for --format html)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// With --format html: thumbnails shown per section; the rest are counted
    #[arg(long, value_name = "N", default_value_t = crate::output::html::DEFAULT_PER_SECTION)]
    pub thumbnails: usize,
}

#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Job files: paths, or names in <config dir>/jobs/
    #[arg(value_name = "JOBFILE", required = true)]
    pub jobfiles: Vec<String>,

    /// Only this job of each file
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,

    /// Print only errors and one summary line per job
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Let removals that the circuit breaker stopped through, this once (see `max_removals`); not
    /// with --every or --schedule
    #[arg(long)]
    pub confirm_removals: bool,

    /// Read everything in this run, not only what changed since the last one (see `full_every`)
    #[arg(long)]
    pub full: bool,

    /// Record what the albums already hold and the job selects now as the tool's own, so that prune
    /// may later remove it (for albums the Python script or an older version filled); once, not
    /// with --every or --schedule
    #[arg(long)]
    pub adopt: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = JobFormat::Text)]
    pub format: JobFormat,

    /// Run again and again, this long apart (90s, 30m, 6h, 1d), until stopped
    #[arg(long, value_name = "INTERVAL", conflicts_with = "schedule")]
    pub every: Option<String>,

    /// Run again and again at the times of a 5-field cron expression ("0 3 * * *"), in the local
    /// time zone (or TZ), until stopped
    #[arg(long, value_name = "CRON")]
    pub schedule: Option<String>,
}

const PROFILES_EXAMPLES: &str = "\
Examples:
  # Add bob's account to the profile `family` (asks for the key; stores it in the OS keyring)
  immich-smart-albums profiles add family bob --server https://photos.example.com

  # Check that every account of the profile answers and its key has the permissions jobs need
  immich-smart-albums profiles test family

Profiles live in $IMMICH_SMART_ALBUMS_CONFIG_DIR/profiles/, by default
~/.config/immich-smart-albums/profiles/ on Linux. See docs/profiles.md for the file format and the key
sources.";

#[derive(Debug, Clone, Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    pub command: ProfilesCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ProfilesCommand {
    /// Check an account's API key, store it, and add the account to a profile (created if needed)
    #[command(after_help = "Examples:\n  \
        # Asks for the key (not echoed), checks it, stores it in the OS keyring\n  \
        immich-smart-albums profiles add family bob --server https://photos.example.com\n\n  \
        # On a headless host: the key from stdin, kept in a file readable only by you\n  \
        pass show immich/bob | immich-smart-albums profiles add family bob \\\n      \
        --server https://photos.example.com --api-key-stdin --store file:/etc/immich/bob.key")]
    Add(ProfilesAddArgs),

    /// List the profiles in the config directory
    #[command(after_help = "Example:\n  immich-smart-albums profiles list")]
    List,

    /// Show a profile's accounts, servers and key sources, and whether each key is found (never the key)
    #[command(after_help = "Example:\n  immich-smart-albums profiles show family")]
    Show(ProfileArg),

    /// Connect with every account of a profile: server version, user and missing permissions
    #[command(
        after_help = "Example:\n  immich-smart-albums profiles test family\n\n\
        Exits with 1 when any account fails; the other accounts are still tested."
    )]
    Test(ProfileArg),

    /// Remove an account from a profile, or the whole profile, with its keyring entries
    #[command(after_help = "Examples:\n  \
        immich-smart-albums profiles remove family bob\n  \
        immich-smart-albums profiles remove family")]
    Remove(ProfilesRemoveArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ProfileArg {
    /// Profile name (a file in <config dir>/profiles/) or path to a .yaml file
    #[arg(value_name = "PROFILE")]
    pub profile: String,
}

#[derive(Debug, Clone, Args)]
pub struct ProfilesAddArgs {
    /// Profile name (a file in <config dir>/profiles/) or path to a .yaml file
    #[arg(value_name = "PROFILE")]
    pub profile: String,

    /// Account name within the profile, e.g. bob
    #[arg(value_name = "ACCOUNT")]
    pub account: String,

    /// Immich server: https://host or https://host/api
    #[arg(long, value_name = "URL")]
    pub server: String,

    /// Read the API key from stdin instead of asking for it
    #[arg(long)]
    pub api_key_stdin: bool,

    /// Where to keep the key: `keyring` (the OS keyring) or `file:PATH` (written with mode 0600)
    #[arg(long, value_name = "keyring|file:PATH", default_value = "keyring")]
    pub store: String,

    /// Add the account even when its key lacks permissions that jobs need
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ProfilesRemoveArgs {
    /// Profile name (a file in <config dir>/profiles/) or path to a .yaml file
    #[arg(value_name = "PROFILE")]
    pub profile: String,

    /// The account to remove; without it, the whole profile is removed
    #[arg(value_name = "ACCOUNT")]
    pub account: Option<String>,
}

#[cfg(feature = "sim")]
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Assets per simulated account
    #[arg(long, default_value_t = 1500)]
    pub assets: usize,

    /// Seed of the simulated library
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[cfg(feature = "sim")]
#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 2283)]
    pub port: u16,

    /// Assets per account
    #[arg(long, default_value_t = 1000)]
    pub assets: usize,

    /// Seed of the generated library
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Account names
    #[arg(long, value_delimiter = ',', default_value = "alice,bob")]
    pub accounts: Vec<String>,

    /// Milliseconds added to every answer, to stand for a home network
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// The Immich release line to answer as: 2.5 or 3.1
    #[arg(long, value_name = "LINE", default_value = "3.1")]
    pub immich_version: crate::immich::ImmichLine,
}

#[cfg(feature = "sim")]
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Accounts in the simulated family (1 to 8)
    #[arg(long, default_value_t = 3)]
    pub accounts: usize,

    /// Assets per account
    #[arg(long, default_value_t = 100_000)]
    pub assets: usize,

    /// Milliseconds the simulator waits before answering each request
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub latency_ms: u64,

    /// Seed of the generated library
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_a_subcommand_and_drop_in_flags_never_beside_one() {
        for args in [
            &["isa", "-v", "sync", "jobs.yaml"][..],
            &["isa", "--timeout", "30", "sync", "jobs.yaml"][..],
            &["isa", "sync", "-v", "jobs.yaml"][..],
        ] {
            let cli = Cli::try_parse_args(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(matches!(cli.command, Some(Command::Sync(_))), "{args:?}");
        }
        let cli = Cli::try_parse_args(["isa", "-v", "sync", "jobs.yaml"]).unwrap();
        assert!(cli.global.verbose);
        let error = Cli::try_parse_args(["isa", "--album", "Kids", "sync", "jobs.yaml"])
            .expect_err("a drop-in flag beside a subcommand is refused");
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
        assert!(error.to_string().contains("'--album'"), "{error}");
    }

    #[test]
    fn filter_flags_repeat_and_take_several_files() {
        let cli = Cli::try_parse_from([
            "immich-smart-albums",
            "--include-metadata-file",
            "a.json",
            "b.json",
            "--exclude-smart-file",
            "n1.json",
            "--include-metadata-file=c.json",
            "--album",
            "Kids",
        ])
        .unwrap();
        assert!(cli.command.is_none());
        assert_eq!(
            cli.dropin.include_metadata_file,
            ["a.json", "b.json", "c.json"].map(PathBuf::from)
        );
        assert_eq!(cli.dropin.exclude_smart_file, [PathBuf::from("n1.json")]);
        assert_eq!(cli.dropin.album.as_deref(), Some("Kids"));
    }
}
