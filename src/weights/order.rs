//! Higher-order contiguity (docs/methods.md §16.4): the units k steps away along the links of
//! W, as spdep's `nblag` (exactly order k) and `nblag_cumul` / SDPDmod's `mOrdNbr` (orders 1..k).

use super::builder::{check_links, csr_from_rows, Common};
use super::Weights;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// For unit `i`, the units at shortest-path distance 1..=k along the links of `w` (j is one
/// step from i when w_ij ≠ 0), with their distance, sorted by unit index.
fn within_steps(w: &Weights, i: usize, k: usize) -> Vec<(usize, usize)> {
    let m = w.matrix();
    let mut dist = std::collections::HashMap::new();
    dist.insert(i, 0usize);
    let mut frontier = vec![i];
    for step in 1..=k {
        let mut next = Vec::new();
        for &u in &frontier {
            if let Some(row) = m.outer_view(u) {
                for (j, &v) in row.iter() {
                    if v != 0.0 && !dist.contains_key(&j) {
                        dist.insert(j, step);
                        next.push(j);
                    }
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    let mut out: Vec<(usize, usize)> = dist.into_iter().filter(|(j, _)| *j != i).collect();
    out.sort_unstable();
    out
}

/// Binary weights linking each unit to the units whose shortest path along the links of `w`
/// has exactly `k` steps (`cumulative`: 1 to `k` steps), then standardised with `common`
/// (row by default). A unit with no such neighbour is an island (an error naming it unless
/// `common.keep_islands`). The links of `w` are followed in their direction (w_ij ≠ 0: j is
/// a neighbour of i); for a symmetric pattern this is spdep's `nblag`.
pub fn higher_order(w: &Weights, k: usize, cumulative: bool, common: &Common) -> Result<Weights> {
    let what = if cumulative { "cumulative" } else { "order" };
    if k == 0 {
        return Err(Error::invalid(format!(
            "{what}: k must be at least 1 (1 = the neighbours of W), got 0"
        )));
    }
    let n = w.n();
    let rows: Vec<(Vec<usize>, Vec<f64>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            if crate::interrupt::requested() {
                return (Vec::new(), Vec::new());
            }
            let idx: Vec<usize> = within_steps(w, i, k)
                .into_iter()
                .filter(|&(_, s)| cumulative || s == k)
                .map(|(j, _)| j)
                .collect();
            let ones = vec![1.0; idx.len()];
            (idx, ones)
        })
        .collect();
    crate::interrupt::check()?;
    check_links(
        &format!("{what}({k})"),
        rows.iter().map(|r| r.0.len()).sum(),
        "use a smaller k",
    )?;
    let raw = csr_from_rows(n, rows)?;
    Weights::from_raw_with(w.ids().to_vec(), raw, common).map_err(|e| Error::data(format!("{what}({k}): {e}")))
}
