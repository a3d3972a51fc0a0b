//! Model bindings: `ols`, `fe_tests`, `lm_tests`, `sar`, `sem`, `sdm`, `sdem`, `sac`, `slx`, `fit`,
//! `wald_test`, `lr_test`, and `Model`/`Test` accessors.

use super::convert::{SFrame, SPanel, STable};
use super::export::{register_exportable, Exportable};
use super::options::Opts;
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::models::fe_tests::{FeDf, FeTestOptions, SpecTest};
use crate::models::lm::LmOptions;
use crate::models::ml::options::SpatialOptions;
use crate::models::{Design, Fe, Formula, Model, ModelKind};
use crate::report::Table;
use rhai::plugin::*;
use rhai::{Array, Dynamic, Map, FLOAT, INT};
use std::sync::Arc;

pub use crate::models::Fitted;

/// A fitted model in a script.
#[derive(Debug, Clone)]
pub struct SModel(pub Arc<Fitted>);
/// A test result in a script.
#[derive(Debug, Clone)]
pub struct STest(pub Arc<SpecTest>);

impl Exportable for SModel {
    const KIND: &'static str = "model";
    type Core = Model;
    fn core(&self) -> &Model {
        self.0.model()
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.model().report_table())
    }
    fn text(&self) -> String {
        self.0.model().to_string()
    }
}

impl Exportable for STest {
    const KIND: &'static str = "test";
    type Core = SpecTest;
    fn core(&self) -> &SpecTest {
        &self.0
    }
    fn table(&self) -> Option<Table> {
        Some(self.0.to_table())
    }
    fn text(&self) -> String {
        self.0.to_string()
    }
}

/// Data of a model call: a panel, or a Frame as a cross-section (T = 1).
pub enum Data {
    /// A balanced panel.
    Panel(Arc<crate::data::Panel>),
    /// A cross-section with an optional id column.
    Frame(Arc<crate::data::Frame>, Option<String>),
}

impl Data {
    pub(crate) fn from_dynamic(d: &Dynamic, id: Option<String>, func: &str) -> RResult<Data> {
        if let Some(p) = d.clone().try_cast::<SPanel>() {
            Ok(Data::Panel(p.0))
        } else if let Some(f) = d.clone().try_cast::<SFrame>() {
            Ok(Data::Frame(f.0, id))
        } else {
            Err(script_err(format!(
                "{func}: the data must be a Panel or a Frame, got {}",
                d.type_name()
            )))
        }
    }

    /// The design of `formula`. With weights `w`, a Frame's rows are matched to W's units by
    /// id (option `id`, else a column named "id"; [`Design::from_frame_matched`]); a panel is
    /// matched by its unit ids when the model aligns W.
    pub(crate) fn design(&self, formula: &str, w: Option<&crate::weights::Weights>, func: &str) -> RResult<Design> {
        let prefixed = |e: crate::Error| script_err(format!("{func}: {e}"));
        let f = Formula::parse(formula).map_err(prefixed)?;
        match (self, w) {
            (Data::Panel(p), _) => Design::from_panel(p, &f),
            (Data::Frame(fr, id), Some(w)) => Design::from_frame_matched(fr, &f, id.as_deref(), w.ids()),
            // Without W nothing is matched; the units are still named by the id column when
            // there is one (so that lr_test sees the same data as a spatial fit of the frame).
            (Data::Frame(fr, id), None) => {
                let id = id.as_deref().or_else(|| fr.has("id").then_some("id"));
                Design::from_frame(fr, &f, id)
            }
        }
        .map_err(prefixed)
    }

    /// The time column of a Panel (`None` for a cross-section).
    fn time_column(&self) -> Option<&str> {
        match self {
            Data::Panel(p) => Some(p.time_name()),
            _ => None,
        }
    }

    /// Default fixed effects: two-way for panels with T > 1, none for cross-sections.
    fn default_fe(&self) -> Fe {
        match self {
            Data::Panel(p) if p.t() > 1 => Fe::TwoWays,
            _ => Fe::None,
        }
    }
}

const OLS_KEYS: [&str; 4] = ["fe", "id", "method", "time_dummies"];
/// The options of `fit`, `sar`, `sem`, `sdm` (also checked by the study module).
pub(crate) const SPATIAL_KEYS: [&str; 13] = [
    "fe",
    "id",
    "bias_correction",
    "lag_order",
    "lndet",
    "interval",
    "durbin",
    "information",
    "model",
    "w",
    "errors",
    "covariance",
    "time_dummies",
];

pub(crate) fn fe_of(o: &Opts, data: &Data) -> RResult<Fe> {
    o.str("fe")?
        .map_or(Ok(data.default_fe()), |s| s.parse::<Fe>().map_err(core_err))
}

fn fit_ols(data: Dynamic, formula: &str, opts: &Map) -> RResult<Fitted> {
    let o = Opts::new(opts, "ols", &OLS_KEYS)?;
    let d = Data::from_dynamic(&data, o.str("id")?, "ols")?;
    let fe = fe_of(&o, &d)?;
    let method = super::options::re_method(&o, fe, "ols")?;
    let td = super::options::time_dummies_label(&o, fe, d.time_column())?;
    let start = std::time::Instant::now();
    let design = d.design(formula, None, "ols")?;
    let design_seconds = start.elapsed().as_secs_f64();
    fit_ols_design(&design, fe, method, td).map(|f| with_design_time(f, design_seconds, start))
}

