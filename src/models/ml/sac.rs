//! SAC (SARAR): spatial lag and spatial error together, by concentrated ML (docs/methods.md §7.7).
//!
//! ```text
//! y = ρ W y + Z β + u,   u = λ W u + ε,   ε ~ N(0, σ² I)        (after the fixed-effects transformation)
//! r(ρ, λ, β) = B(λ)(S(ρ) y − Z β),  S = I − ρW,  B = I − λW   (per period)
//! ℓ = −(NT/2) ln(2πσ²) + T ln|S(ρ)| + T ln|B(λ)| − r'r/(2σ²)
//! ```
//!
//! With the lag of y under the chosen convention (L₁, [`super::Prepared::wy`]) and the error lag
//! L₂ (Q(W·raw) for `lag_first`, W·(Q raw) for `demean_first`, as SEM), the filtered data are
//!
//! ```text
//! y*(ρ, λ) = ỹ − ρ L₁y − λ L₂y + ρλ L₂L₁y,     Z*(λ) = Z̃ − λ L₂Z
//! ```
//!
//! so with A = [ỹ, L₁y, L₂y, L₂L₁y, Z̃, L₂Z] and M = A'A (computed once), every cross product of
//! [y*, Z*] is a quadratic form in M: one evaluation of the concentrated likelihood
//!
//! ```text
//! β(ρ, λ) = (Z*'Z*)⁻¹Z*'y*,   SSE = y*'y* − Z*'y*·β,   ℓc(ρ, λ) = −(NT/2) ln(SSE/NT) + T J(ρ) + T J(λ)
//! ```
//!
//! costs O(K³) plus two log-determinants. The maximisation is nested: for each ρ, λ̂(ρ) by the
//! 1-D search of [`super::Ctx::maximize`] (grid, Brent, score root), and ρ̂ maximises the profile
//! ℓc(ρ, λ̂(ρ)) the same way, its score ∂ℓc/∂ρ at λ̂(ρ) (envelope theorem).
//!
//! The covariance is the inverse of the analytic information (Lee & Yu 2010, eq. 39; splm's
//! `spsararlm`), in the order [β, ρ, λ, σ²], with G = W S⁻¹, H = W B⁻¹, Ġ = B G B⁻¹ and
//! Z* the filtered regressors:
//!
//! ```text
//! I_ββ = Z*'Z*/σ²,             I_βρ = Z*'(I_T⊗Ġ)Z*β/σ²,       I_βλ = I_βσ² = 0
//! I_ρρ = T tr(ĠĠ + Ġ'Ġ) + ‖(I_T⊗Ġ)Z*β‖²/σ²,  I_ρλ = T tr(HĠ + H'Ġ),  I_λλ = T tr(HH + H'H)
//! I_ρσ² = T tr(G)/σ²,   I_λσ² = T tr(H)/σ²,   I_σ²σ² = NT/(2σ⁴)
//! ```
//!
//! (Ġ Z*β = B G Z̃β.) The traces need the dense N×N matrices G, H and Ġ, formed once at the
//! estimate.

use super::information::resolvent_at;
use super::{Ctx, Estimate, SpatialFit, BOUND_WARN};
use crate::error::{Error, Result};
use crate::linalg::resolvent::Resolvent;
use crate::models::dense::{dot, inverse_spd, solve_spd};
use crate::models::result::Coef;
use crate::weights::Weights;

/// Offsets of the blocks of A = [ỹ, L₁y, L₂y, L₂L₁y, Z̃, L₂Z].
const Y: usize = 0;
const LY: usize = 1;
const EY: usize = 2;
const ELY: usize = 3;
const Z0: usize = 4;

/// The Gram matrix of A and the dimensions.
struct Gram {
    /// Regressors K.
    k: usize,
    /// Columns of A, 4 + 2K.
    m: usize,
    /// A'A, row-major m×m.
    a: Vec<f64>,
}

/// The profile at (ρ, λ): β, SSE and the coefficient vector v of the residual r = A v.
struct Profile {
    beta: Vec<f64>,
    sse: f64,
    v: Vec<f64>,
}

impl Gram {
    fn new(cols: &[Vec<f64>], k: usize) -> Gram {
        let m = cols.len();
        let a = crate::models::dense::cross_products(cols);
        Gram { k, m, a }
    }

    /// u'Mv.
    fn form(&self, u: &[f64], v: &[f64]) -> f64 {
        self.a
            .chunks(self.m)
            .zip(u)
            .filter(|(_, ui)| **ui != 0.0)
            .map(|(row, ui)| ui * dot(row, v))
            .sum()
    }

