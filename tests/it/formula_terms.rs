//! R-style formula terms (issue 15, "Formulas"): `log()`, `I()`, `a:b`, `a*b`, `factor(g)`,
//! `- 1` give the same estimates as the model on precomputed columns, and as an independent
//! least-squares fit; fixed effects drop the factor dummies they absorb with a note; invalid
//! values and bad formulas are errors naming the culprit.

use crate::common::{fixture, weights_in_order};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Column, Frame, Panel};
use spillover::effects::{effects, input_from_fit, EffectsOptions, Method};
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::ols::ols;
use spillover::models::{Design, Fe, Formula, Model, ModelKind};
use spillover::weights::Weights;
use std::sync::OnceLock;

const LOGS: &str = "log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp";
const PRECOMPUTED: &str = "lgsp ~ lpcap + lpc + lemp + unemp";

/// The produc frame with the logs precomputed as columns lgsp, lpcap, lpc, lemp.
fn produc_frame() -> &'static Frame {
    static F: OnceLock<Frame> = OnceLock::new();
    F.get_or_init(|| {
        let mut f = read_csv(&fixture("produc/data.csv"), &CsvOptions::default()).unwrap();
        for (new, old) in [("lgsp", "gsp"), ("lpcap", "pcap"), ("lpc", "pc"), ("lemp", "emp")] {
            let v: Vec<f64> = f.numeric(old).unwrap().iter().map(|x| x.ln()).collect();
            f = f.with_column(new, Column::Num(v)).unwrap();
        }
        f
    })
}

fn produc() -> &'static (Panel, Weights) {
    static P: OnceLock<(Panel, Weights)> = OnceLock::new();
    P.get_or_init(|| {
        let p = Panel::new(produc_frame(), "id", "time").unwrap();
        let w = weights_in_order(&fixture("produc/weights.csv"), p.ids());
        (p, w)
    })
}

fn design(formula: &str) -> Design {
    Design::from_panel(&produc().0, &Formula::parse(formula).unwrap()).unwrap_or_else(|e| panic!("{formula}: {e}"))
}

fn design_err(p: &Panel, formula: &str) -> String {
    match Formula::parse(formula).and_then(|f| Design::from_panel(p, &f)) {
        Ok(_) => panic!("{formula}: no error"),
        Err(e) => e.to_string(),
    }
}

fn terms(m: &Model) -> Vec<&str> {
    m.coefficients.iter().map(|c| c.term.as_str()).collect()
}

/// Same estimates and standard errors, to `tol` relative, term by term in order.
fn assert_same_fit(a: &Model, b: &Model, tol: f64, what: &str) {
    assert_eq!(a.coefficients.len(), b.coefficients.len(), "{what}");
    for (x, y) in a.coefficients.iter().zip(&b.coefficients) {
        for (u, v, k) in [(x.estimate, y.estimate, "estimate"), (x.std_error, y.std_error, "se")] {
            assert!(
                (u - v).abs() <= tol * v.abs().max(1e-300),
                "{what} {} vs {}: {k} {u} vs {v}",
                x.term,
                y.term
            );
        }
    }
    assert!((a.loglik - b.loglik).abs() <= tol * b.loglik.abs(), "{what}: loglik");
}

/// Renames the precomputed columns of `names` to their formula labels.
fn as_labels(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            n.replace("lpcap", "log(pcap)")
                .replace("lpc", "log(pc)")
                .replace("lemp", "log(emp)")
        })
        .collect()
}

