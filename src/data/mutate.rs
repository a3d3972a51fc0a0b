//! `mutate` and `compute`: new columns from element-wise expressions ([`super::expr`]) over
//! the rows of a [`Frame`] or a [`Panel`].
//!
//! On a frame the expression has the element-wise functions of [`super::expr`] (`log`, `exp`,
//! `sqrt`, `abs`, `I`, ... with `+ - * / ^`); a row is named "in row 12 (line 13 of
//! data.csv)" in messages. On a panel it also has the panel functions ([`PANEL_FUNCTIONS`]),
//! whose argument may itself be an expression (`lag(log(gdp))`), and a row is named "for unit
//! AL in period 1970":
//!
//! * `lag(x)`, `lag(x, k)`: x_i,t−k, the value k periods earlier within the unit; `lead(x)`,
//!   `lead(x, k)`: x_i,t+k. Periods follow the panel's order and are matched by period as in
//!   [`Panel::lag`] (over integer years, quarters and months by the calendar, so across a gap
//!   the lag is missing, as Stata's `L.`); the first k periods (last k for `lead`) are missing.
//!   k is a positive whole number written as a constant (`lag(x, 2)`); anything else is an
//!   error.
//! * `diff(x)` = x_it − x_i,t−1 (missing in the first period).
//! * `growth(x)` = (x_it − x_i,t−1) / x_i,t−1 (missing in the first period). A zero base
//!   x_i,t−1 = 0 with a value x_it is an error naming the unit and the period, as every
//!   undefined value of an expression is (unlike `p.growth(name)`, which gives NaN there).
//! * `unit_mean(x)` = x̄_i, the mean of the unit's values over all periods; `period_mean(x)` =
//!   x̄_t, the mean over the units in the period; both repeated on every row of the unit
//!   (period). **Missing values are ignored** (skipped, as Stata's `egen mean()`): the mean is
//!   over the non-missing values, and a unit (period) with no value gives missing.
//!
//! Missing values (NaN) propagate through arithmetic and through `lag`, `lead`, `diff` and
//! `growth`. On a frame the panel functions are an error that says to build a panel first.

use super::expr::{Context, Expr, Value};
use super::{Column, Frame, Panel};
use crate::error::{Error, Result};

/// The functions a panel adds to the element-wise ones of [`super::expr`].
pub const PANEL_FUNCTIONS: [&str; 6] = ["lag", "lead", "diff", "growth", "unit_mean", "period_mean"];

/// The rows of a frame as an expression [`Context`]: its numeric columns, no extra functions
/// (the panel functions are an error that says to build a panel); rows are named "in row 12
/// (line 13 of data.csv)" when the frame was read from a file, "in row 12" otherwise.
pub struct FrameContext<'a> {
    frame: &'a Frame,
}

impl<'a> FrameContext<'a> {
    /// The context of `frame`.
    pub fn new(frame: &'a Frame) -> Self {
        FrameContext { frame }
    }
}

impl Context for FrameContext<'_> {
    fn nrows(&self) -> usize {
        self.frame.nrows()
    }

    fn column(&self, name: &str) -> Result<Vec<f64>> {
        self.frame.numeric(name).map(<[f64]>::to_vec)
    }

    fn call(&self, name: &str, _args: &[Value], text: &str) -> Option<Result<Vec<f64>>> {
        PANEL_FUNCTIONS.contains(&name).then(|| {
            Err(Error::invalid(format!(
                "{text}: {name}() needs a panel (units observed over periods), and this is a Frame; \
                 make the panel first with panel(f, id, time) and call mutate or compute on it"
            )))
        })
    }

    fn locate(&self, r: usize) -> String {
        match self.frame.origin().and_then(|o| o.lines.get(r).map(|l| (l, &o.path))) {
            Some((line, path)) => format!("in row {} (line {line} of {path})", r + 1),
            None => format!("in row {}", r + 1),
        }
    }
}

