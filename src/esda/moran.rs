//! Global Moran's I with its moments under normality and randomisation, a permutation test,
//! and the panel versions (per period or pooled). docs/methods.md §3.
//!
//! ```text
//! z = x − x̄,  I = (N/S0) · z'Wz / z'z,  E(I) = −1/(N−1)
//! Var_N(I) = (N² S1 − N S2 + 3 S0²) / ((N² − 1) S0²) − E(I)²
//! Var_R(I) = [N((N² − 3N + 3) S1 − N S2 + 3 S0²) − b2((N² − N) S1 − 2N S2 + 6 S0²)]
//!            / ((N−1)(N−2)(N−3) S0²) − E(I)²,   b2 = N Σz⁴ / (Σz²)²
//! ```
//! Sources: esda `Moran.__moments`, spdep `moran.test` (identical; docs/methods.md App. A).

use super::permutation::{permuted_stats, PermutationTest};
use super::{centre, check_cross_section, kurtosis, quad_form, MoranOptions};
use crate::data::Panel;
use crate::error::{Error, Result};
use crate::report::table::{fmt_stat, stars_for, stat_cells};
use crate::report::{Cell, Table};
use crate::stats::{p_normal_greater, p_normal_two_sided};
use crate::weights::Weights;

/// Global Moran's I of one variable (and period).
///
/// Serialises with its fields by name, `permutation` as `permutations` (the number of draws, or
/// `null`); NaN and infinities as `null`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Moran {
    /// Variable name, when known.
    pub variable: Option<String>,
    /// Period label (`"pooled"` for the pooled panel statistic), when known.
    pub period: Option<String>,
    /// Number of observations (N, or NT when pooled).
    pub n: usize,
    /// Moran's I.
    pub i: f64,
    /// E(I) = −1/(N−1).
    pub expected: f64,
    /// Var(I) under normality.
    pub variance_normal: f64,
    /// (I − E)/sqrt(Var_N).
    pub z_normal: f64,
    /// Two-sided p under normality.
    pub p_normal: f64,
    /// One-sided p, 1 − Φ(z_N) (spdep `alternative = "greater"`).
    pub p_normal_greater: f64,
    /// Var(I) under randomisation.
    pub variance_random: f64,
    /// (I − E)/sqrt(Var_R); NaN when Var_R < 0 (see `warning`).
    pub z_random: f64,
    /// Two-sided p under randomisation.
    pub p_random: f64,
    /// One-sided p, 1 − Φ(z_R).
    pub p_random_greater: f64,
    /// Permutation pseudo p (esda convention), when permutations were asked for.
    pub p_sim: Option<f64>,
    /// The full permutation summary, when permutations were asked for.
    #[serde(rename = "permutations", serialize_with = "permutation_draws")]
    pub permutation: Option<PermutationTest>,
    /// A warning, e.g. a negative randomisation variance (extreme kurtosis).
    pub warning: Option<String>,
}

/// E(I), Var_N(I) and Var_R(I) from N, S0, S1, S2 and the kurtosis b2 (docs/methods.md §3).
pub(crate) fn moments(n: f64, s0: f64, s1: f64, s2: f64, b2: f64) -> (f64, f64, f64) {
    let e = -1.0 / (n - 1.0);
    let s02 = s0 * s0;
    let nn = n * n;
    let var_n = (nn * s1 - n * s2 + 3.0 * s02) / ((nn - 1.0) * s02) - e * e;
    let num = n * ((nn - 3.0 * n + 3.0) * s1 - n * s2 + 3.0 * s02) - b2 * ((nn - n) * s1 - 2.0 * n * s2 + 6.0 * s02);
    let var_r = num / ((n - 1.0) * (n - 2.0) * (n - 3.0) * s02) - e * e;
    (e, var_n, var_r)
}

/// A variance that is zero up to rounding (|v| ≤ 1e−12·E²): z is then undefined, not ±∞ or
/// rounding noise — under a complete graph I = E(I) and C = 1 for every x. Moran and Geary
/// share this rule.
pub(crate) fn variance_is_zero(v: f64, expected: f64) -> bool {
    v.abs() <= 1e-12 * expected * expected
}

