//! Sparse LU without pivoting in a fixed supernodal structure (docs/methods.md §4.3).
//!
//! For a square M whose symmetric permutation P M Pᵀ has an LU factorisation without pivoting
//! (e.g. M strictly diagonally dominant by columns, Golub & Van Loan 2013, Thm 3.4.3), the
//! factors satisfy struct(L) ⊆ struct(L_C) and struct(U) ⊆ struct(L_Cᵀ), where L_C is the
//! Cholesky factor of P(|M| + |Mᵀ| + I)Pᵀ (George & Ng 1987; Davis 2006, §6.1). So the symbolic
//! work (the AMD ordering P of the pattern of M + Mᵀ, the elimination tree, the supernodes and
//! their row patterns) is done once by faer's symbolic Cholesky, and each numeric factorisation
//! fills a fixed structure:
//!
//! * supernode s (columns c₀..c₁, row pattern R below them) stores the (c₁ − c₀ + |R|) × (c₁ − c₀)
//!   block of L (its top square holds L₁₁ strictly below the diagonal, unit diagonal implied, and
//!   U₁₁ on and above it) and the |R| × (c₁ − c₀) block U₁₂ᵀ (the rows of U of its columns, in
//!   the columns R);
//! * left-looking: the descendants d of s whose pattern meets c₀..c₁ update s with the dense
//!   products L_d[R_d ∩ [c₀, ∞), :]·U_d[:, R_d ∩ [c₀, c₁)] (the L block of s) and
//!   L_d[R_d ∩ [c₀, c₁), :]·U_d[:, R_d ∩ [c₁, ∞)] (its U block), then
//!   L₁₁U₁₁ = A₁₁ (dense LU without pivoting), L₂₁ = A₂₁U₁₁⁻¹, U₁₂ = L₁₁⁻¹A₁₂ (faer's dense
//!   triangular solves and products).
//!
//! ln|det M| = Σ ln|u_ii|; the pivots of a matrix that is strictly diagonally dominant by
//! columns with a positive diagonal are positive (each Schur complement keeps both properties).

use crate::error::{Error, Result};
use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::{solve_lower_triangular_in_place, solve_unit_lower_triangular_in_place};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::SymbolicSparseColMatRef;
use faer::{Accum, MatMut, MatRef, Par, Side};

/// The fixed structure of the LU factors of P M Pᵀ (module doc), computed once per pattern.
#[derive(Debug)]
pub(crate) struct StaticLuSymbolic {
    n: usize,
    /// new → old index (P M Pᵀ[i, j] = M[fwd[i], fwd[j]]).
    pub perm_fwd: Vec<usize>,
    /// old → new index.
    pub perm_inv: Vec<usize>,
    /// First column of each supernode, and n at the end.
    sn_begin: Vec<usize>,
    /// Row pattern of each supernode below its columns (new indices, increasing).
    pat_ptr: Vec<usize>,
    pat: Vec<usize>,
    /// Offsets of the L blocks ((ncols + npat) × ncols) and the U₁₂ᵀ blocks (npat × ncols).
    l_ptr: Vec<usize>,
    u_ptr: Vec<usize>,
    /// For each supernode, the supernodes d < s whose pattern meets its columns.
    desc_ptr: Vec<usize>,
    desc: Vec<usize>,
    /// Where each stored entry of M (in the order of the caller's column-major pattern) goes:
    /// an index into the L values, or len(L) + an index into the U values.
    dest: Vec<usize>,
    /// Length of the scratch of one update (max over supernodes of npat²).
    max_tmp: usize,
}

/// The values of a numeric factorisation in a [`StaticLuSymbolic`] structure.
#[derive(Debug)]
pub(crate) struct StaticLuValues {
    pub l: Vec<f64>,
    pub u: Vec<f64>,
}

/// Scratch of one numeric factorisation (reused across factorisations).
#[derive(Debug, Default)]
pub(crate) struct StaticLuScratch {
    global_to_local: Vec<usize>,
    /// Local rows (in the L block of the supernode being computed) of a descendant's rows.
    rel: Vec<usize>,
    tmp: Vec<f64>,
}

/// Below this many multiply-adds a descendant update is done with scalar loops, above with
/// faer's dense product and a scatter.
const SMALL_UPDATE: usize = 2048;
/// Dense LU blocks at most this wide are factorised with scalar loops.
const DENSE_LEAF: usize = 32;

