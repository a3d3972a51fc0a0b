//! What counts as missing, shared by the CSV reader (`csv.rs`) and the frame
//! (`frame.rs`): the reader options with their missing markers, and the rule that every
//! spelling of a non-finite number is missing. Both import from here, so neither imports the
//! other.

/// Options of `data::csv::read_csv`: the one place the options of reading delimited text live
/// (every reader of text tables takes them). Checked by `CsvOptions::check` (in `csv.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    /// Field delimiter (default `,`).
    pub delimiter: u8,
    /// Tokens read as missing (default `""`, `"NA"`, `"."`). Non-finite spellings (`inf`,
    /// `NaN`, ...) are always missing as well.
    pub missing: Vec<String>,
    /// The text encoding, as a WHATWG label read by `encoding_rs` (`"utf-8"`, `"gbk"`,
    /// `"gb18030"`, `"big5"`, `"shift_jis"`, `"euc-kr"`, `"windows-1252"` or `"latin1"`,
    /// `"utf-16le"`, ...). `None` (default): UTF-8, and a file that is not valid UTF-8 is an
    /// error (never decoded by guess).
    pub encoding: Option<String>,
    /// The decimal mark: `b'.'` (default) or `b','` (`1,5` is 1.5; then the delimiter must not
    /// be `,`).
    pub decimal: u8,
    /// Lines before the header row that are skipped (titles of yearbook tables; default 0).
    pub skip: usize,
    /// Lines whose first non-blank character is this one are ignored (default none).
    pub comment: Option<u8>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            missing: vec![String::new(), "NA".into(), ".".into()],
            encoding: None,
            decimal: b'.',
            skip: 0,
            comment: None,
        }
    }
}

/// True for the text of a non-finite number in any spelling Rust reads (`inf`, `-Infinity`,
/// `NaN`, any case): such cells are missing values.
pub fn is_nonfinite_token(s: &str) -> bool {
    s.trim().parse::<f64>().is_ok_and(|x| !x.is_finite())
}
