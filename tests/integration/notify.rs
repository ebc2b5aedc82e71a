//! Health pings and notifications (`notify:` in a profile or a job file), received by a real HTTP
//! server on loopback: what reaches it, in which order, with which body; that a failing account's
//! reason arrives without any key; that `on: change` keeps quiet when nothing changed; and that a
//! receiver that is down or never answers changes neither the exit status nor the albums.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{self, Setup};

/// One request as the receiver read it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How the receiver answers.
#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Ok,
    /// Reads the request and never answers.
    Never,
}

/// A minimal HTTP/1.1 receiver on 127.0.0.1 that records every request.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(answer: Answer) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&got);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, answer, &log));
            }
        });
        Receiver { url, got }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.got().into_iter().map(|r| r.path).collect()
    }
}

fn serve(stream: TcpStream, answer: Answer, log: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = first.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    log.lock().unwrap().push(Received {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    match answer {
        Answer::Ok => {
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nOK");
        }
        // Holds the connection open until the client gives up.
        Answer::Never => std::thread::sleep(Duration::from_secs(30)),
    }
}

const JOB: &str = "jobs:\n  kids:\n    include: [{people: [Mia]}]\n    album: Kids\n";

/// The setup's profile with a `notify:` block added.
fn with_profile_notify(setup: &Setup, notify: &str) {
    let path = setup.dir.path().join("profiles/family.yaml");
    let profile = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("notify:\n{notify}{profile}")).unwrap();
}

#[test]
fn a_good_run_pings_start_then_success_and_on_change_keeps_quiet_when_nothing_changed() {
    let setup = Setup::new(common::sim());
    let hub = Receiver::start(Answer::Ok);
    with_profile_notify(
        &setup,
        &format!(
            "  ping: {url}/ping/family\n  webhook: {{url: '{url}/hook', on: always}}\n  ntfy: {{url: '{url}/ntfy', on: change}}\n",
            url = hub.url
        ),
    );
    let job = setup.job("jobs.yaml", &format!("profile: family\n{JOB}"));
    let first = setup
        .bin()
        .arg("sync")
        .arg(&job)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        common::stderr_of(&first)
    );
    let held = common::album_files(&setup.sim, "Kids", &["alice", "bob"]);
    assert!(!held.is_empty(), "the album was filled");

    let got = hub.got();
    let paths = hub.paths();
    assert_eq!(paths[0], "/ping/family/start", "{paths:?}");
    let mut ends: Vec<&str> = paths[1..].iter().map(String::as_str).collect();
    ends.sort_unstable();
    assert_eq!(ends, ["/hook", "/ntfy", "/ping/family"]);
    assert!(got.iter().all(|r| r.method == "POST"));
    let ping = got.iter().find(|r| r.path == "/ping/family").unwrap();
    assert!(ping.body.starts_with("kids: added "), "{}", ping.body);
    let hook = got.iter().find(|r| r.path == "/hook").unwrap();
    assert_eq!(hook.header("content-type"), Some("application/json"));
    let json: serde_json::Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["jobs"][0]["job"], "kids");
    let added: u64 = json["jobs"][0]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["album"]["added"].as_u64().unwrap())
        .sum();
    assert_eq!(
        added as usize,
        held.len(),
        "the webhook says what the album got"
    );
    let ntfy = got.iter().find(|r| r.path == "/ntfy").unwrap();
    assert!(
        ntfy.header("title")
            .unwrap()
            .contains(&format!("added {}", held.len())),
        "{ntfy:?}"
    );

    // Nothing changes: the ping and the webhook (`always`) again, ntfy (`change`) not.
    let second = setup
        .bin()
        .arg("sync")
        .arg(&job)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(0));
    let paths = hub.paths();
    let again: Vec<&str> = paths[4..].iter().map(String::as_str).collect();
    assert_eq!(again[0], "/ping/family/start", "{paths:?}");
    let mut ends = again[1..].to_vec();
    ends.sort_unstable();
    assert_eq!(ends, ["/hook", "/ping/family"], "{paths:?}");
}

