//! Excel (`.xlsx`) output of a [`Table`] with `rust_xlsxwriter`: the formatted table on the
//! sheet `Table` (title, header, the cells as printed but numbers stored as numbers with the
//! displayed number format, notes under it) and the same numbers in long form on the sheet
//! `Long` (term, column, statistic, value), one number a row: numeric cells at full precision,
//! numbers read from text cells (compare's and the effects tables' `0.4728***`, `(0.0631)`)
//! with the digits printed there.

use super::table::{Cell, PFormat, Table, P_DECIMALS, UNDEFINED};
use crate::error::{Error, Result};
use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet, XlsxError};

/// The Excel number format showing `decimals` fixed decimals (`0.0000`), or scientific
/// (`0.00E+00`) where the tables print a number in scientific notation.
fn number_format(v: f64, decimals: usize) -> String {
    let printed = super::table::fmt_num(v, decimals);
    if printed.contains('e') {
        let d = decimals.saturating_sub(1).max(2);
        format!("0.{}E+00", "0".repeat(d))
    } else if decimals == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(decimals))
    }
}

/// The Excel number format of a p-value under `p_format`: `0.000`, or with [`PFormat::Below`]
/// a conditional format that shows `< 0.001` below 0.001 (the cell keeps the number).
fn p_number_format(p_format: PFormat) -> String {
    let fixed = format!("0.{}", "0".repeat(P_DECIMALS));
    match p_format {
        PFormat::Fixed => fixed,
        PFormat::Below => format!("[<0.001]\"< 0.001\";{fixed}"),
    }
}

/// A printed cell that is a plain number (`-0.5123`, `12`, `3.1e-5`): its value and decimals.
fn plain_number(s: &str) -> Option<(f64, usize)> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+'))
        && t.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    let decimals = t
        .split_once('.')
        .map_or(0, |(_, f)| f.chars().take_while(char::is_ascii_digit).count());
    Some((v, decimals))
}

/// What the table's notes say stands in parentheses (`std_error`, `z`, `t`, `p`), for the long
/// sheet; `in_parentheses` when no note says.
pub fn paren_statistic(t: &Table) -> &'static str {
    let notes = t.rendered_notes().join(" ").to_lowercase();
    let says = |what: &str| notes.contains(what);
    if says("standard error") && says("parenthes") {
        "std_error"
    } else if says("z statistics in parentheses") || says("z in parentheses") {
        "z"
    } else if says("t statistics in parentheses") || says("t in parentheses") {
        "t"
    } else if says("p-values in parentheses") {
        "p"
    } else {
        "in_parentheses"
    }
}

/// The numbers of a printed text cell as (statistic, value): an estimate with or without stars
/// (`0.512***` → `estimate`), a parenthesised number (`(0.100)` → `paren`), a bracketed
/// interval (`[0.1, 0.9]` → `ci_low`, `ci_high`), `[p = 0.001]` or `p = …` (`p`), `df 2`
/// (`df`). Text that holds none of these gives nothing.
fn text_numbers(s: &str, paren: &'static str) -> Vec<(&'static str, f64)> {
    let mut out = Vec::new();
    let num = |x: &str| -> Option<f64> {
        let x = x.trim().trim_end_matches('*').trim();
        let x = x
            .trim_start_matches("p =")
            .trim_start_matches("p=")
            .trim_start_matches("df")
            .trim();
        plain_number(x).map(|(v, _)| v)
    };
    let mut rest = s.trim();
    // The head before any bracket.
    let cut = rest.find(['(', '[']).unwrap_or(rest.len());
    if let Some(v) = num(&rest[..cut]) {
        out.push(("estimate", v));
    }
    rest = &rest[cut..];
    while let Some(open) = rest.chars().next() {
        let close = if open == '(' { ')' } else { ']' };
        let Some(end) = rest.find(close) else { break };
        let inner = rest[1..end].trim();
        if open == '[' && inner.contains(',') && !inner.contains('=') {
            let mut parts = inner.splitn(2, ',');
            if let (Some(a), Some(b)) = (parts.next().and_then(num), parts.next().and_then(num)) {
                out.push(("ci_low", a));
                out.push(("ci_high", b));
            }
        } else if inner.starts_with('p') {
            if let Some(v) = num(inner) {
                out.push(("p", v));
            }
        } else if inner.starts_with("df") {
            if let Some(v) = num(inner) {
                out.push(("df", v));
            }
        } else if let Some(v) = num(inner) {
            out.push((if open == '(' { paren } else { "in_brackets" }, v));
        }
        rest = rest[end + 1..].trim_start();
        let next = rest.find(['(', '[']).unwrap_or(rest.len());
        rest = &rest[next..];
    }
    out
}

