//! One error type for the core library. Every variant carries a message that names the file,
//! line, column, variable, unit, period or option at fault and, where it helps, what to do.

use std::fmt;

/// Errors raised by the core library.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file, as the user gave it.
        path: String,
        /// What went wrong (the system's message, or what to do).
        message: String,
    },
    /// A file could be read but its content is malformed at a known place.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The file, as the user gave it.
        path: String,
        /// Line number, from 1.
        line: u64,
        /// Column number (field or character, as the format counts), from 1.
        column: u64,
        /// What is wrong there and, where it helps, how to fix it.
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
    /// The user pressed Ctrl-C while native work was running (see the `interrupt` module).
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
}

/// Result alias used across the core.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The error with `prefix` before its message, in the same kind of error (e.g.
    /// "group 2: ", "formula term 'log(x)': ").
    pub fn prefixed(self, prefix: &str) -> Error {
        match self {
            Error::Io { path, message } => Error::Io {
                path,
                message: format!("{prefix}{message}"),
            },
            Error::Parse {
                path,
                line,
                column,
                message,
            } => Error::Parse {
                path,
                line,
                column,
                message: format!("{prefix}{message}"),
            },
            Error::Data(m) => Error::Data(format!("{prefix}{m}")),
            Error::Invalid(m) => Error::Invalid(format!("{prefix}{m}")),
            Error::Numeric(m) => Error::Numeric(format!("{prefix}{m}")),
            other => other,
        }
    }

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

/// The candidate closest to `name` by optimal-string-alignment distance (Levenshtein plus swapped neighbours) (case-insensitive, `strsim`), for
/// "did you mean" hints.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lname = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(&lname, &c.to_lowercase()), c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, c)| *d <= (c.chars().count().max(name.chars().count()) / 2).max(2))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_suggests_near_names() {
        assert_eq!(closest("gdpc", ["gdppc", "spec", "div"]), Some("gdppc"));
        assert_eq!(closest("zzzzzz", ["gdppc", "spec"]), None);
        // A swapped pair of letters is one edit (optimal string alignment distance).
        assert_eq!(closest("gps", ["gsp", "pc", "emp"]), Some("gsp"));
    }

    #[test]
    fn list_some_truncates() {
        assert_eq!(list_some(&[1, 2, 3], 2), "1, 2, ... and 1 more");
    }
}
