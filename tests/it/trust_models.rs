//! Issue 13, models: cross-section rows matched to W by id (item 1), effects by coefficient role
//! and reserved regressor names (item 2), LR tests only of nested fits of the same data and W
//! (item 7), one absorbed-regressor message for OLS and the ML models (item 12), and the spectrum
//! of W kept across reorderings (item 13).

use crate::common::{assert_close, citycluster, expected, fixture, ids, weights_in_order};
use crate::sandbox::Sandbox;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Column, Frame, Panel};
use spillover::effects::{effects, input_from_fit, EffectsOptions, Method};
use spillover::models::lm::{lm_tests, LmOptions};
use spillover::models::ml::{fit_spatial, LagOrder, SpatialFit, SpatialOptions};
use spillover::models::ols::ols;
use spillover::models::spatial_tests::lr_test;
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::weights::{Standardization, Weights};
use std::sync::Arc;

const COLUMBUS_F: &str = "CRIME ~ INC + HOVAL";

fn columbus_frame() -> Frame {
    read_csv(&fixture("columbus/data.csv"), &CsvOptions::default()).unwrap()
}

/// Columbus W with its units in POLYID order 1..49.
fn columbus_w() -> Weights {
    weights_in_order(&fixture("columbus/weights.csv"), &ids(49))
}

/// The frame's rows sorted by CRIME (so row k is no longer unit k).
fn sorted_by_crime(f: &Frame) -> Frame {
    let crime = f.numeric("CRIME").unwrap();
    let mut order: Vec<usize> = (0..f.nrows()).collect();
    order.sort_by(|a, b| crime[*a].total_cmp(&crime[*b]));
    assert_ne!(order, (0..f.nrows()).collect::<Vec<_>>());
    f.take(&order)
}

fn frame_csv(f: &Frame) -> String {
    let names = f.names();
    let mut s = names.join(",") + "\n";
    for r in 0..f.nrows() {
        let row: Vec<String> = names
            .iter()
            .map(|n| match f.column(n).unwrap() {
                Column::Num(v) => format!("{}", v[r]),
                Column::Text(v) => v[r].clone(),
            })
            .collect();
        s += &(row.join(",") + "\n");
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Item 1: rows matched to W by id.

#[test]
fn cross_section_rows_are_matched_to_w_by_id() {
    let w = columbus_w();
    let f = columbus_frame();
    let formula = Formula::parse(COLUMBUS_F).unwrap();
    let fit_all = |frame: &Frame, id: Option<&str>| {
        let d = Design::from_frame_matched(frame, &formula, id, w.ids()).unwrap();
        let sar = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::None)).unwrap();
        let sdm = fit_spatial(&d, &w, ModelKind::Sdm, &SpatialOptions::new(Fe::None)).unwrap();
        let lm = lm_tests(&ols(&d, Fe::None).unwrap(), &w, &LmOptions::default()).unwrap();
        (sar, sdm, lm)
    };
    let (sar0, sdm0, lm0) = fit_all(&f, Some("POLYID"));
    assert_close("SAR rho", sar0.rho().unwrap(), expected("columbus", "SAR.rho"), 1e-6);
    assert_close(
        "LM lag",
        lm0.lm_lag.statistic,
        expected("columbus", "lmtest.LMlag.stat"),
        1e-9,
    );
    // Sorted by CRIME: by POLYID, and by a column named "id" without the option.
    let sorted = sorted_by_crime(&f);
    let with_id = sorted
        .with_column("id", sorted.column("POLYID").unwrap().clone())
        .unwrap();
    for (frame, id) in [(&sorted, Some("POLYID")), (&with_id, None)] {
        let (sar, sdm, lm) = fit_all(frame, id);
        assert_close("sorted SAR rho", sar.rho().unwrap(), sar0.rho().unwrap(), 1e-9);
        assert_close("sorted SAR logLik", sar.model.loglik, sar0.model.loglik, 1e-9);
        assert_close("sorted SDM rho", sdm.rho().unwrap(), sdm0.rho().unwrap(), 1e-9);
        assert_close("sorted SDM logLik", sdm.model.loglik, sdm0.model.loglik, 1e-9);
        for (a, b) in [
            (&lm.lm_lag, &lm0.lm_lag),
            (&lm.lm_error, &lm0.lm_error),
            (&lm.robust_lm_lag, &lm0.robust_lm_lag),
            (&lm.robust_lm_error, &lm0.robust_lm_error),
        ] {
            assert_close(&a.name, a.statistic, b.statistic, 1e-9);
        }
    }
}

