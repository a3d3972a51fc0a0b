//! Spatial models estimated by maximum likelihood (METHODS §4.1, §7): SAR, SDM (lag.rs), SEM,
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

pub mod bias;
pub mod error;
pub mod information;
pub mod lag;
pub mod optimize;
pub mod options;
pub mod slx;
pub mod synthetic;

pub use options::{BiasCorrection, Information, LagOrder, SpatialOptions};

use crate::error::{list_some, Error, Result};
use crate::linalg::logdet::{auto_choice, choose_logdet, SparseLogDet, EIGEN_MAX_N};
use crate::linalg::sparse::spectral_bound;
use crate::linalg::traces::{power_traces, PowerTraces, TraceMethod, TraceOptions};
use crate::linalg::LogDet;
use crate::models::dense::dot;
use crate::models::formula::Design;
use crate::models::result::{Coef, Model, ModelKind};
use crate::models::within::{demean, Fe};
use crate::weights::{Spectrum, Weights};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Above this N the sparse path maximises with a coarser bracketing grid and without the score
/// polish (each evaluation is a sparse factorisation); Brent's tolerance still gives ρ̂ to ~1e−8.
pub const SPARSE_FAST_ABOVE_N: usize = 20_000;
/// Truncation tolerance of the power series of the effects: the number of terms m is the
/// smallest with (|ρ|r)^{m+1}/(1 − |ρ|r) ≤ this at |ρ| = |ρ̂| + 6·se(ρ̂).
pub const SERIES_TOLERANCE: f64 = 1e-8;
/// Bounds on the number of power-series terms.
pub const SERIES_TERMS: (usize, usize) = (10, 200);

/// Distance kept from the ends of the feasible interval in the search (METHODS §4.1).
pub const BOUND_DELTA: f64 = 1e-9;
/// Estimates closer than this to an end of the interval raise a warning (METHODS §4.1).
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

/// Effective sample dimensions of the likelihood: Lee–Yu drops one period (individual/two-way)
/// and one unit (time/two-way) and adds −ln(1−ρ) to the log-Jacobian (METHODS §7.5b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dims {
    pub n: usize,
    pub t: usize,
    pub n_eff: usize,
    pub t_eff: usize,
    /// −ln(1 − ρ) in the Jacobian and the unit eigenvalue removed from the traces.
    pub shift: bool,
}

impl Dims {
    pub fn nt_eff(&self) -> f64 {
        (self.n_eff * self.t_eff) as f64
    }
}

/// The log-Jacobian J(ρ) = ln|I − ρW| (− ln(1 − ρ) under the Lee–Yu time transformation) and
/// its derivative: −tr(G) from the eigenvalues for the exact engine, a central difference of
/// the engine otherwise.
pub(crate) struct Jacobian<'a> {
    pub engine: &'a dyn LogDet,
    pub exact: Option<&'a Spectrum>,
    pub shift: bool,
}

impl Jacobian<'_> {
    pub fn value(&self, rho: f64) -> f64 {
        let v = self.engine.logdet(rho);
        if self.shift {
            v - (1.0 - rho).ln()
        } else {
            v
        }
    }
    pub fn deriv(&self, rho: f64) -> f64 {
        let d = match self.exact {
            Some(s) => -information::traces_from_spectrum(s, rho).0,
            None => {
                let h = 1e-6 * (1.0 + rho.abs());
                (self.engine.logdet(rho + h) - self.engine.logdet(rho - h)) / (2.0 * h)
            }
        };
        if self.shift {
            d + 1.0 / (1.0 - rho)
        } else {
            d
        }
    }
}

