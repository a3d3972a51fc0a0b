//! The module layout of src/ (issue 14): the core's top-level modules depend on each other in one
//! direction, following the intended layering, and no two sibling files of one folder import each
//! other. Reads src/**/*.rs as text; comment lines and `#[cfg(test)]` modules are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The core's layers, lowest first: a module may name only modules of lower layers (within the
/// first layer, any module may name another as long as the graph stays acyclic).
const LAYERS: &[&[&str]] = &[
    &["error", "io", "stats", "budget", "interrupt", "progress", "rng"],
    &["report"],
    &["data"],
    &["map"],
    &["weights", "indices"],
    &["linalg"],
    &["esda"],
    &["models"],
    &["effects"],
];

/// Top-level entries of src/ that are not part of the core.
const OUTSIDE_CORE: &[&str] = &["script", "plot", "main", "repl", "lib"];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src/") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text of a source file without comment lines and without `#[cfg(test)]` modules.
fn code_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        if t.starts_with("#[cfg(test)]") {
            // Skip the attribute and the item it guards: up to the end of its braces (or the
            // line with `;` for a `mod x;` declaration).
            let mut depth = 0i64;
            let mut opened = false;
            i += 1;
            while i < lines.len() {
                let l = lines[i].trim_start();
                if !l.starts_with("//") {
                    for c in l.chars() {
                        match c {
                            '{' => {
                                depth += 1;
                                opened = true;
                            }
                            '}' => depth -= 1,
                            _ => {}
                        }
                    }
                }
                i += 1;
                if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        if !t.starts_with("//") {
            out.push_str(lines[i]);
            out.push('\n');
        }
        i += 1;
    }
    out
}

/// Identifiers that follow `prefix` in `code`, including every first segment of a braced group
/// (`prefix{a::X, b}` gives `a` and `b`).
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        // Skip matches inside a longer path (`xcrate::`, `super::super::` is read once).
        if at > 0 {
            let before = code[..at].chars().next_back().unwrap();
            if before.is_alphanumeric() || before == '_' {
                continue;
            }
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut element_start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => element_start = true,
                    c if c.is_whitespace() => {}
                    _ => {
                        if element_start && depth == 1 {
                            let name = ident(&group[k..]);
                            if !name.is_empty() {
                                out.insert(name);
                            }
                        }
                        element_start = false;
                    }
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

struct Source {
    /// Path relative to src/, with `/` separators.
    rel: String,
    code: String,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    files
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            let code = code_of(&std::fs::read_to_string(p).expect("read source"));
            Source { rel, code }
        })
        .collect()
}

fn top_of(rel: &str) -> String {
    rel.split('/').next().unwrap().trim_end_matches(".rs").to_string()
}

/// The top-level module graph of the core: module → (named module → files that name it).
fn core_graph(sources: &[Source]) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut g: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    // `crate::Error` names the module lib.rs re-exports it from.
    let tops: BTreeSet<String> = sources.iter().map(|s| top_of(&s.rel)).collect();
    let root = sources
        .iter()
        .find(|s| s.rel == "lib.rs")
        .map(|s| reexports(&s.code, &tops))
        .unwrap_or_default();
    for s in sources {
        let from = top_of(&s.rel);
        if OUTSIDE_CORE.contains(&from.as_str()) {
            continue;
        }
        let entry = g.entry(from.clone()).or_default();
        for to in names_after(&s.code, "crate::") {
            let to = root.get(&to).cloned().unwrap_or(to);
            if to != from {
                entry.entry(to).or_default().insert(s.rel.clone());
            }
        }
    }
    g
}

fn layer_of(m: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&m))
}

