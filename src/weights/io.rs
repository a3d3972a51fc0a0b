//! Reading and writing weights files, chosen by extension:
//! * `.gal` (GeoDa/libpysal): a header line (`n`, or `0 n name id`), then per unit a line
//!   `id k` and a line of its k neighbour ids. Binary pattern only.
//! * `.gwt`: a header line (`0 n name id`, or `n`), then lines `i j w`.
//! * `.csv`: triplets `i,j,w` with a header row (any three names), or an N × N matrix as
//!   xsmle and MATLAB users keep W: a first row of ids (its first cell empty or any label), then
//!   per unit a row starting with its id ([`matrix_weights`], which also reads spreadsheet
//!   grids). The form is told from the shape ([`CsvForm`]); the ids of a matrix written without
//!   them are given separately ([`MatrixIds`]).
//!
//! Ids are text exactly as written (trimmed; [`crate::data::key_of_text`]): `001` and `1` are
//! two units, `12345678901234567` stays itself. Units are numbered in order of first
//! appearance. A leading UTF-8 byte-order mark is skipped. GAL and GWT files must start with
//! their header line; a first line that is a unit line `id k` (GAL) or a triplet `i j w` (GWT)
//! is refused as a missing header. Islands (units without neighbours) are
//! written as a zero self-weight `i,i,0` in CSV/GWT so that they survive a round trip.

use super::similarity::with_similarity;
use super::{Standardization, Weights};
use crate::data::codes::StrCoder;
use crate::data::key_of_text;
use crate::error::{list_some, Error, Result};
use std::collections::HashMap;

/// File formats of weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GeoDa GAL (binary pattern).
    Gal,
    /// GeoDa GWT (weights).
    Gwt,
    /// CSV triplets `i,j,w` or an N × N matrix.
    Csv,
    /// A workbook (`.xlsx`, `.xlsm`, `.xls`, `.ods`): an N × N matrix on one sheet.
    Sheet,
}

impl Format {
    /// The format named by the extension of `path`.
    pub fn of_path(path: &str) -> Result<Format> {
        match crate::io::extension(path).as_str() {
            "gal" => Ok(Format::Gal),
            "gwt" => Ok(Format::Gwt),
            "csv" => Ok(Format::Csv),
            "xlsx" | "xlsm" | "xls" | "ods" => Ok(Format::Sheet),
            other => Err(Error::invalid(format!(
                "{path}: unknown weights file extension '.{other}'; use .gal, .gwt, .csv or a workbook \
                 (.xlsx, .xls, .ods) holding an N × N matrix"
            ))),
        }
    }
}

/// Options of [`read_weights_with`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReadOptions {
    /// Standardisation applied after reading. Default: GWT and CSV weights are kept as given
    /// (labelled none); GAL patterns are row-standardised.
    pub standardize: Option<Standardization>,
    /// Keep units without neighbours (default false: they are an error naming them).
    pub keep_islands: bool,
    /// Accept negative weights (default false: a negative weight is an error naming the pair).
    pub allow_negative: bool,
}

/// The form of a `.csv` weights file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvForm {
    /// Told from the shape (default): three columns are triplets `i,j,w` (a 2 × 2 matrix, whose
    /// header ids are its first column's ids, aside); N + 1 columns and N data rows are a matrix.
    #[default]
    Auto,
    /// Triplets `i,j,w`.
    Triplets,
    /// An N × N matrix.
    Matrix,
}

/// Where the unit ids of an N × N weights matrix come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum MatrixIds {
    /// The file's first row and first column (default).
    #[default]
    InFile,
    /// Given separately, in the order of the rows (and columns); the file is the N × N block of
    /// numbers only.
    Given(Vec<String>),
    /// Read from a one-column file (N lines, or a header line and N lines); the file is the
    /// N × N block of numbers only.
    File(String),
    /// The units are named 1..N by position; the file is the N × N block of numbers only. Only
    /// when asked for: ids are never made up silently.
    Position,
}

/// How a `.csv` weights file is laid out (the other formats have one layout).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CsvLayout {
    /// Triplets or matrix (default: told from the shape).
    pub form: CsvForm,
    /// The ids of a matrix (default: in the file). Ids given separately imply the matrix form.
    pub ids: MatrixIds,
    /// The sheet of a workbook that holds the matrix (default: the workbook's only sheet; a
    /// workbook of several sheets needs it).
    pub sheet: Option<crate::data::sheet::SheetRef>,
}

/// Reads weights with the default options (see [`read_weights_with`]).
pub fn read_weights(path: &str) -> Result<Weights> {
    read_weights_with(path, &ReadOptions::default())
}

/// Reads a GAL, GWT or CSV weights file (by extension). Errors give the file and line.
///
/// A matrix read as given that is W = D⁻¹C with C symmetric (for example a row-standardised
/// symmetric matrix: binary contiguity, economic distance) is detected
/// ([`super::similarity::similarity_scale`]) so that its eigenvalues come from the symmetric similar
/// matrix (docs/methods.md §4.2).
pub fn read_weights_with(path: &str, opts: &ReadOptions) -> Result<Weights> {
    read_weights_layout(path, opts, &CsvLayout::default())
}

