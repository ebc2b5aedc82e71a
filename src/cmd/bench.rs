//! `bench`: how much a realistic family job costs the server and the client. It starts the simulator
//! in this process, on its own threads and runtime, with a generated library (accounts x assets) and a
//! per-request latency; fills the job's albums with half of the job's result; then runs the job (a
//! sync) and measures it: wall time, requests by endpoint next to the minimum the API allows, bytes
//! received, the simulator's CPU time (read per thread from /proc, apart from the client's), client CPU
//! time, peak RSS, and how fast one core decodes assets and runs the local filters.
//!
//! The simulator runs in-process rather than as a child process so that the benchmark can set up its
//! albums and check request counts against the simulator's own state and request log; its CPU time
//! is kept apart by reading the CPU time of its threads, and its memory by noting the resident size
//! before the run (the generated library) apart from the growth during the run. Linux only for the CPU
//! and memory figures (they read /proc); elsewhere they are left out.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use std::io::{self, Write};

use crate::cli::{BenchArgs, GlobalArgs};
use crate::error::Status;
use crate::filter::LocalFilters;
use crate::immich::{Client, ClientOptions, MAX_PAGE_SIZE, SearchKind, ServerUrl, pages, traffic};
use crate::job::since::{Reading, RunKind};
use crate::job::{Account, JobReport, Mode, RunOptions, Slot, run_job, run_job_with};
use crate::job::{Condition, JobFile, JobSpec};
use crate::output;
use crate::secret::ApiKey;
use crate::sim::{ImmichLine, Role, SimConfig, Simulator};
use crate::state::Store;

const ACCOUNT_NAMES: [&str; 8] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// The benchmark's job: people, a date range, a smart include and a smart exclusion, a local rule on
/// the camera model, and a safe album with its own smart exclusion. Smart search has no cut-off, so the
/// exclusions' limits follow the library (1% and 0.5% of an account, at most 1000 and 500): about 3% of
/// the generated assets are screenshots and 2% nsfw, and a fixed limit would remove everything from a
/// small library.
fn job_yaml(assets_per_account: usize) -> String {
    let exclude = (assets_per_account / 100).clamp(1, 1000);
    let safe = (assets_per_account / 200).clamp(1, 500);
    format!(
        r#"
profile: bench
jobs:
  best:
    include:
      - people: [Mia]
      - metadata: {{takenAfter: "2020-01-01T00:00:00.000Z", takenBefore: "2023-12-31T23:59:59.999Z"}}
      - smart: {{query: "beach sunset lake", resultLimit: 5000}}
    exclude:
      - smart: {{query: "screenshot document", resultLimit: {exclude}}}
    local:
      include:
        - [{{path: "$.exifInfo.model", regex: "iPhone|Pixel"}}]
    album: Family best
    safe:
      album: Family best (safe)
      exclude:
        - smart: {{query: "nsfw swimsuit", resultLimit: {safe}}}
"#
    )
}

/// Requests of one endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointCount {
    pub endpoint: String,
    pub requests: usize,
    /// The fewest the API allows for this job, where the benchmark knows it.
    pub minimum: Option<usize>,
}

/// What the benchmark measured.
#[derive(Debug, Clone, Default)]
pub struct BenchReport {
    pub accounts: usize,
    pub assets_per_account: usize,
    pub latency: Duration,
    pub max_in_flight: usize,
    pub cores: usize,
    pub wall: Duration,
    pub endpoints: Vec<EndpointCount>,
    pub requests: usize,
    /// Search pages asked for twice (the same search and page) within the run.
    pub repeated_pages: usize,
    pub bytes_received: u64,
    /// Assets in the search answers (what the client decoded).
    pub assets_received: usize,
    pub sim_cpu: Option<Duration>,
    pub client_cpu: Option<Duration>,
    /// Assets decoded and run through the local filters per second on one core (a page of the run,
    /// decoded again and again on this thread).
    pub decode_rate: Option<f64>,
    pub rss_before: Option<u64>,
    pub rss_peak: Option<u64>,
    pub added: usize,
    pub failed: bool,
    /// The runs after it, each from the record the one before left (`job::since`).
    pub later: Vec<LaterRun>,
}

