//! Spatial models estimated by maximum likelihood (docs/methods.md §4.1, §7): SAR, SDM (lag.rs), SEM,
//! SDEM (error.rs) and SLX (slx.rs), pooled with an intercept or with individual, time or
//! two-way fixed effects, with the bias corrections of §7.5 (bias.rs) and the information
//! matrices of §7.4 (information.rs).
//!
//! Data preparation (§7.1): spatial lags Wy and WX are taken period by period. With
//! `lag_order: "lag_first"` (default) they are computed from the raw data and then demeaned
//! (= dummy-variable ML); with `"demean_first"` the lag of the dependent variable is W·ỹ (splm)
//! and the SEM filter is applied to demeaned data (Elhorst/splm). Lagged regressors WX are
//! always lagged from the raw data and then demeaned.
//!
//! Two computational paths (the `lndet` option; [`fit_spatial`]):
//!
//! * exact eigenvalue path (`"eigen"`, and `"auto"` for small or dense W): the eigenvalues of W
//!   give the log-determinant, its analytic derivative, the feasible interval (1/ω_min, 1/ω_max)
//!   and tr G, tr GG; tr G'G comes from one dense solve.
//! * sparse path (`"sparse"`, `"chebyshev"`, `"monte_carlo"`, and `"auto"` for large sparse W):
//!   no eigenvalues and no N×N object. The interval is (−1/r, 1/r) with r ≥ the spectral
//!   radius (r = 1 for a row-standardised W; the feasible interval may extend below −1, which is
//!   reported); the log-determinant comes from the chosen engine (sparse Cholesky of the
//!   symmetric similar matrix, or sparse LU, with one symbolic factorisation reused across ρ);
//!   its derivative from central differences; the information-matrix traces from the sparse
//!   factorisation at ρ̂ ([`crate::linalg::traces::g_traces_sparse`]); and, for SAR/SDM, the
//!   power traces tr(Wᵏ) of the series effects ([`SpatialFit::power_traces`]).
//!
//! Dynamic SAR/SDM (docs/methods.md §14) take either path; on the sparse one the bias
//! corrections, the kurtosis term and the stability report come from sparse solves and a
//! Krylov iteration (`dynamic_sparse`, §14.7).

pub mod bias;
pub mod bsk_det;
pub mod dynamic;
mod dynamic_bias;
mod dynamic_sparse;
pub mod error;
pub mod information;
pub mod lag;
pub mod newton2;
pub mod optimize;
pub mod options;
pub mod random;
pub mod random_error;
pub mod random_expected;
pub mod sac;
pub mod scores;
pub mod serial;
pub mod slx;
pub mod synthetic;

mod assemble;
mod data;
mod engines;
mod route;

pub use assemble::series_terms;
pub use dynamic::DynamicInfo;
pub use dynamic_bias::spectral_radius as dynamic_spectral_radius;
pub use dynamic_sparse::{RITZ_MAX_STEPS, RITZ_TOL};
pub use options::{
    BiasCorrection, CheckedOptions, DynamicCorrection, DynamicCovariance, DynamicOptions, Information, LagOrder,
    ReCovariance, ReErrors, SpatialOptions,
};
pub use route::{fit_spatial, fit_spatial_with_engine};

pub(crate) use assemble::{Estimate, Vcov};
pub(crate) use data::{Dims, Prepared};
pub(crate) use engines::Engines;
pub(crate) use route::Jacobian;

use crate::error::{Error, Result};
use crate::linalg::logdet::SparseLogDet;
use crate::linalg::traces::{PowerTraces, TraceOptions};
use crate::linalg::LogDet;
use crate::models::formula::Design;
use crate::models::result::{Model, ModelKind, Timings};
use crate::models::within::Fe;
use crate::weights::{Spectrum, Weights};
use route::Path;
use std::sync::Arc;

/// Above this N the random-effects error models on the sparse path maximise with a coarser
/// bracketing grid and without the score polish (each evaluation is a sparse factorisation).
/// The fixed-effects and lag models use [`optimize::maximize_parallel`] at every N.
pub const SPARSE_FAST_ABOVE_N: usize = 20_000;
/// Truncation tolerance of the power series of the effects: the number of terms m is the
/// smallest with (|ρ|r)^{m+1}/(1 − |ρ|r) ≤ this at |ρ| = |ρ̂| + 6·se(ρ̂).
pub const SERIES_TOLERANCE: f64 = 1e-8;
/// Bounds on the number of power-series terms.
pub const SERIES_TERMS: (usize, usize) = (10, 200);

