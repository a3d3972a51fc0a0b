//! The exact sparse LU path of ln|I − ρW| for a W not similar to a symmetric matrix
//! (docs/methods.md §4.3): the no-pivoting LU in a fixed supernodal structure where
//! (I − ρW)ᵀ is diagonally dominant by columns, the pivoted fallback elsewhere. Checked against
//! the eigenvalues of W and a dense LU with partial pivoting written here.

use spillover::linalg::logdet::{LogDetMethod, SparseLogDet, SparseMethod};
use spillover::linalg::LogDet;
use spillover::models::ml::synthetic::{dynamic_sdm_panel, DynamicSdmSpec, SdmSpec};
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::{Fe, ModelKind};
use spillover::weights::knn::{knn_from_points, KnnOptions};
use spillover::weights::{Standardization, Weights};
use std::time::Instant;

/// Deterministic points in the unit square (xorshift64*).
fn points(n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut u = || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(|_| [u(), u()]).collect()
}

/// One-way k-NN weights, row-standardised (not similar to a symmetric matrix).
fn knn(n: usize, k: usize, seed: u64) -> Weights {
    let ids: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
    let opts = KnnOptions {
        k,
        ..KnnOptions::default()
    };
    knn_from_points(ids, &points(n, seed), &opts).unwrap()
}

/// Dense I − ρW, row-major.
fn dense_a(w: &Weights, rho: f64) -> Vec<f64> {
    let n = w.n();
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        a[i * n + i] = 1.0;
    }
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        for (j, &v) in row.iter() {
            a[i * n + j] -= rho * v;
        }
    }
    a
}

/// Dense LU with partial pivoting (row-major, in place): (ln|det|, sign, row permutation).
fn dense_lu(a: &mut [f64], n: usize) -> (f64, f64, Vec<usize>) {
    let mut perm: Vec<usize> = (0..n).collect();
    let (mut logdet, mut sign) = (0.0, 1.0);
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs()))
            .unwrap();
        if p != k {
            for c in 0..n {
                a.swap(k * n + c, p * n + c);
            }
            perm.swap(k, p);
            sign = -sign;
        }
        let piv = a[k * n + k];
        logdet += piv.abs().ln();
        if piv < 0.0 {
            sign = -sign;
        }
        for i in k + 1..n {
            let l = a[i * n + k] / piv;
            a[i * n + k] = l;
            if l != 0.0 {
                for c in k + 1..n {
                    a[i * n + c] -= l * a[k * n + c];
                }
            }
        }
    }
    (logdet, sign, perm)
}

/// Solves A x = b with the factors of [`dense_lu`].
fn dense_solve(lu: &[f64], perm: &[usize], n: usize, b: &[f64]) -> Vec<f64> {
    let mut x: Vec<f64> = perm.iter().map(|&p| b[p]).collect();
    for i in 0..n {
        for c in 0..i {
            x[i] -= lu[i * n + c] * x[c];
        }
    }
    for i in (0..n).rev() {
        for c in i + 1..n {
            x[i] -= lu[i * n + c] * x[c];
        }
        x[i] /= lu[i * n + i];
    }
    x
}

fn transpose(a: &[f64], n: usize) -> Vec<f64> {
    let mut t = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            t[j * n + i] = a[i * n + j];
        }
    }
    t
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max) / scale
}

/// ln|I − ρW| of the no-pivoting LU equals the eigenvalue path and a dense pivoted LU to
/// 1e−10 for ρ in (−1, 1) on one-way k-NN W.
#[test]
fn sparse_lu_logdet_matches_eigen_and_dense() {
    for (n, k, seed) in [(300, 6, 1), (1200, 6, 2), (500, 10, 3)] {
        let w = knn(n, k, seed);
        let e = SparseLogDet::new(&w).unwrap();
        assert!(!e.is_cholesky());
        assert!(e.structure_nnz().unwrap() >= w.nnz() + n);
        assert!(e.describe().contains("without pivoting"), "{}", e.describe());
        let spec = w.spectrum().unwrap();
        for rho in [-0.95, -0.6, -0.2, 0.0, 0.3, 0.4, 0.7, 0.9, 0.99] {
            assert!(e.lu_without_pivoting(rho), "rho = {rho}");
            let f = e.factorize(rho).unwrap();
            assert!(!f.pivoted());
            let want = spec.logdet(rho);
            assert!(
                rel(f.logdet(), want) < 1e-10,
                "N = {n}, rho = {rho}: {} vs eigen {want}",
                f.logdet()
            );
            if n <= 500 {
                let mut a = dense_a(&w, rho);
                let (dense, sign, _) = dense_lu(&mut a, n);
                assert_eq!(sign, 1.0);
                assert!(rel(f.logdet(), dense) < 1e-10, "N = {n}, rho = {rho}: vs dense {dense}");
            }
        }
    }
}

