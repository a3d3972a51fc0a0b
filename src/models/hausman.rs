//! The Hausman test of fixed against random effects (docs/methods.md §12): the classical
//! contrast of a fixed-effects and a random-effects fit of the same model to the same data.
//!
//! ```text
//! d = b̂_FE − b̂_RE   (the common parameters q: slopes β, and for spatial models θ and ρ/λ)
//! V = V̂_FE − V̂_RE   (each model's own covariance of those parameters)
//! H = d' V⁻¹ d  ~  χ²(q) under H0 (the unit effects are uncorrelated with the regressors)
//! ```
//!
//! The intercept (not identified under fixed effects) and the variance parameters (φ, σ²)
//! never enter. The parameters are matched by their recorded role ([`Provenance`]) and name,
//! so any pair of models that records its roles plugs in (the spatial random-effects models
//! included).
//!
//! V can be indefinite in finite samples, and H then negative. Default (docs/methods.md §18):
//! H is reported **with its sign**; when V is not positive definite (smallest eigenvalue
//! ≤ 1e−12·largest |eigenvalue|) H uses the Moore–Penrose inverse of V (eigenvalues with
//! |λ| ≤ 1e−12·largest dropped), df is the rank of V (the number of eigenvalues kept, as
//! Stata's `hausman`; = q unless V is singular), and a warning gives the smallest eigenvalue
//! and the number of negative ones. `sign: "abs"` reports |H| (plm, splm); `convention: "plm"`
//! reproduces plm `phtest`: |d'V⁻¹d| with a regular inverse and df = q.

use super::fe_tests::SpecTest;
use super::result::{Model, ModelKind, Provenance};
use super::within::Fe;
use crate::error::{list_some, Error, Result};
use faer::{Mat, Side};

/// Eigenvalues of V at most this fraction of the largest |eigenvalue| count as zero.
pub const EIGEN_TOL: f64 = 1e-12;

/// Which common parameters are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HausmanParams {
    /// β, θ (lagged regressors) and the spatial parameter ρ or λ (xsmle; default).
    #[default]
    AllCommon,
    /// The slopes β only (plm, splm's ML route).
    Slopes,
}

impl HausmanParams {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            HausmanParams::AllCommon => "all_common",
            HausmanParams::Slopes => "slopes",
        }
    }
}

/// Whose conventions the statistic follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HausmanConvention {
    /// Signed statistic, Moore–Penrose inverse when V is not positive definite (default).
    #[default]
    Spillover,
    /// plm `phtest`: |d'V⁻¹d| with a regular inverse, df = number compared.
    Plm,
    /// splm `sphtest` (ML route, docs/methods.md §12.3): the slopes only, V_RE the GLS
    /// covariance conditional on the spatial parameter and φ (kept by the spatial
    /// random-effects fits, `Model::vcov_conditional`), |d'(V_RE − V_FE)⁻¹d|
    /// with a regular inverse, df = number compared.
    Splm,
}

impl HausmanConvention {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            HausmanConvention::Spillover => "spillover",
            HausmanConvention::Plm => "plm",
            HausmanConvention::Splm => "splm",
        }
    }
}

/// Options of [`hausman`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HausmanOptions {
    /// Which parameters are compared.
    pub params: HausmanParams,
    /// Report |H| instead of H.
    pub abs: bool,
    /// Peer convention.
    pub convention: HausmanConvention,
}

/// (name, index in `coefficients`) of the parameters of `m` with role in `params`, in the
/// order β, θ, spatial.
fn roles(m: &Model, params: HausmanParams) -> Vec<(String, usize)> {
    let p: &Provenance = &m.provenance;
    let mut out: Vec<usize> = p.beta_index.clone();
    if params == HausmanParams::AllCommon {
        out.extend(p.theta_index.iter().flatten().copied());
        out.extend(p.spatial_index);
    }
    out.into_iter()
        .filter(|&i| i < m.coefficients.len())
        .map(|i| (m.coefficients[i].term.clone(), i))
        .collect()
}

