//! A run with its read-outs: the [`Network`] and the observers that `engram run` and the
//! window's simulation thread both use, so that what the window shows and what `run` writes
//! are computed by the same code.
//!
//! The observers, fed after every step: population and assembly rates in 100 ms bins, the
//! spike hash, the live assembly tracker (docs/model.md §10.1), the stimulus log, the recall
//! recorder during the recall phase (§14.3), and samples of the assembly weight structure
//! (§12). Assemblies are refreshed from the tracker on a fixed grid of model time and frozen
//! when the init phase ends: from then on the rates, the recall read-out and the weight
//! structure use the frozen ones, as the original uses the assemblies of phase 1.

use std::sync::Arc;

use super::analysis::{
    CueResponse, RecallCriteria, RecallRecorder, Responses, Selectivity, TimeCourse, WeightStructure, weight_structure,
};
use super::monitor::{AssemblyTracker, RateBin, RateMonitor, SpikeHash};
use super::network::Network;
use super::params::{PhaseName, STEPS_PER_SECOND};
use super::pattern::Pattern;
use super::probe::{Probe, ProbeSample};
use super::shapes;
use super::views::weight_view;

/// Rate above which a neuron responds to a shape (docs/model.md §10.1) [Hz].
pub const THRESHOLD_HZ: f64 = 10.0;

/// How a [`Session`] observes its run.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionOptions {
    /// How cues are scored during the recall phase.
    pub criteria: RecallCriteria,
    /// Model time between refreshes of the live assemblies from the tracker [s].
    pub assembly_refresh_s: f64,
    /// Model time between samples of the assembly weight structure [s]; 0: only when a phase
    /// ends.
    pub weight_every_s: f64,
    /// Window of model time [s] over which to read out the shapes' selectivity from the
    /// presentations whose onset lies in it (docs/model.md §10.1: the original uses the last
    /// 400 s of phase 1); None: no read-out.
    pub selectivity_window: Option<(f64, f64)>,
    /// Length of the consecutive windows of the selectivity time course [s], from the
    /// session's start; None: no time course.
    pub time_course_s: Option<f64>,
    /// Score every stimulus, in any phase, whenever assemblies are known (frozen, else live),
    /// with the same rule as the recall phase; the responses are taken with
    /// [`Session::take_cue_responses`]. The window turns this on to show what a cue did;
    /// `engram run` keeps it off (its recall read-out covers the recall phase only).
    pub follow_cues: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            criteria: RecallCriteria::default(),
            assembly_refresh_s: 1.0,
            weight_every_s: 60.0,
            selectivity_window: None,
            time_course_s: None,
            follow_cues: false,
        }
    }
}

/// One stimulus presentation as the input layer showed it.
#[derive(Clone, Debug, PartialEq)]
pub struct StimulusRecord {
    /// Onset and offset [s].
    pub onset_s: f64,
    pub offset_s: f64,
    pub name: String,
    /// Number of input pixels driven.
    pub pixels: usize,
    /// For a shape or a cue cut from one, the fraction of the shape's pixels the stimulus
    /// drives (1 for the shape itself); None for other stimuli.
    pub parent_fraction: Option<f64>,
    /// The phase it was shown in (None: free running).
    pub phase: Option<PhaseName>,
}

/// The fraction of its parent shape's pixels that the stimulus `name` drives (see
/// [`StimulusRecord::parent_fraction`]).
fn parent_fraction(name: &str, pixels: &[u32], shapes: &[Pattern]) -> Option<f64> {
    let parent = shapes.get(shapes::parent_shape(name)?)?;
    let set: std::collections::BTreeSet<u32> = parent.indices.iter().copied().collect();
    let shared = pixels.iter().filter(|i| set.contains(i)).count();
    (!set.is_empty()).then(|| shared as f64 / set.len() as f64)
}

/// The recorder of [`SessionOptions::follow_cues`]: scores every stimulus with the assemblies
/// in use, and is rebuilt for a new assembly set once the cue it follows is scored (a cue is
/// scored with the assemblies known at its onset).
#[derive(Default)]
struct Follower {
    recorder: Option<RecallRecorder>,
    /// The assemblies `recorder` scores with.
    followed: Arc<Vec<Pattern>>,
    /// A newer, different assembly set to switch to when no cue is being followed.
    next: Option<Arc<Vec<Pattern>>>,
    /// Responses of recorders already replaced, with their assemblies, not yet taken.
    done: Vec<(CueResponse, Arc<Vec<Pattern>>)>,
}

