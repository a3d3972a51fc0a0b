//! Small-sample corrections of the fixed-effects ML estimates (docs/methods.md §7.5).
//!
//! (a) `elhorst` (Elhorst's `sar_panel_FE` / `sem_panel_FE` with `info.bc = 1`):
//!
//! ```text
//! individual : σ̃² = T/(T−1)·σ̂²            time : σ̃² = N/(N−1)·σ̂²      (β, ρ unchanged)
//! two-way    : θ̃ = θ̂ + Σ̂⁻¹a/N = θ̂ + T·I(θ̂)⁻¹a,  a = [0_k; 1/(1−ρ̂); 1/(2σ̂²)],  Σ̂ = I(θ̂)/(NT)
//!              σ̃² = T/(T−1)·θ̃_σ²
//! Var(θ̃) = I(θ̃)⁻¹ (recomputed at the corrected values)
//! ```
//!
//! Elhorst's reported log-likelihood (`loglik_elhorst`) uses σ̃² for individual/time effects and
//! the uncorrected values for two-way effects; `loglik` stays the maximum.
//!
//! (b) `lee_yu`: exact ML of the transformed likelihood, i.e. effective dimensions
//! N(T−1), (N−1)T or (N−1)(T−1) and the Jacobian ln|I − ρW| − ln(1 − ρ) for time effects
//! (see `dims`).

use super::{BiasCorrection, Ctx, Dims, Estimate, Vcov};
use crate::error::{Error, Result};
use crate::models::ml::options::CheckedOptions;
use crate::models::within::Fe;
use crate::weights::{Weights, FACT_TOL};

/// Effective dimensions of the likelihood for the chosen correction. Error: Lee–Yu with time
/// effects on a W that is not row-standardised.
pub(crate) fn dims(n: usize, t: usize, opts: &CheckedOptions, w: &Weights) -> Result<Dims> {
    let mut d = Dims {
        n,
        t,
        n_eff: n,
        t_eff: t,
        shift: false,
    };
    if opts.bias_correction == BiasCorrection::LeeYu {
        if opts.fe.has_unit() {
            d.t_eff = t - 1;
        }
        if opts.fe.has_time() {
            let facts = w.facts();
            let sums = &facts.row_sums;
            if let Some(i) = sums.iter().position(|s| (s - 1.0).abs() > FACT_TOL) {
                return Err(Error::invalid(format!(
                    "bias_correction \"lee_yu\" with {} effects needs row-standardised weights, but row {} ('{}') sums \
                     to {}; standardize the weights (standardize: \"row\") or use bias_correction \"elhorst\"",
                    opts.fe.name(),
                    i + 1,
                    w.ids()[i],
                    sums[i]
                )));
            }
            d.n_eff = n - 1;
            d.shift = true;
        }
    }
    Ok(d)
}

/// Covariance of [β, ρ, σ²] at given parameter values (and the factorisation used).
pub(crate) type Recompute<'a, 'b> = dyn Fn(f64, &[f64], f64) -> Result<Vcov<'a>> + 'b;

/// Applies Elhorst's correction to `est` (no-op unless `bias_correction: "elhorst"`).
pub(crate) fn elhorst<'a>(ctx: &Ctx<'a>, est: &mut Estimate<'a>, recompute: &Recompute<'a, '_>) -> Result<()> {
    if ctx.opts.bias_correction != BiasCorrection::Elhorst {
        return Ok(());
    }
    let Some(rho) = est.rho else {
        return Ok(());
    };
    let (n, t) = (ctx.dims.n as f64, ctx.dims.t as f64);
    let nt = n * t;
    let s2 = est.sigma2_uncorrected;
    let sse = s2 * nt;
    let ll_at = |s2: f64, rho: f64| {
        -0.5 * nt * (2.0 * std::f64::consts::PI * s2).ln() + t * ctx.jac.value(rho) - sse / (2.0 * s2)
    };
    match ctx.opts.fe {
        Fe::Individual | Fe::Time => {
            let f = if ctx.opts.fe == Fe::Individual {
                t / (t - 1.0)
            } else {
                n / (n - 1.0)
            };
            est.sigma2 = f * s2;
            est.loglik_elhorst = Some(ll_at(est.sigma2, rho));
            let at = recompute(rho, &est.beta, est.sigma2)?;
            est.vcov = at.v;
            est.resolvent = at.resolvent;
            est.trace_note = at.note;
        }
        Fe::TwoWays => {
            let k = est.beta.len();
            let p = k + 2;
            let mut a = vec![0.0; p];
            a[k] = 1.0 / (1.0 - rho);
            a[k + 1] = 1.0 / (2.0 * s2);
            let mut theta: Vec<f64> = est.beta.iter().copied().chain([rho, s2]).collect();
            for (i, th) in theta.iter_mut().enumerate() {
                *th += t * (0..p).map(|j| est.vcov[i * p + j] * a[j]).sum::<f64>();
            }
            let (rho_c, s2_c) = (theta[k], t / (t - 1.0) * theta[k + 1]);
            let (lo, hi) = ctx.interval;
            if !(rho_c > lo && rho_c < hi) || s2_c <= 0.0 || !s2_c.is_finite() {
                return Err(Error::numeric(format!(
                    "the Elhorst bias correction moves the spatial parameter from {rho:.6} to {rho_c:.6} (σ² {s2_c:.6}), \
                     outside the feasible interval ({lo:.6}, {hi:.6}); use bias_correction: \"none\" or \"lee_yu\""
                )));
            }
            est.loglik_elhorst = Some(est.loglik);
            est.beta = theta[..k].to_vec();
            est.rho = Some(rho_c);
            est.sigma2 = s2_c;
            let at = recompute(rho_c, &est.beta, s2_c)?;
            est.vcov = at.v;
            est.resolvent = at.resolvent;
            est.trace_note = at.note;
        }
        Fe::None | Fe::Random => {}
    }
    Ok(())
}
