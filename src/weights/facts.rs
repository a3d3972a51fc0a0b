//! The derived facts of a weights matrix, computed once per matrix and kept with it: row sums,
//! row-stochastic or not, symmetric or not, and the similarity W = D⁻¹C to a symmetric C
//! (docs/methods.md §4.2). Every test of these facts uses the one tolerance [`FACT_TOL`].

use super::similarity::{scale_from_transpose, transpose_values, FACT_TOL};
use super::{row_sums, Weights};

/// What is known about W once its matrix is fixed ([`Weights::facts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// Row sums Σ_j w_ij.
    pub row_sums: Vec<f64>,
    /// Every row sums to one (to [`FACT_TOL`]); false when W has an island. Then Wι = ι, so
    /// e.g. the effects' totals are (β + θ)/(1 − ρ).
    pub row_stochastic: bool,
    /// Every row sums to one or to zero (row-standardised, islands allowed).
    pub row_standardised: bool,
    /// W = W' (to [`FACT_TOL`]).
    pub symmetric: bool,
    /// d with W = D⁻¹C and C symmetric, so that S = D^{1/2}WD^{−1/2} is symmetric with the
    /// eigenvalues of W: the row sums recorded by the builder when known, else detected from W
    /// (up to one positive factor per connected component); `None` when W is not of that form.
    pub similarity: Option<Vec<f64>>,
}

impl Facts {
    /// The facts of `w` (O(nnz log N): one transpose of the pattern, one pass over the links).
    pub(super) fn of(w: &Weights) -> Facts {
        let m = w.matrix();
        let row_sums = row_sums(m);
        let row_stochastic = row_sums.iter().all(|s| (s - 1.0).abs() <= FACT_TOL);
        let row_standardised = row_sums.iter().all(|s| *s == 0.0 || (s - 1.0).abs() <= FACT_TOL);
        let tv = transpose_values(m);
        let symmetric = tv.as_deref().is_some_and(|t| {
            m.data()
                .iter()
                .zip(t)
                .all(|(v, u)| (u - v).abs() <= FACT_TOL * v.abs().max(u.abs()))
        });
        let similarity = match w.sym_scale() {
            Some(d) => Some(d.to_vec()),
            None => tv.as_deref().and_then(|t| scale_from_transpose(m, t)),
        };
        Facts {
            row_sums,
            row_stochastic,
            row_standardised,
            symmetric,
            similarity,
        }
    }

    /// The facts of the same matrix with its units reordered: unit k of the new order is unit
    /// `perm[k]` of the old one (row sums and d are permuted; the flags do not change).
    pub(super) fn permuted(&self, perm: &[usize]) -> Facts {
        Facts {
            row_sums: perm.iter().map(|&o| self.row_sums[o]).collect(),
            similarity: self.similarity.as_ref().map(|d| perm.iter().map(|&o| d[o]).collect()),
            ..self.clone()
        }
    }
}
