//! Agglomeration indices from a long employment table (id, time, sector, value) (docs/methods.md §1.2–1.3):
//!
//! ```text
//! IS_itj = E_itj / Σ_j E_itj        (share of sector j in unit i, period t)
//! IS_tj  = E_tj  / Σ_j E_tj         (national share; E_tj national employment, default Σ_i E_itj)
//! Mar_it    = max_{j: IS_tj > 0} IS_itj / IS_tj     (max location quotient; default)
//!           | Σ_j |IS_itj − IS_tj|                  (Krugman K)
//!           | max_j IS_itj                          (max share)
//! Jacobs_it = 1 / Σ_j |IS_itj − IS_tj|              (relative diversity RDI; default)
//!           | 1 / Σ_j (IS_itj − IS_tj)²             (squared)
//!           | 1 / Σ_j IS_itj²                       (inverse HHI)
//! ```
//!
//! The sectors of period t are those present in that period in the table or in the national
//! table. A unit without a row (or with NaN) for one of them is missing (index NaN) unless
//! `missing_sector` is zero.

use super::keyed_frame;
use crate::data::{Column, Frame};
use crate::error::{list_some, Error, Result};
use std::collections::HashMap;

/// The specialisation index Mar (docs/methods.md §1.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MarKind {
    /// max_j LQ_itj over sectors present nationally (the default).
    #[default]
    MaxLq,
    /// Krugman K = Σ_j |IS_itj − IS_tj|.
    Krugman,
    /// max_j IS_itj.
    MaxShare,
    /// The location quotient of one named sector.
    Lq(String),
}

impl MarKind {
    /// The option value naming this index (`"lq:SECTOR"` for one sector).
    pub fn name(&self) -> String {
        match self {
            Self::MaxLq => "max_lq".into(),
            Self::Krugman => "krugman".into(),
            Self::MaxShare => "max_share".into(),
            Self::Lq(j) => format!("lq:{j}"),
        }
    }
}

/// The diversity index Jacobs (docs/methods.md §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JacobsKind {
    /// 1/Σ_j |IS_itj − IS_tj| (the default).
    #[default]
    Rdi,
    /// 1/Σ_j (IS_itj − IS_tj)².
    RdiSquared,
    /// 1/Σ_j IS_itj².
    InverseHhi,
}

impl JacobsKind {
    /// The option value naming this index.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rdi => "rdi",
            Self::RdiSquared => "rdi_squared",
            Self::InverseHhi => "inverse_hhi",
        }
    }
}

/// What a missing E_itj means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingSector {
    /// The unit-period index is NaN (the default).
    #[default]
    Missing,
    /// The employment is zero (yearbook blanks).
    Zero,
}

impl MissingSector {
    /// The option value naming this convention.
    pub fn name(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Zero => "zero",
        }
    }
}

/// What a zero Jacobs denominator (the unit's structure equals the national one) gives.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum JacobsZero {
    /// An error naming the unit and period (the default).
    #[default]
    Error,
    /// Jacobs = 1/max(denominator, eps).
    Cap(f64),
}

/// Options of [`agglomeration`] and [`location_quotients`].
#[derive(Debug, Clone, PartialEq)]
pub struct AggOptions {
    /// Unit column (default `"id"`).
    pub id: String,
    /// Period column (default `"time"`).
    pub time: String,
    /// Sector column (default `"industry"`).
    pub sector: String,
    /// Employment column (default `"emp"`).
    pub value: String,
    /// National employment by sector and period, with the columns `sector`, `time`, `value`
    /// named as above; default: the sums over all units of the table.
    pub national: Option<Frame>,
    /// Specialisation index (default max LQ).
    pub mar: MarKind,
    /// Diversity index (default RDI).
    pub jacobs: JacobsKind,
    /// Missing sectors (default: index NaN).
    pub missing_sector: MissingSector,
    /// Zero Jacobs denominator (default: error).
    pub jacobs_zero: JacobsZero,
}

impl Default for AggOptions {
    fn default() -> Self {
        AggOptions {
            id: "id".into(),
            time: "time".into(),
            sector: "industry".into(),
            value: "emp".into(),
            national: None,
            mar: MarKind::default(),
            jacobs: JacobsKind::default(),
            missing_sector: MissingSector::default(),
            jacobs_zero: JacobsZero::default(),
        }
    }
}

