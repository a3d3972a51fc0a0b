//! The fitted-model result shared by OLS and the spatial ML models, printed like Stata's
//! regression output (coefficient, std. error, z, p, stars).

use super::within::Fe;
use crate::report::table::{fmt_num, fmt_stat, stars_for, Cell, Table};
use crate::stats::p_normal_two_sided;
use std::collections::BTreeMap;

/// Which model was fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// Non-spatial (panel) OLS.
    Ols,
    /// Spatial lag (SAR / SLM).
    Sar,
    /// Spatial error.
    Sem,
    /// Spatial Durbin.
    Sdm,
    /// Spatial Durbin error.
    Sdem,
    /// Spatially lagged X.
    Slx,
    /// Spatial lag and spatial error together (SAC / SARAR; docs/methods.md §7.7).
    Sac,
}

impl ModelKind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Ols => "ols",
            ModelKind::Sar => "sar",
            ModelKind::Sem => "sem",
            ModelKind::Sdm => "sdm",
            ModelKind::Sdem => "sdem",
            ModelKind::Slx => "slx",
            ModelKind::Sac => "sac",
        }
    }
}

/// One estimated coefficient. Serialises as `{estimate, std_error, z, p}`: the term is the key
/// of the model's `coefficients` map.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Coef {
    /// Term name: a regressor, `"W*x"` for a lagged regressor, `"rho"`, `"lambda"`, `"(intercept)"`.
    #[serde(skip)]
    pub term: String,
    /// Point estimate.
    pub estimate: f64,
    /// Standard error.
    pub std_error: f64,
    /// estimate / std_error.
    pub z: f64,
    /// Two-sided normal p-value.
    pub p: f64,
}

impl Coef {
    /// A coefficient with z and two-sided normal p computed from estimate and SE.
    pub fn new(term: impl Into<String>, estimate: f64, std_error: f64) -> Coef {
        let z = estimate / std_error;
        Coef {
            term: term.into(),
            estimate,
            std_error,
            z,
            p: p_normal_two_sided(z),
        }
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Model type.
    pub kind: ModelKind,
    /// Fixed effects swept out.
    pub fe: Fe,
    /// Dependent variable.
    pub depvar: String,
    /// Units N.
    pub n: usize,
    /// Periods T.
    pub t: usize,
    /// Coefficients in order (regressors, lagged regressors, then rho/lambda).
    pub coefficients: Vec<Coef>,
    /// Covariance of the coefficients (row-major, same order as `coefficients`).
    pub vcov: Vec<f64>,
    /// σ̂² (as reported; see `info["sigma2"]` for its definition).
    pub sigma2: f64,
    /// Log-likelihood at the estimates (`loglik_max`).
    pub loglik: f64,
    /// R² (Elhorst, including fixed effects) — for OLS the overall R².
    pub r2: f64,
    /// Squared correlation of demeaned actual and fitted values (Elhorst corr²); OLS: within R².
    pub corr2: f64,
    /// Number of estimated parameters counted in AIC/BIC.
    pub n_params: usize,
    /// Further named numbers (e.g. `r2_within`, `loglik_elhorst`, `interval_lo`, `df_resid`).
    pub extras: BTreeMap<String, f64>,
    /// A spatial random-effects fit's σ̂²_ν (Z*'Z*)⁻¹, row-major over its first k_Z coefficients
    /// (intercept, β, θ): the GLS covariance of β conditional on the spatial parameter and φ, which
    /// splm reports and its `sphtest` uses (hausman `convention: "splm"`, docs/methods.md §12.3).
    /// `None` for every other model.
    pub vcov_conditional: Option<Vec<f64>>,
    /// Named choices (e.g. `bias_correction`, `lag_order`, `lndet`, `information`, `se`).
    pub info: BTreeMap<String, String>,
    /// Warnings raised during estimation (e.g. ρ on the interval bound).
    pub warnings: Vec<String>,
    /// The role of each coefficient and what the model was fitted to, recorded by the fitting
    /// code (effects, `m.rho` and `lr_test` read these, never the term names).
    pub provenance: Provenance,
    /// How long each stage of the fit took and how often the log-determinant was evaluated
    /// ([`Timings`]; `m.timings`). Not part of the equality of results.
    pub timings: Timings,
}

/// Wall-clock seconds of the stages of one fit, the counts of its expensive steps and how its
/// numeric pieces were computed (`m.timings`; docs/methods.md §7.2). Stages, in the order they
/// ran: `design` (building the design from the data; scripts), `lndet_setup` (eigenvalues or the
/// symbolic sparse factorisation; about 0 when reused from the weights' cache), `prepare` (the
/// spatial lags), `within` (the within transformation), `optimise` (the search for ρ̂/λ̂),
/// `information` (the covariance, traces included), `traces` (the information-matrix traces
/// alone), `least_squares` (the cross-products and least-squares fits of the concentrated
/// likelihood, and corrections), `fit_measures`, `effects_traces` (tr(Wᵏ) of the series effects)
/// and `total`; OLS records `within`, `least_squares` and `total`. Counts: `lndet_evaluations`
/// (log-determinants evaluated in the search, each one numeric factorisation on the sparse path),
/// `factorisation_reused` (the factorisation at ρ̂ taken from the search), `factorisations`
/// (further numeric sparse factorisations), `lndet_setup_reused` (1 when the per-W work came
/// from the weights' cache). Methods: `lndet`, `traces`, `effects_traces`. Timings never enter
/// the equality of models (`PartialEq` is always true) and vary from run to run.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// (stage, seconds), in the order the stages first ran; a repeated stage accumulates.
    pub stages: Vec<(String, f64)>,
    /// (what, count).
    pub counts: Vec<(String, u64)>,
    /// (what, how it was computed), e.g. `lndet` → "sparse LU ...", `traces` → "exact ...".
    pub methods: Vec<(String, String)>,
}

