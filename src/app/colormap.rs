//! Colour scales for heatmaps and images: piecewise-linear tables over t in [0, 1]; values
//! outside are clamped and NaN reads as 0.

use egui::Color32;

/// Viridis (matplotlib's perceptually uniform scale) at ten evenly spaced points.
const VIRIDIS: [[u8; 3]; 10] = [
    [0x44, 0x01, 0x54],
    [0x48, 0x28, 0x78],
    [0x3e, 0x4a, 0x89],
    [0x31, 0x68, 0x8e],
    [0x26, 0x82, 0x8e],
    [0x1f, 0x9e, 0x89],
    [0x35, 0xb7, 0x79],
    [0x6d, 0xcd, 0x59],
    [0xb4, 0xde, 0x2c],
    [0xfd, 0xe7, 0x25],
];

/// An inferno-like scale: black through purple and orange to pale yellow.
const INFERNO: [[u8; 3]; 6] = [[0, 0, 4], [40, 11, 84], [120, 28, 109], [200, 60, 70], [248, 142, 10], [252, 255, 164]];

/// Linear interpolation in an evenly spaced colour table.
fn lerp_table(table: &[[u8; 3]], t: f32) -> Color32 {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (table.len() - 1) as f32;
    let k = (x as usize).min(table.len() - 2);
    let f = x - k as f32;
    let mix = |c: usize| (table[k][c] as f32 * (1.0 - f) + table[k + 1][c] as f32 * f).round() as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

pub fn viridis(t: f32) -> Color32 {
    lerp_table(&VIRIDIS, t)
}

pub fn inferno(t: f32) -> Color32 {
    lerp_table(&INFERNO, t)
}
