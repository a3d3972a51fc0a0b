//! Issue 18, weights of regional studies (docs/methods.md §16): great-circle and ellipsoidal
//! distances against the METHODS §16.1 check values, the decay families and the nested
//! economic–geographic forms against computations written here from their definitions,
//! higher-order contiguity against the reference order-2 matrix of produc, W algebra on
//! matched ids, and the Rhai calls (operators, options, `save` forms).

use crate::common::fixture;
use spillover::data::{Column, Frame, Panel};
use spillover::weights::build::{
    haversine_km, weights_distance, Common, Decay, DistanceOptions, Metric, EARTH_RADIUS_KM,
};
use spillover::weights::geodesic::ellipsoid_km;
use spillover::weights::io::{read_weights, read_weights_with, ReadOptions};
use spillover::weights::knn::{knn_from_points, KnnOptions, PointIndex};
use spillover::weights::nested::{weights_nested, NestedForm, NestedOptions};
use spillover::weights::order::higher_order;
use spillover::weights::{Standardization, Weights};
use std::collections::{HashMap, HashSet};

const BEIJING: [f64; 2] = [116.40, 39.90];
const SHANGHAI: [f64; 2] = [121.47, 31.23];

fn none() -> Common {
    Common {
        standardize: Standardization::None,
        keep_islands: false,
        allow_negative: false,
    }
}

fn assert_dense(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: size");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1e-300) || (g - w).abs() <= 1e-15,
            "{what}: cell {k}: got {g:e}, want {w:e}"
        );
    }
}

/// Row standardisation of a dense n × n matrix, written here from the definition.
fn rowstd(c: &[f64], n: usize) -> Vec<f64> {
    let mut out = c.to_vec();
    for i in 0..n {
        let s: f64 = c[i * n..(i + 1) * n].iter().sum();
        for j in 0..n {
            out[i * n + j] = c[i * n + j] / s;
        }
    }
    out
}

fn points_frame(ids: &[&str], pts: &[[f64; 2]]) -> Frame {
    Frame::from_columns(vec![
        ("id".into(), Column::Text(ids.iter().map(|s| s.to_string()).collect())),
        ("x".into(), Column::Num(pts.iter().map(|p| p[0]).collect())),
        ("y".into(), Column::Num(pts.iter().map(|p| p[1]).collect())),
    ])
    .unwrap()
}

#[test]
fn great_circle_distances_match_the_methods_check_values() {
    // METHODS §16.1: Beijing–Shanghai.
    let h = haversine_km(BEIJING, SHANGHAI);
    assert!((h - 1067.079).abs() < 5e-4, "haversine R = 6371.0088: {h}");
    assert_eq!(EARTH_RADIUS_KM, 6371.0088);
    let h6371 = h / EARTH_RADIUS_KM * 6371.0;
    assert!((h6371 - 1067.077).abs() < 5e-4, "haversine R = 6371: {h6371}");
    let e = ellipsoid_km(BEIJING, SHANGHAI);
    assert!((e - 1065.615).abs() < 5e-4, "WGS84 geodesic (GeographicLib): {e}");
    assert_eq!(Metric::Ellipsoid.distance(BEIJING, SHANGHAI), e);
    // One degree of longitude on the equator: sp 111.3195 km, haversine (R = 6371) 111.1949 km.
    let eq = ellipsoid_km([0.0, 0.0], [1.0, 0.0]);
    assert!((eq - 111.3195).abs() < 5e-5, "{eq}");
    let h1 = haversine_km([0.0, 0.0], [1.0, 0.0]) / EARTH_RADIUS_KM * 6371.0;
    assert!((h1 - 111.1949).abs() < 5e-5, "{h1}");
    // Symmetric, and the ellipsoid differs from the sphere by well under 1%.
    assert!((ellipsoid_km(SHANGHAI, BEIJING) - e).abs() < 1e-9);
    assert!((e / h - 1.0).abs() < 0.01);
}

/// Deterministic scattered (lon, lat) points over China.
fn scattered(n: usize) -> Vec<[f64; 2]> {
    let mut s: u64 = 12345;
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(|_| [75.0 + 60.0 * next(), 20.0 + 32.0 * next()]).collect()
}

