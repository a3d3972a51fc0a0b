//! Baltagi–Song–Jung–Koh (2007) LM tests (docs/methods.md §13.3) and their restricted models
//! srre (random effects + AR(1)) and semsr (spatial error + AR(1)): splm's values on produc
//! (Appendix F.3), the restricted fits at their optimum, their likelihoods at ψ = 0 against the
//! nested models, and the default convention against the generic score test computed with dense
//! NT×NT matrices.

use crate::common::{assert_close, fixture, weights_in_order};
use crate::sandbox::Sandbox;
use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{Mat, Side};
use spillover::models::bsjk::{bsjk_test, BsjkTest};
use spillover::models::bsk::BskConvention;
use spillover::models::ml::serial::{fit_serial, serial_loglik, SerialFit, SerialModel};
use spillover::models::ml::{fit_spatial, ReCovariance, ReErrors, SpatialOptions};
use spillover::models::random::{random_effects, ReMethod, PHI_BOUNDS};
use spillover::models::{Design, Fe, ModelKind};
use spillover::weights::Weights;

/// splm 1.6-5 `bsjktest` on Produc with usaww, docs/methods.md Appendix F.3 (statistic, p).
const PRODUC_SPLM: [(BsjkTest, f64, f64); 4] = [
    (BsjkTest::J, 4290.422435, 0.0),
    (BsjkTest::C1, 0.2616606509, 0.6089816),
    (BsjkTest::C2, 445.6705674, 6.3144e-99),
    (BsjkTest::C3, 20.03825834, 7.5908e-6),
];

fn produc() -> (Design, Weights) {
    let d = crate::common::produc_log_design();
    let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
    (d, w)
}

#[test]
fn bsjk_tests_reproduce_splm_on_produc() {
    let (d, w) = produc();
    for (test, stat, p) in PRODUC_SPLM {
        let t = bsjk_test(&d, &w, test, BskConvention::Splm).unwrap();
        assert_eq!(t.name, test.name());
        assert_eq!(t.df, if test == BsjkTest::J { 3.0 } else { 1.0 });
        // J is a closed form (1e−8 would do; the reference has 10 digits). C.1–C.3 depend on the
        // restricted ML optima: ours are the exact optima (score root), splm's nlminb stops within
        // ~5e−7 relative of them (C.1 5.2e−7, C.2 4.1e−7, C.3 1.3e−7 here), hence 1e−6.
        let tol = if test == BsjkTest::J { 1e-9 } else { 1e-6 };
        assert_close(test.name(), t.statistic, stat, tol);
        if p == 0.0 {
            assert!(t.p < 1e-300, "{}: p = {}", test.name(), t.p);
        } else {
            // The references print p to 5 significant digits.
            assert_close(&format!("{} p", test.name()), t.p, p, 1e-4);
        }
    }
}

/// Central-difference first and second derivatives of f along coordinate j.
fn derivs(f: &dyn Fn(&[f64]) -> f64, x: &[f64], j: usize, h: f64) -> (f64, f64) {
    let at = |d: f64| {
        let mut y = x.to_vec();
        y[j] += d;
        f(&y)
    };
    let (fp, f0, fm) = (at(h), at(0.0), at(-h));
    ((fp - fm) / (2.0 * h), (fp - 2.0 * f0 + fm) / (h * h))
}

/// The fit's parameter vector [β, a, ψ, σ²] (a = φ for srre, λ for semsr).
fn params(fit: &SerialFit) -> Vec<f64> {
    let a = match fit.model {
        SerialModel::Srre => fit.phi,
        SerialModel::Semsr => fit.lambda,
    };
    let mut x = fit.beta.clone();
    x.extend([a, fit.psi, fit.sigma2]);
    x
}

