//! LaTeX output of a [`Table`]: a `table` float with booktabs rules that compiles as written in
//! a document that loads only `booktabs` and `amsmath` (docs/methods.md §19.2): special
//! characters escaped, Greek letters and math symbols in math mode (`$\rho$`), `\times` for a
//! product such as `W*x` or `W·x`, significance stars as superscripts, accented letters as
//! accent commands, and no other non-ASCII character.
//!
//! Text that LaTeX cannot typeset without more packages (Chinese, Japanese, Korean) never stops
//! the output: a standalone document then loads `CJKutf8` and sets its body in a
//! `\begin{CJK}{UTF8}{gbsn}` environment; a table to `\input` keeps the text as UTF-8, starts
//! with a comment saying what the including document must load, and comes with a warning
//! naming the cells ([`Latex::warnings`]).

use super::table::Table;
use crate::error::{Error, Result};

/// Options of [`table_latex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatexOptions {
    /// A complete document (`\documentclass{article}` loading `booktabs` and `amsmath`, and
    /// `CJKutf8` when the table has CJK text) rather than a `table` float to `\input`.
    pub standalone: bool,
    /// With `standalone`: load `CJKutf8` and typeset the body in a `CJK` environment (font
    /// `gbsn`) even when the table has no CJK text (it is loaded anyway when it has some);
    /// needs the CJK package (TeX Live's `texlive-lang-chinese`).
    pub cjk: bool,
}

/// LaTeX text with what the reader must know about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Latex {
    /// The LaTeX source.
    pub tex: String,
    /// Warnings: cells whose text needs packages beyond booktabs and amsmath, and which.
    pub warnings: Vec<String>,
}

/// What a document must load to typeset CJK text with pdflatex.
pub const CJK_HOWTO: &str = "\\usepackage{CJKutf8} and put the table inside \\begin{CJK}{UTF8}{gbsn} ... \\end{CJK} (TeX Live's texlive-lang-chinese), or compile with xelatex and \\usepackage{xeCJK}";

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

/// True for characters of the CJK scripts that the `CJKutf8` package typesets: Han ideographs,
/// CJK symbols and punctuation, kana, Hangul, fullwidth and halfwidth forms.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x312F
        | 0x3130..=0x318F | 0x31A0..=0x31FF | 0x3200..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// `t` as LaTeX: a `table` float (caption = title, booktabs rules, the first column left and
/// the others right-aligned, the notes in footnote size under the tabular), or with
/// `opts.standalone` a whole document around it. Every name is escaped by [`latex_escape`].
///
/// Text with characters that have no ASCII LaTeX form is kept as UTF-8 and named in
/// [`Latex::warnings`]: a standalone document loads `CJKutf8` for CJK text (so it compiles with
/// pdflatex where the CJK package is installed); a table to `\input` starts with a comment
/// saying what the document must load ([`CJK_HOWTO`]). Errors only for `cjk` without
/// `standalone`.
pub fn table_latex(t: &Table, opts: &LatexOptions) -> Result<Latex> {
    if opts.cjk && !opts.standalone {
        return Err(Error::invalid(
            "LaTeX option cjk loads the CJKutf8 package, so it needs standalone: true (a complete document); \
             a table to \\input into your own document gets a comment and a warning saying what to load",
        ));
    }
    let k = t.columns.len();
    let mut out = String::from("\\begin{table}[htbp]\n\\centering\n");
    if !t.title.is_empty() {
        out += &format!("\\caption{{{}}}\n", latex_escape(caption_text(&t.title)));
    }
    out += fit_width(t);
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
    let (texts, chars) = non_ascii(t, &out);
    let has_cjk = chars.chars().any(is_cjk);
    let other: String = chars.chars().filter(|c| !is_cjk(*c)).collect();
    let mut warnings = Vec::new();
    let title = if t.title.is_empty() {
        String::new()
    } else {
        format!(" \"{}\"", t.title)
    };
    if opts.standalone {
        let cjk = opts.cjk || has_cjk;
        if !other.is_empty() {
            warnings.push(format!(
                "LaTeX table{title}: the characters \"{other}\" (in {texts}) have no LaTeX form in this document{}; \
                 rename them, or save the table as .docx, .html or .md",
                if cjk {
                    " (CJKutf8 covers Chinese, Japanese and Korean only)"
                } else {
                    ""
                }
            ));
        }
        let mut doc = preamble(cjk);
        doc += &out;
        if cjk {
            doc += "\\end{CJK}\n";
        }
        doc += "\\end{document}\n";
        return Ok(Latex { tex: doc, warnings });
    }
    if chars.is_empty() {
        return Ok(Latex { tex: out, warnings });
    }
    let how = if has_cjk {
        format!("to \\input it, load {CJK_HOWTO}")
    } else {
        "to \\input it, compile with xelatex or lualatex and fontspec".to_string()
    };
    warnings.push(format!(
        "LaTeX table{title}: {texts} (characters \"{chars}\") cannot be typeset by a document that loads only \
         booktabs and amsmath; written as UTF-8: {how}; or save with #{{standalone: true}}{}, or as .docx, .html or .md",
        if has_cjk { " (a complete document that loads CJKutf8)" } else { "" }
    ));
    let comment = if has_cjk {
        format!("% This table has CJK text: load {CJK_HOWTO}.\n")
    } else {
        "% This table has characters without an ASCII LaTeX form: compile with xelatex or lualatex.\n".to_string()
    };
    Ok(Latex {
        tex: format!("{comment}{out}"),
        warnings,
    })
}

