//! Polygon maps: units keyed by an id, each a set of polygon parts with holes, read from
//! GeoJSON or ESRI shapefiles ([`read_map`]), and the classification of values into classes
//! for choropleth maps ([`classify`]).
//!
//! A [`GeoMap`] is the geometry only: values are matched to it by id, never by position
//! ([`GeoMap::values_by_id`]).

pub mod classify;
mod geojson;
mod shp;

pub use classify::{classify, Classes, Scheme};
pub use geojson::parse_geojson;

use crate::data::{Frame, Panel};
use crate::error::{list_some, Error, Result};
use std::collections::HashMap;

/// A closed ring of (x, y) positions (first = last in well-formed files).
pub type Ring = Vec<[f64; 2]>;

/// One polygon of a unit: an exterior ring and the rings of its holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The outer boundary.
    pub exterior: Ring,
    /// The holes (lakes, enclaves of other units).
    pub holes: Vec<Ring>,
}

/// One unit of a map: its id and its polygon parts (one for a Polygon, several for a
/// MultiPolygon; none for an empty geometry).
#[derive(Debug, Clone, PartialEq)]
pub struct MapUnit {
    /// The unit id (a canonical key, as the ids of a data frame or of W).
    pub id: String,
    /// The polygons.
    pub parts: Vec<Part>,
}

impl MapUnit {
    /// Every ring of the unit: each part's exterior followed by its holes.
    pub fn rings(&self) -> Vec<Ring> {
        self.parts
            .iter()
            .flat_map(|p| std::iter::once(p.exterior.clone()).chain(p.holes.iter().cloned()))
            .collect()
    }
}

/// Options of [`read_map`].
#[derive(Debug, Clone, PartialEq)]
pub struct MapOptions {
    /// The feature property (GeoJSON) or attribute field (.dbf) holding the unit id (default
    /// `"id"`).
    pub id: String,
    /// The character encoding of a shapefile's .dbf (e.g. `"gbk"`, `"utf-8"`); default: its
    /// .cpg file, else the code page mark of the .dbf, else UTF-8.
    pub encoding: Option<String>,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            id: "id".into(),
            encoding: None,
        }
    }
}

/// A polygon map keyed by unit id.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoMap {
    units: Vec<MapUnit>,
    index: HashMap<String, usize>,
    source: String,
}

/// Reads the polygon map at `path`: a GeoJSON FeatureCollection (`.geojson`, `.json`) of
/// Polygon/MultiPolygon features, or an ESRI shapefile (`.shp`, with its `.dbf` beside it) of
/// polygons. Ids come from the property or field `opts.id`; a missing or duplicate id is an
/// error naming the feature (0-based index). In a shapefile, rings are outer (clockwise) or holes
/// (counter-clockwise) by the format's rule, and each hole belongs to the smallest outer ring of
/// its record that contains it.
pub fn read_map(path: &str, opts: &MapOptions) -> Result<GeoMap> {
    match crate::io::extension(path).as_str() {
        "geojson" | "json" => {
            if opts.encoding.is_some() {
                return Err(Error::invalid(format!(
                    "read_map: {path}: option encoding is for shapefiles; GeoJSON is UTF-8"
                )));
            }
            let text = crate::io::read_text(path)?;
            let units = parse_geojson(&text, path, &opts.id)?;
            GeoMap::new(units, path)
        }
        "shp" => GeoMap::new(shp::read_shapefile(path, opts)?, path),
        "dbf" | "shx" => Err(Error::invalid(format!(
            "read_map: {path}: pass the .shp file of the shapefile (its .dbf must be beside it)"
        ))),
        other => Err(Error::invalid(format!(
            "read_map: {path}: cannot read a map from '.{other}'; use a GeoJSON (.geojson, .json) or \
             a shapefile (.shp with its .dbf)"
        ))),
    }
}

impl GeoMap {
    /// A map of `units` read from `source` (a path, for messages). Ids must be unique and
    /// there must be at least one unit.
    pub fn new(units: Vec<MapUnit>, source: &str) -> Result<GeoMap> {
        if units.is_empty() {
            return Err(Error::data(format!(
                "{source}: the map has no features; it needs at least one unit"
            )));
        }
        let mut index = HashMap::with_capacity(units.len());
        for (k, u) in units.iter().enumerate() {
            if let Some(prev) = index.insert(u.id.clone(), k) {
                return Err(Error::data(format!(
                    "{source}: feature {k}: id {} already used by feature {prev}; ids must be unique",
                    u.id
                )));
            }
        }
        Ok(GeoMap {
            units,
            index,
            source: source.to_string(),
        })
    }

