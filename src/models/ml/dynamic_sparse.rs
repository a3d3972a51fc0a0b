//! What the dynamic spatial panel needs beyond the static likelihood, on either path
//! (docs/methods.md §14.7): the bias vector, the spectral radius of A = S⁻¹(τI + ηW) and the
//! diagonal of G for the kurtosis term — from the eigenvalues of W (exact path), or, on the
//! sparse path, from sparse factorisations and a Krylov iteration with no eigenvalues of W.
//!
//! Sparse path:
//!
//! * bias: the five traces of `dynamic_bias` over *all* eigenvalues come from
//!   [`dynamic_traces`] (R = ((1 − τ)I − (ρ + η)W)⁻¹ by one more factorisation; exact by sparse
//!   solves when affordable, else Hutchinson with the covariance of the estimates, propagated
//!   to standard errors of the corrections). The eigenvalues the exact path leaves out are
//!   then subtracted term by term: ω = 1 under the Lee–Yu transformation (row-standardised W),
//!   and each unit root (Re a(ω) > 1 − 1/n), whose r = 1/((1 − a)s) is replaced by 1/s. The
//!   unit roots are found among the Ritz values of the Krylov iteration below.
//! * spectral radius: when W = D⁻¹C with C symmetric, the eigenvalues ω of W are real and
//!   a(ω) = (τ + ηω)/(1 − ρω) is monotone between the poles (a' = (η + ρτ)/(1 − ρω)²), so the
//!   radius is max(|a(ω_min)|, |a(ω_max)|): ω_min and ω_max are the extreme Ritz values of
//!   Lanczos (Arnoldi with full re-orthogonalisation) on D^{1/2}WD^{−1/2}, each within its
//!   residual of an eigenvalue. Otherwise Arnoldi on A itself, x ↦ S⁻¹(τx + ηWx) with the
//!   sparse LU of S, and the radius is the largest |Ritz value|, with its residual (a backward
//!   error) reported. The iteration stops when the needed Ritz values have residual below
//!   [`RITZ_TOL`]·max(1, |θ|), the Krylov space is invariant, or at the step limit.
//! * kurtosis term: Σ G_jj² and tr G (of PGP under Lee–Yu) from [`g_diagonal_squares`].

use super::dynamic_bias::{
    a_of, bias_from_sums, bias_vector, div, eigen_terms, spectral_radius, tau_eta, BiasSums, BiasTerms, C,
};
use super::Ctx;
use crate::error::{Error, Result};
use crate::linalg::krylov::{arnoldi, max_steps_for, Ritz};
use crate::linalg::logdet::SparseLogDet;
use crate::linalg::resolvent::Resolvent;
use crate::linalg::traces::{dynamic_traces, g_diagonal_squares, TraceMethod, TraceOptions};
use crate::weights::{Spectrum, Weights};
use std::sync::{Arc, OnceLock};

/// Residual tolerance of the Ritz values used (relative to max(1, |θ|)).
pub const RITZ_TOL: f64 = 1e-10;
/// Largest Krylov dimension (further limited by memory, [`max_steps_for`]).
pub const RITZ_MAX_STEPS: usize = 400;

/// The eigenvalue source of one dynamic fit.
pub(super) enum Spectral<'a> {
    /// Eigenvalues of W (exact path).
    Eigen(Arc<Spectrum>),
    /// Sparse factorisations and Krylov iterations (sparse path).
    Sparse(SparsePath<'a>),
}

/// The sparse path's state: the engine, the trace options and, when W is similar to a
/// symmetric matrix, the Lanczos run on D^{1/2}WD^{−1/2} (computed once).
pub(super) struct SparsePath<'a> {
    w: &'a Weights,
    engine: &'a SparseLogDet,
    opts: TraceOptions,
    sqrt_d: Option<Vec<f64>>,
    lanczos: OnceLock<Ritz>,
}

/// The bias vector with its number of unit roots and, on the sparse path, a note on how the
/// traces were obtained and the covariance of â (stochastic traces only).
pub(super) struct Bias {
    pub a: Vec<f64>,
    pub mm: usize,
    pub note: Option<String>,
    /// Covariance of â (row-major (k+2)²) when the traces were estimated.
    pub cov_a: Option<Vec<f64>>,
}

