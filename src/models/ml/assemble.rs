//! Assembly of the fitted model from the optimum: the raw estimates an estimator returns, the
//! result table with its fit measures (docs/methods.md §7.6), and the power traces of the series effects.

use super::{information, BiasCorrection, Ctx, SpatialFit, BOUND_WARN, SERIES_TERMS, SERIES_TOLERANCE};
use crate::error::Result;
use crate::linalg::dot;
use crate::linalg::traces::{exact_power_traces_cost, power_traces, PowerTraces, TraceMethod, TraceOptions};
use crate::linalg::{LogDet, Resolvent};
use crate::models::formula::Design;
use crate::models::panel_r2::{panel_r2, PanelR2};
use crate::models::result::{Coef, Model, ModelKind};
use crate::models::within::{demean, Fe};
use crate::weights::{Spectrum, Weights};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    pub resolvent: Option<Resolvent<'a>>,
    /// How the information-matrix traces were obtained (sparse path).
    pub trace_note: Option<String>,
}

/// The covariance at one parameter value, with the factorisation and trace note behind it.
pub(crate) struct Vcov<'a> {
    /// Covariance of [β, ρ, σ²], row-major.
    pub v: Vec<f64>,
    /// The factorisation of I − ρW used (SAR/SDM).
    pub resolvent: Option<Resolvent<'a>>,
    /// How the traces were obtained (sparse path).
    pub note: Option<String>,
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

/// tr(Wᵏ), k = 1..m, with m from [`series_terms`] (exact when affordable, else stochastic),
/// kept with W ([`crate::linalg::cache::power_traces`]): a later fit on the same W takes them
/// (or the first m of a longer series) from there.
pub(super) fn series_traces(w: &Weights, fit: &SpatialFit, opts: &TraceOptions) -> Result<PowerTraces> {
    let rho = fit.rho().unwrap_or(0.0);
    let se = fit.rho_index.map_or(0.0, |i| fit.cov(i, i).max(0.0).sqrt());
    let m = series_terms(rho, se, crate::linalg::cache::spectral_bound(w));
    let affordable = exact_power_traces_cost(w, m) <= opts.exact_flop_budget;
    crate::linalg::cache::power_traces(w, m, opts, affordable, |m| power_traces(w, m, None, opts))
}

pub(super) fn describe_power_traces(pt: &PowerTraces, fit: &SpatialFit) -> String {
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

pub(super) fn assemble(
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
        ModelKind::Sar | ModelKind::Sdm | ModelKind::Sac => "rho",
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
    let (r2, corr2, panel) = fit_measures(ctx, kind, &est)?;
    let mut extras = BTreeMap::new();
    panel.record(&mut extras);
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
        vcov_conditional: None,
        timings: Default::default(),
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
        dynamic: None,
    })
}

/// R² (Elhorst, including the fixed effects), corr² and the within/between/overall R²
/// (docs/methods.md §7.6):
///
/// ```text
/// r = Q(y − ρWy − Zβ)   (SEM, SDEM, SLX: no ρ term),   R² = 1 − r'r / Σ(y − ȳ)²
/// ŷ = (I_T ⊗ (I − ρW)⁻¹) Z̃β  (SEM, SDEM, SLX: Z̃β),   corr² = [(ỹ−m)'(ŷ−m)]² / (‖ỹ−m‖²‖ŷ−m‖²), m = mean ỹ
/// within/between/overall: models::panel_r2 of y and (I_T ⊗ (I − ρW)⁻¹) Zβ (raw Z; SEM, SDEM, SLX: Zβ)
/// ```
fn fit_measures(ctx: &Ctx, kind: ModelKind, est: &Estimate) -> Result<(f64, f64, PanelR2)> {
    let d = ctx.data;
    let (n, fe) = (ctx.dims.n, ctx.opts.fe);
    let nt = d.y_raw.len();
    let rho_lag = match kind {
        ModelKind::Sar | ModelKind::Sdm | ModelKind::Sac => est.rho,
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
    let times_beta = |cols: &[Vec<f64>]| {
        let mut out = vec![0.0; nt];
        for (c, b) in cols.iter().zip(&est.beta) {
            out.iter_mut().zip(c).for_each(|(a, x)| *a += b * x);
        }
        out
    };
    let mut yhat = times_beta(&d.z);
    let mut predictor = times_beta(&d.z_raw);
    if let Some(rho) = rho_lag {
        let own;
        let g = match &est.resolvent {
            Some(g) => g,
            None => {
                own = information::resolvent_at(ctx, rho)?;
                &own
            }
        };
        yhat = g.solve_panel(&yhat)?;
        predictor = g.solve_panel(&predictor)?;
    }
    let panel = panel_r2(&d.y_raw, &predictor, n);
    let m = d.y.iter().sum::<f64>() / nt as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in d.y.iter().zip(&yhat) {
        sxy += (a - m) * (b - m);
        sxx += (a - m) * (a - m);
        syy += (b - m) * (b - m);
    }
    Ok((r2, sxy * sxy / (sxx * syy), panel))
}
