//! Spatial ML fits (docs/methods.md §7): the city-cluster two-way SDM (N = 176, T = 16) and a k = 6
//! nearest-neighbour panel with N = 2,000, T = 10 drawn from a SAR process (two-way SAR and
//! SDM; the eigenvalues of W are computed once, in the first iteration, and cached).
//!
//! Group `ml_random`: the random-effects fits (SAR-RE, SEM-RE bsk and kkp, SAC-RE) on the same data.
//!
//! Run: `cargo bench --bench ml -- --sample-size 10`.

use criterion::{criterion_group, criterion_main, Criterion};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::Panel;
use spillover::models::ml::{fit_spatial, ReErrors, SpatialOptions};
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::weights::knn::{knn_from_points, KnnOptions};
use spillover::weights::{Standardization, Weights};
use std::time::Instant;

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniform(s: &mut u64) -> f64 {
    ((splitmix(s) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Standard normal by Box–Muller.
fn normal(s: &mut u64) -> f64 {
    (-2.0 * uniform(s).ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform(s)).cos()
}

fn city() -> (Design, Weights) {
    let root = env!("CARGO_MANIFEST_DIR");
    let f = read_csv(
        &format!("{root}/examples/data/citycluster/city_year.csv"),
        &CsvOptions::default(),
    )
    .unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    let d = Design::from_panel(&p, &Formula::parse("y ~ spec + div + c1 + c2 + c3 + c4").unwrap()).unwrap();
    let wf = read_csv(
        &format!("{root}/examples/data/citycluster/weights.csv"),
        &CsvOptions::default(),
    )
    .unwrap();
    let (i, j) = (wf.keys("i").unwrap(), wf.keys("j").unwrap());
    let v = wf.numeric("w").unwrap();
    let pos: std::collections::HashMap<&str, usize> = d.ids.iter().enumerate().map(|(k, s)| (s.as_str(), k)).collect();
    let trip: Vec<(usize, usize, f64)> = (0..v.len())
        .map(|r| (pos[i[r].as_str()], pos[j[r].as_str()], v[r]))
        .collect();
    let w = Weights::from_triplets(d.ids.clone(), &trip, Standardization::None, false).unwrap();
    (d, w)
}

/// k = 6 nearest neighbours of N random points; y_t = (I − 0.4W)⁻¹(X_tβ + μ + ξ_t + ε_t).
fn knn_panel(n: usize, t: usize, seed: u64) -> (Design, Weights) {
    let mut s = seed;
    let pts: Vec<[f64; 2]> = (0..n).map(|_| [uniform(&mut s), uniform(&mut s)]).collect();
    let ids: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
    let w = knn_from_points(ids.clone(), &pts, &KnnOptions::default()).unwrap();
    let mu: Vec<f64> = (0..n).map(|_| normal(&mut s)).collect();
    let (mut y, mut x1, mut x2) = (Vec::new(), Vec::new(), Vec::new());
    for tt in 0..t {
        let a: Vec<f64> = (0..n).map(|_| normal(&mut s)).collect();
        let b: Vec<f64> = (0..n).map(|_| normal(&mut s)).collect();
        let xi = 0.1 * tt as f64;
        let v: Vec<f64> = (0..n)
            .map(|i| a[i] - 0.5 * b[i] + mu[i] + xi + 0.5 * normal(&mut s))
            .collect();
        // Neumann series Σ 0.4^k W^k v (0.4^80 ≈ 1e−32).
        let mut term = v.clone();
        let mut yt = v;
        for _ in 0..80 {
            term = w.lag(&term).into_iter().map(|z| 0.4 * z).collect();
            yt.iter_mut().zip(&term).for_each(|(a, b)| *a += b);
        }
        y.extend(yt);
        x1.extend(a);
        x2.extend(b);
    }
    let d = Design {
        intercept: true,
        factor_of: Vec::new(),
        depvar: "y".into(),
        names: vec!["x1".into(), "x2".into()],
        y,
        x: vec![x1, x2],
        n,
        t,
        ids,
        times: (0..t).map(|k| k.to_string()).collect(),
    };
    (d, w)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ml");
    let (d, w) = city();
    let o = SpatialOptions::new(Fe::TwoWays);
    g.bench_function("citycluster_sdm_twoways_n176_t16", |b| {
        b.iter(|| fit_spatial(&d, &w, ModelKind::Sdm, &o).unwrap())
    });
    let (d, w) = knn_panel(2000, 10, 7);
    let t0 = Instant::now();
    w.spectrum().unwrap();
    eprintln!(
        "knn N=2000: eigenvalues of W (one-off, cached) {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let fit = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap();
    eprintln!(
        "knn N=2000 T=10 SAR: rho = {:.4} (true 0.4), {} evaluations, first fit {:.2} s",
        fit.rho().unwrap(),
        fit.model.extras["evaluations"],
        t0.elapsed().as_secs_f64()
    );
    g.bench_function("knn_sar_twoways_n2000_t10", |b| {
        b.iter(|| fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap())
    });
    g.bench_function("knn_sdm_twoways_n2000_t10", |b| {
        b.iter(|| fit_spatial(&d, &w, ModelKind::Sdm, &o).unwrap())
    });
    g.finish();
}

/// Random-effects ML fits (docs/methods.md §11): SAR-RE, SEM-RE with both error structures and
/// SAC-RE (bsk) on the city clusters, and SAR-RE on the N = 2,000 kNN panel (eigenvalues cached as above).
fn bench_random(c: &mut Criterion) {
    let mut g = c.benchmark_group("ml_random");
    let (d, w) = city();
    let sar = SpatialOptions::new(Fe::Random);
    g.bench_function("citycluster_sar_re_n176_t16", |b| {
        b.iter(|| fit_spatial(&d, &w, ModelKind::Sar, &sar).unwrap())
    });
    for errors in [ReErrors::Bsk, ReErrors::Kkp] {
        let mut o = SpatialOptions::new(Fe::Random);
        o.errors = Some(errors);
        g.bench_function(format!("citycluster_sem_re_{errors:?}_n176_t16").to_lowercase(), |b| {
            b.iter(|| fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap())
        });
    }
    g.bench_function("citycluster_sac_re_bsk_n176_t16", |b| {
        b.iter(|| fit_spatial(&d, &w, ModelKind::Sac, &sar).unwrap())
    });
    let (d, w) = knn_panel(2000, 10, 7);
    w.spectrum().unwrap();
    g.bench_function("knn_sar_re_n2000_t10", |b| {
        b.iter(|| fit_spatial(&d, &w, ModelKind::Sar, &sar).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench, bench_random);
criterion_main!(benches);
