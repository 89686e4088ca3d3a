//! The code's shape: data flows one way between the top-level modules of `src/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/` and the top-level modules its code names
/// (`crate::x`), comments left out.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&root).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let names = graph.entry(top.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                    .collect();
                // `crate::say!` is a macro, not a module.
                if !name.is_empty() && name != top && !rest[name.len()..].starts_with('!') {
                    names.insert(name);
                }
            }
        }
    }
    graph
}

/// A cycle through `from`, if any: the path back to it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![(from.to_string(), vec![from.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == from {
                let mut p = path.clone();
                p.push(from.to_string());
                return Some(p);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = imports();
    // The pipeline's stages are all there, so the check sees the real code.
    for stage in ["sources", "store", "link", "metrics", "analysis", "report"] {
        assert!(graph.contains_key(stage), "{stage}: {graph:?}");
    }
    assert!(graph["link"].contains("sources") && graph["metrics"].contains("link"));
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle(&graph, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn no_source_file_is_over_800_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut long = Vec::new();
    let mut files = 0;
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "rs") {
            files += 1;
            let lines = std::fs::read_to_string(entry.path())
                .unwrap()
                .lines()
                .count();
            if lines > 800 {
                long.push(format!("{}: {lines} lines", entry.path().display()));
            }
        }
    }
    assert!(files > 50, "{files}");
    assert!(
        long.is_empty(),
        "split these where a reader would:\n{}",
        long.join("\n")
    );
}

#[test]
fn clap_stays_in_the_command_line_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        let rel = entry
            .path()
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let command_line = rel == "cli.rs" || rel == "main.rs" || rel.starts_with("cmd");
        if entry.path().extension().is_some_and(|e| e == "rs") && !command_line {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            if text.contains("clap::") {
                found.push(rel);
            }
        }
    }
    assert!(
        found.is_empty(),
        "clap used outside cli.rs, main.rs and cmd/: {found:?}"
    );
}
