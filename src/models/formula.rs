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
    /// surrounding spaces are trimmed). A name may not repeat, and a regressor may not take a
    /// name the models use for their own coefficients ([`RESERVED_TERMS`], `W*...`).
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
            if let Some(why) = reserved_term(term) {
                return Err(Error::invalid(format!(
                    "formula \"{s}\": regressor '{term}' {why}; rename the column (e.g. \"{term}_x\") and the term"
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

/// Term names that the fitted models give their own coefficients: the spatial parameters,
/// σ², φ and the pooled intercept. A regressor may not take one of them (nor start with `W*`,
/// the prefix of lagged regressors), so that every coefficient name in a result is unambiguous.
pub const RESERVED_TERMS: [&str; 5] = ["rho", "lambda", "sigma2", "phi", "(intercept)"];

/// Why `term` cannot name a regressor, if it cannot.
pub fn reserved_term(term: &str) -> Option<String> {
    if RESERVED_TERMS.contains(&term) {
        Some(format!(
            "is a reserved name (the models name their own coefficients {})",
            RESERVED_TERMS.map(|t| format!("'{t}'")).join(", ")
        ))
    } else if term.starts_with("W*") {
        Some("starts with 'W*', the prefix of spatially lagged regressors".to_string())
    } else {
        None
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

/// The columns of `f` whose values, as a set, are exactly the ids `ids` (each once), in frame
/// order: the candidates for the id column of a cross-section matched to W.
pub fn id_columns_matching(f: &Frame, ids: &[String]) -> Vec<String> {
    let want: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    if f.nrows() != ids.len() || want.len() != ids.len() {
        return Vec::new();
    }
    f.names()
        .iter()
        .filter(|c| {
            f.keys(c).is_ok_and(|k| {
                let got: std::collections::HashSet<&str> = k.iter().map(String::as_str).collect();
                got.len() == k.len() && got == want
            })
        })
        .cloned()
        .collect()
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

    /// The cross-section design of `formula` over `f` with its rows matched to the units of a
    /// weights matrix (ids `w_ids`) by id, never by position, and put in W's order. The id
    /// column is `id` when given, else the column named "id"; without either the error names
    /// the columns whose values are W's ids (so the user can pass one as option `id`). Ids on
    /// one side only, or repeated, are an error naming some of them.
    pub fn from_frame_matched(f: &Frame, formula: &Formula, id: Option<&str>, w_ids: &[String]) -> Result<Design> {
        let hint = || match id_columns_matching(f, w_ids).as_slice() {
            [] => format!(
                "no column of the frame holds exactly W's {} unit ids ({}); add them as a column and pass its name \
                 as option id",
                w_ids.len(),
                crate::error::list_some(w_ids, 5)
            ),
            cols => format!(
                "column(s) holding W's ids: {}; pass e.g. #{{id: \"{}\"}}",
                cols.join(", "),
                cols[0]
            ),
        };
        let col = match id {
            Some(c) => c,
            None if f.has("id") => "id",
            None => {
                return Err(Error::data(format!(
                    "the rows of a Frame are matched to the units of W by id, but there is no option id and no column \
                     named \"id\"; {}",
                    hint()
                )))
            }
        };
        check_names(formula, f.names())?;
        let keys = f.keys(col)?;
        let pos = crate::weights::positions_of(w_ids, &keys).map_err(|e| {
            let more = if id.is_none() && !id_columns_matching(f, w_ids).is_empty() {
                format!(" ({})", hint())
            } else {
                String::new()
            };
            Error::data(format!("rows matched to W by the id column '{col}'{more}: {e}"))
        })?;
        let d = Design::from_frame(f, formula, Some(col))?;
        // Row r holds unit pos[r] of W: put unit k's row at k.
        let mut order = vec![0; pos.len()];
        for (r, &k) in pos.iter().enumerate() {
            order[k] = r;
        }
        let take = |v: &[f64]| order.iter().map(|&r| v[r]).collect::<Vec<f64>>();
        Ok(Design {
            y: take(&d.y),
            x: d.x.iter().map(|c| take(c)).collect(),
            ids: order.iter().map(|&r| d.ids[r].clone()).collect(),
            ..d
        })
    }

    /// Number of observations NT.
    pub fn nobs(&self) -> usize {
        self.y.len()
    }

    /// A hash of each variable's values (dependent variable and regressors), keyed by unit and
    /// period and independent of the row order (see [`crate::models::Provenance::data`]).
    pub fn fingerprints(&self) -> std::collections::BTreeMap<String, u64> {
        let n = self.n.max(1);
        let hash = |x: &[f64]| {
            crate::models::result::set_hash(
                x.iter()
                    .enumerate()
                    .map(|(r, v)| (&self.ids[r % n], &self.times[r / n], v.to_bits())),
            )
        };
        std::iter::once((self.depvar.clone(), hash(&self.y)))
            .chain(self.names.iter().zip(&self.x).map(|(k, x)| (k.clone(), hash(x))))
            .collect()
    }

    /// The provenance of a model of this design: regressors, the data fingerprints, and the
    /// given coefficient roles.
    pub fn provenance(
        &self,
        beta_index: Vec<usize>,
        theta_index: Vec<Option<usize>>,
        spatial_index: Option<usize>,
        weights: Option<crate::models::WeightsFingerprint>,
    ) -> crate::models::Provenance {
        crate::models::Provenance {
            regressors: self.names.clone(),
            beta_index,
            theta_index,
            spatial_index,
            weights,
            data: self.fingerprints(),
        }
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
