//! Copying a large original between servers holds no whole file in memory: a simulated 200 MB photo
//! is copied from server B to server A, both simulators in this process, and this process's peak
//! resident memory grows by well under the file's size. Alone in its own test binary, so no other
//! test's memory counts.

mod common;

use immich_smart_albums::immich::{Client, ClientOptions, ServerUrl};
use immich_smart_albums::job::Account;
use immich_smart_albums::job::copy;
use immich_smart_albums::job::decide::Pick;
use immich_smart_albums::secret::ApiKey;
use immich_smart_albums::sim::{SimConfig, Simulator};
use immich_smart_albums::state::Store;

const SIZE: u64 = 200 * 1000 * 1000;

/// This process's peak resident set size so far, in bytes (`VmHWM`).
#[cfg(target_os = "linux")]
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[cfg(target_os = "linux")]
#[test]
fn a_200_mb_original_is_copied_without_holding_it() {
    let start = |seed, account: &str| {
        Simulator::start(SimConfig {
            seed,
            accounts: vec![account.to_string()],
            assets_per_account: 20,
            ..SimConfig::default()
        })
        .unwrap()
    };
    let (a, b) = (start(7, "alice"), start(8, "carol"));
    let photo = b.assets("carol").remove(0);
    b.set_original_size(&photo.id, SIZE);
    // The simulator's own view of the big file: its checksum stays the same.
    let big = b.assets("carol").remove(0);

    common::runtime().block_on(async {
        let account = |sim: &Simulator, name: &str| {
            let server = ServerUrl::parse(&sim.url()).unwrap();
            let key = ApiKey::new(sim.account(name).api_key).unwrap();
            let name = name.to_string();
            async move {
                let client = Client::connect(&server, key, &ClientOptions::default())
                    .await
                    .unwrap();
                let user = client.me().await.unwrap();
                Account { name, client, user }
            }
        };
        let (alice, carol) = (account(&a, "alice").await, account(&b, "carol").await);
        let store = Store::memory();
        let pick = Pick {
            id: big.id.parse().unwrap(),
            checksum: big.checksum.clone().into(),
        };
        let plan = copy::plan(&carol, &alice, &[&pick], &store).await.unwrap();
        assert_eq!(plan.bytes, SIZE, "the preview's size is the file's");

        let before = peak_rss();
        let made = copy::make(&plan, &carol, &alice, &store, "big").await;
        let growth = peak_rss().saturating_sub(before);
        assert_eq!(made.error, None);
        assert_eq!(made.copied, 1);
        println!(
            "peak RSS grew by {:.1} MB while copying {} MB",
            growth as f64 / 1e6,
            SIZE / 1_000_000
        );
        assert!(
            growth < SIZE / 4,
            "peak RSS grew by {growth} bytes while copying {SIZE}: a whole file was held"
        );
    });
    let copies: Vec<_> = a
        .assets("alice")
        .into_iter()
        .filter(|x| x.checksum == big.checksum)
        .collect();
    assert_eq!(
        copies.len(),
        1,
        "the copy arrived, with the source's checksum"
    );
}
