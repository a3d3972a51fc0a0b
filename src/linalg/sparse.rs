//! Sparse helpers shared by the log-determinant engines and the trace estimators
//! (docs/methods.md §4.2–4.5, §9): detection of the symmetric similarity W = D⁻¹C, the sparse quadratic
//! form z'Wz, traces, and a bound on the spectral radius.

use crate::weights::Weights;
use sprs::CsMat;

/// The diagonal d of a similarity W = D⁻¹C with C symmetric, so that
/// S = D^{1/2} W D^{−1/2} is symmetric (docs/methods.md §4.2, spatialreg `can.be.simmed`).
///
/// The row sums recorded by the weights builder when present, else detected from W itself
/// (up to one factor per connected component, [`crate::weights::similarity::similarity_scale`]);
/// kept in the weights' facts ([`Weights::facts`]), so computed once per W. `None` when W has a
/// negative weight, a one-way link, or is not of that form.
pub fn similarity_scale(w: &Weights) -> Option<Vec<f64>> {
    w.facts().similarity.clone()
}

/// The quadratic form z'Wz = Σ_i z_i Σ_j w_ij z_j over the CSR rows of W (no allocation); the
/// sparse counterpart of [`crate::linalg::quad_form`].
pub fn lag_quad_form(w: &CsMat<f64>, z: &[f64]) -> f64 {
    w.outer_iterator()
        .zip(z)
        .map(|(row, zi)| zi * row.iter().map(|(j, wij)| wij * z[j]).sum::<f64>())
        .sum()
}

/// tr(A) of a CSR matrix.
pub fn trace(a: &CsMat<f64>) -> f64 {
    (0..a.rows()).filter_map(|i| a.get(i, i)).sum()
}

/// An upper bound r on the spectral radius of W: min(max_i Σ_j |w_ij|, max_j Σ_i |w_ij|)
/// (both induced norms bound it). Equal to 1 for a row-standardised W.
pub fn spectral_bound(m: &CsMat<f64>) -> f64 {
    let mut cols = vec![0.0f64; m.cols()];
    let mut rmax = 0.0f64;
    for row in m.outer_iterator() {
        let mut s = 0.0;
        for (j, v) in row.iter() {
            s += v.abs();
            cols[j] += v.abs();
        }
        rmax = rmax.max(s);
    }
    let cmax = cols.into_iter().fold(0.0f64, f64::max);
    rmax.min(cmax)
}

/// True when every weight is non-negative (then tr(Wᵏ) ≥ 0 for all k).
pub fn is_nonnegative(m: &CsMat<f64>) -> bool {
    m.data().iter().all(|v| *v >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::Standardization;

    #[test]
    fn similarity_detected_after_standardisation_is_forgotten() {
        // C symmetric (Appendix B, Ybar = 1, 2, 4), W = D⁻¹C stored without its d.
        let ids: Vec<String> = (1..=3).map(|i| i.to_string()).collect();
        let c = [
            (0, 1, 1.0),
            (1, 0, 1.0),
            (0, 2, 1.0 / 3.0),
            (2, 0, 1.0 / 3.0),
            (1, 2, 0.5),
            (2, 1, 0.5),
        ];
        let w = Weights::from_triplets(ids.clone(), &c, Standardization::Row, false).unwrap();
        let plain = w.without_sym_scale();
        let d = similarity_scale(&plain).unwrap();
        // d ∝ row sums of C = (4/3, 3/2, 5/6).
        assert!((d[1] / d[0] - (1.5 / (4.0 / 3.0))).abs() < 1e-14);
        assert!((d[2] / d[0] - ((5.0 / 6.0) / (4.0 / 3.0))).abs() < 1e-14);
        // A one-way link is not similar to a symmetric matrix.
        let one_way = Weights::from_triplets(
            ids,
            &[(0, 1, 1.0), (1, 2, 1.0), (2, 1, 1.0)],
            Standardization::Row,
            true,
        )
        .unwrap();
        assert!(similarity_scale(&one_way.without_sym_scale()).is_none());
        assert!((spectral_bound(w.matrix()) - 1.0).abs() < 1e-15);
    }
}
