//! Random effects (docs/methods.md §11.1), the Hausman test (§12) and the Baltagi–Song–Koh LM
//! tests (§13.2) against plm and splm on insurance (tests/fixtures/insurance, splm's
//! `Insurance` with `itaww`) and produc (docs/methods.md Appendix F), at the tolerances of the
//! reference README: 1e−8 closed forms, 1e−5 ML optima, 1e−4 numerical-Hessian SEs, 1e−3 the
//! splm conventions.

use crate::common::{assert_abs, assert_close, expected, fixture, weights_in_order};
use crate::sandbox::Sandbox;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::Panel;
use spillover::models::bsk::{bsk_test, BskConvention, BskTest};
use spillover::models::hausman::{hausman, HausmanConvention, HausmanOptions, HausmanParams};
use spillover::models::ols::ols;
use spillover::models::random::{random_effects, ReMethod};
use spillover::models::{Design, Fe, Formula, Model};

use crate::common::INSURANCE_F;
const INSURANCE_X: [&str; 8] = ["lrgdp", "lbank", "lden", "rirs", "lagen", "school", "vaagr", "fam"];
const PRODUC_X: [&str; 4] = ["lpcap", "lpc", "lemp", "unemp"];

fn insurance() -> Design {
    crate::common::insurance_design()
}

fn insurance_w(d: &Design) -> spillover::weights::Weights {
    weights_in_order(&fixture("insurance/weights.csv"), &d.ids)
}

fn produc() -> Design {
    crate::common::produc_log_design()
}

/// Reference name of a coefficient: "(Intercept)" in the references.
fn ref_term(term: &str) -> &str {
    if term == "(intercept)" {
        "(Intercept)"
    } else {
        term
    }
}

fn check_coefs(m: &Model, prefix: &str, terms: &[&str], rel_coef: f64, rel_se: f64) {
    for term in std::iter::once("(intercept)").chain(terms.iter().copied()) {
        let c = m.coef(term).unwrap_or_else(|| panic!("no term {term}"));
        let r = ref_term(term);
        assert_close(
            &format!("{prefix}.coef[{r}]"),
            c.estimate,
            expected("insurance", &format!("{prefix}.coef[{r}]")),
            rel_coef,
        );
        assert_close(
            &format!("{prefix}.se[{r}]"),
            c.std_error,
            expected("insurance", &format!("{prefix}.se[{r}]")),
            rel_se,
        );
    }
}

#[test]
fn swamy_arora_matches_plm_on_insurance() {
    let fit = random_effects(&insurance(), ReMethod::SwamyArora).unwrap();
    check_coefs(&fit.model, "RE.plm", &INSURANCE_X, 1e-8, 1e-8);
    assert_close(
        "sigma2_idios",
        fit.sigma2_idios,
        expected("insurance", "RE.plm.sigma2_idios"),
        1e-8,
    );
    assert_close(
        "sigma2_id",
        fit.sigma2_mu,
        expected("insurance", "RE.plm.sigma2_id"),
        1e-8,
    );
    assert_close("theta", fit.theta, expected("insurance", "RE.plm.theta"), 1e-8);
    let m = &fit.model;
    assert_eq!(m.fe, Fe::Random);
    assert_eq!(m.extras["sigma2_mu"], fit.sigma2_mu);
    assert_eq!(m.extras["theta"], fit.theta);
    assert_eq!(m.n_params, 9 + 2);
    // The variance components are printed and in the JSON form.
    let text = m.to_string();
    assert!(text.contains("sigma2_mu = ") && text.contains("theta = "), "{text}");
    let json = m.to_json_value();
    assert_eq!(json["fe"], "random");
    assert!(json["sigma2_idios"].as_f64().is_some() && json["theta"].as_f64().is_some());
}

