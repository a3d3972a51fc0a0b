//! Traces of G = W(I − ρW)⁻¹ for the information matrix (docs/methods.md §7.4): dense (through
//! [`Resolvent`]), from the eigenvalues, from sparse solves, by finite differences or Hutchinson probes.

use super::blocks::{dot, lag_transpose, sum_over_blocks, Csr, COLUMN_BLOCK};
use super::{mean_se, probes, Probe, TraceMethod, TraceOptions};
use crate::error::{Error, Result};
use crate::linalg::logdet::sparse::{SparseFactor, SparseLogDet};
use crate::linalg::resolvent::Resolvent;
use crate::weights::{Spectrum, Weights};
use rayon::prelude::*;

/// Exact tr G, tr GG, tr G'G and ‖G'ι‖² from the columns of G = (I − ρW)⁻¹W, in blocks of
/// right-hand sides: g_j = G e_j (sparse solves), tr G = Σ_j (g_j)_j, tr G'G = Σ_j ‖g_j‖²,
/// tr GG = Σ_j (G g_j)_j and ‖G'ι‖² = Σ_j (ι'g_j)². When W = D⁻¹C with C symmetric (G' = DGD⁻¹)
/// (G g_j)_j = g_j'(G'e_j) = g_j'D g_j / d_j needs no further solve; otherwise G g_j =
/// (I − ρW)⁻¹W g_j is one more block solve.
fn column_g_traces(w: &Weights, factor: &SparseFactor<'_>) -> Result<[f64; 4]> {
    let n = w.n();
    let d: Option<Vec<f64>> = factor.sqrt_scale().map(|s| s.iter().map(|v| v * v).collect());
    let wt = Csr::transpose_of(w);
    let nb = n * COLUMN_BLOCK;
    let out = sum_over_blocks(
        n,
        4,
        || (vec![0.0; nb], vec![0.0; nb]),
        |j0, b, (g, h), acc| {
            // Column-major block: column c = W e_{j0+c} = column j0 + c of W, then solved.
            let g = &mut g[..n * b];
            g.iter_mut().for_each(|v| *v = 0.0);
            for c in 0..b {
                let j = j0 + c;
                for (&i, &v) in wt.idx[wt.ptr[j]..wt.ptr[j + 1]]
                    .iter()
                    .zip(&wt.val[wt.ptr[j]..wt.ptr[j + 1]])
                {
                    g[c * n + i] = v;
                }
            }
            factor.solve_many_in_place(g, b)?;
            for (c, gc) in g.chunks(n).enumerate() {
                let j = j0 + c;
                acc[0] += gc[j];
                if let Some(d) = &d {
                    acc[1] += gc.iter().zip(d).map(|(x, di)| di * x * x).sum::<f64>() / d[j];
                }
                acc[2] += dot(gc, gc);
                let s: f64 = gc.iter().sum();
                acc[3] += s * s;
            }
            if d.is_none() {
                let h = &mut h[..n * b];
                for (gc, hc) in g.chunks(n).zip(h.chunks_mut(n)) {
                    w.lag_into(gc, hc);
                }
                factor.solve_many_in_place(h, b)?;
                for (c, hc) in h.chunks(n).enumerate() {
                    acc[1] += hc[j0 + c];
                }
            }
            Ok(())
        },
    )?;
    Ok([out[0], out[1], out[2], out[3]])
}

/// Multiply–adds of the exact column traces of [`g_traces_sparse`].
pub fn column_g_traces_cost(w: &Weights, engine: &SparseLogDet) -> f64 {
    let per = 4.0 * engine.factor_nnz() as f64 + 3.0 * w.n() as f64;
    let per = if engine.is_cholesky() {
        per
    } else {
        2.0 * per + w.nnz() as f64
    };
    w.n() as f64 * per
}

/// tr(G), tr(GG), tr(G'G) for G = W(I − ρW)⁻¹ (docs/methods.md §7.4), with standard errors when
/// estimated.
#[derive(Debug, Clone, PartialEq)]
pub struct GTraces {
    /// The ρ they were computed at.
    pub rho: f64,
    /// tr(G).
    pub tr_g: f64,
    /// tr(GG).
    pub tr_gg: f64,
    /// tr(G'G) = ‖G‖_F².
    pub tr_gtg: f64,
    /// Standard errors of (tr G, tr GG, tr G'G); zeros when exact.
    pub std_errors: [f64; 3],
    /// How tr(G'G) was computed (tr G and tr GG are exact whenever a spectrum is given).
    pub method: TraceMethod,
    /// Number of probes (stochastic only, else 0).
    pub draws: usize,
}

