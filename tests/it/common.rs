//! Shared helpers: paths to fixtures and look-ups of reference values by name.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Absolute path of a file under the crate root.
pub fn root(rel: &str) -> String {
    format!("{}/{}", env!("CARGO_MANIFEST_DIR"), rel)
}

/// Absolute path of a fixture file, e.g. `fixture("columbus/data.csv")`.
pub fn fixture(rel: &str) -> String {
    root(&format!("tests/fixtures/{rel}"))
}

/// Absolute path of a bundled city-cluster data file.
pub fn citycluster(rel: &str) -> String {
    root(&format!("examples/data/citycluster/{rel}"))
}

fn load(case: &str) -> HashMap<String, Value> {
    let text = std::fs::read_to_string(fixture(&format!("{case}/expected.json"))).expect("expected.json");
    let v: Value = serde_json::from_str(&text).expect("json");
    let mut m = HashMap::new();
    for f in v["figures"].as_array().expect("figures") {
        m.insert(f["name"].as_str().unwrap().to_string(), f["value"].clone());
    }
    m
}

/// The reference value called `name` in `case` ("columbus", "produc", "citycluster").
pub fn expected(case: &str, name: &str) -> f64 {
    expected_value(case, name)
        .as_f64()
        .unwrap_or_else(|| panic!("{case}: {name} is not a number"))
}

/// The reference list called `name`.
pub fn expected_list(case: &str, name: &str) -> Vec<f64> {
    expected_value(case, name)
        .as_array()
        .unwrap_or_else(|| panic!("{case}: {name} is not a list"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The raw JSON value called `name`, panicking with the name if absent.
pub fn expected_value(case: &str, name: &str) -> Value {
    expected_opt(case, name).unwrap_or_else(|| panic!("{case}: no reference value named {name}"))
}

/// The raw JSON value called `name`, if present.
pub fn expected_opt(case: &str, name: &str) -> Option<Value> {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<String, HashMap<String, Value>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    let figs = c.entry(case.to_string()).or_insert_with(|| load(case));
    figs.get(name).cloned()
}

/// Asserts |got − want| ≤ rel·max(|want|, floor) with a message naming the quantity.
#[track_caller]
pub fn assert_close(what: &str, got: f64, want: f64, rel: f64) {
    let tol = rel * want.abs().max(1e-3);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.12e}, want {want:.12e} (diff {:.3e}, tol {tol:.1e})",
        (got - want).abs()
    );
}

/// Asserts |got − want| ≤ abs.
#[track_caller]
pub fn assert_abs(what: &str, got: f64, want: f64, abs: f64) {
    assert!(
        (got - want).abs() <= abs,
        "{what}: got {got:.12e}, want {want:.12e} (diff {:.3e}, tol {abs:.1e})",
        (got - want).abs()
    );
}
