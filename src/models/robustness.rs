//! The robustness table of a study: the same model fitted under several weights matrices, side by
//! side (one column per W), built on [`crate::models::compare::compare`]. The fits themselves
//! are ordinary fits (the scripting function `robustness` runs them), so each column equals a
//! separate fit of the model under that W.

use crate::error::{Error, Result};
use crate::models::compare::{compare, kind_label, CompareOptions};
use crate::models::Model;
use crate::report::Table;

/// The footer of a robustness table unless option `stats` says otherwise.
pub const ROBUSTNESS_STATS: [&str; 6] = ["loglik", "aic", "bic", "n", "t", "fe"];

/// The models `models` (one model fitted under several W) side by side: coefficients, ρ/λ,
/// then the footer `opts.stats` (default [`ROBUSTNESS_STATS`]: logLik, AIC, BIC, N, T, FE);
/// columns named by `opts.names` (default `"W1"`, `"W2"`, …), title "Robustness to the weights
/// matrix" unless `opts.title` was changed. Errors when the models are not of one kind, or do
/// not share the dependent variable and the regressors (then they are not the same model).
pub fn robustness_table(models: &[&Model], opts: &CompareOptions) -> Result<Table> {
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
    compare(models, &o).map_err(|e| Error::invalid(e.to_string().replacen("compare:", "robustness:", 1)))
}
