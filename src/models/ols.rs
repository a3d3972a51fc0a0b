//! Non-spatial panel OLS with pooled, individual, time or two-way fixed effects (docs/methods.md §5),
//! and the recovery of the intercept and fixed effects (Elhorst).
//!
//! ```text
//! b = (X̃'X̃)⁻¹X̃'ỹ,   e = ỹ − X̃b
//! s² = e'e/(NT − K − a)        a = 1 (pooled intercept), N, T or N + T − 1 absorbed effects
//! Var(b) = s²(X̃'X̃)⁻¹           (plm `within` / Stata `xtreg, fe`)
//! σ̂² = e'e/NT,   logL = −(NT/2) ln(2πσ̂²) − NT/2
//! R² = 1 − e'e/Σ(y − ȳ)²        (overall, Elhorst FE_rsqr2);  corr² = 1 − e'e/Σ(ỹ − mean ỹ)²
//! r2_within, r2_between, r2_overall: xtreg's squared correlations of y and Xb (models::panel_r2)
//! ```

use super::dense::{dot, quad_form, LeastSquares, RANK_TOL};
use super::formula::Design;
use super::result::{Coef, Model, ModelKind};
use super::within::{demean, is_absorbed, time_means, unit_means, Fe};
use crate::error::{Error, Result};
use crate::report::table::{Cell, Table};
use std::collections::BTreeMap;

/// Name of the pooled model's constant.
pub const INTERCEPT: &str = "(intercept)";

pub use super::within::ABSORBED_TOL;

/// What it means for a regressor to be swept out by `fe` (for error messages).
fn absorbed_reason(fe: Fe) -> &'static str {
    match fe {
        Fe::None | Fe::Random => "is zero",
        Fe::Individual => "does not vary over time within any unit, so the individual fixed effects absorb it",
        Fe::Time => "is the same for every unit in each period, so the time fixed effects absorb it",
        Fe::TwoWays => {
            "is a unit part plus a period part (e.g. constant over time or common to all units), \
             so the two-way fixed effects absorb it"
        }
    }
}

fn after_fe(fe: Fe) -> String {
    if fe == Fe::None {
        String::new()
    } else {
        format!(" after the {} fixed effects", fe.name())
    }
}

/// Refuses a dependent variable `depvar` that is constant, or that the fixed effects `fe` sweep
/// out: Σ(ỹ − mean ỹ)² ≤ [`ABSORBED_TOL`]²·Σy² (`y_raw` the raw values, `y` = ỹ). There is
/// nothing to explain and every coefficient would be fitted to rounding noise. `what` names
/// the estimator in the message. OLS and the spatial models share this check.
pub fn refuse_constant_depvar(what: &str, depvar: &str, y_raw: &[f64], y: &[f64], fe: Fe) -> Result<()> {
    let raw = dot(y_raw, y_raw);
    let tss = if y.is_empty() { 0.0 } else { sum_sq_dev(y) };
    if tss.is_nan() || tss <= ABSORBED_TOL * ABSORBED_TOL * raw {
        let why = match fe {
            Fe::None | Fe::Random => String::new(),
            _ => format!(" (it {})", absorbed_reason(fe)),
        };
        return Err(Error::data(format!(
            "{what}: the dependent variable '{depvar}' is constant{}{why}, so there is nothing to explain and \
             every estimate would be rounding noise; use a variable that varies{}",
            after_fe(fe),
            if fe == Fe::None { "" } else { " or other fixed effects" }
        )));
    }
    Ok(())
}

