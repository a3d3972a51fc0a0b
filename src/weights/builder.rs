//! Plumbing shared by the weights builders: the options every builder takes ([`Common`]), the
//! memory-budget check on the number of links, and the assembly of CSR matrices.

use super::Standardization;
use crate::error::{Error, Result};
use rayon::prelude::*;
use sprs::CsMat;

/// Largest N for which an all-pairs (dense) distance W is built without a cutoff.
pub const MAX_DENSE_N: usize = 20_000;

/// Options shared by every builder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Common {
    /// Standardisation applied to the raw weights (default row).
    pub standardize: Standardization,
    /// Keep units without neighbours (islands) instead of refusing them (default false).
    pub keep_islands: bool,
    /// Accept negative weights (default false: a negative weight is an error naming the pair).
    /// Only weights read from a file can be negative; the builders make non-negative weights.
    pub allow_negative: bool,
}

impl Default for Common {
    fn default() -> Self {
        Common {
            standardize: Standardization::Row,
            keep_islands: false,
            allow_negative: false,
        }
    }
}

/// An N×N CSR matrix with c_ij = f(i, j) for i ≠ j, zero diagonal, zeros dropped; rows built in
/// parallel. Non-finite values are an error naming the pair.
pub(crate) fn dense_matrix(n: usize, f: impl Fn(usize, usize) -> f64 + Sync) -> Result<CsMat<f64>> {
    check_links(
        &format!("an all-pairs W of N = {n} units"),
        n.saturating_mul(n.saturating_sub(1)),
        "use fewer units or a sparse W (weights_knn, weights_band)",
    )?;
    let rows: Vec<(Vec<usize>, Vec<f64>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            if crate::interrupt::requested() {
                return (Vec::new(), Vec::new());
            }
            let mut idx = Vec::with_capacity(n.saturating_sub(1));
            let mut val = Vec::with_capacity(n.saturating_sub(1));
            for j in (0..n).filter(|&j| j != i) {
                let c = f(i, j);
                if c != 0.0 {
                    idx.push(j);
                    val.push(c);
                }
            }
            (idx, val)
        })
        .collect();
    crate::interrupt::check()?;
    csr_from_rows(n, rows)
}

/// Bytes one link of a W takes while it is built (a column index and a value).
const LINK_BYTES: usize = 16;

/// Checks that a W with `links` nonzero weights fits the memory budget ([`crate::budget`]);
/// otherwise an error naming `what` and the `fix`. Every builder calls it before allocating.
pub(crate) fn check_links(what: &str, links: usize, fix: &str) -> Result<()> {
    crate::budget::check(&format!("{what}: {links} links"), &[links], LINK_BYTES, fix)
}

/// The most links the memory budget holds (see [`check_links`]).
pub(crate) fn max_links() -> usize {
    usize::try_from(crate::budget::max_bytes() / LINK_BYTES as u64).unwrap_or(usize::MAX)
}

/// Assembles a CSR matrix from per-row (sorted column indices, values). Values are checked
/// (finite, non-negative, row sums) by [`Weights::from_raw_with`], which names the units.
pub(crate) fn csr_from_rows(n: usize, rows: Vec<(Vec<usize>, Vec<f64>)>) -> Result<CsMat<f64>> {
    let nnz: usize = rows.iter().map(|r| r.0.len()).sum();
    let mut indptr = Vec::with_capacity(n + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    indptr.push(0);
    for (idx, val) in rows {
        indices.extend(idx);
        data.extend(val);
        indptr.push(indices.len());
    }
    CsMat::try_new((n, n), indptr, indices, data)
        .map_err(|(_, _, _, e)| Error::numeric(format!("weights: bad sparse structure ({e})")))
}

pub(crate) fn check_cutoff(cutoff: f64, what: &str) -> Result<()> {
    if cutoff.is_finite() && cutoff > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what}: cutoff must be a positive number, got {cutoff}"
        )))
    }
}
