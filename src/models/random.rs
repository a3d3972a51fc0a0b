//! Non-spatial panel regression with individual random effects (docs/methods.md §11.1):
//! Swamy–Arora FGLS exactly as plm `plm(model = "random")`, and maximum likelihood as splm
//! `spml(model = "random", lag = FALSE, spatial.error = "none")` (`REmod`).
//!
//! Model `y_it = z_it'β + μ_i + ν_it`, z_it = (1, x_it), Cov(u) = σ²_ν Ω,
//! Ω = (I_T + φJ_T) ⊗ I_N, φ = σ²_μ/σ²_ν. Both estimators are OLS on quasi-demeaned data
//!
//! ```text
//! z* = z − θ z̄_i·,   θ = θ_plm = 1 − θ_E,   θ_E = (1 + Tφ)^{-1/2}
//! ```
//!
//! computed unit by unit (never an NT×NT matrix). They differ in how φ is found:
//!
//! ```text
//! Swamy–Arora:  σ̂²_ν = e_W'e_W/(NT − N − K)            (within regression, K time-varying slopes)
//!               σ̂²_1 = T Σ_i ê_B,i²/(N − K − 1)         (between regression on the unit means)
//!               σ̂²_μ = max(0, (σ̂²_1 − σ̂²_ν)/T),  θ = 1 − (1 + Tσ̂²_μ/σ̂²_ν)^{-1/2}
//!               Var(β̂) = s²(Z*'Z*)⁻¹,  s² = e*'e*/(NT − K − 1)
//! ML:           ℓc(φ) = −(NT/2)(ln 2π + 1) − (NT/2) ln σ̂²_ν(φ) − (N/2) ln(1 + Tφ),
//!               σ̂²_ν(φ) = e*'e*/NT, maximised over ψ = ln φ ∈ [ln 1e−8, ln 1e8] (bounded Brent,
//!               polished on the analytic score);  Var(β̂) = σ̂²_ν (Z'Ω⁻¹Z)⁻¹ = σ̂²_ν (Z*'Z*)⁻¹
//!               se(φ̂) = φ̂·se(ψ̂), se(ψ̂) = (−∂²ℓc/∂ψ²)^{-1/2} (central difference of the
//!               analytic score: the observed profile information, as splm's `fdHess`)
//! ```
//!
//! Residual sums of squares split into a within and a between part: with e = y − Zβ̂ (raw
//! residuals) and ē_i their unit means, SSW = Σ(e_it − ē_i)², SSB = T Σ ē_i², and
//! e*'e* = SSW + θ_E² SSB (quasi-demeaned with θ_plm). The full Gaussian log-likelihood is
//! ℓ = −(NT/2) ln(2πσ²_ν) − (N/2) ln(1 + Tφ) − e*'e*/(2σ²_ν).

use super::dense::{dot, LeastSquares};
use super::formula::Design;
use super::ml::optimize;
use super::ols::demean_design;
use super::result::{Coef, Model, ModelKind};
use super::within::{demean, unit_means, Fe};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// Bounds of φ in the ML search (docs/methods.md §18: ψ = ln φ ∈ [ln 1e−8, ln 1e8]).
pub const PHI_BOUNDS: (f64, f64) = (1e-8, 1e8);

/// Step of the central difference of the score that gives the observed information of ψ.
const PSI_STEP: f64 = 1e-4;

/// How the variance components are estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReMethod {
    /// Swamy–Arora moments as plm (docs/methods.md §11.1(a); default).
    #[default]
    SwamyArora,
    /// Maximum likelihood as splm `REmod` (docs/methods.md §11.1(b)).
    Ml,
}

impl ReMethod {
    /// The option value naming the method.
    pub fn name(self) -> &'static str {
        match self {
            ReMethod::SwamyArora => "swar",
            ReMethod::Ml => "ml",
        }
    }
}