impl PartialEq for Timings {
    /// Timings are not part of the equality of results.
    fn eq(&self, _: &Timings) -> bool {
        true
    }
}

impl Timings {
    /// Adds `seconds` to `stage` (created at the end of the list when new).
    pub fn add(&mut self, stage: &str, seconds: f64) {
        match self.stages.iter_mut().find(|(s, _)| s == stage) {
            Some((_, v)) => *v += seconds,
            None => self.stages.push((stage.to_string(), seconds)),
        }
    }

    /// Runs `f`, adding its wall-clock time to `stage`.
    pub fn time<T>(&mut self, stage: &str, f: impl FnOnce() -> T) -> T {
        let start = std::time::Instant::now();
        let out = f();
        self.add(stage, start.elapsed().as_secs_f64());
        out
    }

    /// Adds `n` to the count `what`.
    pub fn count(&mut self, what: &str, n: u64) {
        match self.counts.iter_mut().find(|(s, _)| s == what) {
            Some((_, v)) => *v += n,
            None => self.counts.push((what.to_string(), n)),
        }
    }

    /// Records how `what` was computed (replacing an earlier record).
    pub fn method(&mut self, what: &str, how: impl Into<String>) {
        let how = how.into();
        match self.methods.iter_mut().find(|(s, _)| s == what) {
            Some((_, v)) => *v = how,
            None => self.methods.push((what.to_string(), how)),
        }
    }

    /// Seconds of `stage`, if recorded.
    pub fn seconds(&self, stage: &str) -> Option<f64> {
        self.stages.iter().find(|(s, _)| s == stage).map(|(_, v)| *v)
    }

    /// The count `what`, if recorded.
    pub fn get_count(&self, what: &str) -> Option<u64> {
        self.counts.iter().find(|(s, _)| s == what).map(|(_, v)| *v)
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty() && self.counts.is_empty()
    }

