//! Two-dimensional Newton steps on a concentrated log-likelihood ℓc(a, ψ) of the random-effects
//! models (a = ρ or λ, ψ = ln φ; docs/methods.md §11.7, §18), with central-difference
//! derivatives:
//!
//! ```text
//! g_i  = [ℓ(x + h_i e_i) − ℓ(x − h_i e_i)] / (2h_i)
//! H_ii = [ℓ(x + h_i e_i) − 2ℓ(x) + ℓ(x − h_i e_i)] / h_i²
//! H_12 = [ℓ(x + h_1e_1 + h_2e_2) − ℓ(x + h_1e_1) − ℓ(x + h_2e_2) + 2ℓ(x)
//!         − ℓ(x − h_1e_1) − ℓ(x − h_2e_2) + ℓ(x − h_1e_1 − h_2e_2)] / (2h_1h_2)
//! d    = −H⁻¹g  (H negative definite; otherwise the scaled gradient g_i/|H_ii|)
//! ```
//!
//! seven evaluations per step (six new). [`maximize`] iterates damped Newton steps (halving while
//! ℓ decreases) until a step changes ℓ by less than [`tolerance`], which is the convergence test
//! of §11.7; the point where that final step starts is returned (a step below the tolerance is
//! not taken). From the nested Brent point of a random-effects fit ([`check`]) the first step
//! usually passes at once, so the estimates are the Brent ones; when Brent stopped early (the
//! coarse search of the sparse path at large N) a few steps finish the job. It is also the
//! optimiser of the sparse Baltagi–Song–Koh path, where every evaluation at a new (λ, φ) is a
//! sparse Cholesky factorisation and a nested search would need hundreds of them.

/// Central-difference step in both coordinates (ρ/λ and ψ).
pub const STEP: f64 = 1e-4;

/// Largest number of Newton iterations of [`maximize`].
pub const MAX_ITERATIONS: usize = 50;

/// Largest number of Newton iterations of [`check`].
pub const CHECK_ITERATIONS: usize = 5;

/// The convergence tolerance on the change of ℓ: 1e−10 (docs/methods.md §11.7), raised to
/// 16ε|ℓ| when ℓ is so large that its rounding error exceeds 1e−10 (|ℓ| > 2.8e4, large N).
pub fn tolerance(value: f64) -> f64 {
    1e-10_f64.max(16.0 * f64::EPSILON * value.abs())
}

/// The outcome of [`check`] or [`maximize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Newton {
    /// The point (the optimiser's point for [`check`]).
    pub x: [f64; 2],
    /// ℓ there.
    pub value: f64,
    /// ℓ(x + d) − ℓ(x) of the last Newton step d.
    pub change: f64,
    /// |change| < [`tolerance`].
    pub converged: bool,
    /// Evaluations of ℓ.
    pub evaluations: usize,
    /// Newton iterations.
    pub iterations: usize,
}

impl Newton {
    /// A sentence for `model.info["convergence"]`.
    pub fn describe(&self, optimiser: &str) -> String {
        format!(
            "{optimiser}; {} 2-D Newton step(s) (central differences), the last changing logLik by {:.2e} ({} {:.1e})",
            self.iterations,
            self.change,
            if self.converged {
                "converged: below"
            } else {
                "NOT converged: not below"
            },
            tolerance(self.value)
        )
    }

    /// The warning when not converged.
    pub fn warning(&self, param: &str) -> Option<String> {
        (!self.converged).then(|| {
            format!(
                "the optimiser did not converge: a 2-D Newton step in ({param}, ln phi) from the estimate changes the \
                 log-likelihood by {:.2e} (tolerance {:.1e}); the estimates are not the maximum",
                self.change,
                tolerance(self.value)
            )
        })
    }
}

/// One Newton step from `x` (ℓ(x) = `fx`) inside the box [lo, hi]: the new point, ℓ there, the
/// number of evaluations and the change of ℓ of the full (undamped) step. When no halving of the
/// step increases ℓ, `x` and `fx` are returned (the full step's change then tells whether that
/// is rounding, |change| < tolerance, or a failed step). Non-finite values of `f` count as −∞.
fn step(f: &dyn Fn([f64; 2]) -> f64, x: [f64; 2], fx: f64, lo: [f64; 2], hi: [f64; 2]) -> ([f64; 2], f64, usize, f64) {
    let ev = |p: [f64; 2]| {
        let v = f(p);
        if v.is_finite() {
            v
        } else {
            f64::NEG_INFINITY
        }
    };
    let h: Vec<f64> = (0..2)
        .map(|i| STEP.min(0.5 * (x[i] - lo[i])).min(0.5 * (hi[i] - x[i])).max(1e-9))
        .collect();
    let at = |d0: f64, d1: f64| ev([x[0] + d0 * h[0], x[1] + d1 * h[1]]);
    let (p0, m0, p1, m1) = (at(1.0, 0.0), at(-1.0, 0.0), at(0.0, 1.0), at(0.0, -1.0));
    let (pp, mm) = (at(1.0, 1.0), at(-1.0, -1.0));
    let mut evals = 6;
    let g = [(p0 - m0) / (2.0 * h[0]), (p1 - m1) / (2.0 * h[1])];
    let h00 = (p0 - 2.0 * fx + m0) / (h[0] * h[0]);
    let h11 = (p1 - 2.0 * fx + m1) / (h[1] * h[1]);
    let h01 = (pp - p0 - p1 + 2.0 * fx - m0 - m1 + mm) / (2.0 * h[0] * h[1]);
    if !(g[0].is_finite() && g[1].is_finite() && h00.is_finite() && h11.is_finite() && h01.is_finite()) {
        return (x, fx, evals, f64::NEG_INFINITY);
    }
    let det = h00 * h11 - h01 * h01;
    let mut d = if h00 < 0.0 && det > 0.0 {
        [(-h11 * g[0] + h01 * g[1]) / det, (h01 * g[0] - h00 * g[1]) / det]
    } else {
        [g[0] / h00.abs().max(1.0), g[1] / h11.abs().max(1.0)]
    };
    let mut full = None;
    for _ in 0..30 {
        let y = [(x[0] + d[0]).clamp(lo[0], hi[0]), (x[1] + d[1]).clamp(lo[1], hi[1])];
        let fy = ev(y);
        evals += 1;
        let change = *full.get_or_insert(fy - fx);
        if fy >= fx || crate::interrupt::requested() {
            return (y, fy, evals, fy - fx);
        }
        if change.abs() < tolerance(fx) {
            // The full step is within rounding of ℓ(x): converged.
            return (x, fx, evals, change);
        }
        d = [0.5 * d[0], 0.5 * d[1]];
    }
    (x, fx, evals, full.unwrap_or(f64::NEG_INFINITY))
}

