//! Points and metrics: coordinates of units from a frame, the metrics (euclidean, haversine,
//! WGS84 ellipsoid) and the spatial index (an R-tree, `rstar`) shared by the distance builders.
//!
//! Plane coordinates are indexed as 2-D points. Longitude/latitude (haversine and ellipsoid
//! metrics) are indexed as 3-D unit vectors: the chord |p − q| = 2 sin(d/2R) is increasing in the
//! great-circle distance d, so nearest neighbours and bands by chord are exact for the haversine
//! metric. The ellipsoidal distance lies within [`ELLIPSOID_SPHERE_RATIO`] of the spherical
//! one, so the index finds candidates on the sphere with that margin and ranks them by the
//! ellipsoidal distance (exact as well). Distances reported are those of the metric.

use super::builder::{check_links, max_links};
use crate::data::Frame;
use crate::error::{Error, Result};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::RTree;
use std::collections::HashMap;

/// Mean Earth radius in km used by the haversine metric: the IUGG mean radius R₁ = (2a + b)/3
/// of WGS84, as sf with s2 (docs/methods.md §16.1).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Bound on |d_ellipsoid / d_sphere − 1| between the WGS84 geodesic and the great-circle
/// distance on the sphere of [`EARTH_RADIUS_KM`] (the true bound is about 0.6%: the meridian
/// radius of curvature runs from b²/a = 6335.4 km to a²/b = 6399.6 km); used as a search margin.
pub const ELLIPSOID_SPHERE_RATIO: f64 = 0.02;

/// Distance between two coordinate pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// √((x_i − x_j)² + (y_i − y_j)²), in the units of the coordinates.
    #[default]
    Euclidean,
    /// Great-circle distance in km on a sphere of radius [`EARTH_RADIUS_KM`]; x = longitude,
    /// y = latitude, in degrees.
    Haversine,
    /// Geodesic distance in km on the WGS84 ellipsoid ([`super::geodesic::ellipsoid_km`]);
    /// x = longitude, y = latitude, in degrees.
    Ellipsoid,
}

impl Metric {
    /// The option value naming this metric.
    pub fn name(self) -> &'static str {
        match self {
            Self::Euclidean => "euclidean",
            Self::Haversine => "haversine",
            Self::Ellipsoid => "ellipsoid",
        }
    }
    /// True for the metrics on (longitude, latitude) in degrees.
    pub fn is_geographic(self) -> bool {
        matches!(self, Self::Haversine | Self::Ellipsoid)
    }
    /// The distance between points `a` and `b` (x, y).
    pub fn distance(self, a: [f64; 2], b: [f64; 2]) -> f64 {
        match self {
            Self::Euclidean => (a[0] - b[0]).hypot(a[1] - b[1]),
            Self::Haversine => haversine_km(a, b),
            Self::Ellipsoid => super::geodesic::ellipsoid_km(a, b),
        }
    }
}