/// Reads a weights file as [`read_weights_with`], a `.csv` file in `layout` (triplets or an
/// N × N matrix, told from the shape by default; see [`matrix_weights`]).
pub fn read_weights_layout(path: &str, opts: &ReadOptions, layout: &CsvLayout) -> Result<Weights> {
    let format = Format::of_path(path)?;
    if format == Format::Sheet {
        return sheet_weights(path, opts, layout);
    }
    let bytes = crate::io::read_file(path)?;
    parse_weights_layout(&bytes, path, format, opts, layout)
}

/// Parses the bytes of a weights file in `format` (the pure part of [`read_weights_with`];
/// `path` is used in error messages only).
pub fn parse_weights(bytes: &[u8], path: &str, format: Format, opts: &ReadOptions) -> Result<Weights> {
    parse_weights_layout(bytes, path, format, opts, &CsvLayout::default())
}

/// Parses the bytes of a weights file in `format`, a `.csv` file in `layout` (the pure part of
/// [`read_weights_layout`]).
pub fn parse_weights_layout(
    bytes: &[u8],
    path: &str,
    format: Format,
    opts: &ReadOptions,
    layout: &CsvLayout,
) -> Result<Weights> {
    if layout.sheet.is_some() {
        return Err(Error::invalid(format!(
            "{path}: the option sheet applies to workbooks (.xlsx, .xls, .ods) only"
        )));
    }
    if format != Format::Csv && *layout != CsvLayout::default() {
        return Err(Error::invalid(format!(
            "{path}: the options form and ids apply to .csv weights files only"
        )));
    }
    let bytes = crate::data::csv::strip_bom(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Parse {
        path: path.to_string(),
        line: bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1,
        column: 1,
        message: "not valid UTF-8 text; save the file as UTF-8".into(),
    })?;
    let mut t = Triplets::new(path);
    let default_std = match format {
        Format::Gal => {
            parse_gal(text, &mut t)?;
            Standardization::Row
        }
        Format::Gwt => {
            parse_gwt(text, &mut t)?;
            Standardization::None
        }
        Format::Sheet => {
            return Err(Error::invalid(format!(
                "{path}: a workbook is read from its file (read_weights_layout), not from bytes"
            )))
        }
        Format::Csv => {
            let grid = csv_grid(text, path)?;
            if is_matrix(&grid, layout, path)? {
                let place =
                    |r: usize, c: usize| format!("line {}, column {}", grid.lines.get(r).copied().unwrap_or(0), c + 1);
                return matrix_weights(&grid.cells, &place, path, &layout.ids, opts);
            }
            parse_csv(text, &mut t)?;
            Standardization::None
        }
    };
    finish_weights(t.ids, &t.trip, path, default_std, opts)
}

/// An N × N matrix on a sheet of the workbook `path` (the sheet `layout.sheet`, or the only
/// one), read by [`matrix_weights`] with cells named as `Sheet1!C3` in messages. Triplets are
/// not read from workbooks (save them as `.csv`).
fn sheet_weights(path: &str, opts: &ReadOptions, layout: &CsvLayout) -> Result<Weights> {
    if layout.form == CsvForm::Triplets {
        return Err(Error::invalid(format!(
            "{path}: weights in a workbook are read as an N × N matrix; save triplets as a .csv file"
        )));
    }
    let so = crate::data::sheet::SheetOptions {
        sheet: layout.sheet.clone(),
        missing: Vec::new(),
        ..Default::default()
    };
    let grid = crate::data::sheet::read_cells(path, &so)?;
    if layout.sheet.is_none() && !grid.notes.is_empty() {
        return Err(Error::invalid(format!(
            "{path}: {}; say which sheet holds the matrix with the option sheet (a name or a number from 1)",
            grid.notes.join("; ")
        )));
    }
    let cells: Vec<Vec<String>> = (0..grid.nrows())
        .map(|r| (0..grid.ncols()).map(|c| grid.text(r, c).trim().to_string()).collect())
        .collect();
    let place = |r: usize, c: usize| grid.cell_name(r, c);
    matrix_weights(&cells, &place, path, &layout.ids, opts)
}

/// Weights from the ids and triplets read from `path`: the checks of `opts` (islands, negative
/// weights), then the standardisation asked for or the format's default `default_std`.
fn finish_weights(
    ids: Vec<String>,
    trip: &[(usize, usize, f64)],
    path: &str,
    default_std: Standardization,
    opts: &ReadOptions,
) -> Result<Weights> {
    let common = super::builder::Common {
        standardize: Standardization::None,
        keep_islands: opts.keep_islands,
        allow_negative: opts.allow_negative,
    };
    let w = Weights::from_triplets_with(ids, trip, &common).map_err(|e| Error::data(format!("{path}: {e}")))?;
    let kind = opts.standardize.unwrap_or(default_std);
    if kind == Standardization::None {
        // Weights given already row-standardised are labelled so, so that `subset`
        // re-standardises their rows (the values are kept bit for bit).
        // The matrix is built once (the triplets' CSR) and transposed once (for its facts:
        // symmetric, row sums, similarity); nothing here copies it.
        let w = with_similarity(w)?;
        let rows_one = w.facts().row_standardised;
        Ok(if rows_one && opts.standardize.is_none() {
            w.labelled(Standardization::Row)
        } else {
            w
        })
    } else {
        w.into_standardized(kind)
    }
}