/// Shares of a long employment table: units × periods × sectors.
struct Shares {
    units: Vec<String>,
    periods: Vec<String>,
    sectors: Vec<String>,
    /// (unit, period) pairs in order of first appearance.
    pairs: Vec<(usize, usize)>,
    /// IS_itj for pair k at [k·J + j]; NaN for sectors outside the period or missing.
    share: Vec<f64>,
    /// False when the pair has a missing sector (under MissingSector::Missing).
    complete: Vec<bool>,
    /// IS_tj at [t·J + j]; NaN for sectors outside the period.
    national: Vec<f64>,
}

fn index_keys(keys: &[String]) -> (Vec<String>, HashMap<String, usize>) {
    let mut list = Vec::new();
    let mut pos = HashMap::new();
    for k in keys {
        if !pos.contains_key(k) {
            pos.insert(k.clone(), list.len());
            list.push(k.clone());
        }
    }
    (list, pos)
}

impl Shares {
    fn new(emp: &Frame, o: &AggOptions) -> Result<Shares> {
        let what = "agglomeration";
        let ik = emp.keys(&o.id)?;
        let tk = emp.keys(&o.time)?;
        let sk = emp.keys(&o.sector)?;
        let v = emp.numeric(&o.value)?;
        let (units, upos) = index_keys(&ik);
        let (mut periods, _) = index_keys(&tk);
        crate::data::sort_periods(&mut periods)
            .map_err(|e| Error::data(format!("agglomeration: column '{}': {e}", o.time)))?;
        let (mut sectors, _) = index_keys(&sk);
        if let Some(nf) = &o.national {
            let (ns, _) = index_keys(&nf.keys(&o.sector)?);
            for s in ns {
                if !sectors.contains(&s) {
                    sectors.push(s);
                }
            }
        }
        crate::data::sort_keys(&mut sectors);
        let tpos: HashMap<&str, usize> = periods.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        let spos: HashMap<&str, usize> = sectors.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        let (nu, nt, nj) = (units.len(), periods.len(), sectors.len());
        let mut pair_of: HashMap<(usize, usize), usize> = HashMap::new();
        let mut pairs = Vec::new();
        let mut e: Vec<f64> = Vec::new();
        let mut given: Vec<bool> = Vec::new();
        let mut in_period = vec![false; nt * nj];
        let mut dups = Vec::new();
        for r in 0..emp.nrows() {
            let (u, t, j) = (upos[&ik[r]], tpos[tk[r].as_str()], spos[sk[r].as_str()]);
            let k = *pair_of.entry((u, t)).or_insert_with(|| {
                pairs.push((u, t));
                e.extend(std::iter::repeat_n(f64::NAN, nj));
                given.extend(std::iter::repeat_n(false, nj));
                pairs.len() - 1
            });
            if given[k * nj + j] {
                dups.push(format!("({}, {}, {})", ik[r], tk[r], sk[r]));
                continue;
            }
            given[k * nj + j] = true;
            e[k * nj + j] = v[r];
            in_period[t * nj + j] = true;
            if v[r] < 0.0 {
                return Err(Error::data(format!(
                    "{what}: negative employment {} for unit {} in period {}, sector {}",
                    v[r], ik[r], tk[r], sk[r]
                )));
            }
        }
        if !dups.is_empty() {
            return Err(Error::data(format!(
                "{what}: {} duplicate ({}, {}, {}) row(s): {}; each unit has one row per period and sector",
                dups.len(),
                o.id,
                o.time,
                o.sector,
                list_some(&dups, 10)
            )));
        }
        // National employment E_tj.
        let mut nat_e = vec![0.0; nt * nj];
        match &o.national {
            Some(nf) => {
                let (ntk, nsk, nv) = (nf.keys(&o.time)?, nf.keys(&o.sector)?, nf.numeric(&o.value)?);
                let mut have = vec![false; nt * nj];
                for r in 0..nf.nrows() {
                    let Some(&t) = tpos.get(ntk[r].as_str()) else { continue };
                    let j = spos[nsk[r].as_str()];
                    if have[t * nj + j] {
                        return Err(Error::data(format!(
                            "{what}: national table has more than one row for sector {} in period {}",
                            nsk[r], ntk[r]
                        )));
                    }
                    if !(nv[r].is_finite() && nv[r] >= 0.0) {
                        return Err(Error::data(format!(
                            "{what}: national employment of sector {} in period {} is {}, not a number ≥ 0",
                            nsk[r], ntk[r], nv[r]
                        )));
                    }
                    have[t * nj + j] = true;
                    in_period[t * nj + j] = true;
                    nat_e[t * nj + j] = nv[r];
                }
                if let Some(s) = (0..nt * nj).find(|&s| in_period[s] && !have[s]) {
                    return Err(Error::data(format!(
                        "{what}: the national table has no employment for sector {} in period {}",
                        sectors[s % nj],
                        periods[s / nj]
                    )));
                }
            }
            None => {
                for (k, &(_, t)) in pairs.iter().enumerate() {
                    for j in 0..nj {
                        let x = e[k * nj + j];
                        if x.is_finite() {
                            nat_e[t * nj + j] += x;
                        }
                    }
                }
            }
        }
        let mut national = vec![f64::NAN; nt * nj];
        for t in 0..nt {
            let total: f64 = (0..nj)
                .filter(|&j| in_period[t * nj + j])
                .map(|j| nat_e[t * nj + j])
                .sum();
            if total.is_nan() || total <= 0.0 {
                return Err(Error::data(format!(
                    "{what}: national employment in period {} sums to {total}; shares are undefined",
                    periods[t]
                )));
            }
            for j in (0..nj).filter(|&j| in_period[t * nj + j]) {
                national[t * nj + j] = nat_e[t * nj + j] / total;
            }
        }
        // Unit shares IS_itj.
        let mut share = vec![f64::NAN; pairs.len() * nj];
        let mut complete = vec![true; pairs.len()];
        for (k, &(u, t)) in pairs.iter().enumerate() {
            let cell = &mut e[k * nj..(k + 1) * nj];
            for j in 0..nj {
                if in_period[t * nj + j] && !cell[j].is_finite() {
                    match o.missing_sector {
                        MissingSector::Missing => complete[k] = false,
                        MissingSector::Zero => cell[j] = 0.0,
                    }
                }
            }
            if !complete[k] {
                continue;
            }
            let total: f64 = (0..nj).filter(|&j| in_period[t * nj + j]).map(|j| cell[j]).sum();
            if total == 0.0 {
                return Err(Error::data(format!(
                    "{what}: unit {} has total employment 0 in period {}; shares are undefined (drop the unit-period)",
                    units[u], periods[t]
                )));
            }
            for j in (0..nj).filter(|&j| in_period[t * nj + j]) {
                share[k * nj + j] = cell[j] / total;
            }
        }
        let _ = nu;
        Ok(Shares {
            units,
            periods,
            sectors,
            pairs,
            share,
            complete,
            national,
        })
    }

