//! SAR and SDM with individual random effects by maximum likelihood (docs/methods.md §11.2,
//! §11.4, §11.6–§11.8, §18), and the random-effects model assembly shared by every spatial RE
//! estimator ([`assemble_random`]).
//!
//! Model `y = ρ(I_T⊗W)y + Zβ + (ι_T⊗I_N)μ + ν`, Z = [ι, X] (SAR) or [ι, X, WX_D] (SDM; the
//! intercept is never lagged), φ = σ²_μ/σ²_ν, s = θ_E² = 1/(1 + Tφ). With v = [1, −ρ, −β]
//! acting on the columns V = [y, Wy, Z] and the within / between cross-products (§11.7)
//!
//! ```text
//! C_W = Σ_t (V_t − V̄)'(V_t − V̄),   C_B = T V̄'V̄,   C(s) = C_W + s·C_B   (computed once)
//! e*'e* = v'C(s)v                  (the quasi-demeaned residual sum of squares)
//! ℓ(β, ρ, ψ, σ²) = −(NT/2) ln(2πσ²) + (N/2) ln s + T ln|I − ρW| − v'C(s)v/(2σ²),  ψ = ln φ
//! ℓc(ρ, ψ) = −(NT/2)(ln 2π + 1) − (NT/2) ln(SSE/NT) + (N/2) ln s + T ln|I − ρW|
//!            SSE = min_β v'C(s)v,  β̂ = C_ZZ⁻¹(C_Zy − ρ C_ZWy)
//! ```
//!
//! so one evaluation costs O(K³) plus one log-determinant from the fit's engine (eigenvalues,
//! or the sparse factorisation for large N). Optimiser (§18): nested bounded Brent, outer ρ on
//! the search interval (the exact eigenvalue interval by default, kept 1e−9 from its ends;
//! `interval` replaces it, e.g. splm's [−0.999, 0.999]), inner ψ ∈ [ln 1e−8, ln 1e8], each
//! polished on its analytic score (∂ℓc/∂ρ at ψ̂(ρ) by the envelope theorem).
//!
//! Covariance (§11.2, §18). Default: the inverse of minus the analytic observed Hessian of the
//! full ℓ in (β, ρ, ψ, σ²), with s' = ds/dψ = −Tφs², s'' = Tφs²(2Tφs − 1):
//!
//! ```text
//! H_ab  = −C_ab/σ²  for a, b ∈ (β, ρ) (their V columns),  H_ρρ += −T tr(G²)
//! H_aψ  = (C_B v)_a s'/σ²,  H_aσ² = −(C v)_a/σ⁴
//! H_ψψ  = −(N/2)Tφs² − v'C_B v s''/(2σ²),  H_ψσ² = v'C_B v s'/(2σ⁴),  H_σ²σ² = NT/(2σ⁴) − v'Cv/σ⁶
//! ```
//!
//! φ by the delta method (se φ = φ·se ψ). `information: "splm"` reproduces splm's
//! block-diagonal covariance: β from σ²(Z*'Z*)⁻¹ = σ² C_ZZ⁻¹ (conditional on ρ̂, φ̂), (ρ, φ) from
//! the profile information, which equals their block of the inverse full observed information.
//! The conditional GLS covariance is always kept (`Model::vcov_conditional`) for the splm
//! convention of the Hausman test (§12.3).