/// Triplets being read: (i, j, w, line) records with the units coded as they are read, then
/// ids in order of first appearance as a declared unit (a GAL head) or a row unit `i` (units
/// seen only as a neighbour `j` come after), (i, j, w) and checks. Units are coded by their
/// trimmed text ([`key_of_text`]) in a [`StrCoder`]: no string per link.
struct Triplets<'a> {
    path: &'a str,
    /// Final ids (filled by [`Self::finish`]).
    ids: Vec<String>,
    /// Units in order of first appearance anywhere (reading codes).
    seen: StrCoder,
    /// Reading codes of the declared units, in order.
    declared: Vec<u32>,
    raw: Vec<(u32, u32, f64, u64)>,
    trip: Vec<(usize, usize, f64)>,
    /// The reading code of each final unit (filled by [`Self::finish`]).
    order: Vec<u32>,
}

impl<'a> Triplets<'a> {
    fn new(path: &'a str) -> Self {
        Triplets {
            path,
            ids: Vec::new(),
            seen: StrCoder::with_capacity(0),
            declared: Vec::new(),
            raw: Vec::new(),
            trip: Vec::new(),
            order: Vec::new(),
        }
    }

    fn err(&self, line: u64, column: u64, message: impl Into<String>) -> Error {
        Error::Parse {
            path: self.path.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The reading code of unit `raw`, registering it if new.
    fn unit(&mut self, raw: &str) -> u32 {
        self.seen.code(raw.trim())
    }

    /// The id of reading code `u`.
    fn key(&self, u: u32) -> &str {
        self.seen.key(u)
    }

    /// Declares unit `u` (a GAL head: numbered in the order declared, before the others).
    fn declare(&mut self, u: u32) {
        self.declared.push(u);
    }

    /// Records w_ij read at `line` (checked in [`Self::finish`]).
    fn add(&mut self, i: &str, j: &str, w: f64, line: u64) -> Result<()> {
        if !w.is_finite() {
            return Err(self.err(
                line,
                3,
                format!("weight {w} from unit {i} to unit {j} is not a finite number"),
            ));
        }
        let (a, b) = (self.unit(i), self.unit(j));
        self.raw.push((a, b, w, line));
        Ok(())
    }

    /// Records w_ij between coded units.
    fn add_coded(&mut self, i: u32, j: u32, w: f64, line: u64) {
        self.raw.push((i, j, w, line));
    }

    /// Numbers the units (declared, then rows, then neighbours, each in order of first
    /// appearance) and builds the triplets: a zero self-weight only registers its unit; a
    /// non-zero self-weight or a repeated pair is an error naming the line (the first such
    /// record in file order). Repeated pairs are found row by row with a marker per column
    /// (O(links), no hashing of pairs).
    fn finish(&mut self) -> Result<()> {
        let raw = std::mem::take(&mut self.raw);
        let m = self.seen.len();
        let mut fin = vec![u32::MAX; m];
        let mut order: Vec<u32> = Vec::with_capacity(m);
        let mut number = |u: u32, fin: &mut Vec<u32>| {
            if fin[u as usize] == u32::MAX {
                fin[u as usize] = order.len() as u32;
                order.push(u);
            }
        };
        for &u in &self.declared {
            number(u, &mut fin);
        }
        for r in &raw {
            number(r.0, &mut fin);
        }
        for r in &raw {
            number(r.1, &mut fin);
        }
        // The first record (in file order) that is a non-zero self-weight or repeats a pair.
        let mut first: Option<(usize, Option<usize>)> =
            raw.iter().position(|r| r.0 == r.1 && r.2 != 0.0).map(|k| (k, None));
        {
            // Records bucketed by row, in file order within a row.
            let mut start = vec![0usize; m + 1];
            for r in &raw {
                start[r.0 as usize + 1] += 1;
            }
            for u in 0..m {
                start[u + 1] += start[u];
            }
            let mut fill = start.clone();
            let mut by_row = vec![0u32; raw.len()];
            for (k, r) in raw.iter().enumerate() {
                by_row[fill[r.0 as usize]] = k as u32;
                fill[r.0 as usize] += 1;
            }
            drop(fill);
            // mark[j] = (row + 1, record) of the last record of the current row to column j.
            let mut mark = vec![(0u32, 0u32); m];
            for u in 0..m {
                for &k in &by_row[start[u]..start[u + 1]] {
                    let r = &raw[k as usize];
                    if r.0 == r.1 {
                        continue;
                    }
                    let slot = &mut mark[r.1 as usize];
                    if slot.0 == u as u32 + 1 {
                        if first.is_none_or(|(f, _)| (k as usize) < f) {
                            first = Some((k as usize, Some(slot.1 as usize)));
                        }
                        break;
                    }
                    *slot = (u as u32 + 1, k);
                }
            }
        }
        if let Some((k, prev)) = first {
            let (i, j, w, line) = raw[k];
            let (si, sj) = (self.key(i), self.key(j));
            return Err(match prev {
                None => self.err(
                    line,
                    3,
                    format!("self-weight w_ii = {w} for unit {si}; weights have a zero diagonal"),
                ),
                Some(p) => self.err(line, 1, format!("pair ({si}, {sj}) already given on line {}", raw[p].3)),
            });
        }
        self.trip = raw
            .iter()
            .filter(|r| r.0 != r.1)
            .map(|r| (fin[r.0 as usize] as usize, fin[r.1 as usize] as usize, r.2))
            .collect();
        self.ids = order.iter().map(|&u| self.seen.key(u).to_string()).collect();
        self.order = order;
        Ok(())
    }
}

/// Lines with their 1-based numbers.
fn numbered(text: &str) -> impl Iterator<Item = (u64, &str)> {
    text.lines().enumerate().map(|(k, l)| (k as u64 + 1, l.trim()))
}

/// n from a header line `n` or `0 n name id`.
fn header_n(t: &Triplets, line: u64, l: &str) -> Result<usize> {
    let toks: Vec<&str> = l.split_whitespace().collect();
    let tok = if toks.len() == 1 {
        toks[0]
    } else {
        toks.get(1).copied().unwrap_or("")
    };
    tok.parse::<usize>().map_err(|_| {
        t.err(
            line,
            1,
            format!("header '{l}' should be 'n' or '0 n name id' with n the number of units"),
        )
    })
}

fn parse_gal(text: &str, t: &mut Triplets) -> Result<()> {
    let mut lines = numbered(text).peekable();
    let (hl, h) = loop {
        match lines.next() {
            Some((_, "")) => continue,
            Some(x) => break x,
            None => return Err(t.err(1, 1, "empty GAL file")),
        }
    };
    let toks: Vec<&str> = h.split_whitespace().collect();
    if toks.len() == 2 && toks[0] != "0" {
        return Err(t.err(
            hl,
            1,
            format!(
                "the header line is missing: '{h}' looks like a unit line 'id k', but a GAL file starts with a \
                 header 'n' or '0 n shapefile idvar', n the number of units; add that line"
            ),
        ));
    }
    let n = header_n(t, hl, h)?;
    // Line of each declared unit's head, by reading code (0: not declared).
    let mut heads: Vec<u64> = Vec::new();
    while let Some((ln, l)) = lines.next() {
        if l.is_empty() {
            continue;
        }
        let mut toks = l.split_whitespace();
        let k = match (toks.next(), toks.next(), toks.next()) {
            (Some(_), Some(k), None) => k.parse::<usize>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            t.err(
                ln,
                1,
                format!("expected 'id k' (a unit and its number of neighbours), found '{l}'"),
            )
        })?;
        let head = l.split_whitespace().next().unwrap_or("");
        let u = t.unit(head);
        if heads.len() <= u as usize {
            heads.resize(u as usize + 1, 0);
        }
        if heads[u as usize] != 0 {
            let prev = heads[u as usize];
            return Err(t.err(ln, 1, format!("unit {} already listed on line {prev}", t.key(u))));
        }
        heads[u as usize] = ln;
        t.declare(u);
        if k == 0 {
            if matches!(lines.peek(), Some((_, ""))) {
                lines.next();
            }
            continue;
        }
        let (nl, nb) = lines.next().ok_or_else(|| {
            t.err(
                ln + 1,
                1,
                format!("unit {} should be followed by a line of its {k} neighbours", t.key(u)),
            )
        })?;
        let count = nb.split_whitespace().count();
        if count != k {
            return Err(t.err(
                nl,
                1,
                format!(
                    "unit {} announces {k} neighbours on line {ln} but this line lists {count}",
                    t.key(u),
                ),
            ));
        }
        for j in nb.split_whitespace() {
            let v = t.unit(j);
            t.add_coded(u, v, 1.0, nl);
        }
    }
    t.finish()?;
    let orphans: Vec<&String> = t
        .order
        .iter()
        .zip(&t.ids)
        .filter(|(&u, _)| heads.get(u as usize).is_none_or(|&l| l == 0))
        .map(|(_, s)| s)
        .collect();
    if !orphans.is_empty() {
        return Err(t.err(
            hl,
            1,
            format!("neighbour id(s) without their own entry: {}", list_some(&orphans, 10)),
        ));
    }
    if t.ids.len() != n {
        return Err(t.err(
            hl,
            1,
            format!("header says {n} units but the file lists {}", t.ids.len()),
        ));
    }
    Ok(())
}

fn parse_gwt(text: &str, t: &mut Triplets) -> Result<()> {
    let mut lines = numbered(text).filter(|(_, l)| !l.is_empty());
    let (hl, h) = lines.next().ok_or_else(|| t.err(1, 1, "empty GWT file"))?;
    let toks: Vec<&str> = h.split_whitespace().collect();
    if toks.len() == 3 && toks[2].parse::<f64>().is_ok() {
        return Err(t.err(
            hl,
            1,
            format!(
                "the header line is missing: '{h}' is a triplet 'i j w', but a GWT file starts with a header \
                 '0 n shapefile idvar' (or 'n'), n the number of units; add that line"
            ),
        ));
    }
    let n = header_n(t, hl, h)?;
    for (ln, l) in lines {
        let toks: Vec<&str> = l.split_whitespace().collect();
        let [i, j, w] = toks.as_slice() else {
            return Err(t.err(ln, 1, format!("expected 'i j w', found '{l}'")));
        };
        let w: f64 = w
            .parse()
            .map_err(|_| t.err(ln, 3, format!("weight '{w}' is not a number")))?;
        t.add(i, j, w, ln)?;
    }
    t.finish()?;
    if t.ids.len() != n {
        return Err(t.err(
            hl,
            1,
            format!("header says {n} units but the file names {}", t.ids.len()),
        ));
    }
    Ok(())
}

/// The records of a CSV file: trimmed cells and the line of each record (blank lines left out).
struct CsvGrid {
    cells: Vec<Vec<String>>,
    lines: Vec<u64>,
}

fn csv_grid(text: &str, path: &str) -> Result<CsvGrid> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut g = CsvGrid {
        cells: Vec::new(),
        lines: Vec::new(),
    };
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Parse {
            path: path.to_string(),
            line: e.position().map_or(0, |p| p.line()),
            column: 1,
            message: format!("malformed CSV: {e}"),
        })?;
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        g.lines.push(rec.position().map_or(0, |p| p.line()));
        g.cells.push(rec.iter().map(key_of_text).collect());
    }
    Ok(g)
}

