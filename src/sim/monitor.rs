//! Observers of a running network: spike hash, binned population rates, weight statistics.
//! Shared by the CLI and the GUI; each is fed by calling `observe` after every step.

use super::network::Network;
use super::params::STEPS_PER_SECOND;

/// FNV-1a hash of every E and I spike (step, population, index): the determinism contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpikeHash(pub u64);

impl Default for SpikeHash {
    fn default() -> Self {
        SpikeHash(0xcbf2_9ce4_8422_2325)
    }
}

impl SpikeHash {
    fn mix(&mut self, x: u64) {
        for b in x.to_le_bytes() {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn observe(&mut self, net: &Network) {
        for (pop, spikes) in [(0u64, &net.e.spikes), (1, &net.i.spikes)] {
            for &k in spikes.iter() {
                self.mix(net.t << 2 | pop);
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
            bins: Vec::new(),
        }
    }

    /// Sets the assemblies whose member rates are recorded from the next bin on (≤ 64).
    pub fn set_assemblies(&mut self, n_e: usize, assemblies: Vec<Vec<u32>>) {
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
        self.counts[0] += net.e.spikes.len() as u64;
        self.counts[1] += net.i.spikes.len() as u64;
        self.counts[2] += net.input.spikes.len() as u64;
        if !self.assembly_counts.is_empty() {
            for &k in &net.e.spikes {
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
                e_hz: rate(self.counts[0], net.e.len()),
                i_hz: rate(self.counts[1], net.i.len()),
                input_hz: rate(self.counts[2], net.input.len()),
                assemblies_hz,
            });
            self.counts = [0; 3];
            self.assembly_counts.iter_mut().for_each(|c| *c = 0);
            self.steps = 0;
        }
    }

    /// Mean E and I rates over the bins ending after `from_s` [Hz].
    pub fn mean_since(&self, from_s: f64) -> (f64, f64) {
        let bins: Vec<_> = self.bins.iter().filter(|b| b.t_s > from_s + 1e-9).collect();
        if bins.is_empty() {
            return (0.0, 0.0);
        }
        let n = bins.len() as f64;
        (bins.iter().map(|b| b.e_hz).sum::<f64>() / n, bins.iter().map(|b| b.i_hz).sum::<f64>() / n)
    }
}
