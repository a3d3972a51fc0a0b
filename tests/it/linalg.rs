//! Log-determinant engines and trace estimators (docs/methods.md §4.2–4.5, §7.4, §9) against the closed
//! forms and values of docs/methods.md Appendix B and against the exact eigenvalue engine.

use crate::common::{assert_abs, assert_close, fixture, ids, ring};
use rand::{RngExt, SeedableRng};
use spillover::linalg::logdet::{
    choose_logdet, ChebyshevLogDet, LogDetMethod, MonteCarloLogDet, SparseLogDet, SparseMethod, AUTO_EIGEN_LIMIT,
};
use spillover::linalg::sparse::similarity_scale;
use spillover::linalg::traces::{g_traces, power_traces, TraceMethod, TraceOptions};
use spillover::linalg::LogDet;
use spillover::weights::io::read_weights;
use spillover::weights::{Standardization, Weights};

const RHOS: [f64; 3] = [-0.5, 0.3, 0.8];
/// docs/methods.md Appendix B, "lndet ρ = −0.5 / 0.3 / 0.8 (exact)".
const LNDET_EXACT: [f64; 3] = [-0.19810807857, -0.09477372704, -1.10603029706];
/// docs/methods.md Appendix B, "Chebyshev q = 5 at the same ρ".
const LNDET_CHEB5: [f64; 3] = [-0.19829152317, -0.09477755528, -1.09964799696];

/// Appendix B: Ybar_i = i + 0.5 sin(i), W = rowstd(1/|Ybar_i − Ybar_j|), N = 12.
fn appendix_b_w() -> Weights {
    crate::common::appendix_b_w()
}

/// k nearest neighbours of `n` seeded uniform points (brute force); `symmetric` takes the
/// union of the relations (a symmetric binary C), then rows are standardised.
fn random_knn(n: usize, k: usize, seed: u64, symmetric: bool) -> Weights {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let pts: Vec<(f64, f64)> = (0..n).map(|_| (rng.random::<f64>(), rng.random::<f64>())).collect();
    let mut t = Vec::new();
    for i in 0..n {
        let mut d: Vec<(f64, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| ((pts[i].0 - pts[j].0).powi(2) + (pts[i].1 - pts[j].1).powi(2), j))
            .collect();
        d.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        for &(_, j) in &d[..k] {
            t.push((i, j, 1.0));
            if symmetric {
                t.push((j, i, 1.0));
            }
        }
    }
    // Union: duplicates summed, so binarise before standardising.
    let raw = Weights::from_triplets(ids(n), &t, Standardization::None, false).unwrap();
    let mut bin = Vec::new();
    for (i, row) in raw.matrix().outer_iterator().enumerate() {
        for (j, _) in row.iter() {
            bin.push((i, j, 1.0));
        }
    }
    Weights::from_triplets(ids(n), &bin, Standardization::Row, false).unwrap()
}

fn dense_logdet(w: &Weights, rho: f64) -> f64 {
    // Independent check: dense LU determinant (faer), |det| > 0 in the feasible interval.
    let n = w.n();
    let mut a = faer::Mat::<f64>::identity(n, n);
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        for (j, &v) in row.iter() {
            a[(i, j)] -= rho * v;
        }
    }
    a.determinant().ln()
}

#[test]
fn appendix_b_exact_lndet_eigen_sparse_cholesky_and_lu() {
    let w = appendix_b_w();
    assert!(w.sym_scale().is_some());
    let eigen = choose_logdet(&w, LogDetMethod::Eigen).unwrap();
    assert_eq!(eigen.method(), "eigen");
    let chol = SparseLogDet::new(&w).unwrap();
    assert!(chol.is_cholesky());
    let lu = SparseLogDet::with_method(&w, SparseMethod::Lu).unwrap();
    assert!(!lu.is_cholesky());
    for (rho, want) in RHOS.iter().zip(LNDET_EXACT) {
        assert_abs(&format!("eigen lndet({rho})"), eigen.logdet(*rho), want, 1e-10);
        assert_abs(&format!("sparse Cholesky lndet({rho})"), chol.logdet(*rho), want, 1e-10);
        assert_abs(&format!("sparse LU lndet({rho})"), lu.logdet(*rho), want, 1e-10);
        assert_abs(&format!("dense det({rho})"), dense_logdet(&w, *rho), want, 1e-10);
    }
    // Sanity values of Appendix B: ω_min = −0.365698281, tr(W²) = 1.828188282.
    let s = w.spectrum().unwrap();
    assert_abs("omega_min", s.real_range().0, -0.365698281, 1e-9);
    let pt = power_traces(&w, 2, None, &TraceOptions::default()).unwrap();
    assert_eq!(pt.method, TraceMethod::SparseProducts);
    assert_abs("tr(W^2)", pt.traces[1], 1.828188282, 1e-9);
}

