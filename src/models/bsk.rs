//! Baltagi–Song–Koh (2003) LM tests for individual random effects and spatial error
//! correlation in a pooled panel regression (docs/methods.md §13.1–13.2; splm `bsktest`).
//!
//! On the pooled OLS residuals û (Z with the intercept), b = tr(W² + W'W):
//!
//! ```text
//! G   = û'(J_T ⊗ I_N)û/û'û − 1,            LM1 = √(NT/(2(T−1))) G      N(0,1), H0 σ²_μ = 0
//! Hs  = û'(I_T ⊗ (W + W')/2)û/û'û,          LM2 = √(N²T/b) Hs            N(0,1), H0 λ = 0
//! LMH = 1[LM1 > 0] LM1² + 1[LM2 > 0] LM2²   χ̄² = ¼χ²(0) + ½χ²(1) + ¼χ²(2), H0 both
//! SLM1, SLM2: (d − E d)/√Var d,  d = û'Dû/û'û,  D = J_T ⊗ I_N (SLM1) or I_T ⊗ W (SLM2),
//!   E d = tr(MD)/s,  Var d = 2[s tr(MDMD) − tr(MD)²]/(s²(s + 2)),  s = NT − k
//! CLMλ (σ²_μ ≥ 0 allowed; û of the ML random-effects fit, docs/methods.md §11.1(b)):
//!   σ̂²_ν = û'(E_T⊗I)û/(N(T−1)),  σ̂²_1 = û'(J̄_T⊗I)û/N
//!   D̂ = ½ û'[(σ̂²_ν/σ̂⁴_1)(J̄_T ⊗ (W+W')) + (1/σ̂²_ν)(E_T ⊗ (W+W'))]û
//!   LM = D̂²/[(T − 1 + σ̂⁴_ν/σ̂⁴_1) b]        χ²(1)
//! CLMμ (λ ≠ 0 allowed; λ̂ and û = y − Zβ̂ of the pooled ML SEM with intercept), B = I − λ̂W:
//!   σ̂²_ν = û'(I_T ⊗ B'B)û/NT,  D̂ = −(T/(2σ̂²_ν)) tr(B'B) + û'(J_T ⊗ (B'B)²)û/(2σ̂⁴_ν)
//!   Γ = (W'B + B'W)(B'B)⁻¹, h = tr B'B, e = tr (B'B)², d = tr(W'B + B'W), g = tr Γ, c = tr Γ²
//!   LM = D̂² (2σ̂⁴_ν/T)(Nc − g²)/[NTec − Nd² − Tg²e + 2ghd − h²c]      χ²(1)
//! ```
//!
//! p-values (default, as in the papers, docs/methods.md §18): LM1 and SLM1 one-sided 1 − Φ(z),
//! LM2 and SLM2 two-sided 2(1 − Φ(|z|)), LMH the χ̄² mixture, the CLMs χ²(1) on LM.
//! `convention: "splm"` reproduces splm 1.6-5 bit for bit: p = 2(1 − Φ(z)) for LM1, LM2, SLM1,
//! SLM2 (above 1 for z < 0), √LM for the CLMs (same p), LMH's p as 1 − cdf (0 once the cdf
//! rounds to 1), and SLM2's variance with the
//! non-symmetrised D = I_T ⊗ W (the default uses D̄ = I_T ⊗ (W + W')/2).
//!
//! CLMμ works with dense N×N matrices (B'B and its inverse): N ≤ [`DENSE_MAX_N`].

use super::dense::{cross_products, dot, inverse_spd, LeastSquares};
use super::fe_tests::SpecTest;
use super::formula::Design;
use super::ml::{fit_spatial, SpatialOptions};
use super::ols::demean_design;
use super::random::{random_effects, ReMethod};
use super::result::ModelKind;
use super::within::{demean, unit_means, Fe};
use crate::error::{Error, Result};
use crate::stats::{p_normal_greater, p_normal_two_sided};
use crate::weights::Weights;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Largest N for the dense N×N algebra of CLMμ.
pub const DENSE_MAX_N: usize = 5000;

/// One of the BSK tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BskTest {
    /// LM1: random effects, assuming no spatial error.
    Lm1,
    /// LM2: spatial error, assuming no random effects.
    Lm2,
    /// Standardised LM1 (splm `standardize = TRUE`).
    Slm1,
    /// Standardised LM2.
    Slm2,
    /// LMH: the one-sided joint test.
    Lmh,
    /// CLMλ: spatial error given random effects.
    ClmLambda,
    /// CLMμ: random effects given a spatial error.
    ClmMu,
}

