//! The exploration windows drawn in the whole window with egui_kittest, fed hand-made frames:
//! the "why" window states the ledger's totals per synapse and its buttons send the selection;
//! a running fork splits the centre into the original and the fork, named by its change, and
//! the fork's controls send the spec; ending the fork brings back one column.

use std::sync::Arc;

use egui_kittest::{Harness, kittest::Queryable};
use engram::app::AppState;
use engram::bridge::{Command, Explaining, ForkInfo, Frame};
use engram::io::preset;
use engram::sim::network::LedgerSample;
use engram::sim::probe::WeightSelection;

fn harness(s: AppState) -> Harness<'static, AppState> {
    Harness::builder().with_size(egui::vec2(1600.0, 1000.0)).build_ui_state(
        |ui, s: &mut AppState| {
            engram::app::view::add_fallback_font(ui.ctx());
            s.ui(ui);
        },
        s,
    )
}

#[test]
fn the_why_window_states_the_totals_and_sends_selections() {
    let mut s = AppState::new(&preset::default_params());
    s.inspector.selected = Some(17);
    let mut f = Frame::empty(0.0, 2.0, 64 * 64, s.controls.current.clone());
    f.status.explaining = Some(Arc::new(Explaining {
        selection: WeightSelection::Block { pre: 0, post: 0 },
        name: "circle → circle".into(),
        synapses: 200,
        start_s: 1.0,
    }));
    f.ledger = vec![
        LedgerSample { step: 10_000, terms: [0.0; 6], consolidation: 0.0, dw: 0.0 },
        LedgerSample { step: 20_000, terms: [40.0, -10.0, -6.0, 0.2, 0.0, 0.0], consolidation: 2.0, dw: 24.2 },
    ];
    s.ingest(f);
    s.explain.open = true;
    let mut h = harness(s);
    h.run();
    h.get_by_label(
        "since t = 1.0 s, circle → circle (200 synapses) gained +0.1210 g_L per synapse: LTP +0.2000, transmitter \
         +0.0010, LTD -0.0500, heterosynaptic -0.0300; w̃ +0.0100 by consolidation",
    );
    h.get_by_label("Inputs of E 17").click();
    h.run();
    h.get_by_label("Stop").click();
    h.run();
    assert_eq!(
        h.state().outbox,
        [Command::Explain(Some(WeightSelection::Inputs { post: 17 })), Command::Explain(None)]
    );
}

#[test]
fn a_running_fork_is_shown_beside_the_original() {
    let s = AppState::new(&preset::default_params());
    let mut h = harness(s);
    h.run();
    assert_eq!(h.query_all_by_label("Spikes").count(), 1);
    h.get_by_label("Fork").click();
    h.run();
    match h.state().outbox.as_slice() {
        [Command::Fork(Some(spec))] => {
            assert_eq!(spec.change, "heterosynaptic plasticity off");
            assert!(!spec.params.mechanisms.heterosynaptic && spec.params.mechanisms.stdp);
        }
        other => panic!("expected one fork command, got {other:?}"),
    }
    h.state_mut().outbox.clear();

    let mut f = Frame::empty(0.0, 1.0, 64 * 64, h.state().controls.current.clone());
    f.status.fork = Some(Arc::new(ForkInfo { change: "heterosynaptic plasticity off".into(), start_s: 0.5 }));
    let mut ff = Frame::empty(0.0, 1.0, 64 * 64, h.state().controls.current.clone());
    ff.e_spikes = vec![(0.7, 3)];
    f.fork = Some(Box::new(ff));
    h.state_mut().ingest(f);
    h.run();
    h.get_by_label("Original");
    h.get_by_label("Fork: heterosynaptic plasticity off (since t = 0.5 s)");
    assert_eq!(h.query_all_by_label("Spikes").count(), 2, "a raster on each side");
    h.get_by_label("End fork").click();
    h.run();
    assert_eq!(h.state().outbox, [Command::Fork(None)]);

    // The simulation confirms: one column again.
    let f = Frame::empty(1.0, 1.1, 64 * 64, h.state().controls.current.clone());
    h.state_mut().ingest(f);
    h.run();
    assert_eq!(h.query_all_by_label("Spikes").count(), 1);
    assert!(h.query_by_label("Original").is_none());
}
