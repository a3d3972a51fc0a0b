//! Script-side handles of the core types (cheap to clone: an `Arc` each) and conversions
//! between Rhai values and Rust vectors.

use super::{script_err, RResult};
use crate::data::{Column, Frame, Panel};
use crate::report::Table;
use rhai::{Array, Dynamic, FLOAT, INT};
use std::sync::Arc;

/// A data frame in a script.
#[derive(Debug, Clone)]
pub struct SFrame(pub Arc<Frame>);
/// A balanced panel in a script.
#[derive(Debug, Clone)]
pub struct SPanel(pub Arc<Panel>);
/// A result table in a script.
#[derive(Debug, Clone)]
pub struct STable(pub Arc<Table>);

/// A numeric array (integers and floats accepted; `()` is NaN) as `Vec<f64>`; `what` names
/// the argument in errors.
pub fn to_f64s(arr: &Array, what: &str) -> RResult<Vec<f64>> {
    arr.iter()
        .enumerate()
        .map(|(i, v)| {
            if let Some(f) = v.clone().try_cast::<FLOAT>() {
                Ok(f)
            } else if let Some(k) = v.clone().try_cast::<INT>() {
                Ok(k as f64)
            } else if v.is_unit() {
                Ok(f64::NAN)
            } else {
                Err(script_err(format!(
                    "{what}: element {i} is {} ({v}), expected a number",
                    v.type_name()
                )))
            }
        })
        .collect()
}

/// An array of strings (numbers are turned into their canonical text keys).
pub fn to_strings(arr: &Array, what: &str) -> RResult<Vec<String>> {
    arr.iter()
        .enumerate()
        .map(|(i, v)| {
            dyn_to_key(v)
                .ok_or_else(|| script_err(format!("{what}: element {i} is {}, expected a string", v.type_name())))
        })
        .collect()
}

/// A string, integer or float as a canonical text key.
pub fn dyn_to_key(v: &Dynamic) -> Option<String> {
    if let Some(s) = v.clone().try_cast::<rhai::ImmutableString>() {
        Some(crate::data::key_of_text(&s))
    } else if let Some(k) = v.clone().try_cast::<INT>() {
        Some(k.to_string())
    } else {
        v.clone().try_cast::<FLOAT>().map(crate::data::key_of_number)
    }
}

/// `Vec<f64>` as a Rhai array of floats.
pub fn from_f64s(v: &[f64]) -> Array {
    v.iter().map(|x| Dynamic::from_float(*x)).collect()
}

/// Strings as a Rhai array.
pub fn from_strings(v: &[String]) -> Array {
    v.iter().map(|s| Dynamic::from(s.clone())).collect()
}

/// A frame column as a Rhai array (numbers as floats, text as strings).
pub fn column_to_array(c: &Column) -> Array {
    match c {
        Column::Num(v) => from_f64s(v),
        Column::Text(v) => from_strings(v),
    }
}

/// A Rhai array as a frame column: all numbers (or `()`) make a numeric column, otherwise text.
pub fn array_to_column(arr: &Array) -> Column {
    match to_f64s(arr, "") {
        Ok(v) => Column::Num(v),
        Err(_) => Column::Text(
            arr.iter()
                .map(|d| dyn_to_key(d).unwrap_or_else(|| d.to_string()))
                .collect(),
        ),
    }
}
