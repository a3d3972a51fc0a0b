//! Stochastic probes: seeded random probe vectors and the mean and standard error of the
//! estimates they give.

use crate::error::Result;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