    /// Number of units.
    pub fn n(&self) -> usize {
        self.units.len()
    }

    /// The unit ids, in file order.
    pub fn ids(&self) -> Vec<String> {
        self.units.iter().map(|u| u.id.clone()).collect()
    }

    /// The units, in file order.
    pub fn units(&self) -> &[MapUnit] {
        &self.units
    }

    /// The position of unit `id`, if it is on the map.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The file the map was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of polygon parts over all units.
    pub fn parts(&self) -> usize {
        self.units.iter().map(|u| u.parts.len()).sum()
    }

    /// The bounding box `[xmin, ymin, xmax, ymax]` of every ring (NaN when no unit has a
    /// position).
    pub fn bbox(&self) -> [f64; 4] {
        let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        for p in self.units.iter().flat_map(|u| &u.parts) {
            for q in std::iter::once(&p.exterior).chain(&p.holes).flatten() {
                b = [b[0].min(q[0]), b[1].min(q[1]), b[2].max(q[0]), b[3].max(q[1])];
            }
        }
        if b[0].is_finite() {
            b
        } else {
            [f64::NAN; 4]
        }
    }

    /// One value per unit of the map (file order) from the numeric column `column` of `frame`,
    /// matched through the frame's id column `id` (canonical keys). Units with no row, or a
    /// missing value, get NaN. Returns the values and the frame ids that are not on the map.
    /// A frame id on more than one row is an error naming it (take one period of a panel first).
    pub fn values_by_id(&self, frame: &Frame, id: &str, column: &str, what: &str) -> Result<(Vec<f64>, Vec<String>)> {
        let keys = frame.keys(id)?;
        let x = frame.numeric(column)?;
        let mut out = vec![f64::NAN; self.n()];
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
        let mut extra = Vec::new();
        for (r, k) in keys.iter().enumerate() {
            if let Some(first) = seen.insert(k.as_str(), r) {
                return Err(Error::data(format!(
                    "{what}: id '{k}' of column '{id}' is on rows {} and {}; each unit must have one row \
                     (for a panel, pick a period with option period)",
                    first + 1,
                    r + 1
                )));
            }
            match self.position(k) {
                Some(u) => out[u] = x[r],
                None => extra.push(k.clone()),
            }
        }
        Ok((out, extra))
    }

    /// [`values_by_id`](Self::values_by_id) for period `period` of panel `p` (its unit ids).
    /// An unknown period is an error listing the panel's periods.
    pub fn panel_values(&self, p: &Panel, column: &str, period: &str, what: &str) -> Result<(Vec<f64>, Vec<String>)> {
        let k = crate::data::key_of_text(period);
        let t = p.times().iter().position(|s| *s == k).ok_or_else(|| {
            Error::data(format!(
                "{what}: the panel has no period '{period}'; periods: {}",
                list_some(p.times(), 10)
            ))
        })?;
        let n = p.n();
        let rows: Vec<usize> = (t * n..(t + 1) * n).collect();
        self.values_by_id(&p.frame().take(&rows), p.id_name(), column, what)
    }
}

impl std::fmt::Display for GeoMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.bbox();
        write!(
            f,
            "GeoMap: {} units, {} polygons, from {}; bbox x [{}, {}], y [{}, {}]",
            self.n(),
            self.parts(),
            self.source,
            b[0],
            b[2],
            b[1],
            b[3]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(id: &str, x: f64) -> MapUnit {
        MapUnit {
            id: id.into(),
            parts: vec![Part {
                exterior: vec![[x, 0.0], [x + 1.0, 0.0], [x + 1.0, 1.0], [x, 1.0], [x, 0.0]],
                holes: vec![],
            }],
        }
    }

    #[test]
    fn duplicate_ids_are_refused_with_both_features() {
        let e = GeoMap::new(vec![square("a", 0.0), square("b", 1.0), square("a", 2.0)], "m.shp")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("feature 2") && e.contains("feature 0") && e.contains("m.shp"),
            "{e}"
        );
    }

    #[test]
    fn bbox_spans_every_ring() {
        let m = GeoMap::new(vec![square("a", 0.0), square("b", 4.0)], "m").unwrap();
        assert_eq!(m.bbox(), [0.0, 0.0, 5.0, 1.0]);
        assert_eq!(m.position("b"), Some(1));
    }
}
