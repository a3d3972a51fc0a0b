//! Variable construction (METHODS §1): agglomeration indices (Mar, Jacobs, location quotients)
//! from long employment tables, and the regional economic resilience index Resi.

pub mod agglomeration;
pub mod resilience;

pub use agglomeration::{
    agglomeration, location_quotients, AggOptions, JacobsKind, JacobsZero, MarKind, MissingSector,
};
pub use resilience::{resilience, National, ResilienceKind, ResilienceOptions, ZeroDenominator};

use crate::data::{Column, Frame};

/// An output key column of the same kind as `like`: numbers when `like` is numeric (keys parse
/// back to the same numbers), text otherwise.
pub(crate) fn key_column(keys: Vec<String>, like: &Column) -> Column {
    match like {
        Column::Num(_) => Column::Num(keys.iter().map(|k| k.parse::<f64>().unwrap_or(f64::NAN)).collect()),
        Column::Text(_) => Column::Text(keys),
    }
}

/// Sorts period keys numerically when the time column is numeric, as text otherwise (the
/// order [`crate::data::Panel`] uses).
pub(crate) fn sort_periods(times: &mut [String], f: &Frame, time: &str) {
    if matches!(f.column(time), Ok(Column::Num(_))) {
        times.sort_by(|a, b| {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(f64::NAN),
                b.parse::<f64>().unwrap_or(f64::NAN),
            );
            x.total_cmp(&y)
        });
    } else {
        times.sort();
    }
}
