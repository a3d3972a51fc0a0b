//! Stata `.dta` files, read and written with the pure-Rust `dta` crate.
//!
//! Reading ([`read_dta`]) takes every release the crate reads (102 to 119): numeric variables
//! (byte, int, long, float, double) become numbers (`f64`; a float is widened exactly, so
//! `0.1` stored as float reads as `0.10000000149011612`), Stata's missing values (`.` and
//! `.a` to `.z`) are missing; string variables (`str#` and `strL`) are text, read as the CSV
//! reader reads a column: a variable whose every non-empty value is a number written as text
//! (ids such as `001`) is numeric and keeps the text as written for ids and periods; an empty
//! string is missing. With `labels: true` a numeric variable with a value label becomes text:
//! each value its label (a value without a label keeps its number as text).
//!
//! Writing ([`write_dta`]) produces release 118 (Stata 14 and later, UTF-8): numbers as
//! `double`, missing as `.`, text as `str#` (up to 2045 bytes) or `strL`; a numeric column
//! that keeps its cells as written (ids `001`) is written as text. Column names must be valid
//! Stata names (see [`stata_name_problem`]).

use super::frame::{Column, Frame, Origin};
use crate::error::{Error, Result};
use dta::stata::dta::value::Value;
use std::io::Cursor;

/// Options for [`read_dta`].
#[derive(Debug, Clone, Default)]
pub struct DtaOptions {
    /// Value-labelled numeric variables as their label text (default false: the codes).
    pub labels: bool,
}

enum Acc {
    Num(Vec<f64>),
    Str(Vec<String>),
    Long(Vec<Option<dta::stata::dta::long_string_ref::LongStringRef>>),
}

