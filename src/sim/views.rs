//! Aggregated views of the network's weights for display: assembly-sorted block matrices,
//! histograms and receptive fields. Computed on the simulation thread a few times a second;
//! never millions of values per frame.
//!
//! [`weight_view`] makes one pass over each plastic projection (E→E and Input→E) and one over
//! each of w and w̃ for the histograms, so its cost is O(synapses): about 9 ms for the full
//! network (0.84 M E→E and 0.71 M Input→E synapses; release build on the 2-core development
//! machine, `cargo test --release --test views -- --ignored`).

use std::ops::Range;

use super::connectivity::Projection;
use super::connectivity::ProjectionId;
use super::network::Network;
use super::pattern::Pattern;

/// Number of bins of the weight histograms.
pub const HIST_BINS: usize = 60;

/// Fraction of the weights that the histogram range must cover: the range is [0, hi] with hi
/// the 99.9th percentile of w and w̃ (whichever is larger), rounded up to a multiple of 0.5 and
/// at least 1 g_L. Larger weights are counted in the top bin.
pub const HIST_QUANTILE: f64 = 0.999;

/// Resolution of the fine histogram the range and the display bins come from [bins per g_L]:
/// 2·[`HIST_BINS`], so each display bin of a range that is a multiple of 0.5 g_L is a whole
/// number of fine bins. The quantile is found to this resolution (its fine bin's lower edge).
const FINE_PER_UNIT: usize = 2 * HIST_BINS;

/// Extent of the fine histogram [g_L]: larger weights are counted in its last bin, so the
/// histogram range is at most this (the model clips at w_max = 5 by default).
pub const FINE_RANGE: usize = 16;

const FINE_BINS: usize = FINE_RANGE * FINE_PER_UNIT;

/// Counts of values in equal-width bins over [lo, hi]. Values above `hi` are counted in the
/// last bin, values below `lo` in the first; NaNs are not counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    pub lo: f32,
    pub hi: f32,
    pub counts: Vec<u32>,
}

impl Histogram {
    /// Width of one bin.
    pub fn bin_width(&self) -> f32 {
        if self.counts.is_empty() { 0.0 } else { (self.hi - self.lo) / self.counts.len() as f32 }
    }

    /// Number of values counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&c| c as u64).sum()
    }
}

/// A snapshot of the plastic weights, arranged for display.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightView {
    /// Model time of the snapshot [s].
    pub t_s: f64,
    /// Names of the groups in display order: one per assembly, then "rest" (always last; the
    /// only group when there are no assemblies).
    pub groups: Vec<String>,
    /// E neurons in display order: members of the first assembly, then of the second (if not
    /// already placed), …, then everybody else in index order.
    pub order: Vec<u32>,
    /// `group_bounds[g]..group_bounds[g+1]` is group g's range in `order` (an assembly whose
    /// members were all placed by earlier assemblies has an empty range).
    pub group_bounds: Vec<usize>,
    /// Side of the block matrices: the requested number, at most the number of E neurons.
    /// Block b holds the positions [`WeightView::block_range`]`(b)` of `order` (contiguous,
    /// sizes differ by at most one).
    pub bins: usize,
    /// E→E mean w per block, `bins × bins` row-major, row = presynaptic block, column =
    /// postsynaptic block of `order`; 0 where a block has no synapse [g_L].
    pub w_blocks: Vec<f32>,
    /// The same for w̃ [g_L].
    pub wt_blocks: Vec<f32>,
    /// Number of synapses behind each block (same layout).
    pub n_blocks: Vec<u32>,
    /// Mean E→E w from group a (row) to group b (column), `groups × groups` row-major; 0 where
    /// there is no synapse [g_L]. Groups here are true memberships, as in the original
    /// WeightPatternMonitor: a neuron in two assemblies counts for both, and "rest" is the
    /// neurons in no assembly (so rows of overlapping assemblies share synapses).
    pub group_w: Vec<f64>,
    /// The same for w̃ [g_L].
    pub group_wt: Vec<f64>,
    /// Number of synapses behind each entry of `group_w` (same layout).
    pub group_n: Vec<u64>,
    /// Histogram of all E→E w ([`HIST_BINS`] bins; range set by [`HIST_QUANTILE`], shared with
    /// `hist_wt` so the two compare bin for bin).
    pub hist_w: Histogram,
    /// Histogram of all E→E w̃, on the same bins as `hist_w` (all zero if the projection keeps
    /// no w̃).
    pub hist_wt: Histogram,
    /// For each assembly, the mean Input→E weight w from every input pixel onto its members
    /// (`input_side²` values, 0 where no member receives that pixel) [g_L]. Pixel i is at
    /// x = i % input_side, y = i / input_side (y up).
    pub receptive_fields: Vec<Vec<f32>>,
    /// For each assembly, the number of Input→E synapses behind each value of
    /// `receptive_fields` (same layout), so that means over several pixels can be weighted by
    /// synapse (see [`super::analysis::weight_structure`]).
    pub rf_synapses: Vec<Vec<u32>>,
    pub input_side: usize,
    /// The inputs of the neuron being inspected, if any (filled by the simulation thread).
    pub neuron: Option<super::probe::NeuronView>,
    /// The view of the forked control network running beside this one, if any (filled by the
    /// simulation thread).
    pub fork: Option<std::sync::Arc<WeightView>>,
}

