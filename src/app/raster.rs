//! Spike raster of E (sorted by assembly once known) and I neurons over the last seconds,
//! drawn as a texture.
//!
//! Spikes are binned as they arrive into a ring buffer of time columns (10 ms each, 4 s in all)
//! whose rows each hold a few neurons, so memory is fixed whatever the spike rate and however
//! far the simulation runs ahead of the drawing. Drawing sums those fine rows into as many rows
//! as the panel has pixels and colours each cell by its rate; the texture is rebuilt only when a
//! frame has arrived or the panel's height changed. Never one plot point per spike.

use egui::{Align2, Color32, FontId, Rect, Sense, Stroke, TextureHandle, TextureOptions, pos2, vec2};

use crate::bridge::Frame;
use crate::sim::views::WeightView;

use super::AppState;

/// Time shown [s of model time].
pub const WINDOW_S: f64 = crate::bridge::RASTER_WINDOW_S;
/// Model time per column [s].
pub const COLUMN_S: f64 = 0.01;
/// E and I together are held in about this many rows (neurons per row chosen to fit).
const TARGET_ROWS: usize = 512;
/// Cell rate at the top of the (linear) colour scale [Hz].
pub const RATE_SCALE_HZ: f32 = 40.0;
/// Time stamps closer than this are the same instant [s].
const TIME_EPS: f64 = 1e-9;
/// Most E spikes kept for export (about 4 s of the full network at 60 Hz): bounds memory
/// whatever the rate.
pub const MAX_RECENT_SPIKES: usize = 1 << 20;
/// Colour of cells without data yet (before the first frame or time 0).
const NO_DATA: Color32 = Color32::from_rgb(30, 30, 34);
const E_RAMP: [[f32; 3]; 4] = [[8.0, 8.0, 12.0], [170.0, 50.0, 20.0], [255.0, 160.0, 50.0], [255.0, 250.0, 215.0]];
const I_RAMP: [[f32; 3]; 4] = [[8.0, 8.0, 12.0], [30.0, 60.0, 170.0], [80.0, 165.0, 255.0], [225.0, 245.0, 255.0]];

/// A ring buffer of spike-count columns: the newest `n_cols` time bins of `col_s` each, every
/// column holding one count per row. Older columns are overwritten as time advances.
#[derive(Clone, Debug)]
pub struct ColumnRing {
    n_rows: usize,
    n_cols: usize,
    col_s: f64,
    /// `counts[slot * n_rows + row]`, slot = column mod n_cols.
    counts: Vec<u16>,
    /// Absolute index of the newest column (⌊t / col_s⌋), if any data has arrived.
    head: Option<i64>,
    /// First column since the last clear: older columns hold no data.
    first: Option<i64>,
}

impl ColumnRing {
    pub fn new(n_rows: usize, n_cols: usize, col_s: f64) -> Self {
        let n_cols = n_cols.max(1);
        ColumnRing { n_rows, n_cols, col_s, counts: vec![0; n_rows * n_cols], head: None, first: None }
    }

    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn col_s(&self) -> f64 {
        self.col_s
    }

    pub fn head(&self) -> Option<i64> {
        self.head
    }

    pub fn first(&self) -> Option<i64> {
        self.first
    }

    /// The column holding time `t_s`, or None for a non-finite time.
    pub fn column_of(&self, t_s: f64) -> Option<i64> {
        // The small offset keeps a time on a column boundary (0.03 / 0.01 = 2.999…) in the
        // column it starts; steps are 1/100 of a column, far coarser than the offset.
        let c = (t_s / self.col_s + 1e-6).floor();
        (c.is_finite() && c.abs() < 1e15).then_some(c as i64)
    }

