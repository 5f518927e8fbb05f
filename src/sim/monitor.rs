//! Observers of a running network: spike hash, binned population rates, weight statistics.
//! Shared by the CLI and the GUI; each is fed by calling `observe` after every step.

use super::input::Stimulus;
use super::network::Network;
use super::params::STEPS_PER_SECOND;
use super::pattern::Pattern;

/// FNV-1a hash of every E and I spike (step, population, index): the determinism contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpikeHash(pub u64);

/// Offset basis of the 64-bit FNV-1a hash.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Continues a 64-bit FNV-1a hash `hash` (start from [`FNV_OFFSET`]) over `bytes`.
pub fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

impl Default for SpikeHash {
    fn default() -> Self {
        SpikeHash(FNV_OFFSET)
    }
}

impl SpikeHash {
    fn mix(&mut self, x: u64) {
        self.0 = fnv1a(self.0, &x.to_le_bytes());
    }

    pub fn observe(&mut self, net: &Network) {
        for (pop, spikes) in [(0u64, &net.e().spikes), (1, &net.i().spikes)] {
            for &k in spikes {
                self.mix(net.t() << 2 | pop);
                self.mix(k as u64);
            }
        }
    }
}

/// One bin of population rates [Hz].
#[derive(Clone, Debug, PartialEq)]
pub struct RateBin {
    /// End of the bin [s].
    pub t_s: f64,
    pub e_hz: f64,
    pub i_hz: f64,
    pub input_hz: f64,
    /// Mean rate of each assembly's members, if assemblies are set.
    pub assemblies_hz: Vec<f64>,
}

/// Population rates in fixed bins (100 ms, as the original's PopulationRateMonitor and
/// PatternMonitor).
#[derive(Clone, Debug)]
pub struct RateMonitor {
    bin_steps: u64,
    counts: [u64; 3],
    steps: u64,
    /// Membership of each assembly, as member lists.
    assemblies: Vec<Vec<u32>>,
    /// For each E neuron, the assemblies it belongs to (bit mask over at most 64 assemblies).
    member_mask: Vec<u64>,
    assembly_counts: Vec<u64>,
    /// Membership waiting for the current bin to end.
    pending: Option<(usize, Vec<Vec<u32>>)>,
    pub bins: Vec<RateBin>,
}

impl RateMonitor {
    pub fn new(bin_s: f64) -> Self {
        RateMonitor {
            bin_steps: ((bin_s * STEPS_PER_SECOND as f64).round() as u64).max(1),
            counts: [0; 3],
            steps: 0,
            assemblies: Vec::new(),
            member_mask: Vec::new(),
            assembly_counts: Vec::new(),
            pending: None,
            bins: Vec::new(),
        }
    }

    /// Sets the assemblies whose member rates are recorded from the next bin on (≤ 64).
    ///
    /// Takes effect at the next bin boundary, so no bin mixes two memberships.
    pub fn set_assemblies(&mut self, n_e: usize, assemblies: Vec<Vec<u32>>) {
        if self.steps == 0 {
            self.apply_assemblies(n_e, assemblies);
        } else {
            self.pending = Some((n_e, assemblies));
        }
    }

    fn apply_assemblies(&mut self, n_e: usize, assemblies: Vec<Vec<u32>>) {
        self.member_mask = vec![0; n_e];
        for (a, members) in assemblies.iter().enumerate().take(64) {
            for &m in members {
                if let Some(mask) = self.member_mask.get_mut(m as usize) {
                    *mask |= 1 << a;
                }
            }
        }
        self.assembly_counts = vec![0; assemblies.len().min(64)];
        self.assemblies = assemblies;
    }

    pub fn observe(&mut self, net: &Network) {
        self.counts[0] += net.e().spikes.len() as u64;
        self.counts[1] += net.i().spikes.len() as u64;
        self.counts[2] += net.input().spikes.len() as u64;
        if !self.assembly_counts.is_empty() {
            for &k in &net.e().spikes {
                let mut m = self.member_mask[k as usize];
                while m != 0 {
                    self.assembly_counts[m.trailing_zeros() as usize] += 1;
                    m &= m - 1;
                }
            }
        }
        self.steps += 1;
        if self.steps == self.bin_steps {
            let secs = self.steps as f64 / STEPS_PER_SECOND as f64;
            let rate = |c: u64, n: usize| if n == 0 { 0.0 } else { c as f64 / (n as f64 * secs) };
            let assemblies_hz =
                self.assembly_counts.iter().zip(&self.assemblies).map(|(&c, m)| rate(c, m.len())).collect();
            self.bins.push(RateBin {
                t_s: net.time_s(),
                e_hz: rate(self.counts[0], net.e().len()),
                i_hz: rate(self.counts[1], net.i().len()),
                input_hz: rate(self.counts[2], net.input().len()),
                assemblies_hz,
            });
            self.counts = [0; 3];
            self.assembly_counts.iter_mut().for_each(|c| *c = 0);
            if let Some((n_e, a)) = self.pending.take() {
                self.apply_assemblies(n_e, a);
            }
            self.steps = 0;
        }
    }