/// The rows of a panel as an expression [`Context`]: the numeric columns of `frame` (the
/// panel's frame, or one with new columns in the same row order), the [`PANEL_FUNCTIONS`],
/// rows named "for unit AL in period 1970".
pub struct PanelContext<'a> {
    panel: &'a Panel,
    frame: &'a Frame,
}

impl<'a> PanelContext<'a> {
    /// The context of `panel`.
    pub fn new(panel: &'a Panel) -> Self {
        PanelContext {
            panel,
            frame: panel.frame(),
        }
    }

    /// The context of `panel` with its columns taken from `frame` (same rows, same order, e.g.
    /// the panel's frame with columns added).
    pub fn with_frame(panel: &'a Panel, frame: &'a Frame) -> Result<Self> {
        if frame.nrows() != panel.frame().nrows() {
            return Err(Error::data("PanelContext: the frame and the panel differ in row count"));
        }
        Ok(PanelContext { panel, frame })
    }

    /// The number of periods k of `lag(x, k)` / `lead(x, k)` (1 without the argument).
    fn order(arg: Option<&Value>, name: &str, text: &str) -> Result<i64> {
        let Some(v) = arg else { return Ok(1) };
        match v.scalar() {
            Some(k) if k >= 1.0 && k.fract() == 0.0 && k <= 1e9 => Ok(k as i64),
            Some(k) => {
                let other = if name == "lag" { "lead" } else { "lag" };
                let hint = if k < 0.0 && k.fract() == 0.0 {
                    format!(" (for {} periods the other way, write {other}(x, {}))", -k, -k)
                } else {
                    String::new()
                };
                Err(Error::invalid(format!(
                    "{text}: the number of periods k of {name}(x, k) must be a whole number ≥ 1, here {}{hint}",
                    super::key_of_number(k)
                )))
            }
            None => Err(Error::invalid(format!(
                "{text}: the number of periods k of {name}(x, k) must be a constant such as 1 or 2, not a column"
            ))),
        }
    }

    /// Means of `x` over groups of rows (`group(r)` in `0..groups`), missing values skipped; a
    /// group without values gives NaN. Repeated on every row of the group.
    fn group_means(x: &[f64], groups: usize, group: impl Fn(usize) -> usize) -> Vec<f64> {
        let mut sum = vec![0.0; groups];
        let mut count = vec![0usize; groups];
        for (r, v) in x.iter().enumerate() {
            if !v.is_nan() {
                sum[group(r)] += v;
                count[group(r)] += 1;
            }
        }
        let mean: Vec<f64> = sum
            .iter()
            .zip(&count)
            .map(|(s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
            .collect();
        (0..x.len()).map(|r| mean[group(r)]).collect()
    }

    fn panel_call(&self, name: &str, args: &[Value], text: &str) -> Result<Vec<f64>> {
        let takes_k = matches!(name, "lag" | "lead");
        if args.is_empty() || args.len() > 1 + usize::from(takes_k) {
            let usage = if takes_k {
                format!("{name}(x) or {name}(x, k)")
            } else {
                format!("{name}(x)")
            };
            return Err(Error::invalid(format!(
                "{text}: {name}() takes one column or expression{}: write {usage}",
                if takes_k {
                    " and optionally a number of periods"
                } else {
                    ""
                }
            )));
        }
        let rows = self.nrows();
        let x = args[0].clone().into_vec(rows);
        let n = self.panel.n();
        Ok(match name {
            "lag" => self.panel.shift(&x, Self::order(args.get(1), name, text)?),
            "lead" => self.panel.shift(&x, -Self::order(args.get(1), name, text)?),
            "diff" => {
                let l = self.panel.shift(&x, 1);
                x.iter().zip(&l).map(|(a, b)| a - b).collect()
            }
            "growth" => {
                let l = self.panel.shift(&x, 1);
                if let Some(r) = (0..rows).find(|&r| l[r] == 0.0 && !x[r].is_nan()) {
                    return Err(Error::data(format!(
                        "{text} is not defined {}: the value in the previous period is 0, and growth \
                         = (x_t − x_(t−1)) / x_(t−1); drop or recode those rows, or use diff() instead",
                        self.locate(r)
                    )));
                }
                x.iter().zip(&l).map(|(a, b)| (a - b) / b).collect()
            }
            "unit_mean" => Self::group_means(&x, n, |r| r % n),
            "period_mean" => Self::group_means(&x, self.panel.t(), |r| r / n),
            _ => return Err(Error::invalid(format!("{text}: {name}() is not a panel function"))),
        })
    }
}

impl Context for PanelContext<'_> {
    fn nrows(&self) -> usize {
        self.frame.nrows()
    }

    fn column(&self, name: &str) -> Result<Vec<f64>> {
        self.frame.numeric(name).map(<[f64]>::to_vec)
    }

    fn call(&self, name: &str, args: &[Value], text: &str) -> Option<Result<Vec<f64>>> {
        PANEL_FUNCTIONS
            .contains(&name)
            .then(|| self.panel_call(name, args, text))
    }

    fn functions(&self) -> Vec<&'static str> {
        PANEL_FUNCTIONS.to_vec()
    }

