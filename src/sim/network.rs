//! The network: populations, projections, traces, and the step that advances them by dt.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use super::connectivity::Projection;
use super::decay::DecayTable;
use super::input::{Input, InputState};
use super::monitor::{FNV_OFFSET, fnv1a};
use super::neuron::{self, NeuronSlices, Neurons};
use super::params::{DT_MS, NeuronDerived, Params, PatternSet, PhaseName, Rule, STEPS_PER_SECOND, decay};
use super::pattern::Pattern;
use super::plasticity::{self, Consolidation, Stp, StpConst};
use super::pool::{Disjoint, Pool, SpinBarrier, split_even};
use super::rng::{Stream, StreamId};
use super::shapes;
use super::traces::{self, PostDecay, PostScale, PostTraces, PreTrace};
use crate::error::Result;

/// Spikes in flight: a ring of `delay + 1` slots, each holding the spikes emitted in one step
/// and the STP efficacy each carries (spec §3, §11).
#[derive(Clone, Debug)]
struct DelayLine {
    delay: usize,
    ids: Vec<Vec<u32>>,
    eff: Vec<Vec<f32>>,
}

impl DelayLine {
    fn new(delay: usize) -> Self {
        DelayLine { delay, ids: vec![Vec::new(); delay + 1], eff: vec![Vec::new(); delay + 1] }
    }

    fn slot(&self, t: u64) -> usize {
        (t % self.ids.len() as u64) as usize
    }

    /// Slot of the spikes emitted at `t − delay`, arriving at `t`.
    fn arriving(&self, t: u64) -> usize {
        self.slot(t + self.ids.len() as u64 - self.delay as u64)
    }
}

/// Per-step constants derived from [`Params`] (recomputed when parameters change).
#[derive(Clone, Debug)]
struct Derived {
    ne: NeuronDerived,
    ni: NeuronDerived,
    /// Powers of e^(−dt/τ₊) and e^(−dt/τ_pre,inh) for the presynaptic traces, and their
    /// folding periods (see [`PreTrace`]).
    plus_table: DecayTable,
    inh_pre_table: DecayTable,
    plus_span: u64,
    inh_pre_span: u64,
    /// Powers of the postsynaptic traces' factors (see [`PostTraces`]).
    post: PostDecay,
    decay_h: f64,
    /// 1/τ_H [1/s]: H increment per delivered E spike.
    h_increment: f64,
    /// 1/τ_hom [1/s]: converts the homeostatic trace h to a rate ν̄ = h/τ_hom [Hz].
    inv_tau_hom: f64,
    rule: Rule,
    kappa_hz: f64,
    /// Excitatory rule amplitudes with the mechanism switches applied (0 when off).
    a_ltp: f32,
    b_ltd: f32,
    delta: f32,
    beta: f32,
    w_max: f32,
    /// Excitatory weight changes on at all.
    exc_plastic: bool,
    consolidate: bool,
    cons: Consolidation,
    cons_every: u64,
    inh_plastic: bool,
    eta_i: f64,
    target_hz: f64,
    zeta: f32,
    w_max_i: f32,
    stp: bool,
}

impl Derived {
    fn new(p: &Params) -> Self {
        let pl = &p.plasticity;
        let m = &p.mechanisms;
        let on = |b: bool, v: f64| if m.plasticity && b { v as f32 } else { 0.0 };
        Derived {
            ne: NeuronDerived::new(&p.neuron_e),
            ni: NeuronDerived::new(&p.neuron_i),
            plus_table: DecayTable::new(decay(pl.tau_plus_ms)),
            inh_pre_table: DecayTable::new(decay(p.inhibitory.tau_pre_ms)),
            plus_span: traces::span(pl.tau_plus_ms),
            inh_pre_span: traces::span(p.inhibitory.tau_pre_ms),
            post: PostDecay::new(pl.tau_minus_ms, pl.tau_slow_ms, pl.tau_hom_s),
            decay_h: decay(p.inhibitory.tau_h_s * 1e3),
            h_increment: 1.0 / p.inhibitory.tau_h_s,
            inv_tau_hom: 1.0 / pl.tau_hom_s,
            rule: pl.rule,
            kappa_hz: pl.kappa_hz,
            a_ltp: on(m.stdp, pl.eta),
            b_ltd: on(m.stdp, pl.eta),
            delta: on(m.transmitter, pl.delta),
            beta: on(m.heterosynaptic, pl.beta),
            w_max: pl.w_max as f32,
            exc_plastic: m.plasticity,
            consolidate: m.plasticity && m.consolidation,
            cons: Consolidation {
                k: pl.cons_interval_s / pl.tau_cons_s,
                p: pl.cubic_p(),
                w_a: pl.w_a,
                w_b: pl.w_b(),
                w_p: pl.w_p,
            },
            cons_every: ((pl.cons_interval_s * STEPS_PER_SECOND as f64).round() as u64).max(1),
            inh_plastic: m.plasticity && m.inhibitory,
            eta_i: p.inhibitory.eta,
            target_hz: p.inhibitory.target_rate_hz,
            zeta: p.inhibitory.zeta as f32,
            w_max_i: p.inhibitory.w_max as f32,
            stp: m.stp,
        }
    }
}

/// Spike counts since construction, per population.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpikeCounts {
    pub e: u64,
    pub i: u64,
    pub input: u64,
}

/// The whole model state. Build with [`Network::new`], advance with [`Network::step`].
#[derive(Clone, Debug)]
pub struct Network {
    params: Params,
    d: Derived,
    /// Current step (the next [`Network::step`] computes step `t`); model time is t·dt.
    pub t: u64,
    pub e: Neurons,
    pub i: Neurons,
    pub input: Input,
    /// E→E (plastic, consolidating, STP).
    pub ee: Projection,
    /// E→I (static, STP).
    pub ei: Projection,
    /// I→I (static).
    pub ii: Projection,
    /// I→E (inhibitory plasticity).
    pub ie: Projection,
    /// Input→E (plastic, consolidating, STP).
    pub inp: Projection,
    /// STP state of E neurons, shared by E→E and E→I (identical dynamics, spec §4).
    pub stp_e: Stp,
    /// STP state of input units (Input→E).
    pub stp_in: Stp,
    delay_e: DelayLine,
    delay_i: DelayLine,
    delay_in: DelayLine,
    /// Presynaptic trace of E neurons x_j (τ₊), incremented by arriving spikes.
    pub x_e: PreTrace,
    /// Presynaptic trace of input units (τ₊), incremented by arriving spikes.
    pub x_in: PreTrace,
    /// Presynaptic trace of I neurons for the inhibitory rule, incremented by arriving spikes.
    pub x_i: PreTrace,
    /// Postsynaptic traces y (τ₋), z (τ_slow) and homeostatic h (τ_hom) of E neurons, scaled.
    pub post: PostTraces,
    /// Global E-rate estimate H of the inhibitory rule ≈ N_E × mean E rate [Hz].
    pub h_global: f64,
    /// Phase being run, and the step at which it started.
    pub phase: Option<(PhaseName, u64)>,
    pub counts: SpikeCounts,
    /// Modulation G of the inhibitory rule for the current step (set at emission).
    g_mod: f32,
    /// How the neurons are split among compute threads, and the thread pool.
    plan: Plan,
}

/// One compute thread's share of the network: contiguous ranges of E and I indices.
/// The partition owns its neurons' state, their post traces, and every synapse onto them
/// (the incoming slice of each projection), as Auryn's MPI ranks do. (Traces and STP need no
/// per-step pass: they change at spikes only.)
#[derive(Clone, Debug)]
struct Part {
    e: Range<usize>,
    i: Range<usize>,
    /// Spikes of this partition's E and I neurons in the current step (global indices).
    spikes_e: Vec<u32>,
    spikes_i: Vec<u32>,
}

