//! The publication's stimulus set, pixel for pixel ([`super::ShapeSet::Original`]).
//!
//! Every image is drawn in two steps: a short geometric construction (a ring, rectangles, convex
//! polygons, half-planes; for a cue, its parent shape with some regions erased), then an explicit
//! list of the pixels where the original differs from that construction, which are flipped. The
//! originals are thresholded JPEG images: their edges are ragged by a pixel here and there, and
//! the cue images carry scattered faint compression artefacts (gamma ≈ 0.004 in the cue file,
//! fully on in a binary pattern); no geometry predicts those, so they are listed. The
//! constructions were fitted to the originals to make these lists short: 43 pixels for the four
//! shapes, 550 for the sixteen partial cues (418 of them stray artefacts outside the parent
//! shape), 14 for the letter F and 68 for the chimera. The two random-dot images have no shorter
//! description than their bits and are stored as bit masks.
//!
//! Geometry is in pixel-centre coordinates: pixel `i = 64 * y + x` has its centre at `(x, y)`,
//! `y` pointing up (docs/model.md §8.3). A region contains a pixel when it contains its centre; boundaries
//! are inclusive. All coordinates of lines and polygons are multiples of 1/4, so the inside tests
//! are exact in floating point (the ring has a safety margin instead, see [`ring`]). Flip lists
//! give pixel indices `64 * y + x` in ascending order.

use super::GRID;
use crate::sim::Pattern;

const _: () = assert!(GRID == 64, "Bits stores one u64 per row");

/// A point `(x, y)` in pixel-centre coordinates.
type Pt = (f64, f64);

/// A 64 × 64 binary image: bit `x` of row `y` is pixel `64 * y + x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bits([u64; 64]);

impl Bits {
    /// The pixels whose centre `(x, y)` satisfies `on`.
    fn from_fn(on: impl Fn(f64, f64) -> bool) -> Self {
        let mut rows = [0; 64];
        for (y, row) in rows.iter_mut().enumerate() {
            for x in 0..64 {
                if on(x as f64, y as f64) {
                    *row |= 1 << x;
                }
            }
        }
        Bits(rows)
    }

    fn union(mut self, other: &Bits) -> Bits {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
        self
    }

    fn minus(mut self, other: &Bits) -> Bits {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= !b;
        }
        self
    }

    /// The image with the listed pixels (indices `64 * y + x`) inverted.
    fn flip(mut self, pixels: &[u16]) -> Bits {
        for &i in pixels {
            self.0[usize::from(i) / 64] ^= 1 << (i % 64);
        }
        self
    }

    fn pattern(&self, name: &str) -> Pattern {
        let on = |i: u32| self.0[i as usize / 64] >> (i % 64) & 1 == 1;
        Pattern::from_indices(name, (0..(GRID * GRID) as u32).filter(|&i| on(i)).collect())
    }
}

/// Positive when `(x, y)` lies left of the directed line `a` → `b`, zero on it.
fn side(a: Pt, b: Pt, x: f64, y: f64) -> f64 {
    (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0)
}

/// The half-plane on and left of the directed line `a` → `b`.
fn left_of(a: Pt, b: Pt) -> Bits {
    Bits::from_fn(|x, y| side(a, b, x, y) >= 0.0)
}

/// A convex polygon, vertices counter-clockwise: on or left of every edge.
fn polygon(v: &[Pt]) -> Bits {
    Bits::from_fn(|x, y| (0..v.len()).all(|k| side(v[k], v[(k + 1) % v.len()], x, y) >= 0.0))
}

/// The pixels with `x0 <= x <= x1` and `y0 <= y <= y1`.
fn rect(x0: u32, x1: u32, y0: u32, y1: u32) -> Bits {
    let (x0, x1, y0, y1) = (f64::from(x0), f64::from(x1), f64::from(y0), f64::from(y1));
    Bits::from_fn(|x, y| (x0..=x1).contains(&x) && (y0..=y1).contains(&y))
}

