//! Local filters: rules evaluated on each asset's JSON as the search returned it, with the Python tool's
//! semantics. A rule is `{"path": "<JSONPath>", "regex": "...", "description": "..."}`:
//! - no value at the path: an include rule fails, an exclude rule does not match;
//! - several values: the rule matches if any one does;
//! - the regex is an unanchored, case-insensitive search over the value's text (strings as they are,
//!   numbers and booleans as JSON text, lists and objects as compact JSON, null skipped);
//! - a missing or empty regex means "the path exists".
//!
//! In job files and the early flags, all include rules must match and any matching exclude rule
//! removes the asset; the current flags group rules into unions and intersections ([`RuleGroup`]). Paths and regexes are
//! compiled once, when the file is read, and a bad one is an input error naming the file and the rule.
//!
//! Rules run on the raw JSON of each asset ([`LocalFilters::keep_raw`]). A simple path (`$.a.b`,
//! `$.a[*].b`, `$.a[0]`, `$['a']`, `$.a.*`) is followed straight through the raw text, skipping
//! everything off the path without building it, with the same results as jsonpath-rust (a test checks
//! them against each other); any other path parses the asset once and goes through jsonpath-rust.

use std::path::Path;

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::InputError;

/// A rule as written in the file.
#[derive(Debug, Deserialize)]
struct RawRule {
    path: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(flatten)]
    other: serde_json::Map<String, Value>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct LocalRule {
    /// Where it came from: `filters/iphone.json rule 2` (rules count from 1).
    pub origin: String,
    pub path_text: String,
    pub description: Option<String>,
    path: JpQuery,
    /// The steps of a simple path, followed without jsonpath-rust; `None` for any other path.
    steps: Option<Vec<Step>>,
    regex: Option<Regex>,
}

impl LocalRule {
    /// Whether the rule matches the asset: a value at the path whose text the regex finds (or, with no
    /// regex, any value at all).
    pub fn matches(&self, asset: &Value) -> bool {
        let Ok(found) = js_path_process(&self.path, asset) else {
            return false;
        };
        self.judge(found.iter().map(|hit| hit.val))
    }

    /// [`LocalRule::matches`] on an asset's raw JSON. `parsed` holds the asset parsed once, for the
    /// rules whose path is not simple.
    pub fn matches_raw(&self, asset: &RawValue, parsed: &mut Option<Value>) -> bool {
        match &self.steps {
            Some(steps) => {
                let found = follow(asset.get(), steps);
                self.judge(found.iter())
            }
            None => {
                if parsed.is_none() {
                    match serde_json::from_str(asset.get()) {
                        Ok(value) => *parsed = Some(value),
                        Err(_) => return false,
                    }
                }
                self.matches(parsed.as_ref().expect("parsed above"))
            }
        }
    }

    fn judge<'v>(&self, mut found: impl Iterator<Item = &'v Value>) -> bool {
        match &self.regex {
            None => found.next().is_some(),
            Some(regex) => found.any(|value| match value {
                Value::Null => false,
                Value::String(text) => regex.is_match(text),
                other => regex.is_match(&other.to_string()),
            }),
        }
    }

    /// Whether the path may reach into a part of the asset that searches send only when asked.
    fn reaches(&self, field: &str) -> bool {
        self.path_text.contains(field)
            || self.path_text.contains("..")
            || self.path_text.contains('*')
    }
}

/// The rules of one local filter file (or one inline list).
#[derive(Debug, Clone)]
pub struct RuleList {
    pub origin: String,
    pub rules: Vec<LocalRule>,
    pub warnings: Vec<String>,
}

