//! Binary distance-band weights.

use super::builder::{check_cutoff, csr_from_rows, Common};
use super::points::{unit_points, Metric, PointIndex};
use super::Weights;
use crate::data::Frame;
use crate::error::Result;

/// Options of [`weights_band`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandOptions {
    /// Neighbours are the units with d_ij ≤ cutoff (required).
    pub cutoff: f64,
    /// Metric (default euclidean).
    pub metric: Metric,
    /// Standardisation and islands.
    pub common: Common,
}

/// Binary distance-band weights: c_ij = 1 when d_ij ≤ cutoff (i ≠ j), found with an R-tree,
/// then standardised. Units with no other unit within the cutoff are islands.
pub fn weights_band(frame: &Frame, id: &str, x: &str, y: &str, opts: &BandOptions) -> Result<Weights> {
    let what = "weights_band";
    check_cutoff(opts.cutoff, what)?;
    let (ids, pts) = unit_points(frame, id, x, y, opts.metric, what)?;
    let rows = PointIndex::new(&pts, opts.metric)
        .within_all(opts.cutoff, what)?
        .into_iter()
        .map(|(idx, d)| (idx, vec![1.0; d.len()]))
        .collect();
    let raw = csr_from_rows(ids.len(), rows)?;
    Weights::from_raw_with(ids, raw, &opts.common)
}