#[test]
fn logs_in_the_formula_equal_precomputed_columns() {
    let (a, b) = (design(LOGS), design(PRECOMPUTED));
    assert_eq!(a.depvar, "log(gsp)");
    assert_eq!(a.names, ["log(pcap)", "log(pc)", "log(emp)", "unemp"]);
    assert_eq!(
        (&a.y, &a.x),
        (&b.y, &b.x),
        "the columns are the precomputed ones, bit for bit"
    );
    for fe in [Fe::None, Fe::Individual, Fe::TwoWays] {
        let (ma, mb) = (ols(&a, fe).unwrap().model, ols(&b, fe).unwrap().model);
        assert_same_fit(&ma, &mb, 1e-13, &format!("ols {fe:?}"));
        assert_eq!(terms(&ma), as_labels(&terms(&mb)));
    }
    let w = &produc().1;
    for kind in [
        ModelKind::Sar,
        ModelKind::Sem,
        ModelKind::Sdm,
        ModelKind::Sdem,
        ModelKind::Slx,
    ] {
        for fe in [Fe::None, Fe::Individual, Fe::TwoWays] {
            let o = SpatialOptions::new(fe);
            let ma = fit_spatial(&a, w, kind, &o).unwrap().model;
            let mb = fit_spatial(&b, w, kind, &o).unwrap().model;
            assert_same_fit(&ma, &mb, 1e-13, &format!("{kind:?} {fe:?}"));
            assert_eq!(terms(&ma), as_labels(&terms(&mb)));
            if kind != ModelKind::Sar && kind != ModelKind::Sem {
                assert!(terms(&ma).contains(&"W*log(pcap)"), "{:?}", terms(&ma));
            }
        }
    }
}

/// Least squares by the normal equations X'X b = X'y, solved by Gaussian elimination with
/// partial pivoting (independent of the program's QR).
fn normal_equations(x: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let k = x.len();
    let mut a: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            let mut row: Vec<f64> = (0..k)
                .map(|j| x[i].iter().zip(&x[j]).map(|(p, q)| p * q).sum())
                .collect();
            row.push(x[i].iter().zip(y).map(|(p, q)| p * q).sum());
            row
        })
        .collect();
    for c in 0..k {
        let piv = (c..k).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).unwrap();
        a.swap(c, piv);
        let pivot = a[c].clone();
        for row in a.iter_mut().skip(c + 1) {
            let f = row[c] / pivot[c];
            for (x, p) in row.iter_mut().zip(&pivot).skip(c) {
                *x -= f * p;
            }
        }
    }
    let mut b = vec![0.0; k];
    for c in (0..k).rev() {
        let s: f64 = (c + 1..k).map(|j| a[c][j] * b[j]).sum();
        b[c] = (a[c][k] - s) / a[c][c];
    }
    b
}

fn col(name: &str) -> Vec<f64> {
    produc().0.var(name).unwrap().to_vec()
}

fn assert_estimates(m: &Model, names: &[String], b: &[f64], tol: f64) {
    assert_eq!(terms(m), names.iter().map(String::as_str).collect::<Vec<_>>());
    for (c, want) in m.coefficients.iter().zip(b) {
        assert!(
            (c.estimate - want).abs() <= tol * want.abs().max(1e-2),
            "{}: {} vs hand {want}",
            c.term,
            c.estimate
        );
    }
}

#[test]
fn interactions_powers_and_factors_match_a_hand_fit() {
    let d = design("lgsp ~ lpcap*unemp + I(unemp^2) + factor(region)");
    let m = ols(&d, Fe::None).unwrap().model;
    let (x, z, region) = (col("lpcap"), col("unemp"), col("region"));
    let mut names = vec![
        "(intercept)".to_string(),
        "lpcap".into(),
        "unemp".into(),
        "I(unemp^2)".into(),
    ];
    let mut cols = vec![
        vec![1.0; x.len()],
        x.clone(),
        z.clone(),
        z.iter().map(|v| v * v).collect(),
    ];
    for level in 2..=9 {
        names.push(format!("factor(region){level}"));
        cols.push(region.iter().map(|r| f64::from(u8::from(*r == level as f64))).collect());
    }
    names.push("lpcap:unemp".into());
    cols.push(x.iter().zip(&z).map(|(a, b)| a * b).collect());
    let b = normal_equations(&cols, &col("lgsp"));
    assert_estimates(&m, &names, &b, 1e-8);
}

