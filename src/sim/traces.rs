//! Synaptic traces (docs/model.md §5.1) kept without a pass over all neurons per step.
//!
//! Every trace follows v ← (v + spikes)·f per step, f = e^(−dt/τ). Between spikes that is a
//! pure scaling, so each trace is stored scaled from a reference step `base`: v_i at the end
//! of step s is V_i·f^(s + 1 − base). A spike at step t adds f^−(t − base) to V_i, and every
//! `span` steps the scale is folded back into the values (base ← t + 1) so they stay far from
//! overflow (f^−span ≤ e³⁰). This is the per-step recurrence evaluated exactly, with the powers
//! of f from a [`DecayTable`]: values agree with stepping one step at a time to a few ulp.

use std::ops::Range;

use super::decay::DecayTable;
use super::neuron::flush;
use super::params::DT_MS;

/// Steps between foldings for a trace of time constant `tau_ms`: f^span ≥ e⁻³⁰.
pub(crate) fn span(tau_ms: f64) -> u64 {
    ((30.0 * tau_ms / DT_MS).floor() as u64).clamp(1, 10_000)
}

/// A presynaptic trace x_j: incremented by arriving spikes, read by the postsynaptic updates.
#[derive(Clone, Debug, PartialEq)]
pub struct PreTrace {
    /// Scaled values X_j.
    pub x: Vec<f32>,
    /// Reference step of the scale.
    pub base: u64,
}

impl PreTrace {
    pub(crate) fn new(n: usize) -> Self {
        PreTrace { x: vec![0.0; n], base: 0 }
    }

    /// The factor turning X into x as step t reads it, at the end of step t − 1 (t ≥ base).
    #[inline]
    pub(crate) fn scale(&self, t: u64, table: &DecayTable) -> f32 {
        table.get(t - self.base)
    }

    /// x_j at the end of step s.
    pub fn value(&self, j: usize, s: u64, table: &DecayTable) -> f32 {
        self.x[j] * self.scale(s + 1, table)
    }

    /// Arrivals of `ids` at step t (after every read of the values at the end of t − 1): x_j
    /// at the end of t becomes (x_j + 1)·f.
    pub(crate) fn arrive(&mut self, ids: &[u32], t: u64, table: &DecayTable) {
        if ids.is_empty() {
            return;
        }
        // f / f^(t + 1 − base) = 1 / f^(t − base)
        let inc = 1.0 / self.scale(t, table);
        for &j in ids {
            self.x[j as usize] += inc;
        }
    }

    /// Folds the scale into the values as step t reads them: base ← t. Values that fall below
    /// [`flush`]'s threshold become 0 rather than subnormal (a trace long without a spike).
    pub(crate) fn rebase(&mut self, t: u64, table: &DecayTable) {
        let f = self.scale(t, table);
        for x in &mut self.x {
            *x = flush(*x * f);
        }
        self.base = t;
    }
}

/// The decay of the postsynaptic traces: powers of their per-step factors, and the folding
/// period (that of the fastest of the three).
#[derive(Clone, Debug, PartialEq)]
pub struct PostDecay {
    y: DecayTable,
    z: DecayTable,
    /// h's per-step factor, 1 − 1.7·10⁻⁷ for τ_hom = 600 s: its powers are taken in f64.
    h: f64,
    pub span: u64,
}

impl PostDecay {
    /// For time constants τ₋ and τ_slow [ms] and τ_hom [s].
    pub fn new(tau_minus_ms: f64, tau_slow_ms: f64, tau_hom_s: f64) -> Self {
        let f = |tau_ms: f64| (-DT_MS / tau_ms).exp();
        PostDecay {
            y: DecayTable::new(f(tau_minus_ms)),
            z: DecayTable::new(f(tau_slow_ms)),
            h: f(tau_hom_s * 1e3),
            span: span(tau_minus_ms.min(tau_slow_ms).min(tau_hom_s * 1e3)),
        }
    }

    /// The factors f^n of the three traces.
    #[inline]
    pub fn pow(&self, n: u64) -> PostScale {
        // n ≤ span ≤ 10 000.
        PostScale { y: self.y.get(n), z: self.z.get(n), h: self.h.powi(n as i32) }
    }
}

