//! The life simulation: seeded months of a family's life against the simulator, with every promise of
//! docs/guarantees.md checked after every step against a model of its own. Each step is drawn from
//! weighted menus:
//!
//! - people at work in Immich: putting photos in and taking them out by hand (their own, or the other
//!   member's copy of a file), archiving, hiding, trashing and restoring, emptying the trash, tagging,
//!   untagging and reassigning a face, renaming a person, uploading new photos, favouriting;
//! - the family's admin: turning prune or the safe album on and off, adding and dropping an exclusion,
//!   changing who is in the job or whom it shows, taking a member out of an album and sharing it
//!   again, moving the server to a new URL, rotating or revoking a key, deleting an album,
//!   `state forget`;
//! - the tool: a sync (with injected faults, with the answers of its adds and removals lost, or
//!   without), a preview, `sync --adopt`, the binary killed
//!   with SIGKILL at a random point, the binary and the engine syncing at once, and a scheduled run
//!   (`--every`) stopped with SIGTERM.
//!
//! The model never asks the tool what it decided: it keeps what each album should hold from the
//! simulator's own state and the history of people's edits (what the tool added is what appeared in
//! an album during a tool step, since nobody else acts then). It reads the record only where the
//! promise is about the record (promise 7, what `state forget` clears, what `--adopt` took).
//!
//! `LIFE_SEEDS` (how many seeds per line, default 50), `LIFE_STEPS` (steps per seed, default 40),
//! `LIFE_FROM` (the first seed, default 1) and `LIFE_SEED` (one seed alone) change the reach;
//! `LIFE_LINE=2.5` or `3.1` runs one line; `LIFE_DEBUG` prints, when an album does not converge, the
//! files that differ, the record and the report. Lives run side by side, one per core. A failure
//! names the seed, the line, the step and the promise, and the command that replays it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::common;
use immich_smart_albums::job::JobFile;
use immich_smart_albums::job::since::{Reading, RunKind};
use immich_smart_albums::job::{Mode, RunOptions, Slot, run_job_with};
use immich_smart_albums::sim::{
    FaultPlan, FaultRule, ImmichLine, Role, SimAsset, SimConfig, Simulator,
};
use immich_smart_albums::state::{AlbumKey, EntryState, Store};

/// A small deterministic generator (SplitMix64): the same seed, the same life.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

const MAIN: &str = "Kids";
const SAFE: &str = "Kids (safe)";

/// The job as the family's admin has it now.
#[derive(Debug, Clone)]
struct JobConfig {
    person: &'static str,
    accounts: Vec<&'static str>,
    prune: bool,
    include_archived: bool,
    /// The safe album, with its own prune setting; its exclusion is every favourite.
    safe: Option<bool>,
    /// The job excludes every photo of Leo (both albums).
    exclude_leo: bool,
}

impl JobConfig {
    fn yaml(&self) -> String {
        let mut yaml = format!(
            "profile: family\njobs:\n  kids:\n    accounts: [{}]\n    include: [{{people: [{}]}}]\n    album: {MAIN}\n    prune: {}\n    include_archived: {}\n    max_removals: 100000\n    max_removal_fraction: 1\n",
            self.accounts.join(", "),
            self.person,
            self.prune,
            self.include_archived
        );
        if self.exclude_leo {
            yaml.push_str("    exclude: [{people: [Leo]}]\n");
        }
        if let Some(prune) = self.safe {
            yaml.push_str(&format!(
                "    safe:\n      album: {SAFE}\n      prune: {prune}\n      exclude: [{{metadata: {{isFavorite: true}}}}]\n"
            ));
        }
        yaml
    }
}

/// What the model knows of one album: what people put in and took out, and what the tool added.
#[derive(Debug, Default, Clone)]
struct AlbumModel {
    /// Put in by a person (by hand), not taken out since.
    person_put: BTreeSet<String>,
    /// Added by the tool (appeared during a sync), still in the album.
    tool_added: BTreeSet<String>,
    /// Taken out by a person after the tool added them: never added again, by id nor by file, until
    /// `state forget` clears the removals the record holds (a sync notes one when it lists the album
    /// whole; one no sync has seen yet stays out).
    taken_out: BTreeSet<String>,
    taken_out_files: BTreeSet<String>,
    /// Adds the last sync could not confirm (a lost answer it could not check either): the record
    /// holds them as intents, and a person's removal before the next sync cannot be told from an add
    /// that never landed. The one case where a photo a person took out may come back, once
    /// (docs/guarantees.md).
    open_adds: BTreeSet<String>,
}

impl AlbumModel {
    fn out(&self, id: &str, file: &str) -> bool {
        self.taken_out.contains(id) || self.taken_out_files.contains(file)
    }
}

/// One life: the simulator, the tool's record, the job and the model.
struct Life {
    seed: u64,
    line: ImmichLine,
    sim: Simulator,
    dir: tempfile::TempDir,
    store: Store,
    job: JobConfig,
    albums: BTreeMap<&'static str, AlbumModel>,
    /// Every asset id the libraries ever held: they only grow.
    library: BTreeSet<String>,
    /// Whether a person took bob out of an album (and who put him back).
    bob_out: BTreeSet<&'static str>,
    keys: Vec<String>,
    log: Vec<String>,
    /// The accounts, connected (their clients retry twice, quickly) at the server's current URL with
    /// their current keys, and the runtime they run on.
    runtime: tokio::runtime::Runtime,
    connected: Vec<Slot>,
    /// The admin moved the server: the profile names it `localhost` instead of `127.0.0.1`.
    moved: bool,
    /// Bob's key as the profile has it, and whether it was revoked without a new one yet.
    bob_key: String,
    bob_key_revoked: bool,
    /// Bob renamed Mia in his library (to "Mia B."): the job's name no longer resolves there.
    bob_renamed: bool,
    /// Photos whose faces changed since the last good full sync of their account (id → owner): a
    /// face change moves no update time, so an incremental sync need not see it (docs/jobs.md).
    face_changed: BTreeMap<String, String>,
    /// The next engine sync reads everything (`sync --full`).
    full_next: bool,
    /// The last engine run was a full one.
    ran_full: bool,
}

/// Which faults the simulator injects during an engine step.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Faults {
    No,
    /// A fifth of all requests fail, half of those after the server acted.
    Random,
    /// Adds and removals fail, half of them after they landed (their answers lost), and the look at
    /// the album that would tell which often fails too: intents stay open for the next sync to
    /// settle, some of them landed and some not.
    LostAnswers,
}

