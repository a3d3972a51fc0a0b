//! Within, between and overall R² of every panel model (issue 18, docs/methods.md §7.6): on
//! produc (`lgsp ~ lpcap + lpc + lemp + unemp`, 48 states × 17 years) against plm's SSE (the
//! within R² of OLS with individual effects, the R² of pooled OLS) and, for the spatial models,
//! against an independent computation here from the fitted coefficients: the prediction
//! Zβ̂ (+ θ̂·Wx), through (I − ρ̂W)⁻¹ by a dense LU for the lag models, and `xtreg`'s squared
//! correlations written out again.

use crate::common::{assert_abs, expected, fixture, produc_log, produc_prelude};
use faer::linalg::solvers::Solve;
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::{Design, Fe, Model, ModelKind};
use spillover::report::table::{fmt_num, Cell};
use spillover::weights::Weights;

/// Squared Pearson correlation, written out.
fn corr2(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let sab: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let saa: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let sbb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    sab * sab / (saa * sbb)
}

/// Unit means of a time-slow stacked vector (n units).
fn means(x: &[f64], n: usize) -> Vec<f64> {
    let t = (x.len() / n) as f64;
    (0..n).map(|i| x.iter().skip(i).step_by(n).sum::<f64>() / t).collect()
}

fn demeaned(x: &[f64], n: usize) -> Vec<f64> {
    let m = means(x, n);
    x.iter().enumerate().map(|(r, v)| v - m[r % n]).collect()
}

/// (within, between, overall) of y and yhat as `xtreg` defines them.
fn xtreg_r2(y: &[f64], yhat: &[f64], n: usize) -> [f64; 3] {
    [
        corr2(&demeaned(y, n), &demeaned(yhat, n)),
        corr2(&means(y, n), &means(yhat, n)),
        corr2(y, yhat),
    ]
}