/// Every free coordinate of the fit is a stationary point of the full log-likelihood: the Newton
/// step |g/H| along each coordinate is below 1e−6 relative; coordinates in `at_lower_bound` sit
/// on their lower bound with a non-positive score (Kuhn–Tucker).
fn assert_optimum(d: &Design, w: Option<&Weights>, fit: &SerialFit, at_lower_bound: &[usize]) {
    let x = params(fit);
    let f = |x: &[f64]| {
        let k = x.len() - 3;
        serial_loglik(d, w, fit.model, &x[..k], x[k], x[k + 1], x[k + 2]).unwrap()
    };
    assert_close("logLik at the estimate", f(&x), fit.loglik, 1e-11);
    for j in 0..x.len() {
        // Relative steps: a step of 1e−6 in σ²_e ≈ 5e−4 (produc) has a central-difference error
        // h²ℓ‴/6 larger than the score itself.
        let h = if at_lower_bound.contains(&j) {
            1e-6
        } else {
            1e-4 * x[j].abs().max(1e-6)
        };
        let (g, hjj) = derivs(&f, &x, j, h);
        if at_lower_bound.contains(&j) {
            assert!(g <= 0.0, "{:?} coordinate {j} on its bound with score {g}", fit.model);
            continue;
        }
        assert!(hjj < 0.0, "{:?} coordinate {j}: curvature {hjj}", fit.model);
        let step = (g / hjj).abs();
        assert!(
            step <= 1e-6 * x[j].abs().max(1e-3),
            "{:?} coordinate {j} = {}: score {g}, Newton step {step}",
            fit.model,
            x[j]
        );
    }
}

#[test]
fn srre_and_semsr_fits_are_optima() {
    let (d, w) = produc();
    let srre = fit_serial(&d, None, SerialModel::Srre).unwrap();
    // On produc the srre optimum has φ on its lower guard 1e−8 (the AR(1) with ψ̂ ≈ 0.987
    // absorbs the persistence of the unit effects); ℓ is flat in ln φ there, so the inner Brent
    // stops within a few guard widths.
    assert!(srre.phi < 10.0 * PHI_BOUNDS.0, "phi = {}", srre.phi);
    assert!(srre.psi > 0.9 && srre.psi < 1.0, "psi = {}", srre.psi);
    let k = srre.beta.len();
    assert_optimum(&d, None, &srre, &[k]);
    let semsr = fit_serial(&d, Some(&w), SerialModel::Semsr).unwrap();
    assert!(semsr.lambda.abs() < 1.0 && semsr.psi.abs() < 1.0);
    assert_optimum(&d, Some(&w), &semsr, &[]);
    // Insurance: srre with an interior φ.
    let di = crate::common::insurance_design();
    let fi = fit_serial(&di, None, SerialModel::Srre).unwrap();
    assert!(fi.phi > 1e-4, "insurance phi = {}", fi.phi);
    assert_optimum(&di, None, &fi, &[]);
    // The AR(1) structure nests the ψ = 0 models, so the maxima are at least theirs.
    let re = random_effects(&di, ReMethod::Ml).unwrap();
    assert!(fi.loglik >= re.model.loglik - 1e-9);
}

#[test]
fn serial_likelihoods_at_psi_zero_are_the_nested_models() {
    // srre with ψ = 0 is the non-spatial random-effects likelihood (docs/methods.md §11.1(b)).
    let di = crate::common::insurance_design();
    let re = random_effects(&di, ReMethod::Ml).unwrap();
    let l = serial_loglik(&di, None, SerialModel::Srre, &re.beta, re.phi, 0.0, re.sigma2_idios).unwrap();
    assert_close("srre(psi = 0) = RE ML logLik", l, re.model.loglik, 1e-10);
    // semsr with ψ = 0 is the pooled SEM likelihood (with intercept, no fixed effects).
    let (d, w) = produc();
    let sem = fit_spatial(&d, &w, ModelKind::Sem, &SpatialOptions::new(Fe::None)).unwrap();
    let m = &sem.model;
    let mut beta = vec![m.coef("(intercept)").unwrap().estimate];
    beta.extend(sem.beta_index.iter().map(|&i| m.coefficients[i].estimate));
    let lam = sem.rho().unwrap();
    let l = serial_loglik(&d, Some(&w), SerialModel::Semsr, &beta, lam, 0.0, m.sigma2).unwrap();
    assert_close("semsr(psi = 0) = SEM logLik", l, m.loglik, 1e-10);
    // And the nesting of the maxima.
    let fit = fit_serial(&d, Some(&w), SerialModel::Semsr).unwrap();
    assert!(fit.loglik >= m.loglik - 1e-9);
}

/// kron(A (T×T), M (N×N)) in time-slow order.
fn kron(a: &Mat<f64>, m: &Mat<f64>) -> Mat<f64> {
    let (t, n) = (a.nrows(), m.nrows());
    Mat::from_fn(t * n, t * n, |r, c| a[(r / n, c / n)] * m[(r % n, c % n)])
}

