//! Per-unit scores of a fit and the bread of its sandwich, for the cluster-robust Hausman test
//! (docs/methods.md §12.4, hausman `covariance: "robust"`).
//!
//! For a fit with parameter vector θ (p entries, including variance parameters), the score of
//! unit i is s_i = Σ_t ∂ℓ_it/∂θ (or the estimating-equation contribution for least squares),
//! with Σ_i s_i = 0 at the estimate, and the bread B is the inverse of minus the Hessian (or of
//! the information used for the model's covariance). The cluster-by-unit sandwich of two fits
//! F and R of the same units is
//!
//! ```text
//! V_FR = B_F (Σ_i s_F,i s_R,i') B_R'
//! ```
//!
//! Which scores each estimator records:
//!
//! * least squares on transformed data (within OLS, the random-effects GLS of §11.1): the
//!   columns X̃ and residuals ẽ of the transformed regression, s_i = Σ_t x̃_it ẽ_it, B = (X̃'X̃)⁻¹
//!   (exact per-unit estimating equations: both transformations act within a unit);
//! * the spatial lag models (SAR, SDM) with individual fixed effects or random effects:
//!   the ML scores of the (demeaned or quasi-demeaned) likelihood, with the log-determinant
//!   term apportioned to units by the diagonal of G = W(I − ρW)⁻¹ (the [DESIGN] rule of
//!   docs/methods.md §12.4: T ln|I − ρW| has derivative −T tr G = −T Σ_i G_ii, unit i takes
//!   −T G_ii), so that the unit scores sum to the total score; B is the fit's covariance of all
//!   its parameters.

use crate::error::{Error, Result};

/// Per-unit scores and the bread of one fit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitScores {
    /// For each of the p parameters, its index in the model's `coefficients` (`None` for a
    /// parameter that is not a coefficient, e.g. σ²).
    pub coef: Vec<Option<usize>>,
    /// N × p scores, row-major (unit i's row).
    pub scores: Vec<f64>,
    /// p × p bread, row-major.
    pub bread: Vec<f64>,
    /// Units N.
    pub n: usize,
}

impl UnitScores {
    /// Parameters p.
    pub fn p(&self) -> usize {
        self.coef.len()
    }

    /// Σ_i s_i (the total score: ≈ 0 at the estimate).
    pub fn total(&self) -> Vec<f64> {
        let p = self.p();
        (0..p)
            .map(|j| (0..self.n).map(|i| self.scores[i * p + j]).sum())
            .collect()
    }

    /// B s_i for every unit: N × p row-major (the unit's influence on the estimate).
    pub fn influence(&self) -> Vec<f64> {
        let p = self.p();
        let mut out = vec![0.0; self.n * p];
        for i in 0..self.n {
            for a in 0..p {
                out[i * p + a] = (0..p).map(|b| self.bread[a * p + b] * self.scores[i * p + b]).sum();
            }
        }
        out
    }
}

/// Least-squares scores: columns `x` (p, each NT, time-slow stacked over `n` units) and
/// residuals `e` of a regression on transformed data; B = (X'X)⁻¹ given as `xtx_inv` (p × p);
/// `coef` as in [`UnitScores::coef`].
pub fn least_squares(x: &[Vec<f64>], e: &[f64], n: usize, xtx_inv: Vec<f64>, coef: Vec<Option<usize>>) -> UnitScores {
    let p = x.len();
    let mut scores = vec![0.0; n * p];
    for (j, col) in x.iter().enumerate() {
        for (r, (v, ev)) in col.iter().zip(e).enumerate() {
            scores[(r % n) * p + j] += v * ev;
        }
    }
    UnitScores {
        coef,
        scores,
        bread: xtx_inv,
        n,
    }
}

