//! `weight_view`: known answers on small networks whose weights are set by hand, a brute-force
//! cross-check on random weights, and (ignored) the time it takes at full size.

use engram::io::preset;
use engram::sim::connectivity::Projection;
use engram::sim::views::{HIST_BINS, WeightView, projections_view};
use engram::sim::{Network, Pattern, ProjectionId};

/// The two projections a weight view reads, taken from a built network so that tests can set
/// their weights by hand.
struct Net {
    ee: Projection,
    inp: Projection,
}

impl Net {
    fn of(net: &Network) -> Self {
        Net { ee: net.projection(ProjectionId::Ee).clone(), inp: net.projection(ProjectionId::InputE).clone() }
    }
}

fn weight_view(net: &Net, assemblies: &[Pattern], bins: usize) -> WeightView {
    projections_view(&net.ee, &net.inp, 64, 0.0, assemblies, bins)
}

/// 64 E neurons, all-to-all E→E (no autapses: 64·63 = 4032 synapses, each 0.1), full 64×64
/// input.
fn dense_net() -> Net {
    let mut p = preset::default_params();
    p.network.n_e = 64;
    p.network.n_i = 16;
    p.network.p_conn = 1.0;
    let net = Net::of(&Network::new(p).unwrap());
    assert_eq!(net.ee.len(), 64 * 63);
    net
}

