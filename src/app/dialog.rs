//! Every file dialog of the window goes through one function pointer, [`AppState::dialog`]:
//! what is asked for is a [`FileChoice`], and [`ask`] shows the dialog and carries out the
//! choice. Tests put a stand-in in its place, so no test (nor the monkey test's random clicks)
//! ever opens a native dialog that no one could answer.

use std::path::PathBuf;

use super::AppState;
use super::export::ExportChoice;

/// What a file dialog is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileChoice {
    /// An import or export of the Import and Export menus.
    Export(ExportChoice),
    OpenState,
    SaveState,
    OpenPreset,
    /// Save the parameters in force; the suggested file name.
    SavePreset(String),
    OpenLesson,
    OpenPatterns,
}

impl FileChoice {
    /// Filter name, extensions and suggested file name of the dialog.
    fn filter(&self) -> (&'static str, &'static [&'static str], String) {
        const STATE: &str = super::controls::STATE_EXTENSION;
        match self {
            FileChoice::Export(e) => e.filter(),
            FileChoice::OpenState | FileChoice::SaveState => ("network state", &[STATE], format!("state.{STATE}")),
            FileChoice::OpenPreset => ("preset", &["toml"], String::new()),
            FileChoice::SavePreset(name) => ("preset", &["toml"], name.clone()),
            FileChoice::OpenLesson => ("lesson", &["toml"], String::new()),
            FileChoice::OpenPatterns => ("patterns", &["pat"], String::new()),
        }
    }

    /// True for a dialog that picks a file to write.
    pub fn is_save(&self) -> bool {
        match self {
            FileChoice::Export(e) => !matches!(e, ExportChoice::ImportWeights(_)),
            FileChoice::SaveState | FileChoice::SavePreset(_) => true,
            FileChoice::OpenState | FileChoice::OpenPreset | FileChoice::OpenLesson | FileChoice::OpenPatterns => false,
        }
    }
}

/// Shows a file dialog; `None` if cancelled.
pub type FileDialog = fn(&FileChoice) -> Option<PathBuf>;

/// The native dialogs (rfd).
pub fn native(choice: &FileChoice) -> Option<PathBuf> {
    let (name, ext, file) = choice.filter();
    let d = rfd::FileDialog::new().add_filter(name, ext);
    if choice.is_save() { d.set_file_name(file).save_file() } else { d.pick_file() }
}

/// Asks for a file and, unless the dialog was cancelled, carries out `choice` with it.
pub fn ask(state: &mut AppState, choice: &FileChoice) {
    let Some(path) = (state.dialog)(choice) else { return };
    match choice {
        FileChoice::Export(e) => super::export::export_to(state, *e, path),
        FileChoice::OpenState => super::controls::open_state(state, path),
        FileChoice::SaveState => super::controls::save_state(state, path),
        FileChoice::OpenPreset => super::controls::open_preset(state, &path),
        FileChoice::SavePreset(_) => super::controls::save_preset(state, &path),
        FileChoice::OpenLesson => super::lesson::open_lesson(state, &path),
        FileChoice::OpenPatterns => super::gallery::load_patterns(state, &path),
    }
}