#[test]
fn factor_dummies_pooled_and_interacted() {
    // Pooled: one dummy per region but the first, as a hand-built dummy fit.
    let d = design("lgsp ~ lpcap + factor(region)");
    assert_eq!(d.factor_of[1].as_deref(), Some("factor(region)"));
    let m = ols(&d, Fe::None).unwrap().model;
    let region = col("region");
    let mut names = vec!["(intercept)".to_string(), "lpcap".into()];
    let mut cols = vec![vec![1.0; region.len()], col("lpcap")];
    for level in 2..=9 {
        names.push(format!("factor(region){level}"));
        cols.push(region.iter().map(|r| f64::from(u8::from(*r == level as f64))).collect());
    }
    assert_estimates(&m, &names, &normal_equations(&cols, &col("lgsp")), 1e-8);
    // factor(g):x: one slope per non-reference level, named as R names them.
    let d = design("lgsp ~ lpcap + factor(region):unemp");
    assert_eq!(d.names[1], "factor(region)2:unemp");
    assert_eq!(d.names.len(), 9);
    let z = col("unemp");
    let want: Vec<f64> = region
        .iter()
        .zip(&z)
        .map(|(r, u)| if *r == 3.0 { *u } else { 0.0 })
        .collect();
    assert_eq!(d.x[2], want);
}

#[test]
fn fixed_effects_drop_the_factor_dummies_they_absorb_with_a_note() {
    let with = design("lgsp ~ lpcap + unemp + factor(region)");
    let without = design("lgsp ~ lpcap + unemp");
    for fe in [Fe::Individual, Fe::TwoWays] {
        let m = ols(&with, fe).unwrap().model;
        assert_same_fit(&m, &ols(&without, fe).unwrap().model, 0.0, "absorbed region");
        let note = &m.info["absorbed_terms"];
        assert!(
            note.contains("factor(region)2") && note.contains("factor(region)9"),
            "{note}"
        );
        assert!(m.to_string().contains("absorbed_terms: factor(region)2"), "{m}");
        assert!(m.to_json_value()["absorbed_terms"]
            .as_str()
            .unwrap()
            .contains("factor(region)3"));
        let table = m.report_table().to_text();
        assert!(table.contains("absorbed_terms"), "{table}");
    }
    assert!(ols(&with, Fe::Individual).unwrap().model.info["absorbed_terms"].contains("within every unit"));
    // Time effects do not absorb a region dummy: it stays.
    let m = ols(&with, Fe::Time).unwrap().model;
    assert!(m.coef("factor(region)5").is_some() && !m.info.contains_key("absorbed_terms"));
    // Spatial models too: no W*factor(...) of an absorbed dummy.
    let w = &produc().1;
    let sdm = fit_spatial(&with, w, ModelKind::Sdm, &SpatialOptions::new(Fe::Individual)).unwrap();
    let ref_fit = fit_spatial(&without, w, ModelKind::Sdm, &SpatialOptions::new(Fe::Individual)).unwrap();
    assert_same_fit(&sdm.model, &ref_fit.model, 0.0, "sdm absorbed region");
    assert!(sdm.model.info["absorbed_terms"].contains("factor(region)2"));
    let mut o = SpatialOptions::new(Fe::Individual);
    o.durbin = Some(vec!["lpcap".into(), "factor(region)2".into()]);
    let e = fit_spatial(&with, w, ModelKind::Sdm, &o).unwrap_err().to_string();
    assert!(
        e.contains("'factor(region)2' is a factor dummy that the individual fixed effects absorb"),
        "{e}"
    );
    // A non-factor regressor that the effects absorb is still an error naming it.
    let f = produc_frame();
    let r = f.numeric("region").unwrap().to_vec();
    let p = Panel::new(&f.with_column("reg", Column::Num(r)).unwrap(), "id", "time").unwrap();
    let d = Design::from_panel(&p, &Formula::parse("lgsp ~ lpcap + reg").unwrap()).unwrap();
    let e = ols(&d, Fe::Individual).unwrap_err().to_string();
    assert!(e.contains("regressor 'reg'") && e.contains("absorb"), "{e}");
}

