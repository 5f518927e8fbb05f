//! The simulation thread without a window: command order, merged frames, runaway guard,
//! refused edits, clean shutdown.

mod common;

use common::{PATIENCE_S, wait_for};

use std::time::{Duration, Instant};

use engram::bridge::{BridgeOptions, Command, Frame, Level, PhaseChoice, SimHandle};

fn opts(running: bool) -> BridgeOptions {
    BridgeOptions { start_running: running, frame_interval_s: 0.0, snapshot_interval_s: 0.05, ..Default::default() }
}

#[test]
fn commands_apply_in_order_at_chunk_boundaries() {
    let h = SimHandle::spawn(common::small_params(1), opts(false)).unwrap();
    let shape = engram::sim::shapes::shapes()[0].clone();
    h.send(Command::Step { ms: 5 }).unwrap();
    h.send(Command::Present { pattern: shape, duration_s: 0.01, fraction: 0.5 }).unwrap();
    h.send(Command::Step { ms: 3 }).unwrap();
    // 8 ms of model time in total, then paused again.
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.running && (f.status.t_s - 0.008).abs() < 1e-9);
    assert!(f.is_some(), "did not reach 8 ms paused");
    let log = h.drain_log();
    let names: Vec<&str> = log.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(names, ["step 5 ms", "present circle for 0.01 s (fraction 0.5)", "step 3 ms"]);
    assert!(log.iter().all(|(step, _)| step % 10 == 0), "not at 1 ms chunk boundaries: {log:?}");
    assert!(log.windows(2).all(|w| w[0].0 <= w[1].0));
    h.shutdown().unwrap();
}

/// Every 100 ms bin of frames read until one satisfies `last`, with that frame.
fn bins_until(h: &SimHandle, mut last: impl FnMut(&Frame) -> bool) -> (Vec<f64>, Frame) {
    let mut bins = Vec::new();
    let f = wait_for(h, PATIENCE_S, |f| {
        bins.extend(f.rate_bins.iter().map(|b| b.t_s));
        last(f)
    })
    .expect("the frame is guaranteed to come");
    (bins, f)
}

/// Bin end times k·0.1 s for k in `ks`.
fn bin_times(ks: std::ops::RangeInclusive<u32>) -> Vec<f64> {
    ks.map(|k| k as f64 * 0.1).collect()
}

fn assert_bins(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "bins {got:?}");
    assert!(got.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-9), "bins {got:?}, expected {want:?}");
}

#[test]
fn a_full_stream_merges_frames_instead_of_blocking_or_losing_bins() {
    let o = BridgeOptions { frame_capacity: 2, ..opts(true) };
    let h = SimHandle::spawn(common::small_params(2), o).unwrap();
    // Nobody reads frames for a while: the simulation must keep going, and merge what the UI
    // cannot take yet into the frame it holds.
    std::thread::sleep(Duration::from_millis(1500));
    let (bins, f) = bins_until(&h, |f| f.status.coalesced_frames > 0 && f.status.t_s > 0.35);
    assert!(!bins.is_empty(), "no bins");
    // Every bin from the first on arrives once, in order: none was lost with a merged frame.
    let n = bins.len() as u32;
    assert_bins(&bins, &bin_times(1..=n));
    let start = f.status.t_s;
    assert!(wait_for(&h, PATIENCE_S, |f| f.status.t_s > start + 0.01).is_some(), "simulation stopped advancing");
    h.shutdown().unwrap();
}

/// The reader stalls while the simulation steps 0.5 s and pauses; once it reads, the stream
/// holds the final time with the paused status, and every 100 ms bin exactly once. With one
/// place in the stream and a frame offered per chunk, the stream is full almost all the time.
#[test]
fn a_stalled_reader_still_gets_the_final_state_and_every_bin() {
    let o = BridgeOptions { frame_capacity: 1, ..opts(false) };
    let h = SimHandle::spawn(common::small_params(5), o).unwrap();
    h.send(Command::Step { ms: 500 }).unwrap();
    // Stall: whether or not the step is finished by then, the result below must hold.
    std::thread::sleep(Duration::from_millis(300));
    let (bins, f) = bins_until(&h, |f| !f.status.running && (f.status.t_s - 0.5).abs() < 1e-9);
    assert_bins(&bins, &bin_times(1..=5));
    assert_eq!(f.t_end_s, 0.5);
    // A message after the pause reaches the stalled stream too.
    h.send(Command::SetRunawayLimit(200.0)).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let f = wait_for(&h, PATIENCE_S, |f| f.status.message.as_ref().is_some_and(|m| m.text.contains("200")))
        .expect("the message");
    assert!(!f.status.running);
    h.shutdown().unwrap();
}