    /// Coefficients of y*(ρ, λ) in A.
    fn ystar(&self, rho: f64, lam: f64) -> Vec<f64> {
        let mut c = vec![0.0; self.m];
        c[Y] = 1.0;
        c[LY] = -rho;
        c[EY] = -lam;
        c[ELY] = rho * lam;
        c
    }

    /// Coefficients of z*_j(λ) in A.
    fn zstar(&self, j: usize, lam: f64) -> Vec<f64> {
        let mut c = vec![0.0; self.m];
        c[Z0 + j] = 1.0;
        c[Z0 + self.k + j] = -lam;
        c
    }

    /// Z*'Z* (K×K) at λ.
    fn zz(&self, lam: f64) -> Vec<f64> {
        let k = self.k;
        let zs: Vec<Vec<f64>> = (0..k).map(|j| self.zstar(j, lam)).collect();
        let mut out = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..=i {
                let v = self.form(&zs[i], &zs[j]);
                out[i * k + j] = v;
                out[j * k + i] = v;
            }
        }
        out
    }

    fn profile(&self, rho: f64, lam: f64) -> Result<Profile> {
        let k = self.k;
        let yc = self.ystar(rho, lam);
        let zy: Vec<f64> = (0..k).map(|j| self.form(&self.zstar(j, lam), &yc)).collect();
        let beta = if k == 0 {
            Vec::new()
        } else {
            solve_spd(&self.zz(lam), k, &zy, "Z*'Z* (the filtered regressors' cross products)")?
        };
        let sse = self.form(&yc, &yc) - dot(&zy, &beta);
        let mut v = yc;
        for (j, b) in beta.iter().enumerate() {
            v[Z0 + j] -= b;
            v[Z0 + k + j] += lam * b;
        }
        Ok(Profile { beta, sse, v })
    }

    /// ∂SSE/∂ρ and ∂SSE/∂λ at the profile (β held at β(ρ, λ): envelope theorem).
    fn dsse(&self, rho: f64, lam: f64, p: &Profile) -> (f64, f64) {
        let mut ur = vec![0.0; self.m];
        ur[LY] = -1.0;
        ur[ELY] = lam;
        let mut ul = vec![0.0; self.m];
        ul[EY] = -1.0;
        ul[ELY] = rho;
        for (j, b) in p.beta.iter().enumerate() {
            ul[Z0 + self.k + j] = *b;
        }
        (2.0 * self.form(&p.v, &ur), 2.0 * self.form(&p.v, &ul))
    }
}

/// What SAC adds to the fitted model beyond the SAR-shaped [`Estimate`].
pub(crate) struct Extra {
    lambda: f64,
    /// Covariance of [β, ρ, λ, σ²], row-major.
    cov: Vec<f64>,
}

