//! The resolvent (I − ρW)⁻¹ at one ρ: the one place where I − ρW is factorised, solved with,
//! and where G = W(I − ρW)⁻¹ and its traces are formed (docs/methods.md §4.3, §7.4).
//!
//! A [`Resolvent`] is built once per (W, ρ) and then serves every caller: the information
//! matrices and fit measures of the ML fits, `simulate`, the synthetic panels and the trace
//! functions of [`crate::linalg::traces`]. Two factorisations:
//!
//! * dense: a partial-pivoting LU of the N×N matrix I − ρW (faer), O(N³) once; used for
//!   N ≤ [`DENSE_RESOLVENT_LIMIT`] and whenever the eigenvalues of W are in use. G' = A'⁻¹W' is
//!   formed on first use by the traces (one more N×N solve) and kept.
//! * sparse: the Cholesky (W similar to symmetric) or LU factorisation of
//!   [`SparseLogDet::factorize`], with no N×N object.
//!
//! Both solve (I − ρW)x = b, its transpose and many right-hand sides exactly. The traces
//! tr G, tr G², tr G'G and ‖G'ι‖² ([`Resolvent::traces`]) are exact on the dense path
//! (Σ g_ii, Σ g_ij g_ji, Σ g_ij², from G'); on the sparse path they are exact from N sparse
//! solves when affordable, otherwise tr G and tr G² come from finite differences of the exact
//! log-determinant and tr G'G from a seeded Hutchinson estimate, with standard errors
//! ([`crate::linalg::traces::g_traces_sparse`]). Under the Lee–Yu transformation with time
//! effects the traces are adjusted by [`GTraces::lee_yu_time`].

use crate::error::{Error, Result};
use crate::linalg::logdet::{SparseFactor, SparseLogDet};
use crate::linalg::traces::{g_traces_sparse, GTraces, TraceMethod, TraceOptions};
use crate::weights::{Spectrum, Weights};
use faer::linalg::solvers::{PartialPivLu, Solve};
use faer::Mat;
use std::sync::OnceLock;

/// Largest N factorised densely by [`Resolvent::exact`] (the dense LU costs O(N³) time and
/// O(N²) memory; above it the sparse factorisation is used).
pub const DENSE_RESOLVENT_LIMIT: usize = 2000;

/// The dense factorisation of A = I − ρW, with G' = A'⁻¹W' formed on first use.
struct DenseLu {
    lu: PartialPivLu<f64>,
    gt: OnceLock<Mat<f64>>,
}

enum Factor<'a> {
    Dense(DenseLu),
    Sparse(SparseFactor<'a>),
}

/// (I − ρW)⁻¹ at one ρ, by a dense LU or a sparse factorisation (module doc).
pub struct Resolvent<'a> {
    w: &'a Weights,
    rho: f64,
    factor: Factor<'a>,
}

impl std::fmt::Debug for Resolvent<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolvent")
            .field("n", &self.w.n())
            .field("rho", &self.rho)
            .field("dense", &self.is_dense())
            .finish()
    }
}

fn singular(rho: f64) -> Error {
    Error::numeric(format!(
        "I − ρW is singular at ρ = {rho}; ρ must lie inside the feasible interval (1/ω_min, 1/ω_max)"
    ))
}

