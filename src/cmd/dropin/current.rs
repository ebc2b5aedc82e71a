//! The Python script's current flags (`--include-person-names-union Mia Leo`,
//! `--include-smart-union dog@500`, `--exclude-local-filter-union '$.originalPath:^/work/'`, ...) turned
//! into the condition tree that job files use. Values are classified as the script does
//! (`../shared/seed/python-head-cli.md` §3), without its bugs: a value that is neither valid JSON, nor
//! a `.json` file, nor a form the flag knows is an error, never silently skipped.
//!
//! The set algebra, per kind (metadata, smart, people):
//! - include: union values OR'ed, intersection values AND'ed, the two parts AND'ed; kinds AND'ed;
//! - exclude: union values OR'ed, each occurrence of an intersection flag its own AND group, all OR'ed
//!   (the script concatenates repeated exclude intersections into one group, its bug B1);
//! - local filters: include = (any union filter) and (every intersection filter), exclude likewise.

use serde_json::{Map, Value};

use crate::cli::{CurrentFlags, Occurrences};
use crate::error::InputError;
use crate::filter::{LocalFilters, LocalRule, RuleGroup, RuleList, SearchFilter};
use crate::immich::SearchKind;
use crate::job::{Condition, Selection};

/// The smart search limit when neither the query nor `--default-smart-result-limit` names one.
pub const DEFAULT_SMART_LIMIT: usize = 200;

/// Checks every value of the current flags and builds the selection. Reads the files named.
pub fn selection(flags: &CurrentFlags) -> Result<Selection, InputError> {
    let default_limit = match flags.default_smart_result_limit {
        Some(0) => {
            return Err(InputError::new(
                "--default-smart-result-limit must be at least 1 (the Python script reads 0 as \
                 \"the whole library, in similarity order\")",
            ));
        }
        Some(n) => n,
        None => DEFAULT_SMART_LIMIT,
    };
    let metadata = |flag: &str, values: &Occurrences| -> Result<Vec<Vec<Condition>>, InputError> {
        each(values, |v| metadata_value(flag, v).map(Condition::Search))
    };
    let smart = |flag: &str, values: &Occurrences| -> Result<Vec<Vec<Condition>>, InputError> {
        each(values, |v| {
            smart_value(flag, v, default_limit).map(Condition::Search)
        })
    };

    let mut include = Vec::new();
    let mut exclude = Vec::new();
    for (union, intersection, excl_union, excl_intersection) in [
        (
            metadata("--include-metadata-union", &flags.include_metadata_union)?,
            metadata(
                "--include-metadata-intersection",
                &flags.include_metadata_intersection,
            )?,
            metadata("--exclude-metadata-union", &flags.exclude_metadata_union)?,
            metadata(
                "--exclude-metadata-intersection",
                &flags.exclude_metadata_intersection,
            )?,
        ),
        (
            smart("--include-smart-union", &flags.include_smart_union)?,
            smart(
                "--include-smart-intersection",
                &flags.include_smart_intersection,
            )?,
            smart("--exclude-smart-union", &flags.exclude_smart_union)?,
            smart(
                "--exclude-smart-intersection",
                &flags.exclude_smart_intersection,
            )?,
        ),
    ] {
        add_kind(
            &mut include,
            &mut exclude,
            union,
            intersection,
            excl_union,
            excl_intersection,
        );
    }

    // The hidden `--*-person-ids-*` flags are more occurrences of the matching names flag (the
    // script sends them as a nested list, its bug B6). Names need no checking here.
    let persons = |names: &Occurrences, ids_flag: &str, ids: &Occurrences| {
        let ids = each(ids, |v| person_id(ids_flag, v))?;
        Ok::<Occurrences, InputError>(names.iter().cloned().chain(ids).collect())
    };
    let person_union = persons(
        &flags.include_person_names_union,
        "--include-person-ids-union",
        &flags.include_person_ids_union,
    )?;
    let person_intersection = persons(
        &flags.include_person_names_intersection,
        "--include-person-ids-intersection",
        &flags.include_person_ids_intersection,
    )?;
    let person_excl_union = persons(
        &flags.exclude_person_names_union,
        "--exclude-person-ids-union",
        &flags.exclude_person_ids_union,
    )?;
    let person_excl_intersection = persons(
        &flags.exclude_person_names_intersection,
        "--exclude-person-ids-intersection",
        &flags.exclude_person_ids_intersection,
    )?;
    // One search per person for a union (Immich's personIds is AND); one search with every id for an
    // intersection.
    let one_each = |groups: Vec<Vec<String>>| -> Vec<Vec<Condition>> {
        groups
            .into_iter()
            .map(|g| g.into_iter().map(|p| Condition::People(vec![p])).collect())
            .collect()
    };
    let together = |groups: Vec<Vec<String>>| -> Vec<Vec<Condition>> {
        groups
            .into_iter()
            .map(|g| vec![Condition::People(dedup(g))])
            .collect()
    };
    let all_together = |groups: Vec<Vec<String>>| -> Vec<Vec<Condition>> {
        let all: Vec<String> = groups.into_iter().flatten().collect();
        if all.is_empty() {
            Vec::new()
        } else {
            vec![vec![Condition::People(dedup(all))]]
        }
    };
    add_kind(
        &mut include,
        &mut exclude,
        one_each(person_union),
        all_together(person_intersection),
        one_each(person_excl_union),
        together(person_excl_intersection),
    );

    // Every rule of every value given to a flag, in order.
    let rules = |flag: &str, values: &[Vec<String>]| -> Result<Vec<LocalRule>, InputError> {
        let mut rules = Vec::new();
        for value in values.iter().flatten() {
            let list = local_value(flag, value)?;
            // As for the early flags: a field that is not a rule field is warned about.
            for warning in &list.warnings {
                tracing::warn!("{warning}");
            }
            rules.extend(list.rules);
        }
        Ok(rules)
    };
    let mut local = LocalFilters::default();
    local.include(RuleGroup {
        every: false,
        rules: rules(
            "--include-local-filter-union",
            &flags.include_local_filter_union,
        )?,
    });
    local.include(RuleGroup {
        every: true,
        rules: rules(
            "--include-local-filter-intersection",
            &flags.include_local_filter_intersection,
        )?,
    });
    local.exclude(RuleGroup {
        every: false,
        rules: rules(
            "--exclude-local-filter-union",
            &flags.exclude_local_filter_union,
        )?,
    });
    // Each occurrence is its own group (the script joined them into one, its bug B1).
    for occurrence in &flags.exclude_local_filter_intersection {
        local.exclude(RuleGroup {
            every: true,
            rules: rules(
                "--exclude-local-filter-intersection",
                std::slice::from_ref(occurrence),
            )?,
        });
    }
    Ok(Selection {
        include,
        exclude,
        local,
    })
}

