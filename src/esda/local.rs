//! Local Moran's I (LISA) with conditional-randomisation moments, a conditional permutation
//! pseudo p and the Moran-scatterplot quadrant of each unit.
//!
//! ```text
//! z = x − x̄,  m2 = Σz²/N,  I_i = z_i Σ_j w_ij z_j / m2        (Σ_i I_i = S0 · I)
//! E(I_i)   = −z_i² W_i / ((N−1) m2)
//! Var(I_i) = (z_i/m2)² · N/(N−2) · (W_i(2) − W_i²/(N−1)) · (m2 − z_i²/(N−1))
//! W_i = Σ_j w_ij,  W_i(2) = Σ_j w_ij²
//! ```
//! The moments are those of spdep `localmoran(conditional = TRUE)` (its default; Sokal et al.
//! 1998 A7–A8, Sauer et al. 2021): the exact mean and variance of I_i when z_i is held fixed and
//! the other N−1 values are permuted, i.e. of the conditional permutation used for `p_sim`.
//! `I_i` uses m2 with divisor N (spdep `mlvar = TRUE`, esda). The pseudo p follows esda
//! `Moran_Local` (smaller tail, (tail + 1)/(perms + 1)); quadrants follow esda (a value equal to
//! the mean counts as low).
//!
//! LISA cluster of a unit (docs/methods.md §3, "LISA clusters"; Anselin 1995, GeoDa's cluster map, esda
//! `Moran_Local.q` with `p_sim < alpha`): its quadrant when its p < alpha, else "Not
//! significant". The p is the permutation pseudo p when permutations were run, else the
//! two-sided normal p under conditional randomisation ([`LocalMoran::p_used`]).

use super::moran::variance_is_zero;
use super::permutation::folded_p;
use super::{centre, check_cross_section, MoranOptions};
use crate::data::{Column, Frame};
use crate::error::Result;
use crate::progress::Progress;
use crate::rng::{below, rng_for};
use crate::stats::p_normal_two_sided;
use crate::weights::Weights;
use rayon::prelude::*;

/// Quadrant of the Moran scatterplot: own deviation (H/L) then lag of deviations (H/L).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quadrant {
    /// High value, high neighbours.
    HH,
    /// Low value, low neighbours.
    LL,
    /// High value, low neighbours.
    HL,
    /// Low value, high neighbours.
    LH,
}

impl Quadrant {
    /// `"HH"`, `"LL"`, `"HL"` or `"LH"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Quadrant::HH => "HH",
            Quadrant::LL => "LL",
            Quadrant::HL => "HL",
            Quadrant::LH => "LH",
        }
    }
    /// Reads back a `quadrant` cell of [`LocalMoran::to_frame`] (`"HH"`, `"LL"`, `"HL"`, `"LH"`).
    pub fn from_code(code: &str) -> Option<Quadrant> {
        match code {
            "HH" => Some(Quadrant::HH),
            "LL" => Some(Quadrant::LL),
            "HL" => Some(Quadrant::HL),
            "LH" => Some(Quadrant::LH),
            _ => None,
        }
    }
    fn of(z: f64, lag: f64) -> Quadrant {
        match (z > 0.0, lag > 0.0) {
            (true, true) => Quadrant::HH,
            (false, false) => Quadrant::LL,
            (true, false) => Quadrant::HL,
            (false, true) => Quadrant::LH,
        }
    }
}

/// Significance level of the LISA cluster labels when none is given (GeoDa, esda).
pub const DEFAULT_ALPHA: f64 = 0.05;

/// LISA cluster type of a unit: its quadrant when significant, else not significant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cluster {
    /// Significant, high value among high neighbours (hot spot).
    HighHigh,
    /// Significant, low value among low neighbours (cold spot).
    LowLow,
    /// Significant, high value among low neighbours (outlier).
    HighLow,
    /// Significant, low value among high neighbours (outlier).
    LowHigh,
    /// p ≥ alpha, or p undefined (NaN: an island, z_i = 0).
    NotSignificant,
}

impl Cluster {
    /// The five types in GeoDa's legend order.
    pub const ALL: [Cluster; 5] = [
        Cluster::HighHigh,
        Cluster::LowLow,
        Cluster::LowHigh,
        Cluster::HighLow,
        Cluster::NotSignificant,
    ];
    /// `"High-High"`, `"Low-Low"`, `"High-Low"`, `"Low-High"` or `"Not significant"`.
    pub fn label(self) -> &'static str {
        match self {
            Cluster::HighHigh => "High-High",
            Cluster::LowLow => "Low-Low",
            Cluster::HighLow => "High-Low",
            Cluster::LowHigh => "Low-High",
            Cluster::NotSignificant => "Not significant",
        }
    }
    /// Reads back a `cluster` cell of [`LocalMoran::to_frame`] (a [`Cluster::label`]).
    pub fn from_label(label: &str) -> Option<Cluster> {
        Cluster::ALL.into_iter().find(|c| c.label() == label)
    }
    /// True for the four significant types.
    pub fn is_significant(self) -> bool {
        self != Cluster::NotSignificant
    }
}

