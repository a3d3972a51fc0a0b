//! SAC (SARAR: spatial lag and spatial error) with individual random effects (docs/methods.md
//! §11.9), the Baltagi–Song–Koh ("bsk", default; splm `saremREmod`) and Kapoor–Kelejian–Prucha
//! ("kkp"; splm `sarem2REmod`) error structures, and splm's `sphtest` convention of the Hausman
//! test on the spatial-error random-effects fits (§12.3).
//!
//! References (tests/fixtures/insurance/expected_sac_random.json): `reown`, the exact optimum of
//! an independent implementation (preferred to splm, whose optimiser stops early), for the
//! estimates at 1e−5 (φ, σ²_μ 1e−4), logLik at 1e−8 and splm's conditional GLS standard errors of
//! β at 1e−4; the numerical-Hessian standard errors of ρ, λ and φ at 5e−3 (as in
//! tests/it/spatial_re_error.rs); splm's `sphtest` on given fits at 1e−3. splm calls the lag
//! coefficient `lambda` and the error coefficient `rho`. KKP has no SARAR reference: its
//! likelihood is checked against a direct dense evaluation with the NT×NT covariance Ω.

use crate::common::{assert_abs, assert_close, fixture, weights_in_order, INSURANCE_F};
use crate::sandbox::Sandbox;
use serde_json::Value;
use spillover::linalg::logdet::LogDetMethod;
use spillover::models::hausman::{hausman, HausmanConvention, HausmanOptions, HausmanParams};
use spillover::models::ml::{fit_spatial, ReCovariance, ReErrors, SpatialFit, SpatialOptions};
use spillover::models::{Design, Fe, ModelKind};
use spillover::weights::Weights;
use std::collections::HashMap;
use std::sync::OnceLock;

const X: [&str; 8] = ["lrgdp", "lbank", "lden", "rirs", "lagen", "school", "vaagr", "fam"];
/// Tolerance of the references' numerical-Hessian standard errors of ρ, λ and φ.
const SE_TOL: f64 = 5e-3;

/// The figure `name` of `peer` ("reown" or "R").
fn want(name: &str, peer: &str) -> f64 {
    static REF: OnceLock<HashMap<(String, String), Value>> = OnceLock::new();
    let m = REF.get_or_init(|| {
        let text = std::fs::read_to_string(fixture("insurance/expected_sac_random.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    (
                        f["name"].as_str().unwrap().to_string(),
                        f["peer"].as_str().unwrap().to_string(),
                    ),
                    f["value"].clone(),
                )
            })
            .collect()
    });
    m.get(&(name.to_string(), peer.to_string()))
        .unwrap_or_else(|| panic!("no reference {name} ({peer})"))
        .as_f64()
        .unwrap()
}

fn insurance() -> (Design, Weights) {
    let d = crate::common::insurance_design();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    (d, w)
}

fn sac_re(d: &Design, w: &Weights, errors: Option<ReErrors>, cov: Option<ReCovariance>) -> SpatialFit {
    let mut o = SpatialOptions::new(Fe::Random);
    o.errors = errors;
    o.covariance = cov;
    fit_spatial(d, w, ModelKind::Sac, &o).unwrap_or_else(|e| panic!("{e}"))
}

fn ref_term(term: &str) -> &str {
    if term == "(intercept)" {
        "(Intercept)"
    } else {
        term
    }
}

fn cached_bsk() -> &'static SpatialFit {
    static FIT: OnceLock<SpatialFit> = OnceLock::new();
    FIT.get_or_init(|| {
        let (d, w) = insurance();
        sac_re(&d, &w, None, None)
    })
}