/// The rows of the long sheet: (term, column, statistic, value) for every number of `t`. The
/// term is the row's first cell, or the nearest named row above for an unnamed row (the
/// standard-error row under an estimate). Numeric cells give `value` (`p` for p-values);
/// text cells give what [`text_numbers`] finds. Undefined numbers are left out.
pub fn long_rows(t: &Table) -> Vec<(String, String, String, f64)> {
    let paren = paren_statistic(t);
    let mut out = Vec::new();
    let mut term = String::new();
    for row in &t.rows {
        let first = row.first().map(|c| t.render_cell(c)).unwrap_or_default();
        if !first.trim().is_empty() {
            term = first;
        }
        for (j, c) in row.iter().enumerate().skip(1) {
            let column = t.columns.get(j).cloned().unwrap_or_default();
            let found: Vec<(&str, f64)> = match c {
                Cell::Num(v) | Cell::Stat(v) => vec![("value", *v)],
                Cell::P(v) => vec![("p", *v)],
                Cell::Int(i) => vec![("value", *i as f64)],
                Cell::Text(s) => text_numbers(s, paren),
                Cell::Empty => vec![],
            };
            for (stat, v) in found {
                if v.is_finite() {
                    out.push((term.clone(), column.clone(), stat.to_string(), v));
                }
            }
        }
    }
    out
}

/// Writes one cell of the formatted sheet.
fn write_cell(ws: &mut Worksheet, t: &Table, r: u32, c: u16, cell: &Cell) -> std::result::Result<(), XlsxError> {
    let right = |f: Format| f.set_align(rust_xlsxwriter::FormatAlign::Right);
    match cell {
        Cell::Num(v) | Cell::Stat(v) if v.is_finite() => {
            let f = right(Format::new().set_num_format(number_format(*v, t.decimals)));
            ws.write_number_with_format(r, c, *v, &f)?;
        }
        Cell::P(v) if v.is_finite() => {
            let f = right(Format::new().set_num_format(p_number_format(t.p_format)));
            ws.write_number_with_format(r, c, *v, &f)?;
        }
        Cell::Num(_) | Cell::Stat(_) | Cell::P(_) => {
            ws.write_string_with_format(r, c, t.render_cell(cell), &right(Format::new()))?;
        }
        Cell::Int(i) => {
            ws.write_number_with_format(r, c, *i as f64, &right(Format::new().set_num_format("0")))?;
        }
        Cell::Text(s) => match plain_number(s).filter(|_| c > 0 && s != UNDEFINED) {
            Some((v, d)) => {
                let f = right(Format::new().set_num_format(number_format(v, d)));
                ws.write_number_with_format(r, c, v, &f)?;
            }
            None if c == 0 => {
                ws.write_string(r, c, s)?;
            }
            None => {
                ws.write_string_with_format(r, c, s, &right(Format::new()))?;
            }
        },
        Cell::Empty => {}
    }
    Ok(())
}