/// Solves with the factor (A x = b, Aᵀ x = b, several right-hand sides) equal dense solves.
#[test]
fn sparse_lu_solves_match_dense() {
    let n = 400;
    let w = knn(n, 6, 7);
    let e = SparseLogDet::new(&w).unwrap();
    for rho in [0.45, -0.7] {
        let f = e.factorize(rho).unwrap();
        assert!(!f.pivoted());
        assert!(f.nnz() >= w.nnz() + n);
        let a = dense_a(&w, rho);
        let mut lu = a.clone();
        let (_, _, perm) = dense_lu(&mut lu, n);
        let mut lut = transpose(&a, n);
        let (_, _, perm_t) = dense_lu(&mut lut, n);
        let b: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
        let want = dense_solve(&lu, &perm, n, &b);
        let want_t = dense_solve(&lut, &perm_t, n, &b);
        let mut x = b.clone();
        f.solve_in_place(&mut x).unwrap();
        assert!(max_rel_diff(&x, &want) < 1e-12, "A x = b, rho = {rho}");
        let mut x = b.clone();
        f.solve_transpose_in_place(&mut x).unwrap();
        assert!(max_rel_diff(&x, &want_t) < 1e-12, "A' x = b, rho = {rho}");
        // Three right-hand sides at once.
        let bs: Vec<Vec<f64>> = (0..3)
            .map(|c| (0..n).map(|i| ((i * (c + 3)) % 7) as f64 - 3.0 + c as f64).collect())
            .collect();
        let mut many: Vec<f64> = bs.concat();
        f.solve_many_in_place(&mut many, 3).unwrap();
        for (c, bc) in bs.iter().enumerate() {
            let want = dense_solve(&lu, &perm, n, bc);
            assert!(max_rel_diff(&many[c * n..(c + 1) * n], &want) < 1e-12, "rhs {c}");
        }
        assert!(f.solve_in_place(&mut [0.0; 3]).is_err());
    }
}

/// A larger W (N = 20,000), where independent subtrees of the elimination tree are factorised
/// in parallel: the no-pivoting LU equals the pivoted one (a different elimination) to 1e−10,
/// and a solve has a small residual.
#[test]
fn sparse_lu_larger_matches_pivoted() {
    let n = 20_000;
    let w = knn(n, 6, 13);
    let e = SparseLogDet::new(&w).unwrap();
    let p = SparseLogDet::with_method(&w, SparseMethod::LuPivoted).unwrap();
    for rho in [0.4, -0.8, 0.97] {
        let (a, b) = (e.factorize(rho).unwrap(), p.factorize(rho).unwrap());
        assert!(!a.pivoted() && b.pivoted());
        assert!(
            rel(a.logdet(), b.logdet()) < 1e-10,
            "rho = {rho}: {} vs {}",
            a.logdet(),
            b.logdet()
        );
        let rhs: Vec<f64> = (0..n).map(|i| ((i * 13) % 17) as f64 - 8.0).collect();
        for transpose in [false, true] {
            let mut x = rhs.clone();
            if transpose {
                a.solve_transpose_in_place(&mut x).unwrap();
            } else {
                a.solve_in_place(&mut x).unwrap();
            }
            // Residual of (I − ρW) x = b or (I − ρW)ᵀ x = b.
            let mut r = x.clone();
            for (i, row) in w.matrix().outer_iterator().enumerate() {
                for (j, &v) in row.iter() {
                    if transpose {
                        r[j] -= rho * v * x[i];
                    } else {
                        r[i] -= rho * v * x[j];
                    }
                }
            }
            assert!(max_rel_diff(&r, &rhs) < 1e-12, "rho = {rho}, transpose = {transpose}");
        }
    }
}

