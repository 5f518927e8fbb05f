//! The simulation thread's loop.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Select, Sender, TrySendError};

use super::history::{History, HistoryItem};
use super::io::{IoDone, IoJob};
use super::messages::{
    Command, CueReport, Explaining, ForkInfo, ForkSpec, Frame, Level, Message, PhaseChoice, Speed, Status, StimulusInfo,
};
use super::{BridgeOptions, MAX_FRAME_SPIKES, RASTER_WINDOW_S};
use crate::io::snapshot;
use crate::sim::Network;
use crate::sim::params::STEPS_PER_SECOND;
use crate::sim::probe::{WeightSelection, neuron_view, resolve_selection};
use crate::sim::rng::{Stream, StreamId};
use crate::sim::session::{Session, SessionOptions};
use crate::sim::views::{WeightView, weight_view};

/// Steps per chunk while stepping: commands are applied between chunks of 1 ms.
const CHUNK_STEPS: u64 = 10;
/// Steps per chunk while running: 5 ms, so that starting the compute threads (one broadcast
/// per chunk) costs little; still a multiple of [`CHUNK_STEPS`].
const RUN_CHUNK_STEPS: u64 = 5 * CHUNK_STEPS;

/// What reaches the simulation thread: a command from the UI or a finished file job.
pub(super) enum Inbox {
    Ui(Command),
    Io(IoDone),
}

/// The worker's ends of the channels, its I/O thread and its failure slot.
pub(super) struct Links {
    pub inbox: Receiver<Inbox>,
    pub frame_tx: Sender<Frame>,
    pub snap_tx: Sender<Arc<WeightView>>,
    /// A receiver on the snapshot slot, used only to evict an unread snapshot (latest wins).
    pub snap_evict: Receiver<Arc<WeightView>>,
    pub log_tx: Sender<(u64, String)>,
    /// File jobs for the I/O thread.
    pub io_tx: Sender<IoJob>,
    pub io_thread: JoinHandle<()>,
    /// Where the panic message goes if the thread fails ([`super::SimHandle::failure`]).
    pub failure: Arc<Mutex<Option<String>>>,
}

pub(super) struct Worker {
    session: Session,
    opts: BridgeOptions,
    inbox: Receiver<Inbox>,
    frame_tx: Sender<Frame>,
    snap_tx: Sender<Arc<WeightView>>,
    snap_evict: Receiver<Arc<WeightView>>,
    log_tx: Sender<(u64, String)>,
    io_tx: Option<Sender<IoJob>>,
    io_thread: Option<JoinHandle<()>>,
    failure: Arc<Mutex<Option<String>>>,
    running: bool,
    /// Steps still to run while paused (from `Step`).
    pending_steps: u64,
    speed: Speed,
    phase: PhaseChoice,
    user_rng: Stream,
    /// The frame being filled; it keeps filling (coalescing) while the UI has not taken it.
    frame: Frame,
    /// `frame` holds something the UI has not seen (events or a changed status).
    frame_pending: bool,
    /// Parameters in force, shared with every status instead of cloned per frame.
    params: Arc<crate::sim::Params>,
    coalesced: u64,
    thinned: u64,
    message: Option<Message>,
    last_frame: Instant,
    last_snapshot: Option<Instant>,
    /// Reference point for speed throttling and measurement: (wall, model step).
    pace: (Instant, u64),
    speed_window: (Instant, u64),
    speed_x: f64,
    /// E and I rates of the last complete 100 ms bin [Hz].
    last_rates: (f64, f64),
    /// Onset steps of the latest stimuli the user presented: their scored responses go to the
    /// UI (scheduled stimuli's only in the recall phase).
    user_onsets: std::collections::VecDeque<u64>,
    /// The weights being explained, if any.
    explaining: Option<Arc<Explaining>>,
    /// The forked control running beside the network, if any.
    fork: Option<ForkRun>,
    history: History,
    /// The entries as the status lists them.
    history_items: Arc<Vec<HistoryItem>>,
    /// Step at or after which the next history entry is due.
    next_history: u64,
    /// The rate bins of the last minute (or history interval, if longer), for the next entry.
    recent_bins: std::collections::VecDeque<crate::sim::monitor::RateBin>,
    shutdown: bool,
}

