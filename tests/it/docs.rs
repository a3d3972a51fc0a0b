//! The documents in docs/ against the code: every methods citation in the code (src/, tests/,
//! benches/, examples/, stdlib/, scripts/) names a heading of docs/methods.md, the methods
//! reference keeps its numbering complete, the runnable examples of docs/scripting.md run
//! through the real binary, and the functions the guide names exist.

use crate::common::root;
use crate::sandbox::Sandbox;
use std::collections::BTreeSet;
use std::path::Path;

/// Headings of docs/methods.md as citation keys: "7.4", "7.5b", "Appendix C", "Notation".
fn methods_headings() -> BTreeSet<String> {
    let text = std::fs::read_to_string(root("docs/methods.md")).expect("docs/methods.md exists");
    heading_keys(&text)
}

/// The citation key of every Markdown heading of `text`: "Appendix X" for an appendix, the
/// leading number (without a trailing dot) for a numbered section, the whole title otherwise.
fn heading_keys(text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        if let Some(rest) = title.strip_prefix("Appendix ") {
            let letter: String = rest.chars().take_while(|c| c.is_ascii_uppercase()).collect();
            keys.insert(format!("Appendix {letter}"));
        } else if title.starts_with(|c: char| c.is_ascii_digit()) {
            let number = title.split_whitespace().next().unwrap_or("").trim_end_matches('.');
            keys.insert(number.to_string());
        } else {
            keys.insert(title.to_string());
        }
    }
    keys
}

/// Every `.rs` and `.rhai` file under `dir`, recursively, in sorted order (none when `dir` does
/// not exist).
fn source_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = read.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            source_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs" || e == "rhai") {
            out.push(p);
        }
    }
}

/// One section number at the start of `s` ("7.5b", "4.2", "10"): digits and dots, then at most
/// one lower-case letter right after a digit; a trailing dot (end of a sentence) is dropped.
fn section_number(s: &str) -> (String, &str) {
    let mut end = 0;
    let b = s.as_bytes();
    while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'.') {
        end += 1;
    }
    if end > 0
        && end < b.len()
        && b[end].is_ascii_lowercase()
        && b[end - 1].is_ascii_digit()
        && !b.get(end + 1).is_some_and(|c| c.is_ascii_alphabetic())
    {
        end += 1;
    }
    (s[..end].trim_end_matches('.').to_string(), &s[end..])
}

/// The heading keys cited by one citation that starts right after its prefix ("METHODS " or
/// "docs/methods.md "): `§7.4`, a range `§4.2–4.5` (both ends), a list `§7.1, §7.5` (each),
/// `App. B` / `Appendix B`, or a quoted title `"Notation"`. Empty when the text after the
/// prefix is not a citation (e.g. the word METHODS in prose).
fn cited_keys(after: &str) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(rest) = after.strip_prefix("App. ").or_else(|| after.strip_prefix("Appendix ")) {
        if let Some(c) = rest.chars().next().filter(|c| c.is_ascii_uppercase()) {
            keys.push(format!("Appendix {c}"));
        }
        return keys;
    }
    if let Some(rest) = after.strip_prefix('"') {
        if let Some(end) = rest.find('"') {
            keys.push(rest[..end].to_string());
        }
        return keys;
    }
    let mut rest = after;
    while let Some(r) = rest.strip_prefix('§') {
        let (first, r) = section_number(r);
        if first.is_empty() {
            break;
        }
        keys.push(first);
        rest = r;
        // A range: §4.2–4.5 or §4.2-4.5.
        if let Some(r) = rest.strip_prefix('–').or_else(|| rest.strip_prefix('-')) {
            let (second, r) = section_number(r);
            if !second.is_empty() {
                keys.push(second);
                rest = r;
            }
        }
        // A list: §7.1, §7.5 / §7.1 and §7.5.
        rest = match rest.strip_prefix(", ").or_else(|| rest.strip_prefix(" and ")) {
            Some(r) if r.starts_with('§') => r,
            _ => break,
        };
    }
    keys
}

