//! The command line on the cases of issue 13 (items 14–16, 18–20, 23 for scripts, 24): Ctrl-C
//! that stops native work, import cycles, memory limits, exit status, closed pipes, plot temp
//! files, piped REPL input, `:load` imports and byte-order marks.

use crate::sandbox::{assert_no_panic, Sandbox};
use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `n` seeded pseudo-random points as a CSV with columns id, x, y.
pub(crate) fn points_csv(n: usize) -> Vec<u8> {
    let mut s: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut out = String::from("id,x,y\n");
    for i in 0..n {
        out += &format!("u{i},{:.6},{:.6}\n", next(), next());
    }
    out.into_bytes()
}

/// Sends SIGINT to `child` (through the `kill` command).
pub(crate) fn interrupt(child: &Child) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT failed");
}

/// Waits for `child` at most `limit`; its exit code, or None if still running (then killed).
pub(crate) fn wait_at_most(child: &mut Child, limit: Duration) -> Option<i32> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Reads `r` up to and including the line `line` (the child has reached that point).
pub(crate) fn wait_for_line(r: &mut impl Read, line: &str) {
    let mut seen = Vec::new();
    let mut b = [0u8; 1];
    while !String::from_utf8_lossy(&seen).lines().any(|l| l == line) {
        assert_eq!(r.read(&mut b).unwrap(), 1, "output ended before '{line}'");
        seen.push(b[0]);
    }
}

pub(crate) fn read_all(r: Option<impl Read>) -> String {
    let mut s = String::new();
    if let Some(mut r) = r {
        r.read_to_string(&mut s).unwrap();
    }
    s
}

