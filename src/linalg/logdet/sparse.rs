//! Exact sparse log-determinant ln|I − ρW| (docs/methods.md §4.3): a symbolic factorisation once per W,
//! a numeric factorisation per ρ.
//!
//! * W = D⁻¹C with C symmetric: I − ρW = D^{−1/2}(I − ρS)D^{1/2} with the symmetric
//!   S = D^{1/2} W D^{−1/2}, so ln|I − ρW| = ln|I − ρS| = 2 Σ ln L_ii from the sparse Cholesky
//!   factor LLᵀ = P(I − ρS)Pᵀ (spatialreg `Matrix_ldet`, `spam_ldet`). The AMD ordering and the
//!   elimination tree (simplicial or supernodal, faer's choice) are computed once.
//! * Otherwise a sparse LU of the transpose (I − ρW)ᵀ = I − ρWᵀ, and ln|I − ρW| = Σ ln|u_ii|
//!   (spreg `lag_c_loglik_sp`, spatialreg `LU_ldet`). With P an AMD ordering of the pattern of
//!   W + Wᵀ computed once:
//!   - when (I − ρW)ᵀ is strictly diagonally dominant by columns, i.e. for every j
//!     |1 − ρw_jj| > |ρ| Σ_{i≠j} |w_ji| (for a row-standardised W: |ρ| < 1), the LU
//!     P(I − ρW)ᵀPᵀ = LU exists without pivoting and is stable (Golub & Van Loan 2013,
//!     Thm 3.4.3), and L, U lie in the structure of the Cholesky factor of P(W + Wᵀ + I)Pᵀ:
//!     the supernodal structure is computed once and each ρ fills it ([`super::lu`]);
//!   - otherwise P(I − ρW)ᵀPᵀ = LU with partial pivoting per ρ (faer's simplicial left-looking
//!     LU, symbolic work redone per ρ), the fallback.
//!
//!   The sign of the determinant is tracked; a non-positive determinant (ρ outside the
//!   feasible interval) is an error.

use super::lu::{StaticLuScratch, StaticLuSymbolic, StaticLuValues};
use super::LogDet;
use crate::error::{Error, Result};
use crate::linalg::sparse::similarity_scale;
use crate::weights::Weights;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::LltRegularization;
use faer::perm::PermRef;
use faer::sparse::linalg::amd;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, supernodal::SupernodalLltRef, CholeskySymbolicParams, LltRef, SymbolicCholesky,
    SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::linalg::lu::simplicial::{
    factorize_simplicial_numeric_lu, factorize_simplicial_numeric_lu_scratch,
    solve_in_place_scratch as lu_solve_scratch, SimplicialLu,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};
use std::sync::{Arc, Mutex};

/// Which sparse factorisation to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparseMethod {
    /// Cholesky when W is similar to a symmetric matrix (W = D⁻¹C), LU otherwise.
    Auto,
    /// Sparse Cholesky of I − ρS; an error when W is not of the form D⁻¹C with C symmetric.
    Cholesky,
    /// Sparse LU of (I − ρW)ᵀ (any W): without pivoting in a fixed structure where the
    /// transpose is diagonally dominant by columns, with partial pivoting elsewhere.
    Lu,
    /// Sparse LU of (I − ρW)ᵀ with partial pivoting for every ρ (the fallback of
    /// [`SparseMethod::Lu`]; for comparisons).
    LuPivoted,
}

/// The pattern of A(ρ) = ident − ρ·coef in compressed sparse columns (sorted rows, the
/// diagonal always stored), with the values split so that A(ρ) is rebuilt in O(nnz).
#[derive(Debug)]
struct Pattern {
    n: usize,
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    ident: Vec<f64>,
    coef: Vec<f64>,
}

