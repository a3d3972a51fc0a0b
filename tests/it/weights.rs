//! Spatial weights: builders against the reference matrices, docs/methods.md Appendix B closed forms,
//! file round trips, the similarity path of the eigenvalues, and error messages.

use crate::common::{citycluster, fixture};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Column, Frame, Panel};
use spillover::weights::build::{
    economic_from_means, similarity_scale, weights_band, weights_block, weights_distance, weights_economic,
    BandOptions, Common, DistanceOptions, EconForm, EconomicOptions, Metric,
};
use spillover::weights::contiguity::{weights_contiguity, ContiguityOptions, Rule};
use spillover::weights::io::{read_weights, read_weights_with, save_weights, ReadOptions};
use spillover::weights::knn::{knn_from_points, weights_knn, KnnOptions};
use spillover::weights::{spectrum, Standardization, Weights};
use std::collections::HashMap;

/// Reference triplets of a weights.csv, parsed independently of `read_weights`.
fn reference_triplets(path: &str) -> HashMap<(String, String), f64> {
    let f = read_csv(path, &CsvOptions::default()).unwrap();
    let (i, j, w) = (f.keys("i").unwrap(), f.keys("j").unwrap(), f.numeric("w").unwrap());
    (0..f.nrows()).map(|r| ((i[r].clone(), j[r].clone()), w[r])).collect()
}

/// Asserts that `w` holds exactly the reference links, each to `rel` relative.
fn assert_matches(w: &Weights, reference: &HashMap<(String, String), f64>, rel: f64) {
    assert_eq!(w.nnz(), reference.len(), "number of links");
    let ids = w.ids();
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        for (j, &v) in row.iter() {
            let want = *reference
                .get(&(ids[i].clone(), ids[j].clone()))
                .unwrap_or_else(|| panic!("link ({}, {}) not in the reference", ids[i], ids[j]));
            assert!(
                (v - want).abs() <= rel * want.abs(),
                "w[{},{}] = {v:e}, want {want:e}",
                ids[i],
                ids[j]
            );
        }
    }
}

fn citycluster_panel() -> Panel {
    let f = read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap();
    Panel::new(&f, "id", "time").unwrap()
}

fn columbus_queen() -> Weights {
    let o = ContiguityOptions {
        id: "POLYID".into(),
        ..Default::default()
    };
    weights_contiguity(&fixture("columbus/columbus.geojson"), &o).unwrap()
}

fn assert_spectra_agree(w: &Weights, what: &str) {
    let s = w.spectrum().unwrap();
    assert!(s.via_symmetric, "{what}: the similarity path was not used");
    let g = spectrum::compute_general(w).unwrap();
    assert!(!g.via_symmetric && g.is_real(), "{what}: general spectrum not real");
    assert_eq!(s.re.len(), g.re.len());
    let mut a = s.re.clone();
    a.sort_by(f64::total_cmp);
    for (k, (x, y)) in a.iter().zip(&g.re).enumerate() {
        assert!((x - y).abs() <= 1e-10, "{what}: eigenvalue {k}: {x} vs {y}");
    }
    let (lo, hi) = s.real_range();
    assert!(
        (hi - 1.0).abs() < 1e-12 && lo >= -1.0 - 1e-12,
        "{what}: range ({lo}, {hi})"
    );
}

fn tmp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("spill_w_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn economic_w_reproduces_citycluster_weights() {
    let w = weights_economic(&citycluster_panel(), "gdppc", &EconomicOptions::default()).unwrap();
    assert_eq!(w.n(), 176);
    assert_matches(&w, &reference_triplets(&citycluster("weights.csv")), 1e-12);
    assert!(w.sym_scale().is_some());
    assert_spectra_agree(&w, "citycluster economic W");
}

#[test]
fn read_csv_weights_kept_as_given_and_similar() {
    let path = citycluster("weights.csv");
    let w = read_weights(&path).unwrap();
    // Rows already sum to one: labelled row-standardised, values kept bit for bit.
    assert_eq!(w.standardization(), Standardization::Row);
    assert_matches(&w, &reference_triplets(&path), 0.0);
    assert!(w.sym_scale().is_some(), "similarity not detected");
    assert_spectra_agree(&w, "citycluster weights.csv");
    let s = w.summary();
    assert!(s.similar_to_symmetric && !s.symmetric && s.links == 30800 && s.islands.is_empty());
}

