//! Tabular data: CSV, spreadsheet and Stata files (`read`), data frames, balanced panels and vectorised helpers.
//!
//! Ids and periods are text: a unit id or a period is compared exactly as it was written (after
//! trimming blanks), so `001` and `1` are two units and `12345678901234567` stays itself.
//! [`Frame::keys`] is the one place keys come from.

pub mod align;
pub mod balance;
pub mod codes;
pub mod csv;
pub mod expr;
pub mod frame;
pub mod missing;
pub mod mutate;
pub mod panel;
pub mod read;
pub mod render;
pub mod reshape;
pub mod sheet;
pub mod stata;
pub mod vector;
pub mod xtsum;

pub use frame::{Column, Frame};
pub use panel::Panel;

/// Text key of a number that has no written form (a computed value): integral numbers print
/// without a decimal point (`1`, not `1.0`), others in the shortest form that reads back as the
/// same double.
pub fn key_of_number(x: f64) -> String {
    let mut s = String::new();
    write_key_of_number(&mut s, x);
    s
}

/// Appends [`key_of_number`]`(x)` to `out` (without allocating a new string: the CSV reader
/// compares millions of cells with it).
pub fn write_key_of_number(out: &mut String, x: f64) {
    use std::fmt::Write;
    let _ = if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        write!(out, "{}", x as i64)
    } else {
        write!(out, "{x}")
    };
}

/// Text key of a written id: the text trimmed of blanks, nothing else (`"001"` stays `"001"`,
/// `"1.0"` is not `"1"`).
pub fn key_of_text(s: &str) -> String {
    s.trim().to_string()
}

/// The word for a value that is not finite, for error messages: "missing (NaN)" or
/// "infinite (inf)" / "infinite (-inf)".
pub fn nonfinite_word(x: f64) -> &'static str {
    if x.is_nan() {
        "missing (NaN)"
    } else if x > 0.0 {
        "infinite (inf)"
    } else {
        "infinite (-inf)"
    }
}

/// A hint for ids on two sides that differ only in how a number is written (`1.0` and `1`,
/// `001` and `1`): "; ids are compared as written: ... " naming the first such pair, or empty.
pub fn same_number_hint<A: AsRef<str>, B: AsRef<str>>(left: &[A], right: &[B]) -> String {
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    let right: std::collections::HashMap<u64, &str> = right
        .iter()
        .filter_map(|r| num(r.as_ref()).map(|x| (x.to_bits(), r.as_ref())))
        .collect();
    for l in left {
        if let Some(r) = num(l.as_ref()).and_then(|x| right.get(&x.to_bits())) {
            return format!(
                "; ids are compared as written, and '{}' and '{r}' differ only in how the number is \
                 written: write the ids the same way on both sides",
                l.as_ref()
            );
        }
    }
    String::new()
}

/// Sorts keys (sectors, groups): numerically when every key is a number, otherwise naturally
/// (runs of digits compared as numbers, so `t2` comes before `t10`; see [`natural_cmp`]).
/// Periods use [`sort_periods`], which also refuses orders that cannot be calendar orders.
pub fn sort_keys(keys: &mut [String]) {
    let nums: Option<Vec<f64>> = keys.iter().map(|k| period_number(k)).collect();
    match nums {
        Some(_) => keys.sort_by(|a, b| {
            let (x, y) = (period_number(a).unwrap_or(0.0), period_number(b).unwrap_or(0.0));
            x.total_cmp(&y).then_with(|| a.cmp(b))
        }),
        None => keys.sort_by(|a, b| natural_cmp(a, b)),
    }
}