impl WeightView {
    /// Number of E neurons.
    pub fn n(&self) -> usize {
        self.order.len()
    }

    /// The positions in `order` that block `b` covers.
    pub fn block_range(&self, b: usize) -> Range<usize> {
        let n = self.n();
        let start = |b: usize| (b * n).div_ceil(self.bins.max(1));
        start(b)..start(b + 1)
    }

    /// The group whose range in `order` holds position `pos` (the last group for positions past
    /// the end).
    pub fn group_at(&self, pos: usize) -> usize {
        let g = self.group_bounds.partition_point(|&b| b <= pos);
        g.saturating_sub(1).min(self.groups.len().saturating_sub(1))
    }

    /// Index into a `groups × groups` matrix.
    pub fn group_index(&self, pre: usize, post: usize) -> usize {
        pre * self.groups.len() + post
    }
}

/// Builds the view of `net`'s weights for the given assemblies (sets of E-neuron indices,
/// possibly overlapping, possibly empty; indices ≥ N_E are ignored). `bins` is the requested
/// side of the block matrices.
///
/// One pass over E→E fills the block and group sums, one pass over each of w and w̃ the
/// histograms, and one pass over Input→E the receptive fields. The per-synapse work in E→E is
/// one accumulation into a "cell" (the display order cut at every block and every group
/// boundary, so each cell lies in one block and one group); blocks and groups are then summed
/// from the cells. Neurons in more than one assembly get their further memberships added
/// separately, which costs only in proportion to their synapses.
pub fn weight_view(net: &Network, assemblies: &[Pattern], bins: usize) -> WeightView {
    let (ee, inp) = (net.projection(ProjectionId::Ee), net.projection(ProjectionId::InputE));
    projections_view(ee, inp, net.params().network.input_side, net.time_s(), assemblies, bins)
}

/// [`weight_view`] of given E→E and Input→E projections (`input_side` pixels square) at model
/// time `t_s`.
pub fn projections_view(
    ee: &Projection,
    inp: &Projection,
    input_side: usize,
    t_s: f64,
    assemblies: &[Pattern],
    bins: usize,
) -> WeightView {
    let n = ee.n_pre;
    let groups = Groups::new(n, assemblies);
    let bins = bins.clamp(1, n.max(1));
    let cells = Cells::new(n, bins, &groups.bounds);
    // Cell of each neuron, with EXTRA set if the neuron is in more than one assembly.
    let mut cell_of = vec![0u32; n];
    let mut p = 0;
    for (c, w) in cells.start.windows(2).enumerate() {
        while p < w[1] {
            let i = groups.order[p] as usize;
            cell_of[i] = c as u32 | groups.extra_flag(i);
            p += 1;
        }
    }
    let has_wt = ee.w_tilde.len() == ee.w.len();
    // Row order, parallel to `ee.w` (w̃ is stored by column).
    let w_tilde = if has_wt { ee.w_tilde_by_synapse() } else { vec![0.0; ee.w.len()] };
    let w_tilde = &w_tilde[..];
    let pass = ee_pass(ee, w_tilde, &cell_of, &cells, &groups);

    // Blocks and groups from the cells.
    let nc = cells.len();
    let g_n = groups.count;
    let mut block_acc = vec![Acc::default(); bins * bins];
    let mut group_acc = pass.group_extra;
    for r in 0..nc {
        for c in 0..nc {
            let a = &pass.cells[r * nc + c];
            block_acc[cells.block[r] * bins + cells.block[c]].merge(a);
            group_acc[cells.group[r] * g_n + cells.group[c]].merge(a);
        }
    }
    let (w_blocks, wt_blocks) = means_f32(&block_acc);
    let n_blocks = block_acc.iter().map(|a| a.n as u32).collect();
    let (group_w, group_wt) = means_f64(&group_acc);
    let group_n = group_acc.iter().map(|a| a.n as u64).collect();

    let (hist_w, hist_wt) = histograms(&ee.w, if has_wt { &ee.w_tilde } else { &[] });
    let (receptive_fields, rf_synapses) = receptive_fields(inp, &groups, assemblies.len());

    WeightView {
        t_s,
        groups: assemblies.iter().map(|a| a.name.clone()).chain(std::iter::once("rest".to_string())).collect(),
        order: groups.order,
        group_bounds: groups.bounds,
        bins,
        w_blocks,
        wt_blocks,
        n_blocks,
        group_w,
        group_wt,
        group_n,
        hist_w,
        hist_wt,
        receptive_fields,
        rf_synapses,
        input_side,
        neuron: None,
        fork: None,
    }
}

