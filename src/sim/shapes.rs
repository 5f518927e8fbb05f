//! The stimulus set: four outline shapes and twenty cues on the 64 × 64 input grid.
//!
//! Two drawings of the set are available ([`ShapeSet`]):
//!
//! - [`ShapeSet::Original`] (the default): the shapes and cues of the original publication
//!   (`shapes.pat` and `shapes_cues.pat` of the authors' repository, docs/model.md §8.3), reproduced pixel
//!   for pixel by Engram's own drawing code (no pattern file is read). The originals are
//!   thresholded JPEG images, so each image is drawn as a short geometric construction fitted to
//!   it (a ring; frames, strokes and triangles made of rectangles and convex polygons; a cue is its
//!   shape with a few regions erased) plus an explicit list of the pixels where the original
//!   departs from that construction: ragged edges and, in the cues, scattered faint JPEG
//!   artefacts. The cue file lists those faint pixels with tiny values (gamma ≈ 0.004); as
//!   stimuli are binary they are fully on, in the original simulations and here, which is why a
//!   cue is not a strict subset of its shape (90–99 % of its pixels are in it). The two
//!   random-dot cues are stored as bit masks. See the `original` submodule.
//! - [`ShapeSet::Smooth`]: Engram's earlier procedural stand-ins: the same kinds of images with
//!   similar size, placement and mutual overlap, drawn as ideal thick outlines (a pixel is on when
//!   its centre lies within a half-thickness of the ideal curve), and cues cut from them by simple
//!   geometric rules (always subsets of their shape). See the `smooth` submodule.
//!
//! Both sets share names and order: the shapes circle, square, cross, triangle; the cues circle1–4,
//! square1–4, cross1–4, triangle1–4 (partial versions of a shape) and other1–4 (a letter F, two
//! random-dot images, a triangle/cross chimera). Coordinates follow docs/model.md §8.3: pixel
//! `i = 64 * y + x`, `y` pointing up.

use serde::{Deserialize, Serialize};

use crate::sim::Pattern;

mod original;

/// Side of the square input grid (64 × 64 = 4096 input units).
pub const GRID: usize = 64;

/// Shape names, in pattern order (the order of `shapes.pat`).
pub const SHAPE_NAMES: [&str; 4] = ["circle", "square", "cross", "triangle"];

/// Which drawing of the stimulus set to use (see the module documentation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeSet {
    /// The publication's shapes and cues, pixel for pixel.
    #[default]
    Original,
    /// Engram's procedural stand-ins: smooth outlines, cues cut by geometric rules.
    Smooth,
}

/// The four stimulus shapes of `set`, in [`SHAPE_NAMES`] order.
pub fn shapes_of(set: ShapeSet) -> Vec<Pattern> {
    match set {
        ShapeSet::Original => original::shapes(),
        ShapeSet::Smooth => smooth::shapes(),
    }
}

/// The twenty cues of `set`: four partial versions of each shape (in shape order, named
/// "circle1".."triangle4"), then four "other" patterns that are no shape ("other1".."other4").
pub fn cues_of(set: ShapeSet) -> Vec<Pattern> {
    match set {
        ShapeSet::Original => original::cues(),
        ShapeSet::Smooth => smooth::cues(),
    }
}

/// The four stimulus shapes of the default set ([`ShapeSet::Original`]).
pub fn shapes() -> Vec<Pattern> {
    shapes_of(ShapeSet::default())
}

/// The twenty cues of the default set ([`ShapeSet::Original`]).
pub fn cues() -> Vec<Pattern> {
    cues_of(ShapeSet::default())
}

mod smooth {
    //! The procedural drawing ([`super::ShapeSet::Smooth`]).

    use super::GRID;
    use crate::sim::Pattern;

    /// Grid centre in pixel-centre coordinates, so that shapes are symmetric about it.
    const C: f64 = (GRID as f64 - 1.0) / 2.0;

