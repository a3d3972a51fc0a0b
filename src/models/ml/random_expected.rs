//! The analytic **expected** information of the spatial random-effects models
//! (docs/methods.md §11.2, §11.3; option `covariance: "expected"`), in the parameter order
//! (β, ρ or λ, φ, σ²_ν) with φ = σ²_μ/σ²_ν.
//!
//! SAR-RE / SDM-RE (§11.2), with G = W(I − ρW)⁻¹, Ḡ = I_T ⊗ G, s = θ_E² = 1/(1 + Tφ) and the
//! quasi-demeaning a* = a − (1 − √s)ā_i· (so a*'b* = C_W(a, b) + s·C_B(a, b), §11.7):
//!
//! ```text
//! I_ββ = Z*'Z*/σ²,   I_βρ = Z*'(ḠZβ)*/σ²,   I_βφ = I_βσ² = 0
//! I_ρρ = ‖(ḠZβ)*‖²/σ² + T tr(GG + G'G),   I_ρφ = T tr(G)/(1 + Tφ),   I_ρσ² = T tr(G)/σ²
//! I_φφ = NT²/(2(1 + Tφ)²),   I_φσ² = NT/(2σ²(1 + Tφ)),   I_σ²σ² = NT/(2σ⁴)
//! ```
//!
//! Every entry but I_βφ and I_ρφ equals the observed information at the MLE (their observed
//! counterparts have a zero-mean random part; METHODS §11.2 "†").
//!
//! SEM-RE / SDEM-RE (§11.3): β is orthogonal to (λ, φ, σ²) with I_ββ = Z'Ω⁻¹Z/σ² (the GLS cross
//! products), and, with H = W B⁻¹ (B = I − λW):
//!
//! ```text
//! KKP:  I_λλ = T tr(H² + H'H),  I_λφ = T tr(H)/(1 + Tφ),  I_λσ² = T tr(H)/σ²,
//!       I_φφ = NT²/(2(1 + Tφ)²),  I_φσ² = NT/(2σ²(1 + Tφ))
//! BSK:  D = (B'B)⁻¹(W'B + B'W)(B'B)⁻¹,  Γ = (W'B + B'W)(B'B)⁻¹,  V = TφI + (B'B)⁻¹
//!       I_φφ = (T²/2) tr(V⁻²),  I_φλ = (T/2) tr(V⁻²D),  I_λλ = ½[tr((V⁻¹D)²) + (T − 1) tr(Γ²)],
//!       I_φσ² = (T/(2σ²)) tr(V⁻¹),  I_λσ² = (1/(2σ²))[tr(V⁻¹D) + (T − 1) tr(Γ)]
//! ```
//!
//! and I_σ²σ² = NT/(2σ⁴) for both.

use crate::error::{Error, Result};
use crate::models::dense::inverse_spd;
use faer::linalg::solvers::Solve;
use faer::Mat;

/// Largest N for the expected information of the spatial-error random-effects models (dense
/// N × N inverses and products).
pub const EXPECTED_MAX_N: usize = 2000;

/// The pieces of the SAR-RE / SDM-RE expected information at an estimate.
pub struct LagPieces<'a> {
    /// Z*'Z* (k×k, row-major): quasi-demeaned cross products of the Z columns.
    pub zz: &'a [f64],
    /// Z*'(ḠZβ)* (k).
    pub z_gzb: &'a [f64],
    /// ‖(ḠZβ)*‖².
    pub gzb2: f64,
    /// tr G.
    pub tr_g: f64,
    /// tr G².
    pub tr_gg: f64,
    /// tr G'G.
    pub tr_gtg: f64,
    /// N.
    pub n: f64,
    /// T.
    pub t: f64,
    /// φ.
    pub phi: f64,
    /// σ²_ν.
    pub sigma2: f64,
}

/// The (ρ or λ, φ, σ²) block shared by SAR-RE and SEM-RE KKP: (I_ss, I_sφ, I_sσ², I_φφ, I_φσ²,
/// I_σ²σ²) given the spatial–spatial entry `iss` and the trace `tr` (tr G or tr H).
fn variance_block(iss: f64, tr: f64, n: f64, t: f64, phi: f64, sigma2: f64) -> [f64; 6] {
    let a = 1.0 + t * phi;
    [
        iss,
        t * tr / a,
        t * tr / sigma2,
        n * t * t / (2.0 * a * a),
        n * t / (2.0 * sigma2 * a),
        n * t / (2.0 * sigma2 * sigma2),
    ]
}

