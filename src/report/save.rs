//! Saving a [`Table`] by file extension, atomically (a temporary file renamed into place, by
//! [`crate::io::write_atomic`]): `.md`, `.csv`, `.tex`, `.json`, `.txt`, `.html`, `.docx`,
//! `.xlsx`; whole reports ([`super::html_report::Report`]) as `.html` or `.docx`.

use super::latex::{table_latex, LatexOptions};
use super::table::{extension, PFormat, Table};
use crate::error::{Error, Result};

/// The extensions [`save_table`] writes, for messages.
pub const TABLE_FORMATS: &str = ".md, .csv, .tex, .json, .txt, .html, .docx, .xlsx";

/// Options of [`save_table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SaveOptions {
    /// `.tex`: a complete document rather than a `table` float ([`LatexOptions::standalone`]).
    pub standalone: bool,
    /// `.tex` with `standalone`: keep CJK text with the `CJKutf8` package ([`LatexOptions::cjk`]).
    pub cjk: bool,
    /// How p-values print (None: the table's own [`Table::p_format`]).
    pub p_format: Option<PFormat>,
}

/// True when [`save_table`] writes the extension of `path`.
pub fn is_table_format(path: &str) -> bool {
    matches!(
        extension(path).as_str(),
        "md" | "markdown" | "csv" | "tex" | "json" | "txt" | "html" | "htm" | "docx" | "xlsx"
    )
}

/// The bytes of `t` in the format of `path`'s extension: `.md` ([`Table::to_markdown`]),
/// `.csv` ([`Table::to_csv`]), `.json`, `.txt` ([`Table::to_text`]), `.html` (a page,
/// [`super::html::page`]), `.tex` ([`table_latex`] with `opts`), `.docx`
/// ([`super::docx::table_docx`]), `.xlsx` ([`super::xlsx::table_xlsx`]). With the bytes come
/// the warnings of the format (text that `.tex` cannot typeset with booktabs and amsmath alone,
/// [`super::latex::Latex::warnings`]).
pub fn table_bytes(t: &Table, path: &str, opts: &SaveOptions) -> Result<(Vec<u8>, Vec<String>)> {
    let mut t = t.clone();
    if let Some(p) = opts.p_format {
        t.p_format = p;
    }
    let ext = extension(path);
    if (opts.standalone || opts.cjk) && ext != "tex" {
        return Err(Error::invalid(format!(
            "{path}: the options standalone and cjk apply to .tex only (an .html table saved alone is already a full page)"
        )));
    }
    if ext == "tex" {
        let l = table_latex(
            &t,
            &LatexOptions {
                standalone: opts.standalone,
                cjk: opts.cjk,
            },
        )?;
        return Ok((l.tex.into_bytes(), l.warnings));
    }
    let bytes = match ext.as_str() {
        "docx" => super::docx::table_docx(&t),
        "xlsx" => super::xlsx::table_xlsx(&t),
        "md" | "markdown" => Ok(t.to_markdown().into_bytes()),
        "csv" => t.to_csv().map(String::into_bytes),
        "json" => Ok(serde_json::to_string_pretty(&t.to_json_value())
            .unwrap_or_default()
            .into_bytes()),
        "txt" => Ok(t.to_text().into_bytes()),
        "html" | "htm" => Ok(super::html::page(&t.title, &super::html::table_fragment(&t)).into_bytes()),
        e => Err(Error::invalid(format!(
            "cannot save a table as '.{e}' ({path}); valid extensions: {TABLE_FORMATS}"
        ))),
    }?;
    Ok((bytes, Vec::new()))
}

/// Writes `t` to `path` by extension ([`table_bytes`]), atomically; returns the format's
/// warnings (for the caller to show).
pub fn save_table(t: &Table, path: &str, opts: &SaveOptions) -> Result<Vec<String>> {
    let (bytes, warnings) = table_bytes(t, path, opts)?;
    crate::io::write_atomic(path, &bytes)?;
    Ok(warnings)
}

/// Writes `r` to `path` atomically, by extension: `.html` ([`super::html_report::report_html`]) or `.docx`
/// ([`super::docx::report_docx`]).
pub fn save_report(r: &super::html_report::Report, path: &str) -> Result<()> {
    let bytes = match crate::io::extension(path).as_str() {
        "html" | "htm" => super::html_report::report_html(r)?.into_bytes(),
        "docx" => super::docx::report_docx(r)?,
        e => {
            return Err(Error::invalid(format!(
                "cannot write a report as '.{e}' ({path}); valid extensions: .html, .docx"
            )))
        }
    };
    crate::io::write_atomic(path, &bytes)
}
