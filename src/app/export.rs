//! The toolbar's Import and Export menus: weights in (MatrixMarket), and out what the window
//! shows — a PNG of the window, the rate history as CSV, the recent spikes as `.ras` — or what
//! only the model holds — weight matrices and assemblies, which the simulation thread writes.
//!
//! Every file is written atomically ([`crate::io::atomic`]); success or failure is reported in
//! the status bar. Files are chosen through [`super::dialog`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::bridge::{Command, Level, Message, ProjectionId};
use crate::io::{atomic, ras, rates};

use super::AppState;

/// An import or an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportChoice {
    ImportWeights(ProjectionId),
    WindowPng,
    RatesCsv,
    Weights(ProjectionId),
    AssembliesPat,
    SpikesRas,
    CueLogCsv,
}

impl ExportChoice {
    /// Filter name, extensions and suggested file name of the dialog.
    pub(super) fn filter(self) -> (&'static str, &'static [&'static str], String) {
        match self {
            ExportChoice::ImportWeights(w) | ExportChoice::Weights(w) => {
                ("MatrixMarket", &["mtx", "wmat"], w.weights_file())
            }
            ExportChoice::WindowPng => ("PNG image", &["png"], "engram.png".into()),
            ExportChoice::RatesCsv => ("CSV", &["csv"], "rates.csv".into()),
            ExportChoice::AssembliesPat => ("pattern file", &["pat"], "assemblies.pat".into()),
            ExportChoice::SpikesRas => ("spike raster", &["ras"], "e.ras".into()),
            ExportChoice::CueLogCsv => ("CSV", &["csv"], "cue_log.csv".into()),
        }
    }
}

#[derive(Default)]
pub struct ExportState {
    /// A window PNG to request at the start of the next frame (so the closing menu is not in it).
    pub png_request: Option<PathBuf>,
    /// Result of the screenshot callback, which runs after the frame on the UI thread's
    /// integration; picked up by the next frame.
    pub png_result: Arc<Mutex<Option<Message>>>,
}

/// A weight matrix's menu item, with the window's arrow (the projection's own label, "E->E", is
/// ASCII because it also heads the .mtx files written).
fn weights_label(p: ProjectionId) -> String {
    format!("{} weights (.mtx)…", p.label().replace("->", "→"))
}

/// The Import and Export menu buttons.
pub fn menus(ui: &mut egui::Ui, state: &mut AppState) {
    let mut chosen = None;
    ui.menu_button("Import", |ui| {
        for w in ProjectionId::EXCITATORY {
            let label = weights_label(w);
            let hint = "Replace w by a MatrixMarket matrix (row = pre, column = post) with exactly this network's \
                        synapses, e.g. written by `engram run` with the same preset and seed";
            if ui.button(label).on_hover_text(hint).clicked() {
                chosen = Some(ExportChoice::ImportWeights(w));
                ui.close();
            }
        }
    });
    ui.menu_button("Export", |ui| {
        let items = [
            (ExportChoice::WindowPng, "Window (.png)…".to_string()),
            (ExportChoice::RatesCsv, "Rates (.csv)…".into()),
            (ExportChoice::Weights(ProjectionId::Ee), weights_label(ProjectionId::Ee)),
            (ExportChoice::Weights(ProjectionId::InputE), weights_label(ProjectionId::InputE)),
            (ExportChoice::AssembliesPat, "Assemblies (.pat)…".into()),
            (ExportChoice::SpikesRas, "E spikes (.ras)…".into()),
            (ExportChoice::CueLogCsv, "Cue log (.csv)…".into()),
        ];
        for (choice, label) in items {
            if ui.button(label).on_hover_text(export_hint(choice)).clicked() {
                chosen = Some(choice);
                ui.close();
            }
        }
    });
    if let Some(choice) = chosen {
        super::dialog::ask(state, &super::dialog::FileChoice::Export(choice));
    }
}

/// One sentence on what an export writes.
fn export_hint(choice: ExportChoice) -> &'static str {
    match choice {
        ExportChoice::WindowPng => "A PNG image of the whole window as it is now",
        ExportChoice::RatesCsv => "The rate history shown: 100 ms bins of E, I, input and assembly rates [Hz]",
        ExportChoice::Weights(_) => {
            "Every synapse's weight w [g_L] as a MatrixMarket matrix (w~ in the companion file)"
        }
        ExportChoice::AssembliesPat => "The assemblies in use: members and their rates [Hz], in Auryn's .pat format",
        ExportChoice::SpikesRas => "The E spikes of the raster's last 4 s: time [s] and neuron per line",
        ExportChoice::CueLogCsv => "Every scored cue: time, cue, outcome, rates in the recall window [Hz], delay [s]",
        ExportChoice::ImportWeights(_) => "",
    }
}

/// Carries out `choice` with the chosen `path`: writes what the window holds at once, queues a
/// command for what the model holds, or schedules the window screenshot.
pub fn export_to(state: &mut AppState, choice: ExportChoice, path: PathBuf) {
    match choice {
        ExportChoice::ImportWeights(which) => state.send(Command::ImportWeights { which, path }),
        ExportChoice::Weights(which) => state.send(Command::ExportWeights { which, path }),
        ExportChoice::AssembliesPat => state.send(Command::ExportAssemblies(path)),
        ExportChoice::WindowPng => state.export.png_request = Some(path),
        ExportChoice::RatesCsv => {
            let result = rates::save_rates_csv(&path, &state.rates.bins);
            report(state, result, format!("{} rate bins written to {}", state.rates.bins.len(), path.display()));
        }
        ExportChoice::CueLogCsv => {
            let text = super::recall_view::log_csv(&state.recall.log);
            let result = atomic::atomic_write(&path, |w| w.write_all(text.as_bytes()));
            report(state, result, format!("{} cues written to {}", state.recall.log.len(), path.display()));
        }
        ExportChoice::SpikesRas => {
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
