//! SEM, SDEM and SAC (SARAR) with individual random effects by maximum likelihood
//! (docs/methods.md §11.3, §11.9): the Baltagi–Song–Koh error structure ("bsk", default) and the
//! Kapoor–Kelejian–Prucha one ("kkp"). Z = [ι, X] (SEM, SAC) or [ι, X, WX] (SDEM); the intercept
//! is kept and never lagged. SAC adds the spatial lag ρ(I_T ⊗ W)y.
//!
//! ```text
//! y = ρ(I_T ⊗ W)y + Zβ + u  (SAC; ρ = 0 for SEM/SDEM),   B = I_N − λW,   A(ρ) = I_N − ρW
//! φ = σ²_μ/σ²_ν,   ψ = ln φ,   e = y − ρ(I_T ⊗ W)y − Zβ,   ē = unit means of e
//! KKP: u = (I_T ⊗ B⁻¹)((ι_T ⊗ I_N)μ + ν)
//!      ℓ = −(NT/2) ln(2πσ²_ν) − (N/2) ln(1 + Tφ) + T ln|A(ρ)| + T ln|B| − [W(λ) + θ_E² S(λ)] / (2σ²_ν)
//! BSK: u = (ι_T ⊗ I_N)μ + (I_T ⊗ B⁻¹)ν,   M = I_N + Tφ BB'
//!      ℓ = −(NT/2) ln(2πσ²_ν) + T ln|A(ρ)| + T ln|B| − ½ ln|M| − [W(λ) + T (Bē)'M⁻¹(Bē)] / (2σ²_ν)
//! W(λ) = Σ_t (e_t − ē)'B'B(e_t − ē)   (within part),   S(λ) = T (Bē)'(Bē),   θ_E² = 1/(1 + Tφ)
//! ```
//!
//! Every quadratic form is a cross product of the columns A = [y, Z] (SEM, SDEM) or
//! A = [y, Wy, Z] (SAC) with v = (1, −β) or v = (1, −ρ, −β): the SAC likelihood is the SEM one
//! with y replaced by y − ρWy plus T ln|I − ρW|, so ρ only changes v and adds a log-determinant.
//! With LA = (I_T ⊗ W)A and D = A − LA the filtered columns are (1 − λ)A + λD, so the within part
//! is the quadratic (1 − λ)²P0 + (1 − λ)λ(P1 + P1') + λ²P2 of the within cross products
//! P0 = A'A, P1 = A'D, P2 = D'D, computed once (docs/methods.md §11.3, "Evaluation"), and so is
//! the KKP between part (this basis keeps the filtered intercept of a row-standardised W exact as
//! λ → 1). For BSK, ln|M| and T(Bā)'M⁻¹(Bb̄) come from [`super::bsk_det`]: the dense
//! eigen-decomposition of BB' once per λ on the eigenvalue path (N ≤ [`BSK_MAX_N`]), a sparse
//! Cholesky of M = I + TφBB' per (λ, φ) on the sparse path. No NT×NT object is formed. ln|B| and
//! (SAC) ln|A(ρ)| come from the log-determinant engine the fixed-effects fits use
//! ([`super::Engines`]: eigenvalues, or the sparse engine for large N), through one cache by the
//! argument (one factorisation per value on the sparse path).
//!
//! Estimation (docs/methods.md §11.7, §18): β and σ²_ν are concentrated out (GLS); ℓc is
//! maximised by nested bounded Brent, outer λ on the feasible interval kept 1e−9 from its ends,
//! middle ψ ∈ [ln 1e−8, ln 1e8], (SAC) innermost ρ on the same interval as λ, tolerance 1e−10
//! (on the sparse path above [`super::SPARSE_FAST_ABOVE_N`] units: a 13-point grid and Brent
//! without the score polish for λ and ρ, as the fixed-effects fits). λ is the outer parameter so
//! that one BSK decomposition serves every (ψ, ρ) at that λ, and ρ the innermost because at fixed
//! (λ, φ) the residual sum of squares is a quadratic in ρ (a 2×2 reduced cross-product), leaving
//! one log-determinant per evaluation. Sparse BSK (SEM/SDEM), where every (λ, φ) is a
//! factorisation: damped 2-D Newton ([`super::newton2`]) from the KKP optimum; SAC with sparse
//! BSK is refused (the three-level search would need a factorisation per ψ step at every λ).
//! Every fit ends with the §11.7 check: a 2-D Newton step in (λ, ψ) (for SAC on the ρ-profile)
//! from the estimate must change ℓ by less than 1e−10, else a warning.
//!
//! Covariance ([`ReCovariance`]): the default is the inverse observed information of the full
//! ℓ in (β, [ρ,] λ, ψ, σ²_ν), a central-difference Hessian (steps 1e−2·se_GLS for β, 5e−4 for ρ,
//! λ and ψ, 5e−4·σ²_ν for σ²_ν), mapped to φ = e^ψ by the delta method; `"expected"` (SEM/SDEM)
//! the inverse expected information ([`super::random_expected`]); `"splm"` reproduces
//! splm (`semREmod`, `sem2REmod`, `saremREmod`, `sarem2REmod`): β by GLS σ²_ν(Z'Ω⁻¹Z)⁻¹
//! conditional on ([ρ̂,] λ̂, φ̂), ([ρ,] λ, φ) from the inverse central-difference Hessian of ℓc
//! (the profile information), σ²_ν with 2σ⁴/NT, block-diagonal. The conditional GLS covariance
//! is kept in every case (`Model::vcov_conditional`, for hausman `convention: "splm"`).

