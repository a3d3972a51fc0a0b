//! Issue 13, items 8, 9, 17, 21, 22: weights that can be trusted (negative, non-finite,
//! overflowing and cancelling weights, empty inputs), undefined statistics without stars,
//! panics caught by `try`, LaTeX escaping, and function docs.

use crate::sandbox::{assert_no_panic, Sandbox};
use spillover::weights::build::Common;
use spillover::weights::{spectrum, Standardization, Weights};

fn ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| i.to_string()).collect()
}

// ---------------------------------------------------------------------------------------
// Item 8: negative, non-finite and overflowing weights; islands; eigenvalues never NaN
// ---------------------------------------------------------------------------------------

#[test]
fn negative_weights_are_refused_naming_the_pair_unless_allowed() {
    let s = Sandbox::new(
        "tw_negative",
        &[
            ("neg.csv", b"i,j,w\n1,2,1\n2,1,-0.5\n2,3,1\n3,2,1\n"),
            ("neg.gwt", b"0 3 x id\n1 2 1\n2 1 1\n2 3 -2\n3 2 1\n"),
        ],
    );
    s.fails(
        "read_weights(\"neg.csv\")",
        &["neg.csv", "negative weight -0.5 from unit 2 to unit 1", "allow_negative: true"],
    );
    s.fails(
        "read_weights(\"neg.gwt\", #{standardize: \"row\"})",
        &["neg.gwt", "negative weight -2 from unit 2 to unit 3", "allow_negative"],
    );
    // Allowed: W = [[0,1,0],[-0.5,0,1],[0,1,0]] has characteristic polynomial
    // -ω³ + 0.5ω = 0, so ω = 0, ±√0.5.
    let out = s.succeeds(
        "let e = read_weights(\"neg.csv\", #{allow_negative: true}).eigenvalues();\n\
         print(`${e[0]} ${e[1]} ${e[2]}`);",
    );
    let ev: Vec<f64> = out.split_whitespace().map(|v| v.parse().unwrap()).collect();
    let r = 0.5f64.sqrt();
    for (got, want) in ev.iter().zip([-r, 0.0, r]) {
        assert!((got - want).abs() < 1e-12, "{out}");
    }
}

#[test]
fn row_standardised_negative_weights_give_finite_eigenvalues() {
    // Symmetric C with negative row sums (−2, 2, −2): the old similarity path took √d of a
    // negative d and returned NaN eigenvalues. W = D⁻¹C has eigenvalues equal to the general
    // solver's.
    let t = [(0, 1, 1.0), (1, 0, 1.0), (0, 2, -3.0), (2, 0, -3.0), (1, 2, 1.0), (2, 1, 1.0)];
    let common = Common {
        standardize: Standardization::Row,
        keep_islands: false,
        allow_negative: true,
    };
    let w = Weights::from_triplets_with(ids(3), &t, &common).unwrap();
    let s = w.spectrum().unwrap();
    assert!(s.re.iter().chain(&s.im).all(|v| v.is_finite()), "{s:?}");
    let g = spectrum::compute_general(&w).unwrap();
    for (a, b) in s.re.iter().zip(&g.re) {
        assert!((a - b).abs() < 1e-12, "{s:?} vs {g:?}");
    }
    // The eigenvalues sum to tr(W) = 0 and their product is det(W).
    let sum: f64 = s.re.iter().sum();
    assert!(sum.abs() < 1e-12, "{s:?}");
    // Without the flag the same triplets are refused, naming the pair.
    let e = Weights::from_triplets(ids(3), &t, Standardization::Row, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("negative weight -3 from unit 1 to unit 3"), "{e}");
}

