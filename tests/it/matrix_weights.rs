//! N × N matrix weights (issue 15): `read_weights` reads a matrix with ids in its first row and
//! column (columns matched by id) or given separately, and `w.save(path, #{form: "matrix"})`
//! writes one that reads back exactly.

use crate::common::fixture;
use crate::sandbox::Sandbox;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Column, Panel};
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::weights::io::{
    matrix_weights, parse_weights_layout, read_weights, save_weights_form, CsvForm, CsvLayout, Format, MatrixIds,
    ReadOptions,
};
use spillover::weights::Weights;

/// The weights as (row id, column id, value bits), sorted: equal sets mean the same W.
fn entries(w: &Weights) -> Vec<(String, String, u64)> {
    let ids = w.ids();
    let mut out: Vec<(String, String, u64)> = w
        .matrix()
        .outer_iterator()
        .enumerate()
        .flat_map(|(i, row)| {
            row.iter()
                .map(|(j, v)| (ids[i].clone(), ids[j].clone(), v.to_bits()))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

fn parse(text: &str, layout: &CsvLayout) -> spillover::Result<Weights> {
    parse_weights_layout(text.as_bytes(), "w.csv", Format::Csv, &ReadOptions::default(), layout)
}

fn err(text: &str, layout: &CsvLayout) -> String {
    match parse(text, layout) {
        Ok(_) => panic!("expected an error for\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn produc_matrix_and_shuffled_matrix_are_the_triplet_weights() {
    let t = read_weights(&fixture("produc/weights.csv")).unwrap();
    let m = read_weights(&fixture("produc/weights_matrix.csv")).unwrap();
    let s = read_weights(&fixture("produc/weights_matrix_shuffled.csv")).unwrap();
    assert_eq!(m.n(), 48);
    assert_eq!(entries(&m), entries(&t), "matrix vs triplets");
    assert_eq!(entries(&s), entries(&t), "shuffled columns vs triplets");
    assert_eq!(m.ids(), t.ids(), "units in the order of the rows");
    assert_eq!(m.standardization(), t.standardization());
    assert_eq!(s.standardization(), t.standardization());
}

#[test]
fn produc_matrix_gives_the_same_sdm_fit_as_the_triplets() {
    let f = read_csv(&fixture("produc/data.csv"), &CsvOptions::default()).unwrap();
    let mut f = f;
    for (new, old) in [("lgsp", "gsp"), ("lpcap", "pcap"), ("lpc", "pc"), ("lemp", "emp")] {
        let v: Vec<f64> = f.numeric(old).unwrap().iter().map(|x| x.ln()).collect();
        f = f.with_column(new, Column::Num(v)).unwrap();
    }
    let p = Panel::new(&f, "id", "time").unwrap();
    let d = Design::from_panel(&p, &Formula::parse("lgsp ~ lpcap + lpc + lemp + unemp").unwrap()).unwrap();
    let fit = |path: &str| {
        let w = read_weights(&fixture(path)).unwrap().aligned_to(p.ids()).unwrap();
        fit_spatial(&d, &w, ModelKind::Sdm, &SpatialOptions::new(Fe::TwoWays)).unwrap()
    };
    let a = fit("produc/weights.csv");
    for other in ["produc/weights_matrix.csv", "produc/weights_matrix_shuffled.csv"] {
        let b = fit(other);
        assert_eq!(a.model.coefficients.len(), b.model.coefficients.len());
        for (x, y) in a.model.coefficients.iter().zip(&b.model.coefficients) {
            assert_eq!(x.term, y.term);
            assert!(
                (x.estimate - y.estimate).abs() <= 1e-12 * x.estimate.abs().max(1.0),
                "{other}: {} {} vs {}",
                x.term,
                x.estimate,
                y.estimate
            );
            assert!((x.std_error - y.std_error).abs() <= 1e-10 * x.std_error.abs().max(1.0));
        }
    }
}

#[test]
fn saved_matrix_reads_back_exactly() {
    let sb = Sandbox::new("matrix_save", &[]);
    let t = read_weights(&fixture("produc/weights.csv")).unwrap();
    let path = sb.path("w.csv");
    let path = path.to_str().unwrap();
    save_weights_form(&t, path, CsvForm::Matrix).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with(",ALABAMA,"), "{first}");
    assert_eq!(text.lines().count(), 49);
    let back = read_weights(path).unwrap();
    assert_eq!(entries(&back), entries(&t));
    assert_eq!(back.ids(), t.ids());
    // Values that need 17 digits survive.
    let odd = parse(
        "i,j,w\na,b,0.1\nb,a,0.30000000000000004\nb,c,0.7\nc,a,1e-300\n",
        &CsvLayout::default(),
    )
    .unwrap();
    save_weights_form(&odd, path, CsvForm::Matrix).unwrap();
    assert_eq!(entries(&read_weights(path).unwrap()), entries(&odd));
    // The matrix form is for .csv only.
    let e = save_weights_form(&t, sb.path("w.gal").to_str().unwrap(), CsvForm::Matrix)
        .unwrap_err()
        .to_string();
    assert!(e.contains(".csv"), "{e}");
}

#[test]
fn form_is_told_from_the_shape_and_can_be_forced() {
    // A 2 × 2 matrix has three columns, like triplets: its header names its rows' ids.
    let m = parse(",b,a\na,1,0\nb,0,2\n", &CsvLayout::default()).unwrap();
    assert_eq!(m.ids(), ["a", "b"]);
    assert_eq!(
        entries(&m),
        vec![
            ("a".into(), "b".into(), 1f64.to_bits()),
            ("b".into(), "a".into(), 2f64.to_bits())
        ]
    );
    // Triplets stay triplets (two data rows with three columns included).
    let t = parse("i,j,w\na,b,1\nb,a,2\n", &CsvLayout::default()).unwrap();
    assert_eq!(entries(&t), entries(&m));
    let forced = CsvLayout {
        form: CsvForm::Matrix,
        ids: MatrixIds::InFile,
        sheet: None,
    };
    assert_eq!(entries(&parse(",b,a\na,1,0\nb,0,2\n", &forced).unwrap()), entries(&m));
    let e = err(
        "i,j,w\na,b,1\nb,a,2\n",
        &CsvLayout {
            form: CsvForm::Triplets,
            ids: MatrixIds::Given(vec!["a".into()]),
            sheet: None,
        },
    );
    assert!(e.contains("ids") && e.contains("matrix"), "{e}");
}

#[test]
fn matrix_errors_name_the_unit_the_cell_and_the_fix() {
    let d = CsvLayout::default();
    let e = err(",a,b,c\na,0,1,0\nb,1,5,1\nc,0,1,0\n", &d);
    assert!(
        e.contains("line 3, column 3") && e.contains("unit b") && e.contains("diagonal"),
        "{e}"
    );
    let e = err(",a,b,x\na,0,1,0\nb,1,0,1\nc,0,1,0\n", &d);
    assert!(
        e.contains("only in the header: x") && e.contains("only in the first column: c"),
        "{e}"
    );
    let e = err(",a,b,c\na,0,1,0\nb,1,0,one\nc,0,1,0\n", &d);
    assert!(e.contains("line 3, column 4") && e.contains("'one'"), "{e}");
    let e = err(",a,b,c\na,0,1,0\nb,1,0\nc,0,1,0\n", &d);
    assert!(e.contains("line 3") && e.contains("3 cells"), "{e}");
    let forced = CsvLayout {
        form: CsvForm::Matrix,
        ids: MatrixIds::InFile,
        sheet: None,
    };
    let e = err(",a,b,c\na,0,1,0\nb,1,0,1\n", &forced);
    assert!(e.contains("3 ids") && e.contains("2 rows"), "{e}");
    // Neither shape: the triplet reader's error, which names both forms.
    let e = err(",a,b,c\na,0,1,0\nb,1,0,1\n", &d);
    assert!(e.starts_with("w.csv:1:") && e.contains("N × N"), "{e}");
    let e = err(",a,b,a\na,0,1,0\nb,1,0,1\na,0,1,0\n", &d);
    assert!(e.contains("'a'"), "{e}");
    let e = err(",a,b,c\na,0,1,\nb,1,0,1\nc,1,1,0\n", &d);
    assert!(e.contains("empty cell") && e.contains("write 0"), "{e}");
    // Negative weights and islands follow the options, as for triplets.
    let e = err(",a,b,c\na,0,-1,0\nb,1,0,1\nc,0,1,0\n", &d);
    assert!(e.contains("negative") || e.contains("-1"), "{e}");
    let e = err(",a,b,c\na,0,1,0\nb,1,0,0\nc,0,0,0\n", &d);
    assert!(e.contains('c') && e.contains("neighbour"), "{e}");
}

#[test]
fn a_matrix_without_ids_needs_them() {
    let block = "0,1,0\n1,0,1\n0,1,0\n";
    let e = err(block, &CsvLayout::default());
    assert!(
        e.contains("no ids") && e.contains("ids: [") && e.contains("\"position\""),
        "{e}"
    );
    // A 3 × 3 block that is not symmetric is not taken for headerless triplets either.
    let e = err("0,1,2\n3,0,4\n5,6,0\n", &CsvLayout::default());
    assert!(e.contains("no ids"), "{e}");
    let e = err(
        "0,0.5,0.5,0\n0.5,0,0,0.5\n0.5,0,0,0.5\n0,0.5,0.5,0\n",
        &CsvLayout::default(),
    );
    assert!(e.contains("no ids"), "{e}");
    let given = CsvLayout {
        form: CsvForm::Matrix,
        ids: MatrixIds::Given(vec!["x".into(), "y".into(), "z".into()]),
        sheet: None,
    };
    let w = parse(block, &given).unwrap();
    assert_eq!(w.ids(), ["x", "y", "z"]);
    assert_eq!(w.nnz(), 4);
    let pos = parse(
        block,
        &CsvLayout {
            form: CsvForm::Auto,
            ids: MatrixIds::Position,
            sheet: None,
        },
    )
    .unwrap();
    assert_eq!(pos.ids(), ["1", "2", "3"]);
    let e = err(
        block,
        &CsvLayout {
            form: CsvForm::Matrix,
            ids: MatrixIds::Given(vec!["x".into(), "y".into()]),
            sheet: None,
        },
    );
    assert!(e.contains("2 ids") && e.contains("3 rows"), "{e}");
    let e = err(",a,b\na,0,1\nb,1,0\n", &given);
    assert!(e.contains("drop the option ids"), "{e}");
}

#[test]
fn matrix_reader_takes_any_grid_with_its_own_places() {
    let cells: Vec<Vec<String>> = [["", "b", "a"], ["a", "0.5", "0"], ["b", "0", "x"]]
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect();
    let col = |c: usize| char::from(b'A' + c as u8);
    let place = |r: usize, c: usize| format!("Sheet1!{}{}", col(c), r + 1);
    let e = matrix_weights(&cells, &place, "w.xlsx", &MatrixIds::InFile, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("w.xlsx: Sheet1!C3") && e.contains("'x'"), "{e}");
}

#[test]
fn script_reads_and_saves_matrices() {
    let sb = Sandbox::new(
        "matrix_script",
        &[
            ("w.csv", ",c,a,b\na,1,0,1\nb,1,1,0\nc,0,1,1\n".as_bytes()),
            ("block.csv", b"0,1,1\n1,0,1\n1,1,0\n"),
            ("ids.csv", b"id\na\nb\nc\n"),
        ],
    );
    let out = sb.succeeds(
        r#"
        let w = read_weights("w.csv");
        assert(w.ids() == ["a", "b", "c"], "ids in row order");
        let f = read_weights("block.csv", #{form: "matrix", ids: "ids.csv"});
        assert(f.ids() == ["a", "b", "c"], "ids from a file");
        let g = read_weights("block.csv", #{ids: ["a", "b", "c"]});
        assert(g.nnz == 6, "given ids");
        let p = read_weights("block.csv", #{ids: "position"});
        assert(p.ids() == ["1", "2", "3"], "position");
        w.save("m.csv", #{form: "matrix"});
        let back = read_weights("m.csv");
        assert(back.ids() == w.ids() && back.nnz == w.nnz, "round trip");
        w.save("t.csv", #{form: "triplets"});
        assert(read_weights("t.csv", #{form: "triplets"}).nnz == 6, "triplets");
        "#,
    );
    assert!(out.contains("named 1..3 by position"), "{out}");
    let m = std::fs::read_to_string(sb.path("m.csv")).unwrap();
    assert_eq!(m, ",a,b,c\na,0,1,1\nb,1,0,1\nc,1,1,0\n");
    let e = sb.fails(r#"read_weights("block.csv");"#, &["ids", "position"]);
    assert!(e.contains("block.csv"), "{e}");
    sb.fails(
        r#"read_weights("w.csv", #{form: "square"});"#,
        &["form", "matrix", "triplets"],
    );
    sb.fails(
        r#"let w = read_weights("w.csv"); w.save("m.csv", #{shape: "matrix"});"#,
        &["shape", "form"],
    );
}

#[test]
fn workbook_matrix_written_by_openpyxl_is_the_triplet_weights() {
    use spillover::data::sheet::SheetRef;
    use spillover::weights::io::read_weights_layout;
    let t = read_weights(&fixture("produc/weights.csv")).unwrap();
    let path = fixture("produc/weights_matrix.xlsx");
    let on = |sheet: Option<SheetRef>| {
        read_weights_layout(
            &path,
            &ReadOptions::default(),
            &CsvLayout {
                sheet,
                ..Default::default()
            },
        )
    };
    // The columns are in another order than the rows: matched by id.
    let m = on(Some(SheetRef::Name("W".into()))).unwrap();
    assert_eq!(entries(&m), entries(&t));
    assert_eq!(m.ids(), t.ids());
    assert_eq!(entries(&on(Some(SheetRef::Number(2))).unwrap()), entries(&t));
    // Two sheets and no sheet option: refused, naming the sheets and the option.
    let e = on(None).unwrap_err().to_string();
    assert!(e.contains("2 sheets") && e.contains("option sheet"), "{e}");
    // The notes sheet is not a matrix.
    let e = on(Some(SheetRef::Name("notes".into()))).unwrap_err().to_string();
    assert!(e.contains("N × N"), "{e}");
}

#[test]
fn workbook_matrix_saved_reads_back_exactly() {
    use spillover::weights::io::save_weights;
    let sb = Sandbox::new("matrix_xlsx", &[]);
    let t = read_weights(&fixture("produc/weights.csv")).unwrap();
    let path = sb.path("w.xlsx");
    let path = path.to_str().unwrap();
    save_weights(&t, path).unwrap();
    let back = read_weights(path).unwrap();
    assert_eq!(entries(&back), entries(&t));
    assert_eq!(back.ids(), t.ids());
    let odd = parse(
        "i,j,w\na,b,0.1\nb,a,0.30000000000000004\nb,c,0.7\nc,a,1e-300\n",
        &CsvLayout::default(),
    )
    .unwrap();
    save_weights_form(&odd, path, CsvForm::Matrix).unwrap();
    assert_eq!(entries(&read_weights(path).unwrap()), entries(&odd));
    let e = save_weights(&t, sb.path("w.ods").to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains(".xlsx"), "{e}");
}

/// Empty inputs are refused naming the file: an empty CSV (either form), an empty workbook.
#[test]
fn empty_matrix_files_are_refused() {
    let sb = Sandbox::new("matrix_empty", &[("e.csv", b"")]);
    let csv = sb.path("e.csv");
    let csv = csv.to_str().unwrap();
    let forced = CsvLayout {
        form: CsvForm::Matrix,
        ..Default::default()
    };
    let e = spillover::weights::io::read_weights_layout(csv, &ReadOptions::default(), &forced)
        .unwrap_err()
        .to_string();
    assert!(e.contains("e.csv") && e.contains("empty"), "{e}");
    let e = read_weights(csv).unwrap_err().to_string();
    assert!(e.contains("e.csv") && e.contains("no units"), "{e}");
    let xlsx = sb.path("empty.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet();
    wb.save(&xlsx).unwrap();
    let e = read_weights(xlsx.to_str().unwrap()).unwrap_err().to_string();
    assert!(e.contains("empty.xlsx") && e.contains("empty"), "{e}");
    let e = spillover::data::read::read_data(xlsx.to_str().unwrap(), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty.xlsx") && e.contains("no cells"), "{e}");
}
