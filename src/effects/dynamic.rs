//! Short-run and long-run effects of the dynamic spatial panel models (docs/methods.md §14.5;
//! Elhorst 2012, *J. Geogr. Syst.* 14:5–28; Debarsy, Ertur & LeSage 2012).
//!
//! For y_t = τy_{t−1} + ρWy_t + ηWy_{t−1} + X_tβ + WX_tθ + …, regressor k:
//!
//! ```text
//! short run:  M_SR,k = (I − ρW)⁻¹(β_k I + θ_k W)                       (the static effects)
//! long run:   M_LR,k = ((1 − τ)I − (ρ + η)W)⁻¹(β_k I + θ_k W)
//!                    = (I − ρ*W)⁻¹(β*_k I + θ*_k W),  ρ* = (ρ + η)/(1 − τ),
//!                                                     β*_k = β_k/(1 − τ), θ*_k = θ_k/(1 − τ)
//! ADE = tr(M)/N,  ATE = ι'Mι/N,  AIE = ATE − ADE
//! ```
//!
//! The second form lets the long run reuse the static kernel (eigenvalues or power traces) at
//! ρ*, and its delta-method gradients follow from the static ones by the chain rule. The long
//! run exists only when the process is stable: the spectral radius of A = S⁻¹(τI + ηW) below
//! 1 − 1e−8 (§14.1); otherwise it is refused (the short run is still reported).
//!
//! Inference: the delta method, or simulation from N(ϑ̂, V̂) with the static engine
//! ([`super::simulate::simulate_with`]); in the default convention a draw with ρ outside its
//! interval or (when the long run is reported) an unstable process is re-drawn and counted.
//! Mode `"sdpdmod"` follows SDPDmod's `impactsSDPDm`: 200 draws, draw r seeded 12345 + 10r
//! (our ChaCha8 generator, so the draws are not R's), the mean of the draws reported, nothing
//! re-drawn.

use super::prepare::{point_of, ratio};
use super::simulate::{simulate_with, Reject};
use super::{
    delta, exact, input_from_fit, prepare, DynamicEffects, EffectRow, Effects, EffectsInput, EffectsOptions, LongRun,
    Method, Mode, Prepared,
};
use crate::error::{Error, Result};
use crate::linalg::quad_form;
use crate::models::ml::{dynamic_spectral_radius, DynamicInfo};
use crate::models::Model;
use crate::weights::Weights;

/// Stability threshold of the spectral radius (docs/methods.md §14.1).
pub const STABLE_BELOW: f64 = 1.0 - 1e-8;
/// Draws of mode `"sdpdmod"` when `draws` is left at its default (SDPDmod's NSIM).
pub const SDPDMOD_DRAWS: usize = 200;
/// Seed of mode `"sdpdmod"` when `seed` is left at its default (SDPDmod's `sd`); draw r uses
/// seed + 10r.
pub const SDPDMOD_SEED: u64 = 12345;

/// Where τ and η sit in the local parameter vector, and the spectrum for the stability check.
struct Dyn<'a> {
    tau: Option<usize>,
    eta: Option<usize>,
    input: &'a EffectsInput,
    /// Extreme eigenvalues of W from the sparse fit ([`DynamicInfo::w_range`]).
    range: Option<(f64, f64)>,
}