    /// Mean E and I rates over the bins ending after `from_s` [Hz].
    pub fn mean_since(&self, from_s: f64) -> (f64, f64) {
        mean_rates_since(&self.bins, from_s)
    }
}

/// Mean E and I rates over the `bins` ending after `from_s` [Hz]; (0, 0) if there are none.
pub fn mean_rates_since(bins: &[RateBin], from_s: f64) -> (f64, f64) {
    let bins: Vec<_> = bins.iter().filter(|b| b.t_s > from_s + 1e-9).collect();
    if bins.is_empty() {
        return (0.0, 0.0);
    }
    let n = bins.len() as f64;
    (bins.iter().map(|b| b.e_hz).sum::<f64>() / n, bins.iter().map(|b| b.i_hz).sum::<f64>() / n)
}

/// One completed probe: every E neuron's spike count in the first `probe_s` of a presentation
/// of pattern `shape` (an index into the tracker's names).
#[derive(Clone, Copy, Debug)]
pub struct Probe<'a> {
    pub shape: usize,
    /// Onset of the presentation [s].
    pub onset_s: f64,
    /// Length of the probe [s].
    pub probe_s: f64,
    pub counts: &'a [u16],
}

/// Live assembly detection (docs/model.md §10.1): for every shape, each E neuron's mean rate in the first
/// 0.5 s of the shape's presentations that last at least 0.5 s, over a sliding window of the
/// shape's most recent presentations; the assembly is the neurons above 10 Hz. Neurons may
/// belong to several assemblies. The original computes this once, over a late window of
/// phase 1; the sliding window gives the same read-out live.
#[derive(Clone, Debug)]
pub struct AssemblyTracker {
    names: Vec<String>,
    window: usize,
    probe_steps: u64,
    threshold_hz: f64,
    /// Spike counts per E neuron of the presentation being probed: (shape, onset, counts).
    current: Option<(usize, u64, Vec<u16>)>,
    /// Per shape, the counts of its last `window` complete probes, oldest first.
    history: Vec<std::collections::VecDeque<Vec<u16>>>,
}

impl AssemblyTracker {
    /// Tracks the patterns named `names` (stimuli with other names are ignored).
    pub fn new(names: Vec<String>, window: usize, probe_s: f64, threshold_hz: f64) -> Self {
        let history = vec![std::collections::VecDeque::new(); names.len()];
        AssemblyTracker {
            names,
            window: window.max(1),
            probe_steps: ((probe_s * STEPS_PER_SECOND as f64).round() as u64).max(1),
            threshold_hz,
            current: None,
            history,
        }
    }

    /// The settings of docs/model.md §10.1 for the four built-in shapes: 0.5 s probe, 10 Hz
    /// threshold, and a window of the last `presentations` presentations of each shape.
    pub fn for_shapes(presentations: usize) -> Self {
        let names = super::shapes::SHAPE_NAMES.iter().map(std::string::ToString::to_string).collect();
        Self::new(names, presentations, 0.5, 10.0)
    }

