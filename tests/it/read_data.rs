//! Issue 15, files: `read_data` by extension (.csv/.tsv/.txt, .xlsx/.xls/.ods, .dta) and
//! `save(frame, "x.xlsx" | "x.dta")`. The fixtures under tests/fixtures/formats were written by
//! other programs (openpyxl, xlwt, pandas with odfpy, pandas.to_stata) by
//! tests/fixtures/formats/make_fixtures.py, which also wrote the CSV files of the values they
//! hold; each must read back exactly as that CSV reads with read_csv.

use crate::common::root;
use crate::sandbox::Sandbox;
use spillover::data::csv::read_csv;
use spillover::data::missing::CsvOptions;
use spillover::data::read::{read_data, Format, ReadOptions};
use spillover::data::sheet::{read_cells, read_sheet, write_xlsx, CellValue, SheetOptions, SheetRef};
use spillover::data::stata::{read_dta, write_dta, DtaOptions};
use spillover::data::{Column, Frame};

fn fx(name: &str) -> String {
    root(&format!("tests/fixtures/formats/{name}"))
}

fn csv(name: &str) -> Frame {
    read_csv(&fx(name), &CsvOptions::default()).unwrap()
}

fn sheet(name: &str, opts: SheetOptions) -> (Frame, Vec<String>) {
    read_sheet(&fx(name), &opts).unwrap()
}

fn named(s: &str) -> SheetOptions {
    SheetOptions {
        sheet: Some(SheetRef::Name(s.into())),
        ..SheetOptions::default()
    }
}

/// Asserts that two frames hold the same values: the same column names in order, the same
/// kind per column, numbers bit for bit (missing as missing), text and the text kept as
/// written (ids such as `001`) equal.
fn assert_same(what: &str, got: &Frame, want: &Frame) {
    assert_eq!(got.names(), want.names(), "{what}: column names");
    assert_eq!(got.nrows(), want.nrows(), "{what}: rows");
    for n in want.names() {
        match (got.column(n).unwrap(), want.column(n).unwrap()) {
            (Column::Num(a), Column::Num(b)) => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    assert!(
                        x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                        "{what}: column '{n}' row {}: {x} vs {y}",
                        i + 1
                    );
                }
                assert_eq!(
                    got.written_text(n),
                    want.written_text(n),
                    "{what}: text of column '{n}'"
                );
            }
            (Column::Text(a), Column::Text(b)) => assert_eq!(a, b, "{what}: column '{n}'"),
            (a, b) => panic!("{what}: column '{n}' is {a:?} but should be {b:?}"),
        }
    }
}

#[test]
fn spreadsheets_written_by_other_programs_read_back_exactly() {
    let want = csv("expected.csv");
    // The id column keeps its text (001), the Chinese names and the dates are text.
    assert_eq!(want.keys("code").unwrap()[0], "001");
    for (file, sheet_name) in [("produc.xlsx", "data"), ("produc.xls", "data"), ("produc.ods", "data")] {
        let (f, _) = sheet(file, SheetOptions::default());
        assert_same(file, &f, &want);
        let (g, _) = sheet(file, named(sheet_name));
        assert_same(file, &g, &want);
        assert_eq!(f.keys("code").unwrap()[3], "002", "{file}: text ids stay text");
        match f.column("date").unwrap() {
            Column::Text(d) => assert_eq!(d[0], "1970-01-01", "{file}: dates as ISO text"),
            c => panic!("{file}: date column {c:?}"),
        }
        assert!(
            f.numeric("unemp").unwrap()[4].is_nan(),
            "{file}: the empty cell is missing"
        );
    }
}

#[test]
fn stata_files_of_every_written_release_read_back_exactly() {
    let codes = DtaOptions::default();
    let labels = DtaOptions { labels: true };
    for (file, expected, expected_labels) in [
        ("produc118.dta", "expected_dta118.csv", "expected_dta118_labels.csv"),
        (
            "produc117.dta",
            "expected_dta_ascii.csv",
            "expected_dta_ascii_labels.csv",
        ),
        (
            "produc114.dta",
            "expected_dta_ascii.csv",
            "expected_dta_ascii_labels.csv",
        ),
    ] {
        let f = read_dta(&fx(file), &codes).unwrap();
        assert_same(file, &f, &csv(expected));
        let g = read_dta(&fx(file), &labels).unwrap();
        assert_same(&format!("{file} with labels"), &g, &csv(expected_labels));
        assert_eq!(g.keys("region").unwrap()[3], "west");
    }
    // strL values (long text and Chinese) and an empty string.
    let f = read_dta(&fx("strl118.dta"), &codes).unwrap();
    assert_same("strl118.dta", &f, &csv("expected_strl.csv"));
}

