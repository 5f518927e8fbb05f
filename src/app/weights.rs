//! Weights: assembly-sorted E→E block heatmaps of w and w̃ with a colour bar, histograms, and
//! each assembly's Input→E receptive field.
//!
//! Everything comes from the latest [`WeightView`] snapshot. The heatmaps, the colour bar and
//! the receptive fields are textures, re-uploaded only when a new snapshot arrives; the rest
//! (group table, histogram, boundary lines) is a few dozen shapes per frame.
//!
//! Labels use arrows (E→E), which the fallback font of `app::view::add_fallback_font` supplies,
//! but write w̃ as "w~": egui draws a combining tilde as a separate zero-width glyph, so "w̃"
//! would show as a plain w.

use std::sync::Arc;

use egui::{
    Align, Align2, Color32, ColorImage, FontId, Layout, Rect, RichText, Sense, Stroke, TextureHandle, TextureOptions,
    UiBuilder, Vec2, pos2, vec2,
};

use crate::sim::views::WeightView;

use super::AppState;

/// Shown while the simulation has not detected any assembly yet.
pub const NO_ASSEMBLIES_NOTE: &str = "assemblies appear after each shape has been shown for ≥ 0.5 s";

/// Shown before the first snapshot has arrived.
pub const WAITING_NOTE: &str = "waiting for the first weight snapshot";

/// Shown instead of the receptive fields while there are no assemblies.
pub const RF_NONE_NOTE: &str = "receptive fields: none until assemblies are known";

/// Unit label of the colour bar shared by both heatmaps and the group table.
pub const UNIT_LABEL: &str = "w [g_L]";

/// Lowest upper end of the heatmap colour scale [g_L]: the initial E→E weight (0.1) then sits
/// mid-scale instead of saturating.
const MIN_SCALE: f32 = 0.2;

/// Colours of w and w̃ in the histogram.
const W_COLOR: Color32 = Color32::from_rgb(90, 160, 255);
const WT_COLOR: Color32 = Color32::from_rgb(255, 150, 60);

/// The panel's own state: textures of the newest snapshot and the colour scales they use.
#[derive(Default)]
pub struct WeightsState {
    /// The snapshot the textures show (compared by pointer to detect a new one).
    shown: Option<Arc<WeightView>>,
    textures: Option<Textures>,
    /// Upper end of the colour scale of the heatmaps and the group table [g_L].
    pub scale_max: f32,
    /// Upper end of the colour scale of the receptive fields [g_L].
    pub rf_scale_max: f32,
    /// The group table shows w̃ instead of w.
    pub table_shows_wt: bool,
    /// Number of snapshots turned into textures so far.
    pub uploads: u64,
}

struct Textures {
    w: TextureHandle,
    wt: TextureHandle,
    colorbar: TextureHandle,
    rfs: Vec<TextureHandle>,
}

impl WeightsState {
    /// Rebuilds the textures if `snap` is not the snapshot they already show.
    fn update(&mut self, ctx: &egui::Context, snap: Option<&Arc<WeightView>>) {
        let Some(v) = snap else { return };
        if self.shown.as_ref().is_some_and(|s| Arc::ptr_eq(s, v)) {
            return;
        }
        let block_max = v.w_blocks.iter().chain(&v.wt_blocks).fold(0f32, |m, &x| m.max(x));
        self.scale_max = nice_ceil(block_max.max(MIN_SCALE));
        let rf_max = v.receptive_fields.iter().flatten().fold(0f32, |m, &x| m.max(x));
        self.rf_scale_max = nice_ceil(rf_max.max(0.1));

        let nearest = TextureOptions::NEAREST;
        let w_img = heatmap_image(&v.w_blocks, v.bins, self.scale_max);
        let wt_img = heatmap_image(&v.wt_blocks, v.bins, self.scale_max);
        let rf_imgs: Vec<ColorImage> =
            v.receptive_fields.iter().map(|rf| rf_image(rf, v.input_side, self.rf_scale_max)).collect();
        match &mut self.textures {
            Some(t) => {
                t.w.set(w_img, nearest);
                t.wt.set(wt_img, nearest);
                t.rfs.truncate(rf_imgs.len());
                for (k, img) in rf_imgs.into_iter().enumerate() {
                    match t.rfs.get_mut(k) {
                        Some(h) => h.set(img, nearest),
                        None => t.rfs.push(ctx.load_texture(format!("weights_rf_{k}"), img, nearest)),
                    }
                }
            }
            None => {
                self.textures = Some(Textures {
                    w: ctx.load_texture("weights_w", w_img, nearest),
                    wt: ctx.load_texture("weights_wt", wt_img, nearest),
                    colorbar: ctx.load_texture("weights_colorbar", colorbar_image(), TextureOptions::LINEAR),
                    rfs: rf_imgs
                        .into_iter()
                        .enumerate()
                        .map(|(k, img)| ctx.load_texture(format!("weights_rf_{k}"), img, nearest))
                        .collect(),
                });
            }
        }
        self.shown = Some(v.clone());
        self.uploads += 1;
    }
}