use super::information::{resolvent_at, traces_at};
use super::random_expected::lag_expected_covariance;
use super::{Ctx, SpatialFit, BOUND_WARN};
use crate::error::{Error, Result};
use crate::linalg::dot;
use crate::linalg::LogDet;
use crate::models::dense::{cross_products, inverse_spd, solve_spd};
use crate::models::formula::Design;
use crate::models::ml::optimize;
use crate::models::ml::ReCovariance;
use crate::models::random::{theta_of_phi, PHI_BOUNDS};
use crate::models::result::{Coef, Model, ModelKind};
use crate::models::within::{demean, unit_means, Fe};
use crate::weights::{Spectrum, Weights};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Raw estimates of a spatial random-effects model, handed to [`assemble_random`].
pub(crate) struct ReEstimate {
    /// Names of the Z columns (intercept, X, W*x).
    pub names: Vec<String>,
    /// Index in Z of each regressor's β and θ (provenance roles).
    pub beta_index: Vec<usize>,
    pub theta_index: Vec<Option<usize>>,
    /// β over the Z columns (intercept first).
    pub beta: Vec<f64>,
    /// The spatial parameters in coefficient order: [("rho", ρ)] for SAR/SDM, [("lambda", λ)]
    /// for SEM/SDEM, [("rho", ρ), ("lambda", λ)] for SAC.
    pub spatial: Vec<(&'static str, f64)>,
    /// φ̂ = σ̂²_μ/σ̂²_ν.
    pub phi: f64,
    /// σ̂²_ν.
    pub sigma2: f64,
    /// Full Gaussian log-likelihood at the optimum.
    pub loglik: f64,
    /// Covariance of (β, spatial, ψ = ln φ, σ²_ν) under `covariance`, row-major.
    pub cov: Vec<f64>,
    /// σ̂²_ν (Z'Ω⁻¹Z)⁻¹ (β conditional on the spatial parameters and φ; splm's `vcov`), row-major.
    pub cov_gls: Vec<f64>,
    /// Which covariance `cov` is, and how it was computed.
    pub covariance: ReCovariance,
    pub cov_note: String,
    /// Search interval of the spatial parameters.
    pub interval: (f64, f64),
    /// Objective evaluations.
    pub evaluations: usize,
    /// R² and corr² (docs/methods.md §11.8).
    pub r2: f64,
    pub corr2: f64,
    /// Within, between and overall R² of y and the prediction (docs/methods.md §7.6).
    pub panel_r2: crate::models::panel_r2::PanelR2,
    /// Extra notes (error structure, R² definition, ...).
    pub info: BTreeMap<String, String>,
}

/// splm's block-diagonal covariance (docs/methods.md §11.2): the β block replaced by the
/// conditional GLS covariance `cov_gls` (k×k), the β–other blocks set to zero; `cov` is q×q.
pub(crate) fn splm_block_diagonal(cov: &mut [f64], q: usize, cov_gls: &[f64], k: usize) {
    for i in 0..q {
        for j in 0..q {
            let (bi, bj) = (i < k, j < k);
            if bi && bj {
                cov[i * q + j] = cov_gls[i * k + j];
            } else if bi != bj {
                cov[i * q + j] = 0.0;
            }
        }
    }
}

/// Within and between cross-products of columns over `n` units (docs/methods.md §11.7):
/// (C_W, C_B) with C_W = Σ_t (a_t − ā)'(b_t − b̄), C_B = T ā'b̄, row-major.
pub fn within_between_cross(cols: &[Vec<f64>], n: usize) -> (Vec<f64>, Vec<f64>) {
    let t = cols.first().map_or(0, |c| c.len() / n) as f64;
    let within: Vec<Vec<f64>> = cols.iter().map(|c| demean(c, n, Fe::Individual)).collect();
    let means: Vec<Vec<f64>> = cols.iter().map(|c| unit_means(c, n)).collect();
    let cw = cross_products(&within);
    let cb = cross_products(&means).into_iter().map(|v| t * v).collect();
    (cw, cb)
}

/// The concentrated SAR-RE likelihood on the cross-products of V = [y, Wy, Z].
struct Profile {
    cw: Vec<f64>,
    cb: Vec<f64>,
    /// Columns of V.
    m: usize,
    n: f64,
    t: f64,
}

/// One evaluation of ℓc without the Jacobian term.
struct At {
    value: f64,
    /// ∂/∂ρ (without T·J'(ρ)).
    d_rho: f64,
    /// ∂/∂ψ.
    d_psi: f64,
    beta: Vec<f64>,
    sse: f64,
}

impl Profile {
    fn c(&self, s: f64) -> Vec<f64> {
        self.cw.iter().zip(&self.cb).map(|(w, b)| w + s * b).collect()
    }

