//! Issue 13, items 1 (in_order), 3 (study spec checks and staged output), 10 (resilience
//! inputs) and 11 (by_region with a numeric group column): through the real binary.

use crate::common::{citycluster, root};
use crate::sandbox::Sandbox;
use spillover::data::csv::{read_csv, CsvOptions};

const CITY_FORMULA: &str = "y ~ spec + div + c1 + c2 + c3 + c4";

/// A study script on the bundled city data with `extra` spec entries (replacing the base
/// ones of the same name), writing to `out`.
fn study_script(extra: &str, out: &str) -> String {
    format!(
        "import \"study\" as study;\nlet spec = #{{data: \"{}\", formula: \"y ~ spec + div\", \
         weights: #{{kind: \"economic\", variable: \"gdppc\"}}, effects: #{{draws: 20, seed: 1}}, out: \"{out}\"}};\n\
         spec += #{{{extra}}};\nlet res = study::run(spec);\n",
        citycluster("city_year.csv")
    )
}

// ---------- item 3: the spec is checked ----------

#[test]
fn study_spec_typo_is_refused_with_did_you_mean() {
    let s = Sandbox::new("trust_study_typo", &[]);
    s.fails(
        &study_script("modle: #{fe: \"time\"}", "res"),
        &["unknown key 'modle'", "did you mean 'model'?"],
    );
    // nested maps: model options, model.fe values, effects options, weights keys
    s.fails(
        &study_script("model: #{fe: \"time\", lagorder: \"lag_first\"}", "res"),
        &["spec.model", "unknown key 'lagorder'", "did you mean 'lag_order'?"],
    );
    s.fails(
        &study_script("model: #{fe: \"twoway\"}", "res"),
        &["spec.model.fe", "\"twoways\""],
    );
    s.fails(
        &study_script("effects: #{draw: 10}", "res"),
        &["spec.effects", "unknown key 'draw'", "did you mean 'draws'?"],
    );
    s.fails(
        &study_script(
            &format!(
                "weights: #{{kind: \"file\", path: \"{}\", standardise: \"row\"}}",
                citycluster("weights.csv")
            ),
            "res",
        ),
        &[
            "spec.weights",
            "unknown option 'standardise'",
            "did you mean 'standardize'?",
        ],
    );
    s.fails(
        &study_script("weights: #{kind: \"economic\", varible: \"gdppc\"}", "res"),
        &["spec.weights", "key 'variable' is required", "varible"],
    );
    s.fails(
        &study_script("weights: #{kind: \"queen\"}", "res"),
        &["unknown kind 'queen'"],
    );
    // nothing was written for a spec that fails its check
    assert!(!s.path("res").exists());
    let left: Vec<_> = std::fs::read_dir(&s.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter().all(|n| !n.to_string_lossy().contains("staging")),
        "{left:?}"
    );
}

#[test]
fn study_spec_without_formula_names_the_required_key() {
    let s = Sandbox::new("trust_study_noformula", &[]);
    let script = format!(
        "import \"study\" as study;\nstudy::run(#{{data: \"{}\", out: \"res\"}});\n",
        citycluster("city_year.csv")
    );
    let err = s.fails(&script, &["study: spec", "key 'formula' is required"]);
    assert!(!err.contains("Function not found"), "{err}");
}

