//! The study end to end: every script in scripts/ runs through the binary into a temporary
//! folder, its tables carry the numbers of direct fits and of the reference values, and
//! `simulate()` draws panels the estimators recover.

use crate::common::{assert_close, citycluster, expected, root};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Frame, Panel};
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::simulate::{simulate, SimulateSpec};
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::weights::build::{weights_economic, EconomicOptions};
use spillover::weights::{Standardization, Weights};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("spillover_study_{tag}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `spillover run SCRIPT OUTDIR` from the crate root.
fn run_script(script: &str, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_spillover"))
        .current_dir(root(""))
        .args(["run", script, out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
}

/// A CSV written by a script.
pub(crate) fn csv(path: &Path) -> Frame {
    read_csv(path.to_str().unwrap(), &CsvOptions::default()).unwrap()
}

/// The numeric cell `col` of the first row whose key columns equal `keys`.
pub(crate) fn cell(f: &Frame, keys: &[(&str, &str)], col: &str) -> f64 {
    let cols: Vec<Vec<String>> = keys.iter().map(|(k, _)| f.keys(k).unwrap()).collect();
    let r = (0..f.nrows())
        .find(|&r| keys.iter().zip(&cols).all(|((_, v), c)| c[r] == *v))
        .unwrap_or_else(|| panic!("no row {keys:?}"));
    f.numeric(col).unwrap()[r]
}

fn city_panel() -> Panel {
    let f = read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap();
    Panel::new(&f, "id", "time").unwrap()
}

const CITY_FORMULA: &str = "y ~ spec + div + c1 + c2 + c3 + c4";

#[test]
fn main_study_is_complete_and_equals_direct_fits() {
    let out = tmpdir("main");
    run_script("scripts/resilience_study.rhai", &out);
    for t in [
        "table2_descriptives",
        "table3_moran",
        "table4_ols_tests",
        "table5_spatial_models",
        "table6_effects",
        "table7_groups",
        "table8_effects_by_group",
    ] {
        for ext in ["md", "csv", "tex"] {
            let p = out.join(format!("{t}.{ext}"));
            assert!(p.metadata().map(|m| m.len() > 0).unwrap_or(false), "missing {p:?}");
        }
    }
    for fig in ["fig_moran_by_year", "fig_moran_scatter", "fig_effects_by_group"] {
        for ext in ["svg", "png"] {
            assert!(out.join(format!("{fig}.{ext}")).exists(), "missing {fig}.{ext}");
        }
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for needle in [
        "## Table 2",
        "## Table 8",
        "fig_moran_by_year.png",
        "fig_effects_by_group.png",
        "Reading:",
    ] {
        assert!(report.contains(needle), "report.md lacks {needle}");
    }

    // Table 5's SDM ρ equals a direct fit and the reference (own, lag-then-demean convention).
    let p = city_panel();
    let w = weights_economic(&p, "gdppc", &EconomicOptions::default()).unwrap();
    let design = Design::from_panel(&p, &Formula::parse(CITY_FORMULA).unwrap()).unwrap();
    let sdm = fit_spatial(&design, &w, ModelKind::Sdm, &SpatialOptions::new(Fe::TwoWays)).unwrap();
    let t5 = csv(&out.join("table5_spatial_models.csv"));
    let rho = cell(&t5, &[("model", "(3) SDM"), ("term", "rho")], "estimate");
    assert_eq!(rho, sdm.rho().unwrap(), "table 5 = direct sdm()");
    assert_close(
        "table 5 SDM rho",
        rho,
        expected("citycluster", "SDM.twoways.noLeeYu.lagdemean.coef[lambda]"),
        1e-6,
    );
    let sar_ll = cell(&t5, &[("model", "(1) SAR"), ("term", "logLik")], "estimate");
    let sar = fit_spatial(&design, &w, ModelKind::Sar, &SpatialOptions::new(Fe::TwoWays)).unwrap();
    assert_eq!(sar_ll, sar.model.loglik);

    // Table 4: the two-way OLS coefficient of spec equals plm's within estimator.
    let t4 = csv(&out.join("table4_ols_tests.csv"));
    assert_close(
        "table 4 two-way spec",
        cell(
            &t4,
            &[("model", "(4) two-way FE"), ("term", "spec")],
            "estimate_or_statistic",
        ),
        expected("citycluster", "within.twoways.coef[spec]"),
        1e-9,
    );

    // Table 2: the mean of y equals the data's.
    let t2 = csv(&out.join("table2_descriptives.csv"));
    let y = p.var("y").unwrap();
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    assert_close("table 2 mean y", cell(&t2, &[("Variable", "y")], "Mean"), mean, 1e-12);

    // Table 6: the direct effect of spec is exact at the estimates (closed form of docs/methods.md §9:
    // mean diagonal of (I − ρW)⁻¹(β I + θ W) over the eigenvalues ω of W).
    let t6 = csv(&out.join("table6_effects.csv"));
    let m = &sdm.model;
    let (b, th) = (m.coef("spec").unwrap().estimate, m.coef("W*spec").unwrap().estimate);
    let r = sdm.rho().unwrap();
    let spec = w.spectrum().unwrap();
    let ev = &spec.re;
    let direct: f64 = ev.iter().map(|om| (b + th * om) / (1.0 - r * om)).sum::<f64>() / ev.len() as f64;
    let got = cell(&t6, &[("variable", "spec"), ("effect", "direct")], "estimate");
    assert_close("table 6 direct spec", got, direct, 1e-9);

    // Table 7: 60 east, 60 central, 56 west cities; Table 8 fits one SDM each.
    let t7 = csv(&out.join("table7_groups.csv"));
    for (g, n) in [("east", 60.0), ("central", 60.0), ("west", 56.0), ("total", 176.0)] {
        assert_eq!(cell(&t7, &[("region", g)], "units"), n, "{g}");
    }
    let t8 = csv(&out.join("table8_effects_by_group.csv"));
    let east = p.filter("region", &["east".to_string()]).unwrap();
    let we = w.subset(east.ids(), false).unwrap();
    let de = Design::from_panel(&east, &Formula::parse(CITY_FORMULA).unwrap()).unwrap();
    let fe = fit_spatial(&de, &we, ModelKind::Sdm, &SpatialOptions::new(Fe::TwoWays)).unwrap();
    let rho_e = cell(&t8, &[("region", "east"), ("variable", "rho")], "estimate");
    assert_eq!(
        rho_e,
        fe.rho().unwrap(),
        "table 8 east rho = direct fit on the sub-panel"
    );

    // The Mar and Jacobs indices recomputed from employment.csv equal the bundled columns.
    let ic = csv(&out.join("indices_check.csv"));
    for v in ic.numeric("max |difference|").unwrap() {
        assert!(*v < 1e-9, "index difference {v}");
    }
}

#[test]
fn produc_script_reproduces_both_conventions() {
    let out = tmpdir("produc");
    run_script("scripts/produc.rhai", &out);
    let t = csv(&out.join("sdm_conventions.csv"));
    assert_close(
        "produc SDM lag_first rho",
        cell(&t, &[("model", "lag_first"), ("term", "rho")], "estimate"),
        expected("produc", "SDM.twoways.noLeeYu.lagdemean.coef[lambda]"),
        1e-6,
    );
    assert_close(
        "produc SDM demean_first (splm) rho",
        cell(&t, &[("model", "demean_first"), ("term", "rho")], "estimate"),
        expected("produc", "SDM.twoways.noLeeYu.coef[lambda]"),
        1e-6,
    );
    assert_close(
        "produc SDM demean_first (splm) lemp",
        cell(&t, &[("model", "demean_first"), ("term", "lemp")], "estimate"),
        expected("produc", "SDM.twoways.noLeeYu.coef[lemp]"),
        1e-6,
    );
    for f in [
        "ols_tests.md",
        "spatial_models_lag_first.tex",
        "sdm_effects.csv",
        "fig_sdm_effects.png",
    ] {
        assert!(out.join(f).exists(), "missing {f}");
    }
}

#[test]
fn columbus_script_matches_spdep() {
    let out = tmpdir("columbus");
    run_script("scripts/columbus.rhai", &out);
    let t = csv(&out.join("models.csv"));
    assert_close(
        "columbus SAR rho",
        cell(&t, &[("model", "SAR"), ("term", "rho")], "estimate"),
        expected("columbus", "SAR.rho"),
        1e-6,
    );
    assert_close(
        "columbus SEM lambda",
        cell(&t, &[("model", "SEM"), ("term", "lambda")], "estimate"),
        expected("columbus", "SEM.lambda"),
        1e-6,
    );
    let lm = csv(&out.join("lm_tests.csv"));
    assert_close(
        "columbus LM-lag",
        cell(&lm, &[("test", "LM lag")], "statistic"),
        8.89799859108786,
        1e-9,
    );
    let mi: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("moran_crime.json")).unwrap()).unwrap();
    assert_close(
        "columbus Moran I",
        mi["i"].as_f64().unwrap(),
        expected("columbus", "moran.CRIME.normality.I"),
        1e-9,
    );
    assert!(out.join("fig_moran_crime.png").exists());
}

#[test]
fn specification_search_script_ranks_and_recovers() {
    let out = tmpdir("search");
    run_script("scripts/specification_search.rhai", &out);
    let r = csv(&out.join("ranking.csv"));
    assert_eq!(r.nrows(), 12, "3 W × 4 models");
    let aic = r.numeric("AIC").unwrap();
    assert!(aic.windows(2).all(|a| a[0] <= a[1]), "ranked by AIC");
    // The winner on the bundled data is the SDM with economic-distance W (the data were drawn
    // from it); its AIC is that of a direct fit.
    assert_eq!(r.keys("model").unwrap()[0], "SDM");
    assert_eq!(r.keys("W").unwrap()[0], "economic distance");
    let rec = csv(&out.join("recovery.csv"));
    let z = rec.numeric("z (estimate − true)").unwrap();
    assert!(z.iter().all(|v| v.abs() < 4.0), "recovery z {z:?}");
    assert!(out.join("seeded_coordinates.csv").exists());
}

#[test]
fn every_script_in_scripts_is_tested_here() {
    let tested = [
        "resilience_study.rhai",
        "produc.rhai",
        "columbus.rhai",
        "specification_search.rhai",
    ];
    for e in std::fs::read_dir(root("scripts")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.ends_with(".rhai") {
            assert!(
                tested.contains(&name.as_str()),
                "scripts/{name} has no test in tests/it/study.rs"
            );
        }
    }
}

/// A rook-contiguity grid of side `k` (N = k²), row-standardised.
fn grid(k: usize) -> Weights {
    let ids: Vec<String> = (0..k * k).map(|i| format!("g{i}")).collect();
    let mut trip = Vec::new();
    for r in 0..k {
        for c in 0..k {
            let i = r * k + c;
            if c + 1 < k {
                trip.push((i, i + 1, 1.0));
                trip.push((i + 1, i, 1.0));
            }
            if r + 1 < k {
                trip.push((i, i + k, 1.0));
                trip.push((i + k, i, 1.0));
            }
        }
    }
    Weights::from_triplets(ids, &trip, Standardization::Row, false).unwrap()
}

fn fit_sim(p: &Panel, w: &Weights, kind: ModelKind) -> spillover::models::ml::SpatialFit {
    let d = Design::from_panel(p, &Formula::parse("y ~ x1 + x2").unwrap()).unwrap();
    fit_spatial(&d, w, kind, &SpatialOptions::new(Fe::TwoWays)).unwrap()
}

#[test]
fn simulate_recovers_sar_and_sdm_and_is_reproducible() {
    let w = grid(20); // N = 400
    let mut spec = SimulateSpec::new(ModelKind::Sar, vec![1.0, -0.5]);
    spec.names = vec!["x1".into(), "x2".into()];
    spec.rho = 0.4;
    spec.t = 10;
    spec.seed = 42;
    let p = simulate(&w, &spec, None).unwrap();
    assert_eq!((p.n(), p.t()), (400, 10));
    let f = fit_sim(&p, &w, ModelKind::Sar);
    assert!((f.rho().unwrap() - 0.4).abs() < 0.05, "rho {}", f.rho().unwrap());
    assert!((f.model.coef("x1").unwrap().estimate - 1.0).abs() < 0.05);
    assert!((f.model.coef("x2").unwrap().estimate + 0.5).abs() < 0.05);
    assert!((f.model.sigma2 - 1.0).abs() < 0.1, "sigma2 {}", f.model.sigma2);

    // same seed, same panel; another seed, another panel
    let again = simulate(&w, &spec, None).unwrap();
    assert_eq!(p.var("y").unwrap(), again.var("y").unwrap());
    assert_eq!(p.var("x2").unwrap(), again.var("x2").unwrap());
    spec.seed = 43;
    let other = simulate(&w, &spec, None).unwrap();
    assert_ne!(p.var("y").unwrap(), other.var("y").unwrap());

    // SDM and SEM recover their parameters too
    let mut sdm = SimulateSpec::new(ModelKind::Sdm, vec![1.0, -0.5]);
    sdm.names = vec!["x1".into(), "x2".into()];
    sdm.theta = vec![0.5, 0.3];
    sdm.rho = 0.4;
    sdm.seed = 5;
    let f = fit_sim(&simulate(&w, &sdm, None).unwrap(), &w, ModelKind::Sdm);
    assert!((f.rho().unwrap() - 0.4).abs() < 0.05, "sdm rho {}", f.rho().unwrap());
    assert!((f.model.coef("W*x1").unwrap().estimate - 0.5).abs() < 0.15);
    let mut sem = SimulateSpec::new(ModelKind::Sem, vec![1.0, -0.5]);
    sem.names = vec!["x1".into(), "x2".into()];
    sem.rho = 0.4;
    sem.seed = 6;
    let f = fit_sim(&simulate(&w, &sem, None).unwrap(), &w, ModelKind::Sem);
    assert!((f.rho().unwrap() - 0.4).abs() < 0.05, "sem lambda {}", f.rho().unwrap());
}

#[test]
fn simulate_solves_the_model_equation_dense_and_iterative() {
    // With σ = 0 and no effects, y_t must satisfy y_t − ρWy_t = X_tβ + WX_tθ exactly, whether
    // (I − ρW)⁻¹ is applied by LU (N ≤ 2000) or by iteration (N > 2000).
    for k in [10, 46] {
        let w = grid(k);
        let mut s = SimulateSpec::new(ModelKind::Sdm, vec![2.0]);
        s.names = vec!["x1".into()];
        s.theta = vec![-1.0];
        s.rho = 0.7;
        s.t = 2;
        s.sigma = 0.0;
        s.fe = Fe::None;
        let p = simulate(&w, &s, None).unwrap();
        let (y, x) = (p.var("y").unwrap(), p.var("x1").unwrap());
        let n = w.n();
        for t in 0..2 {
            let (yt, xt) = (&y[t * n..(t + 1) * n], &x[t * n..(t + 1) * n]);
            let (wy, wx) = (w.lag(yt), w.lag(xt));
            for i in 0..n {
                let resid = yt[i] - 0.7 * wy[i] - 2.0 * xt[i] + wx[i];
                assert!(resid.abs() < 1e-9, "N = {n}: residual {resid}");
            }
        }
    }
}

#[test]
fn simulate_with_given_regressors_and_clear_errors() {
    let p = city_panel();
    let w = weights_economic(&p, "gdppc", &EconomicOptions::default()).unwrap();
    let mut s = SimulateSpec::new(ModelKind::Sar, vec![1.0, 0.5]);
    s.names = vec!["spec".into(), "div".into()];
    s.rho = 0.3;
    s.y = "y_sim".into();
    let ps = simulate(&w, &s, Some(&p)).unwrap();
    assert_eq!(ps.var("spec").unwrap(), p.var("spec").unwrap(), "X kept from the data");
    assert!(ps.var("y_sim").is_ok());
    s.names = vec!["spec".into()];
    let e = simulate(&w, &s, Some(&p)).unwrap_err().to_string();
    assert!(e.contains("1 regressor names for 2 coefficients"), "{e}");
    let mut bad = SimulateSpec::new(ModelKind::Sar, vec![1.0]);
    bad.names = vec!["x1".into()];
    bad.theta = vec![0.5];
    let e = simulate(&w, &bad, None).unwrap_err().to_string();
    assert!(e.contains("theta is for sdm"), "{e}");
}
