//! Analytic information matrices of the spatial ML models (METHODS §7.4), in the parameter
//! order [β (β, θ); ρ or λ; σ²], and the dense N×N pieces they need at the estimate.
//!
//! SAR/SDM, with G = W(I − ρW)⁻¹, Ḡ = I_T ⊗ G and Z̃ the (demeaned) regressors:
//!
//! ```text
//! I_bb = Z̃'Z̃/σ²,  I_bρ = Z̃'ḠZ̃b/σ²,  I_ρρ = T·tr(GG + G'G) + ‖ḠZ̃b‖²/σ²,
//! I_ρσ² = T·tr(G)/σ²,  I_σ²σ² = NT/(2σ⁴),  I_bσ² = 0.
//! ```
//!
//! SEM/SDEM: I_bb = X*'X*/σ² with X* = X̃ − λ(WX)~; I_λλ = T·tr(GG + G'G); I_λσ² = T·tr(G)/σ²;
//! I_σ²σ² = NT/(2σ⁴); I_bλ = I_bσ² = 0.
//!
//! On the exact eigenvalue path tr(G) = Σ ω/(1−ρω) and tr(G²) = Σ ω²/(1−ρω)² come from the
//! eigenvalues and tr(G'G) = ‖G‖²_F from one dense solve ([`DenseG`]). On the sparse path
//! (no eigenvalues, no N×N object) the factorisation of I − ρ̂W gives them through
//! [`crate::linalg::traces::g_traces_sparse`]: exact from N sparse solves when affordable,
//! else finite differences of the exact log-determinant and a Hutchinson estimate, with their
//! errors reported. Under the Lee–Yu transformation with time effects (W* = F'WF, whose
//! eigenvalues are those of W without the unit one, and G* = F'GF) the traces become
//! tr(G) − 1/(1−ρ), tr(G²) − 1/(1−ρ)² and ‖G‖²_F − ‖G'ι‖²/N (row-standardised W).

use super::Ctx;
use crate::error::{Error, Result};
use crate::linalg::logdet::SparseFactor;
use crate::linalg::traces::{g_traces_sparse, GTraces, TraceMethod};
use crate::weights::{Spectrum, Weights};
use faer::linalg::solvers::{PartialPivLu, Solve};
use faer::Mat;

/// tr(G) and tr(G²) for G = W(I − ρW)⁻¹ from the eigenvalues (real parts of complex sums).
pub fn traces_from_spectrum(spec: &Spectrum, rho: f64) -> (f64, f64) {
    let mut t1 = 0.0;
    let mut t2 = 0.0;
    for (&a, &b) in spec.re.iter().zip(&spec.im) {
        if b == 0.0 {
            let g = a / (1.0 - rho * a);
            t1 += g;
            t2 += g * g;
        } else {
            // g = ω/(1 − ρω) as a complex number.
            let (dr, di) = (1.0 - rho * a, -rho * b);
            let den = dr * dr + di * di;
            let gr = (a * dr + b * di) / den;
            let gi = (b * dr - a * di) / den;
            t1 += gr;
            t2 += gr * gr - gi * gi;
        }
    }
    (t1, t2)
}

/// The dense factorisation of A = I − ρW and G = W A⁻¹ at one ρ (O(N³) once per estimate).
pub struct DenseG {
    n: usize,
    lu: PartialPivLu<f64>,
    /// G' (N×N).
    gt: Mat<f64>,
}

impl DenseG {
    /// Factorises I − ρW (W dense N×N from the sparse weights) and forms G' = A'⁻¹W'.
    pub fn new(w: &Weights, rho: f64) -> Result<DenseG> {
        let n = w.n();
        let mut a = Mat::<f64>::identity(n, n);
        let mut wt = Mat::<f64>::zeros(n, n);
        for (i, row) in w.matrix().outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                a[(i, j)] -= rho * v;
                wt[(j, i)] = v;
            }
        }
        let lu = a.partial_piv_lu();
        lu.solve_transpose_in_place(wt.as_mut());
        if (0..n).any(|j| !wt[(j, j)].is_finite()) {
            return Err(Error::numeric(format!(
                "I − ρW is singular at ρ = {rho}; the estimate lies on the boundary of the feasible interval"
            )));
        }
        Ok(DenseG { n, lu, gt: wt })
    }

    /// tr(G'G) = ‖G‖²_F.
    pub fn frobenius2(&self) -> f64 {
        let mut s = 0.0;
        for j in 0..self.n {
            for i in 0..self.n {
                s += self.gt[(i, j)] * self.gt[(i, j)];
            }
        }
        s
    }

    /// tr(G) and tr(GG) from G' (Σ g_ii, Σ g_ij g_ji).
    pub fn gt_traces(&self) -> (f64, f64) {
        let (mut g, mut gg) = (0.0, 0.0);
        for j in 0..self.n {
            g += self.gt[(j, j)];
            for i in 0..self.n {
                gg += self.gt[(i, j)] * self.gt[(j, i)];
            }
        }
        (g, gg)
    }

    /// ‖G'ι‖² (squared norm of the column sums of G).
    pub fn colsum_norm2(&self) -> f64 {
        let mut c = vec![0.0; self.n];
        for j in 0..self.n {
            for (i, ci) in c.iter_mut().enumerate() {
                *ci += self.gt[(i, j)];
            }
        }
        c.iter().map(|v| v * v).sum()
    }

    /// (I_T ⊗ (I − ρW)⁻¹)v for a time-slow stacked NT-vector.
    pub fn solve_panel(&self, v: &[f64]) -> Vec<f64> {
        let n = self.n;
        let t = v.len() / n;
        let mut m = Mat::from_fn(n, t, |i, s| v[s * n + i]);
        self.lu.solve_in_place(m.as_mut());
        let mut out = vec![0.0; v.len()];
        for s in 0..t {
            for i in 0..n {
                out[s * n + i] = m[(i, s)];
            }
        }
        out
    }

    /// (I_T ⊗ G)v = (I_T ⊗ W)(I_T ⊗ A⁻¹)v.
    pub fn apply_g(&self, w: &Weights, v: &[f64]) -> Vec<f64> {
        w.lag_panel(&self.solve_panel(v))
    }
}

