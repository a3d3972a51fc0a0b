//! SAC / SARAR (spatial lag and spatial error, docs/methods.md §7.7) against splm's
//! `spml(model = "within", effect, lag = TRUE, spatial.error = "b")` on insurance
//! (tests/fixtures/insurance/expected_sac.json; splm's `lambda` is the lag coefficient, its `rho`
//! the error coefficient), at 1e−4 (splm's optimiser).

use crate::common::{fixture, weights_in_order};
use crate::sandbox::Sandbox;
use serde_json::Value;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::Panel;
use spillover::models::ml::{fit_spatial, LagOrder, SpatialFit, SpatialOptions};
use spillover::models::spatial_tests::lr_test;
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::weights::Weights;

const INSURANCE_F: &str = "lppcd ~ lrgdp + lbank + lden + rirs + lagen + school + vaagr + fam";
const INSURANCE_X: [&str; 8] = ["lrgdp", "lbank", "lden", "rirs", "lagen", "school", "vaagr", "fam"];

fn insurance() -> (Design, Weights) {
    let f = read_csv(&fixture("insurance/data.csv"), &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "time").unwrap();
    let d = Design::from_panel(&p, &Formula::parse(INSURANCE_F).unwrap()).unwrap();
    let w = weights_in_order(&fixture("insurance/weights.csv"), &d.ids);
    (d, w)
}

/// The reference value `name` of tests/fixtures/insurance/expected_sac.json.
fn reference(name: &str) -> f64 {
    let text = std::fs::read_to_string(fixture("insurance/expected_sac.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no reference {name}"))["value"]
        .as_f64()
        .unwrap()
}

fn close(what: &str, got: f64, want: f64, rel: f64) {
    let err = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        err <= rel,
        "{what}: got {got}, splm {want}, relative error {err:.2e} > {rel:.0e}"
    );
}

fn sac_fit(d: &Design, w: &Weights, fe: Fe, order: LagOrder) -> SpatialFit {
    let mut o = SpatialOptions::new(fe);
    o.lag_order = order;
    fit_spatial(d, w, ModelKind::Sac, &o).unwrap()
}

fn check_splm(effect: &str, fe: Fe) {
    let (d, w) = insurance();
    let fit = sac_fit(&d, &w, fe, LagOrder::DemeanFirst);
    let m = &fit.model;
    let tag = format!("SAC.{effect}.splm");
    let rho = m.coef("rho").unwrap();
    let lam = m.coef("lambda").unwrap();
    eprintln!(
        "{tag}: rho {} ({}) lambda {} ({})",
        rho.estimate, rho.std_error, lam.estimate, lam.std_error
    );
    close(
        "rho (splm lambda)",
        rho.estimate,
        reference(&format!("{tag}.lambda")),
        1e-4,
    );
    close(
        "lambda (splm rho)",
        lam.estimate,
        reference(&format!("{tag}.rho")),
        1e-4,
    );
    close("se rho", rho.std_error, reference(&format!("{tag}.lambda.se")), 1e-4);
    close("se lambda", lam.std_error, reference(&format!("{tag}.rho.se")), 1e-4);
    close("sigma2", m.sigma2, reference(&format!("{tag}.sigma2")), 1e-4);
    for x in INSURANCE_X {
        let c = m.coef(x).unwrap();
        close(
            &format!("coef {x}"),
            c.estimate,
            reference(&format!("{tag}.coef[{x}]")),
            1e-4,
        );
        close(
            &format!("se {x}"),
            c.std_error,
            reference(&format!("{tag}.se[{x}]")),
            1e-4,
        );
    }
}

#[test]
fn sac_individual_matches_splm() {
    check_splm("individual", Fe::Individual);
}

#[test]
fn sac_time_matches_splm() {
    check_splm("time", Fe::Time);
}

#[test]
fn sac_twoways_matches_splm() {
    check_splm("twoways", Fe::TwoWays);
}

