//! Printing and exporting results: `print(x)`, `to_json(x)`, `x.to_map()`, `save(x, path)`
//! for every result type through one trait, so every type exports the same way.

use super::convert::{from_strings, SFrame, SPanel, STable};
use super::{core_err, script_err, RResult};
use crate::report::save::{is_table_format, save_table, SaveOptions};
use crate::report::table::{extension, with_kind, Cell, PFormat, Table};
use rhai::plugin::*;
use rhai::{Dynamic, FuncRegistration, Module};
use serde_json::Value;

/// A result that can be printed, turned into JSON / a map, and saved by extension.
pub trait Exportable: Clone + Send + Sync + 'static {
    /// The `"kind"` field of its JSON form.
    const KIND: &'static str;
    /// The core value whose [`serde::Serialize`] form is its JSON form (without `"kind"`).
    type Core: serde::Serialize + ?Sized;
    /// That core value.
    fn core(&self) -> &Self::Core;
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
    const SAVE_DOC: &'static str = ".json, .csv, .md, .tex, .txt, .html, .docx, .xlsx";
    /// True when `save(x, path, opts)` with the table options (standalone, cjk, p_format) is
    /// registered for the type (false when the type has a `save` with options of its own).
    const SAVE_OPTS: bool = true;
    /// True when [`Exportable::plot`] draws it (`save` then also takes .svg/.png).
    const PLOT: bool = false;
}

/// The JSON of `x`: its core value's serde form with its `"kind"`.
pub fn json_of<T: Exportable>(x: &T) -> RResult<Value> {
    serde_json::to_value(x.core())
        .map(|v| with_kind(v, T::KIND))
        .map_err(|e| script_err(format!("to_json: a {}: {e}", T::KIND)))
}

/// Saves `x` to `path` by extension, atomically.
pub fn save_exportable<T: Exportable>(x: &T, path: &str) -> RResult<()> {
    save_exportable_with(x, path, &SaveOptions::default())
}

/// The option value `p_format` of `func`: `"fixed"` (or `"0.000"`) for [`PFormat::Fixed`],
/// `"<"` (or `"< 0.001"`, `"below"`) for [`PFormat::Below`]; an error lists the valid values.
pub fn p_format_of(s: &str, func: &str) -> RResult<PFormat> {
    match s.trim() {
        "fixed" | "0.000" => Ok(PFormat::Fixed),
        "<" | "< 0.001" | "<0.001" | "below" => Ok(PFormat::Below),
        other => Err(script_err(format!(
            "{func}: p_format \"{other}\" is not known; valid: \"fixed\" (0.000) or \"<\" (< 0.001)"
        ))),
    }
}

/// The options of `save(x, path, opts)`: `standalone` and `cjk` (.tex), `p_format`.
fn save_options(opts: &rhai::Map) -> RResult<SaveOptions> {
    let o = super::options::Opts::new(opts, "save", &["standalone", "cjk", "p_format"])?;
    let p_format = match o.str("p_format")? {
        Some(s) => Some(p_format_of(&s, "save")?),
        None => None,
    };
    Ok(SaveOptions {
        standalone: o.bool("standalone")?.unwrap_or(false),
        cjk: o.bool("cjk")?.unwrap_or(false),
        p_format,
    })
}