#[test]
fn sac_random_bsk_matches_reown_on_insurance() {
    let f = cached_bsk();
    let m = &f.model;
    let tag = "RE.SARAR_b";
    assert_eq!(m.info["errors"], "bsk");
    assert_eq!(m.fe, Fe::Random);
    for term in std::iter::once("(intercept)").chain(X) {
        let name = format!("{tag}.coef[{}]", ref_term(term));
        assert_close(&name, m.coef(term).unwrap().estimate, want(&name, "reown"), 1e-5);
    }
    // splm/reown `lambda` is the lag (our rho), `rho` the error (our lambda).
    assert_close(
        "rho",
        m.coef("rho").unwrap().estimate,
        want(&format!("{tag}.lambda"), "reown"),
        1e-5,
    );
    assert_close(
        "lambda",
        m.coef("lambda").unwrap().estimate,
        want(&format!("{tag}.rho"), "reown"),
        1e-5,
    );
    assert_close(
        "phi",
        m.coef("phi").unwrap().estimate,
        want(&format!("{tag}.phi"), "reown"),
        1e-4,
    );
    assert_close("sigma2", m.sigma2, want(&format!("{tag}.sigma2"), "reown"), 1e-5);
    assert_close(
        "sigma2_mu",
        m.extras["sigma2_mu"],
        want(&format!("{tag}.sigma2_mu"), "reown"),
        1e-4,
    );
    assert_close("logLik", m.loglik, want(&format!("{tag}.logLik"), "reown"), 1e-8);
    // Against splm too (its optimiser stops early: 1e−4).
    assert_close("logLik splm", m.loglik, want(&format!("{tag}.logLik"), "R"), 1e-8);
    assert_close(
        "rho splm",
        m.coef("rho").unwrap().estimate,
        want(&format!("{tag}.lambda"), "R"),
        1e-4,
    );
    // Parameters: intercept, 8 slopes, rho, lambda, phi, sigma2.
    assert_eq!(m.n_params, 1 + X.len() + 4);
    let order: Vec<&str> = m.coefficients.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(&order[order.len() - 3..], ["rho", "lambda", "phi"]);
    assert_close("aic", m.aic(), -2.0 * m.loglik + 2.0 * 13.0, 1e-12);
    assert_eq!(m.spatial_parameter("rho").unwrap(), m.coef("rho").unwrap().estimate);
    assert_eq!(
        m.spatial_parameter("lambda").unwrap(),
        m.coef("lambda").unwrap().estimate
    );
    // The observed-information se of ρ, λ and φ equal the profile-Hessian ones (reown).
    for (ours, theirs) in [("rho", "lambda.se"), ("lambda", "rho.se"), ("phi", "phi.se")] {
        assert_close(
            &format!("se({ours})"),
            m.coef(ours).unwrap().std_error,
            want(&format!("{tag}.{theirs}"), "reown"),
            SE_TOL,
        );
    }
    // θ_plm = 1 − (1 + Tφ)^{−1/2}, σ²_μ = φσ²_ν.
    let phi = m.extras["phi"];
    assert_close("theta", m.extras["theta"], 1.0 - (1.0 + 5.0 * phi).powf(-0.5), 1e-12);
    assert_close("sigma2_mu = phi sigma2", m.extras["sigma2_mu"], phi * m.sigma2, 1e-12);
    assert!(m.vcov_conditional.is_some());
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

#[test]
fn sac_random_splm_covariance_reproduces_splm_standard_errors() {
    let (d, w) = insurance();
    let f = sac_re(&d, &w, Some(ReErrors::Bsk), Some(ReCovariance::Splm));
    let m = &f.model;
    let tag = "RE.SARAR_b";
    for term in std::iter::once("(intercept)").chain(X) {
        let name = format!("{tag}.se[{}]", ref_term(term));
        assert_close(&name, m.coef(term).unwrap().std_error, want(&name, "reown"), 1e-4);
        assert_close(
            &format!("{name} splm"),
            m.coef(term).unwrap().std_error,
            want(&name, "R"),
            1e-4,
        );
    }
    for (ours, theirs) in [("rho", "lambda.se"), ("lambda", "rho.se"), ("phi", "phi.se")] {
        assert_close(
            &format!("se({ours})"),
            m.coef(ours).unwrap().std_error,
            want(&format!("{tag}.{theirs}"), "reown"),
            SE_TOL,
        );
    }
    // Block-diagonal: β and (ρ, λ, φ) uncorrelated; the estimates are those of the default.
    let k = 1 + X.len();
    assert_eq!(f.cov(0, k), 0.0);
    assert_eq!(f.cov(1, k + 1), 0.0);
    assert_close(
        "same rho",
        m.coef("rho").unwrap().estimate,
        cached_bsk().model.coef("rho").unwrap().estimate,
        1e-10,
    );
    // The default (full observed information) β standard errors exceed the conditional ones.
    let full = &cached_bsk().model;
    assert!(full.coef("lrgdp").unwrap().std_error > m.coef("lrgdp").unwrap().std_error);
}

/// LU with partial pivoting of a dense row-major n×n matrix: ln|det|.
fn ln_abs_det(mut a: Vec<f64>, n: usize) -> f64 {
    let mut ld = 0.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().partial_cmp(&a[j * n + c].abs()).unwrap())
            .unwrap();
        if p != c {
            for j in 0..n {
                a.swap(c * n + j, p * n + j);
            }
        }
        let d = a[c * n + c];
        ld += d.abs().ln();
        for i in c + 1..n {
            let f = a[i * n + c] / d;
            if f != 0.0 {
                for j in c..n {
                    a[i * n + j] -= f * a[c * n + j];
                }
            }
        }
    }
    ld
}