/// The model's data: raw and demeaned columns, and the lag of y under the chosen convention.
pub(crate) struct Prepared {
    /// The dependent variable's name, the model and its fixed effects (for messages).
    pub depvar: String,
    pub kind: ModelKind,
    pub fe: Fe,
    /// Names of the Z columns: "(intercept)" when pooled, regressors, then "W*x".
    pub names: Vec<String>,
    /// Raw Z columns (the lagged ones are W·x of the raw data).
    pub z_raw: Vec<Vec<f64>>,
    /// Demeaned Z̃.
    pub z: Vec<Vec<f64>>,
    /// Raw y.
    pub y_raw: Vec<f64>,
    /// ỹ.
    pub y: Vec<f64>,
    /// (I_T ⊗ W) y of the raw y.
    pub wy_raw: Vec<f64>,
    /// The lag of y in the demeaned model: Q(Wy) (lag_first) or W·ỹ (demean_first).
    pub wy: Vec<f64>,
    /// Formula regressors (no intercept).
    pub regressors: Vec<String>,
    /// Index in Z of each regressor's β.
    pub beta_index: Vec<usize>,
    /// Index in Z of each regressor's θ.
    pub theta_index: Vec<Option<usize>>,
}

impl Prepared {
    fn new(design: &Design, w: &Weights, kind: ModelKind, opts: &SpatialOptions) -> Result<Prepared> {
        let (n, fe) = (design.n, opts.fe);
        let lagged: Vec<usize> = match kind {
            ModelKind::Sdm | ModelKind::Sdem | ModelKind::Slx => match &opts.durbin {
                None => (0..design.names.len()).collect(),
                Some(list) => {
                    let mut idx = Vec::new();
                    for name in list {
                        match design.names.iter().position(|x| x == name) {
                            Some(i) if !idx.contains(&i) => idx.push(i),
                            Some(_) => {}
                            None => {
                                return Err(Error::invalid(format!(
                                    "durbin: '{name}' is not a regressor of the formula; valid: {}",
                                    list_some(&design.names, 20)
                                )))
                            }
                        }
                    }
                    idx.sort_unstable();
                    idx
                }
            },
            _ => {
                if opts.durbin.is_some() {
                    return Err(Error::invalid(format!(
                        "durbin applies to sdm, sdem and slx only, not to {}; drop the option",
                        kind.name()
                    )));
                }
                Vec::new()
            }
        };
        let mut names = Vec::new();
        let mut z_raw = Vec::new();
        if fe == Fe::None {
            names.push("(intercept)".to_string());
            z_raw.push(vec![1.0; design.nobs()]);
        }
        let off = names.len();
        let mut beta_index = Vec::new();
        for (k, name) in design.names.iter().enumerate() {
            names.push(name.clone());
            z_raw.push(design.x[k].clone());
            beta_index.push(off + k);
        }
        let mut theta_index = vec![None; design.names.len()];
        for &k in &lagged {
            theta_index[k] = Some(names.len());
            names.push(format!("W*{}", design.names[k]));
            z_raw.push(w.lag_panel(&design.x[k]));
        }
        // The same absorbed-regressor check (and message) as OLS.
        let z = crate::models::ols::demean_columns(&z_raw, &names, n, fe)?;
        let y_raw = design.y.clone();
        let y = demean(&y_raw, n, fe);
        let wy_raw = w.lag_panel(&y_raw);
        let wy = match opts.lag_order {
            LagOrder::LagFirst => demean(&wy_raw, n, fe),
            LagOrder::DemeanFirst => w.lag_panel(&y),
        };
        Ok(Prepared {
            depvar: design.depvar.clone(),
            kind,
            fe,
            names,
            z_raw,
            z,
            y_raw,
            y,
            wy_raw,
            wy,
            regressors: design.names.clone(),
            beta_index,
            theta_index,
        })
    }

    /// Refuses a constant dependent variable and residuals that are zero up to rounding (see
    /// [`crate::models::ols::refuse_constant_depvar`], [`crate::models::ols::refuse_exact_fit`]);
    /// `sse` is the residual sum of squares of ỹ.
    pub fn refuse_exact_fit(&self, sse: f64) -> Result<()> {
        crate::models::ols::refuse_constant_depvar(self.kind.name(), &self.depvar, &self.y_raw, &self.y, self.fe)?;
        crate::models::ols::refuse_exact_fit(self.kind.name(), &self.depvar, &self.y, sse, self.fe)
    }

