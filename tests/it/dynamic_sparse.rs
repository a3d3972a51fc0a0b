//! Dynamic spatial panels on the sparse path (docs/methods.md §14.7): on produc the sparse path
//! (lndet "sparse": sparse Cholesky, exact traces by sparse solves, Lanczos for the extreme
//! eigenvalues) agrees with the exact eigenvalue path at 1e−8 — estimates, standard errors,
//! uncorrected and corrected estimates, unit roots, spectral radius — and with the independent
//! implementation `dynown` (tests/fixtures/produc/expected_dynamic.json) at its tolerances; the
//! short- and long-run effects of the sparse fit match; a one-way k-NN W (sparse LU, Arnoldi on
//! S⁻¹(τI + ηW)) matches its eigenvalue path; stochastic traces report their standard errors;
//! and a synthetic N = 3000 k-NN panel with known τ, ρ, η fits on the sparse path near the truth.

use crate::common::{assert_rel, figure_map, produc_log};
use spillover::effects::{effects_of_fit, Effects, EffectsOptions, Method, Mode};
use spillover::linalg::logdet::LogDetMethod;
use spillover::models::ml::synthetic::{dynamic_sdm_panel, DynamicSdmSpec, SdmSpec};
use spillover::models::ml::{
    fit_spatial, DynamicCorrection, DynamicCovariance, DynamicOptions, LagOrder, SpatialFit, SpatialOptions,
};
use spillover::models::{Design, Fe, ModelKind};
use spillover::weights::Weights;
use std::collections::HashMap;
use std::sync::OnceLock;

fn reference(name: &str) -> f64 {
    static R: OnceLock<HashMap<String, f64>> = OnceLock::new();
    let r = R.get_or_init(|| figure_map("produc/expected_dynamic.json"));
    *r.get(name).unwrap_or_else(|| panic!("no reference {name}"))
}

fn options(fe: Fe, corr: DynamicCorrection, cov: DynamicCovariance, lndet: LogDetMethod) -> SpatialOptions {
    let mut o = SpatialOptions::new(fe);
    o.lndet = lndet;
    o.dynamic = Some(DynamicOptions {
        time_lag: true,
        space_time_lag: true,
        bias_correction: Some(corr),
        covariance: cov,
    });
    o
}

fn fit_with(d: &Design, w: &Weights, kind: ModelKind, o: &SpatialOptions) -> SpatialFit {
    fit_spatial(d, w, kind, o).unwrap_or_else(|e| panic!("{kind:?} {:?}: {e}", o.lndet))
}

/// Every coefficient, standard error, σ², logLik, the spectral radius and the unit roots of
/// `s` (sparse) against `e` (eigen), and the same for their uncorrected fits.
fn same_fit(what: &str, s: &SpatialFit, e: &SpatialFit, tol: f64) {
    let (ms, me) = (&s.model, &e.model);
    assert_eq!(ms.coefficients.len(), me.coefficients.len(), "{what}");
    for (a, b) in ms.coefficients.iter().zip(&me.coefficients) {
        assert_eq!(a.term, b.term, "{what}");
        assert_rel(&format!("{what} {}", a.term), a.estimate, b.estimate, tol);
        assert_rel(&format!("{what} se {}", a.term), a.std_error, b.std_error, tol);
    }
    assert_rel(&format!("{what} sigma2"), ms.sigma2, me.sigma2, tol);
    assert_rel(&format!("{what} logLik"), ms.loglik, me.loglik, tol);
    let (ds, de) = (s.dynamic.as_ref().unwrap(), e.dynamic.as_ref().unwrap());
    assert_rel(
        &format!("{what} spectral radius"),
        ds.spectral_radius,
        de.spectral_radius,
        tol,
    );
    assert_eq!(ds.unit_roots, de.unit_roots, "{what} unit roots");
    assert_rel(
        &format!("{what} Wald"),
        ds.wald_unit.statistic,
        de.wald_unit.statistic,
        tol,
    );
    match (&ds.uncorrected, &de.uncorrected) {
        (Some(a), Some(b)) => same_fit(&format!("{what} uncorrected"), a, b, tol),
        (None, None) => {}
        _ => panic!("{what}: one path has an uncorrected fit, the other not"),
    }
}

fn sparse_fit(kind: ModelKind, o: &SpatialOptions) -> SpatialFit {
    let (d, w) = produc_log();
    let f = fit_with(d, w, kind, o);
    assert!(f.spectrum.is_none(), "sparse path expected");
    f
}