    /// Forgets everything (a reset of the simulation).
    pub fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.head = None;
        self.first = None;
    }

    fn slot(&self, col: i64) -> usize {
        col.rem_euclid(self.n_cols as i64) as usize
    }

    /// Makes `col` the newest column, emptying the columns it passes over. Never goes back.
    pub fn advance_to(&mut self, col: i64) {
        let Some(head) = self.head else {
            self.counts.iter_mut().for_each(|c| *c = 0);
            self.head = Some(col);
            self.first = Some(col);
            return;
        };
        if col <= head {
            return;
        }
        if col - head >= self.n_cols as i64 {
            self.counts.iter_mut().for_each(|c| *c = 0);
        } else {
            for c in head + 1..=col {
                let s = self.slot(c) * self.n_rows;
                self.counts[s..s + self.n_rows].iter_mut().for_each(|x| *x = 0);
            }
        }
        self.head = Some(col);
    }

    /// Counts one spike at `t_s` in `row`. Spikes newer than the head, older than the window, or
    /// in a row out of range are ignored (false).
    pub fn add(&mut self, t_s: f64, row: usize) -> bool {
        let (Some(head), Some(col)) = (self.head, self.column_of(t_s)) else { return false };
        if row >= self.n_rows || col > head || col <= head - self.n_cols as i64 {
            return false;
        }
        let k = self.slot(col) * self.n_rows + row;
        self.counts[k] = self.counts[k].saturating_add(1);
        true
    }

    /// The counts of every row in absolute column `col`, if it is in the window.
    pub fn column(&self, col: i64) -> Option<&[u16]> {
        let head = self.head?;
        (col <= head && col > head - self.n_cols as i64).then(|| {
            let s = self.slot(col) * self.n_rows;
            &self.counts[s..s + self.n_rows]
        })
    }

    /// The count of `row` in absolute column `col` (0 outside the window).
    pub fn get(&self, col: i64, row: usize) -> u16 {
        match self.head {
            Some(head) if row < self.n_rows && col <= head && col > head - self.n_cols as i64 => {
                self.counts[self.slot(col) * self.n_rows + row]
            }
            _ => 0,
        }
    }
}

/// Display position of every E neuron, from a snapshot's order that may be empty, shorter or
/// longer than `n_e`, or hold out-of-range or repeated indices: listed neurons first (first
/// occurrence wins), then the unlisted ones by index. Also returns, for every prefix length k of
/// `order`, how many of its entries were kept, to move group bounds onto display positions.
pub fn display_positions(order: &[u32], n_e: usize) -> (Vec<u32>, Vec<usize>) {
    let mut pos = vec![u32::MAX; n_e];
    let mut kept_before = Vec::with_capacity(order.len() + 1);
    let mut next = 0u32;
    for &n in order {
        kept_before.push(next as usize);
        if let Some(p) = pos.get_mut(n as usize)
            && *p == u32::MAX
        {
            *p = next;
            next += 1;
        }
    }
    kept_before.push(next as usize);
    for p in pos.iter_mut().filter(|p| **p == u32::MAX) {
        *p = next;
        next += 1;
    }
    (pos, kept_before)
}

/// A labelled range of display positions among the E neurons.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub name: String,
    pub start: usize,
    pub end: usize,
}

/// The groups of a snapshot in display positions; bounds out of range or out of order are
/// clamped, empty groups dropped.
pub fn display_groups(view: &WeightView, kept_before: &[usize]) -> Vec<Group> {
    let n = view.order.len();
    let at = |b: usize| kept_before.get(b.min(n)).copied().unwrap_or(0);
    let mut groups = Vec::new();
    let mut prev_end = 0;
    for (g, w) in view.group_bounds.windows(2).enumerate() {
        let start = at(w[0]).max(prev_end);
        let end = at(w[1]).max(start);
        prev_end = end;
        if end > start {
            let name = view.groups.get(g).cloned().unwrap_or_else(|| format!("group {g}"));
            groups.push(Group { name, start, end });
        }
    }
    groups
}

/// Display row (of `out_rows`) of each of `fine_rows` rows, spread evenly.
pub fn row_map(fine_rows: usize, out_rows: usize) -> Vec<usize> {
    let out = out_rows.clamp(1, fine_rows.max(1));
    (0..fine_rows).map(|f| f * out / fine_rows.max(1)).collect()
}