    fn k(&self) -> usize {
        self.m - 2
    }

    fn at(&self, rho: f64, psi: f64) -> Option<At> {
        let (m, k) = (self.m, self.k());
        let phi = psi.exp();
        let s = 1.0 / (1.0 + self.t * phi);
        let c = self.c(s);
        let czz: Vec<f64> = (0..k * k).map(|ij| c[(2 + ij / k) * m + 2 + ij % k]).collect();
        let a: Vec<f64> = (0..k).map(|j| c[(2 + j) * m] - rho * c[(2 + j) * m + 1]).collect();
        let beta = solve_spd(&czz, k, &a, "Z*'Z*").ok()?;
        let v = self.v(rho, &beta);
        let sse = quad(&c, &v, m);
        let ssb = quad(&self.cb, &v, m);
        let cv1: f64 = (0..m).map(|j| c[m + j] * v[j]).sum();
        if sse.is_nan() || sse <= 0.0 {
            return None;
        }
        let nt = self.n * self.t;
        let value =
            -0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0) - 0.5 * nt * (sse / nt).ln() + 0.5 * self.n * s.ln();
        let ds = -self.t * phi * s * s;
        let d_psi = -0.5 * nt * ssb * ds / sse - 0.5 * self.n * self.t * phi * s;
        let d_rho = nt * cv1 / sse;
        Some(At {
            value,
            d_rho,
            d_psi,
            beta,
            sse,
        })
    }

    /// v = [1, −ρ, −β].
    fn v(&self, rho: f64, beta: &[f64]) -> Vec<f64> {
        let mut v = vec![1.0, -rho];
        v.extend(beta.iter().map(|b| -b));
        v
    }

    /// ψ̂(ρ): the inner bounded Brent over ψ ∈ [ln 1e−8, ln 1e8], polished on ∂ℓc/∂ψ.
    fn inner(&self, rho: f64) -> optimize::Maximum {
        let (lo, hi) = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
        optimize::maximize(
            |p| self.at(rho, p).map_or(f64::NAN, |a| a.value),
            |p| self.at(rho, p).map_or(f64::NAN, |a| a.d_psi),
            lo,
            hi,
            1e-10,
        )
    }
}

/// v'Cv for a row-major m×m C.
fn quad(c: &[f64], v: &[f64], m: usize) -> f64 {
    (0..m)
        .map(|i| v[i] * (0..m).map(|j| c[i * m + j] * v[j]).sum::<f64>())
        .sum()
}

