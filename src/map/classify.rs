//! Classification of values into the classes of a choropleth map (docs/methods.md §3.1).
//!
//! Every scheme yields upper bounds b_1 < … < b_k; a value x is in the first class c with
//! x ≤ b_c (the classes are (b_{c−1}, b_c], the first closed at the minimum), as mapclassify and
//! GeoDa do. Missing values (NaN) are in no class.
//! * `quantiles`: b_c = Q(c/k), c = 1..k−1, with Q the linear-interpolation quantile of the
//!   sorted values (Hyndman–Fan type 7, R's and numpy's default), b_k = max. Tied quantiles
//!   merge classes, so there may be fewer than k.
//! * `equal`: b_c = min + c·(max − min)/k.
//! * `natural_breaks`: Fisher–Jenks — the partition of the sorted values into k contiguous
//!   groups with the least total within-group sum of squared deviations, found exactly by
//!   dynamic programming (Fisher 1958, "On grouping for maximum homogeneity"; Jenks 1977);
//!   b_c is the largest value of group c. O(k·n²) time: it refuses more than 20 000 values.
//! * `std_dev`: breaks at x̄ − 2s, x̄ − s, x̄, x̄ + s, x̄ + 2s (s the sample standard deviation,
//!   divisor n − 1): six classes (some may be empty), as GeoDa's standard-deviation map;
//!   `classes` is not used.

use crate::error::{Error, Result};

/// A classification scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// Equal counts (quantiles; the default).
    #[default]
    Quantiles,
    /// Equal-width intervals.
    Equal,
    /// Fisher–Jenks optimal breaks.
    NaturalBreaks,
    /// Standard deviations around the mean.
    StdDev,
}

impl Scheme {
    /// The option value naming the scheme.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Quantiles => "quantiles",
            Scheme::Equal => "equal",
            Scheme::NaturalBreaks => "natural_breaks",
            Scheme::StdDev => "std_dev",
        }
    }
}

impl std::str::FromStr for Scheme {
    type Err = Error;
    fn from_str(s: &str) -> Result<Scheme> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quantiles" | "quantile" => Ok(Scheme::Quantiles),
            "equal" | "equal_interval" => Ok(Scheme::Equal),
            "natural_breaks" | "jenks" | "fisher_jenks" => Ok(Scheme::NaturalBreaks),
            "std_dev" | "stddev" => Ok(Scheme::StdDev),
            _ => Err(Error::invalid(format!(
                "unknown classification scheme '{s}'; use \"quantiles\", \"equal\", \"natural_breaks\" or \"std_dev\""
            ))),
        }
    }
}

/// The classes of a set of values.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// The scheme used.
    pub scheme: Scheme,
    /// Upper bounds of the classes, increasing.
    pub bounds: Vec<f64>,
    /// The smallest value (lower end of the first class).
    pub min: f64,
    /// The class of each value (None for a missing value).
    pub class: Vec<Option<usize>>,
    /// Number of values in each class.
    pub counts: Vec<usize>,
}

/// Most values `natural_breaks` accepts (its time grows as n²).
pub const JENKS_MAX: usize = 20_000;

