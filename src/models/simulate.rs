//! Panels drawn from a spatial model, for checking that an estimator recovers what it is given
//! (Monte Carlo, teaching, power calculations).
//!
//! Period by period (t = 1..T, stacked time-slow as everywhere, docs/methods.md "Notation"):
//!
//! ```text
//! SAR / SDM / SLX / OLS:  y_t = (I − ρW)⁻¹ (X_t β + W X_t θ + μ + ξ_t ι + ε_t)     (ρ = 0 for SLX, OLS)
//! SEM / SDEM:             y_t = X_t β + W X_t θ + μ + ξ_t ι + (I − λW)⁻¹ ε_t
//! ```
//!
//! with θ = 0 for SAR, SEM and OLS, ε_it ~ N(0, σ²), unit effects μ_i ~ N(0, 1) when `fe` has unit
//! effects (fixed or random), period effects ξ_t ~ N(0, 1) when it has time effects, and a constant `intercept`.
//! Regressors are drawn N(0, 1) unless taken from a panel. Each ingredient has its own ChaCha8
//! stream of `seed` ([`crate::rng::rng_for`]: X stream 0, μ 1, ξ 2, ε 3), so the
//! same seed gives the same panel and changing β does not change the draws.
//!
//! (I − ρW)⁻¹ is applied exactly at every N by the one [`Resolvent`]: a dense LU factorisation
//! (faer) for N ≤ [`DENSE_LIMIT`], the sparse Cholesky/LU factorisation of
//! [`SparseLogDet`] above it (no N×N object, no iteration).

use crate::data::{Column, Frame, Panel};
use crate::error::{Error, Result};
use crate::linalg::logdet::SparseLogDet;
use crate::linalg::Resolvent;
use crate::models::{Fe, ModelKind};
use crate::rng::rng_for;
use crate::weights::Weights;
use rand::RngExt;

/// Largest N solved with a dense LU factorisation; larger N use the sparse factorisation.
pub const DENSE_LIMIT: usize = crate::linalg::DENSE_RESOLVENT_LIMIT;

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulateSpec {
    /// The model (SAR, SDM, SEM, SDEM, SLX, OLS).
    pub kind: ModelKind,
    /// Periods T (ignored when the regressors come from a panel).
    pub t: usize,
    /// Coefficients β of the regressors.
    pub beta: Vec<f64>,
    /// Coefficients θ of W·x (SDM, SDEM, SLX); empty means zeros.
    pub theta: Vec<f64>,
    /// ρ (SAR, SDM) or λ (SEM, SDEM); must be 0 for SLX and OLS, and inside (1/ω_min, 1/ω_max)
    /// otherwise (checked from the eigenvalues for N ≤ [`DENSE_LIMIT`], by the sparse
    /// factorisation above it).
    pub rho: f64,
    /// Standard deviation σ of the disturbances.
    pub sigma: f64,
    /// Which fixed effects to draw.
    pub fe: Fe,
    /// Constant added to every observation.
    pub intercept: f64,
    /// Seed of the random streams.
    pub seed: u64,
    /// Names of the regressors (default `x1`, `x2`, …); with a data panel, its columns used as X.
    pub names: Vec<String>,
    /// Name of the simulated dependent variable (default `y`).
    pub y: String,
}

impl SimulateSpec {
    /// A spec with defaults: T = 10, σ = 1, two-way effects, seed 1, no intercept.
    pub fn new(kind: ModelKind, beta: Vec<f64>) -> SimulateSpec {
        SimulateSpec {
            kind,
            t: 10,
            beta,
            theta: Vec::new(),
            rho: 0.0,
            sigma: 1.0,
            fe: Fe::TwoWays,
            intercept: 0.0,
            seed: 1,
            names: Vec::new(),
            y: "y".into(),
        }
    }

