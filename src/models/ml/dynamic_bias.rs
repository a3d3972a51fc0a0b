//! The leading bias of the dynamic QML estimates and the stability measure, from the
//! eigenvalues of W (docs/methods.md §14.1–14.3).
//!
//! Every matrix in the bias of Yu, de Jong & Lee (2008) is a rational function of W: with
//! S = I − ρW, G = WS⁻¹, A = S⁻¹(τI + ηW) and R = (I − A)⁻¹S⁻¹,
//!
//! ```text
//! a_τ = tr(R)/n,  a_η = tr(WR)/n,  a_ρ = τ tr(GR)/n + η tr(GWR)/n + tr(G)/n,  a_σ² = 1/(2σ²),  a_β = a_θ = 0
//! ```
//!
//! so for eigenvalues ω_i of W (complex ones included; tr f(W) = Σ f(ω_i)), with s_i = 1 − ρω_i,
//! a_i = (τ + ηω_i)/s_i and r_i = 1/((1 − a_i)s_i), tr(R) = Σ r_i, tr(WR) = Σ ω_i r_i,
//! tr(GR) = Σ ω_i r_i/s_i, tr(GWR) = Σ ω_i² r_i/s_i, tr(G) = Σ ω_i/s_i.
//!
//! Lee–Yu transformation (row-standardised W): the transformed matrices are F'f(W)F, whose
//! eigenvalues are those of f(W) without the one at ω = 1, and n = N − 1.
//!
//! Unit-root adjustment (SDPDmod's Lee–Yu branch, individual and two-way; docs/methods.md
//! §14.3): the eigenvalues of A with real part above 1 − 1/n (there are `mm` of them) are
//! removed from A before R is formed (their r_i become 1/s_i), and (mm/n)·T/(2(1 − ρ)) is
//! added to a_τ, a_η and a_ρ — for τ and η together or η alone; SDPDmod makes no addition
//! for τ alone, and neither does this. For a stable estimate far from the unit root mm = 0.

use super::Spectrum;
use crate::error::{Error, Result};

/// The parameters the bias vector is evaluated at, and how.
pub(crate) struct BiasTerms {
    pub tau: f64,
    pub eta: f64,
    pub rho: f64,
    pub sigma2: f64,
    /// τ y_{t−1} in the model (its coefficient first in Z).
    pub time_lag: bool,
    /// η W y_{t−1} in the model (after τ in Z).
    pub space_time_lag: bool,
    /// Lee–Yu transformation: drop the eigenvalue ω = 1, n = N − 1.
    pub drop_unit: bool,
    /// Apply the unit-root adjustment.
    pub unit_root: bool,
    /// Estimation periods T.
    pub t: f64,
}

pub(crate) type C = (f64, f64);