/// (file:line, cited key) for every methods citation in `text` (prefixes `METHODS ` and
/// `docs/methods.md `).
fn citations_in(text: &str, file: &str) -> Vec<(String, String)> {
    citations_with(text, file, &["METHODS ", "docs/methods.md "])
}

/// (file:line, cited key) for every citation in `text` that follows one of `prefixes`.
fn citations_with(text: &str, file: &str, prefixes: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for prefix in prefixes {
            let mut from = 0;
            while let Some(k) = line[from..].find(prefix) {
                let start = from + k + prefix.len();
                for key in cited_keys(&line[start..]) {
                    out.push((format!("{file}:{}", n + 1), key));
                }
                from = start;
            }
        }
    }
    out
}

#[test]
fn citation_parser_reads_every_form() {
    let text = "a (METHODS §7.4) b METHODS §4.2–4.5, §9 c docs/methods.md §7.5b. d METHODS §3.\n\
                e docs/methods.md Appendix C f METHODS App. B g METHODS \"Notation\" h METHODS §1.2-1.3 and §10\n\
                i METHODS §9 (ii) j the METHODS specification";
    let mut keys: Vec<String> = citations_in(text, "x").into_iter().map(|(_, k)| k).collect();
    keys.sort();
    let mut want = vec![
        "7.4",
        "4.2",
        "4.5",
        "9",
        "7.5b",
        "3",
        "Appendix C",
        "Appendix B",
        "Notation",
        "1.2",
        "1.3",
        "10",
        "9",
    ];
    want.sort();
    assert_eq!(keys, want);
    let heads = heading_keys(
        "# Title\n## 7. Models\n### 7.5 Lee\n#### 7.5b Exact\n## Appendix C. Peers\n```\n## 99 not a heading\n```\n",
    );
    let want: BTreeSet<String> = ["Title", "7", "7.5", "7.5b", "Appendix C"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(heads, want);
}

#[test]
fn every_methods_citation_names_a_heading() {
    let heads = methods_headings();
    // The code, its tests, benches and examples, and the bundled Rhai modules and scripts (this
    // file's parser test cites on purpose and is left out).
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples", "stdlib", "scripts"] {
        source_files(Path::new(&root(dir)), &mut files);
    }
    files.retain(|f| !f.ends_with("tests/it/docs.rs"));
    let mut cited = 0;
    let mut missing = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.strip_prefix(root("")).unwrap_or(f).display().to_string();
        for (at, key) in citations_in(&text, &name) {
            cited += 1;
            if !heads.contains(&key) {
                missing.push(format!("{at}: cites {key}"));
            }
        }
    }
    assert!(
        cited >= 50,
        "only {cited} methods citations found: is the parser broken?"
    );
    assert!(
        missing.is_empty(),
        "{} citation(s) name no heading of docs/methods.md:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn methods_reference_keeps_the_specification_numbering() {
    let heads = methods_headings();
    let mut absent = Vec::new();
    // Every top-level section and appendix of the specification, and the subsections the code
    // and the defaults table rely on.
    let required = (1..=18)
        .map(|k| k.to_string())
        .chain(["A", "B", "C", "D", "E", "F"].iter().map(|c| format!("Appendix {c}")))
        .chain(
            [
                "Notation", "1.1", "1.2", "1.3", "1.4", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "7.1", "7.2", "7.3",
                "7.4", "7.5", "7.5a", "7.5b", "7.6",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
    for key in required {
        if !heads.contains(&key) {
            absent.push(key);
        }
    }
    assert!(absent.is_empty(), "docs/methods.md lacks the headings {absent:?}");
}

/// The fenced code blocks of `text` as (info string, body, line of the opening fence).
fn code_blocks(text: &str) -> Vec<(String, String, usize)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        match open.take() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_string(), String::new(), n + 1));
                }
            }
            Some((info, mut body, at)) => {
                if line.starts_with("```") {
                    blocks.push((info, body, at));
                } else {
                    body.push_str(line);
                    body.push('\n');
                    open = Some((info, body, at));
                }
            }
        }
    }
    assert!(open.is_none(), "an unclosed code block in the document");
    blocks
}

