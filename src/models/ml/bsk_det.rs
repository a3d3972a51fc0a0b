//! The between part of the Baltagi–Song–Koh random-effects likelihood (docs/methods.md §11.3,
//! §11.7): with B = I_N − λW, M = I_N + Tφ BB' and Ā the N×m unit means of the columns
//! A = [y, Z],
//!
//! ```text
//! ln|M|   and   T (BĀ)'M⁻¹(BĀ)   (an m×m matrix; BĀ = (1 − λ)Ā + λD̄, D = A − (I_T ⊗ W)A)
//! ```
//!
//! behind one interface ([`BskDet`]) with two implementations:
//!
//! * [`DenseBsk`] (eigenvalue path, N ≤ [`BSK_MAX_N`]): the dense eigen-decomposition
//!   BB' = U diag(s²) U' once per λ (cached), then for every φ ln|M| = Σ ln(1 + Tφ s_i²) and
//!   T(BĀ)'M⁻¹(BĀ) = T Σ_i g_i g_i'/(1 + Tφ s_i²), g = U'BĀ, at O(N m²).
//! * [`SparseBsk`] (sparse path, any N): M = (1 + c)I − cλ(W + W') + cλ² WW' with c = Tφ has
//!   the fixed pattern of I + W + W' + WW'; its upper triangle and a fill-reducing (AMD)
//!   symbolic Cholesky factorisation are built once, and each (λ, φ) costs one numeric sparse
//!   Cholesky LL' = PMP' (faer): ln|M| = 2 Σ ln L_ii and M⁻¹(BĀ) from m sparse solves. No N×N
//!   dense object is formed. Results are cached by (λ, φ) so the optimiser and the
//!   central-difference Hessians never factorise the same M twice; the number of numeric
//!   factorisations is reported.

use crate::error::{Error, Result};
use crate::linalg::logdet::sparse::cholesky_log_diag;
use crate::weights::Weights;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::LltRegularization;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LltRef, SymbolicCholesky, SymmetricOrdering,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// Largest N of the dense eigen path of the Baltagi–Song–Koh likelihood, which needs the dense
/// eigen-decomposition of BB' (N×N) at every λ; larger N take [`SparseBsk`].
pub const BSK_MAX_N: usize = 2000;

/// Results kept by [`SparseBsk`] (one per (λ, φ); an m×m matrix each).
const CACHE: usize = 64;

/// ln|M| and T(BĀ)'M⁻¹(BĀ) at one (λ, φ).
#[derive(Debug, Clone, PartialEq)]
pub struct BskTerms {
    /// ln|I_N + Tφ BB'|.
    pub logdet: f64,
    /// T(BĀ)'M⁻¹(BĀ), m×m row-major.
    pub between: Vec<f64>,
}

/// The BSK between terms at (λ, φ) (module documentation).
pub trait BskDet {
    /// ln|I + Tφ BB'| and T(BĀ)'M⁻¹(BĀ). Error: a failed factorisation.
    fn at(&self, lam: f64, phi: f64) -> Result<Arc<BskTerms>>;
    /// "eigen" (dense) or "sparse".
    fn method(&self) -> &'static str;
    /// How the terms are computed, with the number of factorisations so far.
    fn describe(&self) -> String;
    /// Numeric factorisations (dense: eigen-decompositions) so far.
    fn factorisations(&self) -> usize;
}

/// The unit means of A and D = A − (I_T ⊗ W)A (N×m row-major), T and m.
pub struct Means {
    /// Units N.
    pub n: usize,
    /// Periods T.
    pub t: usize,
    /// Columns m.
    pub m: usize,
    /// Ā, row-major N×m.
    pub abar: Vec<f64>,
    /// D̄, row-major N×m.
    pub dbar: Vec<f64>,
}

impl Means {
    /// BĀ = (1 − λ)Ā + λD̄ at (i, j).
    fn ba(&self, lam: f64, i: usize, j: usize) -> f64 {
        let k = i * self.m + j;
        (1.0 - lam) * self.abar[k] + lam * self.dbar[k]
    }
}

/// s_i² (eigenvalues of BB') and G = U'BĀ (N×m row-major) at one λ.
type Decomposition = Arc<(Vec<f64>, Vec<f64>)>;

/// The dense eigen path (module documentation).
pub struct DenseBsk {
    means: Means,
    /// Dense W, row-major.
    wd: Vec<f64>,
    /// Decompositions by λ (bits).
    cache: RefCell<Vec<(u64, Decomposition)>>,
    count: Cell<usize>,
}

