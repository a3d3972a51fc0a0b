//! Polygon contiguity weights from a polygon map (GeoJSON or shapefile; queen and rook).
//!
//! Vertices are merged into nodes on a tolerance grid: a vertex joins an existing node when
//! |Δx| ≤ tol and |Δy| ≤ tol (spdep `poly2nb`'s `snap`, default √ε ≈ 1.5e−8), looked up in the
//! 3×3 neighbouring grid cells, so building is O(V) in the number of vertices V.
//! * queen: two polygons are neighbours when they share at least one node;
//! * rook: when they share an edge, i.e. two nodes consecutive on a ring of each polygon.

use super::builder::Common;
use super::Weights;
use crate::error::{Error, Result};
/// The GeoJSON reader lives in [`crate::map`]; re-exported here for existing callers.
pub use crate::map::parse_geojson;
use crate::map::{read_map, GeoMap, MapOptions};
use std::collections::HashMap;

/// The contiguity rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rule {
    /// At least one shared vertex (the default).
    #[default]
    Queen,
    /// At least one shared edge.
    Rook,
}

impl Rule {
    /// The option value naming this rule.
    pub fn name(self) -> &'static str {
        match self {
            Self::Queen => "queen",
            Self::Rook => "rook",
        }
    }
}

/// Options of [`weights_contiguity`].
#[derive(Debug, Clone, PartialEq)]
pub struct ContiguityOptions {
    /// The feature property holding the unit id (default `"id"`).
    pub id: String,
    /// Queen (default) or rook.
    pub rule: Rule,
    /// Vertices closer than this in both coordinates are the same point (default √ε, as spdep).
    pub tolerance: f64,
    /// Standardisation and islands.
    pub common: Common,
}

impl Default for ContiguityOptions {
    fn default() -> Self {
        ContiguityOptions {
            id: "id".into(),
            rule: Rule::Queen,
            tolerance: f64::EPSILON.sqrt(),
            common: Common::default(),
        }
    }
}

/// A polygon unit: all rings of all its parts.
pub type Rings = Vec<Vec<[f64; 2]>>;

/// Contiguity weights of the polygon map at `path`, keyed by the property (GeoJSON) or field
/// (shapefile `.shp`) `opts.id`: [`crate::map::read_map`], then [`weights_contiguity_map`]. A
/// path not ending in `.shp` is read as GeoJSON. Errors name the file and the feature (0-based
/// index) at fault.
pub fn weights_contiguity(path: &str, opts: &ContiguityOptions) -> Result<Weights> {
    let map = if crate::io::extension(path) == "shp" {
        let o = MapOptions {
            id: opts.id.clone(),
            ..MapOptions::default()
        };
        read_map(path, &o)?
    } else {
        let text = crate::io::read_text(path)?;
        GeoMap::new(parse_geojson(&text, path, &opts.id)?, path)?
    };
    weights_contiguity_map(&map, opts)
}

/// Contiguity weights of the units of `map` (all rings of all parts, holes included), in the
/// map's unit order; `opts.id` is not used (the map is already keyed).
pub fn weights_contiguity_map(map: &GeoMap, opts: &ContiguityOptions) -> Result<Weights> {
    let polys: Vec<Rings> = map.units().iter().map(|u| u.rings()).collect();
    contiguity_from_polygons(map.ids(), &polys, opts.rule, opts.tolerance, &opts.common)
}

/// Merges vertices into nodes on a tolerance grid (see the module doc).
struct Snapper {
    tol: f64,
    nodes: Vec<[f64; 2]>,
    exact: HashMap<(u64, u64), u32>,
    grid: HashMap<(i64, i64), Vec<u32>>,
}

impl Snapper {
    fn new(tol: f64) -> Snapper {
        Snapper {
            tol,
            nodes: Vec::new(),
            exact: HashMap::new(),
            grid: HashMap::new(),
        }
    }