const NONE: usize = usize::MAX;

impl StaticLuSymbolic {
    /// The structure for the column-major pattern (`col_ptr`, `row_idx`, sorted rows, diagonal
    /// stored) of an n × n matrix M.
    pub fn new(n: usize, col_ptr: &[usize], row_idx: &[usize]) -> Result<StaticLuSymbolic> {
        // Upper triangle of the pattern of M + Mᵀ (columns sorted, duplicates merged).
        let mut cnt = vec![0usize; n + 1];
        for j in 0..n {
            for &i in &row_idx[col_ptr[j]..col_ptr[j + 1]] {
                cnt[i.max(j) + 1] += 1;
            }
        }
        for j in 0..n {
            cnt[j + 1] += cnt[j];
        }
        let mut next = cnt.clone();
        let mut up = vec![0usize; cnt[n]];
        for j in 0..n {
            for &i in &row_idx[col_ptr[j]..col_ptr[j + 1]] {
                let (r, c) = (i.min(j), i.max(j));
                up[next[c]] = r;
                next[c] += 1;
            }
        }
        let mut sym_ptr = vec![0usize; n + 1];
        let mut sym_idx = Vec::with_capacity(up.len());
        for c in 0..n {
            let col = &mut up[cnt[c]..cnt[c + 1]];
            col.sort_unstable();
            let mut last = NONE;
            for &r in col.iter() {
                if r != last {
                    sym_idx.push(r);
                    last = r;
                }
            }
            sym_ptr[c + 1] = sym_idx.len();
        }
        drop(up);
        let sym = SymbolicSparseColMatRef::new_checked(n, n, &sym_ptr, None, &sym_idx);
        let params = CholeskySymbolicParams {
            supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SUPERNODAL,
            ..Default::default()
        };
        let symbolic = factorize_symbolic_cholesky(sym, Side::Upper, SymmetricOrdering::Amd, params)
            .map_err(|e| Error::numeric(format!("lndet \"sparse\": symbolic LU structure failed ({e:?})")))?;
        let (perm_fwd, perm_inv): (Vec<usize>, Vec<usize>) = match symbolic.perm() {
            Some(p) => {
                let (f, i) = p.arrays();
                (f.to_vec(), i.to_vec())
            }
            None => ((0..n).collect(), (0..n).collect()),
        };
        let SymbolicCholeskyRaw::Supernodal(sn) = symbolic.raw() else {
            return Err(Error::numeric(
                "lndet \"sparse\": faer returned a simplicial structure where a supernodal one was requested",
            ));
        };
        let ns = sn.n_supernodes();
        let mut sn_begin: Vec<usize> = sn.supernode_begin().to_vec();
        sn_begin.push(n);
        let mut pat_ptr = Vec::with_capacity(ns + 1);
        let mut pat = Vec::new();
        pat_ptr.push(0);
        for s in 0..ns {
            pat.extend_from_slice(sn.supernode(s).pattern());
            pat_ptr.push(pat.len());
        }
        drop(symbolic);
        let mut l_ptr = vec![0usize; ns + 1];
        let mut u_ptr = vec![0usize; ns + 1];
        let mut max_tmp = 0usize;
        let mut col_sn = vec![0usize; n];
        for s in 0..ns {
            let nc = sn_begin[s + 1] - sn_begin[s];
            let np = pat_ptr[s + 1] - pat_ptr[s];
            l_ptr[s + 1] = l_ptr[s] + (nc + np) * nc;
            u_ptr[s + 1] = u_ptr[s] + np * nc;
            max_tmp = max_tmp.max(np * np);
            col_sn[sn_begin[s]..sn_begin[s + 1]].fill(s);
        }
        // Descendants: d updates every supernode its pattern meets.
        let mut dcnt = vec![0usize; ns + 1];
        let mut mark = vec![NONE; ns];
        for d in 0..ns {
            for &r in &pat[pat_ptr[d]..pat_ptr[d + 1]] {
                let s = col_sn[r];
                if mark[s] != d {
                    mark[s] = d;
                    dcnt[s + 1] += 1;
                }
            }
        }
        for s in 0..ns {
            dcnt[s + 1] += dcnt[s];
        }
        let mut desc = vec![0usize; dcnt[ns]];
        let mut dnext = dcnt.clone();
        mark.fill(NONE);
        for d in 0..ns {
            for &r in &pat[pat_ptr[d]..pat_ptr[d + 1]] {
                let s = col_sn[r];
                if mark[s] != d {
                    mark[s] = d;
                    desc[dnext[s]] = d;
                    dnext[s] += 1;
                }
            }
        }
        // Destinations of the entries of M.
        let len_l = l_ptr[ns];
        let pos_in = |s: usize, row: usize| -> Result<usize> {
            pat[pat_ptr[s]..pat_ptr[s + 1]]
                .binary_search(&row)
                .map_err(|_| Error::numeric("lndet \"sparse\": an entry of I − ρW lies outside the LU structure"))
        };
        let mut dest = Vec::with_capacity(row_idx.len());
        for j in 0..n {
            for &i in &row_idx[col_ptr[j]..col_ptr[j + 1]] {
                let (pi, pj) = (perm_inv[i], perm_inv[j]);
                let d = if pi >= pj {
                    // L part (diagonal included): column pj.
                    let s = col_sn[pj];
                    let (b, e) = (sn_begin[s], sn_begin[s + 1]);
                    let nr = e - b + pat_ptr[s + 1] - pat_ptr[s];
                    let r = if pi < e { pi - b } else { e - b + pos_in(s, pi)? };
                    l_ptr[s] + (pj - b) * nr + r
                } else {
                    // U part: row pi, column pj > pi.
                    let s = col_sn[pi];
                    let (b, e) = (sn_begin[s], sn_begin[s + 1]);
                    if pj < e {
                        let nr = e - b + pat_ptr[s + 1] - pat_ptr[s];
                        l_ptr[s] + (pj - b) * nr + (pi - b)
                    } else {
                        let np = pat_ptr[s + 1] - pat_ptr[s];
                        len_l + u_ptr[s] + (pi - b) * np + pos_in(s, pj)?
                    }
                };
                dest.push(d);
            }
        }
        Ok(StaticLuSymbolic {
            n,
            perm_fwd,
            perm_inv,
            sn_begin,
            pat_ptr,
            pat,
            l_ptr,
            u_ptr,
            desc_ptr: dcnt,
            desc,
            dest,
            max_tmp,
        })
    }

