//! Sending a run's signals: the ping at its start and its end, the webhook's JSON and the ntfy or
//! Gotify message at its end. Each request has 3 seconds; a failed one is tried again twice, then logged
//! (without its URL): a monitor that is down or hangs costs a run 10 seconds at most. Nothing here
//! can fail a run.

use std::sync::OnceLock;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use futures::future::join_all;

use super::{Notify, STATUS_PLACEHOLDER, SecretUrl};

/// How long one request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(3);
/// Tries per request.
const ATTEMPTS: usize = 3;

/// How a run ended, and what its messages say.
#[derive(Debug, Clone, Default)]
pub struct Ending {
    /// The run's exit status.
    pub status: i32,
    /// Whether it added or removed anything.
    pub changed: bool,
    /// The summary lines and the errors, plain text: the ping's body and the ntfy message.
    pub text: String,
    /// The ntfy message's title.
    pub title: String,
    /// The run's JSON summary (the schema of `--format json`): the webhook's body.
    pub json: Vec<u8>,
}

/// The ping that says a run began (`…/start`; with the `{status}` placeholder, `start` in its place).
pub async fn started(notify: &Notify) {
    if let Some(ping) = &notify.ping {
        let url = signal_url(ping.expose(), "start");
        send(ping, url, Body::Text(String::new()), "the start ping").await;
    }
}

/// The run's end: the ping (its URL itself when the run went well, else `…/fail`; with the
/// placeholder, the exit status in its place), and the webhook, ntfy and Gotify messages their `on`
/// wants. Gotify takes JSON (`title`, `message`, `priority`) at its `/message?token=…` URL.
pub async fn ended(notify: &Notify, ending: &Ending) {
    let mut sends = Vec::new();
    if let Some(ping) = &notify.ping {
        let url = end_url(ping.expose(), ending.status);
        sends.push(send(ping, url, Body::Text(ending.text.clone()), "the ping"));
    }
    if let Some(webhook) = notify.webhook.as_ref().filter(|t| t.on.wants(ending)) {
        let url = webhook.url.expose().to_string();
        sends.push(send(
            &webhook.url,
            url,
            Body::Json(ending.json.clone()),
            "the webhook",
        ));
    }
    if let Some(ntfy) = notify.ntfy.as_ref().filter(|t| t.on.wants(ending)) {
        let url = ntfy.url.expose().to_string();
        let body = Body::Ntfy {
            title: ending.title.clone(),
            message: ending.text.clone(),
            failed: ending.status != 0,
        };
        sends.push(send(&ntfy.url, url, body, "the ntfy message"));
    }
    if let Some(gotify) = notify.gotify.as_ref().filter(|t| t.on.wants(ending)) {
        let url = gotify.url.expose().to_string();
        let message = serde_json::json!({
            "title": ending.title,
            "message": ending.text,
            "priority": if ending.status != 0 { 8 } else { 4 },
        });
        let body = Body::Json(message.to_string().into_bytes());
        sends.push(send(&gotify.url, url, body, "the Gotify message"));
    }
    join_all(sends).await;
}

/// The URL of a ping's signal: `…/start`, `…/fail` after the path (the query kept), or the
/// placeholder replaced.
fn signal_url(url: &str, signal: &str) -> String {
    if url.contains(STATUS_PLACEHOLDER) {
        return url.replace(STATUS_PLACEHOLDER, signal);
    }
    match url.split_once('?') {
        Some((path, query)) => format!("{}/{signal}?{query}", path.trim_end_matches('/')),
        None => format!("{}/{signal}", url.trim_end_matches('/')),
    }
}

/// The URL of a ping's end signal for a run that ended with `status`.
fn end_url(url: &str, status: i32) -> String {
    if url.contains(STATUS_PLACEHOLDER) {
        url.replace(STATUS_PLACEHOLDER, &status.to_string())
    } else if status == 0 {
        url.to_string()
    } else {
        signal_url(url, "fail")
    }
}

enum Body {
    Text(String),
    Json(Vec<u8>),
    /// ntfy's form: the message as the body, the title in a header.
    Ntfy {
        title: String,
        message: String,
        failed: bool,
    },
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        crate::immich::install_tls_provider();
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .user_agent(concat!("immich-smart-albums/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with a timeout builds")
    })
}

/// Posts `body` to `url` (`to` names the URL's source), tried [`ATTEMPTS`] times; a failure is logged
/// as a warning, never returned.
async fn send(to: &SecretUrl, url: String, body: Body, what: &str) {
    let once = || async {
        let request = client().post(&url);
        let request = match &body {
            Body::Text(text) => request
                .header("content-type", "text/plain; charset=utf-8")
                .body(text.clone()),
            Body::Json(json) => request
                .header("content-type", "application/json")
                .body(json.clone()),
            Body::Ntfy {
                title,
                message,
                failed,
            } => request
                .header("title", header_text(title))
                .header("tags", if *failed { "warning" } else { "camera" })
                .header("priority", if *failed { "high" } else { "default" })
                .body(message.clone()),
        };
        let response = request
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the server answered {status}"))
        }
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(300))
        .with_max_times(ATTEMPTS - 1);
    if let Err(error) = once.retry(backoff).sleep(tokio::time::sleep).await {
        tracing::warn!("could not send {what} ({to}) after {ATTEMPTS} tries: {error}");
    }
}

/// A header value: one line of visible ASCII (ntfy takes UTF-8 titles only RFC 2047-encoded).
fn header_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_url_gets_its_signals_after_the_path() {
        let url = "https://hc.example.org/ping/5f0c";
        assert_eq!(
            signal_url(url, "start"),
            "https://hc.example.org/ping/5f0c/start"
        );
        assert_eq!(end_url(url, 0), url);
        assert_eq!(end_url(url, 1), "https://hc.example.org/ping/5f0c/fail");
        assert_eq!(end_url(url, 2), "https://hc.example.org/ping/5f0c/fail");
        let with_query = "https://hc.example.org/ping/key/slug/?create=1";
        assert_eq!(
            end_url(with_query, 1),
            "https://hc.example.org/ping/key/slug/fail?create=1"
        );
    }

    #[test]
    fn a_placeholder_takes_the_exit_status() {
        let url = "https://hc.example.org/ping/5f0c/{status}";
        assert_eq!(
            signal_url(url, "start"),
            "https://hc.example.org/ping/5f0c/start"
        );
        assert_eq!(end_url(url, 0), "https://hc.example.org/ping/5f0c/0");
        assert_eq!(end_url(url, 2), "https://hc.example.org/ping/5f0c/2");
    }

    #[test]
    fn a_title_is_one_line_of_ascii() {
        assert_eq!(header_text("Kids: 3 added\né"), "Kids: 3 added??");
    }
}
