//! Pooled panels with AR(1) serial correlation in the remainder error, by maximum likelihood
//! (docs/methods.md §13.3): the restricted models of the Baltagi–Song–Jung–Koh (2007) C.1 and C.3
//! tests, splm `spreml(errors = "srre")` and `spreml(errors = "semsr")`. Z = [ι, X], data
//! time-slow (row t·N + i), ν_it = ψ ν_i,t−1 + e_it with e_it iid N(0, σ²_e), |ψ| < 1.
//!
//! ```text
//! V_ψ = [ψ^|s−t|]/(1 − ψ²)  (T×T),  |V_ψ| = 1/(1 − ψ²),
//! V_ψ⁻¹ = tridiag(−ψ; 1, 1 + ψ², …, 1 + ψ², 1; −ψ),  g_ψ = ι'V_ψ⁻¹ι = (1 − ψ)(2 + (T − 2)(1 − ψ))
//! srre  (individual effects + AR(1), no spatial error), φ = σ²_μ/σ²_e:
//!   Cov(u) = σ²_e (φJ_T + V_ψ) ⊗ I_N,   (φJ_T + V_ψ)⁻¹ = V_ψ⁻¹ − φ V_ψ⁻¹ιι'V_ψ⁻¹/(1 + φ g_ψ)
//!   ℓ = −(NT/2) ln(2πσ²_e) + (N/2) ln(1 − ψ²) − (N/2) ln(1 + φ g_ψ) − e'[(φJ_T + V_ψ)⁻¹ ⊗ I_N]e/(2σ²_e)
//! semsr (spatial error + AR(1), no individual effects), B = I_N − λW:
//!   Cov(u) = σ²_e V_ψ ⊗ (B'B)⁻¹,   Cov(u)⁻¹ = σ⁻²_e V_ψ⁻¹ ⊗ B'B
//!   ℓ = −(NT/2) ln(2πσ²_e) + (N/2) ln(1 − ψ²) + T ln|B| − e'(V_ψ⁻¹ ⊗ B'B)e/(2σ²_e)
//! ```
//!
//! (ln|φJ + V_ψ| = ln|V_ψ| + ln(1 + φ ι'V_ψ⁻¹ι) by the matrix determinant lemma; splm writes
//! 1 + φ g_ψ as d²(1 − ψ)²φ + 1 with d² = (1 + ψ)/(1 − ψ) + T − 1, the same number.)
//!
//! Evaluation never forms an NT×NT matrix. With A = [y, Z] (m columns):
//! * srre: the T×T moment matrices M_pq[s][t] = Σ_i a_p,is a_q,it are computed once; every
//!   quadratic form is Σ_st S_st M_pq[s][t] with S the T×T inverse above (O(m²T²) per evaluation).
//! * semsr: with D = A − (I_T ⊗ W)A, Ba = (1 − λ)a + λd, and V_ψ⁻¹ tridiagonal, the form is
//!   Q_all + ψ² Q_inner − ψ Q_lag, where Q_all = Σ_t (Ba_t)'(Bb_t), Q_inner = Σ_{t=2}^{T−1} (Ba_t)'(Bb_t),
//!   Q_lag = Σ_{t=1}^{T−1} [(Ba_t)'(Bb_{t+1}) + (Ba_{t+1})'(Bb_t)], each a quadratic in λ of
//!   cross products precomputed once (as for SEM-RE, [`super::random_error`]); ln|B| from the
//!   eigenvalues of W.
//!
//! Estimation: β and σ²_e are concentrated out (GLS, σ̂²_e = e'Ω⁻¹e/NT); ℓc is maximised by
//! nested bounded Brent, tolerance 1e−10, with a score polish: srre outer ψ ∈ (−1, 1) (1e−9 from the
//! ends), inner ln φ ∈ [ln 1e−8, ln 1e8]; semsr outer λ on the eigenvalue interval (1e−9 from
//! the ends), inner ψ ∈ (−1, 1).