impl<'a> Spectral<'a> {
    /// The eigenvalues, or the sparse engine of the fit (one of them is set on every path).
    pub fn new(
        w: &'a Weights,
        spectrum: Option<Arc<Spectrum>>,
        sparse: Option<&'a SparseLogDet>,
        opts: TraceOptions,
    ) -> Result<Self> {
        match (spectrum, sparse) {
            (Some(s), _) => Ok(Spectral::Eigen(s)),
            (None, Some(engine)) => Ok(Spectral::Sparse(SparsePath {
                w,
                engine,
                opts,
                sqrt_d: w
                    .facts()
                    .similarity
                    .as_ref()
                    .map(|d| d.iter().map(|v| v.sqrt()).collect()),
                lanczos: OnceLock::new(),
            })),
            (None, None) => Err(Error::invalid(
                "dynamic: a log-determinant engine without the eigenvalues of W or the exact sparse factorisation \
                 (a given engine); use lndet \"eigen\" or \"sparse\"",
            )),
        }
    }

    /// The eigenvalues, on the exact path.
    pub fn spectrum(&self) -> Option<&Arc<Spectrum>> {
        match self {
            Spectral::Eigen(s) => Some(s),
            Spectral::Sparse(_) => None,
        }
    }

    /// The sparse engine, on the sparse path.
    pub fn sparse(&self) -> Option<&'a SparseLogDet> {
        match self {
            Spectral::Eigen(_) => None,
            Spectral::Sparse(p) => Some(p.engine),
        }
    }

    /// The bias vector over [Z (k); ρ; σ²] (module doc).
    pub fn bias(&self, b: &BiasTerms, k: usize) -> Result<Bias> {
        match self {
            Spectral::Eigen(s) => {
                let (a, mm) = bias_vector(s, b, k)?;
                Ok(Bias {
                    a,
                    mm,
                    note: None,
                    cov_a: None,
                })
            }
            Spectral::Sparse(p) => p.bias(b, k),
        }
    }

    /// Spectral radius of A = S⁻¹(τI + ηW) and, on the sparse path, how it was obtained.
    pub fn radius(&self, tau: f64, eta: f64, rho: f64) -> Result<(f64, Option<String>)> {
        match self {
            Spectral::Eigen(s) => Ok((spectral_radius(s, tau, eta, rho), None)),
            Spectral::Sparse(p) => p.radius(tau, eta, rho).map(|(r, note)| (r, Some(note))),
        }
    }

    /// The extreme eigenvalues (ω_min, ω_max) of W on the sparse path when W is similar to a
    /// symmetric matrix (Lanczos Ritz values), for the stability checks of the effects.
    pub fn w_range(&self) -> Result<Option<(f64, f64)>> {
        match self {
            Spectral::Sparse(p) if p.sqrt_d.is_some() => Ok(Some(extremes(p.lanczos()?))),
            _ => Ok(None),
        }
    }
}

/// (min, max) of the real parts of the Ritz values.
fn extremes(r: &Ritz) -> (f64, f64) {
    r.values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v.0), hi.max(v.0))
    })
}

/// Index of the smallest and the largest real Ritz value.
fn extreme_indices(r: &Ritz) -> (usize, usize) {
    let by = |f: fn(f64, f64) -> bool| {
        (0..r.values.len())
            .reduce(|a, b| if f(r.values[b].0, r.values[a].0) { b } else { a })
            .unwrap_or(0)
    };
    (by(|x, y| x < y), by(|x, y| x > y))
}

fn converged(r: &Ritz, i: usize) -> bool {
    r.invariant || r.residuals[i] <= RITZ_TOL * r.values[i].0.hypot(r.values[i].1).max(1.0)
}

