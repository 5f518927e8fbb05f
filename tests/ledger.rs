//! The mechanism ledger ("why did this weight change"): each term against its value worked out
//! from the rule and the traces' closed forms for a synapse driven by hand, and, on a driven
//! network over thousands of steps (P10 and P11, with consolidation), the ledger's copy of every
//! selected weight equals the network's bit for bit and the terms sum to the change of w.

mod common;

use engram::sim::network::Term;
use engram::sim::params::{DT_MS, Rule};
use engram::sim::{Network, Population, ProjectionId};

/// A quiet network (no background input): nothing fires unless forced.
fn quiet(rule: Rule) -> Network {
    let mut p = common::small_params(3);
    p.input.background_hz = 0.0;
    p.plasticity.rule = rule;
    Network::new(p).unwrap()
}

/// Forces E neuron `n` to fire in the next step and checks that it did.
fn fire(net: &mut Network, n: usize) {
    net.set_potential(Population::E, n, 0.0);
    net.step();
    assert!(net.spikes(Population::E).contains(&(n as u32)), "neuron {n} did not fire at step {}", net.t() - 1);
}

fn run_to(net: &mut Network, t: u64) {
    while net.t() < t {
        net.step();
        assert!(net.spikes(Population::E).is_empty(), "an unforced spike at step {}", net.t() - 1);
    }
}

fn close(got: f64, want: f64, rel: f64, what: &str) {
    assert!((got - want).abs() <= rel * want.abs().max(1e-12), "{what}: {got} vs {want}");
}

/// Post spike at a, pre spike at p (arriving at c = p + delay), post spike at b: the pre
/// arrival books −B·y_i (× (ν̄_i/κ)² under P11) and +δ, the second post spike books A·z_i·x_j
/// and −β·y_i³·(w − w̃), with y, z, x the exponentials of the time since the spikes.
#[test]
fn each_term_is_the_rule_evaluated_by_hand() {
    for rule in [Rule::P10, Rule::P11] {
        let mut net = quiet(rule);
        let p = net.params().clone();
        let pl = &p.plasticity;
        let delay = p.network.delay_steps as u64;
        let ee = net.projection(ProjectionId::Ee);
        let (j, syn) = (0usize, ee.row(0).start);
        let i = ee.post[syn] as usize;
        net.explain(&[(ProjectionId::Ee, syn)], 100).unwrap();
        let w0 = f64::from(net.projection(ProjectionId::Ee).w[syn]);
        let e = |steps: u64, tau_ms: f64| (-(steps as f64) * DT_MS / tau_ms).exp();

        let a = 100;
        run_to(&mut net, a);
        fire(&mut net, i);
        let l = net.ledger().unwrap();
        assert_eq!(l.terms(0), [0.0; 6], "first post spike: no pre trace, no post trace yet");

        let p_step = a + 50;
        run_to(&mut net, p_step);
        fire(&mut net, j);
        let c = p_step + delay;
        run_to(&mut net, c + 1);
        let y = e(c - a, pl.tau_minus_ms);
        let homeo = match rule {
            Rule::P10 => 1.0,
            // h = ν̄·τ_hom starts at ν̄_init·τ_hom and jumps by 1 at the spike at a.
            Rule::P11 => {
                let tau_ms = pl.tau_hom_s * 1e3;
                let h = pl.nu_bar_init_hz * pl.tau_hom_s * e(c, tau_ms) + e(c - a, tau_ms);
                (h / pl.tau_hom_s / pl.kappa_hz).powi(2)
            }
        };
        let t = net.ledger().unwrap().terms(0);
        close(t[Term::Ltd.index()], -pl.eta * y * homeo, 1e-5, "LTD");
        close(t[Term::Transmitter.index()], pl.delta, 1e-6, "transmitter");
        assert_eq!(t[Term::Ltp.index()], 0.0);
        assert_eq!(t[Term::Hetero.index()], 0.0);
        let w1 = f64::from(net.projection(ProjectionId::Ee).w[syn]);
        let wt = f64::from(net.projection(ProjectionId::Ee).w_tilde_by_synapse()[syn]);

        let b = c + 120;
        run_to(&mut net, b);
        fire(&mut net, i);
        let t = net.ledger().unwrap().terms(0);
        let (z, x, y) = (e(b - a, pl.tau_slow_ms), e(b - c, pl.tau_plus_ms), e(b - a, pl.tau_minus_ms));
        close(t[Term::Ltp.index()], pl.eta * z * x, 1e-5, "LTP");
        close(t[Term::Hetero.index()], -pl.beta * y.powi(3) * (w1 - wt), 1e-5, "heterosynaptic");
        assert!(t[Term::Bounds.index()].abs() < 1e-7, "no clipping: bounds is rounding only, {}", t[4]);
        let w2 = f64::from(net.projection(ProjectionId::Ee).w[syn]);
        close(t.iter().sum::<f64>(), w2 - w0, 1e-12, "sum of terms");
    }
}

