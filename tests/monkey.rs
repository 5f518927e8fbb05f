//! A monkey in the window: the real `EngramApp` on the small network, driven by seeded random
//! events — clicks and right-clicks anywhere, drags across the canvas and the plots, scrolling,
//! key presses with and without modifiers (every shortcut among them), text typed into whatever
//! field has focus, menus opened by the clicks. After every frame: nothing panicked, the
//! simulation thread is alive and every parameter in force is valid.
//!
//! File dialogs are answered by a stand-in: saves go to a scratch directory, opens get a file of
//! junk (so the error paths for bad files run too). The number of events and the seed come from
//! `ENGRAM_MONKEY_EVENTS` (default 10,000) and `ENGRAM_MONKEY_SEED` (default 1); a failure names
//! both the seed and the event index, so it can be replayed.

mod common;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use egui::{Event, Key, Modifiers, MouseWheelUnit, PointerButton, Pos2, pos2, vec2};
use egui_kittest::Harness;
use engram::app::dialog::FileChoice;
use engram::app::{EngramApp, GuiOptions};
use engram::bridge::BridgeOptions;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SIZE: egui::Vec2 = vec2(1280.0, 800.0);

/// Where the stand-in dialog puts saved files and the junk it offers to open.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = common::scratch_dir("monkey");
        for ext in ["engram", "toml", "pat", "mtx"] {
            std::fs::write(dir.join(format!("junk.{ext}")), b"\x00\x01not a valid file\n[[[\n3 3\n").unwrap();
        }
        dir
    })
}

/// The stand-in for the native dialogs: never blocks, never asks anyone; every third dialog is
/// cancelled.
fn dialog(choice: &FileChoice) -> Option<PathBuf> {
    static ASKED: AtomicUsize = AtomicUsize::new(0);
    if ASKED.fetch_add(1, Ordering::Relaxed) % 3 == 2 {
        return None;
    }
    let ext = match choice {
        FileChoice::OpenState | FileChoice::SaveState => "engram",
        FileChoice::OpenPreset | FileChoice::SavePreset(_) | FileChoice::OpenLesson => "toml",
        FileChoice::OpenPatterns => "pat",
        FileChoice::Export(_) => "mtx",
    };
    let name = if choice.is_save() { format!("saved.{ext}") } else { format!("junk.{ext}") };
    Some(scratch().join(name))
}

const KEYS: &[Key] = &[
    Key::Space,
    Key::Enter,
    Key::Escape,
    Key::Tab,
    Key::Backspace,
    Key::Delete,
    Key::ArrowUp,
    Key::ArrowDown,
    Key::ArrowLeft,
    Key::ArrowRight,
    Key::PageUp,
    Key::PageDown,
    Key::Home,
    Key::End,
    Key::Questionmark,
    Key::Minus,
    Key::Plus,
    Key::Equals,
    Key::Num0,
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num9,
    Key::A,
    Key::C,
    Key::L,
    Key::O,
    Key::P,
    Key::R,
    Key::S,
    Key::T,
    Key::Z,
    Key::F1,
    Key::F5,
    Key::F6,
    Key::F11,
];

const TEXTS: &[&str] =
    &["0", "1", "-1", "0.5", "1e9", "-1e-300", "NaN", "inf", "abc", "", " ", "12345678901234567890", "0x10", "é"];

fn modifiers(rng: &mut impl Rng) -> Modifiers {
    match rng.random_range(0..10) {
        0 => Modifiers::COMMAND,
        1 => Modifiers::SHIFT,
        2 => Modifiers::ALT,
        _ => Modifiers::NONE,
    }
}

fn anywhere(rng: &mut impl Rng) -> Pos2 {
    pos2(rng.random_range(0.0..SIZE.x), rng.random_range(0.0..SIZE.y))
}

