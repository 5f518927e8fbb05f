//! Plain data that crosses the thread boundary between the simulation and the UI.

use std::path::PathBuf;
use std::sync::Arc;

use crate::sim::Params;
use crate::sim::ProjectionId;
use crate::sim::analysis::CueResponse;
use crate::sim::monitor::RateBin;
use crate::sim::network::LedgerSample;
use crate::sim::params::PhaseName;
use crate::sim::pattern::Pattern;
use crate::sim::probe::{ProbeSample, WeightSelection};

/// How fast the simulation thread runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// As fast as the machine allows.
    Max,
    /// A multiple of real time (1.0 = one model second per wall second).
    Realtime(f64),
}

/// A protocol phase, or free running (background input, stimuli only on request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseChoice {
    Phase(PhaseName),
    Free,
}

impl PhaseChoice {
    pub const ALL: [PhaseChoice; 4] = [
        PhaseChoice::Phase(PhaseName::Init),
        PhaseChoice::Phase(PhaseName::Learn),
        PhaseChoice::Phase(PhaseName::Recall),
        PhaseChoice::Free,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PhaseChoice::Phase(p) => p.as_str(),
            PhaseChoice::Free => "free",
        }
    }
}

/// What the UI asks of the simulation. Applied between 1 ms chunks, in order, and logged with
/// the step at which it took effect.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Start or continue running.
    Run,
    /// Stop after the current chunk; the thread then sleeps until the next command.
    Pause,
    /// While paused, advance this many milliseconds of model time, then stay paused.
    Step {
        ms: u32,
    },
    SetSpeed(Speed),
    /// Replace the live parameters (validated; sizes and connectivity cannot change here).
    SetParams(Box<Params>),
    /// Show a pattern to the input layer now for `duration_s`; with `fraction` < 1 only a
    /// random subset of that share of its pixels (drawn from the seeded user stream).
    Present {
        pattern: Pattern,
        duration_s: f64,
        fraction: f64,
    },
    /// Switch the stimulus schedule to a protocol phase, or to free running.
    StartPhase(PhaseChoice),
    /// Rebuild the network from these parameters (new seed, new preset).
    Reset(Box<Params>),
    /// Save the complete network state to a snapshot file (atomically).
    SaveSnapshot(PathBuf),
    /// Replace the network by the one in a snapshot file; a bad file changes nothing.
    LoadSnapshot(PathBuf),
    /// Replace the weights w of a plastic projection by a MatrixMarket file with exactly the
    /// network's synapses ([`crate::io::weights::import_weights`]); a bad file changes nothing.
    ImportWeights {
        which: ProjectionId,
        path: PathBuf,
    },
    /// Write w of a plastic projection to `path` and w̃ to its companion file (atomically).
    ExportWeights {
        which: ProjectionId,
        path: PathBuf,
    },
    /// Write the live assemblies as a `.pat` file (atomically).
    ExportAssemblies(PathBuf),
    /// Pause when a population rate exceeds this in a 100 ms bin [Hz]; must be finite and > 0.
    SetRunawayLimit(f64),
    /// Select an E neuron for the inspector (None: deselect): its state variables are recorded
    /// from now on ([`Frame::probe`]) and its inputs come with every weight view
    /// ([`crate::sim::views::WeightView::neuron`]). Nothing is recorded while none is selected.
    Inspect(Option<u32>),
    /// Explain the changes of a set of E→E weights by mechanism from now on (None: stop): the
    /// simulation books every change of their w by term and of w̃ by consolidation
    /// ([`crate::sim::network::Ledger`]) and streams the totals ([`Frame::ledger`]). Blocks are
    /// resolved with the assemblies in use when the command arrives.
    Explain(Option<WeightSelection>),
    /// Fork a control (None: end the fork): a copy of the network as it is now continues next
    /// to it, stepped in the same chunks on the same input — the same stimulus schedule, input
    /// spikes and presentations — with the spec's parameters (sizes and connectivity cannot
    /// change). Its events come in [`Frame::fork`], its weights in
    /// [`crate::sim::views::WeightView::fork`]. Parameter edits, inspection and explanation
    /// apply to the original only; a reset or a loaded snapshot ends the fork.
    Fork(Option<ForkSpec>),
    /// Continue from history entry `id` ([`Status::history`]): the network, its schedule,
    /// assemblies and user stream as they were then, so the run repeats the original bit for
    /// bit until something differs; the entries after it stay as a branch until the memory cap
    /// needs their room.
    Resume(u64),
    /// For tests only: make the simulation thread panic, as a bug would, to exercise the
    /// failure report and the restart. Never sent by the window.
    #[doc(hidden)]
    InjectPanic,
    /// End the thread.
    Shutdown,
}