use super::bsk_det::{BskDet, DenseBsk, Means, SparseBsk};
use super::options::{CheckedOptions, ReCovariance, ReErrors};
use super::random::{assemble_random, ReEstimate};
use super::{newton2, optimize, search_interval, Engines};
use super::{SpatialFit, BOUND_DELTA, SPARSE_FAST_ABOVE_N};
use crate::error::{Error, Result};
use crate::linalg::{LogDet, Resolvent, DENSE_RESOLVENT_LIMIT};
use crate::models::dense::{dot, inverse_spd, solve_spd};
use crate::models::formula::Design;
use crate::models::random::PHI_BOUNDS;
use crate::models::result::ModelKind;
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

/// Entries of the log-determinant cache (λ and ρ values; SAC's innermost grid alone has 41).
const LOGDET_CACHE: usize = 256;

/// Cross products of the data: within (C0, C1, C2) and, for KKP, between ones.
struct Cross {
    n: usize,
    t: usize,
    m: usize,
    /// Leading columns that are not regressors: 1 ([y]) or 2 ([y, Wy], SAC).
    lead: usize,
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
    /// ln|I − aW| by a (bits), for λ and (SAC) ρ alike: one factorisation per value on the
    /// sparse path.
    ldet: RefCell<Vec<(u64, f64)>>,
    /// SAC: the spatial lag ρ(I_T ⊗ W)y is in the model (column 1 of A).
    lag: bool,
    /// Search interval of ρ and λ, kept [`BOUND_DELTA`] from the feasible ends.
    bounds: (f64, f64),
    /// Sparse path at large N: coarse grids without the score polish (as the fixed-effects fits).
    fast: bool,
}

/// Position of the parameters in x = [β, (ρ), λ, ψ, σ²_ν] (the order of the coefficient table).
#[derive(Clone, Copy)]
struct Layout {
    k: usize,
    lag: bool,
}

impl Layout {
    fn lam(self) -> usize {
        self.k + usize::from(self.lag)
    }
    fn psi(self) -> usize {
        self.lam() + 1
    }
    fn len(self) -> usize {
        self.psi() + 2
    }
    fn rho_of(self, x: &[f64]) -> f64 {
        if self.lag {
            x[self.k]
        } else {
            0.0
        }
    }
}

