//! ESRI shapefiles (.shp geometry + .dbf attributes) through the `shapefile` crate.
//!
//! The shapefile specification (ESRI 1998) stores a polygon record as rings: outer rings
//! clockwise, holes counter-clockwise, in any order. Each hole is given to the smallest outer
//! ring of the record containing its first vertex (a hole that no outer ring contains is kept as
//! an outer ring, as GDAL does).

use super::{MapOptions, MapUnit, Part, Ring};
use crate::data::{key_of_number, key_of_text};
use crate::error::{list_some, Error, Result};
use shapefile::dbase::{self, FieldValue};
use shapefile::{PolygonRing, Shape};
use std::fs::File;
use std::io::BufReader;

/// The units of the shapefile `path`, ids from the .dbf field `opts.id`.
pub(super) fn read_shapefile(path: &str, opts: &MapOptions) -> Result<Vec<MapUnit>> {
    let fail = |e: shapefile::Error| Error::io(path, format!("cannot read the shapefile: {e}"));
    let dbf = std::path::Path::new(path).with_extension("dbf");
    if !dbf.exists() {
        return Err(Error::io(
            path,
            format!(
                "a shapefile needs its attribute table {} beside it (the ids are read from it)",
                dbf.display()
            ),
        ));
    }
    let mut reader = match &opts.encoding {
        None => shapefile::Reader::from_path(path).map_err(fail)?,
        Some(name) => {
            let label = match name.trim().to_ascii_uppercase().as_str() {
                "UTF8" => "UTF-8".to_string(),
                "GB2312" | "GB18030" | "CP936" | "936" => "GBK".to_string(),
                other => other.to_string(),
            };
            let enc = dbase::encoding::DynEncoding::from_name(&label).ok_or_else(|| {
                Error::invalid(format!(
                    "read_map: unknown encoding '{name}'; use e.g. \"utf-8\", \"gbk\", \"big5\", \"latin1\" or a \
                     Windows code page such as \"1252\""
                ))
            })?;
            let shapes = shapefile::ShapeReader::from_path(path).map_err(fail)?;
            let source = File::open(&dbf).map_err(|e| Error::io(dbf.display().to_string(), e.to_string()))?;
            let table = dbase::ReaderBuilder::new()
                .with_encoding(enc)
                .build(BufReader::new(source))
                .map_err(|e| Error::io(dbf.display().to_string(), format!("cannot read the .dbf: {e}")))?;
            shapefile::Reader::new(shapes, table)
        }
    };
    let mut units = Vec::new();
    for (k, item) in reader.iter_shapes_and_records().enumerate() {
        let bad = |msg: String| Error::data(format!("{path}: feature {k}: {msg}"));
        let (shape, record) = item.map_err(|e| bad(format!("cannot be read: {e}")))?;
        let key = match record.get(&opts.id) {
            Some(FieldValue::Character(Some(s))) | Some(FieldValue::Memo(s)) if !s.trim().is_empty() => key_of_text(s),
            Some(FieldValue::Numeric(Some(x))) | Some(FieldValue::Double(x)) | Some(FieldValue::Currency(x)) => {
                key_of_number(*x)
            }
            Some(FieldValue::Float(Some(x))) => key_of_number(f64::from(*x)),
            Some(FieldValue::Integer(x)) => x.to_string(),
            Some(other) => return Err(bad(format!("field '{}' is {other:?}, not an id", opts.id))),
            None => {
                let mut names: Vec<String> = record.into_iter().map(|(n, _)| n).collect();
                names.sort();
                return Err(bad(format!(
                    "no field '{}' (fields: {}); pass the id field name as option id",
                    opts.id,
                    list_some(&names, 20)
                )));
            }
        };
        let rings: Vec<(bool, Ring)> = match shape {
            Shape::Polygon(p) => p.into_inner().into_iter().map(|r| ring(r, |q| [q.x, q.y])).collect(),
            Shape::PolygonM(p) => p.into_inner().into_iter().map(|r| ring(r, |q| [q.x, q.y])).collect(),
            Shape::PolygonZ(p) => p.into_inner().into_iter().map(|r| ring(r, |q| [q.x, q.y])).collect(),
            Shape::NullShape => Vec::new(),
            other => {
                return Err(bad(format!(
                    "(id {key}) is a {}, not a polygon; a map needs polygons",
                    other.shapetype()
                )))
            }
        };
        if let Some((r, q)) = rings.iter().enumerate().find_map(|(r, (_, pts))| {
            pts.iter()
                .position(|q| !(q[0].is_finite() && q[1].is_finite()))
                .map(|q| (r, q))
        }) {
            return Err(bad(format!("(id {key}) ring {r} position {q} is not a finite [x, y]")));
        }
        units.push(MapUnit {
            id: key,
            parts: assemble(rings),
        });
    }
    Ok(units)
}

/// (is outer, positions) of a shapefile ring.
fn ring<P>(r: PolygonRing<P>, xy: impl Fn(&P) -> [f64; 2]) -> (bool, Ring) {
    let outer = matches!(r, PolygonRing::Outer(_));
    (outer, r.points().iter().map(xy).collect())
}

/// Groups rings into parts: each hole goes to the smallest outer ring containing its first vertex.
fn assemble(rings: Vec<(bool, Ring)>) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut holes = Vec::new();
    for (outer, r) in rings {
        if outer {
            parts.push(Part {
                exterior: r,
                holes: Vec::new(),
            });
        } else {
            holes.push(r);
        }
    }
    for h in holes {
        let Some(&first) = h.first() else { continue };
        let owner = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| contains(&p.exterior, first))
            .min_by(|a, b| area(&a.1.exterior).total_cmp(&area(&b.1.exterior)))
            .map(|(k, _)| k);
        match owner {
            Some(k) => parts[k].holes.push(h),
            None => parts.push(Part {
                exterior: h,
                holes: Vec::new(),
            }),
        }
    }
    parts
}

/// |shoelace area| of a ring.
pub(crate) fn area(r: &[[f64; 2]]) -> f64 {
    signed_area(r).abs()
}

/// Shoelace signed area (positive when counter-clockwise).
pub(crate) fn signed_area(r: &[[f64; 2]]) -> f64 {
    let n = r.len();
    (0..n)
        .map(|i| {
            let (a, b) = (r[i], r[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum::<f64>()
        / 2.0
}

/// Even–odd point-in-ring test (crossings of a ray towards +x).
pub(crate) fn contains(r: &[[f64; 2]], p: [f64; 2]) -> bool {
    let n = r.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (r[i], r[(i + n - 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sq(x: f64, y: f64, s: f64) -> Ring {
        vec![[x, y], [x, y + s], [x + s, y + s], [x + s, y], [x, y]]
    }

    #[test]
    fn holes_go_to_the_outer_ring_that_contains_them() {
        let parts = assemble(vec![
            (true, sq(0.0, 0.0, 10.0)),
            (true, sq(20.0, 0.0, 10.0)),
            (false, sq(22.0, 2.0, 1.0)),
            (false, sq(50.0, 50.0, 1.0)),
        ]);
        assert_eq!(parts.len(), 3);
        assert!(parts[0].holes.is_empty());
        assert_eq!(parts[1].holes.len(), 1);
        assert_eq!(area(&sq(0.0, 0.0, 3.0)), 9.0);
    }
}
