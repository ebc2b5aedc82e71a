//! An in-process Immich server simulator (the 3.1 and 2.5 lines) for tests, the demo and the
//! benchmark. This file owns the public API (its plain data is in `types`, re-exported here) and
//! `Simulator`'s life: it runs the HTTP server on its own thread and tokio runtime until dropped.
//! `Simulator`'s direct (unlogged) access to the state is in three rooms: `acts` (what a person or
//! Immich itself does: `set_visibility`, `untag`, `add_words`, `remove_from_album`...), `views`
//! (what a test reads) and `quirks` (faults, and how real servers differ).
//!
//! The modules below stand in layers, each importing only from the ones under it:
//! - leaves: `rng`, `time`, `catalogue` (the fixed tables and times), `types`, `faults`, `originals`
//!   (made originals, upload checksums), `picture` (thumbnails, encoded by `webp` and `jpeg`);
//! - the model: `state` (with its `tags` and `links`), and `generator`, which builds one;
//! - rendering and checking: `json` (the JSON shapes), `validate` (request bodies), `search`;
//! - the HTTP layer: `routes`, by Immich resource;
//! - this file, with `acts`, `views` and `quirks`.

mod acts;
mod catalogue;
mod faults;
mod generator;
mod jpeg;
mod json;
mod originals;
mod picture;
mod quirks;
mod rng;
mod routes;
mod search;
mod state;
pub(crate) mod time;
mod types;
mod validate;
mod views;
mod webp;

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use state::State;

pub use crate::immich::ImmichLine;
pub use faults::{FaultPlan, FaultRule};
pub use types::{LoggedRequest, PersonAct, Role, SimAccount, SimAsset, SimConfig};

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
