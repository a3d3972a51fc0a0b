//! Economic–geographic nested weights (docs/methods.md §16.3): a geographic W combined with the
//! sample-period mean income Ȳ of each unit, in the five forms of applied regional work.

use super::builder::{csr_from_rows, Common};
use super::distance::{weights_distance, Decay, DistanceOptions};
use super::economic::{economic_from_means, unit_means, EconForm, EconomicOptions};
use super::points::Metric;
use super::similarity::with_similarity;
use super::{Provenance, Standardization, Weights};
use crate::data::{Frame, Panel};
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
    weights_nested_at(w_geo, panel, var, None, opts)
}

/// [`weights_nested`] with Ȳ_i the value of `var` in period `base_year` when given (a period
/// label of the panel, e.g. "1990"), the period mean otherwise (docs/methods.md §16.3).
pub fn weights_nested_at(
    w_geo: &Weights,
    panel: &Panel,
    var: &str,
    base_year: Option<&str>,
    opts: &NestedOptions,
) -> Result<Weights> {
    nested_in_panel(w_geo, panel, var, base_year, opts, "weights_nested")
}

/// Ȳ_i of [`weights_nested_at`] in the order of `panel.ids()`: the period mean of `var`, or its
/// value in period `base_year` (an error naming the unit if missing there, or listing the
/// periods if `base_year` is not one of them). `what` names the caller in errors.
pub fn unit_levels(panel: &Panel, var: &str, base_year: Option<&str>, what: &str) -> Result<Vec<f64>> {
    let Some(b) = base_year else {
        return unit_means(panel, var, what);
    };
    let times = panel.times();
    let k = times.iter().position(|t| t == b).ok_or_else(|| {
        Error::data(format!(
            "{what}: base_year {b} is not a period of the panel (periods {} to {}); pass one of them",
            times.first().map_or("?", String::as_str),
            times.last().map_or("?", String::as_str)
        ))
    })?;
    let n = panel.n();
    let v = panel.var(var)?;
    let level = v[k * n..(k + 1) * n].to_vec();
    if let Some(i) = level.iter().position(|x| !x.is_finite()) {
        return Err(Error::data(format!(
            "{what}: '{var}' is missing for unit {} in base_year {b}; pick another base_year or use the period mean \
             (drop base_year)",
            panel.ids()[i]
        )));
    }
    Ok(level)
}

