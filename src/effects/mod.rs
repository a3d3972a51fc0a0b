//! Direct, indirect and total effects of spatial models with inference (METHODS §9; LeSage &
//! Pace 2009; spatialreg `impacts`, Elhorst `direct_indirect_effects_estimates.m`).
//!
//! For regressor k with S(ρ) = (I − ρW)⁻¹ and M_k = S(ρ)(β_k I + θ_k W):
//!
//! ```text
//! ADE_k = tr(M_k)/N,   ATE_k = ι'M_k ι/N (= (β_k + θ_k)/(1 − ρ) for row-stochastic W),
//! AIE_k = ATE_k − ADE_k.
//! ```
//!
//! SDEM and SLX have no multiplier: direct β_k (+ θ_k tr(W)/N, zero for a zero diagonal),
//! indirect θ_k, total β_k + θ_k. SEM: direct β_k, indirect 0. OLS has no spillovers (error).
//!
//! * [`exact`]: point effects from the eigenvalues of W (O(N) per ρ) or from the power traces
//!   tr(Wᵠ) (O(m) per ρ).
//! * [`delta`]: delta-method standard errors with the full covariance (ρ–β cross terms).
//! * [`simulate`]: R draws φ⁽ʳ⁾ ~ N(φ̂, V̂), seeded, identical for any thread count.
//!
//! Defaults (METHODS §10): simulation, R = 1000 draws, seed [`DEFAULT_SEED`], point estimate at
//! φ̂, SE = sd of the draws, z = point/SE, draws with ρ outside the interval re-drawn (counted).

pub mod delta;
pub mod exact;
pub mod simulate;

pub use exact::{Averages, Kernel, Totals, TraceSource};

use crate::error::{closest, Error, Result};
use crate::models::{Model, ModelKind};
use crate::report::table::{fmt_num, fmt_stat, num_json, stars_for, stat_cells, Cell, Table};
use crate::stats::p_normal_two_sided;
use crate::weights::{Spectrum, Weights};
use std::sync::Arc;

/// Default seed of the simulated effects (ChaCha8; draw r uses stream r).
pub const DEFAULT_SEED: u64 = 20_240_601;
/// Default number of draws (METHODS §10).
pub const DEFAULT_DRAWS: usize = 1000;
/// With both the spectrum and the power traces available, `engine: "auto"` uses the power
/// series when N exceeds this.
pub const SERIES_ABOVE_N: usize = 20_000;
/// Truncation-error bound of the power series above which a warning is raised.
pub const SERIES_WARN_BOUND: f64 = 1e-8;

/// What the effects need from a fitted spatial model. Coefficient values are given directly;
/// their covariance is the model's full covariance matrix with index maps into it (so the
/// bridge from a fitted model can pass its `vcov` unchanged).
#[derive(Debug, Clone)]
pub struct EffectsInput {
    /// Model type (SAR, SDM, SDEM, SLX, SEM; OLS is an error).
    pub kind: ModelKind,
    /// Regressors k = 1..K for which effects are reported.
    pub names: Vec<String>,
    /// β_k.
    pub beta: Vec<f64>,
    /// θ_k when x_k is lagged (Durbin subset), else `None`.
    pub theta: Vec<Option<f64>>,
    /// ρ (SAR/SDM); ignored for SDEM, SLX and SEM.
    pub rho: f64,
    /// Covariance of the parameters, `cov_dim`×`cov_dim`, row-major.
    pub cov: Vec<f64>,
    /// Dimension of `cov`.
    pub cov_dim: usize,
    /// Position of β_k in `cov`.
    pub beta_index: Vec<usize>,
    /// Position of θ_k in `cov` (`Some` exactly when `theta[k]` is).
    pub theta_index: Vec<Option<usize>>,
    /// Position of ρ in `cov` (required for SAR/SDM).
    pub rho_index: Option<usize>,
    /// Eigenvalues ω of W (exact traces).
    pub spectrum: Option<Arc<Spectrum>>,
    /// Power traces tr(Wᵠ) for q = 0..m (`traces[0]` = N), for the series form.
    pub traces: Option<Vec<f64>>,
    /// Feasible ρ interval (lo, hi), open: draws outside are re-drawn (or discarded).
    pub interval: (f64, f64),
    /// True when W is row-stochastic (then ATE = (β + θ)/(1 − ρ)).
    pub row_stochastic: bool,
    /// Row-sum moments ι'Wᵠι/N, q = 0..m, needed for totals when W is not row-stochastic
    /// (see [`row_sum_moments`]).
    pub row_sum_moments: Option<Vec<f64>>,
}

