//! The Python-compatible command: the script's flags, early (`--include-metadata-file`) or current
//! (`--include-person-names-union`, [`current`]), checked once into a ready [`DropIn`], then run against
//! one account. Without `--album` it previews; with it, it adds what the album does not hold yet. With
//! no filter flag at all it shows who the key belongs to ([`info`]). Every value is read and checked
//! before the first request, so a bad one changes nothing.

pub mod current;
pub mod info;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::album;
use crate::cli::{DropInArgs, GlobalArgs};
use crate::error::{Status, input_error};
use crate::filter::{LocalFilters, RuleList, SearchFilter};
use crate::immich::{Client, ClientOptions, SearchKind, ServerUrl};
use crate::job::decide::{Held, HeldAs};
use crate::job::{self, Condition, PeopleIndex, Selection};
use crate::output;
use crate::output::dropin::{AlbumTarget, Selected};
use crate::profile::{merge_settings, process_env};
use crate::secret::ApiKey;

/// A checked drop-in run, ready to go.
#[derive(Debug)]
pub struct DropIn {
    pub server: ServerUrl,
    pub key: ApiKey,
    pub album: Option<String>,
    pub max_assets: Option<usize>,
    /// What to select; `None` without any filter flag (show the account instead).
    pub selection: Option<Selection>,
    pub options: ClientOptions,
    /// Requests in flight at once (`--max-in-flight`).
    pub max_in_flight: usize,
}

impl DropIn {
    /// Checks the flags and reads every filter file. Any problem is an input error.
    pub fn from_args(args: &DropInArgs, global: &GlobalArgs) -> anyhow::Result<DropIn> {
        Self::from_args_in(args, global, Path::new(".env"))
    }

    /// [`DropIn::from_args`] with the `.env` file to fall back on for the server and the key.
    pub fn from_args_in(
        args: &DropInArgs,
        global: &GlobalArgs,
        dotenv: &Path,
    ) -> anyhow::Result<DropIn> {
        let early = args.early_flags();
        let current = args.current.given();
        if let (Some(old), Some(new)) = (early.first(), current.first()) {
            return Err(input_error(format!(
                "{old} is one of the Python script's early flags and {new} one of its current                  ones; one run takes one generation. The current form of {old} is in                  docs/migrating.md"
            )));
        }
        let selection = if !early.is_empty() {
            Some(early_selection(args)?)
        } else if !current.is_empty() {
            Some(current::selection(&args.current)?)
        } else {
            None
        };
        if let Some(selection) = &selection {
            for warning in selection.warnings() {
                tracing::warn!("{warning}");
            }
        }
        if args.max_assets == Some(0) {
            return Err(input_error("--max-assets must be at least 1"));
        }

        let from_file = dotenv_values(dotenv, args.server.is_none() || args.key.is_none())?;
        let server_text = args
            .server
            .clone()
            .or_else(|| from_file.get("IMMICH_SERVER_URL").cloned())
            .ok_or_else(|| {
                input_error(
                    "no server: give --server https://photos.example.com, set IMMICH_SERVER_URL, \
                     or put IMMICH_SERVER_URL=... in ./.env",
                )
            })?;
        let server = ServerUrl::parse(&server_text)
            .map_err(|message| input_error(format!("--server: {message}")))?;
        let key = args
            .key
            .clone()
            .or_else(|| from_file.get("IMMICH_API_KEY").cloned())
            .and_then(ApiKey::new)
            .ok_or_else(|| {
                input_error(
                    "no API key: give --key, set IMMICH_API_KEY, or put IMMICH_API_KEY=... in \
                     ./.env (create a key in Immich under Account Settings > API Keys)",
                )
            })?;
        if args.key_on_command_line {
            tracing::warn!(
                "--key on the command line can be read by other users of this host in the process \
                 list (ps); set IMMICH_API_KEY instead, put IMMICH_API_KEY=... in ./.env (mode \
                 600), or keep the key in a profile (`immich-smart-albums profiles add`)"
            );
        }
        if args.album.as_deref().is_some_and(|a| a.trim().is_empty()) {
            return Err(input_error(
                "--album is empty: give an album UUID or exact name",
            ));
        }
        // No profile here: flags, then the environment, then the defaults.
        let settings = merge_settings(global, &process_env, None)?;
        Ok(DropIn {
            server,
            key,
            album: args.album.clone(),
            max_assets: args.max_assets,
            selection,
            options: settings.client_options(),
            max_in_flight: settings.max_in_flight,
        })
    }

