//! The study's `report.html`: one self-contained page with every table the study wrote (as
//! HTML tables), the figures embedded, a table of contents whose links resolve, and the spec;
//! `report.docx` with the same tables and the figures as pictures.

use crate::common::root;
use crate::sandbox::Sandbox;
use std::collections::BTreeSet;

/// Text escaped as the HTML writer escapes it.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The values of attribute `attr` (e.g. `src`, `href`, `id`) in `html`.
fn attributes(html: &str, attr: &str) -> Vec<String> {
    let pat = format!(" {attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn study_writes_self_contained_html_and_docx_reports() {
    let s = Sandbox::new("report_html_study", &[]);
    let out = s.path("res");
    let o = s
        .command(&["run", "scripts/resilience_study.rhai", out.to_str().unwrap()])
        .current_dir(root(""))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html written");

    // every table the study saved is in the page as an HTML table with its title
    let mut titles = 0;
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") && p.file_name().unwrap() != "report.md" {
            let md = std::fs::read_to_string(&p).unwrap();
            let first = md.lines().next().unwrap();
            let title = first.trim_start_matches("**").trim_end_matches("**");
            assert!(first.starts_with("**") && !title.is_empty(), "{p:?}: no title line");
            let caption = format!("<caption>{}</caption>", html_escape(title));
            assert!(html.contains(&caption), "report.html lacks the table {title:?} ({p:?})");
            titles += 1;
        }
    }
    assert!(titles >= 10, "only {titles} tables found");
    assert!(html.matches("<table>").count() >= titles);

    // self-contained: every src is a data: URI, every href an anchor of the page
    let ids: BTreeSet<String> = attributes(&html, "id").into_iter().collect();
    for src in attributes(&html, "src") {
        assert!(src.starts_with("data:image/"), "src refers to a file: {src:.60}");
    }
    let hrefs = attributes(&html, "href");
    assert!(hrefs.len() >= 10, "table of contents has {} links", hrefs.len());
    for h in &hrefs {
        let id = h
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("href to another file: {h}"));
        assert!(ids.contains(id), "anchor {h} has no target");
    }
    assert!(!html.contains("<link") && !html.contains("<script"));

    // the three figures of the study, embedded as SVG data URIs in figures with captions
    let figures = attributes(&html, "src")
        .into_iter()
        .filter(|s| s.starts_with("data:image/svg+xml;base64,"))
        .count();
    assert_eq!(figures, 3, "figures embedded");
    assert_eq!(html.matches("<figcaption>").count(), 3);

    // the reading guidance and the spec that produced the report
    assert!(html.contains("<p>Reading: "), "reading guidance");
    assert!(html.contains("id=\"spec\""));
    assert!(html.contains("&quot;formula&quot;: &quot;y ~ spec + div + c1 + c2 + c3 + c4&quot;"));
    // Markdown code spans and bold are rendered, not shown as raw markers
    assert!(html.contains("<code>examples/data/citycluster/city_year.csv</code>"));
    assert!(!html.contains("`"), "a raw backtick is left in the page");

    // report.docx: the same tables as Word tables, the figures as PNG pictures
    let docx = out.join("report.docx");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&docx).expect("report.docx written")).unwrap();
    let part = |zip: &mut zip::ZipArchive<std::fs::File>, name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name(name).unwrap_or_else(|_| panic!("no {name}")),
            &mut text,
        )
        .unwrap();
        text
    };
    let doc = part(&mut zip, "word/document.xml");
    let rels = part(&mut zip, "word/_rels/document.xml.rels");
    let types = part(&mut zip, "[Content_Types].xml");
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") && p.file_name().unwrap() != "report.md" {
            let md = std::fs::read_to_string(&p).unwrap();
            let title = md.lines().next().unwrap().trim_matches('*');
            let xml = title
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('\'', "&#39;");
            assert!(
                doc.contains(&format!(">{xml}</w:t>")),
                "report.docx lacks the table {title:?}"
            );
        }
    }
    assert!(doc.matches("<w:tbl>").count() >= titles);
    assert!(doc.contains("Reading: "));
    assert!(types.contains("Extension=\"png\""));
    for k in 1..=3 {
        let id = format!("rIdImg{k}");
        assert!(doc.contains(&format!("r:embed=\"{id}\"")), "picture {k} in the body");
        assert!(rels.contains(&format!("Id=\"{id}\"")) && rels.contains(&format!("Target=\"media/image{k}.png\"")));
        let mut png = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(&format!("word/media/image{k}.png")).unwrap(), &mut png).unwrap();
        assert_eq!(&png[1..4], b"PNG", "image{k} is a PNG");
    }
    assert!(zip.by_name("word/media/image4.png").is_err(), "three figures");
}

