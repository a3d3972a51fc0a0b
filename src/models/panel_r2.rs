//! Within, between and overall R² of a panel model, as `xtreg` defines them and xsmle reports
//! them (`e(r2_w)`, `e(r2_b)`, `e(r2)`; docs/methods.md §7.6): squared correlations of the
//! observations with the model's prediction without the effects,
//!
//! ```text
//! within : corr²(y_it − ȳ_i· , ŷ_it − ŷ̄_i·)
//! between: corr²(ȳ_i· , ŷ̄_i·)
//! overall: corr²(y_it , ŷ_it)
//! ```
//!
//! with ŷ = Zβ̂ for OLS, SEM, SDEM and SLX, and the reduced form ŷ = (I_T ⊗ (I − ρ̂W))⁻¹Zβ̂ for
//! the models with a spatial lag (SAR, SDM, SAC), Z the raw regressors (intercept, X, W·x; no
//! fixed effects). `xtreg`'s definitions are Stata's ([XT] xtreg, "Methods and formulas"); xsmle's
//! exact predictor could not be confirmed from its source (its Mata library ships compiled), so
//! for spatial models these are "xsmle-style (unverified)".

use super::within::{unit_means, ABSORBED_TOL};
use std::collections::BTreeMap;

/// The three measures; `None` where a correlation is undefined because one side does not vary
/// (e.g. the within measure of a cross-section, T = 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanelR2 {
    /// corr² of the unit-demeaned observations and prediction.
    pub within: Option<f64>,
    /// corr² of the unit means.
    pub between: Option<f64>,
    /// corr² of the observations and the prediction.
    pub overall: Option<f64>,
}

/// The extras keys under which [`PanelR2::record`] stores the measures.
pub const KEYS: [&str; 3] = ["r2_within", "r2_between", "r2_overall"];

/// Squared Pearson correlation of `a` and `b`; `None` when either has (relative to its raw
/// sum of squares, [`ABSORBED_TOL`]²) no variation.
fn corr2(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    let raw = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
    let tol = ABSORBED_TOL * ABSORBED_TOL;
    if a.is_empty() || saa <= tol * raw(a) || sbb <= tol * raw(b) {
        return None;
    }
    let r2 = sab * sab / (saa * sbb);
    r2.is_finite().then_some(r2)
}

/// Subtracts each unit's mean (time-slow stacking, `n` units).
fn unit_demeaned(x: &[f64], n: usize) -> Vec<f64> {
    let m = unit_means(x, n);
    x.iter().enumerate().map(|(i, v)| v - m[i % n]).collect()
}

/// The within, between and overall R² of observations `y` and prediction `yhat` (both stacked
/// time-slow over `n` units: period 1 units 1..n, period 2, ...).
pub fn panel_r2(y: &[f64], yhat: &[f64], n: usize) -> PanelR2 {
    PanelR2 {
        within: corr2(&unit_demeaned(y, n), &unit_demeaned(yhat, n)),
        between: corr2(&unit_means(y, n), &unit_means(yhat, n)),
        overall: corr2(y, yhat),
    }
}

impl PanelR2 {
    /// Stores the defined measures in a model's extras under [`KEYS`] (replacing any value).
    pub fn record(&self, extras: &mut BTreeMap<String, f64>) {
        for (key, v) in KEYS.iter().zip([self.within, self.between, self.overall]) {
            match v {
                Some(v) => extras.insert((*key).to_string(), v),
                None => extras.remove(*key),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_prediction_and_cross_section() {
        // N = 2, T = 3: a prediction equal to y up to an affine map has all three equal to 1.
        let y = [1.0, 4.0, 2.0, 3.0, 6.0, 1.0];
        let yhat: Vec<f64> = y.iter().map(|v| 2.0 * v - 1.0).collect();
        let r = panel_r2(&y, &yhat, 2);
        for v in [r.within, r.between, r.overall] {
            assert!((v.unwrap() - 1.0).abs() < 1e-12);
        }
        // T = 1: nothing varies within a unit.
        let r = panel_r2(&[1.0, 2.0, 4.0], &[1.5, 2.0, 3.0], 3);
        assert_eq!(r.within, None);
        assert_eq!(r.between, r.overall);
    }
}