/// LISA cluster of one unit: `quadrant` when `p < alpha`, else [`Cluster::NotSignificant`]
/// (also for a NaN p). Pass the permutation pseudo p (`p_sim`) when permutations were run,
/// else the normal p, as [`LocalMoran::p_used`] does; this is esda's cluster map rule
/// (`q` where `p_sim < alpha`) and GeoDa's; docs/methods.md §3, "LISA clusters".
pub fn lisa_cluster(quadrant: Quadrant, p: f64, alpha: f64) -> Cluster {
    if p < alpha {
        match quadrant {
            Quadrant::HH => Cluster::HighHigh,
            Quadrant::LL => Cluster::LowLow,
            Quadrant::HL => Cluster::HighLow,
            Quadrant::LH => Cluster::LowHigh,
        }
    } else {
        Cluster::NotSignificant
    }
}

/// Checks a significance level for the LISA clusters: a probability in (0, 1).
pub fn check_alpha(alpha: f64, what: &str) -> Result<f64> {
    if alpha.is_finite() && alpha > 0.0 && alpha < 1.0 {
        Ok(alpha)
    } else {
        Err(crate::error::Error::invalid(format!(
            "{what}: alpha = {alpha} is not a significance level in (0, 1); e.g. alpha: 0.05"
        )))
    }
}

/// Local Moran statistics of one variable.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalMoran {
    /// Unit ids (order of the weights).
    pub ids: Vec<String>,
    /// I_i.
    pub ii: Vec<f64>,
    /// E(I_i) under conditional randomisation.
    pub expected: Vec<f64>,
    /// Var(I_i) under conditional randomisation.
    pub variance: Vec<f64>,
    /// (I_i − E)/sqrt(Var); NaN when the variance is zero (z_i = 0 or an island).
    pub z: Vec<f64>,
    /// Two-sided normal p of `z`.
    pub p: Vec<f64>,
    /// Conditional-permutation pseudo p, when permutations were asked for (NaN for islands).
    pub p_sim: Option<Vec<f64>>,
    /// Quadrant of each unit.
    pub quadrant: Vec<Quadrant>,
    /// Spatial lag of the deviations, (Wz)_i.
    pub lag: Vec<f64>,
}

/// Local Moran's I of the cross-section `x` (order of `w.ids()`). Errors as
/// [`moran`](super::moran()) (length, NaN, N < 4, constant x).
pub fn local_moran(x: &[f64], w: &Weights, opts: &MoranOptions) -> Result<LocalMoran> {
    check_cross_section(x, w, "local_moran", 4)?;
    let (z, zz) = centre(x, "local_moran")?;
    let n = x.len();
    let nf = n as f64;
    let m2 = zz / nf;
    let lag = w.lag(&z);
    let mut ii = Vec::with_capacity(n);
    let mut expected = Vec::with_capacity(n);
    let mut variance = Vec::with_capacity(n);
    for (i, row) in w.matrix().outer_iterator().enumerate() {
        let wi: f64 = row.data().iter().sum();
        let wi2: f64 = row.data().iter().map(|v| v * v).sum();
        let zi2 = z[i] * z[i];
        ii.push(z[i] * lag[i] / m2);
        expected.push(-zi2 * wi / ((nf - 1.0) * m2));
        variance.push((zi2 / (m2 * m2)) * (nf / (nf - 2.0)) * (wi2 - wi * wi / (nf - 1.0)) * (m2 - zi2 / (nf - 1.0)));
    }
    // A variance that is zero up to rounding (a unit that neighbours every other, z_i = 0, an
    // island) leaves z_i undefined (NaN), never ±∞.
    let zs: Vec<f64> = (0..n)
        .map(|i| {
            if variance[i].is_nan() || variance[i] <= 0.0 || variance_is_zero(variance[i], expected[i]) {
                f64::NAN
            } else {
                (ii[i] - expected[i]) / variance[i].sqrt()
            }
        })
        .collect();
    let p = zs.iter().map(|&v| p_normal_two_sided(v)).collect();
    let quadrant = (0..n).map(|i| Quadrant::of(z[i], lag[i])).collect();
    let p_sim = opts
        .permutations
        .filter(|&d| d > 0)
        .map(|draws| conditional_p(&z, w, &ii, m2, draws, opts.seed))
        .transpose()?;
    Ok(LocalMoran {
        ids: w.ids().to_vec(),
        ii,
        expected,
        variance,
        z: zs,
        p,
        p_sim,
        quadrant,
        lag,
    })
}

