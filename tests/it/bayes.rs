//! Bayesian comparison of models and weight matrices (docs/methods.md §15) on produc,
//! `lgsp ~ lpcap + lpc + lemp + unemp` with splm's usaww, through the scripting functions
//! `model_probabilities` and `w_probabilities`.
//!
//! References (tests/fixtures/produc/expected_bayes.json, from the project's reference set):
//! * `compat: "lesage"` against SDPDmod `blmpSDPD` and an independent implementation of its
//!   formula (`BMC.*.lmarginal`, `.prob`);
//! * the default (exact) against METHODS Appendix F.5 (`lmarginal_default`, two-way) and against
//!   the exact integral with the peers' constant (`lmarginal_exact`, adaptive quadrature): the
//!   default's constant Γ(a)π^{−a} exceeds the peers' Γ(a)(2π)^{−a} by exactly a·ln 2, with
//!   a = (NT − p − dofadj)/2, so default = lmarginal_exact + a·ln 2 (closed form).
//!
//! Tolerance: 1e−6 relative on log-marginals and on probabilities.

use crate::common::{fixture, produc_prelude};
use serde_json::Value;
use spillover::report::table::Cell;
use spillover::report::Table;
use std::collections::HashMap;
use std::sync::OnceLock;

const MODELS: [&str; 5] = ["SAR", "SDM", "SEM", "SDEM", "SLX"];
const W_NAMES: [&str; 3] = ["usaww", "knn5", "order2"];
const REL: f64 = 1e-6;
/// Produc: N states, T years, K regressors.
const N: usize = 48;
const T: usize = 17;
const K: usize = 4;

