//! Synaptic plasticity as small pure functions (docs/model.md §4–§6), called per synapse by the step and
//! directly by the unit tests.

use super::decay::DecayTable;

/// Tsodyks–Markram short-term plasticity state, one (x, u) per presynaptic neuron (docs/model.md §4),
/// kept event-driven. Between spikes x relaxes to 1 and u to U by forward Euler, as in the
/// original: per step 1 − x ← (1 − x)(1 − dt/τ_d) and u − U ← (u − U)(1 − dt/τ_f), so after n
/// steps 1 − x = (1 − x₀)(1 − dt/τ_d)ⁿ — a closed form, applied when the neuron next spikes
/// (the only time x and u are read) instead of relaxing every unit every step. The powers
/// come from [`DecayTable`]; values agree with step-by-step relaxation to a few ulp.
#[derive(Clone, Debug)]
pub struct Stp {
    /// Available resources x ∈ [0, 1] just after each unit's last spike.
    pub x: Vec<f32>,
    /// Utilisation u ∈ [U, 1] just after each unit's last spike.
    pub u: Vec<f32>,
    /// Step of each unit's last spike (x and u are from before that step's relaxation); 0, with
    /// x and u at rest, before any.
    pub t: Vec<u64>,
    /// Per-step constants (U, dt/τ_d, dt/τ_f).
    pub c: StpConst,
    /// (1 − dt/τ_d)ⁿ and (1 − dt/τ_f)ⁿ.
    recover: DecayTable,
    relax_u: DecayTable,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StpConst {
    /// Utilisation increment and resting value U.
    pub u0: f32,
    /// dt/τ_d.
    pub kd: f32,
    /// dt/τ_f.
    pub kf: f32,
}

impl StpConst {
    pub fn new(u0: f64, tau_d_s: f64, tau_f_s: f64) -> Self {
        let dt_s = super::params::DT_MS * 1e-3;
        StpConst { u0: u0 as f32, kd: (dt_s / tau_d_s) as f32, kf: (dt_s / tau_f_s) as f32 }
    }
}

impl Stp {
    /// `n` presynaptic neurons at rest (x = 1, u = U).
    pub fn new(n: usize, c: StpConst) -> Self {
        Stp {
            x: vec![1.0; n],
            u: vec![c.u0; n],
            t: vec![0; n],
            c,
            recover: DecayTable::new(1.0 - c.kd as f64),
            relax_u: DecayTable::new(1.0 - c.kf as f64),
        }
    }

    /// (x, u) of unit j at the end of step s − 1 (s ≥ its last spike): relaxed s − t_j times.
    #[inline]
    pub fn at(&self, j: usize, s: u64) -> (f32, f32) {
        let n = s.saturating_sub(self.t[j]);
        let u0 = self.c.u0;
        (1.0 - (1.0 - self.x[j]) * self.recover.get(n), u0 + (self.u[j] - u0) * self.relax_u.get(n))
    }

    /// A spike of j at step s: returns the efficacy e = x⁻u⁻ carried by the spike (x and u
    /// relaxed to the end of step s − 1), then depletes (x ← x − u x) and facilitates
    /// (u ← u + U(1 − u)). The efficacy uses u *before* the jump.
    #[inline]
    pub fn fire(&mut self, j: usize, s: u64) -> f32 {
        let (x, u) = self.at(j, s);
        let e = x * u;
        self.x[j] = x - e;
        self.u[j] = u + self.c.u0 * (1.0 - u);
        self.t[j] = s;
        e
    }

    /// Brings every unit to the end of step s − 1 under the current constants, as if it had
    /// spiked at s without a jump: call before the constants change, or when the relaxation
    /// stops or restarts (STP switched off or on), so the change applies from step s on.
    pub fn rebase(&mut self, s: u64) {
        for j in 0..self.x.len() {
            (self.x[j], self.u[j]) = self.at(j, s);
            self.t[j] = s;
        }
    }

