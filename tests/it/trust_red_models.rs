//! Issue 13, red team on models: degenerate fits (a dependent variable that is constant or that
//! the regressors reproduce), tests between models that do not belong together, undefined
//! statistics, on data other than the bundled reference cases.

use crate::common::fixture;
use crate::sandbox::Sandbox;

/// A sandbox holding the Columbus data and weights as `d.csv`, `w.csv`.
fn columbus(tag: &str) -> Sandbox {
    let d = std::fs::read(fixture("columbus/data.csv")).unwrap();
    let w = std::fs::read(fixture("columbus/weights.csv")).unwrap();
    Sandbox::new(tag, &[("d.csv", &d), ("w.csv", &w)])
}

/// Before: a constant dependent variable, or one the regressors reproduce up to rounding, gave
/// SAR/SEM/SDM fits with σ² ≈ 1e-141, z ≈ 1e63 and three stars (or an SDM error blaming
/// collinear regressors), OLS z ≈ 1e16 with p = 0, and LM statistics of rounding noise.
#[test]
fn exact_fit_and_constant_depvar_are_refused_by_every_estimator() {
    let sb = columbus("red2_exact");
    let head = r#"
        let d = read_csv("d.csv");
        let w = read_weights("w.csv");
        let o = #{id: "POLYID"};
        let y = [];
        for i in 0..49 { y.push(2.0 * d["INC"][i] - 0.5 * d["HOVAL"][i] + 1.0); }
        let d = d.with_column("Y", y).with_column("K", d["INC"].map(|x| 3.0));
    "#;
    for m in ["sar", "sem", "sdm", "sdem", "slx"] {
        sb.fails(
            &format!(r#"{head} fit(d, "Y ~ INC + HOVAL", w, #{{model: "{m}"}} + o);"#),
            &[&format!("{m}: the regressors reproduce the dependent variable 'Y' exactly")],
        );
        sb.fails(
            &format!(r#"{head} fit(d, "K ~ INC + HOVAL", w, #{{model: "{m}"}} + o);"#),
            &[&format!("{m}: the dependent variable 'K' is constant")],
        );
    }
    sb.fails(
        &format!(r#"{head} ols(d, "Y ~ INC + HOVAL");"#),
        &["ols: the regressors reproduce the dependent variable 'Y' exactly"],
    );
    sb.fails(&format!(r#"{head} ols(d, "K ~ INC");"#), &["ols: the dependent variable 'K' is constant"]);
    sb.fails(
        &format!(r#"{head} lm_tests(d, "Y ~ INC + HOVAL", w, o);"#),
        &["the regressors reproduce the dependent variable 'Y' exactly"],
    );
    // A dependent variable that does vary is still fitted.
    let out = sb.succeeds(&format!(r#"{head} print(sar(d, "CRIME ~ INC + HOVAL", w, o).loglik);"#));
    let ll: f64 = out.trim().parse().unwrap();
    assert!((ll - -182.67397201013395).abs() < 1e-8, "{ll}");
}
