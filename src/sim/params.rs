//! Every parameter of the model (docs/model.md §13) in one serialisable struct, with validation, plus the
//! per-step constants derived from it.
//!
//! Field names carry their unit (`_ms`, `_s`, `_hz`, `_mv`); conductances and weights are in units
//! of the leak conductance g_L. Presets in `presets/*.toml` are this struct written out.

use serde::{Deserialize, Serialize};

use super::shapes::ShapeSet;
use crate::error::{Error, Result};

/// Simulation time step [ms] (docs/model.md §1; fixed, not a parameter: every delay and schedule is in
/// whole steps of it).
pub const DT_MS: f64 = 0.1;
/// Steps per second of model time.
pub const STEPS_PER_SECOND: u64 = 10_000;

/// Largest expected synapse count of one projection: keeps memory bounded (~1.6 GB) and every
/// synapse index within u32.
pub const MAX_SYNAPSES_PER_PROJECTION: f64 = 1e8;

/// The excitatory plasticity rule (docs/model.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    /// Triplet LTP, pair LTD, transmitter-induced and heterosynaptic terms ("Figure 3").
    P10,
    /// P10 with the LTD amplitude scaled by (ν̄/κ)², a homeostatic sliding threshold.
    P11,
}

/// Which stimulus set a phase presents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatternSet {
    /// The four built-in shapes (circle, square, cross, triangle).
    Shapes,
    /// The built-in cue set: four partial versions of each shape and four "other" patterns.
    Cues,
    /// No scheduled stimulus (background input only).
    None,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Short name of the parameter set (shown in the GUI and written to summaries).
    pub name: String,
    /// One line saying what the preset is for.
    #[serde(default)]
    pub description: String,
    /// Master seed: connectivity, receptive fields, input spikes and schedule derive from it.
    pub seed: u64,
    pub network: NetworkParams,
    pub neuron_e: NeuronParams,
    pub neuron_i: NeuronParams,
    pub stp: StpParams,
    pub plasticity: PlasticityParams,
    pub inhibitory: InhibitoryParams,
    pub input: InputParams,
    pub mechanisms: Mechanisms,
    pub protocol: Protocol,
    /// Emulations of the original's numerics, all off unless a preset asks for them.
    #[serde(default)]
    pub emulation: Emulation,
    /// How the assemblies are read out of the activity (not a part of the model).
    #[serde(default)]
    pub readout: Readout,
}

/// Sizes, connectivity and initial/static weights (docs/model.md §1, §7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkParams {
    /// Number of excitatory neurons.
    pub n_e: usize,
    /// Number of inhibitory neurons.
    pub n_i: usize,
    /// Side of the square input grid [pixels]; the input layer has `input_side²` units.
    pub input_side: usize,
    /// Connection probability of the four recurrent projections (E→E, E→I, I→I, I→E).
    pub p_conn: f64,
    /// Radius of the disc receptive fields of Input→E [pixels].
    pub rf_radius: f64,
    /// Receptive-field centres: `false` draws centres from 0..=side and clips discs at the
    /// border (the reconstruction of docs/model.md §7.2); `true` draws from 0..side and wraps around.
    pub rf_wrap: bool,
    /// Input weight scale ξ: initial Input→E weight [g_L].
    pub xi: f64,
    /// Initial E→E weight [g_L].
    pub w_ee: f64,
    /// Static E→I weight [g_L].
    pub w_ei: f64,
    /// Static I→I weight [g_L].
    pub w_ii: f64,
    /// Initial I→E weight [g_L].
    pub w_ie: f64,
    /// Axonal delay of every projection [steps of 0.1 ms].
    pub delay_steps: usize,
}

