//! Bayesian comparison bindings (docs/methods.md §15): `model_probabilities` across models and
//! `w_probabilities` across weight matrices, each a Table of log-marginal likelihoods and
//! posterior probabilities.

use super::convert::STable;
use super::models::{fe_of, Data};
use super::options::Opts;
use super::weights::SWeights;
use super::{script_err, RResult};
use crate::models::bayes::{self, BayesOptions, Compat, Prior};
use crate::models::ModelKind;
use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};
use std::sync::Arc;

/// The options of `model_probabilities`.
pub(crate) const MODEL_PROBABILITIES_KEYS: [&str; 8] =
    ["models", "fe", "compat", "prior", "a0", "grid_step", "id", "lee_yu"];
/// The options of `w_probabilities`.
pub(crate) const W_PROBABILITIES_KEYS: [&str; 9] = [
    "model",
    "names",
    "fe",
    "compat",
    "prior",
    "a0",
    "grid_step",
    "id",
    "lee_yu",
];

/// The options shared by both functions: fe, compat, prior (with a0), grid_step and lee_yu.
fn bayes_options(o: &Opts, data: &Data) -> RResult<BayesOptions> {
    let mut b = BayesOptions::new(fe_of(o, data)?);
    b.lee_yu = o.bool("lee_yu")?.unwrap_or(false);
    b.compat = match o.choice("compat", "exact", &["exact", "lesage"])?.as_str() {
        "lesage" => Compat::LeSage,
        _ => Compat::Exact,
    };
    let a0 = o.float("a0")?;
    b.prior = match o.choice("prior", "uniform", &["uniform", "beta"])?.as_str() {
        "beta" => {
            let a0 = a0.unwrap_or(bayes::BETA_A0);
            if !(a0.is_finite() && a0 > 0.0) {
                return Err(script_err(format!(
                    "{}: option 'a0' must be a positive number (the beta(a0, a0) prior; default {})",
                    o.func,
                    bayes::BETA_A0
                )));
            }
            Prior::Beta(a0)
        }
        _ => {
            if a0.is_some() {
                return Err(script_err(format!(
                    "{}: option 'a0' is the parameter of the beta prior; add prior: \"beta\" or drop a0",
                    o.func
                )));
            }
            Prior::Uniform
        }
    };
    if let Some(step) = o.float("grid_step")? {
        if !(step.is_finite() && step > 0.0 && step <= 0.1) {
            return Err(script_err(format!(
                "{}: option 'grid_step' must be a number in (0, 0.1], got {step} (default {})",
                o.func,
                bayes::GRID_STEP
            )));
        }
        b.grid_step = step;
    }
    Ok(b)
}

/// The model named by `name` in option `key`, as a core error prefixed by the function.
fn kind_of(name: &str, func: &str) -> RResult<ModelKind> {
    bayes::comparable_kind(name).map_err(|e| script_err(format!("{func}: {e}")))
}

/// Bayesian comparison of models and of weight matrices.
#[export_module(root = "crate::script::guarded")]
pub mod bayes_fns {
    use super::*;

