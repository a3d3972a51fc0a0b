//! Traces for the information matrix and the effects at any N (METHODS §7.4, §9).
//!
//! * [`g_traces`]: tr(G), tr(GG) and tr(G'G) with G = W(I − ρW)⁻¹ — from the eigenvalues
//!   (tr G = Σ ω/(1−ρω), tr G² = Σ ω²/(1−ρω)²) and one dense solve (tr G'G = ‖G‖_F²) for
//!   N ≤ `dense_limit`; a seeded Hutchinson estimator with sparse solves above it.
//! * [`g_traces_sparse`]: the same from a sparse factorisation of I − ρW, with no N×N object:
//!   exact from N sparse solves when affordable, else tr G and tr GG from finite differences of
//!   the exact log-determinant and tr G'G = tr GG + a Hutchinson estimate of tr(G'G − GG).
//! * [`power_traces`]: tr(Wᵏ), k = 1..m, for the power-series effects (LeSage–Pace, spatialreg
//!   `trW`): exact from the eigenvalues or by propagating unit vectors, else stochastic u'Wᵏu.

use crate::error::{Error, Result};
use crate::linalg::logdet::sparse::{SparseFactor, SparseLogDet};
use crate::linalg::sparse::{similarity_scale, spectral_bound, trace};
use crate::weights::{Spectrum, Weights};
use faer::linalg::solvers::Solve;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Default seed of the stochastic trace estimators.
pub const DEFAULT_TRACE_SEED: u64 = 20_240_917;

/// Options of the trace computations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceOptions {
    /// Largest N for the dense exact path of [`g_traces`] (default 2000).
    pub dense_limit: usize,
    /// Number of random probe vectors of the stochastic estimators (default 50).
    pub draws: usize,
    /// Seed of the probes (ChaCha8).
    pub seed: u64,
    /// Largest number of multiply–adds allowed for the exact sparse computations of
    /// [`power_traces`] and [`g_traces_sparse`] before they switch to the stochastic estimators
    /// (default 10⁹, about half a second).
    pub exact_flop_budget: f64,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            dense_limit: 2000,
            draws: 50,
            seed: DEFAULT_TRACE_SEED,
            exact_flop_budget: 1e9,
        }
    }
}

/// How a set of traces was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMethod {
    /// Exact, from the eigenvalues of W.
    Eigen,
    /// Exact, from a dense N×N solve (tr G'G) and/or the eigenvalues.
    Dense,
    /// Exact, from sparse matrix–vector products (unit vectors propagated through W).
    SparseProducts,
    /// Exact, from N sparse solves with the factorisation of I − ρW.
    SparseSolves,
    /// tr G and tr GG from finite differences of the exact log-determinant (deterministic, error
    /// estimate reported), tr G'G = tr GG + a Hutchinson estimate of tr(G'G − GG).
    FiniteDifference,
    /// Stochastic (Hutchinson / Barry–Pace) with seeded probes; standard errors reported.
    Stochastic,
}

impl TraceMethod {
    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            TraceMethod::Eigen => "eigen",
            TraceMethod::Dense => "dense",
            TraceMethod::SparseProducts => "sparse_products",
            TraceMethod::SparseSolves => "sparse_solves",
            TraceMethod::FiniteDifference => "finite_difference",
            TraceMethod::Stochastic => "stochastic",
        }
    }
}

/// The random probe distribution of a stochastic trace estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// u ~ N(0, I) (Barry & Pace 1999).
    Gaussian,
    /// u_i = ±1 with probability ½ (Hutchinson; smallest variance).
    Rademacher,
}

/// `draws` probe vectors of length `n`, from one ChaCha8 stream seeded with `seed`. Errors:
/// more than the memory budget ([`crate::budget`]), Ctrl-C ([`crate::interrupt`]).
pub fn probes(n: usize, draws: usize, seed: u64, probe: Probe) -> Result<Vec<Vec<f64>>> {
    crate::budget::check_f64(
        &format!("stochastic traces: {draws} probes × N = {n} units"),
        &[draws, n],
        "use fewer draws",
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..draws)
        .map(|_| {
            crate::interrupt::check()?;
            Ok((0..n)
                .map(|_| match probe {
                    Probe::Gaussian => rng.sample::<f64, _>(rand_distr::StandardNormal),
                    Probe::Rademacher => {
                        if rng.random::<bool>() {
                            1.0
                        } else {
                            -1.0
                        }
                    }
                })
                .collect())
        })
        .collect()
}

