//! Log-determinant engines at scale (docs/methods.md §4.2–4.5): per-ρ ln|I − ρW| with the sparse
//! Cholesky (symmetric similar S) and sparse LU paths at N = 10,000 and 100,000, on k = 6
//! neighbour lattices; eigenvalue setup at N = 2,000; Monte Carlo and Chebyshev setup at
//! N = 100,000.
//!
//! Run: `cargo bench --bench logdet -- --sample-size 10`.

use criterion::{criterion_group, criterion_main, Criterion};
use spillover::linalg::logdet::{ChebyshevLogDet, MonteCarloLogDet, SparseLogDet};
use spillover::linalg::traces::{g_traces, TraceOptions};
use spillover::linalg::LogDet;
use spillover::weights::{spectrum, Standardization, Weights};

/// splitmix64, so the bench needs no extra dependency.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A rows × cols lattice where every unit has (up to) 6 neighbours. `symmetric`: the
/// triangular lattice (E, W, N, S, NE, SW), a symmetric binary C, so W = D⁻¹C has the
/// Cholesky path. Otherwise each unit links to 6 of its 8 surrounding cells drawn at random:
/// one-way links, LU path. Rows are standardised.
fn lattice(rows: usize, cols: usize, symmetric: bool, seed: u64) -> Weights {
    let n = rows * cols;
    let id = |r: usize, c: usize| r * cols + c;
    let mut s = seed;
    let mut trip = Vec::with_capacity(6 * n);
    for r in 0..rows {
        for c in 0..cols {
            let mut offs: Vec<(i64, i64)> = if symmetric {
                vec![(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1)]
            } else {
                vec![(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1), (1, -1), (-1, 1)]
            };
            if !symmetric {
                for k in (1..offs.len()).rev() {
                    let j = (splitmix(&mut s) % (k as u64 + 1)) as usize;
                    offs.swap(k, j);
                }
                offs.truncate(6);
            }
            for (dr, dc) in offs {
                let (rr, cc) = (r as i64 + dr, c as i64 + dc);
                if rr >= 0 && cc >= 0 && (rr as usize) < rows && (cc as usize) < cols {
                    trip.push((id(r, c), id(rr as usize, cc as usize), 1.0));
                }
            }
        }
    }
    let ids = (0..n).map(|i| i.to_string()).collect();
    Weights::from_triplets(ids, &trip, Standardization::Row, true).expect("lattice weights")
}

fn bench_sparse(c: &mut Criterion) {
    for (rows, cols) in [(100, 100), (250, 400)] {
        let n = rows * cols;
        let ws = lattice(rows, cols, true, 1);
        let chol = SparseLogDet::new(&ws).expect("cholesky setup");
        assert!(chol.is_cholesky());
        c.bench_function(&format!("sparse_cholesky_logdet/N={n}"), |b| {
            b.iter(|| chol.logdet(std::hint::black_box(0.5)))
        });
        let wa = lattice(rows, cols, false, 2);
        let lu = SparseLogDet::new(&wa).expect("lu setup");
        assert!(!lu.is_cholesky());
        c.bench_function(&format!("sparse_lu_logdet/N={n}"), |b| {
            b.iter(|| lu.logdet(std::hint::black_box(0.5)))
        });
        c.bench_function(&format!("sparse_cholesky_setup/N={n}"), |b| {
            b.iter(|| SparseLogDet::new(&ws).expect("setup"))
        });
        c.bench_function(&format!("sparse_lu_setup/N={n}"), |b| {
            b.iter(|| SparseLogDet::new(&wa).expect("setup"))
        });
    }
}

fn bench_eigen(c: &mut Criterion) {
    let ws = lattice(40, 50, true, 3);
    c.bench_function("eigen_setup_symmetric/N=2000", |b| {
        b.iter(|| spectrum::compute(&ws).expect("spectrum"))
    });
    let wa = lattice(40, 50, false, 4);
    c.bench_function("eigen_setup_general/N=2000", |b| {
        b.iter(|| spectrum::compute(&wa).expect("spectrum"))
    });
    c.bench_function("g_traces_dense/N=2000", |b| {
        b.iter(|| g_traces(&wa, 0.5, None, &TraceOptions::default()).expect("traces"))
    });
}

fn bench_approx(c: &mut Criterion) {
    let ws = lattice(250, 400, true, 5);
    c.bench_function("monte_carlo_setup_m30_p16/N=100000", |b| {
        b.iter(|| MonteCarloLogDet::new(&ws, 30, 16, 1).expect("mc"))
    });
    c.bench_function("chebyshev_setup_q5/N=100000", |b| {
        b.iter(|| ChebyshevLogDet::new(&ws, 5, &TraceOptions::default()).expect("cheb"))
    });
    let opts = TraceOptions {
        dense_limit: 0,
        ..TraceOptions::default()
    };
    c.bench_function("g_traces_hutchinson_50/N=100000", |b| {
        b.iter(|| g_traces(&ws, 0.5, None, &opts).expect("traces"))
    });
}

criterion_group!(benches, bench_sparse, bench_eigen, bench_approx);
criterion_main!(benches);