/// How standard errors are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Simulation from N(φ̂, V̂) (METHODS §9 (i)).
    Simulation,
    /// Delta method (METHODS §9 (ii)).
    Delta,
}

impl Method {
    /// Parses `"simulation"` or `"delta"`.
    pub fn parse(s: &str) -> Result<Method> {
        match s.to_ascii_lowercase().as_str() {
            "simulation" | "sim" => Ok(Method::Simulation),
            "delta" => Ok(Method::Delta),
            _ => Err(unknown("method", s, &["simulation", "delta"])),
        }
    }
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Simulation => "simulation",
            Method::Delta => "delta",
        }
    }
}

/// Which simulation convention is reported (METHODS §9 (i)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Point at φ̂, SE = sd of draws, z = point/SE; out-of-interval ρ re-drawn (default).
    Spillover,
    /// Elhorst: reported effect = mean of draws, t = mean/sd; out-of-interval ρ re-drawn.
    Elhorst,
    /// spatialreg: point at φ̂, SE = sd, z = mean/sd; out-of-interval draws discarded.
    Spatialreg,
}

impl Mode {
    /// Parses `"spillover"`, `"elhorst"` or `"spatialreg"`.
    pub fn parse(s: &str) -> Result<Mode> {
        match s.to_ascii_lowercase().as_str() {
            "spillover" | "default" => Ok(Mode::Spillover),
            "elhorst" => Ok(Mode::Elhorst),
            "spatialreg" => Ok(Mode::Spatialreg),
            _ => Err(unknown("mode", s, &["spillover", "elhorst", "spatialreg"])),
        }
    }
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Spillover => "spillover",
            Mode::Elhorst => "elhorst",
            Mode::Spatialreg => "spatialreg",
        }
    }
}

/// Where the traces of S(ρ) come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Eigenvalues when given (and N ≤ [`SERIES_ABOVE_N`] or no traces), else power series.
    Auto,
    /// Eigenvalues (exact).
    Eigen,
    /// Power series in the traces tr(Wᵠ).
    Series,
}

impl Engine {
    /// Parses `"auto"`, `"eigen"` or `"series"`.
    pub fn parse(s: &str) -> Result<Engine> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Engine::Auto),
            "eigen" | "exact" => Ok(Engine::Eigen),
            "series" | "traces" | "trw" => Ok(Engine::Series),
            _ => Err(unknown("engine", s, &["auto", "eigen", "series"])),
        }
    }
}

fn unknown(option: &str, got: &str, valid: &[&str]) -> Error {
    let hint = closest(got, valid.iter().copied())
        .map(|c| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default();
    let list: Vec<String> = valid.iter().map(|v| format!("\"{v}\"")).collect();
    Error::invalid(format!(
        "effects: unknown {option} \"{got}\"{hint}; valid: {}",
        list.join(", ")
    ))
}

/// Options of [`effects`].
#[derive(Debug, Clone, PartialEq)]
pub struct EffectsOptions {
    /// Simulation (default) or delta method.
    pub method: Method,
    /// Simulation convention (default `Spillover`).
    pub mode: Mode,
    /// Number of draws R (default 1000).
    pub draws: usize,
    /// Seed (default [`DEFAULT_SEED`]).
    pub seed: u64,
    /// Trace engine (default `Auto`).
    pub engine: Engine,
}

impl Default for EffectsOptions {
    fn default() -> Self {
        EffectsOptions {
            method: Method::Simulation,
            mode: Mode::Spillover,
            draws: DEFAULT_DRAWS,
            seed: DEFAULT_SEED,
            engine: Engine::Auto,
        }
    }
}

/// One effect of one regressor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectRow {
    /// Reported estimate (the point value at φ̂, or the mean of the draws in mode `elhorst`).
    pub estimate: f64,
    /// Standard error (sd of the draws with R − 1, or delta method).
    pub std_error: f64,
    /// z (or Elhorst's t) statistic of the chosen convention.
    pub z: f64,
    /// Two-sided normal p-value of `z`.
    pub p: f64,
    /// Exact value at φ̂.
    pub point: f64,
    /// Mean of the draws (NaN for the delta method).
    pub mean: f64,
}

