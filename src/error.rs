//! One error type for the core library. Every variant carries a message that names the file,
//! line, column, variable, unit, period or option at fault and, where it helps, what to do.

use std::fmt;

/// Errors raised by the core library.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A file could be read but its content is malformed at a known place.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: String,
        line: u64,
        column: u64,
        message: String,
    },
    /// Data do not fit what the computation needs (missing column, NaN, unbalanced panel, ...).
    #[error("{0}")]
    Data(String),
    /// An argument or option is not valid.
    #[error("{0}")]
    Invalid(String),
    /// A numerical failure (singular matrix, non-convergence, ...).
    #[error("{0}")]
    Numeric(String),
    /// The user pressed Ctrl-C while native work was running (see [`crate::interrupt`]).
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
}

/// Result alias used across the core.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Shorthand for [`Error::Data`].
    pub fn data(msg: impl fmt::Display) -> Self {
        Error::Data(msg.to_string())
    }
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(msg: impl fmt::Display) -> Self {
        Error::Invalid(msg.to_string())
    }
    /// Shorthand for [`Error::Numeric`].
    pub fn numeric(msg: impl fmt::Display) -> Self {
        Error::Numeric(msg.to_string())
    }
    /// An I/O error on `path`.
    pub fn io(path: impl fmt::Display, err: impl fmt::Display) -> Self {
        Error::Io {
            path: path.to_string(),
            message: err.to_string(),
        }
    }
}

/// Names up to `max` items of a list, then "... and K more".
pub fn list_some<T: fmt::Display>(items: &[T], max: usize) -> String {
    let mut s: Vec<String> = items.iter().take(max).map(|x| x.to_string()).collect();
    if items.len() > max {
        s.push(format!("... and {} more", items.len() - max));
    }
    s.join(", ")
}

/// The candidate closest to `name` by edit distance (case-insensitive), for "did you mean" hints.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lname = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (levenshtein(&lname, &c.to_lowercase()), c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, c)| *d <= (c.chars().count().max(name.chars().count()) / 2).max(2))
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_near_names() {
        assert_eq!(closest("gdpc", ["gdppc", "spec", "div"]), Some("gdppc"));
        assert_eq!(closest("zzzzzz", ["gdppc", "spec"]), None);
    }

    #[test]
    fn list_some_truncates() {
        assert_eq!(list_some(&[1, 2, 3], 2), "1, 2, ... and 1 more");
    }
}
