//! Tabular data: CSV reading, data frames, balanced panels and vectorised helpers.

pub mod align;
pub mod csv;
pub mod frame;
pub mod panel;
pub mod vector;

pub use frame::{Column, Frame};
pub use panel::Panel;

/// Canonical text key of a unit id or period: numbers that are integral print without a
/// decimal point, so that `1`, `1.0` and `"1"` name the same unit.
pub fn key_of_number(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Canonical text key of a string id: trimmed, and a string that parses as a number is keyed
/// like that number (so `"1.0"` and `1` agree).
pub fn key_of_text(s: &str) -> String {
    let t = s.trim();
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() => key_of_number(x),
        _ => t.to_string(),
    }
}
