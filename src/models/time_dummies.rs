//! Fixed period dummies inside a random-effects model (docs/methods.md §12.1, §18; option
//! `time_dummies: true`): the random-effects counterpart of two-way fixed effects, so that
//! `hausman(twoway_fe, re_with_time_dummies)` is a valid pairing.
//!
//! The dummies are the treatment dummies of the period key (levels in R's order, numerically
//! when every key is a number; the first level dropped), exactly the columns of the formula
//! term `factor(<time column>)`, appended after the formula's regressors. They are never
//! spatially lagged and carry no role: effects, `compare` and the Hausman test ignore them.

use super::formula::{sorted_levels, Design};
use crate::error::{Error, Result};

/// `design` with T − 1 period dummies named `{label}{level}` appended (see the module
/// documentation). Error: a panel with one period, or a formula that already makes one of
/// these columns (e.g. a `factor(year)` term).
pub fn with_time_dummies(design: &Design, label: &str) -> Result<Design> {
    let (n, t) = (design.n, design.t);
    if t < 2 {
        return Err(Error::invalid(format!(
            "time_dummies: the data have T = {t} period(s); period dummies need a panel with T ≥ 2"
        )));
    }
    let mut d = design.clone();
    d.factor_of.resize(d.x.len(), None);
    for level in sorted_levels(&design.times).iter().skip(1) {
        let name = format!("{label}{level}");
        if d.names.contains(&name) || name == d.depvar {
            return Err(Error::invalid(format!(
                "time_dummies: the formula already makes the period dummy '{name}'; drop the {label} term or the \
                 option time_dummies"
            )));
        }
        let col: Vec<f64> = (0..design.nobs())
            .map(|r| f64::from(u8::from(design.times[r / n] == *level)))
            .collect();
        d.names.push(name);
        d.x.push(col);
        d.factor_of.push(Some(label.to_string()));
    }
    Ok(d)
}

/// A spatial random-effects fit with period dummies (`opts.time_dummies` = `label`): the fit of
/// the design with the dummies appended (never lagged: `durbin` defaults to the formula's
/// regressors), then the roles and provenance of `design` restored (the dummies keep their
/// coefficients but have no role) and the provenance marked with the label.
pub(crate) fn fit_spatial_with_time_dummies(
    design: &Design,
    w: &crate::weights::Weights,
    kind: crate::models::ModelKind,
    opts: &crate::models::ml::SpatialOptions,
    label: &str,
) -> Result<crate::models::ml::SpatialFit> {
    use crate::models::ModelKind;
    if opts.fe != crate::models::Fe::Random {
        return Err(Error::invalid(format!(
            "time_dummies: period dummies inside random effects apply to fe: \"random\"; with fe \"{}\" use fe: \"time\" \
             or \"twoways\" for period effects",
            opts.fe.name()
        )));
    }
    let aug = with_time_dummies(design, label)?;
    let mut o = opts.clone();
    o.time_dummies = None;
    if o.durbin.is_none() && matches!(kind, ModelKind::Sdm | ModelKind::Sdem | ModelKind::Slx) {
        o.durbin = Some(design.names.clone());
    }
    let mut fit = crate::models::ml::fit_spatial(&aug, w, kind, &o)?;
    let k = design.x.len();
    let prov = &mut fit.model.provenance;
    prov.regressors = design.names.clone();
    prov.beta_index.truncate(k);
    prov.theta_index.truncate(k);
    prov.data = design.fingerprints();
    prov.time_dummies = Some(label.to_string());
    fit.regressors = design.names.clone();
    fit.beta_index.truncate(k);
    fit.theta_index.truncate(k);
    fit.model.info.insert(
        "time_dummies".into(),
        format!(
            "{label}: {} fixed period dummies (first period dropped)",
            aug.x.len() - k
        ),
    );
    Ok(fit)
}
