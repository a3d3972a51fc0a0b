//! A study report as one self-contained HTML page: the report is an ordered list of
//! [`ReportItem`]s (Markdown-like text lines, tables, figures), the same list a script turns
//! into `report.md`. Headings (`## `, `### `) become sections with anchors and a table of
//! contents; tables are [`super::html::table_fragment`]s of the result tables themselves (not
//! converted Markdown); figures are embedded as `data:` URIs (SVG or PNG), so the page refers to
//! no other file; the spec that produced the report closes the page, pretty-printed.

use super::html::{escape, page_with_style, table_fragment};
use super::table::Table;
use crate::error::{Error, Result};
use std::path::Path;

/// One element of a report, in reading order.
#[derive(Debug, Clone)]
pub enum ReportItem {
    /// A Markdown-like line: `# ` the title, `## ` a section, `### ` a subsection, an empty
    /// line nothing, anything else a paragraph (`**bold**` and `` `code` `` kept).
    Text(String),
    /// A result table.
    Table(Table),
    /// A figure: `path` (PNG, for Word and Markdown) relative to the report's folder or
    /// absolute, an optional `svg` version (preferred in HTML), and its caption.
    Figure {
        /// The PNG (or other raster) file.
        path: String,
        /// An SVG version of the same figure, if any.
        svg: Option<String>,
        /// The caption (the Markdown image's alt text).
        caption: String,
    },
}

/// A report: its items, the folder relative figure paths are read from, and the spec text
/// (e.g. pretty-printed JSON) shown at its end.
#[derive(Debug, Clone)]
pub struct Report {
    /// The items in reading order.
    pub items: Vec<ReportItem>,
    /// The folder relative figure paths are resolved against.
    pub base_dir: std::path::PathBuf,
    /// The spec that produced the report (shown verbatim in a `<pre>` block), if any.
    pub spec: Option<String>,
}

/// The heading level and text of a line (`# `: 1, `## `: 2, `### `: 3), or None.
pub fn heading(line: &str) -> Option<(usize, &str)> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
        Some((hashes, line[hashes..].trim()))
    } else {
        None
    }
}

/// The report's title: its first `# ` line, else `fallback`.
pub fn report_title<'a>(items: &'a [ReportItem], fallback: &'a str) -> &'a str {
    items
        .iter()
        .find_map(|it| match it {
            ReportItem::Text(s) => heading(s).filter(|(l, _)| *l == 1).map(|(_, t)| t),
            _ => None,
        })
        .unwrap_or(fallback)
}

/// `text` escaped for HTML with Markdown code spans (`` `x` ``) as `<code>` and strong
/// emphasis (`**x**`, opened before and closed after a non-space) as `<strong>`; every other
/// character, single `*` included (as in "*** p<0.01"), is kept as text.
pub fn inline_markdown(text: &str) -> String {
    render_inline(
        text,
        &|c| format!("<code>{}</code>", escape(c)),
        &|b| format!("<strong>{}</strong>", escape(b)),
        &escape,
    )
}

/// `text` without its Markdown code-span and strong-emphasis markers (as [`inline_markdown`]
/// reads them), for plain-text output such as Word paragraphs.
pub fn plain_markdown(text: &str) -> String {
    let same = |s: &str| s.to_string();
    render_inline(text, &same, &same, &same)
}

/// `text` with its code spans through `code`, its strong spans through `strong` and every
/// other piece through `plain` (see [`inline_markdown`] for the rules).
fn render_inline(
    text: &str,
    code: &dyn Fn(&str) -> String,
    strong: &dyn Fn(&str) -> String,
    plain: &dyn Fn(&str) -> String,
) -> String {
    let paired = text.matches('`').count() % 2 == 0;
    let mut out = String::new();
    for (k, part) in text.split('`').enumerate() {
        // odd parts are code spans when the backticks pair up
        if k % 2 == 1 && paired {
            out += &code(part);
        } else {
            if k % 2 == 1 {
                out += &plain("`");
            }
            out += &strong_spans(part, strong, plain);
        }
    }
    out
}

/// `s` with `**x**` through `strong` (x starting and ending with a non-space) and the rest
/// through `plain`.
fn strong_spans(s: &str, strong: &dyn Fn(&str) -> String, plain: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("**") {
        let after = &rest[i + 2..];
        let opens = after.chars().next().is_some_and(|c| !c.is_whitespace() && c != '*');
        let close = if opens {
            after
                .match_indices("**")
                .map(|(j, _)| j)
                .find(|&j| j > 0 && !after[..j].ends_with(char::is_whitespace))
        } else {
            None
        };
        match close {
            Some(j) => {
                out += &plain(&rest[..i]);
                out += &strong(&after[..j]);
                rest = &after[j + 2..];
            }
            None => {
                out += &plain(&rest[..i + 2]);
                rest = after;
            }
        }
    }
    out += &plain(rest);
    out
}

/// Base64 (RFC 4648, with padding) of `bytes`, for `data:` URIs.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of figure file `path` (relative to `base`), with an error naming it.
pub fn read_figure(base: &Path, path: &str) -> Result<Vec<u8>> {
    let full = base.join(path);
    std::fs::read(&full).map_err(|e| {
        Error::invalid(format!(
            "report: cannot read the figure {}: {e} (draw it before writing the report)",
            full.display()
        ))
    })
}