    /// Refuses `a` = c·`b` up to rounding (SAR/SDM: the residuals e0 of ỹ and ed of Wỹ on the
    /// regressors; SEM/SDEM: ỹ and Wỹ): at ρ (λ) = c the residuals vanish, so the likelihood is
    /// unbounded and the spatial parameter is not identified — e.g. N = 3 units that all
    /// neighbour each other under time effects, where Wỹ = −ỹ/2. `n` is the number of units.
    pub fn refuse_proportional_lag(&self, a: &[f64], b: &[f64], n: usize) -> Result<()> {
        use crate::models::dense::{dot, RANK_TOL};
        let (aa, ab, bb) = (dot(a, a), dot(a, b), dot(b, b));
        let c = if bb > 0.0 { ab / bb } else { 0.0 };
        let rest: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - c * y).collect();
        if aa > 0.0 && dot(&rest, &rest) <= RANK_TOL * RANK_TOL * aa {
            let param = match self.kind {
                ModelKind::Sem | ModelKind::Sdem => "lambda",
                _ => "rho",
            };
            return Err(Error::data(format!(
                "{}: after the {} fixed effects the spatial lag Wy of '{}' is proportional to it (up to the \
                 regressors), so the residuals vanish at {param} = {c:.6} and the likelihood is unbounded: {param} \
                 is not identified (e.g. N = {n} units that all neighbour each other, under time effects); use other \
                 weights, other fixed effects or more units",
                self.kind.name(),
                self.fe.name(),
                self.depvar,
            )));
        }
        Ok(())
    }

    /// The lag of a (raw) column under the convention: Q(W·raw) or W·(Q raw).
    pub fn lag_of(&self, w: &Weights, raw: &[f64], demeaned: &[f64], n: usize, fe: Fe, order: LagOrder) -> Vec<f64> {
        match order {
            LagOrder::LagFirst => demean(&w.lag_panel(raw), n, fe),
            LagOrder::DemeanFirst => w.lag_panel(demeaned),
        }
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
    pub opts: &'a SpatialOptions,
    pub data: &'a Prepared,
    pub interval: (f64, f64),
}

impl Ctx<'_> {
    /// Maximises a concentrated log-likelihood over the search interval (kept [`BOUND_DELTA`]
    /// from its ends): 41-point grid, Brent and score polish; on the sparse path above
    /// [`SPARSE_FAST_ABOVE_N`] units a 13-point grid and Brent only. Error: Ctrl-C
    /// ([`crate::interrupt`]).
    pub fn maximize(&self, f: impl Fn(f64) -> f64, score: impl Fn(f64) -> f64) -> Result<optimize::Maximum> {
        let (lo, hi) = (self.interval.0 + BOUND_DELTA, self.interval.1 - BOUND_DELTA);
        let m = if self.spectrum.is_none() && self.dims.n > SPARSE_FAST_ABOVE_N {
            optimize::maximize_with(f, None, lo, hi, 1e-12, optimize::SPARSE_GRID)
        } else {
            optimize::maximize(f, score, lo, hi, 1e-12)
        };
        crate::interrupt::check()?;
        Ok(m)
    }
}

