//! Options of the spatial ML models (API.md "Models"; defaults: docs/methods.md §10).

use crate::error::{closest, list_some, Error, Result};
use crate::linalg::logdet::LogDetMethod;
use crate::linalg::traces::TraceOptions;
use crate::models::formula::Design;
use crate::models::result::ModelKind;
use crate::models::within::Fe;

/// Small-sample correction of the fixed-effects ML estimates (docs/methods.md §7.5).
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

/// Order of spatial lagging and fixed-effects demeaning (docs/methods.md §7.1).
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

/// Which information matrix gives the standard errors (docs/methods.md §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Information {
    /// Elhorst / splm analytic information (default).
    Elhorst,
    /// Exact information of the model with unit and period dummies (the fixed-effect
    /// directions are projected out of the ρ–ρ term).
    Full,
    /// Random effects only: splm's block-diagonal covariance, β from the GLS covariance
    /// conditional on the spatial parameter and φ (docs/methods.md §11.2).
    Splm,
}

impl Information {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Elhorst => "elhorst",
            Self::Full => "full",
            Self::Splm => "splm",
        }
    }
}

/// Error structure of the spatial-error random-effects model (docs/methods.md §11.3; fitted by `super::random_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReErrors {
    /// Baltagi, Song & Koh (2003): the spatial filter acts on the remainder only (default,
    /// splm `spatial.error = "b"`, xsmle, Elhorst).
    #[default]
    Bsk,
    /// Kapoor, Kelejian & Prucha (2007): the filter acts on both components (splm "kkp").
    Kkp,
}

impl ReErrors {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            ReErrors::Bsk => "bsk",
            ReErrors::Kkp => "kkp",
        }
    }
}

/// Covariance of the random-effects spatial estimates (docs/methods.md §18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReCovariance {
    /// Inverse observed information of the full likelihood (default).
    #[default]
    Observed,
    /// splm's block-diagonal covariance: GLS β conditional on the variance parameters plus the
    /// profile Hessian of (φ, λ).
    Splm,
    /// The analytic expected information (docs/methods.md §11.2–11.3,
    /// [`super::random_expected`]).
    Expected,
}

impl ReCovariance {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            ReCovariance::Observed => "observed",
            ReCovariance::Splm => "splm",
            ReCovariance::Expected => "expected",
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
    /// Error structure of SEM/SDEM/SAC with `fe: "random"` (default [`ReErrors::Bsk`]; refused
    /// elsewhere).
    pub errors: Option<ReErrors>,
    /// Covariance of the random-effects spatial-error fits (default
    /// [`ReCovariance::Observed`]; refused elsewhere).
    pub covariance: Option<ReCovariance>,
    /// Random effects only: fixed period dummies inside the model, labelled (e.g.
    /// `factor(year)`; docs/methods.md §12.1, [`crate::models::time_dummies`]). Default `None`.
    pub time_dummies: Option<String>,
    /// Dynamic model (docs/methods.md §14): y(t−1) and W·y(t−1) as regressors on the sample
    /// t = 2..T, with its bias correction and covariance (default `None`: static).
    pub dynamic: Option<DynamicOptions>,
}