/// Adds one kind's conditions: include union values as one `any`, each include intersection value on
/// its own (top-level includes are intersected), each exclude union value on its own (top-level
/// excludes are united), and each exclude intersection occurrence as one `all`.
fn add_kind(
    include: &mut Vec<Condition>,
    exclude: &mut Vec<Condition>,
    union: Vec<Vec<Condition>>,
    intersection: Vec<Vec<Condition>>,
    excl_union: Vec<Vec<Condition>>,
    excl_intersection: Vec<Vec<Condition>>,
) {
    let union: Vec<Condition> = union.into_iter().flatten().collect();
    match union.len() {
        0 => {}
        1 => include.extend(union),
        _ => include.push(Condition::Any(union)),
    }
    include.extend(intersection.into_iter().flatten());
    exclude.extend(excl_union.into_iter().flatten());
    for mut group in excl_intersection {
        if group.len() == 1 {
            exclude.push(group.pop().expect("one condition"));
        } else if !group.is_empty() {
            exclude.push(Condition::All(group));
        }
    }
}

/// Applies `check` to every value, keeping the occurrences apart.
fn each<T>(
    values: &Occurrences,
    mut check: impl FnMut(&str) -> Result<T, InputError>,
) -> Result<Vec<Vec<T>>, InputError> {
    values
        .iter()
        .map(|occurrence| occurrence.iter().map(|v| check(v)).collect())
        .collect()
}

fn dedup(mut values: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values.retain(|v| seen.insert(v.clone()));
    values
}

/// A JSON object with where it came from.
type Labelled = (String, Map<String, Value>);

