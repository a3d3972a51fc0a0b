//! The one resolvent (I − ρW)⁻¹ (solves, G = W(I − ρW)⁻¹ and its traces, the Lee–Yu shift)
//! against a dense closed form, `simulate` exact at every N, the one dot/quadratic form, and the
//! facts `Weights` keeps (eigenvalue cache across alignment, facts computed once).

use crate::common::{fixture, ids, ring};
use spillover::linalg::logdet::{SparseLogDet, SparseMethod};
use spillover::linalg::traces::{TraceMethod, TraceOptions};
use spillover::linalg::{dot, quad_form, Resolvent};
use spillover::models::simulate::{simulate, SimulateSpec};
use spillover::models::{Fe, ModelKind};
use spillover::weights::io::read_weights;
use spillover::weights::{Standardization, Weights};
use std::sync::Arc;

/// (I − ρW)⁻¹ by Gauss–Jordan elimination with partial pivoting (row-major N×N), independent
/// of the library's factorisations.
fn inverse_i_minus(w: &Weights, rho: f64) -> Vec<f64> {
    let n = w.n();
    let wd = w.to_dense();
    let mut a: Vec<f64> = (0..n * n)
        .map(|k| if k / n == k % n { 1.0 } else { 0.0 } - rho * wd[k])
        .collect();
    let mut inv: Vec<f64> = (0..n * n).map(|k| if k / n == k % n { 1.0 } else { 0.0 }).collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap();
        for k in 0..n {
            a.swap(c * n + k, p * n + k);
            inv.swap(c * n + k, p * n + k);
        }
        let d = a[c * n + c];
        for k in 0..n {
            a[c * n + k] /= d;
            inv[c * n + k] /= d;
        }
        for r in 0..n {
            if r != c {
                let f = a[r * n + c];
                if f != 0.0 {
                    for k in 0..n {
                        a[r * n + k] -= f * a[c * n + k];
                        inv[r * n + k] -= f * inv[c * n + k];
                    }
                }
            }
        }
    }
    inv
}

fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let x = a[i * n + k];
            if x != 0.0 {
                for j in 0..n {
                    c[i * n + j] += x * b[k * n + j];
                }
            }
        }
    }
    c
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: {got} vs {want} (diff {:e})",
        (got - want).abs()
    );
}