/// Refuses residuals that are zero up to rounding: the regressors reproduce the dependent
/// variable `depvar` (e'e ≤ [`RANK_TOL`]²·Σ(ỹ − mean ỹ)², `y` = ỹ, `sse` = e'e). There the
/// Gaussian likelihood is unbounded and standard errors, z, p and LM statistics are rounding
/// noise. OLS, the spatial models and the LM tests share this check.
pub fn refuse_exact_fit(what: &str, depvar: &str, y: &[f64], sse: f64, fe: Fe) -> Result<()> {
    let tss = if y.is_empty() { 0.0 } else { sum_sq_dev(y) };
    if !sse.is_finite() || sse <= RANK_TOL * RANK_TOL * tss {
        return Err(Error::data(format!(
            "{what}: the regressors reproduce the dependent variable '{depvar}' exactly{} (residual sum of \
             squares {sse:.1e} against {tss:.1e} around the mean), so the residual variance is zero and the \
             likelihood is unbounded; check that '{depvar}' is not built from the regressors",
            after_fe(fe)
        )));
    }
    Ok(())
}

/// Within-transforms raw columns by `fe` (docs/methods.md §5). A column that the fixed effects sweep
/// out entirely (‖x̃‖ ≤ [`ABSORBED_TOL`]·‖x‖), or a column of zeros, is an error naming it and
/// saying which effects absorb it. OLS and the spatial models (their regressors and lagged
/// regressors W·x, lagged from the raw columns first) share this check and its message.
pub fn demean_columns(cols: &[Vec<f64>], names: &[String], n: usize, fe: Fe) -> Result<Vec<Vec<f64>>> {
    cols.iter()
        .enumerate()
        .map(|(j, c)| {
            let d = demean(c, n, fe);
            if is_absorbed(c, &d) {
                let name = names.get(j).map_or("?", String::as_str);
                return Err(Error::data(if fe == Fe::None {
                    format!("regressor '{name}' is zero in every observation; drop it")
                } else {
                    format!(
                        "regressor '{name}' {}; drop it or choose other fixed effects (fe: \"none\", \"individual\", \"time\", \"twoways\")",
                        absorbed_reason(fe)
                    )
                }));
            }
            Ok(d)
        })
        .collect()
}

/// ỹ and X̃ of a design under `fe`.
#[derive(Debug, Clone, PartialEq)]
pub struct Demeaned {
    /// Column names of X̃ (pooled: [`INTERCEPT`] first).
    pub names: Vec<String>,
    /// ỹ (NT).
    pub y: Vec<f64>,
    /// X̃ columns (each NT).
    pub x: Vec<Vec<f64>>,
}

/// The within transformation of a design: ỹ and X̃ (pooled: raw y and X with a column of ones
/// first). Errors name regressors absorbed by the fixed effects and a dependent variable that
/// the effects explain completely.
pub fn demean_design(design: &Design, fe: Fe) -> Result<Demeaned> {
    let n = design.n;
    if design.n == 0 || design.nobs() != design.n * design.t {
        return Err(Error::data("the design has no observations or is not N·T long"));
    }
    if design.t < 2 && fe.has_unit() {
        return Err(Error::invalid(format!(
            "fe: \"{}\" needs T ≥ 2 periods but the data have T = 1; use fe: \"none\" for a cross-section",
            fe.name()
        )));
    }
    if design.n < 2 && fe.has_time() {
        return Err(Error::invalid(format!(
            "fe: \"{}\" needs N ≥ 2 units but the data have N = 1",
            fe.name()
        )));
    }
    let y = demean(&design.y, n, fe);
    refuse_constant_depvar("ols", &design.depvar, &design.y, &y, fe)?;
    let mut x = demean_columns(&design.x, &design.names, n, fe)?;
    let mut names = design.names.clone();
    if fe == Fe::None && design.intercept {
        x.insert(0, vec![1.0; design.nobs()]);
        names.insert(0, INTERCEPT.to_string());
    }
    Ok(Demeaned { names, y, x })
}

/// Raw means used to recover the intercept and fixed effects.
#[derive(Debug, Clone, PartialEq)]
struct RawMeans {
    y: f64,
    x: Vec<f64>,
    y_unit: Vec<f64>,
    x_unit: Vec<Vec<f64>>,
    y_time: Vec<f64>,
    x_time: Vec<Vec<f64>>,
}