    /// Number of stored entries of L and U together (the diagonal once; explicit zeros of
    /// amalgamated supernodes included).
    pub fn nnz(&self) -> usize {
        let ns = self.n_supernodes();
        self.l_ptr[ns] + self.u_ptr[ns]
    }

    /// Number of supernodes.
    pub fn n_supernodes(&self) -> usize {
        self.sn_begin.len() - 1
    }

    fn sn(&self, s: usize) -> (usize, usize, &[usize]) {
        (
            self.sn_begin[s],
            self.sn_begin[s + 1],
            &self.pat[self.pat_ptr[s]..self.pat_ptr[s + 1]],
        )
    }

    /// Supernode `s` of the factor `vals`: its columns, row pattern and the L and U panels.
    fn block<'a>(&'a self, vals: &'a StaticLuValues, s: usize) -> Block<'a> {
        let (sb, se, pat) = self.sn(s);
        Block {
            sb,
            nc: se - sb,
            pat,
            l: &vals.l[self.l_ptr[s]..self.l_ptr[s + 1]],
            u: &vals.u[self.u_ptr[s]..self.u_ptr[s + 1]],
        }
    }

    /// Empty value buffers of the right sizes.
    pub fn new_values(&self) -> StaticLuValues {
        let ns = self.n_supernodes();
        StaticLuValues {
            l: vec![0.0; self.l_ptr[ns]],
            u: vec![0.0; self.u_ptr[ns]],
        }
    }

