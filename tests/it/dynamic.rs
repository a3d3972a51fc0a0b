//! Dynamic spatial panels (docs/methods.md §14) on produc against the independent exact
//! implementation `dynown` (tests/fixtures/produc/expected_dynamic.json, copied from the
//! shared reference; names `DYN.<SAR|SDM>.<individual|twoways>.<noLY|LY|DIR>[.tlonly].*`):
//! uncorrected QML, the YDL / Lee–Yu corrections, standard errors with Ω = 0 (`se_info`) and
//! with SDPDmod's kurtosis term (`se`), the spectral radius (METHODS App. F.4) and the
//! unit-root Wald test. Estimates at 1e−6, standard errors at 1e−5 (relative).

use crate::common::{assert_rel, figure_map, fixture, produc_log};
use crate::sandbox::Sandbox;
use spillover::models::ml::{
    dynamic_spectral_radius, fit_spatial, DynamicCorrection, DynamicCovariance, DynamicOptions, LagOrder, SpatialFit,
    SpatialOptions,
};
use spillover::models::{Fe, ModelKind};
use std::collections::HashMap;
use std::sync::OnceLock;

const X: [&str; 4] = ["lpcap", "lpc", "lemp", "unemp"];

fn reference(name: &str) -> f64 {
    reference_opt(name).unwrap_or_else(|| panic!("no reference {name}"))
}

fn reference_opt(name: &str) -> Option<f64> {
    static R: OnceLock<HashMap<String, f64>> = OnceLock::new();
    let r = R.get_or_init(|| figure_map("produc/expected_dynamic.json"));
    r.get(name).copied()
}

struct Spec {
    kind: ModelKind,
    fe: Fe,
    correction: DynamicCorrection,
    covariance: DynamicCovariance,
    space_time_lag: bool,
    lag_order: LagOrder,
}

fn spec(kind: ModelKind, fe: Fe, correction: DynamicCorrection) -> Spec {
    Spec {
        kind,
        fe,
        correction,
        covariance: DynamicCovariance::Gaussian,
        space_time_lag: true,
        lag_order: LagOrder::LagFirst,
    }
}

fn fit(s: &Spec) -> SpatialFit {
    let (d, w) = produc_log();
    let mut o = SpatialOptions::new(s.fe);
    o.lag_order = s.lag_order;
    o.dynamic = Some(DynamicOptions {
        time_lag: true,
        space_time_lag: s.space_time_lag,
        bias_correction: Some(s.correction),
        covariance: s.covariance,
    });
    fit_spatial(d, w, s.kind, &o).unwrap()
}

/// Estimates (and the standard errors in `se_field` when given) of `f` against `prefix`.
fn check(f: &SpatialFit, prefix: &str, se_field: Option<&str>, sdm: bool, eta: bool) {
    let m = &f.model;
    let mut terms: Vec<(String, String)> = vec![("y(t-1)".into(), "tau".into())];
    if eta {
        terms.push(("W*y(t-1)".into(), "eta".into()));
    }
    for x in X {
        terms.push((x.into(), format!("coef[{x}]")));
        if sdm {
            terms.push((format!("W*{x}"), format!("coef[W_{x}]")));
        }
    }
    terms.push(("rho".into(), "rho".into()));
    for (term, name) in &terms {
        let c = m.coef(term).unwrap_or_else(|| panic!("{prefix}: no term {term}"));
        assert_rel(
            &format!("{prefix}.{name}"),
            c.estimate,
            reference(&format!("{prefix}.{name}")),
            1e-6,
        );
        if let Some(se) = se_field {
            let key = name.strip_prefix("coef").map_or(format!("[{name}]"), str::to_string);
            assert_rel(
                &format!("{prefix}.{se}{key}"),
                c.std_error,
                reference(&format!("{prefix}.{se}{key}")),
                1e-5,
            );
        }
    }
    assert_rel(
        &format!("{prefix}.sigma2"),
        m.sigma2,
        reference(&format!("{prefix}.sigma2")),
        1e-6,
    );
    assert_rel(
        &format!("{prefix}.logLik"),
        m.loglik,
        reference(&format!("{prefix}.logLik")),
        1e-9,
    );
    for dim in ["n_eff", "t_eff"] {
        if let Some(want) = reference_opt(&format!("{prefix}.{dim}")) {
            assert_eq!(m.extras[dim], want, "{prefix}.{dim}");
        }
    }
}

