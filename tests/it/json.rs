//! Issue 14: results serialise with serde into the JSON forms of API.md "JSON"; `to_json` and
//! `save(…, ".json")` take maps and arrays that hold results; effect intervals come from the
//! normal quantile of their level; `fit_by` fits the groups in their documented order.

use crate::common::{citycluster, fixture};
use serde_json::{json, Value};
use spillover::data::csv::{read_csv, CsvOptions};
use spillover::data::Panel;
use spillover::effects::{effects_of_fit, EffectsOptions, Method};
use spillover::esda::{geary, moran, moran_panel, MoranOptions};
use spillover::models::ml::{fit_spatial, SpatialOptions};
use spillover::models::{Design, Fe, Formula, ModelKind};
use spillover::report::{Cell, Table};
use spillover::weights::io::read_weights;

const F: &str = "CRIME ~ INC + HOVAL";

/// The script lines that load Columbus and fit the models the tests export.
fn head() -> String {
    format!(
        "let f = read_csv(\"{}\");\nlet w = read_weights(\"{}\");\n\
         let m1 = sar(f, \"{F}\", w, #{{id: \"POLYID\"}});\n\
         let m2 = sem(f, \"{F}\", w, #{{id: \"POLYID\"}});\n\
         let fx = effects(m1, #{{method: \"delta\"}});\n",
        fixture("columbus/data.csv"),
        fixture("columbus/weights.csv"),
    )
}

/// Runs `script` (which ends in an array of strings) and parses every string as JSON.
fn eval_json(script: &str) -> Vec<Value> {
    let engine = spillover::script::new_engine(None);
    let out: rhai::Array = engine
        .eval(script)
        .unwrap_or_else(|e| panic!("{}", spillover::script::format_error(&e, "json test")));
    out.into_iter()
        .map(|s| serde_json::from_str(&s.into_string().unwrap()).unwrap())
        .collect()
}

#[test]
fn to_json_of_maps_and_arrays_nests_each_result_in_its_own_form() {
    let v = eval_json(&format!(
        "{}[to_json(#{{sar: m1, fx: fx}}), to_json([m1, m2]), to_json(m1), to_json(m2), to_json(fx)]",
        head()
    ));
    let (map, arr, m1, m2, fx) = (&v[0], &v[1], &v[2], &v[3], &v[4]);
    assert_eq!(map["sar"], *m1);
    assert_eq!(map["fx"], *fx);
    assert_eq!(arr, &json!([m1, m2]));
    assert_eq!(m1["kind"], "model");
    assert_eq!(m2["model"], "sem");
    assert_eq!(fx["kind"], "effects");
    assert!(m1["coefficients"]["rho"]["estimate"].as_f64().unwrap() > 0.0);
}

#[test]
fn to_json_nests_every_result_type_and_plain_values() {
    let v = eval_json(&format!(
        "{}let x = f.column(\"CRIME\");\n\
         let p = panel(read_csv(\"{}\"), \"id\", \"time\");\n\
         let wp = read_weights(\"{}\");\n\
         let all = #{{frame: f, panel: p.filter(\"region\", \"west\"), weights: w, model: m1, effects: fx,\n\
             moran: moran(x, w, #{{permutations: 99}}), geary: geary(x, w), moran_table: moran(p, [\"y\"], wp),\n\
             test: lr_test(sdm(f, \"{F}\", w, #{{id: \"POLYID\"}}), m1), table: lm_tests(f, \"{F}\", w, #{{id: \"POLYID\"}}),\n\
             n: 3, x: 2.5, s: \"a\", nothing: (), nan: 0.0 / 0.0, list: [1, #{{m: m2}}]}};\n\
         [to_json(all), to_json(all.frame), to_json(all.panel), to_json(w), to_json(m1), to_json(fx),\n\
          to_json(all.moran), to_json(all.geary), to_json(all.moran_table), to_json(all.test), to_json(all.table),\n\
          to_json(m2)]",
        head(),
        citycluster("city_year.csv"),
        citycluster("weights.csv"),
    ));
    let all = &v[0];
    let kinds = [
        ("frame", "frame"),
        ("panel", "panel"),
        ("weights", "weights"),
        ("model", "model"),
        ("effects", "effects"),
        ("moran", "moran"),
        ("geary", "geary"),
        ("moran_table", "moran_table"),
        ("test", "test"),
        ("table", "table"),
    ];
    for (i, (key, kind)) in kinds.iter().enumerate() {
        assert_eq!(all[key], v[i + 1], "{key}");
        assert_eq!(all[key]["kind"], *kind, "{key}");
    }
    assert_eq!(all["n"], json!(3));
    assert_eq!(all["x"], json!(2.5));
    assert_eq!(all["s"], json!("a"));
    assert_eq!(all["nothing"], Value::Null);
    assert_eq!(all["nan"], Value::Null);
    assert_eq!(all["list"], json!([1, {"m": v[11]}]));
}

