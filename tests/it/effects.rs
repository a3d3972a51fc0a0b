//! Direct, indirect and total effects (docs/methods.md §9): closed forms of Appendix B, the
//! deterministic panel case, and columbus against spatialreg `impacts` (exact, trW, simulated).

use crate::common::{assert_close, fixture, ring};
use spillover::effects::{
    delta, effects, point_effects, prepare, row_sum_moments, EffectsInput, EffectsOptions, Method, Mode, TraceEngine,
};
use spillover::models::ModelKind;
use spillover::weights::io::read_weights;
use spillover::weights::{Spectrum, Standardization, Weights};
use std::sync::Arc;

/// tr(Wᵠ), q = 0..m, from the eigenvalues (Σ Re ωᵠ).
fn traces_from(s: &Spectrum, m: usize) -> Vec<f64> {
    (0..=m)
        .map(|q| {
            s.re.iter()
                .zip(&s.im)
                .map(|(&a, &b)| {
                    let (mut r, mut i) = (1.0, 0.0);
                    for _ in 0..q {
                        (r, i) = (r * a - i * b, r * b + i * a);
                    }
                    r
                })
                .sum()
        })
        .collect()
}

/// A lag-model input with a diagonal covariance (`var`) in the order β, θ (lagged ones), ρ.
fn lag_input(kind: ModelKind, spectrum: Arc<Spectrum>, beta: &[f64], theta: &[Option<f64>], rho: f64) -> EffectsInput {
    let k = beta.len();
    let mut theta_index = Vec::new();
    let mut next = k;
    for t in theta {
        theta_index.push(t.map(|_| {
            next += 1;
            next - 1
        }));
    }
    let p = next + 1;
    let mut cov = vec![0.0; p * p];
    for i in 0..p {
        cov[i * p + i] = 0.01 * (i + 1) as f64;
    }
    EffectsInput {
        kind,
        names: (1..=k).map(|i| format!("x{i}")).collect(),
        beta: beta.to_vec(),
        theta: theta.to_vec(),
        rho,
        cov,
        cov_dim: p,
        beta_index: (0..k).collect(),
        theta_index,
        rho_index: Some(next),
        interval: spectrum.interval(),
        spectrum: Some(spectrum),
        traces: None,
        row_stochastic: true,
        row_sum_moments: None,
    }
}

#[test]
fn two_unit_closed_forms_eigen_and_series() {
    // W = [[0,1],[1,0]]: ADE = (β + ρθ)/(1 − ρ²), ATE = (β + θ)/(1 − ρ) (docs/methods.md App. B).
    let w = ring(2, Standardization::Row);
    let s = w.spectrum().unwrap();
    for &rho in &[-0.6, 0.0, 0.3, 0.85] {
        let (b, t) = (1.7, -0.45);
        let mut input = lag_input(ModelKind::Sdm, s.clone(), &[b], &[Some(t)], rho);
        let ade = (b + rho * t) / (1.0 - rho * rho);
        let ate = (b + t) / (1.0 - rho);
        let e = point_effects(&input, TraceEngine::Eigen).unwrap()[0];
        assert_close("2-unit ADE", e[0], ade, 1e-13);
        assert_close("2-unit ATE", e[2], ate, 1e-13);
        assert_close("2-unit AIE", e[1], ate - ade, 1e-12);
        // Power series with 400 terms: converged to rounding at |ρ| ≤ 0.85.
        input.traces = Some(traces_from(&s, 400));
        let e = point_effects(&input, TraceEngine::Series).unwrap()[0];
        assert_close("2-unit ADE series", e[0], ade, 1e-12);
        // Totals from the row-sum moments (all 1 for row-stochastic W) equal (β + θ)/(1 − ρ).
        input.row_stochastic = false;
        input.row_sum_moments = Some(row_sum_moments(&w, 400));
        let e = point_effects(&input, TraceEngine::Eigen).unwrap()[0];
        assert_close("2-unit ATE moments", e[2], ate, 1e-12);
    }
}

/// Ybar_i = i + 0.5 sin(i), W = rowstd(1/|Ybar_i − Ybar_j|) (docs/methods.md App. B).
fn panel_w() -> Weights {
    crate::common::appendix_b_w()
}