impl Faults {
    fn plan(self, seed: u64) -> Option<FaultPlan> {
        let rules = match self {
            Faults::No => return None,
            Faults::Random => vec![FaultRule {
                after_handler: 0.5,
                ..FaultRule::uniform("*", 0.2)
            }],
            Faults::LostAnswers => {
                let lost = |endpoint| FaultRule {
                    status_504: 0.6,
                    after_handler: 0.5,
                    ..FaultRule::new(endpoint)
                };
                let failing = |endpoint, rate| FaultRule {
                    status_503: rate,
                    ..FaultRule::new(endpoint)
                };
                vec![
                    lost("PUT /api/albums/*/assets"),
                    lost("DELETE /api/albums/*/assets"),
                    failing("GET /api/albums/*", 0.4),
                    failing("POST /api/search/metadata", 0.3),
                ]
            }
        };
        Some(FaultPlan {
            seed,
            rules,
            always_fail: Vec::new(),
        })
    }
}

/// How the tool runs in a step.
#[derive(Debug, Clone, Copy, PartialEq)]
enum How {
    /// The engine in this process: a sync or a preview, perhaps with faults, perhaps with `--adopt`.
    Engine {
        mode: Mode,
        faults: Faults,
        adopt: bool,
    },
    /// The binary, killed with SIGKILL after this many milliseconds (or ending first).
    Crash { after_ms: u64 },
    /// The binary (from two copies of the job file) and the engine at the same time, over the same
    /// albums and record.
    Overlap { engine: bool },
    /// The binary on its own schedule (`--every`), stopped with SIGTERM after its first run.
    Scheduled,
}

/// What a tool step came to.
struct Ran {
    /// A sync that succeeded: every account, every album, nothing failed.
    good: bool,
    /// What it said (the report, or the process's output), for a failure message.
    said: String,
}

fn checksum_of(sim: &Simulator) -> HashMap<String, SimAsset> {
    ["alice", "bob"]
        .iter()
        .flat_map(|a| sim.assets(a))
        .map(|a| (a.id.clone(), a))
        .collect()
}

impl Life {
    fn new(seed: u64, line: ImmichLine) -> Life {
        let sim = Simulator::start(SimConfig {
            seed,
            accounts: vec!["alice".into(), "bob".into()],
            assets_per_account: 40,
            immich: line,
            ..SimConfig::default()
        })
        .expect("the simulator starts");
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state").join("state.sqlite3")).unwrap();
        let library = checksum_of(&sim).into_keys().collect();
        let keys = sim.accounts().into_iter().map(|a| a.api_key).collect();
        let runtime = common::runtime();
        let bob_key = sim.account("bob").api_key;
        let mut albums = BTreeMap::new();
        albums.insert(MAIN, AlbumModel::default());
        albums.insert(SAFE, AlbumModel::default());
        let mut life = Life {
            seed,
            line,
            sim,
            dir,
            store,
            job: JobConfig {
                person: "Mia",
                accounts: vec!["alice", "bob"],
                prune: true,
                include_archived: false,
                safe: Some(true),
                exclude_leo: false,
            },
            albums,
            library,
            bob_out: BTreeSet::new(),
            keys,
            log: Vec::new(),
            runtime,
            connected: Vec::new(),
            moved: false,
            bob_key,
            bob_key_revoked: false,
            bob_renamed: false,
            face_changed: BTreeMap::new(),
            full_next: false,
            ran_full: false,
        };
        life.connect();
        life
    }

    /// The server's URL as the profile names it now.
    fn url(&self) -> String {
        if self.moved {
            self.sim.url().replace("127.0.0.1", "localhost")
        } else {
            self.sim.url()
        }
    }

    /// Connects both accounts as the profile has them now (URL, keys).
    fn connect(&mut self) {
        let keys = HashMap::from([("bob", self.bob_key.clone())]);
        self.connected = self.runtime.block_on(common::slots_at(
            &self.sim,
            &self.url(),
            &["alice", "bob"],
            &keys,
            &common::quick_retries(2),
        ));
    }

