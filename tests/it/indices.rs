//! Indices: Mar/Jacobs against the citycluster reference columns and docs/methods.md Appendix B, Resi
//! variants A and B, and their edge cases.

use crate::common::citycluster;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Column, Frame};
use spillover::indices::{
    agglomeration, location_quotients, resilience, AggOptions, JacobsKind, JacobsZero, MarKind, MissingSector,
    National, ResilienceKind, ResilienceOptions, ZeroDenominator,
};
use std::collections::HashMap;

fn emp_frame(ids: &[&str], sectors: &[f64], emp: &[f64]) -> Frame {
    Frame::from_columns(vec![
        ("id".into(), Column::Text(ids.iter().map(|s| s.to_string()).collect())),
        ("time".into(), Column::Num(vec![2000.0; ids.len()])),
        ("industry".into(), Column::Num(sectors.to_vec())),
        ("emp".into(), Column::Num(emp.to_vec())),
    ])
    .unwrap()
}

/// docs/methods.md Appendix B: city shares (0.5, 0.3, 0.2), national shares (0.25, 0.25, 0.5).
fn appendix_b(mar: MarKind, jacobs: JacobsKind) -> (f64, f64) {
    let f = emp_frame(&["a"; 3], &[1.0, 2.0, 3.0], &[500.0, 300.0, 200.0]);
    let national = Frame::from_columns(vec![
        ("time".into(), Column::Num(vec![2000.0; 3])),
        ("industry".into(), Column::Num(vec![1.0, 2.0, 3.0])),
        ("emp".into(), Column::Num(vec![1e6, 1e6, 2e6])),
    ])
    .unwrap();
    let o = AggOptions {
        national: Some(national),
        mar,
        jacobs,
        ..Default::default()
    };
    let r = agglomeration(&f, &o).unwrap();
    (r.numeric("mar").unwrap()[0], r.numeric("jacobs").unwrap()[0])
}

#[test]
fn appendix_b_mar_jacobs() {
    let (mar, jac) = appendix_b(MarKind::MaxLq, JacobsKind::Rdi);
    assert!(
        (mar - 2.0).abs() < 1e-15 && (jac - 5.0 / 3.0).abs() < 1e-14,
        "{mar} {jac}"
    );
    let (k, sq) = appendix_b(MarKind::Krugman, JacobsKind::RdiSquared);
    assert!((k - 0.6).abs() < 1e-15);
    assert!((sq - 1.0 / 0.155).abs() < 1e-12 && (sq - 6.4516).abs() < 1e-4, "{sq}");
    let (ms, hhi) = appendix_b(MarKind::MaxShare, JacobsKind::InverseHhi);
    assert!((ms - 0.5).abs() < 1e-15 && (hhi - 1.0 / 0.38).abs() < 1e-14);
    let (lq3, _) = appendix_b(MarKind::Lq("3".into()), JacobsKind::Rdi);
    assert!((lq3 - 0.4).abs() < 1e-15);
}

#[test]
fn citycluster_spec_and_div_reproduced() {
    let emp = read_csv(&citycluster("employment.csv"), &CsvOptions::default()).unwrap();
    let r = agglomeration(&emp, &AggOptions::default()).unwrap();
    let cy = read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap();
    assert_eq!(r.nrows(), cy.nrows());
    let key = |f: &Frame| -> Vec<String> {
        let (i, t) = (f.keys("id").unwrap(), f.keys("time").unwrap());
        i.iter().zip(&t).map(|(a, b)| format!("{a}/{b}")).collect()
    };
    let pos: HashMap<String, usize> = key(&r).into_iter().enumerate().map(|(k, s)| (s, k)).collect();
    let (mar, jac) = (r.numeric("mar").unwrap(), r.numeric("jacobs").unwrap());
    let (spec, div) = (cy.numeric("spec").unwrap(), cy.numeric("div").unwrap());
    let mut worst: f64 = 0.0;
    for (row, k) in key(&cy).iter().enumerate() {
        let m = pos[k];
        for (got, want) in [(mar[m], spec[row]), (jac[m], div[row])] {
            let rel = (got - want).abs() / want.abs();
            worst = worst.max(rel);
            assert!(rel <= 1e-10, "{k}: got {got:e}, want {want:e}");
        }
        assert!(jac[m] >= 0.5, "Jacobs ≥ 0.5 (docs/methods.md §1.3)");
    }
    assert!(worst < 1e-10);
    // Location quotients: the max over sectors is Mar.
    let lq = location_quotients(&emp, &AggOptions::default()).unwrap();
    assert_eq!(lq.nrows(), emp.nrows());
    let first = lq.numeric("lq").unwrap()[..19].iter().copied().fold(f64::MIN, f64::max);
    assert!((first - mar[0]).abs() <= 1e-15 * mar[0]);
}

