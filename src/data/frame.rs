//! A column-oriented data frame: named numeric (`f64`, NaN = missing) or text columns.

use super::{key_of_number, key_of_text};
use crate::error::{closest, Error, Result};
use std::sync::Arc;

/// One column of a [`Frame`].
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers; NaN marks a missing value.
    Num(Vec<f64>),
    /// Text values (a column with at least one non-numeric, non-missing cell).
    Text(Vec<String>),
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }
    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The rows at `idx`, in that order.
    pub fn take(&self, idx: &[usize]) -> Column {
        match self {
            Column::Num(v) => Column::Num(idx.iter().map(|&i| v[i]).collect()),
            Column::Text(v) => Column::Text(idx.iter().map(|&i| v[i].clone()).collect()),
        }
    }
}

/// Where a frame came from, so errors can name the file and line of a bad cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    /// The file path.
    pub path: String,
    /// The 1-based line of each row in that file.
    pub lines: Vec<u64>,
    /// The cell texts read as missing values in that file (the reader's `missing` option).
    pub missing: Vec<String>,
}

/// A data frame: equally long named columns.
///
/// A numeric column read from a file keeps the text of its cells as written when some cell's
/// text is not the plain form of its number (`001`, `1.0`, `12E4`, `12345678901234567`, `inf`):
/// ids and periods ([`Frame::keys`]) and saved files use that text, arithmetic uses the numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    names: Vec<String>,
    cols: Vec<Column>,
    /// Per column: the cells as written, for numeric columns whose text is not the plain form
    /// of their numbers (see the type doc); `None` otherwise.
    texts: Vec<Option<Arc<Vec<String>>>>,
    origin: Option<Origin>,
}

impl Frame {
    /// An empty frame.
    pub fn new() -> Self {
        Self::default()
    }

    /// A frame from named columns; all must have the same length and distinct names.
    pub fn from_columns(cols: Vec<(String, Column)>) -> Result<Self> {
        let mut f = Frame::new();
        for (name, col) in cols {
            f.push(name, col)?;
        }
        Ok(f)
    }

