//! Exploratory spatial statistics bindings: `moran`, `geary`, `local_moran`, and the plots.

use super::convert::{to_f64s, to_strings, SFrame, SPanel, STable};
use super::export::{register_exportable, Exportable};
use super::options::Opts;
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::esda::{Geary, Moran, MoranOptions, MoranTable};
use crate::report::Table;
use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};
use std::sync::Arc;

/// A global Moran's I in a script.
#[derive(Debug, Clone)]
pub struct SMoran(pub Arc<Moran>);
/// Moran's I by variable and period in a script.
#[derive(Debug, Clone)]
pub struct SMoranTable(pub Arc<MoranTable>);
/// Geary's C in a script.
#[derive(Debug, Clone)]
pub struct SGeary(pub Arc<Geary>);

impl Exportable for SMoran {
    const KIND: &'static str = "moran";
    type Core = Moran;
    fn core(&self) -> &Moran {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.to_table())
    }
    fn text(&self) -> String {
        self.0.to_string()
    }
}

impl Exportable for SGeary {
    const KIND: &'static str = "geary";
    type Core = Geary;
    fn core(&self) -> &Geary {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.to_table())
    }
    fn text(&self) -> String {
        self.0.to_string()
    }
}

impl Exportable for SMoranTable {
    const KIND: &'static str = "moran_table";
    type Core = MoranTable;
    fn core(&self) -> &MoranTable {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.to_table())
    }
    fn text(&self) -> String {
        self.0.to_table().to_text()
    }
    const PLOT: bool = cfg!(feature = "plot");
    #[cfg(feature = "plot")]
    fn plot(&self, path: &str) -> Option<crate::Result<()>> {
        Some(if path.is_empty() {
            Ok(())
        } else {
            crate::plot::plot_moran_series(&self.0, path, &crate::plot::FigureOptions::default())
        })
    }
}

fn moran_options(opts: &Map, func: &'static str, extra: &[&str]) -> RResult<MoranOptions> {
    let mut valid = vec!["permutations", "seed"];
    valid.extend_from_slice(extra);
    let o = Opts::new(opts, func, &valid)?;
    Ok(MoranOptions {
        permutations: o.count("permutations", 1_000_000)?,
        seed: o.int("seed")?.map_or(crate::esda::DEFAULT_SEED, |s| s as u64),
    })
}

fn cross_section(x: &Array, w: &SWeights, what: &str) -> RResult<Vec<f64>> {
    let v = to_f64s(x, what)?;
    if v.len() != w.0.n() {
        return Err(script_err(format!(
            "{what}: {} values for {} units; pass one value per unit in the order of w.ids()",
            v.len(),
            w.0.n()
        )));
    }
    Ok(v)
}

/// Moran's I, Geary's C, local Moran and their plots.
#[export_module(root = "crate::script::guarded")]
pub mod esda_fns {
    use super::*;

    /// Global Moran's I of one value per unit (order of w.ids()): I, E(I), variance, z and
    /// two-sided p under normality and randomisation; `p_sim` with options permutations, seed.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w, #{permutations: 999, seed: 1});
    /// print(m.p_sim);
    /// ```
    #[rhai_fn(name = "moran", return_raw)]
    pub fn moran_x(x: Array, w: SWeights, opts: Map) -> RResult<SMoran> {
        let o = moran_options(&opts, "moran", &[])?;
        let v = cross_section(&x, &w, "moran")?;
        crate::esda::moran(&v, &w.0, &o)
            .map(|m| SMoran(Arc::new(m)))
            .map_err(core_err)
    }

    /// Moran's I of panel variables for every period (a MoranTable: periods down, variables
    /// across, "I (z)" with stars), or pooled over I_T⊗W with `pooled: true`. Options:
    /// permutations, seed, pooled.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let t = moran(p, ["unemp", "gsp"], w, #{pooled: false});
    /// print(t);
    /// ```
    #[rhai_fn(name = "moran", return_raw)]
    pub fn moran_panel(p: SPanel, vars: Dynamic, w: SWeights, opts: Map) -> RResult<SMoranTable> {
        let names = if let Some(a) = vars.clone().try_cast::<Array>() {
            to_strings(&a, "moran")?
        } else {
            vec![vars
                .into_string()
                .map_err(|_| script_err("moran: variables must be a name or an array of names"))?]
        };
        let o = moran_options(&opts, "moran", &["pooled"])?;
        let pooled = Opts::new(&opts, "moran", &["permutations", "seed", "pooled"])?
            .bool("pooled")?
            .unwrap_or(false);
        crate::esda::moran_panel(&p.0, &names, &w.0, &o, pooled)
            .map(|t| SMoranTable(Arc::new(t)))
            .map_err(core_err)
    }

