//! The large-N path (issue 8/9): sparse log-determinants, sparse traces and series effects.
//!
//! At N = 2,000 the sparse path is exact (sparse Cholesky log-determinant, traces from N sparse
//! solves, power traces by propagating unit vectors), so it must equal the exact eigenvalue path
//! to rounding (checked at 1e−6 relative, the tolerance of the issue). The large-N
//! approximations (finite-difference + Hutchinson traces, stochastic power traces, Chebyshev and
//! Monte Carlo log-determinants) are forced at N = 2,000 and checked against the exact values
//! within the errors they report.

use crate::common::{assert_abs, assert_close};
use spillover::effects::{effects, input_from_fit, Effects, EffectsOptions, Method};
use spillover::linalg::logdet::{auto_choice, LogDetMethod, MonteCarloLogDet, SparseLogDet, SparseMethod};
use spillover::linalg::traces::{
    exact_power_traces, g_traces, g_traces_sparse, power_traces, TraceMethod, TraceOptions,
};
use spillover::linalg::LogDet;
use spillover::models::ml::synthetic::{sdm_panel, SdmSpec, SyntheticPanel};
use spillover::models::ml::{fit_spatial, BiasCorrection, SpatialFit, SpatialOptions};
use spillover::models::{Fe, ModelKind};
use spillover::weights::knn::{knn_from_points, KnnOptions};
use std::sync::OnceLock;

/// The N = 2,000, T = 10 synthetic two-way SDM panel (ρ = 0.4, symmetric 6-NN, row-standardised).
fn panel() -> &'static SyntheticPanel {
    static P: OnceLock<SyntheticPanel> = OnceLock::new();
    P.get_or_init(|| sdm_panel(&SdmSpec::new(2000, 10, 11)).unwrap())
}

fn fit_with(kind: ModelKind, fe: Fe, lndet: &str, tweak: impl Fn(&mut SpatialOptions)) -> SpatialFit {
    let p = panel();
    let mut o = SpatialOptions::new(fe);
    o.lndet = lndet.parse().unwrap();
    tweak(&mut o);
    fit_spatial(&p.design, &p.w, kind, &o).unwrap()
}

/// The exact eigenvalue two-way SDM (computed once).
fn eigen_sdm() -> &'static SpatialFit {
    static F: OnceLock<SpatialFit> = OnceLock::new();
    F.get_or_init(|| fit_with(ModelKind::Sdm, Fe::TwoWays, "eigen", |_| {}))
}

fn assert_same_fit(what: &str, a: &SpatialFit, b: &SpatialFit, rel: f64) {
    for (x, y) in a.model.coefficients.iter().zip(&b.model.coefficients) {
        assert_eq!(x.term, y.term);
        assert_close(&format!("{what}: {}", x.term), y.estimate, x.estimate, rel);
        assert_close(&format!("{what}: se {}", x.term), y.std_error, x.std_error, rel);
    }
    assert_close(&format!("{what}: sigma2"), b.model.sigma2, a.model.sigma2, rel);
    assert_close(&format!("{what}: loglik"), b.model.loglik, a.model.loglik, rel);
    assert_close(&format!("{what}: corr2"), b.model.corr2, a.model.corr2, rel);
}

fn assert_same_effects(what: &str, a: &Effects, b: &Effects, rel: f64) {
    for (label, ra, rb) in [
        ("direct", &a.direct, &b.direct),
        ("indirect", &a.indirect, &b.indirect),
        ("total", &a.total, &b.total),
    ] {
        for (k, name) in a.names.iter().enumerate() {
            assert_close(&format!("{what}: {label} {name}"), rb[k].estimate, ra[k].estimate, rel);
            assert_close(
                &format!("{what}: {label} se {name}"),
                rb[k].std_error,
                ra[k].std_error,
                rel,
            );
        }
    }
}

