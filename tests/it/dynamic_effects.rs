//! Short-run and long-run effects of the dynamic spatial panels (docs/methods.md §14.5) on
//! produc against the independent exact implementation `dynown`
//! (tests/fixtures/produc/expected_dynamic.json: `DYN.<model>.<fe>.LY[.tlonly].impacts.<short|long>.
//! <direct|indirect|total>[x]`; METHODS App. F.4 for the individual-FE SDM) at 1e−5; the
//! simulated standard errors against the delta method within simulation error (the reference
//! README: simulated quantities within 5% of the delta-method value); the refusal of the long
//! run for an unstable process; and the script access `to_map().short.*` / `.long.*`.

use crate::common::{assert_rel, figure_map, fixture, produc_log};
use crate::sandbox::Sandbox;
use spillover::effects::{effects_of_fit, Effects, EffectsOptions, Method, Mode};
use spillover::models::ml::{
    fit_spatial, DynamicCorrection, DynamicCovariance, DynamicOptions, SpatialFit, SpatialOptions,
};
use spillover::models::{Fe, ModelKind};
use std::collections::HashMap;
use std::sync::OnceLock;

const X: [&str; 4] = ["lpcap", "lpc", "lemp", "unemp"];

fn reference(name: &str) -> f64 {
    static R: OnceLock<HashMap<String, f64>> = OnceLock::new();
    let r = R.get_or_init(|| figure_map("produc/expected_dynamic.json"));
    *r.get(name).unwrap_or_else(|| panic!("no reference {name}"))
}

fn fit(kind: ModelKind, fe: Fe, space_time_lag: bool) -> SpatialFit {
    let (d, w) = produc_log();
    let mut o = SpatialOptions::new(fe);
    o.dynamic = Some(DynamicOptions {
        time_lag: true,
        space_time_lag,
        bias_correction: None,
        covariance: DynamicCovariance::Structural,
    });
    fit_spatial(d, w, kind, &o).unwrap()
}

fn sdm_individual() -> &'static SpatialFit {
    static F: OnceLock<SpatialFit> = OnceLock::new();
    F.get_or_init(|| {
        let f = fit(ModelKind::Sdm, Fe::Individual, true);
        assert_eq!(f.dynamic.as_ref().unwrap().correction, DynamicCorrection::Ydl);
        f
    })
}

fn effects(f: &SpatialFit, method: Method, mode: Mode) -> Effects {
    let o = EffectsOptions {
        method,
        mode,
        ..Default::default()
    };
    effects_of_fit(f, &produc_log().1, &o).unwrap()
}

/// SR and LR point effects of `f` against `prefix.impacts.*`.
/// With `long` false the process is unstable and only the short run is compared.
fn check_points(f: &SpatialFit, prefix: &str, long: bool) {
    let e = effects(f, Method::Delta, Mode::Spillover);
    let d = e.dynamic.as_ref().expect("dynamic effects");
    assert_eq!(
        d.long.is_some(),
        long,
        "{prefix}: spectral radius {}",
        d.spectral_radius
    );
    for (k, x) in X.iter().enumerate() {
        let i = e.names.iter().position(|n| n == x).unwrap_or(k);
        for (j, (what, sr)) in [("direct", &e.direct), ("indirect", &e.indirect), ("total", &e.total)]
            .into_iter()
            .enumerate()
        {
            let name = |run: &str| format!("{prefix}.impacts.{run}.{what}[{x}]");
            assert_rel(&name("short"), sr[i].estimate, reference(&name("short")), 1e-5);
            if let Some(lr) = &d.long {
                let l = [&lr.direct, &lr.indirect, &lr.total][j];
                assert_rel(&name("long"), l[i].estimate, reference(&name("long")), 1e-5);
            }
        }
    }
}

