//! How the window looks in front of a class: presentation mode (everything larger, lines
//! thicker), light or dark theme, fullscreen, the Help overlay listing every shortcut, and the
//! choices kept between runs (eframe persistence).

use serde::{Deserialize, Serialize};

use super::AppState;

/// Zoom factor presentation mode multiplies the user's zoom by: at 1920×1080 the window lays
/// out like 1280×720 points, so text and lines are 1.5× larger.
pub const PRESENTATION_ZOOM: f32 = 1.5;
/// Key of eframe's storage under which [`ViewSettings`] is kept.
pub const STORAGE_KEY: &str = "engram_view";

/// What the window remembers between runs (window size and position are eframe's own).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[expect(clippy::struct_excessive_bools, reason = "independent switches of the view, stored as they are")]
pub struct ViewSettings {
    pub presentation: bool,
    pub light: bool,
    /// The user's zoom (Ctrl +/−), without presentation mode's factor.
    pub zoom: f32,
    pub lesson_open: bool,
    pub cue_log_open: bool,
    /// Length of the rates plot's time axis [s].
    pub rates_window_s: f64,
    /// The group table shows w̃ instead of w.
    pub table_shows_wt: bool,
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings {
            presentation: false,
            light: false,
            zoom: 1.0,
            lesson_open: false,
            cue_log_open: true,
            rates_window_s: super::rates::DEFAULT_WINDOW_S,
            table_shows_wt: false,
        }
    }
}

pub struct ViewState {
    pub settings: ViewSettings,
    /// The Help overlay is open.
    pub help_open: bool,
    /// The settings last applied to the context (None: not yet).
    applied: Option<(bool, bool, f32)>,
}

impl ViewState {
    pub fn new(settings: ViewSettings) -> Self {
        ViewState { settings, help_open: false, applied: None }
    }
}

/// Every keyboard shortcut, as the Help overlay lists it.
pub const SHORTCUTS: [(&str, &str); 13] = [
    ("Space", "run or pause the simulation"),
    ("1 – 9", "present the first nine patterns of the gallery"),
    ("Ctrl+S", "save the whole network state"),
    ("Ctrl+O", "open a saved network state"),
    ("T", "load (or train) the trained network of this preset and seed"),
    ("L", "show or hide the lesson"),
    ("Page Down / Page Up", "next / previous lesson step (a presenter's clicker sends these)"),
    ("F5", "presentation mode: larger text, thicker lines"),
    ("F6", "light or dark theme"),
    ("F11", "fullscreen"),
    ("Ctrl + / Ctrl −", "zoom in or out (Ctrl+0: back to 100 %)"),
    ("?", "this help"),
    ("Esc", "close this help"),
];

/// Applies the settings to the context when they changed (theme, zoom), and keeps the user's
/// zoom (egui's own Ctrl +/− changes the context's factor directly).
pub fn apply(ctx: &egui::Context, v: &mut ViewState) {
    let s = &mut v.settings;
    let factor = if s.presentation { PRESENTATION_ZOOM } else { 1.0 };
    if let Some((p, _, z)) = v.applied
        && p == s.presentation
        && (ctx.zoom_factor() - z * factor).abs() > 1e-3
    {
        s.zoom = (ctx.zoom_factor() / factor).clamp(0.5, 3.0);
    }
    let want = (s.presentation, s.light, s.zoom);
    if v.applied != Some(want) {
        add_fallback_font(ctx);
        ctx.set_theme(if s.light { egui::Theme::Light } else { egui::Theme::Dark });
        ctx.set_zoom_factor(s.zoom * factor);
        v.applied = Some(want);
    }
}

/// Adds DejaVu Sans after egui's own fonts in both families, so that every character the
/// window's text uses has a glyph (egui draws a box for a missing one). Idempotent: egui keeps
/// a font of the same name.
pub fn add_fallback_font(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily { family, priority: FontPriority::Lowest })
        .collect();
    ctx.add_font(FontInsert::new("DejaVuSans", egui::FontData::from_static(crate::assets::DEJAVU_SANS), families));
}

/// The window's own keys (not while a text field has the keyboard).
pub fn handle_keys(ui: &egui::Ui, state: &mut AppState) {
    let ctx = ui.ctx();
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    let pressed = |k: egui::Key| ui.input(|i| i.key_pressed(k) && i.modifiers.is_none());
    let v = &mut state.view;
    if pressed(egui::Key::F5) {
        v.settings.presentation = !v.settings.presentation;
    }
    if pressed(egui::Key::F6) {
        v.settings.light = !v.settings.light;
    }
    if pressed(egui::Key::F11) {
        let full = ui.input(|i| i.viewport().fullscreen.unwrap_or(false));
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(!full));
    }
    // `?` is Shift+/ on most layouts: compare the text typed, not the key.
    if ui.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Text(t) if t == "?"))) {
        v.help_open = !v.help_open;
    }
    if pressed(egui::Key::Escape) {
        v.help_open = false;
    }
    if pressed(egui::Key::L) {
        state.lesson.open = !state.lesson.open;
    }
    if state.lesson.open {
        let (c, r, k) = (state.recall.cues, state.recall.recalls, state.lesson.step);
        if pressed(egui::Key::PageDown) && k + 1 < state.lesson.lesson.steps.len() {
            state.lesson.go_to(k + 1, c, r);
        }
        if pressed(egui::Key::PageUp) && k > 0 {
            state.lesson.go_to(k - 1, c, r);
        }
    }
    if pressed(egui::Key::T) && state.training.progress.is_none() {
        state.training.requested = true;
    }
}

/// The Help overlay: every shortcut.
pub fn help(ctx: &egui::Context, state: &mut AppState) {
    let mut open = state.view.help_open;
    egui::Window::new("Keyboard shortcuts")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts").num_columns(2).striped(true).show(ui, |ui| {
                for (key, what) in SHORTCUTS {
                    ui.strong(key);
                    ui.label(what);
                    ui.end_row();
                }
            });
            ui.small("Hover over any control or plot for what it is, with units.");
        });
    state.view.help_open = open && state.view.help_open;
}
