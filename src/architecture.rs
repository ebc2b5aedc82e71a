//! The crate's rooms and the order they stand in, checked (ARCHITECTURE.md draws them). A room may
//! import from itself and from the rooms below it, never from one above; the rooms inside a room
//! (`job::run`, `cmd::sync`, `output::job` ...) import each other without a cycle; and only the
//! commands that run the simulator import it. Every source file's `crate::` and `super::` paths are
//! read (comments left out), so a new upward import, or a new cycle, turns these tests red; so does a
//! file that grows past 800 lines, its tests apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rooms, bottom first. A room may import from its own row and the rows before it.
const LAYERS: &[&[&str]] = &[
    &["clock", "error", "files", "logging", "secret"],
    &["immich"],
    &["album", "filter", "notify", "state", "sim"],
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
            // Tests beside the code, and this file (it is a test), are not the code's imports.
            if parts.iter().any(|p| p == "tests" || p == "architecture") {
                return None;
            }
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let module = parts.join("::");
            let text = std::fs::read_to_string(&path).ok()?;
            // The tests at the end of a file are not its dependencies, nor are a room's re-exports
            // (its façade: `pub use` names what the rooms inside it define).
            let code = text.split("#[cfg(test)]\nmod tests {").next()?;
            Some((module, without_reexports(&without_comments(code))))
        })
        .collect()
}

fn without_reexports(code: &str) -> String {
    let mut kept = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("pub use ") {
        kept.push_str(&rest[..at]);
        rest = rest[at..].split_once(';').map_or("", |(_, after)| after);
    }
    kept.push_str(rest);
    kept
}

fn without_comments(code: &str) -> String {
    code.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a file names, absolute: `crate::` and `super::` paths (`super::` resolved against
/// the file's module), each item of a `{…}` group on its own, and in a directory's `mod.rs` the paths
/// through the modules it declares (`client::Client`).
fn references(module: &str, code: &str) -> BTreeSet<String> {
    let own: Vec<&str> = if module == "lib" {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let mut starts: Vec<(usize, Vec<&str>)> = Vec::new();
    for prefix in ["crate::", "super::"] {
        starts.extend(code.match_indices(prefix).map(|(at, _)| (at, own.clone())));
    }
    for child in declared_modules(code) {
        let pattern = format!("{child}::");
        starts.extend(
            code.match_indices(&pattern)
                .map(|(at, _)| (at, own.clone())),
        );
    }
    let mut found = BTreeSet::new();
    for (at, base) in starts {
        if at > 0 && code[..at].ends_with(|c: char| is_path_char(c)) {
            continue;
        }
        expand(&code[at..], base, &mut found);
    }
    found
}

fn is_path_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == ':'
}

/// The modules a file declares (`mod client;`, `pub mod albums;`).
fn declared_modules(code: &str) -> Vec<&str> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
            let line = line.strip_prefix("pub ").unwrap_or(line);
            line.strip_prefix("mod ")?.strip_suffix(';')
        })
        .collect()
}

/// Resolves the path at the start of `text` against `base` and adds it, or each item of its group.
fn expand<'a>(text: &'a str, mut base: Vec<&'a str>, found: &mut BTreeSet<String>) {
    let path_len = text.find(|c: char| !is_path_char(c)).unwrap_or(text.len());
    let path = &text[..path_len];
    let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    if parts.first() == Some(&"crate") {
        base.clear();
    }
    for part in parts {
        match part {
            "crate" | "self" => {}
            "super" => {
                base.pop();
            }
            other => base.push(other),
        }
    }
    let rest = &text[path_len..];
    if path.ends_with("::") && rest.starts_with('{') {
        // A group: each item on its own, nested groups too.
        let mut depth = 0;
        let mut item_start = 1;
        for (i, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' | ',' if depth == 1 => {
                    let item = rest[item_start..i].trim();
                    if !item.is_empty() {
                        expand(item, base.clone(), found);
                    }
                    item_start = i + 1;
                    if c == '}' {
                        return;
                    }
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        return;
    }
    found.insert(base.join("::"));
}