    fn check(&self, k: usize) -> Result<()> {
        let bad = |m: String| Err(Error::invalid(format!("simulate: {m}")));
        if k == 0 {
            return bad("beta is empty; give one coefficient per regressor, e.g. beta: [1.0, -0.5]".into());
        }
        if self.beta.iter().chain(&self.theta).any(|v| !v.is_finite()) {
            return bad("beta and theta must be finite numbers".into());
        }
        let durbin = matches!(self.kind, ModelKind::Sdm | ModelKind::Sdem | ModelKind::Slx);
        if !self.theta.is_empty() {
            if !durbin && self.theta.iter().any(|v| *v != 0.0) {
                return bad(format!(
                    "theta is for sdm, sdem and slx; a {} model has no W*x terms",
                    self.kind.name()
                ));
            }
            if durbin && self.theta.len() != k {
                return bad(format!(
                    "theta has {} values for {k} regressors (beta)",
                    self.theta.len()
                ));
            }
        }
        if !self.rho.is_finite() {
            return bad("rho must be a finite number".into());
        }
        if matches!(self.kind, ModelKind::Slx | ModelKind::Ols) && self.rho != 0.0 {
            return bad(format!(
                "a {} model has no spatial parameter; drop rho or choose sar, sdm, sem or sdem",
                self.kind.name()
            ));
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return bad(format!("sigma must be ≥ 0, got {}", self.sigma));
        }
        if self.names.len() != k {
            return bad(format!(
                "{} regressor names for {k} coefficients (beta)",
                self.names.len()
            ));
        }
        if self.names.contains(&self.y) {
            return bad(format!("the dependent variable '{}' is also a regressor name", self.y));
        }
        Ok(())
    }
}

/// Solves (I − ρW) Y = B for the N×T block B (column t = period t), in place, exactly at every
/// N with the one [`Resolvent`]: the dense LU for N ≤ [`DENSE_LIMIT`], the sparse factorisation
/// above it.
fn solve_lag(w: &Weights, rho: f64, b: &mut [Vec<f64>]) -> Result<()> {
    if rho == 0.0 {
        return Ok(());
    }
    let n = w.n();
    let outside = |lo: f64, hi: f64| {
        Error::invalid(format!(
            "simulate: rho = {rho} is outside the interval ({lo:.6}, {hi:.6}) = (1/ω_min, 1/ω_max) of W's \
             eigenvalues, where I − ρW is invertible and the models are estimated; choose ρ strictly inside it"
        ))
    };
    let mut flat: Vec<f64> = b.iter().flatten().copied().collect();
    if n <= DENSE_LIMIT {
        // The parameter space of the fitted models (docs/methods.md §4.1): outside it I − ρW is singular
        // (ρ = 1/ω) or the process explodes, and a near-singular LU gives values of 1e15 in
        // silence.
        let (lo, hi) = w.spectrum()?.interval();
        if !(rho > lo && rho < hi) {
            return Err(outside(lo, hi));
        }
    }
    // Above the dense limit the sparse factorisation refuses ρ outside the feasible interval
    // (I − ρS not positive definite, or det(I − ρW) ≤ 0) without computing the eigenvalues.
    let engine = if n > DENSE_LIMIT {
        Some(SparseLogDet::new(w)?)
    } else {
        None
    };
    let resolvent = Resolvent::exact(w, rho, engine.as_ref()).map_err(|e| {
        Error::invalid(format!(
            "simulate: {e}; choose ρ strictly inside the feasible interval (1/ω_min, 1/ω_max) of W's eigenvalues"
        ))
    })?;
    resolvent
        .solve_many_in_place(&mut flat, b.len())
        .map_err(|e| Error::numeric(format!("simulate: {e}")))?;
    if flat.iter().any(|v| !v.is_finite()) {
        return Err(Error::numeric(format!(
            "simulate: I − ρW is singular at ρ = {rho}; choose ρ inside the feasible interval (1/ω_min, 1/ω_max)"
        )));
    }
    for (col, src) in b.iter_mut().zip(flat.chunks(n)) {
        col.copy_from_slice(src);
    }
    Ok(())
}

fn normals(seed: u64, stream: u64, len: usize, sd: f64) -> Vec<f64> {
    let mut rng = rng_for(seed, stream);
    (0..len)
        .map(|_| sd * rng.sample::<f64, _>(rand_distr::StandardNormal))
        .collect()
}