/// A fitted random-effects model and what the tests need.
#[derive(Debug, Clone)]
pub struct ReFit {
    /// The printable model: `(intercept)`, the slopes and (ML) `phi`; `fe` is [`Fe::Random`].
    pub model: Model,
    /// How φ was estimated.
    pub method: ReMethod,
    /// σ̂²_ν (idiosyncratic variance).
    pub sigma2_idios: f64,
    /// σ̂²_μ (variance of the individual effects).
    pub sigma2_mu: f64,
    /// φ̂ = σ̂²_μ/σ̂²_ν.
    pub phi: f64,
    /// θ_plm = 1 − (1 + Tφ̂)^{-1/2}.
    pub theta: f64,
    /// β̂ (intercept first, then the slopes in formula order).
    pub beta: Vec<f64>,
    /// Raw residuals y − Zβ̂ (time-slow stacked).
    pub resid: Vec<f64>,
}

/// z − θ z̄_i· for a time-slow stacked NT-vector over `n` units.
pub fn quasi_demean(x: &[f64], n: usize, theta: f64) -> Vec<f64> {
    let m = unit_means(x, n);
    let mut out = x.to_vec();
    for chunk in out.chunks_mut(n) {
        chunk.iter_mut().zip(&m).for_each(|(v, mi)| *v -= theta * mi);
    }
    out
}

/// (SSW, SSB) of residuals e: Σ(e_it − ē_i)² and T Σ ē_i².
fn within_between(e: &[f64], n: usize) -> (f64, f64) {
    let t = e.len() / n;
    let eb = unit_means(e, n);
    let ssb = t as f64 * dot(&eb, &eb);
    let ew = demean(e, n, Fe::Individual);
    (dot(&ew, &ew), ssb)
}

/// OLS of the data quasi-demeaned with θ_plm = `theta`.
struct Gls {
    /// β̂.
    b: Vec<f64>,
    /// Raw residuals y − Zβ̂.
    e: Vec<f64>,
    /// The least squares of Z*.
    ls: LeastSquares,
    /// y*.
    ystar: Vec<f64>,
    /// e*'e* (quasi-demeaned residuals).
    sse_star: f64,
}

fn gls(z: &[Vec<f64>], names: &[String], y: &[f64], n: usize, theta: f64) -> Result<Gls> {
    let zs: Vec<Vec<f64>> = z.iter().map(|c| quasi_demean(c, n, theta)).collect();
    let ystar = quasi_demean(y, n, theta);
    let ls = LeastSquares::new(&zs, names)?;
    let b = ls.coefficients(&ystar);
    let fit = super::dense::x_times(z, &b);
    let e: Vec<f64> = y.iter().zip(&fit).map(|(a, f)| a - f).collect();
    let es = quasi_demean(&e, n, theta);
    Ok(Gls {
        b,
        e,
        ls,
        sse_star: dot(&es, &es),
        ystar,
    })
}

/// θ_plm of φ: 1 − (1 + Tφ)^{-1/2}.
pub fn theta_of_phi(phi: f64, t: usize) -> f64 {
    1.0 - (1.0 + t as f64 * phi).powf(-0.5)
}

/// The full Gaussian log-likelihood of the random-effects model at residual parts (SSW, SSB),
/// φ and σ²_ν: −(NT/2) ln(2πσ²_ν) − (N/2) ln(1 + Tφ) − (SSW + SSB/(1 + Tφ))/(2σ²_ν).
pub fn loglik_re(ssw: f64, ssb: f64, phi: f64, sigma2: f64, n: usize, t: usize) -> f64 {
    let (nf, tf) = (n as f64, t as f64);
    let a = 1.0 + tf * phi;
    -0.5 * nf * tf * (2.0 * std::f64::consts::PI * sigma2).ln() - 0.5 * nf * a.ln() - (ssw + ssb / a) / (2.0 * sigma2)
}