/// tr(XY).
fn tr_prod(x: &Mat<f64>, y: &Mat<f64>) -> f64 {
    let n = x.nrows();
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += x[(i, j)] * y[(j, i)];
        }
    }
    s
}

/// The generic LM statistic s_k²[I⁻¹]_kk for Ω(θ) = σ²_μ J_T⊗I + σ²_e V_ψ⊗(B'B)⁻¹, θ = (σ²_e,
/// σ²_μ, ψ, λ), at residuals u: s_a = −½tr(Ω⁻¹Ω_a) + ½u'Ω⁻¹Ω_aΩ⁻¹u, I_ab = ½tr(Ω⁻¹Ω_aΩ⁻¹Ω_b),
/// all with dense NT×NT matrices.
fn generic_lm(w: &Weights, t: usize, u: &[f64], theta: [f64; 4], k: usize) -> f64 {
    let n = w.n();
    let [s2e, s2mu, psi, lam] = theta;
    let wd = w.to_dense();
    let wm = Mat::from_fn(n, n, |i, j| wd[i * n + j]);
    let b = Mat::from_fn(n, n, |i, j| f64::from(i == j) - lam * wd[i * n + j]);
    let bb = b.transpose() * &b;
    let p = bb.llt(Side::Lower).unwrap().inverse();
    let h = wm.transpose() * &b + b.transpose() * &wm;
    let dp = &p * &h * &p;
    let vpsi = Mat::from_fn(t, t, |s, r| {
        let e = (s as i32 - r as i32).unsigned_abs() as i32;
        psi.powi(e) / (1.0 - psi * psi)
    });
    let dvpsi = Mat::from_fn(t, t, |s, r| {
        let e = (s as i32 - r as i32).unsigned_abs() as i32;
        let pk1 = if e == 0 { 0.0 } else { e as f64 * psi.powi(e - 1) };
        pk1 / (1.0 - psi * psi) + psi.powi(e) * 2.0 * psi / (1.0 - psi * psi).powi(2)
    });
    let jt = Mat::from_fn(t, t, |_, _| 1.0);
    let id = Mat::<f64>::identity(n, n);
    let omega = kron(&jt, &id) * s2mu + kron(&vpsi, &p) * s2e;
    let oi = omega.llt(Side::Lower).unwrap().inverse();
    let derivs = [
        kron(&vpsi, &p),
        kron(&jt, &id),
        kron(&dvpsi, &p) * s2e,
        kron(&vpsi, &dp) * s2e,
    ];
    let a: Vec<Mat<f64>> = derivs.iter().map(|d| &oi * d).collect();
    let um = Mat::from_fn(u.len(), 1, |i, _| u[i]);
    let oiu = &oi * &um;
    let s_k = {
        let q = oiu.transpose() * &derivs[k] * &oiu;
        let trace: f64 = (0..u.len()).map(|i| a[k][(i, i)]).sum();
        -0.5 * trace + 0.5 * q[(0, 0)]
    };
    let info = Mat::from_fn(4, 4, |i, j| 0.5 * tr_prod(&a[i], &a[j]));
    let rhs = Mat::from_fn(4, 1, |i, _| f64::from(i == k));
    let x = info.partial_piv_lu().solve(&rhs);
    s_k * s_k * x[(k, 0)]
}

