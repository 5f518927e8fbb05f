//! The per-synapse loops of the step: arrivals (conductance jumps and presynaptic updates) and
//! postsynaptic updates, scalar and AVX2, with their prefetching. Each works on one
//! partition's (or share's) synapses of one projection; the rules themselves are the functions
//! of [`crate::sim::plasticity`], which the loops call (the AVX2 loop performs the same
//! operations in the same order, and its test compares it with them).

use std::ops::Range;

use super::derived::Derived;
use crate::sim::connectivity::Projection;
use crate::sim::params::Rule;
use crate::sim::plasticity;
use crate::sim::pool::Disjoint;
use crate::sim::traces::PostScale;

/// A spiking E neuron and the factors of its postsynaptic update (docs/model.md §5.3), from its
/// traces at the end of the previous step: LTP A·z_i and heterosynaptic β·y_i³.
#[derive(Clone, Copy, Debug)]
pub(super) struct PostSpike {
    pub i: u32,
    pub az: f32,
    pub het: f32,
}

/// The LTD amplitudes of docs/model.md §5.2 as one step reads them, from a partition's scaled
/// post traces (computed per synapse visit, a few multiplications, instead of per neuron and
/// step): see [`plasticity::ltd`].
pub(super) struct Ltd<'a> {
    y: &'a [f32],
    h: &'a [f64],
    /// B times y's scale.
    by: f32,
    /// h's scale over τ_hom·κ: turns a stored h_i into ν̄_i/κ (P11 only).
    h_to_ratio: f64,
    p11: bool,
    /// With the single-precision homeostat emulation: h in f32, τ_hom and κ (see
    /// [`super::derived::Hom32`]); ν̄_i/κ is then (h_i/τ_hom)/κ in f32, as the original reads it.
    h32: Option<(&'a [f32], f32, f32)>,
}

impl<'a> Ltd<'a> {
    pub fn new(y: &'a [f32], (h, h32): (&'a [f64], &'a [f32]), c: PostScale, d: &Derived) -> Self {
        let h_to_ratio = c.h * (d.inv_tau_hom / d.kappa_hz);
        let h32 = d.hom32.map(|e| (h32, e.tau_s, e.kappa_hz));
        Ltd { y, h, by: d.b_ltd * c.y, h_to_ratio, p11: d.rule == Rule::P11, h32 }
    }

    /// The amplitude for neuron `i` of the partition (local index).
    #[inline(always)]
    pub(super) fn at(&self, i: usize) -> f32 {
        let ratio = self.p11.then(|| match self.h32 {
            None => (self.h[i] * self.h_to_ratio) as f32,
            Some((h, tau, kappa)) => h[i] / tau / kappa,
        });
        plasticity::ltd(self.by * self.y[i], ratio)
    }
}

/// Partition k's share of the synapses of presynaptic neuron j: `splits` are the projection's
/// row splits for `pp − 1` partitions (see [`Projection::row_splits`]).
#[inline(always)]
fn share(splits: &[u32], pp: usize, j: u32, k: usize) -> Range<usize> {
    let base = j as usize * pp;
    splits[base + k] as usize..splits[base + k + 1] as usize
}

/// Arrivals onto partition k on an excitatory plastic projection: conductance jump w·e, then
/// the presynaptic update w ← max(0, w − ltd_i + δ) (docs/model.md §5.2).
///
/// # Safety
/// Partition k's synapses of `w` and the targets' entries of `g_ampa` are accessed by no other
/// thread meanwhile; `e0` is the partition's first E neuron and every target lies in it.
#[expect(clippy::too_many_arguments, reason = "one projection's slice of one step, spelled out")]
pub(super) unsafe fn exc_arrivals(
    proj: &Projection,
    w: Disjoint<f32>,
    splits: &[u32],
    pp: usize,
    k: usize,
    (ids, eff): (&[u32], &[f32]),
    g_ampa: Disjoint<f32>,
    ltd: &Ltd,
    e0: usize,
    d: &Derived,
) {
    for (&j, &e) in ids.iter().zip(eff) {
        let r = share(splits, pp, j, k);
        if r.is_empty() {
            continue;
        }
        // SAFETY: row j's share of partition k, exclusive by the caller's contract.
        let (post, w) = (&proj.post[r.clone()], unsafe { w.range_mut(r) });
        if d.exc_plastic {
            for (w, &i) in w.iter_mut().zip(post) {
                let i = i as usize;
                // SAFETY: target i lies in partition k (caller's contract).
                unsafe { *g_ampa.at(i) += *w * e };
                *w = plasticity::exc_pre(*w, ltd.at(i - e0), d.delta);
            }
        } else {
            for (w, &i) in w.iter().zip(post) {
                // SAFETY: target i lies in partition k (caller's contract).
                unsafe { *g_ampa.at(i as usize) += *w * e };
            }
        }
    }
}

