//! Pattern gallery: thumbnails of the shapes, cues and "other" patterns; click to present;
//! cue-fraction slider; a drawing canvas for custom cues; keys 1–9.
//!
//! Every pattern is drawn as a small texture, made once and kept here, with `y` pointing up
//! (docs/model.md §8.3: pixel `i` at `x = i % side`, `y = i / side`, origin bottom-left). Clicking a
//! thumbnail queues [`Command::Present`]; the simulation itself picks the random subset when
//! the cue fraction is below 1.

use std::path::Path;

use egui::{
    Align2, Color32, ColorImage, FontId, Key, Modifiers, Pos2, Rect, Role, Sense, Stroke, StrokeKind, TextStyle,
    TextWrapMode, TextureHandle, TextureOptions, Vec2, WidgetInfo, WidgetText, pos2, vec2,
};

use crate::bridge::{Command, Level};
use crate::io::pat::read_pat;
use crate::sim::shapes::{self, SHAPE_NAMES};
use crate::sim::{Params, Pattern};

use super::AppState;

/// Default presentation time of a shape [s] (the protocol's T_on).
pub const DEFAULT_SHAPE_DURATION_S: f64 = 1.0;
/// Default presentation time of a cue or any other pattern [s] (a recall cue).
pub const DEFAULT_CUE_DURATION_S: f64 = 0.2;
/// Range of both durations [s].
pub const DURATION_RANGE_S: std::ops::RangeInclusive<f64> = 0.01..=10.0;
/// Range of the share of a pattern's pixels that is shown.
pub const FRACTION_RANGE: std::ops::RangeInclusive<f64> = 0.05..=1.0;
/// Brush radii offered for the canvas [pixels].
pub const BRUSH_RANGE: std::ops::RangeInclusive<u32> = 1..=4;
/// At most this many patterns of one loaded file are shown (a receptive-field file has 4096).
pub const MAX_LOADED_PER_FILE: usize = 64;

/// Side of a thumbnail image [points].
const THUMB: f32 = 48.0;
/// Thumbnails per row when the panel is wide enough: four, so each shape's cues share a row.
const PER_ROW: usize = 4;
/// Narrowest thumbnail cell [points]: the image plus a gutter for the key number.
const MIN_CELL: f32 = THUMB + 16.0;
/// Gap between thumbnail cells [points].
const CELL_GAP: f32 = 4.0;
/// Edge of the drawing canvas [points] (3 points per pixel on the 64×64 grid).
const CANVAS_SIZE: f32 = 192.0;
/// Colours of an off and an on pixel, the same in light and dark mode.
const OFF: Color32 = Color32::from_gray(10);
const ON: Color32 = Color32::from_rgb(255, 214, 110);

/// Keys that present the first nine patterns of the gallery.
const NUMBER_KEYS: [Key; 9] =
    [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5, Key::Num6, Key::Num7, Key::Num8, Key::Num9];

/// Which presentation time a pattern gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One of the four stimulus shapes: shown for the shape duration.
    Shape,
    /// Anything else (shape cues, "other" patterns, loaded patterns, the drawing).
    Cue,
}

impl Kind {
    /// A pattern named exactly like a stimulus shape ("circle", also from a loaded
    /// `shapes.pat`) is a shape; every other pattern is a cue.
    pub fn of(name: &str) -> Kind {
        if SHAPE_NAMES.contains(&name) { Kind::Shape } else { Kind::Cue }
    }
}

/// One thumbnail.
pub struct Entry {
    pub pattern: Pattern,
    pub kind: Kind,
    /// Made on first display (needs the egui context), then kept.
    texture: Option<TextureHandle>,
}

impl Entry {
    fn new(pattern: Pattern) -> Self {
        Entry { kind: Kind::of(&pattern.name), pattern, texture: None }
    }
}

/// Thumbnails under one heading.
pub struct Group {
    pub title: String,
    pub entries: Vec<Entry>,
    /// Loaded from a file (as opposed to built in).
    pub loaded: bool,
}

