//! Everything the UI knows: the latest status and snapshot, the panels' own buffers, and the
//! queue of commands the panels asked for this frame.

use std::sync::Arc;

use crate::bridge::{Command, Frame, Level, Message, Status};
use crate::sim::Params;
use crate::sim::views::WeightView;

use super::{controls, export, gallery, input_view, raster, rates, status_bar, weights};

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
    pub controls: controls::ControlsState,
    pub export: export::ExportState,
    pub gallery: gallery::GalleryState,
    pub input: input_view::InputState,
    pub raster: raster::RasterState,
    pub rates: rates::RatesState,
    pub weights: weights::WeightsState,
    pub status_bar: status_bar::StatusBarState,
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
            controls: controls::ControlsState::new(params),
            export: export::ExportState::default(),
            gallery: gallery::GalleryState::new(params),
            input: input_view::InputState::new(params.network.input_side),
            raster: raster::RasterState::new(params.network.n_e, params.network.n_i),
            rates: rates::RatesState::default(),
            weights: weights::WeightsState::default(),
            status_bar: status_bar::StatusBarState::default(),
        }
    }

    /// Takes in one frame from the simulation.
    pub fn ingest(&mut self, frame: Frame) {
        self.input.ingest(&frame);
        self.raster.ingest(&frame, self.snapshot.as_deref());
        self.rates.ingest(&frame);
        self.status_bar.ingest(&frame);
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

    /// The whole window: toolbar on top, status bar at the bottom, input and patterns on the
    /// left, parameters on the right, raster, rates and weights in the middle.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        export::poll(ui.ctx(), self);
        egui::Panel::top("toolbar").show(ui, |ui| controls::toolbar(ui, self));
        egui::Panel::bottom("status").show(ui, |ui| status_bar::show(ui, self));
        egui::Panel::left("left").default_size(290.0).show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("left_scroll").show(ui, |ui| {
                input_view::show(ui, self);
                ui.separator();
                gallery::show(ui, self);
            });
        });
        egui::Panel::right("right").default_size(270.0).show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("right_scroll").show(ui, |ui| controls::parameters(ui, self));
        });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            let h = ui.available_height();
            raster::show(ui, self, (h * 0.30).max(120.0));
            rates::show(ui, self, (h * 0.25).max(110.0));
            weights::show(ui, self);
        });
        gallery::handle_keys(ui, self);
    }
}
