//! The neuron inspector: the recorder reads the network's own variables at the steps it names,
//! the inputs view agrees with a walk of the synapses by row, and the simulation thread streams
//! both for the neuron selected and nothing once it is deselected.

mod common;

use common::{PATIENCE_S, wait_for};
use engram::bridge::{BridgeOptions, Command, SimHandle};
use engram::sim::probe::neuron_view;
use engram::sim::session::{Session, SessionOptions};
use engram::sim::{Network, Pattern, ProjectionId};

fn session(seed: u64) -> Session {
    let mut net = Network::new(common::small_params(seed)).unwrap();
    // Drive it: a shape on the input, so that neurons fire and conductances move.
    let circle = engram::sim::shapes::shapes()[0].clone();
    net.present(circle.name, Some(0), circle.indices, 2.0);
    Session::new(net, SessionOptions::default())
}

#[test]
fn recorded_values_are_the_network_values_at_the_same_steps() {
    let mut s = session(11);
    // Record the neuron that fired most in the first 0.2 s, so that spike counts are exercised.
    let mut count = vec![0u32; s.net().e().len()];
    s.run(2000, |net| net.e().spikes.iter().for_each(|&k| count[k as usize] += 1));
    let n = (0..count.len()).max_by_key(|&k| count[k]).unwrap() as u32;
    s.set_probe(Some((n, 1)));
    let i = n as usize;
    let mut spikes_seen = 0u32;
    for _ in 0..3000 {
        s.run(1, |_| {});
        let got = s.take_probe_samples();
        let net = s.net();
        spikes_seen += u32::from(net.e().spikes.contains(&n));
        assert_eq!(got.len(), 1, "one sample per step at every = 1");
        let x = got[0];
        let e = net.e();
        assert_eq!(x.step, net.t());
        let want = [e.v[i], e.theta[i], e.g_ampa[i], e.g_nmda[i], e.g_gaba[i], e.g_a1[i], e.g_a2[i]];
        let have = [x.v, x.theta, x.g_ampa, x.g_nmda, x.g_gaba, x.g_a1, x.g_a2];
        assert_eq!(have.map(f32::to_bits), want.map(f32::to_bits), "step {}", x.step);
        assert_eq!(u32::from(x.spikes), u32::from(e.spikes.contains(&n)));
    }
    assert!(spikes_seen > 0, "the recorded neuron never fired: the test would not see spike counts");

    // Every 10 steps: the samples fall on the grid and the spike counts add up.
    s.set_probe(Some((n, 10)));
    let mut spikes = 0u32;
    let mut at_grid = Vec::new();
    for _ in 0..2000 {
        s.run(1, |net| spikes += u32::from(net.e().spikes.contains(&n)));
        if s.net().t().is_multiple_of(10) {
            at_grid.push((s.net().t(), s.net().e().v[i]));
        }
    }
    let got = s.take_probe_samples();
    assert_eq!(got.iter().map(|x| (x.step, x.v)).collect::<Vec<_>>(), at_grid);
    // Spikes after the last grid point are counted in the next sample.
    let counted: u32 = got.iter().map(|x| u32::from(x.spikes)).sum();
    assert!(counted <= spikes && spikes - counted <= 9, "counted {counted} of {spikes}");

    // Deselected: nothing is recorded.
    s.set_probe(None);
    s.run(100, |_| {});
    assert!(s.take_probe_samples().is_empty());
    assert_eq!(s.probed(), None);
}

