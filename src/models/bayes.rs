//! Bayesian comparison of spatial panel models and of weight matrices (LeSage 2014,
//! *Spatial Statistics* 9:122–145; docs/methods.md §15): the log-marginal likelihood of each
//! model after integrating out β (flat prior), σ² (p(σ²) ∝ 1/σ²) and ρ or λ (uniform on the
//! feasible interval, or a beta(a0, a0) on (−1, 1)), and the posterior model probabilities
//! under equal prior odds.
//!
//! With Z the model's regressors after the fixed effects (Z = X for OLS, SAR, SEM; [X, WX] for
//! SLX, SDM, SDEM), p = ncol(Z) and a = (NT − p − dofadj)/2 (dofadj = N, T, N + T − 1 for
//! individual, time, two-way effects, Elhorst's adjustment; 0 when pooled, the intercept being
//! a column of Z):
//!
//! ```text
//! OLS, SLX : ln m = ln c(a) − ½ ln|Z'Z| − a ln(e'e)
//! SAR, SDM : ln m = ln c(a) − ½ ln|Z'Z| + ln ∫ exp{−a ln Q(ρ) + T ln|I − ρW|} p(ρ) dρ
//! SEM, SDEM: ln m = ln c(a) + ln ∫ exp{−a ln Q_e(λ) + T ln|I − λW| − ½ ln|Z(λ)'Z(λ)|} p(λ) dλ
//! ```
//!
//! Q(ρ) = e0'e0 − 2ρ e0'ed + ρ² ed'ed with e0, ed the residuals of y and Wy on Z; Z(λ) =
//! Z − λWZ, y(λ) = y − λWy and Q_e(λ) their residual sum of squares. The exact constant is
//! c(a) = Γ(a) π^{−a} (the σ²-integral gives Γ(a)(Q/2)^{−a}), the integral is the trapezoid rule
//! on a fine grid of the exact interval (after removing the maximum of the log integrand), and
//! the log-determinant comes from the eigenvalues of W. `Compat::LeSage` reproduces SDPDmod's
//! `blmpSDPD` and LeSage/Elhorst's `log_marginal_panelprob.m`: c(a) = Γ(a)(2π)^{−a} and, in
//! place of ln ∫, the sum Σ (ρ_{j+1} + ρ_j)(f_{j+1} − f_j)/2 of their "trapezoid" line.
//!
//! `BayesOptions::lee_yu` compares the models on the Lee–Yu transformed sample (SDPDmod
//! `LYtrans = TRUE`; docs/methods.md §15.5): n* = N(T − 1), (N − 1)T or (N − 1)(T − 1)
//! observations, the cross-products of the lagged-then-demeaned data, the log-Jacobian
//! T*·ln|I − ρW*| with W* = F_N'WF_N (the eigenvalues of W but one unit eigenvalue). Exact:
//! a = (n* − p)/2; LeSage: a = (n* − p − dofadj*)/2 (the effects counted twice) and the grid and
//! D of W*.

use crate::error::{Error, Result};
use crate::models::dense::{cross_products, dot, logdet_spd, solve_spd, LeastSquares};
use crate::models::ml::{LagOrder, Prepared, SpatialOptions};
use crate::models::{Design, Fe, ModelKind};
use crate::report::table::{Cell, Table};
use crate::weights::{Spectrum, Weights};

/// The models compared when none are named.
pub const DEFAULT_MODELS: [ModelKind; 5] = [
    ModelKind::Sar,
    ModelKind::Sdm,
    ModelKind::Sem,
    ModelKind::Sdem,
    ModelKind::Slx,
];
/// The models a Bayesian comparison can include.
pub const COMPARABLE: [ModelKind; 6] = [
    ModelKind::Ols,
    ModelKind::Slx,
    ModelKind::Sar,
    ModelKind::Sdm,
    ModelKind::Sem,
    ModelKind::Sdem,
];
/// Default step of the integration grid over ρ (docs/methods.md §18).
pub const GRID_STEP: f64 = 0.001;
/// Distance of the first and last grid points from the ends of the exact interval.
pub const GRID_EDGE: f64 = 1e-6;
/// SDPDmod's default parameter a0 of the beta(a0, a0) prior on (−1, 1).
pub const BETA_A0: f64 = 1.01;