/// `lndet: "auto"` at N = 2,000 takes the sparse path, says so, and reproduces the exact
/// eigenvalue fit and its effects (delta and 1,000-draw simulation) to 1e−6.
#[test]
fn sparse_path_equals_eigen_path_at_n_2000() {
    let p = panel();
    let eig = eigen_sdm();
    let sp = fit_with(ModelKind::Sdm, Fe::TwoWays, "auto", |_| {});
    assert_eq!(sp.model.info["lndet"], "sparse");
    assert!(
        sp.model.info["lndet_choice"].starts_with("auto: sparse"),
        "{:?}",
        sp.model.info
    );
    assert!(
        sp.model.info["traces"].contains("exact (sparse_solves)"),
        "{}",
        sp.model.info["traces"]
    );
    assert!(sp.spectrum.is_none());
    let pt = sp.power_traces.as_ref().expect("series traces on the sparse path");
    assert_eq!(pt.method, TraceMethod::SparseProducts);
    assert_same_fit("auto vs eigen", eig, &sp, 1e-6);
    // The true parameters are recovered (ρ = 0.4, θ = (0.3, 0.2)) within 4 standard errors.
    let c = |t: &str| sp.model.coefficients.iter().find(|c| c.term == t).unwrap().clone();
    for (t, v) in [("rho", 0.4), ("x1", 1.0), ("x2", -0.5), ("W*x1", 0.3), ("W*x2", 0.2)] {
        assert_abs(&format!("recovered {t}"), c(t).estimate, v, 4.0 * c(t).std_error);
    }
    for method in [Method::Delta, Method::Simulation] {
        let o = EffectsOptions {
            method,
            ..EffectsOptions::default()
        };
        let a = effects(&input_from_fit(eig, &p.w).unwrap(), &o).unwrap();
        let b = effects(&input_from_fit(&sp, &p.w).unwrap(), &o).unwrap();
        assert_eq!((a.engine, b.engine), ("eigen", "series"));
        assert_same_effects(&format!("{method:?} effects"), &a, &b, 1e-6);
    }
}

/// SEM with individual effects and SAR with the Lee–Yu transformation (time effects: the traces
/// lose the unit eigenvalue and ‖G'ι‖²/N) agree between the two paths.
#[test]
fn sparse_path_sem_and_lee_yu_equal_eigen_path() {
    for (kind, fe, bc) in [
        (ModelKind::Sem, Fe::Individual, BiasCorrection::None),
        (ModelKind::Sar, Fe::TwoWays, BiasCorrection::LeeYu),
        (ModelKind::Sar, Fe::TwoWays, BiasCorrection::Elhorst),
    ] {
        let set = |o: &mut SpatialOptions| o.bias_correction = bc;
        let a = fit_with(kind, fe, "eigen", set);
        let b = fit_with(kind, fe, "sparse", set);
        assert_same_fit(&format!("{kind:?} {fe:?} {bc:?}"), &a, &b, 1e-6);
    }
}