    /// Numeric factorisation of P M Pᵀ = LU into `vals`, where M's stored entries (in the
    /// pattern order given to [`StaticLuSymbolic::new`]) are `value(k)`. Returns Σ ln|u_ii| and
    /// the number of negative pivots, or the (new) index of a zero or non-finite pivot.
    pub fn factorize(
        &self,
        value: impl Fn(usize) -> f64,
        vals: &mut StaticLuValues,
        scratch: &mut StaticLuScratch,
    ) -> std::result::Result<(f64, usize), usize> {
        let n = self.n;
        let ns = self.n_supernodes();
        let len_l = self.l_ptr[ns];
        vals.l.fill(0.0);
        vals.u.fill(0.0);
        for (k, &d) in self.dest.iter().enumerate() {
            if d < len_l {
                vals.l[d] += value(k);
            } else {
                vals.u[d - len_l] += value(k);
            }
        }
        if scratch.global_to_local.len() != n {
            scratch.global_to_local = vec![NONE; n];
        }
        if scratch.tmp.len() < self.max_tmp {
            scratch.tmp = vec![0.0; self.max_tmp];
        }
        if scratch.rel.len() < n {
            scratch.rel = vec![0; n];
        }
        let g2l = &mut scratch.global_to_local;
        let rel = &mut scratch.rel;
        let tmp = &mut scratch.tmp;
        let mut logdet = 0.0;
        let mut negative = 0usize;
        for s in 0..ns {
            let (sb, se, s_pat) = self.sn(s);
            let snc = se - sb;
            let snp = s_pat.len();
            let snr = snc + snp;
            for (p, &r) in s_pat.iter().enumerate() {
                g2l[r] = p;
            }
            let (l_head, l_tail) = vals.l.split_at_mut(self.l_ptr[s]);
            let ls = &mut l_tail[..snr * snc];
            let (u_head, u_tail) = vals.u.split_at_mut(self.u_ptr[s]);
            let us = &mut u_tail[..snp * snc];
            for &d in &self.desc[self.desc_ptr[s]..self.desc_ptr[s + 1]] {
                let (db, de, d_pat) = self.sn(d);
                let dnc = de - db;
                let dnp = d_pat.len();
                let dnr = dnc + dnp;
                let ld = &l_head[self.l_ptr[d]..self.l_ptr[d + 1]];
                let ud = &u_head[self.u_ptr[d]..self.u_ptr[d + 1]];
                let start = d_pat.partition_point(|&r| r < sb);
                let mid = d_pat[start..].partition_point(|&r| r < se);
                let rest = &d_pat[start..];
                let bot = rest.len() - mid;
                // Local rows of rest in the L block of s (rows ≥ se: snc + their U₁₂ᵀ row).
                let rel = &mut rel[..rest.len()];
                for (x, &g) in rel.iter_mut().zip(rest) {
                    *x = if g < se { g - sb } else { snc + g2l[g] };
                }
                let rel = &*rel;
                if dnc * mid * (rest.len() + bot) <= SMALL_UPDATE {
                    for k in 0..dnc {
                        let lcol = &ld[k * dnr + dnc + start..(k + 1) * dnr];
                        let ucol = &ud[k * dnp + start..(k + 1) * dnp];
                        for c in 0..mid {
                            let cc = rest[c] - sb;
                            // L block: rows rest (all), column cc, times U_d[k, rest[c]].
                            let uf = ucol[c];
                            if uf != 0.0 {
                                let dst = &mut ls[cc * snr..(cc + 1) * snr];
                                for (&x, &l) in rel.iter().zip(lcol) {
                                    dst[x] -= l * uf;
                                }
                            }
                            // U block: rows rest[mid..] (pattern of s), column cc, times L_d[rest[c], k].
                            let lf = lcol[c];
                            if lf != 0.0 {
                                let dst = &mut us[cc * snp..(cc + 1) * snp];
                                for (&x, &u) in rel[mid..].iter().zip(&ucol[mid..]) {
                                    dst[x - snc] -= u * lf;
                                }
                            }
                        }
                    }
                } else {
                    let ldm = MatRef::from_column_major_slice(ld, dnr, dnc);
                    let udm = MatRef::from_column_major_slice(ud, dnp, dnc);
                    let l_rest = ldm.subrows(dnc + start, rest.len());
                    let u_rest = udm.subrows(start, rest.len());
                    // T1 = L_d[rest, :] · U_d[:, rest[..mid]]  (rest × mid).
                    {
                        let t1 = MatMut::from_column_major_slice_mut(&mut tmp[..rest.len() * mid], rest.len(), mid);
                        matmul(
                            t1,
                            Accum::Replace,
                            l_rest,
                            u_rest.subrows(0, mid).transpose(),
                            1.0,
                            Par::Seq,
                        );
                        for c in 0..mid {
                            let cc = rest[c] - sb;
                            let src = &tmp[c * rest.len()..(c + 1) * rest.len()];
                            let dst = &mut ls[cc * snr..(cc + 1) * snr];
                            for (&x, &v) in rel.iter().zip(src) {
                                dst[x] -= v;
                            }
                        }
                    }
                    // T2 = U_d[:, rest[mid..]]ᵀ · L_d[rest[..mid], :]ᵀ  (bot × mid).
                    if bot > 0 {
                        let t2 = MatMut::from_column_major_slice_mut(&mut tmp[..bot * mid], bot, mid);
                        matmul(
                            t2,
                            Accum::Replace,
                            u_rest.subrows(mid, bot),
                            l_rest.subrows(0, mid).transpose(),
                            1.0,
                            Par::Seq,
                        );
                        for c in 0..mid {
                            let cc = rest[c] - sb;
                            let src = &tmp[c * bot..(c + 1) * bot];
                            let dst = &mut us[cc * snp..(cc + 1) * snp];
                            for (&x, &v) in rel[mid..].iter().zip(src) {
                                dst[x - snc] -= v;
                            }
                        }
                    }
                }
            }
            // Dense LU of the diagonal block, then L₂₁ = A₂₁U₁₁⁻¹ and U₁₂ = L₁₁⁻¹A₁₂.
            let lsm = MatMut::from_column_major_slice_mut(ls, snr, snc);
            let (mut top, mut bottom) = lsm.split_at_row_mut(snc);
            dense_lu_nopiv(top.rb_mut()).map_err(|k| sb + k)?;
            for k in 0..snc {
                let p = top[(k, k)];
                negative += usize::from(p < 0.0);
                logdet += p.abs().ln();
            }
            if snp > 0 {
                solve_lower_triangular_in_place(top.rb().transpose(), bottom.rb_mut().transpose_mut(), Par::Seq);
                let usm = MatMut::from_column_major_slice_mut(us, snp, snc);
                solve_unit_lower_triangular_in_place(top.rb(), usm.transpose_mut(), Par::Seq);
            }
            for &r in s_pat {
                g2l[r] = NONE;
            }
        }
        Ok((logdet, negative))
    }
}