#[test]
fn scripting_guide_code_blocks_are_labelled() {
    let text = std::fs::read_to_string(root("docs/scripting.md")).expect("docs/scripting.md exists");
    let bad: Vec<String> = code_blocks(&text)
        .into_iter()
        .filter(|(info, _, _)| !["rhai", "rhai,no_run", "text"].contains(&info.as_str()))
        .map(|(info, _, at)| format!("line {at}: ```{info}"))
        .collect();
    assert!(
        bad.is_empty(),
        "docs/scripting.md: label every code block rhai (runnable), rhai,no_run or text:\n{}",
        bad.join("\n")
    );
}

#[cfg(unix)]
#[test]
fn scripting_guide_examples_run() {
    let text = std::fs::read_to_string(root("docs/scripting.md")).expect("docs/scripting.md exists");
    let runnable: Vec<(String, usize)> = code_blocks(&text)
        .into_iter()
        .filter(|(info, _, _)| info == "rhai")
        .map(|(_, body, at)| (body, at))
        .collect();
    assert!(
        runnable.len() >= 10,
        "only {} runnable examples in docs/scripting.md",
        runnable.len()
    );
    let failures = run_examples("docs/scripting.md", "docs_examples", &runnable);
    assert!(
        failures.is_empty(),
        "{} example(s) of docs/scripting.md failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Runs each (script, line) of document `doc` with the binary and returns the failures. The
/// examples use the bundled data by their paths in the repository and write their outputs into
/// the current folder: they run in a sandbox that sees examples/ and tests/.
#[cfg(unix)]
fn run_examples(doc: &str, tag: &str, runnable: &[(String, usize)]) -> Vec<String> {
    let sb = Sandbox::new(tag, &[]);
    for dir in ["examples", "tests"] {
        std::os::unix::fs::symlink(root(dir), sb.path(dir)).unwrap();
    }
    let mut failures = Vec::new();
    for (k, (body, at)) in runnable.iter().enumerate() {
        let name = format!("example_{k:02}.rhai");
        sb.write(&name, body.as_bytes());
        let out = sb.command(&["run", &name]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        crate::sandbox::assert_no_panic(&stderr);
        if !out.status.success() {
            failures.push(format!("{doc} line {at}:\n{stderr}"));
        }
    }
    failures
}

/// The README's "Your data" section shows one example per data format and the cleaning calls:
/// its `rhai` blocks run as written.
#[cfg(unix)]
#[test]
fn readme_your_data_examples_run() {
    let text = std::fs::read_to_string(root("README.md")).expect("README.md exists");
    let section = text
        .split("\n## Your data\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has a section \"## Your data\"");
    let runnable: Vec<(String, usize)> = code_blocks(section)
        .into_iter()
        .filter(|(info, _, _)| info == "rhai")
        .map(|(_, body, at)| (body, at))
        .collect();
    assert!(
        runnable.len() >= 2,
        "README \"Your data\" has {} runnable examples",
        runnable.len()
    );
    for needle in [
        "read_data(",
        ".xlsx",
        ".dta",
        "encoding",
        "decimal",
        "form: \"matrix\"",
        "mutate(",
        "log(",
    ] {
        assert!(
            runnable.iter().any(|(b, _)| b.contains(needle)),
            "README \"Your data\" shows no example of {needle}"
        );
    }
    let failures = run_examples("README.md (Your data)", "readme_examples", &runnable);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The function names of `spillover functions` (the first word of each signature line).
fn registered_functions() -> BTreeSet<String> {
    let sb = Sandbox::new("docs_functions", &[]);
    let out = sb.command(&["functions"]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with(' ') && l.contains('('))
        .map(|l| l[..l.find('(').unwrap()].to_string())
        .collect()
}

/// The names called in the inline code spans of `text` outside code blocks: `name(` and
/// `x.name(` (in the first set), and `module::name(` (in the second).
fn called_in_inline_code(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut names = BTreeSet::new();
    let mut module_fns = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        for (k, span) in line.split('`').enumerate() {
            if k % 2 == 0 {
                continue;
            }
            let b = span.as_bytes();
            for (i, &c) in b.iter().enumerate() {
                if c != b'(' {
                    continue;
                }
                let start = span[..i]
                    .rfind(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .map_or(0, |p| p + 1);
                let name = &span[start..i];
                if !name.starts_with(|ch: char| ch.is_ascii_lowercase()) {
                    continue;
                }
                if span[..start].ends_with("::") {
                    module_fns.insert(name.to_string());
                } else {
                    names.insert(name.to_string());
                }
            }
        }
    }
    (names, module_fns)
}

#[test]
fn functions_named_in_the_scripting_guide_exist() {
    let text = std::fs::read_to_string(root("docs/scripting.md")).expect("docs/scripting.md exists");
    let registered = registered_functions();
    // Rhai's own functions that the guide mentions, and the functions of expressions (mutate,
    // compute and formula terms), which are written inside strings.
    let mut builtin = vec!["print", "type_of", "ln", "len"];
    builtin.extend(spillover::data::expr::elementwise_names());
    builtin.extend(spillover::data::mutate::PANEL_FUNCTIONS);
    let (called, module_fns) = called_in_inline_code(&text);
    assert!(
        called.len() >= 30,
        "only {} function names found in the guide: {called:?}",
        called.len()
    );
    let unknown: Vec<String> = called
        .into_iter()
        .filter(|n| !registered.contains(n) && !builtin.contains(&n.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/scripting.md names functions that `spillover functions` does not list: {unknown:?}"
    );
    // `study::name(` must be a function of the bundled study module.
    let stdlib = std::fs::read_to_string(root("stdlib/study.rhai")).unwrap();
    let absent: Vec<&String> = module_fns
        .iter()
        .filter(|n| !stdlib.contains(&format!("fn {n}(")))
        .collect();
    assert!(
        absent.is_empty(),
        "docs/scripting.md names study module functions that stdlib/study.rhai does not define: {absent:?}"
    );
}

/// The option names in the first column of the first table after the heading `heading` of the
/// guide (the backticked name of each row).
fn documented_options(text: &str, heading: &str) -> Vec<String> {
    let after = &text[text.find(heading).unwrap_or_else(|| panic!("no heading {heading}"))..];
    let mut names: Vec<String> = after
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| row.split('|').nth(1).unwrap_or("").trim().trim_matches('`').to_string())
        .collect();
    names.sort();
    names
}

/// `option_keys(func)` of the binary, sorted.
fn option_keys(func: &str) -> Vec<String> {
    let sb = Sandbox::new("docs_option_keys", &[]);
    let out = sb
        .command(&["eval", &format!("option_keys(\"{func}\")")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut keys: Vec<String> = serde_json::from_slice(&out.stdout).expect("a JSON array of names");
    keys.sort();
    keys
}

#[test]
fn option_tables_of_the_scripting_guide_list_every_option() {
    let text = std::fs::read_to_string(root("docs/scripting.md")).expect("docs/scripting.md exists");
    assert_eq!(
        documented_options(&text, "### Options of the spatial models"),
        option_keys("sdm"),
        "the spatial-model option table of docs/scripting.md against option_keys(\"sdm\")"
    );
    assert_eq!(
        documented_options(&text, "## 10. Effects"),
        option_keys("effects"),
        "the effects option table of docs/scripting.md against option_keys(\"effects\")"
    );
    for func in ["read_csv", "read_weights"] {
        assert_eq!(
            documented_options(&text, &format!("### Options of {func}")),
            option_keys(func),
            "the {func} option table of docs/scripting.md against option_keys(\"{func}\")"
        );
    }
}

#[test]
fn methods_sections_cited_by_the_scripting_guide_exist() {
    let heads = methods_headings();
    let text = std::fs::read_to_string(root("docs/scripting.md")).expect("docs/scripting.md exists");
    let cited = citations_with(&text, "docs/scripting.md", &["methods.md "]);
    assert!(
        cited.len() >= 5,
        "only {} methods.md citations in the guide",
        cited.len()
    );
    let missing: Vec<String> = cited
        .into_iter()
        .filter(|(_, key)| !heads.contains(key))
        .map(|(at, key)| format!("{at}: cites {key}"))
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
