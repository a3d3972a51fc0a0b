//! Dynamic spatial panels with fixed effects by QML (docs/methods.md §14):
//!
//! ```text
//! y_t = τ y_{t−1} + ρ W y_t + η W y_{t−1} + X_t β + W X_t θ + μ + α_t ι_N + ε_t,   t = 2..T_d
//! ```
//!
//! The first observed period is the initial condition: the estimation sample is t = 2..T_d
//! (T = T_d − 1 periods) and Z_t = [y_{t−1}, W y_{t−1}, X_t, W X_t]. With the lags as extra
//! columns of Z the likelihood is the static concentrated likelihood of §7.2 (`super::lag`),
//! so the fit builds the lagged design and runs the same estimator, Jacobian and information
//! matrix; this module adds the sample, the fixed-effects transformation of each correction,
//! the bias corrections (`super::dynamic_bias`), the kurtosis term of the covariance, the
//! stability report and the unit-root Wald test.
//!
//! Both computational paths of the `lndet` option serve it: the eigenvalues of W, or the sparse
//! path with no eigenvalues (bias traces, kurtosis term and spectral radius from sparse
//! factorisations and a Krylov iteration, `super::dynamic_sparse`; docs/methods.md §14.7).
//!
//! Transformations (the likelihood's effective N·T is n_eff·t_eff):
//!
//! * individual effects: within transformation over t = 2..T_d (n_eff = N, t_eff = T);
//! * time effects: period demeaning (no published correction; `"none"`);
//! * two-way, `"lee_yu_transform"` (Lee & Yu 2010): F_N' removes the time effects, then the
//!   within transformation; since F_N F_N' = I − J̄_N the quadratic forms equal those of the
//!   two-way demeaned data with n_eff = N − 1, and the Jacobian is T[ln|I − ρW| − ln(1 − ρ)]
//!   (W row-standardised);
//! * two-way, `"lee_yu_direct"` and `"none"`: two-way demeaning with n_eff = N; the default
//!   `lag_order: "lag_first"` is the likelihood with unit and period effects, `"demean_first"`
//!   SDPDmod's W·(Qy) (docs/methods.md §14.3).
//!
//! The periods must be consecutive (a gap would pair y_t with an earlier period than t − 1).

use super::assemble::{assemble, Estimate};
use super::dynamic_bias::BiasTerms;
use super::dynamic_sparse::{correction_std_errors, kurtosis_traces, Spectral};
use super::information::resolvent_at;
use super::{
    lag, Clock, Ctx, Dims, DynamicCorrection, DynamicCovariance, DynamicOptions, Jacobian, Prepared, SpatialFit,
};
use crate::error::{Error, Result};
use crate::linalg::logdet::SparseLogDet;
use crate::linalg::LogDet;
use crate::models::dense::dot;
use crate::models::fe_tests::SpecTest;
use crate::models::formula::Design;
use crate::models::result::ModelKind;
use crate::models::within::Fe;
use crate::weights::{Spectrum, Weights, FACT_TOL};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Term name of τ, the coefficient of y_{t−1}.
pub const TAU_TERM: &str = "y(t-1)";
/// Term name of η, the coefficient of W y_{t−1}.
pub const ETA_TERM: &str = "W*y(t-1)";

/// What a dynamic fit adds to [`SpatialFit`].
#[derive(Debug, Clone)]
pub struct DynamicInfo {
    /// The correction applied.
    pub correction: DynamicCorrection,
    /// The covariance used.
    pub covariance: DynamicCovariance,
    /// The uncorrected QML fit (on the same transformed data); `None` when no correction was
    /// applied (the fit itself is then uncorrected).
    pub uncorrected: Option<Box<SpatialFit>>,
    /// Index of τ in the coefficients, when estimated.
    pub tau_index: Option<usize>,
    /// Index of η in the coefficients, when estimated.
    pub eta_index: Option<usize>,
    /// Spectral radius of A = S⁻¹(τI + ηW) at the reported estimates.
    pub spectral_radius: f64,
    /// Number of eigenvalues of A above 1 − 1/n removed in the unit-root adjustment of the
    /// correction (docs/methods.md §14.3).
    pub unit_roots: usize,
    /// Wald test of τ + ρ + η = 1 (the terms the model has).
    pub wald_unit: SpecTest,
    /// Observed periods T_d (the estimation sample has T_d − 1).
    pub periods_observed: usize,
    /// Extreme eigenvalues (ω_min, ω_max) of W from the Lanczos iteration of the sparse path
    /// when W is similar to a symmetric matrix (docs/methods.md §14.7); the stability checks of
    /// the effects use them. `None` on the exact path (the eigenvalues are in the fit).
    pub w_range: Option<(f64, f64)>,
}

