//! The Rhai binding layer: converts script values to core types, calls the core and maps
//! core errors to script errors. One file per area, each an `#[export_module]` whose doc
//! comments (each with a ```` ```rhai ```` example, run by tests/it/examples.rs) become the
//! text of `:help` and `spillover functions`, and a `def_package!` that registers the area's
//! types and functions (data, export, json, testing, weights, esda, models, random, bayes, effects, study);
//! [`SpilloverPackage`] combines them.

/// Registers into the module `lib`, for each listed function, the overload without its last
/// parameter (the options map), which calls the full function with an empty map so that every
/// option takes its default. The doc comment written before an entry is that overload's
/// `:help` text; the parameter names and types are its signature.
///
/// ```ignore
/// without_options! { lib;
///     /// Spatial lag model (SAR) by ML with default options.
///     sar(data: Dynamic, formula: &str, w: SWeights) -> SModel = models_fns::sar;
/// }
/// ```
macro_rules! without_options {
    ($lib:expr; $(
        #[doc = $doc0:literal] $(#[doc = $doc:literal])*
        $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty = $full:path;
    )+) => {$(
        rhai::FuncRegistration::new(stringify!($name))
            .in_global_namespace()
            .with_comments([concat!("///", $doc0 $(, "\n///", $doc)*)])
            .with_params_info([
                $(concat!(stringify!($arg), ": ", stringify!($ty)),)*
                concat!("RResult<", stringify!($ret), ">"),
            ])
            .set_into_module($lib, |$($arg: $ty),*| -> $crate::script::RResult<$ret> {
                $crate::script::guard(stringify!($name), || $full($($arg,)* rhai::Map::new()))
            });
    )+};
}

pub mod bayes;
pub mod convert;
pub mod data;
pub mod docs;
pub mod effects;
pub mod esda;
pub mod export;
pub mod files;
pub mod guarded;
pub mod json;
pub mod maps;
pub mod models;
pub mod mutate;
pub mod options;
pub mod parse;
pub mod random;
pub mod report;
pub mod reshape;
pub mod study;
pub mod testing;
pub mod weights;
pub mod weights_build;

use rhai::{Engine, EvalAltResult};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub use convert::{SFrame, SPanel, STable};

/// The result type of binding functions.
pub type RResult<T> = Result<T, Box<EvalAltResult>>;

/// A script runtime error carrying `msg` (the engine adds the call position).
pub fn script_err(msg: impl std::fmt::Display) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(msg.to_string().into(), rhai::Position::NONE).into()
}

/// Maps a core error to a script error.
pub fn core_err(e: crate::Error) -> Box<EvalAltResult> {
    script_err(e)
}

/// Depth of nested [`guard`] calls in progress (any thread): inside one, a panic is reported
/// by the guard as a script error instead of by the default hook on stderr.
static GUARD_DEPTH: AtomicUsize = AtomicUsize::new(0);

/// Where the last guarded panic happened (`file:line:column`), recorded by the panic hook.
static LAST_PANIC_AT: Mutex<Option<String>> = Mutex::new(None);