impl SparsePath<'_> {
    /// Lanczos on D^{1/2}WD^{−1/2} until both extreme Ritz values converge (computed once).
    fn lanczos(&self) -> Result<&Ritz> {
        if let Some(r) = self.lanczos.get() {
            return Ok(r);
        }
        let s = self.sqrt_d.as_ref().expect("symmetric similarity");
        let n = self.w.n();
        let mut x = vec![0.0; n];
        let r = arnoldi(
            n,
            |v, y| {
                x.iter_mut().zip(v).zip(s).for_each(|((a, b), c)| *a = b / c);
                let wx = self.w.lag(&x);
                y.iter_mut().zip(&wx).zip(s).for_each(|((a, b), c)| *a = b * c);
                Ok(())
            },
            max_steps_for(n, RITZ_MAX_STEPS),
            self.opts.seed,
            |r| {
                let (lo, hi) = extreme_indices(r);
                converged(r, lo) && converged(r, hi)
            },
        )?;
        Ok(self.lanczos.get_or_init(|| r))
    }

    /// Arnoldi on A = S⁻¹(τI + ηW) until the Ritz value of largest modulus and those with real
    /// part above `above` (and the next one) converge.
    fn arnoldi_a(&self, tau: f64, eta: f64, rho: f64, above: f64) -> Result<Ritz> {
        let f = self.engine.factorize(rho)?;
        let n = self.w.n();
        arnoldi(
            n,
            |v, y| {
                let wv = self.w.lag(v);
                y.iter_mut()
                    .zip(v)
                    .zip(&wv)
                    .for_each(|((a, b), c)| *a = tau * b + eta * c);
                f.solve_in_place(y)
            },
            max_steps_for(n, RITZ_MAX_STEPS),
            self.opts.seed,
            |r| {
                let modulus = |i: usize| r.values[i].0.hypot(r.values[i].1);
                let top = (0..r.values.len()).max_by(|&a, &b| modulus(a).total_cmp(&modulus(b)));
                let mut order: Vec<usize> = (0..r.values.len()).collect();
                order.sort_by(|&a, &b| r.values[b].0.total_cmp(&r.values[a].0));
                let k = order.iter().take_while(|&&i| r.values[i].0 > above).count();
                top.is_none_or(|t| converged(r, t)) && order.iter().take(k + 1).all(|&i| converged(r, i))
            },
        )
    }

    fn radius(&self, tau: f64, eta: f64, rho: f64) -> Result<(f64, String)> {
        if self.sqrt_d.is_some() {
            let r = self.lanczos()?;
            let (lo, hi) = extreme_indices(r);
            let (wl, wh) = (r.values[lo].0, r.values[hi].0);
            let abs = |w: f64| {
                let a = a_of((w, 0.0), tau, eta, rho);
                a.0.hypot(a.1)
            };
            return Ok((
                abs(wl).max(abs(wh)),
                format!(
                    "max(|a(omega_min)|, |a(omega_max)|), a(omega) = (tau + eta omega)/(1 - rho omega) monotone; \
                     omega_min = {wl:.10}, omega_max = {wh:.10} by Lanczos on the symmetric similar matrix ({} steps, \
                     residuals {:.1e}, {:.1e}{})",
                    r.steps,
                    r.residuals[lo],
                    r.residuals[hi],
                    if r.invariant { ", invariant: exact" } else { "" }
                ),
            ));
        }
        let r = self.arnoldi_a(tau, eta, rho, f64::INFINITY)?;
        let (i, radius) = r
            .values
            .iter()
            .map(|v| v.0.hypot(v.1))
            .enumerate()
            .fold((0, 0.0), |acc, (i, m)| if m > acc.1 { (i, m) } else { acc });
        Ok((
            radius,
            format!(
                "largest |Ritz value| of Arnoldi on S^-1(tau I + eta W) with the sparse LU of S ({} steps, residual \
                 {:.1e}{})",
                r.steps,
                r.residuals[i],
                if r.invariant { ", invariant: exact" } else { "" }
            ),
        ))
    }

    /// The eigenvalues ω of W to remove as unit roots (module doc) with their residuals.
    fn unit_roots(&self, b: &BiasTerms, n: f64) -> Result<Vec<(C, f64)>> {
        let (tau, eta) = tau_eta(b);
        let thr = 1.0 - 1.0 / n;
        let nearest_one = |cands: &mut Vec<(C, f64)>| {
            if b.drop_unit {
                let dist = |z: &C| (z.0 - 1.0).hypot(z.1);
                if let Some((i, _)) = cands
                    .iter()
                    .enumerate()
                    .min_by(|x, y| dist(&x.1 .0).total_cmp(&dist(&y.1 .0)))
                {
                    cands.remove(i);
                }
            }
        };
        if self.sqrt_d.is_some() {
            let r = self.lanczos()?;
            let mut all: Vec<(C, f64)> = r.values.iter().map(|v| ((v.0, 0.0), 0.0)).collect();
            all.iter_mut().zip(&r.residuals).for_each(|(a, res)| a.1 = *res);
            nearest_one(&mut all);
            return Ok(all
                .into_iter()
                .filter(|(w, _)| a_of(*w, tau, eta, b.rho).0 > thr)
                .collect());
        }
        let r = self.arnoldi_a(tau, eta, b.rho, thr)?;
        // ω = (a − τ)/(η + aρ) (a is monotone in ω when η + ρτ ≠ 0).
        let mut all: Vec<(C, f64)> = r
            .values
            .iter()
            .zip(&r.residuals)
            .map(|(&a, &res)| (div((a.0 - tau, a.1), (eta + a.0 * b.rho, a.1 * b.rho)), res))
            .collect();
        nearest_one(&mut all);
        Ok(all
            .into_iter()
            .filter(|(w, _)| a_of(*w, tau, eta, b.rho).0 > thr)
            .collect())
    }

    fn bias(&self, b: &BiasTerms, k: usize) -> Result<Bias> {
        let (tau, eta) = tau_eta(b);
        let c = 1.0 - tau;
        let rho_star = (b.rho + eta) / c;
        let s = self.engine.factorize(b.rho)?;
        let r = self.engine.factorize(rho_star).map_err(|e| {
            Error::numeric(format!(
                "dynamic bias correction (sparse path): I − rho* W with rho* = (rho + eta)/(1 − tau) = {rho_star:.6} \
                 cannot be factorised ({e}); use lndet: \"eigen\" or bias_correction: \"none\""
            ))
        })?;
        let tr = dynamic_traces(self.w, &s, &r, c, &self.opts)?;
        let mut sums = tr.values;
        let n_all = self.w.n() as f64;
        let n = if b.drop_unit { n_all - 1.0 } else { n_all };
        let mut removed = Vec::new();
        if b.drop_unit {
            sums.iter_mut()
                .zip(eigen_terms((1.0, 0.0), tau, eta, b.rho, false))
                .for_each(|(s, v)| *s -= v);
        }
        let mut mm = 0;
        if b.unit_root {
            for (w, res) in self.unit_roots(b, n)? {
                let full = eigen_terms(w, tau, eta, b.rho, false);
                let cut = eigen_terms(w, tau, eta, b.rho, true);
                for ((s, f), c) in sums.iter_mut().zip(full).zip(cut) {
                    *s += c - f;
                }
                removed.push(format!("{:.8}{:+.8}i (residual {res:.1e})", w.0, w.1));
                mm += 1;
            }
        }
        let a = bias_from_sums(&BiasSums { sums, n, mm }, b, k)?;
        // ∂â/∂(traces): a_τ = trR/n, a_η = trWR/n, a_ρ = (τ trGR + η trGWR + trG)/n.
        let cov_a = (tr.method == TraceMethod::Stochastic).then(|| {
            let p = k + 2;
            let mut jac = vec![[0.0; 5]; p];
            if b.time_lag {
                jac[0][0] = 1.0 / n;
            }
            if b.space_time_lag {
                jac[usize::from(b.time_lag)][1] = 1.0 / n;
            }
            jac[k] = [0.0, 0.0, tau / n, eta / n, 1.0 / n];
            let mut cov = vec![0.0; p * p];
            for i in 0..p {
                for j in 0..p {
                    cov[i * p + j] = (0..5)
                        .flat_map(|x| (0..5).map(move |y| (x, y)))
                        .map(|(x, y)| jac[i][x] * tr.cov[x][y] * jac[j][y])
                        .sum();
                }
            }
            cov
        });
        let how = match tr.method {
            TraceMethod::Stochastic => format!(
                "Hutchinson, {} Rademacher probes (seed {}); trace se {:?}",
                tr.draws,
                self.opts.seed,
                (0..5)
                    .map(|i| format!("{:.1e}", tr.cov[i][i].sqrt()))
                    .collect::<Vec<_>>()
            ),
            _ => "exact, 3 sparse solves per unit vector".to_string(),
        };
        let mut note = format!(
            "traces tr R, tr WR, tr GR, tr GWR, tr G with R = ((1 - tau) I - (rho + eta) W)^-1 from sparse \
             factorisations at rho = {:.6} and rho* = {rho_star:.6} ({how})",
            b.rho
        );
        if b.drop_unit {
            note.push_str("; the eigenvalue omega = 1 subtracted (Lee-Yu)");
        }
        if b.unit_root {
            note.push_str(&format!(
                "; unit roots removed: {mm}{}",
                if removed.is_empty() {
                    String::new()
                } else {
                    format!(" at omega = {}", removed.join(", "))
                }
            ));
        }
        Ok(Bias {
            a,
            mm,
            note: Some(note),
            cov_a,
        })
    }
}

