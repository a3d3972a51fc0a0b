//! Exact point effects (docs/methods.md §9): the averages of S(ρ) = (I − ρW)⁻¹ that the effects need,
//! from the eigenvalues ω of W or from the power traces tr(Wᵠ), and the effects built on them.
//!
//! For regressor k, M_k = S(ρ)(β_k I + θ_k W) and
//!
//! ```text
//! ADE_k = tr(M_k)/N   = β_k·s(ρ) + θ_k·s_w(ρ),    s = tr(S)/N,   s_w = tr(SW)/N
//! ATE_k = ι'M_k ι/N   = β_k·a(ρ) + θ_k·a_w(ρ),    a = ι'Sι/N,    a_w = ι'SWι/N
//! AIE_k = ATE_k − ADE_k
//! ```
//!
//! Eigenvalue form (spatialreg `mixedImpacts_e`; real part for complex ω):
//! s = (1/N) Σ 1/(1 − ρω), s_w = (1/N) Σ ω/(1 − ρω), and the ρ-derivatives
//! s' = tr(SWS)/N = (1/N) Σ ω/(1 − ρω)², s_w' = tr(SWSW)/N = (1/N) Σ ω²/(1 − ρω)².
//!
//! Power-series form (spatialreg `trW` + `lagImpacts`): S = Σ_q ρᵠ Wᵠ, so
//! s = Σ_{q=0}^{m} ρᵠ t_q/N and s_w = Σ_{q=0}^{m−1} ρᵠ t_{q+1}/N with t_q = tr(Wᵠ).
//!
//! Totals: for row-stochastic W, a = a_w = 1/(1 − ρ) (ATE = (β + θ)/(1 − ρ)); otherwise from the
//! row-sum moments μ_q = ι'Wᵠι/N: a = Σ ρᵠ μ_q, a_w = Σ ρᵠ μ_{q+1}.
//!
//! Models without a spatial lag of y are the lag model at ρ = 0: SDEM/SLX give ADE = β + θ·tr(W)/N
//! (= β for a zero diagonal) and ATE = β + θ (row-stochastic W); SEM gives ADE = ATE = β (θ = 0).

use crate::weights::Spectrum;
use std::sync::Arc;

/// The averages of S(ρ) at one ρ, with their derivatives in ρ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Averages {
    /// s = tr(S)/N.
    pub s: f64,
    /// s_w = tr(SW)/N.
    pub sw: f64,
    /// ds/dρ = tr(SWS)/N.
    pub ds: f64,
    /// ds_w/dρ = tr(SWSW)/N.
    pub dsw: f64,
    /// a = ι'Sι/N.
    pub a: f64,
    /// a_w = ι'SWι/N.
    pub aw: f64,
    /// da/dρ.
    pub da: f64,
    /// da_w/dρ.
    pub daw: f64,
}

/// Where the traces of S(ρ) come from.
#[derive(Debug, Clone)]
pub enum TraceSource {
    /// The eigenvalues of W (exact).
    Eigen {
        /// The eigenvalues.
        spectrum: Arc<Spectrum>,
        /// True when every ω is real (the fast path).
        real: bool,
    },
    /// tr(Wᵠ)/N for q = 0..m (truncated power series).
    Series(Vec<f64>),
}

/// How the totals ι'S(βI + θW)ι/N are formed.
#[derive(Debug, Clone, PartialEq)]
pub enum Totals {
    /// Row-stochastic W: ι'Sι/N = ι'SWι/N = 1/(1 − ρ).
    RowStochastic,
    /// Row-sum moments μ_q = ι'Wᵠι/N, q = 0..m (μ_0 = 1).
    Moments(Vec<f64>),
}

/// The averages engine: a trace source plus the totals rule. Each evaluation is O(N) with
/// eigenvalues and O(m) with power series; nothing N×N is ever formed.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// Trace source.
    pub source: TraceSource,
    /// Totals rule.
    pub totals: Totals,
    /// N.
    pub n: usize,
}