#[test]
fn study_weights_standardize_is_honoured() {
    // raw weights (the bundled ones times 3): read as given unless standardize is set
    let f = read_csv(&citycluster("weights.csv"), &CsvOptions::default()).unwrap();
    let (i, j, w) = (f.keys("i").unwrap(), f.keys("j").unwrap(), f.numeric("w").unwrap());
    let mut csv = String::from("i,j,w\n");
    for r in 0..f.nrows() {
        csv += &format!("{},{},{}\n", i[r], j[r], 3.0 * w[r]);
    }
    let raw: f64 = (0..f.nrows()).filter(|&r| i[r] == "C001").map(|r| 3.0 * w[r]).sum();
    assert!((raw - 3.0).abs() < 1e-9, "{raw}");
    let s = Sandbox::new("trust_study_standardize", &[("w3.csv", csv.as_bytes())]);
    let row_sum = |std: &str, out: &str| -> f64 {
        let mut script = study_script(&format!("weights: #{{kind: \"file\", path: \"w3.csv\"{std}}}"), out);
        script += "let ones = []; ones.pad(res.w.n, 1.0); print(res.w.ids()[0]); print(res.w.lag(ones)[0]);\n";
        let out = s.succeeds(&script);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[lines.len() - 2], "C001", "{out}");
        lines[lines.len() - 1].trim().parse().unwrap()
    };
    assert!(
        (row_sum("", "a") - raw).abs() < 1e-9,
        "without standardize: the weights as given"
    );
    assert!(
        (row_sum(", standardize: \"row\"", "b") - 1.0).abs() < 1e-12,
        "standardize: \"row\" is honoured"
    );
}

// ---------- item 3: a failed study leaves the previous output intact ----------

#[test]
fn failed_study_keeps_previous_output_and_names_the_step() {
    let s = Sandbox::new("trust_study_staging", &[]);
    s.succeeds(&study_script("title: \"first\"", "res"));
    let report = std::fs::read_to_string(s.path("res/report.md")).unwrap();
    let t2 = std::fs::read_to_string(s.path("res/table2_descriptives.csv")).unwrap();
    assert!(report.contains("# first"));
    // The second run writes different Tables 2–6, then fails at Table 7 ("y" is no group: it
    // changes over time).
    let err = s.fails(
        &study_script("title: \"second\", describe: [\"y\"], group: \"y\"", "res"),
        &["study step 'table7_groups' failed", "changes over time"],
    );
    assert!(err.contains("res is as it was"), "{err}");
    assert_eq!(std::fs::read_to_string(s.path("res/report.md")).unwrap(), report);
    assert_eq!(
        std::fs::read_to_string(s.path("res/table2_descriptives.csv")).unwrap(),
        t2
    );
    let names: Vec<String> = std::fs::read_dir(&s.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("spillover-staging") && !n.contains("spillover-old")),
        "{names:?}"
    );
    // A successful run replaces the folder as a whole: no file of the old run is left over.
    std::fs::write(s.path("res/stale.txt"), "old").unwrap();
    s.succeeds(&study_script("title: \"third\"", "res"));
    assert!(std::fs::read_to_string(s.path("res/report.md"))
        .unwrap()
        .contains("# third"));
    assert!(!s.path("res/stale.txt").exists());
    // A folder that is not a study's output is never replaced.
    s.write("mine/thesis.tex", b"x");
    s.fails(&study_script("", "mine"), &["not written by a study"]);
    assert!(s.path("mine/thesis.tex").exists());
}

// ---------- item 1: in_order ----------

const W_CSV: &str = "i,j,w\na,b,1\nb,c,1\nc,a,1\n";

