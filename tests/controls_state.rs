//! The toolbar's network-state buttons and shortcuts, with egui_kittest and a stand-in for the
//! native file dialog: each queues the save or load command with the chosen path, and a
//! cancelled dialog queues nothing.

use std::path::PathBuf;

use egui::{Key, Modifiers};
use egui_kittest::{Harness, kittest::Queryable};
use engram::app::controls;
use engram::app::dialog::FileChoice;
use engram::app::{AppState, status_bar};
use engram::bridge::Command;
use engram::io::preset;

fn harness() -> Harness<'static, AppState> {
    let mut state = AppState::new(&preset::default_params());
    state.dialog = |which| match which {
        FileChoice::OpenState => Some(PathBuf::from("in.engram")),
        FileChoice::SaveState => Some(PathBuf::from("out.engram")),
        _ => None,
    };
    Harness::new_ui_state(
        |ui, state: &mut AppState| {
            controls::toolbar(ui, state);
            status_bar::show(ui, state);
        },
        state,
    )
}

#[test]
fn state_buttons_queue_save_and_load_with_the_chosen_path() {
    let mut h = harness();
    h.get_by_label("Save state…").click();
    h.run();
    assert_eq!(h.state().outbox, vec![Command::SaveSnapshot("out.engram".into())]);
    h.state_mut().outbox.clear();
    h.get_by_label("Open state…").click();
    h.run();
    assert_eq!(h.state().outbox, vec![Command::LoadSnapshot("in.engram".into())]);
}

#[test]
fn ctrl_s_and_ctrl_o_do_the_same() {
    let mut h = harness();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run();
    assert_eq!(h.state().outbox, vec![Command::SaveSnapshot("out.engram".into())]);
    h.state_mut().outbox.clear();
    h.key_press_modifiers(Modifiers::COMMAND, Key::O);
    h.run();
    assert_eq!(h.state().outbox, vec![Command::LoadSnapshot("in.engram".into())]);
    // Without Ctrl the letters do nothing here.
    h.state_mut().outbox.clear();
    h.key_press(Key::S);
    h.run();
    assert!(h.state().outbox.is_empty());
}

#[test]
fn a_cancelled_dialog_queues_nothing() {
    let mut h = harness();
    h.state_mut().dialog = |_| None;
    h.get_by_label("Save state…").click();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::O);
    h.run();
    assert!(h.state().outbox.is_empty());
}
