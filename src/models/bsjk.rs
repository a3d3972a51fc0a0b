//! Baltagi–Song–Jung–Koh (2007) LM tests for individual random effects, AR(1) serial correlation
//! and spatial error correlation in a pooled panel regression (docs/methods.md §13.3; splm
//! `bsjktest`). Model under the alternatives: u = (ι_T ⊗ I_N)μ + ε, ε_t = λWε_t + ν_t,
//! ν_it = ψν_i,t−1 + e_it. Data time-slow; Z = [ι, X]; b = tr(W² + W'W); G_T the T×T matrix with
//! ones on the first off-diagonals; E = I_T − J̄_T.
//!
//! ```text
//! J   (H0 σ²_μ = λ = ψ = 0; pooled OLS û; T ≥ 3):
//!     A = û'(J_T⊗I)û/û'û − 1,  F = û'(G_T⊗I)û/(2û'û),  H = û'(I_T⊗(W+W'))û/(2û'û)
//!     LM = NT²/(2(T−1)(T−2)) (A² − 4AF + 2TF²) + (N²T/b) H²                       χ²(3)
//! C.1 (H0 λ = 0 | σ²_μ, ψ; û, φ̂, ψ̂ of the srre ML fit, serial.rs):
//!     V = σ²_e V_ψ,  g = ι'V⁻¹ι,  c = σ²_μ/(1 + σ²_μ g),  Ṽ = V⁻¹ − 2cV⁻¹J V⁻¹ + c²V⁻¹JV⁻¹JV⁻¹
//!     D = ½ û'(Ṽ ⊗ (W+W'))û,   LM = D²/[b (T − 2cg + c²g²)]                           χ²(1)
//! C.2 (H0 ψ = 0 | σ²_μ, λ; û, φ̂, λ̂ of the BSK SEM-RE fit, ml/random_error.rs):
//!     B = I − λ̂W, P = (B'B)⁻¹, H = W'B + B'W, Z0 = (Tσ²_μ I + σ²_e P)⁻¹
//!     D = −((T−1)/T)(σ²_e tr(Z0P) − N) + ½σ²_e û'[σ⁻⁴_e EGE⊗B'B + σ⁻²_e (J̄GE + EGJ̄)⊗Z0 + J̄GJ̄⊗Z0PZ0]û
//!     LM = D² [J⁻¹]_ψψ, J the information of (σ²_e, σ²_μ, ψ, λ)                   χ²(1)
//! C.3 (H0 σ²_μ = 0 | λ, ψ; û, λ̂, ψ̂ of the semsr ML fit, serial.rs):
//!     g = ι'V_ψ⁻¹ι/σ²_e,  D = −(g/2) tr(B'B) + û'(V_ψ⁻¹J V_ψ⁻¹ ⊗ (B'B)²)û/(2σ⁴_e)
//!     LM = D² [J⁻¹]_μμ, J the information of (σ²_e, σ²_μ, ψ, λ)                    χ²(1)
//! ```
//!
//! Conventions ([`BskConvention`]): by default (`"paper"`) the variance components are the ML
//! estimates of the restricted model (σ²_e = its σ̂², σ²_μ = φ̂σ̂²_e), which makes D the exact
//! score and J the exact expected information at the restricted estimate. In C.2 the ψψ entry
//! then has the term σ²_e (2T − 4)/T² tr(Z0P) that splm's `pbsjkARtest.R` omits (it vanishes
//! only for T = 2). `"splm"` reproduces splm 1.6-5: σ̂²_tot = û'û/NT, σ²_e = σ̂²_tot/(φ̂ + 1),
//! σ²_μ = σ̂²_tot − σ²_e (C.1, C.2) or σ²_e = û'û/NT (C.3), C.3's g with σ⁴_e in the denominator,
//! and the C.2 information exactly as coded.
//!
//! Quadratic forms of Kronecker products are Σ_st A_st u_s'M u_t (the T×T matrix U'MU with U the
//! N×T residual matrix); no NT×NT matrix is formed. C.2 and C.3 use dense N×N algebra
//! (N ≤ [`DENSE_MAX_N`]; C.2 also the BSK likelihood, N ≤ [`super::ml::random_error::BSK_MAX_N`]).

use super::bsk::{pooled, BskConvention, DENSE_MAX_N};
use super::fe_tests::SpecTest;
use super::formula::Design;
use super::ml::serial::{ar1_inverse, ar1_iota_form, fit_serial, SerialModel};
use super::ml::{fit_spatial, ReCovariance, ReErrors, SpatialOptions};
use super::result::ModelKind;
use super::within::Fe;
use crate::error::{Error, Result};
use crate::weights::Weights;
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

