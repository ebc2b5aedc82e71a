//! Every example under `filters/` is read and run against the simulator, so examples cannot rot: a JSON
//! list is a local filter (run on top of `all-photos.json`), an object with `query` a smart filter, any
//! other object a metadata filter.

mod common;

use common::{bin_for, repo, sim, stderr_of};

#[test]
fn every_example_filter_parses_and_runs() {
    let sim = sim();
    let mut seen = 0;
    for entry in std::fs::read_dir(repo("filters")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        seen += 1;
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut cmd = bin_for(&sim, "alice");
        if value.is_array() {
            cmd.arg("--include-metadata-file")
                .arg(repo("filters/all-photos.json"))
                .arg("--include-local-filter-file")
                .arg(&path);
        } else if value.get("query").is_some() {
            cmd.arg("--include-smart-file").arg(&path);
        } else {
            cmd.arg("--include-metadata-file").arg(&path);
        }
        let output = cmd.output().unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {stderr}",
            path.display()
        );
        assert!(!stderr.contains("warning"), "{}: {stderr}", path.display());
    }
    assert!(seen >= 5, "found the examples");
}
