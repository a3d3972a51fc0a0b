//! Issue 16, the study and `compare` items: `random_effects: true` in a study spec adds the
//! random-effects models and the Hausman tests to Tables 4 and 5 (their numbers are those of
//! direct fits, and on insurance plm's `plm(model = "random")` and `phtest`), the default study
//! has none of them, and `compare()` shows φ, σ²_μ, θ and a random-effects convention.

use crate::common::{assert_close, citycluster, expected, fixture, insurance_design, weights_in_order, INSURANCE_F};
use crate::sandbox::Sandbox;
use crate::study::{cell, csv};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Frame, Panel};
use spillover::models::compare::{compare, compare_long, CompareOptions};
use spillover::models::hausman::{hausman, HausmanOptions};
use spillover::models::ml::{fit_spatial, ReErrors, SpatialFit, SpatialOptions};
use spillover::models::ols::ols;
use spillover::models::random::{random_effects, ReMethod};
use spillover::models::{Design, Fe, Formula, Model, ModelKind};
use spillover::report::table::fmt_num;
use spillover::report::Cell;
use spillover::weights::build::{weights_economic, EconomicOptions};
use spillover::weights::Weights;

const INSURANCE_X: [&str; 8] = ["lrgdp", "lbank", "lden", "rirs", "lagen", "school", "vaagr", "fam"];
const RE4: &str = "(5) RE (Swamy-Arora)";
const H4: &str = "hausman (unit FE vs RE)";
const H5: &str = "Hausman FE-SDM vs RE-SDM";

/// A study script writing to `res` with the spec entries `entries`.
fn study(entries: &str) -> String {
    format!("import \"study\" as study;\nlet spec = #{{{entries}, effects: #{{draws: 20, seed: 1}}, out: \"res\"}};\nstudy::run(spec);\n")
}

/// The insurance study (file W) with `extra` spec entries.
fn insurance_study(extra: &str) -> String {
    study(&format!(
        "data: \"{}\", formula: \"{INSURANCE_F}\", weights: #{{kind: \"file\", path: \"{}\"}}{extra}",
        fixture("insurance/data.csv"),
        fixture("insurance/weights.csv")
    ))
}

/// The city-cluster study (economic W of gdppc, `y ~ spec + div`) with `extra` spec entries.
fn city_study(extra: &str) -> String {
    study(&format!(
        "data: \"{}\", formula: \"y ~ spec + div\", weights: #{{kind: \"economic\", variable: \"gdppc\"}}{extra}",
        citycluster("city_year.csv")
    ))
}

fn spatial(d: &Design, w: &Weights, kind: ModelKind, fe: Fe, errors: Option<ReErrors>) -> SpatialFit {
    let mut o = SpatialOptions::new(fe);
    o.errors = errors;
    fit_spatial(d, w, kind, &o).unwrap_or_else(|e| panic!("{e}"))
}

/// The text cells of column `col` in the rows whose column `key` is `value`.
fn texts(f: &Frame, key: &str, value: &str, col: &str) -> Vec<String> {
    let k = f.keys(key).unwrap();
    let c = f.keys(col).unwrap();
    (0..f.nrows())
        .filter(|&r| k[r] == value)
        .map(|r| c[r].clone())
        .collect()
}

/// Reference name of a coefficient in expected.json.
fn ref_term(term: &str) -> &str {
    if term == "(intercept)" {
        "(Intercept)"
    } else {
        term
    }
}

/// The extras entry `key` of a random-effects model.
fn extra(m: &Model, key: &str) -> f64 {
    *m.extras.get(key).unwrap_or_else(|| panic!("no {key}"))
}

