//! The script runner and the REPL (rustyline): persistent scope and functions between lines,
//! multi-line input while brackets or strings are open, tab completion, `:help`, `:load`,
//! `:quit`; Ctrl-C stops a running evaluation, not the session. With piped input it
//! evaluates line by line and prints each expression's value.

use rhai::{Dynamic, Engine, Scope, AST};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};
use spillover::script::{format_error, new_engine};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// `spillover run FILE [ARGS]`: exit 0 on success, 1 with `file:line:column: message`.
pub fn run_file(file: &str, args: Vec<String>) -> ExitCode {
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{file}: cannot read the script: {e}");
            return ExitCode::from(1);
        }
    };
    let dir = std::path::Path::new(file).parent().map(|p| p.to_path_buf());
    let engine = new_engine(dir.as_deref().filter(|d| !d.as_os_str().is_empty()));
    let mut scope = Scope::new();
    scope.push_constant("ARGS", args.into_iter().map(Dynamic::from).collect::<rhai::Array>());
    let ast = match engine.compile(&src) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{}", format_error(&e.into(), file));
            return ExitCode::from(1);
        }
    };
    install_ctrlc();
    match catch_panics(|| engine.run_ast_with_scope(&mut scope, &ast)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", format_error(&e, file));
            ExitCode::from(1)
        }
    }
}

/// `spillover eval CODE`: prints the value (nothing for `()`).
pub fn eval_code(code: &str) -> ExitCode {
    let engine = new_engine(None);
    let mut scope = Scope::new();
    match catch_panics(|| engine.eval_with_scope::<Dynamic>(&mut scope, code)) {
        Ok(v) => {
            if !v.is_unit() {
                println!("{v}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", format_error(&e, "eval"));
            ExitCode::from(1)
        }
    }
}

/// Runs an evaluation, turning a native panic into a script error that says it is a bug, so
/// the REPL and the runner survive it.
fn catch_panics<T>(f: impl FnOnce() -> Result<T, Box<rhai::EvalAltResult>>) -> Result<T, Box<rhai::EvalAltResult>> {
    spillover::script::guard("a native function", f)
}

fn install_ctrlc() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let flag = spillover::script::interrupt_flag().clone();
        let _ = ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
    });
}

/// True while the input has unclosed brackets, braces, parentheses or strings (outside
/// comments), so the REPL keeps reading lines.
pub fn is_incomplete(src: &str) -> bool {
    let mut depth: i64 = 0;
    let mut chars = src.chars().peekable();
    let mut in_str: Option<char> = None;
    let mut block_comment = 0;
    while let Some(c) = chars.next() {
        if block_comment > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block_comment -= 1;
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                block_comment += 1;
            }
            continue;
        }
        if let Some(q) = in_str {
            if c == '\\' && q != '`' {
                chars.next();
            } else if c == q {
                in_str = None;
            }
            continue;
        }
        match c {
            '"' | '`' | '\'' => in_str = Some(c),
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                block_comment += 1;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    depth > 0 || matches!(in_str, Some('"') | Some('`')) || block_comment > 0
}

/// The REPL's state: engine, scope and the functions defined so far.
pub struct Session {
    engine: Engine,
    scope: Scope<'static>,
    functions: AST,
    /// `import ... as ...;` statements seen so far; modules live only for one evaluation in
    /// Rhai, so they are replayed before each later line.
    imports: Vec<String>,
}

impl Session {
    /// A new session.
    pub fn new() -> Session {
        let mut scope = Scope::new();
        scope.push_constant("ARGS", rhai::Array::new());
        Session {
            engine: new_engine(Some(std::path::Path::new("."))),
            scope,
            functions: AST::empty(),
            imports: Vec::new(),
        }
    }