fn ramp(stops: &[[f32; 3]; 4], v: f32) -> Color32 {
    let v = if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 };
    let x = v * 3.0;
    let k = (x.floor() as usize).min(2);
    let f = x - k as f32;
    let c = |j: usize| (stops[k][j] + (stops[k + 1][j] - stops[k][j]) * f).round() as u8;
    Color32::from_rgb(c(0), c(1), c(2))
}

/// Steps of the colour scale.
const LUT_LEN: usize = 256;

/// Step of the colour scale for v = rate / `RATE_SCALE_HZ` (saturating; 0 for NaN).
fn lut_index(v: f32) -> usize {
    if v.is_finite() { (v.clamp(0.0, 1.0) * (LUT_LEN - 1) as f32).round() as usize } else { 0 }
}

fn lut_colour(k: usize, excitatory: bool) -> Color32 {
    ramp(if excitatory { &E_RAMP } else { &I_RAMP }, k as f32 / (LUT_LEN - 1) as f32)
}

/// Colour of a cell firing at `rate_hz` (E or I colours).
pub fn cell_colour(rate_hz: f32, excitatory: bool) -> Color32 {
    lut_colour(lut_index(rate_hz / RATE_SCALE_HZ), excitatory)
}

pub struct RasterState {
    pub n_e: usize,
    pub n_i: usize,
    /// Neurons per fine row (E and I alike).
    pub per_row: usize,
    pub rows_e: usize,
    pub rows_i: usize,
    /// Neurons in each fine row: E rows, then I rows.
    row_neurons: Vec<u32>,
    pub ring: ColumnRing,
    /// Fine row of each E neuron (by its display position).
    row_of_e: Vec<u32>,
    /// E neuron at each display position (the inverse of the display order).
    neuron_at: Vec<u32>,
    /// The snapshot fields the current order was built from.
    view_key: (Vec<u32>, Vec<usize>, Vec<String>),
    /// Assembly groups in display positions (empty: E by index).
    pub groups: Vec<Group>,
    /// The E spikes of the window shown, (model time [s], neuron), oldest first, for export as
    /// `.ras` (at most [`MAX_RECENT_SPIKES`]).
    pub recent_e: std::collections::VecDeque<(f64, u32)>,
    last_t_s: Option<f64>,
    dirty: bool,
    texture: Option<TextureHandle>,
    /// Display rows (E, I) of the current texture.
    tex_rows: (usize, usize),
}

impl RasterState {
    pub fn new(n_e: usize, n_i: usize) -> Self {
        let per_row = (n_e + n_i).div_ceil(TARGET_ROWS).max(1);
        let rows_e = n_e.div_ceil(per_row);
        let rows_i = n_i.div_ceil(per_row);
        let in_row = |n: usize, r: usize| (n - r * per_row).min(per_row) as u32;
        let row_neurons = (0..rows_e).map(|r| in_row(n_e, r)).chain((0..rows_i).map(|r| in_row(n_i, r))).collect();
        let n_cols = (WINDOW_S / COLUMN_S).round() as usize;
        RasterState {
            n_e,
            n_i,
            per_row,
            rows_e,
            rows_i,
            row_neurons,
            ring: ColumnRing::new(rows_e + rows_i, n_cols, COLUMN_S),
            row_of_e: (0..n_e).map(|n| (n / per_row) as u32).collect(),
            neuron_at: (0..n_e as u32).collect(),
            view_key: Default::default(),
            groups: Vec::new(),
            recent_e: std::collections::VecDeque::default(),
            last_t_s: None,
            dirty: true,
            texture: None,
            tex_rows: (0, 0),
        }
    }

    /// Uses the snapshot's assembly order (identity when it has none).
    fn set_order(&mut self, view: Option<&WeightView>) {
        let order = view.map_or(&[][..], |v| &v.order[..]);
        let (pos, kept_before) = display_positions(order, self.n_e);
        self.row_of_e = pos.iter().map(|&p| p / self.per_row as u32).collect();
        self.neuron_at = vec![0; self.n_e];
        for (n, &p) in pos.iter().enumerate() {
            if let Some(slot) = self.neuron_at.get_mut(p as usize) {
                *slot = n as u32;
            }
        }
        self.groups = match view {
            Some(v) if !v.order.is_empty() => display_groups(v, &kept_before),
            _ => Vec::new(),
        };
        self.view_key = match view {
            Some(v) => (v.order.clone(), v.group_bounds.clone(), v.groups.clone()),
            None => Default::default(),
        };
    }

