//! Numeric objects derived from a weights matrix and kept with it, so that the many fits of one W
//! in a study (SAR, SEM, SDM, robustness checks) do the per-W work once (docs/methods.md §4.3):
//! the exact sparse log-determinant engine (its fill-reducing ordering and symbolic
//! factorisation), the bound r on the spectral radius, the power traces tr(Wᵏ) of the series
//! effects, and the last reordering of the units ([`super::Weights::aligned_to`]). Shared by
//! clones; dropped whenever the matrix changes (standardisation, similarity scale).

use crate::linalg::logdet::SparseLogDet;
use crate::linalg::traces::{PowerTraces, TraceMethod, TraceOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The cache ([`super::Weights::derived`]).
#[derive(Debug, Default)]
pub struct Derived {
    sparse_logdet: OnceLock<Arc<SparseLogDet>>,
    spectral_bound: OnceLock<f64>,
    /// Power traces by (draws, seed, budget): the longest series computed (a shorter one is its
    /// prefix: the k-th trace does not depend on how many terms are asked for).
    power_traces: Mutex<Vec<(TraceOptionsKey, Arc<PowerTraces>)>>,
    /// The last reordering of the units: (ids, reordered W).
    pub(super) aligned: Mutex<Option<super::Weights>>,
    /// Number of sparse engines set up for this W (symbolic factorisations).
    setups: AtomicUsize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct TraceOptionsKey {
    draws: usize,
    seed: u64,
    budget: u64,
}

impl TraceOptionsKey {
    fn of(o: &TraceOptions) -> TraceOptionsKey {
        TraceOptionsKey {
            draws: o.draws,
            seed: o.seed,
            budget: o.exact_flop_budget.to_bits(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Derived {
    /// The sparse engine of W (set up by `make` on first use), and whether it was already there.
    pub fn sparse_logdet(
        &self,
        make: impl FnOnce() -> crate::error::Result<SparseLogDet>,
    ) -> crate::error::Result<(Arc<SparseLogDet>, bool)> {
        if let Some(e) = self.sparse_logdet.get() {
            return Ok((e.clone(), true));
        }
        let e = Arc::new(make()?);
        self.setups.fetch_add(1, Ordering::Relaxed);
        // Another thread may have set it meanwhile: keep the first one.
        let kept = self.sparse_logdet.get_or_init(|| e).clone();
        Ok((kept, false))
    }

    /// Number of sparse engines set up for this W (1 after any number of sparse fits).
    pub fn sparse_setups(&self) -> usize {
        self.setups.load(Ordering::Relaxed)
    }

    /// The bound on the spectral radius, computed by `make` on first use.
    pub fn spectral_bound(&self, make: impl FnOnce() -> f64) -> f64 {
        *self.spectral_bound.get_or_init(make)
    }

    /// tr(Wᵏ), k = 1..m under `opts`: the first m of a cached longer series, else computed by
    /// `make(m)` and kept. `exact_affordable`: whether `make(m)` would compute them exactly (a
    /// stochastic longer series is then not used, so that the result is what `make(m)` gives).
    pub fn power_traces(
        &self,
        m: usize,
        opts: &TraceOptions,
        exact_affordable: bool,
        make: impl FnOnce(usize) -> crate::error::Result<PowerTraces>,
    ) -> crate::error::Result<PowerTraces> {
        let key = TraceOptionsKey::of(opts);
        let usable = |pt: &PowerTraces| {
            pt.terms() == m || (pt.terms() > m && (pt.method != TraceMethod::Stochastic || !exact_affordable))
        };
        let hit = lock(&self.power_traces)
            .iter()
            .find(|(k, pt)| *k == key && usable(pt))
            .map(|(_, pt)| pt.clone());
        if let Some(pt) = hit {
            return Ok(prefix(&pt, m));
        }
        let pt = make(m)?;
        let mut cache = lock(&self.power_traces);
        cache.retain(|(k, _)| *k != key);
        cache.push((key, Arc::new(pt.clone())));
        Ok(pt)
    }
}

/// The first `m` power traces of `pt`.
fn prefix(pt: &PowerTraces, m: usize) -> PowerTraces {
    PowerTraces {
        traces: pt.traces[..m].to_vec(),
        std_errors: pt.std_errors[..m].to_vec(),
        ..pt.clone()
    }
}
