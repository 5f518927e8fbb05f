//! Cued recall and delay activity (docs/model.md §14.3): the rule that scores a cue, the
//! recorder that follows each cue through a run, and the tallies per shape.

use crate::sim::input::Stimulus;
use crate::sim::params::STEPS_PER_SECOND;
use crate::sim::pattern::Pattern;

/// How a cue response is scored (docs/model.md §14.3, our operationalisation; every number is a
/// parameter).
///
/// For each assembly k, r_k is its members' mean rate in the recall window
/// [cue offset + `window_start_s`, cue offset + `window_end_s`). Let w be the assembly with the
/// highest r (the lowest index on a tie) and r_2 the highest rate among the others. The cue
/// *recalls* w if
///
/// - r_w > `min_rate_hz`, and
/// - either every other assembly is at or below `min_rate_hz` ("the only one above 10 Hz"), or
///   r_w > `ratio` · r_2 ("more than twice every other").
///
/// and r_w > `baseline_ratio` · b_w, where b_w is w's own mean rate in the `baseline_s` before
/// the cue's onset (whole bins; docs/model.md §14.3 compares "vs. its pre-cue baseline"): an assembly
/// already active before the cue — the network's ongoing attractor activity — is not recalled
/// by it. `baseline_ratio` = 0 switches this condition off.
///
/// Otherwise it recalls nothing. The first condition keeps a 2× ratio between two assemblies
/// at background rates (say 2 Hz against 0.8 Hz) from counting as recall. A cue cut from shape k
/// is a *correct* recall if it recalls assembly k; any recall after an "other" cue is a *false*
/// recall.
///
/// Delay activity: for the recalled assembly (or, if none, the cued shape's assembly), the
/// time from cue offset to the start of the first `bin_s` bin whose rate is below
/// `delay_fraction` × its mean rate during the cue.
#[derive(Clone, Debug, PartialEq)]
pub struct RecallCriteria {
    /// Start of the recall window after cue offset [s] (rounded to whole bins).
    pub window_start_s: f64,
    /// End of the recall window after cue offset [s] (rounded to whole bins).
    pub window_end_s: f64,
    /// Rate an assembly must exceed to count as active [Hz].
    pub min_rate_hz: f64,
    /// Factor by which the recalled assembly must exceed every other when others are active.
    pub ratio: f64,
    /// Bin width of the post-cue rate trace [s].
    pub bin_s: f64,
    /// Delay activity ends in the first bin below this fraction of the cue-period rate.
    pub delay_fraction: f64,
    /// Length of the pre-cue baseline [s] (rounded to whole bins).
    pub baseline_s: f64,
    /// Factor by which the recalled assembly must exceed its own pre-cue rate (0: no check).
    pub baseline_ratio: f64,
    /// Longest post-cue time followed [s]; a delay still running then is reported as this
    /// value and marked censored. The next stimulus onset also ends the observation.
    pub horizon_s: f64,
}

impl Default for RecallCriteria {
    /// The numbers of docs/model.md §14.3: window [0.1 s, 1 s), 10 Hz, 2×, 2× a 1 s baseline, 50 ms bins, half the cue rate,
    /// followed for up to 20 s (the longest mean inter-cue interval of the presets; the next
    /// onset usually ends the observation first).
    fn default() -> Self {
        RecallCriteria {
            window_start_s: 0.1,
            window_end_s: 1.0,
            min_rate_hz: 10.0,
            ratio: 2.0,
            baseline_s: 1.0,
            baseline_ratio: 2.0,
            bin_s: 0.05,
            delay_fraction: 0.5,
            horizon_s: 20.0,
        }
    }
}

impl RecallCriteria {
    fn bin_steps(&self) -> u64 {
        ((self.bin_s * STEPS_PER_SECOND as f64).round() as u64).max(1)
    }

    /// The recall window as a range of post-cue bins.
    fn window_bins(&self) -> std::ops::Range<usize> {
        let b = |s: f64| (s / self.bin_s).round().max(0.0) as usize;
        let (lo, hi) = (b(self.window_start_s), b(self.window_end_s));
        lo..hi.max(lo + 1)
    }

