//! The `bench` command on a small library: the table has every row, every search and add costs exactly
//! the minimum number of requests the API allows, and no search page is asked for twice. A correctness
//! test: it asserts no times. The library (5,500 assets) is just large enough that the smart include's
//! `resultLimit` (5,000) cuts its result short, so the minimum must follow the job's limit through the
//! body the engine sends (with the `visibility` it adds), not the whole ranking.

use crate::common;

#[test]
fn the_benchmark_sends_the_minimum_requests_and_prints_every_row() {
    let output = common::bin()
        .args([
            "bench",
            "--accounts",
            "1",
            "--assets",
            "5500",
            "--latency-ms",
            "0",
        ])
        .output()
        .unwrap();
    let text = common::stdout_of(&output);
    assert!(
        output.status.success(),
        "{text}{}",
        common::stderr_of(&output)
    );
    for row in [
        "Benchmark: 1 account(s) x 5500 assets",
        "POST /api/search/metadata",
        "POST /api/search/smart",
        "PUT /api/albums/{id}/assets",
        "GET /api/people",
        "search pages asked for twice",
        "wall time",
        "latency floor",
        "simulator CPU",
        "wall / floor",
        "bytes received",
        "assets received",
        "client CPU",
        "decode + local filters",
        "peak RSS",
        "assets added",
    ] {
        assert!(text.contains(row), "no `{row}` row in:\n{text}");
    }
    let mut checked = 0;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [method, endpoint, sent, minimum] = words[..]
            && method.chars().all(|c| c.is_ascii_uppercase())
            && let (Ok(sent), Ok(minimum)) = (sent.parse::<usize>(), minimum.parse::<usize>())
        {
            assert_eq!(sent, minimum, "{method} {endpoint} in:\n{text}");
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "searches of both kinds and the adds are checked:\n{text}"
    );
    // Both columns come from the simulator (its request log, its own search totals), not from the
    // client; and one count is known here without either: each account's people fit in one page.
    let people = text
        .lines()
        .find(|l| l.trim_start().starts_with("GET /api/people"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or_default();
    assert_eq!(people, "1", "one people page for the account:\n{text}");
    let value = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(value("search pages asked for twice"), "0", "{text}");
    assert_eq!(value("job failed"), "false", "{text}");
    assert_ne!(value("assets added"), "0", "{text}");
}