/// Where (I − ρW)ᵀ is not diagonally dominant by columns (ρ ≤ −1 for a row-standardised W,
/// or a W whose rows sum to more than one) the pivoted LU is used, and it is correct.
#[test]
fn sparse_lu_fallback_outside_dominance() {
    let n = 300;
    let w = knn(n, 6, 11);
    let e = SparseLogDet::new(&w).unwrap();
    let spec = w.spectrum().unwrap();
    let (lo, _) = spec.interval();
    // A ρ in the feasible interval below −1 when there is one, else ρ = −1 itself is out of
    // the dominance range (and feasible when ω_min > −1).
    let rho = if lo < -1.0 { 0.5 * (lo - 1.0) } else { -1.0 };
    assert!(!e.lu_without_pivoting(rho));
    if spec.logdet(rho).is_finite() {
        let f = e.factorize(rho).unwrap();
        assert!(f.pivoted());
        assert!(rel(f.logdet(), spec.logdet(rho)) < 1e-10);
    }
    // Not row-standardised: k-NN weights 1, 2 or 3 by row (row sums 6, 12, 18); dominance
    // needs |ρ| < 1/18, the feasible interval reaches beyond it on both sides.
    let ids: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
    let trip: Vec<(usize, usize, f64)> = w
        .matrix()
        .outer_iterator()
        .enumerate()
        .flat_map(|(i, r)| {
            r.iter()
                .map(move |(j, _)| (i, j, 1.0 + (i % 3) as f64))
                .collect::<Vec<_>>()
        })
        .collect();
    let b = Weights::from_triplets(ids, &trip, Standardization::None, false).unwrap();
    let eb = SparseLogDet::new(&b).unwrap();
    assert!(!eb.is_cholesky());
    let sb = b.spectrum().unwrap();
    let (lo, hi) = sb.interval();
    let r = 1.0 / 18.0;
    assert!(lo < -r && hi > r, "({lo}, {hi})");
    for (rho, pivoted) in [
        (0.9 * r, false),
        (-0.9 * r, false),
        (0.5 * (r + hi), true),
        (0.5 * (lo - r), true),
    ] {
        assert_eq!(eb.lu_without_pivoting(rho), !pivoted, "rho = {rho}");
        let f = eb.factorize(rho).unwrap();
        assert_eq!(f.pivoted(), pivoted, "rho = {rho}");
        assert!(rel(f.logdet(), sb.logdet(rho)) < 1e-10, "rho = {rho}");
        let mut a = dense_a(&b, rho);
        let (dense, _, _) = dense_lu(&mut a, n);
        assert!(rel(f.logdet(), dense) < 1e-10, "rho = {rho}");
    }
    // The forced pivoted method agrees with the no-pivoting one.
    let p = SparseLogDet::with_method(&w, SparseMethod::LuPivoted).unwrap();
    assert!(p.describe().contains("partial pivoting"));
    for rho in [-0.5, 0.4, 0.95] {
        let (a, b) = (p.factorize(rho).unwrap(), e.factorize(rho).unwrap());
        assert!(a.pivoted() && !b.pivoted());
        assert!(rel(a.logdet(), b.logdet()) < 1e-12, "rho = {rho}");
    }
}

/// Outside the feasible interval, where det(I − ρW) < 0 (dense LU written here), the
/// factorisation is an error naming the interval and `logdet` is NaN.
#[test]
fn sparse_lu_error_outside_feasible_interval() {
    let n = 300;
    let w = knn(n, 6, 5);
    let e = SparseLogDet::new(&w).unwrap();
    let (lo, _) = w.spectrum().unwrap().interval();
    let mut negative = 0;
    for rho in [1.01, 1.05, 1.2, 1.5, 2.0, lo - 0.05, lo - 0.5, lo - 2.0] {
        let mut a = dense_a(&w, rho);
        let (_, sign, _) = dense_lu(&mut a, n);
        if sign < 0.0 {
            negative += 1;
            let err = e.factorize(rho).unwrap_err().to_string();
            assert!(err.contains("outside the feasible interval"), "rho = {rho}: {err}");
            assert!(e.logdet(rho).is_nan());
        }
    }
    assert!(negative > 0);
    assert!(e.factorize(f64::NAN).is_err());
}

