//! Wald and likelihood-ratio tests of the spatial Durbin model against its restrictions
//! (docs/methods.md §8; Elhorst's demo). With φ = [β; θ; ρ] and V its covariance block:
//!
//! ```text
//! SDM → SAR  (θ = 0)         : W = θ'(V_θθ)⁻¹θ ~ χ²(K)
//! SDM → SEM  (θ + ρβ = 0)     : g = θ + ρβ, Γ = ∂g/∂φ' (Γ[k,β_k] = ρ, Γ[k,θ_k] = 1, Γ[k,ρ] = β_k)
//!                               W = g'(ΓVΓ')⁻¹g ~ χ²(K)
//! SDEM → SEM, SLX → OLS (θ = 0) as SDM → SAR
//! LR = 2(logL_general − logL_restricted) ~ χ²(difference in parameters), logL at the MLE
//! ```

use crate::error::{list_some, Error, Result};
use crate::models::dense::solve_spd;
use crate::models::fe_tests::SpecTest;
use crate::models::ml::SpatialFit;
use crate::models::result::{Model, ModelKind};

/// A χ² test: name, statistic, df, p.
pub type Test = SpecTest;

/// Refuses a model whose spatial parameter is on the bound of its search interval (the model's
/// warning): its log-likelihood is not an interior maximum and its covariance is not the
/// inverse information at one, so LR and Wald statistics and their χ² p-values are not valid.
fn refuse_bound_estimate(test: &str, m: &Model) -> Result<()> {
    match m.warnings.first() {
        None => Ok(()),
        Some(w) => Err(Error::invalid(format!(
            "{test}: the {} model cannot be tested: {w}; its log-likelihood is not an interior maximum, so the \
             statistic and its χ² p-value are not valid",
            m.kind.name()
        ))),
    }
}

/// Wald test of `restriction` (SAR or SEM for SDM; SEM for SDEM; OLS for SLX) on a fitted SDM,
/// SDEM or SLX, with the model's covariance (after any bias correction). A model whose spatial
/// parameter is on the bound of its search interval is refused.
pub fn wald_test(fit: &SpatialFit, restriction: ModelKind) -> Result<Test> {
    refuse_bound_estimate("wald_test", &fit.model)?;
    wald_test_with_cov(fit, restriction, &fit.model.vcov)
}

