//! The neuron inspector: a window on one E neuron, selected by clicking its row in the raster.
//! It shows, live, the neuron's V with its threshold, its conductances and its rate (recorded
//! by the simulation from the moment of selection, `Command::Inspect`), its assembly
//! memberships, its receptive field and its incoming E→E weights by source assembly (from the
//! weight views, `WeightView::neuron`).

use std::collections::VecDeque;

use egui::{Color32, ColorImage, TextureHandle, TextureOptions};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::colormap::viridis;
use super::state::AppState;
use crate::bridge::{Command, Frame, PROBE_WINDOW_S};
use crate::sim::params::STEPS_PER_SECOND;
use crate::sim::probe::{NeuronView, ProbeSample};

/// Length of the rate history [s of model time] and its bin [s].
const RATE_HISTORY_S: f64 = 600.0;
const RATE_BIN_S: f64 = 1.0;

#[derive(Default)]
pub struct InspectorState {
    /// The neuron the user selected (the simulation confirms it in `Status::inspected`).
    pub selected: Option<u32>,
    /// Samples of the selected neuron, the last [`PROBE_WINDOW_S`], oldest first.
    pub samples: VecDeque<ProbeSample>,
    /// Its rate in [`RATE_BIN_S`] bins since selection (bin start [s], Hz), at most
    /// [`RATE_HISTORY_S`].
    pub rate_history: VecDeque<(f64, f64)>,
    /// Spikes and steps in the bin being filled: (bin start step, spikes).
    bin: Option<(u64, u32)>,
    texture: Option<(u32, f64, TextureHandle)>,
}

impl InspectorState {
    /// Takes in a frame's samples of the selected neuron (samples of a neuron no longer
    /// selected are ignored).
    pub fn ingest(&mut self, frame: &Frame) {
        // A new, smaller network has no such neuron: the simulation dropped it, and so do we.
        if self.selected.is_some_and(|n| n as usize >= frame.status.params.network.n_e) {
            self.selected = None;
            self.samples.clear();
            self.rate_history.clear();
            self.bin = None;
        }
        if self.selected.is_none() || frame.status.inspected != self.selected {
            return;
        }
        let bin_steps = (RATE_BIN_S * STEPS_PER_SECOND as f64) as u64;
        for s in &frame.probe {
            // A jump back in time (a loaded snapshot) starts the histories again.
            if self.samples.back().is_some_and(|b| b.step >= s.step) {
                self.samples.clear();
                self.rate_history.clear();
                self.bin = None;
            }
            self.samples.push_back(*s);
            let (start, spikes) = self.bin.get_or_insert((s.step - s.step % bin_steps, 0));
            if s.step >= *start + bin_steps {
                self.rate_history.push_back((*start as f64 / STEPS_PER_SECOND as f64, *spikes as f64 / RATE_BIN_S));
                *start = s.step - s.step % bin_steps;
                *spikes = 0;
            }
            *spikes += u32::from(s.spikes);
        }
        let keep = (PROBE_WINDOW_S * STEPS_PER_SECOND as f64) as u64;
        if let Some(last) = self.samples.back().map(|s| s.step) {
            while self.samples.front().is_some_and(|s| s.step + keep < last) {
                self.samples.pop_front();
            }
        }
        while self.rate_history.len() as f64 > RATE_HISTORY_S / RATE_BIN_S {
            self.rate_history.pop_front();
        }
    }

    /// Selects E neuron `n` (None: closes the inspector) and tells the simulation.
    pub fn select(&mut self, n: Option<u32>, outbox: &mut Vec<Command>) {
        if self.selected == n {
            return;
        }
        self.selected = n;
        self.samples.clear();
        self.rate_history.clear();
        self.bin = None;
        outbox.push(Command::Inspect(n));
    }
}

/// A line of (t [s], value) for one variable of the samples.
fn series(samples: &VecDeque<ProbeSample>, f: impl Fn(&ProbeSample) -> f64) -> PlotPoints<'static> {
    samples.iter().map(|s| [s.step as f64 / STEPS_PER_SECOND as f64, f(s)]).collect::<Vec<_>>().into()
}

/// The receptive field as an image, top row = top of the input layer; pixels that do not
/// project onto the neuron are dark grey.
fn rf_image(v: &NeuronView, vmax: f32) -> ColorImage {
    let side = v.input_side;
    if side == 0 || v.receptive_field.len() != side * side {
        return ColorImage::filled([1, 1], Color32::BLACK);
    }
    let rf = &v.receptive_field;
    let colour = |x: f32| if x.is_finite() { viridis(x / vmax) } else { Color32::from_gray(40) };
    let pixels = (0..side).rev().flat_map(|y| rf[y * side..(y + 1) * side].iter().map(|&x| colour(x))).collect();
    ColorImage::new([side, side], pixels)
}