pub struct GalleryState {
    /// Side of the square input grid [pixels].
    pub side: usize,
    /// In display order: shapes, shape cues, others, then one group per loaded file.
    pub groups: Vec<Group>,
    /// Presentation time of a shape [s].
    pub shape_duration_s: f64,
    /// Presentation time of a cue, an "other" pattern, a loaded pattern or the drawing [s].
    pub cue_duration_s: f64,
    /// Share of the pattern's pixels shown (the simulation draws the subset).
    pub fraction: f64,
    /// Brush radius of the canvas [pixels].
    pub brush_radius: u32,
    pub canvas: Canvas,
}

impl GalleryState {
    pub fn new(params: &Params) -> Self {
        let side = params.network.input_side;
        let mut groups = Vec::new();
        // The built-in patterns are drawn on the 64×64 grid; on any other grid only loaded
        // patterns and the drawing make sense.
        if side == shapes::GRID {
            let cues = shapes::cues_of(params.input.shapes);
            let (shape_cues, others): (Vec<Pattern>, Vec<Pattern>) =
                cues.into_iter().partition(|p| shapes::parent_shape(&p.name).is_some());
            let drawn = shapes::shapes_of(params.input.shapes);
            for (title, patterns) in [("Shapes", drawn), ("Shape cues", shape_cues), ("Other", others)] {
                groups.push(Group {
                    title: title.into(),
                    entries: patterns.into_iter().map(Entry::new).collect(),
                    loaded: false,
                });
            }
        }
        GalleryState {
            side,
            groups,
            shape_duration_s: DEFAULT_SHAPE_DURATION_S,
            cue_duration_s: DEFAULT_CUE_DURATION_S,
            fraction: 1.0,
            brush_radius: 2,
            canvas: Canvas::new(side),
        }
    }

    /// Every pattern in display order (the order keys 1–9 follow).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.groups.iter().flat_map(|g| g.entries.iter())
    }

    pub fn duration_s(&self, kind: Kind) -> f64 {
        match kind {
            Kind::Shape => self.shape_duration_s,
            Kind::Cue => self.cue_duration_s,
        }
    }

    /// The command that presents `pattern` as a pattern of `kind`.
    pub fn present(&self, pattern: &Pattern, kind: Kind) -> Command {
        Command::Present { pattern: pattern.clone(), duration_s: self.duration_s(kind), fraction: self.fraction }
    }

    /// The command that presents the `n`-th pattern (0-based, display order), if there is one.
    pub fn present_nth(&self, n: usize) -> Option<Command> {
        self.entries().nth(n).map(|e| self.present(&e.pattern, e.kind))
    }

    /// The command that presents the drawing as a cue, or `None` when nothing is painted.
    pub fn present_drawing(&self) -> Option<Command> {
        let indices = self.canvas.indices();
        (!indices.is_empty()).then(|| self.present(&Pattern::from_indices("drawing", indices), Kind::Cue))
    }

    /// Adds the patterns of a `.pat` file as a group named after the file (replacing a group
    /// of the same name). Returns how many patterns the file has; at most
    /// [`MAX_LOADED_PER_FILE`] of them are shown.
    pub fn load_file(&mut self, path: &Path) -> crate::Result<usize> {
        let patterns = read_pat(path, self.side * self.side)?;
        let n = patterns.len();
        if n == 0 {
            return Err(crate::Error::parse(path.display(), 0, "no patterns in the file"));
        }
        let title = path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned());
        let group = Group {
            title,
            entries: patterns.into_iter().take(MAX_LOADED_PER_FILE).map(Entry::new).collect(),
            loaded: true,
        };
        match self.groups.iter_mut().find(|g| g.loaded && g.title == group.title) {
            Some(old) => *old = group,
            None => self.groups.push(group),
        }
        Ok(n)
    }
}