    fn baseline_bins(&self) -> u64 {
        (self.baseline_s / self.bin_s).round().max(0.0) as u64
    }

    fn horizon_bins(&self) -> usize {
        ((self.horizon_s / self.bin_s).round() as usize).max(self.window_bins().end)
    }

    /// The assembly recalled by window rates `rates`, or `None` (rule in the type's doc).
    pub fn decide(&self, rates: &[f64]) -> Option<usize> {
        let (w, &r_w) = rates
            .iter()
            .enumerate()
            .fold((0, &f64::NEG_INFINITY), |best, (k, r)| if *r > *best.1 { (k, r) } else { best });
        if rates.is_empty() || r_w.is_nan() || r_w <= self.min_rate_hz {
            return None;
        }
        let r_2 = rates.iter().enumerate().filter(|&(k, _)| k != w).map(|(_, &r)| r).fold(0.0, f64::max);
        (r_2 <= self.min_rate_hz || r_w > self.ratio * r_2).then_some(w)
    }

    /// [`RecallCriteria::decide`], then the baseline condition: the recalled assembly must
    /// exceed `baseline_ratio` × its own pre-cue rate in `baseline_hz`.
    pub fn decide_with_baseline(&self, rates: &[f64], baseline_hz: &[f64]) -> Option<usize> {
        self.decide(rates).filter(|&w| {
            self.baseline_ratio <= 0.0 || rates[w] > self.baseline_ratio * baseline_hz.get(w).unwrap_or(&0.0)
        })
    }

    /// Delay-activity duration [s] from a cue-period rate and the post-cue bin rates, and
    /// whether it was censored (still above threshold in the last bin followed).
    pub fn delay(&self, cue_rate_hz: f64, bins_hz: &[f64]) -> (f64, bool) {
        let threshold = self.delay_fraction * cue_rate_hz;
        match bins_hz.iter().position(|&r| r < threshold || cue_rate_hz <= 0.0) {
            Some(k) => (k as f64 * self.bin_s, false),
            None => (bins_hz.len() as f64 * self.bin_s, true),
        }
    }
}

/// What a cue did (see [`CueResponse::outcome`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It recalled this assembly.
    Recalled(usize),
    /// This assembly won the recall window but was already active before the cue (the
    /// baseline condition failed): not recalled by the cue.
    AlreadyActive(usize),
    /// No assembly met the rule.
    Nothing,
    /// The next stimulus (or the end of the run) came before the recall window was over.
    Incomplete,
}

/// The scored response to one cue.
#[derive(Clone, Debug, PartialEq)]
pub struct CueResponse {
    pub name: String,
    /// Assembly of the shape the cue was cut from, if any.
    pub parent: Option<usize>,
    pub onset_s: f64,
    pub offset_s: f64,
    /// Mean member rate of each assembly during the cue [Hz].
    pub cue_hz: Vec<f64>,
    /// Mean member rate of each assembly in the recall window [Hz] (over the part observed).
    pub window_hz: Vec<f64>,
    /// Mean member rate of each assembly before the onset [Hz] (up to `baseline_s`, as observed).
    pub baseline_hz: Vec<f64>,
    /// True if the whole recall window was observed before the next stimulus (or the run)
    /// began (ended); incomplete responses are listed but not scored.
    pub complete: bool,
    /// The recalled assembly ([`RecallCriteria::decide_with_baseline`]); `None` if none or
    /// incomplete.
    pub recalled: Option<usize>,
    /// The assembly that wins the recall window ([`RecallCriteria::decide`]) but fails the
    /// baseline condition: it was already active before the cue, so the cue did not recall it.
    /// `None` otherwise (and for incomplete responses).
    pub already_active: Option<usize>,
    /// Delay activity of the recalled assembly, else of the parent's [s]; `None` for an
    /// "other" cue that recalled nothing.
    pub delay_s: Option<f64>,
    /// The delay was still running when observation ended.
    pub delay_censored: bool,
}

impl CueResponse {
    /// The cue came from a shape and recalled its assembly.
    pub fn is_correct(&self) -> bool {
        self.parent.is_some() && self.recalled == self.parent
    }

