//! Issue 18 items of docs/methods.md §15.4–15.5 and §16.3–16.4:
//! * `weights_econ_geo` (the one-call economic–geographic nested W) against `weights_nested` on
//!   the same inputs and against rowstd(W_d·diag(Ȳ)) built by hand here; `base_year`;
//! * `w.summary()` of a nested W (form, α, ω_min, ω_max, row-stochastic) and the record of
//!   `add_link` / `remove_link` edits;
//! * the Bayesian comparison on Lee–Yu transformed data (`lee_yu: true`): `compat: "lesage"`
//!   against SDPDmod `blmpSDPD(LYtrans = TRUE)` and an independent implementation of its formula
//!   (tests/fixtures/produc/expected_bayes_ly.json, `BMC.static.*.LY.*`), and the exact default
//!   against the log-marginal computed independently here (closed-form pieces, Simpson rule).

use crate::common::{eval_table, figure_map, produc_log, produc_prelude};
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
fn produc_table(call: &str) -> Table {
    eval_table(&produc_prelude(""), call).unwrap_or_else(|e| panic!("{call}: {e}"))
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
        let pivot = m[k].clone();
        for row in m.iter_mut().skip(k + 1) {
            let f = row[k] / pivot[k];
            for (v, pv) in row.iter_mut().zip(&pivot).skip(k) {
                *v -= f * pv;
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
        &produc_prelude(""),
        r#"model_probabilities(p, f, w, #{fe: "none", lee_yu: true})"#,
    )
    .unwrap_err();
    assert!(e.contains("lee_yu") && e.contains("individual"), "{e}");
    let e = eval_table(
        &produc_prelude(""),
        r#"model_probabilities(p, f, w.binary(), #{fe: "twoways", lee_yu: true})"#,
    )
    .unwrap_err();
    assert!(e.contains("row-standardised") && e.contains("standardize"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// weights_econ_geo, base_year, summary and link edits (docs/methods.md §16.3–16.4).

use crate::sandbox::Sandbox;
use spillover::script::weights::SWeights;

/// Five cities (lon, lat in degrees) and a three-year panel of their income.
const CITIES: [(&str, f64, f64); 5] = [
    ("BJ", 116.40, 39.90),
    ("SH", 121.47, 31.23),
    ("GZ", 113.26, 23.13),
    ("CD", 104.07, 30.67),
    ("WH", 114.31, 30.59),
];
/// gdp[t][i], years 2001–2003.
const GDP: [[f64; 5]; 3] = [
    [3.1, 4.0, 2.6, 1.2, 1.9],
    [3.4, 4.3, 2.9, 1.5, 2.0],
    [3.9, 4.9, 3.5, 1.6, 2.4],
];
const YEARS: [&str; 3] = ["2001", "2002", "2003"];

fn city_files() -> Sandbox {
    let mut cities = String::from("city,lon,lat\n");
    for (id, lon, lat) in CITIES {
        cities += &format!("{id},{lon},{lat}\n");
    }
    let mut panel = String::from("city,year,gdp\n");
    for (t, year) in YEARS.iter().enumerate() {
        for (i, (id, _, _)) in CITIES.iter().enumerate() {
            panel += &format!("{id},{year},{}\n", GDP[t][i]);
        }
    }
    let mut ring = String::from("i,j,w\n");
    for (i, (id, _, _)) in CITIES.iter().enumerate() {
        for j in [(i + 1) % 5, (i + 4) % 5] {
            ring += &format!("{id},{},1\n", CITIES[j].0);
        }
    }
    Sandbox::new(
        &format!(
            "econ_geo_{}",
            std::thread::current().name().unwrap_or("t").replace("::", "_")
        ),
        &[
            ("cities.csv", cities.as_bytes()),
            ("panel.csv", panel.as_bytes()),
            ("ring.csv", ring.as_bytes()),
        ],
    )
}

fn city_prelude(s: &Sandbox) -> String {
    format!(
        r#"
        let f = read_csv({c:?});
        let p = panel(read_csv({p:?}), "city", "year");
        let ring = read_weights({r:?}, #{{standardize: "none"}});
        let o = #{{id: "city", x: "lon", y: "lat"}};
        "#,
        c = s.path("cities.csv").display().to_string(),
        p = s.path("panel.csv").display().to_string(),
        r = s.path("ring.csv").display().to_string(),
    )
}

fn weights_of(s: &Sandbox, call: &str) -> Result<spillover::weights::Weights, String> {
    let engine = spillover::script::new_engine(None);
    engine
        .eval::<SWeights>(&format!("{}\n{call}", city_prelude(s)))
        .map(|w| (*w.0).clone())
        .map_err(|e| e.to_string())
}

fn weights(s: &Sandbox, call: &str) -> spillover::weights::Weights {
    weights_of(s, call).unwrap_or_else(|e| panic!("{call}: {e}"))
}

/// Great-circle distance in km (haversine, R = 6371.0088; docs/methods.md §16.1).
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (l1, p1, l2, p2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((l2 - l1) / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

fn dist(i: usize, j: usize) -> f64 {
    haversine((CITIES[i].1, CITIES[i].2), (CITIES[j].1, CITIES[j].2))
}

/// Ȳ_i, the period mean.
fn ybar() -> Vec<f64> {
    (0..5).map(|i| GDP.iter().map(|r| r[i]).sum::<f64>() / 3.0).collect()
}

/// The dense N×N matrix c(i, j) (zero diagonal), row-standardised when `rowstd`.
fn hand(c: &dyn Fn(usize, usize) -> f64, rowstd: bool) -> Vec<f64> {
    let mut m = vec![0.0; 25];
    for i in 0..5 {
        for j in 0..5 {
            if i != j {
                m[i * 5 + j] = c(i, j);
            }
        }
        if rowstd {
            let s: f64 = m[i * 5..i * 5 + 5].iter().sum();
            m[i * 5..i * 5 + 5].iter_mut().for_each(|v| *v /= s);
        }
    }
    m
}

/// W's dense matrix in the order of CITIES.
fn dense(w: &spillover::weights::Weights) -> Vec<f64> {
    let order: Vec<String> = CITIES.iter().map(|c| c.0.to_string()).collect();
    w.aligned_to(&order).unwrap().to_dense()
}

#[track_caller]
fn same(what: &str, got: &[f64], want: &[f64], tol: f64) {
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}: cell {k}: {g} vs {w}");
    }
}

#[test]
fn econ_geo_is_the_nested_w_built_by_hand() {
    let s = city_files();
    let y = ybar();
    // N2 (default): rowstd(W_d·diag(Ȳ)), W_d = 1/d on great-circle distances (metric haversine
    // by default because the columns are named lon/lat).
    let n2 = weights(&s, r#"weights_econ_geo(f, p, "gdp", o)"#);
    let want = hand(&|i, j| y[j] / dist(i, j), true);
    same("N2", &dense(&n2), &want, 1e-14);
    // The same as weights_nested on weights_distance with the same inputs.
    let two_step = weights(
        &s,
        r#"weights_nested(weights_distance(f, #{id: "city", x: "lon", y: "lat", metric: "haversine"}), p, "gdp")"#,
    );
    same("N2 = weights_nested", &dense(&n2), &dense(&two_step), 1e-15);
    // power α: d^-2.
    let sq = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{power: 2.0})"#);
    same(
        "N2 alpha 2",
        &dense(&sq),
        &hand(&|i, j| y[j] / dist(i, j).powi(2), true),
        1e-14,
    );
    // Gravity Ȳ_iȲ_j/d² (α = 2 by default), hadamard 1/(d|Ȳ_i − Ȳ_j|).
    let g = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{form: "gravity"})"#);
    same(
        "gravity",
        &dense(&g),
        &hand(&|i, j| y[i] * y[j] / dist(i, j).powi(2), true),
        1e-14,
    );
    let h = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{form: "hadamard"})"#);
    same(
        "hadamard",
        &dense(&h),
        &hand(&|i, j| 1.0 / (dist(i, j) * (y[i] - y[j]).abs()), true),
        1e-14,
    );
    // Convex: φ rowstd(1/d) + (1 − φ) rowstd(1/|ΔȲ|).
    let c = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{form: "convex", phi: 0.3})"#);
    let (wd, we) = (
        hand(&|i, j| 1.0 / dist(i, j), true),
        hand(&|i, j| 1.0 / (y[i] - y[j]).abs(), true),
    );
    let want: Vec<f64> = wd.iter().zip(&we).map(|(a, b)| 0.3 * a + 0.7 * b).collect();
    same("convex", &dense(&c), &want, 1e-14);
    // standardize_last: false keeps rowstd(W_d)·diag(Ȳ_j/Ȳ̄).
    let raw = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{standardize_last: false})"#);
    let ymean = y.iter().sum::<f64>() / 5.0;
    let want: Vec<f64> = (0..25).map(|k| wd[k] * y[k % 5] / ymean).collect();
    same("raw product", &dense(&raw), &want, 1e-14);
    // Contiguity (N1): rowstd(rowstd(ring)·diag(Ȳ)).
    let n1 = weights(&s, r#"weights_econ_geo(f, p, "gdp", #{geo: "contiguity", w: ring})"#);
    let ring = |i: usize, j: usize| f64::from(u8::from((i + 1) % 5 == j || (j + 1) % 5 == i));
    same(
        "N1 on the ring",
        &dense(&n1),
        &hand(&|i, j| ring(i, j) * y[j], true),
        1e-15,
    );
}

#[test]
fn econ_geo_base_year() {
    let s = city_files();
    // Ȳ_i = gdp in 2002.
    let b = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{base_year: 2002})"#);
    same(
        "base_year 2002",
        &dense(&b),
        &hand(&|i, j| GDP[1][j] / dist(i, j), true),
        1e-14,
    );
    let b2 = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{base_year: "2002"})"#);
    same("base_year as text", &dense(&b2), &dense(&b), 0.0);
    // weights_nested takes it too.
    let nested = weights(
        &s,
        r#"weights_nested(weights_distance(f, #{id: "city", x: "lon", y: "lat", metric: "haversine"}), p, "gdp", #{base_year: 2002})"#,
    );
    same("weights_nested base_year", &dense(&nested), &dense(&b), 1e-15);
    assert!(b.summary().form.unwrap().contains("in 2002"));
    let e = weights_of(&s, r#"weights_econ_geo(f, p, "gdp", o + #{base_year: 1999})"#).unwrap_err();
    assert!(
        e.contains("base_year 1999") && e.contains("2001") && e.contains("2003"),
        "{e}"
    );
}

#[test]
fn econ_geo_summary_reports_form_alpha_and_omega() {
    let s = city_files();
    let y = ybar();
    let w = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{power: 2.0})"#);
    let sm = w.summary();
    let form = sm.form.clone().unwrap();
    assert!(form.contains("nested N2") && form.contains("mean of 'gdp'"), "{form}");
    assert_eq!(sm.alpha, Some(2.0));
    assert!(sm.row_stochastic);
    // ω from a general eigen solver on the matrix built by hand.
    let eig = |m: &[f64]| -> (f64, f64) {
        let a = faer::Mat::<f64>::from_fn(5, 5, |i, j| m[i * 5 + j]);
        let ev = a.eigenvalues().unwrap();
        ev.iter()
            .map(|z| z.re)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(r), hi.max(r)))
    };
    let (lo, hi) = eig(&hand(&|i, j| y[j] / dist(i, j).powi(2), true));
    let (slo, shi) = sm.omega.unwrap();
    assert!((slo - lo).abs() < 1e-10 && (shi - hi).abs() < 1e-10 && (hi - 1.0).abs() < 1e-12);
    // The raw product is not row-stochastic and ω_max ≠ 1.
    let raw = weights(&s, r#"weights_econ_geo(f, p, "gdp", o + #{standardize_last: false})"#).summary();
    assert!(!raw.row_stochastic);
    let ymean = y.iter().sum::<f64>() / 5.0;
    let wd = hand(&|i, j| 1.0 / dist(i, j), true);
    let (lo, hi) = eig(&(0..25).map(|k| wd[k] * y[k % 5] / ymean).collect::<Vec<_>>());
    let (slo, shi) = raw.omega.unwrap();
    assert!((slo - lo).abs() < 1e-10 && (shi - hi).abs() < 1e-10 && (hi - 1.0).abs() > 1e-3);
    // The table names them.
    let text = w.summary().to_string();
    for key in ["form", "alpha", "omega_min", "omega_max", "row-stochastic"] {
        assert!(text.contains(key), "{key} missing in\n{text}");
    }
}

