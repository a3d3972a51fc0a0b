//! Spatial ML models (docs/methods.md §7, §8) against the reference values of tests/fixtures and the
//! deterministic panel of docs/methods.md Appendix B.

use crate::common::{
    assert_abs, assert_close, citycluster, columbus, expected, expected_list, expected_opt, fixture, weights_in_order,
};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Column, Frame, Panel};
use spillover::linalg::logdet::LogDetMethod;
use spillover::models::ml::{fit_spatial, BiasCorrection, Information, LagOrder, SpatialFit, SpatialOptions};
use spillover::models::spatial_tests::{lr_test, wald_test, wald_test_with_cov};
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::weights::Weights;
use std::sync::OnceLock;

const EST_TOL: f64 = 1e-6;

fn with_logs(f: &Frame, cols: &[(&str, &str)]) -> Frame {
    let mut f = f.clone();
    for (new, old) in cols {
        let v: Vec<f64> = f.numeric(old).unwrap().iter().map(|x| x.ln()).collect();
        f = f.with_column(new, Column::Num(v)).unwrap();
    }
    f
}

struct Case {
    name: &'static str,
    panel: Panel,
    formula: Formula,
    w: Weights,
}

impl Case {
    fn design(&self) -> Design {
        Design::from_panel(&self.panel, &self.formula).unwrap()
    }
}

fn produc() -> &'static Case {
    static C: OnceLock<Case> = OnceLock::new();
    C.get_or_init(|| {
        let f = read_csv(&fixture("produc/data.csv"), &CsvOptions::default()).unwrap();
        let f = with_logs(
            &f,
            &[("lgsp", "gsp"), ("lpcap", "pcap"), ("lpc", "pc"), ("lemp", "emp")],
        );
        let panel = Panel::new(&f, "id", "time").unwrap();
        let w = weights_in_order(&fixture("produc/weights.csv"), panel.ids());
        Case {
            name: "produc",
            w,
            formula: Formula::parse("lgsp ~ lpcap + lpc + lemp + unemp").unwrap(),
            panel,
        }
    })
}

fn city() -> &'static Case {
    static C: OnceLock<Case> = OnceLock::new();
    C.get_or_init(|| {
        let f = read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap();
        let panel = Panel::new(&f, "id", "time").unwrap();
        let w = weights_in_order(&citycluster("weights.csv"), panel.ids());
        Case {
            name: "citycluster",
            w,
            formula: Formula::parse("y ~ spec + div + c1 + c2 + c3 + c4").unwrap(),
            panel,
        }
    })
}

fn opts(fe: Fe, order: LagOrder, bc: BiasCorrection, info: Information) -> SpatialOptions {
    let mut o = SpatialOptions::new(fe);
    o.lag_order = order;
    o.bias_correction = bc;
    o.information = info;
    o
}

/// Reference name of a spillover term in the panel references (splm calls the SAR/SDM
/// parameter lambda and the SEM one rho; lagged regressors are W_x).
fn ref_term(term: &str) -> String {
    match term {
        "rho" => "lambda".into(),
        "lambda" => "rho".into(),
        t => t.replace("W*", "W_"),
    }
}

/// Compares every coefficient, standard error, σ² and logL of `fit` with the references
/// `{prefix}.coef[..]`, `{prefix}.{se}[..]`, `{prefix}.sigma2`, `{prefix}.logLik(_full)`.
fn check_panel(case: &str, prefix: &str, fit: &SpatialFit, se: &str, check_point: bool) {
    let m = &fit.model;
    for c in &m.coefficients {
        let r = ref_term(&c.term);
        if check_point {
            let want = expected(case, &format!("{prefix}.coef[{r}]"));
            assert_close(&format!("{case} {prefix} coef {}", c.term), c.estimate, want, EST_TOL);
        }
        let want = expected(case, &format!("{prefix}.{se}[{r}]"));
        assert_close(&format!("{case} {prefix} {se} {}", c.term), c.std_error, want, EST_TOL);
    }
    if check_point {
        assert_close(
            &format!("{case} {prefix} sigma2"),
            m.sigma2,
            expected(case, &format!("{prefix}.sigma2")),
            EST_TOL,
        );
        let ll = if m.kind == ModelKind::Sem {
            "logLik_full"
        } else {
            "logLik"
        };
        assert_close(
            &format!("{case} {prefix} logLik"),
            m.loglik,
            expected(case, &format!("{prefix}.{ll}")),
            EST_TOL,
        );
    }
}

