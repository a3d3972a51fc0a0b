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
//! `;` (or a tab) is an error suggesting the delimiter (and `decimal: ","` when the cells look
//! like `1,5`).
//!
//! Options ([`CsvOptions`]): `encoding` decodes the file first (GBK, Big5, Shift-JIS,
//! windows-1252, ... via `encoding_rs`); without it a file that is not UTF-8 is an error that
//! names the line and column and, when the bytes read as GBK/GB18030, suggests
//! `encoding: "gbk"`. `decimal: b','` reads `1,5` and `-0,25` (a cell with a `.` is then
//! text; the kept text of such a column is written with `.`). `skip` lines come before the
//! header; lines starting (after blanks) with the `comment` character are ignored. Line numbers
//! in errors and in [`Origin`] are always those of the file.
//!
//! Speed: cells are parsed from the bytes without a string per cell (a cell keeps its text
//! only when that text is not the plain form of its number), and a large file without quote
//! characters is split at line ends and parsed in parallel (rayon); the result does not depend
//! on the split.

use super::frame::{Column, Frame, Origin};
pub use super::missing::{is_nonfinite_token, CsvOptions};
#[cfg(doc)]
use crate::data::key_of_number;
use crate::data::write_key_of_number;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::borrow::Cow;

/// Reads `path` as CSV with a header row.
pub fn read_csv(path: &str, opts: &CsvOptions) -> Result<Frame> {
    let bytes = crate::io::read_file(path)?;
    parse_csv(&bytes, path, opts)
}

/// Skips a leading UTF-8 byte-order mark (every text reader calls this).
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The encoding named by `label` (WHATWG labels, any case: `"utf-8"`, `"gbk"`, `"gb18030"`,
/// `"big5"`, `"shift_jis"`, `"euc-kr"`, `"windows-1252"`, `"latin1"`, `"utf-16le"`, ...); an
/// unknown label is an error listing common ones.
pub fn encoding_for_label(label: &str) -> Result<&'static encoding_rs::Encoding> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
        .filter(|e| *e != encoding_rs::REPLACEMENT)
        .ok_or_else(|| {
            Error::invalid(format!(
                "unknown encoding '{label}'; use a label such as \"utf-8\", \"gbk\", \"gb18030\", \"big5\", \
                 \"shift_jis\", \"euc-kr\", \"windows-1252\" (or \"latin1\") or \"utf-16le\""
            ))
        })
}

impl CsvOptions {
    /// Checks the options together: a known `encoding`, a `decimal` of `.` or `,` that differs
    /// from the delimiter, a `comment` character that is not the delimiter or a quote.
    pub fn check(&self) -> Result<()> {
        if let Some(e) = &self.encoding {
            encoding_for_label(e)?;
        }
        if self.decimal != b'.' && self.decimal != b',' {
            return Err(Error::invalid(format!(
                "option decimal must be \".\" or \",\", got \"{}\"",
                self.decimal.escape_ascii()
            )));
        }
        if self.decimal == self.delimiter {
            return Err(Error::invalid(format!(
                "options decimal \"{0}\" and delimiter \"{0}\" are the same character, so 1{0}5 could not be told \
                 from two cells; decimal-comma files are separated by semicolons: use delimiter: \";\" with \
                 decimal: \",\"",
                self.decimal.escape_ascii()
            )));
        }
        if let Some(c) = self.comment {
            if c == self.delimiter || c == b'"' || c == b'\n' || c == b'\r' || !c.is_ascii() {
                return Err(Error::invalid(format!(
                    "option comment \"{}\" must be one ASCII character other than the delimiter, a quote or a \
                     line end, e.g. \"#\"",
                    c.escape_ascii()
                )));
            }
        }
        Ok(())
    }
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

/// The first `skip` lines removed: the rest and the number of lines removed. Fewer lines than
/// `skip` is an error.
fn skip_lines<'a>(bytes: &'a [u8], skip: usize, path: &str) -> Result<&'a [u8]> {
    let mut rest = bytes;
    for k in 0..skip {
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => rest = &rest[i + 1..],
            None if !rest.is_empty() && k + 1 == skip => rest = &[],
            None => {
                return Err(Error::Parse {
                    path: path.to_string(),
                    line: k as u64 + 1,
                    column: 1,
                    message: format!(
                        "option skip: {skip} skips more lines than the file has ({}); it counts the lines \
                         before the header row",
                        k + usize::from(!rest.is_empty())
                    ),
                })
            }
        }
    }
    Ok(rest)
}

