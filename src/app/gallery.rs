//! Pattern gallery: thumbnails of the shapes, cues and "other" patterns; click to present;
//! cue-fraction slider; a drawing canvas for custom cues; keys 1–9.

use crate::sim::Params;

use super::AppState;

#[derive(Default)]
pub struct GalleryState {}

impl GalleryState {
    pub fn new(_params: &Params) -> Self {
        GalleryState {}
    }
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState) {
    let _ = (ui, state);
}

/// Keys 1–9 present the first nine patterns, only when no text field has focus.
pub fn handle_keys(ui: &mut egui::Ui, state: &mut AppState) {
    let _ = (ui, state);
}