impl BskTest {
    /// Every test, in table order.
    pub const ALL: [BskTest; 7] = [
        BskTest::Lm1,
        BskTest::Lm2,
        BskTest::Slm1,
        BskTest::Slm2,
        BskTest::Lmh,
        BskTest::ClmLambda,
        BskTest::ClmMu,
    ];
    /// The option value (and the test's name).
    pub fn name(self) -> &'static str {
        match self {
            BskTest::Lm1 => "LM1",
            BskTest::Lm2 => "LM2",
            BskTest::Slm1 => "SLM1",
            BskTest::Slm2 => "SLM2",
            BskTest::Lmh => "LMH",
            BskTest::ClmLambda => "CLMlambda",
            BskTest::ClmMu => "CLMmu",
        }
    }
}

/// Whose p-values and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BskConvention {
    /// As in the papers (default).
    #[default]
    Paper,
    /// splm 1.6-5 `bsktest`.
    Splm,
}

impl BskConvention {
    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            BskConvention::Paper => "paper",
            BskConvention::Splm => "splm",
        }
    }
}

/// Pooled OLS pieces shared by LM1, LM2, SLM1, SLM2 and LMH.
pub(crate) struct Pooled {
    pub(crate) n: usize,
    pub(crate) t: usize,
    /// Z = [1, X] columns.
    z: Vec<Vec<f64>>,
    /// (Z'Z)⁻¹ row-major.
    a_inv: Vec<f64>,
    pub(crate) e: Vec<f64>,
    pub(crate) ee: f64,
    /// tr(W²), tr(W'W), tr(W).
    pub(crate) tr_ww: f64,
    pub(crate) tr_wtw: f64,
    tr_w: f64,
}

/// The pooled OLS residuals and the traces of W (W aligned to the design's units).
pub(crate) fn pooled(design: &Design, w: &Weights) -> Result<Pooled> {
    let (n, t) = (design.n, design.t);
    if t < 2 {
        return Err(Error::invalid(format!(
            "the BSK tests need a panel with T ≥ 2 periods; the data have T = {t}"
        )));
    }
    let d = demean_design(design, Fe::None)?;
    let ls = LeastSquares::new(&d.x, &d.names)?;
    let e = ls.annihilate(&d.x, &d.y);
    let ee = dot(&e, &e);
    super::ols::refuse_exact_fit("bsktest", &design.depvar, &d.y, ee, Fe::None)?;
    let (tr_ww, tr_wtw) = w.traces2();
    let m = w.matrix();
    let tr_w = (0..n).map(|i| m.get(i, i).copied().unwrap_or(0.0)).sum();
    if (tr_ww + tr_wtw).is_nan() || tr_ww + tr_wtw <= 0.0 {
        return Err(Error::invalid("bsktest: tr(W² + W'W) = 0 (W has no links)"));
    }
    Ok(Pooled {
        n,
        t,
        a_inv: ls.xtx_inv(),
        z: d.x,
        e,
        ee,
        tr_ww,
        tr_wtw,
        tr_w,
    })
}

/// K×K row-major product.
fn matmul(a: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    let mut c = vec![0.0; k * k];
    for i in 0..k {
        for l in 0..k {
            let x = a[i * k + l];
            if x != 0.0 {
                for j in 0..k {
                    c[i * k + j] += x * b[l * k + j];
                }
            }
        }
    }
    c
}

fn trace(a: &[f64], k: usize) -> f64 {
    (0..k).map(|i| a[i * k + i]).sum()
}

/// Z'(stacked columns `dz`) (K×K row-major): entry (i, j) = z_i'dz_j.
fn cross(z: &[Vec<f64>], dz: &[Vec<f64>]) -> Vec<f64> {
    let k = z.len();
    let mut c = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            c[i * k + j] = dot(&z[i], &dz[j]);
        }
    }
    c
}

