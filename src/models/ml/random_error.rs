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
//! λ → 1). For BSK the eigen-decomposition BB' = U diag(s²) U' (dense, once per λ) gives
//! ln|M| = Σ ln(1 + Tφ s_i²) and T(Bā)'M⁻¹(Bb̄) = T Σ_i g_a,i g_b,i/(1 + Tφ s_i²), g = U'BĀ, for
//! every φ and ρ at O(N m²). No NT×NT object is formed; the BSK path needs one dense N×N
//! decomposition per λ and is limited to N ≤ [`BSK_MAX_N`]. ln|B| and ln|A(ρ)| come from the
//! project's log-determinant engine (eigenvalues, or the sparse engine for large N).
//!
//! Estimation (docs/methods.md §11.7, §18): β and σ²_ν are concentrated out (GLS); ℓc is
//! maximised by nested bounded Brent, outer λ on the feasible interval kept 1e−9 from its ends,
//! middle ψ ∈ [ln 1e−8, ln 1e8], (SAC) innermost ρ on the same interval as λ, tolerance 1e−10.
//! λ is the outer parameter so that one BSK decomposition serves every (ψ, ρ) at that λ, and ρ
//! the innermost because at fixed (λ, φ) the residual sum of squares is a quadratic in ρ
//! (a 2×2 reduced cross-product), leaving one log-determinant per evaluation.
//!
//! Covariance ([`ReCovariance`]): the default is the inverse observed information of the full
//! ℓ in (β, [ρ,] λ, ψ, σ²_ν), a central-difference Hessian (steps 1e−2·se_GLS for β, 5e−4 for ρ,
//! λ and ψ, 5e−4·σ²_ν for σ²_ν), mapped to φ = e^ψ by the delta method; `"splm"` reproduces
//! splm (`semREmod`, `sem2REmod`, `saremREmod`, `sarem2REmod`): β by GLS σ²_ν(Z'Ω⁻¹Z)⁻¹
//! conditional on ([ρ̂,] λ̂, φ̂), ([ρ,] λ, φ) from the inverse central-difference Hessian of ℓc
//! (the profile information), σ²_ν with 2σ⁴/NT, block-diagonal. The conditional GLS covariance
//! is kept in both cases (`Model::vcov_conditional`, for hausman `convention: "splm"`).

use super::optimize;
use super::options::{CheckedOptions, ReCovariance, ReErrors};
use super::random::{assemble_random, ReEstimate};
use super::{SpatialFit, BOUND_DELTA};
use crate::error::{Error, Result};
use crate::linalg::logdet::{auto_choice, choose_logdet, LogDetMethod, SparseLogDet};
use crate::linalg::sparse::spectral_bound;
use crate::linalg::{LogDet, Resolvent, DENSE_RESOLVENT_LIMIT};
use crate::models::dense::{dot, inverse_spd, solve_spd};
use crate::models::formula::Design;
use crate::models::random::PHI_BOUNDS;
use crate::models::result::ModelKind;
use crate::models::within::{demean, unit_means, Fe};
use crate::weights::{Spectrum, Weights};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Largest N for the Baltagi–Song–Koh likelihood, which needs the dense eigen-decomposition of
/// BB' (N×N) at every λ; the KKP structure has no such limit.
pub const BSK_MAX_N: usize = 2000;

/// Step of the central-difference scores that polish the Brent optima (the score root is found
/// to rounding, so λ̂ and ψ̂ are not limited by the √ε flatness of the maximum).
const SCORE_STEP: f64 = 1e-5;

/// Step of the central-difference Hessians in λ and ψ (relative for σ²_ν); the standard errors
/// are stable to ~1e−6 relative for steps between 1e−4 and 2e−3 on insurance and produc.
const HESS_STEP: f64 = 5e-4;