/// [`random_effects`] with fixed period dummies inside the random-effects model when
/// `time_dummies` gives their label (e.g. `factor(year)`; [`super::time_dummies`],
/// docs/methods.md §12.1): the fit of the design with the dummies appended (the same numbers as
/// the formula term `factor(year)`), the dummies without a role, and the provenance of `design`
/// marked with the label, so that the Hausman test pairs it with two-way fixed effects.
pub fn random_effects_with(design: &Design, method: ReMethod, time_dummies: Option<&str>) -> Result<ReFit> {
    let Some(label) = time_dummies else {
        return random_effects(design, method);
    };
    let aug = super::time_dummies::with_time_dummies(design, label)?;
    let mut fit = random_effects(&aug, method)?;
    let k = design.x.len();
    let mut prov = design.provenance((1..=k).collect(), vec![None; k], None, None);
    prov.time_dummies = Some(label.to_string());
    prov.scores = fit.model.provenance.scores.take();
    fit.model.provenance = prov;
    fit.model.info.insert(
        "time_dummies".into(),
        format!(
            "{label}: {} fixed period dummies (first period dropped)",
            aug.x.len() - k
        ),
    );
    Ok(fit)
}

/// Fits `design` with individual random effects by `method` (see the module documentation).
/// The panel must be balanced with T ≥ 2 (a `Design` is N·T by construction); regressors that
/// are zero, or collinear with the intercept or each other, are errors naming them.
pub fn random_effects(design: &Design, method: ReMethod) -> Result<ReFit> {
    let (n, t) = (design.n, design.t);
    if !design.intercept {
        return Err(Error::invalid(
            "fe: \"random\" keeps the intercept (E[μ_i] is absorbed in it); drop '- 1' / '+ 0' from the formula",
        ));
    }
    if t < 2 {
        return Err(Error::invalid(format!(
            "fe: \"random\" needs a panel with T ≥ 2 periods but the data have T = {t}; use fe: \"none\" for a \
             cross-section"
        )));
    }
    if n < 2 || design.nobs() != n * t {
        return Err(Error::data(format!(
            "fe: \"random\" needs a balanced panel of N ≥ 2 units × T periods ({} observations for N = {n}, T = {t})",
            design.nobs()
        )));
    }
    let d = demean_design(design, Fe::None)?;
    match method {
        ReMethod::SwamyArora => swamy_arora(design, &d.names, &d.x),
        ReMethod::Ml => maximum_likelihood(design, &d.names, &d.x),
    }
}

/// Swamy–Arora variance components (docs/methods.md §11.1(a)): (σ̂²_ν, σ̂²_1).
fn swamy_arora_components(design: &Design, z: &[Vec<f64>], names: &[String]) -> Result<(f64, f64)> {
    let (n, t) = (design.n, design.t);
    let nt = n * t;
    // Within regression on the time-varying regressors (a time-invariant one is swept out, as
    // plm drops it from the within fit).
    let yw = demean(&design.y, n, Fe::Individual);
    let mut xw = Vec::new();
    let mut wnames = Vec::new();
    for (c, name) in design.x.iter().zip(&design.names) {
        let dcol = demean(c, n, Fe::Individual);
        if dot(&dcol, &dcol).sqrt() > super::ols::ABSORBED_TOL * dot(c, c).sqrt() {
            xw.push(dcol);
            wnames.push(name.clone());
        }
    }
    let kw = xw.len();
    let df_w = nt as i64 - n as i64 - kw as i64;
    if df_w <= 0 {
        return Err(Error::data(format!(
            "random effects (Swamy–Arora): the within regression has {nt} observations for {n} unit effects and \
             {kw} slope(s), no residual degrees of freedom; use fewer regressors"
        )));
    }
    let sse_w = if xw.is_empty() {
        dot(&yw, &yw)
    } else {
        let ls = LeastSquares::new(&xw, &wnames)?;
        let e = ls.annihilate(&xw, &yw);
        dot(&e, &e)
    };
    let sigma2_nu = sse_w / df_w as f64;
    // Between regression on the unit means (intercept and every regressor).
    let kb = z
        .iter()
        .enumerate()
        .filter(|(j, c)| *j == 0 || !constant(&unit_means(c, n)))
        .count();
    if n <= kb {
        return Err(Error::data(format!(
            "random effects (Swamy–Arora): the between regression on the {n} unit means has {kb} coefficients \
             (intercept and {} slope(s)), so σ²_μ is not identified; it needs more units than coefficients \
             (use method: \"ml\" or fewer regressors)",
            kb - 1
        )));
    }
    // Columns whose unit means are the same for every unit (e.g. period dummies, whose means are
    // all 1/T) are aliased with the intercept in the between regression; plm drops aliased
    // coefficients there, and so does this (they do not count in N − K − 1).
    let (zb, bnames): (Vec<Vec<f64>>, Vec<String>) = z
        .iter()
        .zip(names)
        .enumerate()
        .map(|(j, (c, name))| (j, unit_means(c, n), name.clone()))
        .filter(|(j, m, _)| *j == 0 || !constant(m))
        .map(|(_, m, name)| (m, name))
        .unzip();
    let yb = unit_means(&design.y, n);
    let ls = LeastSquares::new(&zb, &bnames)?;
    let eb = ls.annihilate(&zb, &yb);
    let sigma2_1 = t as f64 * dot(&eb, &eb) / (n - kb) as f64;
    Ok((sigma2_nu, sigma2_1))
}