fn layer_of(room: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&room))
}

fn top(path: &str) -> &str {
    path.split("::").next().unwrap_or(path)
}

/// The room inside a room a path is in (`job::effects::album` → `job::effects`; `job` → `job`).
fn inner_of(path: &str) -> String {
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

/// What each room's `mod.rs` re-exports: (room, the path it names).
fn reexports() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (module, _) in sources() {
        let file = src.join(module.replace("::", "/")).join("mod.rs");
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let text = without_comments(&text);
        for (at, _) in text.match_indices("pub use ") {
            let statement = &text[at + "pub use ".len()..];
            let statement = statement.split(';').next().unwrap_or("");
            let mut names = BTreeSet::new();
            let own: Vec<&str> = module.split("::").collect();
            let prefixed = if statement.starts_with("crate::") || statement.starts_with("super::") {
                statement.to_string()
            } else {
                format!("self::{statement}")
            };
            expand(&prefixed, own, &mut names);
            found.extend(names.into_iter().map(|n| (module.clone(), n)));
        }
    }
    found
}

/// Most lines a source file may have, its tests apart: one that grows past it holds more than one
/// concern.
const MAX_LINES: usize = 800;

#[test]
fn no_file_is_over_800_lines_apart_from_its_tests() {
    let long: Vec<String> = sources()
        .into_iter()
        .map(|(module, code)| (module, code.lines().count()))
        .filter(|(_, lines)| *lines > MAX_LINES)
        .map(|(module, lines)| format!("{module}: {lines} lines"))
        .collect();
    assert!(long.is_empty(), "split these by concern: {long:?}");
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
    // The nodes: the rooms inside a room (`job::run`, `job::effects` with all its files), and the
    // room's own `mod.rs` (`sim`) where it defines what the others import.
    let sources = sources();
    let modules: BTreeSet<&str> = sources.iter().map(|(m, _)| m.as_str()).collect();
    let defines = |room: &str, item: &str| {
        sources.iter().any(|(m, code)| {
            m == room
                && ["struct", "enum", "fn", "const", "static", "type", "trait"]
                    .iter()
                    .any(|kind| code.contains(&format!("{kind} {item}")))
        })
    };
    let graph = graph();
    let reexports = reexports();
    // Where a path inside a room lands: a room inside it, or the room's `mod.rs`.
    let node_of = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        let room = parts[0];
        let second = parts.get(1)?;
        let inner = format!("{room}::{second}");
        if modules.contains(inner.as_str()) {
            return Some(inner);
        }
        if defines(room, second) {
            return Some(room.to_string());
        }
        // Re-exported by the room's `mod.rs`: the room inside it that defines it.
        reexports
            .iter()
            .find(|(m, r)| m == room && r.ends_with(&format!("::{second}")))
            .map(|(_, r)| inner_of(r))
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, refs) in &graph {
        let from = inner_of(module);
        for target in refs {
            if top(target) != top(module) || module == "lib" {
                continue;
            }
            if let Some(to) = node_of(target)
                && to != from
            {
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
            "job::effects::Effects".to_string(),
            "job::effects::key_of".to_string(),
            "job::model::Account".to_string(),
            "job::decide".to_string(),
        ])
    );
    let refs = references("job::effects", "use super::decide::Held;");
    assert_eq!(refs, BTreeSet::from(["job::decide::Held".to_string()]));
    let refs = references(
        "immich",
        "mod client;\npub use client::{Binary, Client};\nuse crate::sim::{self, state::{State, X}};",
    );
    assert_eq!(
        refs,
        BTreeSet::from([
            "immich::client::Binary".to_string(),
            "immich::client::Client".to_string(),
            "sim".to_string(),
            "sim::state::State".to_string(),
            "sim::state::X".to_string(),
        ])
    );
}