/// Great-circle distance in km between (lon, lat) points in degrees (haversine formula):
/// d = 2R·asin(√(sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2))).
pub fn haversine_km(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (l1, p1) = (a[0].to_radians(), a[1].to_radians());
    let (l2, p2) = (b[0].to_radians(), b[1].to_radians());
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((l2 - l1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

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
            Metric::Haversine | Metric::Ellipsoid => Tree::Sphere(RTree::bulk_load(
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
            Tree::Sphere(t) if self.metric == Metric::Haversine => pick(
                t.nearest_neighbor_iter_with_distance_2(&unit_vector(self.pts[i]))
                    .map(|(p, d)| (d, p.data)),
                i,
                k,
            ),
            Tree::Sphere(t) => {
                // Candidates in spherical order, ranked by the ellipsoidal distance; the search
                // stops once the spherical distance, shrunk by the margin, passes the k-th
                // ellipsoidal distance found (no farther unit can be closer on the ellipsoid).
                if k == 0 {
                    return Vec::new();
                }
                let mut v: Vec<(f64, usize)> = Vec::new();
                for (p, chord2) in t.nearest_neighbor_iter_with_distance_2(&unit_vector(self.pts[i])) {
                    let j = p.data;
                    if j == i {
                        continue;
                    }
                    let sphere = 2.0 * EARTH_RADIUS_KM * (chord2.sqrt() / 2.0).min(1.0).asin();
                    if v.len() >= k {
                        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                        if sphere * (1.0 - ELLIPSOID_SPHERE_RATIO) > v[k - 1].0 {
                            break;
                        }
                    }
                    v.push((self.metric.distance(self.pts[i], self.pts[j]), j));
                }
                v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                v.truncate(k);
                v.into_iter().map(|p| p.1).collect()
            }
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
                let margin = match self.metric {
                    Metric::Ellipsoid => 1.0 / (1.0 - ELLIPSOID_SPHERE_RATIO),
                    _ => 1.0,
                };
                let half = cutoff * margin / (2.0 * EARTH_RADIUS_KM);
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

// ------------------------------------------------------------------------------------------
// Units and coordinates from a frame
// ------------------------------------------------------------------------------------------

/// The error for a frame without rows used to build a W (names the file it was read from).
pub(crate) fn no_rows(frame: &Frame, what: &str) -> Error {
    let from = frame
        .origin()
        .map_or_else(|| "the data".to_string(), |o| o.path.clone());
    Error::data(format!("{what}: {from} has no data rows; a W needs at least one unit"))
}

/// One row per unit of `frame`: the unit ids (in order of first appearance) and the first row of
/// each. A unit may repeat (a panel) only if the columns `cols` hold the same value in all its
/// rows (numbers compared as numbers, so `1.5` and `1.50` agree; text as keys); otherwise the
/// error names the unit and the column. Missing values are left to the caller.
pub fn unit_rows(frame: &Frame, id: &str, cols: &[&str], what: &str) -> Result<(Vec<String>, Vec<usize>)> {
    use crate::data::Column;
    if frame.nrows() == 0 {
        return Err(no_rows(frame, what));
    }
    let keys = frame.keys(id)?;
    let colkeys: Vec<Vec<Option<String>>> = cols.iter().map(|c| frame.key_cells(c)).collect::<Result<_>>()?;
    let nums: Vec<Option<&[f64]>> = cols
        .iter()
        .map(|c| match frame.column(c) {
            Ok(Column::Num(v)) => Some(v.as_slice()),
            _ => None,
        })
        .collect();
    let same = |c: usize, a: usize, b: usize| match nums[c] {
        Some(v) => v[a] == v[b] || (v[a].is_nan() && v[b].is_nan()),
        None => colkeys[c][a] == colkeys[c][b],
    };
    let shown = |c: usize, r: usize| colkeys[c][r].clone().unwrap_or_else(|| "missing".into());
    let mut pos: HashMap<&str, usize> = HashMap::new();
    let mut ids = Vec::new();
    let mut first = Vec::new();
    for (r, k) in keys.iter().enumerate() {
        match pos.get(k.as_str()) {
            None => {
                pos.insert(k, ids.len());
                ids.push(k.clone());
                first.push(r);
            }
            Some(&u) => {
                let r0 = first[u];
                for (c, name) in cols.iter().enumerate() {
                    if !same(c, r, r0) {
                        return Err(Error::data(format!(
                            "{what}: unit {k} has more than one value of '{name}' ({} and {}); \
                             one value per unit is needed (pass one row per unit)",
                            shown(c, r0),
                            shown(c, r)
                        )));
                    }
                }
            }
        }
    }
    Ok((ids, first))
}

/// Unit ids and (x, y) coordinates, one per unit; missing coordinates are an error naming the
/// unit; for the geographic metrics latitudes must lie in [−90, 90].
pub fn unit_points(
    frame: &Frame,
    id: &str,
    x: &str,
    y: &str,
    metric: Metric,
    what: &str,
) -> Result<(Vec<String>, Vec<[f64; 2]>)> {
    let (ids, rows) = unit_rows(frame, id, &[x, y], what)?;
    let (xs, ys) = (frame.numeric(x)?, frame.numeric(y)?);
    let mut pts = Vec::with_capacity(ids.len());
    for (u, &r) in rows.iter().enumerate() {
        let p = [xs[r], ys[r]];
        if !p[0].is_finite() || !p[1].is_finite() {
            return Err(Error::data(format!(
                "{what}: unit {} has a missing coordinate ({x} = {}, {y} = {})",
                ids[u], p[0], p[1]
            )));
        }
        if metric.is_geographic() && (p[1].abs() > 90.0 || p[0].abs() > 360.0) {
            return Err(Error::data(format!(
                "{what}: unit {} has ({x}, {y}) = ({}, {}), not a (longitude, latitude) in degrees; \
                 check the order of x (longitude) and y (latitude) or use metric \"euclidean\"",
                ids[u], p[0], p[1]
            )));
        }
        pts.push(p);
    }
    if ids.len() < 2 {
        return Err(Error::data(format!(
            "{what}: need at least two units, got {}",
            ids.len()
        )));
    }
    Ok((ids, pts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_quarter_meridian() {
        let d = haversine_km([0.0, 0.0], [0.0, 90.0]);
        assert!((d - EARTH_RADIUS_KM * std::f64::consts::FRAC_PI_2).abs() < 1e-9);
    }

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