/// A fitted OLS model plus what the LM tests and spatial models need.
#[derive(Debug, Clone)]
pub struct OlsFit {
    /// The printable model (coefficients with plm/xtreg standard errors, logL, R², ...).
    pub model: Model,
    /// Fixed effects swept out.
    pub fe: Fe,
    /// Units N and periods T.
    pub n: usize,
    /// Periods T.
    pub t: usize,
    /// Unit ids (length N) and period keys (length T).
    pub ids: Vec<String>,
    /// Period keys.
    pub times: Vec<String>,
    /// Column names of X̃ (pooled: [`INTERCEPT`] first).
    pub names: Vec<String>,
    /// ỹ (NT; pooled: raw y).
    pub y: Vec<f64>,
    /// X̃ columns.
    pub x: Vec<Vec<f64>>,
    /// b (same order as `names`).
    pub b: Vec<f64>,
    /// e = ỹ − X̃b.
    pub resid: Vec<f64>,
    /// (X̃'X̃)⁻¹ (row-major).
    pub xtx_inv: Vec<f64>,
    /// e'e.
    pub sse: f64,
    /// The QR factorisation of X̃ (for M·v = v − X̃(X̃'X̃)⁻¹X̃'v).
    pub ls: LeastSquares,
    means: RawMeans,
}

impl OlsFit {
    /// σ̂² = e'e/NT (the ML variance used by logL and the LM tests).
    pub fn sigma2_ml(&self) -> f64 {
        self.sse / self.y.len() as f64
    }
    /// Fitted values X̃b.
    pub fn fitted(&self) -> Vec<f64> {
        self.y.iter().zip(&self.resid).map(|(y, e)| y - e).collect()
    }
}

/// Gaussian log-likelihood at σ̂² = sse/nobs: −(NT/2)(ln(2π·sse/NT) + 1) (docs/methods.md §5).
pub fn loglik_ols(sse: f64, nobs: usize) -> f64 {
    let nt = nobs as f64;
    -0.5 * nt * ((2.0 * std::f64::consts::PI * sse / nt).ln() + 1.0)
}

fn sum_sq_dev(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|a| (a - m) * (a - m)).sum()
}