impl Problem<'_> {
    fn layout(&self) -> Layout {
        Layout {
            k: self.cross.m - self.cross.lead,
            lag: self.lag,
        }
    }

    /// ln|I − aW| from the engine, cached by a (λ and ρ share the cache).
    fn logdet(&self, a: f64) -> f64 {
        let key = a.to_bits();
        if let Some((_, v)) = self.ldet.borrow().iter().find(|(k, _)| *k == key) {
            return *v;
        }
        let v = self.engine.logdet(a);
        let mut c = self.ldet.borrow_mut();
        if c.len() >= LOGDET_CACHE {
            c.remove(0);
        }
        c.push((key, v));
        v
    }

    /// T ln|I − ρW| for SAC (the lag Jacobian), 0 otherwise.
    fn lag_det(&self, rho: f64) -> f64 {
        if self.lag {
            self.cross.t as f64 * self.logdet(rho)
        } else {
            0.0
        }
    }

    /// The BSK terms in use (none for KKP and for the KKP start).
    fn bsk(&self) -> Option<&dyn BskDet> {
        if self.kkp_start.get() {
            None
        } else {
            self.bsk.as_deref()
        }
    }

    /// The quadratic-form matrix C(λ, φ) (m×m) and the determinant term of ℓ without the lag
    /// Jacobian.
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

    /// Coefficients of the dependent column y − ρWy over the leading columns of A.
    fn dep(&self, rho: f64) -> Vec<f64> {
        if self.lag {
            vec![1.0, -rho]
        } else {
            vec![1.0]
        }
    }

    /// The GLS cross products Z'Ω⁻¹Z (k×k) of C.
    fn zz(&self, c: &[f64]) -> Vec<f64> {
        let (m, l) = (self.cross.m, self.cross.lead);
        let k = m - l;
        (0..k * k).map(|q| c[(q / k + l) * m + q % k + l]).collect()
    }

    /// Z'Ω⁻¹Z with Jacobi scaling (the filtered intercept (1 − λ)ι is tiny near λ = 1): the
    /// scales s_i = 1/√C_ii of the regressor columns and the scaled k×k matrix s_i s_j C_ij.
    fn scaled_zz(&self, c: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (m, l) = (self.cross.m, self.cross.lead);
        let k = m - l;
        let sc: Vec<f64> = (l..m)
            .map(|i| 1.0 / c[i * m + i].max(f64::MIN_POSITIVE).sqrt())
            .collect();
        let xx = self
            .zz(c)
            .iter()
            .enumerate()
            .map(|(q, v)| v * sc[q / k] * sc[q % k])
            .collect();
        (sc, xx)
    }

    /// β(ρ, λ, φ), SSE and the determinant term.
    fn profile(&self, rho: f64, lam: f64, phi: f64) -> Result<(Vec<f64>, f64, f64)> {
        let (m, l) = (self.cross.m, self.cross.lead);
        let (c, det) = self.form(lam, phi)?;
        let det = det + self.lag_det(rho);
        let k = m - l;
        let a = self.dep(rho);
        let cyy: f64 = (0..l)
            .map(|i| a[i] * (0..l).map(|j| c[i * m + j] * a[j]).sum::<f64>())
            .sum();
        // Jacobi scaling: the filtered intercept (1 − λ)ι is tiny near λ = 1.
        let (sc, xx) = self.scaled_zz(&c);
        let xy: Vec<f64> = (0..k)
            .map(|j| sc[j] * (0..l).map(|i| a[i] * c[i * m + l + j]).sum::<f64>())
            .collect();
        let bs = solve_spd(&xx, k, &xy, "Z'Ω⁻¹Z (the GLS cross products)")?;
        let sse = cyy - dot(&xy, &bs);
        let b: Vec<f64> = bs.iter().zip(&sc).map(|(v, s)| v * s).collect();
        Ok((b, sse, det))
    }

    fn nt(&self) -> f64 {
        (self.cross.n * self.cross.t) as f64
    }

    /// ℓc(ρ, λ, ψ) (β and σ²_ν concentrated out; full Gaussian value); −∞ where it fails.
    fn lc(&self, rho: f64, lam: f64, psi: f64) -> f64 {
        let nt = self.nt();
        match self.profile(rho, lam, psi.exp()) {
            Ok((_, sse, det)) if sse > 0.0 && det.is_finite() => {
                -0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0) - 0.5 * nt * (sse / nt).ln() + det
            }
            _ => f64::NEG_INFINITY,
        }
    }

    /// The full ℓ at x = [β, (ρ), λ, ψ, σ²_ν].
    fn full(&self, x: &[f64]) -> f64 {
        let lay = self.layout();
        let m = self.cross.m;
        let (rho, lam, psi, s2) = (lay.rho_of(x), x[lay.lam()], x[lay.psi()], x[lay.psi() + 1]);
        if s2 <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let Ok((c, det)) = self.form(lam, psi.exp()) else {
            return f64::NEG_INFINITY;
        };
        let det = det + self.lag_det(rho);
        let mut v = self.dep(rho);
        v.extend(x[..lay.k].iter().map(|b| -b));
        let mut q = 0.0;
        for i in 0..m {
            for j in 0..m {
                q += v[i] * c[i * m + j] * v[j];
            }
        }
        -0.5 * self.nt() * (2.0 * std::f64::consts::PI * s2).ln() + det - q / (2.0 * s2)
    }

    /// ρ̂(λ, ψ) and ℓc there (SAC). At fixed (λ, φ) the GLS residual sum of squares is a
    /// quadratic in ρ: with a = (1, −ρ) over [y, Wy] and R = C_LL − C_LZ C_ZZ⁻¹ C_ZL (2×2, one
    /// solve), SSE(ρ) = R₀₀ − 2ρR₀₁ + ρ²R₁₁, so the innermost search over ρ costs one
    /// log-determinant per evaluation.
    fn best_rho(&self, lam: f64, psi: f64) -> (f64, f64) {
        let (m, l) = (self.cross.m, self.cross.lead);
        let k = m - l;
        let Ok((c, det)) = self.form(lam, psi.exp()) else {
            return (0.0, f64::NEG_INFINITY);
        };
        if !det.is_finite() {
            return (0.0, f64::NEG_INFINITY);
        }
        let (sc, xx) = self.scaled_zz(&c);
        let mut r = vec![0.0; l * l];
        for a in 0..l {
            let xa: Vec<f64> = (0..k).map(|j| sc[j] * c[a * m + l + j]).collect();
            let Ok(ba) = solve_spd(&xx, k, &xa, "Z'Ω⁻¹Z (the GLS cross products)") else {
                return (0.0, f64::NEG_INFINITY);
            };
            for b in 0..l {
                let xb: Vec<f64> = (0..k).map(|j| sc[j] * c[b * m + l + j]).collect();
                r[a * l + b] = c[a * m + b] - dot(&xb, &ba);
            }
        }
        let nt = self.nt();
        let base = -0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0) + det;
        let sse = |rho: f64| {
            if l == 1 {
                r[0]
            } else {
                r[0] - rho * (r[1] + r[2]) + rho * rho * r[3]
            }
        };
        let value = |rho: f64| {
            let e = sse(rho);
            let j = self.lag_det(rho);
            if e > 0.0 && j.is_finite() {
                base - 0.5 * nt * (e / nt).ln() + j
            } else {
                f64::NEG_INFINITY
            }
        };
        if !self.lag {
            return (0.0, value(0.0));
        }
        let (lo, hi) = self.bounds;
        let best = if self.fast {
            optimize::maximize_with(value, None, lo, hi, 1e-12, optimize::SPARSE_GRID)
        } else {
            let score = |rho: f64| {
                let h = SCORE_STEP;
                let dj = (self.lag_det(rho + h) - self.lag_det(rho - h)) / (2.0 * h);
                0.5 * nt * ((r[1] + r[2]) - 2.0 * rho * r[3]) / sse(rho) + dj
            };
            optimize::maximize_with(value, Some(&score), lo, hi, 1e-10, optimize::GRID)
        };
        (best.x, best.value)
    }

    /// The profile ℓc(λ, ψ) = max_ρ ℓc(ρ, λ, ψ) and its ρ̂ (ρ = 0 for SEM/SDEM).
    fn profile_lc(&self, lam: f64, psi: f64) -> (f64, f64) {
        if self.lag {
            self.best_rho(lam, psi)
        } else {
            (0.0, self.lc(0.0, lam, psi))
        }
    }

    /// (ψ̂(λ), ρ̂(λ)) and ℓc there: the middle Brent over ψ of the ρ-profile
    /// ([`Self::profile_lc`]), its score a central difference at fixed ρ̂ (envelope theorem).
    fn inner(&self, lam: f64) -> (f64, f64, f64) {
        let f = |psi: f64| self.profile_lc(lam, psi).1;
        let score = |psi: f64| {
            let (rho, _) = self.profile_lc(lam, psi);
            (self.lc(rho, lam, psi + SCORE_STEP) - self.lc(rho, lam, psi - SCORE_STEP)) / (2.0 * SCORE_STEP)
        };
        let (lo, hi) = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
        let r = optimize::maximize_with(f, Some(&score), lo, hi, 1e-10, optimize::GRID);
        if self.lag {
            let (rho, value) = self.best_rho(lam, r.x);
            (r.x, rho, value)
        } else {
            (r.x, 0.0, r.value)
        }
    }

    /// dℓc/dλ at (ρ̂(λ), λ, ψ̂(λ)) (envelope theorem): a central difference at fixed ρ̂, ψ̂.
    fn outer_score(&self, lam: f64) -> f64 {
        let (psi, rho, _) = self.inner(lam);
        (self.lc(rho, lam + SCORE_STEP, psi) - self.lc(rho, lam - SCORE_STEP, psi)) / (2.0 * SCORE_STEP)
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

/// The Z columns (intercept, X, W·x of `lagged`) with their names and roles, the cross
/// products of A = [y, (Wy), Z] and, for BSK, the unit means of A and D ([`Means`]).
fn cross_data(
    design: &Design,
    w: &Weights,
    errors: ReErrors,
    lag: bool,
    lagged: &[usize],
) -> Result<(Cross, Option<Means>, Columns)> {
    let n = design.n;
    let t = design.t;
    let k_slopes = design.x.len();
    let mut names = vec!["(intercept)".to_string()];
    let mut z: Vec<Vec<f64>> = vec![vec![1.0; design.nobs()]];
    for (name, col) in design.names.iter().zip(&design.x) {
        names.push(name.clone());
        z.push(col.clone());
    }
    let mut theta_index = vec![None; k_slopes];
    for &j in lagged {
        theta_index[j] = Some(names.len());
        names.push(format!("W*{}", design.names[j]));
        z.push(w.lag_panel(&design.x[j]));
    }
    let wy = w.lag_panel(&design.y);
    let mut a = vec![design.y.clone()];
    if lag {
        a.push(wy.clone());
    }
    let lead = a.len();
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
        lead,
        within: [cross(&aw, &aw), cross(&aw, &dw), cross(&dw, &dw)],
        between: [scale(cross(&am, &am)), scale(cross(&am, &dm)), scale(cross(&dm, &dm))],
    };
    let means = (errors == ReErrors::Bsk).then(|| Means {
        n,
        t,
        m,
        abar: rows(&am),
        dbar: rows(&dm),
    });
    let beta_index: Vec<usize> = (1..=k_slopes).collect();
    Ok((
        cross_data,
        means,
        Columns {
            names,
            z,
            wy,
            beta_index,
            theta_index,
        },
    ))
}

