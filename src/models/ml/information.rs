//! Analytic information matrices of the spatial ML models (docs/methods.md §7.4), in the parameter
//! order [β (β, θ); ρ or λ; σ²], and the dense N×N pieces they need at the estimate.
//!
//! SAR/SDM, with G = W(I − ρW)⁻¹, Ḡ = I_T ⊗ G and Z̃ the (demeaned) regressors:
//!
//! ```text
//! I_bb = Z̃'Z̃/σ²,  I_bρ = Z̃'ḠZ̃b/σ²,  I_ρρ = T·tr(GG + G'G) + ‖ḠZ̃b‖²/σ²,
//! I_ρσ² = T·tr(G)/σ²,  I_σ²σ² = NT/(2σ⁴),  I_bσ² = 0.
//! ```
//!
//! SEM/SDEM: I_bb = X*'X*/σ² with X* = X̃ − λ(WX)~; I_λλ = T·tr(GG + G'G); I_λσ² = T·tr(G)/σ²;
//! I_σ²σ² = NT/(2σ⁴); I_bλ = I_bσ² = 0.
//!
//! On the exact eigenvalue path tr(G) = Σ ω/(1−ρω) and tr(G²) = Σ ω²/(1−ρω)² come from the
//! eigenvalues and tr(G'G) = ‖G‖²_F from the dense [`Resolvent`]. On the sparse path
//! (no eigenvalues, no N×N object) the sparse factorisation of I − ρ̂W gives them through
//! [`crate::linalg::traces::g_traces_sparse`]: exact from N sparse solves when affordable,
//! else finite differences of the exact log-determinant and a Hutchinson estimate, with their
//! errors reported. Under the Lee–Yu transformation with time effects (W* = F'WF, whose
//! eigenvalues are those of W without the unit one, and G* = F'GF) the traces become
//! tr(G) − 1/(1−ρ), tr(G²) − 1/(1−ρ)² and ‖G‖²_F − ‖G'ι‖²/N (row-standardised W).

use super::Ctx;
use crate::error::Result;
use crate::linalg::resolvent::Resolvent;
use crate::linalg::traces::{spectrum_g_traces, GTraces, TraceMethod};

/// The factorisation of I − ρW at ρ for the information matrix and the fit measures: the dense
/// LU when the eigenvalues are in use (or no sparse engine exists), else the sparse one — the
/// search's own factorisation at ρ when it kept it ([`super::Jacobian::take_factor`]; counted
/// as `factorisation_reused`), else a new one.
pub(crate) fn resolvent_at<'a>(ctx: &Ctx<'a>, rho: f64) -> Result<Resolvent<'a>> {
    match (ctx.spectrum, ctx.sparse) {
        (None, Some(engine)) => match ctx.jac.take_factor(rho) {
            Some(f) => {
                ctx.clock.count("factorisation_reused", 1);
                Ok(Resolvent::sparse(ctx.w, f))
            }
            None => {
                ctx.clock.count("factorisations", 1);
                Resolvent::factorize(ctx.w, engine, rho)
            }
        },
        _ => Resolvent::dense(ctx.w, rho),
    }
}

/// The trace terms of the information matrix at one ρ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traces {
    /// tr(G).
    pub g: f64,
    /// tr(G²).
    pub gg: f64,
    /// tr(G'G).
    pub gtg: f64,
}

/// The information-matrix traces at the ρ of `at` and, on the sparse path, a note on how they
/// were obtained and their accuracy. tr G and tr G² come from the eigenvalues when the fit uses
/// them, tr G'G (and the rest) from the resolvent ([`Resolvent::traces`]); under the Lee–Yu
/// transformation with time effects (`ctx.dims.shift`) they are shifted by
/// [`GTraces::lee_yu_time`].
pub(crate) fn traces_at(ctx: &Ctx, at: &Resolvent) -> Result<(Traces, Option<String>)> {
    let (mut gt, c2) = ctx.clock.time("traces", || at.traces(&ctx.trace_opts))?;
    if gt.method == TraceMethod::FiniteDifference {
        // ln|I − ρW| at ρ ± h and ρ ± 2h.
        ctx.clock.count("factorisations", 4);
    }
    let note = (!at.is_dense()).then(|| describe_traces(&gt));
    if let (true, Some(spec)) = (at.is_dense(), ctx.spectrum) {
        let (g, gg) = spectrum_g_traces(spec, at.rho())?;
        gt.tr_g = g;
        gt.tr_gg = gg;
    }
    if ctx.dims.shift {
        gt = gt.lee_yu_time(c2, ctx.w.n());
    }
    Ok((
        Traces {
            g: gt.tr_g,
            gg: gt.tr_gg,
            gtg: gt.tr_gtg,
        },
        note,
    ))
}