/// Draws a panel from `spec` on the units of `w`: columns id (`w.ids()`), time (1..T), the
/// dependent variable and the regressors. With `data`, the regressors are the columns
/// `spec.names` of that panel (W aligned to its units) and the result is that panel with the
/// dependent variable added or replaced.
pub fn simulate(w: &Weights, spec: &SimulateSpec, data: Option<&Panel>) -> Result<Panel> {
    let k = spec.beta.len();
    spec.check(k)?;
    let (w, n, t) = match data {
        Some(p) => (w.aligned_to(p.ids())?, p.n(), p.t()),
        None => {
            if spec.t == 0 {
                return Err(Error::invalid("simulate: t must be ≥ 1"));
            }
            crate::budget::check_f64(
                &format!(
                    "simulate: t = {} periods × N = {} units × {} columns",
                    spec.t,
                    w.n(),
                    k + 3
                ),
                &[spec.t, w.n(), k + 3],
                "use a smaller t",
            )?;
            (w.clone(), w.n(), spec.t)
        }
    };
    let nt = n * t;
    let xs: Vec<Vec<f64>> = match data {
        Some(p) => spec
            .names
            .iter()
            .map(|name| p.var_complete(name).map(<[f64]>::to_vec))
            .collect::<Result<_>>()?,
        None => {
            let all = normals(spec.seed, 0, k * nt, 1.0);
            all.chunks(nt).map(<[f64]>::to_vec).collect()
        }
    };
    let mu = if spec.fe.has_unit() || spec.fe == Fe::Random {
        normals(spec.seed, 1, n, 1.0)
    } else {
        vec![0.0; n]
    };
    let xi = if spec.fe.has_time() {
        normals(spec.seed, 2, t, 1.0)
    } else {
        vec![0.0; t]
    };
    let eps = normals(spec.seed, 3, nt, spec.sigma);
    let lag_model = matches!(spec.kind, ModelKind::Sar | ModelKind::Sdm);
    // Systematic part X β + W X θ + μ + ξ + intercept, period by period.
    let mut sys: Vec<Vec<f64>> = (0..t)
        .map(|s| (0..n).map(|i| spec.intercept + mu[i] + xi[s]).collect())
        .collect();
    let mut wx = vec![0.0; n];
    for (j, x) in xs.iter().enumerate() {
        crate::interrupt::check()?;
        let theta = spec.theta.get(j).copied().unwrap_or(0.0);
        for (s, col) in sys.iter_mut().enumerate() {
            let xt = &x[s * n..(s + 1) * n];
            if theta != 0.0 {
                w.lag_into(xt, &mut wx);
            }
            for i in 0..n {
                col[i] += spec.beta[j] * xt[i] + if theta != 0.0 { theta * wx[i] } else { 0.0 };
            }
        }
    }
    let mut noise: Vec<Vec<f64>> = (0..t).map(|s| eps[s * n..(s + 1) * n].to_vec()).collect();
    let y_blocks = if lag_model {
        for (col, e) in sys.iter_mut().zip(&noise) {
            for (v, ei) in col.iter_mut().zip(e) {
                *v += ei;
            }
        }
        solve_lag(&w, spec.rho, &mut sys)?;
        sys
    } else {
        solve_lag(&w, spec.rho, &mut noise)?;
        for (col, u) in sys.iter_mut().zip(&noise) {
            for (v, ui) in col.iter_mut().zip(u) {
                *v += ui;
            }
        }
        sys
    };
    let y: Vec<f64> = y_blocks.into_iter().flatten().collect();
    match data {
        Some(p) => {
            let f = p.frame().with_column(&spec.y, Column::Num(y))?;
            p.with_frame(f)
        }
        None => {
            let mut cols = vec![
                (
                    "id".to_string(),
                    Column::Text((0..t).flat_map(|_| w.ids().iter().cloned()).collect()),
                ),
                (
                    "time".to_string(),
                    Column::Num((0..t).flat_map(|s| std::iter::repeat_n((s + 1) as f64, n)).collect()),
                ),
                (spec.y.clone(), Column::Num(y)),
            ];
            for (name, x) in spec.names.iter().zip(xs) {
                cols.push((name.clone(), Column::Num(x)));
            }
            Panel::new(&Frame::from_columns(cols)?, "id", "time")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: usize) -> Weights {
        let ids: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
        let mut trip = Vec::new();
        for i in 0..n {
            trip.push((i, (i + 1) % n, 1.0));
            trip.push((i, (i + n - 1) % n, 1.0));
        }
        Weights::from_triplets(ids, &trip, crate::weights::Standardization::Row, false).unwrap()
    }

    #[test]
    fn sar_solution_satisfies_the_model_equation() {
        // Closed form check: (I − ρW)y_t − Xβ − μ − ξ_t must equal ε_t drawn from stream 3.
        let w = ring(7);
        let mut spec = SimulateSpec::new(ModelKind::Sar, vec![2.0]);
        spec.names = vec!["x1".into()];
        spec.rho = 0.6;
        spec.t = 3;
        spec.fe = Fe::None;
        let p = simulate(&w, &spec, None).unwrap();
        let y = p.var("y").unwrap();
        let x = p.var("x1").unwrap();
        let eps = normals(1, 3, 21, 1.0);
        for s in 0..3 {
            let yt = &y[s * 7..(s + 1) * 7];
            let wy = w.lag(yt);
            for i in 0..7 {
                let e = yt[i] - 0.6 * wy[i] - 2.0 * x[s * 7 + i];
                assert!((e - eps[s * 7 + i]).abs() < 1e-12);
            }
        }
    }
}