/// (E d, Var d) of d = û'Dû/û'û given tr(D²), Z'DZ and Z'D²Z (docs/methods.md §13.2);
/// `tr_md_sq` overrides tr(MD)² (splm's SLM2).
fn moments(p: &Pooled, tr_d: f64, tr_d2: f64, zdz: &[f64], zd2z: &[f64], splm_slm2: bool) -> (f64, f64) {
    let k = p.z.len();
    let s = (p.n * p.t - k) as f64;
    let c = matmul(&p.a_inv, zdz, k);
    let tr_c = trace(&c, k);
    let tr_md = tr_d - tr_c;
    let tr_mdmd = tr_d2 - 2.0 * trace(&matmul(&p.a_inv, zd2z, k), k) + trace(&matmul(&c, &c, k), k);
    let sq = if splm_slm2 { tr_c * tr_c } else { tr_md * tr_md };
    (tr_md / s, 2.0 * (s * tr_mdmd - sq) / (s * s * (s + 2.0)))
}

/// Period-by-period W·x of a time-slow NT-vector.
fn lag(w: &Weights, x: &[f64]) -> Vec<f64> {
    w.lag_panel(x)
}

/// Period-by-period W'·x of a time-slow NT-vector.
fn lag_transposed(w: &Weights, x: &[f64]) -> Vec<f64> {
    let n = w.n();
    let mut out = vec![0.0; x.len()];
    for (xt, ot) in x.chunks(n).zip(out.chunks_mut(n)) {
        for (i, row) in w.matrix().outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                ot[j] += v * xt[i];
            }
        }
    }
    out
}

/// The p-value of a N(0,1) statistic: one-sided upper (`one_sided`) or two-sided; splm's
/// 2(1 − Φ(z)) under its convention.
fn p_normal(z: f64, one_sided: bool, conv: BskConvention) -> f64 {
    match conv {
        BskConvention::Splm => 2.0 * p_normal_greater(z),
        BskConvention::Paper if one_sided => p_normal_greater(z),
        BskConvention::Paper => p_normal_two_sided(z),
    }
}

fn normal_test(name: &str, z: f64, one_sided: bool, conv: BskConvention) -> SpecTest {
    let mut t = SpecTest::chi2(name, z, 1.0);
    t.p = p_normal(z, one_sided, conv);
    t.df = f64::NAN;
    t.distribution = Some(match conv {
        BskConvention::Splm => "N(0,1), p = 2(1 - Phi(z)) (splm)".to_string(),
        BskConvention::Paper if one_sided => "N(0,1), one-sided".to_string(),
        BskConvention::Paper => "N(0,1), two-sided".to_string(),
    });
    t
}

/// P(χ̄² ≥ x) for the ¼χ²(0) + ½χ²(1) + ¼χ²(2) mixture: 1 at x ≤ 0 (splm `pchibar`).
pub fn p_chibar_lmh(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let sf = |df: f64| ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(x));
    0.5 * sf(1.0) + 0.25 * sf(2.0)
}

/// LM1 and LM2 of the pooled residuals.
fn lm12(p: &Pooled, w: &Weights) -> (f64, f64) {
    let (nf, tf) = (p.n as f64, p.t as f64);
    let eb = unit_means(&p.e, p.n);
    let g = tf * tf * dot(&eb, &eb) / p.ee - 1.0;
    let we = lag(w, &p.e);
    let hs = dot(&p.e, &we) / p.ee;
    let b = p.tr_ww + p.tr_wtw;
    (
        (nf * tf / (2.0 * (tf - 1.0))).sqrt() * g,
        (nf * nf * tf / b).sqrt() * hs,
    )
}

fn slm1(p: &Pooled) -> f64 {
    let (n, t) = (p.n, p.t);
    let nt = (n * t) as f64;
    // D z = (J_T ⊗ I) z: each unit's sum over periods, repeated.
    let dz: Vec<Vec<f64>> =
        p.z.iter()
            .map(|c| {
                let s: Vec<f64> = unit_means(c, n).iter().map(|m| m * t as f64).collect();
                (0..n * t).map(|r| s[r % n]).collect()
            })
            .collect();
    let zdz = cross(&p.z, &dz);
    let zd2z: Vec<f64> = zdz.iter().map(|v| v * t as f64).collect();
    let (ed, vd) = moments(p, nt, nt * t as f64, &zdz, &zd2z, false);
    let eb = unit_means(&p.e, n);
    let d = (t * t) as f64 * dot(&eb, &eb) / p.ee;
    (d - ed) / vd.sqrt()
}