    /// Bins the frame's spikes. A change of network size starts afresh; time going backwards
    /// (a reset) clears the raster.
    pub fn ingest(&mut self, frame: &Frame, view: Option<&WeightView>) {
        let net = &frame.status.params.network;
        if net.n_e != self.n_e || net.n_i != self.n_i {
            *self = RasterState::new(net.n_e, net.n_i);
        }
        let changed = match view {
            Some(v) => v.order != self.view_key.0 || v.group_bounds != self.view_key.1 || v.groups != self.view_key.2,
            None => !self.view_key.0.is_empty(),
        };
        if changed {
            self.set_order(view);
        }
        let (t0, t1) = (frame.t_start_s, frame.t_end_s);
        let Some(end_col) = self.ring.column_of(t1).filter(|_| t0.is_finite()) else { return };
        if let Some(last) = self.last_t_s
            && (t0 < last - TIME_EPS || t1 < last - TIME_EPS)
        {
            self.ring.clear();
            self.recent_e.clear();
        }
        if self.ring.head().is_none()
            && let Some(c) = self.ring.column_of(t0)
        {
            // Data starts with this frame: older columns show as empty of data, not of spikes.
            self.ring.advance_to(c.min(end_col));
        }
        self.ring.advance_to(end_col);
        for &(t, n) in &frame.e_spikes {
            if let Some(&r) = self.row_of_e.get(n as usize) {
                self.ring.add(t, r as usize);
            }
        }
        self.recent_e
            .extend(frame.e_spikes.iter().filter(|&&(t, n)| t.is_finite() && t >= 0.0 && (n as usize) < self.n_e));
        if let Some((left, _)) = self.time_span() {
            while self.recent_e.front().is_some_and(|&(t, _)| t < left) {
                self.recent_e.pop_front();
            }
        }
        while self.recent_e.len() > MAX_RECENT_SPIKES {
            self.recent_e.pop_front();
        }
        for &(t, n) in &frame.i_spikes {
            if (n as usize) < self.n_i {
                self.ring.add(t, self.rows_e + n as usize / self.per_row);
            }
        }
        self.last_t_s = Some(t1);
        self.dirty = true;
    }

    /// Model time at the left and right edges of the window [s], once data has arrived.
    pub fn time_span(&self) -> Option<(f64, f64)> {
        let head = self.ring.head()?;
        let right = (head + 1) as f64 * self.ring.col_s();
        Some((right - self.ring.n_cols() as f64 * self.ring.col_s(), right))
    }

    /// The display rows `render` actually uses for a request: at least one and at most the
    /// number of fine rows per population (none for an empty population).
    pub fn display_rows(&self, out_e: usize, out_i: usize) -> (usize, usize) {
        let clamp = |out: usize, rows: usize| if rows == 0 { 0 } else { out.clamp(1, rows) };
        (clamp(out_e, self.rows_e), clamp(out_i, self.rows_i))
    }

