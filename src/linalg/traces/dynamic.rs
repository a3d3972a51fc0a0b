//! The traces of the dynamic spatial panel (docs/methods.md §14.7) from sparse factorisations,
//! with no N×N object and no eigenvalues of W.
//!
//! With S = I − ρW, G = WS⁻¹, A = S⁻¹(τI + ηW) and R = (I − A)⁻¹S⁻¹, the identity
//! (I − A)S = S − τI − ηW gives R = ((1 − τ)I − (ρ + η)W)⁻¹ = (I − ρ*W)⁻¹/(1 − τ) with
//! ρ* = (ρ + η)/(1 − τ): one more sparse factorisation, of I − ρ*W. Every factor is a function
//! of W, so they commute (WS⁻¹ = S⁻¹W), and:
//!
//! * [`dynamic_traces`]: tr R, tr WR, tr GR = tr(WS⁻¹R), tr GWR = tr(W²S⁻¹R) and tr G —
//!   exact from three sparse solves per unit vector (x = Re_j, S⁻¹x, S⁻¹e_j) when they fit
//!   `opts.exact_flop_budget`, else Hutchinson estimates u'Ru, u'WRu, … over `opts.draws`
//!   seeded Rademacher probes u with their covariance (sample covariance / draws).
//! * [`g_diagonal_squares`]: Σ_j (G_jj)² and tr G for the kurtosis term of the covariance,
//!   optionally of PGP, P = I − ιι'/N (Lee–Yu transformation): (PGP)_jj = G_jj − (Gι)_j/N −
//!   (G'ι)_j/N + ι'Gι/N². Exact from one solve per unit vector, else the unbiased
//!   U-statistic (‖Σ_k y_k‖² − Σ_k ‖y_k‖²)/(p(p − 1)) with y_kj = u_kj(Gu_k)_j + δ_j
//!   (E y_kj = the j-th diagonal entry; probes independent), standard error by the jackknife
//!   over probes.

use super::blocks::{dot, lag_transpose, sum_over_blocks, COLUMN_BLOCK};
use super::{column_g_traces_cost, mean_se, probes, Probe, TraceMethod, TraceOptions};
use crate::error::{Error, Result};
use crate::linalg::logdet::sparse::{SparseFactor, SparseLogDet};
use crate::weights::Weights;
use rayon::prelude::*;

/// [tr R, tr WR, tr GR, tr GWR, tr G] (module doc), with the covariance of their estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicTraces {
    /// tr R, tr WR, tr GR, tr GWR, tr G.
    pub values: [f64; 5],
    /// Covariance of the estimates, row-major 5×5 (zeros when exact).
    pub cov: [[f64; 5]; 5],
    /// `SparseSolves` (exact) or `Stochastic`.
    pub method: TraceMethod,
    /// Probes (stochastic only, else 0).
    pub draws: usize,
}

/// Σ_j (M_jj)² and tr M for M = G or PGP (module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalSquares {
    /// Σ_j (M_jj)².
    pub sum_sq: f64,
    /// tr M.
    pub trace: f64,
    /// Standard errors of (sum_sq, trace) (zeros when exact).
    pub std_errors: [f64; 2],
    /// `SparseSolves` (exact) or `Stochastic`.
    pub method: TraceMethod,
    /// Probes (stochastic only, else 0).
    pub draws: usize,
}

/// (W x)_j = Σ_k w_jk x_k.
fn row_dot(w: &Weights, j: usize, x: &[f64]) -> f64 {
    w.matrix()
        .outer_view(j)
        .map_or(0.0, |r| r.iter().map(|(k, v)| v * x[k]).sum())
}

/// Multiply–adds of the exact [`dynamic_traces`] (three solves per unit vector).
pub fn dynamic_traces_cost(w: &Weights, engine: &SparseLogDet) -> f64 {
    3.0 * column_g_traces_cost(w, engine)
}