impl<'a> Resolvent<'a> {
    /// The dense LU of I − ρW (W made dense from its sparse rows; O(N³) once).
    pub fn dense(w: &'a Weights, rho: f64) -> Result<Resolvent<'a>> {
        if !rho.is_finite() {
            return Err(Error::invalid(format!("I − ρW: ρ = {rho} is not a finite number")));
        }
        let n = w.n();
        crate::budget::check_f64(
            &format!("the dense factorisation of I − ρW with N = {n}"),
            &[n, n],
            "at this size use the sparse factorisation (lndet: \"sparse\")",
        )?;
        let mut a = Mat::<f64>::identity(n, n);
        for (i, row) in w.matrix().outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                a[(i, j)] -= rho * v;
            }
        }
        Ok(Resolvent {
            w,
            rho,
            factor: Factor::Dense(DenseLu {
                lu: a.partial_piv_lu(),
                gt: OnceLock::new(),
            }),
        })
    }

    /// The sparse factorisation `factor` of I − ρW (from [`SparseLogDet::factorize`] on `w`).
    pub fn sparse(w: &'a Weights, factor: SparseFactor<'a>) -> Resolvent<'a> {
        Resolvent {
            w,
            rho: factor.rho(),
            factor: Factor::Sparse(factor),
        }
    }

    /// The sparse factorisation of I − ρW by `engine` (set up once for `w`).
    pub fn factorize(w: &'a Weights, engine: &'a SparseLogDet, rho: f64) -> Result<Resolvent<'a>> {
        Ok(Self::sparse(w, engine.factorize(rho)?))
    }

    /// The exact resolvent at any N: dense for N ≤ [`DENSE_RESOLVENT_LIMIT`], else the sparse
    /// factorisation of `engine` (which must then be set up for `w`).
    pub fn exact(w: &'a Weights, rho: f64, engine: Option<&'a SparseLogDet>) -> Result<Resolvent<'a>> {
        match engine {
            Some(e) if w.n() > DENSE_RESOLVENT_LIMIT => Self::factorize(w, e, rho),
            _ => Self::dense(w, rho),
        }
    }

    /// The weights W.
    pub fn weights(&self) -> &'a Weights {
        self.w
    }

    /// The ρ of the factorisation.
    pub fn rho(&self) -> f64 {
        self.rho
    }

    /// Number of units N.
    pub fn n(&self) -> usize {
        self.w.n()
    }

    /// True for the dense LU, false for the sparse factorisation.
    pub fn is_dense(&self) -> bool {
        matches!(self.factor, Factor::Dense(_))
    }

    /// The sparse factorisation, when that is the path.
    pub fn sparse_factor(&self) -> Option<&SparseFactor<'a>> {
        match &self.factor {
            Factor::Sparse(f) => Some(f),
            Factor::Dense(_) => None,
        }
    }

    /// Solves (I − ρW)X = B in place for the `k` right-hand sides stored column-major in `b`
    /// (N·k entries; a time-slow stacked panel is exactly that, one column per period). An
    /// error when the result is not finite (I − ρW singular).
    pub fn solve_many_in_place(&self, b: &mut [f64], k: usize) -> Result<()> {
        let n = self.n();
        if b.len() != n * k {
            return Err(Error::invalid(format!(
                "solve with I − ρW: right-hand sides have {} entries, expected N·k = {}",
                b.len(),
                n * k
            )));
        }
        match &self.factor {
            Factor::Dense(d) => {
                let mut m = Mat::from_fn(n, k, |i, s| b[s * n + i]);
                d.lu.solve_in_place(m.as_mut());
                for s in 0..k {
                    for i in 0..n {
                        b[s * n + i] = m[(i, s)];
                    }
                }
                if b.iter().any(|v| !v.is_finite()) {
                    return Err(singular(self.rho));
                }
                Ok(())
            }
            Factor::Sparse(f) => f.solve_many_in_place(b, k),
        }
    }

    /// Solves (I − ρW)x = b in place (`b.len()` = N).
    pub fn solve_in_place(&self, b: &mut [f64]) -> Result<()> {
        self.solve_many_in_place(b, 1)
    }

    /// Solves (I − ρW)'x = b in place (`b.len()` = N).
    pub fn solve_transpose_in_place(&self, b: &mut [f64]) -> Result<()> {
        let n = self.n();
        match &self.factor {
            Factor::Dense(d) => {
                if b.len() != n {
                    return Err(Error::invalid(format!(
                        "solve with (I − ρW)': right-hand side has {} entries, expected N = {n}",
                        b.len()
                    )));
                }
                let mut m = Mat::from_fn(n, 1, |i, _| b[i]);
                d.lu.solve_transpose_in_place(m.as_mut());
                for (i, v) in b.iter_mut().enumerate() {
                    *v = m[(i, 0)];
                }
                if b.iter().any(|v| !v.is_finite()) {
                    return Err(singular(self.rho));
                }
                Ok(())
            }
            Factor::Sparse(f) => f.solve_transpose_in_place(b),
        }
    }

    /// (I_T ⊗ (I − ρW)⁻¹)v for a time-slow stacked NT-vector.
    pub fn solve_panel(&self, v: &[f64]) -> Result<Vec<f64>> {
        let mut out = v.to_vec();
        let n = self.n().max(1);
        self.solve_many_in_place(&mut out, v.len() / n)?;
        Ok(out)
    }

    /// (I_T ⊗ G)v = (I_T ⊗ W)(I_T ⊗ (I − ρW)⁻¹)v, G = W(I − ρW)⁻¹.
    pub fn apply_g(&self, v: &[f64]) -> Result<Vec<f64>> {
        Ok(self.w.lag_panel(&self.solve_panel(v)?))
    }

    /// G' = (I − ρW)'⁻¹W' (dense path only), formed once.
    fn gt(&self) -> Result<&Mat<f64>> {
        let Factor::Dense(d) = &self.factor else {
            return Err(Error::numeric("G' is formed on the dense path only"));
        };
        if let Some(g) = d.gt.get() {
            return Ok(g);
        }
        let n = self.n();
        let mut wt = Mat::<f64>::zeros(n, n);
        for (i, row) in self.w.matrix().outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                wt[(j, i)] = v;
            }
        }
        d.lu.solve_transpose_in_place(wt.as_mut());
        if (0..n).any(|j| !wt[(j, j)].is_finite()) {
            return Err(Error::numeric(format!(
                "I − ρW is singular at ρ = {}; the estimate lies on the boundary of the feasible interval",
                self.rho
            )));
        }
        Ok(d.gt.get_or_init(|| wt))
    }

    /// tr G, tr G², tr G'G and ‖G'ι‖² (the squared norm of the column sums of G) at ρ.
    ///
    /// Dense path: exact from G' (tr G = Σ g_ii, tr G² = Σ g_ij g_ji, tr G'G = Σ g_ij²), method
    /// `Dense`. Sparse path: [`g_traces_sparse`] with `opts` (exact from N sparse solves when
    /// they fit `opts.exact_flop_budget`, else finite differences of the exact log-determinant
    /// and a Hutchinson estimate of tr G'G with its standard error).
    pub fn traces(&self, opts: &TraceOptions) -> Result<(GTraces, f64)> {
        match &self.factor {
            Factor::Dense(_) => {
                let gt = self.gt()?;
                let n = self.n();
                let (mut g, mut gg, mut gtg) = (0.0, 0.0, 0.0);
                let mut c = vec![0.0; n];
                for j in 0..n {
                    g += gt[(j, j)];
                    for i in 0..n {
                        gg += gt[(i, j)] * gt[(j, i)];
                    }
                }
                for j in 0..n {
                    for (i, ci) in c.iter_mut().enumerate() {
                        let v = gt[(i, j)];
                        gtg += v * v;
                        *ci += v;
                    }
                }
                let c2 = c.iter().map(|v| v * v).sum();
                Ok((
                    GTraces {
                        rho: self.rho,
                        tr_g: g,
                        tr_gg: gg,
                        tr_gtg: gtg,
                        std_errors: [0.0; 3],
                        method: TraceMethod::Dense,
                        draws: 0,
                    },
                    c2,
                ))
            }
            Factor::Sparse(f) => g_traces_sparse(self.w, f.engine(), f, opts),
        }
    }

    /// tr G'G = ‖G‖²_F alone (dense path exact; sparse path as [`Resolvent::traces`]).
    pub fn frobenius2(&self, opts: &TraceOptions) -> Result<f64> {
        Ok(self.traces(opts)?.0.tr_gtg)
    }
}

