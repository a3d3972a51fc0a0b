//! `read_data`: data files by extension (CSV and other delimited text, spreadsheets, Stata).
//! Saving a frame as `.xlsx` or `.dta` is part of `save` (see `export.rs`).

use super::convert::SFrame;
use super::options::Opts;
use super::options::{csv_options, CSV_KEYS};
use super::{core_err, guard, print_line, script_err, RResult};
use crate::data::read::{read_data, Format, ReadOptions};
use crate::data::sheet::{read_sheet, SheetOptions, SheetRef};
use crate::data::stata::{read_dta, DtaOptions};
use rhai::plugin::*;
use rhai::{Map, INT};
use std::sync::Arc;

/// The options of `read_data` that are not options of `read_csv`, and the files they are for.
const OWN: [(&str, &str); 3] = [
    ("sheet", "spreadsheets (.xlsx, .xls, .ods)"),
    ("range", "spreadsheets (.xlsx, .xls, .ods)"),
    ("labels", "Stata files (.dta)"),
];

fn show(notes: &[String]) {
    for n in notes {
        print_line(&format!("read_data: {n}"));
    }
}

/// Delimited text: the options of `read_csv` ([`csv_options`]) and the delimiter chosen by
/// extension (for .txt from the header line, printed), read by the core `read_data`.
fn read_text(path: &str, opts: Map) -> RResult<SFrame> {
    for (k, what) in OWN {
        if opts.contains_key(k) {
            return Err(script_err(format!(
                "read_data: option '{k}' is for {what}, not for the text file '{path}'"
            )));
        }
    }
    let o = Opts::new(&opts, "read_data", &CSV_KEYS)?;
    let csv = csv_options(&o)?;
    let delimiter = o.str("delimiter")?.is_some().then_some(csv.delimiter);
    let ro = ReadOptions {
        csv,
        delimiter,
        ..ReadOptions::default()
    };
    let (f, notes) = guard("read_data", || read_data(path, &ro).map_err(core_err))?;
    show(&notes);
    Ok(SFrame(Arc::new(f)))
}

/// Option `sheet` of a reader of workbooks (`read_data`, `read_weights`): a sheet's name or
/// its number from 1.
pub(crate) fn sheet_ref(o: &Opts) -> RResult<Option<SheetRef>> {
    let Some(v) = o.value("sheet") else {
        return Ok(None);
    };
    if let Some(k) = v.clone().try_cast::<INT>() {
        if k < 1 {
            return Err(script_err(format!(
                "{}: option sheet = {k}: sheets are numbered from 1",
                o.func
            )));
        }
        Ok(Some(SheetRef::Number(k as usize)))
    } else if let Some(s) = v.clone().try_cast::<rhai::ImmutableString>() {
        Ok(Some(SheetRef::Name(s.to_string())))
    } else {
        Err(script_err(format!(
            "{}: option 'sheet' must be a sheet's name or its number (from 1), got {}",
            o.func,
            v.type_name()
        )))
    }
}

/// Checks the options of a spreadsheet or Stata file: one of `read_data`'s own options for
/// another kind of file is an error saying which files it is for.
fn checked<'a>(path: &str, opts: &'a Map, valid: &[&str]) -> RResult<Opts<'a>> {
    for (k, what) in OWN {
        if opts.contains_key(k) && !valid.contains(&k) {
            return Err(script_err(format!(
                "read_data: option '{k}' is for {what}, not for '{path}'"
            )));
        }
    }
    Opts::new(opts, "read_data", valid)
}

fn read_spreadsheet(path: &str, opts: &Map) -> RResult<SFrame> {
    let o = checked(path, opts, &["sheet", "range", "missing"])?;
    let mut so = SheetOptions {
        sheet: sheet_ref(&o)?,
        range: o.str("range")?,
        ..Default::default()
    };
    if let Some(m) = o.strings("missing")? {
        so.missing = m;
    }
    let (f, notes) = read_sheet(path, &so).map_err(core_err)?;
    show(&notes);
    Ok(SFrame(Arc::new(f)))
}

fn read_stata(path: &str, opts: &Map) -> RResult<SFrame> {
    let o = checked(path, opts, &["labels"])?;
    let d = DtaOptions {
        labels: o.bool("labels")?.unwrap_or(false),
    };
    read_dta(path, &d).map(|f| SFrame(Arc::new(f))).map_err(core_err)
}

/// Data files by extension.
#[export_module(root = "crate::script::guarded")]
pub mod files_fns {
    use super::*;

    /// Reads a data file by its extension, with options for its format:
    /// - `.csv`, `.tsv` (tab), `.txt` (tab, `;` or `,`, chosen from the header line and
    ///   printed): every option of `read_csv` (`delimiter`, `missing`, ...);
    /// - `.xlsx`, `.xlsm`, `.xls`, `.ods`: `sheet` (a name or a number from 1; default the
    ///   first, printed when there are several), `range` (`"B2:F100"`, its first row the
    ///   header), `missing`. Numbers stay numbers, text stays text, dates become ISO text
    ///   (`2018-01-01`), empty cells are missing, error cells (`#DIV/0!`) are missing and
    ///   printed; a column mixing numbers and text is an error naming the cell (`Sheet1!A12`);
    /// - `.dta` (every Stata version): `labels: true` reads value-labelled variables as their
    ///   label text (default: the codes). Stata missing values (`.`, `.a`–`.z`) are missing.
    /// ```rhai
    /// let f = read_data("examples/data/produc/produc.xlsx", #{sheet: "produc", range: "A1:F49"});
    /// print(f.nrows());
    /// ```
    #[rhai_fn(name = "read_data", return_raw)]
    pub fn read_data_opts(path: &str, opts: Map) -> RResult<SFrame> {
        guard("read_data", || {
            let format = Format::of(path).map_err(core_err)?;
            match format {
                Format::Csv | Format::Tsv | Format::Txt => read_text(path, opts),
                Format::Sheet => read_spreadsheet(path, &opts),
                Format::Dta => read_stata(path, &opts),
            }
        })
    }

    /// Reads a data file by its extension with default options (see `read_data(path, opts)`):
    /// `.csv`, `.tsv`, `.txt`, `.xlsx`, `.xlsm`, `.xls`, `.ods`, `.dta`.
    /// ```rhai
    /// let f = read_data("examples/data/produc/produc.xlsx");
    /// print(f.names());
    /// ```
    #[rhai_fn(name = "read_data", return_raw)]
    pub fn read_data(path: &str) -> RResult<SFrame> {
        read_data_opts(path, Map::new())
    }
}

rhai::def_package! {
    /// `read_data`.
    pub FilesPackage(lib) {
        rhai::combine_with_exported_module!(lib, "files", files_fns);
    }
}
