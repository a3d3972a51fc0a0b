//! Element-wise expressions over columns: the language of transformed formula terms
//! (`log(pcap)`, `I(hwy + water)`) and of `mutate`.
//!
//! Grammar (precedence from low to high, as in R):
//! ```text
//! expr    := term (("+" | "-") term)*
//! term    := unary (("*" | "/") unary)*
//! unary   := ("-" | "+") unary | power
//! power   := atom ("^" unary)?            right-associative: a^b^c = a^(b^c), -a^2 = -(a^2)
//! atom    := number | name | `any name` | name "(" expr ("," expr)* ")" | "(" expr ")"
//! ```
//! A name starts with a letter (any script, so Chinese names work), `_` or `.` and goes on with
//! letters, digits, `_` and `.`; a column whose name has other characters is written in
//! backquotes. The element-wise functions are `log` (natural), `log10`, `log2`, `exp`, `sqrt`,
//! `abs` and the identity `I` (R's `I(...)`, which protects arithmetic inside a formula); a
//! [`Context`] can offer more (a panel offers `lag`, `lead`, `diff`, ...).
//!
//! Missing values propagate (a missing input gives a missing result). A finite input that gives
//! a value that is not finite — `log(0)`, `sqrt(-1)`, `x / 0`, `(-8)^(1/3)` — is an error that
//! names the subexpression and the row ([`Context::locate`]: unit and period on a panel), never
//! a silent NaN or infinity.

use crate::error::{Error, Result};
use std::fmt;

/// A binary arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Pow => "^",
        }
    }

    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::Pow => a.powf(b),
        }
    }

    /// Why `a op b` has no finite value.
    fn why(self, a: f64, b: f64) -> String {
        match self {
            Op::Div if b == 0.0 => "division by zero".into(),
            Op::Pow if a < 0.0 && b.fract() != 0.0 => {
                format!("a negative number ({a}) to a fractional power ({b})")
            }
            Op::Pow if a == 0.0 && b < 0.0 => format!("zero to a negative power ({b})"),
            _ => format!("{a} {} {b} overflows", self.symbol()),
        }
    }
}

/// A parsed expression. [`fmt::Display`] writes it as R deparses it (`I(hwy + water)`,
/// `log(x/y)`, `x^2`), which is the name a formula term is given.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A column.
    Col(String),
    /// Unary minus.
    Neg(Box<Expr>),
    /// Parentheses as written (kept so that the expression prints as written).
    Paren(Box<Expr>),
    /// A binary operation.
    Bin(Op, Box<Expr>, Box<Expr>),
    /// A function call.
    Call(String, Vec<Expr>),
}

/// The value of an expression: one number for every row, or a constant.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A constant (a number, or arithmetic of numbers only).
    Scalar(f64),
    /// One value per row.
    Vector(Vec<f64>),
}

impl Value {
    /// The constant, if this is one.
    pub fn scalar(&self) -> Option<f64> {
        match self {
            Value::Scalar(x) => Some(*x),
            Value::Vector(_) => None,
        }
    }

    /// The values as a vector of `n` rows (a constant repeated).
    pub fn into_vec(self, n: usize) -> Vec<f64> {
        match self {
            Value::Scalar(x) => vec![x; n],
            Value::Vector(v) => v,
        }
    }

    fn at(&self, r: usize) -> f64 {
        match self {
            Value::Scalar(x) => *x,
            Value::Vector(v) => v[r],
        }
    }
}

/// Where an expression takes its columns and extra functions from.
pub trait Context {
    /// Number of rows.
    fn nrows(&self) -> usize;
    /// The values of column `name` (missing as NaN); an unknown name is an error that names it
    /// and the closest existing column.
    fn column(&self, name: &str) -> Result<Vec<f64>>;
    /// Functions this context adds to the element-wise ones (`None` when `name` is not one of
    /// them). `args` are the evaluated arguments; `text` is the call as written, for messages.
    fn call(&self, _name: &str, _args: &[Value], _text: &str) -> Option<Result<Vec<f64>>> {
        None
    }
    /// Names of the functions [`Context::call`] accepts (for the error on an unknown function).
    fn functions(&self) -> Vec<&'static str> {
        Vec::new()
    }
    /// Where row `r` is, for messages: "for unit AL in period 1970", "in row 12".
    fn locate(&self, r: usize) -> String {
        format!("in row {}", r + 1)
    }
}

