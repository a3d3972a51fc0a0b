//! Simulated inference for the effects (docs/methods.md §9 (i); LeSage & Pace 2009, the convention of
//! Elhorst, spatialreg and xsmle): R draws φ⁽ʳ⁾ = φ̂ + L z, z ~ N(0, I), LL' = V̂, and the
//! effects of each draw.
//!
//! * Random numbers: draw r uses the ChaCha8 generator seeded with `seed`, stream r
//!   ([`crate::rng::rng_for`]); normals from `rand_distr::StandardNormal`. The
//!   draws run in parallel (rayon) and are reduced in draw order, so the output is identical
//!   for any number of threads.
//! * ρ outside the open interval: the draw is repeated from the same stream (counted in
//!   `redrawn`), or, as in spatialreg, discarded (counted in `discarded`).
//! * V̂ not positive definite: V̂ = UΛU' with the eigenvalues floored at
//!   [`EIGEN_FLOOR`]·max(λ) and L = UΛ^{1/2} (Rebonato–Jäckel, as xsmle; xsmle floors at the
//!   absolute 0.001, a relative floor keeps the scale of the parameters), with a warning.

use super::Prepared;
use crate::error::{Error, Result};
use crate::rng::rng_for;
use faer::{Mat, Side};
use rand::RngExt;
use rayon::prelude::*;

/// Relative floor of the eigenvalues of a covariance that is not positive definite.
pub const EIGEN_FLOOR: f64 = 1e-6;
/// Consecutive out-of-interval draws of ρ tolerated for one draw before giving up.
pub const MAX_REDRAWS: usize = 1000;

/// Summary of the simulated effects, flattened as [k][ADE, AIE, ATE].
#[derive(Debug, Clone, PartialEq)]
pub struct Simulated {
    /// Draws used.
    pub kept: usize,
    /// Draws repeated because ρ fell outside the interval.
    pub redrawn: usize,
    /// Draws repeated because the dynamic process was unstable (long-run effects).
    pub unstable: usize,
    /// Draws dropped because ρ fell outside the interval (discard mode).
    pub discarded: usize,
    /// Mean over the kept draws.
    pub mean: Vec<f64>,
    /// Standard deviation over the kept draws (divisor R − 1).
    pub sd: Vec<f64>,
    /// Warnings (covariance floored).
    pub warnings: Vec<String>,
}

/// A factor L (row-major d×d) with LL' = V: the Cholesky factor, or UΛ^{1/2} with floored
/// eigenvalues when V is not positive definite (then also a warning).
pub fn factor(cov: &[f64], d: usize) -> Result<(Vec<f64>, Option<String>)> {
    let v = Mat::from_fn(d, d, |i, j| 0.5 * (cov[i * d + j] + cov[j * d + i]));
    if let Ok(llt) = v.llt(Side::Lower) {
        let l = llt.L();
        let mut out = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..=i {
                out[i * d + j] = l[(i, j)];
            }
        }
        return Ok((out, None));
    }
    let evd = v
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::numeric(format!("effects: eigen-decomposition of the covariance failed ({e:?})")))?;
    let u = evd.U();
    let s = evd.S().column_vector();
    let lmax = (0..d).map(|i| s[i]).fold(0.0f64, f64::max);
    if lmax <= 0.0 {
        return Err(Error::numeric(
            "effects: the covariance of the parameters has no positive eigenvalue; simulation is impossible (use method \"delta\")",
        ));
    }
    let floor = EIGEN_FLOOR * lmax;
    let low = (0..d).filter(|&i| s[i] < floor).count();
    let mut out = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            out[i * d + j] = u[(i, j)] * s[j].max(floor).sqrt();
        }
    }
    let min = (0..d).map(|i| s[i]).fold(f64::INFINITY, f64::min);
    let warn = format!(
        "the covariance of the parameters is not positive definite (smallest eigenvalue {min:.3e}); \
         {low} eigenvalue(s) floored at {floor:.3e} (= {EIGEN_FLOOR:e}·largest) before drawing"
    );
    Ok((out, Some(warn)))
}

enum Outcome {
    Kept(Vec<f64>, [usize; 2]),
    Discarded,
    Failed,
}

/// Why a draw is not used: ρ outside its interval (index 0) or, for the long-run effects of a
/// dynamic model, an unstable process (index 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// ρ outside the open interval.
    Interval,
    /// Spectral radius of S⁻¹(τI + ηW) at or above 1.
    Unstable,
}

/// How draw r seeds its generator: `(seed, stream)` of [`rng_for`].
pub type SeedOf<'a> = &'a (dyn Fn(usize) -> (u64, u64) + Sync);
/// Accepts a draw φ (`Ok`) or says why it is rejected.
pub type Accept<'a> = &'a (dyn Fn(&[f64]) -> std::result::Result<(), Reject> + Sync);
/// Writes the `nout` simulated quantities of a draw φ.
pub type Eval<'a> = &'a (dyn Fn(&[f64], &mut [f64]) + Sync);

