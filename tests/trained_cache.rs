//! The trained-network cache: the window's Trained network trains phase 1 once on its own
//! thread, caches it, loads it; the second time it loads the cached file; a corrupt or stale
//! entry is rebuilt. `engram train` shares the cache.

mod common;

use std::time::{Duration, Instant};

use egui_kittest::{Harness, kittest::Queryable};
use engram::app::{EngramApp, GuiOptions};
use engram::bridge::BridgeOptions;
use engram::io::cache::{self, Lookup};

fn app(dir: &std::path::Path, seed: u64) -> Harness<'static, EngramApp> {
    let opts = GuiOptions { cache_dir: Some(dir.to_path_buf()), train_threads: 2, ..GuiOptions::default() };
    let bridge = BridgeOptions { threads: 1, frame_interval_s: 0.0, ..BridgeOptions::default() };
    let app = EngramApp::with_bridge(common::trained::trainable_params(seed), opts, bridge);
    Harness::builder().with_size(egui::vec2(1280.0, 900.0)).build_ui_state(|ui, app: &mut EngramApp| app.frame(ui), app)
}

/// Clicks Trained network and waits for the outcome; returns the status-bar message.
fn get_trained(h: &mut Harness<'static, EngramApp>) -> String {
    h.run_steps(2);
    h.get_by_label("Trained network").click();
    h.run_steps(2);
    let deadline = Instant::now() + Duration::from_secs_f64(common::PATIENCE_S);
    while h.state().is_training() {
        assert!(Instant::now() < deadline, "training did not end");
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(2);
    h.state().state.ui_message.clone().map(|m| m.text).unwrap_or_default()
}

/// Steps until the status shows four assemblies (the loaded snapshot's).
fn wait_for_assemblies(h: &mut Harness<'static, EngramApp>) {
    let deadline = Instant::now() + Duration::from_secs_f64(common::PATIENCE_S);
    while h.state().state.status.as_ref().is_none_or(|s| s.assemblies.iter().filter(|a| !a.is_empty()).count() < 4) {
        assert!(Instant::now() < deadline, "the trained network's assemblies never showed");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn trained_once_then_loaded_from_the_cache_and_rebuilt_when_corrupt() {
    let dir = common::scratch_dir("trained_cache");
    let params = common::trained::trainable_params(8);
    let path = cache::entry_path(&dir, &params).unwrap();

    // First start: nothing cached, so phase 1 is trained (progress shown) and cached.
    let mut h = app(&dir, 8);
    let msg = get_trained(&mut h);
    assert!(msg.contains("trained and cached"), "{msg}");
    assert!(path.exists());
    wait_for_assemblies(&mut h);
    let t = h.state().state.status.as_ref().map_or(0.0, |s| s.t_s);
    assert!(t >= params.protocol.init.duration_s, "the loaded network is at the end of phase 1, t = {t}");
    drop(h);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();

    // Second start: the cached file is loaded, not retrained (it is not rewritten).
    let mut h = app(&dir, 8);
    let msg = get_trained(&mut h);
    assert!(msg.contains("loaded from the cache"), "{msg}");
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified);
    wait_for_assemblies(&mut h);
    drop(h);

    // A corrupt entry is never trusted: rebuilt, and the message says why.
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(cache::lookup(&dir, &params).unwrap(), Lookup::Stale { .. }));
    let mut h = app(&dir, 8);
    let msg = get_trained(&mut h);
    assert!(msg.contains("cache entry rebuilt") && msg.contains("checksum"), "{msg}");
    assert!(matches!(cache::lookup(&dir, &params).unwrap(), Lookup::Hit { .. }));
    wait_for_assemblies(&mut h);
}

#[test]
fn a_stale_entry_and_another_seed_are_not_used() {
    let dir = common::scratch_dir("trained_cache_stale");
    let params = common::trained::trainable_params(9);
    // Another seed has another key; a file under this key holding other parameters is stale.
    let mut other = params.clone();
    other.seed = 10;
    assert_ne!(cache::entry_path(&dir, &params).unwrap(), cache::entry_path(&dir, &other).unwrap());
    let net = engram::sim::Network::new(other).unwrap();
    let extras =
        engram::io::snapshot::Extras { assemblies: Some(vec![engram::sim::Pattern::from_indices("circle", vec![1])]) };
    cache::store(&cache::entry_path(&dir, &params).unwrap(), &net, &extras).unwrap();
    match cache::lookup(&dir, &params).unwrap() {
        Lookup::Stale { why, .. } => assert!(why.contains("parameters differ"), "{why}"),
        _ => panic!("a file with other parameters was trusted"),
    }
    assert!(matches!(cache::lookup(&dir.join("nothing"), &params).unwrap(), Lookup::Miss { .. }));
}

#[test]
fn training_can_be_cancelled_and_caches_nothing() {
    let dir = common::scratch_dir("trained_cache_cancel");
    let mut params = common::trained::trainable_params(11);
    // Long enough that Cancel comes first.
    params.protocol.init.duration_s = 3600.0;
    let opts = GuiOptions { cache_dir: Some(dir.clone()), train_threads: 1, ..GuiOptions::default() };
    let bridge = BridgeOptions { threads: 1, frame_interval_s: 0.0, ..BridgeOptions::default() };
    let app = EngramApp::with_bridge(params.clone(), opts, bridge);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut EngramApp| app.frame(ui), app);
    h.run_steps(2);
    h.get_by_label("Trained network").click();
    h.run_steps(3);
    assert!(h.state().is_training());
    assert!(h.query_all_by_label_contains("model time").count() >= 1, "the progress is shown");
    h.get_by_label("Cancel").click();
    let deadline = Instant::now() + Duration::from_secs_f64(common::PATIENCE_S);
    while h.state().is_training() {
        assert!(Instant::now() < deadline, "cancel did not stop training");
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let msg = h.state().state.ui_message.clone().map(|m| m.text).unwrap_or_default();
    assert!(msg.contains("cancelled"), "{msg}");
    assert!(!cache::entry_path(&dir, &params).unwrap().exists());
}

#[test]
fn engram_train_caches_and_reuses() {
    let dir = common::scratch_dir("trained_cache_cli");
    let preset = dir.join("p.toml");
    std::fs::write(&preset, engram::io::preset::to_toml(&common::trained::trainable_params(12)).unwrap()).unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_engram"))
            .args(["train", "--preset", preset.to_str().unwrap(), "--threads", "2"])
            .env(cache::CACHE_DIR_ENV, dir.join("cache"))
            .output()
            .unwrap()
    };
    let o = run();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(printed.starts_with(dir.join("cache").to_str().unwrap()) && printed.ends_with(".engram"), "{printed}");
    assert!(std::path::Path::new(&printed).exists());
    assert!(String::from_utf8_lossy(&o.stderr).contains("trained phase 1"));
    let o = run();
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), printed);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cached trained network is valid"));
}