/// The prior of ρ (λ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Prior {
    /// Uniform on the feasible interval (1/ω_min, 1/ω_max): density 1/D, D = 1/ω_max − 1/ω_min.
    Uniform,
    /// beta(a0, a0) stretched to (−1, 1): p(ρ) = (1 + ρ)^{a0−1}(1 − ρ)^{a0−1} / (B(a0, a0) 2^{2a0−1}).
    Beta(f64),
}

impl Prior {
    /// The option value naming this prior.
    pub fn name(self) -> &'static str {
        match self {
            Prior::Uniform => "uniform",
            Prior::Beta(_) => "beta",
        }
    }
}

/// Which formula is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compat {
    /// The exact marginal likelihood (constant Γ(a)π^{−a}, log of the trapezoid integral).
    Exact,
    /// SDPDmod `blmpSDPD` / MATLAB `log_marginal_panelprob.m`: Γ(a)(2π)^{−a}, the "isum" line in
    /// place of the log-integral, the grid rmin = 1/ω_min + step (0 when N ≥ 1000) to
    /// 1/ω_max − step in steps of `step` (R's `seq`).
    LeSage,
}

impl Compat {
    /// The option value naming this convention.
    pub fn name(self) -> &'static str {
        match self {
            Compat::Exact => "exact",
            Compat::LeSage => "lesage",
        }
    }
}

/// Options of a Bayesian comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BayesOptions {
    /// Fixed effects swept out before the comparison (random effects are refused).
    pub fe: Fe,
    /// Prior of ρ (λ).
    pub prior: Prior,
    /// Exact (default) or the peers' formula.
    pub compat: Compat,
    /// Step of the integration grid (default [`GRID_STEP`]).
    pub grid_step: f64,
    /// Lee–Yu transformed data (SDPDmod `LYtrans = TRUE`; docs/methods.md §15.4–15.5): the
    /// orthonormal F_T removes the individual effects (T → T − 1), F_N the time effects
    /// (N → N − 1, W → W* = F_N'WF_N, W row-standardised). Exact: a = (n* − p)/2 on the n*
    /// transformed observations and the prior interval of W; `Compat::LeSage`: the effects
    /// subtracted again (a = (n* − p − dofadj*)/2, dofadj* of the transformed dimensions) and
    /// the grid and D from the eigenvalues of W*.
    pub lee_yu: bool,
}

impl BayesOptions {
    /// Exact formula, uniform prior, [`GRID_STEP`], the given fixed effects.
    pub fn new(fe: Fe) -> BayesOptions {
        BayesOptions {
            fe,
            prior: Prior::Uniform,
            compat: Compat::Exact,
            grid_step: GRID_STEP,
            lee_yu: false,
        }
    }
}

/// The log-marginal likelihood of one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogMarginal {
    /// The model.
    pub kind: ModelKind,
    /// ln m(y | model).
    pub log_marginal: f64,
    /// The grid point where the integrand of ρ (λ) peaks (the posterior mode under the prior);
    /// `None` for OLS and SLX.
    pub mode: Option<f64>,
    /// a = (NT − p − dofadj)/2.
    pub a: f64,
}

/// A comparison: one row per model (or per W) with its log-marginal and posterior probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Row labels ("SDM", or the names of the weight matrices).
    pub labels: Vec<String>,
    /// The log-marginal of each row.
    pub marginals: Vec<LogMarginal>,
    /// Posterior probabilities under equal prior odds ([`posterior_probabilities`]).
    pub probabilities: Vec<f64>,
    /// The options used.
    pub options: BayesOptions,
    /// What was compared ("models" or "weights of SDM").
    pub what: String,
}

