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

pub mod bias;
pub mod error;
pub mod information;
pub mod lag;
pub mod optimize;
pub mod options;
pub mod slx;

pub use options::{BiasCorrection, Information, LagOrder, SpatialOptions};

use crate::error::{list_some, Error, Result};
use crate::linalg::logdet::{choose_logdet, AUTO_EIGEN_LIMIT};
use crate::linalg::LogDet;
use crate::models::dense::dot;
use crate::models::formula::Design;
use crate::models::result::{Coef, Model, ModelKind};
use crate::models::within::{demean, Fe};
use crate::weights::{Spectrum, Weights};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    /// Eigenvalues of W (for effects and traces).
    pub spectrum: Arc<Spectrum>,
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
        let z: Vec<Vec<f64>> = z_raw.iter().map(|c| demean(c, n, fe)).collect();
        for (j, (c, r)) in z.iter().zip(&z_raw).enumerate() {
            if dot(c, c) <= 1e-20 * dot(r, r).max(f64::MIN_POSITIVE) && names[j] != "(intercept)" {
                return Err(Error::data(format!(
                    "regressor '{}' does not vary once the {} fixed effects are removed (it is constant within \
                     {}); drop it or use other fixed effects",
                    names[j],
                    fe.name(),
                    if fe == Fe::Individual { "units" } else { "the sample" }
                )));
            }
        }
        let y_raw = design.y.clone();
        let y = demean(&y_raw, n, fe);
        let wy_raw = w.lag_panel(&y_raw);
        let wy = match opts.lag_order {
            LagOrder::LagFirst => demean(&wy_raw, n, fe),
            LagOrder::DemeanFirst => w.lag_panel(&y),
        };
        Ok(Prepared {
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
    pub spectrum: &'a Spectrum,
    pub jac: Jacobian<'a>,
    pub dims: Dims,
    pub opts: &'a SpatialOptions,
    pub data: &'a Prepared,
    pub interval: (f64, f64),
}

/// Raw estimates of one model, before assembly into a [`Model`].
pub(crate) struct Estimate {
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
    /// The dense factorisation at the final ρ (reused for corr²), when one was computed.
    pub dense: Option<information::DenseG>,
}

/// Fits `kind` (SAR, SDM, SEM, SDEM or SLX) by ML. The log-determinant engine follows
/// `opts.lndet`: `"eigen"` (and `"auto"` for N ≤ [`AUTO_EIGEN_LIMIT`]) uses the cached
/// eigenvalues with the analytic score; other engines come from
/// [`crate::linalg::logdet::choose_logdet`].
pub fn fit_spatial(design: &Design, w: &Weights, kind: ModelKind, opts: &SpatialOptions) -> Result<SpatialFit> {
    let w = w.aligned_to(&design.ids)?;
    match opts.lndet.as_str() {
        "eigen" => {
            let spec = w.spectrum()?;
            fit_impl(design, &w, kind, opts, &*spec, true)
        }
        "auto" if w.n() <= AUTO_EIGEN_LIMIT => {
            let spec = w.spectrum()?;
            fit_impl(design, &w, kind, opts, &*spec, true)
        }
        other => {
            let engine = choose_logdet(&w, other)?;
            fit_impl(design, &w, kind, opts, &*engine, false)
        }
    }
}

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
    fit_impl(design, &w, kind, opts, engine, false)
}

fn fit_impl(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    opts: &SpatialOptions,
    engine: &dyn LogDet,
    exact: bool,
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
    let spectrum = w.spectrum()?;
    let feasible = spectrum.interval();
    let interval = match opts.interval {
        None => feasible,
        Some((lo, hi)) => {
            if lo < feasible.0 - 1e-12 || hi > feasible.1 + 1e-12 {
                return Err(Error::invalid(format!(
                    "interval [{lo}, {hi}] leaves the feasible interval ({:.6}, {:.6}) = (1/ω_min, 1/ω_max) where \
                     I − ρW is invertible; narrow it",
                    feasible.0, feasible.1
                )));
            }
            (lo, hi)
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
        spectrum: &spectrum,
        jac: Jacobian {
            engine,
            exact: exact.then_some(&*spectrum),
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
    assemble(design, &ctx, kind, est, engine, spectrum.clone())
}

fn assemble(
    design: &Design,
    ctx: &Ctx,
    kind: ModelKind,
    est: Estimate,
    engine: &dyn LogDet,
    spectrum: Arc<Spectrum>,
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
        yhat = match &est.dense {
            Some(g) => g.solve_panel(&yhat),
            None => information::DenseG::new(ctx.w, rho)?.solve_panel(&yhat),
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
