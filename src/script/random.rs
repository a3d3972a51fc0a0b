//! Random-effects bindings: the `method` option of `ols(..., #{fe: "random"})`, the
//! variance-component fields of a random-effects Model (`sigma2_mu`, `theta`, `phi`), the
//! Hausman test (`hausman`), the Baltagi–Song–Koh LM tests (`bsktest`, `bsk_tests`) and the
//! Baltagi–Song–Jung–Koh tests (`bsjktest`, `bsjk_tests`; also `bsktest` tests "bsjk_j", …).

use super::convert::STable;
use super::models::{Data, SModel, STest};
use super::options::Opts;
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::models::bsjk::BsjkTest;
use crate::models::bsk::{BskConvention, BskTest};
use crate::models::fe_tests::SpecTest;
use crate::models::hausman::{HausmanConvention, HausmanCovariance, HausmanOptions, HausmanParams, HausmanSigma};
use crate::models::Fe;
use crate::report::table::{Cell, Table};
use rhai::plugin::*;
use rhai::{Dynamic, Map, FLOAT};
use std::sync::Arc;

/// The options of `hausman`.
pub(crate) const HAUSMAN_KEYS: [&str; 5] = ["params", "sign", "convention", "covariance", "sigma"];
/// The options of `bsktest`.
pub(crate) const BSKTEST_KEYS: [&str; 4] = ["test", "convention", "fe", "id"];
/// The options of `bsk_tests`.
pub(crate) const BSK_TESTS_KEYS: [&str; 4] = ["tests", "convention", "fe", "id"];
/// The options of `bsjk_tests`.
pub(crate) const BSJK_TESTS_KEYS: [&str; 3] = ["convention", "fe", "id"];

/// A test of the BSK family by name: the BSK tests ("LM1", …, "CLMmu") and the BSJK tests under
/// their family names ("bsjk_j", "bsjk_c1", "bsjk_c2", "bsjk_c3"; docs/methods.md §13.3).
#[derive(Debug, Clone, Copy)]
enum FamilyTest {
    Bsk(BskTest),
    Bsjk(BsjkTest),
}

fn family_names() -> Vec<&'static str> {
    BskTest::ALL
        .iter()
        .map(|t| t.name())
        .chain(BsjkTest::ALL.iter().map(|t| t.family_name()))
        .collect()
}

fn family_test(name: &str) -> Option<FamilyTest> {
    BskTest::ALL
        .into_iter()
        .find(|t| t.name() == name)
        .map(FamilyTest::Bsk)
        .or_else(|| {
            BsjkTest::ALL
                .into_iter()
                .find(|t| t.family_name() == name)
                .map(FamilyTest::Bsjk)
        })
}

fn run_family(
    design: &crate::models::Design,
    w: &SWeights,
    test: FamilyTest,
    conv: BskConvention,
) -> crate::Result<SpecTest> {
    match test {
        FamilyTest::Bsk(t) => crate::models::bsk::bsk_test(design, &w.0, t, conv),
        FamilyTest::Bsjk(t) => crate::models::bsjk::bsjk_test(design, &w.0, t, conv),
    }
}

/// The Table (test, statistic, df, p, distribution) of BSK-family tests.
fn test_table(title: String, tests: &[SpecTest]) -> STable {
    let mut tab = Table::new(
        title,
        ["test", "statistic", "df", "p", "distribution"]
            .map(String::from)
            .to_vec(),
    );
    for t in tests {
        let df = if t.df.is_finite() {
            Cell::Int(t.df as i64)
        } else {
            Cell::Empty
        };
        tab.push(vec![
            crate::report::labels::label_or_name(&t.name).into(),
            Cell::Stat(t.statistic),
            df,
            Cell::P(t.p),
            t.distribution
                .clone()
                .unwrap_or_else(|| format!("chi2({})", t.df))
                .into(),
        ]);
    }
    STable(Arc::new(tab))
}

/// A variance-component field of a random-effects model, else an error naming the field.
fn re_field(m: &SModel, key: &str) -> RResult<FLOAT> {
    let model = m.0.model();
    if model.fe != Fe::Random {
        return Err(script_err(format!(
            "m.{key}: the model has fe \"{}\"; {key} belongs to random-effects models (fe: \"random\")",
            model.fe.name()
        )));
    }
    model
        .extras
        .get(key)
        .copied()
        .ok_or_else(|| script_err(format!("m.{key}: this model does not record {key}")))
}