#[test]
fn save_of_maps_and_arrays_writes_the_same_json() {
    let dir = std::env::temp_dir().join(format!("spillover_it_json_save_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (pm, pa, pc) = (dir.join("x.json"), dir.join("y.json"), dir.join("x.csv"));
    let v = eval_json(&format!(
        "{}save(#{{sar: m1, fx: fx, n: 1}}, \"{}\");\nsave([m1, m2], \"{}\");\n\
         let err = \"\";\ntry {{ save(#{{sar: m1}}, \"{}\"); }} catch (e) {{ err = `${{e}}`; }}\n\
         [to_json(#{{sar: m1, fx: fx, n: 1}}), to_json([m1, m2]), to_json(#{{err: err}})]",
        head(),
        pm.display(),
        pa.display(),
        pc.display(),
    ));
    let read = |p: &std::path::Path| -> Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
    assert_eq!(read(&pm), v[0]);
    assert_eq!(read(&pa), v[1]);
    let err = v[2]["err"].as_str().unwrap();
    assert!(err.contains(".json") && !pc.exists(), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Columbus as a cross-section design matched to its W.
fn columbus() -> (Design, spillover::weights::Weights) {
    let f = read_csv(&fixture("columbus/data.csv"), &CsvOptions::default()).unwrap();
    let w = read_weights(&fixture("columbus/weights.csv")).unwrap();
    let d = Design::from_frame_matched(&f, &Formula::parse(F).unwrap(), Some("POLYID"), w.ids()).unwrap();
    (d, w)
}

#[test]
fn serde_forms_are_the_documented_json_forms() {
    let (d, w) = columbus();
    // Model: API.md "Model fields"; coefficients keyed by term, numbers exact.
    let fit = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::None)).unwrap();
    let m = serde_json::to_value(&fit.model).unwrap();
    for key in [
        "model",
        "fe",
        "n",
        "t",
        "nobs",
        "bias_correction",
        "lag_order",
        "lndet",
        "coefficients",
        "sigma2",
        "loglik",
        "r2",
        "corr2",
        "aic",
        "bic",
        "terms",
        "vcov",
    ] {
        assert!(m.get(key).is_some(), "model JSON lacks {key}: {m}");
    }
    let rho = fit.model.coef("rho").unwrap();
    assert_eq!(
        m["coefficients"]["rho"],
        json!({"estimate": rho.estimate, "std_error": rho.std_error, "z": rho.z, "p": rho.p})
    );
    assert_eq!(m["model"], "sar");
    assert_eq!(m["aic"].as_f64(), Some(fit.model.aic()));
    let k = fit.model.coefficients.len();
    assert_eq!(m["vcov"][k - 1][k - 1].as_f64(), Some(fit.model.cov(k - 1, k - 1)));

    // Effects: method, draws, seed; direct/indirect/total as regressor → {estimate, std_error, z, p}.
    let opts = EffectsOptions {
        method: Method::Delta,
        ..Default::default()
    };
    let fx = effects_of_fit(&fit, &w, &opts).unwrap();
    let e = serde_json::to_value(&fx).unwrap();
    assert_eq!(e["method"], "delta");
    assert!(e.get("draws").is_some() && e.get("seed").is_some());
    let inc = fx.names.iter().position(|n| n == "INC").unwrap();
    assert_eq!(
        e["indirect"]["INC"]["estimate"].as_f64(),
        Some(fx.indirect[inc].estimate)
    );
    assert_eq!(e["total"]["INC"]["std_error"].as_f64(), Some(fx.total[inc].std_error));
    assert_eq!(
        e["direct"]["INC"]["mean"],
        Value::Null,
        "the delta method has no mean of draws: NaN → null"
    );

    // Moran and Geary: the statistic, its moments and p-values by name; permutations = draws.
    let x = d.y.clone();
    let mo = moran(
        &x,
        &w,
        &MoranOptions {
            permutations: Some(99),
            seed: 7,
        },
    )
    .unwrap();
    let mj = serde_json::to_value(&mo).unwrap();
    assert_eq!(mj["i"].as_f64(), Some(mo.i));
    assert_eq!(mj["z_random"].as_f64(), Some(mo.z_random));
    assert_eq!(mj["permutations"], json!(99));
    assert_eq!(mj["p_sim"].as_f64(), mo.p_sim);
    assert_eq!(mj["warning"], Value::Null);
    let ge = geary(&x, &w, &MoranOptions::default()).unwrap();
    let gj = serde_json::to_value(&ge).unwrap();
    assert_eq!(gj["c"].as_f64(), Some(ge.c));
    assert_eq!(gj["p"].as_f64(), Some(ge.p));
    assert_eq!(gj["p_sim"], Value::Null);
    assert!(gj.get("p_random_greater").is_none() && gj.get("permutation").is_none());
    // The table shows the same statistic.
    let t = mo.to_table();
    assert_eq!(t.rows[0][1], Cell::Num(mo.i));

    // MoranTable: rows in Moran's form, variables, pooled.
    let p = Panel::new(
        &read_csv(&citycluster("city_year.csv"), &CsvOptions::default()).unwrap(),
        "id",
        "time",
    )
    .unwrap();
    let wp = read_weights(&citycluster("weights.csv")).unwrap();
    let mt = moran_panel(&p, &["y".to_string()], &wp, &MoranOptions::default(), false).unwrap();
    let tj = serde_json::to_value(&mt).unwrap();
    assert_eq!(tj["variables"], json!(["y"]));
    assert_eq!(tj["pooled"], json!(false));
    assert_eq!(tj["rows"][0], serde_json::to_value(&mt.rows[0]).unwrap());
    assert_eq!(tj["rows"][0]["permutations"], Value::Null);

    // Test: name, statistic, df, df2, p.
    let sem = fit_spatial(&d, &w, ModelKind::Sdm, &SpatialOptions::new(Fe::None)).unwrap();
    let lr = spillover::models::spatial_tests::lr_test(&sem.model, &fit.model).unwrap();
    assert_eq!(
        serde_json::to_value(&lr).unwrap(),
        json!({"name": lr.name, "statistic": lr.statistic, "df": lr.df, "df2": null, "p": lr.p})
    );

    // Weights: n, nnz, ids, standardization, symmetric, similar_to_symmetric, triplets.
    let wj = serde_json::to_value(&w).unwrap();
    assert_eq!(wj["n"], json!(49));
    assert_eq!(wj["nnz"].as_u64(), Some(w.nnz() as u64));
    assert_eq!(wj["triplets"].as_array().unwrap().len(), w.nnz());
    assert_eq!(wj["triplets"][0], json!(["1", "2", 0.5]));
    for key in ["ids", "standardization", "symmetric", "similar_to_symmetric"] {
        assert!(wj.get(key).is_some(), "weights JSON lacks {key}");
    }

    // Table: {title, columns, rows, notes}, NaN as null; its to_json_value adds the kind.
    let mut tb = Table::new("T", vec!["a".into(), "b".into()]);
    tb.push(vec![Cell::Text("r".into()), Cell::Num(f64::NAN)]);
    tb.push(vec![Cell::Int(3), Cell::Stat(0.25)]);
    assert_eq!(
        serde_json::to_value(&tb).unwrap(),
        json!({"title": "T", "columns": ["a", "b"], "rows": [["r", null], [3, 0.25]], "notes": []})
    );
    assert_eq!(tb.to_json_value()["kind"], "table");

    // Frame and panel: names, nrows, columns (name → values); a panel adds its ids and times.
    let fr =
        spillover::data::csv::parse_csv(b"id,t,v\n001,1,2.5\n002,1,NA\n", "small.csv", &CsvOptions::default()).unwrap();
    assert_eq!(
        serde_json::to_value(&fr).unwrap(),
        json!({"names": ["id", "t", "v"], "nrows": 2, "columns": {"id": ["001", "002"], "t": [1.0, 1.0], "v": [2.5, null]}})
    );
    let pj = serde_json::to_value(&p).unwrap();
    assert_eq!(pj["n"].as_u64(), Some(p.n() as u64));
    assert_eq!(pj["ids"], json!(p.ids()));
    assert_eq!(pj["id"], "id");
    assert_eq!(pj["columns"]["y"].as_array().unwrap().len(), p.n() * p.t());
    assert_eq!(pj["times"], json!(p.times()));
}

#[test]
fn effect_intervals_use_the_normal_quantile_of_their_level() {
    let (d, w) = columbus();
    let fit = fit_spatial(&d, &w, ModelKind::Sar, &SpatialOptions::new(Fe::None)).unwrap();
    let opts = EffectsOptions {
        method: Method::Delta,
        ..Default::default()
    };
    let fx = effects_of_fit(&fit, &w, &opts).unwrap();
    // Φ⁻¹(0.95) and Φ⁻¹(0.975) to 16 digits.
    for (level, q) in [(0.90, 1.6448536269514722), (0.95, 1.959963984540054)] {
        for r in fx.direct.iter().chain(&fx.indirect).chain(&fx.total) {
            let (lo, hi) = r.interval(level).unwrap();
            let tol = 1e-12 * (r.estimate.abs() + r.std_error);
            assert!((lo - (r.estimate - q * r.std_error)).abs() <= tol, "{level}: {lo}");
            assert!((hi - (r.estimate + q * r.std_error)).abs() <= tol, "{level}: {hi}");
        }
    }
    let rows = fx.interval_rows(0.90, None).unwrap();
    assert_eq!(rows.len(), 3 * fx.names.len());
    assert_eq!(rows[1].0, format!("{}: indirect", fx.names[0]));
    assert_eq!((rows[1].2, rows[1].3), fx.indirect[0].interval(0.90).unwrap());
    let only = fx.interval_rows(0.95, Some(&["HOVAL".to_string()])).unwrap();
    assert_eq!(only.len(), 3);
    assert!(only.iter().all(|r| r.0.starts_with("HOVAL: ")));
    let err = fx
        .interval_rows(0.95, Some(&["nope".to_string()]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("'nope'") && err.contains("INC, HOVAL"), "{err}");
    let err = fx.direct[0].interval(1.5).unwrap_err().to_string();
    assert!(err.contains("1.5") && err.contains("0.95"), "{err}");
}

#[test]
fn fit_by_returns_the_groups_in_order_of_first_appearance() {
    // Units 1–4 are group 20, 5–8 group 3, 9–12 group 100: first appearance gives
    // ["20", "3", "100"], which neither a text sort ("100", "20", "3") nor a numeric one gives.
    let mut text = String::from("id,t,g,y,x\n");
    for t in 1..=5 {
        for i in 1..=12 {
            let g = [20, 3, 100][(i - 1) / 4];
            let x = ((i * 7 + t * 3) % 11) as f64 / 4.0;
            let y = 0.5 * x + ((i * 5 + t) % 7) as f64 / 8.0;
            text += &format!("{i},{t},{g},{y},{x}\n");
        }
    }
    let f = spillover::data::csv::parse_csv(text.as_bytes(), "groups.csv", &CsvOptions::default()).unwrap();
    let p = Panel::new(&f, "id", "t").unwrap();
    let w = crate::common::ring(12, spillover::weights::Standardization::Row);
    let opts = SpatialOptions::new(Fe::Individual);
    let formula = Formula::parse("y ~ x").unwrap();
    let fits = spillover::models::fit_by(&p, "g", &formula, &w, ModelKind::Sar, &opts, false).unwrap();
    let groups: Vec<&str> = fits.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(groups, ["20", "3", "100"]);
    // Each entry is the model of its group's sub-panel with W restricted to its units.
    for (g, fitted) in &fits {
        let sub = p.filter("g", std::slice::from_ref(g)).unwrap();
        let ws = std::sync::Arc::new(w.subset(sub.ids(), false).unwrap());
        let own =
            spillover::models::fit(&Design::from_panel(&sub, &formula).unwrap(), &ws, ModelKind::Sar, &opts).unwrap();
        assert_eq!(fitted.model().n, 4);
        assert_eq!(fitted.model().coefficients, own.model().coefficients, "group {g}");
    }
}
