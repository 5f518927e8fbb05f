//! `engram run --save/--load` end to end: a run split in two through a snapshot file ends in
//! the same state as the run straight through; bad snapshots are one-line errors.

mod common;

use std::process::Command;

use common::scratch_dir;
use engram::io::preset;

fn engram(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_engram")).args(args).output().expect("binary runs")
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
}

fn summary(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn run_split_by_save_and_load_ends_where_the_straight_run_does() {
    let dir = scratch_dir("cli_snapshot");
    let mut p = common::small_params(3);
    p.protocol.init.first_onset_s = 0.1;
    p.protocol.init.t_on_s = 0.15;
    p.protocol.init.t_off_s = 0.1;
    let preset = dir.join("small.toml");
    std::fs::write(&preset, preset::to_toml(&p).unwrap()).unwrap();
    let (preset, d) = (preset.to_str().unwrap(), |s: &str| dir.join(s).to_str().unwrap().to_string());

    ok(&engram(&[
        "run",
        "--preset",
        preset,
        "--seconds",
        "0.5",
        "--out",
        &d("straight"),
        "--save",
        &d("straight.engram"),
    ]));
    ok(&engram(&["run", "--preset", preset, "--seconds", "0.3", "--out", &d("first"), "--save", &d("half.engram")]));
    // Continues the init phase from 0.3 s (the schedule is not restarted), on two threads.
    ok(&engram(&[
        "run",
        "--load",
        &d("half.engram"),
        "--seconds",
        "0.2",
        "--threads",
        "2",
        "--out",
        &d("second"),
        "--save",
        &d("resumed.engram"),
    ]));
    let straight = std::fs::read(dir.join("straight.engram")).unwrap();
    assert_eq!(std::fs::read(dir.join("resumed.engram")).unwrap(), straight, "resumed run ended elsewhere");

    let s = summary(&dir.join("second"));
    assert!((s["start_seconds"].as_f64().unwrap() - 0.3).abs() < 1e-9, "{s}");
    assert!((s["sim_seconds"].as_f64().unwrap() - 0.2).abs() < 1e-9, "{s}");
    assert_eq!(s["phases"][0], "init");
    assert_eq!(s["preset"], p.name);
    let straight_summary = summary(&dir.join("straight"));
    assert_eq!(s["spikes"], straight_summary["spikes"], "spike counts carry over");
}

#[test]
fn bad_snapshot_and_conflicting_flags_are_one_line_errors() {
    let dir = scratch_dir("cli_snapshot_bad");
    let bad = dir.join("bad.engram");
    std::fs::write(&bad, b"ENGRAMST\x01\x00\x00\x00").unwrap();
    let out = dir.join("out");
    let o = engram(&["run", "--load", bad.to_str().unwrap(), "--seconds", "0.1", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bad.engram") && err.contains("truncated"), "{err}");

    let o = engram(&["run", "--load", bad.to_str().unwrap(), "--seed", "3"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
}
