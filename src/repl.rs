//! The script runner and the REPL (rustyline): persistent scope and functions between lines,
//! multi-line input while brackets or strings are open, tab completion, `:help`, `:load`,
//! `:quit`; Ctrl-C stops a running evaluation, not the session. With piped input it
//! evaluates line by line and prints each expression's value.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rhai::{Dynamic, Engine, EvalAltResult, Scope, AST};
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};
use spillover::interrupt;
use spillover::script::{eprint_line, format_error, new_engine, print_line, strip_bom, take_exit, ExitRequest};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Exit status after Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;

/// `spillover run FILE [ARGS]`: exit 0 on success, 1 with `file:line:column: message`, the
/// script's status after `exit(n)`, 130 after Ctrl-C.
pub fn run_file(file: &str, args: Vec<String>) -> ExitCode {
    let src = match spillover::io::read_text(file) {
        Ok(s) => s,
        Err(e) => {
            eprint_line(&format!("cannot read the script: {e}"));
            return ExitCode::from(1);
        }
    };
    let dir = std::path::Path::new(file).parent().map(|p| p.to_path_buf());
    let engine = new_engine(dir.as_deref().filter(|d| !d.as_os_str().is_empty()));
    let mut scope = Scope::new();
    scope.push_constant("ARGS", args.into_iter().map(Dynamic::from).collect::<rhai::Array>());
    let mut ast = match engine.compile(strip_bom(&src)) {
        Ok(a) => a,
        Err(e) => {
            eprint_line(&format_error(&e.into(), file));
            return ExitCode::from(1);
        }
    };
    // Imports resolve from the script's folder (the engine's resolver reads the source).
    ast.set_source(file);
    install_ctrlc(true);
    interrupt::clear();
    let result = catch_panics(|| engine.eval_ast_with_scope::<Dynamic>(&mut scope, &ast));
    match finish(result, file) {
        Ok(_) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// `spillover eval CODE`: prints the value as the REPL does (nothing for `()`).
pub fn eval_code(code: &str) -> ExitCode {
    let engine = new_engine(None);
    let mut scope = Scope::new();
    install_ctrlc(true);
    interrupt::clear();
    let result = catch_panics(|| engine.eval_with_scope::<Dynamic>(&mut scope, code));
    match finish(result, "eval") {
        Ok(v) => {
            if !v.is_unit() {
                print_line(&display_value(&engine, &v));
            }
            match stdout_code() {
                Some(code) => code,
                None => ExitCode::SUCCESS,
            }
        }
        Err(code) => code,
    }
}

/// The exit status when stdout failed: quiet success when the reader closed the pipe
/// (`spillover run s.rhai | head`), 1 with a message for any other write error.
pub fn stdout_code() -> Option<ExitCode> {
    let kind = spillover::script::stdout_failed()?;
    if kind == std::io::ErrorKind::BrokenPipe {
        Some(ExitCode::SUCCESS)
    } else {
        eprint_line(&format!("cannot write to standard output ({kind})"));
        Some(ExitCode::from(1))
    }
}

/// The exit status a script asked for with `exit` (printing its message, if any).
fn exit_code(request: ExitRequest) -> ExitCode {
    match request {
        ExitRequest::Status(s) => ExitCode::from(s),
        ExitRequest::Message(m) => {
            eprint_line(&m);
            ExitCode::from(1)
        }
    }
}

/// The outcome of a whole evaluation by `run` or `eval`: its value, or the exit status after
/// reporting a closed stdout (quietly), an `exit` request, Ctrl-C or an error.
fn finish(result: Result<Dynamic, Box<EvalAltResult>>, source: &str) -> Result<Dynamic, ExitCode> {
    if let Some(code) = stdout_code() {
        return Err(code);
    }
    if let Some(request) = take_exit() {
        return Err(exit_code(request));
    }
    match result {
        Ok(v) => Ok(v),
        Err(_) if interrupt::requested() => {
            eprint_line(&format!("{source}: interrupted (Ctrl-C)"));
            Err(ExitCode::from(INTERRUPTED))
        }
        Err(e) => {
            eprint_line(&format_error(&e, source));
            Err(ExitCode::from(1))
        }
    }
}

/// The text `print` would show for `v` (custom types through their `to_string`), as the REPL
/// and `spillover eval` print values.
pub fn display_value(engine: &Engine, v: &Dynamic) -> String {
    if v.is_string() || v.is_int() || v.is_float() || v.is_bool() || v.is_array() || v.is_map() || v.is_unit() {
        return v.to_string();
    }
    let mut scope = Scope::new();
    scope.push("__v", v.clone());
    engine
        .eval_with_scope::<String>(&mut scope, "to_string(__v)")
        .unwrap_or_else(|_| v.to_string())
}

/// Runs an evaluation, turning a native panic into a script error that says it is a bug, so
/// the REPL and the runner survive it.
fn catch_panics<T>(f: impl FnOnce() -> Result<T, Box<rhai::EvalAltResult>>) -> Result<T, Box<rhai::EvalAltResult>> {
    spillover::script::guard("a native function", f)
}

/// Installs (once) the Ctrl-C handler: it asks running work to stop
/// ([`spillover::interrupt::request`]); with `second_exits` (`run`, `eval`), a second Ctrl-C
/// before the first took effect ends the process at once.
fn install_ctrlc(second_exits: bool) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(move || {
            if second_exits && interrupt::requested() {
                eprint_line("interrupted (Ctrl-C twice)");
                std::process::exit(INTERRUPTED.into());
            }
            interrupt::request();
        });
    });
}

