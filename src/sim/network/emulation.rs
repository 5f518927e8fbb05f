//! Emulations of two numerical artefacts of the original implementation (docs/model.md §15.18).
//! They are not part of the model: presets switch them on only to measure how much the
//! artefacts matter. Both are pure functions here, called by the step when switched on.

/// The single-precision homeostatic trace as the original steps it (Auryn's `EulerTrace` in
/// f32): each spike adds 1 (`h ← fl32(h + 1)`), then every value decays by one f32 multiply
/// (`h ← fl32(h · c)`, with c = e^(−dt/τ_hom) rounded to f32). `spikes` are indices into `h`.
/// Each operation rounds, so the per-step chain cannot be taken in one power: it runs every
/// step while the emulation is on.
pub(super) fn hom32_step(h: &mut [f32], spikes: impl Iterator<Item = usize>, decay: f32) {
    for i in spikes {
        h[i] += 1.0;
    }
    for v in h {
        *v *= decay;
    }
}

/// The STP efficacies an Auryn 0.8 run on `processes` MPI processes delivers for one step's E
/// spikes, from their correct efficacies `eff` (one per spike of `ids`, ascending ids): the E
/// neurons are dealt round-robin to processes (neuron s to s mod P); each process packs its
/// spikes' E→E efficacies, then their E→I efficacies, and the exchange concatenates the
/// processes' blocks in order, A = [EE(S₀), EI(S₀), EE(S₁), EI(S₁), …]; the receiving side
/// reads the spike at position p of the exchanged list Q = S₀ ++ S₁ ++ … as E→E efficacy A[p]
/// and E→I efficacy A[n + p]. Engram keeps one STP state per E neuron for both projections,
/// so EE(s) = EI(s) = `eff` of s.
///
/// Returns (E→E, E→I) efficacies in the order of `ids`. Together they hold every efficacy
/// twice, but each on its own generally does not (docs/model.md §15.18).
pub(super) fn mix_efficacies(ids: &[u32], eff: &[f32], processes: usize) -> (Vec<f32>, Vec<f32>) {
    let p = processes.clamp(1, u32::MAX as usize) as u32;
    let n = ids.len();
    // Exchanged order: process by process, ascending within each (ids are ascending).
    let mut q: Vec<usize> = (0..n).collect();
    q.sort_by_key(|&k| ids[k] % p);
    let mut a = Vec::with_capacity(2 * n);
    let mut start = 0;
    while start < n {
        let rank = ids[q[start]] % p;
        let end = start + q[start..].iter().take_while(|&&k| ids[k] % p == rank).count();
        let block = &q[start..end];
        a.extend(block.iter().map(|&k| eff[k]));
        a.extend(block.iter().map(|&k| eff[k]));
        start = end;
    }
    let (mut ee, mut ei) = (vec![0.0; n], vec![0.0; n]);
    for (pos, &k) in q.iter().enumerate() {
        ee[k] = a[pos];
        ei[k] = a[n + pos];
    }
    (ee, ei)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example worked out by hand from the original's exchange code: P = 4, spikes
    /// {0, 1, 3, 4, 6, 7, 8, 11} with e(s) = (s + 1)/100. Exchanged order Q = [0, 4, 8, 1, 6,
    /// 3, 7, 11], A = [.01 .05 .09 .01 .05 .09 | .02 .02 | .07 .07 | .04 .08 .12 .04 .08 .12].
    #[test]
    fn four_processes_by_hand() {
        let ids = [0u32, 1, 3, 4, 6, 7, 8, 11];
        let eff: Vec<f32> = ids.iter().map(|&s| (s + 1) as f32 / 100.0).collect();
        let (ee, ei) = mix_efficacies(&ids, &eff, 4);
        // In Q order: E→E .01 .05 .09 .01 .05 .09 .02 .02, E→I .07 .07 .04 .08 .12 .04 .08 .12.
        let q = [0u32, 4, 8, 1, 6, 3, 7, 11];
        let want_ee = [0.01, 0.05, 0.09, 0.01, 0.05, 0.09, 0.02, 0.02];
        let want_ei = [0.07, 0.07, 0.04, 0.08, 0.12, 0.04, 0.08, 0.12];
        for (p, &s) in q.iter().enumerate() {
            let k = ids.iter().position(|&x| x == s).unwrap();
            assert!((ee[k] - want_ee[p]).abs() < 1e-7 && (ei[k] - want_ei[p]).abs() < 1e-7, "spike {s}");
        }
    }

    /// P = 2, spikes {0, 1, 2, 4, 5}, e(s) = (s + 1)/100: Q = [0, 2, 4, 1, 5];
    /// E→E .01 .03 .05 .01 .03 and E→I .05 .02 .06 .02 .06 in Q order.
    #[test]
    fn two_processes_by_hand() {
        let ids = [0u32, 1, 2, 4, 5];
        let eff: Vec<f32> = ids.iter().map(|&s| (s + 1) as f32 / 100.0).collect();
        let (ee, ei) = mix_efficacies(&ids, &eff, 2);
        // Ascending ids 0, 1, 2, 4, 5 sit at Q positions 0, 3, 1, 2, 4.
        let want_ee = [0.01, 0.01, 0.03, 0.05, 0.03];
        let want_ei = [0.05, 0.02, 0.02, 0.06, 0.06];
        for k in 0..5 {
            assert!((ee[k] - want_ee[k]).abs() < 1e-7 && (ei[k] - want_ei[k]).abs() < 1e-7, "spike {}", ids[k]);
        }
    }

    /// Each step's efficacies reach the targets as a whole: E→E and E→I together carry every
    /// efficacy exactly twice; one process changes nothing.
    #[test]
    fn the_mix_keeps_the_steps_multiset_of_efficacies() {
        let ids: Vec<u32> = (0..97).filter(|s| s % 3 != 1 && s % 7 != 2).collect();
        let eff: Vec<f32> = ids.iter().map(|&s| 0.5 + (s as f32 * 0.37).sin() * 0.4).collect();
        for p in [1, 2, 3, 4, 8] {
            let (ee, ei) = mix_efficacies(&ids, &eff, p);
            let mut got: Vec<u32> = ee.iter().chain(&ei).map(|x| x.to_bits()).collect();
            let mut want: Vec<u32> = eff.iter().chain(&eff).map(|x| x.to_bits()).collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "P = {p}");
            if p == 1 {
                assert_eq!((&ee, &ei), (&eff, &eff));
            }
        }
    }

    /// The f32 recurrence by hand: c = e^(−dt/600 s) rounds to 1 − 3·2⁻²⁴ (bits 0x3F7FFFFD);
    /// from h = 2048 one step gives 2048·c, a spike then adds 1 (2048.99951171875, a tie
    /// rounded to even) and the next step multiplies again; from 1200, 10 000 spike-free steps
    /// lose exactly 10 000·2⁻¹² (two ulp of 2⁻¹¹ per step) where the exact decay loses 2.0.
    #[test]
    fn single_precision_homeostat_known_answers() {
        let c = super::super::derived::Hom32::new(600.0, 10.0).decay;
        assert_eq!(c.to_bits(), 0x3F7F_FFFD);
        let mut h = [2048.0f32];
        hom32_step(&mut h, std::iter::empty(), c);
        // Compared as f64, in which these f32 values are exact.
        assert_eq!(f64::from(h[0]), 2047.9996337890625);
        h[0] += 1.0;
        assert_eq!(f64::from(h[0]), 2048.99951171875);
        hom32_step(&mut h, std::iter::empty(), c);
        assert_eq!(f64::from(h[0]), 2048.9990234375);
        let mut h = [1200.0f32, 3000.0];
        for _ in 0..10_000 {
            hom32_step(&mut h, std::iter::empty(), c);
        }
        assert_eq!(f64::from(h[0]), 1197.55859375);
        // A spike of neuron 1 adds 1 before the decay.
        let mut h = [10.0f32, 10.0];
        hom32_step(&mut h, [1].into_iter(), c);
        assert_eq!((h[0], h[1]), (10.0 * c, 11.0 * c));
    }
}
