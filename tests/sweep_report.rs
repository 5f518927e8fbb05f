//! `engram sweep` and `engram report` end to end: expanding a spec into run directories and
//! commands, errors naming the spec's field and line, the Slurm and GNU parallel files, a tiny
//! sweep run here (and resumed), and the report table of hand-written and real summaries.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::scratch_dir;
use engram::io::preset;

fn engram(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_engram")).args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn assert_ok(o: &Output) {
    assert!(o.status.success(), "stdout: {}\nstderr: {}", stdout(o), String::from_utf8_lossy(&o.stderr));
}

/// Asserts a one-line error (exit status 1) containing every needle; returns it.
fn one_line_error(o: &Output, needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr {err:?} lacks {n:?}");
    }
    err
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap()
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// The 2 presets × 2 variants × 2 seeds grid: the built-in `small` and a copy of it named
/// `mine` in a file next to the spec.
fn grid_spec(dir: &Path, extra: &str) -> PathBuf {
    let mut p = preset::load_preset("small").unwrap();
    p.name = "mine".into();
    write(&dir.join("mine.toml"), &preset::to_toml(&p).unwrap());
    write(
        &dir.join("spec.toml"),
        &format!(
            r#"out = "grid"
presets = ["small", "mine.toml"]
seeds = [3, 1]
threads = 2
args = ["--seconds", "0.2", "--save", "{{dir}}/end.engram"]
{extra}
[[variant]]
name = "base"

[[variant]]
name = "hom"
set = {{ "plasticity.beta" = 0.04, "mechanisms.heterosynaptic" = false }}
"#
        ),
    )
}

const GRID_ORDER: [&str; 8] = [
    "small-base-s3",
    "small-base-s1",
    "small-hom-s3",
    "small-hom-s1",
    "mine-base-s3",
    "mine-base-s1",
    "mine-hom-s3",
    "mine-hom-s1",
];

