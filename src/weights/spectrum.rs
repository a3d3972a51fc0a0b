//! Eigenvalues of W, computed once: from the symmetric similar matrix S = D^{−1/2} C D^{−1/2}
//! when W = D⁻¹C with C symmetric (docs/methods.md §4.2), from the general eigen solver otherwise.

use super::Weights;
use crate::error::{Error, Result};

/// The eigenvalues ω of W (real parts `re`, imaginary parts `im`; `im` all zero for a real
/// spectrum).
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// Real parts.
    pub re: Vec<f64>,
    /// Imaginary parts (all zero when the spectrum is real).
    pub im: Vec<f64>,
    /// True when computed through the symmetric similar matrix.
    pub via_symmetric: bool,
}

impl Spectrum {
    /// True when every eigenvalue is real.
    pub fn is_real(&self) -> bool {
        self.im.iter().all(|v| *v == 0.0)
    }

    /// Smallest and largest real eigenvalue (complex ones ignored, as spatialreg does).
    pub fn real_range(&self) -> (f64, f64) {
        self.re
            .iter()
            .zip(&self.im)
            .filter(|(_, i)| **i == 0.0)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (r, _)| {
                (lo.min(*r), hi.max(*r))
            })
    }

    /// The feasible interval (1/ω_min, 1/ω_max) of the spatial parameter over the real
    /// eigenvalues (docs/methods.md §4.1, spatialreg `eigen_setup`). When W has no negative real
    /// eigenvalue (e.g. a directed ring, whose other eigenvalues are complex) or no positive
    /// one, that side is bounded by the spectral radius instead: ±1/max|ω|, inside which
    /// I − ρW is always non-singular.
    pub fn interval(&self) -> (f64, f64) {
        let (lo, hi) = self.real_range();
        let r = self.spectral_radius();
        let lo = if lo < 0.0 { 1.0 / lo } else { -1.0 / r };
        let hi = if hi > 0.0 { 1.0 / hi } else { 1.0 / r };
        (lo, hi)
    }

    /// ln|I − ρW| = Σ ln(1 − ρω) (real part of the complex sum for complex ω).
    pub fn logdet(&self, rho: f64) -> f64 {
        self.re
            .iter()
            .zip(&self.im)
            .map(|(a, b)| {
                if *b == 0.0 {
                    (1.0 - rho * a).ln()
                } else {
                    0.5 * ((1.0 - rho * a).powi(2) + (rho * b).powi(2)).ln()
                }
            })
            .sum()
    }

    /// Largest |ω|.
    pub fn spectral_radius(&self) -> f64 {
        self.re
            .iter()
            .zip(&self.im)
            .map(|(a, b)| a.hypot(*b))
            .fold(0.0, f64::max)
    }
}

/// Computes the spectrum of `w` (dense; O(N³) time, O(N²) memory, done once per W).
///
/// When W = D⁻¹C with C symmetric, the eigenvalues are those of the symmetric
/// S = D^{1/2} W D^{−1/2} (s_ij = √d_i w_ij / √d_j), found with a symmetric solver: real and
/// accurate. Otherwise the general (non-symmetric) solver is used. The decomposition runs on a
/// helper thread so that Ctrl-C returns at once ([`crate::interrupt::run_interruptible`]).
pub fn compute(w: &Weights) -> Result<Spectrum> {
    crate::budget::check_f64(
        &format!("eigenvalues of W: a dense N × N matrix with N = {}", w.n()),
        &[w.n(), w.n()],
        "at this size use the sparse log-determinant (lndet: \"sparse\") instead of eigenvalues",
    )?;
    let wc = w.clone();
    let s = crate::interrupt::run_interruptible(move || compute_here(&wc))??;
    check_finite(&s, w)?;
    Ok(s)
}

/// Eigenvalues are never NaN in silence: an error (naming W's size and what to check) when
/// any eigenvalue is NaN or infinite.
fn check_finite(s: &Spectrum, w: &Weights) -> Result<()> {
    let bad =
        s.re.iter()
            .zip(&s.im)
            .filter(|(a, b)| !(a.is_finite() && b.is_finite()))
            .count();
    if bad == 0 {
        return Ok(());
    }
    Err(Error::numeric(format!(
        "eigenvalues of W ({} units, {} standardisation): {bad} of {} are not finite numbers; \
         check W for negative weights, rows whose weights cancel, or very large or tiny weights \
         (w.summary() describes W)",
        w.n(),
        w.standardization().name(),
        s.re.len()
    )))
}