/// A function of one number.
type Unary = fn(f64) -> f64;

/// The element-wise functions every context has: name, the function, and the condition it
/// needs (for the message when a finite input has no finite value).
const ELEMENTWISE: [(&str, Unary, &str); 7] = [
    ("log", f64::ln, "positive values"),
    ("log10", f64::log10, "positive values"),
    ("log2", f64::log2, "positive values"),
    ("exp", f64::exp, "values below 709.78 (exp overflows beyond)"),
    ("sqrt", f64::sqrt, "values ≥ 0"),
    ("abs", f64::abs, "finite values"),
    ("I", std::convert::identity, "finite values"),
];

/// The names of the element-wise functions every context has (`log`, `log10`, `log2`, `exp`,
/// `sqrt`, `abs`, `I`).
pub fn function_names() -> Vec<&'static str> {
    ELEMENTWISE.iter().map(|(n, _, _)| *n).collect()
}

fn elementwise(name: &str) -> Option<(Unary, &'static str)> {
    ELEMENTWISE
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, f, need)| (f, need))
}

/// Tokens of the expression language.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Quoted(String),
    Sym(char),
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '.'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

/// Splits `text` into tokens with their character offsets.
fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let bad = |at: usize, msg: String| Error::invalid(format!("expression \"{text}\", at character {}: {msg}", at + 1));
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].1.is_ascii_digit() || chars[i].1 == '.') {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i].1, 'e' | 'E') {
                let mut j = i + 1;
                if j < chars.len() && matches!(chars[j].1, '+' | '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].1.is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].1.is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let end = chars.get(i).map_or(text.len(), |(p, _)| *p);
            let s = &text[pos..end];
            let x: f64 = s.parse().map_err(|_| bad(start, format!("'{s}' is not a number")))?;
            out.push((Tok::Num(x), pos));
        } else if is_name_start(c) {
            let start = pos;
            while i < chars.len() && is_name_char(chars[i].1) {
                i += 1;
            }
            let end = chars.get(i).map_or(text.len(), |(p, _)| *p);
            out.push((Tok::Name(text[start..end].to_string()), pos));
        } else if c == '`' {
            let close = chars[i + 1..]
                .iter()
                .position(|(_, d)| *d == '`')
                .ok_or_else(|| bad(i, "a backquote opens a name and is never closed".into()))?;
            let name: String = chars[i + 1..i + 1 + close].iter().map(|(_, d)| d).collect();
            out.push((Tok::Quoted(name), pos));
            i += close + 2;
        } else if "+-*/^(),".contains(c) {
            out.push((Tok::Sym(c), pos));
            i += 1;
        } else {
            return Err(bad(
                i,
                format!(
                    "unexpected '{c}'; expressions use numbers, column names (`odd name` in backquotes), \
                     + - * / ^, parentheses and functions"
                ),
            ));
        }
    }
    Ok(out)
}

