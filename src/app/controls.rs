//! Toolbar (run/pause, step, speed, reset with seed, phase, presets) and the parameter panel
//! (mechanism toggles, live parameter edits with validation).

use std::path::PathBuf;
use std::sync::Arc;

use crate::bridge::{Command, DEFAULT_RUNAWAY_HZ, Level, PhaseChoice, Speed, Status, check_runaway_hz};
use crate::io::{atomic, preset};
use crate::sim::Params;
use crate::sim::params::PhaseName;

use super::AppState;
use super::dialog::FileChoice;

/// Speeds offered in the toolbar.
const SPEEDS: [(Speed, &str); 6] = [
    (Speed::Max, "max"),
    (Speed::Realtime(0.25), "0.25×"),
    (Speed::Realtime(0.5), "0.5×"),
    (Speed::Realtime(1.0), "1×"),
    (Speed::Realtime(2.0), "2×"),
    (Speed::Realtime(4.0), "4×"),
];

/// One editable number: its label, the preset field it maps to, and how to read/write it.
struct Field {
    label: &'static str,
    /// Dotted preset path, used in messages.
    path: &'static str,
    get: fn(&Params, PhaseName) -> f64,
    set: fn(&mut Params, PhaseName, f64),
    /// What it is, in one sentence with its unit.
    hint: &'static str,
}

/// The parameters that can be edited while the network runs. Stimulus and schedule fields
/// edit the phase being run (init when free running).
const FIELDS: [Field; 9] = [
    Field {
        label: "η learning rate",
        path: "plasticity.eta",
        get: |p, _| p.plasticity.eta,
        set: |p, _, v| p.plasticity.eta = v,
        hint: "Learning rate η of triplet STDP (dimensionless; 1e-3 by default)",
    },
    Field {
        label: "β heterosynaptic",
        path: "plasticity.beta",
        get: |p, _| p.plasticity.beta,
        set: |p, _, v| p.plasticity.beta = v,
        hint: "Strength β of heterosynaptic plasticity, which pulls w toward w~ when a neuron fires a lot",
    },
    Field {
        label: "δ transmitter-induced",
        path: "plasticity.delta",
        get: |p, _| p.plasticity.delta,
        set: |p, _, v| p.plasticity.delta = v,
        hint: "Potentiation δ of a synapse per presynaptic spike [g_L]",
    },
    Field {
        label: "background rate [Hz]",
        path: "input.background_hz",
        get: |p, _| p.input.background_hz,
        set: |p, _, v| p.input.background_hz = v,
        hint: "Poisson rate of every input unit outside a stimulus [Hz]",
    },
    Field {
        label: "stimulus rate [Hz]",
        path: "protocol.<phase>.stimulus_hz",
        get: |p, ph| p.protocol.phase(ph).stimulus_hz,
        set: |p, ph, v| phase_mut(p, ph).stimulus_hz = v,
        hint: "Poisson rate of the input units a stimulus drives [Hz]",
    },
    Field {
        label: "T_on [s]",
        path: "protocol.<phase>.t_on_s",
        get: |p, ph| p.protocol.phase(ph).t_on_s,
        set: |p, ph, v| phase_mut(p, ph).t_on_s = v,
        hint: "How long each scheduled stimulus is shown [s]",
    },
    Field {
        label: "T_off [s]",
        path: "protocol.<phase>.t_off_s",
        get: |p, ph| p.protocol.phase(ph).t_off_s,
        set: |p, ph, v| phase_mut(p, ph).t_off_s = v,
        hint: "Mean pause between scheduled stimuli [s]",
    },
    Field {
        label: "inhibitory target [Hz]",
        path: "inhibitory.target_rate_hz",
        get: |p, _| p.inhibitory.target_rate_hz,
        set: |p, _, v| p.inhibitory.target_rate_hz = v,
        hint: "E rate that inhibitory plasticity steers the network to [Hz]",
    },
    Field {
        label: "η_I inhibitory rate",
        path: "inhibitory.eta",
        get: |p, _| p.inhibitory.eta,
        set: |p, _, v| p.inhibitory.eta = v,
        hint: "Learning rate η_I of inhibitory plasticity on I→E synapses (dimensionless)",
    },
];

fn phase_mut(p: &mut Params, ph: PhaseName) -> &mut crate::sim::params::Phase {
    match ph {
        PhaseName::Init => &mut p.protocol.init,
        PhaseName::Learn => &mut p.protocol.learn,
        PhaseName::Recall => &mut p.protocol.recall,
    }
}