    /// The raster as an image: one column per time bin (oldest left), `out_e` rows of E then
    /// `out_i` rows of I (each at most the number of fine rows), coloured by the cell rate.
    pub fn render(&self, out_e: usize, out_i: usize) -> egui::ColorImage {
        let (out_e, out_i) = self.display_rows(out_e, out_i);
        let (h, w) = ((out_e + out_i).max(1), self.ring.n_cols());
        let mut map = row_map(self.rows_e, out_e);
        map.extend(row_map(self.rows_i, out_i).into_iter().map(|r| r + out_e));
        let mut neurons = vec![0u32; h];
        for (f, &d) in map.iter().enumerate() {
            neurons[d] += self.row_neurons[f];
        }
        // Spike count → position on the colour scale, per display row.
        let scale: Vec<f32> = neurons
            .iter()
            .map(|&n| if n == 0 { 0.0 } else { (1.0 / (n as f64 * self.ring.col_s() * RATE_SCALE_HZ as f64)) as f32 })
            .collect();
        let lut = |exc: bool| -> Vec<Color32> { (0..LUT_LEN).map(|k| lut_colour(k, exc)).collect() };
        let (lut_e, lut_i) = (lut(true), lut(false));
        let mut pixels = vec![NO_DATA; w * h];
        let (Some(head), Some(first)) = (self.ring.head(), self.ring.first()) else {
            return egui::ColorImage::new([w, h], pixels);
        };
        let first = first.max(self.ring.column_of(0.0).unwrap_or(0));
        let columns: Vec<Option<&[u16]>> = (0..w as i64)
            .map(|x| head + 1 - w as i64 + x)
            .map(|col| self.ring.column(col).filter(|_| col >= first))
            .collect();
        // Display rows cover contiguous runs of fine rows; fill the image row by row.
        let mut f0 = 0;
        for d in 0..h {
            let f1 = f0 + map[f0..].iter().take_while(|&&m| m == d).count();
            let lut = if d < out_e { &lut_e } else { &lut_i };
            let row = &mut pixels[d * w..(d + 1) * w];
            for (px, cells) in row.iter_mut().zip(&columns) {
                if let Some(cells) = cells {
                    let sum: u32 = cells[f0..f1].iter().map(|&c| c as u32).sum();
                    *px = lut[lut_index(sum as f32 * scale[d])];
                }
            }
            f0 = f1;
        }
        egui::ColorImage::new([w, h], pixels)
    }
}

/// A tick spacing [s] giving at least `min_px` between ticks.
fn tick_step(px_per_s: f32, min_px: f32) -> f64 {
    [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0]
        .into_iter()
        .find(|&s| s as f32 * px_per_s >= min_px)
        .unwrap_or(60.0)
}

/// A label widget (accessible, unlike painted text) in `font`, placed by `anchor` at `at`.
fn put_label(ui: &mut egui::Ui, anchor: Align2, at: egui::Pos2, text: egui::RichText, font: &FontId) {
    let size = ui.painter().layout_no_wrap(text.text().to_owned(), font.clone(), Color32::WHITE).size();
    let rect = anchor.anchor_size(at, size + vec2(2.0, 0.0));
    ui.put(rect, egui::Label::new(text.font(font.clone())).selectable(false).wrap_mode(egui::TextWrapMode::Extend));
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState, height: f32) {
    let assemblies = state.status.as_ref().map(|s| s.assemblies.clone()).unwrap_or_default();
    let clicked = draw(ui, &mut state.raster, &assemblies, height);
    if clicked.is_some() {
        state.inspector.select(clicked, &mut state.outbox);
    }
}