    /// Pixel index → (x, y) of the pixel centre.
    fn xy(i: u32) -> (f64, f64) {
        ((i as usize % GRID) as f64, (i as usize / GRID) as f64)
    }

    /// All pixels for which `on(x, y)` holds, scanned in index order (so sorted and unique).
    fn draw(name: &str, on: impl Fn(f64, f64) -> bool) -> Pattern {
        let indices = (0..(GRID * GRID) as u32)
            .filter(|&i| {
                let (x, y) = xy(i);
                on(x, y)
            })
            .collect();
        Pattern::from_indices(name, indices)
    }

    /// The pixels of `parent` kept by `keep(i, x, y)`: a cue is always a subset of its shape.
    fn subset(parent: &Pattern, name: &str, keep: impl Fn(u32, f64, f64) -> bool) -> Pattern {
        let indices = parent
            .indices
            .iter()
            .copied()
            .filter(|&i| {
                let (x, y) = xy(i);
                keep(i, x, y)
            })
            .collect();
        Pattern::from_indices(name, indices)
    }

    /// Deterministic pseudo-random number in [0, 1) per (seed, pixel): a splitmix64 finaliser, so
    /// noise images and thinned cues are reproducible without an RNG or global state.
    fn hash01(seed: u64, i: u32) -> f64 {
        let mut z = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(u64::from(i).wrapping_mul(0xBF58_476D_1CE4_E5B9))
            .wrapping_add(0x94D0_49BB_1331_11EB);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Distance from `p` to the segment `a`–`b`.
    fn dist_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
    }

    /// Angle of a pixel centre around the grid centre, degrees in [0, 360), counter-clockwise from +x.
    fn angle_deg(x: f64, y: f64) -> f64 {
        (y - C).atan2(x - C).to_degrees().rem_euclid(360.0)
    }

    fn circle() -> Pattern {
        // Ring 5.5 px thick whose outer edge is 1 px from the grid border, as in the original.
        draw("circle", |x, y| ((x - C).hypot(y - C) - 28.25).abs() <= 2.75)
    }

    fn square() -> Pattern {
        // Chebyshev distance to the centre, i.e. distance to an axis-aligned square outline.
        draw("square", |x, y| ((x - C).abs().max((y - C).abs()) - 24.0).abs() <= 3.0)
    }

    fn cross() -> Pattern {
        // Two diagonals, slightly taller than wide as in the original.
        let (a, b) = (22.0, 24.0);
        draw("cross", |x, y| {
            let d1 = dist_to_segment((x, y), (C - a, C - b), (C + a, C + b));
            let d2 = dist_to_segment((x, y), (C - a, C + b), (C + a, C - b));
            d1.min(d2) <= 3.3
        })
    }

    fn triangle() -> Pattern {
        // Inside the triangle and within `t` of one of its edges: sharp corners filled in, as in a
        // thick stroked outline drawn inward.
        let v = [(C - 28.5, 4.0), (C + 28.5, 4.0), (C, 60.0)];
        let t = 6.0;
        draw("triangle", |x, y| {
            let mut min_d = f64::INFINITY;
            for k in 0..3 {
                let (a, b) = (v[k], v[(k + 1) % 3]);
                let len = (b.0 - a.0).hypot(b.1 - a.1);
                // Signed distance, positive on the inner side (vertices are counter-clockwise).
                let d = ((b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0)) / len;
                min_d = min_d.min(d);
            }
            (0.0..=t).contains(&min_d)
        })
    }

    /// The four shapes, in [`super::SHAPE_NAMES`] order.
    pub(super) fn shapes() -> Vec<Pattern> {
        vec![circle(), square(), cross(), triangle()]
    }

