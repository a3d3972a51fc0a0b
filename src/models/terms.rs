//! The terms of a model formula in R's notation (docs/scripting.md "Formulas"): parsing
//! `"log(y) ~ x*z + I(x^2) + factor(region) - 1"` into the dependent variable, the terms in R's
//! order and whether the model keeps its intercept.
//!
//! ```text
//! formula := lhs "~" rhs
//! rhs     := item (("+" | "-") item)*          "- 1" / "+ 0" remove the intercept ("+ 1" keeps it), "- t" removes term t
//! item    := product ("*" product)*            a*b = a + b + a:b (every sub-product)
//! product := atom (":" atom)*                  the interaction: element-wise product
//! atom    := column | `odd name` | f(expr) | I(expr) | factor(column)
//! ```
//! The operators split only outside parentheses and backquotes, so `I(a*b + c)` is one atom.
//! Any text that is exactly the name of a column of the data is that column (checked first, at
//! every level), so columns named `x 2` or `gdp-growth` keep working as written. Terms come in
//! R's order: by degree (main effects, then two-way interactions, ...), in the order written
//! within a degree; a term may appear once (`a:b` and `b:a` are the same term).

use crate::data::expr::{self, Expr};
use crate::error::{closest, Error, Result};

/// One factor of a term.
#[derive(Debug, Clone, PartialEq)]
pub enum Atom {
    /// A column as it is, named exactly as in the data.
    Column(String),
    /// An element-wise transformation of columns: `log(x)`, `I(a + b)`.
    Expr(Expr),
    /// `factor(g)`: treatment dummies of the levels of column g (first level dropped).
    Factor(String),
}

impl Atom {
    /// The name R gives it: the column name, the deparsed expression (`I(hwy + water)`), or
    /// `factor(g)`.
    pub fn label(&self) -> String {
        match self {
            Atom::Column(c) => c.clone(),
            Atom::Expr(e) => e.to_string(),
            Atom::Factor(g) => format!("factor({})", Expr::Col(g.clone())),
        }
    }

    /// The columns it reads.
    pub fn columns(&self) -> Vec<String> {
        match self {
            Atom::Column(c) | Atom::Factor(c) => vec![c.clone()],
            Atom::Expr(e) => e.columns(),
        }
    }
}

/// A term: one atom, or the interaction (element-wise product) of several (`a:b`).
#[derive(Debug, Clone, PartialEq)]
pub struct Term(pub Vec<Atom>);

impl Term {
    /// R's label: the atoms' labels joined by `:`.
    pub fn label(&self) -> String {
        self.0.iter().map(Atom::label).collect::<Vec<_>>().join(":")
    }

    /// True when some atom is a `factor(...)`.
    pub fn has_factor(&self) -> bool {
        self.0.iter().any(|a| matches!(a, Atom::Factor(_)))
    }

    /// The atoms' labels, sorted (`a:b` and `b:a` are one term).
    fn key(&self) -> Vec<String> {
        let mut k: Vec<String> = self.0.iter().map(Atom::label).collect();
        k.sort();
        k
    }
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    /// The dependent variable (a column or a transformation; never a factor).
    pub lhs: Atom,
    /// The right-hand-side terms in R's order.
    pub terms: Vec<Term>,
    /// False after `- 1` or `+ 0`: a pooled model without intercept.
    pub intercept: bool,
}

impl Terms {
    /// Every column read by the formula, each once, dependent variable first.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in std::iter::once(&self.lhs)
            .chain(self.terms.iter().flat_map(|t| &t.0))
            .flat_map(Atom::columns)
        {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }
}

/// The functions a formula term may call: the element-wise ones of [`crate::data::expr`]
/// and `factor`.
pub fn formula_functions() -> Vec<&'static str> {
    let mut f = expr::elementwise_names();
    f.push("factor");
    f
}