#[test]
fn sweep_expands_presets_variants_and_seeds() {
    let dir = scratch_dir("sweep_expand");
    let spec = grid_spec(&dir, "");
    let o = engram(&["sweep", spec.to_str().unwrap(), "--dry-run"]);
    assert_ok(&o);
    let out = std::fs::canonicalize(dir.join("grid")).unwrap();

    // commands.txt: one line per point, presets outside, then variants, then seeds as listed;
    // --dry-run prints the same lines.
    let commands = read(&out.join("commands.txt"));
    let lines: Vec<&str> = commands.lines().collect();
    assert_eq!(lines.len(), 8);
    assert_eq!(stdout(&o), commands);
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_engram")).unwrap();
    for (line, name) in lines.iter().zip(GRID_ORDER) {
        let run = out.join(name);
        let expected = format!(
            "{} run --preset {} --out {} --threads 2 --seconds 0.2 --save {}",
            exe.display(),
            run.join("preset.toml").display(),
            run.display(),
            run.join("end.engram").display()
        );
        assert_eq!(*line, expected);
        assert_eq!(read(&run.join("command.txt")), format!("{expected}\n"));
        assert!(!run.join("run.log").exists() && !run.join("summary.json").exists(), "{name} was run");
    }

    // preset.toml: the preset with the variant's overrides and the seed.
    let p = |name: &str| preset::parse_preset(&read(&out.join(name).join("preset.toml")), name).unwrap();
    let hom = p("small-hom-s1");
    assert_eq!(
        (hom.name.as_str(), hom.seed, hom.plasticity.beta, hom.mechanisms.heterosynaptic),
        ("small", 1, 0.04, false)
    );
    let base = p("mine-base-s3");
    assert_eq!(
        (base.name.as_str(), base.seed, base.plasticity.beta, base.mechanisms.heterosynaptic),
        ("mine", 3, 0.05, true)
    );
    let mut expected = preset::load_preset("small").unwrap();
    expected.seed = 1;
    expected.plasticity.beta = 0.04;
    expected.mechanisms.heterosynaptic = false;
    assert_eq!(hom, expected, "nothing else changes");

    // sweep.json: the expanded grid.
    let s = json(&out.join("sweep.json"));
    let runs = s["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 8);
    for (r, name) in runs.iter().zip(GRID_ORDER) {
        assert_eq!(r["dir"], name);
    }
    let r = &runs[3];
    assert_eq!(
        (r["preset"].as_str(), r["variant"].as_str(), r["seed"].as_u64()),
        (Some("small"), Some("hom"), Some(1))
    );
    assert_eq!(r["overrides"], serde_json::json!({"plasticity.beta": 0.04, "mechanisms.heterosynaptic": false}));
    assert_eq!(r["command"], lines[3]);
    assert_eq!(runs[4]["preset_source"], dir.join("mine.toml").canonicalize().unwrap().display().to_string());
    assert_eq!(runs[4]["overrides"], serde_json::json!({}));
    assert_eq!(s["threads"], 2);
    assert_eq!(s["args"], serde_json::json!(["--seconds", "0.2", "--save", "{dir}/end.engram"]));
}

#[test]
fn spec_errors_name_the_file_line_and_field() {
    let dir = scratch_dir("sweep_errors");
    let base = "out = \"o\"\npresets = [\"small\"]\nseeds = [1]\n";
    let cases: [(&str, &[&str]); 7] = [
        // An unknown field of the spec.
        ("seed = [1]\n", &["spec.toml:4:", "unknown field `seed`"]),
        // An unknown field of a variant.
        ("[[variant]]\nname = \"v\"\nsett = {}\n", &["spec.toml:6:", "unknown field `sett`"]),
        // A wrong type in the spec.
        ("threads = \"two\"\n", &["spec.toml:4:", "invalid type", "string"]),
        // A dotted key that is no preset field.
        (
            "[[variant]]\nname = \"v\"\nset = { \"plasticity.betta\" = 0.04 }\n",
            &["spec.toml:6:", "variant `v`", "`plasticity.betta` is not a preset field"],
        ),
        // A wrong type for a preset field.
        (
            "[[variant]]\nname = \"v\"\nset = { \"mechanisms.heterosynaptic\" = 1 }\n",
            &["spec.toml:6:", "variant `v`", "`mechanisms.heterosynaptic` = 1", "expected a boolean"],
        ),
        // An invalid value, found by Params::validate.
        (
            "[[variant]]\nname = \"v\"\n\nset = { \"plasticity.beta\" = -1.0 }\n",
            &["spec.toml:7:", "variant `v`", "invalid parameter `plasticity.beta`", "outside [0, 100]"],
        ),
        // An argument `engram run` does not know.
        ("args = [\"--phase\", \"all\", \"--sekonds\", \"1\"]\n", &["spec.toml:4:", "`args`", "--sekonds"]),
    ];
    for (extra, needles) in cases {
        let spec = write(&dir.join("spec.toml"), &format!("{base}{extra}"));
        one_line_error(&engram(&["sweep", spec.to_str().unwrap(), "--dry-run"]), needles);
        assert!(!dir.join("o").exists(), "an invalid spec wrote files ({extra})");
    }
}

#[test]
fn emit_slurm_writes_a_job_array_over_commands_txt() {
    let dir = scratch_dir("sweep_slurm");
    let spec = write(
        &dir.join("spec.toml"),
        "out = \"s\"\npresets = [\"small\"]\nseeds = [1, 2, 3, 4]\nthreads = 3\nargs = [\"--phase\", \"all\"]\n",
    );
    // A stand-in binary that only prints its arguments: the script is run for real below.
    let o = engram(&["sweep", spec.to_str().unwrap(), "--emit", "slurm", "--jobs", "2", "--engram", "/bin/echo"]);
    assert_ok(&o);
    let out = std::fs::canonicalize(dir.join("s")).unwrap();
    let script = read(&out.join("sweep.slurm"));
    assert!(script.starts_with("#!/bin/bash\n"), "{script}");
    for line in [
        "#SBATCH --array=0-3%2",
        "#SBATCH --cpus-per-task=3",
        &format!("#SBATCH --output={}/slurm-%A_%a.out", out.display()),
        &format!("commands={}/commands.txt", out.display()),
        "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" \"$commands\")",
    ] {
        assert!(script.lines().any(|l| l == line), "no line {line:?} in\n{script}");
    }
    assert!(stdout(&o).contains(&format!("sbatch {}/sweep.slurm", out.display())), "{}", stdout(&o));
    let commands = read(&out.join("commands.txt"));
    let second = commands.lines().nth(1).unwrap();
    assert!(second.starts_with("/bin/echo run --preset ") && second.contains("small-base-s2"), "{second}");
    assert!(!out.join("small-base-s1").join("run.log").exists(), "--emit ran something");

    // Task 1 runs the second line, its output in that run's run.log.
    let status =
        Command::new("bash").arg(out.join("sweep.slurm")).env("SLURM_ARRAY_TASK_ID", "1").output().unwrap().status;
    assert!(status.success());
    let log = read(&out.join("small-base-s2").join("run.log"));
    assert_eq!(log, format!("{}\n", second.trim_start_matches("/bin/echo ")));
    assert!(!out.join("small-base-s1").join("run.log").exists());
}

#[test]
fn emit_parallel_writes_the_command_file_and_prints_how_to_run_it() {
    let dir = scratch_dir("sweep_parallel");
    let spec = grid_spec(&dir, "");
    let o = engram(&["sweep", spec.to_str().unwrap(), "--emit", "parallel", "--jobs", "3"]);
    assert_ok(&o);
    let out = std::fs::canonicalize(dir.join("grid")).unwrap();
    assert!(stdout(&o).contains(&format!("parallel -j 3 < {}/commands.txt", out.display())), "{}", stdout(&o));
    assert_eq!(read(&out.join("commands.txt")).lines().count(), 8);
    assert!(!out.join("sweep.slurm").exists());
    assert!(GRID_ORDER.iter().all(|n| !out.join(n).join("run.log").exists()), "--emit ran something");
}

#[test]
fn tiny_sweep_runs_here_resumes_and_reports() {
    let dir = scratch_dir("sweep_tiny");
    let spec = write(
        &dir.join("spec.toml"),
        "out = \"tiny\"\npresets = [\"small\"]\nseeds = [1, 2]\nthreads = 1\nargs = [\"--seconds\", \"0.2\"]\n",
    );
    let o = engram(&["sweep", spec.to_str().unwrap(), "--jobs", "2"]);
    assert_ok(&o);
    let text = stdout(&o);
    let out = dir.join("tiny");
    for name in ["small-base-s1", "small-base-s2"] {
        assert!(text.contains(&format!("start {name}")), "{text}");
        assert!(text.lines().any(|l| l.contains(&format!("done   {name} (exit 0, "))), "{text}");
        let s = json(&out.join(name).join("summary.json"));
        assert_eq!(s["preset"], "small");
        assert!((s["sim_seconds"].as_f64().unwrap() - 0.2).abs() < 1e-9);
        assert!(out.join(name).join("run.log").exists());
    }
    assert_eq!(json(&out.join("small-base-s2").join("summary.json"))["seed"], 2);
    assert!(text.contains("sweep: 2 run, 0 failed, 0 skipped"), "{text}");

    // Run again: everything has finished, nothing runs.
    let o = engram(&["sweep", spec.to_str().unwrap(), "--jobs", "2"]);
    assert_ok(&o);
    let text = stdout(&o);
    assert!(!text.contains("start"), "{text}");
    assert_eq!(text.matches("(summary.json exists)").count(), 2, "{text}");

    // The report of the sweep directory: one row per run.
    let prefix = dir.join("reports").join("tiny");
    let o = engram(&["report", out.to_str().unwrap(), "--out", prefix.to_str().unwrap()]);
    assert_ok(&o);
    let md = stdout(&o);
    println!("{md}");
    let rows = markdown_rows(&md);
    assert_eq!(rows[0][..6], ["run", "variant", "preset", "seed", "phases", "sim s"]);
    assert_eq!(rows[1][..6], ["small-base-s1", "base", "small", "1", "init", "0.2"]);
    assert_eq!(rows[2][..6], ["small-base-s2", "base", "small", "2", "init", "0.2"]);
    assert_eq!(rows.len(), 3);
    assert_eq!(read(&dir.join("reports/tiny.md")), md);
    let csv = read(&dir.join("reports/tiny.csv"));
    assert!(csv.starts_with("run,variant,preset,seed,phases,sim s"), "{csv}");
    assert!(csv.lines().nth(2).unwrap().starts_with("small-base-s2,base,small,2,init,0.2"), "{csv}");
}

#[test]
fn failed_runs_are_listed_and_the_sweep_fails() {
    let dir = scratch_dir("sweep_fail");
    // `engram run` accepts the arguments and refuses the value: the run fails at once.
    let spec = write(
        &dir.join("spec.toml"),
        "out = \"f\"\npresets = [\"small\"]\nseeds = [5]\nargs = [\"--seconds\", \"-1\"]\n",
    );
    let o = engram(&["sweep", spec.to_str().unwrap()]);
    one_line_error(&o, &["1 of 1 runs failed", "small-base-s5"]);
    let text = stdout(&o);
    assert!(text.contains("FAILED small-base-s5 (exit 1: engram: error: -1 seconds"), "{text}");
    assert!(read(&dir.join("f/small-base-s5/run.log")).contains("-1 seconds"));
}

/// The cells of a Markdown table, header first, without the separator line.
fn markdown_rows(md: &str) -> Vec<Vec<String>> {
    md.lines()
        .filter(|l| !l.starts_with("| -"))
        .map(|l| {
            let inner = l.trim().trim_start_matches('|').trim_end_matches('|');
            inner.split(" | ").map(|c| c.trim().to_string()).collect()
        })
        .collect()
}

#[test]
fn report_of_hand_written_summaries() {
    let dir = scratch_dir("report_known");
    let full = serde_json::json!({
        "preset": "default", "seed": 7, "phases": ["init", "learn", "recall"], "sim_seconds": 5400.0,
        "assemblies": [
            {"name": "circle", "size": 1000, "mean_member_rate_hz": 12.0},
            {"name": "square", "size": 950, "mean_member_rate_hz": 11.0},
        ],
        "assembly_overlaps": [{"a": "circle", "b": "square", "shared": 12}],
        "selectivity": {
            "window_s": [5300, 5400], "threshold_hz": 10,
            "presentations": {"circle": 40, "square": 38},
            "cells": {"square": 700, "circle": 800},
            "overlaps": [{"a": "square", "b": "circle", "shared": 30}],
            "exclusive": {"circle": 770, "square": 670},
            "median_selectivity_index": 0.8312,
            "response_hz": [[1.0, 2.0]],
            "time_course": [],
        },
        "rates_in_windows": [
            {"window_s": [5340, 5400], "e_hz": 2.96, "i_hz": 9.94},
            {"window_s": [0, 60], "e_hz": 3.1234, "i_hz": 10.26},
        ],
        "recall": {
            "per_shape": {
                "square": {"cues": 3, "recalled": 2, "wrong_assembly": 0, "recall_rate": 0.667, "mean_delay_s": 1.0},
                "circle": {"cues": 7, "recalled": 4, "wrong_assembly": 1, "recall_rate": 0.571, "mean_delay_s": 0.5},
            },
            "other": {"cues": 4, "false_recalls": 1, "false_recall_rate": 0.25, "mean_delay_s": null},
        },
    });
    let bare = serde_json::json!({
        "preset": "small", "seed": 2, "phases": ["init"], "sim_seconds": 0.5,
        "assemblies": [], "assembly_overlaps": [], "recall": null,
    });
    for (name, s) in [("r1", &full), ("r2", &bare)] {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        write(&dir.join(name).join("summary.json"), &serde_json::to_string_pretty(s).unwrap());
    }
    let prefix = dir.join("table");
    let (r1, r2) = (dir.join("r1"), dir.join("r2"));
    let o = engram(&["report", r1.to_str().unwrap(), r2.to_str().unwrap(), "--out", prefix.to_str().unwrap()]);
    assert_ok(&o);
    let csv = read(&dir.join("table.csv"));
    let expected = "\
run,preset,seed,phases,sim s,size circle,size square,circle∩square,cells circle,cells square,cells circle∩square,\
median SI,E 0–60 s,I 0–60 s,E 5340–5400 s,I 5340–5400 s,recall circle,recall square,false recalls
r1,default,7,init+learn+recall,5400,1000,950,12,800,700,30,0.83,3.1,10.3,3.0,9.9,4/1/2 (57%),2/0/1 (67%),1/4
r2,small,2,init,0.5,,,,,,,,,,,,,,
";
    assert_eq!(csv, expected);
    let md = stdout(&o);
    assert_eq!(read(&dir.join("table.md")), md);
    let rows = markdown_rows(&md);
    let csv_rows: Vec<Vec<String>> = expected.lines().map(|l| l.split(',').map(str::to_string).collect()).collect();
    assert_eq!(rows, csv_rows, "{md}");

    // A directory that is neither a run nor a sweep is one line of error.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    one_line_error(&engram(&["report", empty.to_str().unwrap()]), &["neither a run directory", "empty"]);
    write(&dir.join("r2").join("summary.json"), "{\"preset\": ");
    one_line_error(&engram(&["report", r2.to_str().unwrap()]), &["summary.json:1:"]);
}
