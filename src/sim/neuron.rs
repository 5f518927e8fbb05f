//! Conductance-based LIF populations with a dynamic threshold and spike-triggered adaptation
//! (docs/model.md §2), stored as struct-of-arrays.

use super::params::NeuronDerived;
use super::simd::avx2_dispatch;

/// State of one population; every vector has one entry per neuron.
///
/// Conductances are in units of g_L, voltages and thresholds in mV.
#[derive(Clone, Debug, PartialEq)]
pub struct Neurons {
    /// Membrane potential V [mV].
    pub v: Vec<f32>,
    /// AMPA conductance [g_L]; synaptic input adds here.
    pub g_ampa: Vec<f32>,
    /// NMDA conductance [g_L]: low-pass filtered copy of g_AMPA (unit DC gain).
    pub g_nmda: Vec<f32>,
    /// GABA conductance [g_L]; inhibitory input adds here.
    pub g_gaba: Vec<f32>,
    /// Fast adaptation conductance [g_L] (reversal E_inh).
    pub g_a1: Vec<f32>,
    /// Slow adaptation conductance [g_L].
    pub g_a2: Vec<f32>,
    /// Threshold offset θ above θ_rest [mV].
    pub theta: Vec<f32>,
    /// Indices of the neurons that spiked in the last [`Neurons::evolve`], ascending.
    pub spikes: Vec<u32>,
}

/// The state variables of [`Neurons`] with their names, as references (`mut` for mutable ones).
macro_rules! neuron_variables {
    ($n:expr, $($m:tt)?) => {
        [
            ("v", &$($m)? $n.v),
            ("g_ampa", &$($m)? $n.g_ampa),
            ("g_nmda", &$($m)? $n.g_nmda),
            ("g_gaba", &$($m)? $n.g_gaba),
            ("g_a1", &$($m)? $n.g_a1),
            ("g_a2", &$($m)? $n.g_a2),
            ("theta", &$($m)? $n.theta),
        ]
    };
}

