//! SEM and SDEM with individual random effects by maximum likelihood (docs/methods.md §11.3):
//! the Baltagi–Song–Koh error structure ("bsk", default) and the Kapoor–Kelejian–Prucha one
//! ("kkp"). Z = [ι, X] (SEM) or [ι, X, WX] (SDEM); the intercept is kept and never lagged.
//!
//! ```text
//! y = Zβ + u,   B = I_N − λW,   φ = σ²_μ/σ²_ν,   ψ = ln φ,   e = y − Zβ,   ē = unit means of e
//! KKP: u = (I_T ⊗ B⁻¹)((ι_T ⊗ I_N)μ + ν)
//!      ℓ = −(NT/2) ln(2πσ²_ν) − (N/2) ln(1 + Tφ) + T ln|B| − [W(λ) + θ_E² S(λ)] / (2σ²_ν)
//! BSK: u = (ι_T ⊗ I_N)μ + (I_T ⊗ B⁻¹)ν,   M = I_N + Tφ BB'
//!      ℓ = −(NT/2) ln(2πσ²_ν) + T ln|B| − ½ ln|M| − [W(λ) + T (Bē)'M⁻¹(Bē)] / (2σ²_ν)
//! W(λ) = Σ_t (e_t − ē)'B'B(e_t − ē)   (within part),   S(λ) = T (Bē)'(Bē),   θ_E² = 1/(1 + Tφ)
//! ```
//!
//! Every quadratic form is a cross product of A = [y, Z] with v = (1, −β). With LA = (I_T ⊗ W)A
//! and D = A − LA the filtered columns are (1 − λ)A + λD, so the within part is the quadratic
//! (1 − λ)²P0 + (1 − λ)λ(P1 + P1') + λ²P2 of the within cross products P0 = A'A, P1 = A'D,
//! P2 = D'D, computed once (docs/methods.md §11.3, "Evaluation"), and so is the KKP between part
//! (this basis keeps the filtered intercept of a row-standardised W exact as λ → 1). For
//! BSK, ln|M| and T(Bā)'M⁻¹(Bb̄) come from [`super::bsk_det`]: the dense eigen-decomposition
//! of BB' once per λ on the eigenvalue path (N ≤ [`BSK_MAX_N`]), a sparse Cholesky of
//! M = I + TφBB' per (λ, φ) on the sparse path. No NT×NT object is formed. ln|B| comes from the
//! log-determinant engine the fixed-effects fits use ([`super::Engines`]: eigenvalues, or the
//! sparse engine for large N), once per λ (cached).
//!
//! Estimation (docs/methods.md §11.7, §18): β and σ²_ν are concentrated out (GLS); ℓc(λ, ψ) is
//! maximised by nested bounded Brent, outer λ on the feasible interval kept 1e−9 from its ends,
//! inner ψ ∈ [ln 1e−8, ln 1e8], tolerance 1e−10 (on the sparse path above
//! [`super::SPARSE_FAST_ABOVE_N`] units: a 13-point grid and Brent without the score polish, as
//! the fixed-effects fits). Sparse BSK, where every (λ, φ) is a factorisation: damped 2-D Newton
//! ([`super::newton2`]) from the KKP optimum. Every fit ends with the §11.7 check: a 2-D Newton
//! step from the estimate must change ℓ by less than 1e−10, else a warning.
//!
//! Covariance ([`ReCovariance`]): the default is the inverse observed information of the full
//! ℓ in (β, λ, ψ, σ²_ν), a central-difference Hessian (steps 1e−2·se_GLS for β, 5e−4 for λ and
//! ψ, 5e−4·σ²_ν for σ²_ν), mapped to φ = e^ψ by the delta method; `"splm"` reproduces splm
//! (`semREmod`, `sem2REmod`): β by GLS σ²_ν(Z'Ω⁻¹Z)⁻¹ conditional on (λ̂, φ̂), (λ, φ) from the
//! inverse central-difference Hessian of ℓc (the profile information), σ²_ν with 2σ⁴/NT,
//! block-diagonal.