#[test]
fn cross_section_without_id_names_the_matching_columns() {
    let w = columbus_w();
    let f = sorted_by_crime(&columbus_frame());
    let formula = Formula::parse(COLUMBUS_F).unwrap();
    let e = Design::from_frame_matched(&f, &formula, None, w.ids())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no column") && e.contains("\"id\"") && e.contains("POLYID"),
        "{e}"
    );
    // A unit missing from the data is named.
    let short = f.take(&(1..f.nrows()).collect::<Vec<_>>());
    let first = f.keys("POLYID").unwrap()[0].clone();
    let e = Design::from_frame_matched(&short, &formula, Some("POLYID"), w.ids())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("POLYID") && e.contains(&format!("in the weights but not in the data: {first}")),
        "{e}"
    );
    // No column holds W's ids.
    let no_ids = f.select(&["CRIME".into(), "INC".into(), "HOVAL".into()]).unwrap();
    let e = Design::from_frame_matched(&no_ids, &formula, None, w.ids())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no column of the frame holds"), "{e}");
}

#[test]
fn script_cross_section_models_match_rows_by_id() {
    let f = sorted_by_crime(&columbus_frame());
    let with_id = f.with_column("id", f.column("POLYID").unwrap().clone()).unwrap();
    let weights = std::fs::read(fixture("columbus/weights.csv")).unwrap();
    let sb = Sandbox::new(
        "trust_rows_by_id",
        &[
            ("sorted.csv", frame_csv(&f).as_bytes()),
            ("sorted_id.csv", frame_csv(&with_id).as_bytes()),
            ("w.csv", &weights),
        ],
    );
    let e = sb.fails(
        "let c = read_csv(\"sorted.csv\"); let w = read_weights(\"w.csv\");\nsar(c, \"CRIME ~ INC + HOVAL\", w)",
        &["sar:", "by id", "POLYID", "#{id: \"POLYID\"}"],
    );
    assert!(!e.contains("CRIME,") && !e.contains("INC,"), "{e}");
    sb.fails(
        "let c = read_csv(\"sorted.csv\"); let w = read_weights(\"w.csv\");\nlm_tests(c, \"CRIME ~ INC + HOVAL\", w)",
        &["lm_tests:", "POLYID"],
    );
    sb.succeeds(
        "let c = read_csv(\"sorted_id.csv\"); let w = read_weights(\"w.csv\");\n\
         let m = sar(c, \"CRIME ~ INC + HOVAL\", w);\n\
         if (m.rho - 0.423325428938467).abs() > 1e-6 { throw `rho ${m.rho}`; }\n\
         let lm = lm_tests(c, \"CRIME ~ INC + HOVAL\", w);\n\
         if (lm[\"lm_lag\"].statistic - 8.89799859108786).abs() > 1e-8 { throw `lm_lag ${lm}`; }\n\
         let m2 = sdm(read_csv(\"sorted.csv\"), \"CRIME ~ INC + HOVAL\", w, #{id: \"POLYID\"});\n\
         let lr = lr_test(m2, m);\n\
         if (lr.statistic - 2.06943513956662).abs() > 1e-6 { throw `lr ${lr.statistic}`; }\n\
         let o = ols(c, \"CRIME ~ INC + HOVAL\");\n\
         let lr0 = lr_test(m, o);\n\
         if (lr0.statistic - 2.0 * (m.loglik - o.loglik)).abs() > 1e-9 { throw `lr sar-ols ${lr0.statistic}`; }",
    );
}

// ---------------------------------------------------------------------------------------------
// Item 2: effects by role; reserved names.

struct City {
    panel: Panel,
    w: Weights,
}

fn city() -> &'static City {
    static C: std::sync::OnceLock<City> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let f = read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap();
        let panel = Panel::new(&f, "id", "time").unwrap();
        let w = weights_in_order(&citycluster("weights.csv"), panel.ids());
        City { panel, w }
    })
}

const CITY_F: &str = "y ~ spec + div + c1 + c2 + c3 + c4";

fn city_fit(kind: ModelKind, fe: Fe) -> SpatialFit {
    let c = city();
    let d = Design::from_panel(&c.panel, &Formula::parse(CITY_F).unwrap()).unwrap();
    let mut o = SpatialOptions::new(fe);
    o.lag_order = LagOrder::DemeanFirst;
    fit_spatial(&d, &c.w, kind, &o).unwrap()
}