/// Thousands of steps of a driven network on two threads, every E→E and Input→E synapse onto 64
/// neurons selected, consolidation every 50 ms: after every step the ledger's w equals the
/// network's bit for bit (w̃ checked every 100 steps), and per synapse the terms sum to the
/// change of w and the consolidation to the change of w̃.
#[test]
fn terms_sum_to_the_change_of_w_for_every_selected_synapse() {
    for rule in [Rule::P11, Rule::P10] {
        let mut p = common::small_params(5);
        p.plasticity.rule = rule;
        p.plasticity.cons_interval_s = 0.05;
        let mut net = Network::new(p).unwrap();
        net.set_threads(2).unwrap();
        let circle = engram::sim::shapes::shapes()[0].clone();
        net.present(circle.name, Some(0), circle.indices, 10.0);
        net.run(2000, |_| {});
        let mut sel = Vec::new();
        for id in [ProjectionId::Ee, ProjectionId::InputE] {
            let pr = net.projection(id);
            sel.extend((0..pr.len()).filter(|&s| pr.post[s].is_multiple_of(8)).map(|s| (id, s)));
        }
        net.explain(&sel, 1000).unwrap();
        let l = net.ledger().unwrap();
        let start: Vec<(f32, f32)> = (0..l.len())
            .map(|k| {
                let (id, s) = l.synapse(k);
                (net.projection(id).w[s], net.projection(id).w_tilde_by_synapse()[s])
            })
            .collect();
        for step in 0..4000 {
            net.step();
            let l = net.ledger().unwrap();
            let wt = (step % 100 == 99)
                .then(|| [ProjectionId::Ee, ProjectionId::InputE].map(|id| net.projection(id).w_tilde_by_synapse()));
            for k in 0..l.len() {
                let (id, s) = l.synapse(k);
                assert_eq!(l.w(k).to_bits(), net.projection(id).w[s].to_bits(), "{rule:?} w of synapse {k}");
                if let Some(wt) = &wt {
                    let wt = wt[usize::from(id == ProjectionId::InputE)][s];
                    assert_eq!(l.w_tilde(k).to_bits(), wt.to_bits(), "{rule:?} w~ of synapse {k}");
                }
            }
        }
        let l = net.ledger().unwrap();
        let mut all = [0.0f64; 6];
        let mut cons = 0.0;
        for (k, &(w0, wt0)) in start.iter().enumerate() {
            let t = l.terms(k);
            let dw = f64::from(l.w(k)) - f64::from(w0);
            assert!((t.iter().sum::<f64>() - dw).abs() < 1e-9, "{rule:?} synapse {k}: terms {t:?} vs Δw {dw}");
            let dwt = f64::from(l.w_tilde(k)) - f64::from(wt0);
            assert!((l.consolidation(k) - dwt).abs() < 1e-9, "{rule:?} synapse {k}: Δw̃");
            all.iter_mut().zip(t).for_each(|(a, v)| *a += v);
            cons += l.consolidation(k).abs();
        }
        for (a, b) in all.iter().zip(l.totals()) {
            assert!((a - b).abs() < 1e-9, "totals are the sums: {all:?} vs {:?}", l.totals());
        }
        // The test exercised every mechanism.
        assert!(all[Term::Ltp.index()] > 0.0 && all[Term::Ltd.index()] < 0.0, "{all:?}");
        assert!(all[Term::Hetero.index()] != 0.0 && all[Term::Transmitter.index()] > 0.0, "{all:?}");
        assert!(cons > 0.0 && all[Term::External.index()] == 0.0);
        // Samples every 1000 steps: the network's Δw equals the sum of the terms.
        let samples = net.take_ledger_samples();
        assert_eq!(samples.len(), 4);
        for s in &samples {
            assert!((s.terms.iter().sum::<f64>() - s.dw).abs() < 1e-6, "{s:?}");
        }
    }
}

/// An edit from outside the rule (imported weights) is booked as such, and the ledger keeps
/// following the network.
#[test]
fn imported_weights_are_booked_as_edits() {
    let mut net = Network::new(common::small_params(2)).unwrap();
    net.explain(&[(ProjectionId::Ee, 0), (ProjectionId::Ee, 7)], 10).unwrap();
    let mut w = net.projection(ProjectionId::Ee).w.clone();
    let before = (w[0], w[7]);
    w[0] = 1.5;
    w[7] = 0.0;
    net.set_weights(ProjectionId::Ee, w).unwrap();
    let l = net.ledger().unwrap();
    assert_eq!(l.terms(0)[Term::External.index()], f64::from(1.5f32) - f64::from(before.0));
    assert_eq!(l.terms(1)[Term::External.index()], -f64::from(before.1));
    net.run(500, |_| {});
    let l = net.ledger().unwrap();
    assert_eq!(l.w(0), net.projection(ProjectionId::Ee).w[0]);
    assert!(net.explain(&[(ProjectionId::Ei, 0)], 10).is_err(), "static synapses have no mechanisms");
}