impl SpatialOptions {
    /// Defaults of docs/methods.md §10 with fixed effects `fe`.
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
            errors: None,
            covariance: None,
            time_dummies: None,
            dynamic: None,
        }
    }

    /// Checks the options against the design and the model before any numeric work and
    /// returns them checked: the interval is two finite numbers lo < hi; `kind` is a spatial ML
    /// model (not OLS); fixed effects need a panel (T > 1); a bias correction needs fixed
    /// effects; `durbin` applies to SDM, SDEM and SLX only and its names are resolved to
    /// regressor indices (an unknown name is an error with the closest regressor); information
    /// `"full"` (dummy-variable model) is refused with the Lee–Yu transformed likelihood.
    /// What needs W (its size, the feasible interval, a row-standardised W for Lee–Yu with time
    /// effects) is checked by the fit once W is aligned.
    pub fn check(&self, design: &Design, kind: ModelKind) -> Result<CheckedOptions> {
        if let Some((lo, hi)) = self.interval {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(Error::invalid(format!(
                    "interval [{lo}, {hi}]: need two finite numbers lo < hi, e.g. [-1, 1]"
                )));
            }
        }
        if kind == ModelKind::Ols {
            return Err(Error::invalid(
                "fit_spatial fits sar, sem, sdm, sdem or slx; use ols() for the non-spatial model",
            ));
        }
        // Random effects (docs/methods.md §11): sar, sdm (lag), sem, sdem and sac (errors "bsk" |
        // "kkp"); the covariance is `covariance` ("observed" | "splm" | "expected", the last not
        // for sac), `information: "splm"` being its older spelling for the lag models.
        let re = self.fe == Fe::Random;
        if re
            && !matches!(
                kind,
                ModelKind::Sar | ModelKind::Sdm | ModelKind::Sem | ModelKind::Sdem | ModelKind::Sac
            )
        {
            return Err(Error::invalid(format!(
                "fe: \"random\" is not available for {}; random effects are available for sar, sdm, sem, sdem and \
                 sac and for the non-spatial model, ols(p, formula, #{{fe: \"random\"}}); {} takes fe \"none\", \
                 \"individual\", \"time\" or \"twoways\"",
                kind.name(),
                kind.name()
            )));
        }
        if re {
            if design.t < 2 {
                return Err(Error::invalid(format!(
                    "fe: \"random\" needs a panel with T ≥ 2 periods but the data have T = {}; use fe: \"none\" for a \
                     cross-section",
                    design.t
                )));
            }
            if self.information == Information::Full {
                return Err(Error::invalid(
                    "information \"full\" is the information of the fixed-effects dummy-variable model; random effects \
                     take covariance \"observed\" (default) or \"splm\"",
                ));
            }
            if kind == ModelKind::Sac && self.covariance == Some(ReCovariance::Expected) {
                return Err(Error::invalid(
                    "sac (fe: \"random\"): covariance \"expected\" is not implemented for sac with random effects \
                     (docs/methods.md §11.9 gives the information matrix); use covariance \"observed\" (the default) \
                     or \"splm\"",
                ));
            }
        } else if self.information == Information::Splm || self.covariance.is_some() {
            let which = if self.covariance.is_some() {
                "covariance"
            } else {
                "information \"splm\""
            };
            return Err(Error::invalid(format!(
                "option {which} applies to random-effects models (fe: \"random\"); with fe \"{}\" use information \
                 \"elhorst\" or \"full\"",
                self.fe.name()
            )));
        }
        if self.errors.is_some() && !(re && matches!(kind, ModelKind::Sem | ModelKind::Sdem | ModelKind::Sac)) {
            return Err(Error::invalid(format!(
                "option 'errors' applies to sem, sdem and sac with fe: \"random\" only, not to {} with fe \"{}\"; \
                 drop it",
                kind.name(),
                self.fe.name()
            )));
        }
        if design.t == 1 && self.fe != Fe::None {
            return Err(Error::invalid(format!(
                "fe \"{}\" needs a panel (T > 1); a cross-section takes fe: \"none\"",
                self.fe.name()
            )));
        }
        let bc = self.bias_correction;
        if bc != BiasCorrection::None && matches!(self.fe, Fe::None | Fe::Random) {
            return Err(Error::invalid(format!(
                "bias_correction \"{}\" corrects fixed-effects estimates; with fe: \"{}\" use bias_correction: \"none\"",
                bc.name(),
                self.fe.name()
            )));
        }
        if self.dynamic.is_some() {
            self.check_dynamic(kind)?;
        }
        let lagged = self.lagged(design, kind)?;
        if matches!(kind, ModelKind::Sar | ModelKind::Sdm)
            && self.information == Information::Full
            && bc == BiasCorrection::LeeYu
        {
            return Err(Error::invalid(
                "information \"full\" is the information of the dummy-variable model; it does not apply to the Lee–Yu \
                 transformed likelihood (bias_correction \"lee_yu\"); use information \"elhorst\"",
            ));
        }
        Ok(CheckedOptions {
            fe: self.fe,
            bias_correction: bc,
            lag_order: self.lag_order,
            lndet: self.lndet,
            interval: self.interval,
            lagged,
            information: self.information,
            traces: self.traces,
            errors: self.errors.unwrap_or_default(),
            covariance: match (self.covariance, self.information) {
                (Some(c), _) => c,
                (None, Information::Splm) => ReCovariance::Splm,
                (None, _) => ReCovariance::default(),
            },
            dynamic: self.dynamic,
        })
    }

    /// The dynamic model (docs/methods.md §14) is a SAR or SDM with individual, time or two-way
    /// fixed effects and the §14 information; its correction is `dynamic.bias_correction`.
    fn check_dynamic(&self, kind: ModelKind) -> Result<()> {
        if !matches!(kind, ModelKind::Sar | ModelKind::Sdm) {
            return Err(Error::invalid(format!(
                "dynamic: available for sar and sdm, not {}; drop the option dynamic",
                kind.name()
            )));
        }
        if !matches!(self.fe, Fe::Individual | Fe::Time | Fe::TwoWays) {
            return Err(Error::invalid(format!(
                "dynamic: fe \"{}\" is not available; dynamic models take fe \"individual\", \"time\" or \"twoways\"",
                self.fe.name()
            )));
        }
        if self.bias_correction != BiasCorrection::None {
            return Err(Error::invalid(format!(
                "dynamic: bias_correction \"{}\" is a static correction; dynamic models take \"ydl\", \
                 \"lee_yu_transform\", \"lee_yu_direct\" or \"none\"",
                self.bias_correction.name()
            )));
        }
        if self.information != Information::Elhorst {
            return Err(Error::invalid(format!(
                "dynamic: information \"{}\" is not available; the dynamic covariance is that of docs/methods.md §14 \
                 (option covariance: \"structural\", \"gaussian\", \"sdpdmod\")",
                self.information.name()
            )));
        }
        Ok(())
    }

    /// Indices in `design.names` of the regressors that get W·x (sorted, no repeats): all of
    /// them for SDM/SDEM/SLX without `durbin`, the named ones with it, none for SAR/SEM.
    fn lagged(&self, design: &Design, kind: ModelKind) -> Result<Vec<usize>> {
        match kind {
            ModelKind::Sdm | ModelKind::Sdem | ModelKind::Slx => match &self.durbin {
                None => Ok((0..design.names.len()).collect()),
                Some(list) => {
                    let mut idx = Vec::new();
                    for name in list {
                        match design.names.iter().position(|x| x == name) {
                            Some(i) if !idx.contains(&i) => idx.push(i),
                            Some(_) => {}
                            None => {
                                let hint = closest(name, design.names.iter().map(String::as_str))
                                    .map(|c| format!(" (did you mean '{c}'?)"))
                                    .unwrap_or_default();
                                return Err(Error::invalid(format!(
                                    "durbin: '{name}' is not a regressor of the formula{hint}; valid: {}",
                                    list_some(&design.names, 20)
                                )));
                            }
                        }
                    }
                    idx.sort_unstable();
                    Ok(idx)
                }
            },
            _ => {
                if self.durbin.is_some() {
                    return Err(Error::invalid(format!(
                        "durbin applies to sdm, sdem and slx only, not to {}; drop the option",
                        kind.name()
                    )));
                }
                Ok(Vec::new())
            }
        }
    }
}

