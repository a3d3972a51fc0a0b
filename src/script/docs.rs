//! Function documentation from the engine's own metadata, so `spillover functions` and the
//! REPL's `:help` can never drift from what is registered.

use rhai::Engine;

/// One registered function: name, signature and doc text.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDoc {
    /// Function name.
    pub name: String,
    /// Signature as Rhai prints it, e.g. `read_csv(path: &str) -> Frame`.
    pub signature: String,
    /// Doc comment lines without the `///` markers (an empty line separates paragraphs).
    pub doc: Vec<String>,
}

impl FnDoc {
    /// The first sentence of the doc, whole: the wrapped lines of the first paragraph joined
    /// with spaces and cut after the first full stop that ends a sentence (not after "e.g.",
    /// "i.e.", "etc." or a decimal point).
    pub fn summary(&self) -> String {
        let para: Vec<&str> = self
            .doc
            .iter()
            .map(|l| l.trim())
            .take_while(|l| !l.is_empty() && !l.starts_with("```"))
            .collect();
        first_sentence(&para.join(" ")).to_string()
    }

    /// The code of each ```` ```rhai ```` block of the doc, its lines joined by newlines: the
    /// examples `:help` shows (every one runs; tests/it/examples.rs checks it).
    pub fn examples(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut block: Option<Vec<&str>> = None;
        for line in &self.doc {
            match (&mut block, line.as_str()) {
                (None, "```rhai") => block = Some(Vec::new()),
                (Some(b), "```") => {
                    out.push(b.join("\n"));
                    block = None;
                }
                (Some(b), l) => b.push(l),
                (None, _) => {}
            }
        }
        out
    }
}

/// The first sentence of `text`: up to and including the first `.`, `!` or `?` followed by a
/// space or the end, skipping common abbreviations (e.g., i.e., etc., vs., cf.).
pub fn first_sentence(text: &str) -> &str {
    const ABBREV: [&str; 5] = ["e.g", "i.e", "etc", "vs", "cf"];
    let b = text.as_bytes();
    for (k, &c) in b.iter().enumerate() {
        if !matches!(c, b'.' | b'!' | b'?') {
            continue;
        }
        if k + 1 < b.len() && b[k + 1] != b' ' {
            continue;
        }
        if c == b'.' && k > 0 && b[k - 1] == b'.' {
            continue; // an ellipsis
        }
        let word = text[..k].rsplit([' ', '(']).next().unwrap_or("");
        if c == b'.' && ABBREV.contains(&word.to_lowercase().as_str()) {
            continue;
        }
        return &text[..=k];
    }
    text
}

/// Every spillover function registered in `engine`, sorted by name (standard Rhai packages excluded).
pub fn function_docs(engine: &Engine) -> Vec<FnDoc> {
    let json = engine.gen_fn_metadata_to_json(false).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    let mut out: Vec<FnDoc> = v["functions"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| {
            let name = f["name"].as_str()?.to_string();
            if name.starts_with("anon$") || name == "to_debug" {
                return None;
            }
            let signature = prettify(f["signature"].as_str().unwrap_or(&name));
            let doc = f["docComments"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(|l| l.as_str())
                        .flat_map(|l| l.lines().map(str::to_string).collect::<Vec<_>>())
                        .map(|l| {
                            l.trim_start_matches("///")
                                .trim_start_matches("/**")
                                .trim_end_matches("*/")
                                .trim()
                                .to_string()
                        })
                        .collect::<Vec<String>>()
                })
                .map(|mut d: Vec<String>| {
                    // Keep paragraph breaks inside, drop empty lines at either end.
                    while d.last().is_some_and(String::is_empty) {
                        d.pop();
                    }
                    let lead = d.iter().take_while(|l| l.is_empty()).count();
                    d.drain(..lead);
                    d
                })
                .unwrap_or_default();
            Some(FnDoc { name, signature, doc })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.signature.cmp(&b.signature)));
    out.dedup_by(|a, b| a.signature == b.signature);
    out
}

/// The help text of `name`: every overload's signature and its doc (code examples kept).
pub fn help(engine: &Engine, name: &str) -> Option<String> {
    let docs: Vec<FnDoc> = function_docs(engine)
        .into_iter()
        .filter(|d| d.name == name || d.name == format!("get${name}"))
        .collect();
    if docs.is_empty() {
        return None;
    }
    let mut s = String::new();
    for d in docs {
        s += &format!("{}\n", d.signature);
        for l in &d.doc {
            if l.is_empty() {
                s.push('\n');
            } else {
                s += &format!("    {l}\n");
            }
        }
    }
    Some(s)
}

/// Rewrites Rust type names in a signature to the names scripts see (`SFrame` → `Frame`,
/// `RResult<T>` → `T`, `Array` → `array`, ...).
pub fn prettify(sig: &str) -> String {
    let mut s = sig.to_string();
    for (from, to) in [
        (
            "core::result::Result<rhai::types::dynamic::Dynamic,alloc::boxed::Box<rhai::types::error::EvalAltResult>>",
            "?",
        ),
        ("&mut ", ""),
        ("&str", "string"),
        ("ImmutableString", "string"),
        ("Dynamic", "?"),
        ("FLOAT", "float"),
        ("INT", "int"),
        ("Array", "array"),
        ("Map", "map"),
        ("()", "()"),
    ] {
        s = s.replace(from, to);
    }
    // RResult<T> → T
    while let Some(i) = s.find("RResult<") {
        let start = i + "RResult<".len();
        let mut depth = 1;
        let mut end = start;
        for (k, ch) in s[start..].char_indices() {
            match ch {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        end = start + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = s[start..end].to_string();
        s.replace_range(i..=end, &inner);
    }
    // Script handle types S<Name> → <Name>.
    let mut out = String::with_capacity(s.len());
    let b: Vec<char> = s.chars().collect();
    let mut k = 0;
    while k < b.len() {
        let boundary = k == 0 || !(b[k - 1].is_alphanumeric() || b[k - 1] == '_');
        if boundary
            && b[k] == 'S'
            && k + 1 < b.len()
            && b[k + 1].is_ascii_uppercase()
            && k + 2 < b.len()
            && b[k + 2].is_ascii_lowercase()
        {
            k += 1;
            continue;
        }
        out.push(b[k]);
        k += 1;
    }
    out.replace("-> ()", "").trim().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn prettifies_signatures() {
        assert_eq!(
            super::prettify("read_csv(path: &str) -> RResult<SFrame>"),
            "read_csv(path: string) -> Frame"
        );
        assert_eq!(
            super::prettify("save(x: &mut SModel, path: &str) -> RResult<()>"),
            "save(x: Model, path: string)"
        );
        assert_eq!(
            super::prettify("mean(x: Array) -> RResult<FLOAT>"),
            "mean(x: array) -> float"
        );
    }
}
