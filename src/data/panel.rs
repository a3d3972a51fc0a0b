//! Balanced panels stacked time-slow: row r = (t−1)·N + i (docs/methods.md "Notation").
//!
//! Units and periods are keys as written in the data ([`Frame::keys`]): `001` and `1` are two
//! units. Periods are ordered numerically when every period is a number (1970 < 1971 < 2000),
//! otherwise naturally, with runs of digits compared as numbers (`t1 < t2 < t10`,
//! `2000q1 < 2000q2`). A missing id or period cell is an error naming the row.
//!
//! Lags over integer periods follow the calendar: the lag of 1972 is 1971's value, missing
//! (NaN) when 1971 is not in the panel, as Stata's `L.` does across a gap; so do quarters and
//! months written with the year first (`2001Q1`, `2001m1`, `2001-01`;
//! [`crate::data::calendar_periods`]). Over other periods (other labels, non-integral numbers)
//! the lag is the previous period in the order above.

use super::frame::Frame;
use crate::error::{list_some, Error, Result};
use std::collections::HashMap;

/// A balanced panel: a [`Frame`] sorted time-slow with its unit and period keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    frame: Frame,
    id: String,
    time: String,
    ids: Vec<String>,
    times: Vec<String>,
}

impl Panel {
    /// Builds a panel from `frame` keyed by columns `id` and `time`. Units keep their order of
    /// first appearance; periods are sorted numerically when they are all numbers, naturally
    /// otherwise ([`crate::data::sort_periods`]). Ids and periods are compared as written.
    /// Duplicate or missing (id, time) pairs, and missing id or period cells, are an error
    /// that names them.
    pub fn new(frame: &Frame, id: &str, time: &str) -> Result<Panel> {
        let (order, ids, times) = Self::order(frame, id, time)?;
        Ok(Panel {
            frame: match order {
                Some(order) => frame.take(&order),
                None => frame.clone(),
            },
            id: id.to_string(),
            time: time.to_string(),
            ids,
            times,
        })
    }

    /// [`Panel::new`] taking the frame: rows already stacked time-slow are not copied, and
    /// otherwise each column is reordered in turn (one column's copy at a time).
    pub fn from_frame(frame: Frame, id: &str, time: &str) -> Result<Panel> {
        let (order, ids, times) = Self::order(&frame, id, time)?;
        Ok(Panel {
            frame: match order {
                Some(order) => frame.into_take(&order),
                None => frame,
            },
            id: id.to_string(),
            time: time.to_string(),
            ids,
            times,
        })
    }