/// `bytes` with the text of every comment line removed (its line end kept, so line numbers
/// stay those of the file): a line whose first non-blank byte is `comment`, outside a quoted
/// field.
fn strip_comments(bytes: &[u8], comment: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut quoted = false;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let first = line.iter().find(|&&b| b != b' ' && b != b'\t');
        if !quoted && first == Some(&comment) {
            if line.ends_with(b"\n") {
                out.push(b'\n');
            }
            continue;
        }
        quoted ^= line.iter().filter(|&&b| b == b'"').count() % 2 == 1;
        out.extend_from_slice(line);
    }
    out
}

/// 1-based line and field of byte `pos` of `bytes` (fields counted by delimiters on the line).
fn line_and_field(bytes: &[u8], pos: usize, delimiter: u8) -> (u64, u64) {
    let before = &bytes[..pos.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let field = before[start..].iter().filter(|&&b| b == delimiter).count() as u64 + 1;
    (line, field)
}

/// The advice given when a file is not valid UTF-8 and no encoding was given: never decoded
/// by guess, but GBK/GB18030 is suggested when the bytes read cleanly as such.
fn not_utf8_advice(bytes: &[u8]) -> String {
    let gb = encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .is_some();
    if gb {
        "; the file reads as GBK/GB18030 (Chinese text): if it is, read it with #{encoding: \"gbk\"} \
         (read_csv(path, #{encoding: \"gbk\"})); otherwise give its encoding (e.g. \"big5\", \"shift_jis\", \
         \"windows-1252\") or save it as UTF-8"
            .into()
    } else {
        "; give its encoding, e.g. #{encoding: \"windows-1252\"} (or \"big5\", \"shift_jis\", \"euc-kr\"), or \
         save the file as UTF-8"
            .into()
    }
}

/// `bytes` decoded from `opts.encoding` into UTF-8 (borrowed when the encoding is UTF-8 or not
/// given). A byte sequence that is not valid in the encoding is an error naming its line.
fn decode<'a>(bytes: &'a [u8], path: &str, opts: &CsvOptions) -> Result<Cow<'a, [u8]>> {
    let Some(label) = &opts.encoding else {
        return Ok(Cow::Borrowed(strip_bom(bytes)));
    };
    let enc = encoding_for_label(label)?;
    if enc == encoding_rs::UTF_8 {
        return Ok(Cow::Borrowed(strip_bom(bytes)));
    }
    // A byte-order mark of the encoding itself (UTF-16) is removed; another one wins, as in
    // every browser.
    let (enc, bom) = encoding_rs::Encoding::for_bom(bytes).unwrap_or((enc, 0));
    let body = &bytes[bom..];
    match enc.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Ok(Cow::Owned(text.into_owned().into_bytes())),
        None => {
            let mut dec = enc.new_decoder_without_bom_handling();
            let mut out = String::with_capacity(body.len() * 2 + 16);
            let (_, read) = dec.decode_to_string_without_replacement(body, &mut out, true);
            let (line, column) = line_and_field(body, read.saturating_sub(1), opts.delimiter);
            Err(Error::Parse {
                path: path.to_string(),
                line,
                column,
                message: format!(
                    "these bytes are not valid {} text (option encoding: \"{label}\"); give the file's \
                     encoding (e.g. \"utf-8\", \"gbk\", \"big5\", \"windows-1252\")",
                    enc.name()
                ),
            })
        }
    }
}

/// True when `s` is exactly [`key_of_number`]`(x)`, the plain form of finite `x`. Most cells are
/// decided from their characters alone (see [`quick_plain`]); the rest by printing `x` into
/// `buf`.
pub(crate) fn is_plain(s: &str, x: f64, buf: &mut String) -> bool {
    if !x.is_finite() {
        return false;
    }
    match quick_plain(s.as_bytes(), x) {
        Some(b) => b,
        None => {
            buf.clear();
            write_key_of_number(buf, x);
            buf == s
        }
    }
}