/// The panel; takes whatever space is left in its parent.
pub fn show(ui: &mut egui::Ui, state: &mut AppState) {
    // Looking back in history: the weights of that moment.
    let snap = state.history.scrubbed_view().or_else(|| state.snapshot.clone());
    let (why, clicked) = draw(ui, &mut state.weights, snap.as_ref());
    if why {
        state.explain.open = true;
    }
    if clicked.is_some() {
        state.inspector.select(clicked, &mut state.outbox);
    }
}

/// The panel for the weight view `snap` with the textures of `ws`; returns whether "Why?" was
/// clicked, and the E neuron whose column of the matrices was clicked.
pub fn draw(ui: &mut egui::Ui, ws: &mut WeightsState, snap: Option<&Arc<WeightView>>) -> (bool, Option<u32>) {
    let (mut why, mut clicked) = (false, None);
    ws.update(ui.ctx(), snap);
    let (Some(v), Some(tex)) = (snap.map(Arc::as_ref), ws.textures.as_ref()) else {
        ui.horizontal_wrapped(|ui| {
            ui.strong("Weights").on_hover_text("Excitatory weights [g_L], as the simulation last published them");
            ui.weak(WAITING_NOTE);
        });
        ui.weak(NO_ASSEMBLIES_NOTE);
        return (false, None);
    };
    let n_assemblies = v.groups.len().saturating_sub(1);
    ui.horizontal_wrapped(|ui| {
        ui.strong(if n_assemblies == 0 { "E→E weights (unsorted)" } else { "E→E weights by assembly" }).on_hover_text(
            "Mean E→E weight w [g_L] in blocks of neurons (rows presynaptic), neurons sorted by assembly: a bright \
             diagonal block is an assembly's strengthened recurrent connections; the receptive fields show each \
             assembly's mean Input→E weights on the 64×64 grid",
        );
        ui.weak(format!("t = {:.1} s", v.t_s));
        if n_assemblies == 0 {
            ui.weak(NO_ASSEMBLIES_NOTE);
        }
        if ui
            .small_button("Why?")
            .on_hover_text("Explain the change of a block of these weights by plasticity mechanism since now")
            .clicked()
        {
            why = true;
        }
    });
    let avail = ui.available_size();
    let spacing = ui.spacing().item_spacing.x;
    let right_w = (avail.x * 0.34).clamp(200.0, 330.0).min(avail.x * 0.5);
    let left_w = (avail.x - right_w - spacing).max(100.0);
    let height = avail.y.max(120.0);
    let (vmax, rf_max) = (ws.scale_max, ws.rf_scale_max);
    ui.horizontal_top(|ui| {
        let (rect, _) = ui.allocate_exact_size(vec2(left_w, height), Sense::hover());
        clicked = matrices(ui, rect, v, tex, vmax);
        ui.allocate_ui_with_layout(vec2(right_w, height), Layout::top_down(Align::Min), |ui| {
            egui::ScrollArea::vertical().id_salt("weights_right").auto_shrink([false, true]).show(ui, |ui| {
                ui.spacing_mut().item_spacing.y = 3.0;
                group_table(ui, v, &mut ws.table_shows_wt, vmax);
                // The receptive fields before the histogram: when the column is short (presentation
                // mode, a small window) they stay in view and the histogram is what scrolls.
                receptive_fields(ui, v, tex, rf_max);
                histogram(ui, v);
            });
        });
    });
    (why, clicked)
}