/// Places the β block `bb` (k×k), the β–spatial column `bs` (k) and the 3×3 block
/// [ss, sφ, sσ², φφ, φσ², σ²σ²] into a (k+3)² row-major matrix.
fn place(bb: &[f64], bs: &[f64], block: [f64; 6], k: usize) -> Vec<f64> {
    let p = k + 3;
    let mut m = vec![0.0; p * p];
    for i in 0..k {
        for j in 0..k {
            m[i * p + j] = bb[i * k + j];
        }
        m[i * p + k] = bs[i];
        m[k * p + i] = bs[i];
    }
    let [ss, sf, sv, ff, fv, vv] = block;
    let set = |m: &mut Vec<f64>, i: usize, j: usize, v: f64| {
        m[i * p + j] = v;
        m[j * p + i] = v;
    };
    set(&mut m, k, k, ss);
    set(&mut m, k, k + 1, sf);
    set(&mut m, k, k + 2, sv);
    set(&mut m, k + 1, k + 1, ff);
    set(&mut m, k + 1, k + 2, fv);
    set(&mut m, k + 2, k + 2, vv);
    m
}

/// The SAR-RE / SDM-RE expected information (module documentation), row-major (k+3)² in the
/// order (β, ρ, φ, σ²_ν).
pub fn lag_expected_information(p: &LagPieces) -> Vec<f64> {
    let k = p.z_gzb.len();
    let s2 = p.sigma2;
    let bb: Vec<f64> = p.zz.iter().map(|v| v / s2).collect();
    let bs: Vec<f64> = p.z_gzb.iter().map(|v| v / s2).collect();
    let iss = p.gzb2 / s2 + p.t * (p.tr_gg + p.tr_gtg);
    place(&bb, &bs, variance_block(iss, p.tr_g, p.n, p.t, p.phi, s2), k)
}

/// SEM-RE / SDEM-RE expected information (module documentation), row-major (k+3)² in the order
/// (β, λ, φ, σ²_ν), from the GLS cross products `zoz` = Z'Ω⁻¹Z (k×k) at (λ, φ), dense W
/// (row-major N×N) and T. `bsk` selects the Baltagi–Song–Koh structure, else KKP.
#[allow(clippy::too_many_arguments)]
pub fn error_expected_information(
    zoz: &[f64],
    k: usize,
    w: &[f64],
    n: usize,
    t: usize,
    lambda: f64,
    phi: f64,
    sigma2: f64,
    bsk: bool,
) -> Result<Vec<f64>> {
    let (nf, tf) = (n as f64, t as f64);
    let wm = Mat::<f64>::from_fn(n, n, |i, j| w[i * n + j]);
    let b = Mat::<f64>::from_fn(n, n, |i, j| f64::from(i == j) - lambda * w[i * n + j]);
    let inv = |m: &Mat<f64>, what: &str| -> Result<Mat<f64>> {
        let lu = m.partial_piv_lu();
        let id = Mat::<f64>::identity(n, n);
        let x = lu.solve(&id);
        if (0..n).any(|i| (0..n).any(|j| !x[(i, j)].is_finite())) {
            return Err(Error::numeric(format!(
                "expected information: {what} is singular at lambda = {lambda}"
            )));
        }
        Ok(x)
    };
    let tr = |m: &Mat<f64>| (0..n).map(|i| m[(i, i)]).sum::<f64>();
    let tr_prod = |a: &Mat<f64>, b: &Mat<f64>| {
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                s += a[(i, j)] * b[(j, i)];
            }
        }
        s
    };
    let bb: Vec<f64> = zoz.iter().map(|v| v / sigma2).collect();
    let zero = vec![0.0; k];
    let block = if bsk {
        let btb = b.transpose() * &b;
        let btb_inv = inv(&btb, "B'B")?;
        let mid = wm.transpose() * &b + b.transpose() * &wm;
        let gamma = &mid * &btb_inv;
        let d = &btb_inv * &gamma;
        let v = Mat::<f64>::from_fn(n, n, |i, j| tf * phi * f64::from(i == j) + btb_inv[(i, j)]);
        let vi = inv(&v, "V = TφI + (B'B)⁻¹")?;
        let vid = &vi * &d;
        let iff = 0.5 * tf * tf * tr_prod(&vi, &vi);
        let ifl = 0.5 * tf * tr_prod(&vi, &vid);
        let ill = 0.5 * (tr_prod(&vid, &vid) + (tf - 1.0) * tr_prod(&gamma, &gamma));
        let ifv = tf / (2.0 * sigma2) * tr(&vi);
        let ilv = (tr(&vid) + (tf - 1.0) * tr(&gamma)) / (2.0 * sigma2);
        [ill, ifl, ilv, iff, ifv, nf * tf / (2.0 * sigma2 * sigma2)]
    } else {
        let h = &wm * inv(&b, "B = I − λW")?;
        let iss = tf * (tr_prod(&h, &h) + tr_prod(&h.transpose().to_owned(), &h));
        variance_block(iss, tr(&h), nf, tf, phi, sigma2)
    };
    Ok(place(&bb, &zero, block, k))
}

