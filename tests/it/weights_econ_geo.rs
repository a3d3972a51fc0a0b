//! Issue 18 items of docs/methods.md §15.4–15.5 and §16.3–16.4:
//! * `weights_econ_geo` (the one-call economic–geographic nested W) against `weights_nested` on
//!   the same inputs and against rowstd(W_d·diag(Ȳ)) built by hand here; `base_year`;
//! * `w.summary()` of a nested W (form, α, ω_min, ω_max, row-stochastic) and the record of
//!   `add_link` / `remove_link` edits;
//! * the Bayesian comparison on Lee–Yu transformed data (`lee_yu: true`): `compat: "lesage"`
//!   against SDPDmod `blmpSDPD(LYtrans = TRUE)` and an independent implementation of its formula
//!   (tests/fixtures/produc/expected_bayes_ly.json, `BMC.static.*.LY.*`), and the exact default
//!   against the log-marginal computed independently here (closed-form pieces, Simpson rule).

use crate::common::{eval_table, figure_map, fixture, produc_log};
use spillover::report::table::Cell;
use spillover::report::Table;
use std::collections::HashMap;
use std::sync::OnceLock;

const MODELS: [&str; 5] = ["SAR", "SDM", "SEM", "SDEM", "SLX"];
const REL: f64 = 1e-6;

fn ly_reference(name: &str) -> f64 {
    static FIGS: OnceLock<HashMap<String, f64>> = OnceLock::new();
    *FIGS
        .get_or_init(|| figure_map("produc/expected_bayes_ly.json"))
        .get(name)
        .unwrap_or_else(|| panic!("no reference value {name}"))
}

/// The script prelude: produc as a panel with the logs, its W and the formula.
fn produc_prelude() -> String {
    format!(
        r#"
        let d = read_csv({data:?});
        let d = d.mutate(#{{lgsp: "log(gsp)", lpcap: "log(pcap)", lpc: "log(pc)", lemp: "log(emp)"}});
        let p = panel(d, "id", "time");
        let w = read_weights({w:?});
        let f = "lgsp ~ lpcap + lpc + lemp + unemp";
        "#,
        data = fixture("produc/data.csv"),
        w = fixture("produc/weights.csv"),
    )
}

fn produc_table(call: &str) -> Table {
    eval_table(&produc_prelude(), call).unwrap_or_else(|e| panic!("{call}: {e}"))
}

fn num(t: &Table, row: &str, col: &str) -> f64 {
    let r = t.row_named(row).unwrap_or_else(|e| panic!("{e}"));
    let j = t.columns.iter().position(|c| c == col).unwrap();
    match r[j] {
        Cell::Num(v) => v,
        ref c => panic!("{row}.{col} is {c:?}"),
    }
}

#[track_caller]
fn close(what: &str, got: f64, want: f64) {
    crate::common::assert_rel(what, got, want, REL);
}

fn check_ly_lesage(eff: &str, prior: &str) {
    let t = produc_table(&format!(
        r#"model_probabilities(p, f, w, #{{models: ["sar", "sdm", "sem", "sdem", "slx"], fe: "{eff}", compat: "lesage", prior: "{prior}", lee_yu: true}})"#
    ));
    let tag = format!("BMC.static.{eff}.LY.{prior}");
    for m in MODELS {
        close(
            &format!("{tag}.lmarginal[{m}]"),
            num(&t, m, "log_marginal"),
            ly_reference(&format!("{tag}.lmarginal[{m}]")),
        );
        close(
            &format!("{tag}.prob[{m}]"),
            num(&t, m, "probability"),
            ly_reference(&format!("{tag}.prob[{m}]")),
        );
    }
}

#[test]
fn lee_yu_lesage_reproduces_blmpsdpd_individual() {
    check_ly_lesage("individual", "uniform");
    check_ly_lesage("individual", "beta");
}

#[test]
fn lee_yu_lesage_reproduces_blmpsdpd_twoways() {
    check_ly_lesage("twoways", "uniform");
    check_ly_lesage("twoways", "beta");
}

/// Solves the small SPD system A x = b (row-major p×p) by Gaussian elimination and returns
/// (x, ln|A|).
fn solve_small(a: &[f64], b: &[f64], p: usize) -> (Vec<f64>, f64) {
    let mut m: Vec<Vec<f64>> = (0..p)
        .map(|i| {
            let mut r = a[i * p..(i + 1) * p].to_vec();
            r.push(b[i]);
            r
        })
        .collect();
    let mut logdet = 0.0;
    for k in 0..p {
        let piv = (k..p).max_by(|&i, &j| m[i][k].abs().total_cmp(&m[j][k].abs())).unwrap();
        m.swap(k, piv);
        logdet += m[k][k].abs().ln();
        for i in k + 1..p {
            let f = m[i][k] / m[k][k];
            for j in k..=p {
                m[i][j] -= f * m[k][j];
            }
        }
    }
    let mut x = vec![0.0; p];
    for k in (0..p).rev() {
        let s: f64 = (k + 1..p).map(|j| m[k][j] * x[j]).sum();
        x[k] = (m[k][p] - s) / m[k][k];
    }
    (x, logdet)
}

/// Unit (individual) demeaning of a time-slow NT column.
fn demean_units(v: &[f64], n: usize) -> Vec<f64> {
    let t = v.len() / n;
    let mut mean = vec![0.0; n];
    for (k, x) in v.iter().enumerate() {
        mean[k % n] += x / t as f64;
    }
    v.iter().enumerate().map(|(k, x)| x - mean[k % n]).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The exact log-marginal of SAR (`durbin` false) or SDM on Lee–Yu transformed data with
/// individual effects, computed here from its definition (docs/methods.md §15.2, §15.5): F_T is
/// orthonormal with F_T F_T' = I − J/T, so the transformed cross-products are those of the
/// unit-demeaned data and W* = W; n* = N(T − 1), a = (n* − p)/2 (the effects are gone from the
/// transformed sample), constant Γ(a)π^(−a), the uniform prior on (1/ω_min, 1/ω_max), the
/// log-Jacobian (T − 1)·ln|I − ρW|, and the integral by Simpson's rule on 40,000 intervals.
fn exact_ly_individual(durbin: bool) -> f64 {
    let (d, w) = produc_log();
    let (n, t) = (d.n, d.t);
    let mut cols: Vec<Vec<f64>> = d.x.iter().map(|c| demean_units(c, n)).collect();
    if durbin {
        let lagged: Vec<Vec<f64>> = d.x.iter().map(|c| demean_units(&w.lag_panel(c), n)).collect();
        cols.extend(lagged);
    }
    let p = cols.len();
    let y = demean_units(&d.y, n);
    let wy = demean_units(&w.lag_panel(&d.y), n);
    let mut zz = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            zz[i * p + j] = dot(&cols[i], &cols[j]);
        }
    }
    let resid = |v: &[f64]| -> (Vec<f64>, f64) {
        let zy: Vec<f64> = cols.iter().map(|c| dot(c, v)).collect();
        let (b, ld) = solve_small(&zz, &zy, p);
        let e = (0..v.len())
            .map(|k| v[k] - (0..p).map(|j| cols[j][k] * b[j]).sum::<f64>())
            .collect();
        (e, ld)
    };
    let (e0, lnzz) = resid(&y);
    let (ed, _) = resid(&wy);
    let (ee, e0d, dd) = (dot(&e0, &e0), dot(&e0, &ed), dot(&ed, &ed));
    let a = (n * (t - 1) - p) as f64 / 2.0;
    let spec = w.spectrum().unwrap();
    let (lo, hi) = spec.interval();
    let g = |r: f64| -a * (ee - 2.0 * r * e0d + r * r * dd).ln() + (t - 1) as f64 * spec.logdet(r);
    let m = 40_000;
    let (a0, b0) = (lo + 1e-9, hi - 1e-9);
    let h = (b0 - a0) / m as f64;
    let vals: Vec<f64> = (0..=m).map(|k| g(a0 + k as f64 * h)).collect();
    let top = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let simpson: f64 = vals
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let c = if k == 0 || k == m {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            c * (v - top).exp()
        })
        .sum::<f64>()
        * h
        / 3.0;
    statrs::function::gamma::ln_gamma(a) - a * std::f64::consts::PI.ln() - (hi - lo).ln() - 0.5 * lnzz
        + top
        + simpson.ln()
}