/// A conductance-based LIF population (docs/model.md §2). Inhibitory neurons use the same fields with
/// the adaptation jumps at zero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeuronParams {
    /// Membrane time constant [ms].
    pub tau_m_ms: f64,
    /// Leak reversal potential [mV].
    pub e_leak_mv: f64,
    /// Reset potential after a spike [mV].
    pub v_reset_mv: f64,
    /// Excitatory reversal potential [mV].
    pub e_exc_mv: f64,
    /// Inhibitory reversal potential, shared by GABA and adaptation [mV].
    pub e_inh_mv: f64,
    /// Resting threshold [mV].
    pub theta_rest_mv: f64,
    /// Threshold offset set at a spike [mV].
    pub theta_jump_mv: f64,
    /// Threshold relaxation time constant [ms].
    pub tau_theta_ms: f64,
    /// AMPA decay time constant [ms].
    pub tau_ampa_ms: f64,
    /// NMDA low-pass time constant [ms].
    pub tau_nmda_ms: f64,
    /// GABA decay time constant [ms].
    pub tau_gaba_ms: f64,
    /// AMPA/NMDA *ratio* r: a_A = r/(1+r), a_N = 1/(1+r) (docs/model.md §2.1, §15.5).
    pub ampa_nmda_ratio: f64,
    /// Fast adaptation conductance jump per spike [g_L].
    pub adapt1_jump: f64,
    /// Fast adaptation time constant [ms].
    pub tau_adapt1_ms: f64,
    /// Slow adaptation conductance jump per spike [g_L] (0 in every published run).
    pub adapt2_jump: f64,
    /// Slow adaptation time constant [ms].
    pub tau_adapt2_ms: f64,
    /// Lower voltage clip [mV].
    pub v_min_mv: f64,
    /// Upper voltage clip [mV].
    pub v_max_mv: f64,
}

/// Tsodyks–Markram short-term plasticity of Input→E, E→E and E→I (docs/model.md §4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StpParams {
    /// Utilisation increment and resting utilisation U.
    pub u: f64,
    /// Recovery time constant of resources τ_d [s].
    pub tau_d_s: f64,
    /// Facilitation decay time constant τ_f [s].
    pub tau_f_s: f64,
}

/// The excitatory rule on E→E and Input→E, and consolidation (docs/model.md §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlasticityParams {
    pub rule: Rule,
    /// Learning rate η: triplet-LTP amplitude A and pair-LTD amplitude B.
    pub eta: f64,
    /// Transmitter-induced potentiation per presynaptic spike δ [g_L]. Independent of η
    /// here (docs/model.md §5.5, §15.9: the original CLI scaled it with η²).
    pub delta: f64,
    /// Heterosynaptic strength β.
    pub beta: f64,
    /// Presynaptic trace time constant τ₊ [ms].
    pub tau_plus_ms: f64,
    /// Fast postsynaptic trace time constant τ₋ [ms].
    pub tau_minus_ms: f64,
    /// Slow postsynaptic trace time constant τ_slow [ms].
    pub tau_slow_ms: f64,
    /// Upper weight bound [g_L].
    pub w_max: f64,
    /// Consolidation time constant τ_cons [s].
    pub tau_cons_s: f64,
    /// Interval between consolidation sweeps [s] (one Euler step of size this each).
    pub cons_interval_s: f64,
    /// Low fixed point of the bistable cubic w_a [g_L].
    pub w_a: f64,
    /// High fixed point of the bistable cubic w_P [g_L]; the threshold is (w_a + w_P)/2.
    pub w_p: f64,
    /// Magnitude of the cubic term at w̃ = w_P/4; sets P (docs/model.md §5.4: 0.1 → P ≈ 17.067).
    pub cubic_norm: f64,
    /// P11 sliding-threshold target rate κ [Hz].
    pub kappa_hz: f64,
    /// P11 homeostatic trace time constant τ_hom [s].
    pub tau_hom_s: f64,
    /// P11 initial rate estimate ν̄ [Hz] (2 Hz in the original, an artefact kept for fidelity).
    pub nu_bar_init_hz: f64,
}

/// Globally modulated inhibitory plasticity on I→E (docs/model.md §6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InhibitoryParams {
    /// Inhibitory learning rate η_I.
    pub eta: f64,
    /// Target E population rate γ [Hz].
    pub target_rate_hz: f64,
    /// Time constant of the global rate estimate H [s].
    pub tau_h_s: f64,
    /// Inhibitory presynaptic trace time constant [ms].
    pub tau_pre_ms: f64,
    /// Constant depression per presynaptic spike ζ [g_L].
    pub zeta: f64,
    /// Upper I→E weight bound [g_L].
    pub w_max: f64,
}

/// Poisson input layer (docs/model.md §8.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputParams {
    /// Background rate of every input unit at all times [Hz].
    pub background_hz: f64,
    /// Which drawing of the shapes and cues the protocol shows (docs/model.md §8.3): the
    /// original publication's, pixel for pixel (`original`), or Engram's smooth procedural
    /// stand-ins (`smooth`).
    #[serde(default)]
    pub shapes: ShapeSet,
}