fn eigen_fit(kind: ModelKind, o: &SpatialOptions) -> SpatialFit {
    let (d, w) = produc_log();
    let mut o = o.clone();
    o.lndet = LogDetMethod::Eigen;
    fit_with(d, w, kind, &o)
}

#[test]
fn produc_sparse_path_matches_eigen_path_individual_and_two_way() {
    use DynamicCorrection as C;
    use DynamicCovariance as V;
    for (kind, tag) in [(ModelKind::Sar, "SAR"), (ModelKind::Sdm, "SDM")] {
        for (fe, corr, cov, demean_first) in [
            (Fe::Individual, C::Ydl, V::Structural, false),
            (Fe::Individual, C::Ydl, V::Sdpdmod, false),
            (Fe::Individual, C::None, V::Gaussian, false),
            (Fe::TwoWays, C::LeeYuTransform, V::Structural, false),
            (Fe::TwoWays, C::LeeYuTransform, V::Sdpdmod, false),
            (Fe::TwoWays, C::LeeYuDirect, V::Gaussian, true),
        ] {
            let mut o = options(fe, corr, cov, LogDetMethod::Sparse);
            if demean_first {
                o.lag_order = LagOrder::DemeanFirst;
            }
            let s = sparse_fit(kind, &o);
            let e = eigen_fit(kind, &o);
            same_fit(&format!("{tag} {fe:?} {corr:?} {cov:?}"), &s, &e, 1e-8);
        }
    }
}

#[test]
fn produc_sparse_path_against_the_independent_implementation() {
    // Corrected (YDL; Lee–Yu transformation) estimates at 1e−6 and SEs (Ω = 0) at 1e−5, and the
    // spectral radius of App. F.4.
    for (kind, tag) in [(ModelKind::Sar, "SAR"), (ModelKind::Sdm, "SDM")] {
        for (fe, corr, name) in [
            (Fe::Individual, DynamicCorrection::Ydl, "individual"),
            (Fe::TwoWays, DynamicCorrection::LeeYuTransform, "twoways"),
        ] {
            let f = sparse_fit(
                kind,
                &options(fe, corr, DynamicCovariance::Gaussian, LogDetMethod::Sparse),
            );
            let prefix = format!("DYN.{tag}.{name}.LY");
            for (term, key) in [
                ("y(t-1)", "tau"),
                ("W*y(t-1)", "eta"),
                ("rho", "rho"),
                ("lpc", "coef[lpc]"),
            ] {
                let c = f.model.coef(term).unwrap();
                assert_rel(
                    &format!("{prefix}.{key}"),
                    c.estimate,
                    reference(&format!("{prefix}.{key}")),
                    1e-6,
                );
                let se = key.strip_prefix("coef").map_or(format!("[{key}]"), str::to_string);
                assert_rel(
                    &format!("{prefix}.se_info{se}"),
                    c.std_error,
                    reference(&format!("{prefix}.se_info{se}")),
                    1e-5,
                );
            }
            let un = f.dynamic.as_ref().unwrap().uncorrected.as_ref().unwrap();
            let c = un.model.coef("y(t-1)").unwrap();
            assert_rel(
                &format!("{prefix}.nobc.tau"),
                c.estimate,
                reference(&format!("{prefix}.nobc.tau")),
                1e-6,
            );
        }
    }
    let f = sparse_fit(
        ModelKind::Sdm,
        &options(
            Fe::Individual,
            DynamicCorrection::Ydl,
            DynamicCovariance::Structural,
            LogDetMethod::Sparse,
        ),
    );
    assert_rel(
        "F.4 spectral radius (sparse path)",
        f.dynamic.as_ref().unwrap().spectral_radius,
        0.9356033,
        1e-6,
    );
    // The fit says how it computed each piece.
    let info = &f.model.info;
    for key in ["bias_traces", "kurtosis_traces", "stability_method", "effects_traces"] {
        assert!(info.contains_key(key), "no info[{key}]: {info:?}");
    }
    assert!(info["bias_traces"].contains("exact"), "{}", info["bias_traces"]);
    assert!(
        info["stability_method"].contains("Lanczos"),
        "{}",
        info["stability_method"]
    );
}

#[test]
fn produc_sparse_path_time_lag_only_removes_the_unit_root() {
    let mut o = options(
        Fe::Individual,
        DynamicCorrection::Ydl,
        DynamicCovariance::Gaussian,
        LogDetMethod::Sparse,
    );
    o.dynamic.as_mut().unwrap().space_time_lag = false;
    let s = sparse_fit(ModelKind::Sdm, &o);
    let e = eigen_fit(ModelKind::Sdm, &o);
    assert_eq!(s.dynamic.as_ref().unwrap().unit_roots, 1);
    same_fit("SDM tlonly", &s, &e, 1e-8);
    let c = s.model.coef("y(t-1)").unwrap();
    assert_rel(
        "tlonly tau",
        c.estimate,
        reference("DYN.SDM.individual.LY.tlonly.tau"),
        1e-6,
    );
    assert!(s.model.info["bias_traces"].contains("unit roots removed: 1"));
}