#[test]
fn appendix_b_chebyshev_q5() {
    let w = appendix_b_w();
    let cheb = choose_logdet(&w, LogDetMethod::Chebyshev).unwrap();
    assert_eq!(cheb.method(), "chebyshev");
    assert!(cheb.error_note().unwrap().contains("q = 5"));
    for (rho, want) in RHOS.iter().zip(LNDET_CHEB5) {
        assert_abs(&format!("chebyshev q=5 lndet({rho})"), cheb.logdet(*rho), want, 1e-9);
    }
    // τ from the exact eigenvalue traces give the same engine.
    let s = w.spectrum().unwrap();
    let pt = power_traces(&w, 5, Some(&s), &TraceOptions::default()).unwrap();
    assert_eq!(pt.method, TraceMethod::Eigen);
    let from_eig = ChebyshevLogDet::from_power_traces(12, pt);
    let direct = ChebyshevLogDet::new(&w, 5, &TraceOptions::default()).unwrap();
    assert_abs("tau_1 = tr W", direct.tau()[1], 0.0, 1e-14);
    for (a, b) in from_eig.tau().iter().zip(direct.tau()) {
        assert_abs("tau (eigen vs sparse products)", *a, *b, 1e-11);
    }
}

#[test]
fn chebyshev_refuses_non_simmable_w() {
    let w = random_knn(60, 4, 7, false);
    assert!(similarity_scale(&w).is_none());
    let e = ChebyshevLogDet::new(&w, 5, &TraceOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("chebyshev") && e.contains("symmetric") && e.contains("sparse"),
        "{e}"
    );
    // Symmetric but not standardised: eigenvalues outside [−1, 1].
    let t = [(0, 1, 2.0), (1, 0, 2.0), (1, 2, 2.0), (2, 1, 2.0)];
    let w = Weights::from_triplets(ids(3), &t, Standardization::None, false).unwrap();
    let e = ChebyshevLogDet::new(&w, 5, &TraceOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("[−1, 1]"), "{e}");
}

/// Exact engines agree with the eigenvalues on a W read back from a file (row-standardised,
/// so the similarity must be detected) and with the LU path forced.
fn sparse_matches_eigen(w: &Weights, what: &str) {
    let s = w.spectrum().unwrap();
    let (lo, hi) = s.interval();
    let chol = SparseLogDet::new(w).unwrap();
    assert!(
        chol.is_cholesky(),
        "{what}: the symmetric similarity should be detected"
    );
    let lu = SparseLogDet::with_method(w, SparseMethod::Lu).unwrap();
    for f in [0.05, 0.3, 0.5, 0.7, 0.95, 0.999] {
        let rho = lo + f * (hi - lo);
        let want = s.logdet(rho);
        let tol = 1e-10 * want.abs().max(1.0);
        assert_abs(&format!("{what}: Cholesky lndet({rho})"), chol.logdet(rho), want, tol);
        assert_abs(&format!("{what}: LU lndet({rho})"), lu.logdet(rho), want, tol);
    }
    // Outside the interval: an error (NaN through the trait), never a wrong number.
    assert!(chol.logdet(hi + 0.5).is_nan());
    assert!(chol
        .factorize(hi + 0.5)
        .unwrap_err()
        .to_string()
        .contains("feasible interval"));
}

#[test]
fn sparse_equals_eigen_on_columbus() {
    let w = read_weights(&fixture("columbus/weights.csv")).unwrap();
    assert_eq!(w.n(), 49);
    sparse_matches_eigen(&w, "columbus");
}

#[test]
fn sparse_equals_eigen_on_citycluster() {
    let w = read_weights(&fixture("citycluster/weights.csv")).unwrap();
    assert_eq!(w.n(), 176);
    sparse_matches_eigen(&w, "citycluster");
}

#[test]
fn sparse_lu_equals_eigen_on_asymmetric_knn() {
    let w = random_knn(300, 6, 11, false);
    assert!(similarity_scale(&w).is_none());
    let sp = SparseLogDet::new(&w).unwrap();
    assert!(!sp.is_cholesky());
    let s = w.spectrum().unwrap();
    for rho in [-0.9, -0.4, 0.2, 0.6, 0.95] {
        let want = dense_logdet(&w, rho);
        assert_abs(
            &format!("eigen lndet({rho})"),
            s.logdet(rho),
            want,
            1e-10 * want.abs().max(1.0),
        );
        assert_abs(
            &format!("LU lndet({rho})"),
            sp.logdet(rho),
            want,
            1e-10 * want.abs().max(1.0),
        );
    }
    // The solve of the factor inverts I − ρW.
    let f = sp.factorize(0.6).unwrap();
    let x: Vec<f64> = (0..300).map(|i| (i as f64 * 0.37).sin()).collect();
    let wx = w.lag(&x);
    let mut b: Vec<f64> = x.iter().zip(&wx).map(|(a, c)| a - 0.6 * c).collect();
    f.solve_in_place(&mut b).unwrap();
    for (got, want) in b.iter().zip(&x) {
        assert_abs("LU solve", *got, *want, 1e-12);
    }
}