pub struct ControlsState {
    /// Parameters in force as last reported by the simulation (or as started).
    pub current: Arc<Params>,
    /// Text of each editable field.
    pub texts: Vec<String>,
    /// Validation message of the last edit, if refused here.
    pub edit_error: Option<String>,
    /// Seed for "Reset".
    pub seed: u64,
    pub running: bool,
    pub speed: Speed,
    pub phase: PhaseChoice,
    /// Path of the preset file last opened or saved, if any.
    pub preset_path: Option<std::path::PathBuf>,
    /// Text of the runaway-limit field [Hz].
    pub runaway_text: String,
    /// Runaway limit in force as last reported by the simulation [Hz].
    pub runaway_hz: f64,
}

/// File name extension of network-state snapshots.
pub const STATE_EXTENSION: &str = "engram";

impl ControlsState {
    pub fn new(params: &Params) -> Self {
        let current = Arc::new(params.clone());
        let phase = PhaseChoice::Phase(PhaseName::Init);
        ControlsState {
            texts: field_texts(&current, phase),
            current,
            edit_error: None,
            seed: params.seed,
            running: true,
            speed: Speed::Max,
            phase,
            preset_path: None,
            runaway_text: format!("{DEFAULT_RUNAWAY_HZ}"),
            runaway_hz: DEFAULT_RUNAWAY_HZ,
        }
    }

    /// Follows the simulation: parameters and run state as reported.
    pub fn ingest(&mut self, status: &Status) {
        self.running = status.running;
        self.speed = status.speed;
        if status.runaway_hz != self.runaway_hz {
            self.runaway_hz = status.runaway_hz;
            self.runaway_text = format!("{}", status.runaway_hz);
        }
        if !Arc::ptr_eq(&self.current, &status.params) && *self.current != *status.params || self.phase != status.phase
        {
            self.phase = status.phase;
            self.current = status.params.clone();
            self.texts = field_texts(&self.current, self.phase);
        } else {
            self.current = status.params.clone();
        }
    }

    fn edited_phase(&self) -> PhaseName {
        match self.phase {
            PhaseChoice::Phase(p) => p,
            PhaseChoice::Free => PhaseName::Init,
        }
    }

    /// Parses and validates the edited fields into a new parameter set; the error names the
    /// field.
    pub fn parse_edits(&self) -> Result<Params, String> {
        let ph = self.edited_phase();
        let mut p = (*self.current).clone();
        for (f, text) in FIELDS.iter().zip(&self.texts) {
            let path = f.path.replace("<phase>", ph.as_str());
            let v: f64 = text.trim().parse().map_err(|_| format!("`{path}`: `{}` is not a number", text.trim()))?;
            (f.set)(&mut p, ph, v);
        }
        p.validate().map_err(|e| e.to_string())?;
        Ok(p)
    }

    /// Parses and checks the runaway-limit field.
    pub fn parse_runaway(&self) -> Result<f64, String> {
        let text = self.runaway_text.trim();
        let hz: f64 = text.parse().map_err(|_| format!("runaway limit: `{text}` is not a number"))?;
        check_runaway_hz(hz).map_err(|e| e.to_string())
    }
}

fn field_texts(p: &Params, phase: PhaseChoice) -> Vec<String> {
    let ph = match phase {
        PhaseChoice::Phase(p) => p,
        PhaseChoice::Free => PhaseName::Init,
    };
    FIELDS.iter().map(|f| format!("{}", (f.get)(p, ph))).collect()
}