/// In-place LU without pivoting of a dense square block: L (unit diagonal) strictly below the
/// diagonal, U on and above it. Recursive halving with faer's triangular solves and products;
/// scalar loops on small blocks. Err(k) on a zero or non-finite pivot k.
fn dense_lu_nopiv(mut a: MatMut<'_, f64>) -> std::result::Result<(), usize> {
    let n = a.nrows();
    if n <= DENSE_LEAF {
        for k in 0..n {
            let p = a[(k, k)];
            if p == 0.0 || !p.is_finite() {
                return Err(k);
            }
            let inv = 1.0 / p;
            for i in k + 1..n {
                a[(i, k)] *= inv;
            }
            for j in k + 1..n {
                let u = a[(k, j)];
                if u != 0.0 {
                    for i in k + 1..n {
                        let l = a[(i, k)];
                        a[(i, j)] -= l * u;
                    }
                }
            }
        }
        return Ok(());
    }
    let h = n / 2;
    let (mut a11, mut a12, mut a21, mut a22) = a.rb_mut().split_at_mut(h, h);
    dense_lu_nopiv(a11.rb_mut())?;
    solve_unit_lower_triangular_in_place(a11.rb(), a12.rb_mut(), Par::Seq);
    solve_lower_triangular_in_place(a11.rb().transpose(), a21.rb_mut().transpose_mut(), Par::Seq);
    matmul(a22.rb_mut(), Accum::Add, a21.rb(), a12.rb(), -1.0, Par::Seq);
    dense_lu_nopiv(a22).map_err(|k| k + h)
}

/// One supernode of a numeric factor: columns sb..sb + nc, the rows `pat` below them, the L
/// panel ((nc + |pat|) × nc, column-major: the diagonal block, holding U's diagonal block above
/// the unit diagonal of L, then the rows of `pat`) and the U panel (|pat| × nc, column-major:
/// column jj holds row sb + jj of U in the columns `pat`).
#[derive(Clone, Copy)]
struct Block<'a> {
    sb: usize,
    nc: usize,
    pat: &'a [usize],
    l: &'a [f64],
    u: &'a [f64],
}

impl<'a> Block<'a> {
    /// Column jj of the L panel (nc + |pat| entries).
    fn l_col(&self, jj: usize) -> &'a [f64] {
        let nr = self.nc + self.pat.len();
        &self.l[jj * nr..(jj + 1) * nr]
    }

    /// Column jj of the U panel (|pat| entries).
    fn u_col(&self, jj: usize) -> &'a [f64] {
        let np = self.pat.len();
        &self.u[jj * np..(jj + 1) * np]
    }
}

