//! Balancing long panel data: keep only complete units, or only periods every unit has.

use std::collections::HashMap;

use super::Frame;
use crate::error::{list_some, Error};
use crate::Result;

/// Which side of an unbalanced panel gives way (the script layer reads `"drop_units"` /
/// `"drop_periods"` into it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BalanceMode {
    /// Drop every unit that lacks some period (keep all periods).
    DropUnits,
    /// Drop every period that some unit lacks (keep all units).
    DropPeriods,
}

/// What [`balance`] dropped: the unit ids (or period keys) removed, and how many units and
/// periods there were before.
#[derive(Clone, Debug)]
pub struct Balanced {
    /// The balanced frame: rows ordered by unit (sorted keys), then period (`sort_periods`).
    pub frame: Frame,
    /// Dropped unit ids (DropUnits) or dropped periods (DropPeriods), in sorted order.
    pub dropped: Vec<String>,
    /// Units in the input.
    pub n_units: usize,
    /// Periods in the input.
    pub n_periods: usize,
}

/// Balances long data keyed by columns `id` and `time` (keys from [`Frame::keys`]): with
/// [`BalanceMode::DropUnits`] keeps the units observed in every period, with
/// [`BalanceMode::DropPeriods`] keeps the periods in which every unit is observed. The result
/// has every kept unit in every kept period exactly once, so `Panel::new` accepts it; rows are
/// ordered by unit, then period, whatever the input order. A duplicate (id, time) pair is an
/// error naming both rows; an empty result is an error suggesting the other mode.
pub fn balance(frame: &Frame, id: &str, time: &str, mode: BalanceMode) -> Result<Balanced> {
    let ids = frame.keys(id)?;
    let times = frame.keys(time)?;
    let mut units: Vec<String> = ids.clone();
    super::sort_keys(&mut units);
    units.dedup();
    let mut periods: Vec<String> = times.clone();
    periods.sort();
    periods.dedup();
    super::sort_periods(&mut periods).map_err(|e| Error::data(format!("balance: column '{time}': {e}")))?;
    let u_pos: HashMap<&str, usize> = units.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let t_pos: HashMap<&str, usize> = periods.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let (n, t) = (units.len(), periods.len());
    let mut cell_row: HashMap<(usize, usize), usize> = HashMap::with_capacity(frame.nrows());
    for r in 0..frame.nrows() {
        let cell = (u_pos[ids[r].as_str()], t_pos[times[r].as_str()]);
        if let Some(first) = cell_row.insert(cell, r) {
            return Err(Error::data(format!(
                "balance: unit '{}' appears twice in period '{}' (rows {} and {}); each unit may \
                 appear once per period: drop or aggregate the duplicate first",
                ids[r],
                times[r],
                first + 1,
                r + 1
            )));
        }
    }
    let mut unit_count = vec![0usize; n];
    let mut period_count = vec![0usize; t];
    for &(u, p) in cell_row.keys() {
        unit_count[u] += 1;
        period_count[p] += 1;
    }
    let (keep_u, keep_t): (Vec<bool>, Vec<bool>) = match mode {
        BalanceMode::DropUnits => (unit_count.iter().map(|&c| c == t).collect(), vec![true; t]),
        BalanceMode::DropPeriods => (vec![true; n], period_count.iter().map(|&c| c == n).collect()),
    };
    let dropped: Vec<String> = match mode {
        BalanceMode::DropUnits => (0..n).filter(|&u| !keep_u[u]).map(|u| units[u].clone()).collect(),
        BalanceMode::DropPeriods => (0..t).filter(|&p| !keep_t[p]).map(|p| periods[p].clone()).collect(),
    };
    let (ku, kt) = (
        keep_u.iter().filter(|&&k| k).count(),
        keep_t.iter().filter(|&&k| k).count(),
    );
    if ku == 0 || kt == 0 {
        let msg = match mode {
            BalanceMode::DropUnits => format!(
                "balance: no unit of '{id}' is observed in all {t} periods, so dropping units leaves \
                 nothing; try \"drop_periods\" (or filter the periods first)"
            ),
            BalanceMode::DropPeriods => format!(
                "balance: no period of '{time}' has all {n} units, so dropping periods leaves \
                 nothing; try \"drop_units\" (or filter the units first)"
            ),
        };
        return Err(Error::data(msg));
    }
    let mut idx = Vec::with_capacity(ku * kt);
    for u in (0..n).filter(|&u| keep_u[u]) {
        for p in (0..t).filter(|&p| keep_t[p]) {
            // Every kept (unit, period) cell is filled: kept units have all periods, or kept
            // periods have all units.
            if let Some(&r) = cell_row.get(&(u, p)) {
                idx.push(r);
            }
        }
    }
    Ok(Balanced {
        frame: frame.take(&idx),
        dropped,
        n_units: n,
        n_periods: t,
    })
}

/// The line `balance` prints: `balance: dropped 3 of 48 units (ids: 4, 17, 22) missing some of
/// the 17 periods`, or for periods `balance: dropped 2 of 17 periods (1970, 1971) that some of
/// the 48 units lack`.
pub fn balance_report(b: &Balanced, mode: BalanceMode) -> String {
    let k = b.dropped.len();
    match mode {
        BalanceMode::DropUnits if k == 0 => format!(
            "balance: all {} units have all {} periods; nothing dropped",
            b.n_units, b.n_periods
        ),
        BalanceMode::DropPeriods if k == 0 => format!(
            "balance: all {} periods have all {} units; nothing dropped",
            b.n_periods, b.n_units
        ),
        BalanceMode::DropUnits => format!(
            "balance: dropped {k} of {} units (ids: {}) missing some of the {} periods",
            b.n_units,
            list_some(&b.dropped, 20),
            b.n_periods
        ),
        BalanceMode::DropPeriods => format!(
            "balance: dropped {k} of {} periods ({}) that some of the {} units lack",
            b.n_periods,
            list_some(&b.dropped, 20),
            b.n_units
        ),
    }
}
