//! Spreadsheets: `.xlsx`, `.xls` and `.ods` workbooks read with the `calamine` crate, `.xlsx`
//! written with `rust_xlsxwriter`.
//!
//! Reading a sheet into a [`Frame`] (see [`read_sheet`]):
//! - the first row of the sheet's used area (or of the `range` option, e.g. `"B2:F100"`) is the
//!   header; a blank header cell above data is an error naming the cell, duplicate names are
//!   an error naming both cells; a column with neither a name nor data is left out;
//! - number cells become numbers, text cells stay text, boolean cells are 1 and 0, date cells
//!   become ISO text (`2018-01-01`, or `2018-01-01T08:30:00` with a time of day);
//! - empty cells and text cells holding a missing-value marker (default `""`, `NA`, `.`) are
//!   missing; error cells (`#DIV/0!`, `#N/A`, ...) are missing and reported (how many, and the
//!   first one's cell);
//! - a column whose cells are all text is read as the CSV reader reads a column: when every
//!   non-missing cell is a number written as text (`001`, `2018`), the column is numeric and
//!   keeps the text as written for ids and periods (`001` stays `001`); otherwise it is text;
//! - a column mixing number cells and (non-missing) text cells is an error naming a cell as
//!   `Sheet1!A12`, the column, and the fix;
//! - rows whose cells are all empty are skipped.
//!
//! [`read_cells`] gives the raw grid of cells with their names (`Sheet1!B3`), for readers of
//! other layouts (a weights matrix).

use super::frame::{Column, Frame, Origin};
use super::missing::CsvOptions;
use crate::error::{closest, list_some, Error, Result};
use calamine::{Data, Reader};
use std::io::Cursor;

/// Which sheet of a workbook to read.
#[derive(Debug, Clone, PartialEq)]
pub enum SheetRef {
    /// The sheet of this name (exactly as in the workbook).
    Name(String),
    /// The sheet at this 1-based position.
    Number(usize),
}

/// Options for reading a sheet.
#[derive(Debug, Clone)]
pub struct SheetOptions {
    /// The sheet to read (default: the first; a note names it when the workbook has several).
    pub sheet: Option<SheetRef>,
    /// A cell range such as `"B2:F100"`, whose first row is the header (default: the sheet's
    /// used area).
    pub range: Option<String>,
    /// Text cells read as missing (default `""`, `"NA"`, `"."`, as the CSV reader).
    pub missing: Vec<String>,
}

impl Default for SheetOptions {
    fn default() -> Self {
        SheetOptions {
            sheet: None,
            range: None,
            missing: CsvOptions::default().missing,
        }
    }
}

/// One cell of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// An empty cell.
    Empty,
    /// A number (booleans are 1 and 0).
    Number(f64),
    /// Text, as stored.
    Text(String),
    /// A date or date-time cell, as ISO text (`2018-01-01`, `2018-01-01T08:30:00`).
    Date(String),
    /// An error cell, as Excel shows it (`#DIV/0!`, `#N/A`).
    Error(String),
}

impl CellValue {
    /// The cell as text: a number in the shortest form that reads back as the same double
    /// (`0.1`, `2018`, `1e-7`), text and dates as they are, an error as Excel shows it, an empty
    /// cell as `""`.
    pub fn text(&self) -> String {
        match self {
            CellValue::Empty => String::new(),
            CellValue::Number(x) => format!("{x}"),
            CellValue::Text(s) | CellValue::Date(s) | CellValue::Error(s) => s.clone(),
        }
    }
}

/// A rectangle of cells of one sheet, with the place of each cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The workbook file.
    pub path: String,
    /// The sheet's name.
    pub sheet: String,
    /// 0-based sheet row of `cells[0]`.
    pub top: u32,
    /// 0-based sheet column of `cells[_][0]`.
    pub left: u32,
    /// The cells, row by row (every row equally long).
    pub cells: Vec<Vec<CellValue>>,
    /// What the reader chose without being told (which sheet of several it read), to be shown.
    pub notes: Vec<String>,
}