fn hausman_options(opts: &Map) -> RResult<HausmanOptions> {
    let o = Opts::new(opts, "hausman", &HAUSMAN_KEYS)?;
    let params = match o.choice("params", "all_common", &["all_common", "slopes"])?.as_str() {
        "slopes" => HausmanParams::Slopes,
        _ => HausmanParams::AllCommon,
    };
    let convention = match o
        .choice("convention", "spillover", &["spillover", "plm", "splm", "stata"])?
        .as_str()
    {
        "plm" => HausmanConvention::Plm,
        "splm" => HausmanConvention::Splm,
        "stata" => HausmanConvention::Stata,
        _ => HausmanConvention::Spillover,
    };
    let covariance = match o.choice("covariance", "classical", &["classical", "robust"])?.as_str() {
        "robust" => HausmanCovariance::Robust,
        _ => HausmanCovariance::Classical,
    };
    let sigma = match o.choice("sigma", "own", &["own", "more", "less"])?.as_str() {
        "more" => HausmanSigma::More,
        "less" => HausmanSigma::Less,
        _ => HausmanSigma::Own,
    };
    // plm and splm report |H|; with convention "splm", sign: "signed" keeps the sign.
    let sign_default = if convention == HausmanConvention::Splm {
        "abs"
    } else {
        "signed"
    };
    let abs = o.choice("sign", sign_default, &["signed", "abs"])? == "abs" || convention == HausmanConvention::Plm;
    Ok(HausmanOptions {
        params,
        abs,
        convention,
        covariance,
        sigma,
    })
}

fn bsk_convention(o: &Opts) -> RResult<BskConvention> {
    Ok(match o.choice("convention", "paper", &["paper", "splm"])?.as_str() {
        "splm" => BskConvention::Splm,
        _ => BskConvention::Paper,
    })
}

/// The design of a BSK call (pooled: `fe` may only be "none").
fn bsk_design(data: &Dynamic, formula: &str, w: &SWeights, o: &Opts, func: &str) -> RResult<crate::models::Design> {
    if let Some(fe) = o.str("fe")? {
        if fe != "none" && fe != "pooled" {
            return Err(script_err(format!(
                "{func}: the BSK tests work on the pooled regression (their nulls are no random effects and no \
                 spatial error); fe must be \"none\", got \"{fe}\""
            )));
        }
    }
    let d = Data::from_dynamic(data, o.str("id")?, func)?;
    d.design(formula, Some(&w.0), func)
}

/// Random effects: variance components, Hausman and BSK tests.
#[export_module(root = "crate::script::guarded")]
pub mod random_fns {
    use super::*;

    /// σ̂²_μ, the variance of the individual effects, of a random-effects model (`fe: "random"`).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let m = ols(p, "gsp ~ pcap + pc + emp", #{fe: "random"});
    /// print(`sigma2_mu = ${m.sigma2_mu}, sigma2_idios = ${m.sigma2}`);
    /// ```
    #[rhai_fn(get = "sigma2_mu", return_raw, pure)]
    pub fn sigma2_mu(m: &mut SModel) -> RResult<FLOAT> {
        re_field(m, "sigma2_mu")
    }

    /// θ = 1 − (1 + Tφ)^(−1/2) of a random-effects model, the share of the unit mean removed by
    /// the quasi-demeaning (plm's and Stata's theta).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// print(ols(p, "gsp ~ pcap + pc + emp", #{fe: "random"}).theta);
    /// ```
    #[rhai_fn(get = "theta", return_raw, pure)]
    pub fn theta(m: &mut SModel) -> RResult<FLOAT> {
        re_field(m, "theta")
    }

    /// φ = σ²_μ/σ²_ν of a random-effects model (with `method: "ml"` also a coefficient with its
    /// standard error, `m.coef("phi")`).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let m = ols(p, "gsp ~ pcap + pc + emp", #{fe: "random", method: "ml"});
    /// print(`phi = ${m.phi} (se ${m.coef("phi").std_error})`);
    /// ```
    #[rhai_fn(get = "phi", return_raw, pure)]
    pub fn phi(m: &mut SModel) -> RResult<FLOAT> {
        re_field(m, "phi")
    }

    /// Hausman test of a fixed-effects model against a random-effects model of the same formula
    /// and data (docs/methods.md §12): H = d'(V_FE − V_RE)⁻¹d on the common slopes (and, for
    /// spatial models, θ and ρ/λ), reported with its sign; when V_FE − V_RE is not positive
    /// definite the Moore–Penrose inverse is used, df = its rank, and `t.warnings` says so. Options: params ("all_common" default, "slopes"), sign ("signed"
    /// default, "abs"), convention ("spillover" default, "plm": plm `phtest`, |H| with a regular
    /// inverse; "splm": `sphtest`; "stata": Stata's `hausman`, generalized inverse, df = rank),
    /// covariance ("classical" default, "robust": cluster-by-unit sandwich from both fits'
    /// per-unit scores, §12.4), sigma ("own" default, "more"/"less": Stata's
    /// sigmamore/sigmaless, non-spatial pair). A two-way fixed-effects model pairs with a
    /// random-effects model fitted with `time_dummies: true`. `t.params` lists the compared
    /// parameters.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let f = "gsp ~ pcap + pc + emp + unemp";
    /// let h = hausman(ols(p, f, #{fe: "individual"}), ols(p, f, #{fe: "random"}));
    /// print(h);
    /// print(h.params);
    /// ```
    #[rhai_fn(name = "hausman", return_raw)]
    pub fn hausman(fe_model: SModel, re_model: SModel, opts: Map) -> RResult<STest> {
        let o = hausman_options(&opts)?;
        crate::models::hausman::hausman(fe_model.0.model(), re_model.0.model(), &o)
            .map(|t| STest(Arc::new(t)))
            .map_err(core_err)
    }