/// The traces of the module doc at the ρ of `s` (the factorisation of I − ρW) and, with `r` the
/// factorisation of I − ρ*W, R = (I − ρ*W)⁻¹/`c`, c = 1 − τ. Exact when affordable, else
/// stochastic (module doc).
pub fn dynamic_traces(
    w: &Weights,
    s: &SparseFactor<'_>,
    r: &SparseFactor<'_>,
    c: f64,
    opts: &TraceOptions,
) -> Result<DynamicTraces> {
    let n = w.n();
    if dynamic_traces_cost(w, s.engine()) <= opts.exact_flop_budget {
        let nb = n * COLUMN_BLOCK;
        let out = sum_over_blocks(
            n,
            5,
            || (vec![0.0; nb], vec![0.0; 2 * nb]),
            |j0, b, (x, u), acc| {
                let x = &mut x[..n * b];
                let u = &mut u[..2 * n * b];
                x.iter_mut().for_each(|v| *v = 0.0);
                for col in 0..b {
                    x[col * n + j0 + col] = 1.0;
                }
                r.solve_many_in_place(x, b)?;
                x.iter_mut().for_each(|v| *v /= c);
                // u = [R e_j …, e_j …], then S⁻¹u.
                u[..n * b].copy_from_slice(x);
                u[n * b..].iter_mut().for_each(|v| *v = 0.0);
                for col in 0..b {
                    u[n * b + col * n + j0 + col] = 1.0;
                }
                s.solve_many_in_place(u, 2 * b)?;
                for col in 0..b {
                    let j = j0 + col;
                    let xc = &x[col * n..(col + 1) * n];
                    acc[0] += xc[j];
                    acc[1] += row_dot(w, j, xc);
                    let wsx = w.lag(&u[col * n..(col + 1) * n]);
                    acc[2] += wsx[j];
                    acc[3] += row_dot(w, j, &wsx);
                    acc[4] += row_dot(w, j, &u[n * b + col * n..n * b + (col + 1) * n]);
                }
                Ok(())
            },
        )?;
        return Ok(DynamicTraces {
            values: [out[0], out[1], out[2], out[3], out[4]],
            cov: [[0.0; 5]; 5],
            method: TraceMethod::SparseSolves,
            draws: 0,
        });
    }
    if opts.draws < 2 {
        return Err(Error::invalid(format!(
            "dynamic traces: draws = {} but the stochastic estimator needs at least 2 probes",
            opts.draws
        )));
    }
    let rows: Vec<[f64; 5]> = probes(n, opts.draws, opts.seed, Probe::Rademacher)?
        .into_par_iter()
        .map(|u| {
            crate::interrupt::check()?;
            let mut x = u.clone();
            r.solve_in_place(&mut x)?;
            x.iter_mut().for_each(|v| *v /= c);
            let wx = w.lag(&x);
            let mut sx = x.clone();
            s.solve_in_place(&mut sx)?;
            let wsx = w.lag(&sx);
            let wwsx = w.lag(&wsx);
            let mut su = u.clone();
            s.solve_in_place(&mut su)?;
            let wsu = w.lag(&su);
            Ok([dot(&u, &x), dot(&u, &wx), dot(&u, &wsx), dot(&u, &wwsx), dot(&u, &wsu)])
        })
        .collect::<Result<_>>()?;
    let p = rows.len() as f64;
    let mut values = [0.0; 5];
    for (k, v) in values.iter_mut().enumerate() {
        *v = mean_se(&rows.iter().map(|r| r[k]).collect::<Vec<_>>()).0;
    }
    let mut cov = [[0.0; 5]; 5];
    for a in 0..5 {
        for b in 0..5 {
            cov[a][b] = rows
                .iter()
                .map(|r| (r[a] - values[a]) * (r[b] - values[b]))
                .sum::<f64>()
                / ((p - 1.0) * p);
        }
    }
    Ok(DynamicTraces {
        values,
        cov,
        method: TraceMethod::Stochastic,
        draws: opts.draws,
    })
}

