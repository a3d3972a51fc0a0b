//! Inverse-distance weights c_ij = 1/d_ij^power, all pairs or within a cutoff.

use super::builder::{check_cutoff, check_links, csr_from_rows, Common, MAX_DENSE_N};
use super::points::{unit_points, Metric, PointIndex};
use super::Weights;
use crate::data::Frame;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Options of [`weights_distance`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistanceOptions {
    /// Metric (default euclidean).
    pub metric: Metric,
    /// c_ij = 1/d_ij^power (default 1).
    pub power: f64,
    /// Only pairs with d_ij ≤ cutoff get a weight (default: all pairs; needs N ≤ 20,000).
    pub cutoff: Option<f64>,
    /// Standardisation and islands.
    pub common: Common,
}

impl Default for DistanceOptions {
    fn default() -> Self {
        DistanceOptions {
            metric: Metric::Euclidean,
            power: 1.0,
            cutoff: None,
            common: Common::default(),
        }
    }
}

/// Inverse-distance weights c_ij = 1/d_ij^power (i ≠ j), optionally only for d_ij ≤ cutoff
/// (found with an R-tree), then standardised. Coincident units (d_ij = 0) are an error naming
/// them. `frame` may be a panel if each unit's coordinates do not change.
pub fn weights_distance(frame: &Frame, id: &str, x: &str, y: &str, opts: &DistanceOptions) -> Result<Weights> {
    let what = "weights_distance";
    if !(opts.power.is_finite() && opts.power > 0.0) {
        return Err(Error::invalid(format!(
            "{what}: power must be a positive number, got {}",
            opts.power
        )));
    }
    let (ids, pts) = unit_points(frame, id, x, y, opts.metric, what)?;
    let n = ids.len();
    let kernel = |d: f64| {
        if opts.power == 1.0 {
            1.0 / d
        } else {
            d.powf(-opts.power)
        }
    };
    let coincident = |rows: &[(Vec<usize>, Vec<f64>)]| -> Result<()> {
        for (i, (idx, val)) in rows.iter().enumerate() {
            if let Some(k) = val.iter().position(|v| *v == 0.0) {
                return Err(Error::data(format!(
                    "{what}: units {} and {} are at distance 0, so 1/d is infinite; merge them or use weights_knn",
                    ids[i], ids[idx[k]]
                )));
            }
        }
        Ok(())
    };
    let rows: Vec<(Vec<usize>, Vec<f64>)> = match opts.cutoff {
        Some(c) => {
            check_cutoff(c, what)?;
            PointIndex::new(&pts, opts.metric).within_all(c, what)?
        }
        None => {
            if n > MAX_DENSE_N {
                return Err(Error::invalid(format!(
                    "{what}: {n} units without a cutoff would need {n}² weights; pass cutoff or use weights_knn"
                )));
            }
            check_links(
                &format!("{what}: {n} units without a cutoff"),
                n.saturating_mul(n.saturating_sub(1)),
                "pass cutoff or use weights_knn",
            )?;
            (0..n)
                .into_par_iter()
                .map(|i| {
                    let idx: Vec<usize> = (0..n).filter(|&j| j != i).collect();
                    let d = idx.iter().map(|&j| opts.metric.distance(pts[i], pts[j])).collect();
                    (idx, d)
                })
                .collect()
        }
    };
    coincident(&rows)?;
    let rows = rows
        .into_iter()
        .map(|(idx, d)| (idx, d.into_iter().map(kernel).collect()))
        .collect();
    let raw = csr_from_rows(n, rows)?;
    Weights::from_raw_with(ids, raw, &opts.common)
}
