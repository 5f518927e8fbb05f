//! Sparse projections in CSR form (docs/model.md §7) and the random/receptive-field builders.
//!
//! Synapses are stored by presynaptic neuron (row pointers, `u16` targets, parallel weights).
//! ProjectionId projections also keep a transposed index: for each postsynaptic neuron the *indices*
//! of its incoming synapses (as Auryn's DuplexConnection), used by the postsynaptic-spike update.
//! Structure is frozen after build; values are mutable.

use std::ops::{Index, IndexMut};

use super::params::Params;
use super::rng::{Stream, StreamId};

/// The three populations (docs/model.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Population {
    /// Excitatory neurons.
    E,
    /// Inhibitory neurons.
    I,
    /// Poisson input units (the 64×64 layer).
    Input,
}

impl Population {
    /// In the order of the step (docs/model.md §11) and of snapshots.
    pub const ALL: [Population; 3] = [Population::E, Population::I, Population::Input];

    /// Position in [`Population::ALL`], for arrays indexed by population.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Short name used in files and state array names: `e`, `i`, `input`.
    pub const fn stem(self) -> &'static str {
        match self {
            Population::E => "e",
            Population::I => "i",
            Population::Input => "input",
        }
    }

    /// Name shown to users: `E`, `I`, `Input`.
    pub const fn label(self) -> &'static str {
        match self {
            Population::E => "E",
            Population::I => "I",
            Population::Input => "Input",
        }
    }
}

/// Which plasticity rule runs on a projection (docs/model.md §5, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plasticity {
    /// Fixed weights.
    Static,
    /// The excitatory rule (triplet LTP, LTD, heterosynaptic, transmitter-induced) with
    /// consolidation of w̃ (§5).
    Excitatory,
    /// The globally modulated inhibitory rule (§6).
    Inhibitory,
}

/// The five projections, each with one name. Everything that lists projections — building,
/// the step, snapshots, exports, reports — walks [`ProjectionId::ALL`]; adding a projection
/// means adding a variant here and its row in each `match` below (the compiler lists them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProjectionId {
    /// E→E: random, plastic (excitatory rule), STP.
    Ee,
    /// E→I: random, static, STP.
    Ei,
    /// I→I: random, static.
    Ii,
    /// I→E: random, plastic (inhibitory rule).
    Ie,
    /// Input→E: receptive fields, plastic (excitatory rule), STP.
    InputE,
}

impl ProjectionId {
    /// In the order in which the step propagates them (docs/model.md §11), which is also the
    /// order of every list of projections (snapshots, reports).
    pub const ALL: [ProjectionId; 5] =
        [ProjectionId::Ee, ProjectionId::Ei, ProjectionId::Ii, ProjectionId::Ie, ProjectionId::InputE];

    /// The projections under the excitatory rule, whose w and w̃ can be exported and imported.
    pub const EXCITATORY: [ProjectionId; 2] = [ProjectionId::Ee, ProjectionId::InputE];