/// tr(G), tr(GG), tr(G'G) for G = W(I − ρW)⁻¹ at `rho` (docs/methods.md §7.4).
///
/// * N ≤ `opts.dense_limit`: exact from the dense [`Resolvent`] (one LU of I − ρW and one N×N
///   solve for G'; tr G'G = Σ g_ij²); tr G and tr GG from `spectrum` when given
///   ([`spectrum_g_traces`]), else Σ g_ii and Σ g_ij g_ji from the same G.
/// * Larger N: [`g_traces_stochastic`] (Hutchinson, all three estimated with standard errors)
///   with the sparse factorisation of I − ρW; tr G and tr GG still exact from `spectrum` when
///   given.
pub fn g_traces(w: &Weights, rho: f64, spectrum: Option<&Spectrum>, opts: &TraceOptions) -> Result<GTraces> {
    let n = w.n();
    let mut out = if n <= opts.dense_limit {
        Resolvent::dense(w, rho)?.traces(opts)?.0
    } else {
        let (engine, _) = crate::linalg::cache::sparse_logdet(w)?;
        let factor = engine.factorize(rho)?;
        g_traces_stochastic(w, &factor, opts)?
    };
    if let Some(s) = spectrum {
        let (g, gg) = spectrum_g_traces(s, rho)?;
        out.tr_g = g;
        out.tr_gg = gg;
        out.std_errors[0] = 0.0;
        out.std_errors[1] = 0.0;
    }
    Ok(out)
}

/// tr G = Σ ω/(1−ρω) and tr G² = Σ ω²/(1−ρω)² from the eigenvalues ω of W (real parts of the
/// complex sums; [`crate::linalg::resolvent::spectrum_sums`]). An error when I − ρW is
/// singular (1 − ρω = 0 for some ω).
pub fn spectrum_g_traces(s: &Spectrum, rho: f64) -> Result<(f64, f64)> {
    let [_, g, _, gg] = crate::linalg::resolvent::spectrum_sums(s, s.is_real(), rho);
    if !(g.is_finite() && gg.is_finite()) {
        return Err(Error::numeric(format!(
            "traces of G: I − ρW is singular at rho = {rho}; rho must lie inside the feasible interval"
        )));
    }
    Ok((g, gg))
}

/// Hutchinson estimates of tr G, tr GG, tr G'G with `opts.draws` Rademacher probes u (seeded):
/// v = (I − ρW)⁻¹Wu, z = (I − ρW)⁻¹Wv; tr G ≈ mean u'v, tr GG ≈ mean u'z, tr G'G ≈ mean v'v,
/// each with standard error sd/√p. Reuses the sparse factorisation `factor` of I − ρW.
pub fn g_traces_stochastic(w: &Weights, factor: &SparseFactor<'_>, opts: &TraceOptions) -> Result<GTraces> {
    let rows = probe_g(w, factor, opts, |u, v, z| [dot(u, v), dot(u, z), dot(v, v)])?;
    let stat = |k: usize| mean_se(&rows.iter().map(|r| r[k]).collect::<Vec<_>>());
    let (g, se_g) = stat(0);
    let (gg, se_gg) = stat(1);
    let (gtg, se_gtg) = stat(2);
    Ok(GTraces {
        rho: factor.rho(),
        tr_g: g,
        tr_gg: gg,
        tr_gtg: gtg,
        std_errors: [se_g, se_gg, se_gtg],
        method: TraceMethod::Stochastic,
        draws: opts.draws,
    })
}