/// Distance kept from the ends of the feasible interval in the search (docs/methods.md §4.1).
pub const BOUND_DELTA: f64 = 1e-9;
/// Estimates closer than this to an end of the interval raise a warning (docs/methods.md §4.1).
pub const BOUND_WARN: f64 = 1e-6;

/// A fitted spatial model plus what the effects module and the tests need.
#[derive(Debug, Clone)]
pub struct SpatialFit {
    /// The result table (coefficients β, then "W*x" θ's, then "rho"/"lambda"; vcov over those).
    pub model: Model,
    /// Which model.
    pub kind: ModelKind,
    /// The regressors of the formula (without the intercept), in order.
    pub regressors: Vec<String>,
    /// Index of β_k in `model.coefficients` for each regressor.
    pub beta_index: Vec<usize>,
    /// Index of θ_k (the coefficient of W·x_k), when x_k is lagged.
    pub theta_index: Vec<Option<usize>>,
    /// Index of ρ (SAR/SDM) or λ (SEM/SDEM).
    pub rho_index: Option<usize>,
    /// Covariance of all parameters including σ² (last), row-major, (p+1)² for p coefficients.
    pub cov_full: Vec<f64>,
    /// Eigenvalues of W (exact eigenvalue path; `None` on the sparse path).
    pub spectrum: Option<Arc<Spectrum>>,
    /// tr(Wᵏ), k = 1..m, for the power-series effects (sparse path, SAR/SDM; `None` otherwise).
    pub power_traces: Option<Arc<PowerTraces>>,
    /// Units N.
    pub n: usize,
    /// Search interval of the spatial parameter.
    pub interval: (f64, f64),
    /// Dynamic models (docs/methods.md §14): the correction, the uncorrected fit, the
    /// positions of τ and η, the stability report; `None` for static models.
    pub dynamic: Option<Arc<dynamic::DynamicInfo>>,
}

impl SpatialFit {
    /// The spatial parameter estimate (ρ or λ), if any.
    pub fn rho(&self) -> Option<f64> {
        self.rho_index.map(|i| self.model.coefficients[i].estimate)
    }
    /// Entry (i, j) of the full covariance (σ² is index `coefficients.len()`).
    pub fn cov(&self, i: usize, j: usize) -> f64 {
        let p = self.model.coefficients.len() + 1;
        self.cov_full[i * p + j]
    }
}

/// Everything an estimator needs.
pub(crate) struct Ctx<'a> {
    pub w: &'a Weights,
    /// The eigenvalues (exact path) or `None` (sparse path).
    pub spectrum: Option<&'a Spectrum>,
    /// The exact sparse engine (sparse path): factorisation at ρ̂ for the traces and solves.
    pub sparse: Option<&'a SparseLogDet>,
    /// Options of the stochastic / exact sparse traces.
    pub trace_opts: TraceOptions,
    pub jac: Jacobian<'a>,
    pub dims: Dims,
    pub opts: &'a CheckedOptions,
    pub data: &'a Prepared,
    pub interval: (f64, f64),
    /// The stage timings of the fit.
    pub clock: Clock,
}

impl Ctx<'_> {
    /// Maximises a concentrated log-likelihood over the search interval (kept [`BOUND_DELTA`]
    /// from its ends). Exact eigenvalue path (cheap evaluations): 41-point grid, Brent to 1e−12
    /// and the root of the analytic score ([`optimize::maximize`]). Sparse path (each evaluation
    /// a factorisation): [`optimize::maximize_parallel`] with a 13-point grid evaluated in
    /// parallel, Brent to [`optimize::PARALLEL_BRENT_TOL`] from the best grid point, and one
    /// secant step on the central-difference score. The time goes to the stage `optimise`
    /// (outermost search only). Error: Ctrl-C ([`crate::interrupt`]).
    pub fn maximize(
        &self,
        f: impl Fn(f64) -> f64 + Sync,
        score: impl Fn(f64) -> f64 + Sync,
    ) -> Result<optimize::Maximum> {
        let (lo, hi) = (self.interval.0 + BOUND_DELTA, self.interval.1 - BOUND_DELTA);
        let outermost = self.clock.depth.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
        let start = std::time::Instant::now();
        let m = if self.spectrum.is_none() {
            optimize::maximize_parallel(
                &f,
                Some(&score),
                lo,
                hi,
                optimize::PARALLEL_BRENT_TOL,
                optimize::SPARSE_GRID,
            )
        } else {
            optimize::maximize(f, score, lo, hi, 1e-12)
        };
        self.clock.depth.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        if outermost {
            self.clock.add("optimise", start.elapsed().as_secs_f64());
        }
        crate::interrupt::check()?;
        Ok(m)
    }
}

