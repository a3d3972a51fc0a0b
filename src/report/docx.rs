//! Word (`.docx`) output of a [`Table`], written as Office Open XML (ECMA-376) with the `zip`
//! crate: the package holds `[Content_Types].xml`, `_rels/.rels`, `word/document.xml` and its
//! relationships (with PNG pictures under `word/media/`), and `word/styles.xml` with the
//! paragraph styles the body uses ([`STYLES`]: Normal, Heading1–Heading6 with outline levels so
//! that Word's navigation pane and table of contents find the headings, and Caption). The
//! table is a real Word table (one `w:tc` per cell) with the title as a Caption paragraph above
//! it, booktabs-like rules (top, under the header, bottom), the first column left- and the
//! others right-aligned, and the notes in 9 pt under it.
//!
//! No docx crate is used: the format needed here is four small XML parts, and `zip` is already
//! in the build (through `rust_xlsxwriter` and `calamine`), so this adds no dependency. A report
//! writer builds its body from [`table_xml`] and [`paragraph_xml`] and packages it with
//! [`document`].

use super::table::Table;
use crate::error::{Error, Result};
use std::io::Write;

/// The WordprocessingML namespace.
const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// Text escaped for XML; characters XML 1.0 forbids (control characters other than tab and
/// newline) are dropped.
pub fn xml_escape(s: &str) -> String {
    let allowed: String = s
        .chars()
        .filter(|&c| !((c as u32) < 0x20 && c != '\t' && c != '\n') && c != '\u{fffe}' && c != '\u{ffff}')
        .map(|c| if c == '\t' || c == '\n' { ' ' } else { c })
        .collect();
    crate::report::html::escape(&allowed)
}

/// A run of text (`w:r`), bold when asked, at `size` half-points (None: the default 11 pt).
fn run(text: &str, bold: bool, size: Option<u32>) -> String {
    let mut props = String::new();
    if bold {
        props.push_str("<w:b/>");
    }
    if let Some(sz) = size {
        props.push_str(&format!("<w:sz w:val=\"{sz}\"/><w:szCs w:val=\"{sz}\"/>"));
    }
    let props = if props.is_empty() {
        String::new()
    } else {
        format!("<w:rPr>{props}</w:rPr>")
    };
    format!(
        "<w:r>{props}<w:t xml:space=\"preserve\">{}</w:t></w:r>",
        xml_escape(text)
    )
}

/// Alignment of a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left (text, labels).
    Left,
    /// Right (numbers).
    Right,
    /// Centred.
    Center,
}

impl Align {
    fn word(self) -> &'static str {
        match self {
            Align::Left => "left",
            Align::Right => "right",
            Align::Center => "center",
        }
    }
}

/// A paragraph (`w:p`) of `text`: bold when asked, at `size` half-points (None: 11 pt),
/// aligned `align`, with no space before or after; `keep_next` keeps it on the page of what
/// follows (a title above its table).
pub fn paragraph_xml(text: &str, bold: bool, size: Option<u32>, align: Align, keep_next: bool) -> String {
    format!(
        "<w:p><w:pPr>{}<w:spacing w:before=\"0\" w:after=\"0\"/><w:jc w:val=\"{}\"/></w:pPr>{}</w:p>",
        if keep_next { "<w:keepNext/>" } else { "" },
        align.word(),
        run(text, bold, size)
    )
}

/// A paragraph of `text` in the paragraph style `style` (an id of [`STYLES`], e.g.
/// `"Heading1"`), whose formatting comes from the style.
pub fn styled_paragraph_xml(text: &str, style: &str) -> String {
    format!(
        "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>{}</w:p>",
        run(text, false, None)
    )
}

/// A heading of `level` 1–6 (deeper levels are drawn as 6): a paragraph in the style
/// `Heading{level}`, listed in Word's navigation pane and tables of contents.
pub fn heading_xml(text: &str, level: usize) -> String {
    styled_paragraph_xml(text, &format!("Heading{}", level.clamp(1, 6)))
}

