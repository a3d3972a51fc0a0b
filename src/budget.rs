//! The memory budget for one native allocation whose size the user's numbers control
//! (simulated periods × units, draws × units, permutations × units, trace probes × units):
//! checked before allocating, so a typo such as `t: 1000000000` is a clear error instead of an
//! out-of-memory abort. The default (2 GB) is far above what a study needs; the command line
//! changes it with `--max-alloc-mb`.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};

/// The default budget: 2 GB (2048 MB) for one allocation.
pub const DEFAULT_MAX_BYTES: u64 = 2048 << 20;

static MAX_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_BYTES);

/// Sets the budget, in bytes (0 is treated as 1 MB).
pub fn set_max_bytes(bytes: u64) {
    MAX_BYTES.store(bytes.max(1 << 20), Ordering::SeqCst);
}

/// The budget, in bytes.
pub fn max_bytes() -> u64 {
    MAX_BYTES.load(Ordering::Relaxed)
}

/// Checks that `what` (e.g. `"simulate: t = 1000000000 periods × N = 49 units"`) needing the
/// product of `counts` values of `bytes_each` bytes fits the budget; otherwise an error that
/// states the size, the limit and `fix` (what to change).
pub fn check(what: &str, counts: &[usize], bytes_each: usize, fix: &str) -> Result<()> {
    let values: f64 = counts.iter().map(|&c| c as f64).product();
    let bytes = values * bytes_each as f64;
    let limit = max_bytes();
    if bytes <= limit as f64 {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "{what} would need {values:.3e} values ({}); the limit for one allocation is {} \
         (spillover --max-alloc-mb); {fix}",
        human(bytes),
        human(limit as f64)
    )))
}

/// Checks `counts` values of `f64` (see [`check`]).
pub fn check_f64(what: &str, counts: &[usize], fix: &str) -> Result<()> {
    check(what, counts, std::mem::size_of::<f64>(), fix)
}

/// Bytes in words: "1.5 GB", "512 MB".
fn human(bytes: f64) -> String {
    const MB: f64 = (1u64 << 20) as f64;
    const GB: f64 = (1u64 << 30) as f64;
    if bytes >= GB {
        format!("{:.1} GB", bytes / GB)
    } else {
        format!("{:.0} MB", (bytes / MB).max(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_budget_says_size_limit_and_fix() {
        let e = check_f64(
            "simulate: t = 1000000000 periods × N = 49 units",
            &[1_000_000_000, 49],
            "use a smaller t",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("4.900e10 values") && e.contains("365.1 GB") && e.contains("use a smaller t"),
            "{e}"
        );
        assert!(check_f64("small", &[1000, 49], "").is_ok());
    }
}