/// R = `draws` simulated effects (see the module doc).
pub fn simulate(prep: &Prepared, draws: usize, seed: u64, discard: bool) -> Result<Simulated> {
    let l = &prep.layout;
    let (lo, hi) = prep.interval;
    let accept = |phi: &[f64]| {
        let rho = l.rho_of(phi);
        if prep.has_rho && !(rho > lo && rho < hi) {
            Err(Reject::Interval)
        } else {
            Ok(())
        }
    };
    let eval = |phi: &[f64], out: &mut [f64]| l.effects_of(&prep.kernel, phi, out);
    simulate_with(
        prep,
        draws,
        &|r| (seed, r as u64),
        discard,
        3 * l.beta.len(),
        &accept,
        &eval,
    )
}

/// The simulation engine shared by the static and the dynamic effects: R = `draws` draws
/// φ⁽ʳ⁾ = φ̂ + L z from the local parameters of `prep.layout`, each rejected draw repeated
/// from the same stream (or, with `discard`, dropped), and the mean and sd of the `nout`
/// quantities `eval` writes. `simulated.redrawn` counts the re-draws for ρ outside its
/// interval, `simulated.unstable` those for an unstable process.
pub fn simulate_with(
    prep: &Prepared,
    draws: usize,
    seed_of: SeedOf,
    discard: bool,
    nout: usize,
    accept: Accept,
    eval: Eval,
) -> Result<Simulated> {
    if draws < 2 {
        return Err(Error::invalid(format!(
            "effects: draws = {draws}; at least 2 are needed for a standard deviation (default 1000)"
        )));
    }
    let l = &prep.layout;
    let d = l.dim();
    let (fac, warn) = factor(&l.cov, d)?;
    crate::budget::check_f64(
        &format!("effects: draws = {draws} × {nout} effects"),
        &[draws, nout + 4],
        "use fewer draws (default 1000)",
    )?;
    let (lo, hi) = prep.interval;
    let one = |r: usize| -> Outcome {
        if crate::interrupt::requested() {
            return Outcome::Failed;
        }
        let (seed, stream) = seed_of(r);
        let mut rng = rng_for(seed, stream);
        let mut z = vec![0.0; d];
        let mut phi = vec![0.0; d];
        let mut again = [0usize; 2];
        for _ in 0..=MAX_REDRAWS {
            for zi in z.iter_mut() {
                *zi = rng.sample::<f64, _>(rand_distr::StandardNormal);
            }
            for i in 0..d {
                let row = &fac[i * d..(i + 1) * d];
                phi[i] = l.mean[i] + row.iter().zip(&z).map(|(a, b)| a * b).sum::<f64>();
            }
            if let Err(why) = accept(&phi) {
                if discard {
                    return Outcome::Discarded;
                }
                again[why as usize] += 1;
                continue;
            }
            let mut out = vec![0.0; nout];
            eval(&phi, &mut out);
            return Outcome::Kept(out, again);
        }
        Outcome::Failed
    };
    let outcomes: Vec<Outcome> = (0..draws).into_par_iter().with_min_len(32).map(one).collect();
    crate::interrupt::check()?;
    let mut kept: Vec<&Vec<f64>> = Vec::with_capacity(draws);
    let (mut redrawn, mut unstable, mut discarded, mut failed) = (0, 0, 0, 0);
    for o in &outcomes {
        match o {
            Outcome::Kept(v, a) => {
                kept.push(v);
                redrawn += a[0];
                unstable += a[1];
            }
            Outcome::Discarded => discarded += 1,
            Outcome::Failed => failed += 1,
        }
    }
    if failed > 0 {
        let rho = l.rho_of(&l.mean);
        let se = l.rho.map_or(f64::NAN, |j| l.cov[j * d + j].sqrt());
        return Err(Error::numeric(format!(
            "effects: for {failed} draw(s), {MAX_REDRAWS} consecutive draws of rho fell outside ({lo}, {hi}) \
             (rho = {rho}, se = {se:.4}) or gave an unstable dynamic process; the simulation cannot respect the bounds; \
             use method \"delta\""
        )));
    }
    if kept.len() < 2 {
        return Err(Error::numeric(format!(
            "effects: only {} of {draws} draws had rho inside ({lo}, {hi}); use mode \"spillover\" (re-draw) or method \"delta\"",
            kept.len()
        )));
    }
    let m = kept.len() as f64;
    let mut mean = vec![0.0; nout];
    for v in &kept {
        mean.iter_mut().zip(v.iter()).for_each(|(a, b)| *a += b);
    }
    mean.iter_mut().for_each(|a| *a /= m);
    let mut sd = vec![0.0; nout];
    for v in &kept {
        sd.iter_mut()
            .zip(v.iter().zip(&mean))
            .for_each(|(s, (x, mu))| *s += (x - mu) * (x - mu));
    }
    sd.iter_mut().for_each(|s| *s = (*s / (m - 1.0)).sqrt());
    Ok(Simulated {
        kept: kept.len(),
        redrawn,
        unstable,
        discarded,
        mean,
        sd,
        warnings: warn.into_iter().collect(),
    })
}
