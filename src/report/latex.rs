//! LaTeX output of a [`Table`]: a `table` float with booktabs rules that compiles as written in
//! a document that loads only `booktabs` and `amsmath` (docs/methods.md §19.2): special
//! characters escaped, Greek letters and math symbols in math mode (`$\rho$`), `\times` for a
//! product such as `W*x` or `W·x`, significance stars as superscripts, accented letters as
//! accent commands, and no other non-ASCII character. Text that LaTeX cannot typeset without
//! more packages (Chinese, Japanese, Korean) is refused with an error naming it, unless the
//! table is written as a standalone document with the `cjk` option (which loads `CJKutf8`).

use super::table::Table;
use crate::error::{Error, Result};

/// Options of [`table_latex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatexOptions {
    /// A complete document (`\documentclass{article}` loading `booktabs` and `amsmath`) rather
    /// than a `table` float to `\input`.
    pub standalone: bool,
    /// With `standalone`: load `CJKutf8` and typeset the body in a `CJK` environment (font
    /// `gbsn`), so Chinese text is kept; needs the CJK package (TeX Live's
    /// `texlive-lang-chinese`).
    pub cjk: bool,
}

/// The preamble of a standalone document.
fn preamble(cjk: bool) -> String {
    let mut s = String::from("\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{amsmath}\n");
    if cjk {
        s.push_str("\\usepackage{CJKutf8}\n");
    }
    s.push_str("\\begin{document}\n");
    if cjk {
        s.push_str("\\begin{CJK}{UTF8}{gbsn}\n");
    }
    s
}

/// `t` as LaTeX: a `table` float (caption = title, booktabs rules, the first column left and
/// the others right-aligned, the notes in footnote size under the tabular), or with
/// `opts.standalone` a whole document around it. Every name is escaped by [`latex_escape`].
/// An error names the first cells whose characters cannot be written in ASCII LaTeX (unless
/// `opts.cjk` with `opts.standalone`).
pub fn table_latex(t: &Table, opts: &LatexOptions) -> Result<String> {
    if opts.cjk && !opts.standalone {
        return Err(Error::invalid(
            "LaTeX option cjk loads the CJKutf8 package, so it needs standalone: true (a complete document); \
             a table to \\input into your own document must be ASCII",
        ));
    }
    let k = t.columns.len();
    let mut out = String::from("\\begin{table}[htbp]\n\\centering\n");
    if !t.title.is_empty() {
        out += &format!("\\caption{{{}}}\n", latex_escape(&t.title));
    }
    out += &format!(
        "\\begin{{tabular}}{{l{}}}\n\\toprule\n",
        "r".repeat(k.saturating_sub(1))
    );
    let line = |cells: &[String]| cells.iter().map(|c| latex_escape(c)).collect::<Vec<_>>().join(" & ");
    out += &format!("{} \\\\\n\\midrule\n", line(&t.columns));
    for r in t.cells() {
        out += &format!("{} \\\\\n", line(&r));
    }
    out += "\\bottomrule\n\\end{tabular}\n";
    let notes = t.rendered_notes();
    if !notes.is_empty() {
        out += "\\par\\smallskip\n{\\footnotesize\n";
        for n in &notes {
            out += &format!("{}\\par\n", latex_escape(n));
        }
        out += "}\n";
    }
    out += "\\end{table}\n";
    if !(opts.standalone && opts.cjk) {
        check_ascii(t, &out)?;
    }
    if opts.standalone {
        let mut doc = preamble(opts.cjk);
        doc += &out;
        if opts.cjk {
            doc += "\\end{CJK}\n";
        }
        doc += "\\end{document}\n";
        return Ok(doc);
    }
    Ok(out)
}

impl Table {
    /// A LaTeX `table` with booktabs rules that compiles in a document loading only `booktabs`
    /// and `amsmath` ([`table_latex`] with default options); an error names characters that
    /// cannot be written in ASCII LaTeX.
    pub fn to_latex(&self) -> Result<String> {
        table_latex(self, &LatexOptions::default())
    }
}

/// Refuses LaTeX that is not ASCII, naming the characters and the text they are in.
fn check_ascii(t: &Table, tex: &str) -> Result<()> {
    if tex.is_ascii() {
        return Ok(());
    }
    let mut texts: Vec<String> = vec![t.title.clone()];
    texts.extend(t.columns.iter().cloned());
    texts.extend(t.cells().into_iter().flatten());
    texts.extend(t.rendered_notes());
    let bad: Vec<String> = texts
        .iter()
        .filter(|s| !latex_escape(s).is_ascii())
        .take(3)
        .map(|s| format!("'{s}'"))
        .collect();
    let chars: String = {
        let mut c: Vec<char> = tex.chars().filter(|c| !c.is_ascii()).collect();
        c.sort_unstable();
        c.dedup();
        c.into_iter().take(8).collect()
    };
    Err(Error::invalid(format!(
        "cannot write the table \"{}\" as LaTeX for a document that loads only booktabs and amsmath: \
         the characters \"{chars}\" (in {}) have no ASCII LaTeX form; rename them (e.g. compare's \
         `labels`), save the table as .docx, .html or .md, or write a complete document with \
         #{{standalone: true, cjk: true}} (loads CJKutf8, TeX Live's texlive-lang-chinese)",
        t.title,
        bad.join(", ")
    )))
}