impl Comparison {
    /// The table `label | log_marginal | probability | mode` with notes on the formula.
    pub fn to_table(&self) -> Table {
        let o = &self.options;
        let mut t = Table::new(
            format!(
                "Bayesian comparison of {} (fe {}{}, prior {}, {})",
                self.what,
                o.fe.name(),
                if o.lee_yu { ", Lee-Yu transformed" } else { "" },
                o.prior.name(),
                match o.compat {
                    Compat::Exact => "exact marginal likelihood",
                    Compat::LeSage => "compat lesage",
                }
            ),
            ["model", "log_marginal", "probability", "mode"]
                .map(String::from)
                .to_vec(),
        );
        if self.what != "models" {
            t.columns[0] = "w".into();
        }
        for ((label, m), p) in self.labels.iter().zip(&self.marginals).zip(&self.probabilities) {
            t.push(vec![
                label.clone().into(),
                Cell::Num(m.log_marginal),
                Cell::Num(*p),
                m.mode.map_or(Cell::Empty, Cell::Num),
            ]);
        }
        t.note("probability: exp(L_j − max L)/Σ exp(L_i − max L), equal prior odds; mode: the grid point where the integrand of rho (lambda) peaks");
        t.note(match o.compat {
            Compat::Exact => format!(
                "exact: Gamma(a) pi^(-a) constant, log of the trapezoid integral on a {} grid of the eigenvalue interval, exact log-determinant (docs/methods.md §15)",
                o.grid_step
            ),
            Compat::LeSage => "compat lesage: SDPDmod blmpSDPD / log_marginal_panelprob.m formula (Gamma(a)(2 pi)^(-a), the isum line instead of the log-integral; docs/methods.md §15.3)".into(),
        });
        t.decimals = 6;
        t
    }
}

/// Posterior probabilities exp(L_j − max L) / Σ_i exp(L_i − max L) of log-marginals `l` under
/// equal prior odds.
pub fn posterior_probabilities(l: &[f64]) -> Vec<f64> {
    let max = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = l.iter().map(|v| (v - max).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// The comparable model called `name` ("ols", "slx", "sar", "sdm", "sem", "sdem"; any case);
/// an error lists the names.
pub fn comparable_kind(name: &str) -> Result<ModelKind> {
    let lower = name.to_lowercase();
    COMPARABLE.iter().copied().find(|k| k.name() == lower).ok_or_else(|| {
        Error::invalid(format!(
            "unknown model '{name}' in models; the Bayesian comparison covers {}",
            COMPARABLE.map(|k| format!("\"{}\"", k.name())).join(", ")
        ))
    })
}

/// Refuses a model a Bayesian comparison cannot include (SAC).
fn check_kind(kind: ModelKind) -> Result<()> {
    if COMPARABLE.contains(&kind) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "the Bayesian comparison covers {}; {} is not among them (its two spatial parameters need a double integral)",
        COMPARABLE.map(|k| k.name()).join(", "),
        kind.name()
    )))
}

/// The ρ (λ) interval of the integral: the feasible interval (1/ω_min, 1/ω_max) for the uniform
/// prior, its intersection with (−1, 1) for the beta prior.
fn support(spectrum: &Spectrum, prior: Prior) -> (f64, f64) {
    let (lo, hi) = spectrum.interval();
    match prior {
        Prior::Uniform => (lo, hi),
        Prior::Beta(_) => (lo.max(-1.0), hi.min(1.0)),
    }
}

/// The integration grid. Exact: `step`-spaced (rounded up to equal intervals) from
/// lo + [`GRID_EDGE`] to hi − [`GRID_EDGE`]. LeSage: R's `seq(rmin, rmax, step)` with
/// rmin = lo + step (0 when N ≥ 1000, as SDPDmod with its Monte Carlo log-determinant) and
/// rmax = hi − step.
fn grid(lo: f64, hi: f64, step: f64, compat: Compat, n: usize) -> Result<Vec<f64>> {
    let (a, b) = match compat {
        Compat::Exact => (lo + GRID_EDGE, hi - GRID_EDGE),
        Compat::LeSage => (if n >= 1000 { 0.0 } else { lo + step }, hi - step),
    };
    // Written positively so that NaN fails too.
    let nonempty = b > a && step > 0.0;
    if !nonempty {
        return Err(Error::invalid(format!(
            "the integration interval ({a}, {b}) of rho is empty for grid_step {step}; use a smaller grid_step"
        )));
    }
    Ok(match compat {
        Compat::Exact => {
            let m = ((b - a) / step).ceil().max(2.0) as usize;
            let h = (b - a) / m as f64;
            (0..=m).map(|j| a + j as f64 * h).collect()
        }
        Compat::LeSage => {
            let m = ((b - a) / step + 1e-10) as usize;
            (0..=m).map(|j| a + j as f64 * step).collect()
        }
    })
}