    /// Posterior model probabilities (LeSage 2014; docs/methods.md §15): the log-marginal
    /// likelihood of each model, β and σ² integrated out under flat / 1/σ² priors and ρ (λ)
    /// under a uniform prior on the eigenvalue interval, and the posterior probabilities under
    /// equal prior odds. Returns a Table with one row per model (`SAR`, `SDM`, ...) and columns
    /// `log_marginal`, `probability`, `mode` (the grid point where the integrand of ρ/λ peaks).
    /// Options: `models` (default ["sar", "sdm", "sem", "sdem", "slx"]; also "ols"), `fe`
    /// ("twoways" default for panels, "individual", "time", "none"), `compat` ("exact" default:
    /// constant Γ(a)π^(−a) and the log of the trapezoid integral; "lesage": SDPDmod `blmpSDPD` /
    /// MATLAB `log_marginal_panelprob` numbers), `prior` ("uniform" default, "beta" with `a0`,
    /// default 1.01), `grid_step` (default 0.001), `lee_yu` (false; true: Lee–Yu transformed data
    /// as SDPDmod's `LYtrans = TRUE`, the fixed effects counted once by default and twice with
    /// `compat: "lesage"`, docs/methods.md §15.4–15.5), `id` (the unit column of a Frame).
    /// ```rhai
    /// let d = read_csv("examples/data/produc/data.csv");
    /// let d = d.mutate(#{lgsp: "log(gsp)", lpcap: "log(pcap)", lpc: "log(pc)", lemp: "log(emp)"});
    /// let p = panel(d, "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let tab = model_probabilities(p, "lgsp ~ lpcap + lpc + lemp + unemp", w, #{models: ["sar", "sdm", "sem"]});
    /// print(tab);
    /// print(tab["SDM"].probability);
    /// print(model_probabilities(p, "lgsp ~ lpcap + lpc + lemp + unemp", w, #{compat: "lesage", prior: "beta"}));
    /// print(model_probabilities(p, "lgsp ~ lpcap + lpc + lemp + unemp", w, #{fe: "individual", lee_yu: true}));
    /// ```
    #[rhai_fn(name = "model_probabilities", return_raw)]
    pub fn model_probabilities(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<STable> {
        const F: &str = "model_probabilities";
        let o = Opts::new(&opts, F, &MODEL_PROBABILITIES_KEYS)?;
        let d = Data::from_dynamic(&data, o.str("id")?, F)?;
        let b = bayes_options(&o, &d)?;
        let kinds = match o.strings("models")? {
            None => bayes::DEFAULT_MODELS.to_vec(),
            Some(names) => names.iter().map(|n| kind_of(n, F)).collect::<RResult<Vec<_>>>()?,
        };
        let design = d.design(formula, Some(&w.0), F)?;
        let c = bayes::model_probabilities(&design, &w.0, &kinds, &b).map_err(|e| script_err(format!("{F}: {e}")))?;
        Ok(STable(Arc::new(c.to_table())))
    }

    /// Posterior probabilities of weight matrices (LeSage 2014; docs/methods.md §15): the
    /// log-marginal likelihood of one model (`model`, default "sdm") under each W of the list
    /// `ws`, with the same data, and the probabilities under equal prior odds. Returns a Table
    /// with one row per W (named by option `names`, default "W1", "W2", ...) and columns
    /// `log_marginal`, `probability`, `mode`. Other options as `model_probabilities`: `fe`,
    /// `compat`, `prior`, `a0`, `grid_step`, `lee_yu`, `id`.
    /// ```rhai
    /// let d = read_csv("examples/data/produc/data.csv");
    /// let d = d.mutate(#{lgsp: "log(gsp)", lpcap: "log(pcap)", lpc: "log(pc)", lemp: "log(emp)"});
    /// let p = panel(d, "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let w2 = w.standardize("minmax");
    /// let tab = w_probabilities(p, "lgsp ~ lpcap + lpc + lemp + unemp", [w, w2], #{model: "sar", names: ["usaww", "minmax"]});
    /// print(tab);
    /// ```
    #[rhai_fn(name = "w_probabilities", return_raw)]
    pub fn w_probabilities(data: Dynamic, formula: &str, ws: Array, opts: Map) -> RResult<STable> {
        const F: &str = "w_probabilities";
        let o = Opts::new(&opts, F, &W_PROBABILITIES_KEYS)?;
        let d = Data::from_dynamic(&data, o.str("id")?, F)?;
        let b = bayes_options(&o, &d)?;
        let kind = kind_of(&o.str("model")?.unwrap_or_else(|| "sdm".into()), F)?;
        let weights = ws
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.clone().try_cast::<SWeights>().ok_or_else(|| {
                    script_err(format!(
                        "{F}: element {} of the list is {}, not Weights; pass a list of weights such as [w1, w2]",
                        i + 1,
                        v.type_name()
                    ))
                })
            })
            .collect::<RResult<Vec<_>>>()?;
        let names = match o.strings("names")? {
            None => (1..=weights.len()).map(|i| format!("W{i}")).collect(),
            Some(n) if n.len() == weights.len() => n,
            Some(n) => {
                return Err(script_err(format!(
                    "{F}: option 'names' has {} names for {} weight matrices; give one name per W",
                    n.len(),
                    weights.len()
                )))
            }
        };
        let first = weights.first().ok_or_else(|| {
            script_err(format!(
                "{F}: the list of weights is empty; pass at least two, e.g. [w1, w2]"
            ))
        })?;
        let design = d.design(formula, Some(&first.0), F)?;
        let named: Vec<(String, &crate::weights::Weights)> =
            names.into_iter().zip(weights.iter().map(|w| &*w.0)).collect();
        let c = bayes::w_probabilities(&design, &named, kind, &b).map_err(|e| script_err(format!("{F}: {e}")))?;
        Ok(STable(Arc::new(c.to_table())))
    }
}

rhai::def_package! {
    /// Bayesian comparison of models and weight matrices.
    pub BayesPackage(lib) {
        rhai::combine_with_exported_module!(lib, "bayes", bayes_fns);
        without_options! { lib;
            /// Posterior probabilities of SAR, SDM, SEM, SDEM and SLX with default options (exact,
            /// uniform prior, two-way effects for panels).
            /// ```rhai
            /// let d = read_csv("examples/data/produc/data.csv");
            /// let d = d.mutate(#{lgsp: "log(gsp)", lpcap: "log(pcap)", lpc: "log(pc)", lemp: "log(emp)"});
            /// let p = panel(d, "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(model_probabilities(p, "lgsp ~ lpcap + lpc + lemp + unemp", w));
            /// ```
            model_probabilities(data: Dynamic, formula: &str, w: SWeights) -> STable = bayes_fns::model_probabilities;
            /// Posterior probabilities of the weight matrices for the SDM with default options.
            /// ```rhai
            /// let d = read_csv("examples/data/produc/data.csv");
            /// let d = d.mutate(#{lgsp: "log(gsp)", lpcap: "log(pcap)", lpc: "log(pc)", lemp: "log(emp)"});
            /// let p = panel(d, "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(w_probabilities(p, "lgsp ~ lpcap + lpc + lemp + unemp", [w, w.standardize("minmax")]));
            /// ```
            w_probabilities(data: Dynamic, formula: &str, ws: Array) -> STable = bayes_fns::w_probabilities;
        }
    }
}
