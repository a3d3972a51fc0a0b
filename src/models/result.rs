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
}

impl ModelKind {
    /// Parses `"ols"`, `"sar"`, `"sem"`, `"sdm"`, `"sdem"`, `"slx"`.
    pub fn parse(s: &str) -> crate::Result<ModelKind> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "ols" => ModelKind::Ols,
            "sar" | "slm" | "lag" => ModelKind::Sar,
            "sem" | "error" => ModelKind::Sem,
            "sdm" | "durbin" => ModelKind::Sdm,
            "sdem" => ModelKind::Sdem,
            "slx" => ModelKind::Slx,
            _ => {
                return Err(crate::Error::invalid(format!(
                    "unknown model '{s}'; valid: \"ols\", \"sar\", \"sem\", \"sdm\", \"sdem\", \"slx\""
                )))
            }
        })
    }
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Ols => "ols",
            ModelKind::Sar => "sar",
            ModelKind::Sem => "sem",
            ModelKind::Sdm => "sdm",
            ModelKind::Sdem => "sdem",
            ModelKind::Slx => "slx",
        }
    }
}

/// One estimated coefficient.
#[derive(Debug, Clone, PartialEq)]
pub struct Coef {
    /// Term name: a regressor, `"W*x"` for a lagged regressor, `"rho"`, `"lambda"`, `"(intercept)"`.
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
    /// Named choices (e.g. `bias_correction`, `lag_order`, `lndet`, `information`, `se`).
    pub info: BTreeMap<String, String>,
    /// Warnings raised during estimation (e.g. ρ on the interval bound).
    pub warnings: Vec<String>,
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
                Cell::Text(fmt_stat(if c.z.is_finite() { c.p } else { f64::NAN }, 3)),
                Cell::Text(stars_for(c.z, c.p).into()),
            ]);
        }
        t
    }

    /// The JSON form of API.md: `model`, `fe`, `depvar`, `n`, `t`, `nobs`, `bias_correction`,
    /// `lag_order`, `lndet`, `coefficients` (term → {estimate, std_error, z, p}), `terms` (in
    /// order), `sigma2`, `loglik`, `r2`, `corr2`, `aic`, `bic`, `vcov`, plus extras, info and
    /// warnings.
    pub fn to_json_value(&self) -> serde_json::Value {
        use crate::report::table::num_json;
        use serde_json::{json, Map, Value};
        let mut coefs = Map::new();
        for c in &self.coefficients {
            coefs.insert(
                c.term.clone(),
                json!({"estimate": num_json(c.estimate), "std_error": num_json(c.std_error),
                       "z": num_json(c.z), "p": num_json(c.p)}),
            );
        }
        let k = self.coefficients.len();
        let vcov: Vec<Value> = (0..k)
            .map(|i| {
                Value::Array(
                    (0..k)
                        .map(|j| num_json(self.vcov.get(i * k + j).copied().unwrap_or(f64::NAN)))
                        .collect(),
                )
            })
            .collect();
        let mut m = json!({
            "model": self.kind.name(),
            "fe": self.fe.name(),
            "depvar": self.depvar,
            "n": self.n,
            "t": self.t,
            "nobs": self.nobs(),
            "coefficients": coefs,
            "terms": self.coefficients.iter().map(|c| c.term.clone()).collect::<Vec<_>>(),
            "sigma2": num_json(self.sigma2),
            "loglik": num_json(self.loglik),
            "r2": num_json(self.r2),
            "corr2": num_json(self.corr2),
            "aic": num_json(self.aic()),
            "bic": num_json(self.bic()),
            "n_params": self.n_params,
            "vcov": vcov,
            "warnings": self.warnings,
        });
        if let Value::Object(obj) = &mut m {
            for key in ["bias_correction", "lag_order", "lndet", "information"] {
                let v = self.info.get(key).cloned().unwrap_or_else(|| "none".into());
                obj.insert(key.into(), json!(v));
            }
            for (k2, v) in &self.info {
                obj.entry(k2.clone()).or_insert(json!(v));
            }
            for (k2, v) in &self.extras {
                obj.entry(k2.clone()).or_insert(num_json(*v));
            }
        }
        m
    }

    /// A one-line title such as "SDM, two-way fixed effects: y".
    pub fn title(&self) -> String {
        let fe = match self.fe {
            Fe::None => "pooled",
            Fe::Individual => "individual (unit) fixed effects",
            Fe::Time => "time fixed effects",
            Fe::TwoWays => "two-way fixed effects",
        };
        let kind = match self.kind {
            ModelKind::Ols => "OLS",
            ModelKind::Sar => "Spatial lag (SAR)",
            ModelKind::Sem => "Spatial error (SEM)",
            ModelKind::Sdm => "Spatial Durbin (SDM)",
            ModelKind::Sdem => "Spatial Durbin error (SDEM)",
            ModelKind::Slx => "SLX",
        };
        format!("{kind}, {fe}: {}", self.depvar)
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