#[test]
fn effects_use_the_fitted_roles_not_the_term_names() {
    let delta = EffectsOptions {
        method: Method::Delta,
        ..EffectsOptions::default()
    };
    for kind in [ModelKind::Sar, ModelKind::Sdm] {
        let fit = city_fit(kind, Fe::TwoWays);
        let c = city();
        let base = effects(&input_from_fit(&fit, &c.w).unwrap(), &delta).unwrap();
        if kind == ModelKind::Sar {
            assert_close(
                "SAR total spec",
                base.total[0].estimate,
                expected("citycluster", "SAR.twoways.noLeeYu.impacts.total[spec]"),
                1e-6,
            );
        }
        // The same fit with its result table's term names shuffled among themselves: a
        // regressor's β now called "rho", ρ called "spec", θ's called "lambda" and "sigma2".
        let mut renamed = fit.clone();
        let terms: Vec<String> = fit.model.coefficients.iter().map(|c| c.term.clone()).collect();
        let rho_at = terms.iter().position(|t| t == "rho").unwrap();
        let new_name = |t: &str| match t {
            "spec" => "rho".to_string(),
            "rho" => "spec".to_string(),
            "W*spec" => "lambda".to_string(),
            "W*div" => "sigma2".to_string(),
            other => other.to_string(),
        };
        for c in &mut renamed.model.coefficients {
            c.term = new_name(&c.term);
        }
        assert_eq!(renamed.model.coefficients[rho_at].term, "spec");
        let fx = effects(&input_from_fit(&renamed, &c.w).unwrap(), &delta).unwrap();
        assert_eq!(fx.names, base.names, "{kind:?}: regressors from the roles");
        for k in 0..base.names.len() {
            for (a, b) in [
                (&fx.direct[k], &base.direct[k]),
                (&fx.indirect[k], &base.indirect[k]),
                (&fx.total[k], &base.total[k]),
            ] {
                assert_eq!(a.estimate, b.estimate, "{kind:?} {}", base.names[k]);
                assert_eq!(a.std_error, b.std_error, "{kind:?} {}", base.names[k]);
            }
        }
        // m.rho reads the role too.
        assert_eq!(renamed.model.spatial_parameter("rho").unwrap(), fit.rho().unwrap());
        assert!(renamed.model.spatial_parameter("lambda").is_err());
    }
}

#[test]
fn reserved_regressor_names_are_refused() {
    for name in ["rho", "lambda", "sigma2", "phi", "(intercept)", "W*spec"] {
        let e = Formula::parse(&format!("y ~ spec + {name}")).unwrap_err().to_string();
        assert!(
            e.contains(&format!("'{name}'")) && e.contains("rename the column"),
            "{e}"
        );
    }
    // Names that merely contain a reserved word are fine.
    Formula::parse("y ~ rho_x + lambda2 + Wx").unwrap();
    let csv = "id,time,y,rho,lambda,x\n1,1,1.0,0.5,0.2,3\n2,1,2.0,0.1,0.3,1\n3,1,1.5,0.7,0.9,2\n";
    let gal = "3\n1 1\n2\n2 2\n1 3\n3 1\n2\n";
    let sb = Sandbox::new(
        "trust_reserved",
        &[("d.csv", csv.as_bytes()), ("w.gal", gal.as_bytes())],
    );
    for (call, name) in [
        ("sar(c, \"y ~ x + rho\", w)", "rho"),
        ("sdm(c, \"y ~ lambda\", w)", "lambda"),
        ("ols(c, \"y ~ rho\")", "rho"),
        ("lm_tests(c, \"y ~ x + lambda\", w)", "lambda"),
    ] {
        sb.fails(
            &format!("let c = read_csv(\"d.csv\"); let w = read_weights(\"w.gal\");\n{call}"),
            &[&format!("'{name}'"), "reserved", "rename the column"],
        );
    }
}