/// Factors turning the scaled postsynaptic traces into values, for one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PostScale {
    pub y: f32,
    pub z: f32,
    pub h: f64,
}

/// The postsynaptic traces of the E neurons: y (τ₋) for LTD and the heterosynaptic term, z
/// (τ_slow) for LTP, and the homeostatic h (τ_hom) with ν̄_i = h_i/τ_hom, all stored scaled
/// from one reference step (see the module documentation). h is f64 so that its values keep
/// the precision they had when it was decayed in f64 each step (docs/model.md §15.8).
#[derive(Clone, Debug, PartialEq)]
pub struct PostTraces {
    pub y: Vec<f32>,
    pub z: Vec<f32>,
    pub h: Vec<f64>,
    /// Reference step of the scales.
    pub base: u64,
}

impl PostTraces {
    /// `n` neurons with y = z = 0 and h = h0.
    pub(crate) fn new(n: usize, h0: f64) -> Self {
        PostTraces { y: vec![0.0; n], z: vec![0.0; n], h: vec![h0; n], base: 0 }
    }

    /// The factors turning the stored values into the traces as step t reads them, at the
    /// end of step t − 1 (t ≥ base).
    #[inline]
    pub fn scale(&self, t: u64, d: &PostDecay) -> PostScale {
        d.pow(t - self.base)
    }

    /// (y_i, z_i, h_i) as step t reads them, at the end of step t − 1.
    pub fn read(&self, i: usize, t: u64, d: &PostDecay) -> (f32, f32, f64) {
        let c = self.scale(t, d);
        (self.y[i] * c.y, self.z[i] * c.z, self.h[i] * c.h)
    }

    /// Whether step t folds scales based at step `base` (see [`PostTraces::spikes`]).
    #[inline]
    fn folds(base: u64, t: u64, d: &PostDecay) -> bool {
        t + 1 - base >= d.span
    }

    /// Step t's spikes of neurons `ids` (after every read of the values at the end of t − 1):
    /// each trace of a spiking neuron becomes (v + 1)·f at the end of t. If t folds, the
    /// neurons `r` are rescaled to base t + 1 ([`PostTraces::rebased`] then moves the base).
    /// Works on the slices `y`, `z`, `h` of neurons `r`, so that partitions can run it on their
    /// own neurons in parallel; `ids` must lie in `r`.
    pub(crate) fn spikes(
        (y, z, h): (&mut [f32], &mut [f32], &mut [f64]),
        r: Range<usize>,
        ids: &[u32],
        base: u64,
        t: u64,
        d: &PostDecay,
    ) {
        if !ids.is_empty() {
            // f / f^(t + 1 − base) = 1 / f^(t − base)
            let c = d.pow(t - base);
            let (iy, iz, ih) = (1.0 / c.y, 1.0 / c.z, 1.0 / c.h);
            for &i in ids {
                let i = i as usize - r.start;
                y[i] += iy;
                z[i] += iz;
                h[i] += ih;
            }
        }
        if Self::folds(base, t, d) {
            fold((y, z, h), d.pow(t + 1 - base));
        }
    }

    /// After every partition's [`PostTraces::spikes`] of step t: moves the base if t folded.
    pub(crate) fn rebased(&mut self, t: u64, d: &PostDecay) {
        if Self::folds(self.base, t, d) {
            self.base = t + 1;
        }
    }

    /// Folds the scales into the values as step t reads them (base ← t), e.g. before a time
    /// constant changes.
    pub(crate) fn rebase(&mut self, t: u64, d: &PostDecay) {
        let c = self.scale(t, d);
        fold((&mut self.y, &mut self.z, &mut self.h), c);
        self.base = t;
    }
}