/// The raster of `st` with the groups of `assemblies`; returns the E neuron clicked, if any.
#[expect(clippy::too_many_lines, reason = "one panel, drawn top to bottom")]
pub fn draw(ui: &mut egui::Ui, st: &mut RasterState, assemblies: &[crate::sim::Pattern], height: f32) -> Option<u32> {
    let mut clicked = None;
    let top = ui.cursor().top();
    ui.horizontal_wrapped(|ui| {
        ui.strong("Spikes").on_hover_text(format!(
            "Every E and I neuron over the last {WINDOW_S:.0} s of model time, newest on the right. \
             Each cell is the firing rate of the neurons it covers in a {:.0} ms bin. E neurons are \
             sorted by assembly once assemblies have been found.",
            COLUMN_S * 1e3
        ));
        ui.weak(if st.groups.is_empty() { "E by index" } else { "E sorted by assembly" });
        ui.separator();
        ui.weak(format!("rate per {:.0} ms bin", COLUMN_S * 1e3));
        // Colour key: E (top half) and I (bottom half) from 0 to the top of the scale.
        let (key, _) = ui.allocate_exact_size(vec2(48.0, 10.0), Sense::hover());
        let p = ui.painter();
        for k in 0..24 {
            let f = k as f32 / 23.0;
            let x0 = key.left() + key.width() * k as f32 / 24.0;
            let r = |y0: f32, y1: f32| Rect::from_min_max(pos2(x0, y0), pos2(x0 + key.width() / 24.0 + 0.5, y1));
            p.rect_filled(r(key.top(), key.center().y), 0.0, cell_colour(f * RATE_SCALE_HZ, true));
            p.rect_filled(r(key.center().y, key.bottom()), 0.0, cell_colour(f * RATE_SCALE_HZ, false));
        }
        ui.weak(format!("0–{RATE_SCALE_HZ:.0} Hz"));
    });
    let body_h = (height - (ui.cursor().top() - top)).max(60.0);
    let (body, response) = ui.allocate_exact_size(vec2(ui.available_width(), body_h), Sense::click());

    let small = egui::TextStyle::Small.resolve(ui.style());
    let normal = egui::TextStyle::Body.resolve(ui.style());
    let text_w = |s: &str, f: &FontId| ui.painter().layout_no_wrap(s.to_owned(), f.clone(), Color32::WHITE).size().x;
    let names_w = st.groups.iter().map(|g| text_w(&g.name, &small)).fold(0.0f32, f32::max);
    let gutter = (text_w("E", &normal) + 8.0 + if st.groups.is_empty() { 0.0 } else { names_w + 6.0 })
        .max(text_w("t [s]", &small) + 6.0)
        .min(body.width() * 0.3);
    let axis_h = small.size + 6.0;
    let img =
        Rect::from_min_max(pos2(body.left() + gutter, body.top()), pos2(body.right() - 2.0, body.bottom() - axis_h));
    if img.width() < 4.0 || img.height() < 4.0 {
        return None;
    }

    // Texture rows: one per physical pixel, E and I in proportion to their fine rows.
    let px_rows = (img.height() * ui.ctx().pixels_per_point()).round().max(2.0) as usize;
    let total = (st.rows_e + st.rows_i).max(1);
    let want_e = if st.rows_i == 0 { px_rows } else { (px_rows * st.rows_e / total).max(1) };
    let out = st.display_rows(want_e, px_rows.saturating_sub(want_e));
    if st.dirty || st.texture.is_none() || out != st.tex_rows {
        let image = st.render(out.0, out.1);
        match &mut st.texture {
            Some(t) => t.set(image, TextureOptions::NEAREST),
            None => st.texture = Some(ui.ctx().load_texture("raster", image, TextureOptions::NEAREST)),
        }
        st.tex_rows = out;
        st.dirty = false;
    }
    let painter = ui.painter_at(body);
    if let Some(t) = &st.texture {
        painter.image(t.id(), img, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), Color32::WHITE);
    }
    let rows_shown = (st.tex_rows.0 + st.tex_rows.1).max(1) as f32;
    let e_bottom = img.top() + img.height() * st.tex_rows.0 as f32 / rows_shown;
    let e_h = e_bottom - img.top();

    // Assembly groups: a line at each boundary, names in the gutter where they fit.
    let y_of = |p: usize| img.top() + e_h * (p as f32 / st.per_row as f32 / st.rows_e.max(1) as f32);
    let mut label_bottom = f32::NEG_INFINITY;
    for (g, group) in st.groups.iter().enumerate() {
        let (y0, y1) = (y_of(group.start), y_of(group.end));
        if group.start > 0 {
            painter.line_segment(
                [pos2(img.left(), y0), pos2(img.right(), y0)],
                Stroke::new(1.0, Color32::from_white_alpha(110)),
            );
        }
        let yc = f32::midpoint(y0, y1).clamp(img.top() + small.size / 2.0, e_bottom - small.size / 2.0);
        if yc - small.size / 2.0 >= label_bottom {
            let colour = match assemblies.iter().position(|a| a.name == group.name) {
                // Coloured as the assembly's line in the rates plot.
                Some(k) => super::rates::assembly_colour(k),
                None if group.name == "rest" => ui.visuals().weak_text_color(),
                None => super::rates::assembly_colour(g),
            };
            let text = egui::RichText::new(&group.name).color(colour);
            put_label(ui, Align2::RIGHT_CENTER, pos2(img.left() - 3.0, yc), text, &small);
            label_bottom = yc + small.size / 2.0 + 1.0;
        }
    }
    if st.rows_i > 0 {
        painter
            .line_segment([pos2(img.left(), e_bottom), pos2(img.right(), e_bottom)], Stroke::new(1.5, Color32::WHITE));
    }
    put_label(
        ui,
        Align2::LEFT_CENTER,
        pos2(body.left(), f32::midpoint(img.top(), e_bottom)),
        egui::RichText::new("E").strong(),
        &normal,
    );
    if st.rows_i > 0 {
        put_label(
            ui,
            Align2::LEFT_CENTER,
            pos2(body.left(), f32::midpoint(e_bottom, img.bottom())),
            egui::RichText::new("I").strong(),
            &normal,
        );
    }

    // Time axis: ticks on whole steps of model time, its name at the left.
    let axis_colour = ui.visuals().text_color();
    put_label(ui, Align2::RIGHT_TOP, pos2(img.left() - 3.0, img.bottom() + 2.0), egui::RichText::new("t [s]"), &small);
    if let Some((t_left, t_right)) = st.time_span() {
        let px_per_s = img.width() / (t_right - t_left) as f32;
        let step = tick_step(px_per_s, 55.0);
        let mut t = (t_left / step).ceil() * step;
        while t <= t_right + 1e-9 {
            if t >= -1e-9 {
                let x = img.left() + (t - t_left) as f32 * px_per_s;
                painter
                    .line_segment([pos2(x, img.bottom()), pos2(x, img.bottom() + 3.0)], Stroke::new(1.0, axis_colour));
                let label = if step < 1.0 { format!("{t:.1}") } else { format!("{t:.0}") };
                let anchor = if x + 20.0 > body.right() { Align2::RIGHT_TOP } else { Align2::CENTER_TOP };
                painter.text(pos2(x.min(body.right()), img.bottom() + 3.0), anchor, label, small.clone(), axis_colour);
            }
            t += step;
        }

        if let Some(pos) = response.hover_pos().filter(|p| img.contains(*p)) {
            let t = t_left + ((pos.x - img.left()) / px_per_s) as f64;
            let text = if pos.y < e_bottom {
                let p = (((pos.y - img.top()) / e_h.max(1.0) * st.n_e as f32) as usize).min(st.n_e.saturating_sub(1));
                let n = st.neuron_at.get(p).copied();
                if response.clicked()
                    && let Some(n) = n
                {
                    clicked = Some(n);
                }
                let n = n.map_or(String::new(), |n| format!("E neuron {n}"));
                let group = st.groups.iter().find(|g| (g.start..g.end).contains(&p)).map(|g| g.name.as_str());
                match group {
                    Some(name) => format!("t = {t:.2} s, {n} ({name}); click to inspect it"),
                    None => format!("t = {t:.2} s, {n}; click to inspect it"),
                }
            } else {
                let n = ((pos.y - e_bottom) / (img.bottom() - e_bottom).max(1.0) * st.n_i as f32) as usize;
                format!("t = {t:.2} s, I neuron ≈ {n}")
            };
            response.on_hover_text(text);
        }
    }
    clicked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_bins_spikes_by_column_and_row() {
        let mut r = ColumnRing::new(3, 4, 0.01);
        r.advance_to(r.column_of(0.035).unwrap());
        assert_eq!(r.head(), Some(3));
        assert!(r.add(0.030, 1)); // on a boundary: column 3
        assert!(r.add(0.0349, 1));
        assert!(r.add(0.001, 2));
        assert_eq!(r.get(3, 1), 2);
        assert_eq!(r.get(0, 2), 1);
        assert_eq!(r.get(2, 1), 0);
        // Out of range row, a future column and a column before the window are refused.
        assert!(!r.add(0.031, 3));
        assert!(!r.add(0.05, 0));
        assert!(!r.add(-0.01, 0));
        assert!(!r.add(f64::NAN, 0));
    }

    #[test]
    fn ring_overwrites_the_oldest_columns() {
        let mut r = ColumnRing::new(1, 4, 0.01);
        r.advance_to(0);
        for c in 0..4 {
            r.advance_to(c);
            r.add(c as f64 * 0.01 + 0.005, 0);
        }
        assert_eq!((0..4).map(|c| r.get(c, 0)).collect::<Vec<_>>(), [1, 1, 1, 1]);
        r.advance_to(5);
        // Columns 0 and 1 left the window; 4 and 5 start empty.
        assert_eq!((0..6).map(|c| r.get(c, 0)).collect::<Vec<_>>(), [0, 0, 1, 1, 0, 0]);
        // A jump further than the window empties everything.
        r.advance_to(100);
        assert!((90..=100).all(|c| r.get(c, 0) == 0));
        assert_eq!(r.head(), Some(100));
        // Never back.
        r.advance_to(50);
        assert_eq!(r.head(), Some(100));
    }

    #[test]
    fn ring_counts_saturate_under_a_huge_burst() {
        let mut r = ColumnRing::new(1, 2, 0.01);
        r.advance_to(0);
        for _ in 0..100_000 {
            r.add(0.001, 0);
        }
        assert_eq!(r.get(0, 0), u16::MAX);
    }

    #[test]
    fn positions_tolerate_bad_orders() {
        // Identity when empty.
        assert_eq!(display_positions(&[], 3).0, [0, 1, 2]);
        // Reversed order.
        assert_eq!(display_positions(&[2, 1, 0], 3).0, [2, 1, 0]);
        // Short, with a repeat and an out-of-range index: listed first, the rest by index.
        let (pos, kept) = display_positions(&[3, 7, 3, 1], 4);
        assert_eq!(pos, [2, 1, 3, 0]);
        assert_eq!(kept, [0, 1, 1, 1, 2]);
        // Always a permutation.
        let mut sorted = pos.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1, 2, 3]);
    }

    #[test]
    fn groups_are_clamped_to_the_order() {
        let view = WeightView {
            order: vec![5, 4, 99, 3, 0, 1, 2],
            group_bounds: vec![0, 3, 2, 50],
            groups: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        let (_, kept) = display_positions(&view.order, 6);
        let g = display_groups(&view, &kept);
        // "a" = order[0..3] minus the bad index = 2 neurons; the backwards bound gives "b" nothing;
        // the last range (past the end) is clamped and named by its index.
        assert_eq!(
            g,
            [Group { name: "a".into(), start: 0, end: 2 }, Group { name: "group 2".into(), start: 2, end: 6 }]
        );
    }

    #[test]
    fn row_map_spreads_rows_evenly() {
        assert_eq!(row_map(4, 2), [0, 0, 1, 1]);
        assert_eq!(row_map(3, 10), [0, 1, 2]);
        assert_eq!(row_map(5, 0), [0, 0, 0, 0, 0]);
        assert!(row_map(0, 3).is_empty());
    }

    #[test]
    fn render_colours_rates_and_marks_missing_data() {
        let mut st = RasterState::new(20, 5);
        assert_eq!(st.per_row, 1);
        let img = st.render(20, 5);
        assert_eq!(img.size, [400, 25]);
        assert!(img.pixels.iter().all(|&c| c == NO_DATA));
        st.ring.advance_to(0);
        st.ring.advance_to(st.ring.column_of(1.0).unwrap());
        st.ring.add(1.0, 0);
        let img = st.render(20, 5);
        let last = 399;
        // One spike in one neuron in 10 ms = 100 Hz: saturated E colour; silent cells are dark.
        assert_eq!(img.pixels[last], cell_colour(100.0, true));
        assert_eq!(img.pixels[img.width() + last], cell_colour(0.0, true));
        assert_eq!(img.pixels[20 * img.width() + last], cell_colour(0.0, false));
        // Columns before time 0 hold no data.
        assert_eq!(img.pixels[0], NO_DATA);
        // Aggregated into 2 E rows: 10 neurons per row, 10 Hz.
        let img = st.render(2, 1);
        assert_eq!(img.size, [400, 3]);
        assert_eq!(img.pixels[last], cell_colour(10.0, true));
    }
}
