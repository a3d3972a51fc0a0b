//! Issue 13, items 8, 9, 17, 21, 22: weights that can be trusted (negative, non-finite,
//! overflowing and cancelling weights, empty inputs), undefined statistics without stars,
//! panics caught by `try`, LaTeX escaping, and function docs.

use crate::common::ids;
use crate::sandbox::{assert_no_panic, Sandbox};
use spillover::weights::build::Common;
use spillover::weights::{spectrum, Standardization, Weights};

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
        &[
            "neg.csv",
            "negative weight -0.5 from unit 2 to unit 1",
            "allow_negative: true",
        ],
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
    let t = [
        (0, 1, 1.0),
        (1, 0, 1.0),
        (0, 2, -3.0),
        (2, 0, -3.0),
        (1, 2, 1.0),
        (2, 1, 1.0),
    ];
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
    let e = Weights::from_triplets(
        ids(2),
        &[(0, 1, f64::INFINITY), (1, 0, 1.0)],
        Standardization::Row,
        false,
    )
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
    let err = s.fails(
        "panic_for_testing(\"boom\")",
        &["internal error in panic_for_testing", "this is a bug"],
    );
    assert_no_panic(&err);
}

// ---------------------------------------------------------------------------------------
// Item 9: undefined statistics print as "–" without stars, with a note
// ---------------------------------------------------------------------------------------

/// Five units in one block (a complete graph: Var(I) = 0 under normality), two periods.
const COMPLETE: &[u8] = b"id,t,g,y\n1,1,a,1\n2,1,a,3\n3,1,a,2\n4,1,a,7\n5,1,a,4\n\
1,2,a,2\n2,2,a,5\n3,2,a,1\n4,2,a,3\n5,2,a,9\n";

#[test]
fn moran_under_a_complete_graph_has_no_stars_and_says_why() {
    let s = Sandbox::new("tw_undefined", &[("cg.csv", COMPLETE)]);
    let out = s.succeeds(
        "let p = panel(read_csv(\"cg.csv\"), \"id\", \"t\");\n\
         let w = weights_block(p, #{group: \"g\"});\n\
         let m = moran(p, \"y\", w);\n\
         print(m);\n\
         save(m, \"m.md\"); save(m, \"m.tex\"); save(m.long_table(), \"long.csv\");\n\
         let one = moran([1.0, 3.0, 2.0, 7.0, 4.0], w);\n\
         print(one);\n\
         save(one, \"one.csv\");",
    );
    // I = −1/(N−1) = −0.25 exactly under a complete graph; z and p are undefined.
    assert!(out.contains("-0.2500 (–)"), "{out}");
    assert!(!out.contains("0.2500*"), "{out}");
    assert!(!out.contains("inf"), "{out}");
    assert!(
        out.contains("– : undefined (the variance of the statistic is zero under this W"),
        "{out}"
    );
    // The single statistic: z and p columns show the marker, with the same reason.
    let stat_line = out.lines().find(|l| l.starts_with("normality")).unwrap();
    assert!(stat_line.trim_end().ends_with("–              –"), "{stat_line}");
    let md = std::fs::read_to_string(s.path("m.md")).unwrap();
    assert!(
        md.contains("| 1 | -0.2500 (–) |") && md.contains("– : undefined"),
        "{md}"
    );
    let tex = std::fs::read_to_string(s.path("m.tex")).unwrap();
    assert!(
        tex.contains("-0.2500 (--)") && !tex.contains('–') && !tex.contains("inf"),
        "{tex}"
    );
    // CSV: undefined z and p are empty fields.
    let long = std::fs::read_to_string(s.path("long.csv")).unwrap();
    let row1 = long.lines().nth(1).unwrap();
    assert!(row1.ends_with(",0.0,,,0.0,,,"), "{long}");
    let one = std::fs::read_to_string(s.path("one.csv")).unwrap();
    assert!(one.lines().nth(1).unwrap().ends_with(",0.0,,"), "{one}");
}

#[test]
fn one_star_rule_and_marker_for_every_table() {
    use spillover::report::table::{fmt_stat, stars_for, stat_cells, UNDEFINED};
    use spillover::report::{Cell, Table};
    assert_eq!(stars_for(f64::NEG_INFINITY, 0.0), "");
    assert_eq!(stars_for(f64::NAN, f64::NAN), "");
    assert_eq!(stars_for(3.0, 0.0027), "***");
    assert_eq!(stars_for(2.0, 0.0455), "**");
    assert_eq!(fmt_stat(f64::INFINITY, 2), UNDEFINED);
    assert_eq!(fmt_stat(-1.25, 2), "-1.25");
    // An infinite z makes p undefined too (p = 0 from z = ∞ is not a result).
    assert!(matches!(stat_cells(f64::INFINITY, 0.0)[1], Cell::P(p) if p.is_nan()));
    let mut t = Table::new("T", vec!["test".into(), "z".into(), "p".into()]);
    let [z, p] = stat_cells(f64::INFINITY, 0.0);
    t.push(vec!["a".into(), z, p]);
    let text = t.to_text();
    assert!(text.contains("a     –  –") || text.contains("a  –  –"), "{text}");
    assert!(
        text.contains("– : z or p undefined (NaN or infinite), so no stars"),
        "{text}"
    );
    assert_eq!(t.to_csv().unwrap(), "test,z,p\na,,\n");
    assert!(
        t.to_latex().unwrap().contains("a & -- & --"),
        "{}",
        t.to_latex().unwrap()
    );
    assert_eq!(t.to_json_value()["rows"][0][1], serde_json::Value::Null);
}