    fn node(&mut self, p: [f64; 2]) -> u32 {
        let next = self.nodes.len() as u32;
        if self.tol == 0.0 {
            let key = ((p[0] + 0.0).to_bits(), (p[1] + 0.0).to_bits());
            let id = *self.exact.entry(key).or_insert(next);
            if id == next {
                self.nodes.push(p);
            }
            return id;
        }
        let cell = ((p[0] / self.tol).floor() as i64, (p[1] / self.tol).floor() as i64);
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(list) = self.grid.get(&(cell.0 + dx, cell.1 + dy)) {
                    for &id in list {
                        let q = self.nodes[id as usize];
                        if (q[0] - p[0]).abs() <= self.tol && (q[1] - p[1]).abs() <= self.tol {
                            return id;
                        }
                    }
                }
            }
        }
        self.nodes.push(p);
        self.grid.entry(cell).or_default().push(next);
        next
    }
}

/// Contiguity weights of polygons (binary c_ij, then standardised); see the module doc.
pub fn contiguity_from_polygons(
    ids: Vec<String>,
    polys: &[Rings],
    rule: Rule,
    tolerance: f64,
    common: &Common,
) -> Result<Weights> {
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(Error::invalid(format!(
            "weights_contiguity: tolerance must be a number ≥ 0, got {tolerance}"
        )));
    }
    let mut snap = Snapper::new(tolerance);
    // (key, polygon) incidences: nodes for queen, edges (a < b) for rook.
    let mut inc: Vec<(u64, usize)> = Vec::new();
    for (u, rings) in polys.iter().enumerate() {
        if u % 1024 == 0 {
            crate::interrupt::check()?;
        }
        for ring in rings {
            let nodes: Vec<u32> = ring.iter().map(|p| snap.node(*p)).collect();
            match rule {
                Rule::Queen => inc.extend(nodes.iter().map(|&a| (a as u64, u))),
                Rule::Rook => {
                    for e in nodes.windows(2) {
                        let (a, b) = (e[0].min(e[1]) as u64, e[0].max(e[1]) as u64);
                        if a != b {
                            inc.push(((a << 32) | b, u));
                        }
                    }
                }
            }
        }
    }
    inc.sort_unstable();
    inc.dedup();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut s = 0;
    while s < inc.len() {
        if s % 4096 == 0 {
            crate::interrupt::check()?;
        }
        let mut e = s + 1;
        while e < inc.len() && inc[e].0 == inc[s].0 {
            e += 1;
        }
        for a in s..e {
            for b in a + 1..e {
                pairs.push((inc[a].1, inc[b].1));
                pairs.push((inc[b].1, inc[a].1));
            }
        }
        s = e;
    }
    pairs.sort_unstable();
    pairs.dedup();
    let trip: Vec<(usize, usize, f64)> = pairs.into_iter().map(|(i, j)| (i, j, 1.0)).collect();
    Weights::from_triplets_with(ids, &trip, common)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64) -> Rings {
        vec![vec![[x, y], [x + 1.0, y], [x + 1.0, y + 1.0], [x, y + 1.0], [x, y]]]
    }

    #[test]
    fn grid_queen_and_rook() {
        // 3×3 grid of unit squares: centre has 8 queen and 4 rook neighbours.
        let mut polys = Vec::new();
        let mut ids = Vec::new();
        for r in 0..3 {
            for c in 0..3 {
                polys.push(square(c as f64, r as f64 * (1.0 + 1e-12)));
                ids.push(format!("{r}{c}"));
            }
        }
        let none = Common {
            standardize: crate::weights::Standardization::None,
            ..Common::default()
        };
        let q = contiguity_from_polygons(ids.clone(), &polys, Rule::Queen, 1e-9, &none).unwrap();
        let r = contiguity_from_polygons(ids.clone(), &polys, Rule::Rook, 1e-9, &none).unwrap();
        assert_eq!(q.matrix().outer_view(4).unwrap().nnz(), 8);
        assert_eq!(r.matrix().outer_view(4).unwrap().nnz(), 4);
        assert_eq!(q.nnz(), 40);
        assert_eq!(r.nnz(), 24);
    }
}
