//! The only place that spawns the simulation thread and owns channels.
//!
//! The thread "engram-sim" owns the [`Network`] (in a [`crate::sim::session::Session`] with its
//! observers) exclusively. It steps in 1 ms chunks, applies commands between chunks (logging
//! each with its step), streams [`Frame`]s over a bounded channel and publishes weight
//! snapshots latest-wins. The simulation never waits for the UI: when the stream is full the
//! undelivered frame stays with the simulation and the next chunks are merged into it, so
//! nothing is lost but spikes beyond what the raster shows (counted). When it pauses (a
//! finished `Step`, a runaway guard, a command) it waits until the UI has taken the last frame
//! or a command arrives, so the UI never stays stale. While paused it blocks on its inbox; when
//! ahead of the requested speed it waits with `recv_timeout`, so a command wakes it at once.
//!
//! The thread "engram-io" reads and writes the files the UI asks for (snapshots, weight
//! matrices, assemblies), so the simulation never waits on a disk.
//!
//! [`Network`]: crate::sim::Network

pub mod history;
mod io;
pub mod messages;
pub mod train;
mod worker;

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

pub use crate::sim::ProjectionId;
pub use messages::{
    Command, CueReport, Explaining, ForkInfo, ForkSpec, Frame, Level, Message, PROBE_WINDOW_S, PhaseChoice, Speed,
    Status, StimulusInfo,
};

use crate::error::{Error, Result};
use crate::sim::Params;
use crate::sim::views::WeightView;

/// Default of [`BridgeOptions::runaway_hz`] [Hz]: well above any rate of a healthy network
/// (≈ 1–20 Hz; assemblies during recall ≈ 50–80 Hz), well below a runaway's hundreds of Hz.
pub const DEFAULT_RUNAWAY_HZ: f64 = 150.0;
/// Span of model time the raster shows [s]: merged frames keep the spikes of this span.
pub const RASTER_WINDOW_S: f64 = 4.0;
/// Most spikes of one population a frame keeps: the raster's 4 s of the full network at about
/// 60 Hz. Spikes beyond it are thinned (the oldest first) and counted.
pub const MAX_FRAME_SPIKES: usize = 1 << 20;
/// File jobs that may wait for the I/O thread; a further one is refused with a message.
const IO_QUEUE: usize = 16;

/// Largest accepted runaway limit [Hz]: a population rate of 1 kHz means every neuron fires
/// every millisecond; a higher limit would be no guard at all.
pub const MAX_RUNAWAY_HZ: f64 = 1000.0;

/// Checks a runaway limit: finite and in (0, [`MAX_RUNAWAY_HZ`]].
pub fn check_runaway_hz(hz: f64) -> Result<f64> {
    if hz.is_finite() && hz > 0.0 && hz <= MAX_RUNAWAY_HZ {
        Ok(hz)
    } else {
        Err(Error::Invalid(format!("runaway limit {hz} Hz: expected a number in (0, {MAX_RUNAWAY_HZ}]")))
    }
}

/// Tunables of the bridge (defaults suit the GUI; tests shrink them).
#[derive(Clone, Debug)]
pub struct BridgeOptions {
    /// Capacity of the frame stream; when full, the undelivered frame absorbs the next ones.
    pub frame_capacity: usize,
    /// Wall-clock interval between frames [s].
    pub frame_interval_s: f64,
    /// Wall-clock interval between weight snapshots [s].
    pub snapshot_interval_s: f64,
    /// Side of the block matrices in snapshots.
    pub snapshot_bins: usize,
    /// A population rate above this in a 100 ms bin pauses the simulation [Hz]; so does a
    /// non-finite neuron state (checked every 100 ms bin) or weight (checked with each snapshot).
    pub runaway_hz: f64,
    /// Start running immediately.
    pub start_running: bool,
    /// Compute threads of the network (results do not depend on it).
    pub threads: usize,
    /// Nice value of the simulation threads (Linux; 0 = unchanged). The window sets it so that
    /// drawing gets a core when it needs one and the simulation takes the rest.
    pub nice: i32,
    pub speed: Speed,
    pub phase: PhaseChoice,
    /// Score every cue the user presents (and the recall phase's) whenever assemblies are
    /// known, and stream the results in [`Frame::cue_reports`].
    pub follow_cues: bool,
    /// Model time between history entries [s]; 0: no history.
    pub history_every_s: f64,
    /// Memory the history's compressed states may take [bytes].
    pub history_cap_bytes: usize,
}

/// Default of [`BridgeOptions::history_every_s`] [s].
pub const DEFAULT_HISTORY_EVERY_S: f64 = 30.0;
/// Default of [`BridgeOptions::history_cap_bytes`]: 256 MiB.
pub const DEFAULT_HISTORY_CAP_BYTES: usize = 256 << 20;

impl Default for BridgeOptions {
    fn default() -> Self {
        BridgeOptions {
            frame_capacity: 64,
            frame_interval_s: 1.0 / 30.0,
            snapshot_interval_s: 0.5,
            snapshot_bins: 128,
            runaway_hz: DEFAULT_RUNAWAY_HZ,
            start_running: true,
            threads: 1,
            nice: 0,
            speed: Speed::Max,
            phase: PhaseChoice::Phase(crate::sim::params::PhaseName::Init),
            follow_cues: true,
            history_every_s: DEFAULT_HISTORY_EVERY_S,
            history_cap_bytes: DEFAULT_HISTORY_CAP_BYTES,
        }
    }
}