impl EffectRow {
    fn new(estimate: f64, std_error: f64, z: f64, point: f64, mean: f64) -> EffectRow {
        EffectRow {
            estimate,
            std_error,
            z,
            p: p_normal_two_sided(z),
            point,
            mean,
        }
    }
}

/// Direct, indirect and total effects with their inference.
#[derive(Debug, Clone, PartialEq)]
pub struct Effects {
    /// Model type.
    pub kind: ModelKind,
    /// Simulation or delta method.
    pub method: Method,
    /// Simulation convention (meaningful for simulation only).
    pub mode: Mode,
    /// Draws requested (0 for the delta method).
    pub draws: usize,
    /// Draws used in the statistics (= `draws` unless some were discarded).
    pub kept: usize,
    /// Seed (simulation only).
    pub seed: Option<u64>,
    /// Draws re-drawn because ρ fell outside the interval.
    pub redrawn: usize,
    /// Draws discarded because ρ fell outside the interval (mode `spatialreg`).
    pub discarded: usize,
    /// Trace engine used: `"eigen"` or `"series"`.
    pub engine: &'static str,
    /// Regressors.
    pub names: Vec<String>,
    /// Average direct effects.
    pub direct: Vec<EffectRow>,
    /// Average indirect (spillover) effects.
    pub indirect: Vec<EffectRow>,
    /// Average total effects.
    pub total: Vec<EffectRow>,
    /// Warnings (covariance floored, series truncated, interval clipped, ...).
    pub warnings: Vec<String>,
}

/// The checked input: the averages kernel, the parameter layout and the ρ interval in use.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Averages engine.
    pub kernel: Kernel,
    /// Parameter layout and the covariance block of the parameters in use.
    pub layout: Layout,
    /// Open ρ interval in use (the input's, clipped to (−1, 1) for the series).
    pub interval: (f64, f64),
    /// Whether ρ enters (SAR/SDM).
    pub has_rho: bool,
    /// Warnings raised while preparing.
    pub warnings: Vec<String>,
}

/// The parameters the effects depend on, in a local order: `used[j]` is the position in the
/// input covariance of local parameter j.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Input covariance positions of the local parameters.
    pub used: Vec<usize>,
    /// Local position of β_k.
    pub beta: Vec<usize>,
    /// Local position of θ_k.
    pub theta: Vec<Option<usize>>,
    /// Local position of ρ.
    pub rho: Option<usize>,
    /// φ̂ in local order.
    pub mean: Vec<f64>,
    /// Covariance of the local parameters (row-major).
    pub cov: Vec<f64>,
}

impl Layout {
    /// Number of local parameters.
    pub fn dim(&self) -> usize {
        self.used.len()
    }
    /// ρ in the local vector φ (0 for models without a lag of y).
    #[inline]
    pub fn rho_of(&self, phi: &[f64]) -> f64 {
        self.rho.map_or(0.0, |j| phi[j])
    }
    /// (β_k, θ_k) in the local vector φ (θ_k = 0 when not lagged).
    #[inline]
    pub fn coef_of(&self, phi: &[f64], k: usize) -> (f64, f64) {
        (phi[self.beta[k]], self.theta[k].map_or(0.0, |j| phi[j]))
    }
    /// The (ADE, AIE, ATE) of every regressor at φ, flattened as [k][3].
    pub fn effects_of(&self, kernel: &Kernel, phi: &[f64], out: &mut [f64]) {
        let av = kernel.at(self.rho_of(phi));
        for k in 0..self.beta.len() {
            let (b, t) = self.coef_of(phi, k);
            out[3 * k..3 * k + 3].copy_from_slice(&exact::effects_at(&av, b, t));
        }
    }
}

fn has_rho(kind: ModelKind) -> bool {
    matches!(kind, ModelKind::Sar | ModelKind::Sdm)
}

