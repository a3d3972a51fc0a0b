//! Issue 13, items 4, 5, 6 and 23 (data part): CSV quoting and non-finite cells, ids kept as
//! written, period order and calendar lags, byte-order marks, GWT headers and the semicolon hint.

use crate::sandbox::Sandbox;
use spillover::data::csv::{parse_csv, CsvOptions};
use spillover::data::{Frame, Panel};
use spillover::weights::io::{parse_weights, Format, ReadOptions};

fn csv(text: &str) -> spillover::Result<Frame> {
    parse_csv(text.as_bytes(), "t.csv", &CsvOptions::default())
}

fn gal(text: &str) -> spillover::Result<spillover::weights::Weights> {
    parse_weights(text.as_bytes(), "w.gal", Format::Gal, &ReadOptions::default())
}

// ---- item 4: quoting and non-finite cells ----

#[test]
fn unterminated_quote_names_the_line_where_it_opened() {
    let e = csv("id,x,name\n1,2,a\n2,3,\"b\n3,4,c\n4,5,d\n5,6,e\n6,7,f\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.csv:3:"), "{e}");
    assert!(e.contains("never closed"), "{e}");
    // a closed quoted field spanning lines is still fine
    let f = csv("id,name\n1,\"two\nlines\"\n2,\"say \"\"hi\"\"\"\n").unwrap();
    assert_eq!(f.nrows(), 2);
}

#[test]
fn unterminated_quote_fails_the_script_with_exit_1() {
    let s = Sandbox::new(
        "trust_quote",
        &[("d.csv", b"id,x,name\n1,2,a\n2,3,\"b\n3,4,c\n4,5,d\n5,6,e\n6,7,f\n")],
    );
    s.fails(
        r#"let f = read_csv("d.csv"); print(f.nrows());"#,
        &["d.csv:3", "never closed"],
    );
}

#[test]
fn inf_and_nan_cells_are_missing_and_named() {
    let f = csv("id,t,x\na,1,1\nb,1,inf\nc,1,-Infinity\nd,1,NaN\ne,1,2\n").unwrap();
    let x = f.numeric("x").unwrap();
    assert_eq!(x[0], 1.0);
    assert!(x[1].is_nan() && x[2].is_nan() && x[3].is_nan());
    let p = Panel::new(&f, "id", "t").unwrap();
    let e = p.var_complete("x").unwrap_err().to_string();
    assert!(e.contains("missing") && e.contains("unit b"), "{e}");
    assert!(e.contains("'inf'") && e.contains("line 3"), "{e}");
    assert!(!e.contains("infinite (inf)"), "{e}");
}

#[test]
fn infinite_values_are_called_infinite_not_missing() {
    // log(0) = -inf computed in a script reaches the estimator's check
    let s = Sandbox::new(
        "trust_inf",
        &[("d.csv", b"id,y,x\n1,1,0\n2,2,1\n3,3,2\n4,5,3\n5,4,5\n")],
    );
    let err = s.fails(
        r#"let f = read_csv("d.csv"); let f = f.with_column("lx", log(f["x"])); let m = ols(f, "y ~ lx");"#,
        &["'lx'", "infinite"],
    );
    assert!(!err.contains("missing (NaN)"), "{err}");
}

// ---- item 5: ids kept as written ----

