//! The Weights panel under egui_kittest: renders with and without a snapshot, shows the
//! expected labels, and re-uploads its textures only when a new snapshot arrives.

use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use engram::app::AppState;
use engram::app::weights::{self, NO_ASSEMBLIES_NOTE, RF_NONE_NOTE, UNIT_LABEL, WAITING_NOTE};
use engram::io::preset;
use engram::sim::views::{HIST_BINS, Histogram, WeightView};

const NAMES: [&str; 4] = ["circle", "square", "cross", "triangle"];

/// A hand-made snapshot: 400 neurons, `assemblies` groups of 50 then the rest, 40 bins; blocks
/// within an assembly 0.8 (w) / 0.5 (w̃), elsewhere 0.1 / 0; each receptive field a bright
/// square in a different quadrant.
fn snapshot(assemblies: usize) -> WeightView {
    let n = 400;
    let bins = 40;
    let mut group_bounds: Vec<usize> = (0..=assemblies).map(|g| g * 50).collect();
    group_bounds.push(n);
    let mut groups: Vec<String> = NAMES[..assemblies].iter().map(std::string::ToString::to_string).collect();
    groups.push("rest".into());
    let group_of_block = |b: usize| (b * n / bins / 50).min(assemblies);
    let mut w_blocks = vec![0.1f32; bins * bins];
    let mut wt_blocks = vec![0.0f32; bins * bins];
    for r in 0..bins {
        for c in 0..bins {
            let (gr, gc) = (group_of_block(r), group_of_block(c));
            if gr == gc && gr < assemblies {
                w_blocks[r * bins + c] = 0.8;
                wt_blocks[r * bins + c] = 0.5;
            }
        }
    }
    let g_n = assemblies + 1;
    let mut group_w = vec![0.1f64; g_n * g_n];
    let mut group_wt = vec![0.0f64; g_n * g_n];
    for g in 0..assemblies {
        group_w[g * g_n + g] = 0.8;
        group_wt[g * g_n + g] = 0.5;
    }
    let mut counts = vec![0u32; HIST_BINS];
    counts[6] = 800_000;
    counts[48] = 12_000;
    let mut counts_t = vec![0u32; HIST_BINS];
    counts_t[0] = 800_000;
    counts_t[30] = 12_000;
    let receptive_fields = (0..assemblies)
        .map(|k| {
            let (x0, y0) = ((k % 2) * 32, (k / 2) * 32);
            (0..4096)
                .map(|i| {
                    let (x, y) = (i % 64, i / 64);
                    if (x0 + 8..x0 + 24).contains(&x) && (y0 + 8..y0 + 24).contains(&y) { 1.2 } else { 0.5 }
                })
                .collect()
        })
        .collect();
    WeightView {
        t_s: 123.4,
        groups,
        order: (0..n as u32).collect(),
        group_bounds,
        bins,
        w_blocks,
        wt_blocks,
        group_w,
        group_wt,
        hist_w: Histogram { lo: 0.0, hi: 1.0, counts },
        hist_wt: Histogram { lo: 0.0, hi: 1.0, counts: counts_t },
        receptive_fields,
        input_side: 64,
        ..Default::default()
    }
}

/// The panel alone in about the space it gets in a 1280×800 window.
fn harness(snap: Option<WeightView>) -> Harness<'static, AppState> {
    let mut state = AppState::new(&preset::default_params());
    state.snapshot = snap.map(Arc::new);
    Harness::builder().with_size(egui::vec2(690.0, 300.0)).build_ui_state(
        |ui, state: &mut AppState| {
            // The window's fallback font, for the arrows of "E→E" (idempotent).
            engram::app::view::add_fallback_font(ui.ctx());
            weights::show(ui, state);
        },
        state,
    )
}

#[test]
fn without_a_snapshot_says_it_is_waiting() {
    let mut h = harness(None);
    h.run();
    h.get_by_label(WAITING_NOTE);
    h.get_by_label(NO_ASSEMBLIES_NOTE);
    assert!(h.query_by_label(UNIT_LABEL).is_none());
    assert_eq!(h.state().weights.uploads, 0);
}