/// The trace terms of the information matrix at one ρ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traces {
    /// tr(G).
    pub g: f64,
    /// tr(G²).
    pub gg: f64,
    /// tr(G'G).
    pub gtg: f64,
}

impl Traces {
    /// Traces at ρ: tr(G), tr(G²) from the eigenvalues, tr(G'G) from `dense`; `lee_yu_time`
    /// removes the unit eigenvalue direction (Lee–Yu transformation with time effects).
    pub fn new(spec: &Spectrum, dense: &DenseG, rho: f64, lee_yu_time: bool) -> Traces {
        let (g, gg) = traces_from_spectrum(spec, rho);
        let gtg = dense.frobenius2();
        if lee_yu_time {
            let u = 1.0 / (1.0 - rho);
            Traces {
                g: g - u,
                gg: gg - u * u,
                gtg: gtg - dense.colsum_norm2() / dense.n as f64,
            }
        } else {
            Traces { g, gg, gtg }
        }
    }
}

/// (I − ρW)⁻¹ at one ρ: the dense LU of the exact eigenvalue path, or the sparse factorisation.
pub enum Resolvent<'a> {
    /// Dense LU and G' (N ≤ the eigenvalue limit).
    Dense(DenseG),
    /// Sparse Cholesky/LU factorisation of I − ρW.
    Sparse(SparseFactor<'a>),
}