/// The two heatmaps side by side with group boundaries and names, and the shared colour bar;
/// returns the E neuron whose column was clicked, if any.
fn matrices(ui: &mut egui::Ui, rect: Rect, v: &WeightView, tex: &Textures, vmax: f32) -> Option<u32> {
    const NAMES_W: f32 = 50.0;
    const GAP: f32 = 8.0;
    const BAR_W: f32 = 12.0;
    const TICKS_W: f32 = 34.0;
    const TITLE_H: f32 = 16.0;
    let side = ((rect.width() - NAMES_W - 2.0 * GAP - BAR_W - TICKS_W) / 2.0).min(rect.height() - TITLE_H - 4.0);
    let side = side.max(24.0).floor();
    let top = rect.top() + TITLE_H;
    let w_rect = Rect::from_min_size(pos2(rect.left() + NAMES_W, top), Vec2::splat(side));
    let wt_rect = w_rect.translate(vec2(side + GAP, 0.0));
    let bar = Rect::from_min_size(pos2(wt_rect.right() + GAP, top), vec2(BAR_W, side));
    let painter = ui.painter_at(rect);
    let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
    painter.image(tex.w.id(), w_rect, uv, Color32::WHITE);
    painter.image(tex.wt.id(), wt_rect, uv, Color32::WHITE);
    painter.image(tex.colorbar.id(), bar, uv, Color32::WHITE);

    let title = |r: Rect| Rect::from_min_max(pos2(r.left(), rect.top()), pos2(r.right(), top));
    put_label(ui, title(w_rect), Align::Center, RichText::new("w (fragile)").small());
    put_label(ui, title(wt_rect), Align::Center, RichText::new("w~ (consolidated)").small());
    let unit = Rect::from_min_max(pos2(bar.left() - 6.0, rect.top()), pos2(bar.right() + TICKS_W, top));
    put_label(ui, unit, Align::Min, RichText::new(UNIT_LABEL).small());

    // Group boundaries across both maps, and the names beside the w map.
    let n = v.n().max(1) as f32;
    let line = Stroke::new(1.0, Color32::from_white_alpha(120));
    for &b in v.group_bounds.iter().skip(1).take(v.groups.len().saturating_sub(1)) {
        if b == 0 || b >= v.n() {
            continue;
        }
        let f = b as f32 / n * side;
        for r in [w_rect, wt_rect] {
            painter.hline(r.x_range(), r.top() + f, line);
            painter.vline(r.left() + f, r.y_range(), line);
        }
    }
    let mut next_free = rect.top();
    for (g, name) in v.groups.iter().enumerate() {
        let (b0, b1) = (v.group_bounds[g], v.group_bounds[g + 1]);
        if b1 <= b0 {
            continue;
        }
        let mid = top + (b0 + b1) as f32 / 2.0 / n * side;
        let y = mid.max(next_free + 6.0);
        let r = Rect::from_min_max(pos2(rect.left(), y - 6.0), pos2(w_rect.left() - 3.0, y + 6.0));
        put_label(ui, r, Align::Max, RichText::new(name).small());
        next_free = y + 6.0;
    }

    // Colour bar ticks.
    let font = FontId::proportional(10.0);
    let text_color = ui.visuals().text_color();
    for (value, label) in ticks(vmax) {
        let y = bar.bottom() - value / vmax * side;
        painter.hline(bar.right()..=bar.right() + 3.0, y, Stroke::new(1.0, text_color));
        painter.text(pos2(bar.right() + 5.0, y), Align2::LEFT_CENTER, label, font.clone(), text_color);
    }

    // Hover: which block, which groups, both values. A click picks the neuron of the column
    // under the pointer (whose incoming weights the column is) for the inspector; it is read
    // from the pointer, not sensed by the map, so that the map stays one hover-only widget.
    let mut clicked = None;
    let neuron_at = |r: Rect, x: f32| {
        let pos = (((x - r.left()) / side) * v.n() as f32) as usize;
        v.order.get(pos.min(v.n().saturating_sub(1))).copied()
    };
    let click = ui.input(|i| i.pointer.primary_clicked().then(|| i.pointer.interact_pos()).flatten());
    for (r, salt) in [(w_rect, "weights_w_map"), (wt_rect, "weights_wt_map")] {
        let resp = ui.interact(r, ui.make_persistent_id(salt), Sense::hover());
        if let Some(p) = click.filter(|p| r.contains(*p)) {
            // Unless a window covers the map there.
            let on_top = ui.ctx().layer_id_at(p).is_none_or(|l| l == ui.layer_id() || l.order == egui::Order::Tooltip);
            if on_top {
                clicked = neuron_at(r, p.x);
            }
        }
        if let Some(p) = resp.hover_pos() {
            let bins = v.bins.max(1);
            let cell = |x: f32| (((x / side) * bins as f32) as usize).min(bins - 1);
            let (row, col) = (cell(p.y - r.top()), cell(p.x - r.left()));
            let text = match neuron_at(r, p.x) {
                Some(n) => format!(
                    "{}\nclick: inspect E neuron {n} (this column holds its inputs)",
                    block_tooltip(v, row, col)
                ),
                None => block_tooltip(v, row, col),
            };
            resp.on_hover_text_at_pointer(text);
        }
    }
    clicked
}