/// A value that is JSON text for an object, or the path of an existing `.json` file holding one.
/// `None` when it is neither (the caller decides what else it may be).
fn json_object(flag: &str, value: &str) -> Result<Option<Labelled>, InputError> {
    if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(value) {
        return Ok(Some((format!("{flag} {value}"), object)));
    }
    let path = std::path::Path::new(value);
    if value.ends_with(".json") && path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(format!("{flag} {value}: cannot read the file: {e}")))?;
        return match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(object)) => Ok(Some((value.to_string(), object))),
            Ok(other) => Err(InputError::new(format!(
                "{value} (given to {flag}): expected a JSON object such as {{\"isFavorite\": \
                 true}}, found {}",
                kind_of(&other)
            ))),
            Err(error) => Err(InputError::new(format!(
                "{value} (given to {flag}): not valid JSON: {error}"
            ))),
        };
    }
    Ok(None)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A metadata value: JSON text for an object, or a `.json` file holding one. `{}` is every asset.
fn metadata_value(flag: &str, value: &str) -> Result<SearchFilter, InputError> {
    match json_object(flag, value)? {
        Some((origin, object)) => {
            SearchFilter::from_value(SearchKind::Metadata, origin, Value::Object(object))
                .map(|filter| short_origin(filter, value))
        }
        None => Err(InputError::new(format!(
            "{flag} `{value}`: expected a JSON object such as '{{\"takenAfter\": \
             \"2021-01-01T00:00:00.000Z\"}}' or the path of an existing .json file holding one{}",
            missing_file_hint(value)
        ))),
    }
}

fn missing_file_hint(value: &str) -> String {
    if value.ends_with(".json") {
        format!(" (no file `{value}` here)")
    } else {
        String::new()
    }
}

/// A smart value: JSON text for an object or a `.json` file (without `resultLimit` it gets the
/// default), `QUERY@N` for the best N, or plain query text with the default limit.
fn smart_value(flag: &str, value: &str, default_limit: usize) -> Result<SearchFilter, InputError> {
    let (origin, mut object) = match json_object(flag, value)? {
        Some(found) => found,
        None => {
            if value.trim_start().starts_with('{') || value.ends_with(".json") {
                return Err(InputError::new(format!(
                    "{flag} `{value}`: looks like JSON or a .json file but is neither valid JSON \
                     for an object nor an existing file{}",
                    missing_file_hint(value)
                )));
            }
            let (query, limit) = query_and_limit(value).unwrap_or((value.trim(), default_limit));
            if limit == 0 {
                return Err(InputError::new(format!(
                    "{flag} `{value}`: the limit after @ must be at least 1 (the Python script \
                     reads @0 as \"the whole library\")"
                )));
            }
            if query.is_empty() {
                return Err(InputError::new(format!(
                    "{flag} `{value}`: the query text is empty"
                )));
            }
            let mut object = Map::new();
            object.insert("query".into(), Value::String(query.to_string()));
            object.insert("resultLimit".into(), Value::from(limit));
            (format!("{flag} {value}"), object)
        }
    };
    if !object.contains_key("resultLimit") {
        object.insert("resultLimit".into(), Value::from(default_limit));
    }
    SearchFilter::from_value(SearchKind::Smart, origin, Value::Object(object))
        .map(|filter| short_origin(filter, value))
}

/// A value given inline is shown quoted in reports (`smart 'dog@500'`); messages about it while it
/// was checked named the flag too.
fn short_origin(mut filter: SearchFilter, value: &str) -> SearchFilter {
    if filter.origin != value {
        filter.origin = format!("'{value}'");
    }
    filter
}

/// `dog@500`, `cat @ 50`, `a@b@7` (query `a@b`): the text before the last `@` followed by digits only.
fn query_and_limit(value: &str) -> Option<(&str, usize)> {
    let (query, digits) = value.rsplit_once('@')?;
    let digits = digits.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((query.trim(), digits.parse().unwrap_or(usize::MAX)))
}

/// A local filter value: an existing file of rules, inline JSON for a list of rules, or `PATH:REGEX`
/// split at the first colon.
fn local_value(flag: &str, value: &str) -> Result<RuleList, InputError> {
    let path = std::path::Path::new(value);
    if path.is_file() {
        return RuleList::load(path).map_err(|e| InputError::new(format!("{e} (given to {flag})")));
    }
    match serde_json::from_str::<Value>(value) {
        Ok(list @ Value::Array(_)) => {
            return RuleList::from_value(format!("{flag} '{value}'"), list);
        }
        Ok(other @ Value::Object(_)) => {
            return Err(InputError::new(format!(
                "{flag} `{value}`: a local filter is a list of rules; write [{}]",
                other
            )));
        }
        _ => {}
    }
    if let Some((json_path, regex)) = value.split_once(':')
        && json_path.trim_start().starts_with('$')
    {
        let mut rule = Map::new();
        rule.insert("path".into(), Value::String(json_path.to_string()));
        rule.insert("regex".into(), Value::String(regex.to_string()));
        return RuleList::from_value(format!("{flag} '{value}'"), Value::Array(vec![rule.into()]));
    }
    Err(InputError::new(format!(
        "{flag} `{value}`: expected an existing file of rules, an inline JSON list of rules, or \
         PATH:REGEX such as '$.exifInfo.make:apple'{}",
        if value.ends_with(".json") {
            format!(" (no file `{value}` here)")
        } else {
            String::new()
        }
    )))
}