pub(crate) fn mul(a: C, b: C) -> C {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

pub(crate) fn div(a: C, b: C) -> C {
    let d = b.0 * b.0 + b.1 * b.1;
    ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
}

/// The eigenvalues used: all, or all but the one nearest to 1 (Lee–Yu transformation).
fn eigenvalues(spec: &Spectrum, drop_unit: bool) -> Vec<C> {
    let mut ev: Vec<C> = spec.re.iter().copied().zip(spec.im.iter().copied()).collect();
    if drop_unit {
        let dist = |z: &C| (z.0 - 1.0).hypot(z.1);
        if let Some((i, _)) = ev.iter().enumerate().min_by(|a, b| dist(a.1).total_cmp(&dist(b.1))) {
            ev.remove(i);
        }
    }
    ev
}

/// The eigenvalue's value of A = S⁻¹(τI + ηW): a = (τ + ηω)/(1 − ρω).
pub(crate) fn a_of(w: C, tau: f64, eta: f64, rho: f64) -> C {
    div((tau + eta * w.0, eta * w.1), (1.0 - rho * w.0, -rho * w.1))
}

/// One eigenvalue ω's terms of the traces [tr R, tr WR, tr GR, tr GWR, tr G] (real parts of
/// r, ωr, ωr/s, ω²r/s, ω/s; module doc), with r = 1/s when the eigenvalue is `removed` as a
/// unit root. τ and η are zero when the model lacks them.
pub(crate) fn eigen_terms(w: C, tau: f64, eta: f64, rho: f64, removed: bool) -> [f64; 5] {
    let s = (1.0 - rho * w.0, -rho * w.1);
    let a = a_of(w, tau, eta, rho);
    let r = if removed {
        div((1.0, 0.0), s)
    } else {
        div((1.0, 0.0), mul((1.0 - a.0, -a.1), s))
    };
    let g = div(w, s);
    let wr = mul(w, r);
    [r.0, wr.0, mul(g, r).0, mul(g, wr).0, g.0]
}

/// The trace sums of the bias over the eigenvalues kept (module doc): [tr R, tr WR, tr GR,
/// tr GWR, tr G], the number n of eigenvalues, and the number mm of unit roots removed.
pub(crate) struct BiasSums {
    pub sums: [f64; 5],
    pub n: f64,
    pub mm: usize,
}

/// τ and η as they enter A (zero when the model lacks the term).
pub(crate) fn tau_eta(b: &BiasTerms) -> (f64, f64) {
    (
        if b.time_lag { b.tau } else { 0.0 },
        if b.space_time_lag { b.eta } else { 0.0 },
    )
}

/// The bias vector â over [Z coefficients (k); ρ; σ²] from the trace sums (module doc).
/// Error: a non-finite sum (I − A singular at an eigenvalue: a unit root not removed).
pub(crate) fn bias_from_sums(bs: &BiasSums, b: &BiasTerms, k: usize) -> Result<Vec<f64>> {
    if bs.sums.iter().any(|v| !v.is_finite()) {
        return Err(Error::numeric(
            "dynamic bias correction: I − A is singular (a unit root of S^-1(tau I + eta W)); use \
             bias_correction: \"none\"",
        ));
    }
    let (tau, eta) = tau_eta(b);
    let [sr, swr, sgr, sgwr, sg] = bs.sums;
    let (n, mm) = (bs.n, bs.mm);
    let mut a = vec![0.0; k + 2];
    let (it, ie) = (0usize, usize::from(b.time_lag));
    if b.time_lag {
        a[it] = sr / n;
    }
    if b.space_time_lag {
        a[ie] = swr / n;
    }
    a[k] = (tau * sgr + eta * sgwr + sg) / n;
    a[k + 1] = 1.0 / (2.0 * b.sigma2);
    if mm > 0 && b.space_time_lag {
        let u = (mm as f64 / n) * b.t / (2.0 * (1.0 - b.rho));
        if b.time_lag {
            a[it] += u;
        }
        a[ie] += u;
        a[k] += u;
    }
    Ok(a)
}

/// The bias vector â over [Z coefficients (k); ρ; σ²] and the number of unit roots removed,
/// from the eigenvalues of W. Error: I − A singular at an eigenvalue (a unit root not removed).
pub(crate) fn bias_vector(spec: &Spectrum, b: &BiasTerms, k: usize) -> Result<(Vec<f64>, usize)> {
    let ev = eigenvalues(spec, b.drop_unit);
    let n = ev.len() as f64;
    let (tau, eta) = tau_eta(b);
    let mut sums = [0.0; 5];
    let mut mm = 0usize;
    for &w in &ev {
        let removed = b.unit_root && a_of(w, tau, eta, b.rho).0 > 1.0 - 1.0 / n;
        mm += usize::from(removed);
        let t = eigen_terms(w, tau, eta, b.rho, removed);
        if t.iter().any(|v| !v.is_finite()) {
            sums[0] = f64::NAN;
        }
        sums.iter_mut().zip(t).for_each(|(s, v)| *s += v);
    }
    let a = bias_from_sums(&BiasSums { sums, n, mm }, b, k)?;
    Ok((a, mm))
}

/// Spectral radius of A = S⁻¹(τI + ηW): max_i |(τ + ηω_i)/(1 − ρω_i)| over all eigenvalues of W
/// (docs/methods.md §14.1).
pub fn spectral_radius(spec: &Spectrum, tau: f64, eta: f64, rho: f64) -> f64 {
    eigenvalues(spec, false)
        .into_iter()
        .map(|w| {
            let a = a_of(w, tau, eta, rho);
            a.0.hypot(a.1)
        })
        .fold(0.0, f64::max)
}