impl DynamicInfo {
    /// True when the spectral radius is below 1 − 1e−8 (docs/methods.md §14.1).
    pub fn stable(&self) -> bool {
        self.spectral_radius < 1.0 - 1e-8
    }
}

/// The lagged design of the estimation sample t = 2..T_d: y(t−1) and W·y(t−1) (when asked)
/// first, then the regressors of `design`.
fn lagged_design(design: &Design, w: &Weights, o: &DynamicOptions) -> Result<Design> {
    let (n, td) = (design.n, design.t);
    if td < 3 {
        return Err(Error::invalid(format!(
            "dynamic: the first period is the initial condition, so the model needs T ≥ 3 observed periods \
             (2 for estimation), but the data have T = {td}"
        )));
    }
    consecutive_periods(&design.times)?;
    let ylag = &design.y[..(td - 1) * n];
    let mut names = Vec::new();
    let mut x = Vec::new();
    if o.time_lag {
        names.push(TAU_TERM.to_string());
        x.push(ylag.to_vec());
    }
    if o.space_time_lag {
        names.push(ETA_TERM.to_string());
        x.push(w.lag_panel(ylag));
    }
    let m = names.len();
    for (name, col) in design.names.iter().zip(&design.x) {
        if name == TAU_TERM || name == ETA_TERM {
            return Err(Error::invalid(format!(
                "dynamic: the regressor '{name}' has the name of a dynamic term; rename it"
            )));
        }
        names.push(name.clone());
        x.push(col[n..].to_vec());
    }
    let mut factor_of = vec![None; m];
    factor_of.extend(design.factor_of.iter().cloned());
    Ok(Design {
        depvar: design.depvar.clone(),
        names,
        y: design.y[n..].to_vec(),
        x,
        n,
        t: td - 1,
        ids: design.ids.clone(),
        times: design.times[1..].to_vec(),
        intercept: design.intercept,
        factor_of,
    })
}

/// Refuses a gap in time: y(t−1) is the previous row block, so every period must follow the one
/// before it. On a calendar (years, quarters, months: [`crate::data::calendar_periods`]) a
/// missing period (e.g. 1973 absent between 1972 and 1974, or removed by `balance(...,
/// "drop_periods")`) would pair y_1974 with y_1972; other labels follow each other by position.
/// (An unbalanced panel is refused when the panel is built, docs/methods.md §17.)
fn consecutive_periods(times: &[String]) -> Result<()> {
    let prev = crate::data::shifted_periods(times, 1);
    match (1..times.len()).find(|&s| prev[s] != Some(s - 1)) {
        None => Ok(()),
        Some(s) => Err(Error::data(format!(
            "dynamic: period '{}' does not follow '{}' (the periods between them are missing), so y(t-1) of '{}' \
             would be the value of '{}'; a dynamic model needs consecutive periods: fill in the missing periods, or \
             fit the run of consecutive periods only (e.g. filter the panel)",
            times[s],
            times[s - 1],
            times[s],
            times[s - 1]
        ))),
    }
}

/// The correction, checked against the fixed effects and W.
fn correction(fe: Fe, o: &DynamicOptions, w: &Weights) -> Result<DynamicCorrection> {
    let c = o.bias_correction.unwrap_or(DynamicCorrection::default_for(fe));
    let ok = match c {
        DynamicCorrection::None => true,
        DynamicCorrection::Ydl => fe == Fe::Individual,
        DynamicCorrection::LeeYuTransform | DynamicCorrection::LeeYuDirect => fe == Fe::TwoWays,
    };
    if !ok {
        return Err(Error::invalid(format!(
            "dynamic: bias_correction \"{}\" does not apply to fe \"{}\"; use \"ydl\" with fe \"individual\", \
             \"lee_yu_transform\" or \"lee_yu_direct\" with fe \"twoways\", or \"none\"",
            c.name(),
            fe.name()
        )));
    }
    if matches!(c, DynamicCorrection::LeeYuTransform | DynamicCorrection::LeeYuDirect) {
        let facts = w.facts();
        if let Some(i) = facts.row_sums.iter().position(|s| (s - 1.0).abs() > FACT_TOL) {
            return Err(Error::invalid(format!(
                "dynamic: bias_correction \"{}\" needs row-standardised weights, but row {} ('{}') sums to {}; \
                 standardize the weights (standardize: \"row\") or use bias_correction \"none\"",
                c.name(),
                i + 1,
                w.ids()[i],
                facts.row_sums[i]
            )));
        }
    }
    Ok(c)
}

