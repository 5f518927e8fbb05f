//! The simulation thread's loop.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use super::BridgeOptions;
use super::messages::{Command, Frame, Level, Message, PhaseChoice, Speed, Status, StimulusInfo};
use crate::io::{pat, snapshot, weights};
use crate::sim::Network;
use crate::sim::monitor::{AssemblyTracker, RateMonitor};
use crate::sim::params::STEPS_PER_SECOND;
use crate::sim::pattern::Pattern;
use crate::sim::rng::{Stream, StreamId};
use crate::sim::views::{WeightView, weight_view};

/// Steps per chunk while stepping: commands are applied between chunks of 1 ms.
const CHUNK_STEPS: u64 = 10;
/// Steps per chunk while running: 5 ms, so that starting the compute threads (one broadcast
/// per chunk) costs little; still a multiple of [`CHUNK_STEPS`].
const RUN_CHUNK_STEPS: u64 = 5 * CHUNK_STEPS;

/// The worker's ends of the channels to the UI, and its failure slot.
pub(super) struct Links {
    pub cmd_rx: Receiver<Command>,
    pub frame_tx: Sender<Frame>,
    pub snap_tx: Sender<Arc<WeightView>>,
    /// A receiver on the snapshot slot, used only to evict an unread snapshot (latest wins).
    pub snap_evict: Receiver<Arc<WeightView>>,
    pub log_tx: Sender<(u64, String)>,
    /// Where the panic message goes if the thread fails ([`super::SimHandle::failure`]).
    pub failure: Arc<Mutex<Option<String>>>,
}

pub(super) struct Worker {
    net: Network,
    opts: BridgeOptions,
    cmd_rx: Receiver<Command>,
    frame_tx: Sender<Frame>,
    snap_tx: Sender<Arc<WeightView>>,
    /// A receiver on the snapshot slot, used only to evict an unread snapshot (latest wins).
    snap_evict: Receiver<Arc<WeightView>>,
    log_tx: Sender<(u64, String)>,
    /// Where the panic message goes if the thread fails ([`super::SimHandle::failure`]).
    failure: Arc<Mutex<Option<String>>>,
    running: bool,
    /// Steps still to run while paused (from `Step`).
    pending_steps: u64,
    speed: Speed,
    phase: PhaseChoice,
    rates: RateMonitor,
    tracker: AssemblyTracker,
    assemblies: Arc<Vec<Pattern>>,
    user_rng: Stream,
    frame: Frame,
    /// Parameters in force, shared with every status instead of cloned per frame.
    params: Arc<crate::sim::Params>,
    bins_sent: usize,
    dropped: u64,
    message: Option<Message>,
    last_frame: Instant,
    last_snapshot: Option<Instant>,
    /// Reference point for speed throttling and measurement: (wall, model step).
    pace: (Instant, u64),
    speed_window: (Instant, u64),
    speed_x: f64,
    /// E and I rates of the last complete 100 ms bin [Hz].
    last_rates: (f64, f64),
    shutdown: bool,
}

impl Worker {
    pub(super) fn new(net: Network, opts: BridgeOptions, links: Links) -> Self {
        let Links { cmd_rx, frame_tx, snap_tx, snap_evict, log_tx, failure } = links;
        let now = Instant::now();
        let user_rng = Stream::new(net.params().seed, StreamId::User);
        let params = Arc::new(net.params().clone());
        let mut w = Worker {
            frame: empty_frame(&net, &params),
            params,
            running: opts.start_running,
            pending_steps: 0,
            speed: opts.speed,
            phase: opts.phase,
            rates: RateMonitor::new(0.1),
            tracker: AssemblyTracker::for_shapes(),
            assemblies: Arc::new(Vec::new()),
            user_rng,
            bins_sent: 0,
            dropped: 0,
            message: None,
            last_frame: now,
            last_snapshot: None,
            pace: (now, 0),
            speed_window: (now, 0),
            speed_x: 0.0,
            last_rates: (f64::NAN, f64::NAN),
            shutdown: false,
            net,
            opts,
            cmd_rx,
            frame_tx,
            snap_tx,
            snap_evict,
            log_tx,
            failure,
        };
        w.start_phase(w.phase);
        w
    }