/// f(ρ) = Σ_q c_q ρᵠ and f'(ρ) by Horner's rule.
pub fn series(c: &[f64], rho: f64) -> (f64, f64) {
    let mut f = 0.0;
    let mut df = 0.0;
    for &cq in c.iter().rev() {
        df = df * rho + f;
        f = f * rho + cq;
    }
    (f, df)
}

impl Kernel {
    /// A kernel on the eigenvalues of W.
    pub fn eigen(spectrum: Arc<Spectrum>, totals: Totals) -> Kernel {
        let real = spectrum.is_real();
        let n = spectrum.re.len();
        Kernel {
            source: TraceSource::Eigen { spectrum, real },
            totals,
            n,
        }
    }

    /// A kernel on the power traces `traces[q] = tr(Wᵠ)`, q = 0..m (`traces[0]` = N).
    pub fn series(traces: &[f64], totals: Totals) -> Kernel {
        let n = traces.first().copied().unwrap_or(0.0).round().max(0.0) as usize;
        let scale = if n > 0 { 1.0 / n as f64 } else { f64::NAN };
        Kernel {
            source: TraceSource::Series(traces.iter().map(|t| t * scale).collect()),
            totals,
            n,
        }
    }

    /// Short name of the trace source: `"eigen"` or `"series"`.
    pub fn name(&self) -> &'static str {
        match self.source {
            TraceSource::Eigen { .. } => "eigen",
            TraceSource::Series(_) => "series",
        }
    }

    /// The averages at `rho`.
    pub fn at(&self, rho: f64) -> Averages {
        let (s, sw, ds, dsw) = match &self.source {
            TraceSource::Eigen { spectrum, real } => eigen_sums(spectrum, *real, rho),
            TraceSource::Series(c) => {
                let (s, ds) = series(c, rho);
                let (sw, dsw) = series(c.get(1..).unwrap_or(&[]), rho);
                (s, sw, ds, dsw)
            }
        };
        let (a, aw, da, daw) = match &self.totals {
            Totals::RowStochastic => {
                let a = 1.0 / (1.0 - rho);
                (a, a, a * a, a * a)
            }
            Totals::Moments(mu) => {
                let (a, da) = series(mu, rho);
                let (aw, daw) = series(mu.get(1..).unwrap_or(&[]), rho);
                (a, aw, da, daw)
            }
        };
        Averages {
            s,
            sw,
            ds,
            dsw,
            a,
            aw,
            da,
            daw,
        }
    }
}

/// (1/N)(Σ 1/(1−ρω), Σ ω/(1−ρω), Σ ω/(1−ρω)², Σ ω²/(1−ρω)²), real parts
/// ([`crate::linalg::resolvent::spectrum_sums`]).
fn eigen_sums(sp: &Spectrum, real: bool, rho: f64) -> (f64, f64, f64, f64) {
    let [s, sw, ds, dsw] = crate::linalg::resolvent::spectrum_sums(sp, real, rho);
    let n = sp.re.len().max(1) as f64;
    (s / n, sw / n, ds / n, dsw / n)
}

/// One regressor's (ADE, AIE, ATE) at the averages `av`: ADE = β s + θ s_w, ATE = β a + θ a_w.
#[inline]
pub fn effects_at(av: &Averages, beta: f64, theta: f64) -> [f64; 3] {
    let ade = beta * av.s + theta * av.sw;
    let ate = beta * av.a + theta * av.aw;
    [ade, ate - ade, ate]
}