/// The convergence check of docs/methods.md §11.7 at the optimiser's point `x`: [`maximize`]
/// from there with at most [`CHECK_ITERATIONS`] steps. When the first step changes ℓ by less
/// than [`tolerance`], `x` is returned unchanged.
pub fn check(f: &dyn Fn([f64; 2]) -> f64, x: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> Newton {
    maximize_with(f, x, lo, hi, CHECK_ITERATIONS, false)
}

/// Damped Newton iterations from `x0` inside [lo, hi] until a step changes ℓ by less than
/// [`tolerance`] (at most [`MAX_ITERATIONS`]; Ctrl-C stops them); that last step is taken when
/// it increases ℓ.
pub fn maximize(f: &dyn Fn([f64; 2]) -> f64, x0: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> Newton {
    maximize_with(f, x0, lo, hi, MAX_ITERATIONS, true)
}

/// Newton iterations from `x0`, at most `max`; `take_last`: also take the final step (below the
/// tolerance) when it increases ℓ.
fn maximize_with(
    f: &dyn Fn([f64; 2]) -> f64,
    x0: [f64; 2],
    lo: [f64; 2],
    hi: [f64; 2],
    max: usize,
    take_last: bool,
) -> Newton {
    let mut x = [x0[0].clamp(lo[0], hi[0]), x0[1].clamp(lo[1], hi[1])];
    let mut fx = f(x);
    let mut out = Newton {
        x,
        value: fx,
        change: f64::INFINITY,
        converged: false,
        evaluations: 1,
        iterations: 0,
    };
    if !fx.is_finite() {
        return out;
    }
    while out.iterations < max && !crate::interrupt::requested() {
        let (y, fy, e, change) = step(f, x, fx, lo, hi);
        out.evaluations += e;
        out.iterations += 1;
        out.change = change;
        if change.abs() < tolerance(fx) {
            out.converged = true;
            if take_last && fy > fx {
                x = y;
                fx = fy;
            }
            break;
        }
        if fy <= fx {
            // No halving of the step increases ℓ although the full step changes it by more
            // than the tolerance: not converged, and no progress is possible.
            break;
        }
        x = y;
        fx = fy;
    }
    out.x = x;
    out.value = fx;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadratic_in_one_step_and_rosenbrock_like() {
        // A concave quadratic: one Newton step lands on the maximum (1, −2).
        let f = |p: [f64; 2]| -3.0 * (p[0] - 1.0).powi(2) - (p[0] - 1.0) * (p[1] + 2.0) - 2.0 * (p[1] + 2.0).powi(2);
        let r = maximize(&f, [0.0, 0.0], [-10.0, -10.0], [10.0, 10.0]);
        assert!(
            r.converged && (r.x[0] - 1.0).abs() < 1e-8 && (r.x[1] + 2.0).abs() < 1e-8,
            "{r:?}"
        );
        let c = check(&f, r.x, [-10.0, -10.0], [10.0, 10.0]);
        assert!(c.converged && c.x == r.x && c.iterations == 1, "{c:?}");
        // Away from the maximum the first step is taken and the next one converges.
        let c = check(&f, [0.9, -2.0], [-10.0, -10.0], [10.0, 10.0]);
        assert!(c.converged && c.iterations == 2 && (c.x[0] - 1.0).abs() < 1e-8, "{c:?}");
        // With one step allowed it is not converged.
        let c = maximize_with(&f, [0.9, -2.0], [-10.0, -10.0], [10.0, 10.0], 1, false);
        assert!(!c.converged && c.change > 1e-3, "{c:?}");
        // A non-quadratic concave function.
        let g = |p: [f64; 2]| -(p[0] - 0.3).powi(4) - (p[0] - 0.3).powi(2) - (p[1].exp() - 2.0).powi(2);
        let r = maximize(&g, [0.0, 0.0], [-1.0, -5.0], [1.0, 5.0]);
        assert!(
            r.converged && (r.x[0] - 0.3).abs() < 1e-4 && (r.x[1] - 2f64.ln()).abs() < 1e-4,
            "{r:?}"
        );
    }
}
