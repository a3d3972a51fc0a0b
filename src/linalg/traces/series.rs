//! Power traces tr(Wᵏ) for the power-series effects: from the eigenvalues, exact by
//! propagating unit vectors, or stochastic.

use super::blocks::{dot, sum_over_blocks, unit_block, Csr, COLUMN_BLOCK};
use super::{mean_se, probes, Probe, TraceMethod, TraceOptions};
use crate::error::{Error, Result};
use crate::linalg::sparse::{similarity_scale, trace};
use crate::weights::{Spectrum, Weights};
use rayon::prelude::*;

/// Stochastic power traces (Barry & Pace 1999, docs/methods.md §4.5): for each probe u_r the estimates
/// N·u_r'Wᵏu_r / u_r'u_r of tr(Wᵏ), k = 1..m, with tr(W) and tr(W²) = Σ w_ij w_ji exact.
/// Returns one row per draw (`[draw][k − 1]`).
/// Errors: see [`probes`].
pub fn stochastic_power_traces(w: &Weights, m: usize, draws: usize, seed: u64, probe: Probe) -> Result<Vec<Vec<f64>>> {
    let n = w.n();
    let tr1 = trace(w.matrix());
    let tr2 = w.traces2().0;
    let csr = Csr::of(w, None);
    let us = probes(n, draws, seed, probe)?;
    // Blocks of PROBE_BLOCK probes stored N×b row-major, so that each entry of W updates b
    // contiguous values (fixed blocks: the result does not depend on the number of threads).
    let blocks: Vec<Vec<Vec<f64>>> = us
        .par_chunks(PROBE_BLOCK)
        .map(|chunk| {
            if crate::interrupt::requested() {
                return Vec::new();
            }
            let b = chunk.len();
            let mut u = vec![0.0; n * b];
            for (c, uc) in chunk.iter().enumerate() {
                for (i, v) in uc.iter().enumerate() {
                    u[i * b + c] = *v;
                }
            }
            let uu: Vec<f64> = chunk.iter().map(|uc| uc.iter().map(|v| v * v).sum()).collect();
            let mut x = u.clone();
            let mut y = vec![0.0; n * b];
            let mut out = vec![Vec::with_capacity(m); b];
            for k in 1..=m {
                csr.apply_block(&x, &mut y, b);
                std::mem::swap(&mut x, &mut y);
                let mut ux = vec![0.0; b];
                if k > 2 {
                    for (urow, xrow) in u.chunks_exact(b).zip(x.chunks_exact(b)) {
                        for c in 0..b {
                            ux[c] += urow[c] * xrow[c];
                        }
                    }
                }
                for (c, o) in out.iter_mut().enumerate() {
                    o.push(match k {
                        1 => tr1,
                        2 => tr2,
                        _ => n as f64 * ux[c] / uu[c],
                    });
                }
            }
            out
        })
        .collect();
    crate::interrupt::check()?;
    Ok(blocks.into_iter().flatten().collect())
}

/// Probes per block of [`stochastic_power_traces`].
const PROBE_BLOCK: usize = 8;

/// tr(Wᵏ), k = 1..m, for the power-series effects (LeSage & Pace 2009; spatialreg `trW`).
#[derive(Debug, Clone, PartialEq)]
pub struct PowerTraces {
    /// tr(Wᵏ) for k = 1..m (`traces[k − 1]`).
    pub traces: Vec<f64>,
    /// Standard errors of the stochastic estimates (zeros when exact; k = 1, 2 are always exact).
    pub std_errors: Vec<f64>,
    /// How they were computed.
    pub method: TraceMethod,
    /// Number of probes (stochastic only, else 0).
    pub draws: usize,
    /// Seed of the probes (stochastic only).
    pub seed: Option<u64>,
    /// N.
    pub n: usize,
    /// Bound r on the spectral radius of W (1 when row-standardised).
    pub radius: f64,
}

impl PowerTraces {
    /// Number of terms m.
    pub fn terms(&self) -> usize {
        self.traces.len()
    }

    /// Bound on the truncation error of the average series (1/N) Σ_{k>m} ρᵏ tr(Wᵏ):
    /// |·| ≤ (|ρ|r)^{m+1} / (1 − |ρ|r), since |tr(Wᵏ)| ≤ N rᵏ. Infinite when |ρ|r ≥ 1.
    pub fn truncation_bound(&self, rho: f64) -> f64 {
        let a = rho.abs() * self.radius;
        if a >= 1.0 {
            return f64::INFINITY;
        }
        a.powi(self.terms() as i32 + 1) / (1.0 - a)
    }

    /// Largest standard error of the average traces tr(Wᵏ)/N (0 when exact): an accuracy
    /// estimate of the stochastic traces.
    pub fn max_std_error_per_unit(&self) -> f64 {
        self.std_errors.iter().fold(0.0f64, |a, b| a.max(*b)) / self.n.max(1) as f64
    }
}