/// Installs (once) a panic hook that, while a [`guard`] is running, records the panic's
/// location instead of printing "thread panicked" and a backtrace; outside guards it defers to
/// the default hook. Called by [`new_engine`].
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARD_DEPTH.load(Ordering::SeqCst) > 0 {
                if let Ok(mut at) = LAST_PANIC_AT.lock() {
                    *at = info.location().map(|l| l.to_string());
                }
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `f`, turning a native panic into a script error that says it is a bug (the REPL and
/// the script runner survive it). Every function of the binding modules runs inside it (their
/// `#[export_module]`s register through [`guarded`]), so the error is raised at the call and
/// a script's `try { } catch` receives it.
pub fn guard<T>(what: &str, f: impl FnOnce() -> RResult<T>) -> RResult<T> {
    GUARD_DEPTH.fetch_add(1, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARD_DEPTH.fetch_sub(1, Ordering::SeqCst);
    match result {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let at = LAST_PANIC_AT
                .lock()
                .ok()
                .and_then(|mut a| a.take())
                .map(|a| format!(" (at {a})"))
                .unwrap_or_default();
            Err(script_err(format!(
                "internal error in {what}: {msg}{at} — this is a bug in spillover, not in your script; please \
                 report it with the script and its data"
            )))
        }
    }
}

rhai::def_package! {
    /// Every spillover type and function: the area packages combined.
    pub SpilloverPackage(lib):
        data::DataPackage,
        reshape::ReshapePackage,
        mutate::MutatePackage,
        export::ExportPackage,
        files::FilesPackage,
        json::JsonPackage,
        report::ReportPackage,
        testing::TestingPackage,
        weights::WeightsPackage,
        weights_build::WeightsBuildPackage,
        esda::EsdaPackage,
        maps::MapsPackage,
        models::ModelsPackage,
        random::RandomPackage,
        bayes::BayesPackage,
        effects::EffectsPackage,
        study::StudyPackage
    {}
}

/// Registers every spillover type and function ([`SpilloverPackage`], built once and shared by
/// every engine) in `engine`.
pub fn register_all(engine: &mut Engine) {
    use rhai::packages::Package;
    static PACKAGE: std::sync::OnceLock<SpilloverPackage> = std::sync::OnceLock::new();
    PACKAGE.get_or_init(SpilloverPackage::new).register_into_engine(engine);
}

/// Rhai's engine limits, set on every new engine (see [`new_engine`]): far above what a study
/// needs (a panel of N = 100,000 units over T = 20 periods is 2 million values per column) but
/// low enough that a script cannot exhaust memory by accident. Changed from the command line
/// with `--max-array-size`, `--max-string-size`, `--max-map-size`, `--max-call-levels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest number of elements in an array (nested arrays count their elements).
    pub max_array_size: usize,
    /// Largest string, in bytes.
    pub max_string_size: usize,
    /// Largest number of entries in an object map.
    pub max_map_size: usize,
    /// Deepest nesting of script function calls (recursion depth).
    pub max_call_levels: usize,
}

impl Limits {
    /// The defaults: 20 million array elements, 100 MB strings, 1 million map entries, 64
    /// nested function calls.
    pub const DEFAULT: Limits = Limits {
        max_array_size: 20_000_000,
        max_string_size: 100_000_000,
        max_map_size: 1_000_000,
        max_call_levels: 64,
    };
}

impl Limits {
    /// The largest `max_call_levels` the command line accepts: the script runs on a thread
    /// whose stack is sized for it ([`Limits::stack_bytes`]), so no depth up to this can
    /// overflow the stack and abort the process.
    pub const MAX_CALL_LEVELS: usize = 10_000;

    /// Stack size, in bytes, of the thread that evaluates scripts under these limits: room for
    /// `max_call_levels` nested script calls (64 KB each, far above what one level uses, also
    /// when it goes through a native function and a closure), plus 256 MB for deeply nested
    /// data (printing or comparing arrays nested thousands deep recurses natively). Only the
    /// pages actually used are committed.
    pub fn stack_bytes(&self) -> usize {
        (256usize << 20).saturating_add(self.max_call_levels.min(Self::MAX_CALL_LEVELS).saturating_mul(64 << 10))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

static LIMITS: Mutex<Limits> = Mutex::new(Limits::DEFAULT);

/// Sets the limits used by engines created from now on.
pub fn set_limits(limits: Limits) {
    if let Ok(mut l) = LIMITS.lock() {
        *l = limits;
    }
}

/// The limits new engines get.
pub fn limits() -> Limits {
    LIMITS.lock().map(|l| *l).unwrap_or_default()
}

/// What a script asked for by calling `exit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitRequest {
    /// `exit()` or `exit(n)`: end with this status.
    Status(u8),
    /// `exit("message")`: print the message on stderr, end with status 1.
    Message(String),
}

static EXIT: Mutex<Option<ExitRequest>> = Mutex::new(None);

/// Takes the pending `exit` request of the last evaluation, if the script called `exit`.
/// (Rhai turns `exit(v)` into a normal end of the evaluation returning `v`, so the runner asks
/// here whether the script really exited.)
pub fn take_exit() -> Option<ExitRequest> {
    EXIT.lock().ok().and_then(|mut e| e.take())
}

#[rhai::export_module]
mod exit_fns {
    use super::RResult;
    use rhai::Dynamic;

    /// Stops the script at once and ends the program: `exit()` with status 0, `exit(n)` with
    /// status n (an integer 0–255), `exit("message")` prints the message on stderr and ends
    /// with status 1.
    /// ```rhai
    /// let failures = 0;
    /// if failures > 0 { exit(`${failures} checks failed`) }
    /// exit(0);
    /// ```
    #[rhai_fn(name = "exit", return_raw, volatile)]
    pub fn exit_with(value: Dynamic) -> RResult<()> {
        let request = if value.is_unit() {
            super::ExitRequest::Status(0)
        } else if let Ok(n) = value.as_int() {
            match u8::try_from(n) {
                Ok(s) => super::ExitRequest::Status(s),
                Err(_) => {
                    return Err(super::script_err(format!(
                        "exit: status {n} is outside 0–255; use exit(1) for a failure"
                    )))
                }
            }
        } else if value.is_string() {
            super::ExitRequest::Message(value.to_string())
        } else {
            return Err(super::script_err(format!(
                "exit: expected an integer status (0–255) or a message string, not {}",
                value.type_name()
            )));
        };
        if let Ok(mut e) = super::EXIT.lock() {
            *e = Some(request);
        }
        Err(rhai::EvalAltResult::Exit(value, rhai::Position::NONE).into())
    }

    /// Stops the script at once and ends the program with status 0.
    /// ```rhai
    /// print("done");
    /// exit();
    /// ```
    #[rhai_fn(name = "exit", return_raw, volatile)]
    pub fn exit_plain() -> RResult<()> {
        exit_with(Dynamic::UNIT)
    }
}

/// Set when writing to stdout failed (`spillover run s.rhai | head` after `head` quit).
static STDOUT_FAILED: Mutex<Option<std::io::ErrorKind>> = Mutex::new(None);

/// Writes `s` and a newline to stdout. When stdout is closed or fails, records it, asks the
/// running evaluation to stop (see [`crate::interrupt`]) and returns false, so output into a
/// closed pipe ends the program quietly instead of panicking or looping.
pub fn print_line(s: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{s}") {
        Ok(()) => true,
        Err(e) => {
            if let Ok(mut f) = STDOUT_FAILED.lock() {
                f.get_or_insert(e.kind());
            }
            crate::interrupt::request();
            false
        }
    }
}

/// Writes `s` and a newline to stderr, ignoring failure: a closed stderr (`2>&1 | head`
/// after `head` quit) must not turn a message into a panic.
pub fn eprint_line(s: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{s}");
}

/// How writing to stdout failed, if it did ([`std::io::ErrorKind::BrokenPipe`]: the reader
/// closed the pipe; the runners end quietly).
pub fn stdout_failed() -> Option<std::io::ErrorKind> {
    STDOUT_FAILED.lock().ok().and_then(|f| *f)
}

/// A new engine with every spillover package registered, the [`Limits`] set by
/// [`set_limits`], `exit` that sets the exit status ([`take_exit`]), a `print` that survives
/// a closed stdout, Ctrl-C stopping the evaluation ([`crate::interrupt`]), and imports
/// resolved from the bundled `stdlib` modules, then from `.rhai` files relative to the folder
/// of the importing script (for code without a file, such as REPL input, `script_dir`, else
/// the current directory). The engine can read data and write results through spillover's own
/// functions only: no process, network or raw file access.
pub fn new_engine(script_dir: Option<&std::path::Path>) -> Engine {
    install_panic_hook();
    let mut engine = Engine::new();
    engine.set_max_expr_depths(256, 256);
    let l = limits();
    engine.set_max_array_size(l.max_array_size);
    engine.set_max_string_size(l.max_string_size);
    engine.set_max_map_size(l.max_map_size);
    engine.set_max_call_levels(l.max_call_levels);
    register_all(&mut engine);
    // Registered last, so it is found before Rhai's own `exit`.
    engine.register_global_module(rhai::exported_module!(exit_fns).into());
    engine.set_module_resolver(ScriptResolver::new(script_dir));
    engine.on_print(|s| {
        print_line(s);
    });
    // Rhai's own `debug` writes with `println!`, which panics on a closed stdout.
    engine.on_debug(|s, source, pos| {
        let text = match (source, pos.is_none()) {
            (Some(src), true) => format!("{src} | {s}"),
            (Some(src), false) => format!("{src} @ {pos:?} | {s}"),
            (None, true) => s.to_string(),
            (None, false) => format!("{pos:?} | {s}"),
        };
        print_line(&text);
    });
    engine.on_progress(|_| crate::interrupt::requested().then(|| "interrupted (Ctrl-C)".into()));
    engine
}

/// The bundled stdlib modules: (name, source), compiled into the binary.
pub const STDLIB: &[(&str, &str)] = &[("study", include_str!("../../stdlib/study.rhai"))];

/// `src` without a leading UTF-8 byte-order mark (editors on Windows write one).
pub fn strip_bom(src: &str) -> &str {
    src.strip_prefix('\u{feff}').unwrap_or(src)
}

thread_local! {
    /// The files being imported on this thread, outermost first (the importing script, when it
    /// is a file, then each module whose import is in progress): an import of a file already
    /// in the chain is a cycle.
    static IMPORTING: std::cell::RefCell<Vec<std::path::PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Pops what one import pushed on [`IMPORTING`] (also when the import fails).
struct ImportFrame(usize);

impl Drop for ImportFrame {
    fn drop(&mut self) {
        IMPORTING.with(|s| {
            let mut s = s.borrow_mut();
            let keep = s.len().saturating_sub(self.0);
            s.truncate(keep);
        });
    }
}

/// A path as the user knows it: relative to the current directory when inside it.
fn shown_path(p: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|c| c.canonicalize().ok())
        .and_then(|c| p.strip_prefix(c).ok().map(|r| r.display().to_string()))
        .unwrap_or_else(|| p.display().to_string())
}

/// Resolves `import "NAME"`: a bundled stdlib module by name, else the file `NAME.rhai`
/// relative to the folder of the importing file (or `default_dir` for code that is not in a
/// file). Modules are evaluated once per engine (cached); a UTF-8 byte-order mark is skipped; an
/// import cycle is an error naming the chain of files.
struct ScriptResolver {
    default_dir: std::path::PathBuf,
    cache: Mutex<std::collections::HashMap<std::path::PathBuf, rhai::Shared<rhai::Module>>>,
}

impl ScriptResolver {
    fn new(script_dir: Option<&std::path::Path>) -> ScriptResolver {
        ScriptResolver {
            default_dir: script_dir
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| std::path::PathBuf::from("."), |d| d.to_path_buf()),
            cache: Mutex::new(Default::default()),
        }
    }

    /// The file `import path` names from a script whose source is `source`.
    fn file_for(&self, source: Option<&str>, path: &str) -> std::path::PathBuf {
        let mut file = std::path::PathBuf::from(path);
        if file.is_relative() {
            let base = source
                .map(std::path::Path::new)
                .filter(|s| s.is_file())
                .map(|s| s.parent().map(|p| p.to_path_buf()).unwrap_or_default());
            let base = match base {
                Some(b) if b.as_os_str().is_empty() => std::path::PathBuf::from("."),
                Some(b) => b,
                None => self.default_dir.clone(),
            };
            file = base.join(file);
        }
        file.set_extension("rhai");
        file
    }
}

