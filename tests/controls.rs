//! Toolbar and parameter panel, driven by their labels with egui_kittest (no window, no thread):
//! each click must queue the right command or show the right message.

use egui_kittest::{Harness, kittest::Queryable};
use engram::app::{AppState, controls, status_bar};
use engram::bridge::{Command, Speed};
use engram::io::preset;

fn harness() -> Harness<'static, AppState> {
    Harness::new_ui_state(
        |ui, state: &mut AppState| {
            controls::toolbar(ui, state);
            controls::parameters(ui, state);
            status_bar::show(ui, state);
        },
        AppState::new(&preset::default_params()),
    )
}

#[test]
fn pause_button_queues_pause_then_run() {
    let mut h = harness();
    h.get_by_label("Pause").click();
    h.run();
    assert_eq!(h.state().outbox, vec![Command::Pause]);
    h.state_mut().outbox.clear();
    h.get_by_label("Run").click();
    h.run();
    assert_eq!(h.state().outbox, vec![Command::Run]);
}

#[test]
fn plasticity_toggle_sends_params_with_the_mechanism_off() {
    let mut h = harness();
    h.get_by_label("heterosynaptic").click();
    h.run();
    let out = &h.state().outbox;
    assert_eq!(out.len(), 1);
    match &out[0] {
        Command::SetParams(p) => {
            assert!(!p.mechanisms.heterosynaptic);
            assert!(p.mechanisms.consolidation && p.mechanisms.plasticity);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn bad_parameter_edit_is_refused_with_a_message_naming_the_field() {
    let mut h = harness();
    let field = h.get_by_label("β heterosynaptic");
    field.click();
    h.run();
    h.state_mut().controls.texts[1] = "-0.5".into();
    h.run();
    h.get_by_label("Apply").click();
    h.run();
    assert!(h.state().outbox.is_empty(), "a bad value must not reach the simulation");
    let msg = h.state().controls.edit_error.clone().expect("a message");
    assert!(msg.contains("plasticity.beta"), "{msg}");
    h.get_by_label_contains("plasticity.beta");

    h.state_mut().controls.texts[1] = "abc".into();
    h.get_by_label("Apply").click();
    h.run();
    assert!(h.state().controls.edit_error.as_deref().unwrap().contains("not a number"));

    h.state_mut().controls.texts[1] = "0.02".into();
    h.get_by_label("Apply").click();
    h.run();
    assert!(h.state().controls.edit_error.is_none());
    match h.state().outbox.as_slice() {
        [Command::SetParams(p)] => assert_eq!(p.plasticity.beta, 0.02),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn reset_uses_the_seed_and_speed_menu_sets_speed() {
    let mut h = harness();
    h.state_mut().controls.seed = 42;
    h.get_by_label("Reset").click();
    h.run();
    match h.state().outbox.as_slice() {
        [Command::Reset(p)] => assert_eq!(p.seed, 42),
        other => panic!("unexpected {other:?}"),
    }
    h.state_mut().outbox.clear();
    h.get_by_label("Speed").click();
    h.run();
    h.get_by_label("2×").click();
    h.run();
    assert_eq!(h.state().outbox, vec![Command::SetSpeed(Speed::Realtime(2.0))]);
}

#[test]
fn opening_a_bad_preset_file_shows_its_error_and_changes_nothing() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("controls_preset");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nseed = \n").unwrap();
    let mut h = harness();
    controls::open_preset(h.state_mut(), &bad);
    h.run();
    assert!(h.state().outbox.is_empty());
    let m = h.state().ui_message.clone().unwrap();
    assert!(m.text.contains("bad.toml:2"), "{}", m.text);
    h.get_by_label_contains("bad.toml:2");
    // Saving then reopening round-trips the parameters.
    let good = dir.join("saved.toml");
    controls::save_preset(h.state_mut(), &good);
    controls::open_preset(h.state_mut(), &good);
    match h.state().outbox.as_slice() {
        [Command::Reset(p)] => assert_eq!(**p, preset::default_params()),
        other => panic!("unexpected {other:?}"),
    }
}
