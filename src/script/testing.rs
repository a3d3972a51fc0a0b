//! Assertions for tests written in Rhai (`tests/scripts/*.rhai`).

use super::{script_err, RResult};
use rhai::plugin::*;
use rhai::FLOAT;

/// Test helpers.
#[export_module(root = "crate::script::guarded")]
pub mod testing_fns {
    use super::*;

    /// Fails the script with `message` unless `cond` is true.
    /// ```rhai
    /// assert(1 + 1 == 2, "arithmetic");
    /// ```
    #[rhai_fn(name = "assert", return_raw)]
    pub fn assert(cond: bool, message: &str) -> RResult<()> {
        if cond {
            Ok(())
        } else {
            Err(script_err(format!("assertion failed: {message}")))
        }
    }

    /// Fails unless |got − want| ≤ rel_tol · max(|want|, 1e−300).
    /// ```rhai
    /// assert_close(0.1 + 0.2, 0.3, 1e-12);
    /// ```
    #[rhai_fn(name = "assert_close", return_raw)]
    pub fn assert_close(got: FLOAT, want: FLOAT, rel_tol: FLOAT) -> RResult<()> {
        let ok = (got - want).abs() <= rel_tol * want.abs().max(1e-300) || got == want;
        if ok {
            Ok(())
        } else {
            Err(script_err(format!(
                "assert_close failed: got {got:.15e}, want {want:.15e} (relative difference {:.3e} > {rel_tol:e})",
                (got - want).abs() / want.abs().max(1e-300)
            )))
        }
    }

    /// Panics on purpose with `message`, to test the panic guard: the script receives an
    /// "internal error in panic_for_testing: MESSAGE ... this is a bug" error, which
    /// `try { } catch` catches like any other.
    /// ```rhai
    /// try { panic_for_testing("boom") } catch (e) { print(e) }
    /// ```
    #[rhai_fn(name = "panic_for_testing")]
    pub fn panic_for_testing(message: &str) {
        panic!("{message}");
    }

    /// assert_close for an integer expected value.
    /// ```rhai
    /// assert_close(2.0 + 1e-13, 2, 1e-12);
    /// ```
    #[rhai_fn(name = "assert_close", return_raw)]
    pub fn assert_close_int(got: FLOAT, want: rhai::INT, rel_tol: FLOAT) -> RResult<()> {
        assert_close(got, want as FLOAT, rel_tol)
    }
}

rhai::def_package! {
    /// Assertions for tests written in Rhai.
    pub TestingPackage(lib) {
        rhai::combine_with_exported_module!(lib, "testing", testing_fns);
    }
}