/// Loads a `.pat` file into the gallery; success and failure are reported in the status bar.
pub fn load_patterns(state: &mut AppState, path: &Path) {
    match state.gallery.load_file(path) {
        Ok(n) if n > MAX_LOADED_PER_FILE => state.set_ui_message(
            Level::Warning,
            format!("{}: showing the first {MAX_LOADED_PER_FILE} of {n} patterns", path.display()),
        ),
        Ok(n) => state.set_ui_message(Level::Info, format!("loaded {n} patterns from {}", path.display())),
        Err(e) => state.set_ui_message(Level::Error, e.to_string()),
    }
}

/// A square grid of pixels the user paints on (`y` up, like the input layer).
pub struct Canvas {
    side: usize,
    /// Pixel `x + side * y` painted?
    on: Vec<bool>,
    count: usize,
    texture: Option<TextureHandle>,
    /// The texture no longer shows `on`.
    dirty: bool,
    /// Grid position of the pointer in the previous frame of the stroke being painted.
    last: Option<Pos2>,
}

impl Canvas {
    pub fn new(side: usize) -> Self {
        Canvas { side, on: vec![false; side * side], count: 0, texture: None, dirty: true, last: None }
    }

    pub fn side(&self) -> usize {
        self.side
    }

    /// Number of painted pixels.
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn is_on(&self, x: usize, y: usize) -> bool {
        x < self.side && y < self.side && self.on[x + self.side * y]
    }

    /// Indices of the painted pixels, sorted.
    pub fn indices(&self) -> Vec<u32> {
        (0..self.on.len()).filter(|&i| self.on[i]).map(|i| i as u32).collect()
    }

    pub fn clear(&mut self) {
        self.on.fill(false);
        self.count = 0;
        self.dirty = true;
    }

    /// Sets (`value` true) or erases the pixels of a brush of radius `radius` around the pixel
    /// that contains grid point `at`: pixel centres within `radius − ½` pixels, i.e. a disc
    /// `2·radius − 1` pixels across (radius 1 is one pixel). Pixels off the grid are ignored.
    pub fn stamp(&mut self, at: Pos2, radius: u32, value: bool) {
        let (cx, cy) = (at.x.floor() as i64, at.y.floor() as i64);
        let r = i64::from(radius.max(1));
        let limit = (r as f64 - 0.5).powi(2);
        let side = self.side as i64;
        for dy in -r..=r {
            for dx in -r..=r {
                let (x, y) = (cx + dx, cy + dy);
                if (dx * dx + dy * dy) as f64 > limit || !(0..side).contains(&x) || !(0..side).contains(&y) {
                    continue;
                }
                let cell = &mut self.on[(x + side * y) as usize];
                if *cell != value {
                    *cell = value;
                    if value {
                        self.count += 1;
                    } else {
                        self.count -= 1;
                    }
                    self.dirty = true;
                }
            }
        }
    }

    /// Stamps the brush along the segment `from`–`to` (grid coordinates), every half pixel, so
    /// a fast drag leaves no gaps.
    pub fn stroke(&mut self, from: Pos2, to: Pos2, radius: u32, value: bool) {
        let steps = ((to - from).length() * 2.0).ceil().max(1.0) as usize;
        for k in 0..=steps {
            self.stamp(from.lerp(to, k as f32 / steps as f32), radius, value);
        }
    }

    /// Grid coordinates of screen point `p` on a canvas drawn in `rect`: pixel `(x, y)` covers
    /// `[x, x+1) × [y, y+1)`, `y` counted up from the bottom edge.
    pub fn grid_pos(&self, rect: Rect, p: Pos2) -> Pos2 {
        let cell = rect.width() / self.side as f32;
        pos2((p.x - rect.left()) / cell, (rect.bottom() - p.y) / cell)
    }

    fn image(&self) -> ColorImage {
        image_of(self.side, |x, y| self.on[x + self.side * y])
    }
}