    pub(super) fn run(mut self) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.main_loop()));
        if let Err(panic) = result {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown error".into());
            let text = format!("simulation thread failed: {what}");
            *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(text.clone());
            self.running = false;
            self.message = Some(Message { level: Level::Error, text });
            // Best effort (the stream may be full); the handle's failure slot has it anyway.
            self.send_frame(true);
        }
    }

    fn main_loop(&mut self) {
        while !self.shutdown {
            // Paused with nothing to do: sleep until a command arrives (no busy loop).
            if !self.running && self.pending_steps == 0 {
                self.send_frame(true);
                match self.cmd_rx.recv() {
                    Ok(cmd) => self.apply(cmd),
                    Err(_) => return,
                }
            }
            while let Ok(cmd) = self.cmd_rx.try_recv() {
                self.apply(cmd);
            }
            if self.shutdown {
                break;
            }
            if self.running || self.pending_steps > 0 {
                self.chunk();
                self.publish();
                self.throttle();
            }
        }
        self.send_frame(true);
    }

    fn log(&self, what: String) {
        let _ = self.log_tx.try_send((self.net.t(), what));
    }

    fn apply(&mut self, cmd: Command) {
        self.log(cmd.describe());
        match cmd {
            Command::Run => {
                self.running = true;
                self.reset_pace();
            }
            Command::Pause => {
                self.running = false;
                self.pending_steps = 0;
            }
            Command::Step { ms } => {
                if !self.running {
                    self.pending_steps += ms as u64 * STEPS_PER_SECOND / 1000;
                }
            }
            Command::SetSpeed(s) => {
                self.speed = s;
                self.reset_pace();
            }
            Command::SetParams(p) => match self.net.set_params(*p) {
                Ok(()) => {
                    self.params = Arc::new(self.net.params().clone());
                    self.info("parameters updated");
                }
                Err(e) => self.warn(Level::Warning, format!("edit refused: {e}")),
            },
            Command::Present { pattern, duration_s, fraction } => {
                let mut pixels = pattern.indices.clone();
                if fraction < 1.0 {
                    let keep = ((pixels.len() as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
                    // Partial Fisher–Yates: a uniform random subset from the seeded user stream.
                    for k in 0..keep.min(pixels.len()) {
                        let r = k + self.user_rng.below((pixels.len() - k) as u64) as usize;
                        pixels.swap(k, r);
                    }
                    pixels.truncate(keep);
                    pixels.sort_unstable();
                }
                self.net.present(pattern.name.clone(), None, pixels, duration_s.max(0.0));
                let s = self.net.input().stimulus.as_ref().map(stimulus_info);
                if let Some(s) = s {
                    self.frame.stimulus_spans.push((s.name, s.onset_s, s.offset_s));
                }
            }
            Command::StartPhase(p) => self.start_phase(p),
            Command::Reset(p) => match Network::new(*p).and_then(|mut net| {
                net.set_threads(self.opts.threads)?;
                Ok(net)
            }) {
                Ok(net) => {
                    self.replace_network(net);
                    self.start_phase(self.phase);
                    self.info("network rebuilt");
                }
                Err(e) => self.warn(Level::Error, format!("reset refused: {e}")),
            },
            Command::SaveSnapshot(path) => match snapshot::save(&path, &self.net) {
                Ok(()) => self.info(&format!("state saved to {}", path.display())),
                Err(e) => self.warn(Level::Error, format!("save failed: {e}")),
            },
            // Loaded into a new network, which replaces the current one only on success.
            Command::LoadSnapshot(path) => match snapshot::load(&path).and_then(|mut net| {
                net.set_threads(self.opts.threads)?;
                Ok(net)
            }) {
                Ok(net) => {
                    self.replace_network(net);
                    // The snapshot's schedule continues where it was saved.
                    self.phase = self.net.phase().map_or(PhaseChoice::Free, |(name, _)| PhaseChoice::Phase(name));
                    self.info(&format!("state loaded from {} (t = {:.3} s)", path.display(), self.net.time_s()));
                }
                Err(e) => self.warn(Level::Error, format!("load failed: {e}")),
            },
            Command::ImportWeights { which, path } => match weights::import_weights(&mut self.net, which, &path) {
                Ok(()) => self.info(&format!("{} weights imported from {}", which.label(), path.display())),
                Err(e) => self.warn(Level::Error, format!("import refused: {e}")),
            },
            Command::ExportWeights { which, path } => match weights::save_weights(&path, &self.net, which) {
                Ok(()) => self.info(&format!(
                    "{} weights written to {} (w~ to {})",
                    which.label(),
                    path.display(),
                    crate::io::mtx::companion_path(&path).display()
                )),
                Err(e) => self.warn(Level::Error, format!("export failed: {e}")),
            },
            Command::ExportAssemblies(path) => {
                let result = if self.assemblies.is_empty() {
                    Err(crate::Error::Invalid("no assemblies yet (they form during the init phase)".into()))
                } else {
                    pat::write_pat(&path, &self.assemblies)
                };
                match result {
                    Ok(()) => self.info(&format!("{} assemblies written to {}", self.assemblies.len(), path.display())),
                    Err(e) => self.warn(Level::Error, format!("export failed: {e}")),
                }
            }
            Command::SetRunawayLimit(hz) => match super::check_runaway_hz(hz) {
                Ok(hz) => {
                    self.opts.runaway_hz = hz;
                    self.info(&format!("runaway limit set to {hz} Hz"));
                }
                Err(e) => self.warn(Level::Warning, format!("edit refused: {e}")),
            },
            Command::InjectPanic => panic!("injected failure (Command::InjectPanic)"),
            Command::Shutdown => self.shutdown = true,
        }
    }

    /// Swaps in a new network and starts the monitors afresh (the schedule is the caller's).
    fn replace_network(&mut self, net: Network) {
        self.user_rng = Stream::new(net.params().seed, StreamId::User);
        self.net = net;
        self.rates = RateMonitor::new(0.1);
        self.last_rates = (f64::NAN, f64::NAN);
        self.bins_sent = 0;
        self.tracker = AssemblyTracker::for_shapes();
        self.assemblies = Arc::new(Vec::new());
        self.params = Arc::new(self.net.params().clone());
        self.frame = empty_frame(&self.net, &self.params);
        self.last_snapshot = None;
        self.reset_pace();
    }

    /// Stops running (and stepping) with a warning.
    fn pause_with(&mut self, text: String) {
        self.running = false;
        self.pending_steps = 0;
        self.message = Some(Message { level: Level::Warning, text });
    }

    fn info(&mut self, text: &str) {
        self.message = Some(Message { level: Level::Info, text: text.into() });
    }

    pub(super) fn warn(&mut self, level: Level, text: String) {
        self.message = Some(Message { level, text });
    }

    fn start_phase(&mut self, p: PhaseChoice) {
        self.phase = p;
        match p {
            PhaseChoice::Phase(name) => self.net.start_phase(name),
            PhaseChoice::Free => self.net.start_free(),
        }
    }

    fn reset_pace(&mut self) {
        self.pace = (Instant::now(), self.net.t());
    }

    /// Runs one 1 ms chunk and accumulates its output into the current frame.
    fn chunk(&mut self) {
        let steps = if self.running { RUN_CHUNK_STEPS } else { self.pending_steps.min(CHUNK_STEPS) };
        let frame = &mut self.frame;
        let (rates, tracker) = (&mut self.rates, &mut self.tracker);
        let mut onset = None;
        self.net.run(steps, |net| {
            rates.observe(net);
            tracker.observe(net);
            let t = net.time_s();
            frame.e_spikes.extend(net.e().spikes.iter().map(|&k| (t, k)));
            frame.i_spikes.extend(net.i().spikes.iter().map(|&k| (t, k)));
            for &k in &net.input().spikes {
                let c = &mut frame.input_counts[k as usize];
                *c = c.saturating_add(1);
            }
            if let Some(s) = &net.input().stimulus
                && s.onset == net.t()
            {
                onset = Some(stimulus_info(s));
            }
        });
        if let Some(s) = onset {
            self.frame.stimulus_spans.push((s.name, s.onset_s, s.offset_s));
        }
        if !self.running {
            self.pending_steps -= steps;
        }
        // New 100 ms bins: move them into the frame and check for a runaway network. The
        // neuron state is checked once per chunk that completes a bin.
        let bins = &self.rates.bins[self.bins_sent..];
        let bad_state = if bins.is_empty() { None } else { self.net.non_finite_neurons() };
        let limit = self.opts.runaway_hz;
        let mut why = None;
        for b in bins {
            let over = [("E", b.e_hz), ("I", b.i_hz)].into_iter().find(|(_, r)| r.is_nan() || *r > limit);
            if let (None, Some((pop, r))) = (&why, over) {
                why = Some(if r.is_finite() {
                    format!("{pop} population rate {r:.0} Hz exceeds {limit} Hz")
                } else {
                    format!("{pop} population rate is not finite")
                });
            }
            self.last_rates = (b.e_hz, b.i_hz);
        }
        self.frame.rate_bins.extend_from_slice(bins);
        if let Some(where_) = bad_state {
            why = Some(format!("non-finite state (NaN or infinity) in {where_}"));
        }
        if let Some(why) = why {
            self.pause_with(format!("paused: {why}"));
        }
        // The monitor's history lives in the frames; keep its own list short.
        self.rates.bins.clear();
        self.bins_sent = 0;
    }

    /// Sends the frame if its interval has passed, and a snapshot if due.
    fn publish(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.last_frame).as_secs_f64() >= self.opts.frame_interval_s {
            self.send_frame(false);
        }
        let due =
            self.last_snapshot.is_none_or(|t| now.duration_since(t).as_secs_f64() >= self.opts.snapshot_interval_s);
        if due {
            self.last_snapshot = Some(now);
            if self.tracker.ready() {
                self.assemblies = Arc::new(self.tracker.assemblies());
                // The per-assembly rate lines follow the live membership.
                let members = self.assemblies.iter().map(|p| p.indices.clone()).collect();
                self.rates.set_assemblies(self.net.e().len(), members);
            }
            // Weights are checked here, at a few Hz of wall time, not per bin: millions of them.
            if let Some(where_) = self.net.non_finite_weights() {
                self.pause_with(format!("paused: non-finite weights (NaN or infinity) in {where_}"));
            }
            let view = Arc::new(weight_view(&self.net, &self.assemblies, self.opts.snapshot_bins));
            // Latest wins: drop an unread snapshot, then offer the new one.
            let _ = self.snap_evict.try_recv();
            let _ = self.snap_tx.try_send(view);
        }
    }

    fn send_frame(&mut self, force: bool) {
        let now = Instant::now();
        let (w0, s0) = self.speed_window;
        let dt = now.duration_since(w0).as_secs_f64();
        if dt >= 1.0 || force {
            if dt > 0.0 && self.net.t() > s0 {
                self.speed_x = (self.net.t() - s0) as f64 / STEPS_PER_SECOND as f64 / dt;
            } else if !self.running {
                self.speed_x = 0.0;
            }
            self.speed_window = (now, self.net.t());
        }
        let status = self.status();
        let mut frame = std::mem::replace(&mut self.frame, empty_frame(&self.net, &self.params));
        frame.t_end_s = self.net.time_s();
        frame.status = status;
        self.last_frame = now;
        match self.frame_tx.try_send(frame) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.dropped += 1,
            Err(TrySendError::Disconnected(_)) => self.shutdown = true,
        }
    }

    fn status(&self) -> Status {
        let (e_hz, i_hz) = self.last_rates;
        let phase_elapsed_s =
            self.net.phase().map_or(0.0, |(_, t0)| (self.net.t() - t0) as f64 / STEPS_PER_SECOND as f64);
        Status {
            t_s: self.net.time_s(),
            running: self.running,
            speed_x: self.speed_x,
            speed: self.speed,
            phase: self.phase,
            phase_elapsed_s,
            stimulus: self.net.input().stimulus.as_ref().map(stimulus_info),
            e_hz,
            i_hz,
            dropped_frames: self.dropped,
            runaway_hz: self.opts.runaway_hz,
            message: self.message.clone(),
            params: self.params.clone(),
            assemblies: self.assemblies.clone(),
            inh_modulation: self.net.inh_modulation(),
        }
    }

    /// Waits while ahead of the requested speed; a command ends the wait at once.
    fn throttle(&mut self) {
        let Speed::Realtime(x) = self.speed else { return };
        if !self.running || x <= 0.0 {
            return;
        }
        let model_s = (self.net.t() - self.pace.1) as f64 / STEPS_PER_SECOND as f64;
        let ahead = model_s / x - self.pace.0.elapsed().as_secs_f64();
        if ahead > 0.002 {
            match self.cmd_rx.recv_timeout(Duration::from_secs_f64(ahead.min(0.1))) {
                Ok(cmd) => self.apply(cmd),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.shutdown = true,
            }
        }
    }
}

fn stimulus_info(s: &crate::sim::input::Stimulus) -> StimulusInfo {
    let per = STEPS_PER_SECOND as f64;
    StimulusInfo {
        name: s.name.clone(),
        pixels: Arc::new(s.pixels.clone()),
        onset_s: s.onset as f64 / per,
        offset_s: s.offset as f64 / per,
    }
}

/// A fresh batch starting now.
fn empty_frame(net: &Network, params: &Arc<crate::sim::Params>) -> Frame {
    Frame::empty(net.time_s(), net.time_s(), net.input().len(), params.clone())
}
