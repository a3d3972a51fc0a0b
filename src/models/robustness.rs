//! The robustness table of a study: the same model fitted under several weights matrices, side by
//! side (one column per W), built on [`crate::models::compare::compare`]. The fits themselves
//! are ordinary fits (the scripting function `robustness` runs them), so each column equals a
//! separate fit of the model under that W. With effects, the direct, indirect and total effects
//! of each fit (short run and long run for dynamic models) stand between the coefficients and
//! the footer ([`crate::effects::effects_rows`]).

use crate::effects::compare::{effects_rows, inference_note};
use crate::effects::Effects;
use crate::error::{Error, Result};
use crate::models::compare::{compare, kind_label, CompareOptions};
use crate::models::Model;
use crate::report::Table;

/// The footer of a robustness table unless option `stats` says otherwise.
pub const ROBUSTNESS_STATS: [&str; 6] = ["loglik", "aic", "bic", "n", "t", "fe"];

/// The models `models` (one model fitted under several W) side by side: coefficients, ρ/λ,
/// then, when `effects` is not empty (one Effects per model, in the same order), the blocks of
/// direct, indirect and total effects with their standard errors (short-run and long-run blocks
/// for dynamic models; a refused long run is marked "not stable" and explained in a note), then
/// the footer `opts.stats` (default [`ROBUSTNESS_STATS`]: logLik, AIC, BIC, N, T, FE); columns
/// named by `opts.names` (default `"W1"`, `"W2"`, …), title "Robustness to the weights matrix"
/// unless `opts.title` was changed. Errors when the models are not of one kind, or do not share
/// the dependent variable and the regressors (then they are not the same model), or `effects`
/// does not have one Effects per model.
pub fn robustness_table(models: &[&Model], effects: &[&Effects], opts: &CompareOptions) -> Result<Table> {
    let Some(first) = models.first() else {
        return Err(Error::invalid(
            "robustness: no weights matrices given; pass an array of Weights",
        ));
    };
    for (k, m) in models.iter().enumerate().skip(1) {
        if m.kind != first.kind
            || m.depvar != first.depvar
            || m.provenance.regressors != first.provenance.regressors
            || m.fe != first.fe
        {
            return Err(Error::invalid(format!(
                "robustness: fit {} is {} of {} on [{}] ({}), fit 1 is {} of {} on [{}] ({}); \
                 a robustness table shows one model under several W",
                k + 1,
                kind_label(m.kind),
                m.depvar,
                m.provenance.regressors.join(", "),
                m.fe.name(),
                kind_label(first.kind),
                first.depvar,
                first.provenance.regressors.join(", "),
                first.fe.name()
            )));
        }
    }
    let mut o = opts.clone();
    if o.names.is_none() {
        o.names = Some((1..=models.len()).map(|k| format!("W{k}")).collect());
    }
    if o.stats.is_none() {
        o.stats = Some(ROBUSTNESS_STATS.iter().map(|s| s.to_string()).collect());
    }
    if o.title == CompareOptions::default().title {
        o.title = format!("Robustness to the weights matrix: {}", kind_label(first.kind));
    }
    let renamed = |e: Error| Error::invalid(e.to_string().replacen("compare:", "robustness:", 1));
    let mut t = compare(models, &o).map_err(renamed)?;
    if effects.is_empty() {
        return Ok(t);
    }
    if effects.len() != models.len() {
        return Err(Error::invalid(format!(
            "robustness: {} effects for {} models; give one Effects per model",
            effects.len(),
            models.len()
        )));
    }
    let names = o.names.clone().unwrap_or_default();
    // keep/drop/order name coefficient terms: the effects rows show every regressor, labelled
    // as its coefficient is
    let fx_opts = CompareOptions {
        keep: None,
        drop: None,
        order: None,
        labels: o
            .labels
            .iter()
            .filter(|(k, _)| effects.iter().any(|e| e.names.contains(k)))
            .cloned()
            .collect(),
        ..o.clone()
    };
    let (rows, notes) = effects_rows(effects, &names, &fx_opts, "robustness")?;
    // every stats key is one footer row, so the footer is the last stats.len() rows
    let footer = o.stats.as_ref().map_or(0, Vec::len).min(t.rows.len());
    let at = t.rows.len() - footer;
    t.rows.splice(at..at, rows);
    t.note(inference_note(effects, &names));
    for n in notes {
        t.note(n);
    }
    Ok(t)
}