    /// Position in [`ProjectionId::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Name shown to users and in messages: `E->E`, `E->I`, `I->I`, `I->E`, `Input->E`.
    pub const fn label(self) -> &'static str {
        match self {
            ProjectionId::Ee => "E->E",
            ProjectionId::Ei => "E->I",
            ProjectionId::Ii => "I->I",
            ProjectionId::Ie => "I->E",
            ProjectionId::InputE => "Input->E",
        }
    }

    /// Name in files, JSON keys and state array names: `ee`, `ei`, `ii`, `ie`, `input_e`.
    pub const fn stem(self) -> &'static str {
        match self {
            ProjectionId::Ee => "ee",
            ProjectionId::Ei => "ei",
            ProjectionId::Ii => "ii",
            ProjectionId::Ie => "ie",
            ProjectionId::InputE => "input_e",
        }
    }

    /// The projection whose [`ProjectionId::stem`] is `s`.
    pub fn from_stem(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.stem() == s)
    }

    /// The MatrixMarket file `engram run` writes its weights w to (w̃ in the companion file).
    pub fn weights_file(self) -> String {
        format!("weights_{}.mtx", self.stem())
    }

    pub const fn pre(self) -> Population {
        match self {
            ProjectionId::Ee | ProjectionId::Ei => Population::E,
            ProjectionId::Ii | ProjectionId::Ie => Population::I,
            ProjectionId::InputE => Population::Input,
        }
    }

    pub const fn post(self) -> Population {
        match self {
            ProjectionId::Ee | ProjectionId::Ie | ProjectionId::InputE => Population::E,
            ProjectionId::Ei | ProjectionId::Ii => Population::I,
        }
    }

    pub const fn plasticity(self) -> Plasticity {
        match self {
            ProjectionId::Ee | ProjectionId::InputE => Plasticity::Excitatory,
            ProjectionId::Ie => Plasticity::Inhibitory,
            ProjectionId::Ei | ProjectionId::Ii => Plasticity::Static,
        }
    }

    /// Whether spikes carry an STP efficacy on this projection (docs/model.md §4): those from E
    /// neurons and input units.
    pub const fn stp(self) -> bool {
        !matches!(self.pre(), Population::I)
    }

    /// Whether the projection keeps a consolidated weight w̃ (docs/model.md §5.4).
    pub const fn consolidates(self) -> bool {
        matches!(self.plasticity(), Plasticity::Excitatory)
    }

    /// Excitatory targets get AMPA, inhibitory ones GABA (docs/model.md §3).
    pub const fn excitatory(self) -> bool {
        !matches!(self.pre(), Population::I)
    }
}

/// One [`Projection`] per [`ProjectionId`], indexed by it.
#[derive(Clone, Debug)]
pub struct Projections([Projection; 5]);

impl Projections {
    /// Builds every projection of a fresh network (docs/model.md §7): random ones by Bernoulli
    /// skip-ahead, Input→E as disc receptive fields, each from its own connectivity stream of
    /// the seed; plastic ones get their transposed index, excitatory ones w̃ = w_a.
    pub fn build(params: &Params) -> Self {
        let n = &params.network;
        let size = |p: Population| match p {
            Population::E => n.n_e,
            Population::I => n.n_i,
            Population::Input => params.n_input(),
        };
        let w_a = params.plasticity.w_a as f32;
        Projections(ProjectionId::ALL.map(|id| {
            let (pre, post) = (size(id.pre()), size(id.post()));
            let mut rng = Stream::new(params.seed, StreamId::Connectivity(id.index() as u32));
            let w0 = match id {
                ProjectionId::Ee => n.w_ee,
                ProjectionId::Ei => n.w_ei,
                ProjectionId::Ii => n.w_ii,
                ProjectionId::Ie => n.w_ie,
                ProjectionId::InputE => n.xi,
            } as f32;
            let mut proj = match id {
                ProjectionId::InputE => {
                    Projection::receptive_fields(n.input_side, post, n.rf_radius, n.rf_wrap, w0, &mut rng)
                }
                _ => Projection::random(pre, post, n.p_conn, w0, id.pre() == id.post(), &mut rng),
            };
            if id.plasticity() != Plasticity::Static {
                proj.make_plastic(id.consolidates(), w_a);
            }
            proj
        }))
    }

    /// Every projection with its id, in [`ProjectionId::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (ProjectionId, &Projection)> {
        ProjectionId::ALL.into_iter().zip(&self.0)
    }

    /// Every projection with its id, mutably, in [`ProjectionId::ALL`] order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (ProjectionId, &mut Projection)> {
        ProjectionId::ALL.into_iter().zip(&mut self.0)
    }
}

impl Index<ProjectionId> for Projections {
    type Output = Projection;
    #[inline(always)]
    fn index(&self, id: ProjectionId) -> &Projection {
        &self.0[id.index()]
    }
}

impl IndexMut<ProjectionId> for Projections {
    #[inline(always)]
    fn index_mut(&mut self, id: ProjectionId) -> &mut Projection {
        &mut self.0[id.index()]
    }
}

