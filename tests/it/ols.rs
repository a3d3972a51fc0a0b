//! Panel OLS, fixed-effects tests and LM tests (docs/methods.md §5, §6) against plm/splm (produc),
//! spdep/spreg (columbus) and the closed-form case of docs/methods.md Appendix B.

use crate::common::{assert_close, expected, fixture, weights_in_order};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Column, Frame, Panel};
use spillover::models::dense::LeastSquares;
use spillover::models::fe_tests::{fe_tests, FeDf, FeTestOptions};
use spillover::models::lm::{lm_tests, LmOptions, LmTests};
use spillover::models::ols::{fixed_effects, ols};
use spillover::models::{Design, Fe, Formula};
use spillover::weights::{Standardization, Weights};

const PRODUC_F: &str = "lgsp ~ lpcap + lpc + lemp + unemp";

fn produc_panel() -> Panel {
    let f = read_csv(&fixture("produc/data.csv"), &CsvOptions::default()).unwrap();
    let mut g = f.clone();
    for (new, old) in [("lgsp", "gsp"), ("lpcap", "pcap"), ("lpc", "pc"), ("lemp", "emp")] {
        let v: Vec<f64> = f.numeric(old).unwrap().iter().map(|x| x.ln()).collect();
        g = g.with_column(new, Column::Num(v)).unwrap();
    }
    Panel::new(&g, "id", "time").unwrap()
}

fn produc_design(formula: &str) -> Design {
    Design::from_panel(&produc_panel(), &Formula::parse(formula).unwrap()).unwrap()
}

fn fe_name(fe: Fe) -> &'static str {
    match fe {
        Fe::None => "pooled",
        Fe::Individual => "within.individual",
        Fe::Time => "within.time",
        Fe::TwoWays => "within.twoways",
        Fe::Random => "RE.plm",
    }
}

#[test]
fn produc_pooled_and_within_match_plm() {
    let d = produc_design(PRODUC_F);
    let pooled = ols(&d, Fe::None).unwrap();
    for (term, name) in [
        ("(intercept)", "(Intercept)"),
        ("lpcap", "lpcap"),
        ("lpc", "lpc"),
        ("lemp", "lemp"),
        ("unemp", "unemp"),
    ] {
        let c = pooled.model.coef(term).unwrap();
        assert_close(
            &format!("pooled {term}"),
            c.estimate,
            expected("produc", &format!("pooled.coef[{name}]")),
            1e-9,
        );
    }
    for fe in [Fe::None, Fe::Individual, Fe::Time, Fe::TwoWays] {
        let fit = ols(&d, fe).unwrap();
        let pre = fe_name(fe);
        if fe != Fe::None {
            for term in ["lpcap", "lpc", "lemp", "unemp"] {
                let c = fit.model.coef(term).unwrap();
                let want = expected("produc", &format!("{pre}.coef[{term}]"));
                assert_close(&format!("{pre} coef {term}"), c.estimate, want, 1e-9);
                let want = expected("produc", &format!("{pre}.se[{term}]"));
                assert_close(&format!("{pre} se {term}"), c.std_error, want, 1e-9);
            }
        }
        assert_close(
            &format!("{pre} SSE"),
            fit.sse,
            expected("produc", &format!("{pre}.SSE")),
            1e-9,
        );
        assert_close(
            &format!("{pre} logLik"),
            fit.model.loglik,
            expected("produc", &format!("{pre}.logLik")),
            1e-9,
        );
        assert_eq!(fit.model.extras["sse"], fit.sse);
        assert!(fit.model.info["se"].contains("plm"));
    }
}