/// The `word/styles.xml` part: document defaults (Times New Roman for Latin text, SimSun for
/// Chinese, 11 pt), the Normal paragraph style, Heading1–Heading6 (bold, 18, 15, 13, 12, 11,
/// 11 pt, kept with the next paragraph, outline levels 0–5, built-in names so Word treats them
/// as its headings) and Caption (bold, kept with the table under it).
pub static STYLES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles xmlns:w=\"{W_NS}\">\
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" \
w:eastAsia=\"SimSun\" w:cs=\"Times New Roman\"/><w:sz w:val=\"22\"/><w:szCs w:val=\"22\"/><w:lang w:val=\"en-US\" \
w:eastAsia=\"zh-CN\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" \
w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style>"
    );
    for (level, size) in [36, 30, 26, 24, 22, 22].into_iter().enumerate() {
        let n = level + 1;
        s += &format!(
            "<w:style w:type=\"paragraph\" w:styleId=\"Heading{n}\"><w:name w:val=\"heading {n}\"/>\
<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:uiPriority w:val=\"9\"/><w:qFormat/><w:pPr><w:keepNext/>\
<w:keepLines/><w:spacing w:before=\"240\" w:after=\"120\"/><w:outlineLvl w:val=\"{level}\"/></w:pPr><w:rPr><w:b/>\
<w:bCs/><w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/></w:rPr></w:style>"
        );
    }
    s += "<w:style w:type=\"paragraph\" w:styleId=\"Caption\"><w:name w:val=\"caption\"/><w:basedOn w:val=\"Normal\"/>\
<w:next w:val=\"Normal\"/><w:uiPriority w:val=\"35\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"120\" \
w:after=\"60\"/></w:pPr><w:rPr><w:b/><w:bCs/></w:rPr></w:style></w:styles>";
    s
});

/// A border element of weight `sz` eighths of a point.
fn border(side: &str, sz: u32) -> String {
    format!("<w:{side} w:val=\"single\" w:sz=\"{sz}\" w:space=\"0\" w:color=\"000000\"/>")
}

/// Column widths in twentieths of a point over a 6.3-inch text block: the first (labels)
/// twice as wide as the others.
fn column_widths(k: usize) -> Vec<u32> {
    let total = 9072u32;
    if k <= 1 {
        return vec![total; k];
    }
    let unit = total / (k as u32 + 1);
    let mut w = vec![unit; k];
    w[0] = total - unit * (k as u32 - 1);
    w
}

/// `t` as WordprocessingML body content: its title as a Caption paragraph, the table (header row
/// repeated on each page, a rule above and below the header and under the last row), and each
/// note as a 9 pt paragraph under it, followed by an empty paragraph. Cells show the printed
/// text of every format.
pub fn table_xml(t: &Table) -> String {
    let k = t.columns.len().max(1);
    let mut out = String::new();
    if !t.title.is_empty() {
        out += &styled_paragraph_xml(&t.title, "Caption");
    }
    let widths = column_widths(k);
    out += "<w:tbl><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/><w:jc w:val=\"center\"/>";
    out += &format!(
        "<w:tblBorders>{}{}</w:tblBorders>",
        border("top", 12),
        border("bottom", 12)
    );
    out += "<w:tblLayout w:type=\"autofit\"/><w:tblLook w:val=\"0000\"/></w:tblPr><w:tblGrid>";
    for w in &widths {
        out += &format!("<w:gridCol w:w=\"{w}\"/>");
    }
    out += "</w:tblGrid>";
    let cell = |text: &str, j: usize, header: bool| -> String {
        let borders = if header {
            format!("<w:tcBorders>{}</w:tcBorders>", border("bottom", 6))
        } else {
            String::new()
        };
        let align = if j == 0 { Align::Left } else { Align::Right };
        format!(
            "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/>{borders}</w:tcPr>{}</w:tc>",
            widths[j.min(k - 1)],
            paragraph_xml(text, false, None, align, false)
        )
    };
    out += "<w:tr><w:trPr><w:tblHeader/></w:trPr>";
    for (j, c) in t.columns.iter().enumerate() {
        out += &cell(c, j, true);
    }
    out += "</w:tr>";
    for row in t.cells() {
        out += "<w:tr><w:trPr><w:cantSplit/></w:trPr>";
        for (j, c) in row.iter().enumerate() {
            out += &cell(c, j, false);
        }
        out += "</w:tr>";
    }
    out += "</w:tbl>";
    for n in t.rendered_notes() {
        out += &paragraph_xml(&n, false, Some(18), Align::Left, false);
    }
    out += &paragraph_xml("", false, None, Align::Left, false);
    out
}

/// The width and height in pixels of PNG `bytes` (from its IHDR chunk), or None when the
/// bytes are not a PNG.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != SIG || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

/// A centred paragraph holding the `k`-th image (1-based) of [`document`]'s `images`, `w_px`
/// × `h_px` pixels at 96 dpi, scaled down to the 16 cm text width (DrawingML inline picture,
/// ECMA-376 §20.4.2.8; 914 400 EMU per inch).
pub fn image_xml(k: usize, w_px: u32, h_px: u32) -> String {
    const EMU_PX: u64 = 9525;
    const MAX_CX: u64 = 5_760_720;
    let (mut cx, mut cy) = (w_px.max(1) as u64 * EMU_PX, h_px.max(1) as u64 * EMU_PX);
    if cx > MAX_CX {
        cy = cy * MAX_CX / cx;
        cx = MAX_CX;
    }
    format!(
        "<w:p><w:pPr><w:keepNext/><w:jc w:val=\"center\"/></w:pPr><w:r><w:drawing>\
<wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{cx}\" cy=\"{cy}\"/>\
<wp:docPr id=\"{k}\" name=\"Figure {k}\"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr>\
<a:graphic><a:graphicData uri=\"{PIC_NS}\"><pic:pic><pic:nvPicPr><pic:cNvPr id=\"{k}\" name=\"image{k}.png\"/><pic:cNvPicPr/></pic:nvPicPr>\
<pic:blipFill><a:blip r:embed=\"rIdImg{k}\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
<pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr>\
</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )
}

