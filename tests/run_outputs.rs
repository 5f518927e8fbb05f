//! `engram run`'s read-outs for comparing runs: `stimuli.csv` against the schedule, the
//! selectivity block of summary.json, rates per window, and recall scored from a snapshot's
//! assemblies (`--load`) or from a `.pat` file (`--assemblies`).

mod common;

use std::path::Path;
use std::process::Command;

use engram::io::{pat, preset, snapshot};
use engram::sim::Network;
use engram::sim::params::PhaseName;

fn engram(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_engram")).args(args).output().expect("binary runs")
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// The golden preset (512 E, full input, shapes from 0.2 s).
fn golden() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden.toml").to_str().unwrap().to_string()
}

#[test]
fn stimuli_csv_lists_the_schedule() {
    let dir = common::scratch_dir("run_stimuli");
    let out = dir.join("out");
    ok(&engram(&["run", "--preset", &golden(), "--seconds", "3", "--out", out.to_str().unwrap()]));
    let csv = std::fs::read_to_string(out.join("stimuli.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("onset_s,offset_s,pattern,phase,pixels,parent_fraction"));
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(String::from).collect()).collect();

    // The schedule, replayed on the same network: every onset the input layer shows.
    let params = preset::load_preset(&golden()).unwrap();
    let shapes = engram::sim::shapes::shapes();
    let mut net = Network::new(params).unwrap();
    net.start_phase(PhaseName::Init);
    let mut want = Vec::new();
    let mut last = None;
    net.run(30_000, |n| {
        if let Some(s) = &n.input().stimulus
            && last != Some(s.onset)
        {
            last = Some(s.onset);
            want.push((s.onset as f64 / 1e4, s.offset as f64 / 1e4, s.name.clone(), s.pixels.len()));
        }
    });
    assert!(want.len() >= 3, "only {} presentations in 3 s", want.len());
    assert_eq!(rows.len(), want.len());
    for (r, (on, off, name, px)) in rows.iter().zip(&want) {
        assert!((r[0].parse::<f64>().unwrap() - on).abs() < 1e-9 && (r[1].parse::<f64>().unwrap() - off).abs() < 1e-9);
        assert_eq!((&r[2], r[3].as_str(), r[4].parse::<usize>().unwrap()), (name, "init", *px));
        // A whole shape covers its parent completely.
        assert!(shapes.iter().any(|s| s.name == *name));
        assert_eq!(r[5], "1.0000");
    }
}

#[test]
fn selectivity_and_rate_windows_in_the_summary() {
    let dir = common::scratch_dir("run_selectivity");
    let out = dir.join("out");
    ok(&engram(&[
        "run",
        "--preset",
        &golden(),
        "--seconds",
        "12",
        "--selectivity-window",
        "2,12",
        "--time-course",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]));
    let s = summary(&out);
    let sel = &s["selectivity"];
    assert_eq!(sel["window_s"], serde_json::json!([2.0, 12.0]));
    let shown: u64 = sel["presentations"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert!(shown > 0, "{sel}");
    assert_eq!(sel["overlaps"].as_array().unwrap().len(), 6);
    assert_eq!(sel["response_hz"].as_array().unwrap().len(), 4);
    // Windows of 5 s from 0: [0, 5), [5, 10), [10, 15) — those with presentations.
    let tc = s["selectivity_time_course"].as_array().unwrap();
    assert!(!tc.is_empty() && tc.len() <= 3);
    assert_eq!(tc[0]["window_s"], serde_json::json!([0.0, 5.0]));
    // 0–10 s is covered by the run, 10–60 s is not.
    let rw = s["rates_in_windows"].as_array().unwrap();
    assert_eq!(rw.len(), 1);
    assert_eq!(rw[0]["window_s"], serde_json::json!([0.0, 10.0]));
    let e = rw[0]["e_hz"].as_f64().unwrap();
    assert!(e > 0.0 && e < 100.0, "{e}");
}

/// A snapshot saved after the init phase carries the frozen assemblies: a later
/// `run --load --phase recall` scores recall with them; `--assemblies` overrides them.
#[test]
fn recall_is_scored_from_the_snapshot_assemblies_or_a_pat_file() {
    let dir = common::scratch_dir("run_recall_from_snapshot");
    let mut p = preset::load_preset(&golden()).unwrap();
    // Long presentations, so that every shape has one of ≥ 0.5 s in the first seconds.
    p.protocol.init.t_on_s = 0.9;
    p.protocol.init.t_off_s = 0.1;
    p.protocol.recall.first_onset_s = 0.5;
    p.protocol.recall.t_off_s = 1.5;
    let preset_path = dir.join("p.toml");
    std::fs::write(&preset_path, preset::to_toml(&p).unwrap()).unwrap();
    let d = |s: &str| dir.join(s).to_str().unwrap().to_string();
    ok(&engram(&[
        "run",
        "--preset",
        preset_path.to_str().unwrap(),
        "--seconds",
        "8",
        "--out",
        &d("init"),
        "--save",
        &d("trained.engram"),
    ]));
    let (_, extras) = snapshot::load_with_extras(&dir.join("trained.engram")).unwrap();
    let frozen = extras.assemblies.expect("the snapshot carries the assemblies of phase 1");
    let written = pat::read_pat(&dir.join("init/assemblies.pat"), 512).unwrap();
    let members =
        |a: &[engram::sim::Pattern]| a.iter().map(|p| (p.name.clone(), p.indices.clone())).collect::<Vec<_>>();
    assert_eq!(members(&frozen), members(&written));
    assert_eq!(frozen.len(), 4);

    ok(&engram(&["run", "--load", &d("trained.engram"), "--phase", "recall", "--seconds", "4", "--out", &d("recall")]));
    let s = summary(&dir.join("recall"));
    assert!(s["recall"]["cues"].as_u64().unwrap() > 0, "{}", s["recall"]);
    assert!(dir.join("recall/recall.csv").exists());

    // Two made-up assemblies from a file take their place.
    let asm = dir.join("two.pat");
    std::fs::write(&asm, "0 20\n1 20\n\n2 20\n3 20\n\n").unwrap();
    ok(&engram(&[
        "run",
        "--load",
        &d("trained.engram"),
        "--phase",
        "recall",
        "--seconds",
        "1",
        "--assemblies",
        asm.to_str().unwrap(),
        "--out",
        &d("recall2"),
    ]));
    let header = std::fs::read_to_string(dir.join("recall2/recall.csv")).unwrap();
    assert!(header.starts_with("t_s,offset_s,cue,parent,complete,pattern1_cue_hz,pattern2_cue_hz"), "{header}");
}

/// Phase 1 continued from a snapshot to a longer end (`--set protocol.init.duration_s`) is read
/// out over the last 400 s of the phase — here its last 8 s, from the continuation's start.
#[test]
fn a_continued_phase_1_is_read_out_at_its_end() {
    let dir = common::scratch_dir("run_selectivity_continued");
    let (first, cont) = (dir.join("first"), dir.join("cont"));
    let snap = dir.join("a.engram");
    ok(&engram(&[
        "run",
        "--preset",
        &golden(),
        "--seconds",
        "4",
        "--save",
        snap.to_str().unwrap(),
        "--out",
        first.to_str().unwrap(),
    ]));
    ok(&engram(&[
        "run",
        "--load",
        snap.to_str().unwrap(),
        "--seconds",
        "8",
        "--set",
        "protocol.init.duration_s=12",
        "--out",
        cont.to_str().unwrap(),
    ]));
    let s = summary(&cont);
    assert_eq!(s["selectivity"]["window_s"], serde_json::json!([4.0, 12.0]), "{}", s["selectivity"]);
}

/// `readout.assembly_presentations` sets how many of each shape's most recent presentations the
/// assembly tracker keeps: the counts in summary.json are the presentations of stimuli.csv that
/// lasted the 0.5 s probe, capped at the setting.
#[test]
fn the_tracker_keeps_the_last_n_presentations_the_preset_asks_for() {
    let dir = common::scratch_dir("run_readout");
    for keep in [2usize, 20] {
        let out = dir.join(format!("keep{keep}"));
        ok(&engram(&[
            "run",
            "--preset",
            &golden(),
            "--seconds",
            "40",
            "--set",
            "protocol.init.t_on_s=1.0",
            "--set",
            &format!("readout.assembly_presentations={keep}"),
            "--out",
            out.to_str().unwrap(),
        ]));
        let csv = std::fs::read_to_string(out.join("stimuli.csv")).unwrap();
        let probed = |shape: &str| {
            csv.lines()
                .skip(1)
                .map(|l| l.split(',').collect::<Vec<_>>())
                .filter(|r| r[2] == shape && r[1].parse::<f64>().unwrap() - r[0].parse::<f64>().unwrap() >= 0.5)
                .filter(|r| r[0].parse::<f64>().unwrap() + 0.5 <= 40.0)
                .count()
        };
        let want: Vec<usize> = engram::sim::shapes::SHAPE_NAMES.iter().map(|s| probed(s).min(keep)).collect();
        assert!(want.iter().all(|&n| n >= 2), "every shape needs 2 long presentations in 40 s: {want:?}");
        let got: Vec<usize> = summary(&out)["assembly_presentations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(got, want, "keep {keep}");
    }
}