const FES: [(Fe, &str); 3] = [
    (Fe::Individual, "individual"),
    (Fe::Time, "time"),
    (Fe::TwoWays, "twoways"),
];
const KINDS: [(ModelKind, &str); 3] = [
    (ModelKind::Sar, "SAR"),
    (ModelKind::Sdm, "SDM"),
    (ModelKind::Sem, "SEM"),
];

/// One convention of the reference set: name suffix, options, which SE name.
struct Variant {
    suffix: &'static str,
    order: LagOrder,
    bc: BiasCorrection,
    info: Information,
    se: &'static str,
}

fn run_variants(c: &Case, variants: &[Variant]) {
    let d = c.design();
    let mut checked = 0;
    for (fe, fe_name) in FES {
        for (kind, kname) in KINDS {
            for v in variants {
                let prefix = format!("{kname}.{fe_name}.{}", v.suffix);
                let probe = format!(
                    "{prefix}.coef[{}]",
                    if kind == ModelKind::Sem { "rho" } else { "lambda" }
                );
                if expected_opt(c.name, &probe).is_none()
                    && expected_opt(c.name, &format!("{prefix}.se_full[lambda]")).is_none()
                {
                    // Conventions the reference set does not cover (e.g. Elhorst bc for SEM).
                    assert!(
                        kind == ModelKind::Sem && v.bc == BiasCorrection::Elhorst,
                        "{}: missing reference {probe}",
                        c.name
                    );
                    continue;
                }
                if v.se == "se_full"
                    && expected_opt(
                        c.name,
                        &format!(
                            "{prefix}.se_full[{}]",
                            if kind == ModelKind::Sem { "rho" } else { "lambda" }
                        ),
                    )
                    .is_none()
                {
                    panic!("{}: missing reference {prefix}.se_full", c.name);
                }
                let fit = fit_spatial(&d, &c.w, kind, &opts(fe, v.order, v.bc, v.info)).unwrap();
                assert!(fit.model.warnings.is_empty(), "{prefix}: {:?}", fit.model.warnings);
                check_panel(c.name, &prefix, &fit, v.se, v.se != "se_full");
                checked += 1;
            }
        }
    }
    assert!(checked >= 9, "only {checked} fits checked");
}

fn default_variants() -> Vec<Variant> {
    vec![Variant {
        suffix: "noLeeYu.lagdemean",
        order: LagOrder::LagFirst,
        bc: BiasCorrection::None,
        info: Information::Elhorst,
        se: "se",
    }]
}

fn other_variants() -> Vec<Variant> {
    vec![
        Variant {
            suffix: "noLeeYu",
            order: LagOrder::DemeanFirst,
            bc: BiasCorrection::None,
            info: Information::Elhorst,
            se: "se",
        },
        Variant {
            suffix: "elhorst_bc",
            order: LagOrder::LagFirst,
            bc: BiasCorrection::Elhorst,
            info: Information::Elhorst,
            se: "se",
        },
        Variant {
            suffix: "leeyu_transform",
            order: LagOrder::LagFirst,
            bc: BiasCorrection::LeeYu,
            info: Information::Elhorst,
            se: "se",
        },
        Variant {
            suffix: "noLeeYu.lagdemean",
            order: LagOrder::LagFirst,
            bc: BiasCorrection::None,
            info: Information::Full,
            se: "se_full",
        },
    ]
}

#[test]
fn produc_defaults() {
    run_variants(produc(), &default_variants());
}

#[test]
fn produc_conventions_and_corrections() {
    run_variants(produc(), &other_variants());
}

#[test]
fn citycluster_defaults() {
    run_variants(city(), &default_variants());
}

#[test]
fn citycluster_conventions_and_corrections() {
    run_variants(city(), &other_variants());
}