    /// Runs the searches, then previews or adds. Returns the exit code for a run that finished
    /// (1 when the server refused some assets); errors are returned for `main` to report.
    pub async fn preview_or_add(&self, out: &mut impl std::io::Write) -> anyhow::Result<Status> {
        let server = self.server.site.as_str().trim_end_matches('/').to_string();
        let Some(selection) = &self.selection else {
            let client = Client::connect(&self.server, self.key.clone(), &self.options).await?;
            let account = info::gather(&client).await?;
            output::dropin::account_info(out, &server, &account)?;
            return Ok(Status::Ok);
        };
        if selection.include.is_empty() {
            // Exclusions and local filters narrow what an include search finds; alone they select
            // nothing (the Python script took what the exclusions found instead).
            output::dropin::nothing_to_select(out)?;
            return Ok(Status::Ok);
        }
        let client = Client::connect(&self.server, self.key.clone(), &self.options)
            .await?
            .with_limiter(job::account::limiter(self.max_in_flight));
        // Find the album and the people first: a wrong name should not cost a full search.
        let target = match &self.album {
            Some(spec) => Some(album::resolve(&client, spec).await?),
            None => None,
        };
        let people = resolve_people(&client, selection).await?;
        let mut result = job::evaluate(&client, selection, &people).await?;
        let limited_to = match self.max_assets {
            Some(max) if result.assets.len() > max => {
                result.assets.truncate(max);
                Some(max)
            }
            _ => None,
        };
        let links = result
            .assets
            .iter()
            .map(|hit| client.photo_url(&hit.id.to_string()))
            .collect();
        let selected = Selected {
            result: &result,
            limited_to,
            links,
        };
        let Some(target) = target else {
            output::dropin::preview(out, &server, &selected)?;
            return Ok(Status::Ok);
        };

        let held = Held::new(album::contents(&client, &target).await?.assets);
        let (mut already_by_id, mut already_by_checksum) = (0, 0);
        let mut to_add: Vec<Uuid> = Vec::new();
        for hit in &result.assets {
            match held.holding(&hit.id, &hit.checksum) {
                Some(HeldAs::SameAsset) => already_by_id += 1,
                Some(HeldAs::SameFile) => already_by_checksum += 1,
                None => to_add.push(hit.id),
            }
        }
        tracing::debug!(
            "album {} holds {} assets; {} to add",
            target.id,
            held.assets.len(),
            to_add.len()
        );
        let outcome = album::add(&client, &target.id, &to_add).await;
        output::dropin::added(
            out,
            &server,
            &AlbumTarget {
                name: &target.album_name,
                id: &target.id,
            },
            &selected,
            already_by_id,
            already_by_checksum,
            &outcome,
        )?;
        if let Some(error) = outcome.failed {
            return Err(error.into());
        }
        Ok(if outcome.refused_count() > 0 {
            Status::Failure
        } else {
            Status::Ok
        })
    }
}

