//! A [`Table`]: titled rows of cells, printed with aligned columns and exported by format.

use crate::error::{Error, Result};
pub use crate::io::extension;
use serde_json::Value;

/// One cell of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A number, printed with `digits` significant decimals by the renderer.
    Num(f64),
    /// An integer count.
    Int(i64),
    /// A test statistic, z or p-value: printed like [`Cell::Num`], but as [`UNDEFINED`] when
    /// it is NaN or infinite (an empty field in CSV, `null` in JSON).
    Stat(f64),
    /// A p-value: printed as journals print it ([`fmt_p`]: three decimals, `0.000` rather than
    /// `1.79e-149`, or `< 0.001` under [`PFormat::Below`]), as [`UNDEFINED`] when NaN or
    /// infinite; full precision in CSV, JSON and the long sheet of a workbook.
    P(f64),
    /// Text (already formatted values such as "0.512*** (4.2)").
    Text(String),
    /// Nothing.
    Empty,
}

impl Cell {
    fn render(&self, decimals: usize, p_format: PFormat) -> String {
        match self {
            Cell::Num(v) => fmt_num(*v, decimals),
            Cell::Stat(v) => fmt_stat(*v, decimals),
            Cell::P(v) => fmt_p(*v, p_format),
            Cell::Int(i) => i.to_string(),
            Cell::Text(s) => s.clone(),
            Cell::Empty => String::new(),
        }
    }
}

/// A cell as JSON: a number (NaN and infinities as `null`, serde_json's rule), an integer, a
/// string, or `null` when empty.
impl serde::Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Cell::Num(v) | Cell::Stat(v) | Cell::P(v) => s.serialize_f64(*v),
            Cell::Int(i) => s.serialize_i64(*i),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Empty => s.serialize_unit(),
        }
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Num(v)
    }
}
impl From<usize> for Cell {
    fn from(v: usize) -> Self {
        Cell::Int(v as i64)
    }
}
impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.to_string())
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}

/// `value` (a JSON object) with the field `"kind": kind` added, as every result's JSON form has
/// (API.md "JSON"); any other value is returned as it is.
pub fn with_kind(mut value: Value, kind: &str) -> Value {
    if let Value::Object(m) = &mut value {
        m.insert("kind".into(), Value::String(kind.into()));
    }
    value
}

/// What an undefined statistic (a NaN or infinite z, p or test statistic) prints as in every
/// table: an en dash, never with stars. CSV writes an empty field instead; LaTeX writes `--`.
pub const UNDEFINED: &str = "–";

/// The generic note of a table that shows [`UNDEFINED`].
const UNDEFINED_GENERIC: &str = "z or p undefined (NaN or infinite), so no stars";

/// A z, p or test statistic as text: [`fmt_num`], or [`UNDEFINED`] when NaN or infinite.
pub fn fmt_stat(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        fmt_num(v, decimals)
    } else {
        UNDEFINED.to_string()
    }
}

/// Significance stars of a test with statistic `z` and p-value `p` (`***` p < 0.01, `**`
/// p < 0.05, `*` p < 0.1), or none when z or p is undefined (NaN or infinite): an undefined
/// statistic never gets stars. The one star rule of every table.
pub fn stars_for(z: f64, p: f64) -> &'static str {
    if z.is_finite() && p.is_finite() {
        crate::stats::stars(p)
    } else {
        ""
    }
}

/// The cells of a test's z (or statistic) and p: a [`Cell::Stat`] and a [`Cell::P`], with p
/// undefined too when z is (an infinite z from a zero variance gives p = 0, which is not a
/// result).
pub fn stat_cells(z: f64, p: f64) -> [Cell; 2] {
    [Cell::Stat(z), Cell::P(if z.is_finite() { p } else { f64::NAN })]
}

/// How tables print p-values ([`fmt_p`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PFormat {
    /// Three decimals: `0.000`, `0.042`, `1.000` (the default).
    #[default]
    Fixed,
    /// Three decimals, and `< 0.001` below 0.001 (APA style).
    Below,
}

/// Decimals of a printed p-value.
pub const P_DECIMALS: usize = 3;

