//! Direct, indirect and total effects of spatial models with inference (docs/methods.md §9; LeSage &
//! Pace 2009; spatialreg `impacts`, Elhorst `direct_indirect_effects_estimates.m`).
//!
//! For regressor k with S(ρ) = (I − ρW)⁻¹ and M_k = S(ρ)(β_k I + θ_k W):
//!
//! ```text
//! ADE_k = tr(M_k)/N,   ATE_k = ι'M_k ι/N (= (β_k + θ_k)/(1 − ρ) for row-stochastic W),
//! AIE_k = ATE_k − ADE_k.
//! ```
//!
//! SDEM and SLX have no multiplier: direct β_k (+ θ_k tr(W)/N, zero for a zero diagonal),
//! indirect θ_k, total β_k + θ_k. SEM: direct β_k, indirect 0. OLS has no spillovers (error).
//!
//! * [`exact`]: point effects from the eigenvalues of W (O(N) per ρ) or from the power traces
//!   tr(Wᵠ) (O(m) per ρ).
//! * [`delta`]: delta-method standard errors with the full covariance (ρ–β cross terms).
//! * [`simulate`]: R draws φ⁽ʳ⁾ ~ N(φ̂, V̂), seeded, identical for any thread count.
//!
//! Defaults (docs/methods.md §10): simulation, R = 1000 draws, seed [`DEFAULT_SEED`], point estimate at
//! φ̂, SE = sd of the draws, z = point/SE, draws with ρ outside the interval re-drawn (counted).

pub mod compare;
pub mod delta;
mod driver;
pub mod dynamic;
pub mod exact;
mod input;
mod options;
mod prepare;
pub mod simulate;
mod table;

pub use compare::{compare_effects, effects_rows, robustness_with_effects};
pub use driver::{effects, point_effects, DynamicEffects, EffectRow, Effects, LongRun};
pub use dynamic::effects_of_fit;
pub use exact::{Averages, Kernel, Totals, TraceSource};
pub use input::{input_from_fit, input_from_model, row_sum_moments, EffectsInput};
pub use options::{
    EffectsOptions, Method, Mode, TraceEngine, DEFAULT_DRAWS, DEFAULT_SEED, SERIES_ABOVE_N, SERIES_WARN_BOUND,
};
pub use prepare::{prepare, Layout, Prepared};