#[test]
fn deterministic_panel_sdm_and_sar_effects() {
    let s = panel_w().spectrum().unwrap();
    // SDM ind: ρ̂ = 0.42238342, β = (1.01501369, −0.54416541), θ = (0.09858826, 1.81547510).
    let input = lag_input(
        ModelKind::Sdm,
        s.clone(),
        &[1.01501369, -0.54416541],
        &[Some(0.09858826), Some(1.81547510)],
        0.42238342,
    );
    let e = point_effects(&input, TraceEngine::Auto).unwrap();
    let want = [
        [1.06356373, 0.86436215, 1.92792587],
        [-0.39817564, 2.59913340, 2.20095776],
    ];
    for (k, w) in want.iter().enumerate() {
        for (j, lab) in ["direct", "indirect", "total"].iter().enumerate() {
            assert_close(&format!("panel SDM {lab} x{}", k + 1), e[k][j], w[j], 1e-6);
        }
    }
    // SAR ind: ρ̂ = 0.71925741, β1 = 0.98330516.
    let input = lag_input(ModelKind::Sar, s, &[0.98330516], &[None], 0.71925741);
    let e = point_effects(&input, TraceEngine::Auto).unwrap()[0];
    for (j, w) in [1.17608811, 2.32642700, 3.50251510].iter().enumerate() {
        assert_close("panel SAR x1", e[j], *w, 1e-6);
    }
}

