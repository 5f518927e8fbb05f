//! The Poisson input layer and its stimulus schedule (docs/model.md §8).
//!
//! Every unit fires at the background rate; while a stimulus is on, its pixels fire at
//! background + stimulus rate. Spikes are per-step Bernoulli draws with p = rate·dt, generated
//! by geometric skip-ahead over the (unit, step) sequence of each rate class, so the cost is one
//! draw per spike rather than one per unit per step. The skip position carries over from step to
//! step, which keeps the process exactly Bernoulli; when the rates change the position is
//! redrawn, which is exact too because the geometric distribution is memoryless.

use super::params::{DT_MS, Phase, STEPS_PER_SECOND};
use super::pattern::Pattern;
use super::rng::{Stream, StreamId, StreamState};

/// One rate class of the input layer: a list of units sharing a spike probability per step.
#[derive(Clone, Debug, Default)]
struct RateClass {
    units: Vec<u32>,
    p: f64,
    /// Position of the next spike in the flattened (step, unit) sequence, relative to this
    /// step's first unit.
    next: u64,
}

impl RateClass {
    fn reset(&mut self, rng: &mut Stream) {
        self.next = rng.geometric(self.p);
    }

    fn generate(&mut self, rng: &mut Stream, out: &mut Vec<u32>) {
        let n = self.units.len() as u64;
        if n == 0 || self.p <= 0.0 {
            return;
        }
        while self.next < n {
            out.push(self.units[self.next as usize]);
            self.next = self.next.saturating_add(1 + rng.geometric(self.p));
        }
        self.next -= n;
    }
}

/// What is being shown to the input layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Stimulus {
    /// Name shown to the user (pattern name, or "custom").
    pub name: String,
    /// Index into the current phase's pattern list, if it came from there.
    pub pattern: Option<usize>,
    /// Input units that fire at the stimulus rate.
    pub pixels: Vec<u32>,
    /// Step at which the stimulus started.
    pub onset: u64,
    /// Step at which it ends (exclusive).
    pub offset: u64,
}

/// Everything of the input layer that changes as it runs, as plain data: see [`Input::state`].
#[derive(Clone, Debug, PartialEq)]
pub struct InputState {
    /// Units that spiked in the last step.
    pub spikes: Vec<u32>,
    /// Per unit: is it a pixel of the active stimulus.
    pub in_stimulus: Vec<bool>,
    /// Spike probability per step of the background and the stimulated rate class.
    pub class_p: [f64; 2],
    /// Skip-ahead position of the background and the stimulated rate class.
    pub class_next: [u64; 2],
    pub spike_rng: StreamState,
    pub schedule_rng: StreamState,
    /// Background rate [Hz].
    pub background_hz: f64,
    /// Extra rate of stimulus pixels [Hz].
    pub stimulus_hz: f64,
    /// Current schedule, if a phase runs.
    pub phase: Option<Phase>,
    pub patterns: Vec<Pattern>,
    pub stimulus: Option<Stimulus>,
    /// Next scheduled onset [step]; `u64::MAX` if none.
    pub next_onset: u64,
}

/// The input layer: spike generation plus the on/off stimulus timer of the current phase.
#[derive(Clone, Debug)]
pub struct Input {
    n: usize,
    /// Units that spiked in the last [`Input::generate`].
    pub spikes: Vec<u32>,
    background: RateClass,
    stimulated: RateClass,
    in_stimulus: Vec<bool>,
    spike_rng: Stream,
    schedule_rng: Stream,
    /// Background rate [Hz].
    background_hz: f64,
    /// Extra rate of stimulus pixels [Hz].
    stimulus_hz: f64,
    /// Current schedule (T_on, T_off) and pattern set.
    phase: Option<Phase>,
    patterns: Vec<Pattern>,
    /// Active stimulus, if any.
    pub stimulus: Option<Stimulus>,
    /// Next scheduled onset (when no stimulus is on) [step]; `u64::MAX` if none.
    next_onset: u64,
}

