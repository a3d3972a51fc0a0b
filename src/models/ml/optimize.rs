//! One-dimensional maximisation of a concentrated log-likelihood ℓc(ρ) on a bounded interval
//! (docs/methods.md §7.2: bounded Brent, tolerance ≤ 1e−10), polished by solving the analytic score
//! ℓc'(ρ) = 0 with Brent's root finder, so that ρ̂ is exact to rounding rather than to the
//! √ε flatness of the maximum.
//!
//! [`maximize_parallel`] is the search of the sparse path, where each evaluation is a sparse
//! factorisation: the coarse grid is evaluated in parallel, every value is memoised (no ρ is
//! evaluated twice), Brent starts from the best grid point with the parabola through its
//! neighbours, and the score root is found by one secant step across a bracket of the Brent
//! point whose two score evaluations run in parallel (docs/methods.md §7.2).

/// Result of [`maximize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Maximum {
    /// The maximiser.
    pub x: f64,
    /// ℓc at the maximiser.
    pub value: f64,
    /// Number of objective evaluations.
    pub evaluations: usize,
    /// True when the score root was found (interior maximum).
    pub polished: bool,
}

/// Points of the coarse grid that brackets the global maximum before Brent's search.
pub const GRID: usize = 41;
/// Grid points of the sparse path at large N (each point is one sparse factorisation).
pub const SPARSE_GRID: usize = 13;

/// Maximises `f` on [lo, hi]: a coarse grid locates the best cell (guarding against a local
/// maximum), Brent's golden-section/parabolic search refines it to `tol`, then the root of
/// `score` (the derivative of `f`) is bracketed around the Brent point and solved to machine
/// precision. If the score does not change sign there (maximum on a bound) the Brent point is
/// kept.
pub fn maximize(f: impl Fn(f64) -> f64, score: impl Fn(f64) -> f64, lo: f64, hi: f64, tol: f64) -> Maximum {
    maximize_with(f, Some(&score), lo, hi, tol, GRID)
}

/// [`maximize`] with a grid of `grid` points (at least 3) and an optional score polish: the
/// sparse path at large N uses a coarser grid and no polish, since each evaluation is a sparse
/// factorisation.
pub fn maximize_with(
    f: impl Fn(f64) -> f64,
    score: Option<&dyn Fn(f64) -> f64>,
    lo: f64,
    hi: f64,
    tol: f64,
    grid: usize,
) -> Maximum {
    let grid = grid.max(3);
    let mut evals = 0;
    let mut feval = |x: f64| {
        // After Ctrl-C the search winds down without evaluating (the caller checks the flag).
        if crate::interrupt::requested() {
            return f64::NEG_INFINITY;
        }
        evals += 1;
        let v = f(x);
        if v.is_nan() {
            f64::NEG_INFINITY
        } else {
            v
        }
    };
    let step = (hi - lo) / (grid - 1) as f64;
    let best = best_point((0..grid).map(|i| feval(lo + step * i as f64)));
    let a = lo + step * best.0.saturating_sub(1) as f64;
    let b = (lo + step * (best.0 + 1) as f64).min(hi);
    let (x, fx) = brent_max(&mut feval, a, b, tol);
    let mut out = Maximum {
        x,
        value: fx,
        evaluations: evals,
        polished: false,
    };
    if best.1 > fx {
        out.x = lo + step * best.0 as f64;
        out.value = best.1;
    }
    let Some(score) = score else {
        out.evaluations = evals;
        return out;
    };
    // Polish: bracket the score root around x.
    let mut h = 1e-7 * (1.0 + out.x.abs());
    for _ in 0..8 {
        if crate::interrupt::requested() {
            break;
        }
        let (l, r) = ((out.x - h).max(lo), (out.x + h).min(hi));
        let (sl, sr) = (score(l), score(r));
        if sl.is_finite() && sr.is_finite() && sl > 0.0 && sr < 0.0 {
            let root = zeroin(&|x| score(x), l, r, sl, sr);
            let v = f(root);
            if v >= out.value - 1e-12 * out.value.abs().max(1.0) {
                out.x = root;
                out.value = v;
                out.polished = true;
            }
            break;
        }
        h *= 10.0;
    }
    out.evaluations = evals;
    out
}

