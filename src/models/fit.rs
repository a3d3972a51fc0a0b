//! Fitting any model by kind, and one model per group of a panel column (`fit_by`).

use super::ml::{fit_spatial, SpatialFit, SpatialOptions};
use super::ols::{ols, OlsFit};
use super::{Design, Formula, Model, ModelKind};
use crate::data::Panel;
use crate::error::{Error, Result};
use crate::weights::Weights;
use std::sync::Arc;

/// A fitted model with what later steps (tests, effects) need.
#[derive(Debug, Clone)]
pub enum Fitted {
    /// Panel or cross-section OLS.
    Ols(Box<OlsFit>),
    /// A spatial model by ML, with the weights it was fitted with.
    Spatial(Box<SpatialFit>, Arc<Weights>),
    /// Non-spatial individual random effects (docs/methods.md §11.1).
    Random(Box<super::random::ReFit>),
}

impl Fitted {
    /// The result table.
    pub fn model(&self) -> &Model {
        match self {
            Fitted::Ols(f) => &f.model,
            Fitted::Spatial(f, _) => &f.model,
            Fitted::Random(f) => &f.model,
        }
    }
}

/// Fits `kind` to `design`: OLS with the fixed effects `opts.fe` (W unused; `fe: random` is
/// Swamy–Arora random effects, docs/methods.md §11.1), or the spatial
/// model by ML with W `w` and the options `opts` ([`fit_spatial`]).
pub fn fit(design: &Design, w: &Arc<Weights>, kind: ModelKind, opts: &SpatialOptions) -> Result<Fitted> {
    if kind == ModelKind::Ols && opts.fe == super::Fe::Random {
        let fit = super::random::random_effects_with(
            design,
            super::random::ReMethod::default(),
            opts.time_dummies.as_deref(),
        )?;
        return Ok(Fitted::Random(Box::new(fit)));
    }
    if kind == ModelKind::Ols {
        if opts.time_dummies.is_some() {
            return Err(crate::error::Error::invalid(format!(
                "time_dummies (fixed period dummies inside random effects) applies to fe: \"random\"; with fe \"{}\" \
                 use fe: \"time\" or \"twoways\" for period effects",
                opts.fe.name()
            )));
        }
        return ols(design, opts.fe).map(|f| Fitted::Ols(Box::new(f)));
    }
    fit_spatial(design, w, kind, opts).map(|f| Fitted::Spatial(Box::new(f), w.clone()))
}

/// One model per group of panel column `column` (constant within units, e.g. "region"): each
/// group's balanced sub-panel ([`Panel::filter`]) with W restricted to its units and
/// re-standardised ([`Weights::subset`]; `keep_islands` keeps a unit whose neighbours are all
/// in other groups, with no neighbours), fitted by [`fit`] with the same options.
///
/// The groups come in the order of [`crate::data::align::group_keys`]: first appearance over
/// the units, as canonical text keys. An error names the group ("group 2: ...").
pub fn fit_by(
    panel: &Panel,
    column: &str,
    formula: &Formula,
    w: &Weights,
    kind: ModelKind,
    opts: &SpatialOptions,
    keep_islands: bool,
) -> Result<Vec<(String, Fitted)>> {
    let groups = crate::data::align::group_keys(panel, column)?;
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let in_group = |e: Error| e.prefixed(&format!("group {g}: "));
        let sub = panel.filter(column, std::slice::from_ref(&g)).map_err(in_group)?;
        let ws = Arc::new(w.subset(sub.ids(), keep_islands).map_err(in_group)?);
        let design = Design::from_panel(&sub, formula).map_err(in_group)?;
        let fitted = fit(&design, &ws, kind, opts).map_err(in_group)?;
        out.push((g, fitted));
    }
    Ok(out)
}
