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
//! reproduces plm `phtest`: |d'V⁻¹d| with a regular inverse and df = q; `convention: "stata"`
//! Stata's `hausman` (generalized inverse [`invsym`], df = rank, signed), with `sigma`
//! (`sigmamore`/`sigmaless`) on the non-spatial pair; `covariance: "robust"` replaces V by the
//! cluster-by-unit sandwich of both fits' per-unit scores (docs/methods.md §12.4,
//! [`crate::models::unit_scores`]). Two-way fixed effects pair with random effects carrying
//! period dummies (`time_dummies`, docs/methods.md §12.1).

use super::fe_tests::SpecTest;
use super::result::{Model, ModelKind, Provenance};
use super::unit_scores::{cross_covariance, UnitScores};
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
    /// Stata's `hausman` (docs/methods.md §12.1): (b − B)'(V_b − V_B)⁻(b − B) with the
    /// generalized inverse of Stata's `invsym` (a sweep in column order that skips a column
    /// whose pivot is zero up to rounding, [`invsym`]), df = the number of columns swept (rank),
    /// the statistic printed with its sign.
    Stata,
}

impl HausmanConvention {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            HausmanConvention::Spillover => "spillover",
            HausmanConvention::Plm => "plm",
            HausmanConvention::Splm => "splm",
            HausmanConvention::Stata => "stata",
        }
    }
}

/// The covariance of d = b̂_FE − b̂_RE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HausmanCovariance {
    /// V̂_FE − V̂_RE from each model's own covariance (default).
    #[default]
    Classical,
    /// The cluster-by-unit sandwich of docs/methods.md §12.4 from both fits' per-unit scores:
    /// Var(d) = V_FF + V_RR − V_FR − V_FR', V_ab = B_a (Σ_i s_a,i s_b,i') B_b'
    /// ([`crate::models::unit_scores`]).
    Robust,
}

impl HausmanCovariance {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            HausmanCovariance::Classical => "classical",
            HausmanCovariance::Robust => "robust",
        }
    }
}

/// Stata's `sigmamore` / `sigmaless` (non-spatial pair only, docs/methods.md §12.1): both
/// covariances rescaled to one disturbance variance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HausmanSigma {
    /// Each model's own σ² (default).
    #[default]
    Own,
    /// `sigmamore`: both based on the efficient (random-effects) model's σ², V_FE·σ²_RE/σ²_FE.
    More,
    /// `sigmaless`: both based on the consistent (fixed-effects) model's σ², V_RE·σ²_FE/σ²_RE.
    Less,
}

