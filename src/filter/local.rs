//! Local filters: rules evaluated on each asset's JSON as the search returned it, with the Python tool's
//! semantics. A rule is `{"path": "<JSONPath>", "regex": "...", "description": "..."}`:
//! - no value at the path: an include rule fails, an exclude rule does not match;
//! - several values: the rule matches if any one does;
//! - the regex is an unanchored, case-insensitive search over the value's text (strings as they are,
//!   numbers and booleans as JSON text, lists and objects as compact JSON, null skipped);
//! - a missing or empty regex means "the path exists".
//!
//! All include rules must match; any matching exclude rule removes the asset. Paths and regexes are
//! compiled once, when the file is read, and a bad one is an input error naming the file and the rule.

use std::path::Path;

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::Value;

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
    regex: Option<Regex>,
}

impl LocalRule {
    /// Whether the rule matches the asset: a value at the path whose text the regex finds (or, with no
    /// regex, any value at all).
    pub fn matches(&self, asset: &Value) -> bool {
        let Ok(found) = js_path_process(&self.path, asset) else {
            return false;
        };
        match &self.regex {
            None => !found.is_empty(),
            Some(regex) => found.iter().any(|hit| match hit.val {
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

/// Every local include and exclude rule of a selection.
#[derive(Debug, Clone, Default)]
pub struct LocalFilters {
    pub include: Vec<LocalRule>,
    pub exclude: Vec<LocalRule>,
}

impl LocalFilters {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether an asset passes: every include rule matches and no exclude rule does.
    pub fn keep(&self, asset: &Value) -> bool {
        self.include.iter().all(|rule| rule.matches(asset))
            && !self.exclude.iter().any(|rule| rule.matches(asset))
    }

    fn rules(&self) -> impl Iterator<Item = &LocalRule> {
        self.include.iter().chain(&self.exclude)
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
        let filters = LocalFilters {
            include: vec![
                rule("$.exifInfo.make", Some("apple")),
                rule("$.nothing", None),
            ],
            exclude: vec![],
        };
        assert!(
            !filters.keep(&asset),
            "a missing path makes an include rule fail"
        );
        let filters = LocalFilters {
            include: vec![rule("$.exifInfo.make", Some("apple"))],
            exclude: vec![
                rule("$.nothing", Some(".*")),
                rule("$.exifInfo.city", Some("hel")),
            ],
        };
        assert!(!filters.keep(&asset), "any exclude rule removes");
        let filters = LocalFilters {
            include: vec![rule("$.exifInfo.make", Some("apple"))],
            exclude: vec![rule("$.nothing", Some(".*"))],
        };
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
        let exif = LocalFilters {
            include: vec![rule("$.exifInfo.model", Some("x"))],
            exclude: vec![],
        };
        assert!(exif.needs_exif() && !exif.needs_people());
        let path_only = LocalFilters {
            include: vec![rule("$.originalPath", Some("x"))],
            exclude: vec![],
        };
        assert!(!path_only.needs_exif() && !path_only.needs_people());
    }
}
