//! The Lesson panel: walks a class through a lesson ([`crate::io::lesson`]) step by step —
//! the step's text, its panel framed in colour, its one action button, and its condition,
//! checked every frame against what the window knows (status, scored cues). When the condition
//! holds the panel moves on, or pauses the simulation and waits for Next so the teacher can
//! talk.

use std::path::Path;
use std::sync::Arc;

use egui::{Color32, Rect, Stroke, StrokeKind};

use crate::bridge::{Command, Level, PhaseChoice};
use crate::io::lesson::{self, Action, Condition, Lesson, Panel, Quantity};
use crate::sim::ablation;

use super::AppState;

/// Colour of the frame around the step's panel (visible on dark and light backgrounds).
pub const HIGHLIGHT: Color32 = Color32::from_rgb(255, 60, 200);

pub struct LessonState {
    pub lesson: Lesson,
    /// Index of the current step.
    pub step: usize,
    /// Shown in the window (the toolbar's Lesson button toggles it).
    pub open: bool,
    /// The current step's condition has held: the simulation was paused and Next is awaited.
    pub done: bool,
    /// Model time when the step began [s] (set by the first status seen in it).
    step_start_s: Option<f64>,
    /// Cues scored and recalls when the step began.
    cues_at_start: u64,
    recalls_at_start: u64,
    /// The last lesson file that failed to load, with why (shown in the panel).
    pub error: Option<String>,
}

impl LessonState {
    pub fn new(lesson: Lesson) -> Self {
        LessonState {
            lesson,
            step: 0,
            open: false,
            done: false,
            step_start_s: None,
            cues_at_start: 0,
            recalls_at_start: 0,
            error: None,
        }
    }

    /// The built-in lesson; if it could not be parsed (a build with a broken asset; a test
    /// checks it does parse), a one-step lesson saying so.
    pub fn builtin() -> Self {
        match lesson::default_lesson() {
            Ok(l) => Self::new(l),
            Err(e) => {
                let mut s = Self::new(Lesson { title: "no lesson".into(), steps: Vec::new(), source: String::new() });
                s.error = Some(e.to_string());
                s
            }
        }
    }

    pub fn current(&self) -> Option<&lesson::Step> {
        self.lesson.steps.get(self.step)
    }

    /// The panel the current step points at, while the lesson is open.
    pub fn highlighted(&self) -> Option<Panel> {
        if self.open { self.current().and_then(|s| s.panel) } else { None }
    }

    /// Goes to step `k` (clamped), with a fresh start for its condition.
    pub fn go_to(&mut self, k: usize, cues: u64, recalls: u64) {
        self.step = k.min(self.lesson.steps.len().saturating_sub(1));
        self.done = false;
        self.step_start_s = None;
        self.cues_at_start = cues;
        self.recalls_at_start = recalls;
    }
}

/// Replaces the lesson by the file at `path`; a bad file is reported (file and line) and the
/// current lesson stays.
pub fn open_lesson(state: &mut AppState, path: &Path) {
    match lesson::load_lesson(path) {
        Ok(l) => {
            let n = l.steps.len();
            state.lesson.lesson = l;
            state.lesson.error = None;
            state.lesson.open = true;
            let (c, r) = (state.recall.cues, state.recall.recalls);
            state.lesson.go_to(0, c, r);
            state.set_ui_message(Level::Info, format!("lesson of {n} steps opened from {}", path.display()));
        }
        Err(e) => {
            state.lesson.error = Some(format!("lesson not opened: {e}"));
            state.set_ui_message(Level::Error, format!("lesson not opened: {e}"));
        }
    }
}

/// Whether `cond` holds now.
pub fn holds(state: &AppState, cond: &Condition) -> bool {
    let l = &state.lesson;
    let Some(s) = &state.status else { return false };
    match cond {
        Condition::Manual => false,
        Condition::Recall => state.recall.recalls > l.recalls_at_start,
        Condition::Cue => state.recall.cues > l.cues_at_start,
        Condition::Paused => !s.running,
        Condition::Running => s.running,
        Condition::Compare(q, cmp, v) => {
            let x = match q {
                Quantity::Assemblies => s.assemblies.iter().filter(|a| !a.is_empty()).count() as f64,
                Quantity::ModelTime => s.t_s,
                Quantity::StepTime => s.t_s - l.step_start_s.unwrap_or(s.t_s),
                Quantity::RateE => s.e_hz,
                Quantity::RateI => s.i_hz,
            };
            x.is_finite() && cmp.holds(x, *v)
        }
    }
}