#[test]
fn ellipsoid_neighbours_and_bands_equal_a_brute_force_search() {
    let pts = scattered(80);
    let n = pts.len();
    let ids: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
    let k = 4;
    let w = knn_from_points(
        ids.clone(),
        &pts,
        &KnnOptions {
            k,
            metric: Metric::Ellipsoid,
            symmetric: false,
            common: none(),
        },
    )
    .unwrap();
    let index = PointIndex::new(&pts, Metric::Ellipsoid);
    for i in 0..n {
        let mut all: Vec<(f64, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| (ellipsoid_km(pts[i], pts[j]), j))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut want: Vec<usize> = all[..k].iter().map(|p| p.1).collect();
        want.sort_unstable();
        let got: Vec<usize> = w.matrix().outer_view(i).unwrap().indices().to_vec();
        assert_eq!(got, want, "kNN of unit {i}");
        let band: Vec<usize> = all.iter().filter(|p| p.0 <= 500.0).map(|p| p.1).collect();
        let mut band_sorted = band.clone();
        band_sorted.sort_unstable();
        assert_eq!(index.within(i, 500.0).0, band_sorted, "band of unit {i}");
    }
}

#[test]
fn decay_families_follow_their_definitions() {
    // Four units on a line at 0, 1, 3, 7: d_ij = |x_i − x_j|.
    let xs = [0.0, 1.0, 3.0, 7.0];
    let f = points_frame(&["a", "b", "c", "d"], &xs.map(|x| [x, 0.0]));
    let n = 4;
    let dist = |i: usize, j: usize| (xs[i] - xs[j]).abs();
    let expect = |c: &dyn Fn(f64) -> f64| -> Vec<f64> {
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    m[i * n + j] = c(dist(i, j));
                }
            }
        }
        m
    };
    let build = |decay: Decay, alpha: Option<f64>, cutoff: Option<f64>, common: Common| {
        weights_distance(
            &f,
            "id",
            "x",
            "y",
            &DistanceOptions {
                decay,
                alpha,
                cutoff,
                common,
                ..Default::default()
            },
        )
    };
    let row = Common::default();
    // Inverse distance, α = 1 and α = 1.5; row-standardised last.
    let w = build(Decay::Inverse, None, None, none()).unwrap();
    assert_dense("inverse", &w.to_dense(), &expect(&|d| 1.0 / d), 1e-15);
    let w = build(Decay::Inverse, Some(1.5), None, row).unwrap();
    assert_dense(
        "inverse 1.5 row",
        &w.to_dense(),
        &rowstd(&expect(&|d| d.powf(-1.5)), n),
        1e-14,
    );
    // Row a of 1/d standardised: (1, 1/3, 1/7) / (31/21).
    let w = build(Decay::Inverse, None, None, row).unwrap();
    assert!((w.to_dense()[1] - 21.0 / 31.0).abs() < 1e-15);
    // Inverse squared.
    let w = build(Decay::InverseSquared, None, None, none()).unwrap();
    assert_dense("inverse_squared", &w.to_dense(), &expect(&|d| 1.0 / (d * d)), 1e-15);
    // Exponential exp(−0.3 d).
    let w = build(Decay::Exponential, Some(0.3), None, row).unwrap();
    assert_dense(
        "exponential",
        &w.to_dense(),
        &rowstd(&expect(&|d| (-0.3 * d).exp()), n),
        1e-14,
    );
    // Double power with d̄ = 4.5 and α = 2 (default): (1 − (d/4.5)²)² for d < 4.5, else 0 (no
    // link): the pairs (a, d) and (b, d) are not links.
    let w = build(Decay::DoublePower, None, Some(4.5), none()).unwrap();
    let dp = |d: f64| {
        if d < 4.5 {
            (1.0 - (d / 4.5).powi(2)).powi(2)
        } else {
            0.0
        }
    };
    assert_dense("double_power", &w.to_dense(), &expect(&dp), 1e-15);
    assert_eq!(w.nnz(), 8, "only pairs closer than d̄ are links");
    // α = 3 and row standardisation.
    let w = build(Decay::DoublePower, Some(3.0), Some(4.5), row).unwrap();
    let dp3 = |d: f64| {
        if d < 4.5 {
            (1.0 - (d / 4.5).powi(3)).powi(3)
        } else {
            0.0
        }
    };
    assert_dense("double_power 3", &w.to_dense(), &rowstd(&expect(&dp3), n), 1e-14);
    // The cut-off is inclusive: with cutoff 2, the pair (b, c) at distance exactly 2 is kept.
    let w = build(
        Decay::Inverse,
        None,
        Some(2.0),
        Common {
            keep_islands: true,
            ..none()
        },
    )
    .unwrap();
    let cut = |d: f64| if d <= 2.0 { 1.0 / d } else { 0.0 };
    assert_dense("inverse cutoff", &w.to_dense(), &expect(&cut), 1e-15);
    // Spectral standardisation of the symmetric 1/d matrix: largest |eigenvalue| 1.
    let w = build(
        Decay::Inverse,
        None,
        None,
        Common {
            standardize: Standardization::Spectral,
            ..none()
        },
    )
    .unwrap();
    let r = w.spectrum().unwrap().spectral_radius();
    assert!((r - 1.0).abs() < 1e-12, "{r}");
    // Missing or bad parameters are errors that say what to pass.
    let e = build(Decay::Exponential, None, None, row).unwrap_err().to_string();
    assert!(e.contains("alpha"), "{e}");
    let e = build(Decay::DoublePower, None, None, row).unwrap_err().to_string();
    assert!(e.contains("cutoff"), "{e}");
    let e = build(Decay::Inverse, Some(-1.0), None, row).unwrap_err().to_string();
    assert!(e.contains("positive"), "{e}");
    // Coincident points are an error naming them.
    let g = points_frame(&["p", "q", "r"], &[[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]]);
    let e = weights_distance(&g, "id", "x", "y", &DistanceOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("p and q") && e.contains("distance 0"), "{e}");
}

