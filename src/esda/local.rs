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
    /// The quadrant named `"HH"`, `"LL"`, `"HL"` or `"LH"` (as [`Quadrant::as_str`] writes it).
    pub fn from_name(s: &str) -> Option<Quadrant> {
        match s.trim() {
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

/// The LISA cluster of a unit (docs/methods.md §3.1): its quadrant when its p-value is at most
/// `alpha` (GeoDa's rule, p ≤ α), `None` ("not significant") otherwise or when p is undefined
/// (NaN: an island, z_i = 0). Pass the permutation pseudo p when permutations were run, else the
/// normal p.
pub fn lisa_cluster(quadrant: Quadrant, p: f64, alpha: f64) -> Option<Quadrant> {
    (p <= alpha).then_some(quadrant)
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
    /// A frame with columns id, ii, e_ii, var_ii, z, p, p_sim (NaN without permutations) and
    /// quadrant.
    pub fn to_frame(&self) -> Result<Frame> {
        let n = self.ids.len();
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
        ])
    }
}