/// The stage timings of one fit, recorded from any thread ([`Timings`]).
#[derive(Default)]
pub(crate) struct Clock {
    timings: std::sync::Mutex<Timings>,
    /// Nesting depth of [`Ctx::maximize`] (SAC nests one search in another).
    depth: std::sync::atomic::AtomicUsize,
}

impl Clock {
    fn with<T>(&self, f: impl FnOnce(&mut Timings) -> T) -> T {
        f(&mut self.timings.lock().unwrap_or_else(|e| e.into_inner()))
    }
    /// Adds `seconds` to `stage`.
    pub fn add(&self, stage: &str, seconds: f64) {
        self.with(|t| t.add(stage, seconds));
    }
    /// Runs `f`, adding its time to `stage`.
    pub fn time<T>(&self, stage: &str, f: impl FnOnce() -> T) -> T {
        let start = std::time::Instant::now();
        let out = f();
        self.add(stage, start.elapsed().as_secs_f64());
        out
    }
    /// Adds `n` to the count `what`.
    pub fn count(&self, what: &str, n: u64) {
        self.with(|t| t.count(what, n));
    }
    /// Records how `what` was computed.
    pub fn method(&self, what: &str, how: impl Into<String>) {
        self.with(|t| t.method(what, how));
    }
    /// The timings recorded so far.
    pub fn snapshot(&self) -> Timings {
        self.with(|t| t.clone())
    }
}

/// The search interval of ρ/λ and where it comes from (docs/methods.md §4.1), for every spatial
/// ML fit: the eigenvalue interval (1/ω_min, 1/ω_max) on the exact path (option `interval`
/// must lie inside it), else (−1/r, 1/r) with r ≥ the spectral radius, or the option.
pub(crate) fn search_interval(
    spectrum: Option<&Spectrum>,
    w: &Weights,
    opts: &CheckedOptions,
) -> Result<((f64, f64), String)> {
    Ok(match spectrum {
        Some(spectrum) => {
            let feasible = spectrum.interval();
            match opts.interval {
                None => (feasible, "eigenvalues: (1/omega_min, 1/omega_max)".to_string()),
                Some((lo, hi)) => {
                    if lo < feasible.0 - 1e-12 || hi > feasible.1 + 1e-12 {
                        return Err(Error::invalid(format!(
                            "interval [{lo}, {hi}] leaves the feasible interval ({:.6}, {:.6}) = (1/ω_min, 1/ω_max) \
                             where I − ρW is invertible; narrow it",
                            feasible.0, feasible.1
                        )));
                    }
                    ((lo, hi), "option interval".to_string())
                }
            }
        }
        None => {
            let r = crate::linalg::cache::spectral_bound(w);
            if !(r.is_finite() && r > 0.0) {
                return Err(Error::invalid(
                    "the weights matrix has no positive entry, so rho is not identified; check the weights",
                ));
            }
            match opts.interval {
                None => (
                    (-1.0 / r, 1.0 / r),
                    format!(
                        "bound (-1/r, 1/r), r = {r:.6} >= spectral radius (eigenvalues not computed; the feasible \
                         interval may extend below -1/r)"
                    ),
                ),
                Some(iv) => (iv, "option interval (not checked against the eigenvalues)".to_string()),
            }
        }
    })
}