    fn locate(&self, r: usize) -> String {
        let n = self.panel.n();
        format!(
            "for unit {} in period {}",
            self.panel.ids()[r % n],
            self.panel.times()[r / n]
        )
    }
}

/// `e` with `prefix` before its message.
fn prefixed(e: Error, prefix: &str) -> Error {
    match e {
        Error::Data(m) => Error::Data(format!("{prefix}{m}")),
        Error::Invalid(m) => Error::Invalid(format!("{prefix}{m}")),
        Error::Numeric(m) => Error::Numeric(format!("{prefix}{m}")),
        other => other,
    }
}

/// The values of expression `text` on every row of `frame` (a constant is repeated).
pub fn compute_frame(frame: &Frame, text: &str) -> Result<Vec<f64>> {
    Expr::parse(text)?.eval_vec(&FrameContext::new(frame))
}

/// The values of expression `text` on every row of `panel`, in panel row order (time-slow),
/// with the panel functions ([`PANEL_FUNCTIONS`]).
pub fn compute_panel(panel: &Panel, text: &str) -> Result<Vec<f64>> {
    Expr::parse(text)?.eval_vec(&PanelContext::new(panel))
}

/// The assignments (name, expression) in the order they can be computed: an expression that
/// uses a name assigned in the same call comes after that assignment (its new values), others
/// keep their order; an expression that uses its own name reads the existing column. A cycle
/// (`a` from `b` and `b` from `a`) or a name assigned twice is an error.
fn ordered(assignments: &[(String, String)]) -> Result<Vec<(String, Expr)>> {
    let mut parsed = Vec::with_capacity(assignments.len());
    for (k, (name, text)) in assignments.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(Error::invalid(format!(
                "mutate: the column name for \"{text}\" is empty"
            )));
        }
        if assignments[..k].iter().any(|(n, _)| n == name) {
            return Err(Error::invalid(format!("mutate: column '{name}' is assigned twice")));
        }
        let e = Expr::parse(text).map_err(|e| prefixed(e, &format!("mutate {name}: ")))?;
        parsed.push((name.clone(), e));
    }
    let deps: Vec<Vec<usize>> = parsed
        .iter()
        .enumerate()
        .map(|(i, (_, e))| {
            let cols = e.columns();
            (0..parsed.len())
                .filter(|&j| j != i && cols.contains(&parsed[j].0))
                .collect()
        })
        .collect();
    let mut done = vec![false; parsed.len()];
    let mut order = Vec::with_capacity(parsed.len());
    while order.len() < parsed.len() {
        let next = (0..parsed.len()).find(|&i| !done[i] && deps[i].iter().all(|&j| done[j]));
        match next {
            Some(i) => {
                done[i] = true;
                order.push(i);
            }
            None => {
                let left: Vec<String> = (0..parsed.len())
                    .filter(|&i| !done[i])
                    .map(|i| format!("{} = {}", parsed[i].0, parsed[i].1))
                    .collect();
                return Err(Error::invalid(format!(
                    "mutate: the new columns depend on each other in a cycle ({}); compute them in separate steps",
                    left.join("; ")
                )));
            }
        }
    }
    let mut slots: Vec<Option<(String, Expr)>> = parsed.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// `frame` with one column per assignment (name, expression) added, or replaced when the name