/// The UI's handle on the simulation thread. Dropping it shuts the thread down.
pub struct SimHandle {
    commands: Sender<worker::Inbox>,
    frames: Receiver<Frame>,
    snapshots: Receiver<Arc<WeightView>>,
    log: Receiver<(u64, String)>,
    /// What made the thread fail (its panic message), set by the thread as it ends; kept
    /// outside the frame stream so a full stream cannot lose it.
    failure: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// Builds the network from `params` and starts the thread on it, in the phase of
    /// `opts.phase`.
    pub fn spawn(params: Params, opts: BridgeOptions) -> Result<Self> {
        Self::spawn_network(crate::sim::Network::new(params)?, None, opts)
    }

    /// Starts the thread on a network loaded from a snapshot, with the assemblies it carries:
    /// its schedule continues where it was saved (`opts.phase` is not applied).
    pub fn spawn_loaded(
        net: crate::sim::Network,
        extras: crate::io::snapshot::Extras,
        opts: BridgeOptions,
    ) -> Result<Self> {
        Self::spawn_network(net, Some(extras), opts)
    }

    fn spawn_network(
        mut net: crate::sim::Network,
        loaded: Option<crate::io::snapshot::Extras>,
        opts: BridgeOptions,
    ) -> Result<Self> {
        // Checked here so a bad count is an error of `spawn`; the pool itself is started on the
        // simulation thread below, so that its threads inherit that thread's priority.
        net.set_threads(1)?;
        check_runaway_hz(opts.runaway_hz)?;
        if !(1..=64).contains(&opts.threads) {
            return Err(Error::Invalid(format!("threads = {}: expected 1 to 64", opts.threads)));
        }
        let (cmd_tx, cmd_rx) = bounded(256);
        let (frame_tx, frame_rx) = bounded(opts.frame_capacity.max(1));
        let (snap_tx, snap_rx) = bounded(1);
        let (log_tx, log_rx) = bounded(1024);
        let (io_tx, io_rx) = bounded(IO_QUEUE);
        let evict = snap_rx.clone();
        let failure = Arc::new(Mutex::new(None));
        let failure_slot = failure.clone();
        let io_done = cmd_tx.clone();
        let io_thread = std::thread::Builder::new()
            .name("engram-io".into())
            .spawn(move || io::serve(io_rx, io_done))
            .map_err(|e| Error::Invalid(format!("cannot start the I/O thread: {e}")))?;
        let thread = std::thread::Builder::new()
            .name("engram-sim".into())
            .spawn(move || {
                lower_priority(opts.nice);
                let mut net = net;
                let started = net.set_threads(opts.threads);
                let links = worker::Links {
                    inbox: cmd_rx,
                    frame_tx,
                    snap_tx,
                    snap_evict: evict,
                    log_tx,
                    io_tx,
                    io_thread,
                    failure: failure_slot,
                };
                let mut w = worker::Worker::new(net, loaded, opts, links);
                if let Err(e) = started {
                    w.warn(messages::Level::Warning, format!("running on one thread: {e}"));
                }
                w.run();
            })
            .map_err(|e| Error::Invalid(format!("cannot start the simulation thread: {e}")))?;
        Ok(SimHandle {
            commands: cmd_tx,
            frames: frame_rx,
            snapshots: snap_rx,
            log: log_rx,
            failure,
            thread: Some(thread),
        })
    }

    /// Sends a command without blocking. Fails if the thread has ended or is 256 commands behind.
    pub fn send(&self, cmd: Command) -> Result<()> {
        self.commands.try_send(worker::Inbox::Ui(cmd)).map_err(|e| match e {
            TrySendError::Full(_) => Error::Invalid("the simulation is busy; command dropped".into()),
            TrySendError::Disconnected(_) => Error::Invalid("the simulation thread has stopped".into()),
        })
    }

    /// The frame stream (drain it with `try_recv` under a time budget).
    pub fn frames(&self) -> &Receiver<Frame> {
        &self.frames
    }

    /// The newest weight snapshot published since the last call, if any.
    pub fn latest_snapshot(&self) -> Option<Arc<WeightView>> {
        self.snapshots.try_iter().last()
    }

    /// Commands applied so far, with the step at which each took effect (oldest first).
    pub fn drain_log(&self) -> Vec<(u64, String)> {
        self.log.try_iter().collect()
    }

    /// Why the thread failed, if it did: "simulation thread failed: <panic message>".
    pub fn failure(&self) -> Option<String> {
        // A poisoned lock still holds the message (the writer cannot panic while holding it).
        self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// True while the thread runs.
    pub fn is_alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Asks the thread to stop and waits for it. Returns an error if it had panicked.
    pub fn shutdown(mut self) -> Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> Result<()> {
        // A full inbox means the thread is alive and busy: it sees the closed channel once
        // this handle is dropped, and ends then.
        let _ = self.commands.try_send(worker::Inbox::Ui(Command::Shutdown));
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| Error::Invalid("the simulation thread panicked".into())),
            None => Ok(()),
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        // Dropping cannot report; `shutdown` is the way to see a failed thread.
        let _ = self.stop();
    }
}

/// Raises the calling thread's nice value by `nice` (Linux: nice values are per thread, and
/// threads it starts later inherit it). Best effort: failure leaves the priority as it was.
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice != 0 {
        // SAFETY: plain syscalls on the calling thread; no memory is passed.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, nice);
        }
    }
    // Thread priorities are set on Linux only; elsewhere the value goes unused.
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}