/// The partition plan for a thread count: parts, row splits per projection, and the pool.
#[derive(Clone, Debug)]
struct Plan {
    parts: Vec<Part>,
    /// Row splits (see [`Projection::row_splits`]) of E→E, E→I, I→I, I→E, Input→E.
    splits: [Vec<u32>; 5],
    /// This step's E spikes with the postsynaptic factors they apply (filled at emission).
    post: Vec<PostSpike>,
    pool: Arc<Pool>,
}

/// A spiking E neuron and the factors of its postsynaptic update (spec §5.3), from its traces
/// at the end of the previous step: LTP A·z_i and heterosynaptic β·y_i³.
#[derive(Clone, Copy, Debug)]
struct PostSpike {
    i: u32,
    az: f32,
    het: f32,
}

impl Plan {
    fn new(threads: usize, ne: usize, ni: usize, proj: [&Projection; 5]) -> Result<Self> {
        let pool = Pool::new(threads).map_err(crate::Error::Invalid)?;
        let (pe, pi) = (split_even(ne, threads), split_even(ni, threads));
        let parts: Vec<Part> = (0..threads)
            .map(|k| Part { e: pe[k].clone(), i: pi[k].clone(), spikes_e: Vec::new(), spikes_i: Vec::new() })
            .collect();
        let starts_e: Vec<usize> = pe.iter().map(|r| r.start).collect();
        let starts_i: Vec<usize> = pi.iter().map(|r| r.start).collect();
        let [ee, ei, ii, ie, inp] = proj;
        let splits = [
            ee.row_splits(&starts_e),
            ei.row_splits(&starts_i),
            ii.row_splits(&starts_i),
            ie.row_splits(&starts_e),
            inp.row_splits(&starts_e),
        ];
        Ok(Plan { parts, splits, post: Vec::new(), pool: Arc::new(pool) })
    }
}

/// The spikes in flight in one delay line: per slot, the ids and the efficacy each carries.
/// Slot k holds the spikes emitted at a step t with t mod (delay + 1) = k.
#[derive(Clone, Debug, PartialEq)]
pub struct DelayState {
    pub ids: Vec<Vec<u32>>,
    pub eff: Vec<Vec<f32>>,
}

/// The complete evolving state of a [`Network`] as plain data, for snapshots: what
/// [`Network::state`] exports and [`Network::from_state`] restores bit for bit. The connectivity
/// itself is not included: it is rebuilt from the parameters' seed and checked against
/// `structure_hash`. Nor is the thread count, which does not change results.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkState {
    /// Parameters in force (they may differ from the ones the network was built with in the
    /// live-editable fields).
    pub params: Params,
    /// Current step.
    pub t: u64,
    pub phase: Option<(PhaseName, u64)>,
    pub counts: SpikeCounts,
    pub h_global: f64,
    /// [`Network::structure_hash`] of the network the state was taken from.
    pub structure_hash: u64,
    pub e: Neurons,
    pub i: Neurons,
    /// w of each projection, in [`PROJECTIONS`] order, synapse (row) order.
    pub w: [Vec<f32>; 5],
    /// w̃ of E→E and Input→E as stored (transposed order, see [`Projection::w_tilde`]).
    pub w_tilde: [Vec<f32>; 2],
    /// STP resources x and utilisation u of E neurons and of input units.
    pub stp_e: [Vec<f32>; 2],
    pub stp_in: [Vec<f32>; 2],
    /// Step of the last spike of each E neuron and each input unit, to which their x and u
    /// refer (see [`Stp`]).
    pub stp_t: [Vec<u64>; 2],
    /// Delay lines of E, I and input spikes.
    pub delay: [DelayState; 3],
    /// Presynaptic traces of E neurons, I neurons and input units, scaled (see [`PreTrace`]),
    /// and the reference steps of their scales.
    pub x: [Vec<f32>; 3],
    pub x_base: [u64; 3],
    /// Postsynaptic traces of E neurons, scaled (see [`PostTraces`]), and their scales' step.
    pub y: Vec<f32>,
    pub z: Vec<f32>,
    pub h: Vec<f64>,
    pub post_base: u64,
    pub input: InputState,
}

/// Indices of the projections, for streams and reporting.
pub const PROJECTIONS: [&str; 5] = ["ee", "ei", "ii", "ie", "input_e"];

impl Network {
    /// Builds a fresh network (spec §7): random projections and receptive fields from the
    /// seed, all neurons at rest, traces empty, STP at rest, w̃ = w_a.
    pub fn new(params: Params) -> Result<Self> {
        params.validate()?;
        let n = &params.network;
        let (ne, ni, nin) = (n.n_e, n.n_i, params.n_input());
        let stream = |k: u32| Stream::new(params.seed, StreamId::Connectivity(k));
        let p = n.p_conn;
        let mut ee = Projection::random(ne, ne, p, n.w_ee as f32, true, &mut stream(0));
        let ei = Projection::random(ne, ni, p, n.w_ei as f32, false, &mut stream(1));
        let ii = Projection::random(ni, ni, p, n.w_ii as f32, true, &mut stream(2));
        let mut ie = Projection::random(ni, ne, p, n.w_ie as f32, false, &mut stream(3));
        let mut inp =
            Projection::receptive_fields(n.input_side, ne, n.rf_radius, n.rf_wrap, n.xi as f32, &mut stream(4));
        let w_a = params.plasticity.w_a as f32;
        ee.make_plastic(true, w_a);
        inp.make_plastic(true, w_a);
        ie.make_plastic(false, 0.0);
        let stp_c = StpConst::new(params.stp.u, params.stp.tau_d_s, params.stp.tau_f_s);
        let d = Derived::new(&params);
        let delay = n.delay_steps;
        let h0 = params.plasticity.nu_bar_init_hz * params.plasticity.tau_hom_s;
        let h_global = params.inhibitory.target_rate_hz * ne as f64;
        Ok(Network {
            t: 0,
            e: Neurons::new(ne, params.neuron_e.e_leak_mv as f32),
            i: Neurons::new(ni, params.neuron_i.e_leak_mv as f32),
            input: Input::new(nin, params.input.background_hz, params.seed),
            stp_e: Stp::new(ne, stp_c),
            stp_in: Stp::new(nin, stp_c),
            delay_e: DelayLine::new(delay),
            delay_i: DelayLine::new(delay),
            delay_in: DelayLine::new(delay),
            x_e: PreTrace::new(ne),
            x_in: PreTrace::new(nin),
            x_i: PreTrace::new(ni),
            post: PostTraces::new(ne, h0),
            h_global,
            phase: None,
            counts: SpikeCounts::default(),
            g_mod: 0.0,
            plan: Plan::new(1, ne, ni, [&ee, &ei, &ii, &ie, &inp])?,
            ee,
            ei,
            ii,
            ie,
            inp,
            d,
            params,
        })
    }

    /// 64-bit FNV-1a hash of the connectivity: sizes, row pointers and targets of every
    /// projection (the transposed indices follow from these).
    pub fn structure_hash(&self) -> u64 {
        let mut h = FNV_OFFSET;
        for p in [&self.ee, &self.ei, &self.ii, &self.ie, &self.inp] {
            h = fnv1a(h, &(p.n_pre as u64).to_le_bytes());
            h = fnv1a(h, &(p.n_post as u64).to_le_bytes());
            for &r in &p.row_ptr {
                h = fnv1a(h, &r.to_le_bytes());
            }
            for &i in &p.post {
                h = fnv1a(h, &i.to_le_bytes());
            }
        }
        h
    }