    fn nj(&self) -> usize {
        self.sectors.len()
    }

    /// (IS_itj, IS_tj) over the sectors of the pair's period.
    fn cell(&self, k: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
        let nj = self.nj();
        let t = self.pairs[k].1;
        (0..nj)
            .map(move |j| (self.share[k * nj + j], self.national[t * nj + j]))
            .filter(|(_, n)| !n.is_nan())
    }
}

/// Mar and Jacobs by unit and period (docs/methods.md §1.2–1.3): a `Frame` with the columns id, time,
/// `mar`, `jacobs`, one row per (unit, period) in order of first appearance. Errors: total
/// employment 0, negative employment, duplicate rows, a zero Jacobs denominator (unless
/// `jacobs_zero` caps it).
pub fn agglomeration(emp: &Frame, opts: &AggOptions) -> Result<Frame> {
    let s = Shares::new(emp, opts)?;
    let np = s.pairs.len();
    let mut mar = vec![f64::NAN; np];
    let mut jac = vec![f64::NAN; np];
    let lq_sector = match &opts.mar {
        MarKind::Lq(name) => Some(s.sectors.iter().position(|x| x == name).ok_or_else(|| {
            Error::invalid(format!(
                "agglomeration: mar lq:{name}: no sector '{name}' (sectors: {})",
                list_some(&s.sectors, 20)
            ))
        })?),
        _ => None,
    };
    for k in 0..np {
        if !s.complete[k] {
            continue;
        }
        let (u, t) = s.pairs[k];
        mar[k] = match &opts.mar {
            MarKind::MaxLq => s
                .cell(k)
                .filter(|(_, n)| *n > 0.0)
                .map(|(a, n)| a / n)
                .fold(f64::NEG_INFINITY, f64::max),
            MarKind::Krugman => s.cell(k).map(|(a, n)| (a - n).abs()).sum(),
            MarKind::MaxShare => s.cell(k).map(|(a, _)| a).fold(f64::NEG_INFINITY, f64::max),
            MarKind::Lq(_) => {
                let j = lq_sector.unwrap_or(0);
                let n = s.national[t * s.nj() + j];
                if n > 0.0 {
                    s.share[k * s.nj() + j] / n
                } else {
                    f64::NAN
                }
            }
        };
        let den: f64 = match opts.jacobs {
            JacobsKind::Rdi => s.cell(k).map(|(a, n)| (a - n).abs()).sum(),
            JacobsKind::RdiSquared => s.cell(k).map(|(a, n)| (a - n) * (a - n)).sum(),
            JacobsKind::InverseHhi => s.cell(k).map(|(a, _)| a * a).sum(),
        };
        jac[k] = if den > 0.0 {
            1.0 / den
        } else {
            match opts.jacobs_zero {
                JacobsZero::Cap(eps) if eps > 0.0 => 1.0 / den.max(eps),
                _ => {
                    return Err(Error::numeric(format!(
                        "agglomeration: unit {} in period {} has the national sector structure, so the Jacobs \
                         denominator is 0 and the index is infinite; set jacobs_zero to a cap (Jacobs = 1/eps)",
                        s.units[u], s.periods[t]
                    )))
                }
            }
        };
    }
    let (ids, times): (Vec<String>, Vec<String>) = s
        .pairs
        .iter()
        .map(|&(u, t)| (s.units[u].clone(), s.periods[t].clone()))
        .unzip();
    keyed_frame(
        vec![
            (opts.id.clone(), ids, emp.column(&opts.id)?),
            (opts.time.clone(), times, emp.column(&opts.time)?),
        ],
        vec![("mar".into(), Column::Num(mar)), ("jacobs".into(), Column::Num(jac))],
    )
}

