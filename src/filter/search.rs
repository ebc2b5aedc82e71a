//! Metadata and smart search filters: the Python tool's JSON files (and the Immich web UI's decoded
//! search URLs). A filter is a JSON object sent to the server as it is, after the client-side key
//! `resultLimit` is taken out. Fields Immich does not know are warned about by name, since Immich 3 drops
//! them silently and a typo would quietly widen the search. A smart filter must carry `resultLimit`:
//! smart search ranks the whole library with no relevance cut-off.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::InputError;
use crate::immich::SearchKind;

/// Fields of `MetadataSearchDto` (Immich 3.1).
const METADATA_FIELDS: &[&str] = &[
    "albumIds",
    "checksum",
    "city",
    "country",
    "createdAfter",
    "createdBefore",
    "description",
    "encodedVideoPath",
    "id",
    "isEncoded",
    "isFavorite",
    "isMotion",
    "isNotInAlbum",
    "isOffline",
    "lensModel",
    "libraryId",
    "make",
    "model",
    "ocr",
    "order",
    "originalFileName",
    "originalPath",
    "page",
    "personIds",
    "previewPath",
    "rating",
    "size",
    "state",
    "tagIds",
    "takenAfter",
    "takenBefore",
    "thumbnailPath",
    "trashedAfter",
    "trashedBefore",
    "type",
    "updatedAfter",
    "updatedBefore",
    "visibility",
    "withDeleted",
    "withExif",
    "withPeople",
    "withStacked",
];

/// Fields of `SmartSearchDto` (Immich 3.1).
const SMART_FIELDS: &[&str] = &[
    "albumIds",
    "city",
    "country",
    "createdAfter",
    "createdBefore",
    "isEncoded",
    "isFavorite",
    "isMotion",
    "isNotInAlbum",
    "isOffline",
    "language",
    "lensModel",
    "libraryId",
    "make",
    "model",
    "ocr",
    "page",
    "personIds",
    "query",
    "queryAssetId",
    "rating",
    "size",
    "state",
    "tagIds",
    "takenAfter",
    "takenBefore",
    "trashedAfter",
    "trashedBefore",
    "type",
    "updatedAfter",
    "updatedBefore",
    "visibility",
    "withDeleted",
    "withExif",
];

/// The client-side key that caps how many results a search contributes.
pub const RESULT_LIMIT: &str = "resultLimit";

/// A metadata or smart search, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchFilter {
    pub kind: SearchKind,
    /// Where it came from, for messages and reports: a file path, or a place in a job file.
    pub origin: String,
    /// The request body, without `resultLimit`, `page` and `size`.
    pub body: Map<String, Value>,
    /// `resultLimit`: at most this many results.
    pub limit: Option<usize>,
    /// Unknown fields and other things worth a warning, each naming the origin.
    pub warnings: Vec<String>,
}

