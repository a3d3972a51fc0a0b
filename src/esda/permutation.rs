//! Seeded permutation tests that give identical results for any number of threads.
//!
//! Every permutation index k (global statistics) or unit index i (conditional permutations of
//! local statistics) draws from its own ChaCha8 stream of [`crate::rng`]: the generator seeded
//! with `seed`, stream number k. Draws are therefore independent of how rayon splits the work, and the statistics
//! are collected in index order. Each worker reuses one buffer; nothing of size N is allocated
//! per permutation.
//!
//! The pseudo p-value follows esda (docs/methods.md §3, Appendix C 7): with `larger` = #{sim ≥ obs},
//! take the smaller tail `min(larger, perms − larger)` and report (tail + 1)/(perms + 1).
//! spdep's `moran.mc(alternative = "greater")` p = (#{sim ≥ obs} + 1)/(perms + 1) is kept as
//! `p_greater`.

use crate::progress::Progress;
pub use crate::rng::{below, rng_for, shuffle};
use rayon::prelude::*;

/// Summary of a permutation test of a statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct PermutationTest {
    /// Number of permutations.
    pub draws: usize,
    /// Seed of the streams.
    pub seed: u64,
    /// esda pseudo p: (min(larger, perms − larger) + 1)/(perms + 1), larger = #{sim ≥ obs}.
    pub p_sim: f64,
    /// spdep `*.mc(alternative = "greater")`: (#{sim ≥ obs} + 1)/(perms + 1).
    pub p_greater: f64,
    /// Mean of the permuted statistics.
    pub mean: f64,
    /// Standard deviation of the permuted statistics (divisor perms, as esda).
    pub sd: f64,
    /// (obs − mean)/sd.
    pub z: f64,
}

impl PermutationTest {
    /// Summarises the permuted statistics `sims` against the observed value `obs`. When the
    /// permutations cannot move the statistic (every sim equals obs up to rounding, e.g. under
    /// a complete-graph W), the pseudo p-values and z are undefined (NaN, printed "–"): the
    /// folded count would otherwise report the smallest possible p for rounding noise.
    pub fn from_sims(obs: f64, sims: &[f64], seed: u64) -> PermutationTest {
        let perms = sims.len();
        let larger = sims.iter().filter(|&&s| s >= obs).count();
        let m = perms as f64;
        let mean = sims.iter().sum::<f64>() / m;
        let sd = (sims.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / m).sqrt();
        let scale = obs.abs().max(mean.abs());
        if sims.iter().all(|s| (s - obs).abs() <= 1e-12 * scale) {
            return PermutationTest {
                draws: perms,
                seed,
                p_sim: f64::NAN,
                p_greater: f64::NAN,
                mean,
                sd,
                z: f64::NAN,
            };
        }
        PermutationTest {
            draws: perms,
            seed,
            p_sim: folded_p(larger, perms),
            p_greater: (larger as f64 + 1.0) / (m + 1.0),
            mean,
            sd,
            z: (obs - mean) / sd,
        }
    }
}

/// esda's pseudo p from the count of permuted statistics at least as large as the observed one.
pub fn folded_p(larger: usize, perms: usize) -> f64 {
    let tail = larger.min(perms - larger);
    (tail as f64 + 1.0) / (perms as f64 + 1.0)
}

/// The statistic `stat` of `draws` random permutations of `values`, in permutation order.
/// Permutation k shuffles a copy of `values` with stream k of `seed`; the result does not
/// depend on the number of threads. `label` names the run in progress reports
/// ([`crate::progress`]). Errors: more permutations than the memory budget holds
/// ([`crate::budget`]), Ctrl-C ([`crate::interrupt`]).
pub fn permuted_stats<F>(
    values: &[f64],
    draws: usize,
    seed: u64,
    label: &str,
    stat: F,
) -> crate::error::Result<Vec<f64>>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    crate::budget::check_f64(
        &format!("{label}: permutations = {draws}"),
        &[draws],
        "use fewer permutations (999 is usual)",
    )?;
    let progress = Progress::new(draws as u64, label);
    let base = rng_for(seed, 0);
    let out = (0..draws)
        .into_par_iter()
        .with_min_len(8)
        .map_init(
            || vec![0.0; values.len()],
            |buf, k| {
                if crate::interrupt::requested() {
                    return f64::NAN;
                }
                buf.copy_from_slice(values);
                let mut rng = base.clone();
                rng.set_stream(k as u64);
                shuffle(&mut rng, buf);
                let s = stat(buf);
                progress.inc();
                s
            },
        )
        .collect();
    progress.finish();
    crate::interrupt::check()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_p_takes_smaller_tail() {
        assert_eq!(folded_p(0, 999), 0.001);
        assert_eq!(folded_p(999, 999), 0.001);
        assert_eq!(folded_p(499, 999), 0.5);
    }

    #[test]
    fn permutations_are_permutations() {
        let v: Vec<f64> = (0..50).map(f64::from).collect();
        let s = permuted_stats(&v, 20, 3, "test", |b| {
            b.iter().enumerate().map(|(i, x)| i as f64 * x).sum()
        })
        .unwrap();
        let sorted_sum: f64 = v.iter().sum();
        let again = permuted_stats(&v, 20, 3, "test", |b| b.iter().sum()).unwrap();
        assert!(again.iter().all(|&x| x == sorted_sum));
        assert_eq!(
            s,
            permuted_stats(&v, 20, 3, "test", |b| b
                .iter()
                .enumerate()
                .map(|(i, x)| i as f64 * x)
                .sum())
            .unwrap()
        );
    }
}
