//! Exploratory spatial statistics bindings: `moran`, `geary`, `local_moran`, and the plots.

use super::convert::{to_f64s, to_strings, SFrame, SPanel, STable};
use super::export::{register_exportable, Exportable};
use super::options::Opts;
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::esda::{Geary, Moran, MoranOptions, MoranTable};
use crate::report::table::{fmt_stat, num_json, Table};
use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, Map};
use serde_json::{json, Value};
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

fn opt_json(v: Option<f64>) -> Value {
    v.map_or(Value::Null, num_json)
}

fn moran_json(m: &Moran) -> Value {
    json!({
        "i": num_json(m.i), "expected": num_json(m.expected),
        "variance_normal": num_json(m.variance_normal), "z_normal": num_json(m.z_normal), "p_normal": num_json(m.p_normal),
        "p_normal_greater": num_json(m.p_normal_greater),
        "variance_random": num_json(m.variance_random), "z_random": num_json(m.z_random), "p_random": num_json(m.p_random),
        "p_random_greater": num_json(m.p_random_greater),
        "p_sim": opt_json(m.p_sim), "permutations": m.permutation.as_ref().map(|p| p.draws),
        "variable": m.variable, "period": m.period, "n": m.n, "warning": m.warning,
    })
}

fn stat_table(title: String, rows: Vec<(&str, f64, f64, f64, f64)>, notes: Vec<String>) -> Table {
    let mut t = Table::new(
        title,
        ["", "statistic", "expected", "variance", "z", "p (two-sided)"]
            .map(String::from)
            .to_vec(),
    );
    t.notes = notes;
    for (name, s, e, v, z) in rows {
        // An undefined z (zero or negative variance) has an undefined p, not p = 0.
        let p = if z.is_finite() {
            crate::stats::p_normal_two_sided(z)
        } else {
            f64::NAN
        };
        if !z.is_finite() {
            t.note_undefined(&undefined_reason(v));
        }
        let [zc, pc] = crate::report::table::stat_cells(z, p);
        t.push(vec![name.into(), s.into(), e.into(), v.into(), zc, pc]);
    }
    t.decimals = 6;
    t
}

/// Why z is undefined, from its variance (for the table note).
fn undefined_reason(variance: f64) -> String {
    crate::esda::moran::undefined_reason(variance)
}

fn label(v: &Option<String>, p: &Option<String>) -> String {
    match (v, p) {
        (Some(v), Some(p)) => format!(" of {v} ({p})"),
        (Some(v), None) => format!(" of {v}"),
        _ => String::new(),
    }
}

impl Exportable for SMoran {
    const KIND: &'static str = "moran";
    fn json(&self) -> Value {
        moran_json(&self.0)
    }
    fn table(&self) -> Option<Table> {
        let m = &self.0;
        let mut notes = vec![format!("N = {}", m.n)];
        if let Some(p) = &m.permutation {
            notes.push(format!(
                "permutation: {} draws (seed {}), pseudo p = {}",
                p.draws,
                p.seed,
                fmt_stat(p.p_sim, 4)
            ));
        }
        if let Some(w) = &m.warning {
            notes.push(format!("warning: {w}"));
        }
        Some(stat_table(
            format!("Moran's I{}", label(&m.variable, &m.period)),
            vec![
                ("normality", m.i, m.expected, m.variance_normal, m.z_normal),
                ("randomisation", m.i, m.expected, m.variance_random, m.z_random),
            ],
            notes,
        ))
    }
    fn text(&self) -> String {
        self.table().map(|t| t.to_text()).unwrap_or_default()
    }
}

impl Exportable for SGeary {
    const KIND: &'static str = "geary";
    fn json(&self) -> Value {
        let g = &self.0;
        json!({"c": num_json(g.c), "expected": num_json(g.expected), "variance": num_json(g.variance), "z": num_json(g.z),
               "p": num_json(g.p), "variance_normal": num_json(g.variance_normal), "z_normal": num_json(g.z_normal),
               "p_normal": num_json(g.p_normal), "variance_random": num_json(g.variance_random),
               "z_random": num_json(g.z_random), "p_random": num_json(g.p_random), "p_sim": opt_json(g.p_sim),
               "variable": g.variable, "period": g.period, "n": g.n})
    }
    fn table(&self) -> Option<Table> {
        let g = &self.0;
        Some(stat_table(
            format!("Geary's C{}", label(&g.variable, &g.period)),
            vec![
                ("normality", g.c, g.expected, g.variance_normal, g.z_normal),
                ("randomisation", g.c, g.expected, g.variance_random, g.z_random),
            ],
            vec![format!(
                "N = {}; z = (1 − C)/sd (spdep's sign: positive z = positive autocorrelation)",
                g.n
            )],
        ))
    }
    fn text(&self) -> String {
        self.table().map(|t| t.to_text()).unwrap_or_default()
    }
}

