//! The history ring through the simulation thread: entries are recorded on the interval's
//! grid, and resuming from one repeats the straight run spike for spike.

mod common;

use common::{PATIENCE_S, wait_for};
use engram::bridge::{BridgeOptions, Command, SimHandle};

/// Steps `ms` and waits until the thread has paused at `until_s`, collecting the E spikes and
/// the history marks of the frames on the way.
fn step(h: &SimHandle, ms: u32, until_s: f64, spikes: &mut Vec<(f64, u32)>, marks: &mut Vec<(u64, f64, usize)>) {
    h.send(Command::Step { ms }).unwrap();
    wait_for(h, PATIENCE_S, |f| {
        spikes.extend(f.e_spikes.iter().copied());
        marks.extend(f.history.iter().map(|m| (m.id, m.t_s, m.spans.len())));
        !f.status.running && (f.status.t_s - until_s).abs() < 1e-9
    })
    .unwrap_or_else(|| panic!("did not reach {until_s} s"));
}

#[test]
fn resuming_from_history_repeats_the_straight_run() {
    let o = BridgeOptions { start_running: false, frame_interval_s: 0.0, history_every_s: 0.1, ..Default::default() };
    let h = SimHandle::spawn(common::small_params(31), o).unwrap();
    // Partial cues (drawn from the user stream) before the entry resumed from and after it, so
    // that the resumed run needs the schedule, the input stream and the user stream restored.
    let cue =
        |fraction| Command::Present { pattern: engram::sim::shapes::shapes()[0].clone(), duration_s: 0.1, fraction };
    let (mut straight, mut marks) = (Vec::new(), Vec::new());
    h.send(cue(0.6)).unwrap();
    step(&h, 250, 0.25, &mut straight, &mut marks);
    h.send(cue(0.5)).unwrap();
    step(&h, 250, 0.5, &mut straight, &mut marks);
    let times: Vec<f64> = marks.iter().map(|m| (m.1 * 1e3).round()).collect();
    assert_eq!(times, [0.0, 100.0, 200.0, 300.0, 400.0, 500.0], "entries every 100 ms");
    // Each entry carries the stimuli over its rates (the last minute): none at 0, then the
    // first cue, then also the scheduled shape of 0.24 s and the second cue that cut it short.
    assert_eq!(marks.iter().map(|m| m.2).collect::<Vec<_>>(), [0, 1, 1, 3, 3, 3]);

    // Back to 0.2 s, then the same commands at the same times as in the straight run.
    h.send(Command::Resume(marks[2].0)).unwrap();
    let (mut resumed, mut later_marks) = (Vec::new(), Vec::new());
    step(&h, 50, 0.25, &mut resumed, &mut later_marks);
    h.send(cue(0.5)).unwrap();
    step(&h, 250, 0.5, &mut resumed, &mut later_marks);
    resumed.retain(|&(t, _)| t > 0.2 + 1e-9);
    let later: Vec<(f64, u32)> = straight.into_iter().filter(|&(t, _)| t > 0.2 + 1e-9).collect();
    assert!(later.len() > 100, "too few spikes to compare: {}", later.len());
    assert_eq!(resumed, later);
    // The entries after 0.2 s are a branch; the resumed run recorded its own.
    h.send(Command::Step { ms: 1 }).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.t_s > 0.5).unwrap();
    let branch: Vec<bool> = f.status.history.iter().filter(|i| i.1 > 0.25).map(|i| i.2).collect();
    assert_eq!(branch, [true, true, true, false, false, false], "{:?}", f.status.history);
    h.shutdown().unwrap();
}
