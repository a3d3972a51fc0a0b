//! Tables for papers (issue 19): `save(table, path)` as `.docx`, `.xlsx` and `.html` read back
//! by other programs' rules (the OOXML zip and its `word/document.xml`, calamine for the
//! workbook, a loose HTML parse), `.tex` that is ASCII with balanced braces and compiles with
//! pdflatex in a document that loads only booktabs and amsmath (when pdflatex is installed),
//! p-values as journals print them, test labels instead of code names, integers as integers,
//! and standard errors in parentheses in the effects table as in `compare`.

use crate::common::produc_prelude;
use crate::sandbox::Sandbox;
use spillover::report::table::{fmt_num, Cell};
use spillover::report::Table;
use std::io::Read;
use std::path::Path;

/// Produc in logs with two-way effects: OLS, SAR and SDM fits, the LM and fixed-effects tests,
/// the SDM's delta-method effects and a Moran table.
fn prelude() -> String {
    produc_prelude(
        r#"
        let o = ols(p, f, #{fe: "twoways"});
        let s = sar(p, f, w, #{fe: "twoways"});
        let m = sdm(p, f, w, #{fe: "twoways"});
        let fx = effects(m, #{method: "delta"});
        let lm = lm_tests(p, f, w, #{fe: "none"});
        let ft = fe_tests(p, f, #{});
        let mo = moran(p, ["unemp"], w);
        let cmp = compare([o, s, m], #{title: "Produc: OLS, SAR and SDM (W*x terms)"});
        "#,
    )
}

/// Runs `body` after the prelude with the working folder `dir` (files are written there).
fn run_in(dir: &Path, body: &str) {
    let engine = spillover::script::new_engine(None);
    let script = format!("{}\n{}", prelude(), body.replace("OUT", &dir.to_string_lossy()));
    engine.run(&script).unwrap_or_else(|e| panic!("{body}: {e}"));
}

/// The table `expr` (evaluated after the prelude); `fx` and `m` give the effects' and the
/// model's table forms (what `save` writes).
fn table(expr: &str) -> Table {
    let engine = spillover::script::new_engine(None);
    let script = format!("{}\n{expr}", prelude());
    match expr {
        "fx" => engine
            .eval::<spillover::script::effects::SEffects>(&script)
            .unwrap()
            .0
            .to_table(),
        "m" => engine
            .eval::<spillover::script::models::SModel>(&script)
            .unwrap()
            .0
            .model()
            .report_table(),
        _ => crate::common::eval_table(&prelude(), expr).unwrap_or_else(|e| panic!("{expr}: {e}")),
    }
}

/// The tables of every kind the issue names: compare, effects, LM tests, fixed-effects tests,
/// Moran, a model.
const KINDS: [(&str, &str); 6] = [
    ("compare", "cmp"),
    ("effects", "fx"),
    ("lm_tests", "lm"),
    ("fe_tests", "ft"),
    ("moran", "mo"),
    ("model", "m"),
];

/// The text of every `<w:t>` inside `xml`, joined per enclosing element split by `tag`.
fn texts_by(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let end = after.find(&close).expect("closed element");
        out.push(run_texts(&after[..end]));
        rest = &after[end + close.len()..];
    }
    out
}

/// The concatenated `<w:t …>text</w:t>` contents of `xml`, XML entities decoded.
fn run_texts(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<w:t") {
        let after = &rest[i..];
        let gt = after.find('>').unwrap();
        if after[..gt].ends_with('/') || !(after[4..].starts_with('>') || after[4..].starts_with(' ')) {
            rest = &after[gt + 1..];
            continue;
        }
        let body = &after[gt + 1..];
        let end = body.find("</w:t>").unwrap();
        out += &body[..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        rest = &body[end..];
    }
    out
}

#[test]
fn docx_holds_a_word_table_with_title_above_and_notes_under() {
    let sb = Sandbox::new("table_formats_docx", &[]);
    run_in(
        &sb.dir,
        r#"save(cmp, "OUT/cmp.docx"); save(lm, "OUT/lm.docx"); save(fx, "OUT/fx.docx");"#,
    );
    for (file, expr) in [("cmp.docx", "cmp"), ("lm.docx", "lm"), ("fx.docx", "fx")] {
        let t = table(expr);
        let f = std::fs::File::open(sb.path(file)).unwrap();
        let mut zip = zip::ZipArchive::new(f).unwrap_or_else(|e| panic!("{file} is not a zip package: {e}"));
        for part in ["[Content_Types].xml", "_rels/.rels"] {
            assert!(zip.by_name(part).is_ok(), "{file}: no {part}");
        }
        let mut xml = String::new();
        zip.by_name("word/document.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        let tbl_at = xml.find("<w:tbl>").expect("a Word table");
        let tbl_end = xml.find("</w:tbl>").unwrap();
        // the title is a paragraph above the table
        assert!(
            run_texts(&xml[..tbl_at]).contains(&t.title),
            "{file}: title above the table"
        );
        // one <w:tr> per row plus the header, each with one <w:tc> per column, texts as printed
        let rows = texts_by(&xml[tbl_at..tbl_end], "w:tr");
        assert_eq!(rows.len(), t.rows.len() + 1, "{file}: rows");
        let trs: Vec<&str> = xml[tbl_at..tbl_end].split("<w:tr>").skip(1).collect();
        let cells = t.cells();
        for (i, tr) in trs.iter().enumerate() {
            let tcs = texts_by(tr, "w:tc");
            assert_eq!(tcs.len(), t.columns.len(), "{file}: row {i} cells");
            let want: Vec<String> = if i == 0 {
                t.columns.clone()
            } else {
                cells[i - 1].clone()
            };
            assert_eq!(tcs, want, "{file}: row {i}");
        }
        // the notes are paragraphs under the table
        let under = run_texts(&xml[tbl_end..]);
        assert!(!t.notes.is_empty(), "{file}: the table has notes");
        for n in &t.notes {
            assert!(under.contains(n.as_str()), "{file}: note '{n}' under the table");
        }
    }
}

#[test]
fn xlsx_stores_numbers_as_numbers_and_a_long_sheet() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let sb = Sandbox::new("table_formats_xlsx", &[]);
    run_in(
        &sb.dir,
        r#"save(cmp, "OUT/cmp.xlsx"); save(ft, "OUT/ft.xlsx"); save(mo, "OUT/mo.xlsx");"#,
    );
    let mut wb: Xlsx<_> = open_workbook(sb.path("cmp.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), vec!["Table".to_string(), "Long".to_string()]);
    let sheet = wb.worksheet_range("Table").unwrap();
    let t = table("cmp");
    let at = |r: usize, c: usize| sheet.get((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(at(0, 0), Data::String(t.title.clone()));
    assert_eq!(at(1, 1), Data::String(t.columns[1].clone()));
    // N and T are integers stored as numbers
    for label in ["N", "T"] {
        let i = t.rows.iter().position(|r| r[0] == Cell::Text(label.into())).unwrap();
        for c in 1..t.columns.len() {
            match at(i + 2, c) {
                Data::Float(v) => assert!(v > 0.0 && v.fract() == 0.0, "{label}: {v}"),
                other => panic!("{label} in column {c} is {other:?}, not a number"),
            }
        }
    }
    // an estimate without stars is a number; one with stars stays text as printed
    let printed = t.cells();
    for (i, row) in printed.iter().enumerate() {
        for (c, s) in row.iter().enumerate().skip(1) {
            let got = at(i + 2, c);
            match s.parse::<f64>() {
                Ok(v) => assert_eq!(got, Data::Float(v), "row {i} column {c}: '{s}'"),
                Err(_) if s.is_empty() => assert_eq!(got, Data::Empty),
                Err(_) => assert_eq!(got, Data::String(s.clone()), "row {i} column {c}"),
            }
        }
    }
    // the long sheet: term, column, statistic, value; the SAR's lpcap estimate and its standard
    // error are numbers equal to the fitted coefficient at the printed decimals
    let long = wb.worksheet_range("Long").unwrap();
    let header: Vec<Data> = (0..4).map(|c| long.get((0, c)).cloned().unwrap()).collect();
    assert_eq!(
        header,
        ["term", "column", "statistic", "value"]
            .map(|s| Data::String(s.into()))
            .to_vec()
    );
    let engine = spillover::script::new_engine(None);
    let coef = |stat: &str| -> f64 {
        engine
            .eval::<f64>(&format!("{}\ns.coef(\"lpcap\").{stat}", prelude()))
            .unwrap()
    };
    let find = |stat: &str| -> f64 {
        (1..long.height())
            .find(|&r| {
                long.get((r, 0)) == Some(&Data::String("lpcap".into()))
                    && long.get((r, 1)) == Some(&Data::String(t.columns[2].clone()))
                    && long.get((r, 2)) == Some(&Data::String(stat.into()))
            })
            .and_then(|r| long.get((r, 3)).cloned())
            .and_then(|d| match d {
                Data::Float(v) => Some(v),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no number for lpcap {stat} in the long sheet"))
    };
    assert_eq!(fmt_num(find("estimate"), 4), fmt_num(coef("estimate"), 4));
    assert_eq!(fmt_num(find("std_error"), 4), fmt_num(coef("std_error"), 4));
    // numeric cells of other tables: df are integers, p-values full-precision numbers
    let mut wb: Xlsx<_> = open_workbook(sb.path("ft.xlsx")).unwrap();
    let ft = table("ft");
    let sheet = wb.worksheet_range("Table").unwrap();
    for (i, row) in ft.rows.iter().enumerate() {
        if let Cell::P(p) = row[4] {
            assert_eq!(sheet.get((i + 2, 4)), Some(&Data::Float(p)), "p of row {i}");
        }
        if let Cell::Int(df) = row[2] {
            assert_eq!(sheet.get((i + 2, 2)), Some(&Data::Float(df as f64)));
        }
    }
    let mut wb: Xlsx<_> = open_workbook(sb.path("mo.xlsx")).unwrap();
    assert!(wb.worksheet_range("Long").unwrap().height() > 1, "Moran long sheet");
}

/// The `<tr>` rows of `html` with their cell counts (`<th` and `<td` openings).
fn html_rows(html: &str) -> Vec<usize> {
    html.split("<tr>")
        .skip(1)
        .map(|r| {
            let r = &r[..r.find("</tr>").expect("closed row")];
            r.matches("<td").count() + r.matches("<th").count()
        })
        .collect()
}

#[test]
fn html_fragment_has_one_cell_per_column_and_a_page_when_saved_alone() {
    let sb = Sandbox::new("table_formats_html", &[]);
    let mut body = String::new();
    for (name, expr) in KINDS {
        body += &format!("save({expr}, \"OUT/{name}.html\");\n");
    }
    body += r#"save(table("a <b> & c", ["x_1 <", "y"], [["<script>", 1.5]]), "OUT/esc.html");"#;
    run_in(&sb.dir, &body);
    for (name, _) in KINDS {
        let html = std::fs::read_to_string(sb.path(&format!("{name}.html"))).unwrap();
        assert!(
            html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"),
            "{name}"
        );
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(
            !html.contains("src=") && !html.contains("href="),
            "{name}: nothing loaded from elsewhere"
        );
        let rows = html_rows(&html);
        assert!(rows.len() > 1, "{name}");
        let k = rows[0];
        assert!(rows.iter().all(|&n| n == k), "{name}: cells per row {rows:?}");
    }
    let esc = std::fs::read_to_string(sb.path("esc.html")).unwrap();
    assert!(!esc.contains("<script>") && esc.contains("&lt;script&gt;") && esc.contains("a &lt;b&gt; &amp; c"));
    let frag = spillover::report::html::table_fragment(&table("cmp"));
    assert!(frag.starts_with("<div class=\"spillover-table\">") && !frag.contains("<html"));
}

/// Braces balanced over the file (escaped `\{`, `\}` not counted, never below zero) and `$`
/// paired on each line (escaped `\$` not counted): the .tex parses.
fn check_tex(name: &str, tex: &str) {
    assert!(tex.is_ascii(), "{name}: non-ASCII in\n{tex}");
    let mut depth = 0i32;
    for (k, line) in tex.lines().enumerate() {
        let mut dollars = 0;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    assert!(depth >= 0, "{name}: line {k} closes a brace it did not open: {line}");
                }
                '$' => dollars += 1,
                _ => {}
            }
        }
        assert_eq!(dollars % 2, 0, "{name}: line {k} unpaired $: {line}");
    }
    assert_eq!(depth, 0, "{name}: unbalanced braces in\n{tex}");
}

/// pdflatex when installed (None otherwise, with a note on stderr).
pub(crate) fn pdflatex() -> Option<&'static str> {
    let ok = std::process::Command::new("pdflatex")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: pdflatex not found; the .tex files are checked for ASCII and balance only");
    }
    ok.then_some("pdflatex")
}

/// Compiles `main` in `dir` with pdflatex; panics with the log's errors on failure.
pub(crate) fn compile(dir: &Path, main: &str) {
    let out = std::process::Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", main])
        .current_dir(dir)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{main} does not compile:\n{}",
        log.lines()
            .filter(|l| l.starts_with('!') || l.starts_with("l."))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn latex_is_ascii_escaped_and_compiles_with_booktabs_and_amsmath() {
    let sb = Sandbox::new("table_formats_tex", &[]);
    let mut body = String::new();
    for (name, expr) in KINDS {
        body += &format!("save({expr}, \"OUT/{name}.tex\");\n");
    }
    body += r#"
        let tricky = table("Names: a_b & 50% #1 $x {y} ~z ^w \\ ρ·x σ² ≤ 0.05 Ménard", ["term_1", "W*x", "W·x"],
                           [["rho_{hat}", 0.5, "0.123*** (0.01)"], ["λ – θ", (), "–"]]);
        tricky = add_note(tricky, "Standard errors in parentheses; *** p<0.01; I_T ⊗ W");
        save(tricky, "OUT/tricky.tex");
        save(cmp, "OUT/standalone.tex", #{standalone: true});
    "#;
    run_in(&sb.dir, &body);
    let mut inputs = String::new();
    for name in KINDS.iter().map(|k| k.0).chain(["tricky"]) {
        let tex = std::fs::read_to_string(sb.path(&format!("{name}.tex"))).unwrap();
        check_tex(name, &tex);
        assert!(
            tex.starts_with("\\begin{table}") && !tex.contains("\\documentclass"),
            "{name}"
        );
        inputs += &format!("\\input{{{name}.tex}}\n\\clearpage\n");
    }
    let tricky = std::fs::read_to_string(sb.path("tricky.tex")).unwrap();
    for want in [
        "a\\_b \\& 50\\% \\#1 \\$x \\{y\\} \\textasciitilde{}z \\textasciicircum{}w \\textbackslash{}",
        "$\\rho \\times$x",
        "$\\sigma^{2}$",
        "$\\leq$",
        "M\\'{e}nard",
        "term\\_1 & W$\\times$x & W$\\times$x",
        "rho\\_\\{hat\\}",
        "0.123$^{***}$ (0.01)",
        "I\\_T $\\otimes$ W",
    ] {
        assert!(tricky.contains(want), "tricky.tex lacks {want}:\n{tricky}");
    }
    let sdm = std::fs::read_to_string(sb.path("compare.tex")).unwrap();
    assert!(sdm.contains("W$\\times$lpcap"), "W*x as a product:\n{sdm}");
    let standalone = std::fs::read_to_string(sb.path("standalone.tex")).unwrap();
    check_tex("standalone", &standalone);
    assert!(standalone
        .starts_with("\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{amsmath}\n\\begin{document}"));
    assert_eq!(
        standalone.matches("\\usepackage").count(),
        2,
        "only booktabs and amsmath"
    );
    // Chinese text in a table to \input is kept, with a comment saying what to load (the
    // warning and the standalone form: report_extras.rs)
    let cjk = crate::common::eval_table(&prelude(), r#"table("长三角", ["a"], [["b"]])"#).unwrap();
    let tex = spillover::report::latex::table_latex(&cjk, &Default::default()).unwrap();
    assert!(
        tex.tex
            .starts_with("% This table has CJK text: load \\usepackage{CJKutf8}")
            && tex.tex.contains("长三角"),
        "{}",
        tex.tex
    );
    assert!(
        tex.warnings[0].contains("长三角") && tex.warnings[0].contains(".docx"),
        "{:?}",
        tex.warnings
    );
    if pdflatex().is_some() {
        sb.write(
            "main.tex",
            format!("\\documentclass{{article}}\n\\usepackage{{booktabs}}\n\\usepackage{{amsmath}}\n\\begin{{document}}\n{inputs}\\end{{document}}\n")
                .as_bytes(),
        );
        compile(&sb.dir, "main.tex");
        compile(&sb.dir, "standalone.tex");
        assert!(sb.path("main.pdf").exists() && sb.path("standalone.pdf").exists());
    }
}

#[test]
fn p_values_print_as_journals_print_them() {
    let lm = table("lm");
    let printed = lm.cells();
    // produc's LM tests are far beyond any level: p prints 0.000, never in scientific notation
    for (row, cells) in lm.rows.iter().zip(&printed) {
        let Cell::P(p) = row[3] else {
            panic!("p is a p-value cell: {row:?}")
        };
        assert_eq!(cells[3], format!("{:.3}", p), "{row:?}");
        assert!(!cells.iter().any(|c| c.contains("e-")), "{cells:?}");
    }
    let md = lm.to_markdown();
    assert!(md.contains("| 0.000 |"), "{md}");
    // p_format "<": < 0.001 in every format that prints, the number itself in CSV
    let sb = Sandbox::new("table_formats_p", &[]);
    run_in(
        &sb.dir,
        r#"save(lm, "OUT/lm.md", #{p_format: "<"}); save(lm, "OUT/lm.csv", #{p_format: "<"});
           save(compare([o, s], #{paren: "p", p_format: "<"}), "OUT/cmp.md");"#,
    );
    let md = std::fs::read_to_string(sb.path("lm.md")).unwrap();
    assert!(md.contains("| < 0.001 |") && !md.contains("| 0.000 |"), "{md}");
    let csv = std::fs::read_to_string(sb.path("lm.csv")).unwrap();
    assert!(!csv.contains('<'), "CSV keeps numbers: {csv}");
    let cmp = std::fs::read_to_string(sb.path("cmp.md")).unwrap();
    assert!(cmp.contains("(< 0.001)") && !cmp.contains("e-"), "{cmp}");
    // the model table's p column and the script helpers
    let model = table("m");
    assert!(!model.to_text().contains("e-"), "{}", model.to_text());
    let engine = spillover::script::new_engine(None);
    assert_eq!(engine.eval::<String>("fmt_p(1.79e-149)").unwrap(), "0.000");
    assert_eq!(engine.eval::<String>(r#"fmt_p(1.79e-149, "<")"#).unwrap(), "< 0.001");
    assert_eq!(engine.eval::<String>("fmt_p(0.04567)").unwrap(), "0.046");
    let e = engine.eval::<String>(r#"fmt_p(0.5, "stars")"#).unwrap_err().to_string();
    assert!(e.contains("\"<\""), "{e}");
}

#[test]
fn test_tables_show_labels_and_integers() {
    let lm = table("lm");
    let first: Vec<String> = lm.cells().iter().map(|r| r[0].clone()).collect();
    assert_eq!(
        first,
        ["LM lag", "LM error", "Robust LM lag", "Robust LM error", "SARMA"]
    );
    // df are integers
    assert!(lm.rows.iter().all(|r| matches!(r[2], Cell::Int(_))), "{:?}", lm.rows);
    assert!(lm.to_markdown().contains("| LM lag |") && !lm.to_markdown().contains("lm_lag"));
    // code names still find the rows (API.md: lm["lm_lag"].p)
    let engine = spillover::script::new_engine(None);
    let p = engine
        .eval::<f64>(&format!("{}\nlm[\"robust_lm_error\"].p", prelude()))
        .unwrap();
    let Cell::P(want) = lm.rows[3][3] else { panic!() };
    assert_eq!(p, want);
    let ft = table("ft");
    let names: Vec<String> = ft.cells().iter().map(|r| r[0].clone()).collect();
    assert!(names.iter().all(|n| !n.contains('_')), "{names:?}");
    assert!(
        names.contains(&"LR individual FE (given time FE)".to_string()),
        "{names:?}"
    );
    assert!(ft.rows.iter().all(|r| matches!(r[2], Cell::Int(_))));
    // the study's Table 4 rows use the labels too
    let engine = spillover::script::new_engine(None);
    assert_eq!(
        engine.eval::<String>(r#"test_label("robust_lm_error")"#).unwrap(),
        "Robust LM error"
    );
    // compare's N and T print as integers
    let cmp = table("cmp");
    for label in ["N", "T"] {
        let row = cmp.row_named(label).unwrap();
        assert!(
            row[1..]
                .iter()
                .all(|c| matches!(c, Cell::Text(s) if s.parse::<u64>().is_ok())),
            "{row:?}"
        );
    }
}

#[test]
fn effects_put_standard_errors_in_parentheses_as_compare_does() {
    let t = table("fx");
    assert!(
        t.notes[0].starts_with("Standard errors in parentheses"),
        "{:?}",
        t.notes
    );
    let cmp = table("cmp");
    assert!(
        cmp.notes[0].starts_with("Standard errors in parentheses"),
        "{:?}",
        cmp.notes
    );
    let engine = spillover::script::new_engine(None);
    let se = engine
        .eval::<f64>(&format!("{}\nfx.to_map().indirect.lpcap.std_error", prelude()))
        .unwrap();
    let row = t.row_named("lpcap").unwrap();
    let Cell::Text(cell) = &row[2] else { panic!("{row:?}") };
    assert!(cell.ends_with(&format!("({})", fmt_num(se, 4))), "{cell} vs se {se}");
}