impl Pattern {
    /// From entries (row, col, coef) (duplicates summed); the diagonal is added where missing.
    fn new(n: usize, mut entries: Vec<(usize, usize, f64)>) -> Pattern {
        entries.extend((0..n).map(|j| (j, j, 0.0)));
        entries.sort_unstable_by_key(|&(i, j, _)| (j, i));
        let mut col_ptr = vec![0usize; n + 1];
        let mut row_idx = Vec::with_capacity(entries.len());
        let mut ident = Vec::with_capacity(entries.len());
        let mut coef: Vec<f64> = Vec::with_capacity(entries.len());
        let mut last: Option<(usize, usize)> = None;
        for (i, j, c) in entries {
            if last == Some((i, j)) {
                if let Some(v) = coef.last_mut() {
                    *v += c;
                }
                continue;
            }
            last = Some((i, j));
            row_idx.push(i);
            ident.push(if i == j { 1.0 } else { 0.0 });
            coef.push(c);
            col_ptr[j + 1] += 1;
        }
        for j in 0..n {
            col_ptr[j + 1] += col_ptr[j];
        }
        Pattern {
            n,
            col_ptr,
            row_idx,
            ident,
            coef,
        }
    }

    fn symbolic(&self) -> SymbolicSparseColMatRef<'_, usize> {
        SymbolicSparseColMatRef::new_checked(self.n, self.n, &self.col_ptr, None, &self.row_idx)
    }

    /// Values of A(ρ) = ident − ρ·coef.
    fn values(&self, rho: f64) -> Vec<f64> {
        self.ident.iter().zip(&self.coef).map(|(a, c)| a - rho * c).collect()
    }
}

#[derive(Debug)]
enum Path {
    Cholesky {
        pattern: Pattern,
        symbolic: Box<SymbolicCholesky<usize>>,
        /// √d of the similarity W = D⁻¹C.
        sqrt_d: Vec<f64>,
    },
    Lu {
        pattern: Pattern,
        perm_fwd: Vec<usize>,
        perm_inv: Vec<usize>,
        /// The fixed no-pivoting structure (None with [`SparseMethod::LuPivoted`]).
        fixed: Option<Box<FixedLu>>,
    },
}

/// The no-pivoting LU of the LU path: its structure, the data of the dominance test and
/// reusable buffers.
#[derive(Debug)]
struct FixedLu {
    symbolic: StaticLuSymbolic,
    /// w_jj and Σ_{i≠j} |w_ji| for each row j of W (column j of (I − ρW)ᵀ).
    diag: Vec<f64>,
    off: Vec<f64>,
    /// Value buffers and scratch of dropped factorisations, reused by the next ones.
    values_pool: Arc<Mutex<Vec<StaticLuValues>>>,
    scratch_pool: Mutex<Vec<StaticLuScratch>>,
}

/// Buffers kept for reuse (enough for a few factorisations alive at once).
const POOL_SIZE: usize = 2;

impl FixedLu {
    /// True when (I − ρW)ᵀ is strictly diagonally dominant by columns.
    fn dominant(&self, rho: f64) -> bool {
        self.diag
            .iter()
            .zip(&self.off)
            .all(|(d, o)| (1.0 - rho * d).abs() > rho.abs() * o)
    }

    /// The largest r such that |ρ| < r guarantees dominance: 1 / max_j (|w_jj| + Σ_{i≠j}|w_ji|).
    fn radius(&self) -> f64 {
        let m = self
            .diag
            .iter()
            .zip(&self.off)
            .map(|(d, o)| d.abs() + o)
            .fold(0.0, f64::max);
        1.0 / m
    }
}

/// Exact sparse log-determinant engine (option `lndet: "sparse"`; docs/methods.md §4.3).
#[derive(Debug)]
pub struct SparseLogDet {
    n: usize,
    path: Path,
}

/// The numeric factorisation of I − ρW at one ρ: its log-determinant and solves with it.
pub struct SparseFactor<'a> {
    engine: &'a SparseLogDet,
    rho: f64,
    numeric: Numeric,
    logdet: f64,
}

impl std::fmt::Debug for SparseFactor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseFactor")
            .field("rho", &self.rho)
            .field("logdet", &self.logdet)
            .field("cholesky", &self.engine.is_cholesky())
            .finish()
    }
}

enum Numeric {
    Cholesky {
        l_values: Vec<f64>,
    },
    Lu {
        lu: SimplicialLu<usize, f64>,
        row_fwd: Vec<usize>,
        row_inv: Vec<usize>,
    },
    Fixed(PooledValues),
}

/// Values of a no-pivoting LU, returned to the engine's pool when dropped (held through an
/// [`Arc`], so the factor's borrow of the engine needs no drop check).
struct PooledValues {
    values: StaticLuValues,
    pool: Arc<Mutex<Vec<StaticLuValues>>>,
}