/// True when every entry of `m` equals the first up to 1e−12 relative (a column aliased with
/// the intercept).
fn constant(m: &[f64]) -> bool {
    let (lo, hi) = m
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    hi - lo <= 1e-12 * lo.abs().max(hi.abs())
}

fn swamy_arora(design: &Design, names: &[String], z: &[Vec<f64>]) -> Result<ReFit> {
    let (n, t) = (design.n, design.t);
    let nt = n * t;
    let (sigma2_nu, sigma2_1) = swamy_arora_components(design, z, names)?;
    if sigma2_nu.is_nan() || sigma2_nu <= 0.0 {
        return Err(Error::data(format!(
            "random effects (Swamy–Arora): the within residual variance is {sigma2_nu:e}; the regressors reproduce \
             '{}' within units",
            design.depvar
        )));
    }
    let mut warnings = Vec::new();
    let raw_mu = (sigma2_1 - sigma2_nu) / t as f64;
    let sigma2_mu = if raw_mu < 0.0 {
        warnings.push(format!(
            "the Swamy–Arora estimate of σ²_μ is negative ({raw_mu:.6e}); it is set to 0 (θ = 0: pooled OLS)"
        ));
        0.0
    } else {
        raw_mu
    };
    let phi = sigma2_mu / sigma2_nu;
    let theta = theta_of_phi(phi, t);
    let g = gls(z, names, &design.y, n, theta)?;
    let k = z.len();
    let df = nt as i64 - k as i64;
    if df <= 0 {
        return Err(Error::data(format!(
            "{nt} observations leave no residual degrees of freedom for {k} coefficients"
        )));
    }
    let s2 = g.sse_star / df as f64;
    let vcov: Vec<f64> = g.ls.xtx_inv().iter().map(|v| v * s2).collect();
    let coefficients: Vec<Coef> = names
        .iter()
        .enumerate()
        .map(|(j, name)| Coef::new(name.clone(), g.b[j], vcov[j * k + j].sqrt()))
        .collect();
    let (ssw, ssb) = within_between(&g.e, n);
    let loglik = loglik_re(ssw, ssb, phi, sigma2_nu, n, t);
    let mut extras = BTreeMap::new();
    extras.insert("sigma2_gls".into(), s2);
    extras.insert("sigma2_1".into(), sigma2_1);
    extras.insert("df_resid".into(), df as f64);
    let mut info = BTreeMap::new();
    info.insert(
        "random_method".into(),
        "swar: Swamy-Arora (plm): within divisor NT-N-K, between divisor N-K-1".into(),
    );
    info.insert(
        "se".into(),
        "s2 (Z*'Z*)^-1, s2 = e*'e*/(NT-K-1) of the quasi-demeaned regression (plm)".into(),
    );
    info.insert(
        "loglik".into(),
        "full Gaussian log-likelihood at the Swamy-Arora estimates".into(),
    );
    let fit = Parts {
        coefficients,
        vcov,
        sigma2_nu,
        sigma2_mu,
        phi,
        theta,
        loglik,
        extras,
        info,
        warnings,
    };
    Ok(finish(design, z, ReMethod::SwamyArora, fit, g))
}

