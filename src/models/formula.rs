//! Model formulas `"y ~ x1 + x2"` and the design (y and X stacked time-slow) they select from
//! a panel or a cross-section.

use super::terms::{parse_terms, Atom, Term, Terms};
use super::within::{demean, is_absorbed, Fe};
use crate::data::expr::Context;
use crate::data::{Frame, Panel};
use crate::error::{closest, Error, Result};
use std::borrow::Cow;

/// A parsed formula (docs/scripting.md "Formulas"; [`crate::models::terms`] for the
/// grammar): the dependent variable and the regressor terms as R labels them, in R's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    /// Left-hand side (`gsp`, `log(gsp)`).
    pub depvar: String,
    /// Right-hand-side terms in R's order, as R labels them (`x`, `log(pc)`, `factor(region)`,
    /// `x:z`); a factor is one term here and one dummy column per level in a [`Design`].
    pub regressors: Vec<String>,
    /// False when the formula removes the intercept (`- 1`, `+ 0`).
    pub intercept: bool,
    /// The formula as written (the design resolves its terms against the data's columns).
    text: String,
}

impl Formula {
    /// Parses `"y ~ x1 + x2"` and R's term notation: `log(x)`, `I(a + b)`, `a:b`, `a*b`,
    /// `factor(g)`, `- 1`. Without the data, text that is not term syntax is a column name as
    /// written (`x 2`). A term may not repeat, and a regressor may not take a name the models
    /// use for their own coefficients ([`RESERVED_TERMS`], `W*...`).
    pub fn parse(s: &str) -> Result<Formula> {
        let t = parse_terms(s, None)?;
        Ok(Formula {
            depvar: t.lhs.label(),
            regressors: t.terms.iter().map(Term::label).collect(),
            intercept: t.intercept,
            text: s.to_string(),
        })
    }

    /// The formula as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The terms of the formula over data with columns `columns`: text that is exactly a
    /// column's name is that column, and every name must be a column (else an error naming
    /// the closest).
    pub fn terms_over(&self, columns: &[String]) -> Result<Terms> {
        let t = parse_terms(&self.text, Some(columns))?;
        for v in t.columns() {
            if !columns.contains(&v) {
                let hint = closest(&v, columns.iter().map(String::as_str))
                    .map(|c| format!("; did you mean '{c}'?"))
                    .unwrap_or_default();
                return Err(Error::data(format!("formula: unknown variable '{v}'{hint}")));
            }
        }
        Ok(t)
    }
}

pub use super::terms::{reserved_term, RESERVED_TERMS};

/// Notes of a design under fixed effects for the model's `info` (key, text).
pub type Notes = Vec<(String, String)>;

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
    /// Whether a pooled model (fe "none") adds an intercept: false after `- 1` / `+ 0`.
    pub intercept: bool,
    /// For each regressor column, the factor term it is a dummy of (`factor(region)`, also in
    /// an interaction such as `factor(region):x`), `None` otherwise; missing entries are
    /// `None`. Fixed effects drop the factor columns they absorb ([`Design::for_fe`]).
    pub factor_of: Vec<Option<String>>,
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

/// The rows a design reads its columns from: a balanced panel (stacked time-slow) or a
/// cross-section with its unit ids. As an expression [`Context`] a column with a missing or
/// infinite value, or one beyond [`MAX_MAGNITUDE`], is an error naming the variable and the
/// unit and period (cross-section: unit and row).
enum Rows<'a> {
    Panel(&'a Panel),
    Frame(&'a Frame, &'a [String]),
}

impl Rows<'_> {
    fn frame(&self) -> &Frame {
        match self {
            Rows::Panel(p) => p.frame(),
            Rows::Frame(f, _) => f,
        }
    }

    /// The levels of column `g` row by row (its keys as written; [`Frame::keys`]); a missing
    /// cell is an error naming the variable and where.
    fn levels(&self, g: &str) -> Result<Vec<String>> {
        let cells = self.frame().key_cells(g)?;
        cells
            .into_iter()
            .enumerate()
            .map(|(r, k)| {
                k.ok_or_else(|| {
                    Error::data(format!(
                        "variable '{g}' is missing {}; factor() needs a level in every row: fill the cell or drop \
                         the row",
                        self.locate(r)
                    ))
                })
            })
            .collect()
    }
}

