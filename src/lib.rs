//! spillover core: spatial-econometric numerics with no scripting dependency.
//!
//! Modules follow the concepts of a study: [`data`] (CSV, frames, panels), [`indices`]
//! (agglomeration and resilience), [`weights`] (spatial weights), [`esda`] (Moran's I and
//! friends), [`map`] (polygon maps and their classes), [`linalg`] (log-determinants and traces), [`models`] (panel OLS, specification
//! tests and spatial ML models), [`effects`] (direct/indirect/total effects), [`report`]
//! (tables and exports) and `plot` (figures). The Rhai bindings live in `script`.
//!
//! Cargo features (all on by default): `script` (the Rhai bindings and the stdlib), `plot`
//! (figures, with plotters) and `cli` (the `spillover` binary). With
//! `--no-default-features` the crate is the numeric core alone.

pub mod budget;
pub mod data;
pub mod effects;
pub mod error;
pub mod esda;
pub mod indices;
pub mod interrupt;
pub mod io;
pub mod linalg;
pub mod map;
pub mod models;
#[cfg(feature = "plot")]
pub mod plot;
pub mod progress;
pub mod report;
pub mod rng;
#[cfg(feature = "script")]
pub mod script;
pub mod stats;
pub mod weights;

pub use error::{Error, Result};