    /// The twenty cues: four partial versions of each shape (in shape order), then four "other"
    /// patterns that are no shape (a letter F, two noise images, a triangle/cross chimera).
    ///
    /// The partial versions use different cuts (half, wedge, band, thinning) so that recall is
    /// tested from different parts and amounts (25–80 %) of a stored pattern.
    pub(super) fn cues() -> Vec<Pattern> {
        let [circle, square, cross, triangle] = <[Pattern; 4]>::try_from(shapes()).expect("4 shapes");
        let mut out = vec![
            // Circle: missing its lower-right quadrant; lower half; sparse thinning; 110° wedge.
            subset(&circle, "circle1", |_, x, y| x < C || y > C),
            subset(&circle, "circle2", |_, _, y| y < C),
            subset(&circle, "circle3", |i, _, _| hash01(11, i) < 0.4),
            subset(&circle, "circle4", |_, x, y| (90.0..200.0).contains(&angle_deg(x, y))),
            // Square: left half; dense thinning; bottom band; top-left corner.
            subset(&square, "square1", |_, x, _| x < C),
            subset(&square, "square2", |i, _, _| hash01(12, i) < 0.7),
            subset(&square, "square3", |_, _, y| y < 22.0),
            subset(&square, "square4", |_, x, y| x < C + 4.0 && y > C - 4.0),
            // Cross: three arms; medium thinning; central band; one arm plus the centre.
            subset(&cross, "cross1", |_, x, y| x < C || y < C),
            subset(&cross, "cross2", |i, _, _| hash01(13, i) < 0.55),
            subset(&cross, "cross3", |_, _, y| (y - C).abs() < 12.0),
            subset(&cross, "cross4", |_, x, y| x < C + 3.0 && y > C - 3.0),
            // Triangle: base band; left half; top part; dense thinning.
            subset(&triangle, "triangle1", |_, _, y| y < 20.0),
            subset(&triangle, "triangle2", |_, x, _| x < C),
            subset(&triangle, "triangle3", |_, _, y| y > 30.0),
            subset(&triangle, "triangle4", |i, _, _| hash01(14, i) < 0.75),
        ];

        // A filled letter F, readable with y up: stem on the left, bars at the top and middle.
        out.push(draw("other1", |x, y| {
            let stem = (17.0..=24.0).contains(&x) && (2.0..=60.0).contains(&y);
            let top = (17.0..=50.0).contains(&x) && (55.0..=60.0).contains(&y);
            let mid = (17.0..=47.0).contains(&x) && (32.0..=37.0).contains(&y);
            stem || top || mid
        }));
        // Two uniform random-dot images (~1350 and ~1230 pixels expected).
        let n = (GRID * GRID) as u32;
        out.push(Pattern::from_indices("other2", (0..n).filter(|&i| hash01(21, i) < 0.33).collect()));
        out.push(Pattern::from_indices("other3", (0..n).filter(|&i| hash01(22, i) < 0.3).collect()));
        // Chimera: top half of the triangle on the bottom half of the cross; straddles both shapes.
        let upper = |i: &u32| xy(*i).1 > C;
        let mut chimera: Vec<u32> = (triangle.indices.iter().copied().filter(upper))
            .chain(cross.indices.iter().copied().filter(|i| !upper(i)))
            .collect();
        chimera.sort_unstable();
        chimera.dedup();
        out.push(Pattern::from_indices("other4", chimera));
        out
    }
}

/// Index into [`SHAPE_NAMES`] of the shape a cue was cut from ("square3" → 1), or `None` for
/// cues that belong to no shape ("other2"). Used to score recall against the right assembly.
pub fn parent_shape(cue_name: &str) -> Option<usize> {
    let stem = cue_name.trim_end_matches(|c: char| c.is_ascii_digit());
    SHAPE_NAMES.iter().position(|&s| s == stem)
}

