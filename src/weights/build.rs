//! Builders of spatial weights from data: reciprocal economic distance (METHODS §2), inverse
//! distance, distance band and blocks; shared options; and the detection of W = D⁻¹C with C
//! symmetric (METHODS §4.2) for matrices that arrive without their raw C.
//!
//! k-nearest neighbours live in [`super::knn`], polygon contiguity in [`super::contiguity`].

use super::knn::PointIndex;
use super::{Standardization, Weights};
use crate::data::{Frame, Panel};
use crate::error::{Error, Result};
use rayon::prelude::*;
use sprs::CsMat;
use std::collections::HashMap;

/// Mean Earth radius in km used by the haversine metric (libpysal's `RADIUS_EARTH_KM`).
pub const EARTH_RADIUS_KM: f64 = 6371.0;

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

/// Distance between two coordinate pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// √((x_i − x_j)² + (y_i − y_j)²), in the units of the coordinates.
    #[default]
    Euclidean,
    /// Great-circle distance in km on a sphere of radius [`EARTH_RADIUS_KM`]; x = longitude,
    /// y = latitude, in degrees.
    Haversine,
}

impl Metric {
    /// Parses `"euclidean"` or `"haversine"` (alias `"arc"`, `"great_circle"`).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "euclidean" => Ok(Self::Euclidean),
            "haversine" | "arc" | "great_circle" => Ok(Self::Haversine),
            _ => Err(Error::invalid(format!(
                "unknown metric '{s}'; valid: \"euclidean\", \"haversine\" (lon/lat in degrees, km)"
            ))),
        }
    }
    /// The option value naming this metric.
    pub fn name(self) -> &'static str {
        match self {
            Self::Euclidean => "euclidean",
            Self::Haversine => "haversine",
        }
    }
    /// The distance between points `a` and `b` (x, y).
    pub fn distance(self, a: [f64; 2], b: [f64; 2]) -> f64 {
        match self {
            Self::Euclidean => (a[0] - b[0]).hypot(a[1] - b[1]),
            Self::Haversine => haversine_km(a, b),
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

// ------------------------------------------------------------------------------------------
// Economic distance (METHODS §2)
// ------------------------------------------------------------------------------------------

/// The kernel of the economic-distance weights c_ij = f(|Ȳ_i − Ȳ_j|) (METHODS §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EconForm {
    /// c_ij = 1/|Ȳ_i − Ȳ_j| (the default).
    #[default]
    Inverse,
    /// c_ij = 1/(Ȳ_i − Ȳ_j)².
    InverseSquared,
    /// c_ij = exp(−|Ȳ_i − Ȳ_j|).
    Exp,
}

impl EconForm {
    /// Parses `"inverse"`, `"inverse_squared"`, `"exp"`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "inverse" => Ok(Self::Inverse),
            "inverse_squared" => Ok(Self::InverseSquared),
            "exp" => Ok(Self::Exp),
            _ => Err(Error::invalid(format!(
                "unknown form '{s}'; valid: \"inverse\", \"inverse_squared\", \"exp\""
            ))),
        }
    }
    /// c(|Δ|).
    fn kernel(self, gap: f64) -> f64 {
        match self {
            Self::Inverse => 1.0 / gap,
            Self::InverseSquared => 1.0 / (gap * gap),
            Self::Exp => (-gap).exp(),
        }
    }
}

/// Options of [`weights_economic`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EconomicOptions {
    /// The kernel (default inverse).
    pub form: EconForm,
    /// Replace |Ȳ_i − Ȳ_j| by max(|Ȳ_i − Ȳ_j|, min_gap); without it tied means are an error.
    pub min_gap: Option<f64>,
    /// Standardisation and islands.
    pub common: Common,
}

