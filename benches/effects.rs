//! Effects inference (docs/methods.md §9) for an SDM with N = 176 (economic-distance W on random Ȳ,
//! row-standardised) and K = 6 regressors: 1,000 simulated draws (default options), the delta
//! method, and the exact point effects.
//!
//! Run: `cargo bench --bench effects -- --sample-size 10`.

use criterion::{criterion_group, criterion_main, Criterion};
use spillover::effects::{effects, point_effects, EffectsInput, EffectsOptions, Method, TraceEngine};
use spillover::models::ModelKind;
use spillover::weights::{Standardization, Weights};
use std::hint::black_box;

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

/// W = rowstd(1/|Ȳ_i − Ȳ_j|) on N random Ȳ.
fn economic(n: usize, seed: u64) -> Weights {
    let mut s = seed;
    let y: Vec<f64> = (0..n).map(|_| 1.0 + 9.0 * uniform(&mut s)).collect();
    let mut t = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            if i != j {
                t.push((i, j, 1.0 / (y[i] - y[j]).abs().max(1e-9)));
            }
        }
    }
    Weights::from_triplets((0..n).map(|i| i.to_string()).collect(), &t, Standardization::Row, false).unwrap()
}

/// SDM input: parameters β_1..6, θ_1..6, ρ; covariance 0.01·(I + 0.3·(11')/p) scaled per entry.
fn sdm_input(w: &Weights) -> EffectsInput {
    let k = 6;
    let p = 2 * k + 1;
    let mut cov = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            cov[i * p + j] = 0.01 * (if i == j { 1.0 } else { 0.0 } + 0.3 / p as f64);
        }
    }
    let s = w.spectrum().unwrap();
    EffectsInput {
        kind: ModelKind::Sdm,
        names: (1..=k).map(|i| format!("x{i}")).collect(),
        beta: (0..k).map(|i| 0.5 - 0.2 * i as f64).collect(),
        theta: (0..k).map(|i| Some(0.1 * i as f64 - 0.2)).collect(),
        rho: 0.35,
        cov,
        cov_dim: p,
        beta_index: (0..k).collect(),
        theta_index: (k..2 * k).map(Some).collect(),
        rho_index: Some(2 * k),
        interval: s.interval(),
        spectrum: Some(s),
        traces: None,
        row_stochastic: true,
        row_sum_moments: None,
    }
}

fn bench(c: &mut Criterion) {
    let w = economic(176, 42);
    let input = sdm_input(&w);
    c.bench_function("effects sdm N=176 K=6 simulation 1000 draws", |b| {
        b.iter(|| effects(black_box(&input), &EffectsOptions::default()).unwrap())
    });
    let delta = EffectsOptions {
        method: Method::Delta,
        ..EffectsOptions::default()
    };
    c.bench_function("effects sdm N=176 K=6 delta", |b| {
        b.iter(|| effects(black_box(&input), &delta).unwrap())
    });
    c.bench_function("effects sdm N=176 K=6 point (eigen)", |b| {
        b.iter(|| point_effects(black_box(&input), TraceEngine::Eigen).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