/// The DrawingML picture namespace.
const PIC_NS: &str = "http://schemas.openxmlformats.org/drawingml/2006/picture";

/// The `.docx` package (zip bytes) of a document whose body is `body_xml` (paragraphs and
/// tables, e.g. from [`table_xml`], and pictures from [`image_xml`]), on A4 paper with 2.5 cm
/// margins; `images` are the PNG files the body's pictures show, the `k`-th (1-based) stored as
/// `word/media/imagek.png` with relationship id `rIdImgk`.
pub fn document(body_xml: &str, images: &[Vec<u8>]) -> Result<Vec<u8>> {
    const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Default Extension=\"png\" ContentType=\"image/png\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
</Types>";
    const RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
</Relationships>";
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"{W_NS}\" \
xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" \
xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" xmlns:pic=\"{PIC_NS}\"><w:body>{body_xml}\
<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1418\" w:right=\"1418\" w:bottom=\"1418\" w:left=\"1418\" \
w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    let mut doc_rels = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>",
    );
    for k in 1..=images.len() {
        doc_rels += &format!(
            "<Relationship Id=\"rIdImg{k}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/image{k}.png\"/>"
        );
    }
    doc_rels += "</Relationships>";
    let fail = |e: &dyn std::fmt::Display| Error::invalid(format!("cannot build the .docx package: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut parts: Vec<(String, &[u8])> = vec![
        ("[Content_Types].xml".into(), CONTENT_TYPES.as_bytes()),
        ("_rels/.rels".into(), RELS.as_bytes()),
        ("word/document.xml".into(), doc.as_bytes()),
        ("word/_rels/document.xml.rels".into(), doc_rels.as_bytes()),
        ("word/styles.xml".into(), STYLES.as_bytes()),
    ];
    for (k, png) in images.iter().enumerate() {
        parts.push((format!("word/media/image{}.png", k + 1), png.as_slice()));
    }
    for (name, bytes) in parts {
        zip.start_file(name, opts).map_err(|e| fail(&e))?;
        zip.write_all(bytes).map_err(|e| fail(&e))?;
    }
    let cursor = zip.finish().map_err(|e| fail(&e))?;
    Ok(cursor.into_inner())
}

/// `t` alone as a `.docx` package ([`table_xml`] in [`document`]).
pub fn table_docx(t: &Table) -> Result<Vec<u8>> {
    document(&table_xml(t), &[])
}

/// A report ([`super::html_report::Report`]) as a `.docx` package: the title (`# `) and
/// headings (`## `, `### `) as Heading1, Heading2, … paragraphs ([`heading_xml`]), text lines as paragraphs (Markdown markers
/// removed), tables as [`table_xml`], figures as pictures ([`image_xml`]; the PNG file, not
/// the SVG) with their caption in italics under them, and the spec line by line in 9 pt under
/// "Specification".
pub fn report_docx(r: &super::html_report::Report) -> Result<Vec<u8>> {
    use super::html_report::{heading, plain_markdown, read_figure, ReportItem};
    let mut body = String::new();
    let mut images = Vec::new();
    for it in &r.items {
        match it {
            ReportItem::Text(line) => match heading(line) {
                Some((level, t)) => body += &heading_xml(&plain_markdown(t), level),
                None if line.trim().is_empty() => {}
                None => body += &paragraph_xml(&plain_markdown(line.trim()), false, None, Align::Left, false),
            },
            ReportItem::Table(t) => {
                body += &paragraph_xml("", false, None, Align::Left, true);
                body += &table_xml(t);
            }
            ReportItem::Figure { path, caption, .. } => {
                let png = read_figure(&r.base_dir, path)?;
                let (w, h) = png_size(&png).ok_or_else(|| {
                    Error::invalid(format!(
                        "report: the figure {path} is not a PNG; a Word report embeds the .png version of each figure"
                    ))
                })?;
                images.push(png);
                body += &image_xml(images.len(), w, h);
                body += &format!(
                    "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:rPr><w:i/><w:sz w:val=\"20\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                    xml_escape(&plain_markdown(caption))
                );
            }
        }
    }
    if let Some(spec) = &r.spec {
        body += &heading_xml("Specification", 2);
        for line in spec.lines() {
            body += &paragraph_xml(line, false, Some(18), Align::Left, false);
        }
    }
    document(&body, &images)
}