/// Checks `input` and sets up the kernel and the parameter layout.
pub fn prepare(input: &EffectsInput, engine: Engine) -> Result<Prepared> {
    let kind = input.kind;
    let tag = kind.name().to_uppercase();
    if kind == ModelKind::Ols {
        return Err(Error::invalid(
            "effects: OLS has no spatial spillovers; fit a spatial model (sar, sdm, sdem, slx or sem) first",
        ));
    }
    let k = input.names.len();
    if k == 0 {
        return Err(Error::invalid(format!("effects ({tag}): no regressors to report")));
    }
    for (what, len) in [
        ("beta", input.beta.len()),
        ("theta", input.theta.len()),
        ("beta_index", input.beta_index.len()),
        ("theta_index", input.theta_index.len()),
    ] {
        if len != k {
            return Err(Error::invalid(format!(
                "effects ({tag}): {what} has {len} entries for {k} regressors"
            )));
        }
    }
    let p = input.cov_dim;
    if input.cov.len() != p * p {
        return Err(Error::invalid(format!(
            "effects ({tag}): the covariance has {} entries, expected {p}×{p}",
            input.cov.len()
        )));
    }
    let lag = has_rho(kind);
    let mut used: Vec<usize> = Vec::new();
    let mut add = |idx: usize, what: String| -> Result<()> {
        if idx >= p {
            return Err(Error::invalid(format!(
                "effects ({tag}): {what} is at position {idx}, outside the {p}×{p} covariance"
            )));
        }
        if used.contains(&idx) {
            return Err(Error::invalid(format!(
                "effects ({tag}): {what} shares covariance position {idx} with another parameter"
            )));
        }
        used.push(idx);
        Ok(())
    };
    let mut mean = Vec::new();
    for i in 0..k {
        let name = &input.names[i];
        if !input.beta[i].is_finite() {
            return Err(Error::numeric(format!("effects ({tag}): β of {name} is not finite")));
        }
        add(input.beta_index[i], format!("β of {name}"))?;
        mean.push(input.beta[i]);
        match (input.theta[i], input.theta_index[i]) {
            (None, None) => {}
            (Some(t), Some(j)) => {
                if matches!(kind, ModelKind::Sar | ModelKind::Sem) {
                    return Err(Error::invalid(format!(
                        "effects ({tag}): {tag} has no lagged regressors, but W*{name} was given"
                    )));
                }
                if !t.is_finite() {
                    return Err(Error::numeric(format!("effects ({tag}): θ of W*{name} is not finite")));
                }
                add(j, format!("θ of W*{name}"))?;
                mean.push(t);
            }
            _ => {
                return Err(Error::invalid(format!(
                "effects ({tag}): W*{name} needs both its estimate (theta) and its covariance position (theta_index)"
            )))
            }
        }
    }
    let mut interval = input.interval;
    let mut warnings = Vec::new();
    if lag {
        let j = input.rho_index.ok_or_else(|| {
            Error::invalid(format!(
                "effects ({tag}): the covariance position of rho (rho_index) is missing"
            ))
        })?;
        add(j, "rho".into())?;
        mean.push(input.rho);
        if interval.0.is_nan() || interval.1.is_nan() || interval.0 >= interval.1 {
            return Err(Error::invalid(format!(
                "effects ({tag}): the rho interval ({}, {}) is empty",
                interval.0, interval.1
            )));
        }
    }
    let beta_pos: Vec<usize> = (0..k)
        .map(|i| used.iter().position(|&u| u == input.beta_index[i]).unwrap_or(0))
        .collect();
    let theta_pos: Vec<Option<usize>> = (0..k)
        .map(|i| input.theta_index[i].and_then(|t| used.iter().position(|&u| u == t)))
        .collect();
    let rho_pos = if lag {
        input.rho_index.and_then(|r| used.iter().position(|&u| u == r))
    } else {
        None
    };
    let d = used.len();
    let mut cov = vec![0.0; d * d];
    for a in 0..d {
        for b in 0..d {
            let v = input.cov[used[a] * p + used[b]];
            if !v.is_finite() {
                return Err(Error::numeric(format!(
                    "effects ({tag}): covariance entry ({}, {}) is not finite",
                    used[a], used[b]
                )));
            }
            cov[a * d + b] = v;
        }
    }

    let totals = if input.row_stochastic {
        Totals::RowStochastic
    } else {
        match &input.row_sum_moments {
            Some(mu) if mu.len() >= 2 => Totals::Moments(mu.clone()),
            _ => {
                return Err(Error::invalid(format!(
                    "effects ({tag}): W is not row-stochastic, so total effects need the row-sum moments ι'Wᵠι/N \
                     (row_sum_moments); row-standardise W (standardize: \"row\") or supply them"
                )))
            }
        }
    };
    let n_spec = input.spectrum.as_ref().map(|s| s.re.len());
    let use_series = match engine {
        Engine::Eigen => {
            if input.spectrum.is_none() {
                return Err(Error::invalid(format!(
                    "effects ({tag}): engine \"eigen\" needs the eigenvalues of W, which were not computed; use engine \"series\""
                )));
            }
            false
        }
        Engine::Series => {
            if input.traces.is_none() {
                return Err(Error::invalid(format!(
                    "effects ({tag}): engine \"series\" needs the power traces tr(W^q); use engine \"eigen\""
                )));
            }
            true
        }
        Engine::Auto => match (n_spec, &input.traces) {
            (Some(n), Some(_)) => n > SERIES_ABOVE_N,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => false,
        },
    };
    let kernel = if use_series {
        let tr = input.traces.as_deref().unwrap_or(&[]);
        if tr.len() < 2 || tr.iter().any(|t| !t.is_finite()) || tr[0] < 1.0 {
            return Err(Error::invalid(format!(
                "effects ({tag}): the power traces must be finite tr(W^0) = N, tr(W^1), ..., tr(W^m) with m ≥ 1"
            )));
        }
        Kernel::series(tr, totals)
    } else {
        match &input.spectrum {
            Some(s) => {
                if s.re.is_empty() || s.re.len() != s.im.len() {
                    return Err(Error::invalid(format!(
                        "effects ({tag}): the spectrum of W is empty or malformed"
                    )));
                }
                Kernel::eigen(s.clone(), totals)
            }
            None if lag => {
                return Err(Error::invalid(format!(
                    "effects ({tag}): neither the eigenvalues of W nor its power traces were given"
                )))
            }
            // SDEM/SLX/SEM: the kernel at ρ = 0 only needs tr(W)/N = 0 (zero diagonal).
            None => Kernel::series(&[1.0, 0.0], totals),
        }
    };
    if lag {
        if use_series {
            let m = match &kernel.source {
                TraceSource::Series(c) => c.len() - 1,
                TraceSource::Eigen { .. } => 0,
            };
            if interval.0 < -1.0 || interval.1 > 1.0 {
                interval = (interval.0.max(-1.0), interval.1.min(1.0));
                warnings.push(format!(
                    "the power series converges for |rho| < 1 only: the rho interval is clipped to ({}, {})",
                    interval.0, interval.1
                ));
            }
            let a = input.rho.abs();
            let bound = if a < 1.0 {
                a.powi(m as i32 + 1) / (1.0 - a)
            } else {
                f64::INFINITY
            };
            if bound > SERIES_WARN_BOUND {
                warnings.push(format!(
                    "power series truncated after m = {m} terms: error bound |rho|^(m+1)/(1−|rho|) = {bound:.2e} at rho = {}; \
                     use more traces or engine \"eigen\"",
                    input.rho
                ));
            }
        }
        if !input.rho.is_finite() || input.rho <= interval.0 || input.rho >= interval.1 {
            return Err(Error::numeric(format!(
                "effects ({tag}): rho = {} is outside the interval ({}, {}); the effects are undefined there",
                input.rho, interval.0, interval.1
            )));
        }
    }
    Ok(Prepared {
        kernel,
        layout: Layout {
            used,
            beta: beta_pos,
            theta: theta_pos,
            rho: rho_pos,
            mean,
            cov,
        },
        interval,
        has_rho: lag,
        warnings,
    })
}

