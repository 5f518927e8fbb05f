//! The input, raster and rates panels, fed hand-made frames through `AppState::ingest` and
//! rendered with egui_kittest (no window, no simulation thread): their labels must show, their
//! buffers must hold the known answers, and bad data must not panic.

use std::sync::Arc;

use egui_kittest::{Harness, kittest::Queryable};
use engram::app::{AppState, input_view, raster, rates};
use engram::bridge::{Frame, StimulusInfo};
use engram::io::preset;
use engram::sim::monitor::RateBin;
use engram::sim::views::WeightView;
use engram::sim::{Params, Pattern};

fn params() -> Arc<Params> {
    Arc::new(preset::default_params())
}

/// An empty frame over [t0, t1] with a status at t1.
fn frame(t0: f64, t1: f64) -> Frame {
    let p = params();
    let n_input = p.network.input_side * p.network.input_side;
    let mut f = Frame::empty(t0, t1, n_input, p);
    f.status.running = true;
    f.status.speed_x = 1.0;
    f.status.phase_elapsed_s = t1;
    f.status.e_hz = 5.0;
    f.status.i_hz = 10.0;
    f
}

fn state() -> AppState {
    AppState::new(&preset::default_params())
}

fn circle() -> Pattern {
    engram::sim::shapes::shapes()[0].clone()
}

fn assemblies() -> Arc<Vec<Pattern>> {
    Arc::new(vec![
        Pattern::from_indices("circle", (0..300).collect()),
        Pattern::from_indices("square", (300..500).collect()),
    ])
}

// ---- input ----------------------------------------------------------------------------------

#[test]
fn input_panel_names_the_stimulus_and_its_colour_scale() {
    let mut s = state();
    let mut f = frame(10.0, 10.05);
    let c = circle();
    f.status.stimulus =
        Some(StimulusInfo { name: c.name.clone(), pixels: Arc::new(c.indices.clone()), onset_s: 10.0, offset_s: 11.0 });
    for &p in &c.indices {
        f.input_counts[p as usize] = 2;
    }
    s.ingest(f);
    let mut h = Harness::new_ui_state(|ui, state: &mut AppState| input_view::show(ui, state), s);
    h.run();
    h.get_by_label("Input layer");
    h.get_by_label("circle");
    h.get_by_label("spikes (τ = 1 s)");
    assert!(h.query_by_label("no stimulus").is_none());
}

#[test]
fn input_panel_says_when_no_stimulus_is_shown() {
    let mut s = state();
    s.ingest(frame(0.0, 0.05));
    let mut h = Harness::new_ui_state(|ui, state: &mut AppState| input_view::show(ui, state), s);
    h.run();
    h.get_by_label("no stimulus");
}

#[test]
fn input_counts_leak_with_one_second_of_model_time() {
    let mut s = state();
    let mut f = frame(0.0, 0.5);
    f.input_counts[0] = 10;
    f.input_counts[100] = 3;
    s.ingest(f);
    assert_eq!(s.input.counts[0], 10.0);
    s.ingest(frame(0.5, 1.0));
    let expected = 10.0 * (-0.5f64).exp();
    assert!((s.input.counts[0] as f64 - expected).abs() < 1e-4, "{}", s.input.counts[0]);
    // A dropped frame (1.0–1.2 never arrives): the decay still covers the whole gap.
    s.ingest(frame(1.2, 1.5));
    let expected = 10.0 * (-1.0f64).exp();
    assert!((s.input.counts[0] as f64 - expected).abs() < 1e-4, "{}", s.input.counts[0]);
    // Paused frames (no time passing) change nothing.
    s.ingest(frame(1.5, 1.5));
    assert!((s.input.counts[0] as f64 - expected).abs() < 1e-4);
    // Time going backwards is a reset: the image starts afresh.
    let mut f = frame(0.0, 0.1);
    f.input_counts[5] = 1;
    s.ingest(f);
    assert_eq!(s.input.counts[0], 0.0);
    assert_eq!(s.input.counts[5], 1.0);
}