/// Brent's tolerance of [`maximize_parallel`] before the secant polish: Brent stops when its
/// bracket or its parabolic step is this small, and the secant steps on the score take over.
pub const PARALLEL_BRENT_TOL: f64 = 1e-4;

/// Memoised objective: every distinct argument is evaluated once (thread-safe, so that the grid
/// can be evaluated in parallel); NaN becomes −∞ and after Ctrl-C nothing is evaluated.
struct Memo<'f> {
    f: &'f (dyn Fn(f64) -> f64 + Sync),
    seen: std::sync::Mutex<Vec<(f64, f64)>>,
}

impl Memo<'_> {
    fn eval(&self, x: f64) -> f64 {
        if crate::interrupt::requested() {
            return f64::NEG_INFINITY;
        }
        let known = self
            .lock()
            .iter()
            .find(|(a, _)| a.to_bits() == x.to_bits())
            .map(|p| p.1);
        if let Some(v) = known {
            return v;
        }
        let v = (self.f)(x);
        let v = if v.is_nan() { f64::NEG_INFINITY } else { v };
        self.lock().push((x, v));
        v
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(f64, f64)>> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn evaluations(&self) -> usize {
        self.lock().len()
    }
}

/// The index and value of the first largest of `values` (a grid scan; −∞ when every value is
/// −∞ or there is none, index 0).
fn best_point(values: impl Iterator<Item = f64>) -> (usize, f64) {
    values.enumerate().fold(
        (0, f64::NEG_INFINITY),
        |best, (i, v)| if v > best.1 { (i, v) } else { best },
    )
}

/// Maximises `f` on [lo, hi] for an expensive `f` (the sparse path: one factorisation per
/// value): the `grid` points (at least 3) are evaluated in parallel; Brent's search runs on the
/// cell around the best one to `tol`, started from that point with the parabola through its
/// neighbours, stopping when its bracket or its parabolic step is below `tol`; then, with
/// `score` (ℓc', each call itself evaluating in parallel as the caller arranges), the root is
/// bracketed around the parabola's vertex (or Brent's point) and found by secant steps
/// ([`secant_root`]), to about 1e−12 plus the rounding of the score.
/// The value at the root is the last evaluation (so a caller can keep its factorisation). Every
/// value is memoised: no ρ is evaluated twice.
pub fn maximize_parallel(
    f: &(dyn Fn(f64) -> f64 + Sync),
    score: Option<&(dyn Fn(f64) -> f64 + Sync)>,
    lo: f64,
    hi: f64,
    tol: f64,
    grid: usize,
) -> Maximum {
    use rayon::prelude::*;
    let grid = grid.max(3);
    let memo = Memo {
        f,
        seen: std::sync::Mutex::new(Vec::new()),
    };
    let step = (hi - lo) / (grid - 1) as f64;
    let xs: Vec<f64> = (0..grid).map(|i| (lo + step * i as f64).min(hi)).collect();
    let values: Vec<f64> = xs.par_iter().map(|&x| memo.eval(x)).collect();
    let best = best_point(values.iter().copied());
    let i = best.0;
    let (a, b) = (xs[i.saturating_sub(1)], xs[(i + 1).min(grid - 1)]);
    let mut feval = |x: f64| memo.eval(x);
    let start = Start {
        x: (xs[i], best.1),
        v: (a, values[i.saturating_sub(1)]),
        w: (b, values[(i + 1).min(grid - 1)]),
    };
    let polish = score.is_some();
    let end = brent_max_from(&mut feval, a, b, Some(start), tol, if polish { tol } else { 0.0 });
    let mut out = Maximum {
        x: end.x,
        value: end.value,
        evaluations: 0,
        polished: false,
    };
    // The score root is expected within δ of the centre: the parabola's vertex when Brent stopped
    // on a short parabolic step, else Brent's point (bracket within 2·tol1).
    let (centre, delta) = match end.step {
        Some(d) => (
            (end.x + d).clamp(lo, hi),
            (2.0 * d.abs()).max(1e-7 * (1.0 + end.x.abs())),
        ),
        None => (end.x, 2.0 * end.tol1),
    };
    if let Some(score) = score {
        if let Some(root) = secant_root(score, centre, delta, lo, hi) {
            let v = memo.eval(root);
            if v >= out.value - 1e-12 * out.value.abs().max(1.0) {
                out.x = root;
                out.value = v;
                out.polished = true;
            }
        }
        if !out.polished {
            // No interior score root near the Brent point (e.g. a maximum on a bound): Brent
            // to the full tolerance instead.
            let end = brent_max_from(&mut |x| memo.eval(x), a, b, None, 1e-12, 0.0);
            if end.value > out.value {
                out.x = end.x;
                out.value = end.value;
            }
        }
    }
    out.evaluations = memo.evaluations();
    out
}

