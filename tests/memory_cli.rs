//! `engram run --phase all` writes the memory read-outs (recall.csv, weight_structure.csv, the
//! new parts of summary.json), `--ablate` switches mechanisms and rejects unknown names, and
//! `engram figures` draws PNGs from the result. A compressed protocol on the 512-neuron test
//! network: the numbers are not meant to show memory (tests/memory.rs does), only that every
//! file has the documented layout and agrees with the others.

mod common;

use std::process::Command;

use common::scratch_dir;
use engram::io::{pat, preset};

fn engram(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_engram")).args(args).output().expect("binary runs")
}

/// 20 s of shapes (1 s on, 0.2 s off: about 16 presentations, so every shape has been probed),
/// 1 s of learning, 8 s of cues (0.2 s on, 1 s off).
fn compressed_preset(dir: &std::path::Path) -> String {
    let mut p = common::small_params(4);
    p.name = "compressed".into();
    let pr = &mut p.protocol;
    (pr.init.duration_s, pr.init.first_onset_s, pr.init.t_off_s) = (20.0, 0.1, 0.2);
    (pr.learn.duration_s, pr.learn.first_onset_s) = (1.0, 0.1);
    (pr.recall.duration_s, pr.recall.first_onset_s, pr.recall.t_off_s) = (8.0, 0.1, 1.0);
    let path = dir.join("compressed.toml");
    std::fs::write(&path, preset::to_toml(&p).unwrap()).unwrap();
    path.display().to_string()
}