#[test]
fn model_rho_and_lambda_properties() {
    let weights = std::fs::read(fixture("columbus/weights.csv")).unwrap();
    let data = std::fs::read(fixture("columbus/data.csv")).unwrap();
    let sb = Sandbox::new("trust_rho_prop", &[("d.csv", &data), ("w.csv", &weights)]);
    let head = "let c = read_csv(\"d.csv\"); let w = read_weights(\"w.csv\"); let o = #{id: \"POLYID\"};\n";
    sb.succeeds(&format!(
        "{head}let s = sar(c, \"CRIME ~ INC + HOVAL\", w, o);\n\
         if s.rho != s.coef(\"rho\").estimate {{ throw \"rho\"; }}\n\
         let e = sem(c, \"CRIME ~ INC + HOVAL\", w, o);\n\
         if e.lambda != e.coef(\"lambda\").estimate {{ throw \"lambda\"; }}"
    ));
    sb.fails(
        &format!("{head}sem(c, \"CRIME ~ INC\", w, o).rho"),
        &["m.rho", "sem model has no rho", "lambda"],
    );
    sb.fails(
        &format!("{head}ols(c, \"CRIME ~ INC\").lambda"),
        &["m.lambda", "no spatial parameter"],
    );
}

// ---------------------------------------------------------------------------------------------
// Item 7: LR tests of models that do not belong together.

#[test]
fn lr_test_refuses_models_that_are_not_nested_fits_of_the_same_data() {
    let w = columbus_w();
    let f = columbus_frame();
    let fit = |frame: &Frame, formula: &str, w: &Weights, kind: ModelKind| {
        let d = Design::from_frame_matched(frame, &Formula::parse(formula).unwrap(), Some("POLYID"), w.ids()).unwrap();
        fit_spatial(&d, w, kind, &SpatialOptions::new(Fe::None)).unwrap()
    };
    let sar = fit(&f, COLUMBUS_F, &w, ModelKind::Sar);
    let sdm = fit(&f, COLUMBUS_F, &w, ModelKind::Sdm);
    // The valid comparison keeps its reference value.
    let lr = lr_test(&sdm.model, &sar.model).unwrap();
    assert_close("LR", lr.statistic, expected("columbus", "LR.SDM_vs_SAR.stat"), 1e-6);
    // Another W: binary contiguity, not row-standardised.
    let pattern: Vec<(usize, usize, f64)> = w.matrix().iter().map(|(_, (i, j))| (i, j, 1.0)).collect();
    let w2 = Weights::from_triplets(w.ids().to_vec(), &pattern, Standardization::None, false).unwrap();
    let sdm_w2 = fit(&f, COLUMBUS_F, &w2, ModelKind::Sdm);
    let e = lr_test(&sdm_w2.model, &sar.model).unwrap_err().to_string();
    assert!(
        e.contains("different weights matrices W") && e.contains("other values"),
        "{e}"
    );
    // Other data: one HOVAL value changed.
    let mut hoval = f.numeric("HOVAL").unwrap().to_vec();
    hoval[3] += 1.0;
    let f2 = f.with_column("HOVAL", Column::Num(hoval)).unwrap();
    let e = lr_test(&fit(&f2, COLUMBUS_F, &w, ModelKind::Sdm).model, &sar.model)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("different data") && e.contains("HOVAL") && !e.contains("CRIME"),
        "{e}"
    );
    // Other regressors: not nested.
    let e = lr_test(&fit(&f, "CRIME ~ INC + OPEN", &w, ModelKind::Sdm).model, &sar.model)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("regressors HOVAL of the sar model are not in the sdm model"),
        "{e}"
    );
    // A restricted model with fewer regressors is nested and allowed.
    let sar_inc = fit(&f, "CRIME ~ INC", &w, ModelKind::Sar);
    assert!(lr_test(&sdm.model, &sar_inc.model).is_ok());
    // Kinds that do not nest (SDEM vs SAR), and arguments swapped.
    let sdem = fit(&f, COLUMBUS_F, &w, ModelKind::Sdem);
    let e = lr_test(&sdem.model, &sar.model).unwrap_err().to_string();
    assert!(e.contains("a sar model is not a restriction of a sdem model"), "{e}");
    let e = lr_test(&sar.model, &sdm.model).unwrap_err().to_string();
    assert!(e.contains("pass the general model first"), "{e}");
}

