//! The Lesson panel: each condition of the vocabulary moves the lesson on (or pauses the
//! simulation and waits for Next), the step's action sends the window's own commands, a
//! condition that needs dynamics is met by the small network running, and a bad lesson file is
//! reported with its file and line while the app keeps running.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::{Harness, kittest::Queryable};
use engram::app::{AppState, EngramApp, GuiOptions};
use engram::bridge::{BridgeOptions, Command, CueReport, Frame, PhaseChoice};
use engram::io::lesson::parse_lesson;
use engram::sim::Pattern;
use engram::sim::analysis::CueResponse;

/// A lesson with one step per condition, in this order.
const EVERY_CONDITION: &str = r#"
title = "conditions"
[[step]]
title = "time"
text = "a. b."
panel = "raster"
action = "run"
advance = "model_time >= 5"
[[step]]
title = "assemblies"
text = "a. b."
panel = "weights"
advance = "assemblies >= 4"
[[step]]
title = "runaway"
text = "a. b."
panel = "parameters"
action = "ablate hetero"
advance = "rate_e > 30"
then = "pause"
[[step]]
title = "recall"
text = "a. b."
panel = "gallery"
action = "present circle1"
advance = "recall"
[[step]]
title = "cue"
text = "a. b."
advance = "cue"
[[step]]
title = "paused"
text = "a. b."
advance = "paused"
[[step]]
title = "step time"
text = "a. b."
advance = "step_time >= 2"
[[step]]
title = "end"
text = "a. b."
advance = "manual"
"#;

fn harness(state: AppState) -> Harness<'static, AppState> {
    Harness::builder().with_size(egui::vec2(1280.0, 900.0)).build_ui_state(|ui, s: &mut AppState| s.ui(ui), state)
}

/// A frame whose status says: model time `t_s`, E rate `e_hz`, `n` non-empty assemblies, running.
fn frame(state: &AppState, t_s: f64, e_hz: f64, n: usize) -> Frame {
    let params = state.controls.current.clone();
    let mut f = Frame::empty(t_s, t_s, 64 * 64, params);
    f.status.e_hz = e_hz;
    f.status.running = true;
    f.status.phase = PhaseChoice::Phase(engram::sim::params::PhaseName::Init);
    let names = ["circle", "square", "cross", "triangle"];
    f.status.assemblies = Arc::new((0..n).map(|k| Pattern::from_indices(names[k % 4], vec![k as u32])).collect());
    f
}

/// Feeds one such frame to the state.
fn feed(h: &mut Harness<'_, AppState>, t_s: f64, e_hz: f64, n: usize) {
    let f = frame(h.state(), t_s, e_hz, n);
    h.state_mut().ingest(f);
}

fn report(name: &str, recalled: Option<usize>) -> CueReport {
    CueReport {
        response: CueResponse {
            name: name.into(),
            parent: Some(0),
            onset_s: 1.0,
            offset_s: 1.2,
            cue_hz: vec![40.0, 1.0],
            window_hz: vec![if recalled.is_some() { 30.0 } else { 2.0 }, 1.0],
            baseline_hz: vec![1.0, 1.0],
            complete: true,
            recalled,
            already_active: None,
            delay_s: Some(0.5),
            delay_censored: false,
        },
        assemblies: Arc::new(vec!["circle".into(), "square".into()]),
    }
}

fn step(h: &Harness<'_, AppState>) -> usize {
    h.state().lesson.step
}