/// Individual effects: every convention coincides, and splm's LeeYu equals the exact
/// transformation (README: Appendix C.5).
#[test]
fn individual_effects_conventions_coincide() {
    for c in [produc(), city()] {
        let d = c.design();
        for (kind, kname) in KINDS {
            let o = opts(
                Fe::Individual,
                LagOrder::DemeanFirst,
                BiasCorrection::None,
                Information::Elhorst,
            );
            let fit = fit_spatial(&d, &c.w, kind, &o).unwrap();
            check_panel(
                c.name,
                &format!("{kname}.individual.noLeeYu.lagdemean"),
                &fit,
                "se",
                true,
            );
            let o = opts(
                Fe::Individual,
                LagOrder::LagFirst,
                BiasCorrection::LeeYu,
                Information::Elhorst,
            );
            let fit = fit_spatial(&d, &c.w, kind, &o).unwrap();
            let prefix = format!("{kname}.individual.LeeYu");
            for cf in &fit.model.coefficients {
                let r = ref_term(&cf.term);
                assert_close(
                    &prefix,
                    cf.estimate,
                    expected(c.name, &format!("{prefix}.coef[{r}]")),
                    EST_TOL,
                );
                assert_close(
                    &prefix,
                    cf.std_error,
                    expected(c.name, &format!("{prefix}.se[{r}]")),
                    EST_TOL,
                );
            }
            assert_close(
                &prefix,
                fit.model.sigma2,
                expected(c.name, &format!("{prefix}.sigma2")),
                EST_TOL,
            );
        }
    }
}