/// `t` as an `.xlsx` workbook (bytes): the sheet `Table` with the title in A1, the header in
/// row 2 (bold, ruled), the rows (numbers as numbers with the number format of their printed
/// form; text that is a plain number as a number) and the notes under them; the sheet `Long`
/// with [`long_rows`].
pub fn table_xlsx(t: &Table) -> Result<Vec<u8>> {
    const MAX_ROWS: usize = 1_048_576;
    if t.rows.len() + t.notes.len() + 4 > MAX_ROWS || t.columns.len() > 16_384 {
        return Err(Error::invalid(format!(
            "the table \"{}\" has {} rows and {} columns, more than a sheet holds; save it as .csv",
            t.title,
            t.rows.len(),
            t.columns.len()
        )));
    }
    let fail = |e: XlsxError| Error::invalid(format!("cannot build the workbook: {e}"));
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_border_top(FormatBorder::Medium)
        .set_border_bottom(FormatBorder::Thin);
    let small = Format::new().set_font_size(9);
    {
        let ws = wb.add_worksheet().set_name("Table").map_err(fail)?;
        ws.write_string_with_format(0, 0, &t.title, &bold).map_err(fail)?;
        for (j, c) in t.columns.iter().enumerate() {
            let f = if j == 0 {
                header.clone()
            } else {
                header.clone().set_align(rust_xlsxwriter::FormatAlign::Right)
            };
            ws.write_string_with_format(1, j as u16, c, &f).map_err(fail)?;
        }
        for (i, row) in t.rows.iter().enumerate() {
            for (j, cell) in row.iter().enumerate() {
                write_cell(ws, t, i as u32 + 2, j as u16, cell).map_err(fail)?;
            }
        }
        let last = t.rows.len() as u32 + 2;
        for (k, n) in t.rendered_notes().iter().enumerate() {
            ws.write_string_with_format(last + 1 + k as u32, 0, n, &small)
                .map_err(fail)?;
        }
        let printed = t.cells();
        for j in 0..t.columns.len() {
            let width = printed
                .iter()
                .filter_map(|r| r.get(j))
                .chain(std::iter::once(&t.columns[j]))
                .map(|s| super::table::display_width(s))
                .max()
                .unwrap_or(8);
            ws.set_column_width(j as u16, (width.clamp(6, 60) + 2) as f64)
                .map_err(fail)?;
        }
    }
    {
        let ws = wb.add_worksheet().set_name("Long").map_err(fail)?;
        for (j, c) in ["term", "column", "statistic", "value"].iter().enumerate() {
            ws.write_string_with_format(0, j as u16, *c, &bold).map_err(fail)?;
        }
        for (i, (term, column, stat, v)) in long_rows(t).iter().enumerate() {
            let r = i as u32 + 1;
            ws.write_string(r, 0, term).map_err(fail)?;
            ws.write_string(r, 1, column).map_err(fail)?;
            ws.write_string(r, 2, stat).map_err(fail)?;
            ws.write_number(r, 3, *v).map_err(fail)?;
        }
        ws.set_column_width(0, 24).map_err(fail)?;
        ws.set_column_width(1, 18).map_err(fail)?;
        ws.set_column_width(2, 14).map_err(fail)?;
    }
    wb.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_give_their_numbers() {
        assert_eq!(text_numbers("0.512***", "std_error"), vec![("estimate", 0.512)]);
        assert_eq!(
            text_numbers("0.512** (0.100)", "std_error"),
            vec![("estimate", 0.512), ("std_error", 0.1)]
        );
        assert_eq!(text_numbers("(0.1000)", "z"), vec![("z", 0.1)]);
        assert_eq!(
            text_numbers("[-0.1, 0.9]", "z"),
            vec![("ci_low", -0.1), ("ci_high", 0.9)]
        );
        assert_eq!(text_numbers("[p = 0.004]", "z"), vec![("p", 0.004)]);
        assert_eq!(
            text_numbers("12.5*** (df 2)", "z"),
            vec![("estimate", 12.5), ("df", 2.0)]
        );
        assert!(text_numbers("twoways", "z").is_empty());
        assert_eq!(plain_number("-1.50"), Some((-1.5, 2)));
        assert_eq!(plain_number("(1.5)"), None);
    }
}
