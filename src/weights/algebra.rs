//! Algebra of weights matrices on matched unit ids (docs/methods.md §16.3): the Hadamard
//! (element-wise) product, positive multiples, sums and the binary pattern. Results are raw
//! weights (standardisation "none"); standardise them afterwards with [`Weights::standardize`].

use super::builder::{csr_from_rows, Common};
use super::{Standardization, Weights};
use crate::error::{Error, Result};

/// Options of the results: no standardisation, islands as asked, no negative weight.
fn raw(keep_islands: bool) -> Common {
    Common {
        standardize: Standardization::None,
        keep_islands,
        allow_negative: false,
    }
}

impl Weights {
    /// `other` with its units in the order of this W's ids. The two must hold the same ids
    /// (matched by id, never by position); otherwise the error names the first id, in this W's
    /// order, missing from `other` (or else the first of `other` missing here). `what` names the
    /// operation.
    pub fn matched(&self, other: &Weights, what: &str) -> Result<Weights> {
        if self.ids() == other.ids() {
            return Ok(other.clone());
        }
        let theirs: std::collections::HashSet<&str> = other.ids().iter().map(String::as_str).collect();
        let ours: std::collections::HashSet<&str> = self.ids().iter().map(String::as_str).collect();
        if let Some(id) = self.ids().iter().find(|k| !theirs.contains(k.as_str())) {
            return Err(Error::data(format!(
                "{what}: the two weights have different units: '{id}' of the first ({} units) is not in the second \
                 ({} units); build both from the same units (w.subset(ids) keeps a subset)",
                self.n(),
                other.n()
            )));
        }
        if let Some(id) = other.ids().iter().find(|k| !ours.contains(k.as_str())) {
            return Err(Error::data(format!(
                "{what}: the two weights have different units: '{id}' of the second ({} units) is not in the first \
                 ({} units); build both from the same units (w.subset(ids) keeps a subset)",
                other.n(),
                self.n()
            )));
        }
        other.aligned_to(self.ids())
    }

    /// The Hadamard product h_ij = w_ij · v_ij with `other` matched by id ([`Weights::matched`]),
    /// unstandardised. Units left without a link are islands: an error naming them unless
    /// `keep_islands`.
    pub fn hadamard(&self, other: &Weights, keep_islands: bool) -> Result<Weights> {
        let b = self.matched(other, "hadamard")?;
        let rows = self
            .matrix()
            .outer_iterator()
            .zip(b.matrix().outer_iterator())
            .map(|(ra, rb)| {
                let (ia, da) = (ra.indices(), ra.data());
                let (ib, db) = (rb.indices(), rb.data());
                let (mut p, mut q) = (0, 0);
                let (mut idx, mut val) = (Vec::new(), Vec::new());
                while p < ia.len() && q < ib.len() {
                    match ia[p].cmp(&ib[q]) {
                        std::cmp::Ordering::Less => p += 1,
                        std::cmp::Ordering::Greater => q += 1,
                        std::cmp::Ordering::Equal => {
                            let v = da[p] * db[q];
                            if v != 0.0 {
                                idx.push(ia[p]);
                                val.push(v);
                            }
                            p += 1;
                            q += 1;
                        }
                    }
                }
                (idx, val)
            })
            .collect();
        let m = csr_from_rows(self.n(), rows)?;
        Weights::from_raw_with(self.ids().to_vec(), m, &raw(keep_islands))
            .map_err(|e| Error::data(format!("hadamard: {e}")))
    }

    /// a·W, unstandardised; `a` must be a positive finite number.
    pub fn scaled(&self, a: f64) -> Result<Weights> {
        if !(a.is_finite() && a > 0.0) {
            return Err(Error::invalid(format!(
                "w * a: a must be a positive number, got {a} (weights are non-negative; a = 0 leaves every unit an island)"
            )));
        }
        let mut m = self.matrix().clone();
        m.map_inplace(|v| v * a);
        Weights::from_raw_with(self.ids().to_vec(), m, &raw(true))
    }

    /// W + V with `other` matched by id ([`Weights::matched`]), unstandardised (a convex
    /// combination φW₁ + (1 − φ)W₂ of row-standardised matrices is row-stochastic already).
    pub fn plus(&self, other: &Weights) -> Result<Weights> {
        let b = self.matched(other, "w1 + w2")?;
        let m = self.matrix() + b.matrix();
        Weights::from_raw_with(self.ids().to_vec(), m, &raw(true))
    }

    /// The binary pattern: 1 where w_ij ≠ 0, unstandardised.
    pub fn binary(&self) -> Result<Weights> {
        let mut m = self.matrix().clone();
        m.map_inplace(|v| if *v != 0.0 { 1.0 } else { 0.0 });
        Weights::from_raw_with(self.ids().to_vec(), m, &raw(true))
    }
}
