//! Study bindings: `compare(models)` (esttab-style side-by-side table) and
//! `simulate(w, opts)` (a panel drawn from a spatial model).

use super::convert::{dyn_to_key, from_f64s, from_strings, to_f64s, to_strings, SFrame, SPanel, STable};
use super::effects::SEffects;
use super::esda::SMoranTable;
use super::export::Exportable;
use super::models::{SModel, STest};
use super::options::{check_keys as check_map_keys, Opts};
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::models::compare::CompareOptions;
use crate::models::simulate::SimulateSpec;
use crate::models::{Model, ModelKind};
use crate::report::{Cell, Table};
use rhai::plugin::*;
use rhai::{Array, Dynamic, Map, FLOAT, INT};
use std::sync::Arc;

/// The models of a script array (every element must be a Model).
fn models_of(models: &Array) -> RResult<Vec<SModel>> {
    models
        .iter()
        .enumerate()
        .map(|(k, d)| {
            d.clone().try_cast::<SModel>().ok_or_else(|| {
                script_err(format!(
                    "compare: element {k} of the array is {}, expected a fitted Model (from ols, sar, sem, sdm, …)",
                    d.type_name()
                ))
            })
        })
        .collect()
}

/// A script value as a table cell: numbers, integers, strings (others by their text), `()` empty.
fn cell_of(d: &Dynamic) -> Cell {
    if let Some(v) = d.clone().try_cast::<FLOAT>() {
        Cell::Num(v)
    } else if let Some(k) = d.clone().try_cast::<INT>() {
        Cell::Int(k)
    } else if d.is_unit() {
        Cell::Empty
    } else {
        Cell::Text(d.to_string())
    }
}

/// Appends script rows (arrays of cells) to `t`; a row longer than the header is an error.
fn push_rows(t: &mut Table, rows: &Array, func: &str) -> RResult<()> {
    for (k, r) in rows.iter().enumerate() {
        let row = r.clone().try_cast::<Array>().ok_or_else(|| {
            script_err(format!(
                "{func}: row {k} is {}, expected an array of cells",
                r.type_name()
            ))
        })?;
        if row.len() > t.columns.len() {
            return Err(script_err(format!(
                "{func}: row {k} has {} cells for {} columns",
                row.len(),
                t.columns.len()
            )));
        }
        t.push(row.iter().map(cell_of).collect());
    }
    Ok(())
}

/// The Markdown of an exportable result's table form.
fn markdown_of<T: Exportable>(x: &T) -> String {
    x.table().map(|t| t.to_markdown()).unwrap_or_else(|| x.text())
}

const SIMULATE_KEYS: [&str; 13] = [
    "model",
    "t",
    "beta",
    "theta",
    "rho",
    "lambda",
    "sigma",
    "fe",
    "seed",
    "x",
    "data",
    "intercept",
    "y",
];

/// The option keys of `compare`.
pub const COMPARE_KEYS: [&str; 11] = [
    "names", "decimals", "title", "stats", "keep", "drop", "order", "labels", "paren", "stars", "p_format",
];

