//! Models side by side, as Stata's `esttab` prints them: one column per model, two rows per term
//! (the estimate with significance stars, then its standard error in parentheses), the spatial
//! parameters ρ and λ last (then φ = σ²_μ/σ²_ν of random-effects models), and a footer of fit
//! statistics (σ², for random-effects models σ²_μ and θ, log-likelihood, AIC, N, T, effects,
//! convention). Stars use the two-sided normal p-values of the models
//! (*** p < 0.01, ** p < 0.05, * p < 0.1 by default; none when z or p is undefined;
//! levels set by option `stars`). Options follow esttab: `keep`, `drop`, `order`, `labels`,
//! `paren`, `stars`, `stats`, `decimals`.

use crate::error::{Error, Result};
use crate::models::{Model, ModelKind};
use crate::report::table::{fmt_num, fmt_p, stat_cells, Cell, PFormat, Table};

/// What stands in parentheses under each estimate (esttab's `se`, `t`, `p`, `ci`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paren {
    /// The standard error (default).
    #[default]
    Se,
    /// The z statistic estimate / std. error (the models use normal inference).
    T,
    /// The two-sided normal p-value.
    P,
    /// The 95% normal confidence interval estimate ± Φ⁻¹(0.975)·se, in brackets.
    Ci,
}

impl Paren {
    /// The first words of the table's note.
    fn note(self) -> &'static str {
        match self {
            Paren::Se => "Standard errors in parentheses",
            Paren::T => "z statistics in parentheses",
            Paren::P => "p-values in parentheses",
            Paren::Ci => "95% confidence intervals in brackets",
        }
    }
}

/// The footer statistics `compare` can show (option `stats`), in the order the keys list them.
pub const STAT_KEYS: [&str; 13] = [
    "nobs",
    "n",
    "t",
    "r2",
    "r2_within",
    "r2_between",
    "r2_overall",
    "loglik",
    "aic",
    "bic",
    "sigma2",
    "fe",
    "convention",
];

/// Options of [`compare`].
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Column headers, one per model (default `"(1) SAR"`, `"(2) SDM"`, …).
    pub names: Option<Vec<String>>,
    /// Decimals of estimates and standard errors (default 4).
    pub decimals: usize,
    /// Table title.
    pub title: String,
    /// The footer rows, keys of [`STAT_KEYS`] in the order given; `None` for the default footer
    /// (sigma2, the random-effects components, logLik, AIC, N, T, FE, convention).
    pub stats: Option<Vec<String>>,
    /// Only these terms (in the default order unless `order` says otherwise).
    pub keep: Option<Vec<String>>,
    /// Terms left out.
    pub drop: Option<Vec<String>>,
    /// These terms first, in this order, then the others in the default order.
    pub order: Option<Vec<String>>,
    /// Display labels of terms (term → label); unlisted terms show their name.
    pub labels: Vec<(String, String)>,
    /// What stands in parentheses under each estimate.
    pub paren: Paren,
    /// Significance levels of the stars: an estimate gets one star per level its p-value is
    /// below (default [0.1, 0.05, 0.01]: * p < 0.1, ** p < 0.05, *** p < 0.01).
    pub stars: Vec<f64>,
    /// How p-values print with `paren: p` ([`crate::report::table::fmt_p`]).
    pub p_format: PFormat,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            names: None,
            decimals: 4,
            title: "Model comparison".into(),
            stats: None,
            keep: None,
            drop: None,
            order: None,
            labels: Vec::new(),
            paren: Paren::Se,
            stars: vec![0.1, 0.05, 0.01],
            p_format: PFormat::Fixed,
        }
    }
}

/// The spatial parameters, listed after every other term.
const SPATIAL_TERMS: [&str; 2] = ["rho", "lambda"];

/// The variance ratio φ = σ²_μ/σ²_ν of random-effects models (docs/methods.md §11), listed after
/// the spatial parameters: a coefficient of the ML fits, a reported number of the Swamy–Arora fit.
const PHI: &str = "phi";