impl<'a> Resolvent<'a> {
    /// The dense factorisation when the eigenvalues are in use, else the sparse one.
    pub(crate) fn at(ctx: &Ctx<'a>, rho: f64) -> Result<Resolvent<'a>> {
        match (ctx.spectrum, ctx.sparse) {
            (None, Some(engine)) => Ok(Resolvent::Sparse(engine.factorize(rho)?)),
            _ => Ok(Resolvent::Dense(DenseG::new(ctx.w, rho)?)),
        }
    }

    /// (I_T ⊗ (I − ρW)⁻¹)v for a time-slow stacked NT-vector.
    pub fn solve_panel(&self, v: &[f64]) -> Result<Vec<f64>> {
        match self {
            Resolvent::Dense(d) => Ok(d.solve_panel(v)),
            Resolvent::Sparse(f) => {
                let mut out = v.to_vec();
                let n = f.n();
                f.solve_many_in_place(&mut out, v.len() / n.max(1))?;
                Ok(out)
            }
        }
    }

    /// (I_T ⊗ G)v = (I_T ⊗ W)(I_T ⊗ (I − ρW)⁻¹)v.
    pub fn apply_g(&self, w: &Weights, v: &[f64]) -> Result<Vec<f64>> {
        Ok(w.lag_panel(&self.solve_panel(v)?))
    }
}

/// The information-matrix traces at ρ (Lee–Yu adjusted when `ctx.dims.shift`) and, on the
/// sparse path, a note on how they were obtained and their accuracy.
pub(crate) fn traces_at(ctx: &Ctx, at: &Resolvent, rho: f64) -> Result<(Traces, Option<String>)> {
    match (at, ctx.spectrum) {
        (Resolvent::Dense(d), Some(spec)) => Ok((Traces::new(spec, d, rho, ctx.dims.shift), None)),
        (Resolvent::Dense(d), None) => {
            // Only reached without eigenvalues when no sparse engine exists: exact dense G.
            let gtg = d.frobenius2();
            let g = d.gt_traces();
            Ok((
                shifted(g.0, g.1, gtg, d.colsum_norm2(), ctx.w.n(), rho, ctx.dims.shift),
                None,
            ))
        }
        (Resolvent::Sparse(f), _) => {
            let engine = ctx
                .sparse
                .ok_or_else(|| Error::numeric("sparse traces without a sparse engine"))?;
            let (gt, c2) = g_traces_sparse(ctx.w, engine, f, &ctx.trace_opts)?;
            let tr = shifted(gt.tr_g, gt.tr_gg, gt.tr_gtg, c2, ctx.w.n(), rho, ctx.dims.shift);
            Ok((tr, Some(describe_traces(&gt))))
        }
    }
}

fn shifted(g: f64, gg: f64, gtg: f64, colsum2: f64, n: usize, rho: f64, shift: bool) -> Traces {
    if shift {
        let u = 1.0 / (1.0 - rho);
        Traces {
            g: g - u,
            gg: gg - u * u,
            gtg: gtg - colsum2 / n as f64,
        }
    } else {
        Traces { g, gg, gtg }
    }
}

/// How the sparse-path traces were obtained, with their errors.
pub fn describe_traces(gt: &GTraces) -> String {
    let [a, b, c] = gt.std_errors;
    match gt.method {
        TraceMethod::FiniteDifference => format!(
            "tr G = {:.6} and tr GG = {:.6} from 5-point differences of the exact log-determinant (error estimates {a:.1e}, {b:.1e}); tr G'G = {:.6} (se {c:.1e}{})",
            gt.tr_g,
            gt.tr_gg,
            gt.tr_gtg,
            if gt.draws > 0 {
                format!(", Hutchinson correction with {} Rademacher probes", gt.draws)
            } else {
                ", = tr GG for symmetric W".to_string()
            }
        ),
        m => format!(
            "tr G = {:.6}, tr GG = {:.6}, tr G'G = {:.6}: exact ({})",
            gt.tr_g,
            gt.tr_gg,
            gt.tr_gtg,
            m.name()
        ),
    }
}

/// SAR/SDM information (row-major, (k+2)²) given Z̃'Z̃ (`ztz`, k×k), Z̃'ḠZ̃b (`z_gzb`),
/// ‖ḠZ̃b‖² (`gzb2`, the demeaned version for `information: "full"`), the traces, σ², the
/// effective number of periods `t` and observations `nt`.
#[allow(clippy::too_many_arguments)]
pub fn lag_information(ztz: &[f64], z_gzb: &[f64], gzb2: f64, tr: &Traces, sigma2: f64, t: f64, nt: f64) -> Vec<f64> {
    let k = z_gzb.len();
    let p = k + 2;
    let mut m = vec![0.0; p * p];
    for i in 0..k {
        for j in 0..k {
            m[i * p + j] = ztz[i * k + j] / sigma2;
        }
        m[i * p + k] = z_gzb[i] / sigma2;
        m[k * p + i] = z_gzb[i] / sigma2;
    }
    m[k * p + k] = t * (tr.gg + tr.gtg) + gzb2 / sigma2;
    m[k * p + k + 1] = t * tr.g / sigma2;
    m[(k + 1) * p + k] = t * tr.g / sigma2;
    m[(k + 1) * p + k + 1] = nt / (2.0 * sigma2 * sigma2);
    m
}

/// SEM/SDEM information (row-major, (k+2)²) given X*'X* (`xsxs`, k×k).
pub fn error_information(xsxs: &[f64], k: usize, tr: &Traces, sigma2: f64, t: f64, nt: f64) -> Vec<f64> {
    let p = k + 2;
    let mut m = vec![0.0; p * p];
    for i in 0..k {
        for j in 0..k {
            m[i * p + j] = xsxs[i * k + j] / sigma2;
        }
    }
    m[k * p + k] = t * (tr.gg + tr.gtg);
    m[k * p + k + 1] = t * tr.g / sigma2;
    m[(k + 1) * p + k] = t * tr.g / sigma2;
    m[(k + 1) * p + k + 1] = nt / (2.0 * sigma2 * sigma2);
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::Standardization;

    #[test]
    fn traces_match_dense_two_unit() {
        // W = [[0,1],[1,0]]: tr(G) = 2ρ/(1−ρ²) (METHODS App. B); G symmetric so tr(G'G) = tr(G²).
        let ids = vec!["a".to_string(), "b".to_string()];
        let w = Weights::from_triplets(ids, &[(0, 1, 1.0), (1, 0, 1.0)], Standardization::Row, false).unwrap();
        let rho = 0.4;
        let s = w.spectrum().unwrap();
        let d = DenseG::new(&w, rho).unwrap();
        let tr = Traces::new(&s, &d, rho, false);
        assert!((tr.g - 2.0 * rho / (1.0 - rho * rho)).abs() < 1e-14);
        assert!((tr.gg - tr.gtg).abs() < 1e-13);
        let gv = d.apply_g(&w, &[1.0, 0.0]);
        // G = [[ρ,1],[1,ρ]]/(1−ρ²).
        assert!((gv[0] - rho / (1.0 - rho * rho)).abs() < 1e-14 && (gv[1] - 1.0 / (1.0 - rho * rho)).abs() < 1e-14);
    }
}