/// Reciprocal economic-distance weights on the period mean of `var` (METHODS §2):
/// Ȳ_i = (1/T) Σ_t y_it, c_ij = 1/|Ȳ_i − Ȳ_j| (or the chosen form), c_ii = 0, then
/// standardised (row by default: w_ij = c_ij / Σ_k c_ik). C is symmetric, so a row-standardised
/// W keeps the row sums for the symmetric-similarity eigenvalues (§4.2).
///
/// Tied means (Ȳ_i = Ȳ_j, i ≠ j) give an infinite weight: an error listing the pairs unless
/// `min_gap` is set. Missing values of `var` are an error naming the unit and period.
pub fn weights_economic(panel: &Panel, var: &str, opts: &EconomicOptions) -> Result<Weights> {
    if panel.n() == 0 {
        return Err(no_rows(panel.frame(), "weights_economic"));
    }
    let v = panel.var_complete(var)?;
    let (n, t) = (panel.n(), panel.t());
    let mut ybar = vec![0.0; n];
    for period in v.chunks(n) {
        for (m, x) in ybar.iter_mut().zip(period) {
            *m += x;
        }
    }
    for m in &mut ybar {
        *m /= t as f64;
    }
    economic_from_means(panel.ids().to_vec(), &ybar, var, opts)
}

/// Economic-distance weights from given unit means Ȳ (see [`weights_economic`]).
pub fn economic_from_means(ids: Vec<String>, ybar: &[f64], var: &str, opts: &EconomicOptions) -> Result<Weights> {
    let n = ids.len();
    if let Some(g) = opts.min_gap {
        if !(g.is_finite() && g > 0.0) {
            return Err(Error::invalid(format!(
                "weights_economic: min_gap must be a positive number, got {g}"
            )));
        }
    }
    if let Some(i) = ybar.iter().position(|x| !x.is_finite()) {
        return Err(Error::data(format!(
            "weights_economic: the mean of '{var}' is not finite for unit {}",
            ids[i]
        )));
    }
    if n < 2 {
        return Err(Error::data(format!(
            "weights_economic: need at least two units, got {n}; a unit has no neighbour without another unit"
        )));
    }
    if opts.min_gap.is_none() && opts.form != EconForm::Exp {
        let (count, ties) = tied_pairs(&ids, ybar, 10);
        if count > 0 {
            let more = if count > ties.len() { ", ..." } else { "" };
            return Err(Error::data(format!(
                "weights_economic: {count} pair(s) of units have the same period mean of '{var}', so 1/|Ȳi − Ȳj| is infinite: {}{more}; \
                 pass min_gap (|Ȳi − Ȳj| is then replaced by max(|Ȳi − Ȳj|, min_gap)) or check the data",
                ties.join(", ")
            )));
        }
    }
    let floor = opts.min_gap.unwrap_or(0.0);
    let raw = dense_matrix(n, |i, j| opts.form.kernel((ybar[i] - ybar[j]).abs().max(floor)))?;
    if opts.form == EconForm::Exp {
        if let Some(i) = (0..n).find(|&i| raw.outer_view(i).is_none_or(|r| r.nnz() == 0)) {
            let gap = (0..n)
                .filter(|&j| j != i)
                .map(|j| (ybar[i] - ybar[j]).abs())
                .fold(f64::INFINITY, f64::min);
            return Err(Error::data(format!(
                "weights_economic: form \"exp\": unit {} is {gap} away from its closest unit in the mean of '{var}', \
                 and exp(−{gap}) is 0 in double precision (below about exp(−745)), so the unit has no neighbour; \
                 rescale '{var}' (e.g. use logs, or divide by its standard deviation) or use form \"inverse\"",
                ids[i]
            )));
        }
    }
    Weights::from_raw_with(ids, raw, &opts.common)
}

/// The number of pairs of units with exactly equal values and the first `max` of them as
/// "(a, b)" (found by sorting, O(N log N); the count is not limited).
fn tied_pairs(ids: &[String], y: &[f64], max: usize) -> (usize, Vec<String>) {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&a, &b| y[a].total_cmp(&y[b]));
    let mut out = Vec::new();
    let mut count = 0;
    let mut s = 0;
    while s < order.len() {
        let mut e = s + 1;
        while e < order.len() && y[order[e]] == y[order[s]] {
            e += 1;
        }
        let k = e - s;
        count += k * (k - 1) / 2;
        'pairs: for a in s..e {
            for b in a + 1..e {
                if out.len() == max {
                    break 'pairs;
                }
                out.push(format!("({}, {})", ids[order[a]], ids[order[b]]));
            }
        }
        s = e;
    }
    (count, out)
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

