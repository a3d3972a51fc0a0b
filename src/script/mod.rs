//! The Rhai binding layer: converts script values to core types, calls the core and maps
//! core errors to script errors. One file per area, each an `#[export_module]` whose doc
//! comments become the text of `:help` and `spillover functions`.

pub mod convert;
pub mod data;
pub mod docs;
pub mod effects;
pub mod esda;
pub mod export;
pub mod guarded;
pub mod models;
pub mod options;
pub mod study;
pub mod testing;
pub mod weights;

use rhai::{Engine, EvalAltResult};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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

/// Flag set by Ctrl-C; the engine's progress callback stops the running evaluation.
pub fn interrupt_flag() -> &'static Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Registers every spillover type and function package in `engine`.
pub fn register_all(engine: &mut Engine) {
    convert::register_types(engine);
    engine.register_global_module(rhai::exported_module!(data::data_fns).into());
    engine.register_global_module(rhai::exported_module!(export::export_fns).into());
    engine.register_global_module(rhai::exported_module!(testing::testing_fns).into());
    export::register_data_exports(engine);
    weights::register(engine);
    engine.register_global_module(rhai::exported_module!(weights::weights_fns).into());
    esda::register(engine);
    engine.register_global_module(rhai::exported_module!(esda::esda_fns).into());
    models::register(engine);
    engine.register_global_module(rhai::exported_module!(models::models_fns).into());
    effects::register(engine);
    engine.register_global_module(rhai::exported_module!(effects::effects_fns).into());
    engine.register_global_module(rhai::exported_module!(study::study_fns).into());
}

/// A new engine with every spillover package registered, the bundled `stdlib` modules and a
/// module resolver that looks in `script_dir` after them. The engine can read data and write
/// results through spillover's own functions only: no process, network or raw file access.
pub fn new_engine(script_dir: Option<&std::path::Path>) -> Engine {
    install_panic_hook();
    let mut engine = Engine::new();
    engine.set_max_expr_depths(256, 256);
    register_all(&mut engine);
    let mut coll = rhai::module_resolvers::ModuleResolversCollection::new();
    coll.push(StdlibResolver);
    coll.push(match script_dir {
        Some(d) => rhai::module_resolvers::FileModuleResolver::new_with_path(d),
        None => rhai::module_resolvers::FileModuleResolver::new(),
    });
    engine.set_module_resolver(coll);
    // `print` must not panic when stdout is closed (`spillover run s.rhai | head`).
    engine.on_print(|s| {
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), "{s}");
    });
    let flag = interrupt_flag().clone();
    engine.on_progress(move |_| {
        if flag.swap(false, Ordering::SeqCst) {
            Some("interrupted (Ctrl-C)".into())
        } else {
            None
        }
    });
    engine
}

/// The bundled stdlib modules: (name, source), compiled into the binary.
pub const STDLIB: &[(&str, &str)] = &[("study", include_str!("../../stdlib/study.rhai"))];

/// Resolves `import "NAME"` to a bundled stdlib module, compiled with the importing engine.
struct StdlibResolver;

impl rhai::ModuleResolver for StdlibResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: rhai::Position,
    ) -> RResult<rhai::Shared<rhai::Module>> {
        let Some((_, src)) = STDLIB.iter().find(|(name, _)| *name == path) else {
            return Err(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos).into());
        };
        let mut ast = engine
            .compile(*src)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.to_string(), Box::new(e.into()), pos)))?;
        ast.set_source(format!("stdlib/{path}.rhai"));
        let m = rhai::Module::eval_ast_as_new(rhai::Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos)))?;
        Ok(m.into())
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
