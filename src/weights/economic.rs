//! Reciprocal economic-distance weights on the period means of a variable (docs/methods.md §2).

use super::builder::{dense_matrix, Common};
use super::points::no_rows;
use super::Weights;
use crate::data::Panel;
use crate::error::{Error, Result};

/// The kernel of the economic-distance weights c_ij = f(|Ȳ_i − Ȳ_j|) (docs/methods.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EconForm {
    /// c_ij = 1/|Ȳ_i − Ȳ_j| (the default).
    #[default]
    Inverse,
    /// c_ij = 1/(Ȳ_i − Ȳ_j)².
    InverseSquared,
    /// c_ij = exp(−|Ȳ_i − Ȳ_j|).
    Exp,
}

impl EconForm {
    /// The option value naming this form.
    pub fn name(self) -> &'static str {
        match self {
            Self::Inverse => "inverse",
            Self::InverseSquared => "inverse_squared",
            Self::Exp => "exp",
        }
    }
    /// c(|Δ|).
    fn kernel(self, gap: f64) -> f64 {
        match self {
            Self::Inverse => 1.0 / gap,
            Self::InverseSquared => 1.0 / (gap * gap),
            Self::Exp => (-gap).exp(),
        }
    }
}

/// Options of [`weights_economic`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EconomicOptions {
    /// The kernel (default inverse).
    pub form: EconForm,
    /// Replace |Ȳ_i − Ȳ_j| by max(|Ȳ_i − Ȳ_j|, min_gap); without it tied means are an error.
    pub min_gap: Option<f64>,
    /// Standardisation and islands.
    pub common: Common,
}

/// Reciprocal economic-distance weights on the period mean of `var` (docs/methods.md §2):
/// Ȳ_i = (1/T) Σ_t y_it, c_ij = 1/|Ȳ_i − Ȳ_j| (or the chosen form), c_ii = 0, then
/// standardised (row by default: w_ij = c_ij / Σ_k c_ik). C is symmetric, so a row-standardised
/// W keeps the row sums for the symmetric-similarity eigenvalues (§4.2).
///
/// Tied means (Ȳ_i = Ȳ_j, i ≠ j) give an infinite weight: an error listing the pairs unless
/// `min_gap` is set. Missing values of `var` are an error naming the unit and period.
pub fn weights_economic(panel: &Panel, var: &str, opts: &EconomicOptions) -> Result<Weights> {
    let ybar = unit_means(panel, var, "weights_economic")?;
    economic_from_means(panel.ids().to_vec(), &ybar, var, opts)
}

/// The sample-period mean Ȳ_i = (1/T) Σ_t y_it of `var` for each unit, in the order of
/// `panel.ids()` (docs/methods.md §2). Missing values are an error naming the unit and period;
/// `what` names the caller in the error for an empty panel.
pub fn unit_means(panel: &Panel, var: &str, what: &str) -> Result<Vec<f64>> {
    if panel.n() == 0 {
        return Err(no_rows(panel.frame(), what));
    }
    let v = panel.var_complete(var)?;
    let (n, t) = (panel.n(), panel.t());
    let mut ybar = vec![0.0; n];
    for period in v.chunks(n) {
        for (m, x) in ybar.iter_mut().zip(period) {
            *m += x;
        }
    }
    for m in &mut ybar {
        *m /= t as f64;
    }
    Ok(ybar)
}

/// Economic-distance weights from given unit means Ȳ (see [`weights_economic`]).
pub fn economic_from_means(ids: Vec<String>, ybar: &[f64], var: &str, opts: &EconomicOptions) -> Result<Weights> {
    let n = ids.len();
    if let Some(g) = opts.min_gap {
        if !(g.is_finite() && g > 0.0) {
            return Err(Error::invalid(format!(
                "weights_economic: min_gap must be a positive number, got {g}"
            )));
        }
    }
    if let Some(i) = ybar.iter().position(|x| !x.is_finite()) {
        return Err(Error::data(format!(
            "weights_economic: the mean of '{var}' is not finite for unit {}",
            ids[i]
        )));
    }
    if n < 2 {
        return Err(Error::data(format!(
            "weights_economic: need at least two units, got {n}; a unit has no neighbour without another unit"
        )));
    }
    if opts.min_gap.is_none() && opts.form != EconForm::Exp {
        let (count, ties) = tied_pairs(&ids, ybar, 10);
        if count > 0 {
            let more = if count > ties.len() { ", ..." } else { "" };
            return Err(Error::data(format!(
                "weights_economic: {count} pair(s) of units have the same period mean of '{var}', so 1/|Ȳi − Ȳj| is infinite: {}{more}; \
                 pass min_gap (|Ȳi − Ȳj| is then replaced by max(|Ȳi − Ȳj|, min_gap)) or check the data",
                ties.join(", ")
            )));
        }
    }
    let floor = opts.min_gap.unwrap_or(0.0);
    let raw = dense_matrix(n, |i, j| opts.form.kernel((ybar[i] - ybar[j]).abs().max(floor)))?;
    if opts.form == EconForm::Exp {
        if let Some(i) = (0..n).find(|&i| raw.outer_view(i).is_none_or(|r| r.nnz() == 0)) {
            let gap = (0..n)
                .filter(|&j| j != i)
                .map(|j| (ybar[i] - ybar[j]).abs())
                .fold(f64::INFINITY, f64::min);
            return Err(Error::data(format!(
                "weights_economic: form \"exp\": unit {} is {gap} away from its closest unit in the mean of '{var}', \
                 and exp(−{gap}) is 0 in double precision (below about exp(−745)), so the unit has no neighbour; \
                 rescale '{var}' (e.g. use logs, or divide by its standard deviation) or use form \"inverse\"",
                ids[i]
            )));
        }
    }
    Weights::from_raw_with(ids, raw, &opts.common)
}

/// The number of pairs of units with exactly equal values and the first `max` of them as
/// "(a, b)" (found by sorting, O(N log N); the count is not limited).
fn tied_pairs(ids: &[String], y: &[f64], max: usize) -> (usize, Vec<String>) {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&a, &b| y[a].total_cmp(&y[b]));
    let mut out = Vec::new();
    let mut count = 0;
    let mut s = 0;
    while s < order.len() {
        let mut e = s + 1;
        while e < order.len() && y[order[e]] == y[order[s]] {
            e += 1;
        }
        let k = e - s;
        count += k * (k - 1) / 2;
        'pairs: for a in s..e {
            for b in a + 1..e {
                if out.len() == max {
                    break 'pairs;
                }
                out.push(format!("({}, {})", ids[order[a]], ids[order[b]]));
            }
        }
        s = e;
    }
    (count, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_are_listed() {
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let t = tied_pairs(&ids, &[1.0, 2.0, 1.0, 2.0], 10);
        assert_eq!(t, (2, vec!["(a, c)".to_string(), "(b, d)".to_string()]));
        let t = tied_pairs(&ids, &[1.0; 4], 1);
        assert_eq!(t, (6, vec!["(a, b)".to_string()]));
    }
}
