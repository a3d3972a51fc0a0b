//! SAC / SARAR (spatial lag and spatial error, docs/methods.md §7.7) against splm's
//! `spml(model = "within", effect, lag = TRUE, spatial.error = "b")` on insurance
//! (tests/fixtures/insurance/expected_sac.json; splm's `lambda` is the lag coefficient, its `rho`
//! the error coefficient), at 1e−4 (splm's optimiser).

use crate::common::{fixture, weights_in_order};
use crate::sandbox::Sandbox;
use serde_json::Value;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::Panel;
use spillover::models::ml::{fit_spatial, LagOrder, SpatialFit, SpatialOptions};
use spillover::models::spatial_tests::lr_test;
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::weights::Weights;

use crate::common::INSURANCE_F;
const INSURANCE_X: [&str; 8] = ["lrgdp", "lbank", "lden", "rirs", "lagen", "school", "vaagr", "fam"];

fn insurance() -> (Design, Weights) {
    let f = read_csv(&fixture("insurance/data.csv"), &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    let d = Design::from_panel(&p, &Formula::parse(INSURANCE_F).unwrap()).unwrap();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    (d, w)
}

/// The reference value `name` of tests/fixtures/insurance/expected_sac.json.
fn reference(name: &str) -> f64 {
    let text = std::fs::read_to_string(fixture("insurance/expected_sac.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no reference {name}"))["value"]
        .as_f64()
        .unwrap()
}

fn close(what: &str, got: f64, want: f64, rel: f64) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        err <= rel,
        "{what}: got {got}, splm {want}, relative error {err:.2e} > {rel:.0e}"
    );
}

fn sac_fit(d: &Design, w: &Weights, fe: Fe, order: LagOrder) -> SpatialFit {
    let mut o = SpatialOptions::new(fe);
    o.lag_order = order;
    fit_spatial(d, w, ModelKind::Sac, &o).unwrap()
}

fn check_splm(effect: &str, fe: Fe) {
    let (d, w) = insurance();
    let fit = sac_fit(&d, &w, fe, LagOrder::DemeanFirst);
    let m = &fit.model;
    let tag = format!("SAC.{effect}.splm");
    let rho = m.coef("rho").unwrap();
    let lam = m.coef("lambda").unwrap();
    eprintln!(
        "{tag}: rho {} ({}) lambda {} ({})",
        rho.estimate, rho.std_error, lam.estimate, lam.std_error
    );
    close(
        "rho (splm lambda)",
        rho.estimate,
        reference(&format!("{tag}.lambda")),
        1e-4,
    );
    close(
        "lambda (splm rho)",
        lam.estimate,
        reference(&format!("{tag}.rho")),
        1e-4,
    );
    close("se rho", rho.std_error, reference(&format!("{tag}.lambda.se")), 1e-4);
    close("se lambda", lam.std_error, reference(&format!("{tag}.rho.se")), 1e-4);
    close("sigma2", m.sigma2, reference(&format!("{tag}.sigma2")), 1e-4);
    for x in INSURANCE_X {
        let c = m.coef(x).unwrap();
        close(
            &format!("coef {x}"),
            c.estimate,
            reference(&format!("{tag}.coef[{x}]")),
            1e-4,
        );
        close(
            &format!("se {x}"),
            c.std_error,
            reference(&format!("{tag}.se[{x}]")),
            1e-4,
        );
    }
}

#[test]
fn sac_individual_matches_splm() {
    check_splm("individual", Fe::Individual);
}

#[test]
fn sac_time_matches_splm() {
    check_splm("time", Fe::Time);
}

#[test]
fn sac_twoways_matches_splm() {
    check_splm("twoways", Fe::TwoWays);
}