/// Location quotients LQ_itj = IS_itj / IS_tj in long form: a `Frame` with the columns id,
/// time, sector, `lq`, one row per (unit, period, sector of the period). NaN where the unit
/// has a missing sector or the sector is absent nationally (IS_tj = 0).
pub fn location_quotients(emp: &Frame, opts: &AggOptions) -> Result<Frame> {
    let s = Shares::new(emp, opts)?;
    let nj = s.nj();
    let (mut ids, mut times, mut secs, mut lq) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, &(u, t)) in s.pairs.iter().enumerate() {
        for j in 0..nj {
            let n = s.national[t * nj + j];
            if n.is_nan() {
                continue;
            }
            ids.push(s.units[u].clone());
            times.push(s.periods[t].clone());
            secs.push(s.sectors[j].clone());
            lq.push(if s.complete[k] && n > 0.0 {
                s.share[k * nj + j] / n
            } else {
                f64::NAN
            });
        }
    }
    keyed_frame(
        vec![
            (opts.id.clone(), ids, emp.column(&opts.id)?),
            (opts.time.clone(), times, emp.column(&opts.time)?),
            (opts.sector.clone(), secs, emp.column(&opts.sector)?),
        ],
        vec![("lq".into(), Column::Num(lq))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/methods.md Appendix B: city shares (0.5, 0.3, 0.2), national (0.25, 0.25, 0.5).
    fn example() -> (Frame, Frame) {
        let f = Frame::from_columns(vec![
            ("id".into(), Column::Text(vec!["a".into(); 3])),
            ("time".into(), Column::Num(vec![1.0; 3])),
            ("industry".into(), Column::Num(vec![1.0, 2.0, 3.0])),
            ("emp".into(), Column::Num(vec![50.0, 30.0, 20.0])),
        ])
        .unwrap();
        let n = Frame::from_columns(vec![
            ("time".into(), Column::Num(vec![1.0; 3])),
            ("industry".into(), Column::Num(vec![1.0, 2.0, 3.0])),
            ("emp".into(), Column::Num(vec![25.0, 25.0, 50.0])),
        ])
        .unwrap();
        (f, n)
    }

    #[test]
    fn appendix_b_shares() {
        let (f, n) = example();
        let o = AggOptions {
            national: Some(n),
            ..Default::default()
        };
        let r = agglomeration(&f, &o).unwrap();
        assert!((r.numeric("mar").unwrap()[0] - 2.0).abs() < 1e-15);
        assert!((r.numeric("jacobs").unwrap()[0] - 5.0 / 3.0).abs() < 1e-14);
    }
}