/// Emulations of the original implementation's numerics (docs/model.md §15.18): not features
/// of the model, off in every preset; they exist to measure how much the artefacts matter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emulation {
    /// Keep the P11 homeostatic trace h in single precision, stepped each step as Auryn's
    /// EulerTrace does (decay factor rounded to 1 − 3·2⁻²⁴, every product rounded).
    #[serde(default)]
    pub homeostat_f32: bool,
    /// Deliver the E spikes' STP efficacies as an Auryn 0.8 run on this many MPI processes
    /// does (E→E and E→I read each other's and other neurons' efficacies); 1: off.
    #[serde(default = "one")]
    pub stp_mixup_processes: usize,
}

fn one() -> usize {
    1
}

impl Default for Emulation {
    /// Everything off: the faithful model.
    fn default() -> Self {
        Emulation { homeostat_f32: false, stp_mixup_processes: 1 }
    }
}

/// The live assembly read-out (docs/model.md §10.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Readout {
    /// Presentations of each shape the assembly tracker averages over (the most recent ones).
    /// The paper's protocol shows each shape hundreds of times; a short protocol needs fewer,
    /// or the naive network's first responses stay in the average. Read when a session starts.
    #[serde(default = "twenty")]
    pub assembly_presentations: usize,
}

fn twenty() -> usize {
    20
}

impl Default for Readout {
    /// The last 20 presentations of each shape.
    fn default() -> Self {
        Readout { assembly_presentations: twenty() }
    }
}

/// Switches for each mechanism, for ablations and teaching (docs/model.md §14.1 controls).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(clippy::struct_excessive_bools, reason = "one switch per plasticity mechanism, as in presets")]
pub struct Mechanisms {
    /// Master switch: all weight changes and consolidation.
    pub plasticity: bool,
    /// Triplet LTP and pair LTD of the excitatory rule.
    pub stdp: bool,
    /// Heterosynaptic term (β); off is the same as β = 0.
    pub heterosynaptic: bool,
    /// Transmitter-induced term (δ); off is the same as δ = 0.
    pub transmitter: bool,
    /// Consolidation of w̃.
    pub consolidation: bool,
    /// Inhibitory plasticity on I→E.
    pub inhibitory: bool,
    /// Short-term plasticity; off transmits every spike with efficacy 1, like the static
    /// projections of the original.
    pub stp: bool,
}

/// One phase of the protocol (docs/model.md §10): a stimulus schedule on the continuing network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Phase length [s].
    pub duration_s: f64,
    /// Patterns presented.
    pub patterns: PatternSet,
    /// Mean stimulus duration T_on [s]; durations are Normal(T_on, T_on/3) clipped at 0.
    pub t_on_s: f64,
    /// Mean inter-stimulus interval T_off [s]; intervals are Exponential(T_off).
    pub t_off_s: f64,
    /// Extra rate of pattern pixels while a stimulus is on [Hz].
    pub stimulus_hz: f64,
    /// Delay from the phase start to the first onset [s].
    pub first_onset_s: f64,
}

/// The three phases: init (assemblies form), learn, cued recall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub init: Phase,
    pub learn: Phase,
    pub recall: Phase,
}

/// Names of the protocol phases, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseName {
    Init,
    Learn,
    Recall,
}

impl PhaseName {
    pub const ALL: [PhaseName; 3] = [PhaseName::Init, PhaseName::Learn, PhaseName::Recall];

    pub fn as_str(self) -> &'static str {
        match self {
            PhaseName::Init => "init",
            PhaseName::Learn => "learn",
            PhaseName::Recall => "recall",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl Protocol {
    pub fn phase(&self, name: PhaseName) -> &Phase {
        match name {
            PhaseName::Init => &self.init,
            PhaseName::Learn => &self.learn,
            PhaseName::Recall => &self.recall,
        }
    }
}

/// Range checks: every number finite and within [lo, hi]; the error names the dotted field.
struct Check<'a> {
    section: &'a str,
}

impl Check<'_> {
    fn range(&self, field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
        if !v.is_finite() {
            return Err(Error::param(format!("{}.{field}", self.section), "must be a finite number"));
        }
        if v < lo || v > hi {
            let (v, lo, hi) = (short(v), short(lo), short(hi));
            return Err(Error::param(format!("{}.{field}", self.section), format!("{v} is outside [{lo}, {hi}]")));
        }
        Ok(())
    }

