//! The toolbar's Import and Export menus: weights in (MatrixMarket), and out what the window
//! shows — a PNG of the window, the rate history as CSV, the recent spikes as `.ras` — or what
//! only the model holds — weight matrices and assemblies, which the simulation thread writes.
//!
//! Every file is written atomically ([`crate::io::atomic`]); success or failure is reported in
//! the status bar. The file dialog is a function pointer so tests can stand in for it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::bridge::{Command, Level, Message, ProjectionId};
use crate::io::{atomic, ras, rates};

use super::AppState;

/// What a file dialog is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileChoice {
    ImportWeights(ProjectionId),
    WindowPng,
    RatesCsv,
    Weights(ProjectionId),
    AssembliesPat,
    SpikesRas,
    CueLogCsv,
}

impl FileChoice {
    /// Filter name, extensions and suggested file name of the dialog.
    fn filter(self) -> (&'static str, &'static [&'static str], String) {
        match self {
            FileChoice::ImportWeights(w) | FileChoice::Weights(w) => {
                ("MatrixMarket", &["mtx", "wmat"], w.weights_file())
            }
            FileChoice::WindowPng => ("PNG image", &["png"], "engram.png".into()),
            FileChoice::RatesCsv => ("CSV", &["csv"], "rates.csv".into()),
            FileChoice::AssembliesPat => ("pattern file", &["pat"], "assemblies.pat".into()),
            FileChoice::SpikesRas => ("spike raster", &["ras"], "e.ras".into()),
            FileChoice::CueLogCsv => ("CSV", &["csv"], "cue_log.csv".into()),
        }
    }
}

/// Shows a file dialog; `None` if cancelled.
pub type FileDialog = fn(FileChoice) -> Option<PathBuf>;

/// The native dialogs (rfd): an open dialog for imports, a save dialog for exports.
pub fn native_file_dialog(choice: FileChoice) -> Option<PathBuf> {
    let (name, ext, file) = choice.filter();
    let d = rfd::FileDialog::new().add_filter(name, ext);
    match choice {
        FileChoice::ImportWeights(_) => d.pick_file(),
        _ => d.set_file_name(file).save_file(),
    }
}

pub struct ExportState {
    pub dialog: FileDialog,
    /// A window PNG to request at the start of the next frame (so the closing menu is not in it).
    pub png_request: Option<PathBuf>,
    /// Result of the screenshot callback, which runs after the frame on the UI thread's
    /// integration; picked up by the next frame.
    pub png_result: Arc<Mutex<Option<Message>>>,
}

impl Default for ExportState {
    fn default() -> Self {
        ExportState { dialog: native_file_dialog, png_request: None, png_result: Arc::default() }
    }
}

/// The Import and Export menu buttons.
pub fn menus(ui: &mut egui::Ui, state: &mut AppState) {
    let mut chosen = None;
    ui.menu_button("Import", |ui| {
        for w in ProjectionId::EXCITATORY {
            let label = format!("{} weights (.mtx)…", w.label());
            let hint = "Replace w by a MatrixMarket matrix (row = pre, column = post) with exactly this network's \
                        synapses, e.g. written by `engram run` with the same preset and seed";
            if ui.button(label).on_hover_text(hint).clicked() {
                chosen = Some(FileChoice::ImportWeights(w));
                ui.close();
            }
        }
    });
    ui.menu_button("Export", |ui| {
        let items = [
            (FileChoice::WindowPng, "Window (.png)…".to_string()),
            (FileChoice::RatesCsv, "Rates (.csv)…".into()),
            (FileChoice::Weights(ProjectionId::Ee), "E->E weights (.mtx)…".into()),
            (FileChoice::Weights(ProjectionId::InputE), "Input->E weights (.mtx)…".into()),
            (FileChoice::AssembliesPat, "Assemblies (.pat)…".into()),
            (FileChoice::SpikesRas, "E spikes (.ras)…".into()),
            (FileChoice::CueLogCsv, "Cue log (.csv)…".into()),
        ];
        for (choice, label) in items {
            if ui.button(label).on_hover_text(export_hint(choice)).clicked() {
                chosen = Some(choice);
                ui.close();
            }
        }
    });
    if let Some(choice) = chosen
        && let Some(path) = (state.export.dialog)(choice)
    {
        export_to(state, choice, path);
    }
}

/// One sentence on what an export writes.
fn export_hint(choice: FileChoice) -> &'static str {
    match choice {
        FileChoice::WindowPng => "A PNG image of the whole window as it is now",
        FileChoice::RatesCsv => "The rate history shown: 100 ms bins of E, I, input and assembly rates [Hz]",
        FileChoice::Weights(_) => "Every synapse's weight w [g_L] as a MatrixMarket matrix (w~ in the companion file)",
        FileChoice::AssembliesPat => "The assemblies in use: members and their rates [Hz], in Auryn's .pat format",
        FileChoice::SpikesRas => "The E spikes of the raster's last 4 s: time [s] and neuron per line",
        FileChoice::CueLogCsv => "Every scored cue: time, cue, outcome, rates in the recall window [Hz], delay [s]",
        FileChoice::ImportWeights(_) => "",
    }
}