/// One of the BSJK tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BsjkTest {
    /// J: joint test of no random effects, no serial and no spatial correlation.
    J,
    /// C.1: spatial error given random effects and serial correlation.
    C1,
    /// C.2: serial correlation given random effects and spatial error.
    C2,
    /// C.3: random effects given serial correlation and spatial error.
    C3,
}

impl BsjkTest {
    /// Every test, in table order.
    pub const ALL: [BsjkTest; 4] = [BsjkTest::J, BsjkTest::C1, BsjkTest::C2, BsjkTest::C3];
    /// The test's name (splm's `test` value).
    pub fn name(self) -> &'static str {
        match self {
            BsjkTest::J => "J",
            BsjkTest::C1 => "C.1",
            BsjkTest::C2 => "C.2",
            BsjkTest::C3 => "C.3",
        }
    }
    /// The name in the BSK family (`bsktest(..., #{test: "bsjk_c1"})`, docs/methods.md §13.3).
    pub fn family_name(self) -> &'static str {
        match self {
            BsjkTest::J => "bsjk_j",
            BsjkTest::C1 => "bsjk_c1",
            BsjkTest::C2 => "bsjk_c2",
            BsjkTest::C3 => "bsjk_c3",
        }
    }
}

/// N×T matrix of a time-slow NT-vector.
fn panel_matrix(u: &[f64], n: usize, t: usize) -> Mat<f64> {
    Mat::from_fn(n, t, |i, s| u[s * n + i])
}

/// U'MU (T×T): entry (s, t) = u_s'M u_t.
fn gram(u: &Mat<f64>, m: &Mat<f64>) -> Mat<f64> {
    u.transpose() * (m * u)
}

/// Σ_st A_st K_st for a row-major T×T `a`: û'(A ⊗ M)û with K = U'MU.
fn kron_form(a: &[f64], k: &Mat<f64>) -> f64 {
    let t = k.nrows();
    (0..t * t).map(|q| a[q] * k[(q / t, q % t)]).sum()
}

fn tr(m: &Mat<f64>) -> f64 {
    (0..m.nrows()).map(|i| m[(i, i)]).sum()
}

/// T×T row-major product.
fn tmul(a: &[f64], b: &[f64], t: usize) -> Vec<f64> {
    let mut c = vec![0.0; t * t];
    for i in 0..t {
        for l in 0..t {
            let x = a[i * t + l];
            for j in 0..t {
                c[i * t + j] += x * b[l * t + j];
            }
        }
    }
    c
}

/// G_T: ones on the first super- and sub-diagonal.
fn g_matrix(t: usize) -> Vec<f64> {
    let mut g = vec![0.0; t * t];
    for s in 0..t.saturating_sub(1) {
        g[s * t + s + 1] = 1.0;
        g[(s + 1) * t + s] = 1.0;
    }
    g
}

/// Inverse of a symmetric positive definite dense matrix.
fn inv_spd(m: &Mat<f64>, what: &str) -> Result<Mat<f64>> {
    let f = m
        .llt(Side::Lower)
        .map_err(|_| Error::numeric(format!("bsjktest: {what} is not positive definite")))?;
    Ok(f.solve(Mat::<f64>::identity(m.nrows(), m.ncols())))
}

/// [J⁻¹]_kk of a 4×4 row-major information matrix.
fn inverse_entry(j: &[f64; 16], k: usize) -> Result<f64> {
    let m = Mat::from_fn(4, 4, |r, c| j[r * 4 + c]);
    let rhs = Mat::from_fn(4, 1, |r, _| f64::from(r == k));
    let x = m.partial_piv_lu().solve(&rhs);
    let v = x[(k, 0)];
    if !v.is_finite() {
        return Err(Error::numeric("bsjktest: the information matrix is singular"));
    }
    Ok(v)
}

/// Dense B'B, (B'B)⁻¹ and H = W'B + B'W of B = I − λW.
struct Spatial {
    bb: Mat<f64>,
    p: Mat<f64>,
    h: Mat<f64>,
}

fn spatial(w: &Weights, lambda: f64) -> Result<Spatial> {
    let n = w.n();
    let wd = w.to_dense();
    let wm = Mat::from_fn(n, n, |i, j| wd[i * n + j]);
    let b = Mat::from_fn(n, n, |i, j| f64::from(i == j) - lambda * wd[i * n + j]);
    let bb = b.transpose() * &b;
    let p = inv_spd(&bb, "B'B")?;
    let h = wm.transpose() * &b + b.transpose() * &wm;
    Ok(Spatial { bb, p, h })
}

