//! `compare()` with esttab's options (issue 18): `keep`, `drop`, `order`, `labels`, `paren`,
//! `stars`, `stats`, through the scripting function on produc fits (OLS and SAR, two-way
//! effects), checked against closed forms of the models' own coefficients: z = b/se, the 95%
//! interval b ± Φ⁻¹(0.975)·se, BIC = −2 logL + k ln(NT), stars by counting levels above p.

use crate::common::{fixture, produc_prelude};
use spillover::report::table::{fmt_num, Cell};
use spillover::report::Table;

/// Φ⁻¹(0.975).
const Z975: f64 = 1.959963984540054;

fn prelude() -> String {
    produc_prelude(
        r#"
        let o = ols(p, f);
        let s = sar(p, f, w);
        "#,
    )
}

fn eval(call: &str) -> Result<Table, String> {
    crate::common::eval_table(&prelude(), call)
}

fn table(call: &str) -> Table {
    eval(call).unwrap_or_else(|e| panic!("{call}: {e}"))
}

/// The SAR model fitted in the prelude, for the closed forms.
fn sar_model() -> spillover::models::Model {
    let engine = spillover::script::new_engine(None);
    let m = engine
        .eval::<spillover::script::models::SModel>(&format!("{}\ns", prelude()))
        .unwrap();
    m.0.model().clone()
}

fn text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Empty => String::new(),
        c => panic!("not text: {c:?}"),
    }
}

fn first_column(t: &Table) -> Vec<String> {
    t.rows.iter().map(|r| text(&r[0])).collect()
}