/// Stochastic power traces (Barry & Pace 1999, METHODS §4.5): for each probe u_r the estimates
/// N·u_r'Wᵏu_r / u_r'u_r of tr(Wᵏ), k = 1..m, with tr(W) and tr(W²) = Σ w_ij w_ji exact.
/// Returns one row per draw (`[draw][k − 1]`).
/// Errors: see [`probes`].
pub fn stochastic_power_traces(w: &Weights, m: usize, draws: usize, seed: u64, probe: Probe) -> Result<Vec<Vec<f64>>> {
    let n = w.n();
    let tr1 = trace(w.matrix());
    let tr2 = w.traces2().0;
    let rows = probes(n, draws, seed, probe)?
        .into_par_iter()
        .map(|u| {
            if crate::interrupt::requested() {
                return Vec::new();
            }
            let uu: f64 = u.iter().map(|v| v * v).sum();
            let mut x = u.clone();
            let mut y = vec![0.0; n];
            let mut out = Vec::with_capacity(m);
            for k in 1..=m {
                w.lag_into(&x, &mut y);
                std::mem::swap(&mut x, &mut y);
                out.push(match k {
                    1 => tr1,
                    2 => tr2,
                    _ => n as f64 * dot(&u, &x) / uu,
                });
            }
            out
        })
        .collect();
    crate::interrupt::check()?;
    Ok(rows)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Mean and standard error (sd/√p, sd with p − 1) of a sample.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let p = xs.len() as f64;
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / p;
    if xs.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (p - 1.0);
    (mean, (var / p).sqrt())
}

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
    let radius = spectral_bound(w.matrix());
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

/// A CSR matrix as plain arrays (for tight matrix–vector loops).
struct Csr {
    ptr: Vec<usize>,
    idx: Vec<usize>,
    val: Vec<f64>,
}

impl Csr {
    /// W itself, or S = D^{1/2} W D^{−1/2} (s_ij = √d_i w_ij / √d_j) when `sqrt_d` is given.
    fn of(w: &Weights, sqrt_d: Option<&[f64]>) -> Csr {
        let m = w.matrix();
        let mut ptr = Vec::with_capacity(m.rows() + 1);
        let mut idx = Vec::with_capacity(m.nnz());
        let mut val = Vec::with_capacity(m.nnz());
        ptr.push(0);
        for (i, row) in m.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                idx.push(j);
                val.push(match sqrt_d {
                    Some(s) => s[i] * v / s[j],
                    None => v,
                });
            }
            ptr.push(idx.len());
        }
        Csr { ptr, idx, val }
    }

    /// Wᵀ as CSR.
    fn transpose_of(w: &Weights) -> Csr {
        let m = w.matrix();
        let n = m.rows();
        let mut count = vec![0usize; n + 1];
        for row in m.outer_iterator() {
            for (j, _) in row.iter() {
                count[j + 1] += 1;
            }
        }
        for j in 0..n {
            count[j + 1] += count[j];
        }
        let mut next = count.clone();
        let mut idx = vec![0usize; m.nnz()];
        let mut val = vec![0.0; m.nnz()];
        for (i, row) in m.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                idx[next[j]] = i;
                val[next[j]] = v;
                next[j] += 1;
            }
        }
        Csr { ptr: count, idx, val }
    }

    /// out = A x.
    fn apply(&self, x: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            let (a, b) = (self.ptr[i], self.ptr[i + 1]);
            *o = self.idx[a..b].iter().zip(&self.val[a..b]).map(|(&j, v)| v * x[j]).sum();
        }
    }
}

/// Columns handled per parallel task of the exact column-by-column traces (a block of unit
/// vectors, stored N×B row-major so that each matrix entry updates B contiguous values);
/// partial sums are reduced in block order, so the result does not depend on the number of
/// threads.
const COLUMN_BLOCK: usize = 32;

