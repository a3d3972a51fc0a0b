//! CSV reading into a [`Frame`]: numeric columns inferred, missing tokens become NaN, quoted
//! fields and UTF-8 names supported; every error names the file, line and column.
//!
//! Missing values: the tokens of [`CsvOptions::missing`] (default empty, `NA`, `.`) and every
//! spelling of a non-finite number (`inf`, `-inf`, `Inf`, `Infinity`, `NaN`, any case, with
//! or without a sign) are missing, so estimators refuse them by name. A numeric column keeps
//! the text of its cells when some cell is not written in the plain form of its number (`001`,
//! `1.0`, `12E4`, `12345678901234567`, `inf`): ids and periods are that text (see
//! [`Frame::keys`]). A leading UTF-8 byte-order mark is skipped. A quoted field that is never
//! closed is an error naming the line where it opened; a header that is one column containing
//! `;` (or a tab) is an error suggesting the delimiter.

use super::frame::{Column, Frame, Origin};
pub use super::missing::{is_nonfinite_token, CsvOptions};
#[cfg(doc)]
use crate::data::key_of_number;
use crate::error::{Error, Result};

/// Reads `path` as CSV with a header row.
pub fn read_csv(path: &str, opts: &CsvOptions) -> Result<Frame> {
    let bytes = crate::io::read_file(path)?;
    parse_csv(&bytes, path, opts)
}