/// Checks the current step's condition (call once per frame): moves on, or pauses and waits.
pub fn advance(state: &mut AppState) {
    if !state.lesson.open || state.lesson.done {
        return;
    }
    if state.lesson.step_start_s.is_none() {
        state.lesson.step_start_s = state.status.as_ref().map(|s| s.t_s);
    }
    let Some(step) = state.lesson.current().cloned() else { return };
    if !holds(state, &step.advance) {
        return;
    }
    if step.pause {
        state.lesson.done = true;
        if state.controls.running {
            state.controls.running = false;
            state.send(Command::Pause);
        }
    } else if state.lesson.step + 1 < state.lesson.lesson.steps.len() {
        let (c, r) = (state.recall.cues, state.recall.recalls);
        state.lesson.go_to(state.lesson.step + 1, c, r);
    } else {
        state.lesson.done = true;
    }
}

/// Carries out a step's action: the same commands the window's own controls send.
pub fn act(state: &mut AppState, action: &Action) {
    match action {
        Action::None => {}
        Action::Run => {
            state.controls.running = true;
            state.send(Command::Run);
        }
        Action::Pause => {
            state.controls.running = false;
            state.send(Command::Pause);
        }
        Action::Phase(p) => {
            let p = p.map_or(PhaseChoice::Free, PhaseChoice::Phase);
            state.controls.phase = p;
            state.send(Command::StartPhase(p));
            state.controls.running = true;
            state.send(Command::Run);
        }
        Action::Present(name) => {
            let cmd = state
                .gallery
                .entries()
                .find(|e| e.pattern.name == *name)
                .map(|e| state.gallery.present(&e.pattern, e.kind));
            match cmd {
                Some(c) => {
                    state.send(c);
                    if !state.controls.running {
                        state.controls.running = true;
                        state.send(Command::Run);
                    }
                }
                None => state.set_ui_message(Level::Error, format!("the gallery has no pattern `{name}`")),
            }
        }
        Action::Trained => state.training.requested = true,
        Action::Ablate(m) | Action::Restore(m) => {
            let mut p = (*state.controls.current).clone();
            let on = matches!(action, Action::Restore(_));
            if let Err(e) = ablation::set_mechanism(&mut p.mechanisms, m, on) {
                state.set_ui_message(Level::Error, e.to_string());
                return;
            }
            state.controls.current = Arc::new(p.clone());
            state.send(Command::SetParams(Box::new(p)));
            if !on && !state.controls.running {
                state.controls.running = true;
                state.send(Command::Run);
            }
        }
    }
}

/// The panel: title, step k of n, text, action, what moves on, Back/Next, Open lesson….
pub fn show(ui: &mut egui::Ui, state: &mut AppState) {
    ui.horizontal(|ui| {
        ui.heading("Lesson").on_hover_text(
            "A guided walk through the window; each step frames the panel to look at in pink and moves on (or \
             pauses) when its condition holds",
        );
        if ui
            .small_button("Open lesson…")
            .on_hover_text("Load a lesson written as TOML (see assets/lessons/)")
            .clicked()
        {
            super::dialog::ask(state, &super::dialog::FileChoice::OpenLesson);
        }
        if ui.small_button("Close").on_hover_text("Hide the lesson panel (L)").clicked() {
            state.lesson.open = false;
        }
    });
    if let Some(e) = &state.lesson.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    let n = state.lesson.lesson.steps.len();
    let Some(step) = state.lesson.current().cloned() else {
        ui.label("This lesson has no steps.");
        return;
    };
    ui.label(egui::RichText::new(&state.lesson.lesson.title).italics());
    ui.add_space(4.0);
    ui.strong(format!("{} ({}/{n})", step.title, state.lesson.step + 1));
    ui.label(&step.text);
    ui.add_space(4.0);
    if step.action != Action::None && ui.button(step.action.label()).on_hover_text("Do this step's action").clicked() {
        act(state, &step.action);
    }
    let waiting = match &step.advance {
        Condition::Manual => "Next when you are ready.".to_string(),
        c if state.lesson.done => format!("Done ({c}). Next when you are ready."),
        c => format!("Moves on when: {c}"),
    };
    ui.small(waiting);
    ui.horizontal(|ui| {
        let (c, r) = (state.recall.cues, state.recall.recalls);
        let k = state.lesson.step;
        if ui.add_enabled(k > 0, egui::Button::new("Back")).on_hover_text("The previous step").clicked() {
            state.lesson.go_to(k - 1, c, r);
        }
        if ui.add_enabled(k + 1 < n, egui::Button::new("Next")).on_hover_text("The next step").clicked() {
            state.lesson.go_to(k + 1, c, r);
        }
    });
}

/// Frames the highlighted panel, if its place is known this frame.
pub fn paint_highlight(ctx: &egui::Context, rect: Option<Rect>) {
    let Some(rect) = rect else { return };
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("lesson_highlight")));
    painter.rect_stroke(rect.shrink(2.0), 4.0, Stroke::new(4.0, HIGHLIGHT), StrokeKind::Inside);
}
