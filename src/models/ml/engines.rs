//! The log-determinant engines of one spatial ML fit, chosen once from the `lndet` option for
//! fixed- and random-effects models alike (docs/methods.md §4).

use crate::error::Result;
use crate::linalg::logdet::{auto_choice, choose_logdet, LogDetMethod, SparseLogDet, EIGEN_MAX_N};
use crate::linalg::LogDet;
use crate::weights::{Spectrum, Weights};
use std::sync::Arc;

/// The log-determinant engines of one fit for the `lndet` option (module doc of [`super`]),
/// chosen in one place for every spatial ML model (fixed and random effects): the eigenvalues
/// of W (exact path), or the exact sparse engine ([`SparseLogDet`]) with, for `"chebyshev"` and
/// `"monte_carlo"`, the approximate engine that gives the log-determinant in the search.
pub(crate) struct Engines {
    /// Eigenvalues (exact path).
    pub spectrum: Option<Arc<Spectrum>>,
    /// Exact sparse engine (sparse path), from the weights' cache ([`crate::linalg::cache::sparse_logdet`]).
    pub sparse: Option<Arc<SparseLogDet>>,
    /// Approximate engine of the search (sparse path with `"chebyshev"` / `"monte_carlo"`).
    approx: Option<Box<dyn LogDet>>,
    /// What was chosen and why (`model.info["lndet_choice"]`).
    pub choice: String,
    /// True when the per-W work (eigenvalues, or the symbolic sparse factorisation) came from
    /// the weights' cache: an earlier fit on the same W did it.
    pub reused: bool,
}

impl Engines {
    /// `lndet = requested` on `w`: `"eigen"`, and `"auto"` for small or dense W ([`auto_choice`]),
    /// take the eigenvalues (refused above [`EIGEN_MAX_N`]); the other values the sparse path.
    pub fn choose(w: &Weights, requested: LogDetMethod) -> Result<Engines> {
        let (method, why) = match requested {
            LogDetMethod::Auto => auto_choice(w),
            other => (other, format!("lndet \"{}\" requested", other.name())),
        };
        match method {
            LogDetMethod::Eigen | LogDetMethod::Auto => {
                if w.n() > EIGEN_MAX_N {
                    choose_logdet(w, LogDetMethod::Eigen)?;
                }
                let reused = w.has_spectrum();
                Ok(Engines {
                    spectrum: Some(w.spectrum()?),
                    sparse: None,
                    approx: None,
                    choice: format!("{why}; eigenvalues of W, exact"),
                    reused,
                })
            }
            _ => {
                let (sparse, reused) = crate::linalg::cache::sparse_logdet(w)?;
                let approx: Option<Box<dyn LogDet>> = match method {
                    LogDetMethod::Sparse => None,
                    other => Some(choose_logdet(w, other)?),
                };
                let how = sparse.describe();
                let choice = match approx {
                    None => format!("{why}; {how}"),
                    Some(_) => format!("{why}; standard errors and fitted values from the {how}"),
                };
                Ok(Engines {
                    spectrum: None,
                    sparse: Some(sparse),
                    approx,
                    choice,
                    reused,
                })
            }
        }
    }

    /// The engine of ln|I − ρW| in the search: the eigenvalues, the approximate engine, or the
    /// exact sparse one.
    pub fn engine(&self) -> &dyn LogDet {
        match (&self.spectrum, &self.approx, &self.sparse) {
            (Some(s), _, _) => &**s,
            (None, Some(a), _) => &**a,
            (None, None, Some(s)) => &**s,
            (None, None, None) => unreachable!("Engines::choose sets one engine"),
        }
    }
}
