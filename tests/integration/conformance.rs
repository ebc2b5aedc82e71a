//! Conformance (#20 §3): the simulator held to real Immich servers. One script of requests (uploads,
//! searches with and without `visibility` and `albumIds` as owner and as member, album listing,
//! membership, adds, removals, duplicates, the trash, shared links, people and faces, tags, and
//! errors of bad input) runs against a *target*, and what the tool depends on is written down as
//! normalised observations: which assets (by the script's own names for them, since ids differ
//! between servers), counts, order where the tool relies on it, status codes, error and field
//! shapes. The observations of two targets are then compared step by step.
//!
//! Against a real server, set (keys are never printed):
//! - `IMMICH_CONFORMANCE_URL`: the server (`http://host:2283` or `…/api`);
//! - `IMMICH_CONFORMANCE_ALICE_KEY`, `IMMICH_CONFORMANCE_BOB_KEY`: API keys (permission `all`) of two
//!   different users; alice's library should show at least three photos of a person named
//!   `IMMICH_CONFORMANCE_PERSON` (default `Mia`) together with `Leo` on some;
//! - `IMMICH_CONFORMANCE_RECORD=1` (optional): also write the real answers to
//!   `tests/fixtures/conformance/real-<version>.json`, which plain runs compare the simulator with.
//!
//! The script runs against the real server and against the simulator's line for its version
//! (read from `GET /api/server/version`), and fails on every difference not listed in
//! [`ACCEPTED`] with why it does not matter. On the real server it creates what it needs (six tiny
//! JPEG uploads whose names carry a random token, two albums, a tag, a link, a restricted API key)
//! and deletes all of it at the end; the only photos it deletes for good are its own uploads.
//!
//! Without `IMMICH_CONFORMANCE_URL` (and so on CI) it runs against the simulator's two lines only,
//! compares each with the recorded real answers, and says on the terminal that no real server was
//! compared.

use crate::common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use immich_smart_albums::sim::{ImmichLine, SimConfig, Simulator};
use reqwest::Method;
use serde_json::{Value, json};

const URL_VAR: &str = "IMMICH_CONFORMANCE_URL";
const ALICE_VAR: &str = "IMMICH_CONFORMANCE_ALICE_KEY";
const BOB_VAR: &str = "IMMICH_CONFORMANCE_BOB_KEY";
const PERSON_VAR: &str = "IMMICH_CONFORMANCE_PERSON";
const RECORD_VAR: &str = "IMMICH_CONFORMANCE_RECORD";

/// A 16×16 grey baseline JPEG; each upload gets a comment of its own, so a checksum of its own.
const TINY_JPEG: &[u8] = include_bytes!("../fixtures/conformance/tiny.jpg");

/// Differences between a real server and the simulator that do not matter to the tool: (line,
/// step, path prefix of the observation, why). `"*"` as the line means both.
/// Why 2.x's validation messages may be worded otherwise.
const WORDING: &str = "2.x words its validation errors as class-validator does; the simulator's 2.5 line words them as 3.x's zod does. Status and shape agree; the tool decides by the status and shows the message as it is";

const ACCEPTED: &[(&str, &str, &str, &str)] = &[
    ("2.5.6", "error: bad boolean", ".message", WORDING),
    ("2.5.6", "error: album id not a uuid", ".message", WORDING),
    ("2.5.6", "error: album without a name", ".message", WORDING),
    ("2.5.6", "error: search page size 0", ".message", WORDING),
    ("2.5.6", "error: search page size 1001", ".message", WORDING),
    (
        "2.5.6",
        "error: search an album id not a uuid",
        ".message",
        WORDING,
    ),
    ("2.5.6", "error: upload without dates", ".message", WORDING),
    ("2.5.6", "upload without device fields", ".message", WORDING),
    (
        "2.5.6",
        "error: search with a date and no time",
        "",
        "2.5.6 takes a date without a time (200), the simulator refuses it as 3.x does (400); the tool always sends full datetimes",
    ),
];

// ----- targets ------------------------------------------------------------------------------

/// Where the script runs: a real server or a simulator, with two users' keys.
struct Target {
    label: String,
    /// …/api, without a trailing slash.
    api: String,
    alice: String,
    bob: String,
    person: String,
    line: ImmichLine,
    sim: Option<Simulator>,
    http: reqwest::Client,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Alice,
    Bob,
    NoKey,
    BadKey,
}

/// One HTTP answer, its body read as JSON when it is JSON.
struct Answer {
    status: u16,
    content_type: String,
    len: usize,
    body: Value,
}

impl Target {
    fn sim(line: ImmichLine) -> Target {
        let sim = Simulator::start(SimConfig {
            seed: 11,
            accounts: vec!["alice".into(), "bob".into()],
            assets_per_account: 80,
            immich: line,
            ..SimConfig::default()
        })
        .expect("the simulator starts");
        Target {
            label: format!("simulator {line}"),
            api: format!("{}/api", sim.url()),
            alice: sim.account("alice").api_key,
            bob: sim.account("bob").api_key,
            person: "Mia".into(),
            line,
            sim: Some(sim),
            http: reqwest::Client::new(),
        }
    }

    /// The real server named by the environment, or why there is none.
    fn real_from_env() -> Result<(String, String, String, String), String> {
        let url = std::env::var(URL_VAR).map_err(|_| format!("{URL_VAR} is not set"))?;
        let key = |var: &str| {
            std::env::var(var).map_err(|_| format!("{URL_VAR} is set but {var} is not"))
        };
        let person = std::env::var(PERSON_VAR).unwrap_or_else(|_| "Mia".into());
        let mut api = url.trim_end_matches('/').to_string();
        if !api.ends_with("/api") {
            api.push_str("/api");
        }
        Ok((api, key(ALICE_VAR)?, key(BOB_VAR)?, person))
    }