#[test]
fn uncorrected_qml_individual_sar_and_sdm() {
    for (kind, tag, sdm) in [(ModelKind::Sar, "SAR", false), (ModelKind::Sdm, "SDM", true)] {
        let f = fit(&spec(kind, Fe::Individual, DynamicCorrection::None));
        check(&f, &format!("DYN.{tag}.individual.noLY"), Some("se_info"), sdm, true);
        // The sample: N units, T − 1 periods.
        assert_eq!((f.model.n, f.model.t), (48, 16));
        assert!(f.dynamic.as_ref().unwrap().uncorrected.is_none());
    }
}

#[test]
fn ydl_correction_individual_sar_and_sdm() {
    for (kind, tag, sdm) in [(ModelKind::Sar, "SAR", false), (ModelKind::Sdm, "SDM", true)] {
        let f = fit(&spec(kind, Fe::Individual, DynamicCorrection::Ydl));
        let prefix = format!("DYN.{tag}.individual.LY");
        check(&f, &prefix, Some("se_info"), sdm, true);
        let dy = f.dynamic.as_ref().unwrap();
        check(
            dy.uncorrected.as_ref().unwrap(),
            &format!("{prefix}.nobc"),
            Some("se_info"),
            sdm,
            true,
        );
        assert_eq!(dy.unit_roots as f64, reference(&format!("{prefix}.mm")));
    }
}

#[test]
fn sdpdmod_kurtosis_covariance_individual() {
    for (kind, tag, sdm) in [(ModelKind::Sar, "SAR", false), (ModelKind::Sdm, "SDM", true)] {
        let mut s = spec(kind, Fe::Individual, DynamicCorrection::Ydl);
        s.covariance = DynamicCovariance::Sdpdmod;
        let f = fit(&s);
        let prefix = format!("DYN.{tag}.individual.LY");
        check(&f, &prefix, Some("se"), sdm, true);
        check(
            f.dynamic.as_ref().unwrap().uncorrected.as_ref().unwrap(),
            &format!("{prefix}.nobc"),
            Some("se"),
            sdm,
            true,
        );
    }
}

#[test]
fn time_lag_only_individual_sdm() {
    let mut s = spec(ModelKind::Sdm, Fe::Individual, DynamicCorrection::None);
    s.space_time_lag = false;
    check(&fit(&s), "DYN.SDM.individual.noLY.tlonly", Some("se_info"), true, false);
    s.correction = DynamicCorrection::Ydl;
    let f = fit(&s);
    check(&f, "DYN.SDM.individual.LY.tlonly", Some("se_info"), true, false);
    assert_eq!(f.dynamic.as_ref().unwrap().unit_roots, 1);
}

#[test]
fn two_way_uncorrected_lee_yu_and_direct() {
    for (kind, tag, sdm) in [(ModelKind::Sar, "SAR", false), (ModelKind::Sdm, "SDM", true)] {
        let f = fit(&spec(kind, Fe::TwoWays, DynamicCorrection::LeeYuTransform));
        let prefix = format!("DYN.{tag}.twoways.LY");
        check(&f, &prefix, Some("se_info"), sdm, true);
        let dy = f.dynamic.as_ref().unwrap();
        check(
            dy.uncorrected.as_ref().unwrap(),
            &format!("{prefix}.nobc"),
            Some("se_info"),
            sdm,
            true,
        );
        for (corr, name) in [
            (DynamicCorrection::None, "noLY"),
            (DynamicCorrection::LeeYuDirect, "DIR"),
        ] {
            let mut s = spec(kind, Fe::TwoWays, corr);
            s.lag_order = LagOrder::DemeanFirst;
            check(
                &fit(&s),
                &format!("DYN.{tag}.twoways.{name}"),
                Some("se_info"),
                sdm,
                true,
            );
        }
    }
}