#[test]
fn lee_yu_default_is_the_exact_marginal_of_the_transformed_sample() {
    let t = produc_table(r#"model_probabilities(p, f, w, #{models: ["sar", "sdm"], fe: "individual", lee_yu: true})"#);
    close(
        "LY exact SAR",
        num(&t, "SAR", "log_marginal"),
        exact_ly_individual(false),
    );
    close(
        "LY exact SDM",
        num(&t, "SDM", "log_marginal"),
        exact_ly_individual(true),
    );
    // Counting the effects once moves the result away from the peers' double-counted figure.
    let peers = ly_reference("BMC.static.individual.LY.uniform.lmarginal_exact[SAR]");
    assert!((num(&t, "SAR", "log_marginal") - peers).abs() > 1.0);
}

#[test]
fn lee_yu_across_weights_and_errors() {
    // w_probabilities takes the option too; the title says so.
    let t = produc_table(
        r#"w_probabilities(p, f, [w, w.standardize("minmax")], #{model: "sar", fe: "individual", lee_yu: true, names: ["row", "minmax"]})"#,
    );
    assert!(t.title.contains("Lee-Yu"), "{}", t.title);
    let single =
        produc_table(r#"model_probabilities(p, f, w, #{models: ["sar", "sdm"], fe: "individual", lee_yu: true})"#);
    close(
        "same SAR under row W",
        num(&t, "row", "log_marginal"),
        num(&single, "SAR", "log_marginal"),
    );
    let e = eval_table(
        &produc_prelude(),
        r#"model_probabilities(p, f, w, #{fe: "none", lee_yu: true})"#,
    )
    .unwrap_err();
    assert!(e.contains("lee_yu") && e.contains("individual"), "{e}");
    let e = eval_table(
        &produc_prelude(),
        r#"model_probabilities(p, f, w.binary(), #{fe: "twoways", lee_yu: true})"#,
    )
    .unwrap_err();
    assert!(e.contains("row-standardised") && e.contains("standardize"), "{e}");
}