impl Follower {
    /// Offers the assemblies now in use; kept only if they differ from those followed.
    fn offer(&mut self, asm: &Arc<Vec<Pattern>>) {
        let same = |a: &[Pattern], b: &[Pattern]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.name == y.name && x.indices == y.indices)
        };
        if asm.is_empty() || same(asm, &self.followed) {
            self.next = None;
        } else {
            self.next = Some(asm.clone());
        }
    }

    fn observe_step(&mut self, step: u64, net: &Network, criteria: &RecallCriteria) {
        if self.next.is_some() && !self.recorder.as_ref().is_some_and(RecallRecorder::is_following) {
            self.keep_responses();
            if let Some(asm) = self.next.take() {
                self.recorder = Some(RecallRecorder::new(&asm, net.e().len(), criteria.clone()));
                self.followed = asm;
            }
        }
        if let Some(r) = self.recorder.as_mut() {
            r.observe_step(step, net.input().stimulus.as_ref(), &net.e().spikes);
        }
    }

    /// Moves the scored responses out of the recorder.
    fn keep_responses(&mut self) {
        if let Some(r) = self.recorder.as_mut() {
            let asm = &self.followed;
            self.done.extend(r.responses.drain(..).map(|x| (x, asm.clone())));
        }
    }

    fn take(&mut self) -> Vec<(CueResponse, Arc<Vec<Pattern>>)> {
        self.keep_responses();
        std::mem::take(&mut self.done)
    }
}

/// A network and its observers (see the module documentation).
pub struct Session {
    net: Network,
    opts: SessionOptions,
    rates: RateMonitor,
    hash: SpikeHash,
    tracker: AssemblyTracker,
    /// The tracker's assemblies as of the last refresh.
    live: Arc<Vec<Pattern>>,
    /// The assemblies at the end of the init phase, once it has ended.
    frozen: Option<Arc<Vec<Pattern>>>,
    recorder: Option<RecallRecorder>,
    /// With [`SessionOptions::follow_cues`]: the recorder that scores every stimulus.
    follower: Follower,
    weights: Vec<WeightStructure>,
    end_of_init: Option<WeightStructure>,
    /// Patterns of the Input→E weight structure: the shapes, if they fit the input grid.
    input_patterns: Vec<Pattern>,
    stimuli: Vec<StimulusRecord>,
    /// Responses to the shapes in the selectivity window, and per window of the time course.
    responses: Option<Responses>,
    course: Option<TimeCourse>,
    /// The phase being run has not been ended by [`Session::end_phase`] yet.
    phase_open: bool,
    /// The recorder of the neuron being inspected, if any.
    probe: Option<Probe>,
}

impl Session {
    pub fn new(net: Network, opts: SessionOptions) -> Self {
        let input_patterns = if net.params().network.input_side == shapes::GRID {
            shapes::shapes_of(net.params().input.shapes)
        } else {
            Vec::new()
        };
        let (k, n_e, now) = (shapes::SHAPE_NAMES.len(), net.e().len(), net.time_s());
        let responses = opts.selectivity_window.map(|(a, b)| Responses::new(k, n_e, a, b));
        let course = opts.time_course_s.map(|w| TimeCourse::new(k, n_e, now, w, THRESHOLD_HZ));
        let tracker = AssemblyTracker::for_shapes(net.params().readout.assembly_presentations);
        Session {
            responses,
            course,
            phase_open: net.phase().is_some(),
            net,
            opts,
            rates: RateMonitor::new(0.1),
            hash: SpikeHash::default(),
            tracker,
            live: Arc::new(Vec::new()),
            frozen: None,
            recorder: None,
            follower: Follower::default(),
            weights: Vec::new(),
            end_of_init: None,
            input_patterns,
            stimuli: Vec::new(),
            probe: None,
        }
    }

    pub fn net(&self) -> &Network {
        &self.net
    }

    /// The network, to change parameters, present stimuli or import weights.
    pub fn net_mut(&mut self) -> &mut Network {
        &mut self.net
    }

    pub fn options(&self) -> &SessionOptions {
        &self.opts
    }

    /// Ends the phase being run ([`Session::end_phase`]), then starts `phase` (None: free
    /// running). Starting the recall phase starts the recall read-out with the current
    /// assemblies, if any.
    pub fn start_phase(&mut self, phase: Option<PhaseName>) {
        self.end_phase();
        match phase {
            Some(name) => self.net.start_phase(name),
            None => self.net.start_free(),
        }
        self.phase_open = phase.is_some();
        if phase == Some(PhaseName::Recall) {
            self.finish_recall();
            let asm = self.assemblies();
            if !asm.is_empty() {
                self.recorder = Some(RecallRecorder::new(&asm, self.net.e().len(), self.opts.criteria.clone()));
            }
        }
    }