#[test]
fn input_survives_odd_frames() {
    let mut s = state();
    s.ingest(frame(f64::NAN, f64::INFINITY));
    let mut f = frame(0.0, 0.1);
    f.input_counts = vec![u16::MAX; 10]; // too short
    f.status.stimulus = Some(StimulusInfo {
        name: "odd".into(),
        pixels: Arc::new(vec![0, 4095, 4096, u32::MAX]),
        onset_s: 0.0,
        offset_s: 1.0,
    });
    s.ingest(f);
    assert_eq!(s.input.counts[0], u16::MAX as f32);
    let mut h = Harness::new_ui_state(|ui, state: &mut AppState| input_view::show(ui, state), s);
    h.run();
    h.get_by_label("odd");
}

// ---- raster ---------------------------------------------------------------------------------

fn show_raster(s: AppState) -> Harness<'static, AppState> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(700.0, 260.0))
        .build_ui_state(|ui, state: &mut AppState| raster::show(ui, state, 230.0), s);
    h.run();
    h
}

#[test]
fn raster_labels_populations_and_time() {
    let mut s = state();
    let mut f = frame(0.0, 2.0);
    f.e_spikes = (0..4096).map(|n| (n as f64 / 4096.0 * 2.0, n)).collect();
    f.i_spikes = (0..1024).map(|n| (1.0, n)).collect();
    s.ingest(f);
    let h = show_raster(s);
    h.get_by_label("Spikes");
    h.get_by_label("E");
    h.get_by_label("I");
    h.get_by_label("t [s]");
    h.get_by_label("E by index");
}

#[test]
fn raster_sorts_by_assembly_and_names_the_groups() {
    let mut s = state();
    // Assemblies at the end of the index range, placed first in display order.
    let mut order: Vec<u32> = (3596..4096).collect();
    order.extend(0..3596);
    s.snapshot = Some(Arc::new(WeightView {
        order,
        group_bounds: vec![0, 300, 500, 4096],
        groups: vec!["circle".into(), "square".into(), "rest".into()],
        ..Default::default()
    }));
    let mut f = frame(0.0, 1.0);
    f.e_spikes = vec![(0.5, 3596), (0.5, 0)];
    s.ingest(f);
    let st = &s.raster;
    assert_eq!(st.groups.len(), 3);
    assert_eq!((st.groups[0].start, st.groups[0].end), (0, 300));
    // Neuron 3596 is displayed first (row 0); neuron 0 after the 500 assembly members.
    let col = st.ring.column_of(0.5).unwrap();
    assert_eq!(st.ring.get(col, 0), 1);
    assert_eq!(st.ring.get(col, 500 / st.per_row), 1);
    let h = show_raster(s);
    h.get_by_label("E sorted by assembly");
    h.get_by_label("circle");
    h.get_by_label("rest");
}

#[test]
fn raster_survives_bad_orders_indices_times_and_bursts() {
    let mut s = state();
    // An order shorter than n_e with repeats and out-of-range indices, bounds past its end.
    s.snapshot = Some(Arc::new(WeightView {
        order: vec![7, 7, 99_999, 3],
        group_bounds: vec![0, 2, 1, 1_000_000],
        groups: vec!["a".into()],
        ..Default::default()
    }));
    let mut f = frame(0.0, 0.1);
    f.e_spikes = vec![(0.05, 99_999), (f64::NAN, 1), (1e300, 2), (-5.0, 3), (0.05, u32::MAX)];
    f.i_spikes = vec![(0.05, 5000), (0.05, 1)];
    s.ingest(f);
    // A huge burst: two million spikes in one frame.
    let mut f = frame(0.1, 0.2);
    f.e_spikes = (0..2_000_000u32).map(|k| (0.1 + (k % 100) as f64 * 0.001, k % 4096)).collect();
    s.ingest(f);
    let (l, r) = s.raster.time_span().unwrap();
    assert!((r - 0.2).abs() < 0.011 && (r - l - raster::WINDOW_S).abs() < 1e-9, "{l}..{r}");
    let h = show_raster(s);
    h.get_by_label("E");
}

#[test]
fn raster_clears_on_reset_and_keeps_a_fixed_window() {
    let mut s = state();
    let mut t = 0.0;
    // 30 s of frames: the ring keeps 4 s, whatever ran before.
    while t < 30.0 {
        let mut f = frame(t, t + 0.05);
        f.e_spikes = vec![(t + 0.01, 0)];
        s.ingest(f);
        t += 0.05;
    }
    let (l, r) = s.raster.time_span().unwrap();
    assert!((r - 30.0).abs() < 0.02 && (r - l - raster::WINDOW_S).abs() < 1e-9);
    let col = s.raster.ring.column_of(29.96).unwrap();
    assert_eq!(s.raster.ring.get(col, 0), 1);
    // Reset: time starts again at 0.
    s.ingest(frame(0.0, 0.05));
    let (_, r) = s.raster.time_span().unwrap();
    assert!(r < 0.1);
    assert!((0..s.raster.ring.n_cols() as i64).all(|c| s.raster.ring.get(c, 0) == 0));
}