impl Neurons {
    /// `n` neurons at rest (docs/model.md §2.1: V = E_L, conductances 0, θ = 0).
    pub fn new(n: usize, e_leak: f32) -> Self {
        Neurons {
            v: vec![e_leak; n],
            g_ampa: vec![0.0; n],
            g_nmda: vec![0.0; n],
            g_gaba: vec![0.0; n],
            g_a1: vec![0.0; n],
            g_a2: vec![0.0; n],
            theta: vec![0.0; n],
            spikes: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.v.len()
    }

    /// Every state variable with its name, for checks, messages and snapshots that go over all
    /// of them (the one list of them, with [`Neurons::variables_mut`]).
    pub fn variables(&self) -> [(&'static str, &Vec<f32>); 7] {
        neuron_variables!(self,)
    }

    /// [`Neurons::variables`], mutably.
    pub fn variables_mut(&mut self) -> [(&'static str, &mut Vec<f32>); 7] {
        neuron_variables!(self, mut)
    }

    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// All neurons as slices, for [`evolve`].
    pub fn slices(&mut self) -> (NeuronSlices<'_>, &mut Vec<u32>) {
        let s = NeuronSlices {
            v: &mut self.v,
            g_ampa: &mut self.g_ampa,
            g_nmda: &mut self.g_nmda,
            g_gaba: &mut self.g_gaba,
            g_a1: &mut self.g_a1,
            g_a2: &mut self.g_a2,
            theta: &mut self.theta,
        };
        (s, &mut self.spikes)
    }

    /// One step of dt for the whole population (see [`evolve`]); spikes are left in `self.spikes`.
    pub fn evolve(&mut self, d: &NeuronDerived) {
        let (s, spikes) = self.slices();
        spikes.clear();
        evolve(s, 0, d, spikes);
    }
}

/// The state of a contiguous range of neurons (one partition's share of a population).
pub struct NeuronSlices<'a> {
    pub v: &'a mut [f32],
    pub g_ampa: &'a mut [f32],
    pub g_nmda: &'a mut [f32],
    pub g_gaba: &'a mut [f32],
    pub g_a1: &'a mut [f32],
    pub g_a2: &'a mut [f32],
    pub theta: &'a mut [f32],
}

avx2_dispatch!(
    /// One step of dt, in the order of docs/model.md §2.1 (used for E and, unified, for I — docs/model.md §2.2
    /// allows it; the orders differ by O(dt/τ)):
    /// 1. decay AMPA, GABA and adaptation conductances;
    /// 2. NMDA filter `g_N ← (g_N + m·g_A)(1 − m)` with the *updated* g_A (Auryn's two Euler adds);
    /// 3. decay θ;
    /// 4. forward-Euler step of V from the updated conductances;
    /// 5. clip V to [v_min, v_max];
    ///
    /// then, tile by tile after 1–5, the threshold test `V > θ_rest + θ` with reset (V ← V_reset,
    /// θ ← θ_jump, adaptation jumps). The indices (plus `offset`, the range's first neuron) of the
    /// neurons that fired are appended to `spikes` in ascending order.
    ///
    /// On x86-64 CPUs with AVX2 the same code runs 8 neurons per instruction instead of 4, with
    /// bit-identical results (see [`super::simd`]).
    pub fn evolve(s: NeuronSlices<'_>, offset: u32, d: &NeuronDerived, spikes: &mut Vec<u32>) => evolve_body
);

/// Neurons per tile of [`evolve_body`]: the update pass leaves a tile's state (7 KiB) in L1 for
/// the threshold test that follows it; larger tiles spend fewer instructions per neuron on
/// starting the vector loop (64: 7.1, 256: 6.0, counted with callgrind).
const TILE: usize = 256;

#[inline(always)]
#[expect(
    clippy::needless_pass_by_value,
    reason = "the slices are this call's; the AVX2 dispatch passes them on by value"
)]
fn evolve_body(s: NeuronSlices<'_>, offset: u32, d: &NeuronDerived, spikes: &mut Vec<u32>) {
    let n = s.v.len();
    let (v, ga, gn, gg) = (&mut s.v[..n], &mut s.g_ampa[..n], &mut s.g_nmda[..n], &mut s.g_gaba[..n]);
    let (a1, a2, th) = (&mut s.g_a1[..n], &mut s.g_a2[..n], &mut s.theta[..n]);
    for start in (0..n).step_by(TILE) {
        let r = start..n.min(start + TILE);
        let (v, th) = (&mut v[r.clone()], &mut th[r.clone()]);
        let (a1, a2) = (&mut a1[r.clone()], &mut a2[r.clone()]);
        if update(v, &mut ga[r.clone()], &mut gn[r.clone()], &mut gg[r.clone()], a1, a2, th, d) > 0 {
            threshold(v, th, a1, a2, offset + start as u32, d, spikes);
        }
    }
}

/// Steps 1–5 of [`evolve`] for one tile; returns how many of its neurons are above threshold
/// (counted in the same vector loop, so the tiles without a spike, ~90 % in the full network,
/// skip the test).
#[inline(always)]
#[expect(clippy::too_many_arguments, reason = "the seven state arrays of one tile")]
fn update(
    v: &mut [f32],
    ga: &mut [f32],
    gn: &mut [f32],
    gg: &mut [f32],
    a1: &mut [f32],
    a2: &mut [f32],
    th: &mut [f32],
    d: &NeuronDerived,
) -> u32 {
    let n = v.len();
    let (ga, gn, gg, a1, a2, th) = (&mut ga[..n], &mut gn[..n], &mut gg[..n], &mut a1[..n], &mut a2[..n], &mut th[..n]);
    let one_m = 1.0 - d.nmda_m;
    let mut above = 0;
    // Straight loop over equal-length slices: auto-vectorises.
    for k in 0..n {
        let g_a = ga[k] * d.decay_ampa;
        let g_g = gg[k] * d.decay_gaba;
        let ad1 = a1[k] * d.decay_a1;
        let ad2 = a2[k] * d.decay_a2;
        let g_n = (gn[k] + d.nmda_m * g_a) * one_m;
        ga[k] = g_a;
        gg[k] = g_g;
        a1[k] = ad1;
        a2[k] = ad2;
        gn[k] = g_n;
        let t = th[k] * d.decay_theta;
        th[k] = t;
        let vk = v[k];
        let g_exc = d.a_ampa * g_a + d.a_nmda * g_n;
        let dv = g_exc * (d.e_exc - vk) + (g_g + ad1 + ad2) * (d.e_inh - vk) + (d.e_leak - vk);
        let vn = (vk + d.dt_over_tau * dv).clamp(d.v_min, d.v_max);
        v[k] = vn;
        above += u32::from(vn > d.theta_rest + t);
    }
    above
}

/// Magnitude below which a decaying quantity is set to 0 (docs/model.md §15.17): conductances
/// [g_L], adaptation [g_L], the threshold offset [mV] and stored traces decay exponentially
/// between inputs and would otherwise become subnormal floats, on which x86 CPUs take a
/// microcode assist of about a hundred cycles per operation — without this, most of the
/// neuron update's time in the full network. A value of 10⁻³⁰ moves V by less than 10⁻²⁸ mV,
/// far below the resolution of V near −70 mV in f32 (10⁻⁵ mV).
pub(crate) const FLUSH: f32 = 1e-30;

/// Steps between [`flush_tiny`] passes: even the fastest decay (θ, τ = 2 ms, a factor 0.951
/// per step) takes a value from [`FLUSH`] down to the subnormal range (< 1.2·10⁻³⁸) in no
/// fewer than 370 steps, so a pass every 256 steps keeps every value normal or 0.
pub const FLUSH_EVERY: u64 = 256;

/// `x`, or 0 if its magnitude is below [`FLUSH`] (a NaN stays NaN).
#[inline(always)]
pub(crate) fn flush(x: f32) -> f32 {
    if x.abs() < FLUSH { 0.0 } else { x }
}

/// Sets the decaying variables (conductances, adaptation, θ) of a range of neurons that are
/// below [`FLUSH`] to 0; run every [`FLUSH_EVERY`] steps, a pass outside the update loop so
/// that loop stays as it is.
pub fn flush_tiny(s: NeuronSlices<'_>) {
    for x in [s.g_ampa, s.g_nmda, s.g_gaba, s.g_a1, s.g_a2, s.theta] {
        for v in x.iter_mut() {
            *v = flush(*v);
        }
    }
}

/// The threshold test `V > θ_rest + θ` of one tile, with reset, appending the indices (plus
/// `offset`) of the neurons that fire, in order; blocks of 8 get one bit mask each (a vector
/// compare). Called only for tiles where [`update`] counted a neuron above threshold.
#[inline(always)]
fn threshold(
    v: &mut [f32],
    th: &mut [f32],
    a1: &mut [f32],
    a2: &mut [f32],
    offset: u32,
    d: &NeuronDerived,
    spikes: &mut Vec<u32>,
) {
    let thr = d.theta_rest;
    let mut base = 0;
    while base < v.len() {
        let m = v.len().min(base + 8);
        let mut mask = above(&v[base..m], &th[base..m], thr);
        while mask != 0 {
            let k = base + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            spikes.push(offset + k as u32);
            v[k] = d.v_reset;
            th[k] = d.theta_jump;
            a1[k] += d.adapt1_jump;
            a2[k] += d.adapt2_jump;
        }
        base = m;
    }
}

/// Bit k set where `v[k] > thr + th[k]`, for up to 8 neurons.
#[inline(always)]
fn above(v: &[f32], th: &[f32], thr: f32) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if let (Ok(v), Ok(th)) = (<&[f32; 8]>::try_from(v), <&[f32; 8]>::try_from(th)) {
        use std::arch::x86_64::{_mm_add_ps, _mm_cmpgt_ps, _mm_loadu_ps, _mm_movemask_ps, _mm_set1_ps};
        // SAFETY: SSE is part of the x86-64 baseline; the loads read 2 × 4 floats of 8-float arrays.
        unsafe {
            let t = _mm_set1_ps(thr);
            let lo = _mm_cmpgt_ps(_mm_loadu_ps(v.as_ptr()), _mm_add_ps(t, _mm_loadu_ps(th.as_ptr())));
            let hi = _mm_cmpgt_ps(_mm_loadu_ps(v.as_ptr().add(4)), _mm_add_ps(t, _mm_loadu_ps(th.as_ptr().add(4))));
            return (_mm_movemask_ps(lo) | _mm_movemask_ps(hi) << 4) as u32;
        }
    }
    let mut mask = 0;
    for (k, (&v, &t)) in v.iter().zip(th).enumerate() {
        mask |= u32::from(v > thr + t) << k;
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::preset;
    use crate::sim::params::{NeuronDerived, NeuronParams};

    /// Values below 10⁻³⁰ become 0, the rest (and a NaN, for the health check) stay; the
    /// voltage is not touched.
    #[test]
    fn flush_tiny_zeroes_what_has_decayed_to_nothing() {
        let mut n = Neurons::new(5, -70.0);
        let vals = [0.0, 1e-31, 2e-30, f32::NAN, 5.0];
        for (_, v) in n.variables_mut() {
            v.copy_from_slice(&vals);
        }
        let (s, _) = n.slices();
        flush_tiny(s);
        for (name, v) in n.variables() {
            let want: &[f32] = if name == "v" { &vals } else { &[0.0, 0.0, 2e-30, f32::NAN, 5.0] };
            let bits = |x: &[f32]| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(v), bits(want), "{name}");
        }
    }

