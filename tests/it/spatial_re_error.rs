//! SEM and SDEM with individual random effects (docs/methods.md §11.3): the Baltagi–Song–Koh
//! ("bsk") and Kapoor–Kelejian–Prucha ("kkp") error structures against the exact optimum of an
//! independent implementation (`reown`) on insurance and splm on produc (Appendix F.1), at 1e−5
//! for ML optima and 1e−4 for φ. The standard errors of λ and φ are compared with the peers'
//! numerical Hessians at 5e−3: spillover's observed-information values are stable to ~1e−6
//! across difference steps, while the peers' central differences differ from each other and
//! from the converged value by up to 2e−3 (splm's fdHess). References:
//! tests/fixtures/insurance/expected_spatial_re_error.json.

use crate::common::{assert_close, fixture, weights_in_order};
use crate::sandbox::Sandbox;
use serde_json::Value;
use spillover::models::ml::{fit_spatial, ReCovariance, ReErrors, SpatialFit, SpatialOptions};
use spillover::models::{Design, Fe, ModelKind};
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::common::INSURANCE_F;
const INSURANCE_X: [&str; 8] = ["lrgdp", "lbank", "lden", "rirs", "lagen", "school", "vaagr", "fam"];
/// Tolerance of the numerical-Hessian standard errors of the references (module doc).
const SE_TOL: f64 = 5e-3;
const PRODUC_X: [&str; 4] = ["lpcap", "lpc", "lemp", "unemp"];