fn block_tooltip(v: &WeightView, row: usize, col: usize) -> String {
    let k = row * v.bins + col;
    let (rr, cr) = (v.block_range(row), v.block_range(col));
    let name = |range: &std::ops::Range<usize>| {
        let g = v.group_at(usize::midpoint(range.start, range.end));
        v.groups.get(g).cloned().unwrap_or_default()
    };
    format!(
        "pre {} (sorted neurons {}–{}) → post {} ({}–{})\nmean w = {:.3} g_L, mean w~ = {:.3} g_L over {} synapses",
        name(&rr),
        rr.start,
        rr.end.saturating_sub(1),
        name(&cr),
        cr.start,
        cr.end.saturating_sub(1),
        v.w_blocks.get(k).copied().unwrap_or(0.0),
        v.wt_blocks.get(k).copied().unwrap_or(0.0),
        v.n_blocks.get(k).copied().unwrap_or(0),
    )
}

/// Mean w (or w̃) between groups, cells coloured on the heatmap scale, with numbers.
fn group_table(ui: &mut egui::Ui, v: &WeightView, shows_wt: &mut bool, vmax: f32) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("group means, row = pre:").small())
            .on_hover_text("Mean weight [g_L] from each group (row) to each group (column)");
        ui.selectable_value(shows_wt, false, RichText::new("w").small())
            .on_hover_text("The fast weight w, changed by every spike");
        ui.selectable_value(shows_wt, true, RichText::new("w~").small())
            .on_hover_text("The consolidated reference weight w~, which follows w slowly (time constant tau_cons)");
    });
    let g_n = v.groups.len();
    if g_n == 0 || v.group_w.len() != g_n * g_n {
        return;
    }
    let values = if *shows_wt { &v.group_wt } else { &v.group_w };
    let width = ui.available_width();
    let head_w = 46.0;
    let cell_w = ((width - head_w) / g_n as f32).clamp(24.0, 48.0);
    let cell_h = 14.0;
    let size = vec2(head_w + cell_w * g_n as f32, cell_h * (g_n + 1) as f32);
    let (rect, resp) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    let font = FontId::proportional(if cell_w < 32.0 { 9.0 } else { 10.0 });
    let text_color = ui.visuals().text_color();
    let origin = rect.min + vec2(head_w, cell_h);
    for (g, name) in v.groups.iter().enumerate() {
        let y = origin.y + (g as f32 + 0.5) * cell_h;
        painter.text(
            pos2(rect.left() + head_w - 4.0, y),
            Align2::RIGHT_CENTER,
            fit(ui, name, &font, head_w - 4.0),
            font.clone(),
            text_color,
        );
        let x = origin.x + (g as f32 + 0.5) * cell_w;
        painter.text(
            pos2(x, rect.top() + cell_h / 2.0),
            Align2::CENTER_CENTER,
            fit(ui, name, &font, cell_w - 2.0),
            font.clone(),
            text_color,
        );
    }
    for a in 0..g_n {
        for b in 0..g_n {
            let x = values[a * g_n + b] as f32;
            let cell = Rect::from_min_size(origin + vec2(b as f32 * cell_w, a as f32 * cell_h), vec2(cell_w, cell_h));
            let fill = viridis(x / vmax);
            painter.rect_filled(cell.shrink(0.5), 0.0, fill);
            let ink = if luminance(fill) > 0.5 { Color32::BLACK } else { Color32::WHITE };
            painter.text(cell.center(), Align2::CENTER_CENTER, fmt_value(x), font.clone(), ink);
        }
    }
    if let Some(p) = resp.hover_pos() {
        let rel = p - origin;
        if rel.x >= 0.0 && rel.y >= 0.0 {
            let (a, b) = ((rel.y / cell_h) as usize, (rel.x / cell_w) as usize);
            if a < g_n && b < g_n {
                let k = a * g_n + b;
                resp.on_hover_text_at_pointer(format!(
                    "from {} to {}: mean w = {:.4} g_L, mean w~ = {:.4} g_L\n(a neuron in two assemblies counts for both)",
                    v.groups[a], v.groups[b], v.group_w[k], v.group_wt[k]
                ));
            }
        }
    }
}