/// ln p(ρ) of the prior density at grid point ρ (the uniform's −ln D is added separately).
fn ln_prior(prior: Prior, rho: f64) -> f64 {
    match prior {
        Prior::Uniform => 0.0,
        Prior::Beta(a0) => {
            (a0 - 1.0) * ((1.0 + rho).ln() + (1.0 - rho).ln())
                - statrs::function::beta::ln_beta(a0, a0)
                - (2.0 * a0 - 1.0) * std::f64::consts::LN_2
        }
    }
}

/// ln of the integral of exp(g) over the grid `rho` (values `g`), and the grid point of the peak:
/// exact: max g + ln Σ (ρ_{j+1} − ρ_j)(f_j + f_{j+1})/2 with f = exp(g − max g); LeSage: max g +
/// Σ (ρ_{j+1} + ρ_j)(f_{j+1} − f_j)/2 (their line, un-logged; docs/methods.md §15.3).
fn integrate(rho: &[f64], g: &[f64], compat: Compat) -> Result<(f64, f64)> {
    let (jmax, adj) = g.iter().enumerate().fold(
        (0, f64::NEG_INFINITY),
        |(j, m), (i, &v)| if v > m { (i, v) } else { (j, m) },
    );
    if !adj.is_finite() || g.iter().any(|v| v.is_nan()) {
        return Err(Error::numeric(
            "the integrand of rho is not finite on the grid; check the data for constant or collinear columns",
        ));
    }
    let f: Vec<f64> = g.iter().map(|v| (v - adj).exp()).collect();
    let pairs = rho.windows(2).zip(f.windows(2));
    let value = match compat {
        Compat::Exact => {
            adj + pairs
                .map(|(r, f)| (r[1] - r[0]) * (f[0] + f[1]) / 2.0)
                .sum::<f64>()
                .ln()
        }
        Compat::LeSage => adj + pairs.map(|(r, f)| (r[1] + r[0]) * (f[1] - f[0]) / 2.0).sum::<f64>(),
    };
    Ok((value, rho[jmax]))
}