#[test]
fn spectral_radius_and_unit_root_wald() {
    let mut s = spec(ModelKind::Sdm, Fe::Individual, DynamicCorrection::Ydl);
    s.covariance = DynamicCovariance::Structural;
    let f = fit(&s);
    let dy = f.dynamic.as_ref().unwrap();
    // METHODS App. F.4: spectral radius of A at the corrected values, 0.9356033 (7 digits).
    assert!(
        (dy.spectral_radius - 0.9356033).abs() < 5e-8,
        "radius {}",
        dy.spectral_radius
    );
    assert!(dy.stable());
    assert_eq!(f.model.extras["spectral_radius"], dy.spectral_radius);
    let w = &produc_log().1;
    let spec_w = w.spectrum().unwrap();
    let m = &f.model;
    let (tau, eta, rho) = (
        m.coef("y(t-1)").unwrap().estimate,
        m.coef("W*y(t-1)").unwrap().estimate,
        m.coef("rho").unwrap().estimate,
    );
    assert_eq!(dynamic_spectral_radius(&spec_w, tau, eta, rho), dy.spectral_radius);
    // Wald test of τ + ρ + η = 1: (τ + ρ + η − 1)² / Var(τ̂ + ρ̂ + η̂) from the full covariance.
    let idx = [0usize, 1, f.rho_index.unwrap()];
    let f = &f;
    let var: f64 = idx.iter().flat_map(|&i| idx.iter().map(move |&j| f.cov(i, j))).sum();
    let stat = (tau + eta + rho - 1.0).powi(2) / var;
    assert_rel("wald", dy.wald_unit.statistic, stat, 1e-12);
    assert_eq!(dy.wald_unit.df, 1.0);
    assert_rel("wald p", dy.wald_unit.p, spillover::stats::p_chi2(stat, 1.0), 1e-12);
}

#[test]
fn covariance_options_differ_only_by_the_kurtosis_term() {
    // Ω touches the (ρ, σ²) block only: the structural default, the Gaussian (Ω = 0) and
    // SDPDmod's reduced-form μ4 give the same estimates and different standard errors.
    let mut s = spec(ModelKind::Sar, Fe::Individual, DynamicCorrection::Ydl);
    let g = fit(&s);
    s.covariance = DynamicCovariance::Structural;
    let st = fit(&s);
    s.covariance = DynamicCovariance::Sdpdmod;
    let sd = fit(&s);
    for (a, b) in g.model.coefficients.iter().zip(&st.model.coefficients) {
        assert_eq!(a.estimate, b.estimate);
    }
    let se = |f: &SpatialFit| f.model.coef("rho").unwrap().std_error;
    assert!(se(&st) != se(&g) && se(&st) != se(&sd));
    assert_eq!(st.model.info["covariance"], "structural");
}