fn fit_ols_design(
    design: &Design,
    fe: Fe,
    method: Option<crate::models::random::ReMethod>,
    td: Option<String>,
) -> RResult<Fitted> {
    match method {
        Some(method) => crate::models::random::random_effects_with(design, method, td.as_deref())
            .map(|f| Fitted::Random(Box::new(f)))
            .map_err(|e| script_err(format!("ols: {e}"))),
        None => crate::models::ols::ols(design, fe)
            .map(|f| Fitted::Ols(Box::new(f)))
            .map_err(core_err),
    }
}

/// The options `func` takes: [`SPATIAL_KEYS`] without `w`, and without `model` when the
/// function names its model.
fn spatial_keys(kind: Option<ModelKind>) -> Vec<&'static str> {
    SPATIAL_KEYS
        .iter()
        .copied()
        .filter(|k| *k != "w" && (kind.is_none() || *k != "model"))
        .collect()
}

/// The model kind (`kind`, else option `model`) and the options of a spatial fit of `data`.
fn spatial_setup(d: &Data, kind: Option<ModelKind>, o: &Opts, func: &str) -> RResult<(ModelKind, SpatialOptions)> {
    let kind = match kind {
        Some(k) => k,
        None => o
            .str("model")?
            .ok_or_else(|| {
                script_err(format!(
                    "{func}: option 'model' is required (\"sar\", \"sem\", \"sdm\", \"sdem\", \"sac\", \"slx\", \"ols\")"
                ))
            })?
            .parse::<ModelKind>()
            .map_err(core_err)?,
    };
    let fe = fe_of(o, d)?;
    let mut so = super::options::spatial_options(o, fe)?;
    so.time_dummies = super::options::time_dummies_label(o, fe, d.time_column())?;
    Ok((kind, so))
}

/// A script model of `fitted`. Warnings of a spatial fit (an estimate on the bound of the
/// interval, ...) are kept in `m.warnings` and shown at once, so that a script run does not
/// pass over them silently.
fn model_of(fitted: Fitted, func: &str) -> SModel {
    if let Fitted::Spatial(fit, _) = &fitted {
        for warning in &fit.model.warnings {
            crate::script::eprint_line(&format!("warning: {func}: {warning}"));
        }
    }
    SModel(Arc::new(fitted))
}

pub(crate) fn spatial(
    data: Dynamic,
    formula: &str,
    w: &SWeights,
    kind: Option<ModelKind>,
    opts: &Map,
    func: &'static str,
) -> RResult<SModel> {
    let (opts, dynamic) = super::options::split_dynamic(opts, func)?;
    let o = Opts::new(&opts, func, &spatial_keys(kind))?;
    let d = Data::from_dynamic(&data, o.str("id")?, func)?;
    let (kind, mut so) = spatial_setup(&d, kind, &o, func)?;
    so.dynamic = dynamic;
    let start = std::time::Instant::now();
    let design = d.design(formula, Some(&w.0), func)?;
    let design_seconds = start.elapsed().as_secs_f64();
    crate::models::fit(&design, &w.0, kind, &so)
        .map(|f| model_of(with_design_time(f, design_seconds, start), func))
        .map_err(core_err)
}

/// `fitted` with the seconds of building its design (stage `design`, first) in its timings and
/// the total counted from `start` (the design included).
fn with_design_time(mut fitted: Fitted, seconds: f64, start: std::time::Instant) -> Fitted {
    let model = match &mut fitted {
        Fitted::Ols(f) => &mut f.model,
        Fitted::Spatial(f, _) => &mut f.model,
        Fitted::Random(f) => &mut f.model,
    };
    let t = &mut model.timings;
    t.stages.insert(0, ("design".to_string(), seconds));
    t.stages.retain(|(s, _)| s != "total");
    t.add("total", start.elapsed().as_secs_f64());
    if model.info.contains_key("timings") {
        let summary = model.timings.summary();
        model.info.insert("timings".into(), summary);
    }
    fitted
}

/// `m.timings` as a map: stage → seconds, count → integer, method → text.
fn timings_map(t: &crate::models::Timings) -> Map {
    let mut m = Map::new();
    for (k, v) in &t.stages {
        m.insert(k.as_str().into(), Dynamic::from_float(*v));
    }
    for (k, v) in &t.counts {
        m.insert(k.as_str().into(), Dynamic::from_int(*v as INT));
    }
    for (k, v) in &t.methods {
        m.insert(k.as_str().into(), Dynamic::from(v.clone()));
    }
    m
}

/// `fit_by`: one model per group of `column` ([`crate::models::fit_by`]), as a map group →
/// Model. Options as `fit` (the dynamic ones too: `dynamic`, `time_lag`, `space_time_lag`,
/// with their `bias_correction` and `covariance`; docs/methods.md §14) plus `islands` ("error"
/// or "keep").
pub(crate) fn fit_by(p: &SPanel, column: &str, formula: &str, w: &SWeights, opts: &Map) -> RResult<Map> {
    let mut opts = opts.clone();
    let mut island_opt = Map::new();
    if let Some(v) = opts.remove("islands") {
        island_opt.insert("islands".into(), v);
    }
    let keep_islands = Opts::new(&island_opt, "fit_by", &["islands"])?.keep_islands()?;
    let (opts, dynamic) = super::options::split_dynamic(&opts, "fit_by")?;
    let o = Opts::new(&opts, "fit_by", &spatial_keys(None))?;
    let (kind, mut so) = spatial_setup(&Data::Panel(p.0.clone()), None, &o, "fit_by")?;
    so.dynamic = dynamic;
    let prefixed = |e: crate::Error| script_err(format!("fit_by: {e}"));
    let f = Formula::parse(formula).map_err(prefixed)?;
    let fits = crate::models::fit_by(&p.0, column, &f, &w.0, kind, &so, keep_islands).map_err(prefixed)?;
    Ok(fits
        .into_iter()
        .map(|(g, fitted)| (g.into(), Dynamic::from(model_of(fitted, "fit_by"))))
        .collect())
}

