//! The timeline under the rates plot: the history entries the simulation keeps (a snapshot of
//! the whole state every 30 model seconds, `bridge::history`). Dragging it back shows the
//! weights, assemblies, receptive fields and rates as they were then; **Resume from here**
//! continues the simulation from that entry (`Command::Resume`).

use std::collections::HashSet;
use std::sync::Arc;

use super::rates::RatesState;
use super::state::AppState;
use crate::bridge::Command;
use crate::bridge::Frame;
use crate::bridge::history::HistoryMark;
use crate::sim::views::WeightView;

#[derive(Default)]
pub struct HistoryState {
    /// The entries kept, by time (a branch's entry after the current line's at the same time).
    pub marks: Vec<HistoryMark>,
    /// Ids of the entries on an abandoned branch.
    pub branch: HashSet<u64>,
    /// The entry being looked at (None: live).
    pub scrub: Option<u64>,
    /// The rates of the entry looked at, ready to draw.
    rates: Option<(u64, RatesState)>,
}

impl HistoryState {
    /// Takes in new entries and follows the status's list (entries dropped by the cap, or by
    /// a new network, go; branches are marked).
    pub fn ingest(&mut self, frame: &Frame) {
        self.marks.extend(frame.history.iter().cloned());
        let items = &frame.status.history;
        let kept: HashSet<u64> = items.iter().map(|i| i.0).collect();
        self.marks.retain(|m| kept.contains(&m.id));
        self.branch = items.iter().filter(|i| i.2).map(|i| i.0).collect();
        let branch = &self.branch;
        self.marks.sort_by(|a, b| a.t_s.total_cmp(&b.t_s).then(branch.contains(&a.id).cmp(&branch.contains(&b.id))));
        if self.scrub.is_some_and(|id| !kept.contains(&id)) {
            self.scrub = None;
        }
    }

    /// The entry being looked at.
    pub fn scrubbed(&self) -> Option<&HistoryMark> {
        self.scrub.and_then(|id| self.marks.iter().find(|m| m.id == id))
    }

    /// The weight view of the entry being looked at.
    pub fn scrubbed_view(&self) -> Option<Arc<WeightView>> {
        self.scrubbed().map(|m| m.view.clone())
    }

    /// The rates of the entry being looked at, over a window of `window_s`.
    pub fn scrubbed_rates(&mut self, window_s: f64) -> Option<&mut RatesState> {
        let m = self.scrubbed()?.clone();
        if self.rates.as_ref().is_none_or(|(id, r)| *id != m.id || r.window_s != window_s) {
            let mut r = RatesState::default();
            (r.window_s, r.t_end_s) = (window_s, m.t_s);
            r.bins.extend(m.rates.iter().cloned());
            r.spans.extend(m.spans.iter().map(|(name, onset_s, offset_s)| super::rates::StimulusSpan {
                name: name.clone(),
                onset_s: *onset_s,
                offset_s: *offset_s,
            }));
            r.trim();
            self.rates = Some((m.id, r));
        }
        self.rates.as_mut().map(|(_, r)| r)
    }
}

/// The timeline row.
pub fn timeline(ui: &mut egui::Ui, state: &mut AppState) {
    let AppState { history: h, outbox, .. } = state;
    ui.horizontal(|ui| {
        let label = ui.label("History").on_hover_text(
            "The whole network state at regular steps of model time (--history-every, 30 s by default), kept in \
             memory: drag back to see the weights, assemblies, receptive fields and rates as they were; Resume \
             continues from there",
        );
        if h.marks.is_empty() {
            ui.weak("no entries yet");
            return;
        }
        let n = h.marks.len();
        let mut idx = h.scrub.and_then(|id| h.marks.iter().position(|m| m.id == id)).unwrap_or(n);
        let text = match h.marks.get(idx) {
            Some(m) if h.branch.contains(&m.id) => format!("t = {:.1} s (branch)", m.t_s),
            Some(m) => format!("t = {:.1} s", m.t_s),
            None => "live".into(),
        };
        let width = (ui.available_width() - 330.0).max(80.0);
        ui.spacing_mut().slider_width = width;
        let slider = ui
            .add(egui::Slider::new(&mut idx, 0..=n).show_value(false))
            .labelled_by(label.id)
            .on_hover_text("Drag back in time; the right end is live");
        if slider.changed() {
            h.scrub = h.marks.get(idx).map(|m| m.id);
        }
        ui.monospace(text);
        let scrub = h.scrub;
        if ui
            .add_enabled(scrub.is_some(), egui::Button::new("Resume from here"))
            .on_hover_text("Continue the simulation from this moment; the later history is kept as a branch")
            .clicked()
            && let Some(id) = scrub
        {
            outbox.push(Command::Resume(id));
            h.scrub = None;
        }
        if scrub.is_some() && ui.button("Live").on_hover_text("Back to the running network").clicked() {
            h.scrub = None;
        }
    });
    if let Some(m) = state.history.scrubbed() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "Showing t = {:.1} s from history: the rates, weights, assemblies and receptive fields as they were \
                 then (the raster stays live).",
                m.t_s
            ),
        );
    }
}
