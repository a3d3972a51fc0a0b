//! Every bad input ends a script run with exit status 1, no panic, and a message that names
//! the culprit (file, line, column, variable, unit, period, option) and what to do. Each test
//! writes small bad files into its own temporary folder and runs the real binary there:
//! `spillover run script.rhai`.

use crate::sandbox::{assert_no_panic, Sandbox};
use std::process::{Command, Stdio};

/// Units of the small test panel (8 units × 3 periods).
const UNITS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];

/// The panel `p.csv`: x on a quarter grid so that x2 = 2·x is exact; xn is missing for unit c
/// in period 2; k is constant; big is y·1e200 (its squares overflow).
fn panel_csv() -> String {
    let mut s = String::from("id,time,y,x,x2,xn,k,big,name\n");
    for t in 1..=3 {
        for (i, u) in UNITS.iter().enumerate() {
            let x = ((i * 7 + t * 3) % 11) as f64 / 4.0;
            let y = 0.5 * x + ((i * 5 + t) % 7) as f64 / 8.0;
            let xn = if *u == "c" && t == 2 {
                "NA".to_string()
            } else {
                format!("{}", ((i + 2 * t) % 5) as f64 / 2.0)
            };
            s += &format!("{u},{t},{y},{x},{},{xn},1,{:e},n{u}\n", 2.0 * x, y * 1e200 + 1e199);
        }
    }
    s
}

/// A GAL ring over `ids`.
fn ring_gal(ids: &[&str]) -> String {
    let n = ids.len();
    let mut s = format!("0 {n} test id\n");
    for i in 0..n {
        s += &format!("{} 2\n{} {}\n", ids[i], ids[(i + n - 1) % n], ids[(i + 1) % n]);
    }
    s
}

/// A sandbox holding the standard data files plus `extra` files.
struct Case;

impl Case {
    #[allow(clippy::new_ret_no_self)]
    fn new(tag: &str, extra: &[(&str, &[u8])]) -> Sandbox {
        let panel = panel_csv();
        let ring = ring_gal(&UNITS);
        let other = ring_gal(&["1", "2", "3", "4", "5", "6", "7", "8"]);
        let tri = ring_gal(&["1", "2", "3"]);
        let mut files: Vec<(&str, &[u8])> = vec![
            ("p.csv", panel.as_bytes()),
            ("ring.gal", ring.as_bytes()),
            ("other.gal", other.as_bytes()),
            ("tri.gal", tri.as_bytes()),
        ];
        files.extend_from_slice(extra);
        Sandbox::new(&format!("errors_{tag}"), &files)
    }
}

const PANEL: &str = "let p = panel(read_csv(\"p.csv\"), \"id\", \"time\");\n";