/// Arrivals onto partition k on a static projection: the target conductance `g` gets w·e
/// (e = 1 without STP).
///
/// # Safety
/// The entries of `g` of partition k's targets are accessed by no other thread meanwhile.
pub(super) unsafe fn static_arrivals(
    proj: &Projection,
    splits: &[u32],
    pp: usize,
    k: usize,
    ids: &[u32],
    eff: Option<&[f32]>,
    g: Disjoint<f32>,
) {
    for (n, &j) in ids.iter().enumerate() {
        let e = eff.map_or(1.0, |eff| eff[n]);
        let r = share(splits, pp, j, k);
        for (&w, &i) in proj.w[r.clone()].iter().zip(&proj.post[r]) {
            // SAFETY: target i lies in partition k (caller's contract).
            unsafe { *g.at(i as usize) += w * e };
        }
    }
}

/// Arrivals onto partition k on the I→E projection: the target's g_GABA gets w, then the
/// presynaptic inhibitory update w ← max(0, w + G(y_i + 1) − ζ) (docs/model.md §6) with the
/// target's y (scaled by `y_scale`; `y` holds the partition's neurons from `e0`).
///
/// # Safety
/// Partition k's synapses of `w` and its targets' entries of `g_gaba` are accessed by no other
/// thread meanwhile.
#[expect(clippy::too_many_arguments, reason = "one projection's slice of one step, spelled out")]
pub(super) unsafe fn inh_arrivals(
    proj: &Projection,
    w: Disjoint<f32>,
    splits: &[u32],
    pp: usize,
    k: usize,
    ids: &[u32],
    g_gaba: Disjoint<f32>,
    (y, y_scale, e0): (&[f32], f32, usize),
    g_mod: f32,
    d: &Derived,
) {
    for &j in ids {
        for s in share(splits, pp, j, k) {
            let post = proj.post[s] as usize;
            // SAFETY: synapse s and target `post` belong to partition k (caller's contract).
            let wi = unsafe { w.at(s) };
            // SAFETY: as above.
            unsafe { *g_gaba.at(post) += *wi };
            if d.inh_plastic {
                *wi = plasticity::inh_pre(*wi, g_mod, y[post - e0] * y_scale, d.zeta);
            }
        }
    }
}

/// Prefetches partition k's share of the rows of `ids` (weights through `w`, which other
/// threads may be writing, and targets), a phase before the arrivals walk them: a row is last
/// touched at its neuron's previous spike, so without this each starts with cache misses.
pub(super) fn prefetch_rows(proj: &Projection, w: Disjoint<f32>, splits: &[u32], pp: usize, k: usize, ids: &[u32]) {
    for &j in ids {
        let r = share(splits, pp, j, k);
        // 16 f32 or 32 u16 per cache line.
        for s in r.clone().step_by(16) {
            w.prefetch(s);
        }
        prefetch_lines(&proj.post[r]);
    }
}

/// How many synapses ahead the postsynaptic update prefetches its weights.
const PREFETCH_AHEAD: usize = 16;