#[test]
fn columbus_queen_contiguity_matches_reference() {
    let w = columbus_queen();
    assert_eq!(w.n(), 49);
    assert_eq!(w.nnz(), 236);
    assert_matches(&w, &reference_triplets(&fixture("columbus/weights.csv")), 1e-15);
    assert_spectra_agree(&w, "columbus queen W");
    // The library's reader (which the other tests use to load reference weights) against
    // this file's independent parser of the same file.
    let r = read_weights(&fixture("columbus/weights.csv")).unwrap();
    assert_matches(&r, &reference_triplets(&fixture("columbus/weights.csv")), 0.0);
    assert!(r.sym_scale().is_some());
    assert_spectra_agree(&r, "columbus weights.csv");
    // Rook ⊂ queen.
    let o = ContiguityOptions {
        id: "POLYID".into(),
        rule: Rule::Rook,
        ..Default::default()
    };
    let rook = weights_contiguity(&fixture("columbus/columbus.geojson"), &o).unwrap();
    assert!(rook.nnz() <= 236 && rook.nnz() > 150, "rook links {}", rook.nnz());
    let s = w.summary();
    assert_eq!(
        (s.n, s.links, s.symmetric, s.similar_to_symmetric),
        (49, 236, false, true)
    );
    assert!(s.to_string().contains("236"));
}

#[test]
fn appendix_b_economic_closed_form_and_scale_invariance() {
    // Ybar = (1, 2, 4) as period means of two periods.
    let f = Frame::from_columns(vec![
        (
            "id".into(),
            Column::Text(["a", "b", "c", "a", "b", "c"].map(String::from).to_vec()),
        ),
        ("t".into(), Column::Num(vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0])),
        ("y".into(), Column::Num(vec![0.5, 2.0, 3.0, 1.5, 2.0, 5.0])),
    ])
    .unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    let w = weights_economic(&p, "y", &EconomicOptions::default()).unwrap();
    let want = [0.0, 0.75, 0.25, 2.0 / 3.0, 0.0, 1.0 / 3.0, 0.4, 0.6, 0.0];
    for (k, (a, b)) in w.to_dense().iter().zip(want).enumerate() {
        assert!((a - b).abs() < 1e-15, "W[{k}] = {a}, want {b}");
    }
    let raw = weights_economic(
        &p,
        "y",
        &EconomicOptions {
            common: Common {
                standardize: Standardization::None,
                keep_islands: false,
                allow_negative: false,
            },
            ..Default::default()
        },
    )
    .unwrap();
    let c = [0.0, 1.0, 1.0 / 3.0, 1.0, 0.0, 0.5, 1.0 / 3.0, 0.5, 0.0];
    for (a, b) in raw.to_dense().iter().zip(c) {
        assert!((a - b).abs() < 1e-15);
    }
    let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let scaled = economic_from_means(ids, &[1e4, 2e4, 4e4], "y", &EconomicOptions::default()).unwrap();
    for (a, b) in scaled.to_dense().iter().zip(want) {
        assert!((a - b).abs() < 1e-15, "scale ×1e4 changed W: {a} vs {b}");
    }
    // Other forms: inverse squared C = (0, 1, 1/9; 1, 0, 1/4; 1/9, 1/4, 0); exp C = e^−|Δ|.
    let ids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let sq = EconomicOptions {
        form: EconForm::InverseSquared,
        ..Default::default()
    };
    let w2 = economic_from_means(ids.clone(), &[1.0, 2.0, 4.0], "y", &sq).unwrap();
    assert!((w2.to_dense()[1] - 0.9).abs() < 1e-15);
    let ex = EconomicOptions {
        form: EconForm::Exp,
        ..Default::default()
    };
    let w3 = economic_from_means(ids, &[1.0, 2.0, 4.0], "y", &ex).unwrap();
    let (e1, e3) = ((-1.0f64).exp(), (-3.0f64).exp());
    assert!((w3.to_dense()[1] - e1 / (e1 + e3)).abs() < 1e-15);
}