/// Whether `s` (which reads as the finite number `x`) is its plain form, decided without
/// printing `x`; `None` when only printing can tell. The plain form is a `-` or a digit first,
/// digits with at most one `.`, no exponent, no leading zero (but `0.5`), no trailing zero
/// after the point, no `-0`. A text of that shape with at most 15 significant digits is the
/// plain form: it is the only decimal of ≤ 15 digits that reads as `x` (two such decimals are
/// at least 10⁻¹⁵·|x| apart, more than the spacing of doubles, 2⁻⁵²·|x|), so it is the shortest
/// that reads back, which is what `{}` prints; an integer prints as itself below 10¹⁵.
fn quick_plain(s: &[u8], x: f64) -> Option<bool> {
    let d = s.strip_prefix(b"-").unwrap_or(s);
    let neg = d.len() != s.len();
    if d.first().is_none_or(|b| !b.is_ascii_digit()) {
        return Some(false);
    }
    let (int, frac) = match d.iter().position(|&b| b == b'.') {
        Some(p) => (&d[..p], Some(&d[p + 1..])),
        None => (d, None),
    };
    if !int.iter().all(u8::is_ascii_digit) || frac.is_some_and(|f| !f.iter().all(u8::is_ascii_digit)) {
        return Some(false);
    }
    if int.len() > 1 && int[0] == b'0' {
        return Some(false);
    }
    match frac {
        None => {
            if neg && int == b"0" {
                Some(false)
            } else if int.len() <= 15 {
                Some(true)
            } else {
                None
            }
        }
        Some(f) => {
            if f.is_empty() || f.ends_with(b"0") {
                return Some(false);
            }
            let sig = if int == b"0" {
                f.len() - f.iter().take_while(|&&b| b == b'0').count()
            } else {
                int.len() + f.len()
            };
            (sig <= 15 && x.abs() > 1e-300).then_some(true)
        }
    }
}

/// A column being read: numbers (with the cells whose text is not the plain form of their
/// number) while every number is written in its plain form, numbers with every text kept from
/// the first number that is not, text from the first cell that is neither a number nor a
/// missing marker.
enum Build {
    Num {
        v: Vec<f64>,
        /// (row, text as written) of the cells whose text is not the plain form of their number
        /// (missing markers, ` 5` with blanks), in row order.
        written: Vec<(usize, String)>,
    },
    Kept {
        v: Vec<f64>,
        texts: Vec<String>,
    },
    Text(Vec<String>),
}

/// What every cell of a read needs: the missing markers, the decimal mark and scratch buffers.
struct Cells<'a> {
    markers: &'a [String],
    decimal: u8,
    norm: String,
    buf: String,
}

impl Cells<'_> {
    fn is_marker(&self, t: &str) -> bool {
        self.markers.iter().any(|m| m == t)
    }

    /// The number `t` (trimmed) reads as, and whether its text was rewritten for the decimal mark
    /// (then the normalized text is in `self.norm`).
    fn number(&mut self, t: &str) -> (Option<f64>, bool) {
        if self.decimal == b'.' {
            return (t.parse().ok(), false);
        }
        if t.contains('.') {
            return (None, false);
        }
        if !t.contains(',') {
            return (t.parse().ok(), false);
        }
        self.norm.clear();
        self.norm.extend(t.chars().map(|c| if c == ',' { '.' } else { c }));
        (self.norm.parse().ok(), true)
    }
}

/// The texts of a numeric column as written: the kept texts, the plain form of the others.
fn texts_of(v: &[f64], written: Vec<(usize, String)>) -> Vec<String> {
    let mut it = written.into_iter().peekable();
    v.iter()
        .enumerate()
        .map(|(r, &x)| match it.next_if(|(w, _)| *w == r) {
            Some((_, s)) => s,
            None => crate::data::key_of_number(x),
        })
        .collect()
}

impl Build {
    fn new(rows: usize) -> Build {
        Build::Num {
            v: Vec::with_capacity(rows),
            written: Vec::new(),
        }
    }

