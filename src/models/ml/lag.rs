//! SAR and SDM (SAR with Z = [X, WX]) by concentrated ML (docs/methods.md §7.2).
//!
//! ```text
//! b0 = (Z̃'Z̃)⁻¹Z̃'ỹ,  e0 = ỹ − Z̃b0;   bd = (Z̃'Z̃)⁻¹Z̃'(Wy)~,  ed = (Wy)~ − Z̃bd
//! SSE(ρ) = e0'e0 − 2ρ e0'ed + ρ² ed'ed
//! ℓc(ρ)  = −(NT/2) ln(SSE(ρ)/NT) + T·ln|I − ρW|
//! ℓc'(ρ) = (NT/2)(2e0'ed − 2ρ ed'ed)/SSE(ρ) − T·tr(G(ρ))
//! β̂ = b0 − ρ̂ bd,  σ̂² = SSE(ρ̂)/NT,  logL = ℓc(ρ̂) − (NT/2)(ln 2π + 1)
//! ```
//!
//! The three cross products are computed once, so one evaluation of ℓc costs one log-determinant
//! (O(N) with the eigenvalues) and allocates nothing. Under Lee–Yu, NT and T are the effective
//! n_eff·t_eff and t_eff and the Jacobian carries −ln(1 − ρ) for time effects (§7.5b).

use super::information::{lag_information, resolvent_at, traces_at};
use super::{bias, Ctx, Estimate, Information, Vcov};
use crate::error::Result;
use crate::models::dense::{cross_products, dot, inverse_spd, xt_v, LeastSquares};
use crate::models::within::{demean, Fe};

/// Fits SAR/SDM on the prepared data.
pub(crate) fn fit<'a>(ctx: &Ctx<'a>) -> Result<Estimate<'a>> {
    let d = ctx.data;
    let ls = LeastSquares::new(&d.z, &d.names)?;
    let b0 = ls.coefficients(&d.y);
    let bd = ls.coefficients(&d.wy);
    let e0 = ls.annihilate(&d.z, &d.y);
    let ed = ls.annihilate(&d.z, &d.wy);
    let (e00, e0d, edd) = (dot(&e0, &e0), dot(&e0, &ed), dot(&ed, &ed));
    // SSE(ρ) is smallest at ρ = e0'ed/ed'ed; zero there (or at ρ = 0) means an unbounded
    // likelihood.
    d.refuse_exact_fit(e00)?;
    d.refuse_proportional_lag(&e0, &ed, ctx.dims.n)?;
    let nt = ctx.dims.nt_eff();
    let t = ctx.dims.t_eff as f64;
    let sse = |r: f64| e00 - 2.0 * r * e0d + r * r * edd;
    let f = |r: f64| -0.5 * nt * (sse(r) / nt).ln() + t * ctx.jac.value(r);
    let score = |r: f64| 0.5 * nt * (2.0 * e0d - 2.0 * r * edd) / sse(r) + t * ctx.jac.deriv(r);
    let m = ctx.maximize(f, score)?;
    let rho = m.x;
    let beta: Vec<f64> = b0.iter().zip(&bd).map(|(a, b)| a - rho * b).collect();
    let sigma2 = sse(rho) / nt;
    d.refuse_exact_fit(sse(rho))?;
    let loglik = m.value - 0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0);
    let at = vcov_at(ctx, rho, &beta, sigma2)?;
    let mut est = Estimate {
        beta,
        rho: Some(rho),
        sigma2,
        sigma2_uncorrected: sigma2,
        loglik,
        loglik_elhorst: None,
        vcov: at.v,
        evaluations: m.evaluations,
        resolvent: at.resolvent,
        trace_note: at.note,
    };
    bias::elhorst(ctx, &mut est, &|r, b, s2| vcov_at(ctx, r, b, s2))?;
    Ok(est)
}

/// Inverse information of [β, ρ, σ²] at (ρ, β, σ²) (docs/methods.md §7.4); with `information: "full"`
/// the ρ–ρ term uses ‖QḠμ‖², μ = Zβ + Dα the fitted mean of the dummy-variable model (the
/// fixed-effect directions projected out), and the ρ–β term Z̃'QḠμ.
pub(crate) fn vcov_at<'a>(ctx: &Ctx<'a>, rho: f64, beta: &[f64], sigma2: f64) -> Result<Vcov<'a>> {
    ctx.clock.time("information", || vcov_impl(ctx, rho, beta, sigma2))
}

fn vcov_impl<'a>(ctx: &Ctx<'a>, rho: f64, beta: &[f64], sigma2: f64) -> Result<Vcov<'a>> {
    let d = ctx.data;
    let (n, fe) = (ctx.dims.n, ctx.opts.fe);
    let dense = resolvent_at(ctx, rho)?;
    let (tr, note) = traces_at(ctx, &dense)?;
    let nt_obs = d.y.len();
    let gz = match ctx.opts.information {
        Information::Elhorst | Information::Splm => {
            let mut zb = vec![0.0; nt_obs];
            for (c, b) in d.z.iter().zip(beta) {
                zb.iter_mut().zip(c).for_each(|(a, x)| *a += b * x);
            }
            let g = dense.apply_g(&zb)?;
            // Lee–Yu time transformation: G*X*b = F'G J Xb, i.e. centred across units.
            if ctx.dims.shift {
                demean(&g, n, Fe::Time)
            } else {
                g
            }
        }
        Information::Full => {
            // μ = fitted mean with the dummies: (I − Q)(y − ρWy − Zβ) + Zβ.
            let mut u = d.y_raw.clone();
            u.iter_mut().zip(&d.wy_raw).for_each(|(a, b)| *a -= rho * b);
            let mut zb = vec![0.0; nt_obs];
            for (c, b) in d.z_raw.iter().zip(beta) {
                zb.iter_mut().zip(c).for_each(|(a, x)| *a += b * x);
            }
            u.iter_mut().zip(&zb).for_each(|(a, b)| *a -= b);
            let qu = demean(&u, n, fe);
            let mu: Vec<f64> = u.iter().zip(&qu).zip(&zb).map(|((a, q), b)| a - q + b).collect();
            demean(&dense.apply_g(&mu)?, n, fe)
        }
    };
    let info = lag_information(
        &cross_products(&d.z),
        &xt_v(&d.z, &gz),
        dot(&gz, &gz),
        &tr,
        sigma2,
        ctx.dims.t_eff as f64,
        ctx.dims.nt_eff(),
    );
    let v = inverse_spd(&info, beta.len() + 2, "the information matrix at the estimate")?;
    Ok(Vcov {
        v,
        resolvent: Some(dense),
        note,
    })
}