fn reference(name: &str) -> f64 {
    static FIGS: OnceLock<HashMap<String, f64>> = OnceLock::new();
    let figs = FIGS.get_or_init(|| {
        let text = std::fs::read_to_string(fixture("produc/expected_bayes.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].as_str().unwrap().to_string(), f["value"].as_f64().unwrap()))
            .collect()
    });
    *figs.get(name).unwrap_or_else(|| panic!("no reference value {name}"))
}

#[track_caller]
fn close(what: &str, got: f64, want: f64) {
    let err = (got - want).abs() / want.abs();
    assert!(
        err <= REL,
        "{what}: got {got:.12e}, want {want:.12e}, relative error {err:.2e}"
    );
}

/// The script prelude: produc as a panel with the logs, its W and the formula.
fn prelude() -> String {
    produc_prelude(&format!(
        "let knn5 = read_weights({knn5:?}); let order2 = read_weights({order2:?});",
        knn5 = fixture("produc/weights_alt_knn5.csv"),
        order2 = fixture("produc/weights_alt_order2.csv"),
    ))
}

fn eval(call: &str) -> Result<Table, String> {
    crate::common::eval_table(&prelude(), call)
}

fn table(call: &str) -> Table {
    eval(call).unwrap_or_else(|e| panic!("{call}: {e}"))
}

/// (log_marginal, probability) of the row named `row`.
fn row(t: &Table, row: &str) -> (f64, f64) {
    let r = t.row_named(row).unwrap_or_else(|e| panic!("{e}"));
    let col = |name: &str| {
        let j = t.columns.iter().position(|c| c == name).unwrap();
        match r[j] {
            Cell::Num(v) => v,
            ref c => panic!("{row}.{name} is {c:?}"),
        }
    };
    (col("log_marginal"), col("probability"))
}

/// a = (NT − p − dofadj)/2 for a model with p regressors under `eff`.
fn a_of(model: &str, eff: &str) -> f64 {
    let p = if matches!(model, "SDM" | "SDEM" | "SLX") {
        2 * K
    } else {
        K
    };
    let dofadj = if eff == "individual" { N } else { N + T - 1 };
    (N * T - p - dofadj) as f64 / 2.0
}

/// Probabilities exp(L_j − max L)/Σ exp(L_i − max L).
fn softmax(l: &[f64]) -> Vec<f64> {
    let m = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = l.iter().map(|v| (v - m).exp()).sum();
    l.iter().map(|v| (v - m).exp() / s).collect()
}

fn check_lesage(eff: &str, prior: &str) {
    let t = table(&format!(
        r#"model_probabilities(p, f, w, #{{models: ["sar", "sdm", "sem", "sdem", "slx"], fe: "{eff}", compat: "lesage", prior: "{prior}"}})"#
    ));
    assert_eq!(t.columns[..3], ["model", "log_marginal", "probability"]);
    for (i, m) in MODELS.iter().enumerate() {
        assert_eq!(t.rows[i][0], Cell::Text(m.to_string()));
        let (lm, pr) = row(&t, m);
        let tag = format!("BMC.static.{eff}.noLY.{prior}");
        close(
            &format!("{tag}.lmarginal[{m}]"),
            lm,
            reference(&format!("{tag}.lmarginal[{m}]")),
        );
        close(&format!("{tag}.prob[{m}]"), pr, reference(&format!("{tag}.prob[{m}]")));
    }
}

fn check_exact(eff: &str, prior: &str) {
    let t = table(&format!(
        r#"model_probabilities(p, f, w, #{{fe: "{eff}", prior: "{prior}"}})"#
    ));
    let tag = format!("BMC.static.{eff}.noLY.{prior}");
    let want: Vec<f64> = MODELS
        .iter()
        .map(|m| reference(&format!("{tag}.lmarginal_exact[{m}]")) + a_of(m, eff) * std::f64::consts::LN_2)
        .collect();
    let probs = softmax(&want);
    for (i, m) in MODELS.iter().enumerate() {
        let (lm, pr) = row(&t, m);
        close(&format!("{tag} default lmarginal[{m}]"), lm, want[i]);
        close(&format!("{tag} default prob[{m}]"), pr, probs[i]);
    }
}

#[test]
fn lesage_reproduces_blmpsdpd_individual_uniform() {
    check_lesage("individual", "uniform");
}

#[test]
fn lesage_reproduces_blmpsdpd_twoways_uniform() {
    check_lesage("twoways", "uniform");
}

#[test]
fn lesage_reproduces_blmpsdpd_beta_prior() {
    check_lesage("individual", "beta");
    check_lesage("twoways", "beta");
}

#[test]
fn default_is_the_exact_marginal_of_appendix_f5() {
    // The default options: two-way effects, exact, uniform prior, the five models.
    let t = table("model_probabilities(p, f, w)");
    assert_eq!(t.rows.len(), 5);
    for m in ["SAR", "SDM", "SEM", "SDEM"] {
        let (lm, _) = row(&t, m);
        close(
            &format!("F.5 exact {m}"),
            lm,
            reference(&format!("BMC.static.twoways.noLY.uniform.lmarginal_default[{m}]")),
        );
    }
    check_exact("twoways", "uniform");
}

#[test]
fn default_is_the_exact_marginal_individual_and_beta() {
    check_exact("individual", "uniform");
    check_exact("individual", "beta");
    check_exact("twoways", "beta");
}

#[test]
fn exact_integral_does_not_depend_on_the_grid() {
    let fine = table(r#"model_probabilities(p, f, w, #{models: ["sar", "sem"], grid_step: 0.0002})"#);
    for m in ["SAR", "SEM"] {
        close(
            &format!("grid 0.0002 {m}"),
            row(&fine, m).0,
            reference(&format!("BMC.static.twoways.noLY.uniform.lmarginal_default[{m}]")),
        );
    }
}

fn check_weights(eff: &str, model: &str, compat: &str) {
    let t = table(&format!(
        r#"w_probabilities(p, f, [w, knn5, order2], #{{model: "{}", names: ["usaww", "knn5", "order2"], fe: "{eff}", compat: "{compat}"}})"#,
        model.to_lowercase()
    ));
    let tag = format!("BMC.Wcomp.{eff}.{model}");
    let want: Vec<(f64, f64)> = if compat == "lesage" {
        W_NAMES
            .iter()
            .map(|w| {
                (
                    reference(&format!("{tag}.lmarginal[{w}]")),
                    reference(&format!("{tag}.prob[{w}]")),
                )
            })
            .collect()
    } else {
        let shift = a_of(model, eff) * std::f64::consts::LN_2;
        W_NAMES
            .iter()
            .map(|w| {
                (
                    reference(&format!("{tag}.lmarginal_exact[{w}]")) + shift,
                    reference(&format!("{tag}.prob_exact[{w}]")),
                )
            })
            .collect()
    };
    for (i, w) in W_NAMES.iter().enumerate() {
        assert_eq!(t.rows[i][0], Cell::Text(w.to_string()));
        let (lm, pr) = row(&t, w);
        close(&format!("{tag} {compat} lmarginal[{w}]"), lm, want[i].0);
        close(&format!("{tag} {compat} prob[{w}]"), pr, want[i].1);
    }
}

#[test]
fn weights_comparison_lesage() {
    for eff in ["individual", "twoways"] {
        for model in MODELS {
            check_weights(eff, model, "lesage");
        }
    }
}

#[test]
fn weights_comparison_exact() {
    for eff in ["individual", "twoways"] {
        for model in ["SDM", "SEM", "SLX"] {
            check_weights(eff, model, "exact");
        }
    }
}

#[test]
fn weights_rows_default_to_w1_w2() {
    let t = table(r#"w_probabilities(p, f, [w, knn5], #{model: "sar"})"#);
    assert_eq!(t.rows[0][0], Cell::Text("W1".into()));
    assert_eq!(t.rows[1][0], Cell::Text("W2".into()));
    // The script can read a row by name, as in the docs.
    let engine = spillover::script::new_engine(None);
    let p: f64 = engine
        .eval(&format!(
            "{}\nmodel_probabilities(p, f, w, #{{models: [\"sdm\", \"sem\"]}})[\"SDM\"].probability",
            prelude()
        ))
        .unwrap();
    assert!(p > 0.0 && p < 0.01, "{p}");
}

#[track_caller]
fn fails(call: &str, keys: &[&str]) {
    let err = eval(call).map(|_| ()).expect_err(call);
    for k in keys {
        assert!(err.contains(k), "{call}: error lacks '{k}': {err}");
    }
}

#[test]
fn errors_name_the_fix() {
    fails(
        r#"model_probabilities(p, f, w, #{models: ["sar", "sdmm"]})"#,
        &["unknown model 'sdmm'", "\"sdm\""],
    );
    fails(
        r#"model_probabilities(p, f, w, #{models: ["sdm"]})"#,
        &["at least two models", "models"],
    );
    fails(
        r#"model_probabilities(p, f, w, #{models: ["sdm", "sdm"]})"#,
        &["twice", "once"],
    );
    // W on 47 of the 48 states.
    fails(
        r#"model_probabilities(p, f, w.subset(w.ids().filter(|i| i != "ALABAMA")), #{models: ["sar", "sdm"]})"#,
        &["47", "48", "subset"],
    );
    fails(
        r#"w_probabilities(p, f, [w, w.subset(w.ids().filter(|i| i != "ALABAMA"))], #{names: ["a", "b"]})"#,
        &["b:", "47", "48"],
    );
    fails(r#"w_probabilities(p, f, [w])"#, &["at least two", "[w1, w2]"]);
    fails(
        r#"w_probabilities(p, f, [w, knn5], #{names: ["a"]})"#,
        &["one name per W"],
    );
    fails(r#"w_probabilities(p, f, [w, 3])"#, &["element 2", "Weights"]);
    fails(
        r#"model_probabilities(p, f, w, #{compat: "matlab"})"#,
        &["compat", "lesage"],
    );
    fails(r#"model_probabilities(p, f, w, #{a0: 2.0})"#, &["prior: \"beta\""]);
    fails(
        r#"model_probabilities(p, f, w, #{fe: "random"})"#,
        &["random", "twoways"],
    );
}
