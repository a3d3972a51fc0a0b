//! Effects bindings: `effects(model, opts)`, `plot_effects`, and subgroup estimation
//! `fit_by(p, column, formula, w, opts)`.

use super::convert::{SPanel, STable};
use super::export::{register_exportable, Exportable};
use super::models::{spatial, Fitted, SModel};
use super::options::Opts;
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::effects::Effects;
use crate::report::Table;
use rhai::plugin::*;
use rhai::{Dynamic, Engine, Map};
use serde_json::Value;
use std::sync::Arc;

/// Direct, indirect and total effects in a script.
#[derive(Debug, Clone)]
pub struct SEffects(pub Arc<Effects>);

impl Exportable for SEffects {
    const KIND: &'static str = "effects";
    fn json(&self) -> Value {
        let mut v = self.0.to_json_value();
        if let Value::Object(m) = &mut v {
            m.remove("kind");
        }
        v
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.to_table())
    }
    fn text(&self) -> String {
        self.0.to_string()
    }
    const PLOT: bool = true;
    fn plot(&self, path: &str) -> Option<crate::Result<()>> {
        Some(if path.is_empty() {
            Ok(())
        } else {
            plot(&[(String::new(), self.0.clone())], path)
        })
    }
}

/// Registers the Effects type.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SEffects>("Effects");
    register_exportable::<SEffects>(engine);
}

/// Estimates with 95% intervals, one panel per group.
fn plot(groups: &[(String, Arc<Effects>)], path: &str) -> crate::Result<()> {
    plot_vars(groups, path, None)
}

/// Estimates with 95% intervals, one panel per group, of the regressors `vars` (all when None).
fn plot_vars(groups: &[(String, Arc<Effects>)], path: &str, vars: Option<&[String]>) -> crate::Result<()> {
    let panels: Vec<crate::plot::IntervalPanel> = groups
        .iter()
        .map(|(g, fx)| {
            let mut rows = Vec::new();
            for (k, name) in fx.names.iter().enumerate() {
                if vars.is_some_and(|v| !v.contains(name)) {
                    continue;
                }
                for (what, r) in [
                    ("direct", &fx.direct[k]),
                    ("indirect", &fx.indirect[k]),
                    ("total", &fx.total[k]),
                ] {
                    let half = 1.959963984540054 * r.std_error;
                    rows.push((
                        format!("{name}: {what}"),
                        r.estimate,
                        r.estimate - half,
                        r.estimate + half,
                    ));
                }
            }
            (g.clone(), rows)
        })
        .collect();
    crate::plot::plot_intervals(&panels, path, "Direct, indirect and total effects (95% intervals)")
}

/// The options of `effects` (also checked by the study module).
pub(crate) const EFFECTS_KEYS: [&str; 5] = ["draws", "seed", "method", "mode", "engine"];

fn effects_of(m: &SModel, opts: &Map) -> RResult<SEffects> {
    let eo = super::options::effects_options(&Opts::new(opts, "effects", &EFFECTS_KEYS)?)?;
    match &*m.0 {
        Fitted::Spatial(fit, w) => crate::effects::effects_of_fit(fit, w, &eo)
            .map(|e| SEffects(Arc::new(e)))
            .map_err(core_err),
        Fitted::Ols(_) => Err(script_err(
            "effects: an OLS model has no spatial effects; fit sar, sdm, sdem, slx or sem",
        )),
    }
}

/// Effects and subgroup fits.
#[export_module(root = "crate::script::guarded")]
pub mod effects_fns {
    use super::*;

    /// Direct, indirect (spillover) and total effects (LeSage–Pace; METHODS §9), exact at the
    /// estimates. Options: method ("simulation" default, 1000 draws; "delta"), draws, seed,
    /// mode ("spillover", "elhorst" mean of draws, "spatialreg"), engine ("auto", "eigen",
    /// "series").
    #[rhai_fn(name = "effects", return_raw)]
    pub fn effects(m: SModel, opts: Map) -> RResult<SEffects> {
        effects_of(&m, &opts)
    }

    /// Effects with default options (1000 simulated draws, fixed seed).
    #[rhai_fn(name = "effects", return_raw)]
    pub fn effects0(m: SModel) -> RResult<SEffects> {
        effects_of(&m, &Map::new())
    }

