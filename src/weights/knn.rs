//! k-nearest-neighbour weights and the spatial index (an R-tree, `rstar`) shared by the
//! distance builders.
//!
//! Plane coordinates are indexed as 2-D points. Longitude/latitude (haversine metric) are
//! indexed as 3-D unit vectors: the chord |p − q| = 2 sin(d/2R) is increasing in the
//! great-circle distance d, so nearest neighbours and bands by chord are exact; distances
//! reported are haversine distances.

use super::build::{check_links, csr_from_rows, max_links, unit_points, Common, Metric, EARTH_RADIUS_KM};
use super::Weights;
use crate::data::Frame;
use crate::error::{Error, Result};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;

type Plane = GeomWithData<[f64; 2], usize>;
type Sphere = GeomWithData<[f64; 3], usize>;

enum Tree {
    Plane(RTree<Plane>),
    Sphere(RTree<Sphere>),
}

/// An R-tree over points for k-nearest-neighbour and distance-band queries.
pub struct PointIndex<'a> {
    pts: &'a [[f64; 2]],
    metric: Metric,
    tree: Tree,
}

fn unit_vector(p: [f64; 2]) -> [f64; 3] {
    let (lon, lat) = (p[0].to_radians(), p[1].to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

impl<'a> PointIndex<'a> {
    /// Bulk-loads the tree (O(N log N)).
    pub fn new(pts: &'a [[f64; 2]], metric: Metric) -> PointIndex<'a> {
        let tree = match metric {
            Metric::Euclidean => Tree::Plane(RTree::bulk_load(
                pts.iter().enumerate().map(|(i, p)| Plane::new(*p, i)).collect(),
            )),
            Metric::Haversine => Tree::Sphere(RTree::bulk_load(
                pts.iter()
                    .enumerate()
                    .map(|(i, p)| Sphere::new(unit_vector(*p), i))
                    .collect(),
            )),
        };
        PointIndex { pts, metric, tree }
    }

    /// The `k` nearest other points of point `i`, nearest first; points tied at the same
    /// distance come in index order, so a tie at the k-th distance keeps the lowest indices
    /// (whatever the tree's internal order).
    pub fn nearest(&self, i: usize, k: usize) -> Vec<usize> {
        /// The k nearest of (squared distance, index) pairs in increasing distance, extended by
        /// every pair tied with the k-th, then ordered by (distance, index) and cut at k.
        fn pick(it: impl Iterator<Item = (f64, usize)>, i: usize, k: usize) -> Vec<usize> {
            if k == 0 {
                return Vec::new();
            }
            let mut v: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
            for (d, j) in it.filter(|p| p.1 != i) {
                if v.len() >= k && d > v[k - 1].0 {
                    break;
                }
                v.push((d, j));
            }
            v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            v.truncate(k);
            v.into_iter().map(|p| p.1).collect()
        }
        match &self.tree {
            Tree::Plane(t) => pick(
                t.nearest_neighbor_iter_with_distance_2(&self.pts[i])
                    .map(|(p, d)| (d, p.data)),
                i,
                k,
            ),
            Tree::Sphere(t) => pick(
                t.nearest_neighbor_iter_with_distance_2(&unit_vector(self.pts[i]))
                    .map(|(p, d)| (d, p.data)),
                i,
                k,
            ),
        }
    }

    /// The other points within distance `cutoff` of point `i` (sorted by index) and their
    /// distances.
    pub fn within(&self, i: usize, cutoff: f64) -> (Vec<usize>, Vec<f64>) {
        let mut hits: Vec<usize> = match &self.tree {
            Tree::Plane(t) => t
                .locate_within_distance(self.pts[i], cutoff * cutoff * (1.0 + 1e-9))
                .map(|p| p.data)
                .collect(),
            Tree::Sphere(t) => {
                let half = cutoff / (2.0 * EARTH_RADIUS_KM);
                let chord = if half >= std::f64::consts::FRAC_PI_2 {
                    4.0
                } else {
                    2.0 * half.sin() * (1.0 + 1e-9)
                };
                t.locate_within_distance(unit_vector(self.pts[i]), chord * chord)
                    .map(|p| p.data)
                    .collect()
            }
        };
        hits.sort_unstable();
        let mut idx = Vec::with_capacity(hits.len());
        let mut dist = Vec::with_capacity(hits.len());
        for j in hits.into_iter().filter(|&j| j != i) {
            let d = self.metric.distance(self.pts[i], self.pts[j]);
            if d <= cutoff {
                idx.push(j);
                dist.push(d);
            }
        }
        (idx, dist)
    }

    /// [`Self::within`] for every point, in parallel. Errors: Ctrl-C ([`crate::interrupt`]);
    /// more links than the memory budget holds (a cutoff too large for the data; `what` names
    /// the caller), found while counting, before the matrix is assembled.
    pub fn within_all(&self, cutoff: f64, what: &str) -> Result<Vec<(Vec<usize>, Vec<f64>)>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let limit = max_links();
        let links = AtomicUsize::new(0);
        let rows = (0..self.pts.len())
            .into_par_iter()
            .map(|i| {
                if crate::interrupt::requested() || links.load(Ordering::Relaxed) > limit {
                    return (Vec::new(), Vec::new());
                }
                let row = self.within(i, cutoff);
                links.fetch_add(row.0.len(), Ordering::Relaxed);
                row
            })
            .collect();
        crate::interrupt::check()?;
        check_links(
            &format!("{what}: cutoff {cutoff} (counting stopped at the limit)"),
            links.into_inner(),
            "use a smaller cutoff or weights_knn",
        )?;
        Ok(rows)
    }
}

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
/// similarity (METHODS §4.2). Ties at the k-th distance are broken by the row order of the units
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knn_on_a_line_and_sphere_band() {
        let pts = [[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]];
        let idx = PointIndex::new(&pts, Metric::Euclidean);
        assert_eq!(idx.nearest(2, 2), vec![1, 0]);
        assert_eq!(idx.within(1, 2.0).0, vec![0, 2]);
        // One degree of latitude ≈ 111.19 km.
        let geo = [[10.0, 50.0], [10.0, 51.0], [10.0, 53.0]];
        let g = PointIndex::new(&geo, Metric::Haversine);
        let (j, d) = g.within(0, 112.0);
        assert_eq!(j, vec![1]);
        assert!((d[0] - EARTH_RADIUS_KM * 1f64.to_radians()).abs() < 1e-9);
        assert_eq!(g.nearest(2, 1), vec![1]);
    }
}