/// How the sparse-path traces were obtained, with their errors.
pub fn describe_traces(gt: &GTraces) -> String {
    let [a, b, c] = gt.std_errors;
    match gt.method {
        TraceMethod::FiniteDifference => format!(
            "tr G = {:.6} and tr GG = {:.6} from 5-point differences of the exact log-determinant (error estimates {a:.1e}, {b:.1e}); tr G'G = {:.6} (se {c:.1e}{})",
            gt.tr_g,
            gt.tr_gg,
            gt.tr_gtg,
            if gt.draws > 0 {
                format!(", Hutchinson correction with {} Rademacher probes", gt.draws)
            } else {
                ", = tr GG for symmetric W".to_string()
            }
        ),
        m => format!(
            "tr G = {:.6}, tr GG = {:.6}, tr G'G = {:.6}: exact ({})",
            gt.tr_g,
            gt.tr_gg,
            gt.tr_gtg,
            m.name()
        ),
    }
}

/// SAR/SDM information (row-major, (k+2)²) given Z̃'Z̃ (`ztz`, k×k), Z̃'ḠZ̃b (`z_gzb`),
/// ‖ḠZ̃b‖² (`gzb2`, the demeaned version for `information: "full"`), the traces, σ², the
/// effective number of periods `t` and observations `nt`.
#[allow(clippy::too_many_arguments)]
pub fn lag_information(ztz: &[f64], z_gzb: &[f64], gzb2: f64, tr: &Traces, sigma2: f64, t: f64, nt: f64) -> Vec<f64> {
    let k = z_gzb.len();
    let p = k + 2;
    let mut m = vec![0.0; p * p];
    for i in 0..k {
        for j in 0..k {
            m[i * p + j] = ztz[i * k + j] / sigma2;
        }
        m[i * p + k] = z_gzb[i] / sigma2;
        m[k * p + i] = z_gzb[i] / sigma2;
    }
    m[k * p + k] = t * (tr.gg + tr.gtg) + gzb2 / sigma2;
    m[k * p + k + 1] = t * tr.g / sigma2;
    m[(k + 1) * p + k] = t * tr.g / sigma2;
    m[(k + 1) * p + k + 1] = nt / (2.0 * sigma2 * sigma2);
    m
}

/// SEM/SDEM information (row-major, (k+2)²) given X*'X* (`xsxs`, k×k).
pub fn error_information(xsxs: &[f64], k: usize, tr: &Traces, sigma2: f64, t: f64, nt: f64) -> Vec<f64> {
    let p = k + 2;
    let mut m = vec![0.0; p * p];
    for i in 0..k {
        for j in 0..k {
            m[i * p + j] = xsxs[i * k + j] / sigma2;
        }
    }
    m[k * p + k] = t * (tr.gg + tr.gtg);
    m[k * p + k + 1] = t * tr.g / sigma2;
    m[(k + 1) * p + k] = t * tr.g / sigma2;
    m[(k + 1) * p + k + 1] = nt / (2.0 * sigma2 * sigma2);
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::traces::TraceOptions;
    use crate::weights::{Standardization, Weights};

    #[test]
    fn traces_match_dense_two_unit() {
        // W = [[0,1],[1,0]]: tr(G) = 2ρ/(1−ρ²) (docs/methods.md App. B); G symmetric so tr(G'G) = tr(G²).
        let ids = vec!["a".to_string(), "b".to_string()];
        let w = Weights::from_triplets(ids, &[(0, 1, 1.0), (1, 0, 1.0)], Standardization::Row, false).unwrap();
        let rho = 0.4;
        let s = w.spectrum().unwrap();
        let d = Resolvent::dense(&w, rho).unwrap();
        let (g, gg) = spectrum_g_traces(&s, rho).unwrap();
        let gtg = d.traces(&TraceOptions::default()).unwrap().0.tr_gtg;
        assert!((g - 2.0 * rho / (1.0 - rho * rho)).abs() < 1e-14);
        assert!((gg - gtg).abs() < 1e-13);
        let gv = d.apply_g(&[1.0, 0.0]).unwrap();
        // G = [[ρ,1],[1,ρ]]/(1−ρ²).
        assert!((gv[0] - rho / (1.0 - rho * rho)).abs() < 1e-14 && (gv[1] - 1.0 / (1.0 - rho * rho)).abs() < 1e-14);
    }
}
