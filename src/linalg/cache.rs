//! The numeric objects kept with a weights matrix ([`crate::weights::Derived`]), so that every
//! fit on the same W after the first does no per-W work (docs/methods.md §7.2): the exact sparse
//! log-determinant engine (fill-reducing ordering and symbolic factorisation), the bound on the
//! spectral radius, and the power traces tr(Wᵏ) of the series effects.

use crate::error::Result;
use crate::linalg::logdet::SparseLogDet;
use crate::linalg::traces::{PowerTraces, TraceMethod, TraceOptions};
use crate::weights::Weights;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const SPARSE: &str = "linalg.sparse_logdet";
const SETUPS: &str = "linalg.sparse_logdet_setups";
const BOUND: &str = "linalg.spectral_bound";
const POWER: &str = "linalg.power_traces";

/// The exact sparse log-determinant engine of `w` ([`SparseLogDet::new`]: Cholesky or LU chosen
/// automatically), set up once per W and shared by its clones and every later fit; the flag is
/// true when it was already there.
pub fn sparse_logdet(w: &Weights) -> Result<(Arc<SparseLogDet>, bool)> {
    let (engine, reused) = w.derived().get_or_try_init(SPARSE, || SparseLogDet::new(w))?;
    if !reused {
        let (n, _) = w
            .derived()
            .get_or_try_init(SETUPS, || Ok::<_, crate::error::Error>(AtomicUsize::new(0)))?;
        n.fetch_add(1, Ordering::Relaxed);
    }
    Ok((engine, reused))
}

/// How many sparse engines were set up for `w` (1 after any number of sparse fits).
pub fn sparse_setups(w: &Weights) -> usize {
    w.derived()
        .get::<AtomicUsize>(SETUPS)
        .map_or(0, |n| n.load(Ordering::Relaxed))
}

/// The bound r ≥ the spectral radius of W ([`crate::linalg::sparse::spectral_bound`]), computed
/// once per W.
pub fn spectral_bound(w: &Weights) -> f64 {
    let (r, _) = w
        .derived()
        .get_or_try_init(BOUND, || {
            Ok::<_, crate::error::Error>(crate::linalg::sparse::spectral_bound(w.matrix()))
        })
        .unwrap_or_else(|_| (Arc::new(crate::linalg::sparse::spectral_bound(w.matrix())), false));
    *r
}

/// Power traces kept by (draws, seed, budget).
type PowerCache = Mutex<Vec<((usize, u64, u64), Arc<PowerTraces>)>>;

/// tr(Wᵏ), k = 1..m under `opts`: the first m of a series kept with `w`, else computed by
/// `make(m)` and kept. A longer stochastic series is used only when `make(m)` would not be exact
/// (`exact_affordable` false), so the result is always what `make(m)` gives: the k-th trace does
/// not depend on how many are asked for (same probes, same products).
pub fn power_traces(
    w: &Weights,
    m: usize,
    opts: &TraceOptions,
    exact_affordable: bool,
    make: impl FnOnce(usize) -> Result<PowerTraces>,
) -> Result<PowerTraces> {
    let key = (opts.draws, opts.seed, opts.exact_flop_budget.to_bits());
    let (cache, _) = w
        .derived()
        .get_or_try_init(POWER, || Ok::<PowerCache, crate::error::Error>(Mutex::new(Vec::new())))?;
    let usable = |pt: &PowerTraces| {
        pt.terms() == m || (pt.terms() > m && (pt.method != TraceMethod::Stochastic || !exact_affordable))
    };
    let hit = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|(k, pt)| *k == key && usable(pt))
        .map(|(_, pt)| pt.clone());
    if let Some(pt) = hit {
        return Ok(PowerTraces {
            traces: pt.traces[..m].to_vec(),
            std_errors: pt.std_errors[..m].to_vec(),
            ..(*pt).clone()
        });
    }
    let pt = make(m)?;
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    c.retain(|(k, _)| *k != key);
    c.push((key, Arc::new(pt.clone())));
    Ok(pt)
}