impl Csr {
    /// Y = A X for N×B row-major blocks X, Y.
    fn apply_block(&self, x: &[f64], y: &mut [f64], b: usize) {
        if b == COLUMN_BLOCK {
            // Fixed width: the inner loop is unrolled and vectorised.
            for (i, yi) in y.chunks_exact_mut(COLUMN_BLOCK).enumerate() {
                let mut acc = [0.0f64; COLUMN_BLOCK];
                for (&j, &v) in self.idx[self.ptr[i]..self.ptr[i + 1]]
                    .iter()
                    .zip(&self.val[self.ptr[i]..self.ptr[i + 1]])
                {
                    let xj: &[f64; COLUMN_BLOCK] = x[j * COLUMN_BLOCK..(j + 1) * COLUMN_BLOCK]
                        .try_into()
                        .expect("block row has the block width");
                    for c in 0..COLUMN_BLOCK {
                        acc[c] += v * xj[c];
                    }
                }
                yi.copy_from_slice(&acc);
            }
            return;
        }
        for (i, yi) in y.chunks_mut(b).enumerate() {
            yi.iter_mut().for_each(|v| *v = 0.0);
            for (&j, &v) in self.idx[self.ptr[i]..self.ptr[i + 1]]
                .iter()
                .zip(&self.val[self.ptr[i]..self.ptr[i + 1]])
            {
                for (o, xv) in yi.iter_mut().zip(&x[j * b..(j + 1) * b]) {
                    *o += v * xv;
                }
            }
        }
    }
}

/// The N×b row-major block of unit vectors e_{j0}, ..., e_{j0+b−1}.
fn unit_block(x: &mut [f64], n: usize, j0: usize, b: usize) {
    x[..n * b].iter_mut().for_each(|v| *v = 0.0);
    for c in 0..b {
        x[(j0 + c) * b + c] = 1.0;
    }
}

