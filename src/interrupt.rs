//! Cooperative interruption of native work (Ctrl-C).
//!
//! The command line sets one process-wide flag when the user presses Ctrl-C; long native
//! loops (optimiser iterations, random draws, permutations, trace probes, weights builders,
//! factorizations run off-thread) call [`check`] and return [`Error::Interrupted`] when it is
//! set. The core never installs a signal handler itself: it only reads the flag, so a library
//! user who never calls [`request`] is never interrupted.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};

static FLAG: AtomicBool = AtomicBool::new(false);

/// Asks every running native loop to stop at its next check (called from a signal handler).
pub fn request() {
    FLAG.store(true, Ordering::SeqCst);
}

/// Clears a pending request (the REPL calls it before each evaluation, so a Ctrl-C pressed
/// while idle does not stop the next command).
pub fn clear() {
    FLAG.store(false, Ordering::SeqCst);
}

/// True when an interruption has been requested and not yet cleared.
pub fn requested() -> bool {
    FLAG.load(Ordering::Relaxed)
}

/// `Err(Error::Interrupted)` when an interruption has been requested. Cheap (one relaxed
/// atomic load): call it once per iteration of any loop that can run for more than a few
/// milliseconds.
#[inline]
pub fn check() -> Result<()> {
    if requested() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

/// Runs `f` on a helper thread and waits for it, polling the flag every 50 ms: for one
/// indivisible computation (a dense eigendecomposition, a factorization) that cannot check
/// the flag itself. On interruption it returns [`Error::Interrupted`] at once and leaves the
/// helper to finish in the background; its result is dropped.
pub fn run_interruptible<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    check()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("spillover-work".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| Error::numeric(format!("cannot start a worker thread: {e}")))?;
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok(v) => return Ok(v),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => check()?,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Error::numeric(
                    "the worker thread stopped without a result (a bug in spillover; please report it)",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The flag is process-wide and other tests run in parallel, so no unit test sets it; the
    // CLI tests interrupt real processes.
    #[test]
    fn run_interruptible_returns_the_value() {
        assert_eq!(run_interruptible(|| 41 + 1), Ok(42));
    }
}