/// A recursive-descent parser over the tokens.
struct Parser<'a> {
    text: &'a str,
    toks: Vec<(Tok, usize)>,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(t, _)| t)
    }

    fn err(&self, msg: &str) -> Error {
        match self.toks.get(self.at) {
            Some((_, pos)) => Error::invalid(format!(
                "expression \"{}\", at character {}: {msg}",
                self.text,
                self.text[..*pos].chars().count() + 1
            )),
            None => Error::invalid(format!("expression \"{}\": {msg} at the end", self.text)),
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Sym(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Expr> {
        let mut e = self.term()?;
        loop {
            let op = if self.eat('+') {
                Op::Add
            } else if self.eat('-') {
                Op::Sub
            } else {
                return Ok(e);
            };
            e = Expr::Bin(op, Box::new(e), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> Result<Expr> {
        let mut e = self.unary()?;
        loop {
            let op = if self.eat('*') {
                Op::Mul
            } else if self.eat('/') {
                Op::Div
            } else {
                return Ok(e);
            };
            e = Expr::Bin(op, Box::new(e), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr> {
        if self.eat('-') {
            Ok(Expr::Neg(Box::new(self.unary()?)))
        } else if self.eat('+') {
            self.unary()
        } else {
            self.power()
        }
    }

    fn power(&mut self) -> Result<Expr> {
        let base = self.atom()?;
        if self.eat('^') {
            Ok(Expr::Bin(Op::Pow, Box::new(base), Box::new(self.unary()?)))
        } else {
            Ok(base)
        }
    }

    fn atom(&mut self) -> Result<Expr> {
        let tok = self
            .peek()
            .cloned()
            .ok_or_else(|| self.err("a number, a column name or '(' expected"))?;
        self.at += 1;
        match tok {
            Tok::Num(x) => Ok(Expr::Num(x)),
            Tok::Quoted(name) => Ok(Expr::Col(name)),
            Tok::Name(name) => {
                if !self.eat('(') {
                    return Ok(Expr::Col(name));
                }
                let mut args = vec![self.expr()?];
                while self.eat(',') {
                    args.push(self.expr()?);
                }
                if !self.eat(')') {
                    return Err(self.err(&format!("')' expected to close {name}(")));
                }
                Ok(Expr::Call(name, args))
            }
            Tok::Sym('(') => {
                let e = self.expr()?;
                if !self.eat(')') {
                    return Err(self.err("')' expected"));
                }
                Ok(Expr::Paren(Box::new(e)))
            }
            Tok::Sym(c) => {
                self.at -= 1;
                Err(self.err(&format!("unexpected '{c}': a number, a column name or '(' expected")))
            }
        }
    }
}

impl Expr {
    /// Parses `text` (see the module documentation for the grammar). Errors give the character
    /// position and what was expected.
    pub fn parse(text: &str) -> Result<Expr> {
        let mut p = Parser {
            text,
            toks: tokenize(text)?,
            at: 0,
        };
        if p.toks.is_empty() {
            return Err(Error::invalid("empty expression: write e.g. log(x) or x / y"));
        }
        let e = p.expr()?;
        if p.at < p.toks.len() {
            return Err(p.err("unexpected text after a complete expression (a missing operator?)"));
        }
        Ok(e)
    }

    /// The columns the expression reads, each once, in order of first use.
    pub fn columns(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.visit_columns(&mut out);
        out
    }

    fn visit_columns(&self, out: &mut Vec<String>) {
        match self {
            Expr::Num(_) => {}
            Expr::Col(c) => {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
            Expr::Neg(e) | Expr::Paren(e) => e.visit_columns(out),
            Expr::Bin(_, a, b) => {
                a.visit_columns(out);
                b.visit_columns(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.visit_columns(out)),
        }
    }

    /// True when the expression is a bare column name.
    pub fn is_column(&self) -> bool {
        matches!(self, Expr::Col(_))
    }

    /// Evaluates the expression over the rows of `ctx`.
    pub fn eval(&self, ctx: &dyn Context) -> Result<Value> {
        match self {
            Expr::Num(x) => Ok(Value::Scalar(*x)),
            Expr::Col(c) => ctx.column(c).map(Value::Vector),
            Expr::Paren(e) => e.eval(ctx),
            Expr::Neg(e) => Ok(map(e.eval(ctx)?, |x| -x)),
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval(ctx)?, b.eval(ctx)?);
                let out = match (&a, &b) {
                    (Value::Scalar(x), Value::Scalar(y)) => Value::Scalar(op.apply(*x, *y)),
                    _ => {
                        let n = ctx.nrows();
                        Value::Vector((0..n).map(|r| op.apply(a.at(r), b.at(r))).collect())
                    }
                };
                self.check(&out, ctx, |r| {
                    let (x, y) = (a.at(r), b.at(r));
                    (x.is_finite() && y.is_finite()).then(|| op.why(x, y))
                })?;
                Ok(out)
            }
            Expr::Call(name, args) => self.call(name, args, ctx),
        }
    }

    /// Evaluates the expression to one value per row (a constant is repeated).
    pub fn eval_vec(&self, ctx: &dyn Context) -> Result<Vec<f64>> {
        Ok(self.eval(ctx)?.into_vec(ctx.nrows()))
    }

    fn call(&self, name: &str, args: &[Expr], ctx: &dyn Context) -> Result<Value> {
        let text = self.to_string();
        if let Some((f, need)) = elementwise(name) {
            if args.len() != 1 {
                return Err(Error::invalid(format!(
                    "{text}: {name}() takes one argument, here {}",
                    args.len()
                )));
            }
            let a = args[0].eval(ctx)?;
            let out = map(a.clone(), f);
            self.check(&out, ctx, |r| {
                let x = a.at(r);
                x.is_finite()
                    .then(|| format!("{name}() needs {need}, here {} = {x}", args[0]))
            })?;
            return Ok(out);
        }
        let values = args.iter().map(|a| a.eval(ctx)).collect::<Result<Vec<_>>>()?;
        match ctx.call(name, &values, &text) {
            Some(v) => v.map(Value::Vector),
            None => {
                let mut known: Vec<&str> = ELEMENTWISE.iter().map(|(n, _, _)| *n).collect();
                known.extend(ctx.functions());
                let hint = crate::error::closest(name, known.iter().copied())
                    .map(|c| format!("did you mean {c}()? "))
                    .unwrap_or_default();
                Err(Error::invalid(format!(
                    "{text}: unknown function {name}(); {hint}functions here: {}",
                    known.iter().map(|k| format!("{k}()")).collect::<Vec<_>>().join(", ")
                )))
            }
        }
    }

    /// Refuses a result that is not finite where `why(r)` says the inputs were (it returns
    /// `None` for a missing or infinite input, which propagates).
    fn check(&self, out: &Value, ctx: &dyn Context, why: impl Fn(usize) -> Option<String>) -> Result<()> {
        let bad = match out {
            Value::Scalar(x) => (!x.is_finite()).then_some(0).filter(|&r| why(r).is_some()),
            Value::Vector(v) => (0..v.len()).find(|&r| !v[r].is_finite() && why(r).is_some()),
        };
        match bad {
            None => Ok(()),
            Some(r) => {
                let at = match out {
                    Value::Scalar(_) => String::new(),
                    Value::Vector(_) => format!(" {}", ctx.locate(r)),
                };
                Err(Error::data(format!(
                    "{self} is not defined{at}: {}; drop or recode those rows (e.g. drop_missing or filter) or \
                     change the transformation",
                    why(r).unwrap_or_default()
                )))
            }
        }
    }
}

fn map(v: Value, f: impl Fn(f64) -> f64) -> Value {
    match v {
        Value::Scalar(x) => Value::Scalar(f(x)),
        Value::Vector(mut v) => {
            v.iter_mut().for_each(|x| *x = f(*x));
            Value::Vector(v)
        }
    }
}

/// True when `name` can be written bare in an expression (otherwise it needs backquotes).
pub fn is_plain_name(name: &str) -> bool {
    let mut cs = name.chars();
    cs.next().is_some_and(is_name_start)
        && cs.all(is_name_char)
        && !(name.starts_with('.') && name[1..].starts_with(|d: char| d.is_ascii_digit()))
}

impl fmt::Display for Expr {
    /// As R's `deparse`: spaces around `+`, `-` and `*`, none around `/` and `^`; parentheses
    /// as written; odd column names in backquotes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(x) => write!(f, "{}", crate::data::key_of_number(*x)),
            Expr::Col(c) if is_plain_name(c) => write!(f, "{c}"),
            Expr::Col(c) => write!(f, "`{c}`"),
            Expr::Neg(e) => write!(f, "-{e}"),
            Expr::Paren(e) => write!(f, "({e})"),
            Expr::Bin(op @ (Op::Div | Op::Pow), a, b) => write!(f, "{a}{}{b}", op.symbol()),
            Expr::Bin(op, a, b) => write!(f, "{a} {} {b}", op.symbol()),
            Expr::Call(name, args) => {
                write!(f, "{name}(")?;
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
        }
    }
}

/// A context over plain named columns (for tests and cross-sections): rows are "row r".
pub struct Columns<'a> {
    /// Column names and values (all of one length).
    pub columns: Vec<(&'a str, &'a [f64])>,
}

impl Context for Columns<'_> {
    fn nrows(&self) -> usize {
        self.columns.first().map_or(0, |(_, v)| v.len())
    }

    fn column(&self, name: &str) -> Result<Vec<f64>> {
        match self.columns.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.to_vec()),
            None => {
                let hint = crate::error::closest(name, self.columns.iter().map(|(n, _)| *n))
                    .map(|c| format!("; did you mean '{c}'?"))
                    .unwrap_or_default();
                Err(Error::data(format!("unknown variable '{name}'{hint}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, cols: &[(&str, &[f64])]) -> Result<Vec<f64>> {
        let ctx = Columns { columns: cols.to_vec() };
        Expr::parse(text)?.eval_vec(&ctx)
    }

    #[test]
    fn precedence_follows_r() {
        let x: &[f64] = &[2.0, 3.0];
        let cols = [("x", x)];
        assert_eq!(eval("-x^2", &cols).unwrap(), vec![-4.0, -9.0]);
        assert_eq!(eval("2^3^2", &cols).unwrap(), vec![512.0, 512.0]);
        assert_eq!(eval("1 + 2 * x / 4 - 1", &cols).unwrap(), vec![1.0, 1.5]);
        assert_eq!(eval("(1 + x) * 2", &cols).unwrap(), vec![6.0, 8.0]);
        assert_eq!(eval("x^-1", &cols).unwrap(), vec![0.5, 1.0 / 3.0]);
        assert_eq!(eval("2e1 + .5", &cols).unwrap(), vec![20.5, 20.5]);
    }

    #[test]
    fn functions_and_names() {
        let x: &[f64] = &[1.0, std::f64::consts::E];
        let z: &[f64] = &[-4.0, 9.0];
        let cols = [("人均GDP", x), ("a b", z)];
        assert_eq!(eval("log(人均GDP)", &cols).unwrap(), vec![0.0, 1.0]);
        assert_eq!(eval("sqrt(abs(`a b`))", &cols).unwrap(), vec![2.0, 3.0]);
        assert_eq!(eval("I(`a b` * 2)", &cols).unwrap(), vec![-8.0, 18.0]);
    }

    #[test]
    fn prints_as_r_deparses() {
        for (text, shown) in [
            ("log( pcap )", "log(pcap)"),
            ("I(hwy+water)", "I(hwy + water)"),
            ("I(a / b ^ 2)", "I(a/b^2)"),
            ("I((a - 1) * b)", "I((a - 1) * b)"),
            ("`x y` + 0.5", "`x y` + 0.5"),
        ] {
            assert_eq!(Expr::parse(text).unwrap().to_string(), shown);
        }
        assert_eq!(Expr::parse("log(x) + y * log(x)").unwrap().columns(), vec!["x", "y"]);
    }

    #[test]
    fn invalid_values_are_errors_naming_the_row() {
        let x: &[f64] = &[1.0, 0.0];
        let e = eval("log(x)", &[("x", x)]).unwrap_err().to_string();
        assert!(
            e.contains("log(x) is not defined in row 2") && e.contains("positive"),
            "{e}"
        );
        let e = eval("1 / x", &[("x", x)]).unwrap_err().to_string();
        assert!(e.contains("division by zero") && e.contains("row 2"), "{e}");
        let e = eval("sqrt(x - 2)", &[("x", x)]).unwrap_err().to_string();
        assert!(e.contains("row 1"), "{e}");
        // Missing propagates.
        let m: &[f64] = &[f64::NAN, 4.0];
        let v = eval("log(x)", &[("x", m)]).unwrap();
        assert!(v[0].is_nan() && v[1] == 4f64.ln());
    }

    #[test]
    fn parse_errors_say_where() {
        for (text, part) in [
            ("log(x", "')' expected"),
            ("x +", "at the end"),
            ("x y", "missing operator"),
            ("x # 2", "character 3"),
            ("`x", "never closed"),
        ] {
            let e = Expr::parse(text).unwrap_err().to_string();
            assert!(e.contains(part), "{text}: {e}");
        }
        let x: &[f64] = &[1.0];
        let e = eval("lg(x)", &[("x", x)]).unwrap_err().to_string();
        assert!(e.contains("unknown function lg()") && e.contains("log"), "{e}");
        let e = eval("log(xx)", &[("x", x)]).unwrap_err().to_string();
        assert!(e.contains("unknown variable 'xx'"), "{e}");
    }
}
