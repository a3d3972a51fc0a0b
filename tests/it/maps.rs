//! Maps: `read_map` (GeoJSON and shapefiles) keyed by id, contiguity of a map, the choropleth
//! (one shape per part, class fills, no-data units), small multiples and the LISA cluster map.
//!
//! Fixture tests/fixtures/maps/grid.* (written by make_fixtures.py there): a 3 × 3 grid of unit
//! squares A1..C3 (row A at the bottom), B2 with a square hole [1.3, 1.7]² filled by the enclave
//! E, and C3 a MultiPolygon (its square and a detached square [3.5, 4] × [2.5, 3]).

use crate::common::fixture;
use crate::sandbox::Sandbox;
use spillover::map::{read_map, MapOptions};
use spillover::weights::contiguity::{weights_contiguity, weights_contiguity_map, ContiguityOptions, Rule};
use spillover::weights::Standardization;
use std::collections::{BTreeMap, BTreeSet};

const IDS: [&str; 10] = ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3", "E"];

fn opts(id: &str) -> MapOptions {
    MapOptions {
        id: id.into(),
        ..MapOptions::default()
    }
}

pub(crate) fn file(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap()
}

/// A sandbox holding the grid map (GeoJSON and shapefile) and its data.
pub(crate) fn grid_sandbox(tag: &str) -> Sandbox {
    let names = [
        "grid.geojson",
        "grid.shp",
        "grid.shx",
        "grid.dbf",
        "grid.cpg",
        "grid_data.csv",
        "grid_panel.csv",
    ];
    let bytes: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| (n.to_string(), file(&format!("maps/{n}"))))
        .collect();
    let files: Vec<(&str, &[u8])> = bytes.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    Sandbox::new(tag, &files)
}

#[test]
fn geojson_and_shapefile_give_the_same_units_parts_and_holes() {
    let g = read_map(&fixture("maps/grid.geojson"), &MapOptions::default()).unwrap();
    let s = read_map(&fixture("maps/grid.shp"), &MapOptions::default()).unwrap();
    for m in [&g, &s] {
        assert_eq!(m.ids(), IDS.to_vec());
        assert_eq!(m.parts(), 11);
        assert_eq!(m.bbox(), [0.0, 0.0, 4.0, 3.0]);
        let b2 = &m.units()[4];
        assert_eq!((b2.parts.len(), b2.parts[0].holes.len()), (1, 1));
        let hole: BTreeSet<String> = b2.parts[0].holes[0].iter().map(|p| format!("{p:?}")).collect();
        let e: BTreeSet<String> = m.units()[9].parts[0]
            .exterior
            .iter()
            .map(|p| format!("{p:?}"))
            .collect();
        assert_eq!(hole, e, "E fills B2's hole");
        let c3 = &m.units()[8];
        assert_eq!(c3.parts.len(), 2);
        assert!(c3.parts[1].exterior.contains(&[3.5, 2.5]));
    }
    // numeric .dbf field as id; the UTF-8 .cpg is honoured for text fields
    let codes = read_map(&fixture("maps/grid.shp"), &opts("code")).unwrap();
    assert_eq!(codes.ids()[0], "101");
    let names = read_map(&fixture("maps/grid.shp"), &opts("name")).unwrap();
    assert_eq!(names.ids()[9], "区E");
}

#[test]
fn missing_and_duplicate_ids_are_refused_naming_the_feature() {
    let s = Sandbox::new("maps_ids", &[]);
    let sq = |id: &str, x: i32| {
        format!(
            r#"{{"type":"Feature","properties":{{"id":"{id}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x},0],[{},0],[{},1],[{x},1],[{x},0]]]}}}}"#,
            x + 1,
            x + 1
        )
    };
    let dup = format!(
        r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
        sq("a", 0),
        sq("b", 1),
        sq("a", 2)
    );
    s.write("dup.geojson", dup.as_bytes());
    let e = read_map(s.path("dup.geojson").to_str().unwrap(), &MapOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("feature 2") && e.contains("feature 0") && e.contains("unique"),
        "{e}"
    );
    let e = read_map(&fixture("maps/grid.geojson"), &opts("code"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("feature 0") && e.contains("no property 'code'") && e.contains("name"),
        "{e}"
    );
    let e = read_map(&fixture("maps/grid.shp"), &opts("nope"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("feature 0") && e.contains("no field 'nope'") && e.contains("code"),
        "{e}"
    );
    // the same through a script, and a file that is not a map
    let g = grid_sandbox("maps_ids_script");
    g.fails(
        "read_map(\"grid.shp\", #{id: \"nope\"})",
        &["grid.shp", "feature 0", "fields:"],
    );
    g.fails("read_map(\"grid_data.csv\")", &["grid_data.csv", ".geojson", ".shp"]);
    std::fs::remove_file(g.path("grid.dbf")).unwrap();
    g.fails("read_map(\"grid.shp\")", &["grid.dbf", "beside it"]);
}

/// The neighbour lists of W by id.
fn neighbours(w: &spillover::weights::Weights) -> BTreeMap<String, BTreeSet<String>> {
    let ids = w.ids();
    w.matrix()
        .outer_iterator()
        .enumerate()
        .map(|(i, row)| (ids[i].clone(), row.indices().iter().map(|&j| ids[j].clone()).collect()))
        .collect()
}

fn lists(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.split_whitespace().map(String::from).collect()))
        .collect()
}