/// Gradients of (ADE, AIE, ATE) with respect to (β, θ, ρ) (docs/methods.md §9 (ii)):
/// ∇ADE = (s, s_w, β s' + θ s_w'), ∇ATE = (a, a_w, β a' + θ a_w'), ∇AIE = ∇ATE − ∇ADE.
pub fn gradients_at(av: &Averages, beta: f64, theta: f64) -> [[f64; 3]; 3] {
    let d = [av.s, av.sw, beta * av.ds + theta * av.dsw];
    let t = [av.a, av.aw, beta * av.da + theta * av.daw];
    [d, [t[0] - d[0], t[1] - d[1], t[2] - d[2]], t]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_unit() -> Arc<Spectrum> {
        Arc::new(Spectrum {
            re: vec![-1.0, 1.0],
            im: vec![0.0, 0.0],
            via_symmetric: true,
        })
    }

    #[test]
    fn two_unit_closed_form() {
        // W = [[0,1],[1,0]]: ADE = (β + ρθ)/(1 − ρ²), ATE = (β + θ)/(1 − ρ) (docs/methods.md App. B).
        let k = Kernel::eigen(two_unit(), Totals::RowStochastic);
        let (b, t, r) = (1.3, -0.4, 0.35);
        let e = effects_at(&k.at(r), b, t);
        assert!((e[0] - (b + r * t) / (1.0 - r * r)).abs() < 1e-14);
        assert!((e[2] - (b + t) / (1.0 - r)).abs() < 1e-14);
    }

    #[test]
    fn series_matches_eigen_and_horner_derivative() {
        let k = Kernel::eigen(two_unit(), Totals::RowStochastic);
        let tr: Vec<f64> = (0..80).map(|q| if q % 2 == 0 { 2.0 } else { 0.0 }).collect();
        let ks = Kernel::series(&tr, Totals::Moments(vec![1.0; 80]));
        let (a, b) = (k.at(0.3), ks.at(0.3));
        for (x, y) in [
            (a.s, b.s),
            (a.sw, b.sw),
            (a.ds, b.ds),
            (a.dsw, b.dsw),
            (a.a, b.a),
            (a.da, b.da),
        ] {
            assert!((x - y).abs() < 1e-12, "{x} vs {y}");
        }
        let (f, df) = series(&[1.0, 2.0, 3.0], 0.5);
        assert!((f - 2.75).abs() < 1e-15 && (df - 5.0).abs() < 1e-15);
    }

    #[test]
    fn directed_three_cycle_complex_spectrum() {
        // W = directed 3-cycle: ω = 1, e^{±2πi/3}; tr(Wᵠ) = 3 when 3 | q, else 0, so
        // tr(S)/N = 1/(1 − ρ³) and tr(SW)/N = ρ²/(1 − ρ³).
        let c = (2.0 * std::f64::consts::PI / 3.0).cos();
        let s3 = (2.0 * std::f64::consts::PI / 3.0).sin();
        let sp = Arc::new(Spectrum {
            re: vec![c, c, 1.0],
            im: vec![-s3, s3, 0.0],
            via_symmetric: false,
        });
        let k = Kernel::eigen(sp, Totals::RowStochastic);
        let r: f64 = 0.7;
        let av = k.at(r);
        assert!((av.s - 1.0 / (1.0 - r.powi(3))).abs() < 1e-14);
        assert!((av.sw - r * r / (1.0 - r.powi(3))).abs() < 1e-14);
        let d = 3.0 * r * r / (1.0 - r.powi(3)).powi(2);
        assert!((av.ds - d).abs() < 1e-13);
        let dw = (2.0 * r * (1.0 - r.powi(3)) + 3.0 * r.powi(4)) / (1.0 - r.powi(3)).powi(2);
        assert!((av.dsw - dw).abs() < 1e-13);
    }

    #[test]
    fn complex_path_equals_real_path_on_real_input() {
        let mut sp = (*two_unit()).clone();
        sp.re = vec![-0.4, 0.2, 1.0];
        sp.im = vec![0.0; 3];
        let a = eigen_sums(&sp, true, 0.6);
        let b = eigen_sums(&sp, false, 0.6);
        assert!((a.0 - b.0).abs() < 1e-15 && (a.1 - b.1).abs() < 1e-15);
        assert!((a.2 - b.2).abs() < 1e-15 && (a.3 - b.3).abs() < 1e-15);
    }
}
