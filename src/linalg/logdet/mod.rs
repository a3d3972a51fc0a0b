//! Log-determinant engines ln|I − ρW| (docs/methods.md §4.2–4.5) and the `auto` chooser.
//!
//! | option | engine | exact? |
//! |---|---|---|
//! | `"eigen"` | [`crate::weights::Spectrum`]: Σ ln(1 − ρω) | yes |
//! | `"sparse"` | [`sparse::SparseLogDet`]: sparse Cholesky of I − ρS, or sparse LU | yes |
//! | `"chebyshev"` | [`chebyshev::ChebyshevLogDet`] (Pace–LeSage, q = 5) | no |
//! | `"monte_carlo"` | [`monte_carlo::MonteCarloLogDet`] (Barry–Pace, m = 30, p = 16) | no |
//! | `"auto"` | eigen when N ≤ [`AUTO_EIGEN_LIMIT`] or W is dense (≥ [`AUTO_DENSE_FRACTION`] non-zeros, N ≤ [`EIGEN_MAX_N`]), else sparse ([`auto_choice`]) | yes |

pub mod chebyshev;
mod lu;
pub mod monte_carlo;
pub mod sparse;

pub use chebyshev::ChebyshevLogDet;
pub use monte_carlo::{McEstimate, MonteCarloLogDet};
pub use sparse::{SparseFactor, SparseLogDet, SparseMethod};

use super::LogDet;
use crate::error::{Error, Result};
use crate::linalg::traces::TraceOptions;
use crate::weights::Weights;

/// Largest N for which `"auto"` picks the dense eigenvalue engine whatever the sparsity of W.
/// Above it a sparse W (fewer than [`AUTO_DENSE_FRACTION`] non-zeros) goes to the sparse engine,
/// which is exact and, with the sparse traces, needs no N×N object.
pub const AUTO_EIGEN_LIMIT: usize = 1000;

/// Share of non-zero entries nnz/N² from which `"auto"` treats W as dense and keeps the
/// eigenvalues up to [`EIGEN_MAX_N`] (a sparse factorisation would fill in).
pub const AUTO_DENSE_FRACTION: f64 = 0.05;

/// Largest N accepted by the dense eigenvalue engine (N×N dense storage).
pub const EIGEN_MAX_N: usize = 20_000;

/// The valid values of the `lndet` option (the names of [`LogDetMethod::ALL`], for messages).
pub const LOGDET_METHODS: [&str; 5] = ["auto", "eigen", "sparse", "chebyshev", "monte_carlo"];

/// The `lndet` option: which log-determinant engine (table in the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogDetMethod {
    /// Eigenvalues for small or dense W, the exact sparse engine otherwise ([`auto_choice`]).
    #[default]
    Auto,
    /// Eigenvalues of W (exact, dense N×N eigenproblem).
    Eigen,
    /// Sparse Cholesky of the symmetric similar matrix, or sparse LU (exact).
    Sparse,
    /// Chebyshev approximation (Pace–LeSage).
    Chebyshev,
    /// Monte Carlo approximation (Barry–Pace).
    MonteCarlo,
}

impl LogDetMethod {
    /// Every method, in the order of [`LOGDET_METHODS`].
    pub const ALL: [LogDetMethod; 5] = [
        LogDetMethod::Auto,
        LogDetMethod::Eigen,
        LogDetMethod::Sparse,
        LogDetMethod::Chebyshev,
        LogDetMethod::MonteCarlo,
    ];
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            LogDetMethod::Auto => "auto",
            LogDetMethod::Eigen => "eigen",
            LogDetMethod::Sparse => "sparse",
            LogDetMethod::Chebyshev => "chebyshev",
            LogDetMethod::MonteCarlo => "monte_carlo",
        }
    }
}

/// What `"auto"` resolves to for `w` ([`LogDetMethod::Eigen`] or [`LogDetMethod::Sparse`]) and
/// why, in words.
pub fn auto_choice(w: &Weights) -> (LogDetMethod, String) {
    let n = w.n();
    let density = w.nnz() as f64 / (n as f64 * n as f64).max(1.0);
    let pct = format!("{:.3}% non-zeros", 100.0 * density);
    if n <= AUTO_EIGEN_LIMIT {
        (
            LogDetMethod::Eigen,
            format!("auto: eigen (N = {n} ≤ {AUTO_EIGEN_LIMIT})"),
        )
    } else if density >= AUTO_DENSE_FRACTION && n <= EIGEN_MAX_N {
        (
            LogDetMethod::Eigen,
            format!("auto: eigen (W is dense, {pct}, N = {n} ≤ {EIGEN_MAX_N})"),
        )
    } else {
        (
            LogDetMethod::Sparse,
            format!("auto: sparse (N = {n} > {AUTO_EIGEN_LIMIT} and W is sparse, {pct})"),
        )
    }
}

/// The engine for option `lndet = requested` with default settings: `"auto"` (see
/// [`auto_choice`]), `"eigen"`, `"sparse"`, `"chebyshev"` (q = 5), `"monte_carlo"`
/// (m = 30, p = 16, default seed). The chosen engine names itself through
/// [`LogDet::method`].
pub fn choose_logdet(w: &Weights, requested: LogDetMethod) -> Result<Box<dyn LogDet>> {
    let n = w.n();
    let method = match requested {
        LogDetMethod::Auto => auto_choice(w).0,
        other => other,
    };
    match method {
        LogDetMethod::Eigen => {
            if n > EIGEN_MAX_N {
                return Err(Error::invalid(format!(
                    "lndet \"eigen\": N = {n} needs a dense {n}×{n} eigenproblem (limit {EIGEN_MAX_N}); use lndet: \
                     \"sparse\" (exact) or \"auto\""
                )));
            }
            let s = w.spectrum()?;
            Ok(Box::new((*s).clone()))
        }
        LogDetMethod::Sparse | LogDetMethod::Auto => Ok(Box::new(SparseLogDet::new(w)?)),
        LogDetMethod::Chebyshev => Ok(Box::new(ChebyshevLogDet::new(
            w,
            chebyshev::DEFAULT_CHEBYSHEV_ORDER,
            &TraceOptions::default(),
        )?)),
        LogDetMethod::MonteCarlo => Ok(Box::new(MonteCarloLogDet::new(
            w,
            monte_carlo::DEFAULT_MC_ORDER,
            monte_carlo::DEFAULT_MC_DRAWS,
            monte_carlo::DEFAULT_MC_SEED,
        )?)),
    }
}