    /// The name Mia has in an account's library now.
    fn mia_in(&self, account: &str) -> &'static str {
        if account == "bob" && self.bob_renamed {
            "Mia B."
        } else {
            "Mia"
        }
    }

    fn album_id(&self, name: &str) -> Option<String> {
        self.sim.album_by_name(name).pop()
    }

    fn contents(&self, name: &str) -> BTreeSet<String> {
        self.album_id(name)
            .map(|id| self.sim.album_assets(&id).into_iter().collect())
            .unwrap_or_default()
    }

    /// Fails the test with where and how to replay it.
    #[track_caller]
    fn broken(&self, promise: &str, detail: String) -> ! {
        let line = match self.line {
            ImmichLine::V2_5 => "2.5",
            ImmichLine::V3_1 => "3.1",
        };
        panic!(
            "promise broken: {promise}\n  seed {}, Immich {line}, after step {}: {}\n  {detail}\n  the steps: {}\n  replay: LIFE_SEED={} LIFE_LINE={line} cargo test --test integration life::",
            self.seed,
            self.log.len(),
            self.log.last().map_or("(none)", String::as_str),
            self.log.join("; "),
            self.seed
        );
    }

    // ----- the tool ---------------------------------------------------------------------------

    /// The tool at work on the job as it is now. What appeared in an album during it is the tool's,
    /// what left it the tool took out (nobody else acts then).
    fn tool(&mut self, how: How) -> Ran {
        let yaml = self.job.yaml();
        let before: BTreeMap<&str, BTreeSet<String>> = [MAIN, SAFE]
            .iter()
            .map(|a| (*a, self.contents(a)))
            .collect();
        let rows_before: BTreeMap<&str, BTreeMap<String, EntryState>> = [MAIN, SAFE]
            .iter()
            .map(|a| {
                let rows = self.record(a).into_iter();
                (*a, rows.map(|e| (e.asset.to_string(), e.state)).collect())
            })
            .collect();
        self.ran_full = false;
        let ran = match how {
            How::Engine {
                mode,
                faults,
                adopt,
            } => {
                if let Some(plan) = faults.plan(self.seed ^ self.log.len() as u64) {
                    self.sim.set_faults(plan);
                }
                let ran = self.engine(&yaml, mode, adopt);
                self.sim.clear_faults();
                ran
            }
            How::Crash { after_ms } => {
                let mut child = self.process(&yaml, &[]).spawn().expect("the binary starts");
                std::thread::sleep(std::time::Duration::from_millis(after_ms));
                // SIGKILL: no handler runs, no cleanup; the record keeps what it had written.
                let _ = child.kill();
                let output = child.wait_with_output().expect("the binary ends");
                Ran {
                    good: output.status.success(),
                    said: self.said_by(&output),
                }
            }
            How::Overlap { engine } => {
                // Two copies of the job file (two locks: a cron line and a container, say), each
                // run by the binary, and the engine beside them.
                let children: Vec<std::process::Child> = ["jobs.yaml", "jobs-copy.yaml"]
                    .iter()
                    .map(|file| self.process_of(file, &yaml, &[]).spawn())
                    .collect::<Result<_, _>>()
                    .expect("the binary starts");
                let (mut good, mut said) = if engine {
                    let engine = self.engine(&yaml, Mode::Sync, false);
                    (engine.good, engine.said)
                } else {
                    (true, String::new())
                };
                for child in children {
                    let output = child.wait_with_output().expect("the binary ends");
                    good &= output.status.success();
                    said.push('\n');
                    said.push_str(&self.said_by(&output));
                }
                Ran { good, said }
            }
            How::Scheduled => self.scheduled(&yaml),
        };
        // Only the engine alone is known to have read everything (the binary beside it may not).
        self.ran_full &= matches!(how, How::Engine { .. });
        let preview = matches!(
            how,
            How::Engine {
                mode: Mode::Preview,
                ..
            }
        );
        // A member a person took out of an album is not shared with it again.
        for album in &self.bob_out {
            if let Some(id) = self.album_id(album)
                && self.sim.album_members(&id).iter().any(|(m, _)| m == "bob")
            {
                self.broken(
                    "3: never adds again what a person took out",
                    format!("bob was shared {album} again after a person took him out"),
                );
            }
        }
        let files = checksum_of(&self.sim);
        for name in [MAIN, SAFE] {
            let after = self.contents(name);
            let added: Vec<String> = after.difference(&before[name]).cloned().collect();
            let removed: Vec<String> = before[name].difference(&after).cloned().collect();
            if preview && (!added.is_empty() || !removed.is_empty()) {
                self.broken("a preview changes nothing", format!("album {name}"));
            }
            // Promise 3 and 5: nothing a person took out comes back, and no second copy of a file.
            // On 2.x the album's answer leaves trashed and hidden photos out, and the tool asks an
            // account for its own only where the record names them as its own (added, or on their
            // way in or out): a person's trashed or hidden copy is out of its sight
            // (docs/guarantees.md, promise 5), also one the tool had once removed and a person put
            // back (soak seed 7016 on 2.5).
            let unseen = |id: &String| {
                self.line == ImmichLine::V2_5
                    && (files[id].trashed || files[id].visibility == "hidden")
                    && !matches!(
                        rows_before[name].get(id),
                        Some(EntryState::Added | EntryState::Adding | EntryState::Removing)
                    )
            };
            let held_files: BTreeSet<&String> = (before[name].iter())
                .filter(|id| !unseen(id))
                .map(|id| &files[id].checksum)
                .collect();
            let model = &self.albums[name];
            let mut new_files = BTreeSet::new();
            for id in &added {
                let file = &files[id].checksum;
                if model.out(id, file) {
                    if std::env::var("LIFE_DEBUG").is_ok() {
                        eprintln!(
                            "DEBUG before {:?}; by id {}, by file {}; said {}",
                            rows_before[name].get(id),
                            model.taken_out.contains(id),
                            model.taken_out_files.contains(file),
                            ran.said
                        );
                    }
                    self.broken(
                        "3: never adds again what a person took out",
                        format!("album {name}: {id}"),
                    );
                }
                if held_files.contains(file) || !new_files.insert(file) {
                    self.broken(
                        "5: at most one copy of a file it added",
                        format!("album {name}: {id} ({file})"),
                    );
                }
            }
            // Promise 2: what a person put there stays.
            for id in &removed {
                if model.person_put.contains(id) {
                    self.broken(
                        "2: never removes what a person put there",
                        format!("album {name}: {id}"),
                    );
                }
            }
            // Promise 6: with prune off an album loses nothing, an album the job no longer names is
            // left alone, and prune takes out only what the job no longer selects (or a removal
            // an earlier run began).
            let named = name == MAIN || self.job.safe.is_some();
            let prune = if name == MAIN {
                self.job.prune
            } else {
                self.job.safe == Some(true)
            };
            if !named && !added.is_empty() {
                self.broken(
                    "6: an album the job no longer names is left alone",
                    format!("album {name}: added {added:?}"),
                );
            }
            if !removed.is_empty() && (!named || !prune) {
                self.broken(
                    "6: with prune off, what the tool added stays",
                    format!("album {name}: removed {removed:?}"),
                );
            }
            let wanted = self.wanted(&files, name);
            let face_changed = self.face_changed_files(&files);
            for id in &removed {
                let resumed = rows_before[name].get(id) == Some(&EntryState::Removing);
                // A face changed since the last full run, on this photo or another copy of its
                // file: an incremental run need not know the job selects it now.
                let unseen = face_changed.contains(&files[id].checksum);
                if wanted.contains(&files[id].checksum) && !resumed && !unseen {
                    self.broken(
                        "6: prune takes out only what the job no longer selects",
                        format!("album {name}: removed {id}, which the job selects"),
                    );
                }
            }
            let model = self.albums.get_mut(name).unwrap();
            model.tool_added.extend(added);
            for id in &removed {
                model.tool_added.remove(id);
            }
        }
        for name in [MAIN, SAFE] {
            let open: BTreeSet<String> = self
                .record(name)
                .into_iter()
                .filter(|e| e.state == EntryState::Adding)
                .map(|e| e.asset.to_string())
                .collect();
            self.albums.get_mut(name).unwrap().open_adds = open;
        }
        // The other side of the exception (docs/guarantees.md): a removal of a photo the album's
        // answer could not show (2.x: an account that left the job), whose answer was lost and
        // whose resend answered `not_found` (in the same sync, or in the next, which sends an open
        // removal again), is taken for the tool's own. If a person had taken the photo out before,
        // the record now says removed, not taken out, and the photo may come back.
        for name in [MAIN, SAFE] {
            let now: BTreeMap<String, EntryState> = self
                .record(name)
                .into_iter()
                .map(|e| (e.asset.to_string(), e.state))
                .collect();
            let model = self.albums.get_mut(name).unwrap();
            let lost: Vec<String> = model
                .taken_out
                .iter()
                .filter(|id| {
                    matches!(
                        rows_before[name].get(*id),
                        Some(EntryState::Added | EntryState::Removing)
                    ) && now.get(*id) == Some(&EntryState::Removed)
                        && !before[name].contains(*id)
                })
                .cloned()
                .collect();
            for id in lost {
                model.taken_out.remove(&id);
                if let Some(file) = files.get(&id) {
                    model.taken_out_files.remove(&file.checksum);
                }
            }
        }
        if let How::Engine { adopt: true, .. } = how {
            self.adopted(&files, &rows_before, ran.good);
        }
        if self.keys.iter().any(|k| ran.said.contains(k)) {
            self.broken(
                "8: a key never appears",
                format!("in what the tool said ({how:?})"),
            );
        }
        ran
    }

    /// The engine in this process, on the accounts the job names.
    fn engine(&mut self, yaml: &str, mode: Mode, adopt: bool) -> Ran {
        let file = JobFile::parse(std::path::Path::new("jobs.yaml"), yaml).expect("a valid job");
        let spec = file.jobs[0].clone();
        let slots: Vec<Slot> = self
            .connected
            .iter()
            .filter(|s| self.job.accounts.contains(&s.name.as_str()))
            .map(|s| Slot {
                name: s.name.clone(),
                account: s.account.clone(),
            })
            .collect();
        // No margin: the watermark alone bounds what an incremental run reads, so what it keeps
        // from earlier runs is what decides.
        let options = RunOptions {
            adopt,
            reading: Reading {
                full: std::mem::take(&mut self.full_next),
                margin: std::time::Duration::ZERO,
                ..Reading::default()
            },
            ..RunOptions::default()
        };
        let result = self.runtime.block_on(run_job_with(
            &spec,
            &slots,
            "alice",
            mode,
            options,
            &self.store,
        ));
        self.ran_full = matches!(&result, Ok(r) if matches!(r.run, RunKind::Full { .. }));
        match result {
            Ok(report) => Ran {
                good: mode == Mode::Sync && !report.failed(),
                said: serde_json::to_string(&report).unwrap(),
            },
            // The album owner failed (a fault on her first requests): nothing changed for the job.
            Err(error) => Ran {
                good: false,
                said: format!("{error:#}"),
            },
        }
    }

    /// The binary as cron runs it: the profile and the job file as the admin has them now, the same
    /// record.
    fn process(&self, yaml: &str, extra: &[&str]) -> std::process::Command {
        self.process_of("jobs.yaml", yaml, extra)
    }

    /// [`Life::process`] with the job in a file of this name (another file, another sync lock).
    fn process_of(&self, file: &str, yaml: &str, extra: &[&str]) -> std::process::Command {
        let dir = self.dir.path();
        std::fs::create_dir_all(dir.join("profiles")).unwrap();
        let url = self.url();
        std::fs::write(
            dir.join("profiles/family.yaml"),
            format!(
                "recognition_margin: 0s\naccounts:\n  alice:\n    server: {url}\n    api_key_env: LIFE_KEY_ALICE\n  bob:\n    server: {url}\n    api_key_env: LIFE_KEY_BOB\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join(file), yaml).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_immich-smart-albums"));
        cmd.args(["sync", file, "--quiet"])
            .args(extra)
            .current_dir(dir)
            .env_remove("IMMICH_API_KEY")
            .env_remove("IMMICH_SERVER_URL")
            .env("IMMICH_SMART_ALBUMS_CONFIG_DIR", dir)
            .env("IMMICH_SMART_ALBUMS_STATE_DIR", dir.join("state"))
            .env("LIFE_KEY_ALICE", self.sim.account("alice").api_key)
            .env("LIFE_KEY_BOB", &self.bob_key)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    }

    fn said_by(&self, output: &std::process::Output) -> String {
        format!(
            "exit {:?}\n{}{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    /// `sync --every 1h`: it runs at once, says how the run ended, and waits; SIGTERM then ends it.
    fn scheduled(&self, yaml: &str) -> Ran {
        use std::io::BufRead;
        let mut child = self
            .process(yaml, &["--every", "1h"])
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().unwrap();
        let mut reader = std::io::BufReader::new(stderr);
        let mut lines = Vec::new();
        let mut ended = None;
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            let said = std::mem::take(&mut line);
            if let Some(rest) = said.split("run ended with exit status ").nth(1) {
                ended = rest
                    .split(';')
                    .next()
                    .and_then(|n| n.trim().parse::<i32>().ok());
                lines.push(said);
                break;
            }
            lines.push(said);
        }
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        // Read on to the end: a closed pipe would make its last words fail.
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
        lines.push(rest);
        let output = child.wait_with_output().expect("the binary ends");
        if output.status.code() != Some(0) && output.status.code() != Some(143) {
            self.broken(
                "a schedule ends cleanly on SIGTERM",
                format!("{:?}: {}", output.status, lines.concat()),
            );
        }
        Ran {
            good: ended == Some(0),
            said: format!("{}\n{}", lines.concat(), self.said_by(&output)),
        }
    }

    /// The record's rows for an album (every job's).
    fn record(&self, name: &str) -> Vec<immich_smart_albums::state::Entry> {
        match self.album_id(name) {
            Some(id) => self
                .store
                .load(&AlbumKey {
                    server: String::new(),
                    album_id: id,
                })
                .unwrap(),
            None => Vec::new(),
        }
    }

    /// After `sync --adopt` (one that failed elsewhere too): what a person put there that the record
    /// now gives the job is the tool's from now on; each must be something the album's job selects.
    fn adopted(
        &mut self,
        files: &HashMap<String, SimAsset>,
        rows_before: &BTreeMap<&str, BTreeMap<String, EntryState>>,
        good: bool,
    ) {
        for name in [MAIN, SAFE] {
            if name == SAFE && self.job.safe.is_none() {
                continue;
            }
            let wanted = self.wanted(files, name);
            let claimed: BTreeSet<String> = self
                .record(name)
                .into_iter()
                .filter(|e| e.state == EntryState::Added && e.job == "kids")
                .map(|e| e.asset.to_string())
                .collect();
            let model = &self.albums[name];
            // And, in a sync that succeeded, every one the job selects that no row claimed.
            for id in model.person_put.iter().filter(|_| good) {
                let unclaimed = !rows_before[name].contains_key(id);
                let shown = files
                    .get(id)
                    .is_some_and(|a| !a.trashed && a.visibility != "hidden");
                if unclaimed
                    && shown
                    && wanted.contains(&files[id].checksum)
                    && !claimed.contains(id)
                {
                    self.broken(
                        "6: --adopt takes what the job selects and no record claims",
                        format!(
                            "album {name}: {id} was left a person's ({:?})",
                            files.get(id)
                        ),
                    );
                }
            }
            let taken: Vec<String> = model.person_put.intersection(&claimed).cloned().collect();
            for id in &taken {
                if !wanted.contains(&files[id].checksum) {
                    self.broken(
                        "2: never removes what a person put there",
                        format!("album {name}: --adopt took {id}, which the job does not select"),
                    );
                }
            }
            let model = self.albums.get_mut(name).unwrap();
            for id in taken {
                model.person_put.remove(&id);
                model.tool_added.insert(id);
            }
        }
    }

    /// Promises 4 and 7 after a sync that succeeded: the safe album holds nothing flagged but what a
    /// person put there, and the record says the tool added what the albums hold.
    fn after_a_good_sync(&mut self) {
        if self.ran_full {
            let accounts = self.job.accounts.clone();
            self.face_changed
                .retain(|_, owner| !accounts.contains(&owner.as_str()));
        }
        let files = checksum_of(&self.sim);
        if let Some(safe_prune) = self.job.safe {
            let flagged = self.flagged(&files, SAFE);
            let model = &self.albums[SAFE];
            for id in self.contents(SAFE) {
                // With a safe album, exclusions by faces are asked whole in every run: no face
                // change waits for a full run here.
                let flagged_here = flagged.contains(&files[&id].checksum);
                let held_by_person = model.person_put.contains(&id);
                let tool_kept = !safe_prune && model.tool_added.contains(&id);
                if flagged_here && !held_by_person && !tool_kept {
                    self.broken(
                        "4: the safe album holds nothing its exclusions flag",
                        format!("{id} is flagged"),
                    );
                }
            }
        }
        for name in [MAIN, SAFE] {
            if name == SAFE && self.job.safe.is_none() {
                continue;
            }
            let Some(id) = self.album_id(name) else {
                continue;
            };
            let key = AlbumKey {
                server: String::new(),
                album_id: id,
            };
            let contents = self.contents(name);
            // On 2.x an account that is no longer a member, or no longer in the job, cannot be asked
            // for its trashed and hidden assets in the album: what it added and the album's answer
            // lacks stays as recorded until it can be asked again (neither taken for removed nor
            // added again), an open add or removal too (with prune, the sync sends the removal
            // again and learns from its answer; the convergence check holds it to that).
            let blind = self.line == ImmichLine::V2_5
                && (self.bob_out.contains(name) || !self.job.accounts.contains(&"bob"));
            for entry in self.store.load(&key).unwrap() {
                let asset = entry.asset.to_string();
                let unseen = blind && entry.account == "bob";
                match entry.state {
                    EntryState::Added if !contents.contains(&asset) && !unseen => self.broken(
                        "7: the record agrees with the albums",
                        format!("album {name}: {asset} recorded as added, not in the album"),
                    ),
                    EntryState::Adding | EntryState::Removing if !unseen => self.broken(
                        "7: the record agrees with the albums",
                        format!(
                            "album {name}: {asset} left {:?} by a sync that succeeded ({}'s, {}, \
                             {}in the album)",
                            entry.state,
                            entry.account,
                            self.sim
                                .assets(&entry.account)
                                .iter()
                                .find(|a| a.id == asset)
                                .map_or("deleted".into(), |a| format!(
                                    "{}{}",
                                    a.visibility,
                                    if a.trashed { ", trashed" } else { "" }
                                )),
                            if contents.contains(&asset) {
                                ""
                            } else {
                                "not "
                            }
                        ),
                    ),
                    _ => {}
                }
            }
        }
    }

    /// The checksums an album's exclusions flag: the job's (every photo of Leo, when it has that
    /// exclusion) and, for the safe album, every favourite; of the job's accounts, what an exclusion's
    /// search sees (not trashed, not locked).
    fn flagged(&self, files: &HashMap<String, SimAsset>, album: &str) -> BTreeSet<String> {
        files
            .values()
            .filter(|a| self.job.accounts.contains(&a.owner.as_str()))
            .filter(|a| !a.trashed && a.visibility != "locked")
            .filter(|a| {
                (self.job.exclude_leo && a.people.iter().any(|p| p == "Leo"))
                    || (album == SAFE && a.is_favorite)
            })
            .map(|a| a.checksum.clone())
            .collect()
    }

    /// The files (checksums) of photos whose faces changed since the last full run of their account.
    fn face_changed_files(&self, files: &HashMap<String, SimAsset>) -> BTreeSet<String> {
        self.face_changed
            .keys()
            .filter_map(|id| files.get(id))
            .map(|a| a.checksum.clone())
            .collect()
    }

    /// The checksums the job selects for an album: the photos of its person in its accounts that
    /// its searches see (the timeline, and the archive with `include_archived`), minus the flagged.
    fn wanted(&self, files: &HashMap<String, SimAsset>, album: &str) -> BTreeSet<String> {
        let flagged = self.flagged(files, album);
        files
            .values()
            .filter(|a| self.job.accounts.contains(&a.owner.as_str()))
            .filter(|a| {
                !a.trashed
                    && (a.visibility == "timeline"
                        || (self.job.include_archived && a.visibility == "archive"))
                    && a.people.iter().any(|p| p == self.job.person)
            })
            .map(|a| a.checksum.clone())
            .filter(|f| !flagged.contains(f))
            .collect()
    }

    /// The admin makes bob a new key and puts it in the profile; the old one stops working.
    fn new_bob_key(&mut self) {
        let key = self.sim.add_api_key("bob", "rotated", &["all"]);
        if !self.bob_key_revoked {
            self.sim.revoke_api_key(&self.bob_key);
        }
        self.keys.push(key.clone());
        self.bob_key = key;
        self.bob_key_revoked = false;
        self.connect();
    }

    /// Promise 6: faults stopped and nobody at work, one sync brings the albums to what the job selects,
    /// minus people's removals, plus people's additions (and, without prune, what the tool added).
    fn converges(&mut self) {
        // What the last reports asked of the family, they do: share an album with bob again, give
        // bob's account a key that works, name Mia as the job does.
        for album in self.bob_out.clone() {
            if let Some(id) = self.album_id(album) {
                self.sim.add_album_member(&id, "bob", Role::Editor);
            }
            self.bob_out.remove(album);
        }
        if self.bob_key_revoked {
            self.new_bob_key();
        }
        if self.bob_renamed {
            self.sim.rename_person("bob", "Mia B.", "Mia");
            self.bob_renamed = false;
        }
        // First as the schedule runs it (incremental, unless a full run is due): everything but
        // the faces changed since the last full run; then a full run: everything.
        for full in [false, true] {
            self.full_next = full;
            self.log.push(
                if full {
                    "quiet full sync"
                } else {
                    "quiet sync"
                }
                .into(),
            );
            let ran = self.tool(How::Engine {
                mode: Mode::Sync,
                faults: Faults::No,
                adopt: false,
            });
            if !ran.good {
                self.broken(
                    "6: converges once faults stop",
                    format!("the sync failed: {}", ran.said),
                );
            }
            self.after_a_good_sync();
            self.check_converged(&ran.said);
        }
    }

    /// Promise 6 after a good sync: the albums hold what the job selects, minus people's removals,
    /// plus people's additions; after an incremental run, photos whose faces changed since the last
    /// full run are left out of the comparison.
    fn check_converged(&self, report: &str) {
        let files = checksum_of(&self.sim);
        let unseen = self.face_changed_files(&files);
        for (name, prune) in [
            (MAIN, self.job.prune),
            (SAFE, self.job.safe.unwrap_or(false)),
        ] {
            if name == SAFE && self.job.safe.is_none() {
                continue;
            }
            let wanted = self.wanted(&files, name);
            let model = &self.albums[name];
            let file = |id: &String| files[id].checksum.clone();
            let mut expected: BTreeSet<String> = wanted
                .iter()
                .filter(|f| !model.taken_out_files.contains(*f))
                .cloned()
                .collect();
            expected.extend(model.person_put.iter().map(file));
            // What the tool holds and the job still selects stays, also a file whose other copy a
            // person took out (the tool's by `--adopt`, say): it is not added again, it is there.
            expected.extend((model.tool_added.iter().map(file)).filter(|f| wanted.contains(f)));
            if !prune {
                expected.extend(model.tool_added.iter().map(file));
            }
            let held: BTreeSet<String> = self.contents(name).iter().map(file).collect();
            let (held, expected): (BTreeSet<String>, BTreeSet<String>) = (
                held.difference(&unseen).cloned().collect(),
                expected.difference(&unseen).cloned().collect(),
            );
            if held != expected {
                if std::env::var("LIFE_DEBUG").is_ok() {
                    for f in expected.symmetric_difference(&held) {
                        for a in files.values().filter(|a| &a.checksum == f) {
                            eprintln!(
                                "DEBUG {f}: {} owner {} vis {} trashed {} people {:?} fav {}",
                                a.id, a.owner, a.visibility, a.trashed, a.people, a.is_favorite
                            );
                        }
                    }
                    eprintln!(
                        "DEBUG albums named {name}: {:?}",
                        self.sim.album_by_name(name)
                    );
                    for note in self.store.albums_of("kids").unwrap() {
                        let rows = self.store.load(&note.key).unwrap();
                        eprintln!("DEBUG noted {note:?}: {} rows", rows.len());
                    }
                    for run in self.store.last_runs(5).unwrap() {
                        eprintln!("DEBUG run {run:?}");
                    }
                    if let Some(id) = self.album_id(name) {
                        for e in self
                            .store
                            .load(&AlbumKey {
                                server: String::new(),
                                album_id: id,
                            })
                            .unwrap()
                        {
                            eprintln!(
                                "DEBUG record {} {} {} {:?}",
                                e.asset, e.job, e.account, e.state
                            );
                        }
                    }
                    eprintln!("DEBUG report {report}");
                }
                let missing: Vec<&String> = expected.difference(&held).collect();
                let extra: Vec<&String> = held.difference(&expected).collect();
                self.broken(
                    "6: converges once faults stop",
                    format!("album {name}: missing files {missing:?}, extra files {extra:?}"),
                );
            }
        }
    }

    // ----- people and the admin ---------------------------------------------------------------

    fn photos(&self) -> Vec<SimAsset> {
        ["alice", "bob"]
            .iter()
            .flat_map(|a| self.sim.assets(a))
            .collect()
    }

    /// One step of a person or of the admin, drawn from the weighted menu.
    fn someone(&mut self, dice: &mut Dice) {
        let photos = self.photos();
        let album = if dice.chance(0.7) || self.job.safe.is_none() {
            MAIN
        } else {
            SAFE
        };
        let album_id = self.album_id(album);
        let choice = dice.below(112);
        let step = match choice {
            // A person puts a photo in by hand (an album member's own).
            0..=14 => {
                let Some(id) = &album_id else { return };
                // Half the time one the job shows that the album lacks (a new photo of the child,
                // put in before any sync): what `--adopt` is for.
                let held = self.contents(album);
                let lacking: Vec<SimAsset> = photos
                    .iter()
                    .filter(|p| p.people.iter().any(|n| n == self.job.person))
                    .filter(|p| !held.contains(&p.id))
                    .cloned()
                    .collect();
                let pool = if dice.chance(0.5) && !lacking.is_empty() {
                    &lacking
                } else {
                    &photos
                };
                let Some(photo) = dice.pick(pool) else {
                    return;
                };
                // A locked photo cannot be put in an album (Immich takes it out of every album).
                if photo.visibility == "locked" {
                    return;
                }
                let member = |owner: &str| {
                    owner == "alice" || self.sim.album_members(id).iter().any(|(m, _)| m == owner)
                };
                if !member(&photo.owner) {
                    return;
                }
                if self.contents(album).contains(&photo.id) {
                    return;
                }
                self.sim.add_to_album(id, std::slice::from_ref(&photo.id));
                // A photo the tool added, taken out and put back before any sync saw it gone, is
                // the album as it was: the record still has it as the tool's (added, or an add
                // still open), and nothing can tell the round trip. It stays the tool's. So does
                // one whose removal by the tool is still open (its answer lost, the look after it
                // failed too): the next sync cannot tell a person's put-back from a removal that
                // never landed (docs/guarantees.md, the one exception).
                let round_trip = self.record(album).iter().any(|e| {
                    e.asset.to_string() == photo.id
                        && matches!(
                            e.state,
                            EntryState::Added | EntryState::Adding | EntryState::Removing
                        )
                });
                let model = self.albums.get_mut(album).unwrap();
                model.taken_out.remove(&photo.id);
                if round_trip {
                    model.taken_out_files.remove(&photo.checksum);
                    model.tool_added.insert(photo.id.clone());
                } else {
                    model.person_put.insert(photo.id.clone());
                }
                format!(
                    "a person put {} into {album}{}",
                    &photo.id[..8],
                    if round_trip {
                        " (back: no sync saw it out)"
                    } else {
                        ""
                    }
                )
            }
            // A person takes a photo out by hand.
            15..=29 => {
                let Some(id) = &album_id else { return };
                let held: Vec<String> = self.contents(album).into_iter().collect();
                let Some(photo) = dice.pick(&held).cloned() else {
                    return;
                };
                self.sim.remove_from_album(id, std::slice::from_ref(&photo));
                let file = photos
                    .iter()
                    .find(|p| p.id == photo)
                    .unwrap()
                    .checksum
                    .clone();
                let model = self.albums.get_mut(album).unwrap();
                let open = model.open_adds.contains(&photo);
                if model.tool_added.remove(&photo) && !open {
                    model.taken_out.insert(photo.clone());
                    model.taken_out_files.insert(file);
                }
                model.person_put.remove(&photo);
                format!(
                    "a person took {} out of {album}{}",
                    &photo[..8],
                    if open {
                        " (an add the tool could not confirm)"
                    } else {
                        ""
                    }
                )
            }
            // Archived or hidden, and back on the timeline.
            30..=44 => {
                let Some(photo) = dice.pick(&photos) else {
                    return;
                };
                let away = if choice < 40 { "archive" } else { "hidden" };
                let to = if photo.visibility == away {
                    "timeline"
                } else {
                    away
                };
                self.sim.set_visibility(&photo.id, to);
                format!("{} set to {to}", &photo.id[..8])
            }
            45..=51 => {
                let Some(photo) = dice.pick(&photos) else {
                    return;
                };
                self.sim.set_trashed(&photo.id, !photo.trashed);
                format!(
                    "{} {}",
                    &photo.id[..8],
                    if photo.trashed { "restored" } else { "trashed" }
                )
            }
            // Faces: untagged, tagged by hand, reassigned to the other child.
            52..=56 => {
                let tagged: Vec<&SimAsset> = photos
                    .iter()
                    .filter(|p| p.people.iter().any(|n| n == "Mia"))
                    .collect();
                let Some(photo) = dice.pick(&tagged) else {
                    return;
                };
                self.sim.untag(&photo.id, "Mia");
                self.face_changed
                    .insert(photo.id.clone(), photo.owner.clone());
                format!("Mia untagged from {}", &photo.id[..8])
            }
            57..=60 => {
                let Some(photo) = dice.pick(&photos) else {
                    return;
                };
                let person = if dice.chance(0.5) {
                    self.mia_in(&photo.owner)
                } else {
                    "Leo"
                };
                self.sim.tag_face(&photo.id, person);
                self.face_changed
                    .insert(photo.id.clone(), photo.owner.clone());
                format!("{person} tagged on {}", &photo.id[..8])
            }
            61..=63 => {
                let tagged: Vec<&SimAsset> = photos
                    .iter()
                    .filter(|p| p.people.iter().any(|n| n == "Mia"))
                    .collect();
                let Some(photo) = dice.pick(&tagged) else {
                    return;
                };
                self.sim.untag(&photo.id, "Mia");
                self.sim.tag_face(&photo.id, "Leo");
                self.face_changed
                    .insert(photo.id.clone(), photo.owner.clone());
                format!("the face on {} reassigned from Mia to Leo", &photo.id[..8])
            }
            64..=70 => {
                let Some(photo) = dice.pick(&photos) else {
                    return;
                };
                self.sim.set_favorite(&photo.id, !photo.is_favorite);
                format!("{} favourite: {}", &photo.id[..8], !photo.is_favorite)
            }
            // New photos, and the trash emptied.
            71..=73 => {
                let owner = if dice.chance(0.5) { "alice" } else { "bob" };
                let mut people = vec![self.mia_in(owner)];
                if dice.chance(0.3) {
                    people.push("Leo");
                }
                let id = self.sim.upload_photo(owner, &people);
                self.library.insert(id.clone());
                format!("{owner} uploaded {} showing {people:?}", &id[..8])
            }
            74..=75 => {
                let trashed: Vec<&SimAsset> = photos.iter().filter(|p| p.trashed).collect();
                let Some(photo) = dice.pick(&trashed) else {
                    return;
                };
                let id = photo.id.clone();
                self.sim.delete_for_good(&id);
                self.library.remove(&id);
                for model in self.albums.values_mut() {
                    model.person_put.remove(&id);
                    // The tool sees it leave as a person's removal: its file is not added again
                    // from another account's copy (docs/guarantees.md).
                    if model.tool_added.remove(&id) {
                        model.taken_out.insert(id.clone());
                        model.taken_out_files.insert(photo.checksum.clone());
                    }
                    model.open_adds.remove(&id);
                }
                format!(
                    "{}'s trash emptied: {} deleted for good",
                    photo.owner,
                    &id[..8]
                )
            }
            76..=77 => {
                let (from, to) = if self.bob_renamed {
                    ("Mia B.", "Mia")
                } else {
                    ("Mia", "Mia B.")
                };
                self.sim.rename_person("bob", from, to);
                self.bob_renamed = !self.bob_renamed;
                format!("bob renamed {from} to {to} in his library")
            }
            // The family's admin.
            78..=81 => {
                self.job.prune = !self.job.prune;
                format!("admin: prune {}", self.job.prune)
            }
            82..=84 => {
                self.job.safe = match self.job.safe {
                    Some(true) => Some(false),
                    Some(false) => None,
                    None => Some(true),
                };
                format!("admin: safe album {:?}", self.job.safe)
            }
            85..=87 => {
                self.job.accounts = if self.job.accounts.len() == 2 {
                    vec!["alice"]
                } else {
                    vec!["alice", "bob"]
                };
                format!("admin: accounts {:?}", self.job.accounts)
            }
            88..=89 => {
                self.job.include_archived = !self.job.include_archived;
                format!("admin: include_archived {}", self.job.include_archived)
            }
            90..=91 => {
                self.job.person = if self.job.person == "Mia" {
                    "Leo"
                } else {
                    "Mia"
                };
                format!("admin: people [{}]", self.job.person)
            }
            92..=93 => {
                self.job.exclude_leo = !self.job.exclude_leo;
                format!("admin: exclude Leo {}", self.job.exclude_leo)
            }
            94..=96 => {
                let Some(id) = &album_id else { return };
                if self.bob_out.contains(album) {
                    self.sim.add_album_member(id, "bob", Role::Editor);
                    self.bob_out.remove(album);
                    format!("a person shared {album} with bob again")
                } else if self.sim.album_members(id).iter().any(|(m, _)| m == "bob") {
                    self.sim.remove_album_member(id, "bob");
                    self.bob_out.insert(album);
                    format!("a person took bob out of {album}")
                } else {
                    return;
                }
            }
            97 => {
                self.moved = !self.moved;
                self.connect();
                format!("admin: the server moved to {}", self.url())
            }
            98 => {
                self.new_bob_key();
                "admin: bob's key rotated (a new one in the profile, the old one revoked)".into()
            }
            99 => {
                if self.bob_key_revoked {
                    return;
                }
                self.sim.revoke_api_key(&self.bob_key);
                self.bob_key_revoked = true;
                "bob revoked his key (the profile still has it)".into()
            }
            100 => {
                let Some(id) = &album_id else { return };
                self.sim.delete_album(id);
                self.albums.insert(album, AlbumModel::default());
                self.bob_out.remove(album);
                format!("a person deleted the album {album}")
            }
            _ => {
                // `state forget`: the people want what they took out back. It clears the removals
                // the record holds; the model checks that each is one a person made (promise 3 would
                // have failed at a re-add otherwise) and frees those, by id and by file.
                for name in [MAIN, SAFE] {
                    let Some(id) = self.album_id(name) else {
                        continue;
                    };
                    let key = AlbumKey {
                        server: String::new(),
                        album_id: id,
                    };
                    // Each with its file as the record has it (the photo may be deleted since).
                    let noted: Vec<(String, String)> = (self.store.load(&key).unwrap().into_iter())
                        .filter(|e| e.state == EntryState::Tombstone)
                        .map(|e| (e.asset.to_string(), e.checksum.to_string()))
                        .collect();
                    self.store.forget_tombstones(&key).unwrap();
                    let model = self.albums.get_mut(name).unwrap();
                    for (asset, file) in noted {
                        model.taken_out.remove(&asset);
                        model.taken_out_files.remove(&file);
                    }
                }
                "admin: state forget".to_string()
            }
        };
        self.log.push(step);
        self.person_put_stays();
    }

    /// Promise 2 between tool steps, and promise 1: libraries only grow.
    fn person_put_stays(&self) {
        let library: BTreeSet<String> = checksum_of(&self.sim).into_keys().collect();
        if !library.is_superset(&self.library) {
            self.broken("1: never deletes a photo from a library", String::new());
        }
        for name in [MAIN, SAFE] {
            let contents = self.contents(name);
            for id in &self.albums[name].person_put {
                if !contents.contains(id) {
                    self.broken(
                        "2: never removes what a person put there",
                        format!("album {name}: {id}"),
                    );
                }
            }
        }
    }

    /// The record's file holds no key.
    fn record_holds_no_key(&self) {
        let bytes = std::fs::read(self.dir.path().join("state.sqlite3")).unwrap_or_default();
        for key in &self.keys {
            if bytes.windows(key.len()).any(|w| w == key.as_bytes()) {
                self.broken("8: a key never appears", "in the record".into());
            }
        }
    }
}