#[test]
fn runaway_network_pauses_with_a_message() {
    let o = BridgeOptions { runaway_hz: 0.5, ..opts(true) };
    let h = SimHandle::spawn(common::small_params(3), o).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.message.is_some()).expect("paused");
    let m = f.status.message.unwrap();
    assert_eq!(m.level, Level::Warning);
    assert!(m.text.starts_with("paused:") && m.text.contains("population rate"), "{}", m.text);
    h.shutdown().unwrap();
}

#[test]
fn invalid_edit_is_refused_and_network_rebuilds() {
    let h = SimHandle::spawn(common::small_params(4), opts(false)).unwrap();
    let mut bad = common::small_params(4);
    bad.plasticity.eta = f64::NAN;
    h.send(Command::SetParams(Box::new(bad))).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| f.status.message.is_some()).expect("a message");
    let m = f.status.message.unwrap();
    assert_eq!(m.level, Level::Warning);
    assert!(m.text.contains("plasticity.eta"), "{}", m.text);
    let mut good = common::small_params(4);
    good.plasticity.beta = 0.01;
    h.send(Command::SetParams(Box::new(good))).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| f.status.params.plasticity.beta == 0.01).expect("edit applied");
    assert_eq!(f.status.message.unwrap().level, Level::Info);
    h.send(Command::StartPhase(PhaseChoice::Free)).unwrap();
    h.send(Command::Reset(Box::new(common::small_params(9)))).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| f.status.params.seed == 9).expect("rebuilt");
    assert_eq!(f.status.phase, PhaseChoice::Free);
    h.shutdown().unwrap();
}

#[test]
fn shutdown_is_clean_while_running_and_while_paused() {
    for running in [true, false] {
        let h = SimHandle::spawn(common::small_params(5), opts(running)).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(h.is_alive());
        let t0 = Instant::now();
        h.shutdown().unwrap();
        assert!(t0.elapsed() < Duration::from_secs(5));
    }
}

#[test]
fn runaway_limit_can_be_changed_and_a_bad_one_is_refused() {
    let h = SimHandle::spawn(common::small_params(6), opts(false)).unwrap();
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY, 1e6] {
        h.send(Command::SetRunawayLimit(bad)).unwrap();
        let f =
            wait_for(&h, PATIENCE_S, |f| f.status.message.as_ref().is_some_and(|m| m.text.starts_with("edit refused")))
                .unwrap_or_else(|| panic!("{bad} Hz not refused"));
        assert!(f.status.message.unwrap().text.contains("runaway limit"));
        assert_eq!(f.status.runaway_hz, engram::bridge::DEFAULT_RUNAWAY_HZ);
        h.send(Command::SetRunawayLimit(engram::bridge::DEFAULT_RUNAWAY_HZ)).unwrap();
        wait_for(&h, PATIENCE_S, |f| f.status.message.as_ref().is_some_and(|m| m.level == Level::Info)).unwrap();
    }
    // A limit the quiet network exceeds at once pauses it.
    h.send(Command::SetRunawayLimit(0.5)).unwrap();
    h.send(Command::Run).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| f.status.message.as_ref().is_some_and(|m| m.text.starts_with("paused:")))
        .expect("paused by the new limit");
    assert_eq!(f.status.runaway_hz, 0.5);
    assert!(f.status.message.unwrap().text.contains("Hz exceeds 0.5 Hz"));
    assert!(!f.status.running);
    assert!(SimHandle::spawn(common::small_params(6), BridgeOptions { runaway_hz: -1.0, ..opts(false) }).is_err());
    h.shutdown().unwrap();
}

#[test]
fn a_panic_in_the_simulation_thread_is_reported_with_its_message() {
    // A full, unread stream must not lose the report: it has its own slot.
    let h = SimHandle::spawn(common::small_params(7), BridgeOptions { frame_capacity: 1, ..opts(true) }).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(h.is_alive() && h.failure().is_none());
    h.send(Command::InjectPanic).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.is_alive() {
        assert!(Instant::now() < deadline, "thread still alive after the injected panic");
        std::thread::sleep(Duration::from_millis(20));
    }
    let why = h.failure().expect("a failure message");
    assert_eq!(why, "simulation thread failed: injected failure (Command::InjectPanic)");
    assert!(h.send(Command::Run).unwrap_err().to_string().contains("stopped"));
    // The thread caught its panic, so shutting down the handle is not an error.
    h.shutdown().unwrap();
}
