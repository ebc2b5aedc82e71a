//! The Python script's command lines (no subcommand), as clap sees them: the early flags
//! ([`DropInArgs`]) and the current version's union and intersection flags ([`CurrentArgs`],
//! [`CurrentFlags`]). Raw values only; `cmd/dropin/` checks them.

use std::path::PathBuf;

use clap::{ArgAction, Args};

/// The Python script's flags. Each filter flag may be repeated and takes one or more files, so a shell
/// glob such as `filters/nsfw*.json` works; every occurrence counts.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Python-compatible options (no subcommand)")]
pub struct DropInArgs {
    /// Immich API key
    #[arg(
        long,
        env = "IMMICH_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub key: Option<String>,

    /// Immich server URL: https://host or https://host/api
    #[arg(long, env = "IMMICH_SERVER_URL", value_name = "URL")]
    pub server: Option<String>,

    /// Album to add the result to: its UUID or exact name. Without it, only a preview is shown
    #[arg(long, value_name = "UUID_OR_NAME")]
    pub album: Option<String>,

    /// Keep at most this many assets (the first ones in the primary search's order)
    #[arg(long, value_name = "N", alias = "max")]
    pub max_assets: Option<usize>,

    /// Metadata search JSON files; every one must match (intersection)
    #[arg(long, value_name = "FILE", num_args = 1.., action = ArgAction::Append)]
    pub include_metadata_file: Vec<PathBuf>,

    /// Smart search JSON files (with resultLimit); every one must match
    #[arg(long, value_name = "FILE", num_args = 1.., action = ArgAction::Append)]
    pub include_smart_file: Vec<PathBuf>,

    /// Metadata search JSON files; any match removes an asset
    #[arg(long, value_name = "FILE", num_args = 1.., action = ArgAction::Append)]
    pub exclude_metadata_file: Vec<PathBuf>,

    /// Smart search JSON files (with resultLimit); any match removes an asset
    #[arg(long, value_name = "FILE", num_args = 1.., action = ArgAction::Append)]
    pub exclude_smart_file: Vec<PathBuf>,

    /// Local JSONPath/regex rule files; every rule must match
    #[arg(long, value_name = "FILE", num_args = 1.., action = ArgAction::Append)]
    pub include_local_filter_file: Vec<PathBuf>,

    /// Local JSONPath/regex rule files; any matching rule removes an asset
    #[arg(long, value_name = "FILE", num_args = 1.., action = ArgAction::Append)]
    pub exclude_local_filter_file: Vec<PathBuf>,

    #[command(flatten)]
    pub current_args: CurrentArgs,

    /// The current flags with their occurrences, filled by [`Cli::try_parse_args`].
    #[arg(skip)]
    pub current: CurrentFlags,

    /// Whether `--key` came on the command line (not from `IMMICH_API_KEY`), filled by
    /// [`Cli::try_parse_args`]: other users of the host can read it there.
    #[arg(skip)]
    pub key_on_command_line: bool,
}

impl DropInArgs {
    /// The early filter flags given, by name (`--include-metadata-file`, ...).
    pub fn early_flags(&self) -> Vec<&'static str> {
        [
            (
                "--include-metadata-file",
                self.include_metadata_file.is_empty(),
            ),
            ("--include-smart-file", self.include_smart_file.is_empty()),
            (
                "--exclude-metadata-file",
                self.exclude_metadata_file.is_empty(),
            ),
            ("--exclude-smart-file", self.exclude_smart_file.is_empty()),
            (
                "--include-local-filter-file",
                self.include_local_filter_file.is_empty(),
            ),
            (
                "--exclude-local-filter-file",
                self.exclude_local_filter_file.is_empty(),
            ),
        ]
        .into_iter()
        .filter(|(_, empty)| !empty)
        .map(|(name, _)| name)
        .collect()
    }
}

/// Values of one flag, one list per occurrence: `--exclude-person-names-intersection A B
/// --exclude-person-names-intersection C D` is `[[A, B], [C, D]]`.
pub type Occurrences = Vec<Vec<String>>;

