//! Economic–geographic nested weights (docs/methods.md §16.3): a geographic W combined with the
//! sample-period mean income Ȳ of each unit, in the five forms of applied regional work.

use super::builder::{csr_from_rows, Common};
use super::economic::{economic_from_means, unit_means, EconForm, EconomicOptions};
use super::similarity::with_similarity;
use super::{Standardization, Weights};
use crate::data::Panel;
use crate::error::{Error, Result};

/// The nested form (docs/methods.md §16.3). G is the geographic W as passed, D_Y =
/// diag(Ȳ_1/Ȳ̄, …, Ȳ_N/Ȳ̄) with Ȳ̄ the mean of Ȳ over all units (and periods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NestedForm {
    /// N2 (邵帅, 李欣, 曹建华, 杨莉莉 2016): C = G·D_Y, c_ij = g_ij Ȳ_j/Ȳ̄ (the default).
    #[default]
    N2,
    /// N1 (林光平, 龙志和, 吴梅 2005): C = rowstd(G)·D_Y, G a contiguity W.
    N1,
    /// N3: c_ij = g_ij / |Ȳ_i − Ȳ_j| (with G = 1/d: 1/(d_ij |Ȳ_i − Ȳ_j|)).
    Hadamard,
    /// N4: C = φ rowstd(G) + (1 − φ) rowstd(E), e_ij = 1/|Ȳ_i − Ȳ_j| (docs/methods.md §2).
    Convex,
    /// N5: c_ij = Ȳ_i Ȳ_j g_ij (with G = 1/d²: the gravity form Ȳ_i Ȳ_j / d_ij²).
    Gravity,
}

impl NestedForm {
    /// The option value naming this form.
    pub fn name(self) -> &'static str {
        match self {
            Self::N2 => "N2",
            Self::N1 => "N1",
            Self::Hadamard => "hadamard",
            Self::Convex => "convex",
            Self::Gravity => "gravity",
        }
    }
}

/// Options of [`weights_nested`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NestedOptions {
    /// The form (default N2).
    pub form: NestedForm,
    /// φ of the convex form, 0 < φ < 1 (required there, refused elsewhere).
    pub weight: Option<f64>,
    /// Standardise the product last (default true); false keeps the raw product as some papers
    /// do (then the row sums are not 1, and ρ is not comparable with row-standardised fits).
    pub standardize_last: bool,
    /// The last standardisation (row by default) and islands.
    pub common: Common,
}

impl Default for NestedOptions {
    fn default() -> Self {
        NestedOptions {
            form: NestedForm::N2,
            weight: None,
            standardize_last: true,
            common: Common::default(),
        }
    }
}

/// Economic–geographic nested weights from the geographic W `w_geo` and the sample-period mean
/// Ȳ_i of `var` in `panel` (docs/methods.md §16.3), matched to the units of `w_geo` by id.
/// See [`NestedForm`] for the five forms and [`nested_from_means`] for the computation.
pub fn weights_nested(w_geo: &Weights, panel: &Panel, var: &str, opts: &NestedOptions) -> Result<Weights> {
    let means = unit_means(panel, var, "weights_nested")?;
    let pos: std::collections::HashMap<&str, usize> =
        panel.ids().iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    if let Some(id) = w_geo.ids().iter().find(|k| !pos.contains_key(k.as_str())) {
        return Err(Error::data(format!(
            "weights_nested: unit '{id}' of the geographic W is not in the panel; the W and the panel must hold \
             the same units (w.subset(ids) keeps a subset)"
        )));
    }
    if panel.n() != w_geo.n() {
        let ours: std::collections::HashSet<&str> = w_geo.ids().iter().map(String::as_str).collect();
        let extra = panel.ids().iter().find(|k| !ours.contains(k.as_str()));
        return Err(Error::data(format!(
            "weights_nested: unit '{}' of the panel is not in the geographic W ({} units in the panel, {} in W); \
             filter the panel to the units of W",
            extra.map_or("?", String::as_str),
            panel.n(),
            w_geo.n()
        )));
    }
    let ybar: Vec<f64> = w_geo.ids().iter().map(|k| means[pos[k.as_str()]]).collect();
    nested_from_means(w_geo, &ybar, var, opts)
}

