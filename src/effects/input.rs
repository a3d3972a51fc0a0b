//! What the effects take from a fitted model: coefficients, covariance, ρ interval and the
//! traces of W.

use crate::error::{Error, Result};
use crate::models::{Model, ModelKind};
use crate::weights::{Spectrum, Weights};
use std::sync::Arc;

/// True for the models with a spatial lag ρ of y (SAR, SDM, SAC).
pub(super) fn has_rho(kind: ModelKind) -> bool {
    matches!(kind, ModelKind::Sar | ModelKind::Sdm | ModelKind::Sac)
}

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

/// The effects input of a fitted spatial model: its (bias-corrected, when asked) estimates
/// and covariance, and the feasible interval; the eigenvalues of W when the fit used them
/// (exact path), otherwise the power traces tr(Wᵠ) of the fit's sparse path (series engine,
/// LeSage–Pace; computed here with [`crate::linalg::traces::power_traces`] if the fit has none).
/// Totals use (β + θ)/(1 − ρ) when W is row-stochastic, the row-sum moments ι'W^qι/N otherwise.
pub fn input_from_fit(fit: &crate::models::ml::SpatialFit, w: &Weights) -> Result<EffectsInput> {
    let row_stochastic = w.facts().row_stochastic;
    let traces = match (&fit.spectrum, &fit.power_traces) {
        (Some(_), _) => None,
        (None, Some(pt)) => Some(series_input(pt)),
        (None, None) => {
            let rho = fit.rho().unwrap_or(0.0);
            let se = fit.rho_index.map_or(0.0, |i| fit.cov(i, i).max(0.0).sqrt());
            let radius = crate::linalg::cache::spectral_bound(w);
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

/// [N, tr(W), ..., tr(Wᵐ)] as the series kernel takes them.
fn series_input(pt: &crate::linalg::traces::PowerTraces) -> Vec<f64> {
    std::iter::once(pt.n as f64).chain(pt.traces.iter().copied()).collect()
}