    fn e_params() -> NeuronParams {
        preset::default_params().neuron_e
    }

    /// Analytic steady state of τ dV/dt = (E_L − V) + g_e(E_exc − V) + g_i(E_inh − V):
    /// V∞ = (E_L + g_e E_exc + g_i E_inh) / (1 + g_e + g_i).
    fn v_inf(g_e: f64, g_i: f64) -> f64 {
        (-70.0 + g_e * 0.0 + g_i * -80.0) / (1.0 + g_e + g_i)
    }

    /// Holds the conductances constant by re-setting them each step (AMPA = NMDA = g so that
    /// g_exc = g, as at the NMDA filter's fixed point) and returns V after `steps`.
    fn clamp_run(p: &NeuronParams, g_e: f32, g_i: f32, steps: usize) -> Neurons {
        let d = NeuronDerived::new(p);
        let mut n = Neurons::new(1, -70.0);
        for _ in 0..steps {
            // Pre-compensate the decay applied at the start of the step.
            n.g_ampa[0] = g_e / d.decay_ampa;
            n.g_nmda[0] = g_e;
            n.g_gaba[0] = g_i / d.decay_gaba;
            n.evolve(&d);
        }
        n
    }

    #[test]
    fn e_neuron_settles_at_analytic_steady_state() {
        let p = e_params();
        // Subthreshold combinations: V∞ = −70/1.5 ≈ −46.7 would cross −50, so stay below.
        for (g_e, g_i) in [(0.2, 0.0), (0.3, 0.5), (0.1, 1.0)] {
            let n = clamp_run(&p, g_e, g_i, 3000); // 300 ms = 15 τ_m
            let want = v_inf(g_e as f64, g_i as f64);
            // NMDA re-filters the clamped value once per step: g_exc is g·(1 ± O(m²)).
            assert!((n.v[0] as f64 - want).abs() < 0.02, "g_e {g_e} g_i {g_i}: V {} vs {want}", n.v[0]);
            assert!(n.spikes.is_empty());
        }
    }