#[test]
fn inputs_view_agrees_with_a_walk_of_every_row() {
    let mut s = session(12);
    s.run(2000, |_| {});
    let net = s.net();
    let n_e = net.e().len() as u32;
    let asm = vec![Pattern::from_indices("a", (0..60).collect()), Pattern::from_indices("b", (40..120).collect())];
    let n = 50u32;
    let v = neuron_view(net, &asm, n).unwrap();
    assert_eq!(v.memberships, ["a", "b"]);
    assert!(neuron_view(net, &asm, n_e).is_none());

    // Receptive field: row by row through the CSR (pre = pixel), not the transposed index.
    let inp = net.projection(ProjectionId::InputE);
    for px in 0..inp.n_pre {
        let want = inp.synapse_index(px, n as usize).map_or(f32::NAN, |k| inp.w[k]);
        let got = v.receptive_field[px];
        assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "pixel {px}");
    }
    // Incoming E→E by group, from the rows and w̃ in synapse order.
    let ee = net.projection(ProjectionId::Ee);
    let wt = ee.w_tilde_by_synapse();
    let mut want = vec![(0u32, 0f64, 0f64); 3];
    for pre in 0..ee.n_pre {
        let Some(k) = ee.synapse_index(pre, n as usize) else { continue };
        let p = pre as u32;
        let groups: Vec<usize> = match (p < 60, (40..120).contains(&p)) {
            (false, false) => vec![2],
            (a, b) => [(a, 0), (b, 1)].into_iter().filter(|x| x.0).map(|x| x.1).collect(),
        };
        for g in groups {
            want[g].0 += 1;
            want[g].1 += ee.w[k] as f64;
            want[g].2 += wt.get(k).copied().unwrap_or(0.0) as f64;
        }
    }
    let names: Vec<&str> = v.incoming.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, ["a", "b", "rest"]);
    for (g, (n, w, t)) in v.incoming.iter().zip(want) {
        assert_eq!(g.synapses, n, "{}", g.group);
        assert!(n > 0, "group {} has no synapse onto the neuron: pick another", g.group);
        assert!((g.w_mean - w / n as f64).abs() < 1e-9, "{}", g.group);
        assert!((g.wt_mean - t / n as f64).abs() < 1e-9, "{}", g.group);
    }
}

#[test]
fn the_simulation_thread_streams_the_selected_neuron_only() {
    let o =
        BridgeOptions { start_running: false, frame_interval_s: 0.0, snapshot_interval_s: 0.05, ..Default::default() };
    let h = SimHandle::spawn(common::small_params(13), o).unwrap();
    h.send(Command::Step { ms: 20 }).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.t_s >= 0.02 - 1e-9).expect("first steps");
    assert!(f.probe.is_empty() && f.status.inspected.is_none(), "nothing is recorded before a selection");

    h.send(Command::Inspect(Some(42))).unwrap();
    h.send(Command::Step { ms: 30 }).unwrap();
    let mut steps = Vec::new();
    let done = wait_for(&h, PATIENCE_S, |f| {
        if f.status.inspected == Some(42) {
            steps.extend(f.probe.iter().map(|s| s.step));
        }
        !f.status.running && f.status.t_s >= 0.05 - 1e-9
    });
    assert!(done.is_some(), "did not reach 50 ms");
    // Every millisecond from the selection (at 20 ms) to the end.
    assert_eq!(steps, (21..=50).map(|ms| ms * 10).collect::<Vec<u64>>());

    // The weight views carry the neuron's inputs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(PATIENCE_S);
    let view = loop {
        if let Some(v) = h.latest_snapshot().and_then(|v| v.neuron.clone()) {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "no weight view with the neuron's inputs");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(view.neuron, 42);
    assert_eq!(view.receptive_field.len(), 64 * 64);

    h.send(Command::Inspect(None)).unwrap();
    h.send(Command::Step { ms: 10 }).unwrap();
    let mut leaked = 0;
    let done = wait_for(&h, PATIENCE_S, |f| {
        if f.status.t_s > 0.05 + 1e-9 {
            leaked += f.probe.len();
        }
        !f.status.running && f.status.t_s >= 0.06 - 1e-9
    });
    assert!(done.is_some_and(|f| f.status.inspected.is_none()));
    assert_eq!(leaked, 0, "samples after deselection");
    h.shutdown().unwrap();
}
