//! The Rhai binding layer: converts script values to core types, calls the core and maps
//! core errors to script errors. One file per area, each an `#[export_module]` whose doc
//! comments become the text of `:help` and `spillover functions`.

pub mod convert;
pub mod data;
pub mod docs;
pub mod esda;
pub mod export;
pub mod models;
pub mod options;
pub mod testing;
pub mod weights;

use rhai::{Engine, EvalAltResult};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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

/// Runs `f`, turning a native panic into a script error that says it is a bug (the REPL and
/// the script runner survive it).
pub fn guard<T>(what: &str, f: impl FnOnce() -> RResult<T>) -> RResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(script_err(format!(
                "internal error in {what}: {msg} — this is a bug in spillover; please report it with the script"
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
}

/// A new engine with every spillover package registered, the bundled `stdlib` modules and a
/// module resolver that looks in `script_dir` after them. The engine can read data and write
/// results through spillover's own functions only: no process, network or raw file access.
pub fn new_engine(script_dir: Option<&std::path::Path>) -> Engine {
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
