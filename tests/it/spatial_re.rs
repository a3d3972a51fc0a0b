//! SAR and SDM with individual random effects by ML (docs/methods.md §11.2, §11.4, §11.6–11.8)
//! and splm's `sphtest` convention of the Hausman test (§12.3), against the independent exact
//! implementation `reown` and splm on insurance (tests/fixtures/insurance/expected_spatial_re.json)
//! and against docs/methods.md Appendix F on produc. Tolerances: 1e−5 ML optima, 1e−4 φ and
//! numerical-Hessian standard errors, 1e−3 splm's sphtest convention.

use crate::common::{assert_close, fixture, weights_in_order};
use serde_json::Value;
use spillover::models::hausman::{hausman, HausmanConvention, HausmanOptions, HausmanParams};
use spillover::models::ml::{fit_spatial, Information, SpatialFit, SpatialOptions};
use spillover::models::{Design, Fe, ModelKind};
use std::collections::HashMap;

use crate::common::INSURANCE_F;
const INSURANCE_X: [&str; 8] = ["lrgdp", "lbank", "lden", "rirs", "lagen", "school", "vaagr", "fam"];

/// The figures of expected_spatial_re.json by name.
fn reference() -> HashMap<String, Value> {
    let text = std::fs::read_to_string(fixture("insurance/expected_spatial_re.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_string(), f["value"].clone()))
        .collect()
}

fn num(r: &HashMap<String, Value>, name: &str) -> f64 {
    r.get(name)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no figure {name}"))
}

fn list(r: &HashMap<String, Value>, name: &str) -> Vec<f64> {
    r[name]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn insurance() -> Design {
    crate::common::insurance_design()
}

fn produc() -> Design {
    crate::common::produc_log_design()
}

fn re_fit(d: &Design, w: &spillover::weights::Weights, kind: ModelKind, information: Information) -> SpatialFit {
    let mut o = SpatialOptions::new(Fe::Random);
    o.information = information;
    fit_spatial(d, w, kind, &o).unwrap()
}

#[test]
fn sar_re_matches_reown_on_insurance() {
    let r = reference();
    let d = insurance();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    let fit = re_fit(&d, &w, ModelKind::Sar, Information::Splm);
    let m = &fit.model;
    assert_eq!(m.fe, Fe::Random);
    for term in std::iter::once("(intercept)").chain(INSURANCE_X) {
        let rt = if term == "(intercept)" { "(Intercept)" } else { term };
        let c = m.coef(term).unwrap();
        assert_close(term, c.estimate, num(&r, &format!("RE.SAR.coef[{rt}]")), 1e-5);
        // splm's conditional GLS covariance.
        assert_close(term, c.std_error, num(&r, &format!("RE.SAR.se[{rt}]")), 1e-5);
    }
    let rho = m.coef("rho").unwrap();
    assert_close("rho", rho.estimate, num(&r, "RE.SAR.lambda"), 1e-5);
    assert_close("rho.se", rho.std_error, num(&r, "RE.SAR.lambda.se"), 1e-4);
    let phi = m.coef("phi").unwrap();
    assert_close("phi", phi.estimate, num(&r, "RE.SAR.phi"), 1e-4);
    assert_close("phi.se", phi.std_error, num(&r, "RE.SAR.phi.se"), 1e-4);
    assert_close("sigma2", m.sigma2, num(&r, "RE.SAR.sigma2"), 1e-5);
    assert_close("sigma2_mu", m.extras["sigma2_mu"], num(&r, "RE.SAR.sigma2_mu"), 1e-4);
    assert_close("logLik", m.loglik, num(&r, "RE.SAR.logLik"), 1e-8);
    // k_Z + ρ + φ + σ²_ν.
    assert_eq!(m.n_params, 9 + 3);
    assert_close("aic", m.aic(), -2.0 * m.loglik + 2.0 * 12.0, 1e-12);
    let theta = m.extras["theta"];
    assert_close("theta_e", m.extras["theta_e"], 1.0 - theta, 1e-12);
    assert_close(
        "theta_e",
        m.extras["theta_e"],
        (1.0 + 5.0 * phi.estimate).powf(-0.5),
        1e-12,
    );
    // The default (observed information) gives the same estimates and the same se(ρ), se(φ).
    let obs = re_fit(&d, &w, ModelKind::Sar, Information::Elhorst);
    for (a, b) in obs.model.coefficients.iter().zip(&m.coefficients) {
        assert_eq!(a.term, b.term);
        assert_close(&a.term, a.estimate, b.estimate, 1e-9);
    }
    for t in ["rho", "phi"] {
        assert_close(
            t,
            obs.model.coef(t).unwrap().std_error,
            m.coef(t).unwrap().std_error,
            1e-9,
        );
    }
    // The full information's β standard errors exceed the conditional GLS ones.
    assert!(obs.model.coef("lrgdp").unwrap().std_error > m.coef("lrgdp").unwrap().std_error);
}

#[test]
fn sar_re_matches_appendix_f_on_produc() {
    let r = reference();
    let d = produc();
    let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
    let fit = re_fit(&d, &w, ModelKind::Sar, Information::Elhorst);
    let m = &fit.model;
    let terms = ["(intercept)", "lpcap", "lpc", "lemp", "unemp"];
    let beta = list(&r, "produc.RE.SAR.coef");
    let se_obs = list(&r, "produc.RE.SAR.se_observed");
    for (i, t) in terms.iter().enumerate() {
        assert_close(t, m.coef(t).unwrap().estimate, beta[i], 1e-5);
        assert_close(t, m.coef(t).unwrap().std_error, se_obs[i], 1e-4);
    }
    assert_close(
        "rho",
        m.coef("rho").unwrap().estimate,
        num(&r, "produc.RE.SAR.rho"),
        1e-5,
    );
    assert_close("rho.se", m.coef("rho").unwrap().std_error, se_obs[5], 1e-4);
    assert_close(
        "phi",
        m.coef("phi").unwrap().estimate,
        num(&r, "produc.RE.SAR.phi"),
        1e-4,
    );
    assert_close("phi.se", m.coef("phi").unwrap().std_error, se_obs[6], 1e-4);
    assert_close("se sigma2", m.extras["se_sigma2"], se_obs[7], 1e-4);
    assert_close("sigma2", m.sigma2, num(&r, "produc.RE.SAR.sigma2"), 1e-5);
    assert_close("logLik", m.loglik, num(&r, "produc.RE.SAR.logLik"), 1e-8);
    assert_close("theta_e", m.extras["theta_e"], num(&r, "produc.RE.SAR.theta_e"), 1e-6);
    // splm's covariance: the conditional GLS β standard errors and the fdHess (ρ, φ).
    let splm = re_fit(&d, &w, ModelKind::Sar, Information::Splm);
    let se_splm = list(&r, "produc.RE.SAR.se_splm");
    for (i, t) in terms.iter().enumerate() {
        assert_close(t, splm.model.coef(t).unwrap().std_error, se_splm[i], 1e-5);
    }
    assert_close(
        "rho.se splm",
        splm.model.coef("rho").unwrap().std_error,
        num(&r, "produc.RE.SAR.rho.se"),
        1e-3,
    );
    assert_close(
        "phi.se splm",
        splm.model.coef("phi").unwrap().std_error,
        num(&r, "produc.RE.SAR.phi.se"),
        1e-3,
    );
}

#[test]
fn sphtest_convention_reproduces_splm() {
    let r = reference();
    let d = insurance();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    let fe = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::Individual)).unwrap();
    let re = re_fit(&d, &w, ModelKind::Sar, Information::Elhorst);
    let opts = HausmanOptions {
        params: HausmanParams::Slopes,
        abs: true,
        convention: HausmanConvention::Splm,
        ..HausmanOptions::default()
    };
    let t = hausman(&fe.model, &re.model, &opts).unwrap();
    assert_close("sphtest", t.statistic, num(&r, "sphtest.lag.fits.stat"), 1e-3);
    assert_eq!(t.df, num(&r, "sphtest.lag.fits.df"));
    // produc: splm 83.08, and the signed default −8.9648 (slopes) / −8.7731 (slopes and ρ).
    let d = produc();
    let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
    let fe = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::Individual)).unwrap();
    let re = re_fit(&d, &w, ModelKind::Sar, Information::Elhorst);
    let t = hausman(&fe.model, &re.model, &opts).unwrap();
    assert_close("sphtest produc", t.statistic, num(&r, "produc.sphtest.lag.stat"), 1e-3);
    let signed = HausmanOptions {
        convention: HausmanConvention::Splm,
        abs: false,
        params: HausmanParams::Slopes,
        ..HausmanOptions::default()
    };
    let t = hausman(&fe.model, &re.model, &signed).unwrap();
    assert_close(
        "signed sphtest",
        t.statistic,
        num(&r, "produc.sphtest.lag.signed"),
        1e-3,
    );
    let own = HausmanOptions {
        params: HausmanParams::Slopes,
        ..HausmanOptions::default()
    };
    let t = hausman(&fe.model, &re.model, &own).unwrap();
    assert_close(
        "own slopes",
        t.statistic,
        num(&r, "produc.hausman.sar.slopes.signed"),
        1e-3,
    );
    let t = hausman(&fe.model, &re.model, &HausmanOptions::default()).unwrap();
    assert_close("own all", t.statistic, num(&r, "produc.hausman.sar.all.signed"), 1e-3);
}

