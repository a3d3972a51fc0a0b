//! Red-team cases of the command line found after issue 13 (aborts, Ctrl-C, exit statuses,
//! imports, output): each failed before its fix.

use crate::sandbox::{assert_no_panic, Sandbox};
use crate::trust_cli::{interrupt, read_all, wait_at_most, wait_for_line};
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Runs `spillover ARGS` in `s`; (status, stdout, stderr).
fn cli(s: &Sandbox, args: &[&str]) -> (Option<i32>, String, String) {
    let out = s.command(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn deep_recursion_under_a_raised_call_limit_is_an_error_not_a_stack_overflow() {
    let s = Sandbox::new("red_deep_calls", &[]);
    // 5000 levels through a native function and a closure overflowed the 8 MB main stack.
    let (code, _, err) = cli(
        &s,
        &[
            "--max-call-levels",
            "5000",
            "eval",
            "fn f(n) { [n].map(|x| f(x + 1)) } f(0)",
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert_no_panic(&err);
    assert!(err.contains("nested deeper than 5000 calls"), "{err}");
    // Beyond what the script thread's stack is sized for: refused up front.
    let (code, _, err) = cli(&s, &["--max-call-levels", "100000", "eval", "1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--max-call-levels") && err.contains("1 to 10000"), "{err}");
}

/// Starts `spillover run s.rhai` in `s`, waits for the line `ready`, lets it work `ms`
/// milliseconds, presses Ctrl-C and returns (status within 1 s or None, elapsed, stdout, stderr).
fn interrupt_after(s: &Sandbox, ready: &str, ms: u64) -> (Option<i32>, Duration, String, String) {
    let mut child = s
        .command(&["run", "s.rhai"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_line(child.stdout.as_mut().unwrap(), ready);
    std::thread::sleep(Duration::from_millis(ms));
    assert!(child.try_wait().unwrap().is_none(), "finished too fast for this test");
    interrupt(&child);
    let t0 = Instant::now();
    let code = wait_at_most(&mut child, Duration::from_secs(1));
    let elapsed = t0.elapsed();
    (
        code,
        elapsed,
        read_all(child.stdout.take()),
        read_all(child.stderr.take()),
    )
}

#[test]
fn ctrl_c_stops_local_moran_within_one_units_draws() {
    // 400 units in two groups of 200 neighbours each (not a complete graph, whose
    // conditional permutations are undefined and skipped): one unit's million conditional
    // draws take seconds, and Ctrl-C was only looked at between units.
    let mut csv = String::from("id,g,v\n");
    for i in 0..400 {
        csv += &format!("u{i},{},{}\n", i % 2, (i * 37 % 101) as f64 / 7.0);
    }
    let script = "let f = read_csv(\"d.csv\");\n\
                  let w = weights_block(f, #{id: \"id\", group: \"g\"});\n\
                  print(\"ready\");\n\
                  let l = local_moran(f[\"v\"], w, #{permutations: 1000000});\n\
                  print(\"finished\");\n";
    let s = Sandbox::new(
        "red_ctrlc_local",
        &[("d.csv", csv.as_bytes()), ("s.rhai", script.as_bytes())],
    );
    let (code, elapsed, out, err) = interrupt_after(&s, "ready", 300);
    assert_eq!(
        code,
        Some(130),
        "not stopped within 1 s (after {elapsed:?}); stderr: {err}"
    );
    assert!(err.contains("interrupted") && !out.contains("finished"), "{out}\n{err}");
    assert_no_panic(&err);
}

/// Runs `spillover ARGS` (with `stdin` piped in) whose stdout and/or stderr is a pipe the
/// reader has already closed; (status, what reached the other stream).
fn closed_pipes(s: &Sandbox, args: &[&str], stdin: &str, close_out: bool, close_err: bool) -> (Option<i32>, String) {
    let mut child = s
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let (kept_out, kept_err) = ((!close_out).then_some(out), (!close_err).then_some(err));
    // (the closed ends were dropped above, before the child writes anything)
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let other = if close_out {
        read_all(kept_err)
    } else {
        read_all(kept_out)
    };
    (child.wait().unwrap().code(), other)
}

#[test]
fn closed_stdout_or_stderr_never_panics() {
    let s = Sandbox::new("red_pipes", &[]);
    let busy = "for i in 0..300000 { } ";
    // Rhai's own `debug` printed with println!, which panics on a closed stdout.
    let (code, err) = closed_pipes(&s, &["eval", &format!("{busy} debug(1); 2")], "", true, false);
    assert_eq!(code, Some(0), "{err}");
    assert_no_panic(&err);
    assert!(!err.contains("internal error"), "{err}");
    // Errors written to a closed stderr: status 1 (was 101, a panic).
    let (code, _) = closed_pipes(&s, &["eval", &format!("{busy} undefined_x")], "", false, true);
    assert_eq!(code, Some(1));
    let (code, _) = closed_pipes(&s, &["eval", &format!("{busy} exit(\"bye\")")], "", false, true);
    assert_eq!(code, Some(1));
    // The piped REPL whose reader went away ends quietly, without "interrupted".
    let (code, err) = closed_pipes(
        &s,
        &[],
        &format!("{busy}\nfor i in 0..100000 {{ print(i) }}\nprint(\"x\")\n"),
        true,
        false,
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("interrupted"), "{err}");
    // A full disk is not a success: `spillover functions > /dev/full`.
    if std::path::Path::new("/dev/full").exists() {
        let out = s
            .command(&["functions"])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("cannot write to standard output"), "{err}");
    }
}

#[test]
fn errors_inside_an_imported_module_name_its_file_line_and_column() {
    let s = Sandbox::new(
        "red_module_errors",
        &[
            ("lib/bad.rhai", b"fn f() {\n    1 +* 2\n}\n"),
            ("lib/rt.rhai", b"let x = 1;\nx.no_such_fn();\n"),
            ("lib/stop.rhai", b"let x = 1;\nexit(3);\n"),
        ],
    );
    let err = s.fails("import \"lib/bad\" as b;\nb::f();\n", &[]);
    assert!(
        err.contains("script.rhai:1:8: in module lib/bad.rhai:2:8: Syntax error"),
        "{err}"
    );
    let err = s.fails("let y = 2;\nimport \"lib/rt\" as r;\n", &[]);
    assert!(
        err.contains("script.rhai:2:8: in module lib/rt.rhai:2:3: Function not found: no_such_fn"),
        "{err}"
    );
    // `exit` in a module's top-level code ends the script (it went on after the import).
    let out = s.run("import \"lib/stop\" as st;\nprint(\"went on\");\n");
    assert_eq!(out.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("went on"));
}

#[test]
fn weights_builders_check_their_links_against_the_memory_budget() {
    // 400 units: every builder asked for all pairs makes 159,600 links (2.4 MB), over a budget
    // of 1 MB; before, k, cutoff or one big group could ask for any size (k = 19999 on 20,000
    // points grew past 2 GB and on until the system killed the process).
    let mut csv = String::from("id,x,y,g\n");
    for i in 0..400 {
        csv += &format!("u{i},{},{},1\n", (i % 20) as f64, (i / 20) as f64);
    }
    let s = Sandbox::new("red_links", &[("p.csv", csv.as_bytes())]);
    let pts = "let f = read_csv(\"p.csv\"); ";
    for (call, keys) in [
        (
            "weights_knn(f, #{id: \"id\", x: \"x\", y: \"y\", k: 399})",
            ["weights_knn: k = 399", "use a smaller k"],
        ),
        (
            "weights_band(f, #{id: \"id\", x: \"x\", y: \"y\", cutoff: 100.0})",
            ["weights_band: cutoff 100", "use a smaller cutoff"],
        ),
        (
            "weights_distance(f, #{id: \"id\", x: \"x\", y: \"y\"})",
            ["weights_distance: 400 units without a cutoff", "pass cutoff"],
        ),
        (
            "weights_block(f, #{id: \"id\", group: \"g\"})",
            ["weights_block: groups of 'g'", "use smaller groups"],
        ),
    ] {
        let (code, _, err) = cli(&s, &["--max-alloc-mb", "1", "eval", &format!("{pts}{call}.nnz")]);
        assert_eq!(code, Some(1), "{call}: {err}");
        assert_no_panic(&err);
        for k in keys.iter().chain(&["links", "--max-alloc-mb"]) {
            assert!(err.contains(k), "'{k}' missing for {call}: {err}");
        }
    }
    // Within the budget nothing changes.
    let (code, out, err) = cli(
        &s,
        &[
            "--max-alloc-mb",
            "1",
            "eval",
            &format!("{pts}weights_knn(f, #{{id: \"id\", x: \"x\", y: \"y\", k: 4}}).nnz"),
        ],
    );
    assert_eq!((code, out.trim()), (Some(0), "1600"), "{err}");
}

#[test]
fn save_to_an_unknown_format_lists_the_formats_of_that_type() {
    let s = Sandbox::new("red_save_formats", &[("w.gal", b"0 2\n1 1\n2\n2 1\n1\n")]);
    // Weights are also saved as .gal/.gwt: the message listed only the table formats.
    let err = s.fails("let w = read_weights(\"w.gal\"); save(w, \"w.xyz\");", &["'w.xyz'"]);
    assert!(err.contains(".gal, .gwt, .csv") && err.contains(".json"), "{err}");
    let err = s.fails("let w = read_weights(\"w.gal\"); save(w, \"w.png\");", &["no plot"]);
    assert!(err.contains(".gal, .gwt, .csv"), "{err}");
    assert!(!s.path("w.xyz").exists() && !s.path("w.png").exists());
}