#[test]
fn maximum_likelihood_matches_splm_remod_on_insurance() {
    let fit = random_effects(&insurance(), ReMethod::Ml).unwrap();
    let m = &fit.model;
    // β and its GLS covariance at the exact optimum (reown = splm to 1e−8).
    check_coefs(m, "RE.ML", &INSURANCE_X, 1e-5, 1e-5);
    assert_close("phi", fit.phi, expected("insurance", "RE.ML.phi"), 1e-5);
    assert_close("sigma2", fit.sigma2_idios, expected("insurance", "RE.ML.sigma2"), 1e-5);
    assert_close(
        "sigma2_mu",
        fit.sigma2_mu,
        expected("insurance", "RE.ML.sigma2_mu"),
        1e-5,
    );
    assert_close("logLik", m.loglik, expected("insurance", "RE.ML.logLik"), 1e-8);
    let phi = m.coef("phi").unwrap();
    assert_close("phi.se", phi.std_error, expected("insurance", "RE.ML.phi.se"), 1e-4);
    assert_eq!(phi.estimate, fit.phi);
    // intercept + 8 slopes + phi and sigma2.
    assert_eq!(m.n_params, 9 + 2);
}

#[test]
fn produc_random_effects_match_appendix_f() {
    let d = produc();
    let sa = random_effects(&d, ReMethod::SwamyArora).unwrap();
    assert_close("SA sigma2_nu", sa.sigma2_idios, 0.00145443522, 1e-8);
    assert_close("SA sigma2_mu", sa.sigma2_mu, 0.00683771932, 1e-8);
    assert_close("SA theta", sa.theta, 0.888835285, 1e-8);
    let beta = [2.135411002, 0.004438588468, 0.3105484342, 0.7296705326, -0.006172473013];
    let se = [0.133461488, 0.023417317, 0.0198047478, 0.0249202192, 0.00090728202];
    for (j, c) in sa.model.coefficients.iter().enumerate() {
        assert_close(&format!("SA beta {}", c.term), c.estimate, beta[j], 1e-8);
        assert_close(&format!("SA se {}", c.term), c.std_error, se[j], 1e-8);
    }
    let ml = random_effects(&d, ReMethod::Ml).unwrap();
    let beta = [2.14386583, 0.00314439036, 0.309811153, 0.731337204, -0.00613817816];
    for (j, b) in beta.iter().enumerate() {
        let c = &ml.model.coefficients[j];
        assert_close(&format!("ML beta {}", c.term), c.estimate, *b, 1e-5);
    }
    assert_close("ML phi", ml.phi, 5.00052921, 1e-5);
    // splm's 1.09634277 comes from nlme::fdHess; the exact curvature of ℓc(ln φ) gives
    // 1.0967445 (second differences of ℓc at h = 1e−2 … 3e−4 agree to 3e−7), 3.7e−4 above it.
    let se_phi = ml.model.coef("phi").unwrap().std_error;
    assert_close("ML se(phi) vs splm", se_phi, 1.09634277, 1e-3);
    assert_close("ML se(phi) exact", se_phi, 1.0967445, 1e-6);
    assert_close("ML sigma2", ml.sigma2_idios, 0.00145036091, 1e-5);
    assert_close("ML logLik", ml.model.loglik, 1401.90399, 1e-8);
}