#[test]
fn ids_are_kept_exactly_in_panels() {
    let f = csv(
        "id,t,x\n001,1,1\n1,1,2\n12345678901234567,1,3\n12E4,1,4\n001,2,5\n1,2,6\n12345678901234567,2,7\n12E4,2,8\n",
    )
    .unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    assert_eq!(p.ids(), &["001", "1", "12345678901234567", "12E4"]);
    assert_eq!(p.n(), 4);
    assert_eq!(p.var("x").unwrap(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    // 1.0 and 1 are not the same unit either
    let f = csv("id,t,x\n1,1,1\n1.0,1,2\n").unwrap();
    assert_eq!(Panel::new(&f, "id", "t").unwrap().ids(), &["1", "1.0"]);
}

#[test]
fn duplicate_detection_compares_ids_as_written() {
    let f = csv("id,t,x\n001,2000,1\n1,2000,2\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    assert_eq!(p.ids(), &["001", "1"]);
    let f = csv("id,t,x\n001,2000,1\n001,2000,2\n").unwrap();
    let e = Panel::new(&f, "id", "t").unwrap_err().to_string();
    assert!(e.contains("duplicate") && e.contains("(001, 2000)"), "{e}");
}

#[test]
fn ids_are_kept_exactly_in_weights_files() {
    let w = gal("4\n001 1\n1\n1 1\n001\n12345678901234567 1\n12E4\n12E4 1\n12345678901234567\n").unwrap();
    assert_eq!(w.ids(), &["001", "1", "12345678901234567", "12E4"]);
    let w = parse_weights(
        b"0 3 shp id\n001 1 1\n1 001 1\n12345678901234567 001 1\n",
        "w.gwt",
        Format::Gwt,
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(w.ids(), &["001", "1", "12345678901234567"]);
    let w = parse_weights(
        b"i,j,w\n001,1,1\n1,001,1\n12E4,001,1\n",
        "w.csv",
        Format::Csv,
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(w.ids(), &["001", "1", "12E4"]);
}

#[test]
fn ids_are_kept_in_weights_built_from_frames_and_saved_frames() {
    let s = Sandbox::new(
        "trust_ids",
        &[(
            "d.csv",
            b"id,x,y,v\n001,0,0,1\n1,1,0,2\n12345678901234567,0,1,3\n12E4,1,1,4\n",
        )],
    );
    let out = s.succeeds(
        r#"let f = read_csv("d.csv");
           let w = weights_knn(f, #{id: "id", x: "x", y: "y", k: 1});
           print(w.ids());
           f.save("out.csv");
           f.save("out.json");"#,
    );
    assert!(out.contains(r#"["001", "1", "12345678901234567", "12E4"]"#), "{out}");
    let lines = crate::sandbox::read_lines(&s.path("out.csv"));
    let ids: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids, ["001", "1", "12345678901234567", "12E4"]);
    assert_eq!(lines[1], "001,0,0,1");
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(s.path("out.json")).unwrap()).unwrap();
    assert_eq!(
        j["columns"]["id"],
        serde_json::json!(["001", 1.0, "12345678901234567", "12E4"])
    );
    assert_eq!(j["columns"]["v"], serde_json::json!([1.0, 2.0, 3.0, 4.0]));
}

#[test]
fn mismatched_number_spelling_is_named() {
    let f = csv("id,t,x\n1.0,1,1\n2.0,1,2\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    let w = gal("2\n1 1\n2\n2 1\n1\n").unwrap();
    let e = w.aligned_to(p.ids()).unwrap_err().to_string();
    assert!(
        e.contains("compared as written") && e.contains("'1.0'") && e.contains("'1'"),
        "{e}"
    );
}

// ---- item 6: periods ----

#[test]
fn periods_sort_naturally_and_lags_follow() {
    let f = csv("id,t,x\na,t10,10\na,t2,2\na,t1,1\nb,t1,11\nb,t10,20\nb,t2,12\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    assert_eq!(p.times(), &["t1", "t2", "t10"]);
    assert_eq!(p.var("x").unwrap(), &[1.0, 11.0, 2.0, 12.0, 10.0, 20.0]);
    let l = p.lag("x", 1).unwrap();
    assert!(l[0].is_nan() && l[1].is_nan());
    assert_eq!(&l[2..], &[1.0, 11.0, 2.0, 12.0]);
    // numbers sort numerically
    let f = csv("id,t,x\na,10,1\na,9,2\na,100,3\n").unwrap();
    assert_eq!(Panel::new(&f, "id", "t").unwrap().times(), &["9", "10", "100"]);
}

#[test]
fn lag_across_a_gap_is_missing() {
    let f = csv("id,t,x\na,1970,1\na,1972,3\na,1973,4\nb,1970,5\nb,1972,7\nb,1973,8\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    let l = p.lag("x", 1).unwrap();
    assert!(l[..4].iter().all(|v| v.is_nan()), "{l:?}");
    assert_eq!(&l[4..], &[3.0, 7.0]);
    let lead = p.lag("x", -1).unwrap();
    assert!(lead[0].is_nan() && lead[1].is_nan(), "{lead:?}");
    assert_eq!(&lead[2..4], &[4.0, 8.0]);
    let d = p.diff("x").unwrap();
    assert!(d[2].is_nan() && d[4] == 1.0);
    let g = p.growth("x").unwrap();
    assert!(g[2].is_nan());
}

#[test]
fn lag_help_mentions_the_gap() {
    let s = Sandbox::new("trust_laghelp", &[]);
    let out = s.piped(&["repl"], ":help lag\n");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("gap") && text.contains("1972"), "{text}");
}

#[test]
fn missing_period_or_id_cell_names_the_line() {
    let e = Panel::new(&csv("id,t,x\na,2000,1\na,,2\n").unwrap(), "id", "t")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.csv:3:2:") && e.contains("'t' is missing in row 2"),
        "{e}"
    );
    let e = Panel::new(&csv("id,t,x\na,t1,1\n,t2,2\n").unwrap(), "id", "t")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.csv:3:1:") && e.contains("'id' is missing in row 2"),
        "{e}"
    );
}

// ---- item 23: BOM, GWT header, semicolons ----

#[test]
fn byte_order_marks_are_skipped() {
    let w = parse_weights(
        b"\xEF\xBB\xBF2\n1 1\n2\n2 1\n1\n",
        "w.gal",
        Format::Gal,
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(w.ids(), &["1", "2"]);
    let w = parse_weights(
        b"\xEF\xBB\xBF0 2 s id\n1 2 1\n2 1 1\n",
        "w.gwt",
        Format::Gwt,
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(w.n(), 2);
    let f = parse_csv(b"\xEF\xBB\xBFid,x\n1,2\n", "t.csv", &CsvOptions::default()).unwrap();
    assert_eq!(f.names(), &["id", "x"]);
    let geo = b"\xEF\xBB\xBF{\"type\":\"FeatureCollection\",\"features\":[\
        {\"type\":\"Feature\",\"properties\":{\"id\":1},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},\
        {\"type\":\"Feature\",\"properties\":{\"id\":12345678901234567},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}}]}";
    let s = Sandbox::new(
        "trust_bom",
        &[("w.gal", b"\xEF\xBB\xBF2\n1 1\n2\n2 1\n1\n"), ("m.geojson", geo)],
    );
    let out = s.succeeds(
        r#"let w = read_weights("w.gal"); print(w.ids());
           let c = weights_contiguity("m.geojson", #{id: "id"}); print(c.ids());"#,
    );
    assert!(out.contains(r#"["1", "2"]"#), "{out}");
    assert!(out.contains(r#"["1", "12345678901234567"]"#), "{out}");
}

#[test]
fn gwt_without_header_is_refused() {
    let e = parse_weights(b"1 2 1\n2 1 1\n", "w.gwt", Format::Gwt, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("w.gwt:1:") && e.contains("header line is missing"), "{e}");
}

#[test]
fn semicolon_file_suggests_the_delimiter() {
    let e = csv("id;x;y\n1;2;3\n").unwrap_err().to_string();
    assert!(e.contains(r#"delimiter: ";""#), "{e}");
    let s = Sandbox::new("trust_semi", &[("d.csv", b"id;x\n1;2,5\n2;3,5\n")]);
    s.fails(r#"let f = read_csv("d.csv");"#, &[r#"delimiter: ";""#]);
    s.succeeds(r#"let f = read_csv("d.csv", #{delimiter: ";"}); if f.nrows() != 2 { throw "rows"; }"#);
}

#[test]
fn gal_without_header_is_refused() {
    let e = gal("1 1\n2\n2 1\n1\n").unwrap_err().to_string();
    assert!(e.starts_with("w.gal:1:") && e.contains("header line is missing"), "{e}");
}

#[test]
fn integral_periods_written_with_decimals_lag_by_calendar() {
    let f = csv("id,t,x\na,2000.0,1\na,2002.0,3\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    assert_eq!(p.times(), &["2000.0", "2002.0"]);
    assert!(p.lag("x", 1).unwrap().iter().all(|v| v.is_nan()));
}

#[test]
fn script_keys_are_the_written_ids() {
    let s = Sandbox::new("trust_keys", &[("d.csv", b"id,t,x\n001,1,1\n1,1,2\n12E4,1,3\n")]);
    let out = s.succeeds(
        r#"let f = read_csv("d.csv"); print(f.keys("id")); let p = panel(f, "id", "t"); print(p.keys("id")); print(p.ids());"#,
    );
    assert_eq!(out.matches(r#"["001", "1", "12E4"]"#).count(), 3, "{out}");
}