/// A p-value as journals print it: [`P_DECIMALS`] fixed decimals (`0.000`, never scientific
/// notation such as `1.79e-149`), `< 0.001` below 0.001 under [`PFormat::Below`], and
/// [`UNDEFINED`] when NaN or infinite. Rounding noise outside [0, 1] is clamped.
pub fn fmt_p(p: f64, format: PFormat) -> String {
    if !p.is_finite() {
        return UNDEFINED.to_string();
    }
    let floor = 10f64.powi(-(P_DECIMALS as i32));
    if format == PFormat::Below && p < floor {
        return format!("< {floor:.P_DECIMALS$}");
    }
    format!("{:.P_DECIMALS$}", p.clamp(0.0, 1.0))
}

/// Fixed decimals for moderate magnitudes, scientific otherwise; "." for NaN.
pub fn fmt_num(v: f64, decimals: usize) -> String {
    if v.is_nan() {
        return ".".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && (a >= 1e7 || a < 10f64.powi(-(decimals as i32))) {
        format!("{v:.*e}", decimals.saturating_sub(1).max(2))
    } else {
        format!("{v:.decimals$}")
    }
}

/// A titled table of cells with optional notes under it.
///
/// Serialises as `{title, columns, rows, notes}` (rows as arrays of cells); `decimals` only
/// shapes the printed forms.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Table {
    /// Title printed above the table.
    pub title: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
    /// Lines printed under the table (conventions, legends).
    pub notes: Vec<String>,
    /// Decimals for numbers (default 4).
    #[serde(skip)]
    pub decimals: usize,
    /// How p-values ([`Cell::P`]) print.
    #[serde(skip)]
    pub p_format: PFormat,
}

impl Table {
    /// An empty table with a title and columns.
    pub fn new(title: impl Into<String>, columns: Vec<String>) -> Table {
        Table {
            title: title.into(),
            columns,
            rows: Vec::new(),
            notes: Vec::new(),
            decimals: 4,
            p_format: PFormat::Fixed,
        }
    }

    /// Appends a row (padded or cut to the column count).
    pub fn push(&mut self, mut row: Vec<Cell>) {
        row.resize(self.columns.len(), Cell::Empty);
        self.rows.push(row);
    }

    /// Adds a note line.
    pub fn note(&mut self, s: impl Into<String>) {
        self.notes.push(s.into());
    }

    /// Adds (once) the note explaining [`UNDEFINED`] with the reason `why`, e.g. "undefined
    /// (the variance of I is zero under this W)". Renderers add a generic one to a table that
    /// shows [`UNDEFINED`] without it.
    pub fn note_undefined(&mut self, why: &str) {
        if !self.notes.iter().any(|n| n.starts_with(UNDEFINED)) {
            self.notes.push(format!("{UNDEFINED} : {why}"));
        }
    }

    /// The notes as rendered: with the generic [`UNDEFINED`] note when a cell shows the marker
    /// and no note explains it.
    pub fn rendered_notes(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        let shows = self.rows.iter().flatten().any(|c| match c {
            Cell::Stat(v) | Cell::P(v) => !v.is_finite(),
            Cell::Text(s) => s.contains(UNDEFINED),
            _ => false,
        });
        if shows && !notes.iter().any(|n| n.starts_with(UNDEFINED)) {
            notes.push(format!("{UNDEFINED} : {UNDEFINED_GENERIC}"));
        }
        notes
    }