/// A `side`×`side` image with the top row at `y = side − 1` (y up).
fn image_of(side: usize, on: impl Fn(usize, usize) -> bool) -> ColorImage {
    let pixels = (0..side * side)
        .map(|k| {
            let (x, y) = (k % side, side - 1 - k / side);
            if on(x, y) { ON } else { OFF }
        })
        .collect();
    ColorImage::new([side, side], pixels)
}

/// The thumbnail image of a pattern (indices off the grid are left out).
fn pattern_image(p: &Pattern, side: usize) -> ColorImage {
    let mut on = vec![false; side * side];
    for &i in &p.indices {
        if let Some(cell) = on.get_mut(i as usize) {
            *cell = true;
        }
    }
    image_of(side, |x, y| on[x + side * y])
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState) {
    ui.horizontal(|ui| {
        ui.heading("Patterns").on_hover_text(
            "Click a pattern (or press its number key) to show it to the input layer: shapes for the shape time, \
             everything else as a cue",
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.small("keys 1–9").on_hover_text("Keys 1–9 present the first nine patterns");
        });
    });
    settings(ui, &mut state.gallery);

    let mut clicked: Option<(Pattern, Kind)> = None;
    let mut number = 0;
    let g = &mut state.gallery;
    let (side, ctx) = (g.side, ui.ctx().clone());
    // Four cells across, sharing the width; fewer if the panel is narrower than that.
    let width = ui.available_width();
    let per_row = (((width + CELL_GAP) / (MIN_CELL + CELL_GAP)).floor() as usize).clamp(1, PER_ROW);
    let cell = ((width - CELL_GAP * (per_row - 1) as f32) / per_row as f32).max(MIN_CELL);
    for (gi, group) in g.groups.iter_mut().enumerate() {
        ui.add_space(4.0);
        ui.label(egui::RichText::new(&group.title).strong());
        for (ri, row) in group.entries.chunks_mut(per_row).enumerate() {
            ui.push_id((gi, ri), |ui| {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = CELL_GAP;
                    for e in row {
                        number += 1;
                        let texture = e.texture.get_or_insert_with(|| {
                            ctx.load_texture(
                                format!("gallery/{}/{}", group.title, e.pattern.name),
                                pattern_image(&e.pattern, side),
                                TextureOptions::NEAREST,
                            )
                        });
                        let key = (number <= NUMBER_KEYS.len()).then_some(number);
                        if thumbnail(ui, texture, &e.pattern, key, cell).clicked() {
                            clicked = Some((e.pattern.clone(), e.kind));
                        }
                    }
                });
            });
        }
    }
    if let Some((pattern, kind)) = clicked {
        let cmd = state.gallery.present(&pattern, kind);
        state.send(cmd);
    }

    ui.add_space(4.0);
    if ui.button("Load patterns…").on_hover_text("Add the patterns of a .pat file to the gallery").clicked() {
        super::dialog::ask(state, &super::dialog::FileChoice::OpenPatterns);
    }

    ui.separator();
    drawing(ui, state);
}

/// Durations and the cue fraction.
fn settings(ui: &mut egui::Ui, g: &mut GalleryState) {
    ui.horizontal(|ui| {
        for (label, value, hint) in [
            ("shape s", &mut g.shape_duration_s, "How long a click shows a shape [s]"),
            ("cue s", &mut g.cue_duration_s, "How long a click shows a cue, another pattern or the drawing [s]"),
        ] {
            let label = ui.label(label);
            ui.add(egui::DragValue::new(value).range(DURATION_RANGE_S).speed(0.01).max_decimals(2))
                .labelled_by(label.id)
                .on_hover_text(hint);
        }
    });
    ui.add(egui::Slider::new(&mut g.fraction, FRACTION_RANGE).text("cue fraction"))
        .on_hover_text("Share of the pattern's pixels shown: a fresh random subset at every presentation");
}