/// Raw estimates of one model, before assembly into a [`Model`].
pub(crate) struct Estimate<'a> {
    /// β (length k, the Z columns).
    pub beta: Vec<f64>,
    /// ρ or λ (None for SLX).
    pub rho: Option<f64>,
    /// σ² as reported (corrected when a correction applies).
    pub sigma2: f64,
    /// σ̂² = SSE/n_eff before any correction.
    pub sigma2_uncorrected: f64,
    /// Log-likelihood at the MLE.
    pub loglik: f64,
    /// Elhorst's reported log-likelihood under `bias_correction: "elhorst"`.
    pub loglik_elhorst: Option<f64>,
    /// Covariance of [β, ρ, σ²] (or [β, σ²] for SLX), row-major.
    pub vcov: Vec<f64>,
    /// Objective evaluations of the search.
    pub evaluations: usize,
    /// The factorisation at the final ρ (reused for corr²), when one was computed.
    pub resolvent: Option<information::Resolvent<'a>>,
    /// How the information-matrix traces were obtained (sparse path).
    pub trace_note: Option<String>,
}

/// The covariance at one parameter value, with the factorisation and trace note behind it.
pub(crate) struct Vcov<'a> {
    /// Covariance of [β, ρ, σ²], row-major.
    pub v: Vec<f64>,
    /// The factorisation of I − ρW used (SAR/SDM).
    pub resolvent: Option<information::Resolvent<'a>>,
    /// How the traces were obtained (sparse path).
    pub note: Option<String>,
}

/// Fits `kind` (SAR, SDM, SEM, SDEM or SLX) by ML. `opts.lndet` picks the path (module doc):
/// `"eigen"` uses the cached eigenvalues with the analytic score; `"auto"` does so for small or
/// dense W ([`auto_choice`]) and otherwise takes the sparse path; `"sparse"`, `"chebyshev"` and
/// `"monte_carlo"` take the sparse path with that log-determinant. The choice is recorded in
/// `model.info["lndet"]` and `model.info["lndet_choice"]`.
pub fn fit_spatial(design: &Design, w: &Weights, kind: ModelKind, opts: &SpatialOptions) -> Result<SpatialFit> {
    let w = w.aligned_to(&design.ids)?;
    let (name, why) = match opts.lndet.as_str() {
        "auto" => auto_choice(&w),
        other => match LOGDET_NAMES.iter().find(|m| **m == other) {
            Some(m) => (*m, format!("lndet \"{other}\" requested")),
            // The chooser's error lists the valid names.
            None => return choose_logdet(&w, other).and_then(|_| Err(Error::invalid(format!("lndet \"{other}\"")))),
        },
    };
    match name {
        "eigen" => {
            if w.n() > EIGEN_MAX_N {
                choose_logdet(&w, "eigen")?;
            }
            let spec = w.spectrum()?;
            let path = Path {
                spectrum: Some(spec.clone()),
                sparse: None,
                exact_score: true,
                choice: format!("{why}; eigenvalues of W, exact"),
            };
            fit_impl(design, &w, kind, opts, &*spec, path)
        }
        _ => {
            let sparse = SparseLogDet::new(&w)?;
            let approx: Option<Box<dyn LogDet>> = match name {
                "sparse" => None,
                other => Some(choose_logdet(&w, other)?),
            };
            let engine: &dyn LogDet = approx.as_deref().unwrap_or(&sparse);
            let how = if sparse.is_cholesky() {
                format!(
                    "sparse Cholesky of the symmetric similar matrix (nnz(L) = {}), one symbolic factorisation reused",
                    sparse.factor_nnz()
                )
            } else {
                "sparse LU (AMD ordering computed once, numeric factorisation per rho)".to_string()
            };
            let choice = match approx {
                None => format!("{why}; {how}"),
                Some(_) => format!("{why}; standard errors and fitted values from the {how}"),
            };
            let path = Path {
                spectrum: None,
                sparse: Some(&sparse),
                exact_score: false,
                choice,
            };
            fit_impl(design, &w, kind, opts, engine, path)
        }
    }
}

/// The valid `lndet` values other than `"auto"`.
const LOGDET_NAMES: [&str; 4] = ["eigen", "sparse", "chebyshev", "monte_carlo"];

