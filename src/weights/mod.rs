//! Spatial weights matrices: construction, standardisation, storage and spectrum.
//!
//! A [`Weights`] keeps the unit ids, the sparse matrix (CSR, zero diagonal) and, when the matrix
//! is W = D⁻¹C with C symmetric (row-standardised symmetric weights), the row sums `d` of C so
//! that the eigenvalues can be taken from the symmetric similar matrix
//! S = D^{1/2} W D^{−1/2} = D^{−1/2} C D^{−1/2} (docs/methods.md §4.2). The matrix is shared between
//! clones (`Arc`); its eigenvalues and its derived facts ([`Facts`]: row sums, row-stochastic,
//! symmetric, similar to symmetric) are computed once and cached, and reorderings of the units
//! ([`Weights::aligned_to`]) carry both caches over.

pub mod algebra;
pub mod band;
pub mod block;
pub mod build;
pub mod builder;
pub mod contiguity;
pub mod derived;
pub mod distance;
pub mod economic;
pub mod facts;
pub mod geodesic;
pub mod io;
pub mod knn;
pub mod links;
pub mod nested;
pub mod order;
pub mod points;
pub mod serialize;
pub mod similarity;
pub mod spectrum;
pub mod summary;

use crate::error::{list_some, Error, Result};
use sprs::{CsMat, TriMat};
use std::sync::{Arc, OnceLock};

pub use derived::Derived;
pub use facts::Facts;
pub use similarity::FACT_TOL;
pub use spectrum::Spectrum;

/// How a weights matrix has been standardised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standardization {
    /// Raw weights.
    None,
    /// Rows sum to one (the default).
    Row,
    /// Divided by the largest absolute eigenvalue.
    Spectral,
    /// Divided by min(max row sum, max column sum).
    MinMax,
}

impl Standardization {
    /// The option value naming this standardisation.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Row => "row",
            Self::Spectral => "spectral",
            Self::MinMax => "minmax",
        }
    }
}

/// How a derived W was built, reported by [`Weights::summary`] (docs/methods.md §16.3–16.4):
/// the builder and form, the distance-decay exponent α of its geographic part, and the link
/// edits made by `add_link` / `remove_link`, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    /// The builder and form, e.g. "nested N2" or "distance inverse".
    pub form: Option<String>,
    /// The distance-decay exponent α (c_ij = d_ij^(−α), or the family's α).
    pub alpha: Option<f64>,
    /// Link edits in order, e.g. "added HAINAN–GUANGDONG".
    pub edits: Vec<String>,
}

/// A spatial weights matrix keyed by unit ids.
#[derive(Debug, Clone)]
pub struct Weights {
    ids: Vec<String>,
    matrix: Arc<CsMat<f64>>,
    standardization: Standardization,
    /// How a derived W was built (`None` for a W read or built without a record).
    provenance: Option<Arc<Provenance>>,
    /// Row sums d of a symmetric C with W = D⁻¹C (present when the similarity trick applies).
    sym_scale: Option<Vec<f64>>,
    spectrum: Arc<OnceLock<Arc<Spectrum>>>,
    facts: Arc<OnceLock<Arc<Facts>>>,
    /// Per-W numeric objects (sparse engine, spectral bound, power traces, last reordering).
    derived: Arc<Derived>,
}

/// The last-reordering slot of `d`.
fn lock_aligned(d: &Derived) -> std::sync::MutexGuard<'_, Option<Weights>> {
    d.aligned.lock().unwrap_or_else(|e| e.into_inner())
}

impl PartialEq for Weights {
    fn eq(&self, other: &Self) -> bool {
        self.ids == other.ids && self.matrix == other.matrix && self.standardization == other.standardization
    }
}

impl Weights {
    /// Weights from raw (unstandardised) triplets `(i, j, c_ij)` over `ids`, then standardised
    /// with `kind`. Diagonal entries and explicit zeros are dropped. Units without neighbours
    /// (islands) are an error naming them unless `keep_islands` is set; negative weights are
    /// refused (see [`Weights::from_triplets_with`] to allow them).
    pub fn from_triplets(
        ids: Vec<String>,
        triplets: &[(usize, usize, f64)],
        kind: Standardization,
        keep_islands: bool,
    ) -> Result<Weights> {
        let common = builder::Common {
            standardize: kind,
            keep_islands,
            allow_negative: false,
        };
        Self::from_triplets_with(ids, triplets, &common)
    }