// ------------------------------------------------------------------------------------------
// Units and coordinates from a frame
// ------------------------------------------------------------------------------------------

/// The error for a frame without rows used to build a W (names the file it was read from).
fn no_rows(frame: &Frame, what: &str) -> Error {
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
/// unit; for the haversine metric latitudes must lie in [−90, 90].
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
        if metric == Metric::Haversine && (p[1].abs() > 90.0 || p[0].abs() > 360.0) {
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

// ------------------------------------------------------------------------------------------
// Inverse distance and distance band
// ------------------------------------------------------------------------------------------

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

fn check_cutoff(cutoff: f64, what: &str) -> Result<()> {
    if cutoff.is_finite() && cutoff > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what}: cutoff must be a positive number, got {cutoff}"
        )))
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

// ------------------------------------------------------------------------------------------
// Blocks
// ------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------
// Symmetric similarity (METHODS §4.2)
// ------------------------------------------------------------------------------------------

/// Relative tolerance of [`similarity_scale`].
pub const SIMILARITY_RTOL: f64 = 1e-10;

/// Detects W = D⁻¹C with C symmetric and returns d (up to one positive factor per connected
/// component), or `None`.
///
/// W is diagonally similar to a symmetric matrix iff its pattern is symmetric, w_ij/w_ji > 0 on
/// every link, and d_i w_ij = d_j w_ji holds for all links. d is propagated along a breadth-first
/// spanning forest (d_root = 1, d_j = d_i w_ij / w_ji) and then verified on every link to
/// [`SIMILARITY_RTOL`] relative. Then S = D^{1/2} W D^{−1/2} is symmetric and has the eigenvalues
/// of W. For a row-standardised W, d is proportional to the row sums of C. O(nnz log N).
pub fn similarity_scale(w: &CsMat<f64>) -> Option<Vec<f64>> {
    let (w, wt) = transpose_aligned(w)?;
    let n = w.rows();
    let (ptr, idx, wd) = (w.indptr().raw_storage().to_vec(), w.indices(), w.data());
    let mut d = vec![f64::NAN; n];
    let mut queue = std::collections::VecDeque::new();
    for root in 0..n {
        if !d[root].is_nan() {
            continue;
        }
        d[root] = 1.0;
        queue.push_back(root);
        while let Some(i) = queue.pop_front() {
            for k in ptr[i]..ptr[i + 1] {
                let (j, wij, wji) = (idx[k], wd[k], wt[k]);
                if j == i || !d[j].is_nan() {
                    continue;
                }
                let ratio = wij / wji;
                if !ratio.is_finite() || ratio <= 0.0 {
                    return None;
                }
                d[j] = d[i] * ratio;
                if !d[j].is_finite() || d[j] <= 0.0 {
                    return None;
                }
                queue.push_back(j);
            }
        }
    }
    for i in 0..n {
        for k in ptr[i]..ptr[i + 1] {
            let j = idx[k];
            let (a, b) = (d[i] * wd[k], d[j] * wt[k]);
            if j != i && (a - b).abs() > SIMILARITY_RTOL * a.abs().max(b.abs()) {
                return None;
            }
        }
    }
    Some(d)
}

/// W as CSR and the values of Wᵀ aligned with W's stored entries (w_ji for each stored w_ij),
/// when the pattern of W is symmetric; `None` otherwise. O(nnz).
pub(crate) fn transpose_aligned(w: &CsMat<f64>) -> Option<(CsMat<f64>, Vec<f64>)> {
    if w.rows() != w.cols() {
        return None;
    }
    let w = if w.is_csr() { w.clone() } else { w.to_csr() };
    let t = w.transpose_view().to_csr();
    let same = w.indptr().raw_storage() == t.indptr().raw_storage() && w.indices() == t.indices();
    let td = t.data().to_vec();
    same.then_some((w, td))
}