#[test]
fn missing_files_name_the_path_and_what_to_check() {
    let c = Case::new("missing", &[]);
    for (call, file) in [
        ("read_csv(\"nope.csv\")", "nope.csv"),
        ("read_weights(\"nope.gal\")", "nope.gal"),
        ("weights_contiguity(\"nope.geojson\", #{})", "nope.geojson"),
    ] {
        c.fails(call, &[file, "file not found", "check the path", "script.rhai:1:"]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_spillover"))
        .args(["run", "no_such_script.rhai"])
        .current_dir(&c.dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("no_such_script.rhai") && err.contains("cannot read the script"),
        "{err}"
    );
    assert_no_panic(&err);
}

#[test]
fn ragged_csv_names_line_and_field_counts() {
    let c = Case::new("ragged", &[("ragged.csv", b"id,x\n1,2\n3\n")]);
    c.fails(
        "read_csv(\"ragged.csv\")",
        &["ragged.csv:3:", "1 fields", "header has 2", "one value per column"],
    );
}

#[test]
fn non_utf8_files_name_line_column_and_encoding() {
    let c = Case::new(
        "utf8",
        &[
            ("latin1.csv", b"id,x\n1,2\n2,caf\xe9\n"),
            ("latin1.gal", b"2\n1 1\n\xe9\n\xe9 1\n1\n"),
        ],
    );
    c.fails(
        "read_csv(\"latin1.csv\")",
        &["latin1.csv:3:2", "'x'", "not valid UTF-8", "save the file as UTF-8"],
    );
    c.fails("read_weights(\"latin1.gal\")", &["latin1.gal:3:", "UTF-8"]);
}

#[test]
fn text_where_a_number_is_needed_names_row_and_column() {
    let c = Case::new("text", &[("text.csv", b"id,time,x\na,1,2\nb,1,oops\na,2,1\nb,2,3\n")]);
    let keys = ["text.csv:3:3", "column 'x'", "'oops'", "mark it missing"];
    c.fails("describe(read_csv(\"text.csv\"), [\"x\"])", &keys);
    c.fails(
        "let p = panel(read_csv(\"text.csv\"), \"id\", \"time\"); ols(p, \"x ~ time\")",
        &keys,
    );
}

#[test]
fn unbalanced_panel_names_the_missing_pairs() {
    let c = Case::new("unbal", &[("unbal.csv", b"id,time,x\na,1,2\na,2,3\nb,1,4\n")]);
    c.fails(
        "panel(read_csv(\"unbal.csv\"), \"id\", \"time\")",
        &["unbalanced", "(b, 2)", "add the rows"],
    );
}

#[test]
fn duplicate_pairs_are_named() {
    let c = Case::new("dup", &[("dup.csv", b"id,time,x\na,1,2\na,1,3\nb,1,4\n")]);
    c.fails(
        "panel(read_csv(\"dup.csv\"), \"id\", \"time\")",
        &["duplicate", "(a, 1)", "once per period"],
    );
}

#[test]
fn unknown_formula_variable_suggests_the_closest_name() {
    let c = Case::new("formula", &[]);
    c.fails(
        &format!("{PANEL}ols(p, \"y ~ xx\")"),
        &["unknown variable 'xx'", "did you mean 'x'", "script.rhai:2:"],
    );
    c.fails(&format!("{PANEL}ols(p, \"y x\")"), &["'~'", "y ~ x1 + x2"]);
}

#[test]
fn nan_in_a_used_variable_names_unit_and_period() {
    let c = Case::new("nan", &[]);
    c.fails(
        &format!("{PANEL}ols(p, \"y ~ xn\")"),
        &["'xn'", "unit c", "period 2", "impute or drop"],
    );
    // Unused NaN columns do no harm.
    let out = c.run(&format!("{PANEL}ols(p, \"y ~ x\");"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn perfect_collinearity_names_the_variable() {
    let c = Case::new("collinear", &[]);
    c.fails(
        &format!("{PANEL}ols(p, \"y ~ x + x2\")"),
        &["'x2'", "perfectly collinear", "'x'", "drop"],
    );
    c.fails(
        &format!("{PANEL}ols(p, \"y ~ x + k\", #{{fe: \"none\"}})"),
        &["'k'", "perfectly collinear", "(intercept)"],
    );
}

#[test]
fn weights_and_data_ids_that_do_not_match_are_listed_both_ways() {
    let c = Case::new("ids", &[]);
    c.fails(
        &format!("{PANEL}sar(p, \"y ~ x\", read_weights(\"other.gal\"))"),
        &[
            "in the data but not in the weights: a, b",
            "in the weights but not in the data: 1, 2",
            "subset",
        ],
    );
    c.fails(
        &format!("{PANEL}moran(p, \"y\", read_weights(\"other.gal\"))"),
        &["not in the weights", "not in the data"],
    );
}

#[test]
fn islands_are_refused_at_row_standardisation_with_their_ids() {
    let c = Case::new(
        "islands",
        &[
            ("island.gal", b"3\n1 1\n2\n2 1\n1\n3 0\n"),
            ("pts.csv", b"id,x,y\n1,0,0\n2,0,1\n3,10,10\n"),
        ],
    );
    c.fails(
        "read_weights(\"island.gal\")",
        &["island.gal", "no neighbours (islands): 3", "islands: \"keep\""],
    );
    c.fails(
        "weights_band(read_csv(\"pts.csv\"), #{id: \"id\", x: \"x\", y: \"y\", cutoff: 2})",
        &["islands", ": 3", "larger cutoff"],
    );
    // Kept on request, with the zero row left as it is.
    let out = c.run("let w = read_weights(\"island.gal\", #{islands: \"keep\"}); assert(w.n == 3, \"n\");");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn constant_variable_in_moran_is_refused() {
    let c = Case::new("constant", &[]);
    c.fails(
        "moran([2, 2, 2, 2, 2, 2, 2, 2], read_weights(\"ring.gal\"))",
        &["moran", "constant", "undefined"],
    );
    c.fails(
        &format!("{PANEL}moran(p, \"k\", read_weights(\"ring.gal\"))"),
        &["constant"],
    );
}

#[test]
fn fewer_than_four_units_for_the_randomisation_variance() {
    let c = Case::new("n3", &[]);
    c.fails(
        "moran([1, 2, 4], read_weights(\"tri.gal\"))",
        &["N = 3", "at least 4", "N − 3"],
    );
}

#[test]
fn unknown_option_keys_and_bad_values_list_the_valid_ones() {
    let c = Case::new("options", &[]);
    c.fails(
        &format!("{PANEL}ols(p, \"y ~ x\", #{{fee: \"none\"}})"),
        &[
            "ols: unknown option 'fee'",
            "did you mean 'fe'",
            "valid options: fe, id",
        ],
    );
    c.fails(
        &format!("{PANEL}ols(p, \"y ~ x\", #{{fe: \"bogus\"}})"),
        &["'bogus'", "\"none\"", "\"individual\"", "\"time\"", "\"twoways\""],
    );
    c.fails(
        &format!("{PANEL}sar(p, \"y ~ x\", read_weights(\"ring.gal\"), #{{lag_order: \"bogus\"}})"),
        &["sar", "lag_order", "'bogus'", "\"lag_first\"", "\"demean_first\""],
    );
    c.fails(
        &format!("{PANEL}sar(p, \"y ~ x\", read_weights(\"ring.gal\"), #{{interval: \"wide\"}})"),
        &["sar: option 'interval' must be [lo, hi]", "string"],
    );
    c.fails(
        "read_csv(\"p.csv\", #{delimiter: \";;\"})",
        &["delimiter", "one ASCII character"],
    );
    c.fails(
        "moran([1, 2, 3, 4, 5, 6, 7, 8], read_weights(\"ring.gal\"), #{permutations: 100000000000000})",
        &["permutations", "too large", "at most 1000000"],
    );
}

#[test]
fn malformed_weights_and_geojson_name_file_and_line_or_feature() {
    let c = Case::new(
        "malformed",
        &[
            ("bad.gal", b"0 3 x id\n1 2\n2 3\n2 x\n"),
            ("count.gal", b"3\n1 2\n2\n2 1\n1\n3 0\n"),
            ("bad.gwt", b"0 3 x id\n1 2 0.5\n2 1 abc\n"),
            ("selfw.csv", b"i,j,w\n1,2,1\n2,2,0.5\n"),
            (
                "bad.geojson",
                br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,"a"],[0,0]]]}}]}"#,
            ),
            (
                "noid.geojson",
                br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":1},"geometry":null}]}"#,
            ),
            ("badjson.geojson", b"{\"type\":\"FeatureCollection\",\n\"features\":[\n{\"type\":\"Feature\",,}]}"),
        ],
    );
    c.fails("read_weights(\"bad.gal\")", &["bad.gal:4:", "expected 'id k'", "'2 x'"]);
    c.fails(
        "read_weights(\"count.gal\")",
        &["count.gal:3:", "announces 2 neighbours", "lists 1"],
    );
    c.fails("read_weights(\"bad.gwt\")", &["bad.gwt:3:3", "'abc' is not a number"]);
    c.fails(
        "read_weights(\"selfw.csv\")",
        &["selfw.csv:3:", "self-weight", "zero diagonal"],
    );
    c.fails("read_weights(\"p.csv\")", &["p.csv:1:", "expected 3 fields"]);
    c.fails("read_weights(\"ring.txt\")", &["ring.txt", ".gal, .gwt, .csv"]);
    c.fails(
        "weights_contiguity(\"bad.geojson\", #{})",
        &["bad.geojson", "feature 0", "ring 0 position 2", "[x, y]"],
    );
    c.fails(
        "weights_contiguity(\"noid.geojson\", #{})",
        &["noid.geojson", "feature 0", "no property 'id'", "code", "option id"],
    );
    c.fails(
        "weights_contiguity(\"badjson.geojson\", #{})",
        &["badjson.geojson:3:", "not valid JSON"],
    );
}