impl rhai::ModuleResolver for ScriptResolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: rhai::Position,
    ) -> RResult<rhai::Shared<rhai::Module>> {
        let in_module = |e: Box<EvalAltResult>| Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos));
        let stdlib = STDLIB.iter().find(|(name, _)| *name == path);
        let (key, origin) = match stdlib {
            Some(&(name, src)) => (
                std::path::PathBuf::from(format!("stdlib/{name}.rhai")),
                Err((name, src)),
            ),
            None => {
                let file = self.file_for(source, path);
                let Ok(key) = std::fs::canonicalize(&file) else {
                    let names: Vec<&str> = STDLIB.iter().map(|(n, _)| *n).collect();
                    return Err(EvalAltResult::ErrorRuntime(
                        format!(
                            "Module not found: '{path}': there is no file {} (an import names a bundled module ({}) \
                             or a .rhai file relative to the folder of the importing script)",
                            file.display(),
                            names.join(", ")
                        )
                        .into(),
                        pos,
                    )
                    .into());
                };
                (key, Ok(file))
            }
        };
        if let Some(m) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(m);
        }
        let root = source
            .map(std::path::Path::new)
            .filter(|s| s.is_file())
            .and_then(|s| s.canonicalize().ok());
        let pushed = IMPORTING.with(|s| {
            let mut s = s.borrow_mut();
            let mut pushed = 1;
            if s.is_empty() {
                if let Some(r) = root {
                    s.push(r);
                    pushed = 2;
                }
            }
            if let Some(k) = s.iter().position(|p| *p == key) {
                let chain: Vec<String> = s[k..].iter().chain([&key]).map(|p| shown_path(p)).collect();
                let msg = format!(
                    "import cycle: {}; a module cannot import itself, directly or through other modules",
                    chain.join(" → ")
                );
                let keep = s.len() + 1 - pushed;
                s.truncate(keep);
                return Err(EvalAltResult::ErrorRuntime(msg.into(), pos));
            }
            s.push(key.clone());
            Ok(pushed)
        })?;
        let _frame = ImportFrame(pushed);
        // An error inside the module (syntax or top-level code) names the module's file, line
        // and column; the engine adds the position of the `import`.
        let shown = shown_path(&key);
        let in_file = |e: Box<EvalAltResult>| match *e {
            EvalAltResult::Exit(..) | EvalAltResult::ErrorTerminated(..) => in_module(e),
            _ => in_module(
                EvalAltResult::ErrorRuntime(
                    format!("in module {}", format_error(&e, &shown)).into(),
                    rhai::Position::NONE,
                )
                .into(),
            ),
        };
        // `origin`: the file to read, or a bundled module's (name, source).
        let (src, name) = match &origin {
            Err((name, src)) => (src.to_string(), format!("stdlib/{name}.rhai")),
            Ok(file) => {
                let text = crate::io::read_text(&file.to_string_lossy()).map_err(|e| in_module(core_err(e)))?;
                (strip_bom(&text).to_string(), file.to_string_lossy().to_string())
            }
        };
        let mut ast = engine.compile(&src).map_err(|e| in_file(e.into()))?;
        ast.set_source(name);
        let m: rhai::Shared<rhai::Module> = rhai::Module::eval_ast_as_new(rhai::Scope::new(), &ast, engine)
            .map_err(in_file)?
            .into();
        // Rhai ends a module's evaluation at `exit` as if it returned: the script must stop.
        if EXIT.lock().is_ok_and(|e| e.is_some()) {
            return Err(EvalAltResult::Exit(rhai::Dynamic::UNIT, pos).into());
        }
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, m.clone());
        }
        Ok(m)
    }
}