/// The body of [`weights_nested_at`], naming `what` in errors: Ȳ matched by id to `w_geo`.
fn nested_in_panel(
    w_geo: &Weights,
    panel: &Panel,
    var: &str,
    base_year: Option<&str>,
    opts: &NestedOptions,
    what: &str,
) -> Result<Weights> {
    let levels = unit_levels(panel, var, base_year, what)?;
    let pos: std::collections::HashMap<&str, usize> =
        panel.ids().iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    if let Some(id) = w_geo.ids().iter().find(|k| !pos.contains_key(k.as_str())) {
        return Err(Error::data(format!(
            "{what}: unit '{id}' of the geographic W is not in the panel; the W and the panel must hold \
             the same units (w.subset(ids) keeps a subset)"
        )));
    }
    if panel.n() != w_geo.n() {
        let ours: std::collections::HashSet<&str> = w_geo.ids().iter().map(String::as_str).collect();
        let extra = panel.ids().iter().find(|k| !ours.contains(k.as_str()));
        return Err(Error::data(format!(
            "{what}: unit '{}' of the panel is not in the geographic W ({} units in the panel, {} in W); \
             filter the panel to the units of W",
            extra.map_or("?", String::as_str),
            panel.n(),
            w_geo.n()
        )));
    }
    let ybar: Vec<f64> = w_geo.ids().iter().map(|k| levels[pos[k.as_str()]]).collect();
    let label = match base_year {
        Some(b) => format!("value of '{var}' in {b}"),
        None => format!("mean of '{var}'"),
    };
    build_nested(w_geo, &ybar, var, &label, opts, what)
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
///
/// The result records its form, the α of `w_geo` and the link edits of `w_geo`
/// ([`Provenance`], reported by `w.summary()`).
pub fn nested_from_means(w_geo: &Weights, ybar: &[f64], var: &str, opts: &NestedOptions) -> Result<Weights> {
    build_nested(w_geo, ybar, var, &format!("mean of '{var}'"), opts, "weights_nested")
}

/// [`nested_from_means`] with `label` naming Ȳ ("mean of 'gsp'") and `what` the caller in errors.
fn build_nested(
    w_geo: &Weights,
    ybar: &[f64],
    var: &str,
    label: &str,
    opts: &NestedOptions,
    what: &str,
) -> Result<Weights> {
    let ids = w_geo.ids().to_vec();
    let n = ids.len();
    if ybar.len() != n {
        return Err(Error::invalid(format!("{what}: {} means for {n} units", ybar.len())));
    }
    if let Some(i) = ybar.iter().position(|y| !y.is_finite()) {
        return Err(Error::data(format!(
            "{what}: the {label} is not finite for unit {}",
            ids[i]
        )));
    }
    let form = opts.form;
    // The option holding φ: `phi` in weights_econ_geo (METHODS §16.3), `weight` in weights_nested.
    let share = if what == "weights_econ_geo" { "phi" } else { "weight" };
    match (form, opts.weight) {
        (NestedForm::Convex, None) => {
            return Err(Error::invalid(format!(
                "{what}: form \"convex\" needs {share}, the share φ of the geographic W in φ·W_geo + (1 − φ)·W_econ (0 < φ < 1)"
            )))
        }
        (NestedForm::Convex, Some(phi)) if !(phi > 0.0 && phi < 1.0) => {
            return Err(Error::invalid(format!(
                "{what}: {share} must lie strictly between 0 and 1, got {phi}"
            )))
        }
        (NestedForm::Convex, _) | (_, None) => {}
        (_, Some(_)) => {
            return Err(Error::invalid(format!(
                "{what}: option {share} is the share of the geographic W in form \"convex\"; form \"{}\" takes none",
                form.name()
            )))
        }
    }
    if matches!(form, NestedForm::N1 | NestedForm::N2 | NestedForm::Gravity) {
        if let Some(i) = ybar.iter().position(|y| *y <= 0.0) {
            return Err(Error::data(format!(
                "{what}: the {label} is {} for unit {}; form \"{}\" weights neighbours by their income, which \
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
        return Ok(with_similarity(w)?.with_provenance(provenance(w_geo, opts, label)));
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
                            "{what}: units {} and {} are linked and have the same {label}, so 1/|Ȳi − Ȳj| is \
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
    Ok(with_similarity(w)?.with_provenance(provenance(w_geo, opts, label)))
}

/// The record of a nested W: "nested N2 (Ȳ = mean of 'gsp')", with φ for the convex form, the α
/// and the link edits of the geographic W.
fn provenance(w_geo: &Weights, opts: &NestedOptions, label: &str) -> Provenance {
    let geo = w_geo.provenance();
    let phi = match (opts.form, opts.weight) {
        (NestedForm::Convex, Some(phi)) => format!(", phi = {phi}"),
        _ => String::new(),
    };
    let last = if opts.standardize_last { "" } else { ", raw product" };
    Provenance {
        form: Some(format!("nested {}{phi}{last} (Ybar = {label})", opts.form.name())),
        alpha: geo.and_then(|p| p.alpha),
        edits: geo.map(|p| p.edits.clone()).unwrap_or_default(),
    }
}

/// The geographic part of [`weights_econ_geo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Geo {
    /// Inverse distance d_ij^(−α) from the coordinates of the units (the default).
    #[default]
    Inverse,
    /// A supplied contiguity W (林光平 et al. 2005: form N1).
    Contiguity,
}

impl Geo {
    /// The option value naming this geographic part.
    pub fn name(self) -> &'static str {
        match self {
            Self::Inverse => "inverse",
            Self::Contiguity => "contiguity",
        }
    }
}

/// Options of [`weights_econ_geo`].
#[derive(Debug, Clone, Default)]
pub struct EconGeoOptions<'a> {
    /// Unit id and coordinate columns of the frame (geo inverse).
    pub id: String,
    /// x coordinate (longitude for a geographic metric).
    pub x: String,
    /// y coordinate (latitude for a geographic metric).
    pub y: String,
    /// Distance metric (haversine on lon/lat degrees, ellipsoid, euclidean).
    pub metric: Metric,
    /// Inverse distance (default) or a supplied contiguity W.
    pub geo: Geo,
    /// α of d_ij^(−α) (default 1; 2 for the gravity form); geo inverse only.
    pub power: Option<f64>,
    /// The contiguity W of geo contiguity.
    pub contiguity: Option<&'a Weights>,
    /// Ȳ_i the value in this period instead of the period mean.
    pub base_year: Option<String>,
    /// Form, φ (`weight`), standardize_last and the last standardisation.
    pub nested: NestedOptions,
}

/// The economic–geographic nested W in one call (docs/methods.md §16.3): the geographic W from
/// the coordinates of `frame` (geo inverse: c_ij = d_ij^(−α), great-circle distances for
/// lon/lat) or the supplied contiguity W (geo contiguity), then [`weights_nested_at`] with
/// Ȳ_i the period mean of `var` (or its value in `base_year`):
/// * nested (N2, 邵帅 et al. 2016): rowstd(W_d)·diag(Ȳ_j/Ȳ̄); on a contiguity W it is N1
///   (林光平 et al. 2005);
/// * hadamard: d_ij^(−α)/|Ȳ_i − Ȳ_j|; gravity: Ȳ_iȲ_j·d_ij^(−α) with α = 2 by default;
/// * convex: φ·rowstd(W_d) + (1 − φ)·rowstd(1/|Ȳ_i − Ȳ_j|);
///
/// standardised last (row by default; `standardize_last: false` keeps the product, with the
/// distance part row-standardised for nested and convex and raw for hadamard and gravity). The
/// units of `frame`, `panel` and the contiguity W are matched by id; a unit found in one only is
/// an error naming it and the fix. The result records its form and α for `w.summary()`.
pub fn weights_econ_geo(frame: &Frame, panel: &Panel, var: &str, opts: &EconGeoOptions) -> Result<Weights> {
    let what = "weights_econ_geo";
    let mut nested = opts.nested;
    let g = match opts.geo {
        Geo::Inverse => {
            if opts.contiguity.is_some() {
                return Err(Error::invalid(format!(
                    "{what}: option w is the contiguity W of geo \"contiguity\"; with geo \"inverse\" the distances \
                     come from the coordinates of f (drop w, or pass geo: \"contiguity\")"
                )));
            }
            let gravity = nested.form == NestedForm::Gravity;
            let alpha = opts.power.unwrap_or(if gravity { 2.0 } else { 1.0 });
            // The geographic W of the papers: row-standardised for N2 (and convex, which
            // standardises it anyway); the raw kernel for the element-wise forms.
            let standardize = match nested.form {
                NestedForm::Hadamard | NestedForm::Gravity => Standardization::None,
                _ => Standardization::Row,
            };
            let d = DistanceOptions {
                metric: opts.metric,
                decay: Decay::Inverse,
                alpha: Some(alpha),
                common: Common {
                    standardize,
                    ..Common::default()
                },
                ..DistanceOptions::default()
            };
            let g = weights_distance(frame, &opts.id, &opts.x, &opts.y, &d)
                .map_err(|e| Error::data(format!("{what}: the coordinates of f: {e}")))?;
            same_units(g.ids(), panel.ids(), "the coordinates frame f", "f.filter")
                .map_err(|m| Error::data(format!("{what}: {m}")))?;
            g
        }
        Geo::Contiguity => {
            let w = opts.contiguity.ok_or_else(|| {
                Error::invalid(format!(
                    "{what}: geo \"contiguity\" needs option w, the contiguity W (e.g. read_weights(\"w.gal\"))"
                ))
            })?;
            if opts.power.is_some() {
                return Err(Error::invalid(format!(
                    "{what}: power is the distance-decay exponent of geo \"inverse\"; a contiguity W has none (drop power)"
                )));
            }
            same_units(w.ids(), panel.ids(), "the contiguity W", "w.subset(ids)")
                .map_err(|m| Error::data(format!("{what}: {m}")))?;
            if nested.form == NestedForm::N2 {
                nested.form = NestedForm::N1;
            }
            w.clone()
        }
    };
    nested_in_panel(&g, panel, var, opts.base_year.as_deref(), &nested, what).map(|w| {
        let mut p = w.provenance().cloned().unwrap_or_default();
        p.form = p.form.map(|f| format!("econ_geo {} {f}", opts.geo.name()));
        w.with_provenance(p)
    })
}

/// Ok when `geo` (the units of the geographic part, described by `whose`) and `panel` hold the
/// same ids; else a message naming a unit found on one side only and the fix (`keep` for the
/// geographic side, filtering the panel for the other).
fn same_units(geo: &[String], panel: &[String], whose: &str, keep: &str) -> std::result::Result<(), String> {
    let p: std::collections::HashSet<&str> = panel.iter().map(String::as_str).collect();
    let g: std::collections::HashSet<&str> = geo.iter().map(String::as_str).collect();
    if let Some(u) = geo.iter().find(|k| !p.contains(k.as_str())) {
        return Err(format!(
            "unit '{u}' of {whose} is not in the panel ({} units there, {} in the panel); keep the panel's units \
             ({keep})",
            geo.len(),
            panel.len()
        ));
    }
    if let Some(u) = panel.iter().find(|k| !g.contains(k.as_str())) {
        return Err(format!(
            "unit '{u}' of the panel is not in {whose} ({} units there, {} in the panel); filter the panel to those \
             units or add the unit to {whose}",
            geo.len(),
            panel.len()
        ));
    }
    Ok(())
}