/// Carries out `choice` with the chosen `path`: writes what the window holds at once, queues a
/// command for what the model holds, or schedules the window screenshot.
pub fn export_to(state: &mut AppState, choice: FileChoice, path: PathBuf) {
    match choice {
        FileChoice::ImportWeights(which) => state.send(Command::ImportWeights { which, path }),
        FileChoice::Weights(which) => state.send(Command::ExportWeights { which, path }),
        FileChoice::AssembliesPat => state.send(Command::ExportAssemblies(path)),
        FileChoice::WindowPng => state.export.png_request = Some(path),
        FileChoice::RatesCsv => {
            let result = rates::save_rates_csv(&path, &state.rates.bins);
            report(state, result, format!("{} rate bins written to {}", state.rates.bins.len(), path.display()));
        }
        FileChoice::CueLogCsv => {
            let text = super::recall_view::log_csv(&state.recall.log);
            let result = atomic::atomic_write(&path, |w| w.write_all(text.as_bytes()));
            report(state, result, format!("{} cues written to {}", state.recall.log.len(), path.display()));
        }
        FileChoice::SpikesRas => {
            let spikes = &state.raster.recent_e;
            let result = ras::save_ras(&path, spikes.iter().copied());
            report(state, result, format!("{} E spikes written to {}", spikes.len(), path.display()));
        }
    }
}

fn report(state: &mut AppState, result: crate::Result<()>, ok: String) {
    match result {
        Ok(()) => state.set_ui_message(Level::Info, ok),
        Err(e) => state.set_ui_message(Level::Error, format!("export failed: {e}")),
    }
}

/// Requests the pending window screenshot (call at the start of a frame) and shows the result
/// of an earlier one.
pub fn poll(ctx: &egui::Context, state: &mut AppState) {
    if let Some(path) = state.export.png_request.take() {
        let (slot, ctx2) = (state.export.png_result.clone(), ctx.clone());
        ctx.request_screenshot(move |image: Arc<egui::ColorImage>| {
            let message = match save_png(&path, &image) {
                Ok(()) => Message { level: Level::Info, text: format!("window saved to {}", path.display()) },
                Err(e) => Message { level: Level::Error, text: format!("export failed: {e}") },
            };
            *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(message);
            ctx2.request_repaint();
        });
    }
    let done = state.export.png_result.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    if let Some(m) = done {
        state.ui_message = Some(m);
    }
}

/// Saves an egui image as PNG, atomically.
pub fn save_png(path: &Path, image: &egui::ColorImage) -> crate::Result<()> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(egui::Color32::to_array).collect();
    let img = image::RgbaImage::from_raw(w as u32, h as u32, bytes)
        .ok_or_else(|| crate::Error::Invalid(format!("screenshot of {w}×{h} pixels has the wrong size")))?;
    atomic::atomic_write(path, |out| {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, image::ImageFormat::Png).map_err(std::io::Error::other)?;
        out.write_all(buf.get_ref())
    })
}
