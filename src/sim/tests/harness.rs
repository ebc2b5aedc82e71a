//! A started simulator plus an HTTP client, and small helpers for reading its answers: shared by
//! the tests of the routes and of the direct controls.

use serde_json::{Value, json};

use crate::sim::{SimAsset, SimConfig, Simulator};

pub(crate) const NO_ASSET: &str = "00000000-0000-4000-8000-000000000000";

/// A started simulator plus an HTTP client.
pub(crate) struct Harness {
    pub(crate) sim: Simulator,
    pub(crate) http: reqwest::Client,
}

impl Harness {
    pub(crate) fn new(accounts: &[&str], assets: usize) -> Harness {
        let sim = Simulator::start(SimConfig {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            assets_per_account: assets,
            ..SimConfig::default()
        })
        .expect("simulator starts");
        Harness {
            sim,
            http: {
                crate::immich::install_tls_provider();
                reqwest::Client::new()
            },
        }
    }

    pub(crate) async fn raw(
        &self,
        key: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sim.url()));
        if let Some(key) = key {
            req = req.header("x-api-key", key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request sent")
    }

    pub(crate) async fn call_key(
        &self,
        key: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let resp = self.raw(key, method, path, body).await;
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json body"))
    }

    pub(crate) async fn call(
        &self,
        account: &str,
        method: &str,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        let key = self.sim.account(account).api_key;
        let body = (method != "GET").then_some(body);
        self.call_key(Some(&key), method, path, body).await
    }

    pub(crate) async fn search(&self, account: &str, body: Value) -> Value {
        let (status, resp) = self
            .call(account, "POST", "/api/search/metadata", body)
            .await;
        assert_eq!(status, 200, "{resp}");
        resp
    }

    /// Page through a search, returning every item id.
    pub(crate) async fn search_all(
        &self,
        account: &str,
        path: &str,
        mut body: Value,
    ) -> Vec<String> {
        let mut ids = Vec::new();
        let mut page = 1;
        loop {
            body["page"] = json!(page);
            let (status, resp) = self.call(account, "POST", path, body.clone()).await;
            assert_eq!(status, 200, "{resp}");
            for item in resp["assets"]["items"].as_array().unwrap() {
                ids.push(item["id"].as_str().unwrap().to_string());
            }
            match &resp["assets"]["nextPage"] {
                Value::Null => return ids,
                Value::String(next) => {
                    page += 1;
                    assert_eq!(next, &page.to_string());
                }
                other => panic!("nextPage must be a string or null, got {other}"),
            }
        }
    }

    /// The account's own assets that a default search returns (not locked).
    pub(crate) fn visible(&self, account: &str) -> Vec<SimAsset> {
        let mut assets: Vec<SimAsset> = self
            .sim
            .assets(account)
            .into_iter()
            .filter(|a| a.visibility != "locked")
            .collect();
        assets.sort_by(|a, b| a.id.cmp(&b.id));
        assets
    }
}

pub(crate) fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

pub(crate) fn ids_of(assets: &[SimAsset]) -> Vec<String> {
    sorted(assets.iter().map(|a| a.id.clone()).collect())
}

pub(crate) fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

pub(crate) fn key_list(list: &str) -> Vec<String> {
    let mut k: Vec<String> = list.split_whitespace().map(str::to_string).collect();
    k.sort();
    k
}

/// Ids of a metadata search's items (one page of up to 1000).
pub(crate) async fn found(h: &Harness, account: &str, mut body: Value) -> Vec<String> {
    body["size"] = json!(1000);
    let resp = h.search(account, body).await;
    resp["assets"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// The `assetCount` of the album as `GET /api/albums` lists it.
pub(crate) async fn listed_count(h: &Harness, account: &str, album: &str) -> u64 {
    let (status, list) = h.call(account, "GET", "/api/albums", json!(null)).await;
    assert_eq!(status, 200);
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == album)
        .expect("album listed");
    entry["assetCount"].as_u64().unwrap()
}
