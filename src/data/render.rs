//! Frames and panels as report tables, previews and JSON (API.md "JSON"), and the descriptive
//! statistics table.

use super::{vector, Column, Frame, Panel};
use crate::error::Result;
use crate::report::{Cell, Table};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// Stata's `summarize` of the numeric columns `names` of `f`: Variable, Obs, Mean, Std. dev.
/// (n − 1 divisor), Min, Max over the non-missing values ([`vector::describe`]). A column that
/// is missing or not numeric is an error naming it.
pub fn describe(f: &Frame, names: &[String]) -> Result<Table> {
    let mut t = Table::new(
        "Descriptive statistics",
        ["Variable", "Obs", "Mean", "Std. dev.", "Min", "Max"]
            .map(String::from)
            .to_vec(),
    );
    for n in names {
        let (obs, m, s, lo, hi) = vector::describe(f.numeric(n)?);
        t.push(vec![
            n.clone().into(),
            Cell::Int(obs as i64),
            m.into(),
            s.into(),
            lo.into(),
            hi.into(),
        ]);
    }
    t.note("Std. dev. uses the n − 1 divisor; missing values (NaN) are excluded.");
    Ok(t)
}

impl Frame {
    /// All rows as a table titled `title`. Numbers keep the text they were written with in the
    /// file when it was kept (ids such as `001` or `12345678901234567`, see
    /// [`Frame::written_text`]); integral numbers print without a decimal point.
    pub fn to_table(&self, title: &str) -> Table {
        let mut t = Table::new(title, self.names().to_vec());
        let cols: Vec<(&Column, Option<&[String]>)> = self
            .names()
            .iter()
            .filter_map(|n| self.column(n).ok().map(|c| (c, self.written_text(n))))
            .collect();
        for i in 0..self.nrows() {
            t.push(
                cols.iter()
                    .map(|(c, text)| match c {
                        Column::Num(v) if v[i].is_nan() => Cell::Num(v[i]),
                        Column::Num(_) if text.is_some() => Cell::Text(text.map_or("", |t| t[i].trim()).to_string()),
                        Column::Num(v) if v[i].fract() == 0.0 && v[i].abs() < 1e15 => Cell::Int(v[i] as i64),
                        Column::Num(v) => Cell::Num(v[i]),
                        Column::Text(v) => Cell::Text(v[i].clone()),
                    })
                    .collect(),
            );
        }
        t.decimals = 6;
        t
    }

    /// A short preview under the heading `head`: every row up to 12, else the first 6 and the
    /// last 5 around a row of "...".
    pub fn preview(&self, head: &str) -> String {
        let n = self.nrows();
        let mut t = self.to_table(head);
        t.decimals = 4;
        if n > 12 {
            let mut rows = t.rows[..6].to_vec();
            rows.push(vec![Cell::Text("...".into()); t.columns.len()]);
            rows.extend_from_slice(&t.rows[n - 5..]);
            t.rows = rows;
        }
        t.to_text()
    }

    /// The preview that `print` shows: "Frame: R rows × C columns" and [`Frame::preview`].
    pub fn summary_text(&self) -> String {
        self.preview(&format!(
            "Frame: {} rows × {} columns",
            self.nrows(),
            self.names().len()
        ))
    }
}

impl Panel {
    /// The preview that `print` shows: N, T, the periods, the number of variables and the rows
    /// ([`Frame::preview`]).
    pub fn summary_text(&self) -> String {
        self.frame().preview(&format!(
            "Panel: N = {} units ({}) × T = {} periods ({}, {}–{}), {} variables",
            self.n(),
            self.id_name(),
            self.t(),
            self.time_name(),
            self.times().first().map_or("", String::as_str),
            self.times().last().map_or("", String::as_str),
            self.frame().names().len()
        ))
    }
}

/// True when `s` is a plain decimal (`-12`, `3.50`) that a JSON number written from its double
/// shows with the same digits (no leading zeros, no exponent, at most 15 digits).
fn json_faithful(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = d.split_once('.').unwrap_or((d, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'))
        && int.len() + frac.len() <= 15
}

/// One column's values: numbers (NaN as `null`), except that a number whose written text a
/// JSON number would change (`001`, `12E4`, `12345678901234567`) is written as that text.
struct ColumnJson<'a>(&'a Frame, &'a str);

impl Serialize for ColumnJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let ColumnJson(f, name) = *self;
        match f.column(name) {
            Ok(Column::Num(v)) => {
                let text = f.written_text(name);
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for (i, x) in v.iter().enumerate() {
                    match text.map(|t| t[i].trim()) {
                        Some(t) if !x.is_nan() && !json_faithful(t) => seq.serialize_element(t)?,
                        _ => seq.serialize_element(x)?,
                    }
                }
                seq.end()
            }
            Ok(Column::Text(v)) => v.serialize(s),
            Err(_) => s.serialize_unit(),
        }
    }
}

/// The columns as a map name → values.
struct ColumnsJson<'a>(&'a Frame);

impl Serialize for ColumnsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.names().iter().map(|n| (n, ColumnJson(self.0, n))))
    }
}

/// Writes the entries `names`, `nrows`, `columns` of a frame into a JSON map.
fn frame_entries<M: SerializeMap>(f: &Frame, m: &mut M) -> std::result::Result<(), M::Error> {
    m.serialize_entry("names", f.names())?;
    m.serialize_entry("nrows", &f.nrows())?;
    m.serialize_entry("columns", &ColumnsJson(f))
}

/// `{names, nrows, columns}`: `columns` maps each name to its values ([`Frame::to_table`]'s
/// rule for written text).
impl Serialize for Frame {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        frame_entries(self, &mut m)?;
        m.end()
    }
}

/// The frame's form plus `id`, `time` (column names), `n`, `t`, `ids` and `times`.
impl Serialize for Panel {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        frame_entries(self.frame(), &mut m)?;
        m.serialize_entry("id", self.id_name())?;
        m.serialize_entry("time", self.time_name())?;
        m.serialize_entry("n", &self.n())?;
        m.serialize_entry("t", &self.t())?;
        m.serialize_entry("ids", self.ids())?;
        m.serialize_entry("times", self.times())?;
        m.end()
    }
}
