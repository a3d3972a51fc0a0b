//! Synthetic spatial Durbin panels with known parameters on k-nearest-neighbour weights, for the
//! scale benchmarks (`examples/scale.rs`, `benches/scale.rs`) and the large-N tests.
//!
//! ```text
//! points  p_i ~ U(0, 1)²,  W = row-standardised symmetric k-NN (c_ij = 1 when i is among the
//!         k nearest of j or j among those of i; W = D⁻¹C is similar to a symmetric matrix)
//! y_t     = (I − ρW)⁻¹ (X_t β + W X_t θ + μ + ξ_t + ε_t),   t = 1..T
//! x_kit, μ_i ~ N(0, 1),  ξ_t = 0.1 t,  ε_it ~ N(0, σ²)
//! ```
//!
//! The dynamic variant ([`dynamic_sdm_panel`], docs/methods.md §14) adds τ y_{t−1} + ηW y_{t−1}
//! inside the bracket, starts from y_0 = 0 and drops `burn_in` periods (whose x, μ and ε are
//! drawn the same way), and may use the one-way k-NN (W not similar to a symmetric matrix).
//!
//! (I − ρW)⁻¹ is applied by the sparse [`Resolvent`] (the factorisation of
//! [`crate::linalg::logdet::SparseLogDet`]; exact, no N×N object). Random numbers: one ChaCha8 stream seeded with `seed`.

use crate::error::{Error, Result};
use crate::linalg::logdet::SparseLogDet;
use crate::linalg::Resolvent;
use crate::models::formula::Design;
use crate::weights::knn::{knn_from_points, KnnOptions};
use crate::weights::Weights;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The true parameters and dimensions of a synthetic SDM panel.
#[derive(Debug, Clone, PartialEq)]
pub struct SdmSpec {
    /// Units N.
    pub n: usize,
    /// Periods T.
    pub t: usize,
    /// Neighbours k of the k-NN weights (made symmetric, then row-standardised).
    pub k: usize,
    /// ρ.
    pub rho: f64,
    /// β (one per regressor x1, x2, ...).
    pub beta: Vec<f64>,
    /// θ (coefficients of W·x1, W·x2, ...; same length as `beta`).
    pub theta: Vec<f64>,
    /// σ (standard deviation of ε).
    pub sigma: f64,
    /// Seed of the ChaCha8 stream.
    pub seed: u64,
}

impl SdmSpec {
    /// The default design: ρ = 0.4, β = (1, −0.5), θ = (0.3, 0.2), σ = 0.5, k = 6.
    pub fn new(n: usize, t: usize, seed: u64) -> SdmSpec {
        SdmSpec {
            n,
            t,
            k: 6,
            rho: 0.4,
            beta: vec![1.0, -0.5],
            theta: vec![0.3, 0.2],
            sigma: 0.5,
            seed,
        }
    }
}

/// Generated data: the design (y ~ x1 + x2 + ..., time-slow stacking), the weights and the
/// points.
#[derive(Debug, Clone)]
pub struct SyntheticPanel {
    /// The regression data.
    pub design: Design,
    /// Row-standardised symmetric k-NN weights.
    pub w: Weights,
    /// Unit coordinates.
    pub points: Vec<[f64; 2]>,
}

/// A dynamic SDM panel: the static design of `base` plus τ y_{t−1} + ηW y_{t−1} (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicSdmSpec {
    /// The static part (N, T kept, k, ρ, β, θ, σ, seed).
    pub base: SdmSpec,
    /// τ, the coefficient of y_{t−1}.
    pub tau: f64,
    /// η, the coefficient of W y_{t−1}.
    pub eta: f64,
    /// Periods drawn and dropped before the T kept (y_0 = 0).
    pub burn_in: usize,
    /// Symmetrised k-NN (W similar to a symmetric matrix) or one-way k-NN.
    pub symmetric: bool,
}

/// Draws a panel from `spec` (see the module doc).
pub fn sdm_panel(spec: &SdmSpec) -> Result<SyntheticPanel> {
    draw(spec, true, 0.0, 0.0, 0)
}

/// Draws a dynamic panel from `spec` (module doc); the first kept period is the dynamic
/// model's initial condition.
pub fn dynamic_sdm_panel(spec: &DynamicSdmSpec) -> Result<SyntheticPanel> {
    draw(&spec.base, spec.symmetric, spec.tau, spec.eta, spec.burn_in)
}

/// The one generator of both panels: y_t = S⁻¹(τ y_{t−1} + ηW y_{t−1} + X_tβ + WX_tθ + μ + ξ_t
/// + ε_t) over `burn_in` + T periods, the last T kept.
fn draw(spec: &SdmSpec, symmetric: bool, tau: f64, eta: f64, burn_in: usize) -> Result<SyntheticPanel> {
    let (n, t) = (spec.n, spec.t);
    if spec.beta.len() != spec.theta.len() || spec.beta.is_empty() {
        return Err(Error::invalid(format!(
            "synthetic panel: beta has {} entries and theta {}; give one of each per regressor",
            spec.beta.len(),
            spec.theta.len()
        )));
    }
    if t == 0 || n < 2 {
        return Err(Error::invalid(format!(
            "synthetic panel: need N ≥ 2 and T ≥ 1, got N = {n}, T = {t}"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let points: Vec<[f64; 2]> = (0..n).map(|_| [rng.random::<f64>(), rng.random::<f64>()]).collect();
    let ids: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
    let opts = KnnOptions {
        k: spec.k,
        symmetric,
        ..KnnOptions::default()
    };
    let w = knn_from_points(ids.clone(), &points, &opts)?;
    let engine = SparseLogDet::new(&w)?;
    let resolvent = Resolvent::factorize(&w, &engine, spec.rho)?;
    let kx = spec.beta.len();
    let mut normal = || rng.sample::<f64, _>(StandardNormal);
    let mu: Vec<f64> = (0..n).map(|_| normal()).collect();
    let mut x: Vec<Vec<f64>> = vec![Vec::with_capacity(n * t); kx];
    let mut y = Vec::with_capacity(n * t);
    let mut prev = vec![0.0; n];
    for s in 0..burn_in + t {
        let xi = 0.1 * s as f64;
        let mut v: Vec<f64> = (0..n).map(|i| mu[i] + xi).collect();
        if tau != 0.0 || eta != 0.0 {
            let wprev = w.lag(&prev);
            for i in 0..n {
                v[i] += tau * prev[i] + eta * wprev[i];
            }
        }
        for (k, col) in x.iter_mut().enumerate() {
            let xs: Vec<f64> = (0..n).map(|_| normal()).collect();
            let wx = w.lag(&xs);
            for i in 0..n {
                v[i] += spec.beta[k] * xs[i] + spec.theta[k] * wx[i];
            }
            col.extend(xs);
        }
        for vi in v.iter_mut() {
            *vi += spec.sigma * normal();
        }
        resolvent.solve_in_place(&mut v)?;
        if s >= burn_in {
            y.extend_from_slice(&v);
        } else {
            x.iter_mut().for_each(|c| c.truncate(c.len() - n));
        }
        prev = v;
    }
    let design = Design {
        intercept: true,
        factor_of: Vec::new(),
        depvar: "y".into(),
        names: (1..=kx).map(|k| format!("x{k}")).collect(),
        y,
        x,
        n,
        t,
        ids,
        times: (1..=t).map(|s| s.to_string()).collect(),
    };
    Ok(SyntheticPanel { design, w, points })
}