fn fit_impl(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    opts: &CheckedOptions,
    engine: &dyn LogDet,
    path: Path,
) -> Result<SpatialFit> {
    let (n, t) = (design.n, design.t);
    if w.n() != n {
        return Err(Error::data(format!("weights have {} units but the data {n}", w.n())));
    }
    let (interval, interval_source) = search_interval(path.spectrum.as_deref(), w, opts)?;
    if opts.dynamic.is_some() {
        let mut fit = dynamic::fit(
            design,
            w,
            kind,
            opts,
            engine,
            path.spectrum.clone(),
            path.sparse,
            path.exact_score,
            interval,
        )?;
        fit.model.info.insert("lndet_choice".into(), path.choice);
        fit.model.info.insert("interval_source".into(), interval_source);
        return Ok(fit);
    }
    let dims = bias::dims(n, t, opts, w)?;
    let start = std::time::Instant::now();
    let data = Prepared::new(design, w, kind, opts)?;
    let prepare = start.elapsed().as_secs_f64();
    let nobs_eff = dims.n_eff * dims.t_eff;
    if nobs_eff <= data.names.len() + 1 {
        return Err(Error::data(format!(
            "{nobs_eff} effective observations for {} coefficients; the model needs more observations",
            data.names.len() + 1
        )));
    }
    let ctx = Ctx {
        w,
        spectrum: path.spectrum.as_deref(),
        sparse: path.sparse,
        trace_opts: opts.traces,
        jac: Jacobian::new(
            engine,
            if path.exact_score {
                path.spectrum.as_deref()
            } else {
                None
            },
            dims.shift,
            path.sparse,
        ),
        clock: Clock::default(),
        dims,
        opts,
        data: &data,
        interval,
    };
    ctx.clock.add("prepare", (prepare - data.within_seconds).max(0.0));
    ctx.clock.add("within", data.within_seconds);
    ctx.clock.method("lndet", path.choice.clone());
    if opts.fe == Fe::Random {
        let start = std::time::Instant::now();
        let mut fit = random::fit_lag(design, &ctx, kind, engine, path.spectrum.clone())?;
        scores::attach_lag_scores(&ctx, &mut fit)?;
        ctx.clock.add("estimate", start.elapsed().as_secs_f64());
        fit.model.info.insert("lndet_choice".into(), path.choice);
        fit.model.info.insert("interval_source".into(), interval_source);
        if path.spectrum.is_none() {
            attach_power_traces(w, &mut fit, &ctx)?;
        }
        fit.model.timings = finish_clock(&ctx);
        return Ok(fit);
    }
    let mut sac_extra = None;
    let start = std::time::Instant::now();
    let est = match kind {
        ModelKind::Sac => {
            sac::check(opts)?;
            let (est, extra) = sac::fit(&ctx)?;
            sac_extra = Some(extra);
            est
        }
        ModelKind::Sar | ModelKind::Sdm => lag::fit(&ctx)?,
        ModelKind::Sem | ModelKind::Sdem => error::fit(&ctx)?,
        ModelKind::Slx => slx::fit(&ctx)?,
        ModelKind::Ols => unreachable!("refused above"),
    };
    // What the estimator did besides the search and the covariance: the least-squares fits
    // and cross-products of the concentrated likelihood, corrections.
    let t = ctx.clock.snapshot();
    let other =
        start.elapsed().as_secs_f64() - t.seconds("optimise").unwrap_or(0.0) - t.seconds("information").unwrap_or(0.0);
    ctx.clock.add("least_squares", other.max(0.0));
    if let Some(note) = &est.trace_note {
        ctx.clock.method("traces", note.clone());
    }
    let start = std::time::Instant::now();
    let mut fit = assemble::assemble(design, &ctx, kind, est, engine, path.spectrum.clone())?;
    scores::attach_lag_scores(&ctx, &mut fit)?;
    ctx.clock.add("fit_measures", start.elapsed().as_secs_f64());
    if let Some(extra) = sac_extra {
        sac::attach(&mut fit, extra, interval);
    }
    fit.model.info.insert("lndet_choice".into(), path.choice);
    fit.model.info.insert("interval_source".into(), interval_source);
    if path.spectrum.is_none() && matches!(kind, ModelKind::Sar | ModelKind::Sdm | ModelKind::Sac) {
        attach_power_traces(w, &mut fit, &ctx)?;
    }
    fit.model.timings = finish_clock(&ctx);
    Ok(fit)
}

/// The power traces tr(Wᵏ) of the effects' series on the sparse path (docs/methods.md §9),
/// timed as `effects_traces`, described in `info["effects_traces"]` and kept with the fit.
fn attach_power_traces(w: &Weights, fit: &mut SpatialFit, ctx: &Ctx) -> Result<()> {
    let pt = ctx
        .clock
        .time("effects_traces", || assemble::series_traces(w, fit, &ctx.trace_opts))?;
    let how = assemble::describe_power_traces(&pt, fit);
    ctx.clock.method("effects_traces", how.clone());
    fit.model.info.insert("effects_traces".into(), how);
    fit.power_traces = Some(Arc::new(pt));
    Ok(())
}

/// The timings of a fit from its clock, with the number of log-determinant evaluations of the
/// search (`lndet_evaluations`).
pub(crate) fn finish_clock(ctx: &Ctx) -> Timings {
    ctx.clock.count("lndet_evaluations", ctx.jac.evaluations() as u64);
    ctx.clock.snapshot()
}

/// Puts `setup` (seconds of the log-determinant engine's setup, `reused` when it came from the
/// weights' cache) and `total` seconds into the timings of `fit`, and their one-line summary into
/// `model.info["timings"]`.
pub(crate) fn record_timings(fit: &mut SpatialFit, setup: f64, reused: bool, total: f64) {
    let t = &mut fit.model.timings;
    t.stages.insert(0, ("lndet_setup".to_string(), setup));
    t.count("lndet_setup_reused", u64::from(reused));
    t.add("total", total);
    let summary = t.summary();
    fit.model.info.insert("timings".into(), summary);
}