/// The toolbar across the top of the window.
pub fn toolbar(ui: &mut egui::Ui, state: &mut AppState) {
    ui.horizontal_wrapped(|ui| {
        let c = &mut state.controls;
        let (label, cmd) = if c.running { ("Pause", Command::Pause) } else { ("Run", Command::Run) };
        let toggle = ui.button(label).on_hover_text("Run or pause the simulation (Space)").clicked()
            || ui.input(|i| i.key_pressed(egui::Key::Space)) && !ui.ctx().egui_wants_keyboard_input();
        if toggle {
            c.running = !c.running;
            state.outbox.push(cmd);
        }
        let c = &mut state.controls;
        let step = ui.add_enabled(!c.running, egui::Button::new("Step")).on_hover_text("advance 10 ms of model time");
        if step.clicked() {
            state.outbox.push(Command::Step { ms: 10 });
        }
        ui.separator();
        let label = ui.label("Speed").on_hover_text("How fast model time runs: max, or a multiple of real time");
        let c = &mut state.controls;
        let current = SPEEDS.iter().find(|(s, _)| *s == c.speed).map_or("custom", |(_, l)| l);
        let mut chosen = None;
        egui::ComboBox::from_id_salt("speed")
            .selected_text(current)
            .show_ui(ui, |ui| {
                for (s, l) in SPEEDS {
                    if ui.selectable_label(c.speed == s, l).clicked() {
                        chosen = Some(s);
                    }
                }
            })
            .response
            .labelled_by(label.id);
        if let Some(s) = chosen {
            c.speed = s;
            state.outbox.push(Command::SetSpeed(s));
        }
        ui.separator();
        let label = ui.label("Phase").on_hover_text(
            "Protocol phase: init (shapes for 1 s), learn (short shapes), recall (partial cues) or free (only what \
             you present)",
        );
        let c = &mut state.controls;
        let mut chosen = None;
        egui::ComboBox::from_id_salt("phase")
            .selected_text(c.phase.label())
            .show_ui(ui, |ui| {
                for p in PhaseChoice::ALL {
                    if ui.selectable_label(c.phase == p, p.label()).clicked() {
                        chosen = Some(p);
                    }
                }
            })
            .response
            .labelled_by(label.id);
        if let Some(p) = chosen {
            c.phase = p;
            c.texts = field_texts(&c.current, p);
            state.outbox.push(Command::StartPhase(p));
        }
        ui.separator();
        let label = ui.label("Seed").on_hover_text("Seed of every random number (connectivity, input); used by Reset");
        let c = &mut state.controls;
        ui.add(egui::DragValue::new(&mut c.seed)).labelled_by(label.id).on_hover_text("Seed for Reset");
        if ui.button("Reset").on_hover_text("Rebuild the network with this seed").clicked() {
            let mut p = (*c.current).clone();
            p.seed = c.seed;
            state.outbox.push(Command::Reset(Box::new(p)));
        }
        ui.separator();
        // Short labels keep the toolbar on one row at 1280 px.
        ui.label(&state.controls.current.name).on_hover_text("the preset in use");
        if ui.button("Open preset…").on_hover_text("Rebuild the network from a preset TOML file").clicked() {
            super::dialog::ask(state, &FileChoice::OpenPreset);
        }
        if ui.button("Save preset…").on_hover_text("Save the parameters in force as a preset TOML file").clicked() {
            let name = format!("{}.toml", state.controls.current.name);
            super::dialog::ask(state, &FileChoice::SavePreset(name));
        }
        ui.separator();
        state_buttons(ui, state);
        ui.separator();
        super::export::menus(ui, state);
        ui.separator();
        teaching_buttons(ui, state);
    });
}

/// Save state… and Open state… with their shortcuts.
fn state_buttons(ui: &mut egui::Ui, state: &mut AppState) {
    let (save_key, open_key) = (
        egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::S),
        egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O),
    );
    let save = ui
        .button("Save state…")
        .on_hover_text(format!("Save the whole network state ({})", ui.ctx().format_shortcut(&save_key)))
        .clicked()
        || ui.input_mut(|i| i.consume_shortcut(&save_key));
    if save {
        super::dialog::ask(state, &FileChoice::SaveState);
    }
    let open = ui
        .button("Open state…")
        .on_hover_text(format!("Continue from a saved network state ({})", ui.ctx().format_shortcut(&open_key)))
        .clicked()
        || ui.input_mut(|i| i.consume_shortcut(&open_key));
    if open {
        super::dialog::ask(state, &FileChoice::OpenState);
    }
}

/// Trained network, Lesson, presentation mode, theme and Help.
fn teaching_buttons(ui: &mut egui::Ui, state: &mut AppState) {
    let busy = state.training.progress.is_some();
    let trained = ui
        .add_enabled(!busy, egui::Button::new("Trained network"))
        .on_hover_text(
            "Load the network trained through phase 1 for this preset and seed (T): from the cache at once, or \
             trained now on every core and cached",
        )
        .on_disabled_hover_text("Training is under way");
    if trained.clicked() {
        state.training.requested = true;
    }
    if ui.selectable_label(state.lesson.open, "Lesson").on_hover_text("Show or hide the guided lesson (L)").clicked() {
        state.lesson.open = !state.lesson.open;
    }
    let v = &mut state.view.settings;
    if ui
        .selectable_label(v.presentation, "Present")
        .on_hover_text("Presentation mode (F5): everything 1.5× larger, for a projector")
        .clicked()
    {
        v.presentation = !v.presentation;
    }
    let theme = if v.light { "Dark" } else { "Light" };
    if ui.button(theme).on_hover_text("Switch between the light and the dark theme (F6)").clicked() {
        v.light = !v.light;
    }
    if ui.button("?").on_hover_text("Every keyboard shortcut (?)").clicked() {
        state.view.help_open = !state.view.help_open;
    }
}

/// Asks the simulation to save its state to `path` (it reports success or failure).
pub fn save_state(state: &mut AppState, path: PathBuf) {
    state.outbox.push(Command::SaveSnapshot(path));
}

/// Asks the simulation to continue from the state in `path`; a bad file changes nothing there
/// and is reported in the status bar.
pub fn open_state(state: &mut AppState, path: PathBuf) {
    state.outbox.push(Command::LoadSnapshot(path));
}