#[test]
fn rho_on_the_interval_bound_warns_on_stderr_and_in_the_model() {
    let c = Case::new("bound", &[]);
    let out = c.run(&format!(
        "{PANEL}let m = sar(p, \"y ~ x\", read_weights(\"ring.gal\"), #{{interval: [0.5, 0.9]}});\n\
         assert(m.warnings.len() == 1 && m.warnings[0].contains(\"bound\"), \"warning kept\");"
    ));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "a warning does not stop the script: {err}");
    assert_no_panic(&err);
    assert!(
        err.contains("warning: sar: rho = 0.5") && err.contains("on the bound") && err.contains("widen the interval"),
        "{err}"
    );
}

#[test]
fn non_convergence_says_what_was_tried() {
    let c = Case::new("converge", &[]);
    c.fails(
        &format!(
            "{PANEL}let m = sar(p, \"y ~ x\", read_weights(\"ring.gal\"), #{{interval: [0.5, 0.5001]}});\neffects(m)"
        ),
        &[
            "script.rhai:3:",
            "1000 consecutive draws of rho",
            "(0.5, 0.5001)",
            "use method \"delta\"",
        ],
    );
    // Values whose squares overflow would make every likelihood evaluation non-finite.
    c.fails(
        &format!("{PANEL}sem(p, \"big ~ x\", read_weights(\"ring.gal\"))"),
        &["'big'", "unit a", "period 1", "overflow", "rescale"],
    );
}