/// Options checked by [`SpatialOptions::check`] against one design and model; the fit
/// functions work on these only. Built by `check` alone (outside this crate).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CheckedOptions {
    /// Fixed effects swept out.
    pub fe: Fe,
    /// Small-sample correction (none unless there are fixed effects).
    pub bias_correction: BiasCorrection,
    /// Lag-then-demean or demean-then-lag.
    pub lag_order: LagOrder,
    /// Log-determinant method.
    pub lndet: LogDetMethod,
    /// Search interval of ρ/λ given by the user (finite, lo < hi), else the default.
    pub interval: Option<(f64, f64)>,
    /// Indices in the design's regressors of those that get W·x (sorted; empty for SAR/SEM).
    pub lagged: Vec<usize>,
    /// Information matrix for the standard errors.
    pub information: Information,
    /// Options of the sparse traces.
    pub traces: TraceOptions,
    /// Error structure of a random-effects SEM/SDEM/SAC.
    pub errors: ReErrors,
    /// Covariance of a random-effects SEM/SDEM.
    pub covariance: ReCovariance,
    /// Dynamic model options.
    pub dynamic: Option<DynamicOptions>,
}

impl Default for SpatialOptions {
    fn default() -> Self {
        Self::new(Fe::TwoWays)
    }
}

/// Bias correction of a dynamic fit (docs/methods.md §14.2–14.3, §14.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamicCorrection {
    /// Yu, de Jong & Lee (2008): ϑ̂ + Σ̂⁻¹â/T (individual effects; default there).
    Ydl,
    /// Lee & Yu (2010) transformation for two-way effects, then the YDL correction in N − 1
    /// dimensions (default for two-way effects).
    LeeYuTransform,
    /// Lee & Yu (2010) direct approach: two-way demeaning, ϑ̂ + Σ̂⁻¹â/T + Σ̂⁻¹â₂/N.
    LeeYuDirect,
    /// No correction (default for time effects).
    None,
}

impl DynamicCorrection {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ydl => "ydl",
            Self::LeeYuTransform => "lee_yu_transform",
            Self::LeeYuDirect => "lee_yu_direct",
            Self::None => "none",
        }
    }
    /// The default for fixed effects `fe` (docs/methods.md §14.6).
    pub fn default_for(fe: Fe) -> Self {
        match fe {
            Fe::Individual => Self::Ydl,
            Fe::TwoWays => Self::LeeYuTransform,
            _ => Self::None,
        }
    }
}

/// Covariance of the dynamic estimates: (Σ⁻¹ + Σ⁻¹ΩΣ⁻¹)/(NT) (docs/methods.md §14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DynamicCovariance {
    /// Ω with μ4 from the structural residuals ε̂ = Sỹ − Z̃δ̂ (default).
    #[default]
    Structural,
    /// Ω = 0 (the Gaussian information only).
    Gaussian,
    /// Ω with μ4 from the reduced-form residuals ỹ − S⁻¹Z̃δ̂, as SDPDmod.
    Sdpdmod,
}

impl DynamicCovariance {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Structural => "structural",
            Self::Gaussian => "gaussian",
            Self::Sdpdmod => "sdpdmod",
        }
    }
}

/// Options of a dynamic fit (`SpatialOptions::dynamic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamicOptions {
    /// τ y_{t−1} (default true).
    pub time_lag: bool,
    /// η W y_{t−1} (default true).
    pub space_time_lag: bool,
    /// The correction; `None` = the default for the fixed effects.
    pub bias_correction: Option<DynamicCorrection>,
    /// The covariance (default structural μ4).
    pub covariance: DynamicCovariance,
}

impl Default for DynamicOptions {
    fn default() -> Self {
        DynamicOptions {
            time_lag: true,
            space_time_lag: true,
            bias_correction: None,
            covariance: DynamicCovariance::default(),
        }
    }
}