#[test]
fn read_data_dispatches_on_the_extension() {
    let opts = ReadOptions::default();
    let (f, notes) = read_data(&fx("produc.xlsx"), &opts).unwrap();
    assert_same("read_data xlsx", &f, &csv("expected.csv"));
    assert!(
        notes[0].contains("read sheet 'data'") && notes[0].contains("notes, offset"),
        "{notes:?}"
    );
    let (f, notes) = read_data(&fx("produc118.dta"), &opts).unwrap();
    assert_same("read_data dta", &f, &csv("expected_dta118.csv"));
    assert!(notes.is_empty());
    let (f, _) = read_data(&fx("expected.csv"), &opts).unwrap();
    assert_same("read_data csv", &f, &csv("expected.csv"));
    assert_eq!(Format::of("a.TSV").unwrap(), Format::Tsv);
}

#[test]
fn txt_and_tsv_files_get_their_delimiter_and_the_choice_is_said() {
    let sb = Sandbox::new("read_data_txt", &[]);
    sb.write("semi.txt", "id;x;name\n1;2,5;\"a;b\"\n2;3;c\n".as_bytes());
    sb.write("tabs.tsv", b"id\tx\n1\t2.5\n2\t3\n");
    sb.write("tabs.txt", b"id\tx\n1\t2.5\n2\t3\n");
    let out = sb.succeeds(
        r#"
        let a = read_data("semi.txt");
        print(a.names());
        let b = read_data("tabs.tsv");
        print(b.column("x"));
        let c = read_data("tabs.txt", #{missing: ["NA"]});
        print(c.nrows());
        "#,
    );
    assert!(
        out.contains("read_data: semi.txt: read as semicolon-separated: the header line has 0 tab(s), 2 ';' and 0 ','"),
        "{out}"
    );
    assert!(out.contains("[\"id\", \"x\", \"name\"]"), "{out}");
    assert!(out.contains("[2.5, 3.0]"), "{out}");
    assert!(out.contains("read_data: tabs.txt: read as tab-separated"), "{out}");
    assert!(
        !out.contains("tabs.tsv: read as"),
        "a .tsv is tab-separated without a note: {out}"
    );
    sb.fails(
        r#"read_data("semi.txt", #{sheet: 2});"#,
        &["option 'sheet' is for spreadsheets", "semi.txt"],
    );
}

#[test]
fn sheets_by_name_or_number_and_the_unknown_sheet_lists_them() {
    let (f, notes) = sheet(
        "produc.xlsx",
        SheetOptions {
            sheet: Some(SheetRef::Number(2)),
            ..SheetOptions::default()
        },
    );
    assert_eq!(f.names(), ["written by make_fixtures.py with openpyxl"]);
    assert!(notes.is_empty(), "no note when the sheet is named: {notes:?}");
    let e = read_sheet(&fx("produc.xlsx"), &named("Data2")).unwrap_err().to_string();
    assert!(
        e.contains("produc.xlsx")
            && e.contains("no sheet named 'Data2'")
            && e.contains("1 'data', 2 'notes', 3 'offset'"),
        "{e}"
    );
    let e = read_sheet(
        &fx("produc.xlsx"),
        &SheetOptions {
            sheet: Some(SheetRef::Number(4)),
            ..SheetOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no sheet number 4") && e.contains("3 sheet(s)"), "{e}");
}

#[test]
fn range_reads_a_table_below_its_title_and_cells_know_their_names() {
    let opts = SheetOptions {
        range: Some("B3:H15".into()),
        ..named("offset")
    };
    let (f, _) = sheet("produc.xlsx", opts.clone());
    assert_same("offset!B3:H15", &f, &csv("expected.csv"));
    // A range running past the data stops at the used area.
    let (g, _) = sheet(
        "produc.xlsx",
        SheetOptions {
            range: Some("B3:H1000".into()),
            ..named("offset")
        },
    );
    assert_same("offset!B3:H1000", &g, &csv("expected.csv"));
    let grid = read_cells(&fx("produc.xlsx"), &opts).unwrap();
    assert_eq!((grid.nrows(), grid.ncols()), (13, 7));
    assert_eq!(grid.cell_name(0, 0), "offset!B3");
    assert_eq!(grid.cell_name(12, 6), "offset!H15");
    assert_eq!(grid.text(0, 1), "城市");
    assert_eq!(grid.text(1, 3), "28418");
    assert_eq!(*grid.get(1, 0), CellValue::Text("001".into()));
    assert_eq!(grid.text(1, 6), "1970-01-01");
    let e = read_sheet(
        &fx("produc.xlsx"),
        &SheetOptions {
            range: Some("B3-H15".into()),
            ..SheetOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("'B3-H15'") && e.contains("\"B2:F100\""), "{e}");
}

#[test]
fn error_cells_are_missing_and_reported() {
    let (f, notes) = sheet("errors.xlsx", named("errors"));
    let x = f.numeric("x").unwrap();
    assert_eq!(x[0], 1.5);
    assert!(x[1].is_nan() && x[2].is_nan());
    assert_eq!(x[3], 2.5);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("2 error cell(s) (#DIV/0!, #N/A)") && notes[0].contains("the first is errors!B3 (#DIV/0!)"),
        "{notes:?}"
    );
}

#[test]
fn a_column_mixing_numbers_and_text_names_the_cell() {
    let e = read_sheet(&fx("errors.xlsx"), &named("Sheet1"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("errors.xlsx")
            && e.contains("column 'x' mixes numbers and text")
            && e.contains("Sheet1!B12 holds the text 'n/a?'")
            && e.contains("make the cell a number"),
        "{e}"
    );
}

#[test]
fn blank_and_duplicate_headers_name_the_cells() {
    let e = read_sheet(&fx("errors.xlsx"), &named("blank")).unwrap_err().to_string();
    assert!(
        e.contains("header cell blank!B1 is blank") && e.contains("blank!B2"),
        "{e}"
    );
    let e = read_sheet(&fx("errors.xlsx"), &named("dup")).unwrap_err().to_string();
    assert!(
        e.contains("duplicate column name 'x'") && e.contains("dup!B1 and dup!C1"),
        "{e}"
    );
}

#[test]
fn unknown_extension_lists_the_supported_ones() {
    let e = read_data("survey.sav", &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("survey.sav") && e.contains(".sav"), "{e}");
    for ext in [".csv", ".tsv", ".txt", ".xlsx", ".xls", ".ods", ".dta"] {
        assert!(e.contains(ext), "{ext} missing from: {e}");
    }
    let sb = Sandbox::new("read_data_ext", &[("survey.sav", b"x")]);
    sb.fails(r#"read_data("survey.sav");"#, &["survey.sav", ".xlsx", ".dta"]);
}

#[test]
fn corrupt_files_name_the_file() {
    let sb = Sandbox::new("read_data_corrupt", &[]);
    for name in ["bad.xlsx", "bad.xls", "bad.ods", "bad.dta"] {
        sb.write(name, b"this is not a workbook nor a Stata file\n");
        let p = sb.path(name).display().to_string();
        let e = read_data(&p, &ReadOptions::default()).unwrap_err().to_string();
        assert!(e.starts_with(&p) && e.contains("cannot be read as"), "{e}");
        sb.fails(&format!("read_data(\"{name}\");"), &[name, "cannot be read as"]);
    }
    // A truncated Stata file.
    let bytes = std::fs::read(fx("produc118.dta")).unwrap();
    sb.write("cut.dta", &bytes[..bytes.len() / 2]);
    let e = read_dta(&sb.path("cut.dta").display().to_string(), &DtaOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cut.dta"), "{e}");
    let e = read_data(&sb.path("none.xlsx").display().to_string(), &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("none.xlsx"), "{e}");
}

#[test]
fn saved_xlsx_and_dta_read_back_to_the_same_frame() {
    let sb = Sandbox::new("read_data_roundtrip", &[]);
    let produc = read_csv(&root("examples/data/produc/data.csv"), &CsvOptions::default()).unwrap();
    for (what, f) in [("produc", produc), ("fixture", csv("expected.csv"))] {
        let x = sb.path(&format!("{what}.xlsx")).display().to_string();
        write_xlsx(&f, &x).unwrap();
        let (g, _) = read_sheet(&x, &SheetOptions::default()).unwrap();
        assert_same(&format!("{what}.xlsx"), &g, &f);
        let d = sb.path(&format!("{what}.dta")).display().to_string();
        write_dta(&f, &d).unwrap();
        let g = read_dta(&d, &DtaOptions::default()).unwrap();
        assert_same(&format!("{what}.dta"), &g, &f);
    }
    // Numbers that need all 17 digits, tiny and huge ones, survive both.
    let f = Frame::from_columns(vec![
        (
            "x".into(),
            Column::Num(vec![0.1 + 0.2, 1e-300, 6.02214076e23, -1.0 / 3.0, f64::NAN]),
        ),
        (
            "s".into(),
            Column::Text(vec!["a".into(), "".into(), "长".repeat(1000), "x y".into(), "z".into()]),
        ),
    ])
    .unwrap();
    let x = sb.path("n.xlsx").display().to_string();
    write_xlsx(&f, &x).unwrap();
    assert_same("n.xlsx", &read_sheet(&x, &SheetOptions::default()).unwrap().0, &f);
    let d = sb.path("n.dta").display().to_string();
    write_dta(&f, &d).unwrap();
    assert_same("n.dta", &read_dta(&d, &DtaOptions::default()).unwrap(), &f);
    // The long text is a strL whose bytes end with the null byte the format requires (Stata and
    // pandas read text strLs up to that byte).
    let bytes = std::fs::read(&d).unwrap();
    let mut payload = "长".repeat(1000).into_bytes();
    payload.push(0);
    assert!(
        bytes.windows(payload.len()).any(|w| w == payload.as_slice()),
        "strL with its null byte"
    );
}

#[test]
fn dta_names_that_stata_refuses_are_an_error_and_nothing_is_written() {
    let sb = Sandbox::new("read_data_dta_names", &[]);
    let d = sb.path("x.dta").display().to_string();
    std::fs::write(&d, b"old").unwrap();
    for bad in ["gdp per capita", "2018", "_n"] {
        let f = Frame::from_columns(vec![(bad.to_string(), Column::Num(vec![1.0]))]).unwrap();
        let e = write_dta(&f, &d).unwrap_err().to_string();
        assert!(
            e.contains(&format!("column '{bad}' is not a valid Stata variable name")) && e.contains("with_column"),
            "{e}"
        );
        assert_eq!(std::fs::read(&d).unwrap(), b"old", "a failed save leaves the old file");
    }
    let f = Frame::from_columns(vec![("城市".to_string(), Column::Text(vec!["北京".into()]))]).unwrap();
    write_dta(&f, &d).unwrap();
    assert_eq!(read_dta(&d, &DtaOptions::default()).unwrap().names(), ["城市"]);
}

#[test]
fn save_writes_xlsx_and_dta_from_a_script() {
    let sb = Sandbox::new("read_data_save", &[]);
    std::fs::copy(fx("produc.xlsx"), sb.path("produc.xlsx")).unwrap();
    let out = sb.succeeds(
        r#"
        let f = read_data("produc.xlsx", #{sheet: "data"});
        make_dir("out");
        save(f, "out/p.xlsx");
        save(f, "out/p.dta");
        let p = panel(f, "code", "time");
        save(p, "out/panel.dta");
        let a = read_data("out/p.xlsx");
        let b = read_data("out/p.dta");
        let c = read_data("out/panel.dta");
        print(`rows ${a.nrows()} ${b.nrows()} ${c.nrows()}`);
        print(max_abs_diff(a.column("gsp"), f.column("gsp")));
        print(b.keys("code"));
        "#,
    );
    assert!(out.contains("rows 12 12 12"), "{out}");
    assert!(out.contains("\n0.0\n"), "{out}");
    assert!(out.contains("\"001\""), "{out}");
    assert!(!out.contains("read sheet"), "no note when the sheet is named: {out}");
    sb.fails(
        r#"let f = read_data("produc.xlsx", #{sheet: "data"}); save(f.with_column("a b", f.column("gsp")), "x.dta");"#,
        &["x.dta", "column 'a b'", "not a valid Stata variable name"],
    );
    sb.fails(
        r#"read_data("produc.xlsx", #{sheet: "nope"});"#,
        &["no sheet named 'nope'", "1 'data'"],
    );
    sb.fails(
        r#"read_data("produc.xlsx", #{delimiter: ";"});"#,
        &["unknown option 'delimiter'"],
    );
    sb.fails(
        r#"make_dir("out"); save(read_data("produc.xlsx", #{sheet: 1}), "out/p.dta"); read_data("out/p.dta", #{sheet: 1});"#,
        &["option 'sheet' is for spreadsheets", "out/p.dta"],
    );
    let out = sb.succeeds(r#"let f = read_data("produc.xlsx"); print(f.nrows());"#);
    assert!(
        out.starts_with("read_data: read sheet 'data' of produc.xlsx, the first of 3 sheets (data, notes, offset)"),
        "{out}"
    );
}
