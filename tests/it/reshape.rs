//! Issue 15, data management: `aggregate`, `reshape_long`, `reshape_wide` (core and bindings).

use crate::common::root;
use spillover::data::reshape::{aggregate, reshape_long, reshape_wide, LongSpec};
use spillover::data::{Column, Frame};

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn text(v: &[&str]) -> Column {
    Column::Text(s(v))
}

fn nums(f: &Frame, c: &str) -> Vec<f64> {
    f.numeric(c).unwrap().to_vec()
}

/// Runs a script through the engine and returns its error message, if any.
fn run(src: &str) -> Result<(), String> {
    let engine = spillover::script::new_engine(None);
    engine.run(src).map_err(|e| e.to_string())
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12)
}

#[test]
fn aggregate_groups_in_order_of_first_appearance_and_skips_missing() {
    let nan = f64::NAN;
    let f = Frame::from_columns(vec![
        ("g".into(), text(&["b", "a", "b", "a", "c", "b"])),
        ("x".into(), Column::Num(vec![1.0, 2.0, 3.0, nan, nan, 8.0])),
    ])
    .unwrap();
    let by = s(&["g"]);
    let get = |stat: &str| nums(&aggregate(&f, &by, &[("x".into(), stat.into())]).unwrap(), "x");
    let out = aggregate(&f, &by, &[("x".into(), "mean".into())]).unwrap();
    assert_eq!(out.keys("g").unwrap(), s(&["b", "a", "c"]));
    assert_eq!(out.names(), &s(&["g", "x"])[..]);
    assert!(same(&get("mean"), &[4.0, 2.0, nan]));
    assert!(same(&get("sum"), &[12.0, 2.0, nan]));
    assert!(same(&get("min"), &[1.0, 2.0, nan]));
    assert!(same(&get("max"), &[8.0, 2.0, nan]));
    assert!(same(&get("count"), &[3.0, 1.0, 0.0]));
    // sd of 1, 3, 8 with n − 1: mean 4, squares 9 + 1 + 16 = 26, /2 = 13.
    assert!(same(&get("sd"), &[13f64.sqrt(), nan, nan]));
}

#[test]
fn aggregate_by_two_columns_and_errors_name_the_culprit() {
    let f = Frame::from_columns(vec![
        ("g".into(), text(&["a", "a", "a", "b"])),
        ("h".into(), Column::Num(vec![1.0, 2.0, 1.0, 1.0])),
        ("x".into(), Column::Num(vec![1.0, 2.0, 3.0, 4.0])),
    ])
    .unwrap();
    let out = aggregate(&f, &s(&["g", "h"]), &[("x".into(), "sum".into())]).unwrap();
    assert_eq!(out.nrows(), 3);
    assert_eq!(nums(&out, "x"), vec![4.0, 2.0, 4.0]);
    let e = aggregate(&f, &s(&["g"]), &[("x".into(), "median".into())])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'median'") && e.contains("mean, sum, min, max, sd, count"),
        "{e}"
    );
    let e = aggregate(&f, &s(&["g"]), &[("y".into(), "sum".into())])
        .unwrap_err()
        .to_string();
    assert!(e.contains("'y'"), "{e}");
    let e = aggregate(&f, &s(&["k"]), &[("x".into(), "sum".into())])
        .unwrap_err()
        .to_string();
    assert!(e.contains("'k'"), "{e}");
}

#[test]
fn reshape_long_reads_periods_from_prefixed_and_bare_year_columns() {
    let f = Frame::from_columns(vec![
        ("id".into(), text(&["A", "B"])),
        ("gdp2001".into(), Column::Num(vec![1.0, 3.0])),
        ("gdp2002".into(), Column::Num(vec![2.0, 4.0])),
        ("other".into(), Column::Num(vec![9.0, 9.0])),
    ])
    .unwrap();
    let spec = LongSpec {
        id: s(&["id"]),
        prefix: Some("gdp".into()),
        columns: None,
        time_name: "year".into(),
        value_name: "gdp".into(),
    };
    let l = reshape_long(&f, &spec).unwrap();
    assert_eq!(l.names(), &s(&["id", "year", "gdp"])[..]);
    assert_eq!(l.keys("id").unwrap(), s(&["A", "A", "B", "B"]));
    assert_eq!(nums(&l, "year"), vec![2001.0, 2002.0, 2001.0, 2002.0]);
    assert_eq!(nums(&l, "gdp"), vec![1.0, 2.0, 3.0, 4.0]);

    let g = Frame::from_columns(vec![
        ("id".into(), text(&["A"])),
        ("2001".into(), Column::Num(vec![1.0])),
        ("total".into(), Column::Num(vec![5.0])),
    ])
    .unwrap();
    let spec = LongSpec {
        id: s(&["id"]),
        prefix: None,
        columns: Some(s(&["2001", "total"])),
        time_name: "time".into(),
        value_name: "value".into(),
    };
    let l = reshape_long(&g, &spec).unwrap();
    // A non-numeric period keeps the period column as text.
    assert_eq!(l.keys("time").unwrap(), s(&["2001", "total"]));
    assert!(matches!(l.column("time").unwrap(), Column::Text(_)));
    assert_eq!(nums(&l, "value"), vec![1.0, 5.0]);
}