/// Calls `f(spike, cols)` for share `k` of `p` of the spiking neurons' incoming synapses: their
/// columns (ranges of `col_ptr`), concatenated in spike order, cut into `p` nearly equal
/// pieces, so a column may be split between two shares.
pub(super) fn for_column_share(
    col_ptr: &[u32],
    spikes: &[PostSpike],
    k: usize,
    p: usize,
    mut f: impl FnMut(&PostSpike, Range<usize>),
) {
    let col = |s: &PostSpike| col_ptr[s.i as usize] as usize..col_ptr[s.i as usize + 1] as usize;
    let (lo, hi) = if p == 1 {
        (0, usize::MAX)
    } else {
        let total: usize = spikes.iter().map(|s| col(s).len()).sum();
        (total * k / p, total * (k + 1) / p)
    };
    let mut off = 0;
    for s in spikes {
        let c = col(s);
        let (a, b) = (lo.max(off), hi.min(off + c.len()));
        if a < b {
            f(s, c.start + (a - off)..c.start + (b - off));
        }
        off += c.len();
        if off >= hi {
            break;
        }
    }
}

/// The postsynaptic update (docs/model.md §5.3) of a spiking neuron on the synapses `cols` of
/// its column of an excitatory plastic projection, [`plasticity::exc_post`] per synapse with
/// LTP A z_i x_j. Eight synapses at a time with AVX2 gathers where the CPU has them (same
/// operations in the same order, so the same results), the rest one by one.
///
/// # Safety
/// The synapses `cols` (of `w` and `w_tilde`) are accessed by no other thread meanwhile.
pub(super) unsafe fn exc_post(
    proj: &Projection,
    w: Disjoint<f32>,
    w_tilde: Disjoint<f32>,
    s: &PostSpike,
    cols: Range<usize>,
    (x_pre, scale): (&[f32], f32),
    w_max: f32,
) {
    // SAFETY: by the caller's contract (w̃ is stored in column order).
    let wt = unsafe { w_tilde.range(cols.clone()) };
    let (pre, syn) = (&proj.col_pre[cols.clone()], &proj.col_syn[cols]);
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2; the synapses are exclusive by the caller's contract.
        done = unsafe { exc_post_avx2(w, syn, pre, wt, (x_pre, scale), s, w_max) };
    }
    // SAFETY: the synapses of `cols`, exclusive by the caller's contract.
    unsafe {
        for_each_gathered(w, &syn[done..], |n, ws| {
            let n = done + n;
            let ltp = s.az * (x_pre[pre[n] as usize] * scale);
            *ws = plasticity::exc_post(*ws, wt[n], ltp, s.het, w_max);
        });
    }
}