#[test]
fn produc_fe_tests_match_references() {
    let d = produc_design(PRODUC_F);
    // The reference used df = N−1 and T−1.
    let exact = fe_tests(&d, &FeTestOptions { df: FeDf::Exact }).unwrap();
    for (ours, theirs) in [
        ("lr_individual_given_time", "LR.individualFE_given_timeFE"),
        ("lr_time_given_individual", "LR.timeFE_given_individualFE"),
        ("lr_individual_vs_pooled", "LR.individualFE_vs_pooled"),
        ("lr_time_vs_pooled", "LR.timeFE_vs_pooled"),
    ] {
        let t = exact.get(ours).unwrap();
        assert_close(ours, t.statistic, expected("produc", &format!("{theirs}.stat")), 1e-9);
        assert_eq!(t.df, expected("produc", &format!("{theirs}.df")), "{ours} df");
        assert_close(
            &format!("{ours} p"),
            t.p,
            expected("produc", &format!("{theirs}.p")),
            1e-9,
        );
    }
    for (ours, theirs) in [
        ("f_individual_vs_pooled", "Ftest.individual_vs_pooled"),
        ("f_time_vs_pooled", "Ftest.time_vs_pooled"),
        ("f_twoways_vs_pooled", "Ftest.twoways_vs_pooled"),
    ] {
        let t = exact.get(ours).unwrap();
        assert_close(ours, t.statistic, expected("produc", &format!("{theirs}.stat")), 1e-9);
        assert_eq!(t.df, expected("produc", &format!("{theirs}.df1")), "{ours} df1");
        assert_eq!(t.df2, Some(expected("produc", &format!("{theirs}.df2"))), "{ours} df2");
        assert_close(
            &format!("{ours} p"),
            t.p,
            expected("produc", &format!("{theirs}.p")),
            1e-9,
        );
    }
    // Default: Elhorst's df = N, T; same statistics.
    let elhorst = fe_tests(&d, &FeTestOptions::default()).unwrap();
    let t = elhorst.get("lr_individual_given_time").unwrap();
    assert_eq!(t.df, 48.0);
    assert_eq!(t.statistic, exact.get("lr_individual_given_time").unwrap().statistic);
    assert_eq!(elhorst.get("lr_time_given_individual").unwrap().df, 17.0);
    let text = elhorst.table().to_text();
    assert!(text.contains("LR df convention: N,T"), "{text}");
    assert!(exact.table().to_text().contains("N-1,T-1"));
    assert_eq!("N-1, T-1".parse::<FeDf>().unwrap(), FeDf::Exact);
    assert!("n-2".parse::<FeDf>().is_err());
}

#[test]
fn produc_lm_tests_match_slmtest() {
    let d = produc_design(PRODUC_F);
    let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
    for (fe, pre) in [
        (Fe::None, "slmtest.pooling"),
        (Fe::Individual, "slmtest.within.individual"),
        (Fe::Time, "slmtest.within.time"),
        (Fe::TwoWays, "slmtest.within.twoways"),
    ] {
        let fit = ols(&d, fe).unwrap();
        let lm = lm_tests(&fit, &w, &LmOptions::default()).unwrap();
        for (t, code) in [
            (&lm.lm_lag, "lml"),
            (&lm.lm_error, "lme"),
            (&lm.robust_lm_lag, "rlml"),
            (&lm.robust_lm_error, "rlme"),
        ] {
            assert_close(
                &format!("{pre}.{code}"),
                t.statistic,
                expected("produc", &format!("{pre}.{code}.stat")),
                1e-9,
            );
            assert_close(
                &format!("{pre}.{code} p"),
                t.p,
                expected("produc", &format!("{pre}.{code}.p")),
                1e-9,
            );
        }
    }
}

#[test]
fn lm_tests_align_weights_to_the_data_ids() {
    let d = produc_design(PRODUC_F);
    let w = weights_in_order(&fixture("produc/weights.csv"), &d.ids);
    let mut rev = d.ids.clone();
    rev.reverse();
    let w_rev = w.aligned_to(&rev).unwrap();
    let fit = ols(&d, Fe::TwoWays).unwrap();
    let a = lm_tests(&fit, &w, &LmOptions::default()).unwrap();
    let b = lm_tests(&fit, &w_rev, &LmOptions::default()).unwrap();
    assert_close("aligned lm_lag", b.lm_lag.statistic, a.lm_lag.statistic, 1e-12);
}