#[test]
fn the_lesson_advances_on_each_condition() {
    let mut state = AppState::new(&common::small_params(1));
    state.lesson.lesson = parse_lesson(EVERY_CONDITION, "conditions.toml").unwrap();
    state.lesson.open = true;
    let mut h = harness(state);
    h.run();
    assert_eq!(step(&h), 0);
    // model_time >= 5: not at 4.9, at 5.
    feed(&mut h, 4.9, 5.0, 0);
    h.run();
    assert_eq!(step(&h), 0);
    h.get_by_label("Run").click();
    h.run();
    feed(&mut h, 5.0, 5.0, 0);
    h.run();
    assert_eq!(step(&h), 1, "model_time >= 5");
    // assemblies >= 4.
    feed(&mut h, 6.0, 5.0, 3);
    h.run();
    assert_eq!(step(&h), 1);
    feed(&mut h, 7.0, 5.0, 4);
    h.run();
    assert_eq!(step(&h), 2, "assemblies >= 4");
    // The action switches heterosynaptic plasticity off (the same command as the checkbox).
    h.state_mut().outbox.clear();
    h.get_by_label("Switch hetero off").click();
    h.run();
    let off = h.state().outbox.iter().any(|c| matches!(c, Command::SetParams(p) if !p.mechanisms.heterosynaptic));
    assert!(off, "{:?}", h.state().outbox);
    // rate_e > 30 with then = pause: pauses and waits for Next.
    h.state_mut().outbox.clear();
    feed(&mut h, 8.0, 31.0, 4);
    h.run();
    assert_eq!(step(&h), 2);
    assert!(h.state().lesson.done);
    assert!(h.state().outbox.contains(&Command::Pause), "{:?}", h.state().outbox);
    h.get_by_label("Next").click();
    h.run();
    assert_eq!(step(&h), 3, "Next after a pause");
    // recall: a cue that recalled nothing does not count; one that recalled does.
    h.state_mut().outbox.clear();
    h.get_by_label("Present circle1").click();
    h.run();
    let presented =
        h.state().outbox.iter().any(|c| matches!(c, Command::Present { pattern, .. } if pattern.name == "circle1"));
    assert!(presented, "{:?}", h.state().outbox);
    let mut f = frame(h.state(), 9.0, 5.0, 4);
    f.cue_reports.push(report("circle1", None));
    h.state_mut().ingest(f);
    h.run();
    assert_eq!(step(&h), 3);
    let mut f = frame(h.state(), 10.0, 5.0, 4);
    f.cue_reports.push(report("circle2", Some(0)));
    h.state_mut().ingest(f);
    h.run();
    assert_eq!(step(&h), 4, "recall");
    // cue: any scored cue.
    let mut f = frame(h.state(), 11.0, 5.0, 4);
    f.cue_reports.push(report("other1", None));
    h.state_mut().ingest(f);
    h.run();
    assert_eq!(step(&h), 5, "cue");
    // paused.
    let mut f = frame(h.state(), 12.0, 5.0, 4);
    f.status.running = false;
    h.state_mut().ingest(f);
    h.run();
    assert_eq!(step(&h), 6, "paused");
    // step_time >= 2: counted from the step's first status (12 s).
    feed(&mut h, 13.9, 5.0, 4);
    h.run();
    assert_eq!(step(&h), 6);
    feed(&mut h, 14.0, 5.0, 4);
    h.run();
    assert_eq!(step(&h), 7, "step_time >= 2");
    // manual: only Next (none left) or Back moves.
    feed(&mut h, 100.0, 50.0, 4);
    h.run();
    assert_eq!(step(&h), 7);
    h.get_by_label("Back").click();
    h.run();
    assert_eq!(step(&h), 6);
}

#[test]
fn the_highlighted_panel_follows_the_step() {
    let mut state = AppState::new(&common::small_params(1));
    state.lesson.lesson = parse_lesson(EVERY_CONDITION, "conditions.toml").unwrap();
    state.lesson.open = true;
    let mut h = harness(state);
    h.run();
    assert_eq!(h.state().lesson.highlighted(), Some(engram::io::lesson::Panel::Raster));
    h.get_by_label("Next").click();
    h.run();
    assert_eq!(h.state().lesson.highlighted(), Some(engram::io::lesson::Panel::Weights));
    h.get_by_label("Close").click();
    h.run();
    assert_eq!(h.state().lesson.highlighted(), None);
}

