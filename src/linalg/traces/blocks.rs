//! Sparse products of the exact traces: CSR matrix–vector and matrix–block products, blocks
//! of unit vectors summed in a thread-count-independent order, dot products and Wᵀx.

use crate::error::Result;
use crate::weights::Weights;
use rayon::prelude::*;

pub(super) use crate::linalg::dense::dot;

/// A CSR matrix as plain arrays (for tight matrix–vector loops).
pub(super) struct Csr {
    pub(super) ptr: Vec<usize>,
    pub(super) idx: Vec<usize>,
    pub(super) val: Vec<f64>,
}

impl Csr {
    /// W itself, or S = D^{1/2} W D^{−1/2} (s_ij = √d_i w_ij / √d_j) when `sqrt_d` is given.
    pub(super) fn of(w: &Weights, sqrt_d: Option<&[f64]>) -> Csr {
        let m = w.matrix();
        let mut ptr = Vec::with_capacity(m.rows() + 1);
        let mut idx = Vec::with_capacity(m.nnz());
        let mut val = Vec::with_capacity(m.nnz());
        ptr.push(0);
        for (i, row) in m.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                idx.push(j);
                val.push(match sqrt_d {
                    Some(s) => s[i] * v / s[j],
                    None => v,
                });
            }
            ptr.push(idx.len());
        }
        Csr { ptr, idx, val }
    }

    /// Wᵀ as CSR.
    pub(super) fn transpose_of(w: &Weights) -> Csr {
        let m = w.matrix();
        let n = m.rows();
        let mut count = vec![0usize; n + 1];
        for row in m.outer_iterator() {
            for (j, _) in row.iter() {
                count[j + 1] += 1;
            }
        }
        for j in 0..n {
            count[j + 1] += count[j];
        }
        let mut next = count.clone();
        let mut idx = vec![0usize; m.nnz()];
        let mut val = vec![0.0; m.nnz()];
        for (i, row) in m.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                idx[next[j]] = i;
                val[next[j]] = v;
                next[j] += 1;
            }
        }
        Csr { ptr: count, idx, val }
    }
}

/// Columns handled per parallel task of the exact column-by-column traces (a block of unit
/// vectors, stored N×B row-major so that each matrix entry updates B contiguous values);
/// partial sums are reduced in block order, so the result does not depend on the number of
/// threads.
pub(super) const COLUMN_BLOCK: usize = 32;

impl Csr {
    /// Y = A X for N×B row-major blocks X, Y.
    pub(super) fn apply_block(&self, x: &[f64], y: &mut [f64], b: usize) {
        if b == COLUMN_BLOCK {
            // Fixed width: the inner loop is unrolled and vectorised.
            for (i, yi) in y.chunks_exact_mut(COLUMN_BLOCK).enumerate() {
                let mut acc = [0.0f64; COLUMN_BLOCK];
                for (&j, &v) in self.idx[self.ptr[i]..self.ptr[i + 1]]
                    .iter()
                    .zip(&self.val[self.ptr[i]..self.ptr[i + 1]])
                {
                    let xj: &[f64; COLUMN_BLOCK] = x[j * COLUMN_BLOCK..(j + 1) * COLUMN_BLOCK]
                        .try_into()
                        .expect("block row has the block width");
                    for c in 0..COLUMN_BLOCK {
                        acc[c] += v * xj[c];
                    }
                }
                yi.copy_from_slice(&acc);
            }
            return;
        }
        for (i, yi) in y.chunks_mut(b).enumerate() {
            yi.iter_mut().for_each(|v| *v = 0.0);
            for (&j, &v) in self.idx[self.ptr[i]..self.ptr[i + 1]]
                .iter()
                .zip(&self.val[self.ptr[i]..self.ptr[i + 1]])
            {
                for (o, xv) in yi.iter_mut().zip(&x[j * b..(j + 1) * b]) {
                    *o += v * xv;
                }
            }
        }
    }
}

/// The N×b row-major block of unit vectors e_{j0}, ..., e_{j0+b−1}.
pub(super) fn unit_block(x: &mut [f64], n: usize, j0: usize, b: usize) {
    x[..n * b].iter_mut().for_each(|v| *v = 0.0);
    for c in 0..b {
        x[(j0 + c) * b + c] = 1.0;
    }
}

/// Σ over the column blocks [j0, j0 + b) of `per_block(j0, b, buffers, acc)`, computed in
/// parallel and reduced in block order (thread-count independent).
pub(super) fn sum_over_blocks<B: Send, F>(
    n: usize,
    width: usize,
    init: impl Fn() -> B + Sync,
    per_block: F,
) -> Result<Vec<f64>>
where
    F: Fn(usize, usize, &mut B, &mut [f64]) -> Result<()> + Sync,
{
    let blocks: Vec<Result<Vec<f64>>> = (0..n.div_ceil(COLUMN_BLOCK))
        .into_par_iter()
        .map_init(&init, |buf, k| {
            crate::interrupt::check()?;
            let j0 = k * COLUMN_BLOCK;
            let b = COLUMN_BLOCK.min(n - j0);
            let mut acc = vec![0.0; width];
            per_block(j0, b, buf, &mut acc)?;
            Ok(acc)
        })
        .collect();
    let mut out = vec![0.0; width];
    for blk in blocks {
        for (o, v) in out.iter_mut().zip(blk?) {
            *o += v;
        }
    }
    Ok(out)
}

/// Wᵀx of an N-vector.
pub fn lag_transpose(w: &Weights, x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; w.n()];
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        for (j, &v) in row.iter() {
            out[j] += v * x[i];
        }
    }
    out
}