/// A crash lands this long after the binary starts, at most: across its start, its searches and its
/// album changes (a debug build's sync of this small family takes about this long).
const CRASH_WITHIN_MS: usize = 90;

/// Plays one seed's life.
fn live(seed: u64, line: ImmichLine, steps: usize) {
    let mut dice = Dice(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ line as u64);
    // Which engine syncs read everything (`--full`), drawn apart: the rest of a seed's life stays the
    // one it was before incremental runs came.
    let mut fulls = Dice(seed.wrapping_mul(0x9e37_79b9) ^ 0xf011);
    let mut life = Life::new(seed, line);
    // Day one, often: two schedules (a cron line and a container, say) start their first sync in
    // the same minute, when neither album exists yet.
    if dice.chance(0.25) {
        life.log
            .push("day one: two syncs at once (the binary twice)".into());
        if life.tool(How::Overlap { engine: false }).good {
            life.after_a_good_sync();
        }
    }
    for step in 0..steps {
        if dice.chance(0.4) {
            let how = match dice.below(100) {
                0..=9 => How::Engine {
                    mode: Mode::Preview,
                    faults: if dice.chance(0.3) {
                        Faults::Random
                    } else {
                        Faults::No
                    },
                    adopt: false,
                },
                10..=14 => How::Engine {
                    mode: Mode::Sync,
                    faults: Faults::No,
                    adopt: true,
                },
                15..=19 => How::Crash {
                    after_ms: dice.below(CRASH_WITHIN_MS) as u64,
                },
                20..=22 => How::Overlap { engine: true },
                23..=24 => How::Scheduled,
                25..=34 => How::Engine {
                    mode: Mode::Sync,
                    faults: Faults::LostAnswers,
                    adopt: false,
                },
                _ => How::Engine {
                    mode: Mode::Sync,
                    faults: if dice.chance(0.3) {
                        Faults::Random
                    } else {
                        Faults::No
                    },
                    adopt: false,
                },
            };
            life.log.push(match how {
                How::Engine {
                    mode: Mode::Preview,
                    faults,
                    ..
                } => format!(
                    "preview{}",
                    if faults == Faults::No {
                        ""
                    } else {
                        " with faults"
                    }
                ),
                How::Engine { adopt: true, .. } => "sync --adopt".into(),
                How::Engine {
                    faults: Faults::Random,
                    ..
                } => "sync with faults".into(),
                How::Engine {
                    faults: Faults::LostAnswers,
                    ..
                } => "sync whose adds and removals fail, some after they landed".into(),
                How::Engine { .. } => "sync".into(),
                How::Crash { after_ms } => format!("sync killed (SIGKILL) after {after_ms} ms"),
                How::Overlap { engine: true } => {
                    "three syncs at once (the binary twice, the engine)".into()
                }
                How::Overlap { engine: false } => "two syncs at once (the binary twice)".into(),
                How::Scheduled => "sync --every 1h, stopped after its first run".into(),
            });
            life.full_next = fulls.chance(0.25);
            if life.full_next
                && let (How::Engine { .. }, Some(said)) = (how, life.log.last_mut())
            {
                said.push_str(" (--full)");
            }
            if life.tool(how).good {
                life.after_a_good_sync();
            }
            life.person_put_stays();
        } else {
            life.someone(&mut dice);
        }
        if step % 10 == 9 {
            life.converges();
        }
    }
    life.converges();
    life.record_holds_no_key();
}

