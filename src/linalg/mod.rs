//! Log-determinants ln|I − ρW| and related traces, behind one trait: set up once for W,
//! then cheap to evaluate at each ρ (docs/methods.md §4).

use crate::weights::Spectrum;

pub use dense::{dot, quad_form};
pub use resolvent::{Resolvent, DENSE_RESOLVENT_LIMIT};
pub use sparse::lag_quad_form;

/// A log-determinant engine for ln|I_N − ρW| (docs/methods.md §4.2–4.6). Setup (eigenvalues, symbolic
/// factorisation, traces) happens once when the engine is built; `logdet` must not allocate
/// anything of size N×N.
pub trait LogDet: Send + Sync {
    /// ln|I − ρW| at `rho` (approximate for the Chebyshev and Monte Carlo engines).
    fn logdet(&self, rho: f64) -> f64;
    /// The engine's option name: "eigen", "sparse", "chebyshev", "monte_carlo".
    fn method(&self) -> &'static str;
    /// A description of the approximation error, when the engine is approximate.
    fn error_note(&self) -> Option<String> {
        None
    }
}

impl LogDet for Spectrum {
    fn logdet(&self, rho: f64) -> f64 {
        Spectrum::logdet(self, rho)
    }
    fn method(&self) -> &'static str {
        "eigen"
    }
}

pub mod cache;
pub mod dense;
pub mod krylov;
pub mod logdet;
pub mod resolvent;
pub mod sparse;
pub mod traces;