    /// What the cue did, by the rule of [`RecallCriteria`] (one label per response).
    pub fn outcome(&self) -> Outcome {
        match (self.complete, self.recalled, self.already_active) {
            (false, ..) => Outcome::Incomplete,
            (true, Some(k), _) => Outcome::Recalled(k),
            (true, None, Some(k)) => Outcome::AlreadyActive(k),
            (true, None, None) => Outcome::Nothing,
        }
    }

    /// The cue came from no shape but recalled an assembly.
    pub fn is_false_recall(&self) -> bool {
        self.parent.is_none() && self.recalled.is_some()
    }
}

/// A cue being recorded.
#[derive(Clone, Debug)]
struct Pending {
    name: String,
    parent: Option<usize>,
    onset: u64,
    offset: u64,
    /// Spikes per assembly during the cue.
    during: Vec<u64>,
    /// Spikes per post-cue bin, per assembly (`bins[b][k]`).
    bins: Vec<Vec<u64>>,
    /// Steps observed after offset.
    after_steps: u64,
    baseline_hz: Vec<f64>,
}

/// Records every stimulus onset it sees and scores the assembly response (docs/model.md §14.3).
/// Fed one step at a time like the monitors; assemblies are fixed at construction (the ones
/// derived at the end of phase 1).
#[derive(Clone, Debug)]
pub struct RecallRecorder {
    criteria: RecallCriteria,
    /// Assembly names, sizes and, per E neuron, a bit mask of its assemblies (≤ 64).
    names: Vec<String>,
    sizes: Vec<usize>,
    member_mask: Vec<u64>,
    /// Parent assembly by cue name.
    parent_of: fn(&str, &[String]) -> Option<usize>,
    last_onset: Option<u64>,
    /// Spikes per assembly in the latest bins of absolute time (bin index, counts), oldest
    /// first: the pre-cue baseline.
    history: std::collections::VecDeque<(u64, Vec<u64>)>,
    current: Option<Pending>,
    pub responses: Vec<CueResponse>,
}

/// The assembly named like the shape the cue was cut from (`"square3"` → the assembly named
/// `"square"`), via [`crate::sim::shapes::parent_shape`].
pub fn shape_parent(cue: &str, assemblies: &[String]) -> Option<usize> {
    let k = crate::sim::shapes::parent_shape(cue)?;
    let shape = crate::sim::shapes::SHAPE_NAMES[k];
    assemblies.iter().position(|a| a == shape)
}

impl RecallRecorder {
    /// `assemblies`: the first 64 are used. Cues are matched to assemblies by
    /// [`shape_parent`].
    pub fn new(assemblies: &[Pattern], n_e: usize, criteria: RecallCriteria) -> Self {
        Self::with_parents(assemblies, n_e, criteria, shape_parent)
    }

    /// As [`RecallRecorder::new`] with another rule mapping a cue name to its assembly.
    pub fn with_parents(
        assemblies: &[Pattern],
        n_e: usize,
        criteria: RecallCriteria,
        parent_of: fn(&str, &[String]) -> Option<usize>,
    ) -> Self {
        let assemblies = &assemblies[..assemblies.len().min(64)];
        let mut member_mask = vec![0u64; n_e];
        let mut sizes = vec![0; assemblies.len()];
        for (a, p) in assemblies.iter().enumerate() {
            for &i in &p.indices {
                if let Some(m) = member_mask.get_mut(i as usize)
                    && *m & (1 << a) == 0
                {
                    *m |= 1 << a;
                    sizes[a] += 1;
                }
            }
        }
        RecallRecorder {
            criteria,
            names: assemblies.iter().map(|p| p.name.clone()).collect(),
            sizes,
            member_mask,
            parent_of,
            last_onset: None,
            history: std::collections::VecDeque::default(),
            current: None,
            responses: Vec::new(),
        }
    }

    pub fn assembly_names(&self) -> &[String] {
        &self.names
    }

    pub fn criteria(&self) -> &RecallCriteria {
        &self.criteria
    }

    /// A cue is being followed (its response is not scored yet).
    pub fn is_following(&self) -> bool {
        self.current.is_some()
    }