/// One clickable thumbnail `width` wide: the image with the pattern's name below; its
/// accessible label is the name. `key` is the number key that also presents it, if any, shown
/// to the left of the image.
fn thumbnail(
    ui: &mut egui::Ui,
    texture: &TextureHandle,
    p: &Pattern,
    key: Option<usize>,
    width: f32,
) -> egui::Response {
    let name = WidgetText::from(p.name.as_str()).into_galley(ui, Some(TextWrapMode::Truncate), width, TextStyle::Small);
    let size = vec2(width, 4.0 + THUMB + 2.0 + name.size().y + 2.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    response.widget_info(|| WidgetInfo::labeled(Role::Button, ui.is_enabled(), &p.name));
    if ui.is_rect_visible(rect) {
        let visuals = ui.visuals().widgets.style(&response);
        if response.hovered() || response.has_focus() {
            ui.painter().rect(rect, visuals.corner_radius, visuals.weak_bg_fill, visuals.bg_stroke, StrokeKind::Inside);
        }
        let image = Rect::from_min_size(pos2(rect.center().x - THUMB / 2.0, rect.top() + 4.0), Vec2::splat(THUMB));
        let uv = Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0));
        ui.painter().image(texture.id(), image, uv, Color32::WHITE);
        ui.painter().rect_stroke(image, 0.0, Stroke::new(1.0, visuals.bg_stroke.color), StrokeKind::Outside);
        if let Some(k) = key {
            let color = ui.visuals().weak_text_color();
            ui.painter().text(image.left_top() + vec2(-3.0, 0.0), Align2::RIGHT_TOP, k, FontId::monospace(10.0), color);
        }
        let name_pos = pos2(rect.center().x - name.size().x / 2.0, image.bottom() + 2.0);
        ui.painter().galley(name_pos, name, visuals.text_color());
    }
    let key_hint = key.map_or_else(String::new, |k| format!(" · key {k}"));
    response.on_hover_text(format!("{} · {} pixels{key_hint}", p.name, p.len()))
}

/// The drawing canvas and its buttons.
fn drawing(ui: &mut egui::Ui, state: &mut AppState) {
    ui.label(egui::RichText::new("Drawing").strong()).on_hover_text(
        "Paint a cue on the 64×64 input grid (left button paints, right button erases), then present it",
    );
    let g = &mut state.gallery;
    canvas_ui(ui, &mut g.canvas, g.brush_radius);
    ui.add(egui::Slider::new(&mut g.brush_radius, BRUSH_RANGE).text("brush radius"))
        .on_hover_text("Radius of the brush [pixels]; 1 paints single pixels");
    ui.horizontal(|ui| {
        let g = &mut state.gallery;
        if ui.add_enabled(!g.canvas.is_empty(), egui::Button::new("Clear")).on_hover_text("Erase the drawing").clicked()
        {
            g.canvas.clear();
        }
        let present = ui
            .add_enabled(!g.canvas.is_empty(), egui::Button::new("Present drawing"))
            .on_hover_text("Present the painted pixels as a cue (cue duration and fraction)");
        if present.clicked()
            && let Some(cmd) = g.present_drawing()
        {
            state.send(cmd);
        }
        ui.small(format!("{} px", state.gallery.canvas.count()));
    });
}

