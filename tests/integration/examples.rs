//! Every example under `filters/` and `profiles/` is read, and run against the simulator, so examples
//! cannot rot: a JSON list is a local filter (run on top of `all-photos.json`), an object with `query`
//! a smart filter, any other object a metadata filter; a YAML file is a job file, run as a preview with
//! its profile's accounts pointed at the simulator.

use crate::common;

use std::path::Path;

use crate::common::{bin_for, on_both_lines, repo, sim, stderr_of};
use immich_smart_albums::job::JobFile;
use immich_smart_albums::job::{Mode, run_job};
use immich_smart_albums::profile::Profile;

fn files(dir: &str, ext: &str) -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(repo(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_example_filter_parses_and_runs() {
    on_both_lines(|| {
        let sim = sim();
        let examples = files("filters", "json");
        assert!(examples.len() >= 5, "found the examples");
        for path in examples {
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
    });
}

#[test]
fn every_example_profile_parses() {
    on_both_lines(|| {
        let examples = files("profiles", "yaml");
        assert!(examples.len() >= 2);
        for path in examples {
            let profile = Profile::load(path.to_str().unwrap(), Path::new("."))
                .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            assert!(!profile.accounts.is_empty(), "{}", path.display());
            for account in &profile.accounts {
                account.server_url().unwrap();
            }
        }
    });
}

#[test]
fn every_example_job_parses_and_previews_against_the_simulator() {
    on_both_lines(|| {
        let sim = sim();
        // The tag an example names, in one photo of each account.
        for account in ["alice", "bob"] {
            sim.tag(&sim.assets(account)[0].id, "Holiday/2024");
        }
        let examples = files("filters", "yaml");
        assert!(!examples.is_empty());
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mut previewed = Vec::new();
        for path in examples {
            let file = JobFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
            let profile = Profile::load(&file.profile, path.parent().unwrap())
                .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            for job in &file.jobs {
                let names: Vec<String> = job
                    .accounts
                    .clone()
                    .unwrap_or_else(|| profile.accounts.iter().map(|a| a.name.clone()).collect());
                let report = runtime.block_on(async {
                    // The profile's servers are examples; the simulator stands in for them.
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    let slots =
                        common::slots(&sim, &names, &Default::default(), &Default::default()).await;
                    let owner = job
                        .album_owner
                        .clone()
                        .unwrap_or_else(|| names[0].to_string());
                    run_job(job, &slots, &owner, Mode::Preview, false).await
                });
                let report =
                    report.unwrap_or_else(|e| panic!("{} job {}: {e:#}", path.display(), job.name));
                assert!(
                    !report.failed(),
                    "{} job {}: {report:#?}",
                    path.display(),
                    job.name
                );
                assert!(
                    report.accounts.iter().any(|a| a.album.to_add > 0),
                    "{} job {} finds something in the simulator",
                    path.display(),
                    job.name
                );
                previewed.push((path.clone(), job.clone(), names, report));
            }
        }
        assert!(
            sim.changing_requests().is_empty(),
            "previews change nothing"
        );

        // Beside the previews' own counts, what the simulator holds after a sync of each example.
        for (path, job, names, preview) in previewed {
            let to_add: usize = preview.accounts.iter().map(|a| a.album.to_add).sum();
            runtime.block_on(async {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let slots =
                    common::slots(&sim, &names, &Default::default(), &Default::default()).await;
                let owner = job
                    .album_owner
                    .clone()
                    .unwrap_or_else(|| names[0].to_string());
                run_job(&job, &slots, &owner, Mode::Sync, false)
                    .await
                    .unwrap();
            });
            let albums = sim.album_by_name(&job.album);
            assert_eq!(albums.len(), 1, "{} job {}", path.display(), job.name);
            assert_eq!(
                sim.album_assets(&albums[0]).len(),
                to_add,
                "{} job {}: the album holds what the preview said it would add",
                path.display(),
                job.name
            );
        }
    });
}