fn slm2(p: &Pooled, w: &Weights, conv: BskConvention) -> f64 {
    let tf = p.t as f64;
    let we = lag(w, &p.e);
    let d = dot(&p.e, &we) / p.ee;
    let wz: Vec<Vec<f64>> = p.z.iter().map(|c| lag(w, c)).collect();
    let (ed, vd) = match conv {
        BskConvention::Splm => {
            let zdz = cross(&p.z, &wz);
            let wwz: Vec<Vec<f64>> = wz.iter().map(|c| lag(w, c)).collect();
            let zd2z = cross(&p.z, &wwz);
            moments(p, tf * p.tr_w, tf * p.tr_ww, &zdz, &zd2z, true)
        }
        BskConvention::Paper => {
            // D̄ = I_T ⊗ (W + W')/2: D̄z = (Wz + W'z)/2.
            let dz: Vec<Vec<f64>> =
                p.z.iter()
                    .zip(&wz)
                    .map(|(c, wc)| {
                        wc.iter()
                            .zip(lag_transposed(w, c))
                            .map(|(a, b)| 0.5 * (a + b))
                            .collect()
                    })
                    .collect();
            let zdz = cross(&p.z, &dz);
            let zd2z = cross_products(&dz);
            let tr_d2 = tf * 0.5 * (p.tr_ww + p.tr_wtw);
            moments(p, tf * p.tr_w, tr_d2, &zdz, &zd2z, false)
        }
    };
    (d - ed) / vd.sqrt()
}

fn lmh(p: &Pooled, w: &Weights) -> f64 {
    let (l1, l2) = lm12(p, w);
    l1.max(0.0).powi(2) + l2.max(0.0).powi(2)
}

/// CLMλ (docs/methods.md §13.2): LM*_λ on the residuals of the ML random-effects fit.
fn clm_lambda(design: &Design, w: &Weights) -> Result<f64> {
    let (n, t) = (design.n, design.t);
    let (nf, tf) = (n as f64, t as f64);
    let re = random_effects(design, ReMethod::Ml)?;
    let e = &re.resid;
    let eb = unit_means(e, n);
    let ew = demean(e, n, Fe::Individual);
    let s2v = dot(&ew, &ew) / (nf * (tf - 1.0));
    let s21 = tf * dot(&eb, &eb) / nf;
    // e'(J̄ ⊗ A)e = T ē'Aē and e'(E ⊗ A)e = Σ_t e_t'Ae_t − T ē'Aē, with x'(W + W')x = 2 x'Wx.
    let web = w.lag(&eb);
    let between = tf * 2.0 * dot(&eb, &web);
    let total = 2.0 * dot(e, &lag(w, e));
    let within = total - between;
    let dl = 0.5 * (s2v / (s21 * s21) * between + within / s2v);
    let b = {
        let (a, c) = w.traces2();
        a + c
    };
    Ok(dl * dl / ((tf - 1.0 + s2v * s2v / (s21 * s21)) * b))
}

/// Row-major dense N×N product.
fn dmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let am = faer::Mat::from_fn(n, n, |i, j| a[i * n + j]);
    let bm = faer::Mat::from_fn(n, n, |i, j| b[i * n + j]);
    let c = &am * &bm;
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = c[(i, j)];
        }
    }
    out
}

fn dtranspose(a: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[j * n + i] = a[i * n + j];
        }
    }
    out
}