#[test]
fn in_order_matches_rows_to_w_by_id() {
    let s = Sandbox::new(
        "trust_in_order",
        &[
            ("w.csv", W_CSV.as_bytes()),
            ("f.csv", b"id,x\nc,3\na,1\nb,2\n"),
            ("missing.csv", b"id,x\na,1\nb,2\nd,4\n"),
            ("dup.csv", b"id,x\na,1\nb,2\nc,3\na,5\n"),
            ("p.csv", b"id,t,x\nb,1,20\na,1,10\nc,1,30\nc,2,31\na,2,11\nb,2,21\n"),
        ],
    );
    let out = s.succeeds(
        "import \"study\" as study;\nlet w = read_weights(\"w.csv\");\n\
         let v = in_order(read_csv(\"f.csv\"), \"id\", \"x\", w);\n\
         for (u, k) in w.ids() { print(`${u}=${v[k]}`); }\n\
         let p = panel(read_csv(\"p.csv\"), \"id\", \"t\");\n\
         let q = in_order(p, \"x\", 2, w);\n\
         for (u, k) in w.ids() { print(`p2 ${u}=${q[k]}`); }\n\
         print(`wrap ${study::in_w_order(read_csv(\"f.csv\"), \"id\", \"x\", w) == v} ${study::period_values(p, \"x\", 2, w) == q}`);\n",
    );
    for (u, x) in [("a", "1.0"), ("b", "2.0"), ("c", "3.0")] {
        assert!(
            out.contains(&format!("\n{u}={x}")) || out.starts_with(&format!("{u}={x}")),
            "{out}"
        );
    }
    for (u, x) in [("a", "11.0"), ("b", "21.0"), ("c", "31.0")] {
        assert!(out.contains(&format!("p2 {u}={x}")), "{out}");
    }
    assert!(out.contains("wrap true true"), "{out}");
    s.fails(
        "let w = read_weights(\"w.csv\");\nin_order(read_csv(\"missing.csv\"), \"id\", \"x\", w);",
        &[
            "1 unit(s) of W have no row in column 'id': c",
            "1 id(s) of column 'id' are not units of W: d",
        ],
    );
    s.fails(
        "let w = read_weights(\"w.csv\");\nin_order(read_csv(\"dup.csv\"), \"id\", \"x\", w);",
        &["1 duplicate id(s) in column 'id'", "'a' (rows 1 and 4)"],
    );
    s.fails(
        "let w = read_weights(\"w.csv\");\nin_order(panel(read_csv(\"p.csv\"), \"id\", \"t\"), \"x\", 3, w);",
        &["no period '3'", "periods: 1, 2"],
    );
}

// ---------- item 10: resilience inputs ----------

/// Builds produc with `us_gsp` = the sum of gsp over states per year; `tail` follows.
fn produc_script(tail: &str) -> String {
    format!(
        "let p = panel(read_csv(\"{}\"), \"id\", \"time\");\nlet n = p.n;\nlet gsp = p[\"gsp\"];\nlet nat = [];\n\
         for t in 0..p.t {{ let s = 0.0; for i in 0..n {{ s += gsp[t * n + i]; }} for i in 0..n {{ nat.push(s); }} }}\n\
         let p = p.with_column(\"us_gsp\", nat);\nlet k = p.ids().index_of(\"ALABAMA\") + n;\n{tail}",
        root("examples/data/produc/data.csv")
    )
}