/// Fits `kind` with a given log-determinant engine (Chebyshev, Monte Carlo, sparse LU, ...).
/// The eigenvalues of W are still used for the interval and the information-matrix traces.
pub fn fit_spatial_with_engine(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    opts: &SpatialOptions,
    engine: &dyn LogDet,
) -> Result<SpatialFit> {
    let w = w.aligned_to(&design.ids)?;
    let path = Path {
        spectrum: Some(w.spectrum()?),
        sparse: None,
        exact_score: false,
        choice: format!(
            "engine \"{}\" given; eigenvalues for the interval and traces",
            engine.method()
        ),
    };
    fit_impl(design, &w, kind, opts, engine, path)
}

/// The computational path of one fit.
struct Path<'a> {
    /// Eigenvalues (exact path).
    spectrum: Option<Arc<Spectrum>>,
    /// Exact sparse engine (sparse path).
    sparse: Option<&'a SparseLogDet>,
    /// Analytic score from the eigenvalues (only with the eigenvalue engine itself).
    exact_score: bool,
    /// What was chosen and why.
    choice: String,
}

fn fit_impl(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    opts: &SpatialOptions,
    engine: &dyn LogDet,
    path: Path,
) -> Result<SpatialFit> {
    opts.check_interval()?;
    let (n, t) = (design.n, design.t);
    if w.n() != n {
        return Err(Error::data(format!("weights have {} units but the data {n}", w.n())));
    }
    if kind == ModelKind::Ols {
        return Err(Error::invalid(
            "fit_spatial fits sar, sem, sdm, sdem or slx; use ols() for the non-spatial model",
        ));
    }
    if t == 1 && opts.fe != Fe::None {
        return Err(Error::invalid(format!(
            "fe \"{}\" needs a panel (T > 1); a cross-section takes fe: \"none\"",
            opts.fe.name()
        )));
    }
    let (interval, interval_source) = match &path.spectrum {
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
            let r = spectral_bound(w.matrix());
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
    };
    let dims = bias::dims(n, t, opts, w)?;
    let data = Prepared::new(design, w, kind, opts)?;
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
        jac: Jacobian {
            engine,
            exact: if path.exact_score {
                path.spectrum.as_deref()
            } else {
                None
            },
            shift: dims.shift,
        },
        dims,
        opts,
        data: &data,
        interval,
    };
    let est = match kind {
        ModelKind::Sar | ModelKind::Sdm => lag::fit(&ctx)?,
        ModelKind::Sem | ModelKind::Sdem => error::fit(&ctx)?,
        ModelKind::Slx => slx::fit(&ctx)?,
        ModelKind::Ols => unreachable!("refused above"),
    };
    let mut fit = assemble(design, &ctx, kind, est, engine, path.spectrum.clone())?;
    fit.model.info.insert("lndet_choice".into(), path.choice);
    fit.model.info.insert("interval_source".into(), interval_source);
    if path.spectrum.is_none() && matches!(kind, ModelKind::Sar | ModelKind::Sdm) {
        let pt = series_traces(w, &fit, &ctx.trace_opts)?;
        fit.model
            .info
            .insert("effects_traces".into(), describe_power_traces(&pt, &fit));
        fit.power_traces = Some(Arc::new(pt));
    }
    Ok(fit)
}

/// Number of power-series terms for the effects at ρ̂ (see [`SERIES_TOLERANCE`]).
pub fn series_terms(rho: f64, se: f64, radius: f64) -> usize {
    let a = ((rho.abs() + 6.0 * se.max(0.0)) * radius).min(0.999);
    if a.is_nan() || a <= 0.0 {
        return SERIES_TERMS.0;
    }
    let m = ((SERIES_TOLERANCE * (1.0 - a)).ln() / a.ln()).ceil() - 1.0;
    (m.max(0.0) as usize).clamp(SERIES_TERMS.0, SERIES_TERMS.1)
}