    /// One step of `net` (see [`AssemblyTracker::observe_step`]).
    pub fn observe(&mut self, net: &Network) -> Option<Probe<'_>> {
        self.observe_step(net.t() - 1, net.input().stimulus.as_ref(), &net.e().spikes, net.e().len())
    }

    /// One step: `step` is the step just computed, `e_spikes` the E neurons that fired in it.
    /// Returns the probe completed by this step, if any.
    pub fn observe_step(
        &mut self,
        step: u64,
        stimulus: Option<&Stimulus>,
        e_spikes: &[u32],
        n_e: usize,
    ) -> Option<Probe<'_>> {
        if let Some(s) = stimulus
            && s.onset == step
            && s.offset - s.onset >= self.probe_steps
            && let Some(k) = self.names.iter().position(|n| *n == s.name)
        {
            self.current = Some((k, s.onset, vec![0; n_e]));
        }
        let (_, onset, counts) = self.current.as_mut()?;
        for &n in e_spikes {
            if let Some(c) = counts.get_mut(n as usize) {
                *c = c.saturating_add(1);
            }
        }
        if step + 1 < *onset + self.probe_steps {
            return None;
        }
        let (k, onset, counts) = self.current.take()?;
        let h = &mut self.history[k];
        h.push_back(counts);
        if h.len() > self.window {
            h.pop_front();
        }
        let probe_s = self.probe_steps as f64 / STEPS_PER_SECOND as f64;
        Some(Probe { shape: k, onset_s: onset as f64 / STEPS_PER_SECOND as f64, probe_s, counts: h.back()? })
    }

    /// Number of complete probes currently held for each pattern.
    pub fn presentations(&self) -> Vec<usize> {
        self.history.iter().map(std::collections::VecDeque::len).collect()
    }

    /// True once every tracked pattern has at least one complete probe.
    pub fn ready(&self) -> bool {
        self.history.iter().all(|h| !h.is_empty())
    }

    /// The assemblies: for each pattern, the E neurons above threshold with their mean rate
    /// [Hz] as the value (the layout of the original's rf1.pat).
    pub fn assemblies(&self) -> Vec<Pattern> {
        let probe_s = self.probe_steps as f64 / STEPS_PER_SECOND as f64;
        self.names
            .iter()
            .zip(&self.history)
            .map(|(name, h)| {
                let mut p = Pattern { name: name.clone(), indices: Vec::new(), values: Vec::new() };
                let Some(first) = h.front() else { return p };
                for n in 0..first.len() {
                    let total: u64 = h.iter().map(|c| c[n] as u64).sum();
                    let rate = total as f64 / (h.len() as f64 * probe_s);
                    if rate > self.threshold_hz {
                        p.indices.push(n as u32);
                        p.values.push(rate as f32);
                    }
                }
                p
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stim(name: &str, onset: u64, secs: f64) -> Stimulus {
        let offset = onset + (secs * STEPS_PER_SECOND as f64) as u64;
        Stimulus { name: name.into(), pattern: None, pixels: vec![], onset, offset }
    }

    /// Synthetic spikes: during "a" neuron 0 fires at steps 0, 400, …, 4800 of the probe (13 spikes
    /// in 0.5 s = 26 Hz) and neuron 1 at 0, 2000, 4000 (6 Hz); during "b" neuron 2 at 0, 800, …,
    /// 4800 (7 spikes = 14 Hz). Short and
    /// unknown stimuli are ignored, and only the first 0.5 s of a presentation counts.
    #[test]
    fn assemblies_are_neurons_above_10_hz_in_first_half_second() {
        let mut tr = AssemblyTracker::new(vec!["a".into(), "b".into()], 2, 0.5, 10.0);
        let mut t = 0u64;
        let mut present = |tr: &mut AssemblyTracker, name: &str, secs: f64, fire: &dyn Fn(u64) -> Vec<u32>| {
            let s = stim(name, t, secs);
            for k in 0..(secs * 1e4) as u64 {
                tr.observe_step(t + k, Some(&s), &fire(k), 4);
            }
            t += (secs * 1e4) as u64 + 100;
        };
        let fire_a = |k: u64| {
            let mut v = vec![];
            if k.is_multiple_of(400) {
                v.push(0);
            }
            if k.is_multiple_of(2000) {
                v.push(1);
            }
            // Neuron 3 fires at 100 Hz but only after the 0.5 s probe.
            if k >= 5000 && k.is_multiple_of(100) {
                v.push(3);
            }
            v
        };
        let fire_b = |k: u64| if k.is_multiple_of(800) { vec![2] } else { vec![] };
        present(&mut tr, "a", 1.0, &fire_a);
        assert!(!tr.ready());
        present(&mut tr, "b", 0.3, &fire_b); // too short: ignored
        present(&mut tr, "other", 1.0, &fire_b); // not tracked
        assert_eq!(tr.presentations(), vec![1, 0]);
        present(&mut tr, "b", 0.6, &fire_b);
        assert!(tr.ready());
        let a = tr.assemblies();
        assert_eq!(a[0].indices, vec![0]);
        assert!((a[0].values[0] - 26.0).abs() < 1e-4, "{}", a[0].values[0]);
        assert_eq!(a[1].indices, vec![2]);
        assert!((a[1].values[0] - 14.0).abs() < 1e-4);
        // Sliding window of 2: two silent presentations of "a" empty its assembly.
        present(&mut tr, "a", 1.0, &|_| vec![]);
        assert_eq!(tr.assemblies()[0].indices, vec![0]); // mean 13 Hz over the window
        present(&mut tr, "a", 1.0, &|_| vec![]);
        assert!(tr.assemblies()[0].indices.is_empty());
        assert_eq!(tr.presentations(), vec![2, 1]);
    }
}