/// [`exc_post`] on whole blocks of 8 synapses; returns how many it did. The rule is
/// [`plasticity::exc_post`] written with vector operations in the same order. Both gathers are
/// checked against the arrays' lengths (a vector compare per block); the scatter writes 8
/// distinct synapses (a column has each synapse once).
///
/// # Safety
/// The CPU supports AVX2; the synapses `syn` are accessed by no other thread meanwhile.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exc_post_avx2(
    w: Disjoint<f32>,
    syn: &[u32],
    pre: &[u16],
    wt: &[f32],
    (x_pre, scale): (&[f32], f32),
    s: &PostSpike,
    w_max: f32,
) -> usize {
    use std::arch::x86_64::{
        _MM_HINT_T0, _mm_loadu_si128, _mm_prefetch, _mm256_add_ps, _mm256_and_si256, _mm256_cmpeq_epi32,
        _mm256_cvtepu16_epi32, _mm256_i32gather_ps, _mm256_loadu_ps, _mm256_loadu_si256, _mm256_max_epu32,
        _mm256_max_ps, _mm256_min_ps, _mm256_movemask_epi8, _mm256_mul_ps, _mm256_set1_epi32, _mm256_set1_ps,
        _mm256_setzero_ps, _mm256_storeu_ps, _mm256_storeu_si256, _mm256_sub_ps,
    };
    let n = syn.len() / 8 * 8;
    if n == 0 {
        return 0;
    }
    assert!(pre.len() >= n && wt.len() >= n && !x_pre.is_empty() && !w.is_empty() && i32::try_from(w.len()).is_ok());
    for &k in &syn[..syn.len().min(PREFETCH_AHEAD)] {
        w.prefetch(k as usize);
    }
    let (w_last, x_last) = (_mm256_set1_epi32(w.len() as i32 - 1), _mm256_set1_epi32(x_pre.len() as i32 - 1));
    let (az, het, sc) = (_mm256_set1_ps(s.az), _mm256_set1_ps(s.het), _mm256_set1_ps(scale));
    let (zero, top) = (_mm256_setzero_ps(), _mm256_set1_ps(w_max));
    let (mut out, mut at) = ([0f32; 8], [0u32; 8]);
    for b in (0..n).step_by(8) {
        let ahead = b + PREFETCH_AHEAD;
        if ahead + 8 <= syn.len() {
            // SAFETY: `ahead + 8 ≤ syn.len()`, so the load is in bounds; a prefetch never
            // faults (the index is checked when it is used).
            unsafe {
                _mm256_storeu_si256(at.as_mut_ptr().cast(), _mm256_loadu_si256(syn.as_ptr().add(ahead).cast()));
                for &k in &at {
                    _mm_prefetch::<_MM_HINT_T0>(w.as_ptr().wrapping_add(k as usize).cast());
                }
            }
        } else {
            syn.get(ahead..).unwrap_or(&[]).iter().for_each(|&k| w.prefetch(k as usize));
        }
        // SAFETY: b + 8 ≤ n ≤ the lengths of `syn`, `pre` and `wt`; every gathered index is
        // checked against its array first (the assert); the 8 written synapses are distinct
        // and exclusive by the caller's contract.
        unsafe {
            let idx = _mm256_loadu_si256(syn.as_ptr().add(b).cast());
            let p = _mm256_cvtepu16_epi32(_mm_loadu_si128(pre.as_ptr().add(b).cast()));
            let in_w = _mm256_cmpeq_epi32(_mm256_max_epu32(idx, w_last), w_last);
            let in_x = _mm256_cmpeq_epi32(_mm256_max_epu32(p, x_last), x_last);
            assert!(_mm256_movemask_epi8(_mm256_and_si256(in_w, in_x)) == -1, "synapse index out of range");
            let wv = _mm256_i32gather_ps::<4>(w.as_ptr(), idx);
            let xv = _mm256_i32gather_ps::<4>(x_pre.as_ptr(), p);
            let ltp = _mm256_mul_ps(az, _mm256_mul_ps(xv, sc));
            let dw = _mm256_mul_ps(het, _mm256_sub_ps(wv, _mm256_loadu_ps(wt.as_ptr().add(b))));
            // max(0, ·) then min(w_max, ·) pass a NaN through as f32::clamp does.
            let v = _mm256_min_ps(top, _mm256_max_ps(zero, _mm256_sub_ps(_mm256_add_ps(wv, ltp), dw)));
            _mm256_storeu_ps(out.as_mut_ptr(), v);
            _mm256_storeu_si256(at.as_mut_ptr().cast(), idx);
            for (&k, &o) in at.iter().zip(&out) {
                *w.as_ptr().add(k as usize) = o;
            }
        }
    }
    n
}

/// Calls `f(n, &mut w[syn[n]])` for every n in order. These scattered read-modify-writes miss
/// cache on almost every synapse (one per presynaptic row), so each prefetches the weight
/// [`PREFETCH_AHEAD`] synapses ahead: the misses overlap instead of queueing.
///
/// # Safety
/// The synapses `syn` are accessed by no other thread meanwhile.
#[inline(always)]
pub(super) unsafe fn for_each_gathered(w: Disjoint<f32>, syn: &[u32], mut f: impl FnMut(usize, &mut f32)) {
    for &s in &syn[..syn.len().min(PREFETCH_AHEAD)] {
        w.prefetch(s as usize);
    }
    for (n, &s) in syn.iter().enumerate() {
        if let Some(&ahead) = syn.get(n + PREFETCH_AHEAD) {
            w.prefetch(ahead as usize);
        }
        // SAFETY: synapse s is exclusive by the caller's contract.
        f(n, unsafe { w.at(s as usize) });
    }
}