/// Formats a script error as `file:line:column: message` (the innermost message of nested
/// function-call errors, the outermost position in the user's file).
pub fn format_error(err: &EvalAltResult, source: &str) -> String {
    let pos = err.position();
    let mut inner = err;
    while let EvalAltResult::ErrorInFunctionCall(_, _, e, _) | EvalAltResult::ErrorInModule(_, e, _) = inner {
        inner = e;
    }
    let msg = match inner {
        EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        EvalAltResult::ErrorTerminated(v, _) => format!("evaluation stopped: {v}"),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            let l = limits();
            let (kind, limit, flag) = if what.contains("string") {
                ("a string", format!("{} bytes", l.max_string_size), "--max-string-size")
            } else if what.contains("map") {
                ("an object map", format!("{} entries", l.max_map_size), "--max-map-size")
            } else {
                ("an array", format!("{} elements", l.max_array_size), "--max-array-size")
            };
            format!(
                "too large: {kind} would exceed the limit of {limit}; if the size is intended, raise it with \
                 `spillover {flag} N`"
            )
        }
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "functions are nested deeper than {} calls (endless recursion?); if intended, raise the limit with \
             `spillover --max-call-levels N`",
            limits().max_call_levels
        ),
        other => {
            let s = other.to_string();
            match s.rfind(" (line ") {
                Some(k) if s.ends_with(')') => s[..k].to_string(),
                _ => s,
            }
        }
    };
    if pos.is_none() {
        format!("{source}: {msg}")
    } else {
        format!(
            "{source}:{}:{}: {msg}",
            pos.line().unwrap_or(0),
            pos.position().unwrap_or(0)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_a_panic_into_a_script_error_that_says_bug() {
        install_panic_hook();
        let r: RResult<()> = guard("a test", || panic!("boom {}", 42));
        let msg = format_error(&r.unwrap_err(), "t");
        assert!(msg.contains("internal error in a test: boom 42"), "{msg}");
        assert!(msg.contains("this is a bug") && msg.contains("mod.rs"), "{msg}");
    }

    #[test]
    fn engine_has_no_process_network_or_raw_file_access() {
        let engine = new_engine(None);
        for code in [
            "system(\"ls\")",
            "exec(\"ls\")",
            "open(\"/etc/passwd\")",
            "read_file(\"/etc/passwd\")",
            "File(\"/etc/passwd\")",
            "http_get(\"http://example.com\")",
            "tcp_connect(\"example.com:80\")",
            "env(\"HOME\")",
        ] {
            let e = engine.eval::<rhai::Dynamic>(code).unwrap_err();
            assert!(
                matches!(*e, EvalAltResult::ErrorFunctionNotFound(..)),
                "{code} should not exist: {e}"
            );
        }
        let names: Vec<String> = docs::function_docs(&engine).into_iter().map(|d| d.name).collect();
        for bad in [
            "system",
            "exec",
            "command",
            "spawn",
            "shell",
            "remove_file",
            "delete",
            "connect",
            "http",
        ] {
            assert!(
                !names.iter().any(|n| n.contains(bad)),
                "unexpected function like '{bad}'"
            );
        }
    }
}
