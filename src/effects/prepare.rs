//! Preparation: checks the input, sets up the averages kernel and the parameter layout.

use super::exact::{self, Kernel, Totals, TraceSource};
use super::input::has_rho;
use super::{EffectsInput, TraceEngine, SERIES_ABOVE_N, SERIES_WARN_BOUND};
use crate::error::{Error, Result};
use crate::models::ModelKind;

/// The checked input: the averages kernel, the parameter layout and the ρ interval in use.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Averages engine.
    pub kernel: Kernel,
    /// Parameter layout and the covariance block of the parameters in use.
    pub layout: Layout,
    /// Open ρ interval in use (the input's, clipped to (−1, 1) for the series).
    pub interval: (f64, f64),
    /// Whether ρ enters (SAR/SDM).
    pub has_rho: bool,
    /// Warnings raised while preparing.
    pub warnings: Vec<String>,
}

/// The parameters the effects depend on, in a local order: `used[j]` is the position in the
/// input covariance of local parameter j.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Input covariance positions of the local parameters.
    pub used: Vec<usize>,
    /// Local position of β_k.
    pub beta: Vec<usize>,
    /// Local position of θ_k.
    pub theta: Vec<Option<usize>>,
    /// Local position of ρ.
    pub rho: Option<usize>,
    /// φ̂ in local order.
    pub mean: Vec<f64>,
    /// Covariance of the local parameters (row-major).
    pub cov: Vec<f64>,
}

impl Layout {
    /// Number of local parameters.
    pub fn dim(&self) -> usize {
        self.used.len()
    }
    /// ρ in the local vector φ (0 for models without a lag of y).
    #[inline]
    pub fn rho_of(&self, phi: &[f64]) -> f64 {
        self.rho.map_or(0.0, |j| phi[j])
    }
    /// (β_k, θ_k) in the local vector φ (θ_k = 0 when not lagged).
    #[inline]
    pub fn coef_of(&self, phi: &[f64], k: usize) -> (f64, f64) {
        (phi[self.beta[k]], self.theta[k].map_or(0.0, |j| phi[j]))
    }
    /// The (ADE, AIE, ATE) of every regressor at φ, flattened as `[k][3]`.
    pub fn effects_of(&self, kernel: &Kernel, phi: &[f64], out: &mut [f64]) {
        let av = kernel.at(self.rho_of(phi));
        for k in 0..self.beta.len() {
            let (b, t) = self.coef_of(phi, k);
            out[3 * k..3 * k + 3].copy_from_slice(&exact::effects_at(&av, b, t));
        }
    }
}