/// Hints the CPU to fetch the cache lines of `s` (x86-64; nothing elsewhere).
pub(super) fn prefetch_lines<T>(s: &[T]) {
    #[cfg(target_arch = "x86_64")]
    for k in (0..size_of_val(s)).step_by(64) {
        // SAFETY: the address is inside `s`; a prefetch never faults.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(s.as_ptr().cast::<i8>().add(k));
        }
    }
    // Prefetching is a hint only available on x86-64; elsewhere the slice goes unused.
    #[cfg(not(target_arch = "x86_64"))]
    let _ = s;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column update (eight at a time with AVX2, then one by one) against the rule applied
    /// synapse by synapse with [`plasticity::post_factors`] and [`plasticity::exc_post`]: 38
    /// synapses onto neuron 1 (four blocks of 8 and 6 more), some driven below 0 and above
    /// w_max, and a NaN weight that stays NaN as with `f32::clamp`.
    #[test]
    fn column_update_is_the_rule_synapse_by_synapse() {
        let entries: Vec<(u32, u32, f32)> = (0..57u32)
            .flat_map(|j| [(j, 0, 1.0), (j, 1, 0.17 * (j % 31) as f32)])
            .filter(|&(j, i, _)| i == 0 || j % 3 != 1)
            .collect();
        let mut proj = Projection::from_triplets(57, 2, entries);
        proj.make_plastic(true, 0.0);
        let cols = proj.col_ptr[1] as usize..proj.col_ptr[2] as usize;
        assert_eq!(cols.len(), 38);
        let nan = proj.col_syn[cols.start + 9] as usize;
        proj.w[nan] = f32::NAN;
        for (k, wt) in proj.w_tilde.iter_mut().enumerate() {
            *wt = 0.3 * (k % 7) as f32;
        }
        let w_max = 5.0;
        let x: Vec<f32> = (0..57).map(|j| 0.4 * (j % 5) as f32 + 0.01 * j as f32).collect();
        let (az, het) = plasticity::post_factors(1.25, 0.2, 1.866, 2.0);
        let (scale, s) = (0.9f32, PostSpike { i: 1, az, het });
        let want: Vec<f32> = cols
            .clone()
            .map(|c| {
                let (syn, pre) = (proj.col_syn[c] as usize, proj.col_pre[c] as usize);
                plasticity::exc_post(proj.w[syn], proj.w_tilde[c], s.az * (x[pre] * scale), s.het, w_max)
            })
            .collect();
        let (mut w, mut wt) = (proj.w.clone(), proj.w_tilde.clone());
        // SAFETY: single-threaded.
        unsafe { exc_post(&proj, Disjoint::new(&mut w), Disjoint::new(&mut wt), &s, cols.clone(), (&x, scale), w_max) };
        let got: Vec<f32> = cols.clone().map(|c| w[proj.col_syn[c] as usize]).collect();
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert!(got[9].is_nan() && got.contains(&0.0) && got.contains(&w_max));
        // Synapses onto neuron 0 are untouched.
        let col0 = proj.col_ptr[0] as usize..proj.col_ptr[1] as usize;
        assert!(col0.map(|c| proj.col_syn[c] as usize).all(|k| w[k] == 1.0));
    }

    /// Shares cover every synapse of the spiking neurons' columns exactly once, in order, and
    /// differ in size by at most one synapse.
    #[test]
    fn column_shares_partition_the_spikes_columns_evenly() {
        // Columns of lengths 3, 0, 5, 2 (neurons 0–3).
        let col_ptr = [0u32, 3, 3, 8, 10];
        let spikes: Vec<PostSpike> = [0u32, 1, 2, 3].map(|i| PostSpike { i, az: 0.0, het: 0.0 }).to_vec();
        for p in 1..=12 {
            let mut seen = Vec::new();
            let mut sizes = Vec::new();
            for k in 0..p {
                let mut n = 0;
                for_column_share(&col_ptr, &spikes, k, p, |s, cols| {
                    let own = col_ptr[s.i as usize] as usize..col_ptr[s.i as usize + 1] as usize;
                    assert!(own.start <= cols.start && cols.end <= own.end, "p {p} k {k}: {cols:?} outside {own:?}");
                    n += cols.len();
                    seen.extend(cols);
                });
                sizes.push(n);
            }
            assert_eq!(seen, (0..10).collect::<Vec<_>>(), "p {p}");
            let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(hi - lo <= 1, "p {p}: share sizes {sizes:?}");
        }
    }
}
