//! Tests of the joint significance of the fixed effects (docs/methods.md §5): likelihood-ratio tests
//! (Elhorst) and the F tests of plm's `pFtest`.
//!
//! ```text
//! LR_spatialFE = −2(logL_time − logL_twoway) ~ χ²(N)    (individual effects given time effects)
//! LR_timeFE    = −2(logL_ind  − logL_twoway) ~ χ²(T)    (time effects given individual effects)
//! LR vs pooled = −2(logL_pooled − logL_fe)    ~ χ²(N), χ²(T)
//! F            = [(SSE_pooled − SSE_fe)/df1] / [SSE_fe/df2]
//!                df1 = N−1, T−1, N+T−2;  df2 = NT − K − (N, T, N+T−1)
//! ```
//!
//! The LR degrees of freedom are N and T by default (Elhorst, and the papers that follow him);
//! [`FeDf::Exact`] uses the number of extra free parameters N−1 and T−1 (as the produc
//! reference values do).

use super::formula::Design;
use super::ols::{ols, OlsFit};
use super::within::Fe;
use crate::error::{Error, Result};
use crate::report::table::{Cell, Table};
use crate::stats::p_chi2;
use statrs::distribution::{ContinuousCDF, FisherSnedecor};

/// A test statistic with its degrees of freedom and p-value. Serialises as `{name, statistic,
/// df, df2, p}` (`df2` null unless an F test), plus `params` (the parameters compared, e.g. by
/// the Hausman test), `distribution` and `warnings` when set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SpecTest {
    /// Short name (e.g. `lr_individual_given_time`, `lm_lag`).
    pub name: String,
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom (numerator df for F tests).
    pub df: f64,
    /// Denominator degrees of freedom of an F test.
    pub df2: Option<f64>,
    /// Upper-tail p-value.
    pub p: f64,
    /// The parameters the test is about (e.g. those a Hausman test compares); empty when the
    /// name says it all.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    /// The reference distribution when it is not χ²(df) or F (e.g. `"N(0,1), one-sided"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<String>,
    /// Warnings about the statistic (e.g. a covariance difference that is not positive definite).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl SpecTest {
    /// A χ²(df) test.
    pub fn chi2(name: impl Into<String>, statistic: f64, df: f64) -> SpecTest {
        SpecTest {
            name: name.into(),
            statistic,
            df,
            df2: None,
            p: p_chi2(statistic, df),
            params: Vec::new(),
            distribution: None,
            warnings: Vec::new(),
        }
    }
    /// An F(df1, df2) test.
    pub fn f(name: impl Into<String>, statistic: f64, df1: f64, df2: f64) -> SpecTest {
        let p = match FisherSnedecor::new(df1, df2) {
            Ok(d) if statistic.is_finite() => d.sf(statistic.max(0.0)),
            _ => f64::NAN,
        };
        SpecTest {
            name: name.into(),
            statistic,
            df: df1,
            df2: Some(df2),
            p,
            params: Vec::new(),
            distribution: None,
            warnings: Vec::new(),
        }
    }
    /// A table row: label ([`crate::report::labels::label_or_name`]), statistic, df, df2, p.
    pub fn row(&self) -> Vec<Cell> {
        let df = |v: f64| {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                Cell::Int(v as i64)
            } else {
                Cell::Num(v)
            }
        };
        vec![
            crate::report::labels::label_or_name(&self.name).into(),
            Cell::Stat(self.statistic),
            df(self.df),
            self.df2.map_or(Cell::Empty, df),
            Cell::P(if self.statistic.is_finite() { self.p } else { f64::NAN }),
        ]
    }

    /// A one-row table (test, statistic, df, df2, p) of [`SpecTest::row`], with the compared
    /// parameters, the distribution and the warnings as notes.
    pub fn to_table(&self) -> Table {
        let mut t = Table::new("", ["test", "statistic", "df", "df2", "p"].map(String::from).to_vec());
        t.push(self.row());
        for note in self.notes() {
            t.note(note);
        }
        t
    }

    /// The notes printed under the test: compared parameters, distribution, warnings.
    pub fn notes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.params.is_empty() {
            out.push(format!("compared: {}", self.params.join(", ")));
        }
        if let Some(d) = &self.distribution {
            out.push(format!("distribution: {d}"));
        }
        out.extend(self.warnings.iter().map(|w| format!("warning: {w}")));
        out
    }
}

/// `name: statistic = …, df = …, p = …` (4 decimals; p as tables print it, `0.000`).
impl std::fmt::Display for SpecTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: statistic = {}, df = {}, p = {}",
            self.name,
            crate::report::table::fmt_num(self.statistic, 4),
            self.df,
            crate::report::table::fmt_p(self.p, crate::report::table::PFormat::Fixed)
        )?;
        for note in self.notes() {
            write!(f, "\n  {note}")?;
        }
        Ok(())
    }
}

/// Degrees of freedom of the LR tests of the fixed effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeDf {
    /// N and T (Elhorst; docs/methods.md §10 default).
    #[default]
    Elhorst,
    /// N − 1 and T − 1 (the number of extra free parameters).
    Exact,
}

impl FeDf {
    /// The label printed under the table.
    pub fn name(self) -> &'static str {
        match self {
            FeDf::Elhorst => "N,T",
            FeDf::Exact => "N-1,T-1",
        }
    }
}