impl Command {
    /// Short description for the command log.
    pub fn describe(&self) -> String {
        match self {
            Command::Run => "run".into(),
            Command::Pause => "pause".into(),
            Command::Step { ms } => format!("step {ms} ms"),
            Command::SetSpeed(Speed::Max) => "speed max".into(),
            Command::SetSpeed(Speed::Realtime(x)) => format!("speed {x}x"),
            Command::SetParams(p) => format!("set params ({})", p.name),
            Command::Present { pattern, duration_s, fraction } => {
                format!("present {} for {duration_s} s (fraction {fraction})", pattern.name)
            }
            Command::StartPhase(p) => format!("phase {}", p.label()),
            Command::Reset(p) => format!("reset ({}, seed {})", p.name, p.seed),
            Command::SaveSnapshot(p) => format!("save state to {}", p.display()),
            Command::LoadSnapshot(p) => format!("load state from {}", p.display()),
            Command::ImportWeights { which, path } => {
                format!("import {} weights from {}", which.label(), path.display())
            }
            Command::ExportWeights { which, path } => format!("export {} weights to {}", which.label(), path.display()),
            Command::ExportAssemblies(p) => format!("export assemblies to {}", p.display()),
            Command::SetRunawayLimit(hz) => format!("runaway limit {hz} Hz"),
            Command::Inspect(Some(n)) => format!("inspect E neuron {n}"),
            Command::Inspect(None) => "inspect nothing".into(),
            Command::Explain(Some(sel)) => format!("explain {sel:?}"),
            Command::Explain(None) => "explain nothing".into(),
            Command::Fork(Some(f)) => format!("fork ({})", f.change),
            Command::Fork(None) => "end fork".into(),
            Command::Resume(id) => format!("resume from history entry {id}"),
            Command::InjectPanic => "inject panic".into(),
            Command::Shutdown => "shutdown".into(),
        }
    }
}

/// Severity of a status message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// A message for the status bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub level: Level,
    pub text: String,
}

/// The stimulus currently shown.
#[derive(Clone, Debug, PartialEq)]
pub struct StimulusInfo {
    pub name: String,
    /// Input pixels on.
    pub pixels: Arc<Vec<u32>>,
    /// Onset and scheduled end [s of model time].
    pub onset_s: f64,
    pub offset_s: f64,
}

/// State of the simulation as of the end of a frame.
#[derive(Clone, Debug)]
pub struct Status {
    /// Model time [s].
    pub t_s: f64,
    pub running: bool,
    /// Measured speed over the last wall second, as a multiple of real time.
    pub speed_x: f64,
    pub speed: Speed,
    pub phase: PhaseChoice,
    /// Time since the phase started [s].
    pub phase_elapsed_s: f64,
    pub stimulus: Option<StimulusInfo>,
    /// Population rates in the last complete 100 ms bin [Hz].
    pub e_hz: f64,
    pub i_hz: f64,
    /// Times the UI was behind and a frame waited, merged with the next ones (nothing is lost
    /// but spikes thinned out of the raster, counted in `thinned_spikes`).
    pub coalesced_frames: u64,
    /// Spikes left out of frames because a merged frame held more than the raster can show.
    pub thinned_spikes: u64,
    /// Population rate above which the simulation pauses [Hz].
    pub runaway_hz: f64,
    /// The latest warning or error (runaway network, refused edit), if any.
    pub message: Option<Message>,
    /// Parameters in force.
    pub params: Arc<Params>,
    /// The assemblies in use (docs/model.md §10.1; frozen at the end of the init phase),
    /// members with their rate.
    pub assemblies: Arc<Vec<Pattern>>,
    /// Modulation G of the inhibitory rule.
    pub inh_modulation: f64,
    /// The E neuron being inspected, if any.
    pub inspected: Option<u32>,
    /// The weights being explained by mechanism, if any.
    pub explaining: Option<Arc<Explaining>>,
    /// The fork running beside the network, if any.
    pub fork: Option<Arc<ForkInfo>>,
    /// The history entries kept, oldest first: (id, model time [s], on an abandoned branch).
    pub history: Arc<Vec<super::history::HistoryItem>>,
}

/// What a fork changes ([`Command::Fork`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ForkSpec {
    /// The fork's parameters.
    pub params: Box<Params>,
    /// The change in words, e.g. "heterosynaptic plasticity off".
    pub change: String,
}

/// The fork running beside the network.
#[derive(Clone, Debug, PartialEq)]
pub struct ForkInfo {
    pub change: String,
    /// Model time of the fork [s].
    pub start_s: f64,
}

/// A selection of weights being explained ([`Command::Explain`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Explaining {
    pub selection: WeightSelection,
    /// Its name, e.g. "circle → circle".
    pub name: String,
    /// Number of E→E synapses in it.
    pub synapses: usize,
    /// Model time at which booking started [s].
    pub start_s: f64,
}