impl RuleList {
    pub fn load(path: &Path) -> Result<RuleList, InputError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            InputError::new(format!(
                "{origin}: cannot read the local filter file: {error}"
            ))
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|error| {
            InputError::new(format!(
                "{origin}: not valid JSON: {error} (expected a list of rules such as \
                 [{{\"path\": \"$.exifInfo.model\", \"regex\": \"iPhone 15\"}}])"
            ))
        })?;
        RuleList::from_value(origin, value)
    }

    pub fn from_value(origin: String, value: Value) -> Result<RuleList, InputError> {
        let Value::Array(items) = value else {
            return Err(InputError::new(format!(
                "{origin}: a local filter must be a JSON list of rules such as \
                 [{{\"path\": \"$.exifInfo.model\", \"regex\": \"iPhone 15\"}}]"
            )));
        };
        let mut rules = Vec::with_capacity(items.len());
        let mut warnings = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let place = format!("{origin} rule {}", index + 1);
            let raw: RawRule = serde_json::from_value(item).map_err(|error| {
                InputError::new(format!(
                    "{place}: expected an object with `path` and optional `regex` and \
                     `description` strings ({error})"
                ))
            })?;
            let Some(path_text) = raw.path.filter(|p| !p.trim().is_empty()) else {
                return Err(InputError::new(format!(
                    "{place}: `path` is missing; expected a JSONPath such as $.exifInfo.model"
                )));
            };
            for field in raw.other.keys() {
                warnings.push(format!(
                    "{place}: `{field}` is not a rule field (path, regex, description); ignored"
                ));
            }
            let path = parse_json_path(&path_text).map_err(|error| {
                InputError::new(format!(
                    "{place}: `{path_text}` is not a valid JSONPath ({error}); expected e.g. \
                     $.exifInfo.model or $.people[*].name"
                ))
            })?;
            let regex = match raw.regex.as_deref() {
                None | Some("") => None,
                Some(pattern) => Some(
                    RegexBuilder::new(pattern)
                        .case_insensitive(true)
                        .build()
                        .map_err(|error| {
                            InputError::new(format!(
                                "{place}: `{pattern}` is not a valid regex: {error}"
                            ))
                        })?,
                ),
            };
            rules.push(LocalRule {
                origin: place,
                steps: simple_path(&path_text),
                path_text,
                description: raw.description,
                path,
                regex,
            });
        }
        Ok(RuleList {
            origin,
            rules,
            warnings,
        })
    }
}

/// Rules that match together: when any one of them matches (a union), or only when every one does
/// (an intersection).
#[derive(Debug, Clone)]
pub struct RuleGroup {
    pub every: bool,
    pub rules: Vec<LocalRule>,
}

impl RuleGroup {
    fn matches_raw(&self, asset: &RawValue, parsed: &mut Option<Value>) -> bool {
        if self.every {
            self.rules
                .iter()
                .all(|rule| rule.matches_raw(asset, parsed))
        } else {
            self.rules
                .iter()
                .any(|rule| rule.matches_raw(asset, parsed))
        }
    }

    fn matches(&self, asset: &Value) -> bool {
        if self.every {
            self.rules.iter().all(|rule| rule.matches(asset))
        } else {
            self.rules.iter().any(|rule| rule.matches(asset))
        }
    }
}

/// Every local include and exclude rule of a selection: an asset is kept when every include group
/// matches and no exclude group does. Groups are never empty.
#[derive(Debug, Clone, Default)]
pub struct LocalFilters {
    include: Vec<RuleGroup>,
    exclude: Vec<RuleGroup>,
}

impl LocalFilters {
    /// Job files' and the early flags' rules: every include rule must match, and any matching exclude
    /// rule removes the asset.
    pub fn every_and_any(include: Vec<LocalRule>, exclude: Vec<LocalRule>) -> LocalFilters {
        let mut filters = LocalFilters::default();
        filters.include(RuleGroup {
            every: true,
            rules: include,
        });
        filters.exclude(RuleGroup {
            every: false,
            rules: exclude,
        });
        filters
    }

    /// Adds a group that must match (an empty one is nothing to check).
    pub fn include(&mut self, group: RuleGroup) {
        if !group.rules.is_empty() {
            self.include.push(group);
        }
    }