/// Assembles a [`Moran`] from I and the weights constants (shared by cross-section and pooled).
fn assemble(i: f64, n: usize, s012: (f64, f64, f64), b2: f64) -> Moran {
    let (e, var_n, var_r) = moments(n as f64, s012.0, s012.1, s012.2, b2);
    let zero = |v: f64| variance_is_zero(v, e);
    let (z_n, var_n) = if zero(var_n) {
        (f64::NAN, 0.0)
    } else {
        ((i - e) / var_n.sqrt(), var_n)
    };
    let (z_r, var_r, warning) = if var_n == 0.0 {
        (
            f64::NAN,
            if zero(var_r) { 0.0 } else { var_r },
            Some(
                "the variance of I is zero under this W (e.g. every unit neighbours every other): \
                 I equals E(I) whatever the data, so z and p are undefined; Moran's I cannot test this W"
                    .to_string(),
            ),
        )
    } else if var_r > 0.0 && !zero(var_r) {
        ((i - e) / var_r.sqrt(), var_r, None)
    } else {
        (
            f64::NAN,
            var_r,
            Some(format!(
                "the randomisation variance is not positive ({var_r:.3e}) because of extreme kurtosis (b2 = {b2:.3}); \
                 its z and p are NaN: use the normality or permutation results"
            )),
        )
    };
    Moran {
        variable: None,
        period: None,
        n,
        i,
        expected: e,
        variance_normal: var_n,
        z_normal: z_n,
        p_normal: p_normal_two_sided(z_n),
        p_normal_greater: p_normal_greater(z_n),
        variance_random: var_r,
        z_random: z_r,
        p_random: p_normal_two_sided(z_r),
        p_random_greater: p_normal_greater(z_r),
        p_sim: None,
        permutation: None,
        warning,
    }
}

/// Global Moran's I of the cross-section `x` (one value per unit, in the order of `w.ids()`)
/// with moments under normality and randomisation and, if `opts.permutations` is set, an esda
/// permutation pseudo p (docs/methods.md §3).
///
/// Errors: length ≠ w.n(), NaN (naming the unit), N < 4, constant x.
pub fn moran(x: &[f64], w: &Weights, opts: &MoranOptions) -> Result<Moran> {
    check_cross_section(x, w, "moran", 4)?;
    let (z, zz) = centre(x, "moran")?;
    let s012 = w.s012();
    let n = x.len();
    let scale = n as f64 / s012.0;
    let i = scale * quad_form(w.matrix(), &z) / zz;
    let mut m = assemble(i, n, s012, kurtosis(&z, zz));
    if let Some(draws) = opts.permutations.filter(|&d| d > 0) {
        let sims = permuted_stats(&z, draws, opts.seed, "Moran's I permutations", |zp| {
            scale * quad_form(w.matrix(), zp) / zz
        })?;
        attach(&mut m, &sims, opts.seed);
    }
    Ok(m)
}

fn attach(m: &mut Moran, sims: &[f64], seed: u64) {
    let t = PermutationTest::from_sims(m.i, sims, seed);
    m.p_sim = Some(t.p_sim);
    m.permutation = Some(t);
}

/// Pooled Moran's I of a time-slow stacked NT-vector under W_NT = I_T ⊗ W, with x demeaned
/// over all NT values and S0, S1, S2 multiplied by T (docs/methods.md §3, "Panel use"). Permutations
/// shuffle all NT values.
pub fn moran_pooled(x: &[f64], w: &Weights, opts: &MoranOptions) -> Result<Moran> {
    let n = w.n();
    if n == 0 || x.len() % n != 0 {
        return Err(Error::data(format!(
            "moran (pooled): {} values are not a whole number of periods of {n} units",
            x.len()
        )));
    }
    let t = x.len() / n;
    if let Some(pos) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::data(format!(
            "moran (pooled): the value of unit {} in period {} is {}; impute or drop the unit",
            w.ids()[pos % n],
            pos / n + 1,
            crate::data::nonfinite_word(x[pos])
        )));
    }
    if x.len() < 4 {
        return Err(Error::data("moran (pooled): at least 4 observations are needed"));
    }
    let (z, zz) = centre(x, "moran (pooled)")?;
    let (s0, s1, s2) = w.s012();
    let tf = t as f64;
    let s012 = (tf * s0, tf * s1, tf * s2);
    let scale = x.len() as f64 / s012.0;
    let stat = |zp: &[f64]| scale * zp.chunks(n).map(|zt| quad_form(w.matrix(), zt)).sum::<f64>() / zz;
    let i = stat(&z);
    let mut m = assemble(i, x.len(), s012, kurtosis(&z, zz));
    if let Some(draws) = opts.permutations.filter(|&d| d > 0) {
        let sims = permuted_stats(&z, draws, opts.seed, "pooled Moran's I permutations", stat)?;
        attach(&mut m, &sims, opts.seed);
    }
    Ok(m)
}