fn check_dense(n: usize, test: BsjkTest) -> Result<()> {
    if n > DENSE_MAX_N {
        return Err(Error::invalid(format!(
            "bsjktest {}: the test works with dense N×N matrices; N = {n} exceeds {DENSE_MAX_N}",
            test.name()
        )));
    }
    Ok(())
}

/// J on the pooled OLS residuals.
fn test_j(design: &Design, w: &Weights) -> Result<f64> {
    let (n, t) = (design.n, design.t);
    if t < 3 {
        return Err(Error::invalid(format!(
            "bsjktest J needs a panel with T ≥ 3 periods (its variance has (T − 1)(T − 2) in the denominator); the \
             data have T = {t}"
        )));
    }
    let p = pooled(design, w)?;
    let (nf, tf) = (n as f64, t as f64);
    let e = &p.e;
    let eb = super::within::unit_means(e, n);
    let a = tf * tf * super::dense::dot(&eb, &eb) / p.ee - 1.0;
    // û'(G⊗I)û/2 = Σ_t u_t'u_{t+1}.
    let f: f64 = (0..t - 1)
        .map(|s| super::dense::dot(&e[s * n..(s + 1) * n], &e[(s + 1) * n..(s + 2) * n]))
        .sum::<f64>()
        / p.ee;
    // û'(I⊗(W+W'))û/2 = Σ_t u_t'Wu_t.
    let h = super::dense::dot(e, &w.lag_panel(e)) / p.ee;
    let b = p.tr_ww + p.tr_wtw;
    Ok(
        nf * tf * tf / (2.0 * (tf - 1.0) * (tf - 2.0)) * (a * a - 4.0 * a * f + 2.0 * tf * f * f)
            + nf * nf * tf / b * h * h,
    )
}

/// C.1 after the srre fit. Returns (LM, note on the restricted fit).
fn test_c1(design: &Design, w: &Weights, conv: BskConvention) -> Result<(f64, String)> {
    let (n, t) = (design.n, design.t);
    let tf = t as f64;
    let fit = fit_serial(design, None, SerialModel::Srre)?;
    let (psi, phi) = (fit.psi, fit.phi);
    let u = &fit.resid;
    let (s2e, s2mu) = match conv {
        BskConvention::Paper => (fit.sigma2, phi * fit.sigma2),
        BskConvention::Splm => {
            let tot = super::dense::dot(u, u) / (n * t) as f64;
            let s2e = tot / (phi + 1.0);
            (s2e, tot - s2e)
        }
    };
    let d2 = (1.0 + psi) / (1.0 - psi) + tf - 1.0;
    let c = s2e * s2mu / (d2 * (1.0 - psi).powi(2) * s2mu + s2e);
    let g = ar1_iota_form(psi, t) / s2e;
    // V⁻¹ = V_ψ⁻¹/σ²_e; Ṽ = V⁻¹ − (2c − c²g) vv', v = V⁻¹ι (V⁻¹JV⁻¹JV⁻¹ = g vv').
    let vi: Vec<f64> = ar1_inverse(psi, t).iter().map(|x| x / s2e).collect();
    let v: Vec<f64> = (0..t).map(|s| vi[s * t..(s + 1) * t].iter().sum()).collect();
    let f = 2.0 * c - c * c * g;
    let vt: Vec<f64> = (0..t * t).map(|q| vi[q] - f * v[q / t] * v[q % t]).collect();
    // ½û'(Ṽ⊗(W+W'))û = Σ_st Ṽ_st u_s'Wu_t (Ṽ symmetric).
    let um = panel_matrix(u, n, t);
    let wu = panel_matrix(&w.lag_panel(u), n, t);
    let k = um.transpose() * &wu;
    let dhat = kron_form(&vt, &k);
    let (a, bb) = w.traces2();
    let b = a + bb;
    let lm = dhat * dhat / (b * (tf - 2.0 * c * g + c * c * g * g));
    Ok((
        lm,
        format!("srre: phi = {phi:.6}, psi = {psi:.6}, logLik = {:.6}", fit.loglik),
    ))
}