    /// The complete evolving state, copied out (see [`NetworkState`]).
    pub fn state(&self) -> NetworkState {
        let delay = |l: &DelayLine| DelayState { ids: l.ids.clone(), eff: l.eff.clone() };
        NetworkState {
            params: self.params.clone(),
            t: self.t,
            phase: self.phase,
            counts: self.counts,
            h_global: self.h_global,
            structure_hash: self.structure_hash(),
            e: self.e.clone(),
            i: self.i.clone(),
            w: [&self.ee, &self.ei, &self.ii, &self.ie, &self.inp].map(|p| p.w.clone()),
            w_tilde: [self.ee.w_tilde.clone(), self.inp.w_tilde.clone()],
            stp_e: [self.stp_e.x.clone(), self.stp_e.u.clone()],
            stp_in: [self.stp_in.x.clone(), self.stp_in.u.clone()],
            stp_t: [self.stp_e.t.clone(), self.stp_in.t.clone()],
            delay: [delay(&self.delay_e), delay(&self.delay_i), delay(&self.delay_in)],
            x: [self.x_e.x.clone(), self.x_i.x.clone(), self.x_in.x.clone()],
            x_base: [self.x_e.base, self.x_i.base, self.x_in.base],
            y: self.post.y.clone(),
            z: self.post.z.clone(),
            h: self.post.h.clone(),
            post_base: self.post.base,
            input: self.input.state(),
        }
    }

    /// Rebuilds a network from a [`NetworkState`]: builds the connectivity from its parameters,
    /// checks it against the state's structure hash and every array's length and index range,
    /// then moves the state in. Runs on one thread (see [`Network::set_threads`]); continuing it
    /// gives the same spikes as continuing the network the state was taken from.
    pub fn from_state(s: NetworkState) -> Result<Self> {
        let bad = |msg: String| crate::Error::Invalid(msg);
        let mut net = Network::new(s.params)?;
        let found = net.structure_hash();
        if found != s.structure_hash {
            return Err(bad(format!(
                "connectivity differs: structure hash {:016x} of the saved network, {found:016x} built from its \
                 parameters",
                s.structure_hash
            )));
        }
        let (ne, ni, nin) = (net.e.len(), net.i.len(), net.input.len());
        let len = |name: &str, got: usize, want: usize| {
            if got == want { Ok(()) } else { Err(bad(format!("{name}: {got} values, the network has {want}"))) }
        };
        let in_range = |name: &str, ids: &[u32], n: usize| match ids.iter().find(|&&k| k as usize >= n) {
            Some(k) => Err(bad(format!("{name}: index {k} out of range (population of {n})"))),
            None => Ok(()),
        };
        for (pop, st, n) in [("e", &s.e, ne), ("i", &s.i, ni)] {
            for (var, v) in st.variables() {
                len(&format!("{pop}.{var}"), v.len(), n)?;
            }
            in_range(&format!("{pop}.spikes"), &st.spikes, n)?;
        }
        for (k, (name, p)) in PROJECTIONS.iter().zip([&net.ee, &net.ei, &net.ii, &net.ie, &net.inp]).enumerate() {
            len(&format!("{name}.w"), s.w[k].len(), p.w.len())?;
        }
        len("ee.w_tilde", s.w_tilde[0].len(), net.ee.w_tilde.len())?;
        len("input_e.w_tilde", s.w_tilde[1].len(), net.inp.w_tilde.len())?;
        for (name, v, n) in [
            ("stp_e.x", &s.stp_e[0], ne),
            ("stp_e.u", &s.stp_e[1], ne),
            ("stp_in.x", &s.stp_in[0], nin),
            ("stp_in.u", &s.stp_in[1], nin),
            ("x_e", &s.x[0], ne),
            ("x_i", &s.x[1], ni),
            ("x_in", &s.x[2], nin),
            ("y", &s.y, ne),
            ("z", &s.z, ne),
        ] {
            len(name, v.len(), n)?;
        }
        len("h", s.h.len(), ne)?;
        let d = &net.d;
        for (b, span) in
            s.x_base.iter().zip([d.plus_span, d.inh_pre_span, d.plus_span]).chain([(&s.post_base, d.post.span)])
        {
            // A running network folds its scales every `span` steps.
            if *b > s.t || s.t - b > span {
                return Err(bad(format!(
                    "trace scale step {b}: expected at most {span} steps before the state's step {}",
                    s.t
                )));
            }
        }
        for (name, t, n) in [("stp_e.t", &s.stp_t[0], ne), ("stp_in.t", &s.stp_t[1], nin)] {
            len(name, t.len(), n)?;
            if let Some(k) = t.iter().find(|&&k| k > s.t) {
                return Err(bad(format!("{name}: last spike at step {k}, after the state's step {}", s.t)));
            }
        }
        for (name, d, n) in [("delay_e", &s.delay[0], ne), ("delay_i", &s.delay[1], ni), ("delay_in", &s.delay[2], nin)]
        {
            let slots = net.delay_e.ids.len();
            len(&format!("{name} slots"), d.ids.len(), slots)?;
            len(&format!("{name} efficacy slots"), d.eff.len(), slots)?;
            for (k, (ids, eff)) in d.ids.iter().zip(&d.eff).enumerate() {
                len(&format!("{name} slot {k} efficacies"), eff.len(), ids.len())?;
                in_range(&format!("{name} slot {k}"), ids, n)?;
            }
        }
        net.input.set_state(s.input).map_err(bad)?;
        net.t = s.t;
        net.phase = s.phase;
        net.counts = s.counts;
        net.h_global = s.h_global;
        net.e = s.e;
        net.i = s.i;
        let [w_ee, w_ei, w_ii, w_ie, w_inp] = s.w;
        (net.ee.w, net.ei.w, net.ii.w, net.ie.w, net.inp.w) = (w_ee, w_ei, w_ii, w_ie, w_inp);
        [net.ee.w_tilde, net.inp.w_tilde] = s.w_tilde;
        [net.stp_e.x, net.stp_e.u] = s.stp_e;
        [net.stp_in.x, net.stp_in.u] = s.stp_in;
        [net.stp_e.t, net.stp_in.t] = s.stp_t;
        for (line, d) in [&mut net.delay_e, &mut net.delay_i, &mut net.delay_in].into_iter().zip(s.delay) {
            (line.ids, line.eff) = (d.ids, d.eff);
        }
        let [x_e, x_i, x_in] = s.x;
        for ((tr, x), base) in
            [(&mut net.x_e, x_e), (&mut net.x_i, x_i), (&mut net.x_in, x_in)].into_iter().zip(s.x_base)
        {
            (tr.x, tr.base) = (x, base);
        }
        net.post = PostTraces { y: s.y, z: s.z, h: s.h, base: s.post_base };
        Ok(net)
    }

    /// Number of compute threads [`Network::run`] uses.
    pub fn threads(&self) -> usize {
        self.plan.parts.len()
    }