    /// Weights from raw triplets `(i, j, c_ij)` over `ids` with the checks and standardisation
    /// of `common` (see [`Weights::from_raw_with`]). Diagonal entries and explicit zeros are
    /// dropped; an index outside the ids is an error.
    pub fn from_triplets_with(
        ids: Vec<String>,
        triplets: &[(usize, usize, f64)],
        common: &builder::Common,
    ) -> Result<Weights> {
        let n = ids.len();
        let mut tri = TriMat::new((n, n));
        for &(i, j, w) in triplets {
            if i >= n || j >= n {
                return Err(Error::data(format!("weights: index ({i}, {j}) outside 0..{n}")));
            }
            if i != j && w != 0.0 {
                tri.add_triplet(i, j, w);
            }
        }
        let raw: CsMat<f64> = tri.to_csr();
        Self::from_raw_with(ids, raw, common)
    }

    /// Weights from a raw CSR matrix (zero diagonal assumed), standardised with `kind`;
    /// negative weights are refused (see [`Weights::from_raw_with`]).
    pub fn from_raw(ids: Vec<String>, raw: CsMat<f64>, kind: Standardization, keep_islands: bool) -> Result<Weights> {
        let common = builder::Common {
            standardize: kind,
            keep_islands,
            allow_negative: false,
        };
        Self::from_raw_with(ids, raw, &common)
    }