/// Set in a per-neuron index when the neuron belongs to more than one assembly.
const EXTRA: u32 = 1 << 31;

/// Display order and memberships of the E neurons.
struct Groups {
    /// Number of groups (assemblies + rest).
    count: usize,
    order: Vec<u32>,
    bounds: Vec<usize>,
    /// First group of each neuron (the group whose range holds it), with [`EXTRA`] set if it
    /// is in further assemblies.
    primary: Vec<u32>,
    /// `extra[extra_ptr[i]..extra_ptr[i+1]]`: the further assemblies of neuron i, ascending.
    extra_ptr: Vec<u32>,
    extra: Vec<u32>,
}

impl Groups {
    fn new(n: usize, assemblies: &[Pattern]) -> Self {
        let rest = assemblies.len() as u32;
        let mut primary = vec![rest; n];
        let mut placed = vec![false; n];
        let mut order = Vec::with_capacity(n);
        let mut bounds = vec![0];
        // Further memberships as (neuron, group) pairs, counting-sorted by neuron below; a
        // neuron listed twice in one assembly counts once.
        let mut last_group = vec![u32::MAX; n];
        let mut pairs = Vec::new();
        for (g, a) in assemblies.iter().enumerate() {
            let g = g as u32;
            for &i in &a.indices {
                let iu = i as usize;
                if iu >= n || last_group[iu] == g {
                    continue;
                }
                last_group[iu] = g;
                if placed[iu] {
                    primary[iu] |= EXTRA;
                    pairs.push((i, g));
                } else {
                    placed[iu] = true;
                    primary[iu] = g;
                    order.push(i);
                }
            }
            bounds.push(order.len());
        }
        order.extend((0..n as u32).filter(|&i| !placed[i as usize]));
        bounds.push(order.len());
        let mut extra_ptr = vec![0u32; n + 1];
        for &(i, _) in &pairs {
            extra_ptr[i as usize + 1] += 1;
        }
        for i in 0..n {
            extra_ptr[i + 1] += extra_ptr[i];
        }
        let mut fill = extra_ptr.clone();
        let mut extra = vec![0u32; pairs.len()];
        // Pairs come in ascending group order, so each list stays sorted.
        for (i, g) in pairs {
            extra[fill[i as usize] as usize] = g;
            fill[i as usize] += 1;
        }
        Groups { count: assemblies.len() + 1, order, bounds, primary, extra_ptr, extra }
    }

    #[inline]
    fn extra_flag(&self, i: usize) -> u32 {
        self.primary[i] & EXTRA
    }

    #[inline]
    fn first(&self, i: usize) -> usize {
        (self.primary[i] & !EXTRA) as usize
    }

    /// Further assemblies of neuron i (empty for most).
    #[inline]
    fn extras(&self, i: usize) -> &[u32] {
        &self.extra[self.extra_ptr[i] as usize..self.extra_ptr[i + 1] as usize]
    }

    /// Every group of neuron i: its first, then the further ones.
    fn all(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.first(i)).chain(self.extras(i).iter().map(|&g| g as usize))
    }
}