/// The large-N approximations forced at N = 2,000 (zero exact budget): tr G and tr GG from
/// finite differences within their error estimates, tr G'G within 4 standard errors; the power
/// traces within 4 se; the fit's standard errors and the effects close to the exact ones.
#[test]
fn large_n_approximations_within_stated_errors_at_n_2000() {
    let p = panel();
    let w = &p.w;
    let forced = TraceOptions {
        exact_flop_budget: 0.0,
        ..TraceOptions::default()
    };
    let engine = SparseLogDet::new(w).unwrap();
    let rho = 0.4;
    let f = engine.factorize(rho).unwrap();
    let (exact, c2) = g_traces_sparse(w, &engine, &f, &TraceOptions::default()).unwrap();
    assert_eq!(exact.method, TraceMethod::SparseSolves);
    let dense = g_traces(w, rho, None, &TraceOptions::default()).unwrap();
    assert_close("exact sparse tr G", exact.tr_g, dense.tr_g, 1e-11);
    assert_close("exact sparse tr GG", exact.tr_gg, dense.tr_gg, 1e-11);
    assert_close("exact sparse tr G'G", exact.tr_gtg, dense.tr_gtg, 1e-11);
    let (approx, c2a) = g_traces_sparse(w, &engine, &f, &forced).unwrap();
    assert_eq!(approx.method, TraceMethod::FiniteDifference);
    assert_close("‖G'ι‖²", c2a, c2, 1e-10);
    assert_abs("FD tr G", approx.tr_g, exact.tr_g, approx.std_errors[0]);
    assert_abs("FD tr GG", approx.tr_gg, exact.tr_gg, approx.std_errors[1]);
    assert!(approx.std_errors[0] < 1e-5 * exact.tr_g && approx.std_errors[1] < 1e-5 * exact.tr_gg);
    assert_abs(
        "Hutchinson tr G'G",
        approx.tr_gtg,
        exact.tr_gtg,
        4.0 * approx.std_errors[2],
    );
    assert!(
        approx.std_errors[2] < 0.01 * exact.tr_gtg,
        "se {}",
        approx.std_errors[2]
    );

    let m = 24;
    let ex = power_traces(w, m, None, &TraceOptions::default()).unwrap();
    assert_eq!(ex.method, TraceMethod::SparseProducts);
    let st = power_traces(w, m, None, &forced).unwrap();
    assert_eq!(st.method, TraceMethod::Stochastic);
    for (k, ((got, want), se)) in st.traces.iter().zip(&ex.traces).zip(&st.std_errors).enumerate() {
        assert_abs(&format!("stochastic tr W^{}", k + 1), *got, *want, 4.0 * se + 1e-9);
    }

    // The fit with the forced approximations: same ρ̂ and β̂ (same exact log-determinant),
    // standard errors within 1% of the exact ones; effects within 1e−3 (relative).
    let eig = eigen_sdm();
    let ap = fit_with(ModelKind::Sdm, Fe::TwoWays, "sparse", |o| o.traces = forced);
    assert!(
        ap.model.info["traces"].contains("5-point differences"),
        "{}",
        ap.model.info["traces"]
    );
    assert!(
        ap.model.info["effects_traces"].contains("stochastic"),
        "{}",
        ap.model.info["effects_traces"]
    );
    for (x, y) in eig.model.coefficients.iter().zip(&ap.model.coefficients) {
        assert_close(&format!("approx fit {}", x.term), y.estimate, x.estimate, 1e-6);
        assert_close(&format!("approx fit se {}", x.term), y.std_error, x.std_error, 1e-2);
    }
    let o = EffectsOptions {
        method: Method::Delta,
        ..EffectsOptions::default()
    };
    let a = effects(&input_from_fit(eig, w).unwrap(), &o).unwrap();
    let b = effects(&input_from_fit(&ap, w).unwrap(), &o).unwrap();
    for k in 0..a.names.len() {
        assert_close("approx direct", b.direct[k].estimate, a.direct[k].estimate, 1e-3);
        assert_close("approx total", b.total[k].estimate, a.total[k].estimate, 1e-6);
        assert_close(
            "approx indirect se",
            b.indirect[k].std_error,
            a.indirect[k].std_error,
            2e-2,
        );
    }
}

/// Chebyshev and Monte Carlo log-determinants at N = 2,000: the exact value lies in the Monte
/// Carlo band, and the fits with either engine land near the exact ρ̂ (their notes say how).
#[test]
fn chebyshev_and_monte_carlo_at_n_2000() {
    let p = panel();
    let exact = SparseLogDet::new(&p.w).unwrap();
    let mc = MonteCarloLogDet::new(&p.w, 30, 16, 7).unwrap();
    for rho in [-0.5, 0.2, 0.4, 0.6] {
        let e = mc.estimate(rho);
        let want = exact.logdet(rho);
        assert!(
            e.lower <= want && want <= e.upper,
            "MC band [{}, {}] misses the exact {want} at rho {rho}",
            e.lower,
            e.upper
        );
    }
    let eig = eigen_sdm();
    let rho = eig.rho().unwrap();
    for lndet in ["chebyshev", "monte_carlo"] {
        let f = fit_with(ModelKind::Sdm, Fe::TwoWays, lndet, |_| {});
        assert_eq!(f.model.info["lndet"], lndet);
        assert!(f.model.info.contains_key("lndet_note"));
        assert_abs(&format!("{lndet} rho"), f.rho().unwrap(), rho, 0.02);
    }
}

