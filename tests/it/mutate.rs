//! Issue 15, data management: `mutate` / `compute` on frames and panels (element-wise
//! expressions with the panel functions lag, lead, diff, growth, unit_mean, period_mean) and
//! panel filters that keep the panel balanced.

use crate::common::{fixture, root};
use crate::sandbox::Sandbox;
use spillover::data::csv::read_csv;
use spillover::data::missing::CsvOptions;
use spillover::data::mutate::{compute_frame, compute_panel, mutate_frame, mutate_panel};
use spillover::data::{Column, Frame, Panel};
use std::collections::HashMap;

const NAN: f64 = f64::NAN;

fn frame(cols: &[(&str, Column)]) -> Frame {
    Frame::from_columns(cols.iter().map(|(n, c)| (n.to_string(), c.clone())).collect()).unwrap()
}

fn text(v: &[&str]) -> Column {
    Column::Text(v.iter().map(|s| s.to_string()).collect())
}

/// Element-wise equality where NaN equals NaN.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x.is_nan() && y.is_nan()) || x == y)
}

fn assert_same(got: &[f64], want: &[f64], what: &str) {
    assert!(same(got, want), "{what}: got {got:?}, want {want:?}");
}

/// Two units a, b over periods 2000–2002 (rows as written, not time-slow):
/// x_a = 1, 2, 4; x_b = 10, NaN, 5; y_a = 0, 1, 2; y_b = 3, 3, 0.
fn tiny_panel() -> Panel {
    let f = frame(&[
        ("id", text(&["a", "a", "a", "b", "b", "b"])),
        ("t", Column::Num(vec![2000.0, 2001.0, 2002.0, 2000.0, 2001.0, 2002.0])),
        ("x", Column::Num(vec![1.0, 2.0, 4.0, 10.0, NAN, 5.0])),
        ("y", Column::Num(vec![0.0, 1.0, 2.0, 3.0, 3.0, 0.0])),
    ]);
    Panel::new(&f, "id", "t").unwrap()
}

fn assignment(name: &str, expr: &str) -> Vec<(String, String)> {
    vec![(name.to_string(), expr.to_string())]
}

#[test]
fn frame_mutate_matches_closed_form() {
    let x = [1.0, 2.0, 4.0, NAN];
    let y = [2.0, 0.0, 1.0, 3.0];
    let f = frame(&[("x", Column::Num(x.to_vec())), ("y", Column::Num(y.to_vec()))]);
    let (g, replaced) = mutate_frame(&f, &assignment("ratio", "x / (y + 1)")).unwrap();
    assert!(replaced.is_empty());
    let want: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a / (b + 1.0)).collect();
    assert_same(g.numeric("ratio").unwrap(), &want, "x / (y + 1)");
    let want: Vec<f64> = x.iter().map(|a| a.ln() * 2.0 - a.sqrt() + a.powf(2.0)).collect();
    assert_same(
        &compute_frame(&f, "log(x) * 2 - sqrt(x) + x^2").unwrap(),
        &want,
        "log, sqrt, ^",
    );
    // Missing propagates: the last row of x is NaN.
    assert!(g.numeric("ratio").unwrap()[3].is_nan());
    // Replacing an existing column is reported.
    let (h, replaced) = mutate_frame(&f, &assignment("y", "y * 10")).unwrap();
    assert_eq!(replaced, ["y"]);
    assert_eq!(h.numeric("y").unwrap(), &[20.0, 0.0, 10.0, 30.0]);
    assert_eq!(h.names(), f.names());
    // Several at once, in the order their uses need (b uses a).
    let two = vec![
        ("b".to_string(), "a^2".to_string()),
        ("a".to_string(), "y + 1".to_string()),
    ];
    let (k, _) = mutate_frame(&f, &two).unwrap();
    assert_eq!(k.numeric("a").unwrap(), &[3.0, 1.0, 2.0, 4.0]);
    assert_eq!(k.numeric("b").unwrap(), &[9.0, 1.0, 4.0, 16.0]);
    let cycle = vec![("a".to_string(), "b".to_string()), ("b".to_string(), "a".to_string())];
    let e = mutate_frame(&f, &cycle).unwrap_err().to_string();
    assert!(e.contains("cycle"), "{e}");
}

