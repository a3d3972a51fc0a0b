//! The `root` of every `#[export_module(root = "crate::script::guarded")]` binding module:
//! rhai's own items, except [`FuncRegistration`], which registers each native function wrapped
//! in [`super::guard`]. A native panic (a bug) therefore becomes an ordinary script error at the
//! call ("internal error in NAME: … this is a bug"), which a script's `try { } catch` receives,
//! instead of unwinding through the whole evaluation.

pub use rhai::*;

use rhai::plugin::{PluginFunc, RhaiResult};
use std::any::TypeId;

/// A native function as the export macros hand it over, before it is wrapped.
pub struct Native(Box<dyn PluginFunc + Send + Sync>);

impl<T: PluginFunc + Send + Sync + 'static> From<T> for Native {
    fn from(f: T) -> Self {
        Native(Box::new(f))
    }
}

/// A native function that runs inside [`super::guard`].
struct Guarded {
    name: &'static str,
    inner: Box<dyn PluginFunc + Send + Sync>,
}

impl PluginFunc for Guarded {
    fn call(&self, context: Option<NativeCallContext>, args: &mut [&mut Dynamic]) -> RhaiResult {
        super::guard(self.name, || self.inner.call(context, args))
    }
    fn is_method_call(&self) -> bool {
        self.inner.is_method_call()
    }
    fn has_context(&self) -> bool {
        self.inner.has_context()
    }
    fn is_pure(&self) -> bool {
        self.inner.is_pure()
    }
    fn is_volatile(&self) -> bool {
        self.inner.is_volatile()
    }
}

/// [`rhai::FuncRegistration`] for the export macros, registering guarded functions.
pub struct FuncRegistration {
    inner: rhai::FuncRegistration,
    name: &'static str,
}

impl FuncRegistration {
    /// A registration of the function called `name`.
    pub fn new(name: &'static str) -> Self {
        FuncRegistration {
            inner: rhai::FuncRegistration::new(name),
            name,
        }
    }
    /// Sets the namespace.
    pub fn with_namespace(self, ns: FnNamespace) -> Self {
        FuncRegistration {
            inner: self.inner.with_namespace(ns),
            ..self
        }
    }
    /// Sets the parameter names and types (metadata, shown by `:help`).
    pub fn with_params_info<S: AsRef<str>>(self, params: impl IntoIterator<Item = S>) -> Self {
        FuncRegistration {
            inner: self.inner.with_params_info(params),
            ..self
        }
    }
    /// Sets the doc comments (shown by `:help`).
    pub fn with_comments<S: AsRef<str>>(self, comments: impl IntoIterator<Item = S>) -> Self {
        FuncRegistration {
            inner: self.inner.with_comments(comments),
            ..self
        }
    }
    /// Registers `func`, wrapped in [`super::guard`], into `module`.
    pub fn set_into_module_raw(self, module: &mut Module, arg_types: impl AsRef<[TypeId]>, func: Native) {
        let guarded = Guarded {
            name: self.name,
            inner: func.0,
        };
        self.inner.set_into_module_raw(module, arg_types, guarded.into());
    }
}
