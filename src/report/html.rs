//! HTML output of a [`Table`]: a fragment that is safe to paste into any page (every element
//! carries a `spillover-` class, no global style, no script, every text escaped) and a full
//! page around one or more fragments with a small style sheet scoped to those classes. A
//! report writer calls [`table_fragment`] per table and [`page`] once.

use super::table::Table;

/// The style sheet of [`page`]: booktabs-like rules, numbers right-aligned, notes small. Every
/// selector is scoped to the `spillover-` classes of [`table_fragment`].
pub const TABLE_CSS: &str = "\
.spillover-table { margin: 1.5em 0; font-family: 'Times New Roman', serif; }
.spillover-table table { border-collapse: collapse; }
.spillover-table caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 0.4em; }
.spillover-table thead tr { border-top: 2px solid #000; border-bottom: 1px solid #000; }
.spillover-table tbody tr:last-child { border-bottom: 2px solid #000; }
.spillover-table th, .spillover-table td { padding: 0.15em 0.8em; }
.spillover-table .spillover-label { text-align: left; font-weight: normal; }
.spillover-table .spillover-value { text-align: right; white-space: nowrap; }
.spillover-table .spillover-note { font-size: 0.85em; margin: 0.2em 0; }
";

/// `s` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `t` as an HTML fragment: `<div class="spillover-table">` holding a `<table>` (the title as
/// its `<caption>`, the header in `<thead>`, one `<tr>` per row with as many cells as columns,
/// the first a `<th scope="row">` label) and the notes as `<p class="spillover-note">` under
/// it. Cells show the printed text of every format (p-values as journals print them).
pub fn table_fragment(t: &Table) -> String {
    let mut out = String::from("<div class=\"spillover-table\">\n<table>\n");
    if !t.title.is_empty() {
        out += &format!("<caption>{}</caption>\n", escape(&t.title));
    }
    out += "<thead>\n<tr>";
    for (j, c) in t.columns.iter().enumerate() {
        let class = if j == 0 { "spillover-label" } else { "spillover-value" };
        out += &format!("<th scope=\"col\" class=\"{class}\">{}</th>", escape(c));
    }
    out += "</tr>\n</thead>\n<tbody>\n";
    for row in t.cells() {
        out += "<tr>";
        for (j, c) in row.iter().enumerate() {
            if j == 0 {
                out += &format!("<th scope=\"row\" class=\"spillover-label\">{}</th>", escape(c));
            } else {
                out += &format!("<td class=\"spillover-value\">{}</td>", escape(c));
            }
        }
        out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
    for n in t.rendered_notes() {
        out += &format!("<p class=\"spillover-note\">{}</p>\n", escape(&n));
    }
    out += "</div>\n";
    out
}

/// A complete HTML5 page titled `title` (UTF-8, [`TABLE_CSS`] inline, nothing loaded from
/// elsewhere) whose body is `body`, e.g. one or more [`table_fragment`]s.
pub fn page(title: &str, body: &str) -> String {
    page_with_style(if title.is_empty() { "Table" } else { title }, "", body)
}

/// [`page`] with the style sheet `css` after [`TABLE_CSS`] (e.g. a report's own rules).
pub fn page_with_style(title: &str, css: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n{TABLE_CSS}{css}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}