/// Standard errors of the correction n_eff·V·â when â has covariance `cov_a` (stochastic
/// traces): n_eff·√diag(V Cov(â) V), V the p×p Gaussian inverse information (row-major).
pub(super) fn correction_std_errors(v: &[f64], cov_a: &[f64], n_eff: f64) -> Vec<f64> {
    let p = (v.len() as f64).sqrt().round() as usize;
    (0..p)
        .map(|i| {
            let s: f64 = (0..p)
                .flat_map(|j| (0..p).map(move |l| (j, l)))
                .map(|(j, l)| v[i * p + j] * cov_a[j * p + l] * v[i * p + l])
                .sum();
            n_eff * s.max(0.0).sqrt()
        })
        .collect()
}

/// Σ_j (M_jj)² and tr M for the kurtosis term, M = G = W(I − ρW)⁻¹ or PGP under the Lee–Yu
/// transformation, and on the sparse path a note on how: dense (all of G from the LU), or
/// [`g_diagonal_squares`].
pub(super) fn kurtosis_traces(ctx: &Ctx, res: &Resolvent) -> Result<(f64, f64, Option<String>)> {
    if let Some(f) = res.sparse_factor() {
        let d = g_diagonal_squares(ctx.w, f, ctx.dims.shift, &ctx.trace_opts)?;
        let note = match d.method {
            TraceMethod::Stochastic => format!(
                "sum of squared diagonal of G by {} Rademacher probes (unbiased U-statistic, jackknife se {:.2e}); tr G \
                 (se {:.2e})",
                d.draws, d.std_errors[0], d.std_errors[1]
            ),
            _ => "diagonal of G exact, one sparse solve per unit vector".to_string(),
        };
        return Ok((d.sum_sq, d.trace, Some(note)));
    }
    // G = W S⁻¹, column-major (column j = G e_j); under Lee–Yu P G P.
    let n = ctx.dims.n;
    let mut eye = vec![0.0; n * n];
    for j in 0..n {
        eye[j * n + j] = 1.0;
    }
    let mut g = res.apply_g(&eye)?;
    if ctx.dims.shift {
        // G P: subtract the mean column; then P (G P): subtract each column's mean.
        let mut mean_col = vec![0.0; n];
        for j in 0..n {
            for i in 0..n {
                mean_col[i] += g[j * n + i] / n as f64;
            }
        }
        for j in 0..n {
            let col = &mut g[j * n..(j + 1) * n];
            col.iter_mut().zip(&mean_col).for_each(|(a, b)| *a -= b);
            let cm = col.iter().sum::<f64>() / n as f64;
            col.iter_mut().for_each(|a| *a -= cm);
        }
    }
    let diag2: f64 = (0..n).map(|i| g[i * n + i].powi(2)).sum();
    let trg: f64 = (0..n).map(|i| g[i * n + i]).sum();
    Ok((diag2, trg, None))
}

