//! Detection of W = D⁻¹C with C symmetric (docs/methods.md §4.2) for matrices that arrive without
//! their raw C, and the symmetry tests of sparse matrices.

use super::Weights;
use crate::error::Result;
use sprs::CsMat;

/// The one relative tolerance of the facts of W: a row "sums to one" when |Σ_j w_ij − 1| ≤
/// `FACT_TOL`; W is symmetric when |w_ij − w_ji| ≤ `FACT_TOL`·max(|w_ij|, |w_ji|) on every link;
/// W = D⁻¹C with C symmetric when |d_i w_ij − d_j w_ji| ≤ `FACT_TOL`·max(|d_i w_ij|, |d_j w_ji|).
pub const FACT_TOL: f64 = 1e-10;

/// Relative tolerance of [`similarity_scale`]: the one tolerance of the facts of W.
pub const SIMILARITY_RTOL: f64 = FACT_TOL;

/// Detects W = D⁻¹C with C symmetric and returns d (up to one positive factor per connected
/// component), or `None`.
///
/// W is diagonally similar to a symmetric matrix iff its pattern is symmetric, w_ij/w_ji > 0 on
/// every link, and d_i w_ij = d_j w_ji holds for all links. d is propagated along a breadth-first
/// spanning forest (d_root = 1, d_j = d_i w_ij / w_ji) and then verified on every link to
/// [`FACT_TOL`] relative. Then S = D^{1/2} W D^{−1/2} is symmetric and has the eigenvalues
/// of W. For a row-standardised W, d is proportional to the row sums of C. O(nnz log N).
/// (For a [`Weights`], [`Weights::facts`] keeps the result.)
pub fn similarity_scale(w: &CsMat<f64>) -> Option<Vec<f64>> {
    let owned;
    let w = if w.is_csr() {
        w
    } else {
        owned = w.to_csr();
        &owned
    };
    scale_from_transpose(w, &transpose_values(w)?)
}

/// [`similarity_scale`] of the CSR `w` given the values `wt` of Wᵀ aligned with its entries
/// ([`transpose_values`]).
pub(crate) fn scale_from_transpose(w: &CsMat<f64>, wt: &[f64]) -> Option<Vec<f64>> {
    let n = w.rows();
    let ip = w.indptr();
    let (ptr, idx, wd) = (ip.raw_storage(), w.indices(), w.data());
    let mut d = vec![f64::NAN; n];
    let mut queue = std::collections::VecDeque::new();
    for root in 0..n {
        if !d[root].is_nan() {
            continue;
        }
        d[root] = 1.0;
        queue.push_back(root);
        while let Some(i) = queue.pop_front() {
            for k in ptr[i]..ptr[i + 1] {
                let (j, wij, wji) = (idx[k], wd[k], wt[k]);
                if j == i || !d[j].is_nan() {
                    continue;
                }
                let ratio = wij / wji;
                if !ratio.is_finite() || ratio <= 0.0 {
                    return None;
                }
                d[j] = d[i] * ratio;
                if !d[j].is_finite() || d[j] <= 0.0 {
                    return None;
                }
                queue.push_back(j);
            }
        }
    }
    scale_verified(w, wt, &d).then_some(d)
}

/// True when d_i w_ij = d_j w_ji on every link of the CSR `w` to [`FACT_TOL`] relative, with
/// `wt` the values of Wᵀ aligned with W's entries.
pub(crate) fn scale_verified(w: &CsMat<f64>, wt: &[f64], d: &[f64]) -> bool {
    let ip = w.indptr();
    let (ptr, idx, wd) = (ip.raw_storage(), w.indices(), w.data());
    (0..w.rows()).all(|i| {
        (ptr[i]..ptr[i + 1]).all(|k| {
            let j = idx[k];
            let (a, b) = (d[i] * wd[k], d[j] * wt[k]);
            j == i || (a - b).abs() <= FACT_TOL * a.abs().max(b.abs())
        })
    })
}