use super::bsk_det::{BskDet, DenseBsk, Means, SparseBsk};
use super::options::{CheckedOptions, ReCovariance, ReErrors};
use super::{newton2, optimize, search_interval, Engines};
use super::{SpatialFit, BOUND_DELTA, BOUND_WARN, SPARSE_FAST_ABOVE_N};
use crate::error::{Error, Result};
use crate::linalg::LogDet;
use crate::models::dense::{dot, inverse_spd, solve_spd};
use crate::models::formula::Design;
use crate::models::random::{theta_of_phi, PHI_BOUNDS};
use crate::models::result::{Coef, Model, ModelKind};
use crate::models::within::{demean, unit_means, Fe};
use crate::weights::Weights;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

pub use super::bsk_det::BSK_MAX_N;

/// Step of the central-difference scores that polish the Brent optima (the score root is found
/// to rounding, so λ̂ and ψ̂ are not limited by the √ε flatness of the maximum).
const SCORE_STEP: f64 = 1e-5;

/// Step of the central-difference Hessians in λ and ψ (relative for σ²_ν); the standard errors
/// are stable to ~1e−6 relative for steps between 1e−4 and 2e−3 on insurance and produc.
const HESS_STEP: f64 = 5e-4;

/// Cross products of the data: within (C0, C1, C2) and, for KKP, between ones.
struct Cross {
    n: usize,
    t: usize,
    m: usize,
    within: [Vec<f64>; 3],
    between: [Vec<f64>; 3],
}

/// m×m cross products a_i'b_j of two column lists.
fn cross(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<f64> {
    let m = a.len();
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            c[i * m + j] = dot(&a[i], &b[j]);
        }
    }
    c
}

/// Cross products of the filtered columns A − λLA = (1 − λ)A + λD, D = A − LA:
/// (1 − λ)²P0 + (1 − λ)λ(P1 + P1') + λ²P2 with P0 = A'A, P1 = A'D, P2 = D'D. This basis keeps
/// the filtered intercept (1 − λ)ι of a row-standardised W (Dι = 0) exact as λ → 1, where the
/// expanded polynomial C0 − 2λC1 + λ²C2 cancels catastrophically.
pub(super) fn quad(c: &[Vec<f64>; 3], m: usize, lam: f64) -> Vec<f64> {
    let (a, b) = (1.0 - lam, lam);
    let mut out = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            out[i * m + j] =
                a * a * c[0][i * m + j] + a * b * (c[1][i * m + j] + c[1][j * m + i]) + b * b * c[2][i * m + j];
        }
    }
    out
}

/// Everything one evaluation needs.
struct Problem<'a> {
    cross: Cross,
    engine: &'a dyn LogDet,
    /// The BSK between terms (dense or sparse, [`super::bsk_det`]); `None` for KKP.
    bsk: Option<Box<dyn BskDet>>,
    /// Evaluate the KKP likelihood even for BSK (the start of the sparse BSK optimiser).
    kkp_start: Cell<bool>,
    /// ln|B| by λ (bits): one factorisation per λ on the sparse path.
    ldet: RefCell<Vec<(u64, f64)>>,
}

