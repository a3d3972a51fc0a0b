//! Issue 14, typed options: every option is an enum of the core, parsed from text by `FromStr`
//! in the binding layer (src/script/parse.rs) and printed back by its `name()`; unknown text
//! is refused with the list of valid values. Spatial options are checked against the design
//! and the model (`SpatialOptions::check`) before any numeric work.

use crate::common::appendix_b;
use spillover::effects::{Method, Mode, TraceEngine};
use spillover::indices::agglomeration::{JacobsKind, MarKind, MissingSector};
use spillover::indices::resilience::ResilienceKind;
use spillover::linalg::logdet::{LogDetMethod, LOGDET_METHODS};
use spillover::models::fe_tests::FeDf;
use spillover::models::ml::{fit_spatial, BiasCorrection, Information, LagOrder, SpatialOptions};
use spillover::models::{Fe, ModelKind};
use spillover::weights::contiguity::Rule;
use spillover::weights::distance::Decay;
use spillover::weights::economic::EconForm;
use spillover::weights::nested::NestedForm;
use spillover::weights::points::Metric;
use spillover::weights::{Standardization, Weights};
use std::fmt::Debug;
use std::str::FromStr;

/// Every value of `valid` parses and prints back as itself; `bad` is refused with a message
/// that names it and lists every valid value in quotes.
fn round_trip<T>(valid: &[&str], name: impl Fn(&T) -> String, bad: &str)
where
    T: FromStr<Err = spillover::Error> + Debug,
{
    for v in valid {
        let x: T = v.parse().unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(name(&x), *v, "{x:?}");
    }
    let e = bad.parse::<T>().expect_err(bad).to_string();
    assert!(e.contains(bad) && e.contains("valid"), "{e}");
    for v in valid {
        assert!(e.contains(&format!("\"{v}\"")), "{v} missing from: {e}");
    }
}

#[test]
fn every_option_enum_round_trips_its_text_and_lists_the_valid_values() {
    round_trip::<Fe>(
        &["none", "individual", "time", "twoways"],
        |x| x.name().into(),
        "twoway_s",
    );
    round_trip::<ModelKind>(
        &["ols", "sar", "sem", "sdm", "sdem", "slx"],
        |x| x.name().into(),
        "sarr",
    );
    round_trip::<BiasCorrection>(&["none", "elhorst", "lee_yu"], |x| x.name().into(), "lee");
    round_trip::<LagOrder>(&["lag_first", "demean_first"], |x| x.name().into(), "lagfirst");
    round_trip::<Information>(&["elhorst", "full"], |x| x.name().into(), "fisher");
    round_trip::<LogDetMethod>(&LOGDET_METHODS, |x| x.name().into(), "chebychev");
    round_trip::<Method>(&["simulation", "delta"], |x| x.name().into(), "bootstrap");
    round_trip::<Mode>(&["spillover", "elhorst", "spatialreg"], |x| x.name().into(), "lesage");
    round_trip::<TraceEngine>(&["auto", "eigen", "series"], |x| x.name().into(), "dense");
    round_trip::<FeDf>(&["N,T", "N-1,T-1"], |x| x.name().into(), "N-2");
    round_trip::<Standardization>(&["row", "none", "spectral", "minmax"], |x| x.name().into(), "rows");
    round_trip::<Metric>(
        &["euclidean", "haversine", "ellipsoid"],
        |x| x.name().into(),
        "manhattan",
    );
    round_trip::<Decay>(
        &["inverse", "inverse_squared", "exponential", "double_power"],
        |x| x.name().into(),
        "gauss",
    );
    round_trip::<NestedForm>(
        &["N2", "N1", "hadamard", "convex", "gravity"],
        |x| x.name().into(),
        "N6",
    );
    round_trip::<EconForm>(&["inverse", "inverse_squared", "exp"], |x| x.name().into(), "log");
    round_trip::<Rule>(&["queen", "rook"], |x| x.name().into(), "bishop");
    round_trip::<ResilienceKind>(&["growth_change", "level_growth"], |x| x.name().into(), "growth");
    round_trip::<MarKind>(&["max_lq", "krugman", "max_share"], MarKind::name, "hhi");
    assert_eq!("lq:steel".parse::<MarKind>().unwrap(), MarKind::Lq("steel".into()));
    round_trip::<JacobsKind>(&["rdi", "rdi_squared", "inverse_hhi"], |x| x.name().into(), "gini");
    round_trip::<MissingSector>(&["missing", "zero"], |x| x.name().into(), "drop");
    assert_eq!(LogDetMethod::ALL.map(LogDetMethod::name), LOGDET_METHODS);
}