/// The full log-likelihood of docs/methods.md §11.2 computed directly from the data at the
/// reported estimates (quasi-demeaning, the dense log-determinant).
fn direct_loglik(fit: &SpatialFit, d: &Design, w: &spillover::weights::Weights) -> f64 {
    use spillover::models::random::quasi_demean;
    let m = &fit.model;
    let (n, t) = (d.n, d.t);
    let rho = m.coef("rho").unwrap().estimate;
    let phi = m.coef("phi").unwrap().estimate;
    let s2 = m.sigma2;
    let wy = w.lag_panel(&d.y);
    let mut e: Vec<f64> = d.y.iter().zip(&wy).map(|(a, b)| a - rho * b).collect();
    e.iter_mut().for_each(|v| *v -= m.coef("(intercept)").unwrap().estimate);
    for (k, name) in d.names.iter().enumerate() {
        let b = m.coef(name).unwrap().estimate;
        e.iter_mut().zip(&d.x[k]).for_each(|(v, x)| *v -= b * x);
        if let Some(th) = m.coef(&format!("W*{name}")) {
            let wx = w.lag_panel(&d.x[k]);
            e.iter_mut().zip(&wx).for_each(|(v, x)| *v -= th.estimate * x);
        }
    }
    let theta = 1.0 - (1.0 + t as f64 * phi).powf(-0.5);
    let es = quasi_demean(&e, n, theta);
    let ss: f64 = es.iter().map(|v| v * v).sum();
    let spec = w.spectrum().unwrap();
    let logdet = spec.logdet(rho);
    let (nf, tf) = (n as f64, t as f64);
    -0.5 * nf * tf * (2.0 * std::f64::consts::PI * s2).ln() - 0.5 * nf * (1.0 + tf * phi).ln() + tf * logdet
        - ss / (2.0 * s2)
}

