//! Model bindings: `ols`, `fe_tests`, `lm_tests`, `sar`, `sem`, `sdm`, `sdem`, `slx`, `fit`,
//! `wald_test`, `lr_test`, and `Model`/`Test` accessors.

use super::convert::{SFrame, SPanel, STable};
use super::export::{register_exportable, Exportable};
use super::options::Opts;
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::models::fe_tests::{FeDf, FeTestOptions, SpecTest};
use crate::models::lm::LmOptions;
use crate::models::ml::SpatialFit;
use crate::models::ols::OlsFit;
use crate::models::{Design, Fe, Formula, Model, ModelKind};
use crate::report::table::num_json;
use crate::report::Table;
use rhai::plugin::*;
use rhai::{Array, Dynamic, Engine, Map, FLOAT, INT};
use serde_json::{json, Value};
use std::sync::Arc;

/// What a fitted model keeps for later steps (tests, effects).
#[derive(Debug, Clone)]
pub enum Fitted {
    /// Panel or cross-section OLS.
    Ols(Box<OlsFit>),
    /// A spatial model by ML, with the weights it was fitted with.
    Spatial(Box<SpatialFit>, Arc<crate::weights::Weights>),
}

impl Fitted {
    /// The result table.
    pub fn model(&self) -> &Model {
        match self {
            Fitted::Ols(f) => &f.model,
            Fitted::Spatial(f, _) => &f.model,
        }
    }
}

/// A fitted model in a script.
#[derive(Debug, Clone)]
pub struct SModel(pub Arc<Fitted>);
/// A test result in a script.
#[derive(Debug, Clone)]
pub struct STest(pub Arc<SpecTest>);

/// Entries of `Model::info` that record how the program chose its internal settings: kept in
/// the model's JSON and `to_map`, left out of table notes (.md, .tex, .csv, .txt).
const INTERNAL_INFO: [&str; 2] = ["interval_source", "lndet_choice"];

impl Exportable for SModel {
    const KIND: &'static str = "model";
    fn json(&self) -> Value {
        self.0.model().to_json_value()
    }
    fn table(&self) -> Option<Table> {
        let m = self.0.model();
        let mut t = m.coef_table();
        for (k, v) in [
            ("sigma2", m.sigma2),
            ("loglik", m.loglik),
            ("AIC", m.aic()),
            ("BIC", m.bic()),
        ] {
            t.note(format!("{k} = {}", crate::report::table::fmt_num(v, 6)));
        }
        t.note(format!("N = {}, T = {}, fe = {}", m.n, m.t, m.fe.name()));
        for (k, v) in m.info.iter().filter(|(k, _)| !INTERNAL_INFO.contains(&k.as_str())) {
            t.note(format!("{k}: {v}"));
        }
        Some(t)
    }
    fn text(&self) -> String {
        self.0.model().to_string()
    }
}

impl Exportable for STest {
    const KIND: &'static str = "test";
    fn json(&self) -> Value {
        let t = &self.0;
        json!({"name": t.name, "statistic": num_json(t.statistic), "df": num_json(t.df),
               "df2": t.df2.map_or(Value::Null, num_json), "p": num_json(t.p)})
    }
    fn table(&self) -> Option<Table> {
        let mut t = Table::new("", ["test", "statistic", "df", "df2", "p"].map(String::from).to_vec());
        t.push(self.0.row());
        Some(t)
    }
    fn text(&self) -> String {
        let t = &self.0;
        format!(
            "{}: statistic = {}, df = {}, p = {}",
            t.name,
            crate::report::table::fmt_num(t.statistic, 4),
            t.df,
            crate::report::table::fmt_num(t.p, 4)
        )
    }
}

/// Registers the Model and Test types.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<SModel>("Model");
    engine.register_type_with_name::<STest>("Test");
    register_exportable::<SModel>(engine);
    register_exportable::<STest>(engine);
}

/// Data of a model call: a panel, or a Frame as a cross-section (T = 1).
pub enum Data {
    /// A balanced panel.
    Panel(Arc<crate::data::Panel>),
    /// A cross-section with an optional id column.
    Frame(Arc<crate::data::Frame>, Option<String>),
}