#[test]
fn hausman_reproduces_phtest_on_insurance_and_produc() {
    let d = insurance();
    let fe = ols(&d, Fe::Individual).unwrap().model;
    let re = random_effects(&d, ReMethod::SwamyArora).unwrap().model;
    let plm = HausmanOptions {
        convention: HausmanConvention::Plm,
        abs: true,
        ..Default::default()
    };
    let t = hausman(&fe, &re, &plm).unwrap();
    assert_close("phtest.stat", t.statistic, expected("insurance", "phtest.stat"), 1e-8);
    assert_eq!(t.df, expected("insurance", "phtest.df"));
    assert_close("phtest.p", t.p, expected("insurance", "phtest.p"), 1e-6);
    assert_eq!(t.params, INSURANCE_X.to_vec());
    // Default: the same statistic with its sign; V_FE − V_RE is indefinite on insurance, so the
    // Moore–Penrose inverse (here the regular one: V is not singular), df = rank, a warning.
    let signed = hausman(&fe, &re, &HausmanOptions::default()).unwrap();
    assert_close("signed", signed.statistic, t.statistic, 1e-10);
    assert_eq!(signed.df, 8.0);
    assert!(
        signed.warnings.iter().any(|w| w.contains("not positive definite")),
        "{:?}",
        signed.warnings
    );
    let slopes = HausmanOptions {
        params: HausmanParams::Slopes,
        ..Default::default()
    };
    assert_eq!(hausman(&fe, &re, &slopes).unwrap().statistic, signed.statistic);

    // produc (Appendix F.2): 9.52541563 on 4 df, positive without abs.
    let d = produc();
    let fe = ols(&d, Fe::Individual).unwrap().model;
    let re = random_effects(&d, ReMethod::SwamyArora).unwrap().model;
    let t = hausman(&fe, &re, &HausmanOptions::default()).unwrap();
    assert_close("produc phtest", t.statistic, 9.52541563, 1e-8);
    assert_eq!(t.df, 4.0);
    assert_close("produc phtest p", t.p, 0.0492276, 1e-5);
    assert_eq!(t.params, PRODUC_X.to_vec());
    let plm = hausman(&fe, &re, &plm).unwrap();
    assert_close("produc phtest plm", plm.statistic, 9.52541563, 1e-8);
}

#[test]
fn hausman_refuses_incomparable_pairs() {
    let d = insurance();
    let fe = ols(&d, Fe::Individual).unwrap().model;
    let re = random_effects(&d, ReMethod::SwamyArora).unwrap().model;
    let o = HausmanOptions::default();
    // Swapped arguments.
    let e = hausman(&re, &fe, &o).unwrap_err().to_string();
    assert!(e.contains("fixed-effects model first"), "{e}");
    // Two-way fixed effects are not the counterpart of individual random effects.
    let tw = ols(&d, Fe::TwoWays).unwrap().model;
    let e = hausman(&tw, &re, &o).unwrap_err().to_string();
    assert!(e.contains("individual fixed effects"), "{e}");
    // Other data: the same formula on produc-sized other values.
    let mut other = d.clone();
    other.y[0] += 1.0;
    let re_other = random_effects(&other, ReMethod::SwamyArora).unwrap().model;
    let e = hausman(&fe, &re_other, &o).unwrap_err().to_string();
    assert!(e.contains("different data") && e.contains("lppcd"), "{e}");
    // Another formula.
    let f2 = Formula::parse("lppcd ~ lrgdp + lbank").unwrap();
    let fr = read_csv(&fixture("insurance/data.csv"), &CsvOptions::default()).unwrap();
    let d2 = Design::from_panel(&Panel::new(&fr, "id", "time").unwrap(), &f2).unwrap();
    let re2 = random_effects(&d2, ReMethod::SwamyArora).unwrap().model;
    let e = hausman(&fe, &re2, &o).unwrap_err().to_string();
    assert!(e.contains("different formulas"), "{e}");
    // A spatial fixed-effects model against a non-spatial random-effects one.
    let w = insurance_w(&d);
    let opts = spillover::models::ml::SpatialOptions::new(Fe::Individual);
    let sar = spillover::models::ml::fit_spatial(&d, &w, spillover::models::ModelKind::Sar, &opts).unwrap();
    let e = hausman(&sar.model, &re, &o).unwrap_err().to_string();
    assert!(
        e.contains("different models sar vs ols") && e.contains("weights"),
        "{e}"
    );
}