/// The style of the report page, besides [`super::html::TABLE_CSS`].
const REPORT_CSS: &str = "\
body { max-width: 75em; margin: 2em auto; padding: 0 1em; font-family: Georgia, 'Times New Roman', serif; line-height: 1.45; color: #111; }
h1 { font-size: 1.7em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.5em; }
nav.spillover-toc { background: #f6f6f6; padding: 0.6em 1.2em; border: 1px solid #ddd; }
nav.spillover-toc ul { margin: 0.2em 0; padding-left: 1.2em; }
figure.spillover-figure { margin: 1.5em 0; text-align: center; }
figure.spillover-figure img { max-width: 100%; height: auto; }
figure.spillover-figure figcaption { font-style: italic; font-size: 0.9em; }
pre.spillover-spec { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
code { background: #f0f0f0; padding: 0 0.2em; }
.spillover-table { overflow-x: auto; }
";

/// The report as one HTML page: the title (first `# ` line) as `<h1>`, a table of contents
/// linking every `##`/`###` heading by its `id`, the items in order (paragraphs, tables as
/// [`table_fragment`], figures as `<img src="data:...">` — the SVG version when given, else
/// the file itself), and the spec in a `<pre>` block under "Specification". Nothing in it refers
/// to another file.
pub fn report_html(r: &Report) -> Result<String> {
    let title = report_title(&r.items, "Report").to_string();
    let mut toc = String::new();
    let mut body = String::new();
    let mut open_sub = false;
    let mut n_sec = 0usize;
    let mut n_sub = 0usize;
    for it in &r.items {
        match it {
            ReportItem::Text(line) => match heading(line) {
                Some((1, t)) => body += &format!("<h1>{}</h1>\n", inline_markdown(t)),
                Some((level, t)) => {
                    let id = if level == 2 {
                        n_sec += 1;
                        n_sub = 0;
                        format!("sec-{n_sec}")
                    } else {
                        n_sub += 1;
                        format!("sec-{n_sec}-{n_sub}")
                    };
                    let h = level.min(4);
                    body += &format!("<h{h} id=\"{id}\">{}</h{h}>\n", inline_markdown(t));
                    let entry = format!("<li><a href=\"#{id}\">{}</a>", inline_markdown(t));
                    if level == 2 {
                        if open_sub {
                            toc += "</ul>";
                            open_sub = false;
                        }
                        toc += &format!("</li>\n{entry}");
                    } else {
                        if !open_sub {
                            toc += "<ul>";
                            open_sub = true;
                        }
                        toc += &format!("{entry}</li>");
                    }
                }
                None if line.trim().is_empty() => {}
                None => body += &format!("<p>{}</p>\n", inline_markdown(line.trim())),
            },
            ReportItem::Table(t) => body += &table_fragment(t),
            ReportItem::Figure { path, svg, caption } => {
                let (file, mime) = match svg {
                    Some(s) => (s.as_str(), "image/svg+xml"),
                    None => (path.as_str(), mime_of(path)?),
                };
                let bytes = read_figure(&r.base_dir, file)?;
                body += &format!(
                    "<figure class=\"spillover-figure\"><img src=\"data:{mime};base64,{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>\n",
                    base64(&bytes),
                    escape(caption),
                    inline_markdown(caption)
                );
            }
        }
    }
    if open_sub {
        toc += "</ul>";
    }
    let mut spec_entry = String::new();
    if let Some(spec) = &r.spec {
        spec_entry = "</li>\n<li><a href=\"#spec\">Specification</a>".into();
        body += &format!(
            "<h2 id=\"spec\">Specification</h2>\n<p>The spec this report was produced from:</p>\n<pre class=\"spillover-spec\">{}</pre>\n",
            escape(spec)
        );
    }
    let entries = format!("{toc}{spec_entry}");
    let toc = if entries.is_empty() {
        String::new()
    } else {
        format!(
            "<nav class=\"spillover-toc\"><strong>Contents</strong>\n<ul>{}</li>\n</ul></nav>\n",
            entries.trim_start_matches("</li>\n")
        )
    };
    // the title stays first, the contents right under it
    let body = match body.find("</h1>\n") {
        Some(i) if body.starts_with("<h1>") => format!("{}{toc}{}", &body[..i + 6], &body[i + 6..]),
        _ => format!("{toc}{body}"),
    };
    Ok(page_with_style(&title, REPORT_CSS, &body))
}

/// The MIME type of a raster figure by extension (PNG, JPEG, GIF, SVG).
fn mime_of(path: &str) -> Result<&'static str> {
    match crate::io::extension(path).as_str() {
        "png" => Ok("image/png"),
        "jpg" | "jpeg" => Ok("image/jpeg"),
        "gif" => Ok("image/gif"),
        "svg" => Ok("image/svg+xml"),
        e => Err(Error::invalid(format!(
            "report: cannot embed the figure {path} (.{e}); figures are .png, .jpg, .gif or .svg"
        ))),
    }
}
