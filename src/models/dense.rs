//! Small dense linear-algebra helpers for regressions on a few columns of NT-vectors:
//! cross products, SPD solves and inverses (faer Cholesky) and least squares by Householder QR
//! (faer) with a rank check that names the collinear regressor.
//!
//! Regressors are kept as columns (`&[Vec<f64>]`, each of length NT) so that nothing larger
//! than NT×K is ever formed; K×K results are row-major `Vec<f64>`.

use crate::error::{list_some, Error, Result};
use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{Mat, Par, Side};

/// Relative tolerance of the rank check: regressor k is treated as a linear combination of the
/// regressors before it when its distance from their span, |R_kk| of the unpivoted QR, is at
/// most `RANK_TOL · ‖x_k‖` (R's `lm` uses 1e−7 on a similar scale; we are stricter).
pub const RANK_TOL: f64 = 1e-9;

pub use crate::linalg::dense::{dot, quad_form};

/// X'X (K×K, row-major) of the columns `cols`.
pub fn cross_products(cols: &[Vec<f64>]) -> Vec<f64> {
    let k = cols.len();
    let mut a = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let v = dot(&cols[i], &cols[j]);
            a[i * k + j] = v;
            a[j * k + i] = v;
        }
    }
    a
}

/// X'v (length K).
pub fn xt_v(cols: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    cols.iter().map(|c| dot(c, v)).collect()
}

/// Xb (length NT).
pub fn x_times(cols: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = cols.first().map_or(0, Vec::len);
    let mut out = vec![0.0; n];
    for (c, bj) in cols.iter().zip(b) {
        out.iter_mut().zip(c).for_each(|(o, x)| *o += bj * x);
    }
    out
}

fn to_mat(a: &[f64], k: usize) -> Mat<f64> {
    Mat::from_fn(k, k, |i, j| a[i * k + j])
}

fn llt(a: &[f64], k: usize, what: &str) -> Result<faer::linalg::solvers::Llt<f64>> {
    if a.len() != k * k || a.iter().any(|v| !v.is_finite()) {
        return Err(Error::numeric(format!("{what}: matrix is not a finite {k}×{k} matrix")));
    }
    to_mat(a, k).llt(Side::Lower).map_err(|e| {
        Error::numeric(format!(
            "{what} is not positive definite ({e:?}); the regressors are (nearly) collinear"
        ))
    })
}

/// Solves A x = b for a symmetric positive definite K×K row-major A (Cholesky). `what` names
/// the matrix in the error raised when A is not positive definite.
pub fn solve_spd(a: &[f64], k: usize, b: &[f64], what: &str) -> Result<Vec<f64>> {
    let f = llt(a, k, what)?;
    let rhs = Mat::from_fn(k, 1, |i, _| b[i]);
    let x = f.solve(&rhs);
    Ok((0..k).map(|i| x[(i, 0)]).collect())
}

/// ln|A| = 2 Σ ln L_ii of a symmetric positive definite K×K row-major A from its Cholesky
/// factor A = LL'. `what` names the matrix in the error raised when A is not positive definite.
pub fn logdet_spd(a: &[f64], k: usize, what: &str) -> Result<f64> {
    let f = llt(a, k, what)?;
    let l = f.L();
    Ok(2.0 * (0..k).map(|i| l[(i, i)].ln()).sum::<f64>())
}

/// A⁻¹ (row-major) of a symmetric positive definite K×K row-major A (Cholesky).
pub fn inverse_spd(a: &[f64], k: usize, what: &str) -> Result<Vec<f64>> {
    let inv = llt(a, k, what)?.inverse();
    let mut out = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            // Symmetrise: the two triangles agree to rounding.
            out[i * k + j] = 0.5 * (inv[(i, j)] + inv[(j, i)]);
        }
    }
    Ok(out)
}

/// Least squares on NT×K columns by Householder QR in the given column order:
/// X = QR, b = R⁻¹Q'y, (X'X)⁻¹ = R⁻¹R⁻ᵀ.
///
/// The factorisation and every solve run on one thread (faer's blocked Householder QR with
/// `Par::Seq`): X is tall and thin (K ≤ a few dozen), where the parallel kernels only add
/// synchronisation — on a shared 2-core machine the parallel QR of a 10⁷ × 4 design took
/// several times longer than the sequential one. X is copied once (the factor overwrites the
/// copy); nothing else of size NT × K is kept.
///
/// Construction checks the rank: if the distance |R_kk| of column k from the span of columns
/// 1..k−1 is at most [`RANK_TOL`]·‖x_k‖, the error names column k and the earlier columns it
/// is a combination of (with the coefficients of that combination).
#[derive(Debug, Clone)]
pub struct LeastSquares {
    /// The Householder vectors (NT×K, unit lower trapezoidal) and block coefficients of Q.
    q_basis: Mat<f64>,
    q_coeff: Mat<f64>,
    /// R (K×K, upper triangular).
    r: Mat<f64>,
    /// R⁻¹ (K×K, row-major, upper triangular).
    rinv: Vec<f64>,
    n: usize,
    k: usize,
}

