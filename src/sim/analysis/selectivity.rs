//! How selectively the E neurons respond to the shapes, from the assembly tracker's probes
//! (each E neuron's spike count in the first 0.5 s of a presentation, docs/model.md §10.1),
//! accumulated over a window of model time: the cells above threshold per shape, their
//! pairwise overlaps, the cells that respond to exactly one shape, the median selectivity
//! index, and each shape's cells' mean response to every shape. The same read-out over
//! consecutive windows gives the time course of the overlaps.

use crate::sim::monitor::Probe;

/// Mean responses per shape over the probes whose onset lies in `[from_s, to_s)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Responses {
    pub from_s: f64,
    pub to_s: f64,
    /// Per shape, the summed spike count of every E neuron over its probes.
    sums: Vec<Vec<u32>>,
    /// Per shape, the number of probes and their total length [s].
    probes: Vec<u32>,
    probe_s: Vec<f64>,
}

impl Responses {
    pub fn new(n_shapes: usize, n_e: usize, from_s: f64, to_s: f64) -> Self {
        Responses {
            from_s,
            to_s,
            sums: vec![vec![0; n_e]; n_shapes],
            probes: vec![0; n_shapes],
            probe_s: vec![0.0; n_shapes],
        }
    }

    /// Adds a probe if its onset lies in the window.
    pub fn add(&mut self, p: &Probe) {
        if p.onset_s < self.from_s || p.onset_s >= self.to_s || p.shape >= self.sums.len() {
            return;
        }
        for (s, &c) in self.sums[p.shape].iter_mut().zip(p.counts) {
            *s += u32::from(c);
        }
        self.probes[p.shape] += 1;
        self.probe_s[p.shape] += p.probe_s;
    }

    /// Probes added per shape.
    pub fn presentations(&self) -> &[u32] {
        &self.probes
    }

    /// Mean rate of neuron `n` in the probes of `shape` [Hz] (0 without probes).
    pub fn rate(&self, shape: usize, n: usize) -> f64 {
        let t = self.probe_s[shape];
        if t > 0.0 { f64::from(self.sums[shape][n]) / t } else { 0.0 }
    }

    /// The read-out for a rate threshold [Hz].
    pub fn selectivity(&self, threshold_hz: f64) -> Selectivity {
        let k = self.sums.len();
        let n_e = self.sums.first().map_or(0, Vec::len);
        let rates: Vec<Vec<f64>> = (0..n_e).map(|n| (0..k).map(|s| self.rate(s, n)).collect()).collect();
        let cells: Vec<Vec<u32>> =
            (0..k).map(|s| (0..n_e).filter(|&n| rates[n][s] > threshold_hz).map(|n| n as u32).collect()).collect();
        let mut overlaps = Vec::new();
        for a in 0..k {
            for b in a + 1..k {
                let shared = (0..n_e).filter(|&n| rates[n][a] > threshold_hz && rates[n][b] > threshold_hz).count();
                overlaps.push((a, b, shared));
            }
        }
        let exclusive = (0..k)
            .map(|s| {
                cells[s]
                    .iter()
                    .filter(|&&n| (0..k).filter(|&o| rates[n as usize][o] > threshold_hz).count() == 1)
                    .count()
            })
            .collect();
        // Selectivity index of every cell responsive to some shape: (best − second)/(best + second).
        let mut si: Vec<f64> = rates
            .iter()
            .filter(|r| r.iter().any(|&x| x > threshold_hz))
            .map(|r| {
                let mut sorted = r.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                let (best, second) = (sorted[0], sorted.get(1).copied().unwrap_or(0.0));
                (best - second) / (best + second)
            })
            .collect();
        si.sort_by(f64::total_cmp);
        let median_si = match si.len() {
            0 => None,
            m if m % 2 == 1 => Some(si[m / 2]),
            m => Some(0.5 * (si[m / 2 - 1] + si[m / 2])),
        };
        let response_hz = (0..k)
            .map(|s| {
                (0..k)
                    .map(|o| {
                        let c = &cells[s];
                        if c.is_empty() {
                            0.0
                        } else {
                            c.iter().map(|&n| rates[n as usize][o]).sum::<f64>() / c.len() as f64
                        }
                    })
                    .collect()
            })
            .collect();
        Selectivity {
            from_s: self.from_s,
            to_s: self.to_s,
            threshold_hz,
            presentations: self.probes.clone(),
            cells,
            overlaps,
            exclusive,
            median_si,
            response_hz,
        }
    }
}

/// The selectivity read-out of one window (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct Selectivity {
    pub from_s: f64,
    pub to_s: f64,
    pub threshold_hz: f64,
    /// Probes per shape in the window.
    pub presentations: Vec<u32>,
    /// Per shape, the E neurons whose mean rate in its probes exceeds the threshold.
    pub cells: Vec<Vec<u32>>,
    /// (shape a, shape b, cells above threshold for both), a < b.
    pub overlaps: Vec<(usize, usize, usize)>,
    /// Per shape, its cells that are above threshold for no other shape.
    pub exclusive: Vec<usize>,
    /// Median of (best − second)/(best + second) over the cells above threshold for some
    /// shape, from their mean rates per shape.
    pub median_si: Option<f64>,
    /// `response_hz[s][o]`: the mean rate of shape s's cells in the probes of shape o [Hz].
    pub response_hz: Vec<Vec<f64>>,
}

