//! The assembly weight structure (the original's WeightPatternMonitor, docs/model.md §12) and
//! assembly overlaps.

use crate::sim::pattern::Pattern;
use crate::sim::views::WeightView;

/// Mean weight and synapse count of one block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BlockMean {
    /// Mean w over the synapses; 0 if there are none [g_L].
    pub mean_w: f64,
    pub n_synapses: u64,
}

/// The assembly weight structure at one time (the original's WeightPatternMonitor, docs/model.md §12).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightStructure {
    pub t_s: f64,
    /// E groups: the assemblies, then "rest" (neurons in no assembly). A neuron in several
    /// assemblies counts as a member of each (as in the original monitor), so blocks of
    /// overlapping assemblies share synapses.
    pub groups: Vec<String>,
    /// E→E, `groups × groups` row-major, row = presynaptic group.
    pub ee: Vec<BlockMean>,
    /// Mean consolidated weight w̃ of the same E→E blocks [g_L] (0 for a block without synapses).
    pub ee_wt: Vec<f64>,
    /// Names of the input patterns of the Input→E rows.
    pub input_from: Vec<String>,
    /// Input→E from the pixels of each pattern (row) to the members of each assembly (column,
    /// no "rest"), `input_from × (groups − 1)` row-major.
    pub input: Vec<BlockMean>,
}

impl WeightStructure {
    pub fn n_assemblies(&self) -> usize {
        self.groups.len().saturating_sub(1)
    }

    /// E→E block from group `pre` to group `post`.
    pub fn ee_at(&self, pre: usize, post: usize) -> BlockMean {
        self.ee[pre * self.groups.len() + post]
    }

    /// Mean w̃ of the E→E block from group `pre` to group `post` [g_L].
    pub fn ee_wt_at(&self, pre: usize, post: usize) -> f64 {
        self.ee_wt.get(pre * self.groups.len() + post).copied().unwrap_or(0.0)
    }

    /// Input→E block from pattern `from` to assembly `to`.
    pub fn input_at(&self, from: usize, to: usize) -> BlockMean {
        self.input[from * self.n_assemblies() + to]
    }

    /// Mean of the diagonal assembly blocks (within) and of the off-diagonal assembly blocks
    /// (between), each block weighted equally; "rest" is left out.
    pub fn within_between(&self) -> (f64, f64) {
        let n = self.n_assemblies();
        let (mut within, mut between) = (Vec::new(), Vec::new());
        for a in 0..n {
            for b in 0..n {
                let m = self.ee_at(a, b);
                if m.n_synapses > 0 {
                    if a == b { within.push(m.mean_w) } else { between.push(m.mean_w) }
                }
            }
        }
        let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
        (mean(&within), mean(&between))
    }
}

/// The weight structure from a [`WeightView`] snapshot (the E→E group means are the view's
/// `group_w`, computed there) and the Input→E means from the pixels of each of
/// `input_patterns` (indices outside the input layer are ignored), weighting each pixel's mean
/// by its synapse count so the result is the mean over synapses. Pure: the GUI can call it on
/// the snapshot it holds.
pub fn weight_structure(view: &WeightView, input_patterns: &[Pattern]) -> WeightStructure {
    let g = view.groups.len();
    let ee = (0..g * g)
        .map(|k| BlockMean {
            mean_w: view.group_w.get(k).copied().unwrap_or(0.0),
            n_synapses: view.group_n.get(k).copied().unwrap_or(0),
        })
        .collect();
    let ee_wt = (0..g * g).map(|k| view.group_wt.get(k).copied().unwrap_or(0.0)).collect();
    let n_asm = view.receptive_fields.len();
    let mut input = Vec::with_capacity(input_patterns.len() * n_asm);
    for p in input_patterns {
        for (rf, counts) in view.receptive_fields.iter().zip(&view.rf_synapses) {
            let (mut sum, mut n) = (0.0, 0u64);
            for &i in &p.indices {
                if let (Some(&m), Some(&c)) = (rf.get(i as usize), counts.get(i as usize)) {
                    sum += m as f64 * c as f64;
                    n += c as u64;
                }
            }
            input.push(BlockMean { mean_w: if n == 0 { 0.0 } else { sum / n as f64 }, n_synapses: n });
        }
    }
    WeightStructure {
        t_s: view.t_s,
        groups: view.groups.clone(),
        ee,
        ee_wt,
        input_from: input_patterns.iter().map(|p| p.name.clone()).collect(),
        input,
    }
}

/// Number of shared members of every pair of assemblies (a < b), in pair order.
pub fn overlaps(assemblies: &[Pattern]) -> Vec<(usize, usize, usize)> {
    let sets: Vec<std::collections::BTreeSet<u32>> =
        assemblies.iter().map(|p| p.indices.iter().copied().collect()).collect();
    let mut out = Vec::new();
    for a in 0..sets.len() {
        for b in a + 1..sets.len() {
            out.push((a, b, sets[a].intersection(&sets[b]).count()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_count_shared_members_once() {
        let a = Pattern::from_indices("a", vec![1, 2, 3, 3]);
        let b = Pattern::from_indices("b", vec![3, 4]);
        let c = Pattern::from_indices("c", vec![]);
        assert_eq!(overlaps(&[a, b, c]), vec![(0, 1, 1), (0, 2, 0), (1, 2, 0)]);
    }

    #[test]
    fn weight_structure_weights_pixels_by_synapses() {
        // Two assemblies, 2×2 pixels: pixel means and counts set by hand.
        let view = WeightView {
            t_s: 60.0,
            groups: vec!["a".into(), "b".into(), "rest".into()],
            group_w: (0..9).map(|k| k as f64 / 10.0).collect(),
            group_wt: (0..9).map(|k| k as f64 / 100.0).collect(),
            group_n: (0..9).map(|k| 100 + k).collect(),
            receptive_fields: vec![vec![1.0, 0.5, 0.0, 2.0], vec![0.25, 0.25, 0.25, 0.25]],
            rf_synapses: vec![vec![1, 3, 0, 4], vec![2, 2, 2, 2]],
            input_side: 2,
            ..Default::default()
        };
        let p = Pattern::from_indices("p", vec![0, 1, 99]);
        let q = Pattern::from_indices("q", vec![2]);
        let ws = weight_structure(&view, &[p, q]);
        assert_eq!(ws.ee_at(1, 2), BlockMean { mean_w: 0.5, n_synapses: 105 });
        // w̃ of the same block (row 1, column 2 = index 5), and 0 outside the matrix.
        assert_eq!((ws.ee_wt_at(1, 2), ws.ee_wt_at(3, 3)), (0.05, 0.0));
        // p → a: (1.0·1 + 0.5·3) / 4 = 0.625 over 4 synapses; index 99 ignored.
        assert_eq!(ws.input_at(0, 0), BlockMean { mean_w: 0.625, n_synapses: 4 });
        assert_eq!(ws.input_at(0, 1), BlockMean { mean_w: 0.25, n_synapses: 4 });
        assert_eq!(ws.input_at(1, 0), BlockMean { mean_w: 0.0, n_synapses: 0 });
        // Within: (0.0 + 0.4)/2; between: (0.1 + 0.3)/2.
        let (w, b) = ws.within_between();
        assert!((w - 0.2).abs() < 1e-12 && (b - 0.2).abs() < 1e-12);
    }
}