#[test]
fn contiguity_of_the_map_is_the_hand_computed_neighbour_list() {
    // Rook: shared edges of the grid, and E with the ring of B2's hole only.
    let rook = lists(&[
        ("A1", "A2 B1"),
        ("A2", "A1 A3 B2"),
        ("A3", "A2 B3"),
        ("B1", "A1 B2 C1"),
        ("B2", "A2 B1 B3 C2 E"),
        ("B3", "A3 B2 C3"),
        ("C1", "B1 C2"),
        ("C2", "B2 C1 C3"),
        ("C3", "B3 C2"),
        ("E", "B2"),
    ]);
    // Queen adds the diagonal corners; C3's detached square touches nothing.
    let queen = lists(&[
        ("A1", "A2 B1 B2"),
        ("A2", "A1 A3 B1 B2 B3"),
        ("A3", "A2 B2 B3"),
        ("B1", "A1 A2 B2 C1 C2"),
        ("B2", "A1 A2 A3 B1 B3 C1 C2 C3 E"),
        ("B3", "A2 A3 B2 C2 C3"),
        ("C1", "B1 B2 C2"),
        ("C2", "B1 B2 B3 C1 C3"),
        ("C3", "B2 B3 C2"),
        ("E", "B2"),
    ]);
    let mut o = ContiguityOptions::default();
    o.common.standardize = Standardization::None;
    for path in ["maps/grid.geojson", "maps/grid.shp"] {
        let m = read_map(&fixture(path), &MapOptions::default()).unwrap();
        assert_eq!(neighbours(&weights_contiguity_map(&m, &o).unwrap()), queen, "{path}");
        let r = ContiguityOptions {
            rule: Rule::Rook,
            ..o.clone()
        };
        assert_eq!(neighbours(&weights_contiguity_map(&m, &r).unwrap()), rook, "{path}");
        // the path form reads shapefiles too
        assert_eq!(
            neighbours(&weights_contiguity(&fixture(path), &r).unwrap()),
            rook,
            "{path}"
        );
    }
    let s = grid_sandbox("maps_contiguity");
    let out = s.succeeds(
        r#"let m = read_map("grid.shp");
           let w = weights_contiguity(m, #{rule: "rook", standardize: "none"});
           print(w.ids()); print(w.nnz);"#,
    );
    assert!(
        out.contains(r#"["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3", "E"]"#),
        "{out}"
    );
    assert!(out.contains("\n26"), "rook links: 24 of the grid + 2 for E–B2\n{out}");
}

/// (fill, number of points) of every `<polygon>` of an SVG, in drawing order.
pub(crate) fn polygons(svg: &str) -> Vec<(String, usize)> {
    svg.split("<polygon")
        .skip(1)
        .map(|p| {
            let attr = |name: &str| {
                let k = p.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                p[k..k + p[k..].find('"').unwrap()].to_string()
            };
            (attr("fill").to_uppercase(), attr("points").split_whitespace().count())
        })
        .collect()
}

#[test]
fn choropleth_draws_one_shape_per_part_in_its_quantile_class() {
    let s = grid_sandbox("maps_choropleth");
    let out = s.run(r#"plot_map(read_map("grid.geojson"), read_csv("grid_data.csv"), "y", "y.svg");"#);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(0), "{err}");
    // C1 has no row; Z is not on the map: both are warned about.
    assert!(err.contains("no data") && err.contains("C1"), "{err}");
    assert!(err.contains("not units of the map") && err.contains('Z'), "{err}");
    let svg = std::fs::read_to_string(s.path("y.svg")).unwrap();
    // y = 1 2 3 4 5 6 · 8 9 10 over A1..C3, E. Type-7 quantiles of these nine values at
    // 0.2, 0.4, 0.6, 0.8: 2.6, 4.2, 5.8, 8.4 (max 10). YlOrRd in 5 classes takes the ramp's
    // colours 1, 3, 5, 7, 9.
    let class = ["#FFFFCC", "#FED976", "#FD8D3C", "#E31A1C", "#800026"];
    let grey = "#D0D0D0";
    let want = [
        class[0], class[0], class[1], class[1], class[2], class[3], grey, class[3], class[4], class[4], class[4],
    ];
    let got = polygons(&svg);
    assert_eq!(got.len(), 11, "one polygon per part (C3 has two): {got:?}");
    let fills: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fills, want.to_vec());
    // B2's polygon carries its hole: 4 exterior + 4 hole points + the bridge back (2).
    assert_eq!(got[4].1, 10, "{got:?}");
    for (label, n) in [("2.60", 2), ("4.20", 2), ("5.80", 1), ("8.40", 2), ("10.00", 2)] {
        assert!(
            svg.contains(&format!("{label}  ({n})")),
            "legend class ending {label} with {n} units\n{svg}"
        );
    }
    assert!(
        svg.contains("No data  (1)") && svg.contains("No data (hatched): C1"),
        "{svg}"
    );
}

#[test]
fn a_hole_shows_the_enclave_drawn_before_its_surrounding_unit() {
    // E comes first in the file, so B2 is drawn over it: E stays visible only if B2's hole is cut.
    let s = Sandbox::new("maps_hole", &[]);
    let g: serde_json::Value = serde_json::from_slice(&file("maps/grid.geojson")).unwrap();
    let f = g["features"].as_array().unwrap();
    let two = serde_json::json!({"type": "FeatureCollection", "features": [f[9].clone(), f[4].clone()]});
    s.write("two.geojson", two.to_string().as_bytes());
    s.write("v.csv", b"id,y\nE,2\nB2,1\n");
    s.succeeds(
        r##"plot_map(read_map("two.geojson"), read_csv("v.csv"), "y", "two.png",
                     #{classes: 2, scheme: "equal", palette: ["#00FF00", "#0000FF"], legend: false, title: ""});"##,
    );
    let png = std::fs::File::open(s.path("two.png")).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(png)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    let count = |c: [u8; 3]| px.chunks_exact(3).filter(|p| *p == c).count() as f64;
    let (green, blue) = (count([0, 255, 0]), count([0, 0, 255]));
    // areas 0.84 (B2 without its hole) and 0.16 (E)
    let ratio = blue / green;
    assert!((ratio - 0.16 / 0.84).abs() < 0.05, "blue {blue}, green {green}");
}

#[test]
fn panel_maps_pick_a_period_and_small_multiples_draw_each() {
    let s = grid_sandbox("maps_series");
    s.succeeds(
        r#"let m = read_map("grid.shp");
           let p = panel(read_csv("grid_panel.csv"), "id", "year");
           plot_map(m, p, "y", "p2000.svg", #{period: 2000, scheme: "natural_breaks", classes: 2});
           plot_map_series(m, p, "y", "series.svg", #{periods: [2000, 2001], classes: 4, scheme: "equal"});
           plot_map_series(m, p, "y", "series.png");"#,
    );
    // 2000: y = 1..10 in unit order; Fisher–Jenks into two groups of 1..10 splits at 5 | 6.
    let svg = std::fs::read_to_string(s.path("p2000.svg")).unwrap();
    assert!(
        svg.contains("1.00 – 5.00  (5)") && svg.contains("5.00 – 10.00  (5)"),
        "{svg}"
    );
    let series = std::fs::read_to_string(s.path("series.svg")).unwrap();
    let got = polygons(&series);
    assert_eq!(got.len(), 22, "11 parts in each of two periods");
    // pooled values 1..20 in 4 equal classes of width 4.75: 2000's A1 (1) in the first, 2001's
    // E (20) in the last
    assert_eq!(got[0].0, "#FFFFCC");
    assert_eq!(got[21].0, "#800026");
    assert!(
        series.contains("\n2000\n") && series.contains("\n2001\n"),
        "period labels"
    );
    s.fails(
        r#"plot_map(read_map("grid.shp"), panel(read_csv("grid_panel.csv"), "id", "year"), "y", "x.svg", #{period: 1999})"#,
        &["no period '1999'", "2000"],
    );
    s.fails(
        r#"plot_map(read_map("grid.shp"), read_csv("grid_data.csv"), "y", "x.svg", #{scheme: "kmeans"})"#,
        &["kmeans", "natural_breaks"],
    );
    s.fails(
        r#"plot_map(read_map("grid.shp"), read_csv("grid_data.csv"), "y", "x.svg", #{palette: "Rainbow"})"#,
        &["Rainbow", "YlOrRd"],
    );
}

/// The number in "label  (n)" of an SVG legend.
pub(crate) fn legend_count(svg: &str, label: &str) -> usize {
    let k = svg
        .find(&format!("{label}  ("))
        .unwrap_or_else(|| panic!("no legend entry {label}"))
        + label.len()
        + 3;
    svg[k..k + svg[k..].find(')').unwrap()].parse().unwrap()
}

#[test]
fn lisa_map_legend_counts_are_local_morans_significant_quadrants() {
    let s = Sandbox::new(
        "maps_lisa",
        &[
            ("columbus.geojson", &file("columbus/columbus.geojson")),
            ("data.csv", &file("columbus/data.csv")),
        ],
    );
    s.succeeds(
        r#"let m = read_map("columbus.geojson", #{id: "POLYID"});
           let w = weights_contiguity(m);
           let c = read_csv("data.csv");
           let lisa = local_moran(in_order(c, "POLYID", "CRIME", w), w, #{permutations: 999, seed: 7});
           save(lisa, "lisa.csv");
           plot_lisa_map(m, lisa, "lisa.svg");
           plot_lisa_map(m, lisa, "lisa01.svg", #{alpha: 0.01});
           plot_lisa_map(m, local_moran(in_order(c, "POLYID", "CRIME", w), w), "lisa_normal.svg");"#,
    );
    let mut rd = csv::Reader::from_path(s.path("lisa.csv")).unwrap();
    let h = rd.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (q, psim, pn) = (col("quadrant"), col("p_sim"), col("p"));
    let rows: Vec<(String, f64, f64)> = rd
        .records()
        .map(|r| {
            let r = r.unwrap();
            let num = |k: usize| r[k].parse::<f64>().unwrap_or(f64::NAN);
            (r[q].to_string(), num(psim), num(pn))
        })
        .collect();
    assert_eq!(rows.len(), 49);
    let count = |quad: &str, alpha: f64, sim: bool| {
        rows.iter()
            .filter(|(qq, ps, p)| qq == quad && (if sim { *ps } else { *p }) < alpha)
            .count()
    };
    for (file, alpha, sim) in [
        ("lisa.svg", 0.05, true),
        ("lisa01.svg", 0.01, true),
        ("lisa_normal.svg", 0.05, false),
    ] {
        let svg = std::fs::read_to_string(s.path(file)).unwrap();
        let mut sig = 0;
        for (label, quad, colour) in [
            ("High-High", "HH", "#FF0000"),
            ("Low-Low", "LL", "#0000FF"),
            ("Low-High", "LH", "#A7ADF9"),
            ("High-Low", "HL", "#F4ADA8"),
        ] {
            let n = count(quad, alpha, sim);
            sig += n;
            assert_eq!(legend_count(&svg, label), n, "{file}: {label}");
            let shapes = polygons(&svg).iter().filter(|(f, _)| f == colour).count();
            assert_eq!(shapes, n, "{file}: {label} shapes (Columbus units are single polygons)");
        }
        assert_eq!(legend_count(&svg, "Not significant"), 49 - sig, "{file}");
        assert!(sig > 0, "{file}: CRIME has significant clusters");
        assert_eq!(polygons(&svg).len(), 49);
    }
}

#[test]
fn choropleth_matches_rows_by_id_not_by_position() {
    // The same data with its rows in reverse order draws the same map.
    let csv = String::from_utf8(file("maps/grid_data.csv")).unwrap();
    let mut lines: Vec<&str> = csv.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let reversed = format!("{header}\n{}\n", lines.join("\n"));
    let geojson = file("maps/grid.geojson");
    let s = Sandbox::new(
        "maps_by_id",
        &[
            ("grid.geojson", geojson.as_slice()),
            ("grid_data.csv", csv.as_bytes()),
            ("reversed.csv", reversed.as_bytes()),
        ],
    );
    let out = s.run(
        r#"let m = read_map("grid.geojson");
           plot_map(m, read_csv("grid_data.csv"), "y", "a.svg");
           plot_map(m, read_csv("reversed.csv"), "y", "b.svg");"#,
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let a = polygons(&std::fs::read_to_string(s.path("a.svg")).unwrap());
    let b = polygons(&std::fs::read_to_string(s.path("b.svg")).unwrap());
    assert_eq!(a.len(), 11);
    assert_eq!(a, b);
}

#[test]
fn a_chinese_map_title_is_drawn_with_the_cjk_font() {
    let s = grid_sandbox("maps_cjk_title");
    let out =
        s.run(r#"plot_map(read_map("grid.geojson"), read_csv("grid_data.csv"), "y", "t.svg", #{title: "城市群"});"#);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = std::fs::read_to_string(s.path("t.svg")).unwrap();
    let at = svg.find("城市群").expect("the title is in the SVG");
    let element = &svg[svg[..at].rfind('<').unwrap()..at];
    assert!(
        element.contains(spillover::plot::fonts::CJK),
        "title drawn with {element}"
    );
}