#[test]
fn ellipsoid_weights_differ_from_spherical_ones_by_the_direction_dependent_correction() {
    let f = points_frame(&["bj", "sh", "gz"], &[BEIJING, SHANGHAI, [113.26, 23.13]]);
    let build = |metric| {
        weights_distance(
            &f,
            "id",
            "x",
            "y",
            &DistanceOptions {
                metric,
                ..Default::default()
            },
        )
        .unwrap()
        .to_dense()
    };
    let (s, e) = (build(Metric::Haversine), build(Metric::Ellipsoid));
    let pts = [BEIJING, SHANGHAI, [113.26, 23.13]];
    let want: Vec<f64> = {
        let mut c = vec![0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                if i != j {
                    c[i * 3 + j] = 1.0 / ellipsoid_km(pts[i], pts[j]);
                }
            }
        }
        rowstd(&c, 3)
    };
    assert_dense("ellipsoid 1/d", &e, &want, 1e-14);
    let rel = (s[1] - e[1]).abs() / e[1];
    assert!(rel > 1e-5 && rel < 1e-2, "{rel}");
}

/// A 2-period panel of units a, b, c with means Ȳ = (3, 1, 6), rows in the order c, a, b (so
/// matching by position would fail).
fn nested_panel() -> Panel {
    let f = Frame::from_columns(vec![
        (
            "id".into(),
            Column::Text(["c", "a", "b", "c", "a", "b"].iter().map(|s| s.to_string()).collect()),
        ),
        ("time".into(), Column::Num(vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0])),
        ("y".into(), Column::Num(vec![5.0, 2.0, 1.0, 7.0, 4.0, 1.0])),
    ])
    .unwrap();
    Panel::new(&f, "id", "time").unwrap()
}