    /// Evaluates `src`, keeping variables and functions; returns the value or the message.
    pub fn eval(&mut self, src: &str, source_name: &str) -> Result<Dynamic, String> {
        let ast = self
            .engine
            .compile_with_scope(&self.scope, src)
            .map_err(|e| format_error(&e.into(), source_name))?;
        let new_imports: Vec<String> = src
            .split(';')
            .map(str::trim)
            .filter(|s| s.starts_with("import ") && s.contains(" as "))
            .map(|s| format!("{s};"))
            .collect();
        // Earlier imports run first (their own AST, so positions in `src` are unchanged).
        let pre = self
            .engine
            .compile(self.imports.join("\n"))
            .unwrap_or_else(|_| AST::empty());
        let merged = pre.merge(&self.functions.merge(&ast));
        let result = catch_panics(|| self.engine.eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged));
        self.functions = merged.clone_functions_only();
        if result.is_ok() {
            self.imports.extend(new_imports);
        }
        result.map_err(|e| format_error(&e, source_name))
    }

    /// The text `print` would show for `v` (custom types through their `to_string`).
    pub fn display(&self, v: &Dynamic) -> String {
        if v.is_string() || v.is_int() || v.is_float() || v.is_bool() || v.is_array() || v.is_map() || v.is_unit() {
            return v.to_string();
        }
        let mut scope = Scope::new();
        scope.push("__v", v.clone());
        self.engine
            .eval_with_scope::<String>(&mut scope, "to_string(__v)")
            .unwrap_or_else(|_| v.to_string())
    }

    /// Names for completion: functions and variables in scope.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = spillover::script::docs::function_docs(&self.engine)
            .into_iter()
            .map(|d| d.name)
            .filter(|n| !n.contains('$'))
            .collect();
        v.extend(self.scope.iter().map(|(n, _, _)| n.to_string()));
        v.extend(self.functions.iter_functions().map(|f| f.name.to_string()));
        v.sort();
        v.dedup();
        v
    }

    /// Handles a `:command`; returns false on `:quit`.
    pub fn command(&mut self, line: &str, out: &mut dyn FnMut(String)) -> bool {
        let mut parts = line.trim().splitn(2, char::is_whitespace);
        let cmd = parts.next().unwrap_or("");
        let arg = parts.next().unwrap_or("").trim();
        match cmd {
            ":quit" | ":q" | ":exit" => return false,
            ":help" | ":h" if arg.is_empty() => out(HELP.to_string()),
            ":help" | ":h" => match spillover::script::docs::help(&self.engine, arg) {
                Some(h) => out(h),
                None => out(format!("no function named '{arg}' (try :functions)")),
            },
            ":functions" => {
                for d in spillover::script::docs::function_docs(&self.engine) {
                    if !d.name.contains('$') {
                        out(format!("{:<60} {}", d.signature, d.summary()));
                    }
                }
            }
            ":load" => match std::fs::read_to_string(arg) {
                Ok(src) => match self.eval(&src, arg) {
                    Ok(_) => out(format!("loaded {arg}")),
                    Err(e) => out(e),
                },
                Err(e) => out(format!("{arg}: cannot read: {e}")),
            },
            ":vars" => {
                for (n, _, v) in self.scope.iter() {
                    out(format!("{n}: {}", v.type_name()));
                }
            }
            _ => out(format!(
                "unknown command {cmd}; commands: :help [NAME], :functions, :load FILE, :vars, :quit"
            )),
        }
        true
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

const HELP: &str = "spillover REPL — Rhai with spatial-econometric functions.
  :help NAME    signature and doc of a function      :functions   list every function
  :load FILE    run a script in this session           :vars        variables in scope
  :quit         leave (Ctrl-D too)                     Ctrl-C       stop a running evaluation
Multi-line input continues while brackets or strings are open. Tab completes names.";

struct ReplHelper {
    names: Arc<Mutex<Vec<String>>>,
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let prefix = &line[start..pos];
        if prefix.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let names = self.names.lock().map(|n| n.clone()).unwrap_or_default();
        let c = names
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .map(|n| Pair {
                display: n.clone(),
                replacement: n,
            })
            .collect();
        Ok((start, c))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}
impl Highlighter for ReplHelper {}
impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if !input.trim_start().starts_with(':') && is_incomplete(input) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}
impl Helper for ReplHelper {}

