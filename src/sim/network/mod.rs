//! The network: populations, projections, traces, and the step that advances them by dt.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`Network`], building, parameters, the step's duty cycle ([`Network::run`]) |
//! | `derived.rs` | the per-step constants derived from [`Params`] |
//! | `state.rs` | [`NetworkState`]: export, restore and the one list of state arrays |
//! | `schedule.rs` | partitions and the phases of a step on the compute pool (raw pointers) |
//! | `kernels.rs` | arrivals and postsynaptic updates, scalar and AVX2, prefetching |
//! | `delay.rs` | spikes in flight |
//! | `emulation.rs` | emulations of the original's numerics (off in every preset) |
//! | `health.rs` | finite-value checks of the state, for the runaway guard |
//! | `ledger.rs` | the mechanism ledger: changes of selected weights split by term |

mod delay;
mod derived;
mod emulation;
mod health;
mod kernels;
mod ledger;
mod schedule;
mod state;

pub use ledger::{Ledger, LedgerSample, Term, Terms};
pub use state::{Array, NetworkState, SpikeCounts};

use delay::DelayLine;
use derived::Derived;
use schedule::Plan;

use super::connectivity::{Plasticity, Population, Projection, ProjectionId, Projections};
use super::input::Input;
use super::neuron::Neurons;
use super::params::{DT_MS, Params, PatternSet, PhaseName};
use super::pattern::Pattern;
use super::plasticity::{self, Stp, StpConst};
use super::shapes;
use super::traces::{PostTraces, PreTrace};
use crate::error::{Error, Result};

/// The whole model. Build with [`Network::new`], advance with [`Network::run`]. Fields are
/// private: the step keeps invariants between them (sizes, scaled traces, partitions); read
/// them through the accessors, change them through the methods.
#[derive(Clone, Debug)]
pub struct Network {
    params: Params,
    d: Derived,
    /// Current step (the next [`Network::step`] computes step `t`); model time is t·dt.
    t: u64,
    e: Neurons,
    i: Neurons,
    input: Input,
    proj: Projections,
    /// STP state of E neurons, shared by E→E and E→I (identical dynamics, docs/model.md §4).
    stp_e: Stp,
    /// STP state of input units (Input→E).
    stp_in: Stp,
    /// Spikes in flight, per source population ([`Population::index`]).
    delays: [DelayLine; 3],
    /// Presynaptic trace of each population ([`Population::index`]), incremented by arriving
    /// spikes: x_j (τ₊) of E neurons and input units for the excitatory rule, of I neurons
    /// (τ_pre,inh) for the inhibitory rule.
    x: [PreTrace; 3],
    /// Postsynaptic traces y (τ₋), z (τ_slow) and homeostatic h (τ_hom) of E neurons, scaled.
    post: PostTraces,
    /// The homeostatic trace in single precision, stepped every step while its emulation is
    /// on (docs/model.md §15.18); unused otherwise.
    h32: Vec<f32>,
    /// Global E-rate estimate H of the inhibitory rule ≈ N_E × mean E rate [Hz].
    h_global: f64,
    /// Phase being run, and the step at which it started.
    phase: Option<(PhaseName, u64)>,
    counts: SpikeCounts,
    /// Modulation G of the inhibitory rule for the current step (set at emission).
    g_mod: f32,
    /// How the neurons are split among compute threads, and the thread pool.
    plan: Plan,
    /// The mechanism ledger of the synapses being explained, if any (not part of the state).
    ledger: Option<Box<ledger::Ledger>>,
}

impl Network {
    /// Builds a fresh network (docs/model.md §7): random projections and receptive fields from
    /// the seed, all neurons at rest, traces empty, STP at rest, w̃ = w_a. Runs on one thread
    /// until [`Network::set_threads`].
    pub fn new(params: Params) -> Result<Self> {
        params.validate()?;
        let n = &params.network;
        let (ne, ni, nin) = (n.n_e, n.n_i, params.n_input());
        let proj = Projections::build(&params);
        let stp_c = StpConst::new(params.stp.u, params.stp.tau_d_s, params.stp.tau_f_s);
        let delay = n.delay_steps;
        let h0 = params.plasticity.nu_bar_init_hz * params.plasticity.tau_hom_s;
        Ok(Network {
            t: 0,
            e: Neurons::new(ne, params.neuron_e.e_leak_mv as f32),
            i: Neurons::new(ni, params.neuron_i.e_leak_mv as f32),
            input: Input::new(nin, params.input.background_hz, params.seed),
            stp_e: Stp::new(ne, stp_c),
            stp_in: Stp::new(nin, stp_c),
            delays: [DelayLine::new(delay), DelayLine::new(delay), DelayLine::new(delay)],
            x: [PreTrace::new(ne), PreTrace::new(ni), PreTrace::new(nin)],
            post: PostTraces::new(ne, h0),
            h32: vec![h0 as f32; ne],
            h_global: params.inhibitory.target_rate_hz * ne as f64,
            phase: None,
            counts: SpikeCounts::default(),
            g_mod: 0.0,
            plan: Plan::new(1, ne, ni, &proj)?,
            ledger: None,
            proj,
            d: Derived::new(&params),
            params,
        })
    }