/// The pattern as 64 lines of 64 characters (`#` on, `.` off), each ending in `\n`; the first
/// line is `y = 63`, so the picture appears the right way up (docs/model.md §8.3).
pub fn ascii(p: &Pattern) -> String {
    let mut on = vec![false; GRID * GRID];
    for &i in &p.indices {
        if let Some(cell) = on.get_mut(i as usize) {
            *cell = true;
        }
    }
    let mut s = String::with_capacity(GRID * (GRID + 1));
    for y in (0..GRID).rev() {
        for x in 0..GRID {
            s.push(if on[GRID * y + x] { '#' } else { '.' });
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const SETS: [ShapeSet; 2] = [ShapeSet::Original, ShapeSet::Smooth];

    fn pixels(p: &Pattern) -> HashSet<u32> {
        p.indices.iter().copied().collect()
    }

    fn overlap(a: &Pattern, b: &Pattern) -> usize {
        pixels(a).intersection(&pixels(b)).count()
    }

    /// Fraction of `a`'s pixels that are also in `b`.
    fn inside(a: &Pattern, b: &Pattern) -> f64 {
        overlap(a, b) as f64 / a.len() as f64
    }

    fn on(p: &Pattern, x: u32, y: u32) -> bool {
        p.indices.contains(&(64 * y + x))
    }

    /// Pixel count per row, indexed by y.
    fn row_counts(p: &Pattern) -> Vec<usize> {
        let mut rows = vec![0; 64];
        for &i in &p.indices {
            rows[(i / 64) as usize] += 1;
        }
        rows
    }

    /// Longest run of consecutive on pixels along a line of 64 pixels given by `idx(k)`.
    fn longest_run(p: &Pattern, idx: impl Fn(u32) -> u32) -> usize {
        let s = pixels(p);
        let (mut best, mut cur) = (0, 0);
        for k in 0..64 {
            cur = if s.contains(&idx(k)) { cur + 1 } else { 0 };
            best = best.max(cur);
        }
        best
    }

    fn check_indices(p: &Pattern) {
        assert!(!p.is_empty(), "{} is empty", p.name);
        assert!(p.indices.windows(2).all(|w| w[0] < w[1]), "{}: not sorted/unique", p.name);
        assert!(p.indices.iter().all(|&i| i < 4096), "{}: index out of grid", p.name);
        assert_eq!(p.values.len(), p.indices.len(), "{}", p.name);
    }

    /// 64-bit FNV-1a of a pattern's pixel set: over the indices in ascending order, each fed as
    /// its 4 bytes of u32 little-endian; per byte `h ^= byte; h = h.wrapping_mul(prime)`, offset
    /// basis 0xcbf2_9ce4_8422_2325, prime 0x100_0000_01b3. The pinned values below were computed
    /// this way from the publication's `shapes.pat` / `shapes_cues.pat` by a separate script,
    /// not from this code.
    fn fnv1a(p: &Pattern) -> u64 {
        let mut sorted = p.indices.clone();
        sorted.sort_unstable();
        sorted.dedup();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in sorted.iter().flat_map(|i| i.to_le_bytes()) {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        h
    }

    /// (name, pixel count, FNV-1a) of every pattern in the publication's files, in file order.
    const PUBLICATION_SHAPES: [(&str, usize, u64); 4] = [
        ("circle", 960, 0xf090_f05f_66a6_f16f),
        ("square", 1193, 0xc6b5_1e79_46da_6899),
        ("cross", 832, 0xc730_33b8_ac7b_c2fc),
        ("triangle", 980, 0x047a_9e75_f8ef_aaae),
    ];
    const PUBLICATION_CUES: [(&str, usize, u64); 20] = [
        ("circle1", 624, 0x6c1a_f8f3_9e70_2f32),
        ("circle2", 816, 0xb892_3cdb_e716_2694),
        ("circle3", 725, 0x3ff9_eb5a_7d82_e43c),
        ("circle4", 503, 0x2410_cdbc_5a30_fe40),
        ("square1", 735, 0x18ef_e8fd_3137_0588),
        ("square2", 833, 0xe42c_9a1b_81d2_2aab),
        ("square3", 916, 0x8a46_6299_d7e1_d37d),
        ("square4", 565, 0xdfc6_fc5f_eec3_72e5),
        ("cross1", 698, 0xb3e2_6822_f9be_765e),
        ("cross2", 506, 0x73d9_1455_ff50_dc3f),
        ("cross3", 487, 0x5165_fe5e_86c3_0b70),
        ("cross4", 219, 0x05a0_efb9_def8_e1da),
        ("triangle1", 722, 0x7947_ee4b_878b_33fd),
        ("triangle2", 491, 0x87e5_f8ef_15e3_675c),
        ("triangle3", 610, 0xc233_0beb_6e52_c11b),
        ("triangle4", 584, 0x2407_ac3b_a69e_f30e),
        ("other1", 772, 0x6636_572c_7c40_3ad8),
        ("other2", 1534, 0x6e5c_51cb_ead6_28f5),
        ("other3", 1110, 0xeec9_893c_dffb_9cf5),
        ("other4", 930, 0x93ae_fed8_112c_cbb4),
    ];

    fn assert_matches(patterns: &[Pattern], expected: &[(&str, usize, u64)]) {
        assert_eq!(patterns.len(), expected.len());
        for (p, &(name, len, hash)) in patterns.iter().zip(expected) {
            assert_eq!(p.name, name);
            check_indices(p);
            assert_eq!((p.len(), fnv1a(p)), (len, hash), "{name}: pixel count and FNV-1a");
        }
    }

    #[test]
    fn original_shapes_match_the_publication_pixel_for_pixel() {
        assert_matches(&shapes_of(ShapeSet::Original), &PUBLICATION_SHAPES);
    }

    #[test]
    fn original_cues_match_the_publication_pixel_for_pixel() {
        assert_matches(&cues_of(ShapeSet::Original), &PUBLICATION_CUES);
    }

    #[test]
    fn fnv1a_follows_the_reference() {
        // Published FNV-1a 64 test vectors: "" and "foob" (the bytes of the u32 0x626f_6f66 in
        // little-endian order).
        assert_eq!(fnv1a(&Pattern::from_indices("", vec![])), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&Pattern::from_indices("", vec![0x626f_6f66])), 0xdd12_0e79_0c25_12af);
    }

    #[test]
    fn default_set_is_the_original_and_serde_names_are_lowercase() {
        assert_eq!(ShapeSet::default(), ShapeSet::Original);
        assert_eq!(shapes(), shapes_of(ShapeSet::Original));
        assert_eq!(cues(), cues_of(ShapeSet::Original));
        for (set, name) in [(ShapeSet::Original, "\"original\""), (ShapeSet::Smooth, "\"smooth\"")] {
            assert_eq!(serde_json::to_string(&set).unwrap(), name);
            assert_eq!(serde_json::from_str::<ShapeSet>(name).unwrap(), set);
        }
        // The two drawings differ.
        assert_ne!(shapes_of(ShapeSet::Original), shapes_of(ShapeSet::Smooth));
    }

    #[test]
    fn shapes_have_expected_names_sizes_and_valid_indices() {
        for set in SETS {
            let s = shapes_of(set);
            let names: Vec<&str> = s.iter().map(|p| p.name.as_str()).collect();
            assert_eq!(names, ["circle", "square", "cross", "triangle"]);
            for p in &s {
                check_indices(p);
                assert!((800..=1200).contains(&p.len()), "{set:?} {}: {} pixels", p.name, p.len());
            }
        }
    }

    #[test]
    fn generation_is_deterministic() {
        for set in SETS {
            assert_eq!(shapes_of(set), shapes_of(set));
            assert_eq!(cues_of(set), cues_of(set));
        }
    }

    #[test]
    fn shapes_overlap_substantially_but_are_distinct() {
        for set in SETS {
            let s = shapes_of(set);
            assert!(overlap(&s[0], &s[1]) >= 300, "{set:?} circle∩square = {}", overlap(&s[0], &s[1]));
            assert!(overlap(&s[1], &s[3]) >= 300, "{set:?} square∩triangle = {}", overlap(&s[1], &s[3]));
            for a in 0..4 {
                for b in (a + 1)..4 {
                    let n = overlap(&s[a], &s[b]);
                    assert!(n < s[a].len() && n < s[b].len(), "{set:?} {a} vs {b}: subset");
                    let jaccard = n as f64 / (s[a].len() + s[b].len() - n) as f64;
                    assert!(jaccard < 0.8, "{set:?} {a} vs {b}: Jaccard {jaccard}");
                    assert!(n > 0, "{set:?}: {a} and {b} do not overlap at all");
                }
            }
        }
    }

    #[test]
    fn shapes_are_centred() {
        // The originals sit up to about 1 px right of the centre.
        for set in SETS {
            for p in shapes_of(set) {
                let n = p.len() as f64;
                let mx = p.indices.iter().map(|&i| (i % 64) as f64).sum::<f64>() / n;
                assert!((mx - 31.5).abs() < 1.5, "{set:?} {}: mean x {mx}", p.name);
                let ys: Vec<u32> = p.indices.iter().map(|&i| i / 64).collect();
                let mid = (*ys.iter().min().unwrap() + *ys.iter().max().unwrap()) as f64 / 2.0;
                assert!((mid - 31.5).abs() <= 2.0, "{set:?} {}: vertical centre {mid}", p.name);
            }
        }
    }

    #[test]
    fn circle_is_a_complete_ring() {
        for set in SETS {
            let c = &shapes_of(set)[0];
            let mut sectors = [0; 36];
            for &i in &c.indices {
                let (dx, dy) = ((i % 64) as f64 - 31.5, (i / 64) as f64 - 31.5);
                let r = dx.hypot(dy);
                assert!((24.0..=32.0).contains(&r), "{set:?}: pixel {i} at radius {r}");
                let a = dy.atan2(dx).to_degrees().rem_euclid(360.0);
                sectors[(a / 10.0) as usize % 36] += 1;
            }
            assert!(sectors.iter().all(|&n| n >= 10), "{set:?}: gap in ring: {sectors:?}");
        }
    }

    #[test]
    fn square_has_four_straight_sides() {
        for set in SETS {
            let q = &shapes_of(set)[1];
            let bottom = (0..16).map(|y| longest_run(q, |x| 64 * y + x)).max().unwrap();
            let top = (48..64).map(|y| longest_run(q, |x| 64 * y + x)).max().unwrap();
            let left = (0..16).map(|x| longest_run(q, |y| 64 * y + x)).max().unwrap();
            let right = (48..64).map(|x| longest_run(q, |y| 64 * y + x)).max().unwrap();
            for (side, run) in [("bottom", bottom), ("top", top), ("left", left), ("right", right)] {
                assert!(run >= 45, "{set:?} {side} side: longest run {run}");
            }
            // Hollow: nothing near the centre.
            assert!(!q.indices.iter().any(|&i| {
                let (x, y) = (i % 64, i / 64);
                (18..46).contains(&x) && (18..46).contains(&y)
            }));
        }
    }

    #[test]
    fn cross_has_centre_and_four_diagonal_arms() {
        for set in SETS {
            let x = &shapes_of(set)[2];
            assert!(on(x, 31, 31) && on(x, 32, 32) && on(x, 31, 32) && on(x, 32, 31));
            for (px, py) in [(13, 13), (50, 50), (13, 50), (50, 13), (22, 22), (41, 41)] {
                assert!(on(x, px, py), "{set:?}: arm pixel ({px},{py}) missing");
            }
            // Not a plus sign nor a box: edge midpoints are off.
            for (px, py) in [(31, 8), (8, 31), (31, 55), (55, 31)] {
                assert!(!on(x, px, py), "{set:?}: ({px},{py}) should be off");
            }
        }
    }

    #[test]
    fn triangle_is_upright() {
        for set in SETS {
            let t = &shapes_of(set)[3];
            let rows = row_counts(t);
            let used: Vec<usize> = (0..64).filter(|&y| rows[y] > 0).collect();
            let (low, high) = (&used[..4], &used[used.len() - 4..]);
            for &yt in high {
                for &yb in low {
                    assert!(rows[yt] < rows[yb], "{set:?} row {yt} ({}) vs row {yb} ({})", rows[yt], rows[yb]);
                }
            }
            // Apex centred; interior hollow.
            let top = *used.last().unwrap() as u32;
            let xs: Vec<u32> = t.indices.iter().filter(|&&i| i / 64 == top).map(|&i| i % 64).collect();
            let mean = xs.iter().sum::<u32>() as f64 / xs.len() as f64;
            assert!((mean - 31.5).abs() <= 1.0, "{set:?}: apex at x = {mean}");
            assert!(!on(t, 31, 22) && !on(t, 32, 22));
        }
    }

    #[test]
    fn cue_names_and_parents() {
        let mut expected = Vec::new();
        for stem in ["circle", "square", "cross", "triangle", "other"] {
            for k in 1..=4 {
                expected.push(format!("{stem}{k}"));
            }
        }
        for set in SETS {
            let c = cues_of(set);
            let names: Vec<&String> = c.iter().map(|p| &p.name).collect();
            assert_eq!(names, expected.iter().collect::<Vec<_>>());
            for (k, p) in c.iter().enumerate() {
                check_indices(p);
                assert_eq!(parent_shape(&p.name), if k < 16 { Some(k / 4) } else { None });
            }
        }
    }

    #[test]
    fn shape_cues_are_varied_partial_views() {
        // Spec §8.3: cue pixels are ≥ 90 % inside the parent and cover 24–82 % of it.
        for set in SETS {
            let (s, c) = (shapes_of(set), cues_of(set));
            let mut covs = Vec::new();
            for (k, cue) in c[..16].iter().enumerate() {
                let parent = &s[k / 4];
                let f = inside(cue, parent);
                assert!(f >= 0.9, "{set:?} {}: {f} inside {}", cue.name, parent.name);
                let cov = overlap(cue, parent) as f64 / parent.len() as f64;
                assert!((0.24..=0.82).contains(&cov), "{set:?} {}: coverage {cov}", cue.name);
                covs.push(cov);
            }
            // Coverage spread over the range, and no two cues of a shape alike.
            let min = covs.iter().copied().fold(1.0, f64::min);
            let max = covs.iter().copied().fold(0.0, f64::max);
            assert!(min < 0.35 && max > 0.7, "{set:?} coverage range [{min}, {max}]");
            for g in c[..16].chunks(4) {
                for a in 0..4 {
                    for b in (a + 1)..4 {
                        let n = overlap(&g[a], &g[b]);
                        let jaccard = n as f64 / (g[a].len() + g[b].len() - n) as f64;
                        assert!(jaccard < 0.8, "{set:?} {} ~ {}: Jaccard {jaccard}", g[a].name, g[b].name);
                    }
                }
            }
        }
    }

    #[test]
    fn smooth_cues_are_subsets_of_their_shapes() {
        let (s, c) = (shapes_of(ShapeSet::Smooth), cues_of(ShapeSet::Smooth));
        for (k, cue) in c[..16].iter().enumerate() {
            let parent = &s[k / 4];
            assert!(pixels(cue).is_subset(&pixels(parent)), "{} not inside {}", cue.name, parent.name);
        }
    }

    #[test]
    fn other_cues_are_not_shapes() {
        for set in SETS {
            let (s, c) = (shapes_of(set), cues_of(set));
            for cue in &c[16..] {
                for p in &s {
                    let f = inside(cue, p);
                    assert!(f < 0.9, "{set:?} {}: {f} inside {}", cue.name, p.name);
                }
            }
            // The chimera straddles triangle and cross: substantial parts of each, (nearly) all
            // from the two (the original has a few dozen stray artefact pixels).
            let ch = &c[19];
            assert!(inside(ch, &s[3]) > 0.3 && inside(ch, &s[2]) > 0.3);
            let both = Pattern::from_indices("", pixels(&s[2]).union(&pixels(&s[3])).copied().collect());
            assert!(inside(ch, &both) >= 0.95, "{set:?}: {} inside triangle ∪ cross", inside(ch, &both));
        }
    }

    #[test]
    fn noise_cues_are_sized_and_spread() {
        for set in SETS {
            let c = cues_of(set);
            for p in &c[17..19] {
                assert!((1100..=1550).contains(&p.len()), "{set:?} {}: {} pixels", p.name, p.len());
                let mut quadrants = [0usize; 4];
                for &i in &p.indices {
                    quadrants[((i % 64) / 32 + 2 * (i / 64 / 32)) as usize] += 1;
                }
                for q in quadrants {
                    let f = q as f64 / p.len() as f64;
                    assert!((0.18..=0.32).contains(&f), "{set:?} {}: quadrant share {f}", p.name);
                }
            }
        }
        // The smooth noise images are independent; the original ones share most dots (other2 is
        // other3's dots plus a thinned triangle).
        let c = cues_of(ShapeSet::Smooth);
        assert!(overlap(&c[17], &c[18]) < c[18].len() / 2, "noise images too alike");
    }

    #[test]
    fn letter_f_reads_upright() {
        for set in SETS {
            let f = &cues_of(set)[16];
            let rows = row_counts(f);
            // Rows of the letter itself (stray single artefact pixels are ignored).
            let used: Vec<usize> = (0..64).filter(|&y| rows[y] >= 4).collect();
            let (bottom, top) = (used[0], *used.last().unwrap());
            // Wide bar at the top, stem only at the bottom, a shorter bar in between.
            assert!(rows[top] >= 3 * rows[bottom], "{set:?} top {} bottom {}", rows[top], rows[bottom]);
            let mid = (bottom + 8..top - 8).max_by_key(|&y| rows[y]).unwrap();
            assert!(rows[mid] >= 3 * rows[bottom] && rows[mid] < rows[top], "{set:?}");
            let centre = bottom.midpoint(top);
            assert!(centre - 10 < mid && mid < centre + 10, "{set:?}");
            // Stem on the left (not mirrored): top bar and stem start at the same column, and the
            // top bar reaches far right of the stem.
            let xs = |y: usize| f.indices.iter().filter(move |&&i| i / 64 == y as u32).map(|&i| i % 64);
            assert_eq!(xs(bottom).min(), xs(top).min(), "{set:?}");
            assert!(xs(top).max().unwrap() > xs(bottom).max().unwrap() + 10, "{set:?}");
        }
    }

    #[test]
    fn parent_shape_strips_trailing_digits() {
        assert_eq!(parent_shape("square3"), Some(1));
        assert_eq!(parent_shape("circle"), Some(0));
        assert_eq!(parent_shape("cross12"), Some(2));
        assert_eq!(parent_shape("triangle4"), Some(3));
        assert_eq!(parent_shape("other2"), None);
        assert_eq!(parent_shape("squares1"), None);
        assert_eq!(parent_shape(""), None);
    }

    #[test]
    fn ascii_puts_y_up() {
        // (0,0) bottom-left, (63,0) bottom-right, (0,63) top-left.
        let p = Pattern::from_indices("t", vec![0, 63, 64 * 63]);
        let art = ascii(&p);
        let lines: Vec<&str> = art.lines().collect();
        assert_eq!(lines.len(), 64);
        assert!(lines.iter().all(|l| l.len() == 64));
        assert_eq!(art.matches('#').count(), 3);
        assert!(lines[0].starts_with('#') && lines[0][1..].chars().all(|ch| ch == '.'));
        assert!(lines[63].starts_with('#') && lines[63].ends_with('#'));
    }
}