impl SearchFilter {
    /// Reads a filter file.
    pub fn load(kind: SearchKind, path: &Path) -> Result<SearchFilter, InputError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            InputError::new(format!(
                "{origin}: cannot read the {} filter file: {error}",
                kind.name()
            ))
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|error| {
            InputError::new(format!(
                "{origin}: not valid JSON: {error} (expected a {} search object such as {})",
                kind.name(),
                example(kind)
            ))
        })?;
        SearchFilter::from_value(kind, origin, value)
    }

    /// Checks a filter given as JSON (a file's content, or written inline in a job file).
    pub fn from_value(
        kind: SearchKind,
        origin: String,
        value: Value,
    ) -> Result<SearchFilter, InputError> {
        let Value::Object(mut body) = value else {
            return Err(InputError::new(format!(
                "{origin}: a {} filter must be a JSON object such as {}, not {}",
                kind.name(),
                example(kind),
                describe(&value)
            )));
        };
        let limit = match body.remove(RESULT_LIMIT) {
            None | Some(Value::Null) => None,
            Some(value) => match value.as_u64() {
                Some(n) if n > 0 => Some(n as usize),
                _ => {
                    return Err(InputError::new(format!(
                        "{origin}: `{RESULT_LIMIT}` must be a whole number above 0, not {value}"
                    )));
                }
            },
        };
        // We page ourselves.
        body.remove("page");
        body.remove("size");
        check_dates(&origin, &body)?;
        if kind == SearchKind::Smart {
            let has_query = body
                .get("query")
                .and_then(Value::as_str)
                .is_some_and(|q| !q.trim().is_empty());
            if !has_query && !body.contains_key("queryAssetId") {
                return Err(InputError::new(format!(
                    "{origin}: a smart filter needs a `query` (or `queryAssetId`), e.g. {}",
                    example(kind)
                )));
            }
            if limit.is_none() {
                return Err(InputError::new(format!(
                    "{origin}: a smart filter needs `{RESULT_LIMIT}`: smart search ranks the whole \
                     library by similarity with no cut-off, so without a limit every asset would \
                     match. Add e.g. \"{RESULT_LIMIT}\": 200 and check the result with a preview"
                )));
            }
        }
        let warnings = unknown_field_warnings(kind, &origin, &body);
        Ok(SearchFilter {
            kind,
            origin,
            body,
            limit,
            warnings,
        })
    }

    /// `smart filters/beach.json`, for reports.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind.name(), self.origin)
    }
}

/// The date fields of both searches; Immich 3.1 validates each as an ISO 8601 datetime.
const DATE_FIELDS: &[&str] = &[
    "takenAfter",
    "takenBefore",
    "createdAfter",
    "createdBefore",
    "updatedAfter",
    "updatedBefore",
    "trashedAfter",
    "trashedBefore",
];

/// Whether a filter field is one of the date fields.
pub fn is_date_field(field: &str) -> bool {
    DATE_FIELDS.contains(&field)
}

/// The form of datetime every date field accepts.
const DATETIME_EXAMPLE: &str = "2023-06-01T00:00:00.000Z";