#[test]
fn lag_first_differs_from_splm_for_time_effects_and_nests_sar_and_sem() {
    // With individual effects the two lag conventions coincide; with time effects they differ.
    let (d, w) = insurance();
    let a = sac_fit(&d, &w, Fe::Individual, LagOrder::LagFirst);
    let b = sac_fit(&d, &w, Fe::Individual, LagOrder::DemeanFirst);
    let (ra, rb) = (
        a.model.coef("rho").unwrap().estimate,
        b.model.coef("rho").unwrap().estimate,
    );
    assert!((ra - rb).abs() < 1e-9, "{ra} vs {rb}");
    let lf = sac_fit(&d, &w, Fe::Time, LagOrder::LagFirst);
    let df = sac_fit(&d, &w, Fe::Time, LagOrder::DemeanFirst);
    let (r1, r2) = (
        lf.model.coef("rho").unwrap().estimate,
        df.model.coef("rho").unwrap().estimate,
    );
    assert!((r1 - r2).abs() > 1e-6, "lag_first {r1} vs demean_first {r2}");
    // SAR and SEM are SAC with λ = 0 and ρ = 0: the SAC likelihood is at least theirs, and the
    // LR tests have 1 degree of freedom.
    for order in [LagOrder::LagFirst, LagOrder::DemeanFirst] {
        let mut o = SpatialOptions::new(Fe::TwoWays);
        o.lag_order = order;
        let sac = fit_spatial(&d, &w, ModelKind::Sac, &o).unwrap().model;
        let sar = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap().model;
        let sem = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap().model;
        assert_eq!(sac.n_params, sar.n_params + 1);
        for restricted in [&sar, &sem] {
            let t = lr_test(&sac, restricted).unwrap();
            assert!(t.statistic >= -1e-9, "{:?} {}", order, t.statistic);
            assert_eq!(t.df, 1.0);
        }
    }
}

#[test]
fn scripts_fit_sac_with_effects_and_refuse_random_effects() {
    let data = std::fs::read(fixture("insurance/data.csv")).unwrap();
    let wb = std::fs::read(fixture("insurance/weights.csv")).unwrap();
    let sb = Sandbox::new("sac", &[("d.csv", &data), ("w.csv", &wb)]);
    let script = format!(
        "let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
         let f = \"{INSURANCE_F}\";\n\
         let w = read_weights(\"w.csv\");\n\
         let m = sac(p, f, w, #{{fe: \"individual\"}});\n\
         print(`rho=${{m.rho}} lambda=${{m.lambda}} k=${{m.coef(\"lambda\").std_error}}`);\n\
         let g = fit(p, f, w, #{{model: \"sac\", fe: \"individual\"}});\n\
         print(`fit=${{g.rho == m.rho && g.lambda == m.lambda}}`);\n\
         let e = effects(m);\n\
         print(e);\n\
         print(lr_test(m, sar(p, f, w, #{{fe: \"individual\"}})));\n\
         let e1 = \"\"; try {{ sac(p, f, w, #{{fe: \"random\", bias_correction: \"elhorst\"}}); }} catch (err) {{ e1 = `${{err}}`; }}\n\
         print(`random: ${{e1}}`);\n"
    );
    let out = sb.succeeds(&script);
    assert!(out.contains("rho=0.56846"), "{out}");
    assert!(out.contains("lambda=-0.72431"), "{out}");
    assert!(out.contains("fit=true"), "{out}");
    assert!(out.contains("lrgdp") && out.contains("ndirect"), "{out}");
    assert!(out.contains("lr_sac_vs_sar"), "{out}");
    assert!(
        out.contains("random: ") && out.contains("corrects fixed-effects estimates"),
        "{out}"
    );
}

#[test]
fn sac_effects_use_rho_and_beta_only() {
    // The effects of a SAC fit are those of a SAR model with the same ρ and β.
    let (d, w) = insurance();
    let fit = sac_fit(&d, &w, Fe::Individual, LagOrder::DemeanFirst);
    let input = spillover::effects::input_from_fit(&fit, &w).unwrap();
    assert_eq!(input.rho, fit.model.coef("rho").unwrap().estimate);
    assert_eq!(input.rho_index, fit.model.index_of("rho"));
    assert_eq!(input.beta[0], fit.model.coef("lrgdp").unwrap().estimate);
}