fn show(session: &Session, v: &Dynamic) {
    if !v.is_unit() {
        println!("{}", session.display(v));
    }
}

/// Starts the REPL (interactive on a terminal, line by line on piped input).
pub fn repl() -> ExitCode {
    install_ctrlc();
    let mut session = Session::new();
    if !std::io::stdin().is_terminal() {
        return piped(&mut session);
    }
    println!(
        "spillover {} — type :help for help, :quit to leave",
        env!("CARGO_PKG_VERSION")
    );
    let names = Arc::new(Mutex::new(session.names()));
    let config = rustyline::Config::builder().auto_add_history(true).build();
    let mut rl: Editor<ReplHelper, rustyline::history::FileHistory> = match Editor::with_config(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the line editor: {e}");
            return piped(&mut session);
        }
    };
    rl.set_helper(Some(ReplHelper { names: names.clone() }));
    let history = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".spillover_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    loop {
        match rl.readline("spillover> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                if line.trim_start().starts_with(':') {
                    if !session.command(&line, &mut |s| println!("{s}")) {
                        break;
                    }
                    continue;
                }
                spillover::script::interrupt_flag().store(false, std::sync::atomic::Ordering::SeqCst);
                match session.eval(&line, "repl") {
                    Ok(v) => show(&session, &v),
                    Err(e) => eprintln!("{e}"),
                }
                if let Ok(mut n) = names.lock() {
                    *n = session.names();
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("input error: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    ExitCode::SUCCESS
}

/// Piped input: accumulate lines until complete, evaluate, print values; errors go to stderr
/// and the session goes on; `:quit` ends it.
fn piped(session: &mut Session) -> ExitCode {
    let stdin = std::io::stdin();
    let mut buf = String::new();
    let mut lineno = 0usize;
    let mut start = 1usize;
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        lineno += 1;
        if buf.is_empty() {
            start = lineno;
            if line.trim().is_empty() {
                continue;
            }
            if line.trim_start().starts_with(':') {
                if !session.command(&line, &mut |s| println!("{s}")) {
                    return ExitCode::SUCCESS;
                }
                continue;
            }
        }
        buf.push_str(&line);
        buf.push('\n');
        if is_incomplete(&buf) {
            continue;
        }
        match session.eval(&buf, &format!("stdin (from line {start})")) {
            Ok(v) => show(session, &v),
            Err(e) => eprintln!("{e}"),
        }
        buf.clear();
    }
    if !buf.trim().is_empty() {
        eprintln!("stdin: input ended inside an open bracket or string (from line {start})");
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_input() {
        assert!(is_incomplete("let x = [1,"));
        assert!(is_incomplete("fn f() {"));
        assert!(is_incomplete("let s = \"abc"));
        assert!(!is_incomplete("let s = \"a{b\";"));
        assert!(!is_incomplete("let x = 1; // (unclosed in comment"));
    }

    #[test]
    fn session_keeps_scope_and_functions() {
        let mut s = Session::new();
        let _ = s.eval("let x = 41; fn inc(v) { v + 1 }", "t").unwrap();
        assert_eq!(s.eval("inc(x)", "t").unwrap().as_int().unwrap(), 42);
        assert!(s.eval("undefined_fn(1)", "t").is_err());
        assert_eq!(s.eval("x", "t").unwrap().as_int().unwrap(), 41);
    }

    #[test]
    fn session_keeps_imports_and_shows_custom_types() {
        let mut s = Session::new();
        let _ = s.eval("import \"study\" as st;", "t").unwrap();
        let p = s.eval(
            "st::load_panel(\"examples/data/citycluster/city_year.csv\", \"id\", \"time\")",
            "t",
        );
        let p = p.unwrap();
        assert!(s.display(&p).starts_with("Panel: N = 176"), "{}", s.display(&p));
    }
}
