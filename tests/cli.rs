//! The `engram` binary end to end: outputs of `run`, and one-line errors with a non-zero exit.

mod common;

use std::process::Command;

use common::scratch_dir;
use engram::io::{mtx, pat, preset, ras};

fn engram(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_engram")).args(args).output().expect("binary runs")
}

/// Writes the reduced test network as a preset file.
fn small_preset(dir: &std::path::Path) -> String {
    let mut p = common::small_params(2);
    p.name = "small-test".into();
    p.protocol.init.first_onset_s = 0.1;
    let path = dir.join("small.toml");
    std::fs::write(&path, preset::to_toml(&p).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn run_writes_rates_summary_weights_and_raster() {
    let dir = scratch_dir("cli_run");
    let preset = small_preset(&dir);
    let out = dir.join("out");
    let o = engram(&["run", "--preset", &preset, "--seconds", "0.5", "--out", out.to_str().unwrap(), "--spikes"]);
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));

    let rates = std::fs::read_to_string(out.join("rates.csv")).unwrap();
    let mut lines = rates.lines();
    assert_eq!(lines.next(), Some("t_s,e_hz,i_hz,input_hz"));
    assert_eq!(lines.count(), 5, "five 100 ms bins in 0.5 s");

    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for key in ["sim_seconds", "wall_seconds", "realtime_factor", "threads", "seed", "preset", "spike_hash"] {
        assert!(!s[key].is_null(), "summary lacks {key}");
    }
    assert_eq!(s["preset"], "small-test");
    assert!((s["sim_seconds"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    for k in ["all", "last_10s"] {
        assert!(s["rate_e_hz"][k].as_f64().unwrap().is_finite() && s["rate_i_hz"][k].is_number());
    }
    for k in ["ee", "ei", "ii", "ie", "input_e"] {
        assert!(s["synapses"][k].as_u64().unwrap() > 0, "synapses.{k}");
    }
    for k in ["e", "i", "input"] {
        assert!(s["spikes"][k].is_u64());
    }
    assert!(s["mean_weight"]["ee"].as_f64().unwrap() > 0.0);

    let w = mtx::read_mtx(&out.join("weights_ee.mtx"), 512, 512).unwrap();
    assert_eq!(w.entries.len() as u64, s["synapses"]["ee"].as_u64().unwrap());
    let wt = mtx::read_mtx(&out.join("weights_ee2.mtx"), 512, 512).unwrap();
    assert_eq!(wt.entries.len(), w.entries.len());
    let wi = mtx::read_mtx(&out.join("weights_input_e.mtx"), 4096, 512).unwrap();
    assert_eq!(wi.entries.len() as u64, s["synapses"]["input_e"].as_u64().unwrap());

    let spikes = ras::parse_ras(&std::fs::read_to_string(out.join("e.ras")).unwrap(), "e.ras").unwrap();
    assert_eq!(spikes.len() as u64, s["spikes"]["e"].as_u64().unwrap());
    assert!(spikes.iter().all(|&(t, n)| (0.0..=0.5).contains(&t) && n < 512));
}

fn assert_one_line_error(o: &std::process::Output, needle: &str) {
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "stderr: {err}");
    assert!(err.contains(needle), "stderr {err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"));
}

#[test]
fn bad_input_gives_one_clear_line() {
    let dir = scratch_dir("cli_bad");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    assert_one_line_error(&engram(&["run", "--preset", "nonesuch", "--out", out]), "unknown preset `nonesuch`");
    assert_one_line_error(&engram(&["bench", "--preset", "nonesuch"]), "unknown preset");

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, preset::BUILTIN[0].1.replace("beta = 0.05", "beta = -0.5")).unwrap();
    let o = engram(&["run", "--preset", bad.to_str().unwrap(), "--seconds", "0.1", "--out", out]);
    assert_one_line_error(&o, "bad.toml: invalid parameter `plasticity.beta`");

    let broken = dir.join("broken.toml");
    std::fs::write(&broken, "name = \"x\"\nseed = [\n").unwrap();
    assert_one_line_error(&engram(&["run", "--preset", broken.to_str().unwrap(), "--out", out]), "broken.toml:");

    assert_one_line_error(&engram(&["run", "--phase", "sleep", "--out", out]), "--phase sleep");
    assert_one_line_error(&engram(&["run", "--seconds", "-1", "--out", out]), "-1 seconds");
    assert_one_line_error(&engram(&["run", "--threads", "0", "--out", out]), "--threads 0");
    assert_one_line_error(&engram(&["run", "--threads", "65", "--out", out]), "--threads 65");

    let set =
        |assignment: &str| engram(&["run", "--preset", "small", "--seconds", "0.1", "--set", assignment, "--out", out]);
    assert_one_line_error(
        &set("plasticity.nope=1"),
        "--set plasticity.nope=1: `plasticity.nope` is not a preset field",
    );
    assert_one_line_error(&set("plasticity.beta=-0.5"), "`plasticity.beta`");
    assert_one_line_error(&set("network.n_e=10"), "network size");
    assert_one_line_error(&set("beta"), "--set beta: expected FIELD=VALUE");
}

#[test]
fn run_gives_the_same_spikes_on_one_and_two_threads() {
    let dir = scratch_dir("cli_threads");
    let preset = small_preset(&dir);
    let hash = |threads: &str| {
        let out = dir.join(format!("out{threads}"));
        let o = engram(&[
            "run",
            "--preset",
            &preset,
            "--seconds",
            "0.3",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        assert_eq!(s["threads"].as_u64(), Some(threads.parse().unwrap()));
        s["spike_hash"].as_str().unwrap().to_string()
    };
    assert_eq!(hash("1"), hash("2"));
}

#[test]
fn builtin_shapes_round_trip_through_pat_files() {
    let dir = scratch_dir("cli_pat");
    let shapes = engram::sim::shapes::shapes();
    let cues = engram::sim::shapes::cues();
    for (name, set) in [("shapes.pat", &shapes), ("cues.pat", &cues)] {
        let path = dir.join(name);
        pat::write_pat(&path, set).unwrap();
        let back = pat::read_pat(&path, 4096).unwrap();
        assert_eq!(&back, set);
    }
}

#[test]
fn a_bad_history_setting_is_refused_before_the_window_opens() {
    for (args, what) in
        [(["--history-every", "-1"], "--history-every -1"), (["--history-mb", "99999999"], "--history-mb")]
    {
        let o = engram(&args);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(what) && err.lines().count() == 1, "{err}");
    }
}