#[test]
fn nested_forms_follow_their_definitions() {
    let p = nested_panel();
    // Geographic W on units a, b, c at 0, 1, 3 on a line; Ȳ = (3, 1, 6), Ȳ̄ = 10/3.
    let xs = [0.0, 1.0, 3.0];
    let ybar = [3.0, 1.0, 6.0];
    let ymean = 10.0 / 3.0;
    let n = 3;
    let f = points_frame(&["a", "b", "c"], &xs.map(|x| [x, 0.0]));
    let geo = |decay| {
        weights_distance(
            &f,
            "id",
            "x",
            "y",
            &DistanceOptions {
                decay,
                common: none(),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let (inv, inv2) = (geo(Decay::Inverse), geo(Decay::InverseSquared));
    let c_of = |g: &dyn Fn(usize, usize) -> f64| -> Vec<f64> {
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    m[i * n + j] = g(i, j);
                }
            }
        }
        m
    };
    let d = |i: usize, j: usize| (xs[i] - xs[j]).abs();
    let nested = |w: &Weights, form, weight, last| {
        weights_nested(
            w,
            &p,
            "y",
            &NestedOptions {
                form,
                weight,
                standardize_last: last,
                common: Common::default(),
            },
        )
    };
    // N2: rowstd(W_d · diag(Ȳ_j/Ȳ̄)); row a: (1·1, (1/3)·6)/Ȳ̄ → (1/3, 2/3).
    let n2 = nested(&inv, NestedForm::N2, None, true).unwrap();
    let want = rowstd(&c_of(&|i, j| ybar[j] / ymean / d(i, j)), n);
    assert_dense("N2", &n2.to_dense(), &want, 1e-14);
    assert!((n2.to_dense()[1] - 1.0 / 3.0).abs() < 1e-15 && (n2.to_dense()[2] - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(n2.ids(), inv.ids());
    // Ȳ is matched by id: the same W with its units listed as (c, b, a) gives the same weights.
    let order: Vec<String> = ["c", "b", "a"].iter().map(|s| s.to_string()).collect();
    let permuted = nested(&inv.aligned_to(&order).unwrap(), NestedForm::N2, None, true).unwrap();
    assert_eq!(permuted.ids(), order.as_slice());
    assert_dense(
        "N2 permuted",
        &permuted.aligned_to(inv.ids()).unwrap().to_dense(),
        &want,
        1e-14,
    );
    // Real spectrum through the similarity D'D_Y (METHODS §16.3): recorded.
    assert!(n2.sym_scale().is_some());
    // N2 without the last standardisation: the raw product, row a = (0.3, 0.6).
    let raw = nested(&inv, NestedForm::N2, None, false).unwrap();
    assert_dense(
        "N2 raw",
        &raw.to_dense(),
        &c_of(&|i, j| ybar[j] / ymean / d(i, j)),
        1e-14,
    );
    assert!((raw.to_dense()[1] - 0.3).abs() < 1e-15);
    // N1 on a contiguity chain a – b – c: rowstd(W_g) · diag(Ȳ_j/Ȳ̄), kept raw.
    let chain = Weights::from_triplets(
        inv.ids().to_vec(),
        &[(0, 1, 1.0), (1, 0, 1.0), (1, 2, 1.0), (2, 1, 1.0)],
        Standardization::None,
        false,
    )
    .unwrap();
    let g = [0.0, 1.0, 0.0, 0.5, 0.0, 0.5, 0.0, 1.0, 0.0];
    let n1_raw: Vec<f64> = (0..9).map(|k| g[k] * ybar[k % 3] / ymean).collect();
    let n1 = nested(&chain, NestedForm::N1, None, false).unwrap();
    assert_dense("N1 raw", &n1.to_dense(), &n1_raw, 1e-14);
    let n1 = nested(&chain, NestedForm::N1, None, true).unwrap();
    assert_dense("N1", &n1.to_dense(), &rowstd(&n1_raw, n), 1e-14);
    // Hadamard: 1/(d_ij |Ȳ_i − Ȳ_j|).
    let h = nested(&inv, NestedForm::Hadamard, None, true).unwrap();
    let want = rowstd(&c_of(&|i, j| 1.0 / (d(i, j) * (ybar[i] - ybar[j]).abs())), n);
    assert_dense("hadamard", &h.to_dense(), &want, 1e-14);
    // Convex, φ = 0.4: 0.4 rowstd(1/d) + 0.6 rowstd(1/|ΔȲ|).
    let cv = nested(&inv, NestedForm::Convex, Some(0.4), true).unwrap();
    let wd = rowstd(&c_of(&|i, j| 1.0 / d(i, j)), n);
    let we = rowstd(&c_of(&|i, j| 1.0 / (ybar[i] - ybar[j]).abs()), n);
    let want: Vec<f64> = wd.iter().zip(&we).map(|(a, b)| 0.4 * a + 0.6 * b).collect();
    assert_dense("convex", &cv.to_dense(), &want, 1e-14);
    // Gravity on 1/d²: Ȳ_i Ȳ_j / d², raw and standardised; equal to N2 on 1/d² once standardised.
    let gr = nested(&inv2, NestedForm::Gravity, None, false).unwrap();
    let want = c_of(&|i, j| ybar[i] * ybar[j] / (d(i, j) * d(i, j)));
    assert_dense("gravity raw", &gr.to_dense(), &want, 1e-14);
    let gr = nested(&inv2, NestedForm::Gravity, None, true).unwrap();
    assert_dense("gravity", &gr.to_dense(), &rowstd(&want, n), 1e-14);
    let n2sq = nested(&inv2, NestedForm::N2, None, true).unwrap();
    assert_dense("gravity = N2 on 1/d²", &gr.to_dense(), &n2sq.to_dense(), 1e-14);
    // Options and data errors.
    let e = nested(&inv, NestedForm::Convex, None, true).unwrap_err().to_string();
    assert!(e.contains("weight"), "{e}");
    let e = nested(&inv, NestedForm::N2, Some(0.5), true).unwrap_err().to_string();
    assert!(e.contains("convex"), "{e}");
    let other = points_frame(&["a", "b", "z"], &xs.map(|x| [x, 0.0]));
    let wz = weights_distance(&other, "id", "x", "y", &DistanceOptions::default()).unwrap();
    let e = nested(&wz, NestedForm::N2, None, true).unwrap_err().to_string();
    assert!(e.contains("'z'"), "{e}");
}

/// The set of (i, j) links of a triplets file, read here without the library's reader.
fn links_of(path: &str) -> HashMap<(String, String), f64> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            ((v[0].to_string(), v[1].to_string()), v[2].parse::<f64>().unwrap())
        })
        .collect()
}