    /// Every cell as printed (the text every format but CSV and JSON shows).
    pub fn cells(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|r| r.iter().map(|c| self.render_cell(c)).collect())
            .collect()
    }

    /// One cell as printed with this table's decimals and p-value format.
    pub fn render_cell(&self, c: &Cell) -> String {
        c.render(self.decimals, self.p_format)
    }

    /// Plain text with aligned columns: first column left, the others right-aligned.
    pub fn to_text(&self) -> String {
        let cells = self.cells();
        let k = self.columns.len();
        let mut width: Vec<usize> = self.columns.iter().map(|c| display_width(c)).collect();
        for r in &cells {
            for (j, c) in r.iter().enumerate().take(k) {
                width[j] = width[j].max(display_width(c));
            }
        }
        let total: usize = width.iter().sum::<usize>() + 2 * k.saturating_sub(1);
        let rule = "-".repeat(total);
        let line = |r: &[String]| -> String {
            r.iter()
                .enumerate()
                .map(|(j, c)| {
                    let pad = width[j].saturating_sub(display_width(c));
                    if j == 0 {
                        format!("{c}{}", " ".repeat(pad))
                    } else {
                        format!("{}{c}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = String::new();
        if !self.title.is_empty() {
            out += &format!("{}\n", self.title);
        }
        out += &format!("{rule}\n{}\n{rule}\n", line(&self.columns));
        for r in &cells {
            out += &line(r);
            out.push('\n');
        }
        out += &rule;
        out.push('\n');
        for n in &self.rendered_notes() {
            out += &format!("{n}\n");
        }
        out
    }

    /// GitHub-flavoured Markdown.
    pub fn to_markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = String::new();
        if !self.title.is_empty() {
            out += &format!("**{}**\n\n", esc(&self.title));
        }
        out += &format!(
            "| {} |\n",
            self.columns.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
        );
        out += &format!(
            "|{}|\n",
            (0..self.columns.len())
                .map(|j| if j == 0 { ":---" } else { "---:" })
                .collect::<Vec<_>>()
                .join("|")
        );
        for r in self.cells() {
            out += &format!("| {} |\n", r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | "));
        }
        let notes = self.rendered_notes();
        if !notes.is_empty() {
            out.push('\n');
            for n in &notes {
                out += &format!("{}  \n", esc(n));
            }
        }
        out
    }

    /// CSV with a header row; numbers at full precision. NaN or infinite numbers and undefined
    /// statistics ([`UNDEFINED`]) are empty fields (as missing values are), never "inf".
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| Error::invalid(format!("csv: {e}"));
        w.write_record(&self.columns).map_err(io)?;
        for r in &self.rows {
            let rec: Vec<String> = r
                .iter()
                .map(|c| match c {
                    // Shortest round-trip form; scientific for tiny or huge values.
                    Cell::Num(v) | Cell::Stat(v) | Cell::P(v) if v.is_finite() => format!("{v:?}"),
                    Cell::Num(_) | Cell::Stat(_) | Cell::P(_) => String::new(),
                    Cell::Text(s) if s == UNDEFINED => String::new(),
                    other => self.render_cell(other),
                })
                .collect();
            w.write_record(&rec).map_err(io)?;
        }
        let bytes = w.into_inner().map_err(|e| Error::invalid(format!("csv: {e}")))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The row whose first cell is the text `name`, or the label of the test `name`
    /// ([`super::labels::test_label`]: `lm_lag` finds the row "LM lag"); an error lists the
    /// rows' names.
    pub fn row_named(&self, name: &str) -> Result<&[Cell]> {
        let label = super::labels::label_or_name(name);
        let first = |r: &Vec<Cell>| match r.first() {
            Some(Cell::Text(s)) => Some(s.clone()),
            _ => None,
        };
        self.rows
            .iter()
            .find(|r| first(r).as_deref() == Some(name))
            .or_else(|| self.rows.iter().find(|r| first(r).as_deref() == Some(label.as_str())))
            .map(Vec::as_slice)
            .ok_or_else(|| {
                let names: Vec<String> = self.rows.iter().filter_map(first).collect();
                Error::invalid(format!("no row '{name}'; rows: {}", names.join(", ")))
            })
    }

    /// `#{kind: "table", title, columns, rows, notes}` as JSON: its [`serde::Serialize`] form
    /// with its `kind`.
    pub fn to_json_value(&self) -> Value {
        with_kind(serde_json::to_value(self).unwrap_or(Value::Null), "table")
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Terminal width of a string in columns (East Asian wide characters count two, combining
/// marks none), by the `unicode-width` crate.
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_all_formats() {
        let mut t = Table::new("T", vec!["var".into(), "mean".into()]);
        t.push(vec!["x_1".into(), 1.5.into()]);
        t.push(vec!["长三角".into(), f64::NAN.into()]);
        assert!(t.to_text().contains("1.5000"));
        assert!(t.to_markdown().contains("| x_1 | 1.5000 |"));
        assert!(t.to_csv().unwrap().contains("x_1,1.5\n"));
        assert_eq!(t.to_json_value()["rows"][1][1], Value::Null);
    }

    #[test]
    fn p_values_print_as_journals_print_them() {
        assert_eq!(fmt_p(1.79e-149, PFormat::Fixed), "0.000");
        assert_eq!(fmt_p(1.79e-149, PFormat::Below), "< 0.001");
        assert_eq!(fmt_p(0.0421, PFormat::Below), "0.042");
        assert_eq!(fmt_p(1.0 + 1e-12, PFormat::Fixed), "1.000");
        assert_eq!(fmt_p(f64::NAN, PFormat::Fixed), UNDEFINED);
    }
}