/// The early flags: every include file must match, any exclude file removes, every local include
/// rule must match and any local exclude rule removes.
fn early_selection(args: &DropInArgs) -> anyhow::Result<Selection> {
    let load = |kind: SearchKind, paths: &[PathBuf]| -> anyhow::Result<Vec<Condition>> {
        paths
            .iter()
            .map(|path| {
                SearchFilter::load(kind, path)
                    .map(Condition::Search)
                    .map_err(anyhow::Error::new)
            })
            .collect()
    };
    let rules = |paths: &[PathBuf]| -> anyhow::Result<Vec<RuleList>> {
        paths
            .iter()
            .map(|path| RuleList::load(path).map_err(anyhow::Error::new))
            .collect()
    };
    let mut include = load(SearchKind::Metadata, &args.include_metadata_file)?;
    include.extend(load(SearchKind::Smart, &args.include_smart_file)?);
    let mut exclude = load(SearchKind::Metadata, &args.exclude_metadata_file)?;
    exclude.extend(load(SearchKind::Smart, &args.exclude_smart_file)?);
    let include_rules = rules(&args.include_local_filter_file)?;
    let exclude_rules = rules(&args.exclude_local_filter_file)?;
    if include.is_empty() {
        return Err(input_error(
            "local filters and exclusions need at least one include search to run on: give \
             --include-metadata-file or --include-smart-file (try `immich-smart-albums demo` to \
             see it work, or --help)",
        ));
    }
    for list in include_rules.iter().chain(&exclude_rules) {
        for warning in &list.warnings {
            tracing::warn!("{warning}");
        }
    }
    let flat = |lists: Vec<RuleList>| lists.into_iter().flat_map(|l| l.rules).collect();
    Ok(Selection {
        include,
        exclude,
        local: LocalFilters::every_and_any(flat(include_rules), flat(exclude_rules)),
    })
}

/// `IMMICH_SERVER_URL` and `IMMICH_API_KEY` from a `.env` file, when one is `needed` and exists.
/// Only those two are read, and nothing is put into the environment.
fn dotenv_values(path: &Path, needed: bool) -> anyhow::Result<HashMap<String, String>> {
    let mut values = HashMap::new();
    if !needed || !path.is_file() {
        return Ok(values);
    }
    let entries = dotenvy::from_path_iter(path)
        .map_err(|e| input_error(format!("{}: {e}", path.display())))?;
    for entry in entries {
        let (name, value) = entry.map_err(|e| input_error(format!("{}: {e}", path.display())))?;
        if name == "IMMICH_SERVER_URL" || name == "IMMICH_API_KEY" {
            tracing::debug!("{name} from {}", path.display());
            values.insert(name, value);
        }
    }
    Ok(values)
}

/// The exact person names and lowercase ids of a selection, looked up in the account's people: an
/// index for [`job::evaluate`], or an input error naming every value the account does not know.
async fn resolve_people(client: &Client, selection: &Selection) -> anyhow::Result<PeopleIndex> {
    let wanted = selection.people();
    let mut index = PeopleIndex::new();
    if wanted.is_empty() {
        return Ok(index);
    }
    let people = job::account::people(client).await?;
    let mut unknown = Vec::new();
    for value in &wanted {
        let ids: Vec<String> = if current::is_person_id(value) {
            people
                .iter()
                .filter(|p| p.id == *value)
                .map(|p| p.id.clone())
                .collect()
        } else {
            people
                .iter()
                .filter(|p| p.name == *value)
                .map(|p| p.id.clone())
                .collect()
        };
        match ids.len() {
            0 => {
                let other_case: Vec<String> = people
                    .iter()
                    .filter(|p| p.name.to_lowercase() == value.to_lowercase())
                    .map(|p| format!("`{}`", p.name))
                    .collect();
                unknown.push(if other_case.is_empty() {
                    format!("`{value}`")
                } else {
                    format!("`{value}` (did you mean {}?)", other_case.join(" or "))
                });
            }
            1 => {}
            n => tracing::warn!(
                "{n} people are named `{value}`: photos of any of them count (merge them in Immich \
                 to make them one)"
            ),
        }
        index.insert(value.clone(), ids);
    }
    if !unknown.is_empty() {
        return Err(input_error(format!(
            "this account has no person named {} (names match exactly, as under People in \
             Immich; an id must be a lowercase UUID of a person of this account)",
            unknown.join(", ")
        )));
    }
    Ok(index)
}