/// An accented Latin letter as (accent command, base letter): `é` → (`'`, `e`), typeset as
/// `\'{e}`.
fn latex_accent(ch: char) -> Option<(&'static str, &'static str)> {
    const TABLE: [(&str, &str, &str); 10] = [
        ("`", "àèìòùÀÈÌÒÙ", "aeiouAEIOU"),
        ("'", "áéíóúýÁÉÍÓÚÝćńśźĆŃŚŹ", "aeiouyAEIOUYcnszCNSZ"),
        ("^", "âêîôûÂÊÎÔÛ", "aeiouAEIOU"),
        ("\"", "äëïöüÿÄËÏÖÜŸ", "aeiouyAEIOUY"),
        ("~", "ãñõÃÑÕ", "anoANO"),
        ("c", "çÇşŞ", "cCsS"),
        ("v", "čďěňřšťžČĎĚŇŘŠŤŽǎǐǒǔ", "cdenrstzCDENRSTZaiou"),
        ("=", "āēīōūĀĒĪŌŪ", "aeiouAEIOU"),
        ("u", "ăğĂĞ", "agAG"),
        ("H", "őűŐŰ", "ouOU"),
    ];
    const BASES: [&str; 52] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v",
        "w", "x", "y", "z", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R",
        "S", "T", "U", "V", "W", "X", "Y", "Z",
    ];
    for (accent, letters, bases) in TABLE {
        if let Some(pos) = letters.chars().position(|c| c == ch) {
            let base = bases.chars().nth(pos)?;
            let idx = if base.is_ascii_lowercase() {
                base as usize - 'a' as usize
            } else {
                26 + base as usize - 'A' as usize
            };
            return Some((accent, BASES[idx]));
        }
    }
    None
}

/// LaTeX math for characters that text mode cannot typeset (Greek letters, math symbols,
/// super- and subscripts), written inside `$…$`.
fn latex_math(ch: char) -> Option<&'static str> {
    Some(match ch {
        'α' => "\\alpha",
        'β' => "\\beta",
        'γ' => "\\gamma",
        'δ' => "\\delta",
        'ε' => "\\varepsilon",
        'ζ' => "\\zeta",
        'η' => "\\eta",
        'θ' => "\\theta",
        'κ' => "\\kappa",
        'λ' => "\\lambda",
        'μ' => "\\mu",
        'ν' => "\\nu",
        'ξ' => "\\xi",
        'π' => "\\pi",
        'ρ' => "\\rho",
        'σ' => "\\sigma",
        'τ' => "\\tau",
        'φ' => "\\phi",
        'χ' => "\\chi",
        'ψ' => "\\psi",
        'ω' => "\\omega",
        'Γ' => "\\Gamma",
        'Δ' => "\\Delta",
        'Θ' => "\\Theta",
        'Λ' => "\\Lambda",
        'Σ' => "\\Sigma",
        'Φ' => "\\Phi",
        'Ψ' => "\\Psi",
        'Ω' => "\\Omega",
        '−' => "-",
        '≤' => "\\leq",
        '≥' => "\\geq",
        '≠' => "\\neq",
        '≈' => "\\approx",
        '×' => "\\times",
        // W·x is the product W times x (the spatial lag), as `W*x` is.
        '·' | '⋅' => "\\times",
        '∗' => "\\ast",
        '°' => "^{\\circ}",
        '≡' => "\\equiv",
        '∆' => "\\Delta",
        'µ' => "\\mu",
        '∂' => "\\partial",
        '⁵' => "^{5}",
        '⁶' => "^{6}",
        '⁷' => "^{7}",
        '⁸' => "^{8}",
        '⁹' => "^{9}",
        '₃' => "_{3}",
        '₄' => "_{4}",
        '⊗' => "\\otimes",
        '→' => "\\to",
        '±' => "\\pm",
        '∞' => "\\infty",
        '√' => "\\surd",
        '∑' => "\\sum",
        '∈' => "\\in",
        '′' => "'",
        '<' => "<",
        '>' => ">",
        '|' => "|",
        'Ȳ' => "\\bar{Y}",
        'ȳ' => "\\bar{y}",
        '⁰' => "^{0}",
        '¹' => "^{1}",
        '²' => "^{2}",
        '³' => "^{3}",
        '⁴' => "^{4}",
        '⁻' => "^{-}",
        'ᵀ' => "^{T}",
        '₀' => "_{0}",
        '₁' => "_{1}",
        '₂' => "_{2}",
        'ᵢ' => "_{i}",
        'ⱼ' => "_{j}",
        'ₜ' => "_{t}",
        _ => return None,
    })
}

