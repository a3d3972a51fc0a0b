//! The one dot product and the one dense quadratic form of the crate; every caller (the
//! regressions, the information matrices, the trace estimators, the delta method) uses these.

/// a'b = Σ_i a_i b_i (over the shorter of the two slices).
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// v'Av = Σ_i v_i Σ_j a_ij v_j for a K×K row-major A (K = `v.len()`).
pub fn quad_form(a: &[f64], v: &[f64]) -> f64 {
    let k = v.len();
    (0..k).map(|i| v[i] * dot(&a[i * k..(i + 1) * k], v)).sum()
}