    /// The rows of a MoranTable as Moran results.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// for m in moran(p, "unemp", w).rows { print(`${m.period}: ${m.i}`) }
    /// ```
    #[rhai_fn(get = "rows", pure)]
    pub fn moran_table_rows(t: &mut SMoranTable) -> Array {
        t.0.rows
            .iter()
            .map(|m| Dynamic::from(SMoran(Arc::new(m.clone()))))
            .collect()
    }

    /// The MoranTable in long form (variable, period, I, E, variances, z, p, p_sim) for export.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let long = moran(p, ["unemp"], w).long_table();
    /// ```
    #[rhai_fn(name = "long_table", pure)]
    pub fn moran_table_long(t: &mut SMoranTable) -> STable {
        STable(Arc::new(t.0.to_long_table()))
    }

    /// Moran's I statistic.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w);
    /// print(m.i);
    /// ```
    #[rhai_fn(get = "i", pure)]
    pub fn moran_i(m: &mut SMoran) -> f64 {
        m.0.i
    }
    /// E(I) = −1/(N−1).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w);
    /// print(m.expected);   // -1/(N-1)
    /// ```
    #[rhai_fn(get = "expected", pure)]
    pub fn moran_expected(m: &mut SMoran) -> f64 {
        m.0.expected
    }
    /// z under normality.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w);
    /// print(m.z_normal);
    /// ```
    #[rhai_fn(get = "z_normal", pure)]
    pub fn moran_z_normal(m: &mut SMoran) -> f64 {
        m.0.z_normal
    }
    /// Two-sided p under normality.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w);
    /// print(m.p_normal);
    /// ```
    #[rhai_fn(get = "p_normal", pure)]
    pub fn moran_p_normal(m: &mut SMoran) -> f64 {
        m.0.p_normal
    }
    /// z under randomisation.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w);
    /// print(m.z_random);
    /// ```
    #[rhai_fn(get = "z_random", pure)]
    pub fn moran_z_random(m: &mut SMoran) -> f64 {
        m.0.z_random
    }
    /// Two-sided p under randomisation.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w);
    /// print(m.p_random);
    /// ```
    #[rhai_fn(get = "p_random", pure)]
    pub fn moran_p_random(m: &mut SMoran) -> f64 {
        m.0.p_random
    }
    /// Variance under normality.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w);
    /// print(m.variance_normal);
    /// ```
    #[rhai_fn(get = "variance_normal", pure)]
    pub fn moran_var_normal(m: &mut SMoran) -> f64 {
        m.0.variance_normal
    }
    /// Variance under randomisation.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let m = moran(u, w);
    /// print(m.variance_random);
    /// ```
    #[rhai_fn(get = "variance_random", pure)]
    pub fn moran_var_random(m: &mut SMoran) -> f64 {
        m.0.variance_random
    }
    /// Permutation pseudo p-value, or () when no permutations were asked.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// print(moran(u, w, #{permutations: 99}).p_sim);
    /// ```
    #[rhai_fn(get = "p_sim", pure)]
    pub fn moran_p_sim(m: &mut SMoran) -> Dynamic {
        m.0.p_sim.map_or(Dynamic::UNIT, Dynamic::from_float)
    }
    /// The variable name, or ().
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(moran(p, "unemp", w).rows[0].variable);   // unemp
    /// ```
    #[rhai_fn(get = "variable", pure)]
    pub fn moran_variable(m: &mut SMoran) -> Dynamic {
        m.0.variable.clone().map_or(Dynamic::UNIT, Dynamic::from)
    }
    /// The period, or ().
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(moran(p, "unemp", w).rows[0].period);   // 1970
    /// ```
    #[rhai_fn(get = "period", pure)]
    pub fn moran_period(m: &mut SMoran) -> Dynamic {
        m.0.period.clone().map_or(Dynamic::UNIT, Dynamic::from)
    }