    fn positive(&self, field: &str, v: f64, hi: f64) -> Result<()> {
        self.range(field, v, 0.0, hi)?;
        if v <= 0.0 {
            return Err(Error::param(format!("{}.{field}", self.section), "must be > 0"));
        }
        Ok(())
    }

    fn count(&self, field: &str, v: usize, lo: usize, hi: usize) -> Result<()> {
        if v < lo || v > hi {
            return Err(Error::param(format!("{}.{field}", self.section), format!("{v} is outside [{lo}, {hi}]")));
        }
        Ok(())
    }
}

/// A number for an error message: as written (`0.05`, `1800`) unless that is long (`5e-324`
/// prints 320 digits as a decimal), then in scientific notation.
fn short(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() <= 16 { plain } else { format!("{v:e}") }
}

impl Params {
    /// Checks every field; the first problem is returned naming its dotted path
    /// (e.g. `plasticity.beta`).
    #[expect(clippy::too_many_lines, reason = "one check per field, in preset order")]
    pub fn validate(&self) -> Result<()> {
        let n = &self.network;
        let c = Check { section: "network" };
        // u16 post indices in the synapse arrays bound every population at 65 536.
        c.count("n_e", n.n_e, 2, 65_536)?;
        c.count("n_i", n.n_i, 2, 65_536)?;
        c.count("input_side", n.input_side, 1, 256)?;
        c.positive("p_conn", n.p_conn, 1.0)?;
        c.range("rf_radius", n.rf_radius, 0.0, n.input_side as f64)?;
        for (f, v) in [("xi", n.xi), ("w_ee", n.w_ee), ("w_ei", n.w_ei), ("w_ii", n.w_ii), ("w_ie", n.w_ie)] {
            c.range(f, v, 0.0, 100.0)?;
        }
        c.count("delay_steps", n.delay_steps, 1, 1000)?;
        // Bound memory (and the u32 synapse indices) before anything is allocated.
        let largest = n.n_e.max(n.n_i) as f64;
        let expected = largest * largest * n.p_conn;
        if expected > MAX_SYNAPSES_PER_PROJECTION {
            return Err(Error::param(
                "network.p_conn",
                format!(
                    "{expected:.3e} synapses in one projection exceed the limit of {MAX_SYNAPSES_PER_PROJECTION:.0e}"
                ),
            ));
        }
        for (section, p) in [("neuron_e", &self.neuron_e), ("neuron_i", &self.neuron_i)] {
            let c = Check { section };
            for (f, v) in [
                ("tau_m_ms", p.tau_m_ms),
                ("tau_theta_ms", p.tau_theta_ms),
                ("tau_ampa_ms", p.tau_ampa_ms),
                ("tau_nmda_ms", p.tau_nmda_ms),
                ("tau_gaba_ms", p.tau_gaba_ms),
                ("tau_adapt1_ms", p.tau_adapt1_ms),
                ("tau_adapt2_ms", p.tau_adapt2_ms),
            ] {
                // Forward Euler on V needs τ ≫ dt; 1 ms keeps dt/τ ≤ 0.1.
                c.range(f, v, 1.0, 1e7)?;
            }
            for (f, v) in [
                ("e_leak_mv", p.e_leak_mv),
                ("v_reset_mv", p.v_reset_mv),
                ("e_exc_mv", p.e_exc_mv),
                ("e_inh_mv", p.e_inh_mv),
                ("theta_rest_mv", p.theta_rest_mv),
                ("v_min_mv", p.v_min_mv),
                ("v_max_mv", p.v_max_mv),
            ] {
                c.range(f, v, -200.0, 200.0)?;
            }
            c.range("theta_jump_mv", p.theta_jump_mv, 0.0, 1000.0)?;
            c.range("ampa_nmda_ratio", p.ampa_nmda_ratio, 0.0, 1e6)?;
            c.range("adapt1_jump", p.adapt1_jump, 0.0, 100.0)?;
            c.range("adapt2_jump", p.adapt2_jump, 0.0, 100.0)?;
            if p.v_min_mv >= p.v_max_mv {
                return Err(Error::param(format!("{section}.v_min_mv"), "must be below v_max_mv"));
            }
        }
        let c = Check { section: "stp" };
        c.positive("u", self.stp.u, 1.0)?;
        c.range("tau_d_s", self.stp.tau_d_s, 0.001, 1e4)?;
        c.range("tau_f_s", self.stp.tau_f_s, 0.001, 1e4)?;
        let p = &self.plasticity;
        let c = Check { section: "plasticity" };
        c.range("eta", p.eta, 0.0, 1.0)?;
        c.range("delta", p.delta, 0.0, 1.0)?;
        c.range("beta", p.beta, 0.0, 100.0)?;
        c.range("tau_plus_ms", p.tau_plus_ms, 0.1, 1e5)?;
        c.range("tau_minus_ms", p.tau_minus_ms, 0.1, 1e5)?;
        c.range("tau_slow_ms", p.tau_slow_ms, 0.1, 1e5)?;
        c.positive("w_max", p.w_max, 1000.0)?;
        c.range("tau_cons_s", p.tau_cons_s, 1.0, 1e9)?;
        c.range("cons_interval_s", p.cons_interval_s, 0.001, 1e5)?;
        if p.cons_interval_s > p.tau_cons_s {
            return Err(Error::param("plasticity.cons_interval_s", "must not exceed tau_cons_s (Euler step)"));
        }
        c.range("w_a", p.w_a, 0.0, p.w_max)?;
        c.range("w_p", p.w_p, 0.0, p.w_max)?;
        if p.w_p <= p.w_a {
            return Err(Error::param("plasticity.w_p", "must be above w_a"));
        }
        c.range("cubic_norm", p.cubic_norm, 0.0, 100.0)?;
        // After cubic_norm's own check, so that a non-finite cubic_norm is blamed on itself.
        if !p.cubic_p().is_finite() {
            return Err(Error::param("plasticity.w_p", "too small: the consolidation strength P would not be finite"));
        }
        c.positive("kappa_hz", p.kappa_hz, 1000.0)?;
        c.range("tau_hom_s", p.tau_hom_s, 0.1, 1e7)?;
        c.range("nu_bar_init_hz", p.nu_bar_init_hz, 0.0, 1000.0)?;
        let q = &self.inhibitory;
        let c = Check { section: "inhibitory" };
        c.range("eta", q.eta, 0.0, 1.0)?;
        c.positive("target_rate_hz", q.target_rate_hz, 1000.0)?;
        c.range("tau_h_s", q.tau_h_s, 0.01, 1e6)?;
        c.range("tau_pre_ms", q.tau_pre_ms, 0.1, 1e5)?;
        c.range("zeta", q.zeta, 0.0, 1.0)?;
        c.positive("w_max", q.w_max, 1000.0)?;
        // Per-step spike probability rate·dt must stay below 1.
        let c = Check { section: "input" };
        c.range("background_hz", self.input.background_hz, 0.0, 1000.0)?;
        for name in PhaseName::ALL {
            let ph = self.protocol.phase(name);
            let section = format!("protocol.{}", name.as_str());
            let c = Check { section: &section };
            c.range("duration_s", ph.duration_s, 0.0, 1e7)?;
            c.range("t_on_s", ph.t_on_s, 0.0, 1e5)?;
            c.range("t_off_s", ph.t_off_s, 0.0, 1e5)?;
            c.range("stimulus_hz", ph.stimulus_hz, 0.0, 1000.0)?;
            c.range("first_onset_s", ph.first_onset_s, 0.0, 1e7)?;
            if self.input.background_hz + ph.stimulus_hz > 5000.0 {
                return Err(Error::param(format!("{section}.stimulus_hz"), "background + stimulus must be ≤ 5000 Hz"));
            }
        }
        let c = Check { section: "emulation" };
        c.count("stp_mixup_processes", self.emulation.stp_mixup_processes, 1, 64)?;
        let c = Check { section: "readout" };
        c.count("assembly_presentations", self.readout.assembly_presentations, 1, 10_000)?;
        Ok(())
    }