/// A date field that Immich 3.1 would refuse (400) is an input error before any request: a date alone
/// such as "2023-06-01", a time without `Z`, an offset such as `+02:00` (the server's validator
/// accepts UTC only), or a value that is not a string.
fn check_dates(origin: &str, body: &Map<String, Value>) -> Result<(), InputError> {
    for field in DATE_FIELDS {
        let Some(value) = body.get(*field) else {
            continue;
        };
        let problem = match value {
            Value::String(text) if is_utc_datetime(text) => continue,
            Value::String(text)
                if text.len() == 10 && is_utc_datetime(&format!("{text}T00:00Z")) =>
            {
                format!("\"{text}\" is a date without a time")
            }
            Value::String(text) if has_offset(text) => {
                format!("\"{text}\" has a UTC offset; Immich accepts UTC times only, ending in `Z`")
            }
            Value::String(text) => format!("\"{text}\" is not one"),
            other => format!("{} is not one", describe(other)),
        };
        return Err(InputError::new(format!(
            "{origin}: `{field}` must be a full ISO 8601 datetime in UTC such as \
             \"{DATETIME_EXAMPLE}\" ({problem})"
        )));
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM`, then optionally `:SS` and a fraction, then `Z`, on a date that exists: what
/// Immich 3.1's `isoDatetimeToDate` (zod's `z.iso.datetime()`) accepts. The expression is zod's
/// shape; jiff says whether the day is in the calendar (no 29 February 2023).
fn is_utc_datetime(text: &str) -> bool {
    static SHAPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?Z$",
        )
        .expect("a fixed expression")
    });
    SHAPE.is_match(text) && text[..10].parse::<jiff::civil::Date>().is_ok()
}

/// Ends in `+HH:MM` or `-HH:MM` after a time.
fn has_offset(text: &str) -> bool {
    text.len() > 16
        && text.contains('T')
        && text
            .get(text.len() - 6..)
            .is_some_and(|tail| tail.starts_with(['+', '-']) && tail.as_bytes()[3] == b':')
}

fn example(kind: SearchKind) -> &'static str {
    match kind {
        SearchKind::Metadata => r#"{"takenAfter": "2023-06-01T00:00:00.000Z"}"#,
        SearchKind::Smart => r#"{"query": "beach", "resultLimit": 200}"#,
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list (a list of rules is a local filter file)",
        Value::Object(_) => "an object",
    }
}

fn unknown_field_warnings(
    kind: SearchKind,
    origin: &str,
    body: &Map<String, Value>,
) -> Vec<String> {
    let (known, other, other_name) = match kind {
        SearchKind::Metadata => (METADATA_FIELDS, SMART_FIELDS, "smart"),
        SearchKind::Smart => (SMART_FIELDS, METADATA_FIELDS, "metadata"),
    };
    body.keys()
        .filter(|field| !known.contains(&field.as_str()))
        .map(|field| {
            let hint = if other.contains(&field.as_str()) {
                format!("it belongs to a {other_name} search (is this a {other_name} filter file?)")
            } else if let Some(close) = closest(field, known) {
                format!("did you mean `{close}`?")
            } else {
                "check the spelling against the Immich API".to_string()
            };
            format!(
                "{origin}: `{field}` is not a {} search field; Immich ignores it, which makes the \
                 search wider than intended: {hint}",
                kind.name()
            )
        })
        .collect()
}

/// The known field closest to a misspelt one, if any is close.
fn closest<'a>(field: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = field.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_closest_known_field_is_at_most_two_edits_away() {
        let known = ["city", "takenAfter", "takenBefore", "make"];
        assert_eq!(closest("citty", &known), Some("city"));
        assert_eq!(closest("TAKENAFTR", &known), Some("takenAfter"));
        assert_eq!(closest("takenBefor", &known), Some("takenBefore"));
        assert_eq!(closest("country", &known), None);
    }

    fn smart(value: Value) -> Result<SearchFilter, InputError> {
        SearchFilter::from_value(SearchKind::Smart, "f.json".into(), value)
    }

    #[test]
    fn result_limit_is_taken_out_of_the_body() {
        let f = smart(json!({"query": "beach", "resultLimit": 200, "page": 3})).unwrap();
        assert_eq!(f.limit, Some(200));
        assert_eq!(Value::Object(f.body), json!({"query": "beach"}));
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn dates_must_be_full_utc_datetimes() {
        let metadata = |value: Value| {
            SearchFilter::from_value(SearchKind::Metadata, "summer.json".into(), value)
        };
        for good in [
            "2023-06-01T00:00:00.000Z",
            "2023-06-01T00:00:00Z",
            "2023-06-01T00:00Z",
            "2024-02-29T23:59:59.999999Z",
            "2000-02-29T00:00Z",
            "2023-12-31T23:59:59.123456789012Z",
        ] {
            for field in DATE_FIELDS {
                assert!(metadata(json!({ *field: good })).is_ok(), "{field} {good}");
            }
            assert!(smart(json!({"query": "x", "resultLimit": 5, "takenBefore": good})).is_ok());
        }
        let error = metadata(json!({"takenAfter": "2023-06-01"}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "summer.json: `takenAfter` must be a full ISO 8601 datetime in UTC such as \
             \"2023-06-01T00:00:00.000Z\" (\"2023-06-01\" is a date without a time)"
        );
        let error = smart(
            json!({"query": "x", "resultLimit": 5, "updatedBefore": "2023-06-01T10:00:00+02:00"}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("f.json: `updatedBefore` must be a full ISO 8601 datetime"),
            "{error}"
        );
        assert!(
            error.contains("UTC offset") && error.contains("2023-06-01T00:00:00.000Z"),
            "{error}"
        );
        for (field, bad) in [
            ("createdAfter", json!("2023-06-01T10:00:00")),
            ("createdBefore", json!("2023-02-29T00:00:00Z")),
            ("trashedAfter", json!("2023-06-01 10:00:00Z")),
            ("trashedBefore", json!("yesterday")),
            ("takenBefore", json!(20230601)),
            ("takenAfter", json!(null)),
            ("updatedAfter", json!("2023-06-01T25:00Z")),
            ("updatedBefore", json!("2023-06-01T23:60Z")),
            ("updatedBefore", json!("2023-06-01T23:59:60Z")),
            ("takenAfter", json!("2023-06-01T23:59:59.Z")),
            ("takenAfter", json!("2023-13-01T23:59Z")),
            ("takenAfter", json!("2023-04-31T23:59Z")),
            ("takenAfter", json!("1900-02-29T00:00Z")),
            ("takenAfter", json!("2023-06-01t23:59Z")),
            ("takenAfter", json!("2023-06-01T23:59z")),
            ("takenAfter", json!("٢٠٢٣-06-01T23:59Z")),
            ("takenAfter", json!("2023-06-01T23:59Zjunk")),
        ] {
            let error = metadata(json!({ field: bad })).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!(
                    "summer.json: `{field}` must be a full ISO 8601 datetime"
                )),
                "{error}"
            );
            assert!(error.contains("\"2023-06-01T00:00:00.000Z\""), "{error}");
        }
    }

    #[test]
    fn smart_without_result_limit_is_an_input_error_with_a_hint() {
        let error = smart(json!({"query": "beach"})).unwrap_err().to_string();
        assert!(error.contains("f.json"), "{error}");
        assert!(error.contains("resultLimit"), "{error}");
        assert!(error.contains("no cut-off"), "{error}");
        assert!(smart(json!({"resultLimit": 5})).is_err());
        assert!(smart(json!({"query": "x", "resultLimit": 0})).is_err());
        assert!(smart(json!({"query": "x", "resultLimit": "10"})).is_err());
    }

    #[test]
    fn unknown_fields_are_warned_about_by_name() {
        let f = SearchFilter::from_value(
            SearchKind::Metadata,
            "m.json".into(),
            json!({"takenafter": "2023-01-01T00:00:00.000Z", "query": "x", "bogus": 1}),
        )
        .unwrap();
        let text = f.warnings.join("\n");
        assert!(
            text.contains("`takenafter`") && text.contains("did you mean `takenAfter`"),
            "{text}"
        );
        assert!(
            text.contains("`query`") && text.contains("smart search"),
            "{text}"
        );
        assert!(text.contains("`bogus`"), "{text}");
        assert_eq!(f.warnings.len(), 3);
    }

    #[test]
    fn a_filter_must_be_an_object() {
        let error = SearchFilter::from_value(SearchKind::Metadata, "m.json".into(), json!([1]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("must be a JSON object"), "{error}");
        assert!(error.contains("local filter"), "{error}");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, "{\n  \"city\": \"Rome\"\n  \"country\": 1\n}").unwrap();
        let error = SearchFilter::load(SearchKind::Metadata, &path)
            .unwrap_err()
            .to_string();
        assert!(error.contains("bad.json: not valid JSON"), "{error}");
        assert!(error.contains("line 3 column 3"), "{error}");
        let missing = SearchFilter::load(SearchKind::Metadata, &dir.path().join("nope.json"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.json: cannot read"), "{missing}");
    }

    #[test]
    fn only_a_time_that_ends_in_an_offset_is_told_it_has_one() {
        let problem = |text: &str| {
            SearchFilter::from_value(
                SearchKind::Metadata,
                "m.json".into(),
                json!({ "takenAfter": text }),
            )
            .unwrap_err()
            .to_string()
        };
        for text in ["2023-06-01T10:00:00+02:00", "2023-06-01T10:00-05:30"] {
            let error = problem(text);
            assert!(
                error.ends_with(&format!(
                    "(\"{text}\" has a UTC offset; Immich accepts UTC times only, ending in `Z`)"
                )),
                "{error}"
            );
        }
        for text in [
            "yesterday",
            // Ten characters, but not a date.
            "06/01/2023",
            // No zone at all.
            "2023-06-01T10:00:00",
            // An offset, but not after a date and time.
            "10:00+02:00",
            "2023-06-01 10:00+02:00",
            "2023-06-0T+02:00",
        ] {
            let error = problem(text);
            assert!(
                error.ends_with(&format!("(\"{text}\" is not one)")),
                "{error}"
            );
        }
    }
}
