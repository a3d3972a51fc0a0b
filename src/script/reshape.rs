//! Group statistics and reshaping of frames: `aggregate`, `reshape_long`, `reshape_wide`.

use super::convert::{dyn_to_key, to_strings, SFrame};
use super::options::Opts;
use super::{core_err, guard, script_err, RResult};
use crate::data::reshape::{self, LongSpec};
use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};
use std::sync::Arc;

/// A column name or an array of them.
fn names_of(v: &Dynamic, what: &str) -> RResult<Vec<String>> {
    if let Some(a) = v.clone().try_cast::<Array>() {
        to_strings(&a, what)
    } else {
        dyn_to_key(v)
            .map(|s| vec![s])
            .ok_or_else(|| script_err(format!("{what} must be a column name or an array of them")))
    }
}

/// Group statistics and reshaping.
#[export_module(root = "crate::script::guarded")]
pub mod reshape_fns {
    use super::*;

    /// Group statistics: one row per group of the column(s) `by` (a name or an array of
    /// names), groups in order of first appearance; the `by` columns, then one column per key
    /// of `stats`, named as the column it summarises (keys in the map's order, which Rhai
    /// sorts), holding "mean", "sum", "min", "max", "sd" (divisor n − 1) or "count" (the
    /// number of non-missing values). Missing values are skipped; a group without values gives
    /// missing (count 0).
    /// ```rhai
    /// let f = read_csv("examples/data/produc/data.csv");
    /// let by_region = aggregate(f, "region", #{gsp: "mean", unemp: "sd", emp: "count"});
    /// print(by_region.nrows());
    /// ```
    #[rhai_fn(name = "aggregate", return_raw)]
    pub fn aggregate(f: SFrame, by: Dynamic, stats: Map) -> RResult<SFrame> {
        let by = names_of(&by, "aggregate: 'by'")?;
        let mut specs = Vec::new();
        for (k, v) in &stats {
            let s = v.clone().into_string().map_err(|_| {
                script_err(format!(
                    "aggregate: the statistic of column '{k}' must be a string, one of {}",
                    reshape::STATS.join(", ")
                ))
            })?;
            specs.push((k.to_string(), s));
        }
        guard("aggregate", || {
            reshape::aggregate(&f.0, &by, &specs)
                .map(|f| SFrame(Arc::new(f)))
                .map_err(core_err)
        })
    }

    /// Wide to long (periods as columns, as in a yearbook): options `id` (a column or an array
    /// of them), `prefix` (the wide columns are those whose names start with it; the period is
    /// the rest: `gdp2001` → 2001) or `columns` (the wide columns; their period is the name,
    /// less `prefix` if given: columns `2001`, `2002` → 2001, 2002), `time_name` (default
    /// "time") and `value_name` (default: the prefix, else "value"). One row per input row and
    /// wide column: the id columns, the period (a number when every period is one, else text),
    /// the value; other columns are dropped.
    /// ```rhai
    /// let f = read_csv("examples/data/produc/data.csv");
    /// let w = reshape_wide(f, #{id: "id", time: "time", value: "gsp"});
    /// let l = reshape_long(w, #{id: "id", prefix: "gsp", time_name: "year"});
    /// print(l.names());
    /// ```
    #[rhai_fn(name = "reshape_long", return_raw)]
    pub fn reshape_long(f: SFrame, opts: Map) -> RResult<SFrame> {
        let o = Opts::new(
            &opts,
            "reshape_long",
            &["id", "prefix", "columns", "time_name", "value_name"],
        )?;
        let id = o
            .strings("id")?
            .ok_or_else(|| script_err("reshape_long: option 'id' (the id column or columns) is required"))?;
        let prefix = o.str("prefix")?;
        let spec = LongSpec {
            id,
            columns: o.strings("columns")?,
            time_name: o.str("time_name")?.unwrap_or_else(|| "time".into()),
            value_name: o
                .str("value_name")?
                .or_else(|| prefix.clone())
                .unwrap_or_else(|| "value".into()),
            prefix,
        };
        guard("reshape_long", || {
            reshape::reshape_long(&f.0, &spec)
                .map(|f| SFrame(Arc::new(f)))
                .map_err(core_err)
        })
    }

    /// Long to wide: options `id` (a column or an array of them), `time` (the period column)
    /// and `value` (a column or an array of them). One row per id (order of first appearance):
    /// the id columns, then per value and period (in period order) a column named value +
    /// period (`gsp` and 1970 → `gsp1970`), so `reshape_long` with `prefix: "gsp"` inverts it.
    /// Other columns are dropped; a period an id lacks is missing; two rows with the same id
    /// and period are an error naming them.
    /// ```rhai
    /// let f = read_csv("examples/data/produc/data.csv");
    /// let w = reshape_wide(f, #{id: "id", time: "time", value: ["gsp", "unemp"]});
    /// print(w.names());
    /// ```
    #[rhai_fn(name = "reshape_wide", return_raw)]
    pub fn reshape_wide(f: SFrame, opts: Map) -> RResult<SFrame> {
        let o = Opts::new(&opts, "reshape_wide", &["id", "time", "value"])?;
        let need = |k: &str, v: Option<Vec<String>>| {
            v.ok_or_else(|| script_err(format!("reshape_wide: option '{k}' is required (id, time and value)")))
        };
        let id = need("id", o.strings("id")?)?;
        let time = need("time", o.str("time")?.map(|t| vec![t]))?.remove(0);
        let value = need("value", o.strings("value")?)?;
        guard("reshape_wide", || {
            reshape::reshape_wide(&f.0, &id, &time, &value)
                .map(|f| SFrame(Arc::new(f)))
                .map_err(core_err)
        })
    }
}

rhai::def_package! {
    /// Group statistics and reshaping of frames.
    pub ReshapePackage(lib) {
        rhai::combine_with_exported_module!(lib, "reshape", reshape_fns);
    }
}
