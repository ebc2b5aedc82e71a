//! `demo` and `sim`: the tool against the built-in Immich simulator, with no server and no network.
//! `demo` runs the example filters of `filters/` through the Python-compatible command line: a preview,
//! an add, and the same add again to show that nothing is left to do. `sim` serves the simulator until
//! Ctrl-C and prints each account's key, for trying any command by hand.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{DemoArgs, DropInArgs, GlobalArgs, SimArgs};
use crate::dropin::DropIn;
use crate::error::EXIT_OK;
use crate::report;
use crate::sim::{SimConfig, Simulator};

/// The example files the demo uses, built in so that the demo runs from any directory.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "all-photos.json",
        include_str!("../filters/all-photos.json"),
    ),
    ("beach.json", include_str!("../filters/beach.json")),
    ("nsfw.json", include_str!("../filters/nsfw.json")),
    (
        "iphone15pro.json",
        include_str!("../filters/iphone15pro.json"),
    ),
];

/// Where the example filters are: `./filters` when run from the repository, else a private copy.
fn examples_dir() -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    let local = Path::new("filters");
    if EXAMPLES.iter().all(|(name, _)| local.join(name).is_file()) {
        return Ok((local.to_path_buf(), None));
    }
    let dir = std::env::temp_dir().join(format!("immich-smart-albums-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for (name, text) in EXAMPLES {
        std::fs::write(dir.join(name), text)?;
    }
    Ok((dir.clone(), Some(dir)))
}

pub async fn run(args: &DemoArgs, global: &GlobalArgs) -> anyhow::Result<i32> {
    let sim = Simulator::start(SimConfig {
        seed: args.seed,
        accounts: vec!["alice".into(), "bob".into()],
        assets_per_account: args.assets,
        ..SimConfig::default()
    })?;
    let alice = sim.account("alice");
    let album_name = "Beach, iPhone 15 Pro";
    sim.create_album("alice", album_name, &[]);
    let (dir, cleanup) = examples_dir()?;
    let file = |name: &str| dir.join(name);

    let mut out = report::stdout();
    report::line(
        &mut out,
        &format!(
            "A simulated Immich server runs on {} with {} assets in each of the accounts alice and \
             bob (seed {}).",
            sim.url(),
            args.assets,
            args.seed
        ),
    )?;
    let mut dropin_args = DropInArgs {
        key: Some(alice.api_key.clone()),
        server: Some(sim.url()),
        include_metadata_file: vec![file("all-photos.json")],
        include_smart_file: vec![file("beach.json")],
        exclude_smart_file: vec![file("nsfw.json")],
        include_local_filter_file: vec![file("iphone15pro.json")],
        ..DropInArgs::default()
    };
    let command = format!(
        "immich-smart-albums --include-metadata-file {} --include-smart-file {} \
         --exclude-smart-file {} --include-local-filter-file {}",
        file("all-photos.json").display(),
        file("beach.json").display(),
        file("nsfw.json").display(),
        file("iphone15pro.json").display()
    );

    report::heading(
        &mut out,
        &format!(
            "1. Preview: beach photos taken with an iPhone 15 Pro, without NSFW ones\n$ {command}"
        ),
    )?;
    let code = DropIn::from_args(&dropin_args, global)?
        .run(&mut out)
        .await?;

    dropin_args.album = Some(album_name.to_string());
    let command = format!("{command} --album \"{album_name}\"");
    report::heading(&mut out, &format!("2. Add them to the album\n$ {command}"))?;
    let code = code.max(
        DropIn::from_args(&dropin_args, global)?
            .run(&mut out)
            .await?,
    );

    report::heading(
        &mut out,
        &format!("3. Run it again: nothing is left to add\n$ {command}"),
    )?;
    let code = code.max(
        DropIn::from_args(&dropin_args, global)?
            .run(&mut out)
            .await?,
    );

    if let Some(dir) = cleanup {
        let _ = std::fs::remove_dir_all(dir);
    }
    sim.shutdown();
    Ok(code)
}

pub async fn serve(args: &SimArgs) -> anyhow::Result<i32> {
    let sim = Simulator::start(SimConfig {
        seed: args.seed,
        accounts: args.accounts.clone(),
        assets_per_account: args.assets,
        latency: Duration::from_millis(args.latency_ms),
        port: args.port,
    })?;
    let mut out = report::stdout();
    report::line(
        &mut out,
        &format!(
            "Immich simulator on {} ({} assets per account, seed {}). These keys are the \
             simulator's own:",
            sim.url(),
            args.assets,
            args.seed
        ),
    )?;
    for account in sim.accounts() {
        report::line(
            &mut out,
            &format!(
                "  {:<10} {:<24} key {}",
                account.name, account.email, account.api_key
            ),
        )?;
    }
    let first = sim.accounts().into_iter().next();
    if let Some(first) = first {
        report::line(
            &mut out,
            &format!(
                "Try:\n  IMMICH_SERVER_URL={} IMMICH_API_KEY={} immich-smart-albums \
                 --include-smart-file filters/beach.json\nCtrl-C stops it.",
                sim.url(),
                first.api_key
            ),
        )?;
    }
    drop(out);
    tokio::signal::ctrl_c().await?;
    sim.shutdown();
    Ok(EXIT_OK)
}