/// Whether a value is a person id: a lowercase UUID, as the script tells ids from names.
pub fn is_person_id(value: &str) -> bool {
    value.len() == 36
        && value.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// A value of the hidden `--*-person-ids-*` flags: a UUID, in any case.
fn person_id(flag: &str, value: &str) -> Result<String, InputError> {
    let lower = value.to_ascii_lowercase();
    if is_person_id(&lower) {
        Ok(lower)
    } else {
        Err(InputError::new(format!(
            "{flag} `{value}`: expected a person id (a UUID such as \
             4b2c0f5e-8d1a-4c3b-9e7f-0a1b2c3d4e5f)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_smart_value_is_json_a_query_with_a_limit_or_plain_text() {
        let f = smart_value("--s", "dog@500", 200).unwrap();
        assert_eq!(
            (f.body["query"].as_str(), f.limit),
            (Some("dog"), Some(500))
        );
        let f = smart_value("--s", "cat @ 50", 200).unwrap();
        assert_eq!((f.body["query"].as_str(), f.limit), (Some("cat"), Some(50)));
        let f = smart_value("--s", "a@b@7", 200).unwrap();
        assert_eq!((f.body["query"].as_str(), f.limit), (Some("a@b"), Some(7)));
        let f = smart_value("--s", "user@example.com", 200).unwrap();
        assert_eq!(
            (f.body["query"].as_str(), f.limit),
            (Some("user@example.com"), Some(200))
        );
        let f = smart_value("--s", r#"{"query":"car","resultLimit":25}"#, 200).unwrap();
        assert_eq!((f.body["query"].as_str(), f.limit), (Some("car"), Some(25)));
        let f = smart_value("--s", r#"{"query":"car","city":"Oslo"}"#, 300).unwrap();
        assert_eq!(
            (f.body["city"].as_str(), f.limit),
            (Some("Oslo"), Some(300))
        );
    }

    #[test]
    fn limits_of_zero_and_an_empty_smart_object_are_refused() {
        for bad in [
            "dog@0",
            "{}",
            r#"{"query":"x","resultLimit":0}"#,
            "@5",
            "missing.json",
        ] {
            assert!(smart_value("--s", bad, 200).is_err(), "{bad}");
        }
        let flags = CurrentFlags {
            default_smart_result_limit: Some(0),
            ..CurrentFlags::default()
        };
        assert!(selection(&flags).is_err());
    }

    #[test]
    fn a_metadata_value_is_a_json_object_or_a_json_file_and_nothing_else() {
        let f = metadata_value("--m", "{}").unwrap();
        assert!(
            f.body.is_empty() && f.limit.is_none(),
            "{{}} is every asset"
        );
        let f = metadata_value("--m", r#"{"isFavorite":true,"resultLimit":10}"#).unwrap();
        assert_eq!(f.limit, Some(10));
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("q.json");
        std::fs::write(&good, r#"{"isFavorite": true}"#).unwrap();
        assert!(metadata_value("--m", good.to_str().unwrap()).is_ok());
        let list = dir.path().join("list.json");
        std::fs::write(&list, "[1]").unwrap();
        let text = dir.path().join("q.txt");
        std::fs::write(&text, r#"{"isFavorite": true}"#).unwrap();
        for bad in [
            list.to_str().unwrap(),
            text.to_str().unwrap(),
            "missing.json",
            "[1, 2]",
            "favorites",
        ] {
            let error = metadata_value("--m", bad).unwrap_err().to_string();
            assert!(error.contains(bad) || error.contains("list"), "{error}");
        }
    }

    #[test]
    fn a_local_value_is_a_file_an_inline_list_or_path_colon_regex() {
        let list = local_value("--l", "$.exifInfo.make:apple").unwrap();
        assert_eq!(list.rules[0].path_text, "$.exifInfo.make");
        let list = local_value("--l", "$.originalPath:^/photos/a:b").unwrap();
        assert_eq!(list.rules.len(), 1, "split at the first colon only");
        let list =
            local_value("--l", r#"[{"path": "$.a", "regex": "x"}, {"path": "$.b"}]"#).unwrap();
        assert_eq!(list.rules.len(), 2);
        for bad in [r#"{"path": "$.a"}"#, "nothing-here", "missing.json"] {
            assert!(local_value("--l", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn person_ids_are_lowercase_uuids_only() {
        assert!(is_person_id("4b2c0f5e-8d1a-4c3b-9e7f-0a1b2c3d4e5f"));
        assert!(!is_person_id("4B2C0F5E-8D1A-4C3B-9E7F-0A1B2C3D4E5F"));
        assert!(!is_person_id("4b2c0f5e-8d1a-4c3b-9e7f-0a1b2c3d4e5f0"));
        assert!(!is_person_id("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
        assert!(person_id("--i", "4B2C0F5E-8D1A-4C3B-9E7F-0A1B2C3D4E5F").is_ok());
        assert!(person_id("--i", "Mia").is_err());
    }

    fn occ(groups: &[&[&str]]) -> Occurrences {
        groups
            .iter()
            .map(|g| g.iter().map(|v| v.to_string()).collect())
            .collect()
    }

    #[test]
    fn each_exclude_intersection_occurrence_is_its_own_group() {
        let flags = CurrentFlags {
            include_person_names_union: occ(&[&["Jane", "John", "Peter"]]),
            exclude_person_names_intersection: occ(&[&["John", "Mary"], &["Peter", "Wendy"]]),
            ..CurrentFlags::default()
        };
        let s = selection(&flags).unwrap();
        assert_eq!(s.include.len(), 1);
        assert!(matches!(&s.include[0], Condition::Any(items) if items.len() == 3));
        assert_eq!(
            s.exclude,
            vec![
                Condition::People(vec!["John".into(), "Mary".into()]),
                Condition::People(vec!["Peter".into(), "Wendy".into()]),
            ]
        );
    }

    #[test]
    fn both_exclude_flags_of_a_kind_each_remove() {
        let flags = CurrentFlags {
            include_smart_union: occ(&[&["dog"]]),
            exclude_smart_union: occ(&[&["cat"]]),
            exclude_smart_intersection: occ(&[&["hamster", "mouse"]]),
            ..CurrentFlags::default()
        };
        let s = selection(&flags).unwrap();
        assert_eq!(s.exclude.len(), 2, "cat, and hamster-with-mouse: a union");
        assert!(matches!(&s.exclude[1], Condition::All(items) if items.len() == 2));
    }

    #[test]
    fn a_single_union_value_is_its_own_condition() {
        // Not `any of (...)` around one search: the report names it as given, and its hits are
        // borrowed, not copied into a union of one.
        let flags = CurrentFlags {
            include_person_names_union: occ(&[&["Jane"]]),
            include_smart_union: occ(&[&["dog@500"]]),
            ..CurrentFlags::default()
        };
        let s = selection(&flags).unwrap();
        let labels: Vec<String> = s.include.iter().map(Condition::label).collect();
        assert_eq!(labels, ["smart 'dog@500'", "people Jane"]);
    }

    #[test]
    fn messages_say_what_was_found_and_which_file_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list.json");
        std::fs::write(&list, "[1]").unwrap();
        let error = metadata_value("--m", list.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(error.ends_with("found a list"), "{error}");
        let error = metadata_value("--m", "missing.json")
            .unwrap_err()
            .to_string();
        assert!(error.ends_with("(no file `missing.json` here)"), "{error}");
        let error = local_value("--l", r#"{"path": "$.a"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("a local filter is a list of rules; write [{\"path\":\"$.a\"}]"),
            "{error}"
        );
        // Reports name an inline value quoted, a file by its path.
        let file = dir.path().join("q.json");
        std::fs::write(&file, r#"{"query": "dog"}"#).unwrap();
        let path = file.to_str().unwrap();
        assert_eq!(smart_value("--s", "dog@5", 200).unwrap().origin, "'dog@5'");
        assert_eq!(smart_value("--s", path, 200).unwrap().origin, path);
    }
}