impl Grid {
    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.cells.len()
    }
    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.cells.first().map_or(0, Vec::len)
    }
    /// The cell at row `r`, column `c` of the grid (0-based).
    pub fn get(&self, r: usize, c: usize) -> &CellValue {
        &self.cells[r][c]
    }
    /// The text of the cell at row `r`, column `c` (see [`CellValue::text`]).
    pub fn text(&self, r: usize, c: usize) -> String {
        self.cells[r][c].text()
    }
    /// The name of the cell at row `r`, column `c` of the grid: `Sheet1!B3`.
    pub fn cell_name(&self, r: usize, c: usize) -> String {
        cell_name(&self.sheet, self.top + r as u32, self.left + c as u32)
    }
}

/// Column letters of 0-based column `col`: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letters(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        s.push(b'A' + r);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The name of a cell as a spreadsheet writes it: `Sheet1!B3` (0-based `row` and `col`); a sheet
/// name with anything but letters, digits and `_` is quoted (`'My data'!B3`).
pub fn cell_name(sheet: &str, row: u32, col: u32) -> String {
    let plain = sheet.chars().all(|c| c.is_alphanumeric() || c == '_');
    let sheet = if plain {
        sheet.to_string()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    };
    format!("{sheet}!{}{}", column_letters(col), row as u64 + 1)
}

/// A cell reference such as `B2` as 0-based (row, column).
fn parse_cell(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().replace('$', "");
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = s.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut col: u32 = 0;
    for c in letters.to_ascii_uppercase().bytes() {
        col = col * 26 + u32::from(c - b'A' + 1);
    }
    let row: u32 = digits.parse().ok().filter(|r| *r >= 1)?;
    Some((row - 1, col - 1))
}

/// A range such as `B2:F100` as 0-based ((top, left), (bottom, right)).
fn parse_range(s: &str) -> Result<((u32, u32), (u32, u32))> {
    let bad = || {
        Error::invalid(format!(
            "option range '{s}' is not a cell range; write it as the top-left and bottom-right \
             cells, e.g. \"B2:F100\" (the first row of the range is the header)"
        ))
    };
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let (a, b) = (parse_cell(a).ok_or_else(bad)?, parse_cell(b).ok_or_else(bad)?);
    if b.0 < a.0 || b.1 < a.1 {
        return Err(Error::invalid(format!(
            "option range '{s}': the second cell must be below and to the right of the first, e.g. \"B2:F100\""
        )));
    }
    Ok((a, b))
}

type Workbook = calamine::Sheets<Cursor<Vec<u8>>>;

/// Opens the workbook `path` by its extension; a file that is not a workbook of that kind is
/// an error naming the file.
fn open(path: &str) -> Result<Workbook> {
    let bytes = crate::io::read_file(path)?;
    let ext = crate::io::extension(path);
    let cur = Cursor::new(bytes);
    let corrupt = |e: String| {
        Error::io(
            path,
            format!(
                "cannot be read as a .{ext} workbook ({e}); check that the file is complete and really \
                 is a .{ext} file (open it in Excel or LibreOffice and save it again)"
            ),
        )
    };
    Ok(match ext.as_str() {
        "xlsx" | "xlsm" => {
            calamine::Sheets::Xlsx(calamine::open_workbook_from_rs(cur).map_err(|e| corrupt(format!("{e}")))?)
        }
        "xls" => calamine::Sheets::Xls(calamine::open_workbook_from_rs(cur).map_err(|e| corrupt(format!("{e}")))?),
        "ods" => calamine::Sheets::Ods(calamine::open_workbook_from_rs(cur).map_err(|e| corrupt(format!("{e}")))?),
        _ => {
            return Err(Error::invalid(format!(
                "{path}: not a spreadsheet extension; spreadsheets are .xlsx, .xlsm, .xls and .ods"
            )))
        }
    })
}