/// A forked control network ([`Command::Fork`]) with its own observers.
struct ForkRun {
    session: Session,
    info: Arc<ForkInfo>,
    params: Arc<crate::sim::Params>,
    /// E and I rates of its last complete 100 ms bin [Hz].
    last_rates: (f64, f64),
}

/// User presentations remembered for [`Worker::user_onsets`]; a cue is scored within seconds,
/// so a few suffice.
const USER_ONSETS: usize = 64;

/// Steps between samples of the inspected neuron: 1 ms, fine enough to draw spikes' upstrokes
/// and cheap enough to stream (10 kB per model second).
const PROBE_EVERY_STEPS: u64 = 10;

/// Steps between the ledger's samples of the explained weights: 0.1 s, the rate bins' grid.
const LEDGER_EVERY_STEPS: u64 = 1000;

impl Worker {
    /// A worker on `net`: fresh (`loaded` None), started in `opts.phase`; or loaded from a
    /// snapshot with its extras, continuing its schedule.
    pub(super) fn new(net: Network, loaded: Option<snapshot::Extras>, opts: BridgeOptions, links: Links) -> Self {
        let Links { inbox, frame_tx, snap_tx, snap_evict, log_tx, io_tx, io_thread, failure } = links;
        let now = Instant::now();
        let user_rng = Stream::new(net.params().seed, StreamId::User);
        let params = Arc::new(net.params().clone());
        let session = Session::new(net, session_options(&opts));
        let mut w = Worker {
            frame: empty_frame(session.net(), &params),
            frame_pending: true,
            session,
            params,
            running: opts.start_running,
            pending_steps: 0,
            speed: opts.speed,
            phase: opts.phase,
            user_rng,
            coalesced: 0,
            thinned: 0,
            message: None,
            last_frame: now,
            last_snapshot: None,
            pace: (now, 0),
            speed_window: (now, 0),
            speed_x: 0.0,
            last_rates: (f64::NAN, f64::NAN),
            user_onsets: std::collections::VecDeque::new(),
            explaining: None,
            fork: None,
            history: History::new(opts.history_cap_bytes),
            history_items: Arc::new(Vec::new()),
            next_history: 0,
            recent_bins: std::collections::VecDeque::new(),
            shutdown: false,
            opts,
            inbox,
            frame_tx,
            snap_tx,
            snap_evict,
            log_tx,
            io_tx: Some(io_tx),
            io_thread: Some(io_thread),
            failure,
        };
        match loaded {
            None => w.start_phase(w.phase),
            Some(extras) => {
                w.adopt_loaded(extras);
                if let Some(text) = w.free_if_ended() {
                    w.info(&text);
                }
            }
        }
        w.next_history = w.session.net().t();
        w
    }

    /// After a snapshot's network replaced the session's: its assemblies and its schedule,
    /// which continues where it was saved.
    fn adopt_loaded(&mut self, extras: snapshot::Extras) {
        if let Some(asm) = extras.assemblies {
            self.session.restore_assemblies(asm);
        }
        let net = self.session.net();
        self.phase = net.phase().map_or(PhaseChoice::Free, |(name, _)| PhaseChoice::Phase(name));
    }

    /// A loaded network whose phase had run its whole length (a trained network saved at the
    /// end of phase 1) runs free from here: background input, stimuli only when presented, so
    /// that cues meet a quiet network instead of the phase's schedule repeating. Returns what
    /// to tell the user, if it switched.
    fn free_if_ended(&mut self) -> Option<String> {
        let net = self.session.net();
        let (name, t0) = net.phase()?;
        let elapsed_s = (net.t() - t0) as f64 / STEPS_PER_SECOND as f64;
        if elapsed_s + 1e-9 < net.params().protocol.phase(name).duration_s {
            return None;
        }
        self.start_phase(PhaseChoice::Free);
        Some(format!(
            "phase {} had ended ({elapsed_s:.0} s): free running — present a cue to test recall",
            name.as_str()
        ))
    }