    /// Splits the network among `threads` compute threads (≥ 1). Results do not depend on the
    /// thread count: every sum over synapses runs in the same order for any partition (a
    /// target's inputs arrive in spike-list order), every synapse is updated by one thread,
    /// and every random number is drawn outside the partitions.
    pub fn set_threads(&mut self, threads: usize) -> Result<()> {
        if threads == 0 || threads > 64 {
            return Err(crate::Error::Invalid(format!("threads = {threads}: expected 1 to 64")));
        }
        let (ne, ni) = (self.e.len(), self.i.len());
        self.plan = Plan::new(threads, ne, ni, [&self.ee, &self.ei, &self.ii, &self.ie, &self.inp])?;
        Ok(())
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Replaces the parameters that can change on a running network (rates, plasticity
    /// constants, mechanism switches, time constants); sizes and connectivity are fixed at build.
    pub fn set_params(&mut self, params: Params) -> Result<()> {
        params.validate()?;
        if params.network != self.params.network || params.seed != self.params.seed {
            return Err(crate::Error::Invalid(
                "network size, connectivity and seed can only change by rebuilding the network".into(),
            ));
        }
        let c = StpConst::new(params.stp.u, params.stp.tau_d_s, params.stp.tau_f_s);
        // While STP is off the resources stay as they were (nothing relaxes them): frozen at
        // the switch-off, current again from the switch-on. Constants change from now on.
        let (t, was, now) = (self.t, self.params.mechanisms.stp, params.mechanisms.stp);
        for stp in [&mut self.stp_e, &mut self.stp_in] {
            if !was {
                stp.t.fill(t);
            } else if !now {
                stp.rebase(t);
            }
            stp.set_const(c, t);
        }
        // A changed time constant applies from now on: fold the scale under the old one first
        // (only then, so that applying unchanged parameters changes nothing).
        let (old, new) = (&self.d, Derived::new(&params));
        for (x, table, changed) in [
            (&mut self.x_e, &old.plus_table, new.plus_table != old.plus_table),
            (&mut self.x_i, &old.inh_pre_table, new.inh_pre_table != old.inh_pre_table),
            (&mut self.x_in, &old.plus_table, new.plus_table != old.plus_table),
        ] {
            if changed {
                x.rebase(t, table);
            }
        }
        if new.post != old.post {
            self.post.rebase(t, &old.post);
        }
        self.d = new;
        let stim = self.phase.map_or(self.input.stimulus_hz(), |(ph, _)| params.protocol.phase(ph).stimulus_hz);
        if params.input.background_hz != self.input.background_hz() || stim != self.input.stimulus_hz() {
            self.input.set_rates(params.input.background_hz, stim);
        }
        self.params = params;
        Ok(())
    }

    /// Model time [s].
    pub fn time_s(&self) -> f64 {
        self.t as f64 * DT_MS * 1e-3
    }

    /// Mean rate estimate ν̄_i of E neuron i from the homeostatic trace [Hz].
    pub fn nu_bar(&self, i: usize) -> f64 {
        self.post.read(i, self.t, &self.d.post).2 * self.d.inv_tau_hom
    }

    /// Current modulation G of the inhibitory rule.
    pub fn inh_modulation(&self) -> f64 {
        plasticity::inh_modulation(self.d.eta_i, self.h_global, self.d.target_hz, self.e.len())
    }

    /// The patterns of a pattern set.
    pub fn patterns_of(set: &PatternSet) -> Vec<Pattern> {
        match set {
            PatternSet::Shapes => shapes::shapes(),
            PatternSet::Cues => shapes::cues(),
            PatternSet::None => Vec::new(),
        }
    }

    /// Starts a protocol phase now: its pattern set and schedule replace the current ones; all
    /// network state carries over (spec §9 netstate, §10).
    pub fn start_phase(&mut self, name: PhaseName) {
        let phase = self.params.protocol.phase(name).clone();
        let patterns = Self::patterns_of(&phase.patterns);
        self.input.start_phase(&phase, patterns, self.t);
        self.phase = Some((name, self.t));
    }

    /// Stops the stimulus schedule: background input only, stimuli only when presented (at
    /// the current stimulus rate). State carries over.
    pub fn start_free(&mut self) {
        self.input.stop_schedule();
        self.phase = None;
    }

    /// Advances the network by one step of dt (see [`Network::run`] for the duty cycle).
    pub fn step(&mut self) {
        self.run(1, |_| {});
    }

    /// Runs `steps` steps on [`Network::threads`] threads, calling `observe` after each (on one
    /// thread, with the others waiting). One step is the duty cycle of spec §11:
    ///
    /// 1. **Neurons evolve** — E, then I (conductance decay, NMDA filter, θ decay, Euler step of
    ///    V, clip, threshold test → S_t), then the input layer draws its Poisson spikes and
    ///    handles a due stimulus on/off transition (effective from the next step).
    /// 2. **Emission** — each spike of S_t takes its STP efficacy (E: shared x,u of E→E/E→I;
    ///    input: its own) and enters the delay line.
    /// 3. **Propagation**, per projection in the order E→E, E→I, I→I, I→E, Input→E:
    ///    spikes emitted at t − delay arrive: the target conductance gets w·e, then the
    ///    presynaptic plasticity update runs (§5.2, §6); then for the projection's targets in
    ///    S_t the postsynaptic update runs (§5.3, §6). All updates read the traces as they
    ///    were at the end of step t − 1.
    /// 4. **Traces and slow state** — presynaptic traces += arrivals, postsynaptic traces += S_t,
    ///    then all decay (in closed form: see [`PreTrace`], [`PostTraces`]); STP relaxation (in
    ///    closed form, applied at a unit's next spike: see [`Stp`]); consolidation when
    ///    t mod 12 000 = 0; global estimate H += delivered E spikes/τ_H.
    /// 5. t ← t + 1.
    ///
    /// So a pre and a post spike in the same step do not pair, and a spike emitted at t moves
    /// the membrane from step t + delay + 1.
    ///
    /// With P threads, each partition (see [`Part`]) does 1 for its neurons, then after a
    /// barrier one thread does the rest of 1 (input) and 2; after a second barrier every
    /// partition does 3's arrivals onto its neurons; after a third, an equal share of 3's
    /// postsynaptic updates (see [`Network::part_post`]), 4 for its own neurons, then 1 of the
    /// next step; one thread finishes 4–5, observes and does 2, and so on: three barriers per
    /// step. Within a phase each thread writes only indices no other touches, so there are no
    /// write races and no sum depends on P.
    pub fn run(&mut self, steps: u64, observe: impl FnMut(&Network) + Send) {
        if steps == 0 {
            return;
        }
        let pool = self.plan.pool.clone();
        let observe = Mutex::new(observe);
        let net_ptr = NetPtr(self);
        // SAFETY: `self` is exclusively borrowed for the whole run; nothing is resized while
        // the pointers live (spike lists and delay slots, which are, are touched only by the
        // serial thread).
        let w = unsafe { Writable::new(&mut *net_ptr.0) };
        pool.run(|k, barrier: &SpinBarrier| {
            let np = &net_ptr;
            // SAFETY (whole closure): partition k writes only its own indices through `w`
            // and reads through `&*np.0` only what no thread writes in the same phase;
            // `&mut *np.0` is taken by thread 0 alone, between two barriers.
            unsafe { (*np.0).part_evolve(&w, k) };
            barrier.wait();
            if k == 0 {
                unsafe { (*np.0).emit(&w) };
            }
            barrier.wait();
            for n in 0..steps {
                let net = unsafe { &*np.0 };
                unsafe { net.part_arrivals(&w, k) };
                barrier.wait();
                unsafe { net.part_post(&w, k) };
                if net.d.consolidate && net.t.is_multiple_of(net.d.cons_every) {
                    barrier.wait();
                    unsafe { net.part_consolidate(&w, k) };
                }
                unsafe { net.part_traces(&w, k) };
                if n + 1 < steps {
                    unsafe { net.part_evolve(&w, k) };
                    unsafe { net.part_prefetch(&w, k, net.t + 1) };
                }
                barrier.wait();
                if k == 0 {
                    let net = unsafe { &mut *np.0 };
                    net.finish_step();
                    let mut f = observe.lock().unwrap_or_else(|e| e.into_inner());
                    (*f)(net);
                    if n + 1 < steps {
                        unsafe { net.emit(&w) };
                    }
                }
                barrier.wait();
            }
        });
    }

    /// Step part 1 for partition k: its E and I neurons evolve; spikes go to its lists.
    unsafe fn part_evolve(&self, w: &Writable, k: usize) {
        // SAFETY: partition k's neuron ranges and spike lists are its own.
        let part = unsafe { w.parts.at(k) };
        let d = &self.d;
        part.spikes_e.clear();
        part.spikes_i.clear();
        unsafe {
            neuron::evolve(w.e.range(part.e.clone()), part.e.start as u32, &d.ne, &mut part.spikes_e);
            neuron::evolve(w.i.range(part.i.clone()), part.i.start as u32, &d.ni, &mut part.spikes_i);
        }
    }

    /// Step parts 1 (input) and 2, on one thread: gathers the partitions' spikes, draws the
    /// input, and sends every spike into its delay line with its STP efficacy.
    unsafe fn emit(&mut self, w: &Writable) {
        let t = self.t;
        self.e.spikes.clear();
        self.i.spikes.clear();
        for k in 0..self.plan.parts.len() {
            // SAFETY: single-threaded phase.
            let part = unsafe { w.parts.at(k) };
            self.e.spikes.extend_from_slice(&part.spikes_e);
            self.i.spikes.extend_from_slice(&part.spikes_i);
        }
        self.input.generate();
        self.input.advance_schedule(t);
        let stp_on = self.d.stp;
        for (line, spikes, stp) in [
            (&mut self.delay_e, &self.e.spikes, Some(&mut self.stp_e)),
            (&mut self.delay_i, &self.i.spikes, None),
            (&mut self.delay_in, &self.input.spikes, Some(&mut self.stp_in)),
        ] {
            let slot = line.slot(t);
            line.ids[slot].clear();
            line.ids[slot].extend_from_slice(spikes);
            let eff = &mut line.eff[slot];
            eff.clear();
            match stp {
                Some(stp) if stp_on => eff.extend(spikes.iter().map(|&j| stp.fire(j as usize, t))),
                _ => eff.resize(spikes.len(), 1.0),
            }
        }
        let d = &self.d;
        self.plan.post.clear();
        let c = self.post.scale(t, &d.post);
        self.plan.post.extend(self.e.spikes.iter().map(|&i| {
            let (y, z) = (self.post.y[i as usize] * c.y, self.post.z[i as usize] * c.z);
            PostSpike { i, az: d.a_ltp * z, het: d.beta * y * y * y }
        }));
        self.counts.e += self.e.spikes.len() as u64;
        self.counts.i += self.i.spikes.len() as u64;
        self.counts.input += self.input.spikes.len() as u64;
        let d = &self.d;
        self.g_mod = plasticity::inh_modulation(d.eta_i, self.h_global, d.target_hz, self.e.len()) as f32;
    }

    /// Step part 3a for partition k: every arriving spike's effect on the synapses onto its
    /// neurons — conductance jumps and presynaptic updates — for all projections.
    ///
    /// # Safety
    /// Called inside [`Network::run`] with `k`'s exclusive share as described there.
    unsafe fn part_arrivals(&self, w: &Writable, k: usize) {
        let (t, d) = (self.t, &self.d);
        // SAFETY (whole body): partition k's own record, neurons and synapses.
        let part: &Part = unsafe { w.parts.at(k) };
        let (sp, pp) = (&self.plan.splits, self.plan.parts.len() + 1);
        let (arr_e, arr_i, arr_in) = (self.delay_e.arriving(t), self.delay_i.arriving(t), self.delay_in.arriving(t));
        let (ids_e, eff_e) = (&self.delay_e.ids[arr_e], &self.delay_e.eff[arr_e]);
        let ids_i = &self.delay_i.ids[arr_i];
        let (ids_in, eff_in) = (&self.delay_in.ids[arr_in], &self.delay_in.eff[arr_in]);
        unsafe {
            let (re, e0) = (part.e.clone(), part.e.start);
            let (y, h) = (w.y.range(re.clone()), w.h.range(re.clone()));
            let c = self.post.scale(t, &d.post);
            let ltd = Ltd::new(y, h, c, d);
            exc_arrivals(&self.ee, w.ee_w, &sp[0], pp, k, ids_e, eff_e, w.e.g_ampa, &ltd, e0, d);
            static_arrivals(&self.ei, &sp[1], pp, k, ids_e, Some(eff_e), w.i.g_ampa);
            static_arrivals(&self.ii, &sp[2], pp, k, ids_i, None, w.i.g_gaba);
            // I→E: conductance, then the presynaptic inhibitory update (spec §6).
            let (g, ie) = (self.g_mod, &self.ie);
            for &j in ids_i {
                let base = j as usize * pp;
                for s in sp[3][base + k] as usize..sp[3][base + k + 1] as usize {
                    let post = ie.post[s] as usize;
                    let wi = w.ie_w.at(s);
                    *w.e.g_gaba.at(post) += *wi;
                    if d.inh_plastic {
                        *wi = plasticity::inh_pre(*wi, g, y[post - e0] * c.y, d.zeta);
                    }
                }
            }
            exc_arrivals(&self.inp, w.inp_w, &sp[4], pp, k, ids_in, eff_in, w.e.g_ampa, &ltd, e0, d);
        }
    }

    /// Prefetches partition k's slices of the rows (weights and targets) that arrive at step
    /// t, a phase before [`Network::part_arrivals`] walks them: a row is last touched at its
    /// neuron's previous spike, so without this each starts with cache misses in the phase.
    ///
    /// # Safety
    /// Called inside [`Network::run`]; t's spikes are in the delay lines (delay ≥ 1).
    unsafe fn part_prefetch(&self, w: &Writable, k: usize, t: u64) {
        let (sp, pp) = (&self.plan.splits, self.plan.parts.len() + 1);
        let rows = |proj: &Projection, pw: Disjoint<f32>, split: &[u32], line: &DelayLine| {
            for &j in &line.ids[line.arriving(t)] {
                let base = j as usize * pp;
                let r = split[base + k] as usize..split[base + k + 1] as usize;
                // Weights through the pointer (other threads write weights in this phase);
                // 16 f32 or 32 u16 per cache line.
                for s in r.clone().step_by(16) {
                    pw.prefetch(s);
                }
                prefetch_lines(&proj.post[r]);
            }
        };
        rows(&self.ee, w.ee_w, &sp[0], &self.delay_e);
        rows(&self.ei, w.ei_w, &sp[1], &self.delay_e);
        rows(&self.ii, w.ii_w, &sp[2], &self.delay_i);
        rows(&self.ie, w.ie_w, &sp[3], &self.delay_i);
        rows(&self.inp, w.inp_w, &sp[4], &self.delay_in);
    }

    /// Step part 3b, share k: the postsynaptic updates of this step's E spikes on E→E, Input→E
    /// and I→E. The spikes' incoming synapses are cut into equal shares per thread whoever owns
    /// the neurons (each synapse has one update, so the cut does not change results): a step
    /// with more spikes in one partition then costs no thread more than the others.
    ///
    /// # Safety
    /// Called inside [`Network::run`] after every partition's arrivals (a barrier between).
    unsafe fn part_post(&self, w: &Writable, k: usize) {
        let (d, post, p, t) = (&self.d, &self.plan.post, self.plan.parts.len(), self.t);
        // SAFETY (whole body): the column shares of different k are disjoint; the presynaptic traces
        // are read-only in this phase.
        unsafe {
            if d.exc_plastic {
                let x_e = (&self.x_e.x[..], self.x_e.scale(t, &d.plus_table));
                for_column_share(&self.ee.col_ptr, post, k, p, |s, cols| {
                    exc_post(&self.ee, w.ee_w, w.ee_wt, s, cols, x_e, d)
                });
                let x_in = (&self.x_in.x[..], self.x_in.scale(t, &d.plus_table));
                for_column_share(&self.inp.col_ptr, post, k, p, |s, cols| {
                    exc_post(&self.inp, w.inp_w, w.inp_wt, s, cols, x_in, d)
                });
            }
            if d.inh_plastic {
                let (ie, g, x_i) = (&self.ie, self.g_mod, &self.x_i.x[..]);
                let scale = self.x_i.scale(t, &d.inh_pre_table);
                for_column_share(&ie.col_ptr, post, k, p, |_, cols| {
                    let pre = &ie.col_pre[cols.clone()];
                    for_each_gathered(w.ie_w, &ie.col_syn[cols], |n, wi| {
                        *wi = plasticity::inh_post(*wi, g, x_i[pre[n] as usize] * scale, d.w_max_i);
                    })
                });
            }
        }
    }

    /// Step part 4 (consolidation, when due) for partition k: w̃ of the synapses onto its
    /// neurons, from their w after this step's plastic updates.
    ///
    /// # Safety
    /// Called inside [`Network::run`] after every share's postsynaptic updates.
    unsafe fn part_consolidate(&self, w: &Writable, k: usize) {
        let d = &self.d;
        // SAFETY: partition k's columns, read and written by no other thread in this phase.
        unsafe {
            let re = w.parts.at(k).e.clone();
            for (proj, pw, pwt) in [(&self.ee, w.ee_w, w.ee_wt), (&self.inp, w.inp_w, w.inp_wt)] {
                let cols = proj.col_ptr[re.start] as usize..proj.col_ptr[re.end] as usize;
                let wt = pwt.range_mut(cols.clone());
                for (c, wt) in cols.zip(wt) {
                    *wt = d.cons.step(*pw.at(proj.col_syn[c] as usize), *wt);
                }
            }
        }
    }

    /// Step part 4 for partition k: its E neurons' spikes of this step enter their post traces
    /// (see [`PostTraces`]; the presynaptic traces take their arrivals in
    /// [`Network::finish_step`], STP relaxes at the next spike).
    ///
    /// # Safety
    /// Called inside [`Network::run`] with `k`'s exclusive share as described there.
    unsafe fn part_traces(&self, w: &Writable, k: usize) {
        // SAFETY (whole body): partition k's own ranges.
        unsafe {
            let part: &Part = w.parts.at(k);
            let re = part.e.clone();
            let yzh = (w.y.range_mut(re.clone()), w.z.range_mut(re.clone()), w.h.range_mut(re.clone()));
            PostTraces::spikes(yzh, re, &part.spikes_e, self.post.base, self.t, &self.d.post);
        }
    }

    /// Step parts 4 (global estimate) and 5, on one thread.
    fn finish_step(&mut self) {
        let d = &self.d;
        // n_t of spec §6: E spikes delivered in this step.
        let t = self.t;
        let delivered_e = self.delay_e.ids[self.delay_e.arriving(t)].len();
        self.h_global = self.h_global * d.decay_h + delivered_e as f64 * d.h_increment;
        // Presynaptic traces: this step's arrivals, now that every read of step t is done
        // (serial, so no partition reads a trace while it changes).
        for (x, line, table, span) in [
            (&mut self.x_e, &self.delay_e, &d.plus_table, d.plus_span),
            (&mut self.x_i, &self.delay_i, &d.inh_pre_table, d.inh_pre_span),
            (&mut self.x_in, &self.delay_in, &d.plus_table, d.plus_span),
        ] {
            x.arrive(&line.ids[line.arriving(t)], t, table);
            if t + 1 - x.base >= span {
                x.rebase(t + 1, table);
            }
        }
        self.post.rebased(t, &d.post);
        self.t += 1;
    }
}

/// The network, shared by the pool's threads for one [`Network::run`].
struct NetPtr(*mut Network);
// SAFETY: see `Network::run`: phases separated by barriers make every access exclusive.
unsafe impl Sync for NetPtr {}
unsafe impl Send for NetPtr {}

/// Pointers to everything the partitions write during a run (see [`Disjoint`]).
struct Writable {
    e: NeuronPtrs,
    i: NeuronPtrs,
    ee_w: Disjoint<f32>,
    ee_wt: Disjoint<f32>,
    /// Static weights: only prefetched through these.
    ei_w: Disjoint<f32>,
    ii_w: Disjoint<f32>,
    inp_w: Disjoint<f32>,
    inp_wt: Disjoint<f32>,
    ie_w: Disjoint<f32>,
    y: Disjoint<f32>,
    z: Disjoint<f32>,
    h: Disjoint<f64>,
    parts: Disjoint<Part>,
}

impl Writable {
    /// # Safety
    /// The pointers must not outlive `net`'s borrow, and `net`'s vectors must not be resized
    /// while they are used.
    unsafe fn new(net: &mut Network) -> Self {
        Writable {
            e: NeuronPtrs::new(&mut net.e),
            i: NeuronPtrs::new(&mut net.i),
            ee_w: Disjoint::new(&mut net.ee.w),
            ee_wt: Disjoint::new(&mut net.ee.w_tilde),
            ei_w: Disjoint::new(&mut net.ei.w),
            ii_w: Disjoint::new(&mut net.ii.w),
            inp_w: Disjoint::new(&mut net.inp.w),
            inp_wt: Disjoint::new(&mut net.inp.w_tilde),
            ie_w: Disjoint::new(&mut net.ie.w),
            y: Disjoint::new(&mut net.post.y),
            z: Disjoint::new(&mut net.post.z),
            h: Disjoint::new(&mut net.post.h),
            parts: Disjoint::new(&mut net.plan.parts),
        }
    }
}

/// [`Disjoint`] pointers to the state vectors of one population.
struct NeuronPtrs {
    v: Disjoint<f32>,
    g_ampa: Disjoint<f32>,
    g_nmda: Disjoint<f32>,
    g_gaba: Disjoint<f32>,
    g_a1: Disjoint<f32>,
    g_a2: Disjoint<f32>,
    theta: Disjoint<f32>,
}

impl NeuronPtrs {
    fn new(n: &mut Neurons) -> Self {
        NeuronPtrs {
            v: Disjoint::new(&mut n.v),
            g_ampa: Disjoint::new(&mut n.g_ampa),
            g_nmda: Disjoint::new(&mut n.g_nmda),
            g_gaba: Disjoint::new(&mut n.g_gaba),
            g_a1: Disjoint::new(&mut n.g_a1),
            g_a2: Disjoint::new(&mut n.g_a2),
            theta: Disjoint::new(&mut n.theta),
        }
    }

    /// # Safety
    /// No other thread accesses neurons `r` meanwhile.
    unsafe fn range(&self, r: Range<usize>) -> NeuronSlices<'_> {
        // SAFETY: by the caller's contract.
        unsafe {
            NeuronSlices {
                v: self.v.range_mut(r.clone()),
                g_ampa: self.g_ampa.range_mut(r.clone()),
                g_nmda: self.g_nmda.range_mut(r.clone()),
                g_gaba: self.g_gaba.range_mut(r.clone()),
                g_a1: self.g_a1.range_mut(r.clone()),
                g_a2: self.g_a2.range_mut(r.clone()),
                theta: self.theta.range_mut(r),
            }
        }
    }
}

/// The LTD amplitudes of spec §5.2 as one step reads them, from a partition's scaled post
/// traces: b·y_i for P10, b·y_i·(ν̄_i/κ)² with ν̄_i = h_i/τ_hom for P11. Computed per synapse
/// visit (a few multiplications) instead of per neuron and step.
struct Ltd<'a> {
    y: &'a [f32],
    h: &'a [f64],
    /// b times y's scale.
    by: f32,
    /// h's scale over τ_hom·κ (P11 only).
    h_to_ratio: f64,
    p11: bool,
}