/// The diagonal of G = W(I − ρW)⁻¹ from dense W (N × N row-major), by one LU of I − ρW.
pub fn g_diagonal(w: &[f64], n: usize, rho: f64) -> Result<Vec<f64>> {
    use faer::linalg::solvers::Solve;
    let a = faer::Mat::<f64>::from_fn(n, n, |i, j| f64::from(i == j) - rho * w[i * n + j]);
    let inv = a.partial_piv_lu().solve(faer::Mat::<f64>::identity(n, n));
    let d: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| w[i * n + j] * inv[(j, i)]).sum())
        .collect();
    if d.iter().any(|v| !v.is_finite()) {
        return Err(Error::numeric(format!(
            "unit scores: I − ρW is singular at rho = {rho}"
        )));
    }
    Ok(d)
}

/// ML scores of a spatial lag model (SAR/SDM) on transformed data (demeaned for fixed effects,
/// quasi-demeaned for random effects), parameters (β over `z`, ρ, [ψ,] σ²):
///
/// ```text
/// s_i,β  = Σ_t z_it e_it/σ²,   s_i,ρ = Σ_t (Wy)_it e_it/σ² − T·G_ii,
/// s_i,σ² = −T/(2σ²) + Σ_t e_it²/(2σ⁴)
/// random effects: s_i,φ = −T/(2(1 + Tφ)) + T² ē_i²/(2σ²(1 + Tφ)²)   (ē_i: mean of the raw residuals)
/// ```
///
/// `e` the transformed residuals, `g_diag` the diagonal of G, `t_jac` the T multiplying the
/// Jacobian; `re` = Some((φ, raw unit-mean residuals ē)) for random effects, the φ score (not ψ)
/// placed before σ². `cov` is the fit's covariance of the same parameters (the bread).
#[allow(clippy::too_many_arguments)]
pub fn lag_ml(
    z: &[Vec<f64>],
    wy: &[f64],
    e: &[f64],
    sigma2: f64,
    g_diag: &[f64],
    t_jac: f64,
    re: Option<(f64, &[f64])>,
    cov: Vec<f64>,
    coef: Vec<Option<usize>>,
) -> UnitScores {
    let n = g_diag.len();
    let k = z.len();
    let p = k + 2 + usize::from(re.is_some());
    let mut scores = vec![0.0; n * p];
    for r in 0..e.len() {
        let i = r % n;
        let row = &mut scores[i * p..(i + 1) * p];
        for (j, col) in z.iter().enumerate() {
            row[j] += col[r] * e[r] / sigma2;
        }
        row[k] += wy[r] * e[r] / sigma2;
        row[p - 1] += e[r] * e[r] / (2.0 * sigma2 * sigma2);
    }
    let t = (e.len() / n.max(1)) as f64;
    for i in 0..n {
        let row = &mut scores[i * p..(i + 1) * p];
        row[k] -= t_jac * g_diag[i];
        row[p - 1] -= t / (2.0 * sigma2);
        if let Some((phi, ebar)) = re {
            let a = 1.0 + t * phi;
            row[k + 1] = -t / (2.0 * a) + t * t * ebar[i] * ebar[i] / (2.0 * sigma2 * a * a);
        }
    }
    UnitScores {
        coef,
        scores,
        bread: cov,
        n,
    }
}

/// The cluster-by-unit covariance V_FR = B_F (Σ_i s_F,i s_R,i') B_R' restricted to the rows `a`
/// of F's parameters and the columns `b` of R's (positions in their parameter lists).
pub fn cross_covariance(f: &UnitScores, r: &UnitScores, a: &[usize], b: &[usize]) -> Result<Vec<f64>> {
    if f.n != r.n {
        return Err(Error::invalid(format!(
            "robust covariance: the fits have {} and {} units",
            f.n, r.n
        )));
    }
    let (pf, pr) = (f.p(), r.p());
    let inf_f = f.influence();
    let inf_r = r.influence();
    let mut out = vec![0.0; a.len() * b.len()];
    for i in 0..f.n {
        for (x, &ia) in a.iter().enumerate() {
            let u = inf_f[i * pf + ia];
            for (y, &jb) in b.iter().enumerate() {
                out[x * b.len() + y] += u * inf_r[i * pr + jb];
            }
        }
    }
    Ok(out)
}
