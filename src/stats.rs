//! Distribution tails for p-values. Upper tails use the survival function directly, never
//! `1 − cdf`, so that large statistics keep their tiny p-values.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// Two-sided normal p-value 2·(1 − Φ(|z|)); NaN when z is NaN or infinite (an infinite z comes
/// from a zero standard error: the test is undefined, never p = 0).
pub fn p_normal_two_sided(z: f64) -> f64 {
    if !z.is_finite() {
        return f64::NAN;
    }
    2.0 * Normal::standard().sf(z.abs())
}

/// One-sided upper normal p-value 1 − Φ(z); NaN when z is NaN or infinite.
pub fn p_normal_greater(z: f64) -> f64 {
    if !z.is_finite() {
        return f64::NAN;
    }
    Normal::standard().sf(z)
}

/// The standard normal quantile Φ⁻¹(q) for 0 < q < 1 (e.g. 1.959964 at q = 0.975).
pub fn normal_quantile(q: f64) -> f64 {
    Normal::standard().inverse_cdf(q)
}

/// The two-sided normal interval `estimate ± Φ⁻¹((1 + level)/2)·std_error` at confidence
/// `level` (0 < level < 1; 0.95 gives ± 1.959964·SE). A level outside (0, 1) is an error.
pub fn normal_interval(estimate: f64, std_error: f64, level: f64) -> crate::Result<(f64, f64)> {
    if !(level > 0.0 && level < 1.0) {
        return Err(crate::Error::invalid(format!(
            "confidence level {level} is not between 0 and 1; pass e.g. 0.95 for 95% intervals"
        )));
    }
    let half = normal_quantile(0.5 + level / 2.0) * std_error;
    Ok((estimate - half, estimate + half))
}

/// Upper-tail χ²(df) p-value; NaN when the statistic is NaN or infinite.
pub fn p_chi2(stat: f64, df: f64) -> f64 {
    if !stat.is_finite() || df <= 0.0 {
        return f64::NAN;
    }
    match ChiSquared::new(df) {
        Ok(d) => d.sf(stat.max(0.0)),
        Err(_) => f64::NAN,
    }
}

/// Significance stars: *** p < 0.01, ** p < 0.05, * p < 0.1.
pub fn stars(p: f64) -> &'static str {
    if p < 0.01 {
        "***"
    } else if p < 0.05 {
        "**"
    } else if p < 0.1 {
        "*"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails() {
        assert!((p_normal_two_sided(1.959963984540054) - 0.05).abs() < 1e-10);
        assert!((p_chi2(3.841458820694124, 1.0) - 0.05).abs() < 1e-12);
        assert!(p_chi2(1500.0, 47.0) > 0.0);
    }
}
