//! `demo` and `sim`: the tool against the built-in Immich simulator, with no server and no network.
//! `demo` runs the example filters of `filters/` through the Python-compatible command line: a preview,
//! an add, and the same add again to show that nothing is left to do. `sim` serves the simulator until
//! Ctrl-C and prints each account's key, for trying any command by hand.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{DemoArgs, DropInArgs, GlobalArgs, JobFormat, PreviewArgs, SimArgs, SyncArgs};
use crate::cmd::dropin::DropIn;
use crate::error::Status;
use crate::files::{Access, write_whole};
use crate::output;
use crate::sim::{SimConfig, Simulator};

/// The example files the demo uses, built in so that the demo runs from any directory.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "filters/all-photos.json",
        include_str!("../../filters/all-photos.json"),
    ),
    (
        "filters/beach.json",
        include_str!("../../filters/beach.json"),
    ),
    ("filters/nsfw.json", include_str!("../../filters/nsfw.json")),
    (
        "filters/iphone15pro.json",
        include_str!("../../filters/iphone15pro.json"),
    ),
    (
        "filters/screenshots.json",
        include_str!("../../filters/screenshots.json"),
    ),
    (
        "filters/family-kids.yaml",
        include_str!("../../filters/family-kids.yaml"),
    ),
];

/// A private copy of the examples, with `profiles/family.yaml` pointing at the simulator and its keys
/// in files only this user can read. Removed when dropped.
struct DemoDir {
    root: PathBuf,
}

impl DemoDir {
    fn new(sim: &Simulator) -> anyhow::Result<DemoDir> {
        let root =
            std::env::temp_dir().join(format!("immich-smart-albums-demo-{}", std::process::id()));
        std::fs::create_dir_all(root.join("filters"))?;
        std::fs::create_dir_all(root.join("profiles"))?;
        let dir = DemoDir { root };
        for (name, text) in EXAMPLES {
            std::fs::write(dir.path(name), text)?;
        }
        let mut profile =
            String::from("# Written by `immich-smart-albums demo` for its simulator.\naccounts:\n");
        for account in sim.accounts() {
            let key_file = dir.path(&format!("profiles/{}.key", account.name));
            write_whole(&key_file, account.api_key.as_bytes(), Access::Private)?;
            profile.push_str(&format!(
                "  {}:\n    server: {}\n    api_key_file: {}\n",
                account.name,
                sim.url(),
                key_file.display()
            ));
        }
        std::fs::write(dir.path("profiles/family.yaml"), profile)?;
        Ok(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

pub async fn demo(args: &DemoArgs, global: &GlobalArgs) -> anyhow::Result<Status> {
    let sim = Simulator::start(SimConfig {
        seed: args.seed,
        accounts: vec!["alice".into(), "bob".into()],
        assets_per_account: args.assets,
        ..SimConfig::default()
    })?;
    let alice = sim.account("alice");
    let album_name = "Beach, iPhone 15 Pro";
    sim.create_album("alice", album_name, &[]);
    let dir = DemoDir::new(&sim)?;
    let file = |name: &str| dir.path(&format!("filters/{name}"));

    let mut out = output::stdout();
    output::line(
        &mut out,
        &format!(
            "A simulated Immich server runs on {} with {} assets in each of the accounts alice and \
             bob (seed {}). Example files are copied to {}.",
            sim.url(),
            args.assets,
            args.seed,
            dir.root.display()
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
    let command = "immich-smart-albums --include-metadata-file filters/all-photos.json \
         --include-smart-file filters/beach.json --exclude-smart-file filters/nsfw.json \
         --include-local-filter-file filters/iphone15pro.json";

    output::heading(
        &mut out,
        &format!(
            "1. The Python script's flags, one account: a preview of beach photos taken with an \
             iPhone 15 Pro, without NSFW ones\n$ {command}"
        ),
    )?;
    let mut code = DropIn::from_args(&dropin_args, global)?
        .preview_or_add(&mut out)
        .await?;

    dropin_args.album = Some(album_name.to_string());
    let command = format!("{command} --album \"{album_name}\"");
    output::heading(&mut out, &format!("2. Add them to the album\n$ {command}"))?;
    code = code.max(
        DropIn::from_args(&dropin_args, global)?
            .preview_or_add(&mut out)
            .await?,
    );

    output::heading(
        &mut out,
        &format!("3. Run it again: nothing is left to add\n$ {command}"),
    )?;
    code = code.max(
        DropIn::from_args(&dropin_args, global)?
            .preview_or_add(&mut out)
            .await?,
    );

    let job_file = file("family-kids.yaml").display().to_string();
    output::heading(
        &mut out,
        "4. A job over both accounts (filters/family-kids.yaml, profiles/family.yaml): every photo of \
         Mia or Leo in one shared album, one copy of each file, and a safe album without NSFW ones\n\
         $ immich-smart-albums preview filters/family-kids.yaml",
    )?;
    drop(out);
    let preview = PreviewArgs {
        jobfile: job_file.clone(),
        job: None,
        format: JobFormat::Text,
        list: false,
        output: None,
        thumbnails: crate::output::html::DEFAULT_PER_SECTION,
    };
    // The demo's record of what it added lives with its files, not in the user's state directory.
    let global = &GlobalArgs {
        state_dir: Some(dir.path("state")),
        ..global.clone()
    };
    code = code.max(super::preview::preview(&preview, global).await?);
    let sync = SyncArgs {
        jobfiles: vec![job_file],
        job: None,
        quiet: false,
        format: JobFormat::Text,
        confirm_removals: false,
        full: false,
        adopt: false,
        every: None,
        schedule: None,
    };
    output::heading(
        &mut output::stdout(),
        "5. Sync it: alice creates the albums and shares them with bob; each adds its own photos\n\
         $ immich-smart-albums sync filters/family-kids.yaml",
    )?;
    code = code.max(super::sync::sync(&sync, global).await?);
    output::heading(
        &mut output::stdout(),
        "6. Sync it again, as cron would: nothing is left to add\n\
         $ immich-smart-albums sync filters/family-kids.yaml --quiet",
    )?;
    code = code.max(
        super::sync::sync(
            &SyncArgs {
                quiet: true,
                ..sync
            },
            global,
        )
        .await?,
    );

    drop(dir);
    sim.shutdown();
    Ok(code)
}

pub async fn serve(args: &SimArgs) -> anyhow::Result<Status> {
    let sim = Simulator::start(SimConfig {
        seed: args.seed,
        accounts: args.accounts.clone(),
        assets_per_account: args.assets,
        latency: Duration::from_millis(args.latency_ms),
        port: args.port,
        immich: args.immich_version,
    })?;
    let mut out = output::stdout();
    output::line(
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
        output::line(
            &mut out,
            &format!(
                "  {:<10} {:<24} key {}",
                account.name, account.email, account.api_key
            ),
        )?;
    }
    let first = sim.accounts().into_iter().next();
    if let Some(first) = first {
        output::line(
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
    Ok(Status::Ok)
}