/// One run after the measured one: what kind it was, and what it cost.
#[derive(Debug, Clone, Default)]
pub struct LaterRun {
    pub label: String,
    /// `full` or `incremental`.
    pub kind: String,
    pub requests: usize,
    pub bytes_received: u64,
    pub wall: Duration,
    /// Requests by endpoint (ids as `{id}`).
    pub endpoints: BTreeMap<String, usize>,
    pub failed: bool,
}

impl BenchReport {
    /// Requests x latency / in-flight limit: the least time the latency allows.
    pub fn latency_floor(&self) -> Duration {
        self.latency
            .mul_f64(self.requests as f64 / self.max_in_flight.max(1) as f64)
    }

    /// The larger of the latency floor and the simulator's own CPU time.
    pub fn floor(&self) -> Duration {
        self.latency_floor().max(self.sim_cpu.unwrap_or_default())
    }
}

pub async fn bench(args: &BenchArgs, global: &GlobalArgs) -> anyhow::Result<Status> {
    let report = measure(args, global).await?;
    // Rendered here, printed by the one writer to stdout.
    let mut text = Vec::new();
    table(&mut text, &report)?;
    output::generated(&mut output::stdout(), &text)?;
    Ok(Status::Ok)
}

/// Sets up the simulator and runs the job once, measured.
pub async fn measure(args: &BenchArgs, global: &GlobalArgs) -> anyhow::Result<BenchReport> {
    anyhow::ensure!(
        (1..=ACCOUNT_NAMES.len()).contains(&args.accounts),
        "--accounts takes 1 to {}",
        ACCOUNT_NAMES.len()
    );
    let settings = crate::profile::merge_settings(global, &|name| std::env::var(name).ok(), None)?;
    let max_in_flight = settings.max_in_flight;
    let names: Vec<String> = ACCOUNT_NAMES[..args.accounts]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let sim = Simulator::start(SimConfig {
        seed: args.seed,
        accounts: names.clone(),
        assets_per_account: args.assets,
        latency: Duration::from_millis(args.latency_ms),
        port: 0,
        immich: ImmichLine::default(),
    })?;
    let file = JobFile::parse(Path::new("bench.yaml"), &job_yaml(args.assets))?;
    let spec = &file.jobs[0];
    let members: Vec<(&str, Role)> = names[1..]
        .iter()
        .map(|n| (n.as_str(), Role::Editor))
        .collect();
    let main_album = sim.create_album(&names[0], &spec.album, &members);
    let safe_name = &spec.safe.as_ref().expect("the job has a safe album").album;
    let safe_album = sim.create_album(&names[0], safe_name, &members);

    let store = Store::memory();
    let limiter = crate::job::account::limiter(max_in_flight);
    let slots = connect(&sim, &names, &limiter).await?;

    // The albums already hold half of the job's result: a preview lists it, half is put in directly.
    let preview = run_job(spec, &slots, &names[0], Mode::Preview, true).await?;
    anyhow::ensure!(!preview.failed(), "the set-up preview failed: {preview:?}");
    tracing::debug!("set-up preview: {preview:?}");
    let decode_rate = decode_rate(&slots, spec).await;
    // Adding clears the simulator's search cache: the run starts cold.
    for account in &preview.accounts {
        let half = |links: &[String]| -> Vec<String> {
            links
                .iter()
                .step_by(2)
                .filter_map(|l| l.rsplit('/').next().map(str::to_string))
                .collect()
        };
        sim.add_to_album(&main_album, &half(&account.album.links));
        if let Some(safe) = &account.safe {
            sim.add_to_album(&safe_album, &half(&safe.links));
        }
    }
    sim.clear_requests();
    // What each album holds before the run, as its contents listing will find it (the run adds more).
    let held: HashMap<String, usize> = [&main_album, &safe_album]
        .into_iter()
        .filter_map(|id| {
            let mut body = crate::album::contents_query(id);
            body.insert("size".into(), json!(MAX_PAGE_SIZE));
            let body = Value::Object(body);
            let total = sim.search_total(&names[0], "metadata", &body)?;
            Some((body.to_string(), total))
        })
        .collect();
    reset_peak_rss();

    let rss_before = rss("VmRSS:");
    let sim_cpu_before = sim_threads_cpu();
    let cpu_before = process_cpu();
    let (_, bytes_before) = traffic();
    let started = Instant::now();
    let report = run_job_with(
        spec,
        &slots,
        &names[0],
        Mode::Sync,
        RunOptions::default(),
        &store,
    )
    .await?;
    let wall = started.elapsed();
    let (_, bytes_after) = traffic();
    let cpu_after = process_cpu();
    let sim_cpu_after = sim_threads_cpu();
    let rss_peak = rss("VmHWM:");

    let sim_cpu = sim_cpu_before
        .zip(sim_cpu_after)
        .map(|(before, after)| after.saturating_sub(before));
    let process = cpu_before
        .zip(cpu_after)
        .map(|(before, after)| after.saturating_sub(before));
    let client_cpu = process
        .zip(sim_cpu)
        .map(|(all, sim)| all.saturating_sub(sim));

    let mut bench = BenchReport {
        accounts: args.accounts,
        assets_per_account: args.assets,
        latency: Duration::from_millis(args.latency_ms),
        max_in_flight,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        wall,
        bytes_received: bytes_after - bytes_before,
        sim_cpu,
        client_cpu,
        decode_rate,
        rss_before,
        rss_peak,
        added: report.added(),
        failed: report.failed(),
        ..BenchReport::default()
    };
    count_requests(&sim, spec, &report, &held, &mut bench);
    bench.later = later_runs(&sim, spec, &slots, &names, &store).await?;
    sim.shutdown();
    Ok(bench)
}