impl Data {
    fn from_dynamic(d: &Dynamic, id: Option<String>, func: &str) -> RResult<Data> {
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
    fn design(&self, formula: &str, w: Option<&crate::weights::Weights>, func: &str) -> RResult<Design> {
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

    /// Default fixed effects: two-way for panels with T > 1, none for cross-sections.
    fn default_fe(&self) -> Fe {
        match self {
            Data::Panel(p) if p.t() > 1 => Fe::TwoWays,
            _ => Fe::None,
        }
    }
}

const OLS_KEYS: [&str; 2] = ["fe", "id"];
/// The options of `fit`, `sar`, `sem`, `sdm` (also checked by the study module).
pub(crate) const SPATIAL_KEYS: [&str; 10] = [
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
];

fn fe_of(o: &Opts, data: &Data) -> RResult<Fe> {
    o.str("fe")?
        .map_or(Ok(data.default_fe()), |s| s.parse::<Fe>().map_err(core_err))
}

fn fit_ols(data: Dynamic, formula: &str, opts: &Map) -> RResult<OlsFit> {
    let o = Opts::new(opts, "ols", &OLS_KEYS)?;
    let d = Data::from_dynamic(&data, o.str("id")?, "ols")?;
    let fe = fe_of(&o, &d)?;
    crate::models::ols::ols(&d.design(formula, None, "ols")?, fe).map_err(core_err)
}

pub(crate) fn spatial(
    data: Dynamic,
    formula: &str,
    w: &SWeights,
    kind: Option<ModelKind>,
    opts: &Map,
    func: &'static str,
) -> RResult<SModel> {
    let keys: Vec<&str> = SPATIAL_KEYS
        .iter()
        .copied()
        .filter(|k| *k != "w" && (kind.is_none() || *k != "model"))
        .collect();
    let o = Opts::new(opts, func, &keys)?;
    let d = Data::from_dynamic(&data, o.str("id")?, func)?;
    let kind = match kind {
        Some(k) => k,
        None => o
            .str("model")?
            .ok_or_else(|| {
                script_err("fit: option 'model' is required (\"sar\", \"sem\", \"sdm\", \"sdem\", \"slx\", \"ols\")")
            })?
            .parse::<ModelKind>()
            .map_err(core_err)?,
    };
    let design = d.design(formula, Some(&w.0), func)?;
    if kind == ModelKind::Ols {
        let fe = fe_of(&o, &d)?;
        return crate::models::ols::ols(&design, fe)
            .map(|f| SModel(Arc::new(Fitted::Ols(Box::new(f)))))
            .map_err(core_err);
    }
    let so = super::options::spatial_options(&o, fe_of(&o, &d)?)?;
    let fit = crate::models::ml::fit_spatial(&design, &w.0, kind, &so).map_err(core_err)?;
    // Warnings (an estimate on the bound of the interval, ...) are kept in `m.warnings` and
    // shown at once, so that a script run does not pass over them silently.
    for warning in &fit.model.warnings {
        crate::script::eprint_line(&format!("warning: {func}: {warning}"));
    }
    Ok(SModel(Arc::new(Fitted::Spatial(Box::new(fit), w.0.clone()))))
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

/// Panel OLS, specification tests and spatial models.
#[export_module(root = "crate::script::guarded")]
pub mod models_fns {
    use super::*;

    /// Panel OLS with fixed effects (`fe`: "none" pooled with intercept, "individual", "time",
    /// "twoways" (default for panels)); standard errors as plm / Stata `xtreg, fe`. A Frame is
    /// a cross-section (option `id` names its unit column).
    #[rhai_fn(name = "ols", return_raw)]
    pub fn ols(data: Dynamic, formula: &str, opts: Map) -> RResult<SModel> {
        fit_ols(data, formula, &opts).map(|f| SModel(Arc::new(Fitted::Ols(Box::new(f)))))
    }

    /// Panel OLS with default options.
    #[rhai_fn(name = "ols", return_raw)]
    pub fn ols0(data: Dynamic, formula: &str) -> RResult<SModel> {
        ols(data, formula, Map::new())
    }

    /// LR (and F) tests of the unit and time fixed effects (METHODS §5); option df:
    /// "N,T" (Elhorst, default) or "N-1,T-1".
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

    /// Fixed-effects LR tests with default options.
    #[rhai_fn(name = "fe_tests", return_raw)]
    pub fn fe_tests0(p: SPanel, formula: &str) -> RResult<STable> {
        fe_tests(p, formula, Map::new())
    }

    /// LM-lag, LM-error, robust LM-lag, robust LM-error and SARMA on OLS residuals
    /// (Elhorst/splm conventions; Anselin's tests on a cross-section). Data: a Panel, or a Frame
    /// whose rows are matched to W's units by id (option id, else a column named "id"; never by
    /// row position). Options: fe, id, debarsy_ertur (individual effects only: × (T−1)/T).
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

    /// LM tests with default options.
    #[rhai_fn(name = "lm_tests", return_raw)]
    pub fn lm_tests0(data: Dynamic, formula: &str, w: SWeights) -> RResult<STable> {
        lm_tests(data, formula, w, Map::new())
    }

    /// Spatial lag model (SAR) by ML. Data: a Panel, or a Frame (a cross-section) whose rows are
    /// matched to W's units by id: option id, else a column named "id" (never by row position).
    /// Regressors may not be named rho, lambda, sigma2, phi, (intercept) or W*... Options: fe,
    /// bias_correction ("none", "elhorst", "lee_yu"), lag_order ("lag_first", "demean_first"),
    /// lndet, interval [lo, hi], information ("elhorst", "full"), id.
    #[rhai_fn(name = "sar", return_raw)]
    pub fn sar(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sar), &opts, "sar")
    }

    /// Spatial lag model (SAR) by ML with default options.
    #[rhai_fn(name = "sar", return_raw)]
    pub fn sar0(data: Dynamic, formula: &str, w: SWeights) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sar), &Map::new(), "sar")
    }

    /// Spatial error model (SEM) by ML; options as sar.
    #[rhai_fn(name = "sem", return_raw)]
    pub fn sem(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sem), &opts, "sem")
    }

    /// Spatial error model (SEM) by ML; options as sar with default options.
    #[rhai_fn(name = "sem", return_raw)]
    pub fn sem0(data: Dynamic, formula: &str, w: SWeights) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sem), &Map::new(), "sem")
    }

    /// Spatial Durbin model (SDM) by ML; options as sar plus durbin (names to lag; default all).
    #[rhai_fn(name = "sdm", return_raw)]
    pub fn sdm(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sdm), &opts, "sdm")
    }

    /// Spatial Durbin model (SDM) by ML; options as sar plus durbin (names to lag; default all) with default options.
    #[rhai_fn(name = "sdm", return_raw)]
    pub fn sdm0(data: Dynamic, formula: &str, w: SWeights) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sdm), &Map::new(), "sdm")
    }

    /// Spatial Durbin error model (SDEM) by ML; options as sdm.
    #[rhai_fn(name = "sdem", return_raw)]
    pub fn sdem(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sdem), &opts, "sdem")
    }

    /// Spatial Durbin error model (SDEM) by ML; options as sdm with default options.
    #[rhai_fn(name = "sdem", return_raw)]
    pub fn sdem0(data: Dynamic, formula: &str, w: SWeights) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Sdem), &Map::new(), "sdem")
    }

    /// SLX: OLS with spatially lagged regressors W*x; options fe, durbin, id.
    #[rhai_fn(name = "slx", return_raw)]
    pub fn slx(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Slx), &opts, "slx")
    }

    /// SLX with default options.
    #[rhai_fn(name = "slx", return_raw)]
    pub fn slx0(data: Dynamic, formula: &str, w: SWeights) -> RResult<SModel> {
        spatial(data, formula, &w, Some(ModelKind::Slx), &Map::new(), "slx")
    }

    /// Any model by name: `fit(p, f, w, #{model: "sdm", ...})` with the options of that model.
    #[rhai_fn(name = "fit", return_raw)]
    pub fn fit(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<SModel> {
        spatial(data, formula, &w, None, &opts, "fit")
    }

    /// Wald test of an SDM against "sar" (θ = 0) or "sem" (θ + ρβ = 0) (METHODS §8).
    #[rhai_fn(name = "wald_test", return_raw)]
    pub fn wald_test(m: SModel, restriction: &str) -> RResult<STest> {
        match &*m.0 {
            Fitted::Spatial(f, _) => {
                let restriction: ModelKind = restriction.parse().map_err(|e| script_err(format!("wald_test: {e}")))?;
                crate::models::spatial_tests::wald_test(f, restriction)
                    .map(|t| STest(Arc::new(t)))
                    .map_err(core_err)
            }
            Fitted::Ols(_) => Err(script_err(
                "wald_test: needs a spatial model (SDM, SDEM or SLX), not OLS",
            )),
        }
    }

    /// LR test 2(logL_general − logL_restricted) ~ χ²(difference in parameters). The restricted
    /// model must be a special case of the general one (sdm ⊃ sar, sem, slx, ols; sdem ⊃ sem,
    /// slx, ols; sar, sem, slx ⊃ ols; its regressors among the general one's) fitted to the same
    /// data, weights, fixed effects and options; otherwise an error lists every difference.
    #[rhai_fn(name = "lr_test", return_raw)]
    pub fn lr_test(general: SModel, restricted: SModel) -> RResult<STest> {
        crate::models::spatial_tests::lr_test(general.0.model(), restricted.0.model())
            .map(|t| STest(Arc::new(t)))
            .map_err(core_err)
    }

    /// One coefficient as #{term, estimate, std_error, z, p}.
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
    #[rhai_fn(get = "coefficients", pure)]
    pub fn coefficients(m: &mut SModel) -> Array {
        m.0.model()
            .coefficients
            .iter()
            .map(|c| Dynamic::from_map(coef_map(c)))
            .collect()
    }

    /// Model name ("ols", "sar", "sem", "sdm", "sdem", "slx").
    #[rhai_fn(get = "model", pure)]
    pub fn model_name(m: &mut SModel) -> String {
        m.0.model().kind.name().to_string()
    }
    /// Fixed effects ("none", "individual", "time", "twoways").
    #[rhai_fn(get = "fe", pure)]
    pub fn model_fe(m: &mut SModel) -> String {
        m.0.model().fe.name().to_string()
    }
    /// Log-likelihood at the estimates.
    #[rhai_fn(get = "loglik", pure)]
    pub fn loglik(m: &mut SModel) -> FLOAT {
        m.0.model().loglik
    }
    /// σ̂².
    #[rhai_fn(get = "sigma2", pure)]
    pub fn sigma2(m: &mut SModel) -> FLOAT {
        m.0.model().sigma2
    }
    /// The spatial lag parameter ρ̂ of a SAR or SDM model (the estimate of its "rho" term). Any
    /// other model is an error: SEM and SDEM have λ (`m.lambda`), OLS and SLX none.
    #[rhai_fn(get = "rho", return_raw, pure)]
    pub fn model_rho(m: &mut SModel) -> RResult<FLOAT> {
        m.0.model()
            .spatial_parameter("rho")
            .map_err(|e| script_err(format!("m.rho: {e}")))
    }
    /// The spatial error parameter λ̂ of a SEM or SDEM model (the estimate of its "lambda" term).
    /// Any other model is an error: SAR and SDM have ρ (`m.rho`), OLS and SLX none.
    #[rhai_fn(get = "lambda", return_raw, pure)]
    pub fn model_lambda(m: &mut SModel) -> RResult<FLOAT> {
        m.0.model()
            .spatial_parameter("lambda")
            .map_err(|e| script_err(format!("m.lambda: {e}")))
    }
    /// AIC = −2 logL + 2k.
    #[rhai_fn(get = "aic", pure)]
    pub fn aic(m: &mut SModel) -> FLOAT {
        m.0.model().aic()
    }
    /// BIC = −2 logL + k ln(NT).
    #[rhai_fn(get = "bic", pure)]
    pub fn bic(m: &mut SModel) -> FLOAT {
        m.0.model().bic()
    }
    /// R² (Elhorst; OLS: overall R²).
    #[rhai_fn(get = "r2", pure)]
    pub fn r2(m: &mut SModel) -> FLOAT {
        m.0.model().r2
    }
    /// corr² (Elhorst; OLS: within R²).
    #[rhai_fn(get = "corr2", pure)]
    pub fn corr2(m: &mut SModel) -> FLOAT {
        m.0.model().corr2
    }
    /// Units N.
    #[rhai_fn(get = "n", pure)]
    pub fn model_n(m: &mut SModel) -> INT {
        m.0.model().n as INT
    }
    /// Periods T.
    #[rhai_fn(get = "t", pure)]
    pub fn model_t(m: &mut SModel) -> INT {
        m.0.model().t as INT
    }
    /// Observations N·T.
    #[rhai_fn(get = "nobs", pure)]
    pub fn model_nobs(m: &mut SModel) -> INT {
        m.0.model().nobs() as INT
    }
    /// Warnings raised during estimation.
    #[rhai_fn(get = "warnings", pure)]
    pub fn warnings(m: &mut SModel) -> Array {
        m.0.model().warnings.iter().map(|w| Dynamic::from(w.clone())).collect()
    }

    /// Recovered intercept and fixed effects with standard errors (OLS; METHODS §5).
    #[rhai_fn(name = "fixed_effects", return_raw, pure)]
    pub fn fixed_effects(m: &mut SModel) -> RResult<STable> {
        match &*m.0 {
            Fitted::Ols(f) => crate::models::ols::fixed_effects(f)
                .map(|fe| STable(Arc::new(fe.table())))
                .map_err(core_err),
            Fitted::Spatial(..) => Err(script_err(
                "fixed_effects: available for OLS models; spatial models report them in a later version",
            )),
        }
    }

    /// Test statistic.
    #[rhai_fn(get = "statistic", pure)]
    pub fn test_statistic(t: &mut STest) -> FLOAT {
        t.0.statistic
    }
    /// Degrees of freedom.
    #[rhai_fn(get = "df", pure)]
    pub fn test_df(t: &mut STest) -> FLOAT {
        t.0.df
    }
    /// p-value.
    #[rhai_fn(get = "p", pure)]
    pub fn test_p(t: &mut STest) -> FLOAT {
        t.0.p
    }
    /// Test name.
    #[rhai_fn(get = "name", pure)]
    pub fn test_name(t: &mut STest) -> String {
        t.0.name.clone()
    }
}