    /// One step: `step` is the step just computed, `stimulus` the stimulus on in it (a new
    /// onset starts a new cue and ends the previous cue's observation), `e_spikes` the E
    /// neurons that fired in it.
    pub fn observe_step(&mut self, step: u64, stimulus: Option<&Stimulus>, e_spikes: &[u32]) {
        let n = self.names.len();
        let bin_steps = self.criteria.bin_steps();
        let bin = step / bin_steps;
        if self.history.back().is_none_or(|&(b, _)| b != bin) {
            self.history.push_back((bin, vec![0; n]));
            while self.history.len() as u64 > self.criteria.baseline_bins() + 1 {
                self.history.pop_front();
            }
        }
        if let Some((_, counts)) = self.history.back_mut() {
            Self::count_into(&self.member_mask, counts, e_spikes);
        }
        if let Some(s) = stimulus
            && self.last_onset != Some(s.onset)
        {
            self.last_onset = Some(s.onset);
            self.finish();
            // Whole bins before the onset's bin.
            let onset_bin = s.onset / bin_steps;
            let past: Vec<&Vec<u64>> = self.history.iter().filter(|(b, _)| *b < onset_bin).map(|(_, c)| c).collect();
            let secs = past.len() as f64 * self.criteria.bin_s;
            let baseline_hz = (0..n).map(|k| self.rate(past.iter().map(|c| c[k]).sum(), k, secs)).collect();
            self.current = Some(Pending {
                name: s.name.clone(),
                parent: (self.parent_of)(&s.name, &self.names),
                onset: s.onset,
                offset: s.offset,
                during: vec![0; n],
                bins: Vec::new(),
                after_steps: 0,
                baseline_hz,
            });
        }
        let Some(p) = self.current.as_mut() else { return };
        if step < p.onset {
            return;
        }
        let counts = if step < p.offset {
            &mut p.during
        } else {
            let b = ((step - p.offset) / self.criteria.bin_steps()) as usize;
            if b >= p.bins.len() {
                p.bins.push(vec![0; self.names.len()]);
            }
            p.after_steps = step + 1 - p.offset;
            &mut p.bins[b]
        };
        Self::count_into(&self.member_mask, counts, e_spikes);
        if p.after_steps >= self.criteria.horizon_bins() as u64 * self.criteria.bin_steps() {
            self.finish();
        }
    }

    /// Adds each spike to the counts of every assembly its neuron belongs to.
    fn count_into(member_mask: &[u64], counts: &mut [u64], e_spikes: &[u32]) {
        for &k in e_spikes {
            let mut m = member_mask.get(k as usize).copied().unwrap_or(0);
            while m != 0 {
                counts[m.trailing_zeros() as usize] += 1;
                m &= m - 1;
            }
        }
    }

    /// Mean member rate [Hz] of assembly k from a spike count over `secs`.
    fn rate(&self, count: u64, k: usize, secs: f64) -> f64 {
        if self.sizes[k] == 0 || secs <= 0.0 { 0.0 } else { count as f64 / (self.sizes[k] as f64 * secs) }
    }

    /// Scores the cue being recorded, if any (call at the end of a run; also called at the
    /// next onset and when the horizon is reached).
    pub fn finish(&mut self) {
        let Some(p) = self.current.take() else { return };
        let c = &self.criteria;
        let step_s = 1.0 / STEPS_PER_SECOND as f64;
        let bin_steps = c.bin_steps();
        let rate = |count: u64, k: usize, secs: f64| self.rate(count, k, secs);
        let n = self.names.len();
        let cue_s = (p.offset - p.onset) as f64 * step_s;
        let cue_hz: Vec<f64> = (0..n).map(|k| rate(p.during[k], k, cue_s)).collect();
        // Only whole bins count.
        let full_bins = (p.after_steps / bin_steps) as usize;
        let bin_rate = |b: usize, k: usize| rate(p.bins[b][k], k, c.bin_s);
        let win = c.window_bins();
        let win_obs = win.start..win.end.min(full_bins);
        let complete = full_bins >= win.end;
        let window_hz: Vec<f64> = (0..n)
            .map(|k| {
                let count: u64 = win_obs.clone().map(|b| p.bins[b][k]).sum();
                rate(count, k, win_obs.len() as f64 * c.bin_s)
            })
            .collect();
        let recalled = if complete { c.decide_with_baseline(&window_hz, &p.baseline_hz) } else { None };
        let already_active = if complete && recalled.is_none() { c.decide(&window_hz) } else { None };
        let (delay_s, delay_censored) = match recalled.or(p.parent) {
            Some(a) if a < n => {
                let trace: Vec<f64> = (0..full_bins).map(|b| bin_rate(b, a)).collect();
                let (d, cens) = c.delay(cue_hz[a], &trace);
                (Some(d), cens)
            }
            _ => (None, false),
        };
        self.responses.push(CueResponse {
            name: p.name,
            parent: p.parent,
            onset_s: p.onset as f64 * step_s,
            offset_s: p.offset as f64 * step_s,
            cue_hz,
            window_hz,
            baseline_hz: p.baseline_hz,
            complete,
            recalled,
            already_active,
            delay_s,
            delay_censored,
        });
    }
}