#[test]
fn cholesky_solve_inverts_i_minus_rho_w() {
    let w = appendix_b_w();
    let sp = SparseLogDet::new(&w).unwrap();
    let f = sp.factorize(0.7).unwrap();
    let x: Vec<f64> = (0..12).map(|i| 1.0 + (i as f64).cos()).collect();
    let wx = w.lag(&x);
    let mut b: Vec<f64> = x.iter().zip(&wx).map(|(a, c)| a - 0.7 * c).collect();
    f.solve_in_place(&mut b).unwrap();
    for (got, want) in b.iter().zip(&x) {
        assert_abs("Cholesky solve", *got, *want, 1e-13);
    }
}

#[test]
fn monte_carlo_within_its_band_at_n_2000() {
    let w = random_knn(2000, 6, 2024, true);
    assert!(w.sym_scale().is_some());
    let exact = SparseLogDet::new(&w).unwrap();
    let mc = MonteCarloLogDet::new(&w, 30, 16, 12345).unwrap();
    assert!(mc.error_note().unwrap().contains("m = 30"));
    for rho in [-0.5, 0.3, 0.6, 0.9] {
        let want = exact.logdet(rho);
        let e = mc.estimate(rho);
        assert!(e.std_error > 0.0 && e.truncation_bound >= 0.0);
        assert!(
            e.lower <= want && want <= e.upper,
            "MC at rho = {rho}: exact {want} outside [{}, {}] (value {}, se {}, bound {})",
            e.lower,
            e.upper,
            e.value,
            e.std_error,
            e.truncation_bound
        );
        assert_eq!(mc.logdet(rho), e.value);
    }
    // Seeded: the same seed gives the same numbers, another seed different ones.
    let again = MonteCarloLogDet::new(&w, 30, 16, 12345).unwrap();
    assert_eq!(again.logdet(0.5), mc.logdet(0.5));
    let other = MonteCarloLogDet::new(&w, 30, 16, 1).unwrap();
    assert_ne!(other.logdet(0.5), mc.logdet(0.5));
}

#[test]
fn auto_chooser_and_option_errors() {
    let w = appendix_b_w();
    assert_eq!(choose_logdet(&w, LogDetMethod::Auto).unwrap().method(), "eigen");
    assert_eq!(choose_logdet(&w, LogDetMethod::Sparse).unwrap().method(), "sparse");
    assert_eq!(
        choose_logdet(&w, LogDetMethod::MonteCarlo).unwrap().method(),
        "monte_carlo"
    );
    let big = random_knn(AUTO_EIGEN_LIMIT + 1, 4, 3, true);
    assert_eq!(choose_logdet(&big, LogDetMethod::Auto).unwrap().method(), "sparse");
    let e = "chebychev"
        .parse::<LogDetMethod>()
        .expect_err("unknown name is an error")
        .to_string();
    assert!(
        e.contains("did you mean \"chebyshev\"") && e.contains("\"monte_carlo\""),
        "{e}"
    );
}

#[test]
fn g_traces_closed_form_two_units() {
    // W = [[0,1],[1,0]]: tr G = 2ρ/(1−ρ²), tr G² = tr G'G = 1/(1−ρ)² + 1/(1+ρ)² (App. B).
    let w = ring(2, Standardization::Row);
    let rho = 0.4;
    let gg = 1.0 / (1.0f64 - rho).powi(2) + 1.0 / (1.0f64 + rho).powi(2);
    let t = g_traces(&w, rho, None, &TraceOptions::default()).unwrap();
    assert_eq!(t.method, TraceMethod::Dense);
    assert_close("tr G", t.tr_g, 2.0 * rho / (1.0 - rho * rho), 1e-13);
    assert_close("tr GG", t.tr_gg, gg, 1e-13);
    assert_close("tr G'G", t.tr_gtg, gg, 1e-13);
}