    /// New constants from step s on (see [`Stp::rebase`]).
    pub fn set_const(&mut self, c: StpConst, s: u64) {
        if c != self.c {
            self.rebase(s);
            let fresh = Stp::new(0, c);
            (self.c, self.recover, self.relax_u) = (c, fresh.recover, fresh.relax_u);
        }
    }
}

/// Excitatory rule at a presynaptic spike arrival (docs/model.md §5.2): `w ← max(0, w − ltd + δ)`,
/// where `ltd` is the LTD amplitude of [`ltd`] for the postsynaptic neuron.
#[inline]
pub fn exc_pre(w: f32, ltd: f32, delta: f32) -> f32 {
    (w - ltd + delta).max(0.0)
}

/// LTD amplitude of the excitatory rule (docs/model.md §5.2) from `b_y` = B·y_i: B·y_i for P10
/// (`nu_ratio` = None), B·y_i·(ν̄_i/κ)² for P11 with `nu_ratio` = ν̄_i/κ.
#[inline]
pub fn ltd(b_y: f32, nu_ratio: Option<f32>) -> f32 {
    match nu_ratio {
        None => b_y,
        Some(r) => b_y * r * r,
    }
}

/// The factors of the postsynaptic update of a spiking neuron (docs/model.md §5.3), from its
/// traces y_i and z_i just before the spike: LTP A·z_i (multiplied by x_j per synapse) and
/// the heterosynaptic β·y_i³.
#[inline]
pub fn post_factors(a: f32, beta: f32, y: f32, z: f32) -> (f32, f32) {
    (a * z, beta * y * y * y)
}

/// Excitatory rule at a postsynaptic spike (docs/model.md §5.3):
/// `w ← clip(w + A·z_i·x_j − β·y_i³·(w − w̃), 0, w_max)`, with `ltp` = A·z_i·x_j and
/// `het` = β·y_i³ from [`post_factors`].
#[inline]
pub fn exc_post(w: f32, w_tilde: f32, ltp: f32, het: f32, w_max: f32) -> f32 {
    (w + ltp - het * (w - w_tilde)).clamp(0.0, w_max)
}

/// Constants of the consolidation step (docs/model.md §5.4).
#[derive(Clone, Copy, Debug)]
pub struct Consolidation {
    /// Euler factor Δt/τ_cons (10⁻³ for 1.2 s / 1200 s).
    pub k: f64,
    /// Cubic strength P.
    pub p: f64,
    pub w_a: f64,
    pub w_b: f64,
    pub w_p: f64,
}

impl Consolidation {
    /// One Euler step of τ_cons dw̃/dt = (w − w̃) − P(w̃ − w_a)(w̃ − w_b)(w̃ − w_P).
    /// Computed in f64: the increments (≈10⁻⁴) are far above f32 resolution of w̃ ≤ 5, but the
    /// cubic's cancellations near the fixed points are not.
    #[inline]
    pub fn step(&self, w: f32, w_tilde: f32) -> f32 {
        let (w, wt) = (w as f64, w_tilde as f64);
        let cubic = self.p * (wt - self.w_a) * (wt - self.w_b) * (wt - self.w_p);
        (wt + self.k * ((w - wt) - cubic)) as f32
    }