#[test]
fn lr_test_refuses_other_fixed_effects_and_lists_every_difference() {
    let c = city();
    let d = Design::from_panel(&c.panel, &Formula::parse("y ~ spec + div").unwrap()).unwrap();
    let sdm = fit_spatial(&d, &c.w, ModelKind::Sdm, &SpatialOptions::new(Fe::TwoWays)).unwrap();
    let sar_ind = fit_spatial(&d, &c.w, ModelKind::Sar, &SpatialOptions::new(Fe::Individual)).unwrap();
    let e = lr_test(&sdm.model, &sar_ind.model).unwrap_err().to_string();
    assert!(e.contains("fixed effects twoways vs individual"), "{e}");
    // Different W and FE at once: both named.
    let w2 = c.w.standardize(Standardization::Row).unwrap();
    let sar_w2 = fit_spatial(&d, &w2, ModelKind::Sar, &SpatialOptions::new(Fe::Time)).unwrap();
    let e = lr_test(&sdm.model, &sar_w2.model).unwrap_err().to_string();
    assert!(
        e.contains("fixed effects twoways vs time") && e.contains("weights matrices"),
        "{e}"
    );
    // The same fits in the binary: W differs.
    let sb = Sandbox::new(
        "trust_lr_w",
        &[
            ("d.csv", &std::fs::read(fixture("columbus/data.csv")).unwrap()),
            ("w.csv", &std::fs::read(fixture("columbus/weights.csv")).unwrap()),
        ],
    );
    sb.fails(
        "let c = read_csv(\"d.csv\"); let w = read_weights(\"w.csv\"); let o = #{id: \"POLYID\"};\n\
         let k = weights_knn(c, #{id: \"POLYID\", x: \"X\", y: \"Y\", k: 4});\n\
         lr_test(sdm(c, \"CRIME ~ INC + HOVAL\", k, o), sar(c, \"CRIME ~ INC + HOVAL\", w, o))",
        &["lr_test", "not nested", "different weights matrices W", "other links"],
    );
}

// ---------------------------------------------------------------------------------------------
// Item 12: one absorbed-regressor message.

#[test]
fn regressor_absorbed_by_time_effects_is_named_as_such_by_every_model() {
    let c = city();
    // A regressor that varies over time only.
    let f = c.panel.frame();
    let times = f.numeric("time").unwrap();
    let trend: Vec<f64> = times.iter().map(|t| (t - 2000.0) * 0.5 + 1.0).collect();
    let f = f.with_column("trend", Column::Num(trend)).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    let d = Design::from_panel(&p, &Formula::parse("y ~ spec + trend").unwrap()).unwrap();
    for fe in [Fe::Time, Fe::TwoWays] {
        let e_ols = ols(&d, fe).unwrap_err().to_string();
        assert!(e_ols.contains("regressor 'trend'") && e_ols.contains("fixed effects absorb it"));
        assert!(!e_ols.contains("constant within the sample"));
        for kind in [ModelKind::Sar, ModelKind::Sem, ModelKind::Sdm] {
            let e = fit_spatial(&d, &c.w, kind, &SpatialOptions::new(fe))
                .unwrap_err()
                .to_string();
            assert_eq!(e, e_ols, "{kind:?} {fe:?}");
        }
    }
    let e = ols(&d, Fe::Time).unwrap_err().to_string();
    assert!(
        e.contains("is the same for every unit in each period, so the time fixed effects absorb it"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 13: the spectrum survives a reordering of W.

#[test]
fn spectrum_is_computed_once_when_w_is_in_another_order() {
    let c = city();
    // The same W with its units in reverse order (built independently: its own cache).
    let mut rev: Vec<String> = c.panel.ids().to_vec();
    rev.reverse();
    let w_rev = weights_in_order(&citycluster("weights.csv"), &rev);
    assert_ne!(w_rev.ids(), c.panel.ids());
    let d = Design::from_panel(&c.panel, &Formula::parse(CITY_F).unwrap()).unwrap();
    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.lndet = spillover::linalg::logdet::LogDetMethod::Eigen;
    let fits: Vec<SpatialFit> = [ModelKind::Sar, ModelKind::Sem, ModelKind::Sdm]
        .iter()
        .map(|k| fit_spatial(&d, &w_rev, *k, &o).unwrap())
        .collect();
    let s = w_rev.spectrum().unwrap();
    for f in &fits {
        assert!(
            Arc::ptr_eq(f.spectrum.as_ref().unwrap(), &s),
            "{:?}: the eigenvalues were recomputed for the reordered W",
            f.kind
        );
    }
    // The aligned matrix shares the cache too, and the estimates equal those with W in the
    // panel's order.
    assert!(Arc::ptr_eq(
        &w_rev.aligned_to(c.panel.ids()).unwrap().spectrum().unwrap(),
        &s
    ));
    for f in &fits {
        let g = fit_spatial(&d, &c.w, f.kind, &o).unwrap();
        for (a, b) in f.model.coefficients.iter().zip(&g.model.coefficients) {
            assert_close(&a.term, a.estimate, b.estimate, 1e-9);
        }
        assert_close("logLik", f.model.loglik, g.model.loglik, 1e-9);
    }
}
