//! Job files: YAML that names a profile and holds one or more jobs. This module reads a job file into
//! checked [`JobSpec`]s: every filter file it names (relative to the job file) is read, every inline
//! filter checked, every local rule compiled, so that a mistake is reported with the file, the place
//! and what was expected before any request is sent. Unknown fields are errors (a typo in a job must
//! not quietly widen what goes into an album).

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use super::dates;
use crate::error::InputError;
use crate::filter::{LocalFilters, LocalRule, RuleList, SearchFilter};
use crate::immich::SearchKind;
use crate::notify::NotifyFile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJobFile {
    profile: String,
    #[serde(default)]
    notify: Option<NotifyFile>,
    jobs: IndexMap<String, RawJob>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    #[serde(default)]
    accounts: Option<Vec<String>>,
    #[serde(default)]
    include: Vec<RawCondition>,
    #[serde(default)]
    exclude: Vec<RawCondition>,
    #[serde(default)]
    local: Option<RawLocal>,
    album: String,
    #[serde(default)]
    album_owner: Option<String>,
    #[serde(default)]
    include_archived: bool,
    #[serde(default)]
    prune: bool,
    #[serde(default)]
    max_removals: Option<usize>,
    #[serde(default)]
    max_removal_fraction: Option<f64>,
    #[serde(default)]
    safe: Option<RawSafe>,
    #[serde(default)]
    across_servers: Option<AcrossServers>,
    #[serde(default)]
    copy_to: Option<String>,
    #[serde(default)]
    max_copy_mb: Option<u64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    order: Option<String>,
    #[serde(default)]
    cover: Option<String>,
    #[serde(default)]
    full_every: Option<String>,
}

/// How the main album looks, where the job says so (`description`, `order`, `cover`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Looks {
    /// Set, and kept: a person's edit is written over while the job names one.
    pub description: Option<String>,
    /// `newest` first (Immich's `desc`) or `oldest` first (`asc`).
    pub newest_first: Option<bool>,
    pub cover: Option<Cover>,
}

/// The album's cover: its newest or oldest photo (by date taken), or one asset it holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Cover {
    Newest,
    Oldest,
    Asset(uuid::Uuid),
}

impl Looks {
    pub fn is_empty(&self) -> bool {
        *self == Looks::default()
    }
}

/// What a job does when its accounts are on more than one server (an album lives on one server and
/// holds only that server's assets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AcrossServers {
    /// Refuse to run, naming the servers (the default).
    #[default]
    Refuse,
    /// Copy what the album needs from the other servers to an account on the album's server.
    Copy,
}

/// The most a job copies between servers in one run, by default.
pub const MAX_COPY_MB: u64 = 2000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum RawCondition {
    Metadata(RawFilter),
    Smart(RawFilter),
    People(Vec<String>),
    #[serde(rename = "people_any")]
    PeopleAny(Vec<String>),
    Tags(Vec<String>),
    #[serde(rename = "taken_within")]
    TakenWithin(String),
    Any(Vec<RawCondition>),
    All(Vec<RawCondition>),
}

