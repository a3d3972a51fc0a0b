//! Issue 13, red-team pass on the user's own data (CSV cells, ids, periods, panels, weights):
//! each test is a case that gave a silent wrong answer, a misleading error or an abort.

use crate::sandbox::Sandbox;
use spillover::data::csv::{parse_csv, CsvOptions};
use spillover::data::{Frame, Panel};
use spillover::indices::{
    agglomeration, location_quotients, resilience, AggOptions, ResilienceKind, ResilienceOptions,
};
use spillover::weights::build::{economic_from_means, EconForm, EconomicOptions};
use spillover::weights::knn::{knn_from_points, KnnOptions};
use spillover::weights::Standardization;

fn csv(text: &str) -> spillover::Result<Frame> {
    parse_csv(text.as_bytes(), "t.csv", &CsvOptions::default())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---- CSV cells ----

#[test]
fn an_inf_cell_is_named_even_when_it_is_the_only_odd_cell() {
    // `inf` and `NaN` print back as themselves, so they were taken for "plain" numbers and
    // their text was dropped: the error then said "missing (NaN)" without naming the cell.
    for cell in ["inf", "NaN", "-inf"] {
        let f = csv(&format!("id,t,x\na,1,1\nb,1,{cell}\nc,1,2\n")).unwrap();
        let p = Panel::new(&f, "id", "t").unwrap();
        let e = p.var_complete("x").unwrap_err().to_string();
        assert!(e.contains(&format!("'{cell}'")) && e.contains("line 3"), "{cell}: {e}");
    }
}

#[test]
fn a_text_cell_is_named_not_the_missing_marker_before_it() {
    // The first cell that is not a number was named, even when it was "NA", and the message
    // then told the user to mark it missing with NA.
    let f = csv("id,x\n1,NA\n2,\n3,abc\n4,2\n").unwrap();
    let e = f.numeric("x").unwrap_err().to_string();
    assert!(e.contains("'abc'") && e.starts_with("t.csv:4:2:"), "{e}");
    // markers given by the user count too
    let opts = CsvOptions {
        missing: vec!["-99".into()],
        ..CsvOptions::default()
    };
    let f = parse_csv(b"id,x\n1,-99\n2,n/a\n", "t.csv", &opts).unwrap();
    let e = f.numeric("x").unwrap_err().to_string();
    assert!(e.contains("'n/a'"), "{e}");
}

// ---- periods ----

#[test]
fn periods_equal_as_numbers_but_written_differently_are_refused() {
    // Year.month written 2001.1 ... 2001.12 sorted 2001.1, 2001.10, 2001.11, 2001.12, 2001.2:
    // the lags followed that order without a word.
    let mut text = String::from("id,t,x\n");
    for m in 1..=12 {
        text += &format!("a,2001.{m},{m}\n");
    }
    let e = Panel::new(&csv(&text).unwrap(), "id", "t").unwrap_err().to_string();
    assert!(e.contains("'2001.1' and '2001.10'") && e.contains("column 't'"), "{e}");
    let e = Panel::new(&csv("id,t,x\na,1,1\na,1.0,2\n").unwrap(), "id", "t")
        .unwrap_err()
        .to_string();
    assert!(e.contains("'1' and '1.0'"), "{e}");
}

#[test]
fn dates_with_the_year_last_are_refused() {
    // Month/day/year labels sorted naturally put 1/31/2001 before 12/31/2000.
    for (a, b) in [
        ("12/31/2000", "1/31/2001"),
        ("Q2 2000", "Q1 2001"),
        ("31.12.2000", "1.1.2001"),
    ] {
        let f = csv(&format!("id,t,x\nu,{a},1\nu,{b},2\n")).unwrap();
        let e = Panel::new(&f, "id", "t").unwrap_err().to_string();
        assert!(e.contains("calendar order") && e.contains(a) && e.contains(b), "{e}");
    }
    // year first is fine, in calendar order
    let f = csv("id,t,x\nu,2001-02,2\nu,2000-12,1\nu,2001-10,3\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    assert_eq!(p.times(), &["2000-12", "2001-02", "2001-10"]);
}

/// Resi (variant B) of one region against the nation: [(g_t − g_s) − (n_t − n_s)] / |n_t − n_s|.
fn resi(g: (f64, f64), n: (f64, f64)) -> f64 {
    ((g.1 - g.0) - (n.1 - n.0)) / (n.1 - n.0).abs()
}

#[test]
fn resilience_takes_the_period_before_in_natural_and_calendar_order() {
    // Periods t1..t11: resilience sorted them as text (t1, t10, t11, t2, ...), so t2 was
    // compared with t11.
    let g = [1.0, 2.5, 0.5, 1.5, 3.0, 2.0, 1.0, 0.0, 2.0, 1.0, 4.0];
    let n = [0.5, 1.0, 2.0, 1.5, 0.5, 1.0, 2.5, 1.0, 0.5, 2.0, 1.5];
    let mut text = String::from("id,time,growth,national\n");
    for t in 0..11 {
        text += &format!("a,t{},{},{}\n", t + 1, g[t], n[t]);
    }
    let f = csv(&text).unwrap();
    let r = resilience(&f, &ResilienceOptions::default()).unwrap();
    assert!(r[0].is_nan());
    for t in 1..11 {
        let want = resi((g[t - 1], g[t]), (n[t - 1], n[t]));
        assert!((r[t] - want).abs() < 1e-12, "t{}: {} vs {want}", t + 1, r[t]);
    }
    // Integer periods with a gap: no period before 1973 (as p.lag), not 1971.
    let f = csv("id,time,growth,national\na,1970,1,0.5\na,1971,2,1\na,1973,4,3\n").unwrap();
    let r = resilience(&f, &ResilienceOptions::default()).unwrap();
    assert!((r[1] - resi((1.0, 2.0), (0.5, 1.0))).abs() < 1e-12);
    assert!(r[2].is_nan(), "{r:?}");
    let lv = ResilienceOptions {
        kind: ResilienceKind::LevelGrowth,
        ..ResilienceOptions::default()
    };
    let r = resilience(&f, &lv).unwrap();
    assert!(r[2].is_nan(), "{r:?}");
}

// ---- panels ----

#[test]
fn a_wrong_time_column_is_an_error_not_an_out_of_memory_abort() {
    // 60,000 rows with a continuous "time" column asked for a 60,000 × 60,000 table (abort).
    let mut text = String::from("id,t,x\n");
    for i in 0..60_000 {
        text += &format!("{i},{i},{}.5\n", i);
    }
    let s = Sandbox::new("red_panel_cells", &[("d.csv", text.as_bytes())]);
    s.fails(
        r#"let p = panel(read_csv("d.csv"), "id", "x");"#,
        &[
            "unbalanced",
            "60000 units × 60000 periods",
            "the data has 60000",
            "check that 'id'",
        ],
    );
    // the ordinary message still lists the missing pairs
    let f = csv("id,t,x\na,1,1\na,2,2\nb,1,3\n").unwrap();
    let e = Panel::new(&f, "id", "t").unwrap_err().to_string();
    assert!(e.contains("1 missing") && e.contains("(b, 2)"), "{e}");
}

// ---- indices keep ids as written ----

#[test]
fn agglomeration_output_keeps_ids_as_written() {
    // Units 001 and 1 came out as two rows with id 1 (and long ids were rounded).
    let f = csv(
        "id,time,industry,emp\n001,1,1,10\n001,1,2,20\n1,1,1,5\n1,1,2,30\n12345678901234567,1,1,7\n12345678901234567,1,2,9\n",
    )
    .unwrap();
    let opts = AggOptions {
        value: "emp".into(),
        ..AggOptions::default()
    };
    let a = agglomeration(&f, &opts).unwrap();
    assert_eq!(a.keys("id").unwrap(), strings(&["001", "1", "12345678901234567"]));
    let lq = location_quotients(&f, &opts).unwrap();
    assert_eq!(lq.keys("id").unwrap()[..3], strings(&["001", "001", "1"])[..]);
    // and the result joins back to the data by id
    let j = f.join(&a, &["id".into(), "time".into()]).unwrap();
    assert!(j.numeric("mar").unwrap().iter().all(|v| v.is_finite()));
}

// ---- weights ----

#[test]
fn economic_weights_with_many_ties_do_not_list_every_pair() {
    // 20,000 units with one mean: 2·10⁸ pairs were all formatted before the message kept 10
    // (gigabytes of text, an out-of-memory abort).
    let n = 20_000;
    let ids = crate::common::ids(n);
    let e = economic_from_means(ids, &vec![1.0; n], "y", &EconomicOptions::default())
        .unwrap_err()
        .to_string();
    // counting the pairs takes milliseconds; formatting all of them took a minute and 10 GB
    assert!(e.contains("199990000 pair(s)") && e.len() < 1000, "{e}");
}

#[test]
fn economic_exp_weights_that_underflow_say_why() {
    // GDP levels in the thousands: exp(−1000) = 0, and the error blamed a cutoff or k.
    let e = economic_from_means(
        strings(&["a", "b", "c"]),
        &[1000.0, 2000.0, 5000.0],
        "gdp",
        &EconomicOptions {
            form: EconForm::Exp,
            ..EconomicOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("exp(−1000) is 0") && e.contains("rescale 'gdp'") && !e.contains("cutoff"),
        "{e}"
    );
    // one unit: no neighbour possible, said as such
    let e = economic_from_means(strings(&["a"]), &[1.0], "y", &EconomicOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least two units"), "{e}");
}

#[test]
fn an_all_pairs_w_too_large_for_memory_is_an_error() {
    let s = Sandbox::new("red_econ_budget", &[]);
    let mut text = String::from("id,t,y\n");
    for i in 0..3000 {
        text += &format!("{i},1,{i}\n");
    }
    s.write("d.csv", text.as_bytes());
    s.write(
        "script.rhai",
        br#"let w = weights_economic(panel(read_csv("d.csv"), "id", "t"), "y");"#,
    );
    let out = s
        .command(&["--max-alloc-mb", "1", "run", "script.rhai"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    crate::sandbox::assert_no_panic(&err);
    assert!(
        err.contains("all-pairs W of N = 3000 units") && err.contains("--max-alloc-mb"),
        "{err}"
    );
}

#[test]
fn knn_ties_keep_the_units_that_come_first() {
    // 5 × 5 grid, centre unit 13 with k = 5: four neighbours at distance 1 and four diagonal
    // ones at √2; the fifth was whichever the R-tree met first (19), not the first unit (7).
    let mut ids = Vec::new();
    let mut pts = Vec::new();
    for i in 0..5 {
        for j in 0..5 {
            ids.push((ids.len() + 1).to_string());
            pts.push([i as f64, j as f64]);
        }
    }
    let opts = KnnOptions {
        k: 5,
        common: spillover::weights::build::Common {
            standardize: Standardization::None,
            ..Default::default()
        },
        ..KnnOptions::default()
    };
    let w = knn_from_points(ids, &pts, &opts).unwrap();
    let row: Vec<&str> = w
        .matrix()
        .outer_view(12)
        .unwrap()
        .indices()
        .iter()
        .map(|&j| w.ids()[j].as_str())
        .collect();
    assert_eq!(row, ["7", "8", "12", "14", "18"]);
}

#[test]
fn subset_islands_can_be_kept_as_the_error_says() {
    // The island error told the user to pass islands: "keep", which subset did not accept.
    let s = Sandbox::new(
        "red_subset_islands",
        &[("w.csv", b"i,j,w\n1,2,1\n2,1,1\n2,3,1\n3,2,1\n3,4,1\n4,3,1\n")],
    );
    s.fails(
        r#"let w = read_weights("w.csv"); w.subset([1, 3]);"#,
        &["subset", "islands", "1, 3", "islands: \"keep\""],
    );
    let out = s.succeeds(r#"let w = read_weights("w.csv"); print(w.subset([1, 3, 4], #{islands: "keep"}).nnz);"#);
    assert_eq!(out.trim(), "2");
}

#[test]
fn join_refuses_keys_that_differ_only_in_how_a_number_is_written() {
    // 01 and 1 never matched, and every joined value was silently missing.
    let left = csv("id,t,x\n1,2000,1\n2,2000,2\n").unwrap();
    let right = csv("id,t,z\n01,2000,10\n02,2000,20\n").unwrap();
    let e = left.join(&right, &["id".into(), "t".into()]).unwrap_err().to_string();
    assert!(e.contains("'1' and '01'") && e.contains("key column 'id'"), "{e}");
    // a plain missing match is still a missing value
    let right = csv("id,t,z\n2,2000,20\n").unwrap();
    let j = left.join(&right, &["id".into(), "t".into()]).unwrap();
    let z = j.numeric("z").unwrap();
    assert!(z[0].is_nan() && z[1] == 20.0);
}

#[test]
fn quarterly_and_monthly_lags_follow_the_calendar() {
    // 2001Q3 missing for every unit: the lag of 2001Q4 was 2001Q2's value.
    let f = csv("id,t,x\na,2001Q1,1\na,2001Q2,2\na,2001Q4,4\na,2002Q1,5\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    let l = p.lag("x", 1).unwrap();
    assert!(l[0].is_nan() && l[1] == 1.0 && l[2].is_nan() && l[3] == 4.0, "{l:?}");
    let f = csv("id,t,x\na,2000m12,1\na,2001m1,2\na,2001m3,3\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    let l = p.lag("x", 1).unwrap();
    assert!(l[1] == 1.0 && l[2].is_nan(), "{l:?}");
    // the same month written two ways is refused
    let f = csv("id,t,x\na,2001-1,1\na,2001-01,2\n").unwrap();
    let e = Panel::new(&f, "id", "t").unwrap_err().to_string();
    assert!(e.contains("same period"), "{e}");
}

#[test]
fn in_order_says_when_ids_differ_only_in_how_a_number_is_written() {
    let f = csv("id,x\n1,1\n2,2\n").unwrap();
    let e = spillover::data::align::in_order(&f, "id", "x", &strings(&["01", "02"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("'1' and '01'"), "{e}");
}

#[test]
fn coordinates_repeated_in_a_panel_are_compared_as_numbers() {
    // 1.5 and 1.50 in two periods were "more than one value" of x, and a missing coordinate
    // was reported as a missing id or period.
    let s = Sandbox::new(
        "red_coords",
        &[
            (
                "a.csv",
                b"id,t,x,y\na,1,0,0\nb,1,1.5,0\nc,1,2,0\na,2,0,0\nb,2,1.50,0\nc,2,2,0\n",
            ),
            (
                "b.csv",
                b"id,t,x,y\na,1,0,0\nb,1,1,0\nc,1,2,NA\na,2,0,0\nb,2,1,0\nc,2,2,NA\n",
            ),
        ],
    );
    let out = s.succeeds(r#"let w = weights_knn(read_csv("a.csv"), #{k: 1}); print(w.n);"#);
    assert_eq!(out.trim(), "3");
    let err = s.fails(
        r#"let w = weights_knn(read_csv("b.csv"), #{k: 1});"#,
        &["unit c", "missing coordinate"],
    );
    assert!(!err.contains("ids and periods"), "{err}");
}

#[test]
fn a_panel_keyed_twice_by_the_same_column_says_so() {
    let f = csv("id,t,x\n1,1,1\n2,1,2\n").unwrap();
    let e = Panel::new(&f, "id", "id").unwrap_err().to_string();
    assert!(e.contains("both 'id'"), "{e}");
}

#[test]
fn growth_after_a_zero_is_undefined_not_infinite() {
    // API: NaN where undefined; x_{t−1} = 0 gave inf.
    let f = csv("id,t,x\na,1,1\na,2,0\na,3,2\n").unwrap();
    let g = Panel::new(&f, "id", "t").unwrap().growth("x").unwrap();
    assert!(g[0].is_nan() && g[1] == -1.0 && g[2].is_nan(), "{g:?}");
}

#[test]
fn fit_by_takes_islands_keep_as_its_island_error_says() {
    // fit_by's island error told the user to pass islands: "keep", which fit_by did not take.
    // A path W 1-2-…-8; group 1 = {1, 2, 3, 8}: unit 8's only neighbour (7) is in group 2.
    let mut p = String::from("id,t,g,y,x\n");
    for t in 1..=6 {
        for i in 1..=8 {
            let g = if [1, 2, 3, 8].contains(&i) { 1 } else { 2 };
            let x = ((i * 7 + t * 3) % 11) as f64 / 4.0;
            let y = 0.5 * x + ((i * 5 + t) % 7) as f64 / 8.0;
            p += &format!("{i},{t},{g},{y},{x}\n");
        }
    }
    let mut w = String::from("i,j,w\n");
    for i in 1..8 {
        w += &format!("{i},{},1\n{},{i},1\n", i + 1, i + 1);
    }
    let s = Sandbox::new(
        "red_fit_by_islands",
        &[("p.csv", p.as_bytes()), ("w.csv", w.as_bytes())],
    );
    let head = "let p = panel(read_csv(\"p.csv\"), \"id\", \"t\");\nlet w = read_weights(\"w.csv\");\n";
    s.fails(
        &format!("{head}fit_by(p, \"g\", \"y ~ x\", w, #{{model: \"sar\", fe: \"individual\"}});"),
        &["fit_by: group 1", "islands", "8", "islands: \"keep\""],
    );
    // With the option, group 1's model is the SAR on its sub-panel with W restricted the same way.
    let out = s.succeeds(&format!(
        "{head}let r = fit_by(p, \"g\", \"y ~ x\", w, #{{model: \"sar\", fe: \"individual\", islands: \"keep\"}});\n\
         let sub = p.filter(\"g\", 1);\n\
         let m = sar(sub, \"y ~ x\", w.subset(sub.ids(), #{{islands: \"keep\"}}), #{{fe: \"individual\"}});\n\
         print(r[\"1\"].rho - m.rho);"
    ));
    let d: f64 = out.trim().parse().unwrap();
    assert!(d.abs() < 1e-12, "{out}");
    s.fails(
        &format!("{head}fit_by(p, \"g\", \"y ~ x\", w, #{{model: \"sar\", islands: \"kep\"}});"),
        &["islands", "keep"],
    );
}

#[test]
fn periods_mixing_numbers_and_labels_are_refused() {
    // `2001, 2002, total` sorted naturally and the lag of "total" was 2002's value.
    let f = csv("id,t,y\na,2001,1\na,2002,2\na,total,3\nb,2001,1\nb,2002,5\nb,total,2\n").unwrap();
    let e = Panel::new(&f, "id", "t").unwrap_err().to_string();
    assert!(
        e.contains("mix numbers") && e.contains("2001") && e.contains("total"),
        "{e}"
    );
    // labels alone still order naturally
    let f = csv("id,t,y\na,t10,1\na,t2,2\na,t1,3\n").unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    assert_eq!(p.times(), ["t1", "t2", "t10"]);
}