#[test]
fn save_report_refuses_bad_items_and_formats() {
    let s = Sandbox::new("report_html_errors", &[]);
    let o = s.run("save_report(\"r.html\", [\"# T\", 42]);");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("item 1"), "{err}");
    let o = s.run("save_report(\"r.html\", [#{figure: \"missing.png\", caption: \"x\"}]);");
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.png"));
    assert!(!s.path("r.html").exists(), "nothing written on error");
    let o = s.run("save_report(\"r.pdf\", [\"# T\"]);");
    assert!(String::from_utf8_lossy(&o.stderr).contains(".html, .docx"));
    s.write("fig.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    let o = s.run("save_report(\"r.docx\", [#{figure: \"fig.svg\", caption: \"x\"}]);");
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a PNG"));
    let o = s.run("save_report(\"r.html\", [\"# T\", \"## A\", \"x **b** and *** p\"]);");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(s.path("r.html")).unwrap();
    assert!(html.contains("<p>x <strong>b</strong> and *** p</p>"), "{html}");
    assert!(html.contains("<a href=\"#sec-1\">A</a>"));
}

/// A panel `id,time,y,x,g` on the ten units of the grid map (tests/fixtures/maps), 8 periods,
/// deterministic values: y higher on row C so that the maps have something to show.
pub(crate) fn grid_panel() -> String {
    let ids = ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3", "E"];
    let mut s = String::from("id,time,y,x,g\n");
    for t in 0..8 {
        for (k, id) in ids.iter().enumerate() {
            let (kf, tf) = (k as f64, t as f64);
            let x = (kf * 1.3 + tf * 0.7).sin() + 0.3 * kf;
            let row_c = if id.starts_with('C') { 2.0 } else { 0.0 };
            let y = 1.0 + 0.5 * x + row_c + 0.5 * (kf * 2.1 + tf * 1.9).cos();
            let g = kf * 1.37 + 0.1 * (tf + kf).sin();
            s += &format!("{id},{},{y},{x},{g}\n", 2001 + t);
        }
    }
    s
}

#[test]
fn study_with_a_map_puts_choropleth_and_lisa_maps_in_every_report() {
    let map = std::fs::read(root("tests/fixtures/maps/grid.geojson")).unwrap();
    let panel = grid_panel();
    let s = Sandbox::new(
        "report_html_maps",
        &[("grid.geojson", &map), ("panel.csv", panel.as_bytes())],
    );
    let spec =
        "#{title: \"Grid\", data: \"panel.csv\", formula: \"y ~ x\", weights: #{kind: \"economic\", variable: \"g\"}, \
                effects: #{draws: 100, seed: 1}, map: \"grid.geojson\", map_id: \"id\", out: \"res\"}";
    let o = s.run(&format!(
        "import \"study\" as study;\nlet r = study::run({spec});\nprint(r.maps.lisa_last[\"id\"].len());"
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "10", "one LISA row per unit");
    let out = s.path("res");
    for fig in ["fig_map_outcome", "fig_lisa_first", "fig_lisa_last"] {
        for ext in ["svg", "png"] {
            assert!(out.join(format!("{fig}.{ext}")).exists(), "missing {fig}.{ext}");
        }
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Maps") && md.contains("(fig_lisa_first.png)") && md.contains("(fig_lisa_last.png)"));
    // the LISA SVGs carry the legend of the cluster types
    let lisa_svg = std::fs::read_to_string(out.join("fig_lisa_last.svg")).unwrap();
    assert!(lisa_svg.contains("High-High") && lisa_svg.contains("Not significant"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(">Maps</a>"), "maps in the contents");
    assert_eq!(html.matches("<figure ").count(), 5, "2 Moran figures and 3 maps");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(out.join("report.docx")).unwrap()).unwrap();
    assert!(zip.by_name("word/media/image5.png").is_ok() && zip.by_name("word/media/image6.png").is_err());

    // map_id alone is refused before anything runs
    let o =
        s.run("import \"study\" as study;\nstudy::run(#{data: \"panel.csv\", formula: \"y ~ x\", map_id: \"id\"});");
    assert!(String::from_utf8_lossy(&o.stderr).contains("spec.map_id needs spec.map"));
}
