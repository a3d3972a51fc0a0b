//! `save_report(path, items, opts)`: a whole report (text lines, result tables, figures) as one
//! self-contained file by extension ([`crate::report::html_report`]). It names the result
//! types whose table form goes into a report, so it sits above the area files.

use super::convert::STable;
use super::effects::SEffects;
use super::esda::{SGeary, SMoran, SMoranTable};
use super::export::Exportable;
use super::json::dynamic_json;
use super::models::{SModel, STest};
use super::options::Opts;
use super::{script_err, RResult};
use crate::report::html_report::{Report, ReportItem};
use crate::report::save::save_report as write_report;
use rhai::plugin::*;
use rhai::Dynamic;

/// The report item of a script value: a string is a text line, a map `#{figure, svg, caption}`
/// a figure, a result with a table form (Table, MoranTable, Effects, Model, Test, Moran, Geary)
/// its table.
fn report_item(d: &Dynamic, k: usize) -> RResult<ReportItem> {
    macro_rules! tables {
        ($($t:ty),* $(,)?) => {
            $(if let Some(x) = d.clone().try_cast::<$t>() {
                if let Some(t) = x.table() {
                    return Ok(ReportItem::Table(t));
                }
            })*
        };
    }
    tables!(STable, SMoranTable, SEffects, SModel, STest, SMoran, SGeary);
    if let Ok(s) = d.clone().into_immutable_string() {
        return Ok(ReportItem::Text(s.to_string()));
    }
    if d.is_map() {
        let m = d.clone().cast::<rhai::Map>();
        let o = Opts::new(&m, "save_report", &["figure", "svg", "caption"])?;
        if let Some(path) = o.str("figure")? {
            return Ok(ReportItem::Figure {
                path,
                svg: o.str("svg")?,
                caption: o.str("caption")?.unwrap_or_default(),
            });
        }
    }
    Err(script_err(format!(
        "save_report: item {k} is a {} ({d}); items are text lines (strings), result tables (Table, MoranTable, Effects, ...) or figures #{{figure: \"fig.png\", svg: \"fig.svg\", caption: \"...\"}}",
        d.type_name()
    )))
}

/// The [`Report`] of `items` written to `path` (figures relative to `path`'s folder), with the
/// spec of `opts.spec` pretty-printed as JSON.
fn build_report(path: &str, items: &rhai::Array, opts: &rhai::Map) -> RResult<Report> {
    Opts::new(opts, "save_report", &["spec"])?;
    let items = items
        .iter()
        .enumerate()
        .map(|(k, d)| report_item(d, k))
        .collect::<RResult<Vec<_>>>()?;
    let spec = match opts.get("spec").filter(|v| !v.is_unit()) {
        Some(v) => Some(serde_json::to_string_pretty(&dynamic_json(v, "save_report")?).map_err(script_err)?),
        None => None,
    };
    let base_dir = std::path::Path::new(path)
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    Ok(Report { items, base_dir, spec })
}

rhai::def_package! {
    /// `save_report`: a report as one self-contained `.html` or `.docx` file.
    pub ReportPackage(lib) {
        rhai::combine_with_exported_module!(lib, "report", report_fns);
    }
}

/// Whole reports.
#[export_module(root = "crate::script::guarded")]
pub mod report_fns {
    use super::*;

    /// Writes a report to `path` (`.html` or `.docx`), atomically: `items` in reading order are text lines
    /// (`"# Title"`, `"## Section"`, `"### Subsection"`, paragraphs with `**bold**` and
    /// `` `code` ``), result tables (Table, MoranTable, Effects, ...; rendered from the table
    /// itself) and figures `#{figure: "fig.png", svg: "fig.svg", caption}` (paths relative to
    /// the report's folder). The `.html` page is self-contained: a table of contents linking
    /// every section, tables as HTML, figures embedded as `data:` URIs (the SVG when given),
    /// and `opts.spec` (any map, e.g. the study's spec) pretty-printed at the end. The `.docx`
    /// has the same items as Word paragraphs, Word tables and pictures (the PNG of each figure).
    /// ```rhai
    /// make_dir("out");
    /// let t = table("Table 1. Demo", ["name", "value"], [["a", 1.5]]);
    /// save_report("out/report.html", ["# Demo", "## Results", "Reading: **one** row.", t], #{spec: #{data: "x.csv"}});
    /// ```
    #[rhai_fn(name = "save_report", return_raw)]
    pub fn save_report(path: &str, items: rhai::Array, opts: rhai::Map) -> RResult<()> {
        let r = build_report(path, &items, &opts)?;
        write_report(&r, path).map_err(|e| script_err(format!("save_report: {e}")))
    }

    /// `save_report(path, items, #{})`.
    /// ```rhai
    /// make_dir("out");
    /// save_report("out/notes.html", ["# Notes", "Nothing yet."]);
    /// ```
    #[rhai_fn(name = "save_report", return_raw)]
    pub fn save_report_plain(path: &str, items: rhai::Array) -> RResult<()> {
        save_report(path, items, rhai::Map::new())
    }
}