impl<'a> Ltd<'a> {
    fn new(y: &'a [f32], h: &'a [f64], c: PostScale, d: &Derived) -> Self {
        let h_to_ratio = c.h * (d.inv_tau_hom / d.kappa_hz);
        Ltd { y, h, by: d.b_ltd * c.y, h_to_ratio, p11: d.rule == Rule::P11 }
    }

    /// The amplitude for neuron `i` of the partition (local index).
    #[inline(always)]
    fn at(&self, i: usize) -> f32 {
        let l = self.by * self.y[i];
        if !self.p11 {
            return l;
        }
        let r = (self.h[i] * self.h_to_ratio) as f32;
        l * r * r
    }
}

/// Arrivals onto partition k on an excitatory plastic projection: conductance jump w·e, then
/// the presynaptic update w ← max(0, w − ltd_i + δ) (spec §5.2).
///
/// # Safety
/// Partition k's synapses and targets are accessed by no other thread meanwhile.
#[expect(clippy::too_many_arguments, reason = "one projection's slice of one step, spelled out")]
unsafe fn exc_arrivals(
    proj: &Projection,
    w: Disjoint<f32>,
    splits: &[u32],
    pp: usize,
    k: usize,
    ids: &[u32],
    eff: &[f32],
    g_ampa: Disjoint<f32>,
    ltd: &Ltd,
    e0: usize,
    d: &Derived,
) {
    for (&j, &e) in ids.iter().zip(eff) {
        let base = j as usize * pp;
        let r = splits[base + k] as usize..splits[base + k + 1] as usize;
        if r.is_empty() {
            continue;
        }
        // SAFETY: row j's share of partition k, and targets in partition k.
        let (post, w) = (&proj.post[r.clone()], unsafe { w.range_mut(r) });
        if d.exc_plastic {
            for (w, &i) in w.iter_mut().zip(post) {
                let i = i as usize;
                unsafe { *g_ampa.at(i) += *w * e };
                *w = plasticity::exc_pre(*w, ltd.at(i - e0), d.delta);
            }
        } else {
            for (w, &i) in w.iter().zip(post) {
                unsafe { *g_ampa.at(i as usize) += *w * e };
            }
        }
    }
}

