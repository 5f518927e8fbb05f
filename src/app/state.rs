//! Everything the UI knows: the latest status and snapshot, the panels' own buffers, and the
//! queue of commands the panels asked for this frame.

use std::sync::Arc;

use crate::bridge::{Command, Frame, Level, Message, Status};
use crate::sim::Params;
use crate::sim::views::WeightView;

use super::{
    controls, dialog, explain, export, fork, gallery, history, input_view, inspector, lesson, raster, rates,
    recall_view, status_bar, training, view, weights,
};
use crate::io::lesson::Panel;

pub struct AppState {
    /// Status from the newest frame, if any has arrived.
    pub status: Option<Status>,
    /// Newest weight snapshot.
    pub snapshot: Option<Arc<WeightView>>,
    /// Commands queued by the panels during this frame, sent after it.
    pub outbox: Vec<Command>,
    /// A failure of the simulation thread or of the channel, shown in the status bar.
    pub sim_error: Option<String>,
    /// The simulation thread is not running (it failed, or never started): the status bar
    /// offers "Restart simulation".
    pub sim_stopped: bool,
    /// The user asked for a new simulation thread; the app starts it after the frame.
    pub restart_requested: bool,
    /// A message from the UI itself (file errors, saved presets).
    pub ui_message: Option<Message>,
    /// Shows every file dialog ([`dialog::native`]; tests stand in for it).
    pub dialog: dialog::FileDialog,
    pub controls: controls::ControlsState,
    pub explain: explain::ExplainState,
    pub export: export::ExportState,
    pub fork: fork::ForkState,
    pub gallery: gallery::GalleryState,
    pub history: history::HistoryState,
    pub input: input_view::InputState,
    pub inspector: inspector::InspectorState,
    pub raster: raster::RasterState,
    pub rates: rates::RatesState,
    pub weights: weights::WeightsState,
    pub status_bar: status_bar::StatusBarState,
    pub recall: recall_view::RecallState,
    pub lesson: lesson::LessonState,
    pub view: view::ViewState,
    pub training: training::TrainingState,
}

impl AppState {
    /// Fresh UI state for a network built from `params` (no simulation needed: tests build
    /// this directly and read `outbox`).
    pub fn new(params: &Params) -> Self {
        AppState {
            status: None,
            snapshot: None,
            outbox: Vec::new(),
            sim_error: None,
            sim_stopped: false,
            restart_requested: false,
            ui_message: None,
            dialog: dialog::native,
            controls: controls::ControlsState::new(params),
            explain: explain::ExplainState::default(),
            export: export::ExportState::default(),
            fork: fork::ForkState::default(),
            gallery: gallery::GalleryState::new(params),
            history: history::HistoryState::default(),
            input: input_view::InputState::new(params.network.input_side),
            inspector: inspector::InspectorState::default(),
            raster: raster::RasterState::new(params.network.n_e, params.network.n_i),
            rates: rates::RatesState::default(),
            weights: weights::WeightsState::default(),
            status_bar: status_bar::StatusBarState::default(),
            recall: recall_view::RecallState::default(),
            lesson: lesson::LessonState::builtin(),
            view: view::ViewState::new(view::ViewSettings::default()),
            training: training::TrainingState::default(),
        }
    }

    /// The choices kept between runs, as they are now.
    pub fn settings(&self) -> view::ViewSettings {
        view::ViewSettings {
            lesson_open: self.lesson.open,
            rates_window_s: self.rates.window_s,
            table_shows_wt: self.weights.table_shows_wt,
            ..self.view.settings.clone()
        }
    }

    /// Takes over choices kept from an earlier run (values out of range fall back to defaults).
    pub fn apply_settings(&mut self, s: &view::ViewSettings) {
        self.lesson.open = s.lesson_open;
        if rates::WINDOWS_S.contains(&s.rates_window_s) {
            self.rates.window_s = s.rates_window_s;
        }
        self.weights.table_shows_wt = s.table_shows_wt;
        let zoom = if s.zoom.is_finite() { s.zoom.clamp(0.5, 3.0) } else { 1.0 };
        self.view = view::ViewState::new(view::ViewSettings { zoom, ..s.clone() });
    }

