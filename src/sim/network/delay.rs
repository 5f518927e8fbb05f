//! Spikes in flight between emission and arrival (docs/model.md §3, §11).

/// A ring of `delay + 1` slots, each holding the spikes one population emitted in one step and
/// the STP efficacy each carries. Slot k holds the spikes of the steps t with
/// t mod (delay + 1) = k.
#[derive(Clone, Debug)]
pub(super) struct DelayLine {
    pub delay: usize,
    pub ids: Vec<Vec<u32>>,
    pub eff: Vec<Vec<f32>>,
}

impl DelayLine {
    pub fn new(delay: usize) -> Self {
        DelayLine { delay, ids: vec![Vec::new(); delay + 1], eff: vec![Vec::new(); delay + 1] }
    }

    /// Slot of the spikes emitted at step t.
    pub fn slot(&self, t: u64) -> usize {
        (t % self.ids.len() as u64) as usize
    }

    /// Slot of the spikes emitted at t − delay, arriving at t.
    pub fn arriving(&self, t: u64) -> usize {
        self.slot(t + self.ids.len() as u64 - self.delay as u64)
    }

    /// The ids arriving at step t and the efficacy each carries.
    pub fn arrivals(&self, t: u64) -> (&[u32], &[f32]) {
        let s = self.arriving(t);
        (&self.ids[s], &self.eff[s])
    }
}