#[test]
fn sdm_individual_short_and_long_run_point_effects() {
    check_points(sdm_individual(), "DYN.SDM.individual.LY", true);
    // METHODS App. F.4: LR direct of log(emp), LR total of log(pc).
    let e = effects(sdm_individual(), Method::Delta, Mode::Spillover);
    let lr = e.dynamic.as_ref().unwrap().long.as_ref().unwrap();
    assert_rel("F.4 LR direct lemp", lr.direct[2].estimate, 1.4759447, 1e-7);
    assert_rel("F.4 LR total lpc", lr.total[1].estimate, 0.45726189, 1e-7);
    assert_rel("F.4 SR total lemp", e.total[2].estimate, 0.42544609, 1e-7);
    assert_rel(
        "F.4 spectral radius",
        e.dynamic.as_ref().unwrap().spectral_radius,
        0.9356033,
        1e-6,
    );
}

#[test]
fn sar_and_two_way_point_effects() {
    check_points(&fit(ModelKind::Sdm, Fe::TwoWays, true), "DYN.SDM.twoways.LY", true);
    check_points(&fit(ModelKind::Sar, Fe::TwoWays, true), "DYN.SAR.twoways.LY", true);
    check_points(
        &fit(ModelKind::Sar, Fe::Individual, true),
        "DYN.SAR.individual.LY",
        true,
    );
}

#[test]
fn simulated_standard_errors_agree_with_delta() {
    let f = sdm_individual();
    let dm = effects(f, Method::Delta, Mode::Spillover);
    let sim = effects(f, Method::Simulation, Mode::Spillover);
    assert_eq!(sim.draws, 1000);
    assert_eq!(sim.kept, 1000);
    let (ld, ls) = (
        dm.dynamic.as_ref().unwrap().long.as_ref().unwrap(),
        sim.dynamic.as_ref().unwrap().long.as_ref().unwrap(),
    );
    for i in 0..X.len() {
        for (what, a, b) in [
            ("SR direct", &dm.direct, &sim.direct),
            ("SR indirect", &dm.indirect, &sim.indirect),
            ("SR total", &dm.total, &sim.total),
        ] {
            assert_eq!(a[i].estimate, b[i].estimate, "{what} {i}");
            assert_rel(&format!("{what}[{}] se", X[i]), b[i].std_error, a[i].std_error, 0.05);
        }
        // The long run 1/(1 − τ − (ρ+η)ω) is far from linear in (τ, ρ, η) at a spectral radius
        // of 0.94, so its simulated SE exceeds the delta one at the fit's covariance.
        assert!(ls.total[i].std_error > ld.total[i].std_error);
    }
    // With the covariance scaled by 1e−4 the effects are nearly linear over the draws, and the
    // simulated LR SEs (20 000 draws: simulation error about 0.5%) must match the delta method
    // (LR gradients incl. τ and η) within 2%.
    let mut small = f.clone();
    small.model.vcov.iter_mut().for_each(|v| *v *= 1e-4);
    let many = EffectsOptions {
        draws: 20_000,
        ..Default::default()
    };
    let (dm2, sim2) = (
        effects(&small, Method::Delta, Mode::Spillover),
        effects_of_fit(&small, &produc_log().1, &many).unwrap(),
    );
    let (ld2, ls2) = (
        dm2.dynamic.as_ref().unwrap().long.as_ref().unwrap(),
        sim2.dynamic.as_ref().unwrap().long.as_ref().unwrap(),
    );
    for i in 0..X.len() {
        for (what, a, b) in [
            ("LR direct", &ld2.direct, &ls2.direct),
            ("LR indirect", &ld2.indirect, &ls2.indirect),
            ("LR total", &ld2.total, &ls2.total),
        ] {
            assert_rel(
                &format!("{what}[{}] se (small cov)", X[i]),
                b[i].std_error,
                a[i].std_error,
                0.02,
            );
        }
    }
    // Draws of an unstable process were re-drawn and counted (spectral radius 0.94, wide SEs).
    assert!(sim.dynamic.as_ref().unwrap().unstable_redrawn > 0);
    // Seeded: the same options give the same numbers.
    assert_eq!(effects(f, Method::Simulation, Mode::Spillover).dynamic, sim.dynamic);
    // SDPDmod's convention: 200 draws seeded 12345 + 10r, estimate = mean of the draws.
    let sd = effects(f, Method::Simulation, Mode::Sdpdmod);
    assert_eq!((sd.draws, sd.seed), (200, Some(12345)));
    let lsd = sd.dynamic.as_ref().unwrap().long.as_ref().unwrap();
    for i in 0..X.len() {
        assert_eq!(lsd.total[i].estimate, lsd.total[i].mean);
        assert!(
            (lsd.total[i].mean - ld.total[i].estimate).abs()
                < 4.0 * ld.total[i].std_error / (200f64).sqrt() + 0.02 * ld.total[i].estimate.abs()
        );
    }
}