/// tr(G), tr(GG), tr(G'G) and ‖G'ι‖² at the ρ of `factor` (G = W(I − ρW)⁻¹; docs/methods.md §7.4),
/// with no N×N object.
///
/// * When the N column solves cost at most `opts.exact_flop_budget` multiply–adds
///   ([`column_g_traces_cost`]): exact from the columns of G (method `SparseSolves`).
/// * Otherwise (method `FiniteDifference`): with f(ρ) = ln|I − ρW| from `engine` (exact),
///   tr G = −f'(ρ) and tr GG = −f''(ρ) by five-point central differences with step h
///   (f(ρ ± h), f(ρ ± 2h): four extra factorisations); their `std_errors` entries hold the
///   difference between the three- and five-point formulas (a conservative error estimate).
///   tr G'G = tr GG for a symmetric W; otherwise tr GG plus the Hutchinson estimate of
///   tr(G'G − GG) = E[v'v − u'z], v = Gu, z = Gv, over `opts.draws` seeded Rademacher probes u
///   (standard error reported). ‖G'ι‖² from one transposed solve.
pub fn g_traces_sparse(
    w: &Weights,
    engine: &SparseLogDet,
    factor: &SparseFactor<'_>,
    opts: &TraceOptions,
) -> Result<(GTraces, f64)> {
    let n = w.n();
    let rho = factor.rho();
    if column_g_traces_cost(w, engine) <= opts.exact_flop_budget {
        let [g, gg, gtg, c2] = column_g_traces(w, factor)?;
        return Ok((
            GTraces {
                rho,
                tr_g: g,
                tr_gg: gg,
                tr_gtg: gtg,
                std_errors: [0.0; 3],
                method: TraceMethod::SparseSolves,
                draws: 0,
            },
            c2,
        ));
    }
    let r = crate::linalg::cache::spectral_bound(w).max(f64::MIN_POSITIVE);
    let room = 1.0 / r - rho.abs();
    let h = (1e-3f64).min(0.2 * room).max(1e-6);
    // The four factorisations run in parallel.
    let at: Vec<Result<f64>> = [rho - 2.0 * h, rho - h, rho + h, rho + 2.0 * h]
        .par_iter()
        .map(|&x| engine.factorize(x).map(|fx| fx.logdet()))
        .collect();
    let mut at = at.into_iter();
    let mut next = || {
        at.next()
            .unwrap_or_else(|| Err(Error::numeric("finite differences: missing value")))
    };
    let (fm2, fm1, fp1, fp2) = (next()?, next()?, next()?, next()?);
    let f0 = factor.logdet();
    let d1_5 = (fm2 - 8.0 * fm1 + 8.0 * fp1 - fp2) / (12.0 * h);
    let d1_3 = (fp1 - fm1) / (2.0 * h);
    let d2_5 = (-fm2 + 16.0 * fm1 - 30.0 * f0 + 16.0 * fp1 - fp2) / (12.0 * h * h);
    let d2_3 = (fp1 - 2.0 * f0 + fm1) / (h * h);
    let (tr_g, tr_gg) = (-d1_5, -d2_5);
    let (se_g, se_gg) = ((d1_5 - d1_3).abs(), (d2_5 - d2_3).abs());
    let mut ones = vec![1.0; n];
    factor.solve_transpose_in_place(&mut ones)?;
    let gt1 = lag_transpose(w, &ones);
    let c2 = dot(&gt1, &gt1);
    if w.is_symmetric() {
        return Ok((
            GTraces {
                rho,
                tr_g,
                tr_gg,
                tr_gtg: tr_gg,
                std_errors: [se_g, se_gg, se_gg],
                method: TraceMethod::FiniteDifference,
                draws: 0,
            },
            c2,
        ));
    }
    let rows = probe_g(w, factor, opts, |u, v, z| dot(v, v) - dot(u, z))?;
    let (diff, se_diff) = mean_se(&rows);
    Ok((
        GTraces {
            rho,
            tr_g,
            tr_gg,
            tr_gtg: tr_gg + diff,
            std_errors: [se_g, se_gg, (se_gg * se_gg + se_diff * se_diff).sqrt()],
            method: TraceMethod::FiniteDifference,
            draws: opts.draws,
        },
        c2,
    ))
}

/// Probes per block of the Hutchinson pass: the factor is read once per block of right-hand
/// sides (fixed, so that the result does not depend on the number of threads).
const PROBE_BLOCK: usize = 8;

/// One Hutchinson pass shared by the stochastic trace estimators: for each of `opts.draws`
/// seeded Rademacher probes u, v = (I − ρW)⁻¹Wu and z = (I − ρW)⁻¹Wv (solves with the reused
/// factorisation, [`PROBE_BLOCK`] probes at a time), mapped by `stat(u, v, z)`; blocks run in
/// parallel, results in probe order.
fn probe_g<T: Send>(
    w: &Weights,
    factor: &SparseFactor<'_>,
    opts: &TraceOptions,
    stat: impl Fn(&[f64], &[f64], &[f64]) -> T + Sync,
) -> Result<Vec<T>> {
    if opts.draws < 2 {
        return Err(Error::invalid(format!(
            "traces of G: draws = {} but the stochastic estimator needs at least 2 probes",
            opts.draws
        )));
    }
    let n = w.n();
    let us = probes(n, opts.draws, opts.seed, Probe::Rademacher)?;
    let blocks: Vec<Result<Vec<T>>> = us
        .par_chunks(PROBE_BLOCK)
        .map(|chunk| {
            crate::interrupt::check()?;
            let b = chunk.len();
            let mut v = vec![0.0; n * b];
            for (u, vc) in chunk.iter().zip(v.chunks_mut(n)) {
                w.lag_into(u, vc);
            }
            factor.solve_many_in_place(&mut v, b)?;
            let mut z = vec![0.0; n * b];
            for (vc, zc) in v.chunks(n).zip(z.chunks_mut(n)) {
                w.lag_into(vc, zc);
            }
            factor.solve_many_in_place(&mut z, b)?;
            Ok(chunk
                .iter()
                .zip(v.chunks(n).zip(z.chunks(n)))
                .map(|(u, (vc, zc))| stat(u, vc, zc))
                .collect())
        })
        .collect();
    let mut out = Vec::with_capacity(opts.draws);
    for blk in blocks {
        out.extend(blk?);
    }
    Ok(out)
}
