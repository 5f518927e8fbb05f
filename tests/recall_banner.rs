//! Recall you can see: a cue presented in the window on a trained small network is scored by
//! the simulation thread with the rule of `engram run` and shown as a banner over the rates and
//! a line in the cue log, which exports as CSV.

mod common;

use std::time::{Duration, Instant};

use egui_kittest::{Harness, kittest::Queryable};
use engram::app::{EngramApp, GuiOptions, Start, recall_view};
use engram::bridge::{BridgeOptions, Command, PhaseChoice};
use engram::io::{cache, snapshot};

#[test]
fn a_cue_on_a_trained_small_network_shows_the_banner_and_a_log_line() {
    let dir = common::scratch_dir("recall_banner");
    let params = common::trained::trainable_params(5);
    let (path, _) = cache::train_cached(&dir, &params, 2, |_, _| true).unwrap().unwrap();
    let (net, extras) = snapshot::load_with_extras(&path).unwrap();
    let n_asm = extras.assemblies.as_ref().map_or(0, Vec::len);
    assert_eq!(n_asm, 4, "the trained snapshot carries the four assemblies");
    let bridge = BridgeOptions { threads: 1, frame_interval_s: 0.0, start_running: false, ..BridgeOptions::default() };
    let start = Start::Loaded { net: Box::new(net), extras, path };
    let app = EngramApp::start_with_bridge(start, GuiOptions::default(), bridge);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut EngramApp| app.frame(ui), app);
    h.run_steps(2);
    // Free running, so no scheduled shape cuts the recall window; then the circle cue, as a
    // click in the gallery would send it.
    let circle1 = h.state().state.gallery.entries().find(|e| e.pattern.name == "circle1").map(|e| e.pattern.clone());
    let circle1 = circle1.expect("the gallery has circle1");
    let s = &mut h.state_mut().state;
    s.send(Command::StartPhase(PhaseChoice::Free));
    s.send(Command::Present { pattern: circle1, duration_s: 0.2, fraction: 1.0 });
    s.send(Command::Run);
    let deadline = Instant::now() + Duration::from_secs_f64(common::PATIENCE_S);
    while h.state().state.recall.log.is_empty() {
        assert!(Instant::now() < deadline, "no cue was scored");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run_steps(2);
    let report = h.state().state.recall.log[0].clone();
    assert_eq!(report.response.name, "circle1");
    assert!(report.response.complete, "free running: nothing cut the recall window");
    assert_eq!(report.assemblies.len(), 4);
    // The banner says what the rule decided, and the log has the line.
    let text = recall_view::describe(&report);
    assert!(text.starts_with("circle1: "), "{text}");
    assert!(h.state().state.recall.banner.is_some());
    h.get_by_label(&text);
    eprintln!("banner: {text}");
    // The log line's outcome (a name the gallery may share, so at least one node).
    assert!(h.query_all_by_label(&recall_view::outcome_text(&report)).count() >= 1);
    // Exported as CSV: a header and one line.
    let csv = recall_view::log_csv(&h.state().state.recall.log);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("onset_s,offset_s,cue,parent,outcome,recalled"), "{csv}");
    assert!(lines[1].contains(",circle1,circle,"), "{csv}");
}

#[test]
fn a_scheduled_shape_gives_no_banner_but_a_user_cue_and_recall_phase_cues_do() {
    // The rule in the worker: scheduled stimuli outside the recall phase are not reported.
    // Here on a fresh small network whose "assemblies" come from a snapshot: no banner while
    // phase 1 shows its shapes.
    let dir = common::scratch_dir("recall_banner_filter");
    let params = common::trained::trainable_params(6);
    let (path, _) = cache::train_cached(&dir, &params, 2, |_, _| true).unwrap().unwrap();
    let (net, extras) = snapshot::load_with_extras(&path).unwrap();
    let bridge = BridgeOptions { threads: 1, frame_interval_s: 0.0, ..BridgeOptions::default() };
    let start = Start::Loaded { net: Box::new(net), extras, path };
    let app = EngramApp::start_with_bridge(start, GuiOptions::default(), bridge);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut EngramApp| app.frame(ui), app);
    // Run 6 s of the init schedule (shapes every 1.5 s on average).
    let deadline = Instant::now() + Duration::from_secs_f64(common::PATIENCE_S);
    let t0 = loop {
        h.step();
        if let Some(s) = &h.state().state.status {
            break s.t_s;
        }
        assert!(Instant::now() < deadline);
    };
    while h.state().state.status.as_ref().is_none_or(|s| s.t_s < t0 + 6.0) {
        assert!(Instant::now() < deadline, "the simulation stopped");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(h.state().state.recall.log.is_empty(), "scheduled shapes are not cues");
}
