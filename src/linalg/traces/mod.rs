//! Traces for the information matrix and the effects at any N (docs/methods.md §7.4, §9).
//!
//! * [`g_traces`]: tr(G), tr(GG) and tr(G'G) with G = W(I − ρW)⁻¹ — from the eigenvalues
//!   (tr G = Σ ω/(1−ρω), tr G² = Σ ω²/(1−ρω)²) and one dense solve (tr G'G = ‖G‖_F²) for
//!   N ≤ `dense_limit`; a seeded Hutchinson estimator with sparse solves above it.
//! * [`g_traces_sparse`]: the same from a sparse factorisation of I − ρW, with no N×N object:
//!   exact from N sparse solves when affordable, else tr G and tr GG from finite differences of
//!   the exact log-determinant and tr G'G = tr GG + a Hutchinson estimate of tr(G'G − GG).
//! * [`power_traces`]: tr(Wᵏ), k = 1..m, for the power-series effects (LeSage–Pace, spatialreg
//!   `trW`): exact from the eigenvalues or by propagating unit vectors, else stochastic u'Wᵏu.
//! * [`dynamic_traces`], [`g_diagonal_squares`]: the traces of the dynamic panel's bias and
//!   kurtosis term from sparse factorisations (docs/methods.md §14.7).

mod blocks;
mod dynamic;
mod g;
mod probes;
mod series;

pub use blocks::lag_transpose;
pub use dynamic::{dynamic_traces, dynamic_traces_cost, g_diagonal_squares, DiagonalSquares, DynamicTraces};
pub use g::{column_g_traces_cost, g_traces, g_traces_sparse, g_traces_stochastic, spectrum_g_traces, GTraces};
pub use probes::{mean_se, probes, Probe};
pub use series::{exact_power_traces, exact_power_traces_cost, power_traces, stochastic_power_traces, PowerTraces};

/// Default seed of the stochastic trace estimators.
pub const DEFAULT_TRACE_SEED: u64 = 20_240_917;

/// Options of the trace computations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceOptions {
    /// Largest N for the dense exact path of [`g_traces`] (default 2000).
    pub dense_limit: usize,
    /// Number of random probe vectors of the stochastic estimators (default 50).
    pub draws: usize,
    /// Seed of the probes (ChaCha8).
    pub seed: u64,
    /// Largest number of multiply–adds allowed for the exact sparse computations of
    /// [`power_traces`] and [`g_traces_sparse`] before they switch to the stochastic estimators
    /// (default 10⁹, about half a second).
    pub exact_flop_budget: f64,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            dense_limit: crate::linalg::DENSE_RESOLVENT_LIMIT,
            draws: 50,
            seed: DEFAULT_TRACE_SEED,
            exact_flop_budget: 1e9,
        }
    }
}

/// How a set of traces was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMethod {
    /// Exact, from the eigenvalues of W.
    Eigen,
    /// Exact, from a dense N×N solve (tr G'G) and/or the eigenvalues.
    Dense,
    /// Exact, from sparse matrix–vector products (unit vectors propagated through W).
    SparseProducts,
    /// Exact, from N sparse solves with the factorisation of I − ρW.
    SparseSolves,
    /// tr G and tr GG from finite differences of the exact log-determinant (deterministic, error
    /// estimate reported), tr G'G = tr GG + a Hutchinson estimate of tr(G'G − GG).
    FiniteDifference,
    /// Stochastic (Hutchinson / Barry–Pace) with seeded probes; standard errors reported.
    Stochastic,
}

impl TraceMethod {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            TraceMethod::Eigen => "eigen",
            TraceMethod::Dense => "dense",
            TraceMethod::SparseProducts => "sparse_products",
            TraceMethod::SparseSolves => "sparse_solves",
            TraceMethod::FiniteDifference => "finite_difference",
            TraceMethod::Stochastic => "stochastic",
        }
    }
}
