//! Per-unit scores of the spatial lag models (SAR, SDM) for the cluster-robust Hausman test
//! (docs/methods.md §12.4; [`crate::models::unit_scores`]): recorded in the model's provenance
//! for fixed effects (individual or two-way, no bias correction) and random effects, on the
//! exact eigenvalue path with N ≤ [`SCORES_MAX_N`] (the diagonal of G needs one dense LU).

use super::{BiasCorrection, Ctx, SpatialFit};
use crate::error::Result;
use crate::models::random::{quasi_demean, theta_of_phi};
use crate::models::result::ModelKind;
use crate::models::unit_scores::{g_diagonal, lag_ml};
use crate::models::within::{unit_means, Fe};
use std::sync::Arc;

/// Largest N for which the lag models record their per-unit scores.
pub const SCORES_MAX_N: usize = 1000;

/// Records the per-unit scores of a SAR/SDM fit with individual or two-way fixed effects (no
/// bias correction) or random effects in `fit.model.provenance.scores`; does nothing for other
/// fits or on the sparse path.
pub(crate) fn attach_lag_scores(ctx: &Ctx, fit: &mut SpatialFit) -> Result<()> {
    let n = ctx.dims.n;
    if !matches!(fit.kind, ModelKind::Sar | ModelKind::Sdm)
        || ctx.spectrum.is_none()
        || n > SCORES_MAX_N
        || !matches!(ctx.opts.fe, Fe::Individual | Fe::TwoWays | Fe::Random)
        || ctx.opts.bias_correction != BiasCorrection::None
    {
        return Ok(());
    }
    let d = ctx.data;
    let k = d.names.len();
    let coefs = &fit.model.coefficients;
    let beta: Vec<f64> = coefs[..k].iter().map(|c| c.estimate).collect();
    let rho = coefs[k].estimate;
    let t = ctx.dims.t as f64;
    let g = g_diagonal(&ctx.w.to_dense(), n, rho)?;
    let resid = |y: &[f64], wy: &[f64], z: &[Vec<f64>]| -> Vec<f64> {
        let mut e: Vec<f64> = y.iter().zip(wy).map(|(a, b)| a - rho * b).collect();
        for (col, b) in z.iter().zip(&beta) {
            e.iter_mut().zip(col).for_each(|(v, x)| *v -= b * x);
        }
        e
    };
    let scores = if ctx.opts.fe == Fe::Random {
        let phi = coefs[k + 1].estimate;
        let theta = theta_of_phi(phi, ctx.dims.t);
        let e_raw = resid(&d.y_raw, &d.wy_raw, &d.z_raw);
        let ebar = unit_means(&e_raw, n);
        let es = quasi_demean(&e_raw, n, theta);
        let zs: Vec<Vec<f64>> = d.z_raw.iter().map(|c| quasi_demean(c, n, theta)).collect();
        let wys = quasi_demean(&d.wy_raw, n, theta);
        let sigma2 = es.iter().map(|v| v * v).sum::<f64>() / es.len() as f64;
        let mut coef: Vec<Option<usize>> = (0..=k + 1).map(Some).collect();
        coef.push(None);
        lag_ml(
            &zs,
            &wys,
            &es,
            sigma2,
            &g,
            t,
            Some((phi, &ebar)),
            fit.cov_full.clone(),
            coef,
        )
    } else {
        let e = resid(&d.y, &d.wy, &d.z);
        let sigma2 = e.iter().map(|v| v * v).sum::<f64>() / e.len() as f64;
        let mut coef: Vec<Option<usize>> = (0..=k).map(Some).collect();
        coef.push(None);
        lag_ml(&d.z, &d.wy, &e, sigma2, &g, t, None, fit.cov_full.clone(), coef)
    };
    fit.model.provenance.scores = Some(Arc::new(scores));
    Ok(())
}