/// Conditional permutation pseudo p of each I_i: z_i stays, its neighbours receive `k_i` values
/// drawn without replacement from the other N−1 deviations. Unit i uses stream i of `seed`, so
/// results do not depend on the number of threads. Each worker keeps one index buffer, restored
/// after every draw by undoing the partial Fisher–Yates swaps.
/// Stops early on Ctrl-C ([`crate::interrupt`]).
fn conditional_p(z: &[f64], w: &Weights, ii: &[f64], m2: f64, draws: usize, seed: u64) -> Result<Vec<f64>> {
    let n = z.len();
    let m = w.matrix();
    let progress = Progress::new(n as u64, "local Moran permutations");
    let base = rng_for(seed, 0);
    let out = (0..n)
        .into_par_iter()
        .map_init(
            || ((0..n - 1).collect::<Vec<usize>>(), Vec::<usize>::new()),
            |(buf, swaps), i| {
                // Row i of the CSR matrix (zero diagonal, so at most N−1 entries).
                let weights = &m.data()[m.indptr().outer_inds_sz(i)];
                let k = weights.len();
                // k = N − 1: every draw gives unit i the same neighbours (all others), so I_i
                // cannot move and its pseudo p is undefined, not the smallest p of rounding noise.
                if k == 0 || k >= n - 1 || crate::interrupt::requested() {
                    progress.inc();
                    return f64::NAN;
                }
                let mut rng = base.clone();
                rng.set_stream(i as u64);
                swaps.resize(k, 0);
                let factor = z[i] / m2;
                let mut larger = 0usize;
                for d in 0..draws {
                    // One unit's draws can take seconds (k neighbours × draws): check Ctrl-C
                    // within them too.
                    if d % 1024 == 1023 && crate::interrupt::requested() {
                        progress.inc();
                        return f64::NAN;
                    }
                    let mut s = 0.0;
                    for t in 0..k {
                        let r = t + below(&mut rng, n - 1 - t);
                        buf.swap(t, r);
                        swaps[t] = r;
                        let v = buf[t];
                        let unit = v + usize::from(v >= i);
                        s += weights[t] * z[unit];
                    }
                    for t in (0..k).rev() {
                        buf.swap(t, swaps[t]);
                    }
                    if factor * s >= ii[i] {
                        larger += 1;
                    }
                }
                progress.inc();
                folded_p(larger, draws)
            },
        )
        .collect();
    progress.finish();
    crate::interrupt::check()?;
    Ok(out)
}

impl LocalMoran {
    /// The p that decides significance: the permutation pseudo p when permutations were run,
    /// else the two-sided normal p.
    pub fn p_used(&self) -> &[f64] {
        self.p_sim.as_deref().unwrap_or(&self.p)
    }

    /// The LISA cluster of each unit at level `alpha` ([`lisa_cluster`] of the quadrant and
    /// [`LocalMoran::p_used`]).
    pub fn clusters(&self, alpha: f64) -> Vec<Cluster> {
        self.quadrant
            .iter()
            .zip(self.p_used())
            .map(|(&q, &p)| lisa_cluster(q, p, alpha))
            .collect()
    }

    /// A frame with columns id, ii, e_ii, var_ii, z, p, p_sim (NaN without permutations),
    /// quadrant, and the clusters at [`DEFAULT_ALPHA`] (see [`LocalMoran::to_frame_at`]).
    pub fn to_frame(&self) -> Result<Frame> {
        self.to_frame_at(DEFAULT_ALPHA)
    }

    /// As [`LocalMoran::to_frame`], with the cluster columns at level `alpha`: `cluster`
    /// ("High-High", "Low-Low", "High-Low", "Low-High", "Not significant") and `significant`
    /// (1 when p < alpha, else 0; p is `p_sim` when permutations were run, else `p`).
    pub fn to_frame_at(&self, alpha: f64) -> Result<Frame> {
        let alpha = check_alpha(alpha, "local_moran")?;
        let n = self.ids.len();
        let clusters = self.clusters(alpha);
        Frame::from_columns(vec![
            ("id".into(), Column::Text(self.ids.clone())),
            ("ii".into(), Column::Num(self.ii.clone())),
            ("e_ii".into(), Column::Num(self.expected.clone())),
            ("var_ii".into(), Column::Num(self.variance.clone())),
            ("z".into(), Column::Num(self.z.clone())),
            ("p".into(), Column::Num(self.p.clone())),
            (
                "p_sim".into(),
                Column::Num(self.p_sim.clone().unwrap_or_else(|| vec![f64::NAN; n])),
            ),
            (
                "quadrant".into(),
                Column::Text(self.quadrant.iter().map(|q| q.as_str().to_string()).collect()),
            ),
            (
                "cluster".into(),
                Column::Text(clusters.iter().map(|c| c.label().to_string()).collect()),
            ),
            (
                "significant".into(),
                Column::Num(
                    clusters
                        .iter()
                        .map(|c| f64::from(u8::from(c.is_significant())))
                        .collect(),
                ),
            ),
        ])
    }
}