    #[test]
    fn threshold_jumps_to_theta_jump_and_decays_with_tau_theta() {
        let p = e_params();
        let d = NeuronDerived::new(&p);
        let mut n = Neurons::new(1, -70.0);
        n.v[0] = -45.0;
        n.evolve(&d);
        assert_eq!(n.spikes, vec![0]);
        assert_eq!(n.v[0], -70.0);
        assert_eq!(n.theta[0], 100.0);
        // The adaptation jump of 0.1 g_L is applied once.
        assert!((n.g_a1[0] - 0.1).abs() < 1e-7);
        // θ(t) = 100 e^(−t/τ_θ): after 50 steps (5 ms = τ_θ) it is 100/e.
        for _ in 0..50 {
            n.evolve(&d);
        }
        let want = 100.0 * (-1.0f64).exp();
        assert!((n.theta[0] as f64 - want).abs() < 1e-3, "θ {} vs {want}", n.theta[0]);
        // Adaptation decays with τ_a = 100 ms: after 5 ms, 0.1·e^(−0.05).
        let want_a = 0.1 * (-0.05f64).exp();
        assert!((n.g_a1[0] as f64 - want_a).abs() < 1e-6);
    }

    #[test]
    fn refractoriness_comes_from_the_threshold_only() {
        // Hold V at 0 mV before each step: the leak brings it to 0 + (dt/τ_m)(−70) = −0.35 mV, and
        // the neuron fires again at the first step k after a spike with −0.35 > −50 + 100 e^(−k dt/τ_θ),
        // i.e. k = ⌈(τ_θ/dt) ln(100 / 49.65)⌉ = ⌈35.01⌉ = 36 steps (close to τ_θ ln 2 = 3.47 ms).
        let p = e_params();
        let d = NeuronDerived::new(&p);
        let mut n = Neurons::new(1, -70.0);
        let mut times = Vec::new();
        for t in 0..200 {
            n.v[0] = 0.0; // saturating drive
            n.g_a1[0] = 0.0;
            n.evolve(&d);
            if !n.spikes.is_empty() {
                times.push(t);
            }
        }
        assert!(times.len() >= 3);
        let k = (50.0 * (100.0f64 / 49.65).ln()).ceil() as usize;
        assert_eq!(k, 36);
        assert_eq!(times[2] - times[1], k);
        assert_eq!(times[1] - times[0], k);
    }