/// [`wald_test`] with a given covariance of the coefficients (p×p row-major, the order of
/// `fit.model.coefficients`); e.g. splm's block-diagonal covariance for replication.
pub fn wald_test_with_cov(fit: &SpatialFit, restriction: ModelKind, cov: &[f64]) -> Result<Test> {
    let p = fit.model.coefficients.len();
    if cov.len() != p * p {
        return Err(Error::invalid(format!(
            "wald_test: covariance has {} entries, the model {p} coefficients ({} expected)",
            cov.len(),
            p * p
        )));
    }
    let est = |i: usize| fit.model.coefficients[i].estimate;
    let lagged: Vec<(usize, usize)> = fit
        .beta_index
        .iter()
        .zip(&fit.theta_index)
        .filter_map(|(&b, t)| t.map(|t| (b, t)))
        .collect();
    let kind = fit.kind.name();
    let zero_theta = matches!(
        (fit.kind, restriction),
        (ModelKind::Sdm, ModelKind::Sar) | (ModelKind::Sdem, ModelKind::Sem) | (ModelKind::Slx, ModelKind::Ols)
    );
    let common_factor = fit.kind == ModelKind::Sdm && restriction == ModelKind::Sem;
    let restriction = restriction.name();
    if !zero_theta && !common_factor {
        return Err(Error::invalid(format!(
            "wald_test: cannot test a {kind} model against \"{restriction}\"; valid: sdm against \"sar\" (θ = 0) or \
             \"sem\" (θ + ρβ = 0), sdem against \"sem\", slx against \"ols\""
        )));
    }
    if lagged.is_empty() {
        return Err(Error::invalid(format!(
            "wald_test: the {kind} model has no lagged regressors"
        )));
    }
    // g (K) and its Jacobian rows over the coefficient vector.
    let kk = lagged.len();
    let mut g = vec![0.0; kk];
    let mut jac = vec![0.0; kk * p];
    if zero_theta {
        for (r, &(_, t)) in lagged.iter().enumerate() {
            g[r] = est(t);
            jac[r * p + t] = 1.0;
        }
    } else {
        let missing: Vec<&String> = fit
            .regressors
            .iter()
            .zip(&fit.theta_index)
            .filter(|(_, t)| t.is_none())
            .map(|(n, _)| n)
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid(format!(
                "wald_test \"sem\" (common factor θ + ρβ = 0) needs every regressor lagged; not lagged: {}; refit the \
                 SDM without the durbin option",
                list_some(&missing, 10)
            )));
        }
        let ri = fit
            .rho_index
            .ok_or_else(|| Error::invalid("wald_test: the model has no spatial parameter"))?;
        let rho = est(ri);
        for (r, &(b, t)) in lagged.iter().enumerate() {
            g[r] = est(t) + rho * est(b);
            jac[r * p + b] = rho;
            jac[r * p + t] = 1.0;
            jac[r * p + ri] = est(b);
        }
    }
    // Γ V Γ'.
    let mut gv = vec![0.0; kk * p];
    for r in 0..kk {
        for j in 0..p {
            gv[r * p + j] = (0..p).map(|l| jac[r * p + l] * cov[l * p + j]).sum();
        }
    }
    let mut m = vec![0.0; kk * kk];
    for r in 0..kk {
        for s in 0..kk {
            m[r * kk + s] = (0..p).map(|j| gv[r * p + j] * jac[s * p + j]).sum();
        }
    }
    let x = solve_spd(&m, kk, &g, "the covariance of the restrictions")?;
    let stat: f64 = g.iter().zip(&x).map(|(a, b)| a * b).sum();
    let name = if common_factor {
        "wald_sdm_vs_sem".to_string()
    } else {
        format!("wald_{kind}_vs_{restriction}")
    };
    Ok(SpecTest::chi2(name, stat, kk as f64))
}

/// Model kinds that `general` nests (itself included): SDM ⊃ SAR, SEM, SLX, OLS; SDEM ⊃ SEM,
/// SLX, OLS; SAC ⊃ SAR, SEM, OLS; SAR, SEM, SLX ⊃ OLS.
fn nests(general: ModelKind, restricted: ModelKind) -> bool {
    use ModelKind::*;
    general == restricted
        || restricted == Ols
        || matches!(
            (general, restricted),
            (Sdm, Sar | Sem | Slx) | (Sdem, Sem | Slx) | (Sac, Sar | Sem)
        )
}

