//! The network: populations, projections, traces, and the step that advances them by dt.

use super::connectivity::Projection;
use super::input::Input;
use super::neuron::Neurons;
use super::params::{DT_MS, NeuronDerived, Params, PatternSet, PhaseName, Rule, STEPS_PER_SECOND, decay};
use super::pattern::Pattern;
use super::plasticity::{self, Consolidation, Stp, StpConst};
use super::rng::{Stream, StreamId};
use super::shapes;
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
    decay_plus: f32,
    decay_minus: f32,
    decay_slow: f32,
    decay_inh_pre: f32,
    decay_hom: f64,
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
            decay_plus: decay(pl.tau_plus_ms) as f32,
            decay_minus: decay(pl.tau_minus_ms) as f32,
            decay_slow: decay(pl.tau_slow_ms) as f32,
            decay_inh_pre: decay(p.inhibitory.tau_pre_ms) as f32,
            decay_hom: decay(pl.tau_hom_s * 1e3),
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
    pub x_e: Vec<f32>,
    /// Presynaptic trace of input units (τ₊), incremented by arriving spikes.
    pub x_in: Vec<f32>,
    /// Presynaptic trace of I neurons for the inhibitory rule, incremented by arriving spikes.
    pub x_i: Vec<f32>,
    /// Fast postsynaptic trace y_i of E neurons (τ₋).
    pub y: Vec<f32>,
    /// Slow postsynaptic trace z_i of E neurons (τ_slow).
    pub z: Vec<f32>,
    /// Homeostatic trace h_i of E neurons (τ_hom); ν̄_i = h_i/τ_hom [Hz]. f64: its per-step decay
    /// factor 1 − 1.7·10⁻⁷ is not representable in f32 (spec §15.8).
    pub h: Vec<f64>,
    /// LTD amplitude per E neuron for the next step, B·y_i (P10) or B·y_i·(ν̄_i/κ)² (P11),
    /// computed in the trace pass so the per-synapse update is one load.
    ltd: Vec<f32>,
    /// Global E-rate estimate H of the inhibitory rule ≈ N_E × mean E rate [Hz].
    pub h_global: f64,
    /// Phase being run, and the step at which it started.
    pub phase: Option<(PhaseName, u64)>,
    pub counts: SpikeCounts,
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
        let mut net = Network {
            t: 0,
            e: Neurons::new(ne, params.neuron_e.e_leak_mv as f32),
            i: Neurons::new(ni, params.neuron_i.e_leak_mv as f32),
            input: Input::new(nin, params.input.background_hz, params.seed),
            ee,
            ei,
            ii,
            ie,
            inp,
            stp_e: Stp::new(ne, stp_c),
            stp_in: Stp::new(nin, stp_c),
            delay_e: DelayLine::new(delay),
            delay_i: DelayLine::new(delay),
            delay_in: DelayLine::new(delay),
            x_e: vec![0.0; ne],
            x_in: vec![0.0; nin],
            x_i: vec![0.0; ni],
            y: vec![0.0; ne],
            z: vec![0.0; ne],
            h: vec![h0; ne],
            ltd: vec![0.0; ne],
            h_global,
            phase: None,
            counts: SpikeCounts::default(),
            d,
            params,
        };
        net.update_ltd();
        Ok(net)
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
        self.d = Derived::new(&params);
        let c = StpConst::new(params.stp.u, params.stp.tau_d_s, params.stp.tau_f_s);
        self.stp_e.c = c;
        self.stp_in.c = c;
        let stim = self.phase.map_or(self.input.stimulus_hz(), |(ph, _)| params.protocol.phase(ph).stimulus_hz);
        if params.input.background_hz != self.input.background_hz() || stim != self.input.stimulus_hz() {
            self.input.set_rates(params.input.background_hz, stim);
        }
        self.params = params;
        self.update_ltd();
        Ok(())
    }

    /// Model time [s].
    pub fn time_s(&self) -> f64 {
        self.t as f64 * DT_MS * 1e-3
    }

    /// Mean rate estimate ν̄_i of E neuron i from the homeostatic trace [Hz].
    pub fn nu_bar(&self, i: usize) -> f64 {
        self.h[i] * self.d.inv_tau_hom
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

    /// Advances the network by one step of dt. The duty cycle (spec §11):
    ///
    /// 1. **Neurons evolve** — E, then I (conductance decay, NMDA filter, θ decay, Euler step of
    ///    V, clip, threshold test → S_t), then the input layer draws its Poisson spikes and
    ///    handles a due stimulus on/off transition (effective from the next step).
    /// 2. **Emission** — each spike of S_t takes its STP efficacy (E: shared x,u of E→E/E→I;
    ///    input: its own) and enters the delay line.
    /// 3. **Propagation**, per projection in the order E→E, E→I, I→I, I→E, Input→E:
    ///    spikes emitted at t − delay arrive: the target conductance gets w·e, then the
    ///    presynaptic plasticity update runs (§5.2, §6); then for the projection's targets in
    ///    S_t the postsynaptic update runs (§5.3, §6). All updates read the traces and the
    ///    LTD factors as they were at the end of step t − 1.
    /// 4. **Traces and slow state** — presynaptic traces += arrivals, postsynaptic traces += S_t,
    ///    then all decay; LTD factors for step t + 1; STP relaxation; consolidation when
    ///    t mod 12 000 = 0; global estimate H += delivered E spikes/τ_H.
    /// 5. t ← t + 1.
    ///
    /// So a pre and a post spike in the same step do not pair, and a spike emitted at t moves
    /// the membrane from step t + delay + 1.
    pub fn step(&mut self) {
        let t = self.t;
        let d = &self.d;

        // 1. Neurons evolve.
        self.e.evolve(&d.ne);
        self.i.evolve(&d.ni);
        self.input.generate();
        self.input.advance_schedule(t);

        // 2. Emission into the delay lines, with STP efficacies.
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
                Some(stp) if d.stp => eff.extend(spikes.iter().map(|&j| stp.fire(j as usize))),
                _ => eff.resize(spikes.len(), 1.0),
            }
        }
        self.counts.e += self.e.spikes.len() as u64;
        self.counts.i += self.i.spikes.len() as u64;
        self.counts.input += self.input.spikes.len() as u64;

        // 3. Propagation and plasticity.
        let g = plasticity::inh_modulation(d.eta_i, self.h_global, d.target_hz, self.e.len()) as f32;
        let (arr_e, arr_i, arr_in) = (self.delay_e.arriving(t), self.delay_i.arriving(t), self.delay_in.arriving(t));
        // E→E
        exc_arrivals(&mut self.ee, &self.delay_e, arr_e, &mut self.e.g_ampa, &self.ltd, d);
        exc_post_spikes(&mut self.ee, &self.e.spikes, &self.x_e, &self.y, &self.z, d);
        // E→I
        static_arrivals(&self.ei, &self.delay_e.ids[arr_e], Some(&self.delay_e.eff[arr_e]), &mut self.i.g_ampa);
        // I→I
        static_arrivals(&self.ii, &self.delay_i.ids[arr_i], None, &mut self.i.g_gaba);
        // I→E
        let ie = &mut self.ie;
        for &j in &self.delay_i.ids[arr_i] {
            for s in ie.row(j as usize) {
                let post = ie.post[s] as usize;
                self.e.g_gaba[post] += ie.w[s];
                if d.inh_plastic {
                    ie.w[s] = plasticity::inh_pre(ie.w[s], g, self.y[post], d.zeta);
                }
            }
        }
        if d.inh_plastic {
            for &i in &self.e.spikes {
                let i = i as usize;
                for k in ie.col_ptr[i] as usize..ie.col_ptr[i + 1] as usize {
                    let s = ie.col_syn[k] as usize;
                    ie.w[s] = plasticity::inh_post(ie.w[s], g, self.x_i[ie.col_pre[k] as usize], d.w_max_i);
                }
            }
        }
        // Input→E
        exc_arrivals(&mut self.inp, &self.delay_in, arr_in, &mut self.e.g_ampa, &self.ltd, d);
        exc_post_spikes(&mut self.inp, &self.e.spikes, &self.x_in, &self.y, &self.z, d);

        // 4. Traces and slow state.
        for (trace, ids) in [
            (&mut self.x_e, &self.delay_e.ids[arr_e]),
            (&mut self.x_i, &self.delay_i.ids[arr_i]),
            (&mut self.x_in, &self.delay_in.ids[arr_in]),
        ] {
            for &j in ids {
                trace[j as usize] += 1.0;
            }
        }
        for &i in &self.e.spikes {
            let i = i as usize;
            self.y[i] += 1.0;
            self.z[i] += 1.0;
            self.h[i] += 1.0;
        }
        scale(&mut self.x_e, d.decay_plus);
        scale(&mut self.x_in, d.decay_plus);
        scale(&mut self.x_i, d.decay_inh_pre);
        scale(&mut self.y, d.decay_minus);
        scale(&mut self.z, d.decay_slow);
        let decay_hom = d.decay_hom;
        self.h.iter_mut().for_each(|h| *h *= decay_hom);
        self.update_ltd();
        let d = &self.d;
        if d.stp {
            self.stp_e.relax();
            self.stp_in.relax();
        }
        if d.consolidate && t.is_multiple_of(d.cons_every) {
            d.cons.sweep(&self.ee.w, &mut self.ee.w_tilde);
            d.cons.sweep(&self.inp.w, &mut self.inp.w_tilde);
        }
        // n_t of spec §6: E spikes delivered in this step.
        let delivered_e = self.delay_e.ids[arr_e].len();
        self.h_global = self.h_global * d.decay_h + delivered_e as f64 * d.h_increment;

        // 5.
        self.t += 1;
    }

    /// Recomputes the per-neuron LTD amplitude from y (and ν̄ for P11).
    fn update_ltd(&mut self) {
        let b = self.d.b_ltd;
        match self.d.rule {
            Rule::P10 => {
                for (l, &y) in self.ltd.iter_mut().zip(&self.y) {
                    *l = b * y;
                }
            }
            Rule::P11 => {
                let c = self.d.inv_tau_hom / self.d.kappa_hz;
                for ((l, &y), &h) in self.ltd.iter_mut().zip(&self.y).zip(&self.h) {
                    let r = (h * c) as f32;
                    *l = b * y * r * r;
                }
            }
        }
    }

    /// Runs `steps` steps, calling `observe` after each.
    pub fn run(&mut self, steps: u64, mut observe: impl FnMut(&Network)) {
        for _ in 0..steps {
            self.step();
            observe(self);
        }
    }
}

