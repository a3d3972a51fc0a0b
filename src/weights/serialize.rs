//! The JSON form of a weights matrix (API.md "JSON"): `{n, nnz, ids, standardization,
//! symmetric, similar_to_symmetric, triplets}`, every weight as a triplet `[id_i, id_j, w_ij]`
//! in row order.

use super::Weights;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// Every non-zero weight as `[id_i, id_j, w_ij]`, row by row.
struct Triplets<'a>(&'a Weights);

impl Serialize for Triplets<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let w = self.0;
        let ids = w.ids();
        let mut seq = s.serialize_seq(Some(w.nnz()))?;
        for (i, row) in w.matrix().outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                seq.serialize_element(&(&ids[i], &ids[j], v))?;
            }
        }
        seq.end()
    }
}

impl Serialize for Weights {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The facts only: the summary of a derived W would also compute its eigenvalues.
        let facts = self.facts();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("n", &self.n())?;
        m.serialize_entry("nnz", &self.nnz())?;
        m.serialize_entry("ids", self.ids())?;
        m.serialize_entry("standardization", self.standardization().name())?;
        m.serialize_entry("symmetric", &facts.symmetric)?;
        m.serialize_entry("similar_to_symmetric", &(facts.symmetric || facts.similarity.is_some()))?;
        m.serialize_entry("triplets", &Triplets(self))?;
        m.end()
    }
}