/// The pixels whose distance from `c` lies in `[r_in, r_out]`. (No pixel centre comes within
/// 0.06 px² of either circle, so rounding cannot move a pixel across.)
fn ring(c: Pt, r_in: f64, r_out: f64) -> Bits {
    Bits::from_fn(|x, y| {
        let d2 = (x - c.0) * (x - c.0) + (y - c.1) * (y - c.1);
        r_in * r_in <= d2 && d2 <= r_out * r_out
    })
}

/// `parent` without the pixels of the `erased` regions, then with `flip` inverted.
fn cut(parent: &Bits, erased: &[Bits], flip: &[u16]) -> Bits {
    erased.iter().fold(*parent, Bits::minus).flip(flip)
}

/// Circle, square, cross, triangle (960, 1193, 832 and 980 pixels).
fn shape_bits() -> [Bits; 4] {
    // A ring 5.3 px thick, centred slightly right of and below the grid centre.
    let circle = ring((31.88, 31.14), 25.95, 31.24).flip(&[
        30, 31, 32, 33, 34, 460, 630, 695, 954, 965, 1035, 1219, 1410, 1919, 1983, 2047, 2111, 2118, 2175, 3410, 3500,
        3623, 3860, 4005,
    ]);
    // A frame: 6 px wide on the left, 7 on the right, 6 at the bottom and top; the bottom-right
    // corner pixel is missing.
    let square = rect(5, 58, 5, 58).minus(&rect(11, 51, 11, 52)).flip(&[378]);
    // Two strokes, "/" and "\", each a nearly rectangular quadrilateral about 6.5 px wide.
    let cross = polygon(&[(11.75, 3.0), (58.0, 52.75), (53.75, 57.75), (7.25, 7.75)])
        .union(&polygon(&[(7.75, 52.0), (53.25, 3.5), (58.5, 7.0), (11.0, 58.0)]))
        .flip(&[441, 853, 948, 1633, 2516, 2840, 2857, 2922, 3400, 3513, 3723]);
    // An upright triangle with an inner triangle removed: a base bar 7 rows high, sides 6–7 px
    // across in each row.
    let triangle = polygon(&[(2.5, 3.75), (63.0, 3.0), (32.5, 60.0)])
        .minus(&polygon(&[(13.0, 10.5), (52.5, 10.0), (32.5, 47.5)]))
        .flip(&[255, 1872, 2524, 2660, 2914, 3111, 3238]);
    [circle, square, cross, triangle]
}

/// The four shapes, in [`super::SHAPE_NAMES`] order.
pub(super) fn shapes() -> Vec<Pattern> {
    shape_bits().iter().zip(super::SHAPE_NAMES).map(|(b, name)| b.pattern(name)).collect()
}

