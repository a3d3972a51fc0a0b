//! A few eigenvalues of an operator known only by its action x ↦ Ax, by the Arnoldi process
//! (Saad 2011, *Numerical Methods for Large Eigenvalue Problems*, §6.2; docs/methods.md §14.7).
//!
//! With V_m = [v_1, …, v_m] an orthonormal basis of the Krylov space span{v_1, Av_1, …,
//! A^{m−1}v_1} (full re-orthogonalisation, two Gram–Schmidt passes) and H_m = V_m'AV_m upper
//! Hessenberg, A V_m = V_m H_m + h_{m+1,m} v_{m+1} e_m'. Each eigenpair (θ, y) of H_m gives the
//! Ritz pair (θ, V_m y) with residual ‖A V_m y − θ V_m y‖ = |h_{m+1,m}| |e_m'y| (‖y‖ = 1): the
//! computable accuracy of θ. For a symmetric A an eigenvalue of A lies within that residual of
//! θ; for a non-normal A the residual is a backward error (θ is an exact eigenvalue of a matrix
//! within it of A). When h_{m+1,m} vanishes the Krylov space is invariant and the Ritz values
//! are exact eigenvalues.
//!
//! The basis grows (Ritz pairs computed every [`CHECK_EVERY`] steps, then at 25% growth) until
//! the caller's test accepts the Ritz pairs, the space is invariant, or `max_steps` is reached
//! (the caller reports the residuals).

use crate::error::{Error, Result};
use crate::linalg::dot;
use crate::linalg::traces::{probes, Probe};

/// Steps between two Ritz computations while the space is small; beyond 5·`CHECK_EVERY`
/// steps the Ritz pairs are computed each time the dimension has grown by a quarter (each
/// computation costs O(m³)).
pub const CHECK_EVERY: usize = 10;

/// Ritz values of one Arnoldi run.
#[derive(Debug, Clone)]
pub struct Ritz {
    /// Ritz values (re, im).
    pub values: Vec<(f64, f64)>,
    /// Residual norm of each Ritz pair (0 when the Krylov space is invariant).
    pub residuals: Vec<f64>,
    /// Dimension m of the Krylov space.
    pub steps: usize,
    /// The Krylov space is invariant (the Ritz values are eigenvalues up to rounding).
    pub invariant: bool,
}

impl Ritz {
    /// Largest residual over the Ritz pairs selected by `keep`.
    pub fn max_residual(&self, keep: impl Fn(usize) -> bool) -> f64 {
        (0..self.values.len())
            .filter(|&i| keep(i))
            .map(|i| self.residuals[i])
            .fold(0.0, f64::max)
    }
}

/// Largest Krylov dimension for an operator of size `n` within the memory budget: at most
/// `cap`, and at most 10⁷/n (the basis holds m vectors of length n: 80 MB), at least 20.
pub fn max_steps_for(n: usize, cap: usize) -> usize {
    cap.min(n).min((10_000_000 / n.max(1)).max(20)).max(1)
}

/// Runs Arnoldi on the n×n operator `op` (`op(x, y)` sets y = Ax) from a seeded Gaussian start
/// vector, for at most `max_steps` steps, computing the Ritz pairs on the schedule of
/// [`CHECK_EVERY`] and returning as soon as `accept` says they suffice (module doc). Errors: a non-finite
/// product, Ctrl-C, the memory budget.
pub fn arnoldi(
    n: usize,
    mut op: impl FnMut(&[f64], &mut [f64]) -> Result<()>,
    max_steps: usize,
    seed: u64,
    accept: impl Fn(&Ritz) -> bool,
) -> Result<Ritz> {
    let m_max = max_steps.min(n).max(1);
    crate::budget::check_f64(
        &format!("Arnoldi basis: {m_max} vectors × N = {n}"),
        &[m_max + 1, n],
        "use fewer steps",
    )?;
    let mut v0 = probes(n, 1, seed, Probe::Gaussian)?.pop().unwrap_or_default();
    let nrm = dot(&v0, &v0).sqrt();
    v0.iter_mut().for_each(|x| *x /= nrm);
    let mut basis = vec![v0];
    // H stored column-major, column j has j + 2 entries used.
    let mut h = vec![vec![0.0; m_max + 1]; m_max];
    let mut w = vec![0.0; n];
    let mut next_check = CHECK_EVERY;
    for j in 0..m_max {
        crate::interrupt::check()?;
        op(&basis[j], &mut w)?;
        if w.iter().any(|x| !x.is_finite()) {
            return Err(Error::numeric(
                "Arnoldi: the operator gave a non-finite vector (a singular factorisation?)",
            ));
        }
        let scale = dot(&w, &w).sqrt();
        for _ in 0..2 {
            for (i, vi) in basis.iter().enumerate() {
                let c = dot(vi, &w);
                h[j][i] += c;
                w.iter_mut().zip(vi).for_each(|(a, b)| *a -= c * b);
            }
        }
        let next = dot(&w, &w).sqrt();
        h[j][j + 1] = next;
        let m = j + 1;
        let invariant = next <= 1e-13 * scale.max(f64::MIN_POSITIVE) || m == n;
        if invariant || m == next_check || m == m_max {
            next_check = if m < 5 * CHECK_EVERY {
                m + CHECK_EVERY
            } else {
                m + m / 4
            };
            let mut ritz = ritz_of(&h, m, if invariant { 0.0 } else { next })?;
            ritz.invariant = invariant;
            if invariant || m == m_max || accept(&ritz) {
                return Ok(ritz);
            }
        }
        basis.push(w.iter().map(|x| x / next).collect());
    }
    unreachable!("the loop returns at m = m_max")
}

/// Eigenpairs of the leading m×m block of H and their residuals |h_{m+1,m}| |e_m'y|/‖y‖.
fn ritz_of(h: &[Vec<f64>], m: usize, next: f64) -> Result<Ritz> {
    let hm = faer::Mat::<f64>::from_fn(m, m, |i, j| if i <= j + 1 { h[j][i] } else { 0.0 });
    let e = hm.eigen().map_err(|e| {
        Error::numeric(format!(
            "Arnoldi: the eigenvalues of the {m}×{m} Hessenberg matrix failed ({e:?})"
        ))
    })?;
    let (u, s) = (e.U(), e.S());
    let mut values = Vec::with_capacity(m);
    let mut residuals = Vec::with_capacity(m);
    for i in 0..m {
        let c = s.column_vector()[i];
        values.push((c.re, c.im));
        let norm: f64 = (0..m).map(|r| u[(r, i)].norm_sqr()).sum::<f64>().sqrt();
        let last = u[(m - 1, i)].norm_sqr().sqrt();
        residuals.push(next * last / norm.max(f64::MIN_POSITIVE));
    }
    Ok(Ritz {
        values,
        residuals,
        steps: m,
        invariant: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_operator_extremes() {
        // A = diag(1..=200)/200: the extreme Ritz values converge fast.
        let n = 200;
        let d: Vec<f64> = (1..=n).map(|i| i as f64 / n as f64).collect();
        let r = arnoldi(
            n,
            |x, y| {
                y.iter_mut().zip(x).zip(&d).for_each(|((a, b), c)| *a = b * c);
                Ok(())
            },
            120,
            7,
            |_| false,
        )
        .unwrap();
        let max = r.values.iter().map(|v| v.0).fold(f64::MIN, f64::max);
        let min = r.values.iter().map(|v| v.0).fold(f64::MAX, f64::min);
        assert!((max - 1.0).abs() < 1e-10, "{max}");
        assert!((min - 1.0 / n as f64).abs() < 1e-10, "{min}");
    }
}
