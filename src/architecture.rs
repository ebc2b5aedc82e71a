//! The crate's rooms and the order they stand in, checked (ARCHITECTURE.md draws them). A room may
//! import from itself and from the rooms below it, never from one above; the rooms inside a room
//! (`job::run`, `cmd::sync`, `output::job` ...) import each other without a cycle; and only the
//! commands that run the simulator import it. Every source file's `crate::` and `super::` paths are
//! read (comments left out), so a new upward import, or a new cycle, turns these tests red.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rooms, bottom first. A room may import from its own row and the rows before it.
const LAYERS: &[&[&str]] = &[
    &["clock", "error", "files", "logging", "secret"],
    &["immich"],
    &["album", "filter", "state", "sim"],
    &["job"],
    &["output"],
    &["cli"],
    &["profile"],
    &["cmd"],
];

/// The files that may import the simulator: the commands that run it.
const SIMULATOR_USERS: &[&str] = &["cmd::demo", "cmd::bench", "lib"];

/// Every `.rs` file under `src/` but the tests beside the code, with its module path.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).ok()?.with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.iter().any(|p| p == "tests") {
                return None;
            }
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let module = parts.join("::");
            let text = std::fs::read_to_string(&path).ok()?;
            // The tests at the end of a file are not its dependencies.
            let code = text.split("#[cfg(test)]\nmod tests {").next()?;
            Some((module, without_comments(code)))
        })
        .collect()
}

fn without_comments(code: &str) -> String {
    code.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file names, absolute (`super::` resolved against the file's module).
fn references(module: &str, code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    for (at, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        if at > 0 && code[..at].ends_with(|c: char| word(c)) {
            continue;
        }
        let path: String = code[at..].chars().take_while(|&c| word(c)).collect();
        let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        let mut base: Vec<&str> = if module == "lib" {
            Vec::new()
        } else {
            module.split("::").collect()
        };
        if parts.first() == Some(&"crate") {
            base.clear();
        }
        let mut rest = Vec::new();
        for part in parts.drain(..) {
            match part {
                "crate" => {}
                "super" => {
                    base.pop();
                }
                other => rest.push(other),
            }
        }
        base.extend(rest);
        found.insert(base.join("::"));
    }
    found
}

fn layer_of(room: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&room))
}

fn top(path: &str) -> &str {
    path.split("::").next().unwrap_or(path)
}

/// The room inside a room a path is in (`job::effects::album` → `job::effects`).
fn inner(path: &str) -> String {
    path.split("::").take(2).collect::<Vec<_>>().join("::")
}

fn graph() -> Vec<(String, BTreeSet<String>)> {
    sources()
        .into_iter()
        .map(|(module, code)| {
            let refs = references(&module, &code);
            (module, refs)
        })
        .collect()
}

#[test]
fn every_room_is_in_a_layer() {
    let rooms: BTreeSet<String> = sources()
        .into_iter()
        .map(|(m, _)| top(&m).to_string())
        .filter(|r| !matches!(r.as_str(), "lib" | "main" | "architecture"))
        .collect();
    let missing: Vec<&String> = rooms.iter().filter(|r| layer_of(r).is_none()).collect();
    assert!(missing.is_empty(), "rooms not in LAYERS: {missing:?}");
}

#[test]
fn no_room_imports_from_a_room_above_it() {
    let mut upward = Vec::new();
    for (module, refs) in graph() {
        let Some(own) = layer_of(top(&module)) else {
            continue;
        };
        for target in refs {
            if let Some(theirs) = layer_of(top(&target))
                && theirs > own
            {
                upward.push(format!("{module} imports {target}"));
            }
        }
    }
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

#[test]
fn only_the_commands_that_run_it_import_the_simulator() {
    let users: Vec<String> = graph()
        .into_iter()
        .filter(|(module, refs)| {
            top(module) != "sim"
                && !SIMULATOR_USERS.contains(&module.as_str())
                && refs.iter().any(|r| top(r) == "sim")
        })
        .map(|(module, _)| module)
        .collect();
    assert!(users.is_empty(), "these import the simulator: {users:?}");
}

#[test]
fn the_rooms_inside_a_room_import_each_other_without_a_cycle() {
    // Edges between rooms inside one room (`job::run` → `job::search`); a room's own `mod.rs`
    // (its façade of re-exports) is left out.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, refs) in graph() {
        if !module.contains("::") {
            continue;
        }
        let from = inner(&module);
        for target in refs {
            let to = inner(&target);
            if to.contains("::") && to != from && top(&to) == top(&from) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    let mut cycles = Vec::new();
    for start in edges.keys() {
        // Depth-first from each room: a path back to it is a cycle.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    cycles.push(format!("{} → {start}", path.join(" → ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn a_path_is_read_back_whole() {
    let refs = references(
        "job::effects::album",
        "use super::{Effects, key_of};\nuse crate::job::model::Account;\nuse super::super::decide;",
    );
    assert_eq!(
        refs,
        BTreeSet::from([
            "job::effects".to_string(),
            "job::model::Account".to_string(),
            "job::decide".to_string(),
        ])
    );
    let refs = references("job::effects", "use super::decide::Held;");
    assert_eq!(refs, BTreeSet::from(["job::decide::Held".to_string()]));
}