impl DenseBsk {
    /// For `w` (dense copy, N ≤ [`BSK_MAX_N`] is the caller's check) and the unit means.
    pub fn new(w: &Weights, means: Means) -> DenseBsk {
        DenseBsk {
            means,
            wd: w.to_dense(),
            cache: RefCell::new(Vec::new()),
            count: Cell::new(0),
        }
    }

    fn decomposition(&self, lam: f64) -> Result<Decomposition> {
        let key = lam.to_bits();
        if let Some((_, v)) = self.cache.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(v.clone());
        }
        let (n, m) = (self.means.n, self.means.m);
        let wd = &self.wd;
        let b = faer::Mat::<f64>::from_fn(n, n, |i, j| f64::from(i == j) - lam * wd[i * n + j]);
        let bbt = &b * b.transpose();
        let evd = bbt
            .self_adjoint_eigen(faer::Side::Lower)
            .map_err(|e| Error::numeric(format!("sem (random, bsk): eigen-decomposition of BB' failed ({e:?})")))?;
        self.count.set(self.count.get() + 1);
        let u = evd.U();
        let s = evd.S().column_vector();
        let ba = faer::Mat::<f64>::from_fn(n, m, |i, j| self.means.ba(lam, i, j));
        let g = u.transpose() * &ba;
        let v = Arc::new((
            (0..n).map(|i| s[i].max(0.0)).collect(),
            (0..n * m).map(|k| g[(k / m, k % m)]).collect(),
        ));
        let mut c = self.cache.borrow_mut();
        if c.len() >= 8 {
            c.remove(0);
        }
        c.push((key, v.clone()));
        Ok(v)
    }
}

impl BskDet for DenseBsk {
    fn at(&self, lam: f64, phi: f64) -> Result<Arc<BskTerms>> {
        let (m, t) = (self.means.m, self.means.t as f64);
        let dec = self.decomposition(lam)?;
        let (s2, g) = (&dec.0, &dec.1);
        let mut between = vec![0.0; m * m];
        let mut logdet = 0.0;
        for (i, s) in s2.iter().enumerate() {
            let d = 1.0 + t * phi * s;
            logdet += d.ln();
            let gi = &g[i * m..(i + 1) * m];
            let f = t / d;
            for p in 0..m {
                for q in 0..m {
                    between[p * m + q] += f * gi[p] * gi[q];
                }
            }
        }
        Ok(Arc::new(BskTerms { logdet, between }))
    }
    fn method(&self) -> &'static str {
        "eigen"
    }
    fn describe(&self) -> String {
        format!(
            "dense eigen-decomposition of BB' ({n} x {n}) per lambda, {} decompositions",
            self.factorisations(),
            n = self.means.n
        )
    }
    fn factorisations(&self) -> usize {
        self.count.get()
    }
}

/// (λ, φ) as bits, the cache key of [`SparseBsk`].
type Key = (u64, u64);

/// The sparse path (module documentation).
pub struct SparseBsk {
    means: Means,
    /// Upper triangle of the pattern of M, compressed sparse columns (sorted rows).
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    /// Values of I, W + W' and WW' on that pattern.
    e0: Vec<f64>,
    e1: Vec<f64>,
    e2: Vec<f64>,
    symbolic: SymbolicCholesky<usize>,
    cache: RefCell<Vec<(Key, Arc<BskTerms>)>>,
    count: Cell<usize>,
}

