//! Fork a control, side by side: the network is copied as it is now and the copy runs next to
//! it on the same input with one change — a mechanism switched off, or the edited parameters
//! (`Command::Fork`). While a fork runs, the central area shows the original and the fork in
//! two columns, each with its raster, rates and weights, and names the difference.

use std::sync::Arc;

use super::raster::RasterState;
use super::rates::RatesState;
use super::state::AppState;
use super::weights::WeightsState;
use super::{raster, rates, weights};
use crate::bridge::{Command, ForkInfo, ForkSpec, Frame, Status};
use crate::sim::Params;
use crate::sim::views::WeightView;

/// A change of the parameters.
pub type Change = fn(&mut Params);

/// The changes a fork can make with one click: (name, how).
pub const CHANGES: [(&str, Change); 7] = [
    ("heterosynaptic plasticity off", |p| p.mechanisms.heterosynaptic = false),
    ("transmitter-induced plasticity off", |p| p.mechanisms.transmitter = false),
    ("triplet STDP off", |p| p.mechanisms.stdp = false),
    ("consolidation off", |p| p.mechanisms.consolidation = false),
    ("inhibitory plasticity off", |p| p.mechanisms.inhibitory = false),
    ("short-term plasticity off", |p| p.mechanisms.stp = false),
    ("no change", |_| {}),
];

/// The fork's panels: the same kinds as the original's, fed from [`Frame::fork`].
pub struct ForkPanels {
    pub info: Arc<ForkInfo>,
    pub raster: RasterState,
    pub rates: RatesState,
    pub weights: WeightsState,
    pub snapshot: Option<Arc<WeightView>>,
    /// The fork's status as of its newest frame.
    pub status: Option<Status>,
}

#[derive(Default)]
pub struct ForkState {
    /// Index into [`CHANGES`], or `CHANGES.len()` for the edited parameters.
    pub choice: usize,
    /// The running fork's panels, if one runs.
    pub panels: Option<ForkPanels>,
}

impl ForkState {
    /// Follows the status (a fork started, replaced or ended) and takes in the fork's events.
    pub fn ingest(&mut self, frame: &Frame) {
        let Some(info) = &frame.status.fork else {
            self.panels = None;
            return;
        };
        if self.panels.as_ref().is_none_or(|p| p.info != *info) {
            let n = &frame.status.params.network;
            self.panels = Some(ForkPanels {
                info: info.clone(),
                raster: RasterState::new(n.n_e, n.n_i),
                rates: RatesState::default(),
                weights: WeightsState::default(),
                snapshot: None,
                status: None,
            });
        }
        if let (Some(p), Some(ff)) = (self.panels.as_mut(), frame.fork.as_deref()) {
            p.raster.ingest(ff, p.snapshot.as_deref());
            p.rates.ingest(ff);
            p.status = Some(ff.status.clone());
        }
    }

    /// Takes the fork's part of a new weight view.
    pub fn take_view(&mut self, view: &WeightView) {
        if let (Some(p), Some(f)) = (self.panels.as_mut(), &view.fork) {
            p.snapshot = Some(f.clone());
        }
    }
}