/// Skips a leading UTF-8 byte-order mark (every text reader calls this).
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The line where a quoted field opens that is never closed, if any (RFC 4180 quoting as the
/// `csv` reader does it: a quote opens a quoted field only at the start of a field).
fn unclosed_quote(bytes: &[u8], delimiter: u8) -> Option<u64> {
    #[derive(PartialEq)]
    enum S {
        Start,
        Plain,
        Quoted,
        QuoteInQuoted,
    }
    let (mut state, mut line, mut opened) = (S::Start, 1u64, 0u64);
    for &b in bytes {
        state = match (state, b) {
            (S::Start, b'"') => {
                opened = line;
                S::Quoted
            }
            (S::Quoted, b'"') => S::QuoteInQuoted,
            (S::Quoted, _) => S::Quoted,
            (S::QuoteInQuoted, b'"') => S::Quoted,
            (_, b'\n') | (_, b'\r') => S::Start,
            (_, d) if d == delimiter => S::Start,
            _ => S::Plain,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (state == S::Quoted).then_some(opened)
}

/// True when trimmed `s` is the plain form of finite `x` (the form [`key_of_number`] prints).
/// A non-finite cell (`inf`, `NaN`) is never plain, so its text is kept for error messages.
pub(crate) fn is_plain(s: &str, x: f64) -> bool {
    if !x.is_finite() {
        return false;
    }
    let b = s.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) && (b[0] != b'0' || b.len() == 1) {
        return true;
    }
    crate::data::key_of_number(x) == s
}

/// Parses CSV bytes; `path` is used in error messages only.
pub fn parse_csv(bytes: &[u8], path: &str, opts: &CsvOptions) -> Result<Frame> {
    let bytes = strip_bom(bytes);
    if let Some(line) = unclosed_quote(bytes, opts.delimiter) {
        return Err(Error::Parse {
            path: path.to_string(),
            line,
            column: 1,
            message: "a quoted field opens on this line (\") and is never closed, so the rest of the \
                      file would be read into one cell; close the quote or remove it"
                .into(),
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let parse_err = |line: u64, column: u64, message: String| Error::Parse {
        path: path.to_string(),
        line,
        column,
        message,
    };
    let map_csv = |e: csv::Error| -> Error {
        let line = e.position().map_or(0, |p| p.line());
        match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => parse_err(
                line,
                (*len).min(*expected_len) + 1,
                format!(
                    "this row has {len} fields but the header has {expected_len}; every row needs one value per column"
                ),
            ),
            csv::ErrorKind::Utf8 { err, .. } => parse_err(
                line,
                err.field() as u64 + 1,
                "not valid UTF-8 text; save the file as UTF-8".into(),
            ),
            _ => parse_err(line, 1, e.to_string()),
        }
    };
    let header = rdr.byte_headers().map_err(map_csv)?.clone();
    let mut names = Vec::with_capacity(header.len());
    for (j, h) in header.iter().enumerate() {
        let name = std::str::from_utf8(h)
            .map_err(|_| {
                parse_err(
                    1,
                    j as u64 + 1,
                    "column name is not valid UTF-8; save the file as UTF-8".into(),
                )
            })?
            .trim()
            .to_string();
        if name.is_empty() {
            return Err(parse_err(1, j as u64 + 1, "empty column name in the header".into()));
        }
        if names.contains(&name) {
            return Err(parse_err(1, j as u64 + 1, format!("duplicate column name '{name}'")));
        }
        names.push(name);
    }
    if names.is_empty() {
        return Err(parse_err(1, 1, "the file is empty: expected a header row".into()));
    }
    if names.len() == 1 && opts.delimiter != b';' && opts.delimiter != b'\t' {
        for (sep, shown, what) in [(';', ";", "semicolon"), ('\t', "\\t", "tab")] {
            if names[0].contains(sep) {
                return Err(parse_err(
                    1,
                    1,
                    format!(
                        "the header is one column '{}' that contains '{shown}': the file looks {what}-separated; \
                         read it with the option delimiter: \"{shown}\" (read_csv(path, #{{delimiter: \"{shown}\"}}))",
                        names[0]
                    ),
                ));
            }
        }
    }
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    let mut lines = Vec::new();
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map_or(0, |p| p.line());
                if rec.len() == 1 && rec.get(0) == Some(b"") && names.len() > 1 {
                    continue; // blank line
                }
                for (j, field) in rec.iter().enumerate() {
                    let s = std::str::from_utf8(field).map_err(|_| {
                        parse_err(
                            line,
                            j as u64 + 1,
                            format!(
                                "value in column '{}' is not valid UTF-8; save the file as UTF-8",
                                names[j]
                            ),
                        )
                    })?;
                    cells[j].push(s.to_string());
                }
                lines.push(line);
            }
            Err(e) => return Err(map_csv(e)),
        }
    }
    let is_marker = |s: &str| opts.missing.iter().any(|m| m == s.trim());
    let mut written = Vec::new();
    let cols = names
        .into_iter()
        .zip(cells)
        .map(|(name, vals)| {
            let numeric = vals.iter().all(|s| is_marker(s) || s.trim().parse::<f64>().is_ok());
            let col = if numeric {
                let mut plain = true;
                let v = vals
                    .iter()
                    .map(|s| {
                        if is_marker(s) {
                            return f64::NAN;
                        }
                        let t = s.trim();
                        let x: f64 = t.parse().unwrap_or(f64::NAN);
                        if plain && !is_plain(t, x) {
                            plain = false;
                        }
                        if x.is_finite() {
                            x
                        } else {
                            f64::NAN
                        }
                    })
                    .collect();
                if !plain {
                    written.push((name.clone(), vals));
                }
                Column::Num(v)
            } else {
                Column::Text(vals)
            };
            (name, col)
        })
        .collect();
    let mut f = Frame::from_columns(cols)?.with_origin(Origin {
        path: path.to_string(),
        lines,
        missing: opts.missing.clone(),
    });
    for (name, vals) in written {
        f = f.with_written_text(&name, vals)?;
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Frame> {
        parse_csv(s.as_bytes(), "t.csv", &CsvOptions::default())
    }

    #[test]
    fn infers_types_and_missing() {
        let f = p("id,x,name\n1,2.5,\"长三角, east\"\n2,NA,b\n3,.,c\n").unwrap();
        let x = f.numeric("x").unwrap();
        assert_eq!(x[0], 2.5);
        assert!(x[1].is_nan() && x[2].is_nan());
        match f.column("name").unwrap() {
            Column::Text(v) => assert_eq!(v[0], "长三角, east"),
            _ => panic!("expected text"),
        }
    }

    #[test]
    fn ragged_row_names_line() {
        let e = p("a,b\n1,2\n3\n").unwrap_err().to_string();
        assert!(e.starts_with("t.csv:3:"), "{e}");
        assert!(e.contains("1 fields") && e.contains("header has 2"), "{e}");
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let e = parse_csv(b"a,b\n1,\xff\xfe\n", "t.csv", &CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.csv:2:2:") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn text_cell_in_numeric_use_names_line() {
        let f = p("a,b\n1,2\n3,x\n").unwrap();
        let e = f.numeric("b").unwrap_err().to_string();
        assert!(e.starts_with("t.csv:3:2:") && e.contains("'x'"), "{e}");
    }
}
