//! Spike raster of E (sorted by assembly once known) and I neurons over the last seconds,
//! drawn as a texture.

use crate::bridge::Frame;
use crate::sim::views::WeightView;

use super::AppState;

pub struct RasterState {
    pub n_e: usize,
    pub n_i: usize,
}

impl RasterState {
    pub fn new(n_e: usize, n_i: usize) -> Self {
        RasterState { n_e, n_i }
    }

    pub fn ingest(&mut self, _frame: &Frame, _view: Option<&WeightView>) {}
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState, height: f32) {
    let _ = (ui, state, height);
}