/// The Householder QR of the n×k matrix with columns `cols`, on one thread: the Householder
/// basis (unit lower trapezoidal, in the copy of X), the block coefficients and R (k×k).
fn qr_seq(cols: &[Vec<f64>], n: usize, k: usize) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::qr::no_pivoting::factor;
    let mut a = Mat::from_fn(n, k, |i, j| cols[j][i]);
    let bs = factor::recommended_block_size::<f64>(n, k);
    let mut q_coeff = Mat::zeros(bs, k.min(n));
    let scratch = factor::qr_in_place_scratch::<f64>(n, k, bs, Par::Seq, Default::default());
    factor::qr_in_place(
        a.as_mut(),
        q_coeff.as_mut(),
        Par::Seq,
        MemStack::new(&mut MemBuffer::new(scratch)),
        Default::default(),
    );
    let size = k.min(n);
    let mut r = Mat::zeros(size, k);
    for j in 0..k {
        for i in 0..=j.min(size - 1) {
            r[(i, j)] = a[(i, j)];
        }
    }
    // The basis: ones on the diagonal, zeros above (as faer's `Qr` keeps it).
    for j in 0..k {
        for i in 0..j.min(n) {
            a[(i, j)] = 0.0;
        }
        if j < n {
            a[(j, j)] = 1.0;
        }
    }
    (a, q_coeff, r)
}

impl LeastSquares {
    /// Factorises the columns `cols` (named `names`, used in errors).
    pub fn new(cols: &[Vec<f64>], names: &[String]) -> Result<LeastSquares> {
        let k = cols.len();
        let n = cols.first().map_or(0, Vec::len);
        if k == 0 {
            return Err(Error::invalid("least squares: no regressors"));
        }
        if cols.iter().any(|c| c.len() != n) {
            return Err(Error::invalid("least squares: regressor columns differ in length"));
        }
        if n <= k {
            return Err(Error::data(format!(
                "{n} observations for {k} coefficients; least squares needs more observations than coefficients"
            )));
        }
        let name = |j: usize| names.get(j).cloned().unwrap_or_else(|| format!("column {}", j + 1));
        for (j, c) in cols.iter().enumerate() {
            if let Some(r) = c.iter().position(|v| !v.is_finite()) {
                return Err(Error::data(format!(
                    "regressor '{}' is not finite at observation {}",
                    name(j),
                    r + 1
                )));
            }
        }
        let (q_basis, q_coeff, r) = qr_seq(cols, n, k);
        for j in 0..k {
            let norm = dot(&cols[j], &cols[j]).sqrt();
            if norm == 0.0 {
                return Err(Error::data(format!(
                    "regressor '{}' is zero for every observation (after any fixed-effects transformation); drop it",
                    name(j)
                )));
            }
            let rjj = r[(j, j)].abs();
            if rjj <= RANK_TOL * norm {
                // x_j ≈ Σ_{i<j} c_i x_i with R[..j, ..j] c = R[..j, j].
                let mut c = vec![0.0; j];
                for i in (0..j).rev() {
                    let s: f64 = (i + 1..j).map(|l| r[(i, l)] * c[l]).sum();
                    c[i] = (r[(i, j)] - s) / r[(i, i)];
                }
                let involved: Vec<usize> = (0..j)
                    .filter(|&i| (c[i] * dot(&cols[i], &cols[i]).sqrt()).abs() > 1e-6 * norm)
                    .collect();
                let others = if involved.is_empty() {
                    "the other regressors".to_string()
                } else {
                    list_some(
                        &involved.iter().map(|&i| format!("'{}'", name(i))).collect::<Vec<_>>(),
                        10,
                    )
                };
                let combo: Vec<String> = involved.iter().map(|&i| format!("{:+.6}·{}", c[i], name(i))).collect();
                return Err(Error::data(format!(
                    "regressor '{}' is perfectly collinear: it is a linear combination of {others} \
                     ({} ≈ {}; relative residual {:.1e}); drop '{}' or one of those regressors",
                    name(j),
                    name(j),
                    combo.join(" "),
                    rjj / norm,
                    name(j)
                )));
            }
        }
        // R⁻¹ by back substitution, column by column.
        let mut rinv = vec![0.0; k * k];
        for col in 0..k {
            for i in (0..=col).rev() {
                let s: f64 = (i + 1..=col).map(|l| r[(i, l)] * rinv[l * k + col]).sum();
                let e = if i == col { 1.0 } else { 0.0 };
                rinv[i * k + col] = (e - s) / r[(i, i)];
            }
        }
        Ok(LeastSquares {
            q_basis,
            q_coeff,
            r,
            rinv,
            n,
            k,
        })
    }

