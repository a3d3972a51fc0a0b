//! Effects bindings: `effects(model, opts)`, `plot_effects`, and subgroup estimation
//! `fit_by(p, column, formula, w, opts)`.

use super::convert::{SPanel, STable};
use super::export::{register_exportable, Exportable};
use super::models::{Fitted, SModel};
use super::options::Opts;
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::effects::Effects;
use crate::report::Table;
use rhai::plugin::*;
use rhai::Map;
use std::sync::Arc;

/// Direct, indirect and total effects in a script.
#[derive(Debug, Clone)]
pub struct SEffects(pub Arc<Effects>);

impl Exportable for SEffects {
    const KIND: &'static str = "effects";
    type Core = Effects;
    fn core(&self) -> &Effects {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.to_table())
    }
    fn text(&self) -> String {
        self.0.to_string()
    }
    const PLOT: bool = cfg!(feature = "plot");
    #[cfg(feature = "plot")]
    fn plot(&self, path: &str) -> Option<crate::Result<()>> {
        Some(if path.is_empty() {
            Ok(())
        } else {
            plot(&[(String::new(), self.0.clone())], path)
        })
    }
}

/// The level of the intervals `plot_effects` draws.
#[cfg(feature = "plot")]
const PLOT_LEVEL: f64 = 0.95;

/// Estimates with 95% intervals, one panel per group.
#[cfg(feature = "plot")]
fn plot(groups: &[(String, Arc<Effects>)], path: &str) -> crate::Result<()> {
    plot_vars(groups, path, None, crate::plot::FigureOptions::default())
}

/// Estimates with 95% intervals ([`Effects::interval_rows`]), one panel per group, of the
/// regressors `vars` (all when None); the title defaults to "Direct, indirect and total
/// effects (95% intervals)".
#[cfg(feature = "plot")]
fn plot_vars(
    groups: &[(String, Arc<Effects>)],
    path: &str,
    vars: Option<&[String]>,
    mut fig: crate::plot::FigureOptions,
) -> crate::Result<()> {
    let panels = groups
        .iter()
        .map(|(g, fx)| {
            fx.interval_rows(PLOT_LEVEL, vars)
                .map(|rows| (g.clone(), rows))
                .map_err(|e| crate::Error::invalid(format!("plot_effects: group '{g}': {e}")))
        })
        .collect::<crate::Result<Vec<crate::plot::IntervalPanel>>>()?;
    if fig.title.is_none() {
        fig.title = Some("Direct, indirect and total effects (95% intervals)".into());
    }
    crate::plot::plot_intervals(&panels, path, &fig)
}

/// The options of `effects` (also checked by the study module).
pub(crate) const EFFECTS_KEYS: [&str; 5] = ["draws", "seed", "method", "mode", "engine"];

/// The effects of `m` with the options of `effects` (keys [`EFFECTS_KEYS`]).
pub(crate) fn effects_of(m: &SModel, opts: &Map) -> RResult<SEffects> {
    let eo = super::options::effects_options(&Opts::new(opts, "effects", &EFFECTS_KEYS)?)?;
    match &*m.0 {
        Fitted::Spatial(fit, w) => crate::effects::effects_of_fit(fit, w, &eo)
            .map(|e| SEffects(Arc::new(e)))
            .map_err(core_err),
        Fitted::Ols(_) | Fitted::Random(_) => Err(script_err(
            "effects: an OLS model has no spatial effects; fit sar, sdm, sdem, slx or sem",
        )),
    }
}

/// Effects and subgroup fits.
#[export_module(root = "crate::script::guarded")]
pub mod effects_fns {
    use super::*;

