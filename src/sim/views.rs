//! Aggregated views of the network's weights for display: assembly-sorted block matrices,
//! histograms and receptive fields. Computed on the simulation thread a few times a second;
//! never millions of values per frame.

use super::network::Network;
use super::pattern::Pattern;

/// Counts of values in equal-width bins over [lo, hi].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    pub lo: f32,
    pub hi: f32,
    pub counts: Vec<u32>,
}

/// A snapshot of the plastic weights, arranged for display.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WeightView {
    /// Model time of the snapshot [s].
    pub t_s: f64,
    /// Names of the groups in display order: one per assembly, then "rest".
    pub groups: Vec<String>,
    /// E neurons in display order: members of the first assembly, then of the second (if not
    /// already placed), …, then everybody else.
    pub order: Vec<u32>,
    /// `group_bounds[g]..group_bounds[g+1]` is group g's range in `order`.
    pub group_bounds: Vec<usize>,
    /// Side of the block matrices.
    pub bins: usize,
    /// E→E mean w per block, `bins × bins`, row = presynaptic block, column = postsynaptic
    /// block of `order`; 0 where a block has no synapse [g_L].
    pub w_blocks: Vec<f32>,
    /// The same for w̃ [g_L].
    pub wt_blocks: Vec<f32>,
    /// Mean E→E w from group a (row) to group b (column), `groups × groups` [g_L].
    pub group_w: Vec<f64>,
    /// The same for w̃ [g_L].
    pub group_wt: Vec<f64>,
    /// Histograms of all E→E w and w̃.
    pub hist_w: Histogram,
    pub hist_wt: Histogram,
    /// For each assembly, the mean Input→E weight from every input pixel onto its members
    /// (`input_side²` values, 0 where no member receives that pixel) [g_L].
    pub receptive_fields: Vec<Vec<f32>>,
    pub input_side: usize,
}

/// Builds the view of `net`'s weights for the given assemblies.
pub fn weight_view(net: &Network, assemblies: &[Pattern], bins: usize) -> WeightView {
    let _ = (net, assemblies, bins);
    WeightView::default()
}