/// OLS of `design` with fixed effects `fe` (docs/methods.md §5). Standard errors follow plm `within`
/// and Stata `xtreg, fe`: s² = e'e/(NT − K − a) with a = N, T, N + T − 1 absorbed effects
/// (pooled: a = 1 for the intercept). Perfect collinearity and regressors absorbed by the
/// fixed effects are errors naming the variable.
pub fn ols(design: &Design, fe: Fe) -> Result<OlsFit> {
    if fe == Fe::Random {
        return Err(Error::invalid(
            "fe: \"random\" is not a within or pooled OLS: fit it with ols(p, formula, #{fe: \"random\"}) \
             (models::random); the LM tests and fixed_effects take fe \"none\", \"individual\", \"time\" or \"twoways\"",
        ));
    }
    let (design, notes) = design.for_fe(fe)?;
    let design = &*design;
    let (n, t) = (design.n, design.t);
    let nobs = design.nobs();
    let start = std::time::Instant::now();
    let mut timings = super::Timings::default();
    let d = timings.time("within", || demean_design(design, fe))?;
    let k_slopes = design.x.len();
    let pooled_intercept = fe == Fe::None && design.intercept;
    let absorbed = if fe == Fe::None {
        usize::from(pooled_intercept)
    } else {
        fe.absorbed(n, t)
    };
    let df_resid = nobs as i64 - k_slopes as i64 - absorbed as i64;
    if df_resid <= 0 {
        return Err(Error::data(format!(
            "{nobs} observations leave no residual degrees of freedom for {k_slopes} regressor(s) and {absorbed} \
             absorbed effect(s) (fe: \"{}\"); use fewer regressors or other fixed effects",
            fe.name()
        )));
    }
    let ls = LeastSquares::new(&d.x, &d.names)?;
    let b = ls.coefficients(&d.y);
    let fit = super::dense::x_times(&d.x, &b);
    let resid: Vec<f64> = d.y.iter().zip(&fit).map(|(y, f)| y - f).collect();
    let sse = dot(&resid, &resid);
    refuse_exact_fit("ols", &design.depvar, &d.y, sse, fe)?;
    let xtx_inv = ls.xtx_inv();
    let k = d.x.len();
    let s2 = sse / df_resid as f64;
    let vcov: Vec<f64> = xtx_inv.iter().map(|v| v * s2).collect();
    let coefficients = d
        .names
        .iter()
        .enumerate()
        .map(|(j, name)| Coef::new(name.clone(), b[j], vcov[j * k + j].sqrt()))
        .collect();
    let sigma2_ml = sse / nobs as f64;
    let loglik = loglik_ols(sse, nobs);
    let tss = sum_sq_dev(&design.y);
    let tss_within = sum_sq_dev(&d.y);
    let r2_with_effects = 1.0 - sse / tss;
    let r2_demeaned = 1.0 - sse / tss_within;

    let mut extras = BTreeMap::new();
    // xtreg's within/between/overall R² of y and the prediction Xb without the effects.
    // The pooled intercept is left out: a constant shift changes no correlation.
    let xb = super::dense::x_times(&design.x, &b[usize::from(pooled_intercept)..]);
    super::panel_r2::panel_r2(&design.y, &xb, n).record(&mut extras);
    extras.insert("sse".into(), sse);
    extras.insert("df_resid".into(), df_resid as f64);
    extras.insert("sigma2_ml".into(), sigma2_ml);
    extras.insert("absorbed".into(), absorbed as f64);
    let mut info = BTreeMap::new();
    info.insert("se".into(), "plm/xtreg (df corrected for absorbed effects)".into());
    info.insert("sigma2".into(), "e'e/(NT - K - absorbed); sigma2_ml = e'e/NT".into());
    info.insert("fe".into(), fe.name().into());
    info.insert("r2".into(), "overall (with fixed effects); corr2 = within R2".into());
    info.extend(notes);
    let mut model = Model {
        kind: ModelKind::Ols,
        fe,
        depvar: design.depvar.clone(),
        n,
        t,
        coefficients,
        vcov,
        sigma2: s2,
        loglik,
        r2: r2_with_effects,
        corr2: r2_demeaned,
        n_params: k + 1,
        extras,
        vcov_conditional: None,
        timings: {
            let within = timings.seconds("within").unwrap_or(0.0);
            timings.add("least_squares", (start.elapsed().as_secs_f64() - within).max(0.0));
            timings.add("total", start.elapsed().as_secs_f64());
            timings
        },
        info,
        warnings: Vec::new(),
        provenance: design.provenance(
            (0..k_slopes).map(|j| j + usize::from(pooled_intercept)).collect(),
            vec![None; k_slopes],
            None,
            None,
        ),
    };
    if matches!(fe, Fe::Individual | Fe::TwoWays) {
        // Per-unit within scores X̃_i'ẽ_i with bread (X̃'X̃)⁻¹ (docs/methods.md §12.4).
        model.provenance.scores = Some(std::sync::Arc::new(super::unit_scores::least_squares(
            &d.x,
            &resid,
            n,
            xtx_inv.clone(),
            (0..k).map(Some).collect(),
        )));
    }
    let means = RawMeans {
        y: design.y.iter().sum::<f64>() / nobs as f64,
        x: design.x.iter().map(|c| c.iter().sum::<f64>() / nobs as f64).collect(),
        y_unit: unit_means(&design.y, n),
        x_unit: design.x.iter().map(|c| unit_means(c, n)).collect(),
        y_time: time_means(&design.y, n),
        x_time: design.x.iter().map(|c| time_means(c, n)).collect(),
    };
    Ok(OlsFit {
        model,
        fe,
        n,
        t,
        ids: design.ids.clone(),
        times: design.times.clone(),
        names: d.names,
        y: d.y,
        x: d.x,
        b,
        resid,
        xtx_inv,
        sse,
        ls,
        means,
    })
}

