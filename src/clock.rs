//! The one clock of the program: the wall time in whole seconds since the Unix epoch. Every time the
//! tool keeps or compares lives on it: the local record's entries and notes (`at`, `seen`), the runs
//! of a sync and how old `state health` finds the last, the age of a sync lock's holder, the dates a
//! job's spans and a shared link's expiry count from.

/// Seconds since the Unix epoch (0 on a clock set before it).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