#[test]
fn economic_ties_are_an_error_unless_min_gap() {
    let ids: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let e = economic_from_means(ids.clone(), &[1.0, 2.0, 1.0, 3.0], "gdppc", &EconomicOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("(a, c)") && e.contains("min_gap") && e.contains("gdppc"),
        "{e}"
    );
    let o = EconomicOptions {
        min_gap: Some(0.5),
        ..Default::default()
    };
    let w = economic_from_means(ids, &[1.0, 2.0, 1.0, 3.0], "gdppc", &o).unwrap();
    // Row a: c = (1/1, 1/0.5, 1/2) for b, c, d → w_ac = 2/3.5.
    assert!((w.to_dense()[2] - 2.0 / 3.5).abs() < 1e-15);
}

#[test]
fn gal_gwt_csv_round_trips() {
    let queen = columbus_queen();
    let econ = weights_economic(&citycluster_panel(), "gdppc", &EconomicOptions::default()).unwrap();
    for (w, name) in [(&queen, "columbus"), (&econ, "econ")] {
        for ext in ["gwt", "csv"] {
            let p = tmp(&format!("{name}.{ext}"));
            save_weights(w, &p).unwrap();
            let back = read_weights(&p).unwrap();
            assert_eq!(back.ids(), w.ids(), "{name}.{ext}: ids");
            assert_eq!(back.nnz(), w.nnz(), "{name}.{ext}: links");
            for (a, b) in back.to_dense().iter().zip(w.to_dense()) {
                assert!(
                    (a - b).abs() <= 8.0 * f64::EPSILON * b.abs(),
                    "{name}.{ext}: {a} vs {b}"
                );
            }
            assert!(back.sym_scale().is_some(), "{name}.{ext}: similarity lost");
        }
    }
    // GAL keeps the pattern; read back row-standardised it equals the row-standardised queen W.
    let p = tmp("columbus.gal");
    save_weights(&queen, &p).unwrap();
    let back = read_weights(&p).unwrap();
    assert_eq!(back.standardization(), Standardization::Row);
    assert_eq!(back.to_dense(), queen.to_dense());
    let binary = read_weights_with(
        &p,
        &ReadOptions {
            standardize: Some(Standardization::None),
            keep_islands: false,
            allow_negative: false,
        },
    )
    .unwrap();
    assert!(binary.is_symmetric() && binary.matrix().data().iter().all(|v| *v == 1.0));
    // Islands survive a CSV round trip when kept.
    let keep = Common {
        standardize: Standardization::Row,
        keep_islands: true,
        allow_negative: false,
    };
    let f = points_frame(&[[0.0, 0.0], [1.0, 0.0], [9.0, 9.0]]);
    let w = weights_band(
        &f,
        "id",
        "x",
        "y",
        &BandOptions {
            cutoff: 1.5,
            metric: Metric::Euclidean,
            common: keep,
        },
    )
    .unwrap();
    let p = tmp("islands.csv");
    save_weights(&w, &p).unwrap();
    let e = read_weights(&p).unwrap_err().to_string();
    assert!(e.contains("islands") && e.contains("u3"), "{e}");
    let o = ReadOptions {
        standardize: None,
        keep_islands: true,
        allow_negative: false,
    };
    assert_eq!(read_weights_with(&p, &o).unwrap().n(), 3);
}

fn points_frame(pts: &[[f64; 2]]) -> Frame {
    Frame::from_columns(vec![
        (
            "id".into(),
            Column::Text((1..=pts.len()).map(|i| format!("u{i}")).collect()),
        ),
        ("x".into(), Column::Num(pts.iter().map(|p| p[0]).collect())),
        ("y".into(), Column::Num(pts.iter().map(|p| p[1]).collect())),
    ])
    .unwrap()
}

