//! A summary of a weights matrix: size, links, neighbour counts, islands, symmetry, and for a
//! derived W (docs/methods.md §16.3–16.4) its form, α, eigenvalue range and link edits.

use super::{Standardization, Weights};
use crate::report::table::{Cell, Table};
use std::fmt;

/// Descriptive facts about a [`Weights`].
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Number of units N.
    pub n: usize,
    /// Number of non-zero weights.
    pub links: usize,
    /// Fewest neighbours of a unit.
    pub min_neighbours: usize,
    /// Mean number of neighbours (links / N).
    pub mean_neighbours: f64,
    /// Most neighbours of a unit.
    pub max_neighbours: usize,
    /// Ids of the units without neighbours.
    pub islands: Vec<String>,
    /// W = W'.
    pub symmetric: bool,
    /// W = D⁻¹C with C symmetric, so its eigenvalues come from a symmetric matrix (docs/methods.md §4.2).
    pub similar_to_symmetric: bool,
    /// The standardisation applied.
    pub standardization: Standardization,
    /// Share of non-zero weights among the N(N−1) off-diagonal cells.
    pub density: f64,
    /// Every row sums to one (or is an island's zero row).
    pub row_stochastic: bool,
    /// The builder and form of a derived W ([`super::Provenance`]), e.g. "nested N2".
    pub form: Option<String>,
    /// The distance-decay exponent α of its geographic part.
    pub alpha: Option<f64>,
    /// (ω_min, ω_max), the smallest and largest real eigenvalue: for a W with a recorded form
    /// (its ρ interval is (1/ω_min, 1/ω_max), and ω_max ≠ 1 when not row-stochastic), or when the
    /// eigenvalues are already computed; N ≤ [`OMEGA_MAX_N`] otherwise.
    pub omega: Option<(f64, f64)>,
    /// The link edits made by `add_link` / `remove_link`, in order.
    pub edits: Vec<String>,
}

/// Largest N for which the summary of a derived W computes its eigenvalues (dense, O(N³)).
pub const OMEGA_MAX_N: usize = 3000;

impl Summary {
    /// Summarises `w`.
    pub fn of(w: &Weights) -> Summary {
        let counts: Vec<usize> = w.matrix().outer_iterator().map(|r| r.nnz()).collect();
        let n = w.n();
        let islands = counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == 0)
            .map(|(i, _)| w.ids()[i].clone())
            .collect();
        let facts = w.facts();
        let symmetric = facts.symmetric;
        let prov = w.provenance();
        let form = prov.and_then(|p| p.form.clone());
        let omega = (w.has_spectrum() || (form.is_some() && n <= OMEGA_MAX_N))
            .then(|| w.spectrum().ok())
            .flatten()
            .map(|s| s.real_range())
            .filter(|(lo, hi)| lo.is_finite() && hi.is_finite());
        Summary {
            n,
            links: w.nnz(),
            min_neighbours: counts.iter().copied().min().unwrap_or(0),
            mean_neighbours: if n > 0 { w.nnz() as f64 / n as f64 } else { f64::NAN },
            max_neighbours: counts.iter().copied().max().unwrap_or(0),
            islands,
            symmetric,
            similar_to_symmetric: symmetric || facts.similarity.is_some(),
            standardization: w.standardization(),
            density: if n > 1 {
                w.nnz() as f64 / (n as f64 * (n as f64 - 1.0))
            } else {
                f64::NAN
            },
            row_stochastic: facts.row_standardised,
            form,
            alpha: prov.and_then(|p| p.alpha),
            omega,
            edits: prov.map(|p| p.edits.clone()).unwrap_or_default(),
        }
    }

    /// The summary as a two-column table (statistic, value).
    pub fn to_table(&self) -> Table {
        let mut t = Table::new("Spatial weights", vec!["statistic".into(), "value".into()]);
        let yes = |b: bool| Cell::from(if b { "yes" } else { "no" });
        t.push(vec!["units".into(), self.n.into()]);
        t.push(vec!["links (non-zero weights)".into(), self.links.into()]);
        t.push(vec!["density".into(), self.density.into()]);
        t.push(vec!["min neighbours".into(), self.min_neighbours.into()]);
        t.push(vec!["mean neighbours".into(), self.mean_neighbours.into()]);
        t.push(vec!["max neighbours".into(), self.max_neighbours.into()]);
        t.push(vec!["islands".into(), self.islands.len().into()]);
        t.push(vec!["symmetric".into(), yes(self.symmetric)]);
        t.push(vec!["similar to symmetric".into(), yes(self.similar_to_symmetric)]);
        t.push(vec!["standardization".into(), self.standardization.name().into()]);
        t.push(vec!["row-stochastic".into(), yes(self.row_stochastic)]);
        if let Some(f) = &self.form {
            t.push(vec!["form".into(), f.clone().into()]);
        }
        if let Some(a) = self.alpha {
            t.push(vec!["alpha".into(), a.into()]);
        }
        if let Some((lo, hi)) = self.omega {
            t.push(vec!["omega_min".into(), lo.into()]);
            t.push(vec!["omega_max".into(), hi.into()]);
        }
        if !self.edits.is_empty() {
            t.push(vec!["link edits".into(), self.edits.len().into()]);
            t.note(format!("link edits: {}", self.edits.join("; ")));
        }
        if !self.islands.is_empty() {
            t.note(format!("islands: {}", crate::error::list_some(&self.islands, 10)));
        }
        t
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_table().fmt(f)
    }
}

impl Weights {
    /// The [`Summary`] of this matrix.
    pub fn summary(&self) -> Summary {
        Summary::of(self)
    }
}