#[test]
fn delta_gradients_match_central_differences() {
    // docs/methods.md §9 (ii): ∇ w.r.t. (β_k, θ_k, ρ) against central differences of the exact effects.
    let s = panel_w().spectrum().unwrap();
    let base = lag_input(
        ModelKind::Sdm,
        s.clone(),
        &[1.01501369, -0.54416541],
        &[Some(0.09858826), Some(1.81547510)],
        0.42238342,
    );
    let prep = prepare(&base, TraceEngine::Eigen).unwrap();
    let h = 1e-5;
    for k in 0..2 {
        let g = delta::gradients(&prep, k);
        // Local order: β's, θ's, ρ (the covariance positions are already in that order here).
        let bump = |which: usize, d: f64| {
            let mut x = base.clone();
            match which {
                0 => x.beta[k] += d,
                1 => x.theta[k] = x.theta[k].map(|t| t + d),
                _ => x.rho += d,
            }
            point_effects(&x, TraceEngine::Eigen).unwrap()[k]
        };
        let local = [
            prep.layout.beta[k],
            prep.layout.theta[k].unwrap(),
            prep.layout.rho.unwrap(),
        ];
        for (which, &pos) in local.iter().enumerate() {
            let (up, dn) = (bump(which, h), bump(which, -h));
            for e in 0..3 {
                let fd = (up[e] - dn[e]) / (2.0 * h);
                assert!(
                    (g[e][pos] - fd).abs() < 1e-7,
                    "x{} effect {e} param {which}: analytic {} vs FD {fd}",
                    k + 1,
                    g[e][pos]
                );
            }
        }
    }
    // Same check through the power series engine.
    let mut series = base.clone();
    series.traces = Some(traces_from(&s, 120));
    let ps = prepare(&series, TraceEngine::Series).unwrap();
    let (ge, gs) = (delta::gradients(&prep, 1), delta::gradients(&ps, 1));
    for e in 0..3 {
        for j in 0..ge[e].len() {
            assert!((ge[e][j] - gs[e][j]).abs() < 1e-9, "series gradient {e},{j}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// columbus (spatialreg `impacts`)

/// The reference value `name` given by peer R (the file also holds spreg values under some
/// of the same names).
fn r_value(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("columbus/expected.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name && f["peer"] == "R")
        .unwrap_or_else(|| panic!("columbus: no R value named {name}"))["value"]
        .clone()
}

fn r_num(name: &str) -> f64 {
    r_value(name).as_f64().unwrap()
}

fn columbus_spectrum() -> Arc<Spectrum> {
    read_weights(&fixture("columbus/weights.csv"))
        .unwrap()
        .spectrum()
        .unwrap()
}

const VARS: [&str; 2] = ["INC", "HOVAL"];

/// The SDM from spatialreg with its full vcov (order rho, (Intercept), INC, HOVAL, lag.INC,
/// lag.HOVAL).
fn columbus_sdm() -> EffectsInput {
    let s = columbus_spectrum();
    let cov: Vec<f64> = r_value("SDM.vcov.rowmajor")
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    EffectsInput {
        kind: ModelKind::Sdm,
        names: VARS.iter().map(|s| s.to_string()).collect(),
        beta: VARS.iter().map(|v| r_num(&format!("SDM.coef[{v}]"))).collect(),
        theta: VARS
            .iter()
            .map(|v| Some(r_num(&format!("SDM.coef[lag.{v}]"))))
            .collect(),
        rho: r_num("SDM.rho"),
        cov,
        cov_dim: 6,
        beta_index: vec![2, 3],
        theta_index: vec![Some(4), Some(5)],
        rho_index: Some(0),
        interval: s.interval(),
        spectrum: Some(s),
        traces: None,
        row_stochastic: true,
        row_sum_moments: None,
    }
}

#[test]
fn columbus_exact_and_trace_impacts() {
    let sdm = columbus_sdm();
    let e = point_effects(&sdm, TraceEngine::Eigen).unwrap();
    for (k, v) in VARS.iter().enumerate() {
        for (j, lab) in ["direct", "indirect", "total"].iter().enumerate() {
            let name = format!("SDM.impacts.{lab}[{v}]");
            assert_close(&name, e[k][j], r_num(&name), 1e-9);
        }
    }
    let s = columbus_spectrum();
    let sar = lag_input(
        ModelKind::Sar,
        s.clone(),
        &[r_num("SAR.coef[INC]"), r_num("SAR.coef[HOVAL]")],
        &[None, None],
        r_num("SAR.rho"),
    );
    let e = point_effects(&sar, TraceEngine::Eigen).unwrap();
    for (k, v) in VARS.iter().enumerate() {
        for (j, lab) in ["direct", "indirect", "total"].iter().enumerate() {
            let name = format!("SAR.impacts.{lab}[{v}]");
            assert_close(&name, e[k][j], r_num(&name), 1e-9);
        }
    }
    // Power series (spatialreg trW, m = 30) from traces tr(Wᵠ).
    for (input, tag) in [(sar, "SAR"), (sdm, "SDM")] {
        let mut input = input;
        input.traces = Some(traces_from(&s, 30));
        let e = point_effects(&input, TraceEngine::Series).unwrap();
        for (k, v) in VARS.iter().enumerate() {
            for (j, lab) in ["direct", "indirect", "total"].iter().enumerate() {
                let name = format!("{tag}.trW.impacts.{lab}[{v}]");
                assert_close(&name, e[k][j], r_num(&name), 1e-9);
            }
        }
    }
}

fn sim_opts(draws: usize, mode: Mode) -> EffectsOptions {
    EffectsOptions {
        draws,
        mode,
        ..EffectsOptions::default()
    }
}

#[test]
fn columbus_simulated_se_near_spatialreg() {
    // spatialreg's draws come from R's RNG: compare within 8% (1000 draws each).
    let e = effects(&columbus_sdm(), &sim_opts(1000, Mode::Spatialreg)).unwrap();
    assert_eq!(e.kept + e.discarded, 1000);
    for (k, v) in VARS.iter().enumerate() {
        for (lab, rows) in [("direct", &e.direct), ("indirect", &e.indirect), ("total", &e.total)] {
            let name = format!("SDM.impacts.sim_se.{lab}[{v}]");
            assert_close(&name, rows[k].std_error, r_num(&name), 0.08);
            // spatialreg: estimate at φ̂, z = mean/sd.
            let pt = r_num(&format!("SDM.impacts.{lab}[{v}]"));
            assert_close("point", rows[k].estimate, pt, 1e-12);
            assert_close("z", rows[k].z, rows[k].mean / rows[k].std_error, 1e-12);
        }
    }
}

#[test]
fn columbus_simulation_near_delta_and_thread_invariant() {
    // With columbus' own V̂ (se(ρ) = 0.16, ρ̂ = 0.40) the simulated effects have heavy tails
    // (1/(1 − ρ) as ρ nears 1): their sd does not settle (0.91, 0.83, 6.8 for the indirect INC
    // effect at 2,000, 20,000, 200,000 draws; spatialreg's 1,000 draws give 0.84) while the
    // delta method gives 0.71. Where the linearisation holds the two agree: V̂/100.
    let mut input = columbus_sdm();
    input.cov.iter_mut().for_each(|v| *v /= 100.0);
    let d = effects(
        &input,
        &EffectsOptions {
            method: Method::Delta,
            ..EffectsOptions::default()
        },
    )
    .unwrap();
    let s = effects(&input, &sim_opts(2000, Mode::Spillover)).unwrap();
    for k in 0..2 {
        for (a, b, lab) in [
            (&d.direct, &s.direct, "direct"),
            (&d.indirect, &s.indirect, "indirect"),
            (&d.total, &s.total, "total"),
        ] {
            assert_close(
                &format!("sim vs delta SE {lab} {}", VARS[k]),
                b[k].std_error,
                a[k].std_error,
                0.05,
            );
            assert_close("point", a[k].estimate, b[k].estimate, 1e-14);
            assert_close("z", b[k].z, b[k].estimate / b[k].std_error, 1e-14);
        }
    }
    // Identical output for 1 and 2 threads.
    let input = columbus_sdm();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| effects(&input, &sim_opts(500, Mode::Elhorst)).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a, b);
    // Elhorst: estimate = mean of draws, t = mean/sd.
    assert_close("elhorst t", a.total[0].z, a.total[0].mean / a.total[0].std_error, 1e-14);
    assert_eq!(a.total[0].estimate, a.total[0].mean);
    // A different seed gives different draws.
    let c = effects(
        &input,
        &EffectsOptions {
            seed: 7,
            ..sim_opts(500, Mode::Elhorst)
        },
    )
    .unwrap();
    assert_ne!(a.total[0].std_error, c.total[0].std_error);
}

#[test]
fn redraws_are_counted_and_discards_in_spatialreg_mode() {
    // A wide variance of ρ near the upper bound forces draws outside the interval.
    let s = ring(2, Standardization::Row).spectrum().unwrap();
    let mut input = lag_input(ModelKind::Sar, s, &[1.0], &[None], 0.9);
    input.cov[3] = 0.01; // var(ρ): sd 0.1, about 16% of draws ≥ 1
    let e = effects(&input, &sim_opts(1000, Mode::Spillover)).unwrap();
    assert!(
        e.redrawn > 50 && e.discarded == 0 && e.kept == 1000,
        "redrawn {}",
        e.redrawn
    );
    let e = effects(&input, &sim_opts(1000, Mode::Spatialreg)).unwrap();
    assert!(e.discarded > 50 && e.redrawn == 0 && e.kept == 1000 - e.discarded);
}

#[test]
fn non_lag_models_sem_sdem_slx() {
    let s = panel_w().spectrum().unwrap();
    for kind in [ModelKind::Sdem, ModelKind::Slx] {
        let mut input = lag_input(kind, s.clone(), &[0.8, -0.3], &[Some(0.5), None], f64::NAN);
        input.rho_index = None;
        for method in [Method::Delta, Method::Simulation] {
            let e = effects(
                &input,
                &EffectsOptions {
                    method,
                    ..EffectsOptions::default()
                },
            )
            .unwrap();
            assert_close("direct β", e.direct[0].estimate, 0.8, 1e-14);
            assert_close("indirect θ", e.indirect[0].estimate, 0.5, 1e-14);
            assert_close("total β+θ", e.total[0].estimate, 1.3, 1e-14);
            assert_close("indirect, unlagged", e.indirect[1].estimate, 0.0, 1e-14);
            if method == Method::Delta {
                // Var(β) = 0.01, Var(θ) = 0.03 (diagonal covariance of lag_input).
                assert_close("se direct", e.direct[0].std_error, 0.1, 1e-12);
                assert_close("se total", e.total[0].std_error, 0.04f64.sqrt(), 1e-12);
            }
        }
    }
    let mut sem = lag_input(ModelKind::Sem, s, &[0.8], &[None], f64::NAN);
    sem.spectrum = None;
    let e = effects(&sem, &EffectsOptions::default()).unwrap();
    assert_eq!(e.indirect[0].estimate, 0.0);
    assert_close("SEM direct", e.direct[0].estimate, 0.8, 1e-15);
    assert_close("SEM total se", e.total[0].std_error, 0.1, 0.1);
}

#[test]
fn errors_name_the_problem() {
    let s = ring(2, Standardization::Row).spectrum().unwrap();
    let mut ols = lag_input(ModelKind::Ols, s.clone(), &[1.0], &[None], 0.2);
    assert!(effects(&ols, &EffectsOptions::default())
        .unwrap_err()
        .to_string()
        .contains("OLS"));
    ols.kind = ModelKind::Sar;
    ols.rho = 1.2;
    let msg = effects(&ols, &EffectsOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("outside the interval"), "{msg}");
    let mut sar = lag_input(ModelKind::Sar, s.clone(), &[1.0], &[None], 0.2);
    sar.theta = vec![Some(0.1)];
    sar.theta_index = vec![Some(0)];
    let msg = effects(&sar, &EffectsOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("no lagged regressors"), "{msg}");
    let mut bad = lag_input(ModelKind::Sar, s.clone(), &[1.0], &[None], 0.2);
    bad.beta_index = vec![9];
    let msg = effects(&bad, &EffectsOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("β of x1") && msg.contains("outside"), "{msg}");
    let mut nonrow = lag_input(ModelKind::Sar, s, &[1.0], &[None], 0.2);
    nonrow.row_stochastic = false;
    let msg = effects(&nonrow, &EffectsOptions::default()).unwrap_err().to_string();
    assert!(msg.contains("row-sum moments"), "{msg}");
    assert!("elhrst".parse::<Mode>().unwrap_err().to_string().contains("elhorst"));
    assert!("bootstrap".parse::<Method>().is_err());
}

#[test]
fn covariance_not_pd_is_floored_with_a_warning() {
    let mut input = columbus_sdm();
    // Make the β_INC, θ_INC block singular-indefinite: cov(INC, lag.INC) larger than allowed.
    let (a, b) = (2usize, 4usize);
    let big = 2.0 * (input.cov[a * 6 + a] * input.cov[b * 6 + b]).sqrt();
    input.cov[a * 6 + b] = big;
    input.cov[b * 6 + a] = big;
    let e = effects(&input, &sim_opts(200, Mode::Spillover)).unwrap();
    assert!(
        e.warnings.iter().any(|w| w.contains("not positive definite")),
        "{:?}",
        e.warnings
    );
    assert!(e.direct.iter().all(|r| r.std_error.is_finite() && r.std_error > 0.0));
}

#[test]
fn table_and_json_forms() {
    let e = effects(&columbus_sdm(), &sim_opts(200, Mode::Spillover)).unwrap();
    let text = e.to_string();
    assert!(
        text.contains("Direct") && text.contains("INC") && text.contains("200 draws"),
        "{text}"
    );
    let long = e.to_long_table();
    assert_eq!(long.rows.len(), 6);
    let j = e.to_json_value();
    assert_eq!(j["method"], "simulation");
    assert_eq!(j["draws"], 200);
    assert_eq!(j["seed"], spillover::effects::DEFAULT_SEED);
    let d = j["direct"]["HOVAL"]["estimate"].as_f64().unwrap();
    assert_close("json direct HOVAL", d, r_num("SDM.impacts.direct[HOVAL]"), 1e-9);
    for key in ["std_error", "z", "p"] {
        assert!(j["total"]["INC"][key].is_number(), "{key}");
    }
}

#[test]
fn bridge_from_model_terms() {
    use spillover::effects::input_from_model;
    use spillover::models::{Coef, Fe, Model};
    let src = columbus_sdm();
    // Terms in the order of the reference vcov: rho, (intercept), INC, HOVAL, W*INC, W*HOVAL.
    let terms = ["rho", "(intercept)", "INC", "HOVAL", "W*INC", "W*HOVAL"];
    let est = [
        src.rho,
        r_num("SDM.coef[(Intercept)]"),
        src.beta[0],
        src.beta[1],
        src.theta[0].unwrap(),
        src.theta[1].unwrap(),
    ];
    let model = Model {
        kind: ModelKind::Sdm,
        fe: Fe::None,
        depvar: "CRIME".into(),
        n: 49,
        t: 1,
        coefficients: terms
            .iter()
            .enumerate()
            .map(|(i, t)| Coef::new(*t, est[i], src.cov[i * 7].sqrt()))
            .collect(),
        vcov: src.cov.clone(),
        sigma2: f64::NAN,
        loglik: f64::NAN,
        r2: f64::NAN,
        corr2: f64::NAN,
        n_params: 7,
        extras: Default::default(),
        vcov_conditional: None,
        timings: Default::default(),
        info: Default::default(),
        warnings: Vec::new(),
        // The roles as the fitting code records them (β of INC, HOVAL; θ's; ρ first).
        provenance: spillover::models::Provenance {
            regressors: vec!["INC".into(), "HOVAL".into()],
            beta_index: vec![2, 3],
            theta_index: vec![Some(4), Some(5)],
            spatial_index: Some(0),
            ..Default::default()
        },
    };
    let input = input_from_model(&model, src.spectrum.clone(), None, src.interval, true).unwrap();
    assert_eq!(input.names, vec!["INC".to_string(), "HOVAL".to_string()]);
    let (a, b) = (
        effects(&input, &sim_opts(300, Mode::Spillover)).unwrap(),
        effects(&src, &sim_opts(300, Mode::Spillover)).unwrap(),
    );
    assert_eq!(a, b);
    assert_close(
        "bridge total INC",
        a.total[0].estimate,
        r_num("SDM.impacts.total[INC]"),
        1e-9,
    );
}
