//! The 64×64 input layer as an image of leaky spike counts, with the active stimulus outlined.

use crate::bridge::Frame;

use super::AppState;

pub struct InputState {
    pub side: usize,
}

impl InputState {
    pub fn new(side: usize) -> Self {
        InputState { side }
    }

    pub fn ingest(&mut self, _frame: &Frame) {}
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState) {
    let _ = (ui, state);
}