/// One random user action, as the events of one frame (a drag spans several frames).
fn action(rng: &mut impl Rng) -> Vec<Vec<Event>> {
    let press = |pos, button, pressed, modifiers| Event::PointerButton { pos, button, pressed, modifiers };
    match rng.random_range(0..100) {
        // A click (a few of them right-clicks), which also opens and closes menus.
        0..45 => {
            let pos = anywhere(rng);
            let button = if rng.random_bool(0.1) { PointerButton::Secondary } else { PointerButton::Primary };
            let m = modifiers(rng);
            vec![vec![Event::PointerMoved(pos), press(pos, button, true, m), press(pos, button, false, m)]]
        }
        // A drag in a few moves: drawing on the canvas, panning plots, sliders.
        45..60 => {
            let (a, b) = (anywhere(rng), anywhere(rng));
            let n = rng.random_range(2..6);
            let mut frames =
                vec![vec![Event::PointerMoved(a), press(a, PointerButton::Primary, true, Modifiers::NONE)]];
            for i in 1..=n {
                frames.push(vec![Event::PointerMoved(a + (b - a) * (i as f32 / n as f32))]);
            }
            frames.push(vec![press(b, PointerButton::Primary, false, Modifiers::NONE)]);
            frames
        }
        // Scrolling (zooms plots with Ctrl).
        60..65 => {
            let pos = anywhere(rng);
            let delta = vec2(rng.random_range(-50.0..50.0), rng.random_range(-200.0..200.0));
            let modifiers = modifiers(rng);
            vec![vec![
                Event::PointerMoved(pos),
                Event::MouseWheel {
                    unit: MouseWheelUnit::Point,
                    delta,
                    phase: egui::TouchPhase::Move,
                    modifiers,
                    source: egui::MouseWheelSource::Wheel,
                },
            ]]
        }
        // Typing into whatever has focus.
        65..75 => vec![vec![Event::Text(TEXTS[rng.random_range(0..TEXTS.len())].to_string())]],
        // Hovering (tooltips).
        75..80 => vec![vec![Event::PointerMoved(anywhere(rng))]],
        // A key, with or without modifiers: every shortcut is among them.
        _ => {
            let key = KEYS[rng.random_range(0..KEYS.len())];
            let modifiers = modifiers(rng);
            let ev = |pressed| Event::Key { key, physical_key: None, pressed, repeat: false, modifiers };
            vec![vec![ev(true), ev(false)]]
        }
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn random_events_never_break_the_window() {
    let events: usize = env_or("ENGRAM_MONKEY_EVENTS", 10_000);
    let seed: u64 = env_or("ENGRAM_MONKEY_SEED", 1);
    // SAFETY: this test binary runs this one test, and sets the variable before it starts any
    // thread that reads the environment.
    unsafe { std::env::set_var("ENGRAM_CACHE_DIR", scratch().join("cache")) };
    let bridge = BridgeOptions { threads: 1, frame_interval_s: 0.0, ..BridgeOptions::default() };
    let mut app = EngramApp::with_bridge(common::small_params(seed), GuiOptions::default(), bridge);
    app.state.dialog = dialog;
    let mut h = Harness::builder().with_size(SIZE).build_ui_state(|ui, app: &mut EngramApp| app.frame(ui), app);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let started = std::time::Instant::now();
    let mut frames = 0_u64;
    for index in 0..events {
        for evs in action(&mut rng) {
            for e in evs {
                h.event(e);
            }
            let ok = std::panic::catch_unwind(AssertUnwindSafe(|| h.step()));
            frames += 1;
            assert!(ok.is_ok(), "the window panicked at event {index} (ENGRAM_MONKEY_SEED={seed})");
            let app = h.state();
            let alive = app.sim().is_some_and(engram::bridge::SimHandle::is_alive);
            if !alive {
                let why = app.sim().and_then(engram::bridge::SimHandle::failure);
                panic!("simulation thread down at event {index} (ENGRAM_MONKEY_SEED={seed}): {why:?}");
            }
            if let Err(e) = app.state.controls.current.validate() {
                panic!("invalid parameter in force at event {index} (ENGRAM_MONKEY_SEED={seed}): {e}");
            }
        }
    }
    // The simulation is still answering: it reports a status after all this.
    let t = h.state().state.status.as_ref().map(|s| s.t_s);
    eprintln!(
        "monkey: seed {seed}, {events} events, {frames} frames in {:.1} s, model time {t:?} s",
        started.elapsed().as_secs_f64()
    );
    assert!(t.is_some(), "no status ever arrived");
}
