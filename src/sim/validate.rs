//! Request-body validation in Immich's style: typed field readers over a JSON object that collect
//! zod-like issues (wrong type, out of range, bad UUID, bad enum value, bad date) so a handler can
//! answer one 400 "Validation failed" listing all of them. Unknown keys are simply never read.

use serde_json::{Map, Value, json};

use super::json::{
    ApiError, issue_bad_datetime, issue_bad_stringbool, issue_bad_uuid, issue_datetime_not_string,
    issue_invalid_enum, issue_invalid_type, issue_too_big, issue_too_small,
};
use super::state::parse_uuid_v4;
use super::time;

/// A nullable text filter: absent = any value, `null` = no value, a string = exactly that.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Text {
    #[default]
    Any,
    Null,
    Is(String),
}

impl Text {
    pub fn accepts(&self, value: Option<&str>) -> bool {
        match self {
            Text::Any => true,
            Text::Null => value.is_none(),
            Text::Is(want) => value == Some(want.as_str()),
        }
    }
}

/// Reads typed fields out of a JSON object, collecting validation issues.
pub struct Fields<'a> {
    pub body: &'a Map<String, Value>,
    issues: Vec<Value>,
}

impl<'a> Fields<'a> {
    /// Start reading a request body; `null` (no body) reads as an empty object.
    pub fn new(body: &'a Value) -> Result<Fields<'a>, ApiError> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let body = match body {
            Value::Object(map) => map,
            Value::Null => EMPTY.get_or_init(Map::new),
            other => {
                let issue = issue_invalid_type(json!([]), "object", Some(other));
                return Err(ApiError::validation(vec![issue]));
            }
        };
        Ok(Fields {
            body,
            issues: Vec::new(),
        })
    }

    /// Fail with every issue found so far, if any.
    pub fn finish(&mut self) -> Result<(), ApiError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(std::mem::take(&mut self.issues)))
        }
    }

    /// Record a custom issue.
    pub fn issue(&mut self, issue: Value) {
        self.issues.push(issue);
    }

    /// The value of a present, non-null field.
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.body.get(key).filter(|v| !v.is_null())
    }

    pub fn wrong_type(&mut self, key: &str, expected: &str) {
        let issue = issue_invalid_type(json!([key]), expected, self.body.get(key));
        self.issues.push(issue);
    }

    pub fn string(&mut self, key: &str) -> Option<String> {
        match self.value(key)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type(key, "string");
                None
            }
        }
    }

    pub fn text(&mut self, key: &str) -> Text {
        match self.body.get(key) {
            None => Text::Any,
            Some(Value::Null) => Text::Null,
            Some(_) => self.string(key).map_or(Text::Any, Text::Is),
        }
    }

    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.value(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(key, "boolean");
                None
            }
        }
    }

    pub fn int(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        let n = match self.value(key)?.as_i64() {
            Some(n) => n,
            None => {
                self.wrong_type(key, "number");
                return None;
            }
        };
        if n < min {
            self.issues.push(issue_too_small(json!([key]), min));
        } else if n > max {
            self.issues.push(issue_too_big(json!([key]), max));
        } else {
            return Some(n);
        }
        None
    }

    /// A date filter (`takenAfter` …): an ISO 8601 datetime in UTC, as Immich's `isoDatetimeToDate`
    /// accepts it. `null` is refused too (the field is optional, not nullable).
    pub fn date_ms(&mut self, key: &str) -> Option<i64> {
        let value = self.body.get(key)?;
        let Value::String(s) = value else {
            self.issues
                .push(issue_datetime_not_string(json!([key]), value));
            return None;
        };
        let ms = time::parse_iso_datetime_ms(s);
        if ms.is_none() {
            self.issues.push(issue_bad_datetime(json!([key])));
        }
        ms
    }

    pub fn uuid(&mut self, key: &str) -> Option<u128> {
        let s = self.string(key)?;
        let id = parse_uuid_v4(&s);
        if id.is_none() {
            self.issues.push(issue_bad_uuid(json!([key])));
        }
        id
    }

    pub fn uuid_list(&mut self, key: &str) -> Vec<u128> {
        let Some(value) = self.value(key) else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.wrong_type(key, "array");
            return Vec::new();
        };
        let mut ids = Vec::new();
        let mut issues = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str().and_then(parse_uuid_v4) {
                Some(id) => ids.push(id),
                None if item.is_string() => issues.push(issue_bad_uuid(json!([key, i]))),
                None => issues.push(issue_invalid_type(json!([key, i]), "string", Some(item))),
            }
        }
        self.issues.extend(issues);
        ids
    }

    pub fn one_of(&mut self, key: &str, values: &[&str]) -> Option<String> {
        let s = self.string(key)?;
        if values.contains(&s.as_str()) {
            Some(s)
        } else {
            self.issues.push(issue_invalid_enum(json!([key]), values));
            None
        }
    }
}

/// Decode a request body: empty = `null`, otherwise JSON (else a 400 like NestJS's body parser).
pub fn parse_json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError {
        status: axum::http::StatusCode::BAD_REQUEST,
        body: json!({
            "message": format!("Invalid JSON in request body: {e}"),
            "error": "Bad Request",
            "statusCode": 400,
        }),
    })
}

/// A uuid path parameter (`/api/albums/{id}`), reported as `["id"]` when malformed.
pub fn path_uuid(raw: &str) -> Result<u128, ApiError> {
    parse_uuid_v4(raw).ok_or_else(|| ApiError::validation(vec![issue_bad_uuid(json!(["id"]))]))
}

/// An optional integer query parameter with bounds.
pub fn query_int(
    query: &std::collections::HashMap<String, String>,
    key: &str,
    default: i64,
    (min, max): (i64, i64),
) -> Result<i64, ApiError> {
    let Some(raw) = query.get(key) else {
        return Ok(default);
    };
    let issue = match raw.parse::<i64>() {
        Ok(n) if n < min => issue_too_small(json!([key]), min),
        Ok(n) if n > max => issue_too_big(json!([key]), max),
        Ok(n) => return Ok(n),
        Err(_) => issue_invalid_type(json!([key]), "number", Some(&Value::String(raw.clone()))),
    };
    Err(ApiError::validation(vec![issue]))
}

/// An optional boolean query parameter: exactly `true` or `false`.
pub fn query_bool(
    query: &std::collections::HashMap<String, String>,
    key: &str,
) -> Result<Option<bool>, ApiError> {
    match query.get(key).map(String::as_str) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::validation(vec![issue_bad_stringbool(json!([
            key
        ]))])),
    }
}