/// How many synapses ahead the postsynaptic update prefetches its weights.
const PREFETCH_AHEAD: usize = 16;

/// Calls `f(spike, cols)` for share `k` of `p` of the spiking neurons' incoming synapses: their
/// columns (ranges of `col_ptr`), concatenated in spike order, cut into `p` nearly equal
/// pieces, so a column may be split between two shares.
fn for_column_share(
    col_ptr: &[u32],
    spikes: &[PostSpike],
    k: usize,
    p: usize,
    mut f: impl FnMut(&PostSpike, Range<usize>),
) {
    let col = |s: &PostSpike| col_ptr[s.i as usize] as usize..col_ptr[s.i as usize + 1] as usize;
    let (lo, hi) = if p == 1 {
        (0, usize::MAX)
    } else {
        let total: usize = spikes.iter().map(|s| col(s).len()).sum();
        (total * k / p, total * (k + 1) / p)
    };
    let mut off = 0;
    for s in spikes {
        let c = col(s);
        let (a, b) = (lo.max(off), hi.min(off + c.len()));
        if a < b {
            f(s, c.start + (a - off)..c.start + (b - off));
        }
        off += c.len();
        if off >= hi {
            break;
        }
    }
}

/// The postsynaptic update (spec §5.3) of a spiking neuron on the synapses `cols` of its
/// column of an excitatory plastic projection: w ← clip(w + A z_i x_j − β y_i³ (w − w̃), 0, w_max).
/// Eight synapses at a time with AVX2 gathers where the CPU has them (same operations in the
/// same order, so the same results), the rest one by one.
///
/// # Safety
/// The synapses `cols` are accessed by no other thread meanwhile.
unsafe fn exc_post(
    proj: &Projection,
    w: Disjoint<f32>,
    w_tilde: Disjoint<f32>,
    s: &PostSpike,
    cols: Range<usize>,
    (x_pre, scale): (&[f32], f32),
    d: &Derived,
) {
    // SAFETY: by the caller's contract (w̃ is stored in column order).
    let wt = unsafe { w_tilde.range(cols.clone()) };
    let (pre, syn) = (&proj.col_pre[cols.clone()], &proj.col_syn[cols]);
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2; the synapses by the caller's contract.
        done = unsafe { exc_post_avx2(w, syn, pre, wt, (x_pre, scale), s, d.w_max) };
    }
    // SAFETY: the synapses of `cols`.
    unsafe {
        for_each_gathered(w, &syn[done..], |n, ws| {
            let n = done + n;
            let ltp = s.az * (x_pre[pre[n] as usize] * scale);
            *ws = plasticity::exc_post(*ws, wt[n], ltp, s.het, d.w_max);
        })
    };
}

