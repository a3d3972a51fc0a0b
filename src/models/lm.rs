//! Lagrange-multiplier tests for a spatial lag and a spatial error on panel OLS residuals
//! (docs/methods.md §6; Elhorst `LMsarsem_panel.m` 2010, splm `slmtest`). On a cross-section (T = 1)
//! they are Anselin's tests as in spdep `lm.LMtests`.
//!
//! ```text
//! σ² = e'e/NT,   T_W = tr(WW + W'W),   W̄ = I_T ⊗ W,   M = I − X̃(X̃'X̃)⁻¹X̃'
//! J   = [ (W̄X̃b)'M(W̄X̃b) + T·T_W·σ² ] / σ²
//! R_y = e'W̄ỹ/σ²,   R_e = e'W̄e/σ²
//! LM_lag  = R_y²/J                 LM_err  = R_e²/(T·T_W)
//! RLM_lag = (R_y − R_e)²/(J − T·T_W)
//! RLM_err = (R_e − (T·T_W/J)R_y)² / (T·T_W(1 − T·T_W/J))
//! SARMA   = LM_err + RLM_lag ~ χ²(2)
//! ```
//!
//! SARMA is spdep's definition; it equals the joint statistic of Debarsy & Ertur (docs/methods.md §6,
//! `lm_f_joint.m`) exactly when lag and error share W: with D + T11 = J and T11 = T22 = T12 =
//! T·T_W, [T·T_W R_y² − 2T·T_W R_e R_y + R_e² J]/[T·T_W(J − T·T_W)] = LM_err + RLM_lag.
//! The Debarsy–Ertur variant (individual effects only) multiplies every statistic by (T−1)/T.

use super::dense::dot;
use super::fe_tests::SpecTest;
use super::ols::OlsFit;
use super::within::Fe;
use crate::error::{Error, Result};
use crate::report::table::Table;
use crate::weights::Weights;

/// Relative size of J − T·T_W below which the robust tests are undefined (0/0).
pub const DEGENERATE_TOL: f64 = 1e-10;

/// Options of [`lm_tests`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LmOptions {
    /// Debarsy & Ertur (2010) version for individual effects: every statistic × (T−1)/T.
    pub debarsy_ertur: bool,
}

/// The four LM tests and SARMA of one OLS fit.
#[derive(Debug, Clone, PartialEq)]
pub struct LmTests {
    /// Fixed effects of the OLS fit.
    pub fe: Fe,
    /// LM test of a spatial lag (`lm_lag`).
    pub lm_lag: SpecTest,
    /// LM test of a spatial error (`lm_error`).
    pub lm_error: SpecTest,
    /// Robust LM-lag (`robust_lm_lag`).
    pub robust_lm_lag: SpecTest,
    /// Robust LM-error (`robust_lm_error`).
    pub robust_lm_error: SpecTest,
    /// Joint test LM_err + RLM_lag ~ χ²(2) (`sarma`).
    pub sarma: SpecTest,
    /// σ² = e'e/NT.
    pub sigma2: f64,
    /// T_W = tr(WW + W'W).
    pub t_w: f64,
    /// J.
    pub j: f64,
    /// Scale applied to the statistics (1, or (T−1)/T for Debarsy–Ertur).
    pub scale: f64,
    /// Warnings (e.g. the robust tests are undefined).
    pub warnings: Vec<String>,
}

impl LmTests {
    /// The five tests in table order.
    pub fn tests(&self) -> [&SpecTest; 5] {
        [
            &self.lm_lag,
            &self.lm_error,
            &self.robust_lm_lag,
            &self.robust_lm_error,
            &self.sarma,
        ]
    }

    /// A table: test, statistic, df, p.
    pub fn table(&self) -> Table {
        let mut tab = Table::new(
            format!("LM tests of spatial dependence (OLS, fe: {})", self.fe.name()),
            ["test", "statistic", "df", "p"].iter().map(|s| s.to_string()).collect(),
        );
        for t in self.tests() {
            let mut r = t.row();
            r.remove(3);
            tab.push(r);
        }
        tab.note("sigma2 = e'e/NT, global M, lags period by period (I_T x W) (Elhorst 2010, splm slmtest)");
        tab.note("SARMA = LM error + Robust LM lag (spdep; equals the Debarsy-Ertur joint LM)");
        if self.scale != 1.0 {
            tab.note(format!(
                "Debarsy-Ertur version: statistics x (T-1)/T = {:.6}",
                self.scale
            ));
        }
        for w in &self.warnings {
            tab.note(format!("warning: {w}"));
        }
        tab
    }
}

/// LM-lag, LM-error, their robust versions and SARMA on the residuals of `fit`
/// (docs/methods.md §6). `w` is aligned to the fit's unit ids first; M·v is computed from the QR of
/// X̃, never as an NT×NT matrix.
pub fn lm_tests(fit: &OlsFit, w: &Weights, opts: &LmOptions) -> Result<LmTests> {
    let w = w.aligned_to(&fit.ids)?;
    let t = fit.t as f64;
    let nobs = fit.y.len() as f64;
    let scale = if opts.debarsy_ertur {
        if fit.fe != Fe::Individual {
            return Err(Error::invalid(format!(
                "debarsy_ertur applies to individual fixed effects only (the fit has fe: \"{}\")",
                fit.fe.name()
            )));
        }
        (t - 1.0) / t
    } else {
        1.0
    };
    let sigma2 = fit.sse / nobs;
    crate::models::ols::refuse_exact_fit("LM tests", &fit.model.depvar, &fit.y, fit.sse, fit.fe)?;
    let (trww, trwtw) = w.traces2();
    let t_w = trww + trwtw;
    let ttw = t * t_w;
    if ttw.is_nan() || ttw <= 0.0 {
        return Err(Error::invalid("LM tests: tr(WW + W'W) = 0 (W has no links)"));
    }
    let e = &fit.resid;
    let wy = w.lag_panel(&fit.y);
    let we = w.lag_panel(e);
    let wxb = w.lag_panel(&fit.fitted());
    let mwxb = fit.ls.annihilate(&fit.x, &wxb);
    let j = (dot(&mwxb, &mwxb) + ttw * sigma2) / sigma2;
    let ry = dot(e, &wy) / sigma2;
    let re = dot(e, &we) / sigma2;

    let lm_lag = ry * ry / j;
    let lm_err = re * re / ttw;
    let mut warnings = Vec::new();
    let (rlm_lag, rlm_err) = if j - ttw <= DEGENERATE_TOL * j {
        warnings.push(
            "the robust LM tests are undefined (J = T·tr(WW + W'W)): W·X̃b lies in the column space of X̃, \
             e.g. when lagged regressors W·x are among the regressors"
                .to_string(),
        );
        (f64::NAN, f64::NAN)
    } else {
        (
            (ry - re).powi(2) / (j - ttw),
            (re - ttw / j * ry).powi(2) / (ttw * (1.0 - ttw / j)),
        )
    };
    let sarma = lm_err + rlm_lag;
    Ok(LmTests {
        fe: fit.fe,
        lm_lag: SpecTest::chi2("lm_lag", scale * lm_lag, 1.0),
        lm_error: SpecTest::chi2("lm_error", scale * lm_err, 1.0),
        robust_lm_lag: SpecTest::chi2("robust_lm_lag", scale * rlm_lag, 1.0),
        robust_lm_error: SpecTest::chi2("robust_lm_error", scale * rlm_err, 1.0),
        sarma: SpecTest::chi2("sarma", scale * sarma, 2.0),
        sigma2,
        t_w,
        j,
        scale,
        warnings,
    })
}
