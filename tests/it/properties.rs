//! Property tests (proptest) of identities that hold for every input:
//! * the within transformation is idempotent (docs/methods.md §5), for every fixed-effects kind;
//! * row-standardised W has rows summing to one (islands kept: zero rows stay zero);
//! * Moran's I is invariant to affine changes a + b·x of the variable, b ≠ 0 (docs/methods.md §3);
//! * total effects equal (β + θ)/(1 − ρ) for row-standardised W (docs/methods.md §9), computed through
//!   the general row-sum-moment path, not the row-stochastic shortcut;
//!
//! and a quick in-CI complement of the fuzz targets: the parsers never panic on arbitrary text.

use crate::common::ids;
use proptest::prelude::*;
use spillover::data::csv::{parse_csv, CsvOptions};
use spillover::effects::{point_effects, row_sum_moments, EffectsInput, TraceEngine};
use spillover::esda::{moran, MoranOptions};
use spillover::models::within::demean;
use spillover::models::{Fe, Formula, ModelKind};
use spillover::weights::io::{parse_weights, Format, ReadOptions};
use spillover::weights::{Standardization, Weights};

/// Random positive weights on a ring (no islands) plus random extra links, as triplets.
fn links() -> impl Strategy<Value = (usize, Vec<(usize, usize, f64)>)> {
    (4usize..25).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec((0..n, 0..n, 0.01f64..10.0), 0..3 * n),
            prop::collection::vec(0.01f64..10.0, n),
        )
            .prop_map(|(n, extra, ring)| {
                let mut t: Vec<(usize, usize, f64)> = (0..n).map(|i| (i, (i + 1) % n, ring[i])).collect();
                // One weight per pair: from_triplets would add duplicates up.
                for (i, j, w) in extra {
                    if i != j && !t.iter().any(|&(a, b, _)| a == i && b == j) {
                        t.push((i, j, w));
                    }
                }
                (n, t)
            })
    })
}

/// The symmetric links C + Cᵀ of `t` (one weight per unordered pair), so that W = D⁻¹C has a
/// real spectrum (a non-symmetric C may have none below zero; see the report on
/// `Spectrum::interval`).
fn symmetric(t: &[(usize, usize, f64)]) -> Vec<(usize, usize, f64)> {
    let mut pairs = std::collections::BTreeMap::new();
    for &(i, j, w) in t {
        pairs.entry((i.min(j), i.max(j))).or_insert(w);
    }
    pairs
        .into_iter()
        .flat_map(|((i, j), w)| [(i, j, w), (j, i, w)])
        .collect()
}