#[derive(Clone, Debug)]
pub struct Projection {
    pub n_pre: usize,
    pub n_post: usize,
    /// `row_ptr[j]..row_ptr[j+1]` are the synapses of presynaptic neuron j.
    pub row_ptr: Vec<u32>,
    /// Postsynaptic index of each synapse, ascending within a row.
    pub post: Vec<u16>,
    /// Weight w of each synapse [g_L] (the fragile weight of plastic synapses).
    pub w: Vec<f32>,
    /// Consolidated weight w̃ [g_L], empty unless the projection consolidates. Stored in
    /// *transposed* order — `w_tilde[k]` belongs to synapse `col_syn[k]` — because its hot reader
    /// is the postsynaptic update, which walks one column: w̃ then streams instead of costing a
    /// cache miss per synapse. The consolidation sweep gathers w instead (once per 1.2 s).
    /// Use [`Projection::w_tilde_by_synapse`] for synapse (row) order.
    pub w_tilde: Vec<f32>,
    /// Transposed index (empty unless plastic): `col_ptr[i]..col_ptr[i+1]` index `col_syn` and
    /// `col_pre` for the synapses onto neuron i, ascending by presynaptic index.
    pub col_ptr: Vec<u32>,
    /// Synapse index (into `post`/`w`) of each transposed entry.
    pub col_syn: Vec<u32>,
    /// Presynaptic index of each transposed entry (saves a search at postsynaptic spikes).
    pub col_pre: Vec<u16>,
}

impl Projection {
    /// Builds a projection from (pre, post) pairs sorted by pre, then post.
    fn from_sorted_pairs(n_pre: usize, n_post: usize, pairs: &[(u32, u32)], w0: f32) -> Self {
        let mut row_ptr = vec![0u32; n_pre + 1];
        for &(j, _) in pairs {
            row_ptr[j as usize + 1] += 1;
        }
        for j in 0..n_pre {
            row_ptr[j + 1] += row_ptr[j];
        }
        let post = pairs.iter().map(|&(_, i)| i as u16).collect::<Vec<_>>();
        Projection {
            n_pre,
            n_post,
            row_ptr,
            w: vec![w0; post.len()],
            post,
            w_tilde: Vec::new(),
            col_ptr: Vec::new(),
            col_syn: Vec::new(),
            col_pre: Vec::new(),
        }
    }

    /// Each ordered pair present independently with probability `p` (geometric skip-ahead over
    /// the row-major pair sequence, as Auryn's SparseConnection); no autapses if `no_self`.
    pub fn random(n_pre: usize, n_post: usize, p: f64, w0: f32, no_self: bool, rng: &mut Stream) -> Self {
        let mut pairs = Vec::with_capacity((n_pre as f64 * n_post as f64 * p * 1.05) as usize + 16);
        let total = n_pre as u64 * n_post as u64;
        let mut k = rng.geometric(p);
        while k < total {
            let (j, i) = ((k / n_post as u64) as u32, (k % n_post as u64) as u32);
            if !(no_self && i == j) {
                pairs.push((j, i));
            }
            k += 1 + rng.geometric(p);
        }
        Self::from_sorted_pairs(n_pre, n_post, &pairs, w0)
    }

    /// Input→E disc receptive fields (docs/model.md §7.2): for each postsynaptic neuron a centre drawn
    /// uniformly from the integers 0..=side (clipped discs) or 0..side (`wrap`: discs wrap around
    /// the grid), connected to every pixel within Euclidean distance ≤ `radius`.
    pub fn receptive_fields(side: usize, n_post: usize, radius: f64, wrap: bool, w0: f32, rng: &mut Stream) -> Self {
        let n_pre = side * side;
        let r = radius.floor() as i64;
        let r2 = radius * radius;
        let mut pairs = Vec::new();
        let span = if wrap { side } else { side + 1 } as u64;
        for n in 0..n_post {
            let cx = rng.below(span) as i64;
            let cy = rng.below(span) as i64;
            for dy in -r..=r {
                for dx in -r..=r {
                    if (dx * dx + dy * dy) as f64 > r2 {
                        continue;
                    }
                    let (mut x, mut y) = (cx + dx, cy + dy);
                    if wrap {
                        x = x.rem_euclid(side as i64);
                        y = y.rem_euclid(side as i64);
                    } else if x < 0 || y < 0 || x >= side as i64 || y >= side as i64 {
                        continue;
                    }
                    pairs.push(((y as usize * side + x as usize) as u32, n as u32));
                }
            }
        }
        pairs.sort_unstable();
        // A wrapped disc wider than the grid could hit a pixel twice.
        pairs.dedup();
        Self::from_sorted_pairs(n_pre, n_post, &pairs, w0)
    }