/// The log-marginal likelihood of `kind` (OLS, SLX, SAR, SDM, SEM or SDEM) for `design` and W
/// `w` (aligned to the design's units here), docs/methods.md §15.2 (module doc).
pub fn log_marginal(design: &Design, w: &Weights, kind: ModelKind, opts: &BayesOptions) -> Result<LogMarginal> {
    check_kind(kind)?;
    let fe = opts.fe;
    if fe == Fe::Random {
        return Err(Error::invalid(
            "the Bayesian comparison works on fixed-effects (or pooled) models; fe must be \"none\", \"individual\", \
             \"time\" or \"twoways\", not \"random\"",
        ));
    }
    let (design, _notes) = design.for_fe(fe)?;
    let design = &*design;
    let (n, t) = (design.n, design.t);
    if w.n() != n {
        return Err(Error::data(format!(
            "the weights have {} units but the data {n}; build W for the panel's units (w.subset(ids) keeps a subset)",
            w.n()
        )));
    }
    let w = w.aligned_to(&design.ids)?;
    let ly = lee_yu_dims(fe, n, t, &w, opts.lee_yu)?;
    // The fixed effects are removed first and W is applied to the demeaned data (docs/methods.md
    // §15.1, as SDPDmod and the MATLAB code): ỹ, Wỹ and X̃ from the SAR data under
    // "demean_first", then WX̃ for the Durbin models. Under Lee–Yu the transformed data
    // F'y, F'Wy = W*F'y (W row-standardised) have the cross-products of the lag of the raw data,
    // demeaned: "lag_first".
    let order = if ly.is_some() {
        LagOrder::LagFirst
    } else {
        LagOrder::DemeanFirst
    };
    let mut so = SpatialOptions::new(fe);
    so.lag_order = order;
    let checked = so.check(design, ModelKind::Sar)?;
    let data = Prepared::new(design, &w, ModelKind::Sar, &checked)?;
    let durbin = matches!(kind, ModelKind::Slx | ModelKind::Sdm | ModelKind::Sdem);
    let mut z = data.z.clone();
    let mut z_raw = data.z_raw.clone();
    let mut names = data.names.clone();
    if durbin {
        for &k in &data.beta_index {
            z.push(data.lag_of(&w, &data.z_raw[k], &data.z[k], n, fe, order));
            z_raw.push(w.lag_panel(&data.z_raw[k]));
            names.push(format!("W*{}", data.names[k]));
        }
    }
    let z = &z;
    let p = z.len();
    // (n*, T*): the sample the likelihood is written for (n*T* = NT without Lee–Yu).
    let (n_eff, t_eff) = ly.map_or((n, t), |d| (d.n_eff, d.t_eff));
    let dofadj = match (fe, ly.is_some(), opts.compat) {
        (Fe::None, _, _) => 0,
        (_, false, _) => fe.absorbed(n, t),
        // The transformed sample has no fixed effects left (docs/methods.md §15.5).
        (_, true, Compat::Exact) => 0,
        // SDPDmod subtracts them again, in the transformed dimensions (§15.4).
        (_, true, Compat::LeSage) => fe.absorbed(n_eff, t_eff),
    };
    let nt = n_eff * t_eff;
    if nt <= p + dofadj + 1 {
        return Err(Error::data(format!(
            "{nt} observations for {p} regressors and {dofadj} fixed effects; the comparison needs more observations"
        )));
    }
    let a = (nt - p - dofadj) as f64 / 2.0;
    let pi = match opts.compat {
        Compat::Exact => std::f64::consts::PI,
        Compat::LeSage => 2.0 * std::f64::consts::PI,
    };
    let log_c = statrs::function::gamma::ln_gamma(a) - a * pi.ln();
    let ls = LeastSquares::new(z, &names)?;
    let e0 = ls.annihilate(z, &data.y);
    data.refuse_exact_fit(dot(&e0, &e0))?;
    if matches!(kind, ModelKind::Ols | ModelKind::Slx) {
        let lnzz = logdet_spd(&cross_products(z), p, "Z'Z")?;
        return Ok(LogMarginal {
            kind,
            log_marginal: log_c - 0.5 * lnzz - a * dot(&e0, &e0).ln(),
            mode: None,
            a,
        });
    }
    let spectrum_w = w.spectrum()?;
    // The log-Jacobian is T*·ln|I − ρW*|; W* = F_N'WF_N has the eigenvalues of W but one unit
    // eigenvalue. The prior interval is that of W (the model's), except in the peers' code.
    let star = match ly {
        Some(d) if d.time => Some(without_unit_eigenvalue(&spectrum_w)?),
        _ => None,
    };
    let spectrum = star.as_ref().unwrap_or(&spectrum_w);
    let support_of = match opts.compat {
        Compat::LeSage => spectrum,
        Compat::Exact => &*spectrum_w,
    };
    let (lo, hi) = support(support_of, opts.prior);
    let rho = grid(lo, hi, opts.grid_step, opts.compat, n)?;
    let ln_d = match opts.prior {
        Prior::Uniform => {
            let (flo, fhi) = support_of.interval();
            (fhi - flo).ln()
        }
        Prior::Beta(_) => 0.0,
    };
    let tf = t_eff as f64;
    let (log_integral, mode, lnzz) = match kind {
        ModelKind::Sar | ModelKind::Sdm => {
            let ed = ls.annihilate(z, &data.wy);
            data.refuse_proportional_lag(&e0, &ed, n)?;
            let (ee, ed0, dd) = (dot(&e0, &e0), dot(&e0, &ed), dot(&ed, &ed));
            let g: Vec<f64> = rho
                .iter()
                .map(|&r| {
                    let q = ee - 2.0 * r * ed0 + r * r * dd;
                    -a * q.ln() + tf * spectrum.logdet(r) + ln_prior(opts.prior, r)
                })
                .collect();
            let (v, mode) = integrate(&rho, &g, opts.compat)?;
            (v, mode, logdet_spd(&cross_products(z), p, "Z'Z")?)
        }
        _ => {
            data.refuse_proportional_lag(&data.y, &data.wy, n)?;
            let wz: Vec<Vec<f64>> = z
                .iter()
                .zip(&z_raw)
                .map(|(c, r)| data.lag_of(&w, r, c, n, fe, order))
                .collect();
            let blocks = SemBlocks::new(z, &wz, &data.y, &data.wy);
            let mut g = Vec::with_capacity(rho.len());
            for &r in &rho {
                let (q, lnzz) = blocks.at(r)?;
                g.push(-a * q.ln() + tf * spectrum.logdet(r) - 0.5 * lnzz + ln_prior(opts.prior, r));
            }
            let (v, mode) = integrate(&rho, &g, opts.compat)?;
            (v, mode, 0.0)
        }
    };
    Ok(LogMarginal {
        kind,
        log_marginal: log_c - ln_d - 0.5 * lnzz + log_integral,
        mode: Some(mode),
        a,
    })
}

