//! Seeded random streams that give identical results for any number of threads.
//!
//! Every index (a permutation k, a unit i, a simulated component) draws from its own ChaCha8
//! stream: the generator seeded with `seed`, stream number k ([`rng_for`]). Draws are therefore
//! independent of how rayon splits the work. Used by the permutation tests of `esda` and
//! the simulators of `models` and `effects`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator of stream `stream` under `seed`.
pub fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// A uniform integer in 0..n (n ≥ 1) by Lemire's multiply-and-reject method (unbiased, and
/// independent of the `rand` version's range sampling).
#[inline]
pub fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let n = n as u64;
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = (rng.next_u64() as u128) * (n as u128);
        if (m as u64) >= threshold {
            return (m >> 64) as usize;
        }
    }
}

/// Fisher–Yates shuffle of `buf` in place.
#[inline]
pub fn shuffle(rng: &mut ChaCha8Rng, buf: &mut [f64]) {
    for i in (1..buf.len()).rev() {
        let j = below(rng, i + 1);
        buf.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut r = rng_for(1, 0);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[below(&mut r, 7)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4).map(|_| rng_for(5, 1).next_u64()).collect();
        assert!(a.iter().all(|&v| v == a[0]));
        assert_ne!(rng_for(5, 1).next_u64(), rng_for(5, 2).next_u64());
    }
}