    /// The long table (variable, effect, estimate, std_error, z, p) for export.
    #[rhai_fn(name = "long_table", pure)]
    pub fn long_table(fx: &mut SEffects) -> STable {
        STable(Arc::new(fx.0.to_long_table()))
    }

    /// Draws effects with 95% intervals (SVG or PNG by extension).
    #[rhai_fn(name = "plot_effects", return_raw)]
    pub fn plot_effects(fx: SEffects, path: &str) -> RResult<()> {
        plot(&[(String::new(), fx.0)], path).map_err(core_err)
    }

    /// Draws a map group → Effects, one panel per group (e.g. East, Central, West).
    #[rhai_fn(name = "plot_effects", return_raw)]
    pub fn plot_effects_map(groups: Map, path: &str) -> RResult<()> {
        let mut g = Vec::new();
        for (k, v) in groups {
            let fx = v
                .try_cast::<SEffects>()
                .ok_or_else(|| script_err(format!("plot_effects: group '{k}' is not an Effects result")))?;
            g.push((k.to_string(), fx.0));
        }
        plot(&g, path).map_err(core_err)
    }

    /// Draws a map group → Effects with options: `variables` (regressors to show; default all —
    /// regressors on very different scales are best drawn apart), `order` (group names in panel
    /// order; default sorted).
    #[rhai_fn(name = "plot_effects", return_raw)]
    pub fn plot_effects_opts(groups: Map, path: &str, opts: Map) -> RResult<()> {
        let o = Opts::new(&opts, "plot_effects", &["variables", "order"])?;
        let vars = o.strings("variables")?;
        let order: Vec<String> = match o.strings("order")? {
            Some(v) => v,
            None => groups.keys().map(|k| k.to_string()).collect(),
        };
        let mut g = Vec::new();
        for k in order {
            let v = groups.get(k.as_str()).ok_or_else(|| {
                script_err(format!(
                    "plot_effects: option 'order' names '{k}', which is not a group"
                ))
            })?;
            let fx = v
                .clone()
                .try_cast::<SEffects>()
                .ok_or_else(|| script_err(format!("plot_effects: group '{k}' is not an Effects result")))?;
            if let Some(vs) = &vars {
                if let Some(bad) = vs.iter().find(|n| !fx.0.names.contains(n)) {
                    return Err(script_err(format!(
                        "plot_effects: no regressor '{bad}' in group '{k}'; regressors: {}",
                        fx.0.names.join(", ")
                    )));
                }
            }
            g.push((k, fx.0));
        }
        plot_vars(&g, path, vars.as_deref()).map_err(core_err)
    }

    /// One model per group of `column` (constant within units, e.g. "region"): each group's
    /// balanced sub-panel, with W restricted to its units and re-standardised; returns a map
    /// group → Model. Options as `fit` (`model` required), plus `islands` ("error" default, or
    /// "keep": a unit whose neighbours are all in other groups stays in its group's W with no
    /// neighbours, as `w.subset(ids, #{islands: "keep"})`).
    #[rhai_fn(name = "fit_by", return_raw)]
    pub fn fit_by(p: SPanel, column: &str, formula: &str, w: SWeights, opts: Map) -> RResult<Map> {
        let mut opts = opts;
        let mut island_opt = Map::new();
        if let Some(v) = opts.remove("islands") {
            island_opt.insert("islands".into(), v);
        }
        let keep_islands = Opts::new(&island_opt, "fit_by", &["islands"])?.keep_islands()?;
        let groups = crate::data::align::group_keys(&p.0, column).map_err(core_err)?;
        let mut out = Map::new();
        for g in groups {
            let sub = p.0.filter(column, std::slice::from_ref(&g)).map_err(core_err)?;
            let ws =
                w.0.subset(sub.ids(), keep_islands)
                    .map_err(|e| script_err(format!("fit_by: group {g}: {e}")))?;
            let m = spatial(
                Dynamic::from(SPanel(Arc::new(sub))),
                formula,
                &SWeights(Arc::new(ws)),
                None,
                &opts,
                "fit_by",
            )
            .map_err(|e| script_err(format!("fit_by: group {g}: {}", super::super::format_error(&e, "fit"))))?;
            out.insert(g.into(), Dynamic::from(m));
        }
        Ok(out)
    }
}