fn reference(name: &str) -> Value {
    static REF: OnceLock<HashMap<String, Value>> = OnceLock::new();
    let m = REF.get_or_init(|| {
        let text = std::fs::read_to_string(fixture("insurance/expected_spatial_re_error.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].as_str().unwrap().to_string(), f["value"].clone()))
            .collect()
    });
    m.get(name).unwrap_or_else(|| panic!("no reference {name}")).clone()
}

fn want(name: &str) -> f64 {
    reference(name).as_f64().unwrap()
}

fn insurance() -> Design {
    crate::common::insurance_design()
}

fn produc() -> Design {
    crate::common::produc_log_design()
}

fn fit(d: &Design, case: &str, kind: ModelKind, errors: Option<ReErrors>, cov: Option<ReCovariance>) -> SpatialFit {
    let w = weights_in_order(&fixture(&format!("{case}/weights.csv")), &d.ids);
    let mut o = SpatialOptions::new(Fe::Random);
    o.errors = errors;
    o.covariance = cov;
    fit_spatial(d, &w, kind, &o).unwrap_or_else(|e| panic!("{e}"))
}

fn ref_term(term: &str) -> &str {
    if term == "(intercept)" {
        "(Intercept)"
    } else {
        term
    }
}

/// Estimates, φ, λ, σ²_ν, σ²_μ and logLik against `reown` on insurance.
fn check_insurance(f: &SpatialFit, tag: &str) {
    let m = &f.model;
    for term in std::iter::once("(intercept)").chain(INSURANCE_X) {
        let r = ref_term(term);
        let name = format!("{tag}.coef[{r}]");
        assert_close(&name, m.coef(term).unwrap().estimate, want(&name), 1e-5);
    }
    assert_close(
        "lambda",
        m.coef("lambda").unwrap().estimate,
        want(&format!("{tag}.rho")),
        1e-5,
    );
    assert_close(
        "phi",
        m.coef("phi").unwrap().estimate,
        want(&format!("{tag}.phi")),
        1e-4,
    );
    assert_close("sigma2", m.sigma2, want(&format!("{tag}.sigma2")), 1e-5);
    assert_close(
        "sigma2_mu",
        m.extras["sigma2_mu"],
        want(&format!("{tag}.sigma2_mu")),
        1e-4,
    );
    assert_close("logLik", m.loglik, want(&format!("{tag}.logLik")), 1e-8);
    assert_eq!(m.fe, Fe::Random);
    assert_eq!(m.n_params, 1 + INSURANCE_X.len() + 3);
}

#[test]
fn bsk_random_effects_sem_matches_reown_on_insurance() {
    let f = fit(&insurance(), "insurance", ModelKind::Sem, None, None);
    assert_eq!(f.model.info["errors"], "bsk");
    check_insurance(&f, "RE.SEM_b");
    // The observed-information se of λ and φ equal the profile-Hessian ones (reown).
    let m = &f.model;
    assert_close(
        "se(lambda)",
        m.coef("lambda").unwrap().std_error,
        want("RE.SEM_b.rho.se"),
        SE_TOL,
    );
    assert_close(
        "se(phi)",
        m.coef("phi").unwrap().std_error,
        want("RE.SEM_b.phi.se"),
        SE_TOL,
    );
}

#[test]
fn kkp_random_effects_sem_matches_reown_on_insurance() {
    let f = fit(&insurance(), "insurance", ModelKind::Sem, Some(ReErrors::Kkp), None);
    assert_eq!(f.model.info["errors"], "kkp");
    check_insurance(&f, "RE.SEM_kkp");
    let m = &f.model;
    assert_close(
        "se(lambda)",
        m.coef("lambda").unwrap().std_error,
        want("RE.SEM_kkp.rho.se"),
        SE_TOL,
    );
    assert_close(
        "se(phi)",
        m.coef("phi").unwrap().std_error,
        want("RE.SEM_kkp.phi.se"),
        SE_TOL,
    );
}

#[test]
fn splm_covariance_reproduces_splm_standard_errors_on_insurance() {
    for (errors, tag) in [(ReErrors::Bsk, "RE.SEM_b"), (ReErrors::Kkp, "RE.SEM_kkp")] {
        let f = fit(
            &insurance(),
            "insurance",
            ModelKind::Sem,
            Some(errors),
            Some(ReCovariance::Splm),
        );
        let m = &f.model;
        for term in std::iter::once("(intercept)").chain(INSURANCE_X) {
            let name = format!("{tag}.se[{}]", ref_term(term));
            assert_close(&name, m.coef(term).unwrap().std_error, want(&name), 1e-4);
        }
        assert_close(
            "se(lambda)",
            m.coef("lambda").unwrap().std_error,
            want(&format!("{tag}.rho.se")),
            SE_TOL,
        );
        assert_close(
            "se(phi)",
            m.coef("phi").unwrap().std_error,
            want(&format!("{tag}.phi.se")),
            SE_TOL,
        );
        // Block-diagonal: β and (λ, φ) uncorrelated.
        assert_eq!(f.cov(0, 1 + INSURANCE_X.len()), 0.0);
    }
}

#[test]
fn bsk_and_kkp_match_splm_on_produc() {
    let d = produc();
    for (errors, tag) in [(ReErrors::Bsk, "produc.RE.SEM_b"), (ReErrors::Kkp, "produc.RE.SEM_kkp")] {
        let f = fit(&d, "produc", ModelKind::Sem, Some(errors), None);
        let m = &f.model;
        let coef: Vec<f64> = reference(&format!("{tag}.coef"))
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (term, w) in std::iter::once("(intercept)").chain(PRODUC_X).zip(coef) {
            assert_close(&format!("{tag} {term}"), m.coef(term).unwrap().estimate, w, 1e-6);
        }
        assert_close(
            "lambda",
            m.coef("lambda").unwrap().estimate,
            want(&format!("{tag}.rho")),
            1e-6,
        );
        assert_close(
            "phi",
            m.coef("phi").unwrap().estimate,
            want(&format!("{tag}.phi")),
            1e-5,
        );
        assert_close("sigma2", m.sigma2, want(&format!("{tag}.sigma2")), 1e-6);
        assert_close("logLik", m.loglik, want(&format!("{tag}.logLik")), 1e-8);
        assert_close(
            "se(lambda)",
            m.coef("lambda").unwrap().std_error,
            want(&format!("{tag}.rho.se")),
            SE_TOL,
        );
        assert_close(
            "se(phi)",
            m.coef("phi").unwrap().std_error,
            want(&format!("{tag}.phi.se")),
            SE_TOL,
        );
    }
}

#[test]
fn sdem_random_effects_keeps_the_intercept_unlagged_and_has_effects() {
    let d = insurance();
    let f = fit(&d, "insurance", ModelKind::Sdem, None, None);
    let m = &f.model;
    assert_eq!(m.kind, ModelKind::Sdem);
    // Z = [ι, X, WX]: no W*(intercept); parameters k_Z + λ + φ + σ².
    assert!(m.coef("W*(intercept)").is_none());
    for x in INSURANCE_X {
        assert!(m.coef(&format!("W*{x}")).is_some(), "W*{x}");
    }
    assert_eq!(m.n_params, 1 + 2 * INSURANCE_X.len() + 3);
    // The SDEM nests the SEM: its log-likelihood is at least the SEM's.
    let sem = fit(&d, "insurance", ModelKind::Sem, None, None);
    assert!(
        m.loglik >= sem.model.loglik - 1e-9,
        "{} < {}",
        m.loglik,
        sem.model.loglik
    );
    // θ_E and θ_plm from φ.
    let phi = m.coef("phi").unwrap().estimate;
    assert_close("theta_e", m.extras["theta_e"], (1.0 + 5.0 * phi).powf(-0.5), 1e-12);
    assert_close("theta", m.extras["theta"], 1.0 - m.extras["theta_e"], 1e-12);
}

#[test]
fn script_sem_sdem_and_fit_with_random_effects() {
    let data = std::fs::read(fixture("insurance/data.csv")).unwrap();
    let w = std::fs::read(fixture("insurance/weights.csv")).unwrap();
    let sb = Sandbox::new("spatial_re_error", &[("d.csv", &data), ("w.csv", &w)]);
    let script = format!(
        "let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
         let f = \"{INSURANCE_F}\";\n\
         let w = read_weights(\"w.csv\");\n\
         let b = sem(p, f, w, #{{fe: \"random\"}});\n\
         let k = fit(p, f, w, #{{model: \"sem\", fe: \"random\", errors: \"kkp\"}});\n\
         let s = sdem(p, f, w, #{{fe: \"random\", errors: \"kkp\", covariance: \"splm\"}});\n\
         print(`lambda_b=${{b.coef(\"lambda\").estimate}}`);\n\
         print(`phi_k=${{k.coef(\"phi\").estimate}} mu=${{k.sigma2_mu}}`);\n\
         let e = effects(s);\n\
         print(`effects=${{type_of(e)}}`);\n\
         print(compare([b, k, s]));\n\
         let e1 = \"\"; try {{ sem(p, f, w, #{{fe: \"individual\", errors: \"kkp\"}}); }} catch (err) {{ e1 = `${{err}}`; }}\n\
         print(`e1: ${{e1}}`);\n\
         let e2 = \"\"; try {{ sem(p, f, w, #{{fe: \"random\", errors: \"bks\"}}); }} catch (err) {{ e2 = `${{err}}`; }}\n\
         print(`e2: ${{e2}}`);\n"
    );
    let out = sb.run(&script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("lambda_b=-0.01052"), "{stdout}");
    assert!(stdout.contains("phi_k=15.3355"), "{stdout}");
    assert!(stdout.contains("effects=Effects"), "{stdout}");
    assert!(stdout.contains("phi") && stdout.contains("sigma2_mu"), "{stdout}");
    assert!(
        stdout.contains("e1: ") && stdout.contains("option 'errors' applies to sem, sdem and sac"),
        "{stdout}"
    );
    assert!(stdout.contains("e2: ") && stdout.contains("kkp"), "{stdout}");
}

#[test]
fn kkp_on_the_sparse_log_determinant_matches_the_eigenvalue_path() {
    let d = insurance();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    let mut o = SpatialOptions::new(Fe::Random);
    o.errors = Some(ReErrors::Kkp);
    let eigen = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap();
    o.lndet = spillover::linalg::logdet::LogDetMethod::Sparse;
    let sparse = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap();
    assert_eq!(sparse.model.info["lndet"], "sparse");
    assert!(sparse.spectrum.is_none());
    for (a, b) in eigen.model.coefficients.iter().zip(&sparse.model.coefficients) {
        assert_close(&a.term, b.estimate, a.estimate, 1e-6);
    }
    assert_close("logLik", sparse.model.loglik, eigen.model.loglik, 1e-9);
}

#[test]
fn options_of_the_random_error_models_are_checked() {
    let d = insurance();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    let err = |kind: ModelKind, o: &SpatialOptions| fit_spatial(&d, &w, kind, o).unwrap_err().to_string();
    let mut o = SpatialOptions::new(Fe::Individual);
    o.errors = Some(ReErrors::Kkp);
    assert!(err(ModelKind::Sem, &o).contains("option 'errors' applies to sem, sdem and sac with fe: \"random\""));
    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.covariance = Some(ReCovariance::Splm);
    assert!(err(ModelKind::Sar, &o).contains("applies to random-effects models"));
    let o = SpatialOptions::new(Fe::Random);
    assert!(err(ModelKind::Slx, &o).contains("fe: \"random\" is not available for slx"));
    let mut o = SpatialOptions::new(Fe::Random);
    o.bias_correction = spillover::models::ml::BiasCorrection::Elhorst;
    assert!(err(ModelKind::Sem, &o).contains("with fe: \"random\" use bias_correction: \"none\""));
}

/// splm's Hausman convention needs the conditional GLS covariance, which every spatial RE fit
/// keeps (SEM-RE too); a fit without it is refused (it used to fall back to the full covariance
/// silently).
#[test]
fn splm_hausman_convention_refuses_a_fit_without_the_conditional_covariance() {
    use spillover::models::hausman::{hausman, HausmanConvention, HausmanOptions};
    let d = insurance();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    let fe = fit_spatial(&d, &w, ModelKind::Sem, &SpatialOptions::new(Fe::Individual)).unwrap();
    let re = fit_spatial(&d, &w, ModelKind::Sem, &SpatialOptions::new(Fe::Random)).unwrap();
    assert!(re.model.vcov_conditional.is_some());
    let splm = HausmanOptions {
        convention: HausmanConvention::Splm,
        ..Default::default()
    };
    assert!(hausman(&fe.model, &re.model, &splm).is_ok());
    let mut without = re.model.clone();
    without.vcov_conditional = None;
    let e = hausman(&fe.model, &without, &splm).unwrap_err().to_string();
    assert!(
        e.contains("conditional GLS covariance") && e.contains("default convention"),
        "{e}"
    );
    // The default convention works on the same pair.
    assert!(hausman(&fe.model, &re.model, &HausmanOptions::default()).is_ok());
}
