//! The model's data (docs/methods.md §7.1): the effective sample dimensions of the likelihood and the
//! raw and demeaned columns the ML fit works on, with the lag of y under the chosen convention.

use super::{CheckedOptions, LagOrder};
use crate::error::{Error, Result};
use crate::models::formula::Design;
use crate::models::result::ModelKind;
use crate::models::within::{demean, Fe};
use crate::weights::Weights;

/// Effective sample dimensions of the likelihood: Lee–Yu drops one period (individual/two-way)
/// and one unit (time/two-way) and adds −ln(1−ρ) to the log-Jacobian (docs/methods.md §7.5b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dims {
    pub n: usize,
    pub t: usize,
    pub n_eff: usize,
    pub t_eff: usize,
    /// −ln(1 − ρ) in the Jacobian and the unit eigenvalue removed from the traces.
    pub shift: bool,
}

impl Dims {
    pub fn nt_eff(&self) -> f64 {
        (self.n_eff * self.t_eff) as f64
    }
}

/// The model's data: raw and demeaned columns, and the lag of y under the chosen convention.
pub(crate) struct Prepared {
    /// The dependent variable's name, the model and its fixed effects (for messages).
    pub depvar: String,
    pub kind: ModelKind,
    pub fe: Fe,
    /// Names of the Z columns: "(intercept)" when pooled, regressors, then "W*x".
    pub names: Vec<String>,
    /// Raw Z columns (the lagged ones are W·x of the raw data).
    pub z_raw: Vec<Vec<f64>>,
    /// Demeaned Z̃.
    pub z: Vec<Vec<f64>>,
    /// Raw y.
    pub y_raw: Vec<f64>,
    /// ỹ.
    pub y: Vec<f64>,
    /// (I_T ⊗ W) y of the raw y.
    pub wy_raw: Vec<f64>,
    /// The lag of y in the demeaned model: Q(Wy) (lag_first) or W·ỹ (demean_first).
    pub wy: Vec<f64>,
    /// Formula regressors (no intercept).
    pub regressors: Vec<String>,
    /// Index in Z of each regressor's β.
    pub beta_index: Vec<usize>,
    /// Index in Z of each regressor's θ.
    pub theta_index: Vec<Option<usize>>,
    /// Seconds spent in the within transformation (for the fit's timings).
    pub within_seconds: f64,
}

impl Prepared {
    /// The model's data under the checked options (durbin names already resolved).
    pub(crate) fn new(design: &Design, w: &Weights, kind: ModelKind, opts: &CheckedOptions) -> Result<Prepared> {
        let (n, fe) = (design.n, opts.fe);
        let lagged = &opts.lagged;
        let mut names = Vec::new();
        let mut z_raw = Vec::new();
        if (fe == Fe::None && design.intercept) || fe == Fe::Random {
            names.push("(intercept)".to_string());
            z_raw.push(vec![1.0; design.nobs()]);
        }
        let off = names.len();
        let mut beta_index = Vec::new();
        for (k, name) in design.names.iter().enumerate() {
            names.push(name.clone());
            z_raw.push(design.x[k].clone());
            beta_index.push(off + k);
        }
        let mut theta_index = vec![None; design.names.len()];
        for &k in lagged {
            theta_index[k] = Some(names.len());
            names.push(format!("W*{}", design.names[k]));
            z_raw.push(w.lag_panel(&design.x[k]));
        }
        // The same absorbed-regressor check (and message) as OLS.
        let start = std::time::Instant::now();
        let z = crate::models::ols::demean_columns(&z_raw, &names, n, fe)?;
        let y_raw = design.y.clone();
        let y = demean(&y_raw, n, fe);
        let mut within_seconds = start.elapsed().as_secs_f64();
        let wy_raw = w.lag_panel(&y_raw);
        let wy = match opts.lag_order {
            LagOrder::LagFirst => {
                let start = std::time::Instant::now();
                let out = demean(&wy_raw, n, fe);
                within_seconds += start.elapsed().as_secs_f64();
                out
            }
            LagOrder::DemeanFirst => w.lag_panel(&y),
        };
        Ok(Prepared {
            depvar: design.depvar.clone(),
            kind,
            fe,
            names,
            z_raw,
            z,
            y_raw,
            y,
            wy_raw,
            wy,
            regressors: design.names.clone(),
            beta_index,
            theta_index,
            within_seconds,
        })
    }

    /// Refuses a constant dependent variable and residuals that are zero up to rounding (see
    /// [`crate::models::ols::refuse_constant_depvar`], [`crate::models::ols::refuse_exact_fit`]);
    /// `sse` is the residual sum of squares of ỹ.
    pub fn refuse_exact_fit(&self, sse: f64) -> Result<()> {
        crate::models::ols::refuse_constant_depvar(self.kind.name(), &self.depvar, &self.y_raw, &self.y, self.fe)?;
        crate::models::ols::refuse_exact_fit(self.kind.name(), &self.depvar, &self.y, sse, self.fe)
    }

    /// Refuses `a` = c·`b` up to rounding (SAR/SDM: the residuals e0 of ỹ and ed of Wỹ on the
    /// regressors; SEM/SDEM: ỹ and Wỹ): at ρ (λ) = c the residuals vanish, so the likelihood is
    /// unbounded and the spatial parameter is not identified — e.g. N = 3 units that all
    /// neighbour each other under time effects, where Wỹ = −ỹ/2. `n` is the number of units.
    pub fn refuse_proportional_lag(&self, a: &[f64], b: &[f64], n: usize) -> Result<()> {
        use crate::models::dense::{dot, RANK_TOL};
        let (aa, ab, bb) = (dot(a, a), dot(a, b), dot(b, b));
        let c = if bb > 0.0 { ab / bb } else { 0.0 };
        let rest: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - c * y).collect();
        if aa > 0.0 && dot(&rest, &rest) <= RANK_TOL * RANK_TOL * aa {
            let param = match self.kind {
                ModelKind::Sem | ModelKind::Sdem => "lambda",
                _ => "rho",
            };
            return Err(Error::data(format!(
                "{}: after the {} fixed effects the spatial lag Wy of '{}' is proportional to it (up to the \
                 regressors), so the residuals vanish at {param} = {c:.6} and the likelihood is unbounded: {param} \
                 is not identified (e.g. N = {n} units that all neighbour each other, under time effects); use other \
                 weights, other fixed effects or more units",
                self.kind.name(),
                self.fe.name(),
                self.depvar,
            )));
        }
        Ok(())
    }

    /// The lag of a (raw) column under the convention: Q(W·raw) or W·(Q raw).
    pub fn lag_of(&self, w: &Weights, raw: &[f64], demeaned: &[f64], n: usize, fe: Fe, order: LagOrder) -> Vec<f64> {
        match order {
            LagOrder::LagFirst => demean(&w.lag_panel(raw), n, fe),
            LagOrder::DemeanFirst => w.lag_panel(demeaned),
        }
    }
}
