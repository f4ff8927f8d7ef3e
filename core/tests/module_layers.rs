//! No import cycles between core's modules: each top-level module (`drafts`, `outbox`,
//! `replica`, ...) may use the modules below it and never one that uses it back. This test
//! reads core's sources, draws an arrow for every `crate::<module>` a module names, and fails
//! on a cycle, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Names the crate root re-exports, and the module each comes from.
const ROOT_ITEMS: &[(&str, &str)] = &[("Store", "store"), ("Result", "error"), ("Error", "error")];

fn top_module(rel: &str) -> Option<String> {
    let first = rel.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_string())
}

fn collect(dir: &Path, src: &Path, edges: &mut BTreeMap<String, BTreeSet<String>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, src, edges);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
        let Some(from) = top_module(&rel) else { continue };
        let text = std::fs::read_to_string(&path).unwrap();
        let targets = edges.entry(from.clone()).or_default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            targets.extend(targets_of(line).into_iter().filter(|t| *t != from));
        }
    }
}

/// The modules a line names through `crate::` (`crate::drafts::db`, `crate::{drafts, outbox}`,
/// `crate::Store`).
fn targets_of(line: &str) -> Vec<String> {
    let mut out = vec![];
    for (i, _) in line.match_indices("crate::") {
        let rest = &line[i + "crate::".len()..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            group.split('}').next().unwrap_or("").split(',').map(|n| n.trim().split("::").next().unwrap_or("")).collect()
        } else {
            vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("")]
        };
        for name in names.into_iter().filter(|n| !n.is_empty() && *n != "self") {
            let module = ROOT_ITEMS.iter().find(|(item, _)| *item == name).map_or(name, |(_, m)| m);
            if module.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                out.push(module.to_string());
            }
        }
    }
    out
}

/// A cycle in the graph, if there is one (depth-first search).
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = path.iter().position(|n| n == node) {
            let mut cycle = path[pos..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut vec![], &mut done))
}

#[test]
fn core_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges = BTreeMap::new();
    collect(&src, &src, &mut edges);
    assert!(edges.len() >= 10, "the scan must see core's modules: {:?}", edges.keys());
    assert!(edges["replica"].contains("outbox"), "the scan must see the arrows");
    if let Some(cycle) = find_cycle(&edges) {
        panic!("core modules import each other in a circle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_scan_reads_every_form_of_a_crate_path_and_finds_a_planted_cycle() {
    assert_eq!(targets_of("use crate::drafts::db;"), vec!["drafts"]);
    assert_eq!(targets_of("use crate::{account, outbox, Store};"), vec!["account", "outbox", "store"]);
    assert_eq!(targets_of("fn f() -> crate::Result<()> {"), vec!["error"]);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&edges), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
