//! Variable construction (docs/methods.md §1): agglomeration indices (Mar, Jacobs, location quotients)
//! from long employment tables, and the regional economic resilience index Resi.

pub mod agglomeration;
pub mod resilience;

pub use agglomeration::{
    agglomeration, location_quotients, AggOptions, JacobsKind, JacobsZero, MarKind, MissingSector,
};
pub use resilience::{resilience, National, ResilienceKind, ResilienceOptions, ZeroDenominator};

use crate::data::{Column, Frame};

/// An output frame whose key columns (`keys`: name, one key per row, the column of the input
/// they come from) are of the same kind as in the input: numbers when the input column is
/// numeric, keeping the keys' text as written (`001`, `12345678901234567` stay themselves), text
/// otherwise; followed by the value columns `values`.
pub(crate) fn keyed_frame(
    keys: Vec<(String, Vec<String>, &Column)>,
    values: Vec<(String, Column)>,
) -> crate::Result<Frame> {
    let mut cols = Vec::with_capacity(keys.len() + values.len());
    let mut written = Vec::new();
    for (name, k, like) in keys {
        let col = match like {
            Column::Num(_) => {
                written.push((name.clone(), k.clone()));
                Column::Num(k.iter().map(|k| k.parse::<f64>().unwrap_or(f64::NAN)).collect())
            }
            Column::Text(_) => Column::Text(k),
        };
        cols.push((name, col));
    }
    cols.extend(values);
    let mut f = Frame::from_columns(cols)?;
    for (name, k) in written {
        f = f.with_written_text(&name, k)?;
    }
    Ok(f)
}