/// A filter file's path, or the filter written inline.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a filter file's path (relative to the job file) or an inline filter such as {query: beach, resultLimit: 200}"
)]
enum RawFilter {
    Path(String),
    Inline(serde_json::Map<String, Value>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocal {
    #[serde(default)]
    include: Vec<RawRules>,
    #[serde(default)]
    exclude: Vec<RawRules>,
}

/// A local filter file's path, or its rules written inline.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a local filter file's path (relative to the job file) or an inline list of rules such as [{path: $.exifInfo.model, regex: iPhone}]"
)]
enum RawRules {
    Path(String),
    Inline(Vec<Value>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSafe {
    album: String,
    #[serde(default)]
    exclude: Vec<RawCondition>,
    #[serde(default = "yes")]
    prune: bool,
    #[serde(default)]
    shared_link: Option<RawSharedLink>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSharedLink {
    expires: String,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    password_file: Option<String>,
    #[serde(default)]
    allow_download: Option<bool>,
    #[serde(default)]
    show_metadata: bool,
}

/// A shared link for the safe album, for relatives without an account.
#[derive(Debug, Clone)]
pub struct LinkSpec {
    /// How long a link lasts; renewed when less than a third of it is left.
    pub expires: dates::Span,
    /// Redacted like an API key: never printed or logged.
    pub password: Option<crate::secret::ApiKey>,
    pub allow_download: bool,
    /// Whether the link shows the photos' metadata (EXIF, places): off unless the job asks.
    pub show_metadata: bool,
}

fn yes() -> bool {
    true
}

/// One condition of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A metadata or smart search.
    Search(SearchFilter),
    /// Photos that show every one of these people (names, resolved per account).
    People(Vec<String>),
    /// Photos that carry every one of these tags (values such as `Holiday/2023`, resolved per account).
    Tags(Vec<String>),
    /// At least one of these (union).
    Any(Vec<Condition>),
    /// Every one of these (intersection).
    All(Vec<Condition>),
}

impl Condition {
    /// A short description for reports: `smart filters/beach.json`, `people Mia+Leo`, `any of 2`.
    pub fn label(&self) -> String {
        match self {
            Condition::Search(filter) => filter.label(),
            Condition::People(names) => format!("people {}", names.join("+")),
            Condition::Tags(values) => format!("tags {}", values.join("+")),
            Condition::Any(items) => format!(
                "any of ({})",
                items
                    .iter()
                    .map(Condition::label)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Condition::All(items) => format!(
                "all of ({})",
                items
                    .iter()
                    .map(Condition::label)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// This condition, then every condition nested in it, depth first.
    pub fn each<'a>(&'a self, visit: &mut impl FnMut(&'a Condition)) {
        visit(self);
        if let Condition::Any(items) | Condition::All(items) = self {
            items.iter().for_each(|c| c.each(visit));
        }
    }

    /// Every person name the condition mentions.
    pub fn people(&self, names: &mut Vec<String>) {
        self.each(&mut |c| {
            if let Condition::People(list) = c {
                names.extend(list.iter().cloned());
            }
        });
    }

    /// Every tag value the condition mentions.
    pub fn tags(&self, values: &mut Vec<String>) {
        self.each(&mut |c| {
            if let Condition::Tags(list) = c {
                values.extend(list.iter().cloned());
            }
        });
    }

    pub fn warnings(&self, out: &mut Vec<String>) {
        self.each(&mut |c| {
            if let Condition::Search(filter) = c {
                out.extend(filter.warnings.iter().cloned());
            }
        });
    }
}

/// The safe variant of a job's album.
#[derive(Debug, Clone)]
pub struct SafeSpec {
    pub album: String,
    pub exclude: Vec<Condition>,
    /// Remove what the tool added and the safe album no longer selects (default on: what its
    /// exclusions now flag must leave it).
    pub prune: bool,
    pub shared_link: Option<LinkSpec>,
}

/// One checked job.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub name: String,
    /// Account names; `None` means every account of the profile, in profile order.
    pub accounts: Option<Vec<String>>,
    pub include: Vec<Condition>,
    pub exclude: Vec<Condition>,
    pub local: LocalFilters,
    pub album: String,
    pub album_owner: Option<String>,
    /// Take archived assets too (else timeline assets only).
    pub include_archived: bool,
    /// Remove from the main album what the tool added and the job no longer selects.
    pub prune: bool,
    /// The circuit breaker, for both albums: a run that would remove more than this many assets...
    pub max_removals: usize,
    /// ... or more than this fraction of an album removes nothing from it.
    pub max_removal_fraction: f64,
    pub safe: Option<SafeSpec>,
    /// Accounts on several servers: refuse, or copy.
    pub across_servers: AcrossServers,
    /// The account on the album's server that receives copies (default: the album owner).
    pub copy_to: Option<String>,
    /// The most this job copies between servers in one run, in MB (10^6 bytes).
    pub max_copy_mb: u64,
    /// The main album's description, order and cover, where the job sets them.
    pub looks: Looks,
    /// How old the last full run may get before a sync reads everything again (`full_every`), where
    /// the job says; else the profile's, else 24 hours (`job::since`).
    pub full_every: Option<std::time::Duration>,
}

impl JobSpec {
    /// Every warning of the job's filters.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let safe = self.safe.iter().flat_map(|s| &s.exclude);
        for condition in self.include.iter().chain(&self.exclude).chain(safe) {
            condition.warnings(&mut out);
        }
        out
    }

    /// Every person name the job mentions, once each, in order.
    pub fn people(&self) -> Vec<String> {
        self.once_each(Condition::people)
    }

    /// Every tag value the job mentions, once each, in order.
    pub fn tags(&self) -> Vec<String> {
        self.once_each(Condition::tags)
    }

    /// What `collect` gathers from every condition of the job (the safe album's too), once each.
    fn once_each(&self, collect: impl Fn(&Condition, &mut Vec<String>)) -> Vec<String> {
        let mut values = Vec::new();
        let safe = self.safe.iter().flat_map(|s| &s.exclude);
        for condition in self.include.iter().chain(&self.exclude).chain(safe) {
            collect(condition, &mut values);
        }
        let mut seen = std::collections::HashSet::new();
        values.retain(|v| seen.insert(v.clone()));
        values
    }
}

/// A checked job file.
#[derive(Debug, Clone)]
pub struct JobFile {
    pub path: PathBuf,
    /// The profile's name or path, as written.
    pub profile: String,
    /// `notify:` as written, in the place of the profile's channel by channel; checked by a sync.
    pub notify: Option<NotifyFile>,
    pub jobs: Vec<JobSpec>,
}

impl JobFile {
    /// Reads and checks a job file and every filter file it names.
    pub fn load(path: &Path) -> Result<JobFile, InputError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            InputError::new(format!("{origin}: cannot read the job file: {error}"))
        })?;
        JobFile::parse(path, &text)
    }

    /// Checks a job file's text; `path` is where it came from (and the base of relative paths).
    pub fn parse(path: &Path, text: &str) -> Result<JobFile, InputError> {
        let origin = path.display().to_string();
        let raw: RawJobFile = serde_saphyr::from_str(text).map_err(|error| {
            InputError::new(format!(
                "{origin}: not a valid job file: {}",
                error.to_string().trim_end()
            ))
        })?;
        if raw.jobs.is_empty() {
            return Err(InputError::new(format!(
                "{origin}: `jobs` is empty; expected at least one job such as `kids: {{include: \
                 [{{people: [Mia]}}], album: Kids}}`"
            )));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let jobs = raw
            .jobs
            .into_iter()
            .map(|(name, job)| check_job(&origin, base, name, job))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(JobFile {
            path: path.to_path_buf(),
            profile: raw.profile,
            notify: raw.notify,
            jobs,
        })
    }

    /// The jobs to run: all of them, or the one named.
    pub fn select(&self, name: Option<&str>) -> Result<Vec<&JobSpec>, InputError> {
        match name {
            None => Ok(self.jobs.iter().collect()),
            Some(name) => match self.jobs.iter().find(|j| j.name == name) {
                Some(job) => Ok(vec![job]),
                None => Err(InputError::new(format!(
                    "{}: no job named `{name}`; the jobs are: {}",
                    self.path.display(),
                    self.jobs
                        .iter()
                        .map(|j| j.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            },
        }
    }
}

fn check_job(origin: &str, base: &Path, name: String, job: RawJob) -> Result<JobSpec, InputError> {
    let place = format!("{origin}: job `{name}`");
    if job.include.is_empty() {
        return Err(InputError::new(format!(
            "{place}: `include` is empty; a job needs at least one include condition (metadata, \
             smart, people, any or all)"
        )));
    }
    if job.album.trim().is_empty() {
        return Err(InputError::new(format!(
            "{place}: `album` is empty; expected a name or UUID"
        )));
    }
    if let Some(accounts) = &job.accounts
        && accounts.is_empty()
    {
        return Err(InputError::new(format!(
            "{place}: `accounts` is empty; leave it out to use every account of the profile"
        )));
    }
    let conditions = |list: Vec<RawCondition>, what: &str| -> Result<Vec<Condition>, InputError> {
        list.into_iter()
            .enumerate()
            .map(|(i, c)| check_condition(&format!("{place}, {what} {}", i + 1), base, c))
            .collect()
    };
    let include = conditions(job.include, "include")?;
    let exclude = conditions(job.exclude, "exclude")?;
    let local = match job.local {
        None => LocalFilters::default(),
        Some(local) => LocalFilters::every_and_any(
            check_rules(&place, base, local.include, "local include")?,
            check_rules(&place, base, local.exclude, "local exclude")?,
        ),
    };
    let safe = match job.safe {
        None => None,
        Some(safe) => {
            if safe.album.trim().is_empty() {
                return Err(InputError::new(format!(
                    "{place}: `safe.album` is empty; expected a name or UUID"
                )));
            }
            if safe.album == job.album {
                return Err(InputError::new(format!(
                    "{place}: `safe.album` is the job's own album; give the safe variant its own album"
                )));
            }
            let shared_link = match safe.shared_link {
                None => None,
                Some(link) => Some(check_link(&place, base, link)?),
            };
            Some(SafeSpec {
                album: safe.album,
                exclude: conditions(safe.exclude, "safe exclude")?,
                prune: safe.prune,
                shared_link,
            })
        }
    };
    let max_removal_fraction = job
        .max_removal_fraction
        .unwrap_or(crate::job::decide::MAX_REMOVAL_FRACTION);
    if !(max_removal_fraction > 0.0 && max_removal_fraction <= 1.0) {
        return Err(InputError::new(format!(
            "{place}: `max_removal_fraction` is {max_removal_fraction}; expected a fraction of the \
             album above 0 and at most 1, such as 0.2 (a fifth)"
        )));
    }
    let max_copy_mb = job.max_copy_mb.unwrap_or(MAX_COPY_MB);
    if max_copy_mb == 0 {
        return Err(InputError::new(format!(
            "{place}: `max_copy_mb` is 0; expected the most MB a run may copy between servers, such \
             as {MAX_COPY_MB}"
        )));
    }
    if job.copy_to.is_some() && job.across_servers != Some(AcrossServers::Copy) {
        return Err(InputError::new(format!(
            "{place}: `copy_to` is only read with `across_servers: copy`"
        )));
    }
    let newest_first = match job.order.as_deref().map(str::trim) {
        None => None,
        Some("newest") => Some(true),
        Some("oldest") => Some(false),
        Some(other) => {
            return Err(InputError::new(format!(
                "{place}: `order: {other}`; expected newest or oldest"
            )));
        }
    };
    let cover = match job.cover.as_deref().map(str::trim) {
        None => None,
        Some("newest") => Some(Cover::Newest),
        Some("oldest") => Some(Cover::Oldest),
        Some(other) => Some(Cover::Asset(uuid::Uuid::parse_str(other).map_err(|_| {
            InputError::new(format!(
                "{place}: `cover: {other}`; expected newest, oldest or the UUID of an asset the \
                 album holds"
            ))
        })?)),
    };
    let looks = Looks {
        description: job.description,
        newest_first,
        cover,
    };
    let full_every = match job.full_every.as_deref() {
        None => None,
        Some(text) => Some(super::dates::interval(text).ok_or_else(|| {
            InputError::new(format!(
                "{place}: `full_every: {text}`; expected how often a sync reads everything, such as \
                 24h, 12h or 7d (0s: every run)"
            ))
        })?),
    };
    Ok(JobSpec {
        name,
        accounts: job.accounts,
        include,
        exclude,
        local,
        album: job.album,
        album_owner: job.album_owner,
        include_archived: job.include_archived,
        prune: job.prune,
        max_removals: job.max_removals.unwrap_or(crate::job::decide::MAX_REMOVALS),
        max_removal_fraction,
        safe,
        across_servers: job.across_servers.unwrap_or_default(),
        copy_to: job.copy_to,
        max_copy_mb,
        looks,
        full_every,
    })
}

fn check_condition(place: &str, base: &Path, raw: RawCondition) -> Result<Condition, InputError> {
    let search = |kind: SearchKind, filter: RawFilter| -> Result<Condition, InputError> {
        let filter = match filter {
            RawFilter::Path(file) => SearchFilter::load(kind, &base.join(file))?,
            RawFilter::Inline(mut body) => {
                resolve_relative_dates(place, &mut body)?;
                let text = Value::Object(body.clone()).to_string();
                let mut filter =
                    SearchFilter::from_value(kind, format!("({place})"), Value::Object(body))?;
                // Reports show an inline filter by its content; messages above named its place.
                filter.origin = text;
                filter
            }
        };
        Ok(Condition::Search(filter))
    };
    let nested = |items: Vec<RawCondition>, what: &str| -> Result<Vec<Condition>, InputError> {
        if items.is_empty() {
            return Err(InputError::new(format!(
                "{place}: `{what}` is empty; expected a list of conditions"
            )));
        }
        items
            .into_iter()
            .enumerate()
            .map(|(i, c)| check_condition(&format!("{place}, {what} {}", i + 1), base, c))
            .collect()
    };
    match raw {
        RawCondition::Metadata(filter) => search(SearchKind::Metadata, filter),
        RawCondition::Smart(filter) => search(SearchKind::Smart, filter),
        RawCondition::People(names) => Ok(Condition::People(person_names(place, "people", names)?)),
        RawCondition::Tags(values) => Ok(Condition::Tags(person_names(place, "tags", values)?)),
        // Immich's personIds is AND: "any of them" is one search per person, each run once.
        RawCondition::PeopleAny(names) => Ok(Condition::Any(
            person_names(place, "people_any", names)?
                .into_iter()
                .map(|name| Condition::People(vec![name]))
                .collect(),
        )),
        RawCondition::TakenWithin(text) => {
            let span = dates::Span::parse(&text).ok_or_else(|| {
                InputError::new(format!(
                    "{place}: `taken_within: {text}` is not a span; expected {}",
                    dates::SPAN_EXAMPLES
                ))
            })?;
            let after = dates::iso(span.before(crate::clock::now()));
            let mut body = serde_json::Map::new();
            body.insert("takenAfter".into(), Value::String(after.clone()));
            let mut filter = SearchFilter::from_value(
                SearchKind::Metadata,
                place.to_string(),
                Value::Object(body),
            )?;
            // Reports show the span and the date it came to in this run.
            filter.origin = format!("taken within {text} (after {after})");
            Ok(Condition::Search(filter))
        }
        RawCondition::Any(items) => Ok(Condition::Any(nested(items, "any")?)),
        RawCondition::All(items) => Ok(Condition::All(nested(items, "all")?)),
    }
}

/// A safe album's `shared_link`: its span, and its password read now, so a variable that is not set
/// or a file that cannot be read is an input error before any request.
fn check_link(place: &str, base: &Path, link: RawSharedLink) -> Result<LinkSpec, InputError> {
    let place = format!("{place}: `safe.shared_link`");
    let expires = dates::Span::parse(&link.expires).ok_or_else(|| {
        InputError::new(format!(
            "{place}: `expires: {}` is not a span; expected {}",
            link.expires,
            dates::SPAN_EXAMPLES
        ))
    })?;
    let password =
        match (link.password_env, link.password_file) {
            (Some(_), Some(_)) => {
                return Err(InputError::new(format!(
                    "{place}: give `password_env` or `password_file`, not both"
                )));
            }
            (Some(var), None) => {
                let value = std::env::var(&var).map_err(|_| {
                    InputError::new(format!(
                        "{place}: `password_env: {var}`, but the variable {var} is not set"
                    ))
                })?;
                Some(crate::secret::ApiKey::new(value).ok_or_else(|| {
                    InputError::new(format!("{place}: the variable {var} is empty"))
                })?)
            }
            (None, Some(file)) => {
                let path = base.join(&file);
                let value = std::fs::read_to_string(&path).map_err(|e| {
                    InputError::new(format!(
                        "{place}: `password_file: {file}` cannot be read ({}): {e}",
                        path.display()
                    ))
                })?;
                Some(crate::secret::ApiKey::new(value.trim()).ok_or_else(|| {
                    InputError::new(format!("{place}: {} is empty", path.display()))
                })?)
            }
            (None, None) => None,
        };
    // A downloaded original carries its metadata (EXIF, places): Immich makes a link that hides
    // metadata without downloads, and so does the tool.
    let allow_download = match (link.allow_download, link.show_metadata) {
        (Some(true), false) => {
            return Err(InputError::new(format!(
                "{place}: `allow_download: true` lets visitors download the originals, which carry \
                 their metadata (EXIF, places) that the link hides (`show_metadata` is false unless \
                 set); add `show_metadata: true` to show both, or drop `allow_download`"
            )));
        }
        (Some(allow), _) => allow,
        (None, show) => show,
    };
    Ok(LinkSpec {
        expires,
        password,
        allow_download,
        show_metadata: link.show_metadata,
    })
}

/// A `people`, `people_any` or `tags` list: one or more names, trimmed.
fn person_names(place: &str, key: &str, names: Vec<String>) -> Result<Vec<String>, InputError> {
    let names: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
    if names.is_empty() || names.iter().any(String::is_empty) {
        return Err(InputError::new(format!(
            "{place}: `{key}` needs one or more person names, e.g. [Mia, Leo]"
        )));
    }
    Ok(names)
}

/// Relative values of an inline filter's date fields (`takenAfter: "-30d"`) turned into absolute
/// datetimes, counted back from now in UTC. Filter files are sent as written (the Python tool reads
/// them too).
fn resolve_relative_dates(
    place: &str,
    body: &mut serde_json::Map<String, Value>,
) -> Result<(), InputError> {
    let now = crate::clock::now();
    for (field, value) in body.iter_mut() {
        let Value::String(text) = value else { continue };
        if !text.trim_start().starts_with('-') || !crate::filter::is_date_field(field) {
            continue;
        }
        let span = dates::parse_relative(text).ok_or_else(|| {
            InputError::new(format!(
                "{place}: `{field}: {text}` is not a relative date; expected - and a span such as \
                 -{}",
                dates::SPAN_EXAMPLES
            ))
        })?;
        *value = Value::String(dates::iso(span.before(now)));
    }
    Ok(())
}

fn check_rules(
    place: &str,
    base: &Path,
    lists: Vec<RawRules>,
    what: &str,
) -> Result<Vec<LocalRule>, InputError> {
    let mut rules = Vec::new();
    for (i, list) in lists.into_iter().enumerate() {
        let list = match list {
            RawRules::Path(file) => RuleList::load(&base.join(file))?,
            RawRules::Inline(items) => {
                RuleList::from_value(format!("({place}, {what} {})", i + 1), Value::Array(items))?
            }
        };
        for warning in &list.warnings {
            tracing::warn!("{warning}");
        }
        rules.extend(list.rules);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<JobFile, InputError> {
        JobFile::parse(Path::new("jobs.yaml"), text)
    }

    #[test]
    fn people_any_taken_within_and_relative_dates_become_plain_conditions() {
        let file = parse(
            "profile: f\njobs:\n  k:\n    album: A\n    include:\n      - people_any: [Mia, ' Leo ']\n      - taken_within: 30d\n      - metadata: {takenBefore: '-1w', city: Rome}\n",
        )
        .unwrap();
        let job = &file.jobs[0];
        assert_eq!(
            job.include[0],
            Condition::Any(vec![
                Condition::People(vec!["Mia".into()]),
                Condition::People(vec!["Leo".into()]),
            ])
        );
        assert_eq!(job.people(), ["Mia", "Leo"]);
        let now = crate::clock::now();
        let Condition::Search(within) = &job.include[1] else {
            panic!("{:?}", job.include[1])
        };
        let after = within.body["takenAfter"].as_str().unwrap();
        // Read just now: 30 days back, give or take the second the test took.
        let expected = dates::iso(now - 30 * 86_400);
        assert_eq!(&after[..16], &expected[..16], "{after}");
        assert_eq!(
            within.label(),
            format!("metadata taken within 30d (after {after})")
        );
        let Condition::Search(rome) = &job.include[2] else {
            panic!()
        };
        let before = rome.body["takenBefore"].as_str().unwrap();
        assert_eq!(&before[..16], &dates::iso(now - 7 * 86_400)[..16]);
        assert_eq!(rome.body["city"], "Rome");
    }

    #[test]
    fn a_bad_span_or_relative_date_names_its_place() {
        let cases = [
            (
                "      - taken_within: 30x\n",
                "`taken_within: 30x` is not a span",
            ),
            (
                "      - taken_within: 0d\n",
                "`taken_within: 0d` is not a span",
            ),
            (
                "      - metadata: {takenAfter: '-30 days'}\n",
                "`takenAfter: -30 days` is not a relative date",
            ),
            ("      - people_any: []\n", "`people_any` needs one or more"),
        ];
        for (condition, expected) in cases {
            let text = format!("profile: f\njobs:\n  k:\n    album: A\n    include:\n{condition}");
            let error = parse(&text).unwrap_err().to_string();
            assert!(
                error.contains(expected) && error.contains("include 1"),
                "{error}"
            );
        }
    }

    #[test]
    fn the_issue_example_parses() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("summer-2023.json"),
            r#"{"takenAfter": "2023-06-01T00:00:00.000Z"}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("iphone15pro.json"),
            r#"[{"path": "$.exifInfo.model", "regex": "iPhone 15 Pro"}]"#,
        )
        .unwrap();
        let text = r#"
profile: family                      # name or path
jobs:
  kids:
    accounts: [alice, bob]
    include:
      - any:
          - people: [Mia]
          - people: [Leo]
      - metadata: summer-2023.json
      - metadata: {takenAfter: "2023-06-01T00:00:00.000Z"}
    exclude:
      - smart: {query: screenshot, resultLimit: 200}
    local:
      include: [iphone15pro.json]
      exclude: []
    album: Family kids
    album_owner: alice
    safe:
      album: Family kids (for grandparents)
      exclude:
        - smart: {query: nsfw, resultLimit: 100}
"#;
        let file = JobFile::parse(&dir.path().join("jobs.yaml"), text).unwrap();
        assert_eq!(file.profile, "family");
        let job = &file.jobs[0];
        assert_eq!(job.name, "kids");
        assert_eq!(job.include.len(), 3);
        assert!(matches!(&job.include[0], Condition::Any(items) if items.len() == 2));
        match &job.include[2] {
            Condition::Search(f) => assert_eq!(f.body["takenAfter"], "2023-06-01T00:00:00.000Z"),
            other => panic!("{other:?}"),
        }
        match &job.exclude[0] {
            Condition::Search(f) => {
                assert_eq!(f.kind, SearchKind::Smart);
                assert_eq!(f.limit, Some(200));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(job.local.rules().count(), 1);
        assert_eq!(job.people(), ["Mia", "Leo"]);
        assert_eq!(job.safe.as_ref().unwrap().exclude.len(), 1);
        // The defaults: timeline only, the main album not pruned, the safe album pruned.
        assert!(!job.include_archived && !job.prune);
        assert!(job.safe.as_ref().unwrap().prune);
        assert_eq!((job.max_removals, job.max_removal_fraction), (50, 0.2));
        let tuned = parse(
            "profile: f\njobs:\n  k:\n    album: A\n    include: [{people: [Mia]}]\n    include_archived: true\n    prune: true\n    max_removals: 5\n    max_removal_fraction: 1\n    safe: {album: B, prune: false}\n",
        )
        .unwrap();
        let job = &tuned.jobs[0];
        assert!(job.include_archived && job.prune && !job.safe.as_ref().unwrap().prune);
        assert_eq!((job.max_removals, job.max_removal_fraction), (5, 1.0));
    }

    #[test]
    fn unknown_fields_are_errors_with_line_and_column() {
        let error = parse("profile: family\njobs:\n  kids:\n    album: K\n    include: [{people: [Mia]}]\n    albun_owner: alice\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("jobs.yaml: not a valid job file"),
            "{error}"
        );
        assert!(error.contains("albun_owner"), "{error}");
        assert!(error.contains("line 6"), "{error}");
    }

    #[test]
    fn mistakes_name_the_job_and_the_place() {
        let cases = [
            ("profile: f\njobs: {}\n", "`jobs` is empty"),
            (
                "profile: f\njobs:\n  k:\n    album: A\n",
                "job `k`: `include` is empty",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{smart: {query: x}}]\n",
                "job `k`, include 1)",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{any: []}]\n",
                "job `k`, include 1: `any` is empty",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{people: []}]\n",
                "needs one or more person names",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{metadata: missing.json}]\n",
                "missing.json: cannot read",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{people: [Mia]}]\n    local: {include: [[{path: '$.a', regex: '(x'}]]}\n",
                "local include 1) rule 1",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{people: [Mia]}]\n    safe: {album: A}\n",
                "safe variant its own album",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{people: [Mia]}]\n    max_removal_fraction: 20\n",
                "job `k`: `max_removal_fraction` is 20; expected a fraction",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{people: [Mia]}]\n    max_removal_fraction: 0\n",
                "job `k`: `max_removal_fraction` is 0; expected a fraction",
            ),
            (
                "profile: f\njobs:\n  k:\n    album: A\n    include: [{people: [Mia]}]\n    prune: maybe\n",
                "prune",
            ),
        ];
        for (text, expected) in cases {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}\n=> {error}");
        }
    }

    #[test]
    fn select_picks_a_job_by_name() {
        let file = parse("profile: f\njobs:\n  a: {album: A, include: [{people: [Mia]}]}\n  b: {album: B, include: [{people: [Leo]}]}\n").unwrap();
        assert_eq!(file.select(None).unwrap().len(), 2);
        assert_eq!(file.select(Some("b")).unwrap()[0].album, "B");
        let error = file.select(Some("c")).unwrap_err().to_string();
        assert!(
            error.contains("no job named `c`; the jobs are: a, b"),
            "{error}"
        );
    }

    #[test]
    fn the_warnings_of_every_filter_reach_the_job_nested_excluded_and_safe_ones_too() {
        let file = parse(
            "profile: f\njobs:\n  k:\n    album: A\n    include:\n      - any:\n          - people: [Mia]\n          - metadata: {citty: Rome}\n    exclude: [{metadata: {makee: Canon}}]\n    safe:\n      album: B\n      exclude: [{all: [{people: [Leo]}, {smart: {query: x, resultLimit: 5, modell: y}}]}]\n",
        )
        .unwrap();
        let warnings = file.jobs[0].warnings();
        for field in ["`citty`", "`makee`", "`modell`"] {
            assert_eq!(
                warnings.iter().filter(|w| w.contains(field)).count(),
                1,
                "{field} in {warnings:?}"
            );
        }
        assert_eq!(warnings.len(), 3, "{warnings:?}");
    }
}