/// [`exc_post`] on whole blocks of 8 synapses; returns how many it did. Both gathers are
/// checked against the arrays' lengths (a vector compare per block), the scatter writes 8
/// distinct synapses (one column has each synapse once).
///
/// # Safety
/// The CPU supports AVX2; the synapses `syn` are accessed by no other thread meanwhile.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exc_post_avx2(
    w: Disjoint<f32>,
    syn: &[u32],
    pre: &[u16],
    wt: &[f32],
    (x_pre, scale): (&[f32], f32),
    s: &PostSpike,
    w_max: f32,
) -> usize {
    use std::arch::x86_64::*;
    let n = syn.len() / 8 * 8;
    if n == 0 {
        return 0;
    }
    assert!(pre.len() >= n && wt.len() >= n && !x_pre.is_empty() && !w.is_empty() && w.len() <= i32::MAX as usize);
    for &k in &syn[..syn.len().min(PREFETCH_AHEAD)] {
        w.prefetch(k as usize);
    }
    let (w_last, x_last) = (_mm256_set1_epi32(w.len() as i32 - 1), _mm256_set1_epi32(x_pre.len() as i32 - 1));
    let (az, het, sc) = (_mm256_set1_ps(s.az), _mm256_set1_ps(s.het), _mm256_set1_ps(scale));
    let (zero, top) = (_mm256_setzero_ps(), _mm256_set1_ps(w_max));
    let (mut out, mut at) = ([0f32; 8], [0u32; 8]);
    for b in (0..n).step_by(8) {
        let ahead = b + PREFETCH_AHEAD;
        if ahead + 8 <= syn.len() {
            // SAFETY: in bounds; a prefetch never faults (the index is checked when it is used).
            unsafe {
                _mm256_storeu_si256(at.as_mut_ptr().cast(), _mm256_loadu_si256(syn.as_ptr().add(ahead).cast()));
                for &k in &at {
                    _mm_prefetch::<_MM_HINT_T0>(w.as_ptr().wrapping_add(k as usize).cast());
                }
            }
        } else {
            syn.get(ahead..).unwrap_or(&[]).iter().for_each(|&k| w.prefetch(k as usize));
        }
        // SAFETY: b + 8 ≤ n ≤ the three lengths; every gathered index is checked first.
        unsafe {
            let idx = _mm256_loadu_si256(syn.as_ptr().add(b).cast());
            let p = _mm256_cvtepu16_epi32(_mm_loadu_si128(pre.as_ptr().add(b).cast()));
            let in_w = _mm256_cmpeq_epi32(_mm256_max_epu32(idx, w_last), w_last);
            let in_x = _mm256_cmpeq_epi32(_mm256_max_epu32(p, x_last), x_last);
            assert!(_mm256_movemask_epi8(_mm256_and_si256(in_w, in_x)) == -1, "synapse index out of range");
            let wv = _mm256_i32gather_ps::<4>(w.as_ptr(), idx);
            let xv = _mm256_i32gather_ps::<4>(x_pre.as_ptr(), p);
            let ltp = _mm256_mul_ps(az, _mm256_mul_ps(xv, sc));
            let dw = _mm256_mul_ps(het, _mm256_sub_ps(wv, _mm256_loadu_ps(wt.as_ptr().add(b))));
            // max(0, ·) then min(w_max, ·) pass a NaN through as f32::clamp does.
            let v = _mm256_min_ps(top, _mm256_max_ps(zero, _mm256_sub_ps(_mm256_add_ps(wv, ltp), dw)));
            _mm256_storeu_ps(out.as_mut_ptr(), v);
            _mm256_storeu_si256(at.as_mut_ptr().cast(), idx);
            for (&k, &o) in at.iter().zip(&out) {
                *w.as_ptr().add(k as usize) = o;
            }
        }
    }
    n
}

