//! Reading a 1,000,000-row, 6-column numeric CSV (issue 15: under 1 s on the 2-core machine):
//! a panel of N = 100,000 units × T = 10 periods with two key columns (`id`, `time`) and four
//! floats, written as the `scale` example writes its data (`{:.17e}`), and the same values in
//! Rust's shortest form (`{}`, as Python's repr writes them). The files are generated in a
//! temporary folder and removed afterwards. The time excludes dropping the frame.
//!
//! Run: `cargo bench --bench csv_read -- --warm-up-time 1 --measurement-time 5`.

use criterion::{criterion_group, criterion_main, Criterion};
use spillover::data::csv::{read_csv, CsvOptions};
use std::hint::black_box;
use std::io::Write;

/// splitmix64, so the bench needs no extra dependency.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Writes the panel to `path`: floats as `{:.17e}` when `scientific`, else in shortest form.
fn write_panel(path: &std::path::Path, n: usize, t: usize, scientific: bool) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create the bench file"));
    writeln!(f, "id,time,y,x1,x2,x3").unwrap();
    let mut s = 15u64;
    for p in 0..t {
        for i in 0..n {
            write!(f, "{},{}", i + 1, 2000 + p).unwrap();
            for _ in 0..4 {
                let x = (splitmix(&mut s) >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0;
                if scientific {
                    write!(f, ",{x:.17e}").unwrap();
                } else {
                    write!(f, ",{x}").unwrap();
                }
            }
            writeln!(f).unwrap();
        }
    }
    f.flush().unwrap();
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("spillover_bench_csv_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = c.benchmark_group("csv_read");
    g.sample_size(10);
    for (name, scientific) in [("scale_form_17e", true), ("shortest_form", false)] {
        let path = dir.join(format!("{name}.csv"));
        write_panel(&path, 100_000, 10, scientific);
        let p = path.to_str().unwrap().to_string();
        let o = CsvOptions::default();
        assert_eq!(read_csv(&p, &o).unwrap().nrows(), 1_000_000);
        g.bench_function(format!("read_csv_1m_rows_6_cols_{name}"), |b| {
            b.iter_with_large_drop(|| read_csv(black_box(&p), &o).unwrap())
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
