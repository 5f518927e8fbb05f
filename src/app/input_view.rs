//! The 64×64 input layer as an image of leaky spike counts, with the active stimulus outlined.
//!
//! Each input unit's count decays with τ = 1 s of model time (as in the authors' movies) and
//! grows by the unit's spikes in every frame. The image is one texture, rebuilt only when a frame
//! arrives; the stimulus outline is a second texture, rebuilt only when the stimulus changes.
//! Display convention (docs/model.md §8.3): unit i at x = i mod side, y = i div side, y pointing up.

use std::sync::Arc;

use egui::{Color32, Rect, Sense, TextureHandle, TextureOptions, Vec2, pos2, vec2};

use crate::bridge::Frame;

use super::AppState;

/// Leak time constant of the displayed counts [s of model time].
pub const TAU_S: f64 = 1.0;
/// Lowest top of the colour scale [spikes], so background activity alone does not saturate.
pub const MIN_SCALE: f32 = 20.0;
/// Largest image side on screen [points].
const MAX_IMAGE_SIDE: f32 = 320.0;
/// Sub-pixels per input pixel in the outline texture (the outline is one sub-pixel wide).
const OUTLINE_SUB: usize = 4;
const OUTLINE_COLOR: Color32 = Color32::from_rgb(60, 220, 255);
/// Time stamps closer than this are the same instant [s].
const TIME_EPS: f64 = 1e-9;

pub struct InputState {
    pub side: usize,
    /// Leaky spike count of every input unit [spikes], in unit order.
    pub counts: Vec<f32>,
    /// Top of the colour scale used for the current texture [spikes].
    pub scale_max: f32,
    /// End of the newest frame taken in [s of model time].
    last_t_s: Option<f64>,
    /// The image needs rebuilding (new counts since the last upload).
    dirty: bool,
    texture: Option<TextureHandle>,
    /// Stimulus pixels the outline texture was drawn from, and the texture.
    outline: Option<(Arc<Vec<u32>>, TextureHandle)>,
}

impl InputState {
    pub fn new(side: usize) -> Self {
        InputState {
            side,
            counts: vec![0.0; side * side],
            scale_max: MIN_SCALE,
            last_t_s: None,
            dirty: true,
            texture: None,
            outline: None,
        }
    }

    /// Decays the counts by the model time elapsed since the previous frame, then adds this
    /// frame's spikes. Time going backwards (a reset) clears the image first.
    pub fn ingest(&mut self, frame: &Frame) {
        let side = frame.status.params.network.input_side;
        if side != self.side {
            *self = InputState::new(side);
        }
        let (t0, t1) = (frame.t_start_s, frame.t_end_s);
        if !t0.is_finite() || !t1.is_finite() {
            return;
        }
        let dt = match self.last_t_s {
            Some(last) if t0 < last - TIME_EPS || t1 < last - TIME_EPS => {
                self.counts.iter_mut().for_each(|c| *c = 0.0);
                t1 - t0
            }
            // From the previous frame's end, so frames the simulation dropped still decay.
            Some(last) => t1 - last,
            None => t1 - t0,
        };
        leak_and_add(&mut self.counts, dt, TAU_S, &frame.input_counts);
        self.last_t_s = Some(t1);
        self.dirty = true;
    }
}

/// One update of leaky counts: `c ← c·exp(−dt/τ) + added`. A non-positive or non-finite `dt`
/// means no decay; units beyond either slice's length are left alone.
pub fn leak_and_add(counts: &mut [f32], dt_s: f64, tau_s: f64, added: &[u16]) {
    let decay = if dt_s > 0.0 && tau_s > 0.0 && dt_s.is_finite() { (-dt_s / tau_s).exp() as f32 } else { 1.0 };
    for (c, &a) in counts.iter_mut().zip(added) {
        let v = *c * decay + a as f32;
        *c = if v.is_finite() { v } else { 0.0 };
    }
    if added.len() < counts.len() {
        counts[added.len()..].iter_mut().for_each(|c| *c *= decay);
    }
}

/// Texture row (0 = top) of unit `i` on a grid of `side`: y points up.
pub fn texture_row(i: usize, side: usize) -> usize {
    side - 1 - i / side
}

/// The colour scale of the input image.
pub use super::colormap::inferno;

/// The counts as an image (y up), colours scaled to [0, `scale_max`].
fn counts_image(counts: &[f32], side: usize, scale_max: f32) -> egui::ColorImage {
    let mut pixels = vec![Color32::BLACK; side * side];
    for (i, &c) in counts.iter().enumerate().take(side * side) {
        pixels[texture_row(i, side) * side + i % side] = inferno(c / scale_max);
    }
    egui::ColorImage::new([side, side], pixels)
}