#[test]
fn aliases_parse_to_the_same_value() {
    assert_eq!("pooled".parse::<Fe>().unwrap(), Fe::None);
    assert_eq!("two-way".parse::<Fe>().unwrap(), Fe::TwoWays);
    assert_eq!("LAG".parse::<ModelKind>().unwrap(), ModelKind::Sar);
    assert_eq!("lee-yu".parse::<BiasCorrection>().unwrap(), BiasCorrection::LeeYu);
    assert_eq!("Sim".parse::<Method>().unwrap(), Method::Simulation);
    assert_eq!("trw".parse::<TraceEngine>().unwrap(), TraceEngine::Series);
    assert_eq!("n-1 / t-1".parse::<FeDf>().unwrap(), FeDf::Exact);
    assert_eq!("W".parse::<Standardization>().unwrap(), Standardization::Row);
    assert_eq!("arc".parse::<Metric>().unwrap(), Metric::Haversine);
}

#[test]
fn the_effects_options_and_lndet_suggest_the_closest_value() {
    let e = "elhrst".parse::<Mode>().unwrap_err().to_string();
    assert!(
        e.starts_with("effects: unknown mode \"elhrst\" (did you mean \"elhorst\"?)"),
        "{e}"
    );
    let e = "chebychev".parse::<LogDetMethod>().unwrap_err().to_string();
    assert!(e.contains("did you mean \"chebyshev\""), "{e}");
}

// Checked options: `SpatialOptions::check` refuses what cannot be fitted before W is touched.

/// A W over other units than the data: any fit that reached W would fail on it.
fn foreign_w() -> Weights {
    let ids: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    Weights::from_triplets(
        ids,
        &[(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)],
        Standardization::Row,
        false,
    )
    .unwrap()
}

fn refused(opts: &SpatialOptions, kind: ModelKind) -> String {
    let (design, _) = appendix_b();
    let checked = opts.check(&design, kind).unwrap_err().to_string();
    let fitted = fit_spatial(&design, &foreign_w(), kind, opts).unwrap_err().to_string();
    assert_eq!(
        checked, fitted,
        "the fit refuses with the check's message, before touching W"
    );
    checked
}

#[test]
fn incompatible_options_are_refused_before_any_numeric_work() {
    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.information = Information::Full;
    o.bias_correction = BiasCorrection::LeeYu;
    let e = refused(&o, ModelKind::Sar);
    assert!(
        e.contains("information \"full\"") && e.contains("bias_correction \"lee_yu\""),
        "{e}"
    );

    let mut o = SpatialOptions::new(Fe::None);
    o.bias_correction = BiasCorrection::Elhorst;
    let e = refused(&o, ModelKind::Sem);
    assert!(
        e.contains("bias_correction \"elhorst\" corrects fixed-effects estimates"),
        "{e}"
    );

    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.interval = Some((0.5, -0.5));
    let e = refused(&o, ModelKind::Sdm);
    assert!(
        e.contains("interval [0.5, -0.5]: need two finite numbers lo < hi"),
        "{e}"
    );

    let e = refused(&SpatialOptions::default(), ModelKind::Ols);
    assert!(e.contains("use ols()"), "{e}");
}