/// The display order cut at every block and every group boundary.
struct Cells {
    /// `start[c]..start[c+1]` are cell c's positions in the order.
    start: Vec<usize>,
    /// Block and group of each cell.
    block: Vec<usize>,
    group: Vec<usize>,
}

impl Cells {
    fn new(n: usize, bins: usize, group_bounds: &[usize]) -> Self {
        // Block b starts at ⌈b·n/bins⌉, the first position p with ⌊p·bins/n⌋ = b.
        let mut start: Vec<usize> =
            (0..=bins).map(|b| (b * n).div_ceil(bins)).chain(group_bounds.iter().copied()).collect();
        start.sort_unstable();
        start.dedup();
        let cells = start.len().saturating_sub(1);
        let block = start[..cells].iter().map(|&p| p * bins / n.max(1)).collect();
        // The group whose (non-empty) range holds the cell's first position.
        let group = start[..cells].iter().map(|&p| group_bounds.partition_point(|&b| b <= p) - 1).collect();
        Cells { start, block, group }
    }

    fn len(&self) -> usize {
        self.block.len()
    }
}

/// What one pass over E→E collects.
struct EePass {
    /// (w, w̃, count) per (pre cell, post cell).
    cells: Vec<Acc>,
    /// Group sums of the memberships beyond each neuron's first (`groups × groups`).
    group_extra: Vec<Acc>,
}

fn ee_pass(ee: &Projection, w_tilde: &[f32], cell_of: &[u32], cells: &Cells, groups: &Groups) -> EePass {
    let nc = cells.len();
    let g_n = groups.count;
    let mut cell_acc = vec![Acc::default(); nc * nc];
    let mut group_extra = vec![Acc::default(); g_n * g_n];
    // Sums of one presynaptic row by postsynaptic group.
    let mut row = vec![Acc::default(); g_n];
    for j in 0..ee.n_pre {
        let r = ee.row(j);
        if r.is_empty() {
            continue;
        }
        let base = (cell_of[j] & !EXTRA) as usize * nc;
        let cell_row = &mut cell_acc[base..base + nc];
        let mut post_extras = false;
        for ((&i, &w), &wt) in ee.post[r.clone()].iter().zip(&ee.w[r.clone()]).zip(&w_tilde[r.clone()]) {
            let i = i as usize;
            let c = cell_of[i];
            cell_row[(c & !EXTRA) as usize].add(w as f64, wt as f64);
            if c & EXTRA != 0 {
                // [a ∈ groups(j)] · [b ∈ further groups(i)]
                post_extras = true;
                for &b in groups.extras(i) {
                    row[b as usize].add(w as f64, wt as f64);
                }
            }
        }
        if post_extras {
            for a in groups.all(j) {
                merge_row(&mut group_extra[a * g_n..(a + 1) * g_n], &row);
            }
            row.fill(Acc::default());
        }
        if cell_of[j] & EXTRA != 0 {
            // [a ∈ further groups(j)] · [b = first group(i)]
            for (&i, (&w, &wt)) in ee.post[r.clone()].iter().zip(ee.w[r.clone()].iter().zip(&w_tilde[r])) {
                row[groups.first(i as usize)].add(w as f64, wt as f64);
            }
            for &a in groups.extras(j) {
                let a = a as usize;
                merge_row(&mut group_extra[a * g_n..(a + 1) * g_n], &row);
            }
            row.fill(Acc::default());
        }
    }
    EePass { cells: cell_acc, group_extra }
}

fn merge_row(dst: &mut [Acc], src: &[Acc]) {
    for (d, s) in dst.iter_mut().zip(src) {
        d.merge(s);
    }
}