    /// One line: "total 0.210 s: prepare 0.012 s, optimise 0.120 s, ...; lndet_evaluations 15, ...".
    pub fn summary(&self) -> String {
        let total = self.seconds("total");
        let stages: Vec<String> = self
            .stages
            .iter()
            .filter(|(s, _)| s != "total")
            .map(|(s, v)| format!("{s} {v:.3} s"))
            .collect();
        let counts: Vec<String> = self.counts.iter().map(|(s, v)| format!("{s} {v}")).collect();
        let mut out = match total {
            Some(t) => format!("total {t:.3} s: {}", stages.join(", ")),
            None => stages.join(", "),
        };
        if !counts.is_empty() {
            out.push_str("; ");
            out.push_str(&counts.join(", "));
        }
        out
    }
}

impl serde::Serialize for Timings {
    /// A map: stage → seconds, count → number, method → text.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.stages {
            m.serialize_entry(k, v)?;
        }
        for (k, v) in &self.counts {
            m.serialize_entry(k, v)?;
        }
        for (k, v) in &self.methods {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Which coefficient plays which role in a fitted [`Model`], and fingerprints of the data and
/// weights it was fitted to (to refuse comparisons of models that do not belong together).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provenance {
    /// The formula's regressors in order (without the intercept).
    pub regressors: Vec<String>,
    /// Index in `coefficients` of each regressor's β.
    pub beta_index: Vec<usize>,
    /// Index in `coefficients` of θ_k (the coefficient of W·x_k) when x_k is lagged.
    pub theta_index: Vec<Option<usize>>,
    /// Index in `coefficients` of the spatial parameter: ρ (SAR, SDM) or λ (SEM, SDEM).
    pub spatial_index: Option<usize>,
    /// The weights matrix of a spatial model (`None` for OLS).
    pub weights: Option<WeightsFingerprint>,
    /// A hash of each variable's values (the dependent variable and the regressors) keyed by
    /// unit and period, independent of the row order.
    pub data: BTreeMap<String, u64>,
    /// A random-effects fit with fixed period dummies (option `time_dummies`, docs/methods.md
    /// §12.1): the label of the dummies (e.g. `factor(year)`); `None` otherwise. The Hausman
    /// test pairs such a fit with two-way fixed effects.
    pub time_dummies: Option<String>,
    /// Per-unit scores and the bread of the fit, for the cluster-robust Hausman test
    /// (docs/methods.md §12.4; recorded by the fits that support it, `None` otherwise).
    pub scores: Option<std::sync::Arc<crate::models::unit_scores::UnitScores>>,
}

impl Provenance {
    /// The variables present in both fits whose values differ (their fingerprints in `data`
    /// differ): the evidence that two models were not fitted to the same data.
    pub fn changed_data<'a>(&'a self, other: &Provenance) -> Vec<&'a String> {
        self.data
            .iter()
            .filter(|(k, h)| other.data.get(*k).is_some_and(|h2| h2 != *h))
            .map(|(k, _)| k)
            .collect()
    }

    /// The regressors that enter lagged (W·x_k).
    pub fn lagged(&self) -> Vec<&str> {
        self.regressors
            .iter()
            .zip(&self.theta_index)
            .filter(|(_, t)| t.is_some())
            .map(|(r, _)| r.as_str())
            .collect()
    }
}

/// A fingerprint of a weights matrix: its units, links and values (independent of unit order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeightsFingerprint {
    /// Units.
    pub n: usize,
    /// Links (non-zero weights).
    pub nnz: usize,
    /// Hash of the set of unit ids.
    pub ids: u64,
    /// Hash of the set of (id_i, id_j, w_ij).
    pub values: u64,
}

/// Order-independent hash of a set of items: the wrapping sum of their hashes.
pub fn set_hash<T: std::hash::Hash>(items: impl IntoIterator<Item = T>) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let b = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
    items.into_iter().fold(0u64, |acc, x| acc.wrapping_add(b.hash_one(x)))
}