impl Context for Rows<'_> {
    fn nrows(&self) -> usize {
        self.frame().nrows()
    }

    fn column(&self, v: &str) -> Result<Vec<f64>> {
        let x = match self {
            Rows::Panel(p) => p.var_complete(v)?,
            Rows::Frame(f, ids) => {
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
                x
            }
        };
        check_magnitude(v, x, |r| self.locate(r))?;
        Ok(x.to_vec())
    }

    fn locate(&self, r: usize) -> String {
        match self {
            Rows::Panel(p) => format!("for unit {} in period {}", p.ids()[r % p.n()], p.times()[r / p.n()]),
            Rows::Frame(_, ids) => format!("for unit {} (row {})", ids[r], r + 1),
        }
    }
}

/// The levels of a factor in R's order: numerically when every level is a number, else as
/// text.
pub(crate) fn sorted_levels(keys: &[String]) -> Vec<String> {
    let mut levels: Vec<String> = keys.to_vec();
    levels.sort();
    levels.dedup();
    let nums: Option<Vec<f64>> = levels.iter().map(|k| k.trim().parse::<f64>().ok()).collect();
    if let Some(nums) = nums {
        let mut pairs: Vec<(f64, String)> = nums.into_iter().zip(levels).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        levels = pairs.into_iter().map(|(_, k)| k).collect();
    }
    levels
}

/// The columns of one atom over `rows`: a column, a transformation (an invalid value is an
/// error naming the term, the unit and the period), or the treatment dummies of a factor
/// (first level dropped), each with its name.
fn atom_columns(atom: &Atom, rows: &Rows) -> Result<Vec<(String, Vec<f64>)>> {
    let label = atom.label();
    match atom {
        Atom::Column(c) => Ok(vec![(label, rows.column(c)?)]),
        Atom::Expr(e) => {
            let v = e
                .eval_vec(rows)
                .map_err(|err| err.prefixed(&format!("formula term '{label}': ")))?;
            check_magnitude(&label, &v, |r| rows.locate(r))?;
            Ok(vec![(label, v)])
        }
        Atom::Factor(g) => {
            let keys = rows.levels(g)?;
            Ok(sorted_levels(&keys)
                .iter()
                .skip(1)
                .map(|level| {
                    let d = keys.iter().map(|k| f64::from(u8::from(k == level))).collect();
                    (format!("{label}{level}"), d)
                })
                .collect())
        }
    }
}

impl Design {
    /// The design of `formula` over a balanced panel; a missing value is refused naming
    /// variable, unit and period.
    pub fn from_panel(p: &Panel, formula: &Formula) -> Result<Design> {
        let terms = formula.terms_over(p.frame().names())?;
        Design::assemble(
            &terms,
            &Rows::Panel(p),
            p.n(),
            p.t(),
            p.ids().to_vec(),
            p.times().to_vec(),
        )
    }

    /// y and the regressor columns of `terms` over `rows` (each term's columns: the product
    /// of its atoms' columns, names joined by ':'), with the panel's dimensions and keys.
    fn assemble(
        terms: &Terms,
        rows: &Rows,
        n: usize,
        t: usize,
        ids: Vec<String>,
        times: Vec<String>,
    ) -> Result<Design> {
        let (depvar, y) = atom_columns(&terms.lhs, rows)?.swap_remove(0);
        let (mut names, mut x, mut factor_of) = (Vec::new(), Vec::new(), Vec::new());
        for term in &terms.terms {
            let mut cols: Vec<(String, Vec<f64>)> = Vec::new();
            for (k, atom) in term.0.iter().enumerate() {
                let a = atom_columns(atom, rows)?;
                cols = if k == 0 {
                    a
                } else {
                    // The first atom's columns vary fastest, as in R's model.matrix.
                    a.iter()
                        .flat_map(|(rn, rv)| {
                            cols.iter().map(move |(ln, lv)| {
                                (format!("{ln}:{rn}"), lv.iter().zip(rv).map(|(p, q)| p * q).collect())
                            })
                        })
                        .collect()
                };
            }
            let factor = term.has_factor().then(|| term.label());
            for (name, v) in cols {
                if names.contains(&name) || name == depvar {
                    return Err(Error::invalid(format!(
                        "formula: the column '{name}' is made twice (by term '{}'); drop one of the terms",
                        term.label()
                    )));
                }
                names.push(name);
                x.push(v);
                factor_of.push(factor.clone());
            }
        }
        Ok(Design {
            depvar,
            names,
            y,
            x,
            n,
            t,
            ids,
            times,
            intercept: terms.intercept,
            factor_of,
        })
    }

