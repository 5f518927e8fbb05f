//! Network-level behaviour: determinism, delays, spike transmission, and a full-size smoke run.

mod common;

use common::small_params;
use engram::sim::monitor::{RateMonitor, SpikeHash};
use engram::sim::params::PhaseName;
use engram::sim::{Network, Params, Population, ProjectionId};

fn hash_of(params: Params, steps: u64) -> (u64, u64) {
    let mut net = Network::new(params).unwrap();
    net.start_phase(PhaseName::Init);
    let mut h = SpikeHash::default();
    net.run(steps, |n| h.observe(n));
    (h.0, net.counts().e + net.counts().i)
}

#[test]
fn same_seed_same_spikes_different_seed_different_spikes() {
    let mut p = small_params(7);
    p.protocol.init.first_onset_s = 0.2; // include stimulus onsets
    let (a, n) = hash_of(p.clone(), 10_000);
    assert!(n > 1000, "only {n} spikes: the test would not see much");
    let (b, _) = hash_of(p.clone(), 10_000);
    assert_eq!(a, b, "same seed must give identical spikes");
    p.seed = 8;
    let (c, _) = hash_of(p, 10_000);
    assert_ne!(a, c, "different seeds must give different spikes");
}

#[test]
fn chunked_runs_equal_one_run() {
    let p = small_params(3);
    let mut a = Network::new(p.clone()).unwrap();
    let mut b = Network::new(p).unwrap();
    a.start_phase(PhaseName::Init);
    b.start_phase(PhaseName::Init);
    let (mut ha, mut hb) = (SpikeHash::default(), SpikeHash::default());
    a.run(3000, |n| ha.observe(n));
    for _ in 0..3 {
        b.run(1000, |n| hb.observe(n));
    }
    assert_eq!(ha, hb);
    assert_eq!(a.projection(ProjectionId::Ee).w, b.projection(ProjectionId::Ee).w);
}

/// The contract of the partitioned step: any thread count, and any chunking of the run (odd
/// chunks swap the double-buffered traces), gives bit-identical spikes and state. 1.3 model
/// seconds with stimuli from 0.2 s cover two consolidation sweeps (t = 0 and 1.2 s).
#[test]
fn thread_count_and_chunking_do_not_change_results() {
    let mut p = small_params(11);
    p.protocol.init.first_onset_s = 0.2;
    let state = |threads: usize, chunks: &[u64]| {
        let mut net = Network::new(p.clone()).unwrap();
        net.set_threads(threads).unwrap();
        assert_eq!(net.threads(), threads);
        net.start_phase(PhaseName::Init);
        let mut h = SpikeHash::default();
        for &c in chunks {
            net.run(c, |n| h.observe(n));
        }
        assert_eq!(net.t(), 13_000);
        // Every state array: weights, w̃, neurons, traces, STP, delay lines, input.
        (h.0, net.counts(), net.state())
    };
    let one = state(1, &[13_000]);
    assert!(one.1.e > 2_000, "only {} E spikes", one.1.e);
    assert_eq!(state(2, &[13_000]), one, "2 threads differ from 1");
    assert_eq!(state(3, &[1, 7, 4_992, 8_000]), one, "3 threads in odd chunks differ from 1");
    assert_eq!(state(1, &[3, 12_997]), one, "odd chunks differ");
}

/// A silent network (no input) in which one E neuron is forced to fire: its spike reaches its
/// targets exactly `delay` steps later with conductance jump w·e, e = U = 0.2 for a first spike.
#[test]
fn spike_arrives_after_delay_with_stp_efficacy() {
    let mut p = small_params(1);
    p.input.background_hz = 0.0;
    let mut net = Network::new(p).unwrap();
    let j = 5usize;
    let targets: Vec<usize> =
        net.projection(ProjectionId::Ee).row(j).map(|s| net.projection(ProjectionId::Ee).post[s] as usize).collect();
    let i_targets: Vec<usize> =
        net.projection(ProjectionId::Ei).row(j).map(|s| net.projection(ProjectionId::Ei).post[s] as usize).collect();
    assert!(!targets.is_empty() && !i_targets.is_empty());
    net.set_potential(Population::E, j, -40.0); // above threshold: fires in the next step
    net.step();
    assert_eq!(net.e().spikes, vec![j as u32]);
    let t0 = net.t() - 1;
    for _ in 0..7 {
        net.step();
        assert!(targets.iter().all(|&i| net.e().g_ampa[i] == 0.0), "arrived early at step {}", net.t() - 1);
    }
    net.step(); // step t0 + 8: delivery after the neurons evolved
    assert_eq!(net.t() - 1, t0 + 8);
    let w = 0.1f32;
    for &i in &targets {
        assert!((net.e().g_ampa[i] - w * 0.2).abs() < 1e-7, "g_ampa {}", net.e().g_ampa[i]);
    }
    for &i in &i_targets {
        assert!((net.i().g_ampa[i] - 0.6 * 0.2).abs() < 1e-7);
    }
    // The transmitter-induced term added δ to each of j's outgoing E→E weights (LTD term zero:
    // the targets have not spiked, y = 0).
    for s in net.projection(ProjectionId::Ee).row(j) {
        assert!(
            (net.projection(ProjectionId::Ee).w[s] - (0.1 + 2e-5)).abs() < 2e-8,
            "w {}",
            net.projection(ProjectionId::Ee).w[s]
        );
    }
    // The membrane moves from the next step on.
    let v_before = net.e().v[targets[0]];
    net.step();
    assert!(net.e().v[targets[0]] > v_before);
}