    /// Geary's C (c, expected, variance, z, p; randomisation by default as spdep) with
    /// options permutations, seed.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let g = geary(u, w, #{permutations: 99, seed: 1});
    /// ```
    #[rhai_fn(name = "geary", return_raw)]
    pub fn geary(x: Array, w: SWeights, opts: Map) -> RResult<SGeary> {
        let o = moran_options(&opts, "geary", &[])?;
        let v = cross_section(&x, &w, "geary")?;
        crate::esda::geary(&v, &w.0, &o)
            .map(|g| SGeary(Arc::new(g)))
            .map_err(core_err)
    }

    /// Geary's c statistic.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let g = geary(u, w);
    /// print(g.c);
    /// ```
    #[rhai_fn(get = "c", pure)]
    pub fn geary_c(g: &mut SGeary) -> f64 {
        g.0.c
    }
    /// Geary z (randomisation).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let g = geary(u, w);
    /// print(g.z);
    /// ```
    #[rhai_fn(get = "z", pure)]
    pub fn geary_z(g: &mut SGeary) -> f64 {
        g.0.z
    }
    /// Geary p (randomisation, two-sided).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let g = geary(u, w);
    /// print(g.p);
    /// ```
    #[rhai_fn(get = "p", pure)]
    pub fn geary_p(g: &mut SGeary) -> f64 {
        g.0.p
    }

    /// Local Moran (LISA) as a Frame keyed by unit id: id, ii, e_ii, var_ii, z, p, p_sim
    /// (conditional permutation, with options permutations, seed), quadrant (HH, LL, HL, LH),
    /// cluster ("High-High", "Low-Low", "High-Low", "Low-High" or "Not significant") and
    /// significant (1/0) at level `alpha` (default 0.05). Significance uses p_sim when
    /// permutations were run, else the normal p (docs/methods.md §3, "LISA clusters").
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// let lisa = local_moran(u, w, #{permutations: 999, seed: 1, alpha: 0.05});
    /// print(lisa.column("cluster"));
    /// ```
    #[rhai_fn(name = "local_moran", return_raw)]
    pub fn local_moran(x: Array, w: SWeights, opts: Map) -> RResult<SFrame> {
        let o = moran_options(&opts, "local_moran", &["alpha"])?;
        let alpha = Opts::new(&opts, "local_moran", &["permutations", "seed", "alpha"])?
            .float("alpha")?
            .unwrap_or(crate::esda::DEFAULT_ALPHA);
        let v = cross_section(&x, &w, "local_moran")?;
        let l = crate::esda::local_moran(&v, &w.0, &o).map_err(core_err)?;
        l.to_frame_at(alpha).map(|f| SFrame(Arc::new(f))).map_err(core_err)
    }

    /// Moran scatterplot (standardised z against its lag Wz, slope = I for row-standardised W,
    /// quadrant lines) written as SVG or PNG by extension.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// make_dir("out");
    /// plot_moran(u, w, "out/moran.svg");
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_moran", return_raw)]
    pub fn plot_moran(x: Array, w: SWeights, path: &str) -> RResult<()> {
        plot_moran_title(x, w, path, "Moran scatterplot")
    }

    /// Moran scatterplot with a title.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// make_dir("out");
    /// plot_moran(u, w, "out/moran.png", "Unemployment, 1985");
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_moran", return_raw)]
    pub fn plot_moran_title(x: Array, w: SWeights, path: &str, title: &str) -> RResult<()> {
        let v = cross_section(&x, &w, "plot_moran")?;
        crate::plot::plot_moran(&v, &w.0, path, &crate::plot::FigureOptions::titled(title), None).map_err(core_err)
    }