/// The Python script's current flags (`--include-smart-union dog@500`, ...). Every flag may be repeated
/// and takes one or more values. Union values: any of them; intersection values: all of them.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Python-compatible options, current version (no subcommand)")]
pub struct CurrentArgs {
    /// Photos showing any of these people (exact names as in Immich, or lowercase person UUIDs)
    #[arg(long, value_name = "NAME_OR_UUID", num_args = 1.., action = ArgAction::Append)]
    pub include_person_names_union: Vec<String>,
    /// Photos showing all of these people
    #[arg(long, value_name = "NAME_OR_UUID", num_args = 1.., action = ArgAction::Append)]
    pub include_person_names_intersection: Vec<String>,
    /// Leave out photos showing any of these people
    #[arg(long, value_name = "NAME_OR_UUID", num_args = 1.., action = ArgAction::Append)]
    pub exclude_person_names_union: Vec<String>,
    /// Leave out photos showing all of these people together (each use of the flag is its own group)
    #[arg(long, value_name = "NAME_OR_UUID", num_args = 1.., action = ArgAction::Append)]
    pub exclude_person_names_intersection: Vec<String>,
    #[arg(long, hide = true, num_args = 1.., action = ArgAction::Append)]
    pub include_person_ids_union: Vec<String>,
    #[arg(long, hide = true, num_args = 1.., action = ArgAction::Append)]
    pub include_person_ids_intersection: Vec<String>,
    #[arg(long, hide = true, num_args = 1.., action = ArgAction::Append)]
    pub exclude_person_ids_union: Vec<String>,
    #[arg(long, hide = true, num_args = 1.., action = ArgAction::Append)]
    pub exclude_person_ids_intersection: Vec<String>,

    /// Metadata searches, any of which selects: inline JSON ('{"isFavorite": true}') or a .json file
    #[arg(long, value_name = "JSON_OR_FILE", num_args = 1.., action = ArgAction::Append)]
    pub include_metadata_union: Vec<String>,
    /// Metadata searches that must all match
    #[arg(long, value_name = "JSON_OR_FILE", num_args = 1.., action = ArgAction::Append)]
    pub include_metadata_intersection: Vec<String>,
    /// Metadata searches, any of which leaves an asset out
    #[arg(long, value_name = "JSON_OR_FILE", num_args = 1.., action = ArgAction::Append)]
    pub exclude_metadata_union: Vec<String>,
    /// Metadata searches that leave out what they all match (each use of the flag is its own group)
    #[arg(long, value_name = "JSON_OR_FILE", num_args = 1.., action = ArgAction::Append)]
    pub exclude_metadata_intersection: Vec<String>,

    /// Smart searches, any of which selects: a query ("dog", "dog@500" for the best 500), inline JSON
    /// or a .json file
    #[arg(long, value_name = "QUERY", num_args = 1.., action = ArgAction::Append)]
    pub include_smart_union: Vec<String>,
    /// Smart searches that must all match
    #[arg(long, value_name = "QUERY", num_args = 1.., action = ArgAction::Append)]
    pub include_smart_intersection: Vec<String>,
    /// Smart searches, any of which leaves an asset out
    #[arg(long, value_name = "QUERY", num_args = 1.., action = ArgAction::Append)]
    pub exclude_smart_union: Vec<String>,
    /// Smart searches that leave out what they all match (each use of the flag is its own group)
    #[arg(long, value_name = "QUERY", num_args = 1.., action = ArgAction::Append)]
    pub exclude_smart_intersection: Vec<String>,

    /// Local filters, any of which keeps an asset: a file of rules, an inline JSON list, or PATH:REGEX
    /// ('$.exifInfo.make:apple')
    #[arg(long, value_name = "FILTER", num_args = 1.., action = ArgAction::Append)]
    pub include_local_filter_union: Vec<String>,
    /// Local filters that must all match
    #[arg(long, value_name = "FILTER", num_args = 1.., action = ArgAction::Append)]
    pub include_local_filter_intersection: Vec<String>,
    /// Local filters, any of which leaves an asset out
    #[arg(long, value_name = "FILTER", num_args = 1.., action = ArgAction::Append)]
    pub exclude_local_filter_union: Vec<String>,
    /// Local filters that leave out what they all match (each use of the flag is its own group)
    #[arg(long, value_name = "FILTER", num_args = 1.., action = ArgAction::Append)]
    pub exclude_local_filter_intersection: Vec<String>,

    /// How many results a smart query takes when it names no limit [default: 200]
    #[arg(long, value_name = "N")]
    pub default_smart_result_limit: Option<usize>,
}

/// The current flags, each occurrence of a flag apart (clap's derive cannot keep them apart, so they
/// are read from the matches: see [`Cli::try_parse_args`]).
#[derive(Debug, Clone, Default)]
pub struct CurrentFlags {
    pub include_person_names_union: Occurrences,
    pub include_person_names_intersection: Occurrences,
    pub exclude_person_names_union: Occurrences,
    pub exclude_person_names_intersection: Occurrences,
    pub include_person_ids_union: Occurrences,
    pub include_person_ids_intersection: Occurrences,
    pub exclude_person_ids_union: Occurrences,
    pub exclude_person_ids_intersection: Occurrences,
    pub include_metadata_union: Occurrences,
    pub include_metadata_intersection: Occurrences,
    pub exclude_metadata_union: Occurrences,
    pub exclude_metadata_intersection: Occurrences,
    pub include_smart_union: Occurrences,
    pub include_smart_intersection: Occurrences,
    pub exclude_smart_union: Occurrences,
    pub exclude_smart_intersection: Occurrences,
    pub include_local_filter_union: Occurrences,
    pub include_local_filter_intersection: Occurrences,
    pub exclude_local_filter_union: Occurrences,
    pub exclude_local_filter_intersection: Occurrences,
    pub default_smart_result_limit: Option<usize>,
}

