//! The lock of a job file's `sync`, in the state directory beside the record, so that overlapping runs
//! do not race. The lock file names its holder and where it runs, so that a run that finds it held
//! can tell a sync at work (skip, exit 0) from a stuck or vanished one (exit 1).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::input_error;
use crate::state;

/// A lock held for as long as a job file syncs; released when dropped or when the process ends.
pub struct Lock {
    pub _file: File,
}

/// The lock file of a job file, in `dir` (the state directory, beside the record it protects, so
/// that every process sharing the record shares the lock: two containers that mount the same
/// `/state`, a cron job and a systemd unit with a private `/tmp`): named by a stable hash of the job
/// file's canonical path.
pub fn lock_path_in(dir: &Path, job_path: &Path) -> PathBuf {
    let canonical = job_path
        .canonicalize()
        .unwrap_or_else(|_| job_path.to_path_buf());
    let hash = state::stable_hash(canonical.as_os_str().as_encoded_bytes());
    dir.join(format!("sync-{hash:016x}.lock"))
}

/// Who holds a lock, as its holder wrote it into the lock file: its pid, when it took the lock, and
/// where its pid means something (host, boot and pid namespace, where the system tells them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// Unix seconds.
    pub started: i64,
    /// Where the pid lives; `None` where it cannot be told.
    pub place: Option<String>,
}

impl Holder {
    fn parse(text: &str) -> Option<Holder> {
        let line = |name: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(name).map(str::trim))
        };
        let number = |name: &str| line(name)?.parse::<i64>().ok();
        Some(Holder {
            pid: u32::try_from(number("pid ")?).ok()?,
            started: number("started ")?,
            place: line("place ").map(str::to_string),
        })
    }

    fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        write!(out, "pid {}\nstarted {}\n", self.pid, self.started)?;
        if let Some(place) = &self.place {
            writeln!(out, "place {place}")?;
        }
        Ok(())
    }
}

/// Where this process's pid means something: the host, its boot and the pid namespace (Linux); two
/// processes whose places are equal can judge each other by pid. `None` where it cannot be told.
pub fn this_place() -> Option<String> {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
    };
    let host = read("/proc/sys/kernel/hostname")?;
    let boot = read("/proc/sys/kernel/random/boot_id")?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{host} {boot} {}", namespace.display()))
}

/// Whether the holder's process runs: `None` where that cannot be told (no `/proc`, or the holder
/// is on another host or in another pid namespace, where its pid means another process).
pub fn holder_alive(holder: &Holder) -> Option<bool> {
    if holder.place.is_none() || holder.place != this_place() {
        return None;
    }
    let proc = Path::new("/proc");
    proc.join("self")
        .exists()
        .then(|| proc.join(holder.pid.to_string()).exists())
}