#[test]
fn a_failing_account_sends_start_then_fail_with_its_reason_and_no_key() {
    let setup = Setup::new(common::sim());
    let hub = Receiver::start(Answer::Ok);
    with_profile_notify(
        &setup,
        &format!(
            "  ping: '{url}/ping/family'\n  ntfy: {{url: '{url}/ntfy'}}\n  gotify: {{url: '{url}/message?token=t0k'}}\n",
            url = hub.url
        ),
    );
    let job = setup.job("jobs.yaml", &format!("profile: family\n{JOB}"));
    let alice_key = setup.sim.account("alice").api_key;
    let output = setup
        .bin()
        .arg("sync")
        .arg(&job)
        .env("TEST_KEY_BOB", "not-bobs-key")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        common::stderr_of(&output)
    );
    let got = hub.got();
    let paths = hub.paths();
    assert_eq!(paths[0], "/ping/family/start", "{paths:?}");
    let fail = got
        .iter()
        .find(|r| r.path == "/ping/family/fail")
        .unwrap_or_else(|| panic!("no fail ping: {paths:?}"));
    assert!(!paths.contains(&"/ping/family".to_string()), "{paths:?}");
    assert!(fail.body.contains("bob"), "{}", fail.body);
    let ntfy = got
        .iter()
        .find(|r| r.path == "/ntfy")
        .expect("on: failure sends");
    assert_eq!(ntfy.header("priority"), Some("high"));
    assert!(ntfy.header("title").unwrap().contains("exit status 1"));
    let gotify = got
        .iter()
        .find(|r| r.path == "/message?token=t0k")
        .expect("Gotify too");
    let gotify: serde_json::Value = serde_json::from_str(&gotify.body).unwrap();
    assert!(gotify["title"].as_str().unwrap().contains("exit status 1"));
    assert!(gotify["message"].as_str().unwrap().contains("bob"));
    assert_eq!(gotify["priority"], 8);
    for request in &got {
        for key in [alice_key.as_str(), "not-bobs-key"] {
            assert!(!request.body.contains(key), "a key in {request:?}");
            assert!(
                request.headers.iter().all(|(_, v)| !v.contains(key)),
                "a key in {request:?}"
            );
        }
    }
}

#[test]
fn a_receiver_that_is_down_or_never_answers_changes_neither_the_exit_status_nor_the_album() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let silent = Receiver::start(Answer::Never);
    for (case, url) in [("down", closed), ("never answers", silent.url.clone())] {
        let setup = Setup::new(common::sim());
        with_profile_notify(
            &setup,
            &format!("  ping: {url}/ping/family\n  webhook: {{url: '{url}/hook', on: always}}\n"),
        );
        let job = setup.job("jobs.yaml", &format!("profile: family\n{JOB}"));
        let output = setup
            .bin()
            .arg("sync")
            .arg(&job)
            // A guard against a hang, not a measure of speed.
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{case}: {}",
            common::stderr_of(&output)
        );
        assert!(
            !common::album_files(&setup.sim, "Kids", &["alice", "bob"]).is_empty(),
            "{case}: the album was filled"
        );
        let stderr = common::stderr_of(&output);
        assert!(
            stderr.contains("could not send the ping (notify.ping in profile"),
            "{case}: {stderr}"
        );
        assert!(
            !stderr.contains("/ping/family"),
            "{case}: the URL is printed: {stderr}"
        );
    }
    assert!(silent.paths().contains(&"/ping/family/start".to_string()));
}

#[test]
fn a_malformed_or_missing_url_stops_the_sync_before_anything_changes() {
    let setup = Setup::new(common::sim());
    for (notify, expected) in [
        (
            "  ping: hc.example.org/ping/secret-uuid\n",
            "`notify.ping`: from `ping`: not a URL",
        ),
        (
            "  webhook: {url_env: NO_SUCH_HOOK}\n",
            "NO_SUCH_HOOK is not set",
        ),
    ] {
        let job = setup.job(
            "jobs.yaml",
            &format!("profile: family\nnotify:\n{notify}{JOB}"),
        );
        let output = setup.bin().arg("sync").arg(&job).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{notify}");
        let stderr = common::stderr_of(&output);
        assert!(stderr.contains("job file "), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("secret-uuid"), "{stderr}");
        assert!(
            setup.sim.album_by_name("Kids").is_empty(),
            "nothing changed"
        );
    }
}

#[test]
fn a_job_files_ping_replaces_the_profiles_and_a_placeholder_takes_the_exit_status() {
    let setup = Setup::new(common::sim());
    let hub = Receiver::start(Answer::Ok);
    with_profile_notify(&setup, &format!("  ping: {}/ping/family\n", hub.url));
    let job = setup.job(
        "jobs.yaml",
        &format!(
            "profile: family\nnotify:\n  ping: '{}/ping/kids/{{status}}'\n{JOB}",
            hub.url
        ),
    );
    let output = setup.bin().arg("sync").arg(&job).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(hub.paths(), ["/ping/kids/start", "/ping/kids/0"]);
    let output = setup
        .bin()
        .arg("sync")
        .arg(&job)
        .env("TEST_KEY_BOB", "not-bobs-key")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(hub.paths()[2..], ["/ping/kids/start", "/ping/kids/1"]);
}
