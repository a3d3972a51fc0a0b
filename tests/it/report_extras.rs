//! The rest of issue 19: map figures take the figure options (width, height, font) and give
//! their warnings back; Chinese text in `.tex` output never fails a save or a study (a
//! standalone document loads CJKutf8, a table to `\input` comes with a warning saying what to
//! load); Word output uses real heading styles (a `word/styles.xml` part).

use crate::common::root;
use crate::maps::{file, grid_sandbox, legend_count, polygons};
use crate::sandbox::Sandbox;
use std::io::Read;

/// Width and height of a PNG file (its IHDR chunk).
fn png_size(path: &std::path::Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[1..4], b"PNG", "{} is a PNG", path.display());
    let be = |k: usize| u32::from_be_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]);
    (be(16), be(20))
}

#[test]
fn map_figures_take_width_height_and_font() {
    let s = grid_sandbox("extras_map_size");
    let font = root("assets/fonts/DejaVuSans-subset.ttf");
    s.succeeds(&format!(
        r#"let m = read_map("grid.geojson");
           let d = read_csv("grid_data.csv");
           let p = panel(read_csv("grid_panel.csv"), "id", "year");
           plot_map(m, d, "y", "both.png", #{{width: 700, height: 420, title: "城市群"}});
           plot_map(m, d, "y", "wide.png", #{{width: 1200}});
           plot_map(m, p, "y", "tall.png", #{{height: 800, legend: false}});
           plot_map_series(m, p, "y", "series.png", #{{width: 1000, height: 500}});
           plot_map(m, d, "y", "font.svg", #{{font: "{font}", title: "Grid"}});
           let w = weights_contiguity(m);
           let lisa = local_moran(in_order(p, "y", 2000, w), w);
           plot_lisa_map(m, lisa, "lisa.png", #{{width: 640, height: 480, alpha: 0.1}});"#
    ));
    assert_eq!(png_size(&s.path("both.png")), (700, 420));
    assert_eq!(png_size(&s.path("series.png")), (1000, 500));
    assert_eq!(png_size(&s.path("lisa.png")), (640, 480));
    // One side given: it is exact and the other follows the map's shape (the grid is 4 × 3
    // map units, drawn in a cell 4:3 beside the 250-pixel legend, or alone without it).
    let (w, h) = png_size(&s.path("wide.png"));
    assert_eq!(w, 1200);
    let cell_w = 1200 - 2 * 15 - (250 + 15);
    assert!(
        h > cell_w * 3 / 4 && h < cell_w * 3 / 4 + 100,
        "height {h} follows the 4:3 shape"
    );
    let (w, h) = png_size(&s.path("tall.png"));
    assert_eq!(h, 800);
    let cell_h = 800 - 2 * 15 - 40;
    assert!(
        (w as i64 - (cell_h * 4 / 3 + 30) as i64).abs() <= 2,
        "width {w} follows the 4:3 shape"
    );
    let svg = std::fs::read_to_string(s.path("font.svg")).unwrap();
    assert!(
        svg.contains("DejaVuSans-subset #"),
        "the font option reaches the map's text"
    );
    // Unknown options are refused naming the valid ones (axis labels do not apply to maps);
    // sizes out of range or too small for the legend are refused with the least that fits.
    for (call, want) in [
        (
            r#"plot_map(m, d, "y", "e.svg", #{xlabel: "x"})"#,
            "unknown option 'xlabel'",
        ),
        (
            r#"plot_map(m, d, "y", "e.svg", #{widht: 500})"#,
            "title, width, height, font, id",
        ),
        (
            r#"plot_lisa_map(m, local_moran(in_order(p, "y", 2000, w), w), "e.svg", #{ylabel: "y"})"#,
            "alpha, legend",
        ),
        (
            r#"plot_map(m, d, "y", "e.svg", #{width: 50})"#,
            "width = 50 pixels is outside",
        ),
        (
            r#"plot_map(m, d, "y", "e.svg", #{width: 320})"#,
            "width = 320 pixels is too small",
        ),
        (r#"plot_map(m, d, "y", "e.svg", #{height: 150})"#, "(or legend: false)"),
        (r#"plot_map(m, d, "y", "e.svg", #{font: "missing.ttf"})"#, "missing.ttf"),
    ] {
        let out = s.run(&format!(
            "let m = read_map(\"grid.geojson\");\nlet d = read_csv(\"grid_data.csv\");\nlet w = weights_contiguity(m);\n\
             let p = panel(read_csv(\"grid_panel.csv\"), \"id\", \"year\");\n{call};"
        ));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(want), "{call}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn map_warnings_are_returned_to_the_script() {
    // grid_data.csv has no row for C1 and a row Z that is not on the map.
    let s = grid_sandbox("extras_map_warnings");
    let out = s.succeeds(
        r#"let m = read_map("grid.geojson");
           let r = plot_map(m, read_csv("grid_data.csv"), "y", "y.svg");
           print(r.warnings.len());
           print(r.no_data);
           print(r.not_on_map);
           print(r.warnings[0]);
           let p = panel(read_csv("grid_panel.csv"), "id", "year");
           let all = plot_map_series(m, p, "y", "s.svg");
           print(all.warnings.len());"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "2", "{out}");
    assert_eq!(lines[1], r#"["C1"]"#, "{out}");
    assert_eq!(lines[2], r#"["Z"]"#, "{out}");
    assert!(lines[3].contains("no data") && lines[3].contains("C1"), "{out}");
    assert_eq!(lines[4], "0", "the panel covers every unit: {out}");

    // The LISA map gives back the counts of its legend.
    let s = Sandbox::new(
        "extras_lisa_counts",
        &[
            ("columbus.geojson", &file("columbus/columbus.geojson")),
            ("data.csv", &file("columbus/data.csv")),
        ],
    );
    let out = s.succeeds(
        r#"let m = read_map("columbus.geojson", #{id: "POLYID"});
           let w = weights_contiguity(m);
           let lisa = local_moran(in_order(read_csv("data.csv"), "POLYID", "CRIME", w), w, #{permutations: 999, seed: 7});
           let r = plot_lisa_map(m, lisa, "lisa.svg");
           for k in ["High-High", "Low-Low", "Low-High", "High-Low", "Not significant", "No data"] { print(`${k}=${r.counts[k]}`); }
           print(r.warnings.len());"#,
    );
    let svg = std::fs::read_to_string(s.path("lisa.svg")).unwrap();
    let mut total = 0;
    for line in out.lines().take(6) {
        let (k, n) = line.split_once('=').unwrap();
        let n: usize = n.parse().unwrap();
        total += n;
        if k != "No data" {
            assert_eq!(legend_count(&svg, k), n, "{k}");
        } else {
            assert_eq!(n, 0);
        }
    }
    assert_eq!(total, 49, "{out}");
    assert_eq!(polygons(&svg).len(), 49);
    assert_eq!(out.lines().nth(6), Some("0"));
}

/// True when pdflatex and the CJK package (CJKutf8.sty) are both installed.
fn pdflatex_with_cjk() -> bool {
    crate::table_formats::pdflatex().is_some()
        && std::process::Command::new("kpsewhich")
            .arg("CJKutf8.sty")
            .output()
            .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

#[test]
fn chinese_text_in_tex_warns_or_loads_cjk_and_never_fails_the_study() {
    let s = Sandbox::new("extras_tex_cjk", &[]);
    let out = s.run(
        r#"let t = table("长三角", ["变量", "mean"], [["集聚 x_1", 1.5], ["ρ·增长", 2.0]]);
           t = add_note(t, "注：括号内为标准误");
           save(t, "frag.tex");
           save(t, "doc.tex", #{standalone: true});
           save(table("ascii", ["a"], [["b"]]), "plain.tex", #{standalone: true});"#,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // one warning, for the fragment, naming the cells and what to load
    assert_eq!(err.matches("warning: save: ").count(), 1, "{err}");
    for want in [
        "frag.tex",
        "'变量'",
        "'集聚 x_1'",
        "\\usepackage{CJKutf8}",
        "\\begin{CJK}{UTF8}{gbsn}",
        "standalone: true",
    ] {
        assert!(err.contains(want), "the warning lacks {want}: {err}");
    }
    let frag = std::fs::read_to_string(s.path("frag.tex")).unwrap();
    assert!(
        frag.starts_with("% This table has CJK text") && frag.contains("集聚 x\\_1"),
        "{frag}"
    );
    let doc = std::fs::read_to_string(s.path("doc.tex")).unwrap();
    assert!(
        doc.contains("\\usepackage{CJKutf8}\n\\begin{document}\n\\begin{CJK}{UTF8}{gbsn}\n")
            && doc.contains("\\end{CJK}\n\\end{document}"),
        "{doc}"
    );
    let plain = std::fs::read_to_string(s.path("plain.tex")).unwrap();
    assert!(!plain.contains("CJK"), "ASCII tables load only booktabs and amsmath");
    if pdflatex_with_cjk() {
        s.write(
            "main.tex",
            b"\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{amsmath}\n\\usepackage{CJKutf8}\n\\begin{document}\n\\begin{CJK}{UTF8}{gbsn}\n\\input{frag.tex}\n\\end{CJK}\n\\end{document}\n",
        );
        crate::table_formats::compile(&s.dir, "doc.tex");
        crate::table_formats::compile(&s.dir, "main.tex");
        assert!(s.path("doc.pdf").exists() && s.path("main.pdf").exists());
    } else {
        eprintln!("note: pdflatex or the CJK package (CJKutf8.sty) is missing; the CJK .tex files are not compiled");
    }

    // A study whose variables have Chinese names writes every output.
    let panel = crate::report_html::grid_panel().replacen("id,time,y,x,g", "id,time,增长,集聚,人均收入", 1);
    let map = std::fs::read(root("tests/fixtures/maps/grid.geojson")).unwrap();
    let st = Sandbox::new(
        "extras_study_cjk",
        &[("grid.geojson", &map), ("panel.csv", panel.as_bytes())],
    );
    let o = st.run(
        "import \"study\" as study;\nlet r = study::run(#{title: \"网格研究\", data: \"panel.csv\", formula: \"增长 ~ 集聚\", \
         weights: #{kind: \"economic\", variable: \"人均收入\"}, effects: #{draws: 100, seed: 1}, map: \"grid.geojson\", map_id: \"id\", out: \"res\"});",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("warning: save: res/table2_descriptives.tex"), "{err}");
    let res = st.path("res");
    for t in [
        "table2_descriptives",
        "table3_moran",
        "table4_ols_tests",
        "table5_spatial_models",
        "table6_effects",
    ] {
        for ext in ["md", "csv", "tex"] {
            assert!(res.join(format!("{t}.{ext}")).exists(), "missing {t}.{ext}");
        }
    }
    for f in [
        "report.md",
        "report.html",
        "report.docx",
        "fig_map_outcome.png",
        "fig_lisa_last.svg",
    ] {
        assert!(res.join(f).exists(), "missing {f}");
    }
    let t5 = std::fs::read_to_string(res.join("table5_spatial_models.tex")).unwrap();
    assert!(t5.contains("W$\\times$集聚"), "{t5}");
    if pdflatex_with_cjk() {
        st.write(
            "main.tex",
            b"\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{amsmath}\n\\usepackage{CJKutf8}\n\\begin{document}\n\\begin{CJK}{UTF8}{gbsn}\n\\input{res/table5_spatial_models.tex}\n\\input{res/table6_effects.tex}\n\\end{CJK}\n\\end{document}\n",
        );
        crate::table_formats::compile(&st.dir, "main.tex");
    }
}

/// The text of part `name` of the zip package at `path`.
fn part(path: &std::path::Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{}: no {name}", path.display()))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The `w:val` of every `w:pStyle` in `xml`, in order.
fn paragraph_styles(xml: &str) -> Vec<String> {
    xml.split("<w:pStyle w:val=\"")
        .skip(1)
        .map(|p| p[..p.find('"').unwrap()].to_string())
        .collect()
}

#[test]
fn word_headings_are_heading_styles_defined_in_styles_xml() {
    let map = std::fs::read(root("tests/fixtures/maps/grid.geojson")).unwrap();
    let panel = crate::report_html::grid_panel();
    let s = Sandbox::new(
        "extras_docx_styles",
        &[("grid.geojson", &map), ("panel.csv", panel.as_bytes())],
    );
    s.succeeds(
        "import \"study\" as study;\nstudy::run(#{title: \"Grid\", data: \"panel.csv\", formula: \"y ~ x\", \
         weights: #{kind: \"economic\", variable: \"g\"}, effects: #{draws: 100, seed: 1}, out: \"res\"});\n\
         save(table(\"Table A\", [\"a\", \"b\"], [[\"x\", 1.0]]), \"t.docx\");",
    );
    for file in ["res/report.docx", "t.docx"] {
        let path = s.path(file);
        let styles = part(&path, "word/styles.xml");
        let types = part(&path, "[Content_Types].xml");
        let rels = part(&path, "word/_rels/document.xml.rels");
        assert!(
            types.contains("PartName=\"/word/styles.xml\"") && types.contains("wordprocessingml.styles+xml"),
            "{file}: {types}"
        );
        assert!(
            rels.contains("relationships/styles\" Target=\"styles.xml\""),
            "{file}: {rels}"
        );
        let doc = part(&path, "word/document.xml");
        let used = paragraph_styles(&doc);
        assert!(!used.is_empty(), "{file}: no styled paragraph");
        for st in &used {
            assert!(
                styles.contains(&format!("w:styleId=\"{st}\"")),
                "{file}: style {st} is not defined in styles.xml"
            );
        }
        // the table title is a Caption paragraph just above the table
        let tbl = doc.find("<w:tbl>").unwrap();
        assert!(doc[..tbl].rfind("<w:pStyle w:val=\"Caption\"/>").is_some(), "{file}");
    }
    let doc = part(&s.path("res/report.docx"), "word/document.xml");
    let used = paragraph_styles(&doc);
    // "# Grid" is the one Heading1; each "## Table …" a Heading2 with outline level 1
    assert_eq!(used.iter().filter(|s| *s == "Heading1").count(), 1, "{used:?}");
    assert!(
        doc.contains("<w:pStyle w:val=\"Heading1\"/></w:pPr><w:r><w:t xml:space=\"preserve\">Grid</w:t>"),
        "the title is a Heading1"
    );
    assert!(
        doc.contains("<w:pStyle w:val=\"Heading2\"/></w:pPr><w:r><w:t xml:space=\"preserve\">Table 2. Descriptive statistics</w:t>"),
        "a section is a Heading2"
    );
    let styles = part(&s.path("res/report.docx"), "word/styles.xml");
    let h2 = &styles[styles.find("w:styleId=\"Heading2\"").unwrap()..];
    let h2 = &h2[..h2.find("</w:style>").unwrap()];
    assert!(
        h2.contains("<w:name w:val=\"heading 2\"/>") && h2.contains("<w:outlineLvl w:val=\"1\"/>"),
        "{h2}"
    );
    // no heading is a bare bold paragraph any more
    assert!(!doc.contains("<w:b/><w:sz w:val=\"30\"/>"), "old bold headings remain");
}

#[test]
fn moran_scatterplot_ticks_never_read_minus_zero() {
    // The grid study's outcome in its last period: plotters' own tick labels printed the
    // rounding error of a tick at zero as "-0.0".
    let panel = crate::report_html::grid_panel();
    let s = Sandbox::new("extras_ticks", &[("panel.csv", panel.as_bytes())]);
    s.succeeds(
        r#"let p = panel(read_csv("panel.csv"), "id", "time");
           let w = weights_economic(p, "g");
           plot_moran(in_order(p, "y", 2008, w), w, "m.svg");"#,
    );
    let svg = std::fs::read_to_string(s.path("m.svg")).unwrap();
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].trim())
        .collect();
    assert!(texts.contains(&"0"), "a tick at zero: {texts:?}");
    assert!(
        !texts
            .iter()
            .any(|t| t.starts_with("-0") && t.trim_start_matches(['-', '0', '.']).is_empty()),
        "{texts:?}"
    );
}