#[test]
fn sdm_re_fits_the_durbin_model_and_effects_skip_the_intercept() {
    let d = insurance();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    let sar = re_fit(&d, &w, ModelKind::Sar, Information::Elhorst);
    assert_close(
        "SAR direct logLik",
        direct_loglik(&sar, &d, &w),
        sar.model.loglik,
        1e-10,
    );
    // SDM-RE with every regressor lagged: the intercept is never lagged; logL is the full value
    // at the maximum (perturbing ρ or φ lowers the direct log-likelihood).
    let sdm = re_fit(&d, &w, ModelKind::Sdm, Information::Elhorst);
    let m = &sdm.model;
    assert!(m.coef("W*(intercept)").is_none() && m.coef("W*lrgdp").is_some());
    assert_eq!(m.n_params, 1 + 8 + 8 + 3);
    assert_close("SDM direct logLik", direct_loglik(&sdm, &d, &w), m.loglik, 1e-10);
    assert!(m.loglik > sar.model.loglik);
    for (term, h) in [("rho", 1e-4), ("phi", 1e-2)] {
        for sign in [-1.0, 1.0] {
            let mut moved = sdm.clone();
            let i = moved.model.coefficients.iter().position(|c| c.term == term).unwrap();
            moved.model.coefficients[i].estimate += sign * h;
            assert!(direct_loglik(&moved, &d, &w) < m.loglik, "{term} {sign}");
        }
    }
    // splm's box for ρ (option interval) finds the same interior optimum.
    let mut o = SpatialOptions::new(Fe::Random);
    o.interval = Some((-0.999, 0.999));
    let boxed = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap();
    assert_close("boxed rho", boxed.rho().unwrap(), sar.rho().unwrap(), 1e-8);
    assert_eq!(boxed.model.info["interval"], "(-0.999000, 0.999000)");
    // durbin: [] is SAR-RE.
    let mut o = SpatialOptions::new(Fe::Random);
    o.durbin = Some(Vec::new());
    let none = fit_spatial(&d, &w, ModelKind::Sdm, &o).unwrap();
    assert_close("durbin []", none.model.loglik, sar.model.loglik, 1e-12);
    // The sparse path gives the same fit.
    let mut o = SpatialOptions::new(Fe::Random);
    o.lndet = spillover::linalg::logdet::LogDetMethod::Sparse;
    let sp = fit_spatial(&d, &w, ModelKind::Sdm, &o).unwrap();
    for (a, b) in sp.model.coefficients.iter().zip(&m.coefficients) {
        assert_close(&a.term, a.estimate, b.estimate, 1e-7);
        assert_close(&a.term, a.std_error, b.std_error, 1e-5);
    }
    // Effects: one row per regressor (no intercept); the direct effect of SAR-RE at the
    // estimates is β_k · tr((I − ρW)⁻¹)/N.
    let opts = spillover::effects::EffectsOptions {
        method: spillover::effects::Method::Delta,
        ..Default::default()
    };
    let e = spillover::effects::effects_of_fit(&sar, &w, &opts).unwrap();
    assert_eq!(e.names, INSURANCE_X.map(String::from).to_vec());
    let rho = sar.model.coef("rho").unwrap().estimate;
    let spec = w.spectrum().unwrap();
    let avg: f64 = spec.re.iter().map(|om| 1.0 / (1.0 - rho * om)).sum::<f64>() / d.n as f64;
    let b = sar.model.coef("lrgdp").unwrap().estimate;
    assert_close("direct lrgdp", e.direct[0].estimate, b * avg, 1e-8);
    let e = spillover::effects::effects_of_fit(&sdm, &w, &opts).unwrap();
    assert_eq!(e.names.len(), 8);
}