/// The intercept and fixed effects of a fixed-effects OLS fit (docs/methods.md §5, Elhorst), as
/// deviations from the mean intercept, with σ̂² = e'e/NT and V = σ̂²(X̃'X̃)⁻¹:
///
/// ```text
/// α   = ȳ − x̄'b                se(α)   = sqrt(σ̂²/NT + x̄' V x̄)
/// μ_i = ȳ_i· − x̄_i·'b − α       se(μ_i) = sqrt(σ̂²/T + x̄_i·' V x̄_i·)
/// ξ_t = ȳ_·t − x̄_·t'b − α       se(ξ_t) = sqrt(σ̂²/N + x̄_·t' V x̄_·t)
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FixedEffects {
    /// α (term `"(intercept)"`).
    pub intercept: Coef,
    /// μ_i keyed by unit id (empty for time effects only).
    pub unit: Vec<Coef>,
    /// ξ_t keyed by period (empty for individual effects only).
    pub time: Vec<Coef>,
}

impl FixedEffects {
    /// Table with columns effect, key, estimate, std. error, z, p.
    pub fn table(&self) -> Table {
        let mut tab = Table::new(
            "Fixed effects (deviations from the mean intercept; Elhorst)",
            ["effect", "key", "estimate", "std. error", "z", "p"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
        let row = |kind: &str, c: &Coef| -> Vec<Cell> {
            vec![
                kind.into(),
                c.term.clone().into(),
                c.estimate.into(),
                c.std_error.into(),
                Cell::Stat(c.z),
                Cell::P(c.p),
            ]
        };
        tab.push(row("intercept", &self.intercept));
        for c in &self.unit {
            tab.push(row("unit", c));
        }
        for c in &self.time {
            tab.push(row("time", c));
        }
        tab.note("se with sigma2 = e'e/NT: sqrt(sigma2/T + xbar_i' V xbar_i) for units, sigma2/N for periods");
        tab
    }
}

/// Recovers α, μ_i and ξ_t of a fixed-effects fit (see [`FixedEffects`]). A pooled fit has no
/// fixed effects (its intercept is a coefficient): error.
pub fn fixed_effects(fit: &OlsFit) -> Result<FixedEffects> {
    if fit.fe == Fe::None {
        return Err(Error::invalid(
            "fixed_effects: the model is pooled (fe: \"none\"); its intercept is the coefficient '(intercept)'",
        ));
    }
    let (n, t) = (fit.n, fit.t);
    let s2 = fit.sigma2_ml();
    let v: Vec<f64> = fit.xtx_inv.iter().map(|a| a * s2).collect();
    let m = &fit.means;
    let alpha = m.y - dot(&m.x, &fit.b);
    let intercept = Coef::new(INTERCEPT, alpha, (s2 / (n * t) as f64 + quad_form(&v, &m.x)).sqrt());
    let effect = |ybar: f64, xbar: Vec<f64>, key: &str, count: usize| -> Coef {
        let est = ybar - dot(&xbar, &fit.b) - alpha;
        Coef::new(key, est, (s2 / count as f64 + quad_form(&v, &xbar)).sqrt())
    };
    let unit = if fit.fe.has_unit() {
        (0..n)
            .map(|i| {
                let xb = m.x_unit.iter().map(|c| c[i]).collect();
                effect(m.y_unit[i], xb, &fit.ids[i], t)
            })
            .collect()
    } else {
        Vec::new()
    };
    let time = if fit.fe.has_time() {
        (0..t)
            .map(|s| {
                let xb = m.x_time.iter().map(|c| c[s]).collect();
                effect(m.y_time[s], xb, &fit.times[s], n)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(FixedEffects { intercept, unit, time })
}