#[test]
fn script_dynamic_options_and_getters() {
    let data = std::fs::read(fixture("produc/data.csv")).unwrap();
    let wb = std::fs::read(fixture("produc/weights.csv")).unwrap();
    let sb = Sandbox::new("dynamic", &[("d.csv", &data), ("w.csv", &wb)]);
    let script = "\
        let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
        let w = read_weights(\"w.csv\");\n\
        let fm = \"log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp\";\n\
        let m = sdm(p, fm, w, #{fe: \"individual\", dynamic: true, covariance: \"gaussian\"});\n\
        print(`tau=${m.tau} eta=${m.eta} rho=${m.rho} utau=${m.uncorrected.tau} n=${m.n} t=${m.t}`);\n\
        print(`radius=${m.stability.spectral_radius} stable=${m.stability.stable} wald=${m.stability.wald.statistic}`);\n\
        let g = fit(p, fm, w, #{model: \"sdm\", fe: \"individual\", dynamic: true, covariance: \"gaussian\"});\n\
        print(`same=${g.tau == m.tau && g.rho == m.rho}`);\n\
        let s = sar(p, fm, w, #{fe: \"twoways\", dynamic: true, space_time_lag: false, bias_correction: \"none\"});\n\
        print(`sar_tau=${s.tau} same_unc=${s.uncorrected.tau == s.tau}`);\n\
        let e1 = \"\"; try { s.eta } catch (err) { e1 = `${err}`; }\n\
        print(`e1=${e1}`);\n\
        let e2 = \"\"; try { sar(p, fm, w, #{fe: \"individual\", dynamic: true, bias_correction: \"lee_yu_direct\"}); } catch (err) { e2 = `${err}`; }\n\
        print(`e2=${e2}`);\n\
        let e3 = \"\"; try { sar(p, fm, w, #{fe: \"individual\", time_lag: false}); } catch (err) { e3 = `${err}`; }\n\
        print(`e3=${e3}`);\n\
        let e4 = \"\"; try { sem(p, fm, w, #{fe: \"individual\", dynamic: true}); } catch (err) { e4 = `${err}`; }\n\
        print(`e4=${e4}`);\n\
        let e5 = \"\"; try { sar(p, fm, w, #{fe: \"individual\", dynamic: true, bias_correction: \"elhorst\"}); } catch (err) { e5 = `${err}`; }\n\
        print(`e5=${e5}`);\n\
        let e6 = \"\"; try { sar(p, fm, w, #{fe: \"none\", dynamic: true}); } catch (err) { e6 = `${err}`; }\n\
        print(`e6=${e6}`);\n\
        let e7 = \"\"; try { sar(p, fm, w, #{fe: \"individual\"}).tau } catch (err) { e7 = `${err}`; }\n\
        print(`e7=${e7}`);\n";
    let out = sb.run(script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let get = |key: &str| -> String {
        let line = stdout
            .lines()
            .flat_map(|l| l.split(' '))
            .find(|t| t.starts_with(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {stdout}"));
        line[key.len() + 1..].to_string()
    };
    let num = |key: &str| get(key).parse::<f64>().unwrap();
    assert_rel("script tau", num("tau"), reference("DYN.SDM.individual.LY.tau"), 1e-6);
    assert_rel("script eta", num("eta"), reference("DYN.SDM.individual.LY.eta"), 1e-6);
    assert_rel("script rho", num("rho"), reference("DYN.SDM.individual.LY.rho"), 1e-6);
    assert_rel(
        "script uncorrected tau",
        num("utau"),
        reference("DYN.SDM.individual.LY.nobc.tau"),
        1e-6,
    );
    assert_eq!((get("n"), get("t")), ("48".to_string(), "16".to_string()));
    assert!((num("radius") - 0.9356033).abs() < 5e-8);
    assert_eq!(get("stable"), "true");
    assert_eq!(get("same"), "true");
    assert_eq!(get("same_unc"), "true");
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key}=")))
            .unwrap()
            .to_string()
    };
    assert!(line("e1").contains("no eta term"), "{}", line("e1"));
    assert!(
        line("e2").contains("lee_yu_direct") && line("e2").contains("twoways"),
        "{}",
        line("e2")
    );
    assert!(line("e3").contains("dynamic: true"), "{}", line("e3"));
    assert!(line("e4").contains("sar and sdm"), "{}", line("e4"));
    assert!(line("e5").contains("ydl"), "{}", line("e5"));
    assert!(line("e6").contains("individual"), "{}", line("e6"));
    assert!(line("e7").contains("dynamic models"), "{}", line("e7"));
}

#[test]
fn initial_condition_needs_three_periods() {
    let (d, w) = produc_log();
    let mut short = d.clone();
    short.t = 2;
    short.y.truncate(2 * d.n);
    short.x.iter_mut().for_each(|c| c.truncate(2 * d.n));
    short.times.truncate(2);
    let mut o = SpatialOptions::new(Fe::Individual);
    o.dynamic = Some(DynamicOptions::default());
    let e = fit_spatial(&short, w, ModelKind::Sar, &o).unwrap_err().to_string();
    assert!(e.contains("T ≥ 3"), "{e}");
}

#[test]
fn static_effects_of_a_dynamic_fit_are_the_short_run_effects() {
    use spillover::effects::{effects_of_fit, EffectsOptions, Method};
    let f = fit(&spec(ModelKind::Sdm, Fe::Individual, DynamicCorrection::Ydl));
    assert_eq!(f.regressors, X.to_vec());
    let o = EffectsOptions {
        method: Method::Delta,
        ..Default::default()
    };
    let e = effects_of_fit(&f, &produc_log().1, &o).unwrap();
    for (k, x) in X.iter().enumerate() {
        for (rows, what) in [(&e.direct, "direct"), (&e.indirect, "indirect"), (&e.total, "total")] {
            let name = format!("DYN.SDM.individual.LY.impacts.short.{what}[{x}]");
            assert_rel(&name, rows[k].estimate, reference(&name), 1e-6);
        }
    }
}