/// True when the CSV weights file `grid` is to be read as an N × N matrix (see [`CsvForm`]).
fn is_matrix(grid: &CsvGrid, layout: &CsvLayout, path: &str) -> Result<bool> {
    let given_ids = layout.ids != MatrixIds::InFile;
    Ok(match layout.form {
        CsvForm::Matrix => true,
        CsvForm::Triplets if given_ids => {
            return Err(Error::invalid(format!(
                "{path}: option ids names the units of a matrix, but form is \"triplets\" (whose ids are in \
                 the file); drop ids or use form: \"matrix\""
            )))
        }
        CsvForm::Triplets => false,
        CsvForm::Auto if given_ids => true,
        CsvForm::Auto => {
            let cells = &grid.cells;
            match cells.first() {
                None => false,
                Some(h) if h.len() == 3 => {
                    // A 2 × 2 matrix also has three columns: its header names its first column's
                    // ids. A 3 × 3 block of numbers with a zero diagonal is a matrix without ids.
                    let mut head: Vec<&String> = h[1..].iter().collect();
                    let mut rows: Vec<&String> = cells[1..].iter().filter_map(|r| r.first()).collect();
                    head.sort();
                    rows.sort();
                    let block = cells
                        .iter()
                        .all(|r| r.len() == 3 && r.iter().all(|c| c.parse::<f64>().is_ok()))
                        && (0..3).all(|k| cells[k][k].parse::<f64>() == Ok(0.0));
                    cells.len() == 3 && (head == rows || block)
                }
                // N + 1 columns and N rows after the header, or an N × N block of numbers.
                Some(h) => cells.len() == h.len(),
            }
        }
    })
}