/// tr(Wᵏ), k = 1..m: exact from `spectrum` when given (Σ Re ωᵏ); else exact by propagating
/// the unit vectors (see [`exact_power_traces`]) when the cost stays within
/// `opts.exact_flop_budget`; else stochastic with `opts.draws` Rademacher probes seeded with
/// `opts.seed` (k = 1, 2 exact).
pub fn power_traces(w: &Weights, m: usize, spectrum: Option<&Spectrum>, opts: &TraceOptions) -> Result<PowerTraces> {
    let n = w.n();
    let radius = crate::linalg::cache::spectral_bound(w);
    let done = |traces: Vec<f64>, std_errors: Vec<f64>, method, draws, seed| PowerTraces {
        traces,
        std_errors,
        method,
        draws,
        seed,
        n,
        radius,
    };
    if let Some(s) = spectrum {
        if s.re.len() != n {
            return Err(Error::invalid(format!(
                "power traces: the spectrum has {} eigenvalues but W has N = {n} units",
                s.re.len()
            )));
        }
        return Ok(done(
            spectrum_power_traces(s, m),
            vec![0.0; m],
            TraceMethod::Eigen,
            0,
            None,
        ));
    }
    if let Some(t) = exact_power_traces(w, m, opts.exact_flop_budget) {
        return Ok(done(t, vec![0.0; m], TraceMethod::SparseProducts, 0, None));
    }
    if opts.draws < 2 {
        return Err(Error::invalid(format!(
            "power traces: draws = {} but the stochastic estimator needs at least 2 probes",
            opts.draws
        )));
    }
    let rows = stochastic_power_traces(w, m, opts.draws, opts.seed, Probe::Rademacher)?;
    let mut traces = Vec::with_capacity(m);
    let mut ses = Vec::with_capacity(m);
    for k in 0..m {
        let col: Vec<f64> = rows.iter().map(|r| r[k]).collect();
        let (mean, se) = mean_se(&col);
        traces.push(mean);
        ses.push(if k < 2 { 0.0 } else { se });
    }
    Ok(done(traces, ses, TraceMethod::Stochastic, opts.draws, Some(opts.seed)))
}

/// Σ_i Re(ω_iᵏ), k = 1..m.
fn spectrum_power_traces(s: &Spectrum, m: usize) -> Vec<f64> {
    let mut out = vec![0.0; m];
    for (&a, &b) in s.re.iter().zip(&s.im) {
        let (mut pr, mut pi) = (1.0f64, 0.0f64);
        for slot in out.iter_mut() {
            let r = pr * a - pi * b;
            pi = pr * b + pi * a;
            pr = r;
            *slot += pr;
        }
    }
    out
}

/// Multiply–adds of [`exact_power_traces`] for `m` terms.
pub fn exact_power_traces_cost(w: &Weights, m: usize) -> f64 {
    let per = if similarity_scale(w).is_some() {
        m.div_ceil(2)
    } else {
        m
    };
    w.n() as f64 * per as f64 * w.nnz().max(1) as f64
}

/// Exact tr(Wᵏ), k = 1..m, by propagating the unit vectors e_j in blocks (no N×N object), or
/// `None` when the cost ([`exact_power_traces_cost`]) exceeds `budget` multiply–adds.
///
/// * W = D⁻¹C with C symmetric: tr(Wᵏ) = tr(Sᵏ), S = D^{1/2}WD^{−1/2} symmetric, and with
///   x_h = Sʰe_j: tr(S²ʰ) = Σ_j x_h'x_h, tr(S²ʰ⁺¹) = Σ_j x_h'x_{h+1} (⌈m/2⌉ products per column).
/// * Otherwise tr(Wᵏ) = Σ_j (Wᵀ^⌊k/2⌋e_j)'(W^⌈k/2⌉e_j) (m products per column).
pub fn exact_power_traces(w: &Weights, m: usize, budget: f64) -> Option<Vec<f64>> {
    if m == 0 {
        return Some(Vec::new());
    }
    if exact_power_traces_cost(w, m) > budget {
        return None;
    }
    let n = w.n();
    let nb = n * COLUMN_BLOCK;
    let sqrt_d: Option<Vec<f64>> = similarity_scale(w).map(|d| d.iter().map(|v| v.sqrt()).collect());
    let out = match &sqrt_d {
        Some(sd) => {
            let s = Csr::of(w, Some(sd));
            sum_over_blocks(
                n,
                m,
                || (vec![0.0; nb], vec![0.0; nb]),
                |j0, b, (xv, yv), acc| {
                    let (mut x, mut y) = (&mut xv[..n * b], &mut yv[..n * b]);
                    unit_block(x, n, j0, b);
                    // acc[k − 1] += contribution to tr(Sᵏ); x = x_h, y = x_{h+1}.
                    for h in 0.. {
                        if h >= 1 && 2 * h <= m {
                            acc[2 * h - 1] += dot(x, x);
                        }
                        if 2 * h + 1 > m {
                            break;
                        }
                        s.apply_block(x, y, b);
                        acc[2 * h] += dot(x, y);
                        std::mem::swap(&mut x, &mut y);
                    }
                    Ok(())
                },
            )
        }
        None => {
            let wm = Csr::of(w, None);
            let wt = Csr::transpose_of(w);
            let (a_max, b_max) = (m / 2, m.div_ceil(2));
            sum_over_blocks(
                n,
                m,
                || (vec![vec![0.0; nb]; a_max + 1], vec![0.0; nb], vec![0.0; nb]),
                |j0, b, (ys, x, tmp), acc| {
                    let len = n * b;
                    // ys[a] = Wᵀᵃ E, E the block of unit vectors.
                    unit_block(&mut ys[0][..len], n, j0, b);
                    for a in 1..=a_max {
                        let (lo, hi) = ys.split_at_mut(a);
                        wt.apply_block(&lo[a - 1][..len], &mut hi[0][..len], b);
                    }
                    unit_block(&mut x[..len], n, j0, b);
                    for bb in 1..=b_max {
                        wm.apply_block(&x[..len], &mut tmp[..len], b);
                        std::mem::swap(x, tmp);
                        // k = a + bb with a = bb − 1 or a = bb.
                        for a in [bb - 1, bb] {
                            let k = a + bb;
                            if k <= m && a <= a_max {
                                acc[k - 1] += dot(&ys[a][..len], &x[..len]);
                            }
                        }
                    }
                    Ok(())
                },
            )
        }
    };
    out.ok()
}