#[test]
fn minus_one_removes_the_pooled_intercept() {
    let m = ols(&design("lgsp ~ lpcap + unemp - 1"), Fe::None).unwrap().model;
    let names = vec!["lpcap".to_string(), "unemp".into()];
    let b = normal_equations(&[col("lpcap"), col("unemp")], &col("lgsp"));
    assert_estimates(&m, &names, &b, 1e-9);
    assert_eq!(m.info["intercept"], "none (the formula removes it)");
    let zero = ols(&design("lgsp ~ 0 + lpcap + unemp"), Fe::None).unwrap().model;
    assert_same_fit(&zero, &m, 0.0, "+ 0");
    // `+ 1` asks for the intercept (R): the last of `- 1` / `+ 1` wins.
    let with = ols(&design("lgsp ~ lpcap + unemp"), Fe::None).unwrap().model;
    for f in [
        "lgsp ~ 1 + lpcap + unemp",
        "lgsp ~ lpcap + unemp + 1",
        "lgsp ~ lpcap - 1 + unemp + 1",
    ] {
        assert_same_fit(&ols(&design(f), Fe::None).unwrap().model, &with, 0.0, f);
    }
    assert_same_fit(
        &ols(&design("lgsp ~ 1 + lpcap + unemp - 1"), Fe::None).unwrap().model,
        &m,
        0.0,
        "+ 1 - 1",
    );
    // Residual degrees of freedom NT − K (no intercept counted).
    assert_eq!(m.extras["df_resid"], (48 * 17 - 2) as f64);
    // Spatial pooled model without intercept.
    let w = &produc().1;
    let sar = fit_spatial(
        &design("lgsp ~ lpcap + unemp - 1"),
        w,
        ModelKind::Sar,
        &SpatialOptions::new(Fe::None),
    )
    .unwrap()
    .model;
    assert_eq!(terms(&sar), ["lpcap", "unemp", "rho"]);
    // Under fixed effects there is no intercept to remove: same fit, with a note.
    let fe = ols(&design("lgsp ~ lpcap + unemp - 1"), Fe::Individual).unwrap().model;
    assert_same_fit(
        &fe,
        &ols(&design("lgsp ~ lpcap + unemp"), Fe::Individual).unwrap().model,
        0.0,
        "fe - 1",
    );
    assert!(fe.info["intercept"].contains("changes nothing"), "{:?}", fe.info);
}

#[test]
fn durbin_names_transformed_terms_and_effects_are_per_term() {
    let (_, w) = produc();
    let d = design(LOGS);
    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.durbin = Some(vec!["log(pcap)".into(), "unemp".into()]);
    let fit = fit_spatial(&d, w, ModelKind::Sdm, &o).unwrap();
    let t = terms(&fit.model);
    assert!(
        t.contains(&"W*log(pcap)") && t.contains(&"W*unemp") && !t.contains(&"W*log(pc)"),
        "{t:?}"
    );
    o.durbin = Some(vec!["log(pcapp)".into()]);
    let e = fit_spatial(&d, w, ModelKind::Sdm, &o).unwrap_err().to_string();
    assert!(e.contains("did you mean 'log(pcap)'"), "{e}");
    let delta = EffectsOptions {
        method: Method::Delta,
        ..EffectsOptions::default()
    };
    let fx = effects(&input_from_fit(&fit, w).unwrap(), &delta).unwrap();
    assert_eq!(fx.names, ["log(pcap)", "log(pc)", "log(emp)", "unemp"]);
}

/// The produc frame with `column` set to `value` for unit `id` in period `time`.
fn produc_with(column: &str, id: &str, time: &str, value: f64) -> Panel {
    let f = produc_frame();
    let (ids, times) = (f.keys("id").unwrap(), f.keys("time").unwrap());
    let r = (0..f.nrows()).find(|&r| ids[r] == id && times[r] == time).unwrap();
    let mut v = f.numeric(column).unwrap().to_vec();
    v[r] = value;
    Panel::new(&f.with_column(column, Column::Num(v)).unwrap(), "id", "time").unwrap()
}