/// The number a period key is, if it is one (finite).
fn period_number(k: &str) -> Option<f64> {
    k.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Sorts period keys (the one definition of period order): by the calendar when every key is
/// on one ([`calendar_periods`]: integers, `2001Q1` quarters, `2001m1`/`2001-01` months),
/// numerically when every key is a number, otherwise naturally (runs of digits compared as
/// numbers, so `t2` comes before `t10`; see [`natural_cmp`]).
///
/// Orders that cannot be the calendar are refused, naming two periods:
/// * two keys that are the same number written differently (`1` and `1.0`; `2001.1` and
///   `2001.10`, which as year.month would be October but is read as January);
/// * numbers mixed with labels (`2001`, `2002`, `total`);
/// * labels whose year (their one 4-digit number) is not written first, so that the label order
///   contradicts the years (`12/31/2000` after `1/31/2001`, `Q2 2000` after `Q1 2001`).
pub fn sort_periods(keys: &mut [String]) -> crate::Result<()> {
    let fix = "write every period the same way, as a number (1990) or a label with the year first \
               (2001-01, 2001Q1, 2001m10)";
    if let Some(cal) = calendar_periods(keys) {
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| cal[a].cmp(&cal[b]).then_with(|| keys[a].cmp(&keys[b])));
        let sorted: Vec<String> = order.iter().map(|&i| keys[i].clone()).collect();
        if let Some(w) = order.windows(2).find(|w| cal[w[0]] == cal[w[1]]) {
            return Err(crate::Error::data(format!(
                "periods '{}' and '{}' are the same period written two ways; {fix}",
                keys[w[0]], keys[w[1]]
            )));
        }
        keys.clone_from_slice(&sorted);
        return Ok(());
    }
    sort_keys(keys);
    if keys.iter().all(|k| period_number(k).is_some()) {
        if let Some(w) = keys.windows(2).find(|w| period_number(&w[0]) == period_number(&w[1])) {
            return Err(crate::Error::data(format!(
                "periods '{}' and '{}' are the same number written two ways, so their order is not \
                 known (as year.month, 2001.1 and 2001.10 would be January and October); {fix}",
                w[0], w[1]
            )));
        }
        return Ok(());
    }
    let (numbers, labels): (Vec<&String>, Vec<&String>) = keys.iter().partition(|k| period_number(k).is_some());
    if !numbers.is_empty() {
        return Err(crate::Error::data(format!(
            "periods mix numbers ({}) and labels ({}), so their order is not known; {fix}, or drop \
             the rows whose period is a label (f.filter)",
            crate::error::list_some(&numbers, 3),
            crate::error::list_some(&labels, 3)
        )));
    }
    let years: Option<Vec<u32>> = keys.iter().map(|k| year_of_label(k)).collect();
    if let Some(years) = years {
        if let Some(i) = (1..keys.len()).find(|&i| years[i] < years[i - 1]) {
            return Err(crate::Error::data(format!(
                "periods '{}' and '{}' would be out of calendar order: period labels sort as text with \
                 numbers compared by value, and the year is not written first; {fix}",
                keys[i - 1],
                keys[i]
            )));
        }
    }
    Ok(())
}

/// The year in a period label: its one run of exactly four digits (1000–2999), if it has
/// exactly one.
fn year_of_label(k: &str) -> Option<u32> {
    let mut found = None;
    for run in k.split(|c: char| !c.is_ascii_digit()).filter(|r| !r.is_empty()) {
        if run.len() == 4 {
            let y: u32 = run.parse().ok()?;
            if !(1000..=2999).contains(&y) || found.is_some() {
                return None;
            }
            found = Some(y);
        }
    }
    found
}

/// The calendar number of every period when all of them are on one calendar: integers
/// (years, or any integer count), quarters written with the year first (`2001Q1`, `2001-Q1`,
/// `2001 q1`: 4·year + quarter − 1) or months with the year first (`2001m1`, `2001M01`,
/// `2001-01`, `2001/1`: 12·year + month − 1); `None` otherwise (then periods follow each other
/// by position).
pub fn calendar_periods(times: &[String]) -> Option<Vec<i64>> {
    let ints: Option<Vec<i64>> = times
        .iter()
        .map(|s| {
            period_number(s)
                .filter(|x| x.fract() == 0.0 && x.abs() < 1e15)
                .map(|x| x as i64)
        })
        .collect();
    if ints.is_some() {
        return ints;
    }
    /// (periods per year, index within the year) of one label.
    fn label(s: &str) -> Option<(i64, i64)> {
        let s = s.trim();
        let (year, rest) = (s.get(..4)?, s.get(4..)?);
        if !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i64 = year.parse().ok()?;
        let rest = rest.strip_prefix(['-', ' ', '_', '/']).unwrap_or(rest);
        let (per, num) = if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            (4, q)
        } else if let Some(m) = rest.strip_prefix(['M', 'm']) {
            (12, m)
        } else if rest.len() <= 2 && s.len() > 4 && s.as_bytes()[4] != b' ' {
            (12, rest)
        } else {
            return None;
        };
        if num.is_empty() || num.len() > 2 || !num.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let k: i64 = num.parse().ok()?;
        (1..=per).contains(&k).then_some((per, year * per + k - 1))
    }
    let parsed: Vec<(i64, i64)> = times.iter().map(|s| label(s)).collect::<Option<_>>()?;
    let per = parsed.first()?.0;
    parsed
        .iter()
        .all(|p| p.0 == per)
        .then(|| parsed.into_iter().map(|p| p.1).collect())
}