fn lines() -> Vec<ImmichLine> {
    match std::env::var("LIFE_LINE").ok().as_deref() {
        Some("2.5") => vec![ImmichLine::V2_5],
        Some("3.1") => vec![ImmichLine::V3_1],
        _ => vec![ImmichLine::V3_1, ImmichLine::V2_5],
    }
}

fn number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn a_familys_months_keep_every_promise_on_both_lines() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let steps = number("LIFE_STEPS", 40);
    let seeds: Vec<u64> = match std::env::var("LIFE_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(seed) => vec![seed],
        None => {
            let from = number("LIFE_FROM", 1) as u64;
            (from..from + number("LIFE_SEEDS", 50) as u64).collect()
        }
    };
    let lives: Vec<(ImmichLine, u64)> = lines()
        .into_iter()
        .flat_map(|line| seeds.iter().map(move |&seed| (line, seed)))
        .collect();
    // Lives are independent (each its own simulator, record and runtime): one worker per core, each
    // taking the next life until all are lived or one breaks a promise.
    let next = AtomicUsize::new(0);
    let broken = AtomicBool::new(false);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !broken.load(Ordering::Relaxed) {
                    let Some(&(line, seed)) = lives.get(next.fetch_add(1, Ordering::Relaxed))
                    else {
                        break;
                    };
                    let lived = std::panic::catch_unwind(|| live(seed, line, steps));
                    if let Err(panic) = lived {
                        broken.store(true, Ordering::Relaxed);
                        std::panic::resume_unwind(panic);
                    }
                }
            });
        }
    });
}