use super::optimize;
use super::random_error::quad;
use super::BOUND_DELTA;
use crate::error::{Error, Result};
use crate::models::dense::{dot, solve_spd};
use crate::models::formula::Design;
use crate::models::ols::demean_design;
use crate::models::random::PHI_BOUNDS;
use crate::models::within::Fe;
use crate::weights::{Spectrum, Weights};
use std::sync::Arc;

/// Step of the central-difference scores that polish the Brent optima.
const SCORE_STEP: f64 = 1e-6;

/// Which restricted serial-correlation model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialModel {
    /// Individual random effects + AR(1) remainder (splm "srre").
    Srre,
    /// Spatial error + AR(1) remainder, no individual effects (splm "semsr").
    Semsr,
}

impl SerialModel {
    /// splm's `errors` name.
    pub fn name(self) -> &'static str {
        match self {
            SerialModel::Srre => "srre",
            SerialModel::Semsr => "semsr",
        }
    }
}

/// A fitted srre or semsr model.
#[derive(Debug, Clone)]
pub struct SerialFit {
    /// Which model.
    pub model: SerialModel,
    /// Coefficient names: `(intercept)` and the regressors.
    pub names: Vec<String>,
    /// β̂ (intercept first).
    pub beta: Vec<f64>,
    /// ψ̂, the AR(1) coefficient of the remainder.
    pub psi: f64,
    /// φ̂ = σ̂²_μ/σ̂²_e (srre; 0 for semsr).
    pub phi: f64,
    /// λ̂ (semsr; 0 for srre).
    pub lambda: f64,
    /// σ̂²_e, the ML innovation variance.
    pub sigma2: f64,
    /// The maximised full Gaussian log-likelihood.
    pub loglik: f64,
    /// Raw residuals y − Zβ̂ (time-slow).
    pub resid: Vec<f64>,
}

/// V_ψ⁻¹ (T×T row-major) of V_ψ = [ψ^|s−t|]/(1 − ψ²): tridiagonal.
pub fn ar1_inverse(psi: f64, t: usize) -> Vec<f64> {
    let mut v = vec![0.0; t * t];
    for s in 0..t {
        v[s * t + s] = if s == 0 || s + 1 == t { 1.0 } else { 1.0 + psi * psi };
        if s + 1 < t {
            v[s * t + s + 1] = -psi;
            v[(s + 1) * t + s] = -psi;
        }
    }
    v
}

/// g_ψ = ι'V_ψ⁻¹ι = (1 − ψ)(2 + (T − 2)(1 − ψ)).
pub fn ar1_iota_form(psi: f64, t: usize) -> f64 {
    (1.0 - psi) * (2.0 + (t as f64 - 2.0) * (1.0 - psi))
}

/// The data of the likelihood: cross products of A = [y, ι, X].
enum Moments {
    /// M[(p·m + q)·T² + s·T + t] = Σ_i a_p,is a_q,it.
    Srre(Vec<f64>),
    /// [all, inner, lag] × [P0, P1, P2] (m×m each) and the spectrum of W.
    Semsr {
        forms: [[Vec<f64>; 3]; 3],
        spectrum: Arc<Spectrum>,
    },
}

struct Problem {
    n: usize,
    t: usize,
    m: usize,
    moments: Moments,
}

/// A cross-product of two column lists (m×m row-major).
type CrossFn<'a> = dyn Fn(&[Vec<f64>], &[Vec<f64>]) -> Vec<f64> + 'a;

/// Σ_t w_t x_t'y_t with per-period weights, x, y time-slow.
fn weighted_cross(a: &[Vec<f64>], b: &[Vec<f64>], n: usize, weight: &dyn Fn(usize) -> f64) -> Vec<f64> {
    let m = a.len();
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            c[i * m + j] = a[i]
                .chunks(n)
                .zip(b[j].chunks(n))
                .enumerate()
                .map(|(t, (x, y))| weight(t) * dot(x, y))
                .sum();
        }
    }
    c
}