fn links_of_w(w: &Weights) -> HashMap<(String, String), f64> {
    let ids = w.ids();
    let mut out = HashMap::new();
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        for (j, &v) in row.iter() {
            out.insert((ids[i].clone(), ids[j].clone()), v);
        }
    }
    out
}

#[test]
fn higher_order_contiguity_matches_the_produc_reference() {
    // weights_alt_order2.csv: first- plus second-order neighbours of the file W, row-standardised.
    let w = read_weights(&fixture("produc/weights.csv")).unwrap();
    let reference = links_of(&fixture("produc/weights_alt_order2.csv"));
    let cum = higher_order(&w, 2, true, &Common::default()).unwrap();
    let got = links_of_w(&cum);
    assert_eq!(got.len(), reference.len());
    for (k, want) in &reference {
        let g = got.get(k).unwrap_or_else(|| panic!("missing link {k:?}"));
        assert!((g - want).abs() < 1e-15, "{k:?}: {g} vs {want}");
    }
    // Exactly order 2: the reference pattern without the first-order links.
    let first: HashSet<(String, String)> = links_of(&fixture("produc/weights.csv")).into_keys().collect();
    let want: HashSet<(String, String)> = reference.into_keys().filter(|k| !first.contains(k)).collect();
    let two = higher_order(&w, 2, false, &Common::default()).unwrap();
    let got: HashSet<(String, String)> = links_of_w(&two).into_keys().collect();
    assert_eq!(got, want);
    assert!((two.facts().row_sums.iter().sum::<f64>() - 48.0).abs() < 1e-12);
    // Order 1 is the binary pattern of W.
    let one = higher_order(
        &w,
        1,
        false,
        &Common {
            standardize: Standardization::None,
            ..Common::default()
        },
    )
    .unwrap();
    assert_eq!(one, w.binary().unwrap());
    // A 4-unit chain: order 3 links only the two ends; order 2 leaves nobody an island.
    let chain = Weights::from_triplets(
        (1..=4).map(|i| i.to_string()).collect(),
        &[
            (0, 1, 1.0),
            (1, 0, 1.0),
            (1, 2, 1.0),
            (2, 1, 1.0),
            (2, 3, 1.0),
            (3, 2, 1.0),
        ],
        Standardization::Row,
        false,
    )
    .unwrap();
    let e = higher_order(&chain, 3, false, &Common::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("order(3)") && e.contains("islands") && e.contains('2'),
        "{e}"
    );
    let keep = Common {
        keep_islands: true,
        ..none()
    };
    let o3 = higher_order(&chain, 3, false, &keep).unwrap();
    assert_eq!(o3.nnz(), 2);
    assert!(higher_order(&chain, 0, false, &keep).is_err());
}