#[test]
fn insurance_study_with_random_effects_equals_direct_fits_plm_and_phtest() {
    let s = Sandbox::new("study_random_insurance", &[]);
    s.succeeds(&insurance_study(", random_effects: true"));
    let d = insurance_design();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);

    // Table 4: the Swamy–Arora column equals a direct fit and plm at 1e-8.
    let re = random_effects(&d, ReMethod::SwamyArora).unwrap().model;
    let t4 = csv(&s.path("res/table4_ols_tests.csv"));
    let col = "estimate_or_statistic";
    for term in std::iter::once("(intercept)").chain(INSURANCE_X) {
        let keys = [("model", RE4), ("kind", "coef"), ("term", term)];
        let (est, se) = (cell(&t4, &keys, col), cell(&t4, &keys, "std_error_or_df"));
        let c = re.coef(term).unwrap();
        assert_eq!(
            (est, se),
            (c.estimate, c.std_error),
            "table 4 {term} = direct ols(fe random)"
        );
        let r = ref_term(term);
        assert_close(term, est, expected("insurance", &format!("RE.plm.coef[{r}]")), 1e-8);
        assert_close(term, se, expected("insurance", &format!("RE.plm.se[{r}]")), 1e-8);
    }
    let comp = |term: &str| cell(&t4, &[("model", RE4), ("kind", "re"), ("term", term)], col);
    assert_eq!(comp("sigma2_mu"), extra(&re, "sigma2_mu"));
    assert_eq!(comp("phi"), extra(&re, "phi"));
    assert_close(
        "sigma2_idios",
        comp("sigma2_idios"),
        expected("insurance", "RE.plm.sigma2_idios"),
        1e-8,
    );
    assert_close(
        "sigma2_mu",
        comp("sigma2_mu"),
        expected("insurance", "RE.plm.sigma2_id"),
        1e-8,
    );
    assert_close("theta", comp("theta"), expected("insurance", "RE.plm.theta"), 1e-8);

    // The Hausman row: hausman(unit FE, RE) with its sign, df and p; plm's phtest (V_FE − V_RE is
    // indefinite on insurance but regular: the same number, and a warning in the CSV and notes).
    let fe = ols(&d, Fe::Individual).unwrap().model;
    let h = hausman(&fe, &re, &HausmanOptions::default()).unwrap();
    let hk = [("model", H4), ("kind", "hausman_test")];
    let stat = cell(&t4, &hk, col);
    assert_eq!(stat, h.statistic, "table 4 Hausman = direct hausman()");
    assert_close("phtest.stat", stat, expected("insurance", "phtest.stat"), 1e-8);
    assert_eq!(cell(&t4, &hk, "std_error_or_df"), expected("insurance", "phtest.df"));
    assert_close("phtest.p", cell(&t4, &hk, "p"), expected("insurance", "phtest.p"), 1e-8);
    assert_eq!(texts(&t4, "kind", "hausman_test", "term"), vec![INSURANCE_X.join(" ")]);
    let warn = texts(&t4, "kind", "warning", "term");
    assert!(warn.len() == 1 && warn[0].contains("not positive definite"), "{warn:?}");
    let md4 = std::fs::read_to_string(s.path("res/table4_ols_tests.md")).unwrap();
    for needle in [
        RE4,
        H4,
        &fmt_num(h.statistic, 3),
        "Hausman warning: difference of covariances not positive definite",
    ] {
        assert!(md4.contains(needle), "table4 md lacks {needle}");
    }

    // Table 5: SAR-RE, SEM-RE (bsk), SDM-RE equal direct fits; the Hausman test compares an SDM with
    // individual FE (column 7: the spec's fe is the default twoways) with the SDM-RE.
    let t5 = csv(&s.path("res/table5_spatial_models.csv"));
    let get = |model: &str, term: &str, c: &str| cell(&t5, &[("model", model), ("term", term)], c);
    let sar_re = spatial(&d, &w, ModelKind::Sar, Fe::Random, None).model;
    let sem_re = spatial(&d, &w, ModelKind::Sem, Fe::Random, Some(ReErrors::Bsk)).model;
    let sdm_re = spatial(&d, &w, ModelKind::Sdm, Fe::Random, None).model;
    let sdm_fe = spatial(&d, &w, ModelKind::Sdm, Fe::Individual, None).model;
    for (name, m, param) in [
        ("(4) SAR-RE", &sar_re, "rho"),
        ("(5) SEM-RE (bsk)", &sem_re, "lambda"),
        ("(6) SDM-RE", &sdm_re, "rho"),
        ("(7) SDM, unit FE", &sdm_fe, "rho"),
    ] {
        for term in [param, "lrgdp", "phi"] {
            if let Some(c) = m.coef(term) {
                assert_eq!(get(name, term, "estimate"), c.estimate, "{name} {term}");
                assert_eq!(get(name, term, "std_error"), c.std_error, "{name} {term} se");
            }
        }
        assert_eq!(get(name, "logLik", "estimate"), m.loglik, "{name} logLik");
        if m.fe == Fe::Random {
            assert_eq!(
                get(name, "sigma2_mu", "estimate"),
                extra(m, "sigma2_mu"),
                "{name} sigma2_mu"
            );
            assert_eq!(get(name, "theta", "estimate"), extra(m, "theta"), "{name} theta");
        }
    }
    assert_eq!(sem_re.info.get("errors").map(String::as_str), Some("bsk"));
    let h5 = hausman(&sdm_fe, &sdm_re, &HausmanOptions::default()).unwrap();
    assert_eq!(
        get(H5, "statistic", "estimate"),
        h5.statistic,
        "table 5 Hausman = direct hausman()"
    );
    assert_eq!(get(H5, "statistic", "std_error"), h5.df);
    assert_eq!(get(H5, "statistic", "p"), h5.p);
    let terms5 = texts(&t5, "model", H5, "term");
    assert!(terms5.iter().any(|t| t == "compared: rho"), "{terms5:?}");
    assert_eq!(
        terms5.iter().filter(|t| t.starts_with("warning: ")).count(),
        h5.warnings.len()
    );
    // The spatial Hausman statistic carries its sign; the JSON companions are the same tests.
    for (file, t) in [("table4_hausman.json", &h), ("table5_hausman.json", &h5)] {
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(s.path(&format!("res/{file}"))).unwrap()).unwrap();
        assert_eq!(j["statistic"].as_f64().unwrap(), t.statistic, "{file}");
        assert_eq!(j["df"].as_f64().unwrap(), t.df, "{file}");
    }
    let report = std::fs::read_to_string(s.path("res/report.md")).unwrap();
    for needle in [
        "## Table 4. OLS with fixed and random effects",
        "## Table 5. SAR, SEM and SDM with fixed and random effects",
        "the SDM with individual fixed effects (7, fitted for the test; the table's fixed-effects models have fe twoways)",
        &format!("H = {}", fmt_num(h5.statistic, 3)),
        "(6) SDM-RE",
    ] {
        assert!(report.contains(needle), "report.md lacks {needle}");
    }
}

