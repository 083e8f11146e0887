//! The engine's module layering: no import cycle among its modules, and no module importing from
//! a layer above its own (base < wire < net < conn < socket < types; see `src/lib.rs`). Reads the
//! sources: every `crate::...` path outside a `#[cfg(test)] mod tests` is an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: &[&str] = &["base", "wire", "net", "conn", "socket", "types"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `conn/peer.rs` -> `conn::peer`, `wire/mod.rs` -> `wire`; None for `lib.rs`.
fn module_name(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?.with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] {
        return None;
    }
    Some(parts.join("::"))
}

fn layer(module: &str) -> usize {
    let top = module.split("::").next().unwrap_or(module);
    LAYERS.iter().position(|l| *l == top).unwrap_or(0)
}

/// Without comments and without the unit-test module (it may use anything).
fn code_of(source: &str) -> String {
    let body = match source.find("#[cfg(test)]\nmod tests") {
        Some(at) => &source[..at],
        None => source,
    };
    body.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths `crate::a::b::{c, d::e}` names: `a::b::c`, `a::b::d::e`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
            .unwrap_or(rest.len());
        let path = &rest[..end];
        if let Some((base, _)) = path.split_once('{') {
            let close = rest.find('}').unwrap_or(rest.len());
            let inner = &rest[base.len() + 1..close];
            for item in inner.split(',') {
                let item = item.split_whitespace().next().unwrap_or("");
                out.push(format!("{base}{item}"));
            }
        } else {
            out.push(path.to_owned());
        }
    }
    out
}

/// The longest module `path` starts with.
fn resolve<'a>(modules: &'a BTreeSet<String>, path: &str) -> Option<&'a String> {
    let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    (1..=parts.len())
        .rev()
        .find_map(|n| modules.get(&parts[..n].join("::")))
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let named: Vec<(String, PathBuf)> = files
        .into_iter()
        .filter_map(|f| module_name(&src, &f).map(|m| (m, f)))
        .collect();
    let modules: BTreeSet<String> = named.iter().map(|(m, _)| m.clone()).collect();
    let mut edges = BTreeMap::new();
    for (module, file) in &named {
        let code = code_of(&std::fs::read_to_string(file).expect("read source"));
        let targets: BTreeSet<String> = crate_paths(&code)
            .iter()
            .filter_map(|p| resolve(&modules, p))
            .filter(|t| *t != module && !module.starts_with(&format!("{t}::")))
            .cloned()
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

#[test]
fn no_module_imports_from_a_layer_above() {
    let edges = graph();
    assert!(edges.len() > 20, "found the modules: {edges:?}");
    let upward: Vec<(&String, &String)> = edges
        .iter()
        .flat_map(|(from, to)| to.iter().map(move |t| (from, t)))
        .filter(|(from, to)| layer(to) > layer(from))
        .collect();
    assert!(upward.is_empty(), "imports from a layer above: {upward:?}");
}

#[test]
fn no_import_cycle_among_modules() {
    let edges = graph();
    // Kahn: repeatedly take out modules nothing left imports from; what remains is in a cycle.
    let mut remaining = edges.clone();
    loop {
        let leaves: Vec<String> = remaining
            .iter()
            .filter(|(_, to)| to.iter().all(|t| !remaining.contains_key(t)))
            .map(|(m, _)| m.clone())
            .collect();
        if leaves.is_empty() {
            break;
        }
        for leaf in leaves {
            remaining.remove(&leaf);
        }
    }
    assert!(
        remaining.is_empty(),
        "modules in an import cycle: {remaining:?}"
    );
}