/// The inspector window, while a neuron is selected.
pub fn show(ctx: &egui::Context, state: &mut AppState) {
    let Some(n) = state.inspector.selected else { return };
    let mut open = true;
    let theta_rest = state.status.as_ref().map_or(-50.0, |s| s.params.neuron_e.theta_rest_mv);
    let view = state.snapshot.as_ref().and_then(|s| s.neuron.clone()).filter(|v| v.neuron == n);
    let mut explain = false;
    egui::Window::new(format!("E neuron {n}"))
        .id(egui::Id::unique("inspector"))
        .open(&mut open)
        .default_width(420.0)
        .resizable(true)
        .show(ctx, |ui| {
            let ins = &mut state.inspector;
            let last = ins.samples.back().copied();
            ui.horizontal_wrapped(|ui| {
                match &view {
                    Some(v) if v.memberships.is_empty() => ui.label("in no assembly"),
                    Some(v) => ui.label(format!("member of {}", v.memberships.join(", "))),
                    None => ui.weak("waiting for the next weight view …"),
                };
                if let Some(s) = last {
                    ui.separator();
                    ui.monospace(format!("V {:.1} mV  θ {:.1} mV", s.v, theta_rest + f64::from(s.theta)));
                }
                if let Some(&(_, hz)) = ins.rate_history.back() {
                    ui.separator();
                    ui.monospace(format!("{hz:.0} Hz"));
                }
            });
            ui.small(format!(
                "Recorded every 1 ms since selection; the last {PROBE_WINDOW_S:.0} s of model time. Click another \
                 row of the raster to inspect another neuron."
            ));
            let h = 110.0;
            Plot::new("inspector_v").height(h).legend(Legend::default()).y_axis_label("mV").allow_scroll(false).show(
                ui,
                |p| {
                    p.line(Line::new("V", series(&ins.samples, |s| f64::from(s.v))));
                    p.line(Line::new(
                        "threshold θ_rest + θ",
                        series(&ins.samples, |s| theta_rest + f64::from(s.theta)),
                    ));
                },
            );
            Plot::new("inspector_g").height(h).legend(Legend::default()).y_axis_label("g_L").allow_scroll(false).show(
                ui,
                |p| {
                    p.line(Line::new("AMPA", series(&ins.samples, |s| f64::from(s.g_ampa))));
                    p.line(Line::new("NMDA", series(&ins.samples, |s| f64::from(s.g_nmda))));
                    p.line(Line::new("GABA", series(&ins.samples, |s| f64::from(s.g_gaba))));
                    p.line(Line::new("adaptation a1", series(&ins.samples, |s| f64::from(s.g_a1))));
                    p.line(Line::new("adaptation a2", series(&ins.samples, |s| f64::from(s.g_a2))));
                },
            );
            let rates: Vec<[f64; 2]> = ins.rate_history.iter().map(|&(t, hz)| [t, hz]).collect();
            Plot::new("inspector_rate").height(70.0).y_axis_label("Hz").allow_scroll(false).show(ui, |p| {
                p.line(Line::new("rate (1 s bins)", PlotPoints::from(rates)));
            });
            if let Some(v) = &view {
                inputs(ui, ins, v);
            }
            if ui
                .button("Why did its inputs change?")
                .on_hover_text("Explain the change of this neuron's E→E input weights by mechanism from now on")
                .clicked()
            {
                explain = true;
            }
        });
    if explain {
        let AppState { explain, outbox, .. } = state;
        explain.explain(crate::sim::probe::WeightSelection::Inputs { post: n }, outbox);
    }
    if !open {
        let AppState { inspector, outbox, .. } = state;
        inspector.select(None, outbox);
    }
}

/// The receptive field and the incoming E→E weights by source group.
fn inputs(ui: &mut egui::Ui, ins: &mut InspectorState, v: &NeuronView) {
    let n = v.neuron;
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            let vmax = v.receptive_field.iter().copied().filter(|x| x.is_finite()).fold(0.1f32, f32::max);
            let fresh = !matches!(&ins.texture, Some((m, t, _)) if *m == n && *t == v.t_s);
            if fresh {
                let img = rf_image(v, vmax);
                if let Some((m, t, tex)) = &mut ins.texture {
                    tex.set(img, TextureOptions::NEAREST);
                    (*m, *t) = (n, v.t_s);
                } else {
                    let tex = ui.ctx().load_texture("inspector_rf", img, TextureOptions::NEAREST);
                    ins.texture = Some((n, v.t_s, tex));
                }
            }
            if let Some((_, _, tex)) = &ins.texture {
                let (rect, resp) = ui.allocate_exact_size(egui::vec2(128.0, 128.0), egui::Sense::hover());
                let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                ui.painter().image(tex.id(), rect, uv, Color32::WHITE);
                resp.on_hover_text(
                    "Receptive field: this neuron's Input→E weight w from each input pixel (grey: no synapse).",
                );
            }
            ui.small(format!("Input→E w, 0–{vmax:.2} g_L"));
        });
        ui.vertical(|ui| {
            ui.strong(format!("incoming E→E at t = {:.1} s", v.t_s));
            egui::Grid::new("inspector_in").striped(true).show(ui, |ui| {
                for head in ["from", "synapses", "mean w", "mean w~"] {
                    ui.strong(head);
                }
                ui.end_row();
                for g in &v.incoming {
                    ui.label(&g.group);
                    ui.monospace(g.synapses.to_string());
                    ui.monospace(format!("{:.3}", g.w_mean));
                    ui.monospace(format!("{:.3}", g.wt_mean));
                    ui.end_row();
                }
            });
            ui.small("[g_L]; a source in two assemblies counts for both");
        });
    });
}
