//! Population and per-assembly rates over time, with stimulus periods shaded.
//!
//! Keeps the 100 ms rate bins and stimulus spans of the chosen window only (bounded whatever the
//! run length) and draws them with egui_plot: one line each for E, I and the input, one per
//! assembly (named and coloured as in the raster), stimulus periods as shaded spans in the
//! colour of the assembly of the same name, named on a track above the plot. The legend is a
//! row of checkboxes in the header, so it never covers the data however small the panel.

use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::sync::Arc;

use egui::{Align2, Color32, Rect, pos2, vec2};
use egui_plot::{GridMark, HoverPosition, Line, Plot, PlotPoints, Span};

use crate::bridge::Frame;
use crate::sim::monitor::RateBin;

use super::AppState;

/// Window lengths offered [s].
pub const WINDOWS_S: [f64; 5] = [10.0, 30.0, 60.0, 120.0, 300.0];
pub const DEFAULT_WINDOW_S: f64 = 60.0;
/// Hard caps on what is kept, whatever the time stamps (10 ms bins over the longest window).
const MAX_BINS: usize = 30_000;
const MAX_SPANS: usize = 5_000;
/// Time stamps closer than this are the same instant [s].
const TIME_EPS: f64 = 1e-9;

pub const E_COLOUR: Color32 = Color32::from_rgb(255, 140, 50);
pub const I_COLOUR: Color32 = Color32::from_rgb(80, 160, 255);
pub const INPUT_COLOUR: Color32 = Color32::from_rgb(150, 150, 150);
const ASSEMBLY_COLOURS: [Color32; 8] = [
    Color32::from_rgb(90, 210, 110),
    Color32::from_rgb(220, 100, 220),
    Color32::from_rgb(240, 220, 70),
    Color32::from_rgb(70, 220, 220),
    Color32::from_rgb(255, 110, 130),
    Color32::from_rgb(170, 140, 255),
    Color32::from_rgb(200, 160, 100),
    Color32::from_rgb(160, 230, 180),
];

/// Colour of assembly `k` (also used for its name in the raster).
pub fn assembly_colour(k: usize) -> Color32 {
    ASSEMBLY_COLOURS[k % ASSEMBLY_COLOURS.len()]
}

/// A stimulus period: name, onset and scheduled end [s of model time].
#[derive(Clone, Debug, PartialEq)]
pub struct StimulusSpan {
    pub name: String,
    pub onset_s: f64,
    pub offset_s: f64,
}

pub struct RatesState {
    /// Length of the time axis and of the history kept [s].
    pub window_s: f64,
    /// 100 ms bins of the window, oldest first.
    pub bins: VecDeque<RateBin>,
    /// Stimulus periods that end inside the window, in order of onset.
    pub spans: VecDeque<StimulusSpan>,
    /// End of the newest frame [s of model time].
    pub t_end_s: f64,
    /// Names of the series the user switched off.
    pub hidden: Vec<String>,
    last_t_s: Option<f64>,
}

impl Default for RatesState {
    fn default() -> Self {
        RatesState {
            window_s: DEFAULT_WINDOW_S,
            bins: VecDeque::new(),
            spans: VecDeque::new(),
            t_end_s: 0.0,
            hidden: Vec::new(),
            last_t_s: None,
        }
    }
}

impl RatesState {
    /// Appends the frame's bins and stimulus spans and drops what left the window. Time going
    /// backwards (a reset) clears the history first.
    pub fn ingest(&mut self, frame: &Frame) {
        let (t0, t1) = (frame.t_start_s, frame.t_end_s);
        if !t0.is_finite() || !t1.is_finite() {
            return;
        }
        if let Some(last) = self.last_t_s
            && (t0 < last - TIME_EPS || t1 < last - TIME_EPS)
        {
            self.bins.clear();
            self.spans.clear();
        }
        for b in &frame.rate_bins {
            // Keep time increasing: a bin out of order or without a time is dropped.
            if b.t_s.is_finite() && self.bins.back().is_none_or(|last| b.t_s > last.t_s) {
                self.bins.push_back(b.clone());
            }
        }
        for (name, onset, offset) in &frame.stimulus_spans {
            if onset.is_finite() && offset.is_finite() {
                let (onset_s, offset_s) = (onset.min(*offset), onset.max(*offset));
                self.spans.push_back(StimulusSpan { name: name.clone(), onset_s, offset_s });
            }
        }
        self.t_end_s = t1;
        self.last_t_s = Some(t1);
        self.trim();
    }

