//! Status bar: model time, speed, phase, rates, merged frames, warnings.

use std::time::Instant;

use crate::bridge::{Frame, Level, Message};

use super::AppState;

pub struct StatusBarState {
    /// UI frames drawn in the last full second, and the count in the current one.
    pub fps: f64,
    frames: u32,
    since: Instant,
}

impl Default for StatusBarState {
    fn default() -> Self {
        StatusBarState { fps: 0.0, frames: 0, since: Instant::now() }
    }
}

impl StatusBarState {
    pub fn ingest(&mut self, _frame: &Frame) {}

    fn tick(&mut self) {
        self.frames += 1;
        let dt = self.since.elapsed().as_secs_f64();
        if dt >= 1.0 {
            self.fps = self.frames as f64 / dt;
            self.frames = 0;
            self.since = Instant::now();
        }
    }
}

fn color(ui: &egui::Ui, level: Level) -> egui::Color32 {
    match level {
        Level::Info => ui.visuals().text_color(),
        Level::Warning => ui.visuals().warn_fg_color,
        Level::Error => ui.visuals().error_fg_color,
    }
}

pub fn show(ui: &mut egui::Ui, state: &mut AppState) {
    state.status_bar.tick();
    ui.horizontal_wrapped(|ui| {
        match &state.status {
            None => {
                ui.label("starting the simulation…");
            }
            Some(s) => {
                ui.monospace(format!("t = {:9.1} s", s.t_s)).on_hover_text("Model time [s]");
                ui.separator();
                ui.monospace(format!("{:5.2}× real time", s.speed_x))
                    .on_hover_text("Model seconds simulated per wall second, over the last second");
                ui.separator();
                ui.label(format!("phase {} ({:.0} s)", s.phase.label(), s.phase_elapsed_s))
                    .on_hover_text("Protocol phase and the model time since it started [s]");
                ui.separator();
                let r = |x: f64| if x.is_finite() { format!("{x:5.1}") } else { "  –  ".into() };
                ui.monospace(format!("E {} Hz  I {} Hz", r(s.e_hz), r(s.i_hz)))
                    .on_hover_text("Mean rate of the E and I populations in the last 100 ms bin [Hz]");
                ui.separator();
                ui.label(match &s.stimulus {
                    Some(st) => format!("stimulus: {}", st.name),
                    None => "no stimulus".into(),
                });
                ui.separator();
                ui.label(format!("{} assemblies", s.assemblies.iter().filter(|a| !a.is_empty()).count())).on_hover_text(
                    "Assemblies known: for each shape, the E neurons above 10 Hz in its presentations (frozen at the \
                     end of phase 1)",
                );
                ui.separator();
                ui.label(format!("merged frames {}", s.coalesced_frames)).on_hover_text(
                    "Frames the simulation produced while the window was busy, merged into later ones: nothing is \
                     lost but raster spikes beyond what it can show",
                );
                if s.thinned_spikes > 0 {
                    ui.separator();
                    ui.label(format!("raster thinned: {} spikes not shown", s.thinned_spikes));
                }
                ui.separator();
                ui.label(format!("{:.0} fps", state.status_bar.fps));
                if !s.running {
                    ui.separator();
                    ui.label(egui::RichText::new("PAUSED").strong());
                }
            }
        }
        let messages: Vec<&Message> = state
            .status
            .as_ref()
            .and_then(|s| s.message.as_ref())
            .into_iter()
            .chain(state.ui_message.as_ref())
            .collect();
        for m in messages {
            ui.separator();
            ui.colored_label(color(ui, m.level), &m.text);
        }
        if let Some(e) = &state.sim_error {
            ui.separator();
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if state.sim_stopped
            && ui
                .button("Restart simulation")
                .on_hover_text("Start a new simulation thread on a fresh network: the parameters and seed in force")
                .clicked()
        {
            state.restart_requested = true;
        }
    });
}
