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

/// Unit ids "1".."n".
pub fn ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| i.to_string()).collect()
}

/// A ring of `n` ≥ 2 units (ids "1".."n"): unit i neighbours i − 1 and i + 1 (mod n), weight 1
/// (for n = 2 the two units are each other's only neighbour, once), standardised by `kind`.
pub fn ring(n: usize, kind: spillover::weights::Standardization) -> spillover::weights::Weights {
    let mut t = Vec::new();
    for i in 0..n {
        let (prev, next) = ((i + n - 1) % n, (i + 1) % n);
        t.push((i, next, 1.0));
        if prev != next {
            t.push((i, prev, 1.0));
        }
    }
    spillover::weights::Weights::from_triplets(ids(n), &t, kind, false).unwrap()
}

/// The weights file `path` (e.g. a fixture's `weights.csv`) read by the library's reader, with
/// its units put in the order `ids`.
pub fn weights_in_order(path: &str, ids: &[String]) -> spillover::weights::Weights {
    spillover::weights::io::read_weights(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .aligned_to(ids)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Columbus as a cross-section design `CRIME ~ INC + HOVAL` (rows in the data's order, ids
/// POLYID) and its W read by the library's reader and aligned to those ids.
pub fn columbus() -> (spillover::models::Design, spillover::weights::Weights) {
    use spillover::data::csv::{read_csv, CsvOptions};
    use spillover::models::{Design, Formula};
    let f = read_csv(&fixture("columbus/data.csv"), &CsvOptions::default()).unwrap();
    let d = Design::from_frame(&f, &Formula::parse("CRIME ~ INC + HOVAL").unwrap(), Some("POLYID")).unwrap();
    let w = weights_in_order(&fixture("columbus/weights.csv"), &d.ids);
    (d, w)
}

/// docs/methods.md Appendix B: Ybar_i = i + 0.5 sin(i), W = rowstd(1/|Ybar_i − Ybar_j|), N = 12.
pub fn appendix_b_w() -> spillover::weights::Weights {
    use spillover::weights::{Standardization, Weights};
    let n = 12;
    let ybar: Vec<f64> = (1..=n).map(|i| i as f64 + 0.5 * (i as f64).sin()).collect();
    let mut trip = Vec::new();
    for i in 0..n {
        for j in 0..n {
            if i != j {
                trip.push((i, j, 1.0 / (ybar[i] - ybar[j]).abs()));
            }
        }
    }
    Weights::from_triplets(ids(n), &trip, Standardization::Row, false).unwrap()
}

/// docs/methods.md Appendix B deterministic panel (N = 12, T = 6, time-slow):
/// y_t = (I − 0.3W)⁻¹(X_t[1, −0.5]' + W X_t[0.4, 0.2]' + μ + ξ_t ι + ε_t), solved by a dense LU.
pub fn appendix_b() -> (spillover::models::Design, spillover::weights::Weights) {
    use faer::linalg::solvers::Solve;
    let (n, t) = (12usize, 6usize);
    let w = appendix_b_w();
    let wd = w.to_dense();
    let a = faer::Mat::<f64>::from_fn(n, n, |i, j| f64::from(u8::from(i == j)) - 0.3 * wd[i * n + j]);
    let lu = a.partial_piv_lu();
    let (mut y, mut x1, mut x2) = (Vec::new(), Vec::new(), Vec::new());
    for tt in 1..=t {
        let tf = tt as f64;
        let x1t: Vec<f64> = (1..=n)
            .map(|i| (0.7 * i as f64 + 1.3 * tf).sin() + 0.1 * i as f64)
            .collect();
        let x2t: Vec<f64> = (1..=n).map(|i| (1.1 * i as f64 - 0.4 * tf).cos() + 0.05 * tf).collect();
        let (wx1, wx2) = (w.lag(&x1t), w.lag(&x2t));
        let xi = 0.3 * tf - 0.02 * tf * tf;
        let rhs = faer::Mat::<f64>::from_fn(n, 1, |k, _| {
            let i = (k + 1) as f64;
            let eps = 0.4 * (1.7 * i * tf + 0.3 * i + 0.9 * tf).sin();
            x1t[k] - 0.5 * x2t[k] + 0.4 * wx1[k] + 0.2 * wx2[k] + 0.5 * i.cos() + xi + eps
        });
        let yt = lu.solve(&rhs);
        y.extend((0..n).map(|k| yt[(k, 0)]));
        x1.extend(x1t);
        x2.extend(x2t);
    }
    let design = spillover::models::Design {
        intercept: true,
        factor_of: Vec::new(),
        depvar: "y".into(),
        names: vec!["x1".into(), "x2".into()],
        y,
        x: vec![x1, x2],
        n,
        t,
        ids: w.ids().to_vec(),
        times: (1..=t).map(|s| s.to_string()).collect(),
    };
    (design, w)
}

/// The insurance model of the reference (`tests/fixtures/insurance/README.md`): the time-varying
/// regressors, the same for fixed and random effects.
pub const INSURANCE_F: &str = "lppcd ~ lrgdp + lbank + lden + rirs + lagen + school + vaagr + fam";

/// The design of [`INSURANCE_F`] on the insurance panel (103 provinces × 5 years).
pub fn insurance_design() -> spillover::models::Design {
    let f = spillover::data::csv::read_csv(&fixture("insurance/data.csv"), &Default::default()).unwrap();
    let p = spillover::data::Panel::new(&f, "id", "time").unwrap();
    spillover::models::Design::from_panel(&p, &spillover::models::Formula::parse(INSURANCE_F).unwrap()).unwrap()
}

/// The design of `lgsp ~ lpcap + lpc + lemp + unemp` on produc, the logs computed here (the
/// names of the reference values).
pub fn produc_log_design() -> spillover::models::Design {
    produc_log_design_with("lgsp ~ lpcap + lpc + lemp + unemp")
}

/// The design of `formula` over produc with the logged columns lgsp, lpcap, lpc, lemp (panel
/// columns id, time).
pub fn produc_log_design_with(formula: &str) -> spillover::models::Design {
    use spillover::data::Column;
    let f = spillover::data::csv::read_csv(&fixture("produc/data.csv"), &Default::default()).unwrap();
    let mut g = f.clone();
    for (new, old) in [("lgsp", "gsp"), ("lpcap", "pcap"), ("lpc", "pc"), ("lemp", "emp")] {
        let v: Vec<f64> = f.numeric(old).unwrap().iter().map(|x| x.ln()).collect();
        g = g.with_column(new, Column::Num(v)).unwrap();
    }
    let p = spillover::data::Panel::new(&g, "id", "time").unwrap();
    let formula = spillover::models::Formula::parse(formula).unwrap();
    spillover::models::Design::from_panel(&p, &formula).unwrap()
}

/// The produc panel of [`produc_log_design`] with the weights of `produc/weights.csv` in its
/// unit order, built once per test binary.
pub fn produc_log() -> &'static (spillover::models::Design, spillover::weights::Weights) {
    static P: std::sync::OnceLock<(spillover::models::Design, spillover::weights::Weights)> =
        std::sync::OnceLock::new();
    P.get_or_init(|| {
        let d = produc_log_design();
        let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
        (d, w)
    })
}

/// The numeric figures (`figures[].name` → `value`) of a fixture JSON file such as
/// `produc/expected_dynamic.json`.
pub fn figure_map(rel: &str) -> std::collections::HashMap<String, f64> {
    let text = std::fs::read_to_string(fixture(rel)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| Some((f["name"].as_str()?.to_string(), f["value"].as_f64()?)))
        .collect()
}

/// Asserts |got − want| ≤ rel·|want| (purely relative) with a message naming the quantity.
#[track_caller]
pub fn assert_rel(what: &str, got: f64, want: f64, rel: f64) {
    let err = (got - want).abs() / want.abs();
    assert!(
        err <= rel,
        "{what}: got {got:.12e}, want {want:.12e}, relative error {err:.2e} > {rel:.0e}"
    );
}

/// Runs `prelude` then `call` in a fresh engine and returns the Table the script ends with (or
/// the script error as text).
pub fn eval_table(prelude: &str, call: &str) -> Result<spillover::report::table::Table, String> {
    let engine = spillover::script::new_engine(None);
    engine
        .eval::<spillover::script::STable>(&format!("{prelude}\n{call}"))
        .map(|t| (*t.0).clone())
        .map_err(|e| e.to_string())
}

/// A script that reads the produc fixture: `d` (with the log columns), the panel `p`, the
/// weights `w` and the formula `f`, followed by the script lines `then`.
pub fn produc_prelude(then: &str) -> String {
    format!(
        r#"
        let d = read_csv({data:?});
        let d = d.mutate(#{{lgsp: "log(gsp)", lpcap: "log(pcap)", lpc: "log(pc)", lemp: "log(emp)"}});
        let p = panel(d, "id", "time");
        let w = read_weights({w:?});
        let f = "lgsp ~ lpcap + lpc + lemp + unemp";
        {then}
        "#,
        data = fixture("produc/data.csv"),
        w = fixture("produc/weights.csv"),
    )
}
