//! The Python-compatible command: the script's flags, checked once into a ready [`DropIn`], then run
//! against one account. Without `--album` it previews; with it, it adds what the album does not hold
//! yet. Every filter file is read and checked before the first request, so a bad file changes nothing.

use std::path::PathBuf;

use uuid::Uuid;

use crate::album;
use crate::cli::{DropInArgs, GlobalArgs};
use crate::error::{Status, input_error};
use crate::filter::{LocalFilters, RuleList, SearchFilter};
use crate::immich::{Client, ClientOptions, SearchKind, ServerUrl};
use crate::job::decide::{Held, HeldAs};
use crate::job::{self, Selection};
use crate::profile::{merge_settings, process_env};
use crate::report::{self, AlbumTarget, Selected};
use crate::secret::ApiKey;

/// A checked drop-in run, ready to go.
#[derive(Debug)]
pub struct DropIn {
    pub server: ServerUrl,
    pub key: ApiKey,
    pub album: Option<String>,
    pub max_assets: Option<usize>,
    pub selection: Selection,
    pub options: ClientOptions,
    /// Requests in flight at once (`--max-in-flight`).
    pub max_in_flight: usize,
}

impl DropIn {
    /// Checks the flags and reads every filter file. Any problem is an input error.
    pub fn from_args(args: &DropInArgs, global: &GlobalArgs) -> anyhow::Result<DropIn> {
        let load = |kind: SearchKind, paths: &[PathBuf]| -> anyhow::Result<Vec<SearchFilter>> {
            paths
                .iter()
                .map(|path| SearchFilter::load(kind, path).map_err(anyhow::Error::new))
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
            let why = if include_rules.is_empty() && exclude_rules.is_empty() {
                "nothing to search"
            } else {
                "local filters need at least one include search to run on"
            };
            return Err(input_error(format!(
                "{why}: give --include-metadata-file or --include-smart-file (try \
                 `immich-smart-albums demo` to see it work, or --help)"
            )));
        }
        for list in include_rules.iter().chain(&exclude_rules) {
            for warning in &list.warnings {
                tracing::warn!("{warning}");
            }
        }
        let local = LocalFilters {
            include: include_rules.into_iter().flat_map(|l| l.rules).collect(),
            exclude: exclude_rules.into_iter().flat_map(|l| l.rules).collect(),
        };
        let selection = Selection {
            include,
            exclude,
            local,
        };
        for warning in selection.warnings() {
            tracing::warn!("{warning}");
        }
        if args.max_assets == Some(0) {
            return Err(input_error("--max-assets must be at least 1"));
        }

        let server_text = args.server.as_deref().ok_or_else(|| {
            input_error(
                "no server: give --server https://photos.example.com or set IMMICH_SERVER_URL",
            )
        })?;
        let server = ServerUrl::parse(server_text)
            .map_err(|message| input_error(format!("--server: {message}")))?;
        let key = args.key.clone().and_then(ApiKey::new).ok_or_else(|| {
            input_error(
                "no API key: give --key or set IMMICH_API_KEY (create a key in Immich under Account \
                 Settings > API Keys)",
            )
        })?;
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
        let client = Client::connect(&self.server, self.key.clone(), &self.options)
            .await?
            .with_limiter(job::account::limiter(self.max_in_flight));
        // Find the album first: a wrong name should not cost a full search.
        let target = match &self.album {
            Some(spec) => Some(album::resolve(&client, spec).await?),
            None => None,
        };
        let mut result = job::evaluate(&client, &self.selection).await?;
        let limited_to = match self.max_assets {
            Some(max) if result.assets.len() > max => {
                result.assets.truncate(max);
                Some(max)
            }
            _ => None,
        };
        let server = self.server.site.as_str().trim_end_matches('/').to_string();
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
            report::preview(out, &server, &selected)?;
            return Ok(Status::Ok);
        };

        let held = Held::new(
            album::contents(&client, &target.id, Some(target.asset_count as usize)).await?,
        );
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
        report::added(
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