    /// Adds a group that removes what it matches (an empty one removes nothing).
    pub fn exclude(&mut self, group: RuleGroup) {
        if !group.rules.is_empty() {
            self.exclude.push(group);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether an asset passes: every include group matches and no exclude group does.
    pub fn keep(&self, asset: &Value) -> bool {
        self.include.iter().all(|group| group.matches(asset))
            && !self.exclude.iter().any(|group| group.matches(asset))
    }

    /// [`LocalFilters::keep`] on an asset's raw JSON, which is parsed only for rules whose path is not
    /// simple, and then once.
    pub fn keep_raw(&self, asset: &RawValue) -> bool {
        let mut parsed = None;
        self.include
            .iter()
            .all(|group| group.matches_raw(asset, &mut parsed))
            && !self
                .exclude
                .iter()
                .any(|group| group.matches_raw(asset, &mut parsed))
    }

    /// Every rule, include rules first.
    pub fn rules(&self) -> impl Iterator<Item = &LocalRule> {
        self.include
            .iter()
            .chain(&self.exclude)
            .flat_map(|group| &group.rules)
    }

    /// Whether any rule may look at `exifInfo`, which searches send only with `withExif`.
    pub fn needs_exif(&self) -> bool {
        self.rules().any(|rule| rule.reaches("exifInfo"))
    }

    /// Whether any rule may look at `people`, which metadata search sends only with `withPeople`.
    pub fn needs_people(&self) -> bool {
        self.rules().any(|rule| rule.reaches("people"))
    }
}

/// One step of a simple path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `.name` or `['name']`: the member of an object.
    Name(String),
    /// `[*]` or `.*`: every element of an array, every member value of an object.
    Wildcard,
    /// `[n]`: the element of an array.
    Index(usize),
}

/// The steps of a simple path (`$`, then `.name`, `['name']`, `["name"]`, `.*`, `[*]`, `[n]`), or
/// `None` for anything else (`..`, filters, slices, negative indexes, unusual names).
fn simple_path(text: &str) -> Option<Vec<Step>> {
    let plain = |name: &str| {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let mut rest = text.trim().strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(".*") {
            steps.push(Step::Wildcard);
            rest = after;
        } else if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            if !plain(name) {
                return None;
            }
            steps.push(Step::Name(name.to_string()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let inner = &after[..end];
            let quoted = |q: char| {
                inner
                    .strip_prefix(q)
                    .and_then(|i| i.strip_suffix(q))
                    .filter(|name| plain(name))
            };
            if inner == "*" {
                steps.push(Step::Wildcard);
            } else if let Some(name) = quoted('\'').or_else(|| quoted('"')) {
                steps.push(Step::Name(name.to_string()));
            } else if !inner.is_empty()
                && inner.len() < 10
                && inner.bytes().all(|b| b.is_ascii_digit())
                && (inner == "0" || !inner.starts_with('0'))
            {
                steps.push(Step::Index(inner.parse().ok()?));
            } else {
                return None;
            }
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}

/// The values at a simple path in raw JSON; what is off the path is skipped, not built.
fn follow(json: &str, steps: &[Step]) -> Vec<Value> {
    let mut found = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let walked = Walker {
        steps,
        out: &mut found,
    }
    .deserialize(&mut deserializer);
    if walked.is_err() {
        found.clear();
    }
    found
}

/// Follows the remaining steps through one JSON value, collecting what is at their end.
struct Walker<'s, 'o> {
    steps: &'s [Step],
    out: &'o mut Vec<Value>,
}

impl<'de> DeserializeSeed<'de> for Walker<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.steps.is_empty() {
            self.out.push(Value::deserialize(deserializer)?);
            Ok(())
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Walker<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (step, rest) = self.steps.split_first().expect("steps left");
        let out = self.out;
        let mut index = 0;
        loop {
            let wanted = match step {
                Step::Wildcard => true,
                Step::Index(n) => *n == index,
                Step::Name(_) => false,
            };
            let more = if wanted {
                seq.next_element_seed(Walker {
                    steps: rest,
                    out: &mut *out,
                })?
                .is_some()
            } else {
                seq.next_element::<IgnoredAny>()?.is_some()
            };
            if !more {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (step, rest) = self.steps.split_first().expect("steps left");
        let out = self.out;
        while let Some(wanted) = map.next_key_seed(KeyIs(step))? {
            if wanted {
                map.next_value_seed(Walker {
                    steps: rest,
                    out: &mut *out,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// Reads an object key and says whether the step goes into its value.
struct KeyIs<'s>(&'s Step);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<bool, E> {
        Ok(match self.0 {
            Step::Name(name) => name == key,
            Step::Wildcard => true,
            Step::Index(_) => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(path: &str, regex: Option<&str>) -> LocalRule {
        let mut spec = json!({ "path": path });
        if let Some(regex) = regex {
            spec["regex"] = json!(regex);
        }
        RuleList::from_value("t.json".into(), json!([spec]))
            .unwrap()
            .rules
            .remove(0)
    }

    fn asset() -> Value {
        json!({
            "id": "a1",
            "originalPath": "/trip/2014-11-18/IMG_1.JPG",
            "isFavorite": false,
            "exifInfo": {"make": "Apple", "model": "iPhone 15 Pro", "fNumber": 1.8, "iso": 800,
                         "lensModel": null, "city": "Helsinki"},
            "people": [{"name": "Mia"}, {"name": "Leo"}]
        })
    }

    /// The Python tool's semantics, case by case: (path, regex, matches?).
    #[test]
    fn rule_semantics_table() {
        let cases: &[(&str, Option<&str>, bool)] = &[
            ("$.exifInfo.model", Some("iPhone 15"), true),
            ("$.exifInfo.model", Some("iphone 15 pro"), true), // case-insensitive
            ("$.exifInfo.model", Some("Pro$"), true),          // unanchored search, anchors work
            ("$.exifInfo.model", Some("^Pro"), false),
            ("$.exifInfo.model", Some("Pixel"), false),
            ("$.exifInfo.fNumber", Some("^1\\.8$"), true), // numbers as JSON text
            ("$.exifInfo.iso", Some("800"), true),
            ("$.isFavorite", Some("false"), true), // booleans as JSON text
            ("$.isFavorite", Some("False"), true),
            ("$.exifInfo.lensModel", Some(".*"), false), // null is skipped
            ("$.exifInfo.lensModel", None, true),        // but the path exists
            ("$.exifInfo.lensModel", Some(""), true),    // empty regex = exists
            ("$.exifInfo.nothing", None, false),         // no value at the path
            ("$.exifInfo.nothing", Some(".*"), false),
            ("$.people[*].name", Some("^Leo$"), true), // any of several values
            ("$.people[*].name", Some("^Anna$"), false),
            ("$.originalPath", Some("^/trip/2014-11-18"), true),
            ("$..city", Some("helsinki"), true),
        ];
        let asset = asset();
        for (path, regex, expected) in cases {
            assert_eq!(
                rule(path, *regex).matches(&asset),
                *expected,
                "path {path} regex {regex:?}"
            );
        }
    }

    #[test]
    fn include_needs_all_and_exclude_needs_any() {
        let asset = asset();
        let filters = LocalFilters::every_and_any(
            vec![
                rule("$.exifInfo.make", Some("apple")),
                rule("$.nothing", None),
            ],
            vec![],
        );
        assert!(
            !filters.keep(&asset),
            "a missing path makes an include rule fail"
        );
        let filters = LocalFilters::every_and_any(
            vec![rule("$.exifInfo.make", Some("apple"))],
            vec![
                rule("$.nothing", Some(".*")),
                rule("$.exifInfo.city", Some("hel")),
            ],
        );
        assert!(!filters.keep(&asset), "any exclude rule removes");
        let filters = LocalFilters::every_and_any(
            vec![rule("$.exifInfo.make", Some("apple"))],
            vec![rule("$.nothing", Some(".*"))],
        );
        assert!(
            filters.keep(&asset),
            "a missing path makes an exclude rule not match"
        );
        assert!(LocalFilters::default().keep(&asset));
    }

    #[test]
    fn bad_rules_name_the_file_and_the_rule() {
        let error = RuleList::from_value(
            "f.json".into(),
            json!([{"path": "$.a", "regex": "x"}, {"path": "$.b", "regex": "(unclosed"}]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("f.json rule 2: `(unclosed` is not a valid regex"),
            "{error}"
        );

        let error = RuleList::from_value("f.json".into(), json!([{"path": "$[?(@.a ==]"}]))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("f.json rule 1: `$[?(@.a ==]` is not a valid JSONPath"),
            "{error}"
        );

        let error = RuleList::from_value("f.json".into(), json!([{"regex": "x"}]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("rule 1: `path` is missing"), "{error}");

        let error = RuleList::from_value("f.json".into(), json!({"path": "$.a"}))
            .unwrap_err()
            .to_string();
        assert!(error.contains("must be a JSON list"), "{error}");
    }

    #[test]
    fn knows_which_optional_parts_of_an_asset_it_needs() {
        let exif = LocalFilters::every_and_any(vec![rule("$.exifInfo.model", Some("x"))], vec![]);
        assert!(exif.needs_exif() && !exif.needs_people());
        let path_only =
            LocalFilters::every_and_any(vec![rule("$.originalPath", Some("x"))], vec![]);
        assert!(!path_only.needs_exif() && !path_only.needs_people());
    }

    /// The raw-JSON walk gives exactly what jsonpath-rust gives, for every simple path tried.
    #[test]
    fn simple_paths_match_jsonpath_rust() {
        let assets = [
            asset(),
            json!({"id": "b", "exifInfo": null, "people": [], "tags": [{"value": "x"}, {"value": 2}]}),
            json!({"id": "c", "exifInfo": {"model": ["a", "b"], "make": {"x": 1}}, "people": {"name": "Obj"},
                   "tags": [[1, 2], [3]], "a_b": {"c1": [null, true, 1.5]}}),
            json!([{"id": "array root"}, {"exifInfo": {"model": "m"}}]),
            json!("a string root"),
        ];
        let names = [
            "id", "exifInfo", "model", "make", "people", "name", "tags", "value", "x", "a_b", "c1",
            "nothing",
        ];
        let mut paths: Vec<String> = vec!["$".into()];
        let steps = |depth: usize| -> Vec<String> {
            let mut out = vec![String::new()];
            for _ in 0..depth {
                let mut next = Vec::new();
                for prefix in &out {
                    for name in names {
                        next.push(format!("{prefix}.{name}"));
                    }
                    for other in [".*", "[*]", "[0]", "[1]", "[7]"] {
                        next.push(format!("{prefix}{other}"));
                    }
                }
                out = next;
            }
            out
        };
        for depth in 1..=3 {
            paths.extend(steps(depth).into_iter().map(|s| format!("${s}")));
        }
        paths.extend(
            [
                "$['exifInfo']['model']",
                "$[\"people\"][*][\"name\"]",
                "$['a_b'].c1[2]",
            ]
            .map(String::from),
        );
        assert!(paths.len() > 5000);
        let text = |values: Vec<Value>| {
            let mut texts: Vec<String> = values.iter().map(Value::to_string).collect();
            texts.sort();
            texts
        };
        for path in &paths {
            let steps = simple_path(path).unwrap_or_else(|| panic!("{path} is simple"));
            let query = parse_json_path(path).unwrap();
            for asset in &assets {
                let expected: Vec<Value> = js_path_process(&query, asset)
                    .unwrap()
                    .into_iter()
                    .map(|hit| hit.val.clone())
                    .collect();
                let got = follow(&asset.to_string(), &steps);
                assert_eq!(text(got), text(expected), "path {path} on {asset}");
            }
        }
        for complex in [
            "$..city",
            "$.people[?(@.name == 'Mia')]",
            "$.a[-1]",
            "$.a[0:2]",
            "$.a-b",
        ] {
            assert_eq!(simple_path(complex), None, "{complex}");
        }
    }

    #[test]
    fn raw_and_parsed_rules_agree() {
        let asset = asset();
        let raw = RawValue::from_string(asset.to_string()).unwrap();
        let cases = [
            ("$.exifInfo.model", Some("iphone")),
            ("$.people[*].name", Some("^Leo$")),
            ("$..city", Some("helsinki")),
            ("$.exifInfo.lensModel", None),
            ("$.exifInfo.lensModel", Some(".")),
            ("$.people[?(@.name == 'Mia')].name", Some("mia")),
        ];
        for (path, regex) in cases {
            let rule = rule(path, regex);
            assert_eq!(
                rule.matches_raw(&raw, &mut None),
                rule.matches(&asset),
                "{path}"
            );
        }
    }
}
