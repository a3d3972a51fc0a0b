//! SLX: least squares on Z̃ = [X̃, (WX)~] with the ML variance (docs/methods.md §7, SDM with ρ = 0):
//!
//! ```text
//! β̂ = (Z̃'Z̃)⁻¹Z̃'ỹ,  σ̂² = e'e/NT,  logL = −(NT/2)(ln 2πσ̂² + 1),
//! Var(β̂) = σ̂²(Z̃'Z̃)⁻¹,  Var(σ̂²) = 2σ̂⁴/NT
//! ```

use super::{Ctx, Estimate};
use crate::error::Result;
use crate::models::dense::{dot, LeastSquares};

/// Fits SLX on the prepared data.
pub(crate) fn fit<'a>(ctx: &Ctx<'a>) -> Result<Estimate<'a>> {
    let d = ctx.data;
    let ls = LeastSquares::new(&d.z, &d.names)?;
    let beta = ls.coefficients(&d.y);
    let e = ls.annihilate(&d.z, &d.y);
    let nt = ctx.dims.nt_eff();
    let sigma2 = dot(&e, &e) / nt;
    d.refuse_exact_fit(dot(&e, &e))?;
    let k = beta.len();
    let p = k + 1;
    let inv = ls.xtx_inv();
    let mut vcov = vec![0.0; p * p];
    for i in 0..k {
        for j in 0..k {
            vcov[i * p + j] = sigma2 * inv[i * k + j];
        }
    }
    vcov[k * p + k] = 2.0 * sigma2 * sigma2 / nt;
    Ok(Estimate {
        beta,
        rho: None,
        sigma2,
        sigma2_uncorrected: sigma2,
        loglik: -0.5 * nt * ((2.0 * std::f64::consts::PI * sigma2).ln() + 1.0),
        loglik_elhorst: None,
        vcov,
        evaluations: 0,
        resolvent: None,
        trace_note: None,
    })
}
