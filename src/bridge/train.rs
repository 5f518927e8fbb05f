//! The thread "engram-train": gets the window a trained network — the cache entry of the
//! preset and seed if it is valid, else phase 1 run headless on its own compute threads
//! ([`crate::io::cache::train_cached`], the code of `engram train`), stored in the cache.
//!
//! Progress is published through atomics (latest wins; the UI reads it when it draws), the
//! result through a one-place channel, and cancelling is a flag the training loop checks after
//! every model second. The UI never waits for this thread, and it never waits for the UI.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, bounded};

use crate::error::{Error, Result};
use crate::io::cache::{self, Source};
use crate::sim::Params;

/// How training ended.
#[derive(Debug)]
pub enum TrainOutcome {
    /// The cache entry to load, and whether it was cached, trained or rebuilt.
    Ready(PathBuf, Source),
    Cancelled,
    Failed(Error),
}

/// Progress shared with the UI: model seconds done and in total, as f64 bits.
#[derive(Default)]
struct Shared {
    done_s: AtomicU64,
    total_s: AtomicU64,
    cancel: AtomicBool,
}

/// The UI's handle on a training thread. Dropping it cancels and joins the thread.
pub struct Trainer {
    shared: Arc<Shared>,
    result: Receiver<TrainOutcome>,
    thread: Option<JoinHandle<()>>,
}

impl Trainer {
    /// Starts looking up, or training, the network of `params` in the cache directory `dir`,
    /// on `threads` compute threads (1–64).
    pub fn spawn(params: Params, threads: usize, dir: PathBuf) -> Result<Self> {
        if !(1..=64).contains(&threads) {
            return Err(Error::Invalid(format!("threads = {threads}: expected 1 to 64")));
        }
        let shared = Arc::new(Shared::default());
        shared.total_s.store(params.protocol.init.duration_s.to_bits(), Ordering::Relaxed);
        let (tx, rx) = bounded(1);
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("engram-train".into())
            .spawn(move || {
                let got = cache::train_cached(&dir, &params, threads, |done_s, total_s| {
                    s.done_s.store(done_s.to_bits(), Ordering::Relaxed);
                    s.total_s.store(total_s.to_bits(), Ordering::Relaxed);
                    !s.cancel.load(Ordering::Relaxed)
                });
                let outcome = match got {
                    Ok(Some((path, source))) => TrainOutcome::Ready(path, source),
                    Ok(None) => TrainOutcome::Cancelled,
                    Err(e) => TrainOutcome::Failed(e),
                };
                // One message into a one-place channel: never blocks; fails only if the UI
                // dropped the handle, which then wants nothing more.
                let _ = tx.try_send(outcome);
            })
            .map_err(|e| Error::Invalid(format!("cannot start the training thread: {e}")))?;
        Ok(Trainer { shared, result: rx, thread: Some(thread) })
    }

    /// Model seconds of phase 1 done and in total [s].
    pub fn progress(&self) -> (f64, f64) {
        let get = |a: &AtomicU64| f64::from_bits(a.load(Ordering::Relaxed));
        (get(&self.shared.done_s), get(&self.shared.total_s))
    }

    /// Asks the thread to stop after the current model second.
    pub fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::Relaxed);
    }

    /// The outcome, once the thread has finished (the thread is then joined).
    pub fn poll(&mut self) -> Option<TrainOutcome> {
        let out = self.result.try_recv().ok()?;
        if let Some(t) = self.thread.take() {
            // The thread has sent its last message and is ending; a panic after it is moot.
            let _ = t.join();
        }
        Some(out)
    }

    /// True while the thread runs (false also if it panicked before reporting).
    pub fn is_alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished()) || !self.result.is_empty()
    }
}

impl Drop for Trainer {
    fn drop(&mut self) {
        self.cancel();
        if let Some(t) = self.thread.take() {
            // Cancelled above: it stops within a model second of compute; nothing to report.
            let _ = t.join();
        }
    }
}