#[test]
fn a_condition_that_needs_dynamics_is_met_by_the_small_network() {
    let lesson = r#"
title = "dynamics"
[[step]]
title = "first"
text = "a. b."
action = "run"
advance = "model_time >= 0.3"
[[step]]
title = "second"
text = "a. b."
advance = "step_time >= 0.2"
then = "pause"
"#;
    let bridge = BridgeOptions { threads: 1, frame_interval_s: 0.0, ..BridgeOptions::default() };
    let mut app = EngramApp::with_bridge(common::small_params(3), GuiOptions::default(), bridge);
    app.state.lesson.lesson = parse_lesson(lesson, "dynamics.toml").unwrap();
    app.state.lesson.open = true;
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut EngramApp| app.frame(ui), app);
    let deadline = Instant::now() + Duration::from_secs_f64(common::PATIENCE_S);
    while !(h.state().state.lesson.step == 1 && h.state().state.lesson.done) {
        assert!(Instant::now() < deadline, "lesson stuck at step {}", h.state().state.lesson.step);
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    // Done with then = pause: the simulation was asked to pause and did.
    while h.state().state.status.as_ref().is_some_and(|s| s.running) {
        assert!(Instant::now() < deadline, "the simulation did not pause");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let t = h.state().state.status.as_ref().map_or(0.0, |s| s.t_s);
    assert!(t >= 0.5, "paused at t = {t} s, before both conditions could hold");
}

#[test]
fn a_bad_lesson_file_is_reported_with_file_and_line_and_the_app_keeps_running() {
    let dir = common::scratch_dir("lesson_bad");
    let path = dir.join("bad.toml");
    std::fs::write(&path, "title = \"bad\"\n[[step]]\ntitle = \"s\"\ntext = \"a. b.\"\nadvance = \"rate_e >> 3\"\n")
        .unwrap();
    let bridge = BridgeOptions { threads: 1, frame_interval_s: 0.0, ..BridgeOptions::default() };
    let mut app = EngramApp::with_bridge(common::small_params(4), GuiOptions::default(), bridge);
    app.state.lesson.open = true;
    let before = app.state.lesson.lesson.clone();
    engram::app::lesson::open_lesson(&mut app.state, &path);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut EngramApp| app.frame(ui), app);
    h.run_steps(3);
    let want = format!("lesson not opened: {}:5: ", path.display());
    let err = h.state().state.lesson.error.clone().unwrap();
    assert!(err.starts_with(&want) && err.contains("condition `rate_e >> 3`"), "{err}");
    assert_eq!(h.state().state.lesson.lesson, before, "the built-in lesson stays");
    // The panel shows the error and the lesson still works; the simulation still runs.
    // In the lesson panel and in the status bar.
    assert_eq!(h.query_all_by_label_contains("condition `rate_e >> 3`").count(), 2);
    h.get_by_label("Next").click();
    h.run_steps(2);
    assert_eq!(h.state().state.lesson.step, 1);
    let deadline = Instant::now() + Duration::from_secs_f64(common::PATIENCE_S);
    while h.state().state.status.as_ref().is_none_or(|s| s.t_s < 0.05) {
        assert!(Instant::now() < deadline, "the simulation stopped");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    // A file that is not TOML at all, and one that does not exist.
    std::fs::write(&path, "title = \n").unwrap();
    engram::app::lesson::open_lesson(&mut h.state_mut().state, &path);
    let err = h.state().state.lesson.error.clone().unwrap();
    assert!(err.contains(&format!("{}:1:", path.display())), "{err}");
    engram::app::lesson::open_lesson(&mut h.state_mut().state, &dir.join("missing.toml"));
    let err = h.state().state.lesson.error.clone().unwrap();
    assert!(err.contains("missing.toml"), "{err}");
    // A good file replaces the lesson and clears the error.
    std::fs::write(&path, EVERY_CONDITION).unwrap();
    engram::app::lesson::open_lesson(&mut h.state_mut().state, &path);
    assert_eq!(h.state().state.lesson.error, None);
    assert_eq!(h.state().state.lesson.lesson.steps.len(), 8);
}
