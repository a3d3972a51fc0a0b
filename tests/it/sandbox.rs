//! A temporary folder with input files in which tests run the real binary
//! (`spillover run script.rhai`, `spillover eval`, the REPL on a pipe) and check what a user
//! would see: the exit status, stdout, stderr, and that no panic text reaches the user.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A temporary folder, removed when dropped.
pub struct Sandbox {
    pub dir: PathBuf,
}

impl Sandbox {
    /// A new empty folder named after `tag` (unique per test process) holding `files`.
    pub fn new(tag: &str, files: &[(&str, &[u8])]) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("spillover_{tag}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let s = Sandbox { dir };
        for (name, bytes) in files {
            s.write(name, bytes);
        }
        s
    }

    /// Path of `name` inside the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `name` (creating sub-folders).
    pub fn write(&self, name: &str, bytes: &[u8]) {
        let p = self.path(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(p, bytes).unwrap();
    }

    /// The binary with `args`, run in the folder.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_spillover"));
        c.args(args).current_dir(&self.dir);
        c
    }

    /// Runs `script` as `spillover run script.rhai`.
    pub fn run(&self, script: &str) -> Output {
        self.write("script.rhai", script.as_bytes());
        self.command(&["run", "script.rhai"]).output().unwrap()
    }

    /// Starts the binary with `args` and its stdin, stdout and stderr on pipes.
    pub fn spawn_piped(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs the binary with `args`, feeding `stdin` through a pipe.
    pub fn piped(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self.spawn_piped(args);
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs `script`; asserts exit status 1, no panic text, and every key word in stderr.
    /// Returns stderr.
    pub fn fails(&self, script: &str, keys: &[&str]) -> String {
        let out = self.run(script);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "exit status for {script}\nstderr: {err}");
        assert_no_panic(&err);
        for k in keys {
            assert!(
                err.contains(k),
                "'{k}' missing from the message of {script}\nstderr: {err}"
            );
        }
        err
    }

    /// Runs `script`; asserts exit status 0 and no panic text. Returns stdout.
    pub fn succeeds(&self, script: &str) -> String {
        let out = self.run(script);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(0), "exit status for {script}\nstderr: {err}");
        assert_no_panic(&err);
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asserts that no Rust panic text (or backtrace hint) is in `stderr`.
pub fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE") && !stderr.contains("stack backtrace"),
        "a panic reached the user: {stderr}"
    );
}

/// Lines of `path` (for checks on written files).
pub fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}