#[test]
fn city_study_with_individual_fe_pairs_the_table_sdm() {
    let s = Sandbox::new("study_random_city", &[]);
    s.succeeds(&city_study(", model: #{fe: \"individual\"}, random_effects: true"));
    let f = read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    let w = weights_economic(&p, "gdppc", &EconomicOptions::default()).unwrap();
    let d = Design::from_panel(&p, &Formula::parse("y ~ spec + div").unwrap()).unwrap();
    let t4 = csv(&s.path("res/table4_ols_tests.csv"));
    let re = random_effects(&d, ReMethod::SwamyArora).unwrap().model;
    let fe = ols(&d, Fe::Individual).unwrap().model;
    for term in ["(intercept)", "spec", "div"] {
        let got = cell(
            &t4,
            &[("model", RE4), ("kind", "coef"), ("term", term)],
            "estimate_or_statistic",
        );
        assert_eq!(got, re.coef(term).unwrap().estimate, "{term}");
    }
    let h = hausman(&fe, &re, &HausmanOptions::default()).unwrap();
    let stat = cell(&t4, &[("model", H4), ("kind", "hausman_test")], "estimate_or_statistic");
    assert_eq!(stat, h.statistic);

    // With fe individual the table's own SDM (column 3) is the FE side: no column 7.
    let t5 = csv(&s.path("res/table5_spatial_models.csv"));
    let models = t5.keys("model").unwrap();
    assert!(!models.iter().any(|m| m.starts_with("(7)")), "{models:?}");
    let sdm_fe = spatial(&d, &w, ModelKind::Sdm, Fe::Individual, None).model;
    let sdm_re = spatial(&d, &w, ModelKind::Sdm, Fe::Random, None).model;
    let rho = cell(&t5, &[("model", "(3) SDM"), ("term", "rho")], "estimate");
    assert_eq!(rho, sdm_fe.coef("rho").unwrap().estimate);
    let phi = cell(&t5, &[("model", "(6) SDM-RE"), ("term", "phi")], "estimate");
    assert_eq!(phi, sdm_re.coef("phi").unwrap().estimate);
    let h5 = hausman(&sdm_fe, &sdm_re, &HausmanOptions::default()).unwrap();
    assert_eq!(
        cell(&t5, &[("model", H5), ("term", "statistic")], "estimate"),
        h5.statistic
    );
    let report = std::fs::read_to_string(s.path("res/report.md")).unwrap();
    assert!(
        report.contains("the SDM with individual fixed effects (3) against the SDM with individual random effects (6)"),
        "{report}"
    );
}