/// Σ over the column blocks [j0, j0 + b) of `per_block(j0, b, buffers, acc)`, computed in
/// parallel and reduced in block order (thread-count independent).
fn sum_over_blocks<B: Send, F>(n: usize, width: usize, init: impl Fn() -> B + Sync, per_block: F) -> Result<Vec<f64>>
where
    F: Fn(usize, usize, &mut B, &mut [f64]) -> Result<()> + Sync,
{
    let blocks: Vec<Result<Vec<f64>>> = (0..n.div_ceil(COLUMN_BLOCK))
        .into_par_iter()
        .map_init(&init, |buf, k| {
            crate::interrupt::check()?;
            let j0 = k * COLUMN_BLOCK;
            let b = COLUMN_BLOCK.min(n - j0);
            let mut acc = vec![0.0; width];
            per_block(j0, b, buf, &mut acc)?;
            Ok(acc)
        })
        .collect();
    let mut out = vec![0.0; width];
    for blk in blocks {
        for (o, v) in out.iter_mut().zip(blk?) {
            *o += v;
        }
    }
    Ok(out)
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

/// Exact tr G, tr GG, tr G'G and ‖G'ι‖² from the columns of G = (I − ρW)⁻¹W, in blocks of
/// right-hand sides: g_j = G e_j (sparse solves), tr G = Σ_j (g_j)_j, tr G'G = Σ_j ‖g_j‖²,
/// tr GG = Σ_j g_j'(G'e_j) and ‖G'ι‖² = Σ_j (ι'g_j)². G'e_j = D g_j / d_j when W = D⁻¹C with C
/// symmetric (G' = DGD⁻¹); otherwise G'e_j = Wᵀ(I − ρW)⁻ᵀe_j (transposed solves).
fn column_g_traces(w: &Weights, factor: &SparseFactor<'_>) -> Result<[f64; 4]> {
    let n = w.n();
    let d: Option<Vec<f64>> = factor.sqrt_scale().map(|s| s.iter().map(|v| v * v).collect());
    let wt = Csr::transpose_of(w);
    let nb = n * COLUMN_BLOCK;
    let out = sum_over_blocks(
        n,
        4,
        || (vec![0.0; nb], vec![0.0; n], vec![0.0; n]),
        |j0, b, (g, e, r), acc| {
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
                acc[1] += match &d {
                    Some(d) => gc.iter().zip(d).map(|(x, di)| di * x * x).sum::<f64>() / d[j],
                    None => {
                        e.iter_mut().for_each(|v| *v = 0.0);
                        e[j] = 1.0;
                        factor.solve_transpose_in_place(e)?;
                        wt.apply(e, r);
                        dot(gc, r)
                    }
                };
                acc[2] += dot(gc, gc);
                let s: f64 = gc.iter().sum();
                acc[3] += s * s;
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

/// tr(G), tr(GG), tr(G'G) for G = W(I − ρW)⁻¹ (METHODS §7.4), with standard errors when
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

/// tr(G), tr(GG), tr(G'G) for G = W(I − ρW)⁻¹ at `rho` (METHODS §7.4).
///
/// * N ≤ `opts.dense_limit`: G = (I − ρW)⁻¹W from one dense LU solve (one N×N, once per
///   estimate), tr(G'G) = Σ g_ij²; tr G and tr GG from `spectrum` when given
///   (Σ ω/(1−ρω), Σ ω²/(1−ρω)²), else Σ g_ii and Σ g_ij g_ji from the same G.
/// * Larger N: [`g_traces_stochastic`] with a sparse factorisation (tr G and tr GG still exact
///   from `spectrum` when given).
pub fn g_traces(w: &Weights, rho: f64, spectrum: Option<&Spectrum>, opts: &TraceOptions) -> Result<GTraces> {
    let n = w.n();
    let mut out = if n <= opts.dense_limit {
        dense_g_traces(w, rho)?
    } else {
        let engine = SparseLogDet::new(w)?;
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

/// tr G = Σ Re ω/(1−ρω) and tr G² = Σ Re ω²/(1−ρω)² from the eigenvalues.
pub fn spectrum_g_traces(s: &Spectrum, rho: f64) -> Result<(f64, f64)> {
    let (mut g, mut gg) = (0.0, 0.0);
    for (&a, &b) in s.re.iter().zip(&s.im) {
        // z = ω / (1 − ρω), complex division.
        let (dr, di) = (1.0 - rho * a, -rho * b);
        let den = dr * dr + di * di;
        if den == 0.0 {
            return Err(Error::numeric(format!(
                "traces of G: I − ρW is singular at rho = {rho} (ω = {a}); rho must lie inside the feasible interval"
            )));
        }
        let zr = (a * dr + b * di) / den;
        let zi = (b * dr - a * di) / den;
        g += zr;
        gg += zr * zr - zi * zi;
    }
    Ok((g, gg))
}

fn dense_g_traces(w: &Weights, rho: f64) -> Result<GTraces> {
    let n = w.n();
    let mut wd = faer::Mat::<f64>::zeros(n, n);
    let mut a = faer::Mat::<f64>::identity(n, n);
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        for (j, &v) in row.iter() {
            wd[(i, j)] = v;
            a[(i, j)] -= rho * v;
        }
    }
    let g = a.partial_piv_lu().solve(&wd);
    let (mut tg, mut tgg, mut tgtg) = (0.0, 0.0, 0.0);
    for j in 0..n {
        for i in 0..n {
            let v = g[(i, j)];
            tgtg += v * v;
            tgg += v * g[(j, i)];
        }
        tg += g[(j, j)];
    }
    if !(tg.is_finite() && tgg.is_finite() && tgtg.is_finite()) {
        return Err(Error::numeric(format!(
            "traces of G: I − ρW is singular at rho = {rho}; rho must lie inside the feasible interval"
        )));
    }
    Ok(GTraces {
        rho,
        tr_g: tg,
        tr_gg: tgg,
        tr_gtg: tgtg,
        std_errors: [0.0; 3],
        method: TraceMethod::Dense,
        draws: 0,
    })
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

/// tr(G), tr(GG), tr(G'G) and ‖G'ι‖² at the ρ of `factor` (G = W(I − ρW)⁻¹; METHODS §7.4),
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
    let r = spectral_bound(w.matrix()).max(f64::MIN_POSITIVE);
    let room = 1.0 / r - rho.abs();
    let h = (1e-3f64).min(0.2 * room).max(1e-6);
    let f = |x: f64| engine.factorize(x).map(|fx| fx.logdet());
    let (fm2, fm1, fp1, fp2) = (f(rho - 2.0 * h)?, f(rho - h)?, f(rho + h)?, f(rho + 2.0 * h)?);
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

/// One Hutchinson pass shared by the stochastic trace estimators: for each of `opts.draws`
/// seeded Rademacher probes u, v = (I − ρW)⁻¹Wu and z = (I − ρW)⁻¹Wv (two solves with the
/// reused factorisation), mapped by `stat(u, v, z)`; probes run in parallel, results in order.
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
    probes(w.n(), opts.draws, opts.seed, Probe::Rademacher)?
        .into_par_iter()
        .map(|u| {
            crate::interrupt::check()?;
            let mut v = w.lag(&u);
            factor.solve_in_place(&mut v)?;
            let mut z = w.lag(&v);
            factor.solve_in_place(&mut z)?;
            Ok(stat(&u, &v, &z))
        })
        .collect()
}

/// Wᵀx of an N-vector.
pub fn lag_transpose(w: &Weights, x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; w.n()];
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        for (j, &v) in row.iter() {
            out[j] += v * x[i];
        }
    }
    out
}