    pub(super) fn run(mut self) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.main_loop()));
        if let Err(panic) = result {
            let what = panic
                .downcast_ref::<&str>()
                .map(std::string::ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown error".into());
            let text = format!("simulation thread failed: {what}");
            *self.failure.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(text.clone());
            self.running = false;
            self.message = Some(Message { level: Level::Error, text });
            // Best effort (the stream may be full); the handle's failure slot has it anyway.
            self.offer_frame();
        }
        // Closing the job channel ends the I/O thread once its current job is done; dropping
        // the inbox makes its last report fail instead of waiting for room.
        self.io_tx = None;
        self.inbox = crossbeam_channel::never();
        if let Some(t) = self.io_thread.take() {
            // An I/O thread that panicked has nothing more to report.
            let _ = t.join();
        }
    }

    fn main_loop(&mut self) {
        while !self.shutdown {
            if !self.running && self.pending_steps == 0 {
                self.idle();
                continue;
            }
            while let Ok(msg) = self.inbox.try_recv() {
                self.handle(msg);
            }
            if self.shutdown || !(self.running || self.pending_steps > 0) {
                continue;
            }
            self.chunk();
            self.publish();
            self.throttle();
        }
        self.offer_frame();
    }

    /// Paused with nothing to run: delivers the frame if the UI has not seen it (the pause, a
    /// finished `Step`, a message), waiting for the UI to take it or for a command, whichever
    /// comes first; then waits for a command. No busy loop, and never a stale UI.
    fn idle(&mut self) {
        // A new network (loaded, reset, resumed) or a new selection is shown while paused too.
        if self.last_snapshot.is_none() {
            self.publish_view();
        }
        if self.frame_pending {
            self.finish_frame();
        }
        let mut sel = Select::new();
        let send = self.frame_pending.then(|| sel.send(&self.frame_tx));
        let recv = sel.recv(&self.inbox);
        let op = sel.select();
        if Some(op.index()) == send {
            let frame = std::mem::replace(&mut self.frame, empty_frame(self.session.net(), &self.params));
            match op.send(&self.frame_tx, frame) {
                Ok(()) => self.frame_pending = false,
                Err(_) => self.shutdown = true,
            }
        } else {
            debug_assert_eq!(op.index(), recv);
            match op.recv(&self.inbox) {
                Ok(msg) => self.handle(msg),
                Err(_) => self.shutdown = true,
            }
        }
    }

    fn log(&self, what: String) {
        // The log is a diagnostic of bounded length: when the UI does not drain it, the newest
        // entries are the ones lost, never the simulation's progress.
        let _ = self.log_tx.try_send((self.session.net().t(), what));
    }

    fn handle(&mut self, msg: Inbox) {
        match msg {
            Inbox::Ui(cmd) => self.apply(cmd),
            Inbox::Io(done) => self.io_done(done),
        }
        self.frame_pending = true;
    }

    fn io_job(&mut self, job: IoJob) {
        let sent = self.io_tx.as_ref().is_some_and(|tx| tx.try_send(job).is_ok());
        if !sent {
            self.warn(Level::Error, "file operation refused: too many are waiting".into());
        }
    }

    fn io_done(&mut self, done: IoDone) {
        match done {
            IoDone::Message(level, text) => self.message = Some(Message { level, text }),
            IoDone::Loaded { path, net, extras } => {
                self.replace_network(*net);
                self.clear_history();
                self.adopt_loaded(extras);
                let t_s = self.session.net().time_s();
                let mut text = format!("state loaded from {} (t = {t_s:.3} s)", path.display());
                if let Some(ended) = self.free_if_ended() {
                    text = format!("{text}; {ended}");
                }
                self.info(&text);
            }
            IoDone::Weights { path, which, w } => match self.session.net_mut().set_weights(which, w) {
                Ok(()) => self.info(&format!("{} weights imported from {}", which.label(), path.display())),
                Err(e) => self.warn(Level::Error, format!("import refused: {e}")),
            },
        }
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
            Command::SetParams(p) => match self.session.net_mut().set_params(*p) {
                Ok(()) => {
                    self.params = Arc::new(self.session.net().params().clone());
                    self.info("parameters updated");
                }
                Err(e) => self.warn(Level::Warning, format!("edit refused: {e}")),
            },
            Command::Present { pattern, duration_s, fraction } => self.present(&pattern, duration_s, fraction),
            Command::StartPhase(p) => self.start_phase(p),
            Command::Reset(p) => match Network::new(*p).and_then(|mut net| {
                net.set_threads(self.opts.threads)?;
                Ok(net)
            }) {
                Ok(net) => {
                    self.replace_network(net);
                    self.clear_history();
                    self.start_phase(self.phase);
                    self.info("network rebuilt");
                }
                Err(e) => self.warn(Level::Error, format!("reset refused: {e}")),
            },
            Command::SaveSnapshot(path) => {
                let state = Box::new(self.session.net().state());
                let extras = snapshot::Extras { assemblies: self.session.frozen_assemblies().map(|a| a.to_vec()) };
                self.io_job(IoJob::SaveState { path, state, extras });
            }
            // Loaded into a new network off this thread, which replaces the current one only
            // on success.
            Command::LoadSnapshot(path) => self.io_job(IoJob::LoadState { path, threads: self.opts.threads }),
            Command::ImportWeights { which, path } => {
                let net = self.session.net();
                let (proj, w_max) = (Box::new(net.projection(which).clone()), net.w_max());
                self.io_job(IoJob::ReadWeights { path, which, proj, w_max });
            }
            Command::ExportWeights { which, path } => {
                let net = self.session.net();
                let (proj, t_s) = (Box::new(net.projection(which).clone()), net.time_s());
                self.io_job(IoJob::WriteWeights { path, which, proj, t_s });
            }
            Command::ExportAssemblies(path) => {
                let patterns = self.session.assemblies();
                if patterns.is_empty() {
                    self.warn(
                        Level::Error,
                        "export failed: no assemblies yet (they form during the init phase)".into(),
                    );
                } else {
                    self.io_job(IoJob::WritePat { path, patterns });
                }
            }
            Command::SetRunawayLimit(hz) => match super::check_runaway_hz(hz) {
                Ok(hz) => {
                    self.opts.runaway_hz = hz;
                    self.info(&format!("runaway limit set to {hz} Hz"));
                }
                Err(e) => self.warn(Level::Warning, format!("edit refused: {e}")),
            },
            Command::Inspect(neuron) => self.inspect(neuron),
            Command::Explain(sel) => self.explain(sel),
            Command::Fork(spec) => self.fork(spec),
            Command::Resume(id) => self.resume(id),
            Command::InjectPanic => panic!("injected failure (Command::InjectPanic)"),
            Command::Shutdown => self.shutdown = true,
        }
    }

    /// Selects the E neuron to record for the inspector (None: stops recording).
    fn inspect(&mut self, neuron: Option<u32>) {
        let neuron = neuron.filter(|&n| (n as usize) < self.session.net().e().len());
        self.session.set_probe(neuron.map(|n| (n, PROBE_EVERY_STEPS)));
        // Samples of the previous selection must not reach the UI under the new one.
        self.frame.probe.clear();
        // The inspector needs the neuron's inputs now, not at the next due view.
        self.last_snapshot = None;
        self.frame_pending = true;
    }

    /// Shows `pattern` (or a random `fraction` of its pixels, from the user stream) to the
    /// network and to the fork, if any, for `duration_s`.
    fn present(&mut self, pattern: &crate::sim::Pattern, duration_s: f64, fraction: f64) {
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
        if let Some(f) = self.fork.as_mut() {
            f.session.net_mut().present(pattern.name.clone(), None, pixels.clone(), duration_s.max(0.0));
        }
        self.session.net_mut().present(pattern.name.clone(), None, pixels, duration_s.max(0.0));
        if let Some(s) = self.session.net().input().stimulus.as_ref() {
            if self.user_onsets.len() == USER_ONSETS {
                self.user_onsets.pop_front();
            }
            self.user_onsets.push_back(s.onset);
            let s = stimulus_info(s);
            self.frame.stimulus_spans.push((s.name, s.onset_s, s.offset_s));
        }
    }

    /// Starts explaining the weights of `sel` (None: stops); a selection that names nothing
    /// stops with a warning.
    fn explain(&mut self, sel: Option<WeightSelection>) {
        self.explaining = None;
        self.session.net_mut().stop_explaining();
        self.frame.ledger.clear();
        let Some(sel) = sel else { return };
        let resolved = resolve_selection(self.session.net(), &self.session.assemblies(), &sel);
        match resolved.and_then(|(syn, name)| {
            let list: Vec<_> = syn.iter().map(|&s| (crate::sim::ProjectionId::Ee, s)).collect();
            self.session.net_mut().explain(&list, LEDGER_EVERY_STEPS)?;
            Ok((syn.len(), name))
        }) {
            Ok((synapses, name)) => {
                let start_s = self.session.net().time_s();
                self.explaining = Some(Arc::new(Explaining { selection: sel, name, synapses, start_s }));
            }
            Err(e) => self.warn(Level::Warning, format!("cannot explain: {e}")),
        }
    }

    /// Forks a control from the network as it is now (None: ends the fork). The fork's groups
    /// are the original's assemblies at this moment, frozen, so that both sides are sorted
    /// and compared by the same neurons.
    fn fork(&mut self, spec: Option<ForkSpec>) {
        self.fork = None;
        self.frame.fork = None;
        let Some(spec) = spec else { return };
        let mut net = self.session.net().clone();
        net.stop_explaining();
        match net.set_params(*spec.params) {
            Ok(()) => {
                let params = Arc::new(net.params().clone());
                let start_s = net.time_s();
                let mut session = Session::new(net, SessionOptions::default());
                let asm = self.session.assemblies();
                if !asm.is_empty() {
                    session.restore_assemblies(asm.to_vec());
                }
                let info = Arc::new(ForkInfo { change: spec.change, start_s });
                self.fork = Some(ForkRun { session, info, params, last_rates: (f64::NAN, f64::NAN) });
                self.last_snapshot = None;
            }
            Err(e) => self.warn(Level::Warning, format!("fork refused: {e}")),
        }
    }

    /// Continues from history entry `id` (see [`Command::Resume`]).
    fn resume(&mut self, id: u64) {
        match self.history.resume(id, self.opts.threads) {
            Ok(r) => {
                self.replace_network(r.net);
                self.adopt_loaded(r.extras);
                self.session.restore_live_assemblies(r.assemblies);
                self.phase = r.phase;
                self.user_rng = r.user_rng;
                self.history_items = Arc::new(self.history.items());
                // The entry resumed from is this moment's.
                self.next_history = self.session.net().t() + 1;
                self.info(&format!("resumed from t = {:.1} s; the later history is kept as a branch", r.t_s));
            }
            Err(e) => self.warn(Level::Error, format!("cannot resume: {e}")),
        }
    }

    /// Forgets the history (a new network starts a new one).
    fn clear_history(&mut self) {
        self.history = History::new(self.opts.history_cap_bytes);
        self.history_items = Arc::new(Vec::new());
        self.next_history = self.session.net().t();
    }

    /// Records a history entry if one is due (see [`History`]).
    fn record_history(&mut self) {
        let every = (self.opts.history_every_s * STEPS_PER_SECOND as f64).round() as u64;
        let t = self.session.net().t();
        if every == 0 || t < self.next_history {
            return;
        }
        let (net, asm) = (self.session.net(), self.session.assemblies());
        let view = Arc::new(weight_view(net, &asm, self.opts.snapshot_bins));
        let rates: Vec<_> = self.recent_bins.iter().cloned().collect();
        let from = rates.first().map_or(f64::INFINITY, |b| b.t_s - 0.1);
        let stimuli = self.session.stimuli();
        // The stimuli are in onset order: those ending after the first bin are at the end.
        let recent = stimuli.len() - stimuli.iter().rev().take_while(|s| s.offset_s > from).count();
        let spans = stimuli[recent..].iter().map(|s| (s.name.clone(), s.onset_s, s.offset_s)).collect();
        let rates = (Arc::new(rates), Arc::new(spans));
        let extras = snapshot::Extras { assemblies: self.session.frozen_assemblies().map(|a| a.to_vec()) };
        match self.history.record(net, &extras, (self.phase, &self.user_rng, asm.clone()), view, rates) {
            Ok(mark) => {
                self.frame.history.push(mark);
                self.history_items = Arc::new(self.history.items());
            }
            Err(e) => self.warn(Level::Warning, format!("history entry not kept: {e}")),
        }
        // Due again at the next multiple of the interval (entries are taken between chunks, at
        // the first chunk boundary at or after it).
        self.next_history = (t / every + 1) * every;
    }

    /// Swaps in a new network with fresh observers (the schedule is the caller's).
    fn replace_network(&mut self, net: Network) {
        self.user_rng = Stream::new(net.params().seed, StreamId::User);
        let probed = self.session.probed().filter(|&n| (n as usize) < net.e().len());
        self.session = Session::new(net, session_options(&self.opts));
        // The same neuron stays selected in the new network.
        self.session.set_probe(probed.map(|n| (n, PROBE_EVERY_STEPS)));
        self.user_onsets.clear();
        // A selection names synapses and assemblies of the old network, and a fork was a copy of it.
        self.explaining = None;
        self.fork = None;
        self.last_rates = (f64::NAN, f64::NAN);
        self.recent_bins.clear();
        self.params = Arc::new(self.session.net().params().clone());
        // Events of the old network are of no use to the UI any more; history entries are.
        let history = std::mem::take(&mut self.frame.history);
        self.frame = empty_frame(self.session.net(), &self.params);
        self.frame.history = history;
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
        let phase = match p {
            PhaseChoice::Phase(name) => Some(name),
            PhaseChoice::Free => None,
        };
        self.session.start_phase(phase);
        if let Some(f) = self.fork.as_mut() {
            f.session.start_phase(phase);
        }
    }

    fn reset_pace(&mut self) {
        self.pace = (Instant::now(), self.session.net().t());
    }

    /// Runs one chunk and adds its events to the frame.
    fn chunk(&mut self) {
        self.record_history();
        let steps = if self.running { RUN_CHUNK_STEPS } else { self.pending_steps.min(CHUNK_STEPS) };
        let frame = &mut self.frame;
        let mut onset = None;
        self.session.run(steps, |net| {
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
        self.frame_pending = true;
        if let Some(s) = onset {
            self.frame.stimulus_spans.push((s.name, s.onset_s, s.offset_s));
        }
        if !self.running {
            self.pending_steps -= steps;
        }
        // New 100 ms bins: into the frame, and check for a runaway network. The neuron state
        // is checked once per chunk that completes a bin.
        let bins = self.session.take_bins();
        let bad_state = if bins.is_empty() { None } else { self.session.net().non_finite_neurons() };
        let limit = self.opts.runaway_hz;
        let mut why = runaway(&bins, limit, &mut self.last_rates);
        // An entry's rates cover the longer of its interval and the rates plot's default window.
        let keep = (self.opts.history_every_s.max(60.0) * 10.0).ceil() as usize;
        self.recent_bins.extend(bins.iter().cloned());
        while self.recent_bins.len() > keep {
            self.recent_bins.pop_front();
        }
        self.frame.rate_bins.extend(bins);
        if let Some(f) = self.fork.as_mut() {
            // The fork runs the same chunk on the same pool, after the original.
            let ff = self.frame.fork.get_or_insert_with(|| Box::new(empty_frame(f.session.net(), &f.params)));
            f.session.run(steps, |net| {
                let t = net.time_s();
                ff.e_spikes.extend(net.e().spikes.iter().map(|&k| (t, k)));
                ff.i_spikes.extend(net.i().spikes.iter().map(|&k| (t, k)));
            });
            let bins = f.session.take_bins();
            if let Some(w) = runaway(&bins, limit, &mut f.last_rates) {
                why = why.or(Some(format!("the fork's {w}")));
            }
            ff.rate_bins.extend(bins);
        }
        self.frame.probe.extend(self.session.take_probe_samples());
        self.frame.ledger.extend(self.session.net_mut().take_ledger_samples());
        // Before the first chunk (t = 0) and after every chunk that reaches a due time.
        self.record_history();
        self.collect_cue_reports();
        if let Some(where_) = bad_state {
            why = Some(format!("non-finite state (NaN or infinity) in {where_}"));
        }
        if let Some(why) = why {
            self.pause_with(format!("paused: {why}"));
        }
    }

    /// Moves the cues scored in the last chunk into the frame: those the user presented, and
    /// every cue of the recall phase.
    fn collect_cue_reports(&mut self) {
        let recall = self.phase == PhaseChoice::Phase(crate::sim::params::PhaseName::Recall);
        for (response, asm) in self.session.take_cue_responses() {
            let onset = (response.onset_s * STEPS_PER_SECOND as f64).round() as u64;
            if recall || self.user_onsets.contains(&onset) {
                let assemblies = Arc::new(asm.iter().map(|p| p.name.clone()).collect());
                self.frame.cue_reports.push(CueReport { response, assemblies });
            }
        }
    }

    /// Offers the frame if its interval has passed, and publishes a snapshot if due.
    fn publish(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.last_frame).as_secs_f64() >= self.opts.frame_interval_s {
            self.offer_frame();
        }
        let due =
            self.last_snapshot.is_none_or(|t| now.duration_since(t).as_secs_f64() >= self.opts.snapshot_interval_s);
        if due {
            self.publish_view();
        }
    }

    /// Publishes a weight view of the network now (and of the fork, with the inspected
    /// neuron's inputs), replacing any the UI has not taken.
    fn publish_view(&mut self) {
        self.last_snapshot = Some(Instant::now());
        // Weights are checked here, at a few Hz of wall time, not per bin: millions of them.
        if let Some(where_) = self.session.net().non_finite_weights() {
            self.pause_with(format!("paused: non-finite weights (NaN or infinity) in {where_}"));
        }
        let (net, asm) = (self.session.net(), self.session.assemblies());
        let mut view = weight_view(net, &asm, self.opts.snapshot_bins);
        view.neuron = self.session.probed().and_then(|n| neuron_view(net, &asm, n));
        view.fork = self
            .fork
            .as_ref()
            .map(|f| Arc::new(weight_view(f.session.net(), &f.session.assemblies(), self.opts.snapshot_bins)));
        let view = Arc::new(view);
        // Latest wins: evict an unread snapshot, then offer the new one. The slot has one
        // place and this thread is its only writer, so after the eviction the offer fits.
        let _ = self.snap_evict.try_recv();
        let _ = self.snap_tx.try_send(view);
    }

    /// Ends the frame being filled: the newest status and end time.
    fn finish_frame(&mut self) {
        let now = Instant::now();
        let (w0, s0) = self.speed_window;
        let dt = now.duration_since(w0).as_secs_f64();
        let t = self.session.net().t();
        if dt >= 1.0 || !self.running {
            if dt > 0.0 && t > s0 {
                self.speed_x = (t - s0) as f64 / STEPS_PER_SECOND as f64 / dt;
            } else if !self.running {
                self.speed_x = 0.0;
            }
            self.speed_window = (now, t);
        }
        self.thinned += self.frame.trim_spikes(RASTER_WINDOW_S, MAX_FRAME_SPIKES);
        self.frame.trim_probe();
        self.frame.t_end_s = self.session.net().time_s();
        self.frame.status = self.status();
        if let (Some(f), Some(ff)) = (&self.fork, self.frame.fork.as_mut()) {
            self.thinned += ff.trim_spikes(RASTER_WINDOW_S, MAX_FRAME_SPIKES);
            ff.t_end_s = f.session.net().time_s();
            ff.stimulus_spans.clone_from(&self.frame.stimulus_spans);
            let net = f.session.net();
            ff.status = Status {
                e_hz: f.last_rates.0,
                i_hz: f.last_rates.1,
                params: f.params.clone(),
                assemblies: f.session.assemblies(),
                inh_modulation: net.inh_modulation(),
                inspected: None,
                explaining: None,
                fork: None,
                ..self.frame.status.clone()
            };
        }
        self.last_frame = now;
    }

    /// Offers the frame to the UI without waiting. If the stream is full the frame stays and
    /// the next chunks are merged into it (spikes, rate bins, input counts, stimulus spans;
    /// the status is the newest when it is finally taken).
    fn offer_frame(&mut self) {
        self.finish_frame();
        let frame = std::mem::replace(&mut self.frame, empty_frame(self.session.net(), &self.params));
        match self.frame_tx.try_send(frame) {
            Ok(()) => self.frame_pending = false,
            Err(TrySendError::Full(frame)) => {
                self.frame = frame;
                self.coalesced += 1;
            }
            Err(TrySendError::Disconnected(_)) => self.shutdown = true,
        }
    }

    fn status(&self) -> Status {
        let (e_hz, i_hz) = self.last_rates;
        let net = self.session.net();
        let phase_elapsed_s = net.phase().map_or(0.0, |(_, t0)| (net.t() - t0) as f64 / STEPS_PER_SECOND as f64);
        Status {
            t_s: net.time_s(),
            running: self.running,
            speed_x: self.speed_x,
            speed: self.speed,
            phase: self.phase,
            phase_elapsed_s,
            stimulus: net.input().stimulus.as_ref().map(stimulus_info),
            e_hz,
            i_hz,
            coalesced_frames: self.coalesced,
            thinned_spikes: self.thinned,
            runaway_hz: self.opts.runaway_hz,
            message: self.message.clone(),
            params: self.params.clone(),
            assemblies: self.session.assemblies(),
            inh_modulation: net.inh_modulation(),
            inspected: self.session.probed(),
            explaining: self.explaining.clone(),
            fork: self.fork.as_ref().map(|f| f.info.clone()),
            history: self.history_items.clone(),
        }
    }

    /// Waits while ahead of the requested speed; a command ends the wait at once.
    fn throttle(&mut self) {
        let Speed::Realtime(x) = self.speed else { return };
        if !self.running || x <= 0.0 {
            return;
        }
        let model_s = (self.session.net().t() - self.pace.1) as f64 / STEPS_PER_SECOND as f64;
        let ahead = model_s / x - self.pace.0.elapsed().as_secs_f64();
        if ahead > 0.002 {
            match self.inbox.recv_timeout(Duration::from_secs_f64(ahead.min(0.1))) {
                Ok(msg) => self.handle(msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.shutdown = true,
            }
        }
    }
}

/// Why the network ran away in these bins, if it did: the first population rate above `limit`
/// or not finite. `last` gets the rates of the last bin.
fn runaway(bins: &[crate::sim::monitor::RateBin], limit: f64, last: &mut (f64, f64)) -> Option<String> {
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
        *last = (b.e_hz, b.i_hz);
    }
    why
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

/// The session's observers as the window needs them.
fn session_options(opts: &BridgeOptions) -> SessionOptions {
    SessionOptions { follow_cues: opts.follow_cues, ..SessionOptions::default() }
}

/// A fresh batch starting now.
fn empty_frame(net: &Network, params: &Arc<crate::sim::Params>) -> Frame {
    Frame::empty(net.time_s(), net.time_s(), net.input().len(), params.clone())
}