/// Σ_j (M_jj)² and tr M for M = G = W(I − ρW)⁻¹ at the ρ of `s`, or M = PGP when `centre`
/// (module doc): exact from one solve per unit vector when the solves fit
/// `opts.exact_flop_budget`, else the unbiased probe estimate with jackknife standard errors.
pub fn g_diagonal_squares(
    w: &Weights,
    s: &SparseFactor<'_>,
    centre: bool,
    opts: &TraceOptions,
) -> Result<DiagonalSquares> {
    let n = w.n();
    let nf = n as f64;
    // δ_j: the shift of the diagonal under the centring.
    let delta: Vec<f64> = if centre {
        let mut one = vec![1.0; n];
        s.solve_in_place(&mut one)?;
        let gi = w.lag(&one);
        let mut gti = lag_transpose(w, &vec![1.0; n]);
        s.solve_transpose_in_place(&mut gti)?;
        let total = gi.iter().sum::<f64>() / (nf * nf);
        gi.iter().zip(&gti).map(|(a, b)| total - a / nf - b / nf).collect()
    } else {
        vec![0.0; n]
    };
    if column_g_traces_cost(w, s.engine()) <= opts.exact_flop_budget {
        let nb = n * COLUMN_BLOCK;
        let out = sum_over_blocks(
            n,
            2,
            || vec![0.0; nb],
            |j0, b, x, acc| {
                let x = &mut x[..n * b];
                x.iter_mut().for_each(|v| *v = 0.0);
                for col in 0..b {
                    x[col * n + j0 + col] = 1.0;
                }
                s.solve_many_in_place(x, b)?;
                for col in 0..b {
                    let j = j0 + col;
                    let d = row_dot(w, j, &x[col * n..(col + 1) * n]) + delta[j];
                    acc[0] += d * d;
                    acc[1] += d;
                }
                Ok(())
            },
        )?;
        return Ok(DiagonalSquares {
            sum_sq: out[0],
            trace: out[1],
            std_errors: [0.0; 2],
            method: TraceMethod::SparseSolves,
            draws: 0,
        });
    }
    if opts.draws < 3 {
        return Err(Error::invalid(format!(
            "diagonal of G: draws = {} but the estimator needs at least 3 probes",
            opts.draws
        )));
    }
    let ys: Vec<Vec<f64>> = probes(n, opts.draws, opts.seed, Probe::Rademacher)?
        .into_par_iter()
        .map(|u| {
            crate::interrupt::check()?;
            let mut x = u.clone();
            s.solve_in_place(&mut x)?;
            let gu = w.lag(&x);
            Ok(u.iter().zip(&gu).zip(&delta).map(|((a, b), d)| a * b + d).collect())
        })
        .collect::<Result<_>>()?;
    let p = ys.len() as f64;
    let mut sum = vec![0.0; n];
    for y in &ys {
        sum.iter_mut().zip(y).for_each(|(a, b)| *a += b);
    }
    let norms: Vec<f64> = ys.iter().map(|y| dot(y, y)).collect();
    let q: f64 = norms.iter().sum();
    let u_stat = (dot(&sum, &sum) - q) / (p * (p - 1.0));
    let loo: Vec<f64> = ys
        .iter()
        .zip(&norms)
        .map(|(y, ny)| {
            let s2: f64 = sum.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
            (s2 - (q - ny)) / ((p - 1.0) * (p - 2.0))
        })
        .collect();
    let lbar = loo.iter().sum::<f64>() / p;
    let jack = ((p - 1.0) / p * loo.iter().map(|v| (v - lbar).powi(2)).sum::<f64>()).sqrt();
    let (trace, se_trace) = mean_se(&ys.iter().map(|y| y.iter().sum::<f64>()).collect::<Vec<_>>());
    Ok(DiagonalSquares {
        sum_sq: u_stat,
        trace,
        std_errors: [jack, se_trace],
        method: TraceMethod::Stochastic,
        draws: opts.draws,
    })
}
