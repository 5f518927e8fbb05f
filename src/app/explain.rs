//! "Why did these weights change?": a window that explains the change of a set of E→E weights
//! — a block between two assemblies, or one neuron's inputs — by mechanism since the moment of
//! selection. The simulation books every change of w by term of the rule (the mechanism ledger,
//! `Command::Explain`); this window stacks the terms over time and says what happened in one
//! sentence.

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::state::AppState;
use crate::bridge::{Command, Explaining, Frame};
use crate::sim::network::{LedgerSample, Term};
use crate::sim::params::STEPS_PER_SECOND;
use crate::sim::probe::WeightSelection;

/// Samples kept (0.1 s apart: 100 model minutes); beyond that every other old one is dropped.
const MAX_SAMPLES: usize = 60_000;

#[derive(Default)]
pub struct ExplainState {
    pub open: bool,
    /// The block chosen in the window's selectors: (pre group, post group).
    pub block: (usize, usize),
    /// The synapse chosen in the window's fields: (pre, post) E neurons.
    pub synapse: (u32, u32),
    /// The selection the samples belong to.
    pub explaining: Option<std::sync::Arc<Explaining>>,
    /// Totals since selection, oldest first.
    pub samples: Vec<LedgerSample>,
}

impl ExplainState {
    /// Takes in a frame's ledger samples; a new selection (or none) starts over.
    pub fn ingest(&mut self, frame: &Frame) {
        let now = &frame.status.explaining;
        if now.as_deref() != self.explaining.as_deref() {
            self.explaining.clone_from(now);
            self.samples.clear();
        }
        if self.explaining.is_some() {
            self.samples.extend_from_slice(&frame.ledger);
            if self.samples.len() > MAX_SAMPLES {
                let half = self.samples.len() / 2;
                let mut k = 0;
                self.samples.retain(|_| {
                    k += 1;
                    k > half || k % 2 == 0
                });
            }
        }
    }

    /// Asks the simulation to explain `sel` and opens the window.
    pub fn explain(&mut self, sel: WeightSelection, outbox: &mut Vec<Command>) {
        self.open = true;
        outbox.push(Command::Explain(Some(sel)));
    }
}

/// The terms as the summary and the plot name them, in stacking order.
const SHOWN: [Term; 6] = [Term::Ltp, Term::Transmitter, Term::Ltd, Term::Hetero, Term::Bounds, Term::External];

/// "since t = 120.0 s, circle → circle (9812 synapses) gained +0.620 per synapse: LTP +1.900,
/// LTD −0.700, …; w̃ +0.310 by consolidation". Terms that stayed below 10⁻⁶ are left out.
pub fn summary(e: &Explaining, s: &LedgerSample) -> String {
    let n = e.synapses.max(1) as f64;
    let mean = |v: f64| v / n;
    let dw = mean(s.dw);
    let verb = if dw >= 0.0 { "gained" } else { "lost" };
    let terms: Vec<String> = SHOWN
        .iter()
        .filter(|t| mean(s.terms[t.index()]).abs() >= 1e-6)
        .map(|t| format!("{} {:+.4}", t.label(), mean(s.terms[t.index()])))
        .collect();
    let terms = if terms.is_empty() { "no plastic change".to_string() } else { terms.join(", ") };
    format!(
        "since t = {:.1} s, {} ({} synapses) {verb} {:+.4} g_L per synapse: {terms}; w̃ {:+.4} by consolidation",
        e.start_s,
        e.name,
        e.synapses,
        dw,
        mean(s.consolidation),
    )
}