/// The options of `compare` from a script map (keys [`COMPARE_KEYS`], plus `extra` keys the
/// caller reads itself; `func` names the function in messages).
pub fn compare_options_with(opts: &Map, func: &'static str, extra: &[&str]) -> RResult<CompareOptions> {
    let valid: Vec<&str> = COMPARE_KEYS.iter().chain(extra).copied().collect();
    let o = Opts::new(opts, func, &valid)?;
    let mut co = CompareOptions {
        names: o.strings("names")?,
        stats: o.strings("stats")?,
        keep: o.strings("keep")?,
        drop: o.strings("drop")?,
        order: o.strings("order")?,
        ..Default::default()
    };
    if let Some(d) = o.usize("decimals")? {
        co.decimals = d;
    }
    if let Some(t) = o.str("title")? {
        co.title = t;
    }
    if let Some(p) = o.str("p_format")? {
        co.p_format = super::export::p_format_of(&p, func)?;
    }
    if let Some(p) = o.str("paren")? {
        use crate::models::compare::Paren;
        co.paren = match p.as_str() {
            "se" => Paren::Se,
            "t" => Paren::T,
            "p" => Paren::P,
            "ci" => Paren::Ci,
            _ => {
                return Err(script_err(format!(
                    "{func}: option paren: \"{p}\" is not valid; valid values: \"se\", \"t\", \"p\", \"ci\""
                )))
            }
        };
    }
    if let Some(v) = o.value("labels") {
        let m = v.clone().try_cast::<Map>().ok_or_else(|| {
            script_err(format!(
                "{func}: option 'labels' must be a map term → label, e.g. #{{INC: \"income\"}}, got {}",
                v.type_name()
            ))
        })?;
        co.labels = m.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    }
    if let Some(v) = o.value("stars") {
        let a = v.clone().try_cast::<Array>().ok_or_else(|| {
            script_err(format!(
                "{func}: option 'stars' must be an array of levels, e.g. [0.1, 0.05, 0.01], got {}",
                v.type_name()
            ))
        })?;
        co.stars = to_f64s(&a, &format!("{func}: stars"))?;
    }
    Ok(co)
}

/// The options of `compare` from a script map.
fn compare_options(opts: &Map, func: &'static str) -> RResult<CompareOptions> {
    compare_options_with(opts, func, &[])
}

/// The Effects of a script array when every element is one (`None` when the first element is
/// not an Effects: the array is then read as models); an array mixing both is an error.
fn effects_list(items: &Array, func: &str) -> RResult<Option<Vec<SEffects>>> {
    if !items.first().is_some_and(|d| d.is::<SEffects>()) {
        return Ok(None);
    }
    items
        .iter()
        .enumerate()
        .map(|(k, d)| {
            d.clone().try_cast::<SEffects>().ok_or_else(|| {
                script_err(format!(
                    "{func}: element {k} of the array is {}, but element 0 is Effects; compare models or effects,                      not both",
                    d.type_name()
                ))
            })
        })
        .collect::<RResult<Vec<_>>>()
        .map(Some)
}

/// Option `effects` of `robustness`: `true` (effects with their default options), `false` /
/// absent (none), or a map of `effects` options (draws, seed, method, …).
fn robustness_effects_opts(v: Option<&Dynamic>) -> RResult<Option<Map>> {
    match v {
        None => Ok(None),
        Some(d) if d.is::<bool>() => Ok(d.as_bool().unwrap_or(false).then(Map::new)),
        Some(d) => d.clone().try_cast::<Map>().map(Some).ok_or_else(|| {
            script_err(format!(
                "robustness: option 'effects' must be true, false or a map of effects options (e.g. #{{draws: 1000,                  seed: 1}}), got {}",
                d.type_name()
            ))
        }),
    }
}