/// Σ_{t=1}^{T−1} [x_t'y_{t+1} + x_{t+1}'y_t] for every column pair.
fn lag_cross(a: &[Vec<f64>], b: &[Vec<f64>], n: usize, t: usize) -> Vec<f64> {
    let m = a.len();
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            let mut s = 0.0;
            for p in 0..t - 1 {
                let (x0, x1) = (&a[i][p * n..(p + 1) * n], &a[i][(p + 1) * n..(p + 2) * n]);
                let (y0, y1) = (&b[j][p * n..(p + 1) * n], &b[j][(p + 1) * n..(p + 2) * n]);
                s += dot(x0, y1) + dot(x1, y0);
            }
            c[i * m + j] = s;
        }
    }
    c
}

impl Problem {
    fn nt(&self) -> f64 {
        (self.n * self.t) as f64
    }

    /// The m×m quadratic-form matrix of A at the covariance parameters and the log-determinant
    /// term of ℓ (everything but −(NT/2) ln(2πσ²) and the quadratic form).
    /// srre: (a, b) = (φ, ψ); semsr: (a, b) = (λ, ψ).
    fn form(&self, a: f64, psi: f64) -> (Vec<f64>, f64) {
        let (n, t, m) = (self.n, self.t, self.m);
        let nf = n as f64;
        let ar = 0.5 * nf * (1.0 - psi * psi).ln();
        match &self.moments {
            Moments::Srre(mom) => {
                let phi = a;
                let vi = ar1_inverse(psi, t);
                let v: Vec<f64> = (0..t).map(|s| vi[s * t..(s + 1) * t].iter().sum()).collect();
                let g = ar1_iota_form(psi, t);
                let f = phi / (1.0 + phi * g);
                let s: Vec<f64> = (0..t * t).map(|k| vi[k] - f * v[k / t] * v[k % t]).collect();
                let tt = t * t;
                let c: Vec<f64> = (0..m * m).map(|pq| dot(&s, &mom[pq * tt..(pq + 1) * tt])).collect();
                (c, ar - 0.5 * nf * (1.0 + phi * g).ln())
            }
            Moments::Semsr { forms, spectrum } => {
                let lam = a;
                let [all, inner, lag] = forms;
                let (qa, qi, ql) = (quad(all, m, lam), quad(inner, m, lam), quad(lag, m, lam));
                let c: Vec<f64> = (0..m * m).map(|k| qa[k] + psi * psi * qi[k] - psi * ql[k]).collect();
                (c, ar + t as f64 * spectrum.logdet(lam))
            }
        }
    }

    /// GLS β, SSE = e'Ω⁻¹e·σ²_e and the determinant term.
    fn profile(&self, a: f64, psi: f64) -> Result<(Vec<f64>, f64, f64)> {
        let m = self.m;
        let k = m - 1;
        let (c, det) = self.form(a, psi);
        let sc: Vec<f64> = (1..m)
            .map(|i| 1.0 / c[i * m + i].max(f64::MIN_POSITIVE).sqrt())
            .collect();
        let xx: Vec<f64> = (0..k * k)
            .map(|q| c[(q / k + 1) * m + q % k + 1] * sc[q / k] * sc[q % k])
            .collect();
        let xy: Vec<f64> = (1..m).map(|i| c[i * m] * sc[i - 1]).collect();
        let bs = solve_spd(&xx, k, &xy, "Z'Ω⁻¹Z (the GLS cross products)")?;
        let sse = c[0] - dot(&xy, &bs);
        Ok((bs.iter().zip(&sc).map(|(v, s)| v * s).collect(), sse, det))
    }