impl Drop for PooledValues {
    fn drop(&mut self) {
        let values = StaticLuValues {
            l: std::mem::take(&mut self.values.l),
            u: std::mem::take(&mut self.values.u),
        };
        recycle(&self.pool, values);
    }
}

fn par() -> Par {
    Par::Seq
}

impl SparseLogDet {
    /// Sets up the engine for `w` with [`SparseMethod::Auto`].
    pub fn new(w: &Weights) -> Result<SparseLogDet> {
        Self::with_method(w, SparseMethod::Auto)
    }

    /// Sets up the engine for `w` with the given factorisation: builds the pattern of I − ρW
    /// (or of the upper triangle of I − ρS) and its fill-reducing ordering and symbolic
    /// factorisation, once.
    pub fn with_method(w: &Weights, method: SparseMethod) -> Result<SparseLogDet> {
        let n = w.n();
        if n == 0 {
            return Err(Error::invalid("lndet \"sparse\": the weights matrix has no units"));
        }
        let scale = match method {
            SparseMethod::Lu | SparseMethod::LuPivoted => None,
            _ => similarity_scale(w),
        };
        if method == SparseMethod::Cholesky && scale.is_none() {
            return Err(Error::invalid(
                "lndet \"sparse\" with Cholesky: W is not of the form D⁻¹C with C symmetric (no symmetric \
                 similar matrix); use the LU path (SparseMethod::Lu / auto)",
            ));
        }
        let m = w.matrix();
        let path = if let Some(d) = scale {
            let sqrt_d: Vec<f64> = d.iter().map(|v| v.sqrt()).collect();
            // Upper triangle of S: s_ij = √d_i w_ij / √d_j, averaged with s_ji (exact symmetry).
            let mut entries = Vec::with_capacity(m.nnz());
            for (i, row) in m.outer_iterator().enumerate() {
                for (j, &v) in row.iter() {
                    let s = sqrt_d[i] * v / sqrt_d[j];
                    let (r, c) = if i <= j { (i, j) } else { (j, i) };
                    entries.push((r, c, if i == j { s } else { 0.5 * s }));
                }
            }
            let pattern = Pattern::new(n, entries);
            let symbolic = factorize_symbolic_cholesky(
                pattern.symbolic(),
                Side::Upper,
                SymmetricOrdering::Amd,
                CholeskySymbolicParams::default(),
            )
            .map_err(|e| Error::numeric(format!("lndet \"sparse\": symbolic Cholesky failed ({e:?})")))?;
            Path::Cholesky {
                pattern,
                symbolic: Box::new(symbolic),
                sqrt_d,
            }
        } else {
            // The transpose Aᵀ = I − ρWᵀ is factorised: for a row-standardised W and |ρ| < 1 its
            // columns are strictly diagonally dominant, so partial pivoting keeps the diagonal
            // and the AMD order (no extra fill); det Aᵀ = det A.
            let mut entries = Vec::with_capacity(m.nnz());
            for (i, row) in m.outer_iterator().enumerate() {
                for (j, &v) in row.iter() {
                    entries.push((j, i, v));
                }
            }
            let pattern = Pattern::new(n, entries);
            if method == SparseMethod::LuPivoted {
                let nnz = pattern.row_idx.len();
                let mut perm_fwd = vec![0usize; n];
                let mut perm_inv = vec![0usize; n];
                let mut mem = MemBuffer::new(amd::order_maybe_unsorted_scratch::<usize>(n, nnz));
                amd::order_maybe_unsorted(
                    &mut perm_fwd,
                    &mut perm_inv,
                    pattern.symbolic(),
                    amd::Control::default(),
                    MemStack::new(&mut mem),
                )
                .map_err(|e| Error::numeric(format!("lndet \"sparse\": AMD ordering failed ({e:?})")))?;
                Path::Lu {
                    pattern,
                    perm_fwd,
                    perm_inv,
                    fixed: None,
                }
            } else {
                let symbolic = StaticLuSymbolic::new(n, &pattern.col_ptr, &pattern.row_idx)?;
                let mut diag = vec![0.0; n];
                let mut off = vec![0.0; n];
                for (i, row) in m.outer_iterator().enumerate() {
                    for (j, &v) in row.iter() {
                        if i == j {
                            diag[i] += v;
                        } else {
                            off[i] += v.abs();
                        }
                    }
                }
                let (perm_fwd, perm_inv) = (symbolic.perm_fwd.clone(), symbolic.perm_inv.clone());
                Path::Lu {
                    pattern,
                    perm_fwd,
                    perm_inv,
                    fixed: Some(Box::new(FixedLu {
                        symbolic,
                        diag,
                        off,
                        values_pool: Arc::new(Mutex::new(Vec::new())),
                        scratch_pool: Mutex::new(Vec::new()),
                    })),
                }
            }
        };
        Ok(SparseLogDet { n, path })
    }

