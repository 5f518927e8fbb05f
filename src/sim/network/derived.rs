//! The per-step constants derived from [`Params`], recomputed whenever parameters change, so
//! that the step reads factors instead of time constants (docs/architecture.md §3).

use crate::sim::decay::DecayTable;
use crate::sim::params::{NeuronDerived, Params, Rule, STEPS_PER_SECOND, decay};
use crate::sim::plasticity::Consolidation;
use crate::sim::traces::{self, PostDecay};

/// Per-step constants of one [`Params`] (dt = 0.1 ms).
#[derive(Clone, Debug)]
#[expect(clippy::struct_excessive_bools, reason = "one flag per mechanism switch, read by different phases")]
pub(super) struct Derived {
    /// Neuron update factors of E and I (docs/model.md §2).
    pub ne: NeuronDerived,
    pub ni: NeuronDerived,
    /// Powers of e^(−dt/τ₊) and e^(−dt/τ_pre,inh) for the presynaptic traces, and their
    /// folding periods [steps] (see [`crate::sim::traces::PreTrace`]).
    pub plus_table: DecayTable,
    pub inh_pre_table: DecayTable,
    pub plus_span: u64,
    pub inh_pre_span: u64,
    /// Powers of the postsynaptic traces' factors (see [`crate::sim::traces::PostTraces`]).
    pub post: PostDecay,
    /// e^(−dt/τ_H): per-step decay of the global rate estimate H.
    pub decay_h: f64,
    /// 1/τ_H [1/s]: H increment per delivered E spike.
    pub h_increment: f64,
    /// 1/τ_hom [1/s]: converts the homeostatic trace h to a rate ν̄ = h/τ_hom [Hz].
    pub inv_tau_hom: f64,
    pub rule: Rule,
    /// κ [Hz], the P11 sliding threshold's target rate.
    pub kappa_hz: f64,
    /// Excitatory rule amplitudes A (LTP), B (LTD), δ (transmitter) and β (heterosynaptic),
    /// each 0 when its mechanism is off.
    pub a_ltp: f32,
    pub b_ltd: f32,
    pub delta: f32,
    pub beta: f32,
    /// Upper bound of excitatory weights [g_L].
    pub w_max: f32,
    /// Excitatory weights change at all.
    pub exc_plastic: bool,
    pub consolidate: bool,
    pub cons: Consolidation,
    /// Steps between consolidation sweeps (12 000 for 1.2 s).
    pub cons_every: u64,
    pub inh_plastic: bool,
    /// η_I and γ [Hz] of the inhibitory rule's modulation G.
    pub eta_i: f64,
    pub target_hz: f64,
    pub zeta: f32,
    /// Upper bound of inhibitory weights [g_L].
    pub w_max_i: f32,
    pub stp: bool,
    /// The single-precision homeostat emulation, if on (docs/model.md §15.18).
    pub hom32: Option<Hom32>,
    /// Processes of the STP efficacy mix-up emulation; 1: off (docs/model.md §15.18).
    pub stp_mixup: usize,
}

/// Constants of the single-precision homeostatic trace, all in f32 as the original has them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Hom32 {
    /// Per-step factor e^(−dt/τ_hom), computed in f64 and rounded to f32 (1 − 3·2⁻²⁴ for
    /// τ_hom = 600 s).
    pub decay: f32,
    /// τ_hom [s] and κ [Hz] in f32.
    pub tau_s: f32,
    pub kappa_hz: f32,
}

impl Hom32 {
    pub fn new(tau_hom_s: f64, kappa_hz: f64) -> Self {
        let dt_s = crate::sim::params::DT_MS * 1e-3;
        Hom32 {
            decay: (-dt_s / f64::from(tau_hom_s as f32)).exp() as f32,
            tau_s: tau_hom_s as f32,
            kappa_hz: kappa_hz as f32,
        }
    }
}

impl Derived {
    pub fn new(p: &Params) -> Self {
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
            hom32: p.emulation.homeostat_f32.then(|| Hom32::new(pl.tau_hom_s, pl.kappa_hz)),
            stp_mixup: p.emulation.stp_mixup_processes,
        }
    }

    /// The presynaptic trace table and folding period of a population's trace: τ₊ for E and
    /// input units (excitatory rule), τ_pre,inh for I (inhibitory rule).
    pub fn pre_trace(&self, pop: crate::sim::connectivity::Population) -> (&DecayTable, u64) {
        match pop {
            crate::sim::connectivity::Population::I => (&self.inh_pre_table, self.inh_pre_span),
            _ => (&self.plus_table, self.plus_span),
        }
    }
}
