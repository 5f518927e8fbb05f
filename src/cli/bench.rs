//! `engram bench`: the speed of the step on the init phase, as one JSON line (what
//! `scripts/bench-pair.sh` compares between builds; method in docs/performance.md).

use std::fs;
use std::time::Instant;

use serde_json::json;

use super::{BenchArgs, check_seconds, load, synapse_counts, threads};
use crate::error::{Error, Result};
use crate::sim::ProjectionId;
use crate::sim::network::Network;
use crate::sim::params::{DT_MS, PhaseName};

/// Peak resident memory of this process [MB], from /proc (Linux); None elsewhere.
pub fn peak_rss_mb() -> Option<f64> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `engram bench`: builds the network, runs the init phase for `seconds`, prints one JSON line.
pub fn bench(a: &BenchArgs) -> Result<()> {
    let threads = threads(a.threads)?;
    check_seconds(a.seconds)?;
    let mut params = load(&a.preset, None)?;
    if !(a.scale.is_finite() && (0.01..=16.0).contains(&a.scale)) {
        return Err(Error::Invalid(format!("--scale {}: expected a factor in [0.01, 16]", a.scale)));
    }
    let scaled = |n: usize| ((n as f64 * a.scale).round() as usize).max(1);
    params.network.n_e = scaled(params.network.n_e);
    params.network.n_i = scaled(params.network.n_i);
    let t0 = Instant::now();
    let mut net = Network::new(params.clone())?;
    net.set_threads(threads)?;
    let build_s = t0.elapsed().as_secs_f64();
    net.start_phase(PhaseName::Init);
    let steps = (a.seconds * 1e3 / DT_MS).round() as u64;
    let mut events = 0u64;
    let mut fork = a.fork.then(|| net.clone());
    // The window's chunk: the original, then the fork, every 5 ms of model time.
    let chunk = if fork.is_some() { 50 } else { steps };
    let started = Instant::now();
    let mut done = 0;
    while done < steps {
        let n = chunk.min(steps - done);
        run_counting(&mut net, n, &mut events);
        if let Some(f) = fork.as_mut() {
            f.run(n, |_| {});
        }
        done += n;
    }
    let wall = started.elapsed().as_secs_f64();
    report(a, &params, (&net, threads, build_s, steps, events, wall));
    Ok(())
}

/// Runs `steps` steps of `net`, adding the synaptic events delivered to `events`.
fn run_counting(net: &mut Network, steps: u64, events: &mut u64) {
    net.run(steps, |net| {
        // Synaptic events delivered per spike (counted at emission; the same spikes arrive
        // 0.8 ms later).
        for &j in &net.e().spikes {
            *events += (net.projection(ProjectionId::Ee).row(j as usize).len()
                + net.projection(ProjectionId::Ei).row(j as usize).len()) as u64;
        }
        for &j in &net.i().spikes {
            *events += (net.projection(ProjectionId::Ii).row(j as usize).len()
                + net.projection(ProjectionId::Ie).row(j as usize).len()) as u64;
        }
        for &j in &net.input().spikes {
            *events += net.projection(ProjectionId::InputE).row(j as usize).len() as u64;
        }
    });
}

/// Prints the bench's JSON line.
fn report(
    a: &BenchArgs,
    params: &crate::sim::Params,
    (net, threads, build_s, steps, events, wall): (&Network, usize, f64, u64, u64, f64),
) {
    let sim_s = net.time_s();
    let c = net.counts();
    // Cost of one GUI weight snapshot (the window publishes one every 0.5 s of wall time, on the
    // simulation thread), with four live assemblies as the GUI would have them.
    let assemblies = crate::sim::shapes::shapes()
        .into_iter()
        .enumerate()
        .map(|(k, p)| {
            let n = net.e().len() as u32;
            crate::sim::pattern::Pattern::from_indices(p.name, (k as u32 * n / 4..(k as u32 + 1) * n / 4).collect())
        })
        .collect::<Vec<_>>();
    let t_snap = Instant::now();
    let reps = 5;
    for _ in 0..reps {
        std::hint::black_box(crate::sim::views::weight_view(net, &assemblies, 128));
    }
    let snapshot_ms = t_snap.elapsed().as_secs_f64() * 1e3 / reps as f64;
    let neurons = (params.network.n_e + params.network.n_i) as f64;
    let line = json!({
        "preset": params.name,
        "threads": threads,
        "networks": if a.fork { 2 } else { 1 },
        "scale": a.scale,
        "n_e": params.network.n_e,
        "n_i": params.network.n_i,
        "synapses": synapse_counts(net),
        "synapses_total": net.projections().iter().map(|(_, p)| p.len()).sum::<usize>(),
        // Wall time per unit of work, each as if it were all the time (upper bounds).
        "ns_per_synaptic_event": wall * 1e9 / (events as f64).max(1.0),
        "ns_per_neuron_update": wall * 1e9 / (neurons * steps as f64).max(1.0),
        "build_seconds": build_s,
        "model_seconds": sim_s,
        "wall_seconds": wall,
        "realtime_factor": sim_s / wall.max(1e-9),
        "spikes_per_model_second": { "e": c.e as f64 / sim_s, "i": c.i as f64 / sim_s, "input": c.input as f64 / sim_s },
        "synaptic_events_per_model_second": events as f64 / sim_s,
        "peak_rss_mb": peak_rss_mb(),
        "snapshot_ms": snapshot_ms,
        "snapshot_share_at_2_per_s": snapshot_ms / 500.0,
    });
    println!("{line}");
}