/// The root of the decreasing `score` near `x`: bracketed by [x − δ, x + δ] (δ widened tenfold
/// up to twice until the score changes sign; the two ends evaluated in parallel), then
/// secant steps that keep it bracketed (regula falsi). With the root within δ of x the first
/// step errs by at most δ²|s''/s'|/2 and each further one multiplies the error by about
/// δ|s''/s'|; it stops when a step is below 1e−8(1 + |x|) (the error left is that times δ|s''/s'|),
/// after at most four steps. `None`
/// when no sign change is found (a maximum on a bound, or Ctrl-C).
fn secant_root(score: &(dyn Fn(f64) -> f64 + Sync), x: f64, delta: f64, lo: f64, hi: f64) -> Option<f64> {
    let mut h = delta;
    for _ in 0..3 {
        if crate::interrupt::requested() {
            return None;
        }
        let (l, r) = ((x - h).max(lo), (x + h).min(hi));
        let (sl, sr) = rayon::join(|| score(l), || score(r));
        if sl.is_finite() && sr.is_finite() && sl > 0.0 && sr < 0.0 {
            // Regula falsi: secant steps keeping the root bracketed, until a step is below
            // 1e−8(1 + |x|) (each step multiplies the error by about δ|s''/s'|).
            let (mut a, mut sa, mut b, mut sb) = (l, sl, r, sr);
            let mut x = a - sa * (b - a) / (sb - sa);
            for _ in 0..4 {
                let sx = score(x);
                if !sx.is_finite() || sx == 0.0 {
                    return Some(x);
                }
                if sx > 0.0 {
                    (a, sa) = (x, sx);
                } else {
                    (b, sb) = (x, sx);
                }
                let next = (a - sa * (b - a) / (sb - sa)).clamp(a, b);
                // The error left after this step is about the step times δ|s''/s'| (≈ 3e−4
                // at δ = 1e−4, at most ≈ 3e−2 at the widest bracket): below 1e−9 when the step
                // is below 1e−8.
                let done = (next - x).abs() <= 1e-8 * (1.0 + x.abs());
                x = next;
                if done {
                    break;
                }
            }
            return Some(x);
        }
        h *= 10.0;
    }
    None
}

/// A starting configuration of Brent's search: the best point x and two others v, w, with values.
struct Start {
    x: (f64, f64),
    v: (f64, f64),
    w: (f64, f64),
}

/// Brent's (1973) `fmin`, maximising: golden section with parabolic interpolation on [a, b];
/// stops when the bracket is within 2·(√ε|x| + tol/3).
fn brent_max(f: &mut impl FnMut(f64) -> f64, a: f64, b: f64, tol: f64) -> (f64, f64) {
    let out = brent_max_from(f, a, b, None, tol, 0.0);
    (out.x, out.value)
}

/// The end of [`brent_max_from`].
struct BrentEnd {
    x: f64,
    value: f64,
    /// The final tolerance tol1 = √ε|x| + tol/3 (the bracket is within 2·tol1 of x).
    tol1: f64,
    /// The parabolic step not taken when the search stopped on `stop_step`.
    step: Option<f64>,
}

