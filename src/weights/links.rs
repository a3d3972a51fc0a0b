//! Editing the links of a contiguity W by hand (docs/methods.md §16.4): `add_link` and
//! `remove_link`, e.g. joining Hainan to Guangdong as provincial studies do.

use super::builder::{csr_from_rows, Common};
use super::Weights;
use crate::error::{Error, Result};

impl Weights {
    /// The binary pattern with the links i–j and j–i added (`add`) or removed, standardised
    /// again as this W is (row, spectral, min–max or none; a W whose rows sum to one is
    /// row-standardised again even when labelled none, as weights read from a file are). Only for a pattern (contiguity-like)
    /// W, whose every row holds one repeated value (binary, or a row-standardised binary
    /// matrix): a link of a weighted W has no obvious weight, so other matrices are an error.
    /// Unknown ids are an error naming them; removing a link may leave an island (an error
    /// naming it unless `keep_islands`). The edit is appended to the record of how W was built
    /// ([`super::Provenance::edits`]), which `w.summary()` reports.
    pub fn edit_link(&self, i: &str, j: &str, add: bool, keep_islands: bool) -> Result<Weights> {
        let what = if add { "add_link" } else { "remove_link" };
        let pos = |id: &str| {
            self.ids().iter().position(|k| k == id).ok_or_else(|| {
                Error::data(format!(
                    "{what}: unit '{id}' is not in the weights ({} units)",
                    self.n()
                ))
            })
        };
        let (a, b) = (pos(i)?, pos(j)?);
        if a == b {
            return Err(Error::invalid(format!(
                "{what}: '{i}' and '{j}' are the same unit; the diagonal of W is 0"
            )));
        }
        for (r, row) in self.matrix().outer_iterator().enumerate() {
            let d = row.data();
            if d.iter().any(|v| (v - d[0]).abs() > 1e-12 * d[0].abs()) {
                return Err(Error::invalid(format!(
                    "{what}: the weights of unit {} are not all equal, so W is not a contiguity (binary) pattern and a \
                     new link has no obvious weight; edit the triplets (w.save(\"w.csv\")) or combine matrices with \
                     w1 + w2",
                    self.ids()[r]
                )));
            }
        }
        let n = self.n();
        let rows: Vec<(Vec<usize>, Vec<f64>)> = self
            .matrix()
            .outer_iterator()
            .enumerate()
            .map(|(r, row)| {
                let mut idx: Vec<usize> = row.indices().to_vec();
                let other = if r == a {
                    Some(b)
                } else if r == b {
                    Some(a)
                } else {
                    None
                };
                if let Some(o) = other {
                    idx.retain(|&k| k != o);
                    if add {
                        idx.push(o);
                        idx.sort_unstable();
                    }
                }
                let ones = vec![1.0; idx.len()];
                (idx, ones)
            })
            .collect();
        let raw = csr_from_rows(n, rows)?;
        // A W read from a file is labelled "none" even when its rows sum to one: keep it row-standardised.
        let standardize = match self.standardization() {
            super::Standardization::None if self.facts().row_standardised => super::Standardization::Row,
            s => s,
        };
        let common = Common {
            standardize,
            keep_islands,
            allow_negative: false,
        };
        let w = Weights::from_raw_with(self.ids().to_vec(), raw, &common)
            .map_err(|e| Error::data(format!("{what}: {e}")))?;
        // The edit is recorded after those already made, for w.summary() (docs/methods.md §16.4).
        let mut prov = self.provenance().cloned().unwrap_or_default();
        prov.edits.push(format!(
            "{} {}–{}",
            if add { "added" } else { "removed" },
            self.ids()[a],
            self.ids()[b]
        ));
        Ok(w.with_provenance(prov))
    }
}