#[test]
fn default_study_has_no_random_effects_rows() {
    let s = Sandbox::new("study_random_default", &[]);
    s.succeeds(&city_study("").replace("out: \"res\"", "out: \"plain\""));
    s.succeeds(&city_study(", random_effects: false").replace("out: \"res\"", "out: \"off\""));
    let mut names: Vec<String> = std::fs::read_dir(s.path("plain"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert!(!names.iter().any(|n| n.contains("hausman")), "{names:?}");
    // random_effects: false is the default, file for file
    for n in names
        .iter()
        .filter(|n| n.ends_with(".md") || n.ends_with(".csv") || n.ends_with(".tex"))
    {
        let a = std::fs::read(s.path(&format!("plain/{n}"))).unwrap();
        let b = std::fs::read(s.path(&format!("off/{n}"))).unwrap();
        assert!(a == b, "{n} differs between the default and random_effects: false");
    }
    for n in [
        "table4_ols_tests.md",
        "table4_ols_tests.csv",
        "table5_spatial_models.md",
        "table5_spatial_models.csv",
        "report.md",
    ] {
        let text = std::fs::read_to_string(s.path(&format!("plain/{n}"))).unwrap();
        for needle in ["RE", "ausman", "phi", "sigma2_mu", "theta", "random"] {
            assert!(!text.contains(needle), "default {n} contains {needle}");
        }
    }
}

#[test]
fn random_effects_spec_key_is_checked() {
    let s = Sandbox::new("study_random_spec", &[]);
    s.fails(
        &city_study(", random_effects: \"yes\""),
        &["spec.random_effects must be true or false", "string"],
    );
    s.fails(
        &city_study(", random_effect: true"),
        &["unknown key 'random_effect'", "did you mean 'random_effects'?"],
    );
    assert!(!s.path("res").exists(), "nothing written");
}

/// The cells of the row of `t` whose first cell is `label`, and of the row under it.
fn row_pair(t: &spillover::report::Table, label: &str) -> (Vec<Cell>, Vec<Cell>) {
    let k = t
        .rows
        .iter()
        .position(|r| r[0] == Cell::Text(label.into()))
        .unwrap_or_else(|| panic!("no row {label}"));
    (t.rows[k].clone(), t.rows[k + 1].clone())
}

#[test]
fn compare_shows_phi_sigma2_mu_and_the_random_effects_convention() {
    let d = insurance_design();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    let fe = ols(&d, Fe::Individual).unwrap().model;
    let sa = random_effects(&d, ReMethod::SwamyArora).unwrap().model;
    let ml = random_effects(&d, ReMethod::Ml).unwrap().model;
    let sdm_fe = spatial(&d, &w, ModelKind::Sdm, Fe::TwoWays, None).model;
    let sdm_re = spatial(&d, &w, ModelKind::Sdm, Fe::Random, None).model;
    let bsk = spatial(&d, &w, ModelKind::Sem, Fe::Random, Some(ReErrors::Bsk)).model;
    let kkp = spatial(&d, &w, ModelKind::Sem, Fe::Random, Some(ReErrors::Kkp)).model;
    let models = [&fe, &sa, &ml, &sdm_fe, &sdm_re, &bsk, &kkp];
    let t = compare(&models, &CompareOptions::default()).unwrap();
    let text = |c: &Cell| match c {
        Cell::Text(s) => s.clone(),
        Cell::Empty => String::new(),
        other => panic!("{other:?}"),
    };

    // φ: the coefficient with stars and its standard error for the ML fits, the Swamy–Arora
    // number without a standard error, blank for the fixed-effects models; last among the terms.
    let (phi, se) = row_pair(&t, "phi");
    for (k, m) in models.iter().enumerate() {
        let (got, got_se) = (text(&phi[k + 1]), text(&se[k + 1]));
        match (m.fe, m.coef("phi")) {
            (Fe::Random, Some(c)) => {
                assert!(got.starts_with(&fmt_num(c.estimate, 4)) && got.ends_with('*'), "{got}");
                assert_eq!(got_se, format!("({})", fmt_num(c.std_error, 4)));
            }
            (Fe::Random, None) => {
                assert_eq!(got, fmt_num(extra(m, "phi"), 4));
                assert_eq!(got_se, "");
            }
            _ => assert_eq!((got.as_str(), got_se.as_str()), ("", ""), "model {k}"),
        }
    }
    let sigma_row = t.rows.iter().position(|r| r[0] == Cell::Text("sigma2".into())).unwrap();
    let phi_row = t.rows.iter().position(|r| r[0] == Cell::Text("phi".into())).unwrap();
    assert_eq!(phi_row + 2, sigma_row, "phi is the last term");
    // σ²_μ = φσ²_ν and θ: the model's own numbers, blank for fixed effects.
    let (mu, theta) = row_pair(&t, "sigma2_mu");
    for (k, m) in models.iter().enumerate() {
        if m.fe == Fe::Random {
            let v = extra(m, "sigma2_mu");
            assert_close("sigma2_mu = phi sigma2", v, extra(m, "phi") * m.sigma2, 1e-12);
            assert_eq!(text(&mu[k + 1]), fmt_num(v, 6));
            assert_eq!(text(&theta[k + 1]), fmt_num(extra(m, "theta"), 6));
        } else {
            assert_eq!((text(&mu[k + 1]), text(&theta[k + 1])), (String::new(), String::new()));
        }
    }
    // The convention row names the random-effects estimator and the error structure.
    let conv = t.rows.iter().find(|r| r[0] == Cell::Text("convention".into())).unwrap();
    let conv: Vec<String> = conv[1..].iter().map(text).collect();
    assert_eq!(conv[0], "least squares");
    assert_eq!(conv[1], "random (individual), Swamy-Arora FGLS");
    assert_eq!(conv[2], "random (individual), ML");
    assert_eq!(conv[3], "lag_first, bc none");
    assert!(
        conv[4].starts_with("random (individual), ML") && !conv[4].contains("errors"),
        "{}",
        conv[4]
    );
    assert!(
        conv[5].starts_with("random (individual), ML, errors bsk"),
        "{}",
        conv[5]
    );
    assert!(
        conv[6].starts_with("random (individual), ML, errors kkp"),
        "{}",
        conv[6]
    );
    let fe_row = t.rows.iter().find(|r| r[0] == Cell::Text("FE".into())).unwrap();
    assert_eq!(text(&fe_row[2]), "random");

    // compare_long: σ²_μ (with its standard error where reported) and θ of every RE model at full
    // precision; φ once per model (the coefficient, or the Swamy–Arora number).
    let long = compare_long(&models, None).unwrap();
    let find = |name: &str, term: &str| -> Vec<Vec<Cell>> {
        long.rows
            .iter()
            .filter(|r| r[0] == Cell::Text(name.into()) && r[1] == Cell::Text(term.into()))
            .cloned()
            .collect()
    };
    let names = [
        "(1) OLS", "(2) OLS", "(3) OLS", "(4) SDM", "(5) SDM", "(6) SEM", "(7) SEM",
    ];
    for (m, name) in models.iter().zip(names) {
        let (mu, th, ph) = (find(name, "sigma2_mu"), find(name, "theta"), find(name, "phi"));
        if m.fe != Fe::Random {
            assert!(mu.is_empty() && th.is_empty() && ph.is_empty(), "{name}");
            continue;
        }
        assert_eq!(mu[0][2], Cell::Num(extra(m, "sigma2_mu")), "{name}");
        assert_eq!(th[0][2], Cell::Num(extra(m, "theta")), "{name}");
        assert_eq!(ph.len(), 1, "{name}: phi once");
        let want = m.coef("phi").map_or(extra(m, "phi"), |c| c.estimate);
        assert_eq!(ph[0][2], Cell::Num(want), "{name}");
        if let Some(se) = m.extras.get("se_sigma2_mu") {
            assert_eq!(mu[0][3], Cell::Num(*se), "{name}");
        }
    }
}