/// CLMμ (docs/methods.md §13.2): LM*_μ after the pooled ML SEM with intercept. Returns (LM, λ̂).
fn clm_mu(design: &Design, w: &Weights) -> Result<(f64, f64)> {
    let (n, t) = (design.n, design.t);
    if n > DENSE_MAX_N {
        return Err(Error::invalid(format!(
            "bsktest CLMmu works with dense N×N matrices; N = {n} exceeds {DENSE_MAX_N}"
        )));
    }
    let (nf, tf) = (n as f64, t as f64);
    let sem = fit_spatial(design, w, ModelKind::Sem, &SpatialOptions::new(Fe::None))?;
    let lambda = sem
        .rho()
        .ok_or_else(|| Error::numeric("bsktest CLMmu: the pooled SEM has no lambda"))?;
    let m = &sem.model;
    let b0 = m
        .coef(super::ols::INTERCEPT)
        .map(|c| c.estimate)
        .ok_or_else(|| Error::numeric("bsktest CLMmu: the pooled SEM has no intercept"))?;
    let mut e: Vec<f64> = design.y.iter().map(|y| y - b0).collect();
    for (col, &bi) in design.x.iter().zip(&sem.beta_index) {
        let bk = m.coefficients[bi].estimate;
        e.iter_mut().zip(col).for_each(|(v, x)| *v -= bk * x);
    }
    let wd = w.to_dense();
    let mut b = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            b[i * n + j] = f64::from(u8::from(i == j)) - lambda * wd[i * n + j];
        }
    }
    let bt = dtranspose(&b, n);
    let wt = dtranspose(&wd, n);
    let bpb = dmul(&bt, &b, n);
    let bpb2 = dmul(&bpb, &bpb, n);
    let bpbi = inverse_spd(&bpb, n, "B'B")?;
    let quad = |a: &[f64], x: &[f64]| -> f64 {
        (0..n)
            .map(|i| x[i] * (0..n).map(|j| a[i * n + j] * x[j]).sum::<f64>())
            .sum()
    };
    let s2 = e.chunks(n).map(|et| quad(&bpb, et)).sum::<f64>() / (nf * tf);
    let esum: Vec<f64> = unit_means(&e, n).iter().map(|v| v * tf).collect();
    let h = trace(&bpb, n);
    let dmu = -(tf / (2.0 * s2)) * h + quad(&bpb2, &esum) / (2.0 * s2 * s2);
    let wpb = dmul(&wt, &b, n);
    let bpw = dmul(&bt, &wd, n);
    let sum: Vec<f64> = wpb.iter().zip(&bpw).map(|(a, c)| a + c).collect();
    let gamma = dmul(&sum, &bpbi, n);
    let ee = trace(&bpb2, n);
    let d = trace(&sum, n);
    let g = trace(&gamma, n);
    let c = trace(&dmul(&gamma, &gamma, n), n);
    let num = (2.0 * s2 * s2 / tf) * (nf * c - g * g);
    let den = nf * tf * ee * c - nf * d * d - tf * g * g * ee + 2.0 * g * h * d - h * h * c;
    Ok((dmu * dmu * num / den, lambda))
}

/// One BSK test of `design` with W `w` (aligned to the design's units first) under `conv`.
pub fn bsk_test(design: &Design, w: &Weights, test: BskTest, conv: BskConvention) -> Result<SpecTest> {
    let w = w.aligned_to(&design.ids)?;
    let chi2_or_root = |name: &str, lm: f64| -> SpecTest {
        let mut t = SpecTest::chi2(name, lm, 1.0);
        if conv == BskConvention::Splm {
            t.statistic = lm.sqrt();
            t.distribution = Some("sqrt(LM) as splm prints it; p from chi2(1) on LM".to_string());
        }
        t
    };
    Ok(match test {
        BskTest::Lm1 => normal_test("LM1", lm12(&pooled(design, &w)?, &w).0, true, conv),
        BskTest::Lm2 => normal_test("LM2", lm12(&pooled(design, &w)?, &w).1, false, conv),
        BskTest::Slm1 => normal_test("SLM1", slm1(&pooled(design, &w)?), true, conv),
        BskTest::Slm2 => normal_test("SLM2", slm2(&pooled(design, &w)?, &w, conv), false, conv),
        BskTest::Lmh => {
            let x = lmh(&pooled(design, &w)?, &w);
            let mut t = SpecTest::chi2("LMH", x, 2.0);
            t.p = match conv {
                BskConvention::Paper => p_chibar_lmh(x),
                // splm: 1 − pchibar(x), which rounds to 0 for large x.
                BskConvention::Splm if x > 0.0 => {
                    let cdf = |df: f64| ChiSquared::new(df).map_or(f64::NAN, |d| d.cdf(x));
                    1.0 - (0.25 + 0.5 * cdf(1.0) + 0.25 * cdf(2.0))
                }
                BskConvention::Splm => 1.0,
            };
            t.distribution = Some("chi-bar-squared mixture 1/4 chi2(0) + 1/2 chi2(1) + 1/4 chi2(2)".to_string());
            t
        }
        BskTest::ClmLambda => chi2_or_root("CLMlambda", clm_lambda(design, &w)?),
        BskTest::ClmMu => {
            let (lm, lambda) = clm_mu(design, &w)?;
            let mut t = chi2_or_root("CLMmu", lm);
            t.params = vec![format!("lambda (pooled SEM) = {lambda:.6}")];
            t
        }
    })
}

/// Every BSK test (in [`BskTest::ALL`] order).
pub fn bsk_tests(design: &Design, w: &Weights, conv: BskConvention) -> Result<Vec<SpecTest>> {
    BskTest::ALL.iter().map(|&t| bsk_test(design, w, t, conv)).collect()
}
