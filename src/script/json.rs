//! JSON of script values that hold results: `to_json` and `save` of maps and arrays, each
//! result in them written in its own form. It names every result type of the bindings, so it
//! sits above the area files (they do not import it).

use super::convert::{SFrame, SPanel, STable};
use super::effects::SEffects;
use super::esda::{SGeary, SMoran, SMoranTable};
use super::export::json_of;
use super::models::{SModel, STest};
use super::weights::SWeights;
use super::{core_err, script_err, RResult};
use crate::report::table::extension;
use rhai::plugin::*;
use rhai::Dynamic;
use serde_json::Value;

/// The JSON of a script value: a result by its serde form (with `"kind"`), a map or an array
/// element by element (so results nested in them keep their own form), anything else by Rhai's
/// serde conversion (numbers, strings, booleans; `()` and NaN as `null`). `func` names the
/// caller in errors.
pub fn dynamic_json(d: &Dynamic, func: &str) -> RResult<Value> {
    macro_rules! results {
        ($($t:ty),* $(,)?) => {
            $(if let Some(x) = d.clone().try_cast::<$t>() {
                return json_of(&x);
            })*
        };
    }
    results!(
        SFrame,
        SPanel,
        STable,
        SModel,
        STest,
        SEffects,
        SMoran,
        SMoranTable,
        SGeary,
        SWeights
    );
    if d.is_map() {
        let m = d.clone().cast::<rhai::Map>();
        let mut out = serde_json::Map::new();
        for (k, v) in &m {
            out.insert(k.to_string(), dynamic_json(v, func)?);
        }
        return Ok(Value::Object(out));
    }
    if d.is_array() {
        let a = d.clone().cast::<rhai::Array>();
        return a
            .iter()
            .map(|v| dynamic_json(v, func))
            .collect::<RResult<Vec<_>>>()
            .map(Value::Array);
    }
    rhai::serde::from_dynamic::<Value>(d)
        .map_err(|_| script_err(format!("{func}: a {} cannot be written as JSON", d.type_name())))
}

/// Writes the JSON of a map or array (see [`dynamic_json`]) to `path`, atomically; only
/// `.json` is a format for them.
pub fn save_dynamic(d: &Dynamic, path: &str) -> RResult<()> {
    if extension(path) != "json" {
        return Err(script_err(format!(
            "save: a {} is saved as .json; '{path}' has another extension (save a result on its own for .csv, .md, .tex or .txt)",
            d.type_name()
        )));
    }
    let text = serde_json::to_string_pretty(&dynamic_json(d, "save")?).map_err(script_err)?;
    crate::io::write_atomic(path, text.as_bytes()).map_err(core_err)
}

rhai::def_package! {
    /// `to_json` and `save` of object maps and arrays (results in them in their own form).
    pub JsonPackage(lib) {
        rhai::combine_with_exported_module!(lib, "json", json_fns);
    }
}

/// JSON of maps and arrays.
#[export_module(root = "crate::script::guarded")]
pub mod json_fns {
    use super::*;

    /// JSON text of an object map or array (NaN as null).
    /// ```rhai
    /// print(to_json(#{a: 1, b: [2.5, ()]}));
    /// ```
    #[rhai_fn(name = "to_json", return_raw)]
    pub fn map_to_json(m: rhai::Map) -> RResult<String> {
        serde_json::to_string_pretty(&dynamic_json(&Dynamic::from_map(m), "to_json")?).map_err(script_err)
    }

    /// JSON text of an array; results in it (models, effects, tests, ...) are written in the
    /// form `to_json` gives each of them.
    /// ```rhai
    /// let text = to_json([1, 2.5, "a", #{b: ()}]);
    /// ```
    #[rhai_fn(name = "to_json", return_raw)]
    pub fn array_to_json(a: rhai::Array) -> RResult<String> {
        serde_json::to_string_pretty(&dynamic_json(&Dynamic::from_array(a), "to_json")?).map_err(script_err)
    }

    /// Writes a map of results and values as JSON to `path` (.json only), atomically: each
    /// result in the form `to_json` gives it, e.g. `save(#{sar: m1, fx: effects(m1)}, "out.json")`.
    /// ```rhai
    /// make_dir("out");
    /// save(#{n: 3, label: "run"}, "out/run.json");
    /// ```
    #[rhai_fn(name = "save", return_raw)]
    pub fn save_map(m: rhai::Map, path: &str) -> RResult<()> {
        save_dynamic(&Dynamic::from_map(m), path)
    }

    /// Writes an array of results and values as JSON to `path` (.json only), atomically: each
    /// result in the form `to_json` gives it, e.g. `save([m1, m2], "models.json")`.
    /// ```rhai
    /// make_dir("out");
    /// save([1, 2, 3], "out/values.json");
    /// ```
    #[rhai_fn(name = "save", return_raw)]
    pub fn save_array(a: rhai::Array, path: &str) -> RResult<()> {
        save_dynamic(&Dynamic::from_array(a), path)
    }
}