/// What the two estimators hand to [`finish`].
struct Parts {
    coefficients: Vec<Coef>,
    vcov: Vec<f64>,
    sigma2_nu: f64,
    sigma2_mu: f64,
    phi: f64,
    theta: f64,
    loglik: f64,
    extras: BTreeMap<String, f64>,
    info: BTreeMap<String, String>,
    warnings: Vec<String>,
}

fn finish(design: &Design, z: &[Vec<f64>], method: ReMethod, mut p: Parts, g: Gls) -> ReFit {
    let (n, t) = (design.n, design.t);
    let k_slopes = design.x.len();
    // R² of the quasi-demeaned regression (plm) and corr²(y, Zβ̂).
    let ystar_mean = g.ystar.iter().sum::<f64>() / g.ystar.len() as f64;
    let tss_star: f64 = g.ystar.iter().map(|v| (v - ystar_mean).powi(2)).sum();
    let r2 = 1.0 - g.sse_star / tss_star;
    let fitted: Vec<f64> = design.y.iter().zip(&g.e).map(|(y, e)| y - e).collect();
    let (yc, fc) = (centered(&design.y), centered(&fitted));
    let corr2 = dot(&yc, &fc).powi(2) / (dot(&yc, &yc) * dot(&fc, &fc));
    super::panel_r2::panel_r2(&design.y, &fitted, n).record(&mut p.extras);
    for (key, v) in [
        ("sigma2_idios", p.sigma2_nu),
        ("sigma2_mu", p.sigma2_mu),
        ("phi", p.phi),
        ("theta", p.theta),
        ("theta_e", 1.0 - p.theta),
    ] {
        p.extras.insert(key.into(), v);
    }
    p.info.insert("fe".into(), "random (individual)".into());
    p.info.insert("method".into(), method.name().into());
    p.info.insert(
        "sigma2".into(),
        "sigma2_idios (idiosyncratic variance); sigma2_mu = phi * sigma2_idios".into(),
    );
    p.info.insert(
        "r2".into(),
        "R2 of the quasi-demeaned regression (plm); corr2 = corr(y, Zb)^2".into(),
    );
    let k = 1 + k_slopes;
    let model = Model {
        kind: ModelKind::Ols,
        fe: Fe::Random,
        depvar: design.depvar.clone(),
        n,
        t,
        coefficients: p.coefficients,
        vcov: p.vcov,
        sigma2: p.sigma2_nu,
        loglik: p.loglik,
        r2,
        corr2,
        n_params: k + 2,
        extras: p.extras,
        vcov_conditional: None,
        timings: Default::default(),
        info: p.info,
        warnings: p.warnings,
        provenance: design.provenance((1..=k_slopes).collect(), vec![None; k_slopes], None, None),
    };
    let mut model = model;
    // Per-unit GLS scores Z*_i'e*_i with bread (Z*'Z*)⁻¹ (docs/methods.md §12.4).
    let zs: Vec<Vec<f64>> = z.iter().map(|c| quasi_demean(c, n, p.theta)).collect();
    let es = quasi_demean(&g.e, n, p.theta);
    model.provenance.scores = Some(std::sync::Arc::new(super::unit_scores::least_squares(
        &zs,
        &es,
        n,
        g.ls.xtx_inv(),
        (0..k).map(Some).collect(),
    )));
    ReFit {
        model,
        method,
        sigma2_idios: p.sigma2_nu,
        sigma2_mu: p.sigma2_mu,
        phi: p.phi,
        theta: p.theta,
        beta: g.b,
        resid: g.e,
    }
}

fn centered(v: &[f64]) -> Vec<f64> {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|a| a - m).collect()
}