/// exists, and the names of the columns replaced (in the order computed). The assignments are
/// computed in order, an expression that uses a name assigned in the same call after that
/// assignment (see the module documentation); each later expression sees the earlier results.
/// Errors name the assignment: "mutate ratio: ...".
pub fn mutate_frame(frame: &Frame, assignments: &[(String, String)]) -> Result<(Frame, Vec<String>)> {
    mutate_with(frame, assignments, |f, e| e.eval_vec(&FrameContext::new(f)))
}

/// [`mutate_frame`] on a panel, with the panel functions; the id and time columns cannot be
/// replaced (that would change the panel's units or periods).
pub fn mutate_panel(panel: &Panel, assignments: &[(String, String)]) -> Result<(Panel, Vec<String>)> {
    for (name, _) in assignments {
        if name == panel.id_name() || name == panel.time_name() {
            return Err(Error::invalid(format!(
                "mutate: '{name}' is the panel's {} column and cannot be replaced; write the result under another name",
                if name == panel.id_name() { "id" } else { "time" }
            )));
        }
    }
    let (f, replaced) = mutate_with(panel.frame(), assignments, |f, e| {
        e.eval_vec(&PanelContext::with_frame(panel, f)?)
    })?;
    Ok((panel.with_frame(f)?, replaced))
}

fn mutate_with(
    frame: &Frame,
    assignments: &[(String, String)],
    eval: impl Fn(&Frame, &Expr) -> Result<Vec<f64>>,
) -> Result<(Frame, Vec<String>)> {
    let mut out = frame.clone();
    let mut replaced = Vec::new();
    for (name, e) in ordered(assignments)? {
        let v = eval(&out, &e).map_err(|err| prefixed(err, &format!("mutate {name}: ")))?;
        if frame.has(&name) {
            replaced.push(name.clone());
        }
        out = out.with_column(&name, Column::Num(v))?;
    }
    Ok((out, replaced))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel() -> Panel {
        let f = Frame::from_columns(vec![
            (
                "id".into(),
                Column::Text(["a", "b", "a", "b"].map(String::from).to_vec()),
            ),
            ("t".into(), Column::Num(vec![1.0, 1.0, 2.0, 2.0])),
            ("x".into(), Column::Num(vec![1.0, 2.0, 3.0, f64::NAN])),
        ])
        .unwrap();
        Panel::new(&f, "id", "t").unwrap()
    }

    #[test]
    fn panel_functions() {
        let p = panel();
        let v = compute_panel(&p, "lag(x)").unwrap();
        assert!(v[0].is_nan() && v[1].is_nan() && v[2] == 1.0 && v[3] == 2.0);
        let v = compute_panel(&p, "unit_mean(x)").unwrap();
        assert_eq!(v, vec![2.0, 2.0, 2.0, 2.0]);
        let v = compute_panel(&p, "period_mean(x)").unwrap();
        assert_eq!(v, vec![1.5, 1.5, 3.0, 3.0]);
    }

    #[test]
    fn assignments_follow_their_dependencies() {
        let a = |n: &str, t: &str| (n.to_string(), t.to_string());
        let o = ordered(&[a("b", "a^2"), a("a", "log(x)"), a("x", "x + 1")]).unwrap();
        let names: Vec<&str> = o.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x", "a", "b"]);
        let e = ordered(&[a("a", "b"), a("b", "a")]).unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");
    }
}