/// Calls `f(n, &mut w[syn[n]])` for every n in order. These scattered read-modify-writes miss
/// cache on almost every synapse (one per presynaptic row), so each prefetches the weight
/// [`PREFETCH_AHEAD`] synapses ahead: the misses overlap instead of queueing.
///
/// # Safety
/// The synapses `syn` are accessed by no other thread meanwhile.
#[inline(always)]
unsafe fn for_each_gathered(w: Disjoint<f32>, syn: &[u32], mut f: impl FnMut(usize, &mut f32)) {
    for &s in &syn[..syn.len().min(PREFETCH_AHEAD)] {
        w.prefetch(s as usize);
    }
    for (n, &s) in syn.iter().enumerate() {
        if let Some(&ahead) = syn.get(n + PREFETCH_AHEAD) {
            w.prefetch(ahead as usize);
        }
        // SAFETY: by the caller's contract.
        f(n, unsafe { w.at(s as usize) });
    }
}

/// Hints the CPU to fetch the cache lines of `s` (x86-64; nothing elsewhere).
fn prefetch_lines<T>(s: &[T]) {
    #[cfg(target_arch = "x86_64")]
    for k in (0..size_of_val(s)).step_by(64) {
        // SAFETY: the address is inside `s`; a prefetch never faults.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(s.as_ptr().cast::<i8>().add(k));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = s;
}

/// Arrivals onto partition k on a static projection: the target conductance gets w·e (e = 1
/// without STP).
///
/// # Safety
/// Partition k's targets are accessed by no other thread meanwhile.
unsafe fn static_arrivals(
    proj: &Projection,
    splits: &[u32],
    pp: usize,
    k: usize,
    ids: &[u32],
    eff: Option<&[f32]>,
    g: Disjoint<f32>,
) {
    for (n, &j) in ids.iter().enumerate() {
        let e = eff.map_or(1.0, |eff| eff[n]);
        let base = j as usize * pp;
        let r = splits[base + k] as usize..splits[base + k + 1] as usize;
        for (&w, &i) in proj.w[r.clone()].iter().zip(&proj.post[r]) {
            // SAFETY: targets of partition k.
            unsafe { *g.at(i as usize) += w * e };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column update (eight at a time with AVX2, then one by one) against the rule applied
    /// synapse by synapse: 38 synapses onto neuron 1 (four blocks of 8 and 6 more), some driven
    /// below 0 and above w_max, and a NaN weight that stays NaN as with `f32::clamp`.
    #[test]
    fn column_update_is_the_rule_synapse_by_synapse() {
        let entries: Vec<(u32, u32, f32)> = (0..57u32)
            .flat_map(|j| [(j, 0, 1.0), (j, 1, 0.17 * (j % 31) as f32)])
            .filter(|&(j, i, _)| i == 0 || j % 3 != 1)
            .collect();
        let mut proj = Projection::from_triplets(57, 2, entries);
        proj.make_plastic(true, 0.0);
        let cols = proj.col_ptr[1] as usize..proj.col_ptr[2] as usize;
        assert_eq!(cols.len(), 38);
        let nan = proj.col_syn[cols.start + 9] as usize;
        proj.w[nan] = f32::NAN;
        for (k, wt) in proj.w_tilde.iter_mut().enumerate() {
            *wt = 0.3 * (k % 7) as f32;
        }
        let d = Derived::new(&crate::io::preset::default_params());
        let x: Vec<f32> = (0..57).map(|j| 0.4 * (j % 5) as f32 + 0.01 * j as f32).collect();
        let (scale, s) = (0.9f32, PostSpike { i: 1, az: 2.5, het: 1.3 });
        let want: Vec<f32> = cols
            .clone()
            .map(|c| {
                let (syn, pre) = (proj.col_syn[c] as usize, proj.col_pre[c] as usize);
                plasticity::exc_post(proj.w[syn], proj.w_tilde[c], s.az * (x[pre] * scale), s.het, d.w_max)
            })
            .collect();
        let (mut w, mut wt) = (proj.w.clone(), proj.w_tilde.clone());
        // SAFETY: single-threaded.
        unsafe { exc_post(&proj, Disjoint::new(&mut w), Disjoint::new(&mut wt), &s, cols.clone(), (&x, scale), &d) };
        let got: Vec<f32> = cols.clone().map(|c| w[proj.col_syn[c] as usize]).collect();
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert!(got[9].is_nan() && got.contains(&0.0) && got.contains(&d.w_max));
        // Synapses onto neuron 0 are untouched.
        let col0 = proj.col_ptr[0] as usize..proj.col_ptr[1] as usize;
        assert!(col0.map(|c| proj.col_syn[c] as usize).all(|k| w[k] == 1.0));
    }

    /// Shares cover every synapse of the spiking neurons' columns exactly once, in order, and
    /// differ in size by at most one synapse.
    #[test]
    fn column_shares_partition_the_spikes_columns_evenly() {
        // Columns of lengths 3, 0, 5, 2 (neurons 0–3).
        let col_ptr = [0u32, 3, 3, 8, 10];
        let spikes: Vec<PostSpike> = [0u32, 1, 2, 3].map(|i| PostSpike { i, az: 0.0, het: 0.0 }).to_vec();
        for p in 1..=12 {
            let mut seen = Vec::new();
            let mut sizes = Vec::new();
            for k in 0..p {
                let mut n = 0;
                for_column_share(&col_ptr, &spikes, k, p, |s, cols| {
                    let own = col_ptr[s.i as usize] as usize..col_ptr[s.i as usize + 1] as usize;
                    assert!(own.start <= cols.start && cols.end <= own.end, "p {p} k {k}: {cols:?} outside {own:?}");
                    n += cols.len();
                    seen.extend(cols);
                });
                sizes.push(n);
            }
            assert_eq!(seen, (0..10).collect::<Vec<_>>(), "p {p}");
            let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(hi - lo <= 1, "p {p}: share sizes {sizes:?}");
        }
    }
}