#[test]
fn lag_first_differs_from_splm_for_time_effects_and_nests_sar_and_sem() {
    // With individual effects the two lag conventions coincide; with time effects they differ.
    let (d, w) = insurance();
    let a = sac_fit(&d, &w, Fe::Individual, LagOrder::LagFirst);
    let b = sac_fit(&d, &w, Fe::Individual, LagOrder::DemeanFirst);
    let (ra, rb) = (
        a.model.coef("rho").unwrap().estimate,
        b.model.coef("rho").unwrap().estimate,
    );
    assert!((ra - rb).abs() < 1e-9, "{ra} vs {rb}");
    let lf = sac_fit(&d, &w, Fe::Time, LagOrder::LagFirst);
    let df = sac_fit(&d, &w, Fe::Time, LagOrder::DemeanFirst);
    let (r1, r2) = (
        lf.model.coef("rho").unwrap().estimate,
        df.model.coef("rho").unwrap().estimate,
    );
    assert!((r1 - r2).abs() > 1e-6, "lag_first {r1} vs demean_first {r2}");
    // SAR and SEM are SAC with λ = 0 and ρ = 0: the SAC likelihood is at least theirs, and the
    // LR tests have 1 degree of freedom.
    for order in [LagOrder::LagFirst, LagOrder::DemeanFirst] {
        let mut o = SpatialOptions::new(Fe::TwoWays);
        o.lag_order = order;
        let sac = fit_spatial(&d, &w, ModelKind::Sac, &o).unwrap().model;
        let sar = fit_spatial(&d, &w, ModelKind::Sar, &o).unwrap().model;
        let sem = fit_spatial(&d, &w, ModelKind::Sem, &o).unwrap().model;
        assert_eq!(sac.n_params, sar.n_params + 1);
        for restricted in [&sar, &sem] {
            let t = lr_test(&sac, restricted).unwrap();
            assert!(t.statistic >= -1e-9, "{:?} {}", order, t.statistic);
            assert_eq!(t.df, 1.0);
        }
    }
}

#[test]
fn scripts_fit_sac_with_effects_and_refuse_random_effects() {
    let data = std::fs::read(fixture("insurance/data.csv")).unwrap();
    let wb = std::fs::read(fixture("insurance/weights.csv")).unwrap();
    let sb = Sandbox::new("sac", &[("d.csv", &data), ("w.csv", &wb)]);
    let script = format!(
        "let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
         let f = \"{INSURANCE_F}\";\n\
         let w = read_weights(\"w.csv\");\n\
         let m = sac(p, f, w, #{{fe: \"individual\"}});\n\
         print(`rho=${{m.rho}} lambda=${{m.lambda}} k=${{m.coef(\"lambda\").std_error}}`);\n\
         let g = fit(p, f, w, #{{model: \"sac\", fe: \"individual\"}});\n\
         print(`fit=${{g.rho == m.rho && g.lambda == m.lambda}}`);\n\
         let e = effects(m);\n\
         print(e);\n\
         print(lr_test(m, sar(p, f, w, #{{fe: \"individual\"}})));\n\
         let e1 = \"\"; try {{ sac(p, f, w, #{{fe: \"random\"}}); }} catch (err) {{ e1 = `${{err}}`; }}\n\
         print(`random: ${{e1}}`);\n"
    );
    let out = sb.succeeds(&script);
    assert!(out.contains("rho=0.56846"), "{out}");
    assert!(out.contains("lambda=-0.72431"), "{out}");
    assert!(out.contains("fit=true"), "{out}");
    assert!(out.contains("lrgdp") && out.contains("ndirect"), "{out}");
    assert!(out.contains("lr_sac_vs_sar"), "{out}");
    assert!(out.contains("random: ") && out.contains("not yet implemented"), "{out}");
}

#[test]
fn sac_effects_use_rho_and_beta_only() {
    // The effects of a SAC fit are those of a SAR model with the same ρ and β.
    let (d, w) = insurance();
    let fit = sac_fit(&d, &w, Fe::Individual, LagOrder::DemeanFirst);
    let input = spillover::effects::input_from_fit(&fit, &w).unwrap();
    assert_eq!(input.rho, fit.model.coef("rho").unwrap().estimate);
    assert_eq!(input.rho_index, fit.model.index_of("rho"));
    assert_eq!(input.beta[0], fit.model.coef("lrgdp").unwrap().estimate);
}