#[test]
fn unwritable_output_paths_are_refused_and_name_the_folder() {
    let c = Case::new("unwritable", &[]);
    std::fs::create_dir_all(c.path("out.md")).unwrap();
    c.fails(
        &format!("{PANEL}save(describe(p, [\"x\"]), \"no/such/t.md\")"),
        &["no/such/t.md", "folder 'no/such' does not exist", "create it first"],
    );
    c.fails(
        &format!("{PANEL}save(describe(p, [\"x\"]), \"out.md\")"),
        &["out.md", "cannot write"],
    );
    c.fails(
        &format!("{PANEL}save(describe(p, [\"x\"]), \"t.doc\")"),
        &["t.doc", ".md", ".docx"],
    );
    c.fails("write_text(\"no/such/r.txt\", \"x\")", &["does not exist"]);
}

#[test]
fn script_syntax_errors_give_line_and_column() {
    let c = Case::new("syntax", &[]);
    c.fails("let x = [1, 2;\n", &["script.rhai:1:14:", "Syntax error"]);
    c.fails(
        "let x = 1;\nlet y = x +* 2;\n",
        &["script.rhai:2:12:", "Unexpected '*'"],
    );
    c.fails(
        "let x = 1;\nprint(y);\n",
        &["script.rhai:2:7:", "Variable not found: y"],
    );
}