impl StaticLuSymbolic {
    /// Solves with the `k` right-hand sides stored column-major in `b` (n·k entries), in
    /// place: M x = b (`transpose` false, x = Pᵀ U⁻¹ L⁻¹ P b) or Mᵀ x = b (x = Pᵀ L⁻ᵀ U⁻ᵀ P b).
    pub fn solve(&self, vals: &StaticLuValues, b: &mut [f64], k: usize, transpose: bool) {
        let n = self.n;
        let mut y = vec![0.0; n];
        for col in b.chunks_mut(n).take(k) {
            for (i, v) in y.iter_mut().enumerate() {
                *v = col[self.perm_fwd[i]];
            }
            if transpose {
                self.ut_solve(vals, &mut y);
                self.lt_solve(vals, &mut y);
            } else {
                self.l_solve(vals, &mut y);
                self.u_solve(vals, &mut y);
            }
            for (i, v) in y.iter().enumerate() {
                col[self.perm_fwd[i]] = *v;
            }
        }
    }

    /// y ← L⁻¹ y (unit lower, forward).
    fn l_solve(&self, vals: &StaticLuValues, y: &mut [f64]) {
        for s in 0..self.n_supernodes() {
            let b = self.block(vals, s);
            let Block { sb, nc, pat, .. } = b;
            for jj in 0..nc {
                let col = b.l_col(jj);
                let x = y[sb + jj];
                if x == 0.0 {
                    continue;
                }
                for ii in jj + 1..nc {
                    y[sb + ii] -= col[ii] * x;
                }
                for (p, &r) in pat.iter().enumerate() {
                    y[r] -= col[nc + p] * x;
                }
            }
        }
    }

    /// y ← U⁻¹ y (upper, backward).
    fn u_solve(&self, vals: &StaticLuValues, y: &mut [f64]) {
        for s in (0..self.n_supernodes()).rev() {
            let b = self.block(vals, s);
            let Block { sb, nc, pat, .. } = b;
            for jj in 0..nc {
                let ucol = b.u_col(jj);
                let dot: f64 = ucol.iter().zip(pat).map(|(u, &r)| u * y[r]).sum();
                y[sb + jj] -= dot;
            }
            for jj in (0..nc).rev() {
                let col = b.l_col(jj);
                let x = y[sb + jj] / col[jj];
                y[sb + jj] = x;
                if x != 0.0 {
                    for ii in 0..jj {
                        y[sb + ii] -= col[ii] * x;
                    }
                }
            }
        }
    }

    /// y ← U⁻ᵀ y (Uᵀ lower, forward).
    fn ut_solve(&self, vals: &StaticLuValues, y: &mut [f64]) {
        for s in 0..self.n_supernodes() {
            let b = self.block(vals, s);
            let Block { sb, nc, pat, .. } = b;
            for jj in 0..nc {
                let col = b.l_col(jj);
                let dot: f64 = col[..jj].iter().zip(&y[sb..sb + jj]).map(|(a, b)| a * b).sum();
                y[sb + jj] = (y[sb + jj] - dot) / col[jj];
            }
            for jj in 0..nc {
                let x = y[sb + jj];
                if x == 0.0 {
                    continue;
                }
                for (u, &r) in b.u_col(jj).iter().zip(pat) {
                    y[r] -= u * x;
                }
            }
        }
    }

    /// y ← L⁻ᵀ y (Lᵀ unit upper, backward).
    fn lt_solve(&self, vals: &StaticLuValues, y: &mut [f64]) {
        for s in (0..self.n_supernodes()).rev() {
            let b = self.block(vals, s);
            let Block { sb, nc, pat, .. } = b;
            let se = sb + nc;
            for jj in (0..nc).rev() {
                let col = b.l_col(jj);
                let mut x = y[sb + jj];
                x -= col[nc..].iter().zip(pat).map(|(l, &r)| l * y[r]).sum::<f64>();
                x -= col[jj + 1..nc]
                    .iter()
                    .zip(&y[sb + jj + 1..se])
                    .map(|(l, v)| l * v)
                    .sum::<f64>();
                y[sb + jj] = x;
            }
        }
    }
}