#[test]
fn with_assemblies_shows_maps_colour_bar_names_and_receptive_fields() {
    let mut h = harness(Some(snapshot(4)));
    h.run();
    h.get_by_label(UNIT_LABEL);
    h.get_by_label("w (fragile)");
    h.get_by_label("w~ (consolidated)");
    h.get_by_label("E→E weights by assembly");
    h.get_by_label("t = 123.4 s");
    // Each name labels its group beside the map and its receptive field.
    for name in NAMES {
        assert_eq!(h.get_all_by_label(name).count(), 2, "{name}");
    }
    h.get_by_label("rest");
    h.get_by_label_contains("receptive fields");
    assert!(h.query_by_label(NO_ASSEMBLIES_NOTE).is_none());
    assert!(h.query_by_label(RF_NONE_NOTE).is_none());
    // Colour scale: the largest block mean is 0.8 → 1.0; receptive fields 1.2 → 2.0.
    assert_eq!(h.state().weights.scale_max, 1.0);
    assert_eq!(h.state().weights.rf_scale_max, 2.0);
}

#[test]
fn before_assemblies_shows_the_unsorted_matrix_and_the_note() {
    let mut h = harness(Some(snapshot(0)));
    h.run();
    h.get_by_label("E→E weights (unsorted)");
    h.get_by_label(NO_ASSEMBLIES_NOTE);
    h.get_by_label(UNIT_LABEL);
    h.get_by_label(RF_NONE_NOTE);
}

#[test]
fn textures_are_rebuilt_only_for_a_new_snapshot() {
    let mut h = harness(Some(snapshot(4)));
    h.run();
    h.run();
    assert_eq!(h.state().weights.uploads, 1, "same snapshot, no new upload");
    // A new snapshot with fewer assemblies: textures updated, receptive fields dropped.
    h.state_mut().snapshot = Some(Arc::new(snapshot(2)));
    h.run();
    assert_eq!(h.state().weights.uploads, 2);
    assert_eq!(h.get_all_by_label("circle").count(), 2);
    assert!(h.query_by_label("cross").is_none());
}

#[test]
fn the_group_table_switches_between_w_and_w_tilde() {
    let mut h = harness(Some(snapshot(4)));
    h.run();
    assert!(!h.state().weights.table_shows_wt);
    h.get_by_label("w~").click();
    h.run();
    assert!(h.state().weights.table_shows_wt);
    h.get_by_label("w").click();
    h.run();
    assert!(!h.state().weights.table_shows_wt);
}

#[test]
fn hovering_a_block_names_its_groups_and_values() {
    let mut h = harness(Some(snapshot(4)));
    h.run();
    // Just below the title of the w map is its top-left block: circle onto circle.
    let title = h.get_by_label("w (fragile)").rect();
    h.hover_at(egui::pos2(title.left() + 3.0, title.bottom() + 3.0));
    h.run_steps(40);
    h.get_by_label_contains("pre circle");
    h.get_by_label_contains("mean w = 0.800 g_L, mean w~ = 0.500 g_L");
}

#[test]
fn clicking_a_column_of_the_matrix_inspects_its_neuron() {
    let mut snap = snapshot(4);
    // Display order reversed, so that the neuron is not its position.
    snap.order = (0..400).rev().collect();
    let mut h = harness(Some(snap));
    h.run();
    // Near the left edge: one of the first block's positions (0–9 of 400 in 40 blocks), whose
    // neurons are 399 down to 390 in this order.
    let title = h.get_by_label("w (fragile)").rect();
    let at = egui::pos2(title.left() + 3.0, title.bottom() + 3.0);
    h.hover_at(at);
    h.run();
    h.drag_at(at);
    h.run();
    h.drop_at(at);
    h.run();
    let n = h.state().inspector.selected.expect("a neuron is selected");
    assert!((390..=399).contains(&n), "neuron {n}");
    assert_eq!(h.state().outbox, [engram::bridge::Command::Inspect(Some(n))]);
}