    /// Number of units N.
    pub fn n(&self) -> usize {
        self.n
    }

    /// √d of the similarity W = D⁻¹C when the Cholesky path is used.
    pub fn sqrt_scale(&self) -> Option<&[f64]> {
        match &self.path {
            Path::Cholesky { sqrt_d, .. } => Some(sqrt_d),
            Path::Lu { .. } => None,
        }
    }

    /// True when the symmetric (Cholesky) path is used.
    pub fn is_cholesky(&self) -> bool {
        matches!(self.path, Path::Cholesky { .. })
    }

    /// Number of stored entries of the fixed factor structure: nnz(L) on the Cholesky path,
    /// nnz(L + U) of the no-pivoting LU (diagonal once); None with [`SparseMethod::LuPivoted`].
    pub fn structure_nnz(&self) -> Option<usize> {
        match &self.path {
            Path::Cholesky { symbolic, .. } => Some(symbolic.len_val()),
            Path::Lu { fixed, .. } => fixed.as_ref().map(|f| f.symbolic.nnz()),
        }
    }

    /// True when the LU of ρ is computed without pivoting in the fixed structure ((I − ρW)ᵀ
    /// strictly diagonally dominant by columns); false on the Cholesky path and where the
    /// pivoted fallback is used.
    pub fn lu_without_pivoting(&self, rho: f64) -> bool {
        match &self.path {
            Path::Lu { fixed: Some(f), .. } => f.dominant(rho),
            _ => false,
        }
    }

    /// How ln|I − ρW| is computed, in words (for the fit's information).
    pub fn describe(&self) -> String {
        match &self.path {
            Path::Cholesky { symbolic, .. } => format!(
                "sparse Cholesky of the symmetric similar matrix (nnz(L) = {}), one symbolic factorisation reused",
                symbolic.len_val()
            ),
            Path::Lu { fixed: Some(f), .. } => format!(
                "sparse LU of (I − rho W)' without pivoting in a fixed supernodal structure (AMD of W + W' computed \
                 once, nnz(L+U) = {}, {} supernodes) where (I − rho W)' is diagonally dominant by columns \
                 (|rho| < {:.6} at least), partial pivoting per rho elsewhere",
                f.symbolic.nnz(),
                f.symbolic.n_supernodes(),
                f.radius()
            ),
            Path::Lu { fixed: None, .. } => {
                "sparse LU of (I − rho W)' with partial pivoting per rho (AMD ordering computed once)".to_string()
            }
        }
    }

    /// Number of stored entries of the factor(s) at the last-known structure (Cholesky: L;
    /// LU: the pattern size of I − ρW, as the pivoted fallback's fill is not known before a
    /// numeric factorisation; [`SparseLogDet::structure_nnz`] gives nnz(L + U) of the
    /// no-pivoting structure).
    pub fn factor_nnz(&self) -> usize {
        match &self.path {
            Path::Cholesky { symbolic, .. } => symbolic.len_val(),
            Path::Lu { pattern, .. } => pattern.row_idx.len(),
        }
    }

