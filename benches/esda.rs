//! Permutation tests at scale: 999 permutations of Moran's I (and local Moran) at N = 10,000
//! with k = 6 random neighbours per unit. Target: Moran < 0.5 s on 2 cores.

use criterion::{criterion_group, criterion_main, Criterion};
use spillover::esda::{local_moran, moran, MoranOptions};
use spillover::weights::{Standardization, Weights};

/// A simple deterministic generator (splitmix64) so the bench needs no extra dependency.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random_knn(n: usize, k: usize, seed: u64) -> (Vec<f64>, Weights) {
    let mut s = seed;
    let mut trip = Vec::with_capacity(n * k);
    for i in 0..n {
        let mut picked: Vec<usize> = Vec::with_capacity(k);
        while picked.len() < k {
            let j = (splitmix(&mut s) % n as u64) as usize;
            if j != i && !picked.contains(&j) {
                picked.push(j);
            }
        }
        trip.extend(picked.into_iter().map(|j| (i, j, 1.0)));
    }
    let ids = (0..n).map(|i| i.to_string()).collect();
    let w = Weights::from_triplets(ids, &trip, Standardization::Row, false).expect("weights");
    // A spatially smooth-ish variable: own noise plus the mean of the neighbours' noise.
    let e: Vec<f64> = (0..n)
        .map(|_| (splitmix(&mut s) >> 11) as f64 / (1u64 << 53) as f64)
        .collect();
    let le = w.lag(&e);
    let x = e.iter().zip(&le).map(|(a, b)| a + b).collect();
    (x, w)
}

fn bench(c: &mut Criterion) {
    let (x, w) = random_knn(10_000, 6, 42);
    let opts = MoranOptions {
        permutations: Some(999),
        seed: 1,
    };
    let mut g = c.benchmark_group("esda");
    g.bench_function("moran_999_perm_n10000_k6", |b| {
        b.iter(|| moran(&x, &w, &opts).expect("moran"))
    });
    g.bench_function("local_moran_999_perm_n10000_k6", |b| {
        b.iter(|| local_moran(&x, &w, &opts).expect("local"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