impl Input {
    pub fn new(n: usize, background_hz: f64, seed: u64) -> Self {
        let mut input = Input {
            n,
            spikes: Vec::new(),
            background: RateClass::default(),
            stimulated: RateClass::default(),
            in_stimulus: vec![false; n],
            spike_rng: Stream::new(seed, StreamId::InputSpikes),
            schedule_rng: Stream::new(seed, StreamId::Schedule),
            background_hz,
            stimulus_hz: 0.0,
            phase: None,
            patterns: Vec::new(),
            stimulus: None,
            next_onset: u64::MAX,
        };
        input.rebuild_classes();
        input
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn background_hz(&self) -> f64 {
        self.background_hz
    }

    pub fn stimulus_hz(&self) -> f64 {
        self.stimulus_hz
    }

    /// Patterns of the current phase.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Rate of unit `i` now [Hz].
    pub fn rate_of(&self, i: usize) -> f64 {
        self.background_hz + if self.in_stimulus[i] { self.stimulus_hz } else { 0.0 }
    }

    /// The complete evolving state (for snapshots). [`Input::set_state`] restores it exactly.
    pub fn state(&self) -> InputState {
        InputState {
            spikes: self.spikes.clone(),
            in_stimulus: self.in_stimulus.clone(),
            class_p: [self.background.p, self.stimulated.p],
            class_next: [self.background.next, self.stimulated.next],
            spike_rng: self.spike_rng.state(),
            schedule_rng: self.schedule_rng.state(),
            background_hz: self.background_hz,
            stimulus_hz: self.stimulus_hz,
            phase: self.phase.clone(),
            patterns: self.patterns.clone(),
            stimulus: self.stimulus.clone(),
            next_onset: self.next_onset,
        }
    }

    /// Restores a state from [`Input::state`] of an input layer of the same size. Checks every
    /// length and unit index first; on error nothing changes.
    pub fn set_state(&mut self, s: InputState) -> Result<(), String> {
        let n = self.n;
        let check_units = |what: &str, units: &[u32]| match units.iter().find(|&&u| u as usize >= n) {
            Some(u) => Err(format!("{what}: unit {u} out of range (input has {n} units)")),
            None => Ok(()),
        };
        if s.in_stimulus.len() != n {
            return Err(format!("input.in_stimulus: {} units, the input layer has {n}", s.in_stimulus.len()));
        }
        check_units("input.spikes", &s.spikes)?;
        for p in &s.patterns {
            check_units(&format!("input pattern `{}`", p.name), &p.indices)?;
            if p.values.len() != p.indices.len() {
                return Err(format!("input pattern `{}`: {} values for {} units", p.name, p.values.len(), p.len()));
            }
        }
        if let Some(st) = &s.stimulus {
            check_units("input.stimulus", &st.pixels)?;
        }
        if s.phase.is_some() && s.patterns.is_empty() && s.next_onset != u64::MAX {
            return Err("input schedule: an onset is due but the phase has no patterns".into());
        }
        if !s.class_p.iter().all(|p| (0.0..=1.0).contains(p)) {
            return Err(format!("input rate classes: probabilities {:?} not in [0, 1]", s.class_p));
        }
        let (mut bg, mut st) = (Vec::new(), Vec::new());
        for (i, &on) in s.in_stimulus.iter().enumerate() {
            if on { st.push(i as u32) } else { bg.push(i as u32) }
        }
        self.background = RateClass { units: bg, p: s.class_p[0], next: s.class_next[0] };
        self.stimulated = RateClass { units: st, p: s.class_p[1], next: s.class_next[1] };
        self.spikes = s.spikes;
        self.in_stimulus = s.in_stimulus;
        self.spike_rng = Stream::from_state(&s.spike_rng);
        self.schedule_rng = Stream::from_state(&s.schedule_rng);
        self.background_hz = s.background_hz;
        self.stimulus_hz = s.stimulus_hz;
        self.phase = s.phase;
        self.patterns = s.patterns;
        self.stimulus = s.stimulus;
        self.next_onset = s.next_onset;
        Ok(())
    }

    /// Changes the rates (live edits); the skip positions are redrawn.
    pub fn set_rates(&mut self, background_hz: f64, stimulus_hz: f64) {
        self.background_hz = background_hz;
        self.stimulus_hz = stimulus_hz;
        self.rebuild_classes();
    }

    fn rebuild_classes(&mut self) {
        let (mut bg, mut st) = (Vec::new(), Vec::new());
        for (i, &on) in self.in_stimulus.iter().enumerate() {
            if on { st.push(i as u32) } else { bg.push(i as u32) }
        }
        let dt_s = DT_MS * 1e-3;
        self.background = RateClass { units: bg, p: (self.background_hz * dt_s).min(1.0), next: 0 };
        self.stimulated =
            RateClass { units: st, p: ((self.background_hz + self.stimulus_hz) * dt_s).min(1.0), next: 0 };
        self.background.reset(&mut self.spike_rng);
        self.stimulated.reset(&mut self.spike_rng);
    }

    fn set_pixels(&mut self, pixels: &[u32]) {
        self.in_stimulus.iter_mut().for_each(|b| *b = false);
        for &i in pixels {
            if let Some(b) = self.in_stimulus.get_mut(i as usize) {
                *b = true;
            }
        }
        self.rebuild_classes();
    }

    /// Starts a phase at step `now`: the stimulus timer restarts (docs/model.md §8.2), the first onset
    /// comes after `first_onset_s`, and the stimulus rate becomes the phase's.
    pub fn start_phase(&mut self, phase: &Phase, patterns: Vec<Pattern>, now: u64) {
        self.phase = Some(phase.clone());
        let n = self.in_stimulus.len();
        self.patterns = patterns
            .into_iter()
            .map(|mut p| {
                let keep: Vec<bool> = p.indices.iter().map(|&i| (i as usize) < n).collect();
                let mut k = keep.iter();
                p.values.retain(|_| *k.next().unwrap_or(&true));
                p.indices.retain(|&i| (i as usize) < n);
                p
            })
            .collect();
        self.stimulus_hz = phase.stimulus_hz;
        self.stimulus = None;
        self.set_pixels(&[]);
        self.next_onset = if self.patterns.is_empty() { u64::MAX } else { now + seconds_to_steps(phase.first_onset_s) };
    }

    /// Ends the schedule: no further onsets; a stimulus on now runs to its end.
    pub fn stop_schedule(&mut self) {
        self.phase = None;
        self.patterns.clear();
        self.next_onset = u64::MAX;
    }

    /// Shows `pixels` from step `now` for `duration_s`, interrupting any scheduled stimulus;
    /// the schedule resumes with an off interval afterwards.
    ///
    /// Pixels outside the layer are dropped here and in [`Input::start_phase`] (the built-in
    /// shapes are drawn for 64×64; a smaller layer shows the part that fits), so every stored
    /// index is valid, as a snapshot of the state requires.
    pub fn present(&mut self, name: String, pattern: Option<usize>, mut pixels: Vec<u32>, duration_s: f64, now: u64) {
        pixels.retain(|&i| (i as usize) < self.in_stimulus.len());
        self.set_pixels(&pixels);
        let offset = now + seconds_to_steps(duration_s);
        self.stimulus = Some(Stimulus { name, pattern, pixels, onset: now, offset });
    }

    /// Generates this step's spikes into `self.spikes` (background class, then stimulated).
    pub fn generate(&mut self) {
        self.spikes.clear();
        self.background.generate(&mut self.spike_rng, &mut self.spikes);
        self.stimulated.generate(&mut self.spike_rng, &mut self.spikes);
    }

    /// Handles a due on/off transition at the end of step `now` (docs/model.md §11: after the spikes of
    /// the step are generated). Returns true if the stimulus changed.
    pub fn advance_schedule(&mut self, now: u64) -> bool {
        let next = now + 1;
        if let Some(s) = &self.stimulus {
            if next < s.offset {
                return false;
            }
            self.stimulus = None;
            self.set_pixels(&[]);
            let t_off = self.phase.as_ref().map_or(0.0, |p| p.t_off_s);
            self.next_onset = if self.patterns.is_empty() {
                u64::MAX
            } else {
                next + seconds_to_steps(self.schedule_rng.exponential(t_off))
            };
            return true;
        }
        if next < self.next_onset {
            return false;
        }
        let Some(phase) = self.phase.as_ref() else { return false };
        let k = self.schedule_rng.below(self.patterns.len() as u64) as usize;
        let t_on = phase.t_on_s;
        let duration = (t_on + t_on / 3.0 * self.schedule_rng.normal()).max(0.0);
        let p = &self.patterns[k];
        let (name, pixels) = (p.name.clone(), p.indices.clone());
        self.present(name, Some(k), pixels, duration, next);
        true
    }
}

/// Nearest whole number of steps in `s` seconds.
pub fn seconds_to_steps(s: f64) -> u64 {
    (s * STEPS_PER_SECOND as f64).round().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::params::PatternSet;

    #[test]
    fn spike_counts_match_rate_times_time() {
        let mut input = Input::new(4096, 5.0, 1);
        let pattern: Vec<u32> = (0..1000).collect();
        input.stimulus_hz = 25.0;
        input.present("p".into(), None, pattern, 1e9, 0);
        let steps = 100_000; // 10 s
        let mut counts = vec![0u32; 4096];
        for _ in 0..steps {
            input.generate();
            for &i in &input.spikes {
                counts[i as usize] += 1;
            }
        }
        let on: f64 = counts[..1000].iter().map(|&c| c as f64).sum::<f64>() / 1000.0 / 10.0;
        let off: f64 = counts[1000..].iter().map(|&c| c as f64).sum::<f64>() / 3096.0 / 10.0;
        // Poisson counts: relative s.e. of the pooled rate is 1/√(30·10·1000) ≈ 0.2 % (on) and
        // 1/√(5·10·3096) ≈ 0.25 % (off); allow 1.5 %.
        assert!((on / 30.0 - 1.0).abs() < 0.015, "on rate {on}");
        assert!((off / 5.0 - 1.0).abs() < 0.015, "off rate {off}");
        // Per-unit counts are Poisson: variance ≈ mean.
        let mean = 50.0;
        let var = counts[1000..].iter().map(|&c| (c as f64 - mean).powi(2)).sum::<f64>() / 3096.0;
        assert!((var / mean - 1.0).abs() < 0.1, "Fano factor {}", var / mean);
    }

    #[test]
    fn schedule_statistics_match_t_on_and_t_off() {
        let phase = Phase {
            duration_s: 1e6,
            patterns: PatternSet::Shapes,
            t_on_s: 1.0,
            t_off_s: 2.0,
            stimulus_hz: 25.0,
            first_onset_s: 10.0,
        };
        let patterns: Vec<Pattern> = (0..4).map(|k| Pattern::from_indices(format!("p{k}"), vec![k as u32])).collect();
        let mut input = Input::new(16, 0.0, 5);
        input.start_phase(&phase, patterns, 0);
        let (mut ons, mut offs, mut picks) = (Vec::new(), Vec::new(), [0u32; 4]);
        let mut last_change = 0u64;
        let mut first_onset = None;
        for t in 0..20_000_000u64 {
            if input.advance_schedule(t) {
                let dur = (t + 1 - last_change) as f64 * 1e-4;
                match &input.stimulus {
                    Some(s) => {
                        first_onset.get_or_insert(t + 1);
                        picks[s.pattern.unwrap()] += 1;
                        if last_change > 0 {
                            offs.push(dur);
                        }
                    }
                    None => ons.push(dur),
                }
                last_change = t + 1;
            }
        }
        assert_eq!(first_onset, Some(100_000));
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        // On-durations: Normal(1, 1/3) clipped at 0 (the clipped mass is 0.13 %): mean 1.0 s.
        // ~ 660 samples, s.e. 0.013 s.
        assert!(ons.len() > 600, "{} presentations", ons.len());
        assert!((mean(&ons) - 1.0).abs() < 0.05, "mean on {}", mean(&ons));
        let sd = (ons.iter().map(|d| (d - 1.0).powi(2)).sum::<f64>() / ons.len() as f64).sqrt();
        assert!((sd - 1.0 / 3.0).abs() < 0.04, "sd on {sd}");
        // Off-intervals: Exponential(2 s): mean 2 and s.d. 2, s.e. ≈ 0.08.
        assert!((mean(&offs) - 2.0).abs() < 0.25, "mean off {}", mean(&offs));
        // Pattern choice uniform: each ≈ 1/4 of presentations.
        let n: u32 = picks.iter().sum();
        assert!(picks.iter().all(|&c| (c as f64 / n as f64 - 0.25).abs() < 0.06), "{picks:?}");
    }
}