/// Classifies `x` (NaN = missing) into `k` classes by `scheme` (see the module doc). Errors:
/// no finite value, k < 2 (except std_dev), k > 12.
pub fn classify(x: &[f64], k: usize, scheme: Scheme) -> Result<Classes> {
    let mut v: Vec<f64> = x.iter().copied().filter(|a| a.is_finite()).collect();
    if v.is_empty() {
        return Err(Error::data("classify: no unit has a value to map"));
    }
    if scheme != Scheme::StdDev && !(2..=12).contains(&k) {
        return Err(Error::invalid(format!(
            "classify: classes must be between 2 and 12, got {k}"
        )));
    }
    v.sort_by(f64::total_cmp);
    let (min, max) = (v[0], v[v.len() - 1]);
    let mut bounds: Vec<f64> = match scheme {
        Scheme::Quantiles => (1..k).map(|c| quantile7(&v, c as f64 / k as f64)).collect(),
        Scheme::Equal => (1..k).map(|c| min + (max - min) * c as f64 / k as f64).collect(),
        Scheme::NaturalBreaks => fisher_jenks(&v, k)?,
        Scheme::StdDev => {
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let s = if v.len() > 1 {
                (v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            vec![mean - 2.0 * s, mean - s, mean, mean + s, mean + 2.0 * s]
        }
    };
    if scheme != Scheme::StdDev {
        bounds.push(max);
        bounds.dedup_by(|a, b| a == b);
    } else {
        // Six classes even when some are empty (as GeoDa); the last is open above, its upper end
        // the largest value (or the break when no value lies above it). A constant x (s = 0)
        // leaves one class.
        let top = bounds[bounds.len() - 1].max(max);
        bounds.push(top);
        if bounds[0] == bounds[4] {
            bounds.truncate(1);
        }
    }
    let class: Vec<Option<usize>> = x
        .iter()
        .map(|&a| {
            a.is_finite()
                .then(|| bounds.iter().position(|&b| a <= b).unwrap_or(bounds.len() - 1))
        })
        .collect();
    let mut counts = vec![0; bounds.len()];
    for c in class.iter().flatten() {
        counts[*c] += 1;
    }
    Ok(Classes {
        scheme,
        bounds,
        min,
        class,
        counts,
    })
}

impl Classes {
    /// Number of classes.
    pub fn k(&self) -> usize {
        self.bounds.len()
    }

    /// The legend label of each class: "lo – hi" with the class's lower and upper bound, in as
    /// many decimals as tell the bounds apart; for `std_dev` the first class is "≤ b_1" and the
    /// last "> b_{k−1}".
    pub fn labels(&self) -> Vec<String> {
        let k = self.k();
        let lo = |c: usize| if c == 0 { self.min } else { self.bounds[c - 1] };
        let span = (self.bounds[k - 1] - self.min).abs();
        let d = decimals(span);
        let f = |v: f64| format_bound(v, d);
        (0..k)
            .map(|c| {
                if self.scheme == Scheme::StdDev && c == 0 && k > 1 {
                    format!("≤ {}", f(self.bounds[0]))
                } else if self.scheme == Scheme::StdDev && c == k - 1 && k > 1 {
                    format!("> {}", f(self.bounds[k - 2]))
                } else {
                    format!("{} – {}", f(lo(c)), f(self.bounds[c]))
                }
            })
            .collect()
    }
}

/// Decimals that show a range of width `span` with about three significant digits.
fn decimals(span: f64) -> usize {
    if !(span.is_finite() && span > 0.0) {
        return 2;
    }
    (2 - span.log10().floor() as i64).clamp(0, 8) as usize
}

/// A bound with `d` decimals, minus sign as U+2212, "-0" as "0".
fn format_bound(v: f64, d: usize) -> String {
    let s = format!("{v:.d$}");
    let s = if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        s.trim_start_matches('-').to_string()
    } else {
        s
    };
    s.replacen('-', "−", 1)
}

/// Hyndman–Fan type-7 quantile of sorted `v`.
fn quantile7(v: &[f64], p: f64) -> f64 {
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Fisher's exact optimal partition of sorted `v` into at most `k` contiguous groups (least
/// within-group sum of squares); the upper bounds of all groups but the last.
fn fisher_jenks(v: &[f64], k: usize) -> Result<Vec<f64>> {
    let n = v.len();
    if n > JENKS_MAX {
        return Err(Error::invalid(format!(
            "classify: natural_breaks takes at most {JENKS_MAX} values (time grows as n²), got {n}; \
             use \"quantiles\" or \"equal\""
        )));
    }
    let k = k.min(n);
    // prefix sums for the sum of squared deviations of v[a..b]
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for i in 0..n {
        // centred on the median to keep the sums well conditioned
        let c = v[i] - v[n / 2];
        s1[i + 1] = s1[i] + c;
        s2[i + 1] = s2[i] + c * c;
    }
    let ssd = |a: usize, b: usize| {
        let m = (b - a) as f64;
        let s = s1[b] - s1[a];
        (s2[b] - s2[a] - s * s / m).max(0.0)
    };
    // cost[g][j]: least SSD of v[..j] in g+1 groups; back[g][j]: start of the last group
    let mut cost = vec![vec![f64::INFINITY; n + 1]; k];
    let mut back = vec![vec![0usize; n + 1]; k];
    for (j, c) in cost[0].iter_mut().enumerate().skip(1) {
        *c = ssd(0, j);
    }
    for g in 1..k {
        if g % 2 == 0 {
            crate::interrupt::check()?;
        }
        for j in g + 1..=n {
            let mut best = (f64::INFINITY, g);
            for (i, prev) in cost[g - 1].iter().enumerate().take(j).skip(g) {
                let c = prev + ssd(i, j);
                if c < best.0 {
                    best = (c, i);
                }
            }
            cost[g][j] = best.0;
            back[g][j] = best.1;
        }
    }
    let mut starts = Vec::with_capacity(k);
    let mut j = n;
    for g in (1..k).rev() {
        let i = back[g][j];
        starts.push(i);
        j = i;
    }
    starts.reverse();
    Ok(starts.into_iter().map(|i| v[i - 1]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_put_equal_counts_in_each_class() {
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        let c = classify(&x, 5, Scheme::Quantiles).unwrap();
        // type-7 quantiles of 1..10 at 0.2, 0.4, 0.6, 0.8: 2.8, 4.6, 6.4, 8.2
        let want = [2.8, 4.6, 6.4, 8.2, 10.0];
        for (b, w) in c.bounds.iter().zip(want) {
            assert!((b - w).abs() < 1e-12, "{:?}", c.bounds);
        }
        assert_eq!(c.counts, vec![2, 2, 2, 2, 2]);
    }

    #[test]
    fn jenks_finds_the_obvious_groups() {
        // Three well-separated clusters: the optimal 3-partition splits between them.
        let x = [1.0, 2.0, 1.5, 10.0, 11.0, 10.5, 30.0, 31.0, 29.0, f64::NAN];
        let c = classify(&x, 3, Scheme::NaturalBreaks).unwrap();
        assert_eq!(c.bounds, vec![2.0, 11.0, 31.0]);
        assert_eq!(c.counts, vec![3, 3, 3]);
        assert_eq!(c.class[9], None);
    }

    #[test]
    fn jenks_matches_brute_force() {
        let x = [3.0, 7.0, 1.0, 9.0, 4.0, 12.0, 5.5, 8.0, 2.0, 15.0, 6.0];
        let mut v = x.to_vec();
        v.sort_by(f64::total_cmp);
        let ss = |g: &[f64]| {
            let m = g.iter().sum::<f64>() / g.len() as f64;
            g.iter().map(|a| (a - m).powi(2)).sum::<f64>()
        };
        let mut best = (f64::INFINITY, 0, 0);
        for a in 1..v.len() {
            for b in a + 1..v.len() {
                let c = ss(&v[..a]) + ss(&v[a..b]) + ss(&v[b..]);
                if c < best.0 {
                    best = (c, a, b);
                }
            }
        }
        let c = classify(&x, 3, Scheme::NaturalBreaks).unwrap();
        assert_eq!(c.bounds, vec![v[best.1 - 1], v[best.2 - 1], 15.0]);
    }

    #[test]
    fn equal_and_std_dev_bounds() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let c = classify(&x, 4, Scheme::Equal).unwrap();
        assert_eq!(c.bounds, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(c.counts, vec![2, 1, 1, 1]);
        let s = classify(&x, 0, Scheme::StdDev).unwrap();
        let sd = 2.5f64.sqrt();
        assert!((s.bounds[0] - (2.0 - 2.0 * sd)).abs() < 1e-12);
        assert_eq!(s.bounds.len(), 6);
        assert_eq!(s.counts.iter().sum::<usize>(), 5);
        assert!(s.labels()[0].starts_with('≤'), "{:?}", s.labels());
    }
}
