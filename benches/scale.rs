//! Fit and effects at three scales (issue 8/9): synthetic two-way SDM panels on symmetric 6-NN
//! weights ([`spillover::models::ml::synthetic`]) with (N, T) = (176, 16), (2,000, 10) and
//! (20,000, 10). `lndet: "auto"` takes the eigenvalue path at N = 176 and the sparse path
//! (sparse Cholesky, sparse traces, series effects) above. Effects: 1,000 simulated draws.
//!
//! Run: `cargo bench --bench scale` (10 samples per case). For N = 100,000 use
//! `cargo run --release --example scale`.

use criterion::{criterion_group, criterion_main, Criterion};
use spillover::effects::{effects, input_from_fit, EffectsOptions};
use spillover::models::ml::synthetic::{sdm_panel, SdmSpec};
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::{Fe, ModelKind};
use std::hint::black_box;
use std::time::Instant;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale");
    g.sample_size(10);
    for (n, t) in [(176, 16), (2_000, 10), (20_000, 10)] {
        let p = sdm_panel(&SdmSpec::new(n, t, 1)).unwrap();
        let o = SpatialOptions::new(Fe::TwoWays);
        let t0 = Instant::now();
        let fit = fit_spatial(&p.design, &p.w, ModelKind::Sdm, &o).unwrap();
        eprintln!(
            "N = {n}, T = {t}: first fit {:.2} s (lndet {}), rho = {:.5} (true 0.4)",
            t0.elapsed().as_secs_f64(),
            fit.model.info["lndet"],
            fit.rho().unwrap()
        );
        g.bench_function(format!("sdm_twoways_fit_n{n}_t{t}"), |b| {
            b.iter(|| fit_spatial(black_box(&p.design), &p.w, ModelKind::Sdm, &o).unwrap())
        });
        let input = input_from_fit(&fit, &p.w).unwrap();
        let eo = EffectsOptions::default();
        g.bench_function(format!("sdm_effects_1000_draws_n{n}_t{t}"), |b| {
            b.iter(|| effects(black_box(&input), &eo).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