/// Loads a preset file and rebuilds the network from it; a bad file leaves everything as is.
pub fn open_preset(state: &mut AppState, path: &std::path::Path) {
    match preset::load_preset(&path.display().to_string()) {
        Ok(p) => {
            state.controls.seed = p.seed;
            state.controls.preset_path = Some(path.to_path_buf());
            state.set_ui_message(Level::Info, format!("opened {}", path.display()));
            state.outbox.push(Command::Reset(Box::new(p)));
        }
        Err(e) => state.set_ui_message(Level::Error, e.to_string()),
    }
}

/// Saves the parameters in force as a preset file (atomically: a failed save keeps the old file).
pub fn save_preset(state: &mut AppState, path: &std::path::Path) {
    let result = preset::to_toml(&state.controls.current)
        .and_then(|text| atomic::atomic_write(path, |w| w.write_all(text.as_bytes())));
    match result {
        Ok(()) => {
            state.controls.preset_path = Some(path.to_path_buf());
            state.set_ui_message(Level::Info, format!("saved {}", path.display()));
        }
        Err(e) => state.set_ui_message(Level::Error, e.to_string()),
    }
}

/// The parameter panel: mechanism switches and live edits.
pub fn parameters(ui: &mut egui::Ui, state: &mut AppState) {
    ui.heading("Mechanisms");
    let c = &mut state.controls;
    let mut m = c.current.mechanisms.clone();
    let mut changed = false;
    for (label, flag, hint) in [
        ("all plasticity", &mut m.plasticity, "Every weight change and consolidation"),
        ("triplet STDP", &mut m.stdp, "Triplet LTP and pair LTD (η)"),
        ("heterosynaptic", &mut m.heterosynaptic, "Pull of w toward w~ at high postsynaptic rates (β)"),
        ("transmitter-induced", &mut m.transmitter, "Potentiation δ per presynaptic spike"),
        ("consolidation", &mut m.consolidation, "Bistable drift of w~ toward w, every 1.2 s"),
        ("inhibitory plasticity", &mut m.inhibitory, "Globally modulated I→E rule"),
        ("short-term plasticity", &mut m.stp, "Tsodyks–Markram depression/facilitation"),
    ] {
        changed |= ui.checkbox(flag, label).on_hover_text(hint).changed();
    }
    if changed {
        let mut p = (*c.current).clone();
        p.mechanisms = m;
        c.current = Arc::new(p.clone());
        state.outbox.push(Command::SetParams(Box::new(p)));
    }
    ui.separator();
    ui.heading("Parameters");
    let c = &mut state.controls;
    let phase_note = match c.phase {
        PhaseChoice::Phase(p) => format!("stimulus fields edit phase {}", p.as_str()),
        PhaseChoice::Free => "stimulus fields edit phase init".into(),
    };
    ui.small(phase_note);
    egui::Grid::new("params").num_columns(2).striped(true).show(ui, |ui| {
        for (f, text) in FIELDS.iter().zip(c.texts.iter_mut()) {
            let label = ui.label(f.label).on_hover_text(f.hint);
            ui.add(egui::TextEdit::singleline(text).desired_width(90.0)).labelled_by(label.id).on_hover_text(f.hint);
            ui.end_row();
        }
    });
    ui.horizontal(|ui| {
        let c = &mut state.controls;
        if ui.button("Apply").on_hover_text("Send the edited parameters to the running network").clicked() {
            match c.parse_edits() {
                Ok(p) => {
                    c.edit_error = None;
                    c.current = Arc::new(p.clone());
                    state.outbox.push(Command::SetParams(Box::new(p)));
                }
                Err(e) => c.edit_error = Some(e),
            }
        }
        let c = &mut state.controls;
        if ui.button("Revert").on_hover_text("Show the parameters in force again").clicked() {
            c.texts = field_texts(&c.current, c.phase);
            c.edit_error = None;
        }
    });
    ui.separator();
    ui.horizontal(|ui| {
        let c = &mut state.controls;
        let label = ui.label("runaway limit [Hz]").on_hover_text(
            "A population rate above this in a 100 ms bin pauses the simulation (as does a NaN or infinity anywhere \
             in the state)",
        );
        ui.add(egui::TextEdit::singleline(&mut c.runaway_text).desired_width(60.0)).labelled_by(label.id);
        if ui.button("Set").on_hover_text("Use this runaway limit [Hz]").clicked() {
            match c.parse_runaway() {
                Ok(hz) => {
                    c.edit_error = None;
                    state.outbox.push(Command::SetRunawayLimit(hz));
                }
                Err(e) => c.edit_error = Some(e),
            }
        }
    });
    if let Some(e) = &state.controls.edit_error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    ui.separator();
    let p = &state.controls.current;
    ui.small(format!(
        "{} · rule {:?} · p = {} · ξ = {} · N_E = {}",
        p.name, p.plasticity.rule, p.network.p_conn, p.network.xi, p.network.n_e
    ));
}