/// Mean Input→E w per (assembly, pixel) over the synapses from that pixel onto the assembly's
/// members, and the number of those synapses.
fn receptive_fields(inp: &Projection, groups: &Groups, n_assemblies: usize) -> (Vec<Vec<f32>>, Vec<Vec<u32>>) {
    if n_assemblies == 0 {
        return (Vec::new(), Vec::new());
    }
    let n_pix = inp.n_pre;
    // Pixel-major so the writes of one row stay close together; slot `n_assemblies` of each
    // pixel collects the rest and is ignored (cheaper than a branch that membership makes
    // unpredictable).
    let stride = n_assemblies + 1;
    let mut sum = vec![0f64; n_pix * stride];
    let mut count = vec![0u32; n_pix * stride];
    for p in 0..n_pix {
        let r = inp.row(p);
        let base = p * stride;
        for (&i, &w) in inp.post[r.clone()].iter().zip(&inp.w[r]) {
            let i = i as usize;
            let k = base + groups.first(i);
            sum[k] += w as f64;
            count[k] += 1;
            if groups.extra_flag(i) != 0 {
                for &g in groups.extras(i) {
                    sum[base + g as usize] += w as f64;
                    count[base + g as usize] += 1;
                }
            }
        }
    }
    let means = (0..n_assemblies)
        .map(|g| {
            (0..n_pix)
                .map(|p| {
                    let k = p * stride + g;
                    if count[k] == 0 { 0.0 } else { (sum[k] / count[k] as f64) as f32 }
                })
                .collect()
        })
        .collect();
    let counts = (0..n_assemblies).map(|g| (0..n_pix).map(|p| count[p * stride + g]).collect()).collect();
    (means, counts)
}

/// Fine histogram bin of a weight: width 1/[`FINE_PER_UNIT`] from 0; negative values (and
/// NaN, which the callers do not count) go to bin 0, values ≥ [`FINE_RANGE`] to the last.
#[inline]
fn fine_bin(x: f32) -> usize {
    // Clamping in float first makes the cast cheaper; a NaN stays NaN and casts to 0.
    (x * FINE_PER_UNIT as f32).clamp(0.0, (FINE_BINS - 1) as f32) as usize
}

/// The lower edge of the fine bin holding the [`HIST_QUANTILE`] quantile, rounded up to a
/// multiple of 0.5 [g_L]; 0 for no values.
fn quantile_edge(fine: &[u32]) -> f32 {
    let total: u64 = fine.iter().map(|&c| c as u64).sum();
    if total == 0 {
        return 0.0;
    }
    let target = (HIST_QUANTILE * total as f64).ceil() as u64;
    let half = FINE_PER_UNIT / 2;
    let mut cum = 0u64;
    for (k, &c) in fine.iter().enumerate() {
        cum += c as u64;
        if cum >= target {
            // k / FINE_PER_UNIT rounded up to a multiple of 0.5, in integers.
            return k.div_ceil(half) as f32 * 0.5;
        }
    }
    fine.len().div_ceil(half) as f32 * 0.5
}

/// Sums the fine bins into [`HIST_BINS`] bins over [0, hi] (hi a multiple of 0.5); fine bins
/// above hi go to the top bin.
fn coarsen(fine: &[u32], hi: f32) -> Histogram {
    let per_bin = ((hi * FINE_PER_UNIT as f32).round() as usize / HIST_BINS).max(1);
    let mut counts = vec![0u32; HIST_BINS];
    for (k, &c) in fine.iter().enumerate() {
        counts[(k / per_bin).min(HIST_BINS - 1)] += c;
    }
    Histogram { lo: 0.0, hi, counts }
}

/// Histograms of w and w̃ on a shared range (see [`HIST_QUANTILE`]). An empty `w_tilde`
/// gives an all-zero w̃ histogram.
fn histograms(w: &[f32], w_tilde: &[f32]) -> (Histogram, Histogram) {
    let (fw, fwt) = (fine_histogram(w), fine_histogram(w_tilde));
    let hi = quantile_edge(&fw).max(quantile_edge(&fwt)).max(1.0);
    (coarsen(&fw, hi), coarsen(&fwt, hi))
}

/// Counts per fine bin (see [`fine_bin`]), NaNs not counted. Four sets of counters, one per
/// lane of four consecutive values: most weights share a value (a fresh network's are all
/// equal), and a single counter would make every increment wait for the previous one.
fn fine_histogram(values: &[f32]) -> Vec<u32> {
    let mut lanes: [Vec<u32>; 4] = std::array::from_fn(|_| vec![0; FINE_BINS]);
    let [a, b, c, d] = &mut lanes;
    let count = |x: f32| (!x.is_nan()) as u32;
    let chunks = values.chunks_exact(4);
    for &x in chunks.remainder() {
        a[fine_bin(x)] += count(x);
    }
    for q in chunks {
        a[fine_bin(q[0])] += count(q[0]);
        b[fine_bin(q[1])] += count(q[1]);
        c[fine_bin(q[2])] += count(q[2]);
        d[fine_bin(q[3])] += count(q[3]);
    }
    (0..FINE_BINS).map(|k| a[k] + b[k] + c[k] + d[k]).collect()
}

