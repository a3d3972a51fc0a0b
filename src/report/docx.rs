//! Word (`.docx`) output of a [`Table`], written as Office Open XML (ECMA-376) with the `zip`
//! crate: the package holds `[Content_Types].xml`, `_rels/.rels` and `word/document.xml`, the
//! least a word processor needs. The table is a real Word table (one `w:tc` per cell) with the
//! title as a bold paragraph above it, booktabs-like rules (top, under the header, bottom), the
//! first column left- and the others right-aligned, and the notes in 9 pt under it.
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

/// `t` as WordprocessingML body content: its title as a bold paragraph, the table (header row
/// repeated on each page, a rule above and below the header and under the last row), and each
/// note as a 9 pt paragraph under it, followed by an empty paragraph. Cells show the printed
/// text of every format.
pub fn table_xml(t: &Table) -> String {
    let k = t.columns.len().max(1);
    let mut out = String::new();
    if !t.title.is_empty() {
        out += &paragraph_xml(&t.title, true, None, Align::Left, true);
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

/// The `.docx` package (zip bytes) of a document whose body is `body_xml` (paragraphs and
/// tables, e.g. from [`table_xml`]), on A4 paper with 2.5 cm margins.
pub fn document(body_xml: &str) -> Result<Vec<u8>> {
    const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
</Types>";
    const RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
</Relationships>";
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"{W_NS}\"><w:body>{body_xml}\
<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1418\" w:right=\"1418\" w:bottom=\"1418\" w:left=\"1418\" \
w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    let fail = |e: &dyn std::fmt::Display| Error::invalid(format!("cannot build the .docx package: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/document.xml", doc.as_str()),
    ] {
        zip.start_file(name, opts).map_err(|e| fail(&e))?;
        zip.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    }
    let cursor = zip.finish().map_err(|e| fail(&e))?;
    Ok(cursor.into_inner())
}

/// `t` alone as a `.docx` package ([`table_xml`] in [`document`]).
pub fn table_docx(t: &Table) -> Result<Vec<u8>> {
    document(&table_xml(t))
}
