//! GeoJSON polygons: any text gives (ids, rings) or an error naming the file and feature, never
//! a panic; parsed polygons are turned into queen and rook contiguity with islands kept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spillover::weights::build::Common;
use spillover::weights::contiguity::{contiguity_from_polygons, parse_geojson, Rule};
use spillover::weights::Standardization;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((ids, polys)) = parse_geojson(text, "fuzz.geojson", "id") {
        let common = Common {
            standardize: Standardization::Row,
            keep_islands: true,
            allow_negative: false,
        };
        for (rule, tol) in [
            (Rule::Queen, f64::EPSILON.sqrt()),
            (Rule::Rook, 0.0),
            (Rule::Queen, 0.5),
        ] {
            let _ = contiguity_from_polygons(ids.clone(), &polys, rule, tol, &common);
        }
    }
});