/// The twenty cues of `shapes_cues.pat`, in file order.
#[expect(clippy::too_many_lines, reason = "one table: the construction of each of the twenty cues")]
pub(super) fn cues() -> Vec<Pattern> {
    let [circle, square, cross, triangle] = shape_bits();
    let cues = [
        // Lower right cut off along a diagonal.
        (
            "circle1",
            cut(
                &circle,
                &[left_of((56.0, 44.5), (28.0, 12.0))],
                &[
                    79, 87, 146, 149, 208, 213, 266, 393, 406, 470, 579, 599, 646, 705, 1024, 1218, 1422, 1480, 1486,
                    2672, 2680, 2800, 2871, 2883, 2940, 3002, 3003, 3058, 3088, 3222, 3390, 3449, 3516, 3824, 3989,
                    3995, 4054, 4056,
                ],
            ),
        ),
        // Three gaps: lower left, top, bottom.
        (
            "circle2",
            cut(
                &circle,
                &[
                    polygon(&[(-9.5, 15.5), (6.0, 10.5), (21.5, 19.5), (-4.0, 22.5)]),
                    polygon(&[(23.0, 50.0), (37.0, 56.5), (39.0, 64.5), (26.0, 61.5)]),
                    polygon(&[(33.5, -7.0), (44.0, -2.5), (43.0, 10.5), (32.0, 7.5)]),
                ],
                &[
                    50, 79, 266, 298, 393, 413, 553, 599, 635, 904, 936, 1000, 1023, 1073, 1076, 1347, 1348, 1396,
                    1415, 1472, 1976, 2233, 2622, 2741, 2883, 3058, 3088, 3222, 3390, 3449, 3516, 3612, 3682, 3741,
                    3809, 3824, 3989, 4054,
                ],
            ),
        ),
        // Four gaps: lower right, lower left, upper left, upper right.
        (
            "circle3",
            cut(
                &circle,
                &[
                    polygon(&[(50.5, 12.5), (62.0, 6.0), (58.5, 19.5), (44.0, 26.5)]),
                    polygon(&[(0.0, 2.5), (18.5, 1.5), (30.0, 14.5), (6.5, 18.0)]),
                    polygon(&[(3.0, 42.0), (8.0, 35.5), (17.5, 47.0), (-0.5, 49.5)]),
                    polygon(&[(37.0, 37.0), (53.0, 37.5), (64.5, 57.0), (54.0, 56.5)]),
                ],
                &[
                    24, 50, 105, 274, 341, 486, 617, 746, 943, 948, 965, 1081, 1095, 1161, 1208, 1209, 1211, 1290,
                    1419, 1976, 2112, 2233, 2754, 2951, 3068, 3088, 3120, 3144, 3184, 3204, 3222, 3313, 3466, 3824,
                    3989, 3995, 4054, 4056,
                ],
            ),
        ),
        // Upper half cut off along a slightly rising line.
        (
            "circle4",
            cut(
                &circle,
                &[left_of((-9.0, 26.5), (49.5, 32.0))],
                &[
                    50, 79, 105, 266, 393, 413, 486, 579, 599, 617, 635, 646, 705, 746, 943, 1023, 1024, 1073, 1076,
                    1218, 1396, 1422, 1480, 1486, 1671, 1976, 2235, 2238, 2297, 2430, 2431, 2490, 3927, 3930, 3996,
                    3997, 3998,
                ],
            ),
        ),
        // All four corners cut off.
        (
            "square1",
            cut(
                &square,
                &[
                    polygon(&[(-2.5, -1.0), (5.5, 1.5), (26.0, 17.0), (6.5, 20.0)]),
                    polygon(&[(4.0, 45.5), (27.5, 48.5), (21.0, 65.5), (4.0, 64.5)]),
                    polygon(&[(45.5, -9.5), (61.5, 6.5), (70.5, 23.0), (47.5, 17.5)]),
                    polygon(&[(35.0, 47.5), (75.5, 48.5), (71.5, 63.5), (55.0, 60.0)]),
                ],
                &[
                    76, 141, 236, 367, 431, 587, 715, 720, 782, 810, 1028, 1158, 1217, 1223, 1266, 1269, 1271, 1272,
                    1276, 1289, 1290, 1354, 1402, 1411, 1598, 1599, 1678, 1805, 1998, 2639, 2702, 2942, 2949, 2959,
                    2996, 3015, 3018, 3020, 3061, 3160, 3176, 3194, 3324, 3357, 3384, 3417, 3633, 3702, 3883, 4074,
                    4084,
                ],
            ),
        ),
        // A gap in the middle of each side.
        (
            "square2",
            cut(
                &square,
                &[rect(5, 19, 18, 37), rect(50, 58, 26, 39), rect(26, 36, 51, 63), rect(21, 38, 3, 16)],
                &[
                    23, 33, 228, 229, 342, 343, 418, 550, 597, 661, 738, 787, 914, 917, 978, 995, 1216, 1224, 1229,
                    1349, 1356, 1483, 2047, 2317, 2445, 2446, 2803, 3096, 3103, 3168, 3812, 3938,
                ],
            ),
        ),
        // Gaps in the top (right part) and bottom bars.
        (
            "square3",
            cut(
                &square,
                &[rect(27, 51, 3, 12), rect(29, 52, 53, 63)],
                &[413, 434, 560, 603, 667, 734, 818, 946, 1392, 1393, 2098, 2288, 2801, 3185, 3288, 3632, 3994],
            ),
        ),
        // Upper part (rows 29 and above) cut off.
        ("square4", cut(&square, &[rect(0, 63, 29, 63)], &[1547, 1585, 1600, 1663, 1730, 1789, 1996, 2036])),
        // Lower-left arm cut off.
        (
            "cross1",
            cut(
                &cross,
                &[left_of((44.0, 10.0), (11.0, 47.5))],
                &[
                    1, 179, 253, 305, 306, 376, 623, 639, 685, 700, 822, 826, 1001, 1017, 1334, 1376, 1393, 1460, 1505,
                    1566, 1567, 1568, 1705, 1755, 1773, 1958, 2030, 2257, 2284, 2347, 2516, 2579, 2635, 2656, 2702,
                    2705, 2723, 2740, 2761, 2840, 2847, 2853, 2933, 3046, 3257, 3345, 3432, 3464, 3500, 3566, 3662,
                    3914, 3959, 4021, 4087,
                ],
            ),
        ),
        // Centre cut out.
        (
            "cross2",
            cut(
                &cross,
                &[polygon(&[(15.0, 21.0), (45.5, 17.0), (52.5, 44.0), (20.5, 42.0)])],
                &[
                    1, 8, 179, 253, 269, 305, 306, 376, 623, 639, 663, 685, 700, 713, 822, 826, 969, 1001, 1017, 1129,
                    1130, 1181, 1197, 1289, 1305, 1310, 1328, 1364, 1419, 1424, 1458, 2579, 2610, 2612, 2635, 2676,
                    2702, 2705, 2709, 2710, 2729, 2740, 2761, 2800, 2840, 2858, 2859, 2860, 2861, 2923, 2984, 2998,
                    3257, 3345, 3432, 3464, 3500, 3566, 3662, 3914, 3959, 4021, 4087,
                ],
            ),
        ),
        // Both right arms cut off.
        (
            "cross3",
            cut(
                &cross,
                &[left_of((15.5, 57.5), (41.0, 26.5)), left_of((49.5, 41.5), (31.5, 21.0))],
                &[
                    1, 8, 269, 663, 713, 969, 1289, 1361, 1419, 1503, 1636, 1808, 1830, 2023, 2085, 2212, 2257, 2516,
                    2534, 2579, 2635, 2702, 2705, 2761, 2840, 2847, 3345, 3464, 3662, 3914,
                ],
            ),
        ),
        // Only the upper-left arm kept.
        (
            "cross4",
            cut(
                &cross,
                &[left_of((42.5, 45.5), (14.0, 15.0))],
                &[
                    1, 1631, 1884, 1945, 2013, 2078, 2143, 2208, 2257, 2276, 2336, 2404, 2516, 2579, 2635, 2702, 2705,
                    2761, 2840, 2847, 3345, 3464, 3662, 3914,
                ],
            ),
        ),
        // Gaps in both sides and in the base.
        (
            "triangle1",
            cut(
                &triangle,
                &[
                    polygon(&[(12.5, 20.5), (24.5, 15.0), (32.5, 26.5), (7.0, 47.5)]),
                    polygon(&[(42.0, 17.5), (53.5, 23.0), (57.0, 36.5), (40.0, 34.5)]),
                    polygon(&[(24.0, -2.0), (41.5, 0.5), (42.0, 28.5), (26.5, 11.0)]),
                ],
                &[
                    105, 106, 133, 236, 284, 322, 350, 478, 514, 543, 735, 837, 880, 923, 927, 954, 989, 1040, 1172,
                    1343, 1355, 1360, 1363, 1480, 1520, 1521, 2087, 2130, 2156, 2198, 2220, 2271, 2276, 2331, 2396,
                    2405, 2589, 2590, 2799, 3055, 3495, 3608, 3621, 3736, 3750,
                ],
            ),
        ),
        // All three corners cut off.
        (
            "triangle2",
            cut(
                &triangle,
                &[
                    polygon(&[(-7.0, 3.5), (23.0, -4.0), (16.0, 11.5), (9.0, 24.0)]),
                    polygon(&[(19.5, 39.0), (52.5, 38.0), (50.0, 57.0), (30.5, 69.5)]),
                    polygon(&[(38.0, -1.5), (64.5, -2.0), (58.0, 22.0), (50.5, 16.0)]),
                ],
                &[
                    35, 46, 83, 239, 494, 585, 686, 815, 878, 936, 1006, 1047, 1075, 1105, 1106, 1271, 1644, 1677,
                    1704, 1705, 1804, 1897, 1999, 2323, 2397, 2457, 2458, 2518,
                ],
            ),
        ),
        // Right part cut off along a near-vertical line.
        (
            "triangle3",
            cut(
                &triangle,
                &[left_of((36.0, 54.0), (38.5, 19.0))],
                &[
                    98, 133, 322, 514, 807, 837, 997, 1032, 1047, 1105, 1106, 1677, 1804, 1999, 2589, 2590, 2790, 3608,
                    3621, 3736, 3750,
                ],
            ),
        ),
        // Rows 23 and above cut off: the base and the lowest part of the sides remain.
        (
            "triangle4",
            cut(
                &triangle,
                &[rect(0, 63, 23, 63)],
                &[
                    133, 322, 514, 837, 880, 954, 1042, 1197, 1224, 1263, 1288, 1303, 1343, 1389, 1493, 2717, 2776,
                    2970, 2971, 2972, 2973, 2974, 3034, 3035, 3037,
                ],
            ),
        ),
        // A filled letter F: stem, top bar, middle bar.
        (
            "other1",
            rect(17, 24, 3, 60)
                .union(&rect(17, 50, 55, 60))
                .union(&rect(17, 47, 32, 37))
                .flip(&[16, 144, 283, 284, 347, 3290, 3379, 3383, 3420, 3507, 3920, 4020, 4048, 4083]),
        ),
        // Random dots with a dense, thinned triangle in them (1534 pixels).
        ("other2", Bits(OTHER2)),
        // Random dots, nearly the same as other2's outside the triangle (1110 pixels).
        ("other3", Bits(OTHER3)),
        // Chimera: the left part of the triangle and the right part of the cross.
        (
            "other4",
            cut(&triangle, &[left_of((33.0, 59.5), (29.5, -15.0))], &[])
                .union(&cut(&cross, &[left_of((34.5, 11.0), (29.0, 64.5))], &[]))
                .flip(&[
                    48, 57, 133, 177, 245, 250, 322, 380, 447, 498, 506, 514, 623, 639, 685, 700, 795, 826, 837, 948,
                    985, 986, 1001, 1011, 1017, 1032, 1047, 1059, 1105, 1106, 1334, 1393, 1460, 1504, 1507, 1677, 1804,
                    1838, 1894, 1897, 1958, 1964, 1999, 2016, 2284, 2400, 2589, 2590, 2606, 2672, 2736, 2738, 2987,
                    3062, 3117, 3198, 3323, 3576, 3608, 3680, 3700, 3702, 3736, 3744, 3808, 3824, 3828, 3879,
                ]),
        ),
    ];
    cues.iter().map(|(name, b)| b.pattern(name)).collect()
}