    /// ℓc (β and σ²_e concentrated out).
    fn lc(&self, a: f64, psi: f64) -> f64 {
        let nt = self.nt();
        match self.profile(a, psi) {
            Ok((_, sse, det)) if sse > 0.0 && det.is_finite() => {
                -0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0) - 0.5 * nt * (sse / nt).ln() + det
            }
            _ => f64::NEG_INFINITY,
        }
    }

    /// The full ℓ at β (intercept first), the covariance parameters and σ²_e.
    fn full(&self, beta: &[f64], a: f64, psi: f64, sigma2: f64) -> f64 {
        if sigma2 <= 0.0 || psi.abs() >= 1.0 {
            return f64::NEG_INFINITY;
        }
        let m = self.m;
        let (c, det) = self.form(a, psi);
        let v: Vec<f64> = std::iter::once(1.0).chain(beta.iter().map(|b| -b)).collect();
        let q: f64 = (0..m * m).map(|k| v[k / m] * c[k] * v[k % m]).sum();
        -0.5 * self.nt() * (2.0 * std::f64::consts::PI * sigma2).ln() + det - q / (2.0 * sigma2)
    }
}

fn columns(design: &Design, tag: &str) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let (n, t) = (design.n, design.t);
    if !design.intercept {
        return Err(Error::invalid(format!(
            "{tag} keeps the intercept (the BSJK tests use the pooled regression with intercept); drop '- 1' / '+ 0'"
        )));
    }
    if t < 2 || n < 2 || design.nobs() != n * t {
        return Err(Error::invalid(format!(
            "{tag} needs a balanced panel with N ≥ 2 units and T ≥ 2 periods (N = {n}, T = {t}, {} observations)",
            design.nobs()
        )));
    }
    let d = demean_design(design, Fe::None)?;
    Ok((d.names, d.x))
}

fn problem(design: &Design, w: Option<&Weights>, model: SerialModel) -> Result<(Problem, Vec<String>, Vec<Vec<f64>>)> {
    let tag = format!("the {} model (errors \"{}\")", model_label(model), model.name());
    let (names, z) = columns(design, &tag)?;
    let (n, t) = (design.n, design.t);
    let mut a = vec![design.y.clone()];
    a.extend(z.iter().cloned());
    let m = a.len();
    let moments = match model {
        SerialModel::Srre => {
            let tt = t * t;
            let mut mom = vec![0.0; m * m * tt];
            for p in 0..m {
                for q in 0..m {
                    for s in 0..t {
                        for r in 0..t {
                            mom[(p * m + q) * tt + s * t + r] =
                                dot(&a[p][s * n..(s + 1) * n], &a[q][r * n..(r + 1) * n]);
                        }
                    }
                }
            }
            Moments::Srre(mom)
        }
        SerialModel::Semsr => {
            let w = w.ok_or_else(|| Error::invalid(format!("{tag} needs a weights matrix")))?;
            if w.n() != n {
                return Err(Error::data(format!("weights have {} units but the data {n}", w.n())));
            }
            let d: Vec<Vec<f64>> = a
                .iter()
                .map(|c| c.iter().zip(w.lag_panel(c)).map(|(x, l)| x - l).collect())
                .collect();
            let one = |_: usize| 1.0;
            let inner = |p: usize| if p == 0 || p + 1 == t { 0.0 } else { 1.0 };
            let three = |f: &CrossFn| [f(&a, &a), f(&a, &d), f(&d, &d)];
            Moments::Semsr {
                forms: [
                    three(&|x, y| weighted_cross(x, y, n, &one)),
                    three(&|x, y| weighted_cross(x, y, n, &inner)),
                    three(&|x, y| lag_cross(x, y, n, t)),
                ],
                spectrum: w.spectrum()?,
            }
        }
    };
    Ok((Problem { n, t, m, moments }, names, z))
}

fn model_label(model: SerialModel) -> &'static str {
    match model {
        SerialModel::Srre => "random effects + AR(1)",
        SerialModel::Semsr => "spatial error + AR(1)",
    }
}