/// `7 h 5 min`, `12 min`, `40 s`.
pub fn span(secs: u64) -> String {
    match (secs / 3600, secs / 60 % 60) {
        (0, 0) => format!("{secs} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Takes the job file's lock (in the state directory `dir`) and writes this process's pid, start
/// time and place into it. `None` when another sync holds it and is, as far as can be told, a sync
/// still at work: skip this run. A holder that is gone, or that has held the lock for longer than
/// `stale_after`, is an error (exit 1), so that a stuck sync does not make every later run skip
/// quietly forever. A holder on another host or in another pid namespace (another container) cannot
/// be judged by its pid: only its age tells.
pub async fn lock(
    dir: &Path,
    job_path: &Path,
    stale_after: std::time::Duration,
) -> anyhow::Result<Option<Lock>> {
    let path = lock_path_in(dir, job_path);
    let mut file = File::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| {
            input_error(format!(
                "the lock file {}: cannot open it: {e}; set {} to a writable directory",
                path.display(),
                state::STATE_DIR_ENV
            ))
        })?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            Holder {
                pid: std::process::id(),
                started: crate::clock::now(),
                place: this_place(),
            }
            .write(&mut file)?;
            Ok(Some(Lock { _file: file }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let read = || {
                std::fs::read_to_string(&path)
                    .ok()
                    .as_deref()
                    .and_then(Holder::parse)
            };
            let suspect = |holder: &Holder| {
                holder_alive(holder) == Some(false)
                    || crate::clock::now() - holder.started > stale_after.as_secs() as i64
            };
            let mut holder = read();
            if holder.as_ref().is_some_and(suspect) {
                // A sync that has just taken the lock writes its own pid a moment later; until then
                // the file names the one before it.
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                holder = read();
            }
            let job = job_path.display();
            let Some(holder) = holder else {
                eprintln!("{job}: another sync of this job file is running; skipping it this time");
                return Ok(None);
            };
            let Holder { pid, started, .. } = holder;
            let since = crate::job::dates::utc(started);
            let age = u64::try_from(crate::clock::now() - started).unwrap_or(0);
            if holder_alive(&holder) == Some(false) {
                anyhow::bail!(
                    "{job}: the lock of this job file ({}) names the sync that took it (pid {pid}, \
                     started {since}), but no process {pid} runs here: another process keeps the \
                     lock file open (`fuser {}` names it). Nothing was synced; stop that process",
                    path.display(),
                    path.display()
                );
            }
            let elsewhere = match (&holder.place, this_place()) {
                (Some(there), Some(here)) if *there != here => {
                    format!(" on {}", there.split(' ').next().unwrap_or("another host"))
                }
                _ => String::new(),
            };
            if age > stale_after.as_secs() {
                anyhow::bail!(
                    "{job}: another sync of this job file (pid {pid}{elsewhere}) has held its lock \
                     since {since}, for {}, longer than a sync should take ({}, \
                     `stale_lock_after`); it may hang, e.g. on a key command or a server that never \
                     answers. Nothing was synced; check it with `ps -p {pid}` and stop it with \
                     `kill {pid}`{}",
                    span(age),
                    span(stale_after.as_secs()),
                    if elsewhere.is_empty() {
                        String::new()
                    } else {
                        format!(" where it runs{elsewhere}")
                    }
                );
            }
            eprintln!(
                "{job}: another sync of this job file is running (pid {pid}{elsewhere}, started \
                 {since}); skipping it this time"
            );
            Ok(None)
        }
        Err(std::fs::TryLockError::Error(error)) => {
            Err(anyhow::anyhow!("the lock file {}: {error}", path.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_name_is_a_stable_hash() {
        // FNV-1a's published test vectors: the name must not change between Rust releases.
        assert_eq!(state::stable_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(state::stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(state::stable_hash(b"foobar"), 0x8594_4171_f739_67e8);
        let path = lock_path_in(Path::new("/state"), Path::new("/no/such/jobs.yaml"));
        assert_eq!(
            path,
            Path::new("/state").join(format!(
                "sync-{:016x}.lock",
                state::stable_hash(b"/no/such/jobs.yaml")
            ))
        );
    }

    #[test]
    fn the_holder_of_a_lock_is_read_back() {
        let holder = Holder {
            pid: 42,
            started: 1_700_000_000,
            place: Some("box 1234-abcd pid:[4026531836]".into()),
        };
        let mut text = Vec::new();
        holder.write(&mut text).unwrap();
        assert_eq!(
            Holder::parse(std::str::from_utf8(&text).unwrap()),
            Some(holder.clone())
        );
        // Written by an older version: no place, so it cannot be judged by its pid.
        let old = Holder::parse("pid 42\nstarted 1700000000\n").unwrap();
        assert_eq!(old.place, None);
        assert_eq!(holder_alive(&old), None);
        // Another host or namespace: likewise.
        assert_eq!(holder_alive(&holder), None);
        #[cfg(target_os = "linux")]
        {
            let here = Holder {
                pid: std::process::id(),
                place: this_place(),
                ..holder.clone()
            };
            let place = here.place.clone().unwrap();
            assert!(
                place.contains("pid:[") && place.split(' ').count() >= 3,
                "host, boot and pid namespace: {place}"
            );
            assert_eq!(holder_alive(&here), Some(true));
            let gone = Holder {
                pid: 99_999_999,
                ..here
            };
            assert_eq!(holder_alive(&gone), Some(false));
        }
        assert_eq!(Holder::parse(""), None);
        assert_eq!(Holder::parse("pid x\nstarted 1\n"), None);
        assert_eq!(crate::job::dates::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(span(25_500), "7 h 5 min");
        assert_eq!(span(40), "40 s");
    }
}