#[test]
fn panel_functions_match_hand_values() {
    let p = tiny_panel();
    // Panel rows are time-slow: (a,2000), (b,2000), (a,2001), (b,2001), (a,2002), (b,2002).
    let c = |e: &str| compute_panel(&p, e).unwrap();
    assert_same(&c("x"), &[1.0, 10.0, 2.0, NAN, 4.0, 5.0], "x");
    assert_same(&c("lag(x)"), &[NAN, NAN, 1.0, 10.0, 2.0, NAN], "lag(x)");
    assert_same(&c("lag(x, 1)"), &c("lag(x)"), "lag(x, 1)");
    assert_same(&c("lag(x, 2)"), &[NAN, NAN, NAN, NAN, 1.0, 10.0], "lag(x, 2)");
    assert_same(&c("lead(x)"), &[2.0, NAN, 4.0, 5.0, NAN, NAN], "lead(x)");
    assert_same(&c("lead(x, 2)"), &[4.0, 5.0, NAN, NAN, NAN, NAN], "lead(x, 2)");
    assert_same(&c("diff(x)"), &[NAN, NAN, 1.0, NAN, 2.0, NAN], "diff(x)");
    assert_same(&c("growth(x)"), &[NAN, NAN, 1.0, NAN, 1.0, NAN], "growth(x)");
    // Means skip missing values: b's mean is (10 + 5) / 2; period 2001's mean is x_a alone.
    assert_same(
        &c("unit_mean(x)"),
        &[7.0 / 3.0, 7.5, 7.0 / 3.0, 7.5, 7.0 / 3.0, 7.5],
        "unit_mean",
    );
    assert_same(&c("period_mean(x)"), &[5.5, 5.5, 2.0, 2.0, 4.5, 4.5], "period_mean");
    // Arguments may be expressions, and results take part in arithmetic.
    let lx = [1f64.ln(), 10f64.ln(), 2f64.ln(), NAN, 4f64.ln(), 5f64.ln()];
    assert_same(&c("lag(log(x))"), &[NAN, NAN, lx[0], lx[1], lx[2], NAN], "lag(log(x))");
    assert_same(
        &c("diff(log(x))"),
        &[NAN, NAN, lx[2] - lx[0], NAN, lx[4] - lx[2], NAN],
        "diff(log(x))",
    );
    let um = [7.0 / 3.0, 7.5];
    let within: Vec<f64> = c("x").iter().enumerate().map(|(r, v)| v - um[r % 2]).collect();
    assert_same(&c("x - unit_mean(x)"), &within, "x - unit_mean(x)");
    // A unit with only missing values has a missing mean.
    assert_same(
        &c("unit_mean(x * 0 + lag(x, 2))"),
        &[1.0, 10.0, 1.0, 10.0, 1.0, 10.0],
        "sparse",
    );
    // The same as the existing panel methods.
    assert_same(&c("lag(y, 2)"), &p.lag("y", 2).unwrap(), "= p.lag");
    assert_same(&c("diff(y)"), &p.diff("y").unwrap(), "= p.diff");
    // mutate on a panel keeps the panel and adds the column in panel order.
    let (q, replaced) = mutate_panel(&p, &assignment("dx", "diff(x)")).unwrap();
    assert!(replaced.is_empty());
    assert_eq!((q.n(), q.t(), q.ids()), (2, 3, p.ids()));
    assert_same(q.var("dx").unwrap(), &c("diff(x)"), "mutate dx");
}

#[test]
fn unit_mean_of_a_unit_without_values_is_missing() {
    let f = frame(&[
        ("id", text(&["a", "a", "b", "b"])),
        ("t", Column::Num(vec![1.0, 2.0, 1.0, 2.0])),
        ("x", Column::Num(vec![NAN, NAN, 1.0, NAN])),
    ]);
    let p = Panel::new(&f, "id", "t").unwrap();
    assert_same(
        &compute_panel(&p, "unit_mean(x)").unwrap(),
        &[NAN, 1.0, NAN, 1.0],
        "unit",
    );
    assert_same(
        &compute_panel(&p, "period_mean(x)").unwrap(),
        &[1.0, 1.0, NAN, NAN],
        "period",
    );
}