/// The runs a schedule makes after the measured one, each from the record the one before left: one
/// with nothing changed, one after 1% of every account's assets changed (half archived, half
/// favourited), and a full one (`sync --full`).
async fn later_runs(
    sim: &Simulator,
    spec: &JobSpec,
    slots: &[Slot],
    names: &[String],
    store: &Store,
) -> anyhow::Result<Vec<LaterRun>> {
    let run = |label: &'static str, full: bool| async move {
        sim.clear_requests();
        let options = RunOptions {
            reading: Reading {
                full,
                ..Reading::default()
            },
            ..RunOptions::default()
        };
        let (_, before) = traffic();
        let started = Instant::now();
        let report = run_job_with(spec, slots, &names[0], Mode::Sync, options, store).await?;
        let wall = started.elapsed();
        let (_, after) = traffic();
        let log = sim.requests();
        let mut endpoints = BTreeMap::new();
        for request in &log {
            *endpoints.entry(endpoint_of(request)).or_default() += 1;
        }
        anyhow::Ok(LaterRun {
            label: label.to_string(),
            kind: match report.run {
                RunKind::Full { .. } => "full".into(),
                RunKind::Incremental { .. } => "incremental".into(),
            },
            requests: log.len(),
            bytes_received: after - before,
            wall,
            endpoints,
            failed: report.failed(),
        })
    };
    let mut later = vec![run("nothing changed", false).await?];
    for name in names {
        for (i, asset) in sim.assets(name).iter().step_by(100).enumerate() {
            if i % 2 == 0 {
                sim.set_visibility(&asset.id, "archive");
            } else {
                sim.set_favorite(&asset.id, true);
            }
        }
    }
    later.push(run("after 1% of the assets changed", false).await?);
    later.push(run("sync --full, nothing changed since", true).await?);
    Ok(later)
}

