//! Frame-time budget of the input, raster and rates panels at full size (ignored by default:
//! run with `cargo test --test panels_plots_timing -- --ignored --nocapture`).
//!
//! Feeds 60 frames of 50 ms model time at 20 Hz per neuron (about 5 000 E and 1 000 I spikes a
//! frame, with a 60 s rate history and four assemblies) and times `ingest` and the three panels'
//! `show` through a bare `egui::Context` (layout and tessellation, no GPU).

use std::sync::Arc;
use std::time::Instant;

use engram::app::{AppState, input_view, raster, rates};
use engram::bridge::{Frame, StimulusInfo};
use engram::io::preset;
use engram::sim::Pattern;
use engram::sim::monitor::RateBin;
use engram::sim::views::WeightView;

fn frame(k: usize, params: &Arc<engram::sim::Params>, assemblies: &Arc<Vec<Pattern>>) -> Frame {
    let (t0, t1) = (k as f64 * 0.05, (k + 1) as f64 * 0.05);
    // A cheap deterministic scatter of spikes over neurons and time.
    let spikes = |n: usize, count: usize, salt: usize| -> Vec<(f64, u32)> {
        (0..count).map(|j| (t0 + (j as f64 / count as f64) * 0.05, ((j * 7919 + salt * 104_729) % n) as u32)).collect()
    };
    let circle = engram::sim::shapes::shapes()[0].clone();
    let mut f = Frame::empty(t0, t1, 4096, params.clone());
    f.e_spikes = spikes(4096, 4096, k);
    f.i_spikes = spikes(1024, 1024, k + 1);
    f.input_counts = (0..4096).map(|i| (i * 31 + k).is_multiple_of(7) as u16).collect();
    if k.is_multiple_of(2) {
        f.rate_bins =
            vec![RateBin { t_s: t1, e_hz: 5.0, i_hz: 12.0, input_hz: 6.0, assemblies_hz: vec![20.0, 3.0, 4.0, 5.0] }];
    }
    f.status.running = true;
    f.status.speed_x = 1.0;
    f.status.phase_elapsed_s = t1;
    f.status.stimulus = Some(StimulusInfo {
        name: circle.name.clone(),
        pixels: Arc::new(circle.indices.clone()),
        onset_s: t0,
        offset_s: t0 + 1.0,
    });
    f.status.e_hz = 5.0;
    f.status.i_hz = 12.0;
    f.status.assemblies = assemblies.clone();
    f
}

#[test]
#[ignore = "timing report, run by hand"]
fn panel_frame_times() {
    let params = Arc::new(preset::default_params());
    let assemblies: Arc<Vec<Pattern>> = Arc::new(
        ["circle", "square", "cross", "triangle"]
            .iter()
            .enumerate()
            .map(|(a, n)| Pattern::from_indices(*n, (a as u32 * 300..a as u32 * 300 + 250).collect()))
            .collect(),
    );
    let mut state = AppState::new(&params);
    let mut order: Vec<u32> = (0..4096).rev().collect();
    order.rotate_left(100);
    state.snapshot = Some(Arc::new(WeightView {
        order,
        group_bounds: vec![0, 250, 500, 750, 1000, 4096],
        groups: ["circle", "square", "cross", "triangle", "rest"]
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
        ..Default::default()
    }));
    // A full minute of rate history first.
    for k in 0..1200 {
        let mut f = frame(k, &params, &assemblies);
        f.e_spikes.clear();
        f.i_spikes.clear();
        state.ingest(f);
    }
    let ctx = egui::Context::default();
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 800.0))),
        ..Default::default()
    };
    let (mut t_ingest, mut t_show, mut t_tess, n) = (0.0, 0.0, 0.0, 60);
    let mut per_panel = [0.0f64; 3];
    for k in 1200..1200 + n {
        let f = frame(k, &params, &assemblies);
        let t = Instant::now();
        state.ingest(f);
        t_ingest += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let out = ctx.run_ui(input.clone(), |ui| {
            egui::Panel::left("left").default_size(290.0).show(ui, |ui| {
                let t = Instant::now();
                input_view::show(ui, &mut state);
                per_panel[0] += t.elapsed().as_secs_f64();
            });
            egui::CentralPanel::default().show(ui, |ui| {
                let t = Instant::now();
                raster::show(ui, &mut state, 220.0);
                per_panel[1] += t.elapsed().as_secs_f64();
                let t = Instant::now();
                rates::show(ui, &mut state, 180.0);
                per_panel[2] += t.elapsed().as_secs_f64();
            });
        });
        t_show += t.elapsed().as_secs_f64();
        let t = Instant::now();
        // Timed, not inspected.
        let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
        let mut textures = out.textures_delta;
        textures.clear();
        t_tess += t.elapsed().as_secs_f64();
    }
    let ms = |x: f64| x / n as f64 * 1e3;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(state.raster.render(150, 38));
    }
    println!("  raster render alone {:.2} ms", ms(t.elapsed().as_secs_f64()));
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(state.raster.render(1, 1));
    }
    println!("  raster render 1 row {:.2} ms", ms(t.elapsed().as_secs_f64()));
    println!(
        "per frame: ingest {:.2} ms, show (3 panels) {:.2} ms, tessellate {:.2} ms",
        ms(t_ingest),
        ms(t_show),
        ms(t_tess)
    );
    println!("  input {:.2} ms, raster {:.2} ms, rates {:.2} ms", ms(per_panel[0]), ms(per_panel[1]), ms(per_panel[2]));
}