impl GTraces {
    /// The traces of G* = F'GF under the Lee–Yu transformation with time effects (W* = F'WF,
    /// row-standardised W, whose eigenvalues are those of W without the unit one):
    /// tr G* = tr G − 1/(1−ρ), tr G*² = tr G² − 1/(1−ρ)², tr G*'G* = tr G'G − ‖G'ι‖²/N, with
    /// `colsum2` = ‖G'ι‖² (docs/methods.md §7.3). The one implementation of that shift.
    pub fn lee_yu_time(&self, colsum2: f64, n: usize) -> GTraces {
        let u = 1.0 / (1.0 - self.rho);
        GTraces {
            tr_g: self.tr_g - u,
            tr_gg: self.tr_gg - u * u,
            tr_gtg: self.tr_gtg - colsum2 / n as f64,
            ..self.clone()
        }
    }
}

/// The eigenvalue form of the traces of the resolvent S = (I − ρW)⁻¹ and of G = WS, from the
/// eigenvalues ω of W (real parts of the complex sums; docs/methods.md §7.4, §9):
///
/// ```text
/// [tr S, tr G, tr SG, tr G²] = [Σ 1/(1−ρω), Σ ω/(1−ρω), Σ ω/(1−ρω)², Σ ω²/(1−ρω)²]
/// ```
///
/// (tr SG = tr SWS = d tr S/dρ, tr G² = d tr G/dρ.) `real` says every ω is real (the fast
/// loop; [`Spectrum::is_real`]); otherwise complex arithmetic is used throughout. The one
/// implementation behind the information matrices ([`crate::linalg::traces::spectrum_g_traces`])
/// and the effects. A singular I − ρW gives non-finite sums.
pub fn spectrum_sums(sp: &Spectrum, real: bool, rho: f64) -> [f64; 4] {
    let (mut s, mut sw, mut ds, mut dsw) = (0.0, 0.0, 0.0, 0.0);
    if real {
        for &w in &sp.re {
            let g = 1.0 / (1.0 - rho * w);
            let wg = w * g;
            s += g;
            sw += wg;
            ds += wg * g;
            dsw += wg * wg;
        }
    } else {
        for (&a, &b) in sp.re.iter().zip(&sp.im) {
            // g = 1/(1 − ρω) = conj(d)/|d|², d = (1 − ρa) − iρb.
            let (dr, di) = (1.0 - rho * a, -rho * b);
            let m = dr * dr + di * di;
            let (gr, gi) = (dr / m, -di / m);
            let (wr, wi) = (a * gr - b * gi, a * gi + b * gr); // ωg
            s += gr;
            sw += wr;
            ds += wr * gr - wi * gi; // Re(ωg·g)
            dsw += wr * wr - wi * wi; // Re((ωg)²)
        }
    }
    [s, sw, ds, dsw]
}