#[test]
fn scripts_fit_spatial_random_effects() {
    use crate::sandbox::Sandbox;
    let data = std::fs::read(fixture("insurance/data.csv")).unwrap();
    let w = std::fs::read(fixture("insurance/weights.csv")).unwrap();
    let sb = Sandbox::new("spatial_re", &[("d.csv", &data), ("w.csv", &w)]);
    let script = format!(
        "let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
         let f = \"{INSURANCE_F}\";\n\
         let w = read_weights(\"w.csv\");\n\
         let re = sar(p, f, w, #{{fe: \"random\"}});\n\
         print(`phi=${{re.coef(\"phi\").estimate}}`);\n\
         print(`sigma2_mu=${{re.sigma2_mu}}`);\n\
         let sdm = fit(p, f, w, #{{model: \"sdm\", fe: \"random\", durbin: [\"lrgdp\"]}});\n\
         print(`terms=${{sdm.coef(\"W*lrgdp\").estimate}}`);\n\
         print(effects(sdm, #{{method: \"delta\"}}));\n\
         let fe = sar(p, f, w, #{{fe: \"individual\"}});\n\
         let h = hausman(fe, re, #{{convention: \"splm\"}});\n\
         print(`h=${{h.statistic}} df=${{h.df}}`);\n\
         print(compare([fe, re]));\n\
         let e1 = \"\"; try {{ sar(p, f, w, #{{fe: \"individual\", information: \"splm\"}}); }} catch (err) {{ e1 = `${{err}}`; }}\n\
         print(`info: ${{e1}}`);\n"
    );
    let out = sb.run(&script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("phi=10.0528"), "{stdout}");
    assert!(stdout.contains("sigma2_mu=0.02489"), "{stdout}");
    assert!(stdout.contains("h=182.31") && stdout.contains("df=8"), "{stdout}");
    assert!(stdout.contains("phi") && stdout.contains("lrgdp"), "{stdout}");
    assert!(
        stdout.contains("info: ") && stdout.contains("random-effects models"),
        "{stdout}"
    );
}