impl Problem<'_> {
    /// ln|I − λW| from the engine, cached by λ.
    fn logdet(&self, lam: f64) -> f64 {
        let key = lam.to_bits();
        if let Some((_, v)) = self.ldet.borrow().iter().find(|(k, _)| *k == key) {
            return *v;
        }
        let v = self.engine.logdet(lam);
        let mut c = self.ldet.borrow_mut();
        if c.len() >= 32 {
            c.remove(0);
        }
        c.push((key, v));
        v
    }

    /// The BSK terms in use (none for KKP and for the KKP start).
    fn bsk(&self) -> Option<&dyn BskDet> {
        if self.kkp_start.get() {
            None
        } else {
            self.bsk.as_deref()
        }
    }

    /// The quadratic-form matrix C(λ, φ) (m×m) and the determinant term of ℓ.
    fn form(&self, lam: f64, phi: f64) -> Result<(Vec<f64>, f64)> {
        let (n, t, m) = (self.cross.n, self.cross.t as f64, self.cross.m);
        let mut c = quad(&self.cross.within, m, lam);
        let jac = t * self.logdet(lam);
        match self.bsk() {
            None => {
                let a = 1.0 + t * phi;
                let cb = quad(&self.cross.between, m, lam);
                c.iter_mut().zip(&cb).for_each(|(x, y)| *x += y / a);
                Ok((c, jac - 0.5 * n as f64 * a.ln()))
            }
            Some(b) => {
                let at = b.at(lam, phi)?;
                c.iter_mut().zip(&at.between).for_each(|(x, y)| *x += y);
                Ok((c, jac - 0.5 * at.logdet))
            }
        }
    }

    /// β(λ, φ), SSE and the determinant term.
    fn profile(&self, lam: f64, phi: f64) -> Result<(Vec<f64>, f64, f64)> {
        let m = self.cross.m;
        let (c, det) = self.form(lam, phi)?;
        let k = m - 1;
        // Jacobi scaling: the filtered intercept (1 − λ)ι is tiny near λ = 1.
        let sc: Vec<f64> = (1..m)
            .map(|i| 1.0 / c[i * m + i].max(f64::MIN_POSITIVE).sqrt())
            .collect();
        let xx: Vec<f64> = (0..k * k)
            .map(|q| c[(q / k + 1) * m + q % k + 1] * sc[q / k] * sc[q % k])
            .collect();
        let xy: Vec<f64> = (1..m).map(|i| c[i * m] * sc[i - 1]).collect();
        let bs = solve_spd(&xx, k, &xy, "Z'Ω⁻¹Z (the GLS cross products)")?;
        let sse = c[0] - dot(&xy, &bs);
        let b: Vec<f64> = bs.iter().zip(&sc).map(|(v, s)| v * s).collect();
        Ok((b, sse, det))
    }

    fn nt(&self) -> f64 {
        (self.cross.n * self.cross.t) as f64
    }

    /// ℓc(λ, ψ) (β and σ²_ν concentrated out; full Gaussian value); −∞ where it fails.
    fn lc(&self, lam: f64, psi: f64) -> f64 {
        let nt = self.nt();
        match self.profile(lam, psi.exp()) {
            Ok((_, sse, det)) if sse > 0.0 && det.is_finite() => {
                -0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0) - 0.5 * nt * (sse / nt).ln() + det
            }
            _ => f64::NEG_INFINITY,
        }
    }

    /// The full ℓ at x = [β, λ, ψ, σ²_ν].
    fn full(&self, x: &[f64]) -> f64 {
        let m = self.cross.m;
        let k = m - 1;
        let (lam, psi, s2) = (x[k], x[k + 1], x[k + 2]);
        if s2 <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let Ok((c, det)) = self.form(lam, psi.exp()) else {
            return f64::NEG_INFINITY;
        };
        let v: Vec<f64> = std::iter::once(1.0).chain(x[..k].iter().map(|b| -b)).collect();
        let mut q = 0.0;
        for i in 0..m {
            for j in 0..m {
                q += v[i] * c[i * m + j] * v[j];
            }
        }
        -0.5 * self.nt() * (2.0 * std::f64::consts::PI * s2).ln() + det - q / (2.0 * s2)
    }

    /// ψ̂(λ) and ℓc there (inner Brent).
    fn inner(&self, lam: f64) -> (f64, f64) {
        let f = |psi: f64| self.lc(lam, psi);
        let score = |psi: f64| (f(psi + SCORE_STEP) - f(psi - SCORE_STEP)) / (2.0 * SCORE_STEP);
        let (lo, hi) = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
        let r = optimize::maximize_with(f, Some(&score), lo, hi, 1e-10, optimize::GRID);
        (r.x, r.value)
    }

    /// dℓc/dλ at (λ, ψ̂(λ)) (envelope theorem): a central difference at fixed ψ̂.
    fn outer_score(&self, lam: f64) -> f64 {
        let (psi, _) = self.inner(lam);
        (self.lc(lam + SCORE_STEP, psi) - self.lc(lam - SCORE_STEP, psi)) / (2.0 * SCORE_STEP)
    }
}