/// Multiplies scaled post traces by their factors `c` (the folding of a new base).
fn fold((y, z, h): (&mut [f32], &mut [f32], &mut [f64]), c: PostScale) {
    for v in y {
        *v = flush(*v * c.y);
    }
    for v in z {
        *v = flush(*v * c.z);
    }
    for v in h {
        *v *= c.h;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scaled presynaptic trace against the per-step recurrence x ← (x + arrivals)·f run by
    /// hand in f64, through several foldings of the scale (span 500 steps here).
    #[test]
    fn scaled_trace_follows_the_per_step_recurrence() {
        let f = (-0.1f64 / 16.8).exp();
        let table = DecayTable::new(f);
        let span = 500;
        let mut tr = PreTrace::new(2);
        let mut x = 0.0f64;
        let arrivals = [3u64, 4, 40, 41, 499, 500, 501, 900, 2500, 2501];
        for t in 0..3000u64 {
            // Step t reads x at the end of t − 1.
            let seen = (tr.x[1] * tr.scale(t, &table)) as f64;
            assert!((seen - x).abs() <= 1e-5 * x.max(1e-30), "step {t}: {seen} vs {x}");
            let a = arrivals.contains(&t);
            tr.arrive(if a { &[1] } else { &[] }, t, &table);
            if t + 1 - tr.base >= span {
                tr.rebase(t + 1, &table);
            }
            x = (x + if a { 1.0 } else { 0.0 }) * f;
            assert!((tr.value(1, t, &table) as f64 - x).abs() <= 1e-5 * x.max(1e-30));
        }
        assert_eq!(tr.x[0], 0.0);
        assert!(tr.base > 2000);
    }

    /// The scaled postsynaptic traces against y, z, h ← (v + spikes)·e^(−dt/τ) stepped by hand
    /// in f64 (τ₋ = 20 ms, τ_slow = 100 ms, τ_hom = 600 s, h₀ = 1200), through several foldings
    /// (τ₋ = 20 ms folds every 30·τ₋ = 6000 steps), with the neurons split into two partitions
    /// as the network does; neuron 3 never spikes and only decays.
    #[test]
    fn scaled_post_traces_follow_the_per_step_recurrence() {
        let d = PostDecay::new(20.0, 100.0, 600.0);
        assert_eq!(d.span, 6000);
        let f = [(-0.1f64 / 20.0).exp(), (-0.1f64 / 100.0).exp(), (-0.1f64 / 600e3).exp()];
        let mut tr = PostTraces::new(4, 1200.0);
        let mut want = [[0.0f64, 0.0, 1200.0]; 4];
        let parts = [0..2usize, 2..4];
        for t in 0..20_000u64 {
            for (i, want) in want.iter().enumerate() {
                // Step t reads the traces at the end of t − 1.
                let (y, z, h) = tr.read(i, t, &d);
                for (k, (s, &w)) in [y as f64, z as f64, h].into_iter().zip(want).enumerate() {
                    let tol = if k == 2 { 1e-10 } else { 1e-5 } * w.max(1e-30);
                    assert!((s - w).abs() <= tol, "step {t}, neuron {i}, trace {k}: {s} vs {w}");
                }
            }
            // Neuron 0 fires every 7th step, 1 in bursts, 2 rarely, 3 never.
            let fired = |i: usize| match i {
                0 => t % 7 == 0,
                1 => t % 3000 < 40 && t % 2 == 0,
                2 => t == 5999 || t == 6000 || t == 15_000,
                _ => false,
            };
            for r in &parts {
                let ids: Vec<u32> = r.clone().filter(|&i| fired(i)).map(|i| i as u32).collect();
                let (y, z, h) = (&mut tr.y[r.clone()], &mut tr.z[r.clone()], &mut tr.h[r.clone()]);
                PostTraces::spikes((y, z, h), r.clone(), &ids, tr.base, t, &d);
            }
            tr.rebased(t, &d);
            for (i, w) in want.iter_mut().enumerate() {
                let s = if fired(i) { 1.0 } else { 0.0 };
                for (w, f) in w.iter_mut().zip(f) {
                    *w = (*w + s) * f;
                }
            }
        }
        assert_eq!(tr.base, 18_000);
        // Folding at an arbitrary step changes only the representation.
        let before = tr.read(1, 20_000, &d);
        tr.rebase(20_000, &d);
        let after = tr.read(1, 20_000, &d);
        assert!((before.0 - after.0).abs() <= 1e-6 * before.0 && (before.2 - after.2).abs() <= 1e-10 * before.2);
    }
}