impl Exportable for SMoranTable {
    const KIND: &'static str = "moran_table";
    fn json(&self) -> Value {
        json!({"variables": self.0.variables, "pooled": self.0.pooled,
               "rows": self.0.rows.iter().map(moran_json).collect::<Vec<_>>()})
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
            crate::plot::plot_moran_series(&self.0, path)
        })
    }
}

/// Registers the ESDA types.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SMoran>("Moran");
    engine.register_type_with_name::<SMoranTable>("MoranTable");
    engine.register_type_with_name::<SGeary>("Geary");
    register_exportable::<SMoran>(engine);
    register_exportable::<SMoranTable>(engine);
    register_exportable::<SGeary>(engine);
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
    #[rhai_fn(name = "moran", return_raw)]
    pub fn moran_x(x: Array, w: SWeights, opts: Map) -> RResult<SMoran> {
        let o = moran_options(&opts, "moran", &[])?;
        let v = cross_section(&x, &w, "moran")?;
        crate::esda::moran(&v, &w.0, &o)
            .map(|m| SMoran(Arc::new(m)))
            .map_err(core_err)
    }

    /// Global Moran's I with default options.
    #[rhai_fn(name = "moran", return_raw)]
    pub fn moran_x0(x: Array, w: SWeights) -> RResult<SMoran> {
        moran_x(x, w, Map::new())
    }

    /// Moran's I of panel variables for every period (a MoranTable: periods down, variables
    /// across, "I (z)" with stars), or pooled over I_T⊗W with `pooled: true`. Options:
    /// permutations, seed, pooled.
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

    /// Moran's I of panel variables by period with default options.
    #[rhai_fn(name = "moran", return_raw)]
    pub fn moran_panel0(p: SPanel, vars: Dynamic, w: SWeights) -> RResult<SMoranTable> {
        moran_panel(p, vars, w, Map::new())
    }

    /// The rows of a MoranTable as Moran results.
    #[rhai_fn(get = "rows", pure)]
    pub fn moran_table_rows(t: &mut SMoranTable) -> Array {
        t.0.rows
            .iter()
            .map(|m| Dynamic::from(SMoran(Arc::new(m.clone()))))
            .collect()
    }

    /// The MoranTable in long form (variable, period, I, E, variances, z, p, p_sim) for export.
    #[rhai_fn(name = "long_table", pure)]
    pub fn moran_table_long(t: &mut SMoranTable) -> STable {
        STable(Arc::new(t.0.to_long_table()))
    }

    /// Moran's I statistic.
    #[rhai_fn(get = "i", pure)]
    pub fn moran_i(m: &mut SMoran) -> f64 {
        m.0.i
    }
    /// E(I) = −1/(N−1).
    #[rhai_fn(get = "expected", pure)]
    pub fn moran_expected(m: &mut SMoran) -> f64 {
        m.0.expected
    }
    /// z under normality.
    #[rhai_fn(get = "z_normal", pure)]
    pub fn moran_z_normal(m: &mut SMoran) -> f64 {
        m.0.z_normal
    }
    /// Two-sided p under normality.
    #[rhai_fn(get = "p_normal", pure)]
    pub fn moran_p_normal(m: &mut SMoran) -> f64 {
        m.0.p_normal
    }
    /// z under randomisation.
    #[rhai_fn(get = "z_random", pure)]
    pub fn moran_z_random(m: &mut SMoran) -> f64 {
        m.0.z_random
    }
    /// Two-sided p under randomisation.
    #[rhai_fn(get = "p_random", pure)]
    pub fn moran_p_random(m: &mut SMoran) -> f64 {
        m.0.p_random
    }
    /// Variance under normality.
    #[rhai_fn(get = "variance_normal", pure)]
    pub fn moran_var_normal(m: &mut SMoran) -> f64 {
        m.0.variance_normal
    }
    /// Variance under randomisation.
    #[rhai_fn(get = "variance_random", pure)]
    pub fn moran_var_random(m: &mut SMoran) -> f64 {
        m.0.variance_random
    }
    /// Permutation pseudo p-value, or () when no permutations were asked.
    #[rhai_fn(get = "p_sim", pure)]
    pub fn moran_p_sim(m: &mut SMoran) -> Dynamic {
        m.0.p_sim.map_or(Dynamic::UNIT, Dynamic::from_float)
    }
    /// The variable name, or ().
    #[rhai_fn(get = "variable", pure)]
    pub fn moran_variable(m: &mut SMoran) -> Dynamic {
        m.0.variable.clone().map_or(Dynamic::UNIT, Dynamic::from)
    }
    /// The period, or ().
    #[rhai_fn(get = "period", pure)]
    pub fn moran_period(m: &mut SMoran) -> Dynamic {
        m.0.period.clone().map_or(Dynamic::UNIT, Dynamic::from)
    }

    /// Geary's C (c, expected, variance, z, p; randomisation by default as spdep) with
    /// options permutations, seed.
    #[rhai_fn(name = "geary", return_raw)]
    pub fn geary(x: Array, w: SWeights, opts: Map) -> RResult<SGeary> {
        let o = moran_options(&opts, "geary", &[])?;
        let v = cross_section(&x, &w, "geary")?;
        crate::esda::geary(&v, &w.0, &o)
            .map(|g| SGeary(Arc::new(g)))
            .map_err(core_err)
    }

    /// Geary's C with default options.
    #[rhai_fn(name = "geary", return_raw)]
    pub fn geary0(x: Array, w: SWeights) -> RResult<SGeary> {
        geary(x, w, Map::new())
    }

    /// Geary's c statistic.
    #[rhai_fn(get = "c", pure)]
    pub fn geary_c(g: &mut SGeary) -> f64 {
        g.0.c
    }
    /// Geary z (randomisation).
    #[rhai_fn(get = "z", pure)]
    pub fn geary_z(g: &mut SGeary) -> f64 {
        g.0.z
    }
    /// Geary p (randomisation, two-sided).
    #[rhai_fn(get = "p", pure)]
    pub fn geary_p(g: &mut SGeary) -> f64 {
        g.0.p
    }

    /// Local Moran (LISA) as a Frame keyed by unit id: id, ii, e_ii, var_ii, z, p, p_sim
    /// (conditional permutation, with options permutations, seed), quadrant (HH, LL, HL, LH).
    #[rhai_fn(name = "local_moran", return_raw)]
    pub fn local_moran(x: Array, w: SWeights, opts: Map) -> RResult<SFrame> {
        let o = moran_options(&opts, "local_moran", &[])?;
        let v = cross_section(&x, &w, "local_moran")?;
        let l = crate::esda::local_moran(&v, &w.0, &o).map_err(core_err)?;
        l.to_frame().map(|f| SFrame(Arc::new(f))).map_err(core_err)
    }

    /// Local Moran with default options (999 permutations are opt-in: `#{permutations: 999}`).
    #[rhai_fn(name = "local_moran", return_raw)]
    pub fn local_moran0(x: Array, w: SWeights) -> RResult<SFrame> {
        local_moran(x, w, Map::new())
    }

    /// Moran scatterplot (standardised z against its lag Wz, slope = I for row-standardised W,
    /// quadrant lines) written as SVG or PNG by extension.
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_moran", return_raw)]
    pub fn plot_moran(x: Array, w: SWeights, path: &str) -> RResult<()> {
        plot_moran_title(x, w, path, "Moran scatterplot")
    }

    /// Moran scatterplot with a title.
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_moran", return_raw)]
    pub fn plot_moran_title(x: Array, w: SWeights, path: &str, title: &str) -> RResult<()> {
        let v = cross_section(&x, &w, "plot_moran")?;
        crate::plot::plot_moran(&v, &w.0, path, title).map_err(core_err)
    }

    /// Moran's I by period, one line per variable; significant points (p < 0.05) filled.
    #[cfg(feature = "plot")]
    #[rhai_fn(name = "plot_moran_series", return_raw)]
    pub fn plot_moran_series(t: SMoranTable, path: &str) -> RResult<()> {
        crate::plot::plot_moran_series(&t.0, path).map_err(core_err)
    }
}