/// The caption of a table titled `title`: the title without a leading "Table 5. " or
/// "Table 9b: " (LaTeX's `\caption` numbers the tables itself; "Table 8: Table 5. …" would
/// number it twice).
fn caption_text(title: &str) -> &str {
    let Some(rest) = title.strip_prefix("Table ") else {
        return title;
    };
    let label = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    if label.len() == rest.len() {
        return title;
    }
    let label = label.trim_start_matches(|c: char| c.is_ascii_lowercase());
    match label.strip_prefix(". ").or_else(|| label.strip_prefix(": ")) {
        Some(text) if !text.trim().is_empty() => text.trim_start(),
        _ => title,
    }
}

/// Width of the text block the tables are fitted to: `article`'s 345 pt at 10 pt, the narrowest
/// of the common classes.
pub const TEXT_WIDTH_PT: f64 = 345.0;

/// The size commands that let a wide table fit [`TEXT_WIDTH_PT`], placed inside the float
/// (so they end with it): none when it fits at the document's size, else the first of
/// `\small`, `\footnotesize`, `\scriptsize` at which its estimated width fits, and
/// `\scriptsize` with `\tabcolsep` halved to 3 pt for tables wider than that (which may still
/// overflow: split them, or set them in landscape). The width is estimated from the longest
/// text of each column at half an em per character (Computer Modern's digits are exactly half
/// an em wide; stars, set as superscripts, count half), plus the column separations (2 ×
/// 6 pt each).
fn fit_width(t: &Table) -> &'static str {
    let mut longest: Vec<f64> = t.columns.iter().map(|c| text_ems(c)).collect();
    for row in t.cells() {
        for (j, c) in row.iter().enumerate() {
            if let Some(w) = longest.get_mut(j) {
                *w = w.max(text_ems(c));
            }
        }
    }
    let ems: f64 = longest.iter().sum();
    let seps = 12.0 * longest.len() as f64;
    // font sizes in pt of the standard classes at 10 pt
    for (cmd, size) in [
        ("", 10.0),
        ("\\small\n", 9.0),
        ("\\footnotesize\n", 8.0),
        ("\\scriptsize\n", 7.0),
    ] {
        if ems * size + seps <= TEXT_WIDTH_PT {
            return cmd;
        }
    }
    "\\scriptsize\n\\setlength{\\tabcolsep}{3pt}\n"
}

/// The printed width of `s` in ems, half an em per character (stars a quarter).
fn text_ems(s: &str) -> f64 {
    s.chars().map(|c| if c == '*' { 0.25 } else { 0.5 }).sum()
}

impl Table {
    /// A LaTeX `table` with booktabs rules that compiles in a document loading only `booktabs`
    /// and `amsmath` ([`table_latex`] with default options); an error names characters that
    /// cannot be written in ASCII LaTeX (a table with CJK text is written by [`table_latex`]
    /// with a warning instead).
    pub fn to_latex(&self) -> Result<String> {
        let l = table_latex(self, &LatexOptions::default())?;
        match l.warnings.into_iter().next() {
            Some(w) => Err(Error::invalid(w)),
            None => Ok(l.tex),
        }
    }
}