/// Bit masks of the two random-dot cues: element `y` holds row `y`, bit `x` pixel `(x, y)`.
#[rustfmt::skip]
const OTHER2: [u64; 64] = [
    0xc245140006c1306d, 0x6010000818602000, 0xe424424922830101, 0x1814053a100a8080,
    0xe6eff6f7b5b57e78, 0x7ff6e76e3dff7550, 0xbcff750ff5ff76e1, 0x1bffbf9f756bfe90,
    0x1c59b5dc7ecc5fcc, 0x0bf6bb1ed5b9dd80, 0x4b65efbdca17e7c0, 0x10b9000aa3015788,
    0x25f08a24a0237b20, 0x60fb520d2821f7a7, 0x13b6b12001523a70, 0x13f28aa2e000b600,
    0x10b92682090ac850, 0x55736400a621bc42, 0x125e424220207a11, 0x106f4149c0c3f91d,
    0x1d1e20808407b102, 0x807588132407d242, 0x528f9b00006df161, 0x8217e085125cc072,
    0x022fc908205fd461, 0x4c3fe441021aad53, 0x4c835c1843158cc3, 0x00afd41040191422,
    0x4832897842b10808, 0x806978ad017e16ac, 0x1501e90840e48044, 0x84097d32a05c0001,
    0x048ede2ecbef31a6, 0x89a1ff5621f89002, 0xad007d002f782108, 0x2a017c2083db7014,
    0x1c710f9e06d00902, 0x00169f2806e24120, 0x20057e464f9e8000, 0x02262a440b920a01,
    0x8002c3ee93688411, 0x10040fd05f425842, 0x041d12787ba20122, 0x40f94ded5b039060,
    0x120922fa5c581423, 0x883412f83e104443, 0x04e44072d8082003, 0x1204c43638308008,
    0x151ac4ff399e1978, 0x48909815e85ac601, 0x0406ad23fd014080, 0x45111057a647c030,
    0x08450417f0000220, 0x1000c1142ec41a10, 0x0153494b28e20810, 0x0820804fc50020f0,
    0x00a88197c4a95910, 0x2200018f61e10161, 0x29440593c1015451, 0x4d01e8c240d08114,
    0x3804c83100808420, 0x318a040928a008d8, 0xc202145442888c69, 0x20011d20a191c2f0,
];

