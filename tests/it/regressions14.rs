//! Issue 14 restructured the code base; its results must not change. These checks pin what a
//! user sees against the program as it was before the issue (commit 3483d6c), with the values
//! that binary printed: the data `simulate` draws, the fields of the JSON forms in their order,
//! the estimates of the eigenvalue route (to the rounding of the reordered eigenvalue sums) and
//! the culprit named by the errors of options now parsed in the bindings.

use crate::common::root;
use crate::sandbox::Sandbox;

fn produc_prelude() -> String {
    format!(
        r#"let f = read_csv("{}");
for v in ["gsp", "pcap", "pc", "emp"] {{ f = f.with_column(`l${{v}}`, log(f[v])); }}
let p = panel(f, "id", "time");
let w = read_weights("{}");
let fm = "lgsp ~ lpcap + lpc + lemp + unemp";
"#,
        root("examples/data/produc/data.csv"),
        root("examples/data/produc/weights.csv")
    )
}

/// At N ≤ 2000 `simulate` solves with the dense LU as before: the same seed draws the same
/// panel, bit for bit (values printed by the binary before issue 14).
#[test]
fn simulate_small_n_draws_the_panel_it_drew_before() {
    let s = Sandbox::new("reg14_simulate", &[]);
    let out = s.succeeds(&format!(
        r#"let w = read_weights("{}");
let p = simulate(w, #{{model: "sdm", beta: [1.0, -0.5], theta: [0.3, 0.2], rho: 0.4, t: 3, seed: 7}});
let y = p["y"];
print(`${{y[0]}} ${{y[47]}} ${{y[100]}} ${{y[143]}}`);
let q = simulate(w, #{{model: "sem", beta: [1.0], lambda: 0.5, t: 2, seed: 3, fe: "individual"}});
print(`${{q["y"][0]}} ${{q["y"][95]}}`);
"#,
        root("examples/data/produc/weights.csv")
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "-2.7033954670810436 -5.0955318017339595 -1.1427688240254463 -0.4892116793550308",
            "1.6742650269044708 0.32056746278240816"
        ],
        "simulate drew another panel: {out}"
    );
}

/// `to_json` of a model and of effects keeps the fields, in the order, that it had before the
/// move to serde.
#[test]
fn json_forms_keep_their_fields_in_order() {
    let s = Sandbox::new("reg14_json", &[]);
    let out = s.succeeds(&format!(
        "{}let m = sar(p, fm, w);\nprint(to_json(m));\nprint(\"===\");\nprint(to_json(effects(m, #{{method: \"delta\"}})));\n",
        produc_prelude()
    ));
    let docs: Vec<serde_json::Value> = out
        .split("===\n")
        .map(|d| serde_json::from_str(d).expect("a JSON document"))
        .collect();
    assert_eq!(docs.len(), 2, "two JSON documents expected: {out}");
    let keys = |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let model = [
        "aic",
        "bias_correction",
        "bic",
        "coefficients",
        "corr2",
        "depvar",
        "evaluations",
        "fe",
        "information",
        "interval",
        "interval_hi",
        "interval_lo",
        "interval_source",
        "kind",
        "lag_order",
        "lndet",
        "lndet_choice",
        "loglik",
        "model",
        "n",
        "n_eff",
        "n_params",
        "nobs",
        "r2",
        "r2_between",
        "r2_overall",
        "r2_within",
        "se_sigma2",
        "sigma2",
        "sigma2_uncorrected",
        "t",
        "t_eff",
        "terms",
        "timings",
        "vcov",
        "warnings",
    ];
    let effects = [
        "direct",
        "discarded",
        "draws",
        "engine",
        "indirect",
        "kept",
        "kind",
        "method",
        "mode",
        "model",
        "redrawn",
        "seed",
        "total",
        "variables",
        "warnings",
    ];
    assert_eq!(keys(&docs[0]), model);
    assert_eq!(keys(&docs[1]), effects);
}

/// The eigenvalue route of SAR and SEM gives the estimates it gave before, up to the rounding
/// of the eigenvalue sums (tr G = Σ ω/(1 − ρω) is now formed as Σ ω·(1/(1 − ρω)), one
/// implementation for the score, the information and the effects): |Δ| ≤ 1e-14.
#[test]
fn eigen_route_estimates_are_those_of_before() {
    let s = Sandbox::new("reg14_eigen", &[]);
    let out = s.succeeds(&format!(
        "{}let a = sar(p, fm, w).to_map();\nlet b = sem(p, fm, w).to_map();\nprint(`${{a.loglik}} ${{b.loglik}}`);\nprint(to_json([a.coefficients, b.coefficients]));\n",
        produc_prelude()
    ));
    let (first, rest) = out.split_once('\n').unwrap();
    let ll: Vec<f64> = first.split(' ').map(|v| v.parse().unwrap()).collect();
    assert!((ll[0] - 1659.486882769062).abs() < 1e-9, "sar loglik {}", ll[0]);
    assert!((ll[1] - 1672.8237309945644).abs() < 1e-9, "sem loglik {}", ll[1]);
    let coefs: serde_json::Value = serde_json::from_str(rest).unwrap();
    let est = |i: usize, term: &str| coefs[i][term]["estimate"].as_f64().unwrap();
    let before = [
        (0, "rho", 0.19691449218239898),
        (0, "lemp", 0.6878270642412619),
        (1, "lambda", 0.39468480560223634),
        (1, "lpc", 0.1557114866682549),
        (1, "lpcap", -0.013540314532180416),
    ];
    for (i, term, v) in before {
        assert!((est(i, term) - v).abs() <= 1e-14, "{term}: {} before {v}", est(i, term));
    }
}

/// The options now parsed by `FromStr` in the bindings still name the function, the option,
/// the bad value and the valid ones.
#[test]
fn option_errors_still_name_the_culprit() {
    let s = Sandbox::new("reg14_errors", &[]);
    let pre = produc_prelude();
    s.fails(
        &format!("{pre}sar(p, fm, w, #{{lndet: \"chebychev\"}});"),
        &["sar", "lndet", "chebychev", "\"chebyshev\""],
    );
    s.fails(
        &format!("{pre}fit(p, fm, w, #{{model: \"sarr\"}});"),
        &["sarr", "\"sar\"", "\"sdem\""],
    );
    s.fails(
        &format!("{pre}sdm(p, fm, w, #{{durbin: [\"lpcapp\"]}});"),
        &["durbin", "lpcapp", "lpcap"],
    );
    s.fails(
        &format!("{pre}sar(p, fm, w, #{{information: \"full\", bias_correction: \"lee_yu\"}});"),
        &["information", "full", "lee_yu"],
    );
    s.fails(
        &format!("{pre}sar(p, fm, w, #{{interval: [1.0, 0.0]}});"),
        &["interval", "lo < hi"],
    );
    s.fails(
        &format!("{pre}ols(p, fm, #{{fe: \"both\"}});"),
        &["both", "\"twoways\""],
    );
}