#[test]
fn run_all_phases_writes_recall_weight_structure_and_figures() {
    let dir = scratch_dir("memory_cli");
    let preset = compressed_preset(&dir);
    let out = dir.join("out");
    let o = engram(&[
        "run",
        "--preset",
        &preset,
        "--phase",
        "all",
        "--out",
        out.to_str().unwrap(),
        "--ablate",
        "hetero,inhibitory",
        "--weight-every",
        "10",
    ]);
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();

    // Ablations reach the mechanisms and are recorded.
    assert_eq!(s["ablations"], serde_json::json!(["hetero", "inhibitory"]));
    assert_eq!(s["mechanisms"]["heterosynaptic"], false);
    assert_eq!(s["mechanisms"]["inhibitory"], false);
    assert_eq!(s["mechanisms"]["transmitter"], true);

    // Assemblies: the four shapes with sizes matching assemblies.pat, six pairwise overlaps.
    let asm = pat::read_pat(&out.join("assemblies.pat"), 512).unwrap();
    let names: Vec<&str> = asm.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["circle", "square", "cross", "triangle"]);
    for (k, p) in asm.iter().enumerate() {
        assert_eq!(s["assemblies"][k]["size"].as_u64(), Some(p.len() as u64));
    }
    let overlaps = s["assembly_overlaps"].as_array().unwrap();
    assert_eq!(overlaps.len(), 6);
    let shared = |a: &str, b: &str| {
        let set: std::collections::BTreeSet<_> = asm.iter().find(|p| p.name == a).unwrap().indices.iter().collect();
        asm.iter().find(|p| p.name == b).unwrap().indices.iter().filter(|i| set.contains(i)).count() as u64
    };
    assert_eq!(overlaps[0]["a"], "circle");
    assert_eq!(overlaps[0]["b"], "square");
    assert_eq!(overlaps[0]["shared"].as_u64(), Some(shared("circle", "square")));

    // weight_structure.csv: every 10 s of model time and at the end of each phase (20, 21,
    // 29 s), once per time; 25 E→E rows (5 groups), 25 of their w̃ and 16 Input→E rows (4 shapes × 4
    // assemblies) once the assemblies are known.
    let ws = std::fs::read_to_string(out.join("weight_structure.csv")).unwrap();
    let mut lines = ws.lines();
    assert_eq!(lines.next(), Some("t_s,projection,from,to,mean_w,n_synapses"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let times: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(times.into_iter().collect::<Vec<_>>(), ["10.0", "20.0", "21.0", "29.0"]);
    assert_eq!(rows.iter().filter(|r| r[0] == "20.0" && r[1] == "ee").count(), 25, "one sample per time");
    let at = |t: &str, proj: &str| rows.iter().filter(|r| r[0] == t && r[1] == proj).count();
    assert_eq!((at("29.0", "ee"), at("29.0", "ee_tilde"), at("29.0", "input_e")), (25, 25, 16));
    let end_init = &s["weight_structure_end_of_init"];
    assert_eq!(end_init["t_s"].as_f64(), Some(20.0));
    assert_eq!(end_init["groups"], serde_json::json!(["circle", "square", "cross", "triangle", "rest"]));
    // The summary's matrix is the CSV's rows at t = 20 s.
    let csv_w: f64 = rows.iter().find(|r| r[0] == "20.0" && r[1] == "ee" && r[2] == "cross" && r[3] == "rest").unwrap()
        [4]
    .parse()
    .unwrap();
    assert!((end_init["ee_mean_w"][2][4].as_f64().unwrap() - csv_w).abs() < 1e-6);
    let csv_wt: f64 =
        rows.iter().find(|r| r[0] == "20.0" && r[1] == "ee_tilde" && r[2] == "cross" && r[3] == "rest").unwrap()[4]
            .parse()
            .unwrap();
    assert!((end_init["ee_mean_wt"][2][4].as_f64().unwrap() - csv_wt).abs() < 1e-6);

    // recall.csv: one row per cue, parents from the cue names, rates for every assembly.
    let rc = std::fs::read_to_string(out.join("recall.csv")).unwrap();
    let mut lines = rc.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..5], ["t_s", "offset_s", "cue", "parent", "complete"]);
    assert_eq!(header.len(), 5 + 3 * 4 + 3);
    assert_eq!(header[5], "circle_cue_hz");
    assert_eq!(header[9], "circle_window_hz");
    assert_eq!(header[13], "circle_baseline_hz");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 3, "{} cues in 8 s", rows.len());
    for r in &rows {
        assert_eq!(r.len(), header.len());
        let t: f64 = r[0].parse().unwrap();
        assert!((21.0..29.0).contains(&t), "cue at {t} s is in the recall phase");
        let parent = engram::sim::shapes::parent_shape(r[2]).map_or("none", |k| engram::sim::shapes::SHAPE_NAMES[k]);
        assert_eq!(r[3], parent, "{r:?}");
        assert!(r[17] == "none" || names.contains(&r[17]));
    }
    assert_eq!(s["recall"]["cues"].as_u64(), Some(rows.len() as u64));
    let scored = rows.iter().filter(|r| r[4] == "1").count() as u64;
    assert_eq!(s["recall"]["scored"].as_u64(), Some(scored));
    assert_eq!(s["recall"]["criteria"]["min_rate_hz"].as_f64(), Some(10.0));
    assert_eq!(s["recall"]["criteria"]["baseline_ratio"].as_f64(), Some(2.0));
    for n in &names {
        assert!(s["recall"]["per_shape"][n]["cues"].is_u64(), "{n}");
    }

    // Figures from the run.
    let o = engram(&["figures", "--dir", out.to_str().unwrap()]);
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    for f in ["rates.png", "assembly_sizes.png", "weight_blocks.png", "weights_over_time.png", "recall.png"] {
        let path = out.join("figures").join(f);
        let img = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!((img.width(), img.height()), (1000, 560), "{f}");
        // Not blank: a figure has text and lines in several colours.
        let rgb = img.to_rgb8();
        let colours: std::collections::BTreeSet<[u8; 3]> = rgb.pixels().map(|p| p.0).collect();
        assert!(colours.len() > 20, "{f} has {} colours", colours.len());
    }
}

#[test]
fn unknown_ablation_is_a_one_line_error() {
    let dir = scratch_dir("memory_cli_bad");
    let o = engram(&["run", "--ablate", "hetero,dopamine", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "stderr: {err}");
    assert!(err.contains("--ablate dopamine: unknown mechanism"), "{err}");
    let o = engram(&["figures", "--dir", dir.join("nonexistent").to_str().unwrap()]);
    assert!(o.status.success(), "a directory without inputs draws nothing: {}", String::from_utf8_lossy(&o.stderr));
}
