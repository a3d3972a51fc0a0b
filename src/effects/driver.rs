//! The driver: point effects and effects with standard errors by the chosen method.

use super::prepare::{point_of, ratio};
use super::{delta, prepare, simulate, EffectsInput, EffectsOptions, Method, Mode, TraceEngine};
use crate::error::Result;
use crate::models::ModelKind;
use crate::stats::p_normal_two_sided;

/// One effect of one regressor. Serialises as `{estimate, std_error, z, p, point, mean}` (NaN
/// and infinities as `null`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EffectRow {
    /// Reported estimate (the point value at φ̂, or the mean of the draws in mode `elhorst`).
    pub estimate: f64,
    /// Standard error (sd of the draws with R − 1, or delta method).
    pub std_error: f64,
    /// z (or Elhorst's t) statistic of the chosen convention.
    pub z: f64,
    /// Two-sided normal p-value of `z`.
    pub p: f64,
    /// Exact value at φ̂.
    pub point: f64,
    /// Mean of the draws (NaN for the delta method).
    pub mean: f64,
}

impl EffectRow {
    /// The normal confidence interval `estimate ± Φ⁻¹((1 + level)/2)·std_error` at `level`
    /// (e.g. 0.95; [`crate::stats::normal_interval`]).
    pub fn interval(&self, level: f64) -> Result<(f64, f64)> {
        crate::stats::normal_interval(self.estimate, self.std_error, level)
    }

    pub(super) fn new(estimate: f64, std_error: f64, z: f64, point: f64, mean: f64) -> EffectRow {
        EffectRow {
            estimate,
            std_error,
            z,
            p: p_normal_two_sided(z),
            point,
            mean,
        }
    }
}

/// Direct, indirect and total effects with their inference.
#[derive(Debug, Clone, PartialEq)]
pub struct Effects {
    /// Model type.
    pub kind: ModelKind,
    /// Simulation or delta method.
    pub method: Method,
    /// Simulation convention (meaningful for simulation only).
    pub mode: Mode,
    /// Draws requested (0 for the delta method).
    pub draws: usize,
    /// Draws used in the statistics (= `draws` unless some were discarded).
    pub kept: usize,
    /// Seed (simulation only).
    pub seed: Option<u64>,
    /// Draws re-drawn because ρ fell outside the interval.
    pub redrawn: usize,
    /// Draws discarded because ρ fell outside the interval (mode `spatialreg`).
    pub discarded: usize,
    /// Trace engine used: `"eigen"` or `"series"`.
    pub engine: &'static str,
    /// Regressors.
    pub names: Vec<String>,
    /// Average direct effects.
    pub direct: Vec<EffectRow>,
    /// Average indirect (spillover) effects.
    pub indirect: Vec<EffectRow>,
    /// Average total effects.
    pub total: Vec<EffectRow>,
    /// Warnings (covariance floored, series truncated, interval clipped, ...).
    pub warnings: Vec<String>,
    /// Dynamic models: the long-run block and the stability facts (`direct`, `indirect` and
    /// `total` above are then the short-run effects; docs/methods.md §14.5).
    pub dynamic: Option<Box<DynamicEffects>>,
}

/// Exact point effects at φ̂: one `[ADE, AIE, ATE]` per regressor.
pub fn point_effects(input: &EffectsInput, engine: TraceEngine) -> Result<Vec<[f64; 3]>> {
    let prep = prepare(input, engine)?;
    Ok(point_of(&prep))
}

/// Effects with standard errors by the chosen method (docs/methods.md §9).
pub fn effects(input: &EffectsInput, opts: &EffectsOptions) -> Result<Effects> {
    if opts.mode == Mode::Sdpdmod {
        return Err(crate::error::Error::invalid(
            "effects: mode \"sdpdmod\" (SDPDmod's impactsSDPDm) applies to dynamic models (dynamic: true); \
             use mode \"elhorst\" for the mean of the draws",
        ));
    }
    let prep = prepare(input, opts.engine)?;
    let point = point_of(&prep);
    let k = point.len();
    let mut warnings = prep.warnings.clone();
    let mut rows: [Vec<EffectRow>; 3] = [Vec::with_capacity(k), Vec::with_capacity(k), Vec::with_capacity(k)];
    let (mut draws, mut kept, mut redrawn, mut discarded, mut seed) = (0, 0, 0, 0, None);
    match opts.method {
        Method::Delta => {
            let se = delta::std_errors(&prep);
            for (i, pt) in point.iter().enumerate() {
                for e in 0..3 {
                    let s = se[i][e];
                    rows[e].push(EffectRow::new(pt[e], s, ratio(pt[e], s), pt[e], f64::NAN));
                }
            }
        }
        Method::Simulation => {
            let discard = opts.mode == Mode::Spatialreg;
            let sim = simulate::simulate(&prep, opts.draws, opts.seed, discard)?;
            warnings.extend(sim.warnings.iter().cloned());
            draws = opts.draws;
            kept = sim.kept;
            redrawn = sim.redrawn;
            discarded = sim.discarded;
            seed = Some(opts.seed);
            for (i, pt) in point.iter().enumerate() {
                for e in 0..3 {
                    let (m, s) = (sim.mean[3 * i + e], sim.sd[3 * i + e]);
                    let row = match opts.mode {
                        Mode::Spillover => EffectRow::new(pt[e], s, ratio(pt[e], s), pt[e], m),
                        Mode::Elhorst | Mode::Sdpdmod => EffectRow::new(m, s, ratio(m, s), pt[e], m),
                        Mode::Spatialreg => EffectRow::new(pt[e], s, ratio(m, s), pt[e], m),
                    };
                    rows[e].push(row);
                }
            }
        }
    }
    let [direct, indirect, total] = rows;
    Ok(Effects {
        kind: input.kind,
        method: opts.method,
        mode: opts.mode,
        draws,
        kept,
        seed,
        redrawn,
        discarded,
        engine: prep.kernel.name(),
        names: input.names.clone(),
        direct,
        indirect,
        total,
        warnings,
        dynamic: None,
    })
}

/// Long-run direct, indirect and total effects, one row per regressor.
#[derive(Debug, Clone, PartialEq)]
pub struct LongRun {
    /// Average long-run direct effects.
    pub direct: Vec<EffectRow>,
    /// Average long-run indirect effects.
    pub indirect: Vec<EffectRow>,
    /// Average long-run total effects.
    pub total: Vec<EffectRow>,
}

/// The dynamic part of [`Effects`]: the long run (or why it is refused) and the stability facts.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicEffects {
    /// Long-run effects; `None` when the process is not stable (see `refused`).
    pub long: Option<LongRun>,
    /// Why the long run is not reported.
    pub refused: Option<String>,
    /// Spectral radius of S⁻¹(τI + ηW) at the estimates.
    pub spectral_radius: f64,
    /// Draws re-drawn because the process was unstable (simulation).
    pub unstable_redrawn: usize,
}