/// The dimensions of the Lee–Yu transformed sample (docs/methods.md §15.4).
#[derive(Debug, Clone, Copy)]
struct LeeYuDims {
    n_eff: usize,
    t_eff: usize,
    /// Time effects removed by F_N (W → W*).
    time: bool,
}

/// `None` without Lee–Yu; else the transformed dimensions: individual effects T → T − 1, time
/// effects N → N − 1 (with a row-standardised W, so that F_N'W = W*F_N'), two-way both.
fn lee_yu_dims(fe: Fe, n: usize, t: usize, w: &Weights, on: bool) -> Result<Option<LeeYuDims>> {
    if !on {
        return Ok(None);
    }
    let (indiv, time) = match fe {
        Fe::Individual => (true, false),
        Fe::Time => (false, true),
        Fe::TwoWays => (true, true),
        Fe::None | Fe::Random => {
            return Err(Error::invalid(format!(
                "lee_yu transforms away fixed effects, and fe is \"{}\"; use fe \"individual\", \"time\" or \
                 \"twoways\", or drop lee_yu",
                fe.name()
            )))
        }
    };
    if time && !w.facts().row_standardised {
        return Err(Error::invalid(format!(
            "lee_yu with {} effects needs a row-standardised W (F_N'W = W*F_N' requires W·ι = ι); \
             standardise it with w.standardize(\"row\") or use fe \"individual\"",
            fe.name()
        )));
    }
    let (n_eff, t_eff) = (n - usize::from(time), t - usize::from(indiv));
    if n_eff == 0 || t_eff == 0 {
        return Err(Error::data(format!(
            "lee_yu with {} effects needs at least two units and two periods (N = {n}, T = {t})",
            fe.name()
        )));
    }
    Ok(Some(LeeYuDims { n_eff, t_eff, time }))
}

/// The eigenvalues of W* = F_N'WF_N for a row-standardised W: those of W without one unit
/// eigenvalue (in the basis [ι/√N, F_N], W is block upper-triangular with the block 1 and W*).
fn without_unit_eigenvalue(s: &Spectrum) -> Result<Spectrum> {
    let j =
        s.re.iter()
            .zip(&s.im)
            .enumerate()
            .filter(|(_, (_, im))| **im == 0.0)
            .min_by(|(_, (a, _)), (_, (b, _))| (*a - 1.0).abs().total_cmp(&(*b - 1.0).abs()))
            .map(|(j, _)| j)
            .filter(|&j| (s.re[j] - 1.0).abs() < 1e-8)
            .ok_or_else(|| {
                Error::numeric("lee_yu: W has no unit eigenvalue; standardise it with w.standardize(\"row\")")
            })?;
    let mut out = s.clone();
    out.re.remove(j);
    out.im.remove(j);
    Ok(out)
}