#[test]
fn reshape_wide_refuses_duplicates_naming_id_and_period_and_fills_gaps_with_missing() {
    let f = Frame::from_columns(vec![
        ("id".into(), text(&["A", "A", "B"])),
        ("t".into(), Column::Num(vec![2002.0, 2001.0, 2001.0])),
        ("v".into(), Column::Num(vec![2.0, 1.0, 3.0])),
    ])
    .unwrap();
    let w = reshape_wide(&f, &s(&["id"]), "t", &s(&["v"])).unwrap();
    assert_eq!(w.names(), &s(&["id", "v2001", "v2002"])[..]);
    assert_eq!(nums(&w, "v2001"), vec![1.0, 3.0]);
    assert!(same(&nums(&w, "v2002"), &[2.0, f64::NAN]));

    let d = Frame::from_columns(vec![
        ("id".into(), text(&["A", "B", "B"])),
        ("t".into(), Column::Num(vec![2001.0, 2001.0, 2001.0])),
        ("v".into(), Column::Num(vec![1.0, 2.0, 3.0])),
    ])
    .unwrap();
    let e = reshape_wide(&d, &s(&["id"]), "t", &s(&["v"])).unwrap_err().to_string();
    assert!(e.contains("id B") && e.contains("2001"), "{e}");
}

#[test]
fn long_to_wide_to_long_gives_the_original_rows() {
    let f = spillover::data::csv::read_csv(&root("examples/data/produc/data.csv"), &Default::default()).unwrap();
    let w = reshape_wide(&f, &s(&["id"]), "time", &s(&["gsp"])).unwrap();
    assert_eq!(w.nrows(), 48);
    let spec = LongSpec {
        id: s(&["id"]),
        prefix: Some("gsp".into()),
        columns: None,
        time_name: "time".into(),
        value_name: "gsp".into(),
    };
    let l = reshape_long(&w, &spec).unwrap();
    let orig = f.select(&s(&["id", "time", "gsp"])).unwrap();
    assert_eq!(l.nrows(), orig.nrows());
    // produc is sorted by id then year, as reshape_long writes its rows.
    assert_eq!(l.keys("id").unwrap(), orig.keys("id").unwrap());
    assert_eq!(l.keys("time").unwrap(), orig.keys("time").unwrap());
    assert_eq!(nums(&l, "gsp"), nums(&orig, "gsp"));
}

#[test]
fn script_bindings_run_and_report_unknown_statistics() {
    let path = root("examples/data/produc/data.csv");
    run(&format!(
        r#"let f = read_csv("{path}");
           let a = aggregate(f, ["region"], #{{gsp: "mean", unemp: "count"}});
           if a.nrows() != 9 {{ throw "regions: " + a.nrows(); }}
           if a.names() != ["region", "gsp", "unemp"] {{ throw "names: " + a.names(); }}
           let w = reshape_wide(f, #{{id: "id", time: "time", value: "gsp"}});
           let l = reshape_long(w, #{{id: "id", prefix: "gsp"}});
           if l.names() != ["id", "time", "gsp"] || l.nrows() != f.nrows() {{ throw "long: " + l.names(); }}"#
    ))
    .unwrap();
    let e = run(&format!(r#"aggregate(read_csv("{path}"), "region", #{{gsp: "avg"}});"#)).unwrap_err();
    assert!(
        e.contains("'avg'") && e.contains("mean, sum, min, max, sd, count"),
        "{e}"
    );
    let e = run(&format!(r#"aggregate(read_csv("{path}"), "regoin", #{{gsp: "sum"}});"#)).unwrap_err();
    assert!(e.contains("'regoin'") && e.contains("region"), "{e}");
}