/// The paper-size default network for 2 model seconds: rates finite and in a sane range.
#[test]
fn full_size_smoke_run() {
    let p = engram::io::preset::default_params();
    let mut net = Network::new(p).unwrap();
    assert_eq!((net.e().len(), net.i().len(), net.input().len()), (4096, 1024, 4096));
    // E→E at p = 0.05 without autapses: 4096·4095·0.05 ≈ 838 656 (s.d. ≈ 900).
    assert!(
        (net.projection(ProjectionId::Ee).len() as f64 - 838_656.0).abs() < 5_000.0,
        "{}",
        net.projection(ProjectionId::Ee).len()
    );
    net.start_phase(PhaseName::Init);
    let mut rates = RateMonitor::new(0.1);
    net.run(20_000, |n| rates.observe(n));
    let (e, i) = rates.mean_since(0.5);
    assert!(e.is_finite() && i.is_finite());
    assert!((1.0..30.0).contains(&e), "E rate {e} Hz");
    assert!((2.0..80.0).contains(&i), "I rate {i} Hz");
    let inp = rates.bins.iter().map(|b| b.input_hz).sum::<f64>() / rates.bins.len() as f64;
    assert!((inp - 5.0).abs() < 0.3, "input rate {inp} Hz (background 5 Hz, no stimulus before 10 s)");
    assert!(
        net.e().v.iter().all(|v| v.is_finite()) && net.projection(ProjectionId::Ee).w.iter().all(|w| w.is_finite())
    );
}

/// The single-precision homeostat emulation steps h as the original does: the test keeps its
/// own f32 copy, incremented by 1 for each E spike of a step and then multiplied by the f32
/// decay factor, and compares it bit for bit with the network's after 1.3 s; the emulations
/// keep the result independent of the thread count.
#[test]
fn emulations_follow_their_recurrences_and_keep_thread_invariance() {
    let mut p = small_params(12);
    p.protocol.init.first_onset_s = 0.2;
    p.emulation.homeostat_f32 = true;
    p.emulation.stp_mixup_processes = 4;
    let run = |threads: usize| {
        let mut net = Network::new(p.clone()).unwrap();
        net.set_threads(threads).unwrap();
        net.start_phase(PhaseName::Init);
        let c = ((-1e-4f64) / f64::from(p.plasticity.tau_hom_s as f32)).exp() as f32;
        let mut h = vec![(p.plasticity.nu_bar_init_hz * p.plasticity.tau_hom_s) as f32; net.e().len()];
        let mut hash = SpikeHash::default();
        net.run(13_000, |n| {
            hash.observe(n);
            for &i in &n.e().spikes {
                h[i as usize] += 1.0;
            }
            for v in &mut h {
                *v *= c;
            }
        });
        let state = net.state();
        let Some(engram::sim::network::Array::F32(h32)) = state.array("post.h32") else { panic!("no post.h32") };
        assert_eq!(h32, &h, "{threads} threads: the f32 recurrence differs");
        assert!((net.nu_bar(3) - f64::from(h[3] / p.plasticity.tau_hom_s as f32)).abs() < 1e-9);
        (hash.0, state)
    };
    let one = run(1);
    assert_eq!(run(2), one, "2 threads differ from 1");
    // The mix-up changes what the targets receive, so the spikes differ from the faithful run.
    let mut faithful = p.clone();
    faithful.emulation.stp_mixup_processes = 1;
    assert_ne!(hash_of(faithful, 13_000).0, one.0);
}
