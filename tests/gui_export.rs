//! The window's Import/Export menus, runaway-limit field and restart after a failed simulation
//! thread, driven with egui_kittest (a stand-in for the native file dialog).

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::{Harness, kittest::Queryable};
use engram::app::dialog::FileChoice;
use engram::app::export::{self, ExportChoice};
use engram::app::{AppState, EngramApp, GuiOptions, controls, status_bar};
use engram::bridge::{BridgeOptions, Command, Frame, Level, ProjectionId};
use engram::io::{preset, ras};
use engram::sim::monitor::RateBin;

fn out_dir() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("gui_export");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chosen_path(choice: ExportChoice) -> PathBuf {
    out_dir().join(match choice {
        ExportChoice::ImportWeights(_) => "in.mtx".to_string(),
        ExportChoice::WindowPng => "window.png".into(),
        ExportChoice::RatesCsv => "rates.csv".into(),
        ExportChoice::Weights(id) => format!("{}.mtx", id.stem()),
        ExportChoice::AssembliesPat => "assemblies.pat".into(),
        ExportChoice::SpikesRas => "e.ras".into(),
        ExportChoice::CueLogCsv => "cue_log.csv".into(),
    })
}

fn harness() -> Harness<'static, AppState> {
    let mut state = AppState::new(&preset::default_params());
    state.dialog = |c| match c {
        FileChoice::Export(e) => Some(chosen_path(*e)),
        _ => None,
    };
    Harness::new_ui_state(
        |ui, state: &mut AppState| {
            // The window's fallback font, for the arrows of "E→E" (idempotent).
            engram::app::view::add_fallback_font(ui.ctx());
            export::poll(ui.ctx(), state);
            controls::toolbar(ui, state);
            controls::parameters(ui, state);
            status_bar::show(ui, state);
        },
        state,
    )
}

/// Opens `menu` and clicks `item`.
fn pick(h: &mut Harness<'static, AppState>, menu: &str, item: &str) {
    h.get_by_label(menu).click();
    h.run();
    h.get_by_label(item).click();
    h.run();
}

/// A frame with two rate bins (one with assemblies) and a few E spikes.
fn frame() -> Frame {
    let params = Arc::new(preset::default_params());
    let mut f = Frame::empty(0.0, 0.2, 4096, params);
    let bin = |t_s: f64, a: Vec<f64>| RateBin { t_s, e_hz: 2.0, i_hz: 6.0, input_hz: 5.0, assemblies_hz: a };
    f.rate_bins = vec![bin(0.1, vec![]), bin(0.2, vec![12.5, 3.0])];
    f.e_spikes = vec![(0.0123, 7), (0.05, 4095), (0.1999, 0)];
    f.i_spikes = vec![(0.02, 3)];
    f
}

#[test]
fn export_menu_queues_model_exports_and_writes_window_data() {
    let mut h = harness();
    pick(&mut h, "Export", "E→E weights (.mtx)…");
    pick(&mut h, "Export", "Input→E weights (.mtx)…");
    pick(&mut h, "Export", "Assemblies (.pat)…");
    pick(&mut h, "Import", "Input→E weights (.mtx)…");
    assert_eq!(
        h.state().outbox,
        vec![
            Command::ExportWeights {
                which: ProjectionId::Ee,
                path: chosen_path(ExportChoice::Weights(ProjectionId::Ee))
            },
            Command::ExportWeights {
                which: ProjectionId::InputE,
                path: chosen_path(ExportChoice::Weights(ProjectionId::InputE))
            },
            Command::ExportAssemblies(chosen_path(ExportChoice::AssembliesPat)),
            Command::ImportWeights {
                which: ProjectionId::InputE,
                path: chosen_path(ExportChoice::ImportWeights(ProjectionId::InputE))
            },
        ]
    );

    // What the window holds is written at once, in the CLI's formats.
    h.state_mut().ingest(frame());
    pick(&mut h, "Export", "Rates (.csv)…");
    let csv = std::fs::read_to_string(chosen_path(ExportChoice::RatesCsv)).unwrap();
    assert_eq!(
        csv,
        "t_s,e_hz,i_hz,input_hz,assembly0_hz,assembly1_hz\n0.1,2.0000,6.0000,5.0000,,\n\
         0.2,2.0000,6.0000,5.0000,12.5000,3.0000\n"
    );
    pick(&mut h, "Export", "E spikes (.ras)…");
    let text = std::fs::read_to_string(chosen_path(ExportChoice::SpikesRas)).unwrap();
    assert_eq!(ras::parse_ras(&text, "e.ras").unwrap(), [(0.0123, 7), (0.05, 4095), (0.1999, 0)]);
    let m = h.state().ui_message.clone().unwrap();
    assert_eq!((m.level, m.text.starts_with("3 E spikes written to")), (Level::Info, true), "{}", m.text);
    h.get_by_label_contains("3 E spikes written");

    // The window PNG is requested at the start of the next frame (after the menu has closed).
    pick(&mut h, "Export", "Window (.png)…");
    assert!(h.state().export.png_request.is_none(), "the request was not taken up");
}

