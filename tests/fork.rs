//! Forks: a copy of the running network that continues next to it on the same input with one
//! change. Without a change it stays identical; with heterosynaptic plasticity off it departs
//! from the original only through that term (seen by the mechanism ledger on every synapse).

mod common;

use common::{PATIENCE_S, wait_for};
use engram::bridge::{BridgeOptions, Command, ForkSpec, SimHandle};
use engram::sim::network::Term;
use engram::sim::{Network, ProjectionId};

/// A driven small network, 0.3 s in.
fn driven() -> Network {
    let mut net = Network::new(common::small_params(21)).unwrap();
    let circle = engram::sim::shapes::shapes()[0].clone();
    net.present(circle.name, Some(0), circle.indices, 5.0);
    net.run(3000, |_| {});
    net
}

fn all_plastic(net: &Network) -> Vec<(ProjectionId, usize)> {
    [ProjectionId::Ee, ProjectionId::InputE]
        .into_iter()
        .flat_map(|id| (0..net.projection(id).len()).map(move |s| (id, s)))
        .collect()
}

#[test]
fn a_fork_without_heterosynaptic_plasticity_first_differs_by_that_term() {
    let mut a = driven();
    let mut b = a.clone();
    let mut p = b.params().clone();
    p.mechanisms.heterosynaptic = false;
    b.set_params(p).unwrap();
    let sel = all_plastic(&a);
    a.explain(&sel, 1_000_000).unwrap();
    b.explain(&sel, 1_000_000).unwrap();
    let w = |n: &Network| [ProjectionId::Ee, ProjectionId::InputE].map(|id| n.projection(id).w.clone());
    let mut first = None;
    for step in 0..20_000 {
        a.step();
        b.step();
        if w(&a) != w(&b) {
            first = Some(step);
            break;
        }
        assert_eq!(a.spikes(engram::sim::Population::E), b.spikes(engram::sim::Population::E));
    }
    let step = first.expect("no heterosynaptic change within 2 s: the test needs activity");
    let (la, lb) = (a.ledger().unwrap(), b.ledger().unwrap());
    let mut differing = 0;
    for k in 0..la.len() {
        let (ta, tb) = (la.terms(k), lb.terms(k));
        // Every other mechanism booked exactly the same on both sides, up to this step.
        for t in [Term::Ltp, Term::Ltd, Term::Transmitter, Term::External] {
            assert_eq!(ta[t.index()].to_bits(), tb[t.index()].to_bits(), "synapse {k}, {t:?}, step {step}");
        }
        assert_eq!(tb[Term::Hetero.index()], 0.0, "the fork has no heterosynaptic term");
        if la.w(k) != lb.w(k) {
            differing += 1;
            assert!(ta[Term::Hetero.index()] != 0.0, "synapse {k} differs without a heterosynaptic change");
            // The gap is the heterosynaptic change, up to the f32 rounding of w (one ulp).
            let gap = f64::from(la.w(k)) - f64::from(lb.w(k));
            let het = ta[Term::Hetero.index()];
            let rounding = ta[Term::Bounds.index()] - tb[Term::Bounds.index()];
            assert!((gap - het - rounding).abs() < 1e-12, "synapse {k}: gap {gap}, hetero {het}");
            let ulp = f64::from(f32::EPSILON) * f64::from(la.w(k).abs().max(lb.w(k).abs()));
            assert!(rounding.abs() <= ulp, "synapse {k}: more than rounding besides hetero ({rounding})");
        }
    }
    assert!(differing > 0);
}

/// Through the simulation thread: a fork with the same parameters streams exactly the
/// original's spikes and rates, before and after a presentation; stopping it ends the stream.
#[test]
fn an_unchanged_fork_stays_identical() {
    let o = BridgeOptions { start_running: false, frame_interval_s: 0.0, ..Default::default() };
    let params = common::small_params(8);
    let h = SimHandle::spawn(params.clone(), o).unwrap();
    h.send(Command::Step { ms: 100 }).unwrap();
    wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.t_s >= 0.1 - 1e-9).expect("first steps");
    h.send(Command::Fork(Some(ForkSpec { params: Box::new(params), change: "nothing".into() }))).unwrap();
    h.send(Command::Step { ms: 150 }).unwrap();
    let circle = engram::sim::shapes::shapes()[0].clone();
    h.send(Command::Present { pattern: circle, duration_s: 0.1, fraction: 0.5 }).unwrap();
    h.send(Command::Step { ms: 150 }).unwrap();
    let (mut main, mut fork, mut bins, mut fork_bins) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let f = wait_for(&h, PATIENCE_S, |f| {
        if let Some(ff) = &f.fork {
            main.extend(f.e_spikes.iter().copied());
            bins.extend(f.rate_bins.iter().map(|b| (b.t_s, b.e_hz, b.i_hz)));
            fork.extend(ff.e_spikes.iter().copied());
            fork_bins.extend(ff.rate_bins.iter().map(|b| (b.t_s, b.e_hz, b.i_hz)));
        }
        !f.status.running && f.status.t_s >= 0.4 - 1e-9
    })
    .expect("did not reach 0.4 s");
    let info = f.status.fork.clone().expect("the status names the fork");
    assert!((info.start_s - 0.1).abs() < 1e-9 && info.change == "nothing");
    assert!(main.len() > 100, "too few spikes to compare: {}", main.len());
    assert_eq!(main, fork);
    assert_eq!(bins, fork_bins);
    let view = {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(PATIENCE_S);
        loop {
            if let Some(v) = h.latest_snapshot().filter(|v| v.fork.is_some()) {
                break v;
            }
            assert!(std::time::Instant::now() < deadline, "no weight view of the fork");
            h.send(Command::Step { ms: 1 }).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    let fv = view.fork.as_ref().unwrap();
    assert_eq!((fv.w_blocks.clone(), fv.group_w.clone()), (view.w_blocks.clone(), view.group_w.clone()));

    h.send(Command::Fork(None)).unwrap();
    h.send(Command::Step { ms: 10 }).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.fork.is_none()).expect("fork stopped");
    assert!(f.fork.is_none());
    h.shutdown().unwrap();
}