    /// The one place where weights come into being (every builder and reader ends here).
    /// Checks, each an error naming the culprit:
    /// * at least one unit, and no duplicate ids;
    /// * every weight is a finite number (the pair of ids is named);
    /// * no negative weight unless `common.allow_negative` (the pair and the value are named);
    /// * no row whose sum overflows (infinite row sum; the unit is named);
    /// * no island unless `common.keep_islands`: a unit without a non-zero weight, or whose
    ///   weights sum to 0 (they cancel, possible only with negative weights).
    ///
    /// Then the matrix is standardised with `common.standardize`.
    pub fn from_raw_with(ids: Vec<String>, raw: CsMat<f64>, common: &builder::Common) -> Result<Weights> {
        let raw = if raw.is_csr() { raw } else { raw.to_csr() };
        let n = ids.len();
        if n == 0 {
            return Err(Error::data(
                "weights: no units (the input has no rows or features); a W needs at least one unit",
            ));
        }
        {
            let mut seen = std::collections::HashSet::new();
            let dups: Vec<&String> = ids.iter().filter(|id| !seen.insert(id.as_str())).collect();
            if !dups.is_empty() {
                return Err(Error::data(format!(
                    "weights: duplicate unit ids: {}",
                    list_some(&dups, 10)
                )));
            }
        }
        if raw.rows() != n || raw.cols() != n {
            return Err(Error::data(format!(
                "weights: a {}x{} matrix for {n} unit ids",
                raw.rows(),
                raw.cols()
            )));
        }
        let mut empty = Vec::new();
        let mut cancel = Vec::new();
        for (i, row) in raw.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                if !v.is_finite() {
                    return Err(Error::data(format!(
                        "weights: the weight from unit {} to unit {} is {v}, not a finite number; \
                         check the input (a zero distance or a tie gives an infinite inverse weight)",
                        ids[i], ids[j]
                    )));
                }
                if v < 0.0 && !common.allow_negative {
                    return Err(Error::data(format!(
                        "weights: negative weight {v} from unit {} to unit {}; weights must be >= 0 \
                         (negative weights make the eigenvalues and the interval of rho meaningless); \
                         if they are intended, pass allow_negative: true",
                        ids[i], ids[j]
                    )));
                }
            }
            let sum: f64 = row.data().iter().sum();
            if sum.is_infinite() || sum.is_nan() {
                return Err(Error::data(format!(
                    "weights: the weights of unit {} sum to {sum} (overflow: they are too large to add up); \
                     rescale them (e.g. divide by their largest value)",
                    ids[i]
                )));
            }
            if row.data().iter().all(|v| *v == 0.0) {
                empty.push(&ids[i]);
            } else if sum == 0.0 {
                cancel.push(&ids[i]);
            }
        }
        let islands = !(empty.is_empty() && cancel.is_empty());
        if islands && !common.keep_islands {
            let mut parts = Vec::new();
            if !empty.is_empty() {
                parts.push(format!(
                    "{} unit(s) have no neighbours (islands): {}",
                    empty.len(),
                    list_some(&empty, 10)
                ));
            }
            if !cancel.is_empty() {
                parts.push(format!(
                    "{} unit(s) have weights that sum to 0 (islands: their weights cancel): {}",
                    cancel.len(),
                    list_some(&cancel, 10)
                ));
            }
            return Err(Error::data(format!(
                "weights: {}; pass the option islands: \"keep\" to keep them (for a distance-band or kNN W, a \
                 larger cutoff or k gives them neighbours)",
                parts.join("; ")
            )));
        }
        let mut w = Weights {
            ids,
            matrix: Arc::new(raw),
            standardization: Standardization::None,
            provenance: None,
            sym_scale: None,
            spectrum: Arc::new(OnceLock::new()),
            facts: Arc::new(OnceLock::new()),
            derived: Arc::default(),
        };
        if w.facts().symmetric {
            // A symmetric C is its own similarity (d = 1): record it, and keep the facts.
            let mut f = (*w.facts()).clone();
            f.similarity = Some(vec![1.0; n]);
            w.sym_scale = Some(vec![1.0; n]);
            w.facts = Arc::new(OnceLock::from(Arc::new(f)));
        }
        w.into_standardized(common.standardize)
    }

    /// A new matrix with standardisation `kind` applied to the current weights.
    /// Row standardisation of a symmetric matrix records the row sums for the similarity trick.
    pub fn standardize(&self, kind: Standardization) -> Result<Weights> {
        self.clone().into_standardized(kind)
    }

    /// [`Weights::standardize`] taking the weights by value: the matrix is scaled in place
    /// (copied only when shared with another `Weights`), and with `Standardization::None` it is
    /// relabelled only, keeping the cached eigenvalues and facts.
    pub fn into_standardized(mut self, kind: Standardization) -> Result<Weights> {
        if kind == Standardization::None {
            self.standardization = kind;
            return Ok(self);
        }
        let spectral = match kind {
            Standardization::Spectral => Some(self.spectrum()?.spectral_radius()),
            _ => None,
        };
        let mut sym_scale = self.sym_scale.take();
        let m = Arc::make_mut(&mut self.matrix);
        match kind {
            Standardization::None => {}
            Standardization::Row => {
                let sums = row_sums(m);
                for (i, mut row) in m.outer_iterator_mut().enumerate() {
                    if sums[i] != 0.0 {
                        for (_, v) in row.iter_mut() {
                            *v /= sums[i];
                        }
                    }
                }
                // W = D⁻¹C with C symmetric: keep d (scaled by any previous factors). The
                // similarity S = D^{1/2} W D^{−1/2} needs d > 0: with negative row sums (negative
                // weights allowed) the general solver is used instead.
                sym_scale = sym_scale
                    .map(|d| -> Vec<f64> {
                        d.iter()
                            .zip(&sums)
                            .map(|(a, s)| if *s != 0.0 { a * s } else { *a })
                            .collect()
                    })
                    .filter(|d| d.iter().all(|v| v.is_finite() && *v > 0.0));
            }
            Standardization::Spectral => {
                let r = spectral.unwrap_or(0.0);
                if r > 0.0 {
                    m.map_inplace(|v| v / r);
                }
            }
            Standardization::MinMax => {
                let rmax = row_sums(m).into_iter().fold(0.0, f64::max);
                let cmax = row_sums(&m.transpose_view().to_csr()).into_iter().fold(0.0, f64::max);
                let s = rmax.min(cmax);
                if s > 0.0 {
                    m.map_inplace(|v| v / s);
                }
            }
        }
        self.standardization = kind;
        self.sym_scale = sym_scale;
        self.spectrum = Arc::new(OnceLock::new());
        self.facts = Arc::new(OnceLock::new());
        self.derived = Arc::default();
        Ok(self)
    }

    /// The facts of W ([`Facts`]: row sums, row-stochastic, symmetric, similarity to a
    /// symmetric matrix), computed on first use and kept (shared by clones and carried over,
    /// permuted, by [`Weights::aligned_to`]).
    pub fn facts(&self) -> Arc<Facts> {
        self.facts.get_or_init(|| Arc::new(Facts::of(self))).clone()
    }

    /// The per-W cache ([`Derived`]: objects derived from this matrix by later layers, and the
    /// last reordering), shared by clones and dropped when the matrix changes.
    pub fn derived(&self) -> &Derived {
        &self.derived
    }

    /// True when the facts are already computed.
    pub fn has_facts(&self) -> bool {
        self.facts.get().is_some()
    }

    /// The same matrix labelled with standardisation `kind` (for weights read from a file that
    /// are already standardised; the values are not touched).
    pub fn labelled(mut self, kind: Standardization) -> Weights {
        self.standardization = kind;
        self
    }

    /// How this W was built, when recorded ([`Provenance`]).
    pub fn provenance(&self) -> Option<&Provenance> {
        self.provenance.as_deref()
    }

    /// The same W with the record `p` of how it was built.
    pub fn with_provenance(mut self, p: Provenance) -> Weights {
        self.provenance = Some(Arc::new(p));
        self
    }

    /// Number of units.
    pub fn n(&self) -> usize {
        self.ids.len()
    }
    /// Number of non-zero weights (links).
    pub fn nnz(&self) -> usize {
        self.matrix.nnz()
    }
    /// Unit ids in matrix order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
    /// The sparse matrix (CSR).
    pub fn matrix(&self) -> &CsMat<f64> {
        &self.matrix
    }
    /// The standardisation applied.
    pub fn standardization(&self) -> Standardization {
        self.standardization
    }
    /// Row sums d of the symmetric C when W = D⁻¹C (the symmetric-similarity case).
    pub fn sym_scale(&self) -> Option<&[f64]> {
        self.sym_scale.as_deref()
    }
    /// The same matrix without the symmetric-similarity information (forces general solvers).
    pub fn without_sym_scale(&self) -> Weights {
        Weights {
            ids: self.ids.clone(),
            matrix: self.matrix.clone(),
            standardization: self.standardization,
            provenance: self.provenance.clone(),
            sym_scale: None,
            spectrum: Arc::new(OnceLock::new()),
            facts: Arc::new(OnceLock::new()),
            derived: Arc::default(),
        }
    }

    /// True when the matrix itself is symmetric (to [`FACT_TOL`]; kept in [`Weights::facts`]).
    pub fn is_symmetric(&self) -> bool {
        self.facts().symmetric
    }

    /// Spatial lag Wx of an N-vector.
    pub fn lag(&self, x: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n()];
        self.lag_into(x, &mut out);
        out
    }

    /// Spatial lag written into `out` (no allocation).
    pub fn lag_into(&self, x: &[f64], out: &mut [f64]) {
        for (i, row) in self.matrix.outer_iterator().enumerate() {
            out[i] = row.iter().map(|(j, w)| w * x[j]).sum();
        }
    }

    /// Period-by-period lag (I_T ⊗ W)x of a time-slow stacked NT-vector.
    pub fn lag_panel(&self, x: &[f64]) -> Vec<f64> {
        let n = self.n();
        let mut out = vec![0.0; x.len()];
        for (xs, os) in x.chunks(n).zip(out.chunks_mut(n)) {
            self.lag_into(xs, os);
        }
        out
    }

    /// True when the eigenvalues are already computed (in this W's cache, which its
    /// reorderings by [`Weights::aligned_to`] share).
    pub fn has_spectrum(&self) -> bool {
        self.spectrum.get().is_some()
    }

    /// The eigenvalues (computed once, cached; see [`spectrum`]).
    pub fn spectrum(&self) -> Result<Arc<Spectrum>> {
        if let Some(s) = self.spectrum.get() {
            return Ok(s.clone());
        }
        let s = Arc::new(spectrum::compute(self)?);
        let _ = self.spectrum.set(s.clone());
        Ok(s)
    }

    /// This matrix with rows and columns permuted to the order of `ids`. The two id sets must be
    /// equal; otherwise the error names ids found on only one side (see [`positions_of`]).
    ///
    /// A permutation PWP' has the eigenvalues of W, so the result shares this matrix's spectrum
    /// cache: the eigenvalues are computed at most once for W and all its reorderings. The
    /// symmetric-similarity scale `d` and the facts already computed are permuted with the
    /// units (not recomputed).
    pub fn aligned_to(&self, ids: &[String]) -> Result<Weights> {
        if ids == self.ids.as_slice() {
            return Ok(self.clone());
        }
        let cached = lock_aligned(&self.derived).as_ref().filter(|a| a.ids == ids).cloned();
        if let Some(a) = cached {
            return Ok(a);
        }
        let perm = positions_of(&self.ids, ids)?;
        let mut inv = vec![0; perm.len()];
        for (new, &old) in perm.iter().enumerate() {
            inv[old] = new;
        }
        let mut tri = TriMat::new((self.n(), self.n()));
        for (i, row) in self.matrix.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                tri.add_triplet(inv[i], inv[j], v);
            }
        }
        let sym_scale = self.sym_scale.as_ref().map(|d| perm.iter().map(|&o| d[o]).collect());
        let facts = match self.facts.get() {
            Some(f) => OnceLock::from(Arc::new(f.permuted(&perm))),
            None => OnceLock::new(),
        };
        let aligned = Weights {
            ids: ids.to_vec(),
            matrix: Arc::new(tri.to_csr()),
            standardization: self.standardization,
            provenance: self.provenance.clone(),
            sym_scale,
            spectrum: self.spectrum.clone(),
            facts: Arc::new(facts),
            derived: Arc::default(),
        };
        *lock_aligned(&self.derived) = Some(aligned.clone());
        Ok(aligned)
    }

    /// The raw (unstandardised up to a per-row factor) symmetric C when known: c_ij = d_i w_ij.
    fn raw_symmetric(&self) -> Option<CsMat<f64>> {
        let d = self.sym_scale.as_ref()?;
        let mut c = (*self.matrix).clone();
        for (i, mut row) in c.outer_iterator_mut().enumerate() {
            for (_, v) in row.iter_mut() {
                *v *= d[i];
            }
        }
        Some(c)
    }

    /// The sub-matrix of units `ids` (in that order), re-standardised the same way; for
    /// subgroup fits. For row-standardised weights the rows of the original raw weights are
    /// re-normalised over the kept units.
    pub fn subset(&self, ids: &[String], keep_islands: bool) -> Result<Weights> {
        let pos: std::collections::HashMap<&str, usize> =
            self.ids.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        let missing: Vec<&String> = ids.iter().filter(|k| !pos.contains_key(k.as_str())).collect();
        if !missing.is_empty() {
            return Err(Error::data(format!(
                "subset: ids not in the weights: {}",
                list_some(&missing, 10)
            )));
        }
        let raw = self.raw_symmetric();
        let base: &CsMat<f64> = raw.as_ref().unwrap_or(&self.matrix);
        let newpos: std::collections::HashMap<usize, usize> =
            ids.iter().enumerate().map(|(k, id)| (pos[id.as_str()], k)).collect();
        let mut trip = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            if let Some(row) = base.outer_view(pos[id.as_str()]) {
                for (j, &v) in row.iter() {
                    if let Some(&jj) = newpos.get(&j) {
                        trip.push((k, jj, v));
                    }
                }
            }
        }
        let std = self.standardization;
        let common = builder::Common {
            standardize: Standardization::None,
            keep_islands,
            // Negative weights present here were allowed when this W was built.
            allow_negative: base.data().iter().any(|v| *v < 0.0),
        };
        let mut w = Weights::from_triplets_with(ids.to_vec(), &trip, &common)
            .map_err(|e| Error::data(format!("subset: {e}")))?;
        if self.sym_scale.is_none() && w.sym_scale.is_some() {
            w = w.without_sym_scale();
        }
        w.into_standardized(std)
    }

    /// S0 = Σ_ij w_ij, S1 = ½ Σ_ij (w_ij + w_ji)², S2 = Σ_i (row_i + col_i)² (docs/methods.md §3).
    pub fn s012(&self) -> (f64, f64, f64) {
        let n = self.n();
        let t = self.matrix.transpose_view().to_csr();
        let s0: f64 = self.matrix.data().iter().sum();
        let mut s1 = 0.0;
        // (w + w')² summed over the union of patterns.
        let sum = &*self.matrix + &t;
        for v in sum.data() {
            s1 += v * v;
        }
        s1 *= 0.5;
        let facts = self.facts();
        let r = &facts.row_sums;
        let c = row_sums(&t);
        let s2 = (0..n).map(|i| (r[i] + c[i]).powi(2)).sum();
        (s0, s1, s2)
    }

    /// tr(W W) = Σ_ij w_ij w_ji and tr(W'W) = Σ_ij w_ij²; O(nnz).
    pub fn traces2(&self) -> (f64, f64) {
        let t = self.matrix.transpose_view().to_csr();
        let trww = frobenius_dot(&self.matrix, &t);
        let trwtw = self.matrix.data().iter().map(|v| v * v).sum();
        (trww, trwtw)
    }

    /// Attaches the row sums `d` of a symmetric C with W = D⁻¹C (so eigenvalues come from the
    /// symmetric similar matrix), after checking d_i w_ij = d_j w_ji on every link
    /// ([`FACT_TOL`] relative). The matrix itself is unchanged (and not copied).
    pub fn with_sym_scale(self, d: Vec<f64>) -> Result<Weights> {
        if d.len() != self.n() || d.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::invalid("with_sym_scale: need one positive scale per unit"));
        }
        let ok = similarity::transpose_values(&self.matrix)
            .is_some_and(|wt| similarity::scale_verified(&self.matrix, &wt, &d));
        if !ok {
            return Err(Error::invalid("with_sym_scale: D·W is not symmetric"));
        }
        Ok(self.with_verified_sym_scale(d))
    }

    /// Attaches `d` already verified (d_i w_ij = d_j w_ji): the eigenvalue cache is reset (they
    /// are now taken from the symmetric similar matrix), the facts record `d` as the similarity.
    pub(crate) fn with_verified_sym_scale(mut self, d: Vec<f64>) -> Weights {
        let facts = match self.facts.get() {
            Some(f) => {
                let mut f = (**f).clone();
                f.similarity = Some(d.clone());
                OnceLock::from(Arc::new(f))
            }
            None => OnceLock::new(),
        };
        self.sym_scale = Some(d);
        self.spectrum = Arc::new(OnceLock::new());
        self.facts = Arc::new(facts);
        self.derived = Arc::default();
        self
    }

    /// Dense copy (row-major N×N); for small N only.
    pub fn to_dense(&self) -> Vec<f64> {
        let n = self.n();
        let mut d = vec![0.0; n * n];
        for (i, row) in self.matrix.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                d[i * n + j] = v;
            }
        }
        d
    }
}