/// The ISO text of an Excel date-time cell: `2018-01-01`, with `T08:30:00` (and `.250`) when it
/// has a time of day; a duration as hours:minutes:seconds (`36:00:00`).
fn date_text(d: &calamine::ExcelDateTime) -> String {
    if d.is_duration() {
        let secs = (d.as_f64() * 86400.0).round() as i64;
        let sign = if secs < 0 { "-" } else { "" };
        let s = secs.abs();
        return format!("{sign}{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    }
    let (y, mo, da, h, mi, s, ms) = d.to_ymd_hms_milli();
    let mut t = format!("{y:04}-{mo:02}-{da:02}");
    if (h, mi, s, ms) != (0, 0, 0, 0) {
        t += &format!("T{h:02}:{mi:02}:{s:02}");
        if ms != 0 {
            t += &format!(".{ms:03}");
        }
    }
    t
}

fn cell_value(d: &Data) -> CellValue {
    match d {
        Data::Empty => CellValue::Empty,
        Data::Int(i) => CellValue::Number(*i as f64),
        Data::Float(x) => CellValue::Number(*x),
        Data::Bool(b) => CellValue::Number(if *b { 1.0 } else { 0.0 }),
        Data::String(s) => CellValue::Text(s.clone()),
        Data::DateTime(d) => CellValue::Date(date_text(d)),
        Data::DateTimeIso(s) => CellValue::Date(s.strip_suffix("T00:00:00").unwrap_or(s).to_string()),
        Data::DurationIso(s) => CellValue::Text(s.clone()),
        Data::Error(e) => CellValue::Error(e.to_string()),
    }
}

/// Reads the cells of one sheet (`opts.sheet`, default the first) of the workbook `path`
/// (`.xlsx`, `.xlsm`, `.xls`, `.ods`): the range `opts.range` when given, else the sheet's used
/// area (from its first non-empty row and column). A sheet that does not exist is an error
/// listing the sheets; when the workbook has several sheets and none was asked for, a note
/// says which was read.
pub fn read_cells(path: &str, opts: &SheetOptions) -> Result<Grid> {
    let mut wb = open(path)?;
    let names = wb.sheet_names();
    if names.is_empty() {
        return Err(Error::io(path, "the workbook has no sheets"));
    }
    let listed = || {
        names
            .iter()
            .enumerate()
            .map(|(k, n)| format!("{} '{n}'", k + 1))
            .collect::<Vec<_>>()
    };
    let mut notes = Vec::new();
    let sheet = match &opts.sheet {
        None => {
            if names.len() > 1 {
                notes.push(format!(
                    "read sheet '{}' of {path}, the first of {} sheets ({}); choose another with the option sheet (a name or a number)",
                    names[0],
                    names.len(),
                    list_some(&names, 10)
                ));
            }
            names[0].clone()
        }
        Some(SheetRef::Number(k)) => match names.get(k.wrapping_sub(1)) {
            Some(n) => n.clone(),
            None => {
                return Err(Error::invalid(format!(
                    "{path}: there is no sheet number {k}; the workbook has {} sheet(s): {}",
                    names.len(),
                    list_some(&listed(), 20)
                )))
            }
        },
        Some(SheetRef::Name(n)) => match names.iter().find(|s| *s == n) {
            Some(s) => s.clone(),
            None => {
                let hint = closest(n, names.iter().map(String::as_str))
                    .map(|c| format!("; did you mean '{c}'?"))
                    .unwrap_or_default();
                return Err(Error::invalid(format!(
                    "{path}: no sheet named '{n}'{hint} (sheets: {}); give the option sheet a name or a number",
                    list_some(&listed(), 20)
                )));
            }
        },
    };
    let range = wb.worksheet_range(&sheet).map_err(|e| {
        Error::io(
            path,
            format!("cannot read sheet '{sheet}' ({e}); open the file in Excel or LibreOffice and save it again"),
        )
    })?;
    let (top, left, cells) = match &opts.range {
        Some(r) => {
            let ((r0, c0), (r1, c1)) = parse_range(r).map_err(|e| Error::invalid(format!("{path}: {e}")))?;
            // Cells outside the used area are empty: stop there rather than fill a huge range.
            let (end_r, end_c) = range.end().unwrap_or((0, 0));
            let (r1, c1) = (r1.min(end_r.max(r0)), c1.min(end_c.max(c0)));
            let cells = (r0..=r1)
                .map(|r| {
                    (c0..=c1)
                        .map(|c| range.get_value((r, c)).map_or(CellValue::Empty, cell_value))
                        .collect()
                })
                .collect();
            (r0, c0, cells)
        }
        None => match range.start() {
            Some((r0, c0)) => (
                r0,
                c0,
                range.rows().map(|row| row.iter().map(cell_value).collect()).collect(),
            ),
            None => (0, 0, Vec::new()),
        },
    };
    Ok(Grid {
        path: path.to_string(),
        sheet,
        top,
        left,
        cells,
        notes,
    })
}

/// Reads one sheet of the workbook `path` into a frame (rules in the module doc), with the
/// notes to show: which sheet was read when the workbook has several and none was named, and
/// how many error cells were read as missing.
pub fn read_sheet(path: &str, opts: &SheetOptions) -> Result<(Frame, Vec<String>)> {
    let grid = read_cells(path, opts)?;
    let (frame, mut notes) = grid_frame(&grid, &opts.missing)?;
    let mut all = grid.notes.clone();
    all.append(&mut notes);
    Ok((frame, all))
}

/// The frame of a grid whose first row is the header (see [`read_sheet`]).
pub fn grid_frame(grid: &Grid, missing: &[String]) -> Result<(Frame, Vec<String>)> {
    let where_ = || match grid.range_text() {
        Some(r) => format!("{}, sheet '{}', range {r}", grid.path, grid.sheet),
        None => format!("{}, sheet '{}'", grid.path, grid.sheet),
    };
    if grid.nrows() == 0 {
        return Err(Error::data(format!(
            "{}: no cells; expected a header row and data (choose the sheet with the option sheet, the cells with range)",
            where_()
        )));
    }
    let is_marker = |s: &str| missing.iter().any(|m| m == s.trim());
    let is_missing = |c: &CellValue| match c {
        CellValue::Empty | CellValue::Error(_) => true,
        CellValue::Text(s) => is_marker(s),
        _ => false,
    };
    // Data rows: every row below the header with a non-empty cell.
    let rows: Vec<usize> = (1..grid.nrows())
        .filter(|&r| grid.cells[r].iter().any(|c| *c != CellValue::Empty))
        .collect();
    let mut names: Vec<(String, usize)> = Vec::new();
    let mut cols = Vec::new();
    let mut written = Vec::new();
    let mut errors: Vec<(String, String)> = Vec::new();
    for c in 0..grid.ncols() {
        let head = grid.get(0, c);
        let name = match head {
            CellValue::Error(e) => {
                return Err(Error::data(format!(
                    "{}: header cell {} is the error {e}; write the column's name there",
                    grid.path,
                    grid.cell_name(0, c)
                )))
            }
            _ => head.text().trim().to_string(),
        };
        if name.is_empty() {
            if let Some(&r) = rows.iter().find(|&&r| *grid.get(r, c) != CellValue::Empty) {
                let below = cell_name("x", grid.top + r as u32, grid.left + c as u32);
                let corner = cell_name(
                    "x",
                    grid.top + grid.nrows() as u32 - 1,
                    grid.left + grid.ncols() as u32 - 1,
                );
                return Err(Error::data(format!(
                    "{}: header cell {} is blank but the column has data (e.g. {}); write the column's name in {}, \
                     or, when the table's header row is lower down, read the table's cells with the option range \
                     (e.g. range: \"{}:{}\")",
                    grid.path,
                    grid.cell_name(0, c),
                    grid.cell_name(r, c),
                    grid.cell_name(0, c),
                    &below[2..],
                    &corner[2..]
                )));
            }
            continue; // no name and no data: not a column
        }
        if let Some((_, c0)) = names.iter().find(|(n, _)| *n == name) {
            return Err(Error::data(format!(
                "{}: duplicate column name '{name}' in header cells {} and {}; rename one of them",
                grid.path,
                grid.cell_name(0, *c0),
                grid.cell_name(0, c)
            )));
        }
        names.push((name.clone(), c));
        let cells: Vec<&CellValue> = rows.iter().map(|&r| grid.get(r, c)).collect();
        for (k, cell) in cells.iter().enumerate() {
            if let CellValue::Error(e) = cell {
                errors.push((grid.cell_name(rows[k], c), e.clone()));
            }
        }
        let first = |f: &dyn Fn(&CellValue) -> bool| cells.iter().position(|x| f(x));
        let num_at = first(&|x| matches!(x, CellValue::Number(_)));
        let text_at = first(&|x| matches!(x, CellValue::Text(_) | CellValue::Date(_)) && !is_missing(x));
        let col = match (num_at, text_at) {
            (Some(n), Some(t)) => {
                let nums = cells.iter().filter(|x| matches!(x, CellValue::Number(_))).count();
                let texts = cells
                    .iter()
                    .filter(|x| matches!(x, CellValue::Text(_) | CellValue::Date(_)) && !is_missing(x))
                    .count();
                // Name a cell of the minority kind: that is the one to fix.
                let (bad, other) = if texts <= nums { (t, n) } else { (n, t) };
                return Err(Error::data(format!(
                    "{}: column '{name}' mixes numbers and text: cell {} holds {} while cell {} holds {}; \
                     a column must be all numbers or all text: make the cell {} in the spreadsheet, \
                     empty it, or write a missing marker there (NA)",
                    grid.path,
                    grid.cell_name(rows[bad], c),
                    describe(cells[bad]),
                    grid.cell_name(rows[other], c),
                    describe(cells[other]),
                    if texts <= nums { "a number" } else { "text" }
                )));
            }
            (_, None) => Column::Num(
                cells
                    .iter()
                    .map(|x| match x {
                        CellValue::Number(v) => *v,
                        _ => f64::NAN,
                    })
                    .collect(),
            ),
            (None, Some(_)) => {
                let vals: Vec<String> = cells
                    .iter()
                    .map(|x| match x {
                        CellValue::Error(_) => String::new(),
                        other => other.text(),
                    })
                    .collect();
                text_column(&name, vals, &is_marker, &mut written)
            }
        };
        cols.push((name, col));
    }
    if cols.is_empty() {
        return Err(Error::data(format!(
            "{}: the header row {} is empty; choose the sheet with the option sheet and the table's cells with range",
            where_(),
            grid.top as u64 + 1
        )));
    }
    let lines = rows.iter().map(|&r| u64::from(grid.top) + r as u64 + 1).collect();
    let mut f = Frame::from_columns(cols)?.with_origin(Origin {
        // Messages about a cell read "file.xlsx[Sheet1]:ROW:COLUMN: ..." (the sheet's row).
        path: format!("{}[{}]", grid.path, grid.sheet),
        lines,
        missing: missing.to_vec(),
    });
    for (name, vals) in written {
        f = f.with_written_text(&name, vals)?;
    }
    let mut notes = Vec::new();
    if let Some((cell, e)) = errors.first() {
        let mut kinds: Vec<&str> = errors.iter().map(|(_, e)| e.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        notes.push(format!(
            "{} error cell(s) ({}) of {} read as missing; the first is {cell} ({e})",
            errors.len(),
            kinds.join(", "),
            grid.path
        ));
    }
    Ok((f, notes))
}

impl Grid {
    /// The grid's cells as a range (`B2:F100`) when it is not the whole used area from A1.
    fn range_text(&self) -> Option<String> {
        if self.nrows() == 0 || self.ncols() == 0 {
            return None;
        }
        let a = cell_name("x", self.top, self.left);
        let b = cell_name(
            "x",
            self.top + self.nrows() as u32 - 1,
            self.left + self.ncols() as u32 - 1,
        );
        Some(format!("{}:{}", &a[2..], &b[2..]))
    }
}

fn describe(c: &CellValue) -> String {
    match c {
        CellValue::Number(x) => format!("the number {x}"),
        CellValue::Date(s) => format!("the date {s}"),
        other => format!("the text '{}'", other.text()),
    }
}

/// A column of text cells as the CSV reader reads one: numeric (keeping the text as written
/// when it is not the plain form of the numbers) when every non-missing cell is a number,
/// text otherwise.
pub(crate) fn text_column(
    name: &str,
    vals: Vec<String>,
    is_marker: &dyn Fn(&str) -> bool,
    written: &mut Vec<(String, Vec<String>)>,
) -> Column {
    if !vals.iter().all(|s| is_marker(s) || s.trim().parse::<f64>().is_ok()) {
        return Column::Text(vals);
    }
    let mut plain = true;
    let mut buf = String::new();
    let v = vals
        .iter()
        .map(|s| {
            if is_marker(s) {
                return f64::NAN;
            }
            let t = s.trim();
            let x: f64 = t.parse().unwrap_or(f64::NAN);
            plain &= super::csv::is_plain(t, x, &mut buf);
            if x.is_finite() {
                x
            } else {
                f64::NAN
            }
        })
        .collect();
    if !plain {
        written.push((name.to_string(), vals));
    }
    Column::Num(v)
}

/// Writes `frame` to the `.xlsx` file `path`, atomically: one sheet `Sheet1`, a bold header
/// row, numbers as numbers, text as text (a numeric column that keeps its cells as written,
/// such as ids `001`, as that text), missing values as empty cells.
pub fn write_xlsx(frame: &Frame, path: &str) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    const MAX_ROWS: usize = 1_048_576;
    const MAX_COLS: usize = 16_384;
    if frame.nrows() + 1 > MAX_ROWS || frame.names().len() > MAX_COLS {
        return Err(Error::invalid(format!(
            "{path}: a sheet holds at most {MAX_ROWS} rows and {MAX_COLS} columns, and the frame has {} rows (plus the header) and {} columns; save it as .csv",
            frame.nrows(),
            frame.names().len()
        )));
    }
    let fail = |e: rust_xlsxwriter::XlsxError| Error::io(path, format!("cannot write the workbook: {e}"));
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let bold = Format::new().set_bold();
    for (j, name) in frame.names().iter().enumerate() {
        let col = j as u16;
        ws.write_string_with_format(0, col, name, &bold).map_err(fail)?;
        let written = frame.written_text(name);
        match frame.column(name)? {
            Column::Num(v) => {
                for (i, x) in v.iter().enumerate() {
                    let row = i as u32 + 1;
                    if x.is_nan() {
                        continue;
                    }
                    match written {
                        Some(t) => ws.write_string(row, col, t[i].trim()).map_err(fail)?,
                        None => ws.write_number(row, col, *x).map_err(fail)?,
                    };
                }
            }
            Column::Text(v) => {
                for (i, s) in v.iter().enumerate() {
                    if !s.is_empty() {
                        ws.write_string(i as u32 + 1, col, s).map_err(|e| {
                            Error::io(path, format!("cannot write column '{name}', row {}: {e}", i + 1))
                        })?;
                    }
                }
            }
        }
    }
    let bytes = wb.save_to_buffer().map_err(fail)?;
    crate::io::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16383), "XFD");
        assert_eq!(cell_name("Sheet1", 11, 0), "Sheet1!A12");
        assert_eq!(cell_name("My data", 0, 1), "'My data'!B1");
        assert_eq!(parse_cell("B2"), Some((1, 1)));
        assert_eq!(parse_cell("$AA$10"), Some((9, 26)));
        assert_eq!(parse_cell("B0"), None);
        assert_eq!(parse_range("B2:F100").unwrap(), ((1, 1), (99, 5)));
        assert!(parse_range("F100:B2").is_err());
        assert!(parse_range("B2").is_err());
    }
}