#[test]
fn resilience_refuses_levels_as_growth_rates_and_level_growth_is_right() {
    // Variant A by hand for Alabama 1971 (docs/methods.md §1.1): g = G_t / G_{t−1} − 1.
    let f = read_csv(&root("examples/data/produc/data.csv"), &CsvOptions::default()).unwrap();
    let (ids, year, gsp) = (
        f.keys("id").unwrap(),
        f.numeric("time").unwrap(),
        f.numeric("gsp").unwrap(),
    );
    let total = |y: f64| -> f64 { (0..f.nrows()).filter(|&r| year[r] == y).map(|r| gsp[r]).sum() };
    let al = |y: f64| -> f64 { gsp[(0..f.nrows()).find(|&r| ids[r] == "ALABAMA" && year[r] == y).unwrap()] };
    let (gr, gn) = (al(1971.0) / al(1970.0) - 1.0, total(1971.0) / total(1970.0) - 1.0);
    let want = (gr - gn) / gn.abs();
    assert!((want - 0.48).abs() < 0.005, "{want}");

    let s = Sandbox::new("trust_resilience", &[]);
    let err = s.fails(
        &produc_script("resilience(p, #{region: \"gsp\", national: \"us_gsp\"});"),
        &[
            "column 'gsp' looks like levels",
            "kind: \"level_growth\"",
            "check_inputs: false",
        ],
    );
    assert!(err.contains("growth_change"), "{err}");
    let out = s.succeeds(&produc_script(
        "print(resilience(p, #{region: \"gsp\", national: \"us_gsp\", kind: \"level_growth\"})[k]);\n\
         print(resilience(p, #{region: \"gsp\", national: \"us_gsp\", check_inputs: false})[k]);\n\
         let g = p.growth(\"gsp\"); let gn = p.growth(\"us_gsp\");\n\
         print(resilience(p.with_column(\"g\", g).with_column(\"gn\", gn), #{region: \"g\", national: \"gn\"})[k + n]);\n",
    ));
    let v: Vec<f64> = out.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert!((v[0] - want).abs() < 1e-12, "level_growth {} vs {want}", v[0]);
    assert!(
        (v[1] + 0.98).abs() < 0.005,
        "the override gives the variant-B number: {}",
        v[1]
    );
    assert!(v[2].is_finite(), "growth rates pass the check: {}", v[2]);
    // growth rates passed to level_growth: a non-positive base level is refused
    s.fails(
        &produc_script(
            "let g = p.growth(\"gsp\"); let gn = p.growth(\"us_gsp\");\n\
             resilience(p.with_column(\"g\", g).with_column(\"gn\", gn), #{region: \"g\", national: \"gn\", kind: \"level_growth\"});",
        ),
        &["levels must be > 0", "growth_change"],
    );
    // :help says which inputs each variant takes
    let help = s.piped(&[], ":help resilience\n:quit\n");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("GROWTH RATES") && text.contains("LEVELS"), "{text}");
}

// ---------- item 11: by_region with a numeric group column ----------

#[test]
fn by_region_with_numeric_group_equals_text_labels() {
    let s = Sandbox::new("trust_by_region", &[]);
    let script = format!(
        "import \"study\" as study;\nlet p = panel(read_csv(\"{}\"), \"id\", \"time\");\n\
         let codes = #{{east: 1, central: 2, west: 3}};\nlet num = [];\nfor r in p[\"region\"] {{ num.push(codes[r]); }}\n\
         let q = p.with_column(\"code\", num);\nlet w = weights_economic(q, \"gdppc\");\nlet f = \"{CITY_FORMULA}\";\n\
         let a = study::by_region(q, \"region\", f, w, #{{model: \"sdm\", fe: \"twoways\"}}, #{{draws: 20, seed: 1}});\n\
         let b = study::by_region(q, \"code\", f, w, #{{model: \"sdm\", fe: \"twoways\"}}, #{{draws: 20, seed: 1}});\n\
         print(`order ${{b.order}}`);\n\
         for k in 0..3 {{ let ga = a.order[k]; let gb = b.order[k];\n\
           print(`RHO ${{a.models[ga].coef(\"rho\").estimate}} ${{b.models[gb].coef(\"rho\").estimate}}`);\n\
           print(`TOT ${{a.effects[ga].to_map().total.spec.estimate}} ${{b.effects[gb].to_map().total.spec.estimate}}`); }}\n\
         print(study::groups_table(q, \"code\", \"cluster\"));\n",
        citycluster("city_year.csv")
    );
    let out = s.succeeds(&script);
    assert!(out.contains("order [\"1\", \"2\", \"3\"]"), "{out}");
    let pairs: Vec<(f64, f64)> = out
        .lines()
        .filter(|l| l.starts_with("RHO ") || l.starts_with("TOT "))
        .map(|l| {
            let v: Vec<f64> = l.split_whitespace().skip(1).map(|x| x.parse().unwrap()).collect();
            (v[0], v[1])
        })
        .collect();
    assert_eq!(pairs.len(), 6, "{out}");
    for (a, b) in pairs {
        assert!(a.is_finite() && a == b, "text labels {a} vs numeric codes {b}");
    }
}
