//! Spikes in flight between emission and arrival (docs/model.md §3, §11).

/// A ring of `delay + 1` slots, each holding the spikes one population emitted in one step and
/// the STP efficacy each carries. Slot k holds the spikes of the steps t with
/// t mod (delay + 1) = k.
#[derive(Clone, Debug)]
pub(super) struct DelayLine {
    pub delay: usize,
    pub ids: Vec<Vec<u32>>,
    pub eff: Vec<Vec<f32>>,
    /// With the STP mix-up emulation (docs/model.md §15.18), the efficacies E→I delivers,
    /// one per spike; empty otherwise (E→I then delivers `eff` like E→E).
    pub mixed: Vec<Vec<f32>>,
}

impl DelayLine {
    pub fn new(delay: usize) -> Self {
        DelayLine {
            delay,
            ids: vec![Vec::new(); delay + 1],
            eff: vec![Vec::new(); delay + 1],
            mixed: vec![Vec::new(); delay + 1],
        }
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

    /// The mixed-up efficacies of the spikes arriving at step t, if the emulation stored any.
    pub fn mixed_arrivals(&self, t: u64) -> Option<&[f32]> {
        let s = self.arriving(t);
        (!self.mixed[s].is_empty()).then_some(&self.mixed[s][..])
    }
}
