//! Effects side by side, esttab style (one column per model): blocks of rows "Direct",
//! "Indirect", "Total" — for dynamic models "Short-run direct" … "Long-run total"
//! (docs/methods.md §9, §14.5) — each with one row per regressor (the estimate with stars) and
//! an unnamed row under it (standard error, z, p or 95% interval, as `compare`'s option `paren`
//! says). The same rows are what `robustness(..., #{effects: true})` adds under the coefficients
//! ([`robustness_with_effects`]).

use super::{EffectRow, Effects};
use crate::error::{Error, Result};
use crate::models::compare::{check_options, estimate_cells, kind_label, table_note, CompareOptions};
use crate::models::robustness::{robustness_table, ROBUSTNESS_STATS};
use crate::models::Model;
use crate::report::{Cell, Table};

/// One block of effects rows: its label and, per Effects, its rows (`None` when that Effects
/// has no such block, e.g. the long run of an unstable dynamic model).
struct Block<'a> {
    label: &'static str,
    /// A long-run block (missing rows of a dynamic model mean the long run was refused).
    long: bool,
    rows: Vec<Option<&'a [EffectRow]>>,
}

/// The blocks of `effects`: Direct, Indirect, Total when any of them is static; Short-run and
/// Long-run direct, indirect, total when any is dynamic.
fn blocks<'a>(effects: &[&'a Effects]) -> Vec<Block<'a>> {
    let mut out = Vec::new();
    if effects.iter().any(|e| e.dynamic.is_none()) {
        for (k, label) in ["Direct", "Indirect", "Total"].into_iter().enumerate() {
            let rows = effects
                .iter()
                .map(|e| e.dynamic.is_none().then(|| e.groups()[k].1))
                .collect();
            out.push(Block {
                label,
                long: false,
                rows,
            });
        }
    }
    if effects.iter().any(|e| e.dynamic.is_some()) {
        let short = ["Short-run direct", "Short-run indirect", "Short-run total"];
        for (k, label) in short.into_iter().enumerate() {
            let rows = effects
                .iter()
                .map(|e| e.dynamic.is_some().then(|| e.groups()[k].1))
                .collect();
            out.push(Block {
                label,
                long: false,
                rows,
            });
        }
        let long = ["Long-run direct", "Long-run indirect", "Long-run total"];
        for (k, label) in long.into_iter().enumerate() {
            let rows = effects
                .iter()
                .map(|e| {
                    let lr = e.dynamic.as_deref()?.long.as_ref()?;
                    Some(&[&lr.direct, &lr.indirect, &lr.total][k][..])
                })
                .collect();
            out.push(Block {
                label,
                long: true,
                rows,
            });
        }
    }
    out
}

