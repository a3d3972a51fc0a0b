//! Printing and exporting results: `print(x)`, `to_json(x)`, `x.to_map()`, `save(x, path)`
//! for every result type through one trait, so every type exports the same way.

use super::convert::{from_strings, SFrame, SPanel, STable};
use super::{core_err, script_err, RResult};
use crate::report::table::{extension, num_json, Cell, Table};
use rhai::plugin::*;
use rhai::{Dynamic, Engine, FuncRegistration};
use serde_json::{json, Value};

/// A result that can be printed, turned into JSON / a map, and saved by extension.
pub trait Exportable: Clone + Send + Sync + 'static {
    /// The `"kind"` field of its JSON form.
    const KIND: &'static str;
    /// Its JSON form (without `"kind"`; added by the caller).
    fn json(&self) -> Value;
    /// Its table form, for `.md`, `.csv`, `.tex` and `.txt` output.
    fn table(&self) -> Option<Table>;
    /// What `print` shows.
    fn text(&self) -> String;
    /// Draws it to an `.svg`/`.png` path, when it has a plot.
    fn plot(&self, _path: &str) -> Option<crate::Result<()>> {
        None
    }
    /// Writes it in a format of its own chosen by `path`'s extension (e.g. weights as `.gal`),
    /// or None to use the common formats.
    fn save_own(&self, _path: &str) -> Option<crate::Result<()>> {
        None
    }
    /// What `save` writes, for its documentation.
    const SAVE_DOC: &'static str = ".json, .csv, .md, .tex, .txt";
    /// True when [`Exportable::plot`] draws it (`save` then also takes .svg/.png).
    const PLOT: bool = false;
}

/// The JSON of `x` with its `"kind"`.
pub fn json_of<T: Exportable>(x: &T) -> Value {
    let mut v = x.json();
    if let Value::Object(m) = &mut v {
        m.insert("kind".into(), json!(T::KIND));
    }
    v
}

/// Saves `x` to `path` by extension, atomically.
pub fn save_exportable<T: Exportable>(x: &T, path: &str) -> RResult<()> {
    if let Some(r) = x.save_own(path) {
        return r.map_err(core_err);
    }
    let ext = extension(path);
    let text = match ext.as_str() {
        "json" => serde_json::to_string_pretty(&json_of(x)).map_err(script_err)?,
        "svg" | "png" => {
            return match x.plot(path) {
                Some(r) => r.map_err(core_err),
                None => Err(script_err(format!(
                    "save: a {} has no plot{}; save it as {}",
                    T::KIND,
                    if cfg!(feature = "plot") {
                        ""
                    } else {
                        " in this build (built without the cargo feature `plot`)"
                    },
                    T::SAVE_DOC
                ))),
            }
        }
        "md" | "markdown" | "csv" | "tex" | "txt" => match x.table() {
            Some(t) => t.render_for(path).map_err(core_err)?,
            None => {
                return Err(script_err(format!(
                    "save: a {} has no table form; save it as .json",
                    T::KIND
                )))
            }
        },
        _ => {
            return Err(script_err(format!(
                "save: cannot tell the format of '{path}' from its extension; a {} is saved as {}{}",
                T::KIND,
                T::SAVE_DOC,
                if T::PLOT { "; a plot as .svg or .png" } else { "" }
            )))
        }
    };
    crate::io::write_atomic(path, text.as_bytes()).map_err(core_err)
}

/// Registers `print`, `to_json`, `to_map` and `save` for `T`.
pub fn register_exportable<T: Exportable>(engine: &mut Engine) {
    let name = T::KIND;
    FuncRegistration::new("to_string")
        .with_comments([format!("/// A readable table of the {name}.")])
        .register_into_engine(engine, |x: &mut T| x.text());
    FuncRegistration::new("to_debug").register_into_engine(engine, |x: &mut T| x.text());
    FuncRegistration::new("to_json")
        .with_comments([format!(
            "/// The JSON text of the {name} (its to_map() plus \"kind\"; NaN as null)."
        )])
        .register_into_engine(engine, |x: &mut T| {
            serde_json::to_string_pretty(&json_of(x)).unwrap_or_default()
        });
    FuncRegistration::new("to_map")
        .with_comments([format!("/// Every number of the {name} as an object map.")])
        .register_into_engine(engine, |x: &mut T| -> RResult<Dynamic> {
            super::guard("to_map", || rhai::serde::to_dynamic(json_of(x)))
        });
    // The parameter type keeps one `save` doc per type (`save(x: Moran, path: string)`), so
    // `:help save` lists what each type writes.
    let rust_type = std::any::type_name::<T>().rsplit("::").next().unwrap_or("?");
    FuncRegistration::new("save")
        .with_comments([format!(
            "/// Writes the {name} to `path` by extension ({}{}), atomically.",
            T::SAVE_DOC,
            if T::PLOT { "; a plot as .svg/.png" } else { "" }
        )])
        .with_params_info([format!("x: {rust_type}"), "path: string".to_string()])
        .register_into_engine(engine, |x: &mut T, path: &str| {
            super::guard("save", || save_exportable(x, path))
        });
}

