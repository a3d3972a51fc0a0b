//! Regional economic resilience Resi (docs/methods.md §1.1, Martin et al. 2016):
//!
//! ```text
//! variant B (growth_change, default; G are growth rates):
//!   Resi_r,t = [ (G_r,t − G_r,t−1) − (G_n,t − G_n,t−1) ] / | G_n,t − G_n,t−1 |
//! variant A (level_growth; G are levels):
//!   g_r,t = G_r,t / G_r,t−1 − 1,  g_n,t = G_n,t / G_n,t−1 − 1,  Resi_r,t = (g_r,t − g_n,t) / |g_n,t|
//! ```
//!
//! Inputs are checked (unless `check_inputs` is false): growth_change refuses a series that looks
//! like levels ([`looks_like_levels`]); level_growth refuses a base-period value ≤ 0, which
//! levels cannot have.
//!
//! t−1 is the period before t in the order of [`crate::data::sort_periods`] (numbers
//! numerically, labels naturally: t2 before t10); over integer periods it is the previous year
//! of the calendar ([`crate::data::shifted_periods`]), so across a gap (1970, 1972) there is no
//! t−1, as for panel lags. The first period, a period after a gap, a unit without a row for
//! t−1, and any missing input give NaN (never 0).

use crate::data::Frame;
use crate::error::{Error, Result};
use std::collections::HashMap;

/// Which resilience formula (docs/methods.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResilienceKind {
    /// Variant B: change in growth relative to the national change (growth-rate inputs).
    #[default]
    GrowthChange,
    /// Variant A: growth of levels relative to national growth (level inputs).
    LevelGrowth,
}

impl ResilienceKind {
    /// The option value naming this variant.
    pub fn name(self) -> &'static str {
        match self {
            Self::GrowthChange => "growth_change",
            Self::LevelGrowth => "level_growth",
        }
    }
}

/// Where the national series comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum National {
    /// A column of the same table (the national value of the row's period).
    Column(String),
    /// A table of national values by period.
    Frame {
        /// The table.
        frame: Frame,
        /// Its period column.
        time: String,
        /// Its value column.
        value: String,
    },
}

/// What a zero (or too small) denominator gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroDenominator {
    /// An error naming the unit and period (the default).
    #[default]
    Error,
    /// NaN.
    Nan,
}

/// Options of [`resilience`].
#[derive(Debug, Clone, PartialEq)]
pub struct ResilienceOptions {
    /// Unit column (default `"id"`).
    pub id: String,
    /// Period column (default `"time"`).
    pub time: String,
    /// Column of the region's series (growth rates for variant B, levels for A; default
    /// `"growth"`).
    pub region: String,
    /// The national series (default: the column `"national"`).
    pub national: National,
    /// Variant (default B, growth_change).
    pub kind: ResilienceKind,
    /// Zero denominators (default: error).
    pub zero_denominator: ZeroDenominator,
    /// Denominators with |·| below this are treated as zero (default none).
    pub min_abs_denominator: Option<f64>,
    /// Refuse inputs that look like the other variant's (default true; see [`looks_like_levels`]).
    pub check_inputs: bool,
}

impl Default for ResilienceOptions {
    fn default() -> Self {
        ResilienceOptions {
            id: "id".into(),
            time: "time".into(),
            region: "growth".into(),
            national: National::Column("national".into()),
            kind: ResilienceKind::default(),
            zero_denominator: ZeroDenominator::default(),
            min_abs_denominator: None,
            check_inputs: true,
        }
    }
}