/// Exact point effects at φ̂: one `[ADE, AIE, ATE]` per regressor.
pub fn point_effects(input: &EffectsInput, engine: Engine) -> Result<Vec<[f64; 3]>> {
    let prep = prepare(input, engine)?;
    Ok(point_of(&prep))
}

fn point_of(prep: &Prepared) -> Vec<[f64; 3]> {
    let k = prep.layout.beta.len();
    let mut flat = vec![0.0; 3 * k];
    prep.layout.effects_of(&prep.kernel, &prep.layout.mean, &mut flat);
    flat.chunks(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// Effects with standard errors by the chosen method (METHODS §9).
pub fn effects(input: &EffectsInput, opts: &EffectsOptions) -> Result<Effects> {
    let prep = prepare(input, opts.engine)?;
    let point = point_of(&prep);
    let k = point.len();
    let mut warnings = prep.warnings.clone();
    let mut rows: [Vec<EffectRow>; 3] = [Vec::with_capacity(k), Vec::with_capacity(k), Vec::with_capacity(k)];
    let (mut draws, mut kept, mut redrawn, mut discarded, mut seed) = (0, 0, 0, 0, None);
    match opts.method {
        Method::Delta => {
            let se = delta::std_errors(&prep);
            for (i, pt) in point.iter().enumerate() {
                for e in 0..3 {
                    let s = se[i][e];
                    rows[e].push(EffectRow::new(pt[e], s, ratio(pt[e], s), pt[e], f64::NAN));
                }
            }
        }
        Method::Simulation => {
            let discard = opts.mode == Mode::Spatialreg;
            let sim = simulate::simulate(&prep, opts.draws, opts.seed, discard)?;
            warnings.extend(sim.warnings.iter().cloned());
            draws = opts.draws;
            kept = sim.kept;
            redrawn = sim.redrawn;
            discarded = sim.discarded;
            seed = Some(opts.seed);
            for (i, pt) in point.iter().enumerate() {
                for e in 0..3 {
                    let (m, s) = (sim.mean[3 * i + e], sim.sd[3 * i + e]);
                    let row = match opts.mode {
                        Mode::Spillover => EffectRow::new(pt[e], s, ratio(pt[e], s), pt[e], m),
                        Mode::Elhorst => EffectRow::new(m, s, ratio(m, s), pt[e], m),
                        Mode::Spatialreg => EffectRow::new(pt[e], s, ratio(m, s), pt[e], m),
                    };
                    rows[e].push(row);
                }
            }
        }
    }
    let [direct, indirect, total] = rows;
    Ok(Effects {
        kind: input.kind,
        method: opts.method,
        mode: opts.mode,
        draws,
        kept,
        seed,
        redrawn,
        discarded,
        engine: prep.kernel.name(),
        names: input.names.clone(),
        direct,
        indirect,
        total,
        warnings,
    })
}

/// a/b, NaN when b is not positive (a zero SE, e.g. the SEM indirect effect).
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

/// Row-sum moments μ_q = ι'Wᵠι/N, q = 0..m (μ_0 = 1), by m sparse products (O(m·nnz)): the
/// totals of a W that is not row-stochastic.
pub fn row_sum_moments(w: &Weights, m: usize) -> Vec<f64> {
    let n = w.n();
    let mut v = vec![1.0; n];
    let mut next = vec![0.0; n];
    let mut out = Vec::with_capacity(m + 1);
    out.push(if n > 0 { 1.0 } else { f64::NAN });
    for _ in 0..m {
        w.lag_into(&v, &mut next);
        std::mem::swap(&mut v, &mut next);
        out.push(v.iter().sum::<f64>() / n.max(1) as f64);
    }
    out
}

/// Builds the input from a fitted [`Model`] by the coefficient roles its fitting code recorded
/// (`model.provenance`: the index of each regressor's β and θ and of ρ), never by term names:
/// a term called "rho" is not taken for ρ. The covariance is the model's `vcov`. A model
/// without recorded roles (built by hand) is an error.
pub fn input_from_model(
    model: &Model,
    spectrum: Option<Arc<Spectrum>>,
    traces: Option<Vec<f64>>,
    interval: (f64, f64),
    row_stochastic: bool,
) -> Result<EffectsInput> {
    let roles = &model.provenance;
    let p = model.coefficients.len();
    let ok = |i: &usize| *i < p;
    if roles.regressors.is_empty()
        || roles.beta_index.len() != roles.regressors.len()
        || roles.theta_index.len() != roles.regressors.len()
        || !roles.beta_index.iter().all(ok)
        || !roles.theta_index.iter().flatten().all(ok)
        || !roles.spatial_index.iter().all(ok)
    {
        return Err(Error::invalid(format!(
            "effects: the {} model does not record which coefficient is which (β, θ, ρ) for its {p} coefficients; \
             fit it with sar, sdm, sdem, slx or sem",
            model.kind.name()
        )));
    }
    let est = |i: usize| model.coefficients[i].estimate;
    let mut input = EffectsInput {
        kind: model.kind,
        names: roles.regressors.clone(),
        beta: roles.beta_index.iter().map(|&i| est(i)).collect(),
        theta: roles.theta_index.iter().map(|t| t.map(est)).collect(),
        rho: f64::NAN,
        cov: model.vcov.clone(),
        cov_dim: p,
        beta_index: roles.beta_index.clone(),
        theta_index: roles.theta_index.clone(),
        rho_index: None,
        spectrum,
        traces,
        interval,
        row_stochastic,
        row_sum_moments: None,
    };
    if has_rho(model.kind) {
        let j = roles
            .spatial_index
            .ok_or_else(|| Error::invalid(format!("effects: the {} model has no ρ", model.kind.name())))?;
        input.rho = est(j);
        input.rho_index = Some(j);
    }
    Ok(input)
}

impl Effects {
    /// Name of the statistic: `"t"` in mode `elhorst`, else `"z"`.
    pub fn stat_name(&self) -> &'static str {
        if self.method == Method::Simulation && self.mode == Mode::Elhorst {
            "t"
        } else {
            "z"
        }
    }

    /// A one-line description of the inference.
    pub fn describe(&self) -> String {
        match self.method {
            Method::Delta => "delta method (full covariance); estimates at the MLE".into(),
            Method::Simulation => {
                let seed = self.seed.map(|s| s.to_string()).unwrap_or_default();
                let head = format!("simulation, {} draws (seed {seed}), SE = sd of draws", self.draws);
                let tail = match self.mode {
                    Mode::Spillover => "estimates at the MLE, z = estimate/SE".to_string(),
                    Mode::Elhorst => "estimates = mean of draws, t = mean/SE (Elhorst)".to_string(),
                    Mode::Spatialreg => "estimates at the MLE, z = mean of draws/SE (spatialreg)".to_string(),
                };
                let mut s = format!("{head}; {tail}");
                if self.redrawn > 0 {
                    s.push_str(&format!("; {} draws re-drawn (rho outside the interval)", self.redrawn));
                }
                if self.discarded > 0 {
                    s.push_str(&format!(
                        "; {} draws discarded (rho outside the interval), {} kept",
                        self.discarded, self.kept
                    ));
                }
                s
            }
        }
    }

    /// The paper's Table 6: variables down; direct, indirect, total across; each cell
    /// "estimate*** (z)".
    pub fn to_table(&self) -> Table {
        let cols = ["Variable", "Direct", "Indirect", "Total"];
        let mut t = Table::new(
            format!(
                "Direct, indirect and total effects ({})",
                self.kind.name().to_uppercase()
            ),
            cols.iter().map(|c| c.to_string()).collect(),
        );
        let cell = |r: &EffectRow| {
            Cell::Text(format!(
                "{}{} ({})",
                fmt_num(r.estimate, 4),
                stars_for(r.z, r.p),
                fmt_stat(r.z, 2)
            ))
        };
        for (i, name) in self.names.iter().enumerate() {
            t.push(vec![
                name.clone().into(),
                cell(&self.direct[i]),
                cell(&self.indirect[i]),
                cell(&self.total[i]),
            ]);
        }
        t.note(format!(
            "{} statistics in parentheses; {}",
            self.stat_name(),
            self.describe()
        ));
        t.note("*** p<0.01, ** p<0.05, * p<0.1");
        for w in &self.warnings {
            t.note(format!("warning: {w}"));
        }
        t
    }

    /// Long table for CSV: variable, effect, estimate, std_error, z, p.
    pub fn to_long_table(&self) -> Table {
        let cols = ["variable", "effect", "estimate", "std_error", self.stat_name(), "p"];
        let mut t = Table::new(
            format!("Effects ({})", self.kind.name().to_uppercase()),
            cols.iter().map(|c| c.to_string()).collect(),
        );
        for (i, name) in self.names.iter().enumerate() {
            for (label, rows) in self.groups() {
                let r = rows[i];
                let mut row = vec![
                    name.clone().into(),
                    label.into(),
                    Cell::Num(r.estimate),
                    Cell::Num(r.std_error),
                ];
                row.extend(stat_cells(r.z, r.p));
                t.push(row);
            }
        }
        t.decimals = 6;
        t
    }

    fn groups(&self) -> [(&'static str, &[EffectRow]); 3] {
        [
            ("direct", &self.direct),
            ("indirect", &self.indirect),
            ("total", &self.total),
        ]
    }

    /// The JSON form of API.md: `method`, `draws`, `seed`, and `direct`/`indirect`/`total`,
    /// each a map regressor → {estimate, std_error, z, p} (plus `point` and `mean`); also
    /// `model`, `mode`, `kept`, `redrawn`, `discarded`, `engine`, `variables`, `warnings`.
    pub fn to_json_value(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let mut m = json!({
            "model": self.kind.name(),
            "method": self.method.name(),
            "mode": self.mode.name(),
            "draws": self.draws,
            "kept": self.kept,
            "seed": self.seed,
            "redrawn": self.redrawn,
            "discarded": self.discarded,
            "engine": self.engine,
            "variables": self.names,
            "warnings": self.warnings,
        });
        if let Value::Object(obj) = &mut m {
            for (label, rows) in self.groups() {
                let mut g = Map::new();
                for (name, r) in self.names.iter().zip(rows) {
                    g.insert(
                        name.clone(),
                        json!({"estimate": num_json(r.estimate), "std_error": num_json(r.std_error),
                               "z": num_json(r.z), "p": num_json(r.p),
                               "point": num_json(r.point), "mean": num_json(r.mean)}),
                    );
                }
                obj.insert(label.into(), Value::Object(g));
            }
        }
        m
    }
}

impl std::fmt::Display for Effects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_table().to_text())
    }
}