/// Standard normal draws (xorshift64* and Box–Muller; deterministic).
fn normals(seed: u64, count: usize) -> Vec<f64> {
    let mut s = seed.max(1);
    let mut unif = || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        ((s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..count)
        .map(|_| {
            let (a, b) = (unif(), unif());
            (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
        })
        .collect()
}

/// A side×side rook lattice, row-standardised.
fn lattice(side: usize) -> Weights {
    let ids: Vec<String> = (0..side * side).map(|i| format!("u{i:04}")).collect();
    let mut t = Vec::new();
    for r in 0..side {
        for c in 0..side {
            let i = r * side + c;
            if r > 0 {
                t.push((i, i - side, 1.0));
            }
            if r + 1 < side {
                t.push((i, i + side, 1.0));
            }
            if c > 0 {
                t.push((i, i - 1, 1.0));
            }
            if c + 1 < side {
                t.push((i, i + 1, 1.0));
            }
        }
    }
    Weights::from_triplets(ids, &t, spillover::weights::Standardization::Row, false).unwrap()
}

/// A SAC panel: y_t = (I − ρW)⁻¹(X_t β + μ + (I − λW)⁻¹ε_t), with unit effects μ = 2·N(0, 1)
/// (or μ = 1 without them).
fn simulated(w: &Weights, t: usize, rho: f64, lam: f64, beta: [f64; 2], unit_effects: bool) -> Design {
    use spillover::linalg::Resolvent;
    let n = w.n();
    let nt = n * t;
    let x1 = normals(11, nt);
    let x2 = normals(12, nt);
    let mu = if unit_effects { normals(13, n) } else { vec![0.5; n] };
    let eps = normals(14, nt);
    let u = Resolvent::dense(w, lam).unwrap().solve_panel(&eps).unwrap();
    let v: Vec<f64> = (0..nt)
        .map(|i| beta[0] * x1[i] + beta[1] * x2[i] + 2.0 * mu[i % n] + u[i])
        .collect();
    let y = Resolvent::dense(w, rho).unwrap().solve_panel(&v).unwrap();
    let id: Vec<String> = (0..nt).map(|i| w.ids()[i % n].clone()).collect();
    let time: Vec<f64> = (0..nt).map(|i| (i / n) as f64 + 1.0).collect();
    let f = spillover::data::Frame::from_columns(vec![
        ("id".into(), spillover::data::Column::Text(id)),
        ("time".into(), spillover::data::Column::Num(time)),
        ("y".into(), spillover::data::Column::Num(y)),
        ("x1".into(), spillover::data::Column::Num(x1)),
        ("x2".into(), spillover::data::Column::Num(x2)),
    ])
    .unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    Design::from_panel(&p, &Formula::parse("y ~ x1 + x2").unwrap()).unwrap()
}

#[test]
fn sac_recovers_simulated_parameters() {
    let w = lattice(20);
    let d = simulated(&w, 8, 0.4, 0.3, [1.0, -0.5], true);
    let fit = sac_fit(&d, &w, Fe::Individual, LagOrder::LagFirst);
    let m = &fit.model;
    for (term, truth) in [("rho", 0.4), ("lambda", 0.3), ("x1", 1.0), ("x2", -0.5)] {
        let c = m.coef(term).unwrap();
        eprintln!("{term}: {} ({}) truth {truth}", c.estimate, c.std_error);
        assert!(
            (c.estimate - truth).abs() < 3.0 * c.std_error,
            "{term}: {} (se {}) far from {truth}",
            c.estimate,
            c.std_error
        );
    }
    // The ML σ̂² with individual effects estimates σ²(T − 1)/T.
    assert!((m.sigma2 - 7.0 / 8.0).abs() < 0.05, "sigma2 {}", m.sigma2);
}

/// The full log-likelihood of the pooled SAC model (with an intercept) at
/// θ = [α, β, ρ, λ, σ²] (docs/methods.md §7.7); the log-determinants from the eigenvalues of W.
fn sac_loglik(d: &Design, w: &Weights, theta: &[f64]) -> f64 {
    let (n, t) = (d.n, d.t);
    let k = d.names.len() + 1;
    let (rho, lam, s2) = (theta[k], theta[k + 1], theta[k + 2]);
    let y = &d.y;
    let wy = w.lag_panel(y);
    let mut e: Vec<f64> = y.iter().zip(&wy).map(|(a, b)| a - rho * b - theta[0]).collect();
    for (x, b) in d.x.iter().zip(&theta[1..k]) {
        e.iter_mut().zip(x).for_each(|(a, v)| *a -= b * v);
    }
    let we = w.lag_panel(&e);
    let r: Vec<f64> = e.iter().zip(&we).map(|(a, b)| a - lam * b).collect();
    let rr: f64 = r.iter().map(|v| v * v).sum();
    let spec = w.spectrum().unwrap();
    let nt = (n * t) as f64;
    -0.5 * nt * (2.0 * std::f64::consts::PI * s2).ln() + t as f64 * (spec.logdet(rho) + spec.logdet(lam))
        - rr / (2.0 * s2)
}

#[test]
fn sac_information_against_numerical_hessian() {
    use faer::linalg::solvers::DenseSolveCore;
    // At the MLE the observed Hessian equals the analytic (expected) information exactly in the
    // β–β, β–σ², ρ–σ², λ–σ² and σ²–σ² blocks; the ρ, λ and β–ρ blocks differ by terms of order
    // 1/√(NT) (observed vs expected): the standard errors agree to 0.4% here.
    let w = lattice(20);
    let d = simulated(&w, 8, 0.4, 0.3, [1.0, -0.5], false);
    let fit = sac_fit(&d, &w, Fe::None, LagOrder::LagFirst);
    let m = &fit.model;
    let k = 3;
    let p = k + 3;
    let mut theta: Vec<f64> = m.coefficients.iter().map(|c| c.estimate).collect();
    theta.push(m.sigma2);
    let h: Vec<f64> = theta.iter().map(|v| 1e-4 * v.abs().max(0.05)).collect();
    let f = |th: &[f64]| sac_loglik(&d, &w, th);
    let mut hess = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            let at = |si: f64, sj: f64| {
                let mut th = theta.clone();
                th[i] += si * h[i];
                th[j] += sj * h[j];
                f(&th)
            };
            hess[i * p + j] = (at(1.0, 1.0) - at(1.0, -1.0) - at(-1.0, 1.0) + at(-1.0, -1.0)) / (4.0 * h[i] * h[j]);
        }
    }
    // The analytic information is the inverse of cov_full.
    let info = {
        let c = &fit.cov_full;
        let mat = faer::Mat::from_fn(p, p, |i, j| c[i * p + j]);
        let inv = mat.partial_piv_lu().inverse();
        (0..p * p).map(|x| inv[(x / p, x % p)]).collect::<Vec<f64>>()
    };
    let exact_blocks = [(0, 0), (0, 1), (1, 2), (2, 2), (0, 5), (2, 5), (3, 5), (4, 5), (5, 5)];
    for (i, j) in exact_blocks {
        let (a, b) = (info[i * p + j], -hess[i * p + j]);
        let scale = (info[i * p + i] * info[j * p + j]).sqrt();
        assert!(
            (a - b).abs() <= 1e-5 * scale,
            "information ({i}, {j}): analytic {a}, numerical Hessian {b}"
        );
    }
    // Standard errors from the numerical Hessian.
    let hm = faer::Mat::from_fn(p, p, |i, j| -hess[i * p + j]);
    let hinv = hm.partial_piv_lu().inverse();
    for i in 0..p {
        let se_num = hinv[(i, i)].sqrt();
        let se = fit.cov(i, i).sqrt();
        eprintln!("param {i}: se analytic {se}, numerical Hessian {se_num}");
        assert!(
            (se / se_num - 1.0).abs() < 0.01,
            "param {i}: se {se} vs numerical {se_num}"
        );
    }
}

#[test]
fn sac_sparse_path_agrees_with_the_eigenvalues() {
    // The sparse log-determinant (no eigenvalues) gives the same optimum and standard errors.
    let (d, w) = insurance();
    let eigen = sac_fit(&d, &w, Fe::TwoWays, LagOrder::LagFirst);
    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.lndet = spillover::linalg::logdet::LogDetMethod::Sparse;
    let sparse = fit_spatial(&d, &w, ModelKind::Sac, &o).unwrap();
    assert!(sparse.spectrum.is_none());
    for term in ["rho", "lambda", "lrgdp", "fam"] {
        let (a, b) = (eigen.model.coef(term).unwrap(), sparse.model.coef(term).unwrap());
        close(&format!("{term} estimate"), b.estimate, a.estimate, 1e-6);
        close(&format!("{term} se"), b.std_error, a.std_error, 1e-5);
    }
    close("loglik", sparse.model.loglik, eigen.model.loglik, 1e-10);
}