#[test]
fn weights_algebra_matches_ids_and_computes_elementwise() {
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // W1 on (a, b, c); W2 the same units listed as (c, a, b).
    let w1 = Weights::from_triplets(
        ids(&["a", "b", "c"]),
        &[(0, 1, 2.0), (0, 2, 1.0), (1, 0, 4.0), (2, 1, 3.0)],
        Standardization::None,
        false,
    )
    .unwrap();
    // In W2's order (c, a, b): c→a 5, a→b 6, a→c 7, b→c 8.
    let w2 = Weights::from_triplets(
        ids(&["c", "a", "b"]),
        &[(0, 1, 5.0), (1, 2, 6.0), (1, 0, 7.0), (2, 0, 8.0)],
        Standardization::None,
        false,
    )
    .unwrap();
    // Dense in (a, b, c) order: W1 = [[0,2,1],[4,0,0],[0,3,0]], W2 = [[0,6,7],[0,0,8],[5,0,0]].
    let d1 = [0.0, 2.0, 1.0, 4.0, 0.0, 0.0, 0.0, 3.0, 0.0];
    let d2 = [0.0, 6.0, 7.0, 0.0, 0.0, 8.0, 5.0, 0.0, 0.0];
    let sum = w1.scaled(0.5).unwrap().plus(&w2.scaled(2.0).unwrap()).unwrap();
    let want: Vec<f64> = d1.iter().zip(&d2).map(|(a, b)| 0.5 * a + 2.0 * b).collect();
    assert_eq!(sum.ids(), w1.ids());
    assert_dense("0.5 W1 + 2 W2", &sum.to_dense(), &want, 1e-15);
    assert_eq!(sum.standardization(), Standardization::None);
    // Hadamard: only a→b and a→c are links of both; b and c become islands.
    let e = w1.hadamard(&w2, false).unwrap_err().to_string();
    assert!(e.contains("islands") && e.contains('b') && e.contains('c'), "{e}");
    let h = w1.hadamard(&w2, true).unwrap();
    assert_dense(
        "W1 ∘ W2",
        &h.to_dense(),
        &[0.0, 12.0, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        1e-15,
    );
    // Binary pattern and standardisation.
    let b = w1.binary().unwrap();
    assert_dense(
        "binary",
        &b.to_dense(),
        &[0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        0.0,
    );
    let r = sum.standardize(Standardization::Row).unwrap();
    assert!(r.facts().row_sums.iter().all(|s| (s - 1.0).abs() < 1e-15));
    // Different units: the error names the first id found in one W only.
    let w3 = Weights::from_triplets(
        ids(&["a", "b", "x"]),
        &[(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)],
        Standardization::None,
        false,
    )
    .unwrap();
    let e = w1.plus(&w3).unwrap_err().to_string();
    assert!(e.contains("'c'") && e.contains("not in the second"), "{e}");
    let e = w3.hadamard(&w1, true).unwrap_err().to_string();
    assert!(e.contains("'x'"), "{e}");
    assert!(w1.scaled(0.0).is_err() && w1.scaled(-1.0).is_err());
}

/// Runs a script through the engine; its error message, if any.
fn run(src: &str) -> Result<(), String> {
    let engine = spillover::script::new_engine(None);
    engine.run(src).map_err(|e| e.to_string())
}

#[test]
fn rhai_calls_of_the_weights_variants() {
    let dir = std::env::temp_dir().join(format!("spillover_wvariants_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = |f: &str| dir.join(f).to_string_lossy().replace('\\', "/");
    let script = format!(
        r#"
        let w = read_weights("{w}");
        let p = panel(read_csv("{data}"), "id", "time");
        let e = weights_economic(p, "gsp");
        let mix = w * 0.3 + e * 0.7;
        let mix2 = 0.3 * w + 7 * e * 0.1;
        let rs = mix.lag(mix.ids().map(|x| 1.0));
        for v in rs {{ if (v - 1.0).abs() > 1e-12 {{ throw "convex mix not row-stochastic: " + v; }} }}
        let two = w.order(2);
        let cum = w.cumulative(2, #{{standardize: "none"}});
        if cum.nnz != 566 || two.nnz != 352 {{ throw `order links ${{two.nnz}} ${{cum.nnz}}`; }}
        let b = w.binary();
        if b.nnz != w.nnz {{ throw "binary"; }}
        let h = w.hadamard(e).standardize("row");
        let s = h.standardize("spectral");
        let n2 = weights_nested(w, p, "gsp", #{{form: "n1", standardize_last: true}});
        let cv = weights_nested(w, p, "gsp", #{{form: "convex", weight: 0.5}});
        let c = read_csv("{columbus}");
        let g = weights_distance(c, #{{id: "POLYID", x: "X", y: "Y", decay: "double_power", cutoff: 10.0, standardize: "none"}});
        let el = weights_distance(c, #{{id: "POLYID", x: "X", y: "Y", metric: "ellipsoid", decay: "inverse_squared"}});
        w.save("{gal}", #{{form: "gal"}});
        w.save("{gwt}", #{{form: "gwt"}});
        w.save("{mat}", #{{form: "matrix"}});
        let back = read_weights("{gwt}");
        if back.nnz != w.nnz {{ throw "gwt round trip"; }}
        "#,
        w = fixture("produc/weights.csv"),
        data = fixture("produc/data.csv"),
        columbus = fixture("columbus/data.csv"),
        gal = out("w.gal"),
        gwt = out("w.gwt"),
        mat = out("w.csv"),
    );
    run(&script).unwrap();
    let back = read_weights_with(&out("w.csv"), &ReadOptions::default()).unwrap();
    assert_eq!(back.nnz(), 214);
    // Errors that name the culprit.
    let e = run(&format!(
        r#"let w = read_weights("{}"); let c = read_weights("{}"); let z = w + c;"#,
        fixture("produc/weights.csv"),
        fixture("columbus/weights.csv")
    ))
    .unwrap_err();
    assert!(e.contains("'ALABAMA'") && e.contains("not in the second"), "{e}");
    let e = run(&format!(
        r#"let w = read_weights("{}"); w.save("{}", #{{form: "gal"}});"#,
        fixture("produc/weights.csv"),
        out("x.csv")
    ))
    .unwrap_err();
    assert!(e.contains(".gal"), "{e}");
    let e = run(&format!(
        r#"let c = read_csv("{}"); weights_distance(c, #{{id: "POLYID", x: "X", y: "Y", power: 2, alpha: 1}});"#,
        fixture("columbus/data.csv")
    ))
    .unwrap_err();
    assert!(e.contains("power") && e.contains("alpha"), "{e}");
    let e = run(&format!(
        r#"let c = read_csv("{}"); weights_distance(c, #{{id: "POLYID", x: "X", y: "Y", decay: "gauss"}});"#,
        fixture("columbus/data.csv")
    ))
    .unwrap_err();
    assert!(e.contains("double_power"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn links_are_added_and_removed_symmetrically_and_restandardised() {
    let w = read_weights(&fixture("produc/weights.csv")).unwrap();
    // MAINE has one neighbour (NEW_HAMPSHIRE); MASSACHUSETTS five.
    let w2 = w.edit_link("MAINE", "MASSACHUSETTS", true, false).unwrap();
    assert_eq!(w2.nnz(), w.nnz() + 2);
    let l = links_of_w(&w2);
    let key = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert!((l[&key("MAINE", "MASSACHUSETTS")] - 0.5).abs() < 1e-15);
    assert!((l[&key("MAINE", "NEW_HAMPSHIRE")] - 0.5).abs() < 1e-15);
    assert!((l[&key("MASSACHUSETTS", "MAINE")] - 1.0 / 6.0).abs() < 1e-15);
    assert!((l[&key("MASSACHUSETTS", "VERMONT")] - 1.0 / 6.0).abs() < 1e-15);
    // Removing it again gives the original pattern, row-standardised.
    let back = w2.edit_link("MASSACHUSETTS", "MAINE", false, false).unwrap();
    let orig = links_of_w(&w);
    let got = links_of_w(&back);
    assert_eq!(got.len(), orig.len());
    for (k, v) in &orig {
        assert!((got[k] - v).abs() < 1e-14, "{k:?}");
    }
    // MAINE's only link removed: an island named in the error; unknown ids are named.
    let e = w
        .edit_link("MAINE", "NEW_HAMPSHIRE", false, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("remove_link") && e.contains("MAINE") && e.contains("islands"),
        "{e}"
    );
    let e = w.edit_link("MAINE", "HAINAN", true, false).unwrap_err().to_string();
    assert!(e.contains("'HAINAN'"), "{e}");
    // A weighted W is refused: a new link would have no obvious weight.
    let f = points_frame(&["a", "b", "c"], &[[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]]);
    let d = weights_distance(&f, "id", "x", "y", &DistanceOptions::default()).unwrap();
    let e = d.edit_link("a", "b", false, true).unwrap_err().to_string();
    assert!(e.contains("not all equal"), "{e}");
}