/// The effects input of a fitted spatial model: its (bias-corrected, when asked) estimates
/// and covariance, and the feasible interval; the eigenvalues of W when the fit used them
/// (exact path), otherwise the power traces tr(Wᵠ) of the fit's sparse path (series engine,
/// LeSage–Pace; computed here with [`crate::linalg::traces::power_traces`] if the fit has none).
/// Totals use (β + θ)/(1 − ρ) when W is row-stochastic, the row-sum moments ι'W^qι/N otherwise.
pub fn input_from_fit(fit: &crate::models::ml::SpatialFit, w: &Weights) -> Result<EffectsInput> {
    let row_stochastic = crate::weights::row_sums(w.matrix())
        .iter()
        .all(|s| (s - 1.0).abs() <= 1e-12);
    let traces = match (&fit.spectrum, &fit.power_traces) {
        (Some(_), _) => None,
        (None, Some(pt)) => Some(series_input(pt)),
        (None, None) => {
            let rho = fit.rho().unwrap_or(0.0);
            let se = fit.rho_index.map_or(0.0, |i| fit.cov(i, i).max(0.0).sqrt());
            let radius = crate::linalg::sparse::spectral_bound(w.matrix());
            let m = crate::models::ml::series_terms(rho, se, radius);
            let pt = crate::linalg::traces::power_traces(w, m, None, &Default::default())?;
            Some(series_input(&pt))
        }
    };
    let mut input = input_from_model(&fit.model, fit.spectrum.clone(), traces, fit.interval, row_stochastic)?;
    if !row_stochastic {
        input.row_sum_moments = Some(row_sum_moments(w, 100));
    }
    Ok(input)
}

/// Effects of a fitted spatial model on `w` ([`input_from_fit`], then [`effects`]). The model's
/// own warnings (e.g. ρ on the bound of its search interval, where the results should not be
/// used) are carried into the effects' warnings, so the effects table says so too.
pub fn effects_of_fit(fit: &crate::models::ml::SpatialFit, w: &Weights, opts: &EffectsOptions) -> Result<Effects> {
    let input = input_from_fit(fit, w)?;
    let mut e = effects(&input, opts)?;
    for warning in &fit.model.warnings {
        e.warnings.push(format!("the model: {warning}"));
    }
    Ok(e)
}

/// [N, tr(W), ..., tr(Wᵐ)] as the series kernel takes them.
fn series_input(pt: &crate::linalg::traces::PowerTraces) -> Vec<f64> {
    std::iter::once(pt.n as f64).chain(pt.traces.iter().copied()).collect()
}