/// φ of a random-effects model that does not carry it as a coefficient (Swamy–Arora), from its
/// variance components; `None` for every other model.
fn phi_component(m: &Model) -> Option<f64> {
    if m.coef(PHI).is_some() {
        return None;
    }
    m.random_effects_components()
        .into_iter()
        .find(|(k, _)| *k == PHI)
        .map(|(_, v)| v)
}

/// The dynamic terms τ (`y(t-1)`) and η (`W*y(t-1)`) of the dynamic models (docs/methods.md §14),
/// listed with the spatial parameters, before ρ.
const DYNAMIC_TERMS: [&str; 2] = [
    crate::models::ml::dynamic::TAU_TERM,
    crate::models::ml::dynamic::ETA_TERM,
];

/// Terms of all models in order of first appearance: regressors, then lagged `W*x` terms, then
/// the dynamic terms `y(t-1)` (τ) and `W*y(t-1)` (η), then `rho` and `lambda`, then `phi` (when
/// a model has it as a coefficient or a random-effects component).
fn term_order(models: &[&Model]) -> Vec<String> {
    let mut plain: Vec<String> = Vec::new();
    let mut lagged: Vec<String> = Vec::new();
    for m in models {
        for c in &m.coefficients {
            let term = &c.term;
            if SPATIAL_TERMS.contains(&term.as_str()) || DYNAMIC_TERMS.contains(&term.as_str()) || term == PHI {
                continue;
            }
            let list = if term.starts_with("W*") {
                &mut lagged
            } else {
                &mut plain
            };
            if !list.contains(term) {
                list.push(term.clone());
            }
        }
    }
    plain.extend(lagged);
    for s in DYNAMIC_TERMS.into_iter().chain(SPATIAL_TERMS) {
        if models.iter().any(|m| m.coef(s).is_some()) {
            plain.push(s.to_string());
        }
    }
    if models
        .iter()
        .any(|m| m.coef(PHI).is_some() || phi_component(m).is_some())
    {
        plain.push(PHI.to_string());
    }
    plain
}

/// The display label of `term`: its entry in `labels`; else, for a spatial lag `W*x` of a
/// labelled regressor x, `W*` followed by x's label (so one label serves x and its lag); else
/// the term itself.
pub fn term_label(labels: &[(String, String)], term: &str) -> String {
    let find = |t: &str| labels.iter().find(|(k, _)| k == t).map(|(_, l)| l.clone());
    find(term)
        .or_else(|| term.strip_prefix("W*").and_then(find).map(|l| format!("W*{l}")))
        .unwrap_or_else(|| term.to_string())
}

/// The short model label: "OLS", "SAR", "SEM", "SDM", "SDEM", "SLX".
pub fn kind_label(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Ols => "OLS",
        ModelKind::Sar => "SAR",
        ModelKind::Sem => "SEM",
        ModelKind::Sdm => "SDM",
        ModelKind::Sdem => "SDEM",
        ModelKind::Slx => "SLX",
        ModelKind::Sac => "SAC",
    }
}

/// The estimation convention of a model: lag order and bias correction for spatial ML models
/// with fixed effects (docs/methods.md §7.1, §7.5); "least squares" for OLS and SLX; for
/// random-effects models the estimator (Swamy–Arora FGLS or ML, docs/methods.md §11), the error
/// structure of the spatial-error models ("bsk" or "kkp", §11.3) and the covariance (§18).
fn convention(m: &Model) -> String {
    let get = |k: &str| m.info.get(k).map(String::as_str);
    if m.fe == super::Fe::Random {
        let mut parts = vec!["random (individual)".to_string()];
        if m.kind == ModelKind::Ols {
            parts.push(
                match get("method") {
                    Some("ml") => "ML",
                    _ => "Swamy-Arora FGLS",
                }
                .to_string(),
            );
        } else {
            parts.push("ML".to_string());
            if let Some(e) = get("errors") {
                parts.push(format!("errors {e}"));
            }
            // "covariance" reads "NAME: explanation" on some fits; the name is what matters here.
            if let Some(c) = get("covariance").or_else(|| get("information")) {
                parts.push(format!("covariance {}", c.split(':').next().unwrap_or(c).trim()));
            }
        }
        return parts.join(", ");
    }
    if get("dynamic").is_some() {
        return format!(
            "dynamic, bc {}, covariance {}",
            get("bias_correction").unwrap_or("none"),
            get("covariance").unwrap_or("structural")
        );
    }
    match m.kind {
        ModelKind::Ols | ModelKind::Slx => "least squares".to_string(),
        _ => format!(
            "{}, bc {}",
            get("lag_order").unwrap_or("lag_first"),
            get("bias_correction").unwrap_or("none")
        ),
    }
}

