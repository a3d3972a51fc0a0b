//! Progress of long native loops (permutations, conditional permutations), reported through a
//! process-wide sink.
//!
//! The core only counts steps: a loop creates a [`Progress`] of `total` steps, calls
//! [`Progress::inc`] after each one (from any thread) and [`Progress::finish`] at the end.
//! Nothing is shown unless a program installs a [`ProgressSink`] with [`set_sink`]: the
//! `spillover` command installs a terminal progress bar (indicatif); a library user gets
//! silence by default, or installs a closure with [`set_callback`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Starts the report of each run (a permutation test, a local statistic, ...).
pub trait ProgressSink: Send + Sync {
    /// A run named `label` of `total` steps begins; the returned handle receives its progress.
    fn begin(&self, label: &str, total: u64) -> Box<dyn ProgressRun>;
}

/// The report of one run, as returned by [`ProgressSink::begin`].
///
/// `update` is called from worker threads, once per finished step, with the number of steps
/// done so far (not necessarily in increasing order across threads); a run that completes
/// calls it with `done == total` once. `finish` is called once when the run ends, completed or
/// not (e.g. interrupted by Ctrl-C).
pub trait ProgressRun: Send + Sync {
    /// `done` steps of the run are finished.
    fn update(&self, done: u64);
    /// The run has ended.
    fn finish(&self) {}
}

/// Installs the closure `f(label, done, total)` as the sink (see [`set_sink`]); it is called
/// after every step and is not told when a run ends.
pub fn set_callback(f: impl Fn(&str, u64, u64) + Send + Sync + 'static) {
    set_sink(Some(Arc::new(Callback(Arc::new(f)))));
}

struct Callback<F>(Arc<F>);

impl<F: Fn(&str, u64, u64) + Send + Sync + 'static> ProgressSink for Callback<F> {
    fn begin(&self, label: &str, total: u64) -> Box<dyn ProgressRun> {
        Box::new(CallbackRun {
            f: Arc::clone(&self.0),
            label: label.to_string(),
            total,
        })
    }
}

struct CallbackRun<F> {
    f: Arc<F>,
    label: String,
    total: u64,
}

impl<F: Fn(&str, u64, u64) + Send + Sync> ProgressRun for CallbackRun<F> {
    fn update(&self, done: u64) {
        (self.f)(&self.label, done, self.total)
    }
}

static SINK: RwLock<Option<Arc<dyn ProgressSink>>> = RwLock::new(None);

/// Installs `sink` for every run that starts from now on (replacing the previous one), or
/// removes it with `None`. Without a sink, progress is not reported (the default).
pub fn set_sink(sink: Option<Arc<dyn ProgressSink>>) {
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = sink;
}

/// The sink in place, if any.
pub fn sink() -> Option<Arc<dyn ProgressSink>> {
    SINK.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The progress of one run of `total` steps, reported to the sink that was installed when it
/// started. Safe to update from many threads; costs one atomic increment per step when no sink
/// is installed.
pub struct Progress {
    done: AtomicU64,
    run: Option<Box<dyn ProgressRun>>,
}

impl Progress {
    /// A run of `total` steps named `label` (the text a progress bar shows).
    pub fn new(total: u64, label: &str) -> Progress {
        Progress {
            done: AtomicU64::new(0),
            run: sink().map(|s| s.begin(label, total)),
        }
    }

    /// Records one finished step.
    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(r) = &self.run {
            r.update(done);
        }
    }

    /// Steps recorded so far.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Ends the run (tells the sink, which may remove its bar).
    pub fn finish(&self) {
        if let Some(r) = &self.run {
            r.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// What a recording sink saw of the runs labelled `label`.
    #[derive(Default)]
    struct Seen {
        max_done: u64,
        total: u64,
        updates: u64,
        finished: bool,
    }

    struct Recorder {
        label: &'static str,
        seen: Arc<Mutex<Seen>>,
    }

    struct RecorderRun(Option<Arc<Mutex<Seen>>>);

    impl ProgressSink for Recorder {
        fn begin(&self, label: &str, total: u64) -> Box<dyn ProgressRun> {
            // Other tests of this binary may run permutations at the same time: only the runs
            // with this label are recorded.
            let seen = (label == self.label).then(|| Arc::clone(&self.seen));
            if let Some(s) = &seen {
                s.lock().unwrap().total = total;
            }
            Box::new(RecorderRun(seen))
        }
    }

    impl ProgressRun for RecorderRun {
        fn update(&self, done: u64) {
            if let Some(s) = &self.0 {
                let mut s = s.lock().unwrap();
                s.max_done = s.max_done.max(done);
                s.updates += 1;
            }
        }
        fn finish(&self) {
            if let Some(s) = &self.0 {
                s.lock().unwrap().finished = true;
            }
        }
    }

    #[test]
    fn sink_receives_done_equal_total_at_the_end() {
        let seen = Arc::new(Mutex::new(Seen::default()));
        set_sink(Some(Arc::new(Recorder {
            label: "progress unit test",
            seen: Arc::clone(&seen),
        })));
        let p = Progress::new(99, "progress unit test");
        for _ in 0..99 {
            p.inc();
        }
        p.finish();
        set_sink(None);
        let s = seen.lock().unwrap();
        assert_eq!((s.max_done, s.total, s.updates), (99, 99, 99));
        assert!(s.finished);
    }

    #[test]
    fn without_a_sink_steps_are_only_counted() {
        let p = Progress::new(3, "silent");
        p.inc();
        p.inc();
        p.finish();
        assert_eq!(p.done(), 2);
    }
}