/// `auto` decides by N and sparsity and says why.
#[test]
fn auto_choice_by_size_and_density() {
    let pts: Vec<[f64; 2]> = (0..1100)
        .map(|i| {
            let x = i as f64;
            [(x * 0.618_034).fract(), (x * 0.414_214).fract()]
        })
        .collect();
    let ids = crate::common::ids(1100);
    let sparse = knn_from_points(ids.clone(), &pts, &KnnOptions::default()).unwrap();
    let (m, why) = auto_choice(&sparse);
    assert_eq!(m, LogDetMethod::Sparse, "{why}");
    assert!(why.contains("N = 1100") && why.contains("non-zeros"), "{why}");
    let dense_opts = KnnOptions {
        k: 80,
        ..KnnOptions::default()
    };
    let dense = knn_from_points(ids, &pts, &dense_opts).unwrap();
    let (m, why) = auto_choice(&dense);
    assert_eq!(m, LogDetMethod::Eigen, "{why}");
    assert!(why.contains("dense"), "{why}");
    let (m, _) = auto_choice(
        &knn_from_points(
            (0..50).map(|i| i.to_string()).collect(),
            &pts[..50],
            &KnnOptions::default(),
        )
        .unwrap(),
    );
    assert_eq!(m, LogDetMethod::Eigen);
}

/// Exact power traces and column traces for a W that is not similar to a symmetric matrix
/// (one-way 5-NN: complex eigenvalues, sparse LU): against the eigenvalues and the dense path.
#[test]
fn general_w_power_and_column_traces() {
    let n = 300;
    let pts: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let x = i as f64;
            [(x * 0.754_877).fract(), (x * 0.569_840).fract()]
        })
        .collect();
    let ids = crate::common::ids(n);
    let w = knn_from_points(ids, &pts, &KnnOptions::default()).unwrap();
    let s = w.spectrum().unwrap();
    let eig = power_traces(&w, 9, Some(&s), &TraceOptions::default()).unwrap();
    let ex = exact_power_traces(&w, 9, f64::INFINITY).unwrap();
    for (k, (got, want)) in ex.iter().zip(&eig.traces).enumerate() {
        assert_abs(&format!("tr W^{}", k + 1), *got, *want, 1e-9);
    }
    let engine = SparseLogDet::with_method(&w, SparseMethod::Lu).unwrap();
    let rho = 0.55;
    let f = engine.factorize(rho).unwrap();
    let dense = g_traces(&w, rho, None, &TraceOptions::default()).unwrap();
    let (sp, _) = g_traces_sparse(&w, &engine, &f, &TraceOptions::default()).unwrap();
    assert_eq!(sp.method, TraceMethod::SparseSolves);
    assert_close("LU tr G", sp.tr_g, dense.tr_g, 1e-11);
    assert_close("LU tr GG", sp.tr_gg, dense.tr_gg, 1e-11);
    assert_close("LU tr G'G", sp.tr_gtg, dense.tr_gtg, 1e-11);
    let forced = TraceOptions {
        exact_flop_budget: 0.0,
        draws: 200,
        ..TraceOptions::default()
    };
    let (fd, _) = g_traces_sparse(&w, &engine, &f, &forced).unwrap();
    assert_abs("LU FD tr G", fd.tr_g, dense.tr_g, fd.std_errors[0]);
    assert_abs("LU FD tr GG", fd.tr_gg, dense.tr_gg, fd.std_errors[1]);
    assert_abs("LU Hutchinson tr G'G", fd.tr_gtg, dense.tr_gtg, 4.0 * fd.std_errors[2]);
    // Transposed solve: (I − ρW)ᵀx = b.
    let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    for e in [&engine, &SparseLogDet::new(&panel().w).unwrap()] {
        let nn = e.n();
        let bb = &b.iter().cycle().take(nn).copied().collect::<Vec<_>>();
        let f = e.factorize(rho).unwrap();
        let mut x = bb.clone();
        f.solve_transpose_in_place(&mut x).unwrap();
        let ww = if nn == n { &w } else { &panel().w };
        let wtx = spillover::linalg::traces::lag_transpose(ww, &x);
        for ((xi, wi), bi) in x.iter().zip(&wtx).zip(bb) {
            assert_abs("transposed solve residual", xi - rho * wi, *bi, 1e-12);
        }
    }
}
