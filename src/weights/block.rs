//! Block weights: units in the same group are neighbours.

use super::builder::{check_links, csr_from_rows, Common};
use super::points::unit_rows;
use super::Weights;
use crate::data::Frame;
use crate::error::{Error, Result};
use std::collections::HashMap;

/// Block weights: c_ij = 1 when units i ≠ j have the same value of `group`, then standardised.
/// In a panel a unit's group must not change (error naming the unit). A unit alone in its group
/// is an island.
pub fn weights_block(frame: &Frame, id: &str, group: &str, common: &Common) -> Result<Weights> {
    let what = "weights_block";
    let (ids, rows) = unit_rows(frame, id, &[group], what)?;
    let cells = frame.key_cells(group)?;
    if let Some(u) = rows.iter().position(|&r| cells[r].is_none()) {
        return Err(Error::data(format!("{what}: unit {} has a missing '{group}'", ids[u])));
    }
    let gk: Vec<String> = cells.into_iter().map(Option::unwrap_or_default).collect();
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (u, &r) in rows.iter().enumerate() {
        members.entry(gk[r].as_str()).or_default().push(u);
    }
    let n = ids.len();
    let links = members
        .values()
        .map(|m| m.len().saturating_mul(m.len().saturating_sub(1)))
        .fold(0usize, usize::saturating_add);
    check_links(&format!("{what}: groups of '{group}'"), links, "use smaller groups")?;
    let csr_rows: Vec<(Vec<usize>, Vec<f64>)> = (0..n)
        .map(|u| {
            let m = &members[gk[rows[u]].as_str()];
            let idx: Vec<usize> = m.iter().copied().filter(|&v| v != u).collect();
            let len = idx.len();
            (idx, vec![1.0; len])
        })
        .collect();
    let raw = csr_from_rows(n, csr_rows)?;
    Weights::from_raw_with(ids, raw, common)
}