#[test]
fn distance_knn_band_block() {
    let pts = [[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]];
    let f = points_frame(&pts);
    let none = Common {
        standardize: Standardization::None,
        keep_islands: false,
        allow_negative: false,
    };
    let d = weights_distance(
        &f,
        "id",
        "x",
        "y",
        &DistanceOptions {
            common: none,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(d.to_dense()[..4], [0.0, 1.0, 1.0 / 3.0, 1.0 / 7.0]);
    let d2 = weights_distance(
        &f,
        "id",
        "x",
        "y",
        &DistanceOptions {
            power: 2.0,
            cutoff: Some(2.5),
            common: none,
            ..Default::default()
        },
    );
    // Unit 4 has nobody within 2.5: an island named in the error.
    let e = d2.unwrap_err().to_string();
    assert!(e.contains("u4") && e.contains("islands"), "{e}");
    let k = weights_knn(
        &f,
        "id",
        "x",
        "y",
        &KnnOptions {
            k: 1,
            common: none,
            ..Default::default()
        },
    )
    .unwrap();
    let nb: Vec<usize> = k.matrix().outer_iterator().map(|r| r.indices()[0]).collect();
    assert_eq!(nb, vec![1, 0, 1, 2]);
    assert!(!k.is_symmetric());
    let ks = weights_knn(
        &f,
        "id",
        "x",
        "y",
        &KnnOptions {
            k: 1,
            symmetric: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(ks.sym_scale().is_some());
    assert!(weights_knn(
        &f,
        "id",
        "x",
        "y",
        &KnnOptions {
            k: 4,
            ..Default::default()
        }
    )
    .is_err());
    // Haversine band: 1° of latitude ≈ 111.19 km.
    let g = points_frame(&[[116.4, 39.9], [116.4, 40.9], [121.5, 31.2]]);
    let band = BandOptions {
        cutoff: 120.0,
        metric: Metric::Haversine,
        common: Common {
            standardize: Standardization::None,
            keep_islands: true,
            allow_negative: false,
        },
    };
    let b = weights_band(&g, "id", "x", "y", &band).unwrap();
    assert_eq!(b.nnz(), 2);
    let bad = points_frame(&[[39.9, 116.4], [40.9, 116.4]]);
    let e = weights_band(&bad, "id", "x", "y", &band).unwrap_err().to_string();
    assert!(e.contains("latitude"), "{e}");
    // Blocks from a panel: one group per unit.
    let p = citycluster_panel();
    let w = weights_block(p.frame(), "id", "cluster", &Common::default()).unwrap();
    assert_eq!(w.n(), 176);
    // 14 clusters of 10 and 4 of 9 cities: 14·90 + 4·72 links.
    assert_eq!(w.nnz(), 14 * 90 + 4 * 72);
    assert_spectra_agree(&w, "block W");
    let e = weights_block(p.frame(), "id", "y", &Common::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("unit C001") && e.contains("'y'"), "{e}");
}

#[test]
fn knn_large_n_is_fast_and_exact() {
    // Deterministic scattered points; check against brute force on a sample of units.
    let n = 20_000;
    let pts: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let t = i as f64;
            [
                (t * 0.618_033_988_75).fract() * 100.0,
                (t * 0.414_213_562_37).fract() * 100.0,
            ]
        })
        .collect();
    let ids = crate::common::ids(n);
    // (Its speed is measured by benches/weights.rs, "knn k=6 N=100000".)
    let w = knn_from_points(ids, &pts, &KnnOptions::default()).unwrap();
    assert_eq!(w.nnz(), 6 * n);
    for i in (0..n).step_by(997) {
        let mut d: Vec<(f64, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| ((pts[i][0] - pts[j][0]).hypot(pts[i][1] - pts[j][1]), j))
            .collect();
        d.sort_by(|a, b| a.0.total_cmp(&b.0));
        let kth = d[5].0;
        for j in w.matrix().outer_view(i).unwrap().indices() {
            let dj = (pts[i][0] - pts[*j][0]).hypot(pts[i][1] - pts[*j][1]);
            assert!(
                dj <= kth,
                "unit {i}: neighbour {j} at {dj} beyond the 6th distance {kth}"
            );
        }
    }
}

#[test]
fn contiguity_of_50k_polygons_is_complete() {
    // (Its speed is measured by benches/weights.rs, "queen contiguity 50176 polygons".)
    let (r, c) = (224usize, 224usize);
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
    for i in 0..r {
        for j in 0..c {
            let (x, y) = (j as f64, i as f64);
            if i + j > 0 {
                s.push(',');
            }
            s += &format!(
                "{{\"type\":\"Feature\",\"properties\":{{\"id\":\"{i}_{j}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}}}",
                x + 1.0,
                x + 1.0,
                y + 1.0,
                y + 1.0
            );
        }
    }
    s += "]}";
    let p = tmp("grid.geojson");
    std::fs::write(&p, s).unwrap();
    let q = weights_contiguity(&p, &ContiguityOptions::default()).unwrap();
    let rook_links = 2 * (r * (c - 1) + c * (r - 1));
    assert_eq!(q.nnz(), rook_links + 4 * (r - 1) * (c - 1));
    let o = ContiguityOptions {
        rule: Rule::Rook,
        ..Default::default()
    };
    assert_eq!(weights_contiguity(&p, &o).unwrap().nnz(), rook_links);
}

#[test]
fn bad_inputs_give_clear_errors() {
    // Malformed GAL: the neighbour line lists fewer ids than announced.
    let p = tmp("bad.gal");
    std::fs::write(&p, "3\n1 2\n2\n2 1\n1\n3 0\n\n").unwrap();
    let e = read_weights(&p).unwrap_err().to_string();
    assert!(e.contains("bad.gal:3:") && e.contains("announces 2"), "{e}");
    let p = tmp("bad.csv");
    std::fs::write(&p, "i,j,w\na,b,1\nb,a,x\n").unwrap();
    let e = read_weights(&p).unwrap_err().to_string();
    assert!(e.contains("bad.csv:3:") && e.contains("'x'"), "{e}");
    let p = tmp("dup.gwt");
    std::fs::write(&p, "0 2 x id\na b 1\nb a 1\na b 2\n").unwrap();
    let e = read_weights(&p).unwrap_err().to_string();
    assert!(e.contains("dup.gwt:4:") && e.contains("line 2"), "{e}");
    assert!(read_weights(&tmp("w.txt"))
        .unwrap_err()
        .to_string()
        .contains(".gal, .gwt, .csv"));
    // Malformed GeoJSON feature.
    let p = tmp("bad.geojson");
    std::fs::write(
        &p,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
        {"type":"Feature","properties":{"id":2},"geometry":{"type":"Point","coordinates":[0,0]}}]}"#,
    )
    .unwrap();
    let e = weights_contiguity(&p, &ContiguityOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad.geojson") && e.contains("feature 1") && e.contains("Point"),
        "{e}"
    );
    std::fs::write(
        &p,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,"a"],[1,1],[0,0]]]}}]}"#,
    )
    .unwrap();
    let e = weights_contiguity(&p, &ContiguityOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("feature 0") && e.contains("position 1"), "{e}");
    let o = ContiguityOptions {
        id: "NAME".into(),
        ..Default::default()
    };
    let e = weights_contiguity(&fixture("columbus/columbus.geojson"), &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("feature 0") && e.contains("POLYID"), "{e}");
    // Islands: two touching squares and a far one.
    std::fs::write(
        &p,
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":"a"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
        {"type":"Feature","properties":{"id":"b"},"geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}},
        {"type":"Feature","properties":{"id":"far"},"geometry":{"type":"MultiPolygon","coordinates":[[[[5,5],[6,5],[6,6],[5,5]]]]}}]}"#,
    )
    .unwrap();
    let e = weights_contiguity(&p, &ContiguityOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("islands") && e.contains("far"), "{e}");
    // Similarity detection refuses an asymmetric pattern.
    let k = weights_knn(
        &points_frame(&[[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]]),
        "id",
        "x",
        "y",
        &KnnOptions {
            k: 1,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(similarity_scale(k.matrix()).is_none());
}