    /// The numeric factorisation of I − ρW. An error when ρ is outside the feasible interval
    /// (I − ρS not positive definite, or det(I − ρW) ≤ 0).
    pub fn factorize(&self, rho: f64) -> Result<SparseFactor<'_>> {
        if !rho.is_finite() {
            return Err(Error::invalid(format!("lndet \"sparse\": rho = {rho} is not finite")));
        }
        let outside = |what: &str| {
            Error::numeric(format!(
                "lndet \"sparse\": at rho = {rho} {what}; rho is outside the feasible interval (1/ω_min, 1/ω_max)"
            ))
        };
        match &self.path {
            Path::Cholesky { pattern, symbolic, .. } => {
                let values = pattern.values(rho);
                let a = SparseColMatRef::new(pattern.symbolic(), &values);
                let params = Default::default();
                let mut mem = MemBuffer::new(symbolic.factorize_numeric_llt_scratch::<f64>(par(), params));
                let mut l_values = vec![0.0f64; symbolic.len_val()];
                symbolic
                    .factorize_numeric_llt(
                        &mut l_values,
                        a,
                        Side::Upper,
                        LltRegularization::default(),
                        par(),
                        MemStack::new(&mut mem),
                        params,
                    )
                    .map_err(|_| outside("I − ρS is not positive definite"))?;
                let half = cholesky_log_diag(symbolic, &l_values);
                if !half.is_finite() {
                    return Err(outside("the Cholesky factor is singular"));
                }
                Ok(SparseFactor {
                    engine: self,
                    rho,
                    numeric: Numeric::Cholesky { l_values },
                    logdet: 2.0 * half,
                })
            }
            Path::Lu {
                fixed: Some(f),
                pattern,
                ..
            } if f.dominant(rho) => {
                let mut values = f
                    .values_pool
                    .lock()
                    .ok()
                    .and_then(|mut p| p.pop())
                    .unwrap_or_else(|| f.symbolic.new_values());
                let mut scratch = f.scratch_pool.lock().ok().and_then(|mut p| p.pop()).unwrap_or_default();
                let (ident, coef) = (&pattern.ident, &pattern.coef);
                let res = f
                    .symbolic
                    .factorize(|k| ident[k] - rho * coef[k], &mut values, &mut scratch);
                if let Ok(mut p) = f.scratch_pool.lock() {
                    p.push(scratch);
                }
                let (sum, negative) = match res {
                    Ok(v) => v,
                    Err(_) => {
                        recycle(&f.values_pool, values);
                        return Err(outside("I − ρW is singular"));
                    }
                };
                if !sum.is_finite() || negative % 2 == 1 {
                    recycle(&f.values_pool, values);
                    return Err(outside(if sum.is_finite() {
                        "det(I − ρW) < 0"
                    } else {
                        "I − ρW is singular"
                    }));
                }
                Ok(SparseFactor {
                    engine: self,
                    rho,
                    numeric: Numeric::Fixed(PooledValues {
                        values,
                        pool: Arc::clone(&f.values_pool),
                    }),
                    logdet: sum,
                })
            }
            Path::Lu {
                pattern,
                perm_fwd,
                perm_inv,
                ..
            } => {
                let n = self.n;
                let values = pattern.values(rho);
                let a = SparseColMatRef::new(pattern.symbolic(), &values);
                let col_perm = PermRef::new_checked(perm_fwd, perm_inv, n);
                let mut lu = SimplicialLu::<usize, f64>::new();
                let mut row_fwd = vec![0usize; n];
                let mut row_inv = vec![0usize; n];
                let mut mem = MemBuffer::new(factorize_simplicial_numeric_lu_scratch::<usize, f64>(n, n));
                factorize_simplicial_numeric_lu(
                    &mut row_fwd,
                    &mut row_inv,
                    &mut lu,
                    a,
                    col_perm,
                    MemStack::new(&mut mem),
                )
                .map_err(|_| outside("I − ρW is singular"))?;
                let u = lu.u_factor_unsorted();
                let mut sum = 0.0;
                let mut negative = parity(perm_fwd) ^ parity(&row_fwd);
                for j in 0..n {
                    let rows = u.row_idx_of_col_raw(j);
                    let vals = u.val_of_col(j);
                    let d = rows.iter().zip(vals).find(|(r, _)| **r == j).map_or(0.0, |(_, v)| *v);
                    negative ^= d < 0.0;
                    sum += d.abs().ln();
                }
                if !sum.is_finite() {
                    return Err(outside("I − ρW is singular"));
                }
                if negative {
                    return Err(outside("det(I − ρW) < 0"));
                }
                Ok(SparseFactor {
                    engine: self,
                    rho,
                    numeric: Numeric::Lu { lu, row_fwd, row_inv },
                    logdet: sum,
                })
            }
        }
    }
}

