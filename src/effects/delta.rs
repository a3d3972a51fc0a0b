//! Delta-method standard errors of the effects (docs/methods.md §9 (ii)): Var(effect) = ∇'V∇ over
//! (β_k, θ_k, ρ) with the full covariance (including the ρ–β cross terms), the gradients from
//! the trace identities tr(S), tr(SW), tr(SWS), tr(SWSW) (see [`super::exact::gradients_at`]).

use super::{exact, Layout, Prepared};
use crate::linalg::quad_form;

/// ∇ of (ADE, AIE, ATE) of regressor `k` in the local parameter order of `layout`: one dense
/// gradient per effect.
pub fn gradients(prep: &Prepared, k: usize) -> [Vec<f64>; 3] {
    let l: &Layout = &prep.layout;
    let av = prep.kernel.at(l.rho_of(&l.mean));
    let (b, t) = l.coef_of(&l.mean, k);
    let g = exact::gradients_at(&av, b, t);
    let d = l.dim();
    let mut out = [vec![0.0; d], vec![0.0; d], vec![0.0; d]];
    for (e, ge) in g.iter().enumerate() {
        out[e][l.beta[k]] = ge[0];
        if let Some(j) = l.theta[k] {
            out[e][j] = ge[1];
        }
        if let Some(j) = l.rho {
            out[e][j] = ge[2];
        }
    }
    out
}

/// Delta-method standard errors `[SE(ADE), SE(AIE), SE(ATE)]` per regressor. A negative
/// quadratic form (an indefinite covariance) gives NaN.
pub fn std_errors(prep: &Prepared) -> Vec<[f64; 3]> {
    (0..prep.layout.beta.len())
        .map(|k| {
            let g = gradients(prep, k);
            let se = |v: f64| if v >= 0.0 { v.sqrt() } else { f64::NAN };
            [
                se(quad_form(&prep.layout.cov, &g[0])),
                se(quad_form(&prep.layout.cov, &g[1])),
                se(quad_form(&prep.layout.cov, &g[2])),
            ]
        })
        .collect()
}
