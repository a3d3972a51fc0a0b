//! Options of the effects: method, simulation convention, trace engine and their defaults.

/// Default seed of the simulated effects (ChaCha8; draw r uses stream r).
pub const DEFAULT_SEED: u64 = 20_240_601;
/// Default number of draws (docs/methods.md §10).
pub const DEFAULT_DRAWS: usize = 1000;
/// With both the spectrum and the power traces available, `engine: "auto"` uses the power
/// series when N exceeds this.
pub const SERIES_ABOVE_N: usize = 20_000;
/// Truncation-error bound of the power series above which a warning is raised.
pub const SERIES_WARN_BOUND: f64 = 1e-8;

/// How standard errors are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Simulation from N(φ̂, V̂) (docs/methods.md §9 (i)).
    Simulation,
    /// Delta method (docs/methods.md §9 (ii)).
    Delta,
}

impl Method {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Simulation => "simulation",
            Method::Delta => "delta",
        }
    }
}

/// Which simulation convention is reported (docs/methods.md §9 (i)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Point at φ̂, SE = sd of draws, z = point/SE; out-of-interval ρ re-drawn (default).
    Spillover,
    /// Elhorst: reported effect = mean of draws, t = mean/sd; out-of-interval ρ re-drawn.
    Elhorst,
    /// spatialreg: point at φ̂, SE = sd, z = mean/sd; out-of-interval draws discarded.
    Spatialreg,
    /// SDPDmod `impactsSDPDm` (dynamic models only, docs/methods.md §14.5): reported effect =
    /// mean of the draws, t = mean/sd, nothing re-drawn; 200 draws with draw r seeded
    /// 12345 + 10r unless `draws`/`seed` are set.
    Sdpdmod,
}

impl Mode {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Spillover => "spillover",
            Mode::Elhorst => "elhorst",
            Mode::Spatialreg => "spatialreg",
            Mode::Sdpdmod => "sdpdmod",
        }
    }
}

/// Where the traces of S(ρ) come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceEngine {
    /// Eigenvalues when given (and N ≤ [`SERIES_ABOVE_N`] or no traces), else power series.
    Auto,
    /// Eigenvalues (exact).
    Eigen,
    /// Power series in the traces tr(Wᵠ).
    Series,
}

impl TraceEngine {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            TraceEngine::Auto => "auto",
            TraceEngine::Eigen => "eigen",
            TraceEngine::Series => "series",
        }
    }
}

/// Options of [`effects`](super::effects).
#[derive(Debug, Clone, PartialEq)]
pub struct EffectsOptions {
    /// Simulation (default) or delta method.
    pub method: Method,
    /// Simulation convention (default `Spillover`).
    pub mode: Mode,
    /// Number of draws R (default 1000).
    pub draws: usize,
    /// Seed (default [`DEFAULT_SEED`]).
    pub seed: u64,
    /// Trace engine (default `Auto`).
    pub engine: TraceEngine,
}

impl Default for EffectsOptions {
    fn default() -> Self {
        EffectsOptions {
            method: Method::Simulation,
            mode: Mode::Spillover,
            draws: DEFAULT_DRAWS,
            seed: DEFAULT_SEED,
            engine: TraceEngine::Auto,
        }
    }
}