/// LaTeX text for other characters that need escaping (or a plain-ASCII form).
fn latex_text(ch: char) -> Option<&'static str> {
    Some(match ch {
        '\\' => "\\textbackslash{}",
        '&' => "\\&",
        '%' => "\\%",
        '$' => "\\$",
        '#' => "\\#",
        '_' => "\\_",
        '{' => "\\{",
        '}' => "\\}",
        '~' => "\\textasciitilde{}",
        '^' => "\\textasciicircum{}",
        '–' => "--",
        '—' => "---",
        '…' => "\\ldots{}",
        '\u{a0}' => "~",
        '“' => "``",
        '”' => "''",
        '‘' => "`",
        '’' => "'",
        '«' => "<<",
        '»' => ">>",
        '€' => "EUR",
        '£' => "\\pounds{}",
        '§' => "\\S{}",
        '¶' => "\\P{}",
        '©' => "(c)",
        '•' => "-",
        'ß' => "\\ss{}",
        'æ' => "\\ae{}",
        'Æ' => "\\AE{}",
        'œ' => "\\oe{}",
        'Œ' => "\\OE{}",
        'ø' => "\\o{}",
        'Ø' => "\\O{}",
        'å' => "\\aa{}",
        'Å' => "\\AA{}",
        'ł' => "\\l{}",
        'Ł' => "\\L{}",
        'ı' => "\\i{}",
        '\u{2009}' | '\u{202f}' | '\u{2002}' | '\u{2003}' => " ",
        _ => return None,
    })
}

/// Escapes text for LaTeX: special characters, Greek letters and math symbols (`θ` →
/// `$\theta$`, `−` → `$-$`, `≤` → `$\leq$`, `σ²` → `$\sigma^{2}$`, `<` → `$<$`), a run of
/// up to three stars after a number or at a word boundary as significance (`0.51***` →
/// `0.51$^{***}$`), a star or a middle dot between two names as a product (`W*x`, `W·x` →
/// `W$\times$x`), and accented Latin letters as accent commands (`é` → `\'{e}`). Other
/// non-ASCII characters (CJK text) are kept as they are; [`table_latex`] refuses them.
pub fn latex_escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    let mut math = String::new();
    let flush = |out: &mut String, math: &mut String| {
        if !math.is_empty() {
            out.push('$');
            out.push_str(math);
            out.push('$');
            math.clear();
        }
    };
    let mut k = 0;
    while k < chars.len() {
        let ch = chars[k];
        if ch == '*' {
            let start = k;
            while k < chars.len() && chars[k] == '*' {
                k += 1;
            }
            let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '(' | ')'));
            let product = start > 0 && word(chars.get(start - 1)) && word(chars.get(k));
            let significance = !product && k - start <= 3;
            if significance {
                math.push_str(&format!("^{{{}}}", "*".repeat(k - start)));
            } else {
                for _ in start..k {
                    math.push_str("\\times");
                    math.push(' ');
                }
                math.truncate(math.trim_end().len());
            }
            continue;
        }
        if let Some(m) = latex_math(ch) {
            // Separate control words from a following letter inside one math run.
            if m.starts_with('\\') && math.ends_with(|c: char| c.is_ascii_alphabetic()) {
                math.push(' ');
            }
            math.push_str(m);
        } else {
            flush(&mut out, &mut math);
            match (latex_text(ch), latex_accent(ch)) {
                (Some(t), _) => out.push_str(t),
                (None, Some((accent, base))) => {
                    out.push_str(&format!("\\{accent}{{{base}}}"));
                }
                (None, None) => out.push(ch),
            }
        }
        k += 1;
    }
    flush(&mut out, &mut math);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_only_unless_standalone_cjk() {
        let mut t = Table::new("T", vec!["var".into(), "mean".into()]);
        t.push(vec!["x_1".into(), 1.5.into()]);
        t.push(vec!["长三角".into(), f64::NAN.into()]);
        let e = t.to_latex().unwrap_err().to_string();
        assert!(e.contains("长三角") && e.contains("cjk"), "{e}");
        let both = LatexOptions {
            standalone: true,
            cjk: true,
        };
        let doc = table_latex(&t, &both).unwrap();
        assert!(doc.contains("\\usepackage{CJKutf8}") && doc.contains("长三角"));
        assert!(table_latex(
            &t,
            &LatexOptions {
                standalone: false,
                cjk: true
            }
        )
        .is_err());
        t.rows.pop();
        assert!(t.to_latex().unwrap().contains("x\\_1 & 1.5000"));
    }
}