/// Histograms of w (filled) and w̃ (outline) on a log count axis: most synapses sit in one or
/// two bins near the initial weight, and the few strong ones would be invisible on a linear
/// axis.
fn histogram(ui: &mut egui::Ui, v: &WeightView) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("w (bars)").small().color(W_COLOR));
        ui.label(RichText::new("w~ (line)").small().color(WT_COLOR));
        ui.label(RichText::new("synapses per bin (log scale)").small().weak());
    });
    let (hw, ht) = (&v.hist_w, &v.hist_wt);
    let bins = hw.counts.len();
    let width = ui.available_width();
    let (rect, resp) = ui.allocate_exact_size(vec2(width, 54.0), Sense::hover());
    if bins == 0 || hw.hi <= hw.lo {
        return;
    }
    let painter = ui.painter_at(rect);
    let font = FontId::proportional(9.0);
    let text_color = ui.visuals().text_color();
    let plot = Rect::from_min_max(rect.min + vec2(26.0, 2.0), rect.max - vec2(8.0, 12.0));
    painter.rect_stroke(plot, 0.0, ui.visuals().widgets.noninteractive.bg_stroke, egui::StrokeKind::Inside);
    let max_count = hw.counts.iter().chain(&ht.counts).copied().max().unwrap_or(0).max(1);
    let log_max = (1.0 + max_count as f32).log10();
    let y_of = |c: u32| plot.bottom() - (1.0 + c as f32).log10() / log_max * plot.height();
    let bar_w = plot.width() / bins as f32;
    // Decade grid lines; labels only where there is room for them.
    let mut decade = 1u32;
    let mut last_label_y = f32::INFINITY;
    loop {
        let y = y_of(decade);
        painter.hline(plot.x_range(), y, Stroke::new(1.0, Color32::from_gray(70)));
        if last_label_y - y >= 10.0 {
            painter.text(pos2(plot.left() - 3.0, y), Align2::RIGHT_CENTER, fmt_count(decade), font.clone(), text_color);
            last_label_y = y;
        }
        match decade.checked_mul(10) {
            Some(d) if d <= max_count => decade = d,
            _ => break,
        }
    }
    for (k, &c) in hw.counts.iter().enumerate() {
        if c > 0 {
            let x0 = plot.left() + k as f32 * bar_w;
            let r = Rect::from_min_max(pos2(x0, y_of(c)), pos2(x0 + bar_w, plot.bottom()));
            painter.rect_filled(r, 0.0, W_COLOR.gamma_multiply(0.8));
        }
    }
    let mut points = Vec::with_capacity(2 * bins + 2);
    points.push(pos2(plot.left(), plot.bottom()));
    for (k, &c) in ht.counts.iter().enumerate() {
        let x0 = plot.left() + k as f32 * bar_w;
        points.push(pos2(x0, y_of(c)));
        points.push(pos2(x0 + bar_w, y_of(c)));
    }
    points.push(pos2(plot.right(), plot.bottom()));
    painter.add(egui::Shape::line(points, Stroke::new(1.5, WT_COLOR)));
    let span = hw.hi - hw.lo;
    for (value, label) in ticks(span) {
        let x = plot.left() + value / span * plot.width();
        let top_end = value >= span * 0.999;
        let (anchor, label) =
            if top_end { (Align2::RIGHT_TOP, format!("{label} g_L")) } else { (Align2::CENTER_TOP, label) };
        painter.vline(x, plot.bottom()..=plot.bottom() + 2.0, Stroke::new(1.0, text_color));
        painter.text(pos2(x, plot.bottom() + 1.0), anchor, label, font.clone(), text_color);
    }
    if let Some(p) = resp.hover_pos()
        && plot.x_range().contains(p.x)
    {
        let k = (((p.x - plot.left()) / bar_w) as usize).min(bins - 1);
        let width = hw.bin_width();
        let range = if k + 1 == bins {
            format!("≥ {:.3}", hw.lo + k as f32 * width)
        } else {
            format!("{:.3}–{:.3}", hw.lo + k as f32 * width, hw.lo + (k + 1) as f32 * width)
        };
        resp.on_hover_text_at_pointer(format!(
            "{range} g_L: {} synapses by w, {} by w~",
            hw.counts[k],
            ht.counts.get(k).copied().unwrap_or(0)
        ));
    }
}

