//! GeoJSON FeatureCollections of Polygon/MultiPolygon features (RFC 7946).

use super::{MapUnit, Part, Ring};
use crate::data::{key_of_number, key_of_text};
use crate::error::{list_some, Error, Result};
use serde_json::Value;

/// The units of a GeoJSON FeatureCollection, ids from property `id`. Errors name the file and
/// the feature (0-based index) at fault: invalid JSON (with line and column), a missing or
/// non-scalar id, a missing geometry, a geometry that is not a Polygon or MultiPolygon, a
/// position that is not [x, y] numbers. Ids are checked for uniqueness by [`super::GeoMap::new`].
pub fn parse_geojson(text: &str, path: &str, id: &str) -> Result<Vec<MapUnit>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let v: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
        path: path.to_string(),
        line: e.line() as u64,
        column: e.column() as u64,
        message: format!("not valid JSON: {e}"),
    })?;
    let feats = v.get("features").and_then(Value::as_array).ok_or_else(|| {
        Error::data(format!(
            "{path}: not a GeoJSON FeatureCollection (no \"features\" array)"
        ))
    })?;
    if feats.is_empty() {
        return Err(Error::data(format!(
            "{path}: the FeatureCollection has no features; a map or a W needs at least one unit"
        )));
    }
    let mut units = Vec::with_capacity(feats.len());
    for (k, f) in feats.iter().enumerate() {
        let bad = |msg: String| Error::data(format!("{path}: feature {k}: {msg}"));
        let props = f.get("properties").and_then(Value::as_object);
        let key = match props.and_then(|p| p.get(id)) {
            // integers keep every digit; other numbers print in their shortest exact form
            Some(Value::Number(x)) if x.is_i64() || x.is_u64() => x.to_string(),
            Some(Value::Number(x)) => key_of_number(x.as_f64().unwrap_or(f64::NAN)),
            Some(Value::String(s)) if !s.trim().is_empty() => key_of_text(s),
            Some(other) => return Err(bad(format!("property '{id}' is {other}, not an id"))),
            None => {
                let names: Vec<&String> = props.map(|p| p.keys().collect()).unwrap_or_default();
                return Err(bad(format!(
                    "no property '{id}' (properties: {}); pass the id property name as option id",
                    list_some(&names, 20)
                )));
            }
        };
        let geom = f
            .get("geometry")
            .filter(|g| !g.is_null())
            .ok_or_else(|| bad(format!("(id {key}) has no geometry")))?;
        let kind = geom.get("type").and_then(Value::as_str).unwrap_or("");
        let coords = geom
            .get("coordinates")
            .ok_or_else(|| bad(format!("(id {key}) geometry has no coordinates")))?;
        let parts = match kind {
            "Polygon" => polygon(coords).map(|p| p.into_iter().collect()),
            "MultiPolygon" => coords
                .as_array()
                .ok_or_else(|| "MultiPolygon coordinates are not an array".to_string())
                .and_then(|parts| {
                    let mut all = Vec::new();
                    for p in parts {
                        all.extend(polygon(p)?);
                    }
                    Ok(all)
                }),
            other => Err(format!("geometry type '{other}' is not Polygon or MultiPolygon")),
        }
        .map_err(|m| bad(format!("(id {key}) {m}")))?;
        units.push(MapUnit { id: key, parts });
    }
    Ok(units)
}

/// One GeoJSON Polygon coordinate array [[[x, y], ...], ...]: the first ring is the exterior,
/// the others holes. An empty array is no part.
fn polygon(v: &Value) -> std::result::Result<Option<Part>, String> {
    let rings = v.as_array().ok_or("Polygon coordinates are not an array of rings")?;
    let mut out: Vec<Ring> = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let pts = ring
            .as_array()
            .ok_or(format!("ring {r} is not an array of positions"))?;
        let mut ps = Vec::with_capacity(pts.len());
        for (q, p) in pts.iter().enumerate() {
            let xy = p
                .as_array()
                .filter(|a| a.len() >= 2)
                .and_then(|a| Some([a[0].as_f64()?, a[1].as_f64()?]))
                .filter(|a| a[0].is_finite() && a[1].is_finite())
                .ok_or(format!("ring {r} position {q} is {p}, not [x, y] numbers"))?;
            ps.push(xy);
        }
        out.push(ps);
    }
    let mut it = out.into_iter();
    Ok(it.next().map(|exterior| Part {
        exterior,
        holes: it.collect(),
    }))
}
