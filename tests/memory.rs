//! Memory formation and recall on the reduced network (`small` preset: 1024 E, 256 I, 32×32
//! input, the default's in-degrees): repeated presentation of three patterns grows assemblies
//! whose within-assembly E→E weights exceed the between-assembly weights, and a partial cue of
//! one pattern then activates its assembly — including the members the cue does not drive
//! directly — above the others.
//!
//! Measured quantities only; every margin is explained where it is asserted.

use engram::io::preset;
use engram::sim::analysis::{RecallCriteria, RecallRecorder, weight_structure};
use engram::sim::monitor::AssemblyTracker;
use engram::sim::params::{PhaseName, STEPS_PER_SECOND};
use engram::sim::views::weight_view;
use engram::sim::{Network, Pattern, ProjectionId};

const SIDE: u32 = 32;

/// Three non-overlapping vertical bands of the 32×32 input, 10 columns (320 pixels) each,
/// separated by 1-pixel gaps.
fn bands() -> Vec<Pattern> {
    ["left", "middle", "right"]
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let x0 = k as u32 * 11;
            let px = (0..SIDE * SIDE).filter(|i| (x0..x0 + 10).contains(&(i % SIDE))).collect();
            Pattern::from_indices(*name, px)
        })
        .collect()
}

/// Steps `secs` of model time, feeding the observers.
fn run(net: &mut Network, secs: f64, mut observe: impl FnMut(&Network) + Send) {
    net.run((secs * STEPS_PER_SECOND as f64).round() as u64, |n| observe(n));
}

