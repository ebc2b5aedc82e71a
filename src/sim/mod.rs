//! An in-process Immich server simulator (the 3.1 and 2.5 lines) for tests, the demo and the
//! benchmark. This file owns the public API: the configuration, the account/asset/request views
//! handed to tests, and `Simulator`'s life: it runs the HTTP server on its own thread and tokio
//! runtime until dropped. `Simulator`'s direct (unlogged) access to the state is in three rooms:
//! `acts` (what a person or Immich itself does: `set_visibility`, `untag`, `add_words`,
//! `remove_from_album`...), `views` (what a test reads) and `quirks` (faults, and how real servers
//! differ). Data generation lives in `generator`, the data model in `state`, search in `search`,
//! JSON shapes in `json`, fault injection in `faults`, thumbnails in `picture` (encoded by `webp`
//! and `jpeg`), and the HTTP layer in `routes`, by Immich resource (with `links`, `tags` and
//! `uploads`).

mod acts;
mod catalogue;
mod faults;
mod generator;
mod jpeg;
mod json;
mod links;
mod picture;
mod quirks;
mod rng;
mod routes;
mod search;
mod state;
mod tags;
pub(crate) mod time;
mod uploads;
mod validate;
mod views;
mod webp;

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use state::State;

pub use crate::immich::ImmichLine;
pub use faults::{FaultPlan, FaultRule};

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

/// What a person does in Immich at a moment a test chooses (see [`Simulator::before`]): the family
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

/// A running simulated Immich server. Dropping it shuts the server down.
pub struct Simulator {
    state: Arc<Mutex<State>>,
    faults: Arc<Mutex<faults::Faults>>,
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Generate the data, bind `127.0.0.1:port` and serve on a dedicated thread with its own tokio
    /// runtime. Returns once the socket is listening; safe to call from inside a tokio runtime.
    pub fn start(config: SimConfig) -> anyhow::Result<Simulator> {
        anyhow::ensure!(
            !config.accounts.is_empty(),
            "the simulator needs an account"
        );
        anyhow::ensure!(
            config.accounts.len() <= generator::MAX_ACCOUNTS,
            "the simulator supports at most {} accounts",
            generator::MAX_ACCOUNTS
        );
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(generator::generate(&config)));
        let faults = Arc::new(Mutex::new(faults::Faults::default()));
        let app = routes::router(state.clone(), config.latency, faults.clone());

        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
        let thread = std::thread::Builder::new()
            .name(format!("immich-sim-{port}"))
            .spawn(move || serve(listener, app, stop_rx, ready_tx))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Simulator {
                state,
                faults,
                port,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(anyhow::anyhow!("simulator thread died during start-up")),
        }
    }

    /// The bare site, e.g. "http://127.0.0.1:PORT" (the API is under /api).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn faults(&self) -> MutexGuard<'_, faults::Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stop the server and wait for its thread.
    pub fn shutdown(self) {
        // Drop does the work.
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Body of the server thread: run the router until told to stop, then drop the runtime (which
/// cancels any open connections).
fn serve(
    listener: std::net::TcpListener,
    app: axum::Router,
    stop: tokio::sync::oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<anyhow::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("immich-sim-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(e.into()));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let server = std::future::IntoFuture::into_future(axum::serve(listener, app));
        tokio::select! {
            result = server => {
                if let Err(e) = result {
                    tracing::error!("simulator server failed: {e}");
                }
            }
            _ = stop => {}
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
}

#[cfg(test)]
mod tests;