/// The ids of a one-column file `path` for a matrix of `n` units: `n` lines, or a header line
/// and `n` lines (blank lines left out).
fn ids_from_file(path: &str, n: usize) -> Result<Vec<String>> {
    let bytes = crate::io::read_file(path)?;
    let text = std::str::from_utf8(crate::data::csv::strip_bom(&bytes)).map_err(|_| {
        Error::invalid(format!(
            "{path}: the ids file is not valid UTF-8 text; save it as UTF-8"
        ))
    })?;
    let grid = csv_grid(text, path)?;
    if let Some((r, row)) = grid.cells.iter().enumerate().find(|(_, r)| r.len() != 1) {
        return Err(Error::Parse {
            path: path.to_string(),
            line: grid.lines[r],
            column: 1,
            message: format!(
                "the ids file must have one column (one id per line), but this line has {} cells",
                row.len()
            ),
        });
    }
    let ids: Vec<String> = grid.cells.into_iter().map(|mut r| r.remove(0)).collect();
    match ids.len() {
        k if k == n => Ok(ids),
        k if k == n + 1 => Ok(ids[1..].to_vec()),
        k => Err(Error::invalid(format!(
            "{path}: the ids file lists {k} lines but the matrix has {n} rows; give one id per row (a header line is \
             allowed)"
        ))),
    }
}

