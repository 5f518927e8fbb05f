//! Population and per-assembly rates over time, with stimulus periods shaded.

use crate::bridge::Frame;

use super::AppState;

#[derive(Default)]
pub struct RatesState {}

impl RatesState {
    pub fn ingest(&mut self, _frame: &Frame) {}
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState, height: f32) {
    let _ = (ui, state, height);
}
