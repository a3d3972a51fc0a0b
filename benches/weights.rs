//! Spatial-weights construction at scale: k-nearest neighbours (k = 6) of N = 100,000 random
//! points through the R-tree, the dense economic-distance W for N = 5,000 (docs/methods.md §2), queen
//! contiguity of a 224 × 224 grid of squares (50,176 polygons), and the eigenvalues of a
//! symmetric-ised k-NN W at N = 2,000 through the symmetric similar matrix (docs/methods.md §4.2).
//!
//! Run: `cargo bench --bench weights -- --sample-size 10`.

use criterion::{criterion_group, criterion_main, Criterion};
use spillover::weights::build::{economic_from_means, EconomicOptions};
use spillover::weights::contiguity::{contiguity_from_polygons, Rings, Rule};
use spillover::weights::knn::{knn_from_points, KnnOptions};
use spillover::weights::spectrum;

/// splitmix64, so the bench needs no extra dependency.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniform(state: &mut u64) -> f64 {
    (splitmix(state) >> 11) as f64 / (1u64 << 53) as f64
}

fn points(n: usize, seed: u64) -> (Vec<String>, Vec<[f64; 2]>) {
    let mut s = seed;
    let pts = (0..n)
        .map(|_| [uniform(&mut s) * 1000.0, uniform(&mut s) * 1000.0])
        .collect();
    ((0..n).map(|i| i.to_string()).collect(), pts)
}

fn bench(c: &mut Criterion) {
    let (ids, pts) = points(100_000, 1);
    c.bench_function("knn k=6 N=100000", |b| {
        b.iter(|| knn_from_points(ids.clone(), &pts, &KnnOptions::default()).unwrap())
    });

    let mut s = 2;
    let ybar: Vec<f64> = (0..5_000).map(|_| 1.0 + 10.0 * uniform(&mut s)).collect();
    let eids: Vec<String> = (0..5_000).map(|i| i.to_string()).collect();
    c.bench_function("economic W N=5000", |b| {
        b.iter(|| economic_from_means(eids.clone(), &ybar, "y", &EconomicOptions::default()).unwrap())
    });

    let side = 224;
    let mut polys: Vec<Rings> = Vec::with_capacity(side * side);
    for r in 0..side {
        for col in 0..side {
            let (x, y) = (col as f64, r as f64);
            polys.push(vec![vec![
                [x, y],
                [x + 1.0, y],
                [x + 1.0, y + 1.0],
                [x, y + 1.0],
                [x, y],
            ]]);
        }
    }
    let pids: Vec<String> = (0..side * side).map(|i| i.to_string()).collect();
    c.bench_function("queen contiguity 50176 polygons", |b| {
        b.iter(|| contiguity_from_polygons(pids.clone(), &polys, Rule::Queen, 1e-8, &Default::default()).unwrap())
    });

    let (kids, kpts) = points(2_000, 3);
    let sym = KnnOptions {
        symmetric: true,
        ..Default::default()
    };
    let w = knn_from_points(kids, &kpts, &sym).unwrap();
    assert!(w.sym_scale().is_some());
    c.bench_function("eigenvalues symmetric-ised knn N=2000 (similarity)", |b| {
        b.iter(|| spectrum::compute(&w).unwrap())
    });
    c.bench_function("eigenvalues symmetric-ised knn N=2000 (general)", |b| {
        b.iter(|| spectrum::compute_general(&w).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
