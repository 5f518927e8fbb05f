//! The stimulus set: four outline shapes and twenty cues, drawn procedurally on the input grid.
//!
//! Stand-ins for the publication's `shapes.pat` / `shapes_cues.pat` (docs/model.md §8.3): same kinds of
//! images, similar size, placement and mutual overlap, so the network faces the same task
//! (overlapping inputs must still form distinct assemblies), without shipping the original pixels.
//! All shapes are centred on the grid and drawn as thick outlines: a pixel is on when its centre
//! lies within a half-thickness of the ideal curve. Coordinates follow docs/model.md §8.3: pixel
//! `i = 64 * y + x`, `y` pointing up.

use crate::sim::Pattern;

/// Side of the square input grid (64 × 64 = 4096 input units).
pub const GRID: usize = 64;

/// Shape names, in pattern order (the order of `shapes.pat`).
pub const SHAPE_NAMES: [&str; 4] = ["circle", "square", "cross", "triangle"];

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

/// The four stimulus shapes, in [`SHAPE_NAMES`] order.
pub fn shapes() -> Vec<Pattern> {
    vec![circle(), square(), cross(), triangle()]
}

/// The twenty cues: four partial versions of each shape (in shape order), then four "other"
/// patterns that are no shape (a letter F, two noise images, a triangle/cross chimera).
///
/// The partial versions use different cuts (half, wedge, band, thinning) so that recall is
/// tested from different parts and amounts (25–80 %) of a stored pattern.
pub fn cues() -> Vec<Pattern> {
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

    fn set(p: &Pattern) -> HashSet<u32> {
        p.indices.iter().copied().collect()
    }

    fn overlap(a: &Pattern, b: &Pattern) -> usize {
        set(a).intersection(&set(b)).count()
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
        let s = set(p);
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

    #[test]
    fn shapes_have_expected_names_sizes_and_valid_indices() {
        let s = shapes();
        let names: Vec<&str> = s.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["circle", "square", "cross", "triangle"]);
        for p in &s {
            check_indices(p);
            assert!((800..=1200).contains(&p.len()), "{}: {} pixels", p.name, p.len());
        }
    }

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(shapes(), shapes());
        assert_eq!(cues(), cues());
    }

    #[test]
    fn shapes_overlap_substantially_but_are_distinct() {
        let s = shapes();
        assert!(overlap(&s[0], &s[1]) >= 300, "circle∩square = {}", overlap(&s[0], &s[1]));
        assert!(overlap(&s[1], &s[3]) >= 300, "square∩triangle = {}", overlap(&s[1], &s[3]));
        for a in 0..4 {
            for b in (a + 1)..4 {
                let n = overlap(&s[a], &s[b]);
                assert!(n < s[a].len() && n < s[b].len(), "{a} vs {b}: subset");
                let jaccard = n as f64 / (s[a].len() + s[b].len() - n) as f64;
                assert!(jaccard < 0.8, "{a} vs {b}: Jaccard {jaccard}");
                assert!(n > 0, "{a} and {b} do not overlap at all");
            }
        }
    }

    #[test]
    fn shapes_are_centred() {
        for p in shapes() {
            let n = p.len() as f64;
            let mx = p.indices.iter().map(|&i| (i % 64) as f64).sum::<f64>() / n;
            assert!((mx - 31.5).abs() < 1.0, "{}: mean x {mx}", p.name);
            let ys: Vec<u32> = p.indices.iter().map(|&i| i / 64).collect();
            let mid = (*ys.iter().min().unwrap() + *ys.iter().max().unwrap()) as f64 / 2.0;
            assert!((mid - 31.5).abs() <= 2.0, "{}: vertical centre {mid}", p.name);
        }
    }

    #[test]
    fn circle_is_a_complete_ring() {
        let c = &shapes()[0];
        let mut sectors = [0; 36];
        for &i in &c.indices {
            let (dx, dy) = ((i % 64) as f64 - 31.5, (i / 64) as f64 - 31.5);
            let r = dx.hypot(dy);
            assert!((24.0..=32.0).contains(&r), "pixel {i} at radius {r}");
            let a = dy.atan2(dx).to_degrees().rem_euclid(360.0);
            sectors[(a / 10.0) as usize % 36] += 1;
        }
        assert!(sectors.iter().all(|&n| n >= 10), "gap in ring: {sectors:?}");
    }

    #[test]
    fn square_has_four_straight_sides() {
        let q = &shapes()[1];
        let bottom = (0..16).map(|y| longest_run(q, |x| 64 * y + x)).max().unwrap();
        let top = (48..64).map(|y| longest_run(q, |x| 64 * y + x)).max().unwrap();
        let left = (0..16).map(|x| longest_run(q, |y| 64 * y + x)).max().unwrap();
        let right = (48..64).map(|x| longest_run(q, |y| 64 * y + x)).max().unwrap();
        for (side, run) in [("bottom", bottom), ("top", top), ("left", left), ("right", right)] {
            assert!(run >= 45, "{side} side: longest run {run}");
        }
        // Hollow: nothing near the centre.
        assert!(!q.indices.iter().any(|&i| {
            let (x, y) = (i % 64, i / 64);
            (18..46).contains(&x) && (18..46).contains(&y)
        }));
    }

    #[test]
    fn cross_has_centre_and_four_diagonal_arms() {
        let x = &shapes()[2];
        assert!(on(x, 31, 31) && on(x, 32, 32) && on(x, 31, 32) && on(x, 32, 31));
        for (px, py) in [(13, 13), (50, 50), (13, 50), (50, 13), (22, 22), (41, 41)] {
            assert!(on(x, px, py), "arm pixel ({px},{py}) missing");
        }
        // Not a plus sign nor a box: edge midpoints are off.
        for (px, py) in [(31, 8), (8, 31), (31, 55), (55, 31)] {
            assert!(!on(x, px, py), "({px},{py}) should be off");
        }
    }

    #[test]
    fn triangle_is_upright() {
        let t = &shapes()[3];
        let rows = row_counts(t);
        let used: Vec<usize> = (0..64).filter(|&y| rows[y] > 0).collect();
        let (low, high) = (&used[..4], &used[used.len() - 4..]);
        for &yt in high {
            for &yb in low {
                assert!(rows[yt] < rows[yb], "row {yt} ({}) vs row {yb} ({})", rows[yt], rows[yb]);
            }
        }
        // Apex centred; interior hollow.
        let top = *used.last().unwrap() as u32;
        let xs: Vec<u32> = t.indices.iter().filter(|&&i| i / 64 == top).map(|&i| i % 64).collect();
        let mean = xs.iter().sum::<u32>() as f64 / xs.len() as f64;
        assert!((mean - 31.5).abs() <= 1.0, "apex at x = {mean}");
        assert!(!on(t, 31, 22) && !on(t, 32, 22));
    }

    #[test]
    fn cue_names_and_parents() {
        let c = cues();
        let mut expected = Vec::new();
        for stem in ["circle", "square", "cross", "triangle", "other"] {
            for k in 1..=4 {
                expected.push(format!("{stem}{k}"));
            }
        }
        let names: Vec<&String> = c.iter().map(|p| &p.name).collect();
        assert_eq!(names, expected.iter().collect::<Vec<_>>());
        for (k, p) in c.iter().enumerate() {
            check_indices(p);
            assert_eq!(parent_shape(&p.name), if k < 16 { Some(k / 4) } else { None });
        }
    }

    #[test]
    fn shape_cues_are_varied_partial_subsets() {
        let (s, c) = (shapes(), cues());
        let mut covs = Vec::new();
        for (k, cue) in c[..16].iter().enumerate() {
            let parent = &s[k / 4];
            assert!(set(cue).is_subset(&set(parent)), "{} not inside {}", cue.name, parent.name);
            let cov = cue.len() as f64 / parent.len() as f64;
            assert!((0.25..=0.80).contains(&cov), "{}: coverage {cov}", cue.name);
            covs.push(cov);
        }
        // Coverage spread over the range, and no two cues of a shape alike.
        let min = covs.iter().copied().fold(1.0, f64::min);
        let max = covs.iter().copied().fold(0.0, f64::max);
        assert!(min < 0.35 && max > 0.7, "coverage range [{min}, {max}]");
        for g in c[..16].chunks(4) {
            for a in 0..4 {
                for b in (a + 1)..4 {
                    let n = overlap(&g[a], &g[b]);
                    let jaccard = n as f64 / (g[a].len() + g[b].len() - n) as f64;
                    assert!(jaccard < 0.8, "{} ~ {}: Jaccard {jaccard}", g[a].name, g[b].name);
                }
            }
        }
    }

    #[test]
    fn other_cues_are_not_shapes() {
        let (s, c) = (shapes(), cues());
        for cue in &c[16..] {
            for p in &s {
                let f = inside(cue, p);
                assert!(f < 0.9, "{}: {f} inside {}", cue.name, p.name);
            }
        }
        // The chimera straddles triangle and cross: substantial parts of each, all from the two.
        let ch = &c[19];
        assert!(inside(ch, &s[3]) > 0.3 && inside(ch, &s[2]) > 0.3);
        let both = Pattern::from_indices("", set(&s[2]).union(&set(&s[3])).copied().collect());
        assert_eq!(inside(ch, &both), 1.0);
    }

    #[test]
    fn noise_cues_are_sized_and_spread() {
        let c = cues();
        for p in &c[17..19] {
            assert!((1100..=1500).contains(&p.len()), "{}: {} pixels", p.name, p.len());
            let mut quadrants = [0usize; 4];
            for &i in &p.indices {
                quadrants[((i % 64) / 32 + 2 * (i / 64 / 32)) as usize] += 1;
            }
            for q in quadrants {
                let f = q as f64 / p.len() as f64;
                assert!((0.18..=0.32).contains(&f), "{}: quadrant share {f}", p.name);
            }
        }
        assert!(overlap(&c[17], &c[18]) < c[18].len() / 2, "noise images too alike");
    }

    #[test]
    fn letter_f_reads_upright() {
        let f = &cues()[16];
        let rows = row_counts(f);
        let used: Vec<usize> = (0..64).filter(|&y| rows[y] > 0).collect();
        let (bottom, top) = (used[0], *used.last().unwrap());
        // Wide bar at the top, stem only at the bottom, a shorter bar in between.
        assert!(rows[top] >= 3 * rows[bottom], "top {} bottom {}", rows[top], rows[bottom]);
        let mid = (bottom + 8..top - 8).max_by_key(|&y| rows[y]).unwrap();
        assert!(rows[mid] >= 3 * rows[bottom] && rows[mid] < rows[top]);
        assert!(usize::midpoint(bottom, top) - 10 < mid && mid < usize::midpoint(bottom, top) + 10);
        // Stem on the left (not mirrored): the bottom row starts at the leftmost column.
        let min_x = f.indices.iter().map(|&i| i % 64).min().unwrap();
        assert!(on(f, min_x, bottom as u32) && on(f, min_x, top as u32));
        let max_x = f.indices.iter().map(|&i| i % 64).max().unwrap();
        assert!(!on(f, max_x, bottom as u32));
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
