//! Model formulas `"y ~ x1 + x2"` and the design (y and X stacked time-slow) they select from
//! a panel or a cross-section.

use crate::data::{Frame, Panel};
use crate::error::{closest, Error, Result};

/// A parsed formula: dependent variable and regressors (column names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    /// Left-hand side.
    pub depvar: String,
    /// Right-hand-side terms in order.
    pub regressors: Vec<String>,
}

impl Formula {
    /// Parses `"y ~ x1 + x2"`. Names are column names (any characters but `~` and `+`;
    /// surrounding spaces are trimmed). A name may not repeat.
    pub fn parse(s: &str) -> Result<Formula> {
        let bad = |msg: &str| Error::invalid(format!("formula \"{s}\": {msg}; write it as \"y ~ x1 + x2\""));
        let mut parts = s.splitn(2, '~');
        let lhs = parts.next().unwrap_or("").trim();
        let rhs = parts
            .next()
            .ok_or_else(|| bad("no '~' between the dependent variable and the regressors"))?;
        if lhs.is_empty() {
            return Err(bad("no dependent variable before '~'"));
        }
        if lhs.contains('+') || rhs.contains('~') {
            return Err(bad("one dependent variable and one '~' expected"));
        }
        let mut regressors = Vec::new();
        for (k, term) in rhs.split('+').enumerate() {
            let term = term.trim();
            if term.is_empty() {
                return Err(bad(&format!("regressor {} is empty (a stray '+'?)", k + 1)));
            }
            if term == "1" || term == "0" || term.starts_with('-') {
                return Err(bad(&format!(
                    "'{term}': intercepts follow the fixed effects (fe: \"none\" has one); drop the term"
                )));
            }
            if regressors.iter().any(|r| r == term) || term == lhs {
                return Err(bad(&format!("'{term}' appears twice")));
            }
            regressors.push(term.to_string());
        }
        Ok(Formula {
            depvar: lhs.to_string(),
            regressors,
        })
    }
}

/// The data of a formula: y and the regressor columns, raw (not demeaned), stacked
/// time-slow over N units and T periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Dependent variable name.
    pub depvar: String,
    /// Regressor names.
    pub names: Vec<String>,
    /// y (length NT).
    pub y: Vec<f64>,
    /// Regressor columns (each length NT).
    pub x: Vec<Vec<f64>>,
    /// Units.
    pub n: usize,
    /// Periods.
    pub t: usize,
    /// Unit ids (length N).
    pub ids: Vec<String>,
    /// Period keys (length T).
    pub times: Vec<String>,
}

fn check_names(formula: &Formula, names: &[String]) -> Result<()> {
    for v in std::iter::once(&formula.depvar).chain(&formula.regressors) {
        if !names.contains(v) {
            let hint = closest(v, names.iter().map(String::as_str))
                .map(|c| format!("; did you mean '{c}'?"))
                .unwrap_or_default();
            return Err(Error::data(format!("formula: unknown variable '{v}'{hint}")));
        }
    }
    Ok(())
}

/// Largest magnitude accepted in a design: beyond it the sums of squares and cross-products
/// of an estimator overflow (1e100² · NT is far below f64::MAX ≈ 1.8e308, 1e155² is not).
pub const MAX_MAGNITUDE: f64 = 1e100;

/// Refuses values beyond [`MAX_MAGNITUDE`], naming the variable and where (`at(row)`).
fn check_magnitude(v: &str, x: &[f64], at: impl Fn(usize) -> String) -> Result<()> {
    match x.iter().position(|a| a.abs() > MAX_MAGNITUDE) {
        Some(r) => Err(Error::data(format!(
            "variable '{v}' holds {:e} {}: values beyond ±1e100 overflow the sums of squares; rescale it \
             (divide by a power of ten, or take logs)",
            x[r],
            at(r)
        ))),
        None => Ok(()),
    }
}

impl Design {
    /// The design of `formula` over a balanced panel; NaN is refused naming variable, unit
    /// and period.
    pub fn from_panel(p: &Panel, formula: &Formula) -> Result<Design> {
        check_names(formula, p.frame().names())?;
        let col = |v: &str| -> Result<Vec<f64>> {
            let x = p.var_complete(v)?;
            check_magnitude(v, x, |r| {
                format!("for unit {} in period {}", p.ids()[r % p.n()], p.times()[r / p.n()])
            })?;
            Ok(x.to_vec())
        };
        Design::assemble(formula, col, p.n(), p.t(), p.ids().to_vec(), p.times().to_vec())
    }

    /// y and X columns of `formula` read through `col`, with the panel's dimensions and keys.
    fn assemble(
        formula: &Formula,
        col: impl Fn(&str) -> Result<Vec<f64>>,
        n: usize,
        t: usize,
        ids: Vec<String>,
        times: Vec<String>,
    ) -> Result<Design> {
        let y = col(&formula.depvar)?;
        let x = formula.regressors.iter().map(|v| col(v)).collect::<Result<Vec<_>>>()?;
        Ok(Design {
            depvar: formula.depvar.clone(),
            names: formula.regressors.clone(),
            y,
            x,
            n,
            t,
            ids,
            times,
        })
    }

    /// The design of `formula` over a cross-section (T = 1). Unit ids come from column `id`
    /// when given, else they are the row numbers 1..N.
    pub fn from_frame(f: &Frame, formula: &Formula, id: Option<&str>) -> Result<Design> {
        check_names(formula, f.names())?;
        let ids = match id {
            Some(c) => f.keys(c)?,
            None => (1..=f.nrows()).map(|i| i.to_string()).collect(),
        };
        let col = |v: &str| -> Result<Vec<f64>> {
            let x = f.numeric(v)?;
            if let Some(r) = x.iter().position(|a| !a.is_finite()) {
                return Err(Error::data(format!(
                    "variable '{v}' is {} for unit {} (row {}){}; estimators need complete, finite data",
                    crate::data::nonfinite_word(x[r]),
                    ids[r],
                    r + 1,
                    f.missing_note(v, r)
                )));
            }
            check_magnitude(v, x, |r| format!("for unit {} (row {})", ids[r], r + 1))?;
            Ok(x.to_vec())
        };
        let n = f.nrows();
        Design::assemble(formula, col, n, 1, ids.clone(), vec!["1".into()])
    }

    /// Number of observations NT.
    pub fn nobs(&self) -> usize {
        self.y.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let f = Formula::parse(" y ~ x1 +  x 2 ").unwrap();
        assert_eq!(f.depvar, "y");
        assert_eq!(f.regressors, vec!["x1", "x 2"]);
        assert!(Formula::parse("y x").unwrap_err().to_string().contains("'~'"));
        assert!(Formula::parse("y ~ x +").unwrap_err().to_string().contains("empty"));
        assert!(Formula::parse("y ~ x + x").unwrap_err().to_string().contains("twice"));
    }
}