/// A two-way SDM fit on one-way k-NN weights: the sparse (LU) engine gives the ρ̂ of the
/// eigenvalue engine to 1e−8.
#[test]
fn sparse_lu_fit_matches_eigen() {
    let spec = DynamicSdmSpec {
        base: SdmSpec::new(600, 5, 3),
        tau: 0.0,
        eta: 0.0,
        burn_in: 0,
        symmetric: false,
    };
    let p = dynamic_sdm_panel(&spec).unwrap();
    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.lndet = LogDetMethod::Eigen;
    let eig = fit_spatial(&p.design, &p.w, ModelKind::Sdm, &o).unwrap();
    o.lndet = LogDetMethod::Sparse;
    let sp = fit_spatial(&p.design, &p.w, ModelKind::Sdm, &o).unwrap();
    let (a, b) = (eig.rho().unwrap(), sp.rho().unwrap());
    assert!((a - b).abs() < 1e-8, "rho eigen {a} vs sparse {b}");
    let choice = &sp.model.info["lndet_choice"];
    assert!(choice.contains("without pivoting"), "{choice}");
    assert!((a - 0.4).abs() < 0.1, "rho {a}");
    for (x, y) in eig.model.coefficients.iter().zip(&sp.model.coefficients) {
        assert!((x.estimate - y.estimate).abs() < 1e-7, "{}", x.term);
    }
}

/// Timing of one factorisation, old (pivoted) and new (fixed structure), on one-way 6-NN W:
/// `SPARSE_LU_N=100000 cargo test --release --test it sparse_lu_timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn sparse_lu_timing() {
    let n: usize = std::env::var("SPARSE_LU_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let reps: usize = std::env::var("SPARSE_LU_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let skip_old = std::env::var("SPARSE_LU_SKIP_OLD").is_ok();
    let t = Instant::now();
    let w = knn(n, 6, 1);
    println!("N = {n}: W built in {:.2?} (nnz {})", t.elapsed(), w.nnz());
    let mut methods = vec![SparseMethod::Lu];
    if !skip_old {
        methods.push(SparseMethod::LuPivoted);
    }
    for m in methods {
        let t = Instant::now();
        let e = SparseLogDet::with_method(&w, m).unwrap();
        println!("{m:?}: setup {:.3?}; {}", t.elapsed(), e.describe());
        let mut ld = 0.0;
        for r in 0..reps {
            let t = Instant::now();
            let f = e.factorize(0.4 + 0.01 * r as f64).unwrap();
            let el = t.elapsed();
            let mut b = vec![1.0; n];
            let t2 = Instant::now();
            f.solve_in_place(&mut b).unwrap();
            println!(
                "{m:?}: factorisation {:.3?}, nnz(L+U) {}, one solve {:.3?}, logdet {}",
                el,
                f.nnz(),
                t2.elapsed(),
                f.logdet()
            );
            ld = f.logdet();
        }
        let _ = ld;
    }
    if std::env::var("SPARSE_LU_FAER").is_ok() {
        faer_supernodal_lu_timing(&w, reps);
    }
}

/// faer's own sparse LU (COLAMD, supernodal, partial pivoting): symbolic once, numeric per ρ.
fn faer_supernodal_lu_timing(w: &Weights, reps: usize) {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::sparse::linalg::lu::{factorize_symbolic_lu, LuSymbolicParams, NumericLu};
    use faer::sparse::linalg::SupernodalThreshold;
    use faer::sparse::{SparseColMat, Triplet};
    let n = w.n();
    let build = |rho: f64| {
        let mut t: Vec<Triplet<usize, usize, f64>> = (0..n).map(|i| Triplet::new(i, i, 1.0)).collect();
        for (i, row) in w.matrix().outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                t.push(Triplet::new(j, i, -rho * v));
            }
        }
        SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &t).unwrap()
    };
    let a = build(0.4);
    let t = Instant::now();
    let params = LuSymbolicParams {
        supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SUPERNODAL,
        ..Default::default()
    };
    let sym = factorize_symbolic_lu(a.symbolic(), params).unwrap();
    println!("faer supernodal LU: symbolic (COLAMD) {:.3?}", t.elapsed());
    let mut numeric = NumericLu::<usize, f64>::new();
    for r in 0..reps {
        let a = build(0.4 + 0.01 * r as f64);
        let t = Instant::now();
        let mut mem = MemBuffer::new(sym.factorize_numeric_lu_scratch::<f64>(faer::Par::Seq, Default::default()));
        sym.factorize_numeric_lu(
            &mut numeric,
            a.as_ref(),
            faer::Par::Seq,
            MemStack::new(&mut mem),
            Default::default(),
        )
        .unwrap();
        println!("faer supernodal LU: numeric {:.3?}", t.elapsed());
    }
}
