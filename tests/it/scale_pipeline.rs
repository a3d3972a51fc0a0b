//! The pipeline outside the likelihood at scale (issue 20): a CSV large enough to be parsed in
//! parallel pieces reads back exactly what was written, in order, with errors naming the line
//! of the file; a panel is matched by id and period whatever the row order; a GAL file with a
//! million-unit-style layout (short and long ids) reads back its links; the peers script of
//! examples/ skips the peers that are not installed and says so.

use crate::sandbox::Sandbox;
use spillover::data::csv::{parse_csv, CsvOptions};
use spillover::data::{Column, Panel};
use spillover::weights::io::{parse_weights, Format, ReadOptions};

/// The value of x in row r: exactly representable in the shortest form `{}` prints, different
/// in every row, of both signs and many magnitudes.
fn x_of(r: usize) -> f64 {
    let k = r as f64;
    (k * 0.618_033_988_749_894_9).sin() * 10f64.powi((r % 7) as i32 - 3)
}

/// `rows` data rows "u{i},{t},{x}" of n units, stacked time-slow, as one CSV text of more than
/// 1 MiB when rows ≥ 40,000 (the size above which pieces are parsed in parallel).
fn csv_text(n: usize, rows: usize) -> String {
    let mut s = String::from("id,time,x\n");
    for r in 0..rows {
        s += &format!("u{},{},{}\n", r % n, 2000 + r / n, x_of(r));
    }
    s
}

#[test]
fn large_csv_parsed_in_pieces_reads_back_what_was_written() {
    let (n, rows) = (5_000, 100_000);
    let text = csv_text(n, rows);
    assert!(text.len() > 2 << 20, "the file must be large enough to be split");
    let f = parse_csv(text.as_bytes(), "big.csv", &CsvOptions::default()).unwrap();
    assert_eq!(f.nrows(), rows);
    let x = f.numeric("x").unwrap();
    for (r, v) in x.iter().enumerate() {
        assert_eq!(v.to_bits(), x_of(r).to_bits(), "row {r}");
    }
    match f.column("id").unwrap() {
        Column::Text(v) => {
            for r in [0, 1, n - 1, n, rows / 2 + 3, rows - 1] {
                assert_eq!(v[r], format!("u{}", r % n), "row {r}");
            }
        }
        other => panic!("id should be text, got {other:?}"),
    }
    assert_eq!(f.numeric("time").unwrap()[rows - 1], 2000.0 + ((rows - 1) / n) as f64);
    // Every number was written in its plain form: no text is kept.
    assert!(f.written_text("x").is_none());
    // The line of each row is the file's (header on line 1).
    let o = f.origin().unwrap();
    assert_eq!((o.lines[0], o.lines[rows - 1]), (2, rows as u64 + 1));
}

#[test]
fn late_cells_decide_the_column_and_errors_name_the_file_line() {
    let (n, rows) = (5_000, 60_000);
    // A number not in its plain form near the end: the column keeps every text as written.
    let mut text = csv_text(n, rows);
    text += "u0,2100,1.50\n";
    let f = parse_csv(text.as_bytes(), "big.csv", &CsvOptions::default()).unwrap();
    let t = f.written_text("x").expect("texts kept");
    assert_eq!(t[rows], "1.50");
    assert_eq!(t[7], x_of(7).to_string());
    assert_eq!(f.numeric("x").unwrap()[rows], 1.5);
    // A ragged row in the last piece: the error names its line in the file.
    let mut text = csv_text(n, rows);
    text += "u1,2100\n";
    let e = parse_csv(text.as_bytes(), "big.csv", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    let line = rows + 2;
    assert!(e.starts_with(&format!("big.csv:{line}:")), "{e}");
    // A text cell in the middle of the file makes the column text; using it as a number names
    // the file, line and column of that cell.
    let mut lines: Vec<String> = csv_text(n, rows).lines().map(str::to_string).collect();
    let bad = 31_234;
    lines[bad] = format!("u{},{},oops", (bad - 1) % n, 2000 + (bad - 1) / n);
    let text = lines.join("\n") + "\n";
    let f = parse_csv(text.as_bytes(), "big.csv", &CsvOptions::default()).unwrap();
    let e = f.numeric("x").unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("big.csv:{}:3:", bad + 1)) && e.contains("'oops'"),
        "{e}"
    );
}