impl WeightsFingerprint {
    /// The fingerprint of `w`.
    pub fn of(w: &crate::weights::Weights) -> WeightsFingerprint {
        let ids = w.ids();
        let links = w
            .matrix()
            .outer_iterator()
            .enumerate()
            .flat_map(|(i, row)| row.iter().map(move |(j, v)| (i, j, v.to_bits())).collect::<Vec<_>>())
            .map(|(i, j, v)| (&ids[i], &ids[j], v));
        WeightsFingerprint {
            n: w.n(),
            nnz: w.nnz(),
            ids: set_hash(ids),
            values: set_hash(links),
        }
    }
}

impl Model {
    /// Number of observations N·T.
    pub fn nobs(&self) -> usize {
        self.n * self.t
    }
    /// AIC = −2 logL + 2k.
    pub fn aic(&self) -> f64 {
        -2.0 * self.loglik + 2.0 * self.n_params as f64
    }
    /// BIC = −2 logL + k ln(NT).
    pub fn bic(&self) -> f64 {
        -2.0 * self.loglik + self.n_params as f64 * (self.nobs() as f64).ln()
    }
    /// The coefficient called `term`.
    pub fn coef(&self, term: &str) -> Option<&Coef> {
        self.coefficients.iter().find(|c| c.term == term)
    }
    /// Index of `term` in `coefficients`.
    pub fn index_of(&self, term: &str) -> Option<usize> {
        self.coefficients.iter().position(|c| c.term == term)
    }
    /// The name of this model's spatial parameter: "rho" (SAR, SDM), "lambda" (SEM, SDEM), none
    /// for OLS and SLX.
    pub fn spatial_name(&self) -> Option<&'static str> {
        match self.kind {
            ModelKind::Sar | ModelKind::Sdm | ModelKind::Sac => Some("rho"),
            ModelKind::Sem | ModelKind::Sdem => Some("lambda"),
            ModelKind::Ols | ModelKind::Slx => None,
        }
    }

    /// The estimate of the spatial parameter `name` ("rho" or "lambda"), found by its recorded
    /// role. Asking a model for a parameter it does not have is an error saying which it has.
    pub fn spatial_parameter(&self, name: &str) -> crate::Result<f64> {
        let kind = self.kind.name();
        // SAC has both: rho by its recorded role, lambda right after it.
        if self.kind == ModelKind::Sac && name == "lambda" {
            return match self.provenance.spatial_index.map(|i| i + 1) {
                Some(i) if i < self.coefficients.len() && self.coefficients[i].term == "lambda" => {
                    Ok(self.coefficients[i].estimate)
                }
                _ => Err(crate::Error::invalid(
                    "this sac model does not record its lambda estimate",
                )),
            };
        }
        match (self.spatial_name(), self.provenance.spatial_index) {
            (Some(own), Some(i)) if own == name && i < self.coefficients.len() => Ok(self.coefficients[i].estimate),
            (Some(own), _) if own != name => Err(crate::Error::invalid(format!(
                "this {kind} model has no {name}; its spatial parameter is {own} (m.{own})"
            ))),
            (Some(_), _) => Err(crate::Error::invalid(format!(
                "this {kind} model does not record its {name} estimate"
            ))),
            (None, _) => Err(crate::Error::invalid(format!(
                "this {kind} model has no spatial parameter ({name}); rho belongs to sar and sdm, lambda to sem and sdem"
            ))),
        }
    }

    /// Covariance entry (i, j).
    pub fn cov(&self, i: usize, j: usize) -> f64 {
        self.vcov[i * self.coefficients.len() + j]
    }

    /// The coefficient table (term, coef, std. err., z, p, stars).
    pub fn coef_table(&self) -> Table {
        let mut t = Table::new(
            self.title(),
            ["", "Coef.", "Std. err.", "z", "P>|z|", ""]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
        for c in &self.coefficients {
            t.push(vec![
                c.term.clone().into(),
                Cell::Num(c.estimate),
                Cell::Num(c.std_error),
                Cell::Text(fmt_stat(c.z, 2)),
                Cell::P(if c.z.is_finite() { c.p } else { f64::NAN }),
                Cell::Text(stars_for(c.z, c.p).into()),
            ]);
        }
        t
    }

    /// The JSON form of API.md (its [`serde::Serialize`] form) as a value.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The report table: the coefficient table with σ², log-likelihood, AIC, BIC, N, T, the
    /// fixed effects and the settings of [`Model::info`] in the notes (those that record how
    /// the program chose its internal settings, [`INTERNAL_INFO`], are left out).
    pub fn report_table(&self) -> Table {
        let mut t = self.coef_table();
        for (k, v) in [
            ("sigma2", self.sigma2),
            ("loglik", self.loglik),
            ("AIC", self.aic()),
            ("BIC", self.bic()),
        ] {
            t.note(format!("{k} = {}", fmt_num(v, 6)));
        }
        t.note(format!("N = {}, T = {}, fe = {}", self.n, self.t, self.fe.name()));
        for (k, v) in self.random_effects_components() {
            t.note(format!("{k} = {}", fmt_num(v, 6)));
        }
        for (k, v) in self.info.iter().filter(|(k, _)| !INTERNAL_INFO.contains(&k.as_str())) {
            t.note(format!("{k}: {v}"));
        }
        t
    }

    /// The variance components of a random-effects model (`fe` random): σ²_ν, σ²_μ, φ, θ
    /// (plm's theta) from [`Model::extras`]; empty for other models.
    pub fn random_effects_components(&self) -> Vec<(&'static str, f64)> {
        if self.fe != Fe::Random {
            return Vec::new();
        }
        ["sigma2_idios", "sigma2_mu", "phi", "theta"]
            .into_iter()
            .filter_map(|k| self.extras.get(k).map(|v| (k, *v)))
            .collect()
    }

    /// A one-line title such as "SDM, two-way fixed effects: y".
    pub fn title(&self) -> String {
        let fe = match self.fe {
            Fe::None => "pooled",
            Fe::Individual => "individual (unit) fixed effects",
            Fe::Time => "time fixed effects",
            Fe::TwoWays => "two-way fixed effects",
            Fe::Random => "individual random effects",
        };
        let kind = match self.kind {
            ModelKind::Ols => "OLS",
            ModelKind::Sar => "Spatial lag (SAR)",
            ModelKind::Sem => "Spatial error (SEM)",
            ModelKind::Sdm => "Spatial Durbin (SDM)",
            ModelKind::Sdem => "Spatial Durbin error (SDEM)",
            ModelKind::Slx => "SLX",
            ModelKind::Sac => "Spatial lag and error (SAC)",
        };
        format!("{kind}, {fe}: {}", self.depvar)
    }
}