#[test]
fn layout_core_modules_follow_the_layering() {
    let g = core_graph(&sources());
    let mut problems = Vec::new();
    for (from, tos) in &g {
        let Some(lf) = layer_of(from) else {
            problems.push(format!(
                "src/{from}: a top-level module the layering does not place (add it to LAYERS)"
            ));
            continue;
        };
        for (to, files) in tos {
            match layer_of(to) {
                None if OUTSIDE_CORE.contains(&to.as_str()) => {
                    problems.push(format!("{from} → {to} ({files:?}): the core must not name {to}"))
                }
                None => problems.push(format!("{from} → {to} ({files:?}): {to} is not in LAYERS")),
                Some(lt) if lt > lf || (lt == lf && lf > 0) => problems.push(format!(
                    "{from} (layer {lf}) → {to} (layer {lt}) in {files:?}: a lower layer names a higher one"
                )),
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "layering violations:\n{}", problems.join("\n"));
}

#[test]
fn layout_core_module_graph_is_acyclic() {
    let g = core_graph(&sources());
    // Depth-first search with colours; report the first cycle found.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|x| x == m).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(m.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        if let Some(tos) = g.get(m) {
            for to in tos.keys() {
                if let Some(c) = visit(to, g, state, path) {
                    return Some(c);
                }
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut state, &mut Vec::new()) {
            panic!("import cycle between top-level modules: {}", cycle.join(" → "));
        }
    }
}

/// Names a folder's mod.rs re-exports from its files (`pub use knn::{Knn, knn}` maps `Knn` and
/// `knn` to the file `knn`), so that `use super::Knn` in a sibling counts as importing knn.rs.
fn reexports(mod_code: &str, children: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stmts = Vec::new();
    let mut lines = mod_code.lines();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        let Some(after) = ["pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|p| t.strip_prefix(p))
        else {
            continue;
        };
        let mut stmt = after.to_string();
        while !stmt.contains(';') {
            match lines.next() {
                Some(l) => stmt.push_str(l),
                None => break,
            }
        }
        stmts.push(stmt.split(';').next().unwrap_or("").to_string());
    }
    for stmt in &stmts {
        let path = stmt.trim().trim_start_matches("self::");
        let child: String = path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !children.contains(&child) {
            continue;
        }
        let rest = &path[child.len()..];
        let rest = rest.strip_prefix("::").unwrap_or("");
        let inner = rest.trim_start_matches('{').trim_end_matches('}');
        for item in inner.split(',') {
            let item = item.trim();
            let name = match item.split(" as ").nth(1) {
                Some(alias) => alias.trim(),
                None => item.rsplit("::").next().unwrap_or("").trim(),
            };
            if !name.is_empty() && name != "*" {
                out.insert(name.to_string(), child.clone());
            }
        }
    }
    out
}

#[test]
fn layout_no_two_sibling_files_import_each_other() {
    let sources = sources();
    // folder → file stem → code (mod.rs excluded: it is the folder's own module, not a sibling).
    let mut folders: BTreeMap<String, BTreeMap<String, &str>> = BTreeMap::new();
    let mut mods: BTreeMap<String, &str> = BTreeMap::new();
    for s in &sources {
        let (folder, file) = s.rel.rsplit_once('/').unwrap_or(("", s.rel.as_str()));
        let stem = file.trim_end_matches(".rs").to_string();
        if stem == "mod" {
            mods.insert(folder.to_string(), &s.code);
        } else {
            folders.entry(folder.to_string()).or_default().insert(stem, &s.code);
        }
    }
    let mut problems = Vec::new();
    for (folder, files) in &folders {
        if folder.is_empty() {
            continue; // src/ itself: covered by the top-level graph
        }
        // Folders that are modules of their own (src/linalg/traces/) are siblings too.
        let mut children: BTreeSet<String> = files.keys().cloned().collect();
        for f in mods.keys() {
            if let Some((parent, name)) = f.rsplit_once('/') {
                if parent == folder {
                    children.insert(name.to_string());
                }
            }
        }
        let re = mods.get(folder).map(|m| reexports(m, &children)).unwrap_or_default();
        let full = format!("crate::{}::", folder.replace('/', "::"));
        let mut edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for (stem, code) in files {
            let mut named = names_after(code, "super::");
            named.extend(names_after(code, &full));
            let targets: BTreeSet<String> = named
                .iter()
                .filter_map(|n| {
                    if children.contains(n) {
                        Some(n.clone())
                    } else {
                        re.get(n).cloned()
                    }
                })
                .filter(|t| t != stem)
                .collect();
            edges.insert(stem, targets);
        }
        for (a, ta) in &edges {
            for b in ta {
                if a < &b.as_str() && edges.get(b.as_str()).is_some_and(|tb| tb.contains(*a)) {
                    problems.push(format!("src/{folder}/{a}.rs and src/{folder}/{b}.rs import each other"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "sibling files importing each other:\n{}",
        problems.join("\n")
    );
}

#[test]
fn layout_checker_sees_imports_and_skips_comments_and_tests() {
    let code = code_of(
        "use crate::error::Result;\n// use crate::models::X;\nuse super::{knn::Knn, points};\n\
         #[cfg(test)]\nmod tests {\n    use crate::effects::Y;\n    fn f() { if true { } }\n}\nuse crate::rng::rng_for;\n",
    );
    assert_eq!(
        names_after(&code, "crate::"),
        ["error", "rng"].iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(
        names_after(&code, "super::"),
        ["knn", "points"].iter().map(|s| s.to_string()).collect()
    );
    let children: BTreeSet<String> = ["knn".to_string()].into();
    let re = reexports(
        "pub use knn::{knn_weights, Knn as K};\npub use self::knn::Dist;",
        &children,
    );
    assert_eq!(re.get("K").map(String::as_str), Some("knn"));
    assert_eq!(re.get("knn_weights").map(String::as_str), Some("knn"));
    assert_eq!(re.get("Dist").map(String::as_str), Some("knn"));
}

#[test]
fn layout_readme_tree_has_one_line_per_source_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let section = readme.split("## Layout").nth(1).expect("README has a Layout section");
    let tree = section
        .split("```")
        .nth(1)
        .expect("the Layout section opens with a tree");
    let listed: BTreeSet<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    fn dirs(dir: &Path, root: &Path, out: &mut Vec<String>) {
        out.push(format!(
            "{}/",
            dir.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/")
        ));
        for e in std::fs::read_dir(dir).expect("read dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                dirs(&p, root, out);
            }
        }
    }
    let mut want = Vec::new();
    dirs(&root.join("src"), root, &mut want);
    want.extend(
        [
            "stdlib/",
            "scripts/",
            "tests/",
            "tests/it/",
            "tests/scripts/",
            "tests/fixtures/",
        ]
        .map(String::from),
    );
    want.extend(["examples/", "benches/", "fuzz/", "docs/"].map(String::from));
    let missing: Vec<&String> = want.iter().filter(|d| !listed.contains(d.as_str())).collect();
    assert!(missing.is_empty(), "README Layout tree lacks a line for {missing:?}");
    for d in &listed {
        if d.ends_with('/') {
            assert!(
                root.join(d).is_dir(),
                "README Layout tree lists {d}, which is not a folder"
            );
        }
    }
}