/// Multiplies every element by `f` (the exact per-step decay of a trace).
fn scale(v: &mut [f32], f: f32) {
    v.iter_mut().for_each(|x| *x *= f);
}

/// Arrivals on an excitatory plastic projection: conductance jump w·e, then the presynaptic
/// update w ← max(0, w − ltd_i + δ) (spec §5.2).
fn exc_arrivals(proj: &mut Projection, line: &DelayLine, slot: usize, g_ampa: &mut [f32], ltd: &[f32], d: &Derived) {
    let plastic = d.exc_plastic;
    for (&j, &e) in line.ids[slot].iter().zip(&line.eff[slot]) {
        let r = proj.row(j as usize);
        let (post, w) = (&proj.post[r.clone()], &mut proj.w[r]);
        if plastic {
            for (w, &i) in w.iter_mut().zip(post) {
                let i = i as usize;
                g_ampa[i] += *w * e;
                *w = plasticity::exc_pre(*w, ltd[i], d.delta);
            }
        } else {
            for (w, &i) in w.iter().zip(post) {
                g_ampa[i as usize] += *w * e;
            }
        }
    }
}

/// Postsynaptic spikes on an excitatory plastic projection (spec §5.3):
/// w ← clip(w + A z_i x_j − β y_i³ (w − w̃), 0, w_max) for every incoming synapse.
fn exc_post_spikes(proj: &mut Projection, spikes: &[u32], x_pre: &[f32], y: &[f32], z: &[f32], d: &Derived) {
    if !d.exc_plastic {
        return;
    }
    for &i in spikes {
        let i = i as usize;
        let az = d.a_ltp * z[i];
        let het = d.beta * y[i] * y[i] * y[i];
        for k in proj.col_ptr[i] as usize..proj.col_ptr[i + 1] as usize {
            let s = proj.col_syn[k] as usize;
            let ltp = az * x_pre[proj.col_pre[k] as usize];
            proj.w[s] = plasticity::exc_post(proj.w[s], proj.w_tilde[s], ltp, het, d.w_max);
        }
    }
}

/// Arrivals on a static projection: the target conductance gets w·e (e = 1 without STP).
fn static_arrivals(proj: &Projection, ids: &[u32], eff: Option<&[f32]>, g: &mut [f32]) {
    for (k, &j) in ids.iter().enumerate() {
        let e = eff.map_or(1.0, |eff| eff[k]);
        let r = proj.row(j as usize);
        for (&w, &i) in proj.w[r.clone()].iter().zip(&proj.post[r]) {
            g[i as usize] += w * e;
        }
    }
}
