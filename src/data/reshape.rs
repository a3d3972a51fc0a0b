//! Group statistics and reshaping: `aggregate`, `reshape_long` (periods as columns → one row
//! per id and period) and `reshape_wide` (the inverse), which is how yearbook data arrives.

use super::{key_of_number, sort_periods, Column, Frame};
use crate::error::{list_some, Error, Result};
use std::collections::HashMap;

/// The statistics [`aggregate`] computes.
pub const STATS: [&str; 6] = ["mean", "sum", "min", "max", "sd", "count"];

/// The rows of each group of `by`, groups in order of first appearance.
fn groups(f: &Frame, by: &[String]) -> Result<Vec<Vec<usize>>> {
    let keys: Vec<Vec<String>> = by.iter().map(|b| f.keys(b)).collect::<Result<_>>()?;
    let mut index: HashMap<Vec<&str>, usize> = HashMap::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in 0..f.nrows() {
        let k: Vec<&str> = keys.iter().map(|c| c[i].as_str()).collect();
        let g = *index.entry(k).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[g].push(i);
    }
    Ok(out)
}

/// One statistic of the non-missing values `x` (NaN skipped). `count` is the number of
/// non-missing values; the others are missing (NaN) when there is none; `sd` divides by n − 1
/// (missing with one value).
fn stat(name: &str, x: &[f64]) -> f64 {
    let v: Vec<f64> = x.iter().copied().filter(|x| !x.is_nan()).collect();
    let n = v.len() as f64;
    if name == "count" {
        return n;
    }
    if v.is_empty() {
        return f64::NAN;
    }
    let sum: f64 = v.iter().sum();
    match name {
        "sum" => sum,
        "mean" => sum / n,
        "min" => v.iter().copied().fold(f64::INFINITY, f64::min),
        "max" => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        _ => {
            if v.len() < 2 {
                return f64::NAN;
            }
            let m = sum / n;
            (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt()
        }
    }
}

/// Group statistics: one row per group of the key columns `by` (see [`Frame::keys`]), groups in
/// order of first appearance; the `by` columns first, then one column per `(column, statistic)`
/// in `specs`, named as the column. Statistics ([`STATS`]): mean, sum, min, max, sd (divisor
/// n − 1), count (non-missing values). Missing values are skipped; a group without values gives
/// a missing result (count 0). An unknown column or statistic is an error naming it.
pub fn aggregate(f: &Frame, by: &[String], specs: &[(String, String)]) -> Result<Frame> {
    if by.is_empty() {
        return Err(Error::data("aggregate: give at least one column to group by"));
    }
    for (c, s) in specs {
        if !STATS.contains(&s.as_str()) {
            return Err(Error::data(format!(
                "aggregate: unknown statistic '{s}' for column '{c}' (valid: {})",
                STATS.join(", ")
            )));
        }
        if by.contains(c) {
            return Err(Error::data(format!(
                "aggregate: column '{c}' is a grouping column; it cannot also be aggregated"
            )));
        }
    }
    let gs = groups(f, by)?;
    let firsts: Vec<usize> = gs.iter().map(|g| g[0]).collect();
    let mut out = f.select(by)?.take(&firsts);
    for (c, s) in specs {
        let x = f.numeric(c)?;
        let vals: Vec<f64> = gs
            .iter()
            .map(|g| stat(s, &g.iter().map(|&i| x[i]).collect::<Vec<_>>()))
            .collect();
        out = out.with_column(c, Column::Num(vals))?;
    }
    Ok(out)
}

/// How [`reshape_long`] finds the wide columns and their periods.
#[derive(Debug, Clone, Default)]
pub struct LongSpec {
    /// The id column(s), repeated on every output row.
    pub id: Vec<String>,
    /// Columns whose names start with this are the wide columns; the period is the rest of the
    /// name (`gdp2001` → `2001`). With `columns`, the prefix is stripped from their names.
    pub prefix: Option<String>,
    /// The wide columns, explicitly (their period is the name, less `prefix` when given).
    pub columns: Option<Vec<String>>,
    /// Name of the period column in the output.
    pub time_name: String,
    /// Name of the value column in the output.
    pub value_name: String,
}

/// Wide to long: one output row per input row and wide column (rows in input order, periods in
/// column order), with columns `id…`, `time_name`, `value_name`; other columns are dropped. The
/// period column is numeric when every period is a number (its text kept as written, `01` stays
/// `01` as a key), text otherwise. The value column is numeric when every wide column is.
pub fn reshape_long(f: &Frame, spec: &LongSpec) -> Result<Frame> {
    let strip = |name: &str| -> String {
        match &spec.prefix {
            Some(p) => name.strip_prefix(p.as_str()).unwrap_or(name).to_string(),
            None => name.to_string(),
        }
    };
    let columns: Vec<String> = match (&spec.columns, &spec.prefix) {
        (Some(c), _) => c.clone(),
        (None, Some(p)) => f
            .names()
            .iter()
            .filter(|n| n.starts_with(p.as_str()) && n.len() > p.len() && !spec.id.contains(n))
            .cloned()
            .collect(),
        (None, None) => {
            return Err(Error::data(
                "reshape_long: give 'prefix' or 'columns' (the wide columns)",
            ))
        }
    };
    if columns.is_empty() {
        return Err(Error::data(format!(
            "reshape_long: no column starts with '{}' (columns: {})",
            spec.prefix.as_deref().unwrap_or(""),
            list_some(f.names(), 20)
        )));
    }
    for n in [&spec.time_name, &spec.value_name] {
        if spec.id.contains(n) {
            return Err(Error::data(format!(
                "reshape_long: '{n}' is an id column; choose another name"
            )));
        }
    }
    let periods: Vec<String> = columns.iter().map(|c| strip(c)).collect();
    let cols: Vec<&Column> = columns.iter().map(|c| f.column(c)).collect::<Result<_>>()?;
    for id in &spec.id {
        f.keys(id)?;
    }
    let (n, k) = (f.nrows(), columns.len());
    let rows: Vec<usize> = (0..n).flat_map(|i| std::iter::repeat_n(i, k)).collect();
    let mut out = f.select(&spec.id)?.take(&rows);
    let time_text: Vec<String> = (0..n).flat_map(|_| periods.iter().cloned()).collect();
    let nums: Option<Vec<f64>> = periods
        .iter()
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    match nums {
        Some(t) => {
            let plain = t.iter().zip(&periods).all(|(x, p)| key_of_number(*x) == p.trim());
            let t: Vec<f64> = (0..n).flat_map(|_| t.iter().copied()).collect();
            out = out.with_column(&spec.time_name, Column::Num(t))?;
            if !plain {
                out = out.with_written_text(&spec.time_name, time_text)?;
            }
        }
        None => out = out.with_column(&spec.time_name, Column::Text(time_text))?,
    }
    let value = if cols.iter().all(|c| matches!(c, Column::Num(_))) {
        Column::Num(
            (0..n)
                .flat_map(|i| {
                    cols.iter().map(move |c| match c {
                        Column::Num(v) => v[i],
                        Column::Text(_) => f64::NAN,
                    })
                })
                .collect(),
        )
    } else {
        let cells: Vec<Vec<Option<String>>> = columns.iter().map(|c| f.key_cells(c)).collect::<Result<_>>()?;
        Column::Text(
            (0..n)
                .flat_map(|i| cells.iter().map(move |c| c[i].clone().unwrap_or_default()))
                .collect(),
        )
    };
    out.with_column(&spec.value_name, value)
}

/// Long to wide: one output row per id (order of first appearance), with the id columns, then
/// for each value column and each period (in period order, see [`sort_periods`]) a column named
/// value + period (`gdp` and `2001` → `gdp2001`), so [`reshape_long`] with that prefix inverts
/// it. Other columns are dropped; a period an id lacks is missing. Two rows with the same id and
/// period are an error naming them.
pub fn reshape_wide(f: &Frame, id: &[String], time: &str, value: &[String]) -> Result<Frame> {
    if id.is_empty() || value.is_empty() {
        return Err(Error::data("reshape_wide: give the 'id' and 'value' columns"));
    }
    let times = f.keys(time)?;
    let gs = groups(f, id)?;
    let mut periods: Vec<String> = Vec::new();
    {
        let mut seen = std::collections::HashSet::new();
        for t in &times {
            if seen.insert(t.as_str()) {
                periods.push(t.clone());
            }
        }
    }
    sort_periods(&mut periods)?;
    let pos: HashMap<&str, usize> = periods.iter().enumerate().map(|(j, p)| (p.as_str(), j)).collect();
    // cell[g][j]: the row of id group g at period j.
    let id_keys: Vec<Vec<String>> = id.iter().map(|c| f.keys(c)).collect::<Result<_>>()?;
    let mut cell = vec![vec![None::<usize>; periods.len()]; gs.len()];
    for (g, rows) in gs.iter().enumerate() {
        for &i in rows {
            let j = pos[times[i].as_str()];
            if let Some(prev) = cell[g][j] {
                let who: Vec<&str> = id_keys.iter().map(|c| c[i].as_str()).collect();
                return Err(Error::data(format!(
                    "reshape_wide: id {} has two rows for {time} {} (rows {} and {}); keep one",
                    who.join("/"),
                    times[i],
                    prev + 1,
                    i + 1
                )));
            }
            cell[g][j] = Some(i);
        }
    }
    let firsts: Vec<usize> = gs.iter().map(|g| g[0]).collect();
    let mut out = f.select(id)?.take(&firsts);
    for v in value {
        let col = f.column(v)?;
        let cells = f.key_cells(v)?;
        for (j, p) in periods.iter().enumerate() {
            let c = match col {
                Column::Num(x) => Column::Num(cell.iter().map(|r| r[j].map_or(f64::NAN, |i| x[i])).collect()),
                Column::Text(_) => Column::Text(
                    cell.iter()
                        .map(|r| r[j].and_then(|i| cells[i].clone()).unwrap_or_default())
                        .collect(),
                ),
            };
            let name = format!("{v}{p}");
            if out.has(&name) {
                return Err(Error::data(format!(
                    "reshape_wide: column '{name}' (value '{v}', period {p}) already exists; rename the id column"
                )));
            }
            out = out.with_column(&name, c)?;
        }
    }
    Ok(out)
}