/// Every way in which `restricted` is not a restriction of `general` fitted to the same data:
/// sizes, fixed effects, dependent variable, the values of the variables both use, the weights
/// matrix, the estimation options, the model types, and regressors or lagged regressors of
/// `restricted` that `general` lacks. Empty when the two can be compared by an LR test.
pub fn nesting_differences(general: &Model, restricted: &Model) -> Vec<String> {
    let (g, r) = (general, restricted);
    let (pg, pr) = (&g.provenance, &r.provenance);
    let mut diffs = Vec::new();
    if g.n != r.n || g.t != r.t {
        diffs.push(format!("sizes N×T {}×{} vs {}×{}", g.n, g.t, r.n, r.t));
    }
    if g.fe != r.fe {
        diffs.push(format!("fixed effects {} vs {}", g.fe.name(), r.fe.name()));
    }
    if g.depvar != r.depvar {
        diffs.push(format!("dependent variable {} vs {}", g.depvar, r.depvar));
    }
    let changed = pg.changed_data(pr);
    if !changed.is_empty() {
        diffs.push(format!(
            "different data: the values of {} differ (other rows, units, periods or values{})",
            list_some(&changed, 10),
            if changed.len() == pg.data.len().min(pr.data.len()) {
                "; for the same frame, give both models the same id option"
            } else {
                ""
            }
        ));
    }
    if let (Some(a), Some(b)) = (&pg.weights, &pr.weights) {
        if a != b {
            let what = if a.ids != b.ids {
                "other units"
            } else if a.nnz != b.nnz {
                "other links"
            } else {
                "same links, other values"
            };
            diffs.push(format!(
                "different weights matrices W ({} units, {} links vs {} units, {} links: {what})",
                a.n, a.nnz, b.n, b.nnz
            ));
        }
    }
    for key in ["bias_correction", "lag_order"] {
        if g.info.get(key) != r.info.get(key) && g.kind != ModelKind::Ols && r.kind != ModelKind::Ols {
            diffs.push(format!(
                "{key} {} vs {}",
                g.info.get(key).map_or("-", String::as_str),
                r.info.get(key).map_or("-", String::as_str)
            ));
        }
    }
    if !nests(g.kind, r.kind) {
        diffs.push(format!(
            "a {} model is not a restriction of a {} model (sdm nests sar, sem, slx and ols; sdem nests sem, slx \
             and ols; sac nests sar, sem and ols; sar, sem and slx nest ols)",
            r.kind.name(),
            g.kind.name()
        ));
    }
    let extra: Vec<&String> = pr.regressors.iter().filter(|x| !pg.regressors.contains(x)).collect();
    if !extra.is_empty() {
        diffs.push(format!(
            "regressors {} of the {} model are not in the {} model",
            list_some(&extra, 10),
            r.kind.name(),
            g.kind.name()
        ));
    }
    let lagged_g = pg.lagged();
    let extra_lagged: Vec<&str> = pr.lagged().into_iter().filter(|x| !lagged_g.contains(x)).collect();
    if !extra_lagged.is_empty() {
        diffs.push(format!(
            "lagged regressors W*{} of the {} model are not lagged in the {} model",
            extra_lagged.join(", W*"),
            r.kind.name(),
            g.kind.name()
        ));
    }
    diffs
}

/// LR test 2(logL_general − logL_restricted) ~ χ²(difference in parameter counts), with the
/// log-likelihoods at the MLE. `restricted` must be a restriction of `general` fitted to the
/// same data with the same weights and options ([`nesting_differences`] lists what is not),
/// and `general` must have more parameters; neither may have its spatial parameter on the bound
/// of its search interval.
pub fn lr_test(general: &Model, restricted: &Model) -> Result<Test> {
    let (g, r) = (general, restricted);
    let diffs = nesting_differences(g, r);
    if !diffs.is_empty() && g.n_params < r.n_params && nesting_differences(r, g).is_empty() {
        return Err(Error::invalid(format!(
            "lr_test: the first model ({}) is a restriction of the second ({}); pass the general model first \
             (swap the arguments: lr_test({}_model, {}_model))",
            g.kind.name(),
            r.kind.name(),
            r.kind.name(),
            g.kind.name()
        )));
    }
    if !diffs.is_empty() {
        return Err(Error::invalid(format!(
            "lr_test: the models are not nested fits of the same data: {}; fit both to the same data and weights \
             with the same options, the restricted model a special case of the general one",
            diffs.join("; ")
        )));
    }
    if g.n_params <= r.n_params {
        return Err(Error::invalid(format!(
            "lr_test: the general model ({}, {} parameters) must have more parameters than the restricted one ({}, {}); \
             swap the arguments",
            g.kind.name(),
            g.n_params,
            r.kind.name(),
            r.n_params
        )));
    }
    refuse_bound_estimate("lr_test", g)?;
    refuse_bound_estimate("lr_test", r)?;
    let stat = 2.0 * (g.loglik - r.loglik);
    Ok(SpecTest::chi2(
        format!("lr_{}_vs_{}", g.kind.name(), r.kind.name()),
        stat,
        (g.n_params - r.n_params) as f64,
    ))
}
