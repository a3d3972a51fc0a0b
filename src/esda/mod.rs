//! Exploratory spatial data analysis: global Moran's I ([`moran()`]), Geary's C ([`geary()`]),
//! local Moran's I ([`local`]) and the seeded, thread-count-independent permutation engine
//! they share ([`permutation`]). Formulas: docs/methods.md §3.

pub mod geary;
pub mod local;
pub mod moran;
pub mod permutation;

pub use geary::{geary, Geary};
pub use local::{lisa_cluster, local_moran, LocalMoran, Quadrant};
pub use moran::{moran, moran_panel, Moran, MoranTable};
pub use permutation::PermutationTest;

use crate::error::{Error, Result};
use crate::weights::Weights;

/// Default seed of the permutation tests (any fixed value; results are reproducible).
pub const DEFAULT_SEED: u64 = 12345;

/// Options of the exploratory statistics ([`moran()`], [`geary()`], [`local_moran`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoranOptions {
    /// Number of random permutations for the pseudo p-value; `None` (default) skips them.
    pub permutations: Option<usize>,
    /// Seed of the permutation streams (default [`DEFAULT_SEED`]). The same seed gives the
    /// same result for any number of threads.
    pub seed: u64,
}

impl Default for MoranOptions {
    fn default() -> Self {
        MoranOptions {
            permutations: None,
            seed: DEFAULT_SEED,
        }
    }
}

/// Checks a cross-section `x` against `w`: same length, every value finite (the error names the
/// position and unit id), at least `min_n` units and not constant. `what` names the statistic.
pub(crate) fn check_cross_section(x: &[f64], w: &Weights, what: &str, min_n: usize) -> Result<()> {
    if x.len() != w.n() {
        return Err(Error::data(format!(
            "{what}: the variable has {} values but the weights have {} units; \
             pass one value per unit in the order of w.ids()",
            x.len(),
            w.n()
        )));
    }
    if let Some(pos) = x.iter().position(|v| !v.is_finite()) {
        let count = x.iter().filter(|v| !v.is_finite()).count();
        return Err(Error::data(format!(
            "{what}: value {} (unit {}) is {} ({count} missing or infinite value(s) in all); \
             {what} needs complete, finite data: impute or drop the unit (w.subset(ids))",
            pos + 1,
            w.ids()[pos],
            crate::data::nonfinite_word(x[pos])
        )));
    }
    if x.len() < min_n {
        return Err(Error::data(format!(
            "{what}: N = {} units; at least {min_n} are needed (the randomisation variance divides by N − 3)",
            x.len()
        )));
    }
    Ok(())
}

/// Deviations from the mean z = x − x̄ and Σz², refusing a constant variable (Σz² = 0).
pub(crate) fn centre(x: &[f64], what: &str) -> Result<(Vec<f64>, f64)> {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let z: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let zz: f64 = z.iter().map(|v| v * v).sum();
    let scale = x.iter().map(|v| v.abs()).fold(0.0, f64::max);
    if zz == 0.0 || zz.sqrt() <= 1e-14 * scale * n.sqrt() {
        return Err(Error::data(format!(
            "{what}: the variable is constant (all values equal {mean}), so z'z = 0 and the statistic is undefined"
        )));
    }
    Ok((z, zz))
}

/// z'Wz (the one sparse quadratic form, [`crate::linalg::lag_quad_form`]).
pub(crate) use crate::linalg::lag_quad_form as quad_form;

/// Sample kurtosis b2 = N Σz⁴ / (Σz²)² of deviations `z` (docs/methods.md §3).
pub(crate) fn kurtosis(z: &[f64], zz: f64) -> f64 {
    let z4: f64 = z.iter().map(|v| v.powi(4)).sum();
    z.len() as f64 * z4 / (zz * zz)
}