/// Σ_ij a_ij b_ji = tr(AB).
fn tr_ab(a: &[f64], b: &[f64], n: usize) -> f64 {
    (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .map(|(i, j)| a[i * n + j] * b[j * n + i])
        .sum()
}

#[test]
fn resolvent_solves_and_traces_match_the_dense_closed_form() {
    let w = read_weights(&fixture("columbus/weights.csv")).unwrap();
    let n = w.n();
    let rho = 0.55;
    let s = inverse_i_minus(&w, rho);
    let g = matmul(&w.to_dense(), &s, n);
    let tr_g: f64 = (0..n).map(|i| g[i * n + i]).sum();
    let tr_gg = tr_ab(&g, &g, n);
    let tr_gtg: f64 = g.iter().map(|v| v * v).sum();
    let colsum2: f64 = (0..n).map(|j| (0..n).map(|i| g[i * n + j]).sum::<f64>().powi(2)).sum();
    let b: Vec<f64> = (0..n).map(|i| ((i * 7 % 11) as f64) - 4.5).collect();
    let x_want: Vec<f64> = (0..n).map(|i| dot(&s[i * n..(i + 1) * n], &b)).collect();
    let xt_want: Vec<f64> = (0..n).map(|j| (0..n).map(|i| s[i * n + j] * b[i]).sum()).collect();

    let chol = SparseLogDet::with_method(&w, SparseMethod::Cholesky).unwrap();
    let lu = SparseLogDet::with_method(&w, SparseMethod::Lu).unwrap();
    let paths = [
        ("dense", Resolvent::dense(&w, rho).unwrap()),
        ("sparse cholesky", Resolvent::factorize(&w, &chol, rho).unwrap()),
        ("sparse lu", Resolvent::factorize(&w, &lu, rho).unwrap()),
    ];
    for (name, r) in &paths {
        assert_eq!(r.is_dense(), *name == "dense");
        let mut x = b.clone();
        r.solve_in_place(&mut x).unwrap();
        let mut xt = b.clone();
        r.solve_transpose_in_place(&mut xt).unwrap();
        for i in 0..n {
            close(&format!("{name} solve[{i}]"), x[i], x_want[i], 1e-10);
            close(&format!("{name} transpose solve[{i}]"), xt[i], xt_want[i], 1e-10);
        }
        // Three right-hand sides at once (a time-slow panel) and G applied to them.
        let panel: Vec<f64> = (0..3).flat_map(|t| b.iter().map(move |v| v * (t + 1) as f64)).collect();
        let many = r.solve_panel(&panel).unwrap();
        let gv = r.apply_g(&panel).unwrap();
        for t in 0..3 {
            for i in 0..n {
                close(
                    &format!("{name} many"),
                    many[t * n + i],
                    x_want[i] * (t + 1) as f64,
                    1e-10,
                );
                let want = dot(&g[i * n..(i + 1) * n], &b) * (t + 1) as f64;
                close(&format!("{name} G v"), gv[t * n + i], want, 1e-10);
            }
        }
        let (tr, c2) = r.traces(&TraceOptions::default()).unwrap();
        let want_method = if r.is_dense() {
            TraceMethod::Dense
        } else {
            TraceMethod::SparseSolves
        };
        assert_eq!(tr.method, want_method, "{name}");
        close(&format!("{name} tr G"), tr.tr_g, tr_g, 1e-10);
        close(&format!("{name} tr GG"), tr.tr_gg, tr_gg, 1e-10);
        close(&format!("{name} tr G'G"), tr.tr_gtg, tr_gtg, 1e-10);
        close(&format!("{name} ||G'1||^2"), c2, colsum2, 1e-10);

        // Lee–Yu with time effects: G* = F'GF with FF' = M = I − ιι'/N, so tr G* = tr(MG),
        // tr G*² = tr(MGMG) and tr G*'G* = tr(G'MGM).
        let m: Vec<f64> = (0..n * n)
            .map(|k| if k / n == k % n { 1.0 } else { 0.0 } - 1.0 / n as f64)
            .collect();
        let mg = matmul(&m, &g, n);
        let mgm = matmul(&mg, &m, n);
        let ly = tr.lee_yu_time(c2, n);
        close(
            &format!("{name} Lee-Yu tr G*"),
            ly.tr_g,
            (0..n).map(|i| mg[i * n + i]).sum(),
            1e-10,
        );
        close(&format!("{name} Lee-Yu tr G*G*"), ly.tr_gg, tr_ab(&mg, &mg, n), 1e-10);
        let gtmgm: f64 = g.iter().zip(&mgm).map(|(a, b)| a * b).sum();
        close(&format!("{name} Lee-Yu tr G*'G*"), ly.tr_gtg, gtmgm, 1e-10);
    }
}

#[test]
fn resolvent_refuses_a_singular_rho() {
    // Row-standardised ring: ω = 1 is an eigenvalue, so I − W is singular.
    let w = ring(6, Standardization::Row);
    let r = Resolvent::dense(&w, 1.0).unwrap();
    let e = r.solve_panel(&[1.0; 6]).unwrap_err().to_string();
    assert!(e.contains("singular") && e.contains("feasible interval"), "{e}");
    let engine = SparseLogDet::new(&w).unwrap();
    assert!(Resolvent::factorize(&w, &engine, 1.0).is_err());
}

/// Above N = 2000 the fixed-point iteration y ← b + ρWy needed about 30 000 iterations at
/// ρ = 0.999 (and gave up after 10 000); the sparse factorisation is exact.
#[test]
fn simulate_is_exact_above_the_dense_limit_near_the_bound() {
    let n = 2500;
    let w = ring(n, Standardization::Row);
    let mut spec = SimulateSpec::new(ModelKind::Sdm, vec![1.5]);
    spec.theta = vec![0.5];
    spec.names = vec!["x1".into()];
    spec.rho = 0.999;
    spec.t = 2;
    spec.sigma = 0.0;
    spec.fe = Fe::None;
    let p = simulate(&w, &spec, None).unwrap();
    let y = p.var("y").unwrap();
    let x = p.var("x1").unwrap();
    let mut worst: f64 = 0.0;
    for t in 0..2 {
        let (yt, xt) = (&y[t * n..(t + 1) * n], &x[t * n..(t + 1) * n]);
        let (wy, wx) = (w.lag(yt), w.lag(xt));
        for i in 0..n {
            // (I − ρW)y = Xβ + WXθ (σ = 0).
            let r = yt[i] - 0.999 * wy[i] - 1.5 * xt[i] - 0.5 * wx[i];
            worst = worst.max(r.abs());
        }
    }
    assert!(worst < 1e-8, "largest residual {worst:e}");
    // y is the solution, not b: with ρ this close to 1 the two differ a lot.
    assert!(y.iter().zip(x).any(|(a, b)| (a - 1.5 * b).abs() > 1.0));
    // Outside the feasible interval the sparse factorisation refuses, naming simulate.
    spec.rho = 1.2;
    let e = simulate(&w, &spec, None).unwrap_err().to_string();
    assert!(e.contains("simulate") && e.contains("feasible interval"), "{e}");
}

#[test]
fn one_dot_and_one_quadratic_form() {
    assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, -5.0, 6.0]), 12.0);
    // v'Av with A = [[2, 1], [1, 3]], v = (1, −2): 2 − 4 + 12 = 10.
    assert_eq!(quad_form(&[2.0, 1.0, 1.0, 3.0], &[1.0, -2.0]), 10.0);
}

