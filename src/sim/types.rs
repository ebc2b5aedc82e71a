//! The plain data of the simulator's public API, re-exported by `sim`: the configuration
//! ([`SimConfig`]), the acts a test plans ([`PersonAct`]), and what a test reads back (accounts,
//! assets, album roles, the request log). Data only, at the bottom of the simulator's layers, so
//! the state can hold and hand out these types without importing the `Simulator` that wraps it.

use std::time::Duration;

use crate::immich::ImmichLine;

/// How to build the simulated server.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub accounts: Vec<String>,
    pub assets_per_account: usize,
    /// Slept before answering every request.
    pub latency: Duration,
    /// 0 = any free port.
    pub port: u16,
    /// Which Immich release line to answer as.
    pub immich: ImmichLine,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            accounts: vec!["alice".to_string(), "bob".to_string()],
            assets_per_account: 200,
            latency: Duration::ZERO,
            port: 0,
            immich: ImmichLine::default(),
        }
    }
}

/// What a person does in Immich at a moment a test chooses (see [`Simulator::before`](super::Simulator::before)): the family
/// at work while the tool reads or writes.
#[derive(Debug, Clone)]
pub enum PersonAct {
    /// Puts assets into an album (ids).
    AddToAlbum { album: String, assets: Vec<String> },
    /// Takes assets out of an album.
    RemoveFromAlbum { album: String, assets: Vec<String> },
}

/// A user's role in an album.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Editor,
    Viewer,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }
}

/// An account of the simulated server, with its full-permission API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAccount {
    pub name: String,
    pub user_id: String,
    pub email: String,
    pub api_key: String,
}

/// One HTTP request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    /// e.g. "/api/search/metadata", without the query string.
    pub path: String,
    pub query: Option<String>,
    /// Name of the account the API key belongs to (None when the key was missing or invalid).
    pub account: Option<String>,
    pub status: u16,
    /// True for a request that changed albums or assets: a successful POST/PUT/DELETE under
    /// /api/albums, or a successful `PUT /api/assets`.
    pub changed: bool,
    /// The JSON body of a non-GET request (a non-JSON body is kept as a string).
    pub body: Option<serde_json::Value>,
    /// The injected fault, if any: `status 502`, `status 502 after handler`, `status 429`, `reset`
    /// (logged with status 0), `truncate` (logged with the status that was cut), `always fail`,
    /// `redirect`.
    pub fault: Option<String>,
    /// The request headers as received, in order; the value of `x-api-key` is logged as `[redacted]`.
    pub headers: Vec<(String, String)>,
    /// The size of the answer's body, where it was known whole (not for a streamed original).
    pub response_bytes: Option<u64>,
}

impl LoggedRequest {
    /// The value of a request header (names are lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A readable view of one generated asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAsset {
    pub id: String,
    /// Account name.
    pub owner: String,
    /// Base64 of the 20-byte SHA-1, as Immich reports it.
    pub checksum: String,
    /// RFC 3339, UTC.
    pub taken: String,
    /// Empty when the asset has no camera (screenshots).
    pub make: String,
    pub model: String,
    /// Empty when the asset has no GPS.
    pub city: String,
    /// Content words (the toy CLIP embedding).
    pub words: Vec<String>,
    /// Names of the people shown.
    pub people: Vec<String>,
    pub is_favorite: bool,
    pub visibility: String,
    /// In the trash.
    pub trashed: bool,
    /// IMAGE or VIDEO.
    pub kind: String,
}
