//! Values put in the unit order of a spatial weights matrix, matched by id (never by row
//! position), and the group keys of a panel column (one definition for every caller).

use super::{Frame, Panel};
use crate::error::{list_some, Error, Result};
use std::collections::HashMap;

/// The numeric column `value` of `frame` with one value per unit of `ids` (W's unit order),
/// matched through the frame's id column `id` (compared as canonical keys, as W's ids are).
///
/// Errors name some of the culprits and how many there are: an id that appears on more than
/// one row of the frame, units of `ids` with no row in the frame, and rows whose id is not a
/// unit of `ids`. Missing values (NaN) are kept.
pub fn in_order(frame: &Frame, id: &str, value: &str, ids: &[String]) -> Result<Vec<f64>> {
    let keys = frame.keys(id)?;
    let x = frame.numeric(value)?;
    let mut row_of: HashMap<&str, usize> = HashMap::with_capacity(keys.len());
    let mut dups: Vec<String> = Vec::new();
    for (r, k) in keys.iter().enumerate() {
        if let Some(first) = row_of.insert(k.as_str(), r) {
            row_of.insert(k.as_str(), first);
            dups.push(format!("'{k}' (rows {} and {})", first + 1, r + 1));
        }
    }
    if !dups.is_empty() {
        return Err(Error::data(format!(
            "in_order: {} duplicate id(s) in column '{id}': {}; each unit must have one row \
             (for a panel, take one period first)",
            dups.len(),
            list_some(&dups, 5)
        )));
    }
    let missing: Vec<&String> = ids.iter().filter(|u| !row_of.contains_key(u.as_str())).collect();
    let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let extra: Vec<&String> = keys.iter().filter(|k| !wanted.contains(k.as_str())).collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut msg = String::from("in_order: the ids do not match W's units");
        if !missing.is_empty() {
            msg += &format!(
                "; {} unit(s) of W have no row in column '{id}': {}",
                missing.len(),
                list_some(&missing, 5)
            );
        }
        if !extra.is_empty() {
            msg += &format!(
                "; {} id(s) of column '{id}' are not units of W: {}",
                extra.len(),
                list_some(&extra, 5)
            );
        }
        msg += &super::same_number_hint(&extra, &missing);
        return Err(Error::data(
            msg + "; check that the id column is the one W was built from (w.subset(ids) keeps a subset of W)",
        ));
    }
    Ok(ids.iter().map(|u| x[row_of[u.as_str()]]).collect())
}

/// The column `value` of panel `p` in period `period` (a canonical key, e.g. "1990"), one value
/// per unit of `ids`: [`in_order`] on that period's rows. An unknown period is an error that
/// lists the panel's periods.
pub fn period_in_order(p: &Panel, value: &str, period: &str, ids: &[String]) -> Result<Vec<f64>> {
    let k = super::key_of_text(period);
    let t = p.times().iter().position(|s| *s == k).ok_or_else(|| {
        Error::data(format!(
            "in_order: the panel has no period '{period}'; periods: {}",
            list_some(p.times(), 10)
        ))
    })?;
    let n = p.n();
    let rows: Vec<usize> = (t * n..(t + 1) * n).collect();
    in_order(&p.frame().take(&rows), p.id_name(), value, ids)
}

/// The distinct keys of panel column `column` over the units (their first-period values), in
/// order of first appearance, as canonical text keys ("1", not "1.0"). These are the keys of
/// `fit_by`'s result and of `p.filter(column, key)`.
pub fn group_keys(p: &Panel, column: &str) -> Result<Vec<String>> {
    let keys = p.frame().keys(column)?;
    let mut groups: Vec<String> = Vec::new();
    for k in keys.iter().take(p.n()) {
        if !groups.contains(k) {
            groups.push(k.clone());
        }
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    fn frame(ids: &[&str], x: &[f64]) -> Frame {
        Frame::from_columns(vec![
            ("id".into(), Column::Text(ids.iter().map(|s| s.to_string()).collect())),
            ("x".into(), Column::Num(x.to_vec())),
        ])
        .unwrap()
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_follow_w_order() {
        let f = frame(&["b", "c", "a"], &[2.0, 3.0, 1.0]);
        assert_eq!(
            in_order(&f, "id", "x", &ids(&["a", "b", "c"])).unwrap(),
            vec![1.0, 2.0, 3.0]
        );
    }

    #[test]
    fn mismatches_and_duplicates_are_named() {
        let f = frame(&["a", "b", "a"], &[1.0, 2.0, 3.0]);
        let e = in_order(&f, "id", "x", &ids(&["a", "b"])).unwrap_err().to_string();
        assert!(
            e.contains("1 duplicate id(s)") && e.contains("'a' (rows 1 and 3)"),
            "{e}"
        );
        let f = frame(&["a", "x"], &[1.0, 2.0]);
        let e = in_order(&f, "id", "x", &ids(&["a", "b", "c"])).unwrap_err().to_string();
        assert!(e.contains("2 unit(s) of W have no row") && e.contains("b, c"), "{e}");
        assert!(e.contains("1 id(s) of column 'id' are not units of W: x"), "{e}");
    }
}
