//! The simulator's life (start, ports, shutdown) and, in `acts`, the direct controls a test uses,
//! seen over HTTP; in `stamps`, the time stamps of assets and albums that those controls and the
//! routes move; `harness` is the started simulator plus client that these and the routes' tests
//! share.

mod acts;
pub(super) mod harness;
mod stamps;

use super::*;

fn ping(url: &str) -> reqwest::Result<reqwest::StatusCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        crate::immich::install_tls_provider();
        Ok(reqwest::get(format!("{url}/api/server/ping"))
            .await?
            .status())
    })
}

#[test]
fn starts_from_plain_code_and_shuts_down() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    let url = sim.url();
    assert_eq!(url, format!("http://127.0.0.1:{}", sim.port()));
    assert_eq!(ping(&url).unwrap(), 200);
    let names: Vec<String> = sim.accounts().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(sim.assets("bob").len(), 200);
    assert_eq!(sim.account("bob").email, "bob@example.com");
    sim.shutdown();
    assert!(ping(&url).is_err(), "the port is closed after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_inside_a_runtime_and_keys_are_seeded() {
    let a = Simulator::start(SimConfig::default()).unwrap();
    let b = Simulator::start(SimConfig::default()).unwrap();
    assert_ne!(a.port(), b.port());
    assert_eq!(a.accounts(), b.accounts(), "same seed, same users and keys");
    crate::immich::install_tls_provider();
    let resp = reqwest::get(format!("{}/api/server/version", a.url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(a);
    drop(b);
}

#[test]
#[should_panic(expected = "unknown simulator account")]
fn unknown_account_panics() {
    let sim = Simulator::start(SimConfig {
        assets_per_account: 1,
        ..SimConfig::default()
    })
    .unwrap();
    sim.account("mallory");
}