/// Cross products of the data: within (C0, C1, C2) and, for KKP, between ones, plus the unit
/// means Ā (N×m, row-major) for BSK.
struct Cross {
    n: usize,
    t: usize,
    m: usize,
    /// Leading columns that are not regressors: 1 ([y]) or 2 ([y, Wy], SAC).
    lead: usize,
    within: [Vec<f64>; 3],
    between: [Vec<f64>; 3],
    /// Unit means of A, row-major N×m.
    abar: Vec<f64>,
    /// Unit means of D = A − LA, row-major N×m.
    dbar: Vec<f64>,
    /// Dense W (row-major), BSK only.
    wd: Option<Vec<f64>>,
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
fn quad(c: &[Vec<f64>; 3], m: usize, lam: f64) -> Vec<f64> {
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

/// The BSK quantities at one λ: s_i² (eigenvalues of BB') and G = U'BĀ (N×m, row-major).
struct BskAt {
    s2: Vec<f64>,
    g: Vec<f64>,
}

impl Cross {
    fn bsk_at(&self, lam: f64) -> Result<BskAt> {
        let (n, m) = (self.n, self.m);
        let wd = self.wd.as_ref().expect("dense W for BSK");
        let b = faer::Mat::<f64>::from_fn(n, n, |i, j| f64::from(i == j) - lam * wd[i * n + j]);
        let bbt = &b * b.transpose();
        let evd = bbt.self_adjoint_eigen(faer::Side::Lower).map_err(|e| {
            Error::numeric(format!(
                "random effects (errors \"bsk\"): eigen-decomposition of BB' failed ({e:?})"
            ))
        })?;
        let u = evd.U();
        let s = evd.S().column_vector();
        // BĀ = (1 − λ)Ā + λD̄ (the basis of [`quad`]).
        let ba = faer::Mat::<f64>::from_fn(n, m, |i, j| {
            (1.0 - lam) * self.abar[i * m + j] + lam * self.dbar[i * m + j]
        });
        let g = u.transpose() * &ba;
        Ok(BskAt {
            s2: (0..n).map(|i| s[i].max(0.0)).collect(),
            g: (0..n * m).map(|k| g[(k / m, k % m)]).collect(),
        })
    }
}

/// Everything one evaluation needs.
struct Problem<'a> {
    cross: Cross,
    errors: ReErrors,
    engine: &'a dyn LogDet,
    /// SAC: the spatial lag ρ(I_T ⊗ W)y is in the model (column 1 of A).
    lag: bool,
    /// Search interval of ρ and λ, kept [`BOUND_DELTA`] from the feasible ends.
    bounds: (f64, f64),
    /// Cache of the BSK decomposition by λ (bits).
    cache: RefCell<Vec<(u64, Arc<BskAt>)>>,
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

    fn bsk(&self, lam: f64) -> Result<Arc<BskAt>> {
        let key = lam.to_bits();
        if let Some((_, v)) = self.cache.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(v.clone());
        }
        let v = Arc::new(self.cross.bsk_at(lam)?);
        let mut c = self.cache.borrow_mut();
        if c.len() >= 8 {
            c.remove(0);
        }
        c.push((key, v.clone()));
        Ok(v)
    }

    /// T ln|I − ρW| for SAC (the lag Jacobian), 0 otherwise.
    fn lag_det(&self, rho: f64) -> f64 {
        if self.lag {
            self.cross.t as f64 * self.engine.logdet(rho)
        } else {
            0.0
        }
    }

