//! New columns from expressions: `mutate` and `compute` on frames and panels (the core is
//! [`crate::data::mutate`]).

use super::convert::{from_f64s, SFrame, SPanel};
use super::{core_err, script_err, RResult};
use crate::data::mutate::{compute_frame, compute_panel, mutate_frame, mutate_panel};
use rhai::plugin::*;
use rhai::{Array, Map};
use std::sync::Arc;

/// The (name, expression) pairs of a map `#{name: "expression"}`.
fn assignments(map: &Map) -> RResult<Vec<(String, String)>> {
    if map.is_empty() {
        return Err(script_err(
            "mutate: the map is empty; write #{name: \"expression\", ...}",
        ));
    }
    map.iter()
        .map(|(k, v)| match v.clone().try_cast::<rhai::ImmutableString>() {
            Some(s) => Ok((k.to_string(), s.to_string())),
            None => Err(script_err(format!(
                "mutate: the value for '{k}' is {}, expected the expression as a string, e.g. #{{{k}: \"log(x)\"}}",
                v.type_name()
            ))),
        })
        .collect()
}

/// Prints "mutate: replaced column x" for each replaced column.
fn note_replaced(replaced: &[String]) {
    for name in replaced {
        crate::script::print_line(&format!("mutate: replaced column {name}"));
    }
}

/// `mutate` and `compute`.
#[export_module(root = "crate::script::guarded")]
pub mod mutate_fns {
    use super::*;

    /// A new frame with column `name` computed from the expression `expr`: column names, numbers,
    /// `+ - * / ^`, parentheses and the functions `log` (natural), `log10`, `log2`, `exp`,
    /// `sqrt`, `abs`, `I` (a column with other characters in its name is written in backquotes:
    /// `` `GDP per head` ``). Missing values stay missing; a value that is not defined (log of 0,
    /// division by 0, sqrt of a negative number) is an error naming the row. A column that
    /// exists is replaced, with the note `mutate: replaced column x`. The panel functions (`lag`,
    /// `diff`, ...) need a panel.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let c2 = c.mutate("ratio", "HOVAL / (INC + 1)");
    /// print(c2["ratio"][0]);
    /// ```
    #[rhai_fn(name = "mutate", return_raw, pure)]
    pub fn frame_mutate(f: &mut SFrame, name: &str, expr: &str) -> RResult<SFrame> {
        frame_mutate_map_inner(f, vec![(name.to_string(), expr.to_string())])
    }

    /// Several new columns at once: `#{name: "expression", ...}`. An expression may use a
    /// column defined in the same map (its new values); since Rhai keeps map keys sorted, the
    /// columns are computed in the order these uses need, and a cycle is an error.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let c2 = c.mutate(#{linc: "log(INC)", linc2: "linc^2"});
    /// print(c2.names());
    /// ```
    #[rhai_fn(name = "mutate", return_raw, pure)]
    pub fn frame_mutate_map(f: &mut SFrame, columns: Map) -> RResult<SFrame> {
        frame_mutate_map_inner(f, assignments(&columns)?)
    }

    /// A new panel with column `name` computed from the expression `expr` (as the Frame
    /// version), which may also use the panel functions, on columns or expressions: `lag(x)`,
    /// `lag(x, k)` and `lead(x)`, `lead(x, k)` (the value k periods earlier or later within the
    /// unit, k a whole number ≥ 1; missing in the first or last k periods and, over years,
    /// quarters and months, across a gap, as `p.lag`), `diff(x)` (x_t − x_{t−1}), `growth(x)`
    /// ((x_t − x_{t−1}) / x_{t−1}; a zero x_{t−1} is an error naming the unit and period),
    /// `unit_mean(x)` (the unit's mean over its periods) and `period_mean(x)` (the mean over
    /// the units in the period); the means skip missing values, as Stata's `egen mean()`, and
    /// are missing only when every value is. Errors name the unit and the period.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let p2 = p.mutate("lgsp", "log(gsp)").mutate("g", "growth(gsp)");
    /// let p3 = p2.mutate("dm", "lgsp - unit_mean(lgsp)");
    /// print(p3["g"][48]);
    /// ```
    #[rhai_fn(name = "mutate", return_raw, pure)]
    pub fn panel_mutate(p: &mut SPanel, name: &str, expr: &str) -> RResult<SPanel> {
        panel_mutate_map_inner(p, vec![(name.to_string(), expr.to_string())])
    }

    /// Several new panel columns at once: `#{name: "expression", ...}` (see the Frame version).
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let p2 = p.mutate(#{lgsp: "log(gsp)", dlgsp: "diff(lgsp)", lgsp_l1: "lag(lgsp)"});
    /// print(p2.names());
    /// ```
    #[rhai_fn(name = "mutate", return_raw, pure)]
    pub fn panel_mutate_map(p: &mut SPanel, columns: Map) -> RResult<SPanel> {
        panel_mutate_map_inner(p, assignments(&columns)?)
    }

    /// The values of an expression (as in `mutate`) on every row, as an array of floats,
    /// without adding a column. This is how arithmetic on columns is written: `f["a"] + f["b"]`
    /// joins the two arrays (Rhai's `+` on arrays), `f.compute("a + b")` adds them row by row.
    /// ```rhai
    /// let c = read_csv("examples/data/columbus/data.csv");
    /// let total = c.compute("HOVAL + INC");
    /// print(total.len());
    /// ```
    #[rhai_fn(name = "compute", return_raw, pure)]
    pub fn frame_compute(f: &mut SFrame, expr: &str) -> RResult<Array> {
        compute_frame(&f.0, expr).map(|v| from_f64s(&v)).map_err(core_err)
    }

    /// The values of an expression on every row of a panel, with the panel functions (see
    /// `mutate`), in panel row order (time-slow), as an array of floats.
    /// ```rhai
    /// let p = panel(read_csv("examples/data/produc/data.csv"), "id", "time");
    /// let d = p.compute("diff(log(gsp))");
    /// print(d[48]);
    /// ```
    #[rhai_fn(name = "compute", return_raw, pure)]
    pub fn panel_compute(p: &mut SPanel, expr: &str) -> RResult<Array> {
        compute_panel(&p.0, expr).map(|v| from_f64s(&v)).map_err(core_err)
    }
}

fn frame_mutate_map_inner(f: &SFrame, columns: Vec<(String, String)>) -> RResult<SFrame> {
    let (g, replaced) = mutate_frame(&f.0, &columns).map_err(core_err)?;
    note_replaced(&replaced);
    Ok(SFrame(Arc::new(g)))
}

fn panel_mutate_map_inner(p: &SPanel, columns: Vec<(String, String)>) -> RResult<SPanel> {
    let (q, replaced) = mutate_panel(&p.0, &columns).map_err(core_err)?;
    note_replaced(&replaced);
    Ok(SPanel(Arc::new(q)))
}

rhai::def_package! {
    /// `mutate` and `compute` on frames and panels.
    pub MutatePackage(lib) {
        rhai::combine_with_exported_module!(lib, "mutate", mutate_fns);
    }
}