/// The regressors of all `effects` in order of first appearance, restricted and ordered by the
/// options `keep`, `drop` and `order` (regressor names); a name of these options or of
/// `labels` that no Effects has is an error listing the regressors.
fn shown_variables(effects: &[&Effects], opts: &CompareOptions, func: &str) -> Result<Vec<String>> {
    let mut all: Vec<String> = Vec::new();
    for e in effects {
        for n in &e.names {
            if !all.contains(n) {
                all.push(n.clone());
            }
        }
    }
    let unknown = |what: &str, v: &str| {
        Error::invalid(format!(
            "{func}: {what}: '{v}' is not a regressor of the effects; their regressors: {}",
            all.join(", ")
        ))
    };
    for (what, list) in [("keep", &opts.keep), ("drop", &opts.drop), ("order", &opts.order)] {
        if let Some(v) = list.iter().flatten().find(|v| !all.contains(v)) {
            return Err(unknown(what, v));
        }
    }
    if let Some((v, _)) = opts.labels.iter().find(|(v, _)| !all.contains(v)) {
        return Err(unknown("labels", v));
    }
    let shown = |v: &String| {
        opts.keep.as_ref().is_none_or(|k| k.contains(v)) && opts.drop.as_ref().is_none_or(|d| !d.contains(v))
    };
    let mut out: Vec<String> = Vec::new();
    for v in opts.order.iter().flatten().chain(&all) {
        if shown(v) && !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(out)
}

/// The rows of `effects` side by side (module doc), each row a label cell then one cell per
/// Effects, and the notes they need: one per dynamic Effects whose long run was refused (its
/// column `names[k]` and the reason). Options of `compare`: `keep`, `drop`, `order` and `labels`
/// act on the regressors, `paren`, `stars` and `decimals` on the cells. `func` names the caller
/// in errors.
pub fn effects_rows(
    effects: &[&Effects],
    names: &[String],
    opts: &CompareOptions,
    func: &str,
) -> Result<(Vec<Vec<Cell>>, Vec<String>)> {
    let vars = shown_variables(effects, opts, func)?;
    let label_of = |v: &String| {
        opts.labels
            .iter()
            .find(|(k, _)| k == v)
            .map_or_else(|| v.clone(), |(_, l)| l.clone())
    };
    let mut rows = Vec::new();
    for b in blocks(effects) {
        let mut head = vec![Cell::Text(b.label.to_string())];
        head.extend(std::iter::repeat_n(Cell::Empty, effects.len()));
        rows.push(head);
        for v in &vars {
            let mut est = vec![Cell::Text(label_of(v))];
            let mut under = vec![Cell::Empty];
            for (e, r) in effects.iter().zip(&b.rows) {
                let pos = e.names.iter().position(|n| n == v);
                match (r, pos) {
                    (Some(r), Some(i)) => {
                        let x = &r[i];
                        let [a, s] = estimate_cells(x.estimate, x.std_error, x.z, x.p, opts);
                        est.push(a);
                        under.push(s);
                    }
                    (None, Some(_)) if b.long && e.dynamic.is_some() => {
                        est.push(Cell::Text("not stable".into()));
                        under.push(Cell::Empty);
                    }
                    _ => {
                        est.push(Cell::Empty);
                        under.push(Cell::Empty);
                    }
                }
            }
            rows.push(est);
            rows.push(under);
        }
    }
    let mut notes = Vec::new();
    for (e, name) in effects.iter().zip(names) {
        if let Some(reason) = e.dynamic.as_deref().and_then(|d| d.refused.as_ref()) {
            notes.push(format!("{name}: {reason}"));
        }
    }
    Ok((rows, notes))
}

/// The note on the inference of the effects: one line when every Effects used the same
/// method, else one per column.
pub fn inference_note(effects: &[&Effects], names: &[String]) -> String {
    let first = effects.first().map(|e| e.describe()).unwrap_or_default();
    if effects.iter().all(|e| e.describe() == first) {
        format!("Effects: {first}.")
    } else {
        let per: Vec<String> = effects
            .iter()
            .zip(names)
            .map(|(e, n)| format!("{n}: {}", e.describe()))
            .collect();
        format!("Effects: {}.", per.join("; "))
    }
}

/// Effects side by side (module doc): columns named by `opts.names` (default "(1) SDM", …),
/// title `opts.title` (default "Direct, indirect and total effects", or "Short-run and long-run
/// effects" when a model is dynamic). Errors when `effects` is empty, `names` has the wrong
/// length, option `stats` is given (effects tables have no footer of fit statistics), or a
/// regressor of `keep`/`drop`/`order`/`labels` is in none of them.
pub fn compare_effects(effects: &[&Effects], opts: &CompareOptions) -> Result<Table> {
    const F: &str = "compare";
    if effects.is_empty() {
        return Err(Error::invalid(format!(
            "{F}: no effects given; pass an array of Effects (from effects(m))"
        )));
    }
    if opts.stats.is_some() {
        return Err(Error::invalid(format!(
            "{F}: option 'stats' applies to models; a table of effects has no footer of fit statistics"
        )));
    }
    check_options(opts)?;
    let names: Vec<String> = match &opts.names {
        Some(n) if n.len() != effects.len() => {
            return Err(Error::invalid(format!(
                "{F}: {} names for {} effects; give one name per column",
                n.len(),
                effects.len()
            )))
        }
        Some(n) => n.clone(),
        None => effects
            .iter()
            .enumerate()
            .map(|(k, e)| format!("({}) {}", k + 1, kind_label(e.kind)))
            .collect(),
    };
    let title = if opts.title != CompareOptions::default().title {
        opts.title.clone()
    } else if effects.iter().any(|e| e.dynamic.is_some()) {
        "Short-run and long-run effects".to_string()
    } else {
        "Direct, indirect and total effects".to_string()
    };
    let mut columns = vec![String::new()];
    columns.extend(names.iter().cloned());
    let mut t = Table::new(title, columns);
    let (rows, notes) = effects_rows(effects, &names, opts, F)?;
    for r in rows {
        t.push(r);
    }
    t.note(table_note(opts));
    t.note(inference_note(effects, &names));
    for n in notes {
        t.note(n);
    }
    Ok(t)
}

/// The robustness table of `models` ([`robustness_table`]: one model under several W) with, when
/// `effects` is not empty (one Effects per model, in the same order), the blocks of direct,
/// indirect and total effects of each fit with their standard errors ([`effects_rows`]; short and
/// long run for dynamic models, a refused long run marked "not stable" and explained in a note)
/// between the coefficients and the footer. `keep`, `drop` and `order` select coefficient terms
/// only (every regressor's effects are shown); `labels` relabel the regressors' effects too.
/// Errors as [`robustness_table`], and when `effects` does not have one Effects per model.
pub fn robustness_with_effects(models: &[&Model], effects: &[&Effects], opts: &CompareOptions) -> Result<Table> {
    let mut t = robustness_table(models, opts)?;
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
    let names: Vec<String> = t.columns.iter().skip(1).cloned().collect();
    let fx_opts = CompareOptions {
        keep: None,
        drop: None,
        order: None,
        labels: opts
            .labels
            .iter()
            .filter(|(k, _)| effects.iter().any(|e| e.names.contains(k)))
            .cloned()
            .collect(),
        ..opts.clone()
    };
    let (rows, notes) = effects_rows(effects, &names, &fx_opts, "robustness")?;
    // every stats key is one footer row, so the footer is the last stats.len() rows
    let footer = opts
        .stats
        .as_ref()
        .map_or(ROBUSTNESS_STATS.len(), Vec::len)
        .min(t.rows.len());
    let at = t.rows.len() - footer;
    t.rows.splice(at..at, rows);
    t.note(inference_note(effects, &names));
    for n in notes {
        t.note(n);
    }
    Ok(t)
}