/// `#{outcome, terms}` of a formula, with `intercept: false` when it removes the intercept.
fn terms_map(f: &Formula) -> Map {
    let mut m = Map::new();
    m.insert("outcome".into(), Dynamic::from(f.depvar.clone()));
    m.insert(
        "terms".into(),
        Dynamic::from_array(crate::script::convert::from_strings(&f.regressors)),
    );
    if !f.intercept {
        m.insert("intercept".into(), Dynamic::FALSE);
    }
    m
}

fn coef_map(c: &crate::models::Coef) -> Map {
    let mut m = Map::new();
    m.insert("term".into(), Dynamic::from(c.term.clone()));
    m.insert("estimate".into(), Dynamic::from_float(c.estimate));
    m.insert("std_error".into(), Dynamic::from_float(c.std_error));
    m.insert("z".into(), Dynamic::from_float(c.z));
    m.insert("p".into(), Dynamic::from_float(c.p));
    m
}

/// The dynamic report of `m` (`what` names the getter in the error).
fn dynamic_info(m: &SModel, what: &str) -> RResult<Arc<crate::models::ml::DynamicInfo>> {
    match &*m.0 {
        Fitted::Spatial(f, _) => f.dynamic.clone(),
        _ => None,
    }
    .ok_or_else(|| {
        script_err(format!(
            "m.{what}: available for dynamic models (sar/sdm with dynamic: true)"
        ))
    })
}

/// A recorded setting of the fit (`Model::info[key]`), "none" when not recorded (as in its JSON).
fn setting(m: &SModel, key: &str) -> String {
    m.0.model().info.get(key).map_or("none", String::as_str).to_string()
}

/// The estimate of the dynamic coefficient at `index` (τ or η).
fn dynamic_coef(
    m: &SModel,
    what: &str,
    index: impl Fn(&crate::models::ml::DynamicInfo) -> Option<usize>,
) -> RResult<FLOAT> {
    let d = dynamic_info(m, what)?;
    let i = index(&d).ok_or_else(|| {
        script_err(format!(
            "m.{what}: this dynamic model has no {what} term (time_lag / space_time_lag: false)"
        ))
    })?;
    Ok(m.0.model().coefficients[i].estimate)
}

/// The within/between/overall R² `key` of `m` (docs/methods.md §7.6), an error when the model
/// does not define it.
fn panel_r2_field(m: &SModel, key: &str) -> RResult<FLOAT> {
    let model = m.0.model();
    model.extras.get(key).copied().ok_or_else(|| {
        script_err(format!(
            "m.{key}: undefined for this model (N = {}, T = {}): the observations or the prediction do not \
             vary {}",
            model.n,
            model.t,
            if key == "r2_within" {
                "within units (e.g. a cross-section, T = 1)"
            } else {
                "across the sample"
            }
        ))
    })
}

/// Panel OLS, specification tests and spatial models.
#[export_module(root = "crate::script::guarded")]
pub mod models_fns {
    use super::*;

    /// Panel OLS with fixed effects (`fe`: "none" pooled with intercept, "individual", "time",
    /// "twoways" (default for panels)); standard errors as plm / Stata `xtreg, fe`. A Frame is
    /// a cross-section (option `id` names its unit column). `fe: "random"` fits individual
    /// random effects (docs/methods.md §11.1): Swamy–Arora FGLS as plm (`method: "swar"`,
    /// default) or maximum likelihood as splm (`method: "ml"`); `m.sigma2_mu`, `m.theta`,
    /// `m.phi` report the variance components.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let m = ols(p, "gsp ~ pcap + pc + emp", #{fe: "individual"});
    /// print(m);
    /// let re = ols(p, "gsp ~ pcap + pc + emp", #{fe: "random", method: "ml"});
    /// print(`phi = ${re.phi}, theta = ${re.theta}`);
    /// ```
    #[rhai_fn(name = "ols", return_raw)]
    pub fn ols(data: Dynamic, formula: &str, opts: Map) -> RResult<SModel> {
        fit_ols(data, formula, &opts).map(|f| SModel(Arc::new(f)))
    }