/// Cholesky of a dense SPD row-major matrix: (ln det, solve(b)).
fn chol_logdet_solve(a: &[f64], n: usize, b: &[f64]) -> (f64, Vec<f64>) {
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut s = a[j * n + j];
        for k in 0..j {
            s -= l[j * n + k] * l[j * n + k];
        }
        assert!(s > 0.0, "not positive definite");
        let d = s.sqrt();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = s / d;
        }
    }
    let ld = 2.0 * (0..n).map(|i| l[i * n + i].ln()).sum::<f64>();
    let mut z = b.to_vec();
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * z[k]).sum();
        z[i] = (z[i] - s) / l[i * n + i];
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * z[k]).sum();
        z[i] = (z[i] - s) / l[i * n + i];
    }
    (ld, z)
}

/// The Gaussian log-likelihood of the SAC-RE model evaluated directly with the NT×NT covariance
/// (docs/methods.md §11.3, §11.9; observations ordered period by period):
/// Ω_b = φ(J_T ⊗ I_N) + I_T ⊗ (B'B)⁻¹ (BSK), Ω_k = (I_T + φJ_T) ⊗ (B'B)⁻¹ (KKP),
/// ℓ = −(NT/2) ln(2πσ²) − ½ ln|Ω| + T ln|I − ρW| − e'Ω⁻¹e/(2σ²), e = y − ρWy − Zβ.
fn direct_loglik(d: &Design, w: &Weights, errors: ReErrors, m: &spillover::models::Model) -> f64 {
    let (n, t) = (d.n, d.t);
    let nt = n * t;
    let wd = w.to_dense();
    let rho = m.coef("rho").unwrap().estimate;
    let lam = m.coef("lambda").unwrap().estimate;
    let phi = m.coef("phi").unwrap().estimate;
    let s2 = m.sigma2;
    // e = y − ρWy − Zβ.
    let mut e = d.y.clone();
    for s in 0..t {
        for i in 0..n {
            let wy: f64 = (0..n).map(|j| wd[i * n + j] * d.y[s * n + j]).sum();
            e[s * n + i] -= rho * wy + m.coef("(intercept)").unwrap().estimate;
            for (k, name) in X.iter().enumerate() {
                e[s * n + i] -= m.coef(name).unwrap().estimate * d.x[k][s * n + i];
            }
        }
    }
    // (B'B)⁻¹ via the inverse of B'B (Cholesky solves of the unit vectors).
    let b: Vec<f64> = (0..n * n)
        .map(|ij| f64::from(ij / n == ij % n) - lam * wd[ij])
        .collect();
    let btb: Vec<f64> = (0..n * n)
        .map(|ij| (0..n).map(|r| b[r * n + ij / n] * b[r * n + ij % n]).sum())
        .collect();
    let mut inv = vec![0.0; n * n];
    for c in 0..n {
        let mut unit = vec![0.0; n];
        unit[c] = 1.0;
        let (_, col) = chol_logdet_solve(&btb, n, &unit);
        for r in 0..n {
            inv[r * n + c] = col[r];
        }
    }
    let mut omega = vec![0.0; nt * nt];
    for s in 0..t {
        for r in 0..t {
            for i in 0..n {
                for j in 0..n {
                    let v = match errors {
                        ReErrors::Bsk => phi * f64::from(i == j) + if s == r { inv[i * n + j] } else { 0.0 },
                        ReErrors::Kkp => (f64::from(s == r) + phi) * inv[i * n + j],
                    };
                    omega[(s * n + i) * nt + r * n + j] = v;
                }
            }
        }
    }
    let (ld_omega, oe) = chol_logdet_solve(&omega, nt, &e);
    let q: f64 = e.iter().zip(&oe).map(|(a, b)| a * b).sum();
    let a: Vec<f64> = (0..n * n)
        .map(|ij| f64::from(ij / n == ij % n) - rho * wd[ij])
        .collect();
    let nt = nt as f64;
    -0.5 * nt * (2.0 * std::f64::consts::PI * s2).ln() - 0.5 * ld_omega + t as f64 * ln_abs_det(a, n) - q / (2.0 * s2)
}