    /// Records the file and lines the rows came from (used by error messages).
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = Some(origin);
        self
    }

    /// The file the frame was read from, if any.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// Records the cells of numeric column `name` as written in the file (one per row), so that
    /// ids, periods and saved files keep that text. Ignored for text columns.
    pub fn with_written_text(mut self, name: &str, text: Vec<String>) -> Result<Self> {
        let j = self.index_of(name)?;
        if text.len() != self.nrows() {
            return Err(Error::data(format!(
                "written text of column '{name}' has {} cells but the frame has {} rows",
                text.len(),
                self.nrows()
            )));
        }
        if matches!(self.cols[j], Column::Num(_)) {
            self.texts[j] = Some(Arc::new(text));
        }
        Ok(self)
    }

    /// The cells of numeric column `name` as written in the file, when they were kept (some
    /// cell's text is not the plain form of its number); `None` for other columns.
    pub fn written_text(&self, name: &str) -> Option<&[String]> {
        let j = self.names.iter().position(|n| n == name)?;
        self.texts[j].as_deref().map(Vec::as_slice)
    }

    /// A note on why cell `row` of numeric column `name` is missing when the file wrote it as a
    /// non-finite number (" (the file has 'inf' there, which is read as missing)"); empty
    /// otherwise.
    pub fn missing_note(&self, name: &str, row: usize) -> String {
        match self.written_text(name).and_then(|t| t.get(row)) {
            Some(t) if super::missing::is_nonfinite_token(t) => {
                let line = self
                    .origin
                    .as_ref()
                    .and_then(|o| o.lines.get(row).map(|l| format!(" on line {l} of {}", o.path)))
                    .unwrap_or_default();
                format!(" (the file has '{}' there{line}, which is read as missing)", t.trim())
            }
            _ => String::new(),
        }
    }

    /// "file:line:column: " of row `row` of column `j` when the frame was read from a file.
    fn place(&self, row: usize, j: usize) -> String {
        match &self.origin {
            Some(o) => format!(
                "{}:{}:{}: ",
                o.path,
                o.lines.get(row).copied().unwrap_or(row as u64 + 2),
                j + 1
            ),
            None => String::new(),
        }
    }

    fn push(&mut self, name: String, col: Column) -> Result<()> {
        if self.names.contains(&name) {
            return Err(Error::data(format!("duplicate column name '{name}'")));
        }
        if !self.cols.is_empty() && col.len() != self.nrows() {
            return Err(Error::data(format!(
                "column '{name}' has {} rows but the frame has {}",
                col.len(),
                self.nrows()
            )));
        }
        self.names.push(name);
        self.cols.push(col);
        self.texts.push(None);
        Ok(())
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.cols.first().map_or(0, Column::len)
    }

    /// Column names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// True when a column of that name exists.
    pub fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    fn index_of(&self, name: &str) -> Result<usize> {
        self.names.iter().position(|n| n == name).ok_or_else(|| {
            let hint = closest(name, self.names.iter().map(String::as_str))
                .map(|c| format!("; did you mean '{c}'?"))
                .unwrap_or_default();
            Error::data(format!(
                "unknown column '{name}'{hint} (columns: {})",
                crate::error::list_some(&self.names, 20)
            ))
        })
    }

    /// The column called `name`, or an error that suggests the closest name.
    pub fn column(&self, name: &str) -> Result<&Column> {
        Ok(&self.cols[self.index_of(name)?])
    }

    /// The numeric column `name`. A text column is an error naming the first cell that is
    /// neither a number nor a missing-value marker (file, line and column when the frame was read
    /// from a file).
    pub fn numeric(&self, name: &str) -> Result<&[f64]> {
        let j = self.index_of(name)?;
        match &self.cols[j] {
            Column::Num(v) => Ok(v),
            Column::Text(v) => {
                let default_markers = super::missing::CsvOptions::default().missing;
                let markers = self.origin.as_ref().map_or(&default_markers, |o| &o.missing);
                let (row, bad) = v
                    .iter()
                    .enumerate()
                    .find(|(_, s)| s.trim().parse::<f64>().is_err() && !markers.iter().any(|m| m == s.trim()))
                    .map(|(i, s)| (i, s.as_str()))
                    .unwrap_or((0, ""));
                let place = self.place(row, j);
                let comma = bad.trim().replacen(',', ".", 1).parse::<f64>().is_ok() && bad.contains(',');
                Err(Error::data(format!(
                    "{place}column '{name}' is used as a number but row {} holds the text '{bad}'; \
                     fix the cell or mark it missing (empty, NA or .){}",
                    row + 1,
                    if comma {
                        "; it looks like a number with a decimal comma: read the file with the option decimal: \",\""
                    } else {
                        ""
                    }
                )))
            }
        }
    }

    /// The keys of column `name`: ids and periods as text, exactly as written in the file
    /// (trimmed), never re-printed from a number (`001` and `1` differ; `12345678901234567`
    /// stays itself). Numbers computed in a script print without a decimal point when integral.
    /// This is the one place ids and periods come from. A missing cell (NaN, or empty text) is
    /// an error naming the row (and file line).
    pub fn keys(&self, name: &str) -> Result<Vec<String>> {
        let cells = self.key_cells(name)?;
        let j = self.index_of(name)?;
        cells
            .into_iter()
            .enumerate()
            .map(|(i, k)| k.ok_or_else(|| self.missing_key(name, j, i)))
            .collect()
    }

    /// The error of a missing id or period in row `i` of column `name` (index `j`).
    fn missing_key(&self, name: &str, j: usize, i: usize) -> Error {
        Error::data(format!(
            "{}column '{name}' is missing in row {}; ids and periods cannot be missing: \
             fill the cell or drop the row",
            self.place(i, j),
            i + 1
        ))
    }

    /// The keys of column `name` ([`Frame::keys`]) as codes: the code of each row and the
    /// distinct keys in order of first appearance (key `k` has code `k`). The same keys and
    /// errors as [`Frame::keys`], without a string per row: a numeric column is coded by the
    /// bits of its numbers first and each distinct number printed once; text is coded by its
    /// trimmed slice.
    pub fn key_codes(&self, name: &str) -> Result<(Vec<u32>, Vec<String>)> {
        use super::codes::{Coder, StrCoder};
        let j = self.index_of(name)?;
        let n = self.nrows();
        let mut codes = Vec::with_capacity(n);
        // Text slices (a text column, or a numeric column's written cells) are their own keys
        // once trimmed (key_of_text).
        let by_text = |cells: &mut dyn Iterator<Item = (usize, Option<&str>)>| -> Result<(Vec<u32>, Vec<String>)> {
            let mut coder = StrCoder::with_capacity(1024);
            let mut codes: Vec<u32> = Vec::with_capacity(n);
            // Rows stacked in a fixed unit order repeat the key of the row `stride` rows
            // earlier (time-slow: stride N, found where the first key comes back) or of the
            // previous row (unit-slow): those guesses are checked by comparing the texts, with
            // memory read in order, before the hash table is asked.
            let mut stride = 0usize;
            for (i, s) in cells {
                let Some(k) = s.map(str::trim).filter(|k| !k.is_empty()) else {
                    return Err(self.missing_key(name, j, i));
                };
                let same_as = |r: usize| Some(codes[r]).filter(|&c| coder.key(c) == k);
                let guess = if stride > 0 && i >= stride {
                    same_as(i - stride)
                } else {
                    None
                }
                .or_else(|| if i > 0 { same_as(i - 1) } else { None });
                let c = match guess {
                    Some(c) => c,
                    None => coder.code(k),
                };
                if stride == 0 && i > 0 && c == 0 {
                    stride = i;
                }
                codes.push(c);
            }
            Ok((codes, coder.into_keys()))
        };
        match (&self.cols[j], &self.texts[j]) {
            (Column::Text(v), _) => by_text(&mut v.iter().enumerate().map(|(i, s)| (i, Some(s.as_str())))),
            (Column::Num(v), Some(t)) => by_text(
                &mut v
                    .iter()
                    .zip(t.iter())
                    .enumerate()
                    .map(|(i, (x, s))| (i, (!x.is_nan()).then_some(s.as_str()))),
            ),
            (Column::Num(v), None) => {
                // Two levels: bits → first code, then each distinct number's key → final code
                // (0 and −0 print alike).
                let mut bits: Coder<u64> = Coder::with_capacity(1024);
                let mut of_bits: Vec<u32> = Vec::new();
                let mut keys: Coder<String> = Coder::with_capacity(1024);
                for (i, x) in v.iter().enumerate() {
                    if x.is_nan() {
                        return Err(self.missing_key(name, j, i));
                    }
                    let b = bits.code(x.to_bits());
                    if b as usize == of_bits.len() {
                        of_bits.push(keys.code(key_of_number(*x)));
                    }
                    codes.push(of_bits[b as usize]);
                }
                Ok((codes, keys.into_keys()))
            }
        }
    }

    /// The keys of column `name` as [`Frame::keys`], with `None` for missing cells.
    pub fn key_cells(&self, name: &str) -> Result<Vec<Option<String>>> {
        let j = self.index_of(name)?;
        Ok(match (&self.cols[j], &self.texts[j]) {
            (Column::Num(v), text) => v
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    if x.is_nan() {
                        None
                    } else {
                        Some(match text {
                            Some(t) => key_of_text(&t[i]),
                            None => key_of_number(*x),
                        })
                    }
                })
                .collect(),
            (Column::Text(v), _) => v
                .iter()
                .map(|s| Some(key_of_text(s)).filter(|k| !k.is_empty()))
                .collect(),
        })
    }

    /// A new frame with column `name` added, or replaced if it exists.
    pub fn with_column(&self, name: &str, col: Column) -> Result<Frame> {
        if !self.cols.is_empty() && col.len() != self.nrows() {
            return Err(Error::data(format!(
                "new column '{name}' has {} values but the frame has {} rows",
                col.len(),
                self.nrows()
            )));
        }
        let mut f = self.clone();
        match f.names.iter().position(|n| n == name) {
            Some(j) => {
                f.cols[j] = col;
                f.texts[j] = None;
            }
            None => {
                f.names.push(name.to_string());
                f.cols.push(col);
                f.texts.push(None);
            }
        }
        Ok(f)
    }

    /// The rows at `idx`, in that order.
    pub fn take(&self, idx: &[usize]) -> Frame {
        Frame {
            names: self.names.clone(),
            cols: self.cols.iter().map(|c| c.take(idx)).collect(),
            texts: self
                .texts
                .iter()
                .map(|t| {
                    t.as_ref()
                        .map(|t| Arc::new(idx.iter().map(|&i| t[i].clone()).collect()))
                })
                .collect(),
            origin: self.origin.as_ref().map(|o| Origin {
                path: o.path.clone(),
                lines: idx.iter().filter_map(|&i| o.lines.get(i).copied()).collect(),
                missing: o.missing.clone(),
            }),
        }
    }

    /// [`Frame::take`] of an owned frame: each column is reordered and its old values freed
    /// before the next, so at most one column is held twice.
    pub fn into_take(mut self, idx: &[usize]) -> Frame {
        for c in &mut self.cols {
            let taken = c.take(idx);
            *c = taken;
        }
        for t in self.texts.iter_mut().flatten() {
            *t = Arc::new(idx.iter().map(|&i| t[i].clone()).collect());
        }
        if let Some(o) = &mut self.origin {
            o.lines = idx.iter().filter_map(|&i| o.lines.get(i).copied()).collect();
        }
        self
    }

    /// Rows whose `name` key (see [`Frame::keys`]) equals one of `values` (trimmed); rows
    /// with a missing cell never match.
    pub fn filter_keys(&self, name: &str, values: &[String]) -> Result<Frame> {
        let keys = self.key_cells(name)?;
        let want: Vec<String> = values.iter().map(|v| key_of_text(v)).collect();
        let idx: Vec<usize> = (0..keys.len())
            .filter(|&i| keys[i].as_ref().is_some_and(|k| want.contains(k)))
            .collect();
        Ok(self.take(&idx))
    }

    /// Rows whose `name` key is none of `values` (the complement of [`Frame::filter_keys`]);
    /// rows with a missing cell are kept.
    pub fn exclude_keys(&self, name: &str, values: &[String]) -> Result<Frame> {
        let keys = self.key_cells(name)?;
        let drop: Vec<String> = values.iter().map(|v| key_of_text(v)).collect();
        let idx: Vec<usize> = (0..keys.len())
            .filter(|&i| !keys[i].as_ref().is_some_and(|k| drop.contains(k)))
            .collect();
        Ok(self.take(&idx))
    }

    /// Listwise deletion: the rows with no missing value (NaN, empty text, or in a text column
    /// a missing-value marker of the reader, default `NA` and `.`) in any of
    /// `columns` (every column when `columns` is empty), and for each of those columns the
    /// number of rows missing there (columns with none left out), in the order given.
    pub fn drop_missing(&self, columns: &[String]) -> Result<(Frame, Vec<(String, usize)>)> {
        let cols: Vec<String> = if columns.is_empty() {
            self.names.clone()
        } else {
            columns.to_vec()
        };
        let default_markers = super::missing::CsvOptions::default().missing;
        let markers = self.origin.as_ref().map_or(&default_markers, |o| &o.missing);
        let mut keep = vec![true; self.nrows()];
        let mut counts = Vec::new();
        for c in &cols {
            let missing: Vec<bool> = match self.column(c)? {
                Column::Num(v) => v.iter().map(|x| x.is_nan()).collect(),
                Column::Text(v) => v
                    .iter()
                    .map(|s| s.trim().is_empty() || markers.iter().any(|m| m == s.trim()))
                    .collect(),
            };
            let k = missing.iter().filter(|&&m| m).count();
            if k > 0 {
                counts.push((c.clone(), k));
            }
            for (keep, m) in keep.iter_mut().zip(missing) {
                *keep &= !m;
            }
        }
        let idx: Vec<usize> = (0..keep.len()).filter(|&i| keep[i]).collect();
        Ok((self.take(&idx), counts))
    }

    /// Only the columns `names`, in that order.
    pub fn select(&self, names: &[String]) -> Result<Frame> {
        let mut cols = Vec::with_capacity(names.len());
        let mut texts = Vec::with_capacity(names.len());
        for n in names {
            let j = self.index_of(n)?;
            cols.push((n.clone(), self.cols[j].clone()));
            texts.push(self.texts[j].clone());
        }
        let mut f = Frame::from_columns(cols)?.with_origin_opt(self.origin.clone());
        f.texts = texts;
        Ok(f)
    }

    fn with_origin_opt(mut self, o: Option<Origin>) -> Self {
        self.origin = o;
        self
    }

    /// Left join: every row of `self` gets the columns of `other` from the row of `other` with
    /// the same values of `keys` (compared as [`Frame::keys`]). Keys of `other` must be unique;
    /// rows without a match (or with a missing key) get NaN (numbers) or "" (text). A key without
    /// a match that equals a key of `other` as a number written differently (`01` and `1`) is an
    /// error naming both.
    pub fn join(&self, other: &Frame, keys: &[String]) -> Result<Frame> {
        use std::collections::HashMap;
        let key_rows = |f: &Frame| -> Result<Vec<Option<String>>> {
            let cols: Vec<Vec<Option<String>>> = keys.iter().map(|k| f.key_cells(k)).collect::<Result<_>>()?;
            Ok((0..f.nrows())
                .map(|i| {
                    cols.iter()
                        .map(|c| c[i].as_deref())
                        .collect::<Option<Vec<_>>>()
                        .map(|v| v.join("\u{1f}"))
                })
                .collect())
        };
        let right = key_rows(other)?;
        let mut index = HashMap::with_capacity(right.len());
        for (i, k) in right.iter().enumerate() {
            let Some(k) = k else { continue };
            if index.insert(k.clone(), i).is_some() {
                return Err(Error::data(format!(
                    "join: key ({}) = ({}) appears more than once in the right-hand frame",
                    keys.join(", "),
                    k.replace('\u{1f}', ", ")
                )));
            }
        }
        let left = key_rows(self)?;
        let m: Vec<Option<usize>> = left
            .iter()
            .map(|k| k.as_ref().and_then(|k| index.get(k).copied()))
            .collect();
        // Keys without a match that differ from a key of the other side only in how a number
        // is written (01 and 1, 1.0 and 1) are a mistake, not missing rows: refuse them.
        if m.iter().any(Option::is_none) {
            for k in keys {
                let (lc, rc) = (self.key_cells(k)?, other.key_cells(k)?);
                let rset: std::collections::HashSet<&str> = rc.iter().flatten().map(String::as_str).collect();
                let lset: std::collections::HashSet<&str> = lc.iter().flatten().map(String::as_str).collect();
                let unmatched: Vec<&str> = (0..lc.len())
                    .filter(|&r| m[r].is_none())
                    .filter_map(|r| lc[r].as_deref())
                    .filter(|v| !rset.contains(v))
                    .collect();
                let right_only: Vec<&str> = rset.iter().copied().filter(|v| !lset.contains(v)).collect();
                let hint = super::same_number_hint(&unmatched, &right_only);
                if !hint.is_empty() {
                    return Err(Error::data(format!(
                        "join: some values of key column '{k}' have no match in the right-hand frame{hint}"
                    )));
                }
            }
        }
        let mut out = self.clone();
        for ((name, col), text) in other.names.iter().zip(&other.cols).zip(&other.texts) {
            if keys.contains(name) {
                continue;
            }
            let new = match col {
                Column::Num(v) => Column::Num(m.iter().map(|r| r.map_or(f64::NAN, |r| v[r])).collect()),
                Column::Text(v) => Column::Text(m.iter().map(|r| r.map_or(String::new(), |r| v[r].clone())).collect()),
            };
            let target = if out.has(name) {
                format!("{name}_right")
            } else {
                name.clone()
            };
            out = out.with_column(&target, new)?;
            if let Some(t) = text {
                let t = m.iter().map(|r| r.map_or(String::new(), |r| t[r].clone())).collect();
                out = out.with_written_text(&target, t)?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f() -> Frame {
        Frame::from_columns(vec![
            ("id".into(), Column::Text(vec!["a".into(), "b".into(), "c".into()])),
            ("x".into(), Column::Num(vec![1.0, 2.0, 3.0])),
        ])
        .unwrap()
    }

    #[test]
    fn unknown_column_suggests() {
        let e = f().column("xx").unwrap_err().to_string();
        assert!(e.contains("unknown column 'xx'"), "{e}");
    }

    #[test]
    fn text_used_as_number_names_row() {
        let e = f().numeric("id").unwrap_err().to_string();
        assert!(e.contains("row 1") && e.contains("'a'"), "{e}");
    }

    #[test]
    fn key_codes_are_first_appearance_codes_whatever_the_order() {
        // Time-slow rows, then rows that break the stride: codes follow first appearance.
        let ids = ["a", "b", "c", "a", "b", "c", "c", " b ", "d", "a", "a"];
        let f = Frame::from_columns(vec![(
            "id".into(),
            Column::Text(ids.iter().map(|s| s.to_string()).collect()),
        )])
        .unwrap();
        let (codes, keys) = f.key_codes("id").unwrap();
        assert_eq!(codes, [0, 1, 2, 0, 1, 2, 2, 1, 3, 0, 0]);
        assert_eq!(keys, ["a", "b", "c", "d"]);
        // Numbers: 0 and −0 are one key; a missing cell is an error naming its row.
        let f = Frame::from_columns(vec![("t".into(), Column::Num(vec![2.0, 0.0, -0.0, 2.0, 1.5]))]).unwrap();
        let (codes, keys) = f.key_codes("t").unwrap();
        assert_eq!(codes, [0, 1, 1, 0, 2]);
        assert_eq!(keys, ["2", "0", "1.5"]);
        let f = Frame::from_columns(vec![("t".into(), Column::Num(vec![2.0, f64::NAN]))]).unwrap();
        let e = f.key_codes("t").unwrap_err().to_string();
        assert!(e.contains("missing in row 2"), "{e}");
    }

    #[test]
    fn join_by_key() {
        let g = Frame::from_columns(vec![
            ("id".into(), Column::Text(vec!["c".into(), "a".into()])),
            ("z".into(), Column::Num(vec![30.0, 10.0])),
        ])
        .unwrap();
        let j = f().join(&g, &["id".into()]).unwrap();
        let z = j.numeric("z").unwrap();
        assert_eq!(z[0], 10.0);
        assert!(z[1].is_nan());
        assert_eq!(z[2], 30.0);
    }
}