    /// LR (and F) tests of the unit and time fixed effects (docs/methods.md §5); option df:
    /// "N,T" (Elhorst, default) or "N-1,T-1".
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(fe_tests(p, "gsp ~ pcap + pc + emp", #{df: "N-1,T-1"}));
    /// ```
    #[rhai_fn(name = "fe_tests", return_raw)]
    pub fn fe_tests(p: SPanel, formula: &str, opts: Map) -> RResult<STable> {
        let o = Opts::new(&opts, "fe_tests", &["df"])?;
        let df = o
            .str("df")?
            .map_or(Ok(FeDf::default()), |s| s.parse::<FeDf>().map_err(core_err))?;
        let f = Formula::parse(formula).map_err(core_err)?;
        let design = Design::from_panel(&p.0, &f).map_err(core_err)?;
        crate::models::fe_tests::fe_tests(&design, &FeTestOptions { df })
            .map(|t| STable(Arc::new(t.table())))
            .map_err(core_err)
    }

    /// LM-lag, LM-error, robust LM-lag, robust LM-error and SARMA on OLS residuals
    /// (Elhorst/splm conventions; Anselin's tests on a cross-section). Data: a Panel, or a Frame
    /// whose rows are matched to W's units by id (option id, else a column named "id"; never by
    /// row position). Options: fe, id, debarsy_ertur (individual effects only: × (T−1)/T).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let lm = lm_tests(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(lm["lm_lag"].p);
    /// ```
    #[rhai_fn(name = "lm_tests", return_raw)]
    pub fn lm_tests(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<STable> {
        let o = Opts::new(&opts, "lm_tests", &["fe", "id", "debarsy_ertur"])?;
        let d = Data::from_dynamic(&data, o.str("id")?, "lm_tests")?;
        let fe = fe_of(&o, &d)?;
        let fit = crate::models::ols::ols(&d.design(formula, Some(&w.0), "lm_tests")?, fe).map_err(core_err)?;
        let lo = LmOptions {
            debarsy_ertur: o.bool("debarsy_ertur")?.unwrap_or(false),
        };
        crate::models::lm::lm_tests(&fit, &w.0, &lo)
            .map(|t| STable(Arc::new(t.table())))
            .map_err(core_err)
    }

    /// Spatial lag model (SAR) by ML. Data: a Panel, or a Frame (a cross-section) whose rows are
    /// matched to W's units by id: option id, else a column named "id" (never by row position).
    /// Regressors may not be named rho, lambda, sigma2, phi, (intercept) or W*... Options: fe,
    /// bias_correction ("none", "elhorst", "lee_yu"), lag_order ("lag_first", "demean_first"),
    /// lndet, interval [lo, hi], information ("elhorst", "full"), id. Dynamic panels
    /// (docs/methods.md §14): `dynamic: true` adds τ y(t−1) (`time_lag`, default true) and
    /// η W·y(t−1) (`space_time_lag`, default true) on the sample t = 2..T, with fe
    /// "individual", "time" or "twoways", bias_correction "ydl" (default, individual),
    /// "lee_yu_transform" (default, two-way), "lee_yu_direct" or "none" (default, time), and
    /// covariance "structural" (default), "gaussian" or "sdpdmod"; then `m.tau`, `m.eta`,
    /// `m.uncorrected` and `m.stability`.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let m = sar(p, "gsp ~ pcap + pc + emp", w, #{fe: "twoways", lag_order: "demean_first"});
    /// print(m.rho);
    /// ```
    #[rhai_fn(name = "sar", return_raw)]
    pub fn sar(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sar), &opts, "sar")
    }

    /// Spatial error model (SEM) by ML; options as sar.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sem(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.lambda);
    /// ```
    #[rhai_fn(name = "sem", return_raw)]
    pub fn sem(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sem), &opts, "sem")
    }

    /// Spatial Durbin model (SDM) by ML; options as sar plus durbin (names to lag; default all).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let m = sdm(p, "gsp ~ pcap + pc + emp", w, #{durbin: ["pcap"]});
    /// ```
    #[rhai_fn(name = "sdm", return_raw)]
    pub fn sdm(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sdm), &opts, "sdm")
    }

    /// Spatial Durbin error model (SDEM) by ML; options as sdm.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sdem(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// ```
    #[rhai_fn(name = "sdem", return_raw)]
    pub fn sdem(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sdem), &opts, "sdem")
    }

    /// Spatial lag and spatial error together (SAC / SARAR, docs/methods.md §7.7, §11.9) by ML:
    /// y = ρWy + Xβ + u, u = λWu + ε. Coefficients `rho` (lag) and `lambda` (error); effects as
    /// for sar. Options: fe ("none", "individual", "time", "twoways", or "random": individual
    /// random effects with the intercept kept, coefficient `phi` = σ²_μ/σ²_ν, errors "bsk"
    /// (default, splm `spml(model = "random", lag = TRUE)`) or "kkp", covariance "observed" or
    /// "splm"), lag_order ("lag_first", "demean_first" = splm's `spml(model = "within",
    /// lag = TRUE, spatial.error = "b")`), lndet, interval [lo, hi] (for both ρ and λ), id.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let m = sac(p, "gsp ~ pcap + pc + emp", w, #{fe: "individual"});
    /// print(`rho = ${m.rho}, lambda = ${m.lambda}`);
    /// ```
    #[rhai_fn(name = "sac", return_raw)]
    pub fn sac(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sac), &opts, "sac")
    }

    /// SLX: OLS with spatially lagged regressors W*x; options fe, durbin, id.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = slx(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID", durbin: ["INC"]});
    /// ```
    #[rhai_fn(name = "slx", return_raw)]
    pub fn slx(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Slx), &opts, "slx")
    }

    /// Any model by name: `fit(p, f, w, #{model: "sdm", ...})` with the options of that model.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = fit(c, "CRIME ~ INC + HOVAL", w, #{model: "sdm", id: "POLYID"});
    /// ```
    #[rhai_fn(name = "fit", return_raw)]
    pub fn fit(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, None, &opts, "fit")
    }

    /// Wald test of an SDM against "sar" (θ = 0) or "sem" (θ + ρβ = 0) (docs/methods.md §8).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sdm(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(wald_test(m, "sem"));
    /// ```
    #[rhai_fn(name = "wald_test", return_raw)]
    pub fn wald_test(m: SModel, restriction: &str) -> RResult<STest> {
        match &*m.0 {
            Fitted::Spatial(f, _) => {
                let restriction: ModelKind = restriction.parse().map_err(|e| script_err(format!("wald_test: {e}")))?;
                crate::models::spatial_tests::wald_test(f, restriction)
                    .map(|t| STest(Arc::new(t)))
                    .map_err(core_err)
            }
            Fitted::Ols(_) | Fitted::Random(_) => Err(script_err(
                "wald_test: needs a spatial model (SDM, SDEM or SLX), not OLS",
            )),
        }
    }

    /// LR test 2(logL_general − logL_restricted) ~ χ²(difference in parameters). The restricted
    /// model must be a special case of the general one (sdm ⊃ sar, sem, slx, ols; sdem ⊃ sem,
    /// slx, ols; sar, sem, slx ⊃ ols; its regressors among the general one's) fitted to the same
    /// data, weights, fixed effects and options; otherwise an error lists every difference.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let o = #{id: "POLYID"};
    /// print(lr_test(sdm(c, "CRIME ~ INC + HOVAL", w, o), sar(c, "CRIME ~ INC + HOVAL", w, o)));
    /// ```
    #[rhai_fn(name = "lr_test", return_raw)]
    pub fn lr_test(general: SModel, restricted: SModel) -> RResult<STest> {
        crate::models::spatial_tests::lr_test(general.0.model(), restricted.0.model())
            .map(|t| STest(Arc::new(t)))
            .map_err(core_err)
    }

    /// One coefficient as #{term, estimate, std_error, z, p}.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let m = ols(c, "CRIME ~ INC + HOVAL");
    /// print(coef(m, "INC").estimate);
    /// ```
    #[rhai_fn(name = "coef", return_raw, pure)]
    pub fn coef(m: &mut SModel, term: &str) -> RResult<Map> {
        let model = m.0.model();
        model.coef(term).map(coef_map).ok_or_else(|| {
            script_err(format!(
                "coef: no term '{term}'; terms: {}",
                model
                    .coefficients
                    .iter()
                    .map(|c| c.term.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    /// All coefficients as an array of #{term, estimate, std_error, z, p}.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let m = ols(c, "CRIME ~ INC + HOVAL");
    /// for k in m.coefficients { print(`${k.term}: ${k.estimate}`) }
    /// ```
    #[rhai_fn(get = "coefficients", pure)]
    pub fn coefficients(m: &mut SModel) -> Array {
        m.0.model()
            .coefficients
            .iter()
            .map(|c| Dynamic::from_map(coef_map(c)))
            .collect()
    }

    /// Model name ("ols", "sar", "sem", "sdm", "sdem", "slx").
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.model);   // sar
    /// ```
    #[rhai_fn(get = "model", pure)]
    pub fn model_name(m: &mut SModel) -> String {
        m.0.model().kind.name().to_string()
    }
    /// Fixed effects ("none", "individual", "time", "twoways"), or "random" (individual random
    /// effects).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let m = ols(c, "CRIME ~ INC + HOVAL");
    /// print(m.fe);   // none
    /// ```
    #[rhai_fn(get = "fe", pure)]
    pub fn model_fe(m: &mut SModel) -> String {
        m.0.model().fe.name().to_string()
    }
    /// Log-likelihood at the estimates.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.loglik);
    /// ```
    #[rhai_fn(get = "loglik", pure)]
    pub fn loglik(m: &mut SModel) -> FLOAT {
        m.0.model().loglik
    }
    /// σ̂².
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.sigma2);
    /// ```
    #[rhai_fn(get = "sigma2", pure)]
    pub fn sigma2(m: &mut SModel) -> FLOAT {
        m.0.model().sigma2
    }
    /// The spatial lag parameter ρ̂ of a SAR or SDM model (the estimate of its "rho" term). Any
    /// other model is an error: SEM and SDEM have λ (`m.lambda`), OLS and SLX none.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.rho);
    /// ```
    #[rhai_fn(get = "rho", return_raw, pure)]
    pub fn model_rho(m: &mut SModel) -> RResult<FLOAT> {
        m.0.model()
            .spatial_parameter("rho")
            .map_err(|e| script_err(format!("m.rho: {e}")))
    }
    /// The spatial error parameter λ̂ of a SEM or SDEM model (the estimate of its "lambda" term).
    /// Any other model is an error: SAR and SDM have ρ (`m.rho`), OLS and SLX none.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// print(sem(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}).lambda);
    /// ```
    #[rhai_fn(get = "lambda", return_raw, pure)]
    pub fn model_lambda(m: &mut SModel) -> RResult<FLOAT> {
        m.0.model()
            .spatial_parameter("lambda")
            .map_err(|e| script_err(format!("m.lambda: {e}")))
    }
    /// τ̂, the coefficient of y(t−1) in a dynamic model (docs/methods.md §14; term "y(t-1)").
    /// Any other model is an error.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let m = sdm(p, "gsp ~ pcap + pc + emp", w, #{fe: "individual", dynamic: true});
    /// print(`tau = ${m.tau}, eta = ${m.eta}, rho = ${m.rho}`);
    /// ```
    #[rhai_fn(get = "tau", return_raw, pure)]
    pub fn model_tau(m: &mut SModel) -> RResult<FLOAT> {
        dynamic_coef(m, "tau", |d| d.tau_index)
    }
    /// η̂, the coefficient of W·y(t−1) in a dynamic model (term "W*y(t-1)"). Any other model
    /// is an error.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(sar(p, "gsp ~ pcap + pc + emp", w, #{fe: "individual", dynamic: true}).eta);
    /// ```
    #[rhai_fn(get = "eta", return_raw, pure)]
    pub fn model_eta(m: &mut SModel) -> RResult<FLOAT> {
        dynamic_coef(m, "eta", |d| d.eta_index)
    }
    /// The uncorrected QML fit of a dynamic model (the same model when no bias correction was
    /// applied). Any other model is an error.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let m = sdm(p, "gsp ~ pcap + pc + emp", w, #{fe: "individual", dynamic: true});
    /// print(`corrected tau ${m.tau}, uncorrected ${m.uncorrected.tau}`);
    /// ```
    #[rhai_fn(get = "uncorrected", return_raw, pure)]
    pub fn model_uncorrected(m: &mut SModel) -> RResult<SModel> {
        match &*m.0 {
            Fitted::Spatial(f, w) => match &f.dynamic {
                Some(d) => Ok(match &d.uncorrected {
                    Some(u) => SModel(Arc::new(Fitted::Spatial(u.clone(), w.clone()))),
                    None => m.clone(),
                }),
                None => Err(script_err(
                    "m.uncorrected: available for dynamic models (dynamic: true)",
                )),
            },
            _ => Err(script_err(
                "m.uncorrected: available for dynamic models (dynamic: true)",
            )),
        }
    }
    /// Stability of a dynamic model (docs/methods.md §14.1): `#{spectral_radius, stable,
    /// unit_roots, wald}` — the spectral radius of S⁻¹(τI + ηW) at the reported estimates,
    /// whether it is below 1, the number of unit roots removed by the bias correction, and the
    /// Wald test of τ + ρ + η = 1 (a Test).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let s = sdm(p, "gsp ~ pcap + pc + emp", w, #{fe: "individual", dynamic: true}).stability;
    /// print(`radius ${s.spectral_radius}, Wald p ${s.wald.p}`);
    /// ```
    #[rhai_fn(get = "stability", return_raw, pure)]
    pub fn model_stability(m: &mut SModel) -> RResult<Map> {
        let d = dynamic_info(m, "stability")?;
        let mut out = Map::new();
        out.insert("spectral_radius".into(), Dynamic::from_float(d.spectral_radius));
        out.insert("stable".into(), Dynamic::from_bool(d.stable()));
        out.insert("unit_roots".into(), Dynamic::from_int(d.unit_roots as INT));
        out.insert("wald".into(), Dynamic::from(STest(Arc::new(d.wald_unit.clone()))));
        Ok(out)
    }
    /// The bias correction the fit used ("none", "elhorst", "lee_yu"; dynamic models "ydl",
    /// "lee_yu_transform", "lee_yu_direct"), "none" when the model has none.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let m = sdm(p, "gsp ~ pcap + pc + emp", w, #{fe: "twoways", dynamic: true});
    /// print(`${m.bias_correction}, ${m.lag_order}, ${m.lndet}, ${m.covariance}`);
    /// ```
    #[rhai_fn(get = "bias_correction", pure)]
    pub fn model_bias_correction(m: &mut SModel) -> String {
        setting(m, "bias_correction")
    }
    /// The lag order the fit used ("lag_first" or "demean_first"; docs/methods.md §7.1, §14.3),
    /// "none" for models without a spatial lag of y (OLS, random effects).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(sar(p, "gsp ~ pcap + pc + emp", w, #{lag_order: "demean_first"}).lag_order);
    /// ```
    #[rhai_fn(get = "lag_order", pure)]
    pub fn model_lag_order(m: &mut SModel) -> String {
        setting(m, "lag_order")
    }
    /// The log-determinant method the fit used ("eigen", "sparse", "chebyshev", "monte_carlo"),
    /// "none" for OLS.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(sar(p, "gsp ~ pcap + pc + emp", w, #{}).lndet);
    /// ```
    #[rhai_fn(get = "lndet", pure)]
    pub fn model_lndet(m: &mut SModel) -> String {
        setting(m, "lndet")
    }
    /// The covariance the fit used: dynamic models "structural", "gaussian" or "sdpdmod"
    /// (docs/methods.md §14.2), random-effects models their `covariance` option; "none" when the
    /// model records none.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(sar(p, "gsp ~ pcap + pc + emp", w, #{fe: "individual", dynamic: true}).covariance);
    /// ```
    #[rhai_fn(get = "covariance", pure)]
    pub fn model_covariance(m: &mut SModel) -> String {
        // Spatial random-effects fits record the option in "information" and a sentence in
        // "covariance".
        if m.0.model().fe == Fe::Random {
            setting(m, "information")
        } else {
            setting(m, "covariance")
        }
    }
    /// AIC = −2 logL + 2k.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.aic);
    /// ```
    #[rhai_fn(get = "aic", pure)]
    pub fn aic(m: &mut SModel) -> FLOAT {
        m.0.model().aic()
    }
    /// BIC = −2 logL + k ln(NT).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.bic);
    /// ```
    #[rhai_fn(get = "bic", pure)]
    pub fn bic(m: &mut SModel) -> FLOAT {
        m.0.model().bic()
    }
    /// R² (Elhorst; OLS: overall R²).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let m = ols(c, "CRIME ~ INC + HOVAL");
    /// print(m.r2);
    /// ```
    #[rhai_fn(get = "r2", pure)]
    pub fn r2(m: &mut SModel) -> FLOAT {
        m.0.model().r2
    }
    /// corr² (Elhorst; OLS: within R²).
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.corr2);
    /// ```
    #[rhai_fn(get = "corr2", pure)]
    pub fn corr2(m: &mut SModel) -> FLOAT {
        m.0.model().corr2
    }
    /// Within R² as `xtreg` and xsmle report it (docs/methods.md §7.6): the squared correlation
    /// of y_it − ȳ_i· and ŷ_it − ŷ̄_i·, ŷ the prediction without the effects (spatial lag
    /// models: the reduced form). An error when it is undefined (a cross-section, T = 1).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let m = sar(p, "gsp ~ pcap + pc + emp", w, #{fe: "individual"});
    /// print(`within ${m.r2_within}, between ${m.r2_between}, overall ${m.r2_overall}`);
    /// ```
    #[rhai_fn(get = "r2_within", return_raw, pure)]
    pub fn r2_within(m: &mut SModel) -> RResult<FLOAT> {
        panel_r2_field(m, "r2_within")
    }
    /// Between R² (docs/methods.md §7.6): the squared correlation of the unit means ȳ_i· and
    /// ŷ̄_i·.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// print(sem(p, "gsp ~ pcap + pc + emp", w, #{fe: "individual"}).r2_between);
    /// ```
    #[rhai_fn(get = "r2_between", return_raw, pure)]
    pub fn r2_between(m: &mut SModel) -> RResult<FLOAT> {
        panel_r2_field(m, "r2_between")
    }
    /// Overall R² (docs/methods.md §7.6): the squared correlation of y_it and ŷ_it.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(ols(p, "gsp ~ pcap + pc + emp", #{fe: "individual"}).r2_overall);
    /// ```
    #[rhai_fn(get = "r2_overall", return_raw, pure)]
    pub fn r2_overall(m: &mut SModel) -> RResult<FLOAT> {
        panel_r2_field(m, "r2_overall")
    }
    /// Units N.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.n);   // 49
    /// ```
    #[rhai_fn(get = "n", pure)]
    pub fn model_n(m: &mut SModel) -> INT {
        m.0.model().n as INT
    }
    /// Periods T.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.t);   // 1
    /// ```
    #[rhai_fn(get = "t", pure)]
    pub fn model_t(m: &mut SModel) -> INT {
        m.0.model().t as INT
    }
    /// Observations N·T.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// print(m.nobs);
    /// ```
    #[rhai_fn(get = "nobs", pure)]
    pub fn model_nobs(m: &mut SModel) -> INT {
        m.0.model().nobs() as INT
    }
    /// Warnings raised during estimation.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let m = sar(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"});
    /// for msg in m.warnings { print(msg) }
    /// ```
    #[rhai_fn(get = "warnings", pure)]
    pub fn warnings(m: &mut SModel) -> Array {
        m.0.model().warnings.iter().map(|w| Dynamic::from(w.clone())).collect()
    }
    /// How long each stage of the fit took, in seconds (`design`, `within`, `lndet_setup`,
    /// `optimise`, `information`, `traces`, `effects_traces`, `total`, ... as they ran), with
    /// counts (`lndet_evaluations`: log-determinants evaluated in the search;
    /// `lndet_setup_reused`: 1 when an earlier fit on the same W did the symbolic work) and how
    /// ln|I − ρW| and the traces were computed (`lndet`, `traces`, `effects_traces`). Timings
    /// vary from run to run and are not part of the results.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let m = sar(p, "gsp ~ pcap + pc + emp", w, #{});
    /// print(`${m.timings.lndet_evaluations} evaluations in ${m.timings.optimise} s`);
    /// ```
    #[rhai_fn(get = "timings", pure)]
    pub fn timings(m: &mut SModel) -> Map {
        timings_map(&m.0.model().timings)
    }

    /// Recovered intercept and fixed effects with standard errors (OLS; docs/methods.md §5).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(fixed_effects(ols(p, "gsp ~ pcap + pc + emp", #{fe: "individual"})));
    /// ```
    #[rhai_fn(name = "fixed_effects", return_raw, pure)]
    pub fn fixed_effects(m: &mut SModel) -> RResult<STable> {
        match &*m.0 {
            Fitted::Ols(f) => crate::models::ols::fixed_effects(f)
                .map(|fe| STable(Arc::new(fe.table())))
                .map_err(core_err),
            Fitted::Spatial(..) => Err(script_err(
                "fixed_effects: available for OLS models; spatial models report them in a later version",
            )),
            Fitted::Random(_) => Err(script_err(
                "fixed_effects: a random-effects model has no fixed effects (its intercept is the coefficient \
                 '(intercept)'; sigma2_mu is the variance of the unit effects)",
            )),
        }
    }

    /// Test statistic.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let t = wald_test(sdm(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), "sar");
    /// print(t.statistic);
    /// ```
    #[rhai_fn(get = "statistic", pure)]
    pub fn test_statistic(t: &mut STest) -> FLOAT {
        t.0.statistic
    }
    /// Degrees of freedom.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let t = wald_test(sdm(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), "sar");
    /// print(t.df);
    /// ```
    #[rhai_fn(get = "df", pure)]
    pub fn test_df(t: &mut STest) -> FLOAT {
        t.0.df
    }
    /// p-value.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let t = wald_test(sdm(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), "sar");
    /// print(t.p);
    /// ```
    #[rhai_fn(get = "p", pure)]
    pub fn test_p(t: &mut STest) -> FLOAT {
        t.0.p
    }
    /// Test name.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let w = weights_knn(c, #{id: "POLYID", x: "X", y: "Y", k: 4});
    /// let t = wald_test(sdm(c, "CRIME ~ INC + HOVAL", w, #{id: "POLYID"}), "sar");
    /// print(t.name);
    /// ```
    #[rhai_fn(get = "name", pure)]
    pub fn test_name(t: &mut STest) -> String {
        t.0.name.clone()
    }

    /// The parts of a model formula, parsed by the parser every estimator uses (the same
    /// checks, the same errors): `#{outcome: "y", terms: ["x1", "x2"]}`, the dependent variable
    /// and the regressor terms as R labels and orders them after expansion (`x*z` gives `x`,
    /// `z`, `x:z`; `I(hwy+water)` gives `I(hwy + water)`), plus `intercept: false` when the
    /// formula removes the intercept (`- 1`, `+ 0`). The intercept otherwise follows the fixed
    /// effects (`fe: "none"` has one), and the spatially lagged regressors `W*x` of an SDM, SDEM
    /// or SLX are chosen by the model's `durbin` option, not written in the formula.
    /// ```rhai
    /// let f = formula_terms("log(y) ~ x*z + factor(region)");
    /// assert(f.outcome == "log(y)" && f.terms == ["x", "z", "factor(region)", "x:z"], "terms");
    /// ```
    #[rhai_fn(name = "formula_terms", return_raw)]
    pub fn formula_terms(formula: &str) -> RResult<Map> {
        let f = Formula::parse(formula).map_err(core_err)?;
        Ok(terms_map(&f))
    }

    /// The parts of a formula over data (a Panel or a Frame), as `formula_terms(formula)` plus
    /// `columns`: the regressor columns the terms make over these data, named as the
    /// coefficients are (one `factor(g)` column per level but the first, `factor(g)2:x`, ...).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let f = formula_terms("log(gsp) ~ log(pcap)*unemp + factor(region)", p);
    /// print(f.columns);   // log(pcap), unemp, factor(region)2, ..., factor(region)9, log(pcap):unemp
    /// ```
    #[rhai_fn(name = "formula_terms", return_raw)]
    pub fn formula_terms_over(formula: &str, data: Dynamic) -> RResult<Map> {
        let f = Formula::parse(formula).map_err(core_err)?;
        let design = Data::from_dynamic(&data, None, "formula_terms")?.design(formula, None, "formula_terms")?;
        let mut m = terms_map(&f);
        m.insert(
            "columns".into(),
            Dynamic::from_array(crate::script::convert::from_strings(&design.names)),
        );
        Ok(m)
    }
}

rhai::def_package! {
    /// The Model and Test types; OLS, specification tests and spatial models.
    pub ModelsPackage(lib) {
        const DATA: &str = "let c = read_csv(\"examples/data/columbus/data.csv\");\n\
                            let w = weights_knn(c, #{id: \"POLYID\", x: \"X\", y: \"Y\", k: 4});";
        register_exportable::<SModel>(
            lib,
            "Model",
            &format!("{DATA}\nlet x = sar(c, \"CRIME ~ INC + HOVAL\", w, #{{id: \"POLYID\"}});"),
        );
        register_exportable::<STest>(
            lib,
            "Test",
            &format!("{DATA}\nlet x = wald_test(sdm(c, \"CRIME ~ INC + HOVAL\", w, #{{id: \"POLYID\"}}), \"sar\");"),
        );
        rhai::combine_with_exported_module!(lib, "models", models_fns);
        without_options! { lib;
            /// Panel OLS with default options.
            /// ```rhai
            /// let c = read_csv("examples/data/columbus/data.csv");
            /// print(ols(c, "CRIME ~ INC + HOVAL"));
            /// ```
            ols(data: Dynamic, formula: &str) -> SModel = models_fns::ols;
            /// Fixed-effects LR tests with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// print(fe_tests(p, "gsp ~ pcap + pc + emp"));
            /// ```
            fe_tests(p: SPanel, formula: &str) -> STable = models_fns::fe_tests;
            /// LM tests with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(lm_tests(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            lm_tests(data: Dynamic, formula: &str, w: SWeights) -> STable = models_fns::lm_tests;
            /// Spatial lag model (SAR) by ML with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(sar(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            sar(data: Dynamic, formula: &str, w: SWeights) -> SModel = models_fns::sar;
            /// Spatial error model (SEM) by ML; options as sar with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(sem(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            sem(data: Dynamic, formula: &str, w: SWeights) -> SModel = models_fns::sem;
            /// Spatial Durbin model (SDM) by ML; options as sar plus durbin (names to lag; default all) with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(sdm(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            sdm(data: Dynamic, formula: &str, w: SWeights) -> SModel = models_fns::sdm;
            /// Spatial Durbin error model (SDEM) by ML; options as sdm with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(sdem(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            sdem(data: Dynamic, formula: &str, w: SWeights) -> SModel = models_fns::sdem;
            /// SLX with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(slx(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            slx(data: Dynamic, formula: &str, w: SWeights) -> SModel = models_fns::slx;
        }
    }
}