#[test]
fn sac_random_likelihood_equals_the_dense_evaluation_for_bsk_and_kkp() {
    let (d, w) = insurance();
    let bsk = cached_bsk();
    assert_close(
        "bsk dense",
        bsk.model.loglik,
        direct_loglik(&d, &w, ReErrors::Bsk, &bsk.model),
        1e-10,
    );
    let kkp = sac_re(&d, &w, Some(ReErrors::Kkp), None);
    assert_eq!(kkp.model.info["errors"], "kkp");
    assert_close(
        "kkp dense",
        kkp.model.loglik,
        direct_loglik(&d, &w, ReErrors::Kkp, &kkp.model),
        1e-10,
    );
    // The KKP SAC nests SAR-RE (λ = 0) and the KKP SEM-RE (ρ = 0); the BSK SAC the BSK SEM-RE.
    let mut o = SpatialOptions::new(Fe::Random);
    let sar = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap();
    o.errors = Some(ReErrors::Kkp);
    let sem_kkp = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap();
    o.errors = Some(ReErrors::Bsk);
    let sem_bsk = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap();
    for (what, sac, restricted) in [
        ("kkp >= sar", &kkp, &sar),
        ("kkp >= sem", &kkp, &sem_kkp),
        ("bsk >= sar", bsk, &sar),
        ("bsk >= sem", bsk, &sem_bsk),
    ] {
        assert!(
            sac.model.loglik >= restricted.model.loglik - 1e-8,
            "{what}: {} < {}",
            sac.model.loglik,
            restricted.model.loglik
        );
    }
    // The estimate is a maximum of the full likelihood: moving ρ or λ lowers the dense value.
    for (param, h) in [("rho", 1e-3), ("lambda", 1e-3), ("rho", -1e-3), ("lambda", -1e-3)] {
        let mut m = kkp.model.clone();
        let i = m.index_of(param).unwrap();
        m.coefficients[i].estimate += h;
        assert!(
            direct_loglik(&d, &w, ReErrors::Kkp, &m) < kkp.model.loglik,
            "{param} {h}"
        );
    }
}

#[test]
fn sphtest_convention_on_the_error_model_reproduces_splm() {
    let (d, w) = insurance();
    let fe = fit_spatial(&d, &w, ModelKind::Sem, &SpatialOptions::new(Fe::Individual)).unwrap();
    let opts = HausmanOptions {
        params: HausmanParams::Slopes,
        abs: true,
        convention: HausmanConvention::Splm,
        ..HausmanOptions::default()
    };
    for (errors, tag) in [
        (ReErrors::Kkp, "sphtest.error.fits"),
        (ReErrors::Bsk, "sphtest.error_BSK.fits"),
    ] {
        let mut o = SpatialOptions::new(Fe::Random);
        o.errors = Some(errors);
        let re = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap();
        let t = hausman(&fe.model, &re.model, &opts).unwrap_or_else(|e| panic!("{e}"));
        assert_close(tag, t.statistic, want(&format!("{tag}.stat"), "R"), 1e-3);
        assert_eq!(t.df, want(&format!("{tag}.df"), "R"));
    }
}

