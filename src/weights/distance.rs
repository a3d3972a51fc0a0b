//! Distance-decay weights c_ij = f(d_ij): inverse, inverse squared, exponential and
//! double-power decay, all pairs or within an (inclusive) cutoff (docs/methods.md §16.2).

use super::builder::{check_cutoff, check_links, csr_from_rows, Common, MAX_DENSE_N};
use super::points::{unit_points, Metric, PointIndex};
use super::{Provenance, Weights};
use crate::data::Frame;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// The distance-decay family of [`weights_distance`] (docs/methods.md §16.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decay {
    /// c_ij = d_ij^{−α}, α = `alpha` (or `power`), default 1 (地理距离矩阵).
    #[default]
    Inverse,
    /// c_ij = d_ij^{−2} (地理距离平方倒数).
    InverseSquared,
    /// c_ij = exp(−α d_ij), α required (in 1 / the distance unit: it depends on the scale).
    Exponential,
    /// c_ij = (1 − (d_ij/d̄)^α)^α for d_ij < d̄, else 0; d̄ = `cutoff` (required), α default 2
    /// (SDPDmod `DDistMat`, spdep `nb2listwdist(type = "dpd")`).
    DoublePower,
}

impl Decay {
    /// The option value naming this family.
    pub fn name(self) -> &'static str {
        match self {
            Self::Inverse => "inverse",
            Self::InverseSquared => "inverse_squared",
            Self::Exponential => "exponential",
            Self::DoublePower => "double_power",
        }
    }
}

/// Options of [`weights_distance`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistanceOptions {
    /// Metric (default euclidean).
    pub metric: Metric,
    /// The exponent of inverse-distance decay, c_ij = 1/d_ij^power (default 1); `alpha`, when
    /// set, takes its place.
    pub power: f64,
    /// The decay family (default inverse).
    pub decay: Decay,
    /// α of the decay family (see [`Decay`]); `None`: the family's default.
    pub alpha: Option<f64>,
    /// Only pairs with d_ij ≤ cutoff get a weight (inclusive; default: all pairs, N ≤ 20,000).
    /// The bandwidth d̄ of double-power decay.
    pub cutoff: Option<f64>,
    /// Standardisation and islands.
    pub common: Common,
}

impl Default for DistanceOptions {
    fn default() -> Self {
        DistanceOptions {
            metric: Metric::Euclidean,
            power: 1.0,
            decay: Decay::Inverse,
            alpha: None,
            cutoff: None,
            common: Common::default(),
        }
    }
}

/// The kernel c = f(d) of `opts` after checking its parameters (docs/methods.md §16.2).
fn kernel(opts: &DistanceOptions, what: &str) -> Result<impl Fn(f64) -> f64 + Sync> {
    let positive = |name: &str, v: f64| -> Result<f64> {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(Error::invalid(format!(
                "{what}: {name} must be a positive number, got {v}"
            )))
        }
    };
    let (decay, alpha, band) = match opts.decay {
        Decay::Inverse => (
            opts.decay,
            positive("alpha (power)", opts.alpha.unwrap_or(opts.power))?,
            0.0,
        ),
        Decay::InverseSquared => {
            if opts.alpha.is_some_and(|a| a != 2.0) {
                return Err(Error::invalid(format!(
                    "{what}: decay \"inverse_squared\" is d^-2; for another exponent use decay \"inverse\" with alpha"
                )));
            }
            (opts.decay, 2.0, 0.0)
        }
        Decay::Exponential => {
            let a = opts.alpha.ok_or_else(|| {
                Error::invalid(format!(
                    "{what}: decay \"exponential\" needs alpha (exp(-alpha·d), alpha in 1/km for lon/lat metrics: \
                     it depends on the distance unit, so there is no default; SDPDmod's ExpDistMat uses 0.01)"
                ))
            })?;
            (opts.decay, positive("alpha", a)?, 0.0)
        }
        Decay::DoublePower => {
            let c = opts.cutoff.ok_or_else(|| {
                Error::invalid(format!(
                    "{what}: decay \"double_power\" needs cutoff, the bandwidth d̄ of (1 − (d/d̄)^alpha)^alpha"
                ))
            })?;
            (opts.decay, positive("alpha", opts.alpha.unwrap_or(2.0))?, c)
        }
    };
    Ok(move |d: f64| match decay {
        Decay::Inverse if alpha == 1.0 => 1.0 / d,
        Decay::Inverse => d.powf(-alpha),
        Decay::InverseSquared => 1.0 / (d * d),
        Decay::Exponential => (-alpha * d).exp(),
        Decay::DoublePower => {
            if d < band {
                (1.0 - (d / band).powf(alpha)).powf(alpha)
            } else {
                0.0
            }
        }
    })
}

/// Distance-decay weights c_ij = f(d_ij) (i ≠ j) with f of `opts.decay` (docs/methods.md §16.2):
/// d^{−α}, d^{−2}, exp(−αd) or (1 − (d/d̄)^α)^α, optionally only for d_ij ≤ cutoff (inclusive,
/// as spdep's `dnearneigh`; pairs found with an R-tree), then standardised (row by default, the
/// last step). Weights that are exactly 0 (beyond d̄, or exp underflow) are not links.
/// Coincident units (d_ij = 0) are an error naming them, as is a pair whose ellipsoidal
/// distance cannot be computed (nearly antipodal). `frame` may be a panel if each unit's
/// coordinates do not change. The result records its family and α ([`Provenance`]).
pub fn weights_distance(frame: &Frame, id: &str, x: &str, y: &str, opts: &DistanceOptions) -> Result<Weights> {
    let what = "weights_distance";
    let kernel = kernel(opts, what)?;
    let (ids, pts) = unit_points(frame, id, x, y, opts.metric, what)?;
    let n = ids.len();
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
    for (i, (idx, val)) in rows.iter().enumerate() {
        if let Some(k) = val.iter().position(|v| *v == 0.0) {
            return Err(Error::data(format!(
                "{what}: units {} and {} are at distance 0 (coincident points); merge them or use weights_knn",
                ids[i], ids[idx[k]]
            )));
        }
        if let Some(k) = val.iter().position(|v| v.is_nan()) {
            return Err(Error::data(format!(
                "{what}: the ellipsoidal distance between units {} and {} did not converge (nearly antipodal \
                 points); use metric \"haversine\"",
                ids[i], ids[idx[k]]
            )));
        }
    }
    let rows = rows
        .into_iter()
        .map(|(idx, d)| {
            let (idx, c): (Vec<usize>, Vec<f64>) = idx
                .into_iter()
                .zip(d)
                .map(|(j, d)| (j, kernel(d)))
                .filter(|(_, c)| *c != 0.0)
                .unzip();
            (idx, c)
        })
        .collect();
    let raw = csr_from_rows(n, rows)?;
    let alpha = match opts.decay {
        Decay::Inverse => Some(opts.alpha.unwrap_or(opts.power)),
        Decay::InverseSquared => Some(2.0),
        Decay::Exponential => opts.alpha,
        Decay::DoublePower => Some(opts.alpha.unwrap_or(2.0)),
    };
    let prov = Provenance {
        form: Some(format!("distance {} ({})", opts.decay.name(), opts.metric.name())),
        alpha,
        edits: Vec::new(),
    };
    Ok(Weights::from_raw_with(ids, raw, &opts.common)?.with_provenance(prov))
}