/// C.2 after the BSK SEM-RE fit.
fn test_c2(design: &Design, w: &Weights, conv: BskConvention) -> Result<(f64, String)> {
    let (n, t) = (design.n, design.t);
    check_dense(n, BsjkTest::C2)?;
    let (nf, tf) = (n as f64, t as f64);
    let mut opts = SpatialOptions::new(Fe::Random);
    opts.errors = Some(ReErrors::Bsk);
    opts.covariance = Some(ReCovariance::Splm);
    let fit = fit_spatial(design, w, ModelKind::Sem, &opts)?;
    let m = &fit.model;
    let get = |name: &str| {
        m.coef(name)
            .map(|c| c.estimate)
            .ok_or_else(|| Error::numeric(format!("bsjktest C.2: the SEM-RE fit has no {name}")))
    };
    let (lambda, eta) = (get("lambda")?, get("phi")?);
    let mut u: Vec<f64> = design.y.iter().map(|y| y - m.coefficients[0].estimate).collect();
    for (col, &bi) in design.x.iter().zip(&fit.beta_index) {
        let bk = m.coefficients[bi].estimate;
        u.iter_mut().zip(col).for_each(|(v, x)| *v -= bk * x);
    }
    let (s2e, s2mu) = match conv {
        BskConvention::Paper => (m.sigma2, eta * m.sigma2),
        BskConvention::Splm => {
            let s2e = super::dense::dot(&u, &u) / (nf * tf) / (eta + 1.0);
            (s2e, eta * s2e)
        }
    };
    let sp = spatial(w, lambda)?;
    let z0 = inv_spd(
        &Mat::from_fn(n, n, |i, j| tf * s2mu * f64::from(i == j) + s2e * sp.p[(i, j)]),
        "T sigma2_mu I + sigma2_e (B'B)^-1",
    )?;
    let z0p = &z0 * &sp.p;
    let hp = &sp.h * &sp.p;
    let z0php = &z0p * &hp;
    // T×T pieces.
    let jb = vec![1.0 / tf; t * t];
    let e: Vec<f64> = (0..t * t).map(|q| f64::from(q / t == q % t) - 1.0 / tf).collect();
    let g = g_matrix(t);
    let ege = tmul(&tmul(&e, &g, t), &e, t);
    let jge = tmul(&tmul(&jb, &g, t), &e, t);
    let egj = tmul(&tmul(&e, &g, t), &jb, t);
    let jgj = tmul(&tmul(&jb, &g, t), &jb, t);
    let mixed: Vec<f64> = jge.iter().zip(&egj).map(|(a, b)| a + b).collect();
    let um = panel_matrix(&u, n, t);
    let q = kron_form(&ege, &gram(&um, &sp.bb)) / (s2e * s2e)
        + kron_form(&mixed, &gram(&um, &z0)) / s2e
        + kron_form(&jgj, &gram(&um, &(&z0p * &z0)));
    let tr_z0p = tr(&z0p);
    let dhat = -(tf - 1.0) / tf * (s2e * tr_z0p - nf) + 0.5 * s2e * q;
    let d1 = tr(&(&z0p * &z0p));
    let d2 = tr(&(&z0p * &z0));
    let d3 = tr(&hp);
    let d4 = tr(&(&(&z0php * &z0) * &sp.p));
    let d5 = tr(&(&z0php * &z0));
    let d6 = tr(&(&hp * &hp));
    let d7 = tr(&(&z0php * &z0php));
    let s4 = s2e * s2e;
    let j11 = (nf * (tf - 1.0) / s4 + d1) / 2.0;
    let j12 = tf / 2.0 * d2;
    let j13 = (tf - 1.0) / tf * (s2e * d1 - nf / s2e);
    let j14 = ((tf - 1.0) / s2e * d3 + s2e * d4) / 2.0;
    let j22 = tf * tf / 2.0 * tr(&(&z0 * &z0));
    let j23 = (tf - 1.0) * s2e * d2;
    let j24 = tf / 2.0 * s2e * d5;
    let mut j33 =
        nf / (tf * tf) * (tf.powi(3) - 3.0 * tf * tf + 2.0 * tf + 2.0) + 2.0 * (tf - 1.0).powi(2) * s4 / (tf * tf) * d1;
    if conv == BskConvention::Paper {
        // ½ tr((Ω⁻¹Ω_ψ)²) has the cross term σ²_e tr(J̄GEG) tr(Z0P), tr(J̄GEG) = (2T − 4)/T².
        j33 += s2e * (2.0 * tf - 4.0) / (tf * tf) * tr_z0p;
    }
    let j34 = (tf - 1.0) / tf * (s4 * d4 - d3);
    let j44 = ((tf - 1.0) * d6 + s4 * d7) / 2.0;
    let j = [
        j11, j12, j13, j14, j12, j22, j23, j24, j13, j23, j33, j34, j14, j24, j34, j44,
    ];
    let lm = dhat * dhat * inverse_entry(&j, 2)?;
    Ok((
        lm,
        format!(
            "semre (bsk): phi = {eta:.6}, lambda = {lambda:.6}, logLik = {:.6}",
            m.loglik
        ),
    ))
}