// ---------------------------------------------------------------------------------------
// Item 21: LaTeX output
// ---------------------------------------------------------------------------------------

#[test]
fn latex_escapes_products_stars_and_unicode() {
    use spillover::report::latex::latex_escape;
    assert_eq!(latex_escape("W*spec"), "W$\\times$spec");
    assert_eq!(latex_escape("0.5123***"), "0.5123$^{***}$");
    assert_eq!(latex_escape("*** p<0.01"), "$^{***}$ p$<$0.01");
    assert_eq!(latex_escape("θ = −0.2 ≤ ρ"), "$\\theta$ = $-$0.2 $\\leq$ $\\rho$");
    assert_eq!(latex_escape("σ² (λ)"), "$\\sigma^{2}$ ($\\lambda$)");
    assert_eq!(latex_escape("I_T ⊗ W, 50% & $"), "I\\_T $\\otimes$ W, 50\\% \\& \\$");
    assert_eq!(latex_escape("–"), "--");
}

#[test]
fn sdm_compare_table_in_latex_is_ascii_with_escaped_w_terms() {
    let data = std::fs::read("tests/fixtures/produc/data.csv").unwrap();
    let w = std::fs::read("tests/fixtures/produc/weights.csv").unwrap();
    let s = Sandbox::new("tw_latex", &[("data.csv", &data), ("weights.csv", &w)]);
    s.succeeds(
        "let p = panel(read_csv(\"data.csv\"), \"id\", \"time\");\n\
         let w = read_weights(\"weights.csv\");\n\
         let m = sdm(p, \"gsp ~ pcap + emp\", w, #{fe: \"twoways\"});\n\
         save(compare([m]), \"c.tex\");\n\
         save(m, \"m.tex\");\n\
         save(effects(m), \"e.tex\");\n\
         save(m, \"m.json\");",
    );
    for f in ["c.tex", "m.tex", "e.tex"] {
        let tex = std::fs::read_to_string(s.path(f)).unwrap();
        assert!(tex.is_ascii(), "{f} has raw non-ASCII characters:\n{tex}");
        assert!(!tex.contains("$^{*}$pcap") && !tex.contains("$^{*}$emp"), "{f}:\n{tex}");
        assert!(
            !tex.contains("interval_source") && !tex.contains("interval\\_source"),
            "{f}:\n{tex}"
        );
        assert!(!tex.contains("p<0.0"), "raw < in text mode: {f}:\n{tex}");
    }
    let c = std::fs::read_to_string(s.path("c.tex")).unwrap();
    assert!(c.contains("W$\\times$pcap & ") && c.contains("W$\\times$emp & "), "{c}");
    assert!(c.contains("$^{***}$"), "{c}");
    // The internal setting stays in the JSON.
    let json = std::fs::read_to_string(s.path("m.json")).unwrap();
    assert!(json.contains("interval_source"), "{json}");
}

// ---------------------------------------------------------------------------------------
// Item 22: save docs per type; summaries show the whole first sentence
// ---------------------------------------------------------------------------------------

#[test]
fn help_save_documents_each_type() {
    let s = Sandbox::new("tw_help_save", &[]);
    let out = s.piped(&[], ":help save\n");
    let text = String::from_utf8_lossy(&out.stdout);
    for (ty, kind) in [
        ("Model", "model"),
        ("Weights", "weights"),
        ("MoranTable", "moran_table"),
        ("Table", "table"),
        ("Frame", "frame"),
    ] {
        let sig = format!("save(x: {ty}, path: string)");
        let k = text.find(&sig).unwrap_or_else(|| panic!("no '{sig}' in:\n{text}"));
        let doc = text[k..].lines().nth(1).unwrap();
        assert!(doc.contains(&format!("Writes the {kind} to `path`")), "{sig}: {doc}");
    }
    // Plots only where there is one; weights in their own formats.
    let doc_of = |ty: &str| {
        let k = text.find(&format!("save(x: {ty},")).unwrap();
        text[k..].lines().nth(1).unwrap().to_string()
    };
    assert!(doc_of("MoranTable").contains(".svg/.png"));
    assert!(!doc_of("Frame").contains(".svg"));
    assert!(doc_of("Weights").contains(".gal, .gwt"));
}

#[test]
fn functions_listing_shows_the_whole_first_sentence() {
    let s = Sandbox::new("tw_functions", &[]);
    let out = s.command(&["functions"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let summary_of = |sig: &str| {
        let k = text.find(sig).unwrap_or_else(|| panic!("no {sig}"));
        text[k..].lines().nth(1).unwrap().trim().to_string()
    };
    // The first sentence of `compare`'s doc wraps over three source lines.
    assert_eq!(
        summary_of("compare(models: array, opts: map) -> Table"),
        "Models side by side, esttab style: per term the estimate with stars and its standard \
         error in parentheses (rho/lambda last), then sigma2, logLik, AIC, N, T, FE and the convention."
    );
    // Abbreviations do not end a sentence.
    assert_eq!(
        spillover::script::docs::first_sentence("Rows, e.g. a and b. More."),
        "Rows, e.g. a and b."
    );
    assert_eq!(
        spillover::script::docs::first_sentence("Value 1.5 here. Next"),
        "Value 1.5 here."
    );
}