    async fn real(api: String, alice: String, bob: String, person: String) -> Target {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let version: Value = http
            .get(format!("{api}/server/version"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{api}/server/version: {e}"))
            .json()
            .await
            .expect("a version answer");
        let text = format!(
            "{}.{}.{}",
            version["major"], version["minor"], version["patch"]
        );
        let line = if version["major"].as_u64() >= Some(3) {
            ImmichLine::V3_1
        } else {
            ImmichLine::V2_5
        };
        Target {
            label: format!("real Immich {text} at {api}"),
            api,
            alice,
            bob,
            person,
            line,
            sim: None,
            http,
        }
    }

    fn key(&self, who: Who) -> Option<&str> {
        match who {
            Who::Alice => Some(&self.alice),
            Who::Bob => Some(&self.bob),
            Who::NoKey => None,
            Who::BadKey => Some("not-a-key-conformance"),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> Answer {
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {what}: {e}", self.label));
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .to_string();
        let bytes = resp.bytes().await.unwrap_or_default();
        let body = if content_type == "application/json" {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        } else {
            Value::Null
        };
        Answer {
            status,
            content_type,
            len: bytes.len(),
            body,
        }
    }

    async fn call(&self, who: Who, method: Method, path: &str, body: Option<Value>) -> Answer {
        let what = format!("{method} {path}");
        let mut req = self.http.request(method, format!("{}/{path}", self.api));
        if let Some(key) = self.key(who) {
            req = req.header("x-api-key", key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req, &what).await
    }

    async fn call_with_key(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let what = format!("{method} {path}");
        let mut req = self
            .http
            .request(method, format!("{}/{path}", self.api))
            .header("x-api-key", key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req, &what).await
    }

    /// `POST /assets` (multipart) with `fields` (name, value) and the file, if any.
    async fn upload(
        &self,
        who: Who,
        fields: &[(&str, String)],
        file: Option<(String, Vec<u8>)>,
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.clone());
        }
        if let Some((name, bytes)) = file {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(name)
                .mime_str("image/jpeg")
                .unwrap();
            form = form.part("assetData", part);
        }
        let req = self
            .http
            .post(format!("{}/assets", self.api))
            .header("x-api-key", self.key(who).unwrap())
            .multipart(form);
        self.send(req, "POST assets").await
    }

    // What a person does in Immich's app, which the tool never does (and the simulator offers as
    // controls rather than routes).

    async fn trash(&self, who: Who, id: &str, trashed: bool) {
        match &self.sim {
            Some(sim) => sim.set_trashed(id, trashed),
            None => {
                let answer = if trashed {
                    self.call(
                        who,
                        Method::DELETE,
                        "assets",
                        Some(json!({"ids": [id], "force": false})),
                    )
                    .await
                } else {
                    self.call(
                        who,
                        Method::POST,
                        "trash/restore/assets",
                        Some(json!({"ids": [id]})),
                    )
                    .await
                };
                assert!(
                    answer.status < 300,
                    "{}: trash {trashed}: {}",
                    self.label,
                    answer.status
                );
            }
        }
    }

    /// Tags an asset with a new tag `value`; the tag's id.
    async fn tag(&self, who: Who, asset: &str, value: &str) -> Option<String> {
        match &self.sim {
            Some(sim) => {
                sim.tag(asset, value);
                None
            }
            None => {
                let tag = self
                    .call(who, Method::POST, "tags", Some(json!({"name": value})))
                    .await;
                let id = tag.body["id"].as_str().expect("a tag id").to_string();
                let put = self
                    .call(
                        who,
                        Method::PUT,
                        &format!("tags/{id}/assets"),
                        Some(json!({"ids": [asset]})),
                    )
                    .await;
                assert!(put.status < 300, "{}: tagging: {}", self.label, put.status);
                Some(id)
            }
        }
    }

    /// A new API key of alice's with only `permissions`: (key, its id on a real server).
    async fn restricted_key(&self, permissions: &[&str], name: &str) -> (String, Option<String>) {
        match &self.sim {
            Some(sim) => (sim.add_api_key("alice", name, permissions), None),
            None => {
                let made = self
                    .call(
                        Who::Alice,
                        Method::POST,
                        "api-keys",
                        Some(json!({"name": name, "permissions": permissions})),
                    )
                    .await;
                assert!(
                    made.status < 300,
                    "{}: api key: {}",
                    self.label,
                    made.status
                );
                (
                    made.body["secret"].as_str().expect("a secret").to_string(),
                    made.body["apiKey"]["id"].as_str().map(str::to_string),
                )
            }
        }
    }
}

// ----- observations ---------------------------------------------------------------------------

/// One run of the script: the target, the names it gave ids, and what it saw.
struct Run<'a> {
    t: &'a Target,
    token: String,
    /// id → the script's name for it.
    names: HashMap<String, String>,
    /// name → id.
    ids: HashMap<String, String>,
    obs: Vec<(String, Value)>,
    /// What the target answered that the script could not go on with.
    problems: Vec<String>,
    /// What a real server must be cleaned of.
    cleanup: Cleanup,
}

#[derive(Default)]
struct Cleanup {
    albums: Vec<String>,
    assets: HashMap<&'static str, Vec<String>>,
    tags: Vec<String>,
    keys: Vec<String>,
    links: Vec<String>,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The keys of an object, sorted.
fn keys(v: &Value) -> Value {
    let set: BTreeSet<&String> = v
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    json!(set)
}

/// The JSON types of the named fields (a dotted path reaches into objects; absent fields say so).
fn types(v: &Value, fields: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for field in fields {
        let mut at = Some(v);
        for part in field.split('.') {
            at = at.and_then(|x| x.get(part));
        }
        out.insert(field.to_string(), json!(at.map_or("absent", kind)));
    }
    Value::Object(out)
}

/// An error answer as the tool reads it: the status, the message (the first one, when a list),
/// and which of the optional parts are there.
fn error(a: &Answer) -> Value {
    let message = &a.body["message"];
    let text = match message {
        Value::Array(list) => list.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    json!({
        "status": a.status,
        "message": text,
        "messageIs": kind(message),
        "errors": a.body.get("errors").map(kind),
        "error": a.body.get("error").map(kind),
        "statusCode": a.body.get("statusCode").map(kind),
    })
}

/// The fields of a listed asset the tool reads (album listings, filters, copies).
const ASSET_FIELDS: &[&str] = &[
    "id",
    "ownerId",
    "checksum",
    "originalFileName",
    "fileCreatedAt",
    "fileModifiedAt",
    "localDateTime",
    "type",
    "isFavorite",
    "isArchived",
    "isTrashed",
    "visibility",
    "duration",
    "exifInfo",
    "exifInfo.fileSizeInByte",
    "exifInfo.dateTimeOriginal",
    "people",
    "tags",
];

impl<'a> Run<'a> {
    fn new(t: &'a Target, token: String) -> Run<'a> {
        Run {
            t,
            token,
            names: HashMap::new(),
            ids: HashMap::new(),
            obs: Vec::new(),
            problems: Vec::new(),
            cleanup: Cleanup::default(),
        }
    }

    fn name(&mut self, id: &str, name: &str) {
        self.names.insert(id.to_string(), name.to_string());
        self.ids.insert(name.to_string(), id.to_string());
    }

    fn id(&self, name: &str) -> String {
        self.ids
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("{}: no id named {name}", self.t.label))
    }

    /// The script's name for an id, `other` for one it did not make.
    fn sym(&self, id: &Value) -> Value {
        match id.as_str() {
            Some(id) => json!(self.names.get(id).map_or("other", String::as_str)),
            None => Value::Null,
        }
    }

    fn record(&mut self, step: &str, value: Value) {
        self.obs.push((step.to_string(), value));
    }

    /// The order of assets taken the same day is the server's own: the last search's assets are
    /// compared as a set.
    fn as_set(&mut self) {
        if let Some(list) = self.obs.last_mut().and_then(|(_, v)| v.get_mut("assets")) {
            let mut names: Vec<String> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap_or("?").to_string())
                .collect();
            names.sort();
            *list = json!(names);
        }
    }

    fn problem(&mut self, text: String) {
        self.problems.push(text);
    }

    fn item_names(&self, items: &Value) -> Value {
        Value::Array(
            items
                .as_array()
                .map(|list| list.iter().map(|a| self.sym(&a["id"])).collect())
                .unwrap_or_default(),
        )
    }

    fn sorted_names(&self, items: &Value) -> Value {
        let mut names: Vec<String> = self
            .item_names(items)
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap_or("?").to_string())
            .collect();
        names.sort();
        json!(names)
    }

    /// A metadata search as `who`: status, the assets found (in order), the page's counts.
    async fn search(&mut self, step: &str, who: Who, body: Value) -> Value {
        let a = self
            .t
            .call(who, Method::POST, "search/metadata", Some(body))
            .await;
        let seen = if a.status == 200 {
            let assets = &a.body["assets"];
            json!({
                "status": a.status,
                "assets": self.item_names(&assets["items"]),
                "count": assets["count"],
                "total": assets["total"],
                "nextPage": assets["nextPage"],
                "keys": keys(&a.body),
                "assetsKeys": keys(assets),
            })
        } else {
            error(&a)
        };
        self.record(step, seen.clone());
        a.body
    }

    /// The per-id answers of an album add or removal.
    fn bulk(&self, a: &Answer) -> Value {
        if a.status != 200 {
            return error(a);
        }
        let items: Vec<Value> = a
            .body
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|r| {
                        json!({
                            "id": self.sym(&r["id"]),
                            "success": r["success"],
                            "error": r.get("error").cloned().unwrap_or(json!("absent")),
                            "keys": keys(r),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({"status": a.status, "results": items})
    }

    /// An album as the tool reads it.
    fn album(&self, a: &Answer) -> Value {
        if a.status >= 300 {
            return error(a);
        }
        self.album_value(a.status, &a.body)
    }

    fn album_value(&self, status: u16, v: &Value) -> Value {
        let mut users: Vec<(String, String)> = v["albumUsers"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|u| {
                        (
                            self.sym(&u["user"]["id"])
                                .as_str()
                                .unwrap_or("?")
                                .to_string(),
                            u["role"].as_str().unwrap_or("?").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        users.sort();
        let first_asset = v["assets"].get(0).cloned().unwrap_or(Value::Null);
        json!({
            "status": status,
            "keys": keys(v),
            "types": types(v, &["id", "albumName", "description", "assetCount", "albumUsers", "ownerId", "owner", "order", "albumThumbnailAssetId", "updatedAt", "shared", "hasSharedLink", "isActivityEnabled", "assets", "contributorCounts", "lastModifiedAssetTimestamp", "startDate", "endDate"]),
            "ownerId": self.sym(&v["ownerId"]),
            "owner": self.sym(&v["owner"]["id"]),
            "albumUsers": users,
            "albumUserKeys": v["albumUsers"].get(0).map(keys),
            "assetCount": v["assetCount"],
            "assets": v.get("assets").map(|assets| self.sorted_names(assets)),
            "assetKeys": (!first_asset.is_null()).then(|| keys(&first_asset)),
            "thumbnail": self.sym(&v["albumThumbnailAssetId"]),
            "shared": v["shared"],
        })
    }
}

// ----- the script -------------------------------------------------------------------------------

/// The upload names, each with its owner and the day it was taken (January 1999, out of the way of
/// any library; newest first as alice's search orders them; no two on the same day, so that the
/// servers' orders have no ties). `b3` is the file of `a1`.
const UPLOADS: &[(&str, Who, u32)] = &[
    ("a1", Who::Alice, 5),
    ("a2", Who::Alice, 4),
    ("a3", Who::Alice, 3),
    ("a4", Who::Alice, 2),
    ("b1", Who::Bob, 9),
    ("b2", Who::Bob, 8),
    ("b3", Who::Bob, 7),
];

fn taken(day: u32) -> String {
    format!("1999-01-{day:02}T10:00:00.000Z")
}

/// A JPEG with `comment` in a COM segment after the start marker: a file of its own.
fn jpeg(comment: &str) -> Vec<u8> {
    let mut out = TINY_JPEG[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xfe]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment.as_bytes());
    out.extend_from_slice(&TINY_JPEG[2..]);
    out
}

fn upload_fields(name: &str, day: u32) -> Vec<(&'static str, String)> {
    vec![
        ("deviceAssetId", format!("conformance-{name}")),
        ("deviceId", "conformance".into()),
        ("fileCreatedAt", taken(day)),
        ("fileModifiedAt", taken(day)),
    ]
}

async fn script(run: &mut Run<'_>) {
    let t = run.t;
    let token = run.token.clone();

    // Who is who.
    let version = t
        .call(Who::NoKey, Method::GET, "server/version", None)
        .await;
    run.record(
        "server version",
        json!({"status": version.status, "keys": keys(&version.body)}),
    );
    for (who, name) in [(Who::Alice, "alice"), (Who::Bob, "bob")] {
        let me = t.call(who, Method::GET, "users/me", None).await;
        assert_eq!(me.status, 200, "{}: users/me as {name}", t.label);
        let id = me.body["id"].as_str().unwrap().to_string();
        run.name(&id, name);
        if name == "alice" {
            run.record(
                "users/me",
                json!({"keys": keys(&me.body), "types": types(&me.body, &["id", "email", "name"])}),
            );
        }
    }
    let key = t.call(Who::Alice, Method::GET, "api-keys/me", None).await;
    run.record(
        "api-keys/me",
        json!({"status": key.status, "keys": keys(&key.body), "permissions": key.body["permissions"]}),
    );

    // Errors of bad input and of access.
    let nowhere = uuid::Uuid::new_v4().to_string();
    run.name(&nowhere, "nowhere");
    for (step, who, method, path, body) in [
        (
            "no key",
            Who::NoKey,
            Method::GET,
            "users/me".to_string(),
            None,
        ),
        ("bad key", Who::BadKey, Method::GET, "users/me".into(), None),
        (
            "unknown route",
            Who::Alice,
            Method::GET,
            "nope".into(),
            None,
        ),
        (
            "bad boolean",
            Who::Alice,
            Method::GET,
            "people?withHidden=maybe".into(),
            None,
        ),
        (
            "album id not a uuid",
            Who::Alice,
            Method::GET,
            "albums/not-a-uuid".into(),
            None,
        ),
        (
            "album that does not exist",
            Who::Alice,
            Method::GET,
            format!("albums/{nowhere}"),
            None,
        ),
        (
            "add to an album that does not exist",
            Who::Alice,
            Method::PUT,
            format!("albums/{nowhere}/assets"),
            Some(json!({"ids": [nowhere]})),
        ),
        (
            "album without a name",
            Who::Alice,
            Method::POST,
            "albums".into(),
            Some(json!({"description": 3})),
        ),
        (
            "smart search without a query",
            Who::Alice,
            Method::POST,
            "search/smart".into(),
            Some(json!({"query": ""})),
        ),
        (
            "search with a date and no time",
            Who::Alice,
            Method::POST,
            "search/metadata".into(),
            Some(json!({"takenAfter": "2023-06-01"})),
        ),
        (
            "search page size 0",
            Who::Alice,
            Method::POST,
            "search/metadata".into(),
            Some(json!({"size": 0})),
        ),
        (
            "search page size 1001",
            Who::Alice,
            Method::POST,
            "search/metadata".into(),
            Some(json!({"size": 1001})),
        ),
        (
            "search an album id not a uuid",
            Who::Alice,
            Method::POST,
            "search/metadata".into(),
            Some(json!({"albumIds": ["nope"]})),
        ),
        (
            "search locked",
            Who::Alice,
            Method::POST,
            "search/metadata".into(),
            Some(json!({"visibility": "locked", "size": 1})),
        ),
        (
            "search an album that does not exist",
            Who::Alice,
            Method::POST,
            "search/metadata".into(),
            Some(json!({"albumIds": [nowhere]})),
        ),
    ] {
        let a = t.call(who, method, &path, body).await;
        run.record(&format!("error: {step}"), error(&a));
    }

    // Uploads: six files of the script's own (b3 is a1's file in bob's library).
    let mut files: HashMap<&str, Vec<u8>> = HashMap::new();
    for (name, who, day) in UPLOADS {
        let file_of = if *name == "b3" { "a1" } else { name };
        let bytes = files
            .entry(file_of)
            .or_insert_with(|| jpeg(&format!("conformance {token} {file_of}")))
            .clone();
        let file_name = format!("conf-{token}-{name}.jpg");
        let a = t
            .upload(*who, &upload_fields(name, *day), Some((file_name, bytes)))
            .await;
        if let Some(id) = a.body["id"].as_str() {
            let id = id.to_string();
            run.name(&id, name);
            let owner = if *who == Who::Alice { "alice" } else { "bob" };
            run.cleanup.assets.entry(owner).or_default().push(id);
        } else {
            panic!("{}: upload {name}: {} {}", t.label, a.status, a.body);
        }
        run.record(
            &format!("upload {name}"),
            json!({"status": a.status, "keys": keys(&a.body), "answer": a.body["status"]}),
        );
    }
    let again = t
        .upload(
            Who::Alice,
            &upload_fields("a1", 5),
            Some((format!("conf-{token}-again.jpg"), files["a1"].clone())),
        )
        .await;
    run.record(
        "upload a1's file again",
        json!({"status": again.status, "id": run.sym(&again.body["id"]), "answer": again.body["status"]}),
    );
    let no_date = t
        .upload(
            Who::Alice,
            &[("deviceAssetId", "x".into()), ("deviceId", "x".into())],
            Some(("x.jpg".into(), jpeg("never"))),
        )
        .await;
    run.record("error: upload without dates", error(&no_date));
    // Without the 2.x device fields: refused on 2.x, taken on 3.x (then deleted with the others).
    let bare = t
        .upload(
            Who::Alice,
            &[("fileCreatedAt", taken(1)), ("fileModifiedAt", taken(1))],
            Some((
                format!("bare-{token}.jpg"),
                jpeg(&format!("conformance {token} bare")),
            )),
        )
        .await;
    if let Some(id) = bare.body["id"].as_str() {
        let id = id.to_string();
        run.name(&id, "bare");
        run.cleanup.assets.entry("alice").or_default().push(id);
    }
    let seen = if bare.status < 300 {
        json!({"status": bare.status, "answer": bare.body["status"]})
    } else {
        error(&bare)
    };
    run.record("upload without device fields", seen);

    // A real server reads each upload's metadata and makes thumbnails after answering: wait for it.
    if t.sim.is_none() {
        wait_for_processing(run).await;
    }

    // Searches of the script's uploads (by name), in order, with pages.
    let mine = |extra: Value| {
        let mut body = json!({"originalFileName": format!("conf-{token}")});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let found = run
        .search(
            "search: alice's uploads",
            Who::Alice,
            mine(json!({"withExif": true})),
        )
        .await;
    let items = found["assets"]["items"].clone();
    let a1 = items
        .as_array()
        .and_then(|list| list.iter().find(|i| run.sym(&i["id"]) == json!("a1")))
        .cloned()
        .unwrap_or(Value::Null);
    run.record("search item (a1, withExif)", json!({"keys": keys(&a1), "types": types(&a1, ASSET_FIELDS), "exifKeys": keys(&a1["exifInfo"])}));
    run.search("search: bob's uploads", Who::Bob, mine(json!({})))
        .await;
    run.search(
        "search: alice's uploads, ascending",
        Who::Alice,
        mine(json!({"order": "asc"})),
    )
    .await;
    for page in 1..=3 {
        run.search(
            &format!("search: alice's uploads, page {page} of 2"),
            Who::Alice,
            mine(json!({"size": 2, "page": page})),
        )
        .await;
    }
    run.search(
        "search: alice's uploads, unknown field",
        Who::Alice,
        mine(json!({"bogusField": true})),
    )
    .await;
    run.search("search: by id", Who::Alice, json!({"id": run.id("a2")}))
        .await;
    let checksum = a1["checksum"].clone();
    run.search(
        "search: by checksum as bob",
        Who::Bob,
        json!({"checksum": checksum}),
    )
    .await;
    run.search(
        "search: taken in January 1999 as alice",
        Who::Alice,
        json!({"takenAfter": "1999-01-01T00:00:00.000Z", "takenBefore": "1999-01-31T23:59:59.999Z"}),
    )
    .await;

    // One asset, and the upload check.
    let one = t
        .call(
            Who::Alice,
            Method::GET,
            &format!("assets/{}", run.id("a1")),
            None,
        )
        .await;
    run.record(
        "asset a1",
        json!({"status": one.status, "keys": keys(&one.body), "types": types(&one.body, ASSET_FIELDS), "sameChecksum": one.body["checksum"] == checksum}),
    );
    let other_asset = t
        .call(
            Who::Bob,
            Method::GET,
            &format!("assets/{}", run.id("a1")),
            None,
        )
        .await;
    run.record("error: bob reads alice's asset", error(&other_asset));
    let check = t
        .call(
            Who::Alice,
            Method::POST,
            "assets/bulk-upload-check",
            Some(json!({"assets": [
                {"id": "known", "checksum": checksum},
                {"id": "new", "checksum": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}
            ]})),
        )
        .await;
    let results: Vec<Value> = check.body["results"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|r| json!({"id": r["id"], "action": r["action"], "reason": r.get("reason"), "assetId": run.sym(&r["assetId"]), "isTrashed": r.get("isTrashed"), "keys": keys(r)}))
                .collect()
        })
        .unwrap_or_default();
    run.record(
        "bulk upload check",
        json!({"status": check.status, "results": results}),
    );

    // Archive a3, hide a4, trash a2 (as the person in Immich's app would).
    for (name, visibility) in [("a3", "archive"), ("a4", "hidden")] {
        let a = t
            .call(
                Who::Alice,
                Method::PUT,
                "assets",
                Some(json!({"ids": [run.id(name)], "visibility": visibility})),
            )
            .await;
        run.record(
            &format!("set {name} {visibility}"),
            json!({"status": a.status}),
        );
    }
    t.trash(Who::Alice, &run.id("a2"), true).await;
    for (step, extra) in [
        ("no visibility", json!({})),
        ("timeline", json!({"visibility": "timeline"})),
        ("archive", json!({"visibility": "archive"})),
        ("hidden", json!({"visibility": "hidden"})),
        ("withDeleted", json!({"withDeleted": true})),
        (
            "timeline, trashed",
            json!({"visibility": "timeline", "trashedAfter": "1970-01-01T00:00:00.000Z"}),
        ),
    ] {
        run.search(
            &format!("search: alice's uploads, {step}"),
            Who::Alice,
            mine(extra),
        )
        .await;
    }

    // Albums: alice's, shared with bob as editor, and a private one.
    let created = t
        .call(
            Who::Alice,
            Method::POST,
            "albums",
            Some(json!({"albumName": format!("conformance {token}"), "albumUsers": [{"userId": run.id("bob"), "role": "editor"}]})),
        )
        .await;
    let album = created.body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: album: {}", t.label, created.body))
        .to_string();
    run.name(&album, "album");
    run.cleanup.albums.push(album.clone());
    run.record("create album shared with bob", run.album(&created));
    let private = t
        .call(
            Who::Alice,
            Method::POST,
            "albums",
            Some(json!({"albumName": format!("conformance {token} private")})),
        )
        .await;
    let private_id = private.body["id"].as_str().unwrap().to_string();
    run.name(&private_id, "private");
    run.cleanup.albums.push(private_id.clone());
    run.record("create private album", run.album(&private));

    // Adds: alice's own (on the timeline, trashed, archived, hidden), bob's, one that does not
    // exist, and one twice in the same request.
    let ids: Vec<String> = ["a1", "a2", "a3", "a4", "b1", "nowhere", "a1"]
        .iter()
        .map(|n| run.id(n))
        .collect();
    let a = t
        .call(
            Who::Alice,
            Method::PUT,
            &format!("albums/{album}/assets"),
            Some(json!({"ids": ids})),
        )
        .await;
    run.record("alice adds", run.bulk(&a));
    let a = t
        .call(
            Who::Alice,
            Method::PUT,
            &format!("albums/{album}/assets"),
            Some(json!({"ids": [run.id("a1")]})),
        )
        .await;
    run.record("alice adds a1 again", run.bulk(&a));
    let ids: Vec<String> = ["b1", "b2", "b3", "a1"].iter().map(|n| run.id(n)).collect();
    let a = t
        .call(
            Who::Bob,
            Method::PUT,
            &format!("albums/{album}/assets"),
            Some(json!({"ids": ids})),
        )
        .await;
    run.record("bob (editor) adds", run.bulk(&a));
    let a = t
        .call(
            Who::Bob,
            Method::PUT,
            &format!("albums/{private_id}/assets"),
            Some(json!({"ids": [run.id("b2")]})),
        )
        .await;
    run.record("bob adds to alice's private album", run.bulk(&a));
    let a = t
        .call(
            Who::Alice,
            Method::PUT,
            &format!("albums/{private_id}/assets"),
            Some(json!({"ids": [run.id("a1")]})),
        )
        .await;
    run.record("alice adds to her private album", run.bulk(&a));

    // The album, read by each member.
    for (step, who, query) in [
        ("alice", Who::Alice, ""),
        ("alice, withoutAssets", Who::Alice, "?withoutAssets=true"),
        ("bob", Who::Bob, ""),
    ] {
        let a = t
            .call(who, Method::GET, &format!("albums/{album}{query}"), None)
            .await;
        run.record(&format!("album as {step}"), run.album(&a));
    }
    let a = t
        .call(Who::Bob, Method::GET, &format!("albums/{private_id}"), None)
        .await;
    run.record("error: bob reads alice's private album", error(&a));

    // Album listings: which of the script's albums each one shows, and the shared one's entry.
    for (step, who, query) in [
        ("alice", Who::Alice, String::new()),
        (
            "alice, by name",
            Who::Alice,
            format!("?name=conformance%20{token}"),
        ),
        ("alice, shared", Who::Alice, "?shared=true".to_string()),
        ("alice, not shared", Who::Alice, "?shared=false".to_string()),
        ("bob", Who::Bob, String::new()),
        ("bob, shared", Who::Bob, "?shared=true".to_string()),
    ] {
        let a = t
            .call(who, Method::GET, &format!("albums{query}"), None)
            .await;
        let list = a.body.as_array().cloned().unwrap_or_default();
        let ours: Vec<&Value> = list
            .iter()
            .filter(|x| run.names.contains_key(x["id"].as_str().unwrap_or("")))
            .collect();
        let mut names: Vec<Value> = ours.iter().map(|x| run.sym(&x["id"])).collect();
        names.sort_by_key(|v| v.to_string());
        let entry = ours
            .iter()
            .find(|x| run.sym(&x["id"]) == json!("album"))
            .map(|x| run.album_value(a.status, x));
        run.record(
            &format!("album list as {step}"),
            json!({"status": a.status, "ours": names, "entry": entry}),
        );
    }

    // Searches of the album, as its owner and as its member.
    for (who, name) in [(Who::Alice, "alice"), (Who::Bob, "bob")] {
        for (step, extra) in [
            ("no visibility", json!({})),
            ("timeline", json!({"visibility": "timeline"})),
            ("archive", json!({"visibility": "archive"})),
            (
                "hidden, withDeleted",
                json!({"visibility": "hidden", "withDeleted": true}),
            ),
            ("withDeleted", json!({"withDeleted": true})),
            (
                "timeline, trashed",
                json!({"visibility": "timeline", "trashedAfter": "1970-01-01T00:00:00.000Z"}),
            ),
        ] {
            let mut body = json!({"albumIds": [album], "order": "asc"});
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            run.search(&format!("album search as {name}, {step}"), who, body)
                .await;
            run.as_set();
        }
    }
    run.search(
        "error: bob searches alice's private album",
        Who::Bob,
        json!({"albumIds": [private_id]}),
    )
    .await;

    // Sharing again, and with a user who does not exist.
    for (step, user, role) in [
        ("bob again as viewer", run.id("bob"), "viewer"),
        ("a user who does not exist", nowhere.clone(), "editor"),
    ] {
        let a = t
            .call(
                Who::Alice,
                Method::PUT,
                &format!("albums/{album}/users"),
                Some(json!({"albumUsers": [{"userId": user, "role": role}]})),
            )
            .await;
        run.record(&format!("share with {step}"), run.album(&a));
    }
    let a = t
        .call(
            Who::Alice,
            Method::PUT,
            &format!("albums/{private_id}/users"),
            Some(json!({"albumUsers": [{"userId": run.id("bob"), "role": "viewer"}]})),
        )
        .await;
    run.record("share private album with bob as viewer", run.album(&a));
    let a = t
        .call(
            Who::Bob,
            Method::PUT,
            &format!("albums/{private_id}/assets"),
            Some(json!({"ids": [run.id("b2")]})),
        )
        .await;
    run.record("bob (viewer) adds", run.bulk(&a));

    // Removals: alice (owner) takes out her own, bob's, one not in the album; bob (editor) takes out
    // alice's a3 and his own b2.
    let ids: Vec<String> = ["a1", "b1", "a4", "nowhere"]
        .iter()
        .map(|n| run.id(n))
        .collect();
    let a = t
        .call(
            Who::Alice,
            Method::DELETE,
            &format!("albums/{album}/assets"),
            Some(json!({"ids": ids})),
        )
        .await;
    run.record("alice removes", run.bulk(&a));
    let ids: Vec<String> = ["a3", "b2"].iter().map(|n| run.id(n)).collect();
    let a = t
        .call(
            Who::Bob,
            Method::DELETE,
            &format!("albums/{album}/assets"),
            Some(json!({"ids": ids})),
        )
        .await;
    run.record("bob (editor) removes", run.bulk(&a));
    let a = t
        .call(Who::Alice, Method::GET, &format!("albums/{album}"), None)
        .await;
    run.record("album after removals", run.album(&a));

    // The trash: a2 comes back.
    t.trash(Who::Alice, &run.id("a2"), false).await;
    let a = t
        .call(Who::Alice, Method::GET, &format!("albums/{album}"), None)
        .await;
    run.record("album after a2 left the trash", run.album(&a));
    run.search(
        "album search as alice after a2 left the trash",
        Who::Alice,
        json!({"albumIds": [album]}),
    )
    .await;
    run.as_set();

    // Album settings.
    let a = t
        .call(
            Who::Alice,
            Method::PATCH,
            &format!("albums/{album}"),
            Some(json!({"description": "conformance"})),
        )
        .await;
    run.record("album description changed", run.album(&a));
    let a = t
        .call(
            Who::Bob,
            Method::PATCH,
            &format!("albums/{album}"),
            Some(json!({"description": "bob"})),
        )
        .await;
    run.record("error: bob (editor) changes the album", error(&a));

    // Shared links.
    let a = t
        .call(
            Who::Alice,
            Method::POST,
            "shared-links",
            Some(json!({"type": "ALBUM", "albumId": album, "allowUpload": false})),
        )
        .await;
    let link = a.body["id"].as_str().map(str::to_string);
    let link_seen = |a: &Answer| {
        if a.status >= 300 {
            return error(a);
        }
        json!({
            "status": a.status,
            "keys": keys(&a.body),
            "types": types(&a.body, &["id", "key", "slug", "expiresAt", "password", "allowDownload", "allowUpload", "showMetadata", "album", "type"]),
            "allowDownload": a.body["allowDownload"],
            "allowUpload": a.body["allowUpload"],
            "showMetadata": a.body["showMetadata"],
            "slug": a.body["slug"].as_str().map(|s| s == format!("conf-{token}")),
        })
    };
    run.record("shared link created", link_seen(&a));
    if let Some(link) = link {
        run.cleanup.links.push(link.clone());
        let a = t
            .call(
                Who::Alice,
                Method::GET,
                &format!("shared-links?albumId={album}"),
                None,
            )
            .await;
        run.record(
            "shared links of the album",
            json!({"status": a.status, "count": a.body.as_array().map(Vec::len), "keys": a.body.get(0).map(keys)}),
        );
        let a = t
            .call(
                Who::Alice,
                Method::PATCH,
                &format!("shared-links/{link}"),
                Some(json!({"slug": format!("conf-{token}")})),
            )
            .await;
        run.record("shared link given a slug", link_seen(&a));
        let a = t
            .call(
                Who::Alice,
                Method::PATCH,
                &format!("shared-links/{link}"),
                Some(json!({"allowDownload": false})),
            )
            .await;
        run.record("shared link changed without its slug", link_seen(&a));
        let a = t
            .call(
                Who::Alice,
                Method::DELETE,
                &format!("shared-links/{link}"),
                None,
            )
            .await;
        run.record("shared link deleted", json!({"status": a.status}));
        run.cleanup.links.clear();
    }

    // People and faces (of the library, not the uploads).
    let a = t
        .call(
            Who::Alice,
            Method::GET,
            "people?size=100&withHidden=true",
            None,
        )
        .await;
    run.record(
        "people",
        json!({"status": a.status, "keys": keys(&a.body), "personKeys": a.body["people"].get(0).map(keys), "types": types(&a.body, &["people", "hasNextPage", "total", "hidden"])}),
    );
    let person_id = |name: &str| {
        a.body["people"]
            .as_array()
            .and_then(|list| list.iter().find(|p| p["name"] == name))
            .and_then(|p| p["id"].as_str())
            .map(str::to_string)
    };
    match (person_id(&t.person), person_id("Leo")) {
        (Some(mia), Some(leo)) => {
            run.name(&mia, "person");
            run.name(&leo, "Leo");
            let found = t
                .call(
                    Who::Alice,
                    Method::POST,
                    "search/metadata",
                    Some(json!({"personIds": [mia], "size": 3, "withPeople": true})),
                )
                .await;
            let items = found.body["assets"]["items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let all_show = items.iter().all(|i| {
                i["people"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p["id"] == json!(mia)))
            });
            let person = items
                .first()
                .and_then(|i| i["people"].as_array())
                .and_then(|p| p.iter().find(|p| p["id"] == json!(mia)))
                .cloned()
                .unwrap_or(Value::Null);
            run.record(
                "search: a person, with people",
                json!({
                    "status": found.status,
                    "count": found.body["assets"]["count"],
                    "nextPage": found.body["assets"]["nextPage"],
                    "everyItemShowsThem": all_show,
                    "personKeys": keys(&person),
                    "faces": person.get("faces").map(|f| kind(f)),
                    "faceKeys": person["faces"].get(0).map(keys),
                }),
            );
            let both = t
                .call(
                    Who::Alice,
                    Method::POST,
                    "search/metadata",
                    Some(json!({"personIds": [mia, leo], "size": 1000, "withPeople": true})),
                )
                .await;
            let items = both.body["assets"]["items"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let shows = |i: &Value, id: &str| {
                i["people"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p["id"] == json!(id)))
            };
            run.record(
                "search: two people (and)",
                json!({"status": both.status, "some": !items.is_empty(), "everyItemShowsBoth": items.iter().all(|i| shows(i, &mia) && shows(i, &leo))}),
            );
            let a = t
                .call(
                    Who::Bob,
                    Method::POST,
                    "search/metadata",
                    Some(json!({"personIds": [mia], "size": 3})),
                )
                .await;
            let seen = if a.status == 200 {
                json!({"status": 200, "count": a.body["assets"]["count"]})
            } else {
                error(&a)
            };
            run.record("search: bob searches alice's person", seen);
        }
        _ => run.problem(format!("alice has no person named {} and Leo", t.person)),
    }

    // Tags.
    let value = format!("conformance-{token}");
    if let Some(tag) = t.tag(Who::Alice, &run.id("a1"), &value).await {
        run.cleanup.tags.push(tag);
    }
    let a = t.call(Who::Alice, Method::GET, "tags", None).await;
    let tag = a
        .body
        .as_array()
        .and_then(|list| list.iter().find(|x| x["value"] == json!(value)))
        .cloned()
        .unwrap_or(Value::Null);
    run.record("tags", json!({"status": a.status, "tagKeys": keys(&tag), "types": types(&tag, &["id", "name", "value", "parentId", "color"])}));
    if let Some(tag_id) = tag["id"].as_str() {
        run.name(tag_id, "tag");
        if t.sim.is_none() {
            // Measured on 3.1.0: a search by a tag just given misses the asset for a moment.
            wait_for(t, json!({"tagIds": [tag_id]}), 1).await;
        }
        run.search("search: a tag", Who::Alice, json!({"tagIds": [tag_id]}))
            .await;
        let found = t
            .call(
                Who::Alice,
                Method::POST,
                "search/metadata",
                Some(json!({"id": run.id("a1"), "withExif": true})),
            )
            .await;
        let item = &found.body["assets"]["items"][0];
        run.record(
            "search item's tags",
            json!({"tags": item.get("tags").map(kind)}),
        );
    }

    // Smart search pages.
    let a = t
        .call(
            Who::Alice,
            Method::POST,
            "search/smart",
            Some(json!({"query": "red", "size": 2})),
        )
        .await;
    run.record(
        "smart search",
        json!({"status": a.status, "count": a.body["assets"]["count"], "nextPage": a.body["assets"]["nextPage"], "keys": keys(&a.body["assets"])}),
    );

    // A key with too few permissions.
    let (restricted, key_id) = t
        .restricted_key(&["asset.read"], &format!("conformance {token}"))
        .await;
    if let Some(id) = key_id {
        run.cleanup.keys.push(id);
    }
    let a = t
        .call_with_key(&restricted, Method::GET, "api-keys/me", None)
        .await;
    run.record(
        "restricted key",
        json!({"status": a.status, "permissions": a.body["permissions"]}),
    );
    let a = t
        .call_with_key(
            &restricted,
            Method::POST,
            "albums",
            Some(json!({"albumName": "never"})),
        )
        .await;
    run.record("error: restricted key creates an album", error(&a));

    // Pictures.
    for size in ["thumbnail", "preview"] {
        let a = t
            .call(
                Who::Alice,
                Method::GET,
                &format!("assets/{}/thumbnail?size={size}", run.id("a1")),
                None,
            )
            .await;
        run.record(
            &format!("thumbnail {size}"),
            json!({"status": a.status, "contentType": a.content_type}),
        );
    }
    let a = t
        .call(
            Who::Alice,
            Method::GET,
            &format!("assets/{}/original", run.id("a1")),
            None,
        )
        .await;
    run.record(
        "original",
        json!({"status": a.status, "sameLength": a.len == files["a1"].len()}),
    );

    // Deleting albums: not bob's to delete, then alice's.
    let a = t
        .call(Who::Bob, Method::DELETE, &format!("albums/{album}"), None)
        .await;
    run.record("error: bob deletes alice's album", error(&a));
    let a = t
        .call(Who::Alice, Method::DELETE, &format!("albums/{album}"), None)
        .await;
    run.record("album deleted", json!({"status": a.status}));
    run.cleanup.albums.retain(|x| *x != album);
    let a = t
        .call(Who::Alice, Method::GET, &format!("albums/{album}"), None)
        .await;
    run.record("error: the deleted album", error(&a));
}

/// Waits (up to a minute) until every upload has its thumbnail hash, so metadata has been read.
async fn wait_for_processing(run: &Run<'_>) {
    let start = Instant::now();
    let ids: Vec<(String, String)> = run
        .cleanup
        .assets
        .iter()
        .flat_map(|(owner, ids)| ids.iter().map(move |id| (owner.to_string(), id.clone())))
        .collect();
    for (owner, id) in ids {
        let who = if owner == "alice" {
            Who::Alice
        } else {
            Who::Bob
        };
        while start.elapsed() < Duration::from_secs(60) {
            let a = run
                .t
                .call(who, Method::GET, &format!("assets/{id}"), None)
                .await;
            if a.body["thumbhash"].is_string() && a.body["exifInfo"]["fileSizeInByte"].is_number() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Waits (up to ten seconds) until alice's search `body` finds `n` assets.
async fn wait_for(t: &Target, body: Value, n: u64) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let a = t
            .call(
                Who::Alice,
                Method::POST,
                "search/metadata",
                Some(body.clone()),
            )
            .await;
        if a.body["assets"]["total"].as_u64() >= Some(n) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Deletes what the script made on a real server: its albums, link, tag and key, and its own
/// uploads for good. On the simulator there is nothing to keep clean.
async fn clean(run: &mut Run<'_>) {
    let t = run.t;
    if t.sim.is_some() {
        return;
    }
    let c = std::mem::take(&mut run.cleanup);
    let mut failed = Vec::new();
    let made = (c.links.iter().map(|id| format!("shared-links/{id}")))
        .chain(c.albums.iter().map(|id| format!("albums/{id}")))
        .chain(c.tags.iter().map(|id| format!("tags/{id}")))
        .chain(c.keys.iter().map(|id| format!("api-keys/{id}")));
    for path in made {
        let a = t.call(Who::Alice, Method::DELETE, &path, None).await;
        if a.status >= 300 {
            failed.push(format!("{path}: {}", a.status));
        }
    }
    for (owner, ids) in c.assets {
        let who = if owner == "alice" {
            Who::Alice
        } else {
            Who::Bob
        };
        let a = t
            .call(
                who,
                Method::DELETE,
                "assets",
                Some(json!({"ids": ids, "force": true})),
            )
            .await;
        if a.status >= 300 {
            failed.push(format!("{owner}'s uploads: {}", a.status));
        }
    }
    if !failed.is_empty() {
        common::note(&format!(
            "conformance: {}: could not clean up: {}",
            t.label,
            failed.join("; ")
        ));
    }
}

/// Runs the script on a target; its observations, in order.
async fn observe(t: &Target) -> Vec<(String, Value)> {
    let token = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
    let mut run = Run::new(t, token);
    let outcome = {
        use futures::FutureExt;
        std::panic::AssertUnwindSafe(script(&mut run))
            .catch_unwind()
            .await
    };
    clean(&mut run).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    assert!(
        run.problems.is_empty(),
        "{}: {}",
        t.label,
        run.problems.join("\n")
    );
    run.obs
}

// ----- comparing ---------------------------------------------------------------------------------

/// Where two observations differ: (path, left, right).
fn differences(path: &str, left: &Value, right: &Value, out: &mut Vec<(String, Value, Value)>) {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            let all: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
            for k in all {
                let lv = l.get(k).cloned().unwrap_or(json!("(missing)"));
                let rv = r.get(k).cloned().unwrap_or(json!("(missing)"));
                differences(&format!("{path}.{k}"), &lv, &rv, out);
            }
        }
        (l, r) if l != r => out.push((path.to_string(), l.clone(), r.clone())),
        _ => {}
    }
}

fn accepted(line: ImmichLine, step: &str, path: &str) -> Option<&'static str> {
    let version = line.to_string();
    ACCEPTED
        .iter()
        .find(|(l, s, p, _)| (*l == "*" || *l == version) && *s == step && path.starts_with(p))
        .map(|(_, _, _, why)| *why)
}

/// Compares the real server's observations with the simulator's; the differences not accepted,
/// as lines naming the step.
fn compare(
    line: ImmichLine,
    real: &[(String, Value)],
    sim: &[(String, Value)],
    real_label: &str,
) -> (Vec<String>, Vec<String>) {
    let real_map: BTreeMap<&str, &Value> = real.iter().map(|(s, v)| (s.as_str(), v)).collect();
    let sim_map: BTreeMap<&str, &Value> = sim.iter().map(|(s, v)| (s.as_str(), v)).collect();
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    let mut steps: Vec<&str> = real.iter().map(|(s, _)| s.as_str()).collect();
    steps.extend(
        sim.iter()
            .map(|(s, _)| s.as_str())
            .filter(|s| !real_map.contains_key(s)),
    );
    for step in steps {
        let missing = json!("(step not run)");
        let r = real_map.get(step).copied().unwrap_or(&missing);
        let s = sim_map.get(step).copied().unwrap_or(&missing);
        let mut diffs = Vec::new();
        differences("", r, s, &mut diffs);
        for (path, rv, sv) in diffs {
            let line_text = format!("step `{step}` at `{path}`: {real_label} {rv}, simulator {sv}");
            match accepted(line, step, &path) {
                Some(why) => notes.push(format!("{line_text} (accepted: {why})")),
                None => failures.push(line_text),
            }
        }
    }
    (failures, notes)
}

fn recorded_path(line: ImmichLine) -> std::path::PathBuf {
    common::repo(&format!("tests/fixtures/conformance/real-{line}.json"))
}

fn to_json(obs: &[(String, Value)]) -> Value {
    Value::Array(
        obs.iter()
            .map(|(s, v)| json!({"step": s, "seen": v}))
            .collect(),
    )
}

fn from_json(v: &Value) -> Vec<(String, Value)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| (x["step"].as_str().unwrap().to_string(), x["seen"].clone()))
        .collect()
}

#[test]
fn the_simulator_answers_as_real_immich_does() {
    immich_smart_albums::immich::install_tls_provider();
    let rt = common::runtime();
    match Target::real_from_env() {
        Ok((api, alice, bob, person)) => {
            let real = rt.block_on(Target::real(api, alice, bob, person));
            let line = real.line;
            eprintln!(
                "conformance: {} against the simulator's {line} line",
                real.label
            );
            let real_obs = rt.block_on(observe(&real));
            if common::truthy(std::env::var(RECORD_VAR).ok().as_deref()) {
                let path = recorded_path(line);
                std::fs::write(
                    &path,
                    serde_json::to_string_pretty(&to_json(&real_obs)).unwrap() + "\n",
                )
                .unwrap();
                eprintln!(
                    "conformance: recorded the real answers in {}",
                    path.display()
                );
            }
            let sim = Target::sim(line);
            let sim_obs = rt.block_on(observe(&sim));
            let (failures, notes) = compare(line, &real_obs, &sim_obs, "real");
            for note in &notes {
                eprintln!("conformance: {note}");
            }
            assert!(
                failures.is_empty(),
                "the simulator's {line} line differs from {} in {} places:\n{}",
                real.label,
                failures.len(),
                failures.join("\n")
            );
            eprintln!(
                "conformance: the simulator's {line} line answers as {} does ({} steps)",
                real.label,
                real_obs.len()
            );
        }
        Err(why) => {
            common::note(&format!(
                "conformance: no real Immich server compared ({why}); ran the script on the simulator's two lines against the recorded real answers (tests/fixtures/conformance/). To compare with a real server: {URL_VAR}=http://host:2283 {ALICE_VAR}=… {BOB_VAR}=… cargo test --test integration conformance"
            ));
            let mut failures = Vec::new();
            for line in [ImmichLine::V3_1, ImmichLine::V2_5] {
                let sim = Target::sim(line);
                let sim_obs = rt.block_on(observe(&sim));
                assert!(sim_obs.len() > 80, "{line}: the script ran to its end");
                match std::fs::read_to_string(recorded_path(line)) {
                    Ok(text) => {
                        let real_obs = from_json(&serde_json::from_str(&text).unwrap());
                        let (f, _) =
                            compare(line, &real_obs, &sim_obs, &format!("recorded {line}"));
                        failures.extend(f.into_iter().map(|x| format!("{line}: {x}")));
                    }
                    Err(_) => common::note(&format!(
                        "conformance: no recorded answers of a real {line} server"
                    )),
                }
            }
            assert!(
                failures.is_empty(),
                "the simulator differs from the recorded real answers:\n{}",
                failures.join("\n")
            );
        }
    }
}