impl Dyn<'_> {
    fn tau_eta(&self, phi: &[f64]) -> (f64, f64) {
        (self.tau.map_or(0.0, |j| phi[j]), self.eta.map_or(0.0, |j| phi[j]))
    }

    /// Spectral radius of S⁻¹(τI + ηW) at φ: exact from the eigenvalues of W; without them
    /// (sparse path) max |a(ω)| over the extreme real eigenvalues of W, a(ω) = (τ + ηω)/(1 − ρω)
    /// being monotone (docs/methods.md §14.7): the Lanczos (ω_min, ω_max) of the fit when W is
    /// similar to a symmetric matrix, else the bound from ±1 (row-standardised W).
    fn radius(&self, prep: &Prepared, phi: &[f64]) -> f64 {
        let (t, e) = self.tau_eta(phi);
        let r = prep.layout.rho_of(phi);
        match (&self.input.spectrum, self.range) {
            (Some(s), _) => dynamic_spectral_radius(s, t, e, r),
            (None, Some((lo, hi))) => ((t + e * hi) / (1.0 - r * hi))
                .abs()
                .max(((t + e * lo) / (1.0 - r * lo)).abs()),
            (None, None) => ((t + e) / (1.0 - r)).abs().max(((t - e) / (1.0 + r)).abs()),
        }
    }

    /// Long-run (ADE, AIE, ATE) of every regressor at φ, flattened `[k][3]`.
    fn long_run(&self, prep: &Prepared, phi: &[f64], out: &mut [f64]) {
        let l = &prep.layout;
        let (t, e) = self.tau_eta(phi);
        let c = 1.0 - t;
        let av = prep.kernel.at((l.rho_of(phi) + e) / c);
        for k in 0..l.beta.len() {
            let (b, th) = l.coef_of(phi, k);
            out[3 * k..3 * k + 3].copy_from_slice(&exact::effects_at(&av, b / c, th / c));
        }
    }

    /// Delta-method SEs of the long run: the static gradients at (β*, θ*, ρ*) by the chain rule
    /// ∂/∂β = g_β/(1−τ), ∂/∂θ = g_θ/(1−τ), ∂/∂ρ = ∂/∂η = g_ρ/(1−τ),
    /// ∂/∂τ = (g_β β + g_θ θ + g_ρ (ρ + η))/(1−τ)².
    fn long_run_se(&self, prep: &Prepared) -> Vec<[f64; 3]> {
        let l = &prep.layout;
        let phi = &l.mean;
        let (t, e) = self.tau_eta(phi);
        let c = 1.0 - t;
        let rho = l.rho_of(phi);
        let av = prep.kernel.at((rho + e) / c);
        (0..l.beta.len())
            .map(|k| {
                let (b, th) = l.coef_of(phi, k);
                let g = exact::gradients_at(&av, b / c, th / c);
                let mut out = [f64::NAN; 3];
                for (ef, ge) in g.iter().enumerate() {
                    let mut grad = vec![0.0; l.dim()];
                    grad[l.beta[k]] = ge[0] / c;
                    if let Some(j) = l.theta[k] {
                        grad[j] = ge[1] / c;
                    }
                    if let Some(j) = l.rho {
                        grad[j] = ge[2] / c;
                    }
                    if let Some(j) = self.eta {
                        grad[j] = ge[2] / c;
                    }
                    if let Some(j) = self.tau {
                        grad[j] = (ge[0] * b + ge[1] * th + ge[2] * (rho + e)) / (c * c);
                    }
                    let v = quad_form(&l.cov, &grad);
                    out[ef] = if v >= 0.0 { v.sqrt() } else { f64::NAN };
                }
                out
            })
            .collect()
    }
}

/// Appends the parameter at input covariance position `idx` to the layout; its local position.
fn extend(prep: &mut Prepared, input: &EffectsInput, idx: usize, value: f64, what: &str) -> Result<usize> {
    let p = input.cov_dim;
    let l = &mut prep.layout;
    if idx >= p || l.used.contains(&idx) {
        return Err(Error::invalid(format!(
            "effects: {what} has covariance position {idx}, outside the {p}×{p} covariance or shared"
        )));
    }
    if !value.is_finite() {
        return Err(Error::numeric(format!("effects: {what} is not finite")));
    }
    l.used.push(idx);
    l.mean.push(value);
    let d = l.used.len();
    let mut cov = vec![0.0; d * d];
    for a in 0..d {
        for b in 0..d {
            cov[a * d + b] = input.cov[l.used[a] * p + l.used[b]];
        }
    }
    l.cov = cov;
    Ok(d - 1)
}

/// Rows of one block from point values, simulated means and SDs (or delta SEs), in `mode`.
fn rows_of(
    point: &[[f64; 3]],
    se: impl Fn(usize, usize) -> (f64, f64),
    method: Method,
    mode: Mode,
) -> [Vec<EffectRow>; 3] {
    let mut rows: [Vec<EffectRow>; 3] = Default::default();
    for (i, pt) in point.iter().enumerate() {
        for e in 0..3 {
            let (m, s) = se(i, e);
            let row = match (method, mode) {
                (Method::Delta, _) => EffectRow::new(pt[e], s, ratio(pt[e], s), pt[e], f64::NAN),
                (_, Mode::Spillover) => EffectRow::new(pt[e], s, ratio(pt[e], s), pt[e], m),
                (_, Mode::Elhorst | Mode::Sdpdmod) => EffectRow::new(m, s, ratio(m, s), pt[e], m),
                (_, Mode::Spatialreg) => EffectRow::new(pt[e], s, ratio(m, s), pt[e], m),
            };
            rows[e].push(row);
        }
    }
    rows
}