fn columbus() -> (Frame, Design) {
    let f = read_csv(&fixture("columbus/data.csv"), &CsvOptions::default()).unwrap();
    let d = Design::from_frame(&f, &Formula::parse("CRIME ~ INC + HOVAL").unwrap(), Some("POLYID")).unwrap();
    (f, d)
}

#[test]
fn columbus_ols_and_anselin_lm_tests() {
    let (_, d) = columbus();
    let fit = ols(&d, Fe::None).unwrap();
    for (term, name) in [("(intercept)", "(Intercept)"), ("INC", "INC"), ("HOVAL", "HOVAL")] {
        let want = expected("columbus", &format!("ols.coef[{name}]"));
        assert_close(term, fit.model.coef(term).unwrap().estimate, want, 1e-9);
    }
    let betas = crate::common::expected_list("columbus", "ols.betas");
    for (b, want) in fit.b.iter().zip(&betas) {
        assert_close("ols.betas", *b, *want, 1e-9);
    }
    let w = weights_in_order(&fixture("columbus/weights.csv"), &d.ids);
    let lm = lm_tests(&fit, &w, &LmOptions::default()).unwrap();
    for (t, name) in [
        (&lm.lm_lag, "LMlag"),
        (&lm.lm_error, "LMerr"),
        (&lm.robust_lm_lag, "RLMlag"),
        (&lm.robust_lm_error, "RLMerr"),
        (&lm.sarma, "SARMA"),
    ] {
        assert_close(
            name,
            t.statistic,
            expected("columbus", &format!("lmtest.{name}.stat")),
            1e-9,
        );
        assert_close(
            &format!("{name} p"),
            t.p,
            expected("columbus", &format!("lmtest.{name}.p")),
            1e-9,
        );
    }
    assert_eq!(lm.sarma.df, 2.0);
    let text = lm.table().to_text();
    for row in ["LM lag", "LM error", "Robust LM lag", "Robust LM error", "SARMA"] {
        assert!(text.contains(row), "{text}");
    }
    let shown = format!("{}", fit.model);
    assert!(shown.contains("(intercept)") && shown.contains("plm/xtreg"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// docs/methods.md Appendix B: the deterministic panel (N = 12, T = 6).

struct AppB {
    design: Design,
    w: Weights,
}

fn appendix_b() -> AppB {
    let (design, w) = crate::common::appendix_b();
    AppB { design, w }
}

#[test]
fn appendix_b_ols_loglik_and_lr() {
    let AppB { design, w } = appendix_b();
    // Sanity values of the data.
    let wd = w.to_dense();
    for (j, want) in [(1, 0.2893967506), (2, 0.1813593655), (3, 0.1359517113)] {
        assert_close("W[1,j]", wd[j], want, 1e-8);
    }
    assert!((design.y[0] - 1.713655).abs() < 5e-7);
    assert!((design.y[71] - 3.480261).abs() < 5e-7);

    let pooled = ols(&design, Fe::None).unwrap();
    for (b, want) in pooled.b.iter().zip([1.40765732, 1.28818678, -0.17305419]) {
        assert_close("pooled b", *b, want, 1e-6);
    }
    assert_close("pooled sigma2 (e'e/NT)", pooled.sigma2_ml(), 0.39768779, 1e-6);
    assert_close("pooled logL", pooled.model.loglik, -68.9684053, 1e-6);
    for (fe, want) in [
        (Fe::Individual, -59.6301528),
        (Fe::Time, -44.9431901),
        (Fe::TwoWays, -16.4819137),
    ] {
        assert_close(
            &format!("{} logL", fe.name()),
            ols(&design, fe).unwrap().model.loglik,
            want,
            1e-6,
        );
    }
    let tests = fe_tests(&design, &FeTestOptions::default()).unwrap();
    let lr_s = tests.get("lr_individual_given_time").unwrap();
    assert_close("LR spatial FE", lr_s.statistic, 56.9225526, 1e-6);
    assert_eq!(lr_s.df, 12.0);
    let lr_t = tests.get("lr_time_given_individual").unwrap();
    assert_close("LR time FE", lr_t.statistic, 86.2964782, 1e-6);
    assert_eq!(lr_t.df, 6.0);
}

fn lm_values(lm: &LmTests) -> [f64; 4] {
    [
        lm.lm_error.statistic,
        lm.lm_lag.statistic,
        lm.robust_lm_error.statistic,
        lm.robust_lm_lag.statistic,
    ]
}

#[test]
fn appendix_b_lm_tests() {
    let AppB { design, w } = appendix_b();
    // LMerr, LMlag, RLMerr, RLMlag.
    for (fe, want) in [
        (Fe::None, [48.543232, 56.168295, 3.865046, 11.490110]),
        (Fe::Individual, [94.502145, 89.376648, 13.037656, 7.912160]),
        (Fe::Time, [0.2536767, 8.862457, 4.752208, 13.360989]),
        (Fe::TwoWays, [0.00960865, 7.809192, 7.964829, 15.764413]),
    ] {
        let fit = ols(&design, fe).unwrap();
        let lm = lm_tests(&fit, &w, &LmOptions::default()).unwrap();
        for (k, (got, want)) in lm_values(&lm).iter().zip(want).enumerate() {
            assert_close(&format!("{} LM #{k}", fe.name()), *got, want, 1e-6);
        }
        // SARMA = LMerr + RLMlag = LMlag + RLMerr.
        assert_close("sarma", lm.sarma.statistic, want[0] + want[3], 1e-6);
        assert_close("sarma identity", lm.sarma.statistic, want[1] + want[2], 1e-6);
    }
    // Debarsy–Ertur: (T−1)/T of every statistic, individual effects only.
    let fit = ols(&design, Fe::Individual).unwrap();
    let el = lm_tests(&fit, &w, &LmOptions::default()).unwrap();
    let de = lm_tests(&fit, &w, &LmOptions { debarsy_ertur: true }).unwrap();
    for (a, b) in lm_values(&de).iter().zip(lm_values(&el)) {
        assert_close("DE ratio", a / b, 5.0 / 6.0, 1e-12);
    }
    assert!(de.table().to_text().contains("Debarsy"));
    let tw = ols(&design, Fe::TwoWays).unwrap();
    assert!(lm_tests(&tw, &w, &LmOptions { debarsy_ertur: true }).is_err());
}

#[test]
fn lm_robust_tests_degenerate_when_wx_is_a_regressor() {
    // Pair the units (1↔2, 3↔4, ...): W² = I, so with regressors [ι, x, Wx] the lag W·X̃b stays
    // in the column space of X̃, J = T·T_W and the robust tests are 0/0 (docs/methods.md §6).
    let AppB { mut design, .. } = appendix_b();
    let n = design.n;
    let trip: Vec<(usize, usize, f64)> = (0..n).map(|i| (i, i ^ 1, 1.0)).collect();
    let w = Weights::from_triplets(design.ids.clone(), &trip, Standardization::Row, false).unwrap();
    let wx = w.lag_panel(&design.x[0]);
    design.x = vec![design.x[0].clone(), wx];
    design.names = vec!["x1".into(), "W*x1".into()];
    let fit = ols(&design, Fe::None).unwrap();
    let lm = lm_tests(&fit, &w, &LmOptions::default()).unwrap();
    assert!(lm.lm_lag.statistic.is_finite() && lm.lm_error.statistic.is_finite());
    assert!(lm.robust_lm_lag.statistic.is_nan() && lm.robust_lm_error.statistic.is_nan());
    assert!(!lm.warnings.is_empty() && lm.table().to_text().contains("warning"));
}

#[test]
fn fixed_effects_equal_dummy_variable_regression() {
    let AppB { design, .. } = appendix_b();
    let (n, t) = (design.n, design.t);
    let fit = ols(&design, Fe::Individual).unwrap();
    let fe = fixed_effects(&fit).unwrap();
    // LSDV: y on x1, x2 and N unit dummies (no intercept); dummy coefficient d_i = α + μ_i
    // and its SE with σ̂² = e'e/NT equals se(μ_i) of docs/methods.md §5.
    let mut cols = design.x.clone();
    let mut names = design.names.clone();
    for i in 0..n {
        cols.push((0..n * t).map(|r| if r % n == i { 1.0 } else { 0.0 }).collect());
        names.push(format!("d{i}"));
    }
    let ls = LeastSquares::new(&cols, &names).unwrap();
    let b = ls.coefficients(&design.y);
    let inv = ls.xtx_inv();
    let k = cols.len();
    let s2 = fit.sse / (n * t) as f64;
    for i in 0..n {
        let want = b[2 + i];
        assert_close("alpha + mu_i", fe.intercept.estimate + fe.unit[i].estimate, want, 1e-10);
        let se = (s2 * inv[(2 + i) * k + 2 + i]).sqrt();
        assert_close("se(mu_i)", fe.unit[i].std_error, se, 1e-10);
        assert_eq!(fe.unit[i].term, design.ids[i]);
    }
    let sum: f64 = fe.unit.iter().map(|c| c.estimate).sum();
    assert!(sum.abs() < 1e-10);
    assert!(fe.time.is_empty());
    let tw = fixed_effects(&ols(&design, Fe::TwoWays).unwrap()).unwrap();
    assert_eq!((tw.unit.len(), tw.time.len()), (n, t));
    assert!(tw.table().to_text().contains("intercept"));
    assert!(fixed_effects(&ols(&design, Fe::None).unwrap()).is_err());
}

#[test]
fn errors_name_the_variable() {
    let p = produc_panel();
    // Unknown variable: suggest the closest name.
    let err = Design::from_panel(&p, &Formula::parse("lgsp ~ lpcapp + unemp").unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'lpcapp'") && err.contains("did you mean 'lpcap'"),
        "{err}"
    );
    // `region` is constant within each state: absorbed by individual effects.
    let d = produc_design("lgsp ~ lpcap + region");
    let err = ols(&d, Fe::Individual).unwrap_err().to_string();
    assert!(err.contains("'region'") && err.contains("individual"), "{err}");
    assert!(ols(&d, Fe::Time).is_ok());
    // Exact linear combination: lsum = lpcap + lpc.
    let f = p.frame();
    let s: Vec<f64> = f
        .numeric("lpcap")
        .unwrap()
        .iter()
        .zip(f.numeric("lpc").unwrap())
        .map(|(a, b)| a + b)
        .collect();
    let p2 = p.with_frame(f.with_column("lsum", Column::Num(s)).unwrap()).unwrap();
    let d2 = Design::from_panel(&p2, &Formula::parse("lgsp ~ lpcap + lpc + lsum").unwrap()).unwrap();
    for fe in [Fe::None, Fe::TwoWays] {
        let err = ols(&d2, fe).unwrap_err().to_string();
        assert!(
            err.contains("'lsum'") && err.contains("'lpcap'") && err.contains("'lpc'") && err.contains("collinear"),
            "{err}"
        );
    }
    // A constant regressor is collinear with the pooled intercept.
    let one = vec![3.0; p.n() * p.t()];
    let p3 = p.with_frame(f.with_column("three", Column::Num(one)).unwrap()).unwrap();
    let d3 = Design::from_panel(&p3, &Formula::parse("lgsp ~ lpcap + three").unwrap()).unwrap();
    let err = ols(&d3, Fe::None).unwrap_err().to_string();
    assert!(err.contains("'three'") && err.contains("(intercept)"), "{err}");
    // A cross-section cannot have individual effects.
    let (_, dc) = columbus();
    assert!(ols(&dc, Fe::Individual).unwrap_err().to_string().contains("T = 1"));
}