/// The weight in cell `text` from unit `from` to unit `to`, at `at` (for messages).
fn matrix_cell(text: &str, from: &str, to: &str, at: impl Fn() -> String) -> Result<f64> {
    if text.is_empty() {
        return Err(Error::data(format!(
            "{}: empty cell for the weight from unit {from} to unit {to}; write 0 for no link",
            at()
        )));
    }
    let w: f64 = text.parse().map_err(|_| {
        Error::data(format!(
            "{}: '{text}' is not a number (the weight from unit {from} to unit {to})",
            at()
        ))
    })?;
    if !w.is_finite() {
        return Err(Error::data(format!(
            "{}: weight {text} from unit {from} to unit {to} is not a finite number",
            at()
        )));
    }
    Ok(w)
}

/// The first repeated id of `ids` with its two positions, if any.
fn repeated(ids: &[String]) -> Option<(usize, usize)> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (k, id) in ids.iter().enumerate() {
        if let Some(&first) = seen.get(id.as_str()) {
            return Some((first, k));
        }
        seen.insert(id, k);
    }
    None
}

/// Weights from a grid of text cells that holds an N × N matrix: the one reader of matrix
/// weights, for CSV files ([`read_weights_layout`]) and spreadsheet grids alike.
///
/// * `cells`: the rows as read, each a list of trimmed cell texts (a short row is an error
///   naming its cells); blank rows already left out.
/// * `place(r, c)`: where cell `(r, c)` (0-based, in `cells`) is, for messages: `"line 3,
///   column 5"` for a CSV file, `"Sheet1!C3"` for a spreadsheet.
/// * `source`: the file, for messages.
/// * `ids`: [`MatrixIds::InFile`]: the first row is a header (its first cell empty or any
///   label, then the N column ids) and each of the N rows starts with its id; the columns are
///   matched to the rows by id, not position (their order may differ), and the two sets of ids
///   must be the same (else an error naming the ids). Otherwise the grid is the N × N block of
///   numbers only, with the ids given, read from a one-column file, or 1..N by position. A grid
///   whose first row is all numbers without `ids` is refused with that fix.
///
/// Units are numbered in the order of the rows. The diagonal must be 0 (an error names the unit
/// and the cell); empty or non-numeric cells are errors naming the cell; negative weights and
/// units without neighbours follow `opts` as in the triplet reader. The values are kept as
/// given (standardised only if `opts.standardize` asks), and a matrix that is D⁻¹C with C
/// symmetric is detected as for every read (docs/methods.md §4.2).
pub fn matrix_weights(
    cells: &[Vec<String>],
    place: &dyn Fn(usize, usize) -> String,
    source: &str,
    ids: &MatrixIds,
    opts: &ReadOptions,
) -> Result<Weights> {
    let at = |r: usize, c: usize| format!("{source}: {}", place(r, c));
    let numeric_first_row = cells
        .first()
        .is_some_and(|r| r.iter().all(|c| c.parse::<f64>().is_ok()));
    let given = match ids {
        MatrixIds::InFile => None,
        MatrixIds::Given(v) => Some(v.iter().map(|s| key_of_text(s)).collect::<Vec<_>>()),
        MatrixIds::File(p) => Some(ids_from_file(p, cells.len())?),
        MatrixIds::Position => Some((1..=cells.len()).map(|k| k.to_string()).collect()),
    };
    let (row_ids, col_of, body, c0): (Vec<String>, Vec<usize>, &[Vec<String>], usize) = match given {
        None => {
            let Some(header) = cells.first() else {
                return Err(Error::data(format!("{source}: the weights matrix is empty")));
            };
            if numeric_first_row {
                return Err(Error::data(format!(
                    "{}: the first row is numbers, so this {}-column matrix has no ids (a first row and a first \
                     column of unit ids); give them with #{{ids: [...]}} (in the order of the rows) or \
                     #{{ids: \"ids.csv\"}} (a one-column file), or #{{ids: \"position\"}} to name the units 1..N \
                     by position",
                    at(0, 0),
                    header.len()
                )));
            }
            let n = header.len().saturating_sub(1);
            let rows = &cells[1..];
            if n == 0 || rows.len() != n {
                return Err(Error::data(format!(
                    "{source}: an N × N weights matrix has a header row of N unit ids (after a first cell that is \
                     empty or a label) and N rows, each starting with its id; this file's header names {n} ids \
                     and {} rows follow (triplets i,j,w have exactly three columns)",
                    rows.len()
                )));
            }
            let col_ids: Vec<String> = header[1..].to_vec();
            let row_ids: Vec<String> = rows.iter().map(|r| r.first().cloned().unwrap_or_default()).collect();
            if let Some(r) = row_ids.iter().position(String::is_empty) {
                return Err(Error::data(format!(
                    "{}: the row has no unit id in its first cell",
                    at(r + 1, 0)
                )));
            }
            if let Some((a, b)) = repeated(&row_ids) {
                return Err(Error::data(format!(
                    "{}: unit id '{}' starts two rows (also {})",
                    at(b + 1, 0),
                    row_ids[b],
                    place(a + 1, 0)
                )));
            }
            if let Some((a, b)) = repeated(&col_ids) {
                return Err(Error::data(format!(
                    "{}: unit id '{}' heads two columns (also {})",
                    at(0, b + 1),
                    col_ids[b],
                    place(0, a + 1)
                )));
            }
            let pos: HashMap<&str, usize> = row_ids.iter().enumerate().map(|(k, s)| (s.as_str(), k)).collect();
            let in_cols: std::collections::HashSet<&str> = col_ids.iter().map(String::as_str).collect();
            let only_cols: Vec<&String> = col_ids.iter().filter(|c| !pos.contains_key(c.as_str())).collect();
            let only_rows: Vec<&String> = row_ids.iter().filter(|r| !in_cols.contains(r.as_str())).collect();
            if !only_cols.is_empty() || !only_rows.is_empty() {
                return Err(Error::data(format!(
                    "{source}: the ids of the header row and of the first column must be the same units (in any \
                     order); only in the header: {}; only in the first column: {}",
                    if only_cols.is_empty() {
                        "none".into()
                    } else {
                        list_some(&only_cols, 10)
                    },
                    if only_rows.is_empty() {
                        "none".into()
                    } else {
                        list_some(&only_rows, 10)
                    }
                )));
            }
            let col_of = col_ids.iter().map(|c| pos[c.as_str()]).collect();
            (row_ids, col_of, rows, 1)
        }
        Some(ids) => {
            let n = cells.len();
            if !numeric_first_row {
                return Err(Error::data(format!(
                    "{}: the first row holds text, so the file has its own ids; drop the option ids (which is for \
                     a matrix of numbers only)",
                    at(0, 0)
                )));
            }
            if ids.len() != n {
                return Err(Error::data(format!(
                    "{source}: {} ids are given but the matrix has {n} rows; give one id per row, in order",
                    ids.len()
                )));
            }
            if let Some((a, b)) = repeated(&ids) {
                return Err(Error::data(format!(
                    "{source}: unit id '{}' is given twice (positions {} and {})",
                    ids[b],
                    a + 1,
                    b + 1
                )));
            }
            (ids, (0..n).collect(), cells, 0)
        }
    };
    let n = row_ids.len();
    let r0 = usize::from(c0 == 1);
    let mut trip = Vec::new();
    for (r, row) in body.iter().enumerate() {
        if row.len() != n + c0 {
            return Err(Error::data(format!(
                "{}: this row has {} cells but a row of the {n} × {n} matrix has {}{}",
                at(r + r0, row.len().min(n + c0)),
                row.len(),
                n + c0,
                if c0 == 1 { " (its id and N weights)" } else { "" }
            )));
        }
        for (c, text) in row[c0..].iter().enumerate() {
            let j = col_of[c];
            let w = matrix_cell(text, &row_ids[r], &row_ids[j], || at(r + r0, c + c0))?;
            if r == j {
                if w != 0.0 {
                    return Err(Error::data(format!(
                        "{}: self-weight w_ii = {text} for unit {}; weights have a zero diagonal",
                        at(r + r0, c + c0),
                        row_ids[r]
                    )));
                }
            } else if w != 0.0 {
                trip.push((r, j, w));
            }
        }
    }
    finish_weights(row_ids, &trip, source, Standardization::None, opts)
}

