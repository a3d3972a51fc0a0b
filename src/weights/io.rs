//! Reading and writing weights files, chosen by extension:
//! * `.gal` (GeoDa/libpysal): a header line (`n`, or `0 n name id`), then per unit a line
//!   `id k` and a line of its k neighbour ids. Binary pattern only.
//! * `.gwt`: a header line (`0 n name id`, or `n`), then lines `i j w`.
//! * `.csv`: triplets `i,j,w` with a header row (any three names).
//!
//! Ids are text exactly as written (trimmed; [`crate::data::key_of_text`]): `001` and `1` are
//! two units, `12345678901234567` stays itself. Units are numbered in order of first
//! appearance. A leading UTF-8 byte-order mark is skipped. GAL and GWT files must start with
//! their header line; a first line that is a unit line `id k` (GAL) or a triplet `i j w` (GWT)
//! is refused as a missing header. Islands (units without neighbours) are
//! written as a zero self-weight `i,i,0` in CSV/GWT so that they survive a round trip.

use super::similarity::with_similarity;
use super::{Standardization, Weights};
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
    /// CSV triplets `i,j,w`.
    Csv,
}

impl Format {
    /// The format named by the extension of `path`.
    pub fn of_path(path: &str) -> Result<Format> {
        match crate::io::extension(path).as_str() {
            "gal" => Ok(Format::Gal),
            "gwt" => Ok(Format::Gwt),
            "csv" => Ok(Format::Csv),
            other => Err(Error::invalid(format!(
                "{path}: unknown weights file extension '.{other}'; use .gal, .gwt or .csv"
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
    let format = Format::of_path(path)?;
    let bytes = crate::io::read_file(path)?;
    parse_weights(&bytes, path, format, opts)
}

/// Parses the bytes of a weights file in `format` (the pure part of [`read_weights_with`];
/// `path` is used in error messages only).
pub fn parse_weights(bytes: &[u8], path: &str, format: Format, opts: &ReadOptions) -> Result<Weights> {
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
        Format::Csv => {
            parse_csv(text, &mut t)?;
            Standardization::None
        }
    };
    let common = super::builder::Common {
        standardize: Standardization::None,
        keep_islands: opts.keep_islands,
        allow_negative: opts.allow_negative,
    };
    let w = Weights::from_triplets_with(t.ids, &t.trip, &common).map_err(|e| Error::data(format!("{path}: {e}")))?;
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

/// Triplets being read: raw (i, j, w, line) records, then ids in order of first appearance as
/// a row unit `i` (units seen only as a neighbour `j` come after), (i, j, w) and checks.
struct Triplets<'a> {
    path: &'a str,
    ids: Vec<String>,
    pos: HashMap<String, usize>,
    raw: Vec<(String, String, f64, u64)>,
    trip: Vec<(usize, usize, f64)>,
}

impl<'a> Triplets<'a> {
    fn new(path: &'a str) -> Self {
        Triplets {
            path,
            ids: Vec::new(),
            pos: HashMap::new(),
            raw: Vec::new(),
            trip: Vec::new(),
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

    /// The index of unit `raw`, registering it if new.
    fn unit(&mut self, raw: &str) -> usize {
        let k = key_of_text(raw);
        if let Some(&u) = self.pos.get(&k) {
            return u;
        }
        self.pos.insert(k.clone(), self.ids.len());
        self.ids.push(k);
        self.ids.len() - 1
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
        self.raw.push((key_of_text(i), key_of_text(j), w, line));
        Ok(())
    }

    /// Numbers the units and builds the triplets: a zero self-weight only registers its unit; a
    /// non-zero self-weight or a repeated pair is an error naming the line.
    fn finish(&mut self) -> Result<()> {
        let raw = std::mem::take(&mut self.raw);
        for r in &raw {
            self.unit(&r.0);
        }
        for r in &raw {
            self.unit(&r.1);
        }
        let mut pair_line: HashMap<(usize, usize), u64> = HashMap::with_capacity(raw.len());
        for (i, j, w, line) in raw {
            let (a, b) = (self.pos[&i], self.pos[&j]);
            if a == b {
                if w != 0.0 {
                    return Err(self.err(
                        line,
                        3,
                        format!("self-weight w_ii = {w} for unit {i}; weights have a zero diagonal"),
                    ));
                }
                continue;
            }
            if let Some(prev) = pair_line.insert((a, b), line) {
                return Err(self.err(line, 1, format!("pair ({i}, {j}) already given on line {prev}")));
            }
            self.trip.push((a, b, w));
        }
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
    let mut pending: Vec<(u64, usize, String)> = Vec::new();
    let mut heads: HashMap<usize, u64> = HashMap::new();
    while let Some((ln, l)) = lines.next() {
        if l.is_empty() {
            continue;
        }
        let toks: Vec<&str> = l.split_whitespace().collect();
        let k = match toks.as_slice() {
            [_, k] => k.parse::<usize>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            t.err(
                ln,
                1,
                format!("expected 'id k' (a unit and its number of neighbours), found '{l}'"),
            )
        })?;
        let u = t.unit(toks[0]);
        if let Some(prev) = heads.insert(u, ln) {
            return Err(t.err(ln, 1, format!("unit {} already listed on line {prev}", t.ids[u])));
        }
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
                format!("unit {} should be followed by a line of its {k} neighbours", t.ids[u]),
            )
        })?;
        let nbrs: Vec<&str> = nb.split_whitespace().collect();
        if nbrs.len() != k {
            return Err(t.err(
                nl,
                1,
                format!(
                    "unit {} announces {k} neighbours on line {ln} but this line lists {}",
                    t.ids[u],
                    nbrs.len()
                ),
            ));
        }
        pending.extend(nbrs.into_iter().map(|j| (nl, u, j.to_string())));
    }
    for (ln, u, j) in pending {
        let i = t.ids[u].clone();
        t.add(&i, &j, 1.0, ln)?;
    }
    t.finish()?;
    let orphans: Vec<&String> = t
        .ids
        .iter()
        .enumerate()
        .filter(|(u, _)| !heads.contains_key(u))
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
            return Err(t.err(ln, 1, format!("expected 3 fields i,j,w, found {}", rec.len())));
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

/// Writes `w` to `path` atomically: GAL (the binary pattern; values are not kept), GWT or CSV
/// triplets (full-precision values), by extension.
pub fn save_weights(w: &Weights, path: &str) -> Result<()> {
    let format = Format::of_path(path)?;
    if format != Format::Csv {
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
