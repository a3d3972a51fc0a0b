//! Options of the spatial ML models (API.md "Models"; defaults: METHODS §10).

use crate::error::{Error, Result};
use crate::linalg::logdet::LogDetMethod;
use crate::linalg::traces::TraceOptions;
use crate::models::within::Fe;

/// Small-sample correction of the fixed-effects ML estimates (METHODS §7.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BiasCorrection {
    /// No correction (default; what splm and xsmle do by default).
    None,
    /// Elhorst's `info.bc`: individual σ²·T/(T−1); time σ²·N/(N−1); two-way the analytic
    /// Lee–Yu correction θ̃ = θ̂ + Σ̂⁻¹a/N, then σ̃² = T/(T−1)·θ̃_σ².
    Elhorst,
    /// Exact ML of the Lee–Yu (2010) transformed likelihood (effective n, −ln(1−ρ) term).
    LeeYu,
}

impl BiasCorrection {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Elhorst => "elhorst",
            Self::LeeYu => "lee_yu",
        }
    }
}

/// Order of spatial lagging and fixed-effects demeaning (METHODS §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LagOrder {
    /// Lag the raw data, then demean: (Wy)~, and for SEM filter then demean (default; equals
    /// the dummy-variable ML).
    LagFirst,
    /// Demean, then lag: W·ỹ (splm / SDPDmod convention); for SEM demean then filter
    /// (Elhorst / splm).
    DemeanFirst,
}

impl LagOrder {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            Self::LagFirst => "lag_first",
            Self::DemeanFirst => "demean_first",
        }
    }
}

/// Which information matrix gives the standard errors (METHODS §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Information {
    /// Elhorst / splm analytic information (default).
    Elhorst,
    /// Exact information of the model with unit and period dummies (the fixed-effect
    /// directions are projected out of the ρ–ρ term).
    Full,
}

impl Information {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Elhorst => "elhorst",
            Self::Full => "full",
        }
    }
}

/// Options of [`super::fit_spatial`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialOptions {
    /// Fixed effects swept out (`"none"` adds an intercept).
    pub fe: Fe,
    /// Small-sample correction (default none).
    pub bias_correction: BiasCorrection,
    /// Lag-then-demean (default) or demean-then-lag.
    pub lag_order: LagOrder,
    /// Log-determinant method (default [`LogDetMethod::Auto`]: eigenvalues for small or dense W,
    /// the exact sparse engine otherwise; see [`crate::linalg::logdet::auto_choice`]).
    pub lndet: LogDetMethod,
    /// Search interval of ρ/λ (default: the eigenvalue interval (1/ω_min, 1/ω_max)).
    pub interval: Option<(f64, f64)>,
    /// Regressors that get a spatial lag W·x in SDM/SDEM/SLX (default: all).
    pub durbin: Option<Vec<String>>,
    /// Information matrix for the standard errors (default Elhorst).
    pub information: Information,
    /// Sparse path only: probes, seed and exact-computation budget of the information-matrix
    /// traces and of the power traces of the effects (default [`TraceOptions::default`]; a zero
    /// `exact_flop_budget` forces the stochastic / finite-difference estimators).
    pub traces: TraceOptions,
}

impl SpatialOptions {
    /// Defaults of METHODS §10 with fixed effects `fe`.
    pub fn new(fe: Fe) -> Self {
        SpatialOptions {
            fe,
            bias_correction: BiasCorrection::None,
            lag_order: LagOrder::LagFirst,
            lndet: LogDetMethod::Auto,
            interval: None,
            durbin: None,
            information: Information::Elhorst,
            traces: TraceOptions::default(),
        }
    }

    /// Checks the interval option: finite, lo < 0 < hi is not required but lo < hi is.
    pub fn check_interval(&self) -> Result<()> {
        if let Some((lo, hi)) = self.interval {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(Error::invalid(format!(
                    "interval [{lo}, {hi}]: need two finite numbers lo < hi, e.g. [-1, 1]"
                )));
            }
        }
        Ok(())
    }
}

impl Default for SpatialOptions {
    fn default() -> Self {
        Self::new(Fe::TwoWays)
    }
}
