//! Issue 14, the stdlib items: tests/scripts/study_stdlib.rhai calls every exported function of
//! stdlib/study.rhai (checked here) and passes; the sections of `study::run` write their files;
//! the native `formula_terms` is the estimators' parser.

use crate::common::root;
use spillover::models::Formula;
use std::path::{Path, PathBuf};

const SCRIPT: &str = "tests/scripts/study_stdlib.rhai";

/// The exported functions of a Rhai module's source: the names of `fn NAME(` at the start of a
/// line (`private fn` is not exported).
fn exported_functions(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|l| l.strip_prefix("fn "))
        .map(|l| l.split('(').next().unwrap_or("").trim().to_string())
        .collect()
}

/// Runs `src` through the engine as `spillover run` does, with `args` as ARGS, from the project
/// root (the script's paths are relative to it).
fn run_engine(src: &str, args: &[&str]) -> Result<(), String> {
    std::env::set_current_dir(root("")).unwrap();
    let engine = spillover::script::new_engine(Some(Path::new(&root("tests/scripts"))));
    let mut scope = rhai::Scope::new();
    let a: rhai::Array = args.iter().map(|s| rhai::Dynamic::from(s.to_string())).collect();
    scope.push_constant("ARGS", a);
    engine
        .run_with_scope(&mut scope, src)
        .map_err(|e| spillover::script::format_error(&e, SCRIPT))
}

/// The names of the files in `dir`, sorted, without hidden ones (the study's marker file).
fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

#[test]
fn study_stdlib_script_calls_every_exported_function() {
    let module = std::fs::read_to_string(root("stdlib/study.rhai")).unwrap();
    let script = std::fs::read_to_string(root(SCRIPT)).unwrap();
    let fns = exported_functions(&module);
    assert!(fns.len() >= 20 && fns.iter().any(|f| f == "run"), "{fns:?}");
    let missing: Vec<&String> = fns
        .iter()
        .filter(|f| !script.contains(&format!("study::{f}(")))
        .collect();
    assert!(missing.is_empty(), "{SCRIPT} does not call study::{missing:?}");
    assert!(script.contains("import \"study\" as study;"));
}