/// Fits SAR-RE or SDM-RE (module documentation) on the prepared data (intercept kept, columns
/// not demeaned).
pub(crate) fn fit_lag<'a>(
    design: &Design,
    ctx: &Ctx<'a>,
    kind: ModelKind,
    engine: &dyn LogDet,
    spectrum: Option<Arc<Spectrum>>,
) -> Result<SpatialFit> {
    let d = ctx.data;
    let n = ctx.dims.n;
    let (nf, tf) = (n as f64, ctx.dims.t as f64);
    let mut cols = vec![d.y_raw.clone(), d.wy_raw.clone()];
    cols.extend(d.z_raw.iter().cloned());
    let (cw, cb) = within_between_cross(&cols, n);
    let prof = Profile {
        cw,
        cb,
        m: cols.len(),
        n: nf,
        t: tf,
    };
    // Refuse a Z without full rank up front (its cross-product at s = 1 is Z'Z).
    crate::models::dense::LeastSquares::new(&d.z_raw, &d.names)?;
    d.refuse_exact_fit(prof.at(0.0, 0.0).map_or(0.0, |a| a.sse))?;
    let evals = std::sync::atomic::AtomicUsize::new(0);
    let outer = |r: f64| {
        let m = prof.inner(r);
        evals.fetch_add(m.evaluations, std::sync::atomic::Ordering::Relaxed);
        (m.value + tf * ctx.jac.value(r), m.x)
    };
    let f = |r: f64| outer(r).0;
    let score = |r: f64| {
        let psi = outer(r).1;
        prof.at(r, psi).map_or(f64::NAN, |a| a.d_rho) + tf * ctx.jac.deriv(r)
    };
    let best = ctx.maximize(f, score)?;
    let inner = prof.inner(best.x);
    // docs/methods.md §11.7: a final 2-D Newton step from the Brent point must change ℓ by < 1e−10
    // (a few steps are taken when it does not).
    let check = {
        // The log-Jacobian by ρ (bits): one factorisation per ρ on the sparse path.
        let jac = std::cell::RefCell::new(Vec::<(u64, f64)>::new());
        let jac_at = |r: f64| {
            let hit = jac.borrow().iter().find(|(k, _)| *k == r.to_bits()).map(|(_, v)| *v);
            hit.unwrap_or_else(|| {
                let v = tf * ctx.jac.value(r);
                jac.borrow_mut().push((r.to_bits(), v));
                v
            })
        };
        let lc2 = |p: [f64; 2]| prof.at(p[0], p[1]).map_or(f64::NAN, |a| a.value) + jac_at(p[0]);
        let (lo, hi) = (ctx.interval.0 + super::BOUND_DELTA, ctx.interval.1 - super::BOUND_DELTA);
        let psi_bounds = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
        super::newton2::check(&lc2, [best.x, inner.x], [lo, psi_bounds.0], [hi, psi_bounds.1])
    };
    let [rho, psi] = check.x;
    let at = prof.at(rho, psi).ok_or_else(|| {
        Error::numeric(format!(
            "{} random effects: the likelihood is not finite at the optimum (rho = {rho}, phi = {})",
            kind.name(),
            psi.exp()
        ))
    })?;
    d.refuse_exact_fit(at.sse)?;
    let nt = nf * tf;
    let sigma2 = at.sse / nt;
    let phi = psi.exp();
    let loglik = at.value + tf * ctx.jac.value(rho);
    let beta = at.beta.clone();
    // Observed Hessian of the full ℓ in (β, ρ, ψ, σ²) (module documentation).
    let (m, k) = (prof.m, prof.k());
    let s = 1.0 / (1.0 + tf * phi);
    let c = prof.c(s);
    let v = prof.v(rho, &beta);
    let cv: Vec<f64> = (0..m).map(|i| (0..m).map(|j| c[i * m + j] * v[j]).sum()).collect();
    let cbv: Vec<f64> = (0..m)
        .map(|i| (0..m).map(|j| prof.cb[i * m + j] * v[j]).sum())
        .collect();
    let ssb = dot(&v, &cbv);
    let q = dot(&v, &cv);
    let ds = -tf * phi * s * s;
    let dds = tf * phi * s * s * (2.0 * tf * phi * s - 1.0);
    let res = resolvent_at(ctx, rho)?;
    let (tr, trace_note) = traces_at(ctx, &res)?;
    let p = k + 3;
    // Column in V of parameter a ∈ (β, ρ).
    let col = |a: usize| if a < k { 2 + a } else { 1 };
    let s2 = sigma2;
    let mut h = vec![0.0; p * p];
    for a in 0..=k {
        for b in 0..=k {
            h[a * p + b] = -c[col(a) * m + col(b)] / s2;
        }
        h[a * p + k + 1] = cbv[col(a)] * ds / s2;
        h[a * p + k + 2] = -cv[col(a)] / (s2 * s2);
    }
    h[k * p + k] -= tf * tr.gg;
    h[(k + 1) * p + k + 1] = -0.5 * nf * tf * phi * s * s - ssb * dds / (2.0 * s2);
    h[(k + 1) * p + k + 2] = ssb * ds / (2.0 * s2 * s2);
    h[(k + 2) * p + k + 2] = nt / (2.0 * s2 * s2) - q / (s2 * s2 * s2);
    for a in 0..p {
        for b in 0..a {
            h[a * p + b] = h[b * p + a];
        }
    }
    let neg: Vec<f64> = h.iter().map(|x| -x).collect();
    let mut cov_observed = inverse_spd(&neg, p, "the observed information of the random-effects likelihood")?;
    let czz: Vec<f64> = (0..k * k).map(|ij| c[(2 + ij / k) * m + 2 + ij % k]).collect();
    let cov_gls: Vec<f64> = inverse_spd(&czz, k, "Z*'Z*")?.into_iter().map(|x| x * sigma2).collect();
    // Fit measures (§11.8): structural residual minus the BLUP (1 − θ_E²)ū_i; corr² of y and
    // the reduced-form fit (I_T ⊗ (I − ρW))⁻¹Zβ.
    let mut u = d.y_raw.clone();
    u.iter_mut().zip(&d.wy_raw).for_each(|(a, b)| *a -= rho * b);
    let mut zb = vec![0.0; u.len()];
    for (cz, b) in d.z_raw.iter().zip(&beta) {
        zb.iter_mut().zip(cz).for_each(|(a, x)| *a += b * x);
    }
    u.iter_mut().zip(&zb).for_each(|(a, b)| *a -= b);
    let yhat = res.solve_panel(&zb)?;
    let (r2, corr2) = re_fit_measures(&d.y_raw, &u, &yhat, n, s);
    let panel_r2 = crate::models::panel_r2::panel_r2(&d.y_raw, &yhat, n);
    if ctx.opts.covariance == ReCovariance::Expected {
        // Expected information (docs/methods.md §11.2): cross products of [Z, ḠZβ].
        let mut zg = d.z_raw.clone();
        zg.push(ctx.w.lag_panel(&yhat));
        let (cwg, cbg) = within_between_cross(&zg, n);
        cov_observed = lag_expected_covariance(&cwg, &cbg, &tr, s, (n, ctx.dims.t), phi, sigma2)?;
    }
    let mut info = BTreeMap::new();
    if let Some(note) = trace_note {
        info.insert("traces".into(), note);
    }
    info.insert("convergence".into(), check.describe("nested bounded Brent"));
    info.insert(
        "r2".into(),
        "R2 = 1 - r'r/SST, r = y - rho Wy - Zb - (1 - theta_e^2) mean_i(u); corr2 = corr(y, fitted)^2".into(),
    );
    let covariance = ctx.opts.covariance;
    let mut cov = cov_observed;
    let cov_note = match covariance {
        ReCovariance::Splm => {
            splm_block_diagonal(&mut cov, p, &cov_gls, k);
            "beta sigma2 (Z*'Z*)^-1 conditional on rho and phi; (rho, phi, sigma2) from the observed information \
             (equal to the profile information); block-diagonal"
        }
        ReCovariance::Expected => {
            "expected information (docs/methods.md §11.2) in (beta, rho, phi, sigma2); sigma2_mu by the delta \
             method"
        }
        ReCovariance::Observed => {
            "analytic observed information of the full likelihood in (beta, rho, ln phi, sigma2); phi and sigma2_mu \
             by the delta method"
        }
    };
    drop(res);
    let est = ReEstimate {
        names: d.names.clone(),
        beta_index: d.beta_index.clone(),
        theta_index: d.theta_index.clone(),
        beta,
        spatial: vec![("rho", rho)],
        phi,
        sigma2,
        loglik,
        cov,
        cov_gls,
        covariance,
        cov_note: cov_note.to_string(),
        interval: ctx.interval,
        evaluations: evals.load(std::sync::atomic::Ordering::Relaxed) + inner.evaluations,
        r2,
        corr2,
        panel_r2,
        info,
    };
    let mut fit = assemble_random(design, ctx.w, kind, est, engine, spectrum)?;
    fit.model.warnings.extend(check.warning("rho"));
    Ok(fit)
}