/// The read-out over consecutive windows of `window_s` from `start_s`: each window's
/// [`Selectivity`] is computed when a probe beyond it arrives or at [`TimeCourse::finish`].
#[derive(Clone, Debug)]
pub struct TimeCourse {
    window_s: f64,
    threshold_hz: f64,
    current: Responses,
    pub windows: Vec<Selectivity>,
}

impl TimeCourse {
    pub fn new(n_shapes: usize, n_e: usize, start_s: f64, window_s: f64, threshold_hz: f64) -> Self {
        TimeCourse {
            window_s,
            threshold_hz,
            current: Responses::new(n_shapes, n_e, start_s, start_s + window_s),
            windows: Vec::new(),
        }
    }

    pub fn add(&mut self, p: &Probe) {
        if p.onset_s < self.current.from_s {
            return;
        }
        while p.onset_s >= self.current.to_s {
            self.close();
        }
        self.current.add(p);
    }

    /// Closes the current window (if it has any probes) and starts the next.
    fn close(&mut self) {
        let (k, n_e) = (self.current.sums.len(), self.current.sums.first().map_or(0, Vec::len));
        let next = Responses::new(k, n_e, self.current.to_s, self.current.to_s + self.window_s);
        let done = std::mem::replace(&mut self.current, next);
        if done.probes.iter().any(|&n| n > 0) {
            self.windows.push(done.selectivity(self.threshold_hz));
        }
    }

    /// Closes the last window, if it has probes.
    pub fn finish(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(shape: usize, onset_s: f64, counts: &[u16]) -> Probe<'_> {
        Probe { shape, onset_s, probe_s: 0.5, counts }
    }

    /// Five neurons, two shapes, probes of 0.5 s; rates by hand (count / (probes × 0.5 s)):
    /// neuron 0: A 20 Hz, B 0 → exclusive to A, SI 1; neuron 1: A 12, B 14 → both, SI 1/13;
    /// neuron 2: A 4, B 30 → B only, SI 26/34; neuron 3: A 10 (not above 10), B 0 → none;
    /// neuron 4: silent.
    #[test]
    fn cells_overlaps_exclusive_si_and_responses_by_hand() {
        let mut r = Responses::new(2, 5, 100.0, 200.0);
        // Two probes of A: counts sum to 20, 12, 4, 10, 0 over 1 s.
        r.add(&probe(0, 100.0, &[10, 6, 2, 5, 0]));
        r.add(&probe(0, 150.0, &[10, 6, 2, 5, 0]));
        // One probe of B (0.5 s): counts 0, 7, 15, 0, 0 → 0, 14, 30, 0, 0 Hz.
        r.add(&probe(1, 120.0, &[0, 7, 15, 0, 0]));
        // Outside the window: ignored.
        r.add(&probe(1, 99.9, &[99, 99, 99, 99, 99]));
        r.add(&probe(1, 200.0, &[99, 99, 99, 99, 99]));
        let s = r.selectivity(10.0);
        assert_eq!(s.presentations, vec![2, 1]);
        assert_eq!(s.cells, vec![vec![0, 1], vec![1, 2]]);
        assert_eq!(s.overlaps, vec![(0, 1, 1)]);
        assert_eq!(s.exclusive, vec![1, 1]);
        // SIs of the responsive cells 0, 1, 2: 1, 2/26, 26/34; median 26/34.
        assert!((s.median_si.unwrap() - 26.0 / 34.0).abs() < 1e-12);
        // A's cells (0, 1) respond to A with (20 + 12)/2 = 16 Hz and to B with (0 + 14)/2 = 7;
        // B's cells (1, 2) to A with (12 + 4)/2 = 8 and to B with (14 + 30)/2 = 22.
        let want = [[16.0, 7.0], [8.0, 22.0]];
        for (got, want) in s.response_hz.iter().flatten().zip(want.iter().flatten()) {
            assert!((got - want).abs() < 1e-12, "{:?}", s.response_hz);
        }
    }

    #[test]
    fn time_course_closes_windows_in_order_and_skips_empty_ones() {
        let mut tc = TimeCourse::new(2, 2, 0.0, 200.0, 10.0);
        tc.add(&probe(0, 10.0, &[10, 0]));
        tc.add(&probe(1, 150.0, &[10, 10]));
        // Nothing in 200–400 s; the next probe at 450 s closes the first window only.
        tc.add(&probe(0, 450.0, &[0, 10]));
        assert_eq!(tc.windows.len(), 1);
        tc.finish();
        let w: Vec<(f64, f64)> = tc.windows.iter().map(|s| (s.from_s, s.to_s)).collect();
        assert_eq!(w, vec![(0.0, 200.0), (400.0, 600.0)]);
        // First window: neuron 0 responds to both shapes (20 Hz), neuron 1 to B only.
        assert_eq!(tc.windows[0].overlaps, vec![(0, 1, 1)]);
        assert_eq!(tc.windows[1].cells, vec![vec![1], vec![]]);
    }
}