    /// Number of input units.
    pub fn n_input(&self) -> usize {
        self.network.input_side * self.network.input_side
    }
}

/// Per-step constants of a neuron population, computed once from [`NeuronParams`].
#[derive(Clone, Debug)]
pub struct NeuronDerived {
    pub decay_ampa: f32,
    pub decay_gaba: f32,
    pub decay_a1: f32,
    pub decay_a2: f32,
    pub decay_theta: f32,
    /// NMDA Euler factor m = dt/τ_NMDA.
    pub nmda_m: f32,
    /// dt/τ_m.
    pub dt_over_tau: f32,
    pub a_ampa: f32,
    pub a_nmda: f32,
    pub e_leak: f32,
    pub e_exc: f32,
    pub e_inh: f32,
    pub v_reset: f32,
    pub theta_rest: f32,
    pub theta_jump: f32,
    pub adapt1_jump: f32,
    pub adapt2_jump: f32,
    pub v_min: f32,
    pub v_max: f32,
}

/// Exact per-step decay factor e^(−dt/τ) for τ in ms.
pub fn decay(tau_ms: f64) -> f64 {
    (-DT_MS / tau_ms).exp()
}

impl NeuronDerived {
    pub fn new(p: &NeuronParams) -> Self {
        let r = p.ampa_nmda_ratio;
        NeuronDerived {
            decay_ampa: decay(p.tau_ampa_ms) as f32,
            decay_gaba: decay(p.tau_gaba_ms) as f32,
            decay_a1: decay(p.tau_adapt1_ms) as f32,
            decay_a2: decay(p.tau_adapt2_ms) as f32,
            decay_theta: decay(p.tau_theta_ms) as f32,
            nmda_m: (DT_MS / p.tau_nmda_ms) as f32,
            dt_over_tau: (DT_MS / p.tau_m_ms) as f32,
            a_ampa: (r / (1.0 + r)) as f32,
            a_nmda: (1.0 / (1.0 + r)) as f32,
            e_leak: p.e_leak_mv as f32,
            e_exc: p.e_exc_mv as f32,
            e_inh: p.e_inh_mv as f32,
            v_reset: p.v_reset_mv as f32,
            theta_rest: p.theta_rest_mv as f32,
            theta_jump: p.theta_jump_mv as f32,
            adapt1_jump: p.adapt1_jump as f32,
            adapt2_jump: p.adapt2_jump as f32,
            v_min: p.v_min_mv as f32,
            v_max: p.v_max_mv as f32,
        }
    }
}