/// Stars of an estimate: one per level of `levels` its p-value is below; none when z or p is
/// undefined (NaN or infinite). With the default levels this is `crate::stats::stars`.
fn stars_at(z: f64, p: f64, levels: &[f64]) -> String {
    if !(z.is_finite() && p.is_finite()) {
        return String::new();
    }
    "*".repeat(levels.iter().filter(|l| p < **l).count())
}

/// The two cells of one estimate in an esttab-style table: the estimate with the stars of
/// `opts.stars`, and under it what `opts.paren` asks for — `(se)`, `(z)`, `(p)` or the 95%
/// normal interval `[estimate ± Φ⁻¹(0.975)·se]` — at `opts.decimals`.
pub fn estimate_cells(estimate: f64, std_error: f64, z: f64, p: f64, opts: &CompareOptions) -> [Cell; 2] {
    let d = opts.decimals;
    let est = format!("{}{}", fmt_num(estimate, d), stars_at(z, p, &opts.stars));
    let under = match opts.paren {
        Paren::Se => format!("({})", fmt_num(std_error, d)),
        Paren::T => format!("({})", fmt_num(z, d)),
        Paren::P => format!("({})", fmt_p(p, opts.p_format)),
        Paren::Ci => {
            let z975 = crate::stats::normal_quantile(0.975);
            format!(
                "[{}, {}]",
                fmt_num(estimate - z975 * std_error, d),
                fmt_num(estimate + z975 * std_error, d)
            )
        }
    };
    [Cell::Text(est), Cell::Text(under)]
}

/// The note of a table of `compare`'s options: what stands in parentheses and the star levels.
pub fn table_note(opts: &CompareOptions) -> String {
    let stars = if opts.stars.is_empty() {
        "no significance stars".to_string()
    } else {
        format!("{} (two-sided, normal)", stars_note(&opts.stars))
    };
    format!("{}; {stars}.", opts.paren.note())
}