/// The window, while open.
pub fn show(ctx: &egui::Context, state: &mut AppState) {
    if !state.explain.open {
        return;
    }
    let mut open = true;
    let groups: Vec<String> = state.snapshot.as_ref().map(|v| v.groups.clone()).unwrap_or_default();
    let inspected = state.inspector.selected;
    let n_e = state.controls.current.network.n_e;
    egui::Window::new("Why did these weights change?")
        .id(egui::Id::unique("explain_window"))
        .open(&mut open)
        .default_width(520.0)
        .resizable(true)
        .show(ctx, |ui| {
            let AppState { explain, outbox, .. } = state;
            ui.horizontal_wrapped(|ui| {
                let mut label = ui.label("E→E block from").id;
                for (k, id) in [(0, "explain_pre"), (1, "explain_post")] {
                    let g = if k == 0 { &mut explain.block.0 } else { &mut explain.block.1 };
                    *g = (*g).min(groups.len().saturating_sub(1));
                    egui::ComboBox::from_id_salt(id)
                        .selected_text(groups.get(*g).cloned().unwrap_or_else(|| "—".into()))
                        .show_ui(ui, |ui| {
                            for (n, name) in groups.iter().enumerate() {
                                ui.selectable_value(g, n, name);
                            }
                        })
                        .response
                        .labelled_by(label)
                        .on_hover_text(if k == 0 { "Presynaptic group" } else { "Postsynaptic group" });
                    if k == 0 {
                        label = ui.label("to").id;
                    }
                }
                let (pre, post) = explain.block;
                if ui
                    .add_enabled(!groups.is_empty(), egui::Button::new("Explain block"))
                    .on_hover_text("Book every change of these synapses' w by mechanism from now on")
                    .clicked()
                {
                    explain.explain(WeightSelection::Block { pre, post }, outbox);
                }
                if let Some(n) = inspected
                    && ui
                        .button(format!("Inputs of E {n}"))
                        .on_hover_text("Explain the E→E synapses onto the neuron in the inspector")
                        .clicked()
                {
                    explain.explain(WeightSelection::Inputs { post: n }, outbox);
                }
                if explain.explaining.is_some() && ui.button("Stop").on_hover_text("Stop booking").clicked() {
                    outbox.push(Command::Explain(None));
                }
            });
            ui.horizontal(|ui| {
                let n_e = n_e.saturating_sub(1) as u32;
                let label = ui.label("one synapse from E").id;
                ui.add(egui::DragValue::new(&mut explain.synapse.0).range(0..=n_e)).labelled_by(label);
                let label = ui.label("to E").id;
                ui.add(egui::DragValue::new(&mut explain.synapse.1).range(0..=n_e)).labelled_by(label);
                let (pre, post) = explain.synapse;
                if ui.button("Explain synapse").on_hover_text("Book this one E→E synapse (if it exists)").clicked() {
                    explain.explain(WeightSelection::Synapse { pre, post }, outbox);
                }
            });
            let Some(e) = explain.explaining.clone() else {
                ui.weak(
                    "Choose a block of the weight matrix (or the inspected neuron's inputs): from then on every change \
                     of their w is booked by the term of the plasticity rule that made it.",
                );
                return;
            };
            match explain.samples.last() {
                Some(s) => ui.label(summary(&e, s)),
                None => ui.weak(format!("{}: booking since t = {:.1} s …", e.name, e.start_s)),
            };
            plot(ui, &e, &explain.samples);
            ui.small(
                "Mean change per synapse [g_L] since selection, stacked: gains above zero (LTP, transmitter-induced), \
                 losses below (LTD with P11's homeostatic factor, heterosynaptic); the white line is the change of w \
                 read from the network, which the terms sum to. Bounds: clipping at 0 and w_max.",
            );
        });
    if !open {
        state.explain.open = false;
    }
}

/// The stacked plot of the terms' cumulative means and the measured change of w.
fn plot(ui: &mut egui::Ui, e: &Explaining, samples: &[LedgerSample]) {
    let n = e.synapses.max(1) as f64;
    let t = |s: &LedgerSample| s.step as f64 / STEPS_PER_SECOND as f64;
    let colour = |term: Term| match term {
        Term::Ltp => egui::Color32::from_rgb(230, 120, 40),
        Term::Transmitter => egui::Color32::from_rgb(230, 200, 60),
        Term::Ltd => egui::Color32::from_rgb(60, 140, 230),
        Term::Hetero => egui::Color32::from_rgb(150, 90, 220),
        Term::Bounds => egui::Color32::GRAY,
        Term::External => egui::Color32::from_rgb(200, 60, 60),
    };
    let strong = ui.visuals().strong_text_color();
    Plot::new("explain_plot").height(220.0).legend(Legend::default()).y_axis_label("Δw per synapse [g_L]").show(
        ui,
        |p| {
            // Stack gains upward and losses downward: each band's top line is the running sum of
            // the terms up to it, filled to zero, drawn outermost first so inner bands cover it.
            for sign in [1.0, -1.0] {
                let terms: Vec<Term> = SHOWN[..4]
                    .iter()
                    .copied()
                    .filter(|term| samples.iter().any(|s| s.terms[term.index()] * sign > 0.0))
                    .collect();
                for k in (0..terms.len()).rev() {
                    let pts: Vec<[f64; 2]> = samples
                        .iter()
                        .map(|s| {
                            let v: f64 = terms[..=k].iter().map(|term| s.terms[term.index()]).sum();
                            [t(s), v / n]
                        })
                        .collect();
                    let c = colour(terms[k]);
                    p.line(Line::new(terms[k].label(), PlotPoints::from(pts)).color(c).fill(0.0).fill_alpha(0.6));
                }
            }
            for term in [Term::Bounds, Term::External] {
                if samples.iter().any(|s| s.terms[term.index()].abs() / n >= 1e-6) {
                    let pts: Vec<[f64; 2]> = samples.iter().map(|s| [t(s), s.terms[term.index()] / n]).collect();
                    p.line(Line::new(term.label(), PlotPoints::from(pts)).color(colour(term)));
                }
            }
            let dw: Vec<[f64; 2]> = samples.iter().map(|s| [t(s), s.dw / n]).collect();
            p.line(Line::new("Δw", PlotPoints::from(dw)).color(strong).width(2.0));
            let cons: Vec<[f64; 2]> = samples.iter().map(|s| [t(s), s.consolidation / n]).collect();
            p.line(Line::new("Δw̃ (consolidation)", PlotPoints::from(cons)).style(egui_plot::LineStyle::dashed_dense()));
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reports_means_per_synapse_and_skips_silent_terms() {
        let e = Explaining {
            selection: WeightSelection::Block { pre: 0, post: 0 },
            name: "circle → circle".into(),
            synapses: 100,
            start_s: 120.0,
        };
        let s = LedgerSample { step: 0, terms: [190.0, -70.0, -60.0, 2.0, 0.0, 0.0], consolidation: 31.0, dw: 62.0 };
        assert_eq!(
            summary(&e, &s),
            "since t = 120.0 s, circle → circle (100 synapses) gained +0.6200 g_L per synapse: LTP +1.9000, \
             transmitter +0.0200, LTD -0.7000, heterosynaptic -0.6000; w̃ +0.3100 by consolidation"
        );
    }
}
