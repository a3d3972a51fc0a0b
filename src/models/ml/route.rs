//! The computational route of one fit (module doc of [`super`]): which log-determinant engine,
//! exact eigenvalue path or sparse path, and why; the log-Jacobian built on that engine.

use super::engines::Engines;
use super::{fit_impl, SpatialFit, SpatialOptions};
use crate::error::Result;
use crate::linalg::logdet::{SparseFactor, SparseLogDet};
use crate::linalg::LogDet;
use crate::models::formula::{Design, Notes};
use crate::models::result::ModelKind;
use crate::weights::{Spectrum, Weights};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The log-Jacobian J(ρ) = ln|I − ρW| (− ln(1 − ρ) under the Lee–Yu time transformation) and
/// its derivative: −tr(G) from the eigenvalues for the exact engine, a central difference of
/// the engine otherwise (its two evaluations in parallel).
///
/// Every value of ln|I − ρW| is memoised (no ρ is factorised twice in one fit) and counted. When
/// the search engine is the exact sparse one, the factorisation of the last value is kept, so
/// that the factorisation at ρ̂ (the search ends by evaluating there) is reused by the
/// information matrix and the fit measures ([`Jacobian::take_factor`]).
pub(crate) struct Jacobian<'a> {
    pub engine: &'a dyn LogDet,
    pub exact: Option<&'a Spectrum>,
    pub shift: bool,
    /// The exact sparse engine when it is the search engine.
    sparse: Option<&'a SparseLogDet>,
    memo: Mutex<Vec<(u64, f64)>>,
    kept: Mutex<Option<SparseFactor<'a>>>,
    evaluations: AtomicUsize,
}

impl<'a> Jacobian<'a> {
    /// The log-Jacobian on `engine`; `sparse` is the exact sparse engine of the fit (kept
    /// factorisations only when it is `engine` itself, i.e. `lndet` "sparse" or "auto").
    pub fn new(
        engine: &'a dyn LogDet,
        exact: Option<&'a Spectrum>,
        shift: bool,
        sparse: Option<&'a SparseLogDet>,
    ) -> Jacobian<'a> {
        Jacobian {
            engine,
            exact,
            shift,
            sparse: sparse.filter(|_| engine.method() == "sparse"),
            memo: Mutex::new(Vec::new()),
            kept: Mutex::new(None),
            evaluations: AtomicUsize::new(0),
        }
    }

    /// ln|I − ρW|, memoised; `keep`: keep the sparse factorisation (see the type's doc).
    fn logdet(&self, rho: f64, keep: bool) -> f64 {
        let lock = |m: &'_ Mutex<Vec<(u64, f64)>>| {
            m.lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .find(|(k, _)| *k == rho.to_bits())
                .map(|p| p.1)
        };
        if let Some(v) = lock(&self.memo) {
            return v;
        }
        let v = match self.sparse {
            Some(s) => match s.factorize(rho) {
                Ok(f) => {
                    let v = f.logdet();
                    if keep {
                        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
                    }
                    v
                }
                Err(_) => f64::NAN,
            },
            None => self.engine.logdet(rho),
        };
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        self.memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((rho.to_bits(), v));
        v
    }

    pub fn value(&self, rho: f64) -> f64 {
        let v = self.logdet(rho, true);
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
                let (a, b) = rayon::join(|| self.logdet(rho + h, false), || self.logdet(rho - h, false));
                (a - b) / (2.0 * h)
            }
        };
        if self.shift {
            d + 1.0 / (1.0 - rho)
        } else {
            d
        }
    }

    /// Number of distinct log-determinants evaluated (each one numeric factorisation on the
    /// sparse path).
    pub fn evaluations(&self) -> usize {
        self.evaluations.load(Ordering::Relaxed)
    }

    /// The kept sparse factorisation when it is at `rho` (taken: a second call refactorises).
    pub fn take_factor(&self, rho: f64) -> Option<SparseFactor<'a>> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.as_ref().is_some_and(|f| f.rho().to_bits() == rho.to_bits()) {
            kept.take()
        } else {
            None
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
    let total = std::time::Instant::now();
    let opts = &opts.check(design, kind)?;
    let w = w.aligned_to(&design.ids)?;
    let setup = std::time::Instant::now();
    let engines = Engines::choose(&w, opts.lndet)?;
    let setup = setup.elapsed().as_secs_f64();
    let done = |fit: Result<SpatialFit>| {
        fit.map(|mut f| {
            super::record_timings(&mut f, setup, engines.reused, total.elapsed().as_secs_f64());
            f
        })
    };
    if opts.fe == crate::models::within::Fe::Random && matches!(kind, ModelKind::Sem | ModelKind::Sdem | ModelKind::Sac)
    {
        // SEM/SDEM/SAC with random effects (docs/methods.md §11.3, §11.9); SAR/SDM go the lag
        // path below.
        let start = std::time::Instant::now();
        let mut fit = super::random_error::fit(design, &w, kind, opts, &engines)?;
        fit.model.timings.add("estimate", start.elapsed().as_secs_f64());
        if kind == ModelKind::Sac && fit.spectrum.is_none() {
            // The power traces of the series effects (sparse path), as for the other lag models.
            let pt = super::assemble::series_traces(&w, &fit, &opts.traces)?;
            fit.model.info.insert(
                "effects_traces".into(),
                super::assemble::describe_power_traces(&pt, &fit),
            );
            fit.power_traces = Some(Arc::new(pt));
        }
        return done(Ok(fit));
    }
    let path = Path {
        spectrum: engines.spectrum.clone(),
        sparse: engines.sparse.as_deref(),
        exact_score: engines.spectrum.is_some(),
        choice: engines.choice.clone(),
    };
    done(fit_impl(design, &w, kind, opts, engines.engine(), path))
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
    let total = std::time::Instant::now();
    let w = w.aligned_to(&design.ids)?;
    let setup = std::time::Instant::now();
    let reused = w.has_spectrum();
    let spectrum = w.spectrum()?;
    let setup = setup.elapsed().as_secs_f64();
    let path = Path {
        spectrum: Some(spectrum),
        sparse: None,
        exact_score: false,
        choice: format!(
            "engine \"{}\" given; eigenvalues for the interval and traces",
            engine.method()
        ),
    };
    let fit = fit_impl(design, &w, kind, opts, engine, path).map(|mut f| {
        super::record_timings(&mut f, setup, reused, total.elapsed().as_secs_f64());
        f
    });
    with_notes(fit, notes)
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
