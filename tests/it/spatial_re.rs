//! SAR and SDM with individual random effects by ML (docs/methods.md §11.2, §11.4, §11.6–11.8)
//! and splm's `sphtest` convention of the Hausman test (§12.3), against the independent exact
//! implementation `reown` and splm on insurance (tests/fixtures/insurance/expected_spatial_re.json)
//! and against docs/methods.md Appendix F on produc. Tolerances: 1e−5 ML optima, 1e−4 φ and
//! numerical-Hessian standard errors, 1e−3 splm's sphtest convention.

use crate::common::{assert_close, fixture, weights_in_order};
use serde_json::Value;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Column, Panel};
use spillover::models::hausman::{hausman, HausmanConvention, HausmanOptions, HausmanParams};
use spillover::models::ml::{fit_spatial, Information, SpatialFit, SpatialOptions};
use spillover::models::{Design, Fe, Formula, ModelKind};
use std::collections::HashMap;

const INSURANCE_F: &str = "lppcd ~ lrgdp + lbank + lden + rirs + lagen + school + vaagr + fam";
const INSURANCE_X: [&str; 8] = ["lrgdp", "lbank", "lden", "rirs", "lagen", "school", "vaagr", "fam"];
const PRODUC_F: &str = "lgsp ~ lpcap + lpc + lemp + unemp";

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
    let f = read_csv(&fixture("insurance/data.csv"), &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    Design::from_panel(&p, &Formula::parse(INSURANCE_F).unwrap()).unwrap()
}

fn produc() -> Design {
    let f = read_csv(&fixture("produc/data.csv"), &CsvOptions::default()).unwrap();
    let mut g = f.clone();
    for (new, old) in [("lgsp", "gsp"), ("lpcap", "pcap"), ("lpc", "pc"), ("lemp", "emp")] {
        let v: Vec<f64> = f.numeric(old).unwrap().iter().map(|x| x.ln()).collect();
        g = g.with_column(new, Column::Num(v)).unwrap();
    }
    let p = Panel::new(&g, "id", "time").unwrap();
    Design::from_panel(&p, &Formula::parse(PRODUC_F).unwrap()).unwrap()
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