fn fe_kind() -> impl Strategy<Value = Fe> {
    prop_oneof![Just(Fe::None), Just(Fe::Individual), Just(Fe::Time), Just(Fe::TwoWays)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn within_transformation_is_idempotent(
        (n, x) in (1usize..12, 1usize..8).prop_flat_map(|(n, t)| {
            (Just(n), prop::collection::vec(-1e3f64..1e3, n * t))
        }),
        fe in fe_kind(),
    ) {
        let once = demean(&x, n, fe);
        let twice = demean(&once, n, fe);
        let scale = x.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (a, b) in once.iter().zip(&twice) {
            prop_assert!((a - b).abs() <= 1e-12 * scale, "{a} vs {b} ({fe:?})");
        }
    }

    #[test]
    fn row_standardised_rows_sum_to_one((n, t) in links(), island in any::<bool>()) {
        // Optionally cut every link of unit 0 to make it an island (kept).
        let t: Vec<_> = if island { t.into_iter().filter(|&(i, j, _)| i != 0 && j != 0).collect() } else { t };
        prop_assume!(!t.is_empty());
        let w = Weights::from_triplets(ids(n), &t, Standardization::Row, true).unwrap();
        let raw = Weights::from_triplets(ids(n), &t, Standardization::None, true).unwrap();
        let again = raw.standardize(Standardization::Row).unwrap();
        for m in [&w, &again] {
            for (i, row) in m.matrix().outer_iterator().enumerate() {
                let s: f64 = row.data().iter().sum();
                if raw.matrix().outer_view(i).unwrap().nnz() == 0 {
                    // An island (unit 0, or a unit whose only link went to it) stays a zero row.
                    prop_assert_eq!(row.nnz(), 0);
                } else {
                    prop_assert!((s - 1.0).abs() <= 1e-12, "row {} sums to {}", i, s);
                    prop_assert!(row.data().iter().all(|v| *v > 0.0));
                }
            }
        }
    }

    #[test]
    fn moran_is_invariant_to_affine_changes(
        (n, t) in links(),
        seed in prop::collection::vec(-50.0f64..50.0, 25),
        a in -1e3f64..1e3,
        b in prop_oneof![-1e3f64..-1e-2, 1e-2f64..1e3],
    ) {
        let w = Weights::from_triplets(ids(n), &t, Standardization::Row, false).unwrap();
        let mut x: Vec<f64> = seed[..n].to_vec();
        x[0] += 1.0; // never constant
        x[1] -= 1.0;
        let y: Vec<f64> = x.iter().map(|v| a + b * v).collect();
        let o = MoranOptions::default();
        let (mx, my) = (moran(&x, &w, &o).unwrap(), moran(&y, &w, &o).unwrap());
        let tol = 1e-8 * (1.0 + mx.i.abs());
        prop_assert!((mx.i - my.i).abs() <= tol, "I {} vs {}", mx.i, my.i);
        prop_assert!((mx.variance_random - my.variance_random).abs() <= 1e-8 * mx.variance_random.abs().max(1e-12));
    }

    #[test]
    fn total_effects_equal_beta_plus_theta_over_one_minus_rho(
        (n, t) in links().prop_map(|(n, t)| (n, symmetric(&t))),
        beta in -5.0f64..5.0,
        theta in -5.0f64..5.0,
        rho in -0.7f64..0.7,
    ) {
        let w = Weights::from_triplets(ids(n), &t, Standardization::Row, false).unwrap();
        let spectrum = w.spectrum().unwrap();
        let interval = spectrum.interval();
        // 200 moments: the series error |ρ|^201/(1 − |ρ|) < 1e-30 for |ρ| ≤ 0.7.
        let input = EffectsInput {
            kind: ModelKind::Sdm,
            names: vec!["x".into()],
            beta: vec![beta],
            theta: vec![Some(theta)],
            rho,
            cov: vec![0.01, 0.0, 0.0, 0.0, 0.01, 0.0, 0.0, 0.0, 0.001],
            cov_dim: 3,
            beta_index: vec![0],
            theta_index: vec![Some(1)],
            rho_index: Some(2),
            spectrum: Some(spectrum),
            traces: None,
            interval,
            row_stochastic: false,
            row_sum_moments: Some(row_sum_moments(&w, 200)),
        };
        let fx = point_effects(&input, TraceEngine::Eigen).unwrap();
        let want = (beta + theta) / (1.0 - rho);
        let [ade, aie, ate] = fx[0];
        prop_assert!((ate - want).abs() <= 1e-10 * want.abs().max(1.0), "total {} vs {}", ate, want);
        prop_assert!((ade + aie - ate).abs() <= 1e-12 * ate.abs().max(1.0));
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_text(text in "[a-z0-9 ,;.~+\"\\-\n\t{}\\[\\]:]{0,200}") {
        let _ = parse_csv(text.as_bytes(), "p.csv", &CsvOptions::default());
        for f in [Format::Gal, Format::Gwt, Format::Csv] {
            let _ = parse_weights(text.as_bytes(), "p.w", f, &ReadOptions::default());
        }
        let _ = spillover::weights::contiguity::parse_geojson(&text, "p.geojson", "id");
        let _ = Formula::parse(&text);
    }
}
