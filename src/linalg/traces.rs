//! Traces for the information matrix and the effects at any N (METHODS §7.4, §9).
//!
//! * [`g_traces`]: tr(G), tr(GG) and tr(G'G) with G = W(I − ρW)⁻¹ — from the eigenvalues
//!   (tr G = Σ ω/(1−ρω), tr G² = Σ ω²/(1−ρω)²) and one dense solve (tr G'G = ‖G‖_F²) for
//!   N ≤ `dense_limit`; a seeded Hutchinson estimator with sparse solves above it.
//! * [`power_traces`]: tr(Wᵏ), k = 1..m, for the power-series effects (LeSage–Pace, spatialreg
//!   `trW`): exact from the eigenvalues or from sparse products, else stochastic u'Wᵏu.

use crate::error::{Error, Result};
use crate::linalg::logdet::sparse::{SparseFactor, SparseLogDet};
use crate::linalg::sparse::{spectral_bound, trace, trace_of_product};
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
    /// Largest number of multiply–adds allowed for the exact sparse products of
    /// [`power_traces`] before it switches to the stochastic estimator (default 2·10⁸).
    pub exact_flop_budget: f64,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            dense_limit: 2000,
            draws: 50,
            seed: DEFAULT_TRACE_SEED,
            exact_flop_budget: 2e8,
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
    /// Exact, from sparse matrix products.
    SparseProducts,
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

/// `draws` probe vectors of length `n`, from one ChaCha8 stream seeded with `seed`.
pub fn probes(n: usize, draws: usize, seed: u64, probe: Probe) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..draws)
        .map(|_| {
            (0..n)
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
                .collect()
        })
        .collect()
}

/// Stochastic power traces (Barry & Pace 1999, METHODS §4.5): for each probe u_r the estimates
/// N·u_r'Wᵏu_r / u_r'u_r of tr(Wᵏ), k = 1..m, with tr(W) and tr(W²) = Σ w_ij w_ji exact.
/// Returns one row per draw (`[draw][k − 1]`).
pub fn stochastic_power_traces(w: &Weights, m: usize, draws: usize, seed: u64, probe: Probe) -> Vec<Vec<f64>> {
    let n = w.n();
    let tr1 = trace(w.matrix());
    let tr2 = w.traces2().0;
    probes(n, draws, seed, probe)
        .into_par_iter()
        .map(|u| {
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
        .collect()
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

/// tr(Wᵏ), k = 1..m: exact from `spectrum` when given (Σ Re ωᵏ); else exact from sparse
/// products Pₕ = Wʰ (tr Wᵏ = Σ_ij (P_⌈k/2⌉)_ij (P_⌊k/2⌋)_ji) when their cost stays within
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
    let rows = stochastic_power_traces(w, m, opts.draws, opts.seed, Probe::Rademacher);
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

/// Exact tr(Wᵏ), k = 1..m, from sparse powers up to ⌈m/2⌉, or `None` when the products would
/// exceed `budget` multiply–adds.
fn exact_power_traces(w: &Weights, m: usize, budget: f64) -> Option<Vec<f64>> {
    let wm = w.matrix();
    let row_nnz: Vec<usize> = wm.outer_iterator().map(|r| r.nnz()).collect();
    let h = m.div_ceil(2).max(1);
    let mut powers = vec![wm.clone()];
    let mut spent = 0.0f64;
    while powers.len() < h {
        let last = powers.last()?;
        let cost: f64 = last.indices().iter().map(|&j| row_nnz[j] as f64).sum();
        spent += cost;
        if spent > budget {
            return None;
        }
        let next = last * wm;
        powers.push(next);
    }
    let mut out = Vec::with_capacity(m);
    for k in 1..=m {
        if k == 1 {
            out.push(trace(wm));
            continue;
        }
        let a = k.div_ceil(2);
        let b = k - a;
        out.push(trace_of_product(&powers[a - 1], &powers[b - 1]));
    }
    Some(out)
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
    let n = w.n();
    if opts.draws < 2 {
        return Err(Error::invalid(format!(
            "traces of G: draws = {} but the stochastic estimator needs at least 2 probes",
            opts.draws
        )));
    }
    let us = probes(n, opts.draws, opts.seed, Probe::Rademacher);
    let rows: Vec<Result<[f64; 3]>> = us
        .into_par_iter()
        .map(|u| {
            let mut v = w.lag(&u);
            factor.solve_in_place(&mut v)?;
            let mut z = w.lag(&v);
            factor.solve_in_place(&mut z)?;
            Ok([dot(&u, &v), dot(&u, &z), dot(&v, &v)])
        })
        .collect();
    let rows: Vec<[f64; 3]> = rows.into_iter().collect::<Result<_>>()?;
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