#[test]
fn study_stdlib_script_passes_and_sections_write_their_files() {
    let dir: PathBuf = std::env::temp_dir().join(format!("spillover_it_study_stdlib_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = std::fs::read_to_string(root(SCRIPT)).unwrap();
    run_engine(&src, &[dir.to_str().unwrap()]).unwrap_or_else(|e| panic!("{e}"));
    // run: the 33 files of the study (the README's list), nothing from the refused spec
    let study = files_in(&dir.join("study"));
    assert_eq!(study.len(), 33, "{study:?}");
    for f in [
        "report.md",
        "report.html",
        "report.docx",
        "table5_spatial_models.csv",
        "fig_effects_by_group.png",
        "indices_check.tex",
    ] {
        assert!(study.iter().any(|s| s == f), "missing {f} in {study:?}");
    }
    // the sections called one by one write the same files, except the reports (run's own)
    let sections = files_in(&dir.join("sections"));
    let expected: Vec<String> = study.iter().filter(|f| !f.starts_with("report.")).cloned().collect();
    assert_eq!(sections, expected);
    let top = files_in(&dir);
    assert!(
        !top.iter().any(|f| f.contains("typo") || f.contains("staging")),
        "{top:?}"
    );
    // the numbers in a section's CSV are the study's: Table 5 of the sections equals run's
    let a = std::fs::read_to_string(dir.join("sections/table5_spatial_models.csv")).unwrap();
    let b = std::fs::read_to_string(dir.join("study/table5_spatial_models.csv")).unwrap();
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn formula_terms_is_the_estimators_parser() {
    let ok: [(&str, &str, &[&str]); 3] = [
        ("y ~ a + b", "y", &["a", "b"]),
        ("y ~ 1 + a", "y", &["a"]),
        ("  growth~ x1+x2 +x3 ", "growth", &["x1", "x2", "x3"]),
    ];
    let engine = spillover::script::new_engine(None);
    for (formula, outcome, terms) in ok {
        let core = Formula::parse(formula).unwrap();
        assert_eq!(
            (core.depvar.as_str(), core.regressors.as_slice()),
            (outcome, &terms.iter().map(|t| t.to_string()).collect::<Vec<_>>()[..])
        );
        let m = engine
            .eval::<rhai::Map>(&format!("formula_terms({formula:?})"))
            .unwrap_or_else(|e| panic!("{formula}: {e}"));
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m["outcome"].to_string(), outcome);
        let got: Vec<String> = m["terms"]
            .clone()
            .into_array()
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(got, terms);
    }
    for formula in ["y ~ a + ", "y ~ a + rho", "y ~ a + a", "y ~ 1", "y a", " ~ a"] {
        let core = Formula::parse(formula).expect_err(formula);
        let err = engine
            .eval::<rhai::Map>(&format!("formula_terms({formula:?})"))
            .expect_err(formula)
            .to_string();
        assert!(err.contains(&core.to_string()), "{formula}: {err} vs the core's {core}");
    }
}

#[test]
fn key_text_is_the_cores_key() {
    let engine = spillover::script::new_engine(None);
    for (value, want) in [
        ("2001.0", "2001"),
        ("7", "7"),
        ("\" C01 \"", "C01"),
        ("0.1", "0.1"),
        ("\"001\"", "001"),
    ] {
        let got = engine
            .eval::<rhai::ImmutableString>(&format!("key_text({value})"))
            .unwrap();
        assert_eq!(got.as_str(), want, "key_text({value})");
    }
    let err = engine.eval::<rhai::Dynamic>("key_text([1])").unwrap_err().to_string();
    assert!(err.contains("key_text") && err.contains("array"), "{err}");
}

/// A study whose formula transforms its variables (issue 15): Table 2 describes the terms as
/// written, the models read the same values, and interactions and factors are not described.
#[test]
fn study_runs_a_formula_with_transformed_terms() {
    let data = std::fs::read(root("examples/data/produc/data.csv")).unwrap();
    let w = std::fs::read(root("examples/data/produc/weights.csv")).unwrap();
    let sb = crate::sandbox::Sandbox::new("study_terms", &[("data.csv", &data), ("w.csv", &w)]);
    let out = sb.succeeds(
        r#"import "study" as study;
let r = study::run(#{
    data: "data.csv", id: "id", time: "time",
    formula: "log(gsp) ~ log(pcap) + unemp + I(emp / 1000) + log(pcap):unemp",
    weights: #{kind: "file", path: "w.csv"},
    effects: #{draws: 20, seed: 1},
    out: "out",
});
print(r.files.len());
let p = panel(read_csv("data.csv"), "id", "time");
let m = sdm(p, "log(gsp) ~ log(pcap) + unemp + I(emp / 1000) + log(pcap):unemp", read_weights("w.csv"), #{fe: "twoways"});
print(`rho=${m.rho}`);
"#,
    );
    let t2 = std::fs::read_to_string(sb.path("out/table2_descriptives.csv")).unwrap();
    assert!(t2.contains("log(pcap)") && t2.contains("I(emp/1000)"), "{t2}");
    assert!(!t2.contains("log(pcap):unemp"), "{t2}");
    // Table 5's SDM under the study's default (two-way FE) is the direct fit's.
    let t5 = std::fs::read_to_string(sb.path("out/table5_spatial_models.csv")).unwrap();
    let rho = out.lines().find_map(|l| l.strip_prefix("rho=")).unwrap();
    let rho: f64 = rho.trim().parse().unwrap();
    let sdm_rho: f64 = t5
        .lines()
        .find_map(|l| l.strip_prefix("(3) SDM,rho,"))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no SDM rho row in Table 5:\n{t5}"))
        .parse()
        .unwrap();
    assert!(
        (sdm_rho - rho).abs() <= 1e-12 * rho.abs(),
        "study {sdm_rho} vs direct {rho}"
    );
}