/// Reads the Stata file `path` (rules in the module doc). Errors name the file, and the
/// variable and observation where a value cannot be read.
pub fn read_dta(path: &str, opts: &DtaOptions) -> Result<Frame> {
    use dta::stata::dta::dta_reader::DtaReader;
    use dta::stata::dta::long_string_table::LongStringTable;
    use dta::stata::dta::value_label_table::ValueLabelTable;
    let bytes = crate::io::read_file(path)?;
    let file_len = bytes.len();
    let bad = |e: dta::stata::dta::dta_error::DtaError| {
        Error::io(
            path,
            format!(
                "cannot be read as a Stata .dta file ({e}); check that the file is complete and really is a \
                 .dta file (open it in Stata and save it again)"
            ),
        )
    };
    let mut cr = DtaReader::new()
        .from_reader(Cursor::new(bytes))
        .read_header()
        .map_err(bad)?
        .read_schema()
        .map_err(bad)?;
    cr.skip_to_end().map_err(bad)?;
    let mut rr = cr.into_record_reader().map_err(bad)?;
    let schema = rr.schema().clone();
    let vars = schema.variables();
    // The header's count sizes the columns, but never beyond the file's size (a damaged header
    // must not ask for a huge allocation).
    let n = usize::try_from(rr.header().observation_count())
        .unwrap_or(0)
        .min(file_len);
    let mut acc: Vec<Acc> = vars
        .iter()
        .map(|v| {
            use dta::stata::dta::variable_type::VariableType as T;
            match v.variable_type() {
                T::FixedString(_) => Acc::Str(Vec::with_capacity(n)),
                T::LongString => Acc::Long(Vec::with_capacity(n)),
                _ => Acc::Num(Vec::with_capacity(n)),
            }
        })
        .collect();
    let mut obs = 0usize;
    while let Some(rec) = rr.read_lazy_record().map_err(bad)? {
        obs += 1;
        for (j, a) in acc.iter_mut().enumerate() {
            let v = rec.value(j).map_err(|e| {
                Error::io(
                    path,
                    format!(
                        "variable '{}', observation {obs}: the value cannot be read ({e}); the file may be damaged",
                        vars[j].name()
                    ),
                )
            })?;
            match (a, v) {
                (Acc::Num(col), v) => col.push(number(&v)),
                (Acc::Str(col, ..), Value::String(s)) => col.push(s.into_owned()),
                (Acc::Long(col), Value::LongStringRef(r)) => col.push(Some(r)),
                (Acc::Long(col), _) => col.push(None),
                (Acc::Str(col), _) => col.push(String::new()),
            }
        }
    }
    let mut lr = rr.into_long_string_reader().map_err(bad)?;
    let mut strls = LongStringTable::for_reading();
    lr.read_remaining_into(&mut strls).map_err(bad)?;
    let encoding = lr.encoding();
    let mut vr = lr.into_value_label_reader().map_err(bad)?;
    let mut labels = ValueLabelTable::new();
    vr.read_remaining_into(&mut labels).map_err(bad)?;

    let missing = vec![String::new()];
    let is_marker = |s: &str| s.trim().is_empty();
    let mut cols = Vec::with_capacity(vars.len());
    let mut written = Vec::new();
    for (var, a) in vars.iter().zip(acc) {
        let name = var.name().to_string();
        let col = match a {
            Acc::Num(v) => {
                let labelled = opts.labels && !var.value_label_name().is_empty();
                if labelled && labels.get(var.value_label_name()).is_some() {
                    Column::Text(
                        v.iter()
                            .map(|&x| {
                                if x.is_nan() {
                                    return String::new();
                                }
                                let code = x as i32;
                                match labels.label_for(var, code).filter(|_| f64::from(code) == x) {
                                    Some(l) => l.to_string(),
                                    None => super::key_of_number(x),
                                }
                            })
                            .collect(),
                    )
                } else {
                    Column::Num(v)
                }
            }
            Acc::Str(v) => super::sheet::text_column(&name, v, &is_marker, &mut written),
            Acc::Long(refs) => {
                let mut v = Vec::with_capacity(refs.len());
                for (i, r) in refs.iter().enumerate() {
                    let s = match r.as_ref().and_then(|r| strls.get(r)) {
                        Some(ls) => ls.data_str(encoding).map(|s| s.into_owned()).ok_or_else(|| {
                            Error::io(
                                path,
                                format!(
                                    "variable '{name}', observation {}: the long string (strL) is binary data, not text",
                                    i + 1
                                ),
                            )
                        })?,
                        None => String::new(),
                    };
                    v.push(s);
                }
                super::sheet::text_column(&name, v, &is_marker, &mut written)
            }
        };
        cols.push((name, col));
    }
    let mut f = Frame::from_columns(cols)
        .map_err(|e| Error::io(path, e))?
        .with_origin(Origin {
            // Messages about a cell read "file.dta:OBSERVATION:VARIABLE: ...".
            path: path.to_string(),
            lines: (1..=obs as u64).collect(),
            missing,
        });
    for (name, vals) in written {
        f = f.with_written_text(&name, vals)?;
    }
    Ok(f)
}

/// A numeric Stata value as `f64` (NaN for `.` and `.a`–`.z`).
fn number(v: &Value<'_>) -> f64 {
    let x = match v {
        Value::Byte(b) => b.present().map(f64::from),
        Value::Int(i) => i.present().map(f64::from),
        Value::Long(l) => l.present().map(f64::from),
        Value::Float(x) => x.present().map(f64::from),
        Value::Double(x) => x.present(),
        _ => None,
    };
    x.unwrap_or(f64::NAN)
}