#[test]
fn durbin_names_are_resolved_by_the_check() {
    let (design, w) = appendix_b();
    let mut o = SpatialOptions::new(Fe::TwoWays);
    o.durbin = Some(vec!["x2".into(), "x1".into(), "x2".into()]);
    assert_eq!(o.check(&design, ModelKind::Sdm).unwrap().lagged, vec![0, 1]);
    o.durbin = Some(vec!["x2".into()]);
    assert_eq!(o.check(&design, ModelKind::Sdem).unwrap().lagged, vec![1]);
    let fit = fit_spatial(&design, &w, ModelKind::Sdm, &o).unwrap();
    assert_eq!(
        fit.theta_index.iter().map(Option::is_some).collect::<Vec<_>>(),
        [false, true]
    );
    o.durbin = None;
    assert_eq!(o.check(&design, ModelKind::Slx).unwrap().lagged, vec![0, 1]);
    assert!(o.check(&design, ModelKind::Sar).unwrap().lagged.is_empty());

    o.durbin = Some(vec!["x_2".into()]);
    let e = refused(&o, ModelKind::Sdm);
    assert!(
        e.contains("durbin: 'x_2' is not a regressor of the formula (did you mean 'x2'?); valid: x1, x2"),
        "{e}"
    );
    o.durbin = Some(vec!["x1".into()]);
    let e = refused(&o, ModelKind::Sar);
    assert!(
        e.contains("durbin applies to sdm, sdem and slx only, not to sar"),
        "{e}"
    );
}

/// The Rust files under `dir`, recursively.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_core_parses_no_option_text() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut offenders = Vec::new();
    for f in files.iter().filter(|f| !f.starts_with(root.join("script"))) {
        let text = std::fs::read_to_string(f).unwrap();
        for line in text.lines() {
            // The formula parser reads a formula, not an option.
            if line.contains("fn parse(s: &str)") && !line.contains("Result<Formula>") {
                offenders.push(format!("{}: {}", f.display(), line.trim()));
            }
        }
    }
    assert!(files.len() > 50, "src/ not found");
    assert!(
        offenders.is_empty(),
        "option text parsed outside src/script: {offenders:#?}"
    );
}

/// Through the scripting layer: the option map is read into typed options in one place
/// (src/script/options.rs), unknown values name the function and the valid ones, and checked
/// combinations are refused before the fit.
#[test]
fn script_options_are_parsed_and_checked_with_their_messages() {
    let w = std::fs::read(crate::common::fixture("produc/weights.csv")).unwrap();
    let sb = crate::sandbox::Sandbox::new("options_checked", &[("w.csv", &w)]);
    let head = r#"let w = read_weights("w.csv");
        let p = simulate(w, #{model: "sdm", t: 5, beta: [1.0, -0.5], theta: [0.3, 0.2], rho: 0.4, seed: 3});
        let f = "y ~ x1 + x2";"#;
    let fails = |body: &str, want: &[&str]| sb.fails(&format!("{head} {body}"), want);
    fails(
        r#"sar(p, f, w, #{information: "full", bias_correction: "lee_yu"});"#,
        &[
            "information \"full\"",
            "bias_correction \"lee_yu\"",
            "use information \"elhorst\"",
        ],
    );
    fails(
        r#"sdm(p, f, w, #{durbin: ["x3"]});"#,
        &[
            "durbin: 'x3' is not a regressor of the formula (did you mean",
            "valid: x1, x2",
        ],
    );
    fails(
        r#"sar(p, f, w, #{lndet: "chebychev"});"#,
        &[
            "sar: unknown lndet \"chebychev\" (did you mean \"chebyshev\"?)",
            "\"monte_carlo\"",
        ],
    );
    fails(
        r#"sem(p, f, w, #{lag_order: "demean"});"#,
        &["sem: unknown lag_order 'demean'", "\"demean_first\""],
    );
    fails(
        r#"wald_test(sdm(p, f, w), "sarr");"#,
        &["wald_test: unknown model 'sarr'", "\"sar\""],
    );
    fails(
        r#"effects(sdm(p, f, w), #{mode: "elhrst"});"#,
        &["effects: unknown mode \"elhrst\" (did you mean \"elhorst\"?)"],
    );
    let out = sb.succeeds(&format!(
        r#"{head} let m = sdm(p, f, w, #{{durbin: "x2", lndet: "sparse", lag_order: "demean_first"}});
        print(m.coefficients.map(|c| c.term));"#
    ));
    assert_eq!(out.trim(), r#"["x1", "x2", "W*x2", "rho"]"#, "{out}");
}