    /// Number of observations.
    pub fn nrows(&self) -> usize {
        self.n
    }
    /// Number of columns K.
    pub fn ncols(&self) -> usize {
        self.k
    }

    /// Least-squares coefficients b = argmin ‖v − Xb‖ (length K).
    pub fn coefficients(&self, v: &[f64]) -> Vec<f64> {
        use faer::dyn_stack::{MemBuffer, MemStack};
        use faer::linalg::qr::no_pivoting::solve;
        let mut rhs = Mat::from_fn(self.n, 1, |i, _| v[i]);
        let scratch = solve::solve_lstsq_in_place_scratch::<f64>(self.n, self.k, self.q_coeff.nrows(), 1, Par::Seq);
        solve::solve_lstsq_in_place_with_conj(
            self.q_basis.as_ref(),
            self.q_coeff.as_ref(),
            self.r.as_ref(),
            faer::Conj::No,
            rhs.as_mut(),
            Par::Seq,
            MemStack::new(&mut MemBuffer::new(scratch)),
        );
        (0..self.k).map(|i| rhs[(i, 0)]).collect()
    }

    /// M v = v − X(X'X)⁻¹X'v, the residual of v on the columns (`cols` must be the columns
    /// this factorisation was built from).
    pub fn annihilate(&self, cols: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
        let b = self.coefficients(v);
        let fit = x_times(cols, &b);
        v.iter().zip(&fit).map(|(a, f)| a - f).collect()
    }

    /// (X'X)⁻¹ = R⁻¹R⁻ᵀ (K×K, row-major, symmetric).
    pub fn xtx_inv(&self) -> Vec<f64> {
        let k = self.k;
        let mut out = vec![0.0; k * k];
        for i in 0..k {
            for j in i..k {
                // Row i of R⁻¹ is zero before column i.
                let v: f64 = (j..k).map(|l| self.rinv[i * k + l] * self.rinv[j * k + l]).sum();
                out[i * k + j] = v;
                out[j * k + i] = v;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (1..=k).map(|i| format!("x{i}")).collect()
    }

    #[test]
    fn least_squares_matches_normal_equations() {
        let n = 20;
        let x1: Vec<f64> = (0..n).map(|i| 1.0 + (i as f64).sin()).collect();
        let x2: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).cos() + 0.1 * i as f64).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 2.0 * x1[i] - x2[i] + 0.01 * (i as f64 * 1.7).sin())
            .collect();
        let cols = vec![x1, x2];
        let ls = LeastSquares::new(&cols, &names(2)).unwrap();
        let b = ls.coefficients(&y);
        let a = cross_products(&cols);
        let b2 = solve_spd(&a, 2, &xt_v(&cols, &y), "X'X").unwrap();
        let inv = inverse_spd(&a, 2, "X'X").unwrap();
        for i in 0..2 {
            assert!((b[i] - b2[i]).abs() < 1e-12);
            for j in 0..2 {
                assert!((ls.xtx_inv()[i * 2 + j] - inv[i * 2 + j]).abs() < 1e-10);
            }
        }
        // Residuals are orthogonal to X.
        let e = ls.annihilate(&cols, &y);
        assert!(xt_v(&cols, &e).iter().all(|v| v.abs() < 1e-12));
        assert!((quad_form(&a, &[1.0, 0.0]) - a[0]).abs() < 1e-12);
    }

    #[test]
    fn collinear_column_is_named() {
        let n = 10;
        let x1: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let x2: Vec<f64> = (0..n).map(|i| ((i * i) % 7) as f64).collect();
        let x3: Vec<f64> = (0..n).map(|i| 2.0 * x1[i] - x2[i]).collect();
        let err = LeastSquares::new(&[x1, x2, x3], &names(3)).unwrap_err().to_string();
        assert!(
            err.contains("'x3'") && err.contains("'x1'") && err.contains("'x2'"),
            "{err}"
        );
        assert!(inverse_spd(&[1.0, 1.0, 1.0, 1.0], 2, "X'X").is_err());
    }
}