/// The regressor columns of the model and their roles.
struct Columns {
    names: Vec<String>,
    z: Vec<Vec<f64>>,
    /// (I_T ⊗ W)y.
    wy: Vec<f64>,
    beta_index: Vec<usize>,
    theta_index: Vec<Option<usize>>,
}

/// Fits SEM, SDEM or SAC with individual random effects (module documentation) on W already
/// aligned to the design's units, with the checked options (`opts.fe` is [`Fe::Random`]) and the
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
    let lag = kind == ModelKind::Sac;
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
    if lag && errors == ReErrors::Bsk && engines.spectrum.is_none() {
        let eigen = if n <= BSK_MAX_N {
            format!(", or lndet: \"eigen\" (N = {n} ≤ {BSK_MAX_N}: the dense BSK terms)")
        } else {
            String::new()
        };
        return Err(Error::invalid(format!(
            "{tag}: on the sparse path ({}) every (λ, φ) of the Baltagi–Song–Koh likelihood is a sparse Cholesky \
             factorisation of I + TφBB', and SAC's nested search over (λ, φ, ρ) would need one per step, which \
             spillover does not do; use errors: \"kkp\" (the sparse path fits it){eigen}",
            engines.choice
        )));
    }
    let (cross_data, means, cols) = cross_data(design, w, errors, lag, &opts.lagged)?;
    let ls = crate::models::dense::LeastSquares::new(&cols.z, &cols.names)?;
    let e0 = ls.annihilate(&cols.z, &design.y);
    if dot(&e0, &e0) <= 1e-24 * dot(&design.y, &design.y).max(f64::MIN_POSITIVE) {
        return Err(Error::data(format!(
            "{tag}: the regressors reproduce '{}' exactly, so the likelihood is unbounded; drop regressors",
            design.depvar
        )));
    }
    // Log-determinant engine (as the fixed-effects fits), the BSK terms and the interval of λ
    // (and ρ).
    let engine = engines.engine();
    let spectrum = engines.spectrum.clone();
    let bsk: Option<Box<dyn BskDet>> = match means {
        None => None,
        Some(means) => Some(match &spectrum {
            Some(_) => Box::new(DenseBsk::new(w, means)),
            None => Box::new(SparseBsk::new(w, means)?),
        }),
    };
    let (interval, _) = search_interval(spectrum.as_deref(), w, opts)?;
    let (lo, hi) = (interval.0 + BOUND_DELTA, interval.1 - BOUND_DELTA);
    let fast = spectrum.is_none() && n > SPARSE_FAST_ABOVE_N;
    let prob = Problem {
        cross: cross_data,
        engine,
        bsk,
        kkp_start: Cell::new(false),
        ldet: RefCell::new(Vec::new()),
        lag,
        bounds: (lo, hi),
        fast,
    };
    let (plo, phi_hi) = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
    // ℓc(λ, ψ), ρ profiled out for SAC (the function the §11.7 check and the 2-D Newton see).
    let lc2 = |p: [f64; 2]| prob.profile_lc(p[0], p[1]).1;
    let sparse_bsk = prob.bsk.as_ref().is_some_and(|b| b.method() == "sparse");
    let (lam, psi, evaluations, optimiser, check) = if sparse_bsk {
        // SEM/SDEM only (SAC is refused above). Every (λ, φ) is a sparse Cholesky
        // factorisation: damped 2-D Newton from the KKP optimum (one factorisation of B per λ,
        // located coarsely).
        prob.kkp_start.set(true);
        let start = optimize::maximize_with(|lam| prob.inner(lam).2, None, lo, hi, 1e-6, optimize::SPARSE_GRID);
        let psi0 = prob.inner(start.x).0;
        prob.kkp_start.set(false);
        let r = newton2::maximize(&lc2, [start.x, psi0], [lo, plo], [hi, phi_hi]);
        let how = format!(
            "damped 2-D Newton in (lambda, ln phi) from the KKP optimum, {} iterations",
            r.iterations
        );
        (r.x[0], r.x[1], start.evaluations + r.evaluations, how, r)
    } else {
        // Nested bounded Brent: outer λ, middle ψ, (SAC) innermost ρ with the closed-form
        // SSE(ρ) (a coarse grid without the score polish on the sparse path at large N, as the
        // fixed-effects fits).
        let outer = if fast {
            optimize::maximize_with(|lam| prob.inner(lam).2, None, lo, hi, 1e-12, optimize::SPARSE_GRID)
        } else {
            let score = |lam: f64| prob.outer_score(lam);
            optimize::maximize_with(|lam| prob.inner(lam).2, Some(&score), lo, hi, 1e-10, optimize::GRID)
        };
        let (psi, _, _) = prob.inner(outer.x);
        let check = newton2::check(&lc2, [outer.x, psi], [lo, plo], [hi, phi_hi]);
        let evaluations = outer.evaluations + check.evaluations;
        let how = "nested bounded Brent".to_string();
        (check.x[0], check.x[1], evaluations, how, check)
    };
    crate::interrupt::check()?;
    let (rho, loglik) = prob.profile_lc(lam, psi);
    if !loglik.is_finite() {
        return Err(Error::numeric(format!(
            "{tag}: the log-likelihood is not finite anywhere in λ ∈ ({lo:.6}, {hi:.6}), φ ∈ [1e-8, 1e8]"
        )));
    }
    let phi = psi.exp();
    let (beta, sse, _) = prob.profile(rho, lam, phi)?;
    let nt = prob.nt();
    let sigma2 = sse / nt;
    let lay = prob.layout();
    let k = lay.k;
    // GLS covariance of β conditional on (ρ, λ, φ): σ²(Z'Ω⁻¹Z)⁻¹.
    let (c, _) = prob.form(lam, phi)?;
    let zoz = prob.zz(&c);
    let xx_inv = inverse_spd(&zoz, k, "Z'Ω⁻¹Z (the GLS cross products)")?;
    let cov_gls: Vec<f64> = xx_inv.iter().map(|v| sigma2 * v).collect();
    let se_gls: Vec<f64> = (0..k).map(|j| cov_gls[j * k + j].max(0.0).sqrt()).collect();
    // Covariance of [β, (ρ), λ, ψ, σ²].
    let p = lay.len();
    let mut x = beta.clone();
    if lag {
        x.push(rho);
    }
    x.extend([lam, psi, sigma2]);
    let spatial_names = if lag { "rho, lambda" } else { "lambda" };
    let (cov, cov_note) = match covariance {
        ReCovariance::Observed => {
            let mut h: Vec<f64> = se_gls.iter().map(|s| 1e-2 * s.max(1e-12)).collect();
            h.extend(std::iter::repeat_n(HESS_STEP, p - k - 1));
            h.push(HESS_STEP * sigma2);
            let f = |x: &[f64]| prob.full(x);
            let neg: Vec<f64> = hessian(&f, &x, &h).iter().map(|v| -v).collect();
            let what = format!("the observed information of (β, {spatial_names}, ψ, σ²_ν) at the estimate");
            (
                inverse_spd(&neg, p, &what)?,
                format!(
                    "observed information of the full log-likelihood in (beta, {spatial_names}, psi = ln phi, \
                     sigma2_idios), central-difference Hessian; phi and sigma2_mu by the delta method"
                ),
            )
        }
        ReCovariance::Expected => {
            // SEM/SDEM (SAC is refused by the option check): the covariance in (β, λ, φ, σ²_ν), its φ row and
            // column mapped to ψ = ln φ (d ψ = dφ/φ) for the common delta-method step.
            let mut cov = super::random_expected::error_expected_covariance(
                &zoz,
                w,
                t,
                (lam, phi, sigma2),
                errors == ReErrors::Bsk,
            )?;
            let ipsi = lay.psi();
            for i in 0..p {
                cov[i * p + ipsi] /= phi;
                cov[ipsi * p + i] /= phi;
            }
            (
                cov,
                "expected information (docs/methods.md §11.3) in (beta, lambda, phi, sigma2_idios)".to_string(),
            )
        }
        ReCovariance::Splm => {
            let mut cov = vec![0.0; p * p];
            for i in 0..k {
                for j in 0..k {
                    cov[i * p + j] = cov_gls[i * k + j];
                }
            }
            // Profile Hessian of ℓc over ((ρ,) λ, ψ).
            let np = p - k - 1;
            let f = |y: &[f64]| {
                let r = if lag { y[0] } else { 0.0 };
                prob.lc(r, y[np - 2], y[np - 1])
            };
            let neg: Vec<f64> = hessian(&f, &x[k..k + np], &vec![HESS_STEP; np])
                .iter()
                .map(|v| -v)
                .collect();
            let what = format!("the profile Hessian of ({spatial_names}, psi) at the estimate");
            let v = inverse_spd(&neg, np, &what)?;
            for i in 0..np {
                for j in 0..np {
                    cov[(k + i) * p + k + j] = v[i * np + j];
                }
            }
            cov[(p - 1) * p + p - 1] = 2.0 * sigma2 * sigma2 / nt;
            (
                cov,
                format!(
                    "GLS sigma2 (Z' Omega^-1 Z)^-1 conditional on ({spatial_names}, phi); ({spatial_names}, phi) from \
                     the central-difference profile Hessian; sigma2_idios 2 sigma^4/NT; block-diagonal"
                ),
            )
        }
    };
    // Fit measures: SEM/SDEM from the raw residuals e = y − Zβ̂ (as splm's summary); SAC from the
    // structural residual y − ρ̂Wy − Zβ̂, corr² with the reduced form (I_T ⊗ (I − ρ̂W))⁻¹Zβ̂.
    let zb = crate::models::dense::x_times(&cols.z, &beta);
    let e: Vec<f64> = (0..design.nobs())
        .map(|i| design.y[i] - rho * cols.wy[i] - zb[i])
        .collect();
    let fitted = if lag {
        // The sparse factorisation of the engines when there is one (else built) above the
        // dense-resolvent limit.
        let sparse = match (&engines.sparse, n > DENSE_RESOLVENT_LIMIT) {
            (_, false) => None,
            (Some(s), true) => Some(s.clone()),
            (None, true) => Some(crate::linalg::cache::sparse_logdet(w)?.0),
        };
        Resolvent::exact(w, rho, sparse.as_deref())?.solve_panel(&zb)?
    } else {
        zb
    };
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
    let panel_r2 = crate::models::panel_r2::panel_r2(&design.y, &fitted, n);
    let mut info = BTreeMap::new();
    info.insert("errors".into(), errors.name().to_string());
    info.insert("lndet_choice".into(), engines.choice.clone());
    info.insert("convergence".into(), check.describe(&optimiser));
    if let Some(b) = &prob.bsk {
        info.insert("bsk".into(), b.describe());
    }
    info.insert(
        "r2".into(),
        if lag {
            "1 - e'e/TSS with e = y - rho Wy - Zb (structural residuals); corr2 = corr(y, (I - rho W)^-1 Zb)^2"
        } else {
            "1 - e'e/TSS with e = y - Zb (raw residuals, as splm); corr2 = corr(y, Zb)^2"
        }
        .into(),
    );
    let mut spatial = Vec::new();
    if lag {
        spatial.push(("rho", rho));
    }
    spatial.push(("lambda", lam));
    let est = ReEstimate {
        names: cols.names,
        beta_index: cols.beta_index,
        theta_index: cols.theta_index,
        beta,
        spatial,
        phi,
        sigma2,
        loglik,
        cov,
        cov_gls,
        covariance,
        cov_note,
        interval,
        evaluations,
        r2,
        corr2,
        panel_r2,
        info,
    };
    let mut fit = assemble_random(design, w, kind, est, engine, spectrum)?;
    fit.model.warnings.extend(check.warning("lambda"));
    if let Some(b) = &prob.bsk {
        fit.model
            .extras
            .insert("bsk_factorisations".into(), b.factorisations() as f64);
    }
    Ok(fit)
}