#[test]
fn a_failed_window_export_is_reported_and_keeps_the_old_file() {
    let mut h = harness();
    let dir = out_dir().join("not_a_file.csv");
    std::fs::create_dir_all(dir.join("inside")).unwrap();
    export::export_to(h.state_mut(), ExportChoice::RatesCsv, dir.clone());
    h.run();
    let m = h.state().ui_message.clone().unwrap();
    assert_eq!(m.level, Level::Error);
    assert!(m.text.starts_with("export failed:") && m.text.contains("not_a_file.csv"), "{}", m.text);
    assert!(dir.join("inside").is_dir());
}

#[test]
fn window_png_is_saved_from_a_color_image() {
    let path = out_dir().join("image.png");
    let mut image = egui::ColorImage::filled([3, 2], egui::Color32::from_rgb(10, 20, 30));
    image.pixels[4] = egui::Color32::RED;
    export::save_png(&path, &image).unwrap();
    let back = image::open(&path).unwrap().to_rgba8();
    assert_eq!(back.dimensions(), (3, 2));
    assert_eq!(back.get_pixel(1, 1).0, [255, 0, 0, 255]);
    assert_eq!(back.get_pixel(0, 0).0, [10, 20, 30, 255]);
    let bad = egui::ColorImage { size: [4, 4], ..image };
    assert!(export::save_png(&out_dir().join("bad.png"), &bad).is_err());
}

#[test]
fn runaway_limit_field_is_validated() {
    let mut h = harness();
    for (text, msg) in [("0", "runaway limit 0 Hz"), ("abc", "not a number"), ("1e9", "expected a number in")] {
        h.state_mut().controls.runaway_text = text.into();
        h.get_by_label("Set").click();
        h.run();
        assert!(h.state().outbox.is_empty(), "{text} reached the simulation");
        let e = h.state().controls.edit_error.clone().unwrap();
        assert!(e.contains(msg), "{text}: {e}");
        h.get_by_label_contains(msg);
    }
    h.state_mut().controls.runaway_text = "300".into();
    h.get_by_label("Set").click();
    h.run();
    assert_eq!(h.state().outbox, vec![Command::SetRunawayLimit(300.0)]);
    assert!(h.state().controls.edit_error.is_none());
}

/// Steps the app until `pred` holds (the simulation thread works on its own clock).
fn step_until(h: &mut Harness<'static, EngramApp>, secs: f64, what: &str, pred: impl Fn(&EngramApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    while !pred(h.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_failed_simulation_thread_is_reported_and_restart_starts_a_fresh_one() {
    let bridge = BridgeOptions { start_running: false, frame_interval_s: 0.0, ..Default::default() };
    let mut params = common::small_params(31);
    params.name = "small-gui".into();
    let app = EngramApp::with_bridge(params, GuiOptions::default(), bridge);
    let mut h = Harness::new_ui_state(|ui, app: &mut EngramApp| app.frame(ui), app);
    step_until(&mut h, 20.0, "the first status", |a| a.state.status.is_some());
    assert!(h.query_by_label("Restart simulation").is_none());

    h.state().sim().unwrap().send(Command::InjectPanic).unwrap();
    step_until(&mut h, 20.0, "the failure", |a| a.state.sim_stopped);
    let e = h.state().state.sim_error.clone().unwrap();
    assert!(e.contains("simulation thread failed: injected failure"), "{e}");
    assert!(h.query_all_by_label_contains("injected failure").count() >= 1);
    // Commands to the dead thread do not replace the report.
    h.state_mut().state.send(Command::Run);
    h.step();
    assert_eq!(h.state().state.sim_error.as_deref(), Some(e.as_str()));

    h.get_by_label("Restart simulation").click();
    h.step();
    assert!(h.state().state.sim_error.is_none() && !h.state().state.sim_stopped);
    assert!(h.state().sim().unwrap().is_alive());
    let m = h.state().state.ui_message.clone().unwrap();
    assert!(m.text.contains("restarted") && m.text.contains("seed 31"), "{}", m.text);
    step_until(&mut h, 20.0, "a status from the new thread", |a| a.state.status.is_some());
    h.state().sim().unwrap().send(Command::Step { ms: 2 }).unwrap();
    step_until(&mut h, 20.0, "the new thread stepping", |a| {
        a.state.status.as_ref().is_some_and(|s| (s.t_s - 0.002).abs() < 1e-9)
    });
    assert!(h.query_by_label("Restart simulation").is_none());
}