fn effects(f: &SpatialFit) -> Effects {
    let o = EffectsOptions {
        method: Method::Delta,
        mode: Mode::Spillover,
        ..Default::default()
    };
    effects_of_fit(f, &produc_log().1, &o).unwrap()
}

#[test]
fn produc_sparse_fit_short_and_long_run_effects() {
    for (kind, fe, corr, prefix) in [
        (
            ModelKind::Sdm,
            Fe::Individual,
            DynamicCorrection::Ydl,
            "DYN.SDM.individual.LY",
        ),
        (
            ModelKind::Sar,
            Fe::TwoWays,
            DynamicCorrection::LeeYuTransform,
            "DYN.SAR.twoways.LY",
        ),
    ] {
        let o = options(fe, corr, DynamicCovariance::Structural, LogDetMethod::Sparse);
        let (es, ee) = (effects(&sparse_fit(kind, &o)), effects(&eigen_fit(kind, &o)));
        let (ds, de) = (es.dynamic.as_ref().unwrap(), ee.dynamic.as_ref().unwrap());
        assert_rel(
            &format!("{prefix} effects radius"),
            ds.spectral_radius,
            de.spectral_radius,
            1e-8,
        );
        let (ls, le) = (ds.long.as_ref().unwrap(), de.long.as_ref().unwrap());
        for (i, x) in es.names.iter().enumerate() {
            let rows = [
                ("short.direct", &es.direct, &ee.direct),
                ("short.indirect", &es.indirect, &ee.indirect),
                ("short.total", &es.total, &ee.total),
                ("long.direct", &ls.direct, &le.direct),
                ("long.indirect", &ls.indirect, &le.indirect),
                ("long.total", &ls.total, &le.total),
            ];
            for (what, a, b) in rows {
                // The sparse fit's effects use the power series (truncation 1e−8).
                assert_rel(&format!("{prefix} {what} {x}"), a[i].estimate, b[i].estimate, 1e-7);
                assert_rel(&format!("{prefix} {what} se {x}"), a[i].std_error, b[i].std_error, 1e-6);
                let key = x.as_str();
                assert_rel(
                    &format!("{prefix}.impacts.{what}[{key}]"),
                    a[i].estimate,
                    reference(&format!("{prefix}.impacts.{what}[{key}]")),
                    1e-5,
                );
            }
        }
    }
}

/// A one-way k-NN panel (W not similar to a symmetric matrix: sparse LU, Arnoldi on A).
fn one_way_panel(n: usize, t: usize) -> (Design, Weights) {
    let mut base = SdmSpec::new(n, t, 11);
    base.rho = 0.3;
    let p = dynamic_sdm_panel(&DynamicSdmSpec {
        base,
        tau: 0.5,
        eta: -0.1,
        burn_in: 20,
        symmetric: false,
    })
    .unwrap();
    assert!(p.w.facts().similarity.is_none(), "one-way k-NN expected");
    (p.design, p.w)
}

#[test]
fn one_way_knn_sparse_lu_and_arnoldi_match_eigen_path() {
    let (d, w) = one_way_panel(150, 8);
    for (kind, fe, corr) in [
        (ModelKind::Sdm, Fe::TwoWays, DynamicCorrection::LeeYuTransform),
        (ModelKind::Sar, Fe::TwoWays, DynamicCorrection::LeeYuDirect),
    ] {
        let o = options(fe, corr, DynamicCovariance::Structural, LogDetMethod::Sparse);
        let s = fit_with(&d, &w, kind, &o);
        assert!(s.spectrum.is_none());
        assert!(
            s.model.info["stability_method"].contains("Arnoldi"),
            "{}",
            s.model.info["stability_method"]
        );
        let mut oe = o.clone();
        oe.lndet = LogDetMethod::Eigen;
        let e = fit_with(&d, &w, kind, &oe);
        same_fit(&format!("one-way {kind:?} {corr:?}"), &s, &e, 1e-8);
    }
}