#[test]
fn explicit_defaults_give_the_default_table() {
    let plain = table("compare([o, s])");
    let explicit =
        table(r#"compare([o, s], #{paren: "se", stars: [0.1, 0.05, 0.01], decimals: 4, title: "Model comparison"})"#);
    assert_eq!(plain.to_markdown(), explicit.to_markdown());
    assert!(plain.notes[0].starts_with("Standard errors in parentheses; *** p<0.01, ** p<0.05, * p<0.1"));
}

#[test]
fn keep_drop_order_and_labels_select_and_rename_terms() {
    let t = table(
        r#"compare([o, s], #{keep: ["lpc", "rho", "lpcap"], order: ["rho"], labels: #{lpc: "private capital"}})"#,
    );
    let first = first_column(&t);
    assert_eq!(&first[..6], &["rho", "", "lpcap", "", "private capital", ""]);
    assert_eq!(first[6], "sigma2", "no other term is kept: {first:?}");
    let t = table(r#"compare([o, s], #{drop: ["unemp", "rho"]})"#);
    let first = first_column(&t);
    assert!(
        !first.contains(&"unemp".to_string()) && !first.contains(&"rho".to_string()),
        "{first:?}"
    );
    assert!(first.contains(&"lemp".to_string()));
    // order puts the listed terms first, the others follow in the default order.
    let t = table(r#"compare([o, s], #{order: ["unemp", "lpc"]})"#);
    let first = first_column(&t);
    assert_eq!(
        &first[..10],
        &["unemp", "", "lpc", "", "lpcap", "", "lemp", "", "rho", ""]
    );
}

#[test]
fn paren_shows_z_p_or_the_interval() {
    let m = sar_model();
    let rho = m.coef("rho").unwrap().clone();
    let lpc = m.coef("lpc").unwrap().clone();
    for (paren, want) in [
        ("se", format!("({})", fmt_num(rho.std_error, 4))),
        ("t", format!("({})", fmt_num(rho.estimate / rho.std_error, 4))),
        // p as journals print it: three decimals, never scientific (issue 19)
        ("p", format!("({:.3})", lpc.p)),
        (
            "ci",
            format!(
                "[{}, {}]",
                fmt_num(rho.estimate - Z975 * rho.std_error, 4),
                fmt_num(rho.estimate + Z975 * rho.std_error, 4)
            ),
        ),
    ] {
        let t = table(&format!(r#"compare([s], #{{paren: "{paren}", keep: ["lpc", "rho"]}})"#));
        let got = if paren == "p" {
            text(&t.rows[1][1])
        } else {
            text(&t.rows[3][1])
        };
        assert_eq!(got, want, "paren {paren}");
    }
    let t = table(r#"compare([s], #{paren: "ci"})"#);
    assert!(
        t.notes[0].starts_with("95% confidence intervals in brackets"),
        "{:?}",
        t.notes
    );
}

#[test]
fn star_levels_count_the_levels_above_p() {
    let m = sar_model();
    let levels = [0.2, 0.001];
    let t = table(r#"compare([s], #{stars: [0.2, 0.001]})"#);
    for c in &m.coefficients {
        let n = levels.iter().filter(|l| c.p < **l).count();
        let want = format!("{}{}", fmt_num(c.estimate, 4), "*".repeat(n));
        let row = t.row_named(&c.term).unwrap();
        assert_eq!(text(&row[1]), want, "{}", c.term);
    }
    assert!(t.notes[0].contains("** p<0.001, * p<0.2"), "{:?}", t.notes);
    let none = table(r#"compare([s], #{stars: []})"#);
    assert!(!text(&none.rows[0][1]).contains('*'));
}

#[test]
fn stats_choose_the_footer_rows_in_order() {
    let m = sar_model();
    let t = table(r#"compare([s], #{stats: ["bic", "nobs", "aic", "r2", "n", "t", "fe", "loglik", "sigma2"]})"#);
    let k = 2 * m.coefficients.len();
    let first = first_column(&t);
    assert_eq!(
        &first[k..],
        &["BIC", "Obs", "AIC", "R2", "N", "T", "FE", "logLik", "sigma2"]
    );
    let bic = -2.0 * m.loglik + m.n_params as f64 * ((m.n * m.t) as f64).ln();
    assert_eq!(text(&t.rows[k][1]), fmt_num(bic, 3));
    assert_eq!(text(&t.rows[k + 1][1]), (48 * 17).to_string());
    assert_eq!(
        text(&t.rows[k + 2][1]),
        fmt_num(-2.0 * m.loglik + 2.0 * m.n_params as f64, 3)
    );
    assert_eq!(text(&t.rows[k + 3][1]), fmt_num(m.r2, 4));
}

#[test]
fn bad_options_are_errors_that_name_the_fix() {
    let e = eval(r#"compare([o, s], #{stats: ["aic", "adj_r2"]})"#).unwrap_err();
    assert!(e.contains("'adj_r2'") && e.contains("nobs, n, t, r2, r2_within"), "{e}");
    let e = eval(r#"compare([o, s], #{keep: ["lpcap", "income"]})"#).unwrap_err();
    assert!(
        e.contains("keep") && e.contains("'income'") && e.contains("lpcap, lpc, lemp, unemp"),
        "{e}"
    );
    let e = eval(r#"compare([o, s], #{labels: #{wages: "w"}})"#).unwrap_err();
    assert!(e.contains("labels") && e.contains("'wages'"), "{e}");
    let e = eval(r#"compare([o, s], #{paren: "stderr"})"#).unwrap_err();
    assert!(e.contains("\"se\", \"t\", \"p\", \"ci\""), "{e}");
    let e = eval(r#"compare([o, s], #{stars: [0.1, 5]})"#).unwrap_err();
    assert!(e.contains("star level 5"), "{e}");
    let e = eval(r#"compare([o, s], #{star: [0.1]})"#).unwrap_err();
    assert!(e.contains("'star'") && e.contains("stars"), "{e}");
}

/// The prelude plus the two alternative weights matrices of produc.
fn three_w() -> String {
    format!(
        r#"
        let knn5 = read_weights({knn5:?});
        let order2 = read_weights({order2:?});
        let opts = #{{model: "sdm", fe: "twoways"}};
        "#,
        knn5 = fixture("produc/weights_alt_knn5.csv"),
        order2 = fixture("produc/weights_alt_order2.csv"),
    )
}

#[test]
fn robustness_columns_equal_separate_fits() {
    // 17 decimals: the texts agree only if the estimates agree to the last bits.
    let t = table(&format!(
        r#"{}
        robustness(p, f, [w, knn5, order2], #{{model: "sdm", fe: "twoways", names: ["usaww", "knn5", "order2"], decimals: 17}})"#,
        three_w()
    ));
    let separate = table(&format!(
        r#"{}
        compare([fit(p, f, w, opts), fit(p, f, knn5, opts), fit(p, f, order2, opts)],
                #{{names: ["usaww", "knn5", "order2"], decimals: 17, stats: ["loglik", "aic", "bic", "n", "t", "fe"]}})"#,
        three_w()
    ));
    assert_eq!(t.columns, vec!["", "usaww", "knn5", "order2"]);
    assert_eq!(t.rows, separate.rows);
    let first = first_column(&t);
    for want in ["lpcap", "W*lpcap", "rho", "logLik", "AIC"] {
        assert!(first.contains(&want.to_string()), "{want} missing: {first:?}");
    }
    // The three W give three different ρ̂.
    let rho = t.row_named("rho").unwrap();
    assert!(rho[1] != rho[2] && rho[2] != rho[3], "{rho:?}");
    assert!(t.title.contains("SDM"), "{}", t.title);
}

#[test]
fn robustness_refuses_what_is_not_weights() {
    let e = eval(r#"robustness(p, f, [w, 3], #{model: "sdm"})"#).unwrap_err();
    assert!(e.contains("element 1") && e.contains("Weights"), "{e}");
    let e = eval(r#"robustness(p, f, [w], #{fe: "twoways"})"#).unwrap_err();
    assert!(e.contains("'model' is required"), "{e}");
}

#[test]
fn a_label_of_a_regressor_also_names_its_spatial_lag() {
    let prelude = produc_prelude(
        r#"
        let d = sdm(p, f, w);
        "#,
    );
    let t = crate::common::eval_table(
        &prelude,
        r#"compare([d], #{labels: #{lpc: "private capital", "W*lemp": "lag of jobs"}})"#,
    )
    .unwrap();
    let first = first_column(&t);
    assert!(first.contains(&"private capital".to_string()), "{first:?}");
    assert!(first.contains(&"W*private capital".to_string()), "{first:?}");
    // An explicit label of the lag wins over the inherited one.
    assert!(first.contains(&"lag of jobs".to_string()), "{first:?}");
    assert!(!first.iter().any(|r| r == "W*lpc" || r == "W*lemp"), "{first:?}");
}