#[test]
fn cancelling_rows_are_islands_and_overflow_or_non_finite_weights_name_the_unit() {
    let s = Sandbox::new(
        "tw_bad_values",
        &[
            ("cancel.csv", b"i,j,w\n1,2,1\n2,1,1\n2,3,-1\n3,2,1\n"),
            ("big.csv", b"i,j,w\n1,2,1e308\n1,3,1e308\n2,1,1\n3,1,1\n"),
            ("inf.csv", b"i,j,w\n1,2,inf\n2,1,1\n"),
            ("nan.gwt", b"0 2 x id\n1 2 NaN\n2 1 1\n"),
        ],
    );
    s.fails(
        "read_weights(\"cancel.csv\", #{allow_negative: true, standardize: \"row\"})",
        &["cancel.csv", "sum to 0", "islands", ": 2", "islands: \"keep\""],
    );
    s.fails(
        "read_weights(\"big.csv\")",
        &["big.csv", "weights of unit 1 sum to inf", "rescale"],
    );
    s.fails(
        "read_weights(\"inf.csv\")",
        &["inf.csv", "weight inf from unit 1 to unit 2 is not a finite number"],
    );
    s.fails(
        "read_weights(\"nan.gwt\")",
        &["nan.gwt", "from unit 1 to unit 2 is not a finite number"],
    );
    // In the core, a non-finite weight names the pair of ids.
    let e = Weights::from_triplets(ids(2), &[(0, 1, f64::INFINITY), (1, 0, 1.0)], Standardization::Row, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("from unit 1 to unit 2 is inf"), "{e}");
    // An economic-distance weight that overflows (means 1e-300 apart) names the pair too.
    let eo = spillover::weights::build::EconomicOptions {
        form: spillover::weights::build::EconForm::InverseSquared,
        ..Default::default()
    };
    let e = spillover::weights::build::economic_from_means(ids(3), &[0.0, 1e-300, 5.0], "y", &eo)
        .unwrap_err()
        .to_string();
    assert!(e.contains("from unit 1 to unit 2 is inf"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Item 17: empty inputs are errors at construction; panics are caught by `try`
// ---------------------------------------------------------------------------------------

#[test]
fn empty_inputs_are_errors_naming_the_file() {
    let s = Sandbox::new(
        "tw_empty",
        &[
            ("empty.geojson", br#"{"type":"FeatureCollection","features":[]}"#),
            ("header.csv", b"id,t,y,x\n"),
            ("pts.csv", b"id,x,y\n"),
        ],
    );
    s.fails(
        "let w = weights_contiguity(\"empty.geojson\", #{}); w.lag([1.0])",
        &["empty.geojson", "no features", "at least one unit"],
    );
    s.fails(
        "let p = panel(read_csv(\"header.csv\"), \"id\", \"t\"); weights_economic(p, \"y\")",
        &["header.csv", "no data rows"],
    );
    s.fails(
        "weights_block(read_csv(\"pts.csv\"), #{group: \"x\"})",
        &["weights_block", "pts.csv", "no data rows"],
    );
    s.fails(
        "weights_knn(read_csv(\"pts.csv\"), #{k: 1})",
        &["weights_knn", "pts.csv", "no data rows"],
    );
    // An empty triplet file.
    s.write("none.csv", b"i,j,w\n");
    s.fails("read_weights(\"none.csv\")", &["none.csv", "no units"]);
    // A W of the wrong size for lag: a clean error.
    s.write("ring.gal", b"3\n1 2\n2 3\n2 2\n1 3\n3 2\n1 2\n");
    s.fails(
        "read_weights(\"ring.gal\").lag([1.0, 2.0])",
        &["lag: 2 values for 3 units"],
    );
}

#[test]
fn a_native_panic_is_caught_by_try() {
    let s = Sandbox::new("tw_panic", &[]);
    let out = s.succeeds(
        "try { panic_for_testing(\"boom\"); print(\"not reached\"); } catch (e) { print(\"caught\"); print(e); }\n\
         print(\"after\");",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "caught", "{out}");
    assert!(
        lines[1].contains("internal error in panic_for_testing: boom") && lines[1].contains("this is a bug"),
        "{out}"
    );
    assert_eq!(lines[2], "after", "{out}");
    // Uncaught, it ends the run with status 1 and the same message, without panic text.
    let err = s.fails("panic_for_testing(\"boom\")", &["internal error in panic_for_testing", "this is a bug"]);
    assert_no_panic(&err);
}
