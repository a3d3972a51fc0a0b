//! Issues 17 and 18, the study's extras: `dynamic: true` (Table 9, the dynamic SDM, its stability
//! and short-/long-run effects; the long run refused without killing the study), `robustness:
//! [...]` (Table 10, the SDM under several W with effects) and `model_choice: true` (Table 11,
//! posterior probabilities of the models and of the W); `fit_by` with `dynamic`; `compare()` of
//! dynamic models and of effects; `robustness(..., #{effects: true})`. The numbers are those of
//! direct fits and calls, and the effects those of the closed forms of docs/methods.md §9/§14.5.

use crate::common::{assert_close, citycluster, eval_table, fixture};
use crate::sandbox::Sandbox;
use crate::study::{cell, csv};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::{Frame, Panel};
use spillover::models::ml::{fit_spatial, DynamicOptions, SpatialFit, SpatialOptions};
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::report::table::Cell;
use spillover::report::Table;
use spillover::weights::build::{weights_economic, EconomicOptions};
use spillover::weights::Weights;

const CITY_F: &str = "y ~ spec + div";

/// A study script writing to `res` with the spec entries `entries`.
fn study(entries: &str) -> String {
    format!("import \"study\" as study;\nlet spec = #{{{entries}, effects: #{{draws: 20, seed: 1}}, out: \"res\"}};\nstudy::run(spec);\n")
}

/// The city-cluster study (economic W of gdppc, `y ~ spec + div`, two-way FE) with `extra`.
fn city_study(extra: &str) -> String {
    study(&format!(
        "data: \"{}\", formula: \"{CITY_F}\", weights: #{{kind: \"economic\", variable: \"gdppc\"}}{extra}",
        citycluster("city_year.csv")
    ))
}

fn city_panel() -> Panel {
    let f = read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap();
    Panel::new(&f, "id", "time").unwrap()
}

fn city_design(p: &Panel) -> Design {
    Design::from_panel(p, &Formula::parse(CITY_F).unwrap()).unwrap()
}

fn sdm(d: &Design, w: &Weights, dynamic: bool) -> SpatialFit {
    let mut o = SpatialOptions::new(Fe::TwoWays);
    if dynamic {
        o.dynamic = Some(DynamicOptions::default());
    }
    fit_spatial(d, w, ModelKind::Sdm, &o).unwrap_or_else(|e| panic!("{e}"))
}

/// The text cells of column `col` of a CSV frame.
fn keys(f: &Frame, col: &str) -> Vec<String> {
    f.keys(col).unwrap()
}

fn text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Empty => String::new(),
        Cell::Num(v) => v.to_string(),
        Cell::Int(k) => k.to_string(),
        #[allow(unreachable_patterns)]
        c => format!("{c:?}"),
    }
}

/// The number at the start of a table cell ("0.8214***" → 0.8214).
fn num(c: &Cell) -> f64 {
    let s = text(c);
    let t = s.trim_end_matches('*');
    t.parse().unwrap_or_else(|_| panic!("not a number: {s}"))
}

/// The row index of the first row at or after `from` whose first cell is `label`.
fn row_at(t: &Table, label: &str, from: usize) -> usize {
    (from..t.rows.len())
        .find(|&r| text(&t.rows[r][0]) == label)
        .unwrap_or_else(|| panic!("no row {label} after {from} in {}", t.to_markdown()))
}

/// Closed forms of docs/methods.md §9 and §14.5 over the eigenvalues ω of W: the average direct
/// effect mean_ω (b + tω)/(1 − rω) and the total (b + t)/(1 − r) (row-standardised W).
fn direct_total(w: &Weights, r: f64, b: f64, t: f64) -> (f64, f64) {
    let ev = &w.spectrum().unwrap().re;
    let direct = ev.iter().map(|om| (b + t * om) / (1.0 - r * om)).sum::<f64>() / ev.len() as f64;
    (direct, (b + t) / (1.0 - r))
}

