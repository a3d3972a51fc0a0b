//! k-nearest-neighbour weights (found with the R-tree of [`super::points`]).

use super::builder::{check_links, csr_from_rows, Common};
use super::points::{unit_points, Metric};
use super::Weights;
use crate::data::Frame;
use crate::error::{Error, Result};
use rayon::prelude::*;

pub use super::points::PointIndex;

/// Options of [`weights_knn`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnnOptions {
    /// Number of neighbours (default 6).
    pub k: usize,
    /// Metric (default euclidean).
    pub metric: Metric,
    /// Make the pattern symmetric: i and j are neighbours when either is among the other's k
    /// nearest (default false; the k-NN relation itself is not symmetric).
    pub symmetric: bool,
    /// Standardisation (islands cannot occur).
    pub common: Common,
}

impl Default for KnnOptions {
    fn default() -> Self {
        KnnOptions {
            k: 6,
            metric: Metric::Euclidean,
            symmetric: false,
            common: Common::default(),
        }
    }
}

/// Binary k-nearest-neighbour weights: c_ij = 1 when j is among the k nearest units of i
/// (found with an R-tree, O(N log N)), then standardised. With `symmetric`, c_ij = 1 when either
/// unit is among the other's k nearest; the row-standardised matrix then keeps the symmetric
/// similarity (docs/methods.md §4.2). Ties at the k-th distance are broken by the row order of the units
/// (the unit that comes first in the data is kept).
pub fn weights_knn(frame: &Frame, id: &str, x: &str, y: &str, opts: &KnnOptions) -> Result<Weights> {
    let what = "weights_knn";
    let (ids, pts) = unit_points(frame, id, x, y, opts.metric, what)?;
    knn_from_points(ids, &pts, opts)
}

/// k-nearest-neighbour weights from points (see [`weights_knn`]).
pub fn knn_from_points(ids: Vec<String>, pts: &[[f64; 2]], opts: &KnnOptions) -> Result<Weights> {
    let n = ids.len();
    if opts.k == 0 || opts.k >= n {
        return Err(Error::invalid(format!(
            "weights_knn: k must be between 1 and the number of units minus one ({}), got {}",
            n.saturating_sub(1),
            opts.k
        )));
    }
    let links = n
        .saturating_mul(opts.k)
        .saturating_mul(if opts.symmetric { 2 } else { 1 });
    check_links(
        &format!("weights_knn: k = {} neighbours × N = {n} units", opts.k),
        links,
        "use a smaller k",
    )?;
    let index = PointIndex::new(pts, opts.metric);
    let mut nbrs: Vec<Vec<usize>> = (0..n)
        .into_par_iter()
        .map(|i| {
            if crate::interrupt::requested() {
                return Vec::new();
            }
            let mut v = index.nearest(i, opts.k);
            v.sort_unstable();
            v
        })
        .collect();
    crate::interrupt::check()?;
    if opts.symmetric {
        let mut add: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, row) in nbrs.iter().enumerate() {
            for &j in row {
                add[j].push(i);
            }
        }
        for (row, extra) in nbrs.iter_mut().zip(add) {
            row.extend(extra);
            row.sort_unstable();
            row.dedup();
        }
    }
    let rows = nbrs
        .into_iter()
        .map(|idx| {
            let len = idx.len();
            (idx, vec![1.0; len])
        })
        .collect();
    let raw = csr_from_rows(n, rows)?;
    Weights::from_raw_with(ids, raw, &opts.common)
}