/// The robustness table of fitted models `fits`: `table_opts` are options of `compare`, `fx`
/// the options of `effects` when the table shows the effects.
fn robustness_of(fits: &[SModel], table_opts: &Map, fx: Option<&Map>) -> RResult<STable> {
    let co = compare_options(table_opts, "robustness")?;
    let effects = match fx {
        Some(o) => fits
            .iter()
            .map(|m| super::effects::effects_of(m, o))
            .collect::<RResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    let refs: Vec<&Model> = fits.iter().map(|m| m.0.model()).collect();
    let fx_refs: Vec<&crate::effects::Effects> = effects.iter().map(|e| &*e.0).collect();
    crate::effects::robustness_with_effects(&refs, &fx_refs, &co)
        .map(|t| STable(Arc::new(t)))
        .map_err(core_err)
}

/// Comparison tables and simulation.
#[export_module(root = "crate::script::guarded")]
pub mod study_fns {
    use super::*;

    /// One value per unit of `w`, in W's unit order: the numeric column `value_column` of the
    /// cross-section frame `f`, matched to W's ids through `f`'s column `id_column` (never by
    /// row position). Arrays of values (for `moran`, `plot_moran`, `w.lag`) are positional, so
    /// build them with this. Errors: ids that appear on more than one row, units of W with no
    /// row, rows whose id is not a unit of W (some named, and how many).
    /// ```rhai
    /// let w = weights_contiguity("examples/data/columbus/columbus.geojson", #{id: "POLYID"});
    /// let x = in_order(read_csv("examples/data/columbus/data.csv"), "POLYID", "CRIME", w);
    /// ```
    #[rhai_fn(name = "in_order", return_raw)]
    pub fn in_order(f: SFrame, id_column: &str, value_column: &str, w: SWeights) -> RResult<Array> {
        crate::data::align::in_order(&f.0, id_column, value_column, w.0.ids())
            .map(|v| from_f64s(&v))
            .map_err(core_err)
    }

    /// One value per unit of `w` from a panel: column `value_column` in period `period` (e.g.
    /// 1990 or "1990"), matched to W's ids through the panel's unit ids.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// print(moran(u, w));
    /// ```
    #[rhai_fn(name = "in_order", return_raw)]
    pub fn in_order_panel(p: SPanel, value_column: &str, period: Dynamic, w: SWeights) -> RResult<Array> {
        let t = dyn_to_key(&period).ok_or_else(|| {
            script_err(format!(
                "in_order: the period must be a number or a string, got {}",
                period.type_name()
            ))
        })?;
        crate::data::align::period_in_order(&p.0, value_column, &t, w.0.ids())
            .map(|v| from_f64s(&v))
            .map_err(core_err)
    }

    /// The groups of panel column `column` (e.g. "region"), in order of first appearance, as
    /// text keys ("1", not "1.0"): the keys of `fit_by`'s result and the values
    /// `p.filter(column, key)` takes.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(group_keys(p, "region"));
    /// ```
    #[rhai_fn(name = "group_keys", return_raw)]
    pub fn group_keys(p: SPanel, column: &str) -> RResult<Array> {
        crate::data::align::group_keys(&p.0, column)
            .map(|g| from_strings(&g))
            .map_err(core_err)
    }

    /// Checks a map's keys the way functions check their options: an unknown key is an error
    /// that names it, the closest valid key ("did you mean") and the valid keys; a key of
    /// `required` that is missing or () is an error that names it. `what` names the map in the
    /// messages (e.g. "study: spec.weights"). Returns ().
    /// ```rhai
    /// let spec = #{data: "d.csv", formula: "y ~ x"};
    /// check_keys(spec, "spec", ["data", "formula", "weights"], ["data", "formula"]);
    /// ```
    #[rhai_fn(name = "check_keys", return_raw)]
    pub fn check_keys(map: Map, what: &str, valid: Array, required: Array) -> RResult<()> {
        let valid = to_strings(&valid, "check_keys: valid")?;
        let required = to_strings(&required, "check_keys: required")?;
        let v: Vec<&str> = valid.iter().map(String::as_str).collect();
        let r: Vec<&str> = required.iter().map(String::as_str).collect();
        check_map_keys(&map, what, "key", &v, &r)
    }

    /// The option names a function accepts in its option map: "fit" (and "sar", "sem", "sdm",
    /// "sdem", "sac", whose `model` is fixed), "effects", "read_csv" or "read_weights".
    /// ```rhai
    /// print(option_keys("sar"));
    /// ```
    #[rhai_fn(name = "option_keys", return_raw)]
    pub fn option_keys(func: &str) -> RResult<Array> {
        let keys: Vec<&str> = match func {
            "fit" => super::super::models::SPATIAL_KEYS
                .iter()
                .copied()
                .filter(|k| *k != "w")
                .collect(),
            "sar" | "sem" | "sdm" | "sdem" | "sac" => super::super::models::SPATIAL_KEYS
                .iter()
                .copied()
                .filter(|k| *k != "w" && *k != "model")
                .collect(),
            "effects" => super::super::effects::EFFECTS_KEYS.to_vec(),
            "read_csv" => super::super::options::CSV_KEYS.to_vec(),
            "read_weights" => super::super::weights::READ_WEIGHTS_KEYS.to_vec(),
            _ => {
                return Err(script_err(format!(
                    "option_keys: unknown function '{func}'; known: \"fit\", \"sar\", \"sem\", \"sdm\", \"sdem\", \"sac\", \
                     \"effects\", \"read_csv\", \"read_weights\""
                )))
            }
        };
        Ok(keys.into_iter().map(|k| Dynamic::from(k.to_string())).collect())
    }

    /// Starts writing a study's output folder `out`: creates the empty staging folder next to
    /// it (`<out>.spillover-staging-<pid>`) and returns its path; write everything there, then
    /// `study_commit(staging, out)` (or `study_discard(staging)` on failure). Refuses at once an
    /// `out` that exists but was not written by a study (the folder is replaced as a whole).
    /// ```rhai
    /// let staging = study_stage("out/study");
    /// write_text(`${staging}/README.md`, "results\n");
    /// study_commit(staging, "out/study");
    /// ```
    #[rhai_fn(name = "study_stage", return_raw)]
    pub fn study_stage(out: &str) -> RResult<String> {
        crate::report::staging::stage_dir(out).map_err(core_err)
    }

    /// Moves the staging folder into place as `out` (the previous `out`, if any, is replaced).
    /// ```rhai
    /// let staging = study_stage("out/study");
    /// write_text(`${staging}/README.md`, "results\n");
    /// study_commit(staging, "out/study");
    /// ```
    #[rhai_fn(name = "study_commit", return_raw)]
    pub fn study_commit(staging: &str, out: &str) -> RResult<()> {
        crate::report::staging::commit_dir(staging, out).map_err(core_err)
    }

    /// Removes a staging folder after a failed study (the previous `out` stays as it was).
    /// ```rhai
    /// let staging = study_stage("out/study");
    /// study_discard(staging);
    /// ```
    #[rhai_fn(name = "study_discard", return_raw)]
    pub fn study_discard(staging: &str) -> RResult<()> {
        crate::report::staging::discard_dir(staging).map_err(core_err)
    }

    /// Models side by side, esttab style: per term the estimate with stars and its standard
    /// error in parentheses (rho/lambda last), then sigma2, logLik, AIC, N, T, FE and the
    /// convention. Random-effects models add the row phi after rho/lambda and sigma2_mu, theta
    /// under sigma2, and their convention names the estimator, the error structure (bsk/kkp) and
    /// the covariance. Options: names (column headers), decimals (default 4), title; keep, drop
    /// (arrays of terms), order (these terms first), labels (map term → label), paren ("se"
    /// default, "t" for z, "p", "ci" for the 95% interval), stars (levels, default
    /// [0.1, 0.05, 0.01]), stats (footer rows in this order, keys "nobs", "n", "t", "r2",
    /// "r2_within", "r2_between", "r2_overall", "loglik", "aic", "bic", "sigma2", "fe",
    /// "convention"). A term no model has, or an unknown stats key, is an error listing the
    /// valid ones. Dynamic models (docs/methods.md §14) show `y(t-1)` (τ) and `W*y(t-1)` (η)
    /// just before rho, and their convention names the bias correction and covariance.
    ///
    /// An array of Effects (from `effects(m)`) is compared the same way: blocks Direct,
    /// Indirect, Total (for dynamic models Short-run direct … Long-run total; a long run refused
    /// because the process is not stable reads "not stable", with the reason in a note), one
    /// row per regressor and its standard error under it; `keep`, `drop`, `order`, `labels` act
    /// on the regressors, `stats` does not apply.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let o = ols(c, "CRIME ~ INC + HOVAL", #{id: "POLYID"});
    /// let s = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(compare([o, s], #{names: ["OLS", "SAR"], decimals: 3}));
    /// print(compare([o, s], #{keep: ["INC", "rho"], labels: #{INC: "income"}, paren: "t",
    ///                        stars: [0.05, 0.01], stats: ["nobs", "r2", "aic", "bic"]}));
    /// ```
    #[rhai_fn(name = "compare", return_raw)]
    pub fn compare(models: Array, opts: Map) -> RResult<STable> {
        if let Some(fx) = effects_list(&models, "compare")? {
            let refs: Vec<&crate::effects::Effects> = fx.iter().map(|e| &*e.0).collect();
            let co = compare_options(&opts, "compare")?;
            return crate::effects::compare_effects(&refs, &co)
                .map(|t| STable(Arc::new(t)))
                .map_err(core_err);
        }
        let ms = models_of(&models)?;
        let refs: Vec<&Model> = ms.iter().map(|m| m.0.model()).collect();
        let co = compare_options(&opts, "compare")?;
        crate::models::compare::compare(&refs, &co)
            .map(|t| STable(Arc::new(t)))
            .map_err(core_err)
    }

    /// The same model under several weights matrices, side by side (the robustness table of a
    /// paper): one fit per W with the fit options of `fit` (`model` required, `fe`, `dynamic`,
    /// …), then a `compare` table of coefficients, rho/lambda, logLik, AIC, BIC, N, T and FE.
    /// Each column equals a separate `fit(p, f, w_k, opts)`. The options of `compare` (names —
    /// default "W1", "W2", … —, decimals, title, keep, drop, order, labels, paren, stars, stats)
    /// shape the table. `effects: true` (or a map of `effects` options: draws, seed, method, …)
    /// adds under the coefficients the direct, indirect and total effects of each fit with their
    /// standard errors (short run and long run for dynamic models; docs/methods.md §9, §14.5).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let t = robustness(p, "gsp ~ pcap + emp", [w, w.binary()], #{model: "sar", names: ["row", "binary"]});
    /// print(t);
    /// print(robustness(p, "gsp ~ pcap + emp", [w, w.binary()], #{model: "sdm", effects: #{draws: 200, seed: 1}}));
    /// ```
    #[rhai_fn(name = "robustness", return_raw)]
    pub fn robustness(data: Dynamic, formula: &str, ws: Array, opts: Map) -> RResult<STable> {
        let mut fit_opts = Map::new();
        let mut table_opts = Map::new();
        for (k, v) in &opts {
            if COMPARE_KEYS.contains(&k.as_str()) {
                table_opts.insert(k.clone(), v.clone());
            } else if k.as_str() != "effects" {
                fit_opts.insert(k.clone(), v.clone());
            }
        }
        let fx = robustness_effects_opts(opts.get("effects"))?;
        compare_options(&table_opts, "robustness")?;
        let mut fits = Vec::with_capacity(ws.len());
        for (k, w) in ws.iter().enumerate() {
            let w = w.clone().try_cast::<SWeights>().ok_or_else(|| {
                script_err(format!(
                    "robustness: element {k} of the weights array is {}, expected Weights",
                    w.type_name()
                ))
            })?;
            fits.push(super::super::models::spatial(
                data.clone(),
                formula,
                &w,
                None,
                &fit_opts,
                "robustness",
            )?);
        }
        robustness_of(&fits, &table_opts, fx.as_ref())
    }

    /// The robustness table of models already fitted (one model under several W, e.g. by
    /// `fit(p, f, w_k, opts)`), as `robustness(p, f, ws, opts)` builds it from its own fits:
    /// options of `compare` (names — default "W1", "W2", … —, decimals, title, keep, drop, order,
    /// labels, paren, stars, stats) and `effects` (true, or a map of `effects` options).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let fits = [sar(p, "gsp ~ pcap + emp", w), sar(p, "gsp ~ pcap + emp", w.binary())];
    /// print(robustness(fits, #{names: ["row", "binary"], effects: #{method: "delta"}}));
    /// ```
    #[rhai_fn(name = "robustness", return_raw)]
    pub fn robustness_models(models: Array, opts: Map) -> RResult<STable> {
        let mut valid: Vec<&str> = COMPARE_KEYS.to_vec();
        valid.push("effects");
        Opts::new(&opts, "robustness", &valid)?;
        let mut table_opts = opts.clone();
        let fx = robustness_effects_opts(table_opts.remove("effects").as_ref())?;
        let fits = models_of(&models).map_err(|e| script_err(e.to_string().replacen("compare:", "robustness:", 1)))?;
        robustness_of(&fits, &table_opts, fx.as_ref())
    }

    /// The models in long form at full precision: model, term, estimate, std_error, z, p (plus
    /// sigma2, logLik, AIC rows; sigma2_mu, theta and the Swamy–Arora phi for random-effects
    /// models) — the machine-readable companion of `compare`.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let o = ols(c, "CRIME ~ INC + HOVAL", #{id: "POLYID"});
    /// let s = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// let long = compare_long([o, s], ["OLS", "SAR"]);
    /// ```
    #[rhai_fn(name = "compare_long", return_raw)]
    pub fn compare_long(models: Array, names: Array) -> RResult<STable> {
        let ms = models_of(&models)?;
        let refs: Vec<&Model> = ms.iter().map(|m| m.0.model()).collect();
        let names = super::super::convert::to_strings(&names, "compare_long: names")?;
        crate::models::compare::compare_long(&refs, if names.is_empty() { None } else { Some(&names) })
            .map(|t| STable(Arc::new(t)))
            .map_err(core_err)
    }

    /// `x` with `decimals` fixed decimals as text (scientific for very large or small
    /// magnitudes; "." for NaN), as tables print numbers.
    /// ```rhai
    /// print(fmt(3.14159, 2));   // 3.14
    /// ```
    #[rhai_fn(name = "fmt")]
    pub fn fmt(x: FLOAT, decimals: INT) -> String {
        crate::report::table::fmt_num(x, decimals.clamp(0, 17) as usize)
    }
    /// An integer as text (decimals ignored).
    /// ```rhai
    /// print(fmt(42, 2));   // 42
    /// ```
    #[rhai_fn(name = "fmt")]
    pub fn fmt_int(x: INT, _decimals: INT) -> String {
        x.to_string()
    }
    /// A p-value as journals print it: three decimals (`0.000`, never `1.79e-149`); "–" when
    /// undefined.
    /// ```rhai
    /// print(fmt_p(1.79e-149));   // 0.000
    /// ```
    #[rhai_fn(name = "fmt_p")]
    pub fn fmt_p(p: FLOAT) -> String {
        crate::report::table::fmt_p(p, crate::report::table::PFormat::Fixed)
    }
    /// A p-value as journals print it with the format `p_format`: "fixed" (0.000) or "<"
    /// (`< 0.001` below 0.001).
    /// ```rhai
    /// print(fmt_p(1.79e-149, "<"));   // < 0.001
    /// ```
    #[rhai_fn(name = "fmt_p", return_raw)]
    pub fn fmt_p_as(p: FLOAT, p_format: &str) -> RResult<String> {
        let f = super::super::export::p_format_of(p_format, "fmt_p")?;
        Ok(crate::report::table::fmt_p(p, f))
    }
    /// The printed label of a test's code name ("lm_lag" → "LM lag", "robust_lm_error" →
    /// "Robust LM error"); a name without a label is returned as it is.
    /// ```rhai
    /// print(test_label("robust_lm_error"));   // Robust LM error
    /// ```
    #[rhai_fn(name = "test_label")]
    pub fn test_label(name: &str) -> String {
        crate::report::labels::label_or_name(name)
    }
    /// Significance stars of a p-value: "***" p < 0.01, "**" p < 0.05, "*" p < 0.1, else "".
    /// ```rhai
    /// print(stars(0.03));   // **
    /// ```
    #[rhai_fn(name = "stars")]
    pub fn stars(p: FLOAT) -> String {
        crate::stats::stars(p).to_string()
    }

    /// A table built in a script: `table("Title", ["a", "b"], [["x", 1.0], ["y", 2.0]])`; cells
    /// are numbers, integers, strings or () (empty). Save it by extension like any table.
    /// ```rhai
    /// let t = table("Title", ["a", "b"], [["x", 1.0], ["y", ()]]);
    /// print(t);
    /// ```
    #[rhai_fn(name = "table", return_raw)]
    pub fn table(title: &str, columns: Array, rows: Array) -> RResult<STable> {
        let cols = super::super::convert::to_strings(&columns, "table: columns")?;
        let mut t = Table::new(title, cols);
        push_rows(&mut t, &rows, "table")?;
        Ok(STable(Arc::new(t)))
    }

    /// A copy of the table with rows appended (each an array of cells) — e.g. test rows under a
    /// `compare` table.
    /// ```rhai
    /// let t = table("Title", ["a", "b"], [["x", 1.0]]);
    /// t = add_rows(t, [["y", 2.0], ["z", 3]]);
    /// ```
    #[rhai_fn(name = "add_rows", return_raw)]
    pub fn add_rows(t: STable, rows: Array) -> RResult<STable> {
        let mut t = (*t.0).clone();
        push_rows(&mut t, &rows, "add_rows")?;
        Ok(STable(Arc::new(t)))
    }

    /// A copy of the table with a note line added under it.
    /// ```rhai
    /// let t = table("Title", ["a", "b"], [["x", 1.0]]);
    /// t = add_note(t, "Source: a survey.");
    /// ```
    #[rhai_fn(name = "add_note")]
    pub fn add_note(t: STable, note: &str) -> STable {
        let mut t = (*t.0).clone();
        t.note(note);
        STable(Arc::new(t))
    }

    /// The table as GitHub Markdown (what `save(t, "x.md")` writes), for reports.
    /// ```rhai
    /// let t = table("Title", ["a", "b"], [["x", 1.0]]);
    /// print(t.to_markdown());
    /// ```
    #[rhai_fn(name = "to_markdown", pure)]
    pub fn md_table(t: &mut STable) -> String {
        markdown_of(t)
    }
    /// The Moran table as Markdown.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(moran(p, ["unemp"], w).to_markdown());
    /// ```
    #[rhai_fn(name = "to_markdown", pure)]
    pub fn md_moran_table(t: &mut SMoranTable) -> String {
        markdown_of(t)
    }
    /// The effects as Markdown.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(effects(m, #{draws: 200}).to_markdown());
    /// ```
    #[rhai_fn(name = "to_markdown", pure)]
    pub fn md_effects(t: &mut SEffects) -> String {
        markdown_of(t)
    }
    /// The model's coefficient table as Markdown.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// print(ols(c, "CRIME ~ INC + HOVAL").to_markdown());
    /// ```
    #[rhai_fn(name = "to_markdown", pure)]
    pub fn md_model(t: &mut SModel) -> String {
        markdown_of(t)
    }
    /// The test as Markdown.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sdm(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(wald_test(m, "sar").to_markdown());
    /// ```
    #[rhai_fn(name = "to_markdown", pure)]
    pub fn md_test(t: &mut STest) -> String {
        markdown_of(t)
    }

    /// A panel drawn from a spatial model on the units of `w` (docs/methods.md notation; see
    /// src/models/simulate.rs): y_t = (I − ρW)⁻¹(X_tβ + WX_tθ + μ + ξ_t + ε_t) for sar/sdm (slx,
    /// ols: ρ = 0), y_t = X_tβ + WX_tθ + μ + ξ_t + (I − λW)⁻¹ε_t for sem/sdem. Options: model
    /// (required), beta (required), theta (sdm/sdem/slx; default zeros), rho (or lambda; default
    /// 0), t (default 10), sigma (default 1), fe (units/periods effects drawn N(0,1):
    /// "twoways" default, "individual", "time", "none"), intercept (default 0), seed (default 1),
    /// x (regressor names; default x1, x2, …), data (a Panel whose columns `x` are used as X
    /// instead of drawing them), y (name of the outcome; default "y").
    /// ```rhai
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let p = simulate(w, #{model: "sar", beta: [1.0, -0.5], rho: 0.4, t: 5, seed: 7});
    /// let m = sar(p, "y ~ x1 + x2", w);
    /// ```
    #[rhai_fn(name = "simulate", return_raw)]
    pub fn simulate(w: SWeights, opts: Map) -> RResult<SPanel> {
        let o = Opts::new(&opts, "simulate", &SIMULATE_KEYS)?;
        let kind: ModelKind = o
            .str("model")?
            .ok_or_else(|| {
                script_err(
                    "simulate: option 'model' is required (\"sar\", \"sdm\", \"sem\", \"sdem\", \"slx\", \"ols\")",
                )
            })?
            .parse()
            .map_err(|e| script_err(format!("simulate: {e}")))?;
        let beta = match o.value("beta") {
            Some(v) => {
                let a = v
                    .clone()
                    .try_cast::<Array>()
                    .ok_or_else(|| script_err("simulate: option 'beta' must be an array of numbers"))?;
                to_f64s(&a, "simulate: beta")?
            }
            None => {
                return Err(script_err(
                    "simulate: option 'beta' is required, e.g. beta: [1.0, -0.5]",
                ))
            }
        };
        let mut spec = SimulateSpec::new(kind, beta);
        if let Some(v) = o.value("theta") {
            let a = v
                .clone()
                .try_cast::<Array>()
                .ok_or_else(|| script_err("simulate: option 'theta' must be an array of numbers"))?;
            spec.theta = to_f64s(&a, "simulate: theta")?;
        }
        match (o.float("rho")?, o.float("lambda")?) {
            (Some(_), Some(_)) => {
                return Err(script_err(
                    "simulate: give rho or lambda, not both (both name the spatial parameter)",
                ))
            }
            (Some(r), None) | (None, Some(r)) => spec.rho = r,
            (None, None) => {}
        }
        if let Some(t) = o.usize("t")? {
            spec.t = t;
        }
        if let Some(s) = o.float("sigma")? {
            spec.sigma = s;
        }
        if let Some(f) = o.parsed("fe")? {
            spec.fe = f;
        }
        if let Some(c) = o.float("intercept")? {
            spec.intercept = c;
        }
        if let Some(s) = o.int("seed")? {
            spec.seed = s as u64;
        }
        if let Some(y) = o.str("y")? {
            spec.y = y;
        }
        let data = match o.value("data") {
            Some(d) => Some(d.clone().try_cast::<SPanel>().ok_or_else(|| {
                script_err(format!(
                    "simulate: option 'data' must be a Panel, got {}",
                    d.type_name()
                ))
            })?),
            None => None,
        };
        spec.names = match o.strings("x")? {
            Some(n) => n,
            None if data.is_some() => {
                return Err(script_err(
                    "simulate: with 'data', option 'x' must name the panel columns used as regressors",
                ))
            }
            None => (1..=spec.beta.len()).map(|k| format!("x{k}")).collect(),
        };
        crate::models::simulate::simulate(&w.0, &spec, data.as_ref().map(|p| p.0.as_ref()))
            .map(|p| SPanel(Arc::new(p)))
            .map_err(core_err)
    }
}

rhai::def_package! {
    /// Comparison tables, Markdown, simulation and the natives of the `study` stdlib module.
    pub StudyPackage(lib) {
        rhai::combine_with_exported_module!(lib, "study", study_fns);
        without_options! { lib;
            /// Models side by side with default options.
            /// ```rhai
            /// let c = read_csv("examples/data/columbus/data.csv");
            /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
            /// let o = ols(c, "CRIME ~ INC + HOVAL", #{id: "POLYID"});
            /// let s = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
            /// print(compare([o, s]));
            /// ```
            compare(models: Array) -> STable = study_fns::compare;
        }
    }
}