    /// Ends the phase being run, if any has not ended yet: samples the weight structure, and
    /// at the end of the init phase freezes the assemblies and keeps that sample.
    pub fn end_phase(&mut self) {
        if !std::mem::replace(&mut self.phase_open, false) {
            return;
        }
        let init = self.net.phase().is_some_and(|(name, _)| name == PhaseName::Init);
        if init && self.tracker.ready() {
            let asm = Arc::new(self.tracker.assemblies());
            self.set_rate_assemblies(&asm);
            self.follower.offer(&asm);
            self.frozen = Some(asm);
        }
        let ws = Self::sample(&self.net, &self.assemblies(), &self.input_patterns);
        if init {
            self.end_of_init = Some(ws.clone());
        }
        // One sample per time: this one replaces a grid sample taken at the same step.
        if self.weights.last().is_some_and(|w| w.t_s == ws.t_s) {
            self.weights.pop();
        }
        self.weights.push(ws);
    }

    fn sample(net: &Network, assemblies: &[Pattern], inputs: &[Pattern]) -> WeightStructure {
        weight_structure(&weight_view(net, assemblies, 1), inputs)
    }

    fn set_rate_assemblies(&mut self, asm: &[Pattern]) {
        let members = asm.iter().map(|p| p.indices.clone()).collect();
        self.rates.set_assemblies(self.net.e().len(), members);
    }

    /// Runs `steps` steps, feeding every observer after each, then `extra` (the caller's own
    /// per-step work, e.g. collecting spikes for display).
    pub fn run(&mut self, steps: u64, mut extra: impl FnMut(&Network) + Send) {
        let refresh = ((self.opts.assembly_refresh_s * STEPS_PER_SECOND as f64).round() as u64).max(1);
        let every = (self.opts.weight_every_s * STEPS_PER_SECOND as f64).round() as u64;
        let follow = self.opts.follow_cues.then(|| self.opts.criteria.clone());
        let Session {
            net,
            follower,
            rates,
            hash,
            tracker,
            live,
            frozen,
            recorder,
            weights,
            input_patterns,
            stimuli,
            responses,
            course,
            probe,
            ..
        } = self;
        net.run(steps, |net| {
            rates.observe(net);
            hash.observe(net);
            if let Some(p) = tracker.observe(net) {
                if let Some(r) = responses.as_mut() {
                    r.add(&p);
                }
                if let Some(c) = course.as_mut() {
                    c.add(&p);
                }
            }
            let t = net.t();
            if let Some(s) = &net.input().stimulus
                && s.onset + 1 == t
            {
                let per = STEPS_PER_SECOND as f64;
                stimuli.push(StimulusRecord {
                    onset_s: s.onset as f64 / per,
                    offset_s: s.offset as f64 / per,
                    name: s.name.clone(),
                    pixels: s.pixels.len(),
                    parent_fraction: parent_fraction(&s.name, &s.pixels, input_patterns),
                    phase: net.phase().map(|(name, _)| name),
                });
            }
            if let Some(r) = recorder.as_mut() {
                r.observe_step(t - 1, net.input().stimulus.as_ref(), &net.e().spikes);
            }
            if let Some(criteria) = &follow {
                follower.observe_step(t - 1, net, criteria);
            }
            if t.is_multiple_of(refresh) && tracker.ready() && frozen.is_none() {
                *live = Arc::new(tracker.assemblies());
                rates.set_assemblies(net.e().len(), live.iter().map(|p| p.indices.clone()).collect());
                follower.offer(live);
            }
            if every > 0 && t.is_multiple_of(every) {
                let asm = frozen.as_ref().unwrap_or(live);
                weights.push(Self::sample(net, asm, input_patterns));
            }
            if let Some(p) = probe.as_mut() {
                p.observe(net);
            }
            extra(net);
        });
    }

    /// The assemblies in use: frozen at the end of the init phase, else the live ones (empty
    /// until every shape has been shown).
    pub fn assemblies(&self) -> Arc<Vec<Pattern>> {
        self.frozen.clone().unwrap_or_else(|| self.live.clone())
    }

    /// Takes `assemblies` as the ones frozen at the end of the init phase (restored with a
    /// snapshot, or given by the user): rates, recall and weight structure use them from now.
    pub fn restore_assemblies(&mut self, assemblies: Vec<Pattern>) {
        let asm = Arc::new(assemblies);
        self.set_rate_assemblies(&asm);
        self.follower.offer(&asm);
        self.frozen = Some(asm);
    }

    /// Takes `assemblies` as the live ones until the tracker has its own (a network resumed
    /// from history during the init phase): rates and weight views use them meanwhile.
    pub fn restore_live_assemblies(&mut self, assemblies: Arc<Vec<Pattern>>) {
        if self.frozen.is_none() && !assemblies.is_empty() {
            self.set_rate_assemblies(&assemblies);
            self.follower.offer(&assemblies);
            self.live = assemblies;
        }
    }

