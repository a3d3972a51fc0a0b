//! read_csv options (issue 15): encoding, decimal comma, skip, comment; the parallel reading
//! of large files gives the frame of the sequential one (its speed is measured by
//! benches/csv_read.rs).

use crate::common::root;
use crate::sandbox::Sandbox;
use spillover::data::csv::{parse_csv, read_csv, CsvOptions};
use spillover::data::{Column, Frame};

fn gbk_opts() -> CsvOptions {
    CsvOptions {
        encoding: Some("gbk".into()),
        skip: 2,
        comment: Some(b'#'),
        ..CsvOptions::default()
    }
}

fn text(f: &Frame, name: &str) -> Vec<String> {
    match f.column(name).unwrap() {
        Column::Text(v) => v.clone(),
        Column::Num(_) => panic!("{name} is numeric"),
    }
}

fn parse(bytes: &[u8], opts: &CsvOptions) -> spillover::Result<Frame> {
    parse_csv(bytes, "t.csv", opts)
}

#[test]
fn gbk_yearbook_file_reads_chinese_names_and_values() {
    let f = read_csv(&root("examples/data/yearbook/gdp_gbk.csv"), &gbk_opts()).unwrap();
    assert_eq!(f.names(), ["城市", "年份", "地区生产总值", "常住人口"]);
    assert_eq!(text(&f, "城市"), ["北京", "上海", "广州", "深圳", "重庆"]);
    assert_eq!(f.keys("城市").unwrap(), ["北京", "上海", "广州", "深圳", "重庆"]);
    assert_eq!(
        f.numeric("地区生产总值").unwrap(),
        [35371.3, 38155.3, 23628.6, 26927.1, 23605.8]
    );
    assert_eq!(f.numeric("年份").unwrap(), [2019.0; 5]);
    // Lines of the file: two titles, the header on line 3, a comment on line 8.
    assert_eq!(f.origin().unwrap().lines, [4, 5, 6, 7, 9]);
    // The same bytes without `encoding` are an error naming the line and suggesting gbk.
    let e = read_csv(
        &root("examples/data/yearbook/gdp_gbk.csv"),
        &CsvOptions {
            encoding: None,
            ..gbk_opts()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("gdp_gbk.csv:3:1:") && e.contains("not valid UTF-8"), "{e}");
    assert!(e.contains("encoding: \"gbk\""), "{e}");
}

#[test]
fn not_utf8_data_cell_names_line_and_column_and_never_decodes_silently() {
    let mut bytes = b"id,city\n1,".to_vec();
    bytes.extend(encoding_rs::GBK.encode("杭州").0.iter());
    bytes.extend(b"\n");
    let e = parse(&bytes, &CsvOptions::default()).unwrap_err().to_string();
    assert!(e.starts_with("t.csv:2:2:") && e.contains("gbk"), "{e}");
    let f = parse(
        &bytes,
        &CsvOptions {
            encoding: Some("GB18030".into()),
            ..CsvOptions::default()
        },
    )
    .unwrap();
    assert_eq!(text(&f, "city"), ["杭州"]);
    // Bytes that are not GBK: no gbk suggestion, but the encoding option is named.
    let e = parse(b"a,b\n1,\xff\xff\n", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.csv:2:2:") && !e.contains("gbk") && e.contains("encoding"),
        "{e}"
    );
    // Latin-1 and Big5 decode when named.
    let f = parse(
        b"city,x\nZ\xfcrich,1\n",
        &CsvOptions {
            encoding: Some("latin1".into()),
            ..CsvOptions::default()
        },
    )
    .unwrap();
    assert_eq!(text(&f, "city"), ["Zürich"]);
    let mut big5 = b"name\n".to_vec();
    big5.extend(encoding_rs::BIG5.encode("臺北").0.iter());
    let f = parse(
        &big5,
        &CsvOptions {
            encoding: Some("big5".into()),
            ..CsvOptions::default()
        },
    )
    .unwrap();
    assert_eq!(text(&f, "name"), ["臺北"]);
    // Bytes invalid in the named encoding: an error with the line.
    let e = parse(
        b"a\n1\n\x81\n",
        &CsvOptions {
            encoding: Some("gbk".into()),
            ..CsvOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("t.csv:3:") && e.contains("gbk"), "{e}");
    let e = parse(
        b"a\n1\n",
        &CsvOptions {
            encoding: Some("klingon".into()),
            ..CsvOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("unknown encoding 'klingon'") && e.contains("\"gbk\""), "{e}");
}

#[test]
fn decimal_comma_files() {
    let f = read_csv(
        &root("examples/data/yearbook/gdp_semicolon.csv"),
        &CsvOptions {
            delimiter: b';',
            decimal: b',',
            ..CsvOptions::default()
        },
    )
    .unwrap();
    assert_eq!(text(&f, "region")[0], "Île-de-France");
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let want = |s: &[&str]| {
        s.iter()
            .map(|t| t.parse::<f64>().unwrap().to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(f.numeric("gdp").unwrap()), want(&["739.6", "282.3", "165.8"]));
    assert_eq!(bits(f.numeric("growth").unwrap()), want(&["1.5", "-0.25", "0.75"]));
    // Decimal comma and comma delimiter: an error naming both options.
    let e = parse(
        b"a\n1\n",
        &CsvOptions {
            decimal: b',',
            ..CsvOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("decimal") && e.contains("delimiter") && e.contains("\";\""),
        "{e}"
    );
    // The `;` file read with commas: the hint names the delimiter and the decimal comma.
    let e = read_csv(
        &root("examples/data/yearbook/gdp_semicolon.csv"),
        &CsvOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("delimiter: \";\"") && e.contains("decimal: \",\""), "{e}");
    let semi = CsvOptions {
        delimiter: b';',
        ..CsvOptions::default()
    };
    let e = parse(b"a;b\n1,5;2\n", &semi)
        .unwrap()
        .numeric("a")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.csv:2:1:") && e.contains("decimal: \",\""), "{e}");
    let e = parse(b"a;b\nx;2\n", &semi)
        .unwrap()
        .numeric("a")
        .unwrap_err()
        .to_string();
    assert!(!e.contains("decimal"), "{e}");
    let e = parse(b"a;b\nx;1\n", &CsvOptions::default()).unwrap_err().to_string();
    assert!(e.contains("delimiter: \";\"") && !e.contains("decimal"), "{e}");
    // Under decimal ",", a cell with a point is text, and written texts use the point.
    let o = CsvOptions {
        delimiter: b';',
        decimal: b',',
        ..CsvOptions::default()
    };
    let f = parse(b"a;b;c\n1.5;1,50;1,5\n2;2;NA\n", &o).unwrap();
    assert!(matches!(f.column("a").unwrap(), Column::Text(_)));
    assert_eq!(f.numeric("b").unwrap(), [1.5, 2.0]);
    assert_eq!(f.keys("b").unwrap(), ["1.50", "2"]);
    assert!(f.written_text("c").is_none(), "1,5 is the plain form of 1.5");
}

#[test]
fn skip_and_comment_keep_the_lines_of_the_file() {
    let o = CsvOptions {
        skip: 2,
        comment: Some(b'#'),
        ..CsvOptions::default()
    };
    let f = parse(b"Table 1, GDP\n\"title\nid,x\n# note\n1,2\n  # more\n\n3,4\n", &o).unwrap();
    assert_eq!(f.numeric("x").unwrap(), [2.0, 4.0]);
    assert_eq!(f.origin().unwrap().lines, [5, 8]);
    let e = parse(b"t\n\nid,x\n# c\n1,2\n#\n3\n", &o).unwrap_err().to_string();
    assert!(e.starts_with("t.csv:7:2:"), "{e}");
    let e = parse(b"t\nt\nid,x\n1,\"2\n", &o).unwrap_err().to_string();
    assert!(e.starts_with("t.csv:4:"), "{e}");
    // A quoted cell may hold the comment character at a line start.
    let f = parse(b"t\nt\nid,x\n1,\"a\n# not a comment\"\n", &o).unwrap();
    assert_eq!(text(&f, "x"), ["a\n# not a comment"]);
    let e = parse(
        b"one line\n",
        &CsvOptions {
            skip: 3,
            ..CsvOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("skip") && e.contains("(1)"), "{e}");
    let e = parse(
        b"a\nb\n",
        &CsvOptions {
            skip: 2,
            ..CsvOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no header row after the 2 skipped"), "{e}");
}

/// A large file (parsed in parallel pieces) gives the same frame as the same rows parsed in one
/// piece, with each cell the value std's parser gives and the texts kept as written.
#[test]
fn parallel_pieces_give_the_frame_of_one_piece() {
    let mut s = String::from("id,t,x,y,z,w\n");
    let forms = [
        "0.1",
        "1.0",
        "001",
        "12E4",
        " 7",
        "NA",
        "",
        "-0.25",
        "0.30000000000000004",
        "1e-7",
        "inf",
        "3",
    ];
    let rows = 120_000;
    for r in 0..rows {
        let x = forms[r % forms.len()];
        let z = if r == rows - 10 { "text" } else { "4.5" };
        let w = format!("{:.17e}", (r as f64).sqrt());
        s += &format!("{r},{},{x},{},{z},{w}\n", 2000 + r % 7, (r as f64) / 7.0);
    }
    assert!(s.len() > 2 << 20, "large enough to be split");
    let par = parse(s.as_bytes(), &CsvOptions::default()).unwrap();
    // A quote character (in the header) keeps the file in one piece.
    let one = parse(s.replacen("id,", "\"id\",", 1).as_bytes(), &CsvOptions::default()).unwrap();
    let (lp, lo) = (&par.origin().unwrap().lines, &one.origin().unwrap().lines);
    if let Some(k) = (0..lp.len().min(lo.len())).find(|&k| lp[k] != lo[k]) {
        panic!("row {k}: line {} in pieces, {} in one piece", lp[k], lo[k]);
    }
    assert_eq!(par.names(), one.names());
    for name in par.names() {
        let same = match (par.column(name).unwrap(), one.column(name).unwrap()) {
            (Column::Num(a), Column::Num(b)) => a.iter().map(|x| x.to_bits()).eq(b.iter().map(|x| x.to_bits())),
            (a, b) => a == b,
        };
        assert!(same, "column {name}");
        assert_eq!(par.written_text(name), one.written_text(name), "texts of {name}");
    }
    assert_eq!(par.nrows(), rows);
    assert_eq!(par.origin().unwrap().lines[rows - 1], rows as u64 + 1);
    let x = par.numeric("x").unwrap();
    for (r, v) in x.iter().enumerate() {
        let want = forms[r % forms.len()].trim().parse::<f64>().unwrap_or(f64::NAN);
        let want = if want.is_finite() { want } else { f64::NAN };
        assert!(
            v.to_bits() == want.to_bits() || (v.is_nan() && want.is_nan()),
            "row {r}"
        );
    }
    assert_eq!(par.written_text("x").unwrap()[2], "001");
    assert_eq!(par.written_text("x").unwrap()[4], " 7");
    assert!(par.written_text("y").is_none(), "shortest floats are plain");
    assert!(par.written_text("id").is_none());
    assert!(par.written_text("w").is_some(), "exponent forms are kept");
    assert_eq!(text(&par, "z")[rows - 10], "text");
    assert_eq!(text(&par, "z")[0], "4.5");
    // An error in a later piece names its line of the file.
    let bad = s.replacen(&format!("\n{},", rows - 5), &format!("\n{},1,", rows - 5), 1);
    let e = parse(bad.as_bytes(), &CsvOptions::default()).unwrap_err().to_string();
    assert!(e.starts_with(&format!("t.csv:{}:", rows - 5 + 2)), "{e}");
}

#[test]
fn script_options_of_read_csv() {
    let gbk = std::fs::read(root("examples/data/yearbook/gdp_gbk.csv")).unwrap();
    let sb = Sandbox::new("csv_options", &[("g.csv", &gbk), ("s.csv", b"a;b\n1,5;x\n")]);
    let out = sb.succeeds(
        r##"
        let f = read_csv("g.csv", #{encoding: "gbk", skip: 2, comment: "#"});
        print(f.keys("城市"));
        let s = read_csv("s.csv", #{delimiter: ";", decimal: ","});
        assert(s["a"] == [1.5], "decimal");
        print(option_keys("read_csv"));
        "##,
    );
    assert!(out.contains("北京") && out.contains("重庆"), "{out}");
    sb.fails(r#"read_csv("g.csv");"#, &["g.csv:1:", "encoding: \"gbk\""]);
    sb.fails(
        r#"read_csv("s.csv", #{decimal: ","});"#,
        &["read_csv", "decimal", "delimiter"],
    );
    sb.fails(
        r#"read_csv("s.csv", #{delimiter: ";;"});"#,
        &["delimiter", "one ASCII character"],
    );
    sb.fails(
        r#"read_csv("s.csv", #{encodng: "gbk"});"#,
        &["encodng", "did you mean 'encoding'"],
    );
    sb.fails(r#"read_csv("s.csv", #{encoding: "ebcdic-x"});"#, &["unknown encoding"]);
    sb.fails(r#"read_csv("s.csv", #{skip: -1});"#, &["skip"]);
}
