//! Every spillover function's doc carries a Rhai example (a ```` ```rhai ```` block), and every
//! example runs: the examples are read from the engine's metadata, as `:help` shows them, and
//! each runs in a fresh `spillover run` in a sandbox holding a copy of `examples/data`.

use crate::sandbox::{assert_no_panic, Sandbox};
use spillover::script::docs::FnDoc;
use std::path::Path;
use std::sync::Mutex;

/// Copies the folder `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// True when `example` calls the function of `d` (a getter `x.name`, an indexer `x[...]`).
fn mentions(d: &FnDoc, example: &str) -> bool {
    if let Some(prop) = d.name.strip_prefix("get$") {
        example.contains(&format!(".{prop}"))
    } else if d.name.starts_with("index$get$") {
        example.contains('[')
    } else {
        example.contains(&d.name)
    }
}

#[test]
fn every_function_has_an_example_and_every_example_runs() {
    let engine = spillover::script::new_engine(None);
    let docs = spillover::script::docs::function_docs(&engine);
    assert!(docs.len() > 100, "only {} functions documented", docs.len());
    let mut problems = Vec::new();
    let mut jobs = Vec::new();
    for d in &docs {
        let examples = d.examples();
        if examples.is_empty() {
            problems.push(format!("{}: no ```rhai example", d.signature));
        }
        for e in examples {
            if !mentions(d, &e) {
                problems.push(format!("{}: the example does not call it:\n{e}", d.signature));
            }
            jobs.push((d.signature.clone(), e));
        }
    }
    let sandbox = Sandbox::new("examples", &[]);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data"),
        &sandbox.path("examples/data"),
    );
    let next = Mutex::new(0usize);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let k = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some((sig, code)) = jobs.get(k) else { break };
                let file = format!("example_{k}.rhai");
                sandbox.write(&file, code.as_bytes());
                let out = sandbox.command(&["run", &file]).output().unwrap();
                let err = String::from_utf8_lossy(&out.stderr).to_string();
                assert_no_panic(&err);
                // An example runs cleanly: status 0, and no warning either.
                if out.status.code() != Some(0) || err.contains("warning") {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{sig}:\n{code}\n  -> {}", err.trim()));
                }
            });
        }
    });
    problems.extend(failures.into_inner().unwrap());
    assert!(
        problems.is_empty(),
        "{} of {} functions lack a working example:\n\n{}",
        problems.len(),
        docs.len(),
        problems.join("\n\n")
    );
}