/// Options of [`fe_tests`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FeTestOptions {
    /// df convention of the LR tests.
    pub df: FeDf,
}

/// The fixed-effects tests of one formula.
#[derive(Debug, Clone, PartialEq)]
pub struct FeTests {
    /// In order: `lr_individual_given_time` (Elhorst LR_spatialFE), `lr_time_given_individual`
    /// (LR_timeFE), `lr_individual_vs_pooled`, `lr_time_vs_pooled`, `f_individual_vs_pooled`,
    /// `f_time_vs_pooled`, `f_twoways_vs_pooled`.
    pub tests: Vec<SpecTest>,
    /// Log-likelihoods of the pooled, individual, time and two-way OLS fits.
    pub loglik: [f64; 4],
    /// Residual sums of squares of the same fits.
    pub sse: [f64; 4],
    /// df convention used by the LR tests.
    pub df: FeDf,
    /// N and T.
    pub n: usize,
    /// Periods T.
    pub t: usize,
}

impl FeTests {
    /// The test called `name`.
    pub fn get(&self, name: &str) -> Option<&SpecTest> {
        self.tests.iter().find(|t| t.name == name)
    }

    /// A table: test, statistic, df, df2, p; notes give the df convention.
    pub fn table(&self) -> Table {
        let mut tab = Table::new(
            "Tests of the joint significance of the fixed effects",
            ["test", "statistic", "df", "df2", "p"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
        for t in &self.tests {
            tab.push(t.row());
        }
        tab.note(format!(
            "LR = -2 (logL_restricted - logL_unrestricted) of OLS fits (sigma2 = e'e/NT); LR df convention: {} (N = {}, T = {})",
            self.df.name(),
            self.n,
            self.t
        ));
        tab.note(
            "LR individual FE (given time FE) = Elhorst's LR test of spatial fixed effects (time vs two-way FE); \
             LR time FE (given individual FE) = his LR test of time fixed effects",
        );
        tab.note("F tests as plm pFtest: df1 = N-1, T-1, N+T-2; df2 = NT - K - absorbed effects");
        tab
    }
}

/// LR and F tests of the fixed effects of `design` (docs/methods.md §5), from the pooled, individual,
/// time and two-way OLS fits.
pub fn fe_tests(design: &Design, opts: &FeTestOptions) -> Result<FeTests> {
    let (n, t) = (design.n, design.t);
    if t < 2 || n < 2 {
        return Err(Error::invalid(format!(
            "fixed-effects tests need a panel with N ≥ 2 units and T ≥ 2 periods (got N = {n}, T = {t})"
        )));
    }
    if !design.intercept {
        return Err(Error::invalid(
            "fixed-effects tests compare the pooled model with its intercept to the fixed-effects models; drop '- 1' \
             ('+ 0') from the formula",
        ));
    }
    for fe in [Fe::Individual, Fe::Time, Fe::TwoWays] {
        if let Some((_, note)) = design.for_fe(fe)?.1.into_iter().find(|(k, _)| k == "absorbed_terms") {
            return Err(Error::invalid(format!(
                "fixed-effects tests compare models with the same regressors, but under the {} fixed effects {note}; \
                 drop that factor from the formula",
                fe.name()
            )));
        }
    }
    let fits: Vec<OlsFit> = [Fe::None, Fe::Individual, Fe::Time, Fe::TwoWays]
        .iter()
        .map(|&fe| ols(design, fe))
        .collect::<Result<_>>()?;
    let ll: Vec<f64> = fits.iter().map(|f| f.model.loglik).collect();
    let sse: Vec<f64> = fits.iter().map(|f| f.sse).collect();
    let (dn, dt) = match opts.df {
        FeDf::Elhorst => (n as f64, t as f64),
        FeDf::Exact => ((n - 1) as f64, (t - 1) as f64),
    };
    let nobs = (n * t) as f64;
    let k = design.x.len() as f64;
    let f_test = |name: &str, i: usize, df1: f64, absorbed: f64| {
        let df2 = nobs - k - absorbed;
        SpecTest::f(name, ((sse[0] - sse[i]) / df1) / (sse[i] / df2), df1, df2)
    };
    let tests = vec![
        SpecTest::chi2("lr_individual_given_time", -2.0 * (ll[2] - ll[3]), dn),
        SpecTest::chi2("lr_time_given_individual", -2.0 * (ll[1] - ll[3]), dt),
        SpecTest::chi2("lr_individual_vs_pooled", -2.0 * (ll[0] - ll[1]), dn),
        SpecTest::chi2("lr_time_vs_pooled", -2.0 * (ll[0] - ll[2]), dt),
        f_test("f_individual_vs_pooled", 1, (n - 1) as f64, n as f64),
        f_test("f_time_vs_pooled", 2, (t - 1) as f64, t as f64),
        f_test("f_twoways_vs_pooled", 3, (n + t - 2) as f64, (n + t - 1) as f64),
    ];
    Ok(FeTests {
        tests,
        loglik: [ll[0], ll[1], ll[2], ll[3]],
        sse: [sse[0], sse[1], sse[2], sse[3]],
        df: opts.df,
        n,
        t,
    })
}