/// Sets E→E w and w̃ of every synapse j→i from functions of (j, i).
fn set_ee(net: &mut Net, w: impl Fn(usize, usize) -> f32, wt: impl Fn(usize, usize) -> f32) {
    let mut by_syn = vec![0.0; net.ee.len()];
    for j in 0..net.ee.n_pre {
        for s in net.ee.row(j) {
            let i = net.ee.post[s] as usize;
            net.ee.w[s] = w(j, i);
            by_syn[s] = wt(j, i);
        }
    }
    net.ee.set_w_tilde_by_synapse(&by_syn);
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn without_assemblies_one_rest_group_in_index_order() {
    let net = dense_net();
    let v = weight_view(&net, &[], 128);
    assert_eq!(v.groups, ["rest"]);
    assert_eq!(v.order, (0..64).collect::<Vec<u32>>());
    assert_eq!(v.group_bounds, [0, 64]);
    // More bins than neurons: one neuron per block.
    assert_eq!(v.bins, 64);
    assert_eq!(v.w_blocks.len(), 64 * 64);
    for r in 0..64 {
        for c in 0..64 {
            // No autapses: the diagonal blocks hold no synapse and read 0.
            let want = if r == c { 0.0 } else { 0.1 };
            assert_eq!(v.w_blocks[r * 64 + c], want, "block ({r}, {c})");
            assert_eq!(v.wt_blocks[r * 64 + c], 0.0);
        }
    }
    assert_eq!(v.group_w.len(), 1);
    assert!(close(v.group_w[0], 0.1f32 as f64), "{}", v.group_w[0]);
    assert_eq!(v.group_wt, [0.0]);
    assert!(v.receptive_fields.is_empty());
    assert_eq!(v.input_side, 64);
    assert_eq!(v.t_s, 0.0);
    assert_eq!(v.hist_w.total(), 4032);
    assert_eq!(v.hist_w.counts[6], 4032, "0.1 on [0, 1] in 60 bins is bin 6");
    assert_eq!(v.hist_wt.counts[0], 4032);
}

/// Assembly A = the odd neurons 63, 61, …, 33 (16, listed in descending order), B = 0..8.
/// w = 1.0 within A, 0.4 from B onto A, 0.1 elsewhere; w̃ = 0.5 within A, 0 elsewhere.
#[test]
fn structured_weights_give_known_order_groups_blocks_and_histograms() {
    let mut net = dense_net();
    let a: Vec<u32> = (33..64).rev().step_by(2).collect();
    assert_eq!(a.len(), 16);
    let b: Vec<u32> = (0..8).collect();
    let in_a = |i: usize| i >= 33 && i % 2 == 1;
    let in_b = |i: usize| i < 8;
    set_ee(
        &mut net,
        |j, i| match (in_a(j), in_b(j), in_a(i)) {
            (true, _, true) => 1.0,
            (_, true, true) => 0.4,
            _ => 0.1,
        },
        |j, i| if in_a(j) && in_a(i) { 0.5 } else { 0.0 },
    );
    let assemblies = [Pattern::from_indices("A", a.clone()), Pattern::from_indices("B", b.clone())];
    let v = weight_view(&net, &assemblies, 16);

    assert_eq!(v.groups, ["A", "B", "rest"]);
    let rest: Vec<u32> = (8..64).filter(|&i| !in_a(i as usize)).collect();
    let order: Vec<u32> = a.iter().chain(&b).chain(&rest).copied().collect();
    assert_eq!(v.order, order);
    assert_eq!(v.group_bounds, [0, 16, 24, 64]);

    // Group means, row = presynaptic group.
    let (g4, g01) = (0.4f32 as f64, 0.1f32 as f64);
    #[rustfmt::skip]
    let want_w = [
        1.0, g01, g01, // A → A, B, rest
        g4,  g01, g01, // B → …
        g01, g01, g01, // rest → …
    ];
    for (k, (&got, &want)) in v.group_w.iter().zip(&want_w).enumerate() {
        assert!(close(got, want), "group_w[{k}] = {got}, want {want}");
    }
    assert!(close(v.group_wt[0], 0.5));
    assert!(v.group_wt[1..].iter().all(|&x| x == 0.0), "{:?}", v.group_wt);

    // 16 bins of 4 positions: blocks 0–3 are A, 4–5 are B, 6–15 the rest. Diagonal blocks hold
    // 12 synapses (no autapses), the others 16, all with the same value.
    assert_eq!(v.bins, 16);
    for r in 0..16 {
        for c in 0..16 {
            let (w, wt) = (v.w_blocks[r * 16 + c], v.wt_blocks[r * 16 + c]);
            let (want, want_t) = match (r, c) {
                (0..4, 0..4) => (1.0, 0.5),
                (4..6, 0..4) => (0.4, 0.0),
                _ => (0.1, 0.0),
            };
            assert!((w - want).abs() < 1e-6 && (wt - want_t).abs() < 1e-6, "block ({r}, {c}): {w}, {wt}");
        }
    }

    // 240 synapses at 1.0, 8·16 = 128 at 0.4, 4032 − 368 = 3664 at 0.1. The 99.9th percentile is
    // 1.0, so the range is [0, 1] and 1.0 lands in the top bin.
    let h = &v.hist_w;
    assert_eq!((h.lo, h.hi, h.counts.len()), (0.0, 1.0, HIST_BINS));
    let mut want = vec![0u32; HIST_BINS];
    want[HIST_BINS - 1] = 240;
    want[24] = 128;
    want[6] = 3664;
    assert_eq!(h.counts, want);
    let mut want_t = vec![0u32; HIST_BINS];
    want_t[30] = 240;
    want_t[0] = 4032 - 240;
    assert_eq!(v.hist_wt.counts, want_t);
    assert_eq!(v.hist_wt.hi, 1.0);
    assert_eq!(v.receptive_fields.len(), 2);
}

/// A = {0,1,2,3}, B = {2,3,4,5} (with a duplicate and an out-of-range index). Only the two
/// synapses 2→3 and 3→2 carry w = 1; the rest carry 0.
#[test]
fn overlapping_assemblies_are_placed_once_but_count_in_both_groups() {
    let mut net = dense_net();
    let both = |i: usize| i == 2 || i == 3;
    set_ee(&mut net, |j, i| if both(j) && both(i) { 1.0 } else { 0.0 }, |_, _| 0.0);
    let assemblies =
        [Pattern::from_indices("A", vec![0, 1, 2, 3]), Pattern::from_indices("B", vec![2, 3, 4, 5, 5, 999])];
    let v = weight_view(&net, &assemblies, 64);
    assert_eq!(v.order, (0..64).collect::<Vec<u32>>());
    assert_eq!(v.group_bounds, [0, 4, 6, 64]);
    let g = |pre: usize, post: usize| v.group_w[v.group_index(pre, post)];
    // A→A: 4·3 = 12 synapses, 2 of them 1.0. B→B the same. A→B: 4·4 minus the 2 autapses of the
    // shared neurons = 14 synapses, 2 of them 1.0. Rest ({6..63}) sees none of them.
    assert!(close(g(0, 0), 2.0 / 12.0), "{}", g(0, 0));
    assert!(close(g(1, 1), 2.0 / 12.0));
    assert!(close(g(0, 1), 2.0 / 14.0));
    assert!(close(g(1, 0), 2.0 / 14.0));
    for k in 0..3 {
        assert_eq!(g(2, k), 0.0);
        assert_eq!(g(k, 2), 0.0);
    }
    // The blocks follow the display order: block (2, 3) is the synapse 2→3.
    assert_eq!(v.w_blocks[2 * 64 + 3], 1.0);
    assert_eq!(v.w_blocks[3 * 64 + 2], 1.0);
    assert_eq!(v.w_blocks.iter().filter(|&&x| x != 0.0).count(), 2);
}

#[test]
fn receptive_field_is_the_mean_input_weight_per_pixel_over_members() {
    let mut net = dense_net();
    net.inp = Projection::from_triplets(
        4096,
        64,
        vec![
            (0, 0, 1.0),
            (0, 1, 0.5),
            (0, 20, 9.0),
            (5, 2, 0.2),
            (7, 30, 3.0),
            (4095, 1, 0.25),
            (4095, 2, 0.75),
            (4095, 40, 8.0),
        ],
    );
    net.inp.make_plastic(true, 0.0);
    let assemblies = [
        Pattern::from_indices("A", vec![0, 1, 2]),
        Pattern::from_indices("B", vec![20, 30]),
        Pattern::from_indices("empty", vec![]),
    ];
    let v = weight_view(&net, &assemblies, 8);
    assert_eq!(v.receptive_fields.len(), 3);
    let mut want_a = vec![0.0f32; 4096];
    want_a[0] = 0.75; // (1.0 + 0.5) / 2: neuron 20 is not in A
    want_a[5] = 0.2;
    want_a[4095] = 0.5; // (0.25 + 0.75) / 2
    assert_eq!(v.receptive_fields[0], want_a);
    let mut want_b = vec![0.0f32; 4096];
    want_b[0] = 9.0;
    want_b[7] = 3.0;
    assert_eq!(v.receptive_fields[1], want_b);
    assert!(v.receptive_fields[2].iter().all(|&x| x == 0.0));
    assert_eq!(v.groups, ["A", "B", "empty", "rest"]);
    assert_eq!(v.group_bounds, [0, 3, 5, 5, 64]);
}

/// A tiny deterministic generator for the cross-check (xorshift).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Everything recomputed the slow, obvious way on a random sparse network with random weights,
/// overlapping assemblies and a number of bins that does not divide N.
#[test]
fn matches_a_brute_force_reference_on_random_weights() {
    let mut p = preset::default_params();
    p.network.n_e = 100;
    p.network.n_i = 16;
    p.network.p_conn = 0.3;
    let mut net = Net::of(&Network::new(p).unwrap());
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    net.ee.w.iter_mut().for_each(|w| *w = 2.0 * rng.unit());
    net.ee.w_tilde.iter_mut().for_each(|w| *w = rng.unit());
    net.inp.w.iter_mut().for_each(|w| *w = rng.unit());
    let mut assemblies = Vec::new();
    for k in 0..4 {
        let idx: Vec<u32> = (0..100u32).filter(|_| rng.next().is_multiple_of(5)).collect();
        assemblies.push(Pattern::from_indices(format!("a{k}"), idx));
    }
    let bins = 7;
    let v = weight_view(&net, &assemblies, bins);

    // Order and groups.
    let mut order: Vec<u32> = Vec::new();
    for a in &assemblies {
        order.extend(a.indices.iter().filter(|i| !order.contains(i)).collect::<Vec<_>>());
    }
    let rest: Vec<u32> = (0..100).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    assert_eq!(v.order, order);
    let pos = |i: u32| order.iter().position(|&x| x == i).unwrap();
    let member = |g: usize, i: u32| {
        if g < 4 { assemblies[g].indices.contains(&i) } else { assemblies.iter().all(|a| !a.indices.contains(&i)) }
    };

    let triplets: Vec<(u32, u32, f32, f32)> =
        net.ee.triplets(&net.ee.w).zip(&net.ee.w_tilde_by_synapse()).map(|((j, i, w), &wt)| (j, i, w, wt)).collect();
    // Blocks: block of position p is ⌊p·bins/n⌋, equivalently the block whose range holds p.
    for r in 0..bins {
        for c in 0..bins {
            let in_block = |&&(j, i, _, _): &&(u32, u32, f32, f32)| {
                v.block_range(r).contains(&pos(j)) && v.block_range(c).contains(&pos(i))
            };
            let sel: Vec<_> = triplets.iter().filter(in_block).collect();
            let n = sel.len() as f64;
            let (mw, mwt) = if sel.is_empty() {
                (0.0, 0.0)
            } else {
                (sel.iter().map(|t| t.2 as f64).sum::<f64>() / n, sel.iter().map(|t| t.3 as f64).sum::<f64>() / n)
            };
            assert!((v.w_blocks[r * bins + c] as f64 - mw).abs() < 1e-5, "block ({r}, {c})");
            assert!((v.wt_blocks[r * bins + c] as f64 - mwt).abs() < 1e-5, "block ({r}, {c})");
            assert_eq!(v.n_blocks[r * bins + c] as usize, sel.len(), "block ({r}, {c})");
        }
    }
    // Groups (true memberships).
    for a in 0..5 {
        for b in 0..5 {
            let sel: Vec<_> = triplets.iter().filter(|t| member(a, t.0) && member(b, t.1)).collect();
            let n = sel.len().max(1) as f64;
            let mw = sel.iter().map(|t| t.2 as f64).sum::<f64>() / n;
            let mwt = sel.iter().map(|t| t.3 as f64).sum::<f64>() / n;
            assert!((v.group_w[a * 5 + b] - mw).abs() < 1e-9, "group ({a}, {b})");
            assert!((v.group_wt[a * 5 + b] - mwt).abs() < 1e-9, "group ({a}, {b})");
        }
    }
    // Receptive fields.
    let inp: Vec<_> = net.inp.triplets(&net.inp.w).collect();
    for (g, rf) in v.receptive_fields.iter().enumerate() {
        for (px, &got) in rf.iter().enumerate() {
            let sel: Vec<f32> = inp.iter().filter(|t| t.0 as usize == px && member(g, t.1)).map(|t| t.2).collect();
            let want = if sel.is_empty() { 0.0 } else { sel.iter().map(|&x| x as f64).sum::<f64>() / sel.len() as f64 };
            assert!((got as f64 - want).abs() < 1e-6, "rf {g} pixel {px}");
        }
    }
    // Histograms: every synapse counted once, in the bin of ⌊x / width⌋ (top bin for x ≥ hi).
    let h = &v.hist_w;
    assert!(h.hi >= 1.0 && h.hi * 2.0 == (h.hi * 2.0).round());
    let mut want = vec![0u32; HIST_BINS];
    for t in &triplets {
        want[((t.2 / h.bin_width()) as usize).min(HIST_BINS - 1)] += 1;
    }
    let diff: u32 = want.iter().zip(&h.counts).map(|(a, b)| a.abs_diff(*b)).sum();
    // Float rounding may move a value sitting on a bin edge; allow a handful.
    assert!(diff <= 4, "{want:?} vs {:?}", h.counts);
    assert_eq!(h.total(), triplets.len() as u64);
}

/// Full size (4096 E, p = 0.05; ≈ 0.84 M E→E and 0.71 M Input→E synapses) with four
/// overlapping assemblies of ≈ 340 neurons. Run with
/// `cargo test --release --test views -- --ignored --nocapture`.
#[test]
#[ignore = "timing at full size; run explicitly in release"]
fn full_size_timing() {
    let net = Net::of(&Network::new(preset::default_params()).unwrap());
    let mut rng = XorShift(12345);
    let assemblies: Vec<Pattern> = (0..4)
        .map(|k| {
            let idx: Vec<u32> = (0..4096u32).filter(|_| rng.next().is_multiple_of(12)).collect();
            Pattern::from_indices(format!("a{k}"), idx)
        })
        .collect();
    let mut times = Vec::new();
    let mut v = WeightView::default();
    for _ in 0..40 {
        let t0 = std::time::Instant::now();
        v = weight_view(&net, &assemblies, 128);
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "weight_view at full size ({} E→E, {} Input→E synapses): min {:.2} ms, median {:.2} ms, max {:.2} ms \
         (wall clock: includes time other processes held the core)",
        net.ee.len(),
        net.inp.len(),
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
    assert_eq!(v.order.len(), 4096);
}
