//! Job files: YAML that names a profile and holds one or more jobs. This module reads a job file into
//! checked [`JobSpec`]s: every filter file it names (relative to the job file) is read, every inline
//! filter checked, every local rule compiled, so that a mistake is reported with the file, the place
//! and what was expected before any request is sent. Unknown fields are errors (a typo in a job must
//! not quietly widen what goes into an album).

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use crate::error::InputError;
use crate::filter::{LocalFilters, LocalRule, RuleList, SearchFilter};
use crate::immich::SearchKind;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJobFile {
    profile: String,
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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum RawCondition {
    Metadata(RawFilter),
    Smart(RawFilter),
    People(Vec<String>),
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
}

fn yes() -> bool {
    true
}

/// One condition of a job.
#[derive(Debug, Clone)]
pub enum Condition {
    /// A metadata or smart search.
    Search(SearchFilter),
    /// Photos that show every one of these people (names, resolved per account).
    People(Vec<String>),
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

    /// Every person name the condition mentions.
    pub fn people(&self, names: &mut Vec<String>) {
        match self {
            Condition::Search(_) => {}
            Condition::People(list) => names.extend(list.iter().cloned()),
            Condition::Any(items) | Condition::All(items) => {
                items.iter().for_each(|c| c.people(names));
            }
        }
    }

    fn warnings(&self, out: &mut Vec<String>) {
        match self {
            Condition::Search(filter) => out.extend(filter.warnings.iter().cloned()),
            Condition::People(_) => {}
            Condition::Any(items) | Condition::All(items) => {
                items.iter().for_each(|c| c.warnings(out));
            }
        }
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
        let mut names = Vec::new();
        let safe = self.safe.iter().flat_map(|s| &s.exclude);
        for condition in self.include.iter().chain(&self.exclude).chain(safe) {
            condition.people(&mut names);
        }
        let mut seen = std::collections::HashSet::new();
        names.retain(|n| seen.insert(n.clone()));
        names
    }
}

/// A checked job file.
#[derive(Debug, Clone)]
pub struct JobFile {
    pub path: PathBuf,
    /// The profile's name or path, as written.
    pub profile: String,
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
        Some(local) => LocalFilters {
            include: check_rules(&place, base, local.include, "local include")?,
            exclude: check_rules(&place, base, local.exclude, "local exclude")?,
        },
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
            Some(SafeSpec {
                album: safe.album,
                exclude: conditions(safe.exclude, "safe exclude")?,
                prune: safe.prune,
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
    })
}

fn check_condition(place: &str, base: &Path, raw: RawCondition) -> Result<Condition, InputError> {
    let search = |kind: SearchKind, filter: RawFilter| -> Result<Condition, InputError> {
        let filter = match filter {
            RawFilter::Path(file) => SearchFilter::load(kind, &base.join(file))?,
            RawFilter::Inline(body) => {
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
        RawCondition::People(names) => {
            let names: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
            if names.is_empty() || names.iter().any(String::is_empty) {
                return Err(InputError::new(format!(
                    "{place}: `people` needs one or more person names, e.g. [Mia, Leo]"
                )));
            }
            Ok(Condition::People(names))
        }
        RawCondition::Any(items) => Ok(Condition::Any(nested(items, "any")?)),
        RawCondition::All(items) => Ok(Condition::All(nested(items, "all")?)),
    }
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
        assert_eq!(job.local.include.len(), 1);
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