/// Every reason why `fe` and `re` are not a fixed-effects / random-effects pair of the same
/// model fitted to the same data (empty when they are).
pub fn pair_differences(fe: &Model, re: &Model) -> Vec<String> {
    let mut diffs = Vec::new();
    if fe.fe != Fe::Individual {
        diffs.push(format!(
            "the first model has fe \"{}\"; the Hausman test needs individual fixed effects (fe: \"individual\"), \
             the counterpart of individual random effects",
            fe.fe.name()
        ));
    }
    if re.fe != Fe::Random {
        diffs.push(format!(
            "the second model has fe \"{}\"; it must be a random-effects fit (fe: \"random\")",
            re.fe.name()
        ));
    }
    if fe.kind != re.kind {
        diffs.push(format!("different models {} vs {}", fe.kind.name(), re.kind.name()));
    }
    if fe.n != re.n || fe.t != re.t {
        diffs.push(format!("sizes N×T {}×{} vs {}×{}", fe.n, fe.t, re.n, re.t));
    }
    if fe.depvar != re.depvar {
        diffs.push(format!("dependent variable {} vs {}", fe.depvar, re.depvar));
    }
    let (pf, pr) = (&fe.provenance, &re.provenance);
    if pf.regressors != pr.regressors {
        diffs.push(format!(
            "different formulas: regressors {} vs {}",
            list_some(&pf.regressors, 10),
            list_some(&pr.regressors, 10)
        ));
    }
    let changed = pf.changed_data(pr);
    if !changed.is_empty() {
        diffs.push(format!(
            "different data: the values of {} differ (other rows, units, periods or values)",
            list_some(&changed, 10)
        ));
    }
    if pf.weights != pr.weights {
        diffs.push("different weights matrices W".to_string());
    }
    if pf.lagged() != pr.lagged() {
        diffs.push(format!(
            "different lagged regressors (durbin): W*{} vs W*{}",
            pf.lagged().join(", W*"),
            pr.lagged().join(", W*")
        ));
    }
    diffs
}

