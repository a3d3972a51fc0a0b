//! Geary's C with its moments under normality and randomisation and a permutation test.
//!
//! ```text
//! C = (N−1) Σ_ij w_ij (x_i − x_j)² / (2 S0 Σ_i z_i²),   E(C) = 1
//! Var_N(C) = ((2 S1 + S2)(N−1) − 4 S0²) / (2 (N+1) S0²)
//! Var_R(C) = [ (N−1) S1 (N² − 3N + 3 − (N−1) K)
//!              − ¼ (N−1) S2 (N² + 3N − 6 − (N² − N + 2) K)
//!              + S0² (N² − 3 − (N−1)² K) ] / (N (N−2) (N−3) S0²),   K = N Σz⁴ / (Σz²)²
//! z = (E(C) − C) / sqrt(Var)     (positive z ⇔ positive spatial autocorrelation)
//! ```
//! Sources: spdep `R/geary.R` (`geary.test`, Cliff & Ord 1981 p. 21, the sign of z as spdep
//! since 2009; randomisation is spdep's default) and esda `esda/geary.py` (`Geary.__moments`,
//! the same variances; esda's z has the opposite sign). The permutation pseudo p follows esda.

use super::permutation::{permuted_stats, PermutationTest};
use super::{centre, check_cross_section, kurtosis, MoranOptions};
use crate::error::Result;
use crate::stats::{p_normal_greater, p_normal_two_sided};
use crate::weights::Weights;
use sprs::CsMat;

/// Geary's C of one variable. Serialises with its fields by name, without
/// `p_random_greater` and `permutation` (its pseudo p is `p_sim`); NaN and infinities as `null`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Geary {
    /// Variable name, when known.
    pub variable: Option<String>,
    /// Period label, when known.
    pub period: Option<String>,
    /// Number of units.
    pub n: usize,
    /// Geary's C.
    pub c: f64,
    /// E(C) = 1.
    pub expected: f64,
    /// Var(C) under normality.
    pub variance_normal: f64,
    /// (1 − C)/sqrt(Var_N).
    pub z_normal: f64,
    /// Two-sided p under normality.
    pub p_normal: f64,
    /// Var(C) under randomisation.
    pub variance_random: f64,
    /// (1 − C)/sqrt(Var_R); NaN when Var_R ≤ 0.
    pub z_random: f64,
    /// Two-sided p under randomisation.
    pub p_random: f64,
    /// One-sided p 1 − Φ(z_R) (spdep `geary.test` default: "Expectation greater than statistic").
    #[serde(skip)]
    pub p_random_greater: f64,
    /// The default variance (randomisation, as spdep's `geary.test`).
    pub variance: f64,
    /// The default z (randomisation).
    pub z: f64,
    /// The default p (randomisation, two-sided).
    pub p: f64,
    /// Permutation pseudo p (esda convention), when asked for.
    pub p_sim: Option<f64>,
    /// The full permutation summary, when asked for.
    #[serde(skip)]
    pub permutation: Option<PermutationTest>,
}

impl Geary {
    /// The report table: C, E(C), variance, z and p under normality and randomisation, with N
    /// and the sign convention of z in a note.
    pub fn to_table(&self) -> crate::report::Table {
        super::moran::stat_table(
            format!("Geary's C{}", super::moran::title_label(&self.variable, &self.period)),
            vec![
                ("normality", self.c, self.expected, self.variance_normal, self.z_normal),
                (
                    "randomisation",
                    self.c,
                    self.expected,
                    self.variance_random,
                    self.z_random,
                ),
            ],
            vec![format!(
                "N = {}; z = (1 − C)/sd (spdep's sign: positive z = positive autocorrelation)",
                self.n
            )],
        )
    }
}

impl std::fmt::Display for Geary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_table().to_text())
    }
}

/// Σ_ij w_ij (z_i − z_j)² over the CSR rows.
fn squared_differences(w: &CsMat<f64>, z: &[f64]) -> f64 {
    w.outer_iterator()
        .zip(z)
        .map(|(row, zi)| row.iter().map(|(j, wij)| wij * (zi - z[j]).powi(2)).sum::<f64>())
        .sum()
}

/// Var_N(C) and Var_R(C) from N, S0, S1, S2 and the kurtosis K.
pub(crate) fn geary_variances(n: f64, s0: f64, s1: f64, s2: f64, k: f64) -> (f64, f64) {
    let s02 = s0 * s0;
    let nn = n * n;
    let n1 = n - 1.0;
    let var_n = ((2.0 * s1 + s2) * n1 - 4.0 * s02) / (2.0 * (n + 1.0) * s02);
    let a = n1 * s1 * (nn - 3.0 * n + 3.0 - n1 * k);
    let b = 0.25 * n1 * s2 * (nn + 3.0 * n - 6.0 - (nn - n + 2.0) * k);
    let c = s02 * (nn - 3.0 - n1 * n1 * k);
    let var_r = (a - b + c) / (n * (n - 2.0) * (n - 3.0) * s02);
    (var_n, var_r)
}

/// Geary's C of the cross-section `x` (order of `w.ids()`); see the module doc for the formulas.
/// Errors as [`moran`](super::moran()): length, NaN, N < 4, constant x.
pub fn geary(x: &[f64], w: &Weights, opts: &MoranOptions) -> Result<Geary> {
    check_cross_section(x, w, "geary", 4)?;
    let (z, zz) = centre(x, "geary")?;
    let (s0, s1, s2) = w.s012();
    let n = x.len();
    let nf = n as f64;
    let scale = (nf - 1.0) / (2.0 * s0 * zz);
    let c = scale * squared_differences(w.matrix(), &z);
    let (var_n, var_r) = geary_variances(nf, s0, s1, s2, kurtosis(&z, zz));
    // Under a W where C = 1 whatever the data (complete graph) the variances are zero up to
    // rounding: z and p are undefined (NaN, printed "–"), never ±∞ with p = 0.
    let zero = |v: f64| super::moran::variance_is_zero(v, 1.0);
    let (var_n, var_r) = (
        if zero(var_n) { 0.0 } else { var_n },
        if zero(var_r) { 0.0 } else { var_r },
    );
    let z_n = if var_n > 0.0 {
        (1.0 - c) / var_n.sqrt()
    } else {
        f64::NAN
    };
    let z_r = if var_r > 0.0 {
        (1.0 - c) / var_r.sqrt()
    } else {
        f64::NAN
    };
    let mut g = Geary {
        variable: None,
        period: None,
        n,
        c,
        expected: 1.0,
        variance_normal: var_n,
        z_normal: z_n,
        p_normal: p_normal_two_sided(z_n),
        variance_random: var_r,
        z_random: z_r,
        p_random: p_normal_two_sided(z_r),
        p_random_greater: p_normal_greater(z_r),
        variance: var_r,
        z: z_r,
        p: p_normal_two_sided(z_r),
        p_sim: None,
        permutation: None,
    };
    if let Some(draws) = opts.permutations.filter(|&d| d > 0) {
        let sims = permuted_stats(&z, draws, opts.seed, "Geary's C permutations", |zp| {
            scale * squared_differences(w.matrix(), zp)
        })?;
        let t = PermutationTest::from_sims(c, &sims, opts.seed);
        g.p_sim = Some(t.p_sim);
        g.permutation = Some(t);
    }
    Ok(g)
}