    /// Drops bins and spans older than the window (and beyond the hard caps).
    pub fn trim(&mut self) {
        let cut = self.t_end_s - self.window_s;
        while self.bins.front().is_some_and(|b| b.t_s < cut) || self.bins.len() > MAX_BINS {
            self.bins.pop_front();
        }
        self.spans.retain(|s| s.offset_s >= cut);
        while self.spans.len() > MAX_SPANS {
            self.spans.pop_front();
        }
    }

    /// The time axis: the last `window_s` seconds (newest on the right, as in the raster).
    pub fn x_range(&self) -> (f64, f64) {
        (self.t_end_s - self.window_s.max(1e-3), self.t_end_s)
    }
}

/// Points of one series over the bins, split where a value is missing or not finite.
pub fn segments(bins: &VecDeque<RateBin>, value: impl Fn(&RateBin) -> Option<f64>) -> Vec<Vec<[f64; 2]>> {
    let mut out: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut cur = Vec::new();
    for b in bins {
        match value(b).filter(|v| v.is_finite()) {
            Some(v) => cur.push([b.t_s, v]),
            None if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
            None => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Where stimulus names go on the track: greedily from the left, for each span (by the screen
/// x of its midpoint) the first candidate width that fits after the previous label and within
/// half the distance to the next span and the track ends. A span whose midpoint (nearly) meets
/// the next one's leaves the label to that one. Returns the chosen candidate per span.
pub fn place_labels(mids: &[f32], widths: &[Vec<f32>], left: f32, right: f32) -> Vec<Option<usize>> {
    const GAP: f32 = 4.0;
    let mut placed_right = f32::NEG_INFINITY;
    let mut out = vec![None; mids.len()];
    for k in 0..mids.len() {
        let m = mids[k];
        if !m.is_finite() {
            continue;
        }
        let to_next = mids.get(k + 1).map_or(f32::INFINITY, |n| n - m);
        if to_next < 1.0 {
            continue;
        }
        let half_room = (to_next / 2.0 - GAP / 2.0).min(m - placed_right - GAP).min(m - left).min(right - m);
        if let Some(j) = widths.get(k).and_then(|w| w.iter().position(|&w| w / 2.0 <= half_room)) {
            out[k] = Some(j);
            placed_right = m + widths[k][j] / 2.0;
        }
    }
    out
}

/// Adds a series as lines of one legend entry (`name`), one per unbroken segment.
fn add_series(
    pui: &mut egui_plot::PlotUi<'_>,
    name: &str,
    colour: Color32,
    width: f32,
    bins: &VecDeque<RateBin>,
    value: impl Fn(&RateBin) -> Option<f64>,
) {
    for seg in segments(bins, value) {
        pui.line(Line::new(name, PlotPoints::from(seg)).color(colour).width(width));
    }
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState, height: f32) {
    let assemblies = state.status.as_ref().map(|s| s.assemblies.clone()).unwrap_or_default();
    // Looking back in history: the rates up to that moment.
    let window_s = state.rates.window_s;
    if let Some(r) = state.history.scrubbed_rates(window_s) {
        draw(ui, r, &assemblies, height);
        state.rates.window_s = r.window_s;
        return;
    }
    let frame = draw(ui, &mut state.rates, &assemblies, height);
    super::recall_view::paint_banner(ui, frame, &mut state.recall);
}

/// The rates plot of `st`, its assemblies named by `assemblies`; returns the plot's frame.
#[expect(clippy::too_many_lines, reason = "one panel, drawn top to bottom")]
pub fn draw(ui: &mut egui::Ui, st: &mut RatesState, assemblies: &[crate::sim::Pattern], height: f32) -> Rect {
    let top = ui.cursor().top();

    // Which assemblies have data in the window; the status names them.
    let n_assemblies = st.bins.iter().map(|b| b.assemblies_hz.len()).max().unwrap_or(0).min(64);
    let name_of = |k: usize| match assemblies.get(k) {
        Some(p) if !p.name.is_empty() => p.name.clone(),
        _ => format!("assembly {}", k + 1),
    };
    let mut series: Vec<(String, Color32)> =
        vec![("E".into(), E_COLOUR), ("I".into(), I_COLOUR), ("input".into(), INPUT_COLOUR)];
    series.extend((0..n_assemblies).map(|k| (name_of(k), assembly_colour(k))));

    // Header, wrapping when narrow: title, y unit, one toggle per series (the legend), window.
    ui.horizontal_wrapped(|ui| {
        ui.strong("Rates").on_hover_text(
            "Population rates of E, I and the input layer, and the mean rate of each assembly's \
             members, in 100 ms bins. Stimulus periods are shaded and named above the plot.",
        );
        ui.label("rate [Hz]");
        ui.separator();
        for (name, colour) in &series {
            let mut shown = !st.hidden.contains(name);
            if ui.checkbox(&mut shown, egui::RichText::new(name).color(*colour)).changed() {
                if shown {
                    st.hidden.retain(|h| h != name);
                } else {
                    st.hidden.push(name.clone());
                }
            }
        }
        ui.separator();
        let before = st.window_s;
        egui::ComboBox::from_label("window").selected_text(format!("{:.0} s", st.window_s)).width(56.0).show_ui(
            ui,
            |ui| {
                for w in WINDOWS_S {
                    ui.selectable_value(&mut st.window_s, w, format!("{w:.0} s"));
                }
            },
        );
        if st.window_s != before {
            st.trim();
        }
    });
    let small = egui::TextStyle::Small.resolve(ui.style());
    let (track, _) = ui.allocate_exact_size(vec2(ui.available_width(), small.size + 6.0), egui::Sense::hover());
    let plot_h = (height - (ui.cursor().top() - top)).max(60.0);
    let (x0, x1) = st.x_range();

    // The x-axis name sits at the right end of the tick row: leave that corner free of ticks.
    let t_label_w = ui.painter().layout_no_wrap("t [s]".into(), small.clone(), Color32::WHITE).size().x;
    let free_fraction = ((t_label_w + 22.0) / (ui.available_width() - 40.0).max(1.0)) as f64;
    let x_fmt = move |mark: GridMark, range: &RangeInclusive<f64>| {
        let (lo, hi) = (*range.start(), *range.end());
        if mark.value > hi - free_fraction * (hi - lo) || mark.value < -1e-9 {
            String::new()
        } else if mark.step_size >= 1.0 {
            format!("{:.0}", mark.value)
        } else {
            format!("{:.1}", mark.value)
        }
    };

    let span_colour = |name: &str| {
        let k = assemblies.iter().position(|p| p.name == name);
        k.map_or(Color32::from_gray(150), assembly_colour)
    };
    let spans: Vec<&StimulusSpan> = st.spans.iter().filter(|s| s.offset_s >= x0 && s.onset_s <= x1).collect();

    let plot = Plot::new("rates_plot")
        .height(plot_h)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_y(0.0)
        .include_y(5.0)
        .x_axis_formatter(x_fmt)
        .y_axis_min_width(24.0)
        .label_formatter(|pos| match pos {
            HoverPosition::NearDataPoint { plot_name, position: p, .. } => {
                Some(format!("{plot_name}\nt = {:.1} s\n{:.1} Hz", p.x, p.y))
            }
            HoverPosition::Elsewhere { position: p } if p.x >= 0.0 => Some(format!("t = {:.1} s\n{:.1} Hz", p.x, p.y)),
            HoverPosition::Elsewhere { .. } => None,
        });
    let full = ui.scope(|ui| {
        plot.show(ui, |pui| {
            pui.set_plot_bounds_x(x0..=x1);
            pui.set_auto_bounds([false, true]);
            for s in &spans {
                let c = span_colour(&s.name);
                let fill = Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), 40);
                pui.add(Span::new("", s.onset_s..=s.offset_s.min(x1)).fill(fill).border_width(0.0));
            }
            // Series in header order: E, I, input, then each assembly (drawn on top).
            for (k, (name, colour)) in series.iter().enumerate() {
                if st.hidden.contains(name) {
                    continue;
                }
                let width = if k == 2 { 1.0 } else { 1.5 };
                add_series(pui, name, *colour, width, &st.bins, |b| match k {
                    0 => Some(b.e_hz),
                    1 => Some(b.i_hz),
                    2 => Some(b.input_hz),
                    a => b.assemblies_hz.get(a - 3).copied(),
                });
            }
        })
    });
    let plot_resp = full.inner;
    let frame = plot_resp.response.rect;
    let outer = full.response.rect;

    // The stimulus track above the plot: a bar per span, named where the name fits.
    let painter = ui.painter_at(Rect::from_x_y_ranges(frame.x_range(), track.y_range()));
    let x_of = |t: f64| plot_resp.transform.position_from_point_x(t);
    let mids: Vec<f32> =
        spans.iter().map(|s| f32::midpoint(x_of(s.onset_s.max(x0)), x_of(s.offset_s.min(x1)))).collect();
    // The whole name, else its first three letters ("cir", "cro"), else its initial.
    let candidates = |name: &str| [name.to_owned(), name.chars().take(3).collect(), name.chars().take(1).collect()];
    let galleys: Vec<Vec<Arc<egui::Galley>>> = spans
        .iter()
        .map(|s| {
            let c = span_colour(&s.name);
            candidates(&s.name).into_iter().map(|t| painter.layout_no_wrap(t, small.clone(), c)).collect()
        })
        .collect();
    let widths: Vec<Vec<f32>> = galleys.iter().map(|g| g.iter().map(|g| g.size().x).collect()).collect();
    let chosen = place_labels(&mids, &widths, frame.left(), frame.right());
    let bar_y = track.bottom() - 2.0;
    for (k, s) in spans.iter().enumerate() {
        let c = span_colour(&s.name);
        let (a, b) = (x_of(s.onset_s.max(x0)), x_of(s.offset_s.min(x1)));
        painter.line_segment([pos2(a, bar_y), pos2(b.max(a + 1.0), bar_y)], egui::Stroke::new(3.0, c));
        if let Some(j) = chosen[k] {
            let g = galleys[k][j].clone();
            let r = Align2::CENTER_BOTTOM.anchor_size(pos2(mids[k], bar_y - 2.0), g.size());
            painter.galley(r.min, g, c);
        }
    }

    // Axis name of the time axis, at the right end of the tick row.
    let row = Rect::from_min_max(pos2(frame.left(), frame.bottom()), pos2(outer.right(), outer.bottom()));
    if row.height() > 4.0 {
        let at = Align2::RIGHT_CENTER.anchor_size(row.right_center(), vec2(t_label_w + 4.0, row.height()));
        ui.put(at, egui::Label::new(egui::RichText::new("t [s]").font(small)).selectable(false));
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(t: f64, e: f64) -> RateBin {
        RateBin { t_s: t, e_hz: e, i_hz: 2.0 * e, input_hz: 5.0, assemblies_hz: vec![e] }
    }

    #[test]
    fn history_keeps_only_the_window() {
        let mut st = RatesState { window_s: 10.0, ..Default::default() };
        for k in 1..=300 {
            st.bins.push_back(bin(k as f64 * 0.1, 1.0));
        }
        st.spans.push_back(StimulusSpan { name: "old".into(), onset_s: 1.0, offset_s: 2.0 });
        st.spans.push_back(StimulusSpan { name: "new".into(), onset_s: 19.0, offset_s: 21.0 });
        st.t_end_s = 30.0;
        st.trim();
        assert!((st.bins.front().unwrap().t_s - 20.0).abs() < 1e-9);
        assert_eq!(st.bins.len(), 101);
        assert_eq!(st.spans.len(), 1);
        assert_eq!(st.spans[0].name, "new");
        assert_eq!(st.x_range(), (20.0, 30.0));
    }

    #[test]
    fn axis_ends_at_the_newest_frame() {
        let st = RatesState { t_end_s: 3.0, ..Default::default() };
        assert_eq!(st.x_range(), (3.0 - DEFAULT_WINDOW_S, 3.0));
    }

    #[test]
    fn stimulus_names_never_overlap() {
        let w = |a: f32, b: f32, c: f32| vec![a, b, c];
        // Far apart: whole names. Close: short names. Duplicates: one label, on the last.
        let mids = [50.0, 150.0, 180.0, 300.0, 300.0];
        let widths = vec![w(40.0, 18.0, 6.0); 5];
        let got = place_labels(&mids, &widths, 0.0, 1000.0);
        assert_eq!(got, [Some(0), Some(1), Some(1), None, Some(0)]);
        // Near the edges only what fits inside the track.
        assert_eq!(place_labels(&[5.0], &[w(40.0, 18.0, 6.0)], 0.0, 100.0), [Some(2)]);
        assert_eq!(place_labels(&[1.0], &[w(40.0, 18.0, 6.0)], 0.0, 100.0), [None]);
        assert!(place_labels(&[], &[], 0.0, 1.0).is_empty());
    }

    #[test]
    fn segments_split_at_missing_and_nan_values() {
        let bins: VecDeque<RateBin> =
            [bin(0.1, 1.0), bin(0.2, f64::NAN), bin(0.3, 3.0), bin(0.4, 4.0), bin(0.5, f64::INFINITY)].into();
        let s = segments(&bins, |b| Some(b.e_hz));
        assert_eq!(s, vec![vec![[0.1, 1.0]], vec![[0.3, 3.0], [0.4, 4.0]]]);
        assert!(segments(&bins, |b| b.assemblies_hz.get(3).copied()).is_empty());
        assert!(segments(&VecDeque::new(), |b| Some(b.e_hz)).is_empty());
    }
}