/// Returns value buffers to the pool of the fixed LU (kept up to [`POOL_SIZE`]).
fn recycle(pool: &Mutex<Vec<StaticLuValues>>, values: StaticLuValues) {
    if let Ok(mut p) = pool.lock() {
        if p.len() < POOL_SIZE {
            p.push(values);
        }
    }
}

/// Σ ln L_ii of a numeric Cholesky factor (simplicial: the diagonal is the first entry of each
/// column; supernodal: the diagonal of each supernode's leading square block).
pub(crate) fn cholesky_log_diag(symbolic: &SymbolicCholesky<usize>, l_values: &[f64]) -> f64 {
    match symbolic.raw() {
        SymbolicCholeskyRaw::Simplicial(s) => {
            let cp = s.col_ptr();
            (0..s.ncols()).map(|j| l_values[cp[j]].ln()).sum()
        }
        SymbolicCholeskyRaw::Supernodal(s) => {
            let f = SupernodalLltRef::new(s, l_values);
            let mut sum = 0.0;
            for k in 0..s.n_supernodes() {
                let v = f.supernode(k).val();
                for c in 0..v.ncols() {
                    sum += v[(c, c)].ln();
                }
            }
            sum
        }
    }
}

/// True when the permutation (new → old) is odd.
fn parity(perm: &[usize]) -> bool {
    let mut seen = vec![false; perm.len()];
    let mut odd = false;
    for start in 0..perm.len() {
        if seen[start] {
            continue;
        }
        let mut len = 0usize;
        let mut k = start;
        while !seen[k] {
            seen[k] = true;
            k = perm[k];
            len += 1;
        }
        odd ^= len % 2 == 0;
    }
    odd
}