/// The note on the stars: "*** p<0.01, ** p<0.05, * p<0.1" for the default levels.
fn stars_note(levels: &[f64]) -> String {
    let mut l = levels.to_vec();
    l.sort_by(f64::total_cmp);
    let n = l.len();
    l.iter()
        .enumerate()
        .map(|(i, v)| format!("{} p<{v}", "*".repeat(n - i)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a term of option `what` that no model has, naming the models' terms.
fn unknown_term(what: &str, term: &str, all: &[String]) -> Error {
    Error::invalid(format!(
        "compare: {what}: term '{term}' is in none of the models; their terms: {}",
        all.join(", ")
    ))
}

/// The terms shown, in order: the default order (`term_order`) restricted by `keep` and `drop`,
/// with the terms of `order` first. A term of `keep`, `drop`, `order` or `labels` that no model
/// has is an error naming it and the models' terms.
fn shown_terms(models: &[&Model], opts: &CompareOptions) -> Result<Vec<String>> {
    let all = term_order(models);
    for (what, list) in [("keep", &opts.keep), ("drop", &opts.drop), ("order", &opts.order)] {
        for term in list.iter().flatten() {
            if !all.contains(term) {
                return Err(unknown_term(what, term, &all));
            }
        }
    }
    for (term, _) in &opts.labels {
        if !all.contains(term) {
            return Err(unknown_term("labels", term, &all));
        }
    }
    let shown = |t: &String| {
        opts.keep.as_ref().is_none_or(|k| k.contains(t)) && opts.drop.as_ref().is_none_or(|d| !d.contains(t))
    };
    let mut terms: Vec<String> = Vec::new();
    for t in opts.order.iter().flatten().chain(&all) {
        if shown(t) && !terms.contains(t) {
            terms.push(t.clone());
        }
    }
    Ok(terms)
}

/// The text of a footer statistic of a model.
type StatText = Box<dyn Fn(&Model) -> String>;

/// One footer statistic of a model (option `stats`, keys of [`STAT_KEYS`]): its row label and
/// its text; `None` for an unknown key. R² measures a model does not report are left empty.
fn stat_row(key: &str, d: usize) -> Option<(&'static str, StatText)> {
    let extra = |k: &'static str| -> StatText {
        Box::new(move |m: &Model| m.extras.get(k).map_or_else(String::new, |v| fmt_num(*v, d)))
    };
    Some(match key {
        "nobs" => ("Obs", Box::new(|m: &Model| m.nobs().to_string())),
        "n" => ("N", Box::new(|m: &Model| m.n.to_string())),
        "t" => ("T", Box::new(|m: &Model| m.t.to_string())),
        "r2" => ("R2", Box::new(move |m: &Model| fmt_num(m.r2, d))),
        "r2_within" => ("R2 within", extra("r2_within")),
        "r2_between" => ("R2 between", extra("r2_between")),
        "r2_overall" => ("R2 overall", extra("r2_overall")),
        "loglik" => ("logLik", Box::new(|m: &Model| fmt_num(m.loglik, 3))),
        "aic" => ("AIC", Box::new(|m: &Model| fmt_num(m.aic(), 3))),
        "bic" => ("BIC", Box::new(|m: &Model| fmt_num(m.bic(), 3))),
        "sigma2" => ("sigma2", Box::new(move |m: &Model| fmt_num(m.sigma2, d + 2))),
        "fe" => ("FE", Box::new(|m: &Model| m.fe.name().to_string())),
        "convention" => ("convention", Box::new(convention)),
        _ => return None,
    })
}

/// Checks the options that do not depend on the models: star levels in (0, 1), `stats` keys of
/// [`STAT_KEYS`].
pub(crate) fn check_options(opts: &CompareOptions) -> Result<()> {
    if let Some(l) = opts.stars.iter().find(|l| !(**l > 0.0 && **l < 1.0)) {
        return Err(Error::invalid(format!(
            "compare: star level {l} is not a probability in (0, 1); e.g. stars: [0.1, 0.05, 0.01]"
        )));
    }
    if let Some(k) = opts.stats.iter().flatten().find(|k| !STAT_KEYS.contains(&k.as_str())) {
        return Err(Error::invalid(format!(
            "compare: unknown stats key '{k}'; valid keys: {}",
            STAT_KEYS.join(", ")
        )));
    }
    Ok(())
}

/// Models side by side (esttab style): rows `term` (estimate and stars) and an unnamed row under
/// it with `(std. error)`, `phi` last for random-effects models (the Swamy–Arora φ without a
/// standard error); then `sigma2` (σ²_ν for random-effects models), `sigma2_mu` and `theta` when
/// a model has random effects, `logLik`, `AIC`, `N`, `T`, `FE` (the effects: "random" for
/// random-effects models), `convention` (see `convention`: lag order and bias correction, or the
/// random-effects estimator, error structure and covariance). A term a model does not have is
/// left empty.
///
/// Options (esttab's): `keep`, `drop`, `order` select and order the terms, `labels` renames
/// them, `paren` chooses what stands under the estimate (standard error, z, p, or the 95%
/// normal interval estimate ± Φ⁻¹(0.975)·se), `stars` the significance levels, `stats` the
/// footer rows (keys of [`STAT_KEYS`], in the order given). Errors when `models` is empty,
/// `names` has the wrong length, a term of `keep`/`drop`/`order`/`labels` is in no model, a
/// `stats` key is unknown or a star level is not in (0, 1).
pub fn compare(models: &[&Model], opts: &CompareOptions) -> Result<Table> {
    if models.is_empty() {
        return Err(Error::invalid(
            "compare: no models given; pass an array of fitted models",
        ));
    }
    check_options(opts)?;
    let names: Vec<String> = match &opts.names {
        Some(n) if n.len() != models.len() => {
            return Err(Error::invalid(format!(
                "compare: {} names for {} models; give one name per model",
                n.len(),
                models.len()
            )))
        }
        Some(n) => n.clone(),
        None => models
            .iter()
            .enumerate()
            .map(|(k, m)| format!("({}) {}", k + 1, kind_label(m.kind)))
            .collect(),
    };
    let d = opts.decimals;
    let mut columns = vec![String::new()];
    columns.extend(names);
    let mut t = Table::new(opts.title.clone(), columns);
    t.p_format = opts.p_format;
    let mut undefined = false;
    for term in shown_terms(models, opts)? {
        let label = term_label(&opts.labels, &term);
        let mut est = vec![Cell::Text(label)];
        let mut se = vec![Cell::Empty];
        for m in models {
            if term == PHI {
                if let Some(v) = phi_component(m) {
                    // Swamy–Arora: φ is computed from the moment estimates, with no standard error.
                    est.push(Cell::Text(fmt_num(v, d)));
                    se.push(Cell::Empty);
                    continue;
                }
            }
            match m.coef(&term) {
                Some(c) => {
                    if !(c.z.is_finite() && c.p.is_finite()) {
                        undefined = true;
                    }
                    let [e, s] = estimate_cells(c.estimate, c.std_error, c.z, c.p, opts);
                    est.push(e);
                    se.push(s);
                }
                None => {
                    est.push(Cell::Empty);
                    se.push(Cell::Empty);
                }
            }
        }
        t.push(est);
        t.push(se);
    }
    let stat = |label: &str, f: &dyn Fn(&Model) -> String| -> Vec<Cell> {
        let mut row = vec![Cell::Text(label.to_string())];
        row.extend(models.iter().map(|m| Cell::Text(f(m))));
        row
    };
    match &opts.stats {
        Some(keys) => {
            for k in keys {
                // Keys were checked by `check_options`.
                if let Some((label, f)) = stat_row(k, d) {
                    t.push(stat(label, &*f));
                }
            }
        }
        None => {
            t.push(stat("sigma2", &|m| fmt_num(m.sigma2, d + 2)));
            if models.iter().any(|m| m.fe == super::Fe::Random) {
                // Random-effects models: σ̂²_μ and θ (σ2 above is σ̂²_ν); blank for the others.
                for key in ["sigma2_mu", "theta"] {
                    t.push(stat(key, &|m| {
                        m.random_effects_components()
                            .into_iter()
                            .find(|(k, _)| *k == key)
                            .map_or_else(String::new, |(_, v)| fmt_num(v, d + 2))
                    }));
                }
            }
            t.push(stat("logLik", &|m| fmt_num(m.loglik, 3)));
            t.push(stat("AIC", &|m| fmt_num(m.aic(), 3)));
            t.push(stat("N", &|m| m.n.to_string()));
            t.push(stat("T", &|m| m.t.to_string()));
            t.push(stat("FE", &|m| m.fe.name().to_string()));
            t.push(stat("convention", &|m| convention(m)));
        }
    }
    t.note(table_note(opts));
    if undefined {
        t.note("Estimates whose z or p is undefined (NaN or infinite) have no stars.");
    }
    Ok(t)
}

/// The same models in long form with full-precision numbers (model, term, estimate, std_error,
/// z, p), for machine reading: every coefficient, then `sigma2`, `logLik`, `AIC`, and for
/// random-effects models `sigma2_mu` (with its standard error when the fit reports one), `theta`
/// and, when it is not a coefficient (Swamy–Arora), `phi`.
pub fn compare_long(models: &[&Model], names: Option<&[String]>) -> Result<Table> {
    if let Some(n) = names {
        if n.len() != models.len() {
            return Err(Error::invalid(format!(
                "compare: {} names for {} models; give one name per model",
                n.len(),
                models.len()
            )));
        }
    }
    let cols = ["model", "term", "estimate", "std_error", "z", "p"];
    let mut t = Table::new(
        "Model comparison (long form)",
        cols.iter().map(|s| s.to_string()).collect(),
    );
    t.decimals = 6;
    for (k, m) in models.iter().enumerate() {
        let name = names.map_or_else(|| format!("({}) {}", k + 1, kind_label(m.kind)), |n| n[k].clone());
        for c in &m.coefficients {
            let mut row = vec![
                Cell::Text(name.clone()),
                Cell::Text(c.term.clone()),
                Cell::Num(c.estimate),
                Cell::Num(c.std_error),
            ];
            row.extend(stat_cells(c.z, c.p));
            t.push(row);
        }
        for (label, v) in [("sigma2", m.sigma2), ("logLik", m.loglik), ("AIC", m.aic())] {
            t.push(vec![Cell::Text(name.clone()), Cell::Text(label.into()), Cell::Num(v)]);
        }
        for (key, v) in m.random_effects_components() {
            let row = match key {
                "sigma2_mu" => {
                    let se = m.extras.get("se_sigma2_mu").map_or(Cell::Empty, |s| Cell::Num(*s));
                    vec![Cell::Text(name.clone()), Cell::Text(key.into()), Cell::Num(v), se]
                }
                "theta" => vec![Cell::Text(name.clone()), Cell::Text(key.into()), Cell::Num(v)],
                PHI if m.coef(PHI).is_none() => vec![Cell::Text(name.clone()), Cell::Text(key.into()), Cell::Num(v)],
                _ => continue,
            };
            t.push(row);
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Coef, Fe};
    use std::collections::BTreeMap;

    fn model(kind: ModelKind, coefs: &[(&str, f64, f64)]) -> Model {
        Model {
            kind,
            fe: Fe::TwoWays,
            depvar: "y".into(),
            n: 10,
            t: 3,
            coefficients: coefs.iter().map(|(t, e, s)| Coef::new(*t, *e, *s)).collect(),
            vcov: vec![],
            sigma2: 1.5,
            loglik: -40.0,
            r2: 0.5,
            corr2: 0.4,
            n_params: coefs.len() + 1,
            extras: BTreeMap::new(),
            vcov_conditional: None,
            timings: Default::default(),
            info: BTreeMap::new(),
            warnings: vec![],
            provenance: Default::default(),
        }
    }

    #[test]
    fn two_rows_per_term_spatial_last_and_stars() {
        let sar = model(ModelKind::Sar, &[("x", 1.0, 0.1), ("rho", 0.4, 0.05)]);
        let sem = model(ModelKind::Sem, &[("x", 0.05, 0.1), ("lambda", 0.3, 0.05)]);
        let sdm = model(
            ModelKind::Sdm,
            &[("x", 1.0, 0.1), ("W*x", 0.2, 0.1), ("rho", 0.35, 0.05)],
        );
        let t = compare(&[&sar, &sem, &sdm], &CompareOptions::default()).unwrap();
        assert_eq!(t.columns, vec!["", "(1) SAR", "(2) SEM", "(3) SDM"]);
        let first: Vec<String> = t
            .rows
            .iter()
            .map(|r| match &r[0] {
                Cell::Text(s) => s.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(&first[..8], &["x", "", "W*x", "", "rho", "", "lambda", ""]);
        // z = 10 → p < 0.01; z = 0.5 → no star; z = 2 → p = 0.0455 → **.
        assert_eq!(t.rows[0][1], Cell::Text("1.0000***".into()));
        assert_eq!(t.rows[0][2], Cell::Text("0.0500".into()));
        assert_eq!(t.rows[2][3], Cell::Text("0.2000**".into()));
        assert_eq!(t.rows[1][1], Cell::Text("(0.1000)".into()));
        assert_eq!(t.rows[2][1], Cell::Empty, "SAR has no W*x");
        assert!(t.to_markdown().contains("| AIC |"));
        assert!(t.to_latex().unwrap().contains("1.0000$^{***}$"));
        let aic = t.rows.iter().find(|r| r[0] == Cell::Text("AIC".into())).unwrap();
        assert_eq!(aic[1], Cell::Text(fmt_num(-2.0 * -40.0 + 2.0 * 3.0, 3)));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(compare(&[], &CompareOptions::default()).is_err());
        let m = model(ModelKind::Ols, &[("x", 1.0, 0.1)]);
        let o = CompareOptions {
            names: Some(vec!["a".into(), "b".into()]),
            ..Default::default()
        };
        let e = compare(&[&m], &o).unwrap_err().to_string();
        assert!(e.contains("2 names for 1 models"), "{e}");
        let long = compare_long(&[&m], None).unwrap();
        assert_eq!(long.rows[0][2], Cell::Num(1.0));
    }
}