#[test]
fn agglomeration_edge_cases() {
    // Sector 3 is absent nationally (share 0): dropped from the max LQ.
    let f = emp_frame(
        &["a", "a", "b", "b", "b"],
        &[1.0, 2.0, 1.0, 2.0, 3.0],
        &[10.0, 30.0, 20.0, 20.0, 0.0],
    );
    let r = agglomeration(&f, &AggOptions::default()).unwrap();
    // National (30, 50, 0)/80; a: (0.25, 0.75) → LQ (0.6667, 1.2), but a has no row for
    // sector 3 → missing by default.
    assert!(r.numeric("mar").unwrap()[0].is_nan());
    let zero = AggOptions {
        missing_sector: MissingSector::Zero,
        ..Default::default()
    };
    let r = agglomeration(&f, &zero).unwrap();
    let mar = r.numeric("mar").unwrap();
    assert!((mar[0] - 0.75 / 0.625).abs() < 1e-15, "{}", mar[0]);
    assert!((mar[1] - 0.5 / 0.375).abs() < 1e-15, "{}", mar[1]);
    // Total employment 0 is an error naming unit and period.
    let f0 = emp_frame(&["a", "a", "b", "b"], &[1.0, 2.0, 1.0, 2.0], &[0.0, 0.0, 5.0, 5.0]);
    let e = agglomeration(&f0, &AggOptions::default()).unwrap_err().to_string();
    assert!(
        e.contains("unit a") && e.contains("period 2000") && e.contains("total employment 0"),
        "{e}"
    );
    // A unit with the national structure: Jacobs denominator 0.
    let fs = emp_frame(&["a", "a", "b", "b"], &[1.0, 2.0, 1.0, 2.0], &[1.0, 3.0, 2.0, 6.0]);
    let e = agglomeration(&fs, &AggOptions::default()).unwrap_err().to_string();
    assert!(e.contains("unit a") && e.contains("jacobs_zero"), "{e}");
    let cap = AggOptions {
        jacobs_zero: JacobsZero::Cap(1e-6),
        ..Default::default()
    };
    let r = agglomeration(&fs, &cap).unwrap();
    assert!((r.numeric("jacobs").unwrap()[0] - 1e6).abs() < 1e-6);
    // Duplicate rows.
    let fd = emp_frame(&["a", "a"], &[1.0, 1.0], &[1.0, 3.0]);
    let e = agglomeration(&fd, &AggOptions::default()).unwrap_err().to_string();
    assert!(e.contains("duplicate") && e.contains("(a, 2000, 1)"), "{e}");
    // NaN employment is missing too.
    let fnan = emp_frame(&["a", "a", "b", "b"], &[1.0, 2.0, 1.0, 2.0], &[f64::NAN, 3.0, 2.0, 5.0]);
    let r = agglomeration(&fnan, &AggOptions::default()).unwrap();
    assert!(r.numeric("jacobs").unwrap()[0].is_nan() && r.numeric("jacobs").unwrap()[1].is_finite());
}

fn resi_frame(id: &[&str], time: &[f64], g: &[f64], n: &[f64]) -> Frame {
    Frame::from_columns(vec![
        ("id".into(), Column::Text(id.iter().map(|s| s.to_string()).collect())),
        ("time".into(), Column::Num(time.to_vec())),
        ("growth".into(), Column::Num(g.to_vec())),
        ("national".into(), Column::Num(n.to_vec())),
    ])
    .unwrap()
}

#[test]
fn resilience_appendix_b_variants() {
    // Variant B: G_r = (8, 10), G_n = (7, 6) → 3. Rows given out of time order.
    let f = resi_frame(&["r", "r"], &[2001.0, 2000.0], &[10.0, 8.0], &[6.0, 7.0]);
    let r = resilience(&f, &ResilienceOptions::default()).unwrap();
    assert!((r[0] - 3.0).abs() < 1e-15 && r[1].is_nan(), "{r:?}");
    // Variant A: levels G_r = (100, 110), G_n = (200, 210) → 1.
    let f = resi_frame(&["r", "r"], &[2000.0, 2001.0], &[100.0, 110.0], &[200.0, 210.0]);
    let o = ResilienceOptions {
        kind: ResilienceKind::LevelGrowth,
        ..Default::default()
    };
    let r = resilience(&f, &o).unwrap();
    assert!(r[0].is_nan() && (r[1] - 1.0).abs() < 1e-13, "{r:?}");
    // National series from a table by period.
    let nat = Frame::from_columns(vec![
        ("year".into(), Column::Num(vec![2000.0, 2001.0])),
        ("g".into(), Column::Num(vec![200.0, 210.0])),
    ])
    .unwrap();
    let o2 = ResilienceOptions {
        kind: ResilienceKind::LevelGrowth,
        national: National::Frame {
            frame: nat,
            time: "year".into(),
            value: "g".into(),
        },
        ..Default::default()
    };
    assert_eq!(resilience(&f, &o2).unwrap()[1], r[1]);
}

#[test]
fn resilience_edge_cases() {
    // Zero national change: error naming unit and period, or NaN on request.
    let f = resi_frame(
        &["a", "a", "a", "b", "b", "b"],
        &[1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
        &[8.0, 9.0, f64::NAN, 5.0, 4.0, 6.0],
        &[7.0, 7.0, 6.0, 7.0, 7.0, 6.0],
    );
    let e = resilience(&f, &ResilienceOptions::default()).unwrap_err().to_string();
    assert!(
        e.contains("unit a") && e.contains("period 2") && e.contains("zero_denominator"),
        "{e}"
    );
    let o = ResilienceOptions {
        zero_denominator: ZeroDenominator::Nan,
        ..Default::default()
    };
    let r = resilience(&f, &o).unwrap();
    // a: t1 NaN (first year), t2 NaN (zero denominator), t3 NaN (missing input, never 0).
    assert!(r[0].is_nan() && r[1].is_nan() && r[2].is_nan());
    // b at t3: ((6 − 4) − (6 − 7)) / 1 = 3.
    assert!(r[3].is_nan() && r[4].is_nan() && (r[5] - 3.0).abs() < 1e-15);
    // Variant A refuses non-positive levels.
    let fa = resi_frame(&["a", "a"], &[1.0, 2.0], &[0.0, 1.0], &[5.0, 6.0]);
    let oa = ResilienceOptions {
        kind: ResilienceKind::LevelGrowth,
        ..Default::default()
    };
    assert!(resilience(&fa, &oa).unwrap_err().to_string().contains("> 0"));
    // A wrong region column names the option.
    let ob = ResilienceOptions {
        region: "id".into(),
        ..Default::default()
    };
    assert!(resilience(&f, &ob).unwrap_err().to_string().contains("option region"));
}