/// For each of `ids` (the data's units) its position in `w_ids` (the units of a weights
/// matrix). The two lists must hold the same ids, each once; otherwise the error names ids found
/// on one side only and ids repeated in the data. Serves [`Weights::aligned_to`] and the
/// matching of cross-section rows to W.
pub fn positions_of(w_ids: &[String], ids: &[String]) -> Result<Vec<usize>> {
    use std::collections::{HashMap, HashSet};
    let pos: HashMap<&str, usize> = w_ids.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let in_data_only: Vec<&String> = ids.iter().filter(|k| !pos.contains_key(k.as_str())).collect();
    let data: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let in_w_only: Vec<&String> = w_ids.iter().filter(|k| !data.contains(k.as_str())).collect();
    let mut seen = HashSet::new();
    let mut repeated: Vec<&String> = ids.iter().filter(|k| !seen.insert(k.as_str())).collect();
    repeated.dedup();
    if in_data_only.is_empty() && in_w_only.is_empty() && repeated.is_empty() && ids.len() == w_ids.len() {
        return Ok(ids.iter().map(|k| pos[k.as_str()]).collect());
    }
    let mut msg = String::from("weights ids do not match the data ids");
    if !in_data_only.is_empty() {
        msg += &format!("; in the data but not in the weights: {}", list_some(&in_data_only, 10));
    }
    if !in_w_only.is_empty() {
        msg += &format!("; in the weights but not in the data: {}", list_some(&in_w_only, 10));
    }
    if !repeated.is_empty() {
        msg += &format!("; repeated in the data: {}", list_some(&repeated, 10));
    }
    msg += &crate::data::same_number_hint(&in_data_only, &in_w_only);
    Err(Error::data(
        msg + "; build W from the same units (w.subset(ids) keeps a subset)",
    ))
}