    /// Number of compute threads [`Network::run`] uses.
    pub fn threads(&self) -> usize {
        self.plan.threads()
    }

    /// Splits the network among `threads` compute threads (1 to 64). Results do not depend on
    /// the thread count: every sum over synapses runs in the same order for any partition (a
    /// target's inputs arrive in spike-list order), every synapse is updated by one thread, and
    /// every random number is drawn outside the partitions.
    pub fn set_threads(&mut self, threads: usize) -> Result<()> {
        if threads == 0 || threads > 64 {
            return Err(Error::Invalid(format!("threads = {threads}: expected 1 to 64")));
        }
        self.plan = Plan::new(threads, self.e.len(), self.i.len(), &self.proj)?;
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
            return Err(Error::Invalid(
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
        for pop in Population::ALL {
            let (old_table, new_table) = (old.pre_trace(pop).0, new.pre_trace(pop).0);
            if new_table != old_table {
                self.x[pop.index()].rebase(t, old_table);
            }
        }
        if new.post != old.post {
            self.post.rebase(t, &old.post);
        }
        // The single-precision homeostat starts from the exact trace when switched on.
        if old.hom32.is_none() && new.hom32.is_some() {
            for (i, h) in self.h32.iter_mut().enumerate() {
                *h = self.post.read(i, t, &old.post).2 as f32;
            }
        }
        self.d = new;
        let stim = self.phase.map_or(self.input.stimulus_hz(), |(ph, _)| params.protocol.phase(ph).stimulus_hz);
        if params.input.background_hz != self.input.background_hz() || stim != self.input.stimulus_hz() {
            self.input.set_rates(params.input.background_hz, stim);
        }
        self.params = params;
        Ok(())
    }

    /// Current step: the next [`Network::step`] computes this one.
    pub fn t(&self) -> u64 {
        self.t
    }

    /// Model time t·dt [s].
    pub fn time_s(&self) -> f64 {
        self.t as f64 * DT_MS * 1e-3
    }

    /// The E population.
    pub fn e(&self) -> &Neurons {
        &self.e
    }

    /// The I population.
    pub fn i(&self) -> &Neurons {
        &self.i
    }

    /// The input layer (its spikes, stimulus and schedule).
    pub fn input(&self) -> &Input {
        &self.input
    }

    /// The units of `pop` that spiked in the last step, ascending.
    pub fn spikes(&self, pop: Population) -> &[u32] {
        match pop {
            Population::E => &self.e.spikes,
            Population::I => &self.i.spikes,
            Population::Input => &self.input.spikes,
        }
    }

    /// One projection.
    pub fn projection(&self, id: ProjectionId) -> &Projection {
        &self.proj[id]
    }

    /// All projections.
    pub fn projections(&self) -> &Projections {
        &self.proj
    }

    /// The STP state of a population's spikes (E and input units; I has none).
    pub fn stp(&self, pop: Population) -> Option<&Stp> {
        match pop {
            Population::E => Some(&self.stp_e),
            Population::I => None,
            Population::Input => Some(&self.stp_in),
        }
    }

    /// x_j of the presynaptic trace of `pop` at the end of the last step.
    pub fn pre_trace(&self, pop: Population, j: usize) -> f32 {
        let (table, _) = self.d.pre_trace(pop);
        self.x[pop.index()].value(j, self.t.saturating_sub(1), table)
    }

    /// The stored (scaled) presynaptic trace of `pop`, for checks over all values.
    pub fn pre_trace_stored(&self, pop: Population) -> &PreTrace {
        &self.x[pop.index()]
    }

    /// (y_i, z_i, h_i) of E neuron i at the end of the last step.
    pub fn post_trace(&self, i: usize) -> (f32, f32, f64) {
        self.post.read(i, self.t, &self.d.post)
    }

    /// The stored (scaled) postsynaptic traces, for checks over all values.
    pub fn post_traces_stored(&self) -> &PostTraces {
        &self.post
    }

    /// Mean rate estimate ν̄_i of E neuron i from the homeostatic trace [Hz].
    pub fn nu_bar(&self, i: usize) -> f64 {
        match self.d.hom32 {
            Some(h) => f64::from(self.h32[i] / h.tau_s),
            None => self.post_trace(i).2 * self.d.inv_tau_hom,
        }
    }

    /// Global E-rate estimate H of the inhibitory rule [Hz] (≈ N_E × mean E rate).
    pub fn h_global(&self) -> f64 {
        self.h_global
    }

    /// Current modulation G of the inhibitory rule.
    pub fn inh_modulation(&self) -> f64 {
        plasticity::inh_modulation(self.d.eta_i, self.h_global, self.d.target_hz, self.e.len())
    }

    /// The protocol phase being run and the step it started at (None: free running).
    pub fn phase(&self) -> Option<(PhaseName, u64)> {
        self.phase
    }

    /// Spikes of each population since the network was built.
    pub fn counts(&self) -> SpikeCounts {
        self.counts
    }

    /// Upper bound of the excitatory weights (the rule clips at it) [g_L].
    pub fn w_max(&self) -> f32 {
        self.d.w_max
    }

    /// Replaces the weights w of a plastic projection, one value per synapse in synapse (row)
    /// order [g_L]. Refused, changing nothing, unless there is one value per synapse and each
    /// is finite and in [0, w_max] of the projection's rule; the error names the first bad
    /// synapse. w̃ and all other state are kept: the rule pulls w toward w̃ from here on.
    pub fn set_weights(&mut self, id: ProjectionId, w: Vec<f32>) -> Result<()> {
        let w_max = match id.plasticity() {
            Plasticity::Excitatory => self.d.w_max,
            Plasticity::Inhibitory => self.d.w_max_i,
            Plasticity::Static => {
                return Err(Error::Invalid(format!("{} weights are static", id.label())));
            }
        };
        let p = &mut self.proj[id];
        if w.len() != p.len() {
            return Err(Error::Invalid(format!("{} weights: {} values for {} synapses", id.label(), w.len(), p.len())));
        }
        if let Some((s, v)) = w.iter().enumerate().find(|&(_, &v)| !(v.is_finite() && (0.0..=w_max).contains(&v))) {
            return Err(Error::Invalid(format!(
                "{} weight of synapse {s} is {v}: expected a finite value in [0, {w_max}]",
                id.label()
            )));
        }
        p.w = w;
        self.ledger_resync(id);
        Ok(())
    }

    /// Replaces w̃ of a consolidating projection from values in synapse (row) order, checked
    /// like [`Network::set_weights`].
    pub fn set_w_tilde(&mut self, id: ProjectionId, by_synapse: &[f32]) -> Result<()> {
        let w_max = self.d.w_max;
        let p = &mut self.proj[id];
        if !id.consolidates() || by_synapse.len() != p.len() {
            return Err(Error::Invalid(format!(
                "{} w~: {} values for {} consolidating synapses",
                id.label(),
                by_synapse.len(),
                if id.consolidates() { p.len() } else { 0 }
            )));
        }
        if let Some(v) = by_synapse.iter().find(|&&v| !(v.is_finite() && (0.0..=w_max).contains(&v))) {
            return Err(Error::Invalid(format!(
                "{} w~ value {v}: expected a finite value in [0, {w_max}]",
                id.label()
            )));
        }
        p.set_w_tilde_by_synapse(by_synapse);
        self.ledger_resync(id);
        Ok(())
    }

    /// Sets the membrane potential of one neuron [mV] (clipped at the next step like any V),
    /// e.g. to make it fire in a test or a demonstration.
    pub fn set_potential(&mut self, pop: Population, j: usize, v_mv: f32) {
        match pop {
            Population::E => self.e.v[j] = v_mv,
            Population::I => self.i.v[j] = v_mv,
            Population::Input => {}
        }
    }

    /// The patterns of a pattern set.
    pub fn patterns_of(set: &PatternSet, drawing: shapes::ShapeSet) -> Vec<Pattern> {
        match set {
            PatternSet::Shapes => shapes::shapes_of(drawing),
            PatternSet::Cues => shapes::cues_of(drawing),
            PatternSet::None => Vec::new(),
        }
    }

    /// Starts a protocol phase now: its pattern set and schedule replace the current ones; all
    /// network state carries over (docs/model.md §9, §10).
    pub fn start_phase(&mut self, name: PhaseName) {
        let phase = self.params.protocol.phase(name).clone();
        let patterns = Self::patterns_of(&phase.patterns, self.params.input.shapes);
        self.input.start_phase(&phase, patterns, self.t);
        self.phase = Some((name, self.t));
    }

    /// Stops the stimulus schedule: background input only, stimuli only when presented (at
    /// the current stimulus rate). State carries over.
    pub fn start_free(&mut self) {
        self.input.stop_schedule();
        self.phase = None;
    }

    /// Shows `pixels` to the input layer from now for `duration_s`, interrupting any scheduled
    /// stimulus (see [`Input::present`]).
    pub fn present(&mut self, name: String, pattern: Option<usize>, pixels: Vec<u32>, duration_s: f64) {
        self.input.present(name, pattern, pixels, duration_s, self.t);
    }

    /// Advances the network by one step of dt (see [`Network::run`] for the duty cycle).
    pub fn step(&mut self) {
        self.run(1, |_| {});
    }

    /// Runs `steps` steps on [`Network::threads`] threads, calling `observe` after each (on one
    /// thread, with the others waiting). One step is the duty cycle of docs/model.md §11:
    ///
    /// 1. **Neurons evolve** — E, then I (conductance decay, NMDA filter, θ decay, Euler step of
    ///    V, clip, threshold test → S_t), then the input layer draws its Poisson spikes and
    ///    handles a due stimulus on/off transition (effective from the next step).
    /// 2. **Emission** — each spike of S_t takes its STP efficacy (E: shared x,u of E→E/E→I;
    ///    input: its own) and enters its population's delay line.
    /// 3. **Propagation**, per projection in the order of [`ProjectionId::ALL`] (E→E, E→I,
    ///    I→I, I→E, Input→E): spikes emitted at t − delay arrive: the target conductance gets
    ///    w·e, then the presynaptic plasticity update runs (§5.2, §6); then for the
    ///    projection's targets in S_t the postsynaptic update runs (§5.3, §6). All updates read
    ///    the traces as they were at the end of step t − 1.
    /// 4. **Traces and slow state** — presynaptic traces += arrivals, postsynaptic traces
    ///    += S_t, then all decay (in closed form: see [`PreTrace`], [`PostTraces`]); STP
    ///    relaxation (in closed form, applied at a unit's next spike: see [`Stp`]);
    ///    consolidation when t mod 12 000 = 0; global estimate H += delivered E spikes/τ_H.
    /// 5. t ← t + 1.
    ///
    /// So a pre and a post spike in the same step do not pair, and a spike emitted at t moves
    /// the membrane from step t + delay + 1.
    ///
    /// With P threads (see `schedule.rs`), each partition does 1 for its neurons, then after a
    /// barrier one thread does the rest of 1 (input) and 2; after a second barrier every
    /// partition does 3's arrivals onto its neurons; after a third, an equal share of 3's
    /// postsynaptic updates, 4 for its own neurons, then 1 of the next step; one thread
    /// finishes 4–5, observes and does 2, and so on: three barriers per step. Within a phase
    /// each thread writes only indices no other touches, so there are no write races and no sum
    /// depends on P.
    pub fn run(&mut self, steps: u64, observe: impl FnMut(&Network) + Send) {
        schedule::run(self, steps, observe);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::preset;

    fn small() -> Network {
        let mut p = preset::default_params();
        p.network.n_e = 64;
        p.network.n_i = 16;
        p.network.p_conn = 0.3;
        Network::new(p).unwrap()
    }

    #[test]
    fn bad_weights_are_refused_and_change_nothing() {
        let mut net = small();
        let before = net.projection(ProjectionId::Ee).w.clone();
        let n = before.len();
        let w_max = net.w_max();
        for (w, msg) in [
            (vec![0.5; n - 1], "values for"),
            (vec![f32::NAN; n], "synapse 0 is NaN"),
            (vec![-0.1; n], "synapse 0 is -0.1"),
            (vec![w_max * 2.0; n], "expected a finite value in [0,"),
        ] {
            let err = net.set_weights(ProjectionId::Ee, w).unwrap_err().to_string();
            assert!(err.starts_with("E->E") && err.contains(msg), "{err}");
            assert_eq!(net.projection(ProjectionId::Ee).w, before);
        }
        let n_in = net.projection(ProjectionId::InputE).len();
        net.set_weights(ProjectionId::InputE, vec![w_max; n_in]).unwrap();
        assert!(net.projection(ProjectionId::InputE).w.iter().all(|&v| v == w_max));
        assert_eq!(net.projection(ProjectionId::Ee).w, before);
        let err = net.set_weights(ProjectionId::Ei, vec![0.1; 3]).unwrap_err().to_string();
        assert!(err.contains("static"), "{err}");
    }
}
