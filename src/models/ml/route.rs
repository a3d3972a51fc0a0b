//! The computational route of one fit (module doc of [`super`]): which log-determinant engine,
//! exact eigenvalue path or sparse path, and why; the log-Jacobian built on that engine.

use super::engines::Engines;
use super::{fit_impl, SpatialFit, SpatialOptions};
use crate::error::Result;
use crate::linalg::logdet::SparseLogDet;
use crate::linalg::LogDet;
use crate::models::formula::{Design, Notes};
use crate::models::result::ModelKind;
use crate::weights::{Spectrum, Weights};
use std::sync::Arc;

/// The log-Jacobian J(ρ) = ln|I − ρW| (− ln(1 − ρ) under the Lee–Yu time transformation) and
/// its derivative: −tr(G) from the eigenvalues for the exact engine, a central difference of
/// the engine otherwise.
pub(crate) struct Jacobian<'a> {
    pub engine: &'a dyn LogDet,
    pub exact: Option<&'a Spectrum>,
    pub shift: bool,
}

impl Jacobian<'_> {
    pub fn value(&self, rho: f64) -> f64 {
        let v = self.engine.logdet(rho);
        if self.shift {
            v - (1.0 - rho).ln()
        } else {
            v
        }
    }
    pub fn deriv(&self, rho: f64) -> f64 {
        let d = match self.exact {
            Some(s) => -crate::linalg::traces::spectrum_g_traces(s, rho).map_or(f64::NAN, |t| t.0),
            None => {
                let h = 1e-6 * (1.0 + rho.abs());
                (self.engine.logdet(rho + h) - self.engine.logdet(rho - h)) / (2.0 * h)
            }
        };
        if self.shift {
            d + 1.0 / (1.0 - rho)
        } else {
            d
        }
    }
}

/// Fits `kind` (SAR, SDM, SEM, SDEM or SLX) by ML. `opts.lndet` picks the path (module doc):
/// `"eigen"` uses the cached eigenvalues with the analytic score; `"auto"` does so for small or
/// dense W ([`auto_choice`]) and otherwise takes the sparse path; `"sparse"`, `"chebyshev"` and
/// `"monte_carlo"` take the sparse path with that log-determinant. The choice is recorded in
/// `model.info["lndet"]` and `model.info["lndet_choice"]`. The options are checked
/// ([`SpatialOptions::check`]) before W is aligned or any numeric work.
pub fn fit_spatial(design: &Design, w: &Weights, kind: ModelKind, opts: &SpatialOptions) -> Result<SpatialFit> {
    if let Some(label) = &opts.time_dummies {
        return crate::models::time_dummies::fit_spatial_with_time_dummies(design, w, kind, opts, label);
    }
    let (design, notes) = for_fe(design, opts)?;
    with_notes(fit_spatial_for_fe(&design, w, kind, opts), notes)
}

/// The design under the fixed effects of `opts` ([`Design::for_fe`]); a `durbin` name of a
/// factor dummy that the effects absorb is an error saying so.
fn for_fe<'a>(design: &'a Design, opts: &SpatialOptions) -> Result<(std::borrow::Cow<'a, Design>, Notes)> {
    let (reduced, notes) = design.for_fe(opts.fe)?;
    let dropped = |n: &String| design.names.contains(n) && !reduced.names.contains(n);
    if let Some(name) = opts.durbin.iter().flatten().find(|n| dropped(n)) {
        return Err(crate::error::Error::invalid(format!(
            "durbin: '{name}' is a factor dummy that the {} fixed effects absorb, so the model drops it; leave it \
             out of durbin",
            opts.fe.name()
        )));
    }
    Ok((reduced, notes))
}

/// `fit` with `notes` ([`Design::for_fe`]) added to the model's info.
fn with_notes(fit: Result<SpatialFit>, notes: Notes) -> Result<SpatialFit> {
    fit.map(|mut f| {
        f.model.info.extend(notes);
        f
    })
}

/// [`fit_spatial`] of a design already reduced by [`Design::for_fe`].
fn fit_spatial_for_fe(design: &Design, w: &Weights, kind: ModelKind, opts: &SpatialOptions) -> Result<SpatialFit> {
    let opts = &opts.check(design, kind)?;
    let w = w.aligned_to(&design.ids)?;
    let engines = Engines::choose(&w, opts.lndet)?;
    if opts.fe == crate::models::within::Fe::Random && matches!(kind, ModelKind::Sem | ModelKind::Sdem | ModelKind::Sac)
    {
        // SEM/SDEM/SAC with random effects (docs/methods.md §11.3, §11.9); SAR/SDM go the lag
        // path below.
        let mut fit = super::random_error::fit(design, &w, kind, opts, &engines)?;
        if kind == ModelKind::Sac && fit.spectrum.is_none() {
            // The power traces of the series effects (sparse path), as for the other lag models.
            let pt = super::assemble::series_traces(&w, &fit, &opts.traces)?;
            fit.model.info.insert(
                "effects_traces".into(),
                super::assemble::describe_power_traces(&pt, &fit),
            );
            fit.power_traces = Some(Arc::new(pt));
        }
        return Ok(fit);
    }
    let path = Path {
        spectrum: engines.spectrum.clone(),
        sparse: engines.sparse.as_ref(),
        exact_score: engines.spectrum.is_some(),
        choice: engines.choice.clone(),
    };
    fit_impl(design, &w, kind, opts, engines.engine(), path)
}

/// Fits `kind` with a given log-determinant engine (Chebyshev, Monte Carlo, sparse LU, ...).
/// The eigenvalues of W are still used for the interval and the information-matrix traces.
pub fn fit_spatial_with_engine(
    design: &Design,
    w: &Weights,
    kind: ModelKind,
    opts: &SpatialOptions,
    engine: &dyn LogDet,
) -> Result<SpatialFit> {
    let (design, notes) = for_fe(design, opts)?;
    let design = &*design;
    let opts = &opts.check(design, kind)?;
    if opts.fe == crate::models::within::Fe::Random {
        return Err(crate::error::Error::invalid(
            "fe: \"random\" takes the log-determinant option lndet, not a given engine; use fit_spatial",
        ));
    }
    let w = w.aligned_to(&design.ids)?;
    let path = Path {
        spectrum: Some(w.spectrum()?),
        sparse: None,
        exact_score: false,
        choice: format!(
            "engine \"{}\" given; eigenvalues for the interval and traces",
            engine.method()
        ),
    };
    with_notes(fit_impl(design, &w, kind, opts, engine, path), notes)
}

/// The computational path of one fit.
pub(super) struct Path<'a> {
    /// Eigenvalues (exact path).
    pub spectrum: Option<Arc<Spectrum>>,
    /// Exact sparse engine (sparse path).
    pub sparse: Option<&'a SparseLogDet>,
    /// Analytic score from the eigenvalues (only with the eigenvalue engine itself).
    pub exact_score: bool,
    /// What was chosen and why.
    pub choice: String,
}
