//! Weights: assembly-sorted E→E block heatmaps of w and w̃ with a colour bar, histograms, and
//! each assembly's Input→E receptive field.

use super::AppState;

#[derive(Default)]
pub struct WeightsState {}

pub fn show(ui: &mut egui::Ui, state: &mut AppState) {
    let _ = (ui, state);
}