/// Short-run and long-run effects of a dynamic fit (module doc). `input` is the static effects
/// input of the fit ([`super::input_from_fit`]); τ and η are found by `info`'s positions in
/// `model`.
pub fn dynamic_effects(
    input: &EffectsInput,
    info: &DynamicInfo,
    model: &Model,
    opts: &EffectsOptions,
) -> Result<Effects> {
    let mut prep = prepare(input, opts.engine)?;
    let est = |i: usize| model.coefficients.get(i).map(|c| c.estimate).unwrap_or(f64::NAN);
    let tau = match info.tau_index {
        Some(i) => Some(extend(&mut prep, input, i, est(i), "tau")?),
        None => None,
    };
    let eta = match info.eta_index {
        Some(i) => Some(extend(&mut prep, input, i, est(i), "eta")?),
        None => None,
    };
    let dy = Dyn {
        tau,
        eta,
        input,
        range: info.w_range,
    };
    let radius = dy.radius(&prep, &prep.layout.mean);
    let stable = radius < STABLE_BELOW;
    let refused = (!stable).then(|| {
        format!(
            "long-run effects are not computed: the spectral radius of S^-1(tau I + eta W) is {radius:.6} >= 1, so the \
             estimated process is not stable and has no steady state; report the short-run effects, or respecify \
             the model (e.g. time effects, fe: \"twoways\") so that the spectral radius is below 1"
        )
    });
    let k = prep.layout.beta.len();
    let sr_point = point_of(&prep);
    let lr_point: Vec<[f64; 3]> = {
        let mut flat = vec![0.0; 3 * k];
        dy.long_run(&prep, &prep.layout.mean, &mut flat);
        flat.chunks(3).map(|c| [c[0], c[1], c[2]]).collect()
    };
    let mut warnings = prep.warnings.clone();
    if let Some(r) = &refused {
        warnings.push(r.clone());
    }
    let (mut draws, mut kept, mut redrawn, mut discarded, mut seed, mut unstable) = (0, 0, 0, 0, None, 0);
    let (sr, lr) = match opts.method {
        Method::Delta => {
            let s = delta::std_errors(&prep);
            let l = dy.long_run_se(&prep);
            (
                rows_of(&sr_point, |i, e| (f64::NAN, s[i][e]), opts.method, opts.mode),
                rows_of(&lr_point, |i, e| (f64::NAN, l[i][e]), opts.method, opts.mode),
            )
        }
        Method::Simulation => {
            let sdpd = opts.mode == Mode::Sdpdmod;
            let discard = opts.mode == Mode::Spatialreg;
            let defaults = EffectsOptions::default();
            let (n_draws, base) = if sdpd {
                (
                    if opts.draws == defaults.draws {
                        SDPDMOD_DRAWS
                    } else {
                        opts.draws
                    },
                    if opts.seed == defaults.seed {
                        SDPDMOD_SEED
                    } else {
                        opts.seed
                    },
                )
            } else {
                (opts.draws, opts.seed)
            };
            let seed_of = move |r: usize| {
                if sdpd {
                    (base.wrapping_add(10 * r as u64), 0)
                } else {
                    (base, r as u64)
                }
            };
            let (lo, hi) = prep.interval;
            let p = &prep;
            let accept = |phi: &[f64]| {
                if sdpd {
                    return Ok(());
                }
                let rho = p.layout.rho_of(phi);
                if !(rho > lo && rho < hi) {
                    return Err(Reject::Interval);
                }
                if stable && dy.radius(p, phi) >= STABLE_BELOW {
                    return Err(Reject::Unstable);
                }
                Ok(())
            };
            let eval = |phi: &[f64], out: &mut [f64]| {
                p.layout.effects_of(&p.kernel, phi, &mut out[..3 * k]);
                dy.long_run(p, phi, &mut out[3 * k..]);
            };
            let sim = simulate_with(&prep, n_draws, &seed_of, discard, 6 * k, &accept, &eval)?;
            warnings.extend(sim.warnings.iter().cloned());
            draws = n_draws;
            kept = sim.kept;
            redrawn = sim.redrawn;
            unstable = sim.unstable;
            discarded = sim.discarded;
            seed = Some(base);
            let sim = &sim;
            let at = |off: usize| move |i: usize, e: usize| (sim.mean[off + 3 * i + e], sim.sd[off + 3 * i + e]);
            (
                rows_of(&sr_point, at(0), opts.method, opts.mode),
                rows_of(&lr_point, at(3 * k), opts.method, opts.mode),
            )
        }
    };
    let [direct, indirect, total] = sr;
    let long = stable.then(|| {
        let [direct, indirect, total] = lr;
        LongRun {
            direct,
            indirect,
            total,
        }
    });
    if unstable > 0 {
        warnings.push(format!(
            "{unstable} draw(s) re-drawn because the drawn process was not stable (spectral radius >= 1)"
        ));
    }
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
        dynamic: Some(Box::new(DynamicEffects {
            long,
            refused,
            spectral_radius: radius,
            unstable_redrawn: unstable,
        })),
    })
}

/// Effects of a fitted spatial model on `w` ([`input_from_fit`], then [`effects`]). The model's
/// own warnings (e.g. ρ on the bound of its search interval, where the results should not be
/// used) are carried into the effects' warnings, so the effects table says so too.
pub fn effects_of_fit(fit: &crate::models::ml::SpatialFit, w: &Weights, opts: &EffectsOptions) -> Result<Effects> {
    let input = input_from_fit(fit, w)?;
    let mut e = match &fit.dynamic {
        Some(info) => dynamic_effects(&input, info, &fit.model, opts)?,
        None => super::effects(&input, opts)?,
    };
    for warning in &fit.model.warnings {
        e.warnings.push(format!("the model: {warning}"));
    }
    Ok(e)
}