/// See [`OTHER2`].
#[rustfmt::skip]
const OTHER3: [u64; 64] = [
    0x8245140006c130e9, 0xf010028818602000, 0xe424424922838101, 0x1814852a100b8080,
    0xc580c04414c17a08, 0x45d6000032305010, 0xa8500000849a1681, 0x010a9918244cca90,
    0x1418a40808c04684, 0x20b0a61694109080, 0x4a6000018010e180, 0x1099002aa3014728,
    0x21c08aa6a0234f20, 0x60035205281180a7, 0x1136b12801100a70, 0x13e28aa2e0002400,
    0x10212e82090a0c50, 0x55a16400a6201842, 0x1200424220006211, 0x100b4149c0c1911d,
    0x1d1a208084278102, 0x805108132400c242, 0x52801b0000605161, 0x8202608512500072,
    0x0234490820581461, 0x4c3404410202ad53, 0x4c807418431208c3, 0x00a8041040191422,
    0x4830817842930808, 0x806900ad012216ac, 0x15018108408c8044, 0x84095132a0542001,
    0x048e402e8b8f31a6, 0x89a1b55421809002, 0xad0039002a502108, 0x2a01482080897014,
    0x1c71019402800902, 0x001693280c024120, 0x20056206441f8000, 0x0226224408140a01,
    0x8002c68a80288411, 0x100408104f425842, 0x041d130850220122, 0x40f9494d49039060,
    0x1209221a00581423, 0x8834122008104443, 0x04e44002d0082003, 0x1204c40420308008,
    0x151ac420099e1978, 0x48909840005ac601, 0x0406ad20cd014080, 0x451110618647c030,
    0x0845041730000220, 0x1000c1002ec41a10, 0x015349402ae20810, 0x08208041840020f0,
    0x00a8819444a95910, 0x2200018861e10161, 0x29440592c3015451, 0x4d01e8c240d08114,
    0x3804c83104808420, 0x318a040928a008d8, 0xc202145442888c69, 0x20011d20a191c2f0,
];