/// One 64×64 image per assembly (y up), with its name.
fn receptive_fields(ui: &mut egui::Ui, v: &WeightView, tex: &Textures, rf_max: f32) {
    if v.receptive_fields.is_empty() {
        ui.weak(RichText::new(RF_NONE_NOTE).small());
        return;
    }
    ui.label(RichText::new(format!("receptive fields (mean Input→E w, colours 0–{rf_max} g_L)")).small());
    let n = tex.rfs.len().max(1) as f32;
    let spacing = ui.spacing().item_spacing.x;
    // As wide as the column allows, but fitting (with the names) in the visible height if
    // possible; the column scrolls otherwise.
    let by_width = (ui.available_width() - (n - 1.0) * spacing) / n;
    let by_height = ui.clip_rect().bottom() - ui.cursor().top() - 20.0;
    let tile = by_width.min(by_height).floor().clamp(36.0, 72.0);
    ui.horizontal_wrapped(|ui| {
        for (k, t) in tex.rfs.iter().enumerate() {
            let name = v.groups.get(k).map_or("?", String::as_str);
            ui.allocate_ui_with_layout(vec2(tile, tile + 16.0), Layout::top_down(Align::Center), |ui| {
                ui.image((t.id(), Vec2::splat(tile)))
                    .on_hover_text(format!("{name}: mean Input→E weight per input pixel onto its members"));
                ui.label(RichText::new(name).small());
            });
        }
    });
}

/// A label laid out in `rect` with the given horizontal alignment, vertically centred.
fn put_label(ui: &mut egui::Ui, rect: Rect, align: Align, text: RichText) {
    let layout = match align {
        Align::Min => Layout::left_to_right(Align::Center),
        Align::Center => Layout::centered_and_justified(egui::Direction::LeftToRight),
        Align::Max => Layout::right_to_left(Align::Center),
    };
    // A child that does not move the parent's cursor: these labels sit on a painted area.
    ui.new_child(UiBuilder::new().max_rect(rect).layout(layout)).add(egui::Label::new(text).truncate());
}

/// `text`, shortened with "…" until it fits in `max_w` points.
fn fit(ui: &egui::Ui, text: &str, font: &FontId, max_w: f32) -> String {
    let width = |s: &str| ui.fonts_mut(|f| f.layout_no_wrap(s.to_string(), font.clone(), Color32::WHITE).size().x);
    if width(text) <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let s: String = chars[..keep].iter().chain(std::iter::once(&'…')).collect();
        if width(&s) <= max_w {
            return s;
        }
    }
    chars.first().map(std::string::ToString::to_string).unwrap_or_default()
}

/// The block means as a `bins × bins` image, row = presynaptic block (top to bottom).
fn heatmap_image(values: &[f32], bins: usize, vmax: f32) -> ColorImage {
    if bins == 0 || values.len() != bins * bins {
        return ColorImage::filled([1, 1], Color32::BLACK);
    }
    ColorImage::new([bins, bins], values.iter().map(|&x| viridis(x / vmax)).collect())
}