#[test]
fn stochastic_traces_report_their_standard_errors() {
    let mut o = options(
        Fe::Individual,
        DynamicCorrection::Ydl,
        DynamicCovariance::Structural,
        LogDetMethod::Sparse,
    );
    o.traces.exact_flop_budget = 0.0;
    o.traces.draws = 400;
    let s = sparse_fit(ModelKind::Sdm, &o);
    let e = eigen_fit(ModelKind::Sdm, &o);
    let bias = &s.model.info["bias_traces"];
    assert!(
        bias.contains("Hutchinson") && bias.contains("standard errors of the corrections"),
        "{bias}"
    );
    assert!(s.model.info["kurtosis_traces"].contains("jackknife"));
    // The estimated traces move the corrected estimates by a fraction of their standard errors.
    for term in ["y(t-1)", "W*y(t-1)", "rho"] {
        let (a, b) = (s.model.coef(term).unwrap(), e.model.coef(term).unwrap());
        assert!(
            (a.estimate - b.estimate).abs() < 0.5 * b.std_error,
            "{term}: {} vs {} (se {})",
            a.estimate,
            b.estimate,
            b.std_error
        );
    }
    // The uncorrected QML does not depend on the bias traces.
    let (us, ue) = (
        s.dynamic.as_ref().unwrap().uncorrected.as_ref().unwrap(),
        e.dynamic.as_ref().unwrap().uncorrected.as_ref().unwrap(),
    );
    assert_rel(
        "uncorrected tau",
        us.model.coef("y(t-1)").unwrap().estimate,
        ue.model.coef("y(t-1)").unwrap().estimate,
        1e-8,
    );
}

#[test]
fn large_knn_dynamic_panel_on_the_sparse_path() {
    let (tau, rho, eta) = (0.4, 0.3, -0.1);
    let mut base = SdmSpec::new(3000, 9, 2024);
    base.rho = rho;
    let p = dynamic_sdm_panel(&DynamicSdmSpec {
        base: base.clone(),
        tau,
        eta,
        burn_in: 30,
        symmetric: true,
    })
    .unwrap();
    let start = std::time::Instant::now();
    let o = options(
        Fe::TwoWays,
        DynamicCorrection::LeeYuTransform,
        DynamicCovariance::Structural,
        LogDetMethod::Auto,
    );
    let f = fit_with(&p.design, &p.w, ModelKind::Sdm, &o);
    let secs = start.elapsed().as_secs_f64();
    assert!(f.spectrum.is_none(), "auto takes the sparse path at N = 3000");
    assert!(secs < 120.0, "fit took {secs:.1} s");
    assert_eq!((f.model.n, f.model.t), (3000, 8));
    let m = &f.model;
    for (term, truth) in [
        ("y(t-1)", tau),
        ("rho", rho),
        ("W*y(t-1)", eta),
        ("x1", 1.0),
        ("W*x1", 0.3),
    ] {
        let c = m.coef(term).unwrap();
        assert!(
            (c.estimate - truth).abs() < 4.0 * c.std_error + 0.01,
            "{term}: {} (se {}) vs truth {truth}",
            c.estimate,
            c.std_error
        );
    }
    // True spectral radius: W row-standardised, a(ω) monotone: max(|a(1)|, |a(ω_min)|).
    let dy = f.dynamic.as_ref().unwrap();
    let (lo, hi) = dy.w_range.unwrap();
    assert!((hi - 1.0).abs() < 1e-8, "omega_max {hi}");
    assert!(lo > -1.0 - 1e-12 && lo < 0.0, "omega_min {lo}");
    assert!(dy.spectral_radius < 1.0 && dy.stable());
    // The effects of the sparse fit exist in both runs.
    let e = effects_of_fit(&f, &p.w, &EffectsOptions::default()).unwrap();
    assert!(e.dynamic.as_ref().unwrap().long.is_some());
}

#[test]
fn approximate_log_determinants_take_the_sparse_path() {
    for lndet in [LogDetMethod::Chebyshev, LogDetMethod::MonteCarlo] {
        let o = options(
            Fe::Individual,
            DynamicCorrection::Ydl,
            DynamicCovariance::Structural,
            lndet,
        );
        let s = sparse_fit(ModelKind::Sdm, &o);
        let e = eigen_fit(ModelKind::Sdm, &o);
        assert!(s.model.info["bias_traces"].contains("exact"));
        for term in ["y(t-1)", "W*y(t-1)", "rho"] {
            let (a, b) = (s.model.coef(term).unwrap(), e.model.coef(term).unwrap());
            assert!(
                (a.estimate - b.estimate).abs() < 0.2 * b.std_error,
                "{lndet:?} {term}: {} vs {} (se {})",
                a.estimate,
                b.estimate,
                b.std_error
            );
        }
    }
}