    /// The quadratic-form matrix C(λ, φ) (m×m) and the determinant term of ℓ without the lag
    /// Jacobian.
    fn form(&self, lam: f64, phi: f64, bsk: Option<&BskAt>) -> (Vec<f64>, f64) {
        let (n, t, m) = (self.cross.n, self.cross.t as f64, self.cross.m);
        let mut c = quad(&self.cross.within, m, lam);
        let jac = t * self.engine.logdet(lam);
        match (self.errors, bsk) {
            (ReErrors::Kkp, _) | (ReErrors::Bsk, None) => {
                let a = 1.0 + t * phi;
                let cb = quad(&self.cross.between, m, lam);
                c.iter_mut().zip(&cb).for_each(|(x, y)| *x += y / a);
                (c, jac - 0.5 * n as f64 * a.ln())
            }
            (ReErrors::Bsk, Some(b)) => {
                let mut ld = 0.0;
                for i in 0..n {
                    let d = 1.0 + t * phi * b.s2[i];
                    ld += d.ln();
                    let gi = &b.g[i * m..(i + 1) * m];
                    let f = t / d;
                    for p in 0..m {
                        for q in 0..m {
                            c[p * m + q] += f * gi[p] * gi[q];
                        }
                    }
                }
                (c, jac - 0.5 * ld)
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

    /// β(ρ, λ, φ), SSE and the determinant term.
    fn profile(&self, rho: f64, lam: f64, phi: f64, bsk: Option<&BskAt>) -> Result<(Vec<f64>, f64, f64)> {
        let (m, l) = (self.cross.m, self.cross.lead);
        let (c, det) = self.form(lam, phi, bsk);
        let det = det + self.lag_det(rho);
        let k = m - l;
        let a = self.dep(rho);
        let cyy: f64 = (0..l)
            .map(|i| a[i] * (0..l).map(|j| c[i * m + j] * a[j]).sum::<f64>())
            .sum();
        // Jacobi scaling: the filtered intercept (1 − λ)ι is tiny near λ = 1.
        let sc: Vec<f64> = (l..m)
            .map(|i| 1.0 / c[i * m + i].max(f64::MIN_POSITIVE).sqrt())
            .collect();
        let xx: Vec<f64> = self
            .zz(&c)
            .iter()
            .enumerate()
            .map(|(q, v)| v * sc[q / k] * sc[q % k])
            .collect();
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

    /// ℓc(ρ, λ, ψ) (β and σ²_ν concentrated out; full Gaussian value).
    fn lc(&self, rho: f64, lam: f64, psi: f64, bsk: Option<&BskAt>) -> f64 {
        let nt = self.nt();
        match self.profile(rho, lam, psi.exp(), bsk) {
            Ok((_, sse, det)) if sse > 0.0 => {
                -0.5 * nt * ((2.0 * std::f64::consts::PI).ln() + 1.0) - 0.5 * nt * (sse / nt).ln() + det
            }
            _ => f64::NEG_INFINITY,
        }
    }

    fn bsk_opt(&self, lam: f64) -> Option<Arc<BskAt>> {
        match self.errors {
            ReErrors::Bsk => self.bsk(lam).ok(),
            ReErrors::Kkp => None,
        }
    }

    /// ℓc at (ρ, λ, ψ) with the BSK decomposition looked up.
    fn lc_at(&self, rho: f64, lam: f64, psi: f64) -> f64 {
        if self.errors == ReErrors::Bsk {
            match self.bsk(lam) {
                Ok(b) => self.lc(rho, lam, psi, Some(&b)),
                Err(_) => f64::NEG_INFINITY,
            }
        } else {
            self.lc(rho, lam, psi, None)
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
        let bsk = self.bsk_opt(lam);
        if self.errors == ReErrors::Bsk && bsk.is_none() {
            return f64::NEG_INFINITY;
        }
        let (c, det) = self.form(lam, psi.exp(), bsk.as_deref());
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

    /// ρ̂(λ, ψ) and ℓc there. At fixed (λ, φ) the GLS residual sum of squares is a quadratic in
    /// ρ: with a = (1, −ρ) over [y, Wy] and R = C_LL − C_LZ C_ZZ⁻¹ C_ZL (2×2, one solve),
    /// SSE(ρ) = R₀₀ − 2ρR₀₁ + ρ²R₁₁, so the innermost search over ρ (SAC; ρ = 0 otherwise) costs
    /// one log-determinant per evaluation.
    fn best_rho(&self, lam: f64, psi: f64, bsk: Option<&BskAt>) -> (f64, f64) {
        let (m, l) = (self.cross.m, self.cross.lead);
        let k = m - l;
        let (c, det) = self.form(lam, psi.exp(), bsk);
        let sc: Vec<f64> = (l..m)
            .map(|i| 1.0 / c[i * m + i].max(f64::MIN_POSITIVE).sqrt())
            .collect();
        let xx: Vec<f64> = self
            .zz(&c)
            .iter()
            .enumerate()
            .map(|(q, v)| v * sc[q / k] * sc[q % k])
            .collect();
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
            if e > 0.0 {
                base - 0.5 * nt * (e / nt).ln() + self.lag_det(rho)
            } else {
                f64::NEG_INFINITY
            }
        };
        if !self.lag {
            return (0.0, value(0.0));
        }
        let score = |rho: f64| {
            let h = SCORE_STEP;
            let dj = (self.lag_det(rho + h) - self.lag_det(rho - h)) / (2.0 * h);
            0.5 * nt * ((r[1] + r[2]) - 2.0 * rho * r[3]) / sse(rho) + dj
        };
        let (lo, hi) = self.bounds;
        let best = optimize::maximize_with(value, Some(&score), lo, hi, 1e-10, optimize::GRID);
        (best.x, best.value)
    }

    /// (ψ̂(λ), ρ̂(λ)) and ℓc there: the middle Brent over ψ of the ρ-profile ([`Self::best_rho`]),
    /// its score a central difference at fixed ρ̂ (envelope theorem).
    fn inner(&self, lam: f64) -> (f64, f64, f64) {
        let bsk = self.bsk_opt(lam);
        if self.errors == ReErrors::Bsk && bsk.is_none() {
            return (0.0, 0.0, f64::NEG_INFINITY);
        }
        let f = |psi: f64| self.best_rho(lam, psi, bsk.as_deref()).1;
        let score = |psi: f64| {
            let (rho, _) = self.best_rho(lam, psi, bsk.as_deref());
            (self.lc(rho, lam, psi + SCORE_STEP, bsk.as_deref()) - self.lc(rho, lam, psi - SCORE_STEP, bsk.as_deref()))
                / (2.0 * SCORE_STEP)
        };
        let (lo, hi) = (PHI_BOUNDS.0.ln(), PHI_BOUNDS.1.ln());
        let r = optimize::maximize_with(f, Some(&score), lo, hi, 1e-10, optimize::GRID);
        let (rho, value) = self.best_rho(lam, r.x, bsk.as_deref());
        (r.x, rho, value)
    }

    /// dℓc/dλ at (ρ̂(λ), λ, ψ̂(λ)) (envelope theorem): a central difference at fixed ρ̂, ψ̂.
    fn outer_score(&self, lam: f64) -> f64 {
        let (psi, rho, _) = self.inner(lam);
        (self.lc_at(rho, lam + SCORE_STEP, psi) - self.lc_at(rho, lam - SCORE_STEP, psi)) / (2.0 * SCORE_STEP)
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

/// The Z columns (intercept, X, W·x of `lagged`) with their names and roles, and the cross
/// products of A = [y, (Wy), Z].
fn cross_data(design: &Design, w: &Weights, errors: ReErrors, lag: bool, lagged: &[usize]) -> Result<(Cross, Columns)> {
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
        abar: rows(&am),
        dbar: rows(&dm),
        wd: (errors == ReErrors::Bsk).then(|| w.to_dense()),
    };
    let beta_index: Vec<usize> = (1..=k_slopes).collect();
    Ok((
        cross_data,
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
/// aligned to the design's units, with the checked options (`opts.fe` is [`Fe::Random`]).
pub(crate) fn fit(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    opts: &CheckedOptions,
    errors: ReErrors,
    covariance: ReCovariance,
) -> Result<SpatialFit> {
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
    if errors == ReErrors::Bsk && n > BSK_MAX_N {
        return Err(Error::invalid(format!(
            "{tag}: the Baltagi–Song–Koh likelihood needs a dense eigen-decomposition of BB' ({n} × {n}) at every \
             λ, which spillover does for N ≤ {BSK_MAX_N} only; use errors: \"kkp\" (no such limit) or fewer units"
        )));
    }
    let (cross_data, cols) = cross_data(design, w, errors, lag, &opts.lagged)?;
    let ls = crate::models::dense::LeastSquares::new(&cols.z, &cols.names)?;
    let e0 = ls.annihilate(&cols.z, &design.y);
    if dot(&e0, &e0) <= 1e-24 * dot(&design.y, &design.y).max(f64::MIN_POSITIVE) {
        return Err(Error::data(format!(
            "{tag}: the regressors reproduce '{}' exactly, so the likelihood is unbounded; drop regressors",
            design.depvar
        )));
    }
    // Log-determinant engine and the interval of λ (and ρ).
    let (method, why) = match opts.lndet {
        LogDetMethod::Auto => auto_choice(w),
        other => (other, format!("lndet \"{}\" requested", other.name())),
    };
    let spectrum: Option<Arc<Spectrum>> = match method {
        LogDetMethod::Eigen | LogDetMethod::Auto => Some(w.spectrum()?),
        _ => None,
    };
    let boxed: Option<Box<dyn LogDet>> = match &spectrum {
        Some(_) => None,
        None => Some(choose_logdet(w, method)?),
    };
    let engine: &dyn LogDet = match (&spectrum, &boxed) {
        (Some(s), _) => &**s,
        (None, Some(b)) => &**b,
        _ => unreachable!("one engine"),
    };
    let interval = match (&spectrum, opts.interval) {
        (_, Some(iv)) => iv,
        (Some(s), None) => s.interval(),
        (None, None) => {
            let r = spectral_bound(w.matrix());
            if !(r.is_finite() && r > 0.0) {
                return Err(Error::invalid(
                    "the weights matrix has no positive entry, so lambda is not identified; check the weights",
                ));
            }
            (-1.0 / r, 1.0 / r)
        }
    };
    let (lo, hi) = (interval.0 + BOUND_DELTA, interval.1 - BOUND_DELTA);
    let prob = Problem {
        cross: cross_data,
        errors,
        engine,
        lag,
        bounds: (lo, hi),
        cache: RefCell::new(Vec::new()),
    };
    // Nested bounded Brent: outer λ, middle ψ, (innermost ρ, closed-form SSE).
    let objective = |lam: f64| prob.inner(lam).2;
    let score = |lam: f64| prob.outer_score(lam);
    let outer = optimize::maximize_with(objective, Some(&score), lo, hi, 1e-10, optimize::GRID);
    crate::interrupt::check()?;
    if !outer.value.is_finite() {
        return Err(Error::numeric(format!(
            "{tag}: the log-likelihood is not finite anywhere in λ ∈ ({lo:.6}, {hi:.6}), φ ∈ [1e-8, 1e8]"
        )));
    }
    let lam = outer.x;
    let (psi, rho, loglik) = prob.inner(lam);
    let phi = psi.exp();
    let bsk = prob.bsk_opt(lam);
    let (beta, sse, _) = prob.profile(rho, lam, phi, bsk.as_deref())?;
    let nt = prob.nt();
    let sigma2 = sse / nt;
    let lay = prob.layout();
    let k = lay.k;
    // GLS covariance of β conditional on (ρ, λ, φ): σ²(Z'Ω⁻¹Z)⁻¹.
    let (c, _) = prob.form(lam, phi, bsk.as_deref());
    let xx_inv = inverse_spd(&prob.zz(&c), k, "Z'Ω⁻¹Z (the GLS cross products)")?;
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
                prob.lc_at(r, y[np - 2], y[np - 1])
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
        let sparse = if n > DENSE_RESOLVENT_LIMIT {
            Some(SparseLogDet::new(w)?)
        } else {
            None
        };
        Resolvent::exact(w, rho, sparse.as_ref())?.solve_panel(&zb)?
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
    let mut info = BTreeMap::new();
    info.insert("errors".into(), errors.name().to_string());
    info.insert("lndet_choice".into(), why);
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
        evaluations: outer.evaluations,
        r2,
        corr2,
        info,
    };
    assemble_random(design, w, kind, est, engine, spectrum.clone())
}