/// Nested weights from the unit means `ybar` in the order of `w_geo.ids()` (see
/// [`weights_nested`]); G is `w_geo` as given (its standardisation included, which matters
/// only with `standardize_last: false`):
/// * N2: c_ij = g_ij Ȳ_j/Ȳ̄; N1: the same with G row-standardised first;
/// * hadamard: c_ij = g_ij / |Ȳ_i − Ȳ_j| (a tie on a link is an error naming the pair);
/// * convex: φ rowstd(G) + (1 − φ) rowstd(1/|Ȳ_i − Ȳ_j|);
/// * gravity: c_ij = Ȳ_i Ȳ_j g_ij;
///
/// then standardised last (row by default). Only neighbour-side scaling survives row
/// standardisation: rowstd(D_L C D_R) = rowstd(C D_R). When the result is W = D⁻¹S with S
/// symmetric (e.g. N2 on a symmetric G) the similarity is recorded for real eigenvalues
/// (docs/methods.md §4.2).
pub fn nested_from_means(w_geo: &Weights, ybar: &[f64], var: &str, opts: &NestedOptions) -> Result<Weights> {
    let what = "weights_nested";
    let ids = w_geo.ids().to_vec();
    let n = ids.len();
    if ybar.len() != n {
        return Err(Error::invalid(format!("{what}: {} means for {n} units", ybar.len())));
    }
    if let Some(i) = ybar.iter().position(|y| !y.is_finite()) {
        return Err(Error::data(format!(
            "{what}: the mean of '{var}' is not finite for unit {}",
            ids[i]
        )));
    }
    let form = opts.form;
    match (form, opts.weight) {
        (NestedForm::Convex, None) => {
            return Err(Error::invalid(format!(
                "{what}: form \"convex\" needs weight, the share φ of the geographic W in φ·W_geo + (1 − φ)·W_econ (0 < φ < 1)"
            )))
        }
        (NestedForm::Convex, Some(phi)) if !(phi > 0.0 && phi < 1.0) => {
            return Err(Error::invalid(format!(
                "{what}: weight must lie strictly between 0 and 1, got {phi}"
            )))
        }
        (NestedForm::Convex, _) | (_, None) => {}
        (_, Some(_)) => {
            return Err(Error::invalid(format!(
                "{what}: option weight is the share of the geographic W in form \"convex\"; form \"{}\" takes none",
                form.name()
            )))
        }
    }
    if matches!(form, NestedForm::N1 | NestedForm::N2 | NestedForm::Gravity) {
        if let Some(i) = ybar.iter().position(|y| *y <= 0.0) {
            return Err(Error::data(format!(
                "{what}: the mean of '{var}' is {} for unit {}; form \"{}\" weights neighbours by their income, which \
                 must be positive (use levels, not logs or growth rates)",
                ybar[i],
                ids[i],
                form.name()
            )));
        }
    }
    let final_std = if opts.standardize_last {
        opts.common.standardize
    } else {
        Standardization::None
    };
    let common = Common {
        standardize: final_std,
        ..opts.common
    };
    let row_std = |w: &Weights| w.standardize(Standardization::Row);
    let mean_all = ybar.iter().sum::<f64>() / n as f64;
    let g = match form {
        NestedForm::N1 | NestedForm::Convex => row_std(w_geo)?,
        _ => w_geo.clone(),
    };
    if form == NestedForm::Convex {
        let phi = opts.weight.unwrap_or(0.5);
        let econ = economic_from_means(
            ids.clone(),
            ybar,
            var,
            &EconomicOptions {
                form: EconForm::Inverse,
                min_gap: None,
                common: Common::default(),
            },
        )
        .map_err(|e| Error::data(format!("{what}: form \"convex\": {e}")))?;
        let m = &g.matrix().map(|v| v * phi) + &econ.matrix().map(|v| v * (1.0 - phi));
        let w = Weights::from_raw_with(ids, m, &common)?;
        return with_similarity(w);
    }
    let mut rows = Vec::with_capacity(n);
    for (i, row) in g.matrix().outer_iterator().enumerate() {
        let mut idx = Vec::with_capacity(row.nnz());
        let mut val = Vec::with_capacity(row.nnz());
        for (j, &gij) in row.iter() {
            let c = match form {
                NestedForm::N1 | NestedForm::N2 => gij * ybar[j] / mean_all,
                NestedForm::Gravity => ybar[i] * ybar[j] * gij,
                NestedForm::Hadamard => {
                    let gap = (ybar[i] - ybar[j]).abs();
                    if gap == 0.0 {
                        return Err(Error::data(format!(
                            "{what}: units {} and {} are linked and have the same mean of '{var}', so 1/|Ȳi − Ȳj| is \
                             infinite; use form \"N2\" or check the data",
                            ids[i], ids[j]
                        )));
                    }
                    gij / gap
                }
                NestedForm::Convex => unreachable!("handled above"),
            };
            if c != 0.0 {
                idx.push(j);
                val.push(c);
            }
        }
        rows.push((idx, val));
    }
    let raw = csr_from_rows(n, rows)?;
    let w = Weights::from_raw_with(ids, raw, &common)?;
    with_similarity(w)
}