impl HausmanSigma {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            HausmanSigma::Own => "own",
            HausmanSigma::More => "more",
            HausmanSigma::Less => "less",
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
    /// Classical or cluster-robust covariance of the contrast.
    pub covariance: HausmanCovariance,
    /// Stata's `sigmamore` / `sigmaless` (non-spatial pair only).
    pub sigma: HausmanSigma,
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
    let dummies = re.provenance.time_dummies.is_some();
    match (fe.fe, dummies) {
        (Fe::Individual, false) | (Fe::TwoWays, true) => {}
        (Fe::TwoWays, false) if re.fe == Fe::Random => diffs.push(
            "the first model has two-way fixed effects but the random-effects model has no period dummies, so it \
             is not its random-effects counterpart; fit the random-effects model with time_dummies: true (fixed \
             period dummies inside random effects), or the fixed-effects model with individual fixed effects \
             (fe: \"individual\")"
                .to_string(),
        ),
        (Fe::Individual, true) => diffs.push(
            "the random-effects model carries period dummies (time_dummies: true), whose fixed-effects counterpart \
             has two-way effects; fit the first model with fe: \"twoways\", or the second without time_dummies"
                .to_string(),
        ),
        _ => diffs.push(format!(
            "the first model has fe \"{}\"; the Hausman test needs individual fixed effects (fe: \"individual\"), \
             the counterpart of individual random effects (or fe: \"twoways\" against random effects with \
             time_dummies: true)",
            fe.fe.name()
        )),
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
    check_options(fe, re, opts)?;
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
    // sigmamore / sigmaless: one disturbance variance for both covariances.
    let (sf, sr) = match opts.sigma {
        HausmanSigma::Own => (1.0, 1.0),
        HausmanSigma::More => (covariance_sigma2(re) / covariance_sigma2(fe), 1.0),
        HausmanSigma::Less => (1.0, covariance_sigma2(fe) / covariance_sigma2(re)),
    };
    let v = match opts.covariance {
        HausmanCovariance::Classical => Mat::from_fn(q, q, |a, b| {
            let (ia, ja) = (common[a].1, common[a].2);
            let (ib, jb) = (common[b].1, common[b].2);
            let x = sf * fe.cov(ia, ib) - sr * re_cov(ja, jb);
            let y = sf * fe.cov(ib, ia) - sr * re_cov(jb, ja);
            0.5 * (x + y)
        }),
        HausmanCovariance::Robust => {
            let var = robust_difference(fe, re, &common)?;
            Mat::from_fn(q, q, |a, b| 0.5 * (var[a * q + b] + var[b * q + a]))
        }
    };
    if (0..q).any(|a| (0..q).any(|b| !v[(a, b)].is_finite())) || d.iter().any(|x| !x.is_finite()) {
        return Err(Error::numeric(
            "hausman: a compared coefficient or its variance is not finite in one of the models",
        ));
    }
    if opts.convention == HausmanConvention::Stata {
        let vv: Vec<f64> = (0..q * q).map(|ab| v[(ab / q, ab % q)]).collect();
        let (ginv, rank) = invsym(&vv, q);
        let h: f64 = (0..q)
            .map(|a| d[a] * (0..q).map(|b| ginv[a * q + b] * d[b]).sum::<f64>())
            .sum();
        let mut warnings = Vec::new();
        if rank < q {
            warnings.push(format!(
                "V_b − V_B is not positive definite: the generalized inverse (Stata's invsym) sweeps {rank} of {q} \
                 columns, so df = {rank}"
            ));
        }
        if h < 0.0 {
            warnings.push(
                "chi2 < 0: the model fitted on these data fails to meet the asymptotic assumptions of the Hausman test"
                    .to_string(),
            );
        }
        let stat = if opts.abs { h.abs() } else { h };
        return Ok(finish_test(fe, stat, rank as f64, common, warnings));
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
        HausmanConvention::Spillover | HausmanConvention::Stata => {
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
    Ok(finish_test(fe, stat, df, common, warnings))
}

/// The Test of a Hausman statistic.
fn finish_test(fe: &Model, stat: f64, df: f64, common: Vec<(String, usize, usize)>, warnings: Vec<String>) -> SpecTest {
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
    t
}

/// Refuses option combinations that have no meaning: `sigma` outside the non-spatial pair or
/// with another convention than the default or "stata", or with the robust covariance; the
/// robust covariance with a peer convention.
fn check_options(fe: &Model, re: &Model, opts: &HausmanOptions) -> Result<()> {
    if opts.sigma != HausmanSigma::Own {
        if fe.kind != ModelKind::Ols || re.kind != ModelKind::Ols {
            return Err(Error::invalid(format!(
                "hausman: sigma \"{}\" (Stata's sigmamore/sigmaless) rescales the covariances of two least-squares \
                 fits by one disturbance variance; it applies to the non-spatial pair (ols), not to {}; drop it",
                opts.sigma.name(),
                fe.kind.name()
            )));
        }
        if matches!(opts.convention, HausmanConvention::Plm | HausmanConvention::Splm)
            || opts.covariance == HausmanCovariance::Robust
        {
            return Err(Error::invalid(format!(
                "hausman: sigma \"{}\" is a Stata option of the classical contrast; use it with the default or \
                 convention \"stata\" and covariance \"classical\"",
                opts.sigma.name()
            )));
        }
    }
    if opts.covariance == HausmanCovariance::Robust
        && matches!(opts.convention, HausmanConvention::Plm | HausmanConvention::Splm)
    {
        return Err(Error::invalid(format!(
            "hausman: convention \"{}\" reproduces the classical contrast; covariance \"robust\" takes the default \
             or \"stata\" convention",
            opts.convention.name()
        )));
    }
    Ok(())
}

/// The σ² a model's covariance is proportional to: the random-effects GLS s² of Swamy–Arora
/// (`sigma2_gls`), else σ̂² (within OLS: e'e/(NT − N − K); ML: σ̂²_ν).
fn covariance_sigma2(m: &Model) -> f64 {
    m.extras.get("sigma2_gls").copied().unwrap_or(m.sigma2)
}

/// The cluster-robust Var(d) over the compared parameters (docs/methods.md §12.4), q × q.
fn robust_difference(fe: &Model, re: &Model, common: &[(String, usize, usize)]) -> Result<Vec<f64>> {
    let scores = |m: &Model, which: &str| {
        m.provenance.scores.clone().ok_or_else(|| {
            Error::invalid(format!(
                "hausman covariance \"robust\" needs the per-unit scores of both fits, which the {which} model \
                 ({}, fe \"{}\") does not carry; they are recorded by ols with fe \"individual\" or \"twoways\" \
                 and fe \"random\", and by sar and sdm with fe \"individual\", \"twoways\" (no bias correction) \
                 or \"random\" on the eigenvalue path; use covariance \"classical\"",
                m.kind.name(),
                m.fe.name()
            ))
        })
    };
    let (sf, sr) = (scores(fe, "fixed-effects")?, scores(re, "random-effects")?);
    let pos = |s: &UnitScores, coef: usize, name: &str| {
        s.coef.iter().position(|c| *c == Some(coef)).ok_or_else(|| {
            Error::invalid(format!(
                "hausman covariance \"robust\": the parameter {name} has no recorded score; use covariance \
                 \"classical\""
            ))
        })
    };
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (name, i, j) in common {
        a.push(pos(&sf, *i, name)?);
        b.push(pos(&sr, *j, name)?);
    }
    let q = common.len();
    let vff = cross_covariance(&sf, &sf, &a, &a)?;
    let vrr = cross_covariance(&sr, &sr, &b, &b)?;
    let vfr = cross_covariance(&sf, &sr, &a, &b)?;
    Ok((0..q * q)
        .map(|ab| {
            let (x, y) = (ab / q, ab % q);
            vff[ab] + vrr[ab] - vfr[x * q + y] - vfr[y * q + x]
        })
        .collect())
}

/// Relative tolerance of [`invsym`]: a pivot at most this times the column's original diagonal
/// element in absolute value is not swept [UNCONFIRMED: Stata's exact tolerance].
pub const INVSYM_TOL: f64 = 1e-13;

/// A generalized inverse of a symmetric q × q matrix in the manner of Stata's `invsym`: the
/// sweep operator in column order, skipping (and leaving zero in the result) every column whose
/// current pivot is ≤ [`INVSYM_TOL`]·|its original diagonal| in absolute value (a negative
/// pivot is swept, so an indefinite difference gives a negative statistic, as Stata prints it).
/// Returns the inverse (row-major) and the number of columns swept (Stata's
/// `colsof − diag0cnt`, the df of `hausman`). For a positive definite matrix it is the inverse.
pub fn invsym(a: &[f64], q: usize) -> (Vec<f64>, usize) {
    let mut m = a.to_vec();
    let mut swept = vec![false; q];
    for k in 0..q {
        let piv = m[k * q + k];
        // A NaN pivot is skipped as well.
        let keep = piv.abs() > INVSYM_TOL * a[k * q + k].abs() && piv != 0.0;
        if !keep {
            continue;
        }
        swept[k] = true;
        // Sweep on k (Goodnight 1979): the swept block holds −A⁻¹ during the sweep.
        for i in 0..q {
            for j in 0..q {
                if i != k && j != k {
                    m[i * q + j] -= m[i * q + k] * m[k * q + j] / piv;
                }
            }
        }
        for i in 0..q {
            if i != k {
                m[i * q + k] /= piv;
                m[k * q + i] /= piv;
            }
        }
        m[k * q + k] = -1.0 / piv;
    }
    let rank = swept.iter().filter(|x| **x).count();
    let out = (0..q * q)
        .map(|ij| {
            let (i, j) = (ij / q, ij % q);
            if swept[i] && swept[j] {
                -m[ij]
            } else {
                0.0
            }
        })
        .collect();
    (out, rank)
}