    /// Builds from explicit (pre, post, w) triplets, e.g. an imported weight matrix.
    pub fn from_triplets(n_pre: usize, n_post: usize, mut entries: Vec<(u32, u32, f32)>) -> Self {
        entries.sort_unstable_by_key(|&(j, i, _)| (j, i));
        let pairs: Vec<(u32, u32)> = entries.iter().map(|&(j, i, _)| (j, i)).collect();
        let mut p = Self::from_sorted_pairs(n_pre, n_post, &pairs, 0.0);
        for (s, &(_, _, w)) in entries.iter().enumerate() {
            p.w[s] = w;
        }
        p
    }

    /// Adds the transposed index, and w̃ (initialised to `w_tilde0`) when `consolidate`.
    pub fn make_plastic(&mut self, consolidate: bool, w_tilde0: f32) {
        let mut col_ptr = vec![0u32; self.n_post + 1];
        for &i in &self.post {
            col_ptr[i as usize + 1] += 1;
        }
        for i in 0..self.n_post {
            col_ptr[i + 1] += col_ptr[i];
        }
        let mut fill = col_ptr.clone();
        let mut col_syn = vec![0u32; self.post.len()];
        let mut col_pre = vec![0u16; self.post.len()];
        // Rows in ascending pre order, so each column's entries come out ascending by pre.
        for j in 0..self.n_pre {
            for s in self.row_ptr[j] as usize..self.row_ptr[j + 1] as usize {
                let i = self.post[s] as usize;
                let slot = fill[i] as usize;
                col_syn[slot] = s as u32;
                col_pre[slot] = j as u16;
                fill[i] += 1;
            }
        }
        self.col_ptr = col_ptr;
        self.col_syn = col_syn;
        self.col_pre = col_pre;
        if consolidate {
            self.w_tilde = vec![w_tilde0; self.w.len()];
        }
    }