#[test]
fn bsk_tests_reproduce_splm_on_insurance() {
    let d = insurance();
    let w = insurance_w(&d);
    let splm = BskConvention::Splm;
    let get = |t: BskTest, c: BskConvention| bsk_test(&d, &w, t, c).unwrap();
    // splm's standardize = TRUE (its default in the references) is SLM1/SLM2 here.
    for (test, name) in [
        (BskTest::Slm1, "LM1"),
        (BskTest::Slm2, "LM2"),
        (BskTest::Lmh, "LMH"),
        (BskTest::ClmLambda, "CLMlambda"),
        (BskTest::ClmMu, "CLMmu"),
    ] {
        let t = get(test, splm);
        let tol = if test == BskTest::ClmMu || test == BskTest::ClmLambda {
            1e-6
        } else {
            1e-8
        };
        assert_close(
            &format!("{name}.stat"),
            t.statistic,
            expected("insurance", &format!("bsktest.{name}.stat")),
            tol,
        );
        let p = expected("insurance", &format!("bsktest.{name}.p"));
        if p == 0.0 {
            assert_abs(&format!("{name}.p"), t.p, 0.0, 1e-300);
        } else {
            assert_close(&format!("{name}.p"), t.p, p, 1e-2);
        }
    }
    for (test, name) in [(BskTest::Lm1, "LM1"), (BskTest::Lm2, "LM2")] {
        let t = get(test, splm);
        let want = expected("insurance", &format!("bsktest.{name}.unstd.stat"));
        assert_close(&format!("{name}.unstd.stat"), t.statistic, want, 1e-8);
        let p = expected("insurance", &format!("bsktest.{name}.unstd.p"));
        assert_close(&format!("{name}.unstd.p"), t.p, p, 1e-6);
    }
    // Paper conventions: one-sided LM1 (half splm's p for z > 0); LM* not square-rooted.
    let lm1 = get(BskTest::Lm1, BskConvention::Paper);
    assert_close("LM1 one-sided p", lm1.p, 0.5 * get(BskTest::Lm1, splm).p, 1e-12);
    let clm = get(BskTest::ClmMu, BskConvention::Paper);
    assert_close(
        "CLMmu = LM",
        clm.statistic,
        get(BskTest::ClmMu, splm).statistic.powi(2),
        1e-12,
    );
    assert_eq!(clm.df, 1.0);
    // Symmetrised SLM2 differs from splm's non-symmetrised variance for an asymmetric W.
    let s2 = get(BskTest::Slm2, BskConvention::Paper).statistic;
    assert!((s2 - get(BskTest::Slm2, splm).statistic).abs() > 1e-3, "{s2}");
}

#[test]
fn bsk_tests_reproduce_splm_on_produc() {
    let d = produc();
    let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
    let splm = BskConvention::Splm;
    for (test, name, tol) in [
        (BskTest::Slm1, "LM1", 1e-8),
        (BskTest::Slm2, "LM2", 1e-8),
        (BskTest::Lmh, "LMH", 1e-8),
        (BskTest::ClmLambda, "CLMlambda", 1e-6),
        (BskTest::ClmMu, "CLMmu", 1e-6),
    ] {
        let t = bsk_test(&d, &w, test, splm).unwrap();
        assert_close(
            name,
            t.statistic,
            expected("produc", &format!("bsktest.{name}.stat")),
            tol,
        );
    }
}