#[test]
fn dynamic_study_table_equals_a_direct_fit_with_closed_form_long_run_effects() {
    let s = Sandbox::new("study_extras_dynamic", &[]);
    s.succeeds(&city_study(", dynamic: true"));
    let p = city_panel();
    let d = city_design(&p);
    let w = weights_economic(&p, "gdppc", &EconomicOptions::default()).unwrap();
    let dy = sdm(&d, &w, true);
    let st = sdm(&d, &w, false);

    // Table 9: τ, η, ρ of the dynamic column equal a direct sdm(..., dynamic) fit; the static
    // column is Table 5's SDM; stability rows equal the fit's.
    let t9 = csv(&s.path("res/table9_dynamic.csv"));
    let get = |model: &str, term: &str, c: &str| cell(&t9, &[("model", model), ("term", term)], c);
    for term in ["y(t-1)", "W*y(t-1)", "rho", "spec", "W*div"] {
        let c = dy.model.coef(term).unwrap();
        assert_eq!(get("(2) dynamic SDM", term, "estimate"), c.estimate, "{term}");
        assert_eq!(get("(2) dynamic SDM", term, "std_error"), c.std_error, "{term} se");
    }
    assert_eq!(get("(1) SDM (static)", "rho", "estimate"), st.rho().unwrap());
    let info = dy.dynamic.as_ref().unwrap();
    assert_eq!(
        get("(2) dynamic SDM", "spectral_radius", "estimate"),
        info.spectral_radius
    );
    assert_eq!(
        get("(2) dynamic SDM", "wald_unit", "estimate"),
        info.wald_unit.statistic
    );
    assert_eq!(get("(2) dynamic SDM", "wald_unit", "p"), info.wald_unit.p);
    assert!(info.stable());
    let md9 = std::fs::read_to_string(s.path("res/table9_dynamic.md")).unwrap();
    for needle in [
        "y(t-1)",
        "W*y(t-1)",
        "spectral radius",
        "Wald test of tau + rho + eta = 1",
    ] {
        assert!(md9.contains(needle), "table9 md lacks {needle}");
    }

    // The effects: short run (I − ρW)⁻¹(βI + θW), long run at ρ* = (ρ + η)/(1 − τ), β/(1 − τ),
    // θ/(1 − τ) (docs/methods.md §14.5), from the eigenvalues of W.
    let fx = csv(&s.path("res/table9_dynamic_effects.csv"));
    let m = &dy.model;
    let c = |t: &str| m.coef(t).unwrap().estimate;
    let (tau, eta, rho) = (c("y(t-1)"), c("W*y(t-1)"), c("rho"));
    for x in ["spec", "div"] {
        let (b, th) = (c(x), c(&format!("W*{x}")));
        let (sd, stot) = direct_total(&w, rho, b, th);
        let (ld, ltot) = direct_total(&w, (rho + eta) / (1.0 - tau), b / (1.0 - tau), th / (1.0 - tau));
        let e = |effect: &str| cell(&fx, &[("variable", x), ("effect", effect)], "estimate");
        assert_close(&format!("{x} short direct"), e("short_direct"), sd, 1e-9);
        assert_close(&format!("{x} short total"), e("short_total"), stot, 1e-9);
        assert_close(&format!("{x} long direct"), e("long_direct"), ld, 1e-9);
        assert_close(&format!("{x} long total"), e("long_total"), ltot, 1e-9);
        assert_close(
            &format!("{x} long total = (β+θ)/(1−τ−ρ−η)"),
            e("long_total"),
            (b + th) / (1.0 - tau - rho - eta),
            1e-9,
        );
        assert!(cell(&fx, &[("variable", x), ("effect", "long_indirect")], "std_error") > 0.0);
    }
    let report = std::fs::read_to_string(s.path("res/report.md")).unwrap();
    for needle in [
        "## Table 9. Dynamic spatial Durbin model",
        "Short-run and long-run effects",
        "Long run",
        "long-run effects the response once",
    ] {
        assert!(report.contains(needle), "report.md lacks {needle}");
    }
    assert!(!s.path("res/table10_robustness.csv").exists());
}