/// The ten cross-product blocks of the SEM/SDEM integrand: Z(λ)'Z(λ), Z(λ)'y(λ) and
/// y(λ)'y(λ) are quadratics in λ of Z'Z, Z'WZ, (WZ)'WZ, Z'y, Z'Wy, (WZ)'y, (WZ)'Wy, y'y, y'Wy,
/// (Wy)'Wy (docs/methods.md §15.2).
struct SemBlocks {
    p: usize,
    zz: Vec<f64>,
    zwz: Vec<f64>,
    wzwz: Vec<f64>,
    zy: Vec<f64>,
    zwy: Vec<f64>,
    wzy: Vec<f64>,
    wzwy: Vec<f64>,
    yy: f64,
    ywy: f64,
    wywy: f64,
}

impl SemBlocks {
    fn new(z: &[Vec<f64>], wz: &[Vec<f64>], y: &[f64], wy: &[f64]) -> SemBlocks {
        let p = z.len();
        let cross = |a: &[Vec<f64>], b: &[Vec<f64>]| -> Vec<f64> {
            let mut m = vec![0.0; p * p];
            for i in 0..p {
                for j in 0..p {
                    m[i * p + j] = dot(&a[i], &b[j]);
                }
            }
            m
        };
        let xt = |a: &[Vec<f64>], v: &[f64]| a.iter().map(|c| dot(c, v)).collect::<Vec<f64>>();
        SemBlocks {
            p,
            zz: cross_products(z),
            zwz: cross(z, wz),
            wzwz: cross_products(wz),
            zy: xt(z, y),
            zwy: xt(z, wy),
            wzy: xt(wz, y),
            wzwy: xt(wz, wy),
            yy: dot(y, y),
            ywy: dot(y, wy),
            wywy: dot(wy, wy),
        }
    }

    /// (Q_e(λ), ln|Z(λ)'Z(λ)|).
    fn at(&self, l: f64) -> Result<(f64, f64)> {
        let p = self.p;
        let mut axx = vec![0.0; p * p];
        for i in 0..p {
            for j in 0..p {
                axx[i * p + j] =
                    self.zz[i * p + j] - l * (self.zwz[i * p + j] + self.zwz[j * p + i]) + l * l * self.wzwz[i * p + j];
            }
        }
        let axy: Vec<f64> = (0..p)
            .map(|i| self.zy[i] - l * (self.zwy[i] + self.wzy[i]) + l * l * self.wzwy[i])
            .collect();
        let ayy = self.yy - 2.0 * l * self.ywy + l * l * self.wywy;
        let b = solve_spd(&axx, p, &axy, "Z(lambda)'Z(lambda)")?;
        let q = ayy - dot(&b, &axy);
        Ok((q, logdet_spd(&axx, p, "Z(lambda)'Z(lambda)")?))
    }
}

/// Log-marginals and posterior probabilities of the models `kinds` (at least two, each once)
/// with the same data and W (docs/methods.md §15).
pub fn model_probabilities(
    design: &Design,
    w: &Weights,
    kinds: &[ModelKind],
    opts: &BayesOptions,
) -> Result<Comparison> {
    if kinds.len() < 2 {
        return Err(Error::invalid(format!(
            "a comparison needs at least two models, got {}; list them in models, e.g. [\"sar\", \"sdm\", \"sem\"] \
             (the default compares sar, sdm, sem, sdem and slx)",
            kinds.len()
        )));
    }
    for (i, k) in kinds.iter().enumerate() {
        check_kind(*k)?;
        if kinds[..i].contains(k) {
            return Err(Error::invalid(format!(
                "models lists {} twice; name each model once",
                k.name()
            )));
        }
    }
    let marginals = kinds
        .iter()
        .map(|&k| log_marginal(design, w, k, opts).map_err(|e| e.prefixed(&format!("{}: ", k.name()))))
        .collect::<Result<Vec<_>>>()?;
    let probabilities = posterior_probabilities(&marginals.iter().map(|m| m.log_marginal).collect::<Vec<_>>());
    Ok(Comparison {
        labels: kinds.iter().map(|k| k.name().to_uppercase()).collect(),
        marginals,
        probabilities,
        options: *opts,
        what: "models".into(),
    })
}