/// Running sums of w, w̃ and the number of synapses.
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    w: f64,
    wt: f64,
    n: f64,
}

impl Acc {
    #[inline]
    fn add(&mut self, w: f64, wt: f64) {
        self.w += w;
        self.wt += wt;
        self.n += 1.0;
    }

    #[inline]
    fn merge(&mut self, o: &Acc) {
        self.w += o.w;
        self.wt += o.wt;
        self.n += o.n;
    }

    fn means(&self) -> (f64, f64) {
        if self.n == 0.0 { (0.0, 0.0) } else { (self.w / self.n, self.wt / self.n) }
    }
}

fn means_f64(acc: &[Acc]) -> (Vec<f64>, Vec<f64>) {
    acc.iter().map(Acc::means).unzip()
}

fn means_f32(acc: &[Acc]) -> (Vec<f32>, Vec<f32>) {
    acc.iter().map(Acc::means).map(|(w, wt)| (w as f32, wt as f32)).unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_range_is_the_quantile_rounded_up_to_half_and_at_least_one() {
        // 999 values at 0.1 and one at 4.9: the 99.9th percentile is 0.1, so the range is 1.
        let mut w = vec![0.1f32; 999];
        w.push(4.9);
        let (h, ht) = histograms(&w, &[]);
        assert_eq!((h.lo, h.hi), (0.0, 1.0));
        assert_eq!(h.counts.len(), HIST_BINS);
        // 0.1 is in bin ⌊0.1·60⌋ = 6; 4.9 is clamped into the top bin.
        assert_eq!(h.counts[6], 999);
        assert_eq!(h.counts[HIST_BINS - 1], 1);
        assert_eq!(h.total(), 1000);
        assert_eq!(ht.total(), 0);
        assert_eq!(ht.hi, 1.0);

        // 998 at 0.1 and two at 2.3: now the quantile is 2.3 → range 2.5, bin ⌊2.3/2.5·60⌋ = 55.
        let mut w = vec![0.1f32; 998];
        w.extend([2.3, 2.3]);
        let (h, _) = histograms(&w, &[]);
        assert_eq!(h.hi, 2.5);
        assert_eq!(h.counts[55], 2);
        assert_eq!(h.counts[2], 998, "0.1/2.5·60 = 2.4");
    }

    #[test]
    fn histogram_range_is_shared_and_skips_nan() {
        let w = vec![0.2f32; 10];
        let wt = vec![f32::NAN, -0.5, 1.7, 1.7];
        let (h, ht) = histograms(&w, &wt);
        // The quantile of w̃ (1.7) sets the shared range: 2.0.
        assert_eq!((h.hi, ht.hi), (2.0, 2.0));
        assert_eq!(h.counts[6], 10, "0.2/2·60 = 6");
        assert_eq!(ht.counts[0], 1, "negative values go to the first bin");
        assert_eq!(ht.counts[51], 2, "1.7/2·60 = 51");
        assert_eq!(ht.total(), 3, "NaN not counted");
    }

    #[test]
    fn block_ranges_tile_the_order() {
        let v = WeightView { order: (0..10).collect(), bins: 4, ..Default::default() };
        let r: Vec<_> = (0..4).map(|b| v.block_range(b)).collect();
        assert_eq!(r, [0..3, 3..5, 5..8, 8..10]);
        // Consistent with the ⌊p·bins/n⌋ rule used to fill the blocks.
        for (b, range) in r.iter().enumerate() {
            assert!(range.clone().all(|p| p * 4 / 10 == b));
        }
    }

    #[test]
    fn group_at_finds_ranges_and_skips_empty_groups() {
        let v = WeightView {
            groups: vec!["a".into(), "b".into(), "rest".into()],
            group_bounds: vec![0, 3, 3, 10],
            order: (0..10).collect(),
            ..Default::default()
        };
        assert_eq!(v.group_at(0), 0);
        assert_eq!(v.group_at(2), 0);
        assert_eq!(v.group_at(3), 2);
        assert_eq!(v.group_at(9), 2);
        assert_eq!(v.group_at(50), 2);
    }
}