#[test]
fn dynamic_study_with_an_unstable_process_reports_the_short_run_and_says_why() {
    // produc, SDM with individual effects and no ηWy(t−1): τ + ρ > 1 (tests/it/dynamic_effects.rs),
    // so the long run is refused; the study still runs to the end.
    let data = std::fs::read(fixture("produc/data.csv")).unwrap();
    let wb = std::fs::read(fixture("produc/weights.csv")).unwrap();
    let s = Sandbox::new("study_extras_unstable", &[("d.csv", &data), ("w.csv", &wb)]);
    s.succeeds(&study(
        "data: \"d.csv\", formula: \"log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp\", \
         weights: #{kind: \"file\", path: \"w.csv\"}, model: #{fe: \"individual\"}, \
         dynamic: #{space_time_lag: false}",
    ));
    let fx = csv(&s.path("res/table9_dynamic_effects.csv"));
    let effects = keys(&fx, "effect");
    assert!(effects.iter().any(|e| e == "short_direct"), "{effects:?}");
    assert!(!effects.iter().any(|e| e.starts_with("long_")), "{effects:?}");
    let md = std::fs::read_to_string(s.path("res/table9_dynamic_effects.md")).unwrap();
    assert!(md.contains("long-run effects are not computed"), "{md}");
    let t9 = csv(&s.path("res/table9_dynamic.csv"));
    let radius = cell(
        &t9,
        &[("model", "(2) dynamic SDM"), ("term", "spectral_radius")],
        "estimate",
    );
    assert!(radius > 1.0, "{radius}");
    assert!(keys(&t9, "term").iter().all(|t| t != "W*y(t-1)"));
    let report = std::fs::read_to_string(s.path("res/report.md")).unwrap();
    assert!(report.contains("only short-run effects are reported"), "{report}");
    assert!(report.contains("NOT stable"), "{report}");
}