/// The texts of `t` (quoted, at most three) whose LaTeX has non-ASCII characters, and those
/// characters (sorted, at most eight), read from `tex`; empty when `tex` is ASCII.
fn non_ascii(t: &Table, tex: &str) -> (String, String) {
    if tex.is_ascii() {
        return (String::new(), String::new());
    }
    let mut texts: Vec<String> = vec![t.title.clone()];
    texts.extend(t.columns.iter().cloned());
    texts.extend(t.cells().into_iter().flatten());
    texts.extend(t.rendered_notes());
    let mut bad: Vec<String> = Vec::new();
    for s in texts.iter().filter(|s| !latex_escape(s).is_ascii()) {
        let q = format!("'{s}'");
        if !bad.contains(&q) {
            bad.push(q);
        }
    }
    let more = bad.len().saturating_sub(3);
    bad.truncate(3);
    let mut listed = bad.join(", ");
    if more > 0 {
        listed += &format!(" and {more} more");
    }
    let chars: String = {
        let mut c: Vec<char> = tex.chars().filter(|c| !c.is_ascii()).collect();
        c.sort_unstable();
        c.dedup();
        c.into_iter().take(8).collect()
    };
    (listed, chars)
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
    fn captions_leave_the_numbering_to_latex() {
        for (title, caption) in [
            ("Table 5. Spatial panel models", "Spatial panel models"),
            ("Table 9b: Short-run effects", "Short-run effects"),
            ("Table of results", "Table of results"),
            ("Table 5.", "Table 5."),
            ("Descriptive statistics", "Descriptive statistics"),
        ] {
            assert_eq!(caption_text(title), caption, "{title}");
        }
    }

    #[test]
    fn wide_tables_are_set_smaller_to_fit_the_text_width() {
        let row = |k: usize, cell: &str| -> Vec<crate::report::Cell> { (0..k).map(|_| cell.into()).collect() };
        let mut narrow = Table::new("n", (0..3).map(|j| format!("c{j}")).collect());
        narrow.push(row(3, "0.1234 (0.567)"));
        assert!(!narrow.to_latex().unwrap().contains("\\small"));
        // 5 columns of 14 characters: 5 × 7 em × 10 pt + 60 pt = 410 pt > 345 pt; at 9 pt
        // 375 pt; at 8 pt 340 pt fits
        let mut wide = Table::new("w", (0..5).map(|j| format!("c{j}")).collect());
        wide.push(row(5, "0.1234 (0.567)"));
        let tex = wide.to_latex().unwrap();
        assert!(
            tex.contains("\\centering\n\\caption{w}\n\\footnotesize\n\\begin{tabular}"),
            "{tex}"
        );
        let mut widest = Table::new("x", (0..12).map(|j| format!("c{j}")).collect());
        widest.push(row(12, "0.1234 (0.567)"));
        assert!(widest
            .to_latex()
            .unwrap()
            .contains("\\scriptsize\n\\setlength{\\tabcolsep}{3pt}\n"));
    }

    #[test]
    fn cjk_text_is_kept_with_a_warning_or_the_cjk_package() {
        let mut t = Table::new("T", vec!["var".into(), "mean".into()]);
        t.push(vec!["x_1".into(), 1.5.into()]);
        t.push(vec!["长三角".into(), f64::NAN.into()]);
        let e = t.to_latex().unwrap_err().to_string();
        assert!(e.contains("长三角") && e.contains("CJKutf8"), "{e}");
        let frag = table_latex(&t, &LatexOptions::default()).unwrap();
        assert!(frag
            .tex
            .starts_with("% This table has CJK text: load \\usepackage{CJKutf8}"));
        assert!(frag.tex.contains("长三角") && !frag.tex.contains("\\usepackage{booktabs}"));
        assert_eq!(frag.warnings.len(), 1);
        assert!(frag.warnings[0].contains("'长三角'"), "{:?}", frag.warnings);
        for cjk in [false, true] {
            let doc = table_latex(&t, &LatexOptions { standalone: true, cjk }).unwrap();
            assert!(doc.tex.contains("\\usepackage{CJKutf8}") && doc.tex.contains("长三角"));
            assert!(doc.tex.contains("\\begin{CJK}{UTF8}{gbsn}") && doc.warnings.is_empty());
        }
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
        let plain = table_latex(
            &t,
            &LatexOptions {
                standalone: true,
                cjk: false,
            },
        )
        .unwrap();
        assert!(!plain.tex.contains("CJK") && plain.warnings.is_empty());
        assert!(is_cjk('区') && is_cjk('，') && !is_cjk('é') && !is_cjk('ρ'));
    }
}