/// Checks `input` and sets up the kernel and the parameter layout.
pub fn prepare(input: &EffectsInput, engine: TraceEngine) -> Result<Prepared> {
    let kind = input.kind;
    let tag = kind.name().to_uppercase();
    if kind == ModelKind::Ols {
        return Err(Error::invalid(
            "effects: OLS has no spatial spillovers; fit a spatial model (sar, sdm, sdem, slx or sem) first",
        ));
    }
    let k = input.names.len();
    if k == 0 {
        return Err(Error::invalid(format!("effects ({tag}): no regressors to report")));
    }
    for (what, len) in [
        ("beta", input.beta.len()),
        ("theta", input.theta.len()),
        ("beta_index", input.beta_index.len()),
        ("theta_index", input.theta_index.len()),
    ] {
        if len != k {
            return Err(Error::invalid(format!(
                "effects ({tag}): {what} has {len} entries for {k} regressors"
            )));
        }
    }
    let p = input.cov_dim;
    if input.cov.len() != p * p {
        return Err(Error::invalid(format!(
            "effects ({tag}): the covariance has {} entries, expected {p}×{p}",
            input.cov.len()
        )));
    }
    let lag = has_rho(kind);
    let mut used: Vec<usize> = Vec::new();
    let mut add = |idx: usize, what: String| -> Result<()> {
        if idx >= p {
            return Err(Error::invalid(format!(
                "effects ({tag}): {what} is at position {idx}, outside the {p}×{p} covariance"
            )));
        }
        if used.contains(&idx) {
            return Err(Error::invalid(format!(
                "effects ({tag}): {what} shares covariance position {idx} with another parameter"
            )));
        }
        used.push(idx);
        Ok(())
    };
    let mut mean = Vec::new();
    for i in 0..k {
        let name = &input.names[i];
        if !input.beta[i].is_finite() {
            return Err(Error::numeric(format!("effects ({tag}): β of {name} is not finite")));
        }
        add(input.beta_index[i], format!("β of {name}"))?;
        mean.push(input.beta[i]);
        match (input.theta[i], input.theta_index[i]) {
            (None, None) => {}
            (Some(t), Some(j)) => {
                if matches!(kind, ModelKind::Sar | ModelKind::Sem | ModelKind::Sac) {
                    return Err(Error::invalid(format!(
                        "effects ({tag}): {tag} has no lagged regressors, but W*{name} was given"
                    )));
                }
                if !t.is_finite() {
                    return Err(Error::numeric(format!("effects ({tag}): θ of W*{name} is not finite")));
                }
                add(j, format!("θ of W*{name}"))?;
                mean.push(t);
            }
            _ => {
                return Err(Error::invalid(format!(
                "effects ({tag}): W*{name} needs both its estimate (theta) and its covariance position (theta_index)"
            )))
            }
        }
    }
    let mut interval = input.interval;
    let mut warnings = Vec::new();
    if lag {
        let j = input.rho_index.ok_or_else(|| {
            Error::invalid(format!(
                "effects ({tag}): the covariance position of rho (rho_index) is missing"
            ))
        })?;
        add(j, "rho".into())?;
        mean.push(input.rho);
        if interval.0.is_nan() || interval.1.is_nan() || interval.0 >= interval.1 {
            return Err(Error::invalid(format!(
                "effects ({tag}): the rho interval ({}, {}) is empty",
                interval.0, interval.1
            )));
        }
    }
    let beta_pos: Vec<usize> = (0..k)
        .map(|i| used.iter().position(|&u| u == input.beta_index[i]).unwrap_or(0))
        .collect();
    let theta_pos: Vec<Option<usize>> = (0..k)
        .map(|i| input.theta_index[i].and_then(|t| used.iter().position(|&u| u == t)))
        .collect();
    let rho_pos = if lag {
        input.rho_index.and_then(|r| used.iter().position(|&u| u == r))
    } else {
        None
    };
    let d = used.len();
    let mut cov = vec![0.0; d * d];
    for a in 0..d {
        for b in 0..d {
            let v = input.cov[used[a] * p + used[b]];
            if !v.is_finite() {
                return Err(Error::numeric(format!(
                    "effects ({tag}): covariance entry ({}, {}) is not finite",
                    used[a], used[b]
                )));
            }
            cov[a * d + b] = v;
        }
    }

    let totals = if input.row_stochastic {
        Totals::RowStochastic
    } else {
        match &input.row_sum_moments {
            Some(mu) if mu.len() >= 2 => Totals::Moments(mu.clone()),
            _ => {
                return Err(Error::invalid(format!(
                    "effects ({tag}): W is not row-stochastic, so total effects need the row-sum moments ι'Wᵠι/N \
                     (row_sum_moments); row-standardise W (standardize: \"row\") or supply them"
                )))
            }
        }
    };
    let n_spec = input.spectrum.as_ref().map(|s| s.re.len());
    let use_series = match engine {
        TraceEngine::Eigen => {
            if input.spectrum.is_none() {
                return Err(Error::invalid(format!(
                    "effects ({tag}): engine \"eigen\" needs the eigenvalues of W, which were not computed; use engine \"series\""
                )));
            }
            false
        }
        TraceEngine::Series => {
            if input.traces.is_none() {
                return Err(Error::invalid(format!(
                    "effects ({tag}): engine \"series\" needs the power traces tr(W^q); use engine \"eigen\""
                )));
            }
            true
        }
        TraceEngine::Auto => match (n_spec, &input.traces) {
            (Some(n), Some(_)) => n > SERIES_ABOVE_N,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => false,
        },
    };
    let kernel = if use_series {
        let tr = input.traces.as_deref().unwrap_or(&[]);
        if tr.len() < 2 || tr.iter().any(|t| !t.is_finite()) || tr[0] < 1.0 {
            return Err(Error::invalid(format!(
                "effects ({tag}): the power traces must be finite tr(W^0) = N, tr(W^1), ..., tr(W^m) with m ≥ 1"
            )));
        }
        Kernel::series(tr, totals)
    } else {
        match &input.spectrum {
            Some(s) => {
                if s.re.is_empty() || s.re.len() != s.im.len() {
                    return Err(Error::invalid(format!(
                        "effects ({tag}): the spectrum of W is empty or malformed"
                    )));
                }
                Kernel::eigen(s.clone(), totals)
            }
            None if lag => {
                return Err(Error::invalid(format!(
                    "effects ({tag}): neither the eigenvalues of W nor its power traces were given"
                )))
            }
            // SDEM/SLX/SEM: the kernel at ρ = 0 only needs tr(W)/N = 0 (zero diagonal).
            None => Kernel::series(&[1.0, 0.0], totals),
        }
    };
    if lag {
        if use_series {
            let m = match &kernel.source {
                TraceSource::Series(c) => c.len() - 1,
                TraceSource::Eigen { .. } => 0,
            };
            if interval.0 < -1.0 || interval.1 > 1.0 {
                interval = (interval.0.max(-1.0), interval.1.min(1.0));
                warnings.push(format!(
                    "the power series converges for |rho| < 1 only: the rho interval is clipped to ({}, {})",
                    interval.0, interval.1
                ));
            }
            let a = input.rho.abs();
            let bound = if a < 1.0 {
                a.powi(m as i32 + 1) / (1.0 - a)
            } else {
                f64::INFINITY
            };
            if bound > SERIES_WARN_BOUND {
                warnings.push(format!(
                    "power series truncated after m = {m} terms: error bound |rho|^(m+1)/(1−|rho|) = {bound:.2e} at rho = {}; \
                     use more traces or engine \"eigen\"",
                    input.rho
                ));
            }
        }
        if !input.rho.is_finite() || input.rho <= interval.0 || input.rho >= interval.1 {
            return Err(Error::numeric(format!(
                "effects ({tag}): rho = {} is outside the interval ({}, {}); the effects are undefined there",
                input.rho, interval.0, interval.1
            )));
        }
    }
    Ok(Prepared {
        kernel,
        layout: Layout {
            used,
            beta: beta_pos,
            theta: theta_pos,
            rho: rho_pos,
            mean,
            cov,
        },
        interval,
        has_rho: lag,
        warnings,
    })
}

/// Exact point effects at φ̂ of the prepared input: one `[ADE, AIE, ATE]` per regressor.
pub(super) fn point_of(prep: &Prepared) -> Vec<[f64; 3]> {
    let k = prep.layout.beta.len();
    let mut flat = vec![0.0; 3 * k];
    prep.layout.effects_of(&prep.kernel, &prep.layout.mean, &mut flat);
    flat.chunks(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// a/b, NaN when b is not positive (a zero SE, e.g. the SEM indirect effect).
pub(super) fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}