/// The power traces tr(Wᵏ) of the series effects on the sparse path (as for the static lag
/// models), with the number of terms from the larger of |ρ̂| and the long-run |ρ*|,
/// ρ* = (ρ + η)/(1 − τ) ([`super::series_terms`]), so that the long-run effects are as
/// accurate as the short-run ones.
pub(super) fn attach_power_traces(
    w: &Weights,
    fit: &mut super::SpatialFit,
    tau: f64,
    eta: f64,
    opts: &TraceOptions,
) -> Result<()> {
    let rho = fit.rho().unwrap_or(0.0);
    let rho_star = (rho + eta) / (1.0 - tau);
    let at = if rho_star.is_finite() {
        rho.abs().max(rho_star.abs())
    } else {
        rho.abs()
    };
    let se = fit.rho_index.map_or(0.0, |i| fit.cov(i, i).max(0.0).sqrt());
    let m = super::series_terms(at, se, crate::linalg::cache::spectral_bound(w));
    let pt = crate::linalg::traces::power_traces(w, m, None, opts)?;
    fit.model.info.insert(
        "effects_traces".into(),
        format!(
            "{} (terms for max(|rho|, |rho*|) = {at:.6}, rho* = (rho + eta)/(1 - tau) of the long run)",
            super::assemble::describe_power_traces(&pt, fit)
        ),
    );
    fit.power_traces = Some(Arc::new(pt));
    Ok(())
}
