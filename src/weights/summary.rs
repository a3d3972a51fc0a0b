//! A summary of a weights matrix: size, links, neighbour counts, islands, symmetry.

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
}

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