impl SparseBsk {
    /// Builds the pattern of M and its symbolic Cholesky factorisation (AMD ordering), once.
    pub fn new(w: &Weights, means: Means) -> Result<SparseBsk> {
        let n = w.n();
        let mat = w.matrix();
        // Columns of W: by_col[k] = [(i, w_ik)].
        let mut by_col: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        // (row, col, e0, e1, e2) on the upper triangle, duplicates summed below.
        let mut entries: Vec<(usize, usize, f64, f64, f64)> = (0..n).map(|i| (i, i, 1.0, 0.0, 0.0)).collect();
        for (i, row) in mat.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                by_col[j].push((i, v));
                let e1 = if i == j { 2.0 * v } else { v };
                entries.push((i.min(j), i.max(j), 0.0, e1, 0.0));
            }
        }
        for col in &by_col {
            for &(i, a) in col {
                for &(j, b) in col {
                    if i <= j {
                        entries.push((i, j, 0.0, 0.0, a * b));
                    }
                }
            }
        }
        drop(by_col);
        entries.sort_unstable_by_key(|&(r, c, ..)| (c, r));
        let mut col_ptr = vec![0usize; n + 1];
        let (mut row_idx, mut e0, mut e1, mut e2) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut last = None;
        for (r, c, a, b, d) in entries {
            if last == Some((r, c)) {
                let k = row_idx.len() - 1;
                e0[k] += a;
                e1[k] += b;
                e2[k] += d;
                continue;
            }
            last = Some((r, c));
            row_idx.push(r);
            e0.push(a);
            e1.push(b);
            e2.push(d);
            col_ptr[c + 1] += 1;
        }
        for j in 0..n {
            col_ptr[j + 1] += col_ptr[j];
        }
        let symbolic = factorize_symbolic_cholesky(
            SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx),
            Side::Upper,
            SymmetricOrdering::Amd,
            CholeskySymbolicParams::default(),
        )
        .map_err(|e| {
            Error::numeric(format!(
                "sem (random, bsk): symbolic Cholesky of I + T phi BB' failed ({e:?})"
            ))
        })?;
        Ok(SparseBsk {
            means,
            col_ptr,
            row_idx,
            e0,
            e1,
            e2,
            symbolic,
            cache: RefCell::new(Vec::new()),
            count: Cell::new(0),
        })
    }

    /// Stored entries of the upper triangle of M and of the factor L.
    pub fn sizes(&self) -> (usize, usize) {
        (self.row_idx.len(), self.symbolic.len_val())
    }

    fn compute(&self, lam: f64, phi: f64) -> Result<BskTerms> {
        let (n, m, t) = (self.means.n, self.means.m, self.means.t as f64);
        let c = t * phi;
        let values: Vec<f64> = (0..self.row_idx.len())
            .map(|k| self.e0[k] * (1.0 + c) - c * lam * self.e1[k] + c * lam * lam * self.e2[k])
            .collect();
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &self.col_ptr, None, &self.row_idx);
        let a = SparseColMatRef::new(sym, &values);
        let par = Par::Seq;
        let params = Default::default();
        let mut mem = MemBuffer::new(self.symbolic.factorize_numeric_llt_scratch::<f64>(par, params));
        let mut l_values = vec![0.0f64; self.symbolic.len_val()];
        self.symbolic
            .factorize_numeric_llt(
                &mut l_values,
                a,
                Side::Upper,
                LltRegularization::default(),
                par,
                MemStack::new(&mut mem),
                params,
            )
            .map_err(|_| {
                Error::numeric(format!(
                    "sem (random, bsk): I + T phi BB' is not numerically positive definite at lambda = {lam}, phi = {phi}"
                ))
            })?;
        self.count.set(self.count.get() + 1);
        let logdet = 2.0 * cholesky_log_diag(&self.symbolic, &l_values);
        // BĀ column-major, and M⁻¹BĀ.
        let ba: Vec<f64> = (0..n * m).map(|k| self.means.ba(lam, k % n, k / n)).collect();
        let mut x = ba.clone();
        let mut mem = MemBuffer::new(self.symbolic.solve_in_place_scratch::<f64>(m, par));
        LltRef::new(&self.symbolic, &l_values).solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(&mut x, n, m),
            par,
            MemStack::new(&mut mem),
        );
        let mut between = vec![0.0; m * m];
        for p in 0..m {
            for q in p..m {
                let v = t * crate::linalg::dot(&ba[p * n..(p + 1) * n], &x[q * n..(q + 1) * n]);
                between[p * m + q] = v;
                between[q * m + p] = v;
            }
        }
        Ok(BskTerms { logdet, between })
    }
}

impl BskDet for SparseBsk {
    fn at(&self, lam: f64, phi: f64) -> Result<Arc<BskTerms>> {
        let key = (lam.to_bits(), phi.to_bits());
        if let Some((_, v)) = self.cache.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(v.clone());
        }
        let v = Arc::new(self.compute(lam, phi)?);
        let mut c = self.cache.borrow_mut();
        if c.len() >= CACHE {
            c.remove(0);
        }
        c.push((key, v.clone()));
        Ok(v)
    }
    fn method(&self) -> &'static str {
        "sparse"
    }
    fn describe(&self) -> String {
        let (nnz_m, nnz_l) = self.sizes();
        format!(
            "sparse Cholesky of M = I + T phi BB' (upper nnz(M) = {nnz_m}, nnz(L) = {nnz_l}; AMD ordering and symbolic \
             factorisation once), {} numeric factorisations",
            self.factorisations()
        )
    }
    fn factorisations(&self) -> usize {
        self.count.get()
    }
}
