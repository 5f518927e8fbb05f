//! The inspector window, fed hand-made frames and a weight view through `AppState` and drawn
//! in the whole window with egui_kittest: selecting sends the command, the histories hold the
//! known answers, and the window shows the neuron's memberships and inputs.

use std::sync::Arc;

use egui_kittest::{Harness, kittest::Queryable};
use engram::app::AppState;
use engram::bridge::{Command, Frame};
use engram::io::preset;
use engram::sim::probe::{GroupInput, NeuronView, ProbeSample};
use engram::sim::views::WeightView;

fn sample(step: u64, spikes: u16) -> ProbeSample {
    ProbeSample { step, v: -60.0, theta: 1.0, g_ampa: 0.2, g_nmda: 0.1, g_gaba: 0.3, g_a1: 0.0, g_a2: 0.05, spikes }
}

/// A frame over model time [0, t1] whose status says neuron `n` is inspected, with `probe`.
fn frame(state: &AppState, t1: f64, n: Option<u32>, probe: Vec<ProbeSample>) -> Frame {
    let mut f = Frame::empty(0.0, t1, 64 * 64, state.controls.current.clone());
    f.status.inspected = n;
    f.probe = probe;
    f
}

#[test]
fn selecting_records_and_the_window_shows_the_neuron() {
    let mut s = AppState::new(&preset::default_params());
    s.inspector.select(Some(42), &mut s.outbox);
    assert_eq!(s.outbox, [Command::Inspect(Some(42))]);
    s.outbox.clear();

    // 12 s of samples every 1 ms; one spike in the middle of every 100 ms: 10 Hz.
    let probe: Vec<ProbeSample> = (1..=12_000u64).map(|k| sample(k * 10, u16::from(k % 100 == 50))).collect();
    // A frame still about no neuron (sent before the command arrived) is ignored.
    s.ingest(frame(&s, 12.0, None, probe.clone()));
    assert!(s.inspector.samples.is_empty());
    s.ingest(frame(&s, 12.0, Some(42), probe));
    // The last 10 s are kept: steps 20 000 ..= 120 000.
    assert_eq!(s.inspector.samples.len(), 10_001);
    assert_eq!(s.inspector.samples.front().map(|x| x.step), Some(20_000));
    // Twelve complete 1 s bins (the sample at 12 s closes the last), each with 10 spikes.
    let rates: Vec<(f64, f64)> = s.inspector.rate_history.iter().copied().collect();
    assert_eq!(rates, (0..12).map(|k| (k as f64, 10.0)).collect::<Vec<_>>());

    let mut rf = vec![f32::NAN; 64 * 64];
    rf[0] = 0.5;
    s.snapshot = Some(Arc::new(WeightView {
        neuron: Some(NeuronView {
            neuron: 42,
            t_s: 12.0,
            memberships: vec!["circle".into()],
            receptive_field: rf,
            input_side: 64,
            incoming: vec![
                GroupInput { group: "circle".into(), synapses: 120, w_mean: 0.9, wt_mean: 0.8 },
                GroupInput { group: "rest".into(), synapses: 80, w_mean: 0.1, wt_mean: 0.05 },
            ],
        }),
        ..Default::default()
    }));
    let mut h = Harness::builder().with_size(egui::vec2(1280.0, 900.0)).build_ui_state(
        |ui, s: &mut AppState| {
            engram::app::view::add_fallback_font(ui.ctx());
            s.ui(ui);
        },
        s,
    );
    h.run();
    h.get_by_label("E neuron 42");
    h.get_by_label("member of circle");
    h.get_by_label("0.900");
    h.get_by_label("0.050");
    assert!(h.query_all_by_label("10 Hz").count() >= 1, "the rate of the last bin");
    assert!(h.state().outbox.is_empty(), "drawing sends nothing: {:?}", h.state().outbox);
}

#[test]
fn deselecting_sends_the_command_and_drops_the_histories() {
    let mut s = AppState::new(&preset::default_params());
    s.inspector.select(Some(7), &mut s.outbox);
    let f = frame(&s, 1.0, Some(7), (1..=1000).map(|k| sample(k * 10, 0)).collect());
    s.ingest(f);
    assert_eq!(s.inspector.samples.len(), 1000);
    s.inspector.select(None, &mut s.outbox);
    assert_eq!(s.outbox, [Command::Inspect(Some(7)), Command::Inspect(None)]);
    assert!(s.inspector.samples.is_empty() && s.inspector.rate_history.is_empty());
    // Frames still naming the old neuron change nothing.
    let f = frame(&s, 2.0, Some(7), (1001..=2000).map(|k| sample(k * 10, 0)).collect());
    s.ingest(f);
    assert!(s.inspector.samples.is_empty());
}
