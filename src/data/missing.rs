//! What counts as missing, shared by the CSV reader (`csv.rs`) and the frame
//! (`frame.rs`): the reader options with their missing markers, and the rule that every
//! spelling of a non-finite number is missing. Both import from here, so neither imports the
//! other.

/// Options for `data::csv::read_csv`.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Field delimiter (default `,`).
    pub delimiter: u8,
    /// Tokens read as missing (default `""`, `"NA"`, `"."`). Non-finite spellings (`inf`,
    /// `NaN`, ...) are always missing as well.
    pub missing: Vec<String>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            missing: vec![String::new(), "NA".into(), ".".into()],
        }
    }
}

/// True for the text of a non-finite number in any spelling Rust reads (`inf`, `-Infinity`,
/// `NaN`, any case): such cells are missing values.
pub fn is_nonfinite_token(s: &str) -> bool {
    s.trim().parse::<f64>().is_ok_and(|x| !x.is_finite())
}