/// The values of Wᵀ aligned with the stored entries of the CSR `w` (w_ji for each stored
/// w_ij) when the pattern of W is symmetric; `None` otherwise (or when `w` is not square or not
/// CSR). One transpose of the matrix, no copy of `w`; O(nnz).
pub(crate) fn transpose_values(w: &CsMat<f64>) -> Option<Vec<f64>> {
    if w.rows() != w.cols() || !w.is_csr() {
        return None;
    }
    let t = w.transpose_view().to_csr();
    let same = w.indptr().raw_storage() == t.indptr().raw_storage() && w.indices() == t.indices();
    same.then(|| t.data().to_vec())
}

/// True when W = Wᵀ to [`FACT_TOL`] relative (O(nnz), unlike a look-up per entry). For a
/// [`Weights`], [`Weights::is_symmetric`] keeps the answer.
pub fn is_symmetric_fast(w: &CsMat<f64>) -> bool {
    is_symmetric_tol(w, FACT_TOL)
}

/// True when `w` equals its transpose to relative tolerance `tol`; O(nnz).
pub fn is_symmetric_tol(w: &CsMat<f64>, tol: f64) -> bool {
    let owned;
    let w = if w.is_csr() {
        w
    } else {
        owned = w.to_csr();
        &owned
    };
    transpose_values(w).is_some_and(|t| {
        w.data()
            .iter()
            .zip(&t)
            .all(|(v, u)| (u - v).abs() <= tol * v.abs().max(u.abs()))
    })
}

/// `w` with the symmetric-similarity information attached when W = D⁻¹C with C symmetric is
/// detected ([`Weights::facts`]) and the rows of W sum to one or zero (to [`FACT_TOL`]).
///
/// The matrix is left bit-identical (not copied); only the row sums d are attached (so its
/// eigenvalues come from the symmetric similar matrix). Other matrices are returned unchanged.
pub fn with_similarity(w: Weights) -> Result<Weights> {
    if w.sym_scale().is_some() {
        return Ok(w);
    }
    let facts = w.facts();
    match (&facts.similarity, facts.row_standardised) {
        // d was verified on every link when it was detected.
        (Some(d), true) => Ok(w.with_verified_sym_scale(d.clone())),
        _ => Ok(w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_row_standardised_symmetric() {
        // C = [[0,1,2],[1,0,3],[2,3,0]], W = D⁻¹C.
        let c = [[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]];
        let mut tri = sprs::TriMat::new((3, 3));
        for (i, r) in c.iter().enumerate() {
            let s: f64 = r.iter().sum();
            for (j, v) in r.iter().enumerate() {
                if *v != 0.0 {
                    tri.add_triplet(i, j, v / s);
                }
            }
        }
        let w: CsMat<f64> = tri.to_csr();
        let d = similarity_scale(&w).unwrap();
        // d ∝ (3, 4, 5).
        assert!((d[1] / d[0] - 4.0 / 3.0).abs() < 1e-14 && (d[2] / d[0] - 5.0 / 3.0).abs() < 1e-14);
        // An asymmetric pattern is not similar to symmetric through a diagonal.
        let mut tri = sprs::TriMat::new((3, 3));
        tri.add_triplet(0, 1, 1.0);
        tri.add_triplet(1, 2, 1.0);
        tri.add_triplet(2, 0, 1.0);
        assert!(similarity_scale(&tri.to_csr()).is_none());
        // Symmetric pattern, but the cycle product condition fails.
        let v = [
            (0, 1, 0.5),
            (0, 2, 0.5),
            (1, 0, 0.2),
            (1, 2, 0.8),
            (2, 0, 0.5),
            (2, 1, 0.5),
        ];
        let mut tri = sprs::TriMat::new((3, 3));
        for (i, j, x) in v {
            tri.add_triplet(i, j, x);
        }
        assert!(similarity_scale(&tri.to_csr()).is_none());
    }
}