/// The fork's controls (in the parameters panel): the change, Fork, and End fork.
pub fn controls(ui: &mut egui::Ui, state: &mut AppState) {
    ui.heading("Fork a control");
    ui.small("Copy the network now and run the copy beside it on the same input, with one change:");
    let f = &mut state.fork;
    let edited = "the edited parameters";
    let name = |k: usize| CHANGES.get(k).map_or(edited, |c| c.0);
    ui.horizontal(|ui| {
        let label = ui.label("change");
        egui::ComboBox::from_id_salt("fork_change")
            .selected_text(name(f.choice))
            .width(200.0)
            .show_ui(ui, |ui| {
                for k in 0..=CHANGES.len() {
                    ui.selectable_value(&mut f.choice, k, name(k));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("What the fork changes: a mechanism switched off, or the parameters edited below");
    });
    ui.horizontal(|ui| {
        let running = state.fork.panels.is_some();
        if ui
            .button(if running { "Fork again" } else { "Fork" })
            .on_hover_text("Start the control from the network as it is now (replaces a running fork)")
            .clicked()
        {
            let base = &state.controls.current;
            let spec = match CHANGES.get(state.fork.choice) {
                Some((change, how)) => {
                    let mut p = (**base).clone();
                    how(&mut p);
                    Ok(ForkSpec { params: Box::new(p), change: (*change).to_string() })
                }
                None => state
                    .controls
                    .parse_edits()
                    .map(|p| ForkSpec { change: describe_edits(base, &p), params: Box::new(p) }),
            };
            match spec {
                Ok(spec) => state.outbox.push(Command::Fork(Some(spec))),
                Err(e) => state.controls.edit_error = Some(e),
            }
        }
        if running && ui.button("End fork").on_hover_text("Stop the control and show the original alone").clicked() {
            state.outbox.push(Command::Fork(None));
        }
    });
}

/// The parameters in which `p` differs from `base`, in words ("no change" if none).
pub fn describe_edits(base: &Params, p: &Params) -> String {
    let (a, b) = (toml::Value::try_from(base), toml::Value::try_from(p));
    let mut diffs = Vec::new();
    if let (Ok(toml::Value::Table(a)), Ok(toml::Value::Table(b))) = (a, b) {
        diff_tables("", &a, &b, &mut diffs);
    }
    if diffs.is_empty() { "no change".into() } else { diffs.join(", ") }
}

fn diff_tables(prefix: &str, a: &toml::Table, b: &toml::Table, out: &mut Vec<String>) {
    for (k, vb) in b {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match (a.get(k), vb) {
            (Some(toml::Value::Table(ta)), toml::Value::Table(tb)) => diff_tables(&key, ta, tb, out),
            (Some(va), vb) if va == vb => {}
            (_, vb) => out.push(format!("{key} = {vb}")),
        }
    }
}

/// One line comparing the two sides (original vs fork): population rates and each assembly's
/// mean recurrent w.
fn comparison(original: (&Option<Status>, Option<&WeightView>), fork: &ForkPanels) -> String {
    let rate = |s: &Option<Status>| s.as_ref().map_or(f64::NAN, |s| s.e_hz);
    let mut parts = vec![format!("original vs fork: E {:.1} vs {:.1} Hz", rate(original.0), rate(&fork.status))];
    if let (Some(a), Some(b)) = (original.1, fork.snapshot.as_deref()) {
        let k = a.groups.len();
        for (g, name) in a.groups.iter().enumerate().take(k.saturating_sub(1)) {
            if b.groups.get(g) == Some(name) && a.group_w.len() == k * k && b.group_w.len() == k * k {
                parts.push(format!("{name}→{name} w {:.2} vs {:.2}", a.group_w[g * k + g], b.group_w[g * k + g]));
            }
        }
    }
    parts.join(" · ")
}

/// The original's column header.
pub fn original_header(ui: &mut egui::Ui) {
    ui.strong("Original");
}

/// The fork's column: its name and the comparison, then its raster, rates and weights.
pub fn side(ui: &mut egui::Ui, state: &mut AppState, heights: (f32, f32)) {
    let snap = state.snapshot.clone();
    let AppState { fork, status, .. } = state;
    let Some(p) = fork.panels.as_mut() else { return };
    // One line, as the original's header, so that both columns' panels line up.
    ui.horizontal(|ui| {
        ui.strong(format!("Fork: {} (since t = {:.1} s)", p.info.change, p.info.start_s))
            .on_hover_text("A copy of the network made at that moment, running on the same input with this one change");
        let text = comparison((status, snap.as_deref()), p);
        ui.add(egui::Label::new(egui::RichText::new(&text).weak()).truncate()).on_hover_text(text);
    });
    ui.push_id("fork_side", |ui| {
        let assemblies = p.status.as_ref().map(|s| s.assemblies.clone()).unwrap_or_default();
        raster::draw(ui, &mut p.raster, &assemblies, heights.0);
        rates::draw(ui, &mut p.rates, &assemblies, heights.1);
        // The fork's neurons are not inspected: clicks on its matrices select nothing.
        let _ = weights::draw(ui, &mut p.weights, p.snapshot.as_ref());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_described_by_their_fields() {
        let base = crate::io::preset::default_params();
        let mut p = base.clone();
        assert_eq!(describe_edits(&base, &p), "no change");
        p.plasticity.beta = 0.01;
        p.mechanisms.stp = false;
        let d = describe_edits(&base, &p);
        assert!(d.contains("plasticity.beta = 0.01") && d.contains("mechanisms.stp = false"), "{d}");
    }
}