/// The prediction without effects from the model's coefficients: Σβ_k x_k + Σθ_k W x_k (+ the
/// intercept), then (I − ρW)⁻¹ period by period when the model has ρ.
fn prediction(m: &Model, d: &Design, w: &Weights) -> Vec<f64> {
    let n = d.n;
    let wd = w.to_dense();
    let lag = |x: &[f64]| -> Vec<f64> {
        x.chunks(n)
            .flat_map(|c| {
                (0..n)
                    .map(|i| (0..n).map(|j| wd[i * n + j] * c[j]).sum::<f64>())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let mut zb = vec![0.0; d.y.len()];
    for c in &m.coefficients {
        let col: Vec<f64> = if c.term == "(intercept)" {
            vec![1.0; d.y.len()]
        } else if let Some(k) = d.names.iter().position(|x| *x == c.term) {
            d.x[k].clone()
        } else if let Some(k) = c
            .term
            .strip_prefix("W*")
            .and_then(|x| d.names.iter().position(|y| y == x))
        {
            lag(&d.x[k])
        } else {
            assert!(["rho", "lambda", "phi"].contains(&c.term.as_str()), "{}", c.term);
            continue;
        };
        zb.iter_mut().zip(&col).for_each(|(a, x)| *a += c.estimate * x);
    }
    let Some(rho) = m.coef("rho").map(|c| c.estimate) else {
        return zb;
    };
    let a = faer::Mat::<f64>::from_fn(n, n, |i, j| f64::from(u8::from(i == j)) - rho * wd[i * n + j]);
    let lu = a.partial_piv_lu();
    zb.chunks(n)
        .flat_map(|c| {
            let s = lu.solve(faer::Mat::<f64>::from_fn(n, 1, |i, _| c[i]));
            (0..n).map(|i| s[(i, 0)]).collect::<Vec<_>>()
        })
        .collect()
}

/// Asserts the model's three measures equal the independent computation.
#[track_caller]
fn check(what: &str, m: &Model, d: &Design, w: &Weights) {
    let want = xtreg_r2(&d.y, &prediction(m, d, w), d.n);
    for (key, v) in ["r2_within", "r2_between", "r2_overall"].iter().zip(want) {
        let got = *m.extras.get(*key).unwrap_or_else(|| panic!("{what}: no {key}"));
        assert_abs(&format!("{what} {key}"), got, v, 1e-9);
        assert!(got > 0.0 && got <= 1.0, "{what} {key} = {got}");
    }
}

#[test]
fn ols_within_r2_is_plm_within_r2_and_pooled_overall_is_the_ordinary_r2() {
    let (d, w) = produc_log();
    let n = d.n;
    let fe = spillover::models::ols::ols(d, Fe::Individual).unwrap().model;
    // plm: within R² = 1 − SSE/Σ(ỹ − mean ỹ)², ỹ the unit-demeaned y.
    let yt = demeaned(&d.y, n);
    let tss_within: f64 = yt.iter().map(|v| v * v).sum();
    let plm_within = 1.0 - expected("produc", "within.individual.SSE") / tss_within;
    assert_abs("OLS individual r2_within", fe.extras["r2_within"], plm_within, 1e-8);
    assert_abs("OLS individual corr2", fe.corr2, plm_within, 1e-8);
    check("OLS individual", &fe, d, w);
    // Pooled OLS: overall = 1 − SSE/TSS.
    let pooled = spillover::models::ols::ols(d, Fe::None).unwrap().model;
    let ybar = d.y.iter().sum::<f64>() / d.y.len() as f64;
    let tss: f64 = d.y.iter().map(|v| (v - ybar).powi(2)).sum();
    let r2 = 1.0 - expected("produc", "pooled.SSE") / tss;
    assert_abs("pooled OLS r2_overall", pooled.extras["r2_overall"], r2, 1e-8);
    check("OLS pooled", &pooled, d, w);
    check(
        "OLS two-way",
        &spillover::models::ols::ols(d, Fe::TwoWays).unwrap().model,
        d,
        w,
    );
}

#[test]
fn every_spatial_model_reports_the_three_measures() {
    let (d, w) = produc_log();
    let cases = [
        (ModelKind::Sar, Fe::Individual),
        (ModelKind::Sdm, Fe::Individual),
        (ModelKind::Sem, Fe::Individual),
        (ModelKind::Sdem, Fe::Individual),
        (ModelKind::Slx, Fe::Individual),
        (ModelKind::Sac, Fe::Individual),
        (ModelKind::Sar, Fe::TwoWays),
        (ModelKind::Sdm, Fe::Time),
        (ModelKind::Sar, Fe::Random),
        (ModelKind::Sem, Fe::Random),
        (ModelKind::Sdm, Fe::Random),
        (ModelKind::Sdem, Fe::Random),
        (ModelKind::Sac, Fe::Random),
    ];
    for (kind, fe) in cases {
        let m = fit_spatial(d, w, kind, &SpatialOptions::new(fe)).unwrap().model;
        check(&format!("{} {}", kind.name(), fe.name()), &m, d, w);
    }
    // Non-spatial random effects (Swamy–Arora).
    let re = spillover::models::random::random_effects_with(d, Default::default(), None)
        .unwrap()
        .model;
    check("OLS random", &re, d, w);
}

fn prelude() -> String {
    produc_prelude(r#"let s = sar(p, f, w, #{fe: "individual"});"#)
}

#[test]
fn compare_getters_and_the_map_show_them_for_a_sar_fe_model() {
    let (d, w) = produc_log();
    let engine = spillover::script::new_engine(None);
    let s = engine
        .eval::<spillover::script::models::SModel>(&format!("{}\ns", prelude()))
        .unwrap();
    let m = s.0.model().clone();
    let want = xtreg_r2(&d.y, &prediction(&m, d, w), d.n);
    let t = crate::common::eval_table(
        &prelude(),
        r#"compare([s], #{stats: ["r2_within", "r2_between", "r2_overall"], decimals: 6})"#,
    )
    .unwrap();
    let k = 2 * m.coefficients.len();
    let text = |c: &Cell| match c {
        Cell::Text(s) => s.clone(),
        c => panic!("not text: {c:?}"),
    };
    let labels: Vec<String> = t.rows[k..].iter().map(|r| text(&r[0])).collect();
    assert_eq!(labels, ["R2 within", "R2 between", "R2 overall"]);
    for (row, v) in t.rows[k..].iter().zip(want) {
        assert_eq!(text(&row[1]), fmt_num(v, 6), "{}", text(&row[0]));
    }
    // The getters and the map form carry the same numbers.
    for (key, v) in ["r2_within", "r2_between", "r2_overall"].iter().zip(want) {
        let got: f64 = engine.eval(&format!("{}\ns.{key}", prelude())).unwrap();
        assert_abs(&format!("m.{key}"), got, v, 1e-9);
        let map: f64 = engine.eval(&format!("{}\ns.to_map().{key}", prelude())).unwrap();
        assert_eq!(map, got, "to_map().{key}");
    }
}

#[test]
fn a_cross_section_has_no_within_r2() {
    let (d, w) = crate::common::columbus();
    let m = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::None))
        .unwrap()
        .model;
    assert!(!m.extras.contains_key("r2_within"));
    let yhat = prediction(&m, &d, &w);
    assert_abs("columbus r2_overall", m.extras["r2_overall"], corr2(&d.y, &yhat), 1e-9);
    assert_eq!(m.extras["r2_between"], m.extras["r2_overall"]);
    let engine = spillover::script::new_engine(None);
    let e = engine
        .eval::<f64>(&format!(
            r#"let c = read_csv({data:?});
               let w = read_weights({w:?});
               sar(c, "CRIME ~ INC + HOVAL", w, #{{id: "POLYID"}}).r2_within"#,
            data = fixture("columbus/data.csv"),
            w = fixture("columbus/weights.csv"),
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains("r2_within") && e.contains("T = 1"), "{e}");
    let t = crate::common::eval_table(
        &format!(
            r#"let c = read_csv({data:?});
               let w = read_weights({w:?});
               let s = sar(c, "CRIME ~ INC + HOVAL", w, #{{id: "POLYID"}});"#,
            data = fixture("columbus/data.csv"),
            w = fixture("columbus/weights.csv"),
        ),
        r#"compare([s], #{stats: ["r2_within", "r2_overall"]})"#,
    )
    .unwrap();
    let k = 2 * m.coefficients.len();
    assert!(matches!(&t.rows[k][1], Cell::Empty) || t.rows[k][1] == Cell::Text(String::new()));
    assert!(matches!(&t.rows[k + 1][1], Cell::Text(s) if !s.is_empty()));
}