/// C.3 after the semsr fit.
fn test_c3(design: &Design, w: &Weights, conv: BskConvention) -> Result<(f64, String)> {
    let (n, t) = (design.n, design.t);
    check_dense(n, BsjkTest::C3)?;
    let (nf, tf) = (n as f64, t as f64);
    let fit = fit_serial(design, Some(w), SerialModel::Semsr)?;
    let (psi, lambda) = (fit.psi, fit.lambda);
    let u = &fit.resid;
    let s2e = match conv {
        BskConvention::Paper => fit.sigma2,
        BskConvention::Splm => super::dense::dot(u, u) / (nf * tf),
    };
    // g = ι'V⁻¹ι with V = σ²_e V_ψ; splm divides by σ⁴_e (`g.` in pbsjkREtest.R).
    let g = match conv {
        BskConvention::Paper => ar1_iota_form(psi, t) / s2e,
        BskConvention::Splm => ar1_iota_form(psi, t) / (s2e * s2e),
    };
    let sp = spatial(w, lambda)?;
    let vi = ar1_inverse(psi, t);
    let v: Vec<f64> = (0..t).map(|s| vi[s * t..(s + 1) * t].iter().sum()).collect();
    let vjv: Vec<f64> = (0..t * t).map(|q| v[q / t] * v[q % t]).collect();
    let um = panel_matrix(u, n, t);
    let bb2 = &sp.bb * &sp.bb;
    let tr_bb = tr(&sp.bb);
    let dhat = -g / 2.0 * tr_bb + kron_form(&vjv, &gram(&um, &bb2)) / (2.0 * s2e * s2e);
    let hp = &sp.h * &sp.p;
    let d3 = tr(&hp);
    let d6 = tr(&(&hp * &hp));
    let ps2 = 1.0 - psi * psi;
    let j11 = nf * tf / (2.0 * s2e * s2e);
    let j12 = g * tr_bb / (2.0 * s2e);
    let j13 = nf * psi / (s2e * ps2);
    let j14 = tf * d3 / (2.0 * s2e);
    let j22 = g * g * tr(&bb2) / 2.0;
    let j23 = tr_bb / (s2e * (1.0 + psi)) * ((2.0 - tf) * psi * psi + (tf - 1.0) + psi);
    let j24 = g / 2.0 * tr(&sp.h);
    let j33 = nf / (ps2 * ps2) * (3.0 * psi * psi - tf * psi * psi + tf - 1.0);
    let j34 = psi * d3 / ps2;
    let j44 = tf * d6 / 2.0;
    let j = [
        j11, j12, j13, j14, j12, j22, j23, j24, j13, j23, j33, j34, j14, j24, j34, j44,
    ];
    let lm = dhat * dhat * inverse_entry(&j, 1)?;
    Ok((
        lm,
        format!(
            "semsr: lambda = {lambda:.6}, psi = {psi:.6}, logLik = {:.6}",
            fit.loglik
        ),
    ))
}

/// One BSJK test of `design` with W `w` (aligned to the design's units first) under `conv`
/// (module documentation). χ²(3) for J, χ²(1) for C.1–C.3; `params` names the restricted fit.
pub fn bsjk_test(design: &Design, w: &Weights, test: BsjkTest, conv: BskConvention) -> Result<SpecTest> {
    let w = w.aligned_to(&design.ids)?;
    if !design.intercept {
        return Err(Error::invalid(
            "bsjktest works on the pooled regression with intercept; drop '- 1' / '+ 0' from the formula",
        ));
    }
    let (lm, note, df) = match test {
        BsjkTest::J => (test_j(design, &w)?, None, 3.0),
        BsjkTest::C1 => {
            let (lm, s) = test_c1(design, &w, conv)?;
            (lm, Some(s), 1.0)
        }
        BsjkTest::C2 => {
            let (lm, s) = test_c2(design, &w, conv)?;
            (lm, Some(s), 1.0)
        }
        BsjkTest::C3 => {
            let (lm, s) = test_c3(design, &w, conv)?;
            (lm, Some(s), 1.0)
        }
    };
    let mut out = SpecTest::chi2(test.name(), lm, df);
    out.params = note.into_iter().collect();
    Ok(out)
}

/// Every BSJK test (in [`BsjkTest::ALL`] order).
pub fn bsjk_tests(design: &Design, w: &Weights, conv: BskConvention) -> Result<Vec<SpecTest>> {
    BsjkTest::ALL.iter().map(|&t| bsjk_test(design, w, t, conv)).collect()
}