    /// Direct, indirect (spillover) and total effects (LeSage–Pace; docs/methods.md §9), exact at the
    /// estimates. Options: method ("simulation" default, 1000 draws; "delta"), draws, seed,
    /// mode ("spillover", "elhorst" mean of draws, "spatialreg"), engine ("auto", "eigen",
    /// "series").
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sdm(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(effects(m, #{method: "delta"}));
    /// ```
    #[rhai_fn(name = "effects", return_raw)]
    pub fn effects(m: SModel, opts: Map) -> RResult<SEffects> {
        effects_of(&m, &opts)
    }

    /// How the standard errors were computed: "simulation" or "delta".
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let e = effects(sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), #{draws: 200, seed: 7});
    /// print(`${e.method} ${e.mode} ${e.draws} ${e.kept} ${e.seed}`);
    /// ```
    #[rhai_fn(get = "method", pure)]
    pub fn effects_method(fx: &mut SEffects) -> String {
        fx.0.method.name().to_string()
    }
    /// The convention of the simulation ("spillover", "elhorst", "spatialreg", "sdpdmod").
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// print(effects(sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), #{draws: 200}).mode);
    /// ```
    #[rhai_fn(get = "mode", pure)]
    pub fn effects_mode(fx: &mut SEffects) -> String {
        fx.0.mode.name().to_string()
    }
    /// Number of simulation draws (0 for the delta method).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// print(effects(sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), #{draws: 200}).draws);
    /// ```
    #[rhai_fn(get = "draws", pure)]
    pub fn effects_draws(fx: &mut SEffects) -> rhai::INT {
        fx.0.draws as rhai::INT
    }
    /// Number of draws kept (the draws discarded by `mode: "spatialreg"` are not kept).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// print(effects(sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), #{draws: 200}).kept);
    /// ```
    #[rhai_fn(get = "kept", pure)]
    pub fn effects_kept(fx: &mut SEffects) -> rhai::INT {
        fx.0.kept as rhai::INT
    }
    /// The seed of the simulation; `()` for the delta method.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// print(effects(sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), #{draws: 200, seed: 7}).seed);
    /// ```
    #[rhai_fn(get = "seed", pure)]
    pub fn effects_seed(fx: &mut SEffects) -> Dynamic {
        fx.0.seed.map_or(Dynamic::UNIT, |s| Dynamic::from_int(s as rhai::INT))
    }

    /// The long table (variable, effect, estimate, std_error, z, p) for export.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// let long = long_table(effects(m, #{draws: 200, seed: 1}));
    /// ```
    #[rhai_fn(name = "long_table", pure)]
    pub fn long_table(fx: &mut SEffects) -> STable {
        STable(Arc::new(fx.0.to_long_table()))
    }

    /// Draws effects with 95% intervals (SVG or PNG by extension).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// make_dir("out");
    /// plot_effects(effects(m, #{draws: 200}), "out/effects.svg");
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_effects", return_raw)]
    pub fn plot_effects(fx: SEffects, path: &str) -> RResult<()> {
        plot(&[(String::new(), fx.0)], path).map_err(core_err)
    }

    /// Draws a map group → Effects, one panel per group (e.g. East, Central, West).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let f = "gsp ~ pcap + pc + emp";
    /// let groups = #{SAR: effects(sar(p, f, w), #{draws: 200}), SDM: effects(sdm(p, f, w), #{draws: 200})};
    /// make_dir("out");
    /// plot_effects(groups, "out/effects_by_model.svg");
    /// ```
    #[cfg(feature = "plot")]
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

    /// Draws effects with 95% intervals with options: `variables` (regressors to show) and the
    /// figure options title, xlabel, ylabel, width, height, font.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// make_dir("out");
    /// plot_effects(effects(m, #{draws: 200}), "out/effects.png", #{title: "空间溢出效应", xlabel: "effect"});
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_effects", return_raw)]
    pub fn plot_effects_one_opts(fx: SEffects, path: &str, opts: Map) -> RResult<()> {
        let o = Opts::new(
            &opts,
            "plot_effects",
            &crate::script::options::figure_keys(&["variables"]),
        )?;
        let fig = crate::script::options::figure_options(&o)?;
        plot_vars(&[(String::new(), fx.0)], path, o.strings("variables")?.as_deref(), fig).map_err(core_err)
    }

    /// Draws a map group → Effects with options: `variables` (regressors to show; default all —
    /// regressors on very different scales are best drawn apart), `order` (group names in panel
    /// order; default sorted), and the figure options title, xlabel, ylabel, width, height, font.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let f = "gsp ~ pcap + pc + emp";
    /// let groups = #{SAR: effects(sar(p, f, w), #{draws: 200}), SDM: effects(sdm(p, f, w), #{draws: 200})};
    /// make_dir("out");
    /// plot_effects(groups, "out/effects.png", #{variables: ["pcap"], order: ["SDM", "SAR"]});
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_effects", return_raw)]
    pub fn plot_effects_opts(groups: Map, path: &str, opts: Map) -> RResult<()> {
        let o = Opts::new(
            &opts,
            "plot_effects",
            &crate::script::options::figure_keys(&["variables", "order"]),
        )?;
        let fig = crate::script::options::figure_options(&o)?;
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
            g.push((k, fx.0));
        }
        plot_vars(&g, path, vars.as_deref(), fig).map_err(core_err)
    }

    /// One model per group of `column` (constant within units, e.g. "region"): each group's
    /// balanced sub-panel, with W restricted to its units and re-standardised; returns a map
    /// group → Model. Options as `fit` (`model` required; `dynamic: true` with its options fits
    /// the dynamic SAR/SDM of docs/methods.md §14 in every group), plus `islands` ("error"
    /// default, or "keep": a unit whose neighbours are all in other groups stays in its group's
    /// W with no neighbours, as `w.subset(ids, #{islands: "keep"})`).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let fits = fit_by(p, "region", "gsp ~ pcap + pc + emp", w, #{model: "sar", fe: "individual", islands: "keep"});
    /// for g in fits.keys() { print(`${g}: rho = ${fits[g].rho}`) }
    /// ```
    #[rhai_fn(name = "fit_by", return_raw)]
    pub fn fit_by(p: SPanel, column: &str, formula: &str, w: SWeights, opts: Map) -> RResult<Map> {
        super::super::models::fit_by(&p, column, formula, &w, &opts)
    }
}

rhai::def_package! {
    /// The Effects type; effects of a fitted model, their plots, and subgroup fits.
    pub EffectsPackage(lib) {
        register_exportable::<SEffects>(
            lib,
            "Effects",
            "let c = read_csv(\"examples/data/columbus/data.csv\");\n\
             let w = weights_knn(c, #{id: \"POLYID\", x: \"X\", y: \"Y\", k: 4});\n\
             let x = effects(sar(c, \"CRIME ~ INC + HOVAL\", w, #{id: \"POLYID\"}), #{draws: 200, seed: 1});",
        );
        rhai::combine_with_exported_module!(lib, "effects", effects_fns);
        without_options! { lib;
            /// Effects with default options (1000 simulated draws, fixed seed).
            /// ```rhai
            /// let c = read_csv("examples/data/columbus/data.csv");
            /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
            /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
            /// print(effects(m));
            /// ```
            effects(m: SModel) -> SEffects = effects_fns::effects;
        }
    }
}