#[test]
fn errors_never_truncate_existing_results() {
    let c = Case::new("atomic", &[]);
    for f in ["out.md", "out.csv", "w.gal"] {
        std::fs::write(c.path(f), "old").unwrap();
    }
    // Failing computations, bad formats and unstorable ids leave the old files whole.
    c.fails(
        &format!("{PANEL}save(describe(p, [\"name\"]), \"out.md\")"),
        &["'name'"],
    );
    c.fails(
        &format!("{PANEL}save(ols(p, \"y ~ zz\"), \"out.csv\")"),
        &["unknown variable"],
    );
    c.fails(
        "let f = read_csv(\"p.csv\"); save(weights_block(f.filter(\"time\", 1), #{id: \"name\", group: \"k\"}), \"w.gal\"); \
         save(weights_block(read_csv(\"p.csv\").filter(\"time\", 1).with_column(\"sp\", [\"a b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\"]), #{id: \"sp\", group: \"k\"}), \"w.gal\")",
        &["'a b'", "contains spaces", "save as .csv"],
    );
    assert_eq!(std::fs::read_to_string(c.path("out.md")).unwrap(), "old");
    assert_eq!(std::fs::read_to_string(c.path("out.csv")).unwrap(), "old");
    // The first save succeeded (atomically replaced), the second failed and left it whole.
    let gal = std::fs::read_to_string(c.path("w.gal")).unwrap();
    assert!(gal.starts_with("0 8 spillover id\n"), "{gal}");
    let leftovers: Vec<String> = std::fs::read_dir(&c.dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

#[test]
fn script_has_no_process_network_or_raw_file_access() {
    let c = Case::new("sandbox", &[]);
    for call in [
        "system(\"ls\")",
        "exec(\"ls\")",
        "open(\"p.csv\")",
        "http_get(\"http://example.com\")",
    ] {
        c.fails(call, &["Function not found"]);
    }
    // `import` resolves .rhai modules only (the bundled stdlib, then the script's folder).
    c.fails("import \"p.csv\" as m;", &["Module not found"]);
}

#[test]
fn repl_survives_errors_and_ctrl_c() {
    use std::io::Write;
    let c = Case::new("repl", &[]);
    let mut child = c.spawn_piped(&[]);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"read_csv(\"nope.csv\")\nlet f = read_csv(\"p.csv\");\nlet i = 0;\nloop { i += 1; }\n")
        .unwrap();
    stdin.flush().unwrap();
    // Let the loop start, then press Ctrl-C.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(status.success());
    stdin
        .write_all(b"print(`alive ${f.nrows()} ${i > 0}`);\n:quit\n")
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let so = String::from_utf8_lossy(&out.stdout);
    let se = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{se}");
    assert_no_panic(&se);
    assert!(se.contains("nope.csv") && se.contains("file not found"), "{se}");
    assert!(se.contains("interrupted"), "{se}");
    assert!(so.contains("alive 24 true"), "{so}\n{se}");
}

#[test]
fn errors_in_the_middle_of_a_script_stop_it_there() {
    let c = Case::new("stop", &[]);
    let err = c.fails(
        "print(\"before\");\nlet f = read_csv(\"nope.csv\");\nwrite_text(\"after.txt\", \"x\");\n",
        &["script.rhai:2:9:", "nope.csv"],
    );
    assert!(!c.path("after.txt").exists(), "{err}");
}

#[test]
fn print_to_a_closed_pipe_ends_the_script_quietly() {
    let c = Case::new("pipe", &[]);
    std::fs::write(
        c.path("script.rhai"),
        "for i in 0..20000 { print(i); }\nwrite_text(\"done.txt\", \"ok\");\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spillover"))
        .args(["run", "script.rhai"])
        .current_dir(&c.dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // as `| head` does
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_no_panic(&err);
    assert!(out.status.success(), "{err}");
    // Like any Unix writer whose reader has gone (`yes | head`), the script stops at the
    // failed print (issue 13 item 18: no endless loop into a closed pipe).
    assert!(!c.path("done.txt").exists());
}
