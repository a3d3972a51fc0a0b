//! Fit and effects at three scales (issues 8/9/20): synthetic two-way SDM panels
//! ([`spillover::models::ml::synthetic`]) with (N, T) = (176, 16), (2,000, 10) and (20,000, 10).
//!
//! Two kinds of W, both row-standardised 6-NN:
//! * symmetric (the k-NN relation made symmetric): W = D⁻¹C is similar to a symmetric matrix,
//!   `lndet: "auto"` takes the eigenvalue path at N = 176 and the sparse Cholesky path above;
//! * one-way (asymmetric, as most k-NN and distance-band W are; issue 20), at N = 2,000 and
//!   20,000: the exact sparse log-determinant takes the LU path.
//!
//! Effects: 1,000 simulated draws. Run: `cargo bench --bench scale` (10 samples per case). For
//! N = 100,000 and 1,000,000 use `cargo run --release --example scale` or
//! `examples/scale_peers.sh` (the whole `spillover run`, reading the files included).

use criterion::{criterion_group, criterion_main, Criterion};
use spillover::effects::{effects, input_from_fit, EffectsOptions};
use spillover::models::ml::synthetic::{dynamic_sdm_panel, DynamicSdmSpec, SdmSpec, SyntheticPanel};
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::{Fe, ModelKind};
use std::hint::black_box;
use std::time::Instant;

/// A static two-way SDM panel (τ = η = 0) on symmetric or one-way 6-NN weights.
fn panel(n: usize, t: usize, symmetric: bool) -> SyntheticPanel {
    let spec = DynamicSdmSpec {
        base: SdmSpec::new(n, t, 1),
        tau: 0.0,
        eta: 0.0,
        burn_in: 0,
        symmetric,
    };
    dynamic_sdm_panel(&spec).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale");
    g.sample_size(10);
    let cases = [
        (176, 16, true),
        (2_000, 10, true),
        (20_000, 10, true),
        (2_000, 10, false),
        (20_000, 10, false),
    ];
    for (n, t, symmetric) in cases {
        let p = panel(n, t, symmetric);
        let kind = if symmetric { "symmetric" } else { "one-way" };
        // The symmetric cases keep their names from before issue 20 (criterion baselines).
        let tag = if symmetric { "" } else { "oneway_" };
        let o = SpatialOptions::new(Fe::TwoWays);
        let t0 = Instant::now();
        let fit = fit_spatial(&p.design, &p.w, ModelKind::Sdm, &o).unwrap();
        eprintln!(
            "N = {n}, T = {t}, {kind} 6-NN: first fit {:.2} s (lndet {}), rho = {:.5} (true 0.4)",
            t0.elapsed().as_secs_f64(),
            fit.model.info["lndet"],
            fit.rho().unwrap()
        );
        g.bench_function(format!("sdm_twoways_fit_{tag}n{n}_t{t}"), |b| {
            b.iter(|| fit_spatial(black_box(&p.design), &p.w, ModelKind::Sdm, &o).unwrap())
        });
        let input = input_from_fit(&fit, &p.w).unwrap();
        let eo = EffectsOptions::default();
        g.bench_function(format!("sdm_effects_1000_draws_{tag}n{n}_t{t}"), |b| {
            b.iter(|| effects(black_box(&input), &eo).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