    /// Takes in one frame from the simulation.
    pub fn ingest(&mut self, frame: Frame) {
        self.input.ingest(&frame);
        self.raster.ingest(&frame, self.snapshot.as_deref());
        self.rates.ingest(&frame);
        self.status_bar.ingest(&frame);
        self.recall.ingest(&frame);
        self.inspector.ingest(&frame);
        self.explain.ingest(&frame);
        self.fork.ingest(&frame);
        self.history.ingest(&frame);
        self.controls.ingest(&frame.status);
        self.status = Some(frame.status);
    }

    pub fn set_error(&mut self, text: String) {
        self.sim_error = Some(text);
    }

    pub fn set_ui_message(&mut self, level: Level, text: impl Into<String>) {
        self.ui_message = Some(Message { level, text: text.into() });
    }

    /// Queues a command for the simulation.
    pub fn send(&mut self, cmd: Command) {
        self.outbox.push(cmd);
    }

    /// The whole window: toolbar on top, status bar at the bottom, input, patterns and the cue
    /// log on the left, the lesson and the parameters on the right, raster, rates and weights
    /// in the middle; then the overlays (training, help) and the lesson's highlight.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        view::apply(ui.ctx(), &mut self.view);
        export::poll(ui.ctx(), self);
        // Before drawing, so the panel shows the step the conditions lead to.
        lesson::advance(self);
        let mut rects: Vec<(Panel, egui::Rect)> = Vec::new();
        let bar = egui::Panel::top("toolbar").show(ui, |ui| controls::toolbar(ui, self));
        rects.push((Panel::Toolbar, bar.response.rect));
        egui::Panel::bottom("status").show(ui, |ui| status_bar::show(ui, self));
        egui::Panel::left("left").default_size(290.0).show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("left_scroll").show(ui, |ui| {
                rects.push((Panel::Input, ui.scope(|ui| input_view::show(ui, self)).response.rect));
                ui.separator();
                rects.push((Panel::Gallery, ui.scope(|ui| gallery::show(ui, self)).response.rect));
                ui.separator();
                rects.push((Panel::CueLog, ui.scope(|ui| recall_view::show_log(ui, self)).response.rect));
            });
        });
        egui::Panel::right("right").default_size(270.0).show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("right_scroll").show(ui, |ui| {
                if self.lesson.open {
                    ui.scope(|ui| lesson::show(ui, self));
                    ui.separator();
                }
                rects.push((Panel::Parameters, ui.scope(|ui| controls::parameters(ui, self)).response.rect));
                ui.separator();
                fork::controls(ui, self);
            });
        });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            let h = ui.available_height();
            let heights = ((h * 0.30).max(120.0), (h * 0.25).max(110.0));
            let mut original = |ui: &mut egui::Ui, state: &mut Self| {
                rects.push((Panel::Raster, ui.scope(|ui| raster::show(ui, state, heights.0)).response.rect));
                rects.push((Panel::Rates, ui.scope(|ui| rates::show(ui, state, heights.1)).response.rect));
                history::timeline(ui, state);
                rects.push((Panel::Weights, ui.scope(|ui| weights::show(ui, state)).response.rect));
            };
            if self.fork.panels.is_some() {
                // Side by side: the original on the left, the fork on the right.
                ui.columns(2, |cols| {
                    fork::original_header(&mut cols[0]);
                    original(&mut cols[0], self);
                    fork::side(&mut cols[1], self, heights);
                });
            } else {
                original(ui, self);
            }
        });
        gallery::handle_keys(ui, self);
        view::handle_keys(ui, self);
        training::show(ui.ctx(), self);
        inspector::show(ui.ctx(), self);
        explain::show(ui.ctx(), self);
        view::help(ui.ctx(), self);
        let lit = self.lesson.highlighted().and_then(|p| rects.iter().find(|(q, _)| *q == p).map(|(_, r)| *r));
        lesson::paint_highlight(ui.ctx(), lit);
    }
}