/// Resi for every row of `f` (aligned with its rows); see the module doc for the formulas.
/// Errors: duplicate (id, time) rows; a zero denominator (unless `zero_denominator` is NaN),
/// naming the unit and period; for variant A a level ≤ 0 in the base period.
pub fn resilience(f: &Frame, opts: &ResilienceOptions) -> Result<Vec<f64>> {
    let what = "resilience";
    let ik = f.keys(&opts.id)?;
    let tk = f.keys(&opts.time)?;
    let g = f.numeric(&opts.region).map_err(|e| {
        Error::data(format!(
            "{what}: option region names the column of the region's series ({}); {e}",
            match opts.kind {
                ResilienceKind::GrowthChange => "growth rates",
                ResilienceKind::LevelGrowth => "GDP levels",
            }
        ))
    })?;
    let mut periods: Vec<String> = {
        let mut seen = std::collections::HashSet::new();
        tk.iter().filter(|k| seen.insert(k.as_str())).cloned().collect()
    };
    crate::data::sort_periods(&mut periods).map_err(|e| Error::data(format!("{what}: column '{}': {e}", opts.time)))?;
    // The period before each period: by the calendar over integer periods (none across a gap).
    let before = crate::data::shifted_periods(&periods, 1);
    let tpos: HashMap<&str, usize> = periods.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    // National value of each row's period and of the period before.
    let nat: Vec<f64> = match &opts.national {
        National::Column(c) => f.numeric(c)?.to_vec(),
        National::Frame { frame, time, value } => {
            let (ntk, nv) = (frame.keys(time)?, frame.numeric(value)?);
            let mut by_t: HashMap<&str, f64> = HashMap::new();
            for (r, k) in ntk.iter().enumerate() {
                if by_t.insert(k.as_str(), nv[r]).is_some() {
                    return Err(Error::data(format!(
                        "{what}: the national table has more than one row for period {k}"
                    )));
                }
            }
            tk.iter()
                .map(|k| by_t.get(k.as_str()).copied().unwrap_or(f64::NAN))
                .collect()
        }
    };
    let mut row_of: HashMap<(&str, usize), usize> = HashMap::with_capacity(f.nrows());
    for r in 0..f.nrows() {
        if let Some(prev) = row_of.insert((ik[r].as_str(), tpos[tk[r].as_str()]), r) {
            return Err(Error::data(format!(
                "{what}: unit {} appears twice in period {} (rows {} and {})",
                ik[r],
                tk[r],
                prev + 1,
                r + 1
            )));
        }
    }
    // The row of the same unit in the period before, for every row.
    let prev: Vec<Option<usize>> = (0..f.nrows())
        .map(|r| before[tpos[tk[r].as_str()]].and_then(|s| row_of.get(&(ik[r].as_str(), s)).copied()))
        .collect();
    if opts.check_inputs && opts.kind == ResilienceKind::GrowthChange {
        let national = match &opts.national {
            National::Column(c) => format!("column '{c}'"),
            National::Frame { value, .. } => format!("national column '{value}'"),
        };
        for (series, name) in [(g, format!("column '{}'", opts.region)), (&nat[..], national)] {
            if let Some(why) = looks_like_levels(series, &prev) {
                return Err(Error::data(format!(
                    "{what}: kind \"growth_change\" (the default, docs/methods.md §1.1 variant B) takes growth rates, \
                     but the {name} looks like levels ({why}); for levels (e.g. GDP) pass kind: \"level_growth\" \
                     (variant A); if these really are growth rates, pass check_inputs: false"
                )));
            }
        }
    }
    let mut out = vec![f64::NAN; f.nrows()];
    for (r, o) in out.iter_mut().enumerate() {
        let Some(p) = prev[r] else {
            continue;
        };
        let (gr, gr0, gn, gn0) = (g[r], g[p], nat[r], nat[p]);
        if [gr, gr0, gn, gn0].iter().any(|x| !x.is_finite()) {
            continue;
        }
        let place = || format!("unit {} in period {}", ik[r], tk[r]);
        let (num, den) = match opts.kind {
            ResilienceKind::GrowthChange => ((gr - gr0) - (gn - gn0), (gn - gn0).abs()),
            ResilienceKind::LevelGrowth => {
                if gr0 <= 0.0 || gn0 <= 0.0 {
                    return Err(Error::data(format!(
                        "{what} (level_growth): {}: the base-period level is {} (region) / {} (national), \
                         but levels must be > 0; growth-rate inputs need kind \"growth_change\"",
                        place(),
                        gr0,
                        gn0
                    )));
                }
                let (a, b) = (gr / gr0 - 1.0, gn / gn0 - 1.0);
                (a - b, b.abs())
            }
        };
        let too_small = den == 0.0 || opts.min_abs_denominator.is_some_and(|m| den < m);
        if too_small {
            match opts.zero_denominator {
                ZeroDenominator::Nan => continue,
                ZeroDenominator::Error => {
                    return Err(Error::numeric(format!(
                        "{what}: {}: the national change between {} and {} is {den} (national {gn0} → {gn}), \
                         so Resi is undefined; set zero_denominator to \"nan\" to skip such periods",
                        place(),
                        tk[p],
                        tk[r]
                    )))
                }
            }
        }
        *o = num / den;
    }
    Ok(out)
}

/// Smallest median |x| of a series taken for levels by [`looks_like_levels`].
pub const LEVELS_MIN_MEDIAN: f64 = 200.0;
/// Largest median period-to-period relative change |x_t − x_{t−1}| / x_{t−1} of a series taken
/// for levels by [`looks_like_levels`].
pub const LEVELS_MAX_CHANGE: f64 = 0.25;

/// Why the series `x` (rows of a table, `prev[r]` the row of the same unit one period earlier)
/// looks like levels rather than growth rates, or `None`.
///
/// Levels (GDP, employment, an index with a fixed base year) are positive and move by a small
/// fraction of themselves from one period to the next: their relative change is the growth
/// rate, typically a few percent. Growth rates can be negative, and when they are all positive
/// (fast-growing regions, in percent or as fractions) they are small numbers; as a
/// previous-year = 100 index they stay near 100. So a series is taken for levels when all three
/// hold: every finite value is > 0, the median |x| is at least [`LEVELS_MIN_MEDIAN`] (200: above
/// any growth rate in percent and any previous-year = 100 index), and the median relative
/// change between consecutive periods is below [`LEVELS_MAX_CHANGE`] (25%). Levels in small
/// units (median below 200, e.g. GDP in trillions) are not caught.
pub fn looks_like_levels(x: &[f64], prev: &[Option<usize>]) -> Option<String> {
    let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() || finite.iter().any(|&v| v <= 0.0) {
        return None;
    }
    let median = |mut v: Vec<f64>| -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        }
    };
    let changes: Vec<f64> = prev
        .iter()
        .enumerate()
        .filter_map(|(r, p)| p.map(|p| (x[r] - x[p]).abs() / x[p]))
        .filter(|c| c.is_finite())
        .collect();
    if changes.is_empty() {
        return None;
    }
    let (level, change) = (median(finite), median(changes));
    (level >= LEVELS_MIN_MEDIAN && change < LEVELS_MAX_CHANGE).then(|| {
        format!(
            "every value is > 0, the median value is {} and the median change from one period to the next is {:.1}% of the value",
            crate::report::table::fmt_num(level, 1),
            100.0 * change
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    #[test]
    fn appendix_b_variants() {
        let f = Frame::from_columns(vec![
            ("id".into(), Column::Text(vec!["r".into(), "r".into()])),
            ("time".into(), Column::Num(vec![2000.0, 2001.0])),
            ("growth".into(), Column::Num(vec![8.0, 10.0])),
            ("national".into(), Column::Num(vec![7.0, 6.0])),
        ])
        .unwrap();
        let r = resilience(&f, &ResilienceOptions::default()).unwrap();
        assert!(r[0].is_nan() && (r[1] - 3.0).abs() < 1e-15);
    }
}