    /// The assemblies frozen at the end of the init phase, if it has ended.
    pub fn frozen_assemblies(&self) -> Option<&Arc<Vec<Pattern>>> {
        self.frozen.as_ref()
    }

    /// The rate bins completed since the last [`Session::take_bins`] (or the start).
    pub fn bins(&self) -> &[RateBin] {
        &self.rates.bins
    }

    /// Takes the completed rate bins out (the window streams them; `run` keeps them all).
    pub fn take_bins(&mut self) -> Vec<RateBin> {
        std::mem::take(&mut self.rates.bins)
    }

    /// Hash of every E and I spike so far (see [`SpikeHash`]).
    pub fn spike_hash(&self) -> u64 {
        self.hash.0
    }

    pub fn tracker(&self) -> &AssemblyTracker {
        &self.tracker
    }

    /// The recall read-out of the current (or last) recall phase.
    pub fn recorder(&self) -> Option<&RecallRecorder> {
        self.recorder.as_ref()
    }

    /// The responses to stimuli scored since the last call (with
    /// [`SessionOptions::follow_cues`]; empty without), oldest first, and the names of the
    /// assemblies each was scored with.
    pub fn take_cue_responses(&mut self) -> Vec<(CueResponse, Arc<Vec<Pattern>>)> {
        self.follower.take()
    }

    /// Scores the cue being recorded, if any (at the end of a run).
    pub fn finish_recall(&mut self) {
        if let Some(r) = self.recorder.as_mut() {
            r.finish();
        }
    }

    /// Samples of the assembly weight structure, oldest first.
    pub fn weight_samples(&self) -> &[WeightStructure] {
        &self.weights
    }

    /// The weight structure at the end of the init phase, once it has ended.
    pub fn end_of_init(&self) -> Option<&WeightStructure> {
        self.end_of_init.as_ref()
    }

    /// Every stimulus presentation so far.
    pub fn stimuli(&self) -> &[StimulusRecord] {
        &self.stimuli
    }

    /// The selectivity read-out over the configured window, if one was asked for.
    pub fn selectivity(&self) -> Option<Selectivity> {
        self.responses.as_ref().map(|r| r.selectivity(THRESHOLD_HZ))
    }

    /// The selectivity time course so far, the current window included.
    pub fn time_course(&self) -> Vec<Selectivity> {
        let Some(c) = &self.course else { return Vec::new() };
        let mut c = c.clone();
        c.finish();
        c.windows
    }

    /// Starts recording E neuron `neuron` every `every` steps from now (replacing any earlier
    /// recorder), or stops recording (None).
    pub fn set_probe(&mut self, probe: Option<(u32, u64)>) {
        self.probe = probe.map(|(neuron, every)| Probe::new(neuron, every));
    }

    /// The neuron being recorded, if any.
    pub fn probed(&self) -> Option<u32> {
        self.probe.as_ref().map(Probe::neuron)
    }

    /// Takes the samples of the inspected neuron recorded since the last call.
    pub fn take_probe_samples(&mut self) -> Vec<ProbeSample> {
        self.probe.as_mut().map(Probe::take).unwrap_or_default()
    }

    pub fn into_network(self) -> Network {
        self.net
    }
}

/// Model time per call of the progress callback of [`train_init`] [s].
pub const TRAIN_CHUNK_S: f64 = 1.0;

/// Runs phase 1 (the init phase) of `params` on a fresh network on `threads` compute threads,
/// as `engram run --phase init` does, and ends it (freezing the assemblies). After each
/// [`TRAIN_CHUNK_S`] of model time it calls `progress(done_s, total_s)` [model s]; returning
/// false stops training, and then the result is `None`.
pub fn train_init(
    params: crate::sim::Params,
    threads: usize,
    mut progress: impl FnMut(f64, f64) -> bool,
) -> crate::Result<Option<Session>> {
    let total_s = params.protocol.init.duration_s;
    let mut net = Network::new(params)?;
    net.set_threads(threads)?;
    // No weight samples on a grid: training only needs the state and the assemblies.
    let mut session = Session::new(net, SessionOptions { weight_every_s: 0.0, ..SessionOptions::default() });
    session.start_phase(Some(PhaseName::Init));
    let total = (total_s * STEPS_PER_SECOND as f64).round() as u64;
    let chunk = ((TRAIN_CHUNK_S * STEPS_PER_SECOND as f64).round() as u64).max(1);
    let mut done = 0;
    while done < total {
        let n = chunk.min(total - done);
        session.run(n, |_| {});
        done += n;
        if !progress(done as f64 / STEPS_PER_SECOND as f64, total_s) {
            return Ok(None);
        }
    }
    session.end_phase();
    Ok(Some(session))
}