#[test]
fn lags_follow_the_calendar_across_a_gap() {
    // Years 2000, 2001, 2003: the lag of 2003 is missing (2002 is not in the panel), as p.lag.
    let f = frame(&[
        ("id", text(&["a", "a", "a"])),
        ("t", Column::Num(vec![2003.0, 2000.0, 2001.0])),
        ("x", Column::Num(vec![3.0, 1.0, 2.0])),
    ]);
    let p = Panel::new(&f, "id", "t").unwrap();
    assert_same(&compute_panel(&p, "lag(x)").unwrap(), &[NAN, 1.0, NAN], "gap");
    assert_same(
        &compute_panel(&p, "lag(x)").unwrap(),
        &p.lag("x", 1).unwrap(),
        "= p.lag",
    );
}

/// Produc read by hand from the raw CSV: state → [(year, gsp, unemp)] sorted by year.
fn produc_by_state() -> HashMap<String, Vec<(i64, f64, f64)>> {
    let text = std::fs::read_to_string(fixture("produc/data.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (id, time, gsp, unemp) = (col("id"), col("time"), col("gsp"), col("unemp"));
    let mut m: HashMap<String, Vec<(i64, f64, f64)>> = HashMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let c: Vec<&str> = line.split(',').collect();
        m.entry(c[id].to_string()).or_default().push((
            c[time].parse().unwrap(),
            c[gsp].parse().unwrap(),
            c[unemp].parse().unwrap(),
        ));
    }
    for v in m.values_mut() {
        v.sort_by_key(|r| r.0);
    }
    m
}

#[test]
fn produc_panel_functions_match_grouped_csv() {
    let f = read_csv(&fixture("produc/data.csv"), &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    let groups = produc_by_state();
    let (q, _) = mutate_panel(
        &p,
        &[
            ("l1".into(), "lag(gsp)".into()),
            ("l2".into(), "lag(gsp, 2)".into()),
            ("ld".into(), "lead(gsp)".into()),
            ("d".into(), "diff(gsp)".into()),
            ("g".into(), "growth(gsp)".into()),
            ("um".into(), "unit_mean(gsp)".into()),
            ("pm".into(), "period_mean(unemp)".into()),
            ("dl".into(), "diff(log(gsp))".into()),
        ],
    )
    .unwrap();
    let ids = q.frame().keys("id").unwrap();
    let times = q.frame().keys("time").unwrap();
    let col = |n: &str| q.var(n).unwrap().to_vec();
    let (l1, l2, ld, d, g, um, pm, dl) = (
        col("l1"),
        col("l2"),
        col("ld"),
        col("d"),
        col("g"),
        col("um"),
        col("pm"),
        col("dl"),
    );
    // Period means of unemp by hand: year → mean over the 48 states.
    let mut by_year: HashMap<i64, (f64, usize)> = HashMap::new();
    for rows in groups.values() {
        for &(y, _, u) in rows {
            let e = by_year.entry(y).or_insert((0.0, 0));
            e.0 += u;
            e.1 += 1;
        }
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
    for r in 0..q.frame().nrows() {
        let rows = &groups[&ids[r]];
        let year: i64 = times[r].parse().unwrap();
        let s = rows.iter().position(|row| row.0 == year).unwrap();
        let x = rows[s].1;
        let at = |k: isize| {
            usize::try_from(s as isize + k)
                .ok()
                .and_then(|j| rows.get(j))
                .map_or(NAN, |row| row.1)
        };
        let place = format!("{} {}", ids[r], year);
        assert!(same(&[l1[r]], &[at(-1)]), "lag {place}");
        assert!(same(&[l2[r]], &[at(-2)]), "lag 2 {place}");
        assert!(same(&[ld[r]], &[at(1)]), "lead {place}");
        assert!(same(&[d[r]], &[x - at(-1)]), "diff {place}");
        assert!(same(&[g[r]], &[(x - at(-1)) / at(-1)]), "growth {place}");
        assert!(same(&[dl[r]], &[x.ln() - at(-1).ln()]), "diff log {place}");
        let mean = rows.iter().map(|row| row.1).sum::<f64>() / rows.len() as f64;
        assert!(close(um[r], mean), "unit_mean {place}: {} vs {mean}", um[r]);
        let (su, k) = by_year[&year];
        assert!(close(pm[r], su / k as f64), "period_mean {place}");
    }
    assert_eq!(g.iter().filter(|v| v.is_nan()).count(), 48, "first year only");
}

#[test]
fn errors_name_the_culprit_and_the_fix() {
    let p = tiny_panel();
    let e = |text: &str| compute_panel(&p, text).unwrap_err().to_string();
    // log of 0: y_a in 2000.
    let m = e("log(y)");
    assert!(m.contains("log(y)") && m.contains("for unit a in period 2000"), "{m}");
    // A zero base of growth: y_b = 0 in 2002 after 3 is fine, y_a = 0 in 2000 is the base of 2001.
    let m = e("growth(y)");
    assert!(
        m.contains("growth(y)") && m.contains("for unit a in period 2001") && m.contains("previous period is 0"),
        "{m}"
    );
    // Bad k.
    for (text, part) in [
        ("lag(x, 0)", "whole number ≥ 1, here 0"),
        ("lag(x, 1.5)", "here 1.5"),
        ("lag(x, -1)", "lead(x, 1)"),
        ("lead(x, -2)", "lag(x, 2)"),
        ("lag(x, y)", "must be a constant"),
        ("lag(x, 1, 2)", "lag(x) or lag(x, k)"),
        ("diff(x, 1)", "write diff(x)"),
    ] {
        let m = e(text);
        assert!(m.contains(text) && m.contains(part), "{text}: {m}");
    }
    // Unknown column and function, with did-you-mean.
    let m = e("log(yy) + x");
    assert!(
        m.contains("unknown column 'yy'") && m.contains("did you mean 'y'"),
        "{m}"
    );
    let m = e("dif(x)");
    assert!(
        m.contains("unknown function dif()") && m.contains("did you mean diff()"),
        "{m}"
    );
    // Panel functions on a Frame say to build a panel.
    for fun in ["lag", "lead", "diff", "growth", "unit_mean", "period_mean"] {
        let m = compute_frame(p.frame(), &format!("{fun}(x)")).unwrap_err().to_string();
        assert!(
            m.contains(&format!("{fun}()")) && m.contains("panel(f, id, time)"),
            "{m}"
        );
    }
    // A frame read from a file names the row and the line.
    let f = read_csv(&root("examples/data/produc/data.csv"), &CsvOptions::default()).unwrap();
    let m = compute_frame(&f, "1 / (unemp - 4.7)").unwrap_err().to_string();
    assert!(
        m.contains("division by zero") && m.contains("in row 1 (line 2 of"),
        "{m}"
    );
    // mutate names the assignment; id and time cannot be replaced.
    let m = mutate_panel(&p, &assignment("lx", "log(y)")).unwrap_err().to_string();
    assert!(m.starts_with("mutate lx: "), "{m}");
    let m = mutate_panel(&p, &assignment("t", "t + 1")).unwrap_err().to_string();
    assert!(m.contains("'t' is the panel's time column"), "{m}");
    let m = mutate_frame(p.frame(), &assignment("z", "x +"))
        .unwrap_err()
        .to_string();
    assert!(m.contains("mutate z") && m.contains("at the end"), "{m}");
}

#[test]
fn panel_filters_keep_whole_units_or_whole_periods() {
    let f = read_csv(&fixture("produc/data.csv"), &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    // By a column constant within units: those units, all periods.
    let south = p.filter_keys("region", &s(&["5", "6"]), false).unwrap();
    let rest = p.filter_keys("region", &s(&["5", "6"]), true).unwrap();
    assert_eq!(south.t(), 17);
    assert_eq!(south.n() + rest.n(), 48);
    assert!(south.ids().iter().all(|i| !rest.ids().contains(i)));
    let regions = f.keys("region").unwrap();
    let ids = f.keys("id").unwrap();
    let want: std::collections::BTreeSet<&String> = (0..f.nrows())
        .filter(|&r| regions[r] == "5" || regions[r] == "6")
        .map(|r| &ids[r])
        .collect();
    assert_eq!(south.ids().iter().collect::<std::collections::BTreeSet<_>>(), want);
    // By the id: drop two units.
    let q = p.filter_keys("id", &s(&["ALABAMA", "TEXAS"]), true).unwrap();
    assert_eq!((q.n(), q.t()), (46, 17));
    assert!(!q.ids().iter().any(|i| i == "ALABAMA" || i == "TEXAS"));
    // By the time column: those periods, all units; values follow their rows.
    let q = p.filter_keys("time", &s(&["1980", "1981", "1982"]), false).unwrap();
    assert_eq!((q.n(), q.t(), q.times()), (48, 3, &s(&["1980", "1981", "1982"])[..]));
    let x = compute_panel(&q, "gsp").unwrap();
    let full = compute_panel(&p, "gsp").unwrap();
    assert_eq!(x[..], full[10 * 48..13 * 48]);
    // Rows by a predicate mask: whole units or whole periods only.
    let n = p.n();
    let late: Vec<bool> = (0..n * p.t()).map(|r| r / n >= 10).collect();
    assert_eq!(p.keep_rows(&late, "time >= 1980").unwrap().t(), 7);
    let single: Vec<bool> = (0..n * p.t()).map(|r| r != 5 * n + 3).collect();
    let m = p.keep_rows(&single, "the predicate").unwrap_err().to_string();
    assert!(
        m.contains(&format!("unit {}", p.ids()[3])) && m.contains("period 1975") && m.contains("balance("),
        "{m}"
    );
    // A time-varying column cannot filter a panel; the message says what to do.
    let m = p.filter_keys("unemp", &s(&["4.7"]), false).unwrap_err().to_string();
    assert!(m.contains("changes over time") && m.contains("p.frame()"), "{m}");
    let m = p.filter_keys("region", &s(&["99"]), false).unwrap_err().to_string();
    assert!(m.contains("nothing is left"), "{m}");
}

#[test]
fn script_mutate_compute_and_panel_filters() {
    let sb = Sandbox::new(
        "mutate_script",
        &[(
            "d.csv",
            b"id,t,x,g\na,1,1,n\na,2,2,n\na,3,4,n\nb,1,10,s\nb,2,NA,s\nb,3,5,s\n",
        )],
    );
    let out = sb.succeeds(
        r#"
        let f = read_csv("d.csv");
        let p = panel(f, "id", "t");
        let q = p.mutate("lx", "log(x)").mutate("gx", "growth(x)");
        assert(q.names().contains("lx") && q.names().contains("gx"), "columns added");
        assert(q["gx"][2] == 1.0 && q["gx"][4] == 1.0, "growth");
        let r = q.mutate("x", "x * 2");
        assert(r["x"][0] == 2.0, "replaced");
        let m = p.mutate(#{dx: "diff(x)", mx: "unit_mean(x)", dm: "x - mx"});
        assert(m["mx"][1] == 7.5 && m["dm"][1] == 2.5, "map form in dependency order");
        let c = p.compute("x + 1");
        assert(type_of(c) == "array" && c.len() == 6 && c[0] == 2.0, "compute");
        let cat = p.column("x") + p.column("x");
        assert(cat.len() == 12, "arrays concatenate");
        let fr = f.mutate("y", "x / 2");
        assert(fr["y"][0] == 0.5, "frame mutate");
        assert(f.compute("x^2")[2] == 16.0, "frame compute");
        assert(p.filter("g", "n").n == 1 && p.exclude("g", "n").ids() == ["b"], "filter/exclude");
        assert(p.filter("g", "n", #{not: true}).ids() == ["b"], "not");
        assert(p.filter(|row| row.t >= 2).t == 2, "predicate periods");
        assert(p.filter(|row| row.id == "a").n == 1, "predicate units");
        print("done");
        "#,
    );
    assert!(out.contains("mutate: replaced column x"), "{out}");
    assert!(out.contains("done"), "{out}");
    let pre = r#"let p = panel(read_csv("d.csv"), "id", "t");"#;
    sb.fails(
        &format!(r#"{pre} p.mutate("lx", "log(x - 1)");"#),
        &["mutate lx", "log(x - 1)", "for unit a in period 1"],
    );
    sb.fails(
        r#"read_csv("d.csv").mutate("l", "lag(x)");"#,
        &["lag()", "panel(f, id, time)"],
    );
    sb.fails(&format!(r#"{pre} p.mutate("l", "lag(x, 0)");"#), &["whole number"]);
    sb.fails(
        &format!(r#"{pre} p.compute("xx + 1");"#),
        &["unknown column 'xx'", "did you mean 'x'"],
    );
    sb.fails(
        &format!(r#"{pre} p.mutate(#{{a: 1}});"#),
        &["expected the expression as a string"],
    );
    sb.fails(
        &format!(r#"{pre} p.filter(|row| row.x > 3.0);"#),
        &["unbalanced", "balance("],
    );
}