/// Central-difference Hessian of `f` at `x` with steps `h`.
fn hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64], h: &[f64]) -> Vec<f64> {
    let p = x.len();
    let mut hess = vec![0.0; p * p];
    let f0 = f(x);
    let at = |d: &[(usize, f64)]| {
        let mut y = x.to_vec();
        for &(i, s) in d {
            y[i] += s;
        }
        f(&y)
    };
    for i in 0..p {
        let v = (at(&[(i, h[i])]) - 2.0 * f0 + at(&[(i, -h[i])])) / (h[i] * h[i]);
        hess[i * p + i] = v;
        for j in 0..i {
            let v = (at(&[(i, h[i]), (j, h[j])]) - at(&[(i, h[i]), (j, -h[j])]) - at(&[(i, -h[i]), (j, h[j])])
                + at(&[(i, -h[i]), (j, -h[j])]))
                / (4.0 * h[i] * h[j]);
            hess[i * p + j] = v;
            hess[j * p + i] = v;
        }
    }
    hess
}

/// Fits SEM or SDEM with individual random effects (module documentation) on W already aligned
/// to the design's units, with the checked options (`opts.fe` is [`Fe::Random`]) and the
/// log-determinant engines the fixed-effects fits would use ([`Engines::choose`]).
pub(crate) fn fit(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    opts: &CheckedOptions,
    engines: &Engines,
) -> Result<SpatialFit> {
    let (errors, covariance) = (opts.errors, opts.covariance);
    let (n, t) = (design.n, design.t);
    let tag = format!("{} (fe: \"random\", errors: \"{}\")", kind.name(), errors.name());
    if t < 2 {
        return Err(Error::invalid(format!(
            "{tag} needs a panel with T ≥ 2 periods but the data have T = {t}; use fe: \"none\" for a cross-section"
        )));
    }
    if w.n() != n {
        return Err(Error::data(format!("weights have {} units but the data {n}", w.n())));
    }
    if errors == ReErrors::Bsk && n > BSK_MAX_N && engines.spectrum.is_some() {
        return Err(Error::invalid(format!(
            "{tag}: on the eigenvalue path the Baltagi–Song–Koh likelihood needs a dense eigen-decomposition of BB' \
             ({n} × {n}) at every λ, which spillover does for N ≤ {BSK_MAX_N} only; use lndet: \"sparse\" or \"auto\" \
             (a sparse Cholesky of I + TφBB'), or errors: \"kkp\""
        )));
    }
    // Columns A = [y, ι, X, WX].
    let k_slopes = design.x.len();
    let mut names = vec!["(intercept)".to_string()];
    let mut z: Vec<Vec<f64>> = vec![vec![1.0; design.nobs()]];
    for (name, col) in design.names.iter().zip(&design.x) {
        names.push(name.clone());
        z.push(col.clone());
    }
    let mut theta_index = vec![None; k_slopes];
    for &j in &opts.lagged {
        theta_index[j] = Some(names.len());
        names.push(format!("W*{}", design.names[j]));
        z.push(w.lag_panel(&design.x[j]));
    }
    let ls = crate::models::dense::LeastSquares::new(&z, &names)?;
    let e0 = ls.annihilate(&z, &design.y);
    if dot(&e0, &e0) <= 1e-24 * dot(&design.y, &design.y).max(f64::MIN_POSITIVE) {
        return Err(Error::data(format!(
            "{tag}: the regressors reproduce '{}' exactly, so the likelihood is unbounded; drop regressors",
            design.depvar
        )));
    }
    let mut a = vec![design.y.clone()];
    a.extend(z.iter().cloned());
    let m = a.len();
    // D = A − (I_T ⊗ W)A.
    let da: Vec<Vec<f64>> = a
        .iter()
        .map(|c| c.iter().zip(w.lag_panel(c)).map(|(x, l)| x - l).collect())
        .collect();
    let aw: Vec<Vec<f64>> = a.iter().map(|c| demean(c, n, Fe::Individual)).collect();
    let dw: Vec<Vec<f64>> = da.iter().map(|c| demean(c, n, Fe::Individual)).collect();
    let am: Vec<Vec<f64>> = a.iter().map(|c| unit_means(c, n)).collect();
    let dm: Vec<Vec<f64>> = da.iter().map(|c| unit_means(c, n)).collect();
    let tf = t as f64;
    let scale = |v: Vec<f64>| v.into_iter().map(|x| tf * x).collect::<Vec<f64>>();
    let rows = |cols: &[Vec<f64>]| {
        let mut out = vec![0.0; n * m];
        for (j, col) in cols.iter().enumerate() {
            for i in 0..n {
                out[i * m + j] = col[i];
            }
        }
        out
    };
    let cross_data = Cross {
        n,
        t,
        m,
        within: [cross(&aw, &aw), cross(&aw, &dw), cross(&dw, &dw)],
        between: [scale(cross(&am, &am)), scale(cross(&am, &dm)), scale(cross(&dm, &dm))],
    };
    // Log-determinant engine (as the fixed-effects fits), the BSK terms and the interval of λ.
    let engine = engines.engine();
    let spectrum = engines.spectrum.clone();
    let bsk: Option<Box<dyn BskDet>> = match errors {
        ReErrors::Kkp => None,
        ReErrors::Bsk => {
            let means = Means {
                n,
                t,
                m,
                abar: rows(&am),
                dbar: rows(&dm),
            };
            Some(match &spectrum {
                Some(_) => Box::new(DenseBsk::new(w, means)),
                None => Box::new(SparseBsk::new(w, means)?),
            })
        }
    };
    let (interval, _) = search_interval(spectrum.as_deref(), w, opts)?;
    let prob = Problem {
        cross: cross_data,
        engine,
        bsk,
        kkp_start: Cell::new(false),
        ldet: RefCell::new(Vec::new()),
    };
    let (lo, hi) = (interval.0 + BOUND_DELTA, interval.1 - BOUND_DELTA);
    let (plo, phi_hi) = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
    let lc2 = |p: [f64; 2]| prob.lc(p[0], p[1]);
    let sparse_bsk = prob.bsk.as_ref().is_some_and(|b| b.method() == "sparse");
    let (lam, psi, loglik, evaluations, optimiser, check) = if sparse_bsk {
        // Every (λ, φ) is a sparse Cholesky factorisation: damped 2-D Newton from the KKP
        // optimum (one factorisation of B per λ, located coarsely).
        prob.kkp_start.set(true);
        let start = optimize::maximize_with(|lam| prob.inner(lam).1, None, lo, hi, 1e-6, optimize::SPARSE_GRID);
        let psi0 = prob.inner(start.x).0;
        prob.kkp_start.set(false);
        let r = newton2::maximize(&lc2, [start.x, psi0], [lo, plo], [hi, phi_hi]);
        let how = format!(
            "damped 2-D Newton in (lambda, ln phi) from the KKP optimum, {} iterations",
            r.iterations
        );
        (r.x[0], r.x[1], r.value, start.evaluations + r.evaluations, how, r)
    } else {
        // Nested bounded Brent: outer λ, inner ψ (a coarse grid without the score polish on
        // the sparse path at large N, as the fixed-effects fits).
        let outer = if spectrum.is_none() && n > SPARSE_FAST_ABOVE_N {
            optimize::maximize_with(|lam| prob.inner(lam).1, None, lo, hi, 1e-12, optimize::SPARSE_GRID)
        } else {
            let score = |lam: f64| prob.outer_score(lam);
            optimize::maximize_with(|lam| prob.inner(lam).1, Some(&score), lo, hi, 1e-10, optimize::GRID)
        };
        let (psi, _) = prob.inner(outer.x);
        let check = newton2::check(&lc2, [outer.x, psi], [lo, plo], [hi, phi_hi]);
        let evaluations = outer.evaluations + check.evaluations;
        let how = "nested bounded Brent".to_string();
        (check.x[0], check.x[1], check.value, evaluations, how, check)
    };
    crate::interrupt::check()?;
    if !loglik.is_finite() {
        return Err(Error::numeric(format!(
            "{tag}: the log-likelihood is not finite anywhere in λ ∈ ({lo:.6}, {hi:.6}), φ ∈ [1e-8, 1e8]"
        )));
    }
    let phi = psi.exp();
    let (beta, sse, _) = prob.profile(lam, phi)?;
    let nt = prob.nt();
    let sigma2 = sse / nt;
    let k = m - 1;
    // GLS covariance of β conditional on (λ, φ): σ²(Z'Ω⁻¹Z)⁻¹.
    let (c, _) = prob.form(lam, phi)?;
    let xx: Vec<f64> = (0..k * k).map(|q| c[(q / k + 1) * m + q % k + 1]).collect();
    let xx_inv = inverse_spd(&xx, k, "Z'Ω⁻¹Z (the GLS cross products)")?;
    let se_gls: Vec<f64> = (0..k).map(|j| (sigma2 * xx_inv[j * k + j]).max(0.0).sqrt()).collect();
    // Covariance of [β, λ, φ, σ²] (p = k + 3).
    let p = k + 3;
    let mut cov = vec![0.0; p * p];
    let cov_note;
    match covariance {
        ReCovariance::Observed => {
            let mut x = beta.clone();
            x.extend([lam, psi, sigma2]);
            let mut h: Vec<f64> = se_gls.iter().map(|s| 1e-2 * s.max(1e-12)).collect();
            h.extend([HESS_STEP, HESS_STEP, HESS_STEP * sigma2]);
            let f = |x: &[f64]| prob.full(x);
            let hs = hessian(&f, &x, &h);
            let neg: Vec<f64> = hs.iter().map(|v| -v).collect();
            let v = inverse_spd(&neg, p, "the observed information of (β, λ, ψ, σ²_ν) at the estimate")?;
            let jac: Vec<f64> = (0..p).map(|i| if i == k + 1 { phi } else { 1.0 }).collect();
            for i in 0..p {
                for j in 0..p {
                    cov[i * p + j] = jac[i] * v[i * p + j] * jac[j];
                }
            }
            cov_note =
                "observed information of the full log-likelihood in (beta, lambda, psi = ln phi, sigma2_idios), \
                        central-difference Hessian; phi and sigma2_mu by the delta method";
        }
        ReCovariance::Expected => {
            cov = super::random_expected::error_expected_covariance(
                &xx,
                w,
                t,
                (lam, phi, sigma2),
                errors == ReErrors::Bsk,
            )?;
            cov_note = "expected information (docs/methods.md §11.3) in (beta, lambda, phi, sigma2_idios)";
        }
        ReCovariance::Splm => {
            for i in 0..k {
                for j in 0..k {
                    cov[i * p + j] = sigma2 * xx_inv[i * k + j];
                }
            }
            let f = |x: &[f64]| prob.lc(x[0], x[1]);
            let hs = hessian(&f, &[lam, psi], &[HESS_STEP, HESS_STEP]);
            let neg: Vec<f64> = hs.iter().map(|v| -v).collect();
            let v = inverse_spd(&neg, 2, "the profile Hessian of (lambda, psi) at the estimate")?;
            let jac = [1.0, phi];
            for i in 0..2 {
                for j in 0..2 {
                    cov[(k + i) * p + k + j] = jac[i] * v[i * 2 + j] * jac[j];
                }
            }
            cov[(p - 1) * p + p - 1] = 2.0 * sigma2 * sigma2 / nt;
            cov_note = "splm: GLS sigma2 (Z' Omega^-1 Z)^-1 conditional on (lambda, phi); (lambda, phi) from the \
                        central-difference profile Hessian; sigma2_idios 2 sigma^4/NT; block-diagonal";
        }
    }
    let se = |i: usize| cov[i * p + i].max(0.0).sqrt();
    let mut coefficients: Vec<Coef> = names
        .iter()
        .enumerate()
        .map(|(j, name)| Coef::new(name.clone(), beta[j], se(j)))
        .collect();
    coefficients.push(Coef::new("lambda", lam, se(k)));
    coefficients.push(Coef::new("phi", phi, se(k + 1)));
    let q = k + 2;
    let mut vcov = vec![0.0; q * q];
    for i in 0..q {
        for j in 0..q {
            vcov[i * q + j] = cov[i * p + j];
        }
    }
    let mut warnings = Vec::new();
    if lam - interval.0 < BOUND_WARN || interval.1 - lam < BOUND_WARN {
        warnings.push(format!(
            "lambda = {lam:.8} is on the bound of the search interval ({:.6}, {:.6}); results should not be used",
            interval.0, interval.1
        ));
    }
    if psi <= PHI_BOUNDS.0.ln() + 1e-6 {
        warnings.push(
            "phi is on its lower guard 1e-8: the individual effects have no variance (the pooled model is preferred)"
                .to_string(),
        );
    }
    let sigma2_mu = phi * sigma2;
    let (vphi, vs2, cphis2) = (
        cov[(k + 1) * p + k + 1],
        cov[(p - 1) * p + p - 1],
        cov[(k + 1) * p + p - 1],
    );
    let var_mu = sigma2 * sigma2 * vphi + phi * phi * vs2 + 2.0 * phi * sigma2 * cphis2;
    let theta = theta_of_phi(phi, t);
    // Fit measures from the raw residuals e = y − Zβ̂ (as splm's summary).
    let fitted = crate::models::dense::x_times(&z, &beta);
    let e: Vec<f64> = design.y.iter().zip(&fitted).map(|(y, f)| y - f).collect();
    let ybar = design.y.iter().sum::<f64>() / nt;
    let sst: f64 = design.y.iter().map(|v| (v - ybar).powi(2)).sum();
    let r2 = 1.0 - dot(&e, &e) / sst;
    let fbar = fitted.iter().sum::<f64>() / nt;
    let (mut sxy, mut sff) = (0.0, 0.0);
    for (y, f) in design.y.iter().zip(&fitted) {
        sxy += (y - ybar) * (f - fbar);
        sff += (f - fbar) * (f - fbar);
    }
    let corr2 = sxy * sxy / (sst * sff);
    let mut extras = BTreeMap::new();
    for (key, v) in [
        ("sigma2_idios", sigma2),
        ("sigma2_mu", sigma2_mu),
        ("phi", phi),
        ("theta", theta),
        ("theta_e", 1.0 - theta),
        ("se_sigma2", vs2.max(0.0).sqrt()),
        ("se_sigma2_mu", var_mu.max(0.0).sqrt()),
        ("interval_lo", interval.0),
        ("interval_hi", interval.1),
        ("evaluations", evaluations as f64),
    ] {
        extras.insert(key.to_string(), v);
    }
    warnings.extend(check.warning("lambda"));
    let mut info = BTreeMap::new();
    info.insert("convergence".into(), check.describe(&optimiser));
    if let Some(b) = &prob.bsk {
        info.insert("bsk".into(), b.describe());
        extras.insert("bsk_factorisations".into(), b.factorisations() as f64);
    }
    info.insert("fe".into(), "random (individual)".to_string());
    info.insert("errors".into(), errors.name().to_string());
    info.insert("covariance".into(), format!("{}: {cov_note}", covariance.name()));
    info.insert("lndet".into(), engine.method().to_string());
    info.insert("lndet_choice".into(), engines.choice.clone());
    info.insert("interval".into(), format!("({:.6}, {:.6})", interval.0, interval.1));
    info.insert(
        "sigma2".into(),
        "sigma2_idios (idiosyncratic variance, ML); sigma2_mu = phi * sigma2_idios".into(),
    );
    info.insert(
        "r2".into(),
        "1 - e'e/TSS with e = y - Zb (raw residuals, as splm); corr2 = corr(y, Zb)^2".into(),
    );
    if let Some(note) = engine.error_note() {
        info.insert("lndet_note".into(), note);
    }
    let beta_index: Vec<usize> = (1..=k_slopes).collect();
    let model = Model {
        kind,
        fe: Fe::Random,
        depvar: design.depvar.clone(),
        n,
        t,
        coefficients,
        vcov,
        sigma2,
        loglik,
        r2,
        corr2,
        n_params: k + 3,
        extras,
        vcov_conditional: None,
        info,
        warnings,
        provenance: design.provenance(
            beta_index.clone(),
            theta_index.clone(),
            Some(k),
            Some(crate::models::WeightsFingerprint::of(w)),
        ),
    };
    Ok(SpatialFit {
        model,
        kind,
        regressors: design.names.clone(),
        beta_index,
        theta_index,
        rho_index: Some(k),
        cov_full: cov,
        spectrum,
        power_traces: None,
        n,
        interval,
        dynamic: None,
    })
}