// ---- rates ----------------------------------------------------------------------------------

fn bins(t0: f64, n: usize, e: f64) -> Vec<RateBin> {
    (1..=n)
        .map(|k| RateBin {
            t_s: t0 + k as f64 * 0.1,
            e_hz: e,
            i_hz: 2.0 * e,
            input_hz: 5.0,
            assemblies_hz: vec![3.0 * e, 4.0 * e],
        })
        .collect()
}

fn show_rates(s: AppState) -> Harness<'static, AppState> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(700.0, 240.0))
        .build_ui_state(|ui, state: &mut AppState| rates::show(ui, state, 200.0), s);
    h.run();
    h
}

#[test]
fn rates_plot_has_axes_a_legend_and_assembly_lines() {
    let mut s = state();
    let mut f = frame(0.0, 2.0);
    f.rate_bins = bins(0.0, 20, 5.0);
    f.stimulus_spans = vec![("circle".into(), 0.5, 1.5)];
    f.status.assemblies = assemblies();
    s.ingest(f);
    let h = show_rates(s);
    h.get_by_label("Rates");
    h.get_by_label("rate [Hz]");
    h.get_by_label("t [s]");
    // Legend entries, named from the status.
    for name in ["E", "I", "input", "circle", "square"] {
        h.get_by_label(name);
    }
}

#[test]
fn rates_history_is_trimmed_to_the_window() {
    let mut s = state();
    for k in 0..200 {
        let t0 = k as f64;
        let mut f = frame(t0, t0 + 1.0);
        f.rate_bins = bins(t0, 10, 4.0);
        f.stimulus_spans = vec![("square".into(), t0 + 0.2, t0 + 0.4)];
        s.ingest(f);
    }
    let st = &s.rates;
    assert_eq!(st.window_s, rates::DEFAULT_WINDOW_S);
    assert!(st.bins.len() <= 601, "{}", st.bins.len());
    assert!(st.bins.front().unwrap().t_s >= 200.0 - st.window_s - 1e-9);
    assert!(st.spans.iter().all(|s| s.offset_s >= 140.0));
    assert_eq!(st.spans.len(), 60);
    // A shorter window drops more at once.
    s.rates.window_s = 10.0;
    s.rates.trim();
    assert!(s.rates.bins.len() <= 101);
    // Reset: time goes back, history starts again.
    let mut f = frame(0.0, 0.5);
    f.rate_bins = bins(0.0, 5, 1.0);
    s.ingest(f);
    assert_eq!(s.rates.bins.len(), 5);
    assert!(s.rates.spans.is_empty());
}

#[test]
fn rates_survive_nan_empty_and_out_of_order_bins() {
    let mut s = state();
    // Nothing at all yet.
    let h = show_rates(state());
    h.get_by_label("rate [Hz]");
    let mut f = frame(0.0, 1.0);
    let mut b = bins(0.0, 10, f64::NAN);
    b[3].e_hz = f64::INFINITY;
    b[4].t_s = f64::NAN;
    b[5].t_s = 0.05; // earlier than the bin before it
    b[6].assemblies_hz.clear();
    f.rate_bins = b;
    f.stimulus_spans = vec![("x".into(), f64::NAN, 1.0), ("y".into(), 0.9, 0.2)];
    f.status.assemblies = assemblies();
    s.ingest(f);
    assert_eq!(s.rates.bins.len(), 8);
    assert_eq!(s.rates.spans.len(), 1);
    let h = show_rates(s);
    h.get_by_label("t [s]");
}

#[test]
fn rates_series_can_be_switched_off_and_on() {
    let mut s = state();
    let mut f = frame(0.0, 1.0);
    f.rate_bins = bins(0.0, 10, 5.0);
    s.ingest(f);
    let mut h = show_rates(s);
    h.get_by_label("input").click();
    h.run();
    assert_eq!(h.state().rates.hidden, ["input"]);
    h.get_by_label("input").click();
    h.run();
    assert!(h.state().rates.hidden.is_empty());
}