/// Log-marginals of model `kind` under each of the named weight matrices `ws` (at least two),
/// and the posterior probabilities of the matrices under equal prior odds (LeSage 2014; the
/// Elhorst demo): the same data, one W at a time.
pub fn w_probabilities(
    design: &Design,
    ws: &[(String, &Weights)],
    kind: ModelKind,
    opts: &BayesOptions,
) -> Result<Comparison> {
    check_kind(kind)?;
    if matches!(kind, ModelKind::Ols) {
        return Err(Error::invalid(
            "ols does not use W, so its log-marginal is the same under every W; compare W with sar, sdm, sem, sdem or slx",
        ));
    }
    if ws.len() < 2 {
        return Err(Error::invalid(format!(
            "a comparison of weight matrices needs at least two, got {}; pass a list such as [w1, w2]",
            ws.len()
        )));
    }
    for (i, (name, _)) in ws.iter().enumerate() {
        if ws[..i].iter().any(|(m, _)| m == name) {
            return Err(Error::invalid(format!(
                "the name '{name}' is given to two weight matrices; name each once (option names)"
            )));
        }
    }
    let marginals = ws
        .iter()
        .map(|(name, w)| log_marginal(design, w, kind, opts).map_err(|e| e.prefixed(&format!("{name}: "))))
        .collect::<Result<Vec<_>>>()?;
    let probabilities = posterior_probabilities(&marginals.iter().map(|m| m.log_marginal).collect::<Vec<_>>());
    Ok(Comparison {
        labels: ws.iter().map(|(n, _)| n.clone()).collect(),
        marginals,
        probabilities,
        options: *opts,
        what: format!("weight matrices ({})", kind.name().to_uppercase()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trapezoid on the exact grid integrates a narrow Gaussian to its closed form.
    #[test]
    fn exact_integral_of_a_gaussian_bump() {
        let rho = grid(-1.5, 1.0, 0.001, Compat::Exact, 10).unwrap();
        let (mu, s) = (0.3, 0.03);
        let g: Vec<f64> = rho.iter().map(|r| 100.0 - 0.5 * ((r - mu) / s).powi(2)).collect();
        let (v, mode) = integrate(&rho, &g, Compat::Exact).unwrap();
        let want = 100.0 + (s * (2.0 * std::f64::consts::PI).sqrt()).ln();
        assert!((v - want).abs() < 1e-10, "{v} vs {want}");
        assert!((mode - mu).abs() < 1e-3);
        // The peers' line is about minus the integral, added un-logged.
        let (v2, _) = integrate(&rho, &g, Compat::LeSage).unwrap();
        assert!((v2 - (100.0 - s * (2.0 * std::f64::consts::PI).sqrt())).abs() < 1e-6);
    }

    #[test]
    fn lesage_grid_is_r_seq() {
        let r = grid(-1.0, 1.0, 0.001, Compat::LeSage, 48).unwrap();
        assert_eq!(r.len(), 1999);
        assert!((r[0] + 0.999).abs() < 1e-15 && (r[1998] - 0.999).abs() < 1e-12);
        assert_eq!(grid(-1.0, 1.0, 0.001, Compat::LeSage, 2000).unwrap()[0], 0.0);
    }

    #[test]
    fn probabilities_sum_to_one() {
        let p = posterior_probabilities(&[1000.0, 1001.0, 990.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!((p[1] / p[0] - std::f64::consts::E).abs() < 1e-12);
    }
}