#[test]
fn econ_geo_refuses_mismatched_units_naming_the_fix() {
    let s = city_files();
    let e = weights_of(
        &s,
        r#"weights_econ_geo(f.filter("city", ["BJ", "SH", "GZ", "CD"]), p, "gdp", o)"#,
    )
    .unwrap_err();
    assert!(e.contains("'WH'") && e.contains("filter"), "{e}");
    let e = weights_of(
        &s,
        r#"weights_econ_geo(f, p, "gdp", #{geo: "contiguity", w: ring.subset(["BJ", "SH", "GZ", "CD"], #{islands: "keep"})})"#,
    )
    .unwrap_err();
    assert!(e.contains("'WH'") && e.contains("contiguity W"), "{e}");
    let e = weights_of(&s, r#"weights_econ_geo(f, p, "gdp", #{geo: "contiguity"})"#).unwrap_err();
    assert!(e.contains("needs option w"), "{e}");
    let e = weights_of(&s, r#"weights_econ_geo(f, p, "gdp", o + #{form: "convex"})"#).unwrap_err();
    assert!(
        e.contains("weights_econ_geo") && e.contains("convex") && e.contains("needs phi"),
        "{e}"
    );
    let e = weights_of(&s, r#"weights_econ_geo(f, p, "gdp", o + #{phi: 0.5})"#).unwrap_err();
    assert!(e.contains("option phi") && e.contains("takes none"), "{e}");
    let e = weights_of(
        &s,
        r#"weights_econ_geo(f, p, "gdp", o + #{geo: "contiguity", w: ring, power: 2.0})"#,
    )
    .unwrap_err();
    assert!(e.contains("power") && e.contains("contiguity"), "{e}");
}

#[test]
fn link_edits_are_made_and_recorded() {
    let s = city_files();
    // Ring BJ–SH–GZ–CD–WH–BJ: add BJ–GZ, then remove it again.
    let added = weights(&s, r#"ring.standardize("row").add_link("BJ", "GZ")"#);
    let ring = |i: usize, j: usize| (i + 1) % 5 == j || (j + 1) % 5 == i;
    let with = |i: usize, j: usize| f64::from(u8::from(ring(i, j) || (i.min(j), i.max(j)) == (0, 2)));
    same("add_link", &dense(&added), &hand(&with, true), 1e-15);
    assert_eq!(added.summary().edits, vec!["added BJ–GZ".to_string()]);
    let back = weights(
        &s,
        r#"ring.standardize("row").add_link("BJ", "GZ").remove_link("GZ", "BJ")"#,
    );
    same(
        "remove_link",
        &dense(&back),
        &hand(&|i, j| f64::from(u8::from(ring(i, j))), true),
        1e-15,
    );
    let sm = back.summary();
    assert_eq!(sm.edits, vec!["added BJ–GZ".to_string(), "removed GZ–BJ".to_string()]);
    assert!(sm.to_string().contains("removed GZ–BJ"));
    // A nested W on the edited contiguity W keeps the record.
    let n1 = weights(
        &s,
        r#"weights_econ_geo(f, p, "gdp", #{geo: "contiguity", w: ring.add_link("BJ", "GZ")})"#,
    );
    assert_eq!(n1.summary().edits, vec!["added BJ–GZ".to_string()]);
}