/// Moran's I of panel variables: one per variable and period (default), or one pooled
/// statistic per variable (`pooled`). `w` is aligned to the panel's unit ids first.
pub fn moran_panel(
    panel: &Panel,
    vars: &[String],
    w: &Weights,
    opts: &MoranOptions,
    pooled: bool,
) -> Result<MoranTable> {
    if vars.is_empty() {
        return Err(Error::invalid(
            "moran: no variable given; pass a name or an array of names",
        ));
    }
    let w = w.aligned_to(panel.ids())?;
    let n = panel.n();
    let mut rows = Vec::new();
    for var in vars {
        let x = panel.var_complete(var)?;
        if pooled {
            let mut m = moran_pooled(x, &w, opts).map_err(|e| Error::data(format!("variable '{var}': {e}")))?;
            m.variable = Some(var.clone());
            m.period = Some("pooled".into());
            rows.push(m);
        } else {
            for (t, period) in panel.times().iter().enumerate() {
                let xt = &x[t * n..(t + 1) * n];
                let mut m =
                    moran(xt, &w, opts).map_err(|e| Error::data(format!("variable '{var}', period {period}: {e}")))?;
                m.variable = Some(var.clone());
                m.period = Some(period.clone());
                rows.push(m);
            }
        }
    }
    Ok(MoranTable {
        rows,
        variables: vars.to_vec(),
        pooled,
    })
}

/// Why a z of a Moran or Geary statistic with variance `variance` is undefined (the text of
/// the table note for [`crate::report::table::UNDEFINED`]).
pub fn undefined_reason(variance: f64) -> String {
    if variance == 0.0 {
        "undefined (the variance of the statistic is zero under this W, e.g. when every unit \
         neighbours every other)"
            .into()
    } else if variance < 0.0 {
        "undefined (the randomisation variance is negative: extreme kurtosis; use normality or permutations)".into()
    } else {
        "z or p undefined (NaN or infinite), so no stars".into()
    }
}

/// The number of draws of a permutation test, or `null` (the `permutations` field of the JSON
/// form of [`Moran`]).
fn permutation_draws<S: serde::Serializer>(p: &Option<PermutationTest>, s: S) -> std::result::Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&p.as_ref().map(|p| p.draws), s)
}

/// One line of a [`stat_table`]: name, statistic, its expectation, variance and z.
pub(crate) type StatLine<'a> = (&'a str, f64, f64, f64, f64);

/// The table of a global statistic under normality and randomisation: statistic, expected,
/// variance, z and the two-sided normal p of z (undefined when z is, with the reason in a note:
/// [`undefined_reason`]).
pub(crate) fn stat_table(title: String, rows: Vec<StatLine>, notes: Vec<String>) -> Table {
    let mut t = Table::new(
        title,
        ["", "statistic", "expected", "variance", "z", "p (two-sided)"]
            .map(String::from)
            .to_vec(),
    );
    t.notes = notes;
    for (name, s, e, v, z) in rows {
        // An undefined z (zero or negative variance) has an undefined p, not p = 0.
        let p = if z.is_finite() { p_normal_two_sided(z) } else { f64::NAN };
        if !z.is_finite() {
            t.note_undefined(&undefined_reason(v));
        }
        let [zc, pc] = stat_cells(z, p);
        t.push(vec![name.into(), s.into(), e.into(), v.into(), zc, pc]);
    }
    t.decimals = 6;
    t
}

/// " of x (2001)", " of x" or "": the variable and period of a statistic for a table title.
pub(crate) fn title_label(variable: &Option<String>, period: &Option<String>) -> String {
    match (variable, period) {
        (Some(v), Some(p)) => format!(" of {v} ({p})"),
        (Some(v), None) => format!(" of {v}"),
        _ => String::new(),
    }
}

impl Moran {
    /// The report table: I, E(I), variance, z and p under normality and randomisation, with
    /// N, the permutation test and any warning in the notes.
    pub fn to_table(&self) -> Table {
        let mut notes = vec![format!("N = {}", self.n)];
        if let Some(p) = &self.permutation {
            notes.push(format!(
                "permutation: {} draws (seed {}), pseudo p = {}",
                p.draws,
                p.seed,
                crate::report::table::fmt_p(p.p_sim, crate::report::table::PFormat::Fixed)
            ));
        }
        if let Some(w) = &self.warning {
            notes.push(format!("warning: {w}"));
        }
        stat_table(
            format!("Moran's I{}", title_label(&self.variable, &self.period)),
            vec![
                ("normality", self.i, self.expected, self.variance_normal, self.z_normal),
                (
                    "randomisation",
                    self.i,
                    self.expected,
                    self.variance_random,
                    self.z_random,
                ),
            ],
            notes,
        )
    }
}

impl std::fmt::Display for Moran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_table().to_text())
    }
}

/// Which p-value a summary table uses for its stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Assumption {
    /// Normality, two-sided (the default: docs/methods.md §10).
    #[default]
    Normality,
    /// Randomisation, two-sided.
    Randomisation,
    /// Permutation pseudo p (falls back to normality when no permutations were run).
    Permutation,
}

/// Moran statistics of several variables and periods. Serialises as `{rows, variables, pooled}`
/// with each row in the form of [`Moran`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MoranTable {
    /// One row per variable and period (variables outer, periods inner).
    pub rows: Vec<Moran>,
    /// The variables, in order.
    pub variables: Vec<String>,
    /// Whether the rows are pooled statistics.
    pub pooled: bool,
}