/// The Hausman test of `fe` (individual fixed effects, consistent under H0 and H1) against
/// `re` (random effects, efficient under H0) on their common parameters (see the module
/// documentation). Refuses models that are not such a pair fitted to the same data
/// ([`pair_differences`]); a pair given in the wrong order is an error saying so.
pub fn hausman(fe: &Model, re: &Model, opts: &HausmanOptions) -> Result<SpecTest> {
    if fe.fe == Fe::Random && re.fe == Fe::Individual {
        return Err(Error::invalid(
            "hausman: pass the fixed-effects model first and the random-effects model second: hausman(fe_model, re_model)",
        ));
    }
    let diffs = pair_differences(fe, re);
    if !diffs.is_empty() {
        return Err(Error::invalid(format!(
            "hausman: the two models are not comparable: {}; fit the same formula to the same data (and W) once with \
             fe: \"individual\" and once with fe: \"random\"",
            diffs.join("; ")
        )));
    }
    let params = match opts.convention {
        HausmanConvention::Splm => HausmanParams::Slopes,
        _ => opts.params,
    };
    let rf = roles(fe, params);
    let rr = roles(re, params);
    // splm: the random-effects covariance of β conditional on the spatial parameter and φ.
    let conditional = match opts.convention {
        HausmanConvention::Splm => Some(re.vcov_conditional.as_deref().ok_or_else(|| {
            Error::invalid(format!(
                "hausman convention \"splm\" compares with splm's conditional GLS covariance of the random-effects \
                 model, which this {} fit does not carry (every spatial random-effects fit keeps it: sar, sdm, sem, sdem, sac with fe: \"random\"); use the \
                 default convention",
                re.kind.name()
            ))
        })?),
        _ => None,
    };
    let re_cov = |i: usize, j: usize| match conditional {
        Some(v) => {
            let kz = (v.len() as f64).sqrt().round() as usize;
            if i < kz && j < kz {
                v[i * kz + j]
            } else {
                0.0
            }
        }
        None => re.cov(i, j),
    };
    let common: Vec<(String, usize, usize)> = rf
        .iter()
        .filter_map(|(name, i)| {
            rr.iter()
                .find(|(n2, _)| n2 == name)
                .map(|(_, j)| (name.clone(), *i, *j))
        })
        .collect();
    if common.is_empty() {
        return Err(Error::invalid(
            "hausman: the two models have no common parameters to compare",
        ));
    }
    let q = common.len();
    let d: Vec<f64> = common
        .iter()
        .map(|(_, i, j)| fe.coefficients[*i].estimate - re.coefficients[*j].estimate)
        .collect();
    let v = Mat::from_fn(q, q, |a, b| {
        let (ia, ja) = (common[a].1, common[a].2);
        let (ib, jb) = (common[b].1, common[b].2);
        let x = fe.cov(ia, ib) - re_cov(ja, jb);
        let y = fe.cov(ib, ia) - re_cov(jb, ja);
        0.5 * (x + y)
    });
    if (0..q).any(|a| (0..q).any(|b| !v[(a, b)].is_finite())) || d.iter().any(|x| !x.is_finite()) {
        return Err(Error::numeric(
            "hausman: a compared coefficient or its variance is not finite in one of the models",
        ));
    }
    let evd = v
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::numeric(format!("hausman: eigen-decomposition of V_FE − V_RE failed ({e:?})")))?;
    let u = evd.U();
    let s = evd.S().column_vector();
    let eig: Vec<f64> = (0..q).map(|i| s[i]).collect();
    let scale = eig.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let min = eig.iter().copied().fold(f64::INFINITY, f64::min);
    let tol = EIGEN_TOL * scale;
    let pd = scale > 0.0 && min > tol;
    // Projections of d on the eigenvectors.
    let proj: Vec<f64> = (0..q).map(|k| (0..q).map(|i| u[(i, k)] * d[i]).sum()).collect();
    let mut warnings = Vec::new();
    let (stat, df) = match opts.convention {
        HausmanConvention::Plm | HausmanConvention::Splm => {
            if eig.iter().any(|x| x.abs() <= tol) || scale == 0.0 {
                return Err(Error::numeric(format!(
                    "hausman (convention \"{}\"): V_FE − V_RE is singular (eigenvalues {}); the regular inverse does \
                     not exist (the default convention uses the Moore–Penrose inverse)",
                    opts.convention.name(),
                    list_some(&eig.iter().map(|x| format!("{x:.3e}")).collect::<Vec<_>>(), 10)
                )));
            }
            let h: f64 = (0..q).map(|k| proj[k] * proj[k] / eig[k]).sum();
            // plm always reports |H|; splm's sign is kept unless `abs` (the script default).
            (
                if opts.convention == HausmanConvention::Plm {
                    h.abs()
                } else {
                    h
                },
                q as f64,
            )
        }
        HausmanConvention::Spillover => {
            let h: f64 = (0..q)
                .filter(|&k| eig[k].abs() > tol)
                .map(|k| proj[k] * proj[k] / eig[k])
                .sum();
            if pd {
                (h, q as f64)
            } else {
                let rank = eig.iter().filter(|x| x.abs() > tol).count();
                let negative = eig.iter().filter(|x| **x < -tol).count();
                warnings.push(format!(
                    "difference of covariances not positive definite: V_FE − V_RE has {negative} negative eigenvalue(s), \
                     the smallest {min:.6e} (largest |eigenvalue| {scale:.6e}); H uses the Moore–Penrose inverse and \
                     df = {rank}, its rank; a negative H means the fits do not meet the asymptotic assumptions of the test"
                ));
                (h, rank as f64)
            }
        }
    };
    let stat = if opts.abs { stat.abs() } else { stat };
    let mut t = SpecTest::chi2(
        match fe.kind {
            ModelKind::Ols => "hausman".to_string(),
            k => format!("hausman_{}", k.name()),
        },
        stat,
        df,
    );
    if df == 0.0 {
        t.p = f64::NAN;
    }
    t.params = common.into_iter().map(|(n, _, _)| n).collect();
    t.warnings = warnings;
    Ok(t)
}