/// Saves `x` to `path` by extension with the table options `opts`, atomically: the type's own
/// formats ([`Exportable::save_own`]) first, then `.json`, a plot, or its table in any format
/// of [`crate::report::save::save_table`].
pub fn save_exportable_with<T: Exportable>(x: &T, path: &str, opts: &SaveOptions) -> RResult<()> {
    if let Some(r) = x.save_own(path) {
        // The type's own formats (a frame's .xlsx and .dta, weights' .gal) take no table options.
        return r.map_err(core_err);
    }
    let ext = extension(path);
    let text = match ext.as_str() {
        "json" => serde_json::to_string_pretty(&json_of(x)?).map_err(script_err)?,
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
        _ if is_table_format(path) => match x.table() {
            Some(t) => {
                for w in save_table(&t, path, opts).map_err(core_err)? {
                    let shown = crate::report::staging::final_path(path);
                    super::eprint_line(&format!("warning: save: {shown}: {w}"));
                }
                return Ok(());
            }
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

/// Registers the script type `T` under `type_name` in `lib`, with its `print`, `to_json`,
/// `to_map` and `save`. `example` is Rhai code that binds a value of the type to `x`; each
/// function's doc shows it followed by the call.
pub fn register_exportable<T: Exportable>(lib: &mut Module, type_name: &str, example: &str) {
    lib.set_custom_type::<T>(type_name);
    let name = T::KIND;
    let this = format!("_: &mut {type_name}");
    let doc = |text: String, call: &str| {
        let mut d = format!("/// {text}\n/// ```rhai");
        for line in example.lines().chain([call]) {
            d += &format!("\n/// {line}");
        }
        d + "\n/// ```"
    };
    FuncRegistration::new("to_string")
        .in_global_namespace()
        .with_comments([doc(format!("A readable table of the {name}."), "print(x.to_string());")])
        .with_params_info([this.as_str(), "string"])
        .set_into_module(lib, |x: &mut T| x.text());
    FuncRegistration::new("to_debug")
        .in_global_namespace()
        .with_params_info([this.as_str(), "string"])
        .set_into_module(lib, |x: &mut T| x.text());
    FuncRegistration::new("to_json")
        .in_global_namespace()
        .with_comments([doc(
            format!("The JSON text of the {name} (its to_map() plus \"kind\"; NaN as null)."),
            "print(to_json(x));",
        )])
        .with_params_info([this.as_str(), "string"])
        .set_into_module(lib, |x: &mut T| -> RResult<String> {
            serde_json::to_string_pretty(&json_of(x)?).map_err(script_err)
        });
    FuncRegistration::new("to_map")
        .in_global_namespace()
        .with_comments([doc(
            format!("Every number of the {name} as an object map."),
            "print(x.to_map());",
        )])
        .with_params_info([this.as_str(), std::any::type_name::<RResult<Dynamic>>()])
        .set_into_module(lib, |x: &mut T| -> RResult<Dynamic> {
            super::guard("to_map", || rhai::serde::to_dynamic(json_of(x)?))
        });
    // The parameter type keeps one `save` doc per type (`save(x: Moran, path: string)`), so
    // `:help save` lists what each type writes.
    let rust_type = std::any::type_name::<T>().rsplit("::").next().unwrap_or("?");
    FuncRegistration::new("save")
        .in_global_namespace()
        .with_comments([doc(
            format!(
                "Writes the {name} to `path` by extension ({}{}), atomically.",
                T::SAVE_DOC,
                if T::PLOT { "; a plot as .svg/.png" } else { "" }
            ),
            &format!("make_dir(\"out\");\nsave(x, \"out/{name}.json\");"),
        )])
        .with_params_info([format!("x: {rust_type}"), "path: string".to_string()])
        .set_into_module(lib, |x: &mut T, path: &str| {
            super::guard("save", || save_exportable(x, path))
        });
    if T::SAVE_OPTS {
        FuncRegistration::new("save")
            .in_global_namespace()
            .with_comments([doc(
                format!(
                    "Writes the {name} to `path` by extension like `save(x, path)`, with the table options \
                     `standalone` (.tex: a complete document loading only booktabs and amsmath), `cjk` (.tex \
                     with standalone: keep Chinese text with the CJKutf8 package) and `p_format` (\"fixed\": \
                     0.000, the default; \"<\": < 0.001 below 0.001)."
                ),
                &format!("make_dir(\"out\");\nsave(x, \"out/{name}.tex\", #{{standalone: true}});"),
            )])
            .with_params_info([
                format!("x: {rust_type}"),
                "path: string".to_string(),
                "opts: Map".to_string(),
            ])
            .set_into_module(lib, |x: &mut T, path: &str, opts: rhai::Map| {
                super::guard("save", || save_exportable_with(x, path, &save_options(&opts)?))
            });
    }
}

impl Exportable for SFrame {
    const KIND: &'static str = "frame";
    type Core = crate::data::Frame;
    fn core(&self) -> &Self::Core {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.to_table(""))
    }
    fn text(&self) -> String {
        self.0.summary_text()
    }
    fn save_own(&self, path: &str) -> Option<crate::Result<()>> {
        save_frame_file(&self.0, path)
    }
    const SAVE_DOC: &'static str = FRAME_SAVE_DOC;
}

/// What `save` writes for a frame or a panel.
const FRAME_SAVE_DOC: &str =
    ".json, .csv, .md, .tex, .txt, .xlsx (bold header, numbers as numbers), .dta (Stata 14+, release 118)";

/// Saves a frame as a spreadsheet (`.xlsx`) or a Stata file (`.dta`) by extension; None for
/// the other formats.
fn save_frame_file(f: &crate::data::Frame, path: &str) -> Option<crate::Result<()>> {
    match crate::io::extension(path).as_str() {
        "xlsx" => Some(crate::data::sheet::write_xlsx(f, path)),
        "dta" => Some(crate::data::stata::write_dta(f, path)),
        _ => None,
    }
}

impl Exportable for SPanel {
    const KIND: &'static str = "panel";
    type Core = crate::data::Panel;
    fn core(&self) -> &Self::Core {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.frame().to_table(""))
    }
    fn text(&self) -> String {
        self.0.summary_text()
    }
    fn save_own(&self, path: &str) -> Option<crate::Result<()>> {
        save_frame_file(self.0.frame(), path)
    }
    const SAVE_DOC: &'static str = FRAME_SAVE_DOC;
}

impl Exportable for STable {
    const KIND: &'static str = "table";
    type Core = Table;
    fn core(&self) -> &Self::Core {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some((*self.0).clone())
    }
    fn text(&self) -> String {
        self.0.to_text()
    }
}

rhai::def_package! {
    /// The Table type, its accessors, and writing files: `write_text`, `make_dir` (`to_json`
    /// and `save` of maps and arrays are in [`super::json`]).
    pub ExportPackage(lib) {
        register_exportable::<STable>(lib, "Table", "let x = table(\"Demo\", [\"a\", \"b\"], [[1, 2.5]]);");
        rhai::combine_with_exported_module!(lib, "export", export_fns);
    }
}

/// A table cell as a script value: a float, an integer, a string or ().
fn cell_dynamic(c: &Cell) -> Dynamic {
    match c {
        Cell::Num(v) | Cell::Stat(v) | Cell::P(v) => Dynamic::from_float(*v),
        Cell::Int(i) => Dynamic::from_int(*i),
        Cell::Text(s) => Dynamic::from(s.clone()),
        Cell::Empty => Dynamic::UNIT,
    }
}

/// Table accessors.
#[export_module(root = "crate::script::guarded")]
pub mod export_fns {
    use super::*;

    /// Column headers of a table.
    /// ```rhai
    /// let t = table("Demo", ["name", "value"], [["a", 1.5], ["b", 2]]);
    /// print(t.columns);
    /// ```
    #[rhai_fn(get = "columns", pure)]
    pub fn table_columns(t: &mut STable) -> rhai::Array {
        from_strings(&t.0.columns)
    }

    /// Rows of a table, each an array of cells (numbers, strings or ()).
    /// ```rhai
    /// let t = table("Demo", ["name", "value"], [["a", 1.5], ["b", 2]]);
    /// print(t.rows);
    /// ```
    #[rhai_fn(get = "rows", pure)]
    pub fn table_rows(t: &mut STable) -> rhai::Array {
        t.0.rows
            .iter()
            .map(|r| Dynamic::from_array(r.iter().map(cell_dynamic).collect()))
            .collect()
    }

    /// The row whose first cell is `name`, as a map column → value: `lm["lm_lag"].statistic`.
    /// ```rhai
    /// let t = table("Demo", ["name", "value"], [["a", 1.5], ["b", 2]]);
    /// print(t["b"].value);   // 2
    /// ```
    #[rhai_fn(index_get, return_raw, pure)]
    pub fn table_row(t: &mut STable, name: &str) -> RResult<rhai::Map> {
        let row = t.0.row_named(name).map_err(|e| script_err(format!("table: {e}")))?;
        Ok(t.0
            .columns
            .iter()
            .zip(row)
            .map(|(c, cell)| {
                (
                    if c.is_empty() { "name" } else { c.as_str() }.into(),
                    cell_dynamic(cell),
                )
            })
            .collect())
    }

    /// Title of a table.
    /// ```rhai
    /// let t = table("Demo", ["name", "value"], [["a", 1.5], ["b", 2]]);
    /// print(t.title);
    /// ```
    #[rhai_fn(get = "title", pure)]
    pub fn table_title(t: &mut STable) -> String {
        t.0.title.clone()
    }

    /// Writes text to `path` atomically (for reports a script assembles itself).
    /// ```rhai
    /// make_dir("out");
    /// write_text("out/notes.md", "# Notes\n");
    /// ```
    #[rhai_fn(name = "write_text", return_raw)]
    pub fn write_text(path: &str, text: &str) -> RResult<()> {
        crate::io::write_atomic(path, text.as_bytes()).map_err(core_err)
    }

    /// Creates the folder `path` (and its parents) when missing.
    /// ```rhai
    /// make_dir("out/tables");
    /// ```
    #[rhai_fn(name = "make_dir", return_raw)]
    pub fn make_dir(path: &str) -> RResult<()> {
        crate::io::ensure_dir(path).map_err(core_err)
    }
}
