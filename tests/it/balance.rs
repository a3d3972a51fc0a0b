//! Issue 15, data management: `balance(f, id, time, "drop_units" | "drop_periods")` (core and
//! binding).

use crate::common::root;
use crate::sandbox::Sandbox;
use spillover::data::balance::{balance, balance_report, BalanceMode};
use spillover::data::csv::read_csv;
use spillover::data::missing::CsvOptions;
use spillover::data::{Frame, Panel};

fn produc() -> Frame {
    read_csv(&root("examples/data/produc/data.csv"), &CsvOptions::default()).unwrap()
}

/// Produc without the rows whose (id, time) is in `gone`.
fn without(f: &Frame, gone: &[(&str, &str)]) -> Frame {
    let ids = f.keys("id").unwrap();
    let times = f.keys("time").unwrap();
    let idx: Vec<usize> = (0..f.nrows())
        .filter(|&r| !gone.iter().any(|(i, t)| ids[r] == *i && times[r] == *t))
        .collect();
    assert_eq!(idx.len(), f.nrows() - gone.len(), "every removed pair exists");
    f.take(&idx)
}

/// The same rows in a scrambled (deterministic) order.
fn shuffled(f: &Frame) -> Frame {
    let n = f.nrows();
    let mut idx: Vec<usize> = (0..n).map(|i| (i * 37 + 11) % n).collect();
    idx.reverse();
    let mut seen = idx.clone();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), n, "a permutation");
    f.take(&idx)
}

const GONE: [(&str, &str); 4] = [
    ("ALABAMA", "1975"),
    ("IOWA", "1970"),
    ("IOWA", "1986"),
    ("TEXAS", "1980"),
];

fn unique(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

#[test]
fn drop_units_drops_exactly_the_incomplete_units_and_panel_builds() {
    let f = without(&produc(), &GONE);
    let b = balance(&f, "id", "time", BalanceMode::DropUnits).unwrap();
    assert_eq!(b.dropped, ["ALABAMA", "IOWA", "TEXAS"]);
    assert_eq!((b.n_units, b.n_periods), (48, 17));
    assert_eq!(b.frame.nrows(), 45 * 17);
    let kept = unique(b.frame.keys("id").unwrap());
    assert_eq!(kept.len(), 45);
    assert!(!kept.iter().any(|k| k == "ALABAMA" || k == "IOWA" || k == "TEXAS"));
    let p = Panel::new(&b.frame, "id", "time").unwrap();
    assert_eq!((p.n(), p.t()), (45, 17));
    assert!(Panel::new(&f, "id", "time").is_err(), "the input was unbalanced");
    assert_eq!(
        balance_report(&b, BalanceMode::DropUnits),
        "balance: dropped 3 of 48 units (ids: ALABAMA, IOWA, TEXAS) missing some of the 17 periods"
    );
}

#[test]
fn drop_periods_drops_exactly_the_incomplete_periods_and_panel_builds() {
    let f = without(&produc(), &GONE);
    let b = balance(&f, "id", "time", BalanceMode::DropPeriods).unwrap();
    assert_eq!(b.dropped, ["1970", "1975", "1980", "1986"]);
    assert_eq!(b.frame.nrows(), 48 * 13);
    let p = Panel::new(&b.frame, "id", "time").unwrap();
    assert_eq!((p.n(), p.t()), (48, 13));
    assert_eq!(
        balance_report(&b, BalanceMode::DropPeriods),
        "balance: dropped 4 of 17 periods (1970, 1975, 1980, 1986) that some of the 48 units lack"
    );
}

#[test]
fn balanced_input_is_unchanged_and_reported_as_such() {
    let f = produc();
    for mode in [BalanceMode::DropUnits, BalanceMode::DropPeriods] {
        let b = balance(&f, "id", "time", mode).unwrap();
        assert!(b.dropped.is_empty());
        assert_eq!(b.frame.nrows(), f.nrows());
        assert!(balance_report(&b, mode).contains("nothing dropped"));
    }
}

#[test]
fn shuffled_rows_give_the_same_result() {
    let f = without(&produc(), &GONE);
    let g = shuffled(&f);
    for mode in [BalanceMode::DropUnits, BalanceMode::DropPeriods] {
        let a = balance(&f, "id", "time", mode).unwrap();
        let b = balance(&g, "id", "time", mode).unwrap();
        assert_eq!(a.dropped, b.dropped);
        for c in ["id", "time"] {
            assert_eq!(a.frame.keys(c).unwrap(), b.frame.keys(c).unwrap(), "{c}");
        }
        for c in ["pcap", "gsp", "unemp"] {
            assert_eq!(a.frame.numeric(c).unwrap(), b.frame.numeric(c).unwrap(), "{c}");
        }
    }
}

#[test]
fn duplicate_pair_is_an_error_naming_unit_period_and_rows() {
    let f = produc();
    let mut idx: Vec<usize> = (0..f.nrows()).collect();
    idx.push(3); // ALABAMA 1973 again, as row 817
    let g = f.take(&idx);
    let e = balance(&g, "id", "time", BalanceMode::DropUnits)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("'ALABAMA'") && e.contains("'1973'") && e.contains("rows 4 and 817"),
        "{e}"
    );
}

#[test]
fn empty_result_is_an_error_suggesting_the_other_mode() {
    // Every unit lacks some period (unit i lacks period i mod 17): no complete unit; and
    // every period lacks some unit: no complete period.
    let f = produc();
    let ids = f.keys("id").unwrap();
    let times = f.keys("time").unwrap();
    let units = unique(ids.clone());
    let idx: Vec<usize> = (0..f.nrows())
        .filter(|&r| {
            let u = units.iter().position(|k| *k == ids[r]).unwrap();
            times[r] != (1970 + u % 17).to_string()
        })
        .collect();
    let g = f.take(&idx);
    let e = balance(&g, "id", "time", BalanceMode::DropUnits)
        .unwrap_err()
        .to_string();
    assert!(e.contains("leaves nothing") && e.contains("drop_periods"), "{e}");
    let e = balance(&g, "id", "time", BalanceMode::DropPeriods)
        .unwrap_err()
        .to_string();
    assert!(e.contains("leaves nothing") && e.contains("drop_units"), "{e}");
}

#[test]
fn script_balance_prints_what_it_dropped_and_refuses_bad_modes() {
    let sb = Sandbox::new("balance", &[("d.csv", b"id,t,x\na,1,1\na,2,2\nb,1,3\nc,2,4\nc,1,5\n")]);
    let out = sb.succeeds(
        r#"
        let f = read_csv("d.csv");
        let u = balance(f, "id", "t", "drop_units");
        assert(u.keys("id") == ["a", "a", "c", "c"] && u["x"] == [1.0, 2.0, 5.0, 4.0], "units");
        let p = panel(u, "id", "t");
        let q = balance(f, "id", "t", "drop_periods");
        assert(q.keys("t") == ["1", "1", "1"], "periods");
        "#,
    );
    assert!(
        out.contains("balance: dropped 1 of 3 units (ids: b) missing some of the 2 periods"),
        "{out}"
    );
    assert!(
        out.contains("balance: dropped 1 of 2 periods (2) that some of the 3 units lack"),
        "{out}"
    );
    sb.fails(
        r#"let f = read_csv("d.csv"); balance(f, "id", "t", "units");"#,
        &["drop_units", "drop_periods"],
    );
}