/// [`compute`] on the calling thread.
fn compute_here(w: &Weights) -> Result<Spectrum> {
    let n = w.n();
    let m = w.matrix();
    let evd_err = |e: faer::linalg::evd::EvdError| Error::numeric(format!("eigenvalues of W did not converge ({e:?})"));
    if let Some(d) = w.sym_scale() {
        let sq: Vec<f64> = d.iter().map(|v| v.sqrt()).collect();
        let mut s = faer::Mat::<f64>::zeros(n, n);
        for (i, row) in m.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                s[(i, j)] = sq[i] * v / sq[j];
            }
        }
        // Symmetrise exactly (rounding) before the symmetric solver.
        for i in 0..n {
            for j in 0..i {
                let a = 0.5 * (s[(i, j)] + s[(j, i)]);
                s[(i, j)] = a;
                s[(j, i)] = a;
            }
        }
        let re = s.self_adjoint_eigenvalues(faer::Side::Lower).map_err(evd_err)?;
        return Ok(Spectrum {
            im: vec![0.0; re.len()],
            re,
            via_symmetric: true,
        });
    }
    let mut a = faer::Mat::<f64>::zeros(n, n);
    for (i, row) in m.outer_iterator().enumerate() {
        for (j, &v) in row.iter() {
            a[(i, j)] = v;
        }
    }
    let ev = a.eigenvalues().map_err(evd_err)?;
    let mut pairs: Vec<(f64, f64)> = ev
        .iter()
        .map(|c| (c.re, if c.im.abs() < 1e-12 { 0.0 } else { c.im }))
        .collect();
    pairs.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    Ok(Spectrum {
        re: pairs.iter().map(|p| p.0).collect(),
        im: pairs.iter().map(|p| p.1).collect(),
        via_symmetric: false,
    })
}

/// The general (non-symmetric) eigenvalues of W, ignoring any symmetry; for checking the
/// similarity path.
pub fn compute_general(w: &Weights) -> Result<Spectrum> {
    let plain = w.without_sym_scale();
    compute(&plain)
}

#[cfg(test)]
mod tests {
    use crate::weights::{Standardization, Weights};

    #[test]
    fn non_finite_eigenvalues_are_an_error_naming_w() {
        let ids: Vec<String> = (1..=2).map(|i| i.to_string()).collect();
        let w = Weights::from_triplets(ids, &[(0, 1, 1.0), (1, 0, 1.0)], Standardization::Row, false).unwrap();
        let bad = super::Spectrum {
            re: vec![f64::NAN, 1.0],
            im: vec![0.0, 0.0],
            via_symmetric: true,
        };
        let e = super::check_finite(&bad, &w).unwrap_err().to_string();
        assert!(
            e.contains("eigenvalues of W (2 units, row standardisation): 1 of 2"),
            "{e}"
        );
        assert!(e.contains("negative weights"), "{e}");
        assert!(super::check_finite(&w.spectrum().unwrap(), &w).is_ok());
    }

    #[test]
    fn directed_ring_interval_is_not_empty() {
        // Directed 5-ring: ω = the fifth roots of unity; the only real one is 1.
        let ids: Vec<String> = (1..=5).map(|i| i.to_string()).collect();
        let t: Vec<(usize, usize, f64)> = (0..5).map(|i| (i, (i + 1) % 5, 1.0)).collect();
        let w = Weights::from_triplets(ids, &t, Standardization::Row, false).unwrap();
        let (lo, hi) = w.spectrum().unwrap().interval();
        assert!((lo + 1.0).abs() < 1e-10 && (hi - 1.0).abs() < 1e-10, "({lo}, {hi})");
    }

    #[test]
    fn two_unit_and_ring_closed_forms() {
        let ids = |n: usize| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>();
        // W = [[0,1],[1,0]]: ω = ±1, ln|I − ρW| = ln(1 − ρ²) (docs/methods.md App. B).
        let w = Weights::from_triplets(ids(2), &[(0, 1, 1.0), (1, 0, 1.0)], Standardization::Row, false).unwrap();
        let s = w.spectrum().unwrap();
        assert!((s.re[0] + 1.0).abs() < 1e-14 && (s.re[1] - 1.0).abs() < 1e-14);
        assert!((s.logdet(0.3) - (1.0f64 - 0.09).ln()).abs() < 1e-14);
        // Row-standardised 4-ring: ω = {−1, 0, 0, 1}.
        let t = [
            (0, 1, 1.0),
            (1, 0, 1.0),
            (1, 2, 1.0),
            (2, 1, 1.0),
            (2, 3, 1.0),
            (3, 2, 1.0),
            (3, 0, 1.0),
            (0, 3, 1.0),
        ];
        let w = Weights::from_triplets(ids(4), &t, Standardization::Row, false).unwrap();
        let s = w.spectrum().unwrap();
        let g = super::compute_general(&w).unwrap();
        for (a, b) in s.re.iter().zip(&g.re) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!((s.logdet(0.4) - ((0.6f64).ln() + (1.4f64).ln())).abs() < 1e-13);
    }
}