/// Fits srre (`w` unused) or semsr by ML (module documentation). W must be aligned to the
/// design's units (semsr).
pub fn fit_serial(design: &Design, w: Option<&Weights>, model: SerialModel) -> Result<SerialFit> {
    let (prob, names, z) = problem(design, w, model)?;
    let psi_range = (-1.0 + BOUND_DELTA, 1.0 - BOUND_DELTA);
    let tol = 1e-10;
    // Nested Brent: `outer` over the first argument range, the inner maximiser returns (x, ℓc).
    let nested = |outer_range: (f64, f64), inner_range: (f64, f64), f: &dyn Fn(f64, f64) -> f64| -> (f64, f64, f64) {
        let inner = |o: f64| {
            let g = |i: f64| f(o, i);
            let sc = |i: f64| (g(i + SCORE_STEP) - g(i - SCORE_STEP)) / (2.0 * SCORE_STEP);
            let r = optimize::maximize_with(g, Some(&sc), inner_range.0, inner_range.1, tol, optimize::GRID);
            (r.x, r.value)
        };
        let score = |o: f64| {
            let (i, _) = inner(o);
            (f(o + SCORE_STEP, i) - f(o - SCORE_STEP, i)) / (2.0 * SCORE_STEP)
        };
        let r = optimize::maximize_with(
            |o| inner(o).1,
            Some(&score),
            outer_range.0,
            outer_range.1,
            tol,
            optimize::GRID,
        );
        let (i, v) = inner(r.x);
        (r.x, i, v)
    };
    let (phi, psi, lambda, loglik) = match model {
        SerialModel::Srre => {
            let lphi = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
            let (psi, lp, v) = nested(psi_range, lphi, &|psi, lp| prob.lc(lp.exp(), psi));
            (lp.exp(), psi, 0.0, v)
        }
        SerialModel::Semsr => {
            let Moments::Semsr { spectrum, .. } = &prob.moments else {
                unreachable!("semsr moments")
            };
            let iv = spectrum.interval();
            let (lam, psi, v) = nested((iv.0 + BOUND_DELTA, iv.1 - BOUND_DELTA), psi_range, &|lam, psi| {
                prob.lc(lam, psi)
            });
            (0.0, psi, lam, v)
        }
    };
    crate::interrupt::check()?;
    if !loglik.is_finite() {
        return Err(Error::numeric(format!(
            "the {} model (errors \"{}\"): the log-likelihood is not finite anywhere in the parameter space",
            model_label(model),
            model.name()
        )));
    }
    let a = if model == SerialModel::Srre { phi } else { lambda };
    let (beta, sse, _) = prob.profile(a, psi)?;
    let fitted = crate::models::dense::x_times(&z, &beta);
    let resid = design.y.iter().zip(&fitted).map(|(y, f)| y - f).collect();
    Ok(SerialFit {
        model,
        names,
        beta,
        psi,
        phi,
        lambda,
        sigma2: sse / prob.nt(),
        loglik,
        resid,
    })
}

/// The full Gaussian log-likelihood of srre (`w` unused; parameter `a` = φ) or semsr (`a` = λ)
/// at β (intercept first), ψ and σ²_e (module documentation): for score checks and for
/// comparisons with the nested models (ψ = 0: ML random effects and pooled SEM).
pub fn serial_loglik(
    design: &Design,
    w: Option<&Weights>,
    model: SerialModel,
    beta: &[f64],
    a: f64,
    psi: f64,
    sigma2: f64,
) -> Result<f64> {
    let (prob, names, _) = problem(design, w, model)?;
    if beta.len() != names.len() {
        return Err(Error::invalid(format!(
            "serial_loglik: {} coefficients given for {} terms ({})",
            beta.len(),
            names.len(),
            names.join(", ")
        )));
    }
    Ok(prob.full(beta, a, psi, sigma2))
}