impl<'a> SparseFactor<'a> {
    /// The engine (the symbolic factorisation of W) this factorisation was made by.
    pub fn engine(&self) -> &'a SparseLogDet {
        self.engine
    }

    /// ln|I − ρW|.
    pub fn logdet(&self) -> f64 {
        self.logdet
    }

    /// The ρ of this factorisation.
    pub fn rho(&self) -> f64 {
        self.rho
    }

    /// Number of units N.
    pub fn n(&self) -> usize {
        self.engine.n
    }

    /// √d of the similarity W = D⁻¹C when the Cholesky path is used.
    pub fn sqrt_scale(&self) -> Option<&[f64]> {
        self.engine.sqrt_scale()
    }

    /// True when this factorisation is the LU with partial pivoting (the fallback of the LU
    /// path); false for the Cholesky and the no-pivoting LU.
    pub fn pivoted(&self) -> bool {
        matches!(self.numeric, Numeric::Lu { .. })
    }

    /// Number of stored entries of the numeric factor(s): nnz(L) (Cholesky) or nnz(L + U).
    pub fn nnz(&self) -> usize {
        match &self.numeric {
            Numeric::Cholesky { l_values } => l_values.len(),
            Numeric::Lu { lu, .. } => {
                let (l, u) = (lu.l_factor_unsorted(), lu.u_factor_unsorted());
                l.compute_nnz() + u.compute_nnz() - self.engine.n
            }
            Numeric::Fixed(p) => p.values.l.len() + p.values.u.len(),
        }
    }

    /// Solves (I − ρW) x = b in place (`b.len()` must be N).
    ///
    /// Cholesky path: x = D^{−1/2} (I − ρS)⁻¹ D^{1/2} b.
    pub fn solve_in_place(&self, b: &mut [f64]) -> Result<()> {
        self.solve_impl(b, false)
    }

    /// Solves (I − ρW)ᵀ x = b in place (`b.len()` must be N).
    ///
    /// Cholesky path: (I − ρW)ᵀ = D^{1/2}(I − ρS)D^{−1/2}, so x = D^{1/2} (I − ρS)⁻¹ D^{−1/2} b.
    pub fn solve_transpose_in_place(&self, b: &mut [f64]) -> Result<()> {
        self.solve_impl(b, true)
    }

    /// Solves with the `k` right-hand sides stored column-major in `b` (N·k entries), in place.
    pub fn solve_many_in_place(&self, b: &mut [f64], k: usize) -> Result<()> {
        let n = self.engine.n;
        if b.len() != n * k {
            return Err(Error::invalid(format!(
                "sparse solve: right-hand sides have {} entries, expected N·k = {}",
                b.len(),
                n * k
            )));
        }
        self.solve_cols(b, k, false);
        Ok(())
    }

    fn solve_impl(&self, b: &mut [f64], transpose: bool) -> Result<()> {
        let n = self.engine.n;
        if b.len() != n {
            return Err(Error::invalid(format!(
                "sparse solve: right-hand side has {} entries, expected N = {n}",
                b.len()
            )));
        }
        self.solve_cols(b, 1, transpose);
        Ok(())
    }

    fn solve_cols(&self, b: &mut [f64], k: usize, transpose: bool) {
        let n = self.engine.n;
        match (&self.engine.path, &self.numeric) {
            (Path::Cholesky { symbolic, sqrt_d, .. }, Numeric::Cholesky { l_values }) => {
                let scale = |b: &mut [f64], up: bool| {
                    for col in b.chunks_mut(n) {
                        for (v, s) in col.iter_mut().zip(sqrt_d) {
                            if up {
                                *v *= s;
                            } else {
                                *v /= s;
                            }
                        }
                    }
                };
                scale(b, !transpose);
                let mut mem = MemBuffer::new(symbolic.solve_in_place_scratch::<f64>(k, par()));
                let rhs = MatMut::from_column_major_slice_mut(b, n, k);
                LltRef::new(symbolic, l_values).solve_in_place_with_conj(Conj::No, rhs, par(), MemStack::new(&mut mem));
                scale(b, transpose);
            }
            (Path::Lu { perm_fwd, perm_inv, .. }, Numeric::Lu { lu, row_fwd, row_inv }) => {
                let mut mem = MemBuffer::new(lu_solve_scratch::<usize, f64>(n, k, par()));
                let rhs = MatMut::from_column_major_slice_mut(b, n, k);
                let (rp, cp) = (
                    PermRef::new_checked(row_fwd, row_inv, n),
                    PermRef::new_checked(perm_fwd, perm_inv, n),
                );
                // The factor is of Aᵀ: Ax = b is its transposed solve, Aᵀx = b its direct one.
                if transpose {
                    lu.solve_in_place_with_conj(rp, cp, Conj::No, rhs, par(), MemStack::new(&mut mem));
                } else {
                    lu.solve_transpose_in_place_with_conj(rp, cp, Conj::No, rhs, par(), MemStack::new(&mut mem));
                }
            }
            (Path::Lu { fixed: Some(f), .. }, Numeric::Fixed(p)) => {
                // P(I − ρW)ᵀPᵀ = LU: Aᵀx = b is its direct solve, Ax = b its transposed one.
                f.symbolic.solve(&p.values, b, k, !transpose);
            }
            _ => unreachable!("a factor is built by its own engine"),
        }
    }
}

impl LogDet for SparseLogDet {
    /// ln|I − ρW|, exact; NaN when ρ is outside the feasible interval.
    fn logdet(&self, rho: f64) -> f64 {
        self.factorize(rho).map_or(f64::NAN, |f| f.logdet())
    }
    fn method(&self) -> &'static str {
        "sparse"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::Standardization;

    #[test]
    fn permutation_parity() {
        assert!(!parity(&[0, 1, 2]));
        assert!(parity(&[1, 0, 2]));
        assert!(!parity(&[1, 2, 0]));
    }

    #[test]
    fn ring_closed_form_both_paths() {
        // Row-standardised 4-ring: ln|I − ρW| = ln(1 − ρ) + ln(1 + ρ) (docs/methods.md App. B).
        let ids: Vec<String> = (1..=4).map(|i| i.to_string()).collect();
        let t: Vec<(usize, usize, f64)> = (0..4)
            .flat_map(|i| [(i, (i + 1) % 4, 1.0), ((i + 1) % 4, i, 1.0)])
            .collect();
        let w = Weights::from_triplets(ids, &t, Standardization::Row, false).unwrap();
        for m in [SparseMethod::Cholesky, SparseMethod::Lu, SparseMethod::LuPivoted] {
            let e = SparseLogDet::with_method(&w, m).unwrap();
            let want = (0.6f64).ln() + (1.4f64).ln();
            assert!((e.logdet(0.4) - want).abs() < 1e-14, "{m:?}");
            assert!(e.logdet(1.5).is_nan(), "{m:?}");
        }
    }
}