/// R² = 1 − r'r/Σ(y − ȳ)² with r = u − (1 − s)ū_i (u the structural residual, s = θ_E², the
/// BLUP of μ_i subtracted), and corr² of y with `yhat`.
pub(crate) fn re_fit_measures(y: &[f64], u: &[f64], yhat: &[f64], n: usize, s: f64) -> (f64, f64) {
    let ub = unit_means(u, n);
    let r: Vec<f64> = u.iter().enumerate().map(|(i, v)| v - (1.0 - s) * ub[i % n]).collect();
    let nt = y.len() as f64;
    let ybar = y.iter().sum::<f64>() / nt;
    let sst: f64 = y.iter().map(|v| (v - ybar).powi(2)).sum();
    let r2 = 1.0 - dot(&r, &r) / sst;
    let hbar = yhat.iter().sum::<f64>() / nt;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in y.iter().zip(yhat) {
        sxy += (a - ybar) * (b - hbar);
        sxx += (a - ybar) * (a - ybar);
        syy += (b - hbar) * (b - hbar);
    }
    (r2, sxy * sxy / (sxx * syy))
}

/// The result of a spatial random-effects fit, shared by every spatial RE estimator (SAR-RE,
/// SDM-RE, SEM-RE, SDEM-RE and SAC-RE; docs/methods.md §11.6, §11.8, §18): the coefficient
/// table [Z columns (intercept, X, W*x), the spatial parameters (`rho`, `lambda`), `phi`] with
/// the covariance the estimator computed in (β, spatial, ψ = ln φ, σ²_ν) mapped to φ by the
/// delta method (se φ = φ·se ψ), σ²_μ = φσ²_ν with its delta-method standard error, the extras
/// `sigma2_idios`, `sigma2_mu`, `phi`, `theta` (θ_plm), `theta_e` (θ_E = (1 + Tφ)^{−1/2}),
/// `psi`, `se_sigma2`, `se_sigma2_mu`, the conditional GLS covariance of β
/// (`Model::vcov_conditional`, splm's `vcov`), the provenance roles (so `effects`, `compare` and
/// `hausman` work; the first spatial parameter is the recorded one) and AIC/BIC with
/// k_Z + (spatial parameters) + 2 parameters.
pub(crate) fn assemble_random(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    est: ReEstimate,
    engine: &dyn LogDet,
    spectrum: Option<Arc<Spectrum>>,
) -> Result<SpatialFit> {
    let k = est.names.len();
    let ns = est.spatial.len();
    let p = k + ns + 1; // β, spatial, phi
    let q = p + 1; // + σ²
    let (ipsi, is2) = (k + ns, k + ns + 1);
    if est.cov.len() != q * q || est.cov_gls.len() != k * k || est.beta.len() != k {
        return Err(Error::numeric(format!(
            "{} random effects: inconsistent covariance dimensions (internal error)",
            kind.name()
        )));
    }
    let t = design.t;
    let phi = est.phi;
    // Covariance of (β, spatial, φ, σ²): the Jacobian of ψ → φ is φ.
    let scale = |i: usize| if i == ipsi { phi } else { 1.0 };
    let cov_full: Vec<f64> = (0..q * q)
        .map(|ij| {
            let (i, j) = (ij / q, ij % q);
            est.cov[ij] * scale(i) * scale(j)
        })
        .collect();
    let se = |i: usize| cov_full[i * q + i].max(0.0).sqrt();
    let mut coefficients: Vec<Coef> = est
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| Coef::new(name.clone(), est.beta[i], se(i)))
        .collect();
    for (j, (param, value)) in est.spatial.iter().enumerate() {
        coefficients.push(Coef::new(*param, *value, se(k + j)));
    }
    coefficients.push(Coef::new("phi", phi, se(ipsi)));
    let mut vcov = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            vcov[i * p + j] = cov_full[i * q + j];
        }
    }
    let mut warnings = Vec::new();
    let (lo, hi) = est.interval;
    for (param, value) in &est.spatial {
        if value - lo < BOUND_WARN || hi - value < BOUND_WARN {
            warnings.push(format!(
                "{param} = {value:.8} is on the bound of the search interval ({lo:.6}, {hi:.6}); results should not \
                 be used (check the model, or widen the interval)"
            ));
        }
    }
    let psi = phi.ln();
    if psi - PHI_BOUNDS.0.ln() < 1e-6 {
        warnings.push(
            "φ sits at its lower bound 1e-8: the individual effects have no variance (the pooled model is preferred; \
             see the BSK LM tests, bsk_tests)"
                .to_string(),
        );
    } else if PHI_BOUNDS.1.ln() - psi < 1e-6 {
        warnings.push("φ sits at its upper bound 1e8".to_string());
    }
    // σ²_μ = φσ²_ν by the delta method over (φ, σ²).
    let sigma2_mu = phi * est.sigma2;
    let (vpp, vps, vss) = (
        cov_full[ipsi * q + ipsi],
        cov_full[ipsi * q + is2],
        cov_full[is2 * q + is2],
    );
    let se_mu = (est.sigma2 * est.sigma2 * vpp + 2.0 * phi * est.sigma2 * vps + phi * phi * vss)
        .max(0.0)
        .sqrt();
    let theta = theta_of_phi(phi, t);
    let mut extras = BTreeMap::new();
    for (key, v) in [
        ("sigma2_idios", est.sigma2),
        ("sigma2_mu", sigma2_mu),
        ("phi", phi),
        ("theta", theta),
        ("theta_e", 1.0 - theta),
        ("psi", psi),
        ("se_sigma2", se(is2)),
        ("se_sigma2_mu", se_mu),
        ("interval_lo", lo),
        ("interval_hi", hi),
        ("evaluations", est.evaluations as f64),
    ] {
        extras.insert(key.to_string(), v);
    }
    est.panel_r2.record(&mut extras);
    let mut info = est.info;
    info.insert("fe".into(), "random (individual)".into());
    info.insert("lndet".into(), engine.method().to_string());
    info.insert("information".into(), est.covariance.name().to_string());
    info.insert(
        "covariance".into(),
        format!("{}: {}", est.covariance.name(), est.cov_note),
    );
    info.insert("interval".into(), format!("({lo:.6}, {hi:.6})"));
    info.insert(
        "sigma2".into(),
        "sigma2_idios (idiosyncratic variance, ML e*'e*/NT); sigma2_mu = phi * sigma2_idios".into(),
    );
    if let Some(note) = engine.error_note() {
        info.insert("lndet_note".into(), note);
    }
    let model = Model {
        kind,
        fe: Fe::Random,
        depvar: design.depvar.clone(),
        n: design.n,
        t,
        coefficients,
        vcov,
        sigma2: est.sigma2,
        loglik: est.loglik,
        r2: est.r2,
        corr2: est.corr2,
        n_params: p + 1,
        extras,
        vcov_conditional: Some(est.cov_gls),
        timings: Default::default(),
        info,
        warnings,
        provenance: design.provenance(
            est.beta_index.clone(),
            est.theta_index.clone(),
            Some(k),
            Some(crate::models::WeightsFingerprint::of(w)),
        ),
    };
    Ok(SpatialFit {
        model,
        kind,
        regressors: design.names.clone(),
        beta_index: est.beta_index,
        theta_index: est.theta_index,
        rho_index: Some(k),
        cov_full,
        spectrum,
        power_traces: None,
        n: design.n,
        interval: est.interval,
        dynamic: None,
    })
}