/// Row sums of a CSR matrix.
pub fn row_sums(m: &CsMat<f64>) -> Vec<f64> {
    m.outer_iterator().map(|r| r.data().iter().sum()).collect()
}

/// True when `m` equals its transpose (to [`FACT_TOL`] relative); O(nnz). For a [`Weights`],
/// [`Weights::is_symmetric`] keeps the answer.
pub fn is_symmetric(m: &CsMat<f64>) -> bool {
    similarity::is_symmetric_fast(m)
}

/// Σ_ij a_ij b_ij over two CSR matrices of the same shape (a merge of each row's sorted
/// column indices); O(nnz).
pub fn frobenius_dot(a: &CsMat<f64>, b: &CsMat<f64>) -> f64 {
    let mut total = 0.0;
    for (ra, rb) in a.outer_iterator().zip(b.outer_iterator()) {
        let (ia, da) = (ra.indices(), ra.data());
        let (ib, db) = (rb.indices(), rb.data());
        let (mut p, mut q) = (0, 0);
        while p < ia.len() && q < ib.len() {
            match ia[p].cmp(&ib[q]) {
                std::cmp::Ordering::Less => p += 1,
                std::cmp::Ordering::Greater => q += 1,
                std::cmp::Ordering::Equal => {
                    total += da[p] * db[q];
                    p += 1;
                    q += 1;
                }
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|i| i.to_string()).collect()
    }

    #[test]
    fn ring_row_standardised() {
        // 4-ring, docs/methods.md Appendix B: S0 = 4, S1 = 4, S2 = 16.
        let t = [
            (0, 1, 1.0),
            (1, 0, 1.0),
            (1, 2, 1.0),
            (2, 1, 1.0),
            (2, 3, 1.0),
            (3, 2, 1.0),
            (3, 0, 1.0),
            (0, 3, 1.0),
        ];
        let w = Weights::from_triplets(ids(4), &t, Standardization::Row, false).unwrap();
        let (s0, s1, s2) = w.s012();
        assert!((s0 - 4.0).abs() < 1e-14 && (s1 - 4.0).abs() < 1e-14 && (s2 - 16.0).abs() < 1e-14);
        assert!(w.sym_scale().is_some());
        assert_eq!(w.lag(&[1.0, 2.0, 3.0, 4.0]), vec![3.0, 2.0, 3.0, 2.0]);
    }

    #[test]
    fn islands_are_named() {
        let e = Weights::from_triplets(ids(3), &[(0, 1, 1.0), (1, 0, 1.0)], Standardization::Row, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("islands") && e.contains('3'), "{e}");
    }

    #[test]
    fn align_reports_both_sides() {
        let w = Weights::from_triplets(ids(2), &[(0, 1, 1.0), (1, 0, 1.0)], Standardization::Row, false).unwrap();
        let e = w.aligned_to(&["1".into(), "x".into()]).unwrap_err().to_string();
        assert!(
            e.contains("not in the weights: x") && e.contains("not in the data: 2"),
            "{e}"
        );
    }
}