/// For each of `times` (sorted by [`sort_periods`]), the position of the period `k` periods
/// earlier (k < 0: later), if there is one: on a calendar ([`calendar_periods`]: years,
/// quarters, months) by the calendar, so a gap gives `None` as Stata's `L.` does; over other
/// periods by position. Serves panel lags and every index that needs "the period before".
pub fn shifted_periods(times: &[String], k: i64) -> Vec<Option<usize>> {
    let t = times.len();
    match calendar_periods(times) {
        Some(cal) => {
            let pos: std::collections::HashMap<i64, usize> = cal.iter().enumerate().map(|(s, &y)| (y, s)).collect();
            cal.iter()
                .map(|y| y.checked_sub(k).and_then(|p| pos.get(&p).copied()))
                .collect()
        }
        None => (0..t as i64)
            .map(|s| {
                s.checked_sub(k)
                    .and_then(|p| usize::try_from(p).ok())
                    .filter(|&p| p < t)
            })
            .collect(),
    }
}

/// Natural order of labels: runs of ASCII digits compare as numbers (`t2` before `t10`), other
/// characters as characters; labels equal in that sense are ordered as plain text.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        if ab[i].is_ascii_digit() && bb[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let (da, db) = (a[si..i].trim_start_matches('0'), b[sj..j].trim_start_matches('0'));
            let o = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if o != Ordering::Equal {
                return o;
            }
        } else {
            let ca = a[i..].chars().next().unwrap_or_default();
            let cb = b[j..].chars().next().unwrap_or_default();
            if ca != cb {
                return ca.cmp(&cb);
            }
            i += ca.len_utf8();
            j += cb.len_utf8();
        }
    }
    (ab.len() - i).cmp(&(bb.len() - j)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let s = |v: &[&str]| {
            let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
            sort_periods(&mut v).unwrap();
            v
        };
        assert_eq!(
            s(&["t10", "t2", "t1", "t02b", "x", "t2a"]),
            ["t1", "t2", "t2a", "t02b", "t10", "x"]
        );
        assert_eq!(s(&["10", "9", "-1", "2.5"]), ["-1", "2.5", "9", "10"]);
        assert_eq!(s(&["2001-02", "2000-12", "2001-10"]), ["2000-12", "2001-02", "2001-10"]);
        let e = |v: &[&str]| {
            let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
            sort_periods(&mut v).unwrap_err().to_string()
        };
        assert!(e(&["1", "1.0"]).contains("'1' and '1.0'"));
        assert!(e(&["12/31/2000", "1/31/2001"]).contains("'1/31/2001' and '12/31/2000'"));
        assert!(e(&["2001-1", "2001-01"]).contains("the same period"));
        assert_eq!(s(&["2001Q2", "2001-Q1", "2000q4"]), ["2000q4", "2001-Q1", "2001Q2"]);
        let q = |v: &[&str]| calendar_periods(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(q(&["2001Q4", "2002q1", "2002-Q3"]), Some(vec![8007, 8008, 8010]));
        assert_eq!(q(&["2001m12", "2002M01", "2002-02"]), Some(vec![24023, 24024, 24025]));
        assert_eq!(q(&["2001Q1", "2001m1"]), None);
        assert_eq!(q(&["t1", "t2"]), None);
        assert_eq!(q(&["2001Q5"]), None);
    }
}