fn parse_csv(text: &str, t: &mut Triplets) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut first = true;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            t.err(line, 1, format!("malformed CSV: {e}"))
        })?;
        let ln = rec.position().map_or(0, |p| p.line());
        if rec.len() == 1 && rec[0].trim().is_empty() {
            continue;
        }
        if rec.len() != 3 {
            return Err(t.err(
                ln,
                1,
                format!(
                    "expected 3 fields i,j,w, found {}; a CSV weights file holds triplets i,j,w or an N × N \
                     matrix (a header row of N ids, then N rows each starting with its id)",
                    rec.len()
                ),
            ));
        }
        let w = rec[2].trim().parse::<f64>();
        if first {
            first = false;
            if w.is_err() {
                continue; // header row
            }
        }
        let w = w.map_err(|_| t.err(ln, 3, format!("weight '{}' is not a number", &rec[2])))?;
        t.add(&rec[0], &rec[1], w, ln)?;
    }
    t.finish()
}

/// Largest number of units [`save_weights_form`] writes as an N × N matrix (N² cells).
pub const MAX_MATRIX_UNITS: usize = 20_000;

/// Writes `w` to `path` atomically as [`save_weights`] does, a `.csv` file in `form`:
/// [`CsvForm::Matrix`] writes the N × N matrix, ids in the header row (after an empty cell) and
/// in the first column, every weight in full precision (the shortest text that reads back as the
/// same double, so the file reads back exactly); triplets otherwise.
pub fn save_weights_form(w: &Weights, path: &str, form: CsvForm) -> Result<()> {
    if form != CsvForm::Matrix {
        return save_weights(w, path);
    }
    match Format::of_path(path)? {
        Format::Csv => {}
        Format::Sheet => return save_matrix_sheet(w, path),
        Format::Gal | Format::Gwt => {
            return Err(Error::invalid(format!(
                "{path}: a weights matrix is saved as .csv or .xlsx; GAL and GWT files hold neighbours and triplets"
            )))
        }
    }
    let n = w.n();
    if n > MAX_MATRIX_UNITS {
        return Err(Error::invalid(format!(
            "{path}: a matrix of {n} × {n} cells is too large to write ({MAX_MATRIX_UNITS} units at most); save \
             the weights as triplets (form: \"triplets\")"
        )));
    }
    let ids = w.ids();
    let io = |e: csv::Error| Error::io(path, e);
    let mut wr = csv::Writer::from_writer(Vec::new());
    wr.write_record(std::iter::once("").chain(ids.iter().map(String::as_str)))
        .map_err(io)?;
    let mut dense = vec![0.0; n];
    let mut row_text: Vec<String> = Vec::with_capacity(n + 1);
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        dense.iter_mut().for_each(|v| *v = 0.0);
        for (j, v) in row.iter() {
            dense[j] = *v;
        }
        row_text.clear();
        row_text.push(ids[i].clone());
        row_text.extend(dense.iter().map(|v| v.to_string()));
        wr.write_record(&row_text).map_err(io)?;
    }
    let out = wr.into_inner().map_err(|e| Error::io(path, e))?;
    crate::io::write_atomic(path, &out)
}