    /// The row of `frame` at each panel position (s·N + i), `None` when the rows are already in
    /// that order, with the unit and period keys. Keys are coded once ([`Frame::key_codes`]);
    /// each row fills one (unit, period) cell of a table of N·T ≤ rows entries, so duplicates
    /// and gaps are found without hashing pairs. With fewer rows than N·T cells the panel is
    /// refused (duplicates first) before any N·T table is built (a wrong id or time column
    /// would otherwise ask for rows² cells).
    #[allow(clippy::type_complexity)]
    fn order(frame: &Frame, id: &str, time: &str) -> Result<(Option<Vec<usize>>, Vec<String>, Vec<String>)> {
        if frame.nrows() == 0 {
            let from = frame
                .origin()
                .map_or_else(|| "the frame".to_string(), |o| o.path.clone());
            return Err(Error::data(format!(
                "panel: {from} has no data rows; a panel needs at least one unit and period"
            )));
        }
        if id == time {
            return Err(Error::data(format!(
                "panel: the id and the time column are both '{id}'; pass the column of units and the column of periods"
            )));
        }
        let (id_codes, ids) = frame.key_codes(id)?;
        let (time_codes, first_times) = frame.key_codes(time)?;
        let mut times = first_times.clone();
        super::sort_periods(&mut times).map_err(|e| Error::data(format!("panel: column '{time}': {e}")))?;
        // Period code (order of first appearance) → position in sorted order.
        let t_pos: Vec<usize> = {
            let sorted: HashMap<&str, usize> = times.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
            first_times.iter().map(|k| sorted[k.as_str()]).collect()
        };
        let (n, t, rows) = (ids.len(), times.len(), frame.nrows());
        let cell = |r: usize| t_pos[time_codes[r] as usize] * n + id_codes[r] as usize;
        let pair = |r: usize| {
            format!(
                "({}, {})",
                ids[id_codes[r] as usize], first_times[time_codes[r] as usize]
            )
        };
        let dup_err = |dups: Vec<String>| {
            Error::data(format!(
                "panel: {} duplicate ({id}, {time}) pair(s): {}; each unit may appear once per period",
                dups.len(),
                list_some(&dups, 10)
            ))
        };
        let cells = n as u128 * t as u128;
        if cells <= rows as u128 {
            // Every cell fits a table no larger than the data.
            let mut slot = vec![usize::MAX; n * t];
            let mut dups = Vec::new();
            for r in 0..rows {
                let c = cell(r);
                if slot[c] != usize::MAX {
                    dups.push(pair(r));
                }
                slot[c] = r;
            }
            if !dups.is_empty() {
                return Err(dup_err(dups));
            }
            // No duplicates and N·T ≤ rows: every cell is filled once (N·T = rows).
            let identity = slot.iter().enumerate().all(|(c, &r)| c == r);
            return Ok(((!identity).then_some(slot), ids, times));
        }
        let mut cell_row: super::codes::FastMap<usize, usize> = super::codes::fast_map(rows);
        let mut dups = Vec::new();
        for r in 0..rows {
            if cell_row.insert(cell(r), r).is_some() {
                dups.push(pair(r));
            }
        }
        if !dups.is_empty() {
            return Err(dup_err(dups));
        }
        let missing_count = cells - rows as u128;
        let mut missing: Vec<String> = Vec::new();
        'find: for (s, period) in times.iter().enumerate() {
            for (i, unit) in ids.iter().enumerate() {
                if !cell_row.contains_key(&(s * n + i)) {
                    missing.push(format!("({unit}, {period})"));
                    if missing.len() == 10 {
                        break 'find;
                    }
                }
            }
        }
        let more = if missing_count > missing.len() as u128 {
            ", ..."
        } else {
            ""
        };
        Err(Error::data(format!(
            "panel is unbalanced: {missing_count} missing ({id}, {time}) pair(s) ({n} units × {t} periods \
             need {cells} rows, the data has {rows}): {}{more}; add the rows (values may be NA) or drop the units{}",
            missing.join(", "),
            if missing_count > rows as u128 {
                format!("; check that '{id}' identifies units and '{time}' periods")
            } else {
                String::new()
            }
        )))
    }

    /// Number of units N.
    pub fn n(&self) -> usize {
        self.ids.len()
    }
    /// Number of periods T.
    pub fn t(&self) -> usize {
        self.times.len()
    }
    /// Unit keys in panel order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
    /// Period keys in ascending order.
    pub fn times(&self) -> &[String] {
        &self.times
    }
    /// Name of the id column.
    pub fn id_name(&self) -> &str {
        &self.id
    }
    /// Name of the time column.
    pub fn time_name(&self) -> &str {
        &self.time
    }
    /// The underlying frame, sorted time-slow.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// A panel over the same keys with `frame` replaced (same row order required).
    pub fn with_frame(&self, frame: Frame) -> Result<Panel> {
        if frame.nrows() != self.frame.nrows() {
            return Err(Error::data("with_frame: row count differs"));
        }
        Ok(Panel { frame, ..self.clone() })
    }

    /// Numeric column `name` stacked time-slow.
    pub fn var(&self, name: &str) -> Result<&[f64]> {
        self.frame.numeric(name)
    }

    /// Numeric column `name`, refusing NaN with a message naming the unit and period.
    pub fn var_complete(&self, name: &str) -> Result<&[f64]> {
        let v = self.var(name)?;
        if let Some(r) = v.iter().position(|x| !x.is_finite()) {
            let n = self.n();
            let count = v.iter().filter(|x| !x.is_finite()).count();
            return Err(Error::data(format!(
                "variable '{name}' is {} for unit {} in period {}{} ({count} missing or infinite in all); \
                 estimators need complete, finite data: impute or drop the unit",
                super::nonfinite_word(v[r]),
                self.ids[r % n],
                self.times[r / n],
                self.frame.missing_note(name, r)
            )));
        }
        Ok(v)
    }

    /// Value k periods earlier within each unit (k < 0: later); NaN where undefined. Over
    /// integer periods the lag follows the calendar: across a gap (1970, 1972) the lag of 1972
    /// is NaN, as Stata's `L.`; so do quarters and months ([`crate::data::calendar_periods`]);
    /// over other periods it is the previous period in panel order.
    pub fn lag(&self, name: &str, k: i64) -> Result<Vec<f64>> {
        Ok(self.shift(self.var(name)?, k))
    }

    /// Values `v` (stacked time-slow, N·T of them) k periods earlier within each unit (k < 0:
    /// later), by the rule of [`Panel::lag`]; NaN where there is no such period.
    pub fn shift(&self, v: &[f64], k: i64) -> Vec<f64> {
        let n = self.n();
        let src = super::shifted_periods(&self.times, k);
        (0..v.len())
            .map(|r| match src[r / n] {
                Some(s) => v[s * n + r % n],
                None => f64::NAN,
            })
            .collect()
    }

    /// First difference x_it − x_i,t−1 within unit; NaN in the first period and after a gap
    /// (see [`Panel::lag`]).
    pub fn diff(&self, name: &str) -> Result<Vec<f64>> {
        let v = self.var(name)?;
        let l = self.lag(name, 1)?;
        Ok(v.iter().zip(&l).map(|(a, b)| a - b).collect())
    }

    /// Growth rate x_it / x_i,t−1 − 1 within unit; NaN where it is undefined: in the first
    /// period, after a gap (see [`Panel::lag`]) and after a zero (x_i,t−1 = 0), never ±inf.
    pub fn growth(&self, name: &str) -> Result<Vec<f64>> {
        let v = self.var(name)?;
        let l = self.lag(name, 1)?;
        Ok(v.iter()
            .zip(&l)
            .map(|(a, b)| if *b == 0.0 { f64::NAN } else { a / b - 1.0 })
            .collect())
    }

    /// The sub-panel of the units whose `column` key is in `values` (e.g. one region). The
    /// column must be constant within each unit, so the result stays balanced.
    pub fn filter(&self, column: &str, values: &[String]) -> Result<Panel> {
        let keys = self.frame.key_cells(column)?;
        let n = self.n();
        let want: Vec<String> = values.iter().map(|v| super::key_of_text(v)).collect();
        let mut keep = vec![false; n];
        for i in 0..n {
            let first = &keys[i];
            if let Some(r) = (0..self.t()).map(|s| s * n + i).find(|&r| &keys[r] != first) {
                return Err(Error::data(format!(
                    "filter: '{column}' changes over time for unit {} (period {}), so filtering on it would unbalance the panel; \
                     filter the Frame instead",
                    self.ids[i],
                    self.times[r / n]
                )));
            }

            keep[i] = first.as_ref().is_some_and(|k| want.contains(k));
        }
        if !keep.contains(&true) {
            return Err(Error::data(format!(
                "filter: no unit has {column} in [{}]",
                values.join(", ")
            )));
        }
        let rows: Vec<bool> = (0..n * self.t()).map(|r| keep[r % n]).collect();
        self.keep_rows(&rows, &format!("{column} in [{}]", values.join(", ")))
    }

    /// The sub-panel of the rows whose `column` key (see [`Frame::keys`]) is one of `values`
    /// (with `exclude`: none of them). Rows with a missing cell never match, so `exclude`
    /// keeps them, as [`Frame::filter_keys`] and [`Frame::exclude_keys`]. The kept rows must
    /// be whole units (a column constant within units: the id, a region) or whole periods (the
    /// time column, a year-level variable), see [`Panel::keep_rows`].
    pub fn filter_keys(&self, column: &str, values: &[String], exclude: bool) -> Result<Panel> {
        let keys = self.frame.key_cells(column)?;
        let want: Vec<String> = values.iter().map(|v| super::key_of_text(v)).collect();
        let keep: Vec<bool> = keys
            .iter()
            .map(|k| k.as_ref().is_some_and(|k| want.contains(k)) != exclude)
            .collect();
        let what = format!(
            "{column} {}in [{}]",
            if exclude { "not " } else { "" },
            values.join(", ")
        );
        self.keep_rows(&keep, &what)
    }

    /// The sub-panel of the rows where `keep` (one flag per row, in panel row order) is true.
    /// A panel stays balanced, so the kept rows must be whole units (every period of a unit
    /// kept, or none) or whole periods (every unit of a period kept, or none); otherwise the
    /// error names a unit kept in one period and dropped in another and says how to keep single
    /// rows (filter the Frame, then `balance`). Keeping nothing is an error. `what` describes
    /// the condition for messages ("region in [1, 2]", "the predicate").
    pub fn keep_rows(&self, keep: &[bool], what: &str) -> Result<Panel> {
        let (n, t) = (self.n(), self.t());
        if keep.len() != n * t {
            return Err(Error::data(format!(
                "filter: {} flags for a panel of {} rows",
                keep.len(),
                n * t
            )));
        }
        if !keep.contains(&false) {
            return Ok(self.clone());
        }
        if !keep.contains(&true) {
            return Err(Error::data(format!(
                "filter: no row of the panel satisfies {what}, so nothing is left"
            )));
        }
        let whole_units = (0..n).all(|i| (0..t).all(|s| keep[s * n + i] == keep[i]));
        let whole_periods = (0..t).all(|s| (0..n).all(|i| keep[s * n + i] == keep[s * n]));
        if !whole_units && !whole_periods {
            let mixed = (0..n)
                .find_map(|i| {
                    let yes = (0..t).find(|&s| keep[s * n + i])?;
                    let no = (0..t).find(|&s| !keep[s * n + i])?;
                    Some((i, yes, no))
                })
                .unwrap_or((0, 0, 0));
            let (i, yes, no) = mixed;
            return Err(Error::data(format!(
                "filter: {what} holds for unit {} in period {} but not in period {} (it changes over time \
                 within the unit), so the filtered panel would be unbalanced; a panel filter keeps whole \
                 units (a condition on the id or on a column constant within units, such as a region) or \
                 whole periods (a condition on the time column '{}'); to keep single rows, filter the Frame \
                 p.frame(), then balance(f, \"{}\", \"{}\", \"drop_units\") and build the panel again",
                self.ids[i], self.times[yes], self.times[no], self.time, self.id, self.time
            )));
        }
        let rows: Vec<usize> = (0..n * t).filter(|&r| keep[r]).collect();
        Panel::new(&self.frame.take(&rows), &self.id, &self.time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    fn frame(ids: &[&str], times: &[f64], x: &[f64]) -> Frame {
        Frame::from_columns(vec![
            ("id".into(), Column::Text(ids.iter().map(|s| s.to_string()).collect())),
            ("t".into(), Column::Num(times.to_vec())),
            ("x".into(), Column::Num(x.to_vec())),
        ])
        .unwrap()
    }

    #[test]
    fn sorts_time_slow() {
        let f = frame(
            &["a", "a", "b", "b"],
            &[2001.0, 2000.0, 2000.0, 2001.0],
            &[2.0, 1.0, 3.0, 4.0],
        );
        let p = Panel::new(&f, "id", "t").unwrap();
        assert_eq!(p.var("x").unwrap(), &[1.0, 3.0, 2.0, 4.0]);
        assert_eq!(p.times(), &["2000", "2001"]);
        assert_eq!(p.lag("x", 1).unwrap()[2], 1.0);
        assert!(p.diff("x").unwrap()[0].is_nan());
        assert_eq!(p.growth("x").unwrap()[3], 4.0 / 3.0 - 1.0);
    }

    #[test]
    fn refuses_duplicates_and_missing() {
        let f = frame(&["a", "a", "b"], &[2000.0, 2000.0, 2000.0], &[1.0, 2.0, 3.0]);
        let e = Panel::new(&f, "id", "t").unwrap_err().to_string();
        assert!(e.contains("duplicate") && e.contains("(a, 2000)"), "{e}");
        let f = frame(&["a", "a", "b"], &[2000.0, 2001.0, 2000.0], &[1.0, 2.0, 3.0]);
        let e = Panel::new(&f, "id", "t").unwrap_err().to_string();
        assert!(e.contains("unbalanced") && e.contains("(b, 2001)"), "{e}");
    }

    #[test]
    fn nan_names_unit_and_period() {
        let f = frame(&["a", "b"], &[2000.0, 2000.0], &[1.0, f64::NAN]);
        let p = Panel::new(&f, "id", "t").unwrap();
        let e = p.var_complete("x").unwrap_err().to_string();
        assert!(e.contains("unit b") && e.contains("period 2000"), "{e}");
    }
}