/// A frame as a table of all its rows. Numbers keep the text they were written with in the
/// file when it was kept (ids such as `001` or `12345678901234567`, see
/// [`crate::data::Frame::written_text`]); integral numbers print without a decimal point.
pub fn frame_table(f: &crate::data::Frame, title: &str) -> Table {
    let mut t = Table::new(title, f.names().to_vec());
    let cols: Vec<(&crate::data::Column, Option<&[String]>)> = f
        .names()
        .iter()
        .filter_map(|n| f.column(n).ok().map(|c| (c, f.written_text(n))))
        .collect();
    for i in 0..f.nrows() {
        t.push(
            cols.iter()
                .map(|(c, text)| match c {
                    crate::data::Column::Num(v) if v[i].is_nan() => Cell::Num(v[i]),
                    crate::data::Column::Num(_) if text.is_some() => {
                        Cell::Text(text.map_or("", |t| t[i].trim()).to_string())
                    }
                    crate::data::Column::Num(v) if v[i].fract() == 0.0 && v[i].abs() < 1e15 => Cell::Int(v[i] as i64),
                    crate::data::Column::Num(v) => Cell::Num(v[i]),
                    crate::data::Column::Text(v) => Cell::Text(v[i].clone()),
                })
                .collect(),
        );
    }
    t.decimals = 6;
    t
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

/// A frame as JSON columns. A number whose written text a JSON number would change (`001`,
/// `12E4`, `12345678901234567`) is written as that text, a string.
fn frame_json(f: &crate::data::Frame) -> Value {
    let mut cols = serde_json::Map::new();
    for n in f.names() {
        let v = match f.column(n) {
            Ok(crate::data::Column::Num(v)) => Value::Array(
                v.iter()
                    .enumerate()
                    .map(|(i, x)| match f.written_text(n).map(|t| t[i].trim()) {
                        Some(t) if !x.is_nan() && !json_faithful(t) => json!(t),
                        _ => num_json(*x),
                    })
                    .collect(),
            ),
            Ok(crate::data::Column::Text(v)) => json!(v),
            Err(_) => Value::Null,
        };
        cols.insert(n.clone(), v);
    }
    json!({"names": f.names(), "nrows": f.nrows(), "columns": cols})
}

/// A short preview of a frame: first and last rows.
pub fn frame_preview(f: &crate::data::Frame, head: &str) -> String {
    let n = f.nrows();
    let mut t = frame_table(f, head);
    t.decimals = 4;
    if n > 12 {
        let mut rows = t.rows[..6].to_vec();
        rows.push(vec![Cell::Text("...".into()); t.columns.len()]);
        rows.extend_from_slice(&t.rows[n - 5..]);
        t.rows = rows;
    }
    t.to_text()
}

impl Exportable for SFrame {
    const KIND: &'static str = "frame";
    fn json(&self) -> Value {
        frame_json(&self.0)
    }
    fn table(&self) -> Option<Table> {
        Some(frame_table(&self.0, ""))
    }
    fn text(&self) -> String {
        frame_preview(
            &self.0,
            &format!("Frame: {} rows × {} columns", self.0.nrows(), self.0.names().len()),
        )
    }
}

impl Exportable for SPanel {
    const KIND: &'static str = "panel";
    fn json(&self) -> Value {
        let p = &self.0;
        let mut v = frame_json(p.frame());
        if let Value::Object(m) = &mut v {
            m.insert("id".into(), json!(p.id_name()));
            m.insert("time".into(), json!(p.time_name()));
            m.insert("n".into(), json!(p.n()));
            m.insert("t".into(), json!(p.t()));
            m.insert("ids".into(), json!(p.ids()));
            m.insert("times".into(), json!(p.times()));
        }
        v
    }
    fn table(&self) -> Option<Table> {
        Some(frame_table(self.0.frame(), ""))
    }
    fn text(&self) -> String {
        let p = &self.0;
        frame_preview(
            p.frame(),
            &format!(
                "Panel: N = {} units ({}) × T = {} periods ({}, {}–{}), {} variables",
                p.n(),
                p.id_name(),
                p.t(),
                p.time_name(),
                p.times().first().map_or("", String::as_str),
                p.times().last().map_or("", String::as_str),
                p.frame().names().len()
            ),
        )
    }
}

impl Exportable for STable {
    const KIND: &'static str = "table";
    fn json(&self) -> Value {
        let mut v = self.0.to_json_value();
        if let Value::Object(m) = &mut v {
            m.remove("kind");
        }
        v
    }
    fn table(&self) -> Option<Table> {
        Some((*self.0).clone())
    }
    fn text(&self) -> String {
        self.0.to_text()
    }
}

/// Registers the export functions of the data types.
pub fn register_data_exports(engine: &mut Engine) {
    register_exportable::<SFrame>(engine);
    register_exportable::<SPanel>(engine);
    register_exportable::<STable>(engine);
}

/// Table accessors.
#[export_module(root = "crate::script::guarded")]
pub mod export_fns {
    use super::*;

    /// Column headers of a table.
    #[rhai_fn(get = "columns", pure)]
    pub fn table_columns(t: &mut STable) -> rhai::Array {
        from_strings(&t.0.columns)
    }

    /// Rows of a table, each an array of cells (numbers, strings or ()).
    #[rhai_fn(get = "rows", pure)]
    pub fn table_rows(t: &mut STable) -> rhai::Array {
        t.0.rows
            .iter()
            .map(|r| {
                Dynamic::from_array(
                    r.iter()
                        .map(|c| match c {
                            Cell::Num(v) | Cell::Stat(v) => Dynamic::from_float(*v),
                            Cell::Int(i) => Dynamic::from_int(*i),
                            Cell::Text(s) => Dynamic::from(s.clone()),
                            Cell::Empty => Dynamic::UNIT,
                        })
                        .collect(),
                )
            })
            .collect()
    }

    /// The row whose first cell is `name`, as a map column → value: `lm["lm_lag"].statistic`.
    #[rhai_fn(index_get, return_raw, pure)]
    pub fn table_row(t: &mut STable, name: &str) -> RResult<rhai::Map> {
        let row =
            t.0.rows
                .iter()
                .find(|r| matches!(r.first(), Some(Cell::Text(s)) if s == name))
                .ok_or_else(|| {
                    let names: Vec<String> =
                        t.0.rows
                            .iter()
                            .filter_map(|r| match r.first() {
                                Some(Cell::Text(s)) => Some(s.clone()),
                                _ => None,
                            })
                            .collect();
                    script_err(format!("table: no row '{name}'; rows: {}", names.join(", ")))
                })?;
        let mut m = rhai::Map::new();
        for (c, cell) in t.0.columns.iter().zip(row) {
            let key = if c.is_empty() { "name" } else { c.as_str() };
            m.insert(
                key.into(),
                match cell {
                    Cell::Num(v) | Cell::Stat(v) => Dynamic::from_float(*v),
                    Cell::Int(i) => Dynamic::from_int(*i),
                    Cell::Text(s) => Dynamic::from(s.clone()),
                    Cell::Empty => Dynamic::UNIT,
                },
            );
        }
        Ok(m)
    }

    /// Title of a table.
    #[rhai_fn(get = "title", pure)]
    pub fn table_title(t: &mut STable) -> String {
        t.0.title.clone()
    }

    /// JSON text of an object map or array (NaN as null).
    #[rhai_fn(name = "to_json", return_raw)]
    pub fn map_to_json(m: rhai::Map) -> RResult<String> {
        let v: Value = rhai::serde::from_dynamic(&Dynamic::from_map(m))?;
        serde_json::to_string_pretty(&v).map_err(script_err)
    }

    /// Writes text to `path` atomically (for reports a script assembles itself).
    #[rhai_fn(name = "write_text", return_raw)]
    pub fn write_text(path: &str, text: &str) -> RResult<()> {
        crate::io::write_atomic(path, text.as_bytes()).map_err(core_err)
    }

    /// Creates the folder `path` (and its parents) when missing.
    #[rhai_fn(name = "make_dir", return_raw)]
    pub fn make_dir(path: &str) -> RResult<()> {
        crate::io::ensure_dir(path).map_err(core_err)
    }
}