/// Fits the dynamic SAR/SDM (module doc). `opts.dynamic` is set; `spectrum` are the eigenvalues
/// of W (exact path) and `sparse` the exact sparse engine (sparse path): the corrections, the
/// kurtosis term and the stability report use one or the other (`super::dynamic_sparse`).
#[allow(clippy::too_many_arguments)]
pub(super) fn fit(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    opts: &super::CheckedOptions,
    engine: &dyn LogDet,
    spectrum: Option<Arc<Spectrum>>,
    sparse: Option<&SparseLogDet>,
    exact_score: bool,
    interval: (f64, f64),
) -> Result<SpatialFit> {
    let dy = opts.dynamic.expect("dynamic options");
    let spectral = Spectral::new(w, spectrum, sparse, opts.traces)?;
    let fe = opts.fe;
    if !matches!(fe, Fe::Individual | Fe::Time | Fe::TwoWays) {
        return Err(Error::invalid(format!(
            "dynamic: fe \"{}\" is not available; dynamic models take fe \"individual\", \"time\" or \"twoways\"",
            fe.name()
        )));
    }
    if !matches!(kind, ModelKind::Sar | ModelKind::Sdm) {
        return Err(Error::invalid(format!(
            "dynamic: available for sar and sdm, not {}",
            kind.name()
        )));
    }
    let corr = correction(fe, &dy, w)?;
    let aug = lagged_design(design, w, &dy)?;
    let m = usize::from(dy.time_lag) + usize::from(dy.space_time_lag);
    let mut o2 = opts.clone();
    o2.lagged = opts.lagged.iter().map(|i| i + m).collect();
    let transform = corr == DynamicCorrection::LeeYuTransform;
    if transform {
        // F_N'(W y) = W*(F_N' y) for row-standardised W: under the transformation both lag orders
        // are one likelihood, computed here from Q(W y) (docs/methods.md §14.3).
        o2.lag_order = super::LagOrder::LagFirst;
    }
    let dims = Dims {
        n: aug.n,
        t: aug.t,
        n_eff: if transform { aug.n - 1 } else { aug.n },
        t_eff: aug.t,
        shift: transform,
    };
    let data = Prepared::new(&aug, w, kind, &o2)?;
    if dims.n_eff * dims.t_eff <= data.names.len() + 1 {
        return Err(Error::data(format!(
            "dynamic: {} effective observations for {} coefficients; the model needs more observations",
            dims.n_eff * dims.t_eff,
            data.names.len() + 1
        )));
    }
    let spec = spectral.spectrum().map(|s| &**s);
    let ctx = Ctx {
        w,
        spectrum: spec,
        sparse: spectral.sparse(),
        trace_opts: opts.traces,
        jac: Jacobian::new(
            engine,
            if exact_score { spec } else { None },
            transform,
            spectral.sparse(),
        ),
        clock: Clock::default(),
        dims,
        opts: &o2,
        data: &data,
        interval,
    };
    let idx = Indices {
        tau: dy.time_lag.then_some(0),
        eta: dy.space_time_lag.then_some(usize::from(dy.time_lag)),
        k: data.names.len(),
    };
    // Uncorrected QML.
    let mut est = lag::fit(&ctx)?;
    let rho0 = est.rho.expect("lag model");
    let mut notes = BTreeMap::new();
    let (v0, kurt0) = covariance(&ctx, dy.covariance, rho0, &est.beta, est.sigma2, est.vcov)?;
    est.vcov = v0;
    notes.extend(kurt0.map(|k| ("kurtosis_traces".to_string(), k)));
    let theta0: Vec<f64> = est.beta.iter().copied().chain([rho0, est.sigma2]).collect();
    // Gaussian I⁻¹ at the uncorrected point (for the correction).
    let gaussian0 = lag::vcov_at(&ctx, rho0, &est.beta, est.sigma2)?.v;
    let uncorrected = finish(
        &aug,
        &ctx,
        kind,
        est,
        engine,
        &spectral,
        &idx,
        &dy,
        corr,
        0,
        None,
        notes.clone(),
    )?;
    if corr == DynamicCorrection::None {
        return Ok(uncorrected);
    }
    // Bias correction (docs/methods.md §14.2–14.3): ϑ̂¹ = ϑ̂ + Σ̂⁻¹â/T (+ Σ̂⁻¹â₂/N, direct),
    // with Σ̂⁻¹ = n_eff·t_eff·I(ϑ̂)⁻¹.
    let p = theta0.len();
    let (tau, eta) = (idx.tau.map_or(0.0, |i| theta0[i]), idx.eta.map_or(0.0, |i| theta0[i]));
    let terms = BiasTerms {
        tau,
        eta,
        rho: rho0,
        sigma2: theta0[p - 1],
        time_lag: dy.time_lag,
        space_time_lag: dy.space_time_lag,
        drop_unit: transform,
        unit_root: corr != DynamicCorrection::LeeYuDirect,
        t: dims.t_eff as f64,
    };
    let bias = spectral.bias(&terms, idx.k)?;
    let (a, mm) = (bias.a, bias.mm);
    let (n_eff, t_eff) = (dims.n_eff as f64, dims.t_eff as f64);
    if let Some(note) = bias.note {
        let se = bias.cov_a.map(|c| correction_std_errors(&gaussian0, &c, n_eff));
        let se = se.map_or(String::new(), |se| {
            let names: Vec<String> = ctx
                .data
                .names
                .iter()
                .cloned()
                .chain(["rho".into(), "sigma2".into()])
                .collect();
            let list: Vec<String> = names.iter().zip(&se).map(|(n, s)| format!("{n} {s:.2e}")).collect();
            format!(
                "; standard errors of the corrections from the trace estimates: {}",
                list.join(", ")
            )
        });
        notes.insert("bias_traces".to_string(), format!("{note}{se}"));
    }
    let mut shift = vec![0.0; p];
    for (i, s) in shift.iter_mut().enumerate() {
        *s = n_eff * (0..p).map(|j| gaussian0[i * p + j] * a[j]).sum::<f64>();
    }
    if corr == DynamicCorrection::LeeYuDirect {
        let mut a2 = vec![0.0; p];
        a2[p - 2] = 1.0 / (1.0 - rho0);
        a2[p - 1] = 1.0 / (2.0 * theta0[p - 1]);
        for (i, s) in shift.iter_mut().enumerate() {
            *s += t_eff * (0..p).map(|j| gaussian0[i * p + j] * a2[j]).sum::<f64>();
        }
    }
    let theta1: Vec<f64> = theta0.iter().zip(&shift).map(|(a, b)| a + b).collect();
    let (rho1, s21) = (theta1[p - 2], theta1[p - 1]);
    if !(rho1 > interval.0 && rho1 < interval.1 && s21 > 0.0 && s21.is_finite()) {
        return Err(Error::numeric(format!(
            "dynamic: the {} bias correction moves rho from {rho0:.6} to {rho1:.6} (sigma2 {s21:.6e}), outside the \
             feasible interval ({:.6}, {:.6}); use bias_correction: \"none\"",
            corr.name(),
            interval.0,
            interval.1
        )));
    }
    let beta1 = theta1[..p - 2].to_vec();
    let sse1 = sse_at(&ctx, rho1, &beta1);
    let nt = dims.nt_eff();
    let loglik = -0.5 * nt * (2.0 * std::f64::consts::PI * s21).ln() + t_eff * ctx.jac.value(rho1) - sse1 / (2.0 * s21);
    let g1 = lag::vcov_at(&ctx, rho1, &beta1, s21)?;
    let (vcov, kurt1) = covariance(&ctx, dy.covariance, rho1, &beta1, s21, g1.v)?;
    notes.extend(kurt1.map(|k| ("kurtosis_traces".to_string(), k)));
    let est1 = Estimate {
        beta: beta1,
        rho: Some(rho1),
        sigma2: s21,
        sigma2_uncorrected: theta0[p - 1],
        loglik,
        loglik_elhorst: None,
        vcov,
        evaluations: 0,
        resolvent: g1.resolvent,
        trace_note: g1.note,
    };
    finish(
        &aug,
        &ctx,
        kind,
        est1,
        engine,
        &spectral,
        &idx,
        &dy,
        corr,
        mm,
        Some(uncorrected),
        notes,
    )
}

