//! Stata's `xtsum`: overall, between and within variation of panel variables.

use super::{vector, Panel};
use crate::error::{Error, Result};
use crate::report::{Cell, Table};

/// The `xtsum` statistics of one variable (Stata's definitions, missing values skipped).
#[derive(Debug, Clone, PartialEq)]
pub struct XtStats {
    /// Overall mean x̄ over all non-missing x_it.
    pub mean: f64,
    /// (sd, min, max) of the non-missing x_it (sd with the N − 1 divisor).
    pub overall: (f64, f64, f64),
    /// (sd, min, max) of the unit means x̄_i over the n units with data (sd with n − 1).
    pub between: (f64, f64, f64),
    /// (sd, min, max) of x_it − x̄_i + x̄ over the N observations (sd with N − 1).
    pub within: (f64, f64, f64),
    /// N: non-missing observations.
    pub obs: usize,
    /// n: units with at least one non-missing observation.
    pub units: usize,
    /// T̄ = N / n.
    pub t_bar: f64,
}

/// `xtsum` of variable `name` of `p`: overall, between (unit means x̄_i) and within
/// (x_it − x̄_i + x̄) standard deviation, min and max, as Stata's `xtsum`. Missing values (NaN)
/// are skipped; a variable with no value is an error naming it.
pub fn xtsum_var(p: &Panel, name: &str) -> Result<XtStats> {
    let x = p.var(name)?;
    let n = p.n();
    let (mut sum, mut cnt) = (vec![0.0; n], vec![0usize; n]);
    for (r, &v) in x.iter().enumerate() {
        if !v.is_nan() {
            sum[r % n] += v;
            cnt[r % n] += 1;
        }
    }
    let all: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    if all.is_empty() {
        return Err(Error::data(format!(
            "xtsum: variable '{name}' has no non-missing value"
        )));
    }
    let (obs, mean, sd, lo, hi) = vector::describe(&all);
    let unit_mean: Vec<f64> = (0..n)
        .map(|i| if cnt[i] > 0 { sum[i] / cnt[i] as f64 } else { f64::NAN })
        .collect();
    let (units, _, bsd, blo, bhi) = vector::describe(&unit_mean);
    let within: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(r, &v)| v - unit_mean[r % n] + mean)
        .collect();
    let (_, _, wsd, wlo, whi) = vector::describe(&within);
    Ok(XtStats {
        mean,
        overall: (sd, lo, hi),
        between: (bsd, blo, bhi),
        within: (wsd, wlo, whi),
        obs,
        units,
        t_bar: obs as f64 / units as f64,
    })
}

/// Stata's `xtsum` table of the variables `names` of `p` ([`xtsum_var`]): for each variable the
/// rows overall (with the mean, N, n and T-bar), between and within, with Std. dev., Min and Max.
pub fn xtsum(p: &Panel, names: &[String]) -> Result<Table> {
    let mut t = Table::new(
        "Panel summary (xtsum)",
        ["Variable", "", "Mean", "Std. dev.", "Min", "Max", "N", "n", "T-bar"]
            .map(String::from)
            .to_vec(),
    );
    for name in names {
        let s = xtsum_var(p, name)?;
        let row = |var: &str, kind: &str, (sd, lo, hi): (f64, f64, f64)| {
            vec![
                Cell::from(var),
                Cell::from(kind),
                Cell::Empty,
                sd.into(),
                lo.into(),
                hi.into(),
            ]
        };
        let mut overall = row(name, "overall", s.overall);
        overall[2] = s.mean.into();
        overall.extend([Cell::Int(s.obs as i64), Cell::Int(s.units as i64), s.t_bar.into()]);
        t.push(overall);
        t.push(row("", "between", s.between));
        t.push(row("", "within", s.within));
    }
    t.note(
        "between: the unit means x̄_i; within: x_it − x̄_i + x̄ (x̄ the overall mean), as Stata's xtsum; \
         sd with the n − 1 divisor; missing values are skipped; T-bar = N / n.",
    );
    Ok(t)
}