/// Fits SAC on the prepared data: the estimate in SAR shape (β, ρ, σ², the covariance of
/// [β, ρ, σ²]) and the λ part ([`attach`] completes the model).
pub(crate) fn fit<'a>(ctx: &Ctx<'a>) -> Result<(Estimate<'a>, Extra)> {
    let d = ctx.data;
    let (n, fe, order) = (ctx.dims.n, ctx.opts.fe, ctx.opts.lag_order);
    let w2: &Weights = ctx.w;
    let ls = crate::models::dense::LeastSquares::new(&d.z, &d.names)?;
    let e0 = ls.annihilate(&d.z, &d.y);
    d.refuse_exact_fit(dot(&e0, &e0))?;
    let ed = ls.annihilate(&d.z, &d.wy);
    d.refuse_proportional_lag(&e0, &ed, n)?;
    let k = d.z.len();
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(4 + 2 * k);
    cols.push(d.y.clone());
    cols.push(d.wy.clone());
    cols.push(d.lag_of(w2, &d.y_raw, &d.y, n, fe, order));
    cols.push(d.lag_of(w2, &d.wy_raw, &d.wy, n, fe, order));
    cols.extend(d.z.iter().cloned());
    for (raw, dm) in d.z_raw.iter().zip(&d.z) {
        cols.push(d.lag_of(w2, raw, dm, n, fe, order));
    }
    let gram = Gram::new(&cols, k);
    drop(cols);
    let nt = ctx.dims.nt_eff();
    let t = ctx.dims.t_eff as f64;
    let jac2 = &ctx.jac;
    let ll = |rho: f64, lam: f64| match gram.profile(rho, lam) {
        Ok(p) if p.sse > 0.0 => -0.5 * nt * (p.sse / nt).ln() + t * ctx.jac.value(rho) + t * jac2.value(lam),
        _ => f64::NEG_INFINITY,
    };
    let score = |rho: f64, lam: f64| match gram.profile(rho, lam) {
        Ok(p) if p.sse > 0.0 => {
            let (dr, dl) = gram.dsse(rho, lam, &p);
            (
                -0.5 * nt * dr / p.sse + t * ctx.jac.deriv(rho),
                -0.5 * nt * dl / p.sse + t * jac2.deriv(lam),
            )
        }
        _ => (f64::NAN, f64::NAN),
    };
    // λ̂(ρ): inner 1-D maximisation.
    let inner = |rho: f64| ctx.maximize(|l| ll(rho, l), |l| score(rho, l).1);
    let evaluations = std::sync::atomic::AtomicUsize::new(0);
    let profile = |rho: f64| match inner(rho) {
        Ok(m) => {
            evaluations.fetch_add(m.evaluations, std::sync::atomic::Ordering::Relaxed);
            m.value
        }
        Err(_) => f64::NEG_INFINITY,
    };
    let profile_score = |rho: f64| match inner(rho) {
        Ok(m) => score(rho, m.x).0,
        Err(_) => f64::NAN,
    };
    let outer = ctx.maximize(profile, profile_score)?;
    let rho = outer.x;
    let lam = inner(rho)?.x;
    let p = gram.profile(rho, lam)?;
    d.refuse_exact_fit(p.sse)?;
    let sigma2 = p.sse / nt;
    let loglik = ll(rho, lam) - 0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0);
    let beta = p.beta;
    let (cov, resolvent) = ctx
        .clock
        .time("information", || covariance(ctx, w2, &gram, rho, lam, &beta, sigma2))?;
    // The SAR-shaped covariance of [β, ρ, σ²] (λ row and column dropped).
    let full = k + 3;
    let keep: Vec<usize> = (0..=k).chain([k + 2]).collect();
    let mut v = vec![0.0; (k + 2) * (k + 2)];
    for (a, &i) in keep.iter().enumerate() {
        for (b, &j) in keep.iter().enumerate() {
            v[a * (k + 2) + b] = cov[i * full + j];
        }
    }
    let est = Estimate {
        beta,
        rho: Some(rho),
        sigma2,
        sigma2_uncorrected: sigma2,
        loglik,
        loglik_elhorst: None,
        vcov: v,
        evaluations: evaluations.load(std::sync::atomic::Ordering::Relaxed),
        resolvent: Some(resolvent),
        trace_note: None,
    };
    Ok((est, Extra { lambda: lam, cov }))
}

/// W times a column-major N×N matrix (each column lagged).
fn lag_columns(w: &Weights, m: &[f64]) -> Vec<f64> {
    w.lag_panel(m)
}

/// (I − aW)⁻¹ as a column-major N×N matrix.
fn inverse(res: &Resolvent) -> Result<Vec<f64>> {
    let n = res.n();
    let mut id = vec![0.0; n * n];
    for i in 0..n {
        id[i * n + i] = 1.0;
    }
    res.solve_many_in_place(&mut id, n)?;
    Ok(id)
}

