//! Figure options (title, axis labels, size, font), Chinese text in PNG output through the
//! bundled CJK font, refusal of degenerate values, and LISA clusters (docs/methods.md §3, "LISA clusters"):
//! labels by esda's rule (quadrant where p_sim < alpha) and their colours in the Moran
//! scatterplot.

use crate::common::{fixture, root, weights_in_order};
use crate::sandbox::Sandbox;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::Column;
use spillover::esda::{lisa_cluster, local_moran, Cluster, MoranOptions, Quadrant};
use spillover::plot::{plot_intervals, plot_moran, FigureOptions, LisaColouring};
use spillover::weights::Weights;

fn columbus() -> (Vec<f64>, Weights) {
    let f = read_csv(&fixture("columbus/data.csv"), &CsvOptions::default()).unwrap();
    let ids = f.keys("POLYID").unwrap();
    let w = weights_in_order(&fixture("columbus/weights.csv"), &ids);
    (f.numeric("CRIME").unwrap().to_vec(), w)
}

/// A file in its own temporary folder, removed with the folder when dropped.
struct TmpFile(std::path::PathBuf);

impl std::ops::Deref for TmpFile {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TmpFile {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TmpFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn tmp(name: &str) -> TmpFile {
    let dir = std::env::temp_dir().join(format!("spillover_figopts_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    TmpFile(dir.join(name))
}

/// Decodes an RGB PNG: (width, height, pixels).
fn decode(path: &std::path::Path) -> (usize, usize, Vec<u8>) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

/// Dark pixels (ink) in rows `rows` of an RGB image of width `w`.
fn ink(rgb: &[u8], w: usize, rows: std::ops::Range<usize>) -> usize {
    rows.flat_map(|y| (0..w).map(move |x| (y * w + x) * 3))
        .filter(|&i| rgb[i] < 128 && rgb[i + 1] < 128 && rgb[i + 2] < 128)
        .count()
}

/// A one-row dot-and-whisker chart whose only text in the top band is its title.
fn title_ink(title: &str, name: &str) -> usize {
    let panels = vec![(String::new(), vec![("a".to_string(), 0.5, 0.1, 0.9)])];
    let path = tmp(name);
    plot_intervals(&panels, path.to_str().unwrap(), &FigureOptions::titled(title)).unwrap();
    let (w, _, rgb) = decode(&path);
    ink(&rgb, w, 0..28)
}

#[test]
fn chinese_title_is_drawn_in_png() {
    let blank = title_ink("", "blank.png");
    assert_eq!(blank, 0, "the top band of an untitled chart is background");
    let zh = title_ink("空间溢出效应", "zh.png");
    let other = title_ink("莫兰散点图的标题", "zh2.png");
    // Six 20 px CJK glyphs leave hundreds of dark pixels; missing glyphs would leave none.
    assert!(zh > 300, "Chinese title: {zh} dark pixels");
    assert!(
        other > 300 && other != zh,
        "a different title draws differently: {other} vs {zh}"
    );
    // Latin text still uses DejaVu and is drawn as before.
    assert!(title_ink("Spillover effects", "en.png") > 100);
}

#[test]
fn figure_options_reach_the_svg_and_old_signatures_work() {
    let s = Sandbox::new("figopts_svg", &[]);
    let data = root("examples/data/produc");
    let script = format!(
        r#"let p = panel(read_csv("{data}/data.csv"), "id", "time");
let w = read_weights("{data}/weights.csv");
let u = in_order(p, "unemp", 1985, w);
plot_moran(u, w, "m.svg", #{{title: "莫兰散点图", xlabel: "标准化值 z", ylabel: "空间滞后", width: 800, height: 700}});
plot_moran(u, w, "old1.svg");
plot_moran(u, w, "old2.png", "Unemployment, 1985");
plot_moran_series(moran(p, ["unemp"], w), "s.svg", #{{title: "全局莫兰指数", ylabel: "I 值", width: 1000}});
plot_moran_series(moran(p, ["unemp"], w), "old3.svg");
"#
    );
    let out = s.run(&script);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m = std::fs::read_to_string(s.path("m.svg")).unwrap();
    for want in [
        "莫兰散点图 (Moran",
        "标准化值 z",
        "空间滞后",
        r#"width="800""#,
        r#"height="700""#,
    ] {
        assert!(m.contains(want), "m.svg lacks {want}");
    }
    assert!(m.contains("Noto Sans CJK SC"), "CJK text names the CJK font family");
    let ser = std::fs::read_to_string(s.path("s.svg")).unwrap();
    assert!(ser.contains("全局莫兰指数") && ser.contains("I 值") && ser.contains(r#"width="1000""#));
    let old1 = std::fs::read_to_string(s.path("old1.svg")).unwrap();
    assert!(old1.contains("Moran scatterplot (Moran"), "old1.svg");
    let old3 = std::fs::read_to_string(s.path("old3.svg")).unwrap();
    assert!(old3.contains("Global Moran") && old3.contains("by period"), "old3.svg");
    assert_eq!(&std::fs::read(s.path("old2.png")).unwrap()[..4], b"\x89PNG");

    // Unknown options, a size out of range and an unreadable font are refused by name.
    for (opts, want) in [
        ("#{titel: \"x\"}", "titel"),
        ("#{width: 5}", "width = 5"),
        ("#{font: \"missing.ttf\"}", "missing.ttf"),
        ("#{font: \"data.txt\"}", "not a TrueType/OpenType font"),
        ("#{alpha: 0.1}", "lisa: true"),
        ("#{lisa: true, alpha: 1.5}", "alpha = 1.5"),
    ] {
        s.write("data.txt", b"not a font");
        let out = s.run(&format!(
            "let w = read_weights(\"{data}/weights.csv\");\nlet u = [];\nfor i in 0..48 {{ u.push(i * i % 7) }}\nplot_moran(u, w, \"e.svg\", {opts});\n"
        ));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(want), "{opts}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn font_option_loads_a_font_file() {
    let (x, w) = columbus();
    let path = tmp("font.svg");
    let opts = FigureOptions {
        title: Some("Crime".into()),
        font: Some(root("assets/fonts/DejaVuSans-subset.ttf")),
        ..FigureOptions::default()
    };
    plot_moran(&x, &w, path.to_str().unwrap(), &opts, None).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("DejaVuSans-subset #"), "the user font's family is used");
    // A user font without CJK glyphs falls back to the bundled CJK font for Chinese text.
    let opts = FigureOptions {
        title: Some("犯罪率".into()),
        ..opts
    };
    plot_moran(&x, &w, path.to_str().unwrap(), &opts, None).unwrap();
    assert!(std::fs::read_to_string(&path).unwrap().contains("Noto Sans CJK SC"));
}

#[test]
fn degenerate_values_are_refused() {
    let (x, w) = columbus();
    let p = tmp("bad.svg");
    let path = p.to_str().unwrap();
    let none = FigureOptions::default();
    let mut huge = x.clone();
    huge[3] = 1e301;
    let e = plot_moran(&huge, &w, path, &none, None).unwrap_err().to_string();
    assert!(e.contains("too large") && e.contains("rescale"), "{e}");
    let mut nan = x.clone();
    nan[5] = f64::NAN;
    let e = plot_moran(&nan, &w, path, &none, None).unwrap_err().to_string();
    assert!(e.contains("not a finite number"), "{e}");
    let mut inf = x.clone();
    inf[0] = f64::INFINITY;
    assert!(plot_moran(&inf, &w, path, &none, None).is_err());
    // Below 1e300 but squares overflow: Moran's I would be NaN.
    let big: Vec<f64> = x.iter().map(|v| v * 1e200).collect();
    let e = plot_moran(&big, &w, path, &none, None).unwrap_err().to_string();
    assert!(e.contains("rescale") && !e.contains("I = NaN)"), "{e}");
    let constant = vec![2.0; x.len()];
    let e = plot_moran(&constant, &w, path, &none, None).unwrap_err().to_string();
    assert!(e.contains("constant"), "{e}");
    assert!(!p.exists(), "nothing was drawn");
    let panels = vec![(
        String::new(),
        vec![("a".to_string(), f64::INFINITY, 0.0, f64::INFINITY)],
    )];
    let e = plot_intervals(&panels, path, &none).unwrap_err().to_string();
    assert!(e.contains("row 'a'") && e.contains("not a finite"), "{e}");
}

#[test]
fn lisa_cluster_rule_is_esda_quadrant_where_p_below_alpha() {
    // esda Moran_Local: q = 1 HH, 2 LH, 3 LL, 4 HL; a cluster map shows q where p_sim < alpha.
    let q = [Quadrant::HH, Quadrant::LH, Quadrant::LL, Quadrant::HL];
    let want = [Cluster::HighHigh, Cluster::LowHigh, Cluster::LowLow, Cluster::HighLow];
    for (q, c) in q.into_iter().zip(want) {
        assert_eq!(lisa_cluster(q, 0.01, 0.05), c);
        assert_eq!(
            lisa_cluster(q, 0.05, 0.05),
            Cluster::NotSignificant,
            "p = alpha is not < alpha"
        );
        assert_eq!(lisa_cluster(q, f64::NAN, 0.05), Cluster::NotSignificant);
        assert_eq!(lisa_cluster(q, 0.07, 0.1), c);
        assert_eq!(Quadrant::from_code(q.as_str()), Some(q));
        assert_eq!(Cluster::from_label(c.label()), Some(c));
    }
    let (x, w) = columbus();
    let opts = MoranOptions {
        permutations: Some(999),
        seed: 7,
    };
    let l = local_moran(&x, &w, &opts).unwrap();
    let p_sim = l.p_sim.clone().unwrap();
    let f = l.to_frame_at(0.05).unwrap();
    let text = |name: &str| match f.column(name).unwrap() {
        Column::Text(v) => v.clone(),
        Column::Num(_) => panic!("{name} is not text"),
    };
    let (quadrant, cluster) = (text("quadrant"), text("cluster"));
    let significant = f.numeric("significant").unwrap();
    let mut n_sig = 0;
    for i in 0..x.len() {
        let sig = p_sim[i] < 0.05;
        n_sig += usize::from(sig);
        let expect = if sig {
            match quadrant[i].as_str() {
                "HH" => "High-High",
                "LL" => "Low-Low",
                "HL" => "High-Low",
                "LH" => "Low-High",
                other => panic!("quadrant {other}"),
            }
        } else {
            "Not significant"
        };
        assert_eq!(cluster[i], expect, "unit {}", l.ids[i]);
        assert_eq!(significant[i], f64::from(u8::from(sig)));
    }
    assert!(n_sig > 0 && n_sig < x.len(), "{n_sig} significant units");
    // Without permutations the normal p decides.
    let l = local_moran(&x, &w, &MoranOptions::default()).unwrap();
    for (i, c) in l.clusters(0.05).into_iter().enumerate() {
        assert_eq!(c.is_significant(), l.p[i] < 0.05, "unit {}", l.ids[i]);
    }
}

#[test]
fn moran_scatterplot_colours_points_by_lisa_cluster() {
    let (x, w) = columbus();
    let options = MoranOptions {
        permutations: Some(999),
        seed: 3,
    };
    let clusters = local_moran(&x, &w, &options).unwrap().clusters(0.05);
    let path = tmp("lisa.svg");
    let opts = FigureOptions::titled("哥伦布犯罪率");
    let lisa = LisaColouring { options, alpha: 0.05 };
    plot_moran(&x, &w, path.to_str().unwrap(), &opts, Some(&lisa)).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    for c in Cluster::ALL {
        let n = clusters.iter().filter(|&&k| k == c).count();
        assert!(
            svg.contains(&format!("{} ({n})", c.label())),
            "legend lacks {} ({n})",
            c.label()
        );
    }
    // GeoDa colours: one filled marker per unit of each cluster, plus its legend marker.
    for (c, colour) in [(Cluster::HighHigh, "#FF0000"), (Cluster::LowLow, "#0000FF")] {
        let n = clusters.iter().filter(|&&k| k == c).count();
        let drawn = svg.matches(&format!("fill=\"{colour}\"")).count();
        assert_eq!(drawn, n + 1, "{colour}");
    }
    assert!(svg.contains("p_sim &lt; 0.05") || svg.contains("p_sim < 0.05"));
    // Without lisa the points are one colour.
    plot_moran(&x, &w, path.to_str().unwrap(), &opts, None).unwrap();
    assert!(!std::fs::read_to_string(&path).unwrap().contains("#FF0000"));
}