/// Splits `text` at the top-level occurrences of `seps` (outside parentheses and
/// backquotes): each piece with the separator before it (`None` for the first).
fn split_top<'a>(text: &'a str, seps: &[char]) -> Vec<(Option<char>, &'a str)> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start, mut sep) = (0i32, false, 0, None);
    for (i, c) in text.char_indices() {
        match c {
            '`' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            c if !quoted && depth == 0 && seps.contains(&c) => {
                out.push((sep, &text[start..i]));
                sep = Some(c);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push((sep, &text[start..]));
    out
}

/// Why the parentheses or backquotes of `text` do not balance, if they do not.
fn unbalanced(text: &str) -> Option<String> {
    let (mut open, mut quoted): (Vec<usize>, Option<usize>) = (Vec::new(), None);
    for (k, c) in text.chars().enumerate() {
        match c {
            '`' => quoted = if quoted.is_some() { None } else { Some(k) },
            '(' if quoted.is_none() => open.push(k),
            // (a ')' that closes an open '(' pops it and goes on)
            ')' if quoted.is_none() && open.pop().is_none() => {
                return Some(format!(
                    "unbalanced parentheses: ')' at character {} closes nothing",
                    k + 1
                ));
            }
            _ => {}
        }
    }
    if let Some(k) = quoted {
        return Some(format!("the backquote at character {} is never closed", k + 1));
    }
    open.first()
        .map(|k| format!("unbalanced parentheses: '(' at character {} is never closed", k + 1))
}

/// Parser state: the formula text (for messages) and the data's column names (`None`: no
/// data, so text that is not term syntax is taken for a column name, as written).
struct Parse<'a> {
    formula: &'a str,
    columns: Option<&'a [String]>,
}

impl Parse<'_> {
    fn bad(&self, msg: &str) -> Error {
        Error::invalid(format!(
            "formula \"{}\": {msg}; write it as \"y ~ x1 + x2\"",
            self.formula
        ))
    }

    fn is_col(&self, text: &str) -> bool {
        self.columns.is_some_and(|c| c.iter().any(|n| n == text))
    }

    /// One atom: a column, a transformation or (when `factor_ok`) `factor(column)`.
    fn atom(&self, text: &str, factor_ok: bool) -> Result<Atom> {
        if self.is_col(text) {
            return Ok(Atom::Column(text.to_string()));
        }
        let lenient = self.columns.is_none();
        let e = match Expr::parse(text) {
            Ok(e) => e,
            Err(_) if lenient => return Ok(Atom::Column(text.to_string())),
            Err(_) if !text.contains(['(', '`']) => {
                let cols = self.columns.unwrap_or_default();
                let hint = closest(text, cols.iter().map(String::as_str))
                    .map(|c| format!("; did you mean '{c}'?"))
                    .unwrap_or_default();
                return Err(Error::data(format!("formula: unknown variable '{text}'{hint}")));
            }
            Err(e) => return Err(Error::invalid(format!("formula \"{}\": {e}", self.formula))),
        };
        match e {
            Expr::Col(c) => Ok(Atom::Column(c)),
            Expr::Call(ref f, ref args) if f == "factor" => {
                if !factor_ok {
                    return Err(self.bad(&format!(
                        "'{text}': factor() makes dummies of the regressors, not a dependent variable"
                    )));
                }
                match args.as_slice() {
                    [Expr::Col(g)] => Ok(Atom::Factor(g.clone())),
                    _ => Err(self.bad(&format!(
                        "'{text}': factor() takes one column name, e.g. factor(region)"
                    ))),
                }
            }
            Expr::Call(..) => {
                self.check_functions(&e, text)?;
                Ok(Atom::Expr(e))
            }
            _ if lenient => Ok(Atom::Column(text.to_string())),
            Expr::Num(_) => Err(self.bad(&format!(
                "'{text}': a number is not a term (write - 1 or + 0 to remove the intercept; arithmetic goes \
                 inside I(...))"
            ))),
            _ => Err(self.bad(&format!(
                "'{text}': arithmetic in a formula goes inside I(...), e.g. I({e}); in a formula + adds terms, \
                 : and * make interactions"
            ))),
        }
    }

    /// Refuses a call of a function that formulas do not have, naming it and the closest one.
    fn check_functions(&self, e: &Expr, text: &str) -> Result<()> {
        match e {
            Expr::Num(_) | Expr::Col(_) => Ok(()),
            Expr::Neg(a) | Expr::Paren(a) => self.check_functions(a, text),
            Expr::Bin(_, a, b) => {
                self.check_functions(a, text)?;
                self.check_functions(b, text)
            }
            Expr::Call(f, args) => {
                let known = expr::elementwise_names();
                if f == "factor" {
                    return Err(self.bad(&format!(
                        "'{text}': factor() is a term of its own (factor(g), or factor(g):x), not part of an expression"
                    )));
                }
                if !known.contains(&f.as_str()) {
                    let hint = closest(f, known.iter().copied())
                        .map(|c| format!("did you mean {c}()? "))
                        .unwrap_or_default();
                    return Err(Error::invalid(format!(
                        "formula \"{}\": unknown function {f}() in '{text}'; {hint}functions in formulas: {}",
                        self.formula,
                        formula_functions()
                            .iter()
                            .map(|k| format!("{k}()"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                args.iter().try_for_each(|a| self.check_functions(a, text))
            }
        }
    }

    /// `a:b:c` (or one atom).
    fn product(&self, text: &str) -> Result<Term> {
        if self.is_col(text) {
            return Ok(Term(vec![Atom::Column(text.to_string())]));
        }
        let mut atoms: Vec<Atom> = Vec::new();
        for (_, a) in split_top(text, &[':']) {
            let a = a.trim();
            if a.is_empty() {
                return Err(self.bad(&format!("'{text}': nothing on one side of ':'")));
            }
            let atom = self.atom(a, true)?;
            if atoms.iter().any(|b| b.label() == atom.label()) {
                return Err(self.bad(&format!("'{text}' repeats '{}'", atom.label())));
            }
            atoms.push(atom);
        }
        Ok(Term(atoms))
    }

    /// `a*b*c`: every non-empty sub-product, lower degrees first (R's expansion).
    fn item(&self, text: &str) -> Result<Vec<Term>> {
        if self.is_col(text) {
            return Ok(vec![Term(vec![Atom::Column(text.to_string())])]);
        }
        let mut factors = Vec::new();
        for (_, f) in split_top(text, &['*']) {
            let f = f.trim();
            if f.is_empty() {
                return Err(self.bad(&format!("'{text}': nothing on one side of '*'")));
            }
            factors.push(self.product(f)?);
        }
        if factors.len() > 8 {
            return Err(self.bad(&format!(
                "'{text}' crosses {} terms (2^{} products); write the interactions you need with ':'",
                factors.len(),
                factors.len()
            )));
        }
        let m = factors.len();
        let mut out: Vec<Term> = (1usize..(1 << m))
            .map(|mask| {
                Term(
                    (0..m)
                        .filter(|i| mask >> i & 1 == 1)
                        .flat_map(|i| factors[i].0.clone())
                        .collect(),
                )
            })
            .collect();
        out.sort_by_key(|t| t.0.len());
        for t in &out {
            let k = t.key();
            if k.windows(2).any(|w| w[0] == w[1]) {
                return Err(self.bad(&format!("'{text}' repeats an atom in '{}'", t.label())));
            }
        }
        Ok(out)
    }
}

/// Parses `formula` (see the module documentation). With the data's `columns`, any text that
/// is exactly a column's name is that column and other names must be columns (else an error
/// with the closest one); without them (`None`), text that is not term syntax is taken for a
/// column name.
pub fn parse_terms(formula: &str, columns: Option<&[String]>) -> Result<Terms> {
    let p = Parse { formula, columns };
    let mut parts = formula.splitn(2, '~');
    let lhs = parts.next().unwrap_or("").trim();
    let rhs = parts
        .next()
        .ok_or_else(|| p.bad("no '~' between the dependent variable and the regressors"))?;
    if lhs.is_empty() {
        return Err(p.bad("no dependent variable before '~'"));
    }
    if rhs.contains('~') || (!p.is_col(lhs) && split_top(lhs, &['+']).len() > 1) {
        return Err(p.bad("one dependent variable and one '~' expected"));
    }
    if let Some(why) = unbalanced(formula) {
        return Err(Error::invalid(format!("formula \"{formula}\": {why}")));
    }
    let lhs = p.atom(lhs, false)?;
    let mut terms: Vec<Term> = Vec::new();
    let mut removed: Vec<Term> = Vec::new();
    let mut intercept = true;
    for (k, (_, piece)) in split_top(rhs, &['+']).into_iter().enumerate() {
        let piece = piece.trim();
        if piece.is_empty() {
            return Err(p.bad(&format!("regressor {} is empty (a stray '+'?)", k + 1)));
        }
        if p.is_col(piece) {
            terms.push(Term(vec![Atom::Column(piece.to_string())]));
            continue;
        }
        if let Some(why) = reserved_term(piece).filter(|_| piece.starts_with("W*")) {
            return Err(Error::invalid(format!(
                "formula \"{formula}\": regressor '{piece}' {why}; spatial lags are chosen by the option durbin, \
                 not written in the formula (a column of that name: rename the column and the term)"
            )));
        }
        for (j, (sep, seg)) in split_top(piece, &['-']).into_iter().enumerate() {
            let seg = seg.trim();
            let minus = sep.is_some();
            if seg.is_empty() {
                if j == 0 {
                    continue;
                }
                return Err(p.bad(&format!("'{piece}': nothing after '-'")));
            }
            match (seg, minus) {
                ("1", true) | ("0", false) => {
                    intercept = false;
                    continue;
                }
                // R: `+ 1` (or `- 0`) asks for the intercept; the last of `- 1` / `+ 1` wins.
                ("1", false) | ("0", true) => {
                    intercept = true;
                    continue;
                }
                _ => {}
            }
            let items = p.item(seg)?;
            if minus {
                removed.extend(items);
            } else {
                terms.extend(items);
            }
        }
    }
    for r in removed {
        let key = r.key();
        match terms.iter().position(|t| t.key() == key) {
            Some(i) => {
                terms.remove(i);
            }
            None => return Err(p.bad(&format!("'- {}' removes a term the formula does not have", r.label()))),
        }
    }
    if terms.is_empty() {
        return Err(p.bad("no regressors"));
    }
    terms.sort_by_key(|t| t.0.len());
    let lhs_key = vec![lhs.label()];
    for (i, t) in terms.iter().enumerate() {
        let label = t.label();
        if let Some(why) = reserved_term(&label) {
            return Err(Error::invalid(format!(
                "formula \"{formula}\": regressor '{label}' {why}; rename the column (e.g. \"{label}_x\") and the term"
            )));
        }
        let key = t.key();
        if key == lhs_key {
            return Err(p.bad(&format!("'{label}' appears twice")));
        }
        if let Some(u) = terms[..i].iter().find(|u| u.key() == key) {
            let also = Some(u.label())
                .filter(|l| *l != label)
                .map(|l| format!(" (as '{l}')"))
                .unwrap_or_default();
            return Err(p.bad(&format!("'{label}' appears twice{also}")));
        }
    }
    Ok(Terms { lhs, terms, intercept })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(f: &str) -> (String, Vec<String>, bool) {
        let t = parse_terms(f, None).unwrap();
        (t.lhs.label(), t.terms.iter().map(Term::label).collect(), t.intercept)
    }

    #[test]
    fn expands_in_r_order() {
        let (y, t, i) = labels("log(y) ~ x*z + I(x^2) + factor(region)");
        assert_eq!(y, "log(y)");
        assert_eq!(t, ["x", "z", "I(x^2)", "factor(region)", "x:z"]);
        assert!(i);
        let (_, t, _) = labels("y ~ a*b*c - a:b:c");
        assert_eq!(t, ["a", "b", "c", "a:b", "a:c", "b:c"]);
        let (_, t, i) = labels("y ~ I(hwy+water) + unemp:log(pc) - 1");
        assert_eq!(t, ["I(hwy + water)", "unemp:log(pc)"]);
        assert!(!i);
        assert!(!labels("y ~ 0 + x").2);
        assert!(!labels("y ~ -1 + x").2);
    }

    #[test]
    fn columns_are_checked_first() {
        let cols: Vec<String> = ["y", "a-b", "x 2", "log(z)"].map(String::from).to_vec();
        let t = parse_terms("y ~ a-b + x 2 + log(z)", Some(&cols)).unwrap();
        assert_eq!(
            t.terms,
            [
                Term(vec![Atom::Column("a-b".into())]),
                Term(vec![Atom::Column("x 2".into())]),
                Term(vec![Atom::Column("log(z)".into())])
            ]
        );
    }

    #[test]
    fn errors_name_the_culprit() {
        for (f, part) in [
            ("y ~ log(x", "'(' at character 8 is never closed"),
            ("y ~ x)", "')' at character 6 closes nothing"),
            ("y ~ lg(x)", "unknown function lg() in 'lg(x)'; did you mean log()?"),
            ("y ~ x + z:x + x:z", "'x:z' appears twice"),
            ("y ~ x - z", "removes a term"),
            ("y ~ W*x", "spatial lags are chosen by the option durbin"),
            ("y ~ factor(x + 1)", "one column name"),
        ] {
            let e = parse_terms(f, None).unwrap_err().to_string();
            assert!(e.contains(part), "{f}: {e}");
        }
        let cols: Vec<String> = ["y", "x"].map(String::from).to_vec();
        let e = parse_terms("y ~ x^2", Some(&cols)).unwrap_err().to_string();
        assert!(e.contains("inside I(...)"), "{e}");
    }
}