#[test]
fn invalid_values_and_bad_formulas_are_errors_naming_the_culprit() {
    let p = produc_with("pcap", "ARIZONA", "1975", 0.0);
    let e = design_err(&p, LOGS);
    assert!(
        e.contains("log(pcap)") && e.contains("for unit ARIZONA in period 1975") && e.contains("positive"),
        "{e}"
    );
    let e = design_err(&produc_with("pcap", "IOWA", "1980", -3.0), "lgsp ~ sqrt(pcap)");
    assert!(
        e.contains("sqrt(pcap)") && e.contains("for unit IOWA in period 1980"),
        "{e}"
    );
    let e = design_err(&produc_with("pcap", "IOWA", "1980", f64::NAN), LOGS);
    assert!(
        e.contains("variable 'pcap' is missing") && e.contains("for unit IOWA in period 1980"),
        "{e}"
    );
    let p = &produc().0;
    for (formula, parts) in [
        (
            "log(gsp) ~ lg(pcap)",
            &["unknown function lg()", "did you mean log()?"][..],
        ),
        (
            "log(gsp) ~ log(pcap + unemp",
            &["unbalanced parentheses", "never closed"],
        ),
        (
            "log(gsp) ~ log(pcapp)",
            &["unknown variable 'pcapp'", "did you mean 'pcap'?"],
        ),
        (
            "log(gsp) ~ pcapp",
            &["unknown variable 'pcapp'", "did you mean 'pcap'?"],
        ),
        (
            "lgsp ~ lpcap*unemp + unemp:lpcap",
            &["'unemp:lpcap' appears twice (as 'lpcap:unemp')"],
        ),
        ("lgsp ~ lpcap + unemp^2", &["inside I(...)", "I(unemp^2)"]),
        ("lgsp ~ lpcap + rho", &["reserved name"]),
        (
            "lgsp ~ factor(region) + log(factor(region))",
            &["factor() is a term of its own"],
        ),
    ] {
        let e = design_err(p, formula);
        assert!(parts.iter().all(|s| e.contains(s)), "{formula}: {e}");
    }
}

#[test]
fn cross_sections_take_terms_and_name_unit_and_row() {
    let c = read_csv(&fixture("columbus/data.csv"), &CsvOptions::default()).unwrap();
    let d = Design::from_frame(
        &c,
        &Formula::parse("log(CRIME) ~ INC*HOVAL + I(INC^2)").unwrap(),
        Some("POLYID"),
    )
    .unwrap();
    assert_eq!(d.names, ["INC", "HOVAL", "I(INC^2)", "INC:HOVAL"]);
    let inc = c.numeric("INC").unwrap();
    assert_eq!(d.x[2], inc.iter().map(|v| v.powf(2.0)).collect::<Vec<_>>());
    let m = ols(&d, Fe::None).unwrap().model;
    assert_eq!(terms(&m)[0], "(intercept)");
    let mut v = inc.to_vec();
    v[4] = 0.0;
    let bad = c.with_column("INC", Column::Num(v)).unwrap();
    let e = Design::from_frame(&bad, &Formula::parse("CRIME ~ log(INC)").unwrap(), Some("POLYID"))
        .unwrap_err()
        .to_string();
    let id5 = c.keys("POLYID").unwrap()[4].clone();
    assert!(
        e.contains("log(INC)") && e.contains(&format!("for unit {id5} (row 5)")),
        "{e}"
    );
}