/// True when W = Wᵀ to 1e−12 relative (O(nnz), unlike a look-up per entry).
pub fn is_symmetric_fast(w: &CsMat<f64>) -> bool {
    is_symmetric_tol(w, 1e-12)
}

/// True when `w` equals its transpose to relative tolerance `tol`; O(nnz).
pub fn is_symmetric_tol(w: &CsMat<f64>, tol: f64) -> bool {
    transpose_aligned(w).is_some_and(|(w, t)| {
        w.data()
            .iter()
            .zip(&t)
            .all(|(v, u)| (u - v).abs() <= tol * v.abs().max(u.abs()))
    })
}

/// `w` with the symmetric-similarity information attached when W = D⁻¹C with C symmetric is
/// detected by [`similarity_scale`] and the rows of W sum to one (within 1e−12).
///
/// The matrix is left bit-identical; only the row sums d are attached (so its eigenvalues come
/// from the symmetric similar matrix). Other matrices are returned unchanged.
pub fn with_similarity(w: Weights) -> Result<Weights> {
    if w.sym_scale().is_some() {
        return Ok(w);
    }
    let rows_one = super::row_sums(w.matrix())
        .iter()
        .all(|s| *s == 0.0 || (s - 1.0).abs() <= 1e-12);
    if !rows_one {
        return Ok(w);
    }
    let Some(d) = similarity_scale(w.matrix()) else {
        return Ok(w);
    };
    // Attach d without touching the matrix, so the weights stay bit-identical.
    match w.clone().with_sym_scale(d) {
        Ok(v) => Ok(v),
        Err(_) => Ok(w),
    }
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
    fn ties_are_listed() {
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let t = tied_pairs(&ids, &[1.0, 2.0, 1.0, 2.0], 10);
        assert_eq!(t, (2, vec!["(a, c)".to_string(), "(b, d)".to_string()]));
        let t = tied_pairs(&ids, &[1.0; 4], 1);
        assert_eq!(t, (6, vec!["(a, b)".to_string()]));
    }

    #[test]
    fn detects_row_standardised_symmetric() {
        // C = [[0,1,2],[1,0,3],[2,3,0]], W = D⁻¹C.
        let c = [[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]];
        let mut tri = sprs::TriMat::new((3, 3));
        for (i, r) in c.iter().enumerate() {
            let s: f64 = r.iter().sum();
            for (j, v) in r.iter().enumerate() {
                if *v != 0.0 {
                    tri.add_triplet(i, j, v / s);
                }
            }
        }
        let w: CsMat<f64> = tri.to_csr();
        let d = similarity_scale(&w).unwrap();
        // d ∝ (3, 4, 5).
        assert!((d[1] / d[0] - 4.0 / 3.0).abs() < 1e-14 && (d[2] / d[0] - 5.0 / 3.0).abs() < 1e-14);
        // An asymmetric pattern is not similar to symmetric through a diagonal.
        let mut tri = sprs::TriMat::new((3, 3));
        tri.add_triplet(0, 1, 1.0);
        tri.add_triplet(1, 2, 1.0);
        tri.add_triplet(2, 0, 1.0);
        assert!(similarity_scale(&tri.to_csr()).is_none());
        // Symmetric pattern, but the cycle product condition fails.
        let v = [
            (0, 1, 0.5),
            (0, 2, 0.5),
            (1, 0, 0.2),
            (1, 2, 0.8),
            (2, 0, 0.5),
            (2, 1, 0.5),
        ];
        let mut tri = sprs::TriMat::new((3, 3));
        for (i, j, x) in v {
            tri.add_triplet(i, j, x);
        }
        assert!(similarity_scale(&tri.to_csr()).is_none());
    }
}