/// Covariance in (β, spatial, ψ = ln φ, σ²_ν) from an information matrix in (β, spatial, φ,
/// σ²_ν) (`info`, (k+3)² row-major): the φ row and column are scaled by φ (I_ψ = φ·I_φ) and the
/// result inverted, so that the callers' delta-method map back to φ applies unchanged.
pub fn psi_covariance(info: &[f64], k: usize, phi: f64) -> Result<Vec<f64>> {
    let p = k + 3;
    let sc = |i: usize| if i == k + 1 { phi } else { 1.0 };
    let m: Vec<f64> = (0..p * p).map(|ij| info[ij] * sc(ij / p) * sc(ij % p)).collect();
    inverse_spd(&m, p, "the expected information of the random-effects likelihood")
}

/// The SAR-RE / SDM-RE expected-information covariance in (β, ρ, ψ, σ²_ν) at the estimate,
/// from the within and between cross products (C_W, C_B; §11.7) of the columns [Z, ḠZβ]
/// (k + 1 columns, row-major), the traces at ρ̂, s = θ_E², N, T, φ and σ²_ν: the quasi-demeaned
/// cross products are C_W + s·C_B.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lag_expected_covariance(
    cw: &[f64],
    cb: &[f64],
    tr: &super::information::Traces,
    s: f64,
    (n, t): (usize, usize),
    phi: f64,
    sigma2: f64,
) -> Result<Vec<f64>> {
    let m = (cw.len() as f64).sqrt().round() as usize;
    let k = m - 1;
    let c: Vec<f64> = cw.iter().zip(cb).map(|(w, b)| w + s * b).collect();
    let zz: Vec<f64> = (0..k * k).map(|ij| c[(ij / k) * m + ij % k]).collect();
    let z_gzb: Vec<f64> = (0..k).map(|i| c[i * m + k]).collect();
    let info = lag_expected_information(&LagPieces {
        zz: &zz,
        z_gzb: &z_gzb,
        gzb2: c[k * m + k],
        tr_g: tr.g,
        tr_gg: tr.gg,
        tr_gtg: tr.gtg,
        n: n as f64,
        t: t as f64,
        phi,
        sigma2,
    });
    psi_covariance(&info, k, phi)
}

/// The SEM-RE / SDEM-RE expected-information covariance in (β, λ, φ, σ²_ν) (φ, not ψ: the
/// error models map nothing afterwards) from the GLS cross products `zoz` = Z'Ω⁻¹Z at
/// (λ̂, φ̂) and W. Dense N×N algebra, so N ≤ [`EXPECTED_MAX_N`].
pub(crate) fn error_expected_covariance(
    zoz: &[f64],
    w: &crate::weights::Weights,
    t: usize,
    (lambda, phi, sigma2): (f64, f64, f64),
    bsk: bool,
) -> Result<Vec<f64>> {
    let n = w.n();
    if n > EXPECTED_MAX_N {
        return Err(Error::invalid(format!(
            "covariance \"expected\" for the spatial-error random-effects models needs dense N × N traces, which \
             spillover computes for N ≤ {EXPECTED_MAX_N} only (N = {n}); use covariance \"observed\""
        )));
    }
    let k = (zoz.len() as f64).sqrt().round() as usize;
    let info = error_expected_information(zoz, k, &w.to_dense(), n, t, lambda, phi, sigma2, bsk)?;
    inverse_spd(
        &info,
        k + 3,
        "the expected information of the random-effects likelihood",
    )
}
