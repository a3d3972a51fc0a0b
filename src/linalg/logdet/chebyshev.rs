//! Chebyshev approximation of ln|I − ρW| (Pace & LeSage 2004; spatialreg `cheb_setup` /
//! `cheb_ldet`; docs/methods.md §4.4).
//!
//! ```text
//! τ_k = tr T_k(W),  T_0 = I, T_1 = W, T_k = 2W T_{k−1} − T_{k−2}
//! x_m = cos(π(m − ½)/(q+1)),  m = 1..q+1
//! c_j(ρ) = (2/(q+1)) Σ_m ln(1 − ρ x_m) cos(π j (m − ½)/(q+1)),  j = 0..q
//! ln|I − ρW| ≈ Σ_{j=0}^{q} c_j(ρ) τ_j − (N/2) c_0(ρ)
//! ```
//!
//! The τ_k are formed at setup from tr(Wⁱ), i ≤ q, through the monomial coefficients of the
//! Chebyshev polynomials (exact sparse products for moderate N, seeded stochastic estimates for
//! large N; see [`crate::linalg::traces::power_traces`]).

use super::LogDet;
use crate::error::{Error, Result};
use crate::linalg::sparse::{similarity_scale, spectral_bound};
use crate::linalg::traces::{power_traces, PowerTraces, TraceMethod, TraceOptions};
use crate::weights::Weights;

/// spatialreg's default order.
pub const DEFAULT_CHEBYSHEV_ORDER: usize = 5;

/// Chebyshev log-determinant engine (option `lndet: "chebyshev"`).
#[derive(Debug, Clone)]
pub struct ChebyshevLogDet {
    n: usize,
    /// τ_k = tr T_k(W), k = 0..q.
    tau: Vec<f64>,
    traces: PowerTraces,
}

/// Monomial coefficients of T_0..T_q: `a[k][i]` is the coefficient of xⁱ in T_k(x).
fn chebyshev_coefficients(q: usize) -> Vec<Vec<f64>> {
    let mut a: Vec<Vec<f64>> = vec![vec![1.0], vec![0.0, 1.0]];
    for k in 2..=q {
        let mut c = vec![0.0; k + 1];
        for (i, v) in a[k - 1].iter().enumerate() {
            c[i + 1] += 2.0 * v;
        }
        for (i, v) in a[k - 2].iter().enumerate() {
            c[i] -= v;
        }
        a.push(c);
    }
    a.truncate(q + 1);
    a
}

impl ChebyshevLogDet {
    /// Sets up order `q` for `w`. W must be similar to a symmetric matrix with eigenvalues in
    /// [−1, 1] (W = D⁻¹C with C symmetric and spectral bound ≤ 1, e.g. row-standardised
    /// symmetric weights), as spatialreg requires; otherwise an error.
    pub fn new(w: &Weights, q: usize, opts: &TraceOptions) -> Result<ChebyshevLogDet> {
        if q == 0 {
            return Err(Error::invalid(
                "lndet \"chebyshev\": order q must be at least 1 (default 5)",
            ));
        }
        if similarity_scale(w).is_none() {
            return Err(Error::invalid(
                "lndet \"chebyshev\": W is not similar to a symmetric matrix (W = D⁻¹C with C symmetric), so its \
                 eigenvalues need not be real; like spatialreg, Chebyshev needs such a W. Use lndet: \"sparse\" \
                 (exact) or \"monte_carlo\"",
            ));
        }
        let r = spectral_bound(w.matrix());
        if r > 1.0 + 1e-10 {
            return Err(Error::invalid(format!(
                "lndet \"chebyshev\": W's eigenvalues must lie in [−1, 1] but its row/column sums reach {r}; \
                 row-standardise W (standardize: \"row\") or use lndet: \"sparse\""
            )));
        }
        let traces = power_traces(w, q, None, opts)?;
        Ok(Self::from_power_traces(w.n(), traces))
    }

    /// The engine from precomputed tr(Wⁱ), i = 1..q (order q = `traces.terms()`).
    pub fn from_power_traces(n: usize, traces: PowerTraces) -> ChebyshevLogDet {
        let q = traces.terms();
        let a = chebyshev_coefficients(q);
        let tau = a
            .iter()
            .map(|c| {
                c.iter()
                    .enumerate()
                    .map(|(i, v)| if i == 0 { v * n as f64 } else { v * traces.traces[i - 1] })
                    .sum()
            })
            .collect();
        ChebyshevLogDet { n, tau, traces }
    }

    /// The order q.
    pub fn order(&self) -> usize {
        self.tau.len() - 1
    }

    /// τ_k = tr T_k(W), k = 0..q.
    pub fn tau(&self) -> &[f64] {
        &self.tau
    }

    /// The power traces the τ were formed from.
    pub fn power_traces(&self) -> &PowerTraces {
        &self.traces
    }
}

impl LogDet for ChebyshevLogDet {
    fn logdet(&self, rho: f64) -> f64 {
        let q = self.order();
        let q1 = (q + 1) as f64;
        let pi = std::f64::consts::PI;
        let logs: Vec<f64> = (1..=q + 1)
            .map(|m| (1.0 - rho * (pi * (m as f64 - 0.5) / q1).cos()).ln())
            .collect();
        let c = |j: usize| {
            (2.0 / q1)
                * logs
                    .iter()
                    .enumerate()
                    .map(|(k, l)| l * (pi * j as f64 * (k as f64 + 0.5) / q1).cos())
                    .sum::<f64>()
        };
        let sum: f64 = self.tau.iter().enumerate().map(|(j, t)| c(j) * t).sum();
        sum - 0.5 * self.n as f64 * c(0)
    }
    fn method(&self) -> &'static str {
        "chebyshev"
    }
    fn error_note(&self) -> Option<String> {
        let traces = match self.traces.method {
            TraceMethod::Stochastic => format!(
                "traces estimated with {} probes (seed {}), largest se of tr(W^k)/N {:.2e}",
                self.traces.draws,
                self.traces.seed.unwrap_or_default(),
                self.traces.max_std_error_per_unit()
            ),
            m => format!("exact traces ({})", m.name()),
        };
        Some(format!(
            "Chebyshev approximation of order q = {} (Pace & LeSage 2004); accurate for |rho| up to about 0.5, \
             less so towards 1 (about 6e-3 at rho = 0.8 with q = 5 on N = 12); {traces}",
            self.order()
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn chebyshev_monomials() {
        // T_5(x) = 16x⁵ − 20x³ + 5x, T_4(x) = 8x⁴ − 8x² + 1.
        let a = super::chebyshev_coefficients(5);
        assert_eq!(a[5], vec![0.0, 5.0, 0.0, -20.0, 0.0, 16.0]);
        assert_eq!(a[4], vec![1.0, 0.0, -8.0, 0.0, 8.0]);
        assert_eq!(super::chebyshev_coefficients(1).len(), 2);
    }
}