impl MoranTable {
    /// The periods in order of first appearance.
    pub fn periods(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in &self.rows {
            let p = m.period.clone().unwrap_or_default();
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The paper's layout: periods down, variables across, cells "I*** (z)" with stars from the
    /// two-sided normal p (docs/methods.md §10).
    pub fn to_table(&self) -> Table {
        self.to_table_with(Assumption::Normality)
    }

    /// As [`to_table`](Self::to_table), with z and stars under `assumption`.
    pub fn to_table_with(&self, assumption: Assumption) -> Table {
        let mut cols = vec!["period".to_string()];
        cols.extend(self.variables.iter().cloned());
        let mut t = Table::new("Global Moran's I", cols);
        let mut undefined: Option<String> = None;
        for period in self.periods() {
            let mut row = vec![Cell::Text(period.clone())];
            for var in &self.variables {
                let cell = self
                    .rows
                    .iter()
                    .find(|m| m.variable.as_deref() == Some(var) && m.period.as_deref() == Some(&period))
                    .map(|m| {
                        let (z, p, var) = match assumption {
                            Assumption::Normality => (m.z_normal, m.p_normal, m.variance_normal),
                            Assumption::Randomisation => (m.z_random, m.p_random, m.variance_random),
                            Assumption::Permutation => (m.z_normal, m.p_sim.unwrap_or(m.p_normal), m.variance_normal),
                        };
                        if !(z.is_finite() && p.is_finite()) {
                            undefined.get_or_insert_with(|| undefined_reason(var));
                        }
                        Cell::Text(format!("{:.4}{} ({})", m.i, stars_for(z, p), fmt_stat(z, 3)))
                    })
                    .unwrap_or(Cell::Empty);
                row.push(cell);
            }
            t.push(row);
        }
        let how = match assumption {
            Assumption::Normality => "normality, two-sided p",
            Assumption::Randomisation => "randomisation, two-sided p",
            Assumption::Permutation => "permutation pseudo p (z under normality)",
        };
        t.note(format!(
            "Cells: Moran's I with stars ({how}), z in parentheses; *** p<0.01, ** p<0.05, * p<0.1."
        ));
        if self.pooled {
            t.note("Pooled: W_NT = I_T ⊗ W, x demeaned over all NT observations.");
        }
        if let Some(why) = undefined {
            t.note_undefined(&why);
        }
        t
    }

    /// Long format for CSV export: variable, period, I, E, var_n, z_n, p_n, var_r, z_r, p_r, p_sim.
    pub fn to_long_table(&self) -> Table {
        let cols = [
            "variable", "period", "I", "E", "var_n", "z_n", "p_n", "var_r", "z_r", "p_r", "p_sim",
        ];
        let mut t = Table::new("Global Moran's I", cols.iter().map(|s| s.to_string()).collect());
        t.decimals = 6;
        for m in &self.rows {
            let mut row = vec![
                Cell::Text(m.variable.clone().unwrap_or_default()),
                Cell::Text(m.period.clone().unwrap_or_default()),
                m.i.into(),
                m.expected.into(),
                m.variance_normal.into(),
            ];
            row.extend(stat_cells(m.z_normal, m.p_normal));
            row.push(m.variance_random.into());
            row.extend(stat_cells(m.z_random, m.p_random));
            row.push(m.p_sim.map_or(Cell::Empty, Cell::P));
            t.push(row);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::Standardization;

    fn ring(n: usize) -> Weights {
        let ids = (1..=n).map(|i| i.to_string()).collect();
        let mut t = Vec::new();
        for i in 0..n {
            t.push((i, (i + 1) % n, 1.0));
            t.push(((i + 1) % n, i, 1.0));
        }
        Weights::from_triplets(ids, &t, Standardization::Row, false).unwrap()
    }

    #[test]
    fn four_ring_alternating_is_minus_one() {
        // docs/methods.md Appendix B: I = −1, E(I) = −1/3.
        let m = moran(&[1.0, -1.0, 1.0, -1.0], &ring(4), &MoranOptions::default()).unwrap();
        assert!((m.i + 1.0).abs() < 1e-15);
        assert!((m.expected + 1.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn pooled_of_one_period_is_cross_section() {
        let w = ring(6);
        let x = [1.0, 3.0, 2.0, 5.0, 4.0, 0.5];
        let a = moran(&x, &w, &MoranOptions::default()).unwrap();
        let b = moran_pooled(&x, &w, &MoranOptions::default()).unwrap();
        assert!((a.i - b.i).abs() < 1e-14 && (a.variance_random - b.variance_random).abs() < 1e-14);
    }
}