/// The canvas widget: primary button paints, secondary erases; accessible as "drawing canvas".
fn canvas_ui(ui: &mut egui::Ui, canvas: &mut Canvas, radius: u32) -> egui::Response {
    let edge = ui.available_width().clamp(64.0, CANVAS_SIZE);
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(edge), Sense::click_and_drag());
    response.widget_info(|| WidgetInfo::labeled(Role::Canvas, ui.is_enabled(), "drawing canvas"));

    let (primary, secondary) = ui.input(|i| (i.pointer.primary_down(), i.pointer.secondary_down()));
    let paint = if response.is_pointer_button_down_on() && primary {
        Some(true)
    } else if response.is_pointer_button_down_on() && secondary {
        Some(false)
    } else if response.clicked() {
        // Press and release within one frame.
        Some(true)
    } else if response.secondary_clicked() {
        Some(false)
    } else {
        None
    };
    match (paint, response.interact_pointer_pos()) {
        (Some(value), Some(p)) => {
            let at = canvas.grid_pos(rect, p);
            canvas.stroke(canvas.last.unwrap_or(at), at, radius, value);
            canvas.last = (primary || secondary).then_some(at);
        }
        _ => canvas.last = None,
    }

    if ui.is_rect_visible(rect) {
        if canvas.dirty || canvas.texture.is_none() {
            let image = canvas.image();
            match &mut canvas.texture {
                Some(t) => t.set(image, TextureOptions::NEAREST),
                None => canvas.texture = Some(ui.ctx().load_texture("gallery/canvas", image, TextureOptions::NEAREST)),
            }
            canvas.dirty = false;
        }
        let Some(texture) = &canvas.texture else { return response };
        let painter = ui.painter_at(rect);
        let uv = Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0));
        painter.image(texture.id(), rect, uv, Color32::WHITE);
        // Faint guides every quarter of the grid, for orientation.
        let guide = Stroke::new(1.0, Color32::from_white_alpha(18));
        for k in 1..4 {
            let t = k as f32 / 4.0;
            let x = rect.left() + t * rect.width();
            let y = rect.top() + t * rect.height();
            painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], guide);
            painter.line_segment([pos2(rect.left(), y), pos2(rect.right(), y)], guide);
        }
        let border = ui.visuals().widgets.noninteractive.bg_stroke.color;
        painter.rect_stroke(rect, 0.0, Stroke::new(1.0, border), StrokeKind::Inside);
        // Brush outline under the pointer.
        if let Some(p) = response.hover_pos() {
            let cell = rect.width() / canvas.side as f32;
            let at = canvas.grid_pos(rect, p);
            let centre = pos2(rect.left() + (at.x.floor() + 0.5) * cell, rect.bottom() - (at.y.floor() + 0.5) * cell);
            let r = (radius.max(1) as f32 - 0.5) * cell;
            painter.circle_stroke(centre, r.max(cell / 2.0), Stroke::new(1.0, Color32::from_white_alpha(120)));
        }
    }
    response.on_hover_text("Drag to paint, right-drag to erase")
}

/// Keys 1–9 present the first nine patterns, only when no text field has focus.
pub fn handle_keys(ui: &mut egui::Ui, state: &mut AppState) {
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    for (n, key) in NUMBER_KEYS.into_iter().enumerate() {
        if ui.input_mut(|i| i.consume_key(Modifiers::NONE, key))
            && let Some(cmd) = state.gallery.present_nth(n)
        {
            state.send(cmd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_put_y_up() {
        // (0,0) bottom-left, (63,0) bottom-right, (0,63) top-left (docs/model.md §8.3).
        let p = Pattern::from_indices("t", vec![0, 63, 64 * 63]);
        let img = pattern_image(&p, 64);
        assert_eq!(img.size, [64, 64]);
        let at = |col: usize, row: usize| img.pixels[col + 64 * row];
        assert_eq!((at(0, 63), at(63, 63), at(0, 0)), (ON, ON, ON));
        assert_eq!((at(63, 0), at(1, 63), at(0, 62)), (OFF, OFF, OFF));
        assert_eq!(img.pixels.iter().filter(|&&c| c == ON).count(), 3);
        // Indices off the grid are left out, not wrapped.
        assert_eq!(
            pattern_image(&Pattern::from_indices("t", vec![4096, 9999]), 64)
                .pixels
                .iter()
                .filter(|&&c| c == ON)
                .count(),
            0
        );
    }

    #[test]
    fn canvas_image_matches_its_pixels() {
        let mut c = Canvas::new(64);
        c.stamp(pos2(5.5, 60.5), 1, true);
        let img = c.image();
        assert_eq!(img.pixels[5 + 64 * 3], ON);
        assert_eq!(img.pixels.iter().filter(|&&p| p == ON).count(), 1);
    }
}