impl PlasticityParams {
    /// Strength P of the consolidation cubic, normalised so that |cubic| = `cubic_norm` at
    /// w̃ = w_P/4 (docs/model.md §5.4).
    pub fn cubic_p(&self) -> f64 {
        let (wa, wp) = (self.w_a, self.w_p);
        let wb = 0.5 * (wa + wp);
        let x = wp / 4.0;
        let denom = (x - wa) * (x - wb) * (x - wp);
        if denom == 0.0 { 0.0 } else { self.cubic_norm / denom }
    }

    /// Consolidation threshold w_b = (w_a + w_P)/2.
    pub fn w_b(&self) -> f64 {
        0.5 * (self.w_a + self.w_p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_messages_stay_short() {
        // Found by tests/fuzz_parsers.rs: 5e-324 was printed as a 320-digit decimal.
        let c = Check { section: "s" };
        let e = c.range("f", 5e-324, 0.01, 1e6).unwrap_err().to_string();
        assert_eq!(e, "invalid parameter `s.f`: 5e-324 is outside [0.01, 1000000]");
        let e = c.range("f", -1e300, 0.0, 1e7).unwrap_err().to_string();
        assert_eq!(e, "invalid parameter `s.f`: -1e300 is outside [0, 10000000]");
        let e = c.count("n", 0, 2, 65_536).unwrap_err().to_string();
        assert_eq!(e, "invalid parameter `s.n`: 0 is outside [2, 65536]");
    }

    #[test]
    fn tiny_w_p_whose_cubic_overflows_is_refused() {
        // Found by tests/fuzz_parsers.rs: w_p = 1e-105 passed validation, but the cubic's
        // normalisation divides by ~w_p³, which underflows to a subnormal: P = inf.
        let mut p = crate::io::preset::default_params();
        p.plasticity.w_a = 0.0;
        p.plasticity.w_p = 1e-105;
        assert!(p.plasticity.cubic_p().is_infinite());
        let e = p.validate().unwrap_err().to_string();
        assert!(e.starts_with("invalid parameter `plasticity.w_p`: too small"), "{e}");
        p.plasticity.w_p = 1e-3;
        p.validate().unwrap();
    }
}