/// Through the simulation thread: `Explain` names the selection in the status and streams the
/// totals every 0.1 s from the moment of selection; a block of groups is resolved with the
/// assemblies ("rest" is every neuron before any assembly exists); `Explain(None)` stops it.
#[test]
fn the_simulation_thread_streams_the_ledger_of_a_selection() {
    use common::{PATIENCE_S, wait_for};
    use engram::bridge::{BridgeOptions, Command, SimHandle};
    use engram::sim::probe::WeightSelection;
    let o = BridgeOptions { start_running: false, frame_interval_s: 0.0, ..Default::default() };
    let h = SimHandle::spawn(common::small_params(13), o).unwrap();
    h.send(Command::Step { ms: 100 }).unwrap();
    wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.t_s >= 0.1 - 1e-9).expect("first steps");
    h.send(Command::Explain(Some(WeightSelection::Inputs { post: 7 }))).unwrap();
    h.send(Command::Step { ms: 300 }).unwrap();
    let mut steps = Vec::new();
    let f = wait_for(&h, PATIENCE_S, |f| {
        steps.extend(f.ledger.iter().map(|s| s.step));
        !f.status.running && f.status.t_s >= 0.4 - 1e-9
    })
    .expect("did not reach 0.4 s");
    let e = f.status.explaining.clone().expect("the status names the selection");
    assert_eq!(e.name, "inputs of E 7");
    assert!((e.start_s - 0.1).abs() < 1e-9 && e.synapses > 50, "{e:?}");
    assert_eq!(steps, vec![1000, 2000, 3000]);

    // No assemblies yet: group 0 is "rest", every E neuron.
    h.send(Command::Explain(Some(WeightSelection::Block { pre: 0, post: 0 }))).unwrap();
    h.send(Command::Step { ms: 10 }).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.t_s >= 0.41 - 1e-9).unwrap();
    let e = f.status.explaining.clone().unwrap();
    assert_eq!(
        (e.name.as_str(), e.synapses),
        ("rest → rest", Network::new(common::small_params(13)).unwrap().projection(ProjectionId::Ee).len())
    );
    h.send(Command::Explain(Some(WeightSelection::Block { pre: 3, post: 0 }))).unwrap();
    h.send(Command::Step { ms: 10 }).unwrap();
    let f = wait_for(&h, PATIENCE_S, |f| !f.status.running && f.status.t_s >= 0.42 - 1e-9).unwrap();
    assert!(f.status.explaining.is_none(), "a group that does not exist selects nothing");
    assert!(f.status.message.is_some_and(|m| m.text.contains("no group 3")));
    h.shutdown().unwrap();
}

/// A block is every E→E synapse from a member of one group onto a member of the other (a
/// neuron in two assemblies belongs to both; "rest" is the neurons in none).
#[test]
fn a_block_selects_the_synapses_between_its_groups() {
    use engram::sim::Pattern;
    use engram::sim::probe::{WeightSelection, resolve_selection};
    let net = Network::new(common::small_params(4)).unwrap();
    let pat = |name: &str, r: std::ops::Range<u32>| Pattern {
        name: name.into(),
        values: vec![1.0; r.len()],
        indices: r.collect(),
    };
    let asm = vec![pat("a", 0..40), pat("b", 30..90)];
    let ee = net.projection(ProjectionId::Ee);
    let group = |g: usize, n: usize| match g {
        0 => n < 40,
        1 => (30..90).contains(&n),
        _ => n >= 90,
    };
    for (pre, post) in [(0, 1), (1, 1), (2, 0), (1, 2)] {
        let (syn, name) = resolve_selection(&net, &asm, &WeightSelection::Block { pre, post }).unwrap();
        let want: Vec<usize> = (0..ee.len())
            .filter(|&s| {
                group(pre, ee.row_ptr.partition_point(|&r| r as usize <= s) - 1) && group(post, ee.post[s] as usize)
            })
            .collect();
        assert_eq!(syn, want, "{name}");
    }
    let (_, name) = resolve_selection(&net, &asm, &WeightSelection::Block { pre: 0, post: 2 }).unwrap();
    assert_eq!(name, "a → rest");
    assert!(resolve_selection(&net, &asm, &WeightSelection::Synapse { pre: 0, post: 0 }).is_err(), "no autapse");
}