#[test]
fn scripts_fit_random_effects_and_refuse_what_is_not_there() {
    let data = std::fs::read(fixture("insurance/data.csv")).unwrap();
    let w = std::fs::read(fixture("insurance/weights.csv")).unwrap();
    let sb = Sandbox::new("random_effects", &[("d.csv", &data), ("w.csv", &w)]);
    let script = format!(
        "let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
         let f = \"{INSURANCE_F}\";\n\
         let w = read_weights(\"w.csv\");\n\
         let re = ols(p, f, #{{fe: \"random\"}});\n\
         let ml = ols(p, f, #{{fe: \"random\", method: \"ml\"}});\n\
         print(`theta=${{re.theta}}`);\n\
         print(`phi=${{ml.coef(\"phi\").estimate}}`);\n\
         print(`fe=${{re.fe}}`);\n\
         let h = hausman(ols(p, f, #{{fe: \"individual\"}}), re, #{{convention: \"plm\"}});\n\
         print(`h=${{h.statistic}} df=${{h.df}} params=${{h.params.len()}}`);\n\
         print(`lmh=${{bsktest(p, f, w).statistic}}`);\n\
         print(compare([ols(p, f, #{{fe: \"individual\"}}), re, ml]));\n\
         print(bsk_tests(p, f, w, #{{convention: \"splm\"}}));\n\
         let e1 = \"\"; try {{ slx(p, f, w, #{{fe: \"random\"}}); }} catch (err) {{ e1 = `${{err}}`; }}\n\
         print(`sar: ${{e1}}`);\n\
         let e2 = \"\"; try {{ hausman(re, ols(p, f, #{{fe: \"twoways\"}})); }} catch (err) {{ e2 = `${{err}}`; }}\n\
         print(`pair: ${{e2}}`);\n\
         let e3 = \"\"; try {{ ols(p, f, #{{method: \"ml\"}}); }} catch (err) {{ e3 = `${{err}}`; }}\n\
         print(`method: ${{e3}}`);\n"
    );
    let out = sb.run(&script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("theta=0.86586808"), "{stdout}");
    assert!(stdout.contains("phi=13.1367"), "{stdout}");
    assert!(stdout.contains("fe=random"), "{stdout}");
    assert!(
        stdout.contains("h=191.4827") && stdout.contains("df=8") && stdout.contains("params=8"),
        "{stdout}"
    );
    assert!(stdout.contains("lmh=711.18406"), "{stdout}");
    assert!(stdout.contains("CLMmu"), "{stdout}");
    assert!(stdout.contains("sigma2_mu") && stdout.contains("random"), "{stdout}");
    assert!(
        stdout.contains("sar: ") && stdout.contains("fe: \"random\" is not available for slx"),
        "{stdout}"
    );
    assert!(
        stdout.contains("pair: ") && stdout.contains("not comparable"),
        "{stdout}"
    );
    assert!(
        stdout.contains("applies to fe: \\\"random\\\" only") || stdout.contains("applies to fe: \"random\" only"),
        "{stdout}"
    );
}

#[test]
fn no_individual_effects_truncate_sigma2_mu_and_put_phi_on_its_bound() {
    // y = 1 + 2x + e with e summing to zero over the periods of every unit: the between
    // regression fits exactly, so Swamy–Arora's σ̂²_μ is negative (set to 0: pooled OLS) and the
    // likelihood is largest at the lower bound of φ.
    let (n, t) = (10usize, 4usize);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for s in 0..t {
        for i in 0..n {
            let xi = (i as f64 + 2.0 * s as f64).sin() + 0.1 * i as f64;
            let e = if s % 2 == 0 { 0.3 } else { -0.3 } * (3.0 * i as f64).cos();
            x.push(xi);
            y.push(1.0 + 2.0 * xi + e);
        }
    }
    let d = Design {
        depvar: "y".into(),
        names: vec!["x".into()],
        y,
        x: vec![x],
        n,
        t,
        ids: (1..=n).map(|i| i.to_string()).collect(),
        times: (1..=t).map(|s| s.to_string()).collect(),
        intercept: true,
        factor_of: Vec::new(),
    };
    let sa = random_effects(&d, ReMethod::SwamyArora).unwrap();
    assert_eq!(sa.sigma2_mu, 0.0);
    assert_eq!(sa.theta, 0.0);
    assert!(
        sa.model.warnings.iter().any(|w| w.contains("negative")),
        "{:?}",
        sa.model.warnings
    );
    let pooled = ols(&d, Fe::None).unwrap();
    assert_close("theta = 0 is pooled OLS", sa.beta[1], pooled.b[1], 1e-10);
    let ml = random_effects(&d, ReMethod::Ml).unwrap();
    assert!(ml.phi < 1e-6, "phi = {}", ml.phi);
    assert!(
        ml.model.warnings.iter().any(|w| w.contains("lower bound")),
        "{:?}",
        ml.model.warnings
    );
    assert!(ml.model.coef("phi").unwrap().std_error.is_nan());
    // A cross-section has no random effects.
    let mut cs = d.clone();
    cs.t = 1;
    cs.n = n * t;
    cs.ids = (1..=n * t).map(|i| i.to_string()).collect();
    cs.times = vec!["1".into()];
    let e = random_effects(&cs, ReMethod::SwamyArora).unwrap_err().to_string();
    assert!(e.contains("T ≥ 2"), "{e}");
}