/// [`brent_max`] from a given start (the golden-section point of [a, b] when `None`), stopping
/// also when a parabolic step is shorter than `stop_step` (0: never), when a polish follows.
fn brent_max_from(
    f: &mut impl FnMut(f64) -> f64,
    a: f64,
    b: f64,
    start: Option<Start>,
    tol: f64,
    stop_step: f64,
) -> BrentEnd {
    let c = 0.5 * (3.0 - 5f64.sqrt());
    let eps = f64::EPSILON.sqrt();
    let (mut a, mut b) = (a, b);
    let (mut x, mut fx, mut v, mut fv, mut w, mut fw, mut e);
    let start_given = start.is_some();
    match start {
        None => {
            v = a + c * (b - a);
            w = v;
            x = v;
            fx = -f(x);
            fv = fx;
            fw = fx;
            e = 0.0;
        }
        Some(s) => {
            (x, fx) = (s.x.0, -s.x.1);
            (v, fv) = (s.v.0, -s.v.1);
            (w, fw) = (s.w.0, -s.w.1);
            // Two previous steps as long as the bracket, so that the first two steps may be
            // parabolic (through the three given points, then through the new one).
            e = b - a;
        }
    }
    let mut d: f64 = if start_given { b - a } else { 0.0 };
    let tol3 = tol / 3.0;
    let mut tol1 = eps * x.abs() + tol3;
    for _ in 0..500 {
        let xm = 0.5 * (a + b);
        tol1 = eps * x.abs() + tol3;
        let t2 = 2.0 * tol1;
        if (x - xm).abs() <= t2 - 0.5 * (b - a) {
            break;
        }
        let mut golden = true;
        if e.abs() > tol1 {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            let r = e;
            e = d;
            if p.abs() < (0.5 * q * r).abs() && p > q * (a - x) && p < q * (b - x) {
                d = p / q;
                if d.abs() < stop_step {
                    return BrentEnd {
                        x,
                        value: -fx,
                        tol1,
                        step: Some(d),
                    };
                }
                let u = x + d;
                if u - a < t2 || b - u < t2 {
                    d = if x < xm { tol1 } else { -tol1 };
                }
                golden = false;
            }
        }
        if golden {
            e = if x < xm { b - x } else { a - x };
            d = c * e;
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else if d > 0.0 {
            x + tol1
        } else {
            x - tol1
        };
        let fu = -f(u);
        if fu <= fx {
            if u < x {
                b = x;
            } else {
                a = x;
            }
            v = w;
            fv = fw;
            w = x;
            fw = fx;
            x = u;
            fx = fu;
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                v = w;
                fv = fw;
                w = u;
                fw = fu;
            } else if fu <= fv || v == x || v == w {
                v = u;
                fv = fu;
            }
        }
    }
    BrentEnd {
        x,
        value: -fx,
        tol1,
        step: None,
    }
}

/// Brent's `zeroin`: the root of `g` in [a, b] given g(a) = ga and g(b) = gb of opposite signs,
/// to machine precision.
pub fn zeroin(g: &impl Fn(f64) -> f64, a: f64, b: f64, ga: f64, gb: f64) -> f64 {
    let (mut a, mut b, mut fa, mut fb) = (a, b, ga, gb);
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 1e-300;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return b;
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * xm * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * xm * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * xm * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = g(b);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_interior_and_boundary_maxima() {
        // ℓ(x) = −(x − 0.3)² + 0.1 sin(5x): the score root is polished to rounding.
        let f = |x: f64| -(x - 0.3f64).powi(2) + 0.1 * (5.0 * x).sin();
        let s = |x: f64| -2.0 * (x - 0.3) + 0.5 * (5.0 * x).cos();
        let m = maximize(f, s, -2.0, 1.0, 1e-10);
        assert!(m.polished);
        assert!(s(m.x).abs() < 1e-14, "{}", s(m.x));
        // Increasing function: maximum at the upper bound, no polish.
        let m = maximize(|x| x, |_| 1.0, -1.0, 1.0, 1e-10);
        assert!(!m.polished && (m.x - 1.0).abs() < 1e-8);
        // Coarse grid without polish (sparse path at large N): Brent alone, to ~1e−8.
        let m = maximize_with(f, None, -2.0, 1.0, 1e-12, SPARSE_GRID);
        assert!(!m.polished && s(m.x).abs() < 1e-7, "{}", s(m.x));
        let r = zeroin(&|x: f64| x * x - 2.0, 0.0, 2.0, -2.0, 2.0);
        assert!((r - 2f64.sqrt()).abs() < 1e-15);
    }
}