/// Entries of [`Model::info`] that record how the program chose its internal settings: kept in
/// the model's JSON, left out of the report table's notes (.md, .tex, .csv, .txt).
pub const INTERNAL_INFO: [&str; 3] = ["interval_source", "lndet_choice", "timings"];

/// The JSON form of API.md: `model`, `fe`, `depvar`, `n`, `t`, `nobs`, `coefficients` (term →
/// {estimate, std_error, z, p}), `terms` (in order), `sigma2`, `loglik`, `r2`, `corr2`, `aic`,
/// `bic`, `n_params`, `vcov` (rows), `warnings`, `timings` (when recorded: stage → seconds,
/// counts, methods; [`Timings`]), `bias_correction`, `lag_order`, `lndet`,
/// `information` ("none" when not recorded), then every other entry of [`Model::info`] and of
/// [`Model::extras`] under its own key (a key already written keeps its first value). NaN and
/// infinities are written as `null`.
impl serde::Serialize for Model {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        /// The coefficients as a map term → {estimate, std_error, z, p}.
        struct Coefs<'a>(&'a [Coef]);
        impl serde::Serialize for Coefs<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().map(|c| (&c.term, c)))
            }
        }
        const SETTINGS: [&str; 4] = ["bias_correction", "lag_order", "lndet", "information"];
        const FIXED: [&str; 18] = [
            "timings",
            "model",
            "fe",
            "depvar",
            "n",
            "t",
            "nobs",
            "coefficients",
            "terms",
            "sigma2",
            "loglik",
            "r2",
            "corr2",
            "aic",
            "bic",
            "n_params",
            "vcov",
            "warnings",
        ];
        let k = self.coefficients.len();
        let vcov: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| self.vcov.get(i * k + j).copied().unwrap_or(f64::NAN))
                    .collect()
            })
            .collect();
        let terms: Vec<&str> = self.coefficients.iter().map(|c| c.term.as_str()).collect();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", self.kind.name())?;
        m.serialize_entry("fe", self.fe.name())?;
        m.serialize_entry("depvar", &self.depvar)?;
        m.serialize_entry("n", &self.n)?;
        m.serialize_entry("t", &self.t)?;
        m.serialize_entry("nobs", &self.nobs())?;
        m.serialize_entry("coefficients", &Coefs(&self.coefficients))?;
        m.serialize_entry("terms", &terms)?;
        m.serialize_entry("sigma2", &self.sigma2)?;
        m.serialize_entry("loglik", &self.loglik)?;
        m.serialize_entry("r2", &self.r2)?;
        m.serialize_entry("corr2", &self.corr2)?;
        m.serialize_entry("aic", &self.aic())?;
        m.serialize_entry("bic", &self.bic())?;
        m.serialize_entry("n_params", &self.n_params)?;
        m.serialize_entry("vcov", &vcov)?;
        m.serialize_entry("warnings", &self.warnings)?;
        if !self.timings.is_empty() {
            m.serialize_entry("timings", &self.timings)?;
        }
        for key in SETTINGS {
            m.serialize_entry(key, self.info.get(key).map_or("none", String::as_str))?;
        }
        let written = |key: &str| FIXED.contains(&key) || SETTINGS.contains(&key);
        for (key, v) in self.info.iter().filter(|(key, _)| !written(key)) {
            m.serialize_entry(key, v)?;
        }
        for (key, v) in self
            .extras
            .iter()
            .filter(|(key, _)| !written(key) && !self.info.contains_key(*key))
        {
            m.serialize_entry(key, v)?;
        }
        m.end()
    }
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head = [
            ("N", self.n.to_string()),
            ("T", self.t.to_string()),
            ("Obs", self.nobs().to_string()),
            ("sigma2", fmt_num(self.sigma2, 6)),
            ("Log lik.", fmt_num(self.loglik, 4)),
            ("R2", fmt_num(self.r2, 4)),
            ("corr2", fmt_num(self.corr2, 4)),
            ("AIC", fmt_num(self.aic(), 3)),
            ("BIC", fmt_num(self.bic(), 3)),
        ];
        let tab = self.coef_table();
        writeln!(f, "{}", tab.title)?;
        for pair in head.chunks(3) {
            let line: Vec<String> = pair.iter().map(|(k, v)| format!("{k:<9}= {v:>12}")).collect();
            writeln!(f, "  {}", line.join("    "))?;
        }
        let re: Vec<String> = self
            .random_effects_components()
            .into_iter()
            .map(|(k, v)| format!("{k} = {}", fmt_num(v, 6)))
            .collect();
        if !re.is_empty() {
            writeln!(f, "  random effects: {}", re.join(", "))?;
        }
        let mut body = tab;
        body.title.clear();
        write!(f, "{}", body.to_text())?;
        let info: Vec<String> = self.info.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        if !info.is_empty() {
            writeln!(f, "{}", info.join("; "))?;
        }
        writeln!(f, "*** p<0.01, ** p<0.05, * p<0.1")?;
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}