/// The inverse information of [β, ρ, λ, σ²] at the estimate (module doc), and the factorisation
/// of I − ρW (for the fit measures).
fn covariance<'a>(
    ctx: &Ctx<'a>,
    w2: &Weights,
    gram: &Gram,
    rho: f64,
    lam: f64,
    beta: &[f64],
    sigma2: f64,
) -> Result<(Vec<f64>, Resolvent<'a>)> {
    let d = ctx.data;
    let n = ctx.w.n();
    let k = gram.k;
    let t = ctx.dims.t_eff as f64;
    let nt = ctx.dims.nt_eff();
    crate::budget::check_f64(
        &format!("the SAC information matrix (dense N×N matrices G, H and Ġ) with N = {n}"),
        &[n, n, 4],
        "SAC standard errors without the dense matrices are not implemented yet; use fewer units",
    )?;
    let s_res = resolvent_at(ctx, rho)?;
    let b_res = Resolvent::dense(w2, lam)?;
    // G = W S⁻¹, H = W₂ B⁻¹, Ġ = B G B⁻¹ (column-major).
    let g = lag_columns(ctx.w, &inverse(&s_res)?);
    let binv = inverse(&b_res)?;
    let h = lag_columns(w2, &binv);
    let w2g = lag_columns(w2, &g);
    let bg: Vec<f64> = g.iter().zip(&w2g).map(|(a, b)| a - lam * b).collect();
    let bg_m = faer::Mat::from_fn(n, n, |i, j| bg[i + j * n]);
    let binv_m = faer::Mat::from_fn(n, n, |i, j| binv[i + j * n]);
    let gd_m = &bg_m * &binv_m;
    let gd = |i: usize, j: usize| gd_m[(i, j)];
    let at = |m: &[f64], i: usize, j: usize| m[i + j * n];
    let (mut tr_g, mut tr_gg, mut tr_gdgd, mut tr_h, mut tr_hh, mut tr_hth, mut tr_hg, mut tr_htgd) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        tr_g += at(&g, i, i);
        tr_h += at(&h, i, i);
        for j in 0..n {
            tr_gg += at(&g, i, j) * at(&g, j, i);
            tr_gdgd += gd(i, j) * gd(i, j);
            tr_hh += at(&h, i, j) * at(&h, j, i);
            tr_hth += at(&h, i, j) * at(&h, i, j);
            tr_hg += at(&h, i, j) * at(&g, j, i);
            tr_htgd += at(&h, i, j) * gd(i, j);
        }
    }
    // Ġ Z*β = B G Z̃β, per period.
    let zb = crate::models::dense::x_times(&d.z, beta);
    let gzb = s_res.apply_g(&zb)?;
    let w2gzb = w2.lag_panel(&gzb);
    let v: Vec<f64> = gzb.iter().zip(&w2gzb).map(|(a, b)| a - lam * b).collect();
    // Z*'v from the filtered columns.
    let zstar: Vec<Vec<f64>> = (0..k)
        .map(|j| {
            let raw = d.lag_of(w2, &d.z_raw[j], &d.z[j], ctx.dims.n, ctx.opts.fe, ctx.opts.lag_order);
            d.z[j].iter().zip(&raw).map(|(a, b)| a - lam * b).collect()
        })
        .collect();
    let zv: Vec<f64> = zstar.iter().map(|c| dot(c, &v)).collect();
    let zz = gram.zz(lam);
    let p = k + 3;
    let mut info = vec![0.0; p * p];
    let (ir, il, is) = (k, k + 1, k + 2);
    for i in 0..k {
        for j in 0..k {
            info[i * p + j] = zz[i * k + j] / sigma2;
        }
        info[i * p + ir] = zv[i] / sigma2;
        info[ir * p + i] = zv[i] / sigma2;
    }
    info[ir * p + ir] = t * (tr_gg + tr_gdgd) + dot(&v, &v) / sigma2;
    info[ir * p + il] = t * (tr_hg + tr_htgd);
    info[il * p + ir] = info[ir * p + il];
    info[il * p + il] = t * (tr_hh + tr_hth);
    info[ir * p + is] = t * tr_g / sigma2;
    info[is * p + ir] = info[ir * p + is];
    info[il * p + is] = t * tr_h / sigma2;
    info[is * p + il] = info[il * p + is];
    info[is * p + is] = nt / (2.0 * sigma2 * sigma2);
    let cov = inverse_spd(&info, p, "the SAC information matrix at the estimate")?;
    Ok((cov, s_res))
}

/// Completes an assembled SAC fit: the coefficient "lambda" after "rho", the covariance over
/// [β, ρ, λ] (and σ² in `cov_full`), the parameter count, and a warning when λ̂ is on the
/// bound of the search interval.
pub(crate) fn attach(fit: &mut SpatialFit, extra: Extra, interval: (f64, f64)) {
    let m = &mut fit.model;
    let k = m.coefficients.len() - 1;
    let full = k + 3;
    let se = extra.cov[(k + 1) * full + k + 1].max(0.0).sqrt();
    m.coefficients.insert(k + 1, Coef::new("lambda", extra.lambda, se));
    let p = k + 2;
    let mut vcov = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            vcov[i * p + j] = extra.cov[i * full + j];
        }
    }
    m.vcov = vcov;
    m.n_params += 1;
    m.extras.insert(
        "se_sigma2".into(),
        extra.cov[(full - 1) * full + full - 1].max(0.0).sqrt(),
    );
    let (lo, hi) = interval;
    if extra.lambda - lo < BOUND_WARN || hi - extra.lambda < BOUND_WARN {
        m.warnings.push(format!(
            "lambda = {:.8} is on the bound of the search interval ({lo:.6}, {hi:.6}); results should not be used \
             (check the model, or widen the interval)",
            extra.lambda
        ));
    }
    fit.cov_full = extra.cov;
}

/// Refuses what the fixed-effects SAC does not (yet) offer: the small-sample corrections and
/// `information: "full"` (random effects are fitted by `super::random_error`).
pub(crate) fn check(opts: &super::CheckedOptions) -> Result<()> {
    if opts.information != super::Information::Elhorst {
        return Err(Error::invalid(
            "information \"full\" is not implemented for sac; use information: \"elhorst\" (the default)",
        ));
    }
    if opts.bias_correction != super::BiasCorrection::None {
        return Err(Error::invalid(format!(
            "bias_correction \"{}\" is not implemented for sac; use bias_correction: \"none\"",
            opts.bias_correction.name()
        )));
    }
    Ok(())
}
