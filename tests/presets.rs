//! Every preset file in presets/ parses, validates and is compiled into the binary unchanged.

use engram::io::preset;

#[test]
fn every_preset_file_parses_validates_and_is_builtin() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let p = preset::parse_preset(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert_eq!(p.name, stem, "{}: name must match the file name", path.display());
        let builtin = preset::BUILTIN.iter().find(|(n, _)| *n == stem);
        assert_eq!(builtin.map(|(_, t)| *t), Some(text.as_str()), "{stem} must be in preset::BUILTIN");
        seen += 1;
    }
    assert_eq!(seen, preset::BUILTIN.len());
}

#[test]
fn profiles_differ_as_in_the_parameter_table() {
    let get = |n| preset::load_preset(n).unwrap();
    let (d, paper, fig3, unstable) = (get("default"), get("paper"), get("figure3"), get("unstable"));
    assert_eq!((d.network.p_conn, paper.network.p_conn, fig3.network.p_conn), (0.05, 0.1, 0.1));
    assert_eq!((d.network.xi, fig3.network.xi), (0.5, 1.0));
    assert_eq!((paper.stp.tau_d_s, fig3.stp.tau_d_s), (0.2, 0.15));
    assert_eq!((paper.input.background_hz, fig3.input.background_hz), (10.0, 5.0));
    assert_eq!(d.protocol.recall.stimulus_hz, 50.0);
    assert_eq!(paper.protocol.recall.duration_s, 172_800.0);
    assert_eq!((unstable.plasticity.beta, unstable.plasticity.delta), (0.0, 0.0));
    let mut u = unstable.clone();
    u.plasticity.beta = d.plasticity.beta;
    u.plasticity.delta = d.plasticity.delta;
    u.name = d.name.clone();
    u.description = d.description.clone();
    assert_eq!(u, d, "the unstable control differs from the default only in beta and delta");
}

/// Each ablation preset is the default with exactly its mechanism switched off, the same
/// network `--ablate NAME` gives; `small` keeps the default's in-degrees at a quarter size.
#[test]
fn ablation_presets_switch_one_mechanism_each() {
    let d = preset::load_preset("default").unwrap();
    for (name, ablation) in [
        ("no_hetero", "hetero"),
        ("no_transmitter", "transmitter"),
        ("no_consolidation", "consolidation"),
        ("no_inhibitory", "inhibitory"),
    ] {
        let mut p = preset::load_preset(name).unwrap();
        let mut want = d.mechanisms.clone();
        engram::sim::ablation::ablate(&mut want, ablation).unwrap();
        assert_eq!(p.mechanisms, want, "{name}");
        assert_ne!(p.mechanisms, d.mechanisms, "{name}");
        p.name = d.name.clone();
        p.description = d.description.clone();
        p.mechanisms = d.mechanisms.clone();
        assert_eq!(p, d, "{name} differs from the default only in its switch");
    }
    let s = preset::load_preset("small").unwrap();
    let n = &s.network;
    assert_eq!((n.n_e, n.n_i, n.input_side), (1024, 256, 32));
    let in_degree = |p: &engram::sim::Params| p.network.p_conn * p.network.n_e as f64;
    assert!((in_degree(&s) - in_degree(&d)).abs() < 1e-9);
    // Total input drive per neuron ∝ ξ · r²: the same as the default's.
    assert!((n.xi * n.rf_radius.powi(2) - d.network.xi * d.network.rf_radius.powi(2)).abs() < 1e-9);
}

/// `long_learning` is the faithful default with only phase 1 longer (three times the paper's).
#[test]
fn long_learning_is_the_default_with_a_longer_phase_1() {
    let d = preset::load_preset("default").unwrap();
    let mut p = preset::load_preset("long_learning").unwrap();
    assert_eq!(p.protocol.init.duration_s, 5400.0);
    assert_eq!(d.protocol.init.duration_s, 1800.0);
    p.name = d.name.clone();
    p.description = d.description.clone();
    p.protocol.init.duration_s = d.protocol.init.duration_s;
    assert_eq!(p, d, "long_learning differs from the default only in the length of phase 1");
}

/// `slow_consolidation` is the default with τ_cons four times and phase 1 twice the paper's.
#[test]
fn slow_consolidation_is_the_default_with_a_slower_consolidation() {
    let d = preset::load_preset("default").unwrap();
    let mut p = preset::load_preset("slow_consolidation").unwrap();
    assert_eq!((p.plasticity.tau_cons_s, d.plasticity.tau_cons_s), (4800.0, 1200.0));
    assert_eq!((p.protocol.init.duration_s, d.protocol.init.duration_s), (3600.0, 1800.0));
    p.name = d.name.clone();
    p.description = d.description.clone();
    p.plasticity.tau_cons_s = d.plasticity.tau_cons_s;
    p.protocol.init.duration_s = d.protocol.init.duration_s;
    assert_eq!(p, d, "slow_consolidation differs from the default only in tau_cons_s and phase 1's length");
}

/// `quick_demo` runs every plasticity time scale of the default 16 times faster (rates × 16,
/// time constants ÷ 16), so that the mechanisms keep the paper's balance, except excitatory
/// learning (η × 12) and the LTD target rate (κ 8 Hz), which keep circle and square apart
/// (docs/validation.md §4); besides that it changes
/// only the protocol and the read-out, not the network or the neurons.
#[test]
fn quick_demo_speeds_up_plasticity_by_one_factor_but_two_listed_exceptions() {
    let d = preset::load_preset("default").unwrap();
    let mut q = preset::load_preset("quick_demo").unwrap();
    let (qp, dp) = (&q.plasticity, &d.plasticity);
    assert_eq!(qp.eta / dp.eta, 12.0, "excitatory learning 12x, the exception");
    assert_eq!((qp.kappa_hz, dp.kappa_hz), (8.0, 10.0), "LTD target rate, the other exception");
    assert_eq!(qp.beta / dp.beta, 16.0);
    assert_eq!(qp.delta / dp.delta, 16.0);
    assert_eq!(q.inhibitory.eta / d.inhibitory.eta, 16.0);
    assert_eq!(dp.tau_cons_s / qp.tau_cons_s, 16.0);
    assert_eq!(dp.tau_hom_s / qp.tau_hom_s, 16.0);
    assert_eq!(q.protocol.init.duration_s, 120.0);
    assert_eq!(q.readout.assembly_presentations, 5);
    q.name = d.name.clone();
    q.description = d.description.clone();
    q.plasticity = d.plasticity.clone();
    q.inhibitory.eta = d.inhibitory.eta;
    q.protocol = d.protocol.clone();
    q.readout = d.readout.clone();
    assert_eq!(q, d, "quick_demo differs from the default only as listed");
}
