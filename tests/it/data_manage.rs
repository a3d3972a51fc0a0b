//! Issue 15, data management: `xtsum`, `drop_missing` and `filter` that excludes.

use crate::common::root;
use crate::sandbox::Sandbox;
use spillover::data::csv::{parse_csv, read_csv, CsvOptions};
use spillover::data::xtsum::{xtsum, xtsum_var};
use spillover::data::{Frame, Panel};
use spillover::report::Cell;

fn csv(text: &str) -> Frame {
    parse_csv(text.as_bytes(), "t.csv", &CsvOptions::default()).unwrap()
}

fn num(c: &Cell) -> f64 {
    match c {
        Cell::Num(v) => *v,
        Cell::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

/// Sample sd (n − 1) and min, max, computed here without the library.
fn sd_min_max(v: &[f64]) -> (f64, f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    ((ss / (v.len() - 1) as f64).sqrt(), lo, hi)
}

#[test]
fn xtsum_tiny_closed_form() {
    // a: 1, 3; b: 5, missing. Overall {1,3,5}: mean 3, sd 2. Unit means 2, 5: sd √4.5.
    // Within 1−2+3 = 2, 3−2+3 = 4, 5−5+3 = 3: sd 1. N = 3, n = 2, T-bar 1.5.
    let f = csv("id,t,x\na,1,1\na,2,3\nb,1,5\nb,2,NA\n");
    let p = Panel::new(&f, "id", "t").unwrap();
    let s = xtsum_var(&p, "x").unwrap();
    assert_eq!(s.mean, 3.0);
    assert!((s.overall.0 - 2.0).abs() < 1e-15 && s.overall.1 == 1.0 && s.overall.2 == 5.0);
    assert!((s.between.0 - 4.5f64.sqrt()).abs() < 1e-15);
    assert_eq!((s.between.1, s.between.2), (2.0, 5.0));
    assert!((s.within.0 - 1.0).abs() < 1e-15);
    assert_eq!((s.within.1, s.within.2), (2.0, 4.0));
    assert_eq!((s.obs, s.units, s.t_bar), (3, 2, 1.5));
    let e = xtsum(&p, &["nope".into()]).unwrap_err().to_string();
    assert!(e.contains("nope"), "{e}");
}

#[test]
fn xtsum_matches_independent_computation_on_produc() {
    let f = read_csv(&root("examples/data/produc/data.csv"), &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    let vars = ["gsp".to_string(), "unemp".to_string()];
    let t = xtsum(&p, &vars).unwrap();
    assert_eq!(t.rows.len(), 6);
    // independent: group the raw CSV rows by id
    let ids = f.keys("id").unwrap();
    for (k, v) in vars.iter().enumerate() {
        let x = f.numeric(v).unwrap();
        let mut groups: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
        for (i, id) in ids.iter().enumerate() {
            groups.entry(id).or_default().push(x[i]);
        }
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let unit_means: std::collections::BTreeMap<&str, f64> = groups
            .iter()
            .map(|(k, g)| (*k, g.iter().sum::<f64>() / g.len() as f64))
            .collect();
        let within: Vec<f64> = ids
            .iter()
            .zip(x)
            .map(|(id, xi)| xi - unit_means[id.as_str()] + mean)
            .collect();
        let means: Vec<f64> = unit_means.values().copied().collect();
        let expect = [sd_min_max(x), sd_min_max(&means), sd_min_max(&within)];
        for (r, (sd, lo, hi)) in expect.iter().enumerate() {
            let row = &t.rows[3 * k + r];
            for (got, want) in [(num(&row[3]), sd), (num(&row[4]), lo), (num(&row[5]), hi)] {
                assert!(
                    (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                    "{v} row {r}: {got} vs {want}"
                );
            }
        }
        let overall = &t.rows[3 * k];
        assert!((num(&overall[2]) - mean).abs() <= 1e-12 * mean.abs());
        assert_eq!(
            (num(&overall[6]), num(&overall[7]), num(&overall[8])),
            (816.0, 48.0, 17.0)
        );
    }
}

#[test]
fn drop_missing_is_listwise_and_counts() {
    let f = csv("id,a,b,c\n1,1,NA,x\n2,,2,y\n3,3,3,NA\n4,4,4,z\n5,NA,NA,w\n");
    let (g, counts) = f.drop_missing(&["a".into(), "b".into()]).unwrap();
    assert_eq!(g.keys("id").unwrap(), ["3", "4"]);
    assert_eq!(counts, [("a".to_string(), 2), ("b".to_string(), 2)]);
    let (g, counts) = f.drop_missing(&[]).unwrap();
    assert_eq!(g.keys("id").unwrap(), ["4"]);
    assert_eq!(counts.last().unwrap(), &("c".to_string(), 1));
    assert!(f.drop_missing(&["zz".into()]).is_err());
}

#[test]
fn frame_exclude_is_complement_of_filter() {
    let f = csv("id,g\n1,a\n2,b\n3,\n4,a\n");
    let kept = f.filter_keys("g", &["a".into()]).unwrap();
    let rest = f.exclude_keys("g", &["a".into()]).unwrap();
    assert_eq!(kept.keys("id").unwrap(), ["1", "4"]);
    assert_eq!(rest.keys("id").unwrap(), ["2", "3"]);
}

#[test]
fn script_xtsum_drop_missing_and_filter_not() {
    let sb = Sandbox::new(
        "data_manage",
        &[("d.csv", b"id,t,x,y\na,1,1,NA\na,2,3,2\nb,1,5,3\nb,2,NA,4\n")],
    );
    let out = sb.succeeds(
        r#"
        let f = read_csv("d.csv");
        let g = drop_missing(f, ["x", "y"]);
        assert(g.nrows() == 2, "listwise");
        let h = f.filter("id", "a", #{not: true});
        assert(h.nrows() == 2 && h.keys("id") == ["b", "b"], "not");
        assert(f.exclude("id", ["a", "b"]).nrows() == 0, "exclude");
        assert(f.filter("id", "a", #{not: false}).nrows() == 2, "keep");
        let q = f.filter(|row| row.id == "a" && !(row.x > 2.0));
        assert(q.nrows() == 1 && q["x"] == [1.0], "predicate");
        let t = xtsum(panel(f, "id", "t"), ["x"]);
        print(t);
        "#,
    );
    assert!(
        out.contains("drop_missing: dropped 2 of 4 rows (missing in: x 1, y 1)"),
        "{out}"
    );
    assert!(out.contains("between") && out.contains("within"), "{out}");
    let e = sb.fails(
        r#"let f = read_csv("d.csv"); f.filter("id", "a", #{nott: true});"#,
        &["nott"],
    );
    assert!(!e.is_empty());
    let e = sb.fails(r#"let f = read_csv("d.csv"); f.filter(|row| 1);"#, &["true or false"]);
    assert!(!e.is_empty());
}