/// tr G, tr GG, tr G'G by brute force: G = (I − ρW)⁻¹ W column by column with the sparse solve
/// checked above, against the dense, eigen and stochastic paths.
#[test]
fn g_traces_dense_eigen_and_hutchinson() {
    let w = appendix_b_w();
    let rho = 0.6;
    let n = w.n();
    let mut g = vec![vec![0.0; n]; n]; // g[j] = column j
    let sp = SparseLogDet::with_method(&w, SparseMethod::Lu).unwrap();
    let f = sp.factorize(rho).unwrap();
    for (j, col) in g.iter_mut().enumerate() {
        let e: Vec<f64> = (0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
        *col = w.lag(&e);
        f.solve_in_place(col).unwrap();
    }
    let tg: f64 = (0..n).map(|i| g[i][i]).sum();
    let tgg: f64 = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .map(|(i, j)| g[j][i] * g[i][j])
        .sum();
    let tgtg: f64 = g.iter().flatten().map(|v| v * v).sum();

    let dense = g_traces(&w, rho, None, &TraceOptions::default()).unwrap();
    assert_close("dense tr G", dense.tr_g, tg, 1e-12);
    assert_close("dense tr GG", dense.tr_gg, tgg, 1e-12);
    assert_close("dense tr G'G", dense.tr_gtg, tgtg, 1e-12);
    let s = w.spectrum().unwrap();
    let eig = g_traces(&w, rho, Some(&s), &TraceOptions::default()).unwrap();
    assert_close("eigen tr G", eig.tr_g, tg, 1e-12);
    assert_close("eigen tr GG", eig.tr_gg, tgg, 1e-12);
    assert_close("eigen tr G'G", eig.tr_gtg, tgtg, 1e-12);
    // Hutchinson (forced): within 4 standard errors, and reproducible.
    let opts = TraceOptions {
        dense_limit: 0,
        draws: 400,
        ..TraceOptions::default()
    };
    let h = g_traces(&w, rho, None, &opts).unwrap();
    assert_eq!(h.method, TraceMethod::Stochastic);
    for (k, (got, want)) in [(h.tr_g, tg), (h.tr_gg, tgg), (h.tr_gtg, tgtg)].into_iter().enumerate() {
        let se = h.std_errors[k];
        assert!(
            se > 0.0 && (got - want).abs() <= 4.0 * se,
            "Hutchinson trace {k}: {got} vs {want} (se {se})"
        );
    }
    assert_eq!(g_traces(&w, rho, None, &opts).unwrap(), h);
}

#[test]
fn hutchinson_g_traces_at_n_2000() {
    let w = random_knn(2000, 6, 99, true);
    let rho = 0.5;
    let exact = g_traces(&w, rho, None, &TraceOptions::default()).unwrap();
    let opts = TraceOptions {
        dense_limit: 0,
        draws: 100,
        ..TraceOptions::default()
    };
    let h = g_traces(&w, rho, None, &opts).unwrap();
    for (k, (got, want)) in [(h.tr_g, exact.tr_g), (h.tr_gg, exact.tr_gg), (h.tr_gtg, exact.tr_gtg)]
        .into_iter()
        .enumerate()
    {
        let se = h.std_errors[k];
        assert!((got - want).abs() <= 4.0 * se, "trace {k}: {got} vs {want} (se {se})");
        assert!(se < 0.05 * want.abs(), "trace {k}: se {se} too large for {want}");
    }
}

#[test]
fn power_traces_exact_and_stochastic() {
    let w = appendix_b_w();
    let s = w.spectrum().unwrap();
    let eig = power_traces(&w, 30, Some(&s), &TraceOptions::default()).unwrap();
    let prod = power_traces(&w, 30, None, &TraceOptions::default()).unwrap();
    assert_eq!(prod.method, TraceMethod::SparseProducts);
    assert_eq!(prod.terms(), 30);
    for k in 0..30 {
        assert_abs(&format!("tr W^{}", k + 1), prod.traces[k], eig.traces[k], 1e-10);
    }
    // Series check: −Σ ρᵏ tr(Wᵏ)/k → lndet at ρ = 0.3 (truncation bound respected).
    let series: f64 = -(0..30)
        .map(|k| 0.3f64.powi(k as i32 + 1) * eig.traces[k] / (k + 1) as f64)
        .sum::<f64>();
    assert_abs(
        "series lndet(0.3)",
        series,
        LNDET_EXACT[1],
        12.0 * eig.truncation_bound(0.3) + 1e-10,
    );
    // Stochastic (forced by a zero budget): within 4 se of the exact traces.
    let opts = TraceOptions {
        exact_flop_budget: 0.0,
        draws: 200,
        ..TraceOptions::default()
    };
    let st = power_traces(&w, 10, None, &opts).unwrap();
    assert_eq!(st.method, TraceMethod::Stochastic);
    assert_eq!(st.std_errors[0], 0.0);
    assert_abs("stochastic tr W^2 (exact)", st.traces[1], eig.traces[1], 1e-12);
    for k in 2..10 {
        assert!(
            (st.traces[k] - eig.traces[k]).abs() <= 4.0 * st.std_errors[k] + 1e-12,
            "tr W^{}: {} vs {} (se {})",
            k + 1,
            st.traces[k],
            eig.traces[k],
            st.std_errors[k]
        );
    }
}