/// A receptive field as an image with y up: pixel i = (i % side, i / side), so image row r
/// shows y = side − 1 − r.
fn rf_image(rf: &[f32], side: usize, vmax: f32) -> ColorImage {
    if side == 0 || rf.len() != side * side {
        return ColorImage::filled([1, 1], Color32::BLACK);
    }
    let pixels =
        (0..side).rev().flat_map(|y| rf[y * side..(y + 1) * side].iter().map(|&x| viridis(x / vmax))).collect();
    ColorImage::new([side, side], pixels)
}

/// The colour bar: 1 × 256, top = the scale's upper end.
fn colorbar_image() -> ColorImage {
    ColorImage::new([1, 256], (0..256).map(|r| viridis(1.0 - r as f32 / 255.0)).collect())
}

pub use super::colormap::viridis;

fn luminance(c: Color32) -> f32 {
    (0.2126 * c.r() as f32 + 0.7152 * c.g() as f32 + 0.0722 * c.b() as f32) / 255.0
}

/// The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ x (x > 0).
fn nice_ceil(x: f32) -> f32 {
    if !x.is_finite() || x <= 0.0 {
        return 1.0;
    }
    let p = 10f32.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * p).find(|&c| c >= x * (1.0 - 1e-6)).unwrap_or(10.0 * p)
}

/// Tick values and labels for an axis from 0 to `max`: steps of 1, 2 or 5 × 10^k, at most five
/// intervals, labels with as many decimals as the step needs.
fn ticks(max: f32) -> Vec<(f32, String)> {
    if !max.is_finite() || max <= 0.0 {
        return vec![(0.0, "0".into())];
    }
    let p = 10f32.powf((max / 5.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|&s| max / s <= 5.0 + 1e-4).unwrap_or(10.0 * p);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let n = (max / step + 1e-4).floor() as usize;
    (0..=n).map(|k| k as f32 * step).map(|v| (v, format!("{v:.decimals$}"))).collect()
}

/// A group mean with two decimals (three below 0.1, where the initial weights sit).
fn fmt_value(x: f32) -> String {
    if x != 0.0 && x.abs() < 0.1 { format!("{x:.3}") } else { format!("{x:.2}") }
}

fn fmt_count(c: u32) -> String {
    match c {
        0..1_000 => c.to_string(),
        1_000..1_000_000 => format!("{}k", c / 1_000),
        _ => format!("{}M", c / 1_000_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(viridis(0.0), Color32::from_rgb(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), Color32::from_rgb(0xfd, 0xe7, 0x25));
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(f32::NAN), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
        // Brightness rises monotonically (what makes it readable as a scale).
        let l: Vec<f32> = (0..=100).map(|k| luminance(viridis(k as f32 / 100.0))).collect();
        assert!(l.windows(2).all(|w| w[1] >= w[0] - 1e-3));
    }

    #[test]
    fn nice_ceil_rounds_up_to_1_2_2p5_5() {
        assert_eq!(nice_ceil(0.2), 0.2);
        assert_eq!(nice_ceil(0.21), 0.25);
        assert_eq!(nice_ceil(0.3), 0.5);
        assert_eq!(nice_ceil(0.7), 1.0);
        assert_eq!(nice_ceil(1.3), 2.0);
        assert_eq!(nice_ceil(0.0), 1.0);
    }

    #[test]
    fn ticks_are_round_numbers() {
        let labels = |m: f32| ticks(m).into_iter().map(|(_, l)| l).collect::<Vec<_>>();
        assert_eq!(labels(1.0), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!(labels(2.0), ["0.0", "0.5", "1.0", "1.5", "2.0"]);
        assert_eq!(labels(0.25), ["0.00", "0.05", "0.10", "0.15", "0.20", "0.25"]);
        assert_eq!(labels(1.5), ["0.0", "0.5", "1.0", "1.5"]);
        assert_eq!(labels(5.0), ["0", "1", "2", "3", "4", "5"]);
    }

    #[test]
    fn receptive_field_image_has_y_up() {
        // Pixel 0 is (0, 0), bottom-left: it must be in the last image row.
        let mut rf = vec![0.0; 4];
        rf[0] = 1.0;
        let img = rf_image(&rf, 2, 1.0);
        assert_eq!(img.pixels[2], viridis(1.0));
        assert_eq!(img.pixels[0], viridis(0.0));
        assert_eq!(img.pixels[1], viridis(0.0));
    }
}