    /// The design of `formula` over a cross-section (T = 1). Unit ids come from column `id`
    /// when given, else they are the row numbers 1..N.
    pub fn from_frame(f: &Frame, formula: &Formula, id: Option<&str>) -> Result<Design> {
        let terms = formula.terms_over(f.names())?;
        let ids = match id {
            Some(c) => f.keys(c)?,
            None => (1..=f.nrows()).map(|i| i.to_string()).collect(),
        };
        let n = f.nrows();
        Design::assemble(&terms, &Rows::Frame(f, &ids), n, 1, ids.clone(), vec!["1".into()])
    }

    /// The design as a model with fixed effects `fe` fits it, with notes for the model's
    /// `info`: the factor dummies that the effects absorb ([`is_absorbed`], e.g.
    /// a region dummy under unit effects) are dropped and listed under "absorbed_terms", and a
    /// formula without intercept is noted under "intercept" (under fixed effects `- 1` changes
    /// nothing: there is no intercept to remove). Other absorbed regressors stay, for the
    /// estimator to refuse by name. Every regressor absorbed is an error.
    pub fn for_fe(&self, fe: Fe) -> Result<(Cow<'_, Design>, Notes)> {
        let mut notes = Vec::new();
        if !self.intercept && fe == Fe::Random {
            return Err(Error::invalid(
                "fe: \"random\" keeps the intercept (E[μ_i] is absorbed in it); drop '- 1' / '+ 0' from the formula",
            ));
        }
        if !self.intercept {
            notes.push((
                "intercept".to_string(),
                if fe == Fe::None {
                    "none (the formula removes it)".to_string()
                } else {
                    format!(
                        "none: the {} fixed effects leave no intercept, so '- 1' in the formula changes nothing",
                        fe.name()
                    )
                },
            ));
        }
        let absorbed: Vec<usize> = if fe == Fe::None || self.n == 0 {
            Vec::new()
        } else {
            (0..self.x.len())
                .filter(|&j| self.factor_of.get(j).is_some_and(Option::is_some))
                .filter(|&j| is_absorbed(&self.x[j], &demean(&self.x[j], self.n, fe)))
                .collect()
        };
        if absorbed.is_empty() {
            return Ok((Cow::Borrowed(self), notes));
        }
        let dropped: Vec<&String> = absorbed.iter().map(|&j| &self.names[j]).collect();
        let why = match fe {
            Fe::Individual => "constant within every unit, so the individual fixed effects absorb them",
            Fe::Time => "constant within every period, so the time fixed effects absorb them",
            _ => "a unit part plus a period part (e.g. constant within every unit), so the two-way fixed effects absorb them",
        };
        if absorbed.len() == self.x.len() {
            return Err(Error::data(format!(
                "every regressor is absorbed by the {} fixed effects ({}: {why}); add regressors that vary within \
                 units and periods, or use other fixed effects",
                fe.name(),
                crate::error::list_some(&dropped, 10)
            )));
        }
        notes.push((
            "absorbed_terms".to_string(),
            format!("{} dropped ({why})", crate::error::list_some(&dropped, 20)),
        ));
        let keep = |j: &usize| !absorbed.contains(j);
        let mut d = self.clone();
        d.names = (0..self.x.len()).filter(keep).map(|j| self.names[j].clone()).collect();
        d.x = (0..self.x.len()).filter(keep).map(|j| self.x[j].clone()).collect();
        d.factor_of = (0..self.x.len())
            .filter(keep)
            .map(|j| self.factor_of.get(j).cloned().flatten())
            .collect();
        Ok((Cow::Owned(d), notes))
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
        formula.terms_over(f.names())?;
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
            time_dummies: None,
            scores: None,
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