/// tr(Wᵏ), k = 1..m, with m from [`series_terms`] (exact when affordable, else stochastic).
fn series_traces(w: &Weights, fit: &SpatialFit, opts: &TraceOptions) -> Result<PowerTraces> {
    let rho = fit.rho().unwrap_or(0.0);
    let se = fit.rho_index.map_or(0.0, |i| fit.cov(i, i).max(0.0).sqrt());
    let m = series_terms(rho, se, spectral_bound(w.matrix()));
    power_traces(w, m, None, opts)
}

fn describe_power_traces(pt: &PowerTraces, fit: &SpatialFit) -> String {
    let rho = fit.rho().unwrap_or(0.0);
    let how = match pt.method {
        TraceMethod::Stochastic => format!(
            "stochastic, {} Rademacher probes (seed {}), largest se of tr(W^k)/N {:.2e} (k = 1, 2 exact)",
            pt.draws,
            pt.seed.unwrap_or_default(),
            pt.max_std_error_per_unit()
        ),
        m => format!("exact ({})", m.name()),
    };
    format!(
        "power series with m = {} terms, tr(W^k) {how}; truncation bound of the averages at rho_hat {:.2e}",
        pt.terms(),
        pt.truncation_bound(rho)
    )
}

fn assemble(
    design: &Design,
    ctx: &Ctx,
    kind: ModelKind,
    est: Estimate,
    engine: &dyn LogDet,
    spectrum: Option<Arc<Spectrum>>,
) -> Result<SpatialFit> {
    let data = ctx.data;
    let k = data.names.len();
    let p = k + usize::from(est.rho.is_some());
    let mut coefficients = Vec::with_capacity(p);
    let se = |i: usize| est.vcov[i * (p + 1) + i].max(0.0).sqrt();
    for (i, name) in data.names.iter().enumerate() {
        coefficients.push(Coef::new(name.clone(), est.beta[i], se(i)));
    }
    let param = match kind {
        ModelKind::Sar | ModelKind::Sdm => "rho",
        _ => "lambda",
    };
    let mut warnings = Vec::new();
    if let Some(rho) = est.rho {
        coefficients.push(Coef::new(param, rho, se(k)));
        let (lo, hi) = ctx.interval;
        if rho - lo < BOUND_WARN || hi - rho < BOUND_WARN {
            warnings.push(format!(
                "{param} = {rho:.8} is on the bound of the search interval ({lo:.6}, {hi:.6}); results should not \
                 be used (check the model, or widen the interval)"
            ));
        }
    }
    let mut vcov = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            vcov[i * p + j] = est.vcov[i * (p + 1) + j];
        }
    }
    let (r2, corr2) = fit_measures(ctx, kind, &est)?;
    let mut extras = BTreeMap::new();
    extras.insert("sigma2_uncorrected".into(), est.sigma2_uncorrected);
    extras.insert("se_sigma2".into(), se(p));
    extras.insert("interval_lo".into(), ctx.interval.0);
    extras.insert("interval_hi".into(), ctx.interval.1);
    extras.insert("evaluations".into(), est.evaluations as f64);
    extras.insert("n_eff".into(), ctx.dims.n_eff as f64);
    extras.insert("t_eff".into(), ctx.dims.t_eff as f64);
    if let Some(l) = est.loglik_elhorst {
        extras.insert("loglik_elhorst".into(), l);
    }
    let mut info = BTreeMap::new();
    info.insert("bias_correction".into(), ctx.opts.bias_correction.name().to_string());
    info.insert("lag_order".into(), ctx.opts.lag_order.name().to_string());
    info.insert("lndet".into(), engine.method().to_string());
    info.insert("information".into(), ctx.opts.information.name().to_string());
    info.insert(
        "interval".into(),
        format!("({:.6}, {:.6})", ctx.interval.0, ctx.interval.1),
    );
    let sig = match (ctx.opts.bias_correction, ctx.opts.fe) {
        (BiasCorrection::Elhorst, Fe::Individual | Fe::TwoWays) => "corrected (Elhorst), T/(T-1) x SSE/NT",
        (BiasCorrection::Elhorst, Fe::Time) => "corrected (Elhorst), N/(N-1) x SSE/NT",
        (BiasCorrection::LeeYu, _) => "SSE/n_eff (Lee-Yu transformation)",
        _ => "SSE/NT (ML)",
    };
    info.insert("sigma2".into(), sig.to_string());
    if let Some(note) = engine.error_note() {
        info.insert("lndet_note".into(), note);
    }
    if let Some(note) = &est.trace_note {
        info.insert("traces".into(), note.clone());
    }
    let model = Model {
        kind,
        fe: ctx.opts.fe,
        depvar: design.depvar.clone(),
        n: design.n,
        t: design.t,
        coefficients,
        vcov,
        sigma2: est.sigma2,
        loglik: est.loglik,
        r2,
        corr2,
        n_params: p + 1,
        extras,
        info,
        warnings,
        provenance: design.provenance(
            data.beta_index.clone(),
            data.theta_index.clone(),
            est.rho.map(|_| k),
            Some(crate::models::WeightsFingerprint::of(ctx.w)),
        ),
    };
    Ok(SpatialFit {
        model,
        kind,
        regressors: data.regressors.clone(),
        beta_index: data.beta_index.clone(),
        theta_index: data.theta_index.clone(),
        rho_index: est.rho.map(|_| k),
        cov_full: est.vcov,
        spectrum,
        power_traces: None,
        n: design.n,
        interval: ctx.interval,
    })
}