    /// Moran scatterplot with options: title, xlabel, ylabel, width, height (pixels), font (a
    /// .ttf/.otf path; Chinese text works without it), and LISA colouring: `lisa: true` colours
    /// each point by its cluster (High-High, Low-Low, High-Low, Low-High, Not significant; GeoDa
    /// colours, counts in the legend) with `permutations`, `seed` and `alpha` (default 0.05) as
    /// in `local_moran`.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let u = in_order(p, "unemp", 1985, w);
    /// make_dir("out");
    /// plot_moran(u, w, "out/moran_lisa.png", #{title: "莫兰散点图", lisa: true, permutations: 999, seed: 1});
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_moran", return_raw)]
    pub fn plot_moran_opts(x: Array, w: SWeights, path: &str, opts: Map) -> RResult<()> {
        use crate::script::options::{figure_keys, figure_options};
        let o = Opts::new(
            &opts,
            "plot_moran",
            &figure_keys(&["lisa", "permutations", "seed", "alpha"]),
        )?;
        let fig = figure_options(&o)?;
        let lisa_keys = ["permutations", "seed", "alpha"];
        let lisa = if o.bool("lisa")?.unwrap_or(false) {
            let mut m = Map::new();
            for k in lisa_keys {
                if let Some(v) = opts.get(k) {
                    m.insert(k.into(), v.clone());
                }
            }
            Some(crate::plot::LisaColouring {
                options: moran_options(&m, "plot_moran", &["alpha"])?,
                alpha: o.float("alpha")?.unwrap_or(crate::esda::DEFAULT_ALPHA),
            })
        } else if let Some(k) = lisa_keys.iter().find(|k| opts.contains_key(**k)) {
            return Err(script_err(format!(
                "plot_moran: option '{k}' applies to the LISA colouring; add lisa: true"
            )));
        } else {
            None
        };
        let v = cross_section(&x, &w, "plot_moran")?;
        crate::plot::plot_moran(&v, &w.0, path, &fig, lisa.as_ref()).map_err(core_err)
    }

    /// Moran's I by period, one line per variable; significant points (p < 0.05) filled.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// make_dir("out");
    /// plot_moran_series(moran(p, ["unemp", "gsp"], w), "out/moran_by_year.svg");
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_moran_series", return_raw)]
    pub fn plot_moran_series(t: SMoranTable, path: &str) -> RResult<()> {
        crate::plot::plot_moran_series(&t.0, path, &crate::plot::FigureOptions::default()).map_err(core_err)
    }

    /// Moran's I by period with options: title, xlabel, ylabel, width, height, font.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// make_dir("out");
    /// plot_moran_series(moran(p, ["unemp"], w), "out/moran_series.png", #{title: "全局莫兰指数", width: 1000});
    /// ```
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_moran_series", return_raw)]
    pub fn plot_moran_series_opts(t: SMoranTable, path: &str, opts: Map) -> RResult<()> {
        use crate::script::options::{figure_keys, figure_options};
        let fig = figure_options(&Opts::new(&opts, "plot_moran_series", &figure_keys(&[]))?)?;
        crate::plot::plot_moran_series(&t.0, path, &fig).map_err(core_err)
    }
}

rhai::def_package! {
    /// The Moran, MoranTable and Geary types; Moran's I, Geary's C, local Moran and their plots.
    pub EsdaPackage(lib) {
        const PANEL: &str = "let p = panel(read_csv(\"examples/data/produc/data.csv\"), \"id\", \"time\");\n\
                             let w = read_weights(\"examples/data/produc/weights.csv\");";
        register_exportable::<SMoran>(
            lib,
            "Moran",
            &format!("{PANEL}\nlet x = moran(in_order(p, \"unemp\", 1985, w), w);"),
        );
        register_exportable::<SMoranTable>(lib, "MoranTable", &format!("{PANEL}\nlet x = moran(p, [\"unemp\"], w);"));
        register_exportable::<SGeary>(
            lib,
            "Geary",
            &format!("{PANEL}\nlet x = geary(in_order(p, \"unemp\", 1985, w), w);"),
        );
        rhai::combine_with_exported_module!(lib, "esda", esda_fns);
        without_options! { lib;
            /// Global Moran's I with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// let u = in_order(p, "unemp", 1985, w);
            /// print(moran(u, w));
            /// ```
            moran(x: Array, w: SWeights) -> SMoran = esda_fns::moran_x;
            /// Moran's I of panel variables by period with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(moran(p, "unemp", w));
            /// ```
            moran(p: SPanel, vars: Dynamic, w: SWeights) -> SMoranTable = esda_fns::moran_panel;
            /// Geary's C with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// let u = in_order(p, "unemp", 1985, w);
            /// print(geary(u, w));
            /// ```
            geary(x: Array, w: SWeights) -> SGeary = esda_fns::geary;
            /// Local Moran with default options (999 permutations are opt-in: `#{permutations: 999}`).
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// let u = in_order(p, "unemp", 1985, w);
            /// let lisa = local_moran(u, w);
            /// ```
            local_moran(x: Array, w: SWeights) -> SFrame = esda_fns::local_moran;
        }
    }
}