    fn push(&mut self, raw: &str, cells: &mut Cells) {
        let t = raw.trim();
        let marker = !matches!(self, Build::Text(_)) && cells.is_marker(t);
        match self {
            Build::Text(texts) => texts.push(raw.to_string()),
            Build::Kept { v, texts } => {
                let x = if marker { Some(f64::NAN) } else { cells.number(t).0 };
                match x {
                    Some(x) => {
                        v.push(if x.is_finite() { x } else { f64::NAN });
                        texts.push(raw.to_string());
                    }
                    None => {
                        let mut texts = std::mem::take(texts);
                        texts.push(raw.to_string());
                        *self = Build::Text(texts);
                    }
                }
            }
            Build::Num { v, written } => {
                if marker {
                    written.push((v.len(), raw.to_string()));
                    v.push(f64::NAN);
                    return;
                }
                match cells.number(t) {
                    (Some(x), normalized) => {
                        let cell_plain = if normalized {
                            is_plain(&cells.norm, x, &mut cells.buf)
                        } else {
                            is_plain(t, x, &mut cells.buf)
                        };
                        if cell_plain {
                            if normalized || raw.len() != t.len() {
                                written.push((v.len(), raw.to_string()));
                            }
                            v.push(x);
                        } else {
                            let mut texts = texts_of(v, std::mem::take(written));
                            texts.reserve(v.capacity().saturating_sub(texts.len()));
                            texts.push(raw.to_string());
                            let mut v = std::mem::take(v);
                            v.push(if x.is_finite() { x } else { f64::NAN });
                            *self = Build::Kept { v, texts };
                        }
                    }
                    (None, _) => {
                        let mut texts = texts_of(v, std::mem::take(written));
                        texts.push(raw.to_string());
                        *self = Build::Text(texts);
                    }
                }
            }
        }
    }
}

/// The line of records read in order from `data`, counted from its first line (1): the line
/// ends before the record's first byte (a record's position in the `csv` reader is where the
/// previous one ended, before blank lines and line ends).
struct LineCounter<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8]) -> Self {
        LineCounter { data, pos: 0, line: 1 }
    }

    /// The line of the record whose position is `byte` (not before the previous one asked).
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = (byte as usize).min(self.data.len()).max(self.pos);
        while start < self.data.len() && matches!(self.data[start], b'\n' | b'\r') {
            start += 1;
        }
        self.line += self.data[self.pos..start].iter().filter(|&&b| b == b'\n').count() as u64;
        self.pos = start;
        self.line
    }
}

/// The rows of one piece of the data: its columns, the line of each row counted from the
/// piece's first line (1), and the number of line ends in the piece.
struct Piece {
    cols: Vec<Build>,
    lines: Vec<u64>,
    newlines: u64,
}

/// An error in a piece: line (counted from the piece's first line, 1), column, message.
type PieceErr = (u64, u64, String);

/// What a read of the data rows needs besides the bytes.
struct Ctx<'a> {
    names: &'a [String],
    opts: &'a CsvOptions,
    /// The whole (decoded) file, for the advice of a UTF-8 error.
    file: &'a [u8],
}

impl Ctx<'_> {
    /// Reads the records of `data` (lines counted from its first line).
    fn piece(&self, data: &[u8]) -> std::result::Result<Piece, PieceErr> {
        let ncol = self.names.len();
        let newlines = data.iter().filter(|&&b| b == b'\n').count();
        let rows = newlines + 1;
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(self.opts.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(data);
        let mut cols: Vec<Build> = (0..ncol).map(|_| Build::new(rows)).collect();
        let mut lines = Vec::with_capacity(rows);
        let mut cells = Cells {
            markers: &self.opts.missing,
            decimal: self.opts.decimal,
            norm: String::new(),
            buf: String::new(),
        };
        let mut rec = csv::ByteRecord::new();
        let mut lines_to = LineCounter::new(data);
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    let line = lines_to.at(rec.position().map_or(0, |p| p.byte()));
                    if rec.len() == 1 && rec.get(0) == Some(b"") && ncol > 1 {
                        continue; // blank line
                    }
                    if rec.len() != ncol {
                        return Err((
                            line,
                            rec.len().min(ncol) as u64 + 1,
                            format!(
                                "this row has {} fields but the header has {ncol}; every row needs one value per column",
                                rec.len()
                            ),
                        ));
                    }
                    for (j, field) in rec.iter().enumerate() {
                        let s = std::str::from_utf8(field).map_err(|_| {
                            (
                                line,
                                j as u64 + 1,
                                format!(
                                    "value in column '{}' is not valid UTF-8{}",
                                    self.names[j],
                                    not_utf8_advice(self.file)
                                ),
                            )
                        })?;
                        cols[j].push(s, &mut cells);
                    }
                    lines.push(line);
                }
                Err(e) => return Err((lines_to.at(e.position().map_or(0, |p| p.byte())), 1, e.to_string())),
            }
        }
        Ok(Piece {
            cols,
            lines,
            newlines: newlines as u64,
        })
    }
}