/// LR and Wald tests of SDM against SAR and SEM on the panels (splm convention, as the R
/// references; the SEM Wald test uses splm's block-diagonal covariance).
#[test]
fn panel_wald_and_lr_tests() {
    for c in [produc(), city()] {
        let d = c.design();
        for (fe, fe_name) in FES {
            let o = opts(fe, LagOrder::DemeanFirst, BiasCorrection::None, Information::Elhorst);
            let sdm = fit_spatial(&d, &c.w, ModelKind::Sdm, &o).unwrap();
            let sar = fit_spatial(&d, &c.w, ModelKind::Sar, &o).unwrap();
            let sem = fit_spatial(&d, &c.w, ModelKind::Sem, &o).unwrap();
            for (restricted, rname) in [(&sar, "SAR"), (&sem, "SEM")] {
                let lr = lr_test(&sdm.model, &restricted.model).unwrap();
                let base = format!("LR.SDM_vs_{rname}.{fe_name}");
                assert_close(&base, lr.statistic, expected(c.name, &format!("{base}.stat")), 1e-5);
                assert_eq!(lr.df, expected(c.name, &format!("{base}.df")));
                assert_close(&base, lr.p, expected(c.name, &format!("{base}.p")), 1e-3);
            }
            let wald = wald_test(&sdm, ModelKind::Sar).unwrap();
            let base = format!("Wald.SDM_vs_SAR.{fe_name}");
            assert_close(&base, wald.statistic, expected(c.name, &format!("{base}.stat")), 1e-5);
            // splm's covariance drops the ρ–β covariances.
            let p = sdm.model.coefficients.len();
            let ri = sdm.rho_index.unwrap();
            let mut cov = sdm.model.vcov.clone();
            for j in 0..p {
                if j != ri {
                    cov[ri * p + j] = 0.0;
                    cov[j * p + ri] = 0.0;
                }
            }
            let wald = wald_test_with_cov(&sdm, ModelKind::Sem, &cov).unwrap();
            let base = format!("Wald.SDM_vs_SEM.{fe_name}");
            assert_close(&base, wald.statistic, expected(c.name, &format!("{base}.stat")), 1e-5);
            assert_close(&base, wald.p, expected(c.name, &format!("{base}.p")), 1e-3);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// columbus: cross-section with intercept.

fn columbus_fit(kind: ModelKind) -> SpatialFit {
    let (d, w) = columbus();
    fit_spatial(&d, &w, kind, &SpatialOptions::new(Fe::None)).unwrap()
}

#[test]
fn columbus_models() {
    for (kind, name, param) in [
        (ModelKind::Sar, "SAR", "rho"),
        (ModelKind::Sem, "SEM", "lambda"),
        (ModelKind::Sdm, "SDM", "rho"),
    ] {
        let fit = columbus_fit(kind);
        let m = &fit.model;
        for c in &m.coefficients {
            let r = match c.term.as_str() {
                "(intercept)" => "(Intercept)".to_string(),
                "rho" | "lambda" => continue,
                t => t.replace("W*", "lag."),
            };
            assert_close(
                &format!("{name} {r}"),
                c.estimate,
                expected("columbus", &format!("{name}.coef[{r}]")),
                EST_TOL,
            );
            assert_close(
                &format!("{name} se {r}"),
                c.std_error,
                expected("columbus", &format!("{name}.se[{r}]")),
                1e-5,
            );
        }
        let rho = m.coef(param).unwrap();
        assert_close(
            &format!("{name} {param}"),
            rho.estimate,
            expected("columbus", &format!("{name}.{param}")),
            EST_TOL,
        );
        assert_close(
            &format!("{name} se {param}"),
            rho.std_error,
            expected("columbus", &format!("{name}.{param}.se")),
            1e-5,
        );
        assert_close(
            &format!("{name} sigma2"),
            m.sigma2,
            expected("columbus", &format!("{name}.sigma2")),
            EST_TOL,
        );
        assert_close(
            &format!("{name} logLik"),
            m.loglik,
            expected("columbus", &format!("{name}.logLik")),
            EST_TOL,
        );
        assert_close(
            &format!("{name} AIC"),
            m.aic(),
            expected("columbus", &format!("{name}.AIC")),
            EST_TOL,
        );
        assert_eq!(m.n_params as f64, expected("columbus", &format!("{name}.n_par")));
    }
}

#[test]
fn columbus_sdm_vcov_and_tests() {
    let sdm = columbus_fit(ModelKind::Sdm);
    let sar = columbus_fit(ModelKind::Sar);
    let sem = columbus_fit(ModelKind::Sem);
    // R order: rho, (Intercept), INC, HOVAL, lag.INC, lag.HOVAL; ours: β..., θ..., rho.
    let want = expected_list("columbus", "SDM.vcov.rowmajor");
    let ours = |r: usize| if r == 0 { 5 } else { r - 1 };
    for i in 0..6 {
        for j in 0..6 {
            let got = sdm.model.cov(ours(i), ours(j));
            let w = want[i * 6 + j];
            assert!(
                (got - w).abs() <= 1e-5 * w.abs().max(1e-4),
                "vcov[{i},{j}]: {got} vs {w}"
            );
        }
    }
    for (r, name) in [(&sar, "SAR"), (&sem, "SEM")] {
        let lr = lr_test(&sdm.model, &r.model).unwrap();
        assert_close(
            &format!("LR {name}"),
            lr.statistic,
            expected("columbus", &format!("LR.SDM_vs_{name}.stat")),
            1e-5,
        );
        assert_close(
            &format!("LR p {name}"),
            lr.p,
            expected("columbus", &format!("LR.SDM_vs_{name}.p")),
            1e-5,
        );
        assert_eq!(lr.df, 2.0);
        let wald = wald_test(&sdm, name.parse().unwrap()).unwrap();
        assert_close(
            &format!("Wald {name}"),
            wald.statistic,
            expected("columbus", &format!("Wald.SDM_vs_{name}.stat")),
            1e-5,
        );
        assert_close(
            &format!("Wald p {name}"),
            wald.p,
            expected("columbus", &format!("Wald.SDM_vs_{name}.p")),
            1e-5,
        );
    }
    // Misuse is an error naming the fix.
    assert!(lr_test(&sar.model, &sdm.model)
        .unwrap_err()
        .to_string()
        .contains("swap"));
    assert!(wald_test(&sar, ModelKind::Sem).is_err());
}

#[test]
fn common_factor_needs_every_regressor_lagged() {
    let (d, w) = columbus();
    let mut o = SpatialOptions::new(Fe::None);
    o.durbin = Some(vec!["INC".into()]);
    let sdm = fit_spatial(&d, &w, ModelKind::Sdm, &o).unwrap();
    assert_eq!(sdm.model.coefficients.len(), 5);
    assert!(sdm.model.coef("W*INC").is_some() && sdm.model.coef("W*HOVAL").is_none());
    assert!(wald_test(&sdm, ModelKind::Sar).unwrap().df == 1.0);
    let e = wald_test(&sdm, ModelKind::Sem).unwrap_err().to_string();
    assert!(e.contains("HOVAL"), "{e}");
    o.durbin = Some(vec!["INK".into()]);
    let e = fit_spatial(&d, &w, ModelKind::Sdm, &o).unwrap_err().to_string();
    assert!(e.contains("INK") && e.contains("INC"), "{e}");
}

#[test]
fn estimate_on_the_bound_warns() {
    let (d, w) = columbus();
    let mut o = SpatialOptions::new(Fe::None);
    // The SAR ρ̂ is 0.42; cap the interval below it.
    o.interval = Some((-0.5, 0.1));
    let fit = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap();
    assert!((fit.rho().unwrap() - 0.1).abs() < 1e-6);
    assert!(
        fit.model.warnings.iter().any(|w| w.contains("bound")),
        "{:?}",
        fit.model.warnings
    );
    assert!(columbus_fit(ModelKind::Sar).model.warnings.is_empty());
    o.interval = Some((-5.0, 0.5));
    assert!(fit_spatial(&d, &w, ModelKind::Sar, &o)
        .unwrap_err()
        .to_string()
        .contains("feasible"));
}

#[test]
fn slx_and_sdem_are_consistent() {
    let (d, w) = columbus();
    let o = SpatialOptions::new(Fe::None);
    // SLX = OLS on [1, X, WX] with the ML σ².
    let slx = fit_spatial(&d, &w, ModelKind::Slx, &o).unwrap();
    assert_eq!(slx.model.n_params, 6);
    // With an intercept and no spatial parameter, R² (Elhorst) = corr² = 1 − SSE/SST.
    let ybar = d.y.iter().sum::<f64>() / d.y.len() as f64;
    let sst: f64 = d.y.iter().map(|v| (v - ybar).powi(2)).sum();
    let r2 = 1.0 - slx.model.sigma2 * d.y.len() as f64 / sst;
    assert_close("slx r2", slx.model.r2, r2, 1e-12);
    assert_close("slx corr2", slx.model.corr2, r2, 1e-12);
    let sar = columbus_fit(ModelKind::Sar).model;
    assert!(sar.r2 > 0.0 && sar.r2 < 1.0 && sar.corr2 > 0.0 && sar.corr2 < 1.0);
    let sdem = fit_spatial(&d, &w, ModelKind::Sdem, &o).unwrap();
    assert!(sdem.model.coef("lambda").is_some() && sdem.model.coef("W*INC").is_some());
    assert!(sdem.model.loglik >= slx.model.loglik - 1e-9);
    // SDEM at λ fixed at 0 would be SLX: LR ≥ 0 and Wald vs SEM is defined.
    assert!(wald_test(&sdem, ModelKind::Sem).unwrap().statistic > 0.0);
    assert!(wald_test(&slx, ModelKind::Ols).unwrap().statistic > 0.0);
    // SDEM on a panel: λ = 0 interval pins SDEM to SLX.
    let c = produc();
    let dp = c.design();
    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.interval = Some((-1e-3, 1e-3));
    let slx = fit_spatial(&dp, &c.w, ModelKind::Slx, &o).unwrap();
    let sdem = fit_spatial(&dp, &c.w, ModelKind::Sdem, &o).unwrap();
    assert!(sdem.model.loglik >= slx.model.loglik - 1e-9);
}

// ---------------------------------------------------------------------------------------------
// docs/methods.md Appendix B: deterministic panel, N = 12, T = 6.

use crate::common::appendix_b;

fn fit_b(kind: ModelKind, fe: Fe, order: LagOrder, bc: BiasCorrection) -> SpatialFit {
    let (d, w) = appendix_b();
    fit_spatial(&d, &w, kind, &opts(fe, order, bc, Information::Elhorst)).unwrap()
}

#[test]
fn appendix_b_sanity() {
    let (d, w) = appendix_b();
    assert_abs("W[1,2]", w.to_dense()[1], 0.2893967506, 1e-10);
    assert_abs("y11", d.y[0], 1.713655, 1e-6);
    assert_abs("y12,6", d.y[71], 3.480261, 1e-6);
}

#[test]
fn appendix_b_individual_effects() {
    let lf = LagOrder::LagFirst;
    let sar = fit_b(ModelKind::Sar, Fe::Individual, lf, BiasCorrection::None);
    let m = &sar.model;
    assert_abs("SAR rho", m.coef("rho").unwrap().estimate, 0.71925741, 1e-6);
    assert_abs("SAR b1", m.coefficients[0].estimate, 0.98330516, 1e-6);
    assert_abs("SAR b2", m.coefficients[1].estimate, -0.51521176, 1e-6);
    assert_close("SAR s2", m.sigma2, 0.11301420, 1e-6);
    assert_close("SAR ll", m.loglik, -28.3902632, 1e-6);
    for (i, se) in [0.06052274, 0.08980616, 0.05546072].iter().enumerate() {
        assert_close("SAR se", m.coefficients[i].std_error, *se, 1e-6);
    }
    let sem = fit_b(ModelKind::Sem, Fe::Individual, lf, BiasCorrection::None);
    let m = &sem.model;
    assert_abs("SEM lambda", m.coef("lambda").unwrap().estimate, 0.79307936, 1e-6);
    assert_abs("SEM b1", m.coefficients[0].estimate, 1.07917779, 1e-6);
    assert_abs("SEM b2", m.coefficients[1].estimate, -0.56956167, 1e-6);
    assert_close("SEM s2", m.sigma2, 0.10809842, 1e-6);
    assert_close("SEM ll", m.loglik, -28.5135433, 1e-6);
    assert_close("SEM se", m.coef("lambda").unwrap().std_error, 0.05944984, 1e-6);
    let sdm = fit_b(ModelKind::Sdm, Fe::Individual, lf, BiasCorrection::None);
    let m = &sdm.model;
    assert_abs("SDM rho", m.coef("rho").unwrap().estimate, 0.42238342, 1e-6);
    for (c, v) in m
        .coefficients
        .iter()
        .zip([1.01501369, -0.54416541, 0.09858826, 1.81547510])
    {
        assert_abs("SDM coef", c.estimate, v, 1e-6);
    }
    assert_close("SDM ll", m.loglik, -17.3717844, 1e-6);
    assert_close("SDM se rho", m.coef("rho").unwrap().std_error, 0.12241153, 1e-6);
    assert_close(
        "Wald SAR",
        wald_test(&sdm, ModelKind::Sar).unwrap().statistic,
        27.0967641,
        1e-6,
    );
    assert_close(
        "Wald SEM",
        wald_test(&sdm, ModelKind::Sem).unwrap().statistic,
        21.5274379,
        1e-6,
    );
    assert_close(
        "LR SAR",
        lr_test(&sdm.model, &sar.model).unwrap().statistic,
        22.0369576,
        1e-6,
    );
    assert_close(
        "LR SEM",
        lr_test(&sdm.model, &sem.model).unwrap().statistic,
        22.2835179,
        1e-6,
    );
    // Elhorst bc, individual: σ̃² = T/(T−1)·σ̂², ρ unchanged.
    let bc = fit_b(ModelKind::Sar, Fe::Individual, lf, BiasCorrection::Elhorst);
    assert_close("bc s2", bc.model.sigma2, 0.13561703, 1e-6);
    assert_abs("bc rho", bc.rho().unwrap(), 0.71925741, 1e-6);
}

#[test]
fn appendix_b_time_and_two_way() {
    let lf = LagOrder::LagFirst;
    let sar = fit_b(ModelKind::Sar, Fe::TwoWays, lf, BiasCorrection::None);
    let m = &sar.model;
    assert_abs("SAR2 rho", sar.rho().unwrap(), 0.32034720, 1e-6);
    assert_abs("SAR2 b1", m.coefficients[0].estimate, 1.07091023, 1e-6);
    assert_abs("SAR2 b2", m.coefficients[1].estimate, -0.55058347, 1e-6);
    assert_close("SAR2 s2", m.sigma2, 0.08303719, 1e-6);
    assert_close("SAR2 ll", m.loglik, -13.2349596, 1e-6);
    let sdm = fit_b(ModelKind::Sdm, Fe::TwoWays, lf, BiasCorrection::None);
    assert_abs("SDM2 rho", sdm.rho().unwrap(), -0.87920908, 1e-6);
    assert_close("SDM2 ll", sdm.model.loglik, -2.18236665, 1e-6);
    let sem = fit_b(ModelKind::Sem, Fe::TwoWays, LagOrder::DemeanFirst, BiasCorrection::None);
    assert_abs("SEM2 Elhorst lambda", sem.rho().unwrap(), -0.03048539, 1e-6);
    assert_close("SEM2 Elhorst ll", sem.model.loglik, -16.4748828, 1e-6);
    let sem = fit_b(ModelKind::Sem, Fe::TwoWays, lf, BiasCorrection::None);
    assert_abs("SEM2 dummies lambda", sem.rho().unwrap(), -0.0306938, 1e-6);
    let bc = fit_b(ModelKind::Sar, Fe::Time, lf, BiasCorrection::Elhorst);
    assert_close("time bc s2", bc.model.sigma2, 0.19320906, 1e-6);
    assert_abs("time bc rho", bc.rho().unwrap(), 0.37811626, 1e-6);
    let bc = fit_b(ModelKind::Sar, Fe::TwoWays, lf, BiasCorrection::Elhorst);
    assert_abs("2w bc rho", bc.rho().unwrap(), 0.43486141, 1e-6);
    assert_abs("2w bc b1", bc.model.coefficients[0].estimate, 1.04803116, 1e-6);
    assert_abs("2w bc b2", bc.model.coefficients[1].estimate, -0.55492590, 1e-6);
    assert_close("2w bc s2", bc.model.sigma2, 0.10652576, 1e-6);
    assert_close("2w bc ll_elhorst", bc.model.extras["loglik_elhorst"], -13.2349596, 1e-6);
    let ly = fit_b(ModelKind::Sar, Fe::TwoWays, lf, BiasCorrection::LeeYu);
    assert_abs("LY rho", ly.rho().unwrap(), 0.47745317, 1e-6);
    assert_close("LY s2", ly.model.sigma2, 0.10852395, 1e-6);
    assert_close("LY ll", ly.model.loglik, -15.0765098, 1e-6);
}

#[test]
fn option_errors_name_the_fix() {
    let (d, w) = columbus();
    let mut o = SpatialOptions::new(Fe::Individual);
    let e = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap_err().to_string();
    assert!(e.contains("fe") && e.contains("\"none\""), "{e}");
    o.fe = Fe::None;
    o.bias_correction = BiasCorrection::LeeYu;
    let e = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap_err().to_string();
    assert!(e.contains("bias_correction"), "{e}");
    let e = fit_spatial(&d, &w, ModelKind::Ols, &SpatialOptions::new(Fe::None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ols"), "{e}");
}

/// Other log-determinant engines through the `lndet` option: the exact sparse engine gives the
/// eigen estimates (its score uses a numerical derivative); Chebyshev is approximate and says so.
#[test]
fn lndet_engines() {
    let c = produc();
    let d = c.design();
    let mut o = SpatialOptions::new(Fe::TwoWays);
    let eig = fit_spatial(&d, &c.w, ModelKind::Sdm, &o).unwrap();
    assert_eq!(eig.model.info["lndet"], "eigen");
    o.lndet = LogDetMethod::Sparse;
    let sp = fit_spatial(&d, &c.w, ModelKind::Sdm, &o).unwrap();
    assert_eq!(sp.model.info["lndet"], "sparse");
    for (a, b) in eig.model.coefficients.iter().zip(&sp.model.coefficients) {
        assert_abs(&a.term, b.estimate, a.estimate, 1e-8);
    }
    o.lndet = LogDetMethod::Chebyshev;
    let ch = fit_spatial(&d, &c.w, ModelKind::Sdm, &o).unwrap();
    assert_eq!(ch.model.info["lndet"], "chebyshev");
    assert_abs("chebyshev rho", ch.rho().unwrap(), eig.rho().unwrap(), 0.05);
    let e = "cheb".parse::<LogDetMethod>().unwrap_err().to_string();
    assert!(e.contains("chebyshev"), "{e}");
}

/// Effects of fitted panel models (docs/methods.md §9) against the reference `impacts.*` (exact, 1e−6)
/// and `impacts.delta_se.*` (delta method with the full covariance, 1e−5), for every
/// convention the reference set covers.
fn check_effects(c: &Case) {
    use spillover::effects::{effects, input_from_fit, EffectsOptions, Method};
    let d = c.design();
    let variants = [
        ("noLeeYu.lagdemean", LagOrder::LagFirst, BiasCorrection::None),
        ("noLeeYu", LagOrder::DemeanFirst, BiasCorrection::None),
        ("elhorst_bc", LagOrder::LagFirst, BiasCorrection::Elhorst),
        ("leeyu_transform", LagOrder::LagFirst, BiasCorrection::LeeYu),
    ];
    let mut checked = 0;
    for (fe, fe_name) in [(Fe::Individual, "individual"), (Fe::TwoWays, "twoways")] {
        for (kind, kname) in [(ModelKind::Sar, "SAR"), (ModelKind::Sdm, "SDM")] {
            for (suffix, order, bc) in variants {
                let prefix = format!("{kname}.{fe_name}.{suffix}.impacts");
                let x0 = &c.formula.regressors[0];
                if expected_opt(c.name, &format!("{prefix}.direct[{x0}]")).is_none() {
                    continue;
                }
                let fit = fit_spatial(&d, &c.w, kind, &opts(fe, order, bc, Information::Elhorst)).unwrap();
                let input = input_from_fit(&fit, &c.w).unwrap();
                let o = EffectsOptions {
                    method: Method::Delta,
                    ..EffectsOptions::default()
                };
                let fx = effects(&input, &o).unwrap();
                for (k, x) in fx.names.iter().enumerate() {
                    for (what, row) in [("direct", &fx.direct), ("indirect", &fx.indirect), ("total", &fx.total)] {
                        let want = expected(c.name, &format!("{prefix}.{what}[{x}]"));
                        assert_close(
                            &format!("{}: {prefix}.{what}[{x}]", c.name),
                            row[k].estimate,
                            want,
                            1e-6,
                        );
                        if let Some(se) = expected_opt(c.name, &format!("{prefix}.delta_se.{what}[{x}]")) {
                            let se = se.as_f64().unwrap();
                            assert_close(
                                &format!("{}: {prefix}.delta_se.{what}[{x}]", c.name),
                                row[k].std_error,
                                se,
                                1e-5,
                            );
                        }
                    }
                }
                if suffix == "noLeeYu.lagdemean" {
                    // Simulated SEs (2,000 seeded draws) within 5% of the delta-method SEs.
                    let sim = effects(
                        &input,
                        &EffectsOptions {
                            draws: 2000,
                            ..EffectsOptions::default()
                        },
                    )
                    .unwrap();
                    for (a, b) in [
                        (&sim.direct, &fx.direct),
                        (&sim.indirect, &fx.indirect),
                        (&sim.total, &fx.total),
                    ] {
                        for (k, x) in fx.names.iter().enumerate() {
                            let r = a[k].std_error / b[k].std_error;
                            assert!(
                                (0.95..=1.05).contains(&r),
                                "{}: {prefix} {x}: simulated/delta SE = {r}",
                                c.name
                            );
                        }
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "{}: only {checked} effect sets checked", c.name);
}

#[test]
fn produc_effects_match_reference() {
    check_effects(produc());
}

#[test]
fn citycluster_effects_match_reference() {
    check_effects(city());
}