    /// The parameters a test compared (Hausman), else an empty array.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let f = "gsp ~ pcap + pc";
    /// print(hausman(ols(p, f, #{fe: "individual"}), ols(p, f, #{fe: "random"})).params);
    /// ```
    #[rhai_fn(get = "params", pure)]
    pub fn test_params(t: &mut STest) -> rhai::Array {
        t.0.params.iter().map(|s| Dynamic::from(s.clone())).collect()
    }

    /// Warnings about a test statistic (e.g. a Hausman covariance difference that is not
    /// positive definite).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let f = "gsp ~ pcap + pc";
    /// for w in hausman(ols(p, f, #{fe: "individual"}), ols(p, f, #{fe: "random"})).warnings { print(w) }
    /// ```
    #[rhai_fn(get = "warnings", pure)]
    pub fn test_warnings(t: &mut STest) -> rhai::Array {
        t.0.warnings.iter().map(|s| Dynamic::from(s.clone())).collect()
    }

    /// One Baltagi–Song–Koh LM test on the pooled regression (docs/methods.md §13.2): option
    /// test "LMH" (default; joint, χ̄² mixture), "LM1" (random effects), "LM2" (spatial error),
    /// "SLM1", "SLM2" (standardised), "CLMlambda" (spatial error given random effects), "CLMmu"
    /// (random effects given a spatial error), and the Baltagi–Song–Jung–Koh tests "bsjk_j",
    /// "bsjk_c1", "bsjk_c2", "bsjk_c3" (as bsjktest's "J", "C.1", "C.2", "C.3"); convention
    /// "paper" (default: p-values as in the papers, CLM statistics as LM) or "splm" (splm's
    /// p = 2(1 − Φ(z)) and √LM). Data: a Panel; options fe ("none" only) and id as for the models.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let t = bsktest(p, "gsp ~ pcap + pc + emp", w, #{test: "LM1"});
    /// print(`${t.name}: ${t.statistic}, p = ${t.p}`);
    /// ```
    #[rhai_fn(name = "bsktest", return_raw)]
    pub fn bsktest(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<STest> {
        let o = Opts::new(&opts, "bsktest", &BSKTEST_KEYS)?;
        let which = o.choice("test", "LMH", &family_names())?;
        let test = family_test(&which).unwrap_or(FamilyTest::Bsk(BskTest::Lmh));
        let conv = bsk_convention(&o)?;
        let design = bsk_design(&data, formula, &w, &o, "bsktest")?;
        run_family(&design, &w, test, conv)
            .map(|t| STest(Arc::new(t)))
            .map_err(|e| script_err(format!("bsktest: {e}")))
    }

    /// Every Baltagi–Song–Koh test (LM1, LM2, SLM1, SLM2, LMH, CLMlambda, CLMmu) as a Table
    /// (test, statistic, df, p, distribution); options as bsktest without test, plus tests (a
    /// list of bsktest test names, e.g. ["LMH", "bsjk_j", "bsjk_c1"], to choose the rows).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let tab = bsk_tests(p, "gsp ~ pcap + pc + emp", w, #{convention: "splm"});
    /// print(tab["CLMmu"].statistic);
    /// ```
    #[rhai_fn(name = "bsk_tests", return_raw)]
    pub fn bsk_tests(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<STable> {
        let o = Opts::new(&opts, "bsk_tests", &BSK_TESTS_KEYS)?;
        let conv = bsk_convention(&o)?;
        let tests: Vec<FamilyTest> = match o.strings("tests")? {
            None => BskTest::ALL.into_iter().map(FamilyTest::Bsk).collect(),
            Some(names) => names
                .iter()
                .map(|n| {
                    family_test(n).ok_or_else(|| {
                        script_err(format!(
                            "bsk_tests: option tests: \"{n}\" is not a test; valid: {}",
                            family_names().join(", ")
                        ))
                    })
                })
                .collect::<RResult<_>>()?,
        };
        let design = bsk_design(&data, formula, &w, &o, "bsk_tests")?;
        let results = tests
            .iter()
            .map(|&t| run_family(&design, &w, t, conv))
            .collect::<crate::Result<Vec<_>>>()
            .map_err(|e| script_err(format!("bsk_tests: {e}")))?;
        Ok(test_table(
            format!("Baltagi-Song-Koh LM tests (pooled OLS; convention {})", conv.name()),
            &results,
        ))
    }

    /// One Baltagi–Song–Jung–Koh (2007) LM test on the pooled regression (docs/methods.md §13.3):
    /// option test "C.1" (default; spatial error given random effects and AR(1) serial
    /// correlation), "C.2" (serial correlation given random effects and spatial error), "C.3"
    /// (random effects given serial correlation and spatial error) or "J" (joint, χ²(3), T ≥ 3);
    /// convention "paper" (default: variance components from the ML fit of the restricted
    /// model) or "splm" (splm `bsjktest`: components from û'û/NT, its code as written). `t.params`
    /// describes the restricted fit. Options fe ("none" only) and id as for the models.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let t = bsjktest(p, "gsp ~ pcap + pc + emp", w, #{test: "J"});
    /// print(`${t.name}: ${t.statistic}, df ${t.df}, p = ${t.p}`);
    /// ```
    #[rhai_fn(name = "bsjktest", return_raw)]
    pub fn bsjktest(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<STest> {
        let o = Opts::new(&opts, "bsjktest", &BSKTEST_KEYS)?;
        let names: Vec<&str> = BsjkTest::ALL.iter().map(|t| t.name()).collect();
        let which = o.choice("test", "C.1", &names)?;
        let test = BsjkTest::ALL
            .into_iter()
            .find(|t| t.name() == which)
            .unwrap_or(BsjkTest::C1);
        let conv = bsk_convention(&o)?;
        let design = bsk_design(&data, formula, &w, &o, "bsjktest")?;
        crate::models::bsjk::bsjk_test(&design, &w.0, test, conv)
            .map(|t| STest(Arc::new(t)))
            .map_err(|e| script_err(format!("bsjktest: {e}")))
    }

    /// Every Baltagi–Song–Jung–Koh test (J, C.1, C.2, C.3) as a Table (test, statistic, df, p,
    /// distribution); options as bsjktest without test.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let w = read_weights("examples/data/produc/weights.csv");
    /// let tab = bsjk_tests(p, "gsp ~ pcap + pc + emp", w, #{convention: "splm"});
    /// print(tab["C.3"].statistic);
    /// ```
    #[rhai_fn(name = "bsjk_tests", return_raw)]
    pub fn bsjk_tests(data: Dynamic, formula: &str, w: SWeights, opts: Map) -> RResult<STable> {
        let o = Opts::new(&opts, "bsjk_tests", &BSJK_TESTS_KEYS)?;
        let conv = bsk_convention(&o)?;
        let design = bsk_design(&data, formula, &w, &o, "bsjk_tests")?;
        let tests =
            crate::models::bsjk::bsjk_tests(&design, &w.0, conv).map_err(|e| script_err(format!("bsjk_tests: {e}")))?;
        Ok(test_table(
            format!(
                "Baltagi-Song-Jung-Koh LM tests (pooled regression; convention {})",
                conv.name()
            ),
            &tests,
        ))
    }
}

rhai::def_package! {
    /// Random effects: variance components, Hausman and BSK tests.
    pub RandomPackage(lib) {
        rhai::combine_with_exported_module!(lib, "random", random_fns);
        without_options! { lib;
            /// Hausman test with default options (signed statistic, all common parameters).
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let f = "gsp ~ pcap + pc + emp";
            /// print(hausman(ols(p, f, #{fe: "individual"}), ols(p, f, #{fe: "random"})));
            /// ```
            hausman(fe_model: SModel, re_model: SModel) -> STest = random_fns::hausman;
            /// The LMH test with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(bsktest(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            bsktest(data: Dynamic, formula: &str, w: SWeights) -> STest = random_fns::bsktest;
            /// Every BSK test with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(bsk_tests(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            bsk_tests(data: Dynamic, formula: &str, w: SWeights) -> STable = random_fns::bsk_tests;
            /// The C.1 test with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(bsjktest(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            bsjktest(data: Dynamic, formula: &str, w: SWeights) -> STest = random_fns::bsjktest;
            /// Every BSJK test with default options.
            /// ```rhai
            /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
            /// let w = read_weights("examples/data/produc/weights.csv");
            /// print(bsjk_tests(p, "gsp ~ pcap + pc + emp", w));
            /// ```
            bsjk_tests(data: Dynamic, formula: &str, w: SWeights) -> STable = random_fns::bsjk_tests;
        }
    }
}
