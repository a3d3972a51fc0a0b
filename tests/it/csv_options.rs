//! read_csv options (issue 15): encoding, decimal comma, skip, comment; and the speed of
//! reading a large numeric file.

use spillover::data::csv::{read_csv, CsvOptions};
use std::io::Write;

/// Writes a panel CSV of `n` units × `t` periods as the `scale` example does (`id,time` keys and
/// four floats in `{:.17e}` form when `sci`, else in Rust's shortest form).
fn write_panel(path: &std::path::Path, n: usize, t: usize, sci: bool) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "id,time,y,x1,x2,x3").unwrap();
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    };
    for p in 0..t {
        for i in 0..n {
            write!(f, "{},{}", i + 1, 2000 + p).unwrap();
            for _ in 0..4 {
                let x = next();
                if sci {
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

/// Timing of a 1,000,000-row file (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn time_one_million_rows() {
    let dir = std::env::temp_dir().join(format!("spillover_csv_time_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for sci in [true, false] {
        let p = dir.join(format!("panel_{sci}.csv"));
        write_panel(&p, 100_000, 10, sci);
        for _ in 0..3 {
            let t0 = std::time::Instant::now();
            let f = read_csv(p.to_str().unwrap(), &CsvOptions::default()).unwrap();
            eprintln!("sci={sci}: {} rows in {:.3} s", f.nrows(), t0.elapsed().as_secs_f64());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
