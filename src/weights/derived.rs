//! Objects derived from a weights matrix and kept with it, so that the many fits of one W in a
//! study (SAR, SEM, SDM, robustness checks) do the per-W work once (docs/methods.md §7.2): a
//! slot per key holding any shareable value (the numeric layers keep there the sparse
//! log-determinant engine, the spectral bound and the power traces), and the last reordering of
//! the units ([`super::Weights::aligned_to`]).
//! Shared by clones; dropped whenever the matrix changes (standardisation, similarity scale).

use std::any::Any;
use std::sync::{Arc, Mutex};

type Slot = Arc<dyn Any + Send + Sync>;

/// The cache ([`super::Weights::derived`]).
#[derive(Default)]
pub struct Derived {
    slots: Mutex<Vec<(&'static str, Slot)>>,
    /// The last reordering of the units.
    pub(super) aligned: Mutex<Option<super::Weights>>,
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = lock(&self.slots).iter().map(|(k, _)| *k).collect();
        f.debug_struct("Derived").field("slots", &keys).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Derived {
    /// The value kept under `key`, if any (and of type `T`).
    pub fn get<T: Any + Send + Sync>(&self, key: &'static str) -> Option<Arc<T>> {
        let slot = lock(&self.slots)
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())?;
        slot.downcast::<T>().ok()
    }

    /// Keeps `value` under `key` (replacing what was there).
    pub fn set<T: Any + Send + Sync>(&self, key: &'static str, value: Arc<T>) {
        let mut slots = lock(&self.slots);
        slots.retain(|(k, _)| *k != key);
        slots.push((key, value));
    }

    /// The value under `key`, made by `make` (outside the lock) when absent; the flag is true
    /// when it was already there. Two threads racing keep the first value stored.
    pub fn get_or_try_init<T: Any + Send + Sync, E>(
        &self,
        key: &'static str,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<(Arc<T>, bool), E> {
        if let Some(v) = self.get::<T>(key) {
            return Ok((v, true));
        }
        let made = Arc::new(make()?);
        let mut slots = lock(&self.slots);
        if let Some(v) = slots
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.clone().downcast::<T>().ok())
        {
            return Ok((v, true));
        }
        slots.retain(|(k, _)| *k != key);
        slots.push((key, made.clone()));
        Ok((made, false))
    }
}