    /// w̃ in synapse (row-major) order, parallel to `post` and `w` (for exports and views).
    pub fn w_tilde_by_synapse(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.w_tilde.len()];
        for (k, &wt) in self.w_tilde.iter().enumerate() {
            out[self.col_syn[k] as usize] = wt;
        }
        out
    }

    /// Sets w̃ from values in synapse (row-major) order.
    pub fn set_w_tilde_by_synapse(&mut self, values: &[f32]) {
        assert_eq!(values.len(), self.col_syn.len(), "one w̃ per synapse");
        self.w_tilde = self.col_syn.iter().map(|&s| values[s as usize]).collect();
    }

    /// Row splits for postsynaptic ranges starting at `starts` (ascending, `starts[0]` = 0):
    /// `splits[j * (p + 1) + k]` is the first synapse of row j whose target is ≥ `starts[k]`,
    /// and `splits[j * (p + 1) + p]` the row end, where p = `starts.len()`. Rows are sorted by
    /// target, so partition k's share of row j is one contiguous range.
    pub fn row_splits(&self, starts: &[usize]) -> Vec<u32> {
        let p = starts.len();
        let mut splits = Vec::with_capacity(self.n_pre * (p + 1));
        for j in 0..self.n_pre {
            let r = self.row(j);
            let row = &self.post[r.clone()];
            for &start in starts {
                splits.push((r.start + row.partition_point(|&i| (i as usize) < start)) as u32);
            }
            splits.push(r.end as u32);
        }
        splits
    }

    /// Index of the synapse `pre → post`, if it exists (rows are sorted by target).
    pub fn synapse_index(&self, pre: usize, post: usize) -> Option<usize> {
        if pre >= self.n_pre || post > u16::MAX as usize {
            return None;
        }
        let r = self.row(pre);
        self.post[r.clone()].binary_search(&(post as u16)).ok().map(|k| r.start + k)
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.post.len()
    }

    pub fn is_empty(&self) -> bool {
        self.post.is_empty()
    }

    /// Synapse index range of presynaptic neuron j.
    #[inline]
    pub fn row(&self, j: usize) -> std::ops::Range<usize> {
        self.row_ptr[j] as usize..self.row_ptr[j + 1] as usize
    }

    /// In-degree of every postsynaptic neuron.
    pub fn in_degrees(&self) -> Vec<u32> {
        let mut d = vec![0u32; self.n_post];
        for &i in &self.post {
            d[i as usize] += 1;
        }
        d
    }

    /// (pre, post, value) for every synapse in row-major order, for MatrixMarket export.
    pub fn triplets<'a>(&'a self, values: &'a [f32]) -> impl ExactSizeIterator<Item = (u32, u32, f32)> + 'a {
        let mut j = 0usize;
        (0..self.post.len()).map(move |s| {
            while self.row_ptr[j + 1] as usize <= s {
                j += 1;
            }
            (j as u32, self.post[s] as u32, values[s])
        })
    }

    /// Mean of a per-synapse value, 0 for an empty projection.
    pub fn mean(values: &[f32]) -> f64 {
        if values.is_empty() { 0.0 } else { values.iter().map(|&x| x as f64).sum::<f64>() / values.len() as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Stream, StreamId};

    fn stream(seed: u64) -> Stream {
        Stream::new(seed, StreamId::Connectivity(0))
    }

    #[test]
    fn random_in_degrees_match_p_and_no_autapses() {
        let (n, p) = (2000usize, 0.1);
        let proj = Projection::random(n, n, p, 0.1, true, &mut stream(3));
        for j in 0..n {
            assert!(proj.row(j).all(|s| proj.post[s] as usize != j), "autapse at {j}");
        }
        let deg = proj.in_degrees();
        let mean = deg.iter().map(|&d| d as f64).sum::<f64>() / n as f64;
        let var = deg.iter().map(|&d| (d as f64 - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Binomial(n − 1, p): mean 199.9, variance 179.9; the mean of 2000 such has s.d. 0.3.
        let want_mean = (n - 1) as f64 * p;
        assert!((mean - want_mean).abs() < 1.5, "mean in-degree {mean} vs {want_mean}");
        let want_var = want_mean * (1.0 - p);
        assert!((var / want_var - 1.0).abs() < 0.15, "variance {var} vs {want_var}");
        // Rows ascending and unique.
        for j in 0..n {
            let r = &proj.post[proj.row(j)];
            assert!(r.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn cross_population_allows_same_index() {
        let proj = Projection::random(100, 100, 1.0, 1.0, false, &mut stream(1));
        assert_eq!(proj.len(), 10_000);
        let proj = Projection::random(100, 100, 1.0, 1.0, true, &mut stream(1));
        assert_eq!(proj.len(), 9_900);
    }

    #[test]
    fn receptive_fields_are_clipped_discs() {
        let proj = Projection::receptive_fields(64, 4096, 8.0, false, 0.5, &mut stream(7));
        let deg = proj.in_degrees();
        // A full disc of radius 8 holds 197 lattice points (Gauss circle problem, N(8) = 197).
        let full =
            (-8i32..=8).flat_map(|y| (-8i32..=8).map(move |x| (x, y))).filter(|(x, y)| x * x + y * y <= 64).count();
        assert_eq!(full, 197);
        assert!(deg.iter().all(|&d| d as usize <= full));
        assert_eq!(*deg.iter().max().unwrap() as usize, full);
        // Expected in-degree with centres uniform on {0..64}²: the mean over centres of the
        // clipped disc area, computed here by direct enumeration (docs/model.md §7.2: ≈ 174).
        let mut total = 0usize;
        for cy in 0..=64i32 {
            for cx in 0..=64i32 {
                for y in (cy - 8).max(0)..=(cy + 8).min(63) {
                    for x in (cx - 8).max(0)..=(cx + 8).min(63) {
                        if (x - cx).pow(2) + (y - cy).pow(2) <= 64 {
                            total += 1;
                        }
                    }
                }
            }
        }
        let want = total as f64 / (65.0 * 65.0);
        assert!((want - 174.0).abs() < 2.0, "expected mean {want}");
        let mean = deg.iter().map(|&d| d as f64).sum::<f64>() / 4096.0;
        // s.d. of one in-degree ≈ 35, so the mean of 4096 has s.d. ≈ 0.55.
        assert!((mean - want).abs() < 2.5, "mean in-degree {mean} vs {want}");
        // Each neuron's inputs form a disc: all within radius 8 of their centroid region.
        proj.w.iter().for_each(|&w| assert_eq!(w, 0.5));
    }

    #[test]
    fn wrapped_receptive_fields_are_full_discs() {
        let proj = Projection::receptive_fields(64, 500, 8.0, true, 1.0, &mut stream(7));
        assert!(proj.in_degrees().iter().all(|&d| d == 197));
    }

    #[test]
    fn transposed_index_points_back() {
        let mut proj = Projection::random(300, 200, 0.2, 0.1, false, &mut stream(5));
        proj.make_plastic(true, 0.0);
        assert_eq!(proj.w_tilde.len(), proj.len());
        let by_syn: Vec<f32> = (0..proj.len()).map(|s| s as f32).collect();
        proj.set_w_tilde_by_synapse(&by_syn);
        for k in 0..proj.len() {
            assert_eq!(proj.w_tilde[k], proj.col_syn[k] as f32);
        }
        assert_eq!(proj.w_tilde_by_synapse(), by_syn);
        let splits = proj.row_splits(&[0, 50, 120]);
        for j in 0..300 {
            let sp = &splits[j * 4..j * 4 + 4];
            assert_eq!((sp[0] as usize, sp[3] as usize), (proj.row(j).start, proj.row(j).end));
            for (k, bounds) in [(0usize, 0..50usize), (1, 50..120), (2, 120..200)] {
                assert!((sp[k]..sp[k + 1]).all(|s| bounds.contains(&(proj.post[s as usize] as usize))));
            }
        }
        for i in 0..200 {
            let r = proj.col_ptr[i] as usize..proj.col_ptr[i + 1] as usize;
            for k in r.clone() {
                let s = proj.col_syn[k] as usize;
                assert_eq!(proj.post[s] as usize, i);
                assert!(proj.row(proj.col_pre[k] as usize).contains(&s));
            }
            assert!(proj.col_pre[r].windows(2).all(|w| w[0] < w[1]));
        }
        let tr: Vec<_> = proj.triplets(&proj.w).collect();
        assert_eq!(tr.len(), proj.len());
        assert!(tr.windows(2).all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)));
    }

    #[test]
    fn synapse_index_finds_every_synapse_and_nothing_else() {
        let p = Projection::random(64, 64, 0.3, 0.1, true, &mut stream(5));
        for (s, (j, i, _)) in p.triplets(&p.w).enumerate() {
            assert_eq!(p.synapse_index(j as usize, i as usize), Some(s));
        }
        let present = p.triplets(&p.w).count();
        let found = (0..p.n_pre).flat_map(|j| (0..p.n_post).map(move |i| (j, i)));
        assert_eq!(found.filter(|&(j, i)| p.synapse_index(j, i).is_some()).count(), present);
        assert_eq!(p.synapse_index(p.n_pre, 0), None);
        assert_eq!(p.synapse_index(0, 1 << 20), None);
    }
}