/// `data` cut at line ends into about `parts` pieces of similar size: (offset, piece).
fn split_lines(data: &[u8], parts: usize) -> Vec<(usize, &[u8])> {
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..=parts {
        let target = if k == parts { data.len() } else { data.len() * k / parts };
        if target <= start {
            continue;
        }
        let end = if k == parts {
            data.len()
        } else {
            data[target..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(data.len(), |i| target + i + 1)
        };
        out.push((start, &data[start..end]));
        start = end;
        if start == data.len() {
            break;
        }
    }
    out
}

/// Files larger than this, without quote characters, are parsed in parallel pieces.
const PARALLEL_BYTES: usize = 1 << 20;

/// Parses CSV bytes; `path` is used in error messages only.
pub fn parse_csv(bytes: &[u8], path: &str, opts: &CsvOptions) -> Result<Frame> {
    opts.check()?;
    let parse_err = |line: u64, column: u64, message: String| Error::Parse {
        path: path.to_string(),
        line,
        column,
        message,
    };
    let decoded = decode(bytes, path, opts)?;
    let after_skip = skip_lines(&decoded, opts.skip, path)?;
    let line_off = opts.skip as u64;
    let body: Cow<[u8]> = match opts.comment {
        Some(c) => Cow::Owned(strip_comments(after_skip, c)),
        None => Cow::Borrowed(after_skip),
    };
    let body: &[u8] = &body;
    let quotes = body.contains(&b'"');
    if let Some(line) = if quotes {
        unclosed_quote(body, opts.delimiter)
    } else {
        None
    } {
        return Err(parse_err(
            line + line_off,
            1,
            "a quoted field opens on this line (\") and is never closed, so the rest of the \
             file would be read into one cell; close the quote or remove it"
                .into(),
        ));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(opts.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut header = csv::ByteRecord::new();
    let got = rdr
        .read_byte_record(&mut header)
        .map_err(|e| parse_err(line_off + e.position().map_or(1, |p| p.line()), 1, e.to_string()))?;
    if !got {
        let message = if opts.skip > 0 {
            format!("no header row after the {} skipped line(s) (option skip)", opts.skip)
        } else {
            "the file is empty: expected a header row".into()
        };
        return Err(parse_err(line_off + 1, 1, message));
    }
    let hline = line_off + LineCounter::new(body).at(header.position().map_or(0, |p| p.byte()));
    let mut names = Vec::with_capacity(header.len());
    for (j, h) in header.iter().enumerate() {
        let name = std::str::from_utf8(h)
            .map_err(|_| {
                parse_err(
                    hline,
                    j as u64 + 1,
                    format!("column name is not valid UTF-8{}", not_utf8_advice(&decoded)),
                )
            })?
            .trim()
            .to_string();
        if name.is_empty() {
            return Err(parse_err(hline, j as u64 + 1, "empty column name in the header".into()));
        }
        if names.contains(&name) {
            return Err(parse_err(
                hline,
                j as u64 + 1,
                format!("duplicate column name '{name}'"),
            ));
        }
        names.push(name);
    }
    let data_start = rdr.position().byte() as usize;
    // The line where the data start, less one (a piece counts its lines from 1).
    let data_line0 = line_off
        + body[..data_start.min(body.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
    let data = &body[data_start.min(body.len())..];
    if names.len() == 1 && opts.delimiter != b';' && opts.delimiter != b'\t' {
        for (sep, shown, what) in [(';', ";", "semicolon"), ('\t', "\\t", "tab")] {
            if names[0].contains(sep) {
                let decimal = if sep == ';' && looks_decimal_comma(data) {
                    ", decimal: \",\""
                } else {
                    ""
                };
                return Err(parse_err(
                    hline,
                    1,
                    format!(
                        "the header is one column '{}' that contains '{shown}': the file looks {what}-separated; \
                         read it with the option delimiter: \"{shown}\" (read_csv(path, #{{delimiter: \"{shown}\"{decimal}}})){}",
                        names[0],
                        if decimal.is_empty() {
                            ""
                        } else {
                            "; its numbers are written with a decimal comma (1,5), hence decimal: \",\""
                        }
                    ),
                ));
            }
        }
    }
    let ctx = Ctx {
        names: &names,
        opts,
        file: &decoded,
    };
    let parts = if data.len() > PARALLEL_BYTES && !quotes {
        rayon::current_num_threads().clamp(1, data.len() / (PARALLEL_BYTES / 2))
    } else {
        1
    };
    let results: Vec<std::result::Result<Piece, PieceErr>> = if parts > 1 {
        split_lines(data, parts).par_iter().map(|(_, p)| ctx.piece(p)).collect()
    } else {
        vec![ctx.piece(data)]
    };
    // Lines counted from each piece's start become lines of the file; the first error in file
    // order is the one reported.
    let mut pieces = Vec::with_capacity(results.len());
    let mut before = data_line0;
    for r in results {
        match r {
            Ok(mut p) => {
                for l in &mut p.lines {
                    *l += before;
                }
                before += p.newlines;
                pieces.push(p);
            }
            Err((line, column, message)) => return Err(parse_err(before + line, column, message)),
        }
    }
    assemble(names, pieces, path, opts)
}

/// True when a data line of a `;` file read with commas holds a decimal-comma number (`1,5`).
fn looks_decimal_comma(data: &[u8]) -> bool {
    let line = data
        .split(|&b| b == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or(&[]);
    line.split(|&b| b == b';').any(|cell| {
        let c = cell.trim_ascii();
        let c = c.strip_prefix(b"-").unwrap_or(c);
        match c.iter().position(|&b| b == b',') {
            Some(p) => {
                p > 0
                    && p + 1 < c.len()
                    && c[..p].iter().all(u8::is_ascii_digit)
                    && c[p + 1..].iter().all(u8::is_ascii_digit)
            }
            None => false,
        }
    })
}

/// The frame from the pieces' columns, in order: a column is numeric when it is numeric in
/// every piece; a numeric column keeps its texts as written when some number is not written in
/// its plain form (with `decimal: ","` those texts are written with `.`).
fn assemble(names: Vec<String>, pieces: Vec<Piece>, path: &str, opts: &CsvOptions) -> Result<Frame> {
    let total: usize = pieces.iter().map(|p| p.lines.len()).sum();
    let mut lines = Vec::new();
    let mut per_col: Vec<Vec<Build>> = names.iter().map(|_| Vec::with_capacity(pieces.len())).collect();
    for p in pieces {
        if lines.is_empty() {
            lines = p.lines;
            lines.reserve(total - lines.len());
        } else {
            lines.extend(p.lines);
        }
        for (j, b) in p.cols.into_iter().enumerate() {
            per_col[j].push(b);
        }
    }
    let built: Vec<(Column, Option<Vec<String>>)> = per_col.into_par_iter().map(|b| merge(b, opts.decimal)).collect();
    let mut written = Vec::new();
    let mut cols = Vec::with_capacity(names.len());
    for (name, (col, text)) in names.into_iter().zip(built) {
        if let Some(t) = text {
            written.push((name.clone(), t));
        }
        cols.push((name, col));
    }
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

/// One column from its pieces, with its texts as written when they are kept. The first
/// piece's vectors grow to hold the others (a large vector grows in place).
fn merge(parts: Vec<Build>, decimal: u8) -> (Column, Option<Vec<String>>) {
    let n: usize = parts
        .iter()
        .map(|b| match b {
            Build::Num { v, .. } | Build::Kept { v, .. } => v.len(),
            Build::Text(t) => t.len(),
        })
        .sum();
    let numeric = !parts.iter().any(|b| matches!(b, Build::Text(_)));
    let kept = parts.iter().any(|b| matches!(b, Build::Kept { .. }));
    let mut values: Vec<f64> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    for b in parts {
        // The texts of this piece, when the column keeps them or is text.
        let piece_texts = match b {
            Build::Num { v, written } => {
                let t = (!numeric || kept).then(|| texts_of(&v, written));
                if numeric {
                    append(&mut values, v, n);
                }
                t
            }
            Build::Kept { v, texts: t } => {
                if numeric {
                    append(&mut values, v, n);
                }
                Some(t)
            }
            Build::Text(t) => Some(t),
        };
        if let Some(t) = piece_texts {
            append(&mut texts, t, n);
        }
    }
    if !numeric {
        return (Column::Text(texts), None);
    }
    if !kept {
        return (Column::Num(values), None);
    }
    if decimal == b',' {
        for s in &mut texts {
            if s.contains(',') {
                *s = s.replace(',', ".");
            }
        }
    }
    (Column::Num(values), Some(texts))
}

/// Appends `part` to `all` (of `n` elements in the end); the first part becomes `all`.
fn append<T>(all: &mut Vec<T>, part: Vec<T>, n: usize) {
    if all.is_empty() {
        *all = part;
        all.reserve(n.saturating_sub(all.len()));
    } else {
        all.extend(part);
    }
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

    /// The reader before issue 15 (a string per cell, `key_of_number` per cell), kept as the
    /// oracle of the values, the column types and the kept texts.
    fn old_reader(s: &str) -> Vec<(String, Column, Option<Vec<String>>)> {
        let mut lines = s.lines();
        let names: Vec<String> = lines.next().unwrap().split(',').map(|h| h.trim().to_string()).collect();
        let mut cells: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        for l in lines.filter(|l| !l.is_empty()) {
            for (j, c) in l.split(',').enumerate() {
                cells[j].push(c.to_string());
            }
        }
        let markers = CsvOptions::default().missing;
        let is_marker = |s: &str| markers.iter().any(|m| m == s.trim());
        names
            .into_iter()
            .zip(cells)
            .map(|(name, vals)| {
                if vals.iter().all(|s| is_marker(s) || s.trim().parse::<f64>().is_ok()) {
                    let mut plain = true;
                    let v = vals
                        .iter()
                        .map(|s| {
                            if is_marker(s) {
                                return f64::NAN;
                            }
                            let t = s.trim();
                            let x: f64 = t.parse().unwrap();
                            if !(x.is_finite() && crate::data::key_of_number(x) == t) {
                                plain = false;
                            }
                            if x.is_finite() {
                                x
                            } else {
                                f64::NAN
                            }
                        })
                        .collect();
                    (name, Column::Num(v), (!plain).then_some(vals))
                } else {
                    (name, Column::Text(vals), None)
                }
            })
            .collect()
    }

    #[test]
    fn same_frame_as_the_reader_before_issue_15() {
        let forms = [
            "0",
            "-0",
            "7",
            "-12",
            "007",
            "1.0",
            "1.50",
            "0.5",
            ".5",
            "5.",
            "+3",
            " 4",
            "12E4",
            "1e-7",
            "0.30000000000000004",
            "0.1",
            "123456789012345",
            "1234567890123456",
            "12345678901234567",
            "1.2345678901234567",
            "9007199254740993",
            "-2.5e-310",
            "1e300",
            "0.000123",
            "inf",
            "-Infinity",
            "NaN",
            "NA",
            ".",
            "",
            "3.14159",
            "2.718281828459045",
            "100000000000000000000",
            "0.10000000000000001",
            "1.0000000000000002",
            "0.30000000000000000444",
            "4.35",
        ];
        let mut state = 7u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..200 {
            let mut s = String::from("a,b,c\n");
            let rows = 1 + (next() % 6) as usize;
            for _ in 0..rows {
                let mut cell = || -> String {
                    let k = next();
                    match k % 10 {
                        0 => format!("{}", f64::from_bits(next() >> 2) * 1e-300),
                        1 => format!("{:.17e}", (next() >> 11) as f64 / 9e15),
                        2 => format!("{}", (next() >> 11) as f64 / 9e15),
                        3 if round % 7 == 0 => "x".into(),
                        _ => forms[(next() % forms.len() as u64) as usize].into(),
                    }
                };
                let (x, y, z) = (cell(), cell(), cell());
                s += &format!("{x},{y},{z}\n");
            }
            let new = parse_csv(s.as_bytes(), "t.csv", &CsvOptions::default()).unwrap();
            for (name, col, text) in old_reader(&s) {
                let got = new.column(&name).unwrap();
                let same = match (&col, got) {
                    (Column::Num(a), Column::Num(b)) => a.iter().map(|x| x.to_bits()).eq(b.iter().map(|x| x.to_bits())),
                    (a, b) => a == b,
                };
                assert!(same, "column {name} of\n{s}");
                assert_eq!(
                    new.written_text(&name).map(<[String]>::to_vec),
                    text,
                    "texts of {name} in\n{s}"
                );
            }
        }
    }

    #[test]
    fn text_cell_in_numeric_use_names_line() {
        let f = p("a,b\n1,2\n3,x\n").unwrap();
        let e = f.numeric("b").unwrap_err().to_string();
        assert!(e.starts_with("t.csv:3:2:") && e.contains("'x'"), "{e}");
    }
}