#[test]
fn panel_matches_rows_by_id_and_period_in_any_order() {
    let (n, t) = (300, 4);
    // Rows written unit-slow and periods descending: the panel must restack them time-slow.
    let mut s = String::from("id,time,x\n");
    for i in 0..n {
        for k in (0..t).rev() {
            // x encodes (unit, period) so that every cell can be checked.
            s += &format!("u{i},{},{}\n", 2000 + k, (i * 10 + k) as f64);
        }
    }
    let f = parse_csv(s.as_bytes(), "p.csv", &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    assert_eq!((p.n(), p.t()), (n, t));
    assert_eq!(p.times(), &["2000", "2001", "2002", "2003"]);
    assert_eq!(p.ids()[0], "u0");
    assert_eq!(p.ids()[n - 1], format!("u{}", n - 1));
    let x = p.var("x").unwrap();
    for k in 0..t {
        for i in 0..n {
            assert_eq!(x[k * n + i], (i * 10 + k) as f64, "unit {i} period {k}");
        }
    }
    // The owned constructor gives the same panel.
    assert_eq!(Panel::from_frame(f.clone(), "id", "time").unwrap(), p);
    // Rows already time-slow are kept as they are.
    let q = Panel::from_frame(p.frame().clone(), "id", "time").unwrap();
    assert_eq!(q.var("x").unwrap(), x);

    // A duplicate (id, time) pair and a missing one are named.
    let dup = s.replacen("u1,2003,13", "u2,2003,13", 1);
    let f = parse_csv(dup.as_bytes(), "p.csv", &CsvOptions::default()).unwrap();
    let e = Panel::new(&f, "id", "time").unwrap_err().to_string();
    assert!(e.contains("1 duplicate (id, time) pair(s): (u2, 2003)"), "{e}");
    let gap: String = s
        .lines()
        .filter(|l| *l != "u7,2001,71")
        .map(|l| format!("{l}\n"))
        .collect();
    let f = parse_csv(gap.as_bytes(), "p.csv", &CsvOptions::default()).unwrap();
    let e = Panel::new(&f, "id", "time").unwrap_err().to_string();
    assert!(
        e.contains("1 missing (id, time) pair(s)") && e.contains("(u7, 2001)"),
        "{e}"
    );
    // A missing id cell names the file line.
    let hole = s.replacen("u5,2002,52", ",2002,52", 1);
    let f = parse_csv(hole.as_bytes(), "p.csv", &CsvOptions::default()).unwrap();
    let e = Panel::new(&f, "id", "time").unwrap_err().to_string();
    // u5's rows start at line 2 + 5·4; period 2002 is its second row.
    assert!(e.starts_with("p.csv:23:1:") && e.contains("missing"), "{e}");
}

/// A GAL text of n units in a ring where unit i names i+1, i+2 and i+5 (mod n); ids are short
/// (`u{i}`) for even i and longer than 15 bytes for odd i.
fn gal_ring(n: usize) -> (String, Vec<String>) {
    let id = |i: usize| {
        if i % 2 == 0 {
            format!("u{i}")
        } else {
            format!("a-long-unit-name-{i}")
        }
    };
    let ids: Vec<String> = (0..n).map(id).collect();
    let mut s = format!("0 {n} ring id\n");
    for (i, unit) in ids.iter().enumerate() {
        s += &format!(
            "{} 3\n{} {} {}\n",
            unit,
            id((i + 1) % n),
            id((i + 2) % n),
            id((i + 5) % n)
        );
    }
    (s, ids)
}

#[test]
fn gal_reads_back_its_links_with_short_and_long_ids() {
    let n = 2_000;
    let (text, ids) = gal_ring(n);
    let w = parse_weights(text.as_bytes(), "ring.gal", Format::Gal, &ReadOptions::default()).unwrap();
    assert_eq!(w.ids(), &ids[..]);
    assert_eq!(w.nnz(), 3 * n);
    let m = w.matrix();
    for i in [0, 1, 2, n / 2 + 1, n - 1] {
        for d in [1, 2, 5] {
            let j = (i + d) % n;
            assert_eq!(m.get(i, j).copied(), Some(1.0 / 3.0), "w[{i}, {j}]");
        }
        assert_eq!(m.get(i, (i + 3) % n), None);
    }
    // A pair given twice: the error names the line of the repetition and the earlier one.
    let twice = text.replacen(
        "a-long-unit-name-1 u2 a-long-unit-name-5\n",
        "a-long-unit-name-1 u2 a-long-unit-name-1\n",
        1,
    );
    let e = gal_err(&twice);
    assert!(
        e.starts_with("ring.gal:3:") && e.contains("pair (u0, a-long-unit-name-1) already given on line 3"),
        "{e}"
    );
    // A neighbour without its own entry is named.
    let orphan = text.replacen("u2 a-long-unit-name-5\n", "u2 zz-nowhere\n", 1);
    let e = gal_err(&orphan);
    assert!(e.contains("without their own entry: zz-nowhere"), "{e}");
    // A unit listed twice names both lines.
    let again = format!(
        "{}u0 1\nu2\n",
        text.replacen(&format!("0 {n} "), &format!("0 {} ", n + 1), 1)
    );
    let e = gal_err(&again);
    assert!(e.contains("unit u0 already listed on line 2"), "{e}");
}

/// The error reading GAL `text` (a panic, without the weights, when it is read).
fn gal_err(text: &str) -> String {
    match parse_weights(text.as_bytes(), "ring.gal", Format::Gal, &ReadOptions::default()) {
        Ok(w) => panic!("read without error ({} units)", w.n()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn empty_and_dangling_gal_files_are_refused_naming_the_fix() {
    let e = gal_err("");
    assert!(e.starts_with("ring.gal:1:1") && e.contains("empty GAL file"), "{e}");
    let e = gal_err("0\n");
    assert!(e.contains("no units") && e.contains("at least one unit"), "{e}");
    // A neighbour that never gets its own entry is refused, not added silently.
    let e = gal_err("2\n1 1\nx\n2 1\n1\n");
    assert!(e.contains("neighbour id(s) without their own entry: x"), "{e}");
}

#[test]
fn gwt_self_weight_before_a_repeated_pair_is_the_error_reported() {
    let text = "0 3 x id\na b 1\nb b 0\nb c 2\nc c 5\na b 3\n";
    let e = parse_weights(text.as_bytes(), "w.gwt", Format::Gwt, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("w.gwt:5:") && e.contains("self-weight w_ii = 5 for unit c"),
        "{e}"
    );
    let text = "0 3 x id\na b 1\nb b 0\nb c 2\na b 3\nc c 5\n";
    let e = parse_weights(text.as_bytes(), "w.gwt", Format::Gwt, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("w.gwt:5:") && e.contains("pair (a, b) already given on line 2"),
        "{e}"
    );
    // Units in order of first appearance as a row unit, then neighbours only.
    let text = "0 3 x id\nc a 1\nb a 1\na c 1\n";
    let w = parse_weights(text.as_bytes(), "w.gwt", Format::Gwt, &ReadOptions::default()).unwrap();
    assert_eq!(w.ids(), &["c", "b", "a"]);
}

#[test]
fn peers_script_skips_missing_peers_and_prints_the_table() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scale_peers.sh");
    let (text, _) = gal_ring(30);
    let mut csv = String::from("id,time,y,x1\n");
    for k in 0..3 {
        for i in 0..30 {
            let id = if i % 2 == 0 {
                format!("u{i}")
            } else {
                format!("a-long-unit-name-{i}")
            };
            csv += &format!("{id},{k},{},{}\n", x_of(i * 3 + k) + 1.0, x_of(i * 7 + k + 1));
        }
    }
    let sb = Sandbox::new(
        "scale_peers",
        &[
            ("data/n30/panel.csv", csv.as_bytes()),
            ("data/n30/w.gal", text.as_bytes()),
        ],
    );
    let dir = sb.path("data/n30");
    let sdm = format!(
        "let p = panel(read_csv(\"{0}/panel.csv\"), \"id\", \"time\");\n\
         let w = read_weights(\"{0}/w.gal\");\n\
         print(slx(p, \"y ~ x1\", w));\n",
        dir.display()
    );
    sb.write("data/n30/sdm.rhai", sdm.as_bytes());
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg("30")
        .current_dir(sb.path("data"))
        .env("DATA_DIR", sb.path("data"))
        .env("SPILLOVER", env!("CARGO_BIN_EXE_spillover"))
        .env("SCALE", "/bin/false")
        .env("RSCRIPT", "/nonexistent/Rscript")
        .env("PYTHON", "/nonexistent/python3")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("splm LU: skipped: R is not installed"), "{stdout}");
    assert!(stdout.contains("spreg: skipped: Python is not installed"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("30 "))
        .unwrap_or_else(|| panic!("no row for N = 30 in\n{stdout}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert!(cells[1].ends_with("MiB") && cells[1].contains(" s, "), "{row}");
    assert_eq!(&cells[2..], ["skipped", "skipped"], "{row}");
    // Our run really ran the script.
    let log = std::fs::read_to_string(sb.path("data/n30/ours.log")).unwrap();
    assert!(log.contains("SLX"), "{log}");
}