/// Writes `w` as an N × N matrix to the workbook `path` (`.xlsx` only), atomically: a header
/// row `id` and the ids, then per unit its id and its row of weights as numbers (doubles, so
/// the file reads back exactly with [`read_weights_layout`]).
fn save_matrix_sheet(w: &Weights, path: &str) -> Result<()> {
    if crate::io::extension(path) != "xlsx" {
        return Err(Error::invalid(format!(
            "{path}: weights are written to workbooks as .xlsx only (or .csv)"
        )));
    }
    let n = w.n();
    if n > MAX_MATRIX_UNITS.min(16_383) {
        return Err(Error::invalid(format!(
            "{path}: a sheet holds at most 16,384 columns, too few for a matrix of {n} units; save the weights as \
             .csv triplets"
        )));
    }
    let mut cols = vec![vec![0.0; n]; n];
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        for (j, v) in row.iter() {
            cols[j][i] = *v;
        }
    }
    let frame = crate::data::Frame::from_columns(
        std::iter::once(("id".to_string(), crate::data::Column::Text(w.ids().to_vec())))
            .chain(
                w.ids()
                    .iter()
                    .cloned()
                    .zip(cols.into_iter().map(crate::data::Column::Num)),
            )
            .collect(),
    )?;
    crate::data::sheet::write_xlsx(&frame, path)
}

/// Writes `w` to `path` atomically: GAL (the binary pattern; values are not kept), GWT or CSV
/// triplets (full-precision values), by extension.
pub fn save_weights(w: &Weights, path: &str) -> Result<()> {
    let format = Format::of_path(path)?;
    if format != Format::Csv && format != Format::Sheet {
        if let Some(bad) = w
            .ids()
            .iter()
            .find(|s| s.is_empty() || s.chars().any(char::is_whitespace))
        {
            return Err(Error::invalid(format!(
                "{path}: unit id '{bad}' is empty or contains spaces, which GAL/GWT cannot store; save as .csv"
            )));
        }
    }
    let ids = w.ids();
    let n = w.n();
    let mut out = String::new();
    match format {
        Format::Sheet => return save_matrix_sheet(w, path),
        Format::Gal => {
            out += &format!("0 {n} spillover id\n");
            for (i, row) in w.matrix().outer_iterator().enumerate() {
                out += &format!("{} {}\n", ids[i], row.nnz());
                let nb: Vec<&str> = row.indices().iter().map(|&j| ids[j].as_str()).collect();
                out += &nb.join(" ");
                out.push('\n');
            }
        }
        Format::Gwt => {
            out += &format!("0 {n} spillover id\n");
            for (i, row) in w.matrix().outer_iterator().enumerate() {
                if row.nnz() == 0 {
                    out += &format!("{} {} 0\n", ids[i], ids[i]);
                }
                for (j, v) in row.iter() {
                    out += &format!("{} {} {}\n", ids[i], ids[j], v);
                }
            }
        }
        Format::Csv => {
            let mut wr = csv::Writer::from_writer(Vec::new());
            let io = |e: csv::Error| Error::io(path, e);
            wr.write_record(["i", "j", "w"]).map_err(io)?;
            for (i, row) in w.matrix().outer_iterator().enumerate() {
                if row.nnz() == 0 {
                    wr.write_record([ids[i].as_str(), ids[i].as_str(), "0"]).map_err(io)?;
                }
                for (j, v) in row.iter() {
                    wr.write_record([ids[i].as_str(), ids[j].as_str(), &v.to_string()])
                        .map_err(io)?;
                }
            }
            out = String::from_utf8(wr.into_inner().map_err(|e| Error::io(path, e))?).unwrap_or_default();
        }
    }
    crate::io::write_atomic(path, out.as_bytes())
}