/// A 3,000-unit kNN W takes ~10 s for its (non-symmetric) eigenvalues here: long enough that
/// only an interruption of the native work can end the run within 2 s.
const EIGEN_SCRIPT: &str = r#"let f = read_csv("pts.csv");
let w = weights_knn(f, #{id: "id", x: "x", y: "y", k: 6});
print("built");
let e = w.eigenvalues();
print("finished");
"#;

#[test]
fn ctrl_c_stops_native_eigenvalues_and_run_exits_130() {
    let sb = Sandbox::new(
        "cli_ctrlc_run",
        &[("pts.csv", &points_csv(3000)), ("s.rhai", EIGEN_SCRIPT.as_bytes())],
    );
    let mut child = sb
        .command(&["run", "s.rhai"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_line(child.stdout.as_mut().unwrap(), "built");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the eigenvalues finished too fast for this test"
    );
    interrupt(&child);
    let t0 = Instant::now();
    let code = wait_at_most(&mut child, Duration::from_secs(2));
    let err = read_all(child.stderr.take());
    let out = read_all(child.stdout.take());
    assert_eq!(
        code,
        Some(130),
        "not stopped within 2 s (after {:?}); stderr: {err}",
        t0.elapsed()
    );
    assert!(err.contains("interrupted"), "{err}");
    assert!(!out.contains("finished"), "{out}");
    assert_no_panic(&err);
}

#[test]
fn ctrl_c_in_piped_repl_returns_to_the_prompt_without_assigning() {
    let sb = Sandbox::new("cli_ctrlc_repl", &[("pts.csv", &points_csv(3000))]);
    let mut child = sb.spawn_piped(&[]);
    let mut stdin = child.stdin.take().unwrap();
    let lines: Vec<&str> = EIGEN_SCRIPT.lines().collect();
    writeln!(stdin, "{}", lines[..4].join("\n")).unwrap();
    stdin.flush().unwrap();
    wait_for_line(child.stdout.as_mut().unwrap(), "built");
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(500));
    // A Ctrl-C while the REPL waits for input must not stop the next command.
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(200));
    writeln!(stdin, "print(type_of(e));\nprint(\"alive \" + w.n);").unwrap();
    drop(stdin);
    let code = wait_at_most(&mut child, Duration::from_secs(3));
    let err = read_all(child.stderr.take());
    let out = read_all(child.stdout.take());
    assert_eq!(code, Some(0), "stderr: {err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("Variable not found: e"), "e was assigned: {err}");
    assert!(out.contains("alive 3000"), "stdout: {out}\nstderr: {err}");
    assert_no_panic(&err);
}

#[test]
fn import_cycles_are_reported_with_their_chain() {
    let sb = Sandbox::new(
        "cli_cycle",
        &[
            ("a.rhai", b"import \"b\" as b;\nprint(\"a\");\n"),
            ("b.rhai", b"import \"a\" as a;\nfn f() { 1 }\n"),
            ("s.rhai", b"import \"s\" as s;\n"),
        ],
    );
    for (file, chain) in [("a.rhai", "a.rhai → b.rhai → a.rhai"), ("s.rhai", "s.rhai → s.rhai")] {
        let out = sb.command(&["run", file]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains("import cycle") && err.contains(chain), "{file}: {err}");
        assert_no_panic(&err);
    }
    // The REPL survives a cycle.
    let out = sb.piped(&[], "import \"a\" as a;\nprint(\"still here\");\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("a.rhai → b.rhai → a.rhai"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("still here"));
}

#[test]
fn oversized_allocations_are_errors_not_aborts() {
    let sb = Sandbox::new("cli_oom", &[("pts.csv", &points_csv(49))]);
    let cases: [(&str, &[&str]); 4] = [
        (
            "let a = []; a.pad(1000000000, 0);",
            &["an array", "20000000 elements", "--max-array-size"],
        ),
        (
            "let s = \"x\"; s.pad(1500000000, \"x\");",
            &["a string", "--max-string-size"],
        ),
        ("let s = \"x\"; loop { s += s; }", &["a string", "--max-string-size"]),
        (
            "let w = weights_knn(read_csv(\"pts.csv\"), #{id: \"id\", x: \"x\", y: \"y\", k: 4});\n\
             simulate(w, #{model: \"sar\", t: 1000000000, beta: [1.0], rho: 0.3});",
            &["simulate: t = 1000000000", "GB", "--max-alloc-mb", "use a smaller t"],
        ),
    ];
    for (script, keys) in cases {
        sb.fails(script, keys);
    }
    // The limits can be raised (or lowered) from the command line.
    sb.write("small.rhai", b"let a = []; a.pad(2000, 0); print(a.len());");
    let out = sb
        .command(&["--max-array-size", "1000", "run", "small.rhai"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1000 elements"));
    let out = sb
        .command(&["run", "small.rhai", "--max-array-size", "5000"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2000");
}

#[test]
fn exit_sets_the_status_and_eval_prints_like_the_repl() {
    let sb = Sandbox::new("cli_exit", &[("pts.csv", &points_csv(49))]);
    let out = sb.run("print(\"before\"); exit(3); print(\"after\");");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "before\n");
    let out = sb.run("fn stop() { exit(\"bye\") }\nstop();\nprint(\"after\");");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), "bye");
    assert!(out.stdout.is_empty());
    assert_eq!(sb.run("exit(0); 1/0").status.code(), Some(0));
    // A value is not a status: a script ending in 7 exits 0.
    assert_eq!(sb.run("7").status.code(), Some(0));
    let out = sb.command(&["eval", "exit(4)"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let out = sb.piped(&[], "print(1);\nexit(5);\nprint(2);\n");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
    let out = sb
        .command(&[
            "eval",
            "weights_knn(read_csv(\"pts.csv\"), #{id: \"id\", x: \"x\", y: \"y\", k: 4})",
        ])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        s.contains("Spatial weights") && s.contains("units") && s.contains("49"),
        "{s}"
    );
    assert!(!s.contains("spillover::script"), "{s}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let sb = Sandbox::new(
        "cli_pipe",
        &[
            ("many.rhai", b"for i in 0..100000 { print(i) }"),
            ("forever.rhai", b"loop { print(\"y\") }"),
        ],
    );
    for file in ["many.rhai", "forever.rhai"] {
        let mut child = sb
            .command(&["run", file])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 2];
        child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
        drop(child.stdout.take());
        let code = wait_at_most(&mut child, Duration::from_secs(5));
        let err = read_all(child.stderr.take());
        assert_eq!(code, Some(0), "{file}: {err}");
        assert!(err.is_empty(), "{file}: {err}");
    }
    // The REPL on a pipe too.
    let mut child = sb.spawn_piped(&[]);
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(b"for i in 0..100000 { print(i) }\n")
        .unwrap();
    let mut first = [0u8; 2];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    drop(child.stdin.take());
    let code = wait_at_most(&mut child, Duration::from_secs(5));
    let err = read_all(child.stderr.take());
    assert_eq!(code, Some(0), "{err}");
    assert_no_panic(&err);
}

#[cfg(unix)]
#[test]
fn png_saves_use_no_predictable_temp_file_and_clear_leftovers() {
    let sb = Sandbox::new("cli_png", &[("pts.csv", &points_csv(49))]);
    std::fs::create_dir_all(sb.path("tmp")).unwrap();
    sb.write("victim.txt", b"keep me");
    // A leftover of a killed save of the same target (a process that no longer exists).
    sb.write(".m.png.spillover-tmp-4294967-0", b"half a png");
    let mut child = sb
        .command(&[])
        .env("TMPDIR", sb.path("tmp"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Symbolic links where the old code put its temporary file, and at this process's first
    // temporary name beside the target: neither may be followed.
    for link in [
        sb.path("tmp").join(format!("spillover-plot-{pid}-0.png")),
        sb.path(&format!(".m.png.spillover-tmp-{pid}-0")),
    ] {
        std::os::unix::fs::symlink(sb.path("victim.txt"), link).unwrap();
    }
    let script = "let w = weights_knn(read_csv(\"pts.csv\"), #{id: \"id\", x: \"x\", y: \"y\", k: 4});\n\
                  let x = []; for i in 0..49 { x.push((i * 7 % 11).to_float()); }\n\
                  plot_moran(x, w, \"m.png\");\nprint(\"saved\");\n";
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(String::from_utf8_lossy(&out.stdout).contains("saved"), "{err}");
    assert_eq!(std::fs::read_to_string(sb.path("victim.txt")).unwrap(), "keep me");
    let png = std::fs::read(sb.path("m.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        !sb.path(".m.png.spillover-tmp-4294967-0").exists(),
        "stale temp file kept"
    );
    // Nothing but the planted link in TMPDIR.
    assert_eq!(std::fs::read_dir(sb.path("tmp")).unwrap().count(), 1);
}

#[test]
fn piped_blocks_are_evaluated_whole_and_in_order() {
    let sb = Sandbox::new("cli_paste", &[]);
    let input = "fn twice(x) {\n    let y = x;\n    y * 2\n}\nlet a = twice(21);\nprint(a);\n\
                 if a > 40 {\n    print(\"big\");\n}\nelse {\n    print(\"small\");\n}\n\
                 let s = [3, 1, 2]\n    .map(|v| v * 10);\nprint(s);\nlet t = 1\n    + 2;\nprint(t);\nprint(\"end\");\n";
    let out = sb.piped(&[], input);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42\nbig\n[30, 10, 20]\n3\nend\n");
}

#[test]
fn load_resolves_imports_from_the_scripts_folder() {
    let sb = Sandbox::new(
        "cli_load",
        &[
            ("sub/s.rhai", b"import \"helper\" as h;\nlet loaded = h::value();\n"),
            ("sub/helper.rhai", b"fn value() { 42 }\n"),
        ],
    );
    let out = sb.piped(&[], ":load sub/s.rhai\nprint(loaded);\nprint(h::value() + 1);\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "loaded sub/s.rhai\n42\n43\n");
    // `run` from the parent folder uses the same rule.
    let out = sb.command(&["run", "sub/s.rhai"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn scripts_and_modules_with_a_byte_order_mark_run() {
    let sb = Sandbox::new(
        "cli_bom",
        &[
            ("bom.rhai", b"\xef\xbb\xbfimport \"m\" as m;\nprint(m::hi());\n"),
            ("m.rhai", b"\xef\xbb\xbffn hi() { \"hello\" }\n"),
        ],
    );
    let out = sb.command(&["run", "bom.rhai"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
    let out = sb.piped(&[], ":load bom.rhai\n");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\nloaded bom.rhai\n");
}

/// Item 20: lines typed into the terminal while a command runs are queued, each evaluated
/// whole and in order at the next prompts (rustyline keeps its read buffer across prompts).
/// The REPL runs on a real pseudo-terminal through `script` (util-linux, on every Debian).
#[test]
fn lines_typed_while_a_command_runs_are_all_evaluated() {
    let sb = Sandbox::new("cli_typeahead", &[]);
    let mut child = std::process::Command::new("script")
        .args(["-qec", env!("CARGO_BIN_EXE_spillover"), "/dev/null"])
        .current_dir(&sb.dir)
        .env("HOME", &sb.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs the REPL on a pseudo-terminal");
    let mut stdin = child.stdin.take().unwrap();
    let mut type_line = |s: &str| {
        stdin.write_all(s.as_bytes()).unwrap();
        stdin.write_all(b"\r").unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    };
    std::thread::sleep(Duration::from_millis(500));
    type_line("let i = 0; while i < 6000000 { i += 1; } print(\"long \" + \"done\");");
    type_line("print(\"typed \" + \"during\");");
    type_line("let z = 5;");
    type_line("fn twice(a) {");
    type_line("  a * 2 }");
    type_line("print(\"twice: \" + twice(z));");
    std::thread::sleep(Duration::from_secs(4));
    type_line(":quit");
    let code = wait_at_most(&mut child, Duration::from_secs(10));
    drop(stdin);
    let out = read_all(child.stdout.take());
    assert_eq!(code, Some(0), "{out}");
    let long = out.find("long done").expect(&out);
    let during = out.find("typed during").expect(&out);
    let twice = out.find("twice: 10").expect(&out);
    assert!(long < during && during < twice, "{out}");
    assert!(!out.contains("not found"), "{out}");
    assert_no_panic(&out);
}
