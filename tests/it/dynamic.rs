//! Dynamic spatial panels (docs/methods.md §14) on produc against the independent exact
//! implementation `dynown` (tests/fixtures/produc/expected_dynamic.json, copied from the
//! shared reference; names `DYN.<SAR|SDM>.<individual|twoways>.<noLY|LY|DIR>[.tlonly].*`):
//! uncorrected QML, the YDL / Lee–Yu corrections, standard errors with Ω = 0 (`se_info`) and
//! with SDPDmod's kurtosis term (`se`), the spectral radius (METHODS App. F.4) and the
//! unit-root Wald test. Estimates at 1e−6, standard errors at 1e−5 (relative).

use crate::common::{fixture, produc_log_design, weights_in_order};
use crate::sandbox::Sandbox;
use serde_json::Value;
use spillover::models::ml::{
    dynamic_spectral_radius, fit_spatial, DynamicCorrection, DynamicCovariance, DynamicOptions, LagOrder,
    SpatialFit, SpatialOptions,
};
use spillover::models::{Design, Fe, ModelKind};
use spillover::weights::Weights;
use std::collections::HashMap;
use std::sync::OnceLock;

const X: [&str; 4] = ["lpcap", "lpc", "lemp", "unemp"];

fn reference(name: &str) -> f64 {
    reference_opt(name).unwrap_or_else(|| panic!("no reference {name}"))
}

fn reference_opt(name: &str) -> Option<f64> {
    static R: OnceLock<HashMap<String, f64>> = OnceLock::new();
    let r = R.get_or_init(|| {
        let text = std::fs::read_to_string(fixture("produc/expected_dynamic.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["figures"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| Some((f["name"].as_str()?.to_string(), f["value"].as_f64()?)))
            .collect()
    });
    r.get(name).copied()
}

#[track_caller]
fn close(what: &str, got: f64, want: f64, rel: f64) {
    let err = (got - want).abs() / want.abs();
    assert!(err <= rel, "{what}: got {got:.12e}, dynown {want:.12e}, relative error {err:.2e} > {rel:.0e}");
}

fn produc() -> &'static (Design, Weights) {
    static P: OnceLock<(Design, Weights)> = OnceLock::new();
    P.get_or_init(|| {
        let d = produc_log_design();
        let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
        (d, w)
    })
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
    let (d, w) = produc();
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
        close(&format!("{prefix}.{name}"), c.estimate, reference(&format!("{prefix}.{name}")), 1e-6);
        if let Some(se) = se_field {
            let key = name.strip_prefix("coef").map_or(format!("[{name}]"), str::to_string);
            close(
                &format!("{prefix}.{se}{key}"),
                c.std_error,
                reference(&format!("{prefix}.{se}{key}")),
                1e-5,
            );
        }
    }
    close(&format!("{prefix}.sigma2"), m.sigma2, reference(&format!("{prefix}.sigma2")), 1e-6);
    close(&format!("{prefix}.logLik"), m.loglik, reference(&format!("{prefix}.logLik")), 1e-9);
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
        check(dy.uncorrected.as_ref().unwrap(), &format!("{prefix}.nobc"), Some("se_info"), sdm, true);
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
        check(dy.uncorrected.as_ref().unwrap(), &format!("{prefix}.nobc"), Some("se_info"), sdm, true);
        for (corr, name) in [(DynamicCorrection::None, "noLY"), (DynamicCorrection::LeeYuDirect, "DIR")] {
            let mut s = spec(kind, Fe::TwoWays, corr);
            s.lag_order = LagOrder::DemeanFirst;
            check(&fit(&s), &format!("DYN.{tag}.twoways.{name}"), Some("se_info"), sdm, true);
        }
    }
}
