//! Runs every tests/scripts/*.rhai through the engine, as users run scripts, and checks the
//! command-line interface of the binary.

use crate::common::root;
use std::process::Command;

fn engine_run(path: &str) -> Result<(), String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let dir = std::path::Path::new(path).parent().map(|p| p.to_path_buf());
    let engine = spillover::script::new_engine(dir.as_deref());
    let mut scope = rhai::Scope::new();
    scope.push_constant("ARGS", rhai::Array::new());
    engine
        .run_with_scope(&mut scope, &src)
        .map_err(|e| spillover::script::format_error(&e, path))
}

#[test]
fn rhai_test_scripts_pass() {
    std::env::set_current_dir(root("")).unwrap();
    let mut failures = Vec::new();
    let mut count = 0;
    let mut entries: Vec<_> = std::fs::read_dir(root("tests/scripts"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.extension().is_some_and(|e| e == "rhai") {
            count += 1;
            if let Err(e) = engine_run(p.to_str().unwrap()) {
                failures.push(e);
            }
        }
    }
    assert!(count > 0, "no test scripts found");
    assert!(
        failures.is_empty(),
        "{} script(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spillover"));
    c.current_dir(root(""));
    c
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("spillover_it_{tag}_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn run_reports_file_line_column_and_exit_1() {
    let d = tmpdir("err");
    let f = d.join("bad.rhai");
    std::fs::write(&f, "let x = 1;\nlet y = read_csv(\"nope.csv\");\n").unwrap();
    let out = bin().args(["run", f.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.rhai:2:") && err.contains("nope.csv"), "{err}");
    std::fs::write(&f, "let x = [1, 2;\n").unwrap();
    let out = bin().args(["run", f.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.rhai:1:"));
}

#[test]
fn run_passes_args_and_eval_prints() {
    let d = tmpdir("args");
    let f = d.join("a.rhai");
    std::fs::write(&f, "print(ARGS[0] + ARGS.len());").unwrap();
    let out = bin().args(["run", f.to_str().unwrap(), "hello", "x"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hello2");
    let out = bin().args(["eval", "mean([1, 2, 3.0])"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2.0");
}

#[test]
fn functions_lists_signatures_and_docs() {
    let out = bin().arg("functions").output().unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("read_csv(path: string) -> Frame"), "{s}");
    assert!(s.contains("balanced panel"), "doc lines present");
}

#[test]
fn piped_repl_evaluates_survives_errors_and_quits() {
    use std::io::Write;
    let mut child = bin()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"let x = 20;\nfn twice(v) {\n  v * 2\n}\nnot_a_function(1)\ntwice(x) + 2\n:help read_csv\n:quit\nprint(\"not reached\");\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let so = String::from_utf8_lossy(&out.stdout);
    let se = String::from_utf8_lossy(&out.stderr);
    assert!(so.contains("42"), "{so}");
    assert!(so.contains("read_csv(path: string) -> Frame"), "{so}");
    assert!(!so.contains("not reached"));
    assert!(se.contains("not_a_function"), "{se}");
    assert!(out.status.success());
}

#[test]
fn main_study_script_runs() {
    let d = tmpdir("study");
    let out = bin()
        .args(["run", "scripts/resilience_study.rhai", d.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(d.join("table2_descriptives.md").exists());
}

#[test]
fn import_finds_bundled_stdlib() {
    let out = bin()
        .args([
            "eval",
            "import \"study\" as s; s::load_panel(\"examples/data/citycluster/city_year.csv\", \"id\", \"time\").n",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "176",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
