//! Vectorised helpers on plain slices (missing values are NaN and propagate).

/// Arithmetic mean (NaN if empty or any value is NaN).
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation with divisor n − 1 (NaN if n < 2).
pub fn sd(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
}

/// Element-wise ratio a/b; a zero or missing denominator gives NaN (docs/methods.md §1.4).
pub fn ratio(a: &[f64], b: &[f64], scale: f64) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            if *y == 0.0 || y.is_nan() {
                f64::NAN
            } else {
                scale * x / y
            }
        })
        .collect()
}

/// Summary statistics of the non-missing values: (obs, mean, sd with n−1, min, max) — the
/// columns of a descriptive-statistics table (Stata's `summarize`).
pub fn describe(x: &[f64]) -> (usize, f64, f64, f64, f64) {
    let v: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if v.is_empty() {
        return (0, f64::NAN, f64::NAN, f64::NAN, f64::NAN);
    }
    (v.len(), mean(&v), sd(&v), min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_matches_hand_values() {
        let (n, m, s, lo, hi) = describe(&[1.0, 2.0, f64::NAN, 3.0, 6.0]);
        assert_eq!(n, 4);
        assert_eq!(m, 3.0);
        assert!((s - (14.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!((lo, hi), (1.0, 6.0));
    }
}