/// Positions of τ, η in Z and the number of Z columns.
struct Indices {
    tau: Option<usize>,
    eta: Option<usize>,
    k: usize,
}

/// SSE(ρ, δ) = ‖ỹ − ρ(Wy)~ − Z̃δ‖² on the transformed data.
fn sse_at(ctx: &Ctx, rho: f64, beta: &[f64]) -> f64 {
    let e = structural_residuals(ctx, rho, beta);
    dot(&e, &e)
}

/// ε̂ = ỹ − ρ(Wy)~ − Z̃δ.
fn structural_residuals(ctx: &Ctx, rho: f64, beta: &[f64]) -> Vec<f64> {
    let d = ctx.data;
    let mut e: Vec<f64> = d.y.iter().zip(&d.wy).map(|(a, b)| a - rho * b).collect();
    for (c, b) in d.z.iter().zip(beta) {
        e.iter_mut().zip(c).for_each(|(a, x)| *a -= b * x);
    }
    e
}

/// (Σ⁻¹ + Σ⁻¹ΩΣ⁻¹)/(NT) = I⁻¹ + NT·I⁻¹ΩI⁻¹ given the Gaussian I⁻¹ `v` (row-major, σ² last)
/// at (ρ, δ, σ²) (docs/methods.md §14.2). Ω is zero except its (ρ, σ²) block:
///
/// ```text
/// κ = (μ4 − 3σ⁴)/σ⁴,  Ω_ρρ = κ Σ_i G_ii²/n,  Ω_ρσ² = κ tr(G)/(2σ²n),  Ω_σ²σ² = κ/(4σ⁴)
/// ```
///
/// with n = n_eff, and under the Lee–Yu transformation G replaced by P G P, P = I − J̄_N (the
/// transformation's projector; its trace is tr G − 1/(1 − ρ)). μ4 is the mean fourth power of
/// the structural residuals (default) or of the reduced-form residuals ỹ − S⁻¹Z̃δ (SDPDmod).
///
/// On the sparse path Σ G_ii² and tr G come from sparse solves ([`kurtosis_traces`]), with a
/// note on how (returned second).
fn covariance(
    ctx: &Ctx,
    how: DynamicCovariance,
    rho: f64,
    beta: &[f64],
    sigma2: f64,
    v: Vec<f64>,
) -> Result<(Vec<f64>, Option<String>)> {
    if how == DynamicCovariance::Gaussian {
        return Ok((v, None));
    }
    let d = ctx.data;
    let res = resolvent_at(ctx, rho)?;
    let e = match how {
        DynamicCovariance::Sdpdmod => {
            let mut zb = vec![0.0; d.y.len()];
            for (c, b) in d.z.iter().zip(beta) {
                zb.iter_mut().zip(c).for_each(|(a, x)| *a += b * x);
            }
            let fitted = res.solve_panel(&zb)?;
            d.y.iter().zip(&fitted).map(|(a, b)| a - b).collect()
        }
        _ => structural_residuals(ctx, rho, beta),
    };
    let mu4 = e.iter().map(|v| v.powi(4)).sum::<f64>() / e.len() as f64;
    let kappa = (mu4 - 3.0 * sigma2 * sigma2) / (sigma2 * sigma2);
    let (diag2, trg, note) = kurtosis_traces(ctx, &res)?;
    let ne = ctx.dims.n_eff as f64;
    let p = (v.len() as f64).sqrt().round() as usize;
    let (r, s) = (p - 2, p - 1);
    let mut om = vec![0.0; p * p];
    om[r * p + r] = kappa * diag2 / ne;
    om[r * p + s] = kappa * trg / (2.0 * sigma2 * ne);
    om[s * p + r] = om[r * p + s];
    om[s * p + s] = kappa / (4.0 * sigma2 * sigma2);
    // V + NT·V Ω V.
    let nt = ctx.dims.nt_eff();
    let mut vo = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            vo[i * p + j] = (0..p).map(|l| v[i * p + l] * om[l * p + j]).sum();
        }
    }
    let mut out = v.clone();
    for i in 0..p {
        for j in 0..p {
            out[i * p + j] += nt * (0..p).map(|l| vo[i * p + l] * v[l * p + j]).sum::<f64>();
        }
    }
    Ok((out, note))
}