#[test]
#[expect(clippy::too_many_lines, reason = "one scenario, from training to recall")]
fn repeated_patterns_form_assemblies_and_a_partial_cue_recalls_one() {
    let started = std::time::Instant::now();
    let mut p = preset::load_preset("small").unwrap();
    p.seed = 7;
    // 30 presentations of 1 s (10 per band) with 1 s pauses: 65 model seconds, about 20–30 s
    // of wall time in the debug profile.
    let n_train = 30;
    let mut net = Network::new(p).unwrap();
    let pats = bands();
    let names: Vec<String> = pats.iter().map(|p| p.name.clone()).collect();
    let mut tracker = AssemblyTracker::new(names, 10, 0.5, 10.0);

    // Phase 1 schedule with no patterns of its own: we present the bands by hand at its
    // stimulus rate (25 Hz on top of the 5 Hz background).
    net.start_phase(PhaseName::Init);
    run(&mut net, 5.0, |_| {});
    for k in 0..n_train {
        let pat = &pats[k % pats.len()];
        net.present(pat.name.clone(), Some(k % pats.len()), pat.indices.clone(), 1.0);
        run(&mut net, 1.0, |n| {
            tracker.observe(n);
        });
        run(&mut net, 1.0, |n| {
            tracker.observe(n);
        });
    }
    let asm = tracker.assemblies();
    let ws = weight_structure(&weight_view(&net, &asm, 1), &pats);
    let (within, between) = ws.within_between();
    // Printed for whoever tunes this test (`cargo test --test memory -- --nocapture`).
    eprintln!(
        "t = {:.0} s, wall {:.1} s; sizes {:?}; within {within:.4}, between {between:.4}",
        net.time_s(),
        started.elapsed().as_secs_f64(),
        asm.iter().map(engram::sim::Pattern::len).collect::<Vec<_>>()
    );
    for a in 0..ws.groups.len() {
        eprintln!(
            "  {:>7}: {}",
            ws.groups[a],
            (0..ws.groups.len()).map(|b| format!("{:.3}", ws.ee_at(a, b).mean_w)).collect::<Vec<_>>().join(" ")
        );
    }

    // Learning: every assembly's recurrent weights exceed every weight between assemblies,
    // and on average by a large factor. Measured (seed 7, 30 presentations): within 0.49,
    // between 0.037 (13×), the largest off-diagonal block 0.046 against the smallest diagonal
    // block 0.491; the initial weight is 0.1 everywhere, so without learning the ratio is 1
    // (with η = δ = 0 this assertion fails: within = between = 0.057). A factor of 4 leaves
    // room for a different seed or a changed rule detail.
    assert!(
        asm.iter().all(|a| a.len() >= 100),
        "assemblies too small: {:?}",
        asm.iter().map(engram::sim::Pattern::len).collect::<Vec<_>>()
    );
    assert!(within > 4.0 * between, "within {within:.4} vs between {between:.4}");
    for a in 0..3 {
        for b in (0..3).filter(|&b| b != a) {
            let (d, o) = (ws.ee_at(a, a).mean_w, ws.ee_at(a, b).mean_w.max(ws.ee_at(b, a).mean_w));
            assert!(d > 2.0 * o, "block {a}{a} = {d:.3} vs {a}{b}/{b}{a} = {o:.3}");
        }
    }
    // Input→E: each band's pixels project more strongly onto its own assembly.
    for k in 0..3 {
        let own = ws.input_at(k, k).mean_w;
        for b in (0..3).filter(|&b| b != k) {
            assert!(own > ws.input_at(k, b).mean_w, "input {k}→{b} ≥ {k}→{k}");
        }
    }

    // Cues: the lower half of each band in turn (left, middle, right), 0.2 s each at the
    // recall phase's stimulus rate (50 Hz), 3.3 s apart. Each should switch the network's
    // activity to the cued assembly (docs/model.md §14.2: one assembly active at a time, switched by
    // each stimulus, persisting after it).
    net.start_phase(PhaseName::Recall);
    let cues: Vec<Pattern> = pats
        .iter()
        .map(|p| {
            let px = p.indices.iter().copied().filter(|i| i / SIDE < SIDE / 2).collect();
            Pattern::from_indices(format!("{}-half", p.name), px)
        })
        .collect();
    // Members of each assembly that receive no input synapse from a pixel of its cue: they
    // can only be driven through recurrent E→E connections (pattern completion).
    let undriven: Vec<Pattern> = cues
        .iter()
        .zip(&asm)
        .map(|(cue, a)| {
            let mut driven = vec![false; net.e().len()];
            for &px in &cue.indices {
                for s in net.projection(ProjectionId::InputE).row(px as usize) {
                    driven[net.projection(ProjectionId::InputE).post[s] as usize] = true;
                }
            }
            let members = a.indices.iter().copied().filter(|&i| !driven[i as usize]).collect();
            Pattern::from_indices(format!("{}-undriven", a.name), members)
        })
        .collect();
    assert!(
        undriven.iter().all(|u| u.len() >= 50),
        "{:?}",
        undriven.iter().map(engram::sim::Pattern::len).collect::<Vec<_>>()
    );
    let parent = |cue: &str, _: &[String]| ["left-half", "middle-half", "right-half"].iter().position(|c| *c == cue);
    let mut rec = RecallRecorder::with_parents(&asm, net.e().len(), RecallCriteria::default(), parent);
    let mut rec_u = RecallRecorder::with_parents(&undriven, net.e().len(), RecallCriteria::default(), parent);
    let observe = |n: &Network, rec: &mut RecallRecorder, rec_u: &mut RecallRecorder| {
        rec.observe_step(n.t() - 1, n.input().stimulus.as_ref(), &n.e().spikes);
        rec_u.observe_step(n.t() - 1, n.input().stimulus.as_ref(), &n.e().spikes);
    };
    // Rate of the cued assembly in the second before its cue [Hz].
    let mut baseline = Vec::new();
    run(&mut net, 1.0, |n| observe(n, &mut rec, &mut rec_u));
    for (k, cue) in cues.iter().enumerate() {
        let mut member = vec![false; net.e().len()];
        asm[k].indices.iter().for_each(|&i| member[i as usize] = true);
        let mut count = 0u64;
        run(&mut net, 1.0, |n| {
            observe(n, &mut rec, &mut rec_u);
            count += n.e().spikes.iter().filter(|&&i| member[i as usize]).count() as u64;
        });
        baseline.push(count as f64 / asm[k].len() as f64);
        net.present(cue.name.clone(), None, cue.indices.clone(), 0.2);
        run(&mut net, 2.3, |n| observe(n, &mut rec, &mut rec_u));
    }
    rec.finish();
    rec_u.finish();
    for ((r, u), b) in rec.responses.iter().zip(&rec_u.responses).zip(&baseline) {
        eprintln!(
            "  cue {} at {:.1} s: baseline {b:.2} Hz, cue {:.1?}, window {:.1?}, recalled {:?}, delay {:?}; undriven cue {:.1?} window {:.1?}",
            r.name, r.onset_s, r.cue_hz, r.window_hz, r.recalled, r.delay_s, u.cue_hz, u.window_hz
        );
    }
    eprintln!("wall {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!((rec.responses.len(), rec_u.responses.len()), (3, 3));
    for (k, ((r, u), &base)) in rec.responses.iter().zip(&rec_u.responses).zip(&baseline).enumerate() {
        assert!(r.complete && u.complete && r.parent == Some(k));
        let others = |x: &[f64]| (0..3).filter(|&j| j != k).map(|j| x[j]).fold(0.0, f64::max);
        // Measured (seed 7): during the cue 17–20 Hz against ≤ 2.5 Hz; in the window 11.6–12.2
        // Hz against ≤ 0.5 Hz; before the cue ≤ 0.42 Hz; undriven members 11.7–13.6 Hz against
        // ≤ 0.6 Hz. Delay activity lasts 0.35–2.1 s.
        // During the cue the cued assembly fires far above the others: 4× required.
        assert!(r.cue_hz[k] > 4.0 * others(&r.cue_hz) && r.cue_hz[k] > 5.0, "{}: cue rates {:?}", r.name, r.cue_hz);
        // After the cue (the recall window [0.1 s, 1 s) after offset) the cued assembly stays
        // active, selectively: 3 Hz and 5× every other assembly required.
        assert!(
            r.window_hz[k] > 3.0 && r.window_hz[k] > 5.0 * others(&r.window_hz),
            "{}: window {:?}",
            r.name,
            r.window_hz
        );
        // …which the cue caused: before it the assembly was near silent (another one was
        // active); 3× its pre-cue rate required.
        assert!(r.window_hz[k] > 3.0 * base, "{}: window {:.2} Hz vs before {base:.2} Hz", r.name, r.window_hz[k]);
        // The recall rule (docs/model.md §14.3, 10 Hz / 2×) never picks a wrong assembly. (Measured:
        // it picks the cued one every time, with 11.6–12.2 Hz against the 10 Hz threshold; too
        // close to require.)
        assert!(r.recalled.is_none_or(|w| w == k), "{}: recalled {:?}", r.name, r.recalled);
        // Pattern completion: members that the cue does not reach through the input are
        // recruited through the learned recurrent weights; 3 Hz and 5× the others required.
        assert!(
            u.window_hz[k] > 3.0 && u.window_hz[k] > 5.0 * others(&u.window_hz),
            "{}: undriven {:?}",
            r.name,
            u.window_hz
        );
    }
}