/// R² (Elhorst, including the fixed effects) and corr² (METHODS §7.6):
///
/// ```text
/// r = Q(y − ρWy − Zβ)   (SEM, SDEM, SLX: no ρ term),   R² = 1 − r'r / Σ(y − ȳ)²
/// ŷ = (I_T ⊗ (I − ρW)⁻¹) Z̃β  (SEM, SDEM, SLX: Z̃β),   corr² = [(ỹ−m)'(ŷ−m)]² / (‖ỹ−m‖²‖ŷ−m‖²), m = mean ỹ
/// ```
fn fit_measures(ctx: &Ctx, kind: ModelKind, est: &Estimate) -> Result<(f64, f64)> {
    let d = ctx.data;
    let (n, fe) = (ctx.dims.n, ctx.opts.fe);
    let nt = d.y_raw.len();
    let rho_lag = match kind {
        ModelKind::Sar | ModelKind::Sdm => est.rho,
        _ => None,
    };
    let mut r = d.y_raw.clone();
    if let Some(rho) = rho_lag {
        r.iter_mut().zip(&d.wy_raw).for_each(|(a, b)| *a -= rho * b);
    }
    for (c, b) in d.z_raw.iter().zip(&est.beta) {
        r.iter_mut().zip(c).for_each(|(a, x)| *a -= b * x);
    }
    let r = demean(&r, n, fe);
    let ybar = d.y_raw.iter().sum::<f64>() / nt as f64;
    let sst: f64 = d.y_raw.iter().map(|v| (v - ybar).powi(2)).sum();
    let r2 = 1.0 - dot(&r, &r) / sst;
    let mut yhat = vec![0.0; nt];
    for (c, b) in d.z.iter().zip(&est.beta) {
        yhat.iter_mut().zip(c).for_each(|(a, x)| *a += b * x);
    }
    if let Some(rho) = rho_lag {
        yhat = match &est.resolvent {
            Some(g) => g.solve_panel(&yhat)?,
            None => information::Resolvent::at(ctx, rho)?.solve_panel(&yhat)?,
        };
    }
    let m = d.y.iter().sum::<f64>() / nt as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in d.y.iter().zip(&yhat) {
        sxy += (a - m) * (b - m);
        sxx += (a - m) * (a - m);
        syy += (b - m) * (b - m);
    }
    Ok((r2, sxy * sxy / (sxx * syy)))
}
