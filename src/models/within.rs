//! The within (fixed-effects) transformation of docs/methods.md §5, applied to time-slow stacked
//! NT-vectors without ever forming the NT×NT projector:
//!
//! ```text
//! pooled     : ỹ_it = y_it
//! individual : ỹ_it = y_it − ȳ_i·
//! time       : ỹ_it = y_it − ȳ_·t
//! two-way    : ỹ_it = y_it − ȳ_i· − ȳ_·t + ȳ
//! ```

/// Which fixed effects are swept out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fe {
    /// Pooled (no fixed effects; models keep an intercept).
    None,
    /// Unit (spatial) fixed effects.
    Individual,
    /// Period fixed effects.
    Time,
    /// Unit and period fixed effects.
    TwoWays,
    /// Individual random effects (docs/methods.md §11): nothing is swept out, the model keeps an
    /// intercept and the unit effects μ_i enter the error (quasi-demeaning, `models::random`).
    Random,
}

impl Fe {
    /// The option value naming this effect type.
    pub fn name(self) -> &'static str {
        match self {
            Fe::None => "none",
            Fe::Individual => "individual",
            Fe::Time => "time",
            Fe::TwoWays => "twoways",
            Fe::Random => "random",
        }
    }
    /// Unit effects swept out?
    pub fn has_unit(self) -> bool {
        matches!(self, Fe::Individual | Fe::TwoWays)
    }
    /// Period effects swept out?
    pub fn has_time(self) -> bool {
        matches!(self, Fe::Time | Fe::TwoWays)
    }
    /// Number of absorbed parameters besides the slopes (N, T−1+... as in plm's df):
    /// individual N, time T, two-way N + T − 1, pooled and random effects 1 (the intercept).
    pub fn absorbed(self, n: usize, t: usize) -> usize {
        match self {
            Fe::None | Fe::Random => 1,
            Fe::Individual => n,
            Fe::Time => t,
            Fe::TwoWays => n + t - 1,
        }
    }
}

/// A column is absorbed by the fixed effects when its within-transformed norm is at most this
/// fraction of its raw norm.
pub const ABSORBED_TOL: f64 = 1e-10;

/// True when the fixed effects sweep out column `raw`, whose within transform is `demeaned`:
/// ‖x̃‖ ≤ [`ABSORBED_TOL`]·‖x‖ (a column of zeros included).
pub fn is_absorbed(raw: &[f64], demeaned: &[f64]) -> bool {
    use crate::linalg::dense::dot;
    dot(demeaned, demeaned).sqrt() <= ABSORBED_TOL * dot(raw, raw).sqrt()
}

/// Unit means ȳ_i· (length N) of a time-slow stacked vector.
pub fn unit_means(x: &[f64], n: usize) -> Vec<f64> {
    let t = x.len() / n;
    let mut m = vec![0.0; n];
    for chunk in x.chunks(n) {
        for (mi, v) in m.iter_mut().zip(chunk) {
            *mi += v;
        }
    }
    m.iter_mut().for_each(|v| *v /= t as f64);
    m
}

/// Period means ȳ_·t (length T) of a time-slow stacked vector.
pub fn time_means(x: &[f64], n: usize) -> Vec<f64> {
    x.chunks(n).map(|c| c.iter().sum::<f64>() / n as f64).collect()
}

/// Applies the within transformation in place (random effects sweep out nothing).
pub fn demean_in_place(x: &mut [f64], n: usize, fe: Fe) {
    match fe {
        Fe::None | Fe::Random => {}
        Fe::Individual => {
            let m = unit_means(x, n);
            for chunk in x.chunks_mut(n) {
                chunk.iter_mut().zip(&m).for_each(|(v, mi)| *v -= mi);
            }
        }
        Fe::Time => {
            for chunk in x.chunks_mut(n) {
                let m = chunk.iter().sum::<f64>() / n as f64;
                chunk.iter_mut().for_each(|v| *v -= m);
            }
        }
        Fe::TwoWays => {
            let mu = unit_means(x, n);
            let grand = mu.iter().sum::<f64>() / n as f64;
            for chunk in x.chunks_mut(n) {
                let mt = chunk.iter().sum::<f64>() / n as f64;
                chunk.iter_mut().zip(&mu).for_each(|(v, mi)| *v -= mi + mt - grand);
            }
        }
    }
}

/// The within-transformed copy of `x`.
pub fn demean(x: &[f64], n: usize, fe: Fe) -> Vec<f64> {
    let mut y = x.to_vec();
    demean_in_place(&mut y, n, fe);
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twoway_is_idempotent_and_sweeps_means() {
        let (n, t) = (3, 4);
        let x: Vec<f64> = (0..n * t).map(|r| ((r * 7919) % 13) as f64 + 0.5 * r as f64).collect();
        let y = demean(&x, n, Fe::TwoWays);
        let z = demean(&y, n, Fe::TwoWays);
        for (a, b) in y.iter().zip(&z) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!(unit_means(&y, n).iter().all(|m| m.abs() < 1e-12));
        assert!(time_means(&y, n).iter().all(|m| m.abs() < 1e-12));
    }
}