/// ML of φ (docs/methods.md §11.1(b)).
fn maximum_likelihood(design: &Design, names: &[String], z: &[Vec<f64>]) -> Result<ReFit> {
    let (n, t) = (design.n, design.t);
    let (nf, tf) = (n as f64, t as f64);
    let nt = nf * tf;
    let y = &design.y;
    // ℓc and its ψ-derivative at ψ; NaN when the GLS step fails.
    let at = |psi: f64| -> Option<(f64, f64)> {
        let phi = psi.exp();
        let a = 1.0 + tf * phi;
        let g = gls(z, names, y, n, theta_of_phi(phi, t)).ok()?;
        let (ssw, ssb) = within_between(&g.e, n);
        let s = ssw + ssb / a;
        let ll = -0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0) - 0.5 * nt * (s / nt).ln() - 0.5 * nf * a.ln();
        let dphi = 0.5 * nt * tf * ssb / (a * a * s) - 0.5 * nt / a;
        Some((ll, phi * dphi))
    };
    let f = |psi: f64| at(psi).map_or(f64::NAN, |v| v.0);
    let score = |psi: f64| at(psi).map_or(f64::NAN, |v| v.1);
    let (lo, hi) = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
    let m = optimize::maximize(f, score, lo, hi, 1e-12);
    crate::interrupt::check()?;
    if !m.value.is_finite() {
        return Err(Error::numeric(
            "random effects (ML): the log-likelihood is not finite anywhere in φ ∈ [1e-8, 1e8]",
        ));
    }
    let psi = m.x;
    let phi = psi.exp();
    let theta = theta_of_phi(phi, t);
    let g = gls(z, names, y, n, theta)?;
    let (ssw, ssb) = within_between(&g.e, n);
    let a = 1.0 + tf * phi;
    let sigma2 = (ssw + ssb / a) / nt;
    let loglik = loglik_re(ssw, ssb, phi, sigma2, n, t);
    let mut warnings = Vec::new();
    let on_bound = psi - lo < 1e-6 || hi - psi < 1e-6;
    // Observed information of ψ: minus the central difference of the analytic score.
    let h = PSI_STEP * psi.abs().max(1.0);
    let info_psi = -(score(psi + h) - score(psi - h)) / (2.0 * h);
    let se_phi = if on_bound || info_psi.is_nan() || info_psi <= 0.0 {
        warnings.push(if psi - lo < 1e-6 {
            "φ sits at its lower bound 1e-8: the individual effects have no variance (the pooled model is \
             preferred); se(phi) is not available"
                .to_string()
        } else if hi - psi < 1e-6 {
            "φ sits at its upper bound 1e8; se(phi) is not available".to_string()
        } else {
            "the profile log-likelihood is not concave in ln φ at the maximum; se(phi) is not available".to_string()
        });
        f64::NAN
    } else {
        phi / info_psi.sqrt()
    };
    let k = z.len();
    let p = k + 1;
    let xtx_inv = g.ls.xtx_inv();
    let mut vcov = vec![0.0; p * p];
    for i in 0..k {
        for j in 0..k {
            vcov[i * p + j] = sigma2 * xtx_inv[i * k + j];
        }
    }
    vcov[p * p - 1] = se_phi * se_phi;
    let mut coefficients: Vec<Coef> = names
        .iter()
        .enumerate()
        .map(|(j, name)| Coef::new(name.clone(), g.b[j], vcov[j * p + j].sqrt()))
        .collect();
    coefficients.push(Coef::new("phi", phi, se_phi));
    let mut extras = BTreeMap::new();
    extras.insert("psi".into(), psi);
    extras.insert("se_phi".into(), se_phi);
    extras.insert("evaluations".into(), m.evaluations as f64);
    let mut info = BTreeMap::new();
    info.insert(
        "random_method".into(),
        "ml: maximum likelihood (splm REmod), psi = ln(phi) by bounded Brent on [ln 1e-8, ln 1e8]".into(),
    );
    info.insert(
        "se".into(),
        "beta: sigma2 (Z'Omega^-1 Z)^-1 at phi (splm); phi: observed profile information of ln(phi) \
         (central difference of the analytic score), delta method"
            .into(),
    );
    let fit = Parts {
        coefficients,
        vcov,
        sigma2_nu: sigma2,
        sigma2_mu: phi * sigma2,
        phi,
        theta,
        loglik,
        extras,
        info,
        warnings,
    };
    Ok(finish(design, z, ReMethod::Ml, fit, g))
}