#[test]
fn aligned_weights_keep_the_eigenvalue_cache() {
    let w = read_weights(&fixture("columbus/weights.csv")).unwrap();
    let mut ids = w.ids().to_vec();
    ids.reverse();
    let aligned = w.aligned_to(&ids).unwrap();
    assert!(!w.has_spectrum() && !aligned.has_spectrum());
    let s = aligned.spectrum().unwrap();
    // Computed once, through the aligned copy, and seen by the original (and vice versa).
    assert!(w.has_spectrum());
    assert!(Arc::ptr_eq(&s, &w.spectrum().unwrap()));
    let again = w.aligned_to(w.ids()).unwrap();
    assert!(again.has_spectrum() && Arc::ptr_eq(&s, &again.spectrum().unwrap()));
}

#[test]
fn weights_facts_are_computed_once_and_carried_over() {
    // Reading computes the facts once (symmetry and similarity are needed to attach d).
    let w = read_weights(&fixture("columbus/weights.csv")).unwrap();
    assert!(w.has_facts());
    let f = w.facts();
    assert!(Arc::ptr_eq(&f, &w.facts()) && Arc::ptr_eq(&f, &w.clone().facts()));
    assert!(f.row_stochastic && f.row_standardised && !f.symmetric && f.similarity.is_some());
    assert_eq!(f.similarity.as_deref(), w.sym_scale());
    // Aligning permutes the facts instead of recomputing them; they equal a fresh computation.
    let mut ids = w.ids().to_vec();
    ids.rotate_left(7);
    let aligned = w.aligned_to(&ids).unwrap();
    assert!(aligned.has_facts());
    let fresh = aligned
        .without_sym_scale()
        .with_sym_scale(aligned.sym_scale().unwrap().to_vec())
        .unwrap();
    assert!(!fresh.has_facts());
    assert_eq!(*fresh.facts(), *aligned.facts());
    // A new matrix (standardisation) gets new facts.
    let b = w.standardize(Standardization::MinMax).unwrap();
    assert!(!b.has_facts());
    // One tolerance: rows that sum to 1 ± 5e-11 are row-stochastic, 1 ± 1e-9 are not.
    let near = |e: f64| {
        let t = [(0, 1, 0.5), (0, 2, 0.5 + e), (1, 0, 1.0), (2, 0, 1.0)];
        Weights::from_triplets(crate::common::ids(3), &t, Standardization::None, false).unwrap()
    };
    assert!(near(5e-11).facts().row_stochastic);
    assert!(!near(1e-9).facts().row_stochastic);
    assert_eq!(spillover::weights::FACT_TOL, 1e-10);
}

#[test]
fn eigenvalue_sums_match_the_dense_closed_form() {
    // The one eigenvalue form of tr S, tr G, tr SG, tr G² (S = (I − ρW)⁻¹, G = WS), used by the
    // information matrices and the effects; real path (columbus, similar to symmetric) and
    // complex path (the general eigenvalues of a directed W).
    let columbus = read_weights(&fixture("columbus/weights.csv")).unwrap();
    let t = [
        (0, 1, 1.0),
        (1, 2, 1.0),
        (2, 3, 1.0),
        (3, 4, 1.0),
        (4, 0, 1.0),
        (0, 2, 0.5),
    ];
    let directed = Weights::from_triplets(ids(5), &t, Standardization::Row, false).unwrap();
    for (w, rho) in [(&columbus, -0.4), (&directed, 0.7)] {
        let n = w.n();
        let s = inverse_i_minus(w, rho);
        let g = matmul(&w.to_dense(), &s, n);
        let sg = matmul(&s, &g, n);
        let want = [
            (0..n).map(|i| s[i * n + i]).sum::<f64>(),
            (0..n).map(|i| g[i * n + i]).sum::<f64>(),
            (0..n).map(|i| sg[i * n + i]).sum::<f64>(),
            tr_ab(&g, &g, n),
        ];
        let spec = w.spectrum().unwrap();
        assert_eq!(spec.is_real(), n == 49);
        let got = spillover::linalg::resolvent::spectrum_sums(&spec, spec.is_real(), rho);
        for k in 0..4 {
            close(&format!("N = {n}, sum {k}"), got[k], want[k], 1e-10);
        }
        let (tg, tgg) = spillover::linalg::traces::spectrum_g_traces(&spec, rho).unwrap();
        assert_eq!((tg, tgg), (got[1], got[3]));
    }
}