/// A batch of what happened since the previous frame, sent over the bounded stream channel.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Model time at the start and end of the batch [s].
    pub t_start_s: f64,
    pub t_end_s: f64,
    /// E spikes: (model time [s], neuron).
    pub e_spikes: Vec<(f64, u32)>,
    /// I spikes: (model time [s], neuron).
    pub i_spikes: Vec<(f64, u32)>,
    /// Spike count of every input unit during the batch.
    pub input_counts: Vec<u16>,
    /// 100 ms population/assembly rate bins completed during the batch.
    pub rate_bins: Vec<RateBin>,
    /// Stimulus spans that began during the batch: (name, onset [s], scheduled end [s]).
    pub stimulus_spans: Vec<(String, f64, f64)>,
    /// Cues scored during the batch (presented by the user, or scheduled in the recall phase),
    /// oldest first.
    pub cue_reports: Vec<CueReport>,
    /// Samples of the inspected neuron recorded during the batch, oldest first (a merged frame
    /// keeps the last [`PROBE_WINDOW_S`] of them).
    pub probe: Vec<ProbeSample>,
    /// Totals of the weights being explained, every 0.1 s of model time, oldest first.
    pub ledger: Vec<LedgerSample>,
    /// The fork's events over the same span (its spikes, rate bins and status; no input
    /// counts: the input is the original's), while a fork runs.
    pub fork: Option<Box<Frame>>,
    /// History entries recorded during the batch, oldest first.
    pub history: Vec<super::history::HistoryMark>,
    pub status: Status,
}

/// Model time of inspector samples a frame keeps when frames are merged [s]; the inspector's
/// plots show as much.
pub const PROBE_WINDOW_S: f64 = 10.0;

/// A scored cue for the window: the response by the recall rule of `engram run`
/// ([`crate::sim::analysis::RecallCriteria`]) and the names of the assemblies it indexes.
#[derive(Clone, Debug, PartialEq)]
pub struct CueReport {
    pub response: CueResponse,
    pub assemblies: Arc<Vec<String>>,
}

impl CueReport {
    /// Name of assembly `k` of this report ("assembly k+1" if unnamed or out of range).
    pub fn name(&self, k: usize) -> String {
        match self.assemblies.get(k) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("assembly {}", k + 1),
        }
    }
}

impl Frame {
    /// A frame with no events over [t_start_s, t_end_s] and a paused, free-running status at
    /// its end. The simulation starts each batch from it; tests fill in what they need.
    pub fn empty(t_start_s: f64, t_end_s: f64, n_input: usize, params: Arc<Params>) -> Self {
        Frame {
            t_start_s,
            t_end_s,
            e_spikes: Vec::new(),
            i_spikes: Vec::new(),
            input_counts: vec![0; n_input],
            rate_bins: Vec::new(),
            stimulus_spans: Vec::new(),
            cue_reports: Vec::new(),
            probe: Vec::new(),
            ledger: Vec::new(),
            fork: None,
            history: Vec::new(),
            status: Status {
                t_s: t_end_s,
                running: false,
                speed_x: 0.0,
                speed: Speed::Max,
                phase: PhaseChoice::Free,
                phase_elapsed_s: 0.0,
                stimulus: None,
                e_hz: f64::NAN,
                i_hz: f64::NAN,
                coalesced_frames: 0,
                thinned_spikes: 0,
                runaway_hz: super::DEFAULT_RUNAWAY_HZ,
                message: None,
                params,
                assemblies: Arc::new(Vec::new()),
                inh_modulation: 0.0,
                inspected: None,
                explaining: None,
                fork: None,
                history: Arc::new(Vec::new()),
            },
        }
    }
}

impl Frame {
    /// Bounds the spikes a frame holds, as frames merged while the UI was behind can grow:
    /// spikes more than `window_s` before the frame's end (which the raster no longer shows)
    /// are dropped, then the oldest beyond `max` per population. Returns how many spikes of
    /// the window were dropped (thinned).
    pub fn trim_spikes(&mut self, window_s: f64, max: usize) -> u64 {
        let from = self.t_end_s - window_s;
        let mut thinned = 0;
        for spikes in [&mut self.e_spikes, &mut self.i_spikes] {
            let old = spikes.partition_point(|&(t, _)| t < from);
            spikes.drain(..old);
            if spikes.len() > max {
                let extra = spikes.len() - max;
                spikes.drain(..extra);
                thinned += extra as u64;
            }
        }
        thinned
    }

    /// Drops inspector samples older than [`PROBE_WINDOW_S`] before the newest.
    pub fn trim_probe(&mut self) {
        let Some(last) = self.probe.last() else { return };
        let keep = (PROBE_WINDOW_S * crate::sim::params::STEPS_PER_SECOND as f64) as u64;
        let from = last.step.saturating_sub(keep);
        let old = self.probe.partition_point(|s| s.step < from);
        self.probe.drain(..old);
    }
}
