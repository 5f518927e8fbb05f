//! The window's view of training: the toolbar's **Trained network** asks for it, the app starts
//! the thread (`bridge::train`), and while it runs this overlay shows a progress bar, model
//! time, the estimated time left and a Cancel button.

use std::time::Instant;

use super::AppState;

#[derive(Default)]
pub struct TrainingState {
    /// The user asked for the trained network; the app starts the thread after the frame.
    pub requested: bool,
    /// The user asked to cancel; the app tells the thread after the frame.
    pub cancel_requested: bool,
    /// Training (or the cache look-up) under way.
    pub progress: Option<TrainingProgress>,
}

pub struct TrainingProgress {
    /// What is being trained ("preset default, seed 1").
    pub what: String,
    /// Model time of phase 1 done and in total [s].
    pub done_s: f64,
    pub total_s: f64,
    pub started: Instant,
}

impl TrainingProgress {
    /// Estimated wall time left [s], from the pace so far (None until a model second is done).
    pub fn eta_s(&self) -> Option<f64> {
        let wall = self.started.elapsed().as_secs_f64();
        (self.done_s >= 1.0).then(|| wall * (self.total_s - self.done_s).max(0.0) / self.done_s)
    }
}

/// `m:ss` for a number of seconds.
pub fn clock(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// The overlay while training runs.
pub fn show(ctx: &egui::Context, state: &mut AppState) {
    let Some(p) = &state.training.progress else { return };
    let frac = if p.total_s > 0.0 { (p.done_s / p.total_s).clamp(0.0, 1.0) } else { 0.0 };
    let eta = p.eta_s().map_or("estimating…".into(), |s| format!("about {} left", clock(s)));
    let mut cancel = false;
    egui::Window::new("Training phase 1")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
        .show(ctx, |ui| {
            ui.label(format!("Phase 1 of {}, headless on every core, as `engram train` does.", p.what));
            ui.add(egui::ProgressBar::new(frac as f32).show_percentage().desired_width(320.0))
                .on_hover_text("Share of phase 1's model time simulated so far");
            ui.label(format!(
                "model time {:.0} of {:.0} s · {} · wall {}",
                p.done_s,
                p.total_s,
                eta,
                clock(p.started.elapsed().as_secs_f64())
            ));
            ui.small("The result is cached: next time this preset and seed load at once.");
            cancel = ui.button("Cancel").on_hover_text("Stop training; nothing is cached").clicked();
        });
    if cancel {
        state.training.cancel_requested = true;
    }
    ctx.request_repaint_after(std::time::Duration::from_millis(200));
}