    /// Applies one step to every synapse.
    pub fn sweep(&self, w: &[f32], w_tilde: &mut [f32]) {
        for (wt, &w) in w_tilde.iter_mut().zip(w) {
            *wt = self.step(w, *wt);
        }
    }
}

/// Modulation G = η_I (H/(γ N_E) − 1) of the inhibitory rule (docs/model.md §6); H estimates N_E × the
/// E population rate [Hz].
#[inline]
pub fn inh_modulation(eta_i: f64, h: f64, target_hz: f64, n_e: usize) -> f64 {
    eta_i * (h / (target_hz * n_e as f64) - 1.0)
}

/// Inhibitory rule at an I spike arrival: `w ← max(0, w + G(y_i + 1) − ζ)`.
#[inline]
pub fn inh_pre(w: f32, g: f32, y_post: f32, zeta: f32) -> f32 {
    (w + g * (y_post + 1.0) - zeta).max(0.0)
}

/// Inhibitory rule at a postsynaptic E spike: `w ← min(w_max, w + G·x_k)`, also floored at 0:
/// weights are non-negative (docs/model.md §3) and G < 0 when E fires below target.
#[inline]
pub fn inh_post(w: f32, g: f32, x_pre: f32, w_max: f32) -> f32 {
    (w + g * x_pre).clamp(0.0, w_max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::preset;
    use crate::sim::rng::{Stream, StreamId};

    fn cons() -> Consolidation {
        let p = preset::default_params().plasticity;
        Consolidation { k: p.cons_interval_s / p.tau_cons_s, p: p.cubic_p(), w_a: p.w_a, w_b: p.w_b(), w_p: p.w_p }
    }

    #[test]
    fn cubic_strength_is_17_067() {
        // Spec §5.4: P = 0.1 / [(0.125 − 0)(0.125 − 0.25)(0.125 − 0.5)] = 0.1 / 0.005859375.
        assert!((cons().p - 17.0667).abs() < 1e-3);
    }

    /// Seconds until w̃ (from `wt0`, w held at `w`) first exceeds `target`, or None within `max_s`.
    fn time_to_cross(w: f32, wt0: f32, target: f32, max_s: f64) -> Option<f64> {
        let c = cons();
        let mut wt = wt0;
        let mut t = 0.0;
        while t < max_s {
            wt = c.step(w, wt);
            t += 1.2;
            if wt > target {
                return Some(t);
            }
        }
        None
    }

    fn settle(w: f32, wt0: f32) -> f32 {
        let c = cons();
        let mut wt = wt0;
        for _ in 0..200_000 {
            wt = c.step(w, wt);
        }
        wt
    }

    #[test]
    fn consolidation_threshold_near_0_25() {
        // Spec §5.4: from the low state w̃ escapes only if w > 0.2516; from the high state it
        // falls only if w < 0.2484. At w = 0.25 the fixed points are 0.1875, 0.25 (unstable) and
        // 0.3125 (roots of (w − w̃) = P w̃ (w̃ − 0.25)(w̃ − 0.5), by hand); at w = 0.253 only
        // ≈ 0.328 remains, at w = 0.247 only ≈ 0.172.
        assert!((settle(0.2500, 0.0) - 0.1875).abs() < 1e-3, "w = 0.250 should stay low");
        assert!((settle(0.2500, 0.5) - 0.3125).abs() < 1e-3, "w = 0.250 should stay high");
        assert!((settle(0.2530, 0.0) - 0.328).abs() < 2e-3, "w = 0.253 should consolidate");
        assert!((settle(0.2470, 0.5) - 0.172).abs() < 2e-3, "w = 0.247 should fall from high");
    }

    #[test]
    fn held_at_half_crosses_threshold_after_about_1000_s() {
        let t = time_to_cross(0.5, 0.0, 0.25, 5000.0).unwrap();
        assert!((900.0..1100.0).contains(&t), "crossed 0.25 after {t} s");
    }

    #[test]
    fn held_at_one_settles_at_0_61() {
        let wt = settle(1.0, 0.0);
        assert!((wt - 0.61).abs() < 0.01, "w̃ settled at {wt}");
    }

    #[test]
    fn excitatory_pre_update_adds_delta_and_floors() {
        // Transmitter-induced term alone: +δ per presynaptic spike.
        let mut w = 0.1f32;
        for _ in 0..1000 {
            w = exc_pre(w, 0.0, 2e-5);
        }
        assert!((w - 0.12).abs() < 1e-5);
        assert_eq!(exc_pre(0.001, 0.01, 2e-5), 0.0);
    }

    #[test]
    fn heterosynaptic_term_pulls_toward_w_tilde() {
        // Only the heterosynaptic term: w − w̃ shrinks by the factor (1 − β y³) per post spike.
        let (wt, het) = (0.6f32, 0.05 * 2.0f32.powi(3));
        let mut w = 1.5f32;
        for _ in 0..10 {
            w = exc_post(w, wt, 0.0, het, 5.0);
        }
        let want = 0.6 + 0.9 * (1.0 - 0.4f32).powi(10);
        assert!((w - want).abs() < 1e-5, "{w} vs {want}");
        let mut w = 0.1f32;
        for _ in 0..10 {
            w = exc_post(w, wt, 0.0, het, 5.0);
        }
        assert!((w - (0.6 - 0.5 * 0.6f32.powi(10))).abs() < 1e-5);
    }

    #[test]
    fn ltd_amplitude_p10_and_p11_by_hand() {
        // P10: B·y. P11: B·y·(ν̄/κ)²; ν̄ = 5 Hz, κ = 10 Hz → factor 0.25; ν̄ = κ → P10.
        assert_eq!(ltd(0.002, None), 0.002);
        assert!((ltd(0.002, Some(0.5)) - 0.0005).abs() < 1e-10);
        assert_eq!(ltd(0.002, Some(1.0)), 0.002);
        // A·z = 1e-3·2 and β·y³ = 0.05·1.5³ = 0.16875.
        let (az, het) = post_factors(1e-3, 0.05, 1.5, 2.0);
        assert!((az - 2e-3).abs() < 1e-10 && (het - 0.16875).abs() < 1e-7);
    }

    #[test]
    fn post_update_clamps_to_bounds() {
        assert_eq!(exc_post(4.99, 0.0, 0.5, 0.0, 5.0), 5.0);
        assert_eq!(exc_post(0.1, 0.0, 0.0, 20.0, 5.0), 0.0);
    }

    #[test]
    fn stp_first_spike_and_recovery() {
        let c = StpConst::new(0.2, 0.15, 0.6);
        let mut s = Stp::new(1, c);
        assert!((s.fire(0, 10) - 0.2).abs() < 1e-7);
        // After: x = 0.8, u = 0.2 + 0.2·0.8 = 0.36; a spike in the same step would carry 0.8·0.36.
        assert!((s.x[0] - 0.8).abs() < 1e-7 && (s.u[0] - 0.36).abs() < 1e-7);
        assert!((s.fire(0, 10) - 0.288).abs() < 1e-6);
        // Recovery: 1 − x decays with τ_d (Euler per step ≈ exact to O(dt/τ)).
        let gap = 1.0 - s.x[0];
        let want = 1.0 - gap * (-1.0f32).exp();
        let (x, _) = s.at(0, 10 + 1500);
        assert!((x - want).abs() < 1e-3, "{x} vs {want}");
    }

    /// The closed form against the original's per-step Euler relaxation, iterated by hand in
    /// f64, over a train with gaps from 1 to 20 000 steps.
    #[test]
    fn stp_closed_form_equals_per_step_relaxation() {
        let c = StpConst::new(0.2, 0.2, 0.6);
        let mut s = Stp::new(1, c);
        let (kd, kf, u0) = (c.kd as f64, c.kf as f64, c.u0 as f64);
        let (mut x, mut u) = (1.0f64, u0);
        let spikes = [5u64, 6, 40, 41, 42, 900, 3000, 23_000];
        for step in 0..23_001u64 {
            if spikes.contains(&step) {
                let want = x * u;
                let got = s.fire(0, step) as f64;
                assert!((got - want).abs() < 1e-5 * want, "step {step}: {got} vs {want}");
                x -= want;
                u += u0 * (1.0 - u);
            }
            x += (1.0 - x) * kd;
            u += (u0 - u) * kf;
        }
        // Rebasing keeps the values and so the next efficacy.
        let mut r = s.clone();
        r.rebase(24_000);
        assert!((r.fire(0, 25_000) - s.fire(0, 25_000)).abs() < 1e-6);
    }

    /// Mean efficacy per spike of a Poisson train at `rate`, simulated per step.
    fn mean_efficacy(rate: f64, tau_d: f64, seconds: f64, seed: u64) -> f64 {
        let mut s = Stp::new(1, StpConst::new(0.2, tau_d, 0.6));
        let mut rng = Stream::new(seed, StreamId::User);
        let p = rate * 1e-4;
        let (mut sum, mut n) = (0.0, 0u64);
        for step in 0..(seconds * 1e4) as u64 {
            if rng.uniform() < p {
                sum += s.fire(0, step) as f64;
                n += 1;
            }
        }
        sum / n as f64
    }

    #[test]
    fn stp_mean_efficacy_matches_the_model_table() {
        // Spec §4 table (derived for Poisson trains, this convention).
        let rates = [1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0];
        let tab =
            [(0.2, [0.26, 0.30, 0.32, 0.27, 0.19, 0.14, 0.10]), (0.15, [0.27, 0.31, 0.35, 0.32, 0.23, 0.18, 0.13])];
        for (tau_d, want) in tab {
            for (k, (&r, &w)) in rates.iter().zip(want.iter()).enumerate() {
                // ≥ 4000 spikes per rate keeps the sampling error ≲ 1 %.
                let secs = (4000.0f64 / r).max(200.0);
                let got = mean_efficacy(r, tau_d, secs, 11 + k as u64);
                // Table entries are given to two decimals: allow rounding plus 4 %.
                assert!((got - w).abs() <= 0.005 + 0.04 * w, "τ_d {tau_d} rate {r}: {got:.4} vs {w}");
            }
        }
    }

    #[test]
    fn inhibitory_rule_sign_follows_rate_vs_target() {
        let (eta, target, n) = (2e-5, 4.0, 4096);
        let g_hi = inh_modulation(eta, 6.0 * n as f64, target, n) as f32;
        let g_lo = inh_modulation(eta, 2.0 * n as f64, target, n) as f32;
        let g_eq = inh_modulation(eta, 4.0 * n as f64, target, n) as f32;
        assert!((g_hi - 1e-5).abs() < 1e-10 && (g_lo + 1e-5).abs() < 1e-10 && g_eq == 0.0);
        assert!(inh_pre(0.2, g_hi, 0.5, 0.0) > 0.2 && inh_post(0.2, g_hi, 0.5, 5.0) > 0.2);
        assert!(inh_pre(0.2, g_lo, 0.5, 0.0) < 0.2 && inh_post(0.2, g_lo, 0.5, 5.0) < 0.2);
        // Pre update: w + G(y + 1): exactly 0.2 + 1e-5·1.5.
        assert!((inh_pre(0.2, g_hi, 0.5, 0.0) - 0.200015).abs() < 1e-7);
        assert_eq!(inh_post(0.0, g_lo, 1.0, 5.0), 0.0);
        assert_eq!(inh_post(4.99999, 1.0, 1.0, 5.0), 5.0);
    }
}