#[test]
fn scripts_fit_transformed_terms_and_show_the_parsed_terms() {
    let engine = spillover::script::new_engine(None);
    let data = fixture("produc/data.csv");
    let script = format!(
        r#"let p = panel(read_csv("{data}"), "id", "time");
        let m = ols(p, "log(gsp) ~ log(pcap) + unemp + factor(region)", #{{fe: "individual"}});
        let t = formula_terms("log(y) ~ x*z + I(hwy+water) - 1");
        [coef(m, "log(pcap)").estimate, m.to_map().absorbed_terms, t.outcome, t.terms, t.intercept,
         formula_terms("y ~ a + b").keys().len()]"#
    );
    let out = engine.eval::<rhai::Array>(&script).unwrap_or_else(|e| panic!("{e}"));
    let m = ols(&design("lgsp ~ lpcap + unemp"), Fe::Individual).unwrap().model;
    assert_eq!(out[0].as_float().unwrap(), m.coefficients[0].estimate);
    assert!(out[1].to_string().contains("factor(region)2"), "{}", out[1]);
    assert_eq!(out[2].to_string(), "log(y)");
    let t: Vec<String> = out[3]
        .clone()
        .into_array()
        .unwrap()
        .iter()
        .map(|x| x.to_string())
        .collect();
    assert_eq!(t, ["x", "z", "I(hwy + water)", "x:z"]);
    assert!(!out[4].as_bool().unwrap());
    assert_eq!(
        out[5].as_int().unwrap(),
        2,
        "a formula with an intercept keeps #{{outcome, terms}}"
    );
}

#[test]
fn fe_tests_refuse_formulas_whose_regressors_differ_between_the_models() {
    use spillover::models::fe_tests::{fe_tests, FeTestOptions};
    let o = FeTestOptions::default();
    let e = fe_tests(&design("lgsp ~ lpcap + factor(region)"), &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("factor(region)2") && e.contains("individual"), "{e}");
    let e = fe_tests(&design("lgsp ~ lpcap - 1"), &o).unwrap_err().to_string();
    assert!(e.contains("'- 1'"), "{e}");
    let ok = fe_tests(&design(LOGS), &o).unwrap();
    assert_eq!(ok.loglik, fe_tests(&design(PRECOMPUTED), &o).unwrap().loglik);
}

#[test]
fn cross_section_spatial_fit_of_transformed_terms_equals_precomputed() {
    let c = read_csv(&fixture("columbus/data.csv"), &CsvOptions::default()).unwrap();
    let w = weights_in_order(&fixture("columbus/weights.csv"), &c.keys("POLYID").unwrap());
    let lc: Vec<f64> = c.numeric("CRIME").unwrap().iter().map(|v| v.ln()).collect();
    let sq: Vec<f64> = c.numeric("INC").unwrap().iter().map(|v| v.sqrt()).collect();
    let pre = c
        .with_column("lc", Column::Num(lc))
        .unwrap()
        .with_column("sq", Column::Num(sq))
        .unwrap();
    let fit = |f: &str, kind| {
        let d = Design::from_frame_matched(&pre, &Formula::parse(f).unwrap(), Some("POLYID"), w.ids()).unwrap();
        fit_spatial(&d, &w, kind, &SpatialOptions::new(Fe::None)).unwrap().model
    };
    for kind in [ModelKind::Sar, ModelKind::Sdm] {
        let a = fit("log(CRIME) ~ sqrt(INC) + HOVAL", kind);
        let b = fit("lc ~ sq + HOVAL", kind);
        assert_same_fit(&a, &b, 1e-13, &format!("columbus {kind:?}"));
        assert_eq!(a.depvar, "log(CRIME)");
        if kind == ModelKind::Sdm {
            assert!(terms(&a).contains(&"W*sqrt(INC)"), "{:?}", terms(&a));
        }
    }
}

#[test]
fn factor_levels_sort_as_numbers_or_as_text() {
    let f = Frame::from_columns(vec![
        ("y".into(), Column::Num(vec![1.0, 3.0, 2.0, 5.0, 4.0, 7.0])),
        ("n".into(), Column::Num(vec![10.0, 9.0, 10.0, 2.0, 9.0, 2.0])),
        (
            "s".into(),
            Column::Text(["b", "a", "c", "b", "a", "c"].map(String::from).to_vec()),
        ),
    ])
    .unwrap();
    let d = Design::from_frame(&f, &Formula::parse("y ~ factor(n) + factor(s)").unwrap(), None).unwrap();
    assert_eq!(d.names, ["factor(n)9", "factor(n)10", "factor(s)b", "factor(s)c"]);
    assert_eq!(d.x[1], [1.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
    assert_eq!(d.x[3], [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
    // Interactions of two factors: the first varies fastest, as in R.
    let d = Design::from_frame(&f, &Formula::parse("y ~ factor(n):factor(s)").unwrap(), None).unwrap();
    assert_eq!(
        d.names,
        [
            "factor(n)9:factor(s)b",
            "factor(n)10:factor(s)b",
            "factor(n)9:factor(s)c",
            "factor(n)10:factor(s)c"
        ]
    );
}