/// Assembles the fit and attaches the dynamic report.
#[allow(clippy::too_many_arguments)]
fn finish(
    aug: &Design,
    ctx: &Ctx,
    kind: ModelKind,
    est: Estimate,
    engine: &dyn LogDet,
    spectral: &Spectral,
    idx: &Indices,
    dy: &DynamicOptions,
    corr: DynamicCorrection,
    unit_roots: usize,
    uncorrected: Option<SpatialFit>,
    notes: BTreeMap<String, String>,
) -> Result<SpatialFit> {
    let mut fit = assemble(aug, ctx, kind, est, engine, spectral.spectrum().cloned())?;
    // The effects concern the regressors of the formula: τ and η are not regressors (their
    // coefficients stay in the table and the covariance at `tau_index`, `eta_index`), so the
    // static effects of the fit are the impact (short-run) effects S⁻¹(β_k I + θ_k W).
    let m = usize::from(idx.tau.is_some()) + usize::from(idx.eta.is_some());
    fit.regressors.drain(..m);
    fit.beta_index.drain(..m);
    fit.theta_index.drain(..m);
    let roles = &mut fit.model.provenance;
    roles.regressors.drain(..m.min(roles.regressors.len()));
    roles.beta_index.drain(..m.min(roles.beta_index.len()));
    roles.theta_index.drain(..m.min(roles.theta_index.len()));
    let coef = |i: Option<usize>| i.map_or(0.0, |i| fit.model.coefficients[i].estimate);
    let (tau, eta, rho) = (coef(idx.tau), coef(idx.eta), fit.rho().unwrap_or(0.0));
    let (radius, radius_note) = spectral.radius(tau, eta, rho)?;
    // Wald test of τ + ρ + η = 1 with the reported covariance.
    let sel: Vec<usize> = [idx.tau, idx.eta, fit.rho_index].into_iter().flatten().collect();
    let sum: f64 = sel.iter().map(|&i| fit.model.coefficients[i].estimate).sum();
    let var: f64 = sel
        .iter()
        .flat_map(|&i| sel.iter().map(move |&j| (i, j)))
        .map(|(i, j)| fit.cov(i, j))
        .sum();
    let what = match (idx.tau.is_some(), idx.eta.is_some()) {
        (true, true) => "tau + rho + eta = 1",
        (true, false) => "tau + rho = 1",
        (false, true) => "rho + eta = 1",
        (false, false) => "rho = 1",
    };
    let wald = SpecTest::chi2(format!("Wald test of {what}"), (sum - 1.0).powi(2) / var, 1.0);
    let info = &mut fit.model.info;
    info.extend(notes);
    info.extend(radius_note.map(|n| ("stability_method".to_string(), n)));
    info.insert(
        "dynamic".into(),
        format!(
            "sample t = 2..T_d: N = {}, T = {} of {} observed periods (the first is the initial condition)",
            aug.n,
            aug.t,
            aug.t + 1
        ),
    );
    info.insert("bias_correction".into(), corr.name().to_string());
    info.insert("covariance".into(), dy.covariance.name().to_string());
    let sig = if ctx.dims.shift {
        "SSE/((N-1)T) (Lee-Yu transformation)"
    } else {
        "SSE/NT (QML)"
    };
    info.insert("sigma2".into(), sig.to_string());
    let stable = radius < 1.0 - 1e-8;
    info.insert(
        "stability".into(),
        format!(
            "spectral radius of S^-1(tau I + eta W) = {radius:.8}: {}",
            if stable {
                "stable"
            } else {
                "NOT stable (long-run effects do not exist)"
            }
        ),
    );
    let ex = &mut fit.model.extras;
    if idx.tau.is_some() {
        ex.insert("tau".into(), tau);
    }
    if idx.eta.is_some() {
        ex.insert("eta".into(), eta);
    }
    ex.insert("spectral_radius".into(), radius);
    ex.insert("periods_observed".into(), (aug.t + 1) as f64);
    ex.insert("unit_roots".into(), unit_roots as f64);
    ex.insert("wald_unit".into(), wald.statistic);
    ex.insert("wald_unit_p".into(), wald.p);
    if !stable {
        fit.model.warnings.push(format!(
            "the spectral radius of S^-1(tau I + eta W) is {radius:.6} >= 1: the estimated process is not stable"
        ));
    }
    let w_range = spectral.w_range()?;
    if spectral.sparse().is_some() {
        super::dynamic_sparse::attach_power_traces(ctx.w, &mut fit, tau, eta, &ctx.trace_opts)?;
    }
    fit.dynamic = Some(Arc::new(DynamicInfo {
        correction: corr,
        covariance: dy.covariance,
        uncorrected: uncorrected.map(Box::new),
        tau_index: idx.tau,
        eta_index: idx.eta,
        spectral_radius: radius,
        unit_roots,
        wald_unit: wald,
        periods_observed: aug.t + 1,
        w_range,
    }));
    Ok(fit)
}