/// The terminal progress bars of long native runs (permutations): a bar on stderr that appears
/// only when stderr is a terminal and the run has taken more than about a second; silent
/// otherwise. Installed by `main` as the core's [`spillover::progress`] sink.
pub struct ProgressBars;

impl spillover::progress::ProgressSink for ProgressBars {
    fn begin(&self, label: &str, total: u64) -> Box<dyn spillover::progress::ProgressRun> {
        Box::new(BarRun {
            total,
            start: Instant::now(),
            label: label.to_string(),
            tty: std::io::stderr().is_terminal(),
            bar: OnceLock::new(),
        })
    }
}

/// One run's bar, created once the run has lasted a second.
struct BarRun {
    total: u64,
    start: Instant,
    label: String,
    tty: bool,
    bar: OnceLock<ProgressBar>,
}

impl spillover::progress::ProgressRun for BarRun {
    fn update(&self, done: u64) {
        if !self.tty {
            return;
        }
        if let Some(bar) = self.bar.get() {
            bar.set_position(done);
        } else if done % 8 == 0 && self.start.elapsed() > Duration::from_secs(1) {
            let bar = self.bar.get_or_init(|| {
                let b = ProgressBar::with_draw_target(Some(self.total), ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)") {
                    b.set_style(style.progress_chars("=> "));
                }
                b.set_message(self.label.clone());
                b
            });
            bar.set_position(done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
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
    /// A pending Ctrl-C from before is cleared first; after a Ctrl-C during the evaluation the
    /// message is "interrupted" and nothing the evaluation was assigning is kept.
    pub fn eval(&mut self, src: &str, source_name: &str) -> Result<Dynamic, String> {
        self.eval_in(src, source_name, None)
    }

    /// Runs the script file `path` in this session (`:load`): imports in it resolve from the
    /// file's folder, as `spillover run` resolves them.
    pub fn load(&mut self, path: &str) -> Result<Dynamic, String> {
        let src = spillover::io::read_text(path).map_err(|e| e.to_string())?;
        self.eval_in(strip_bom(&src), path, Some(path))
    }

    fn eval_in(&mut self, src: &str, source_name: &str, file: Option<&str>) -> Result<Dynamic, String> {
        let mut ast = self
            .engine
            .compile_with_scope(&self.scope, src)
            .map_err(|e| format_error(&e.into(), source_name))?;
        let dir = file.map(|f| std::path::Path::new(f).parent().unwrap_or(std::path::Path::new("")));
        let new_imports: Vec<String> = src
            .split(';')
            .map(str::trim)
            .filter(|s| s.starts_with("import ") && s.contains(" as "))
            .map(|s| replayable_import(s, dir))
            .collect();
        // Earlier imports run first (their own AST, so positions in `src` are unchanged).
        let pre = self
            .engine
            .compile(self.imports.join("\n"))
            .unwrap_or_else(|_| AST::empty());
        if let Some(f) = file {
            ast.set_source(f);
        }
        let mut merged = pre.merge(&self.functions.merge(&ast));
        match file {
            Some(f) => merged.set_source(f),
            None => merged.clear_source(),
        };
        interrupt::clear();
        let result = catch_panics(|| self.engine.eval_ast_with_scope::<Dynamic>(&mut self.scope, &merged));
        self.functions = merged.clone_functions_only();
        if result.is_ok() {
            self.imports.extend(new_imports);
        }
        result.map_err(|e| {
            if interrupt::requested() {
                "interrupted".to_string()
            } else {
                format_error(&e, source_name)
            }
        })
    }

    /// The text `print` would show for `v` (custom types through their `to_string`).
    pub fn display(&self, v: &Dynamic) -> String {
        display_value(&self.engine, v)
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
            ":load" => match self.load(arg) {
                Ok(_) => out(format!("loaded {arg}")),
                Err(e) => out(e),
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

/// An `import "PATH" as NAME` statement from a file in `dir` (`None`: typed input), rewritten
/// so that it imports the same module when replayed before later REPL input: a relative file
/// path becomes absolute. Bundled module names and absolute paths are kept.
fn replayable_import(stmt: &str, dir: Option<&std::path::Path>) -> String {
    let keep = format!("{stmt};");
    let Some(dir) = dir else { return keep };
    let mut quoted = stmt.splitn(3, '"');
    let (Some(_), Some(path), Some(rest)) = (quoted.next(), quoted.next(), quoted.next()) else {
        return keep;
    };
    if spillover::script::STDLIB.iter().any(|(n, _)| *n == path) || std::path::Path::new(path).is_absolute() {
        return keep;
    }
    let file = dir.join(path).with_extension("rhai");
    match file.canonicalize() {
        Ok(abs) => format!("import {:?}{rest};", abs.to_string_lossy()),
        Err(_) => keep,
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

/// Prints the outcome of one evaluation (values on stdout, errors and "interrupted" on
/// stderr). Returns the status to end the session with: after `exit` in the input, or when
/// stdout was closed.
fn report(session: &Session, result: Result<Dynamic, String>) -> Option<ExitCode> {
    // A closed stdout stopped the evaluation: end quietly (no "interrupted").
    if let Some(code) = stdout_code() {
        return Some(code);
    }
    // `exit(v)` ends the evaluation with the value v, which is not printed.
    if let Some(request) = take_exit() {
        return Some(exit_code(request));
    }
    match result {
        Ok(v) if !v.is_unit() => {
            print_line(&session.display(&v));
        }
        Ok(_) => {}
        Err(e) => eprint_line(&e),
    }
    stdout_code()
}

/// Handles a `:command` line, printing through stdout; the status to end the session with,
/// if it ends (`:quit`, `exit` in a loaded file, stdout closed).
fn command(session: &mut Session, line: &str) -> Option<ExitCode> {
    let go_on = session.command(line, &mut |s| {
        print_line(&s);
    });
    if let Some(code) = stdout_code() {
        return Some(code);
    }
    if let Some(request) = take_exit() {
        return Some(exit_code(request));
    }
    (!go_on).then_some(ExitCode::SUCCESS)
}

/// Starts the REPL (interactive on a terminal, line by line on piped input).
pub fn repl() -> ExitCode {
    install_ctrlc(false);
    let mut session = Session::new();
    if !std::io::stdin().is_terminal() {
        return piped(&mut session);
    }
    println!(
        "spillover {} — type :help for help, :quit to leave",
        env!("CARGO_PKG_VERSION")
    );
    let names = Arc::new(Mutex::new(session.names()));
    // Bracketed paste: a pasted block arrives as one input and is evaluated whole. Keys typed
    // while a command runs stay in the terminal's buffer and are read by the next prompts, one
    // line each (rustyline's `buffer-redux` feature keeps what one prompt read past its line).
    let config = rustyline::Config::builder()
        .auto_add_history(true)
        .bracketed_paste(true)
        .build();
    let mut rl: Editor<ReplHelper, rustyline::history::FileHistory> = match Editor::with_config(config) {
        Ok(r) => r,
        Err(e) => {
            eprint_line(&format!("cannot start the line editor: {e}"));
            return piped(&mut session);
        }
    };
    rl.set_helper(Some(ReplHelper { names: names.clone() }));
    let history = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".spillover_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let mut code = ExitCode::SUCCESS;
    loop {
        match rl.readline("spillover> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let end = if line.trim_start().starts_with(':') {
                    command(&mut session, &line)
                } else {
                    let r = session.eval(&line, "repl");
                    report(&session, r)
                };
                if let Some(c) = end {
                    code = c;
                    break;
                }
                if let Ok(mut n) = names.lock() {
                    *n = session.names();
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => {
                eprint_line(&format!("input error: {e}"));
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    code
}

/// True when `line` continues the statement before it rather than starting a new one: it
/// starts with `else`, `catch`, a method call (`.name`) or a binary operator.
pub fn is_continuation(line: &str) -> bool {
    let t = line.trim_start();
    let word = |w: &str| {
        t.strip_prefix(w)
            .is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    };
    if word("else") || word("catch") {
        return true;
    }
    if t.starts_with("- ") {
        return true;
    }
    [
        "?.", ".", "??", "&&", "||", "==", "!=", "<", ">", "+", "*", "/", "%", "|", "&", "^",
    ]
    .iter()
    .any(|op| t.starts_with(op))
        && !t.starts_with("..")
        && !t.starts_with("//")
        && !t.starts_with("/*")
}

/// Lines of piped input, read by a thread into a queue so that nothing typed or pasted while a
/// command runs is lost, with a look-ahead of one line.
struct Lines {
    rx: std::sync::mpsc::Receiver<String>,
    ahead: Option<String>,
}

impl Lines {
    fn stdin() -> Lines {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines { rx, ahead: None }
    }

    /// The next line (waiting for it); `None` at the end of the input.
    fn next(&mut self) -> Option<String> {
        self.ahead.take().or_else(|| self.rx.recv().ok())
    }

    /// The next line if it is already there or arrives within a moment (a pasted block arrives
    /// at once); it stays queued.
    fn peek(&mut self) -> Option<&str> {
        if self.ahead.is_none() {
            self.ahead = self.rx.recv_timeout(std::time::Duration::from_millis(30)).ok();
        }
        self.ahead.as_deref()
    }
}

/// Piped input: accumulate lines until a statement is complete (brackets and strings closed,
/// and the next line does not continue it: `else`, `.method`, an operator), evaluate, print
/// values; errors go to stderr and the session goes on; `:quit` ends it.
fn piped(session: &mut Session) -> ExitCode {
    let mut lines = Lines::stdin();
    let mut buf = String::new();
    let mut lineno = 0usize;
    let mut start = 1usize;
    while let Some(line) = lines.next() {
        lineno += 1;
        if buf.is_empty() {
            start = lineno;
            if line.trim().is_empty() {
                continue;
            }
            if line.trim_start().starts_with(':') {
                if let Some(code) = command(session, &line) {
                    return code;
                }
                continue;
            }
        }
        buf.push_str(&line);
        buf.push('\n');
        if is_incomplete(&buf) || lines.peek().is_some_and(is_continuation) {
            continue;
        }
        let r = session.eval(&buf, &format!("stdin (from line {start})"));
        if let Some(code) = report(session, r) {
            return code;
        }
        buf.clear();
    }
    if !buf.trim().is_empty() {
        eprint_line(&format!(
            "stdin: input ended inside an open bracket or string (from line {start})"
        ));
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
    fn continuation_lines() {
        for yes in [
            "else {",
            "  else if x {",
            "catch (e) {",
            "    .map(|v| v)",
            "?.name",
            "+ 2",
            "- b",
            "&& ok",
            "|| no",
        ] {
            assert!(is_continuation(yes), "{yes}");
        }
        for no in [
            "elsewhere = 1;",
            "let x = 1;",
            "-1",
            "// comment",
            "/* c */",
            "print(1)",
            "x..y",
        ] {
            assert!(!is_continuation(no), "{no}");
        }
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