    #[test]
    fn adaptation_conductance_lowers_the_steady_state() {
        // g_a1 has reversal E_inh: with g_a1 held at 0.5 and no synaptic input
        // V∞ = (−70 + 0.5·(−80)) / 1.5 = −73.33 mV, but V is clipped at −80 so it is reachable.
        let p = e_params();
        let d = NeuronDerived::new(&p);
        let mut n = Neurons::new(1, -70.0);
        for _ in 0..3000 {
            n.g_a1[0] = 0.5 / d.decay_a1;
            n.evolve(&d);
        }
        assert!((n.v[0] as f64 - (-110.0 / 1.5)).abs() < 0.01, "V {}", n.v[0]);
    }

    /// The vector threshold mask over full blocks of 8, a partial block and a second tile: exactly
    /// the neurons put above threshold fire, in order; one left exactly at threshold does not.
    #[test]
    fn exactly_the_neurons_above_threshold_fire_in_order() {
        let p = e_params();
        let d = NeuronDerived::new(&p);
        let n = TILE + 20;
        let mut pop = Neurons::new(n, -70.0);
        // With θ = 0 and no conductances V moves by (dt/τ_m)(E_L − V) = −0.35 mV from 0 mV in
        // the step: far above θ_rest = −50 mV.
        let fire = [0, 7, 8, 15, 19, TILE - 1, TILE, TILE + 17, n - 1];
        for &k in &fire {
            pop.v[k] = 0.0;
        }
        pop.v[3] = -60.0;
        pop.theta[3] = 0.0;
        pop.v[12] = -30.0;
        pop.theta[12] = 100.0; // θ decays to ~98 in the step: still far above V
        pop.evolve(&d);
        let want: Vec<u32> = fire.iter().map(|&k| k as u32).collect();
        assert_eq!(pop.spikes, want);
        for &k in &fire {
            assert_eq!((pop.v[k], pop.theta[k]), (d.v_reset, d.theta_jump));
        }
        assert!(pop.v[12] > -31.0);
        // The test is strict: V exactly at θ_rest + θ does not fire; NaN never does.
        let (v, th) =
            ([-50.0, -49.5, -50.0, f32::NAN, 1.0, -60.0, -50.0, -40.0], [0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 10.0]);
        assert_eq!(above(&v, &th, -50.0), 0b0001_0110);
        assert_eq!(above(&v[..5], &th[..5], -50.0), 0b1_0110);
    }

    #[test]
    fn voltage_is_clipped() {
        let p = e_params();
        let d = NeuronDerived::new(&p);
        let mut n = Neurons::new(1, -70.0);
        n.g_gaba[0] = 1e6;
        n.evolve(&d);
        assert_eq!(n.v[0], -80.0);
    }

    #[test]
    fn i_neuron_steady_state_and_no_adaptation() {
        let p = preset::default_params().neuron_i;
        let d = NeuronDerived::new(&p);
        assert!((d.a_ampa as f64 - 0.3 / 1.3).abs() < 1e-7);
        let n = clamp_run(&p, 0.25, 0.2, 3000);
        let want = v_inf(0.25, 0.2);
        assert!((n.v[0] as f64 - want).abs() < 0.02, "V {} vs {want}", n.v[0]);
        let mut n = Neurons::new(1, -70.0);
        n.v[0] = -40.0;
        n.evolve(&d);
        assert_eq!(n.spikes, vec![0]);
        assert_eq!(n.g_a1[0], 0.0);
        assert_eq!(n.theta[0], 100.0);
    }
}