/// A logged request's endpoint, ids as `{id}`.
fn endpoint_of(request: &crate::sim::LoggedRequest) -> String {
    let path = request
        .path
        .split('/')
        .map(|part| {
            if uuid::Uuid::parse_str(part).is_ok() {
                "{id}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    format!("{} {path}", request.method)
}

async fn connect(
    sim: &Simulator,
    names: &[String],
    limiter: &Arc<tokio::sync::Semaphore>,
) -> anyhow::Result<Vec<Slot>> {
    let server = ServerUrl::parse(&format!("{}/api", sim.url())).map_err(anyhow::Error::msg)?;
    let mut slots = Vec::new();
    for name in names {
        let key = ApiKey::new(sim.account(name).api_key).expect("the simulator's keys are valid");
        let client = Client::connect(&server, key, &ClientOptions::default())
            .await?
            .with_limiter(limiter.clone());
        let user = client.me().await?;
        slots.push(Slot {
            name: name.clone(),
            account: Ok(Account {
                name: name.clone(),
                client,
                user,
            }),
        });
    }
    Ok(slots)
}

/// Decodes one page of the job's date-range search (with exif, as the run asks for it) again and again
/// on this thread, through the same decoder the run uses, and returns assets per second of this
/// thread's CPU time.
async fn decode_rate(slots: &[Slot], spec: &JobSpec) -> Option<f64> {
    let Ok(account) = &slots[0].account else {
        return None;
    };
    let filter = spec.include.iter().find_map(|c| match c {
        Condition::Search(f) if f.kind == SearchKind::Metadata => Some(f.clone()),
        _ => None,
    })?;
    let mut body = filter.body.clone();
    body.insert("withExif".into(), Value::Bool(true));
    // One page of raw asset JSON, kept as text.
    let mut stream = std::pin::pin!(pages(
        &account.client,
        filter.kind,
        body,
        Some(1000),
        None,
        |raw| Ok(raw.get().to_string())
    ));
    let page: Vec<String> = futures::TryStreamExt::try_next(&mut stream).await.ok()??;
    let items = page.join(",");
    let body = format!(r#"{{"assets":{{"items":[{items}],"nextPage":null}}}}"#);
    let local: LocalFilters = spec.local.clone();
    let started = thread_cpu()?;
    let mut decoded = 0usize;
    while thread_cpu()?.saturating_sub(started) < Duration::from_millis(300) {
        decoded += crate::filter::decode_search_page(body.as_bytes(), Some(&local)).ok()?;
    }
    let spent = thread_cpu()?.saturating_sub(started);
    Some(decoded as f64 / spent.as_secs_f64())
}

/// Fills in the requests by endpoint from the simulator's log, with the minimum the API allows for
/// the searches (each search once, ceil(matches / page size) pages, at least one), the album contents
/// (as they were before the run) and the adds (ceil(new / 1000) per account and album).
fn count_requests(
    sim: &Simulator,
    spec: &JobSpec,
    report: &JobReport,
    held: &HashMap<String, usize>,
    bench: &mut BenchReport,
) {
    let log = sim.requests();
    bench.requests = log.len();
    let mut by_endpoint: BTreeMap<String, usize> = BTreeMap::new();
    // (account, kind, body without the page) -> pages asked for
    let mut searches: BTreeMap<(String, String, String), Vec<u64>> = BTreeMap::new();
    for request in &log {
        *by_endpoint.entry(endpoint_of(request)).or_default() += 1;
        if let (Some(kind), Some(Value::Object(body))) =
            (request.path.strip_prefix("/api/search/"), &request.body)
        {
            let mut body = body.clone();
            let page = body.remove("page").and_then(|p| p.as_u64()).unwrap_or(1);
            // Asking for exif or people does not make it another search.
            body.remove("withExif");
            body.remove("withPeople");
            let account = request.account.clone().unwrap_or_default();
            searches
                .entry((account, kind.to_string(), Value::Object(body).to_string()))
                .or_default()
                .push(page);
        }
    }

    // The result limit of each of the job's searches, by body.
    let mut limits: HashMap<String, usize> = HashMap::new();
    let safe = spec.safe.iter().flat_map(|safe| &safe.exclude);
    for condition in spec.include.iter().chain(&spec.exclude).chain(safe) {
        condition.each(&mut |c| {
            if let Condition::Search(filter) = c
                && let Some(limit) = filter.limit
            {
                limits.insert(Value::Object(filter.body.clone()).to_string(), limit);
            }
        });
    }

    let mut minimum: BTreeMap<String, usize> = BTreeMap::new();
    for ((account, kind, body), pages) in &searches {
        let mut asked = pages.clone();
        asked.sort_unstable();
        let distinct = {
            let mut d = asked.clone();
            d.dedup();
            d.len()
        };
        bench.repeated_pages += asked.len() - distinct;
        let body: Value = serde_json::from_str(body).expect("logged as JSON");
        let size = body.get("size").and_then(Value::as_u64).unwrap_or(250) as usize;
        let mut key = body.clone();
        if let Value::Object(map) = &mut key {
            map.remove("size");
            // The engine narrows include searches to the timeline; the job's filter does not say so.
            if map.get("visibility") == Some(&json!("timeline")) {
                map.remove("visibility");
            }
        }
        let limit = limits.get(&key.to_string()).copied();
        let total = match held.get(&body.to_string()) {
            Some(&before) => before,
            None => sim.search_total(account, kind, &body).unwrap_or(0),
        };
        let found = limit.map_or(total, |l| total.min(l));
        bench.assets_received += found;
        *minimum
            .entry(format!("POST /api/search/{kind}"))
            .or_default() += found.div_ceil(size).max(1);
    }
    let adds: usize = report
        .accounts
        .iter()
        .flat_map(|a| std::iter::once(&a.album).chain(&a.safe))
        .map(|row| row.to_add.div_ceil(crate::album::ADD_BATCH))
        .sum();
    minimum.insert("PUT /api/albums/{id}/assets".into(), adds);

    bench.endpoints = by_endpoint
        .into_iter()
        .map(|(endpoint, requests)| EndpointCount {
            minimum: minimum.remove(&endpoint),
            endpoint,
            requests,
        })
        .collect();
    for (endpoint, minimum) in minimum {
        if minimum > 0 {
            bench.endpoints.push(EndpointCount {
                endpoint,
                requests: 0,
                minimum: Some(minimum),
            });
        }
    }
}

// ----- measuring, from /proc (Linux) -----------------------------------------------------------

/// Resets the peak resident size (VmHWM) so that it covers only what comes next.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A size from /proc/self/status, in bytes.
fn rss(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// CPU time of the whole process (every thread, those ended too), from /proc/self/stat.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    ticks(&stat)
}

/// utime + stime of a /proc stat line, at the usual 100 ticks a second.
fn ticks(stat: &str) -> Option<Duration> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// CPU time of one thread, in nanoseconds from its schedstat, else from its stat.
fn task_cpu(task: &Path) -> Option<Duration> {
    if let Ok(text) = std::fs::read_to_string(task.join("schedstat"))
        && let Some(ns) = text.split_whitespace().next().and_then(|n| n.parse().ok())
    {
        return Some(Duration::from_nanos(ns));
    }
    ticks(&std::fs::read_to_string(task.join("stat")).ok()?)
}

/// CPU time of the simulator's threads (named `immich-sim…`).
fn sim_threads_cpu() -> Option<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.starts_with("immich-sim") {
            total += task_cpu(&task.path())?;
        }
    }
    Some(total)
}

/// CPU time of the calling thread.
fn thread_cpu() -> Option<Duration> {
    task_cpu(Path::new("/proc/thread-self"))
}

/// The benchmark's table: requests by endpoint next to the minimum, then time, bytes, CPU and memory.
fn table(out: &mut impl Write, report: &BenchReport) -> io::Result<()> {
    let ms = |d: std::time::Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let mb = |bytes: u64| format!("{:.1} MB", bytes as f64 / 1e6);
    let or_na = |value: Option<String>| value.unwrap_or_else(|| "n/a".to_string());
    writeln!(
        out,
        "Benchmark: {} account(s) x {} assets, latency {}, max in flight {}, {} core(s)",
        report.accounts,
        report.assets_per_account,
        ms(report.latency),
        report.max_in_flight,
        report.cores
    )?;
    writeln!(out)?;
    writeln!(out, "  {:<44} {:>10} {:>10}", "requests", "sent", "minimum")?;
    for endpoint in &report.endpoints {
        let minimum = endpoint.minimum.map_or("-".to_string(), |m| m.to_string());
        writeln!(
            out,
            "  {:<44} {:>10} {:>10}",
            endpoint.endpoint, endpoint.requests, minimum
        )?;
    }
    writeln!(out, "  {:<44} {:>10}", "total", report.requests)?;
    writeln!(
        out,
        "  {:<44} {:>10}",
        "search pages asked for twice", report.repeated_pages
    )?;
    let floor = report.floor();
    let rows: Vec<(&str, String)> = vec![
        ("wall time", ms(report.wall)),
        (
            "latency floor (requests x latency / in flight)",
            ms(report.latency_floor()),
        ),
        ("simulator CPU", or_na(report.sim_cpu.map(ms))),
        (
            "wall / floor",
            format!(
                "{:.2}",
                report.wall.as_secs_f64() / floor.as_secs_f64().max(1e-9)
            ),
        ),
        ("bytes received", mb(report.bytes_received)),
        ("assets received", report.assets_received.to_string()),
        ("client CPU", or_na(report.client_cpu.map(ms))),
        (
            "assets per client CPU second",
            or_na(report.client_cpu.map(|cpu| {
                format!(
                    "{:.0}",
                    report.assets_received as f64 / cpu.as_secs_f64().max(1e-9)
                )
            })),
        ),
        (
            "decode + local filters, assets/s on one core",
            or_na(report.decode_rate.map(|r| format!("{r:.0}"))),
        ),
        (
            "RSS before the run (simulator, library)",
            or_na(report.rss_before.map(mb)),
        ),
        ("peak RSS during the run", or_na(report.rss_peak.map(mb))),
        ("assets added", report.added.to_string()),
        ("job failed", report.failed.to_string()),
    ];
    writeln!(out)?;
    for (label, value) in rows {
        writeln!(out, "  {label:<46} {value:>19}")?;
    }
    writeln!(out)?;
    writeln!(out, "Later runs, each from the record the one before left:")?;
    writeln!(
        out,
        "  {:<38} {:>12} {:>9} {:>10} {:>10}",
        "", "read", "requests", "received", "wall time"
    )?;
    for run in &report.later {
        writeln!(
            out,
            "  {:<38} {:>12} {:>9} {:>10} {:>10}{}",
            run.label,
            run.kind,
            run.requests,
            kb(run.bytes_received),
            ms(run.wall),
            if run.failed { "  (failed)" } else { "" }
        )?;
        let endpoints: Vec<String> = run
            .endpoints
            .iter()
            .map(|(endpoint, n)| format!("{endpoint} {n}"))
            .collect();
        writeln!(out, "    by endpoint: {}", endpoints.join(", "))?;
    }
    Ok(())
}

/// Bytes as kilobytes (10^3), or megabytes from 10 MB.
fn kb(bytes: u64) -> String {
    if bytes >= 10_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} kB", bytes as f64 / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_give_cpu_time() {
        let line = "42 (immich-sim wo) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 4 0 100";
        assert_eq!(ticks(line), Some(Duration::from_millis(1750)));
    }

    #[test]
    fn the_floor_is_the_larger_of_latency_and_simulator_cpu() {
        let report = BenchReport {
            latency: Duration::from_millis(5),
            max_in_flight: 8,
            requests: 160,
            sim_cpu: Some(Duration::from_millis(50)),
            ..BenchReport::default()
        };
        assert_eq!(report.latency_floor(), Duration::from_millis(100));
        assert_eq!(report.floor(), Duration::from_millis(100));
    }
}