/// An outline around the stimulus pixels, `OUTLINE_SUB` sub-pixels per unit, transparent
/// elsewhere: for every stimulus pixel, each edge not shared with another stimulus pixel.
fn outline_image(pixels: &[u32], side: usize) -> egui::ColorImage {
    let n = side * side;
    let mut on = vec![false; n];
    for &p in pixels {
        if let Some(o) = on.get_mut(p as usize) {
            *o = true;
        }
    }
    let s = OUTLINE_SUB;
    let w = side * s;
    let mut img = vec![Color32::TRANSPARENT; w * w];
    let is_on = |x: i64, y: i64| {
        x >= 0 && y >= 0 && (x as usize) < side && (y as usize) < side && on[y as usize * side + x as usize]
    };
    for i in (0..n).filter(|&i| on[i]) {
        let (x, y) = ((i % side) as i64, (i / side) as i64);
        let (col0, row0) = (x as usize * s, texture_row(i, side) * s);
        for k in 0..s {
            // y up: the neighbour above (y + 1) borders the top texture row of the cell.
            if !is_on(x, y + 1) {
                img[row0 * w + col0 + k] = OUTLINE_COLOR;
            }
            if !is_on(x, y - 1) {
                img[(row0 + s - 1) * w + col0 + k] = OUTLINE_COLOR;
            }
            if !is_on(x - 1, y) {
                img[(row0 + k) * w + col0] = OUTLINE_COLOR;
            }
            if !is_on(x + 1, y) {
                img[(row0 + k) * w + col0 + s - 1] = OUTLINE_COLOR;
            }
        }
    }
    egui::ColorImage::new([w, w], img)
}