/// The script prelude of the city panel, its W and the block W of clusters.
fn city_prelude() -> String {
    format!(
        r#"
        let p = panel(read_csv({data:?}), "id", "time");
        let w = weights_economic(p, "gdppc");
        let w2 = weights_economic(p, "gdppc", #{{form: "inverse_squared"}});
        let w3 = weights_block(p, #{{group: "cluster", id: "id"}});
        let f = "{CITY_F}";
        "#,
        data = citycluster("city_year.csv")
    )
}

fn city_table(call: &str) -> Table {
    eval_table(&city_prelude(), call).unwrap_or_else(|e| panic!("{call}: {e}"))
}

/// A number computed by a script after the city prelude.
fn city_number(expr: &str) -> f64 {
    let engine = spillover::script::new_engine(None);
    engine
        .eval::<f64>(&format!("{}\n{expr}", city_prelude()))
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
}

#[test]
fn robustness_and_model_choice_in_the_study_equal_direct_calls() {
    let s = Sandbox::new("study_extras_robustness", &[]);
    s.succeeds(&city_study(
        ", robustness: [#{kind: \"economic\", variable: \"gdppc\", form: \"inverse_squared\", name: \"sq\"}, \
         #{kind: \"block\", group: \"cluster\"}], model_choice: true",
    ));
    // Table 10: each column equals a separate fit of the SDM under its W.
    let t10 = csv(&s.path("res/table10_robustness.csv"));
    let p = city_panel();
    let d = city_design(&p);
    let w = weights_economic(&p, "gdppc", &EconomicOptions::default()).unwrap();
    let w2 = weights_economic(
        &p,
        "gdppc",
        &EconomicOptions {
            form: spillover::weights::build::EconForm::InverseSquared,
            ..Default::default()
        },
    )
    .unwrap();
    for (name, w) in [("main", &w), ("sq", &w2)] {
        let f = sdm(&d, w, false);
        for term in ["spec", "div", "W*spec", "rho"] {
            let c = f.model.coef(term).unwrap();
            let got = cell(&t10, &[("model", name), ("term", term)], "estimate");
            assert_eq!(got, c.estimate, "{name} {term}");
        }
        // the effects rows: the direct effect of spec is the closed form at the fit's estimates
        let cf = |t: &str| f.model.coef(t).unwrap().estimate;
        let (direct, total) = direct_total(w, cf("rho"), cf("spec"), cf("W*spec"));
        let e = |t: &str| cell(&t10, &[("model", name), ("term", t)], "estimate");
        assert_close(&format!("{name} direct spec"), e("direct:spec"), direct, 1e-9);
        assert_close(&format!("{name} total spec"), e("total:spec"), total, 1e-9);
    }
    let rho3 = cell(&t10, &[("model", "W3"), ("term", "rho")], "estimate");
    assert_eq!(rho3, city_number(r#"sdm(p, f, w3, #{fe: "twoways"}).rho"#));
    let md10 = std::fs::read_to_string(s.path("res/table10_robustness.md")).unwrap();
    for needle in [
        "| main |",
        "Direct",
        "Indirect",
        "Total",
        "1/(Ȳi − Ȳj)²",
        "same cluster",
    ] {
        assert!(md10.contains(needle), "table10 md lacks {needle}");
    }

    // Table 11: the posterior model probabilities equal model_probabilities() and sum to 1; the W
    // probabilities equal w_probabilities() over [main, sq, W3].
    let want = city_table(r#"model_probabilities(p, f, w, #{fe: "twoways"})"#);
    let t11 = csv(&s.path("res/table11_model_choice.csv"));
    let pr = t11.numeric("probability").unwrap();
    assert_eq!(pr.len(), 5);
    assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{pr:?}");
    let names = keys(&t11, &t11.names()[0]);
    let k = want.columns.iter().position(|c| c == "probability").unwrap();
    let lm = want.columns.iter().position(|c| c == "log_marginal").unwrap();
    for (i, row) in want.rows.iter().enumerate() {
        assert_eq!(names[i], text(&row[0]));
        assert_close(&format!("P({})", names[i]), pr[i], num(&row[k]), 1e-12);
        assert_close(
            &format!("log marginal {}", names[i]),
            t11.numeric("log_marginal").unwrap()[i],
            num(&row[lm]),
            1e-12,
        );
    }
    let want_w = city_table(
        r#"w_probabilities(p, f, [w, w2, w3], #{model: "sdm", fe: "twoways", names: ["main", "sq", "W3"]})"#,
    );
    let tw = csv(&s.path("res/table11_w_choice.csv"));
    let pw = tw.numeric("probability").unwrap();
    assert!((pw.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{pw:?}");
    assert_eq!(keys(&tw, &tw.names()[0]), vec!["main", "sq", "W3"]);
    for (i, row) in want_w.rows.iter().enumerate() {
        assert_close(&format!("P(W{i})"), pw[i], num(&row[k]), 1e-12);
    }
    let report = std::fs::read_to_string(s.path("res/report.md")).unwrap();
    for needle in [
        "## Table 10. Robustness to the weights matrix",
        "## Table 11. Bayesian model comparison",
        "Posterior probabilities of the weights matrices",
    ] {
        assert!(report.contains(needle), "report.md lacks {needle}");
    }
}

#[test]
fn study_spec_checks_the_new_keys() {
    let s = Sandbox::new("study_extras_spec", &[]);
    let e = s.fails(&city_study(", dynamic: \"yes\""), &["spec.dynamic"]);
    assert!(e.contains("true, false or a map"), "{e}");
    let e = s.fails(&city_study(", dynamic: #{time_lagg: false}"), &["time_lagg"]);
    assert!(e.contains("time_lag"), "{e}");
    s.fails(&city_study(", robustness: #{kind: \"block\"}"), &["spec.robustness"]);
    s.fails(
        &city_study(", robustness: [#{kind: \"block\", group: \"cluster\"}, #{kind: \"nope\"}]"),
        &["spec.robustness[1]", "unknown kind"],
    );
    s.fails(
        &city_study(", robustness: [#{kind: \"economic\", variable: \"nope\", name: \"x\"}]"),
        &["spec.robustness[0]", "nope"],
    );
    s.fails(&city_study(", model_choice: 1"), &["spec.model_choice"]);
}

#[test]
fn robustness_with_effects_adds_the_effects_of_each_fit() {
    let t = city_table(
        r#"robustness(p, f, [w, w2], #{model: "sdm", fe: "twoways", names: ["a", "b"], decimals: 17, effects: #{method: "delta"}})"#,
    );
    let p = city_panel();
    let d = city_design(&p);
    let w = weights_economic(&p, "gdppc", &EconomicOptions::default()).unwrap();
    let rho_row = row_at(&t, "rho", 0);
    let direct = row_at(&t, "Direct", 0);
    let indirect = row_at(&t, "Indirect", 0);
    let total = row_at(&t, "Total", 0);
    assert!(rho_row < direct && direct < indirect && indirect < total);
    assert!(row_at(&t, "logLik", 0) > total, "the footer stays last");
    let f = sdm(&d, &w, false);
    let cf = |x: &str| f.model.coef(x).unwrap().estimate;
    for x in ["spec", "div"] {
        let (dir, tot) = direct_total(&w, cf("rho"), cf(x), cf(&format!("W*{x}")));
        let r = row_at(&t, x, direct);
        assert_close(&format!("direct {x}"), num(&t.rows[r][1]), dir, 1e-12);
        assert!(
            text(&t.rows[r + 1][1]).starts_with('('),
            "a standard error under the estimate"
        );
        let r = row_at(&t, x, total);
        assert_close(&format!("total {x}"), num(&t.rows[r][1]), tot, 1e-12);
        assert_close(
            &format!("indirect {x}"),
            num(&t.rows[row_at(&t, x, indirect)][1]),
            tot - dir,
            1e-9,
        );
    }
    assert!(t.notes.iter().any(|n| n.contains("delta method")), "{:?}", t.notes);
    // From fitted models: the same table.
    let t2 = city_table(
        r#"robustness([sdm(p, f, w), sdm(p, f, w2)], #{names: ["a", "b"], decimals: 17, effects: #{method: "delta"}})"#,
    );
    assert_eq!(t.rows, t2.rows);
    // Without effects nothing is added.
    let plain = city_table(r#"robustness(p, f, [w, w2], #{model: "sdm"})"#);
    assert!(plain.rows.iter().all(|r| text(&r[0]) != "Direct"));
    let e = eval_table(&city_prelude(), r#"robustness(p, f, [w], #{model: "sdm", effects: 3})"#).unwrap_err();
    assert!(e.contains("option 'effects'"), "{e}");
}

#[test]
fn dynamic_models_in_compare_robustness_and_effects_tables() {
    // compare(): y(t-1) and W*y(t-1) just before rho; the convention names the dynamic fit.
    let t = city_table(r#"compare([sdm(p, f, w), sdm(p, f, w, #{dynamic: true})])"#);
    let first: Vec<String> = t.rows.iter().map(|r| text(&r[0])).collect();
    let at = |s: &str| {
        first
            .iter()
            .position(|x| x == s)
            .unwrap_or_else(|| panic!("no {s}: {first:?}"))
    };
    assert_eq!(at("y(t-1)") + 2, at("W*y(t-1)"));
    assert_eq!(at("W*y(t-1)") + 2, at("rho"));
    assert!(at("W*div") < at("y(t-1)"));
    let conv = &t.rows[at("convention")];
    assert!(text(&conv[2]).starts_with("dynamic, bc lee_yu_transform"), "{conv:?}");
    assert!(!text(&conv[1]).starts_with("dynamic"));

    // Effects side by side: short- and long-run blocks of the dynamic column, its numbers those
    // of effects(m).to_map(); the static column fills the static blocks only.
    let t = city_table(
        r#"let m = sdm(p, f, w, #{dynamic: true}); compare([effects(sdm(p, f, w), #{method: "delta"}), effects(m, #{method: "delta"})], #{decimals: 17})"#,
    );
    let lr = row_at(&t, "Long-run total", 0);
    let r = row_at(&t, "spec", lr);
    let want = city_number(
        r#"let m = sdm(p, f, w, #{dynamic: true}); effects(m, #{method: "delta"}).to_map().long.total.spec.estimate"#,
    );
    assert_close("long-run total spec", num(&t.rows[r][2]), want, 1e-12);
    assert_eq!(t.rows[r][1], Cell::Empty, "a static model has no long-run block");
    let sd = row_at(&t, "Direct", 0);
    assert!(num(&t.rows[row_at(&t, "spec", sd)][1]).is_finite());
    assert_eq!(t.rows[row_at(&t, "spec", sd)][2], Cell::Empty);
    assert!(row_at(&t, "Short-run direct", 0) < lr);
    assert!(t.title.contains("Short-run and long-run"));

    // A refused long run reads "not stable" with the reason in a note.
    let data = fixture("produc/data.csv");
    let wf = fixture("produc/weights.csv");
    let t = eval_table(
        &format!(
            r#"let p = panel(read_csv({data:?}), "id", "time"); let w = read_weights({wf:?});
               let m = sdm(p, "log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp", w, #{{fe: "individual", dynamic: true, space_time_lag: false}});"#
        ),
        r#"compare([effects(m, #{method: "delta"})], #{names: ["dyn"]})"#,
    )
    .unwrap();
    let r = row_at(&t, "unemp", row_at(&t, "Long-run direct", 0));
    assert_eq!(text(&t.rows[r][1]), "not stable");
    assert!(
        t.notes
            .iter()
            .any(|n| n.starts_with("dyn: long-run effects are not computed")),
        "{:?}",
        t.notes
    );

    // Mixing models and effects is refused.
    let e = eval_table(&city_prelude(), r#"compare([effects(sdm(p, f, w)), sdm(p, f, w)])"#).unwrap_err();
    assert!(e.contains("not both"), "{e}");
}

#[test]
fn fit_by_fits_dynamic_models_per_group() {
    // Each group's dynamic SDM equals a dynamic fit on its sub-panel with W restricted and
    // re-standardised.
    let p = city_panel();
    let w = weights_economic(&p, "gdppc", &EconomicOptions::default()).unwrap();
    let east = p.filter("region", &["east".to_string()]).unwrap();
    let we = w.subset(east.ids(), false).unwrap();
    let de = city_design(&east);
    let f = sdm(&de, &we, true);
    let tau = city_number(r#"fit_by(p, "region", f, w, #{model: "sdm", dynamic: true})["east"].tau"#);
    assert_eq!(tau, f.model.coef("y(t-1)").unwrap().estimate);
    let tau_sar =
        city_number(r#"fit_by(p, "region", f, w, #{model: "sar", dynamic: true, space_time_lag: false})["west"].tau"#);
    assert!(tau_sar.is_finite());
    let e = eval_table(
        &city_prelude(),
        r#"fit_by(p, "region", f, w, #{model: "sdm", time_lag: false}); table("x", ["a"], [])"#,
    )
    .unwrap_err();
    assert!(e.contains("applies to dynamic models"), "{e}");
}
