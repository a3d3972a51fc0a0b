//! SAC / SARAR (spatial lag and spatial error, docs/methods.md §7.7) against splm's
//! `spml(model = "within", effect, lag = TRUE, spatial.error = "b")` on insurance
//! (tests/fixtures/insurance/expected_sac.json; splm's `lambda` is the lag coefficient, its `rho`
//! the error coefficient), at 1e−4 (splm's optimiser).

use crate::common::{fixture, weights_in_order};
use serde_json::Value;
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::Panel;
use spillover::models::ml::{fit_spatial, LagOrder, SpatialFit, SpatialOptions};
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
