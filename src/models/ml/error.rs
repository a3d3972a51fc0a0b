//! SEM and SDEM (SEM with Z = [X, WX]) by concentrated ML (docs/methods.md §7.3).
//!
//! ```text
//! y*(λ) = ỹ − λ·L(y),  X*(λ) = X̃ − λ·L(X)        L(·) = Q(W·raw) (lag_first, = dummy-variable ML)
//!                                                  L(·) = W·(Q raw) (demean_first, Elhorst/splm)
//! β(λ) = (X*'X*)⁻¹X*'y*,   u(λ) = y* − X*β(λ)
//! ℓc(λ) = −(NT/2) ln(u'u/NT) + T·ln|I − λW|,   σ̂² = u'u/NT,   logL = ℓc(λ̂) − (NT/2)(ln 2π + 1)
//! ```
//!
//! With A = [ỹ, X̃] and L = L(A), the cross products C00 = A'A, C01 = A'L, C11 = L'L are
//! computed once; then [y*, X*]'[y*, X*] = C00 − λ(C01 + C01') + λ²C11, so one evaluation costs
//! O(K³) plus one log-determinant. The score follows from the envelope theorem:
//! d(u'u)/dλ = −2 v'(C01 − λC11)v with v = (1, −β(λ)).

use super::information::{error_information, resolvent_at, traces_at};
use super::{bias, Ctx, Estimate, Vcov};
use crate::error::Result;
use crate::models::dense::{dot, inverse_spd, solve_spd};

/// The (k+1)×(k+1) cross products of A = [ỹ, Z̃] and its lag L.
struct Cross {
    m: usize,
    c00: Vec<f64>,
    c01: Vec<f64>,
    c11: Vec<f64>,
}

impl Cross {
    fn new(ctx: &Ctx) -> Cross {
        let d = ctx.data;
        let (n, fe, order) = (ctx.dims.n, ctx.opts.fe, ctx.opts.lag_order);
        let mut a: Vec<&[f64]> = vec![&d.y];
        a.extend(d.z.iter().map(Vec::as_slice));
        let mut lagged: Vec<Vec<f64>> = vec![d.wy.clone()];
        for (raw, dm) in d.z_raw.iter().zip(&d.z) {
            lagged.push(d.lag_of(ctx.w, raw, dm, n, fe, order));
        }
        let m = a.len();
        let mut c00 = vec![0.0; m * m];
        let mut c01 = vec![0.0; m * m];
        let mut c11 = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                c01[i * m + j] = dot(a[i], &lagged[j]);
                if j <= i {
                    let v = dot(a[i], a[j]);
                    c00[i * m + j] = v;
                    c00[j * m + i] = v;
                    let v = dot(&lagged[i], &lagged[j]);
                    c11[i * m + j] = v;
                    c11[j * m + i] = v;
                }
            }
        }
        Cross { m, c00, c01, c11 }
    }

    /// [y*, X*]'[y*, X*] at λ.
    fn at(&self, lam: f64) -> Vec<f64> {
        let m = self.m;
        let mut c = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                let s = self.c01[i * m + j] + self.c01[j * m + i];
                c[i * m + j] = self.c00[i * m + j] - lam * s + lam * lam * self.c11[i * m + j];
            }
        }
        c
    }

    /// X*'X* (k×k) from the cross products at λ.
    fn xx(c: &[f64], m: usize) -> Vec<f64> {
        let k = m - 1;
        let mut out = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                out[i * k + j] = c[(i + 1) * m + j + 1];
            }
        }
        out
    }

    /// β(λ) and u'u(λ).
    fn profile(&self, lam: f64) -> Result<(Vec<f64>, f64)> {
        let m = self.m;
        let c = self.at(lam);
        let xy: Vec<f64> = (1..m).map(|i| c[i * m]).collect();
        let b = solve_spd(
            &Self::xx(&c, m),
            m - 1,
            &xy,
            "X*'X* (the filtered regressors' cross products)",
        )?;
        let uu = c[0] - dot(&xy, &b);
        Ok((b, uu))
    }

    /// d(u'u)/dλ = −2 v'(C01 − λC11)v, v = (1, −β).
    fn duu(&self, lam: f64, b: &[f64]) -> f64 {
        let m = self.m;
        let v: Vec<f64> = std::iter::once(1.0).chain(b.iter().map(|x| -x)).collect();
        let mut s = 0.0;
        for i in 0..m {
            for j in 0..m {
                s += v[i] * (self.c01[i * m + j] - lam * self.c11[i * m + j]) * v[j];
            }
        }
        -2.0 * s
    }
}

/// Fits SEM/SDEM on the prepared data.
pub(crate) fn fit<'a>(ctx: &Ctx<'a>) -> Result<Estimate<'a>> {
    let d = ctx.data;
    // Rank check (names the collinear column) on the unfiltered regressors.
    let ls = crate::models::dense::LeastSquares::new(&d.z, &d.names)?;
    // At λ = 0 the residuals are the OLS ones; zero there means an unbounded likelihood.
    let e0 = ls.annihilate(&d.z, &d.y);
    d.refuse_exact_fit(crate::models::dense::dot(&e0, &e0))?;
    // ỹ = c·Wỹ exactly: at λ = c the residual u = (I − λW)ỹ with β = 0 vanishes.
    d.refuse_proportional_lag(&d.y, &d.wy, ctx.dims.n)?;
    let cross = Cross::new(ctx);
    let nt = ctx.dims.nt_eff();
    let t = ctx.dims.t_eff as f64;
    let f = |lam: f64| match cross.profile(lam) {
        Ok((_, uu)) if uu > 0.0 => -0.5 * nt * (uu / nt).ln() + t * ctx.jac.value(lam),
        _ => f64::NEG_INFINITY,
    };
    let score = |lam: f64| match cross.profile(lam) {
        Ok((b, uu)) if uu > 0.0 => -0.5 * nt * cross.duu(lam, &b) / uu + t * ctx.jac.deriv(lam),
        _ => f64::NAN,
    };
    let m = ctx.maximize(f, score)?;
    let lam = m.x;
    let (beta, uu) = cross.profile(lam)?;
    let sigma2 = uu / nt;
    d.refuse_exact_fit(uu)?;
    let loglik = m.value - 0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0);
    let vcov_at = |lam: f64, _b: &[f64], s2: f64| -> Result<Vcov<'a>> {
        ctx.clock.time("information", || {
            let at = resolvent_at(ctx, lam)?;
            let (tr, note) = traces_at(ctx, &at)?;
            let k = cross.m - 1;
            let xx = Cross::xx(&cross.at(lam), cross.m);
            let info = error_information(&xx, k, &tr, s2, t, nt);
            Ok(Vcov {
                v: inverse_spd(&info, k + 2, "the information matrix at the estimate")?,
                resolvent: None,
                note,
            })
        })
    };
    let at = vcov_at(lam, &beta, sigma2)?;
    let mut est = Estimate {
        beta,
        rho: Some(lam),
        sigma2,
        sigma2_uncorrected: sigma2,
        loglik,
        loglik_elhorst: None,
        vcov: at.v,
        evaluations: m.evaluations,
        resolvent: None,
        trace_note: at.note,
    };
    bias::elhorst(ctx, &mut est, &vcov_at)?;
    Ok(est)
}
