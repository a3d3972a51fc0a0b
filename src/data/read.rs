//! `read_data`: one entry point for data files, dispatching on the extension — `.csv` (the CSV
//! reader), `.tsv` (tab-separated), `.txt` (the delimiter chosen from the header line, and
//! said), `.xlsx` / `.xlsm` / `.xls` / `.ods` ([`super::sheet`]) and `.dta` ([`super::stata`]).

use super::csv::{read_csv, strip_bom, CsvOptions};
use super::sheet::{read_sheet, SheetOptions};
use super::stata::{read_dta, DtaOptions};
use super::Frame;
use crate::error::{Error, Result};

/// The extensions [`read_data`] reads, for messages.
pub const SUPPORTED: &str = ".csv, .tsv, .txt, .xlsx, .xlsm, .xls, .ods, .dta";

/// The kind of a data file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`: comma-separated (or the `delimiter` option).
    Csv,
    /// `.tsv`: tab-separated.
    Tsv,
    /// `.txt`: delimited text whose delimiter (tab, `;` or `,`) is chosen from the header line.
    Txt,
    /// `.xlsx`, `.xlsm`, `.xls`, `.ods`: a spreadsheet workbook.
    Sheet,
    /// `.dta`: a Stata data file.
    Dta,
}

impl Format {
    /// The format of `path` by its extension (any case); another extension is an error that
    /// lists the supported ones.
    pub fn of(path: &str) -> Result<Format> {
        Ok(match crate::io::extension(path).as_str() {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "txt" => Format::Txt,
            "xlsx" | "xlsm" | "xls" | "ods" => Format::Sheet,
            "dta" => Format::Dta,
            other => {
                let got = if other.is_empty() {
                    "has no extension".to_string()
                } else {
                    format!("has the extension .{other}")
                };
                return Err(Error::invalid(format!(
                    "{path}: {got}, which read_data does not read; it reads {SUPPORTED} \
                     (rename the file, or use read_csv with the option delimiter for other delimited text)"
                )));
            }
        })
    }

    /// True for the delimited-text formats (`.csv`, `.tsv`, `.txt`).
    pub fn is_text(self) -> bool {
        matches!(self, Format::Csv | Format::Tsv | Format::Txt)
    }
}

/// Options for [`read_data`]; each format uses its own part.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Delimited text (`.csv`, `.tsv`, `.txt`); `missing` also applies to spreadsheets.
    pub csv: CsvOptions,
    /// The delimiter the caller asked for, which wins over the one the extension implies.
    pub delimiter: Option<u8>,
    /// Spreadsheets: `sheet` and `range` (its `missing` is taken from `csv`).
    pub sheet: SheetOptions,
    /// Stata files.
    pub dta: DtaOptions,
}

/// The delimiter of a delimited-text file of format `format` and a note when it was chosen
/// from the file: `given` when the caller gave one; tab for `.tsv`; for `.txt` the most
/// frequent of tab, `;` and `,` outside quotes in the header line (the first non-blank line
/// after `skip` lines and lines starting with `comment`; ties go to tab, then `;`), with a note
/// saying which was chosen; `,` for `.csv`.
pub fn text_delimiter(
    path: &str,
    format: Format,
    given: Option<u8>,
    skip: usize,
    comment: Option<u8>,
) -> Result<(u8, Option<String>)> {
    if let Some(d) = given {
        return Ok((d, None));
    }
    match format {
        Format::Tsv => return Ok((b'\t', None)),
        Format::Txt => {}
        _ => return Ok((b',', None)),
    }
    let bytes = crate::io::read_file(path)?;
    let text = String::from_utf8_lossy(strip_bom(&bytes));
    let header = text
        .lines()
        .skip(skip)
        .filter(|l| comment.is_none_or(|c| l.trim_start().as_bytes().first() != Some(&c)))
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let counts = count_outside_quotes(header);
    let names = ["tab", "semicolon (;)", "comma (,)"];
    let (best, &n) = counts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .unwrap_or((2, &0));
    let delim = [b'\t', b';', b','][best];
    let note = if n == 0 {
        format!(
            "{path}: the header line has no tab, ';' or ','; read as one column (give the option delimiter to choose one)"
        )
    } else {
        format!(
            "{path}: read as {}-separated: the header line has {} tab(s), {} ';' and {} ','; give the option delimiter to choose another",
            names[best].split(' ').next().unwrap_or(""),
            counts[0],
            counts[1],
            counts[2]
        )
    };
    Ok((delim, Some(note)))
}

/// Counts of tab, `;` and `,` in `line` outside double-quoted fields.
fn count_outside_quotes(line: &str) -> [usize; 3] {
    let mut counts = [0; 3];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            '\t' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            ',' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    counts
}

/// Reads the data file `path` by its extension (see the module doc), with the notes to show
/// the user: the delimiter chosen for a `.txt` file, the sheet read from a workbook of several,
/// error cells of a sheet read as missing.
pub fn read_data(path: &str, opts: &ReadOptions) -> Result<(Frame, Vec<String>)> {
    let format = Format::of(path)?;
    match format {
        Format::Csv | Format::Tsv | Format::Txt => {
            let (delimiter, note) = text_delimiter(path, format, opts.delimiter, opts.csv.skip, opts.csv.comment)?;
            let csv = CsvOptions {
                delimiter,
                ..opts.csv.clone()
            };
            Ok((read_csv(path, &csv)?, note.into_iter().collect()))
        }
        Format::Sheet => {
            let sheet = SheetOptions {
                missing: opts.csv.missing.clone(),
                ..opts.sheet.clone()
            };
            read_sheet(path, &sheet)
        }
        Format::Dta => Ok((read_dta(path, &opts.dta)?, Vec::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of("a/b.CSV").unwrap(), Format::Csv);
        assert_eq!(Format::of("b.xlsx").unwrap(), Format::Sheet);
        assert_eq!(Format::of("b.dta").unwrap(), Format::Dta);
        let e = Format::of("b.sav").unwrap_err().to_string();
        assert!(e.contains(".sav") && e.contains(".xlsx") && e.contains(".dta"), "{e}");
    }

    #[test]
    fn counts_delimiters_outside_quotes() {
        assert_eq!(count_outside_quotes("a;\"b,c\";d"), [0, 2, 0]);
        assert_eq!(count_outside_quotes("a\tb\tc"), [2, 0, 0]);
    }
}