/// Why `name` is not a valid Stata variable name, or `None` when it is: 1 to 32 characters,
/// letters (any alphabet, Stata 14 and later), digits and `_`, not starting with a digit, and
/// not a reserved word (`_n`, `byte`, `if`, `in`, `str5`, ...).
pub fn stata_name_problem(name: &str) -> Option<String> {
    const RESERVED: &[&str] = &[
        "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_N", "_pi",
        "_pred", "_rc", "_skip", "strL", "using", "with",
    ];
    let n = name.chars().count();
    if n == 0 || n > 32 {
        return Some(format!("it has {n} characters and a Stata name has 1 to 32"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_alphanumeric() || *c == '_')) {
        return Some(format!(
            "it contains '{c}' and a Stata name has only letters, digits and _"
        ));
    }
    if name.starts_with(|c: char| c.is_numeric()) {
        return Some("it starts with a digit".into());
    }
    let is_str_type = name
        .strip_prefix("str")
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    if RESERVED.contains(&name) || is_str_type {
        return Some("it is a word Stata reserves".into());
    }
    None
}

/// The largest `str#` width of release 117 and later, in bytes; longer text is a `strL`.
const MAX_STR: usize = 2045;

/// Writes `frame` to the Stata file `path` (release 118), atomically (rules in the module doc).
/// A column name that is not a valid Stata name is an error naming the column and the fix.
pub fn write_dta(frame: &Frame, path: &str) -> Result<()> {
    use dta::stata::dta::byte_order::ByteOrder;
    use dta::stata::dta::dta_writer::DtaWriter;
    use dta::stata::dta::header::Header;
    use dta::stata::dta::long_string_table::LongStringTable;
    use dta::stata::dta::release::Release;
    use dta::stata::dta::schema::Schema;
    use dta::stata::dta::variable::Variable;
    use dta::stata::dta::variable_type::VariableType;
    use dta::stata::missing_value::MissingValue;
    use dta::stata::stata_double::StataDouble;

    if frame.names().len() > 32_767 {
        return Err(Error::invalid(format!(
            "{path}: a Stata file holds at most 32767 variables and the frame has {}; select fewer columns",
            frame.names().len()
        )));
    }
    // Each column as numbers or as text cells.
    enum Out<'a> {
        Num(&'a [f64]),
        Text(Vec<&'a str>),
    }
    let mut outs = Vec::with_capacity(frame.names().len());
    let mut builder = Schema::builder();
    for name in frame.names() {
        if let Some(why) = stata_name_problem(name) {
            return Err(Error::invalid(format!(
                "{path}: column '{name}' is not a valid Stata variable name: {why}; give it a valid name \
                 (letters, digits and _, not starting with a digit, at most 32 characters) before saving, \
                 e.g. f.with_column(\"{s}\", f.column(\"{name}\")) and then f.select the columns to keep, \
                 or save as .csv or .xlsx",
                s = suggest_name(name)
            )));
        }
        let out = match (frame.column(name)?, frame.written_text(name)) {
            (Column::Num(v), None) => Out::Num(v),
            (Column::Num(v), Some(t)) => Out::Text(
                v.iter()
                    .zip(t)
                    .map(|(x, s)| if x.is_nan() { "" } else { s.trim() })
                    .collect(),
            ),
            (Column::Text(v), _) => Out::Text(v.iter().map(String::as_str).collect()),
        };
        let var = match &out {
            Out::Num(v) => {
                if let Some(i) = v.iter().position(|x| x.is_finite() && x.abs() >= 8.988e307) {
                    return Err(Error::invalid(format!(
                        "{path}: column '{name}', row {}: {} is too large for Stata (at most 8.988e307)",
                        i + 1,
                        v[i]
                    )));
                }
                Variable::builder(VariableType::Double, name.as_str()).format("%10.0g")
            }
            Out::Text(cells) => {
                let width = cells.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
                if width <= MAX_STR {
                    Variable::builder(VariableType::FixedString(width as u16), name.as_str())
                        .format(format!("%{}s", width.min(244)))
                } else {
                    Variable::builder(VariableType::LongString, name.as_str()).format("%9s")
                }
            }
        };
        builder = builder.add_variable(var);
        outs.push(out);
    }
    let fail = |e: dta::stata::dta::dta_error::DtaError| Error::io(path, format!("cannot write the Stata file: {e}"));
    let schema = builder.build().map_err(fail)?;
    let strl: Vec<bool> = schema
        .variables()
        .iter()
        .map(|v| v.variable_type() == VariableType::LongString)
        .collect();
    let header = Header::builder(Release::V118, ByteOrder::LittleEndian).build();
    let mut rw = DtaWriter::new()
        .from_writer(Cursor::new(Vec::new()))
        .write_header(header)
        .map_err(fail)?
        .write_schema(schema)
        .map_err(fail)?
        .into_record_writer()
        .map_err(fail)?;
    let mut table = LongStringTable::for_writing();
    for i in 0..frame.nrows() {
        let mut rec = Vec::with_capacity(outs.len());
        for (j, out) in outs.iter().enumerate() {
            rec.push(match out {
                Out::Num(v) if v[i].is_finite() => Value::Double(StataDouble::Present(v[i])),
                Out::Num(_) => Value::Double(StataDouble::Missing(MissingValue::System)),
                // A text strL ends with a null byte that its length counts (the format's rule,
                // which Stata and pandas rely on).
                Out::Text(t) if strl[j] => {
                    let text = format!("{}\0", t[i]);
                    Value::LongStringRef(table.get_or_insert(j as u32 + 1, i as u64 + 1, text.as_str()))
                }
                Out::Text(t) => Value::string(t[i]),
            });
        }
        rw.write_record(&rec).map_err(fail)?;
    }
    let mut lw = rw.into_long_string_writer().map_err(fail)?;
    lw.write_long_string_table(&table).map_err(fail)?;
    let bytes = lw
        .into_value_label_writer()
        .map_err(fail)?
        .finish()
        .map_err(fail)?
        .into_inner();
    crate::io::write_atomic(path, &bytes)
}

/// A valid Stata name close to `name`: other characters replaced by `_`, a leading digit
/// prefixed with `_`, cut to 32 characters.
fn suggest_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_numeric()) {
        s.insert(0, '_');
    }
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stata_names() {
        assert!(stata_name_problem("gdp_pc").is_none());
        assert!(stata_name_problem("城市").is_none());
        assert!(stata_name_problem("gdp per capita").unwrap().contains("' '"));
        assert!(stata_name_problem("2018").unwrap().contains("digit"));
        assert!(stata_name_problem("str12").unwrap().contains("reserve"));
        assert!(stata_name_problem(&"x".repeat(33)).is_some());
        assert_eq!(suggest_name("gdp per capita"), "gdp_per_capita");
        assert_eq!(suggest_name("2018"), "_2018");
    }

    /// Stata's extended missing values (`.a`–`.z`) in every numeric type are missing.
    #[test]
    fn extended_missing_values_are_missing() {
        use dta::stata::dta::byte_order::ByteOrder;
        use dta::stata::dta::dta_writer::DtaWriter;
        use dta::stata::dta::header::Header;
        use dta::stata::dta::release::Release;
        use dta::stata::dta::schema::Schema;
        use dta::stata::dta::variable::Variable;
        use dta::stata::dta::variable_type::VariableType as T;
        use dta::stata::missing_value::MissingValue as M;
        use dta::stata::{stata_byte::StataByte, stata_double::StataDouble, stata_long::StataLong};
        let schema = Schema::builder()
            .add_variable(Variable::builder(T::Byte, "b").format("%8.0g"))
            .add_variable(Variable::builder(T::Long, "l").format("%12.0g"))
            .add_variable(Variable::builder(T::Double, "d").format("%10.0g"))
            .build()
            .unwrap();
        let mut rw = DtaWriter::new()
            .from_writer(Cursor::new(Vec::new()))
            .write_header(Header::builder(Release::V118, ByteOrder::BigEndian).build())
            .unwrap()
            .write_schema(schema)
            .unwrap()
            .into_record_writer()
            .unwrap();
        for (b, l, d) in [
            (
                StataByte::Present(-3),
                StataLong::Present(70000),
                StataDouble::Present(0.5),
            ),
            (
                StataByte::Missing(M::A),
                StataLong::Missing(M::Z),
                StataDouble::Missing(M::System),
            ),
        ] {
            rw.write_record(&[Value::Byte(b), Value::Long(l), Value::Double(d)])
                .unwrap();
        }
        let bytes = rw
            .into_long_string_writer()
            .unwrap()
            .into_value_label_writer()
            .unwrap()
            .finish()
            .unwrap()
            .into_inner();
        let dir = std::env::temp_dir().join(format!("spillover_dta_missing_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.dta").display().to_string();
        std::fs::write(&path, bytes).unwrap();
        let f = read_dta(&path, &DtaOptions::default()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(f.numeric("b").unwrap()[0], -3.0);
        assert_eq!(f.numeric("l").unwrap()[0], 70000.0);
        assert_eq!(f.numeric("d").unwrap()[0], 0.5);
        for c in ["b", "l", "d"] {
            assert!(f.numeric(c).unwrap()[1].is_nan(), "{c}");
        }
    }
}
