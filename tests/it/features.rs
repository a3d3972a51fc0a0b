//! The core without its front ends (issue 14, "Layout" and "Hygiene"): progress of long loops
//! reaches the sink a program installs (the command line installs indicatif bars), and tables
//! measure text by its terminal width. That `cargo build --no-default-features` builds the core
//! without Rhai, clap, rustyline or plotters is checked by `.ci/run`.

use crate::common::ring;
use spillover::esda::{local_moran, moran, MoranOptions};
use spillover::report::table::{display_width, Table};
use spillover::weights::Standardization;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Per (label, total): the largest `done` seen and the number of updates.
type Seen = HashMap<(String, u64), (u64, u64)>;

#[test]
fn progress_sink_sees_every_permutation_and_every_local_unit() {
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let record = Arc::clone(&seen);
    spillover::progress::set_callback(move |label: &str, done: u64, total: u64| {
        let mut s = record.lock().unwrap();
        let e = s.entry((label.to_string(), total)).or_default();
        e.0 = e.0.max(done);
        e.1 += 1;
    });
    // Sizes no other test uses, since other tests may run permutations at the same time.
    let w = ring(37, Standardization::Row);
    let x: Vec<f64> = (0..37).map(|i| ((i * 7) % 11) as f64).collect();
    let o = MoranOptions {
        permutations: Some(137),
        seed: 5,
    };
    let m = moran(&x, &w, &o);
    let l = local_moran(&x, &w, &o);
    spillover::progress::set_sink(None);
    m.unwrap();
    l.unwrap();
    let s = seen.lock().unwrap();
    assert_eq!(
        s.get(&("Moran's I permutations".to_string(), 137)),
        Some(&(137, 137)),
        "{s:?}"
    );
    assert_eq!(
        s.get(&("local Moran permutations".to_string(), 37)),
        Some(&(37, 37)),
        "{s:?}"
    );
}

#[test]
fn tables_align_wide_characters_and_combining_marks() {
    // "e" + U+0301 (combining acute) takes one column, a CJK character two.
    assert_eq!(display_width("Cafe\u{301}"), 4);
    assert_eq!(display_width("长三角"), 6);
    let mut t = Table::new("T", vec!["city".into(), "n".into()]);
    t.push(vec!["Cafe\u{301}".into(), 1.5.into()]);
    t.push(vec!["Paris".into(), 2.5.into()]);
    t.push(vec!["长三角".into(), 3.5.into()]);
    let text = t.to_text();
    let rows: Vec<&str> = text.lines().filter(|l| l.ends_with(".5000")).collect();
    assert_eq!(rows.len(), 3, "{text}");
    let widths: Vec<usize> = rows.iter().map(|r| display_width(r)).collect();
    assert!(widths.iter().all(|&c| c == widths[0]), "{widths:?}\n{text}");
}