#[test]
fn scripts_fit_sac_with_random_effects() {
    let data = std::fs::read(fixture("insurance/data.csv")).unwrap();
    let wb = std::fs::read(fixture("insurance/weights.csv")).unwrap();
    let sb = Sandbox::new("sac_random", &[("d.csv", &data), ("w.csv", &wb)]);
    let script = format!(
        "let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
         let f = \"{INSURANCE_F}\";\n\
         let w = read_weights(\"w.csv\");\n\
         let m = sac(p, f, w, #{{fe: \"random\"}});\n\
         print(`rho=${{m.rho}} lambda=${{m.lambda}} phi=${{m.coef(\"phi\").estimate}}`);\n\
         let g = fit(p, f, w, #{{model: \"sac\", fe: \"random\", errors: \"kkp\"}});\n\
         print(`kkp=${{g.lambda != m.lambda}}`);\n\
         print(effects(m));\n\
         let e1 = \"\"; try {{ sac(p, f, w, #{{fe: \"random\", errors: \"bogus\"}}); }} catch (err) {{ e1 = `${{err}}`; }}\n\
         print(`bad: ${{e1}}`);\n"
    );
    let out = sb.succeeds(&script);
    assert!(out.contains("rho=0.57773"), "{out}");
    assert!(out.contains("lambda=-0.68102"), "{out}");
    assert!(out.contains("phi=17.279"), "{out}");
    assert!(out.contains("kkp=true"), "{out}");
    assert!(out.contains("lrgdp") && out.contains("ndirect"), "{out}");
    assert!(out.contains("bad: ") && out.contains("bsk"), "{out}");
}

/// docs/methods.md §11.9, "Feasible region": SAC-RE with KKP errors on the sparse path
/// (`lndet: "sparse"`, ln|I − ρW| and ln|B| from the same cached sparse log-determinant) equals
/// the eigenvalue path on insurance (estimates to 1e−6 of max(|est|, se), as the error models of
/// tests/it/spatial_re_sparse.rs; logLik to 1e−8) and passes the §11.7 check; BSK on the sparse
/// path and `covariance: "expected"` are refused with the alternatives named.
#[test]
fn sac_random_sparse_path_kkp_equals_eigen_and_refusals_name_the_alternatives() {
    let (d, w) = insurance();
    let with = |errors: ReErrors, lndet: LogDetMethod, cov: Option<ReCovariance>| {
        let mut o = SpatialOptions::new(Fe::Random);
        o.errors = Some(errors);
        o.lndet = lndet;
        o.covariance = cov;
        fit_spatial(&d, &w, ModelKind::Sac, &o)
    };
    let eigen = with(ReErrors::Kkp, LogDetMethod::Auto, None).unwrap_or_else(|e| panic!("{e}"));
    let sparse = with(ReErrors::Kkp, LogDetMethod::Sparse, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(eigen.model.info["lndet"], "eigen");
    assert_eq!(sparse.model.info["lndet"], "sparse");
    for f in [&eigen, &sparse] {
        let c = &f.model.info["convergence"];
        assert!(c.contains("converged: below"), "{c}");
        assert!(f.model.warnings.is_empty(), "{:?}", f.model.warnings);
    }
    for (a, b) in eigen.model.coefficients.iter().zip(&sparse.model.coefficients) {
        assert_eq!(a.term, b.term);
        let tol = 1e-6 * a.estimate.abs().max(a.std_error);
        assert_abs(&format!("sparse {}", a.term), b.estimate, a.estimate, tol);
    }
    assert_close("sparse logLik", sparse.model.loglik, eigen.model.loglik, 1e-8);
    let Err(bsk) = with(ReErrors::Bsk, LogDetMethod::Sparse, None) else {
        panic!("sac-re with bsk errors on the sparse path was not refused");
    };
    let msg = bsk.to_string();
    assert!(
        msg.contains("errors: \"kkp\"") && msg.contains("lndet: \"eigen\""),
        "{msg}"
    );
    let Err(expected) = with(ReErrors::Bsk, LogDetMethod::Auto, Some(ReCovariance::Expected)) else {
        panic!("covariance \"expected\" for sac-re was not refused");
    };
    let msg = expected.to_string();
    assert!(
        msg.contains("covariance \"expected\"") && msg.contains("\"observed\""),
        "{msg}"
    );
}