impl CurrentFlags {
    pub(super) fn from_matches(matches: &clap::ArgMatches) -> CurrentFlags {
        let occurrences = |id: &str| -> Occurrences {
            matches
                .get_occurrences::<String>(id)
                .map(|o| o.map(|values| values.cloned().collect()).collect())
                .unwrap_or_default()
        };
        CurrentFlags {
            include_person_names_union: occurrences("include_person_names_union"),
            include_person_names_intersection: occurrences("include_person_names_intersection"),
            exclude_person_names_union: occurrences("exclude_person_names_union"),
            exclude_person_names_intersection: occurrences("exclude_person_names_intersection"),
            include_person_ids_union: occurrences("include_person_ids_union"),
            include_person_ids_intersection: occurrences("include_person_ids_intersection"),
            exclude_person_ids_union: occurrences("exclude_person_ids_union"),
            exclude_person_ids_intersection: occurrences("exclude_person_ids_intersection"),
            include_metadata_union: occurrences("include_metadata_union"),
            include_metadata_intersection: occurrences("include_metadata_intersection"),
            exclude_metadata_union: occurrences("exclude_metadata_union"),
            exclude_metadata_intersection: occurrences("exclude_metadata_intersection"),
            include_smart_union: occurrences("include_smart_union"),
            include_smart_intersection: occurrences("include_smart_intersection"),
            exclude_smart_union: occurrences("exclude_smart_union"),
            exclude_smart_intersection: occurrences("exclude_smart_intersection"),
            include_local_filter_union: occurrences("include_local_filter_union"),
            include_local_filter_intersection: occurrences("include_local_filter_intersection"),
            exclude_local_filter_union: occurrences("exclude_local_filter_union"),
            exclude_local_filter_intersection: occurrences("exclude_local_filter_intersection"),
            default_smart_result_limit: matches
                .get_one::<usize>("default_smart_result_limit")
                .copied(),
        }
    }

    /// The current flags given, by name.
    pub fn given(&self) -> Vec<&'static str> {
        let mut given: Vec<&'static str> = self
            .lists()
            .into_iter()
            .filter(|(_, values)| !values.is_empty())
            .map(|(name, _)| name)
            .collect();
        if self.default_smart_result_limit.is_some() {
            given.push("--default-smart-result-limit");
        }
        given
    }

    /// Every list flag with its name.
    pub fn lists(&self) -> [(&'static str, &Occurrences); 20] {
        [
            (
                "--include-person-names-union",
                &self.include_person_names_union,
            ),
            (
                "--include-person-names-intersection",
                &self.include_person_names_intersection,
            ),
            (
                "--exclude-person-names-union",
                &self.exclude_person_names_union,
            ),
            (
                "--exclude-person-names-intersection",
                &self.exclude_person_names_intersection,
            ),
            ("--include-person-ids-union", &self.include_person_ids_union),
            (
                "--include-person-ids-intersection",
                &self.include_person_ids_intersection,
            ),
            ("--exclude-person-ids-union", &self.exclude_person_ids_union),
            (
                "--exclude-person-ids-intersection",
                &self.exclude_person_ids_intersection,
            ),
            ("--include-metadata-union", &self.include_metadata_union),
            (
                "--include-metadata-intersection",
                &self.include_metadata_intersection,
            ),
            ("--exclude-metadata-union", &self.exclude_metadata_union),
            (
                "--exclude-metadata-intersection",
                &self.exclude_metadata_intersection,
            ),
            ("--include-smart-union", &self.include_smart_union),
            (
                "--include-smart-intersection",
                &self.include_smart_intersection,
            ),
            ("--exclude-smart-union", &self.exclude_smart_union),
            (
                "--exclude-smart-intersection",
                &self.exclude_smart_intersection,
            ),
            (
                "--include-local-filter-union",
                &self.include_local_filter_union,
            ),
            (
                "--include-local-filter-intersection",
                &self.include_local_filter_intersection,
            ),
            (
                "--exclude-local-filter-union",
                &self.exclude_local_filter_union,
            ),
            (
                "--exclude-local-filter-intersection",
                &self.exclude_local_filter_intersection,
            ),
        ]
    }
}