#[test]
fn default_convention_is_the_score_test_at_the_restricted_ml_fit() {
    let (d, w) = produc();
    let t = d.t;
    let paper = |test| bsjk_test(&d, &w, test, BskConvention::Paper).unwrap().statistic;
    // C.1: srre fit, λ = 0.
    let f1 = fit_serial(&d, None, SerialModel::Srre).unwrap();
    let want = generic_lm(&w, t, &f1.resid, [f1.sigma2, f1.phi * f1.sigma2, f1.psi, 0.0], 3);
    assert_close("C.1 (paper) = generic LM", paper(BsjkTest::C1), want, 1e-8);
    // C.3: semsr fit, σ²_μ = 0.
    let f3 = fit_serial(&d, Some(&w), SerialModel::Semsr).unwrap();
    let want = generic_lm(&w, t, &f3.resid, [f3.sigma2, 0.0, f3.psi, f3.lambda], 1);
    assert_close("C.3 (paper) = generic LM", paper(BsjkTest::C3), want, 1e-8);
    // C.2: BSK SEM-RE fit, ψ = 0.
    let mut o = SpatialOptions::new(Fe::Random);
    o.errors = Some(ReErrors::Bsk);
    o.covariance = Some(ReCovariance::Splm);
    let sem = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap();
    let m = &sem.model;
    let mut u: Vec<f64> =
        d.y.iter()
            .map(|y| y - m.coef("(intercept)").unwrap().estimate)
            .collect();
    for (col, &bi) in d.x.iter().zip(&sem.beta_index) {
        let bk = m.coefficients[bi].estimate;
        u.iter_mut().zip(col).for_each(|(v, x)| *v -= bk * x);
    }
    let (phi, lam) = (m.coef("phi").unwrap().estimate, m.coef("lambda").unwrap().estimate);
    let want = generic_lm(&w, t, &u, [m.sigma2, phi * m.sigma2, 0.0, lam], 2);
    assert_close("C.2 (paper) = generic LM", paper(BsjkTest::C2), want, 1e-8);
    // J has no variance components: both conventions agree.
    let j = |c| bsjk_test(&d, &w, BsjkTest::J, c).unwrap().statistic;
    assert_eq!(j(BskConvention::Paper), j(BskConvention::Splm));
}

#[test]
fn bsjk_j_refuses_two_periods_and_the_test_names() {
    let n = 6;
    let t = 2;
    let ids = crate::common::ids(n);
    let x: Vec<f64> = (0..n * t).map(|i| ((i * 7) % 5) as f64 + 0.1 * i as f64).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, v)| 1.0 + 0.5 * v + ((i * 3) % 4) as f64)
        .collect();
    let d = Design {
        depvar: "y".into(),
        names: vec!["x".into()],
        y,
        x: vec![x],
        n,
        t,
        ids,
        times: vec!["1".into(), "2".into()],
        intercept: true,
        factor_of: vec![None],
    };
    let w = crate::common::ring(n, spillover::weights::Standardization::Row);
    let e = bsjk_test(&d, &w, BsjkTest::J, BskConvention::Paper)
        .unwrap_err()
        .to_string();
    assert!(e.contains("T ≥ 3") && e.contains("T = 2"), "{e}");
    let names: Vec<&str> = BsjkTest::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(names, ["J", "C.1", "C.2", "C.3"]);
    let family: Vec<&str> = BsjkTest::ALL.iter().map(|t| t.family_name()).collect();
    assert_eq!(family, ["bsjk_j", "bsjk_c1", "bsjk_c2", "bsjk_c3"]);
}

#[test]
fn scripts_run_bsjk_tests_and_the_bsk_family_names() {
    let data = std::fs::read(fixture("produc/data.csv")).unwrap();
    let w = std::fs::read(fixture("produc/weights.csv")).unwrap();
    let sb = Sandbox::new("bsjk", &[("d.csv", &data), ("w.csv", &w)]);
    let script = "let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
         let f = \"log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp\";\n\
         let w = read_weights(\"w.csv\");\n\
         let j = bsjktest(p, f, w, #{test: \"J\"});\n\
         print(`J=${j.statistic} df=${j.df}`);\n\
         print(`c3=${bsjktest(p, f, w, #{test: \"C.3\", convention: \"splm\"}).statistic}`);\n\
         print(`fam=${bsktest(p, f, w, #{test: \"bsjk_j\"}).statistic}`);\n\
         let tab = bsjk_tests(p, f, w, #{convention: \"splm\"});\n\
         print(`tabc1=${tab[\"C.1\"].statistic}`);\n\
         print(bsk_tests(p, f, w, #{tests: [\"LMH\", \"bsjk_c2\"], convention: \"splm\"}));\n\
         let e = \"\"; try { bsjktest(p, f, w, #{test: \"C.4\"}); } catch (err) { e = `${err}`; }\n\
         print(`bad: ${e}`);\n";
    let out = sb.run(script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("J=4290.4224") && stdout.contains("df=3"), "{stdout}");
    assert!(stdout.contains("c3=20.03826"), "{stdout}");
    assert!(stdout.contains("fam=4290.4224"), "{stdout}");
    assert!(stdout.contains("tabc1=0.261660"), "{stdout}");
    assert!(
        stdout.contains("LMH") && stdout.contains("C.2") && stdout.contains("445.67"),
        "{stdout}"
    );
    assert!(stdout.contains("bad: ") && stdout.contains("\"C.1\""), "{stdout}");
}