/// Paints a horizontal colour bar for [`inferno`] into `rect`.
fn paint_colour_bar(painter: &egui::Painter, rect: Rect) {
    const STEPS: usize = 32;
    let mut mesh = egui::Mesh::default();
    for k in 0..=STEPS {
        let f = k as f32 / STEPS as f32;
        let x = rect.left() + f * rect.width();
        let c = inferno(f);
        mesh.colored_vertex(pos2(x, rect.top()), c);
        mesh.colored_vertex(pos2(x, rect.bottom()), c);
        if k > 0 {
            let b = (2 * k) as u32;
            mesh.add_triangle(b - 2, b - 1, b);
            mesh.add_triangle(b - 1, b, b + 1);
        }
    }
    painter.add(egui::Shape::mesh(mesh));
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState) {
    ui.strong("Input layer").on_hover_text(
        "The 64×64 Poisson input units: brightness is each unit's spike count in the last frame; the outline marks \
         the stimulus shown",
    );
    let stimulus = state.status.as_ref().and_then(|s| s.stimulus.as_ref());
    ui.horizontal(|ui| match stimulus {
        Some(s) => {
            ui.label("stimulus:");
            ui.label(egui::RichText::new(&s.name).strong().color(OUTLINE_COLOR));
            ui.weak(format!("{:.1}–{:.1} s", s.onset_s, s.offset_s));
        }
        None => {
            ui.label("no stimulus");
        }
    });

    let st = &mut state.input;
    let side = st.side.max(1);
    if st.dirty || st.texture.is_none() {
        let peak = st.counts.iter().copied().filter(|c| c.is_finite()).fold(0.0f32, f32::max);
        st.scale_max = peak.max(MIN_SCALE);
        let image = counts_image(&st.counts, side, st.scale_max);
        match &mut st.texture {
            Some(t) => t.set(image, TextureOptions::NEAREST),
            None => st.texture = Some(ui.ctx().load_texture("input_counts", image, TextureOptions::NEAREST)),
        }
        st.dirty = false;
    }
    let pixels = stimulus.map(|s| s.pixels.clone());
    match (&pixels, &mut st.outline) {
        (None, o) => *o = None,
        (Some(p), Some((src, tex))) => {
            if **src != **p {
                tex.set(outline_image(p, side), TextureOptions::NEAREST);
                *src = p.clone();
            }
        }
        (Some(p), o @ None) => {
            let tex = ui.ctx().load_texture("input_outline", outline_image(p, side), TextureOptions::NEAREST);
            *o = Some((p.clone(), tex));
        }
    }

    // Whole screen pixels per unit when possible, so nearest filtering stays even.
    let avail = ui.available_width().clamp(16.0, MAX_IMAGE_SIDE);
    let per_unit = (avail / side as f32).floor();
    let image_side = if per_unit >= 1.0 { per_unit * side as f32 } else { avail };
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(image_side), Sense::hover());
    let painter = ui.painter_at(rect);
    let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
    if let Some(t) = &st.texture {
        painter.image(t.id(), rect, uv, Color32::WHITE);
    }
    if let Some((_, t)) = &st.outline {
        painter.image(t.id(), rect, uv, Color32::WHITE);
    }
    if let Some(pos) = response.hover_pos() {
        let x = (((pos.x - rect.left()) / rect.width() * side as f32) as usize).min(side - 1);
        let row = (((pos.y - rect.top()) / rect.height() * side as f32) as usize).min(side - 1);
        let y = side - 1 - row;
        let count = st.counts.get(y * side + x).copied().unwrap_or(0.0);
        response.on_hover_text(format!("x = {x}, y = {y}: {count:.1} spikes (unit {})", y * side + x));
    }

    // Colour scale: bar with its ends, then what the colour means.
    let (bar, _) = ui.allocate_exact_size(vec2(image_side, 8.0), Sense::hover());
    paint_colour_bar(ui.painter(), bar);
    ui.horizontal(|ui| {
        ui.set_width(image_side);
        ui.weak("0");
        ui.label("spikes (τ = 1 s)");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.weak(format!("{:.0}", st.scale_max));
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leak_decays_by_exp_of_elapsed_time_then_adds() {
        let mut c = vec![10.0f32, 0.0, 4.0];
        leak_and_add(&mut c, 0.5, 1.0, &[1, 2, 0]);
        let d = (-0.5f64).exp() as f32;
        assert!((c[0] - (10.0 * d + 1.0)).abs() < 1e-5);
        assert!((c[1] - 2.0).abs() < 1e-6);
        assert!((c[2] - 4.0 * d).abs() < 1e-5);
    }

    #[test]
    fn steady_state_is_rate_times_tau() {
        // One spike every 10 ms for 20 s: the count settles at 1/(1 − e^(−0.01)) ≈ rate·τ + 1/2.
        let mut c = vec![0.0f32];
        for _ in 0..2000 {
            leak_and_add(&mut c, 0.01, 1.0, &[1]);
        }
        let expected = 1.0 / (1.0 - (-0.01f64).exp());
        assert!((c[0] as f64 - expected).abs() < 1e-2, "{} vs {expected}", c[0]);
    }

    #[test]
    fn leak_tolerates_bad_time_and_short_slices() {
        let mut c = vec![2.0f32, 2.0];
        leak_and_add(&mut c, f64::NAN, 1.0, &[1]);
        assert_eq!(c, [3.0, 2.0]);
        leak_and_add(&mut c, -1.0, 1.0, &[1, 1, 1, 1]);
        assert_eq!(c, [4.0, 3.0]);
    }

    #[test]
    fn y_points_up() {
        // Unit 0 (x 0, y 0) is the bottom-left pixel; unit side·(side−1) the top-left.
        assert_eq!(texture_row(0, 64), 63);
        assert_eq!(texture_row(64 * 63, 64), 0);
        assert_eq!(texture_row(65, 64), 62);
    }

    #[test]
    fn outline_marks_only_the_border_of_the_pattern() {
        // A 2×1 block at (1,1),(2,1) on a 4×4 grid.
        let img = outline_image(&[5, 6], 4);
        let s = OUTLINE_SUB;
        let w = 4 * s;
        let at = |col: usize, row: usize| img.pixels[row * w + col];
        // Shared edge between the two pixels is not drawn.
        let row_mid = texture_row(5, 4) * s + s / 2;
        assert_eq!(at(2 * s - 1, row_mid), Color32::TRANSPARENT);
        assert_eq!(at(2 * s, row_mid), Color32::TRANSPARENT);
        // Outer left and right edges are.
        assert_eq!(at(s, row_mid), OUTLINE_COLOR);
        assert_eq!(at(3 * s - 1, row_mid), OUTLINE_COLOR);
        // Nothing outside the pattern; out-of-range pixels are ignored.
        assert_eq!(at(0, 0), Color32::TRANSPARENT);
        // Out-of-range pixels must not panic; the image itself is not checked here.
        let _ = outline_image(&[999], 4);
    }

    #[test]
    fn colour_scale_is_monotone_in_brightness_and_safe() {
        let lum = |c: Color32| c.r() as u32 + c.g() as u32 + c.b() as u32;
        let mut prev = 0;
        for k in 0..=20 {
            let l = lum(inferno(k as f32 / 20.0));
            assert!(l >= prev);
            prev = l;
        }
        assert_eq!(inferno(f32::NAN), inferno(0.0));
        assert_eq!(inferno(7.0), inferno(1.0));
    }
}