#[test]
fn long_run_refused_when_not_stable() {
    // The SDM without ηWy(t−1) on produc: corrected τ + ρ = 0.618 + 0.504 > 1 (dynown), so the
    // process is not stable; the short run is still reported (against dynown).
    let f = fit(ModelKind::Sdm, Fe::Individual, false);
    check_points(&f, "DYN.SDM.individual.LY.tlonly", false);
    for method in [Method::Delta, Method::Simulation] {
        let e = effects(&f, method, Mode::Spillover);
        let d = e.dynamic.as_ref().unwrap();
        assert!(d.long.is_none());
        assert!(d.spectral_radius > 1.0, "{}", d.spectral_radius);
        let msg = d.refused.as_deref().unwrap();
        assert!(msg.contains("spectral radius") && msg.contains("not stable"), "{msg}");
        assert!(e.direct.iter().all(|r| r.estimate.is_finite()));
        assert!(e.to_string().contains("spectral radius"));
    }
}

#[test]
fn script_short_and_long_run_effects() {
    let data = std::fs::read(fixture("produc/data.csv")).unwrap();
    let wb = std::fs::read(fixture("produc/weights.csv")).unwrap();
    let sb = Sandbox::new("dynamic_effects", &[("d.csv", &data), ("w.csv", &wb)]);
    let script = "\
        let p = panel(read_csv(\"d.csv\"), \"id\", \"time\");\n\
        let w = read_weights(\"w.csv\");\n\
        let fm = \"log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp\";\n\
        let m = sdm(p, fm, w, #{fe: \"individual\", dynamic: true});\n\
        let e = effects(m, #{method: \"delta\"}).to_map();\n\
        print(`srd=${e.short.direct[\"log(emp)\"].estimate} lrt=${e.long.total[\"log(pc)\"].estimate}`);\n\
        print(effects(m, #{draws: 100, seed: 1}));\n\
        let s = effects(sdm(p, fm, w, #{fe: \"individual\"}), #{method: \"delta\"}).to_map();\n\
        print(`static_short=${\"short\" in s} static_direct=${\"direct\" in s}`);\n";
    let out = sb.run(script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let get = |key: &str| -> String {
        let tok = stdout
            .split_whitespace()
            .find(|t| t.starts_with(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in {stdout}"));
        tok[key.len() + 1..].to_string()
    };
    assert_rel(
        "script SR direct lemp",
        get("srd").parse().unwrap(),
        reference("DYN.SDM.individual.LY.impacts.short.direct[lemp]"),
        1e-5,
    );
    assert_rel(
        "script LR total lpc",
        get("lrt").parse().unwrap(),
        reference("DYN.SDM.individual.LY.impacts.long.total[lpc]"),
        1e-5,
    );
    assert!(stdout.contains("Short run") && stdout.contains("Long run"), "{stdout}");
    assert_eq!(get("static_short"), "false");
    assert_eq!(get("static_direct"), "true");
}