/// Recall counts of one group of cues.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecallTally {
    /// Complete (scored) cues.
    pub cues: usize,
    /// Cues that recalled the parent's assembly (shape cues) or any assembly (other cues).
    pub recalled: usize,
    /// Shape cues that recalled another assembly.
    pub wrong: usize,
    /// Shape cues whose own assembly won the recall window but was already active before the
    /// cue ([`Outcome::AlreadyActive`]): not recalled, and not a failure to recall either.
    pub already_active: usize,
    /// Mean delay-activity duration over `recalled` [s] (censored values count as observed).
    pub mean_delay_s: Option<f64>,
}

impl RecallTally {
    pub fn rate(&self) -> Option<f64> {
        (self.cues > 0).then(|| self.recalled as f64 / self.cues as f64)
    }

    /// Recalled over the cues that found their assembly quiet (`cues − already_active`).
    pub fn rate_when_quiet(&self) -> Option<f64> {
        let quiet = self.cues.saturating_sub(self.already_active);
        (quiet > 0).then(|| self.recalled as f64 / quiet as f64)
    }
}

/// Tallies per assembly (cues cut from its shape) and for the cues of no shape.
pub fn tally(responses: &[CueResponse], n_assemblies: usize) -> (Vec<RecallTally>, RecallTally) {
    let mut per = vec![RecallTally::default(); n_assemblies];
    let mut other = RecallTally::default();
    let mut delays: Vec<Vec<f64>> = vec![Vec::new(); n_assemblies + 1];
    for r in responses.iter().filter(|r| r.complete) {
        let (t, d) = match r.parent {
            Some(k) if k < n_assemblies => (&mut per[k], &mut delays[k]),
            Some(_) => continue,
            None => (&mut other, &mut delays[n_assemblies]),
        };
        t.cues += 1;
        if r.is_correct() || r.is_false_recall() {
            t.recalled += 1;
            d.extend(r.delay_s);
        } else if r.recalled.is_some() {
            t.wrong += 1;
        } else if r.parent.is_some() && r.already_active == r.parent {
            t.already_active += 1;
        }
    }
    for (t, d) in per.iter_mut().chain(std::iter::once(&mut other)).zip(&delays) {
        t.mean_delay_s = (!d.is_empty()).then(|| d.iter().sum::<f64>() / d.len() as f64);
    }
    (per, other)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = STEPS_PER_SECOND;

    fn stim(name: &str, onset: u64, offset: u64) -> Stimulus {
        Stimulus { name: name.into(), pattern: None, pixels: vec![], onset, offset }
    }

    #[test]
    fn decide_follows_the_documented_rule() {
        let c = RecallCriteria::default();
        assert_eq!(c.decide(&[25.0, 3.0, 1.0, 0.5]), Some(0), "the only one above 10 Hz");
        assert_eq!(c.decide(&[12.0, 9.9, 1.0]), Some(0), "only one above 10 Hz, ratio below 2");
        assert_eq!(c.decide(&[30.0, 14.0]), Some(0), "two above 10 Hz, but 30 > 2·14");
        assert_eq!(c.decide(&[30.0, 15.0]), None, "two above 10 Hz, 30 = 2·15 is not more");
        assert_eq!(c.decide(&[4.0, 1.0, 0.5]), None, "4× the others but not above 10 Hz");
        assert_eq!(c.decide(&[10.0, 0.0]), None, "10 Hz is not above 10 Hz");
        assert_eq!(c.decide(&[1.0, 2.0, 40.0]), Some(2));
        assert_eq!(c.decide(&[]), None);
        assert_eq!(c.decide(&[20.0, 20.0]), None, "a tie is not selective");
        let strict = RecallCriteria { min_rate_hz: 20.0, ratio: 3.0, ..Default::default() };
        assert_eq!(strict.decide(&[25.0, 3.0]), Some(0));
        assert_eq!(strict.decide(&[50.0, 21.0]), None);
    }

    /// An assembly already active before the cue is not recalled by it (docs/model.md §14.3: "vs. its
    /// pre-cue baseline"). Neurons 0–2 of A (3 of 4 members) fire every 100 steps (100 Hz →
    /// A at 75 Hz) from `start`; cue "circle1" at step 20 000 (2 s) for 0.05 s. Started at 0,
    /// A's baseline over [1 s, 2 s) is 75 Hz and its window rate 75 Hz, not above 2 × 75: no
    /// recall. Started at the onset, the baseline is 0 and A (alone above 10 Hz) is recalled.
    #[test]
    fn an_assembly_active_before_the_cue_is_not_recalled() {
        for (start, want) in [(0u64, None), (20_000, Some(0))] {
            let mut r = recorder(RecallCriteria::default());
            let s = stim("circle1", 20_000, 20_500);
            for step in 0..32_000u64 {
                let spikes: Vec<u32> = if step >= start && step % 100 == 0 { vec![0, 1, 2] } else { vec![] };
                r.observe_step(step, (20_000..20_500).contains(&step).then_some(&s), &spikes);
            }
            r.finish();
            let x = &r.responses[0];
            let base = if start == 0 { 75.0 } else { 0.0 };
            assert!((x.baseline_hz[0] - base).abs() < 1e-9, "start {start}: {:?}", x.baseline_hz);
            assert!((x.window_hz[0] - 75.0).abs() < 1e-9, "start {start}: {:?}", x.window_hz);
            assert_eq!(x.recalled, want, "start {start}");
            // Active from the start: the assembly wins the window but is reported as already
            // active, not recalled.
            let (active, outcome) =
                if start == 0 { (Some(0), Outcome::AlreadyActive(0)) } else { (None, Outcome::Recalled(0)) };
            assert_eq!((x.already_active, x.outcome()), (active, outcome), "start {start}");
            // Tallied as already active, not as a miss: the quiet-cue rate leaves it out.
            let (per, _) = tally(&r.responses, 2);
            let (n_active, quiet_rate) = if start == 0 { (1, None) } else { (0, Some(1.0)) };
            assert_eq!((per[0].cues, per[0].already_active, per[0].rate_when_quiet()), (1, n_active, quiet_rate));
        }
        let c = RecallCriteria::default();
        assert_eq!(c.decide_with_baseline(&[25.0, 1.0], &[12.0, 0.0]), Some(0), "25 > 2·12");
        assert_eq!(c.decide_with_baseline(&[25.0, 1.0], &[12.5, 0.0]), None, "25 = 2·12.5 is not more");
        let off = RecallCriteria { baseline_ratio: 0.0, ..c };
        assert_eq!(off.decide_with_baseline(&[25.0, 1.0], &[30.0, 0.0]), Some(0), "check off");
    }

    #[test]
    fn delay_is_time_to_first_bin_below_half_the_cue_rate() {
        let c = RecallCriteria::default();
        // Cue rate 40 Hz: threshold 20 Hz; bins 0..2 are above, bin 3 is 19 Hz → 0.15 s.
        assert_eq!(c.delay(40.0, &[40.0, 30.0, 20.0, 19.0, 50.0]), (0.15000000000000002, false));
        assert_eq!(c.delay(40.0, &[10.0]), (0.0, false));
        assert_eq!(c.delay(40.0, &[25.0, 25.0]), (0.1, true), "censored at the end of the trace");
        assert_eq!(c.delay(0.0, &[5.0]), (0.0, false), "nothing to sustain");
    }

    /// Two assemblies: A = neurons 0..4, B = 4..8 (neuron 3 also in B, so B has 5 members).
    fn recorder(criteria: RecallCriteria) -> RecallRecorder {
        let a = Pattern::from_indices("circle", vec![0, 1, 2, 3]);
        let b = Pattern::from_indices("square", vec![3, 4, 5, 6, 7, 7]);
        RecallRecorder::new(&[a, b], 10, criteria)
    }

    /// A cue "circle2" for 0.2 s from step 1000, then a stimulus-free interval. During the cue
    /// neurons 0..4 each fire every 100 steps (100 Hz); after it neurons 0 and 1 fire every
    /// 200 steps (50 Hz) for 0.4 s, then nothing; neuron 5 fires every 500 steps (20 Hz)
    /// throughout. Hand-computed:
    /// - A during the cue: 4 neurons × 100 Hz = 100 Hz. B: neuron 3 at 100 Hz and neuron 5 at
    ///   20 Hz over 5 members = 24 Hz.
    /// - Window [0.1, 1.0) s after offset: A has neurons 0, 1 at 50 Hz during [0.1, 0.4) =
    ///   2·15 spikes = 30 spikes / (4 × 0.9 s) = 8.33 Hz. B: neuron 5 at 20 Hz = 18 spikes /
    ///   (5 × 0.9 s) = 4 Hz. → nothing above 10 Hz: no recall.
    /// - Delay of the parent A: the first post-cue bin holds 2 neurons × 3 spikes / (4 × 0.05 s)
    ///   = 30 Hz, below half of 100 Hz → 0 s.
    #[test]
    fn recorder_scores_a_weak_response_as_no_recall() {
        let mut r = recorder(RecallCriteria::default());
        let s = stim("circle2", 1000, 3000);
        for step in 0..(3000 + 2 * S) {
            let on = (1000..3000).contains(&step);
            let mut spikes = vec![];
            if on && step % 100 == 0 {
                spikes.extend([0, 1, 2, 3]);
            }
            if !on && (3000..3000 + 4000).contains(&step) && step % 200 == 0 {
                spikes.extend([0, 1]);
            }
            if step % 500 == 0 {
                spikes.push(5);
            }
            r.observe_step(step, (1000..3000).contains(&step).then_some(&s), &spikes);
        }
        r.finish();
        assert_eq!(r.responses.len(), 1);
        let x = &r.responses[0];
        assert_eq!((x.name.as_str(), x.parent, x.onset_s, x.offset_s), ("circle2", Some(0), 0.1, 0.3));
        assert!((x.cue_hz[0] - 100.0).abs() < 1e-9, "{:?}", x.cue_hz);
        assert!((x.cue_hz[1] - 24.0).abs() < 1e-9, "{:?}", x.cue_hz);
        assert!((x.window_hz[0] - 30.0 / 3.6).abs() < 1e-9, "{:?}", x.window_hz);
        assert!((x.window_hz[1] - 4.0).abs() < 1e-9, "{:?}", x.window_hz);
        assert!(x.complete);
        assert_eq!(x.recalled, None);
        assert_eq!((x.delay_s, x.delay_censored), (Some(0.0), false));
        assert!(!x.is_correct() && !x.is_false_recall());
    }

    /// Cue "square1" for 0.1 s from step 0; during it B's five members fire every 200 steps
    /// (50 Hz). After it, members 4..8 of B fire every 250 steps (40 Hz) for 0.7 s: B's rate
    /// is 4·40/5 = 32 Hz, which is ≥ 25 Hz (half of 50) → delay 0.7 s. Window [0.1, 1.0): 4
    /// neurons × 40 Hz × 0.6 s = 96 spikes / (5 × 0.9) = 21.33 Hz; A silent → recall of B.
    /// A second cue "other1" at 1.5 s during which and after which only A fires (neurons 0..4
    /// every 100 steps throughout: 100 Hz) is a false recall of A whose delay is censored
    /// by the end of the run after 0.5 s of post-cue bins.
    #[test]
    fn recorder_scores_recall_delay_false_recall_and_truncation() {
        let mut r = recorder(RecallCriteria::default());
        let s1 = stim("square1", 0, 1000);
        let s2 = stim("other1", 15_000, 16_000);
        // A third onset 0.5 s after the end of s2 cuts it short… unless it comes after the
        // run ends; here the run ends at 21 000 + 1, before the recall window of s2 is over.
        let end = 16_000 + 5_000;
        for step in 0..end {
            let mut spikes: Vec<u32> = vec![];
            if step < 1000 && step % 200 == 0 {
                spikes.extend([3, 4, 5, 6, 7]);
            }
            if (1000..8000).contains(&step) && step % 250 == 0 {
                spikes.extend([4, 5, 6, 7]);
            }
            if step >= 15_000 && step % 100 == 0 {
                spikes.extend([0, 1, 2]);
            }
            let st = if step < 1000 {
                Some(&s1)
            } else if (15_000..16_000).contains(&step) {
                Some(&s2)
            } else {
                None
            };
            r.observe_step(step, st, &spikes);
        }
        r.finish();
        assert_eq!(r.responses.len(), 2);
        let x = &r.responses[0];
        assert_eq!(x.parent, Some(1));
        assert!((x.cue_hz[1] - 50.0).abs() < 1e-9);
        assert!((x.window_hz[1] - 96.0 / 4.5).abs() < 1e-9, "{:?}", x.window_hz);
        assert_eq!(x.window_hz[0], 0.0);
        assert_eq!(x.recalled, Some(1));
        assert!(x.is_correct());
        let d = x.delay_s.unwrap();
        assert!((d - 0.7).abs() < 1e-9 && !x.delay_censored, "{d}");
        // The second response: observed 0.5 s after offset, so the window [0.1, 1.0) is
        // incomplete: listed, not scored.
        let y = &r.responses[1];
        assert_eq!((y.name.as_str(), y.parent), ("other1", None));
        assert!(!y.complete);
        assert_eq!(y.recalled, None);
        assert!((y.window_hz[0] - 75.0).abs() < 1e-9, "3 of 4 members at 100 Hz: {:?}", y.window_hz);
        let (per, other) = tally(&r.responses, 2);
        assert_eq!(per[1], RecallTally { cues: 1, recalled: 1, wrong: 0, already_active: 0, mean_delay_s: Some(d) });
        assert_eq!(per[0].cues, 0);
        assert_eq!(other.cues, 0, "incomplete responses are not tallied");
    }

    #[test]
    fn a_new_onset_ends_the_previous_observation_and_horizon_censors() {
        // Horizon 0.3 s, window [0.05, 0.2): a persistent 100 Hz assembly A is censored at 0.3 s.
        // No baseline check: A is active before the second cue too (see the next test).
        let c = RecallCriteria {
            horizon_s: 0.3,
            window_start_s: 0.05,
            window_end_s: 0.2,
            baseline_ratio: 0.0,
            ..Default::default()
        };
        let mut r = recorder(c);
        let s1 = stim("other2", 0, 500);
        let s2 = stim("circle1", 20_000, 20_500);
        for step in 0..25_000u64 {
            let spikes: Vec<u32> = if step % 100 == 0 { vec![0, 1, 2] } else { vec![] };
            let st = if step < 500 {
                Some(&s1)
            } else if (20_000..20_500).contains(&step) {
                Some(&s2)
            } else {
                None
            };
            r.observe_step(step, st, &spikes);
        }
        r.finish();
        assert_eq!(r.responses.len(), 2);
        // other2: A at 75 Hz (3 of 4 members at 100 Hz) alone → false recall, delay censored
        // at the 0.3 s horizon.
        let x = &r.responses[0];
        assert_eq!(x.recalled, Some(0));
        assert!(x.is_false_recall());
        assert_eq!((x.delay_s, x.delay_censored), (Some(0.30000000000000004), true));
        let y = &r.responses[1];
        assert!(y.is_correct());
        let (per, other) = tally(&r.responses, 2);
        assert_eq!((per[0].cues, per[0].recalled, other.cues, other.recalled), (1, 1, 1, 1));
        assert_eq!(per[0].rate(), Some(1.0));
    }
}
